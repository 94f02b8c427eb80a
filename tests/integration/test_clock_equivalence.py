#!/usr/bin/python3
"""houqind's manual clock tells the same story as the rule-test simulator
(issue 18 item 1; SPEC §4 "time can be simulated").

A property test: for random rule sets (match, sustained with and without
self-clearing, counting and stale-data rules; deadlines, acknowledgement
and recheck reminders and chain steps in exact and in working time), random
event streams (readings, complaints, and the lifecycle actions on the
issues that exist) and random clock jumps (a minute to ten days), the
real houqind, driven through its control socket (clock.set) and its ingest
socket on a new state started with --clock manual@T0, and hq-simrun (the
simulator of `houqinctl rules test`, lib/replay/sim.c, on a kept state)
given the same operations, end with the same issues (every field of
`houqinctl issue --json`, timelines included, with their timestamps), the
same outbox records and the same event log.

test_houqinctl_clock: `houqinctl clock show|set|advance` on houqind
--clock manual@TIME: the start time, a set back on a state without events,
an advance, the refusal to go back once an event is stored (exit 1, the
reason), bad arguments (exit 2), and houqind refusing a bad manual@TIME.

A case that differs is printed with its seed and the first difference;
--seed S --cases 1 replays it.  Every wait is bounded.
"""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hqtest as T  # noqa: E402
from hqtest import check, check_eq, log  # noqa: E402

MIN = 60000
HOUR = 60 * MIN
DAY = 24 * HOUR
# Monday 2026-09-28 08:00 +08:00: the cases run across 国庆节 (10-01..07)
# and the make-up working days around it (调休), so working time matters.
T0 = 1790553600000

def extra_args(p):
    p.add_argument("--houqinctl", required=True)
    p.add_argument("--simrun", required=True)
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--cases", type=int, default=8)


