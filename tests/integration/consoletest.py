"""consoletest - helpers for the console and portal tests (integration and
browser): accounts through houqinctl, log-in over HTTP, a cold-storage
breach on the shipped rules with the manual clock."""

import json
import re
import subprocess
import time
import urllib.parse

import hqtest
from hqtest import check, check_eq, TestFailure
from webtest import csrf_of

T0 = 1773022500000  # 2026-03-09 10:15 +08:00, a Monday
CARD = {"Authorization": "Bearer tok-card-0123456789", "Content-Type": "application/json"}
PASSWORD = "correct horse 42"


def account(ctl, d, person, password=PASSWORD, verb="set"):
    p = subprocess.run([ctl, "account", verb, person, "--state", d.state, "--rules", hqtest.ARGS.rules,
                        "--schemas", hqtest.ARGS.schemas], input=(password + "\n").encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def cookie_of(h):
    c = h.get("set-cookie", "")
    m = re.match(r"hq_session=([^;]*)", c)
    return m.group(1) if m else None


def login(w, person, password=PASSWORD):
    st, h, b = w.http("GET", "/login")
    check_eq(st, 200, "GET /login")
    csrf = csrf_of(b.decode())
    body = urllib.parse.urlencode({"csrf": csrf, "person": person, "password": password})
    st, h, b = w.http("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
    return st, h, b.decode(), cookie_of(h)


class Session:
    def __init__(self, w, cookie):
        self.w, self.cookie = w, cookie

    def get(self, path):
        st, h, b = self.w.http("GET", path, None, {"Cookie": "hq_session=" + self.cookie})
        return st, h, b.decode("utf-8", "replace")

    def post(self, path, fields, ctype="application/x-www-form-urlencoded", raw=None):
        body = raw if raw is not None else urllib.parse.urlencode(fields)
        st, h, b = self.w.http("POST", path, body, {"Cookie": "hq_session=" + self.cookie, "Content-Type": ctype})
        return st, h, b.decode("utf-8", "replace")


def form_of(html, action):
    """The hidden fields (csrf, tl) of the form for action on an issue page."""
    m = re.search(r'<form[^>]*id="form-%s".*?</form>' % action, html, re.S)
    if not m:
        return None
    f = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', m.group(0)))
    return f


def issues(d, ctl):
    p = subprocess.run([ctl, "issues", "--state", d.state, "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    out = p.stdout.decode().strip()
    if not out:
        return []
    if out.startswith("["):
        return json.loads(out)
    return [json.loads(l) for l in out.splitlines() if l.strip()]


SITES = {"cs-001": "canteen-1", "cs-002": "canteen-2", "cs-003": "canteen-3"}


def breach(d, w, ctl, sensor, t=None):
    """A cold-storage reading above 8 °C held for 31 minutes: the shipped
    rule catering.cold-storage-high opens an issue.  Returns its number."""
    before = {i["number"] for i in issues(d, ctl)}
    t = d.status()["clock_ms"]  # a manual clock starts at the wall time
    for k, dt in enumerate((0, 31 * 60000)):
        if dt:
            d.control().call({"cmd": "clock.advance", "ms": dt})
        ev = {"id": "%s-%d-%d" % (sensor, t, k), "type": "sensor.reading", "ts": t + dt,
              "data": {"sensor": sensor, "kind": "cold_storage_temp", "value": 12.5, "unit": "C",
                       "site": SITES[sensor]}}
        st, h, b = w.http("POST", "/api/v1/events", json.dumps(ev), CARD)
        check_eq(st, 200, "reading stored: %r" % b)
        check(b'"stored"' in b or b'"duplicate"' in b, "reading stored: %r" % b)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        # The breach's own issue: the clock moved, so a scheduled rule may
        # have opened others meanwhile (a missed daily inspection at 18:00).
        new = [i for i in issues(d, ctl) if i["number"] not in before and i["rule"] == "catering.cold-storage-high"
               and i["site"] == SITES[sensor]]
        if new:
            return new[0]["number"]
        time.sleep(0.1)
    raise TestFailure("no issue opened by the breach of %s" % sensor)
