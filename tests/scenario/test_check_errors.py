#!/usr/bin/python3
"""`houqind --check` on rule files with each kind of mistake (issue 3, "Bad
input"; SPEC §3 "Validation", §8 exit status).

Each case is a rules directory with the shipped org, chains and contractor
files plus one file holding one kind of mistake, at a known place.  For
each: `houqind --check --rules DIR` exits 1, prints FILE:LINE:COLUMN:
reason at exactly that line and column (with a word of the reason), does
not print the "configuration OK" summary, and a daemon started on the
directory refuses to start (exit 1): nothing is loaded.

Mistakes: YAML syntax; an unknown key; wrong types (an integer, a text, a
list); an unknown chain; an unknown role in a chain; unknown penalty terms;
a bad duration ("two days"); a duplicate rule id; a template naming a field
the event type's schema lacks; a condition on a field the schema lacks; an
enum value not in the schema; an anchor; an alias; a custom tag; a
duplicate key; 50,000-deep nesting (flow and block style: refused at the
depth cap, not after libyaml built it all); a file over the size cap.

test_all_errors_in_one_run: a directory with several bad rules in several
files gets every error printed in one run.  test_shipped_rules_check: the
shipped rules pass.
"""
import os
import re
import time

import scen as S
from scen import check, check_eq, log

GOOD_ISSUE = '    issue: {title: "t {{data.site}}", domain: catering, deadline: 4h, chain: standard}\n'


def rule(body, id="t.a", on="complaint.submitted", issue=GOOD_ISSUE):
    return "  - id: %s\n    on: %s\n%s%s" % (id, on, body, issue)


# (name, file text, [(line, column, words of the reason)]); the file is x.yaml
CASES = [
    ("yaml syntax",
     "rules:\n  - id: t.a\n    on: complaint.submitted: x\n" + GOOD_ISSUE,
     [(3, 28, "mapping values")]),
    ("yaml syntax: unclosed flow",
     "rules:\n  - id: t.a\n    on: complaint.submitted\n    when: {field: data.site, eq: x\n" + GOOD_ISSUE,
     [(5, 10, "yaml syntax")]),
    ("unknown key",
     "rules:\n" + rule("    whn: {field: data.site, eq: x}\n"),
     [(4, 5, "whn")]),
    ("wrong type: integer",
     "rules:\n" + rule("    count: {at_least: five, within: 24h}\n    key: \"{{data.site}}\"\n"),
     [(4, 23, "integer")]),
    ("wrong type: text",
     "rules:\n" + rule("", issue="    issue: {title: [a, b], domain: catering, deadline: 4h, chain: standard}\n"),
     [(4, 20, "text")]),
    ("wrong type: issue is a list",
     "rules:\n" + rule("", issue="    issue: [title, domain]\n"),
     [(4, 12, "mapping")]),
    ("unknown chain",
     "rules:\n" + rule("", issue="    issue: {title: t, domain: catering, deadline: 4h, chain: nosuch}\n"),
     [(4, 62, "nosuch")]),
    ("unknown penalty terms",
     "rules:\n" + rule("", issue="    issue:\n      title: t\n      domain: catering\n      deadline: 4h\n"
                                 "      chain: standard\n      penalties: nosuch-contract\n"),
     [(9, 18, "nosuch-contract")]),
    ("bad duration",
     "rules:\n" + rule("", issue="    issue:\n      title: t\n      domain: catering\n      deadline: two days\n"
                                 "      chain: standard\n"),
     [(7, 17, "two days")]),
    ("duplicate rule id",
     "rules:\n" + rule("") + rule("", on="sensor.reading"),
     [(5, 9, "t.a")]),
    ("template field the schema lacks",
     "rules:\n" + rule("", issue="    issue:\n      title: \"{{data.site}} {{data.nosuch}}\"\n"
                                 "      domain: catering\n      deadline: 4h\n      chain: standard\n"),
     [(5, 14, "nosuch")]),
    ("condition field the schema lacks",
     "rules:\n" + rule("    when: {field: data.nosuch, eq: x}\n"),
     [(4, 19, "nosuch")]),
    ("enum value not in the schema",
     "rules:\n" + rule("    when:\n      all:\n        - {field: data.kind, eq: cold_storage_tmp}\n"
                       "        - {field: data.value, gt: 8}\n", on="sensor.reading"),
     [(6, 34, "cold_storage_tmp")]),
    ("anchor",
     "rules:\n" + rule("    when: &c {field: data.site, eq: x}\n"),
     [(4, 11, "anchor")]),
    ("alias",
     "rules:\n" + rule("    when: *c\n"),
     [(4, 11, "alias")]),
    ("custom tag",
     "rules:\n" + rule("    when: !!python/object {field: data.site, eq: x}\n"),
     [(4, 11, "tag")]),
    ("duplicate key",
     "rules:\n" + rule("    on: sensor.reading\n"),
     [(4, 5, "duplicate")]),
    ("a scheduled rule's site is nobody's",
     "sites:\n  - {id: t-orphan, name: 无主地点, domain: maintenance}\n"
     "rules:\n  - id: t.daily\n    on: inspection.submitted\n    when: {field: data.kind, eq: self}\n"
     "    schedule: {every: day, by: \"18:00\"}\n    units: [t-orphan]\n"
     "    issue: {title: \"缺少自查：{{unit.name}}\", domain: maintenance, deadline: 24h, chain: standard}\n"
     "    owner: contractor\n",
     [(4, 5, "nobody's")]),
    ("a key on a scheduled rule",
     "rules:\n  - id: t.daily\n    on: inspection.submitted\n    when: {field: data.kind, eq: self}\n"
     "    schedule: {every: day, by: \"18:00\"}\n    units: {sites: catering}\n    key: \"{{data.site}}\"\n"
     "    issue: {title: \"缺少自查：{{unit.name}}\", domain: catering, deadline: 24h, chain: standard}\n"
     "    owner: contractor\n",
     [(7, 10, "key is not used")]),
    ("50,000-deep flow nesting",
     "rules:\n  - id: t.a\n    on: complaint.submitted\n    when: " + "[" * 50000 + "]" * 50000 + "\n" + GOOD_ISSUE,
     [(4, 11 + 64 - 3, "nesting")]),
]

