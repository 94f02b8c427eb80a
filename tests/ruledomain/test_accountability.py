#!/usr/bin/python3
"""Scenario: accountability across domains (R9, R10, R11).

安居物业 (anju-property) answers for the dorm buildings (dormitory) and the
teaching and library buildings (property).  On the shipped rules:

- a dorm inspection finding is never rectified: overdue after its week,
  level 2 (office leaders) a day later, level 3 (the vice-president) with
  accountability three days later, 300 yuan a day under the property
  contract;
- a library hygiene finding is rectified and closed, then found again within
  30 days: a recurrence with accountability and the recurrence penalty;
- a public-opinion incident (舆情) about it jumps it to the top of its chain
  and adds the opinion penalty;
- the ledger shows the contractor under accountability in both domains, and
  the month's evaluation grades it 不合格 (the accountability veto of
  rules/evaluation.yaml).
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402


def inspection(hq, domain, site, kind, code, note):
    hq.send_ok("inspection.submitted", {"kind": kind, "domain": domain, "site": site, "inspector": "hq-sup-01",
                                        "area": "公共区域", "items": [{"code": code, "result": "fail", "note": note}]})


def test_accountability_across_domains():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        hq.at(10 * HOUR)
        inspection(hq, "dormitory", "dorm-7", "spot", "dorm.public_hygiene", "3楼走廊垃圾堆放、消防通道堵塞")
        d = hq.one("dormitory.inspection-findings")
        nd = d["number"]
        hq.at(10 * HOUR + 30 * MIN)
        inspection(hq, "property", "library", "spot", "prop.toilet_hygiene", "卫生间异味，纸篓满溢")
        p1 = hq.one("property.hygiene-findings")
        check_eq({d["contractor"], p1["contractor"]}, {"anju-property"}, "one contractor, two domains")
        check_eq({d["domain"], p1["domain"]}, {"dormitory", "property"}, "two domains")

        # the library finding is rectified and closed the next day
        hq.at(DAY + 9 * HOUR)
        hq.walk_to_closed(p1["number"], "contact.anju", "lin.sup", "增加保洁频次，更换纸篓")

        # the dorm finding is not: overdue, escalated, accountability, penalties
        hq.at(10 * HOUR + 7 * DAY)
        d = hq.issue(nd)
        check(d["overdue"] and d["level"] == 1, "dorm finding overdue after its week")
        hq.at(10 * HOUR + 8 * DAY)
        check_eq(hq.issue(nd)["level"], 2, "level 2 a day after the deadline")
        rd.check_outbox(hq, nd, "escalated", roles_include=["office_director", "deputy_director"])

        # the library problem again, 9 days after it was closed: a recurrence
        hq.at(14 * HOUR + 9 * DAY)
        inspection(hq, "property", "library", "covert", "prop.toilet_hygiene", "暗访：卫生间再次脏乱")
        got = hq.of_rule("property.hygiene-findings", "library")
        check_eq(len(got), 2, "library findings")
        p2 = hq.issue(got[1]["number"])
        check_eq(p2["recurrence_of"], p1["number"], "recurrence of the closed finding")
        check(p2["accountability"] and p2["level"] == 2, "recurrence: accountability, level 2")
        check_eq(p2["penalty_total_cents"], 100000, "property contract per_recurrence (1000 yuan)")

        # a post on Weibo about the library: top of the chain, the opinion penalty
        hq.at(16 * HOUR + 9 * DAY)
        hq.opinion(p2["number"], "微博热帖：图书馆卫生间脏乱无人管", "weibo")
        p2 = hq.issue(p2["number"])
        check_eq(p2["level"], 3, "a public-opinion incident jumps to the top level")
        check_eq(p2["penalty_total_cents"], 600000, "recurrence 1000 + opinion 5000 yuan")
        rd.check_timeline(p2, ["opened", "recurrence", "accountability", "penalty", "opinion", "escalated", "penalty"])
        rd.check_outbox(hq, p2["number"], "escalated", roles_include=["vice_president"])

        hq.at(10 * HOUR + 10 * DAY)
        d = hq.issue(nd)
        check(d["level"] == 3 and d["accountability"], "dorm finding: level 3 with accountability")
        check_eq(d["penalty_total_cents"], 90000, "three overdue days x 300 yuan")
        rd.check_outbox(hq, nd, "accountability", roles_include=["office_director", "contractor_contact"])

        # the ledger: the contractor under accountability in both domains
        acc = {i["number"]: i for i in hq.issues(contractor="anju-property", accountability=True)}
        check(nd in acc and p2["number"] in acc, "the ledger's accountability list lacks %s or %s: %r" % (
            nd, p2["number"], sorted(acc)))
        check_eq({acc[nd]["domain"], acc[p2["number"]]["domain"]}, {"dormitory", "property"}, "domains")
        total = acc[nd]["penalty_total_cents"] + acc[p2["number"]]["penalty_total_cents"]
        check_eq(total, 690000, "penalties of the two cases (900 + 6000 yuan)")
        log("anju-property under accountability in dormitory (%s) and property (%s): %.2f yuan" % (
            nd, p2["number"], total / 100))

        # the month's evaluation: the accountability veto
        month = datetime.datetime.fromtimestamp((t0 + 10 * DAY) / 1000, rd.CST).strftime("%Y-%m")
        out = rd.ctl_run(["evaluation", "--period", month, "--format", "json", "--state", hq.state,
                          "--rules", rd.ARGS.rules])[1]
        ev = json.loads(out)
        row = [c for c in ev["contractors"] if c["contractor"] == "anju-property"]
        check(row, "anju-property in the evaluation: %s" % out[:500])
        row = row[0]
        log("evaluation %s: anju-property score %s grade %s" % (month, row.get("score"), row.get("grade")))
        check_eq(row.get("grade"), "不合格", "the accountability veto grades the contractor 不合格")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_accountability_across_domains])
