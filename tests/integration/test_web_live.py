#!/usr/bin/env python3
"""houqin-web's live updates (docs/web.md "Live updates") against the real
houqind: a logged-in person's event stream (/console/live) receives
houqind's published change of an issue within a bounded time; a contractor
never receives another contractor's issue; ?issue= narrows the stream;
heartbeats; a reconnect with Last-Event-ID gets what it missed; --live-max
refuses the stream over the limit; no session, no stream; the page script
is served and allowed by the CSP; SIGTERM ends open streams cleanly."""

import http.client
import json
import threading
import time

import hqtest
from hqtest import check, check_eq, log, TestFailure
from webtest import Web
from consoletest import login, account, breach, Session


def extra(p):
    p.add_argument("--houqin-web", required=True)
    p.add_argument("--houqinctl", required=True)


ARGS = hqtest.parse_args(extra)
WAIT = 10.0  # seconds: the bound on an event's way from houqind to the stream


class Stream:
    """An SSE client on its own thread: every line with its arrival time;
    events parsed (id, event, data)."""

    def __init__(self, w, cookie, path="/console/live", headers=None):
        self.c = http.client.HTTPConnection("127.0.0.1", w.port, timeout=60)
        h = {"Accept": "text/event-stream"}
        if cookie:
            h["Cookie"] = "hq_session=" + cookie
        h.update(headers or {})
        self.c.request("GET", path, headers=h)
        self.r = self.c.getresponse()
        self.status = self.r.status
        self.headers = {k.lower(): v for k, v in self.r.getheaders()}
        self.lines, self.events, self.eof = [], [], False
        self.lock = threading.RLock()
        if self.status == 200:
            self.t = threading.Thread(target=self._run, daemon=True)
            self.t.start()
        else:
            self.body = self.r.read()
            self.c.close()

    def _run(self):
        cur = {}
        try:
            while True:
                line = self.r.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                now = time.monotonic()
                with self.lock:
                    self.lines.append((now, line))
                    if line == "":
                        if cur:
                            if "data" in cur:
                                cur["json"] = json.loads(cur["data"])
                            cur["t"] = now
                            self.events.append(cur)
                        cur = {}
                    elif not line.startswith(":") and ":" in line:
                        k, v = line.split(":", 1)
                        cur[k] = v[1:] if v.startswith(" ") else v
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass
        with self.lock:
            self.eof = True

    def issue_events(self, number=None):
        with self.lock:
            return [e for e in self.events if e.get("event") == "issue"
                    and (number is None or e["json"]["issue"] == number)]

    def wait(self, cond, what, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                got = cond(self)
            if got:
                return got
            time.sleep(0.02)
        raise TestFailure("%s: not within %.0f s; lines: %r" % (what, timeout, self.lines[-20:]))

    def heartbeats_after(self, t):
        return [l for (when, l) in self.lines if when > t and l.startswith(": hb")]

    def close(self):
        try:
            self.c.sock.shutdown(2)
        except (OSError, AttributeError):
            pass
        self.c.close()


def setup(extra=()):
    d = hqtest.Daemon(extra=["--clock", "manual"])
    d.start()
    w = Web(d, ARGS.houqin_web, ["--subscribe", d.publish_ep, "--live-heartbeat", "1"] + list(extra))
    w.start()
    return d, w


def test_stream_scope_and_shutdown():
    d, w = setup()
    ctl = ARGS.houqinctl
    streams = []
    try:
        for p in ("contact.xinyuan", "contact.hexiang", "lin.sup"):
            check_eq(account(ctl, d, p)[0], 0, "account " + p)
        cx_cookie = login(w, "contact.xinyuan")[3]
        ch_cookie = login(w, "contact.hexiang")[3]
        sup_cookie = login(w, "lin.sup")[3]
        # no session: no stream
        s = Stream(w, None)
        check_eq(s.status, 401, "stream without a session")
        s = Stream(w, "lin.sup:p:00:00")
        check_eq(s.status, 401, "stream with a bad cookie")
        # the page script: served, allowed by the CSP, loaded by the console's pages
        st, h, js = w.http("GET", "/console/live.js")
        check_eq(st, 200, "live.js")
        check(h["content-type"].startswith("text/javascript") and b"EventSource" in js, "live.js is the script")
        csp = h["content-security-policy"]
        check("script-src 'self'" in csp and "connect-src 'self'" in csp and "script-src 'self';" in csp
              and "default-src 'none'" in csp, "CSP allows the same-origin script only: " + csp)
        st, h, html = Session(w, sup_cookie).get("/console")
        check('<script src="/console/live.js" defer></script>' in html, "the dashboard loads the script")
        check("<script>" not in html, "no inline script")

        cx = Stream(w, cx_cookie)
        ch = Stream(w, ch_cookie)
        sup = Stream(w, sup_cookie)
        streams += [cx, ch, sup]
        for s in (cx, ch, sup):
            check_eq(s.status, 200, "stream")
            check(s.headers["content-type"].startswith("text/event-stream"), "event stream: %r" % s.headers)
            check("content-security-policy" in s.headers, "the security headers on the stream too")
        # heartbeats while nothing happens (--live-heartbeat 1)
        t0 = time.monotonic()
        sup.wait(lambda s: s.heartbeats_after(t0), "a heartbeat")

        mine = breach(d, w, ctl, "cs-001")    # xinyuan-catering (canteen-1)
        e = sup.wait(lambda s: s.issue_events(mine), "the supervisor sees the new issue %s" % mine)[0]
        check_eq(e["json"]["kind"], "opened", "kind")
        check_eq(e["json"]["label"], "新整改通知", "label (the vocabulary's word for the notice)")
        check(e["id"] == str(e["json"]["seq"]), "the event id is houqind's outbox seq")
        check(set(e["json"]) <= {"seq", "issue", "kind", "label", "level", "ts_ms", "deadline_ms"},
              "nothing but the change: %r" % e["json"])
        cx.wait(lambda s: s.issue_events(mine), "the contractor sees its own new issue")
        # a stream for one issue
        one = Stream(w, sup_cookie, "/console/live?issue=" + mine)
        streams.append(one)
        check_eq(one.status, 200, "stream of one issue")
        check_eq(Stream(w, sup_cookie, "/console/live?issue=" + "X" * 40).status, 400, "a bad issue number")

        other = breach(d, w, ctl, "cs-003")  # hexiang-catering (canteen-3)
        ch.wait(lambda s: s.issue_events(other), "hexiang sees its issue")
        t_other = sup.wait(lambda s: s.issue_events(other), "the supervisor sees the other issue")[0]["t"]
        # xinyuan's stream went past that record (a heartbeat came after it) without it
        cx.wait(lambda s: s.heartbeats_after(t_other + 0.05), "xinyuan's stream goes on")
        one.wait(lambda s: s.heartbeats_after(t_other + 0.05), "the one-issue stream goes on")
        check(not cx.issue_events(other), "a contractor never gets another contractor's issue")
        check(not ch.issue_events(mine), "nor the other way round")
        check(not one.issue_events(other), "?issue= narrows the stream")

        # houqind's timers publish too: 5 hours later both issues are overdue
        # (a 4-hour deadline); the time from the control command to the events
        t = time.monotonic()
        d.control().call({"cmd": "clock.advance", "ms": 5 * 3600 * 1000})
        for s, n in ((cx, mine), (ch, other), (sup, mine), (sup, other)):
            s.wait(lambda s: [e for e in s.issue_events(n) if e["json"]["kind"] == "overdue"], "overdue " + n)
        lat = [e["t"] - t for s, n in ((cx, mine), (ch, other)) for e in s.issue_events(n)
               if e["json"]["kind"] == "overdue"]
        log("overdue: clock.advance to the contractors' streams in %.0f ms (slowest)" % (1000 * max(lat)))
        t_over = time.monotonic()
        cx.wait(lambda s: s.heartbeats_after(t_over + 0.05), "xinyuan's stream goes on")
        check(not cx.issue_events(other), "a contractor never gets another contractor's issue (overdue)")
        check(not ch.issue_events(mine), "nor the other way round (overdue)")
        # a reconnect with Last-Event-ID gets what it missed
        first = sup.issue_events(mine)[0]["id"]
        again = Stream(w, sup_cookie, headers={"Last-Event-ID": first})
        streams.append(again)
        again.wait(lambda s: s.issue_events(other), "the reconnected stream gets what it missed")
        check(not again.issue_events(mine) or again.issue_events(mine)[0]["json"]["seq"] > int(first),
              "not what it had")
        # a Last-Event-ID the ring never held (another houqind state): a refresh
        old = Stream(w, sup_cookie, headers={"Last-Event-ID": "999999"})
        streams.append(old)
        old.wait(lambda s: [e for e in s.events if e.get("event") == "refresh"], "a refresh for an unknown id")

        # SIGTERM with the streams open: a clean stop, each stream ended
        t = time.monotonic()
        w.stop(timeout=20)
        log("houqin-web stopped in %.0f ms with %d streams open" % (1000 * (time.monotonic() - t), len(streams)))
        for s in streams:
            s.wait(lambda s: s.eof, "the stream ends at shutdown", timeout=5)
        check("still open at shutdown" not in w.log(), "every stream ended before libmicrohttpd stopped")
    finally:
        for s in streams:
            s.close()
        w.stop()
        d.stop()


def test_limit_and_off():
    d, w = setup(["--live-max", "1"])
    w2 = None
    streams = []
    try:
        check_eq(account(ARGS.houqinctl, d, "lin.sup")[0], 0, "account")
        c = login(w, "lin.sup")[3]
        a = Stream(w, c)
        streams.append(a)
        check_eq(a.status, 200, "first stream")
        b = Stream(w, c)
        check_eq(b.status, 503, "a stream over --live-max")
        check("实时更新暂不可用" in b.body.decode(), "refused in words")
        # the first one's end frees its place (the heartbeat finds it gone)
        a.close()
        deadline = time.monotonic() + WAIT
        while True:
            b = Stream(w, c)
            if b.status == 200:
                streams.append(b)
                break
            check(time.monotonic() < deadline, "the place of a closed stream is freed within %.0f s" % WAIT)
            time.sleep(0.2)
        # a bad option
        for bad in (["--live-max", "-1"], ["--live-heartbeat", "0"]):
            p = __import__("subprocess").run(Web(d, ARGS.houqin_web, bad).argv(), capture_output=True, timeout=30)
            check_eq(p.returncode, 1, "refused: %r" % bad)
            check(b"--live" in p.stderr, "says which option: %r" % p.stderr)
        # --live-max 0: off, the pages work the same
        w2 = Web(d, ARGS.houqin_web, ["--subscribe", d.publish_ep, "--live-max", "0"])
        w2.start()
        c2 = login(w2, "lin.sup")[3]
        check_eq(Stream(w2, c2).status, 503, "live updates off")
        st, h, html = Session(w2, c2).get("/console")
        check_eq(st, 200, "the dashboard without live updates")
    finally:
        for s in streams:
            s.close()
        if w2:
            w2.stop()
        w.stop()
        d.stop()


if __name__ == "__main__":
    hqtest.main([test_stream_scope_and_shutdown, test_limit_and_off])
