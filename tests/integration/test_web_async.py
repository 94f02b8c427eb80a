#!/usr/bin/env python3
"""houqin-web's intake with acks in flight (send.c: the sender thread and
suspended connections): with one worker thread, requests waiting for
houqind do not hold that worker; a retry racing its first try gets
houqind's own answer; a request of 1,000 events is stored in order; and
SIGTERM while houqind does not answer still answers every request (503
timeout) and exits 0."""

import json
import os
import signal
import threading
import time

import hqtest
from hqtest import check, check_eq
from webtest import Web


def extra(p):
    p.add_argument("--houqin-web", required=True)
    p.add_argument("--houqinctl", required=True)


ARGS = hqtest.parse_args(extra)

CARD = {"Authorization": "Bearer tok-card-0123456789", "Content-Type": "application/json"}
SENSOR = {"sensor": "cs-001", "kind": "cold_storage_temp", "value": 4.5, "unit": "C", "site": "canteen-1"}


def ev(i, prefix="a"):
    return {"id": "%s-%d" % (prefix, i), "type": "sensor.reading", "ts": 1773022500000 + i, "data": SENSOR}


def post(w, body, out, k, timeout=30.0):
    try:
        st, _, b = w.http("POST", "/api/v1/events", json.dumps(body), CARD, timeout=timeout)
        out[k] = (st, json.loads(b) if b else None)
    except Exception as e:  # recorded, checked by the caller
        out[k] = (None, repr(e))


def start_posts(w, bodies):
    out = {}
    ts = [threading.Thread(target=post, args=(w, b, out, k)) for k, b in enumerate(bodies)]
    for t in ts:
        t.start()
    return ts, out


def stored_events(d):
    v = hqtest.read_store(d.state)
    return [hqtest.unpack(v.events[s][1]) for s in sorted(v.events)]


def setup(extra):
    d = hqtest.Daemon()
    d.start()
    w = Web(d, ARGS.houqin_web, ["--threads", "1"] + extra)
    w.start()
    return d, w


def test_worker_not_held():
    d, w = setup(["--ack-timeout", "5000"])
    try:
        d.proc.send_signal(signal.SIGSTOP)  # houqind takes the events but answers nothing yet
        try:
            ts, out = start_posts(w, [[ev(i, "held")] for i in range(24)])
            time.sleep(0.5)
            t0 = time.monotonic()
            st, _, _ = w.http("GET", "/healthz", timeout=5.0)
            check_eq(st, 200, "healthz while 24 requests wait for houqind")
            check(time.monotonic() - t0 < 2.0, "the one worker is not held by the waiting requests")
            check(all(t.is_alive() for t in ts), "no request answered before houqind's ack")
        finally:
            d.proc.send_signal(signal.SIGCONT)
        for t in ts:
            t.join(30)
        for k in range(24):
            st, r = out[k]
            check_eq(st, 200, "request %d: %r" % (k, r))
            check_eq([x["status"] for x in r["results"]], ["stored"], "request %d" % k)
            check_eq(r["results"][0]["id"], "held-%d" % k, "request %d: its own id" % k)
        ids = [e["id"] for e in stored_events(d)]
        check_eq(sorted(ids), sorted("held-%d" % i for i in range(24)), "each stored once")
    finally:
        w.stop()
        d.stop()


def test_retry_races_first_try():
    d, w = setup(["--ack-timeout", "5000"])
    try:
        d.proc.send_signal(signal.SIGSTOP)
        try:
            ts, out = start_posts(w, [[ev(1, "race")], [ev(1, "race")], [ev(2, "race"), ev(1, "race")]])
            time.sleep(0.5)
        finally:
            d.proc.send_signal(signal.SIGCONT)
        for t in ts:
            t.join(30)
        got = [out[k] for k in range(3)]
        check(all(st == 200 for st, _ in got), "all answered: %r" % got)
        race1 = [r["results"][0] for _, r in got[:2]] + [got[2][1]["results"][1]]
        check_eq(sorted(x["status"] for x in race1), ["duplicate", "duplicate", "stored"],
                 "one stored, the others duplicate: %r" % race1)
        check_eq(len({x["seq"] for x in race1}), 1, "the same seq for the same event")
        check_eq(got[2][1]["results"][0]["status"], "stored", "the other event of the request")
        check_eq(sorted(e["id"] for e in stored_events(d)), ["race-1", "race-2"], "each stored once")
    finally:
        w.stop()
        d.stop()


def test_thousand_in_order():
    # a long ack timeout: this is about order, not speed (a sanitized build
    # takes more than the default 800 ms to store 999 events)
    d, w = setup(["--ack-timeout", "10000"])
    try:
        body = [ev(i, "k") for i in range(1000)]
        body[500] = dict(body[499])  # the same id twice: the second refused, not sent
        ts, out = start_posts(w, [body])
        ts[0].join(60)
        st, r = out[0]
        check_eq(st, 200, "1,000 events: %r" % (r if st != 200 else ""))
        res = r["results"]
        check_eq(len(res), 1000, "a result per event")
        check_eq(res[500]["status"], "rejected", "repeated id")
        check_eq(res[500]["reason"], "id: appears twice in this request", "repeated id's reason")
        seqs = [x["seq"] for i, x in enumerate(res) if i != 500]
        check(all(x["status"] == "stored" for i, x in enumerate(res) if i != 500), "the others stored")
        check_eq(seqs, sorted(seqs), "seqs in the order sent")
        check_eq([e["id"] for e in stored_events(d)], [x["id"] for i, x in enumerate(res) if i != 500],
                 "stored in the order sent")
    finally:
        w.stop()
        d.stop()


def test_stop_while_waiting():
    d, w = setup([])  # --ack-timeout 800: given up after 1.6 s
    try:
        d.proc.send_signal(signal.SIGSTOP)
        try:
            ts, out = start_posts(w, [[ev(i, "stop")] for i in range(4)])
            time.sleep(0.3)
            t0 = time.monotonic()
            w.stop(timeout=20)  # checks exit status 0
            check(time.monotonic() - t0 < 10, "stopped within the ack timeout and a margin")
        finally:
            d.proc.send_signal(signal.SIGCONT)
        for t in ts:
            t.join(30)
        for k in range(4):
            st, r = out[k]
            check_eq(st, 503, "request %d answered while stopping: %r" % (k, r))
            check_eq(r["results"][0]["status"], "timeout", "request %d" % k)
    finally:
        w.stop()
        d.stop()


if __name__ == "__main__":
    hqtest.main([test_worker_not_held, test_retry_races_first_try, test_thousand_in_order, test_stop_while_waiting])
