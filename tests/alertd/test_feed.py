#!/usr/bin/python3
"""alertd's side of the outbox protocol (SPEC §5; reliability-hazards §2.4)
against a stand-in for houqind that the test controls exactly: a PUB socket
(alert records and "hugz" heartbeats) and a ROUTER control socket
(status, outbox.range), both in this process.

- test_feed: records that exist before alertd starts are replayed
  (status, then outbox.range); a live record is taken as is; a record lost
  on the PUB socket is noticed from the next live one's seq (a gap) and
  replayed; a lost last record is noticed from a heartbeat's last_seq;
  a published message that does not decode, and one with three frames,
  are logged and the gap replayed; a record houqind pruned is skipped with
  an error in the log, never silently; a control socket that stops
  answering is asked again on a fresh socket and the feed resumes; a
  heartbeat whose last_seq is below alertd's cursor (a different houqind
  state) is warned about.  Every record's delivery arrives once, in seq
  order.
"""
import threading

import msgpack
import zmq

import atest as A
import hqtest as T
from atest import T0, check, check_eq, log


class FakeHouqind:
    """PUB + ROUTER on ipc endpoints; the control socket is served by a
    thread (its own socket), the PUB socket only by the test's thread."""

    def __init__(self):
        self.dir = T.tmpdir("hq-fake-")
        self.publish_ep = "ipc://%s/pub" % self.dir
        self.control_ep = "ipc://%s/ctl" % self.dir
        self.lock = threading.Lock()
        self.records = {}
        self.pruned = set()
        self.last = 0
        self.answer = threading.Event()
        self.answer.set()
        self.requests = []
        self.stopping = False
        ctx = T.context()
        self.pub = ctx.socket(zmq.XPUB)  # XPUB: the test sees alertd subscribe
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.bind(self.publish_ep)
        self.router = ctx.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        self.router.bind(self.control_ep)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def record(self, seq):
        return {"seq": seq, "ts_ms": T0 + seq, "kind": "opened", "issue": "HQ-2030-%06d" % seq, "rule": "fake",
                "level": 1, "roles": ["section_head"], "domain": "catering", "contractor": "xinyuan-catering",
                "site": "canteen-1", "severity": "high", "title": "fake %d" % seq, "text": "fake", "deadline_ms": 0}

    def add(self, seq, publish=True):
        with self.lock:
            self.records[seq] = T.pack(self.record(seq))
            self.last = max(self.last, seq)
        if publish:
            self.pub.send_multipart([b"alert.opened.catering.high", self.records[seq]])

    def prune(self, seq):
        with self.lock:
            self.pruned.add(seq)
            self.last = max(self.last, seq)

    def wait_subscribed(self, timeout=30.0):
        """Waits until a subscriber asked for "alert." (no slow joiner)."""
        end = A.time.monotonic() + timeout
        while A.time.monotonic() < end:
            if self.pub.poll(100, zmq.POLLIN) and self.pub.recv() == b"\x01alert.":
                return
        raise A.TestFailure("alertd did not subscribe")

    def hugz(self, last=None):
        with self.lock:
            last = self.last if last is None else last
        self.pub.send_multipart([b"hugz", T.pack({"last_seq": last, "clock_ms": T0})])

    def _reply(self, req):
        with self.lock:
            if req.get("cmd") == "status":
                return T.pack({"ok": True, "clock_ms": T0, "outbox_last": self.last})
            frm, to = req["from"], min(req["to"], req["from"] + 9999)
            recs = [self.records[s] for s in range(frm, to + 1) if s in self.records]
            pruned = [s for s in range(frm, min(to, self.last) + 1) if s in self.pruned]
            # Records go in as raw msgpack, like houqind's.
            body = msgpack.Packer(use_bin_type=True)
            out = body.pack_map_header(5)
            out += body.pack("ok") + body.pack(True) + body.pack("last_seq") + body.pack(self.last)
            out += body.pack("to") + body.pack(to) + body.pack("records") + body.pack_array_header(len(recs))
            out += b"".join(recs) + body.pack("pruned") + body.pack(pruned)
            return out

    def _serve(self):
        while not self.stopping:
            if not self.router.poll(100, zmq.POLLIN):
                continue
            try:
                ident, frame = self.router.recv_multipart(zmq.NOBLOCK)
            except (zmq.Again, ValueError):
                continue
            req = T.unpack(frame)
            self.requests.append(req)
            if not self.answer.is_set():
                continue  # dropped: alertd must time out and ask again
            self.router.send_multipart([ident, self._reply(req)])

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        self.router.close(linger=0)
        self.pub.close(linger=0)


