#!/usr/bin/python3
"""houqin-alertd --check and --probe: what cannot work, with positions
(issue 14, item 5).

- test_check_shipped: on the shipped rules --check exits 1 and names, at
  its file:line:column, every placeholder: each `from:` of an e-mail
  channel, each person's e-mail address and phone number that a channel
  uses, the SMS program and the archive directory (when missing on this
  machine), each person left without a working channel; every loopback
  server is a note.  Positions come from PyYAML's own parser.
- test_check_missing: a command channel whose program is missing, one
  whose program is not executable, a file channel whose directory is
  missing, URLs that do not parse, placeholder addresses of several kinds,
  a person with only broken channels: each reported where it is written,
  with "fix:"; a person with a working channel is not reported.
- test_probe: --probe fails against a closed loopback port (SMTP and
  webhook) and against an SMTP server that greets with 554, and passes
  (exit 0) against a tiny local SMTP server that greets with 220 and an
  HTTP server that answers HEAD, which see the probe arrive.
"""
import os
import socket
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

import atest as A
from atest import check, check_eq, log


def run_check(d, *extra):
    return A.run_alertd(["--check", "--rules", d, "--schemas", A.ARGS.schemas] + list(extra), timeout=120)


def pos(node):
    return node.start_mark.line + 1, node.start_mark.column + 1


def mapping(node):
    return {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}


def expect(out, path, node, text):
    line, col = pos(node)
    want = "%s:%d:%d: %s" % (path, line, col, text)
    check(want in out, "expected %r in the output of --check:\n%s" % (want, out))


def test_check_shipped():
    rules = A.ARGS.rules
    rc, out, err = run_check(rules)
    check_eq(rc, 1, "exit status of --check on the shipped rules\n%s%s" % (out, err))
    apath, opath = os.path.join(rules, "alerts.yaml"), os.path.join(rules, "org.yaml")
    # --rules is what the test got; the program prints paths under it.
    alerts = yaml.compose(open(apath, encoding="utf-8"))
    org = yaml.compose(open(opath, encoding="utf-8"))
    channels = mapping(mapping(alerts)["channels"])
    named = 0
    to_field = {}
    for name, ch in channels.items():
        m = mapping(ch)
        if "to" in m:
            to_field[name] = m["to"].value
        if "from" in m and "example" in m["from"].value:
            expect(out, apath, m["from"], "channel %s: from: placeholder address %s" % (name, m["from"].value))
            named += 1
        if m["type"].value == "command":
            prog = m["argv"].value[0]
            if not os.path.exists(prog.value):
                expect(out, apath, prog, "channel %s: program %s does not exist; fix: " % (name, prog.value))
                named += 1
        if m["type"].value == "file":
            d = os.path.dirname(m["path"].value)
            if not os.path.isdir(d):
                expect(out, apath, m["path"], "channel %s: directory %s does not exist; fix: " % (name, d))
                named += 1
        if "url" in m and "127.0.0.1" in m["url"].value:
            expect(out, apath, m["url"], "note: channel %s: %s is on this machine (loopback)" % (name, m["url"].value))
    people = mapping(org)["people"].value
    for p in people:
        pm = mapping(p)
        pid = pm["id"].value
        uses = {c.value if isinstance(c, yaml.ScalarNode) else mapping(c)["channel"].value for c in pm["channels"].value}
        for ch in sorted(uses):
            field = to_field.get(ch)
            if field and field in pm:
                expect(out, opath, pm[field], "%s on channel %s: placeholder address %s: " % (pid, ch, pm[field].value))
                named += 1
    # Who is left with nothing that works: every channel a placeholder or missing.
    for p in people:
        pm = mapping(p)
        pid = pm["id"].value
        uses = [c.value if isinstance(c, yaml.ScalarNode) else mapping(c)["channel"].value for c in pm["channels"].value]
        if all(to_field.get(c) in pm or c == "archive" and not os.path.isdir("/var/lib/houqin-alertd") for c in uses):
            expect(out, opath, pm["id"], "%s (%s) has no working channel (" % (pid, pm["name"].value))
            named += 1
    check("fix:" in out and "problem(s)" in out.splitlines()[-1], "the summary line:\n%s" % out)
    problems = [l for l in out.splitlines() if ": note: " not in l and l.count(":") >= 3 and "fix:" in l]
    check_eq(len(problems), named, "every problem line is one of the expected ones:\n%s" % out)
    log("--check on the shipped rules: %d placeholders and broken channels named with positions" % named)


NOEXEC = None


