#!/usr/bin/python3
"""Bad input (issue 2, "Bad input"; SPEC §2; schemas/README.md §1.5).

Every rejection reason has a case that sends one message and checks the
reply: status "rejected", the `error` text (exact or a substring), the
reply's `id` (nil when no id could be read, the event's id once it could),
no `seq`; and that the store did not change: status `events` and
`last_seq` unchanged, `rejected` counted, and the LMDB state itself (every
event and dedup record) byte for byte the same as before.

Then the limits that need their own daemon (--max-message-bytes 4096: the
oversized message and the exact boundary; 1 MiB: the object cap; a message
over the transport limit), and the flood: one client sends 20,000 garbage
frames without reading replies while another client's valid event is
stored and answered (a bounded wait: liveness, not speed).
"""
import random
import threading
import time

import zmq

import hqtest as T
from hqtest import check, check_eq

NIL = object()  # expected reply id: nil


DEL = object()  # a key to leave out


def ev(**kw):
    """A valid sensor.reading envelope with keys replaced or removed
    (value DEL)."""
    e = T.event("bad-1")
    for k, v in kw.items():
        if v is DEL:
            e.pop(k, None)
        else:
            e[k] = v
    return e


def data(**kw):
    d = T.sensor_data()
    for k, v in kw.items():
        if v is DEL:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def nested(depth):
    """data with `depth` nested maps inside it."""
    inner = "x"
    for _ in range(depth):
        inner = {"n": inner}
    return inner


def inspection(items):
    return T.event("insp-1", type="inspection.submitted", source="it-app",
                   data={"kind": "spot", "domain": "catering", "site": "canteen-1", "inspector": "hq-cat-02",
                         "items": items})


def raw_replace(obj, marker, replacement):
    """Packs obj and replaces the bytes of a string marker (a str: its
    bytes without the header; bytes: exactly those bytes) by replacement
    of the same length, to craft what msgpack libraries refuse to make."""
    b = T.pack(obj)
    m = marker.encode() if isinstance(marker, str) else marker
    if b.count(m) != 1 or len(m) != len(replacement):
        raise ValueError("bad marker %r" % marker)
    return b.replace(m, replacement)


def fixstr(s):
    b = s.encode()
    return bytes([0xa0 | len(b)]) + b


def duplicate_key_frame():
    # {"id": "dup-1", "id": "dup-2", "type": ..., ...}: 6 pairs
    e = T.event("dup-1")
    body = b"".join(T.pack(k) + T.pack(v) for k, v in e.items())
    return bytes([0x86]) + fixstr("id") + fixstr("dup-2") + body


def duplicate_key_map16_frame():
    """data as a map16 of 20 entries with one key twice (the daemon checks
    small and large maps for duplicates differently)."""
    keys = ["k%02d" % i for i in range(19)] + ["k03"]
    dmap = b"\xde" + len(keys).to_bytes(2, "big") + b"".join(T.pack(k) + T.pack(1) for k in keys)
    e = T.event("dup-4")
    del e["data"]
    head = b"".join(T.pack(k) + T.pack(v) for k, v in e.items())
    return bytes([0x85]) + head + fixstr("data") + dmap


def duplicate_data_key_frame():
    d = T.sensor_data()
    body = b"".join(T.pack(k) + T.pack(v) for k, v in d.items())
    dmap = bytes([0x80 | (len(d) + 1)]) + fixstr("site") + fixstr("canteen-2") + body
    e = T.event("dup-3")
    del e["data"]
    head = b"".join(T.pack(k) + T.pack(v) for k, v in e.items())
    return bytes([0x85]) + head + fixstr("data") + dmap


