"""scen - shared code of the scenario tests (rules, issues, timers,
escalation) on top of ../integration/hqtest.py.

hqtest gives the daemon runner (bounded start and stop, SIGKILL with the
parent, atexit cleanup of daemons and temporary directories), the control
client and the test runner.  This module adds:

- the command line: --houqind, --houqinctl, --schemas, --rules;
- Hq: houqind with the manual clock, on the shipped rules or on a rules
  directory the test wrote (rules_dir()), with an ingest client that sends
  one event at a time and waits (bounded) for its reply;
- reads through houqinctl (issues --json, issue --json, outbox);
- time helpers (durations in ms) and a fixed simulated start time T0;
- a SUB client that collects the PUB socket's messages.

Every wait is bounded; nothing asserts how long anything took.
"""

import calendar
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import zmq  # noqa: E402

import hqtest as T  # noqa: E402
from hqtest import check, check_eq, log  # noqa: E402,F401

MIN = 60 * 1000
HOUR = 60 * MIN
DAY = 24 * HOUR

# 2030-03-11 09:00 Asia/Shanghai (01:00 UTC), a Monday: far from a year
# boundary and later than any wall clock these tests run on (a manual clock
# starts at the wall time and never goes back).
T0 = calendar.timegm((2030, 3, 11, 1, 0, 0)) * 1000

ARGS = None


def parse_args():
    global ARGS

    def extra(p):
        p.add_argument("--houqinctl", required=True, help="path of the houqinctl binary")

    ARGS = T.parse_args(extra)
    return ARGS


def registry_files():
    """The shipped rules directory's top-level files that hold no rules or
    schedules (organisation, chains, contractors and penalty terms, sites,
    sensors, calendar): {name: text}."""
    out = {}
    for name in sorted(os.listdir(ARGS.rules)):
        p = os.path.join(ARGS.rules, name)
        if not name.endswith(".yaml") or not os.path.isfile(p):
            continue
        with open(p, encoding="utf-8") as f:
            text = f.read()
        if re.search(r"^(rules|schedules):", text, re.M):
            continue
        out[name] = text
    return out


def rules_dir(files, base=None):
    """A new rules directory holding `files` ({relative path: text}).  With
    base=True the shipped registry files (registry_files()) are copied in
    first, so that test rules can name the shipped chains, terms, sites,
    contractors and roles."""
    d = T.tmpdir("hq-rules-")
    if base:
        write_files(d, registry_files())
    write_files(d, files)
    return d


def shipped_rules(*rel):
    """A rules directory with the shipped registry files and the shipped rule
    files `rel` (paths under rules/), copied verbatim: the shipped rules a
    test is about, without the shipped schedules that a manual clock jumping
    years ahead would fire thousands of times."""
    files = {}
    for r in rel:
        with open(os.path.join(ARGS.rules, r), encoding="utf-8") as f:
            files[r] = f.read()
    return rules_dir(files, base=True)


def cold_rules():
    return shipped_rules("catering/cold-storage.yaml")


def write_files(d, files):
    for rel, text in files.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)


