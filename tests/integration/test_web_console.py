#!/usr/bin/env python3
"""houqin-web's console and portal against the real houqind (docs/web.md
"Console and portal"): accounts, log-in, lock-out, sessions (expired,
forged, ended by a new password), log-out, SSO header; who sees what
(a contractor never another contractor's issue); actions through houqind
with the person as data.actor, and every refusal: no CSRF token, a
contractor closing, a section head of another domain, a stale page, a
state that does not allow it; the ledger and its CSV; the signed link;
an inspection record."""

import hashlib
import json
import hmac
import html as html_mod
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse

import hqtest
from hqtest import check, check_eq, log
import webtest
from webtest import Web, multipart, csrf_of, houqinctl
import consoletest as ct
import test_web_helpers_png as pngmod
from consoletest import Session, login, account, form_of, breach, issues


def extra(p):
    p.add_argument("--houqin-web", required=True)
    p.add_argument("--houqinctl", required=True)


ARGS = hqtest.parse_args(extra)
CTL = None


def setup(extra=(), rules=None):
    more = ["--rules", rules] if rules else []
    d = hqtest.Daemon(extra=["--clock", "manual"] + more)
    d.start()
    w = Web(d, ARGS.houqin_web, list(extra) + more)
    w.start()
    return d, w


def timeline_len(d, number):
    for i in issues(d, ARGS.houqinctl):
        if i["number"] == number:
            return len(i.get("timeline", [])), i
    return None, None


def forge(d, body):
    key = open(os.path.join(d.state, "web.key"), "rb").read()
    mac = hmac.new(key, b"sess|" + body.encode(), hashlib.sha512).digest()[:32].hex()
    return body + ":" + mac


def test_login_and_sessions():
    d, w = setup()
    ctl = ARGS.houqinctl
    try:
        rc, out, err = account(ctl, d, "lin.sup")
        check_eq(rc, 0, "account set: %s" % err)
        rc, out, err = account(ctl, d, "nobody.here")
        check_eq(rc, 2, "account of a person not in org.yaml refused")
        rc, out, err = account(ctl, d, "lin.sup", "short")
        check_eq(rc, 2, "a short password refused")
        # no session: the console sends to the log-in page
        st, h, b = w.http("GET", "/console")
        check_eq(st, 303, "console without a session")
        check_eq(h.get("location"), "/login", "redirect to /login")
        # log-in without the CSRF token
        st, h, b = w.http("POST", "/login", "person=lin.sup&password=x", {"Content-Type":
                                                                          "application/x-www-form-urlencoded"})
        check_eq(st, 403, "log-in without CSRF")
        st, h, html, c = login(w, "lin.sup", "wrong password")
        check_eq(st, 401, "wrong password")
        check(c is None and "账号或密码错误" in html, "wrong password: no cookie, a message")
        st, h, html, c = login(w, "ghost.person", "whatever1")
        check_eq(st, 401, "unknown person")
        check("账号或密码错误" in html, "unknown person: the same message")
        st, h, html, c = login(w, "lin.sup")
        check_eq(st, 303, "log-in")
        check(c, "a session cookie")
        sc = h["set-cookie"]
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="):
            check(attr in sc, "cookie has %s: %s" % (attr, sc))
        check("Secure" not in sc, "no Secure on plain HTTP without a proxy")
        s = Session(w, c)
        st, h, html = s.get("/console")
        check_eq(st, 200, "dashboard")
        check("林监督员" in html and 'id="trend"' in html, "dashboard with the person and the chart")
        # a forged, a tampered and an expired cookie
        for bad in (c[:-2] + ("00" if not c.endswith("00") else "11"),
                    forge(d, "wang.director:s:x:%x" % (int(time.time()) + 3600)),
                    forge(d, "lin.sup:p:%s:%x" % (c.split(":")[2], int(time.time()) - 10))):
            st, h, b = Session(w, bad).get("/console")
            check_eq(st, 303, "a bad session is no session: %s" % bad[:40])
        # the same cookie with a valid MAC and a future expiry works (the test's forge is right)
        good = forge(d, "lin.sup:p:%s:%x" % (c.split(":")[2], int(time.time()) + 600))
        st, h, b = Session(w, good).get("/console")
        check_eq(st, 200, "a well-signed session works")
        # a new password ends the old sessions
        account(ctl, d, "lin.sup", "another password 7")
        st, h, b = s.get("/console")
        check_eq(st, 303, "old session after a password change")
        st, h, html, c = login(w, "lin.sup", "another password 7")
        check_eq(st, 303, "log-in with the new password")
        s = Session(w, c)
        # log-out: needs the CSRF token of the page
        st, h, html = s.get("/console")
        m = re.search(r'action="/logout"><input type="hidden" name="csrf" value="([^"]+)"', html)
        check(m is not None, "log-out form")
        st, h, b = s.post("/logout", {"csrf": "nope"})
        check(cookie_cleared(h) is False, "log-out without CSRF does nothing")
        st, h, b = s.post("/logout", {"csrf": m.group(1)})
        check_eq(st, 303, "log-out")
        check(cookie_cleared(h), "log-out clears the cookie: %r" % h.get("set-cookie"))
        # lock-out: 5 failures, then even the right password is refused; unlock clears it
        for i in range(5):
            st, h, html, c = login(w, "lin.sup", "bad guess %d" % i)
            check_eq(st, 401, "failure %d" % i)
        st, h, html, c = login(w, "lin.sup", "another password 7")
        check_eq(st, 403, "locked out")
        check("锁定" in html and c is None, "locked out: a message, no cookie")
        check("locked out" in w.log(), "the lock-out is logged")
        check("login failed for lin.sup" in w.log(), "failures are logged")
        rc, out, err = account(ctl, d, "lin.sup", verb="unlock")
        check_eq(rc, 0, "unlock")
        st, h, html, c = login(w, "lin.sup", "another password 7")
        check_eq(st, 303, "log-in after unlock")
        # lock: the session ends and log-in is refused
        account(ctl, d, "lin.sup", verb="lock")
        st, h, b = Session(w, c).get("/console")
        check_eq(st, 303, "a locked account's session ends")
        st, h, html, c2 = login(w, "lin.sup", "another password 7")
        check_eq(st, 401, "a locked account cannot log in")
    finally:
        w.stop()
        d.stop()


def cookie_cleared(h):
    sc = h.get("set-cookie")
    return bool(sc and sc.startswith("hq_session=;") and "Max-Age=0" in sc)


