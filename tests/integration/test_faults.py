#!/usr/bin/python3
"""Fault injection (issue 8 item 9): a failing fsync.  With an LD_PRELOAD
shim, fdatasync/fsync start failing with EIO when the test creates a flag
file.  houqind must not acknowledge what it could not make durable: the
batch in hand gets no "stored", the daemon stops (a failed fsync is never
retried: the kernel may have dropped the pages, PostgreSQL's "fsyncgate"),
and after a restart everything that was acknowledged is there exactly
once, and producers' retries are stored."""
import os
import time

import hqtest as T
from hqtest import check, check_eq

ARGS = None


def main():
    global ARGS
    ARGS = T.parse_args(lambda p: p.add_argument("--shim", required=True, help="the fsync-failing shim (.so)"))
    T.main([test_failing_fsync])


def test_failing_fsync():
    d = T.tmpdir("hq-fault-")
    flag = os.path.join(d, "fail-now")
    dm = T.Daemon()
    saved = os.environ.get("ASAN_OPTIONS")
    os.environ["LD_PRELOAD"] = ARGS.shim
    os.environ["HQ_FAIL_FSYNC_FLAG"] = flag
    # An ASan build wants its runtime first; the shim only wraps two calls.
    os.environ["ASAN_OPTIONS"] = (saved + ":" if saved else "") + "verify_asan_link_order=0"
    try:
        dm.start()
    finally:
        del os.environ["LD_PRELOAD"]
        del os.environ["HQ_FAIL_FSYNC_FLAG"]
        if saved is None:
            del os.environ["ASAN_OPTIONS"]
        else:
            os.environ["ASAN_OPTIONS"] = saved
    try:
        one = T.OneShot(dm.ingest_ep)
        acked = []
        for i in range(20):
            r = one.request(T.pack(T.event("f-%d" % i)))
            check_eq(r["status"], "stored", "event f-%d before the fault" % i)
            acked.append("f-%d" % i)
        open(flag, "w").close()  # from now on every fsync fails
        got = None
        try:
            got = one.request(T.pack(T.event("f-fault")), timeout=5)
        except TimeoutError:
            pass
        check(got is None or got.get("status") != "stored",
              "an event whose commit could not be made durable was acknowledged: %r" % got)
        deadline = time.monotonic() + 20
        while dm.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        check(not dm.alive(), "houqind still runs after a failed fsync")
        check_eq(dm.proc.returncode, 2, "exit status after a failed fsync")
        check("storage failed" in dm.log_tail() or "fatal" in dm.log_tail().lower() or "i/o" in dm.log_tail(),
              "the log says why: %s" % dm.log_tail())
        dm.proc = None
        os.unlink(flag)
        dm.start()  # without the shim
        one.close()
        one = T.OneShot(dm.ingest_ep)
        r = one.request(T.pack(T.event("f-fault")))
        check_eq(r["status"], "stored", "the retry of the unacknowledged event after the restart")
        r = one.request(T.pack(T.event("f-3")))
        check_eq(r["status"], "duplicate", "an event acknowledged before the fault")
        st = dm.status()
        check_eq(st["events"], 21, "events in the log (20 acknowledged before the fault, 1 retried after)")
        one.close()
        dm.stop()
    finally:
        dm.kill()


if __name__ == "__main__":
    main()
