#!/usr/bin/python3
"""Nothing lost, nothing twice, across crashes of either daemon (issue 5,
"Tests that must exist": kill alertd in the middle of a stream and restart
it; kill houqind: alertd catches up when it comes back).

A test rule opens one urgent issue per complaint, so every event makes one
"opened" alert for the catering section head, the supervisor and the
contractor's contact: about ten deliveries each over e-mail, webhooks, a
command and a file.

- test_kill_alertd: alertd is killed with SIGKILL while a stream is being
  delivered (once a third of it reached the sinks); more alerts are made
  while it is down; after the restart every expected idempotency key
  reaches the sinks.  Deliveries repeated by the crash (sent, result not
  yet committed) carry the same key and the same body, come again only
  after the restart, and are bounded by the group commit of results.
- test_kill_houqind: houqind is killed with SIGKILL and restarted on its
  state while alertd runs; alerts made after the restart (and any the PUB
  socket lost while alertd's subscription reconnected) are delivered,
  once.

The sinks count by idempotency key: "nothing twice" means every key once
at a sink that honours the key (SPEC §5: at least once, same key).
"""
from collections import Counter

import atest as A
import hqtest as T
from atest import check, check_eq, log

RULES = {"test/complaints.yaml": A.rules_file(A.complaint_rule("test.complaint", "catering", "high"))}


def send_complaints(hq, first, n):
    """n complaints (texts c<first>..) pipelined on one DEALER."""
    now = hq.now()
    frames = []
    for i in range(first, first + n):
        ev = {"id": "c%06d" % i, "type": "complaint.submitted", "source": "crash-test", "ts": now,
              "data": {"domain": "catering", "site": "canteen-1", "category": "service_attitude", "text": "c%06d" % i}}
        frames.append((ev["id"], T.pack(ev)))
    replies = T.pipeline(hq.ingest_ep, frames, window=64)
    bad = [r for r in replies.values() if r.get("status") != "stored"]
    check_eq(bad, [], "replies that are not stored")


def repeats(st):
    """{key: [payloads]} of keys delivered more than once."""
    by = {}
    for k, w, p in st.deliveries():
        by.setdefault(k, []).append((w, p))
    return {k: v for k, v in by.items() if len(v) > 1}


def check_repeats_same(rep):
    for k, v in rep.items():
        bodies = [p for w, p in v if not w.startswith("mail:")]
        check(all(b == bodies[0] for b in bodies), "repeats of %s differ: %r" % (k, bodies))
        mails = [p for w, p in v if w.startswith("mail:")]
        check(all(m["msgid"] == mails[0]["msgid"] and m["body"] == mails[0]["body"] for m in mails),
              "repeated mails of %s differ" % k)


def test_kill_alertd():
    st = A.Stack(rules=RULES)
    try:
        st.start()
        send_complaints(st.hq, 0, 120)
        want = st.expected(st.hq.outbox())
        check(len(want) >= 120 * 8, "expected deliveries: %d" % len(want))
        A.wait_for(lambda: len(set(st.keys()) & want) >= len(want) // 3, 120, "a third of the stream delivered")
        st.ad.kill()
        at_kill = Counter(st.keys())
        got_at_kill = len(at_kill)
        log("killed alertd with %d of %d delivered" % (got_at_kill, len(want)))
        check(got_at_kill < len(want), "the kill came before the end of the stream")
        # More alerts while alertd is down: replayed from houqind's outbox.
        send_complaints(st.hq, 1000, 40)
        recs = st.hq.outbox()
        want = st.expected(recs)
        st.ad.start()
        st.wait_keys(want, timeout=240, what="every delivery after the restart")
        keys = st.keys()
        check_eq(set(keys), want, "delivered keys = expected keys")
        rep = repeats(st)
        check_repeats_same(rep)
        # A repeat is a delivery in flight at the kill, or one whose result
        # was not yet committed (results are committed in groups of at
        # most 512 or 10 ms): a bound, not a figure.
        check(len(rep) <= 512 + 256, "%d repeated keys" % len(rep))
        # Repeats come only from the crash: nothing was twice before it.
        check_eq([k for k, n in at_kill.items() if n > 1], [], "keys delivered twice before the kill")
        log("%d alerts, %d deliveries, %d distinct keys, %d repeated by the crash (same key, same body)" %
            (len(recs), len(keys), len(set(keys)), sum(len(v) - 1 for v in rep.values())))
        st.stop()
        check_eq(len(A.read_queue(st.ad.state)), 0, "nothing left pending")
        check_eq(A.read_dead(st.ad.state), [], "no dead letters")
    finally:
        st.kill()


def test_kill_houqind():
    st = A.Stack(rules=RULES)
    try:
        st.start()
        send_complaints(st.hq, 0, 30)
        st.wait_keys(st.expected(st.hq.outbox()), what="before the kill")
        st.hq.kill()
        st.hq.start()             # the manual clock resumes where it was
        send_complaints(st.hq, 100, 60)
        recs = st.hq.outbox()
        want = st.expected(recs)
        st.wait_keys(want, timeout=240, what="after houqind came back")
        # Killed again, this time while alertd also restarts in between.
        st.hq.kill()
        st.ad.stop()
        st.hq.start()
        send_complaints(st.hq, 200, 20)
        st.ad.start()
        recs = st.hq.outbox()
        want = st.expected(recs)
        st.wait_keys(want, timeout=240, what="after both restarted")
        keys = st.keys()
        check_eq(set(keys), want, "delivered keys = expected keys")
        check_eq([k for k, n in Counter(keys).items() if n > 1], [], "nothing twice (no alertd crash here)")
        log("%d alerts across two houqind kills, %d deliveries, each once" % (len(recs), len(keys)))
        st.stop()
    finally:
        st.kill()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_kill_alertd, test_kill_houqind])
