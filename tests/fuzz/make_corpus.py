#!/usr/bin/python3
"""make_corpus - (re)writes the seed corpora in tests/fuzz/corpus/<target>/.

Seeds are named: valid inputs built from the shipped schemas and rules, and
the hostile inputs that the libraries' known hazards call for (msgpack
headers that declare huge counts, deep nesting, YAML bombs).  Inputs that
libFuzzer found and that were fixed go in as crash-<what>; they are not
written by this script and it never deletes them.

Run after changing schemas/ or rules/:  /usr/bin/python3 tests/fuzz/make_corpus.py
Uses Debian's python3-msgpack and python3-yaml.
"""

import glob
import os
import struct
import sys

import msgpack
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def clear(target):
    """Removes the seeds this script writes (seed-*), keeps crash-* inputs."""
    d = os.path.join(CORPUS, target)
    for p in glob.glob(os.path.join(d, "seed-*")):
        os.remove(p)


def pack(o):
    return msgpack.packb(o, use_bin_type=True)


# ---------------------------------------------------------------- msgpack

def hostile_msgpack():
    """The msgpack shapes that break a naive msgpack-c unpacker."""
    h = {
        "array32-ffffffff": b"\xdd\xff\xff\xff\xff",
        "map32-ffffffff": b"\xdf\xff\xff\xff\xff",
        "array32-08000000": b"\xdd\x08\x00\x00\x00",
        "array32-04000000": b"\xdd\x04\x00\x00\x00",
        "map32x22-c1": b"\xdf" * 22 + b"\xc1",
        "nested-array32x32": b"\xdd\x01\x00\x00\x00" * 32 + b"\xc0",
        "nested-array32-2p24x32": b"\xdd\x00\x00\x00\x01" * 32 + b"\xc0",
        "reserved-c1": b"\xc1",
        "empty": b"",
        "str32-huge": b"\xdb\xff\xff\xff\xff" + b"a" * 8,
        "bin32-huge": b"\xc6\xff\xff\xff\xff",
        "ext32-huge": b"\xc9\xff\xff\xff\xff\x01",
        "timestamp-ext-minus1": b"\xd6\xff\x00\x00\x00\x00",
        "fixarray-depth33": b"\x91" * 33 + b"\xc0",
        "fixarray-depth17": b"\x91" * 17 + b"\xc0",
        "fixarray-depth9": b"\x91" * 9 + b"\xc0",
        "fixmap-depth33": b"\x81\xa1k" * 33 + b"\xc0",
        "non-map-top": pack([1, 2, 3]),
        "nan": b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00",
        "inf": b"\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00",
        "float32-nan": b"\xca\x7f\xc0\x00\x00",
        "invalid-utf8-str": b"\xa2\xc3\x28",
        "overlong-utf8-str": b"\xa2\xc0\xaf",
        "surrogate-utf8-str": b"\xa3\xed\xa0\x80",
        "int-key-map": b"\x81\x01\x02",
        "many-small-objects": b"\xdc\xff\xff" + b"\xc0" * 65535,
    }
    return h


def envelope(typ, data, **kw):
    ev = {"id": "seed-1", "type": typ, "source": "fuzz-seed", "ts": 1725148800000, "data": data}
    ev.update(kw)
    return ev


