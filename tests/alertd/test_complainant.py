#!/usr/bin/python3
"""Complainant feedback (R8; issue 5 item 6): when an issue that came from a
complaint closes, the complainant is told the outcome through the contact
they gave, and only them; their contact never appears anywhere else.

- test_feedback: three complaints open three issues (one per complaint),
  with an e-mail address, a phone number, and a contact that is neither.
  Each issue is rectified and passes its recheck: houqind writes "closed"
  (to the office and the contractor) and "feedback" (to the complainant,
  with the contact).  The e-mail contact gets one mail through
  policies.complainant.email with the complainant template; the phone
  gets one message through policies.complainant.phone (the command's
  JSON names the number as recipient.to); the third is a dead letter
  whose reason names no contact.  No other delivery, no other sink, no
  dead letter and no line of alertd's log holds any contact.
- test_outcome (issue 14 item 4): an issue closed by hand with
  `outcome` (houqinctl close --outcome): the complainant's mail carries
  that text (the shipped template's {{outcome}}), not the issue's title.
"""
import json
import subprocess
import os

import atest as A
from atest import check, check_eq, log

RULES = {"test/complaints.yaml": A.rules_file(A.complaint_rule("test.dorm", "dormitory", "high"))}
EMAIL, PHONE, ODD = "student.zhang@example.com", "138-1234-5678", "wechat:zhang_2030"


def close_issue(hq, number):
    hq.lifecycle("rectified", number, actor="contact.anju", evidence="已整改，附照片")
    hq.lifecycle("rechecked", number, actor="lin.sup", result="pass")


def test_feedback():
    st = A.Stack(rules=RULES)
    try:
        st.start()
        for i, c in enumerate((EMAIL, PHONE, ODD)):
            st.hq.complaint("dormitory", "宿舍热水问题 %d" % i, site="dorm-3", contact=c)
        opened = [r for r in st.hq.outbox() if r["kind"] == "opened"]
        check_eq(len(opened), 3, "issues opened")
        for r in opened:
            close_issue(st.hq, r["issue"])
        recs = st.hq.outbox()
        fb = {r["contact"]: r for r in recs if r["kind"] == "feedback"}
        check_eq(sorted(fb), sorted([EMAIL, PHONE, ODD]), "feedback records carry the contacts")
        mail_key = "%d-complainant:%s-complaint-mail" % (fb[EMAIL]["seq"], fb[EMAIL]["issue"])
        sms_key = "%d-complainant:%s-sms" % (fb[PHONE]["seq"], fb[PHONE]["issue"])
        st.wait_keys(st.expected(recs) | {mail_key, sms_key}, what="closed alerts and feedback")
        dead = A.wait_for(lambda: A.read_dead(st.ad.state), 30, "the dead letter of the odd contact")
        check_eq(len(dead), 1, "dead letters")
        d = dead[0][1]
        check_eq((d["recipient"], d["channel"], d["seq"], d["error"]),
                 ("complainant:" + fb[ODD]["issue"], "-", fb[ODD]["seq"],
                  "the complainant's contact is neither an e-mail address nor a phone number, and there is no "
                  "channel for other contacts (policies.complainant.other)"), "dead letter")
        # houqinctl deadletters shows the same, without the contact.
        ctl = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(A.ARGS.alertd)))),
                           "tools", "houqinctl", "houqinctl")
        out = subprocess.run([ctl, "deadletters", "--state", st.ad.state, "--json"], capture_output=True,
                             text=True, timeout=30)
        check_eq(out.returncode, 0, "houqinctl deadletters exit status (%s)" % out.stderr)
        listed = json.loads(out.stdout)
        check_eq([(x["recipient"], x["seq"], x["error"]) for x in listed], [(d["recipient"], d["seq"], d["error"])],
                 "houqinctl deadletters --json")
        check(ODD not in out.stdout, "the contact in houqinctl deadletters")
        # --alertd-state, the deprecated name of --state, still works.
        old = subprocess.run([ctl, "deadletters", "--alertd-state", st.ad.state, "--json"], capture_output=True,
                             text=True, timeout=30)
        check_eq((old.returncode, old.stdout), (0, out.stdout), "houqinctl deadletters --alertd-state")
        # Each feedback record went to its complainant only.
        for c, r in fb.items():
            mine = [k for k in st.keys() if k.startswith("%d-" % r["seq"])]
            check_eq(mine, {EMAIL: [mail_key], PHONE: [sms_key], ODD: []}[c], "deliveries of feedback %d" % r["seq"])
        mail = [m for m in st.smtp.got() if m["key"] == mail_key][0]
        check_eq((mail["rcpt"], mail["from"]), ([EMAIL], "houqin-feedback@example.edu.cn"), "feedback mail envelope")
        check_eq(mail["subject"], "您反映的问题已处理（%s）" % fb[EMAIL]["issue"], "feedback subject")
        check(fb[EMAIL]["issue"] in mail["body"] and "已处理完毕" in mail["body"], "body: %r" % mail["body"])
        sms = [s for k, w, s in st.deliveries() if k == sms_key][0]
        check_eq((sms["recipient"]["to"], sms["audience"], sms["kind"]), (PHONE, "complainant", "feedback"), "SMS")
        # The contacts appear nowhere else.
        for k, w, p in st.deliveries():
            if k in (mail_key, sms_key):
                continue
            text = repr(p) if not w.startswith("mail:") else p["raw"].decode("utf-8", "replace") + p["body"]
            for c in (EMAIL, PHONE, ODD):
                check(c not in text, "contact %s in delivery %s (%s)" % (c, k, w))
        st.stop()
        logtext = st.ad.log_text()
        check("complainant:" in logtext, "the log names complainants by issue")
        for c in (EMAIL, PHONE, ODD, "zhang"):
            check(c not in logtext, "contact %r in alertd's log" % c)
        for _, d in A.read_dead(st.ad.state):
            check(not any(c in repr(d) for c in (EMAIL, PHONE, ODD)), "contact in a dead letter: %r" % d)
        check_eq(A.read_queue(st.ad.state), [], "nothing pending")
        # Nothing pending: the alerts (and with them the contacts) are gone from alertd's state.
        raw = open(os.path.join(st.ad.state, "data.mdb"), "rb").read()
        log("data.mdb holds the e-mail contact: %s (freed pages are not wiped by LMDB)" % (EMAIL.encode() in raw))
    finally:
        st.kill()


OUTCOME = "经调查，系热水器温控阀故障，已于当日更换，热水供应恢复正常。"


def test_outcome():
    st = A.Stack(rules=RULES)
    try:
        st.start()
        st.hq.complaint("dormitory", "宿舍没有热水", site="dorm-3", contact=EMAIL)
        number = [r for r in st.hq.outbox() if r["kind"] == "opened"][0]["issue"]
        st.hq.lifecycle("closed", number, actor="wang.director", reason="维修完成（内部记录）", outcome=OUTCOME)
        fb = [r for r in st.hq.outbox() if r["kind"] == "feedback"]
        check_eq(len(fb), 1, "feedback records")
        check_eq(fb[0].get("outcome"), OUTCOME, "the outcome on the feedback record")
        key = "%d-complainant:%s-complaint-mail" % (fb[0]["seq"], number)
        st.wait_keys({key}, what="the feedback mail")
        mail = [m for m in st.smtp.got() if m["key"] == key][0]
        check("处理结果：" + OUTCOME in mail["body"], "the outcome in the mail: %r" % mail["body"])
        check("内部记录" not in mail["body"], "the internal reason is not told")
        st.stop()
    finally:
        st.kill()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_feedback, test_outcome])
