#!/usr/bin/python3
"""houqinctl ack | rectify | recheck | comment | close | opinion (issue 7
item 2): each sends one lifecycle event through the ingest socket with the
acting person as data.actor, prints the daemon's reply, exits 0 when it is
stored (or a duplicate), and shows a refusal exactly as houqind gave it
with exit 1; bad usage exits 2 without sending anything.
"""
import os

import hqtool as H
from hqtool import T, check, check_eq

D = None
N1 = "HQ-2036-000001"


def last_event(d):
    view = T.read_store(d.state)
    seq = max(view.events)
    return T.unpack(view.events[seq][1])


def issue(num):
    return H.ctl("issue", num, "--json", "--state", D.state).json()


def act(*args, rc=0, env=None):
    return H.ctl(*(list(args) + ["--ingest", D.ingest_ep]), check_rc=rc, env=env)


def raw_error(type_, data):
    """What houqind answers to the same event sent directly."""
    one = T.OneShot(D.ingest_ep)
    try:
        r = one.request(T.pack(T.event("raw-%d" % os.getpid() + type_, type=type_, ts=H.ms("2036-03-03 09:00"),
                                       data=data)))
    finally:
        one.close()
    check_eq(r.get("status"), "rejected", "direct send of %s" % type_)
    return r["error"]


def test_start():
    global D
    D = H.manual_daemon("2036-03-03 09:00")
    H.inspection(D, "2036-03-03 09:00", "spot", "catering", "canteen-1", "fs.storage", "生熟混放", "a-1")
    check_eq(issue(N1)["state"], "opened", "the issue")


def test_ack_and_refusal():
    r = act("ack", N1, "--actor", "contact.xinyuan", "--note", "收到")
    check(r.text.startswith("stored %s issue.acknowledged id=" % N1) and " seq=" in r.text, "reply: %r" % r)
    ev = last_event(D)
    check_eq((ev["type"], ev["data"]), ("issue.acknowledged", {"issue": N1, "actor": "contact.xinyuan",
                                                               "note": "收到"}), "the event sent")
    check_eq(issue(N1)["state"], "acknowledged", "state after ack")
    tl = issue(N1)["timeline"][-1]
    check_eq((tl["actor"], tl["kind"]), ("contact.xinyuan", "acknowledged"), "timeline")
    # A second ack does not fit: houqind's reason, shown as it is, exit 1.
    want = raw_error("issue.acknowledged", {"issue": N1, "actor": "x"})
    r = act("ack", N1, "--actor", "contact.xinyuan", rc=1)
    check_eq(r.out, b"", "stdout of a refusal")
    check_eq(r.errtext.strip(), "rejected %s issue.acknowledged: %s" % (N1, want), "refusal")
    # $USER is the default actor
    r = act("comment", N1, "默认操作人", env={"USER": "someone"})
    check_eq(issue(N1)["timeline"][-1]["actor"], "someone", "actor from $USER")


