#!/usr/bin/python3
"""The problem -> rectification -> feedback loop through the real daemon on
the manual clock (issue 3, "Tests that must exist", the main scenario).

- test_sustained_threshold (shipped rules): cold-storage readings above 8 C
  for 29 minutes and then a normal reading open nothing; above 8 C for 31
  minutes open one issue, exactly when the rule's 30 minutes are up.
- test_escalation_loop (shipped rules, catering.cold-storage-high with the
  urgent chain and the catering-contract terms): opened; acknowledged; no
  rectification: overdue at the deadline, level 2 and level 3 at the
  chain's times (each checked one millisecond before and at the due time,
  on the timeline and in the outbox: kind, level, roles, ts_ms), the daily
  overdue reminder with its per-day penalty; rectified; rechecked fail ->
  reopened with deadline = recheck time + the rule's deadline and a
  failed-recheck penalty; overdue again at the new deadline; rectified;
  rechecked pass -> closed, nothing left scheduled.
- test_recurrence (a test-owned match rule with recurrence: {within: 30d},
  the shipped chain and terms): the same problem again within 30 days of
  the close opens a new issue at level 2, with accountability and the
  per_recurrence penalty of the contract; after more than 30 days it is a
  plain new issue.
- test_penalty_caps (test-owned terms with decimal yuan amounts and small
  caps): per-kind caps and the total cap cut the last amount and then stop
  assessing; the outbox has a penalty record only for amounts assessed.

"Shipped rules" here is a rules directory holding the shipped registry
files and rules/catering/cold-storage.yaml, copied verbatim (scen.cold_rules:
the shipped schedules would fire for every day the manual clock skips).

The shipped chain `urgent`: level 2 at deadline + 2h, level 3 at deadline +
24h with accountability (rules/escalation.yaml); catering-contract: 500
yuan per overdue day (cap 5000), 1000 per failed recheck (cap 5000), 2000
per recurrence, 10000 opinion, total cap 30000 (rules/contractors.yaml).
"""
import os
import re

import scen as S
from scen import DAY, HOUR, MIN, T0, check, check_eq, log

RULE = "catering.cold-storage-high"
DEADLINE = 4 * HOUR          # the rule's deadline
RECHECK = 2 * HOUR           # the rule's recheck plan
L2_AFTER, L3_AFTER = 2 * HOUR, 24 * HOUR     # chain urgent
L1_ROLES = ["section_head", "centre_head", "supervisor", "contractor_contact"]
L2_ROLES = ["office_director", "section_head", "contractor_contact"]
L3_ROLES = ["vice_president", "office_director", "contractor_contact"]
TERMS = "catering-contract"
CONTRACT = "餐饮服务合同第十二条"
YUAN = 100


