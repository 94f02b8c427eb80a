#!/usr/bin/python3
"""Years of operation (issue 19): two simulated years of a campus, time
compressed with the manual clock, with retention (sensor.reading 30d).

- the LMDB file reaches a plateau: data.mdb after the second year is at
  most 10% larger than after the first (freed pages are reused);
- every issue's evidence (timeline seqs) is still in LMDB;
- houqinctl verify passes across the archives and LMDB, and fails on one
  flipped byte of an archive;
- houqinctl backtest over a month gives the same result before and after
  that month was archived and pruned;
- kill -9 in the middle of a retention run loses nothing (every acked
  event is in LMDB or in an archive, exactly once) and archives nothing
  twice.

Per simulated week: 3 x 7 x 48 cold-storage readings (a hot spell every
fourth week opens an issue that clears itself), 2 complaints; then clock.advance
7 days and a retention run.
"""
import glob
import json
import os
import shutil
import struct
import subprocess

import lmdb
import msgpack

import hqtest as T
from hqtest import check, check_eq

ARGS = T.parse_args(lambda p: p.add_argument("--houqinctl", required=True, help="path of houqinctl"))

DAY = 86400000


def _next_month_start():
    """The first of the month after next (UTC): the manual clock starts at
    the wall clock and only moves forward."""
    import datetime
    n = datetime.datetime.now(datetime.timezone.utc)
    y, m = (n.year, n.month + 2) if n.month <= 10 else (n.year + 1, n.month - 10)
    return int(datetime.datetime(y, m, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)


T0 = _next_month_start()
WEEKS = 104
SENSORS = 3
SPLIT_MS = 104 * 1800000  # the end of the hot spell, from the start of the week

RULE = """rules:
  - id: t.cold
    on: sensor.reading
    when:
      - {field: data.value, gt: 8}
    sustained: {for: 30m, clears_after: 30m}
    key: "{{data.sensor}}"
    issue:
      title: "冷库温度超标 {{data.sensor}}"
      domain: catering
      category: cold-chain
      severity: high
      deadline: 12h
      chain: standard
"""
POLICY = """retention:
  every: 1d
  types:
    sensor.reading: 30d
"""


def make_rules(d):
    rules = os.path.join(d, "rules")
    os.makedirs(rules)
    for f in ("escalation.yaml", "org.yaml"):
        shutil.copy(os.path.join(ARGS.rules, f), rules)
    with open(os.path.join(rules, "t.yaml"), "w") as f:
        f.write(RULE)
    with open(os.path.join(rules, "retention.yaml"), "w") as f:
        f.write(POLICY)
    return rules


def week_events(w):
    """SENSORS sensors every 30 minutes (a hot spell of 2 hours on cs-0
    every fourth week: a sustained issue that clears itself), and two
    complaints a week (records, kept for good)."""
    out = []
    base = T0 + w * 7 * DAY
    for i in range(7 * 48):
        ts = base + i * 1800000
        for s in range(SENSORS):
            hot = s == 0 and (w % 4 == 1) and 100 <= i < 104
            eid = "r-%d-%d-%d" % (w, i, s)
            out.append((eid, T.pack(T.event(eid, type="sensor.reading", source="gw", ts=ts,
                                            data=T.sensor_data(value=12.0 if hot else 4.5, sensor="cs-%d" % s))),
                        ts - base))
    for dd in (1, 4):
        eid = "c-%d-%d" % (w, dd)
        out.append((eid, T.pack(T.event(eid, type="complaint.submitted", source="portal", ts=base + dd * DAY + 3600000,
                                        data={"domain": "catering", "site": "canteen-1", "category": "hygiene",
                                              "text": "投诉 %d" % (w * 7 + dd)})), dd * DAY + 3600000))
    return out


def ctl(d, req, timeout=60.0):
    r = d.control().call(req, timeout=timeout)
    check(r.get("ok") is True, "%s: %r" % (req.get("cmd"), r))
    return r


def houqinctl(*args, timeout=120):
    p = subprocess.run([ARGS.houqinctl] + list(args), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def archived_seqs(state):
    """seq -> (archive name, frame) over every archive, decompressed with zstd(1)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(state, "archive", "*.hqa"))):
        raw = subprocess.run(["zstd", "-dc", path], capture_output=True, timeout=60, check=True).stdout
        up = msgpack.Unpacker(raw=False)
        up.feed(raw)
        for rec in up:
            if isinstance(rec, list):
                check(rec[0] not in out, "event %d archived twice (%s and %s)" % (rec[0], out.get(rec[0], ("",))[0],
                                                                                  path))
                out[rec[0]] = (os.path.basename(path), rec[2])
    return out


def lmdb_events(state):
    env = lmdb.open(state, readonly=True, lock=True, max_dbs=32)
    try:
        with env.begin() as txn:
            db = env.open_db(b"events", txn=txn, create=False)
            return {struct.unpack(">Q", k)[0]: bytes(v[8:]) for k, v in txn.cursor(db)}
    finally:
        env.close()


def backtest(state, rules, frm, to):
    rc, out, err = houqinctl("backtest", "--rules", rules, "--schemas", ARGS.schemas, "--state", state,
                             "--from", str(frm), "--to", str(to), "--json")
    check(rc in (0, 1), "backtest: %d %s" % (rc, err))
    r = json.loads(out)
    r.pop("elapsed_ms", None)
    return r


def test_two_years():
    d = T.Daemon(extra=["--clock", "manual"])
    rules = make_rules(d.dir)
    d.extra += ["--rules", rules]
    d.start()
    ctl(d, {"cmd": "clock.set", "ms": T0})
    acked = {}
    sizes = {}
    bt_before = None
    killed = False
    datafile = os.path.join(d.state, "data.mdb")
    for w in range(WEEKS):
        ev = week_events(w)
        # Up to the end of the hot spell, then the clock moves past it (the
        # sustained timer fires), then the rest of the week.
        split = (SPLIT_MS, 7 * DAY - SPLIT_MS)
        for part, adv in zip(([e for e in ev if e[2] < SPLIT_MS], [e for e in ev if e[2] >= SPLIT_MS]), split):
            frames = [(eid, fb) for eid, fb, _ in part]
            res = T.pipeline(d.ingest_ep, frames, window=500, timeout=60)
            for eid, fb in frames:
                r = res[eid]
                check(r["status"] == "stored", "%s: %r" % (eid, r))
                acked[r["seq"]] = fb
            ctl(d, {"cmd": "clock.advance", "ms": adv}, timeout=120)
        if w == 8:
            # The second month (stored in weeks 4..8): backtest it while it
            # is all still in LMDB.
            bt_before = backtest(d.state, rules, T0 + 35 * DAY, T0 + 56 * DAY)
            check(bt_before["events"]["in_range"] > 1000, "backtest saw %r" % bt_before["events"])
        if w == 60 and not killed:
            # kill -9 in the middle of a run: start it without waiting and
            # kill the daemon as soon as status says it is under way.
            ctl(d, {"cmd": "retention.run", "wait": False})
            for _ in range(200):
                st = d.status()
                if st["retention"]["phase"] != "idle":
                    break
            T.log("kill -9 with the retention run in phase %s" % st["retention"]["phase"])
            d.kill()
            killed = True
            d.start()
        ctl(d, {"cmd": "retention.run", "wait": True}, timeout=120)
        if w in (51, WEEKS - 1):
            sizes[w] = os.path.getsize(datafile)
    st = d.status()
    T.log("after %d weeks: %d events acked, %d in LMDB, data.mdb %s, retention %r" %
          (WEEKS, len(acked), st["events"], sizes, st["retention"]))
    check(killed, "the kill -9 step did not run")
    # Plateau.
    check(sizes[WEEKS - 1] <= sizes[51] * 1.10,
          "data.mdb grew from %d (1 year) to %d (2 years)" % (sizes[51], sizes[WEEKS - 1]))
    # Nothing acknowledged is lost, nothing archived twice, nothing altered.
    arch = archived_seqs(d.state)
    live = lmdb_events(d.state)
    for seq, fb in acked.items():
        if seq in live:
            check_eq(live[seq], fb, "event %d in LMDB" % seq)
        else:
            check(seq in arch, "event %d was acknowledged but is neither in LMDB nor in an archive" % seq)
        if seq in arch:
            check_eq(arch[seq][1], fb, "event %d in %s" % (seq, arch[seq][0]))
    check(len(live) < len(acked) / 5, "retention removed too little: %d of %d left" % (len(live), len(acked)))
    # Evidence of every issue is still readable.
    rc, out, err = houqinctl("issues", "--state", d.state, "--json")
    check_eq(rc, 0, "issues: " + err)
    issues = json.loads(out)
    check(len(issues) >= 20, "only %d issues" % len(issues))
    check(all(i["state"] == "closed" for i in issues), "issues left open: %r" % [i["number"] for i in issues if i["state"] != "closed"])
    for iss in issues:
        rc, out, err = houqinctl("issue", iss["number"], "--state", d.state, "--json")
        check_eq(rc, 0, "issue: " + err)
        for e in json.loads(out)["timeline"]:
            if e.get("seq"):
                check(e["seq"] in live, "%s: evidence event %d is gone from LMDB" % (iss["number"], e["seq"]))
    # verify across archives and LMDB, then with one flipped byte.
    rc, out, err = houqinctl("verify", "--state", d.state)
    check_eq(rc, 0, "verify: %s %s" % (out, err))
    check("archives: intact" in out, out)
    # The backtest of February equals the one before it was archived and pruned.
    bt_after = backtest(d.state, rules, T0 + 35 * DAY, T0 + 56 * DAY)
    check_eq(bt_after, bt_before, "backtest of weeks 5..7 before and after archiving")
    victim = sorted(glob.glob(os.path.join(d.state, "archive", "*.hqa")))[3]
    with open(victim, "r+b") as f:
        f.seek(os.path.getsize(victim) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x01]))
    rc, out, err = houqinctl("verify", "--state", d.state)
    check_eq(rc, 1, "verify after a flipped byte: %s %s" % (out, err))
    check("does not match its manifest" in out and os.path.basename(victim) in out, out)
    d.stop()


if __name__ == "__main__":
    T.main([test_two_years])
