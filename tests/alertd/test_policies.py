#!/usr/bin/python3
"""Quiet hours, digests and rate limits on houqind's manual clock (issue 5,
"Tests that must exist": quiet hours and digests with the manual clock).

alertd runs with --clock follow: its policy clock is houqind's, as the
alerts' times and houqind's heartbeats report it.  "Not yet delivered" is
checked only after a later alert to someone else has arrived (a marker):
alertd routes and schedules in seq order, so by then it has looked at the
held one with the clock at least at the marker's time.

- test_quiet_hours: at 22:00 on a Monday a medium alert for the catering
  section head (working hours Mon-Fri 08:00-18:00) is held in alertd's
  queue until Tuesday 08:00, while the supervisor (working hours: always)
  gets it at once; an urgent (high) alert at 22:05 goes to the section
  head at once, past the held one.  At 07:59 still nothing; at 08:00 it
  is delivered.
- test_digest: three low alerts for the dormitory section head between
  09:10 and 09:30 are gathered into one digest per channel at 12:00 (every
  4h from midnight), with one key digest-<first>-<last>-<recipient>-<channel>,
  the digest template's subject and one line per alert; the supervisor
  (not in the digest roles) gets them one by one at once.
- test_rate_limit: with at most 3 non-urgent messages per hour per
  recipient and channel, five medium alerts give three at once and two an
  hour later (by the manual clock); an urgent alert in between goes past
  the limit.
"""
import atest as A
from atest import HOUR, check, check_eq


def rule(rule_id, domain, category, severity):
    return """  - id: %s
    description: test rule
    on: complaint.submitted
    when:
      all:
        - {field: data.domain, eq: %s}
        - {field: data.category, eq: %s}
    key: "{{data.text}}"
    issue:
      title: "测试问题 {{data.text}}"
      domain: %s
      category: complaints
      severity: %s
      deadline: 48h
      chain: standard
""" % (rule_id, domain, category, domain, severity)


RULES = {"test/policies.yaml": A.rules_file(rule("test.medium", "catering", "hygiene", "medium"),
                                            rule("test.urgent", "catering", "foreign_matter", "high"),
                                            rule("test.low", "dormitory", "hygiene", "low"))}

POLICIES = """  urgent: high
  quiet_hours: true
  working_hours: {days: [mon-fri], from: "08:00", to: "18:00"}
  digest: {severities: [low], every: 4h, roles: [section_head]}
  retry: {tries: 6, first: 100ms, max: 1s}
%s"""

HOURS = {"chen.catering": '{days: [mon-fri], from: "08:00", to: "18:00"}', "lin.sup": "always",
         "sun.dorm": '{days: [mon-fri], from: "08:00", to: "18:00"}'}


def key(seq, who, ch):
    return "%d-%s-%s" % (seq, who, ch)


def new_rec(hq, before):
    recs = [r for r in hq.outbox() if r["seq"] > before]
    check_eq(len(recs), 1, "new outbox records")
    return recs[0]


def complaint(st, domain, category, text):
    last = max([r["seq"] for r in st.hq.outbox()], default=0)
    st.hq.complaint(domain, text, site="dorm-3" if domain == "dormitory" else "canteen-1", category=category)
    return new_rec(st.hq, last)


def test_quiet_hours():
    st = A.Stack(policies=POLICIES % "", rules=RULES, hours=HOURS)
    try:
        st.start()
        st.hq.set_clock(A.local_ms(0, 22))
        held = complaint(st, "catering", "hygiene", "q1")
        st.wait_keys({key(held["seq"], "lin.sup", "mail"), key(held["seq"], "lin.sup", "hook")},
                     what="the supervisor (always working) gets the medium alert at once")
        st.hq.set_clock(A.local_ms(0, 22, 5))
        urgent = complaint(st, "catering", "foreign_matter", "u1")
        st.wait_keys({key(urgent["seq"], "chen.catering", "mail"), key(urgent["seq"], "chen.catering", "hook")},
                     what="an urgent alert at night goes at once")
        keys = set(st.keys())
        for ch in ("mail", "hook"):
            check(key(held["seq"], "chen.catering", ch) not in keys, "held at 22:05: %s" % ch)
        q = {(r, c, s): v for r, c, s, v in A.read_queue(st.ad.state)}
        d = q.get(("chen.catering", "mail", held["seq"]))
        check(d is not None, "the held delivery is in alertd's queue: %r" % sorted(q))
        check_eq(d["ready_ms"], A.local_ms(1, 8), "held until Tuesday 08:00")
        # 07:59: still held (a marker to the supervisor shows alertd saw the time).
        st.hq.set_clock(A.local_ms(1, 7, 59))
        marker = complaint(st, "catering", "foreign_matter", "m1")
        st.wait_keys({key(marker["seq"], "lin.sup", "hook")}, what="the 07:59 marker")
        check(key(held["seq"], "chen.catering", "mail") not in set(st.keys()), "still held at 07:59")
        st.hq.set_clock(A.local_ms(1, 8))
        st.wait_keys({key(held["seq"], "chen.catering", "mail"), key(held["seq"], "chen.catering", "hook"),
                      key(held["seq"], "group", "wecom")}, what="the held alert at 08:00")
        st.wait_keys(st.expected(st.hq.outbox()), what="everything by 08:00")
        st.stop()
    finally:
        st.kill()


