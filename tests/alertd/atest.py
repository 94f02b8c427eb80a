"""atest - shared code of houqin-alertd's integration tests.

On top of ../integration/hqtest.py (daemon runner, control client, cleanup,
test runner) this module gives:

- the command line: --houqind, --alertd, --schemas, --rules;
- sinks started by the test on loopback: a webhook sink (http.server, HTTP
  1.1 keep-alive) whose answers per path can be scripted (500, hang, close
  the connection, a gate that answers 503 until opened); an SMTP sink
  (aiosmtpd) that parses each message with the email package; a command
  sink (sink_cmd.py) and a file channel, both JSON lines;
- a rules directory for a test: the shipped registry files, the shipped
  templates from rules/alerts.yaml, the shipped people with their roles,
  channels that point at the sinks, the test's policies and rules;
- Hq (houqind on the manual clock) and Alertd (houqin-alertd with --clock
  follow, ready when it sends READY=1 on a NOTIFY_SOCKET the test owns);
- the expected deliveries of an outbox record, resolved the way the
  organisation file says, as idempotency keys.

Every wait is bounded (wait_for); nothing asserts how long anything took.
"""

import calendar
import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import hqtest as T  # noqa: E402
from hqtest import TestFailure, check, check_eq, log  # noqa: E402,F401

MIN = 60 * 1000
HOUR = 60 * MIN
DAY = 24 * HOUR
# 2030-03-11 09:00 Asia/Shanghai (01:00 UTC), a Monday, later than any wall
# clock these tests run on (houqind's manual clock starts at the wall time
# and never goes back).
T0 = calendar.timegm((2030, 3, 11, 1, 0, 0)) * 1000
TZ_OFFSET = 8 * HOUR

ARGS = None


def parse_args():
    global ARGS

    def extra(p):
        p.add_argument("--alertd", required=True, help="path of the houqin-alertd binary")

    ARGS = T.parse_args(extra)
    return ARGS


def local_ms(day, hh, mm=0):
    """ms of local time (Asia/Shanghai) hh:mm on day `day` after T0's date."""
    return T0 - 9 * HOUR + day * DAY + hh * HOUR + mm * MIN