# (name, frames, expected error, expected reply id); the error is the exact
# text, or a tuple ("sub"/"all", text, ...) of substrings it must contain.
def cases():
    good = T.pack(ev(id="trunc-1"))
    c = [
        # malformed msgpack
        ("reserved byte 0xc1", b"\xc1", "malformed msgpack: reserved byte 0xc1 at byte 0", NIL),
        ("empty frame", b"", ("sub", "malformed msgpack"), NIL),
        ("truncated map (missing element)", b"\x82\xa2id\xa1x", ("sub", "truncated"), NIL),
        ("truncated event (last byte cut)", good[:-1], ("sub", "truncated"), NIL),
        ("truncated str8 header", b"\xd9", ("sub", "truncated"), NIL),
        ("trailing bytes", good + b"\xc0", ("sub", "trailing byte"), NIL),
        ("hostile array32 header dd ff ff ff ff", b"\xdd\xff\xff\xff\xff",
         ("sub", "malformed msgpack: container declares 4294967295 objects"), NIL),
        ("hostile map32 header df ff ff ff ff", b"\xdf\xff\xff\xff\xff", ("sub", "malformed msgpack"), NIL),
        ("hostile str32 header db ff ff ff ff", b"\xdb\xff\xff\xff\xff", ("sub", "truncated"), NIL),
        ("hostile map32 inside data", raw_replace(ev(id="host-1", data=data(site="QQQQQ")), b"\xa5QQQQQ",
                                                  b"\xdf\xff\xff\xff\xff\xc0"),
         ("sub", "malformed msgpack: container declares"), NIL),
        # not a map
        ("array", T.pack([1, 2, 3]), "event is not a map", NIL),
        ("int", T.pack(5), "event is not a map", NIL),
        ("string", T.pack("hello"), "event is not a map", NIL),
        ("nil", T.pack(None), "event is not a map", NIL),
        ("map with an int key", T.pack({1: 2}), ("sub", "map key is not a string"), NIL),
        # envelope: missing
        ("missing id", T.pack(ev(id=DEL)), "id: missing", NIL),
        ("missing type", T.pack(ev(id="m-type", type=DEL)), "type: missing", "m-type"),
        ("missing source", T.pack(ev(id="m-src", source=DEL)), "source: missing", "m-src"),
        ("missing ts", T.pack(ev(id="m-ts", ts=DEL)), "ts: missing", "m-ts"),
        ("missing data", T.pack(ev(id="m-data", data=DEL)), "data: missing", "m-data"),
        # envelope: mistyped
        ("id as int", T.pack(ev(id=42)), "id: expected a string", NIL),
        ("id as nil", T.pack(ev(id=None)), "id: expected a string", NIL),
        ("type as int", T.pack(ev(id="t-int", type=7)), "type: expected a string", "t-int"),
        ("source as int", T.pack(ev(id="s-int", source=7)), "source: expected a string", "s-int"),
        ("ts as string", T.pack(ev(id="ts-str", ts="1773022500000")),
         "ts: expected a non-negative integer (ms since the epoch)", "ts-str"),
        ("ts negative", T.pack(ev(id="ts-neg", ts=-1)),
         "ts: expected a non-negative integer (ms since the epoch)", "ts-neg"),
        ("ts above int64", T.pack(ev(id="ts-big", ts=2 ** 64 - 1)),
         "ts: expected a non-negative integer (ms since the epoch)", "ts-big"),
        ("ts float", T.pack(ev(id="ts-flt", ts=1773022500000.0)),
         "ts: expected a non-negative integer (ms since the epoch)", "ts-flt"),
        ("data as array", T.pack(ev(id="d-arr", data=[1, 2])), "data: expected a map", "d-arr"),
        ("data as string", T.pack(ev(id="d-str", data="x")), "data: expected a map", "d-str"),
        ("unknown envelope key", T.pack(dict(ev(id="env-foo"), foo=1)),
         "foo: unknown envelope key (expected id, type, source, ts, data)", "env-foo"),
        # id and source contents
        ("id empty", T.pack(ev(id="")), "id: must be 1 to 64 bytes long, got 0", NIL),
        ("id 65 bytes", T.pack(ev(id="a" * 65)), "id: must be 1 to 64 bytes long, got 65", NIL),
        ("id with a space", T.pack(ev(id="a b")), "id: only letters, digits and . _ : - are allowed", NIL),
        ("id with a slash", T.pack(ev(id="a/b")), "id: only letters, digits and . _ : - are allowed", NIL),
        ("id with non-ASCII", T.pack(ev(id="事件-1")), "id: only letters, digits and . _ : - are allowed", NIL),
        ("source with a space", T.pack(ev(id="src-sp", source="gw 1")),
         "source: must be 1 to 128 bytes of letters, digits and . _ : -", "src-sp"),
        ("source 129 bytes", T.pack(ev(id="src-long", source="s" * 129)),
         "source: must be 1 to 128 bytes of letters, digits and . _ : -", "src-long"),
        ("source empty", T.pack(ev(id="src-empty", source="")),
         "source: must be 1 to 128 bytes of letters, digits and . _ : -", "src-empty"),
        # type
        ("unknown type", T.pack(ev(id="t-unk", type="sensor.readings")),
         'type: unknown event type "sensor.readings"', "t-unk"),
        # schema violations
        ("missing required field", T.pack(ev(id="s-miss", data=data(value=DEL))),
         "data.value: missing required field", "s-miss"),
        ("required field nil", T.pack(ev(id="s-nil", data=data(site=None))),
         ("sub", "data.site: "), "s-nil"),
        ("wrong type (string for number)", T.pack(ev(id="s-type", data=data(value="hot"))),
         "data.value: expected a number, got a string", "s-type"),
        ("wrong type (bool for number)", T.pack(ev(id="s-bool", data=data(value=True))),
         "data.value: expected a number, got a boolean", "s-bool"),
        ("wrong type (float for int)", T.pack(ev(id="s-int", data=data(period_s=3600.0))),
         "data.period_s: expected an integer, got a number", "s-int"),
        ("wrong type (number for string)", T.pack(ev(id="s-str", data=data(sensor=1))),
         "data.sensor: expected a string, got an integer", "s-str"),
        ("out of range (above max)", T.pack(ev(id="s-max", data=data(value=1e11))),
         ("all", "data.value: ", "is above the maximum"), "s-max"),
        ("out of range (below min)", T.pack(ev(id="s-min", data=data(value=-101))),
         ("all", "data.value: -101", "is below the minimum"), "s-min"),
        ("out of range (int field)", T.pack(ev(id="s-imin", data=data(period_s=0))),
         ("all", "data.period_s: 0", "is below the minimum"), "s-imin"),
        ("string too long", T.pack(ev(id="s-len", data=data(sensor="x" * 65))),
         "data.sensor: longer than 64 characters", "s-len"),
        ("string too long in characters (65 CJK)", T.pack(ev(id="s-cjk", data=data(sensor="北" * 65))),
         "data.sensor: longer than 64 characters", "s-cjk"),
        ("string too short", T.pack(ev(id="s-short", data=data(sensor=""))),
         ("sub", "data.sensor: shorter than"), "s-short"),
        ("unknown enum value", T.pack(ev(id="s-enum", data=data(kind="banana"))),
         ("sub", 'data.kind: expected one of cold_storage_temp, freezer_temp'), "s-enum"),
        ("unknown enum value (names the value)", T.pack(ev(id="s-enum2", data=data(kind="banana"))),
         ("sub", 'got "banana"'), "s-enum2"),
        ("unknown field", T.pack(ev(id="s-unk", data=data(foo=1))), "data.foo: unknown field", "s-unk"),
        ("array item enum", T.pack(inspection([{"code": "a.b", "result": "pass"}, {"code": "c.d", "result": "ok"}])),
         'data.items.1.result: expected one of pass, fail, got "ok"', "insp-1"),
        ("array too few items", T.pack(inspection([])), ("sub", "data.items: fewer than 1 items"), "insp-1"),
        ("array item not a map", T.pack(inspection([1])), "data.items.0: expected a map, got an integer", "insp-1"),
        ("array item unknown field", T.pack(inspection([{"code": "a.b", "result": "pass", "zz": 1}])),
         "data.items.0.zz: unknown field", "insp-1"),
        # frames, nesting, encodings
        ("two frames", [T.pack(ev(id="two-1")), T.pack(ev(id="two-2"))],
         "message has 2 frames: send one msgpack map per message", NIL),
        ("three frames after a delimiter", [b"", T.pack(ev(id="three-1")), b"x", b"y"],
         ("sub", "message has 3 frames"), NIL),
        ("nesting 12 maps in data", T.pack(ev(id="deep-1", data=nested(12))),
         ("sub", "nesting deeper than"), NIL),
        ("nesting 200 arrays", b"\x91" * 200 + b"\xc0", ("sub", "nesting deeper than"), NIL),
        ("duplicate envelope key", duplicate_key_frame(), 'duplicate map key "id"', NIL),
        ("duplicate key in data", duplicate_data_key_frame(), 'duplicate map key "site"', NIL),
        ("duplicate key in a map of 20", duplicate_key_map16_frame(), 'duplicate map key "k03"', NIL),
        ("invalid UTF-8 (0xff)", raw_replace(ev(id="utf-1", data=data(site="QQQQ")), "QQQQ", b"\xff\xfeQQ"),
         ("sub", "not valid UTF-8"), NIL),
        ("invalid UTF-8 (overlong /)", raw_replace(ev(id="utf-2", data=data(site="QQQQ")), "QQQQ", b"Q\xc0\xafQ"),
         ("sub", "not valid UTF-8"), NIL),
        ("invalid UTF-8 (surrogate)", raw_replace(ev(id="utf-3", data=data(site="QQQQ")), "QQQQ", b"\xed\xa0\x80Q"),
         ("sub", "not valid UTF-8"), NIL),
        ("invalid UTF-8 (cut sequence at the end)",
         raw_replace(ev(id="utf-4", data=data(site="QQQQ")), "QQQQ", b"QQQ\xe4"), ("sub", "not valid UTF-8"), NIL),
        ("invalid UTF-8 (above U+10FFFF)", raw_replace(ev(id="utf-6", data=data(site="QQQQ")), "QQQQ",
                                                       b"\xf4\x90\x80\x80"), ("sub", "not valid UTF-8"), NIL),
        ("invalid UTF-8 in a key", raw_replace(ev(id="utf-5", data=dict(data(), QQQQ=1)), "QQQQ", b"\xffQQQ"),
         ("sub", "not valid UTF-8"), NIL),
        ("NaN", T.pack(ev(id="nan-1", data=data(value=float("nan")))), ("sub", "NaN or infinite"), NIL),
        ("infinity", T.pack(ev(id="inf-1", data=data(value=float("inf")))), ("sub", "NaN or infinite"), NIL),
        ("float32 NaN", raw_replace(ev(id="nan-2", data=data(value="QQQQ")), b"\xa4QQQQ", b"\xca\x7f\xc0\x00\x00"),
         ("sub", "NaN or infinite"), NIL),
        ("bin type", T.pack(ev(id="bin-1", data=data(site=b"canteen-1"))), ("sub", "bin type not accepted"), NIL),
        ("ext type", raw_replace(ev(id="ext-1", data=data(site="QQQQQ")), b"\xa5QQQQQ",
                                b"\xd6\x01\x00\x00\x00\x00"),
         ("sub", "ext type not accepted"), NIL),
    ]
    return c


