#!/usr/bin/python3
"""A webhook that is down (issue 5, "Bad input" and "Tests that must exist":
retried, then delivered, order per recipient kept, other recipients not
blocked; dead letters after the stated number of tries).

- test_down_then_up: the catering section head's webhook answers 500,
  500, then hangs (longer than the channel's 1 s timeout), then closes the
  connection without an answer, then 500, then 503 until the test opens a
  gate.  Meanwhile every other delivery of the same alerts (other people,
  other channels, the same person's e-mail) arrives: the failing lane
  blocks nothing else.  Only the lane's first alert is tried while it
  fails (order per recipient).  Once the gate opens, the lane's alerts
  arrive in seq order, each key once, and alertd never crashed.
- test_dead_letters: with retry.tries 3, a delivery that fails three times
  (HTTP 500) is dead-lettered, one answered 404 at once (permanent); the
  lane then goes on with the next alerts; the dead letters in alertd's
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
        # The failing lane went through every scripted failure and is now
        # at the gate; it tried only its first alert.
        A.wait_for(lambda: any(a["outcome"] == "503" for a in st.web.tries("/flaky")), 60, "the gate reached")
        tries = st.web.tries("/flaky")
        outcomes = [a["outcome"] for a in tries]
        check_eq(outcomes[:5], ["500", "500", "hang", "close", "500"], "the scripted failures, in order")
        first = "%d-chen.catering-flaky" % min(r["seq"] for r in recs)
        check_eq(set(a["key"] for a in tries), {first}, "keys tried while the lane fails (head of line)")
        check_eq(st.web.got("/flaky"), [], "nothing delivered through the failing webhook yet")
        check(st.ad.alive(), "alertd is alive")
        st.web.open_gate("/flaky")
        st.wait_keys(want, what="the failing webhook's alerts once it is up")
        got = [d["key"] for d in st.web.got("/flaky")]
        check_eq(sorted(got, key=lambda k: int(k.split("-")[0])), got, "the lane's alerts in seq order")
        check_eq(Counter(got).most_common(1)[0][1], 1, "each key once")
        check("failed (try" in st.ad.log_text(), "retries are logged")
        log("%d tries of %s before it went through; %d other deliveries were not held up" %
            (len(tries), first, len(want - flaky)))
        st.stop()
    finally:
        st.kill()


def test_dead_letters():
    st = stack_with(3, "lin.sup", [{"channel": "mail", "to": "lin@example.edu.cn"}, {"channel": "flaky"}], "/dead")
    try:
        st.web.plan("/dead", ["500", "500", "500", "404"])
        st.start()
        complaints(st.hq, 5)
        recs = st.hq.outbox()
        seqs = sorted(r["seq"] for r in recs)
        want = st.expected(recs)
        dead_keys = {"%d-lin.sup-flaky" % seqs[0], "%d-lin.sup-flaky" % seqs[1]}
        st.wait_keys(want - dead_keys, what="everything but the two dead letters")
        dead = A.wait_for(lambda: len(A.read_dead(st.ad.state)) == 2 and A.read_dead(st.ad.state), 30,
                          "two dead letters")
        (i1, d1), (i2, d2) = dead
        check_eq((i1, d1["key"], d1["tries"], d1["error"], d1["recipient"], d1["channel"], d1["seq"]),
                 (1, "%d-lin.sup-flaky" % seqs[0], 3, "HTTP 500", "lin.sup", "flaky", seqs[0]), "first dead letter")
        check_eq((i2, d2["key"], d2["tries"], d2["error"]), (2, "%d-lin.sup-flaky" % seqs[1], 1, "HTTP 404"),
                 "second dead letter (permanent)")
        by_seq = {r["seq"]: r for r in recs}
        check_eq((d1["issue"], d1["kind"], d1["severity"]), (by_seq[seqs[0]]["issue"], "opened", "high"),
                 "what the dead letter names")
        got = [d["key"] for d in st.web.got("/dead")]
        check_eq(got, ["%d-lin.sup-flaky" % s for s in seqs[2:]], "the lane went on, in order")
        check("dead-lettered" in st.ad.log_text(), "dead letters are logged")
        st.stop()
    finally:
        st.kill()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_down_then_up, test_dead_letters])
