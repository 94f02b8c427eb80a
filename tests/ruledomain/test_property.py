#!/usr/bin/python3
"""Scenario: property management on the shipped rules (R2.4, R8).

1. A student's complaint about a dirty washroom, with a contact → its own
   issue; not signed for within 24 h: a reminder; acknowledged, handled,
   rechecked: closed, and the complainant (only the complainant) is told the
   outcome; the contact never appears in the office's records.
2. The south garbage point not cleared by 10:00 → an issue; overdue at
   14:00; level 2 a day later (office leaders).
3. An intrusion reported at 23:00 with nobody on site by 23:15 → an issue
   on the urgent chain (the property centre head); the response closes it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402

CONTACT = "13700001234"


def garbage(hq, site, ok=True):
    hq.send_ok("inspection.submitted", {"kind": "self", "domain": "property", "site": site, "inspector": "pc-03",
                                        "checklist": "garbage_cleared",
                                        "items": [{"code": "prop.garbage_cleared", "result": "pass" if ok else "fail"}]})


def test_property_days():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        # ---- 1. a complaint followed to the complainant's feedback
        hq.at(8 * HOUR + 30 * MIN)
        garbage(hq, "gc-north")
        hq.at(9 * HOUR)
        hq.send_ok("complaint.submitted", {"domain": "property", "site": "library", "category": "hygiene",
                                           "text": "图书馆三楼卫生间很脏，纸篓满了没人清理", "channel": "qr_code",
                                           "role": "student", "contact": CONTACT, "wants_reply": True},
                   source="complaint-portal")
        # ---- 2a. Monday 10:00: the south garbage point has no clearance record
        hq.at(10 * HOUR)
        g = hq.one("property.garbage-removal-missed", "gc-south")
        ng = g["number"]
        check(not hq.of_rule("property.garbage-removal-missed", "gc-north"), "gc-north was cleared on Monday")
        check_eq(g["opened_ms"], t0 + 10 * HOUR, "opened at Monday's 10:00 deadline")
        check_eq(g["deadline_ms"], t0 + 14 * HOUR, "4 hours to clear it")

        c = hq.one("property.complaint-handling")
        n = c["number"]
        check_eq((c["contractor"], c["category"]), ("anju-property", "complaint-case"), "complaint issue")
        # 5 working days from Monday 09:00: the next Monday at the end of working
        # hours, later when the week holds a public holiday of calendar.yaml
        dl = c["deadline_ms"] - t0
        check(dl >= 7 * DAY + 17 * HOUR + 30 * 60 * 1000 and (dl - 17 * HOUR - 30 * 60 * 1000) % DAY == 0,
              "5 working days, due at 17:30: %s" % rd.local(c["deadline_ms"]))
        hq.at(9 * HOUR + DAY)
        rd.check_outbox(hq, n, "reminder")
        hq.ack(n, "contact.anju")
        hq.at(15 * HOUR + DAY)
        hq.rectify(n, "contact.anju", "已安排专人每两小时保洁并登记")
        hq.recheck(n, "lin.sup", True, "暗访复查卫生间整洁")
        check_eq(hq.issue(n)["state"], "closed", "complaint issue closed")
        fb = rd.check_outbox(hq, n, "feedback")
        check_eq(fb[0]["roles"], ["complainant"], "feedback roles")
        for r in hq.outbox():
            if r.get("kind") != "feedback":
                check(CONTACT not in str(r), "the complainant's contact leaked into %r" % r)

        # ---- 2b. the garbage issue, not rectified
        g = hq.issue(ng)
        check(g["overdue"], "overdue after 14:00 (now Tuesday 15:00)")
        rd.check_outbox(hq, ng, "overdue")
        hq.at(14 * HOUR + DAY + HOUR)
        g = hq.issue(ng)
        check_eq(g["level"], 2, "level 2 a day after the deadline")
        rd.check_outbox(hq, ng, "escalated", roles_include=["office_director"])
        garbage(hq, "gc-south")
        hq.rectify(ng, "contact.anju", "已清运并冲洗收集点，增加下午班次")
        hq.recheck(ng, "zhou.property", True)

        # ---- 3. security response
        hq.at(DAY + 23 * HOUR)
        hq.send_ok("security.incident", {"incident": "AQ-RD-006", "site": "teaching-1", "category": "intrusion",
                                         "status": "reported", "location": "东门", "detected_by": "alarm"},
                   source="duty-room")
        hq.at(DAY + 23 * HOUR + 15 * MIN)
        s = hq.one("property.security-response-late")
        rd.check_outbox(hq, s["number"], "opened", roles_include=["centre_head"])
        hq.at(DAY + 23 * HOUR + 20 * MIN)
        hq.send_ok("security.incident", {"incident": "AQ-RD-006", "site": "teaching-1", "category": "intrusion",
                                         "status": "responded"}, source="duty-room")
        hq.advance(MIN)
        check_eq(hq.issue(s["number"])["state"], "closed", "closed when staff arrived")
        log(n, ng, s["number"], "walked")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_property_days])