def expect(reply, want_err, want_id, name):
    check_eq(reply.get("status"), "rejected", "%s: status (reply %r)" % (name, reply))
    err = reply.get("error")
    check(isinstance(err, str) and err, "%s: no error text: %r" % (name, reply))
    if isinstance(want_err, tuple):
        for sub in want_err[1:]:
            check(sub in err, "%s: error %r does not contain %r" % (name, err, sub))
    else:
        check_eq(err, want_err, "%s: error" % name)
    check("seq" not in reply, "%s: a rejection with a seq: %r" % (name, reply))
    if want_id is NIL:
        check("id" in reply and reply["id"] is None, "%s: reply id should be nil: %r" % (name, reply))
    else:
        check_eq(reply.get("id"), want_id, "%s: reply id" % name)


class Baseline:
    """The store as it was, to compare with after each bad message."""

    def __init__(self, d):
        self.d = d
        self.take()

    def take(self):
        st = self.d.status()
        self.events, self.last_seq, self.rejected = st["events"], st["last_seq"], st["rejected"]
        self.fp = T.read_store(self.d.state).fingerprint()

    def unchanged(self, name, rejected_more=1):
        st = self.d.status()
        check_eq((st["events"], st["last_seq"]), (self.events, self.last_seq), "%s: status events/last_seq" % name)
        check_eq(st["rejected"], self.rejected + rejected_more, "%s: status rejected" % name)
        self.rejected = st["rejected"]
        check_eq(T.read_store(self.d.state).fingerprint(), self.fp, "%s: LMDB state" % name)


