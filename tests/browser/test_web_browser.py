#!/usr/bin/env python3
"""A student on a phone files a complaint in a real browser (headless
Chromium through Selenium), gets the receipt, watches the status change
as staff act (houqinctl, manual clock), and rates the outcome after
closing.  Screenshots go to --shots (the build dir) for review.

Skipped (exit 77) when chromium, chromedriver or python3-selenium are
missing."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import btest  # noqa: E402
from btest import browser, shot  # noqa: E402
import hqtest  # noqa: E402
from hqtest import check, check_eq  # noqa: E402
from webtest import Web, houqinctl  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

ARGS = btest.parse_args()


def test_student_journey():
    d = hqtest.Daemon(extra=["--clock", "manual"])
    d.start()
    d.control().call({"cmd": "clock.set", "ms": 1773022500000})
    w = Web(d, ARGS.houqin_web)
    w.start()
    drv = browser(390, 844, phone=True)
    try:
        # an earlier complaint (another student) so that the second opens an issue
        drv.get(w.url("/?site=canteen-2"))
        check_eq(Select(drv.find_element(By.ID, "site")).first_selected_option.get_attribute("value"), "canteen-2",
                 "QR code pre-fills the site")
        Select(drv.find_element(By.ID, "category")).select_by_value("catering.foreign_matter")
        drv.find_element(By.ID, "text").send_keys("午饭土豆牛肉里有一根头发")
        btest.submit(drv, "submit")
        check(drv.find_element(By.ID, "tracking").text, "first receipt")
        # the student
        drv.get(w.url("/?site=canteen-2"))
        shot(drv, "web-1-form")
        Select(drv.find_element(By.ID, "category")).select_by_value("catering.foreign_matter")
        drv.find_element(By.ID, "text").send_keys("二楼3号窗口的青菜里有虫子，已拍照")
        drv.find_element(By.ID, "contact").send_keys("13812345678")
        shot(drv, "web-2-filled")
        btest.submit(drv, "submit")
        # the other student's complaint is an open case of the same canteen and
        # category (every complaint is a case): the form offers to follow it;
        # this student files a complaint of their own
        shot(drv, "web-2b-follow-offered")
        btest.submit(drv, "new")
        tracking = drv.find_element(By.ID, "tracking").text
        check(tracking.startswith("W"), "tracking number shown: %r" % tracking)
        link = drv.find_element(By.ID, "status-link").get_attribute("href")
        shot(drv, "web-3-receipt")
        rc, out, err = houqinctl(ARGS.houqinctl, "issues", "--state", d.state, "--json", "--rules", ARGS.rules,
                                 "--schemas", ARGS.schemas)
        cases = sorted(i["number"] for i in json.loads(out)
                       if i["site"] == "canteen-2" and i["rule"].endswith("complaint-case"))
        check_eq(len(cases), 2, "a case per complaint: %s" % out[:400])
        number = cases[-1]  # the student's own case
        drv.get(link)
        check_eq(drv.find_element(By.ID, "stage").text, "已受理", "stage once the case is open")
        shot(drv, "web-4-status-open")
        ing = ["--ingest", d.ingest_ep]
        check_eq(houqinctl(ARGS.houqinctl, "ack", number, "--actor", "contact.xinyuan", *ing)[0], 0, "ack")
        drv.get(link)
        check_eq(drv.find_element(By.ID, "stage").text, "处理中", "stage once the contractor acknowledged")
        d.control().call({"cmd": "clock.advance", "ms": 3600000})
        check_eq(houqinctl(ARGS.houqinctl, "rectify", number, "--actor", "contact.xinyuan", "--evidence",
                           "已对3号窗口停业整顿并全面消杀", *ing)[0], 0, "rectify")
        drv.refresh()
        check_eq(drv.find_element(By.ID, "stage").text, "已整改待复查", "stage after rectification")
        shot(drv, "web-5-status-rectified")
        d.control().call({"cmd": "clock.advance", "ms": 86400000})
        check_eq(houqinctl(ARGS.houqinctl, "close", number, "--actor", "chen.catering", "--reason", "复查合格",
                           "--outcome", "3号窗口已停业整顿、全面消杀，更换蔬菜供应商；复查合格。", *ing)[0], 0, "close")
        drv.refresh()
        check_eq(drv.find_element(By.ID, "stage").text, "已办结", "stage after closing")
        check("更换蔬菜供应商" in drv.find_element(By.ID, "outcome").text, "the office's reply")
        check("13812345678" not in drv.page_source and number not in drv.page_source, "no contact, no issue number")
        shot(drv, "web-6-status-closed")
        drv.find_element(By.ID, "solved-yes").click()
        drv.find_element(By.ID, "stars-5").click()
        drv.find_element(By.ID, "comment").send_keys("处理很快，谢谢！")
        btest.submit(drv, "rate")
        check("感谢您的评价" in drv.find_element(By.ID, "notice").text, "rated")
        shot(drv, "web-7-rated")
        v = hqtest.read_store(d.state)
        fbs = [hqtest.unpack(f) for _, f in v.events.values() if b"complaint.feedback" in f]
        check_eq(len(fbs), 1, "one feedback event")
        check_eq((fbs[0]["data"]["solved"], fbs[0]["data"]["stars"], fbs[0]["data"]["complaint"]),
                 (True, 5, tracking), "feedback event")
        # houqind down: the error and the text kept
        d.stop()
        drv.get(w.url("/?site=canteen-1"))
        Select(drv.find_element(By.ID, "category")).select_by_value("catering.hygiene")
        drv.find_element(By.ID, "text").send_keys("餐盘上有油污")
        btest.submit(drv, "submit")
        check("尚未提交" in drv.find_element(By.ID, "error").text, "error shown")
        check_eq(drv.find_element(By.ID, "text").get_attribute("value"), "餐盘上有油污", "text kept")
        shot(drv, "web-8-houqind-down")
    finally:
        drv.quit()
        w.stop()
        if d.alive():
            d.stop()


if __name__ == "__main__":
    hqtest.main([test_student_journey])
