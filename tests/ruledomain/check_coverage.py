#!/usr/bin/python3
"""check_coverage - every rule of a rules directory has at least one rule test
that makes it fire and one that shows it staying quiet (issue 6).

Reads the rules (every *.yaml outside `tests` folders, not *.test.yaml) and the
rule test files (rules/**/*.test.yaml, the format of rules/README-tests.md) with
PyYAML, and classifies each test, per rule R, by its steps:

- fires R: an expectation that an issue of R exists: `expect_issue` with
  `rule: R` or `number: $N:R` / `$last:R`, `expect_issues` with `rule: R` and a
  count above 0 (or none), `expect_outbox` about R, or an `act` on an issue of R;
- stays quiet for R: `expect_no_issue` / `expect_no_outbox` with `rule: R`, or
  `expect_issues` with `rule: R` and `count: 0`, in a test that does not fire R.

Prints the rules that lack either kind and exits 1 if there is any (or a test
names a rule that does not exist); otherwise prints a summary and exits 0.
houqinctl rules test runs the tests themselves; this only checks coverage.

    /usr/bin/python3 check_coverage.py --rules DIR [-v]
"""

import argparse
import os
import re
import sys

import yaml

REF = re.compile(r"^\$(?:\d+|last):(.+)$")


def rule_files(root):
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x != "tests" and not x.startswith("."))
        for f in sorted(files):
            if f.endswith(".yaml") and not f.endswith(".test.yaml") and not f.startswith("."):
                yield os.path.join(d, f)


def test_files(root):
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        for f in sorted(files):
            if f.endswith(".test.yaml"):
                yield os.path.join(d, f)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def ref_rule(v):
    if isinstance(v, str):
        m = REF.match(v)
        if m:
            return m.group(1)
    return None


def classify(test):
    """(fires, quiet) sets of rule ids for one test."""
    fires, quiet = set(), set()
    for step in test.get("steps") or []:
        if not isinstance(step, dict) or len(step) != 1:
            continue
        (kind, arg), = step.items()
        if not isinstance(arg, dict):
            continue
        if kind == "act":
            r = ref_rule(arg.get("issue"))
            if r:
                fires.add(r)
        elif kind == "expect_issue":
            for r in (arg.get("rule"), ref_rule(arg.get("number"))):
                if r:
                    fires.add(r)
        elif kind in ("expect_issues", "expect_outbox"):
            r = arg.get("rule") or ref_rule(arg.get("issue"))
            if r:
                (quiet if arg.get("count", 1) == 0 else fires).add(r)
        elif kind in ("expect_no_issue", "expect_no_outbox"):
            if arg.get("rule"):
                quiet.add(arg["rule"])
    return fires, quiet - fires


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rules", required=True, help="rules directory")
    p.add_argument("-v", "--verbose", action="store_true", help="list the tests of every rule")
    a = p.parse_args()

    rules = {}
    for path in rule_files(a.rules):
        for r in load(path).get("rules") or []:
            if isinstance(r, dict) and "id" in r:
                rules[r["id"]] = os.path.relpath(path, a.rules)
    firing = {r: [] for r in rules}
    quiet = {r: [] for r in rules}
    unknown = []
    ntests = 0
    for path in test_files(a.rules):
        rel = os.path.relpath(path, a.rules)
        for t in load(path).get("tests") or []:
            ntests += 1
            name = "%s: %s" % (rel, t.get("name", "?"))
            f, q = classify(t)
            for r in sorted(f | q):
                if r not in rules:
                    unknown.append("%s names rule %s, which is not in %s" % (name, r, a.rules))
            for r in f:
                firing.setdefault(r, []).append(name)
            for r in q:
                quiet.setdefault(r, []).append(name)

    bad = []
    for r in sorted(rules):
        if not firing[r]:
            bad.append("%s (%s): no test makes it fire" % (r, rules[r]))
        if not quiet[r]:
            bad.append("%s (%s): no test shows it staying quiet" % (r, rules[r]))
        if a.verbose:
            print("%s: %d firing, %d quiet" % (r, len(firing[r]), len(quiet[r])))
            for n in firing[r]:
                print("    fires: " + n)
            for n in quiet[r]:
                print("    quiet: " + n)
    for line in unknown + bad:
        print(line)
    if unknown or bad:
        print("coverage FAILED: %d problem(s); %d rules, %d tests" % (len(unknown) + len(bad), len(rules), ntests))
        return 1
    print("coverage OK: each of %d rules has a firing and a quiet test (%d tests)" % (len(rules), ntests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
