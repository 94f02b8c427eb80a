#!/usr/bin/python3
"""houqinctl backup (issue 7 item 7) and the restore of docs/backup.md.

Back up while houqind stores a stream of events: the copy is one
consistent snapshot (its event log is a prefix of the live one, byte for
byte, and its issues are exactly those of that prefix), compacted, and a
complete state.  Then the documented restore: stop houqind, replace the
state directory with the backup, start houqind: the same issues, and it
goes on storing from where the backup ends.  Progress bars appear when
stderr is a terminal and never when it is piped.
"""
import os
import pty
import shutil
import subprocess
import threading

import json

import hqtool as H
from hqtool import T, check, check_eq


def complaint(i):
    return T.event("bk-%06d" % i, type="complaint.submitted", source="load", ts=H.ms("2036-03-03 09:00"),
                   data={"domain": "dormitory", "site": "dorm-3", "category": "c%06d" % i,
                         "text": "第 %d 条投诉" % i + "。" * 300})


def send_range(d, a, b):
    replies = T.pipeline(d.ingest_ep, [("bk-%06d" % i, T.pack(complaint(i))) for i in range(a, b)], window=200)
    check(all(r["status"] == "stored" for r in replies.values()), "not all stored")


def with_tty_stderr(args):
    """Runs houqinctl with stderr on a pseudo-terminal; returns what it drew."""
    master, slave = pty.openpty()
    p = subprocess.Popen([H.ARGS.houqinctl] + args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    check_eq(p.wait(timeout=120), 0, "houqinctl %s on a terminal" % args[0])
    return out


def test_backup_under_load_and_restore():
    d = H.manual_daemon("2036-03-03 09:00")
    try:
        send_range(d, 0, 3000)
        backup = os.path.join(T.tmpdir(), "backup")
        stop = threading.Event()
        going = threading.Event()
        sent = {"n": 3000}

        def load():
            while not stop.is_set() and sent["n"] < 20000:
                send_range(d, sent["n"], sent["n"] + 250)
                sent["n"] += 250
                going.set()

        th = threading.Thread(target=load)
        th.start()
        try:
            check(going.wait(timeout=120), "the load did not start")
            r = H.ctl("backup", backup, "--state", d.state)
        finally:
            stop.set()
            th.join(timeout=300)
        check(r.text.startswith("backup of %s in %s: " % (d.state, backup)), "backup output: %r" % r)
        check_eq(r.err, b"", "stderr of a piped backup (no progress bar)")
        check_eq(sorted(os.listdir(backup)), ["data.mdb"], "files of the backup")
        snap = H.ctl("issues", "--json", "--state", backup).out
        issues = json.loads(snap)
        bview = T.read_store(backup)
        check(len(bview.events) >= 3250, "the backup has %d events, 3250 were stored before it" % len(bview.events))
        check_eq(len(issues), len(bview.events), "one issue per complaint in the backup")
        T.verify_log_consistent(bview)
        d.stop()
        live = T.read_store(d.state)
        check(len(live.events) >= len(bview.events), "live log shorter than the backup's")
        for seq, ev in bview.events.items():
            if live.events.get(seq) != ev:
                raise T.TestFailure("event %d of the backup differs from the live log" % seq)
        check_eq(max(bview.events), len(bview.events), "the backup's log is a prefix (no gap)")
        check(os.path.getsize(os.path.join(backup, "data.mdb")) <= os.path.getsize(os.path.join(d.state,
                                                                                            "data.mdb")),
              "the backup is larger than the state")
        T.log("backup: %d of %d events, %d bytes (state %d bytes)" % (
            len(bview.events), len(live.events), os.path.getsize(os.path.join(backup, "data.mdb")),
            os.path.getsize(os.path.join(d.state, "data.mdb"))))

        # The restore of docs/backup.md: stop (done), replace, start.
        os.rename(d.state, d.state + ".old")
        shutil.copytree(backup, d.state)
        d.start()
        check_eq(H.ctl("issues", "--json", "--state", d.state).out, snap, "issues after the restore")
        st = d.status()
        check_eq((st["events"], st["last_seq"]), (len(bview.events), len(bview.events)), "events after the restore")
        one = T.OneShot(d.ingest_ep)
        try:
            r = one.request(T.pack(complaint(50000)))
        finally:
            one.close()
        check_eq((r["status"], r["seq"]), ("stored", len(bview.events) + 1), "the next event after the restore")
        new = H.ctl("issues", "--json", "--state", d.state).json()
        check_eq(new[-1]["number"], "HQ-2036-%06d" % (len(issues) + 1), "the next issue number")
        d.stop()
    finally:
        d.kill()


STATE = None


def test_progress_only_on_a_terminal():
    global STATE
    d = H.manual_daemon("2036-03-03 09:00")
    try:
        send_range(d, 0, 500)
        d.stop()
    finally:
        d.kill()
    drawn = with_tty_stderr(["backup", os.path.join(T.tmpdir(), "b"), "--state", d.state])
    check(b"backup [" in drawn and b"%" in drawn, "no progress bar on a terminal: %r" % drawn[:200])
    drawn = with_tty_stderr(["ledger", "--from", "2036-03-01", "--to", "2036-03-31", "--format", "csv", "--state",
                             d.state, "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas])
    check(b"ledger [" in drawn and b"500/500" in drawn, "no ledger progress on a terminal: %r" % drawn[:200])
    r = H.ctl("ledger", "--from", "2036-03-01", "--to", "2036-03-31", "--format", "csv", "--state", d.state,
              "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas)
    check_eq(r.err, b"", "ledger stderr when piped")
    STATE = d.state


def test_refusals():
    d = T.tmpdir()
    with open(os.path.join(d, "x"), "w") as f:
        f.write("x")
    r = H.ctl("backup", d, "--state", STATE, check_rc=2)
    check(len(r.errtext.strip().splitlines()) == 1 and "not an empty directory" in r.errtext, "%r" % r)
    check_eq(os.listdir(d), ["x"], "a non-empty target is left alone")
    target = os.path.join(T.tmpdir(), "new")
    r = H.ctl("backup", target, "--state", "/nonexistent-state", check_rc=2)
    check(len(r.errtext.strip().splitlines()) == 1, "%r" % r)
    check(not os.path.exists(target), "a target made for a failed backup is removed")


if __name__ == "__main__":
    H.parse_args()
    T.main([test_backup_under_load_and_restore, test_progress_only_on_a_terminal, test_refusals])
