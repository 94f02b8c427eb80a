#!/usr/bin/python3
"""Scenario: campus transport on the shipped rules (R2.6, R6, R9).

1. Monday 07:40 shuttle bus-02 drives 32-34 km/h on the main road (limit
   25) → a speeding issue against the operator, its notice, the loop to
   closed; the next Monday it speeds again → a recurrence: accountability and
   the transport contract's recurrence penalty.
2. The weekly vehicle-safety key inspection: three vehicles inspected on
   Wednesday, bus-03 not → at the week's deadline an issue for bus-03
   (Friday 17:00; Wednesday 17:00 in an opening season, 开学季, of the
   calendar, which T0 may fall in); overdue a day later, level 2 a day
   after that.  Each is checked at its own time: the manual clock fires
   every timer at its due time (issue 18), so the issue is stamped with
   the slot's deadline, not with the end of the clock's jump.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402


def telemetry(hq, vehicle, speed, zone="main_road"):
    hq.send_ok("vehicle.telemetry", {"vehicle": vehicle, "speed_kmh": speed, "lat": 32.0123, "lon": 120.8642,
                                     "site": "main-campus", "zone": zone, "plate": "苏F·D1202",
                                     "vehicle_type": "shuttle_bus", "route": "line-2", "driver": "drv-012"},
               source="gps-platform")


def safety_inspection(hq, vehicle):
    hq.send_ok("inspection.submitted", {"kind": "key", "domain": "transport", "site": "main-campus",
                                        "vehicle": vehicle, "inspector": "hq-tr-01", "checklist": "vehicle_safety",
                                        "items": [{"code": "veh.brakes", "result": "pass"},
                                                  {"code": "veh.tyres", "result": "pass"}]})


def test_transport_fortnight():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        # ---- 1. speeding
        hq.at(7 * HOUR + 40 * MIN)
        telemetry(hq, "bus-02", 32.0)
        hq.advance(20 * 1000)
        telemetry(hq, "bus-02", 33.5)
        s = hq.one("transport.speeding")
        n = s["number"]
        check_eq((s["site"], s["contractor"], s["severity"]), ("bus-02", "qingyun-transport", "high"), "speeding issue")
        rd.check_outbox(hq, n, "opened", roles_include=["section_head", "supervisor", "contractor_contact"])
        notice = hq.notice(n)
        for x in ("青云客运服务有限公司", "校园巴士2号车", "校园交通服务合同第八条"):
            check(x in notice, "speeding notice lacks %r:\n%s" % (x, notice))
        hq.at(10 * HOUR)
        hq.walk_to_closed(n, "contact.qingyun", "guo.sup", "驾驶员已书面检查，车辆加装限速提醒")

        # ---- 2. the weekly vehicle-safety inspection
        hq.at(2 * DAY + 9 * HOUR)
        for v in ("bus-01", "bus-02", "cart-01"):
            safety_inspection(hq, v)
        hq.at(4 * DAY + 17 * HOUR)
        w = hq.one("transport.weekly-vehicle-safety-inspection")
        nw = w["number"]
        check_eq((w["key"], w["site"], w["severity"], w["category"]), ("bus-03", "bus-03", "high", "inspection-missing"),
                 "missed inspection issue")
        opened = w["opened_ms"] - t0
        check(opened in (2 * DAY + 17 * HOUR, 4 * DAY + 17 * HOUR),
              "opened at the week's deadline (Wednesday or Friday 17:00), not %s" % rd.local(w["opened_ms"]))
        hq.at(max(hq.now() - t0, opened + DAY - 1))
        check(not hq.issue(nw)["overdue"] or hq.now() - t0 >= opened + DAY, "overdue before its deadline")
        hq.at(max(hq.now() - t0, opened + DAY))
        check(hq.issue(nw)["overdue"], "overdue a day after opening")
        hq.at(opened + 2 * DAY)
        check_eq(hq.issue(nw)["level"], 2, "level 2 two days after opening")
        # the weekly key inspection is the office's own (R6, issue 20): an internal
        # issue of the transport section, escalated inside the office, never to the fleet
        check_eq((w["contractor"], w["owner"]), ("", "office:transport-section"), "internal issue")
        rd.check_outbox(hq, nw, "escalated", roles_include=["deputy_director"])
        check(not [r for r in hq.outbox() if r.get("issue") == nw and "contractor_contact" in r.get("roles", [])],
              "the contractor is never told of the office's missed inspection")
        safety_inspection(hq, "bus-03")
        # no contractor to rectify: the section makes up the inspection and its head
        # closes the internal issue with the outcome (rules/README.md 19.4.1)
        hq.staff("close", nw, "--actor", "zheng.transport", "--reason", "已补做3号车安全检查，制动、轮胎合格")
        check_eq(hq.issue(nw)["state"], "closed", "the internal issue closed by the section head")

        # ---- 1b. speeding again the next Monday
        hq.at(7 * DAY + 7 * HOUR + 40 * MIN)
        telemetry(hq, "bus-02", 18.0, zone="dorm_area")
        hq.advance(15 * 1000)
        telemetry(hq, "bus-02", 19.0, zone="dorm_area")
        got = hq.of_rule("transport.speeding", "bus-02")
        check_eq(len(got), 2, "speeding issues of bus-02")
        r = hq.issue(got[1]["number"])
        check_eq(r["recurrence_of"], n, "the second is a recurrence")
        check(r["accountability"] and r["level"] == 2, "accountability at level 2")
        check_eq(r["penalty_total_cents"], 100000, "transport contract per_recurrence (1000 yuan)")
        rd.check_timeline(r, ["opened", "recurrence", "accountability", "penalty"])
        log(n, nw, r["number"], "walked")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_transport_fortnight])