def test_feed():
    fake = FakeHouqind()
    web = A.WebhookSink()
    org = A.Org({"chen.catering": [{"channel": "hook"}]})
    rules = A.rules_dir(org, '  hook: {type: webhook, url: "%s", timeout: 5s}\n' % web.url("/hook"),
                        "  quiet_hours: false\n  retry: {tries: 5, first: 100ms, max: 1s}\n")
    ad = A.Alertd(fake, rules)
    # Each fake record is its own issue: their order on the lane is not
    # promised (issue 14: order is kept per issue), so compare in seq order.
    delivered = lambda: sorted((d["key"] for d in web.got("/hook")), key=lambda k: int(k.split("-")[0]))

    def wait_seqs(n, what):
        want = ["%d-chen.catering-hook" % s for s in range(1, n + 1) if s not in fake.pruned]
        A.wait_for(lambda: delivered() == want or (len(delivered()) > len(want) and delivered()), 60, what)
        check_eq(delivered(), want, what)

    try:
        for s in (1, 2, 3):
            fake.add(s, publish=False)
        ad.start()
        fake.wait_subscribed()
        wait_seqs(3, "records that existed before alertd started (replayed)")
        check_eq(fake.requests[0], {"cmd": "status"}, "the first request")
        # A live record: taken as is, no replay asked for.
        fake.add(4)
        wait_seqs(4, "a live record")
        check_eq([r for r in fake.requests if r.get("from") == 4], [], "no replay for a live record")
        # A lost record, noticed from the next one's seq.
        fake.add(5, publish=False)
        fake.add(6)
        wait_seqs(6, "a gap filled by replay")
        # A lost last record, noticed from a heartbeat.
        fake.add(7, publish=False)
        fake.hugz()
        wait_seqs(7, "a lost last record, found by a heartbeat")
        # Messages that do not decode.
        fake.pub.send_multipart([b"alert.opened.catering.high", b"\xc1\xc1 not msgpack"])
        fake.pub.send_multipart([b"alert.x", b"a", b"b"])
        fake.add(8, publish=False)
        fake.hugz()
        wait_seqs(8, "after undecodable messages")
        # A pruned record is skipped loudly.
        fake.prune(9)
        fake.add(10, publish=False)
        fake.hugz()
        wait_seqs(10, "past a pruned record")
        # The control socket stops answering for a while.
        fake.answer.clear()
        fake.add(11, publish=False)
        fake.hugz()
        A.wait_for(lambda: sum(1 for r in fake.requests if r.get("from") == 11) >= 2, 60,
                   "alertd asks again after no answer")
        fake.answer.set()
        fake.hugz()
        wait_seqs(11, "after the control socket answered again")
        # A heartbeat from a houqind whose outbox is behind alertd's cursor.
        fake.hugz(last=2)
        A.wait_for(lambda: "is this a different or restored houqind state" in ad.log_text(), 30, "the warning")
        ad.stop()
        logtext = ad.log_text()
        for want in ("does not decode", "frame(s), expected 2", "outbox record 9 was pruned", "does not answer"):
            check(want in logtext, "log lacks %r:\n%s" % (want, ad.log_tail(30)))
        log("%d deliveries in order; %d control requests" % (len(delivered()), len(fake.requests)))
    finally:
        ad.kill()
        web.stop()
        fake.stop()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_feed])
