#!/usr/bin/python3
"""houqinctl rules test / rules check as administrators see them (issue 4
item 6, "Bad input"): exit statuses, one PASS/FAIL/ERROR line per test,
each failure as file:line: expected ..., got ..., each error in a test file
as file:line:column, and a test file that names an unknown rule, field or
issue is an error, never a pass.  The test files are in data/.

Usage: test_cli.py --houqinctl PATH --schemas DIR --rules DIR
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
ARGS = None


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def check_eq(got, want, what):
    if got != want:
        raise Failure("%s: expected %r, got %r" % (what, want, got))


def ctl(*args):
    p = subprocess.run([ARGS.houqinctl] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def rules_test(*files, extra=()):
    return ctl("rules", "test", "--rules", ARGS.rules, "--schemas", ARGS.schemas, *extra, *files)


def data(name):
    return os.path.join(DATA, name)


def test_wrong_expectation():
    f = data("wrong-expectation.test.yaml")
    rc, out, err = rules_test(f)
    print(out)
    check_eq(rc, 1, "exit status")
    lines = out.splitlines()
    check_eq(lines[0], "FAIL  %s:6: cold storage issue with the wrong severity" % f, "the FAIL line")
    check(re.fullmatch(r"  %s:14: expect_issue: expected severity critical, got high \(HQ-2026-0+1, the closest "
                       r"of 1 issue\)" % re.escape(f), lines[1]), "the failure at line 14: %r" % lines[1])
    check(lines[2].startswith("  %s:15: expect_issues: expected 2 issues (rule=catering.cold-storage-high), got 1"
                              % f), "the failure at line 15: %r" % lines[2])
    check_eq(lines[3], "PASS  %s:16: a passing test after the failing one" % f, "the next test")
    check_eq(lines[-1], "2 tests: 1 passed, 1 failed, 0 errors", "summary")


def test_unknown_names_are_errors():
    f = data("unknown-names.test.yaml")
    rc, out, err = rules_test(f)
    print(out)
    check_eq(rc, 1, "exit status")
    check(out.startswith("ERROR %s (4 problems)\n" % f), "the ERROR line")
    for where, what in (("9:143", "sensor.reading event: data.colour: unknown field"),
                        ("11:29", 'unknown rule "catering.cold-storage-hihg"'),
                        ("12:54", 'expect_issue: unknown field "severty"'),
                        ("13:30", 'kind: unknown outbox kind "opend"')):
        check("  %s:%s: %s" % (f, where, what) in out, "diagnostic %s %s" % (where, what))
    check("PASS" not in out, "nothing passes")


def test_unknown_issue_is_an_error():
    f = data("unknown-issue.test.yaml")
    rc, out, err = rules_test(f, extra=["-v"])
    print(out)
    check_eq(rc, 1, "exit status")
    check("ERROR %s:3: acts on the third issue when one was opened\n" % f in out, "the ERROR line")
    check("  %s:10:44: act: $3: 1 issue opened so far in this test\n" % f in out, "the error at line 10")
    check("    %s:9: act issue.acknowledged: stored" % f in out, "-v shows the steps that ran")
    check(":11:" not in out, "the step after the error did not run")


def test_shipped_rules_pass_and_check():
    rc, out, err = ctl("rules", "test", "--schemas", ARGS.schemas, ARGS.rules)
    check_eq(rc, 0, "exit status of the shipped rule tests: %s" % out)
    check(re.search(r"^\d+ tests: (\d+) passed, 0 failed, 0 errors$", out, re.M), "summary: %r" % out)
    rc, out, err = ctl("rules", "check", "--schemas", ARGS.schemas, ARGS.rules)
    check_eq(rc, 0, "rules check of the shipped rules: %s" % err)
    check(out.startswith("rules OK: "), "summary: %r" % out)


def test_rules_check_reports_every_error():
    tmp = tempfile.mkdtemp(prefix="hq-rt-cli-")
    try:
        for name in os.listdir(ARGS.rules):
            p = os.path.join(ARGS.rules, name)
            if os.path.isfile(p) and name.endswith(".yaml"):
                shutil.copy(p, tmp)
        with open(os.path.join(tmp, "bad.yaml"), "w") as f:
            f.write("rules:\n"
                    "  - id: t.bad\n"
                    "    on: sensor.reading\n"
                    "    when: {field: data.nope, eq: 1}\n"
                    "    key: \"{{data.sensor}}\"\n"
                    "    issue: {title: x, domain: catering, severity: dire, deadline: 4h, chain: standard}\n")
        os.makedirs(os.path.join(tmp, "tests"))
        shutil.copy(data("unknown-names.test.yaml"), os.path.join(tmp, "tests"))
        rc, out, err = ctl("rules", "check", "--schemas", ARGS.schemas, tmp)
        print(err)
        check_eq(rc, 1, "exit status")
        check_eq(out, "", "stdout")
        bad = [l for l in err.splitlines() if l.startswith(os.path.join(tmp, "bad.yaml") + ":")]
        check(len(bad) >= 2, "both errors of bad.yaml: %r" % err)
        check(all(re.match(r"^[^:]+:\d+:\d+: ", l) for l in bad), "file:line:column: %r" % bad)
        check(any(":4:" in l and "data.nope" in l for l in bad), "the unknown field at line 4")
        check(any(":6:" in l and "dire" in l for l in bad), "the bad severity at line 6")
        # the rules do not load, so the test files are not checked; fix them
        os.unlink(os.path.join(tmp, "bad.yaml"))
        rc, out, err = ctl("rules", "check", "--schemas", ARGS.schemas, tmp)
        check_eq(rc, 1, "exit status with a bad test file")
        check('unknown-names.test.yaml:11:29: unknown rule "catering.cold-storage-hihg"' in err,
              "the test file's errors are checked: %r" % err)
    finally:
        shutil.rmtree(tmp)


def test_usage():
    rc, out, err = ctl("rules", "test", "--schemas", ARGS.schemas, "/nonexistent.test.yaml")
    check_eq(rc, 2, "a missing file")
    rc, out, err = ctl("rules", "frobnicate")
    check_eq(rc, 2, "an unknown subcommand")
    rc, out, err = ctl("rules", "test", "--help")
    check_eq(rc, 0, "--help")
    check("README-tests.md" in out, "--help names the format's manual")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--houqinctl", required=True)
    p.add_argument("--schemas", required=True)
    p.add_argument("--rules", required=True)
    ARGS = p.parse_args()
    os.environ.setdefault("HQ_TZ", "Asia/Shanghai")
    tests = [test_wrong_expectation, test_unknown_names_are_errors, test_unknown_issue_is_an_error,
             test_shipped_rules_pass_and_check, test_rules_check_reports_every_error, test_usage]
    failed = []
    for t in tests:
        print("=== %s" % t.__name__, flush=True)
        try:
            t()
            print("--- PASS %s" % t.__name__, flush=True)
        except Exception:
            traceback.print_exc()
            failed.append(t.__name__)
            print("--- FAIL %s" % t.__name__, flush=True)
    print("%d of %d passed%s" % (len(tests) - len(failed), len(tests), ": failed " + ", ".join(failed) if failed
                                 else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
