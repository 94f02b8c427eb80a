#!/usr/bin/python3
"""Crash test (issue 2, "Tests that must exist"; SPEC §2, §7).

Two producers (one DEALER each, their own source, time-ordered ids, a
window of un-acknowledged events) send while houqind is killed with SIGKILL
at random moments (0.2 to 1.0 s after it answered status, at least 10
times) and restarted on the same state directory.  The producers work the
Lazy Pirate way: no reply within a timeout, close the socket, open a new
one, resend every un-acknowledged event with the SAME bytes.  They record
every id whose reply was "stored" or "duplicate", with its seq.

Then the load stops (no new ids), every outstanding id is retried until it
is acknowledged, houqind is stopped, and the checker reads LMDB itself (not
the daemon's word):

- every id ever acknowledged is in the log exactly once, at the seq its
  acknowledgements reported, byte for byte the frame that was sent;
- nothing is in the log twice, and nothing is there that was not sent;
- an id is answered "stored" at most once, and all its acks agree on the seq;
- the dedup index holds one record per event, pointing at it, with the
  digest of its frame; the log's seqs are 1..N without a gap.

The random seed is printed; HQ_CRASH_SEED=<n> replays a run's kill times.
"""
import os
import random
import subprocess
import sys
import threading
import time

import lmdb
import zmq

import hqtest as T
from hqtest import check, check_eq

KILLS = 12
WINDOW = 200
ACK_TIMEOUT = 1.0  # s without any reply before reconnect-and-resend


class Producer(threading.Thread):
    def __init__(self, ep, source, base_ms):
        super().__init__(daemon=True)
        self.ep = ep
        self.source = source
        self.base_ms = base_ms
        self.n = 0
        self.sent = {}         # id -> frame, every id ever generated
        self.unacked = {}      # id -> frame, in id order (dicts keep insertion order)
        self.acked = {}        # id -> seq (the first ack)
        self.stored_ids = set()
        self.n_stored = self.n_duplicate = self.n_unavailable = 0
        self.retries = 0       # frames resent after a timeout
        self.reconnects = 0
        self.errors = []
        self.stop_new = threading.Event()
        self.finished = threading.Event()
        self.deadline = None   # set by the test when the drain starts

    def new_event(self):
        eid = T.time_id(self.base_ms, self.n)
        ts = self.base_ms + self.n * 100
        value = round(1.0 + (self.n % 60) / 10.0, 1)
        self.n += 1
        frame = T.pack(T.event(eid, source=self.source, ts=ts, data=T.sensor_data(value=value, sensor="cs-007")))
        self.sent[eid] = frame
        self.unacked[eid] = frame
        return eid, frame

    def run(self):
        sock = None
        try:
            sock = T.dealer(self.ep)
            inflight = set()       # ids sent on this socket and not answered on it
            later = []             # (when, id): "unavailable" answers, to resend
            last_progress = time.monotonic()

            def send(s, eid, frame):
                try:
                    s.send(frame, zmq.NOBLOCK)
                    inflight.add(eid)
                except zmq.Again:
                    pass  # resent after the next timeout

            while True:
                now = time.monotonic()
                if self.stop_new.is_set() and not self.unacked:
                    break
                if self.deadline is not None and now > self.deadline:
                    self.errors.append("%d ids still un-acknowledged at the deadline" % len(self.unacked))
                    break
                while not self.stop_new.is_set() and len(self.unacked) < WINDOW:
                    eid, frame = self.new_event()
                    send(sock, eid, frame)
                while later and later[0][0] <= now:
                    _, eid = later.pop(0)
                    if eid in self.unacked and eid not in inflight:
                        send(sock, eid, self.unacked[eid])
                if sock.poll(50, zmq.POLLIN):
                    while True:
                        try:
                            parts = sock.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self.on_reply(parts, inflight, later)
                        last_progress = time.monotonic()
                if self.unacked and time.monotonic() - last_progress > ACK_TIMEOUT:
                    # Lazy Pirate: new socket, same bytes
                    sock.close(linger=0)
                    sock = T.dealer(self.ep)
                    inflight.clear()
                    later.clear()
                    self.reconnects += 1
                    for eid, frame in list(self.unacked.items()):
                        self.retries += 1
                        send(sock, eid, frame)
                    last_progress = time.monotonic()
        except Exception as e:
            self.errors.append("producer %s: %r" % (self.source, e))
        finally:
            if sock is not None:
                sock.close(linger=0)
            self.finished.set()

    def on_reply(self, parts, inflight, later):
        if len(parts) != 1:
            self.errors.append("reply of %d frames" % len(parts))
            return
        r = T.unpack(parts[0])
        eid, status = r.get("id"), r.get("status")
        if eid not in inflight:
            self.errors.append("reply for an id not in flight on this socket: %r" % r)
            return
        inflight.discard(eid)
        if status in ("stored", "duplicate"):
            seq = r.get("seq")
            if not isinstance(seq, int) or seq < 1:
                self.errors.append("ack without a valid seq: %r" % r)
                return
            if eid in self.acked and self.acked[eid] != seq:
                self.errors.append("%s/%s acknowledged as seq %d, later as seq %d (%s)" %
                                   (self.source, eid, self.acked[eid], seq, status))
            if status == "stored":
                self.n_stored += 1
                if eid in self.stored_ids:
                    self.errors.append("%s/%s answered stored twice (seq %d)" % (self.source, eid, seq))
                self.stored_ids.add(eid)
            else:
                self.n_duplicate += 1
            self.acked.setdefault(eid, seq)
            self.unacked.pop(eid, None)
        elif status == "rejected" and str(r.get("error", "")).startswith("unavailable"):
            self.n_unavailable += 1
            later.append((time.monotonic() + 0.5, eid))
        else:
            self.errors.append("unexpected reply: %r" % r)


