#!/usr/bin/python3
"""Golden-file tests of houqinctl's outputs (issue 7): the issue table (with
filters), issues --json, issue NUMBER (text and --json), the ledger (CSV and
JSON, with and without personal data), the rectification notice (text and
HTML) and the evaluation (CSV, JSON), on the fixture state of hqtool.py.
Every time in them is fixed by houqind's manual clock.

Run with --update to rewrite the golden files after a deliberate change;
review the diff before committing it.
"""
import difflib
import os
import shutil
import tempfile

import hqtool as H
from hqtool import T, check, check_eq

N = {i: "HQ-2036-%06d" % i for i in range(1, 7)}

# (golden file, houqinctl arguments after the command's --state/--rules)
CASES = [
    ("issues.txt", ["issues", "--color", "never"]),
    ("issues-open.txt", ["issues", "--status", "open", "--color", "never"]),
    ("issues-opened-range.txt", ["issues", "--opened-from", "2036-03-03", "--opened-to", "2036-03-10",
                                 "--color", "never"]),
    ("issues-closed-range.txt", ["issues", "--closed-from", "2036-03-06", "--closed-to", "2036-03-12",
                                 "--color", "never"]),
    ("issues-anju-property.txt", ["issues", "--contractor", "anju-property", "--domain", "property",
                                  "--color", "never"]),
    ("issues-colour.txt", ["issues", "--color", "always"]),
    ("issues.json", ["issues", "--json"]),
    ("issues-overdue.json", ["issues", "--json", "--overdue"]),
    ("issue-2.txt", ["issue", N[2], "RULES"]),
    ("issue-2.json", ["issue", N[2], "--json"]),
    ("issue-3-pii.json", ["issue", N[3], "--json", "--include-pii"]),
    ("ledger.csv", ["ledger", "--from", "2036-02-01", "--to", "2036-03-31", "--format", "csv", "RULES"]),
    ("ledger-pii.csv", ["ledger", "--from", "2036-03-05", "--to", "2036-03-05", "--format", "csv",
                        "--include-pii", "RULES"]),
    ("ledger-march-catering.json", ["ledger", "--from", "2036-03-01", "--to", "2036-03-31", "--format", "json",
                                    "--domain", "catering", "RULES"]),
    ("ledger.json", ["ledger", "--from", "2036-02-01", "--to", "2036-03-31", "--format", "json", "RULES"]),
    ("notice-2.txt", ["notice", N[2], "--format", "text", "RULES"]),
    ("notice-2.html", ["notice", N[2], "--format", "html", "RULES"]),
    ("notice-4.txt", ["notice", N[4], "--format", "text", "RULES"]),
    ("evaluation-2036-03.csv", ["evaluation", "--period", "2036-03", "--format", "csv", "RULES"]),
    ("evaluation-2036-03.json", ["evaluation", "--period", "2036-03", "--format", "json", "RULES"]),
    ("evaluation-2036-spring.json", ["evaluation", "--period", "2036-spring", "--format", "json", "RULES"]),
]

STATE = None
PII_DAEMON = None  # houqind on the fixture's state, for the access records of --include-pii


def pii_daemon():
    """--include-pii prints only after houqind stored an audit.pii_access
    record (the test rules have no permission table: any person may)."""
    global PII_DAEMON
    if PII_DAEMON is None:
        PII_DAEMON = T.Daemon(state=STATE, extra=["--clock", "manual"])
        PII_DAEMON.start()
    return PII_DAEMON


def run_case(args):
    argv = []
    for a in args:
        if a == "RULES":
            argv += ["--rules", H.ARGS.rules]
            if args[0] != "evaluation":
                argv += ["--schemas", H.ARGS.schemas]
        else:
            argv.append(a)
    argv[1:1] = ["--state", STATE]
    if "--include-pii" in args:
        argv += ["--actor", "wang.director", "--purpose", "golden test", "--ingest", pii_daemon().ingest_ep]
    return H.ctl(*argv).out


def compare(name, got):
    path = os.path.join(H.ARGS.golden, name)
    if H.ARGS.update:
        with open(path, "wb") as f:
            f.write(got)
        T.log("wrote", path)
        return
    check(os.path.exists(path), "%s: no golden file (run with --update to create it)" % path)
    with open(path, "rb") as f:
        want = f.read()
    if got != want:
        diff = difflib.unified_diff(want.decode("utf-8", "replace").splitlines(),
                                    got.decode("utf-8", "replace").splitlines(), "golden/" + name, "houqinctl",
                                    lineterm="", n=2)
        raise T.TestFailure("%s differs from the golden file:\n%s" % (name, "\n".join(list(diff)[:80])))


def test_fixture():
    """The fixture builds; the daemon is stopped so that the reads below see
    a state nobody writes."""
    global STATE
    d = H.fixture_daemon()
    try:
        st = d.status()
        check_eq(st["issues"], 6, "issues in the fixture")
        d.stop()
    finally:
        d.kill()
    STATE = d.state


def test_golden_outputs():
    check(STATE, "no fixture")
    failed = []
    for name, args in CASES:
        try:
            compare(name, run_case(args))
        except T.TestFailure as e:
            failed.append(str(e))
    check(not failed, "\n\n".join(failed))