def test_sso():
    d, w = setup(["--sso-header", "X-Remote-User", "--sso-proxy", "127.0.0.1"])
    try:
        st, h, b = w.http("GET", "/console", None, {"X-Remote-User": "chen.catering"})
        check_eq(st, 200, "SSO header from the proxy's address")
        check("陈科长" in b.decode(), "the SSO person")
        st, h, b = w.http("GET", "/console", None, {"X-Remote-User": "not.a.person"})
        check_eq(st, 303, "SSO header naming no person of org.yaml")
    finally:
        w.stop()
        d.stop()
    d, w = setup(["--sso-header", "X-Remote-User", "--sso-proxy", "10.9.9.9"])
    try:
        st, h, b = w.http("GET", "/console", None, {"X-Remote-User": "wang.director"})
        check_eq(st, 303, "SSO header from another address is ignored")
    finally:
        w.stop()
        d.stop()


def act(s, number, action, fields=None, files=(), html=None, path=None):
    path = path or "/console/issue/" + number
    if html is None:
        st, h, html = s.get(path)
    f = form_of(html, action) or {}
    data = dict(f)
    data.update(fields or {})
    if files:
        body, ctype = multipart(list(data.items()), files)
        return s.post(path, None, ctype, body)
    return s.post(path, data)


def test_scope_and_actions():
    d, w = setup()
    ctl = ARGS.houqinctl
    try:
        for p in ("contact.xinyuan", "contact.hexiang", "lin.sup", "chen.catering", "sun.dorm", "wang.director"):
            check_eq(account(ctl, d, p)[0], 0, "account " + p)
        mine = breach(d, w, ctl, "cs-001")            # xinyuan-catering (canteen-1)
        other = breach(d, w, ctl, "cs-003")  # hexiang-catering (canteen-3)
        log("issues", mine, other)
        cx = Session(w, login(w, "contact.xinyuan")[3])
        sup = Session(w, login(w, "lin.sup")[3])
        head = Session(w, login(w, "chen.catering")[3])
        dorm = Session(w, login(w, "sun.dorm")[3])
        # the contractor sees only its issue: in the ledger, the page, the notice, the CSV
        st, h, html = cx.get("/console/ledger")
        check(mine in html and other not in html, "contractor's ledger holds only its issue")
        st, h, b = cx.get("/console/issue/" + other)
        check_eq(st, 404, "another contractor's issue")
        st, h, b = cx.get("/console/issue/%s/notice" % other)
        check_eq(st, 404, "another contractor's notice")
        st, h, csv = cx.get("/console/ledger.csv")
        check(mine in csv and other not in csv, "contractor's CSV")
        st, h, html = cx.get("/console/issue/" + mine)
        check_eq(st, 200, "own issue")
        check("catering.cold-storage-high" not in html and "事件 " not in html,
              "no rule ids or event numbers in what a contractor reads")
        check("系统" in html and "system" not in html, "houqind's own entries are by 系统, not 'system'")
        check('id="form-ack"' in html and 'id="form-close"' not in html and 'id="form-pass"' not in html,
              "the contractor's forms: ack, not close or pass")
        n0, _ = timeline_len(d, mine)
        # refusals, each writing nothing
        st, h, b = act(cx, mine, "ack", {"csrf": ""})
        check_eq(st, 403, "no CSRF token")
        st, h, b = act(cx, mine, "ack", {"csrf": "", "tl": str(n0)}, html=html.replace('name="csrf"', 'name="x"'))
        check_eq(st, 403, "CSRF token missing entirely")
        st, h, b = act(cx, mine, "ack", {"action": "close", "text": "我们自己办结"}, html=html)
        check_eq(st, 403, "contractor closing")
        check("合作企业不能办结" in b, "the refusal in words")
        st, h, b = act(cx, mine, "ack", {"action": "pass"}, html=html)
        check_eq(st, 403, "contractor passing a recheck")
        st, h, b = act(cx, mine, "ack", {"tl": str(n0 - 1)}, html=html)
        check_eq(st, 409, "stale page")
        check("已有新的进展" in b, "stale page: a clear message")
        st, h, b = dorm.get("/console/issue/" + mine)
        check_eq(st, 404, "section head of another domain cannot see it")
        st, h, b = act(dorm, mine, "comment", {"csrf": csrf_of(html), "tl": str(n0), "action": "close",
                                               "text": "x"}, html="")
        check_eq(st, 404, "section head of another domain cannot act")
        st, h, b = act(sup, mine, "ack", {"action": "pass"}, html=sup.get("/console/issue/" + mine)[2])
        check_eq(st, 403, "a CSRF token of another person does not carry over")
        check_eq(timeline_len(d, mine)[0], n0, "nothing written by the refusals")
        # the contractor acknowledges: 303 after the durable ack; the event names the person
        st, h, b = act(cx, mine, "ack", {"text": "已收到，马上处理"})
        check_eq(st, 303, "ack stored: %s" % b[-400:])
        check(h["location"].endswith("?done=ack"), "redirect after the ack")
        st, h, html = cx.get(h["location"])
        check("已办理：签收" in html, "the page shows it done")
        tl = re.search(r'<ol class="tl".*?</ol>', html, re.S).group(0)
        check("鑫源餐饮项目经理</time>承办单位已签收" in tl, "the timeline names the person: %s" % tl)
        n1, iss = timeline_len(d, mine)
        check_eq(iss["state"], "acknowledged", "acknowledged")
        check_eq(iss["timeline"][-1]["actor"], "contact.xinyuan", "the actor is the logged-in person")
        # a state that does not allow the action (ack again) is refused in words
        st, h, b = act(cx, mine, "rectify", {"action": "ack"})
        check_eq(st, 409, "ack twice")
        # rectify with a photo
        st, h, b = act(cx, mine, "rectify", {"text": "压缩机已更换，温度恢复 4℃"},
                       files=[("photo", "a.png", "image/png", pngmod.png())])
        check_eq(st, 303, "rectify stored: %s" % b[-400:])
        st, h, html = sup.get("/console/issue/" + mine)
        m = re.search(r'<img src="(/console/issue/%s/photo/[0-9a-f]{64})"' % mine, html)
        check(m is not None, "the photo on the issue page")
        st, hh, img = w.http("GET", m.group(1), None, {"Cookie": "hq_session=" + sup.cookie})
        check_eq(st, 200, "the photo served to staff")
        check(img.startswith(b"\x89PNG"), "a PNG")
        st, hh, img = w.http("GET", m.group(1).replace(mine, other), None, {"Cookie": "hq_session=" + sup.cookie})
        check_eq(st, 404, "the photo is not served under another issue")
        # the supervisor fails the recheck, then the contractor rectifies again and the supervisor passes
        check('id="form-pass"' in html and 'id="form-close"' not in html, "supervisor's forms")
        st, h, b = act(sup, mine, "fail", {"text": "冷库温度记录不全"}, html=html)
        check_eq(st, 303, "recheck fail stored")
        check_eq(timeline_len(d, mine)[1]["state"], "reopened", "reopened")
        st, h, b = act(cx, mine, "rectify", {"text": "补齐温度记录"})
        check_eq(st, 303, "second rectification")
        st, h, b = act(sup, mine, "pass", {"text": "复查合格"})
        check_eq(st, 303, "recheck pass stored")
        check_eq(timeline_len(d, mine)[1]["state"], "closed", "closed")
        # the section head of the domain comments on the closed issue; the ledger's CSV has it
        st, h, b = act(head, mine, "comment", {"text": "<script>alert(1)</script>"})
        check_eq(st, 303, "comment by the section head")
        st, h, html = head.get("/console/issue/" + mine)
        check("<script>alert(1)</script>" not in html and "&lt;script&gt;" in html, "text escaped")
        st, h, csv = head.get("/console/ledger.csv?state=closed")
        check(csv.startswith("\ufeff") and mine in csv, "CSV export with the closed issue")
        st, h, html = head.get("/console/ledger?state=open")
        check(mine not in html and other in html, "ledger filter: open")
        st, h, html = head.get("/console/evaluation")
        check_eq(st, 200, "evaluation")
        check("鑫源" in html, "evaluation lists the contractor")
        # houqind's own refusal (an issue closed meanwhile) shows in words
        st, h, html = head.get("/console/issue/" + other)
        st, h, b = act(head, other, "close", {"text": "误报"}, html=html)
        check_eq(st, 303, "close by the section head")
    finally:
        w.stop()
        d.stop()


