#!/usr/bin/python3
"""houqin-alertd delivers what houqind decides, to the right people, on the
right channels, in order (issue 5, "Tests that must exist", the first one).

- test_escalation: the shipped cold-storage rule on the manual clock: the
  issue opens, goes overdue, escalates to level 2 and 3.  For every outbox
  record the sinks get exactly the deliveries the organisation file says
  (roles resolved by domain and contractor, each person's channels, one
  message per shared robot), each idempotency key once, each lane (one
  recipient on one channel) in seq order.  The content: the contractor's
  contacts get the rectification notice (number, deadline, what to send
  back), the office's people the supervisor's version; WeCom and DingTalk
  robot bodies, plain JSON with the Idempotency-Key header, e-mail with a
  RFC 2047 UTF-8 subject and a Message-ID from the key, commands with the
  alert on stdin, the file channel one JSON line per alert.
- test_basics: --help, --check on the shipped rules, READY=1 on
  NOTIFY_SOCKET after start-up, WATCHDOG=1 when systemd asks for it
  (WATCHDOG_USEC), STOPPING=1 and exit 0 on SIGTERM, and a restart that
  delivers nothing again.
"""
from collections import Counter

import atest as A
from atest import HOUR, MIN, T0, check, check_eq, log



def cold_rules():
    return {"catering/cold-storage.yaml": A.shipped("catering/cold-storage.yaml")}


def reading(hq, value, sensor="cs-001"):
    hq.send("sensor.reading", {"sensor": sensor, "kind": "cold_storage_temp", "value": value, "unit": "C",
                               "site": "canteen-1"})


def open_cold_issue(hq, t0=T0):
    for m in range(0, 30, 5):
        hq.set_clock(t0 + m * MIN)
        reading(hq, 9.5)
    hq.set_clock(t0 + 30 * MIN)


def lanes_in_order(keys):
    """Every lane's seqs are increasing (keys "<seq>-<recipient>-<channel>")."""
    last = {}
    for k in keys:
        seq, lane = k.split("-", 1)
        check(int(seq) > last.get(lane, 0), "lane %s: %s after seq %d" % (lane, k, last.get(lane, 0)))
        last[lane] = int(seq)


def check_content(st, rec):
    """The deliveries of one 'opened' record, looked at closely."""
    seq, number = rec["seq"], rec["issue"]
    dl = {k: (w, p) for k, w, p in st.deliveries()}
    # The contractor's contact: the rectification notice by mail.
    w, m = dl["%d-contact.xinyuan-mail" % seq]
    check_eq(m["rcpt"], ["pm@xinyuan.example.com"], "contractor mail recipient")
    check("整改通知" in m["subject"] and number in m["subject"], "contractor subject: %r" % m["subject"])
    for want in (number, "鑫源餐饮管理有限公司", "整改期限", "整改反馈", "第一食堂"):
        check(want in m["body"], "contractor notice lacks %r:\n%s" % (want, m["body"]))
    check(b"=?UTF-8?B?" in m["raw"], "the subject is RFC 2047 encoded")
    check_eq(m["msgid"], "<%d-contact.xinyuan-mail@example.edu.cn>" % seq, "Message-ID")
    check_eq(m["msg"].get_content_charset(), "utf-8", "charset")
    check_eq(str(m["msg"]["MIME-Version"]), "1.0", "MIME-Version")
    # An office person: the supervisor's version, by mail and webhook.
    w, m = dl["%d-chen.catering-mail" % seq]
    for want in ("陈科长", number, "新整改通知", "鑫源餐饮管理有限公司", "严重程度"):
        check(want in m["body"], "office mail lacks %r:\n%s" % (want, m["body"]))
    check("请收到通知后立即签收" not in m["body"], "the office gets the office's version")
    w, j = dl["%d-chen.catering-hook" % seq]
    check_eq((j["idempotency_key"], j["seq"], j["issue"], j["audience"], j["recipient"]["id"], j["channel"]),
             ("%d-chen.catering-hook" % seq, seq, number, "office", "chen.catering", "hook"), "webhook JSON")
    check("contact" not in j, "no contact field in alerts")
    # Shared robots: one message per alert, in the robots' formats.
    w, b = dl["%d-group-wecom" % seq]
    check_eq((w, b["msgtype"], sorted(b)), ("/wecom/office", "text", ["msgtype", "text"]), "WeCom body")
    check(number in b["text"]["content"] and "新整改通知" in b["text"]["content"], "WeCom content")
    w, b = dl["%d-group-dingtalk-x" % seq]
    check_eq((w, b["msgtype"]), ("/dingtalk/xinyuan", "text"), "DingTalk body")
    check("整改通知" in b["text"]["content"] and "整改反馈" in b["text"]["content"],
          "the contractor's robot gets the notice: %r" % b["text"]["content"])
    # The contractor's SMS (command channel) and the archive line.
    w, s = dl["%d-contact.xinyuan-sms" % seq]
    check_eq((s["recipient"]["to"], s["audience"]), ("13900000001", "contractor"), "SMS JSON on stdin")
    w, a = dl["%d-group-archive" % seq]
    check_eq((a["seq"], a["audience"]), (seq, "office"), "archive line")
    # The webhook sink saw the header and JSON content type.
    hooks = [d for d in st.web.got("/hook") if d["key"] == "%d-chen.catering-hook" % seq]
    check("application/json" in hooks[0]["ctype"], "content type %r" % hooks[0]["ctype"])


