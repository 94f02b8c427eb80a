#!/usr/bin/python3
"""No head-of-line blocking (issue 14 item 1): a delivery that is stuck
holds back only the later alerts of its own issue, never an urgent alert of
another issue on the same lane.

- test_urgent_overtakes_stuck_low: lin.sup (the catering supervisor) has
  one webhook.  A low-severity complaint's alert to it hangs at the sink
  (the channel's timeout is longer than the test waits).  Then a
  high-severity complaint (another issue) opens: its alert reaches lin.sup
  on the same webhook while the low one is still hanging.  The low issue
  is then closed: its "closed" alert (same issue, same severity) is not
  even tried while "opened" is stuck, and arrives after it once the sink
  lets go: order per issue is kept.
"""
import atest as A
from atest import check, check_eq, log

RULES = {"test/complaints.yaml": A.rules_file(A.complaint_rule("test.low", "catering", "low"),
                                              A.complaint_rule("test.high", "dormitory", "high"))}
POLICIES = """  urgent: high
  quiet_hours: false
  retry: {tries: 20, first: 100ms, max: 400ms}
"""


def test_urgent_overtakes_stuck_low():
    st = A.Stack(policies=POLICIES, rules=RULES, person_channels={"lin.sup": [{"channel": "slow"}]},
                 extra_channels='  slow: {type: webhook, url: "{web}/slow", timeout: 60s}\n')
    try:
        st.web.plan("/slow", ["hang"])
        st.start()
        st.hq.complaint("catering", "low-1")
        low = [r for r in st.hq.outbox() if r["kind"] == "opened"][0]
        low_key = "%d-lin.sup-slow" % low["seq"]
        A.wait_for(lambda: [a for a in st.web.tries("/slow") if a["key"] == low_key], 30, "the low alert at the sink")
        st.hq.complaint("dormitory", "high-1", site="dorm-3")
        high = [r for r in st.hq.outbox() if r["kind"] == "opened" and r["severity"] == "high"][0]
        high_key = "%d-lin.sup-slow" % high["seq"]
        A.wait_for(lambda: [d for d in st.web.got("/slow") if d["key"] == high_key], 30,
                   "the urgent alert past the stuck low one")
        check_eq([a["outcome"] for a in st.web.tries("/slow") if a["key"] == low_key], ["hang"],
                 "the low alert is still stuck at its first try")
        check_eq([d["key"] for d in st.web.got("/slow")], [high_key], "delivered on the lane so far")
        # Same issue: "closed" waits for "opened".
        st.hq.lifecycle("closed", low["issue"], actor="wang.director", reason="test")
        closed = [r for r in st.hq.outbox() if r["kind"] == "closed" and r["issue"] == low["issue"]][0]
        closed_key = "%d-lin.sup-slow" % closed["seq"]
        # Give alertd the record (the archive gets the group copy of it), then look.
        A.wait_for(lambda: "%d-group-archive" % closed["seq"] in st.keys(), 30, "the closed record routed")
        check_eq([a for a in st.web.tries("/slow") if a["key"] == closed_key], [],
                 "closed (same issue) is not tried while opened is stuck")
        st.web.release.set()   # the hanging request ends without an answer; alertd retries
        A.wait_for(lambda: {low_key, closed_key} <= {d["key"] for d in st.web.got("/slow")}, 90,
                   "the low issue's alerts once the sink lets go", tick=st.hq.ticker())
        got = [d["key"] for d in st.web.got("/slow")]
        check(got.index(low_key) < got.index(closed_key), "opened before closed on the lane: %r" % got)
        log("urgent %s delivered while %s hung; %s waited behind it" % (high_key, low_key, closed_key))
        st.stop()
    finally:
        st.kill()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_urgent_overtakes_stuck_low])