def wait_for(pred, timeout, what, interval=0.05, tick=None):
    """Polls pred() until it returns a true value (returned) or fails after
    timeout seconds (a bound on liveness, not a timing assertion).  tick,
    when given, is called between polls (e.g. Hq.ticker(): moves houqind's
    manual clock, which alertd's retry backoff follows)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            raise TestFailure("%s: not reached within %.0f s" % (what, timeout))
        if tick:
            tick()
        time.sleep(interval)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --------------------------------------------------------------------------
# sinks

class WebhookSink:
    """An HTTP server on 127.0.0.1.  Every request is an attempt; the ones
    answered 2xx are deliveries.  plan(path, [...]) scripts the next
    answers on a path: "500", "hang" (no answer until released or the
    client gives up), "close" (close the connection without an answer),
    "404"; gate(path) answers 503 until open_gate(path)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.deliveries = []   # dicts: n, path, key, body (parsed JSON)
        self.attempts = []     # dicts: n, path, key, outcome
        self.plans = {}
        self.gates = {}
        self.release = threading.Event()
        self.n = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def setup(self):
                super().setup()
                # One answer is two writes (headers, body): without
                # TCP_NODELAY the second waits for a delayed ACK (40 ms).
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                key = self.headers.get("Idempotency-Key")
                outcome = sink._outcome(self.path)
                with sink.lock:
                    sink.n += 1
                    sink.attempts.append({"n": sink.n, "path": self.path, "key": key, "outcome": outcome})
                if outcome == "hang":
                    sink.release.wait(30)
                    self.close_connection = True
                    return
                if outcome == "close":
                    self.close_connection = True
                    return
                if outcome in ("500", "503", "404"):
                    self._answer(int(outcome), b'{"error":"scripted"}')
                    return
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = {"unparsable": raw.decode("utf-8", "replace")}
                with sink.lock:
                    sink.n += 1
                    sink.deliveries.append({"n": sink.n, "path": self.path, "key": key, "body": body,
                                            "ctype": self.headers.get("Content-Type")})
                self._answer(200, b'{"errcode":0,"errmsg":"ok"}')

            def _answer(self, code, body):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that went away (alertd killed, curl timed out) is expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _outcome(self, path):
        with self.lock:
            plan = self.plans.get(path)
            if plan:
                return plan.pop(0)
            g = self.gates.get(path)
            if g is not None and not g.is_set():
                return "503"
        return "ok"

    def plan(self, path, outcomes):
        with self.lock:
            self.plans.setdefault(path, []).extend(outcomes)

    def gate(self, path):
        with self.lock:
            self.gates[path] = threading.Event()

    def open_gate(self, path):
        with self.lock:
            self.gates[path].set()

    def got(self, path=None):
        with self.lock:
            return [d for d in self.deliveries if path is None or d["path"] == path]

    def tries(self, path=None):
        with self.lock:
            return [a for a in self.attempts if path is None or a["path"] == path]

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """aiosmtpd on 127.0.0.1; each message parsed with email.policy.default."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.lock = threading.Lock()
        self.mails = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                rec = {"rcpt": list(envelope.rcpt_tos), "from": envelope.mail_from, "msg": msg,
                       "subject": str(msg["Subject"]), "key": str(msg["X-Houqin-Idempotency-Key"]),
                       "msgid": str(msg["Message-ID"]), "body": msg.get_content(), "raw": envelope.content}
                with sink.lock:
                    sink.mails.append(rec)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def got(self):
        with self.lock:
            return list(self.mails)

    def stop(self):
        self.controller.stop()


def read_jsonl(path):
    """The complete lines of a JSON-lines file that another process may be
    appending to (a last line without its newline is not read yet)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")[:-1]
    return [json.loads(l.decode("utf-8")) for l in lines if l.strip()]


# --------------------------------------------------------------------------
# rules directories

def shipped(rel):
    with open(os.path.join(ARGS.rules, rel), encoding="utf-8") as f:
        return f.read()


def registry_files():
    """Shipped top-level files with no rules or schedules, except org.yaml
    and alerts.yaml (the test writes its own from the shipped ones)."""
    out = {}
    for name in sorted(os.listdir(ARGS.rules)):
        p = os.path.join(ARGS.rules, name)
        if not name.endswith(".yaml") or not os.path.isfile(p) or name in ("org.yaml", "alerts.yaml"):
            continue
        text = shipped(name)
        if re.search(r"^(rules|schedules):", text, re.M):
            continue
        out[name] = text
    return out


def shipped_people():
    """[(id, name, [roles])] from the shipped org.yaml."""
    people = []
    for m in re.finditer(r"^  - \{id: ([^,]+), name: ([^,]+),(?: title: [^,]+,)? roles: \[([^\]]*)\]",
                         shipped("org.yaml"), re.M):
        roles = [r.strip().strip('"') for r in m.group(3).split(",") if r.strip()]
        people.append((m.group(1).strip(), m.group(2).strip(), roles))
    check(len(people) >= 10, "shipped org.yaml: found only %d people" % len(people))
    return people


def shipped_templates():
    """The templates: section of the shipped alerts.yaml, verbatim."""
    text = shipped("alerts.yaml")
    m = re.search(r"^templates:\n.*?(?=^policies:)", text, re.M | re.S)
    check(m, "no templates: section in rules/alerts.yaml")
    return m.group(0)


