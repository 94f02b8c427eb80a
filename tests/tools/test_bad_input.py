#!/usr/bin/python3
"""Bad input to houqinctl (issue 7, "Bad input"): an unknown issue number, a
bad date, an unknown filter value, a state directory that does not exist or
is not a houqin state: one line on stderr, nothing on stdout, exit 2, never
a crash or an empty success.  And every command has a man-page style
--help (NAME, SYNOPSIS, ... on stdout, exit 0).
"""
import os
import re

import lmdb

import hqtool as H
from hqtool import T, check, check_eq

STATE = None


def one_line_2(args, what=None):
    r = H.ctl(*args, check_rc=None)
    check(r.rc == 2, "%s: exit %d (want 2): %r" % (what or args, r.rc, r))
    check_eq(r.out, b"", "%s: stdout" % (what or args,))
    lines = r.errtext.strip().splitlines()
    check(len(lines) == 1 and lines[0].startswith("houqinctl: "), "%s: stderr is not one line: %r" % (
        what or args, r.errtext))
    return lines[0]


def commands():
    r = H.ctl("--help")
    section = r.text.split("COMMANDS\n", 1)[1].split("\n\n", 1)[0]
    return [l.split()[0] for l in section.splitlines() if l.strip()]


def test_help_everywhere():
    cmds = commands()
    mine = ("issues", "issue", "outbox", "ack", "rectify", "recheck", "comment", "close", "opinion", "ledger",
            "notice", "evaluation", "stats", "backup")
    for c in mine:
        check(c in cmds, "%s is not in houqinctl --help" % c)
    # (the other commands' help is their own tests' business)
    for c in mine:
        r = H.ctl(c, "--help")
        for section in ("NAME", "SYNOPSIS", "OPTIONS", "EXIT STATUS"):
            check(re.search(r"^%s$" % section, r.text, re.M), "houqinctl %s --help has no %s section" % (c, section))
        check(("houqinctl " + c) in r.text, "houqinctl %s --help does not name itself" % c)
    one_line_2(["no-such-command"])


def test_fixture():
    global STATE
    d = H.fixture_daemon()
    try:
        d.stop()
    finally:
        d.kill()
    STATE = d.state


