#!/usr/bin/python3
"""Upgrade of a state written by the released version (issue 16).

tests/data/state-v1/state.dump.gz is mdb_dump -a of a state that the
binaries before the typed timeline wrote (see its README.md): timeline
entries are [ts, what, actor, seq, hash] arrays with English-prefixed
words.  Loaded with mdb_load, started under houqind and stopped:

- houqind kept a copy beside the state (<state>.before-typed-timeline)
  before it changed anything, and that copy still has the old entries;
- every timeline entry is now a typed record (a msgpack map with a kind),
  the old words kept as they were hashed, the kinds parsed once;
- `houqinctl verify` finds every chain intact (old entries hash as they
  did, new ones chain on from them);
- `houqinctl issues --json` gives each entry a kind and words without an
  English prefix;
- a second start does not upgrade again.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys

import lmdb
import msgpack

import hqtest as T
from hqtest import check, check_eq

HERE = os.path.dirname(os.path.abspath(__file__))
DUMP = os.path.join(HERE, "..", "data", "state-v1", "state.dump.gz")


def load_dump(state):
    os.makedirs(state)
    with gzip.open(DUMP, "rb") as f:
        data = f.read()
    r = subprocess.run(["mdb_load", "-f", "/dev/stdin", state], input=data, capture_output=True)
    check(r.returncode == 0, "mdb_load: %s" % r.stderr.decode())


def timelines(state):
    env = lmdb.open(state, readonly=True, lock=False, max_dbs=16, subdir=True)
    out = {}
    with env.begin() as txn:
        db = env.open_db(b"issues", txn=txn, create=False)
        for k, v in txn.cursor(db):
            out[k.decode()] = msgpack.unpackb(v, raw=False)["timeline"]
    env.close()
    return out


ARGS = T.parse_args(lambda p: p.add_argument("--houqinctl", required=True))


def test_upgrade_of_a_released_state():
    state = os.path.join(T.tmpdir("hq-upgrade-"), "state")
    load_dump(state)
    before = timelines(state)
    check(len(before) >= 20, "the old state has its issues: %d" % len(before))
    check(all(isinstance(e, list) for tl in before.values() for e in tl), "the old entries are arrays")

    d = T.Daemon(state=state)
    d.start()
    check_eq(d.stop(), 0, "clean stop")
    log = open(d.logpath, encoding="utf-8", errors="replace").read()
    check("typed the timelines of %d issues" % len(before) in log, "the upgrade is logged: %s" % log[-2000:])

    backup = state + ".before-typed-timeline"
    check(os.path.exists(os.path.join(backup, "data.mdb")), "a copy of the state was kept at %s" % backup)
    check(all(isinstance(e, list) for tl in timelines(backup).values() for e in tl), "the copy is the old state")

    after = timelines(state)
    for num, tl in before.items():
        new = after[num][:len(tl)]
        for old, e in zip(tl, new):
            check(isinstance(e, dict) and e.get("k", 0) > 0, "%s: a typed entry: %r" % (num, e))
            check_eq(e.get("w"), old[1], "%s: the old words are kept as hashed" % num)
            check_eq(e.get("h"), old[4], "%s: the hash is unchanged" % num)

    r = subprocess.run([T.ARGS.houqinctl, "verify", "--state", state], capture_output=True, text=True)
    check(r.returncode == 0 and "timelines: intact" in r.stdout, "verify: %s %s" % (r.stdout, r.stderr))

    r = subprocess.run([T.ARGS.houqinctl, "issues", "--state", state, "--json"], capture_output=True, text=True)
    check(r.returncode == 0, "issues --json: %s" % r.stderr)
    issues = {i["number"]: i for i in json.loads(r.stdout)}
    one = issues["HQ-2026-000001"]
    kinds = [e["kind"] for e in one["timeline"]]
    check_eq(kinds[:5], ["opened", "acknowledged", "rectified", "reopened", "penalty"], "kinds parsed")
    check("closed" in kinds and "escalated" in kinds and "accountability" in kinds, "kinds: %r" % kinds)
    pen = [e for e in one["timeline"] if e["kind"] == "penalty"]
    check_eq([p.get("amount_cents") for p in pen], [100000, 50000, 50000], "penalty amounts parsed")
    for i in issues.values():
        for e in i["timeline"]:
            check(":" not in e["what"][:20] or not e["what"].split(":")[0].isascii(),
                  "no English prefix in the words: %r" % e["what"])

    # A second start does not upgrade again (nor copy again).
    shutil.rmtree(backup)
    d.start()
    check_eq(d.stop(), 0, "clean stop")
    check(not os.path.exists(backup), "no second copy")
    print("upgrade: ok (%d issues)" % len(before))


if __name__ == "__main__":
    T.main([test_upgrade_of_a_released_state])
