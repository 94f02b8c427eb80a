#!/usr/bin/python3
"""Lifecycle events that do not fit are refused and change nothing
(issue 3 item 3; SPEC §2 "rejected" replies).

- test_refusals: an unknown issue number (for every lifecycle type), a
  recheck of an opened (never rectified) issue, a second rectification, a
  second acknowledgement, a recheck, an acknowledgement, an opinion, a
  rectification and a close of a closed issue: each gets a "rejected" reply
  with an error that names the issue and the reason; the issue JSON, the
  event log (events, last_seq), the outbox and the timers are exactly as
  before; the refused event's id is given back (a corrected retry with the
  same id is stored).  A comment on a closed issue is accepted and lands on
  its timeline.
- test_resend_applies_once: acknowledged, rectified, rechecked fail and
  comment resent with the same id: "duplicate" with the first seq, nothing
  applied twice.
- test_opinion: issue.opinion on an open issue goes straight to the top of
  the chain (one escalated record at the top level, the escalation steps in
  between are cancelled), starts accountability and assesses the opinion
  penalty of the contract terms; a second opinion adds no escalation or
  accountability, only the opinion penalty again.
- test_recheck_fail_deadline: a failed recheck with data.deadline_ms (the
  new deadline the supervisor sets, schemas/issue.rechecked.yaml) reopens
  the issue with that deadline.
"""
import scen as S
from scen import DAY, HOUR, MIN, T0, check, check_eq, log

RULE = """\
rules:
  - id: test.foreign-matter
    on: complaint.submitted
    when: {field: data.category, eq: foreign_matter}
    key: "{{data.site}}"
    issue:
      title: "{{site.name}} 饭菜异物：{{data.text}}"
      domain: catering
      category: food-safety
      severity: high
      deadline: 24h
      recheck: {after: 12h}
      chain: standard
"""


def complaint(hq, site="canteen-1", text="饭里有头发"):
    return hq.send_ok("complaint.submitted", {"domain": "catering", "site": site, "category": "foreign_matter",
                                              "text": text})


def snapshot(hq):
    st = hq.status()
    return {"issues": hq.issues(), "outbox": hq.outbox(),
            "counts": {k: st[k] for k in ("events", "last_seq", "issues", "timers", "outbox", "next_timer_ms")}}


def refused(hq, what, number, want, **data):
    """Sends issue.<what>; expects a rejection whose error contains every
    string of `want`, and no change at all.  Then sends a valid event with
    the same id (the id was given back)."""
    before = snapshot(hq)
    eid = "refused-%d" % (hq.nsent + 1)
    r = S.lifecycle_id(hq, what, number, eid, **data)
    check_eq(r.get("status"), "rejected", "issue.%s on %s: %r" % (what, number, r))
    err = r.get("error") or ""
    for w in want:
        check(w in err, "issue.%s on %s: error %r does not contain %r" % (what, number, err, w))
    log("issue.%-13s %s -> %s" % (what, number, err))
    after = snapshot(hq)
    check_eq(after, before, "state after a refused issue.%s on %s" % (what, number))
    # a valid event with the same id is stored (the refused one left no trace)
    ok = hq.send("sensor.reading", {"sensor": "cs-002", "kind": "cold_storage_temp", "value": 3.0, "unit": "C",
                                    "site": "canteen-2"}, id=eid)
    check_eq(ok.get("status"), "stored", "event with the refused event's id: %r" % ok)


