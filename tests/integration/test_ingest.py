#!/usr/bin/python3
"""Ingest end to end (issue 2, "Tests that must exist"):

four DEALER clients pipeline 20,000 sensor.reading events (a window of 300
un-acknowledged each); every event gets exactly one reply, "stored", with a
unique seq; sending all of them again gives 20,000 "duplicate" with the same
seqs; the same id with other content is "rejected" ("id reused with
different content"); after a restart (SIGTERM, start on the same state) the
dedup index still answers, and the log, read with LMDB directly, holds
exactly those 20,000 events, each once, byte for byte, with dedup records
that point at them and carry the digest of their frame.  Also: a REQ socket
and a DEALER with an empty delimiter frame get their reply the same way.
"""
import threading
import time

import zmq

import hqtest as T
from hqtest import check, check_eq

CLIENTS = 4
PER_CLIENT = 5000
WINDOW = 300
TS = 1773022500000


def make_frames():
    """{client: [(id, frame)]}: one source per client, time-ordered ids."""
    out = {}
    for c in range(CLIENTS):
        src = "it-gw-%d" % (c + 1)
        lst = []
        for n in range(PER_CLIENT):
            eid = T.time_id(TS + n // 10, n)
            data = T.sensor_data(value=round(2.0 + (n % 50) / 10.0, 1), sensor="cs-%03d" % (c + 1))
            lst.append((eid, T.pack(T.event(eid, source=src, ts=TS + n * 1000, data=data))))
        out[src] = lst
    return out


def run_clients(ep, frames):
    """One thread and one DEALER per client; returns {source: {id: reply}}."""
    results, errors = {}, []

    def worker(src):
        try:
            results[src] = T.pipeline(ep, frames[src], window=WINDOW, timeout=30.0)
        except Exception as e:  # reported by the main thread
            errors.append("%s: %r" % (src, e))

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in frames]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
        check(not t.is_alive(), "a client thread did not finish within 300 s")
    check(not errors, "client errors: %s" % errors)
    return results


