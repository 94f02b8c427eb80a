#!/usr/bin/python3
"""Scenario: leadership decisions and instructions on the shipped rules (R2.1).

1. Monday 09:00 the president's office decides a cheap-dish window in
   canteen-2 (a decision task for the canteen's contractor); no report within
   7 days → an issue; the first report closes it by the data.
2. Another task is reported delayed → an issue with 3 days for a catch-up
   plan; none comes: overdue, level 2; the plan is filed and accepted.
3. A third is reported blocked → a high issue for the section head.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402


def test_decisions():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        hq.at(9 * HOUR)
        hq.send_ok("decision.task", {"task": "DB-RD-007", "title": "第二食堂二楼增设平价窗口，2元以下菜品不少于20%",
                                     "due_ms": t0 + 60 * DAY, "kind": "decision", "origin": "president_office",
                                     "origin_ref": "校长办公会纪要〔2026〕5号", "concerns": "catering",
                                     "site": "canteen-2", "contractor": "xinyuan-catering", "priority": "important",
                                     "report_every_days": 7}, source="oa")
        hq.send_ok("decision.task", {"task": "DB-RD-008", "title": "学生公寓7号楼增设洗衣房", "due_ms": t0 + 30 * DAY,
                                     "concerns": "dormitory", "site": "dorm-7", "contractor": "anju-property"},
                   source="oa")
        hq.at(10 * HOUR + 2 * DAY)
        hq.send_ok("decision.progress", {"task": "DB-RD-008", "status": "delayed", "actor": "anju-pm", "percent": 20,
                                         "site": "dorm-7", "contractor": "anju-property",
                                         "text": "洗衣设备供货延迟，预计推迟两周"}, source="oa")
        d = hq.one("decisions.task-delayed")
        nd = d["number"]
        check_eq((d["domain"], d["contractor"], d["deadline_ms"]), ("decisions", "anju-property", t0 + 10 * HOUR + 5 * DAY),
                 "delayed-task issue")
        rd.check_outbox(hq, nd, "opened", roles_include=["section_head", "supervisor", "contractor_contact"])
        check("洗衣设备供货延迟" in hq.notice(nd), "the report in the notice")

        hq.at(11 * HOUR + 3 * DAY)
        hq.send_ok("decision.progress", {"task": "DB-RD-009", "status": "blocked", "actor": "sec-dorm",
                                         "text": "需学生处配合调整宿舍分配"}, source="oa")
        b = hq.one("decisions.task-blocked")
        check_eq(b["severity"], "high", "blocked task severity")

        hq.at(10 * HOUR + 5 * DAY)
        check(hq.issue(nd)["overdue"], "no catch-up plan in 3 days: overdue")
        hq.at(10 * HOUR + 6 * DAY)
        check_eq(hq.issue(nd)["level"], 2, "level 2 a day after the deadline")
        rd.check_outbox(hq, nd, "escalated", roles_include=["office_director"])
        hq.rectify(nd, "contact.anju", "赶工计划：改用现货设备，12月底前开放")
        hq.recheck(nd, "xu.office", True, "处务会审定赶工计划")
        check_eq(hq.issue(nd)["state"], "closed", "closed")

        hq.at(9 * HOUR + 7 * DAY)
        r = hq.one("decisions.task-no-report", "DB-RD-007")
        check_eq((r["site"], r["contractor"]), ("canteen-2", "xinyuan-catering"), "no-report issue")
        check(not hq.of_rule("decisions.task-no-report", "DB-RD-008"), "DB-RD-008 reported (delayed)")
        hq.at(15 * HOUR + 7 * DAY)
        hq.send_ok("decision.progress", {"task": "DB-RD-007", "status": "milestone_done", "milestone": "plan",
                                         "percent": 20, "actor": "xinyuan-pm", "text": "实施方案已提交"}, source="oa")
        hq.advance(MIN)
        check_eq(hq.issue(r["number"])["state"], "closed", "the report closes the no-report issue")
        log(nd, b["number"], r["number"], "walked")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_decisions])
