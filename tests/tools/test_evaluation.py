#!/usr/bin/python3
"""Contractor evaluation (考评, R11) on the fixture of hqtool.py, against
answers worked out by hand from the story told there and the weights of
data/rules/evaluation.yaml (the shipped ones): severity low 1, medium 2;
0.5 per overdue day (days begun, per overdue span, clipped to the period);
2 per failed recheck; 3 per recurrence; 1 per confirmed complaint; 2 per
missed self-inspection; 10 per accountability case, which is also a veto
(grade 不合格); an issue closed without rectification is dismissed.

March 2036 (state clock 03-14 08:00):
  anju-property: #3 low complaint, #4 low missed inspection -> 1 + 1 = 2;
    complaint 1; missed inspection 2; overdue: #1 from 03-01 00:00 (period
    start) to its rectification 03-02 09:00 = 33 h -> 2 days, #4 from 03-11
    10:00 to 03-14 08:00 = 70 h -> 3 days: 5 days -> 2.5.
    100 - (2 + 1 + 2 + 2.5) = 92.50, 优秀.  Due: #3 (on time), #4 (late): 1/2.
    Penalties in March: #1 03-01 300, #4 03-12 300 and 03-13 300 = 900.00.
  xinyuan-catering: #2 medium, #6 medium (#5 dismissed) -> 4; #2 overdue
    03-06 17:00 to 03-08 09:00 = 40 h -> 2 days -> 1; one failed recheck 2;
    #6 a recurrence 3 and accountability 10 (veto).  100 - 20 = 80.00, but
    the veto makes it 不合格.  Due: #2 (late): 0/1.  Penalties: 1000 (failed
    recheck) + 500 (overdue day) + 2000 (recurrence) = 3500.00.
  qingquan-water: nothing: 100.00, 优秀.
  Ranking: qingquan 1, anju 2, xinyuan 3.
February 2036: anju #1 low 1, missed inspection 2, overdue 02-28 10:00 to
  03-01 00:00 = 38 h -> 2 days -> 1: 96.00 优秀, due 1, on time 0,
  penalty 300 (02-29).  The others 100: qingquan and xinyuan share rank 1,
  anju is 3rd.
The spring term (2036-02-25 .. 2036-07-04): anju #1, #3, #4 low -> 3;
  complaint 1; missed inspections 2 x 2 = 4; overdue #1 02-28 10:00 to
  03-02 09:00 = 71 h (2036 has a 29 February) -> 3 days, #4 3 days: 6 ->
  3.0; 100 - 11 = 89.00, 良好; due 3, on time 1; penalties 1200.00.
  xinyuan as in March.  Monthly buckets 2036-02 .. 2036-07.
May 2036: nothing happened: three contractors at 100.00 sharing rank 1.
"""
import csv
import io
import json
import os

import hqtool as H
from hqtool import T, check, check_eq

STATE = None


def evaluation(period, fmt, rules=None):
    return H.ctl("evaluation", "--state", STATE, "--rules", rules or H.ARGS.rules, "--period", period,
                 "--format", fmt)


def rows(period):
    d = evaluation(period, "json").json()
    return d, {c["contractor"]: c for c in d["contractors"]}


def test_fixture():
    global STATE
    d = H.fixture_daemon()
    try:
        d.stop()
    finally:
        d.kill()
    STATE = d.state


def expect(c, rank, score, grade, veto, ded, due, on_time, penalties_cents, counts=None):
    who = c["contractor"]
    check_eq(c["rank"], rank, who + " rank")
    check_eq(c["score"], score, who + " score")
    check_eq(c["grade"], grade, who + " grade")
    check_eq(c["veto"], veto, who + " veto")
    for k, v in ded.items():
        check_eq(c["deductions"][k], v, "%s deduction %s" % (who, k))
    check_eq(c["deductions"]["total"], sum(ded.values()), who + " deductions total")
    check_eq((c["on_time"]["due"], c["on_time"]["on_time"]), (due, on_time), who + " on-time")
    check_eq(c["penalties_cents"], penalties_cents, who + " penalties")
    for k, v in (counts or {}).items():
        check_eq(c["counts"][k], v, "%s count %s" % (who, k))