def readers(state):
    """Every command that reads a state, with what else it needs."""
    rules = ["--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas]
    return [
        ["issues", "--state", state],
        ["issue", "HQ-2036-000001", "--state", state],
        ["outbox", "--state", state],
        ["ledger", "--from", "2036-03-01", "--to", "2036-03-31", "--format", "csv", "--state", state] + rules,
        ["notice", "HQ-2036-000001", "--format", "text", "--state", state] + rules,
        ["evaluation", "--period", "2036-03", "--format", "json", "--state", state, "--rules", H.ARGS.rules],
        ["stats", "--state", state],
        ["backup", os.path.join(T.tmpdir(), "b"), "--state", state],
    ]


def test_bad_state_dirs():
    missing = os.path.join(T.tmpdir(), "nope")
    empty = T.tmpdir()
    garbage = T.tmpdir()
    with open(os.path.join(garbage, "data.mdb"), "wb") as f:
        f.write(b"this is not an lmdb file" * 1000)
    foreign = T.tmpdir()  # an LMDB environment of something else
    env = lmdb.open(foreign, max_dbs=4)
    with env.begin(write=True) as txn:
        txn.put(b"hello", b"world")
    env.close()
    afile = os.path.join(T.tmpdir(), "file")
    open(afile, "w").close()
    for state, why in ((missing, "missing"), (empty, "empty"), (garbage, "garbage"), (foreign, "another lmdb"),
                       (afile, "a file")):
        for args in readers(state):
            one_line_2(args, "%s with a %s state" % (args[0], why))


def test_unknown_issues():
    rules = ["--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas]
    for num in ("HQ-2036-000099", "HQ-1999-000001"):
        msg = one_line_2(["issue", num, "--state", STATE])
        check(num in msg, "message names the number: %r" % msg)
        one_line_2(["notice", num, "--format", "html", "--state", STATE] + rules)
    for bad in ("HQ-2036", "hq-2036-000001", "123", "HQ-2036-00000X"):
        one_line_2(["issue", bad, "--state", STATE])
        one_line_2(["notice", bad, "--format", "text", "--state", STATE] + rules)


def test_bad_filters():
    s = ["--state", STATE, "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas]
    for f in (["--status", "done"], ["--severity", "urgent"], ["--domain", "kitchen"],
              ["--contractor", "nobody-ltd"], ["--site", "canteen-99"], ["--level", "0"], ["--level", "two"],
              ["--opened-from", "2036-02-30"], ["--opened-to", "2036/03/01"], ["--closed-from", "yesterday"],
              ["--closed-to", "2036-3-1"], ["--color", "sometimes"], ["--opened-from", "2036-03-10",
                                                                      "--opened-to", "2036-03-01"],
              ["extra-argument"]):
        one_line_2(["issues"] + f + s)
    # values of the rules with no issue yet are fine: an empty table
    r = H.ctl("issues", "--contractor", "qingquan-water", "--json", *s)
    check_eq(r.json(), [], "a contractor of the rules with no issue")
    r = H.ctl("issues", "--domain", "energy", "--json", *s)
    check_eq(r.json(), [], "a domain with no issue")


def test_bad_ledger_and_evaluation():
    s = ["--state", STATE, "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas]
    for a in (["--from", "2036-03-01"], ["--to", "2036-03-01"], ["--from", "2036-03-01", "--to", "2036-02-30"],
              ["--from", "2036-03-10", "--to", "2036-03-01"], ["--from", "2036-03-01", "--to", "2036-03-31"],
              ["--from", "2036-03-01", "--to", "2036-03-31", "--format", "xlsx"]):
        if "--format" not in a and len(a) == 4 and a[3] == "2036-03-31":
            one_line_2(["ledger"] + a + s, "ledger without --format")
            continue
        one_line_2(["ledger"] + a + (["--format", "csv"] if "--format" not in a else []) + s)
    one_line_2(["notice", "HQ-2036-000001", "--format", "docx"] + s)
    one_line_2(["notice", "HQ-2036-000001"] + s)
    one_line_2(["notice", "HQ-2036-000001", "--format", "text", "--state", STATE, "--rules", "/nonexistent",
                "--schemas", H.ARGS.schemas])
    one_line_2(["evaluation", "--format", "csv", "--state", STATE, "--rules", H.ARGS.rules])
    one_line_2(["outbox", "--from", "zero", "--state", STATE])
    one_line_2(["stats", "--interval", "0", "--state", STATE])


def test_operands():
    """A command's operands (ctl_parse_operands): a missing one is named, one
    too many is refused by name, whatever the command."""
    s = ["--state", STATE, "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas]
    cases = (
        (["notice", "--format", "text"] + s,
         'notice: give the issue number (like HQ-2026-000123); see houqinctl notice --help'),
        (["notice", "HQ-2036-000001", "HQ-2036-000002", "--format", "text"] + s,
         'notice: unexpected argument "HQ-2036-000002"'),
        (["backup", "--state", STATE], "backup: give the directory to copy into; see houqinctl backup --help"),
        (["backup", "one", "two", "--state", STATE], 'backup: unexpected argument "two"'),
        (["clock"], "clock: expected show, set TIME or advance DURATION (houqinctl clock --help)"),
        (["clock", "set", "2036-03-01T08:00+08:00", "again"], 'clock: unexpected argument "again"'),
        (["account"] + s, "account: give set, reset, lock, unlock or list; see houqinctl account --help"),
        (["account", "list", "someone"] + s, 'account: unexpected argument "someone"'),
        (["account", "set"] + s, "account set: give the person id (rules/org.yaml)"),
        (["ledger", "stray", "--from", "2036-03-01", "--to", "2036-03-31", "--format", "csv"] + s,
         'ledger: unexpected argument "stray"'),
        (["evaluation", "stray", "--period", "2036-03", "--format", "csv"] + s,
         'evaluation: unexpected argument "stray"'),
    )
    for args, want in cases:
        check_eq(one_line_2(args), "houqinctl: " + want, " ".join(args[:3]))


if __name__ == "__main__":
    H.parse_args()
    T.main([test_help_everywhere, test_fixture, test_bad_state_dirs, test_unknown_issues, test_bad_filters,
            test_bad_ledger_and_evaluation, test_operands])
