#!/usr/bin/python3
"""houqinctl stats (issue 7 item 6): on the fixture state, the counts by
state, pending timers, outbox, the ingest rate from the log's tail and from
two status samples, houqin-alertd's lag from its state (made here from the
key space documented in lib/alert_queue.c), skipped when its directory is
absent; and the node_exporter textfile-collector format.
"""
import os
import re
import shutil
import struct

import lmdb

import hqtool as H
from hqtool import T, check, check_eq

D = None


def test_fixture():
    global D
    D = H.fixture_daemon()


def test_counts_and_rate_from_the_log():
    st = D.status()
    j = H.ctl("stats", "--state", D.state, "--json").json()
    check_eq(j["issues"], {"opened": 2, "acknowledged": 0, "rectified": 0, "reopened": 0, "closed": 4},
             "issues by state")
    check_eq((j["open"], j["overdue"], j["accountability"]), (2, 1, 1), "open, overdue, accountability")
    check_eq((j["events"], j["last_seq"]), (st["events"], st["last_seq"]), "events as houqind counts them")
    check_eq(j["timers"], st["timers"], "pending timers")
    check_eq(j["outbox"], st["outbox"], "outbox records")
    check_eq(j["outbox_last"], st["outbox_last"], "outbox last seq")
    check(j["timers"] > 0 and j["outbox"] > 0, "timers and outbox: %r" % j)
    # The last event (the sensor reading) was stored at the state's clock,
    # 03-14 08:00; the one before at 03-13 09:00.
    check_eq((j["rate_method"], j["events_per_second"]), ("log", round(1 / 60, 3)), "rate over 60 s")
    j = H.ctl("stats", "--state", D.state, "--json", "--window", "86400").json()
    check_eq(j["events_per_second"], round(2 / 86400, 3), "rate over a day")
    check_eq(j["alertd"], None, "no alertd asked for")
    text = H.ctl("stats", "--state", D.state).text
    for w in ("events", "events/s", "issues", "timers pending", "outbox", "map"):
        check(re.search(r"^%s\s" % re.escape(w), text, re.M), "human output lacks %r:\n%s" % (w, text))


def test_rate_from_two_samples():
    j = H.ctl("stats", "--state", D.state, "--json", "--control", D.control_ep, "--interval", "200").json()
    check_eq((j["rate_method"], j["events_per_second"]), ("control", 0.0), "rate of an idle daemon")
    r = H.ctl("stats", "--state", D.state, "--control", "ipc://%s/nothing" % T.tmpdir(), "--interval", "100",
              check_rc=2)
    check(len(r.errtext.strip().splitlines()) == 1, "no daemon: %r" % r)


def alertd_state(cursor, pending=2, dead=1):
    d = T.tmpdir()
    env = lmdb.open(d, max_dbs=8, map_size=1 << 24)
    meta = env.open_db(b"meta")
    alerts = env.open_db(b"alerts")
    queue = env.open_db(b"queue")
    deadb = env.open_db(b"dead")
    with env.begin(write=True) as txn:
        txn.put(b"format", b"1", db=meta)
        txn.put(b"cursor", struct.pack(">Q", cursor), db=meta)
        for i in range(pending):
            txn.put(b"wang.director\x00wecom\x00" + struct.pack(">Q", i + 1), T.pack({"tries": 0}), db=queue)
        for i in range(dead):
            txn.put(struct.pack(">Q", i + 1), T.pack({"seq": 1}), db=deadb)
        txn.put(struct.pack(">Q", 1), b"\x00\x00\x00\x01\x80", db=alerts)
    env.close()
    return d