def verify_producers(d, producers):
    """The checks after the drain, on LMDB read directly."""
    view = T.read_store(d.state)
    where = T.verify_log_consistent(view)
    total_sent = sum(len(p.sent) for p in producers)
    check_eq(sorted(view.events), list(range(1, len(view.events) + 1)), "log seqs 1..N")
    for p in producers:
        for eid, seq in p.acked.items():
            got = where.get((p.source, eid))
            check(got is not None, "%s/%s was acknowledged (seq %d) but is not in the log" % (p.source, eid, seq))
            check_eq(got, seq, "log position of acknowledged %s/%s" % (p.source, eid))
            check(view.events[seq][1] == p.sent[eid], "seq %d does not hold the frame sent for %s" % (seq, eid))
        check_eq(set(p.acked), set(p.sent), "%s: every sent id acknowledged after the drain" % p.source)
    ours = {(p.source, eid) for p in producers for eid in p.sent}
    extra = set(where) - ours
    check(not extra, "the log holds events nobody sent: %s" % sorted(extra)[:10])
    check_eq(len(view.events), total_sent, "events in the log vs ids sent")
    return view


def drain(producers):
    for p in producers:
        p.deadline = time.monotonic() + 120
        p.stop_new.set()
    for p in producers:
        check(p.finished.wait(150), "producer %s did not drain" % p.source)
    errors = [e for p in producers for e in p.errors]
    check(not errors, "producer errors:\n  " + "\n  ".join(errors[:50]))


def stop_producers(producers):
    for p in producers:
        p.deadline = time.monotonic()
        p.stop_new.set()
    for p in producers:
        p.finished.wait(10)


def test_sigterm_under_load():
    """SIGTERM under load finishes the batch in hand, commits, replies and
    exits 0 (bounded wait); three times; then the same checks as for the
    kills."""
    d = T.Daemon()
    producers = []
    try:
        d.start()
        producers = [Producer(d.ingest_ep, "term-gw-%d" % i, 1773022500000) for i in (1, 2)]
        for p in producers:
            p.start()
        for _ in range(3):
            time.sleep(0.7)
            check(d.alive(), "houqind died by itself; log:\n%s" % d.log_tail())
            d.stop(timeout=30)  # fails unless it exits 0
            d.start()
        drain(producers)
        d.stop()
        verify_producers(d, producers)
        T.log("SIGTERM x3: ids %d, retries %d, reconnects %d" % (
            sum(len(p.sent) for p in producers), sum(p.retries for p in producers),
            sum(p.reconnects for p in producers)))
    finally:
        stop_producers(producers)
        d.kill()