def store_some(d, n, prefix):
    frames = [("%s-%04d" % (prefix, i), T.pack(T.event("%s-%04d" % (prefix, i)))) for i in range(n)]
    res = T.pipeline(d.ingest_ep, frames, window=50)
    for fid, _ in frames:
        check_eq(res[fid]["status"], "stored", "baseline event %s" % fid)


def test_each_rejection_reason():
    d = T.Daemon()
    try:
        d.start()
        store_some(d, 3, "base")
        base = Baseline(d)
        one = T.OneShot(d.ingest_ep)
        failures = []
        try:
            for name, frames, want_err, want_id in cases():
                try:
                    r = one.request(frames)
                    expect(r, want_err, want_id, name)
                    base.unchanged(name)
                    T.log("ok   %-40s %s" % (name, r["error"]))
                except Exception as e:
                    failures.append("%s: %s" % (name, e))
                    T.log("FAIL %-40s %s" % (name, e))
                    base.take()
                check(d.alive(), "houqind died after case %r; log:\n%s" % (name, d.log_tail()))
        finally:
            one.close()
        check(not failures, "%d case(s) failed:\n  %s" % (len(failures), "\n  ".join(failures)))
        # positive controls at the limits: these are stored
        ok = [("a" * 64, T.pack(T.event("a" * 64))),
              ("ok-src128", T.pack(T.event("ok-src128", source="s" * 128))),
              ("ok-nil-opt", T.pack(T.event("ok-nil-opt", data=T.sensor_data(location=None)))),
              ("ok-utf8", T.pack(T.event("ok-utf8", data=T.sensor_data(location="北区冷库 2 🧊")))),
              ("ok-cjk64", T.pack(T.event("ok-cjk64", data=T.sensor_data(sensor="北" * 64)))),
              ("ok-negative", T.pack(T.event("ok-negative", data=T.sensor_data(value=-50, kind="freezer_temp")))),
              ("ok-float32", raw_replace(T.event("ok-float32", data=T.sensor_data(value="QQQQ")), b"\xa4QQQQ",
                                         b"\xca\x40\x90\x00\x00")),
              ("ok-inspection", T.pack(T.event("ok-inspection", type="inspection.submitted", data={
                  "kind": "spot", "domain": "catering", "site": "canteen-1", "inspector": "hq-cat-02",
                  "items": [{"code": "fs.x", "result": "fail", "note": "x" * 1000}]})))]
        res = T.pipeline(d.ingest_ep, ok, window=10)
        for fid, _ in ok:
            check_eq(res[fid].get("status"), "stored", "positive control %s (%r)" % (fid[:20], res[fid]))
        d.stop()
        T.verify_log_consistent(T.read_store(d.state))
    finally:
        d.kill()