def test_csv_shape():
    """The CSV ledger: UTF-8 BOM, CRLF records, RFC 4180 quoting; one row per
    issue opened in the range; personal data only with --include-pii."""
    import csv
    import io
    raw = run_case(["ledger", "--from", "2036-02-01", "--to", "2036-03-31", "--format", "csv", "RULES"])
    check(raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM")
    text = raw[3:].decode("utf-8")
    check("\r\n" in text, "records do not end with CRLF")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    head, body = rows[0], rows[1:]
    check_eq(len(body), 6, "ledger rows")
    check_eq([r[0] for r in body], [N[i] for i in range(1, 7)], "numbers")
    col = head.index("投诉人联系方式")
    check_eq(body[2][col], "（已隐去）", "contact of the complaint, redacted")
    check("13800000000" not in text, "the complainant's phone is in the redacted ledger")
    pii = run_case(["ledger", "--from", "2036-02-01", "--to", "2036-03-31", "--format", "csv", "--include-pii",
                    "RULES"]).decode("utf-8")
    check("13800000000" in pii, "--include-pii does not include the contact")
    tl = body[1][head.index("处理过程")]
    check(tl.count("\n") >= 5 and "复查未通过（第1次）" in tl, "timeline summary of #2 (its reopened entry): %r" % tl)
    # A one-day range holds the complaint only.
    one = run_case(["ledger", "--from", "2036-03-05", "--to", "2036-03-05", "--format", "json", "RULES"])
    import json
    check_eq([r["number"] for r in json.loads(one)], [N[3]], "ledger of 2036-03-05")
    check_eq(json.loads(one)[0]["complaint_contact"], "(redacted)", "JSON ledger contact")


def on_a_terminal(args, env=None):
    """houqinctl with stdout on a pseudo-terminal; returns what it wrote."""
    import pty
    import subprocess
    master, slave = pty.openpty()
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.Popen([H.ARGS.houqinctl] + args, stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=subprocess.DEVNULL, env=e)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    check_eq(p.wait(timeout=60), 0, "houqinctl on a terminal")
    return out


def test_colour_only_on_a_terminal():
    args = ["issues", "--state", STATE]
    check(b"\033[" in on_a_terminal(args), "no colour on a terminal")
    check(b"\033[" not in on_a_terminal(args, {"NO_COLOR": "1"}), "colour with NO_COLOR set")
    check(b"\033[" not in on_a_terminal(args + ["--color", "never"]), "colour with --color never")
    check(b"\033[" not in H.ctl(*args).out, "colour when piped")


def test_pii_access_recorded():
    """Each --include-pii export above left an audit.pii_access event (who,
    what, why); without --actor, or with houqind not answering, nothing is
    printed."""
    d = pii_daemon()
    evs = T.read_store(STATE)
    audits = [T.unpack(evs.events[s][1]) for s in evs.events]
    audits = [e["data"] for e in audits if e["type"] == "audit.pii_access"]
    pii_cases = [a for _, a in CASES if "--include-pii" in a] + [["ledger"]]  # + test_csv_shape's
    check(len(audits) >= len(pii_cases), "one access record per export: %r" % audits)
    check(all(a["actor"] == "wang.director" and a["purpose"] == "golden test" for a in audits), "who and why")
    check(any(a["what"] == "issue --json --include-pii %s" % N[3] for a in audits),
          "what: %r" % [a["what"] for a in audits])
    r = H.ctl("ledger", "--state", STATE, "--from", "2036-03-05", "--to", "2036-03-05", "--format", "csv",
              "--include-pii", "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas, check_rc=2)
    check(r.out == b"" and "--actor" in r.errtext, "no --actor: usage error, nothing printed: %r" % r)
    d.stop()
    r = H.ctl("issue", N[3], "--state", STATE, "--json", "--include-pii", "--actor", "wang.director", "--ingest",
              d.ingest_ep, check_rc=1, timeout=120)
    check(r.out == b"" and "not exported" in r.errtext, "houqind down: refused, nothing printed: %r" % r)
    r = H.ctl("issue", N[3], "--state", STATE, "--json")
    check(b"13800000000" not in r.out, "without --include-pii the contact is redacted")


def test_issue_words_from_vocabulary():
    """houqinctl issue shows the words of the rules' vocabulary: an
    administrator's change of a label shows; the codes stay in the codes:
    line; rules that do not load leave the built-in labels, with a note."""
    check(STATE, "no fixture")
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "rules")
        shutil.copytree(H.ARGS.rules, rules)
        shipped = os.path.join(os.path.dirname(os.path.abspath(H.ARGS.schemas)), "rules", "vocabulary.yaml")
        with open(shipped, encoding="utf-8") as f:
            vocab = f.read()
        for old, new in (("    medium: 一般\n", "    medium: 中等程度\n"), ("    closed: 已办结\n", "    closed: 已结案\n"),
                         ("    comment: 批注\n", "    comment: 领导批示\n")):
            check(old in vocab, "the shipped vocabulary has %r" % old)
            vocab = vocab.replace(old, new)
        with open(os.path.join(rules, "vocabulary.yaml"), "w", encoding="utf-8") as f:
            f.write(vocab)
        r = H.ctl("issue", N[2], "--state", STATE, "--rules", rules, "--schemas", H.ARGS.schemas)
        text = r.text
        check("severity: 中等程度" in text and "state:        已结案，" in text, "labels changed: %s" % text[:600])
        check("领导批示" in text and " comment " not in text, "timeline kind label: %s" % text)
        check("codes:        state closed, domain catering, category inspection, severity medium" in text,
              "codes line: %s" % text[:600])
        check_eq(r.errtext, "", "stderr")
        with open(os.path.join(rules, "broken.yaml"), "w", encoding="utf-8") as f:
            f.write("rules: [\n")
        r = H.ctl("issue", N[2], "--state", STATE, "--rules", rules, "--schemas", H.ARGS.schemas)
        check("severity: 一般" in r.text and "built-in labels" in r.errtext,
              "rules that do not load: %r / %r" % (r.text[:300], r.errtext))


if __name__ == "__main__":
    H.parse_args()
    T.main([test_fixture, test_golden_outputs, test_csv_shape, test_colour_only_on_a_terminal,
            test_pii_access_recorded, test_issue_words_from_vocabulary])