CHAIN_CASES = [
    ("unknown role",
     "chains:\n  extra:\n    - {level: 1, notify: [section_head, janitor]}\n",
     [(3, 41, "janitor")]),
    ("chain level out of order",
     "chains:\n  extra:\n    - {level: 1, notify: [section_head]}\n    - {level: 3, after: 1h, notify: [admin]}\n",
     [(4, 7, "levels")]),
]


def deep_block(n):
    """n levels of block-style nesting, compact ("- - - ... x": a list in a
    list ...), as the value of a rule's when."""
    return "rules:\n  - id: t.a\n    on: complaint.submitted\n    when:\n      " + "- " * n + "x\n" + GOOD_ISSUE


def base_files():
    files = {}
    for name in ("org.yaml", "escalation.yaml", "contractors.yaml", "permissions.yaml"):
        with open(os.path.join(S.ARGS.rules, name), encoding="utf-8") as f:
            files[name] = f.read()
    return files


def run_check(d, timeout=60.0):
    t0 = time.monotonic()
    rc, out, err = S.T.run_houqind(["--check", "--rules", d, "--schemas", S.ARGS.schemas], timeout=timeout)
    return rc, out + err, time.monotonic() - t0


def check_case(name, rel, text, want, start_daemon=True):
    files = base_files()
    files[rel] = text
    d = S.rules_dir(files)
    path = os.path.join(d, rel)
    rc, out, secs = run_check(d)
    check_eq(rc, 1, "%s: --check exit status (output %r)" % (name, out[-2000:]))
    check("configuration OK" not in out, "%s: --check printed a summary: %r" % (name, out[-500:]))
    lines = [l for l in out.splitlines() if path in l]
    for line, col, word in want:
        pos = "%s:%d:%d: " % (path, line, col)
        hit = [l for l in lines if pos in l]
        check(hit, "%s: no error at %d:%d in:\n%s" % (name, line, col, "\n".join(lines) or out[-2000:]))
        check(any(word.lower() in l.lower() for l in hit), "%s: the error at %d:%d does not say %r: %r" %
              (name, line, col, word, hit))
    log("%-34s %s" % (name, lines[0].split(path)[-1][:110] if lines else "?"))
    if start_daemon:
        w = S.T.tmpdir()
        rc2, out2, err2 = S.T.run_houqind(["--state", os.path.join(w, "st"), "--rules", d, "--schemas", S.ARGS.schemas,
                                           "--ingest", "ipc://%s/in" % w, "--control", "ipc://%s/ctl" % w,
                                           "--publish", "ipc://%s/pub" % w, "--clock", "manual"], timeout=60)
        check_eq(rc2, 1, "%s: houqind on the directory must not start (stderr %r)" % (name, err2[-500:]))
    return out


KEY = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"  # a Z85 public key (the ZMQ RFC 32 example)


def at(text, line, token):
    """(line, column) of token's first character on 1-based line of text."""
    return line, text.split("\n")[line - 1].index(token) + 1