def test_refusals():
    hq = S.Hq(rules=S.rules_dir({"catering/fm.yaml": RULE}, base=True))
    try:
        hq.start_at()
        complaint(hq)
        n = S.only_issue(hq)["number"]
        unknown = n[:-6] + "999999"
        for what, extra in (("acknowledged", {}), ("rectified", {"evidence": "x"}), ("rechecked", {"result": "pass"}),
                            ("comment", {"text": "x"}), ("closed", {"reason": "x"}), ("opinion", {})):
            refused(hq, what, unknown, [unknown, "no issue"], **extra)
        refused(hq, "rechecked", n, [n, "opened", "rectification first"], result="pass")
        refused(hq, "rechecked", n, [n, "opened", "rectification first"], result="fail")
        check_eq(S.lifecycle(hq, "acknowledged", n, actor="contact.xinyuan").get("status"), "stored", "ack")
        refused(hq, "acknowledged", n, [n, "acknowledged"])
        check_eq(S.lifecycle(hq, "rectified", n, actor="contact.xinyuan", evidence="清洁").get("status"), "stored",
                 "rectified")
        refused(hq, "rectified", n, [n, "already rectified"], evidence="again")
        hq.advance(HOUR)
        check_eq(S.lifecycle(hq, "rechecked", n, result="pass").get("status"), "stored", "rechecked pass")
        check_eq(hq.issue(n)["state"], "closed", "closed")
        for what, extra in (("rechecked", {"result": "pass"}), ("rechecked", {"result": "fail"}),
                            ("acknowledged", {}), ("opinion", {"platform": "weibo"}),
                            ("rectified", {"evidence": "x"}), ("closed", {"reason": "again"})):
            refused(hq, what, n, [n, "closed"], **extra)
        # schema violations of lifecycle events are refused before they reach the issue
        for what, data, want in (("rechecked", {"issue": n, "actor": "lin.sup", "result": "maybe"}, "result"),
                                 ("rechecked", {"issue": n, "actor": "lin.sup"}, "result"),
                                 ("acknowledged", {"issue": n}, "actor"),
                                 ("rectified", {"issue": n, "actor": "a"}, "evidence")):
            before = snapshot(hq)
            r = hq.send("issue." + what, data)
            check(r.get("status") == "rejected" and want in (r.get("error") or ""),
                  "issue.%s %r: %r" % (what, data, r))
            check_eq(snapshot(hq), before, "state after a schema-invalid issue.%s" % what)
        # a comment on a closed issue is accepted
        before = hq.issue(n)
        hq.advance(MIN)
        r = S.lifecycle(hq, "comment", n, actor="wang.director", text="已通报批评")
        check_eq(r.get("status"), "stored", "comment on a closed issue: %r" % r)
        after = hq.issue(n)
        check_eq(after["state"], "closed", "still closed")
        check_eq(len(after["timeline"]), len(before["timeline"]) + 1, "one more timeline entry")
        e = after["timeline"][-1]
        check(e["kind"] == "comment" and "已通报批评" in e["what"] and e["actor"] == "wang.director" and
              e["seq"] == r["seq"], "comment entry: %r" % e)
        strip = lambda i: {k: v for k, v in i.items() if k != "timeline"}  # noqa: E731
        check_eq(strip(after), strip(before), "a comment changes only the timeline")
        hq.stop()
    finally:
        hq.kill()


