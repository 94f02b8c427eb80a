#!/usr/bin/python3
"""Scenario: a complaint that is part of a burst counts once in the
contractor evaluation (R8, R11).

Five catering complaints about 第一食堂 (canteen-1, 鑫源餐饮) within a day, on
the shipped rules: each opens its own case (catering.complaint-case), and
the fifth also opens the burst (catering.complaint-burst, category
complaints).  All six are rectified and pass their rechecks.  The month's
evaluation (rules/evaluation.yaml) counts five confirmed complaints, one per
complaint through its case, and the burst as one medium finding of its own
(severity 2), not as a sixth complaint.  The decision is in rules/DOMAINS.md
("Complaints in the evaluation").
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, DAY  # noqa: E402

TEXTS = ["米饭夹生", "菜太咸", "汤是凉的", "排队太久没人管", "青菜发黄"]
CATEGORIES = ["food_quality", "food_quality", "food_quality", "service_attitude", "food_quality"]


def evaluation_row(hq, month, contractor):
    out = rd.ctl_run(["evaluation", "--period", month, "--format", "json", "--state", hq.state,
                      "--rules", rd.ARGS.rules])[1]
    ev = json.loads(out)
    row = [c for c in ev["contractors"] if c["contractor"] == contractor]
    check(row, "%s in the evaluation: %s" % (contractor, out[:500]))
    return row[0]


def test_burst_complaints_count_once():
    hq = rd.Hq()
    t0 = hq.start_t0()
    try:
        hq.at(11 * HOUR)
        before = evaluation_row(hq, datetime.datetime.fromtimestamp((t0 + 11 * HOUR) / 1000, rd.CST)
                                .strftime("%Y-%m"), "xinyuan-catering")
        base = before["counts"].get("confirmed_complaints", 0)
        for i, (text, cat) in enumerate(zip(TEXTS, CATEGORIES)):
            hq.at(11 * HOUR + i * HOUR)
            hq.send_ok("complaint.submitted", {"domain": "catering", "site": "canteen-1", "category": cat,
                                               "text": text}, source="portal")
        cases = hq.of_rule("catering.complaint-case")
        check_eq(len(cases), 5, "one case per complaint")
        burst = hq.one("catering.complaint-burst", "canteen-1")
        check_eq((burst["category"], burst["severity"]), ("complaints", "medium"), "the burst")
        hq.at(17 * HOUR)
        for n in [c["number"] for c in cases] + [burst["number"]]:
            hq.walk_to_closed(n, "contact.xinyuan", "lin.sup", "已联系投诉人并整改")
        month = datetime.datetime.fromtimestamp((t0 + 17 * HOUR) / 1000, rd.CST).strftime("%Y-%m")
        row = evaluation_row(hq, month, "xinyuan-catering")
        log("evaluation %s: xinyuan-catering score %s counts %r" % (month, row["score"], row["counts"]))
        # five complaints, five confirmed complaints: the burst is not a sixth
        check_eq(row["counts"].get("confirmed_complaints", 0) - base, 5, "confirmed complaints")
        check_eq(row["deductions"].get("confirmed_complaints", 0.0), float(base + 5), "complaint deduction")
        # ... while the burst still counts as a finding of its own (medium), not dismissed
        check(row["counts"].get("medium", 0) >= 1, "the burst is counted as a medium issue: %r" % row["counts"])
        check(row["counts"].get("low", 0) >= 5, "the five cases are counted as low issues: %r" % row["counts"])
        check_eq(row["counts"].get("dismissed", 0), before["counts"].get("dismissed", 0), "nothing dismissed")
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_burst_complaints_count_once])
