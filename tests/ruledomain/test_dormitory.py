#!/usr/bin/python3
"""Scenario: dormitory services on the shipped rules (R2.3, R7).

1. Monday evening bathing hours: dorm-7's shower water stays lukewarm from
   18:00 → at 19:00 an issue against the hot-water firm (not the dorm
   manager), at 20:00 an occurrence; the other buildings, hot, have none;
   the firm rectifies and the supervisor's recheck closes it.
2. Tuesday 21:30 an emergency repair (burst pipe) → not completed within 24
   hours: an issue on the urgent chain (the dorm centre head); its notice; the
   completion of the ticket closes it by the data.
3. Thursday 10:00 a drinking-water lab result of 240 CFU/mL → a critical
   issue; acknowledged, rectified, the recheck fails (penalty under the
   dorm-services contract, a new deadline), rectified again, passed: closed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402

SENSORS = {"dorm-1": "hw-101", "dorm-3": "hw-301", "dorm-7": "hw-701", "dorm-8": "hw-801"}


def hot_water(hq, site, value):
    hq.send_ok("sensor.reading", {"sensor": SENSORS[site], "kind": "hot_water_temp", "value": value, "unit": "C",
                                  "site": site, "location": "3F淋浴间"}, source="hw-gw")


def test_dormitory_week():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        # ---- 1. bathing hours
        def evening_hour(hh, cold):
            hq.at(hh * HOUR + 10 * MIN)
            for site in SENSORS:
                hot_water(hq, site, cold if site == "dorm-7" else 45.0)
            hq.at(hh * HOUR + 40 * MIN)
            hot_water(hq, "dorm-7", cold + 1)

        evening_hour(18, 37.5)
        hq.at(19 * HOUR)
        iss = hq.one("dormitory.hot-water-bathing-hours", "dorm-7")
        n = iss["number"]
        check_eq((iss["contractor"], iss["site"], iss["category"]), ("nuanquan-hotwater", "dorm-7", "hot-water"),
                 "hot-water issue")
        check_eq(iss["opened_ms"], t0 + 19 * HOUR, "opened at the end of the 18:00-19:00 slot")
        for other in ("dorm-1", "dorm-3", "dorm-8"):
            check(not hq.of_rule("dormitory.hot-water-bathing-hours", other), "%s had hot water" % other)
        evening_hour(19, 38.0)
        hq.at(20 * HOUR)
        check_eq(hq.issue(n)["occurrences"], 2, "the 19:00-20:00 slot missed as well")
        rd.check_outbox(hq, n, "opened", roles_include=["section_head", "supervisor", "contractor_contact"])
        check("暖泉热水服务有限公司" in hq.notice(n), "the notice names the hot-water firm")
        hq.at(20 * HOUR + 30 * MIN)
        hq.walk_to_closed(n, "contact.nuanquan", "lin.sup", "更换7号楼热水循环泵，出水温度恢复45℃")

        # ---- 2. emergency repair not completed in 24 h
        req = t0 + DAY + 21 * HOUR + 30 * MIN
        hq.at(req - t0)
        hq.send_ok("repair.requested", {"ticket": "BX-RD-0042", "domain": "dormitory", "site": "dorm-3",
                                        "category": "plumbing", "subcategory": "pipe", "urgency": "emergency",
                                        "room": "512", "text": "卫生间水管爆裂漏水", "channel": "phone"},
                   source="repair-platform")
        hq.at(req - t0 + DAY - MIN)
        check(not hq.of_rule("dormitory.emergency-repair-late"), "no issue before 24 hours")
        hq.at(req - t0 + DAY)
        r = hq.one("dormitory.emergency-repair-late")
        nr = r["number"]
        check_eq((r["severity"], r["contractor"], r["key"]), ("high", "anju-property", "BX-RD-0042"), "repair issue")
        rd.check_outbox(hq, nr, "opened", roles_include=["centre_head", "section_head"])
        notice = hq.notice(nr)
        check("BX-RD-0042" in notice and "安居物业服务有限公司" in notice, "repair notice:\n" + notice)
        hq.at(req - t0 + DAY + 2 * HOUR)
        hq.send_ok("repair.completed", {"ticket": "BX-RD-0042", "domain": "dormitory", "site": "dorm-3",
                                        "result": "fixed", "room": "512", "worker": "w-0317",
                                        "work_done": "更换三通及软管"}, source="repair-platform")
        hq.advance(MIN)
        r = hq.issue(nr)
        check_eq(r["state"], "closed", "closed by the completion")
        rd.check_timeline(r, ["opened", "rectified", "closed"])

        # ---- 3. drinking water lab result: a failed recheck
        hq.at(3 * DAY + 10 * HOUR)
        hq.send_ok("sensor.reading", {"sensor": "dw-801", "kind": "drinking_water_bacteria", "value": 240,
                                      "unit": "CFU/mL", "site": "dorm-8", "location": "1F饮水间"}, source="lab")
        w = hq.one("dormitory.drinking-water-bacteria")
        nw = w["number"]
        check_eq((w["severity"], w["contractor"]), ("critical", "qingquan-water"), "bacteria issue")
        rd.check_outbox(hq, nw, "opened", roles_include=["office_director", "centre_head"])
        hq.ack(nw, "contact.qingquan")
        hq.at(3 * DAY + 12 * HOUR)
        hq.rectify(nw, "contact.qingquan", "已停用并清洗消毒，更换全部滤芯")
        hq.at(3 * DAY + 13 * HOUR)
        hq.recheck(nw, "lin.sup", False, "复检菌落总数 150 CFU/mL，仍不合格")
        w = hq.issue(nw)
        check_eq(w["state"], "reopened", "after the failed recheck")
        check_eq(w["penalty_total_cents"], 30000, "per_failed_recheck of the dorm-services contract (300 yuan)")
        check_eq(w["deadline_ms"], t0 + 3 * DAY + 17 * HOUR, "a new 4-hour deadline from the failed recheck")
        hq.at(3 * DAY + 16 * HOUR)
        hq.rectify(nw, "contact.qingquan", "二次消毒，复检 20 CFU/mL")
        hq.recheck(nw, "lin.sup", True, "送检合格")
        w = hq.issue(nw)
        check_eq(w["state"], "closed", "closed")
        rd.check_timeline(w, ["opened", "acknowledged", "rectified", "reopened", "penalty", "rectified", "closed"])
        log(n, nr, nw, "walked")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_dormitory_week])