class Org:
    """The test organisation: the shipped people and roles, each with the
    test's channels (list of dicts) and working hours (YAML text or None)."""

    def __init__(self, channels, hours=None, extra=None):
        self.people = shipped_people()
        self.channels = channels          # {person id: [{"channel": .., "to": ..}]}
        self.hours = hours or {}          # {person id: YAML text}
        self.extra = extra or {}          # {person id: "key: value, ..." YAML flow text}

    def yaml(self):
        lines = ["office: 后勤管理处", "timezone: Asia/Shanghai", "people:"]
        for pid, name, roles in self.people:
            parts = ["id: %s" % pid, "name: %s" % name, "roles: [%s]" % ", ".join('"%s"' % r for r in roles)]
            chs = self.channels.get(pid, [])
            if chs:
                parts.append("channels: [%s]" % ", ".join(
                    "{%s}" % ", ".join(('%s: %s' % (k, "true" if v else "false")) if isinstance(v, bool)
                                       else '%s: "%s"' % (k, v) for k, v in c.items()) for c in chs))
            if self.hours.get(pid):
                parts.append("working_hours: %s" % self.hours[pid])
            if self.extra.get(pid):
                parts.append(self.extra[pid])
            lines.append("  - {%s}" % ", ".join(parts))
        return "\n".join(lines) + "\n"

    def resolve(self, rec):
        """{person id: audience} for an outbox record (not feedback)."""
        out = {}
        scoped = {"section_head": rec.get("domain"), "centre_head": rec.get("domain"),
                  "supervisor": rec.get("domain"), "contractor_contact": rec.get("contractor")}
        for want in rec.get("roles") or []:
            if want == "complainant":
                continue
            for pid, name, roles in self.people:
                for r in roles:
                    role, _, scope = r.partition(":")
                    if want == "working_group":
                        hit = role not in ("contractor_contact", "complainant", "admin", "vice_president")
                    else:
                        hit = role == want and (want not in scoped or scope == scoped[want])
                    if want == "contractor_contact" and not scoped[want]:
                        hit = False
                    if hit:
                        office = want != "contractor_contact"
                        if pid not in out or office:
                            out[pid] = "office" if office else "contractor"
                        break
        return out

    def name(self, pid):
        return [n for i, n, r in self.people if i == pid][0]


def write_files(d, files):
    for rel, text in files.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)


def rules_dir(org, channels_yaml, policies_yaml, rules=None, templates=True):
    """A rules directory: shipped registry files, org.yaml from org, an
    alerts.yaml with the given channels and policies and the shipped
    templates, and the test's rule files ({relative path: text})."""
    d = T.tmpdir("hq-arules-")
    files = registry_files()
    files["org.yaml"] = org.yaml()
    files["alerts.yaml"] = "channels:\n%s\n%s\npolicies:\n%s\n" % (
        channels_yaml, shipped_templates() if templates else "", policies_yaml)
    files.update(rules or {})
    write_files(d, files)
    return d


# A rule that opens one issue per complaint about a domain: one "opened"
# alert per event (chain standard: section_head, supervisor,
# contractor_contact).  key = the complaint's text.
def complaint_rule(rule_id, domain, severity, chain="standard", deadline="48h"):
    return """  - id: %s
    description: test rule
    on: complaint.submitted
    when: {field: data.domain, eq: %s}
    key: "{{data.text}}"
    issue:
      title: "测试问题 {{data.text}}"
      domain: %s
      category: complaints
      severity: %s
      deadline: %s
      chain: %s
""" % (rule_id, domain, domain, severity, deadline, chain)


def rules_file(*rules):
    return "rules:\n" + "".join(rules)


# --------------------------------------------------------------------------
# the daemons

