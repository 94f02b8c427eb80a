#!/usr/bin/python3
"""Scenario: small maintenance works on the shipped rules (R2.8).

1. Monday 10:00 a minor repair in the office building, nobody accepts it and
   it is not done in 24 hours (minor repairs: the same day, issue 20) → a
   response issue and a minor-repair issue against the maintenance firm;
   the completion of the ticket closes both by the data.
2. A spot check of finished roof works with a failed item → an issue with a
   week to rework; never reworked: overdue, level 2 after a day, level 3
   with accountability after three, and a penalty for each overdue day.
3. A renovation project (XS-...) reports a milestone delayed → an issue; its
   notice; the catch-up plan is rectification and a recheck closes it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402


def test_maintenance():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        # ---- 1. minor repair late
        hq.at(10 * HOUR)
        hq.send_ok("repair.requested", {"ticket": "WX-RD-M-0003", "domain": "maintenance", "site": "admin-building",
                                        "category": "carpentry", "urgency": "normal", "work_type": "minor",
                                        "room": "305", "text": "办公室门把手脱落", "channel": "online"},
                   source="repair-platform")
        # ---- 2. the spot check, the same morning
        hq.send_ok("inspection.submitted", {"kind": "spot", "domain": "maintenance", "site": "teaching-1",
                                            "inspector": "hq-mt-01", "checklist": "repair_quality",
                                            "items": [{"code": "mt.waterproofing", "result": "fail",
                                                       "note": "屋面防水层起鼓"}]})
        w = hq.one("maintenance.works-inspection-failed")
        nw = w["number"]
        check_eq((w["contractor"], w["deadline_ms"]), ("jianxiu-maintenance", t0 + 10 * HOUR + 7 * DAY), "works issue")

        hq.at(10 * HOUR + DAY)
        m = hq.one("maintenance.minor-repair-late")
        check_eq((m["contractor"], m["key"], m["site"]), ("jianxiu-maintenance", "WX-RD-M-0003", "admin-building"),
                 "minor-repair-late issue")
        rd.check_outbox(hq, m["number"], "opened", roles_include=["section_head", "supervisor"])
        r = hq.one("maintenance.repair-response-late")
        check_eq((r["contractor"], r["key"]), ("jianxiu-maintenance", "WX-RD-M-0003"), "response issue")
        hq.at(14 * HOUR + DAY)
        hq.send_ok("repair.completed", {"ticket": "WX-RD-M-0003", "domain": "maintenance", "site": "admin-building",
                                        "result": "fixed", "rating": 4, "worker": "w-0211", "work_type": "minor"},
                   source="repair-platform")
        hq.advance(MIN)
        check_eq(hq.issue(m["number"])["state"], "closed", "closed by the completion")
        check_eq(hq.issue(r["number"])["state"], "closed", "response issue closed by the completion")

        # ---- 3. renovation milestone delayed
        hq.at(15 * HOUR + 3 * DAY)
        hq.send_ok("decision.progress", {"task": "XS-RD-012", "status": "delayed", "actor": "jianxiu-pm",
                                         "milestone": "completion", "percent": 60, "contractor": "jianxiu-maintenance",
                                         "site": "teaching-1", "text": "防水材料到货延迟，完工节点预计推迟10天"},
                   source="oa")
        p = hq.one("maintenance.project-milestone-at-risk")
        check("XS-RD-012" in hq.notice(p["number"]), "project notice")
        hq.at(16 * HOUR + 4 * DAY)
        hq.walk_to_closed(p["number"], "contact.jianxiu", "he.maintenance", "赶工计划：增加一个施工班组，完工节点不变")

        # ---- 2b. the rework never came
        hq.at(10 * HOUR + 7 * DAY)
        check(hq.issue(nw)["overdue"], "overdue after a week")
        hq.at(10 * HOUR + 8 * DAY)
        w = hq.issue(nw)
        check_eq(w["level"], 2, "level 2 a day later")
        hq.at(10 * HOUR + 10 * DAY)
        w = hq.issue(nw)
        check(w["level"] == 3 and w["accountability"], "level 3 with accountability three days after the deadline")
        check_eq(w["penalty_total_cents"], 60000, "three overdue days x 200 yuan (maintenance contract)")
        rd.check_outbox(hq, nw, "escalated", roles_include=["vice_president"])
        log(m["number"], p["number"], nw, "walked")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_maintenance])