def test_march():
    d, r = rows("2036-03")
    check_eq((d["period"]["from"], d["period"]["to"]), ("2036-03-01", "2036-03-31"), "period")
    check_eq(d["period"]["as_of_ms"], H.ms("2036-03-14 08:00"), "as of the state's clock")
    check_eq([c["contractor"] for c in d["contractors"]], ["qingquan-water", "anju-property", "xinyuan-catering"],
             "ranking")
    expect(r["qingquan-water"], 1, 100.0, "优秀", False, {}, 0, 0, 0)
    expect(r["anju-property"], 2, 92.5, "优秀", False,
           {"severity": 2.0, "overdue_days": 2.5, "confirmed_complaints": 1.0, "missed_inspections": 2.0}, 2, 1,
           90000, {"issues": 2, "low": 2, "overdue_days": 5, "confirmed_complaints": 1, "missed_inspections": 1})
    expect(r["xinyuan-catering"], 3, 80.0, "不合格", True,
           {"severity": 4.0, "overdue_days": 1.0, "failed_rechecks": 2.0, "recurrences": 3.0,
            "accountability": 10.0}, 1, 0, 350000,
           {"issues": 2, "medium": 2, "overdue_days": 2, "failed_rechecks": 1, "recurrences": 1,
            "accountability": 1, "dismissed": 1})
    check_eq(r["qingquan-water"]["name"], "清泉饮用水服务有限公司", "name from the rules")
    s = d["series"]
    check_eq(len(s["buckets"]), 31, "daily buckets of March")
    check_eq(s["buckets"][0], "03-01", "first bucket")
    check_eq(s["domains"]["catering"][2] + s["domains"]["catering"][11] + s["domains"]["catering"][12], 3,
             "catering issues on 03-03, 03-12, 03-13")
    check_eq(sum(s["domains"]["catering"]), 3, "catering issues in March")
    check_eq(s["domains"]["dormitory"][4], 1, "the complaint on 03-05")
    check_eq(s["domains"]["property"][9], 1, "#4 on 03-10")


def test_february_and_ties():
    d, r = rows("2036-02")
    expect(r["anju-property"], 3, 96.0, "优秀", False,
           {"severity": 1.0, "overdue_days": 1.0, "missed_inspections": 2.0}, 1, 0, 30000)
    expect(r["qingquan-water"], 1, 100.0, "优秀", False, {}, 0, 0, 0)
    expect(r["xinyuan-catering"], 1, 100.0, "优秀", False, {}, 0, 0, 0)
    d, r = rows("2036-05")
    check_eq(sorted((c["rank"], c["score"]) for c in d["contractors"]), [(1, 100.0)] * 3, "an empty month")


def test_term():
    d, r = rows("2036-spring")
    check_eq(d["period"]["name"], "2035—2036学年第二学期（春季学期）", "term name")
    check_eq((d["period"]["from"], d["period"]["to"]), ("2036-02-25", "2036-07-04"), "term dates")
    expect(r["anju-property"], 2, 89.0, "良好", False,
           {"severity": 3.0, "overdue_days": 3.0, "confirmed_complaints": 1.0, "missed_inspections": 4.0}, 3, 1,
           120000)
    expect(r["xinyuan-catering"], 3, 80.0, "不合格", True,
           {"severity": 4.0, "overdue_days": 1.0, "failed_rechecks": 2.0, "recurrences": 3.0,
            "accountability": 10.0}, 1, 0, 350000)
    check_eq(d["series"]["buckets"], ["2036-02", "2036-03", "2036-04", "2036-05", "2036-06", "2036-07"],
             "monthly buckets")
    check_eq(d["series"]["domains"]["property"][:2], [1, 1], "property issues in February and March")