def test_int_beyond_int64_error_text():
    """An integer above INT64_MAX in an `int` field is rejected with a
    precise reason that names the field (an earlier build said "expected an
    integer, got an integer", which contradicts itself)."""
    d = T.Daemon()
    try:
        d.start()
        base = Baseline(d)
        one = T.OneShot(d.ingest_ep)
        try:
            r = one.request(T.pack(ev(id="big-int", data=data(period_s=2 ** 64 - 1))))
        finally:
            one.close()
        T.log("reply: %r" % r)
        check_eq((r.get("status"), r.get("id")), ("rejected", "big-int"), "status and id")
        base.unchanged("int above INT64_MAX")
        check(r["error"].startswith("data.period_s: "), "error does not name the field: %r" % r["error"])
        check("expected an integer, got an integer" not in r["error"],
              "error contradicts itself: %r" % r["error"])
        d.stop()
    finally:
        d.kill()


def test_message_size_limit():
    """--max-message-bytes 4096: 10 KB is rejected with the sizes; exactly
    4096 bytes is stored, 4097 is not."""
    d = T.Daemon(extra=["--max-message-bytes", "4096"])
    try:
        d.start()
        base = Baseline(d)
        one = T.OneShot(d.ingest_ep)
        try:
            big = T.pack(T.event("big-1", type="complaint.submitted", source="it-portal", data={
                "domain": "catering", "site": "canteen-2", "category": "food_quality", "text": "x" * 4000,
                "location": "y" * 200, "photos": ["https://example.edu.cn/" + "p" * 400] * 14}))
            check(len(big) > 9000, "test frame is only %d bytes" % len(big))
            r = one.request(big)
            expect(r, "message too large: %d bytes, the limit is 4096" % len(big), NIL, "10 KB message")
            base.unchanged("10 KB message")

            def sized(eid, n):
                e = T.event(eid, type="complaint.submitted", source="it-portal",
                            data={"domain": "catering", "site": "canteen-2", "category": "hygiene", "text": ""})
                fill = n - len(T.pack(e))
                e["data"]["text"] = "t" * fill
                b = T.pack(e)
                # str8 to str16 header changes add bytes: trim to fit
                while len(b) > n:
                    e["data"]["text"] = e["data"]["text"][:-1]
                    b = T.pack(e)
                check_eq(len(b), n, "crafted frame length")
                return b

            b4097 = sized("edge-4097", 4097)
            r = one.request(b4097)
            expect(r, "message too large: 4097 bytes, the limit is 4096", NIL, "4097 bytes")
            base.unchanged("4097 bytes")
            r = one.request(sized("edge-4096", 4096))
            check_eq((r.get("status"), r.get("id")), ("stored", "edge-4096"), "exactly 4096 bytes (%r)" % r)
        finally:
            one.close()
        check(d.alive(), "houqind died")
        d.stop()
    finally:
        d.kill()


