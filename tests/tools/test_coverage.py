#!/usr/bin/python3
"""The coverage matrix of the plan's focus points (rules/coverage.yaml,
`houqinctl rules check --coverage`) cannot drift from the rules.

Checks:
  1. `houqinctl rules check --coverage` on the shipped rules exits 0 and
     prints a table with one row per coverage: entry and a summary whose
     counts are the rows';
  2. rules/DOMAINS.md holds exactly that table and summary between
     <!-- coverage:begin --> and <!-- coverage:end -->;
  3. a matrix that names a rule that does not exist, a test file that does
     not exist, a test name a file does not have, an unknown status, a
     partly row without a why or a covered row without tests is refused
     with exit 1 and each problem at its file:line:column;
  4. houqind --check accepts the coverage: key (and ignores it).

Run by ctest (tools.coverage); by hand:
  tests/tools/test_coverage.py --houqind B --houqinctl B --schemas DIR --rules DIR
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL  " + msg, flush=True)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--houqind", required=True)
    ap.add_argument("--houqinctl", required=True)
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--rules", required=True)
    a = ap.parse_args()

    # 1. the shipped matrix
    rc, out, err = run([a.houqinctl, "rules", "check", "--schemas", a.schemas, "--coverage", a.rules])
    if rc != 0:
        fail("rules check --coverage on the shipped rules: exit %d\n%s" % (rc, err))
        return
    m = re.search(r"^(\| requirement \|.*?)\n\n(\d+) focus points: (\d+) covered, (\d+) partly, (\d+) missing\n",
                  out, re.S | re.M)
    if not m:
        fail("no matrix and summary in the output:\n" + out)
        return
    rows = [ln for ln in m.group(1).splitlines()[2:]]
    total, cov, part, miss = (int(x) for x in m.groups()[1:])
    with open(os.path.join(a.rules, "coverage.yaml"), encoding="utf-8") as f:
        entries = len(re.findall(r"^  - requirement: ", f.read(), re.M))
    if not (len(rows) == total == entries == cov + part + miss):
        fail("rows %d, summary %d, coverage.yaml entries %d, %d+%d+%d" % (len(rows), total, entries, cov, part,
                                                                           miss))
    for r in rows:
        status = r.split(" | ")[2]
        if status not in ("covered", "partly", "missing"):
            fail("row with status %r: %s" % (status, r))
    for req in ["R2.%d" % i for i in range(1, 9)] + ["R3", "R6", "R7", "R8", "R9", "R10", "R11"]:
        if not any(r.startswith("| %s |" % req) for r in rows):
            fail("no focus point of %s in the matrix" % req)
    print("ok    %d focus points: %d covered, %d partly, %d missing" % (total, cov, part, miss))

    # 2. DOMAINS.md is that output
    with open(os.path.join(a.rules, "DOMAINS.md"), encoding="utf-8") as f:
        doc = f.read()
    d = re.search(r"<!-- coverage:begin -->\n(.*?)\n<!-- coverage:end -->", doc, re.S)
    printed = out[out.index("| requirement |"):].rstrip("\n")
    if not d:
        fail("rules/DOMAINS.md has no <!-- coverage:begin --> ... <!-- coverage:end --> section")
    elif d.group(1) != printed:
        fail("rules/DOMAINS.md's matrix differs from `houqinctl rules check --coverage` (paste the output):\n"
             + "\n".join(l for l in __import__("difflib").unified_diff(
                 d.group(1).splitlines(), printed.splitlines(), "DOMAINS.md", "houqinctl", lineterm="")))
    else:
        print("ok    DOMAINS.md holds the printed matrix")

    # 3. mistakes, each at its place
    tmp = tempfile.mkdtemp(prefix="hq-coverage-")
    try:
        rules = os.path.join(tmp, "rules")
        shutil.copytree(a.rules, rules)
        bad = ("coverage:\n"                                                       # 1
               "  - requirement: R2.2\n"                                           # 2
               "    point: x\n"                                                    # 3
               "    status: covered\n"                                             # 4
               "    rules: [catering.cold-storage-high, catering.no-such-rule]\n"  # 5
               "    tests: [catering/tests/nosuch.test.yaml, catering/tests/prices.test.yaml,"
               " {catering/tests/cold-storage.test.yaml: no such test}, ../x.test.yaml]\n"  # 6
               "  - requirement: R3\n"                                             # 7
               "    point: y\n"                                                    # 8
               "    status: maybe\n"                                               # 9
               "  - requirement: R6\n"                                             # 10
               "    point: z\n"                                                    # 11
               "    status: partly\n"                                              # 12
               "    rules: [catering.weekly-key-inspection]\n"                     # 13
               "  - requirement: R7\n"                                             # 14
               "    point: w\n"                                                    # 15
               "    status: covered\n"                                             # 16
               "    rules: [catering.inspection-failed]\n"                         # 17
               "    colour: red\n")                                                # 18
        with open(os.path.join(rules, "coverage.yaml"), "w", encoding="utf-8") as f:
            f.write(bad)
        rc, out, err = run([a.houqinctl, "rules", "check", "--schemas", a.schemas, "--coverage", rules])
        f = rules + "/coverage.yaml"
        want = [
            f + ':5:41: rule "catering.no-such-rule" does not exist',
            f + ':6:13: test file "catering/tests/nosuch.test.yaml" does not exist',
            f + ':6:119: catering/tests/cold-storage.test.yaml has no test named "no such test"',
            f + ':6:134: test file "../x.test.yaml": expected a *.test.yaml path inside the rules directory',
            f + ':9:13: status "maybe": expected covered, partly or missing',
            f + ':10:5: a focus point partly covered needs a why',
            f + ':18:5: unknown key "colour" (expected one of: requirement, point, status, rules, tests, why)',
            f + ':14:5: a covered focus point names its rules and their tests',
        ]
        got = [ln for ln in err.splitlines() if ln.startswith(f)]
        if rc != 1:
            fail("a bad matrix: exit %d, expected 1\n%s%s" % (rc, out, err))
        for w in want:
            if w not in got:
                fail("a bad matrix: missing %r in\n%s" % (w, err))
        if len(got) != len(want):
            fail("a bad matrix: %d problems, expected %d:\n%s" % (len(got), len(want), err))
        if not FAILURES:
            print("ok    a bad matrix is refused at file:line:column (%d problems)" % len(got))
        # without --coverage the matrix is not checked, and houqind accepts the key
        rc, out, err = run([a.houqinctl, "rules", "check", "--schemas", a.schemas, rules])
        if rc != 0:
            fail("rules check without --coverage: exit %d\n%s" % (rc, err))
        rc, out, err = run([a.houqind, "--check", "--rules", rules, "--schemas", a.schemas])
        if rc != 0:
            fail("houqind --check with a coverage: key: exit %d\n%s%s" % (rc, out, err))
        else:
            print("ok    houqind --check accepts the coverage: key")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        sys.exit(1)
    print("coverage OK")