def test_ingest_store_duplicate_restart():
    d = T.Daemon()
    frames = make_frames()
    total = CLIENTS * PER_CLIENT
    try:
        st0 = d.start()
        check_eq(st0["events"], 0, "events at start")

        # 1. everything is stored once, with unique seqs
        t0 = time.monotonic()
        res = run_clients(d.ingest_ep, frames)
        T.log("first pass: %d events in %.1f s" % (total, time.monotonic() - t0))
        seq_of = {}
        for src, lst in frames.items():
            check_eq(len(res[src]), len(lst), "replies of %s" % src)
            for eid, _ in lst:
                r = res[src][eid]
                check(r.get("status") == "stored", "%s/%s: %r" % (src, eid, r))
                check(isinstance(r.get("seq"), int) and r["seq"] >= 1, "%s/%s: seq %r" % (src, eid, r))
                check("error" not in r, "stored reply with an error: %r" % r)
                seq_of[(src, eid)] = r["seq"]
        seqs = sorted(seq_of.values())
        check_eq(len(set(seqs)), total, "distinct seqs")
        check_eq(seqs, list(range(1, total + 1)), "seqs on a fresh state")
        st = d.status()
        check_eq(st["events"], total, "status events")
        check_eq(st["last_seq"], total, "status last_seq")
        check_eq(st["stored"], total, "status stored")
        check_eq(st["rejected"], 0, "status rejected")

        # 2. all again: duplicate, same seqs, nothing stored
        t0 = time.monotonic()
        res = run_clients(d.ingest_ep, frames)
        T.log("second pass: %d events in %.1f s" % (total, time.monotonic() - t0))
        for src, lst in frames.items():
            for eid, _ in lst:
                r = res[src][eid]
                check(r.get("status") == "duplicate", "%s/%s resent: %r" % (src, eid, r))
                check_eq(r.get("seq"), seq_of[(src, eid)], "%s/%s duplicate seq" % (src, eid))
        st = d.status()
        check_eq(st["events"], total, "events after resending")
        check_eq(st["duplicate"], total, "status duplicate")
        check_eq(st["stored"], total, "status stored after resending")

        # 3. same id, other content: rejected, names the first seq
        src = "it-gw-2"
        eid, frame = frames[src][123]
        ev = T.unpack(frame)
        ev["data"]["value"] = 7.5
        one = T.OneShot(d.ingest_ep)
        try:
            r = one.request(T.pack(ev))
            check_eq(r.get("status"), "rejected", "reused id status")
            check_eq(r.get("id"), eid, "reused id reply id")
            check_eq(r.get("error"), "id reused with different content (the first event with this id is seq %d)"
                     % seq_of[(src, eid)], "reused id error")
            check("seq" not in r, "a rejection carries no seq: %r" % r)
            # the same map with its keys in another order is other bytes too
            ev2 = T.unpack(frame)
            reordered = {k: ev2[k] for k in ("data", "ts", "source", "type", "id")}
            r = one.request(T.pack(reordered))
            check_eq(r.get("status"), "rejected", "reordered keys status")
            check("id reused with different content" in r.get("error", ""), "reordered keys: %r" % r)
            # and the original bytes are still a duplicate
            r = one.request(frame)
            check_eq((r.get("status"), r.get("seq")), ("duplicate", seq_of[(src, eid)]), "original after reuse")
        finally:
            one.close()
        st = d.status()
        check_eq(st["events"], total, "events after the reused id")
        check_eq(st["rejected"], 2, "status rejected")

        # 4. restart on the same state; the dedup index survives
        d.stop()
        st = d.start()
        check_eq(st["events"], total, "events after restart")
        check_eq(st["last_seq"], total, "last_seq after restart")
        picks = [("it-gw-1", 0), ("it-gw-3", 2500), ("it-gw-4", PER_CLIENT - 1)]
        sample = [frames[src][n] for src, n in picks]
        res = T.pipeline(d.ingest_ep, sample, window=10)
        for (src, n), (eid, _) in zip(picks, sample):
            check_eq((res[eid].get("status"), res[eid].get("seq")), ("duplicate", seq_of[(src, eid)]),
                     "after restart %s/%s" % (src, eid))
        # a new event continues the sequence
        new = [("new-0001", T.pack(T.event("new-0001", source="it-gw-9")))]
        res = T.pipeline(d.ingest_ep, new, window=1)
        check_eq((res["new-0001"]["status"], res["new-0001"]["seq"]), ("stored", total + 1), "new event after restart")
        d.stop()

        # 5. the log itself
        view = T.read_store(d.state)
        where = T.verify_log_consistent(view)
        check_eq(len(view.events), total + 1, "events in the log")
        check_eq(sorted(view.events), list(range(1, total + 2)), "seqs in the log")
        check_eq(view.meta.get(b"format"), b"2", "format record")
        for src, lst in frames.items():
            for eid, fb in lst:
                seq = seq_of[(src, eid)]
                check_eq(where.get((src, eid)), seq, "log position of %s/%s" % (src, eid))
                stored_ms, logged = view.events[seq]
                check(logged == fb, "seq %d: the log does not hold the frame as sent" % seq)
                check(stored_ms > 0, "seq %d: stored_ms %d" % (seq, stored_ms))
        check_eq(where.get(("it-gw-9", "new-0001")), total + 1, "the new event")
    finally:
        d.kill()


