#!/usr/bin/python3
"""Scenario: water and power supply on the shipped rules (R2.5, R9).

1. Monday 20:00 dorm-7 loses power (unplanned, a dormitory affected) → an
   urgent issue against the O&M firm a minute later; not restored in 2 hours:
   overdue; 2 hours later level 2 (the office director); restored at 00:30:
   the issue closes itself (rectified by the data, automatic recheck).
2. Friday the same building loses power again → a recurrence within 30 days:
   level 2 at once, accountability, the energy contract's recurrence penalty.
3. Three fee complaints about dorm-3 in a fortnight → a billing audit issue,
   walked to closed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402


def outage(hq, oid, status, **kw):
    d = {"outage": oid, "utility": "electricity", "site": "dorm-7", "status": status, "planned": False,
         "affects": ["dormitory"]}
    d.update(kw)
    hq.send_ok("energy.outage", d, source="energy-platform")


def test_energy_week():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        # ---- 1. unplanned outage, late restoration
        hq.at(20 * HOUR)
        outage(hq, "TD-RD-01", "started", cause="fault", buildings=["dorm-7"], households=412,
               text="7号学生公寓整栋停电，疑似配电房开关跳闸")
        hq.at(20 * HOUR + MIN)
        o = hq.one("energy.outage-critical-users")
        n = o["number"]
        check_eq((o["contractor"], o["site"], o["severity"], o["key"]),
                 ("huadian-energy", "dorm-7", "high", "dorm-7:electricity"), "outage issue")
        check_eq(o["deadline_ms"], t0 + 22 * HOUR + MIN, "2 hours to restore")
        rd.check_outbox(hq, n, "opened", roles_include=["centre_head", "section_head", "contractor_contact"])
        check("华电能源运维有限公司" in hq.notice(n), "the notice names the O&M firm")
        hq.ack(n, "contact.huadian")
        hq.at(20 * HOUR + 30 * MIN)
        outage(hq, "TD-RD-01", "updated", crew_arrived_ms=hq.now(), text="抢修人员已到场")
        hq.at(22 * HOUR + MIN)
        o = hq.issue(n)
        check(o["overdue"] and o["level"] == 1, "overdue at the deadline")
        hq.at(DAY + 0 * HOUR + MIN)
        o = hq.issue(n)
        check_eq(o["level"], 2, "urgent chain: level 2 two hours after the deadline")
        rd.check_outbox(hq, n, "escalated", roles_include=["office_director"])
        hq.at(DAY + 30 * MIN)
        outage(hq, "TD-RD-01", "restored", restored_ms=hq.now())
        hq.advance(MIN)
        o = hq.issue(n)
        check_eq(o["state"], "closed", "closed by the restoration")
        rd.check_timeline(o, ["opened", "acknowledged", "overdue", "escalated", "rectified", "closed"])

        # ---- 2. again on Friday: recurrence
        hq.at(4 * DAY + 19 * HOUR)
        outage(hq, "TD-RD-02", "started", cause="overload")
        hq.advance(MIN)
        got = hq.of_rule("energy.outage-critical-users", "dorm-7:electricity")
        check_eq(len(got), 2, "outage issues of dorm-7")
        r = hq.issue(got[1]["number"])
        check_eq(r["recurrence_of"], n, "a recurrence of Monday's")
        check(r["level"] == 2 and r["accountability"], "recurrence: level 2 and accountability")
        check_eq(r["penalty_total_cents"], 100000, "energy contract per_recurrence (1000 yuan)")
        rd.check_outbox(hq, r["number"], "accountability")
        hq.advance(HOUR)
        outage(hq, "TD-RD-02", "restored")
        hq.advance(MIN)
        check_eq(hq.issue(r["number"])["state"], "closed", "the second outage closes when restored too")

        # ---- 3. fee complaints
        for i, text in enumerate(("电费比上月多了一倍", "电表读数和宿舍实际不符", "水费扣费异常")):
            hq.at(5 * DAY + 10 * HOUR + i * DAY)
            hq.send_ok("complaint.submitted", {"domain": "energy", "site": "dorm-3", "category": "fee", "text": text},
                       source="complaint-portal")
        f = hq.one("energy.fee-complaints")
        check_eq((f["contractor"], f["category"]), ("huadian-energy", "complaints"), "fee complaint issue")
        hq.walk_to_closed(f["number"], "contact.huadian", "guo.sup", "核对电表，更换故障表计，多收电费已退还")
        log(n, r["number"], f["number"], "walked")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_energy_week])