def test_object_cap_and_transport_limit():
    """With --max-message-bytes 1048576: more than 65,536 objects is
    rejected; a message over the 1 MiB transport limit (ZMQ_MAXMSGSIZE)
    gets no reply, as documented, and the daemon stays up and serves other
    clients."""
    d = T.Daemon(extra=["--max-message-bytes", "1048576"])
    try:
        d.start()
        base = Baseline(d)
        one = T.OneShot(d.ingest_ep)
        try:
            many = T.pack(T.event("many-1", data=T.sensor_data(location=[None] * 70000)))
            r = one.request(many)
            expect(r, ("sub", "more than 65536 objects"), NIL, "70,000 objects")
            base.unchanged("70,000 objects")
        finally:
            one.close()
        s = T.dealer(d.ingest_ep)
        try:
            s.send(b"\x81\xa1x" + b"\xdb" + (2 * 1024 * 1024).to_bytes(4, "big") + b"z" * (2 * 1024 * 1024))
            # No reply is expected (the connection is dropped); only a
            # bounded look for one.
            if s.poll(2000, zmq.POLLIN):
                T.log("note: a reply came for a message over the transport limit: %r" % T.unpack(s.recv()))
        finally:
            s.close(linger=0)
        check(d.alive(), "houqind died after a message over the transport limit")
        res = T.pipeline(d.ingest_ep, [("after-huge", T.pack(T.event("after-huge")))], window=1, timeout=10)
        check_eq(res["after-huge"].get("status"), "stored", "valid event after a huge message")
        d.stop()
    finally:
        d.kill()