def test_req_and_delimiter():
    """A REQ socket (which adds an empty delimiter) and a DEALER that adds
    one itself both get their reply, with the delimiter kept."""
    d = T.Daemon()
    try:
        d.start()
        req = T.context().socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.connect(d.ingest_ep)
        try:
            req.send(T.pack(T.event("req-1")))
            check(req.poll(10000, zmq.POLLIN), "REQ: no reply within 10 s")
            r = T.unpack(req.recv())
            check_eq((r.get("id"), r.get("status"), r.get("seq")), ("req-1", "stored", 1), "REQ reply")
        finally:
            req.close(linger=0)
        s = T.dealer(d.ingest_ep)
        try:
            s.send_multipart([b"", T.pack(T.event("dlm-1"))])
            check(s.poll(10000, zmq.POLLIN), "DEALER with delimiter: no reply within 10 s")
            parts = s.recv_multipart()
            check_eq(len(parts), 2, "frames of the reply to a delimited request")
            check_eq(parts[0], b"", "delimiter of the reply")
            r = T.unpack(parts[1])
            check_eq((r.get("id"), r.get("status"), r.get("seq")), ("dlm-1", "stored", 2), "delimited reply")
        finally:
            s.close(linger=0)
        d.stop()
    finally:
        d.kill()


def test_same_id_in_one_batch():
    """One DEALER sends id X with content A, X with content B, X with A
    again, back to back (so normally in one batch): A is stored, B is
    rejected as a reused id naming A's seq, the second A is a duplicate of
    the same seq; the log holds A once."""
    d = T.Daemon()
    try:
        d.start()
        a = T.pack(T.event("same-1"))
        b = T.pack(T.event("same-1", data=T.sensor_data(value=6.5)))
        s = T.dealer(d.ingest_ep)
        try:
            for f in (a, b, a):
                s.send(f)
            replies = []
            for _ in range(3):
                check(s.poll(10000, zmq.POLLIN), "no reply within 10 s (%d so far)" % len(replies))
                replies.append(T.unpack(s.recv()))
            check(not s.poll(200, zmq.POLLIN), "a fourth reply")
        finally:
            s.close(linger=0)
        T.log("replies: %r" % replies)
        check(all(r.get("id") == "same-1" for r in replies), "reply ids: %r" % replies)
        by = {r["status"]: r for r in replies}
        check_eq(sorted(r["status"] for r in replies), ["duplicate", "rejected", "stored"], "statuses")
        seq = by["stored"]["seq"]
        check_eq(by["duplicate"].get("seq"), seq, "duplicate seq")
        check_eq(by["rejected"].get("error"),
                 "id reused with different content (the first event with this id is seq %d)" % seq, "reuse error")
        d.stop()
        view = T.read_store(d.state)
        T.verify_log_consistent(view)
        check_eq(len(view.events), 1, "events in the log")
        check(view.events[seq][1] == a, "the log holds the first content")
    finally:
        d.kill()


def test_small_batches():
    """--max-batch 7: two pipelining clients (2,000 events each) cross
    many batch boundaries; every event is stored once."""
    d = T.Daemon(extra=["--max-batch", "7"])
    try:
        d.start()
        frames = {}
        for c in (1, 2):
            src = "small-%d" % c
            frames[src] = [(T.time_id(TS, n), T.pack(T.event(T.time_id(TS, n), source=src))) for n in range(2000)]
        res = run_clients(d.ingest_ep, frames)
        seqs = []
        for src, lst in frames.items():
            for eid, _ in lst:
                check_eq(res[src][eid].get("status"), "stored", "%s/%s" % (src, eid))
                seqs.append(res[src][eid]["seq"])
        check_eq(sorted(seqs), list(range(1, 4001)), "seqs")
        st = d.status()
        check(st["batches"] >= 4000 // 7, "batches %d with --max-batch 7" % st["batches"])
        d.stop()
        view = T.read_store(d.state)
        T.verify_log_consistent(view)
        check_eq(len(view.events), 4000, "events in the log")
    finally:
        d.kill()


if __name__ == "__main__":
    T.parse_args()
    T.main([test_ingest_store_duplicate_restart, test_req_and_delimiter, test_same_id_in_one_batch,
            test_small_batches])
