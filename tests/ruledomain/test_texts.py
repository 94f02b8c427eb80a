#!/usr/bin/python3
"""Scenario: the words people read, for an issue of each domain (issue 16).

houqind (manual clock) and houqin-alertd (--clock follow, file sinks) on a
copy of the shipped rules.  One issue opens in each of the nine domains
(complaints, one sent with a category's Chinese label, a fire, a blocked
decision task, a complaint naming an unregistered site, a spot inspection
with a failed checklist item); the clock then
runs three days on, so that deadlines pass, issues escalate and penalties
fall.  The rectification notices (houqinctl notice, text and HTML), the
ledger CSV and every alert text delivered are then read as a person would:

- no code word: nothing matching [a-z_-]{4,} outside ids (issue numbers,
  rule, site, contractor, person, sensor and channel ids, which staff views
  show in their detail lines; event types and file names, which data-quality
  issues name for the administrator) and units;
- no "停机" (houqind ran throughout: nothing was missed while it was down);
- one label for a severity everywhere: the notice's 严重程度, the ledger's
  column and the alerts say the vocabulary's word, never another
  severity's word or an old synonym.

Skipped (exit 0 with a note) when houqin-alertd was not built.
"""
import csv
import io
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, check_eq, log, HOUR, MIN, DAY  # noqa: E402

CODE_WORD = re.compile(r"[a-z_-]{4,}")
TOKEN = re.compile(r"[A-Za-z0-9_.:/@#+-]+")