def test_rectify_recheck_opinion_close():
    r = act("recheck", N1, "--pass", "--actor", "lin.sup", rc=1)
    check("recheck needs a rectification" in r.errtext, "recheck before rectify: %r" % r)
    act("rectify", N1, "--actor", "contact.xinyuan", "--evidence", "已分区存放", "--link", "https://e/1.jpg",
        "--link", "https://e/2.jpg", "--measures", "每日自查")
    ev = last_event(D)
    check_eq(ev["data"].get("photos"), ["https://e/1.jpg", "https://e/2.jpg"], "links as data.photos")
    check_eq((ev["data"]["evidence"], ev["data"]["measures"]), ("已分区存放", "每日自查"), "evidence")
    check_eq(issue(N1)["state"], "rectified", "after rectify")
    act("recheck", N1, "--fail", "--note", "仍有混放", "--method", "on_site", "--actor", "lin.sup")
    check_eq(last_event(D)["data"]["result"], "fail", "result")
    i = issue(N1)
    check_eq((i["state"], i["failed_rechecks"]), ("reopened", 1), "after a failed recheck")
    act("opinion", N1, "--text", "学生在微博发帖称食堂卫生差", "--platform", "weibo", "--url", "https://weibo.com/x",
        "--actor", "wang.director")
    ev = last_event(D)
    check_eq(ev["type"], "issue.opinion", "opinion type")
    check_eq((ev["data"]["summary"], ev["data"]["platform"]), ("学生在微博发帖称食堂卫生差", "weibo"), "opinion data")
    check(issue(N1)["accountability"] is True, "an opinion starts accountability")
    act("comment", N1, "请立即整改", "--actor", "chen.catering")
    check_eq((issue(N1)["timeline"][-1]["kind"], issue(N1)["timeline"][-1]["what"]), ("comment", "请立即整改"), "comment")
    act("close", N1, "--reason", "合同终止，转入台账", "--resolution", "other", "--actor", "wang.director")
    i = issue(N1)
    check_eq((i["state"], i["close_reason"]), ("closed", "合同终止，转入台账"), "closed")
    r = act("close", N1, "--reason", "again", "--actor", "wang.director", rc=1)
    check("the issue is closed" in r.errtext, "closing twice: %r" % r)


def test_unknown_issue_and_duplicate():
    want = raw_error("issue.comment", {"issue": "HQ-2036-000099", "actor": "x", "text": "t"})
    r = act("comment", "HQ-2036-000099", "t", "--actor", "x", rc=1)
    check_eq(r.errtext.strip(), "rejected HQ-2036-000099 issue.comment: %s" % want, "unknown issue")
    same = ["comment", N1, "同一事件", "--actor", "x", "--id", "fixed-id-1", "--ts", "2088208800000"]
    r1 = act(*same)
    r2 = act(*same)
    check(r1.text.startswith("stored ") and r2.text.startswith("duplicate "), "resend: %r %r" % (r1, r2))
    check_eq(r1.text.split("seq=")[1], r2.text.split("seq=")[1], "same seq")
    check_eq(sum(1 for t in issue(N1)["timeline"] if t["kind"] == "comment" and t["what"] == "同一事件"), 1, "applied once")


def test_bad_usage():
    view = T.read_store(D.state)
    before = len(view.events)
    cases = [
        ["ack"],
        ["ack", "HQ-2036-1"],
        ["ack", "not-a-number", "--actor", "x"],
        ["ack", N1, "--reason", "x", "--actor", "x"],
        ["rectify", N1, "--actor", "x"],
        ["rectify", N1, "--actor", "x", "--evidence", ""],
        ["recheck", N1, "--actor", "x"],
        ["recheck", N1, "--pass", "--fail", "--actor", "x"],
        ["comment", N1, "--actor", "x"],
        ["close", N1, "--actor", "x"],
        ["opinion", N1, "--actor", "x"],
        ["comment", N1, "a", "b", "--actor", "x"],
        ["ack", N1, "--actor", "x", "--timeout", "soon"],
        ["ack", N1, "--bogus"],
    ]
    for c in cases:
        r = act(*c, rc=2)
        check(r.out == b"" and len(r.errtext.strip().splitlines()) == 1, "%s: %r" % (c, r))
    r = H.ctl("ack", N1, "--ingest", D.ingest_ep, check_rc=2, env={"USER": ""})
    check("--actor" in r.errtext, "no actor: %r" % r)
    check_eq(len(T.read_store(D.state).events), before, "nothing was sent by bad usage")


def test_no_daemon():
    d = T.tmpdir()
    r = H.ctl("ack", N1, "--actor", "x", "--ingest", "ipc://%s/none" % d, "--timeout", "200", "--retries", "0",
              check_rc=1)
    check(r.errtext.startswith("timeout %s issue.acknowledged:" % N1), "no answer: %r" % r)


def test_stop():
    D.stop()


if __name__ == "__main__":
    H.parse_args()
    T.main([test_start, test_ack_and_refusal, test_rectify_recheck_opinion_close, test_unknown_issue_and_duplicate,
            test_bad_usage, test_no_daemon, test_stop])
