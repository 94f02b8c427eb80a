#!/usr/bin/python3
"""Scenario: bulk procurement on the shipped rules (R2.7).

1. Monday 07:10 soybean oil of another brand than ordered → an issue against
   the supplier; acknowledged, "replaced", the recheck fails (penalty under
   the supply contract), replaced again, passed: closed.
2. A delivery 50 minutes late; closed; another late one three weeks later →
   a recurrence within 90 days: accountability and the recurrence penalty.
3. A failed quality check never rectified: overdue, daily penalties, level 2.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402


def delivery(hq, order, supplier, site, delay_min, **kw):
    now = hq.now()
    d = {"order": order, "supplier": supplier, "site": site, "due_ms": now - int(delay_min * MIN),
         "delivered_ms": now, "delay_min": delay_min}
    d.update(kw)
    hq.send_ok("procurement.delivery", d, source="wms")


def test_procurement():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        # ---- 1. wrong brand, a failed recheck
        hq.at(7 * HOUR + 10 * MIN)
        delivery(hq, "PO-RD-0319", "sup-grain-01", "canteen-1", 10, domain="catering", category="grain_oil",
                 brand_match=False, spec_match=True, quantity_match=True, qc_result="pass",
                 items=[{"item": "oil-soy-5l", "name": "大豆油", "brand": "某品牌", "brand_ordered": "金龙鱼",
                         "spec": "5 L", "spec_ordered": "5 L", "qty": 40, "qty_ordered": 40, "unit": "bottle"}])
        b = hq.one("procurement.wrong-brand-spec")
        n = b["number"]
        check_eq((b["contractor"], b["site"], b["domain"]), ("sup-grain-01", "canteen-1", "procurement"), "brand issue")
        check("丰收粮油贸易有限公司" in hq.notice(n), "the notice names the supplier")
        hq.ack(n, "contact.suppliers")
        hq.at(15 * HOUR)
        hq.rectify(n, "contact.suppliers", "已更换为订单品牌")
        hq.recheck(n, "feng.procurement", False, "更换后仍有 10 瓶为其他品牌")
        b = hq.issue(n)
        check_eq((b["state"], b["penalty_total_cents"]), ("reopened", 50000), "failed recheck: 500 yuan")
        hq.at(20 * HOUR)
        hq.rectify(n, "contact.suppliers", "余下 10 瓶已更换")
        hq.recheck(n, "feng.procurement", True)
        check_eq(hq.issue(n)["state"], "closed", "closed")

        # ---- 2. late twice within 90 days
        hq.at(DAY + 7 * HOUR)
        delivery(hq, "PO-RD-0401", "sup-veg-03", "canteen-2", 50, category="vegetables")
        l1 = hq.one("procurement.late-delivery")
        hq.walk_to_closed(l1["number"], "contact.suppliers", "feng.procurement", "调整配送车辆出发时间")
        hq.at(21 * DAY + 7 * HOUR)
        delivery(hq, "PO-RD-0488", "sup-veg-03", "canteen-2", 65, category="vegetables")
        got = hq.of_rule("procurement.late-delivery", "sup-veg-03")
        check_eq(len(got), 2, "late-delivery issues")
        l2 = hq.issue(got[1]["number"])
        check(l2["accountability"] and l2["recurrence_of"] == l1["number"], "recurrence with accountability")
        check_eq(l2["penalty_total_cents"], 100000, "supply contract per_recurrence (1000 yuan)")

        # ---- 3. failed quality check, never rectified
        hq.at(22 * DAY + 9 * HOUR)
        delivery(hq, "PO-RD-0500", "sup-goods-04", "warehouse-1", 0, category="cleaning_supplies", qc_result="fail",
                 qc_reason="counterfeit")
        q = hq.one("procurement.quality-failed")
        hq.at(24 * DAY + 9 * HOUR)
        q = hq.issue(q["number"])
        check(q["overdue"] and q["level"] == 2, "overdue and at level 2 two days later")
        check_eq(q["penalty_total_cents"], 20000, "one full overdue day (200 yuan)")
        rd.check_outbox(hq, q["number"], "penalty", roles_include=["section_head", "office_director"])
        log(n, l2["number"], q["number"], "walked")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_procurement])