def vocabulary():
    with open(os.path.join(rd.ARGS.rules, "vocabulary.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)["vocabulary"]


def known_ids(rules_dir, issues):
    """Every id a staff view may show: the registries', the organisation's,
    the rules', and what the issues name."""
    ids = {"system", "xinyuan-pm"}  # the daemon, and the actor of the decision report sent below
    for root, dirs, files in os.walk(rules_dir):
        for f in files:
            if not f.endswith(".yaml"):
                continue
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                doc = yaml.safe_load(fh) or {}
            for section in ("rules", "sites", "sensors", "contractors", "people", "office_units"):
                v = doc.get(section)
                items = v if isinstance(v, list) else list((v or {}).values()) if isinstance(v, dict) else []
                if isinstance(v, dict):
                    ids.update(v.keys())
                for it in items:
                    if isinstance(it, dict) and "id" in it:
                        ids.add(str(it["id"]))
    for i in issues:
        for k in ("rule", "site", "contractor", "key"):
            if i.get(k):
                ids.add(i[k])
                ids.update(i[k].split(":"))
    return ids


def units():
    """The schemas' units, and their event type names and file names, which
    data-quality issues name for the administrator."""
    out = set()
    for f in os.listdir(rd.ARGS.schemas):
        if f.endswith(".yaml"):
            with open(os.path.join(rd.ARGS.schemas, f), encoding="utf-8") as fh:
                out.update(re.findall(r"unit:\s*([^\s,}]+)", fh.read()))
            out.add(f[:-5])
    for root, _, files in os.walk(rd.ARGS.rules):
        out.update(f for f in files if f.endswith(".yaml"))
    return out


def code_words(text, allowed):
    """The code words of text: tokens with [a-z_-]{4,} that are no id or unit."""
    bad = []
    for tok in TOKEN.findall(text):
        t = tok.strip(".:/-#")
        if not t.strip("_") or not CODE_WORD.search(t) or t in allowed or t.startswith(("http://", "https://")):
            continue
        # an id followed by punctuation, or ids joined (site:category keys, rule ids)
        if all(p in allowed or not CODE_WORD.search(p) for p in re.split(r"[:/]", t)):
            continue
        bad.append(tok)
    return bad


def test_words_people_read():
    sink = rd.T.tmpdir("hq-rd-sink-")
    with open(os.path.join(rd.ARGS.rules, "alerts.yaml"), encoding="utf-8") as f:
        alerts, channels = rd.file_channels_alerts(f.read(), sink)
    rules = rd.rules_copy({"alerts.yaml": alerts})
    hq = rd.Hq(rules)
    hq.start_t0(span_days=7)  # the nearest such Monday: few missed slots before T0, few alerts to wait for
    ad = rd.Alertd(hq, rules)
    ad.start()
    try:
        hq.at(9 * HOUR)
        complaints = [("catering", "canteen-2", "异物", "米饭里有一根头发"),   # the label, mapped to foreign_matter
                      ("dormitory", "dorm-3", "hot_water", "三楼热水不热"),
                      ("energy", "dorm-3", "fee", "本月电费比上月多了一倍"),
                      ("transport", "bus-01", "punctuality", "早班车晚到二十分钟"),
                      ("procurement", "warehouse-1", "goods_quality", "领用的打印纸受潮"),
                      ("maintenance", "teaching-1", "repair_quality", "刚修好的门又坏了"),
                      ("property", "library", "hygiene", "三楼卫生间很脏")]
        for dom, site, cat, text in complaints:
            hq.send_ok("complaint.submitted", {"domain": dom, "site": site, "category": cat, "text": text,
                                               "contact": "13700001234", "wants_reply": True})
            hq.advance(MIN)
        r = hq.send("complaint.submitted", {"domain": "catering", "site": "canteen-2", "category": "服务",
                                            "text": "x"})
        check_eq(r.get("status"), "rejected", "a category that is neither code nor label")
        check("one of: foreign_matter（异物）" in r.get("error", ""), "the list in the refusal: %r" % r)
        hq.send_ok("security.incident", {"incident": "SI-RD-1", "site": "library", "category": "fire",
                                         "status": "reported", "location": "三楼"}, source="duty-room")
        hq.send_ok("decision.task", {"task": "DB-RD-T1", "title": "第二食堂二楼增设平价窗口", "due_ms": hq.t0 + 60 * DAY,
                                     "concerns": "catering", "site": "canteen-2", "contractor": "xinyuan-catering"},
                   source="oa")
        hq.send_ok("decision.progress", {"task": "DB-RD-T1", "status": "blocked", "actor": "xinyuan-pm",
                                         "text": "场地审批未完成"}, source="oa")
        hq.send_ok("complaint.submitted", {"domain": "catering", "site": "canteen-x", "category": "food_quality",
                                           "text": "饭菜偏咸"})
        # a failed checklist item: its code (fs.sample_retention) and the checklist's are labelled
        hq.send_ok("inspection.submitted", {"kind": "spot", "domain": "catering", "site": "canteen-1",
                                            "inspector": "lin.sup", "checklist": "food_safety_key",
                                            "record": "JC-RD-1",
                                            "items": [{"code": "fs.cold_storage_temp", "result": "pass"},
                                                      {"code": "fs.sample_retention", "result": "fail",
                                                       "severity": "medium", "note": "午餐凉拌黄瓜留样约90克"}]},
                   source="app")
        # past the 12:00 digest of low severities: every opened alert delivered
        # (or past the 16:00 one, when houqin-alertd, still reading the
        # records of the days before T0, gathered the 12:00 one without them)
        issues = [i for i in hq.issues() if i["number"] not in hq.baseline]

        def missing():
            # low severities come in digests (one message listing several issues)
            msgs = rd.read_sinks(sink)
            return [(i["number"], i["domain"], i["severity"], i["rule"]) for i in issues
                    if not any(m.get("issue") == i["number"] or i["number"] in m.get("text", "") for _, m in msgs)]
        for digest in (12 * HOUR, 16 * HOUR):
            hq.at(digest + 5 * MIN)
            try:
                rd.wait_for("the alerts of every issue", lambda: not missing(), timeout=60)
                break
            except rd.T.TestFailure:
                if digest == 16 * HOUR:
                    raise rd.T.TestFailure("no alert delivered for %r; alertd:\n%s" % (missing(), ad.log_tail(20)))
        hq.at(9 * HOUR + 3 * DAY + 10 * MIN)

        issues = [i for i in hq.issues() if i["number"] not in hq.baseline]
        domains = {i["domain"] for i in issues}
        check_eq(sorted(domains), sorted(vocabulary()["domains"].keys()), "an issue of each domain")
        cat = [i for i in issues if i["rule"] == "catering.complaint-case"]
        check(cat and cat[0]["title"].endswith("：异物"), "the category's label in the title: %r" % cat)
        insp = [i for i in issues if i["rule"] == "catering.inspection-failed"]
        check(insp, "an issue of the failed inspection")

        docs = {}
        for i in issues:
            n = i["number"]
            docs[n + " notice"] = hq.notice(n)
            html = rd.ctl_run(["notice", n, "--format", "html", "--state", hq.state, "--rules", rules,
                               "--schemas", rd.ARGS.schemas])[1]
            body = re.sub(r"<style.*?</style>|<head.*?</head>", " ", html, flags=re.S)
            docs[n + " notice.html"] = re.sub(r"<[^>]*>", " ", body)
        first, last = rd.local(hq.t0)[:10], rd.local(hq.now())[:10]
        ledger = rd.ctl_run(["ledger", "--from", first, "--to", last, "--format", "csv", "--state", hq.state,
                             "--rules", rules, "--schemas", rd.ARGS.schemas])[1]
        docs["ledger.csv"] = ledger
        numbers = {i["number"] for i in issues}
        msgs = [(ch, m) for ch, m in rd.read_sinks(sink)
                if m.get("issue") in numbers or any(n in m.get("text", "") for n in numbers)]
        for k, (ch, m) in enumerate(msgs):
            docs["alert %d %s %s %s" % (k, ch, m.get("issue") or "digest", m.get("kind"))] = "%s\n%s" % (
                m.get("subject", ""), m.get("text", ""))
        log("%d issues, %d notices, %d alert texts, ledger of %d lines" % (
            len(issues), 2 * len(issues), len(msgs), ledger.count("\n")))

        # channel names are ids too (a passed-on note says which channels were tried)
        allowed = known_ids(rules, issues) | units() | set(channels)
        found = {}
        for name, text in docs.items():
            bad = code_words(text, allowed)
            if bad:
                found[name] = sorted(set(bad))
        check(not found, "code words in what people read:\n%s" % "\n".join(
            "  %s: %s" % (k, ", ".join(v)) for k, v in sorted(found.items())))

        insp_notice = docs[insp[0]["number"] + " notice"]
        check("检查表：食品安全重点检查" in insp_notice and "首个不合格项：留样（" in insp_notice,
              "the checklist and the failed item by their labels in the notice:\n%s" % insp_notice)

        stopped = [name for name, text in docs.items() if "停机" in text]
        check(not stopped, "停机 although houqind ran throughout: %s" % stopped)

        # one word per severity
        sev = vocabulary()["severities"]
        rows = list(csv.reader(io.StringIO(ledger)))
        head = rows[0]
        col = head.index("严重程度") if "严重程度" in head else None
        check(col is not None, "the ledger has a 严重程度 column: %r" % head)
        by_number = {r[0]: r for r in rows[1:] if r}
        for i in issues:
            word = sev[i["severity"]]
            others = [w for c, w in sev.items() if c != i["severity"]]
            notice = docs[i["number"] + " notice"]
            check("严重程度：" + word in notice, "%s: the notice's severity is not %s" % (i["number"], word))
            check_eq(by_number[i["number"]][col], word, "%s: the ledger's severity" % i["number"])
            for name, text in docs.items():
                if not name.startswith("alert ") or (" %s " % i["number"]) not in name:
                    continue
                for m in re.finditer(r"严重程度[：:]\s*(\S+?)(?:[，,。\s｜|]|$)", text):
                    check(m.group(1) == word, "%s: %s says severity %r, the vocabulary %r" % (
                        i["number"], name, m.group(1), word))
                for o in others:
                    check("严重程度：" + o not in text, "%s: %s names another severity" % (i["number"], name))
    finally:
        ad.stop()
        hq.stop()


if __name__ == "__main__":
    rd.main_with_alertd([test_words_people_read], "the texts scenario")