def garbage(rng, i):
    k = i % 8
    if k == 0:
        return b"\xc1"
    if k == 1:
        return b"\xdd\xff\xff\xff\xff"
    if k == 2:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 64)))
    if k == 3:
        return b"\x91" * 100
    if k == 4:
        return T.pack([i, "x" * (i % 100)])
    if k == 5:
        return T.pack(ev(id="g-%d" % i, type="no.such.type"))
    if k == 6:
        return T.pack(ev(id="g-%d" % i, data=data(kind="banana")))
    return b""


def test_flood():
    """One client sends 20,000 garbage frames as fast as it can and never
    reads a reply; meanwhile another client's valid event is stored and
    answered within a bounded wait (10 s: liveness, not a timing
    assertion); afterwards every garbage frame has been counted as
    rejected, nothing of it was stored, and the daemon answers status."""
    N = 20000
    d = T.Daemon()
    try:
        d.start()
        base = Baseline(d)
        rng = random.Random(1234)
        frames = [garbage(rng, i) for i in range(N)]
        started = threading.Event()
        done = threading.Event()
        sent = [0]
        errors = []

        def flood():
            s = T.context().socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.SNDHWM, 0)  # never block on our side
            s.setsockopt(zmq.RCVHWM, 0)
            s.connect(d.ingest_ep)
            try:
                deadline = time.monotonic() + 120
                for i, f in enumerate(frames):
                    while True:
                        try:
                            s.send(f, zmq.NOBLOCK)
                            break
                        except zmq.Again:
                            if time.monotonic() > deadline:
                                raise TimeoutError("could not send the flood within 120 s")
                            time.sleep(0.001)
                    sent[0] = i + 1
                    if i == 1000:
                        started.set()
                # keep the socket (and its unread replies) until the check is done
                done.wait(60)
            except Exception as e:
                errors.append(repr(e))
            finally:
                started.set()
                s.close(linger=0)

        t = threading.Thread(target=flood, daemon=True)
        t.start()
        try:
            check(started.wait(60), "the flood did not start")
            T.log("valid event sent after %d garbage frames" % sent[0])
            res = T.pipeline(d.ingest_ep, [("during-flood", T.pack(T.event("during-flood")))], window=1,
                             timeout=10.0)
            r = res["during-flood"]
            check_eq(r.get("status"), "stored", "valid event during the flood (%r)" % r)
            T.log("valid event stored as seq %d while %d of %d garbage frames were sent" % (r["seq"], sent[0], N))
            # every garbage frame is received and rejected (bounded wait)
            deadline = time.monotonic() + 120
            while True:
                st = d.status()
                if st["rejected"] >= base.rejected + N or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            check_eq(st["rejected"], base.rejected + N, "rejected after the flood")
            check_eq(st["events"], base.events + 1, "events after the flood")
        finally:
            done.set()
            t.join(30)
        check(not errors, "flood client: %s" % errors)
        check(d.alive(), "houqind died in the flood")
        view = T.read_store(d.state)
        T.verify_log_consistent(view)
        check_eq(len(view.events), 1, "events in the log after the flood")
        check_eq(T.unpack(view.events[r["seq"]][1])["id"], "during-flood", "the one stored event")
        d.stop()
    finally:
        d.kill()


if __name__ == "__main__":
    T.parse_args()
    T.main([test_each_rejection_reason, test_int_beyond_int64_error_text, test_message_size_limit, test_object_cap_and_transport_limit, test_flood])