def ctl(*args):
    r = subprocess.run([T.ARGS.houqinctl] + list(args), capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise T.TestFailure("houqinctl %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def pick(rng, xs):
    return xs[rng.randrange(len(xs))]


EXACT = ["0s", "30m", "2h", "1d", "3d"]
WORK = ["1 working hour", "4 working hours", "1 workday", "2 workdays"]


def duration(rng, positive=True):
    xs = (EXACT[1:] if positive else EXACT) + WORK
    return pick(rng, xs)


def random_rules(rng):
    """A rules file over the shipped registries: chains and four rules."""
    kind = pick(rng, ["exact", "work"])
    afters = sorted(rng.sample([30 * MIN, 2 * HOUR, DAY, 3 * DAY], 2)) if kind == "exact" else None
    if kind == "exact":
        steps = ["%dm" % (a // MIN) for a in afters]
    else:
        steps = ["%d working hours" % h for h in sorted(rng.sample([1, 3, 9, 20], 2))]
    lines = ["chains:", "  prop:",
             "    - {level: 1, notify: [section_head, contractor_contact]}",
             "    - {level: 2, after: %s, notify: [office_director]}" % steps[0],
             "    - {level: 3, after: %s, notify: [vice_president], accountability: true}" % steps[1],
             "rules:"]

    def issue(title, domain):
        parts = ["title: \"%s {{key}}\"" % title, "domain: %s" % domain, "deadline: %s" % duration(rng),
                 "chain: prop"]
        if rng.random() < 0.5:
            parts.append("ack_within: %s" % duration(rng))
        if rng.random() < 0.5:
            parts.append("recheck: {after: %s}" % duration(rng))
        return "    issue: {%s}" % ", ".join(parts)

    hot = rng.choice([50, 55, 60])
    lines += ["  - id: p.hot", "    on: sensor.reading",
              "    when: [{field: data.kind, eq: hot_water_temp}, {field: data.value, gt: %d}]" % hot,
              "    key: \"{{data.sensor}}\"", issue("hot", "dormitory")]
    sus = pick(rng, ["10m", "30m", "1h"])
    clears = "" if rng.random() < 0.4 else ", clears_after: %s" % pick(rng, ["10m", "20m"])
    lines += ["  - id: p.cold", "    on: sensor.reading",
              "    when: [{field: data.kind, eq: cold_storage_temp}, {field: data.value, gt: 8}]",
              "    sustained: {for: %s%s}" % (sus, clears),
              "    key: \"{{data.sensor}}\"", issue("cold", "catering")]
    lines += ["  - id: p.complaints", "    on: complaint.submitted",
              "    count: {at_least: %d, within: %s}" % (rng.choice([2, 3]), pick(rng, ["1h", "1d"])),
              "    key: \"{{data.site}}\"", issue("complaints", "catering")]
    if rng.random() < 0.6:
        lines += ["  - id: p.silent", "    on: sensor.reading",
                  "    when: [{field: data.kind, eq: cold_storage_temp}]",
                  "    stale: {after: %s}" % pick(rng, ["2h", "6h"]),
                  "    key: \"{{data.sensor}}\"", issue("silent", "catering")]
    return "\n".join(lines) + "\n"


def rules_dir(text):
    """The shipped files that hold no rules or schedules, plus p.yaml."""
    d = os.path.join(T.tmpdir("hq-eq-rules-"), "rules")
    os.mkdir(d)
    for name in sorted(os.listdir(T.ARGS.rules)):
        src = os.path.join(T.ARGS.rules, name)
        if not name.endswith(".yaml") or not os.path.isfile(src):
            continue
        body = open(src, encoding="utf-8").read()
        if body.startswith("rules:") or "\nrules:" in body or "\nschedules:" in body:
            continue
        open(os.path.join(d, name), "w", encoding="utf-8").write(body)
    open(os.path.join(d, "p.yaml"), "w", encoding="utf-8").write(text)
    return d


def random_ops(rng, n):
    """[("A", ms) | ("E", ms, event) | ("L", ms, action)]: a clock jump, an
    event, or a lifecycle action on the k-th issue that exists then."""
    ops, now, seq = [], T0, 0
    for _ in range(n):
        r = rng.random()
        if r < 0.3:
            now += pick(rng, [MIN, 20 * MIN, HOUR, 5 * HOUR, DAY, 3 * DAY, 10 * DAY])
            ops.append(("A", now))
            continue
        now += rng.choice([0, MIN, 7 * MIN, 31 * MIN])
        seq += 1
        eid = "p-%d" % seq
        if r < 0.75:
            sensor, kind, site = pick(rng, [("cs-001", "cold_storage_temp", "canteen-1"),
                                            ("cs-002", "cold_storage_temp", "canteen-2"),
                                            ("hw-101", "hot_water_temp", "dorm-1")])
            hi = 12 if kind == "cold_storage_temp" else 65
            value = round(rng.uniform(hi - 8, hi), 1)
            data = {"sensor": sensor, "kind": kind, "value": value, "unit": "C", "site": site}
            ops.append(("E", now, {"id": eid, "type": "sensor.reading", "source": "gw", "ts": now, "data": data}))
        elif r < 0.88:
            data = {"domain": "catering", "site": pick(rng, ["canteen-1", "canteen-2"]), "category": "hygiene",
                    "text": "不干净"}
            ops.append(("E", now, {"id": eid, "type": "complaint.submitted", "source": "web", "ts": now,
                                   "data": data}))
        else:
            act = pick(rng, [("issue.acknowledged", "contact.xinyuan", {}),
                             ("issue.rectified", "contact.xinyuan", {"evidence": "已整改"}),
                             ("issue.rechecked", "lin.sup", {"result": "pass"}),
                             ("issue.rechecked", "lin.sup", {"result": "fail"})])
            ops.append(("L", now, eid, rng.randrange(4), act))
    return ops


def number(k):
    return "HQ-2026-%06d" % (k + 1)


def lifecycle_event(op):
    _, now, eid, k, (type_, actor, extra) = op
    data = dict(extra, issue=number(k), actor=actor)
    return {"id": eid, "type": type_, "source": "staff", "ts": now, "data": data}


def run_daemon(rdir, ops):
    d = T.Daemon(extra=["--rules", rdir, "--clock", "manual@2026-09-28T08:00:00+08:00"])  # T0
    d.start()
    check_eq(d.status()["clock_ms"], T0, "houqind started at T0")
    c = d.control()
    one = T.OneShot(d.ingest_ep)
    try:
        for op in ops:
            r = c.call({"cmd": "clock.set", "ms": op[1]}, timeout=60) if op[1] > d.status()["clock_ms"] else None
            if r is not None:
                check(r.get("ok"), "clock.set: %r" % r)
            if op[0] == "A":
                continue
            ev = op[2] if op[0] == "E" else lifecycle_event(op)
            reply = one.request(T.pack(ev))
            check(reply.get("status") in ("stored", "rejected", "duplicate"), "reply %r" % reply)
        d.stop()
    finally:
        one.close()
        d.kill()
    return d.state


def run_sim(rdir, ops):
    state = os.path.join(T.tmpdir("hq-eq-sim-"), "state")
    os.mkdir(state)
    script = []
    for op in ops:
        if op[0] == "A":
            script.append("A %d" % op[1])
        else:
            ev = op[2] if op[0] == "E" else lifecycle_event(op)
            script.append("E %d %s" % (op[1], json.dumps(ev, ensure_ascii=False)))
    r = subprocess.run([T.ARGS.simrun, "--rules", rdir, "--schemas", T.ARGS.schemas, "--state", state,
                        "--start", str(T0)], input="\n".join(script) + "\n", capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 0, "hq-simrun: %s" % r.stderr)
    return state


def story(state):
    """What both must agree on: every issue in full, the outbox, the events."""
    issues = json.loads(ctl("issues", "--state", state, "--json"))
    full = [json.loads(ctl("issue", i["number"], "--state", state, "--json")) for i in issues]
    # How an action reached houqind (a staff key, a gateway, or neither:
    # "unauthenticated") is a fact of the transport, which the simulator
    # does not have; everything else of the entry must agree.
    for iss in full:
        for e in iss.get("timeline", []):
            e.pop("auth", None)
    outbox = [json.loads(l) for l in ctl("outbox", "--state", state).splitlines() if l.strip()]
    view = T.read_store(state)
    return full, outbox, view.events


def first_difference(a, b, path=""):
    if type(a) != type(b):
        return "%s: %r vs %r" % (path, a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return "%s.%s: only in %s" % (path, k, "houqind" if k in a else "the simulator")
            d = first_difference(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        if len(a) != len(b):
            return "%s: %d vs %d entries" % (path, len(a), len(b))
        return None
    return None if a == b else "%s: %r vs %r" % (path, a, b)


def test_daemon_equals_simulator():
    total_issues = total_entries = 0
    for case in range(T.ARGS.cases):
        seed = T.ARGS.seed * 1000 + case
        rng = random.Random(seed)
        text = random_rules(rng)
        ops = random_ops(rng, 40)
        rdir = rules_dir(text)
        daemon, sim = story(run_daemon(rdir, ops)), story(run_sim(rdir, ops))
        for what, a, b in (("issues", daemon[0], sim[0]), ("outbox", daemon[1], sim[1]),
                           ("events", daemon[2], sim[2])):
            diff = first_difference(a, b, what)
            if diff:
                raise T.TestFailure("seed %d: houqind and the simulator differ at %s\nrules:\n%s" % (seed, diff, text))
        n = len(daemon[0])
        total_issues += n
        total_entries += sum(len(i["timeline"]) for i in daemon[0])
        log("seed %d: %d issues, %d outbox records, %d events: the same" % (seed, n, len(daemon[1]),
                                                                           len(daemon[2])))
    # the property says something only if the cases did something
    check(total_issues >= T.ARGS.cases, "the random cases opened only %d issues" % total_issues)
    check(total_entries > 2 * total_issues, "the timelines are too short to compare (%d entries)" % total_entries)


def clock_cmd(d, *args):
    return subprocess.run([T.ARGS.houqinctl, "clock"] + list(args) + ["--control", d.control_ep, "--json"],
                          capture_output=True, text=True, timeout=60)


def test_houqinctl_clock():
    d = T.Daemon(extra=["--clock", "manual@2026-09-28T08:00+08:00"])
    try:
        d.start()
        r = clock_cmd(d, "show")
        check_eq((r.returncode, json.loads(r.stdout)["clock_ms"], json.loads(r.stdout)["clock"]), (0, T0, "manual"),
                 "clock show after --clock manual@2026-09-28T08:00+08:00")
        check_eq(json.loads(r.stdout)["time"], "2026-09-28T08:00:00+08:00", "the time, in the rules' zone")
        r = clock_cmd(d, "set", "2026-09-01T08:00+08:00")
        check_eq((r.returncode, json.loads(r.stdout)["clock_ms"]), (0, T0 - 27 * DAY), "clock set back, no events")
        r = clock_cmd(d, "advance", "27d")
        check_eq((r.returncode, json.loads(r.stdout)["clock_ms"]), (0, T0), "clock advance 27d")
        r = clock_cmd(d, "set", str(T0 + HOUR))
        check_eq((r.returncode, json.loads(r.stdout)["clock_ms"]), (0, T0 + HOUR), "clock set MS")
        one = T.OneShot(d.ingest_ep)
        try:
            check_eq(one.request(T.pack(T.event("ck-1", ts=T0))).get("status"), "stored", "an event")
        finally:
            one.close()
        r = clock_cmd(d, "set", "2026-09-01T08:00+08:00")
        check(r.returncode == 1 and "cannot go backwards on a state that holds events" in r.stderr,
              "clock set back with an event stored: %d %r" % (r.returncode, r.stderr))
        for bad in (["set", "soon"], ["advance", "1.5h"], ["advance"], ["jump", "1h"], []):
            r = clock_cmd(d, *bad)
            check(r.returncode == 2 and r.stderr.startswith("houqinctl: clock"), "clock %r: %d %r" %
                  (bad, r.returncode, r.stderr))
        check_eq(json.loads(clock_cmd(d, "show").stdout)["clock_ms"], T0 + HOUR, "the clock after the refusals")
        d.stop()
    finally:
        d.kill()
    r = subprocess.run([T.ARGS.houqind, "--state", os.path.join(T.tmpdir(), "s"), "--rules", T.ARGS.rules,
                        "--schemas", T.ARGS.schemas, "--clock", "manual@yesterday", "--control",
                        "ipc://" + os.path.join(T.tmpdir(), "c")], capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and "--clock manual@yesterday: expected a time like 2026-09-08T10:00+08:00" in r.stderr,
          "a bad manual@TIME: %d %r" % (r.returncode, r.stderr))


if __name__ == "__main__":
    T.parse_args(extra_args)
    T.main([test_daemon_equals_simulator, test_houqinctl_clock])