def shipped_rule_text():
    """The text of the shipped rule catering.cold-storage-high (up to the
    next rule of its file)."""
    with open(os.path.join(S.ARGS.rules, "catering", "cold-storage.yaml"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^(\s*)- id: %s\n.*?(?=^\1- id:|\Z)" % re.escape(RULE), text, re.M | re.S)
    check(m, "no rule %s in rules/catering/cold-storage.yaml" % RULE)
    return m.group(0)


def test_sustained_threshold():
    hq = S.Hq(rules=S.cold_rules())
    try:
        hq.start_at()
        # 29 minutes above 8 C, then a normal reading: nothing opens.
        for m in range(0, 30, 5):
            hq.set_clock(T0 + m * MIN)
            S.cold(hq, 9.2)
        hq.set_clock(T0 + 29 * MIN)
        S.cold(hq, 5.0)
        hq.set_clock(T0 + 3 * HOUR)
        check_eq(hq.issues(), [], "issues after 29 minutes above 8 C and a normal reading")
        check_eq(hq.outbox(), [], "outbox after 29 minutes above 8 C and a normal reading")
        st = hq.status()
        check_eq((st["issues"], st["timers"], st["outbox"]), (0, 0, 0), "issues, timers, outbox")

        # 31 minutes above 8 C (readings every 5 minutes): opens when the
        # condition has held for the rule's 30 minutes.
        t1 = T0 + 4 * HOUR
        for m in range(0, 30, 5):
            hq.set_clock(t1 + m * MIN)
            S.cold(hq, 9.5 + m / 10)
        hq.set_clock(t1 + 30 * MIN - 1)
        check_eq(hq.issues(), [], "issues 1 ms before 30 minutes")
        hq.set_clock(t1 + 30 * MIN)
        S.cold(hq, 12.0)
        hq.set_clock(t1 + 31 * MIN)
        S.cold(hq, 12.5)
        iss = S.only_issue(hq)
        check_eq((iss["rule"], iss["key"], iss["state"], iss["opened_ms"]), (RULE, "cs-001", "opened", t1 + 30 * MIN),
                 "the opened issue")
        check_eq((iss["domain"], iss["contractor"], iss["site"], iss["category"], iss["severity"]),
                 ("catering", "xinyuan-catering", "canteen-1", "food-safety", "high"), "what the issue carries")
        check(iss["severity"] in ("high", "critical"), "SPEC §8: high or critical")
        check(re.match(r"^HQ-2030-\d{6}$", iss["number"]), "number %r" % iss["number"])
        check_eq(iss["deadline_ms"], iss["opened_ms"] + DEADLINE, "deadline")
        check("第一食堂" in iss["title"] and "cs-001" in iss["title"], "title rendered: %r" % iss["title"])
        check_eq(len(S.recs(hq.outbox(), kind="opened")), 1, "one opened record")
        hq.stop()
    finally:
        hq.kill()


def check_record(r, kind, number, level, roles, ts, what):
    check_eq((r["kind"], r["issue"], r["level"], r["roles"], r["ts_ms"]), (kind, number, level, roles, ts), what)
    for k in ("seq", "rule", "domain", "contractor", "site", "severity", "title", "text", "deadline_ms"):
        check(k in r, "%s: outbox record without %s: %r" % (what, k, r))
    check(number in r["text"], "%s: text does not name the issue: %r" % (what, r["text"]))


def new_records(hq, since):
    """Outbox records with seq > since."""
    return [r for r in hq.outbox() if r["seq"] > since]


def test_escalation_loop():
    text = shipped_rule_text()
    check(re.search(r"deadline: 4h", text) and re.search(r"chain: urgent", text) and
          re.search(r"recheck: \{after: 2h\}", text),
          "the shipped cold-storage rule changed (deadline 4h, chain urgent, recheck 2h); update this test")
    hq = S.Hq(rules=S.cold_rules())
    try:
        hq.start_at()
        iss = S.open_cold_issue(hq)
        n = iss["number"]
        O = iss["opened_ms"]
        D = O + DEADLINE
        check_eq(iss["deadline_ms"], D, "deadline")
        check_eq((iss["level"], iss["overdue"], iss["accountability"], iss["chain"]), (1, False, False, "urgent"),
                 "level, overdue, accountability, chain at opening")
        check_eq(sorted(iss["next_timers"]), [D, D + L2_AFTER, D + L3_AFTER], "scheduled: deadline, level 2, level 3")
        ob = hq.outbox()
        check_eq(len(ob), 1, "outbox after opening")
        check_record(ob[0], "opened", n, 1, L1_ROLES, O, "opened record")
        last = ob[0]["seq"]

        # acknowledged
        hq.set_clock(O + 10 * MIN)
        r = S.lifecycle(hq, "acknowledged", n, actor="contact.xinyuan")
        check_eq(r.get("status"), "stored", "acknowledged: %r" % r)
        iss = hq.issue(n)
        check_eq(iss["state"], "acknowledged", "state after issue.acknowledged")
        ack = S.timeline(iss, "acknowledged")
        check_eq([(e["ts_ms"], e["actor"], e["seq"]) for e in ack], [(O + 10 * MIN, "contact.xinyuan", r["seq"])],
                 "acknowledged on the timeline")

        # no rectification: overdue at the deadline, not a millisecond before
        hq.set_clock(D - 1)
        iss = hq.issue(n)
        check_eq((iss["overdue"], iss["level"]), (False, 1), "1 ms before the deadline")
        check_eq(new_records(hq, last), [], "outbox 1 ms before the deadline")
        hq.set_clock(D)
        iss = hq.issue(n)
        check_eq((iss["state"], iss["overdue"], iss["level"]), ("acknowledged", True, 1), "at the deadline")
        check_eq([e["ts_ms"] for e in S.timeline(iss, "overdue")], [D], "overdue on the timeline")
        new = new_records(hq, last)
        check_eq(len(new), 1, "records at the deadline: %r" % new)
        check_record(new[0], "overdue", n, 1, L1_ROLES, D, "overdue record")
        last = new[-1]["seq"]

        # level 2 at deadline + 2h
        hq.set_clock(D + L2_AFTER - 1)
        check_eq(hq.issue(n)["level"], 1, "level 1 ms before level 2 is due")
        check_eq(new_records(hq, last), [], "outbox 1 ms before level 2")
        hq.set_clock(D + L2_AFTER)
        iss = hq.issue(n)
        check_eq((iss["level"], iss["accountability"]), (2, False), "level 2")
        check_eq([e["ts_ms"] for e in S.timeline(iss, "escalated")], [D + L2_AFTER], "escalated on the timeline")
        check("2" in S.timeline(iss, "escalated")[0]["what"], "the entry names level 2")
        new = new_records(hq, last)
        check_eq(len(new), 1, "records at level 2: %r" % new)
        check_record(new[0], "escalated", n, 2, L2_ROLES, D + L2_AFTER, "level 2 record")
        last = new[-1]["seq"]

        # level 3 at deadline + 24h, with accountability; the first daily
        # overdue reminder and its penalty come due at the same time
        hq.set_clock(D + L3_AFTER - 1)
        iss = hq.issue(n)
        check_eq((iss["level"], iss["accountability"], iss["penalties"]), (2, False, []), "1 ms before level 3")
        check_eq(new_records(hq, last), [], "outbox 1 ms before level 3")
        hq.set_clock(D + L3_AFTER)
        iss = hq.issue(n)
        check_eq((iss["level"], iss["accountability"], iss["overdue"]), (3, True, True), "level 3")
        check_eq([e["ts_ms"] for e in S.timeline(iss, "escalated")], [D + L2_AFTER, D + L3_AFTER],
                 "escalations on the timeline")
        check_eq([e["ts_ms"] for e in S.timeline(iss, "accountability")], [D + L3_AFTER], "accountability entry")
        check_eq([e["ts_ms"] for e in S.timeline(iss, "reminder")], [D + DAY], "first daily reminder")
        check_eq([(p["amount_cents"], p["term"], p["ts_ms"]) for p in iss["penalties"]],
                 [(500 * YUAN, "%s:per_overdue_day %s" % (TERMS, CONTRACT), D + DAY)], "first overdue-day penalty")
        new = new_records(hq, last)
        kinds = [r["kind"] for r in new]
        check_eq(sorted(kinds), sorted(["escalated", "accountability", "reminder", "penalty"]),
                 "records at level 3: %r" % kinds)
        esc = S.recs(new, kind="escalated")[0]
        check_record(esc, "escalated", n, 3, L3_ROLES, D + L3_AFTER, "level 3 record")
        acc = S.recs(new, kind="accountability")[0]
        check_eq((acc["level"], acc["ts_ms"]), (3, D + L3_AFTER), "accountability record")
        check("office_director" in acc["roles"], "accountability goes to the office director: %r" % acc["roles"])
        pen = S.recs(new, kind="penalty")[0]
        check_eq(pen["ts_ms"], D + DAY, "penalty record time")
        check("500.00" in pen["text"], "penalty record text gives the amount: %r" % pen["text"])
        check(kinds.index("escalated") < kinds.index("accountability"), "accountability after the escalation")
        last = new[-1]["seq"]

        # the second overdue day
        hq.set_clock(D + 2 * DAY)
        iss = hq.issue(n)
        check_eq([p["amount_cents"] for p in iss["penalties"]], [500 * YUAN, 500 * YUAN], "two overdue days")
        new = new_records(hq, last)
        check_eq(sorted(r["kind"] for r in new), ["penalty", "reminder"], "records on overdue day 2")
        check(all(r["ts_ms"] == D + 2 * DAY and r["level"] == 3 for r in new), "day-2 records: %r" % new)
        last = new[-1]["seq"]

        # rectified: the deadline clock stops, a recheck reminder is planned
        RX1 = D + 2 * DAY + HOUR
        hq.set_clock(RX1)
        r = S.lifecycle(hq, "rectified", n, actor="contact.xinyuan", evidence="维修压缩机，附照片 photo-1.jpg")
        check_eq(r.get("status"), "stored", "rectified: %r" % r)
        iss = hq.issue(n)
        check_eq(iss["state"], "rectified", "state after issue.rectified")
        check_eq(iss["next_timers"], [RX1 + RECHECK], "only the recheck reminder is scheduled")
        e = S.timeline(iss, "rectified")
        check(len(e) == 1 and "photo-1.jpg" in e[0]["what"] and e[0]["actor"] == "contact.xinyuan",
              "rectified entry with the evidence: %r" % e)
        new = new_records(hq, last)
        check_eq([(x["kind"], x["ts_ms"]) for x in new], [("rectified", RX1)], "records on rectification")
        last = new[-1]["seq"]

        # rechecked fail: reopened, a new deadline from the recheck time, a
        # failed-recheck penalty
        R1 = RX1 + HOUR
        hq.set_clock(R1)
        r = S.lifecycle(hq, "rechecked", n, result="fail", note="冷库仍高于 8℃")
        check_eq(r.get("status"), "stored", "rechecked fail: %r" % r)
        iss = hq.issue(n)
        check_eq((iss["state"], iss["deadline_ms"], iss["overdue"], iss["failed_rechecks"]),
                 ("reopened", R1 + DEADLINE, False, 1), "after a failed recheck")
        check_eq((iss["level"], iss["accountability"]), (3, True), "level and accountability stay")
        check_eq(iss["next_timers"], [R1 + DEADLINE], "the new deadline is scheduled (level 3 is the top)")
        check_eq([e["ts_ms"] for e in S.timeline(iss, "reopened")], [R1], "reopened entry")
        check_eq([(p["amount_cents"], p["term"], p["ts_ms"]) for p in iss["penalties"]][2:],
                 [(1000 * YUAN, "%s:per_failed_recheck %s" % (TERMS, CONTRACT), R1)], "failed-recheck penalty")
        new = new_records(hq, last)
        check_eq(sorted(x["kind"] for x in new), ["penalty", "reopened"], "records on a failed recheck")
        check(all(x["ts_ms"] == R1 for x in new), "record times")
        check_eq(S.recs(new, kind="reopened")[0]["deadline_ms"], R1 + DEADLINE, "reopened record's deadline")
        last = new[-1]["seq"]

        # overdue again at the new deadline
        hq.set_clock(R1 + DEADLINE)
        iss = hq.issue(n)
        check_eq(iss["overdue"], True, "overdue again at the new deadline")
        new = new_records(hq, last)
        check_eq([(x["kind"], x["level"], x["ts_ms"]) for x in new], [("overdue", 3, R1 + DEADLINE)],
                 "records at the new deadline")
        last = new[-1]["seq"]

        # rectified; rechecked pass: closed
        hq.set_clock(R1 + DEADLINE + HOUR)
        check_eq(S.lifecycle(hq, "rectified", n, actor="contact.xinyuan", evidence="更换压缩机").get("status"),
                 "stored", "second rectification")
        C = R1 + DEADLINE + 2 * HOUR
        hq.set_clock(C)
        check_eq(S.lifecycle(hq, "rechecked", n, result="pass", method="on_site").get("status"), "stored",
                 "rechecked pass")
        iss = hq.issue(n)
        check_eq((iss["state"], iss["closed_ms"], iss["next_timers"]), ("closed", C, []), "closed")
        check_eq(S.words(iss), ["opened", "acknowledged", "overdue", "escalated", "escalated", "accountability",
                                "reminder", "penalty", "reminder", "penalty", "rectified", "reopened", "penalty",
                                "overdue", "rectified", "closed"], "the whole timeline")
        ts = [e["ts_ms"] for e in iss["timeline"]]
        check_eq(ts, sorted(ts), "timeline in time order")
        check_eq(iss["penalty_total_cents"], 2000 * YUAN, "penalty total: two overdue days and one failed recheck")
        new = new_records(hq, last)
        check_eq([(x["kind"], x["ts_ms"]) for x in new], [("rectified", C - HOUR), ("closed", C)], "last records")
        ob = hq.outbox()
        check_eq([x["seq"] for x in ob], list(range(1, len(ob) + 1)), "outbox seqs 1..N without gaps")
        st = hq.status()
        check_eq((st["open_issues"], st["stuck_issues"], st["timers"]), (0, 0, 0),
                 "nothing open and nothing scheduled after the close")
        hq.stop()
    finally:
        hq.kill()


RECUR_RULE = """\
rules:
  # A match rule (no sustained condition) with a recurrence window; the
  # shipped chain and penalty terms.
  - id: test.cold-storage-recurring
    on: sensor.reading
    when:
      all:
        - {field: data.kind, eq: cold_storage_temp}
        - {field: data.value, gt: 8}
    key: "{{data.sensor}}"
    recurrence: {within: 30d}
    issue:
      title: "冷库温度超标：{{site.name}} {{data.sensor}} {{data.value}}℃"
      domain: catering
      category: food-safety
      severity: high
      deadline: 4h
      recheck: {after: 2h}
      chain: urgent
      penalties: catering-contract
"""


def close_via_recheck(hq, n, fail=False):
    if fail:
        check_eq(S.lifecycle(hq, "rectified", n, actor="contact.xinyuan", evidence="e1").get("status"), "stored",
                 "rectified")
        check_eq(S.lifecycle(hq, "rechecked", n, result="fail").get("status"), "stored", "rechecked fail")
    check_eq(S.lifecycle(hq, "rectified", n, actor="contact.xinyuan", evidence="e2").get("status"), "stored",
             "rectified")
    check_eq(S.lifecycle(hq, "rechecked", n, result="pass").get("status"), "stored", "rechecked pass")
    check_eq(hq.issue(n)["state"], "closed", "closed")


def test_recurrence():
    if re.search(r"^\s*recurrence:", shipped_rule_text(), re.M):
        log("note: the shipped cold-storage rule has a recurrence window now; this test still uses its own rule")
    rules = S.rules_dir({"catering/recur.yaml": RECUR_RULE}, base=True)
    hq = S.Hq(rules=rules)
    try:
        hq.start_at()
        S.cold(hq, 9.5)
        a = S.only_issue(hq)
        A = a["number"]
        check_eq((a["level"], a["accountability"], a["recurrence_of"], a["penalties"]), (1, False, None, []),
                 "the first issue")
        hq.advance(10 * MIN)
        S.cold(hq, 9.8)
        check_eq(hq.issue(A)["occurrences"], 2, "a second match attaches to the open issue")
        hq.advance(HOUR)
        close_via_recheck(hq, A, fail=True)
        C1 = hq.issue(A)["closed_ms"]
        check_eq([p["term"].split(" ")[0] for p in hq.issue(A)["penalties"]], ["%s:per_failed_recheck" % TERMS],
                 "the first issue's penalties")
        last = hq.outbox()[-1]["seq"]

        # the same problem 10 days after the close: recurrence
        R = C1 + 10 * DAY
        hq.set_clock(R)
        S.cold(hq, 10.5)
        iss = [i for i in hq.issues() if i["state"] != "closed"]
        check_eq(len(iss), 1, "one open issue after the recurrence")
        b = hq.issue(iss[0]["number"])
        B = b["number"]
        check(B != A, "a new issue number")
        check_eq((b["level"], b["accountability"], b["recurrence_of"], b["opened_ms"], b["deadline_ms"]),
                 (2, True, A, R, R + DEADLINE), "the recurring issue")
        check_eq([(p["amount_cents"], p["term"], p["ts_ms"]) for p in b["penalties"]],
                 [(2000 * YUAN, "%s:per_recurrence %s" % (TERMS, CONTRACT), R)], "per_recurrence penalty")
        check(A in b["penalties"][0]["reason"], "the penalty's reason names the earlier issue: %r" % b["penalties"])
        w = S.words(b)
        for word in ("opened", "recurrence", "accountability", "penalty"):
            check_eq(w.count(word), 1, "%s entries on the recurring issue's timeline (%r)" % (word, w))
        check(A in S.timeline(b, "recurrence")[0]["what"], "the recurrence entry names %s" % A)
        new = new_records(hq, last)
        check_eq(sorted(x["kind"] for x in new), ["accountability", "opened", "penalty"], "records of the recurrence")
        check(all(x["issue"] == B and x["ts_ms"] == R and x["level"] == 2 for x in new), "records: %r" % new)
        check_record(S.recs(new, kind="opened")[0], "opened", B, 2, L2_ROLES, R, "opened record at level 2")
        # it already starts at level 2: only the level-3 step is scheduled
        check_eq(sorted(b["next_timers"]), [R + DEADLINE, R + DEADLINE + L3_AFTER], "B's plan")
        hq.set_clock(R + DEADLINE + L2_AFTER)
        check_eq(S.timeline(hq.issue(B), "escalated"), [], "no escalation to level 2 (already there)")
        hq.set_clock(R + DEADLINE + L3_AFTER)
        b = hq.issue(B)
        check_eq((b["level"], len(S.timeline(b, "escalated")), len(S.timeline(b, "accountability"))), (3, 1, 1),
                 "level 3 at its time; accountability was already on")
        close_via_recheck(hq, B)
        C2 = hq.issue(B)["closed_ms"]

        # more than 30 days after the last close: a plain new issue
        hq.set_clock(C2 + 31 * DAY)
        S.cold(hq, 9.9)
        c = [i for i in hq.issues() if i["state"] != "closed"]
        check_eq(len(c), 1, "one open issue")
        c = c[0]
        check_eq((c["level"], c["accountability"], c["recurrence_of"], c["penalties"]), (1, False, None, []),
                 "an issue 31 days after the last close is no recurrence")
        hq.stop()
    finally:
        hq.kill()


CAP_FILES = {
    "contractors.yaml": """\
penalty_terms:
  test-terms:
    contract: 测试合同第三条
    per_overdue_day: 450.25
    overdue_cap: 1000
    per_failed_recheck: 1000
    failed_recheck_cap: 2500
    opinion: 10000
    total_cap: 4000
contractors:
  - {id: test-co, name: 测试公司, penalty_terms: test-terms}
sites:
  - {id: canteen-9, name: 第九食堂, domain: catering, contractor: test-co}
""",
    "catering/caps.yaml": """\
rules:
  - id: test.caps
    on: complaint.submitted
    when: {field: data.category, eq: pest}
    key: "{{data.site}}"
    issue:
      title: "{{site.name}} 发现虫害"
      domain: catering
      severity: high
      deadline: 48h
      recheck: {after: 24h}
      chain: standard
""",
}


def test_penalty_caps():
    files = dict(CAP_FILES)
    with open(os.path.join(S.ARGS.rules, "org.yaml"), encoding="utf-8") as f:
        files["org.yaml"] = f.read()
    with open(os.path.join(S.ARGS.rules, "escalation.yaml"), encoding="utf-8") as f:
        files["escalation.yaml"] = f.read()
    hq = S.Hq(rules=S.rules_dir(files))
    try:
        hq.start_at()
        hq.send_ok("complaint.submitted", {"domain": "catering", "site": "canteen-9", "category": "pest",
                                           "text": "后厨有蟑螂"})
        iss = S.only_issue(hq)
        n, D = iss["number"], iss["deadline_ms"]
        check_eq(iss["contractor"], "test-co", "contractor from the site")
        term = lambda kind: "test-terms:%s 测试合同第三条" % kind  # noqa: E731
        # overdue days: 450.25 yuan each, cap 1000 yuan: 45025, 45025, 9950, then nothing
        for day in range(1, 6):
            hq.set_clock(D + day * DAY)
        iss = hq.issue(n)
        check_eq([(p["amount_cents"], p["term"]) for p in iss["penalties"]],
                 [(45025, term("per_overdue_day"))] * 2 + [(9950, term("per_overdue_day"))],
                 "overdue-day penalties up to the cap")
        check_eq(len(S.timeline(iss, "reminder")), 5, "a reminder every overdue day")
        ob = hq.outbox()
        check_eq(len(S.recs(ob, kind="reminder")), 5, "reminder records")
        check_eq(len(S.recs(ob, kind="penalty")), 3, "penalty records only for assessed amounts")
        # failed rechecks: 1000 yuan each, cap 2500: 100000, 100000, 50000, then nothing
        for i in range(4):
            check_eq(S.lifecycle(hq, "rectified", n, actor="contact.x", evidence="e%d" % i).get("status"), "stored",
                     "rectified")
            check_eq(S.lifecycle(hq, "rechecked", n, result="fail").get("status"), "stored", "rechecked fail")
        iss = hq.issue(n)
        check_eq(iss["failed_rechecks"], 4, "failed rechecks")
        check_eq([p["amount_cents"] for p in iss["penalties"] if "per_failed_recheck" in p["term"]],
                 [100000, 100000, 50000], "failed-recheck penalties up to the cap")
        check_eq(iss["penalty_total_cents"], 100000 + 250000, "total so far")
        # the opinion penalty (10000 yuan, no own cap) is cut to the total cap of 4000 yuan
        before = len(S.recs(hq.outbox(), kind="penalty"))
        check_eq(S.lifecycle(hq, "opinion", n, actor="xu.office", platform="weibo").get("status"), "stored",
                 "opinion")
        iss = hq.issue(n)
        check_eq([(p["amount_cents"], p["term"]) for p in iss["penalties"]][-1], (50000, term("opinion")),
                 "opinion penalty cut to the total cap")
        check_eq(iss["penalty_total_cents"], 4000 * YUAN, "total at the total cap")
        pen = S.recs(hq.outbox(), kind="penalty")
        check_eq(len(pen), before + 1, "one penalty record for the opinion")
        check("500.00" in pen[-1]["text"], "the record gives the assessed amount: %r" % pen[-1]["text"])
        # at the total cap nothing more is assessed
        check_eq(S.lifecycle(hq, "rectified", n, actor="contact.x", evidence="e9").get("status"), "stored", "rect")
        check_eq(S.lifecycle(hq, "rechecked", n, result="fail").get("status"), "stored", "fail at the cap")
        iss = hq.issue(n)
        check_eq((iss["penalty_total_cents"], len(iss["penalties"])), (4000 * YUAN, 7), "nothing past the total cap")
        check_eq(len(S.recs(hq.outbox(), kind="penalty")), before + 1, "no penalty record past the cap")
        hq.stop()
    finally:
        hq.kill()


REMIND_RULE = """\
rules:
  - id: t.remind
    on: complaint.submitted
    when: {field: data.category, eq: pest}
    key: "{{data.site}}"
    issue:
      title: "虫害 {{data.site}}"
      domain: catering
      deadline: 24h
      recheck: {after: 6h}
      ack_within: 2h
      chain: standard
"""


def test_reminders_and_cancelled_timers():
    """ack_within: a reminder to the unacknowledged issue only; a
    rectification cancels the deadline and the escalation steps and plans
    recheck reminders, repeated each recheck period; a failed recheck
    cancels those and plans a new deadline and the chain from it; nothing
    fires at the cancelled times.  (Chain standard: level 2 at deadline +
    24h, level 3 at + 72h.)"""
    hq = S.Hq(rules=S.rules_dir({"catering/remind.yaml": REMIND_RULE}, base=True))
    try:
        hq.start_at()
        for site in ("canteen-1", "canteen-2"):
            hq.send_ok("complaint.submitted", {"domain": "catering", "site": site, "category": "pest", "text": "老鼠"})
        by_site = {i["site"]: i for i in hq.issues()}
        X, Y = by_site["canteen-1"]["number"], by_site["canteen-2"]["number"]
        D = T0 + 24 * HOUR
        check_eq(sorted(hq.issue(X)["next_timers"]), [T0 + 2 * HOUR, D, D + DAY, D + 3 * DAY], "X's plan")
        hq.set_clock(T0 + HOUR)
        check_eq(S.lifecycle(hq, "acknowledged", X, actor="contact.xinyuan").get("status"), "stored", "ack X")
        check_eq(sorted(hq.issue(X)["next_timers"]), [D, D + DAY, D + 3 * DAY], "the ack reminder is cancelled")
        hq.set_clock(T0 + 2 * HOUR)
        rem = S.recs(hq.outbox(), kind="reminder")
        check_eq([(r["issue"], r["ts_ms"], r["level"]) for r in rem], [(Y, T0 + 2 * HOUR, 1)],
                 "an acknowledgement reminder for Y only")
        check_eq(len(S.timeline(hq.issue(Y), "reminder")), 1, "Y's reminder entry")
        # rectified: only recheck reminders are planned
        RX = T0 + 3 * HOUR
        hq.set_clock(RX)
        check_eq(S.lifecycle(hq, "rectified", X, actor="contact.xinyuan", evidence="灭鼠").get("status"), "stored",
                 "rectify X")
        check_eq(hq.issue(X)["next_timers"], [RX + 6 * HOUR], "X's plan after the rectification")
        hq.set_clock(RX + 6 * HOUR)
        hq.set_clock(RX + 12 * HOUR)
        rem = S.recs(hq.outbox(), X, "reminder")
        check_eq([(r["ts_ms"], r["roles"]) for r in rem], [(RX + 6 * HOUR, ["section_head", "supervisor"]),
                                                          (RX + 12 * HOUR, ["section_head", "supervisor"])],
                 "recheck reminders every recheck period")
        # rechecked fail: a new deadline and the chain from it
        R = RX + 13 * HOUR
        hq.set_clock(R)
        check_eq(S.lifecycle(hq, "rechecked", X, result="fail").get("status"), "stored", "recheck fail")
        x = hq.issue(X)
        check_eq((x["state"], x["deadline_ms"]), ("reopened", R + 24 * HOUR), "reopened")
        check_eq(sorted(x["next_timers"]), [R + 24 * HOUR, R + 48 * HOUR, R + 96 * HOUR],
                 "the new deadline and the chain from it; no recheck reminder")
        n_before = len([r for r in hq.outbox() if r["issue"] == X])
        hq.set_clock(D + 1)             # past X's cancelled deadline (its new one is R + 24h, later)
        x, y = hq.issue(X), hq.issue(Y)
        check_eq((x["overdue"], x["level"]), (False, 1), "nothing fired at X's cancelled deadline")
        check_eq(len([r for r in hq.outbox() if r["issue"] == X]), n_before, "no record for X")
        check_eq((y["overdue"], y["level"]), (True, 1), "Y (untouched) is overdue")
        hq.set_clock(R + 24 * HOUR)
        check_eq(hq.issue(X)["overdue"], True, "X overdue at the new deadline")
        hq.set_clock(D + DAY + 1)       # past X's cancelled level-2 step (the new one is R + 48h)
        x, y = hq.issue(X), hq.issue(Y)
        check_eq(x["level"], 1, "nothing fired at X's cancelled level-2 time")
        check_eq(y["level"], 2, "Y (untouched) at level 2")
        hq.set_clock(R + 48 * HOUR)
        x = hq.issue(X)
        check_eq((x["level"], [e["ts_ms"] for e in S.timeline(x, "escalated")]), (2, [R + 48 * HOUR]),
                 "X's level 2 from the new deadline")
        hq.stop()
    finally:
        hq.kill()


if __name__ == "__main__":
    S.parse_args()
    S.main([test_sustained_threshold, test_escalation_loop, test_recurrence, test_penalty_caps,
            test_reminders_and_cancelled_timers])