def test_escalation():
    st = A.Stack(rules=cold_rules())
    try:
        st.start()
        open_cold_issue(st.hq)
        recs = st.hq.outbox()
        check_eq([r["kind"] for r in recs], ["opened"], "outbox after the issue opened")
        opened = recs[0]
        want = st.expected(recs)
        check(len(want) > 10, "expected deliveries: %r" % sorted(want))
        st.wait_keys(want, what="the opened alert")
        check_content(st, opened)
        # Overdue at the deadline, level 2 two hours later, level 3 a day later.
        deadline = opened["deadline_ms"]
        for t, what in ((deadline, "overdue"), (deadline + 2 * HOUR, "level 2"), (deadline + 24 * HOUR, "level 3")):
            st.hq.set_clock(t)
            recs = st.hq.outbox()
            st.wait_keys(st.expected(recs), what=what)
        kinds = [r["kind"] for r in recs]
        check("escalated" in kinds and "overdue" in kinds, "kinds: %r" % kinds)
        lv3 = [r for r in recs if r["kind"] == "escalated" and r["level"] == 3]
        check(lv3, "no level 3 escalation: %r" % kinds)
        # The vice-president is reached at level 3 (and only from then on), by SMS too.
        vp = sorted(k for k in st.keys() if "-zhao.vp-" in k)
        check(vp and all(int(k.split("-")[0]) >= lv3[0]["seq"] for k in vp), "vice-president: %r" % vp)
        check("%d-zhao.vp-sms" % lv3[0]["seq"] in vp, "VP SMS at level 3")
        keys = st.keys()
        check_eq(set(keys), st.expected(recs), "delivered = expected, nothing else")
        dup = [k for k, n in Counter(keys).items() if n > 1]
        check_eq(dup, [], "keys delivered twice")
        for where in ("/hook", "sms"):
            lanes_in_order([k for k, w, p in st.deliveries() if w == where])
        lanes_in_order([m["key"] for m in st.smtp.got()])
        log("%d records, %d deliveries, each once, in order" % (len(recs), len(keys)))
        st.stop()
    finally:
        st.kill()


def test_basics():
    rc, out, err = A.run_alertd(["--help"])
    check(rc == 0 and "SYNOPSIS" in out and "--subscribe" in out and "idempotency" in out.lower(),
          "--help: %d %r" % (rc, out[:200]))
    # The shipped rules load, and --check says their placeholders cannot work
    # (alertd.check names each one).
    rc, out, err = A.run_alertd(["--check", "--rules", A.ARGS.rules, "--schemas", A.ARGS.schemas])
    check(rc == 1 and "problem(s): this configuration cannot deliver every alert" in out and not err.strip(),
          "--check on the shipped rules: %d %s %s" % (rc, out, err))
    rc, out, err = A.run_alertd(["--bogus"])
    check_eq(rc, 1, "unknown option")
    check(err.endswith("Try 'houqin-alertd --help'.\n"), "unknown option: %r" % err)
    for args, want in ((["--max-in-flight", "0"], "houqin-alertd: --max-in-flight: expected 1..4096\n"),
                       (["--clock", "fast"], "houqin-alertd: --clock: expected real or follow, got \"fast\"\n"),
                       (["stray"], "houqin-alertd: unexpected argument \"stray\"\nTry 'houqin-alertd --help'.\n")):
        rc, out, err = A.run_alertd(args)
        check_eq((rc, out, err), (1, "", want), "houqin-alertd %s" % " ".join(args))
    st = A.Stack(rules=cold_rules())
    try:
        st.start()
        check(any("READY=1" in m for m in st.ad.notify.msgs), "READY=1")
        open_cold_issue(st.hq)
        want = st.expected(st.hq.outbox())
        st.wait_keys(want)
        p = st.ad.proc
        notify = st.ad.notify
        p.send_signal(A.signal.SIGTERM)
        check_eq(p.wait(timeout=30), 0, "exit status after SIGTERM")
        st.ad.proc = None
        check(any("STOPPING=1" in m for m in notify.drain()), "STOPPING=1: %r" % notify.msgs)
        notify.close()
        n = len(st.keys())
        # A restart delivers nothing again; a new alert still goes out.
        st.ad.env = {"WATCHDOG_USEC": "200000"}
        st.ad.start()
        check(st.ad.notify.wait("WATCHDOG=1", 10, st.ad.proc), "WATCHDOG=1 with WATCHDOG_USEC set")
        st.hq.complaint("catering", "x", contact=None)  # no rule for single complaints: nothing new
        st.hq.set_clock(st.hq.now() + 5 * HOUR)          # overdue: new records
        recs = st.hq.outbox()
        st.wait_keys(st.expected(recs))
        check_eq([k for k, c in Counter(st.keys()).items() if c > 1], [], "nothing twice after a restart")
        check(len(st.keys()) > n, "new deliveries after the restart")
        st.stop()
    finally:
        st.kill()


if __name__ == "__main__":
    A.parse_args()
    A.main([test_escalation, test_basics])
