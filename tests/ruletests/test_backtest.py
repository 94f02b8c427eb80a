#!/usr/bin/python3
"""houqinctl backtest over a log the real houqind stored (issue 4 item 7).

The log: houqind (manual clock) runs rule set A, the shipped
catering/cold-storage.yaml (cold storage above 8 °C for 30 minutes opens a
high issue; 5 catering complaints about one site in 24 h open a medium
one), and receives:

  - cs-001 at 9.5 °C for 35 minutes          -> A opens a high issue
  - cs-002 at 12 °C for 35 minutes           -> A opens a high issue
  - 3 complaints about canteen-1             -> A: nothing
  - 5 complaints about canteen-2             -> A opens a medium issue
  - issue.rectified for cs-001's issue; issue.rectified and
    issue.rechecked (pass) for cs-002's issue -> both rectified/closed
  - then two days on the clock (canteen-2's issue escalates)

Rule set B is A with the cold-storage threshold at 10 °C, its severity
critical, and the complaint burst at 3.  The documented difference
(houqinctl backtest --help, lib/backtest.h):

  - only in the running state: cold-storage-high / cs-001 (9.5 is not > 10)
  - only in the backtest: complaint-burst / canteen-1 (3 complaints suffice)
  - different: cold-storage-high / cs-002, severity high -> critical (both
    closed: the lifecycle events were mapped by rule and key)
  - the same: complaint-burst / canteen-2 (level 2 on both sides)
  - skipped: the issue.rectified about cs-001 (no open backtest issue for
    cold-storage-high / cs-001), listed with that reason

A backtest with rule set A itself reproduces the running state: no
difference, every lifecycle event applied.  The text report names the
same groups; with stderr piped there is no progress bar.

The demo day (issue 18 item 4): houqind on the shipped rules, every
scheduled rule included, with the manual clock started at
2026-11-01 08:00 (its origin); the clock runs to 11-04 01:00 before the
first event, so that the scheduled rules open issues (missing daily
self-inspections) with no event stored yet; then scripts/demo.sh sends the
campus day of 11-02 (some 2,400 events, stored in batches; old readings
whose sustained conditions are already due), a contractor acknowledges and
rectifies one issue and a supervisor passes its recheck, and the clock runs
one more day.  `houqinctl backtest --rules rules/` starts at the origin and
must reproduce every issue exactly: same numbers, rules, keys, fields and
timelines (houqinctl issues --json on both sides, field by field).
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scenario"))

import scen as S  # noqa: E402
from scen import DAY, HOUR, MIN, T0, check, check_eq, log  # noqa: E402

COLD = "catering.cold-storage-high"
BURST = "catering.complaint-burst"


def rule_sets():
    with open(os.path.join(S.ARGS.rules, "catering", "cold-storage.yaml"), encoding="utf-8") as f:
        a = f.read()
    b = a
    for old, new in (("{field: data.value, gt: 8}", "{field: data.value, gt: 10}"),
                     ("severity: high", "severity: critical"),
                     ("count: {at_least: 5, within: 24h}", "count: {at_least: 3, within: 24h}")):
        check(old in b, "the shipped cold-storage.yaml has %r" % old)
        b = b.replace(old, new)
    return (S.rules_dir({"catering/cold-storage.yaml": a}, base=True),
            S.rules_dir({"catering/cold-storage.yaml": b}, base=True))


def complaint(hq, site, n):
    for i in range(n):
        hq.send_ok("complaint.submitted", {"domain": "catering", "site": site, "category": "food_quality",
                                           "text": "投诉 %d" % i})


def build_log(rules_a):
    """Runs houqind on rules A; returns (state dir, final clock, issues)."""
    hq = S.Hq(rules=rules_a)
    try:
        hq.start_at()
        for m in range(0, 36, 5):
            hq.set_clock(T0 + m * MIN)
            S.cold(hq, 9.5, sensor="cs-001", site="canteen-1")
            S.cold(hq, 12, sensor="cs-002", site="canteen-2")
        hq.set_clock(T0 + 1 * HOUR)
        complaint(hq, "canteen-1", 3)
        complaint(hq, "canteen-2", 5)
        iss = {(i["rule"], i["key"]): i for i in hq.issues()}
        check_eq(sorted(iss), sorted([(BURST, "canteen-2"), (COLD, "cs-001"), (COLD, "cs-002")]), "issues under A")
        hq.set_clock(T0 + 2 * HOUR)
        r = S.lifecycle(hq, "rectified", iss[(COLD, "cs-001")]["number"], actor="contact.xinyuan", evidence="修好了")
        check_eq(r.get("status"), "stored", "rectify cs-001")
        r = S.lifecycle(hq, "rectified", iss[(COLD, "cs-002")]["number"], actor="contact.xinyuan", evidence="修好了")
        check_eq(r.get("status"), "stored", "rectify cs-002")
        hq.set_clock(T0 + 3 * HOUR)
        r = S.lifecycle(hq, "rechecked", iss[(COLD, "cs-002")]["number"], result="pass")
        check_eq(r.get("status"), "stored", "recheck cs-002")
        # canteen-2's issue: due 48 h after opening, level 2 a day later
        hq.advance(4 * DAY)
        end = hq.now()
        final = {(i["rule"], i["key"]): i for i in hq.issues()}
        check_eq(final[(BURST, "canteen-2")]["level"], 2, "canteen-2's level in the running state")
        return hq.state, end, final
    finally:
        hq.stop()


def backtest(state, rules, *extra, as_json=True):
    args = ["backtest", "--state", state, "--rules", rules, "--schemas", S.ARGS.schemas] + list(extra)
    if as_json:
        args.append("--json")
    rc, out, err = S.ctl_run(args, timeout=120)
    check_eq(err, "", "stderr of houqinctl backtest (piped: no progress bar)")
    return json.loads(out) if as_json else out


def groups(lst):
    return sorted((i["rule"], i["key"]) for i in lst)


def test_two_rule_sets():
    rules_a, rules_b = rule_sets()
    state, end, running = build_log(rules_a)

    # A over its own log: the running state, reproduced
    r = backtest(state, rules_a, "--to", str(end))
    check_eq(r["only_backtest"], [], "only in the backtest, same rules")
    check_eq(r["only_running"], [], "only in the running state, same rules")
    check_eq(r["different"], [], "different, same rules")
    check_eq(r["same"], 3, "the same, same rules")
    check_eq(r["events"]["lifecycle_applied"], 3, "lifecycle events applied, same rules")
    check_eq(r["skipped"], [], "skipped, same rules")
    check_eq(r["end_ms"], end, "end_ms")

    # B: the documented difference
    r = backtest(state, rules_b, "--to", str(end))
    log(json.dumps({k: v for k, v in r.items() if k != "issues"}, ensure_ascii=False, indent=1))
    check_eq(groups(r["only_running"]), [(COLD, "cs-001")], "only in the running state")
    check_eq(groups(r["only_backtest"]), [(BURST, "canteen-1")], "only in the backtest")
    check_eq(len(r["different"]), 1, "different")
    d = r["different"][0]
    check_eq((d["rule"], d["key"], d["fields"]), (COLD, "cs-002", ["severity"]), "the difference")
    check_eq((d["running"]["severity"], d["backtest"]["severity"]), ("high", "critical"), "severities")
    check_eq((d["running"]["state"], d["backtest"]["state"]), ("closed", "closed"), "both closed")
    check_eq(r["same"], 1, "the same (canteen-2)")
    check_eq((r["backtest_issues"], r["running_issues"]), (3, 3), "issue counts")
    check_eq(r["events"]["lifecycle_applied"], 2, "lifecycle events applied")
    check_eq(r["events"]["lifecycle_skipped"], 1, "lifecycle events skipped")
    check_eq(len(r["skipped"]), 1, "skipped list")
    s = r["skipped"][0]
    check_eq((s["type"], s["issue"]), ("issue.rectified", running[(COLD, "cs-001")]["number"]), "the skipped event")
    check("no open issue for %s / cs-001" % COLD in s["reason"], "reason: %r" % s["reason"])
    burst = [i for i in r["issues"] if i["rule"] == BURST and i["key"] == "canteen-1"]
    check_eq(len(burst), 1, "the backtest's canteen-1 issue among its issues")
    check_eq(burst[0]["state"], "opened", "canteen-1 in the backtest")

    # the same in text
    out = backtest(state, rules_b, "--to", str(end), as_json=False)
    log(out)
    check("only in the backtest (1):" in out and "only in the running state (1):" in out, "text sections")
    check("severity high -> critical" in out, "text difference")
    check("no open issue for %s / cs-001" % COLD in out, "text skip reason")

    # --from after everything: nothing in range on either side
    r = backtest(state, rules_b, "--from", str(end + 1))
    check_eq((r["events"]["in_range"], r["backtest_issues"], r["running_issues"]), (0, 0, 0), "an empty range")

    # without --to the clock runs to the state's saved manual clock
    r = backtest(state, rules_a)
    check_eq((r["only_backtest"], r["only_running"], r["different"]), ([], [], []), "same rules, default end")


DEMO_DAY = "2026-11-02"
DEMO_ORIGIN = "2026-11-01T08:00+08:00"
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def test_demo_day():
    hq = S.Hq(rules=S.ARGS.rules)
    hq.extra = ["--clock", "manual@" + DEMO_ORIGIN]
    try:
        st = hq.start()
        origin = st["clock_ms"]
        hq.ctl_ok({"cmd": "clock.set", "ms": origin + 2 * DAY + 17 * HOUR})  # 11-04 01:00
        before = hq.issues()
        check(before, "the scheduled rules opened issues before the first event")
        p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "demo.sh"), "--ingest", hq.ingest_ep, "--state",
                            hq.state, "--houqinctl", S.ARGS.houqinctl, "--day", DEMO_DAY],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        out = p.stdout.decode("utf-8", "replace")
        check(p.returncode == 0, "demo.sh exited %d:\n%s" % (p.returncode, out[-3000:]))
        log(out.splitlines()[0])
        rodent = [i for i in hq.issues() if i["rule"] == "catering.rodent-detected"]
        check_eq(len(rodent), 1, "the demo's rodent issue")
        n = rodent[0]["number"]
        hq.advance(1 * HOUR)
        check_eq(S.lifecycle(hq, "acknowledged", n).get("status"), "stored", "acknowledge")
        hq.advance(2 * HOUR)
        check_eq(S.lifecycle(hq, "rectified", n, evidence="已封堵鼠洞").get("status"), "stored", "rectify")
        hq.advance(1 * HOUR)
        check_eq(S.lifecycle(hq, "rechecked", n, result="pass").get("status"), "stored", "recheck")
        hq.advance(1 * DAY)
        running = hq.issues()
        end = hq.now()
    finally:
        hq.stop()
    first_event = min(i["opened_ms"] for i in running if i["rule"] == "catering.rodent-detected")
    early = [i for i in before if i["opened_ms"] < first_event]
    check(early, "issues opened before the first event")
    log("%d issues, %d of them opened by scheduled rules before the first event" % (len(running), len(early)))

    r = backtest(hq.state, S.ARGS.rules)
    check_eq(r["end_ms"], end, "end_ms")
    check_eq((r["only_backtest"], r["only_running"], r["different"], r["skipped"]), ([], [], [], []),
             "the backtest of the daemon's own rules")
    check_eq((r["same"], r["running_issues"], r["backtest_issues"]), (len(running), len(running), len(running)),
             "issues in both")
    check_eq(r["events"]["lifecycle_applied"], 3, "lifecycle events applied")
    full = {i["number"]: i for i in hq_issues_full(hq.state)}
    got = {i["number"]: i for i in r["issues"]}
    check_eq(sorted(got), sorted(full), "issue numbers")
    for number, want in sorted(full.items()):
        for k, v in want.items():
            check_eq(got[number].get(k), v, "%s (%s / %s): %s" % (number, want["rule"], want["key"], k))
    check_eq((r["start"], r["start_ms"]), ("origin", origin), "where the backtest's clock started")
    text = backtest(hq.state, S.ARGS.rules, as_json=False)
    check("(the state's origin)" in text, "the text says where the clock started:\n" + text)


def hq_issues_full(state):
    rc, out, err = S.ctl_run(["issues", "--state", state, "--json"], timeout=60)
    return json.loads(out)


def test_usage_errors():
    rc, out, err = S.ctl_run(["backtest", "--state", "/nonexistent"], ok=False)
    check_eq(rc, 2, "exit status without --rules")
    check("--rules" in err, "message: %r" % err)
    rules_a, _ = rule_sets()
    rc, out, err = S.ctl_run(["backtest", "--state", "/nonexistent", "--rules", rules_a, "--schemas", S.ARGS.schemas],
                             ok=False)
    check_eq(rc, 2, "exit status for a missing state")
    rc, out, err = S.ctl_run(["backtest", "--state", "/nonexistent", "--rules", rules_a, "--schemas", S.ARGS.schemas,
                              "--from", "yesterday"], ok=False)
    check_eq(rc, 2, "exit status for a bad time")
    check("--from" in err, "message: %r" % err)


if __name__ == "__main__":
    S.parse_args()
    S.main([test_two_rule_sets, test_demo_day, test_usage_errors])