def test_stale_reader_slot_cleared_at_start():
    """A reader (another process, like houqinctl) killed with SIGKILL while
    it holds a read transaction leaves its slot in lock.mdb; houqind clears
    stale slots when it starts.  A second, live reader keeps the
    environment open across the restart, so that LMDB does not simply
    reset the lock table for a first opener: only houqind's check can
    clear the dead slot, and the live reader's slot stays."""
    d = T.Daemon()
    child = live = None
    try:
        d.start()
        one = T.OneShot(d.ingest_ep)
        try:
            check_eq(one.request(T.pack(T.event("rd-1"))).get("status"), "stored", "event")
        finally:
            one.close()
        code = ("import lmdb, sys, time\n"
                "env = lmdb.open(sys.argv[1], readonly=True, lock=True, max_dbs=32)\n"
                "txn = env.begin()\n"
                "print('ready', flush=True)\n"
                "time.sleep(120)\n")
        procs = []
        for _ in range(2):
            p = subprocess.Popen([sys.executable, "-c", code, d.state], stdout=subprocess.PIPE,
                                 preexec_fn=T._die_with_parent)
            procs.append(p)
            # bounded: the child prints at once or dies (its stdout closes)
            check_eq(p.stdout.readline().strip(), b"ready", "reader child")
        child, live = procs
        pid = child.pid
        child.kill()
        child.wait(timeout=10)
        table = readers(d.state)
        T.log("reader table before the restart:\n%s" % table.rstrip())
        check(str(pid) in table.split(), "the killed reader's slot is not in the table:\n%s" % table)
        d.stop()
        d.start()
        table = readers(d.state)
        T.log("reader table after the restart:\n%s" % table.rstrip())
        check(str(pid) not in table.split(), "stale reader slot of pid %d still there after start:\n%s" %
              (pid, table))
        check(str(live.pid) in table.split(), "the live reader's slot is gone:\n%s" % table)
        d.stop()
    finally:
        for p in (child, live):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        d.kill()


def readers(state):
    """The reader table of lock.mdb (without clearing stale slots)."""
    env = lmdb.open(state, readonly=True, lock=True, max_dbs=32)
    try:
        return env.readers()
    finally:
        env.close()


def test_crash_under_load():
    seed = int(os.environ.get("HQ_CRASH_SEED", "0")) or random.SystemRandom().randrange(1, 2 ** 31)
    T.log("seed %d (HQ_CRASH_SEED=%d replays the kill times)" % (seed, seed))
    rng = random.Random(seed)
    d = T.Daemon()
    base_ms = 1773022500000
    producers = []
    try:
        d.start()
        producers = [Producer(d.ingest_ep, "crash-gw-%d" % i, base_ms) for i in (1, 2)]
        for p in producers:
            p.start()
        kills = 0
        acked_at_kill = []
        while kills < KILLS:
            time.sleep(rng.uniform(0.2, 1.0))
            for p in producers:
                check(not p.finished.is_set(), "producer %s stopped early: %s" % (p.source, p.errors))
            check(d.alive(), "houqind died by itself; log:\n%s" % d.log_tail())
            d.kill()
            kills += 1
            acked_at_kill.append(sum(len(p.acked) for p in producers))
            d.start()
        T.log("acknowledged ids at each kill: %s" % acked_at_kill)
        # stop the load; let every outstanding id be retried until acked
        drain(producers)
        st = d.status()
        d.stop()

        view = verify_producers(d, producers)
        total_sent = sum(len(p.sent) for p in producers)
        check_eq(st["events"], len(view.events), "status events before the stop vs the log")
        T.log("kills %d, starts %d, ids sent %d, acknowledged %d (stored replies %d, duplicate replies %d), "
              "retries %d, reconnects %d, unavailable %d, events in the log %d" %
              (kills, d.starts, total_sent, sum(len(p.acked) for p in producers),
               sum(p.n_stored for p in producers), sum(p.n_duplicate for p in producers),
               sum(p.retries for p in producers), sum(p.reconnects for p in producers),
               sum(p.n_unavailable for p in producers), len(view.events)))
        check(kills >= 10, "only %d kills" % kills)
        check(sum(p.n_duplicate for p in producers) > 0 or sum(p.retries for p in producers) > 0,
              "no retry happened: the kills did not hit the load")
    finally:
        stop_producers(producers)
        d.kill()


if __name__ == "__main__":
    T.parse_args()
    T.main([test_crash_under_load, test_sigterm_under_load, test_stale_reader_slot_cleared_at_start])
