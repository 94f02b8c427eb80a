#!/usr/bin/python3
"""check_labels - every code the shipped rules, rule tests and schema docs
use in a field marked `labels:` has a label in the vocabulary.

A schema field with `labels: items` (inspection.submitted's items[].code)
or `labels: checklists` (its checklist) holds codes from an open list: an
inspection app may send one nobody labelled, and houqind shows it as it is
(schemas/README.md, "labels").  The codes the repository itself uses must
not show as codes, so this reads, with PyYAML:

- the schemas (schemas/*.yaml): which fields are labelled, by which
  vocabulary section, and the codes of each schema's `example`;
- the vocabulary (rules/vocabulary.yaml): the labels;
- the rule tests (rules/**/*.test.yaml): the events they send;
- the rules: the values their conditions compare a labelled field with
  (eq, ne, in);
- schemas/README.md, the section of each type with labelled fields: codes
  in its examples (`"code": "fs.x"`, `{code: fs.x`, `"checklist": "x"`) and
  the first cells of its tables headed by the field's name (| code |,
  | checklist |).

A code a rule test expects in an issue's text as it is (its
description_contains names it: the test of an unlabelled code) needs none.

Prints every code without a label with where it is used, and exits 1 if
there is any; otherwise a summary and exit 0.

    /usr/bin/python3 check_labels.py --rules DIR --schemas DIR
"""

import argparse
import os
import re
import sys

import yaml


