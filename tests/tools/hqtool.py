"""hqtool - shared code of the houqinctl tests.

Builds on tests/integration/hqtest.py (the daemon on ipc:// endpoints in a
temporary directory, bounded waits, cleanup) and adds: running houqinctl,
local times in Asia/Shanghai, and the fixture state that the golden-file,
evaluation and browser tests read.

The fixture is made by the real houqind with --clock manual on the test
rules in tests/tools/data/rules, driven through houqinctl itself (send,
ack, rectify, recheck, comment, close) with the clock set between steps, so
every time in the outputs is fixed by the manual clock.  The story (times
are local, 2036 is a leap year):

  #1 02-27 10:00 dorm-5 spot check: no self-inspection record (anju, low,
     inspection-missing; deadline 02-28 10:00) -> overdue 02-28 10:00,
     level 2 02-29 10:00, overdue-day penalties 02-29 and 03-01 (300 each);
     rectified 03-02 09:00, recheck pass 03-02 11:00.
  #2 03-03 09:00 canteen-1 spot check fails (xinyuan, medium; deadline
     03-05 09:00); ack 03-03 10:00; rectified 03-04 15:00; recheck FAIL
     03-04 17:00 (penalty 1000; new deadline 03-06 17:00) -> overdue 03-06
     17:00, level 2 and overdue-day penalty 500 03-07 17:00; rectified
     03-08 09:00; recheck pass 03-08 11:00; comment 03-08 12:00.
  #3 03-05 08:00 dorm-3 complaint with the complainant's phone (anju, low,
     complaints; deadline 03-08 08:00); ack 03-05 09:00, rectified 03-06
     10:00, recheck pass 03-06 14:00.
  #4 03-10 10:00 dorm-5 spot check again: no self-inspection record (anju,
     low, inspection-missing; deadline 03-11 10:00) -> overdue, level 2
     03-12 10:00, penalties 03-12 and 03-13 (300 each); still open.
  #5 03-12 09:00 canteen-2 key inspection fails (xinyuan); closed by hand
     03-12 12:00 as a false alarm: dismissed.
  #6 03-13 09:00 canteen-1 fails again: a recurrence of #2 (level 2,
     accountability, penalty 2000); still open.
  The state's clock ends at 03-14 08:00 (a last, harmless sensor reading
  makes houqind write it into the state).
"""
import datetime
import json
import os
import subprocess
import sys
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import hqtest as T  # noqa: E402
from hqtest import check, check_eq  # noqa: E402,F401

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
ARGS = None


def parse_args(extra=None):
    """hqtest's options plus --houqinctl, --golden and --update."""
    global ARGS

    def more(p):
        p.add_argument("--houqinctl", required=True, help="path of the houqinctl binary")
        p.add_argument("--golden", default=os.path.join(HERE, "golden"), help="golden files directory")
        p.add_argument("--update", action="store_true", help="rewrite the golden files")
        if extra:
            extra(p)

    ARGS = T.parse_args(more)
    return ARGS


def ms(text):
    """ms since the epoch of a local time "2036-03-03 09:00"."""
    dt = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)
    return int(dt.timestamp() * 1000)


class Result:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr

    @property
    def text(self):
        return self.out.decode("utf-8")

    @property
    def errtext(self):
        return self.err.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.text)

    def __repr__(self):
        return "rc=%d stdout=%r stderr=%r" % (self.rc, self.out[:300], self.err[:300])


def ctl(*args, check_rc=0, timeout=60, env=None, stdin=None):
    """Runs houqinctl; fails unless it exits with check_rc (None: any)."""
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    if env:
        e.update(env)
    p = subprocess.run([ARGS.houqinctl] + [str(a) for a in args], stdin=stdin or subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=e)
    r = Result(p)
    if check_rc is not None and r.rc != check_rc:
        raise T.TestFailure("houqinctl %s: expected exit %d, got %r" % (" ".join(map(str, args)), check_rc, r))
    return r


def seed_clock(state, text, map_size=1 << 20):
    """Creates the state directory with houqind's manual clock at text, so
    that houqind --clock manual starts there ("a manual clock resumes where
    the last run left it": meta "clock", be64 ms; meta "format" is the
    store's format version, see lib/store.c).  Without it the clock starts
    at the wall clock and the first clock.set would cross years of days
    that houqind processes one by one."""
    import lmdb
    import struct
    os.makedirs(state, exist_ok=True)
    env = lmdb.open(state, max_dbs=16, map_size=map_size)
    meta = env.open_db(b"meta")
    with env.begin(write=True) as txn:
        txn.put(b"format", b"2", db=meta)
        txn.put(b"clock", struct.pack(">Q", ms(text)), db=meta)
    env.close()


def manual_daemon(start, extra=()):
    """houqind with a manual clock that starts at start (local time)."""
    d = T.Daemon(extra=["--clock", "manual"] + list(extra))
    seed_clock(d.state, start)
    st = d.start()
    check_eq(st["clock_ms"], ms(start), "the manual clock at start")
    return d


def set_clock(d, text):
    r = d.control().call({"cmd": "clock.set", "ms": ms(text)}, timeout=30)
    check(r.get("ok") is True, "clock.set %s: %r" % (text, r))


def send(d, type_, when, *fields, id=None):
    """houqinctl send with the event time set to the manual clock's."""
    args = ["send", "--ingest", d.ingest_ep, "--schemas", ARGS.schemas, "--type", type_, "--ts", ms(when),
            "--source", "fixture"]
    if id:
        args += ["--id", id]
    r = ctl(*(args + list(fields)))
    check(r.text.startswith("stored "), "send %s: %r" % (type_, r))


