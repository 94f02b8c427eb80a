"""btest - shared code of the browser tests (headless Chromium through
Selenium), as tests/integration/hqtest.py is for the integration tests.

parse_args() takes the common options plus --houqin-web, --houqinctl and
--shots; importing this module exits 77 (skipped) when python3-selenium,
chromium or chromium-driver is missing.  browser() starts a bounded
Chromium (page loads time out, find_element waits at most 10 s); shot()
and shots() write full-page screenshots to --shots for review; console()
starts houqind and houqin-web with accounts, login() signs a person in."""

import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hqtest  # noqa: E402
from hqtest import check, check_eq, log  # noqa: E402
from webtest import Web  # noqa: E402
import consoletest as ct  # noqa: E402

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("python3-selenium missing: skipped")
    sys.exit(77)

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not CHROMIUM or not os.path.exists(DRIVER):
    print("chromium or chromium-driver missing: skipped")
    sys.exit(77)

ARGS = None


def parse_args():
    global ARGS

    def extra(p):
        p.add_argument("--houqin-web", required=True)
        p.add_argument("--houqinctl", required=True)
        p.add_argument("--shots", required=True)

    ARGS = hqtest.parse_args(extra)
    return ARGS


def browser(width=1280, height=900, phone=False):
    """A headless Chromium of width x height; phone emulates a phone's
    screen (touch, device pixel ratio 2)."""
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--window-size=%d,%d" % (width, height),
              "--user-data-dir=" + hqtest.tmpdir("hq-chrome-")):
        o.add_argument(a)
    if phone:
        o.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height,
                                                                        "pixelRatio": 2.0}})
    drv = webdriver.Chrome(service=Service(DRIVER), options=o)
    drv.set_page_load_timeout(30)
    drv.implicitly_wait(10)  # find_element waits (bounded) for the next page after a click
    return drv


def shot(drv, name, width=390, height=844, pad=120, cap=2400):
    """The current page, whole (up to cap px high), at width, into
    --shots/name.png."""
    os.makedirs(ARGS.shots, exist_ok=True)
    drv.set_window_size(width, height)
    h = drv.execute_script("return Math.max(document.body.scrollHeight, %d)" % height)
    drv.set_window_size(width, min(int(h) + pad, cap))
    path = os.path.join(ARGS.shots, name + ".png")
    drv.save_screenshot(path)
    log("screenshot", path)


def shots(drv, name):
    """The current page at phone (390 px) and desktop (1280 px) width, into
    --shots/name-phone.png and name-desktop.png; the window is left at
    desktop size."""
    for label, width in (("phone", 390), ("desktop", 1280)):
        shot(drv, "%s-%s" % (name, label), width, 900, 140, 3000)
    drv.set_window_size(1280, 900)


def console(people, web_args):
    """houqind on a manual clock, houqin-web with web_args(d) (d: the
    daemon) and an account for each of people; returns (d, w, houqinctl)."""
    d = hqtest.Daemon(extra=["--clock", "manual"])
    d.start()
    w = Web(d, ARGS.houqin_web, web_args(d))
    w.start()
    ctl = ARGS.houqinctl
    for p in people:
        check_eq(ct.account(ctl, d, p)[0], 0, "account " + p)
    return d, w, ctl


def submit(drv, element_id, timeout=30):
    """Clicks the element element_id, which leaves the page (a form's
    button, a link), and waits (at most timeout s) until the page before is
    gone.  Reading the next page's elements right after a click could find
    the same id on the page before (a notice, the forms an answer page
    repeats) while a slow server (ASan) is still answering."""
    old = drv.find_element(By.TAG_NAME, "html")
    drv.find_element(By.ID, element_id).click()

    def gone(_):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:  # chromedriver, mid-navigation: the node left the document
            if "does not belong to the document" in str(e):
                return True
            raise

    WebDriverWait(drv, timeout).until(gone)


def login(drv, w, person):
    """Signs person in through the login page (consoletest's password)."""
    drv.delete_all_cookies()
    drv.get(w.url("/login"))
    drv.find_element(By.ID, "person").send_keys(person)
    drv.find_element(By.ID, "password").send_keys(ct.PASSWORD)
    submit(drv, "login")
    check(drv.find_element(By.ID, "who") is not None, "logged in as " + person)
