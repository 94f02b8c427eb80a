#!/usr/bin/python3
"""houqinctl notice --format pdf and houqinctl evaluation --format pdf
(issue 16) on the fixture of hqtool.py: headless Chromium prints the HTML
to a PDF that starts with %PDF, has A4 pages (595 x 842 points) and embeds
a CJK font (a subset of Noto CJK, fonts-noto-cjk); written to --output or
to stdout.  Without Chromium (HQ_CHROMIUM empty, or a path that is not
there) the command says what to install, exits 2 and writes nothing.

Exit 77 (skipped) when Debian's chromium is not installed: the message
case is still checked before.
"""
import os
import re
import shutil
import sys

import hqtool as H
from hqtool import T, check, check_eq

STATE = None


def test_fixture():
    global STATE
    STATE = H.fixture_state()


def rules():
    return ["--state", STATE, "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas]


def test_without_chromium():
    for env in ({"HQ_CHROMIUM": ""}, {"HQ_CHROMIUM": "/nonexistent/chromium"}):
        out = os.path.join(T.tmpdir("hq-pdf-"), "n.pdf")
        r = H.ctl("notice", "HQ-2036-000002", "--format", "pdf", "--output", out, *rules(), check_rc=2,
                  env=dict(os.environ, **env))
        check("Chromium" in r.errtext and "apt-get install chromium" in r.errtext and "--format html" in r.errtext,
              "the message says what to install and what else to do: %r" % r.errtext)
        check(not os.path.exists(out) and r.out == b"", "nothing written without Chromium")
        r = H.ctl("evaluation", "--period", "2036-03", "--format", "pdf", "--state", STATE, "--rules",
                  H.ARGS.rules, check_rc=2, env=dict(os.environ, **env))
        check("Chromium" in r.errtext, "evaluation: %r" % r.errtext)


def check_pdf(data, what):
    check(data.startswith(b"%PDF-"), "%s: does not start with %%PDF: %r" % (what, data[:20]))
    check(b"%%EOF" in data[-64:], "%s: no %%%%EOF at the end" % what)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    check(boxes, "%s: no page" % what)
    for w, h in boxes:
        check(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5, "%s: not A4: %s x %s" % (what, w, h))
    # Skia names each font subset in a descriptor (/FontName /AAAAAA+NotoSerifCJKsc-Bold);
    # the glyphs are in the file: a font program (/FontFile, /FontFile2,
    # /FontFile3) or, for the glyphs of a collection (.ttc), Type 3 fonts
    # whose glyphs are drawn in the PDF itself (pdffonts: "Type 3 ... emb yes").
    fonts = set(re.findall(rb"/(?:BaseFont|FontName)\s*/([A-Za-z0-9+_-]+)", data))
    cjk = [f for f in fonts if re.search(rb"^[A-Z]{6}\+.*CJK", f)]
    check(cjk, "%s: no subset of a CJK font (fonts: %r)" % (what, fonts))
    check(re.search(rb"/FontFile[23]?\s", data) or re.search(rb"/Subtype\s*/Type3", data),
          "%s: the fonts are not embedded" % what)
    return len(boxes)


def test_notice_and_evaluation_pdf():
    d = T.tmpdir("hq-pdf-")
    out = os.path.join(d, "notice.pdf")
    H.ctl("notice", "HQ-2036-000002", "--format", "pdf", "--output", out, *rules(), timeout=180)
    with open(out, "rb") as f:
        pages = check_pdf(f.read(), "notice")
    check(pages >= 1, "notice pages")
    # to stdout
    r = H.ctl("evaluation", "--period", "2036-03", "--format", "pdf", "--state", STATE, "--rules", H.ARGS.rules,
              timeout=180)
    check_pdf(r.out, "evaluation")
    check_eq(r.errtext.strip(), "", "nothing on stderr")
    T.log("notice: %d page(s), %d bytes; evaluation: %d bytes" % (pages, os.path.getsize(out), len(r.out)))


if __name__ == "__main__":
    H.parse_args()
    if not shutil.which("chromium") and not os.environ.get("HQ_CHROMIUM"):
        rc = T.run_tests([test_fixture, test_without_chromium])
        print("chromium is not installed: the PDF itself is not checked")
        sys.exit(rc or 77)
    T.main([test_fixture, test_without_chromium, test_notice_and_evaluation_pdf])
