"""rd - shared code of the rule-domain scenario tests (issue 6 item 5).

The real houqind on the shipped rules (or on a rules directory a test
writes), with the manual clock, started and stopped by the test on a
temporary directory with ipc:// endpoints.  Built on
../integration/hqtest.py (imported, not copied): the daemon runner with
bounded start and stop, SIGKILL with the parent, the atexit cleanup of
daemons and temporary directories, the control and ingest clients.

This module adds
- the command line: --houqind, --houqinctl, --schemas, --rules and the
  optional --alertd;
- Hq: houqind with the manual clock at a start time T0, events sent one at a
  time (bounded wait for each reply), the clock moved with clock.advance;
- the staff's side through houqinctl: issues/issue --json, outbox, notice
  --format text, and ack / rectify / recheck / opinion sent to the daemon's
  ingest endpoint with the simulated time;
- Alertd: houqin-alertd with --clock follow on a rules directory whose
  channels all write JSON lines to files in the test's directory.

The manual clock starts at the wall time and never goes back, so T0 is
computed: the first Monday 00:00 (Asia/Shanghai) at least a day after the
wall clock with four weeks free of holidays and vacations, so that hq.at(8 * HOUR) is 08:00 on that Monday; the shipped
calendar covers 2026-2027, and every expectation is relative to T0.  Every wait is bounded; nothing asserts how long
anything took.
"""

import datetime
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import hqtest as T  # noqa: E402
from hqtest import check, check_eq, log  # noqa: E402,F401

MIN = 60 * 1000
HOUR = 60 * MIN
DAY = 24 * HOUR
CST = datetime.timezone(datetime.timedelta(hours=8))

ARGS = None


def parse_args():
    global ARGS

    def extra(p):
        p.add_argument("--houqinctl", required=True, help="path of the houqinctl binary")
        p.add_argument("--alertd", default="", help="path of houqin-alertd (optional: the delivery scenario)")

    ARGS = T.parse_args(extra)
    return ARGS


def calendar_breaks():
    """The holidays and vacations of the shipped calendar as (from, to) dates."""
    import yaml
    with open(os.path.join(ARGS.rules, "calendar.yaml"), encoding="utf-8") as f:
        cal = (yaml.safe_load(f) or {}).get("calendar") or {}
    out = []
    for k in ("holidays", "vacations"):
        for h in cal.get(k) or []:
            a, b = h["from"], h["to"]
            a = a if isinstance(a, datetime.date) else datetime.date.fromisoformat(str(a))
            b = b if isinstance(b, datetime.date) else datetime.date.fromisoformat(str(b))
            out.append((a, b))
    return out


def next_monday(after_ms, span_days=28):
    """The first Monday 00:00 Beijing time at least a day after after_ms
    whose next span_days have no public holiday and no vacation of the
    shipped calendar, so that the scenarios' schedules (working days,
    suspended in holidays and vacations) run as written."""
    breaks = calendar_breaks()
    t = datetime.datetime.fromtimestamp(after_ms / 1000 + 86400, CST)
    d = t.date()
    while True:
        cand = datetime.datetime(d.year, d.month, d.day, 0, 0, tzinfo=CST)
        end = d + datetime.timedelta(days=span_days)
        if cand.weekday() == 0 and cand.timestamp() * 1000 > after_ms and \
                not any(a <= end and b >= d for a, b in breaks):
            return int(cand.timestamp() * 1000)
        d += datetime.timedelta(days=1)


def local(ms):
    """ms as 2026-12-07 08:00 (local time, as notices and outbox texts print it)."""
    return datetime.datetime.fromtimestamp(ms / 1000, CST).strftime("%Y-%m-%d %H:%M")


