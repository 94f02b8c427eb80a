#!/usr/bin/env python3
"""The console and portal loop in a real browser (headless Chromium through
Selenium) on the shipped rules with the manual clock: a cold-storage
breach opens an issue; the contractor logs in, sees only its issue,
acknowledges and reports rectification with a photo; the supervisor fails
the recheck; the issue reopens and escalates as time advances
(clock.advance); the section head sees it on the dashboard; after a second
rectification the supervisor passes it and it closes; the ledger and the
evaluation show it.  Screenshots at phone and desktop size go to --shots.

Skipped (exit 77) when chromium, chromedriver or python3-selenium are
missing."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import btest  # noqa: E402
from btest import browser, login  # noqa: E402
import hqtest  # noqa: E402
from hqtest import check, check_eq, log  # noqa: E402
from webtest import multipart, csrf_of  # noqa: E402
import consoletest as ct  # noqa: E402
import test_web_helpers_png as pngmod  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

ARGS = btest.parse_args()


def shots(drv, name):
    """The current page at phone (390 px) and desktop (1280 px) width."""
    btest.shots(drv, "console-" + name)


def do(drv, action, text=None, photo=None):
    """Submits the issue page's ACTION form and returns the answer page's
    notice (the answer page repeats the forms, and the page before may hold
    the previous action's notice: btest.submit waits until it is gone)."""
    if text is not None:
        drv.find_element(By.ID, "text-" + action).send_keys(text)
    if photo:
        drv.find_element(By.ID, "photo-" + action).send_keys(photo)
    btest.submit(drv, "do-" + action)
    return drv.find_element(By.ID, "notice").text


def test_loop():
    d, w, ctl = btest.console(("contact.xinyuan", "lin.sup", "chen.catering"), lambda d: ["--control", d.control_ep])
    photo = os.path.join(hqtest.tmpdir("hq-photo-"), "fixed.png")
    with open(photo, "wb") as f:
        f.write(pngmod.png(64, 48))
    drv = browser()
    try:
        number = ct.breach(d, w, ctl, "cs-001")
        other = ct.breach(d, w, ctl, "cs-003")   # another contractor's
        drv.get(w.url("/login"))
        shots(drv, "login")
        # the contractor: only its issue
        login(drv, w, "contact.xinyuan")
        shots(drv, "contractor-dashboard")
        drv.get(w.url("/console/ledger"))
        ledger = drv.find_element(By.ID, "ledger").text
        check(number in ledger and other not in ledger, "the contractor's ledger: only its issue")
        shots(drv, "contractor-ledger")
        drv.get(w.url("/console/issue/" + other))
        check("无权查看" in drv.find_element(By.ID, "error").text, "another contractor's issue refused")
        drv.get(w.url("/console/issue/" + number))
        check(not drv.find_elements(By.ID, "form-close"), "no close form for the contractor")
        shots(drv, "contractor-issue")
        check("签收" in do(drv, "ack", "已收到，立即检修"), "acknowledged")
        check("整改反馈" in do(drv, "rectify", "压缩机电容已更换，温度恢复至4℃", photo), "rectified")
        check(drv.find_elements(By.CSS_SELECTOR, ".photos img"), "the photo shows")
        shots(drv, "contractor-rectified")
        # the supervisor fails the recheck
        login(drv, w, "lin.sup")
        drv.get(w.url("/console/issue/" + number))
        shots(drv, "supervisor-issue")
        check("复查不通过" in do(drv, "fail", "温度记录不全，冷库门封条老化"), "recheck failed")
        check("复查未通过" in drv.find_element(By.ID, "state").text or "reopened" in
              drv.find_element(By.ID, "state").get_attribute("innerHTML"), "reopened")
        # time passes: overdue and escalated
        lvl0 = int(re.search(r"\d+", drv.find_element(By.ID, "level").text).group(0))
        d.control().call({"cmd": "clock.advance", "ms": 30 * 3600 * 1000})
        drv.refresh()
        lvl1 = int(re.search(r"\d+", drv.find_element(By.ID, "level").text).group(0))
        log("level", lvl0, "->", lvl1)
        check(lvl1 > lvl0, "escalated as time advanced (%d -> %d)" % (lvl0, lvl1))
        check("已超期" in drv.find_element(By.ID, "deadline").text, "overdue shown")
        # the section head sees it on the dashboard
        login(drv, w, "chen.catering")
        drv.get(w.url("/console"))
        check(number in drv.find_element(By.ID, "overdue").text, "the section head's dashboard lists it overdue")
        check("饮食服务中心" in drv.page_source and "（本单位）" not in drv.page_source,
              "internal issues (missed self-inspections) name the office unit")
        shots(drv, "head-dashboard")
        # second rectification, the supervisor passes, it closes
        login(drv, w, "contact.xinyuan")
        drv.get(w.url("/console/issue/" + number))
        do(drv, "rectify", "更换门封条，补齐温度记录", photo)
        login(drv, w, "lin.sup")
        drv.get(w.url("/console/issue/" + number))
        do(drv, "pass", "复查合格")
        check("已办结" in drv.find_element(By.ID, "state").text, "closed")
        shots(drv, "closed-issue")
        # the ledger and the evaluation show it
        login(drv, w, "chen.catering")
        drv.get(w.url("/console/ledger?state=closed"))
        check(number in drv.find_element(By.ID, "ledger").text, "the ledger lists it closed")
        shots(drv, "head-ledger")
        drv.get(w.url("/console/evaluation"))
        ev = drv.find_element(By.ID, "evaluation").text
        check("鑫源" in ev, "the evaluation lists the contractor")
        shots(drv, "evaluation")
        drv.get(w.url("/console/inspect?site=canteen-1"))
        shots(drv, "inspect")
        drv.get(w.url("/console/health"))
        check("条" in drv.find_element(By.ID, "rules-count").text, "the health page shows the rules")
        shots(drv, "health")
    finally:
        drv.quit()
        w.stop()
        d.stop()


def test_moderation():
    """The section head hides a complaint's personal details and photo from
    the contractor (a <script> in the reason stays text); the contractor's
    page shows the redacted words."""
    d, w, ctl = btest.console(("contact.xinyuan", "chen.catering"), lambda d: ["--control", d.control_ep])
    drv = browser()
    try:
        st, h, b = w.http("GET", "/?site=canteen-1")
        body, ctype = multipart([("csrf", csrf_of(b.decode())), ("site", "canteen-1"),
                                 ("category", "catering.foreign_matter"),
                                 ("text", "我是李四，电话13700001111，米饭里有石子")],
                                [("photo", "p.png", "image/png", pngmod.png(64, 48))])
        check_eq(w.http("POST", "/complaint", body, {"Content-Type": ctype})[0], 200, "complaint filed")
        number = None
        for _ in range(100):
            cases = [i for i in ct.issues(d, ctl) if i["rule"] == "catering.complaint-case"]
            if cases:
                number = cases[0]["number"]
                break
            time.sleep(0.1)
        check(number is not None, "the complaint's case")
        login(drv, w, "chen.catering")
        drv.get(w.url("/console/issue/" + number))
        red = drv.find_element(By.ID, "redacted")
        check("13700001111" in red.get_attribute("value"), "the form starts from the complaint's words")
        red.clear()
        red.send_keys("（投诉人信息已隐去），米饭里有石子")
        drv.find_element(By.ID, "hide_photos").click()
        shots(drv, "head-moderate-form")
        check("隐去个人信息" in do(drv, "moderate", "<script>alert(3)</script>含姓名电话"), "moderated")
        tl = drv.find_element(By.ID, "timeline").text
        check("<script>alert(3)</script>" in tl, "the reason shown as text to staff")
        shots(drv, "head-moderated")
        # a saved filter: named on the ledger, listed on the dashboard, applied, deleted
        drv.get(w.url("/console/ledger?state=open&contractor=xinyuan-catering"))
        drv.find_element(By.ID, "filter-name").send_keys("鑫源 未办结")
        btest.submit(drv, "save-filter")
        check("筛选条件已保存" in drv.find_element(By.ID, "notice").text, "filter saved")
        shots(drv, "head-ledger-saved-filter")
        drv.get(w.url("/console"))
        check_eq(drv.find_element(By.ID, "filter-1").text, "鑫源 未办结", "the filter on the dashboard")
        shots(drv, "head-dashboard-filters")
        btest.submit(drv, "filter-1")
        check(number in drv.find_element(By.ID, "ledger").text, "the filter applied")
        check_eq(drv.find_element(By.ID, "f-contractor").get_attribute("value"), "xinyuan-catering", "its contractor")
        btest.submit(drv, "delete-filter-1")
        check("已删除" in drv.find_element(By.ID, "notice").text, "filter deleted")
        check(not drv.find_elements(By.ID, "filter-1"), "no filter left")
        login(drv, w, "contact.xinyuan")
        drv.get(w.url("/console/issue/" + number))
        check("13700001111" not in drv.page_source and "李四" not in drv.page_source, "redacted for the contractor")
        check(not drv.find_elements(By.CSS_SELECTOR, ".photos img"), "no photo for the contractor")
        check("alert(3)" not in drv.page_source, "no reason for the contractor")
        shots(drv, "contractor-moderated")
        # a second complaint of the same problem, marked a duplicate; its complainant is told
        st, h, b = w.http("GET", "/?site=canteen-1")
        body, ctype = multipart([("csrf", csrf_of(b.decode())), ("site", "canteen-1"),
                                 ("category", "catering.foreign_matter"), ("text", "米饭里有小石子"),
                                 ("confirm", "new")])
        st, h, b = w.http("POST", "/complaint", body, {"Content-Type": ctype})
        status = re.search(r'id="status-link" href="(/c/[^"]+)"', b.decode()).group(1)
        second = None
        for _ in range(100):
            cases = [i["number"] for i in ct.issues(d, ctl)
                     if i["rule"] == "catering.complaint-case" and i["number"] != number]
            if cases:
                second = cases[0]
                break
            time.sleep(0.1)
        check(second is not None, "the second complaint's case")
        login(drv, w, "chen.catering")
        drv.get(w.url("/console/issue/" + second))
        drv.find_element(By.ID, "duplicate_of").send_keys(number)
        check("重复投诉" in do(drv, "duplicate", "同一窗口同一问题"), "marked a duplicate")
        check(("与 %s 重复" % number) in drv.find_element(By.ID, "timeline").text, "linked in the timeline")
        drv.delete_all_cookies()
        drv.get(w.url(status))
        check("合并办理" in drv.find_element(By.ID, "duplicate").text, "the complainant's status page says so")
        check(number not in drv.page_source, "without the other case's number")
        shots(drv, "complainant-duplicate")
    finally:
        drv.quit()
        w.stop()
        d.stop()


def test_inspection_form():
    """A supervisor files an inspection on a phone, from the 填报 link of a
    due self-inspection on the obligations page (site and kind filled in):
    the checklist (rules/checklists.yaml), then each item's label and
    standard; one item failed.  The record carries the checklist, which is what the
    weekly food-safety review expects."""
    d, w, ctl = btest.console(("lin.sup",), lambda d: [])
    drv = browser(390, 844, phone=True)
    try:
        login(drv, w, "lin.sup")
        drv.get(w.url("/console/inspect"))
        btest.shot(drv, "console-inspect-site")
        # from the obligations page: the day's self-inspection of 第二食堂, its 填报 link
        drv.get(w.url("/console/obligations"))
        btest.shot(drv, "console-obligations")
        link = drv.find_element(By.CSS_SELECTOR, 'a.btn[href="/console/inspect?site=canteen-2&kind=self"]')
        drv.get(link.get_attribute("href"))
        sel = Select(drv.find_element(By.ID, "checklist"))
        check("每周食品安全排查（4 项）" in [o.text for o in sel.options], "the catering checklists offered")
        sel.select_by_value("food_safety_weekly")
        btest.shot(drv, "console-inspect-checklist")
        btest.submit(drv, "choose-checklist")
        check("每周食品安全排查" in drv.find_element(By.ID, "checklist-name").text, "the checklist named")
        check_eq(Select(drv.find_element(By.ID, "kind")).first_selected_option.get_attribute("value"), "self",
                 "the kind the obligation expects")
        drv.find_element(By.ID, "fail-3").click()  # 防鼠防虫
        drv.find_element(By.ID, "summary").send_keys("干货库挡鼠板缺失")
        btest.shot(drv, "console-inspect-form")
        btest.submit(drv, "submit-inspection")
        check("其中不合格 1 项" in drv.find_element(By.ID, "notice").text, "the receipt")
        btest.shot(drv, "console-inspect-receipt")
        v = hqtest.read_store(d.state)
        ins = [hqtest.unpack(f) for _, f in v.events.values() if b"inspection.submitted" in f]
        check_eq([(e["data"]["checklist"], [i["result"] for i in e["data"]["items"]]) for e in ins],
                 [("food_safety_weekly", ["pass", "pass", "pass", "fail"])], "the record")
    finally:
        drv.quit()
        w.stop()
        d.stop()


if __name__ == "__main__":
    hqtest.main([test_loop, test_moderation, test_inspection_form])
