#!/usr/bin/env python3
"""houqin-web against the real houqind: the HTTP intake (every status and
error of SPEC §8), the public form (CSRF, honeypot, validation, follow an
open issue, photos with metadata stripped, houqind down), the status page
through staff actions, and the satisfaction answer."""

import hashlib
import json
import os
import re
import shutil
import struct
import time
import urllib.parse
import zlib

import hqtest
from hqtest import check, check_eq, log
import webtest
from webtest import Web, multipart, csrf_of, houqinctl

EXTRA = []


def extra(p):
    p.add_argument("--houqin-web", required=True)
    p.add_argument("--houqinctl", required=True)


ARGS = hqtest.parse_args(extra)

CARD = {"Authorization": "Bearer tok-card-0123456789", "Content-Type": "application/json"}
SENSOR = {"sensor": "cs-001", "kind": "cold_storage_temp", "value": 4.5, "unit": "C", "site": "canteen-1"}


def events_of(d):
    v = hqtest.read_store(d.state)
    out = []
    for seq in sorted(v.events):
        out.append((seq, hqtest.unpack(v.events[seq][1])))
    return out


def setup(extra=(), clock=True):
    d = hqtest.Daemon(extra=["--clock", "manual"] if clock else [])
    d.start()
    if clock:
        d.control().call({"cmd": "clock.set", "ms": 1773022500000})
    w = Web(d, ARGS.houqin_web, extra)
    w.start()
    return d, w


def post_events(w, body, headers=CARD):
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    st, h, b = w.http("POST", "/api/v1/events", body, headers)
    return st, h, (json.loads(b) if b else None)