def permission_cases():
    """Issue 13, "Bad input": the organisation and its permission table."""
    cases = []

    def add(name, text, line, token, words):
        l, c = at(text, line, token)
        cases.append((name, text, [(l, c, words)]))
    t = "permissions:\n  - {role: contractor_contact, actions: [ack, close]}\n"
    add("permission: contractors close", t, 2, "close]", "separation of duties")
    t = "permissions:\n  - {role: contractor_contact, actions: [recheck]}\n"
    add("permission: contractors recheck", t, 2, "recheck]", "may never recheck")
    t = "permissions:\n  - {role: superviser, actions: [recheck]}\n"
    add("permission: unknown role", t, 2, "superviser", "unknown role \"superviser\"")
    t = "permissions:\n  - {role: supervisor, actions: [pass]}\n"
    add("permission: unknown action", t, 2, "pass]", "unknown action \"pass\"")
    t = "staff_keys:\n  - {person: nobody.at.all, key: \"%s\"}\n" % KEY
    add("staff key: unknown person", t, 2, "nobody.at.all", "unknown person \"nobody.at.all\"")
    t = ("staff_keys:\n  - {person: lin.sup, key: \"%s\"}\n  - {person: chen.catering, key: \"%s\"}\n" %
         (KEY, KEY))
    add("staff key: bound to two people", t, 3, '"rq:', "bound to two people: lin.sup and chen.catering")
    t = "staff_keys:\n  - {person: lin.sup, key: \"not-a-key\"}\n"
    add("staff key: not a key", t, 2, '"not-a-key"', "40-character Z85")
    t = "people:\n  - {id: ghost, name: 无角色, roles: []}\n"
    add("person with no role", t, 2, "[]", "has no role")
    t = "people:\n  - {id: two.hats, roles: [\"contractor_contact:xinyuan-catering\", section_head:catering]}\n"
    add("contractor's person who may close", t, 2, "[\"contractor", "two.hats is a contractor's contact")
    return cases


def test_permission_mistakes():
    failed = []
    for name, text, want in permission_cases():
        try:
            check_case(name, "x.yaml", text, want)
        except S.T.TestFailure as e:
            failed.append(str(e))
    check(not failed, "%d case(s) failed:\n%s" % (len(failed), "\n".join(failed)))


def test_rule_mistakes():
    failed = []
    for name, text, want in CASES:
        try:
            check_case(name, "x.yaml", text, want)
        except S.T.TestFailure as e:
            failed.append(str(e))
    check(not failed, "%d case(s) failed:\n%s" % (len(failed), "\n".join(failed)))


def test_chain_mistakes():
    failed = []
    for name, text, want in CHAIN_CASES:
        try:
            check_case(name, "chains-x.yaml", text, want)
        except S.T.TestFailure as e:
            failed.append(str(e))
    check(not failed, "%d case(s) failed:\n%s" % (len(failed), "\n".join(failed)))


def test_hostile_yaml():
    failed = []
    # 50,000 levels in block style: the 65th level is refused
    # (the rule's map is at depth 3; the 62nd "-" would be the 65th level)
    cases = [("50,000-deep block nesting", deep_block(50000), [(5, 7 + 2 * 61, "nesting")])]
    # over the size cap (1 MiB): a long comment
    cases.append(("file over the size cap", "rules: []\n#" + "x" * (1 << 20) + "\n", [(0, 0, "larger")]))
    for name, text, want in cases:
        try:
            if want[0][0] == 0:
                files = base_files()
                files["x.yaml"] = text
                d = S.rules_dir(files)
                rc, out, _ = run_check(d)
                check_eq(rc, 1, "%s: exit status" % name)
                # a file too big to read has no line and column: FILE: reason
                check(re.search(re.escape(os.path.join(d, "x.yaml")) + r"(:\d+:\d+)?: .*larger", out),
                      "%s: %r" % (name, out[-500:]))
                log("%-34s %s" % (name, out.strip().splitlines()[0][:150]))
            else:
                check_case(name, "x.yaml", text, want)
        except S.T.TestFailure as e:
            failed.append(str(e))
    check(not failed, "%d case(s) failed:\n%s" % (len(failed), "\n".join(failed)))


def test_all_errors_in_one_run():
    files = base_files()
    files["a.yaml"] = "rules:\n" + rule("    whn: x\n", id="t.a") + rule(
        "", id="t.b", issue="    issue: {title: t, domain: catering, deadline: soon, chain: standard}\n")
    files["b/c.yaml"] = "rules:\n" + rule("    when: {field: data.nosuch, eq: x}\n", id="t.c") + rule(
        "", id="t.d", issue="    issue: {title: t, domain: catering, deadline: 4h, chain: nosuch}\n")
    d = S.rules_dir(files)
    rc, out, _ = run_check(d)
    check_eq(rc, 1, "exit status")
    a, c = os.path.join(d, "a.yaml"), os.path.join(d, "b", "c.yaml")
    want = ["%s:4:5: " % a, "%s:8:51: " % a, "%s:4:19: " % c, "%s:8:62: " % c]
    missing = [w for w in want if w not in out]
    check(not missing, "errors missing from one run: %r\noutput:\n%s" % (missing, out))
    check("configuration OK" not in out, "summary printed")


def test_shipped_rules_check():
    rc, out, _ = run_check(S.ARGS.rules)
    check_eq(rc, 0, "--check on the shipped rules: %s" % out[-1000:])
    check("configuration OK" in out, "summary: %r" % out)


if __name__ == "__main__":
    S.parse_args()
    S.main([test_rule_mistakes, test_permission_mistakes, test_chain_mistakes, test_hostile_yaml, test_all_errors_in_one_run,
            test_shipped_rules_check])