def test_opinion():
    hq = S.Hq(rules=S.rules_dir({"catering/fm.yaml": RULE}, base=True))
    try:
        hq.start_at()
        complaint(hq)
        iss = S.only_issue(hq)
        n, D = iss["number"], iss["deadline_ms"]
        check_eq(sorted(iss["next_timers"]), [D, D + DAY, D + 3 * DAY], "deadline and two escalation steps")
        last = hq.outbox()[-1]["seq"]
        hq.set_clock(T0 + 2 * HOUR)
        r = S.lifecycle(hq, "opinion", n, actor="chen.catering", platform="weibo", title="食堂饭菜吃出异物",
                        reach=120000)
        check_eq(r.get("status"), "stored", "opinion: %r" % r)
        iss = hq.issue(n)
        check_eq((iss["state"], iss["level"], iss["accountability"]), ("opened", 3, True),
                 "after the opinion: top of the chain, accountability")
        check_eq(iss["next_timers"], [D], "the escalation steps are cancelled; the deadline stays")
        check_eq([(p["amount_cents"], p["term"], p["ts_ms"]) for p in iss["penalties"]],
                 [(10000 * 100, "catering-contract:opinion 餐饮服务合同第十二条", T0 + 2 * HOUR)], "opinion penalty")
        w = S.words(iss)
        check_eq(w, ["opened", "opinion", "escalated", "accountability", "penalty"], "timeline")
        check(all(e["ts_ms"] == T0 + 2 * HOUR for e in iss["timeline"][1:]), "timeline times")
        new = [x for x in hq.outbox() if x["seq"] > last]
        check_eq([(x["kind"], x["level"]) for x in new], [("escalated", 3), ("accountability", 3), ("penalty", 3)],
                 "records of the opinion")
        check_eq(new[0]["roles"], ["vice_president", "office_director", "contractor_contact"], "top level's roles")
        # past the old escalation times nothing more escalates
        hq.set_clock(D + 4 * DAY)
        iss = hq.issue(n)
        check_eq(len(S.timeline(iss, "escalated")), 1, "escalations after the chain's times")
        # a second opinion: no new escalation or accountability
        last = hq.outbox()[-1]["seq"]
        check_eq(S.lifecycle(hq, "opinion", n, actor="chen.catering").get("status"), "stored", "second opinion")
        iss = hq.issue(n)
        check_eq((len(S.timeline(iss, "escalated")), len(S.timeline(iss, "accountability"))), (1, 1),
                 "no second escalation or accountability")
        kinds = [x["kind"] for x in hq.outbox() if x["seq"] > last]
        check_eq(kinds, ["penalty"], "records of the second opinion")
        check_eq([p["amount_cents"] for p in iss["penalties"] if ":opinion" in p["term"]], [1000000, 1000000],
                 "the opinion penalty again for a further incident")
        hq.stop()
    finally:
        hq.kill()


def test_recheck_fail_deadline():
    hq = S.Hq(rules=S.rules_dir({"catering/fm.yaml": RULE}, base=True))
    try:
        hq.start_at()
        complaint(hq)
        n = S.only_issue(hq)["number"]
        check_eq(S.lifecycle(hq, "rectified", n, actor="contact.xinyuan", evidence="x").get("status"), "stored", "r")
        hq.set_clock(T0 + HOUR)
        want = T0 + HOUR + 3 * DAY
        r = S.lifecycle(hq, "rechecked", n, result="fail", deadline_ms=want, note="限期三天整改")
        check_eq(r.get("status"), "stored", "rechecked fail with deadline_ms")
        iss = hq.issue(n)
        check_eq(iss["state"], "reopened", "state")
        check_eq(iss["deadline_ms"], want, "the deadline the supervisor set on the failed recheck (data.deadline_ms)")
        hq.stop()
    finally:
        hq.kill()


def test_resend_applies_once():
    """A lifecycle event resent with the same id is answered "duplicate"
    and applied once (SPEC §2)."""
    hq = S.Hq(rules=S.rules_dir({"catering/fm.yaml": RULE}, base=True))
    try:
        hq.start_at()
        complaint(hq)
        n = S.only_issue(hq)["number"]
        for what, extra in (("acknowledged", {}), ("rectified", {"evidence": "x"}), ("rechecked", {"result": "fail"}),
                            ("comment", {"text": "c"})):
            eid = "once-" + what
            r1 = S.lifecycle_id(hq, what, n, eid, **extra)
            check_eq(r1.get("status"), "stored", "issue.%s: %r" % (what, r1))
            before = snapshot(hq)
            r2 = S.lifecycle_id(hq, what, n, eid, **extra)
            check_eq((r2.get("status"), r2.get("seq")), ("duplicate", r1["seq"]), "issue.%s resent: %r" % (what, r2))
            check_eq(snapshot(hq), before, "state after a resent issue.%s" % what)
        iss = hq.issue(n)
        check_eq((iss["state"], iss["failed_rechecks"], len(iss["penalties"])), ("reopened", 1, 1), "applied once")
        hq.stop()
    finally:
        hq.kill()


if __name__ == "__main__":
    S.parse_args()
    S.main([test_refusals, test_resend_applies_once, test_opinion, test_recheck_fail_deadline])