def test_csv_matches_json():
    raw = evaluation("2036-03", "csv").out
    check(raw.startswith(b"\xef\xbb\xbf"), "no BOM")
    table = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    head, body = table[0], table[1:]
    check_eq(len(body), 3, "CSV rows")
    col = {h: i for i, h in enumerate(head)}
    got = [(b[col["排名"]], b[col["承办单位编号"]], b[col["得分"]], b[col["等级"]], b[col["违约金合计(元)"]],
            b[col["按期整改率"]]) for b in body]
    check_eq(got, [("1", "qingquan-water", "100.00", "优秀", "0.00", ""),
                   ("2", "anju-property", "92.50", "优秀", "900.00", "50.0%"),
                   ("3", "xinyuan-catering", "80.00", "不合格", "3500.00", "0.0%")], "CSV")


def test_bad_periods_and_schemes():
    for bad in ("2036-13", "2036-3", "2036-winter", "march"):
        r = H.ctl("evaluation", "--state", STATE, "--rules", H.ARGS.rules, "--period", bad, "--format", "json",
                  check_rc=2)
        check(r.out == b"" and len(r.errtext.strip().splitlines()) == 1, "%s: %r" % (bad, r))
    H.ctl("evaluation", "--state", STATE, "--rules", H.ARGS.rules, "--period", "2036-03", "--format", "xml",
          check_rc=2)
    # a rules directory without a scheme, and one with a broken scheme
    d = T.tmpdir()
    with open(os.path.join(d, "org.yaml"), "w") as f:
        f.write("office: 后勤管理处\n")
    r = H.ctl("evaluation", "--state", STATE, "--rules", d, "--period", "2036-03", "--format", "json",
              check_rc=2)
    check("no evaluation scheme" in r.errtext, "no scheme: %r" % r)
    with open(os.path.join(d, "evaluation.yaml"), "w") as f:
        f.write("evaluation:\n  name: x\n  base: 100\n  deductions:\n    severity: {low: 1, medium: 2, high: 5}\n"
                "  grades:\n    - {name: 合格, min: 60}\n")
    r = H.ctl("evaluation", "--state", STATE, "--rules", d, "--period", "2036-03", "--format", "json",
              check_rc=2)
    lines = r.errtext.strip().splitlines()
    check(len(lines) == 1 and "evaluation.yaml:" in lines[0], "broken scheme: %r" % r)


def test_report_speaks_the_vocabulary():
    """The report's words are the rules' vocabulary: with the shipped
    vocabulary.yaml, a domain relabelled there is what the HTML says."""
    import shutil
    rules = T.tmpdir("hq-eval-vocab-")
    shutil.rmtree(rules)
    shutil.copytree(H.ARGS.rules, rules)
    shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "rules", "vocabulary.yaml")
    with open(shipped, encoding="utf-8") as f:
        text = f.read()
    check("    catering: 餐饮\n" in text, "the shipped vocabulary labels catering 餐饮")
    with open(os.path.join(rules, "vocabulary.yaml"), "w", encoding="utf-8") as f:
        f.write(text.replace("    catering: 餐饮\n", "    catering: 餐饮服务（食堂）\n"))
    html = evaluation("2036-03", "html").out.decode("utf-8")
    check("餐饮服务（食堂）" not in html and "餐饮" in html, "built-in labels without a vocabulary")
    html = evaluation("2036-03", "html", rules=rules).out.decode("utf-8")
    check("餐饮服务（食堂）" in html, "the relabelled domain in the report")


if __name__ == "__main__":
    H.parse_args()
    T.main([test_fixture, test_march, test_february_and_ties, test_term, test_csv_matches_json,
            test_bad_periods_and_schemes, test_report_speaks_the_vocabulary])
