#!/usr/bin/python3
"""Failover and escalation on silence (issue 14 item 2), on houqind's
manual clock (policies.failover runs on the policy clock: houqind's with
--clock follow).

- test_failover_to_second_channel: chen.catering's channels are a webhook
  that always answers 503, then e-mail as `fallback: true`; failover 10m.
  An urgent alert is tried on the webhook; with the clock 9 minutes on, the
  e-mail has not been used; at 10 minutes it arrives by e-mail: the first
  channel failing delays the urgent alert to the second by the stated
  failover time and no more.  Everyone else's deliveries are not held up.
- test_deputy_and_admins: chen.catering's only channel answers 503 and
  gives up after two tries; their deputy (li.deputy, org.yaml `deputy:`)
  and the administrator (xu.office, role admin) get the alert at once on
  their own channels, with a note naming who was not reached and what was
  tried; the dead letters say the same.  zhao.vp has no channels at all:
  an alert for them is passed on when it is routed.
"""
import time

import atest as A
from atest import check, check_eq, log

RULES = {"test/complaints.yaml": A.rules_file(A.complaint_rule("test.complaint", "catering", "high"))}
POLICIES = """  urgent: high
  quiet_hours: false
  failover: 10m
  retry: {tries: %d, first: 100ms, max: 400ms}
"""
BROKEN = '  broken: {type: webhook, url: "{web}/broken", timeout: 5s}\n'


def test_failover_to_second_channel():
    st = A.Stack(policies=POLICIES % 1000, rules=RULES, extra_channels=BROKEN,
                 person_channels={"chen.catering": [{"channel": "broken"},
                                                    {"channel": "mail", "to": "chen@example.edu.cn",
                                                     "fallback": True}]})
    try:
        st.web.gate("/broken")          # 503 until opened: never, here
        st.start()
        t0 = st.hq.now()
        st.hq.complaint("catering", "f-1")
        recs = st.hq.outbox()
        seq = recs[-1]["seq"]
        mail_key = "%d-chen.catering-mail" % seq
        st.wait_keys(st.expected(recs) - {"%d-chen.catering-broken" % seq}, what="everyone else's deliveries")
        A.wait_for(lambda: st.web.tries("/broken"), 30, "the webhook tried")
        time.sleep(1.5)                 # (a bound, not a measurement) the clock stood still:
        check_eq(len(st.web.tries("/broken")), 1, "no retry before houqind's clock moves (--clock follow)")
        st.hq.set_clock(t0 + 1000)      # the backoff (100 ms) is over on houqind's clock
        A.wait_for(lambda: len(st.web.tries("/broken")) >= 2, 30, "the webhook retried once the clock moved")
        st.hq.set_clock(t0 + 9 * A.MIN)
        time.sleep(2.0)                 # heartbeats carry the clock to alertd (a bound, not a measurement)
        check(mail_key not in st.keys(), "e-mail used before the failover time")
        st.hq.set_clock(t0 + 10 * A.MIN)
        st.wait_keys({mail_key}, timeout=30, what="the alert by e-mail at the failover time")
        m = [m for m in st.smtp.got() if m["key"] == mail_key][0]
        check_eq(m["rcpt"], ["chen@example.edu.cn"], "the fallback's address")
        check("trying mail" in st.ad.log_text(), "the failover is logged")
        check_eq(A.read_dead(st.ad.state), [], "no dead letter: the person was reached")
        log("urgent alert %d: webhook failing, by e-mail once the clock reached the failover time" % seq)
        st.stop()
    finally:
        st.kill()


def test_deputy_and_admins():
    st = A.Stack(policies=POLICIES % 2, rules=RULES, extra_channels=BROKEN,
                 person_channels={"chen.catering": [{"channel": "broken"}], "zhao.vp": []},
                 person_extra={"chen.catering": "deputy: li.deputy"})
    try:
        st.web.gate("/broken")
        st.start()
        st.hq.complaint("catering", "d-1")
        recs = st.hq.outbox()
        seq = recs[-1]["seq"]
        want = {"%d-li.deputy~chen.catering-%s" % (seq, c) for c in ("mail", "hook", "sms")}
        want |= {"%d-xu.office~chen.catering-%s" % (seq, c) for c in ("mail", "hook")}
        # The second try comes due on houqind's clock; tick it on (1 s steps,
        # far below the 10 min failover, so the escalation is the give-up's).
        st.wait_keys(want, what="the deputy and the administrator", tick=st.hq.ticker())
        hooks = [d["body"] for d in st.web.got("/hook") if d["key"].startswith("%d-li.deputy~" % seq)]
        check("未能联系到陈科长（chen.catering）" in hooks[0]["text"], "the note: %r" % hooks[0]["text"])
        check("broken: HTTP 503" in hooks[0]["text"], "what was tried, in the note: %r" % hooks[0]["text"])
        check("已试" in hooks[0]["text"] and "tries" not in hooks[0]["text"],
              "what was tried, in Chinese words: %r" % hooks[0]["text"])
        check(hooks[0]["subject"].startswith("【转告】"), "subject: %r" % hooks[0]["subject"])
        dead = A.wait_for(lambda: len(A.read_dead(st.ad.state)) >= 2 and A.read_dead(st.ad.state), 30,
                          "the dead letters")
        by = {(d["recipient"], d["channel"]): d for _, d in dead}
        check_eq(by[("chen.catering", "broken")]["error"], "HTTP 503", "the channel's dead letter")
        esc = by[("chen.catering", "-")]["error"]
        check(esc.startswith("not reached within 10 min (tried: broken: HTTP 503 (2 tries, given up))"), esc)
        check(esc.endswith("passed on to li.deputy (deputy); xu.office (administrator)"), esc)
        # Someone without channels: passed on at once (the standard chain's
        # level 3 reaches zhao.vp; here, an accountability-free shortcut:
        # the opinion event escalates to the top level at once).
        st.hq.lifecycle("opinion", recs[-1]["issue"], actor="wang.director", summary="舆情")
        vp = [r for r in st.hq.outbox() if r["kind"] == "escalated" and "vice_president" in r["roles"]]
        check(vp, "an escalation to the vice-president")
        s2 = vp[0]["seq"]
        st.wait_keys({"%d-xu.office~zhao.vp-mail" % s2}, what="zhao.vp's alert to the administrator")
        esc2 = [d for _, d in A.read_dead(st.ad.state) if d["recipient"] == "zhao.vp" and d["seq"] == s2]
        check(any("no channels configured" in d["error"] for d in esc2), "zhao.vp's dead letters: %r" % esc2)
        st.stop()
    finally:
        st.kill()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_failover_to_second_channel, test_deputy_and_admins])