def test_digest():
    st = A.Stack(policies=POLICIES % "", rules=RULES, hours=HOURS)
    try:
        st.start()
        lows = []
        for i, m in enumerate((10, 20, 30)):
            st.hq.set_clock(A.local_ms(0, 9, m))
            lows.append(complaint(st, "dormitory", "hygiene", "d%d" % i))
        seqs = [r["seq"] for r in lows]
        st.wait_keys({key(s, "lin.sup", "hook") for s in seqs}, what="the supervisor gets the low alerts at once")
        check_eq([k for k in st.keys() if "-sun.dorm-" in k], [], "the section head's are gathered")
        q = [(r, c, s, v) for r, c, s, v in A.read_queue(st.ad.state) if r == "sun.dorm"]
        check_eq(sorted((c, s, v["digest"], v["ready_ms"]) for r, c, s, v in q),
                 sorted((c, s, True, A.local_ms(0, 12)) for c in ("mail", "hook") for s in seqs),
                 "digest entries due at 12:00")
        st.hq.set_clock(A.local_ms(0, 11, 59))
        marker = complaint(st, "catering", "foreign_matter", "m1")
        st.wait_keys({key(marker["seq"], "lin.sup", "hook")}, what="the 11:59 marker")
        check_eq([k for k in st.keys() if "-sun.dorm-" in k], [], "no digest before 12:00")
        st.hq.set_clock(A.local_ms(0, 12))
        dkey = "digest-%d-%d-sun.dorm-%%s" % (seqs[0], seqs[-1])
        st.wait_keys({dkey % "mail", dkey % "hook"}, what="the digests at 12:00")
        mine = [k for k in st.keys() if "-sun.dorm-" in k]
        check_eq(sorted(mine), sorted([dkey % "mail", dkey % "hook"]), "one digest per channel, nothing else")
        mail = [m for m in st.smtp.got() if m["key"] == dkey % "mail"][0]
        check_eq(mail["subject"], "【汇总】3 条后勤监督提醒", "digest subject")
        for r in lows:
            check(r["issue"] in mail["body"], "digest lists %s:\n%s" % (r["issue"], mail["body"]))
        check_eq(mail["body"].count("· ["), 3, "one line per alert")
        hook = [d for d in st.web.got("/hook") if d["key"] == dkey % "hook"][0]["body"]
        check_eq((hook["digest"], hook["count"], [a["seq"] for a in hook["alerts"]]), (True, 3, seqs), "digest JSON")
        st.stop()
        check_eq([v for r, c, s, v in A.read_queue(st.ad.state) if r == "sun.dorm"], [], "nothing left for sun.dorm")
    finally:
        st.kill()


def test_rate_limit():
    pol = POLICIES % "  rate_limit: {max: 3, per: 1h}\n"
    st = A.Stack(policies=pol.replace("quiet_hours: true", "quiet_hours: false"), rules=RULES, hours=HOURS)
    try:
        st.start()
        recs = [complaint(st, "catering", "hygiene", "r%d" % i) for i in range(5)]
        seqs = [r["seq"] for r in recs]
        st.wait_keys({key(s, "chen.catering", "hook") for s in seqs[:3]}, what="the first three")
        urgent = complaint(st, "catering", "foreign_matter", "u1")
        st.wait_keys({key(urgent["seq"], "chen.catering", "hook")}, what="an urgent alert past the limit")
        got = [k for k in st.keys() if k.endswith("-chen.catering-hook")]
        check_eq(sorted(got), sorted([key(s, "chen.catering", "hook") for s in seqs[:3]] +
                                     [key(urgent["seq"], "chen.catering", "hook")]),
                 "three non-urgent within the hour, plus the urgent one")
        st.hq.set_clock(st.hq.now() + HOUR)
        st.wait_keys({key(s, "chen.catering", "hook") for s in seqs[3:]}, what="the rest an hour later")
        got = [k for k in st.keys() if k.endswith("-chen.catering-hook")]
        check_eq(got[-2:], [key(s, "chen.catering", "hook") for s in seqs[3:]], "the held ones, in order")
        st.wait_keys(st.expected(st.hq.outbox()), what="everything")
        st.stop()
    finally:
        st.kill()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_quiet_hours, test_digest, test_rate_limit])