def ctl_run(args, timeout=60.0, ok=True):
    p = subprocess.run([ARGS.houqinctl] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if ok:
        check(p.returncode == 0, "houqinctl %s exited %d: %s %s" % (" ".join(args), p.returncode, out.strip(),
                                                                    err.strip()))
    return p.returncode, out, err


def rules_copy(replace=None):
    """A copy of the shipped rules directory (tests folders left out), with
    files replaced or added ({relative path: text})."""
    d = T.tmpdir("hq-rd-rules-")
    for root, dirs, files in os.walk(ARGS.rules):
        dirs[:] = [x for x in dirs if x != "tests" and not x.startswith(".")]
        rel = os.path.relpath(root, ARGS.rules)
        for f in files:
            if not f.endswith(".yaml") or f.endswith(".test.yaml"):
                continue
            os.makedirs(os.path.join(d, rel), exist_ok=True)
            with open(os.path.join(root, f), encoding="utf-8") as src, \
                    open(os.path.join(d, rel, f), "w", encoding="utf-8") as dst:
                dst.write(src.read())
    for rel, text in (replace or {}).items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
    return d


class Hq(T.Daemon):
    """houqind with the manual clock on `rules` (default: the shipped ones)."""

    def __init__(self, rules=None):
        super().__init__(extra=["--clock", "manual"])
        self.rules = rules or ARGS.rules
        self._in = None
        self.nsent = 0
        self.t0 = None
        self.baseline = set()

    def argv(self):
        return [ARGS.houqind, "--state", self.state, "--ingest", self.ingest_ep, "--control", self.control_ep,
                "--publish", self.publish_ep, "--schemas", ARGS.schemas, "--rules", self.rules] + self.extra

    # ---- clock
    def ctl_ok(self, req, timeout=120.0):
        r = self.control().call(req, timeout=timeout)
        check(r.get("ok") is True, "%r: %r" % (req, r))
        return r

    def now(self):
        return self.status()["clock_ms"]

    def start_t0(self, span_days=28):
        """Starts the daemon and sets its clock to the scenario's T0 (a
        Monday with span_days of term time after it)."""
        st = self.start()
        self.t0 = next_monday(max(st["clock_ms"], int(time.time() * 1000)), span_days)
        r = self.ctl_ok({"cmd": "clock.set", "ms": self.t0})
        check_eq(r["clock_ms"], self.t0, "clock after clock.set")
        # Moving the clock from the wall time to T0 ran the absence rules over
        # the days in between (missed inspections of days before the
        # scenario): close those, so that the scenario starts from a clean
        # ledger, as an office would after installing Houqin.
        self.baseline = set()
        for i in self.issues(status="open"):
            self.baseline.add(i["number"])
            self.staff("close", i["number"], "--actor", "wang.director", "--reason", "场景开始前的缺失记录（测试基线）")
        check(not self.issues(status="open"), "open issues left at T0")
        log("T0 %s" % local(self.t0))
        return self.t0

    def advance(self, ms):
        return self.ctl_ok({"cmd": "clock.advance", "ms": ms})

    def at(self, offset_ms):
        """Moves the clock to T0 + offset_ms (never back)."""
        target = self.t0 + offset_ms
        now = self.now()
        check(target >= now, "the scenario asks the clock to go back")
        if target > now:
            self.advance(target - now)

    # ---- ingest
    def send(self, type, data, ts=None, id=None, source="scenario"):
        if self._in is None:
            self._in = T.OneShot(self.ingest_ep)
        if ts is None:
            ts = self.now()
        self.nsent += 1
        if id is None:
            id = "rd%d-%d" % (self.starts, self.nsent)
        return self._in.request(T.pack({"id": id, "type": type, "source": source, "ts": ts, "data": data}),
                                timeout=30.0)

    def send_ok(self, type, data, **kw):
        r = self.send(type, data, **kw)
        check_eq(r.get("status"), "stored", "reply to %s %r (%r)" % (type, data, r))
        return r

    def _close_ctl(self):
        if self._in is not None:
            self._in.close()
            self._in = None
        super()._close_ctl()

    # ---- staff tools (houqinctl), with the simulated time
    def staff(self, cmd, number, *args):
        """houqinctl ack|rectify|recheck|opinion NUMBER ARGS... to this daemon."""
        return ctl_run([cmd, number, "--ingest", self.ingest_ep, "--ts", str(self.now())] + list(args))[1]

    def ack(self, number, actor):
        return self.staff("ack", number, "--actor", actor)

    def rectify(self, number, actor, evidence):
        return self.staff("rectify", number, "--actor", actor, "--evidence", evidence)

    def recheck(self, number, actor, ok, note="复查"):
        return self.staff("recheck", number, "--actor", actor, "--pass" if ok else "--fail", "--note", note)

    def opinion(self, number, text, platform="weibo"):
        return self.staff("opinion", number, "--actor", "wang.director", "--text", text, "--platform", platform)

    def walk_to_closed(self, number, contact, supervisor, evidence="已整改"):
        """The plan's loop for an open issue: acknowledged (签收), rectified
        (整改反馈), rechecked and passed (复查通过): closed."""
        self.ack(number, contact)
        self.rectify(number, contact, evidence)
        self.recheck(number, supervisor, True, "现场复查合格")
        iss = self.issue(number)
        check_eq(iss["state"], "closed", "%s state after the recheck passed" % number)
        return iss

    def issues(self, **filters):
        args = ["issues", "--state", self.state, "--json"]
        for k, v in filters.items():
            args += ["--" + k.replace("_", "-")] + ([] if v is True else [str(v)])
        return json.loads(ctl_run(args)[1])

    def issue(self, number):
        return json.loads(ctl_run(["issue", number, "--state", self.state, "--json"])[1])

    def of_rule(self, rule, key=None):
        """The issues of a rule (and key) of the scenario (not the baseline closed at T0), oldest first."""
        out = [i for i in self.issues() if i["rule"] == rule and (key is None or i["key"] == key)
               and i["number"] not in self.baseline]
        return sorted(out, key=lambda i: i["number"])

    def one(self, rule, key=None):
        got = self.of_rule(rule, key)
        check(len(got) == 1, "expected one issue of %s%s, got %d: %r" % (
            rule, "" if key is None else " key " + key, len(got), [i["number"] for i in got]))
        return self.issue(got[0]["number"])

    def outbox(self, issue=None, kind=None):
        out = ctl_run(["outbox", "--state", self.state])[1]
        recs = [json.loads(l) for l in out.splitlines() if l.strip()]
        return [r for r in recs if (issue is None or r.get("issue") == issue) and (kind is None or r.get("kind") == kind)]

    def notice(self, number):
        return ctl_run(["notice", number, "--format", "text", "--state", self.state, "--rules", self.rules,
                        "--schemas", ARGS.schemas])[1]


def timeline_words(issue):
    """The kind of each timeline entry ("opened", "acknowledged", ...): the
    typed record's code, not words parsed back from its rendering."""
    return [e["kind"] for e in issue["timeline"]]


def check_timeline(issue, words):
    """words appear in the issue's timeline in this order (others may come between)."""
    got = timeline_words(issue)
    i = 0
    for w in got:
        if i < len(words) and w == words[i]:
            i += 1
    check(i == len(words), "%s timeline: expected %r in order, got %r" % (issue["number"], words, got))


def check_outbox(hq, number, kind, roles_include=(), at_least=1):
    recs = hq.outbox(issue=number, kind=kind)
    check(len(recs) >= at_least, "%s: expected %d outbox record(s) of kind %s, got %d" % (number, at_least, kind,
                                                                                       len(recs)))
    for role in roles_include:
        check(any(role in r.get("roles", []) for r in recs),
              "%s: no %s record for %s: %r" % (number, kind, role, [r.get("roles") for r in recs]))
    return recs


# --------------------------------------------------------------------------
# houqin-alertd with file channels

def file_channels_alerts(shipped_text, sink_dir):
    """The shipped alerts.yaml with its `channels:` section replaced by file
    channels of the same names, each writing JSON lines to sink_dir/NAME.jsonl
    (templates and policies kept)."""
    lines = shipped_text.splitlines(keepends=True)
    start = next(i for i, l in enumerate(lines) if l.startswith("channels:"))
    end = next(i for i in range(start + 1, len(lines)) if re.match(r"^[a-z_]+:", lines[i]))
    names, shared, to, cur = [], set(), {}, None
    for l in lines[start + 1:end]:
        m = re.match(r"^  ([A-Za-z0-9_.-]+):\s*$", l)
        t = re.match(r"^\s+to:\s*([a-z]+)", l)
        if m:
            cur = m.group(1)
            names.append(cur)
        elif cur and re.match(r"^\s+shared:\s*true\s*$", l):
            shared.add(cur)
        elif cur and t:
            to[cur] = t.group(1)    # the person's field its address comes from
    check(names, "no channels found in alerts.yaml")
    chan = ["channels:\n"]
    for n in names:
        chan.append("  %s:\n    type: file\n    path: %s\n%s%s" % (n, os.path.join(sink_dir, n + ".jsonl"),
                                                               "    shared: true\n" if n in shared else "",
                                                               "    to: %s\n" % to[n] if n in to else ""))
    return "".join(lines[:start] + chan + lines[end:]), names


class Alertd:
    """houqin-alertd following an Hq daemon, on a rules directory."""

    def __init__(self, hq, rules):
        self.hq = hq
        self.rules = rules
        self.dir = T.tmpdir("hq-rd-alertd-")
        self.state = os.path.join(self.dir, "state")
        self.logpath = os.path.join(self.dir, "alertd.log")
        self.proc = None

    def start(self):
        logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen([ARGS.alertd, "--rules", self.rules, "--schemas", ARGS.schemas, "--state",
                                      self.state, "--subscribe", self.hq.publish_ep, "--control",
                                      self.hq.control_ep, "--clock", "follow"],
                                     stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                     preexec_fn=T._die_with_parent)
        logf.close()
        T._daemons.append(self)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.proc = None

    def stop(self, timeout=30.0):
        if self.proc is None:
            return
        p = self.proc
        if p.poll() is None:
            p.terminate()
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise T.TestFailure("houqin-alertd did not stop within %.0f s" % timeout)
        self.proc = None
        check(rc == 0, "houqin-alertd exited %d; log:\n%s" % (rc, self.log_tail()))

    def log_tail(self, n=40):
        try:
            with open(self.logpath, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])
        except OSError:
            return ""


def read_sinks(sink_dir):
    """Every JSON line written to the file channels: [(channel, message)]."""
    out = []
    if not os.path.isdir(sink_dir):
        return out
    for f in sorted(os.listdir(sink_dir)):
        if f.endswith(".jsonl"):
            with open(os.path.join(sink_dir, f), "rb") as fh:
                data = fh.read()
            # only whole lines: houqin-alertd may be writing the last one
            for line in data[:data.rfind(b"\n") + 1].splitlines():
                if line.strip():
                    out.append((f[:-6], json.loads(line.decode("utf-8"))))
    return out


def wait_for(what, fn, timeout=60.0, step=0.2):
    """Polls fn() until it returns a true value (bounded); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise T.TestFailure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(step)


main = T.main


def main_with_alertd(tests, what):
    """Runs tests, or exits 0 with a note when houqin-alertd was not built."""
    parse_args()
    if not ARGS.alertd or not os.path.exists(ARGS.alertd):
        print("houqin-alertd not built: %s skipped" % what)
        sys.exit(0)
    main(tests)