def parse_prometheus(text):
    """Checks the textfile-collector format; returns {sample: value}."""
    helped, typed, samples = set(), {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helped.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            check(kind in ("counter", "gauge"), "type of %s: %s" % (name, kind))
            typed[name] = kind
        else:
            m = re.match(r'^(houqin_[a-z_]+)(\{[a-z_]+="(?:[^"\\\n]|\\["\\n])*"\})? (-?[0-9.]+(e[-+]?[0-9]+)?)$',
                         line)
            check(m, "not a sample line: %r" % line)
            check(m.group(1) in helped and m.group(1) in typed, "%s has no HELP or TYPE before it" % m.group(1))
            samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
            samples.setdefault(m.group(1), float(m.group(3)))  # by name alone too
    return samples


def test_prometheus_and_alertd():
    st = D.status()
    a = alertd_state(cursor=st["outbox_last"] - 3)
    text = H.ctl("stats", "--state", D.state, "--alertd-state", a, "--prometheus").text
    s = parse_prometheus(text)
    check_eq(s['houqin_issues{state="closed"}'], 4, "closed issues")
    check_eq(s['houqin_issues{state="opened"}'], 2, "opened issues")
    check_eq(s["houqin_events_total"], st["events"], "events")
    check_eq(s["houqin_timers_pending"], st["timers"], "timers")
    check_eq(s["houqin_outbox_last_seq"], st["outbox_last"], "outbox")
    check_eq(s["houqin_alertd_lag_records"], 3, "alertd lag")
    check_eq((s["houqin_alertd_pending_deliveries"], s["houqin_alertd_dead_letters"]), (2, 1), "alertd queue")
    human = H.ctl("stats", "--state", D.state, "--alertd-state", a).text
    check("lag 3 records" in human, "human alertd line:\n%s" % human)
    # absent: skipped, with a note for people and no alertd metrics
    gone = os.path.join(T.tmpdir(), "no-alertd")
    s = parse_prometheus(H.ctl("stats", "--state", D.state, "--alertd-state", gone, "--prometheus").text)
    check(not [k for k in s if "alertd" in k], "alertd metrics without an alertd state")
    check("skipped" in H.ctl("stats", "--state", D.state, "--alertd-state", gone).text, "note when absent")
    # --output: written whole, renamed into place, nothing left beside it
    out = os.path.join(T.tmpdir(), "houqin.prom")
    H.ctl("stats", "--state", D.state, "--prometheus", "--output", out)
    with open(out) as f:
        parse_prometheus(f.read())
    check_eq(os.listdir(os.path.dirname(out)), ["houqin.prom"], "files in the collector directory")


def test_rules_in_force():
    """Issue 18 item 5: the rule set in force, when it was loaded, and the
    last refused reload with its first error, in all three formats."""
    rules = os.path.join(T.tmpdir(), "rules")
    shutil.copytree(H.ARGS.rules, rules)
    d = T.Daemon(extra=["--clock", "manual"])
    d.argv = lambda: [T.ARGS.houqind, "--state", d.state, "--ingest", d.ingest_ep, "--control", d.control_ep,
                      "--publish", d.publish_ep, "--schemas", T.ARGS.schemas, "--rules", rules, "--clock", "manual"]
    st = d.start()
    try:
        def stats(*fmt):
            return H.ctl("stats", "--state", d.state, "--control", d.control_ep, "--interval", "10", *fmt)

        j = stats("--json").json()["rules"]
        check_eq((j["dir"], j["count"], j["loaded_ms"], j["reload_refused"], j["reload_refused_ms"],
                  j["reload_error"]), (rules, st["rules"], st["rules_loaded_ms"], False, None, None),
                 "stats --json: the rules in force, no refusal")
        check(j["count"] > 0, "rules counted: %r" % j)
        p = parse_prometheus(stats("--prometheus").text)
        check_eq(p['houqin_rules{dir="%s"}' % rules], j["count"], "houqin_rules")
        check_eq(p["houqin_rules_loaded_timestamp_seconds"], round(j["loaded_ms"] / 1000.0, 3), "loaded")
        check_eq((p["houqin_rules_reload_refused"], p["houqin_rules_reload_refused_timestamp_seconds"]), (0, 0),
                 "no refusal")
        text = stats().text
        check(re.search(r"^rules\s+%d from %s, loaded " % (j["count"], re.escape(rules)), text, re.M) and
              re.search(r"^reload refused\s+no$", text, re.M), "human output:\n" + text)
        # without --control the state alone does not say
        check("--control" in H.ctl("stats", "--state", d.state).text, "the hint without --control")
        check("rules" not in H.ctl("stats", "--state", d.state, "--json").json(), "no rules key without --control")

        # a rule file with an error: the reload is refused, the old rules stay
        with open(os.path.join(rules, "zz-broken.yaml"), "w", encoding="utf-8") as f:
            f.write('rules:\n  - id: broken\n    on: [\n')
        r = d.control().call({"cmd": "reload"})
        check(r.get("ok") is False, "reload refused: %r" % r)
        j2 = stats("--json").json()["rules"]
        check_eq((j2["dir"], j2["count"], j2["loaded_ms"], j2["reload_refused"]),
                 (rules, j["count"], j["loaded_ms"], True), "after the refusal: the old rules, refused")
        check(isinstance(j2["reload_refused_ms"], int) and j2["reload_refused_ms"] >= j["loaded_ms"],
              "refused_ms %r" % j2)
        check("zz-broken.yaml:" in j2["reload_error"], "the first error: %r" % j2["reload_error"])
        p = parse_prometheus(stats("--prometheus").text)
        refused = [k for k in p if k.startswith("houqin_rules_reload_refused{error=")]
        check(len(refused) == 1 and "zz-broken.yaml:" in refused[0] and p[refused[0]] == 1,
              "houqin_rules_reload_refused with the error: %r" % refused)
        check_eq(p["houqin_rules_reload_refused_timestamp_seconds"], round(j2["reload_refused_ms"] / 1000.0, 3),
                 "refused at")
        text = stats().text
        m = re.search(r"^reload refused\s+(.*)$", text, re.M)
        check(m and "stay in force" in m.group(1) and "zz-broken.yaml:" in m.group(1), "human output:\n" + text)

        # fixed: a reload that works clears the refusal and moves loaded_ms
        os.unlink(os.path.join(rules, "zz-broken.yaml"))
        check_eq(d.control().call({"cmd": "reload"}).get("ok"), True, "reload after the fix")
        j3 = stats("--json").json()["rules"]
        check_eq((j3["reload_refused"], j3["reload_refused_ms"], j3["reload_error"]), (False, None, None),
                 "cleared")
        check(j3["loaded_ms"] >= j2["reload_refused_ms"], "loaded again: %r" % j3)
    finally:
        d.stop()


def test_stop():
    D.stop()


if __name__ == "__main__":
    H.parse_args()
    T.main([test_fixture, test_counts_and_rate_from_the_log, test_rate_from_two_samples, test_prometheus_and_alertd,
            test_rules_in_force, test_stop])