def act(d, *args):
    r = ctl(*(list(args) + ["--ingest", d.ingest_ep]))
    check(r.text.startswith("stored "), "%s: %r" % (args, r))
    return r


def inspection(d, when, kind, domain, site, code, note, id):
    items = json.dumps([{"code": code, "result": "fail", "note": note}], ensure_ascii=False)
    send(d, "inspection.submitted", when, "kind=" + kind, "domain=" + domain, "site=" + site,
         "inspector=lin.sup", "items=" + items, id=id)


def build_fixture(d):
    """Drives d (started with --clock manual on the test rules) through the
    story of the module docstring.  Returns the issue numbers by story
    number."""
    N = {i: "HQ-2036-%06d" % i for i in range(1, 7)}
    set_clock(d, "2036-02-27 10:00")
    inspection(d, "2036-02-27 10:00", "spot", "property", "dorm-5", "self_inspection_record", "未见本周自查记录",
               "fx-1")
    # The clock stops at every due time, so that each timer fires exactly
    # when due (houqind may cross a long clock.set in steps of its own).
    for t in ("2036-02-28 10:00", "2036-02-29 10:00", "2036-03-01 10:00"):
        set_clock(d, t)
    set_clock(d, "2036-03-02 09:00")
    act(d, "rectify", N[1], "--actor", "contact.anju", "--evidence", "已补齐自查记录并张贴自查制度")
    set_clock(d, "2036-03-02 11:00")
    act(d, "recheck", N[1], "--pass", "--actor", "lin.sup")

    set_clock(d, "2036-03-03 09:00")
    inspection(d, "2036-03-03 09:00", "spot", "catering", "canteen-1", "fs.storage", "生熟食品混放", "fx-2")
    set_clock(d, "2036-03-03 10:00")
    act(d, "ack", N[2], "--actor", "contact.xinyuan", "--note", "已收到，立即整改")
    set_clock(d, "2036-03-04 15:00")
    act(d, "rectify", N[2], "--actor", "contact.xinyuan", "--evidence", "已分区存放，张贴生熟分开标识",
        "--link", "https://hq.example.edu.cn/evidence/2/1.jpg")
    set_clock(d, "2036-03-04 17:00")
    act(d, "recheck", N[2], "--fail", "--note", "冷藏库内仍有生熟混放", "--actor", "lin.sup")

    set_clock(d, "2036-03-05 08:00")
    send(d, "complaint.submitted", "2036-03-05 08:00", "domain=dormitory", "site=dorm-3", "category=hot_water",
         "text=三楼热水温度不够，洗澡水是温的", "contact=13800000000", id="fx-3")
    set_clock(d, "2036-03-05 09:00")
    act(d, "ack", N[3], "--actor", "contact.anju")
    set_clock(d, "2036-03-06 10:00")
    act(d, "rectify", N[3], "--actor", "contact.anju", "--evidence", "更换三楼混水阀，出水温度 45℃")
    set_clock(d, "2036-03-06 14:00")
    act(d, "recheck", N[3], "--pass", "--actor", "lin.sup", "--method", "on_site")

    set_clock(d, "2036-03-06 17:00")
    set_clock(d, "2036-03-07 17:00")
    set_clock(d, "2036-03-08 09:00")
    act(d, "rectify", N[2], "--actor", "contact.xinyuan", "--evidence", "冷藏库重新分区，增设隔板")
    set_clock(d, "2036-03-08 11:00")
    act(d, "recheck", N[2], "--pass", "--actor", "lin.sup")
    set_clock(d, "2036-03-08 12:00")
    act(d, "comment", N[2], "请举一反三，对各食堂冷藏库开展排查。", "--actor", "chen.catering")

    set_clock(d, "2036-03-10 10:00")
    inspection(d, "2036-03-10 10:00", "spot", "property", "dorm-5", "self_inspection_record", "自查记录再次缺失",
               "fx-4")
    set_clock(d, "2036-03-11 10:00")
    set_clock(d, "2036-03-12 09:00")
    inspection(d, "2036-03-12 09:00", "key", "catering", "canteen-2", "fs.tableware", "餐具消毒记录不全", "fx-5")
    set_clock(d, "2036-03-12 10:00")
    set_clock(d, "2036-03-12 12:00")
    act(d, "close", N[5], "--reason", "复核为误报：检查表填写错误", "--resolution", "false_alarm",
        "--actor", "chen.catering")
    set_clock(d, "2036-03-13 09:00")
    inspection(d, "2036-03-13 09:00", "spot", "catering", "canteen-1", "fs.storage", "生熟混放问题复发", "fx-6")
    set_clock(d, "2036-03-13 10:00")
    set_clock(d, "2036-03-14 08:00")
    # An event that opens nothing, so that a write transaction records the
    # manual clock's final time in the state (houqind saves it with writes).
    send(d, "sensor.reading", "2036-03-14 08:00", "sensor=cs-001", "kind=cold_storage_temp", "value=4.5",
         "unit=C", "site=canteen-1", id="fx-7")
    return N


def fixture_daemon():
    """A started daemon with the fixture built; the caller stops it."""
    d = manual_daemon("2036-02-27 08:00")
    build_fixture(d)
    return d


def fixture_state():
    """The fixture's state directory, its daemon stopped (nobody writes it)."""
    d = fixture_daemon()
    try:
        d.stop()
    finally:
        d.kill()
    return d.state
