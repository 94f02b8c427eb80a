#!/usr/bin/python3
"""Who may do what, through the real daemon (issue 13; SPEC §6a).

test_curve_people: CURVE on, with staff keys (staff_keys in the rules) for a
supervisor (lin.sup), a section head (chen.catering) and a contractor's
contact (contact.xinyuan), a gateway (web-1, on_behalf: [supervisor,
section_head, contractor_contact]) and a plain producer (gw-1).  Each
allowed action is stored, with the timeline saying how the actor was proven
("key", "via:web-1"); each forbidden one is rejected with the rule that
refused it and the event id, and nothing is written: the issue's timeline
length, the event log and the outbox sequence are unchanged.  The report's
case: the contractor's recheck --pass of its own rectification is refused.
A forged actor through a producer key without on_behalf is refused, logged
and counted (status by reason and source; houqinctl stats --prometheus).
houqinctl recheck with a staff key works, and with another --actor is
refused.  A permission file that lets contractors close is refused on
reload, and the running table stays.

test_without_curve: loopback without CURVE: the actor is still checked
(unknown person, contractor closing, self-recheck refused) and the
timeline marks the action "unauthenticated".
"""
import os
import shutil
import signal
import subprocess
import time

import hqtest as T
from hqtest import check, check_eq

ARGS = T.parse_args()
CTL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(ARGS.houqind))), "..", "tools", "houqinctl",
                   "houqinctl")
TS = 1773022500000  # 2026-03-09


def ctl(*args, rc=0):
    p = subprocess.run([CTL] + list(args), capture_output=True, text=True, timeout=60)
    check_eq(p.returncode, rc, "houqinctl %s (stdout %r, stderr %r)" % (" ".join(args), p.stdout, p.stderr))
    return p