class Hq(T.Daemon):
    """houqind with the manual clock on a test rules directory."""

    def __init__(self, rules, workdir=None):
        super().__init__(workdir=workdir, extra=["--clock", "manual"])
        self.rules = rules
        self._in = None
        self.nsent = 0

    def argv(self):
        return [ARGS.houqind, "--state", self.state, "--ingest", self.ingest_ep, "--control", self.control_ep,
                "--publish", self.publish_ep, "--schemas", ARGS.schemas, "--rules", self.rules] + self.extra

    def ctl_ok(self, req, timeout=60.0):
        r = self.control().call(req, timeout=timeout)
        check(r.get("ok") is True, "%r: %r" % (req, r))
        return r

    def set_clock(self, ms):
        return self.ctl_ok({"cmd": "clock.set", "ms": ms})

    def now(self):
        return self.status()["clock_ms"]

    def ticker(self, step_ms=1000, every_s=0.25):
        """A tick for wait_for: moves the manual clock on by step_ms at most
        every every_s seconds of real time, so that alertd's retries (on
        houqind's clock under --clock follow) come due."""
        last = [0.0]

        def tick():
            if time.monotonic() - last[0] >= every_s:
                last[0] = time.monotonic()
                self.ctl_ok({"cmd": "clock.advance", "ms": step_ms})
        return tick

    def start_at(self, t0=T0):
        st = self.start()
        if st["clock_ms"] < t0:
            self.set_clock(t0)
        return st

    def send(self, type, data, ts=None):
        if self._in is None:
            self._in = T.OneShot(self.ingest_ep)
        self.nsent += 1
        ev = {"id": "e%d-%d" % (self.starts, self.nsent), "type": type, "source": "alertd-test",
              "ts": self.now() if ts is None else ts, "data": data}
        r = self._in.request(T.pack(ev), timeout=30.0)
        check_eq(r.get("status"), "stored", "reply to %s %r: %r" % (type, data, r))
        return r

    def complaint(self, domain, text, site="canteen-1", contact=None, category="service_attitude"):
        d = {"domain": domain, "site": site, "category": category, "text": text}
        if contact:
            d["contact"] = contact
        return self.send("complaint.submitted", d)

    def lifecycle(self, what, number, actor="lin.sup", **data):
        d = {"issue": number, "actor": actor}
        d.update(data)
        return self.send("issue." + what, d)

    def outbox(self):
        """Every outbox record, through outbox.range."""
        out, frm = [], 1
        while True:
            r = self.ctl_ok({"cmd": "outbox.range", "from": frm, "to": frm + 9999})
            out.extend(r["records"])
            if r["to"] >= r["last_seq"]:
                return out
            frm = r["to"] + 1

    def _close_ctl(self):
        if self._in is not None:
            self._in.close()
            self._in = None
        super()._close_ctl()


class Notify:
    """A NOTIFY_SOCKET (AF_UNIX datagram) owned by the test."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.msgs = []

    def drain(self):
        self.sock.setblocking(False)
        while True:
            try:
                self.msgs.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return self.msgs

    def wait(self, word, timeout, proc=None):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(word in m for m in self.drain()):
                return True
            if proc is not None and proc.poll() is not None:
                return False
            time.sleep(0.02)
        return False

    def close(self):
        self.sock.close()


class Alertd:
    """houqin-alertd on hq's endpoints, with --clock follow and -v."""

    def __init__(self, hq, rules, workdir=None, extra=(), env=None):
        self.env = env or {}
        self.hq = hq
        self.rules = rules
        self.dir = workdir or T.tmpdir("hq-alertd-")
        self.state = os.path.join(self.dir, "astate")
        self.logpath = os.path.join(self.dir, "alertd.log")
        self.extra = list(extra)
        self.proc = None
        self.notify = None
        self.starts = 0

    def argv(self):
        return [ARGS.alertd, "--state", self.state, "--rules", self.rules, "--schemas", ARGS.schemas,
                "--subscribe", self.hq.publish_ep, "--control", self.hq.control_ep, "--clock", "follow",
                "-v"] + self.extra

    def start(self, timeout=20.0):
        check(self.proc is None, "alertd already running")
        self.starts += 1
        npath = os.path.join(self.dir, "notify%d" % self.starts)
        self.notify = Notify(npath)
        env = dict(os.environ, NOTIFY_SOCKET=npath, **self.env)
        logf = open(self.logpath, "ab")
        logf.write(b"---- start %d\n" % self.starts)
        logf.flush()
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=env,
                                     preexec_fn=T._die_with_parent)
        logf.close()
        if self not in T._daemons:
            T._daemons.append(self)
        if not self.notify.wait("READY=1", timeout, self.proc):
            rc = self.proc.poll()
            self.kill()
            raise TestFailure("alertd not ready (exit %r); log:\n%s" % (rc, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30.0):
        if self.proc is None:
            return None
        p = self.proc
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
            self.proc = None
            raise TestFailure("alertd did not stop within %.0f s of SIGTERM" % timeout)
        self.proc = None
        self.notify.close()
        check(rc == 0, "alertd exited with %d after SIGTERM; log:\n%s" % (rc, self.log_tail()))
        return rc

    def kill(self):
        if self.proc is None:
            return
        p = self.proc
        self.proc = None
        if p.poll() is None:
            p.kill()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.notify:
            self.notify.close()

    def log_text(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])


