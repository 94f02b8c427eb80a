#!/usr/bin/python3
"""The examples of rules/README.md load (so that the manual cannot rot).

Every ```yaml block of the manual is a file of a rules directory; its first
line names it (`# rules/examples/x.yaml`) and the comment lines right
after it may say more:

  # expect-errors        the file must be refused; the ```text block that
                         follows it lists houqind --check's complaints, and
                         they must be exactly what houqind prints
  # replaces: rules/F    the shipped F is left out when this one is checked
  # needs: rules/F       another example of the manual goes with this one

A block whose name ends in .test.yaml is a rule test: it is run with
`houqinctl rules test` on the examples it names with `needs:`.

Checks:
  1. every ```yaml block is named, and no two blocks have one name;
  2. each example, in a rules directory holding the shipped top-level files
     (org.yaml, contractors.yaml, calendar.yaml, escalation*.yaml,
     evaluation.yaml, alerts.yaml: no domain rules) and what it needs,
     passes `houqinctl rules check` and `houqind --check` (or is refused
     with exactly the errors shown, for expect-errors);
  3. every example that loads, all together and with the WHOLE shipped
     rules directory, loads: no example reuses an id of a shipped rule,
     chain, site, sensor or contractor, or another example's; and the
     examples name their own things example.* (rules) or example-*
     (chains, penalty terms, tables, contractors, sites, sensors);
  4. the summary counts the manual gives for the shipped rules (rules,
     domain folders, tests, test files) are the real ones.

Run by ctest (tools.readme_examples); by hand:
  tests/tools/test_readme_examples.py [--houqind B] [--houqinctl B] [-v]
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

FAILURES = []
VERBOSE = False


def fail(msg):
    FAILURES.append(msg)
    print("FAIL  " + msg, flush=True)


def note(msg):
    if VERBOSE:
        print("ok    " + msg, flush=True)


class Block:
    def __init__(self, line, text):
        self.line = line          # line of the opening ``` in the README
        self.text = text
        lines = text.splitlines()
        first = lines[0] if lines else ""
        m = re.match(r"#\s+(rules/\S+\.yaml)\b", first)
        self.path = m.group(1) if m else None
        self.expect_errors = False
        self.replaces = []
        self.needs = []
        self.errors_shown = None  # the <3>houqind: lines of the following text block
        for ln in lines[1:]:
            if not ln.startswith("#"):
                break
            body = ln[1:].strip()
            if body == "expect-errors":
                self.expect_errors = True
            elif body.startswith("replaces:"):
                self.replaces += body.split(":", 1)[1].split()
            elif body.startswith("needs:"):
                self.needs += body.split(":", 1)[1].split()

    @property
    def is_test(self):
        return self.path is not None and self.path.endswith(".test.yaml")

    def where(self):
        return "rules/README.md:%d (%s)" % (self.line, self.path or "unnamed block")


def read_blocks(readme):
    """The ```yaml blocks, each with the <3>houqind: lines of the ```text
    block that follows it (before the next ```yaml block), if any."""
    blocks = []
    lines = open(readme, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        m = re.match(r"^(\s*)```(\w*)\s*$", ln)
        if not m:
            i += 1
            continue
        lang, start = m.group(2), i
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        i += 1
        if lang == "yaml":
            blocks.append(Block(start + 1, "\n".join(body) + "\n"))
        elif lang == "text" and blocks and blocks[-1].errors_shown is None:
            errs = [b for b in body if b.startswith("<3>houqind: ")]
            if errs:
                blocks[-1].errors_shown = errs
    return blocks


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def shipped_top_level(rules):
    """The shipped files directly in rules/ (registries, chains, calendar,
    organisation, evaluation, alerts), without the domain folders."""
    return sorted(f for f in os.listdir(rules) if f.endswith(".yaml") and os.path.isfile(os.path.join(rules, f)))


def write(base, relpath, text):
    p = os.path.join(base, relpath)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)


