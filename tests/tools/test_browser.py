#!/usr/bin/python3
"""The HTML outputs in a real browser (issue 7): the evaluation report and
the rectification notice of the fixture open in headless Chromium (Debian's
chromium package) from file:// with every network feature off, render with
no console message at all (the documents have no script, so any message is
an error), and the report's SVG charts are in the rendered DOM with their
bars, lines and points.  The notice prints on A4 (the PDF's page size).
The documents reference nothing outside themselves: no src, href, url(),
@import or script.

Exits 77 (ctest: skipped) with a message when chromium is not installed;
scripts/deps.sh installs it.
"""
import os
import re
import shutil
import subprocess
import sys

import hqtool as H
from hqtool import T, check, check_eq

CHROMIUM = shutil.which("chromium")
STATE = None
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def chromium(url, *extra):
    """Runs chromium on url; returns (stdout, console lines of stderr)."""
    profile = T.tmpdir("hq-chromium-")
    p = subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=" + profile] + list(extra) + [url],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    check_eq(p.returncode, 0, "chromium exit status (stderr: %s)" % p.stderr[-2000:])
    err = p.stderr.decode("utf-8", "replace")
    console = [l for l in err.splitlines() if ":CONSOLE" in l]
    return p.stdout.decode("utf-8", "replace"), console


def test_fixture():
    global STATE
    d = H.fixture_daemon()
    try:
        d.stop()
    finally:
        d.kill()
    STATE = d.state


def test_console_detection_works():
    """A page that logs to the console is caught: the check below would
    otherwise prove nothing."""
    d = T.tmpdir()
    path = os.path.join(d, "noisy.html")
    with open(path, "w") as f:
        f.write("<!DOCTYPE html><html><body><p>x</p><script>console.error('hq-noisy')</script></body></html>")
    dom, console = chromium("file://" + path, "--dump-dom")
    check(any("hq-noisy" in l for l in console), "a console.error was not seen in chromium's log: %r" % console)


def self_contained(html, what):
    for bad in (r"\bsrc\s*=", r"\bhref\s*=", r"url\(", r"@import", r"<script", r"<link", r"<iframe",
                r"<object", r"<embed", r"https?://"):
        m = re.search(bad, html, re.I)
        if m:
            raise T.TestFailure("%s is not self-contained: %r at %d: %r" % (what, m.group(0), m.start(),
                                                                           html[max(0, m.start() - 60):m.end() + 60]))


def test_evaluation_report():
    for period in ("2036-03", "2036-spring"):
        d = T.tmpdir()
        path = os.path.join(d, "evaluation-%s.html" % period)
        H.ctl("evaluation", "--state", STATE, "--rules", H.ARGS.rules, "--period", period, "--format", "html",
              "--output", path)
        with open(path, encoding="utf-8") as f:
            html = f.read()
        self_contained(html, path)
        dom, console = chromium("file://" + path, "--dump-dom")
        check(not console, "console messages for the %s report: %r" % (period, console))
        for chart in ("chart-scores", "chart-domains", "chart-ontime"):
            m = re.search(r'<svg id="%s".*?</svg>' % chart, dom, re.S)
            check(m, "%s: no svg#%s in the rendered DOM" % (period, chart))
            svg = m.group(0)
            check("<title>" in svg, "%s: %s has no title" % (period, chart))
            if chart == "chart-scores":
                check_eq(svg.count('class="bar"'), 3, "%s: score bars" % period)
            if chart == "chart-domains":
                check_eq(svg.count("<polyline"), 3, "%s: one line per domain" % period)
                check(svg.count("<circle") >= 3, "%s: points of the domain lines" % period)
            if chart == "chart-ontime":
                check_eq(svg.count('class="bar"'), 2, "%s: on-time bars (qingquan had nothing due)" % period)
        check('<table id="scores">' in dom, "%s: the scores table" % period)
        check("鑫源餐饮管理有限公司" in dom and "不合格" in dom, "%s: names and grades in the DOM" % period)


def test_notice_prints_on_a4():
    d = T.tmpdir()
    path = os.path.join(d, "notice.html")
    H.ctl("notice", "HQ-2036-000002", "--state", STATE, "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas,
          "--format", "html", "--output", path)
    with open(path, encoding="utf-8") as f:
        html = f.read()
    self_contained(html, path)
    check("size: A4" in html, "no @page size A4")
    dom, console = chromium("file://" + path, "--dump-dom")
    check(not console, "console messages for the notice: %r" % console)
    for text in ("问题整改通知单", "HQ-2036-000002", "鑫源餐饮管理有限公司", "第一食堂", "整改期限", "签发单位",
                 "后勤管理处", "签收", "复查"):
        check(text in dom, "the rendered notice lacks %r" % text)
    pdf = os.path.join(d, "notice.pdf")
    chromium("file://" + path, "--no-pdf-header-footer", "--print-to-pdf=" + pdf)
    with open(pdf, "rb") as f:
        boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", f.read()))
    check(boxes, "no page in the PDF")
    for w, h in boxes:
        check(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2, "page size %s x %s pt is not A4" % (w, h))


if __name__ == "__main__":
    H.parse_args()
    if not CHROMIUM:
        print("SKIP: chromium is not installed (Debian package chromium; scripts/deps.sh installs it)")
        sys.exit(77)
    T.main([test_fixture, test_console_detection_works, test_evaluation_report, test_notice_prints_on_a4])