def keygen(path):
    ctl("keygen", path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    pub = text.split('public: "')[1].split('"')[0]
    sec = text.split('secret: "')[1].split('"')[0]
    return pub, sec


def rules_copy(d, extra_files):
    dst = os.path.join(d, "rules")
    shutil.copytree(ARGS.rules, dst, ignore=shutil.ignore_patterns("tests", "*.test.yaml"))
    for name, text in extra_files.items():
        with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
            f.write(text)
    return dst


class Client:
    """One DEALER with a key pair (or none), sending events one at a time."""

    def __init__(self, ep, server_pub=None, keys=None):
        import zmq
        self.zmq = zmq
        self.s = zmq.Context.instance().socket(zmq.DEALER)
        self.s.setsockopt(zmq.LINGER, 0)
        if keys:
            self.s.curve_serverkey = server_pub.encode()
            self.s.curve_publickey = keys[0].encode()
            self.s.curve_secretkey = keys[1].encode()
        self.s.connect(ep)
        self.n = 0

    def send(self, type_, source, data, id=None):
        self.n += 1
        id = id or "%s-%d-%d" % (source, os.getpid(), self.n)
        self.s.send(T.pack(T.event(id, type=type_, source=source, ts=TS + self.n, data=data)))
        p = self.zmq.Poller()
        p.register(self.s, self.zmq.POLLIN)
        check(p.poll(10000), "no reply to %s from %s" % (type_, source))
        r = T.unpack(self.s.recv())
        check_eq(r.get("id"), id, "the reply carries the event id")
        return r

    def close(self):
        self.s.close()


def inspection(site):
    return {"kind": "spot", "domain": "catering", "site": site, "inspector": "lin.sup",
            "items": [{"code": "fs.storage", "result": "fail", "note": "生熟混放"}]}


def issue(dm, number):
    p = ctl("issue", number, "--json", "--state", dm.state)
    import json
    return json.loads(p.stdout)


def snapshot(dm, number):
    st = dm.status()
    return (len(issue(dm, number)["timeline"]), st["events"], st["outbox_last"], st["last_seq"])


def stored(r, what):
    check(r.get("status") == "stored", "%s: expected stored, got %r" % (what, r))


def refused(dm, number, r, words, what):
    """r was rejected with words in the reason, and nothing was written."""
    check(r.get("status") == "rejected", "%s: expected a refusal, got %r" % (what, r))
    check(words in r.get("error", ""), "%s: the reason %r does not say %r" % (what, r.get("error"), words))


def test_curve_people():
    d = T.tmpdir("hq-perm-")
    server_pub, _ = keygen(os.path.join(d, "server"))
    keys = {n: keygen(os.path.join(d, n)) for n in ("sup", "head", "ctr", "gw", "web")}
    staff = ("staff_keys:\n"
             "  - {person: lin.sup, key: \"%s\"}\n"
             "  - {person: chen.catering, key: \"%s\"}\n"
             "  - {person: contact.xinyuan, key: \"%s\"}\n") % (keys["sup"][0], keys["head"][0], keys["ctr"][0])
    rules = rules_copy(d, {"staff-keys.yaml": staff})
    allow = os.path.join(d, "allow.yaml")
    with open(allow, "w", encoding="utf-8") as f:
        f.write("producers:\n"
                "  - {source: gw-1, key: \"%s\", types: [inspection.submitted, issue.comment]}\n"
                "  - {source: web-1, key: \"%s\", types: [\"*\"], on_behalf: [supervisor, section_head, "
                "contractor_contact]}\n" % (keys["gw"][0], keys["web"][0]))
    port = 46000 + os.getpid() % 3000
    ep = "tcp://127.0.0.1:%d" % port
    dm = T.Daemon(extra=["--rules", rules, "--ingest", ep, "--curve-key", os.path.join(d, "server"),
                         "--allow", allow])
    dm.ingest_ep = ep
    c = {}
    try:
        dm.start()
        c = {n: Client(ep, server_pub, keys[n]) for n in keys}
        stored(c["gw"].send("inspection.submitted", "gw-1", inspection("canteen-1")), "inspection")
        stored(c["gw"].send("inspection.submitted", "gw-1", inspection("canteen-2")), "inspection 2")
        N1, N2 = "HQ-2026-000001", "HQ-2026-000002"
        check_eq(issue(dm, N1)["contractor"], "xinyuan-catering", "issue 1's contractor")

        def act(who, source, type_, number, actor, **data):
            body = {"issue": number, "actor": actor}
            body.update(data)
            return c[who].send(type_, source, body)

        def no_write(number, r, words, what):
            before = snapshot(dm, number)
            refused(dm, number, r(), words, what)
            check_eq(snapshot(dm, number), before, "%s wrote something (timeline, events, outbox, seq)" % what)

        # The contractor's contact: ack and rectify its own issue, with its key.
        stored(act("ctr", "contact.xinyuan", "issue.acknowledged", N1, "contact.xinyuan"), "contractor ack")
        tl = issue(dm, N1)["timeline"][-1]
        check_eq((tl["actor"], tl.get("auth")), ("contact.xinyuan", "key"), "the ack's timeline entry")
        # The report's case: the contractor passes (or closes) its own issue.
        no_write(N1, lambda: act("ctr", "contact.xinyuan", "issue.rectified", N1, "lin.sup", evidence="x"),
                 "is not contact.xinyuan", "a forged actor on a staff key")
        stored(act("ctr", "contact.xinyuan", "issue.rectified", N1, "contact.xinyuan", evidence="已分区存放"),
               "contractor rectify")
        no_write(N1, lambda: act("ctr", "contact.xinyuan", "issue.rechecked", N1, "contact.xinyuan", result="pass"),
                 "separation of duties: contact.xinyuan is a contractor's contact", "the contractor's self-recheck")
        no_write(N1, lambda: act("ctr", "contact.xinyuan", "issue.closed", N1, "contact.xinyuan", reason="ok"),
                 "may never close", "the contractor closing")
        # ... a staff key sends only as its person
        r = c["ctr"].send("issue.comment", "houqinctl", {"issue": N1, "actor": "contact.xinyuan", "text": "x"})
        check(r["status"] == "rejected" and "not the person this staff key" in r["error"], "staff source: %r" % r)
        # The supervisor: recheck and comment; not close, not ack.
        no_write(N1, lambda: act("sup", "lin.sup", "issue.closed", N1, "lin.sup", reason="ok"),
                 "no role of lin.sup may close", "the supervisor closing")
        stored(act("sup", "lin.sup", "issue.rechecked", N1, "lin.sup", result="fail", note="仍有混放"),
               "supervisor recheck fail")
        stored(act("ctr", "contact.xinyuan", "issue.rectified", N1, "contact.xinyuan", evidence="增设隔板"), "again")
        # houqinctl with the supervisor's key: another --actor is refused, its own passes.
        base = ["--ingest", ep, "--curve-server", os.path.join(d, "server.pub"), "--curve-key",
                os.path.join(d, "sup")]
        before = snapshot(dm, N1)
        p = ctl("recheck", N1, "--pass", "--actor", "chen.catering", *base, rc=1)
        check("is not the person this staff key is bound to" in p.stderr or "not lin.sup" in p.stderr or
              "is not lin.sup" in p.stderr or "lin.sup, the person" in p.stderr, "houqinctl, other actor: %r" % p.stderr)
        check_eq(snapshot(dm, N1), before, "a refused houqinctl recheck wrote something")
        p = ctl("recheck", N1, "--pass", "--actor", "lin.sup", *base)
        check(p.stdout.startswith("stored %s issue.rechecked" % N1), "houqinctl recheck: %r" % p.stdout)
        i1 = issue(dm, N1)
        check_eq((i1["state"], i1["timeline"][-1]["actor"]), ("closed", "lin.sup"), "closed by the supervisor")
        check_eq(i1["timeline"][-1].get("auth"), "key", "the pass is marked as proven by a key")
        # The section head: comment and close in its domain.
        stored(act("head", "chen.catering", "issue.comment", N2, "chen.catering", text="请举一反三"), "head comment")
        no_write(N2, lambda: act("head", "chen.catering", "issue.accountability", N2, "chen.catering",
                                 reason="x"), "no role of chen.catering may accountability",
                 "a section head starting accountability")
        # The gateway: acts for people of its roles, and says so.
        stored(act("web", "web-1", "issue.comment", N2, "lin.sup", text="网页端备注"), "gateway comment")
        tl = issue(dm, N2)["timeline"][-1]
        check_eq((tl["actor"], tl.get("auth")), ("lin.sup", "via:web-1"), "the gateway's timeline entry")
        view = T.read_store(dm.state)
        ev = T.unpack(view.events[max(view.events)][1])
        check_eq((ev["source"], ev["data"]["actor"]), ("web-1", "lin.sup"), "the stored event keeps both")
        no_write(N2, lambda: act("web", "web-1", "issue.closed", N2, "wang.director", reason="x"),
                 "may not act for wang.director", "a gateway acting for a role it may not")
        no_write(N2, lambda: act("web", "web-1", "issue.comment", N2, "nobody-at-all", text="x"),
                 "no person of the organisation", "a gateway naming an unknown person")
        no_write(N2, lambda: act("web", "web-1", "issue.rechecked", N2, "contact.xinyuan", result="pass"),
                 "separation of duties", "a gateway passing for a contractor")
        # A producer without on_behalf cannot name an actor.
        no_write(N2, lambda: act("gw", "gw-1", "issue.comment", N2, "chen.catering", text="forged"),
                 "may not act on behalf of people", "a forged actor through a producer key")
        stored(act("head", "chen.catering", "issue.closed", N2, "chen.catering", reason="误报"), "head close")
        # Counted by reason and by source; logged.
        st = dm.status()
        check_eq(st["permissions"], "on", "status: permissions")
        want = {"key_mismatch": 1, "separation_contractor": 3, "role": 2, "gateway_role": 1, "unknown_actor": 1,
                "not_gateway": 1}
        for k, v in want.items():
            check_eq(st["refusals"][k], v, "refusals[%s]" % k)
        check_eq(st["refusals_by_source"].get("gw-1"), 1, "refusals of gw-1")
        check_eq(st["refusals_by_source"].get("web-1"), 3, "refusals of web-1")
        check_eq(st["refusals_by_source"].get("contact.xinyuan"), 3, "refusals of contact.xinyuan")
        p = ctl("stats", "--state", dm.state, "--control", dm.control_ep, "--interval", "10", "--prometheus")
        check('houqin_refusals_total{reason="separation_contractor"} 3' in p.stdout, "prometheus: %r" % p.stdout)
        check('houqin_refusals_by_source_total{source="gw-1"} 1' in p.stdout, "prometheus by source")
        log = dm.log_text()
        check("refused issue.comment" in log and "from source gw-1 [not_gateway]" in log, "the log: %s" % log[-2000:])
        # A permission file that lets contractors close: the reload is refused.
        with open(os.path.join(rules, "permissions.yaml"), "a", encoding="utf-8") as f:
            f.write("  - {role: contractor_contact, actions: [close]}\n")
        r = dm.control().call({"cmd": "reload"})
        check(r.get("ok") is False and "separation of duties" in r.get("error", ""), "reload: %r" % r)
        stored(c["gw"].send("inspection.submitted", "gw-1", inspection("canteen-1")), "inspection 3")
        no_write("HQ-2026-000003", lambda: act("ctr", "contact.xinyuan", "issue.closed", "HQ-2026-000003",
                                               "contact.xinyuan", reason="x"),
                 "may never close", "after the refused reload")
        dm.stop()
    finally:
        for x in c.values():
            x.close()
        dm.kill()


def test_without_curve():
    dm = T.Daemon()
    c = None
    try:
        dm.start()
        c = Client(dm.ingest_ep)
        stored(c.send("inspection.submitted", "gw-1", inspection("canteen-1")), "inspection")
        N = "HQ-2026-000001"

        def act(type_, actor, **data):
            body = {"issue": N, "actor": actor}
            body.update(data)
            return c.send(type_, "houqinctl", body)

        def no_write(r, words, what):
            before = snapshot(dm, N)
            refused(dm, N, r(), words, what)
            check_eq(snapshot(dm, N), before, "%s wrote something" % what)

        no_write(lambda: act("issue.closed", "nobody-at-all", reason="x"), "no person of the organisation",
                 "close by an unknown actor")
        stored(act("issue.rectified", "contact.xinyuan", evidence="x"), "rectify")
        tl = issue(dm, N)["timeline"][-1]
        check_eq((tl["actor"], tl.get("auth")), ("contact.xinyuan", "unauthenticated"), "marked unauthenticated")
        no_write(lambda: act("issue.rechecked", "contact.xinyuan", result="pass"), "separation of duties",
                 "the contractor's self-recheck")
        no_write(lambda: act("issue.rechecked", "contact.anju", result="pass"), "separation of duties",
                 "another contractor's recheck")
        no_write(lambda: act("issue.rectified", "contact.anju", evidence="x"), "of contractor xinyuan-catering",
                 "another contractor's rectify")
        no_write(lambda: act("issue.rechecked", "guo.sup", result="pass"), "only on domain",
                 "a supervisor of other domains")
        stored(act("issue.rechecked", "lin.sup", result="pass"), "supervisor pass")
        check_eq(dm.status()["refusals"]["separation_contractor"], 2, "counted")
        dm.stop()
    finally:
        if c:
            c.close()
        dm.kill()


if __name__ == "__main__":
    T.main([test_curve_people, test_without_curve])