def check_one(args, b, by_path):
    tmp = tempfile.mkdtemp(prefix="hq-readme-")
    try:
        rd = os.path.join(tmp, "rules")
        os.makedirs(rd)
        for f in shipped_top_level(args.rules):
            if "rules/" + f not in b.replaces:
                shutil.copy(os.path.join(args.rules, f), rd)
        for n in b.needs:
            if n not in by_path:
                fail("%s: needs %s, which no block of the manual is" % (b.where(), n))
                return
            write(tmp, n, by_path[n].text)
        if b.is_test:
            write(tmp, b.path, b.text)
            rc, out, err = run([args.houqinctl, "rules", "test", "--rules", "rules", "--schemas", args.schemas,
                                b.path], tmp)
            if rc != 0:
                fail("%s: the rule test does not pass:\n%s%s" % (b.where(), out, err))
            else:
                note("%s: %s" % (b.where(), out.strip().splitlines()[-1] if out.strip() else "passed"))
            return
        write(tmp, b.path, b.text)
        rc1, out1, err1 = run([args.houqinctl, "rules", "check", "--schemas", args.schemas, "rules"], tmp)
        rc2, out2, err2 = run([args.houqind, "--check", "--rules", "rules", "--schemas", args.schemas], tmp)
        if not b.expect_errors:
            if rc1 != 0 or rc2 != 0:
                fail("%s: does not load:\n%s%s" % (b.where(), err1, err2))
            else:
                note("%s: loads" % b.where())
            return
        if rc1 == 0 or rc2 == 0:
            fail("%s: marked expect-errors, but it loads" % b.where())
            return
        got = [ln for ln in err2.splitlines() if ln.startswith("<3>houqind: ")]
        if b.errors_shown is None:
            fail("%s: marked expect-errors, but no ```text block with the errors follows it; houqind says:\n%s"
                 % (b.where(), "\n".join(got)))
        elif got != b.errors_shown:
            fail("%s: the errors shown are not houqind's.\nshown:\n%s\nhouqind:\n%s"
                 % (b.where(), "\n".join(b.errors_shown), "\n".join(got)))
        else:
            note("%s: refused as shown (%d lines)" % (b.where(), len(got)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_names(blocks):
    """The examples' own names: rule ids example.*, and chains, penalty
    terms, tables, contractors, sites and sensors example-*, so that they
    never clash with the shipped ones (now or later)."""
    try:
        import yaml
    except ImportError:  # python3-yaml (scripts/deps.sh); the load checks still run
        note("python3-yaml missing: the names of the examples are not checked")
        return
    for b in blocks:
        if not b.path or b.is_test:
            continue
        try:
            doc = yaml.safe_load(b.text)
        except yaml.YAMLError:
            continue  # a mistake on purpose
        if not isinstance(doc, dict):
            continue
        for r in doc.get("rules") or []:
            if isinstance(r, dict) and "id" in r and not str(r["id"]).startswith("example."):
                fail("%s: rule id %s: the examples' rule ids start with example." % (b.where(), r["id"]))
        for sect in ("chains", "penalty_terms", "tables"):
            for name in doc.get(sect) or {}:
                if not str(name).startswith("example-"):
                    fail("%s: %s name %s: the examples' names start with example-" % (b.where(), sect, name))
        for sect in ("contractors", "sites", "sensors"):
            for e in doc.get(sect) or []:
                if isinstance(e, dict) and not str(e.get("id", "")).startswith("example-"):
                    fail("%s: %s id %s: the examples' ids start with example-" % (b.where(), sect, e.get("id")))


def check_all_together(args, blocks):
    """The examples that load, together with the whole shipped directory."""
    tmp = tempfile.mkdtemp(prefix="hq-readme-all-")
    try:
        rd = os.path.join(tmp, "rules")
        shutil.copytree(args.rules, rd, ignore=shutil.ignore_patterns("*.md"))
        n_shipped = count_rules(args, rd, tmp)
        if n_shipped is None:
            fail("the shipped rules do not load")
            return
        ok = []
        for b in blocks:
            if not b.path or b.expect_errors or b.replaces or b.is_test:
                continue
            if os.path.exists(os.path.join(tmp, b.path)):
                fail("%s: its name is a shipped file's (%s): name examples rules/examples/..." % (b.where(), b.path))
                continue
            write(tmp, b.path, b.text)
            ok.append(b)
        rc1, out1, err1 = run([args.houqinctl, "rules", "check", "--schemas", args.schemas, "rules"], tmp)
        rc2, out2, err2 = run([args.houqind, "--check", "--rules", "rules", "--schemas", args.schemas], tmp)
        if rc1 != 0 or rc2 != 0:
            fail("the examples do not load together with the shipped rules "
                 "(an id used twice? use example. ids and example- names):\n%s" % err1)
        else:
            note("%d examples load with the %d shipped rules: %s" % (len(ok), n_shipped, out2.strip()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def count_rules(args, rd, cwd):
    rc, out, err = run([args.houqind, "--check", "--rules", rd, "--schemas", args.schemas], cwd)
    m = re.search(r"(\d+) rules in", out + err)
    return int(m.group(1)) if rc == 0 and m else None


def check_counts(args, readme_text):
    """'N rules in D domain folders ... T tests in F test files' of the
    manual against the files and houqinctl rules check."""
    rules = args.rules
    domains = sorted(d for d in os.listdir(rules) if os.path.isdir(os.path.join(rules, d)))
    test_files = sorted(glob.glob(os.path.join(rules, "*", "tests", "*.test.yaml")))
    rc, out, err = run([args.houqinctl, "rules", "check", "--schemas", args.schemas, rules], ROOT)
    m = re.search(r"rules OK: (\d+) rules in .*; (\d+) test files with (\d+) tests", out + err)
    if rc != 0 or not m:
        fail("houqinctl rules check %s: %s%s" % (rules, out, err))
        return
    n_rules, n_files, n_tests = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if n_files != len(test_files):
        fail("houqinctl counts %d test files, rules/*/tests/*.test.yaml are %d" % (n_files, len(test_files)))
    want = ("**%d rules** in **%d domain folders** (%s), with **%d rule tests** in **%d test files**"
            % (n_rules, len(domains), ", ".join("`%s/`" % d for d in domains), n_tests, n_files))
    flat = re.sub(r"\s+", " ", readme_text)  # the sentence may be wrapped anywhere
    if want not in flat:
        have = re.search(r"\*\*\d+ rules\*\* in .*? test files\*\*", flat)
        fail("the manual's summary of the shipped rules is out of date:\n  manual: %s\n  files:  %s"
             % (have.group(0) if have else "(no summary found)", want))
    else:
        note("summary: %s" % want)
    if "(README-tests.md)" not in readme_text:
        fail("the manual does not link README-tests.md")


def main():
    global VERBOSE
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--houqind", default=os.path.join(ROOT, "build", "daemons", "houqind", "houqind"))
    p.add_argument("--houqinctl", default=os.path.join(ROOT, "build", "tools", "houqinctl", "houqinctl"))
    p.add_argument("--schemas", default=os.path.join(ROOT, "schemas"))
    p.add_argument("--rules", default=os.path.join(ROOT, "rules"), help="the shipped rules (and README.md)")
    p.add_argument("--readme", default=None, help="default: README.md in --rules")
    p.add_argument("-v", "--verbose", action="store_true")
    args, _ = p.parse_known_args()
    VERBOSE = args.verbose
    args.rules = os.path.abspath(args.rules)
    args.schemas = os.path.abspath(args.schemas)
    args.houqind = os.path.abspath(args.houqind)
    args.houqinctl = os.path.abspath(args.houqinctl)
    readme = args.readme or os.path.join(args.rules, "README.md")
    text = open(readme, encoding="utf-8").read()

    blocks = read_blocks(readme)
    by_path = {}
    for b in blocks:
        if b.path is None:
            fail("%s: a ```yaml block must start with its file name, like '# rules/examples/x.yaml'" % b.where())
            continue
        if b.path in by_path:
            fail("%s: the name %s is also the block's at line %d" % (b.where(), b.path, by_path[b.path].line))
            continue
        by_path[b.path] = b
    for b in blocks:
        if b.path:
            check_one(args, b, by_path)
    check_names(blocks)
    check_all_together(args, blocks)
    check_counts(args, text)
    n = len(blocks)
    if FAILURES:
        print("%d of the manual's checks failed (%d yaml blocks)" % (len(FAILURES), n))
        return 1
    print("rules/README.md: %d yaml blocks, every example loads as shown; the summary counts are right" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