def test_portal_link_and_inspection():
    d, w = setup()
    ctl = ARGS.houqinctl
    try:
        account(ctl, d, "chen.catering")
        account(ctl, d, "lin.sup")
        number = breach(d, w, ctl, "cs-001")
        head = Session(w, login(w, "chen.catering")[3])
        st, h, html = head.get("/console/issue/%s/notice" % number)
        check_eq(st, 200, "notice")
        m = re.search(r'id="portal-link">[^<]*?http://[^/]+(/p/[^<]+)</p>', html)
        check(m is not None, "the notice carries the signed link")
        link = m.group(1)
        st, h, b = w.http("GET", link)
        html = b.decode()
        check_eq(st, 200, "the signed link works without an account")
        check('id="form-ack"' in html and 'id="form-comment"' not in html, "the link allows ack (and rectify) only")
        st, h, b = w.http("GET", link[:-1] + ("0" if link[-1] != "0" else "1"))
        check_eq(st, 404, "a tampered link")
        f = form_of(html, "ack")
        st, h, b = w.http("POST", link, urllib.parse.urlencode(f), {"Content-Type": "application/x-www-form-urlencoded"})
        check_eq(st, 303, "ack through the link")
        _, iss = timeline_len(d, number)
        check_eq(iss["timeline"][-1]["actor"], "contact.xinyuan", "the link acts as the contractor's contact")
        f["action"] = "comment"
        f["text"] = "x"
        st, h, b = w.http("POST", link, urllib.parse.urlencode(f), {"Content-Type": "application/x-www-form-urlencoded"})
        check_eq(st, 400, "the link allows nothing else")
        # an inspection record from a phone
        sup = Session(w, login(w, "lin.sup")[3])
        # the obligations page links the office's own due inspections to the form
        st, h, html = sup.get("/console/obligations")
        every = re.findall(r'<a class="btn" style="white-space:nowrap;padding:2px 8px" href="(/console/inspect\?[^"]+)">填报</a>', html)
        links = set(every)
        c1 = every.count('/console/inspect?site=canteen-1&amp;kind=self')
        check('/console/inspect?site=canteen-1&amp;kind=self' in links, "links to the form: %r" % sorted(links)[:8])
        check(not [l for l in links if "food_safety_weekly" in l],
              "none to the canteen's own weekly review (the contractor's obligation, from its app)")
        st, h, html = sup.get("/console/inspect?site=canteen-1&kind=key")
        check('<input type="hidden" name="kind" value="key">' in html, "the kind kept through the checklist step")
        st, h, html = sup.get("/console/inspect?site=canteen-1&checklist=food_safety_key&kind=key")
        check('<option value="key" selected>重点检查</option>' in html, "the kind preselected")
        st, h, html = sup.get("/console/inspect?site=canteen-1")
        check_eq(st, 200, "inspection form, step 2")
        offered = re.findall(r'<option value="([a-z_]+)">([^<（]+)（(\d+) 项）</option>', html)
        check(("food_safety_weekly", "每周食品安全排查", "4") in offered and
              all(o[0] not in ("dorm_daily", "laundry") for o in offered),
              "the catering checklists of rules/checklists.yaml offered, in words: %r" % (offered or html[-1500:]))
        st, h, html = sup.get("/console/inspect?site=canteen-1&checklist=food_safety_weekly")
        check_eq(st, 200, "inspection form")
        check("检查表：每周食品安全排查" in html and "防鼠防虫" in html and "离墙离地" in html,
              "the checklist's items: label and standard")
        csrf = re.search(r'action="/console/inspect" enctype="multipart/form-data"><input type="hidden" '
                         r'name="csrf" value="([^"]+)"', html).group(1)
        st, h, b = sup.post("/console/inspect", {"csrf": csrf, "site": "canteen-1", "kind": "self",
                                                 "checklist": "dorm_daily", "i:fs.pest_control": "fail"})
        check_eq(st, 400, "a checklist of another domain")
        st, h, b = sup.post("/console/inspect", {"csrf": csrf, "site": "canteen-1", "kind": "self",
                                                 "checklist": "food_safety_weekly",
                                                 "i:fs.pest_control": "fail", "summary": "仓库挡鼠板缺失"})
        check_eq(st, 200, "inspection stored: %s" % b[-300:])
        check("每周食品安全排查，4 项，其中不合格 1 项" in b, "the receipt names the checklist and counts")
        evs = hqtest.read_store(d.state)
        found = [hqtest.unpack(evs.events[s][1]) for s in evs.events]
        ins = [e for e in found if e["type"] == "inspection.submitted"]
        check_eq(len(ins), 1, "one inspection event")
        check_eq(ins[0]["data"]["inspector"], "lin.sup", "inspector is the person")
        check_eq(ins[0]["data"]["checklist"], "food_safety_weekly", "the checklist (what the weekly rule expects)")
        check_eq([i["code"] for i in ins[0]["data"]["items"]],
                 ["fs.risk_review", "fs.storage", "fs.kitchen_hygiene", "fs.pest_control"], "the items in order")
        check_eq([i["result"] for i in ins[0]["data"]["items"] if i["code"] == "fs.pest_control"], ["fail"],
                 "the failed item")
        check("severity" not in ins[0]["data"]["items"][3], "no severity for an ordinary item")
        # the record meets the weekly food-safety review (it expects a self inspection on food_safety_weekly)
        p = subprocess.run([ctl, "obligations", "--state", d.state, "--json", "--rule", "catering.weekly-risk-review",
                            "--unit", "canteen-1"], stdout=subprocess.PIPE, timeout=30)
        slots = json.loads(p.stdout.decode())
        met = [o for o in slots if o["state"] == "satisfied"]
        check(len(met) == 1 and met[0]["start_ms"] <= ins[0]["ts"] < met[0]["due_ms"],
              "this week's review satisfied by the form's record: %r" % slots[:3])
        st, h, html = sup.get("/console/obligations")
        check_eq(html.count('href="/console/inspect?site=canteen-1&amp;kind=self"'), c1 - 1,
                 "the slot the self-inspection met has no link any more")
        # a failed kitchen process control (severity: high in checklists.yaml) is a serious finding
        st, h, b = sup.post("/console/inspect", {"csrf": csrf, "site": "canteen-1", "kind": "spot",
                                                 "checklist": "process_control", "i:fs.core_temp": "fail"})
        check_eq(st, 200, "process-control inspection stored: %s" % b[-300:])
        evs = hqtest.read_store(d.state)
        pc = [hqtest.unpack(evs.events[s][1]) for s in evs.events]
        pc = [e for e in pc if e["type"] == "inspection.submitted" and e["data"]["checklist"] == "process_control"]
        check_eq([(i["code"], i.get("severity")) for i in pc[0]["data"]["items"] if i["result"] == "fail"],
                 [("fs.core_temp", "high")], "the failed control carries its severity")
        serious = [i for i in issues(d, ctl) if i["rule"] == "catering.inspection-serious"]
        check_eq(len(serious), 1, "catering.inspection-serious opened")
        check("中心温度" in serious[0]["description"], "its text names the item: %s" % serious[0]["description"])
        st, h, b = sup.post("/console/inspect", {"csrf": csrf, "site": "dorm-1x", "kind": "self"})
        check_eq(st, 403, "an unknown or foreign site")
        cx_rc = account(ctl, d, "contact.xinyuan")[0]
        cx = Session(w, login(w, "contact.xinyuan")[3])
        st, h, b = cx.post("/console/inspect", {"csrf": csrf, "site": "canteen-1", "kind": "self"})
        check_eq(st, 403, "a contractor cannot file inspections")
    finally:
        w.stop()
        d.stop()


