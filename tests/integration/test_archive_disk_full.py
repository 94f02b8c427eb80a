#!/usr/bin/python3
"""A disk that fills while archiving (issue 19, bad input): the retention
run is abandoned, the events stay in LMDB, and status says so.

houqind's state is on a small tmpfs (as in test_disk_full.py); a month of
sensor readings is stored with the manual clock, the clock moves on until
the month has ended and the readings are past their retention
(sensor.reading: 30d; runs only when started, `every: 300d`), the tmpfs is filled to the last byte, and a
retention run is started and waited for.  Then:

- the control command says the run failed;
- status.retention.error says the run was abandoned while archiving and
  that the events stay in LMDB, abandoned_ms is the clock's time, and the
  events in LMDB are all still there (status and houqinctl verify);
- nothing is left in STATE/archive (no .part, no archive, no manifest);
- houqind goes on storing once space is back (the filler removed), and the
  next run archives the month, removes the readings from LMDB, clears the
  error, and houqinctl verify passes across the archive and LMDB.

Needs root (mount -t tmpfs); without it the test says so and is skipped
(exit 77)."""
import datetime
import os
import shutil
import subprocess
import sys

import hqtest as T
from hqtest import check, check_eq
from test_disk_full import fill, mount_tmpfs, umount

SKIP = 77
DAY = 86400000
ARGS = None

POLICY = """retention:
  every: 300d  # no run on its own during the test: runs are started by retention.run
  types:
    sensor.reading: 30d
"""


def month_start(months_ahead):
    n = datetime.datetime.now(datetime.timezone.utc)
    m = n.month - 1 + months_ahead
    return int(datetime.datetime(n.year + m // 12, m % 12 + 1, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def make_rules(d):
    rules = os.path.join(d, "rules")
    os.makedirs(rules)
    for f in ("escalation.yaml", "org.yaml"):
        shutil.copy(os.path.join(ARGS.rules, f), rules)
    with open(os.path.join(rules, "retention.yaml"), "w") as f:
        f.write(POLICY)
    return rules


def ctl(d, req, timeout=120.0):
    return d.control().call(req, timeout=timeout)


def houqinctl(*args):
    p = subprocess.run([ARGS.houqinctl] + list(args), capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def archive_files(state):
    d = os.path.join(state, "archive")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_disk_full_while_archiving():
    work = T.tmpdir("hq-adf-")
    mnt = os.path.join(work, "mnt")
    os.mkdir(mnt)
    why = mount_tmpfs(mnt)
    if why is not None:
        T.log("SKIP: cannot mount a tmpfs for the state (%s)" % why)
        sys.exit(SKIP)
    dm = None
    try:
        rules = make_rules(work)
        state = os.path.join(mnt, "state")
        t0 = month_start(2)
        dm = T.Daemon(state=state, workdir=work, extra=["--clock", "manual"])
        dm.argv = lambda: [ARGS.houqind, "--state", state, "--ingest", dm.ingest_ep, "--control", dm.control_ep,
                           "--publish", dm.publish_ep, "--schemas", ARGS.schemas, "--rules", rules, "--clock",
                           "manual"]
        dm.start()
        r = ctl(dm, {"cmd": "clock.set", "ms": t0})
        check(r.get("ok") is True, "clock.set: %r" % r)
        # Four days of a sensor every 5 minutes, stored as they happen.
        batch = []
        for i in range(4 * 288):
            ts = t0 + i * 300000
            eid = "adf-%05d" % i
            batch.append((eid, T.pack(T.event(eid, type="sensor.reading", source="gw", ts=ts,
                                              data=T.sensor_data(value=4.5, sensor="cs-001")))))
        for k in range(0, len(batch), 288):
            r = ctl(dm, {"cmd": "clock.set", "ms": t0 + (k // 288) * DAY})
            check(r.get("ok") is True, "clock.set: %r" % r)
            replies = T.pipeline(dm.ingest_ep, batch[k:k + 288], window=100)
            check(all(x["status"] == "stored" for x in replies.values()), "readings stored")
        # The month has ended and the readings are older than 30 days.
        r = ctl(dm, {"cmd": "clock.set", "ms": month_start(3) + 31 * DAY})
        check(r.get("ok") is True, "clock.set: %r" % r)
        before = dm.status()
        check_eq(before["events"], len(batch), "events stored")

        filler = os.path.join(mnt, "filler")
        n = fill(filler)
        T.log("filled the tmpfs with %d bytes" % n)
        r = ctl(dm, {"cmd": "retention.run", "wait": True})
        check(r.get("ok") is False and "retention" in r.get("error", ""), "the run on a full disk: %r" % r)
        st = dm.status()
        ret = st["retention"]
        T.log("status.retention.error: %s" % ret["error"])
        check("abandoned while archiving" in ret["error"] and "the events stay in LMDB" in ret["error"],
              "status says the run was abandoned and the events stay: %r" % ret)
        check("No space left on device" in ret["error"], "and why: %r" % ret["error"])
        check_eq(ret["abandoned_ms"], st["clock_ms"], "abandoned_ms")
        check_eq((st["events"], ret["events_in_lmdb"], ret["archived_upto"]), (len(batch), len(batch), 0),
                 "every event still in LMDB, nothing archived")
        check_eq(archive_files(state), [], "nothing left in STATE/archive")
        check("retention run abandoned while archiving" in dm.log_text(), "the log says so")

        # Space again: the next run archives the month and prunes it.
        os.unlink(filler)
        r = ctl(dm, {"cmd": "retention.run", "wait": True})
        check(r.get("ok") is True, "the run with space: %r" % r)
        st = dm.status()
        ret = st["retention"]
        check_eq((ret["error"], ret["abandoned_ms"]), ("", 0), "the error is cleared")
        check(ret["archived_upto"] == len(batch) and ret["events_in_lmdb"] < len(batch),
              "archived and pruned: %r" % ret)
        files = archive_files(state)
        check(len(files) == 2 and files[0].endswith(".hqa") and files[1].endswith(".manifest"),
              "one archive and its manifest: %r" % files)
        dm.stop()
        rc, out, err = houqinctl("verify", "--state", state)
        check_eq(rc, 0, "verify after the run: %s %s" % (out, err))
        T.log("after the second run: %d events in LMDB, archive %s" % (ret["events_in_lmdb"], files[0]))
    finally:
        if dm is not None:
            dm.kill()
        umount(mnt)


if __name__ == "__main__":
    ARGS = T.parse_args(lambda p: p.add_argument("--houqinctl", required=True, help="path of houqinctl"))
    T.main([test_disk_full_while_archiving])
