#!/usr/bin/env python3
"""Live updates in a real browser (headless Chromium through Selenium;
docs/web.md "Live updates"): the section head's open dashboard shows a new
issue, and an open issue's page shows it overdue, when houqind publishes,
without a reload (a value set on the page's window survives); an issue's
page with text typed into a form is not replaced, a line above it says
there is news.  Screenshots before and after at phone and desktop size go
to --shots.

Skipped (exit 77) when chromium, chromedriver or python3-selenium are
missing."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import btest  # noqa: E402
from btest import browser, login  # noqa: E402
import hqtest  # noqa: E402
from hqtest import check, check_eq, log, TestFailure  # noqa: E402
import consoletest as ct  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

ARGS = btest.parse_args()
WAIT = 15.0


def until(drv, script, what, timeout=WAIT):
    """Waits (bounded) until the page's script returns something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = drv.execute_script(script)
        if v:
            return v
        time.sleep(0.1)
    raise TestFailure("%s: not within %.0f s (live bar: %r)" % (
        what, timeout, drv.execute_script("var e = document.getElementById('live'); return e && e.textContent")))


def connected(drv):
    until(drv, "var e = document.getElementById('live'); return e && e.textContent.indexOf('已连接') >= 0",
          "the live stream connects")


def mark(drv):
    drv.execute_script("window.hqNoReload = 42;")


def not_reloaded(drv, what):
    check_eq(drv.execute_script("return window.hqNoReload"), 42, what + ": the page was not reloaded")


def test_live():
    d, w, ctl = btest.console(("chen.catering", "contact.xinyuan"), lambda d: ["--subscribe", d.publish_ep, "--live-heartbeat", "2"])
    drv = browser()
    try:
        first = ct.breach(d, w, ctl, "cs-001")
        login(drv, w, "chen.catering")
        drv.get(w.url("/console"))
        connected(drv)
        before = drv.find_element(By.ID, "kpi-open").text
        btest.shots(drv, "live-dashboard-before")
        mark(drv)
        # a new issue while the dashboard is open
        second = ct.breach(d, w, ctl, "cs-003")
        log("issues", first, second)
        until(drv, "return document.body.getAttribute('data-live-updates')", "the dashboard updates")
        until(drv, "return document.getElementById('kpi-open').textContent !== %r" % before,
              "the open count changes")
        # (the breach's 31 minutes may also open missed inspections of the day)
        check(int(drv.find_element(By.ID, "kpi-open").text) > int(before), "more open issues")
        not_reloaded(drv, "dashboard")
        bar = drv.find_element(By.ID, "live").text
        check(bar.startswith("实时更新：") and "HQ-" in bar, "the line says what changed: " + bar)
        btest.shots(drv, "live-dashboard-after")
        not_reloaded(drv, "dashboard after the screenshots")

        # an open issue's page: 5 hours later it is overdue (a 4-hour deadline)
        drv.get(w.url("/console/issue/" + first))
        connected(drv)
        check("超期" not in drv.find_element(By.ID, "state").text, "not overdue yet")
        mark(drv)
        d.control().call({"cmd": "clock.advance", "ms": 5 * 3600 * 1000})
        until(drv, "var s = document.getElementById('state'); return s && s.textContent.indexOf('超期') >= 0",
              "the issue's page shows it overdue")
        not_reloaded(drv, "issue page")
        btest.shots(drv, "live-issue-overdue")

        # typing into a form: the page is not replaced, the line says so
        drv.get(w.url("/console/issue/" + second))
        connected(drv)
        mark(drv)
        box = drv.find_element(By.ID, "text-comment")
        box.send_keys("正在填写的意见")
        d.control().call({"cmd": "clock.advance", "ms": 24 * 3600 * 1000})  # a reminder of the overdue issue
        until(drv, "return document.getElementById('live').textContent.indexOf('此问题有新进展') >= 0",
              "the line says there is news")
        check_eq(drv.find_element(By.ID, "text-comment").get_attribute("value"), "正在填写的意见",
                 "the typed text stays")
        not_reloaded(drv, "issue page while typing")
        btest.shots(drv, "live-issue-typing")
    finally:
        drv.quit()
        w.stop()
        d.stop()


if __name__ == "__main__":
    hqtest.main([test_live])