def test_permission_table_drives_the_page():
    """The page offers what the rules' permission table allows, as houqind
    decides it: a copy of the shipped rules whose table takes comment from
    contractors and lets supervisors record opinions on every domain."""
    rules = os.path.join(hqtest.tmpdir("hq-perm-rules-"), "rules")
    shutil.copytree(hqtest.ARGS.rules, rules)
    with open(os.path.join(rules, "permissions.yaml")) as f:
        table = f.read()
    table = table.replace("{role: contractor_contact, actions: [ack, rectify, comment]}",
                          "{role: contractor_contact, actions: [ack, rectify]}")
    table += "  - {role: supervisor, actions: [opinion], scope: all}\n"
    with open(os.path.join(rules, "permissions.yaml"), "w") as f:
        f.write(table)
    ctl = ARGS.houqinctl
    # the shipped table first: what the page offers there
    d, w = setup()
    try:
        for p in ("contact.xinyuan", "lin.sup", "guo.sup"):
            account(ctl, d, p)
        number = breach(d, w, ctl, "cs-001")
        st, h, html = Session(w, login(w, "contact.xinyuan")[3]).get("/console/issue/" + number)
        check('id="form-comment"' in html, "shipped table: the contractor may comment")
        st, h, html = Session(w, login(w, "lin.sup")[3]).get("/console/issue/" + number)
        check('id="form-opinion"' not in html, "shipped table: no opinion for a supervisor")
        st, h, html = Session(w, login(w, "guo.sup")[3]).get("/console/issue/" + number)
        check_eq(st, 404, "shipped table: a supervisor of other domains does not see a catering issue")
    finally:
        w.stop()
        d.stop()
    # the changed table: houqind and houqin-web read the same directory
    d, w = setup(rules=rules)
    try:
        for p in ("contact.xinyuan", "lin.sup", "guo.sup"):
            account(ctl, d, p)
        number = breach(d, w, ctl, "cs-001")
        cx = Session(w, login(w, "contact.xinyuan")[3])
        st, h, html = cx.get("/console/issue/" + number)
        check_eq(st, 200, "the contractor's issue")
        check('id="form-ack"' in html and 'id="form-comment"' not in html, "changed table: no comment form")
        st, h, b = act(cx, number, "ack", {"action": "comment", "text": "补充说明"}, html=html)
        check_eq(st, 403, "changed table: the contractor's comment refused by the page")
        check("权限表" in b and "备注" in b, "the refusal names the table: %s" % b[-600:])
        sup = Session(w, login(w, "lin.sup")[3])
        st, h, html = sup.get("/console/issue/" + number)
        check('id="form-opinion"' in html, "changed table: a supervisor may record an opinion")
        guo = Session(w, login(w, "guo.sup")[3])
        st, h, html = guo.get("/console/issue/" + number)
        check_eq(st, 200, "scope: all lets a supervisor of other domains see the issue it may act on")
        check('id="form-opinion"' in html and 'id="form-pass"' not in html,
              "only the widened action is offered to guo.sup")
        n0, _ = timeline_len(d, number)
        st, h, b = act(guo, number, "opinion", {"text": "校园论坛有学生反映冷库温度"}, html=html)
        check_eq(st, 303, "houqind agrees with the page: opinion stored: %s" % b[-400:])
        n1, iss = timeline_len(d, number)
        check(n1 > n0, "the opinion is on the timeline")
        check(any(e.get("actor") == "guo.sup" for e in iss["timeline"][n0:]), "guo.sup acted: %r" % iss["timeline"][n0:])
    finally:
        w.stop()
        d.stop()