def test_intake():
    d, w = setup()
    try:
        # one event, an array, JSON lines; results in order
        st, h, r = post_events(w, {"id": "a-1", "type": "sensor.reading", "ts": 1773022500000, "data": SENSOR})
        check_eq(st, 200, "single event")
        check_eq(r["results"][0]["status"], "stored", "single event status")
        check(isinstance(r["results"][0]["seq"], int), "seq is a number")
        for k in ("content-security-policy", "x-content-type-options", "referrer-policy"):
            check(k in h, "security header %s on the intake reply" % k)
        check("frame-ancestors 'none'" in h["content-security-policy"], "frame-ancestors none")
        batch = [{"id": "b-%d" % i, "type": "sensor.reading", "ts": 1773022500000 + i, "data": SENSOR}
                 for i in range(5)]
        batch.insert(2, {"id": "b-bad", "type": "sensor.reading", "data": {"sensor": "cs-001"}})
        st, h, r = post_events(w, batch)
        check_eq(st, 200, "array")
        check_eq([x["id"] for x in r["results"]], [e["id"] for e in batch], "results in the order sent")
        check_eq([x["status"] for x in r["results"]], ["stored"] * 2 + ["rejected"] + ["stored"] * 3, "statuses")
        check("data.kind" in r["results"][2]["reason"], "reason names the field: %r" % r["results"][2])
        check("seq" not in r["results"][2], "no seq on a rejected event")
        # idempotent: the same request again answers duplicate with the same seqs
        st, h, r2 = post_events(w, batch)
        check_eq([x["status"] for x in r2["results"]], ["duplicate"] * 2 + ["rejected"] + ["duplicate"] * 3,
                 "retry statuses")
        check_eq([x.get("seq") for x in r2["results"]], [x.get("seq") for x in r["results"]], "retry seqs")
        # a retry without ts (filled in) is still a duplicate
        st, h, r = post_events(w, {"id": "nots-1", "type": "sensor.reading", "data": SENSOR})
        check_eq(r["results"][0]["status"], "stored", "no ts: stored")
        st, h, r3 = post_events(w, {"id": "nots-1", "type": "sensor.reading", "data": SENSOR})
        check_eq(r3["results"][0]["status"], "duplicate", "no ts, retried")
        check_eq(r3["results"][0]["seq"], r["results"][0]["seq"], "no ts, retried: same seq")
        # JSON lines, with a line that is not JSON and one without an id
        lines = "\n".join([json.dumps({"id": "l-1", "type": "sensor.reading", "ts": 1, "data": SENSOR}),
                           "{not json",
                           json.dumps({"type": "sensor.reading", "ts": 2, "data": SENSOR})]) + "\n"
        st, h, r = post_events(w, lines, dict(CARD, **{"Content-Type": "application/x-ndjson"}))
        check_eq(st, 200, "JSON lines")
        check_eq([x["status"] for x in r["results"]], ["stored", "rejected", "stored"], "JSON lines statuses")
        check(r["results"][1]["id"] is None and "line 2" in r["results"][1]["reason"], "bad line: %r" % r)
        check(len(r["results"][2]["id"]) > 10, "a generated id")
        before = hqtest.read_store(d.state).fingerprint()
        # 401: no token, a wrong token
        st, h, r = post_events(w, batch, {"Content-Type": "application/json"})
        check_eq(st, 401, "no token")
        check("error" in r and r["error"]["code"] == "unauthorized", "401 JSON body %r" % r)
        st, h, r = post_events(w, batch, {"Authorization": "Bearer nope-nope-nope-nope", "Content-Type":
                                          "application/json"})
        check_eq(st, 401, "unknown token")
        # 403: a type this client may not send; another source
        st, h, r = post_events(w, [{"id": "x-1", "type": "sensor.reading", "ts": 1, "data": SENSOR},
                                   {"id": "x-2", "type": "complaint.submitted", "ts": 1, "data": {}}])
        check_eq(st, 403, "forbidden type")
        check("complaint.submitted" in r["error"]["message"], "403 names the type: %r" % r)
        st, h, r = post_events(w, {"id": "x-3", "type": "sensor.reading", "source": "other", "ts": 1,
                                   "data": SENSOR})
        check_eq(st, 403, "another source")
        # 415, 413, 400, 405
        st, h, r = post_events(w, "id=1", dict(CARD, **{"Content-Type": "application/x-www-form-urlencoded"}))
        check_eq(st, 415, "form body")
        big = json.dumps([{"id": "big-%d" % i, "type": "sensor.reading", "ts": 1, "data": dict(SENSOR, sensor="x" * 60)}
                          for i in range(9000)])
        check(len(big) > 1 << 20, "big body is over 1 MiB")
        st, h, r = post_events(w, big)
        check_eq(st, 413, "body over 1 MiB")
        check(r["error"]["code"] == "too_large", "413 body %r" % r)
        many = json.dumps([{"id": "m-%d" % i, "type": "sensor.reading", "ts": 1, "data": SENSOR}
                           for i in range(1001)])
        st, h, r = post_events(w, many)
        check_eq(st, 413, "over 1,000 events")
        st, h, r = post_events(w, "{\"id\": ")
        check_eq(st, 400, "not JSON")
        st, h, b = w.http("GET", "/api/v1/events", None, CARD)
        check_eq(st, 405, "GET on the intake")
        after = hqtest.read_store(d.state).fingerprint()
        check_eq(after, before, "nothing stored by refused requests")
        # 429: a client with a rate of 0.01/s and a burst of 2
        slow = {"Authorization": "Bearer tok-slow-0123456789", "Content-Type": "application/json"}
        codes = [post_events(w, {"type": "sensor.reading", "ts": 1, "data": SENSOR}, slow)[0] for _ in range(4)]
        check_eq(codes, [200, 200, 429, 429], "rate limit")
        # houqind down: 503 with status timeout; nothing claims stored
        d.stop()
        st, h, r = post_events(w, {"id": "down-1", "type": "sensor.reading", "ts": 1, "data": SENSOR})
        check_eq(st, 503, "houqind down")
        check_eq(r["results"][0]["status"], "timeout", "houqind down: timeout")
        d.start()
        st, h, r = post_events(w, {"id": "down-1", "type": "sensor.reading", "ts": 1, "data": SENSOR})
        check(r["results"][0]["status"] in ("stored", "duplicate"), "retry after houqind is back: %r" % r)
    finally:
        w.stop()
        d.stop()