def labelled_fields(schemas_dir):
    """{type: {dotted path (items.code): vocabulary section}} and the schemas' examples."""
    fields, examples = {}, {}

    def walk(spec, path, out):
        for name, f in (spec or {}).items():
            if not isinstance(f, dict):
                continue
            p = path + [name]
            if f.get("labels"):
                out[".".join(p)] = f["labels"]
            if f.get("type") == "map":
                walk(f.get("fields"), p, out)
            elif f.get("type") == "array" and isinstance(f.get("items"), dict):
                it = f["items"]
                if it.get("labels"):
                    out[".".join(p)] = it["labels"]
                if it.get("type") == "map":
                    walk(it.get("fields"), p, out)

    for fn in sorted(os.listdir(schemas_dir)):
        if not fn.endswith(".yaml"):
            continue
        with open(os.path.join(schemas_dir, fn), encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
        out = {}
        walk(doc.get("fields"), [], out)
        if out:
            fields[doc["type"]] = out
            examples[doc["type"]] = doc.get("example") or {}
    return fields, examples


def values_at(data, path):
    """The text values at a dotted path of data, crossing lists."""
    vals = [data]
    for part in path.split("."):
        nxt = []
        for v in vals:
            for x in (v if isinstance(v, list) else [v]):
                if isinstance(x, dict) and part in x:
                    nxt.append(x[part])
        vals = nxt
    out = []
    for v in vals:
        out.extend(x for x in (v if isinstance(v, list) else [v]) if isinstance(x, str))
    return out


def yaml_files(root):
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        for f in sorted(files):
            if f.endswith(".yaml") and not f.startswith("."):
                yield os.path.join(d, f)


def events(node):
    """Every {type, data} event of a rule test file."""
    if isinstance(node, dict):
        ev = node.get("event")
        if isinstance(ev, dict) and isinstance(ev.get("type"), str):
            yield ev
        for v in node.values():
            yield from events(v)
    elif isinstance(node, list):
        for v in node:
            yield from events(v)


def expected_texts(node):
    """The codes a rule test expects in an issue's text as they are (a code
    nobody labelled, on purpose): tokens of its description_contains."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("description_contains", "title_contains") and isinstance(v, str):
                yield from re.findall(r"[a-z][a-z0-9_.]*[a-z0-9]", v)
            else:
                yield from expected_texts(v)
    elif isinstance(node, list):
        for v in node:
            yield from expected_texts(v)


def compared(node, path):
    """The values a rule's condition compares data.<path> with."""
    if isinstance(node, dict):
        if node.get("field") == "data." + path:
            for op in ("eq", "ne", "in", "not_in"):
                v = node.get(op)
                for x in (v if isinstance(v, list) else [v]):
                    if isinstance(x, str):
                        yield x
        for v in node.values():
            yield from compared(v, path)
    elif isinstance(node, list):
        for v in node:
            yield from compared(v, path)


def readme_codes(text, typ, paths):
    """(field name, code) of the README section of typ: values in its
    examples, and the first cells of its tables headed by a labelled field's
    name (| code | ... | and | checklist | ... |)."""
    m = re.search(r"^(#+) .*`?%s`?.*$" % re.escape(typ), text, re.M)
    if not m:
        return []
    nxt = re.search(r"^#{1,%d} " % len(m.group(1)), text[m.end():], re.M)
    sec = text[m.end(): m.end() + nxt.start() if nxt else len(text)]
    names = {p.split(".")[-1] for p in paths}
    out = []
    for n in names:
        out += [(n, c) for c in re.findall(r'"?\b%s"?:\s*"?([a-z][a-z0-9_.-]*)' % re.escape(n), sec)]
    head = None
    for line in sec.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
        if not cells:
            head = None
        elif head is None:
            head = cells[0]
        elif head in names and re.fullmatch(r"`[a-z][a-z0-9_.]*`", cells[0]):
            out.append((head, cells[0].strip("`")))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", required=True)
    ap.add_argument("--schemas", required=True)
    a = ap.parse_args()
    fields, examples = labelled_fields(a.schemas)
    if not fields:
        print("no schema field is marked labels:", file=sys.stderr)
        return 1
    with open(os.path.join(a.rules, "vocabulary.yaml"), encoding="utf-8") as f:
        vocab = yaml.safe_load(f)["vocabulary"]
    used = {}  # (section, code) -> [where]
    shown_as_is = set()  # the codes rule tests expect shown as they are

    def use(typ, path, code, where):
        used.setdefault((fields[typ][path], code), []).append(where)

    for typ, ex in examples.items():
        for path in fields[typ]:
            for c in values_at(ex, path):
                use(typ, path, c, "%s/%s.yaml example" % (a.schemas, typ))
    for fn in yaml_files(a.rules):
        with open(fn, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
        if fn.endswith(".test.yaml"):
            shown_as_is.update(expected_texts(doc))
            for ev in events(doc):
                for path in fields.get(ev["type"], {}):
                    for c in values_at(ev.get("data") or {}, path):
                        use(ev["type"], path, c, fn)
            continue
        for rule in doc.get("rules") or [] if isinstance(doc, dict) else []:
            on = rule.get("on", rule.get(True))  # PyYAML reads the key on as true (YAML 1.1)
            for typ in (on if isinstance(on, list) else [on]):
                for path in fields.get(typ, {}):
                    for c in compared(rule.get("when"), path):
                        use(typ, path, c, "%s: rule %s" % (fn, rule.get("id")))
    with open(os.path.join(a.schemas, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for typ, paths in fields.items():
        for name, c in readme_codes(readme, typ, paths):
            for path in paths:
                if path.split(".")[-1] == name:
                    use(typ, path, c, "%s/README.md (%s)" % (a.schemas, typ))
    missing = sorted(k for k in used if k[1] not in (vocab.get(k[0]) or {}) and k[1] not in shown_as_is)
    for sec, code in missing:
        where = sorted(set(used[(sec, code)]))
        print("%s: no label for \"%s\" in %s/vocabulary.yaml (%s: {%s: ...}); used in %s%s" % (
            sec, code, a.rules, sec, code, ", ".join(where[:3]), " and %d more" % (len(where) - 3)
            if len(where) > 3 else ""))
    by = {}
    for sec, _ in used:
        by[sec] = by.get(sec, 0) + 1
    print("%d codes in labelled fields (%s), %d without a label" % (
        len(used), ", ".join("%s %d" % kv for kv in sorted(by.items())), len(missing)))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