def ctl_run(args, timeout=30.0, ok=True):
    p = subprocess.run([ARGS.houqinctl] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if ok:
        check(p.returncode == 0, "houqinctl %s exited %d: %s" % (" ".join(args), p.returncode, err.strip()))
    return p.returncode, out, err


class Hq(T.Daemon):
    """houqind with the manual clock on `rules` (default: the shipped ones)."""

    def __init__(self, rules=None, state=None, workdir=None, manual=True):
        super().__init__(state=state, workdir=workdir, extra=["--clock", "manual"] if manual else [])
        self.rules = rules or ARGS.rules
        self._in = None
        self.nsent = 0

    def argv(self):
        return [ARGS.houqind, "--state", self.state, "--ingest", self.ingest_ep, "--control", self.control_ep,
                "--publish", self.publish_ep, "--schemas", ARGS.schemas, "--rules", self.rules] + self.extra

    # ---- control
    def ctl(self, req, timeout=60.0):
        return self.control().call(req, timeout=timeout)

    def ctl_ok(self, req, timeout=60.0):
        r = self.ctl(req, timeout)
        check(r.get("ok") is True, "%r: %r" % (req, r))
        return r

    def now(self):
        return self.status()["clock_ms"]

    def set_clock(self, ms):
        r = self.ctl_ok({"cmd": "clock.set", "ms": ms})
        check_eq(r["clock_ms"], ms, "clock after clock.set")
        return r

    def advance(self, ms):
        return self.ctl_ok({"cmd": "clock.advance", "ms": ms})

    def start_at(self, t0=T0):
        st = self.start()
        check(st["clock_ms"] <= t0, "the manual clock starts at %d, later than the test's T0 %d" % (st["clock_ms"], t0))
        self.set_clock(t0)
        return st

    # ---- ingest
    def send(self, type, data, ts=None, id=None, source="scen"):
        """Sends one event and returns its reply (a map)."""
        if self._in is None:
            self._in = T.OneShot(self.ingest_ep)
        if ts is None:
            ts = self.now()
        self.nsent += 1
        if id is None:
            id = "s%d-%d" % (self.starts, self.nsent)
        return self._in.request(T.pack({"id": id, "type": type, "source": source, "ts": ts, "data": data}),
                                timeout=30.0)

    def send_ok(self, type, data, ts=None, **kw):
        r = self.send(type, data, ts=ts, **kw)
        check_eq(r.get("status"), "stored", "reply to %s %r (%r)" % (type, data, r))
        return r

    def _close_ctl(self):
        if self._in is not None:
            self._in.close()
            self._in = None
        super()._close_ctl()

    # ---- reads through houqinctl
    def issues(self):
        return json.loads(ctl_run(["issues", "--state", self.state, "--json"])[1])

    def issue(self, number):
        return json.loads(ctl_run(["issue", number, "--state", self.state, "--json"])[1])

    def outbox(self):
        out = ctl_run(["outbox", "--state", self.state])[1]
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def outbox_range(self, frm, to):
        r = self.ctl_ok({"cmd": "outbox.range", "from": frm, "to": to})
        return r


def timeline(issue, word=None):
    """The issue's timeline entries, or those of kind word ("missed-while-down":
    its earlier word, "missed")."""
    tl = issue["timeline"]
    if word is None:
        return tl
    word = "missed" if word == "missed-while-down" else word
    return [e for e in tl if e["kind"] == word]


def words(issue):
    return [e["kind"] for e in issue["timeline"]]


def recs(outbox, issue=None, kind=None):
    return [r for r in outbox if (issue is None or r.get("issue") == issue) and (kind is None or r.get("kind") == kind)]


def only_issue(hq, rule=None):
    iss = hq.issues()
    if rule:
        iss = [i for i in iss if i["rule"] == rule]
    check_eq(len(iss), 1, "issues%s: %r" % (" of " + rule if rule else "", [(i["number"], i["rule"]) for i in iss]))
    return iss[0]


def cold(hq, value, sensor="cs-001", site="canteen-1", ts=None):
    return hq.send_ok("sensor.reading", {"sensor": sensor, "kind": "cold_storage_temp", "value": value, "unit": "C",
                                         "site": site}, ts=ts)


# Who acts when a test does not say (rules/permissions.yaml): the catering
# contractor's contact acknowledges and rectifies, the catering supervisor
# rechecks, the office director comments, closes and records opinions on
# every domain.  Tests about other domains or contractors name the actor.
DEFAULT_ACTOR = {"acknowledged": "contact.xinyuan", "rectified": "contact.xinyuan", "rechecked": "lin.sup"}


def default_actor(what):
    return DEFAULT_ACTOR.get(what, "wang.director")


def lifecycle(hq, what, number, actor=None, **data):
    """Sends issue.<what> about number; returns the reply."""
    d = {"issue": number, "actor": actor or default_actor(what)}
    d.update(data)
    return hq.send("issue." + what, d)


def lifecycle_id(hq, what, number, id, actor=None, **data):
    d = {"issue": number, "actor": actor or default_actor(what)}
    d.update(data)
    return hq.send("issue." + what, d, id=id)


COLD_RULE = "catering.cold-storage-high"


def open_cold_issue(hq, t0=T0):
    """Shipped rules: readings above 8 C every 5 minutes from t0; the issue
    opens at t0 + 30m (the rule's sustained time).  Returns the issue."""
    for m in range(0, 30, 5):
        hq.set_clock(t0 + m * MIN)
        cold(hq, 9.5)
    hq.set_clock(t0 + 30 * MIN)
    iss = only_issue(hq, COLD_RULE)
    check_eq(iss["opened_ms"], t0 + 30 * MIN, "opened_ms")
    return iss


class Sub:
    """A SUB socket on the PUB endpoint, subscribed to everything."""

    def __init__(self, ep):
        self.sock = T.context().socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"")
        self.sock.connect(ep)

    def recv(self, timeout):
        if not self.sock.poll(int(timeout * 1000), zmq.POLLIN):
            return None
        parts = self.sock.recv_multipart()
        check_eq(len(parts), 2, "frames of a published message")
        return parts[0].decode(), T.unpack(parts[1])

    def wait_hugz(self, timeout=15.0):
        """Reads until a heartbeat arrives (the subscription is then live)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self.recv(max(0.05, end - time.monotonic()))
            if m and m[0] == "hugz":
                return m[1]
        raise T.TestFailure("no hugz on the PUB socket within %.0f s" % timeout)

    def close(self):
        self.sock.close(linger=0)


def main(tests):
    T.main(tests)