def form_fields(w, path="/"):
    st, h, b = w.http("GET", path)
    check_eq(st, 200, "GET " + path)
    return b.decode(), csrf_of(b.decode())


def submit(w, fields, files=()):
    body, ct = multipart(fields, files)
    st, h, b = w.http("POST", "/complaint", body, {"Content-Type": ct})
    return st, h, b.decode()


def receipt(html):
    m = re.search(r'id="status-link" href="(/c/([^/"]+)/([0-9a-f]{32}))"', html)
    check(m is not None, "no status link in the receipt:\n%s" % html[-1500:])
    return m.group(1), m.group(2), m.group(3)


def complaints(d):
    return [(s, e) for s, e in events_of(d) if e["type"] == "complaint.submitted"]


def jpeg_with_exif():
    """A tiny baseline JPEG header sequence with an APP1 Exif segment (GPS
    text inside) and a COM segment; the scan data is a stub, which is all
    the server looks at."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    exif = b"Exif\x00\x00GPSLatitude=31.2304N;GPSLongitude=121.4737E"
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    com = b"\xff\xfe" + struct.pack(">H", 9) + b"secret!"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 480, 640, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app0 + app1 + com + sof + sos + b"\x12\x34\x56" * 20 + b"\xff\xd9"


def png_with_text():
    def chunk(t, data):
        return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(3))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"tEXt", b"Comment\x00taken at dorm 7 room 512")
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_form_and_status():
    d, w = setup()
    ctl = ARGS.houqinctl
    try:
        html, csrf = form_fields(w, "/?site=canteen-2")
        check('value="canteen-2" selected' in html, "?site= pre-fills the site")
        check("<script" not in html and "http://" not in html.split("</style>")[1], "no script, no external resource")
        st, h, _ = w.http("GET", "/")
        for k in ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"):
            check(k in h, "security header %s on the form" % k)
        base = [("site", "canteen-1"), ("category", "catering.foreign_matter"), ("text", "米饭里有头发 <b>x</b>"),
                ("contact", "13800000000")]
        n0 = len(complaints(d))
        # no CSRF, a bad one, the honeypot, unknown site or category, empty text: nothing stored
        for fields, code in [(base, 403), (base + [("csrf", "1.abc")], 403),
                             (base + [("csrf", csrf), ("website", "http://spam")], 400)]:
            st, h, b = submit(w, fields)
            check_eq(st, code, "refused submission")
        st, h, b = submit(w, [("csrf", csrf), ("site", "nowhere"), ("category", "catering.pest"), ("text", "x")])
        check_eq(st, 400, "unknown site")
        check("请从列表中选择地点" in b, "unknown site message")
        st, h, b = submit(w, [("csrf", csrf), ("site", "canteen-1"), ("category", "catering.nope"), ("text", "x")])
        check_eq(st, 400, "unknown category")
        st, h, b = submit(w, [("csrf", csrf), ("site", "canteen-1"), ("category", "catering.pest"), ("text", "")])
        check_eq(st, 400, "empty text")
        body, ct = multipart([("csrf", csrf), ("site", "canteen-1"), ("category", "catering.pest")])
        st, h, b = w.http("POST", "/complaint", body.replace(b"canteen-1", b"\xff\xfe-1"), {"Content-Type": ct})
        check_eq(st, 400, "non-UTF-8")
        st, h, b = w.http("POST", "/complaint", b"garbage", {"Content-Type": "multipart/form-data; boundary=zz"})
        check_eq(st, 400, "malformed multipart")
        check_eq(len(complaints(d)), n0, "nothing stored by refused submissions")
        # houqind down: a clear message and the text still in the form
        d.stop()
        st, h, b = submit(w, base + [("csrf", csrf)])
        check_eq(st, 503, "houqind down")
        check("尚未提交" in b and "米饭里有头发 &lt;b&gt;x&lt;/b&gt;" in b, "message and text kept (escaped)")
        check("status-link" not in b, "no receipt when houqind is down")
        d.start()
        # file it, with a photo carrying EXIF
        st, h, b = submit(w, base + [("csrf", csrf)], [("photo", "p.jpg", "image/jpeg", jpeg_with_exif())])
        check_eq(st, 200, "filed")
        link, tracking, token = receipt(b)
        check("<b>x</b>" not in b, "text escaped")
        cs = complaints(d)
        check_eq(len(cs), n0 + 1, "one complaint stored")
        ev = cs[-1][1]
        check_eq(ev["id"], tracking, "tracking number is the event id")
        check_eq(ev["source"], "houqin-web", "source")
        check_eq(ev["data"]["token_hash"], hashlib.blake2b(token.encode(), digest_size=32).hexdigest(),
                 "token_hash = BLAKE2b-256 of the token")
        check(token not in json.dumps(ev, ensure_ascii=False), "the raw token is not stored")
        check_eq(ev["data"]["contact"], "13800000000", "contact")
        ph = ev["data"]["photos"][0]
        check(ph.startswith("sha256:"), "photo by hash: %r" % ph)
        hx = ph[7:]
        path = os.path.join(d.state, "media", hx[:2], hx[2:4], hx)
        with open(path, "rb") as f:
            stored = f.read()
        check_eq(hashlib.sha256(stored).hexdigest(), hx, "content-addressed")
        check(b"GPSLatitude" not in stored and b"secret!" not in stored and b"JFIF" in stored,
              "EXIF and COM stripped, JFIF kept")
        # status: received
        st, h, b = w.http("GET", link)
        check_eq(st, 200, "status page")
        b = b.decode()
        check('id="stage">已受理<' in b, "stage 已受理")
        check("13800000000" not in b and "HQ-" not in b and "houqin-web" not in b, "no contact, no internal ids")
        # wrong token, wrong tracking number: 404, the same page
        st1, _, b1 = w.http("GET", "/c/%s/%s" % (tracking, "0" * 32))
        st2, _, b2 = w.http("GET", "/c/%s/%s" % ("W20260101-AAAAAA", token))
        check_eq((st1, st2), (404, 404), "bad links")
        check_eq(b1, b2, "a bad token and an unknown number look the same")
        # a second one in the same canteen and category: the first one's case
        # is open (every complaint is a case, rules/README.md 4.9), so the form
        # offers to follow it; the student files a new one all the same ...
        html, csrf = form_fields(w)
        st, h, b = submit(w, [("csrf", csrf), ("site", "canteen-1"), ("category", "catering.foreign_matter"),
                              ("text", "汤里有虫子"), ("anonymous", "1"), ("confirm", "new")],
                          [("photo", "p.png", "image/png", png_with_text())])
        check_eq(st, 200, "second complaint")
        link2, tracking2, token2 = receipt(b)
        ev2 = complaints(d)[-1][1]
        check(ev2["data"].get("anonymous") is True and "contact" not in ev2["data"], "anonymous, no contact")
        hx = ev2["data"]["photos"][0][7:]
        with open(os.path.join(d.state, "media", hx[:2], hx[2:4], hx), "rb") as f:
            check(b"tEXt" not in f.read(), "PNG tEXt stripped")
        rc, out, err = houqinctl(ctl, "issues", "--state", d.state, "--json", "--rules", ARGS.rules, "--schemas",
                                 ARGS.schemas)
        issues = [i for i in json.loads(out) if i["site"] == "canteen-1"]
        check(len(issues) >= 2, "a case per complaint (and the burst of two): %s" % out[:500])
        number = issues[0]["number"]
        for l in (link, link2):
            st, h, b = w.http("GET", l)
            check('id="stage">已受理<' in b.decode(), "stage 已受理 until the case is acknowledged (%s)" % l)
        # ... so a third is offered to follow it
        html, csrf = form_fields(w)
        fields3 = [("csrf", csrf), ("site", "canteen-1"), ("category", "catering.foreign_matter"), ("text", "又有头发")]
        st, h, b = submit(w, fields3)
        check_eq(st, 200, "follow page")
        check("已有同学反映，跟进此问题" in b and number in b, "open issue offered")
        n1 = len(complaints(d))
        check_eq(n1, n0 + 2, "nothing filed by the follow page")
        st, h, b = submit(w, fields3 + [("follow", number)])
        link3, tracking3, token3 = receipt(b)
        check("计入正在处理的问题" in b, "follow receipt")
        check_eq(complaints(d)[-1][1]["data"]["follows"], number, "follows the issue")
        st, h, b = submit(w, fields3 + [("confirm", "new")])
        check_eq(st, 200, "new despite the open issue")
        receipt(b)
        st, h, b = submit(w, fields3 + [("follow", "HQ-2026-999999")])
        check_eq(st, 400, "following an unknown issue")
        # an unsupported photo type is refused, nothing stored
        n2 = len(complaints(d))
        st, h, b = submit(w, fields3 + [("confirm", "new")], [("photo", "x.gif", "image/gif", b"GIF89a" + b"\0" * 20)])
        check_eq(st, 400, "gif refused")
        check("JPEG、PNG 或 WebP" in b, "photo type message")
        check_eq(len(complaints(d)), n2, "nothing stored for a bad photo")
        # staff act: acknowledged -> 处理中, rectified -> 已整改待复查, recheck pass -> 已办结
        ing = ["--ingest", d.ingest_ep]
        rc, out, err = houqinctl(ctl, "ack", number, "--actor", "contact.xinyuan", *ing)
        check_eq(rc, 0, "ack: %s %s" % (out, err))
        st, h, b = w.http("GET", link3)
        check('id="stage">处理中<' in b.decode(), "followed complaint 处理中")
        # feedback before closing is refused
        st, h, b = w.http("GET", link)
        check("满意度评价" not in b.decode(), "no satisfaction form before closing")
        rc, out, err = houqinctl(ctl, "rectify", number, "--actor", "contact.xinyuan", "--evidence",
                                 "已全面清洁后厨", *ing)
        check_eq(rc, 0, "rectify: %s %s" % (out, err))
        st, h, b = w.http("GET", link)
        check('id="stage">已整改待复查<' in b.decode(), "stage 已整改待复查")
        rc, out, err = houqinctl(ctl, "close", number, "--actor", "chen.catering", "--reason", "复查合格",
                                 "--outcome", "食堂已更换发网并加强检查，复查合格。", *ing)
        check_eq(rc, 0, "close: %s %s" % (out, err))
        st, h, b = w.http("GET", link)
        b = b.decode()
        check('id="stage">已办结<' in b and "食堂已更换发网并加强检查" in b, "已办结 with the outcome")
        # satisfaction: "no" needs a reason; stars 1-5; CSRF bound to this complaint
        fcsrf = csrf_of(b)
        def fb(fields, l=link):
            return w.http("POST", l, urllib.parse.urlencode(fields),
                          {"Content-Type": "application/x-www-form-urlencoded"})
        st, h, b = fb([("csrf", fcsrf), ("solved", "no")])
        check_eq(st, 400, "no without a reason")
        st, h, b = fb([("csrf", fcsrf), ("solved", "yes"), ("stars", "9")])
        check_eq(st, 400, "stars out of range")
        st, h, b = fb([("csrf", fcsrf), ("solved", "yes"), ("stars", "4")], link3)
        check_eq(st, 403, "CSRF token of another complaint")
        st, h, b = fb([("csrf", fcsrf), ("solved", "no"), ("reason", "还是有头发"), ("stars", "2"),
                       ("comment", "希望加强监督")])
        check_eq(st, 200, "feedback")
        check("感谢您的评价" in b.decode(), "thanks")
        fbs = [e for s, e in events_of(d) if e["type"] == "complaint.feedback"]
        check_eq(len(fbs), 1, "one feedback event")
        f = fbs[0]["data"]
        check_eq((f["complaint"], f["solved"], f["reason"], f["stars"], f["issue"]),
                 (tracking, False, "还是有头发", 2, number), "feedback event")
        st, h, b = fb([("csrf", fcsrf), ("solved", "yes")], "/c/%s/%s" % (tracking, "1" * 32))
        check_eq(st, 404, "feedback with a wrong token")
        check_eq(len([e for s, e in events_of(d) if e["type"] == "complaint.feedback"]), 1, "nothing more stored")
        # "not solved" goes back to the section head: on the timeline, and an outbox record for section_head
        rc, out, err = houqinctl(ctl, "issue", number, "--state", d.state, "--json")
        tl = json.loads(out)["timeline"]
        check(tl[-1]["kind"] == "unsolved" and tl[-1].get("count") == 2 and tl[-1].get("text") == "还是有头发"
              and "还是有头发" in tl[-1]["what"], "timeline: %r" % tl[-1])
        rc, out, err = houqinctl(ctl, "outbox", "--state", d.state)
        recs = [json.loads(l) for l in out.splitlines() if l.strip()]
        uns = [x for x in recs if x.get("kind") == "unsolved"]
        check_eq(len(uns), 1, "one outbox record for the section head: %r" % recs[-1:])
        check_eq((uns[0].get("issue"), uns[0].get("roles"), uns[0].get("domain")),
                 (number, ["section_head"], "catering"), "addressed to the domain's section head")
        # the evaluation counts it; silence is taken as solved only after 7 days, computed when read
        def satisfaction():
            rc, out, err = houqinctl(ctl, "evaluation", "--period", "2026-03", "--format", "json", "--state",
                                     d.state, "--rules", ARGS.rules)
            check_eq(rc, 0, "evaluation: %s" % err)
            rows = json.loads(out)["contractors"]
            return {k: sum(r["satisfaction"][k] for r in rows) for k in ("solved", "unsolved", "taken_as_solved")}
        check_eq(satisfaction(), {"solved": 0, "unsolved": 1, "taken_as_solved": 0}, "satisfaction after the answer")
        st, h, b = w.http("GET", link3)
        check('id="taken-as-solved"' not in b.decode(), "not yet taken as solved")
        d.control().call({"cmd": "clock.advance", "ms": 8 * 86400000}, timeout=60)
        st, h, b = w.http("GET", link3)
        check('id="taken-as-solved"' in b.decode(), "after 7 days the status page says it is taken as solved")
    finally:
        w.stop()
        d.stop()


def test_limits():
    d, w = setup(extra=["--form-rate", "0.01:2", "--timeout", "2"])
    try:
        html, csrf = form_fields(w)
        fields = [("csrf", csrf), ("site", "dorm-7"), ("category", "dormitory.hot_water"), ("text", "没有热水")]
        codes = [submit(w, fields + [("confirm", "new")])[0] for _ in range(3)]
        check_eq(codes, [200, 200, 429], "form rate limit per address")
        # a body over the cap is refused
        body, ct = multipart(fields, [("photo", "big.jpg", "image/jpeg", b"\xff\xd8\xff" + b"\0" * (7 << 20))])
        try:
            st, h, b = w.http("POST", "/complaint", body, {"Content-Type": ct})
            check_eq(st, 413, "upload over the cap")
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server may close before reading it all
        # slowloris: a connection that sends half a request is closed after the timeout
        import socket
        s = socket.create_connection(("127.0.0.1", w.port), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        data = b"x"
        try:
            while data:
                data = s.recv(1024)
        except (ConnectionResetError, socket.timeout):
            pass
        check(time.monotonic() - t0 < 9, "a half request is dropped by the connection timeout")
        s.close()
        st, h, b = w.http("GET", "/")
        check_eq(st, 200, "still serving")
        st, h, b = w.http("GET", "/nope")
        check_eq(st, 404, "unknown page")
        check("content-security-policy" in h, "CSP on the 404")
    finally:
        w.stop()
        d.stop()


def test_options():
    import subprocess
    p = subprocess.run([ARGS.houqin_web, "--help"], stdout=subprocess.PIPE, timeout=10)
    out = p.stdout.decode()
    check(p.returncode == 0 and "--listen ADDR:PORT" in out and "--clients FILE" in out and "127.0.0.1:7680" in out,
          "--help")
    d = hqtest.Daemon()
    bad = os.path.join(d.dir, "bad.yaml")
    with open(bad, "w") as f:
        f.write("clients:\n  - {source: a, token: short, types: [no.such]}\n")
    p = subprocess.run([ARGS.houqin_web, "--clients", bad, "--rules", ARGS.rules, "--schemas", ARGS.schemas,
                        "--state", d.state, "--listen", "127.0.0.1:%d" % webtest.free_port()],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    err = p.stderr.decode()
    check_eq(p.returncode, 1, "bad clients file exit status")
    check("bad.yaml:2:" in err and "token" in err and "no.such" in err, "every problem with file:line: %s" % err)
    # The words of the command line's answers (daemons/common/cmdline.c,
    # lib/core/opts.c, as houqind's): which option, what it expects, how to
    # get help; nothing starts.
    try_help = "Try 'houqin-web --help'.\n"
    for args, want in ((["--threads", "0"], "houqin-web: --threads: expected 1..256\n"),
                       (["--threads", "four"], "houqin-web: --threads: expected 1..256\n"),
                       (["--timeout", "5x"], "houqin-web: --timeout: expected a number of seconds, at least 1\n"),
                       (["--ack-timeout", "50"],
                        "houqin-web: --ack-timeout: expected a number of milliseconds, at least 100\n"),
                       (["--session-hours", "169"], "houqin-web: --session-hours: 1 to 168\n"),
                       (["--live-max", "100001"], "houqin-web: --live-max: expected 0..100000\n"),
                       (["--live-heartbeat", "0"], "houqin-web: --live-heartbeat: expected 1..300 (seconds)\n"),
                       (["--form-rate", "2:0"], "houqin-web: --form-rate: expected R or R:B, got \"2:0\"\n"),
                       (["--sso-header", "X-User"], "houqin-web: --sso-header and --sso-proxy go together\n"),
                       (["--curve-key", "k"], "houqin-web: --curve-server and --curve-key go together\n"),
                       (["stray"], "houqin-web: unexpected argument \"stray\"\n" + try_help)):
        p = subprocess.run([ARGS.houqin_web] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        check_eq((p.returncode, p.stdout.decode(), p.stderr.decode()), (1, "", want), "houqin-web %s" % " ".join(args))
    p = subprocess.run([ARGS.houqin_web, "--no-such-option"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=10)
    err = p.stderr.decode()
    check(p.returncode == 1 and err.endswith("'--no-such-option'\n" + try_help), "unknown option: %r" % err)
    p = subprocess.run([ARGS.houqin_web, "-h"], stdout=subprocess.PIPE, timeout=10)
    check(p.returncode == 0 and p.stdout.decode() == out, "-h prints --help's text")


def test_form_words_from_vocabulary():
    """The public form's words are the rules' vocabulary: an administrator's
    change of a category's or a domain's label in rules/vocabulary.yaml
    shows on the form (with the catalogue's examples after it), and the
    category offered is the vocabulary's."""
    d = hqtest.Daemon(extra=["--clock", "manual"])
    rules = os.path.join(d.dir, "rules")
    shutil.copytree(ARGS.rules, rules)
    path = os.path.join(rules, "vocabulary.yaml")
    with open(path, encoding="utf-8") as f:
        vocab = f.read()
    for old, new in (("      foreign_matter: 异物\n", "      foreign_matter: 饭菜中有杂物\n"),
                     ("    catering: 餐饮\n", "    catering: 学生餐饮服务\n"),
                     ("      portion: 份量不足\n", "      portion: 份量不足\n      queue_jumping: 插队\n")):
        check(old in vocab, "the shipped vocabulary has %r" % old)
        vocab = vocab.replace(old, new)
    with open(path, "w", encoding="utf-8") as f:
        f.write(vocab)
    d.start()
    w = Web(d, ARGS.houqin_web, ["--rules", rules])
    try:
        w.start()
        html, _ = form_fields(w)
        check('value="catering.foreign_matter">饭菜中有杂物（头发、虫子、钢丝球等）</option>' in html,
              "the changed category label on the form:\n%s" % html[:3000])
        check('<optgroup label="学生餐饮服务">' in html, "the changed domain label on the form")
        check('value="catering.queue_jumping">插队</option>' in html, "a category the vocabulary adds is offered")
        check(">异物" not in html, "the old label is gone")
    finally:
        w.stop()
        d.stop()


def test_checklists():
    """GET /api/v1/checklists: the rules' checklists for an inspection app
    (a client that may send inspection.submitted); a record built from one
    goes in through the intake and carries its checklist."""
    d, w = setup()
    try:
        st, h, b = w.http("GET", "/api/v1/checklists")
        check_eq(st, 401, "no token")
        st, h, b = w.http("GET", "/api/v1/checklists", None, {"Authorization": CARD["Authorization"]})
        check_eq((st, json.loads(b)["error"]["code"]), (403, "forbidden_type"), "a client that sends no inspections")
        app = {"Authorization": "Bearer tok-inspect-0123456789"}
        st, h, b = w.http("POST", "/api/v1/checklists", "", app)
        check_eq(st, 405, "POST")
        st, h, b = w.http("GET", "/api/v1/checklists", None, app)
        check_eq(st, 200, "the checklists")
        check(h.get("content-type", "").startswith("application/json"), "JSON: %r" % h)
        every = json.loads(b)["checklists"]
        byid = {c["id"]: c for c in every}
        check(len(every) >= 15 and "dorm_daily" in byid and "food_safety_weekly" in byid, "all domains: %r" % list(byid))
        weekly = byid["food_safety_weekly"]
        check_eq((weekly["label"], weekly["domain"], weekly["domain_label"]), ("每周食品安全排查", "catering", "餐饮"),
                 "a checklist in words")
        check_eq([(i["code"], i["label"]) for i in weekly["items"]],
                 [("fs.risk_review", "食品安全风险排查"), ("fs.storage", "食品贮存"), ("fs.kitchen_hygiene", "后厨卫生"),
                  ("fs.pest_control", "防鼠防虫")], "its items in order, labelled")
        check("离墙离地" in weekly["items"][1]["standard"] and "severity" not in weekly["items"][1], "a standard")
        core = [i for i in byid["process_control"]["items"] if i["code"] == "fs.core_temp"][0]
        check_eq(core.get("severity"), "high", "a process control's severity")
        st, h, b = w.http("GET", "/api/v1/checklists?domain=dormitory", None, app)
        check_eq(sorted(c["id"] for c in json.loads(b)["checklists"]), ["dorm_daily", "laundry"], "?domain=")
        # a record on that checklist, through the intake
        items = [{"code": i["code"], "title": i["standard"], "result": "pass"} for i in weekly["items"]]
        st, h, r = post_events(w, {"id": "insp-w-1", "type": "inspection.submitted", "ts": 1773022500000,
                                   "data": {"kind": "self", "domain": "catering", "site": "canteen-1",
                                            "inspector": "lin.sup", "checklist": weekly["id"], "items": items}},
                               dict(app, **{"Content-Type": "application/json"}))
        check_eq((st, r["results"][0]["status"]), (200, "stored"), "the app's record stored: %r" % r)
    finally:
        w.stop()
        d.stop()


if __name__ == "__main__":
    hqtest.main([test_options, test_intake, test_form_and_status, test_limits, test_form_words_from_vocabulary,
                 test_checklists])