def schema_examples():
    out = {}
    for p in sorted(glob.glob(os.path.join(TOP, "schemas", "*.yaml"))):
        with open(p, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        if isinstance(doc, dict) and "example" in doc and "type" in doc:
            out[doc["type"]] = doc["example"]
    return out


def event_corpus():
    t = "event"
    clear(t)
    ex = schema_examples()
    for typ, data in ex.items():
        write(t, "seed-valid-" + typ, pack(envelope(typ, data)))
    sensor = ex.get("sensor.reading", {})
    any_type = "sensor.reading" if sensor else next(iter(ex), "sensor.reading")
    good = pack(envelope(any_type, ex.get(any_type, {})))
    for name, b in hostile_msgpack().items():
        write(t, "seed-hostile-" + name, b)
        # the same inside data, past the envelope checks
        inner = pack(envelope(any_type, {}))
        # replace the packed empty map of data (0x80, the last byte) by the hostile bytes
        assert inner.endswith(b"\x80")
        write(t, "seed-hostile-in-data-" + name, inner[:-1] + b)
    write(t, "seed-truncated", good[: len(good) // 2])
    write(t, "seed-trailing-bytes", good + b"\xc0")
    # duplicate keys: two "source"s (a parser differential)
    dup = b"\x86" + pack("id") + pack("d1") + pack("type") + pack(any_type) + pack("source") + pack("a") \
        + pack("source") + pack("b") + pack("ts") + pack(1) + pack("data") + pack(ex.get(any_type, {}))
    write(t, "seed-duplicate-key-source", dup)
    dupd = pack(envelope(any_type, {}))[:-1] + b"\x82" + pack("site") + pack("a") + pack("site") + pack("b")
    write(t, "seed-duplicate-key-in-data", dupd)
    write(t, "seed-id-64", pack(envelope(any_type, ex.get(any_type, {}), id="i" * 64)))
    write(t, "seed-id-65", pack(envelope(any_type, ex.get(any_type, {}), id="i" * 65)))
    write(t, "seed-id-bad-chars", pack(envelope(any_type, ex.get(any_type, {}), id="a/b c")))
    write(t, "seed-source-long", pack(envelope(any_type, ex.get(any_type, {}), source="s" * 300)))
    write(t, "seed-ts-negative", pack(envelope(any_type, ex.get(any_type, {}), ts=-1)))
    write(t, "seed-ts-uint64-max", pack(envelope(any_type, ex.get(any_type, {}), ts=2**64 - 1)))
    write(t, "seed-ts-float", pack(envelope(any_type, ex.get(any_type, {}), ts=1.5)))
    write(t, "seed-type-unknown", pack(envelope("no.such.type", {})))
    write(t, "seed-data-not-map", pack(envelope(any_type, [1, 2])))
    write(t, "seed-missing-keys", pack({"id": "x"}))
    write(t, "seed-extra-key", pack(dict(envelope(any_type, ex.get(any_type, {})), extra=1)))
    write(t, "seed-bin-in-data", pack(envelope(any_type, {"site": b"\x00\x01"})))
    if sensor:
        write(t, "seed-sensor-value-nan", pack(envelope("sensor.reading", dict(sensor, value=float("nan")))))
        write(t, "seed-sensor-value-inf", pack(envelope("sensor.reading", dict(sensor, value=float("inf")))))
        write(t, "seed-sensor-value-string", pack(envelope("sensor.reading", dict(sensor, value="9.5"))))
        write(t, "seed-sensor-kind-unknown", pack(envelope("sensor.reading", dict(sensor, kind="x" * 200))))
        write(t, "seed-sensor-unknown-field", pack(envelope("sensor.reading", dict(sensor, bogus=1))))
        write(t, "seed-sensor-utf8", pack(envelope("sensor.reading", dict(sensor, location="北区厨房 冷库二号"))))
        write(t, "seed-sensor-invalid-utf8-value", pack(envelope("sensor.reading", sensor))
              .replace(b"canteen-1", b"cant\xff\xfen-1"))
    big = pack(envelope(any_type, {"site": "x" * (64 * 1024)}))
    write(t, "seed-oversized", big)


def control_corpus():
    t = "control"
    clear(t)
    for req in [
        {"cmd": "status"},
        {"cmd": "clock.set", "ms": 1725148800000},
        {"cmd": "clock.advance", "ms": 3600000},
        {"cmd": "clock.advance", "ms": -1},
        {"cmd": "clock.advance", "ms": 2**64 - 1},
        {"cmd": "reload"},
        {"cmd": "outbox.range", "from": 1, "to": 100},
        {"cmd": "outbox.range", "from": 1, "to": 2**63 - 1},
        {"cmd": "outbox.range", "from": -5, "to": 3},
        {"cmd": "nope"},
        {"cmd": 7},
        {},
        {"cmd": "status", "args": [{"x": 1}], "data": {"items": [{}, {}, {}, {"code": "a"}]}},
        [1, 2],
    ]:
        name = "seed-" + (str(req.get("cmd", "none")) if isinstance(req, dict) else "array")
        name += "-" + "-".join(f"{k}" for k in sorted(req) if k != "cmd") if isinstance(req, dict) and len(req) > 1 else ""
        i = 0
        base = name
        while os.path.exists(os.path.join(CORPUS, t, name)):
            i += 1
            name = f"{base}-{i}"
        write(t, name, pack(req))
    for name, b in hostile_msgpack().items():
        write(t, "seed-hostile-" + name, b)
    write(t, "seed-duplicate-cmd", b"\x82" + pack("cmd") + pack("status") + pack("cmd") + pack("reload"))


# ---------------------------------------------------------------- YAML

def hostile_yaml():
    laughs = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        laughs.append(f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 10) + "]")
    return {
        "deep-flow-50000": "[" * 50000 + "1" + "]" * 50000 + "\n",
        "deep-flow-10000-map": "{a: " * 10000 + "1" + "}" * 10000 + "\n",
        "deep-block-100": "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n",
        "alias-cycle": "&a [ *a ]\n",
        "alias-cycle-map": "&a {k: *a}\n",
        "billion-laughs": "\n".join(laughs) + "\n",
        "duplicate-keys": "type: a\ntype: b\nfields: {}\n",
        "duplicate-keys-nested": "fields:\n  x: {type: int}\n  x: {type: string}\n",
        "python-tag": "type: !!python/object/apply:os.system ['true']\n",
        "local-tag": "type: !local x\n",
        "merge-key": "base: &b {type: int}\nfields:\n  x:\n    <<: *b\n",
        "two-documents": "a: 1\n---\nb: 2\n",
        "non-utf8": b"type: \xff\xfe\nfields: {}\n",
        "utf16-bom": b"\xff\xfet\x00y\x00p\x00e\x00:\x00 \x00x\x00\n\x00",
        "nul-byte": b"type: a\x00b\nfields: {}\n",
        "empty": "",
        "only-comment": "# nothing\n",
        "scalar-top": "just a string\n",
        "seq-top": "- 1\n- 2\n",
        "complex-key": "? [a, b]\n: c\n",
        "long-scalar-64k": "k: " + "x" * 65536 + "\n",
        "tabs": "a:\n\tb: 1\n",
        "unterminated-quote": 'type: "abc\n',
        "huge-int": "min: 99999999999999999999999999999\n",
        "numbers": "a: 1e400\nb: -0\nc: 0x10\nd: .inf\ne: .nan\nf: 1_000\n",
    }


def schema_corpus():
    t = "schema"
    clear(t)
    for p in sorted(glob.glob(os.path.join(TOP, "schemas", "*.yaml"))):
        with open(p, "rb") as f:
            write(t, "seed-" + os.path.basename(p), f.read())
    for name, y in hostile_yaml().items():
        write(t, "seed-hostile-" + name, y)
    # hostile inside a schema's structure
    write(t, "seed-field-kinds", """type: fuzz.kinds
fields:
  s: {type: string, min_length: 2, max_length: 3}
  i: {type: int, min: -5, max: 5}
  n: {type: number, min: 0.5, max: 1.5}
  b: {type: bool}
  e: {type: enum, values: [a, b, c]}
  ts: {type: timestamp}
  m:
    type: map
    fields:
      x: {type: int, optional: true}
  arr:
    type: array
    min_items: 1
    max_items: 2
    items:
      type: map
      fields:
        code: {type: string}
        result: {type: enum, values: [pass, fail]}
example:
  s: abcd
  i: 7
  n: 2.5
  b: "yes"
  e: d
  ts: -1
  m: {x: 1, y: 2}
  arr:
    - {code: a1, result: ok}
    - {code: a2, result: pass}
    - {code: a3, result: fail}
""")
    write(t, "seed-limits-inverted", "type: fuzz.inv\nfields:\n  v: {type: number, min: 5, max: 1}\n"
          "example:\n  v: 3\n")
    write(t, "seed-deep-fields", "type: fuzz.deep\nfields:\n" + "".join(
        "  " * (i + 1) + f"f{i}:\n" + "  " * (i + 2) + "type: map\n" + "  " * (i + 2) + "fields:\n"
        for i in range(0, 40, 2)) + "  " * 42 + "leaf: {type: int}\n")


def merged_rules():
    """The shipped rule set in one file: every file cut into its top-level
    blocks (a key at column 0 and the indented or comment lines under it),
    the blocks of one key joined under a single header (lists append,
    mappings merge), keys in first-seen order."""
    files = sorted(p for p in glob.glob(os.path.join(TOP, "rules", "**", "*.yaml"), recursive=True)
                   if not p.endswith(".test.yaml") and "/tests/" not in p)
    order, bodies, heads = [], {}, {}
    for p in files:
        with open(p, encoding="utf-8") as f:
            lines = f.read().splitlines()
        key = None
        for line in lines:
            top = line and not line[0].isspace() and not line.startswith("#") and ":" in line
            if top:
                key = line.split(":", 1)[0]
                rest = line.split(":", 1)[1].strip()
                if key not in bodies:
                    order.append(key)
                    bodies[key] = []
                    heads[key] = line
                elif rest and not rest.startswith("#"):
                    raise SystemExit(f"make_corpus: cannot merge {p}: scalar key {key} twice")
                continue
            if key is not None:
                bodies[key].append(line)
    out = []
    for key in order:
        out.append(heads[key])
        out.extend(bodies[key])
    return "\n".join(out) + "\n"


def rules_corpus():
    t = "rules"
    clear(t)
    for p in sorted(glob.glob(os.path.join(TOP, "rules", "**", "*.yaml"), recursive=True)):
        if p.endswith(".test.yaml") or "/tests/" in p:
            continue  # rule tests: the ruletest target's
        rel = os.path.relpath(p, os.path.join(TOP, "rules")).replace("/", "_")
        with open(p, "rb") as f:
            write(t, "seed-" + rel, f.read())
    write(t, "seed-merged-shipped-rules.yaml", merged_rules())
    for name, y in hostile_yaml().items():
        write(t, "seed-hostile-" + name, y)
    write(t, "seed-rule-minimal", """chains:
  fuzz-chain:
    - {level: 1, after: 0s, notify: [supervisor]}
rules:
  - id: fuzz.minimal
    on: sensor.reading
    when:
      any:
        - {field: data.value, gt: 8}
        - not: {field: data.kind, in: [freezer_temp, hot_water_temp]}
    count: {at_least: 3, within: 1d}
    key: "{{data.sensor}}"
    issue:
      title: "too warm: {{data.value}}"
      domain: catering
      category: food-safety
      severity: high
      deadline: 24h
      chain: fuzz-chain
""")
    write(t, "seed-durations", "chains:\n  c:\n    - {level: 1, after: 0s, notify: [supervisor]}\n"
          "    - {level: 2, after: 1h30m, notify: [section_head]}\n"
          "    - {level: 3, after: 99999999999999d, notify: [office_director]}\n")


def json_corpus():
    t = "json"
    clear(t)
    import json
    ex = schema_examples()
    for typ, data in ex.items():
        write(t, "seed-event-" + typ, json.dumps(envelope(typ, data), ensure_ascii=False))
    for name, j in {
        "scalars": '[null, true, false, 0, -1, 1.5, 1e300, -0.0, 18446744073709551615, -9223372036854775808, "s"]',
        "escapes": '"a\\"b\\\\c\\n\\t\\u00e9\\u4e2d\\u001f\\/"',
        "nul-escape": '"a\\u0000b"',
        "surrogate-pair": '"\\ud83d\\ude00"',
        "nested": '{"a": {"b": {"c": [1, [2, [3, {"d": null}]]]}}}',
        "deep-40": "[" * 40 + "]" * 40,
        "deep-70": "[" * 70 + "]" * 70,
        "empty-object": "{}",
        "empty": "",
        "unquoted-string": "{\"a\": hello}",
        "single-quoted": "{'a': 'b'}",
        "duplicate-keys": '{"a": 1, "a": 2}',
        "trailing-garbage": '{"a": 1} x',
        "big-int": "123456789012345678901234567890",
        "float-forms": "[1.0, 1e5, 1E-5, 0.1, 100000000000000000000.0, 2.2250738585072014e-308, 1.7976931348623157e308]",
        "float-subnormal": "5e-324",
        "float-overflow": "1e400",
        "yaml-not-json": "a: 1\nb: [2, 3]\n",
        "alias": "[&a 1, *a]",
        "tag": '!!binary "aGk="',
        "nan-literal": "[.nan, .inf, -.inf, NaN]",
        "control-chars": '"\x01\x7f"',
        "utf8": '{"地点": "北区食堂", "emoji": "😀"}',
    }.items():
        write(t, "seed-" + name, j)
    write(t, "seed-hostile-deep-flow-50000", hostile_yaml()["deep-flow-50000"])
    write(t, "seed-hostile-billion-laughs", hostile_yaml()["billion-laughs"])
    write(t, "seed-hostile-alias-cycle", hostile_yaml()["alias-cycle"])


def main():
    event_corpus()
    control_corpus()
    schema_corpus()
    rules_corpus()
    json_corpus()
    for t in sorted(os.listdir(CORPUS)):
        print(f"{t}: {len(os.listdir(os.path.join(CORPUS, t)))} inputs")


if __name__ == "__main__":
    sys.exit(main())
