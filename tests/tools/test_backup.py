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
import hashlib
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
                   data={"domain": "dormitory", "site": "dorm-3", "category": "hot_water", "ticket": "#%06d" % i,
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


def stored_state(n):
    """A state holding n complaints, its houqind stopped; returns its directory."""
    d = H.manual_daemon("2036-03-03 09:00")
    try:
        send_range(d, 0, n)
        d.stop()
    finally:
        d.kill()
    return d.state


def test_progress_only_on_a_terminal():
    global STATE
    state = stored_state(500)
    drawn = with_tty_stderr(["backup", os.path.join(T.tmpdir(), "b"), "--state", state])
    check(b"backup [" in drawn and b"%" in drawn, "no progress bar on a terminal: %r" % drawn[:200])
    drawn = with_tty_stderr(["ledger", "--from", "2036-03-01", "--to", "2036-03-31", "--format", "csv", "--state",
                             state, "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas])
    check(b"ledger [" in drawn and b"500/500" in drawn, "no ledger progress on a terminal: %r" % drawn[:200])
    r = H.ctl("ledger", "--from", "2036-03-01", "--to", "2036-03-31", "--format", "csv", "--state", state,
              "--rules", H.ARGS.rules, "--schemas", H.ARGS.schemas)
    check_eq(r.err, b"", "ledger stderr when piped")
    STATE = state


def test_refusals():
    d = T.tmpdir()
    with open(os.path.join(d, "x"), "w") as f:
        f.write("x")
    r = H.ctl("backup", d, "--state", STATE, check_rc=2)
    check(len(r.errtext.strip().splitlines()) == 1 and "holds other files than a backup" in r.errtext, "%r" % r)
    check_eq(os.listdir(d), ["x"], "a non-empty target is left alone")
    top = os.path.join(T.tmpdir(), "new")
    target = os.path.join(top, "a", "b")
    r = H.ctl("backup", target, "--state", "/nonexistent-state", check_rc=2)
    check(len(r.errtext.strip().splitlines()) == 1, "%r" % r)
    check(not os.path.exists(top), "the folders made for a failed backup are removed")


POLICY = """retention:
  every: 300d  # runs only when started (retention.run)
  types:
    sensor.reading: 30d
"""


def retention_daemon(start):
    """houqind (manual clock from start) on the fixture rules plus a
    retention policy; returns the started daemon."""
    rules = os.path.join(T.tmpdir(), "rules")
    shutil.copytree(H.ARGS.rules, rules)
    with open(os.path.join(rules, "retention.yaml"), "w") as f:
        f.write(POLICY)
    d = T.Daemon(extra=["--clock", "manual"])
    d.argv = lambda: [T.ARGS.houqind, "--state", d.state, "--ingest", d.ingest_ep, "--control", d.control_ep,
                      "--publish", d.publish_ep, "--schemas", T.ARGS.schemas, "--rules", rules, "--clock", "manual"]
    H.seed_clock(d.state, start)
    d.start()
    return d


def readings(d, day, n, tag):
    """n readings of one sensor every 5 minutes from day 08:00, stored then."""
    H.set_clock(d, day + " 08:00")
    t = H.ms(day + " 08:00")
    frames = [("%s-%05d" % (tag, i), T.pack(T.event("%s-%05d" % (tag, i), source="gw", ts=t + i * 300000,
                                                    data=T.sensor_data(value=4.5))))
              for i in range(n)]
    replies = T.pipeline(d.ingest_ep, frames, window=200)
    check(all(r["status"] == "stored" for r in replies.values()), "readings stored")


def retention_run(d):
    r = d.control().call({"cmd": "retention.run", "wait": True}, timeout=120)
    check(r.get("ok") is True, "retention.run: %r" % r)
    return r["retention"]


def archives(state):
    a = os.path.join(state, "archive")
    return sorted(os.listdir(a)) if os.path.isdir(a) else []


def test_archives_incremental_and_compact():
    """Issue 19: backup copies the archives the target lacks, checked
    against their manifests; a damaged archive is not copied; --compact
    writes a compacted data.mdb; the target's parents are created."""
    d = retention_daemon("2036-03-02 08:00")
    try:
        readings(d, "2036-03-02", 2000, "m3")
        H.set_clock(d, "2036-05-05 08:00")
        ret = retention_run(d)
        check(ret["archived_upto"] == 2000 and ret["events_in_lmdb"] < 2000, "March archived and pruned: %r" % ret)
        check_eq(archives(d.state), ["2036-03.hqa", "2036-03.manifest"], "archives after the first run")

        dest = os.path.join(T.tmpdir(), "srv", "backup", "houqin")  # parents made too
        r = H.ctl("backup", dest, "--state", d.state)
        check(r.text.rstrip().endswith("archives: 1 copied (%.1f MiB), 0 already there" % (
            os.path.getsize(os.path.join(d.state, "archive", "2036-03.hqa")) / 1048576.0)), "first backup: %r" % r.text)
        check_eq(sorted(os.listdir(dest)), ["archive", "data.mdb"], "files of the backup")
        check_eq(archives(dest), archives(d.state), "archives in the backup")
        for f in archives(dest):
            with open(os.path.join(dest, "archive", f), "rb") as x, open(os.path.join(d.state, "archive", f), "rb") as y:
                check(x.read() == y.read(), "%s copied byte for byte" % f)
        first = os.stat(os.path.join(dest, "archive", "2036-03.hqa"))

        # A second month; the same target again: only the new archive is copied.
        readings(d, "2036-05-05", 500, "m5")
        H.set_clock(d, "2036-06-10 08:00")
        retention_run(d)
        check_eq(archives(d.state), ["2036-03.hqa", "2036-03.manifest", "2036-05.hqa", "2036-05.manifest"],
                 "archives after the second run")
        r = H.ctl("backup", dest, "--state", d.state)
        check("archives: 1 copied" in r.text and "1 already there" in r.text, "second backup: %r" % r.text)
        again = os.stat(os.path.join(dest, "archive", "2036-03.hqa"))
        check_eq((again.st_ino, again.st_mtime_ns), (first.st_ino, first.st_mtime_ns),
                 "the archive already there is not written again")
        r = H.ctl("backup", dest, "--state", d.state)
        check("archives: 0 copied (0.0 MiB), 2 already there" in r.text, "third backup: %r" % r.text)
        st = d.status()
        d.stop()
        # The backup is a complete state: verify checks the chain through its
        # archives and on into its data.mdb.
        v = H.ctl("verify", "--state", dest)
        check_eq(v.rc, 0, "verify of the backup: %r" % v.text)
        check_eq(T.read_store(dest).events, T.read_store(d.state).events, "the backup's LMDB log is the state's")
        check_eq(st["last_seq"], 2500, "events stored")

        # --compact: a compacted data.mdb (retention freed pages), no larger than a page copy.
        plain = os.path.getsize(os.path.join(dest, "data.mdb"))
        cdest = os.path.join(T.tmpdir(), "compact")
        r = H.ctl("backup", cdest, "--state", d.state, "--compact")
        check("compacted" in r.text, "compact backup: %r" % r.text)
        small = os.path.getsize(os.path.join(cdest, "data.mdb"))
        T.log("data.mdb: state %d bytes, page copy %d, compacted %d" % (
            os.path.getsize(os.path.join(d.state, "data.mdb")), plain, small))
        check(small < plain, "the compacted copy (%d) is smaller than the page copy (%d)" % (small, plain))
        check_eq(H.ctl("verify", "--state", cdest).rc, 0, "verify of the compacted backup")

        # A damaged archive is not copied: the backup fails and leaves no trace of it.
        with open(os.path.join(d.state, "archive", "2036-05.hqa"), "r+b") as f:
            f.seek(100)
            b = f.read(1)
            f.seek(100)
            f.write(bytes([b[0] ^ 0x01]))
        bad = os.path.join(T.tmpdir(), "bad")
        r = H.ctl("backup", bad, "--state", d.state, check_rc=1)
        check("2036-05.hqa does not match its manifest" in r.errtext, "the damaged archive named: %r" % r.errtext)
        check_eq(archives(bad), ["2036-03.hqa", "2036-03.manifest"], "only the sound archive copied")
    finally:
        d.kill()


def put_photo(media, data):
    """Stores data as houqin-web does: MEDIA/ab/cd/<sha256 hex>; returns the hex."""
    h = hashlib.sha256(data).hexdigest()
    d = os.path.join(media, h[:2], h[2:4])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, h), "wb") as f:
        f.write(data)
    return h


def photos(root):
    out = {}
    for dirpath, _, files in os.walk(os.path.join(root, "media")):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as f:
                out[os.path.relpath(os.path.join(dirpath, name), root)] = f.read()
    return out


def test_photos():
    """houqin-web's photos (STATE/media) go into the backup: only the ones
    the target lacks, checked against their names; a damaged one is named
    and not copied; other files are passed over; --media for another
    folder."""
    state = stored_state(20)
    media = os.path.join(state, "media")
    for i in range(5):
        put_photo(media, b"\xff\xd8\xff photo %d " % i + os.urandom(3000))
    tmp = os.path.join(media, "00", "11")
    os.makedirs(tmp, exist_ok=True)
    with open(os.path.join(tmp, ".tmp-unfinished"), "wb") as f:
        f.write(b"half")
    dest = os.path.join(T.tmpdir(), "b")
    r = H.ctl("backup", dest, "--state", state)
    check(r.text.rstrip().endswith("; photos: 5 copied (0.0 MiB), 0 already there"), "first backup: %r" % r.text)
    want = {k: v for k, v in photos(state).items() if ".tmp-" not in k}
    check_eq(photos(dest), want, "the photos copied byte for byte, the unfinished file passed over")
    before = {k: os.stat(os.path.join(dest, k)).st_ino for k in want}

    new = put_photo(media, b"\x89PNG another " + os.urandom(2000))
    r = H.ctl("backup", dest, "--state", state)
    check(r.text.rstrip().endswith("; photos: 1 copied (0.0 MiB), 5 already there"), "second backup: %r" % r.text)
    check_eq({k: os.stat(os.path.join(dest, k)).st_ino for k in want}, before, "photos already there not rewritten")
    check(os.path.exists(os.path.join(dest, "media", new[:2], new[2:4], new)), "the new photo copied")

    # A photo whose bytes no longer match its name: named, not copied, exit 1.
    bad = put_photo(media, b"\xff\xd8\xff to be damaged " + os.urandom(100))
    with open(os.path.join(media, bad[:2], bad[2:4], bad), "r+b") as f:
        f.seek(5)
        f.write(b"X")
    r = H.ctl("backup", dest, "--state", state, check_rc=1)
    check(bad in r.errtext and "do not match its name" in r.errtext, "the damaged photo named: %r" % r.errtext)
    check(not os.path.exists(os.path.join(dest, "media", bad[:2], bad[2:4], bad)), "the damaged photo not copied")

    # --media: houqin-web run with --media elsewhere.
    other = os.path.join(T.tmpdir(), "elsewhere")
    shutil.move(media, other)
    os.remove(os.path.join(other, bad[:2], bad[2:4], bad))
    dest2 = os.path.join(T.tmpdir(), "b2")
    r = H.ctl("backup", dest2, "--state", state, "--media", other)
    check(r.text.rstrip().endswith("; photos: 6 copied (0.0 MiB), 0 already there"), "--media: %r" % r.text)
    r = H.ctl("backup", os.path.join(T.tmpdir(), "b3"), "--state", state)
    check("photos" not in r.text, "no media folder, nothing said about photos: %r" % r.text)


if __name__ == "__main__":
    H.parse_args()
    T.main([test_backup_under_load_and_restore, test_progress_only_on_a_terminal, test_refusals,
            test_archives_incremental_and_compact, test_photos])