def run_alertd(args, timeout=30.0):
    p = subprocess.run([ARGS.alertd] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def read_dead(state):
    """alertd's dead letters [(id, dict)], read with LMDB (key layout in
    lib/alert_queue.c)."""
    import lmdb
    import struct
    out = []
    env = lmdb.open(state, readonly=True, lock=True, max_dbs=8, subdir=True, create=False)
    try:
        with env.begin() as txn:
            db = env.open_db(b"dead", txn=txn, create=False)
            for k, v in txn.cursor(db):
                out.append((struct.unpack(">Q", k)[0], T.unpack(bytes(v))))
    finally:
        env.close()
    return out


def read_queue(state):
    """alertd's pending deliveries [(recipient, channel, seq, dict)]."""
    import lmdb
    import struct
    out = []
    env = lmdb.open(state, readonly=True, lock=True, max_dbs=8, subdir=True, create=False)
    try:
        with env.begin() as txn:
            db = env.open_db(b"queue", txn=txn, create=False)
            for k, v in txn.cursor(db):
                k = bytes(k)
                r, c, rest = k.split(b"\x00", 2)
                out.append((r.decode(), c.decode(), struct.unpack(">Q", rest)[0], T.unpack(bytes(v))))
    finally:
        env.close()
    return out


def main(tests):
    T.main(tests)


# --------------------------------------------------------------------------
# the usual test set-up

LEADERS = {"wang.director": "13800000001", "li.deputy": "13800000002", "zhao.vp": "13800000003"}
CONTACTS = {"contact.xinyuan": ("pm@xinyuan.example.com", "13900000001", "dingtalk-x"),
            "contact.anju": ("pm@anju.example.com", "13900000002", None)}

DEFAULT_POLICIES = """  urgent: high
  quiet_hours: false
  retry: {tries: 6, first: 100ms, max: 1s}
  complainant: {email: complaint-mail, phone: sms}
"""


class Stack:
    """Sinks, houqind and alertd on one test rules directory.

    Channels: mail (SMTP sink), hook (webhook, plain JSON), wecom (shared
    WeCom robot of the office), dingtalk-x (shared DingTalk robot of the
    contractor xinyuan-catering), sms (command: sink_cmd.py), archive
    (shared file), complaint-mail (SMTP sink), plus extra_channels.
    Office people: mail, hook, wecom, archive (+ sms for the leaders);
    contractor contacts: mail, sms (+ dingtalk-x).  person_channels
    replaces a person's list.  In extra_channels, {web} stands for the
    webhook sink's base URL."""

    def __init__(self, policies=DEFAULT_POLICIES, rules=None, extra_channels="", person_channels=None, hours=None,
                 alertd_extra=(), person_extra=None):
        self.web = WebhookSink()
        self.smtp = SmtpSink()
        self.dir = T.tmpdir("hq-astack-")
        self.sms_path = os.path.join(self.dir, "sms.jsonl")
        self.sms_script = os.path.join(self.dir, "sms-status")
        self.archive_path = os.path.join(self.dir, "archive.jsonl")
        channels = """  mail: {type: email, url: "%s", from: houqin-alerts@example.edu.cn, timeout: 10s}
  complaint-mail: {type: email, url: "%s", from: houqin-feedback@example.edu.cn}
  hook: {type: webhook, format: json, url: "%s", timeout: 5s}
  wecom: {type: webhook, format: wecom, url: "%s", shared: true}
  dingtalk-x: {type: webhook, format: dingtalk, url: "%s", shared: true}
  sms: {type: command, argv: [/usr/bin/python3, "%s", "%s", "%s"], timeout: 20s}
  archive: {type: file, path: "%s", shared: true}
%s""" % (self.smtp.url(), self.smtp.url(), self.web.url("/hook"), self.web.url("/wecom/office"),
         self.web.url("/dingtalk/xinyuan"), os.path.join(HERE, "sink_cmd.py"), self.sms_path, self.sms_script,
         self.archive_path, extra_channels.replace("{web}", "http://127.0.0.1:%d" % self.web.port))
        pcs = {}
        for pid, name, roles in shipped_people():
            if pid in CONTACTS:
                mail, phone, robot = CONTACTS[pid]
                pcs[pid] = [{"channel": "mail", "to": mail}, {"channel": "sms", "to": phone}]
                if robot:
                    pcs[pid].append({"channel": robot})
            else:
                pcs[pid] = [{"channel": "mail", "to": "%s@example.edu.cn" % pid}, {"channel": "hook"},
                            {"channel": "wecom"}, {"channel": "archive"}]
                if pid in LEADERS:
                    pcs[pid].append({"channel": "sms", "to": LEADERS[pid]})
        pcs.update(person_channels or {})
        self.org = Org(pcs, hours, person_extra)
        self.rules = rules_dir(self.org, channels, policies, rules)
        self.hq = Hq(self.rules)
        self.ad = Alertd(self.hq, self.rules, extra=alertd_extra)

    def start(self, t0=T0):
        self.hq.start_at(t0)
        self.ad.start()

    def stop(self):
        try:
            self.ad.stop()
            self.hq.stop()
        finally:
            self.kill()

    def kill(self):
        self.ad.kill()
        self.hq.kill()
        for s in (self.web, self.smtp):
            try:
                s.stop()
            except Exception:
                pass

    # ---- what the sinks got
    def deliveries(self):
        """[(key, where, payload)] from every sink (webhook and file JSON,
        the parsed mail, the command's JSON)."""
        out = [(d["key"], d["path"], d["body"]) for d in self.web.got()]
        out += [(m["key"], "mail:" + ",".join(m["rcpt"]), m) for m in self.smtp.got()]
        out += [(s["key"], "sms", s["alert"]) for s in read_jsonl(self.sms_path)]
        out += [(a["idempotency_key"], "archive", a) for a in read_jsonl(self.archive_path)]
        return out

    def keys(self):
        return [k for k, w, p in self.deliveries()]

    def expected(self, records):
        """The idempotency keys the records must produce (feedback
        excepted)."""
        want = set()
        for r in records:
            if r["kind"] == "feedback":
                continue
            shared = set()
            for pid in self.org.resolve(r):
                for c in self.org.channels.get(pid, []):
                    if c.get("fallback"):
                        break      # used only on failover
                    if c["channel"] in ("wecom", "dingtalk-x", "archive"):
                        shared.add(c["channel"])
                    else:
                        want.add("%d-%s-%s" % (r["seq"], pid, c["channel"]))
            want |= {"%d-group-%s" % (r["seq"], ch) for ch in shared}
        return want

    def wait_keys(self, want, timeout=60.0, what="deliveries", tick=None):
        def done():
            return want <= set(self.keys())
        try:
            wait_for(done, timeout, what, tick=tick)
        except TestFailure:
            missing = sorted(want - set(self.keys()))
            raise TestFailure("%s: %d of %d missing, e.g. %r; alertd log:\n%s" % (
                what, len(missing), len(want), missing[:8], self.ad.log_tail(30)))