def keygen(path):
    rc, out, err = houqinctl(ARGS.houqinctl, "keygen", path)
    check_eq(rc, 0, "houqinctl keygen: %s" % err)
    text = open(path, encoding="utf-8").read()
    return text.split('public: "')[1].split('"')[0], text.split('secret: "')[1].split('"')[0]


def curve_send(ep, server_pub, keys, event):
    import zmq
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server_pub.encode(), keys[0].encode(), keys[1].encode()
    s.connect(ep)
    try:
        s.send(hqtest.pack(event))
        check(s.poll(10000), "no reply from houqind over CURVE")
        return hqtest.unpack(s.recv())
    finally:
        s.close()


def test_curve_gateway():
    """docs/web.md "CURVE": houqin-web sends over CURVE with its own key;
    its allow-list entry with on_behalf lets it act for the logged-in
    person (the timeline says via:houqin-web); without on_behalf houqind
    refuses and the page says so."""
    d = hqtest.tmpdir("hq-web-curve-")
    server_pub, _ = keygen(os.path.join(d, "server"))
    web_keys, gw_keys = keygen(os.path.join(d, "web")), keygen(os.path.join(d, "gw"))
    allow = os.path.join(d, "allow.yaml")

    def write_allow(on_behalf):
        with open(allow, "w", encoding="utf-8") as f:
            f.write("producers:\n"
                    "  - {source: gw-1, key: \"%s\", types: [inspection.submitted]}\n"
                    "  - {source: houqin-web, key: \"%s\", types: [\"*\"]%s}\n"
                    % (gw_keys[0], web_keys[0], ", on_behalf: true" if on_behalf else ""))
    write_allow(True)
    ep = "tcp://127.0.0.1:%d" % webtest.free_port()
    dm = hqtest.Daemon(extra=["--ingest", ep, "--curve-key", os.path.join(d, "server"), "--allow", allow])
    dm.ingest_ep = ep
    dm.start()
    w = Web(dm, ARGS.houqin_web, ["--curve-server", os.path.join(d, "server.pub"), "--curve-key",
                                  os.path.join(d, "web")])
    w.start()
    try:
        account(ARGS.houqinctl, dm, "contact.xinyuan")
        r = curve_send(ep, server_pub, gw_keys, hqtest.event(
            "insp-1", type="inspection.submitted", source="gw-1", ts=dm.status()["clock_ms"],
            data={"kind": "spot", "domain": "catering", "site": "canteen-1", "inspector": "lin.sup",
                  "items": [{"code": "fs.storage", "result": "fail", "note": "生熟混放"}]}))
        check_eq(r.get("status"), "stored", "inspection over CURVE: %r" % r)
        deadline = time.monotonic() + 10
        while not issues(dm, ARGS.houqinctl) and time.monotonic() < deadline:
            time.sleep(0.1)
        number = issues(dm, ARGS.houqinctl)[0]["number"]
        cx = Session(w, login(w, "contact.xinyuan")[3])
        st, h, b = act(cx, number, "ack", {"text": "收到"})
        check_eq(st, 303, "ack through houqin-web over CURVE: %s" % b[-400:])
        _, iss = timeline_len(dm, number)
        tl = iss["timeline"][-1]
        check_eq((tl["actor"], tl.get("auth")), ("contact.xinyuan", "via:houqin-web"), "the gateway's mark")
        # the entry without on_behalf (SIGHUP reloads the allow-list): houqind refuses, the page says why
        write_allow(False)
        n0 = dm.status()["last_seq"]
        os.kill(dm.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            st, h, b = act(cx, number, "comment", {"text": "补充"})
            if st != 303:
                break
            time.sleep(0.2)
            n0 = dm.status()["last_seq"]
        check_eq(st, 409, "houqind's refusal")
        check("on_behalf" in b, "the page gives houqind's reason: %s" % b[-600:])
        check_eq(dm.status()["last_seq"], n0, "nothing stored")
    finally:
        w.stop()
        dm.stop()


def test_health_page():
    """/console/health: houqind's control status in words: the rules in
    force, the last refused reload, refusals by reason and source."""
    d = hqtest.Daemon(extra=["--clock", "manual"])
    d.start()
    w = Web(d, ARGS.houqin_web, ["--control", d.control_ep])
    w.start()
    try:
        for p in ("wang.director", "contact.xinyuan"):
            account(ARGS.houqinctl, d, p)
        number = breach(d, w, ARGS.houqinctl, "cs-001")
        rc, out, err = houqinctl(ARGS.houqinctl, "close", number, "--actor", "contact.xinyuan", "--reason", "x",
                                 "--ingest", d.ingest_ep)
        check_eq(rc, 1, "houqind refuses the contractor's close: %s" % err)
        boss = Session(w, login(w, "wang.director")[3])
        st, h, html = boss.get("/console/health")
        check_eq(st, 200, "health page")
        n = d.status()["rules"]
        check('id="rules-count">%d 条' % n in html, "the rules in force")
        check('id="permissions">已启用' in html, "permissions on")
        check("自启动以来每次重新加载均成功" in html, "no refused reload")
        m = re.search(r'<table id="refusals">.*?</table>', html, re.S)
        check(m and "separation_contractor" in m.group(0) and "<td>1</td>" in m.group(0), "refusal by reason")
        check("houqinctl" in re.search(r'<table id="refusals-by-source">.*?</table>', html, re.S).group(0),
              "refusal by source")
        st, h, html = Session(w, login(w, "contact.xinyuan")[3]).get("/console/health")
        check_eq(st, 404, "not for contractors")
        d.stop()
        st, h, html = boss.get("/console/health")
        check_eq(st, 503, "houqind not answering")
    finally:
        w.stop()
        d.stop()


def complain(w, text, photo=False, confirm=False):
    """A complaint through the public form at canteen-1; its status link."""
    st, h, b = w.http("GET", "/?site=canteen-1")
    fields = [("csrf", csrf_of(b.decode())), ("site", "canteen-1"), ("category", "catering.foreign_matter"),
              ("text", text)] + ([("confirm", "new")] if confirm else [])
    body, ctype = multipart(fields, [("photo", "p.png", "image/png", pngmod.png())] if photo else [])
    st, h, b = w.http("POST", "/complaint", body, {"Content-Type": ctype})
    check_eq(st, 200, "complaint filed")
    m = re.search(r'id="status-link" href="(/c/[^"]+)"', b.decode())
    check(m is not None, "the receipt: %s" % b.decode()[-600:])
    return m.group(1)


def test_moderation_duplicate_accountability():
    """Staff hide a complaint's personal details from the contractor (text
    and photo; the original stays in the log, the reason in the timeline),
    mark another complaint a duplicate (the complainant is told), a leader
    starts accountability; every refusal; internal issues name their unit."""
    d, w = setup()
    ctl = ARGS.houqinctl
    try:
        for p in ("contact.xinyuan", "chen.catering", "wang.director"):
            check_eq(account(ctl, d, p)[0], 0, "account " + p)
        secret = "我是张三，电话13912345678"
        link_a = complain(w, secret + "，二楼青菜里有虫子", photo=True)
        link_b = complain(w, "二楼青菜里有虫子", confirm=True)
        cases = []
        deadline = time.monotonic() + 10
        while len(cases) < 2 and time.monotonic() < deadline:
            cases = [i for i in issues(d, ctl) if i["rule"] == "catering.complaint-case"]
            time.sleep(0.1)
        check_eq(len(cases), 2, "a case per complaint")
        a = [i["number"] for i in cases if "张三" in i["description"]][0]
        b = [i["number"] for i in cases if i["number"] != a][0]
        cx = Session(w, login(w, "contact.xinyuan")[3])
        head = Session(w, login(w, "chen.catering")[3])
        boss = Session(w, login(w, "wang.director")[3])
        st, h, html = cx.get("/console/issue/" + a)
        check(secret in html and "/photo/" in html, "before moderation the contractor reads the complaint")
        photo = re.search(r'<img src="(/console/issue/%s/photo/[0-9a-f]{64})"' % a, html).group(1)
        check('id="form-moderate"' not in html and 'id="form-duplicate"' not in html, "no such forms for contractors")
        n0, _ = timeline_len(d, a)
        # refusals: a contractor moderating, a forged CSRF token, nothing to hide
        st, h, r = act(cx, a, "ack", {"action": "moderate", "text": "x", "redacted": "y"}, html=html)
        check_eq(st, 403, "a contractor moderating")
        check("合作企业不能处理投诉人信息" in r, "the refusal in words")
        st, h, html = head.get("/console/issue/" + a)
        check('id="form-moderate"' in html and 'id="form-duplicate"' in html, "the section head's forms")
        check(secret in re.search(r'<textarea id="redacted".*?</textarea>', html, re.S).group(0),
              "the form starts from the complaint's words")
        check('id="form-accountability"' not in html, "no accountability for a section head (permissions.yaml)")
        st, h, r = act(head, a, "moderate", {"csrf": "1.forged", "text": "x", "redacted": "y"}, html=html)
        check_eq(st, 403, "a forged CSRF token")
        st, h, r = act(head, a, "moderate", {"text": "x", "redacted": ""}, html=html)
        check_eq(st, 400, "nothing to hide")
        st, h, r = act(head, a, "moderate", {"text": "", "redacted": "y"}, html=html)
        check_eq(st, 400, "no reason")
        check_eq(timeline_len(d, a)[0], n0, "nothing written by the refusals")
        # the section head hides the name, the phone and the photo
        st, h, r = act(head, a, "moderate", {"text": "<script>alert(2)</script>含投诉人姓名电话",
                                             "redacted": "（投诉人信息已隐去），二楼青菜里有虫子", "hide_photos": "1"},
                       html=html)
        check_eq(st, 303, "moderated: %s" % r[-400:])
        n1, iss = timeline_len(d, a)
        check_eq(iss["timeline"][-1]["kind"], "moderated", "a typed timeline entry")
        check_eq(iss["timeline"][-1]["actor"], "chen.catering", "by the person")
        evs = hqtest.read_store(d.state)
        found = [hqtest.unpack(evs.events[q][1]) for q in evs.events]
        check(any(e["type"] == "complaint.submitted" and secret in e["data"]["text"] for e in found),
              "the original stays in the event log")
        mod = [e for e in found if e["type"] == "complaint.moderated"]
        check_eq(len(mod), 1, "one complaint.moderated event")
        check_eq((mod[0]["data"]["issue"], mod[0]["data"]["hide_photos"]), (a, True), "its data")
        # every contractor-facing view: the portal, the notice, the signed link, the photo itself
        st, h, html = cx.get("/console/issue/" + a)
        check("张三" not in html and "13912345678" not in html, "the portal shows the redacted text")
        check("投诉人信息已隐去" in html and "已隐去个人信息" in html, "redacted text and the entry in public words")
        check("/photo/" not in html and "alert(2)" not in html, "no photo, no reason for the contractor")
        check('id="original"' not in html, "no original for the contractor")
        st, hh, img = w.http("GET", photo, None, {"Cookie": "hq_session=" + cx.cookie})
        check_eq(st, 404, "the photo is not served to the contractor")
        st, h, notice = cx.get("/console/issue/%s/notice" % a)
        check_eq(st, 200, "notice")
        check("张三" not in notice and "13912345678" not in notice, "the notice shows the redacted text")
        st, h, notice = head.get("/console/issue/%s/notice" % a)
        link = re.search(r'id="portal-link">[^<]*?http://[^/]+(/p/[^<]+)</p>', notice).group(1)
        st, h, page = w.http("GET", link)
        page = page.decode()
        check(st == 200 and "张三" not in page and "/photo/" not in page, "the signed link shows the redacted text")
        st, h, html = head.get("/console/issue/" + a)
        check("&lt;script&gt;alert(2)&lt;/script&gt;" in html and "<script>alert(2)" not in html,
              "staff read the reason, as text")
        check("/photo/" in html, "staff still see the photo")
        check(secret in re.search(r'<details id="original">.*?</details>', html, re.S).group(0),
              "staff can read the original")
        # a stale page
        st, h, r = act(head, a, "moderate", {"text": "x", "redacted": "y", "tl": str(n0)}, html=html)
        check_eq(st, 409, "stale page")
        # houqind decides again, whatever sends it: a contractor, an issue no complaint opened,
        # nothing to hide; a duplicate of nothing
        breach_no = breach(d, w, ctl, "cs-001")
        ing = ["--ingest", d.ingest_ep, "--schemas", ARGS.schemas]
        for fields, why in [(["issue=" + a, "actor=contact.xinyuan", "reason=x", "text=y"], "separation of duties"),
                            (["issue=" + breach_no, "actor=chen.catering", "reason=x", "text=y"],
                             "was not opened by a complaint"),
                            (["issue=" + a, "actor=chen.catering", "reason=x"], "nothing to moderate")]:
            rc, out, err = houqinctl(ctl, "send", "--type", "complaint.moderated", *fields, *ing)
            check(rc != 0 and "rejected" in out + err and why in out + err, "houqind refuses (%s): %s %s" %
                  (why, out, err))
        rc, out, err = houqinctl(ctl, "send", "--type", "issue.closed", "issue=" + b, "actor=chen.catering",
                                 "reason=x", "resolution=duplicate", "duplicate_of=HQ-2099-999999", *ing)
        check(rc != 0 and "no issue HQ-2099-999999" in out + err, "houqind refuses a duplicate of nothing: %s" % out)
        check_eq(timeline_len(d, a)[0], n1, "nothing written by houqind's refusals")
        # the second complaint is a duplicate of the first
        st, h, html = head.get("/console/issue/" + b)
        st, h, r = act(head, b, "duplicate", {"text": "同一问题", "duplicate_of": b}, html=html)
        check_eq(st, 400, "a duplicate of itself")
        st, h, r = act(head, b, "duplicate", {"text": "同一问题", "duplicate_of": "HQ-2099-999999"}, html=html)
        check_eq(st, 400, "a duplicate of nothing")
        st, h, r = act(cx, b, "ack", {"action": "duplicate", "text": "同一问题", "duplicate_of": a})
        check_eq(st, 403, "a contractor cannot close as duplicate")
        st, h, r = act(head, b, "duplicate", {"text": "同一问题", "duplicate_of": a}, html=html)
        check_eq(st, 303, "marked a duplicate: %s" % r[-400:])
        _, iss = timeline_len(d, b)
        check_eq((iss["state"], iss["timeline"][-1].get("ref")), ("closed", a), "closed, linked to the first")
        st, h, html = head.get("/console/issue/" + b)
        check("与 %s 重复" % a in html, "the timeline names the case it repeats")
        # the first case says that the second was merged into it
        _, first = timeline_len(d, a)
        check_eq((first["timeline"][-1]["kind"], first["timeline"][-1].get("ref")), ("merged", b),
                 "the first case's timeline links the duplicate")
        st, h, html = head.get("/console/issue/" + a)
        check("重复问题 %s 已并入本问题" % b in html, "the first case's page names the duplicate merged into it")
        st, h, page = w.http("GET", link_b)
        check('id="duplicate"' in page.decode() and "已办结" in page.decode(), "the complainant is told")
        st, h, page = w.http("GET", link_a)
        check('id="duplicate"' not in page.decode(), "the first complaint is no duplicate")
        # accountability from the issue page: the office director, once
        st, h, r = act(head, a, "comment", {"action": "accountability", "text": "x"})
        check_eq(st, 403, "a section head cannot start accountability")
        st, h, html = boss.get("/console/issue/" + a)
        check('id="form-accountability"' in html, "the director's form")
        st, h, r = act(boss, a, "accountability", {"text": "同一窗口多次被投诉"}, html=html)
        check_eq(st, 303, "accountability started: %s" % r[-400:])
        _, iss = timeline_len(d, a)
        check_eq((iss["accountability"], iss["timeline"][-1]["kind"]), (True, "accountability"), "recorded")
        st, h, html = boss.get("/console/issue/" + a)
        check('id="form-accountability"' not in html, "no second form")
        st, h, r = act(boss, a, "comment", {"action": "accountability", "text": "again"}, html=html)
        check_eq(st, 409, "not twice")
        # internal issues (a missed self-inspection of the catering centre) name their unit
        d.control().call({"cmd": "clock.advance", "ms": 26 * 3600 * 1000})
        deadline = time.monotonic() + 15
        internal = []
        while not internal and time.monotonic() < deadline:
            internal = [i for i in issues(d, ctl) if (i.get("owner") or "").startswith("office:")]
            time.sleep(0.2)
        check(internal, "an internal issue opened")
        st, h, html = head.get("/console")
        check("饮食服务中心" in html and "（本单位）" not in html, "the dashboard names the office unit")
        st, h, html = head.get("/console/ledger")
        check("饮食服务中心" in html and "（本单位）" not in html, "the ledger names the office unit")
    finally:
        w.stop()
        d.stop()


def save_form(html):
    """The hidden fields of the ledger's "save this filter" form."""
    m = re.search(r'<form class="filters" method="post" action="/console/filters">.*?</form>', html, re.S)
    check(m is not None, "the save form on the ledger")
    return {k: html_mod.unescape(v)
            for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', m.group(0))}


def test_saved_filters():
    """Saved filters per person: save the ledger's filter under a name, see
    it on the ledger and the dashboard, apply it, replace it, delete it;
    atomic per-person files never shown to another person; every refusal."""
    d, w = setup()
    ctl = ARGS.houqinctl
    try:
        for p in ("chen.catering", "lin.sup"):
            check_eq(account(ctl, d, p)[0], 0, "account " + p)
        mine = breach(d, w, ctl, "cs-001")    # xinyuan-catering
        other = breach(d, w, ctl, "cs-003")   # hexiang-catering
        head = Session(w, login(w, "chen.catering")[3])
        sup = Session(w, login(w, "lin.sup")[3])
        st, h, html = head.get("/console/ledger?state=open&contractor=xinyuan-catering")
        check("还没有保存的筛选条件" in html, "no filters yet")
        f = save_form(html)
        check_eq(f["query"], "state=open&contractor=xinyuan-catering", "the current filter in the form")
        f["query"] = "state=open&contractor=xinyuan-catering&evil=%0A1&q=%3Cscript%3E"
        # refusals first: a forged token, no name, a control character in the name, an unknown op
        for fields, code, what in [(dict(f, name="x", csrf="1.forged"), 403, "forged CSRF"),
                                   (dict(f, name=""), 400, "no name"),
                                   (dict(f, name="a\nb"), 400, "a newline in the name"),
                                   (dict(f, name="x", op="rename"), 400, "an unknown op"),
                                   (dict(f, name="x", query="state=%zz"), 400, "a query that does not parse")]:
            fields.setdefault("op", "save")
            st, h, b = head.post("/console/filters", fields)
            check_eq(st, code, what)
        path = os.path.join(d.state, "web-filters", "chen.catering")
        check(not os.path.exists(path), "nothing written by the refusals")
        st, h, b = head.post("/console/filters", dict(f, op="save", name="鑫源<b>未办结</b>"))
        check_eq(st, 303, "saved: %s" % b[-300:])
        check_eq(h["location"], "/console/ledger?state=open&contractor=xinyuan-catering&q=%3Cscript%3E&saved=1",
                 "back to the ledger with the filter applied (unknown keys dropped)")
        text = open(path, encoding="utf-8").read()
        check("鑫源<b>未办结</b>\tstate=open&contractor=xinyuan-catering&q=%3Cscript%3E\n" in text, "the file: %r" % text)
        check_eq(os.stat(path).st_mode & 0o777, 0o600, "the person's file is private")
        check(not os.path.exists(path + ".tmp"), "no temporary file left")
        st, h, html = head.get("/console/ledger?saved=1")
        check("筛选条件已保存" in html, "the notice")
        m = re.search(r'<a id="filter-1" href="([^"]+)">([^<]*)</a>', html)
        check(m is not None, "the filter listed on the ledger")
        check_eq(m.group(2), "鑫源&lt;b&gt;未办结&lt;/b&gt;", "the name escaped")
        st, h, html = head.get("/console")
        check('id="filter-1"' in html and "鑫源&lt;b&gt;未办结" in html, "the filter listed on the dashboard")
        # applying it (without the q of the test)
        st, h, b = head.post("/console/filters", dict(save_form(head.get(
            "/console/ledger?state=open&contractor=xinyuan-catering")[2]), op="save", name="鑫源<b>未办结</b>"))
        check_eq(st, 303, "saved again under the same name")
        text = open(path, encoding="utf-8").read()
        check_eq(text.count("\n"), 2, "the same name replaces it: %r" % text)
        st, h, html = head.get("/console/ledger")
        href = re.search(r'<a id="filter-1" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        st, h, html = head.get(href)
        led = re.search(r'<table id="ledger">.*?</table>', html, re.S).group(0)
        check(mine in led and other not in led, "applied: only the contractor's open issue (%s)" % href)
        # another person never sees it, and cannot delete it
        st, h, html = sup.get("/console/ledger")
        check("鑫源&lt;b&gt;" not in html and "还没有保存的筛选条件" in html, "another person's ledger")
        st, h, html = sup.get("/console")
        check("鑫源&lt;b&gt;" not in html, "another person's dashboard")
        sf = save_form(sup.get("/console/ledger")[2])
        st, h, b = sup.post("/console/filters", {"csrf": f["csrf"], "op": "delete", "name": "鑫源<b>未办结</b>"})
        check_eq(st, 403, "the CSRF token of another person")
        st, h, b = sup.post("/console/filters", {"csrf": sf["csrf"], "op": "delete", "name": "鑫源<b>未办结</b>"})
        check_eq(st, 303, "deleting in one's own filters")
        check("鑫源<b>未办结</b>" in open(path, encoding="utf-8").read(), "the other person's filter stays")
        # at most 20
        for i in range(19):
            st, h, b = head.post("/console/filters", dict(f, op="save", name="筛选%d" % i))
            check_eq(st, 303, "filter %d" % i)
        st, h, b = head.post("/console/filters", dict(f, op="save", name="第21个"))
        check_eq(st, 409, "more than 20")
        check("最多保存 20 个" in b, "the refusal in words")
        # delete
        st, h, b = head.post("/console/filters", {"csrf": f["csrf"], "op": "delete", "name": "鑫源<b>未办结</b>"})
        check_eq((st, h["location"]), (303, "/console/ledger?deleted=1"), "deleted")
        st, h, html = head.get(h["location"])
        check("已删除筛选条件" in html and "鑫源&lt;b&gt;" not in html, "gone from the ledger")
        check_eq(open(path, encoding="utf-8").read().count("\n"), 20, "19 left and the comment line")
    finally:
        w.stop()
        d.stop()


def test_sighup_reloads_rules():
    """SIGHUP loads the rules again: a label changed in the vocabulary
    shows on the public form; rules with an error are refused and the old
    stay (as houqind does)."""
    rules = os.path.join(hqtest.tmpdir("hq-reload-rules-"), "rules")
    shutil.copytree(hqtest.ARGS.rules, rules)
    d, w = setup(rules=rules)

    def wait_log(what, n):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and w.log().count(what) < n:
            time.sleep(0.05)
        check(w.log().count(what) >= n, "houqin-web's log says %r:\n%s" % (what, w.log()[-1500:]))
    try:
        st, h, b = w.http("GET", "/")
        check_eq(st, 200, "the form")
        check("异物（头发、虫子、钢丝球等）" in b.decode(), "the shipped label on the form")
        voc = os.path.join(rules, "vocabulary.yaml")
        with open(voc) as f:
            text = f.read()
        with open(voc, "w") as f:
            f.write(text.replace("foreign_matter: 异物", "foreign_matter: 食物里有杂物", 1))
        w.proc.send_signal(signal.SIGHUP)
        wait_log("rules reloaded", 1)
        st, h, b = w.http("GET", "/")
        check("食物里有杂物（头发、虫子、钢丝球等）" in b.decode(), "the new label on the form after SIGHUP")
        check("异物（头发" not in b.decode(), "the old label gone")
        # rules with an error: refused, the last good ones stay
        with open(os.path.join(rules, "broken.yaml"), "w") as f:
            f.write("rules:\n  - {id: broken.rule, on: no.such.type}\n")
        w.proc.send_signal(signal.SIGHUP)
        wait_log("rules not reloaded", 1)
        st, h, b = w.http("GET", "/")
        check_eq(st, 200, "the form after a refused reload")
        check("食物里有杂物（头发、虫子、钢丝球等）" in b.decode(), "the last good rules stay")
        check_eq(w.http("GET", "/healthz")[0], 200, "healthz")
    finally:
        w.stop()
        d.stop()


if __name__ == "__main__":
    hqtest.main([test_login_and_sessions, test_sso, test_scope_and_actions, test_portal_link_and_inspection,
                 test_permission_table_drives_the_page, test_curve_gateway, test_health_page,
                 test_moderation_duplicate_accountability, test_saved_filters, test_sighup_reloads_rules])
