#!/usr/bin/python3
"""Fault injection (issue 8 item 9): a full disk.  houqind's state
directory is on a small size-limited tmpfs; the test fills it with a filler
file so that LMDB's page writes hit ENOSPC, and sends events.  houqind
must answer `rejected` with reason `unavailable` (never `stored` for what
it did not store), keep running, and store again by itself once the filler
is deleted.  Afterwards every event acknowledged `stored` is in the log
(read with the LMDB module after a clean stop) at the seq it was given.

Two ways to fill it: every block taken (page writes fail with ENOSPC), and
a few pages left free, so that a commit's write is short (LMDB 0.9.24
reports that as EIO, like a failing disk; houqind must tell the two apart
by the free space, see full_disk() in lib/store.c); the commit then fails
as a full disk and the batch is refused as unavailable, as for ENOSPC.  What must hold in both cases:
every event is answered, nothing is acknowledged that was not stored,
houqind keeps running, and it stores again by itself once the filler is
deleted.

Needs root (mount -t tmpfs); without it the test says so and is skipped
(exit 77, ctest's SKIP_RETURN_CODE)."""
import errno
import os
import subprocess
import sys

import hqtest as T
from hqtest import check, check_eq

SKIP = 77
SIZE = "8m"


def mount_tmpfs(where):
    """Mounts a SIZE tmpfs on where; returns None or the reason it failed."""
    if os.geteuid() != 0:
        return "not root"
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % SIZE, "hq-disk-full", where],
                       capture_output=True, text=True, timeout=30)
    return None if p.returncode == 0 else (p.stderr.strip() or "mount exited with %d" % p.returncode)


def umount(where):
    subprocess.run(["umount", "-l", where], capture_output=True, timeout=30)


def fill(path):
    """Writes path until the file system is full; returns the bytes written."""
    n = 0
    chunk = b"\xa5" * 65536
    with open(path, "wb", buffering=0) as f:
        for size in (65536, 4096, 512, 1):
            while True:
                try:
                    n += f.write(chunk[:size])
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return n


def big_event(id):
    # ~800 bytes: an event that needs new pages, not a corner of a free one.
    data = T.sensor_data(location="L" * 200, snapshot="https://cam.example/" + "s" * 480)
    return T.event(id, data=data)


def disk_full(free_pages, reply_timeout):
    work = T.tmpdir("hq-disk-")
    mnt = os.path.join(work, "mnt")
    os.mkdir(mnt)
    why = mount_tmpfs(mnt)
    if why is not None:
        T.log("SKIP: cannot mount a tmpfs for the state (%s)" % why)
        sys.exit(SKIP)
    dm = None
    try:
        state = os.path.join(mnt, "state")
        dm = T.Daemon(state=state, workdir=work)
        dm.start()
        one = T.OneShot(dm.ingest_ep)
        acked = {}         # id -> seq
        unanswered = set()  # sent, no reply: may or may not be stored

        def send(id):
            try:
                r = one.request(T.pack(big_event(id)), timeout=reply_timeout)
            except TimeoutError:
                unanswered.add(id)
                return None
            check_eq(r.get("id"), id, "reply id")
            if r["status"] == "stored":
                check(id not in acked, "%s stored twice" % id)
                acked[id] = r["seq"]
            elif r["status"] == "duplicate":
                if id not in acked:
                    check(id in unanswered, "%s answered duplicate but was never stored: %r" % (id, r))
                    acked[id] = r["seq"]
                check_eq(r["seq"], acked[id], "seq of the duplicate %s" % id)
            else:
                check_eq(r["status"], "rejected", "status of %s" % id)
                check(r.get("error", "").startswith("unavailable"),
                      "a rejection on a full disk names the reason unavailable: %r" % r)
            return r

        for i in range(50):
            r = send("before-%d" % i)
            check(r is not None and r["status"] == "stored", "event before-%d (disk not full): %r" % (i, r))

        filler = os.path.join(mnt, "filler")
        n = fill(filler)
        os.truncate(filler, n - free_pages * 4096)
        T.log("filled the tmpfs with %d bytes, then freed %d pages" % (n, free_pages))

        # Send until a run of events in a row is not stored (LMDB first
        # uses pages on its free list and what space is left), bounded.
        refused, sent, in_a_row = [], 0, 0
        while in_a_row < 10:
            check(sent < 3000, "3000 events on a full disk and never 10 refusals in a row "
                               "(%d stored, %d refused)" % (len(acked), len(refused)))
            id = "full-%d" % sent
            sent += 1
            r = send(id)
            check(dm.alive(), "houqind exited on a full disk; log:\n%s" % dm.log_tail())
            if r is None or r["status"] == "rejected":
                if r is not None:
                    refused.append(id)
                in_a_row += 1
            else:
                in_a_row = 0
        T.log("full disk: %d events sent, %d stored, %d refused as unavailable, %d unanswered" %
              (sent, len(acked) - 50, len(refused), len(unanswered)))
        # Each batch is answered: ENOSPC, or a short write on a full file system.
        check_eq(sorted(unanswered), [], "events with no reply on a full disk")
        if free_pages:
            check("is full" in dm.log_text(), "the log says the file system is full: %s" % dm.log_tail())
        st = dm.status()
        check(st["ok"], "status answers while the disk is full")

        # Space returns: the refused and unanswered events, retried, are stored.
        os.unlink(filler)
        for id in refused + sorted(unanswered):
            r = send(id)
            check(r is not None and r["status"] in ("stored", "duplicate"),
                  "the retry of %s once space returned: %r" % (id, r))
        for i in range(20):
            r = send("after-%d" % i)
            check(r is not None and r["status"] == "stored", "event after-%d (space returned): %r" % (i, r))
        check("storage works again" in dm.log_text(), "the log says storage works again")
        send("before-7")  # acknowledged before: a duplicate with its seq
        one.close()
        dm.stop()

        view = T.read_store(state)
        where = T.verify_log_consistent(view)
        for id, seq in acked.items():
            check_eq(where.get(("it-gw-1", id)), seq, "acknowledged event %s in the log" % id)
        check_eq(len(view.events), len(acked), "events in the log (every one acknowledged, nothing else)")
        T.log("%d acknowledged events, all in the log" % len(acked))
    finally:
        if dm is not None:
            dm.kill()
        umount(mnt)


def test_disk_full_no_block_left():
    disk_full(0, 10)


def test_disk_full_short_write():
    disk_full(8, 2)


if __name__ == "__main__":
    T.parse_args()
    T.main([test_disk_full_no_block_left, test_disk_full_short_write])
