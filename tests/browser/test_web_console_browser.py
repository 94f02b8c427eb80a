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
from btest import browser  # noqa: E402
import hqtest  # noqa: E402
from hqtest import check, check_eq, log  # noqa: E402
from webtest import Web  # noqa: E402
import consoletest as ct  # noqa: E402
import test_web_helpers_png as pngmod  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402

ARGS = btest.parse_args()


def shots(drv, name):
    """The current page at phone (390 px) and desktop (1280 px) width."""
    btest.shots(drv, "console-" + name)


def login(drv, w, person):
    drv.delete_all_cookies()
    drv.get(w.url("/login"))
    drv.find_element(By.ID, "person").send_keys(person)
    drv.find_element(By.ID, "password").send_keys(ct.PASSWORD)
    drv.find_element(By.ID, "login").click()
    check(drv.find_element(By.ID, "who") is not None, "logged in as " + person)


def do(drv, action, text=None, photo=None):
    if text is not None:
        drv.find_element(By.ID, "text-" + action).send_keys(text)
    if photo:
        drv.find_element(By.ID, "photo-" + action).send_keys(photo)
    drv.find_element(By.ID, "do-" + action).click()
    # the answer page may still be loading: an element found just before
    # it replaced the form page goes stale; look again
    for _ in range(100):
        try:
            return drv.find_element(By.ID, "notice").text
        except (NoSuchElementException, StaleElementReferenceException):
            time.sleep(0.1)
    return drv.find_element(By.ID, "notice").text


def test_loop():
    d = hqtest.Daemon(extra=["--clock", "manual"])
    d.start()
    w = Web(d, ARGS.houqin_web, ["--control", d.control_ep])
    w.start()
    ctl = ARGS.houqinctl
    for p in ("contact.xinyuan", "lin.sup", "chen.catering"):
        check_eq(ct.account(ctl, d, p)[0], 0, "account " + p)
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


if __name__ == "__main__":
    hqtest.main([test_loop])
