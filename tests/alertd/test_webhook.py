#!/usr/bin/python3
"""A webhook that is down (issue 5, "Bad input" and "Tests that must exist":
retried, then delivered, order per recipient kept, other recipients not
blocked; dead letters after the stated number of tries).

- test_down_then_up: the catering section head's webhook answers 500,
  500, then hangs (longer than the channel's 1 s timeout), then closes the
  connection without an answer, then 500, then 503 until the test opens a
  gate.  Meanwhile every other delivery of the same alerts (other people,
  other channels, the same person's e-mail) arrives: the failing lane
  blocks nothing else.  Each alert is a different issue, so each is tried
  on its own while the webhook fails (no head-of-line blocking across
  issues; order per issue is tested in test_overtake.py).  Once the gate
  opens, every one of the lane's alerts arrives, each key once, and alertd
  never crashed.
- test_dead_letters: with retry.tries 3, a delivery that fails three times
  (HTTP 500) is dead-lettered, one answered 404 at once (permanent); the
  lane's later alerts arrive; the dead letters in alertd's
  LMDB state carry the key, the tries, the reason and the alert's issue.
"""
from collections import Counter

import atest as A
from atest import check, check_eq, log

RULES = {"test/complaints.yaml": A.rules_file(A.complaint_rule("test.complaint", "catering", "high"))}


def complaints(hq, n, first=0):
    for i in range(first, first + n):
        hq.complaint("catering", "w%04d" % i)


def stack_with(tries, person, chans, path):
    """A Stack where `person` has channels chans; channel flaky is a webhook
    on the sink's path with a 1 s timeout."""
    pol = "  urgent: high\n  quiet_hours: false\n  retry: {tries: %d, first: 100ms, max: 400ms}\n" % tries
    return A.Stack(policies=pol, rules=RULES, person_channels={person: chans},
                   extra_channels='  flaky: {type: webhook, url: "{web}%s", timeout: 1s, connect_timeout: 1s}\n'
                                  % path)


def test_down_then_up():
    st = stack_with(50, "chen.catering", [{"channel": "mail", "to": "chen@example.edu.cn"}, {"channel": "flaky"}],
                    "/flaky")
    try:
        st.web.plan("/flaky", ["500", "500", "hang", "close", "500"])
        st.web.gate("/flaky")
        st.start()
        complaints(st.hq, 8)
        recs = st.hq.outbox()
        want = st.expected(recs)
        flaky = {k for k in want if k.endswith("-chen.catering-flaky")}
        check_eq(len(flaky), 8, "alerts for the failing webhook")
        # Everything else arrives while the webhook is down.
        st.wait_keys(want - flaky, what="the other deliveries while one webhook is down")
        # The failing lane went through the scripted failures and is now at
        # the gate; every one of its alerts (eight issues) was tried.
        # Retries come due on houqind's clock (alertd follows it): move it on.
        A.wait_for(lambda: len({a["key"] for a in st.web.tries("/flaky") if a["outcome"] == "503"}) == 8, 60,
                   "every alert of the lane at the gate", tick=st.hq.ticker())
        tries = st.web.tries("/flaky")
        outcomes = [a["outcome"] for a in tries]
        check_eq(outcomes[:5], ["500", "500", "hang", "close", "500"], "the scripted failures, in order")
        check_eq(set(a["key"] for a in tries), flaky, "keys tried while the lane fails (no head of line)")
        check_eq(st.web.got("/flaky"), [], "nothing delivered through the failing webhook yet")
        check(st.ad.alive(), "alertd is alive")
        st.web.open_gate("/flaky")
        st.wait_keys(want, what="the failing webhook's alerts once it is up", tick=st.hq.ticker())
        got = [d["key"] for d in st.web.got("/flaky")]
        check_eq(set(got), flaky, "the lane's alerts")
        check_eq(Counter(got).most_common(1)[0][1], 1, "each key once")
        check("failed (try" in st.ad.log_text(), "retries are logged")
        log("%d tries of the lane's 8 alerts before it came up; %d other deliveries were not held up" %
            (len(tries), len(want - flaky)))
        st.stop()
    finally:
        st.kill()


def test_dead_letters():
    st = stack_with(3, "lin.sup", [{"channel": "mail", "to": "lin@example.edu.cn"}, {"channel": "flaky"}], "/dead")
    try:
        # One alert at a time, so that the scripted answers meet the alert
        # they are meant for (the lane's alerts no longer wait for each other).
        st.web.plan("/dead", ["500", "500", "500"])
        st.start()
        complaints(st.hq, 1)
        A.wait_for(lambda: len(A.read_dead(st.ad.state)) == 1, 30, "the first dead letter", tick=st.hq.ticker())
        st.web.plan("/dead", ["404"])
        complaints(st.hq, 1, first=1)
        A.wait_for(lambda: len(A.read_dead(st.ad.state)) == 2, 30, "the second dead letter")
        complaints(st.hq, 3, first=2)
        recs = st.hq.outbox()
        seqs = sorted(r["seq"] for r in recs)
        want = st.expected(recs)
        dead_keys = {"%d-lin.sup-flaky" % seqs[0], "%d-lin.sup-flaky" % seqs[1]}
        st.wait_keys(want - dead_keys, what="everything but the two dead letters")
        (i1, d1), (i2, d2) = A.read_dead(st.ad.state)
        check_eq((i1, d1["key"], d1["tries"], d1["error"], d1["recipient"], d1["channel"], d1["seq"]),
                 (1, "%d-lin.sup-flaky" % seqs[0], 3, "HTTP 500", "lin.sup", "flaky", seqs[0]), "first dead letter")
        check_eq((i2, d2["key"], d2["tries"], d2["error"]), (2, "%d-lin.sup-flaky" % seqs[1], 1, "HTTP 404"),
                 "second dead letter (permanent)")
        by_seq = {r["seq"]: r for r in recs}
        check_eq((d1["issue"], d1["kind"], d1["severity"]), (by_seq[seqs[0]]["issue"], "opened", "high"),
                 "what the dead letter names")
        got = [d["key"] for d in st.web.got("/dead")]
        check_eq(sorted(got), sorted("%d-lin.sup-flaky" % s for s in seqs[2:]), "the lane went on")
        check("dead-lettered" in st.ad.log_text(), "dead letters are logged")
        st.stop()
    finally:
        st.kill()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_down_then_up, test_dead_letters])
