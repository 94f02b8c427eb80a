#!/usr/bin/python3
"""Scenario: catering, the plan's loop on the shipped rules (R2.2, R7, R9).

One houqind (manual clock) on the shipped rules directory, a simulated week
from Monday 00:00 (rd.py: T0):

1. 06:20 a morning check with a cook kept on duty → a critical issue on the
   critical chain (the office director told at once), its rectification
   notice (问题整改通知单), acknowledgement, rectification, recheck: closed.
2. 12:05 a dish sold above its approved price → an issue; never rectified:
   overdue, level 2 (office leaders), daily penalties, level 3 (the
   vice-president) with accountability; then a failed recheck (penalty) and
   a passed one.
3. a 90 g food sample → an issue, closed; a short sample again two days later
   at the same canteen → a recurrence: level 2, accountability and the
   recurrence penalty of the catering contract.
Alerts are checked in the outbox (houqinctl outbox).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402


def test_catering_week():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        # ---- 1. 晨检: symptomatic cook kept on duty
        hq.at(6 * HOUR + 20 * MIN)
        hq.send_ok("catering.health_check", {
            "site": "canteen-1", "shift": "breakfast", "roster": 24, "checked": 24, "abnormal": 1, "removed": 0,
            "kept_on_duty": 1, "checker": "c1-fs-01", "findings": [{"symptom": "fever", "removed_from_post": False,
                                                                     "temperature_c": 38.2}]})
        a = hq.one("catering.symptomatic-staff-on-duty")
        n = a["number"]
        check_eq((a["severity"], a["contractor"], a["site"], a["level"]), ("critical", "xinyuan-catering", "canteen-1", 1),
                 "symptomatic issue")
        check_eq(a["deadline_ms"], t0 + 7 * HOUR + 20 * MIN, "deadline one hour later")
        rd.check_outbox(hq, n, "opened", roles_include=["office_director", "deputy_director", "centre_head",
                                                        "contractor_contact"])
        notice = hq.notice(n)
        for s in ("问题整改通知单", n, "鑫源餐饮管理有限公司", "第一食堂", "调离", "餐饮服务合同第十二条"):
            check(s in notice, "notice of %s lacks %r:\n%s" % (n, s, notice))
        log("notice of", n, "OK;", a["title"])
        hq.at(6 * HOUR + 30 * MIN)
        hq.ack(n, "contact.xinyuan")
        hq.at(6 * HOUR + 45 * MIN)
        hq.rectify(n, "contact.xinyuan", "发热人员已调离并就医，已排查其经手食品")
        rd.check_outbox(hq, n, "rectified", roles_include=["section_head", "supervisor"])
        hq.at(7 * HOUR + 5 * MIN)
        hq.recheck(n, "lin.sup", True, "现场核实人员已离岗")
        a = hq.issue(n)
        check_eq(a["state"], "closed", "state after the recheck passed")
        check(not a["overdue"], "rectified before the deadline: not overdue")
        rd.check_timeline(a, ["opened", "acknowledged", "rectified", "closed"])
        rd.check_outbox(hq, n, "closed")

        # ---- 2. a dish above its approved price, never rectified
        hq.at(12 * HOUR + 5 * MIN)
        hq.send_ok("mealcard.transaction", {
            "txn": "T-C2-0001", "kind": "sale", "site": "canteen-2", "terminal": "pos-c2-w01", "window": "c2-w01",
            "amount_fen": 1350, "meal_period": "lunch",
            "items": [{"code": "c2-nr-001", "name": "土豆牛肉", "unit_price_fen": 1300},
                      {"code": "c2-st-001", "name": "米饭", "unit_price_fen": 50}]})
        b = hq.one("catering.price-above-approved")
        nb = b["number"]
        check_eq(b["key"], "canteen-2:c2-w01", "price issue key")
        deadline = t0 + 12 * HOUR + 5 * MIN + DAY
        check_eq(b["deadline_ms"], deadline, "price issue deadline (24 h)")
        hq.at(deadline - t0)
        b = hq.issue(nb)
        check(b["overdue"] and b["level"] == 1, "overdue at the deadline, still level 1: %r" % b["level"])
        rd.check_outbox(hq, nb, "overdue")
        hq.at(deadline - t0 + DAY)
        b = hq.issue(nb)
        check_eq(b["level"], 2, "level 24 h after the deadline")
        rd.check_outbox(hq, nb, "escalated", roles_include=["office_director", "deputy_director"])
        check_eq(b["penalty_total_cents"], 50000, "one overdue day under the catering contract (500 yuan)")
        hq.at(deadline - t0 + 3 * DAY)
        b = hq.issue(nb)
        check(b["level"] == 3 and b["accountability"], "level 3 with accountability 72 h after the deadline")
        rd.check_outbox(hq, nb, "escalated", roles_include=["vice_president"])
        rd.check_outbox(hq, nb, "accountability")
        check_eq(b["penalty_total_cents"], 150000, "three overdue days (3 x 500 yuan)")
        # the contractor reports a fix; the supervisor finds the old price still on the board
        hq.rectify(nb, "contact.xinyuan", "已按审定价格调整收费并公示")
        hq.recheck(nb, "lin.sup", False, "菜单板仍标13元")
        b = hq.issue(nb)
        check_eq(b["state"], "reopened", "state after a failed recheck")
        check_eq(b["penalty_total_cents"], 250000, "a failed recheck adds 1000 yuan")
        rd.check_outbox(hq, nb, "reopened")
        # overdue days (reminders of days the clock skipped over come as one) and the failed recheck
        rd.check_outbox(hq, nb, "penalty", roles_include=["office_director", "contractor_contact"], at_least=3)
        hq.rectify(nb, "contact.xinyuan", "菜单板已更换，多收款项已退回就餐卡")
        hq.recheck(nb, "lin.sup", True)
        b = hq.issue(nb)
        check_eq(b["state"], "closed", "closed after the second recheck")
        rd.check_timeline(b, ["opened", "overdue", "escalated", "escalated", "accountability", "rectified",
                              "reopened", "rectified", "closed"])
        log(nb, "closed with", b["penalty_total_cents"] / 100, "yuan of penalties")

        # ---- 3. short samples at canteen-3: a recurrence
        day = hq.now() - (hq.now() - t0) % DAY + DAY  # midnight of the next simulated day
        hq.advance(day + 11 * HOUR + 40 * MIN - hq.now())
        hq.send_ok("catering.sample_retention", {"site": "canteen-3", "dish": "凉拌黄瓜", "meal": "lunch",
                                                 "stage": "retained", "weight_g": 90, "retained_ms": hq.now(),
                                                 "category": "cold", "sampler": "c3-staff-02"})
        c = hq.one("catering.sample-underweight")
        check_eq((c["contractor"], c["level"], c["accountability"]), ("hexiang-catering", 1, False), "first short sample")
        hq.walk_to_closed(c["number"], "contact.hexiang", "lin.sup", "已补足留样，对留样人员培训")
        hq.advance(2 * DAY)
        hq.send_ok("catering.sample_retention", {"site": "canteen-3", "dish": "拍黄瓜", "meal": "dinner",
                                                 "stage": "retained", "weight_g": 100, "retained_ms": hq.now()})
        got = hq.of_rule("catering.sample-underweight")
        check_eq(len(got), 2, "short-sample issues")
        d = hq.issue(got[1]["number"])
        check_eq(d["recurrence_of"], c["number"], "the second is a recurrence of the first")
        check(d["level"] == 2 and d["accountability"], "a recurrence starts at level 2 with accountability")
        check_eq(d["penalty_total_cents"], 200000, "the catering contract's recurrence penalty (2000 yuan)")
        rd.check_timeline(d, ["opened", "recurrence", "accountability", "penalty"])
        rd.check_outbox(hq, d["number"], "accountability", roles_include=["office_director"])
        rd.check_outbox(hq, d["number"], "penalty")
        log(d["number"], "recurrence of", c["number"], "with accountability")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_catering_week])