def test_check_missing():
    global NOEXEC
    tmp = A.T.tmpdir("hq-acheck-")
    NOEXEC = os.path.join(tmp, "notify")
    with open(NOEXEC, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(NOEXEC, stat.S_IRUSR | stat.S_IWUSR)
    good_file = os.path.join(tmp, "ok.jsonl")
    channels = """  sms: {type: command, argv: [/nonexistent/houqin/send-sms], to: phone}
  noexec: {type: command, argv: ["%s"]}
  archive: {type: file, path: /nonexistent-houqin-dir/alerts.jsonl}
  ok-file: {type: file, path: "%s"}
  hook: {type: webhook, url: "http://:8080/hook"}
  badport: {type: webhook, url: "http://hooks.campus.cn:99999/x"}
  sample: {type: webhook, format: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=CHANGE-ME"}
  mail: {type: email, url: "smtp://mail.campus.cn:587", from: alerts@campus.cn}
""" % (NOEXEC, good_file)
    org = A.Org({
        "chen.catering": [{"channel": "sms"}, {"channel": "archive"}, {"channel": "noexec", "to": "x"}],
        "wang.director": [{"channel": "mail", "to": "wang@mail.invalid"}, {"channel": "ok-file"}],
        "li.deputy": [{"channel": "mail", "to": "CHANGE-ME@campus.cn"}, {"channel": "hook"}],
        "zhao.vp": [{"channel": "badport"}, {"channel": "sample"}],
    }, extra={"chen.catering": 'phone: "13812345678"'})
    d = A.rules_dir(org, channels, "  quiet_hours: false\n", templates=False)
    rc, out, err = run_check(d)
    check_eq(rc, 1, "exit status\n%s%s" % (out, err))
    apath, opath = os.path.join(d, "alerts.yaml"), os.path.join(d, "org.yaml")
    atext, otext = open(apath, encoding="utf-8").read(), open(opath, encoding="utf-8").read()

    def at(path, text, needle, msg):
        i = text.index(needle)
        line = text.count("\n", 0, i) + 1
        col = i - (text.rfind("\n", 0, i) + 1) + 1
        want = "%s:%d:%d: %s" % (path, line, col, msg)
        check(want in out, "expected %r in:\n%s" % (want, out))

    at(apath, atext, "/nonexistent/houqin/send-sms",
       "channel sms: program /nonexistent/houqin/send-sms does not exist; fix: install the program there")
    if os.geteuid() != 0:  # root may run anything
        at(apath, atext, '"%s"' % NOEXEC, "channel noexec: program %s is not executable by this user" % NOEXEC)
    at(apath, atext, "/nonexistent-houqin-dir/alerts.jsonl",
       "channel archive: directory /nonexistent-houqin-dir does not exist; fix: create it")
    at(apath, atext, '"http://:8080/hook"', "channel hook: http://:8080/hook cannot be parsed: no host; fix: ")
    at(apath, atext, '"http://hooks.campus.cn:99999/x"',
       "channel badport: http://hooks.campus.cn:99999/x cannot be parsed: port 99999 is out of range")
    at(apath, atext, '"https://qyapi', 'channel sample: placeholder address https://qyapi.weixin.qq.com/cgi-bin/'
       'webhook/send?key=CHANGE-ME: a sample to fill in (it has "change-me"); fix: the group robot')
    at(opath, otext, '"wang@mail.invalid"', "wang.director on channel mail: placeholder address wang@mail.invalid: "
       "mail.invalid is a placeholder domain (.invalid is reserved")
    at(opath, otext, '"CHANGE-ME@campus.cn"', "li.deputy on channel mail: placeholder address CHANGE-ME@campus.cn")
    # chen.catering: sms (program missing; the number itself is fine), archive (no directory), noexec
    chen = "id: chen.catering"
    at(opath, otext, "chen.catering", "chen.catering (陈科长) has no working channel (sms: program "
       "/nonexistent/houqin/send-sms missing; archive: directory /nonexistent-houqin-dir missing")
    check("13812345678" not in out, "a real-looking phone number is not reported:\n%s" % out)
    # li.deputy and zhao.vp: every channel broken; wang.director keeps ok-file.
    at(opath, otext, "li.deputy", "li.deputy (李副处长) has no working channel (mail: placeholder address "
       "CHANGE-ME@campus.cn; hook: URL cannot be parsed)")
    at(opath, otext, "zhao.vp", "zhao.vp (赵副校长) has no working channel")
    check("wang.director (" not in out, "wang.director has a working file channel:\n%s" % out)
    check("mail.campus.cn" not in out and "alerts@campus.cn" not in out, "a plausible relay is fine:\n%s" % out)
    # People without any channel are named too.
    check("xu.office (" in out and "has no channels" in out, "people without channels:\n%s" % out)
    del chen
    log("missing program, not executable, missing directory, bad URLs, placeholders: reported with positions")


class TinySmtp:
    """Accepts connections on loopback and greets with `greeting`; counts
    connections; answers QUIT with 221."""

    def __init__(self, greeting):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.greeting = greeting
        self.connections = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            try:
                c.settimeout(5)
                c.sendall(self.greeting.encode() + b"\r\n")
                data = c.recv(100)
                if data.startswith(b"QUIT"):
                    c.sendall(b"221 bye\r\n")
            except OSError:
                pass
            c.close()

    def stop(self):
        self.sock.close()


def tiny_http():
    heads = []

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_HEAD(self):
            heads.append(self.path)
            self.send_response(405 if self.path.startswith("/robot") else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, heads


def probe_dir(mail_url, hook_url, own_hook):
    channels = """  mail: {type: email, url: "%s", from: alerts@campus.cn, connect_timeout: 2s, timeout: 3s}
  hook: {type: webhook, url: "%s", connect_timeout: 2s, timeout: 3s}
  own: {type: webhook, to: webhook}
""" % (mail_url, hook_url)
    people = {pid: [{"channel": "hook"}] for pid, _, _ in A.shipped_people()}
    people["wang.director"] = [{"channel": "mail", "to": "wang@campus.cn"}, {"channel": "own"}]
    org = A.Org(people, extra={"wang.director": 'webhook: "%s"' % own_hook})
    return A.rules_dir(org, channels, "  quiet_hours: false\n", templates=False)


def test_probe():
    closed = A.free_port()
    d = probe_dir("smtp://127.0.0.1:%d" % closed, "http://127.0.0.1:%d/hook" % closed,
                  "http://127.0.0.1:%d/own" % closed)
    rc, out, err = run_check(d)
    check_eq(rc, 0, "--check alone does not connect (loopback is a note)\n%s%s" % (out, err))
    check("note: channel mail: smtp://127.0.0.1:%d is on this machine" % closed in out, out)
    rc, out, err = run_check(d, "--probe")
    check_eq(rc, 1, "--probe against a closed port\n%s%s" % (out, err))
    apath, opath = os.path.join(d, "alerts.yaml"), os.path.join(d, "org.yaml")
    for line in ("channel mail: probe: smtp://127.0.0.1:%d: connecting to 127.0.0.1 port %d: Connection refused"
                 % (closed, closed),
                 "channel hook: probe: HEAD http://127.0.0.1:%d/hook failed" % closed,
                 "wang.director on channel own: probe: HEAD http://127.0.0.1:%d/own failed" % closed):
        check(line in out, "expected %r in:\n%s" % (line, out))
    check(out.count("%s:" % apath) >= 2 and "%s:" % opath in out, "positions:\n%s" % out)
    check("3 problem(s)" in out, "three failures:\n%s" % out)

    bad = TinySmtp("554 5.3.2 not now")
    srv, heads = tiny_http()
    hp = srv.server_address[1]
    try:
        d = probe_dir("smtp://127.0.0.1:%d" % bad.port, "http://127.0.0.1:%d/gone" % hp,
                      "http://127.0.0.1:%d/robot/x" % hp)
        rc, out, err = run_check(d, "--probe")
        check_eq(rc, 1, "--probe against a 554 greeting\n%s%s" % (out, err))
        check('greeted with "554 5.3.2 not now", not 220' in out, out)
        check("1 problem(s)" in out, "only the SMTP server fails (405 on HEAD is reachable):\n%s" % out)
    finally:
        bad.stop()

    good = TinySmtp("220 tiny.campus.cn ESMTP ready")
    try:
        heads.clear()
        d = probe_dir("smtp://127.0.0.1:%d" % good.port, "http://127.0.0.1:%d/hook" % hp,
                      "http://127.0.0.1:%d/robot/own" % hp)
        rc, out, err = run_check(d, "--probe")
        check_eq(rc, 0, "--probe against live servers\n%s%s" % (out, err))
        check("every server answered" in out and "220 tiny.campus.cn ESMTP ready" in out, out)
        check_eq(sorted(heads), ["/hook", "/robot/own"], "the HEAD requests the server saw")
        check(good.connections >= 1, "the SMTP server saw the probe")
    finally:
        good.stop()
        srv.shutdown()
    log("--probe: closed port, 554 greeting fail; 220 greeting and HEAD answers pass")


if __name__ == "__main__":
    A.parse_args()
    A.main([test_check_shipped, test_check_missing, test_probe])
