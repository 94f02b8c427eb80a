#!/usr/bin/python3
"""The control socket and the command line (SPEC §8; issue 2 item 7).

- status: every field, its type, and the counts after an event and a
  rejection;
- --clock manual: clock.set, then status clock_ms equals it (and stays:
  a manual clock does not move by itself); clock.advance adds; negative is
  refused; backwards is allowed on a state without events (issue 18) and
  refused once one is stored; on the real clock clock.set and clock.advance
  are refused with an error;
- unknown, missing or mistyped cmd, garbage, non-maps: ok false with an
  error, and the daemon still answers;
- houqind --check: 0 with the shipped dirs, 1 with a broken schemas dir and
  the file:line:column error; a daemon with a broken dir does not start;
  --help exits 0 with the usage; unknown options and bad values exit 1;
- a state directory of an unknown format version is refused (exit 1, a
  clear message); SIGINT stops cleanly like SIGTERM; every log line has a
  syslog priority prefix and one start-up line says what was loaded.
"""
import glob
import os
import re
import signal
import time

import lmdb

import hqtest as T
from hqtest import check, check_eq

INT_FIELDS = ("clock_ms", "events", "last_seq", "issues", "timers", "outbox", "schemas", "stored", "duplicate",
              "rejected", "batches", "map_size", "used_bytes")


def test_status_fields():
    d = T.Daemon()
    try:
        st = d.start()
        check(st.get("ok") is True, "ok: %r" % st)
        check_eq(st.get("state"), d.state, "state")
        check_eq(st.get("clock"), "real", "clock")
        for f in INT_FIELDS:
            check(isinstance(st.get(f), int) and not isinstance(st.get(f), bool) and st[f] >= 0,
                  "status %s: %r" % (f, st.get(f)))
        check("error" not in st, "status with an error: %r" % st)
        nschemas = len(glob.glob(os.path.join(T.ARGS.schemas, "*.yaml")))
        check_eq(st["schemas"], nschemas, "schemas loaded")
        check_eq((st["events"], st["last_seq"], st["stored"], st["duplicate"], st["rejected"]), (0, 0, 0, 0, 0),
                 "counts on a fresh state")
        # the real clock is the wall clock (a loose sanity bound, not timing)
        check(abs(st["clock_ms"] - time.time() * 1000) < 600000, "clock_ms %d vs wall clock" % st["clock_ms"])
        check(st["map_size"] >= st["used_bytes"] > 0, "map_size %d, used_bytes %d" % (st["map_size"],
                                                                                    st["used_bytes"]))
        one = T.OneShot(d.ingest_ep)
        try:
            check_eq(one.request(T.pack(T.event("st-1"))).get("status"), "stored", "event")
            check_eq(one.request(T.pack(T.event("st-1"))).get("status"), "duplicate", "resent")
            check_eq(one.request(b"\xc1").get("status"), "rejected", "garbage")
        finally:
            one.close()
        st = d.status()
        check_eq((st["events"], st["last_seq"], st["stored"], st["duplicate"], st["rejected"]), (1, 1, 1, 1, 1),
                 "counts after an event, a duplicate and a rejection")
        check(st["batches"] >= 1, "batches %d" % st["batches"])
        d.stop()
        log = d.log_text().splitlines()
        lines = [l for l in log if not l.startswith("---- start")]
        check(lines, "houqind logged nothing")
        bad = [l for l in lines if not re.match(r"^<[0-7]>", l)]
        check(not bad, "log lines without a syslog priority prefix: %r" % bad[:5])
        started = [l for l in lines if "started" in l and d.state in l]
        check(started, "no start-up line naming the state directory in:\n%s" % "\n".join(lines))
        check("%d schemas" % nschemas in started[0], "start-up line does not say what was loaded: %r" % started[0])
    finally:
        d.kill()


def test_manual_clock():
    d = T.Daemon(extra=["--clock", "manual"])
    try:
        st = d.start()
        check_eq(st["clock"], "manual", "clock")
        ctl = d.control()
        # A manual clock starts at the wall time and never goes back, so
        # the test sets it a day ahead of where it started.
        X = (st["clock_ms"] // 1000 + 86400) * 1000
        r = ctl.call({"cmd": "clock.set", "ms": X})
        check_eq((r.get("ok"), r.get("clock_ms")), (True, X), "clock.set reply")
        check_eq(d.status()["clock_ms"], X, "status after clock.set")
        time.sleep(0.3)
        check_eq(d.status()["clock_ms"], X, "a manual clock does not move by itself")
        r = ctl.call({"cmd": "clock.advance", "ms": 60000})
        check_eq((r.get("ok"), r.get("clock_ms")), (True, X + 60000), "clock.advance reply")
        check_eq(d.status()["clock_ms"], X + 60000, "status after clock.advance")
        r = ctl.call({"cmd": "clock.advance", "ms": 0})
        check_eq((r.get("ok"), r.get("clock_ms")), (True, X + 60000), "clock.advance 0")
        r = ctl.call({"cmd": "clock.set", "ms": X + 3600000})
        check_eq((r.get("ok"), r.get("clock_ms")), (True, X + 3600000), "clock.set forwards")
        # On a state that holds no event yet the clock may go anywhere,
        # back too (a scenario of a past term; issue 18), and forward again.
        r = ctl.call({"cmd": "clock.set", "ms": X - 30 * 86400000})
        check_eq((r.get("ok"), r.get("clock_ms")), (True, X - 30 * 86400000), "clock.set back on an empty state")
        r = ctl.call({"cmd": "clock.set", "ms": X + 3600000})
        check_eq((r.get("ok"), r.get("clock_ms")), (True, X + 3600000), "clock.set forwards again")
        for req, what in (({"cmd": "clock.advance", "ms": -1}, "clock.advance negative"),
                          ({"cmd": "clock.set"}, "clock.set without ms"),
                          ({"cmd": "clock.set", "ms": "soon"}, "clock.set with a string"),
                          ({"cmd": "clock.advance", "ms": 1.5}, "clock.advance with a float")):
            r = ctl.call(req)
            check(r.get("ok") is False and isinstance(r.get("error"), str) and r["error"],
                  "%s: %r" % (what, r))
            T.log("%-28s -> %s" % (what, r["error"]))
        check_eq(d.status()["clock_ms"], X + 3600000, "clock after refused requests")
        # events are stored whatever the clock says
        one = T.OneShot(d.ingest_ep)
        try:
            check_eq(one.request(T.pack(T.event("mc-1"))).get("status"), "stored", "event on a manual clock")
        finally:
            one.close()
        # once an event is stored, the clock never goes back
        r = ctl.call({"cmd": "clock.set", "ms": X})
        check(r.get("ok") is False and "cannot go backwards" in r.get("error", ""),
              "clock.set backwards on a state with an event: %r" % r)
        check_eq(d.status()["clock_ms"], X + 3600000, "clock after a refused clock.set backwards")
        # the stored_ms of the event is the manual clock's time
        d.stop()
        view = T.read_store(d.state)
        check_eq(view.events[1][0], X + 3600000, "stored_ms of an event on a manual clock")
    finally:
        d.kill()


def test_manual_clock_never_goes_back():
    """clock.advance by a huge ms must not wrap the clock around (time never
    goes backwards; clock.h).  Either it is refused or the clock ends up
    no earlier than before; the daemon stays up either way."""
    d = T.Daemon(extra=["--clock", "manual"])
    try:
        st = d.start()
        before = st["clock_ms"]
        ctl = d.control()
        for ms in (2 ** 63 - 1, 2 ** 62):
            try:
                r = ctl.call({"cmd": "clock.advance", "ms": ms}, timeout=10)
            except TimeoutError:
                raise T.TestFailure("no reply to clock.advance %d; houqind %s; log:\n%s" %
                                    (ms, "alive" if d.alive() else "dead", d.log_tail()))
            T.log("clock.advance %d -> %r" % (ms, r))
            check(r.get("ok") is False or r.get("clock_ms", -1) >= before,
                  "clock.advance %d moved the clock back from %d to %r" % (ms, before, r.get("clock_ms")))
            now = d.status()["clock_ms"]
            check(now >= before, "status clock_ms %d after clock.advance %d, was %d" % (now, ms, before))
            before = now
        check(d.alive(), "houqind died")
        d.stop()
    finally:
        d.kill()


def test_real_clock_refuses_set_and_bad_requests():
    d = T.Daemon()
    try:
        d.start()
        ctl = d.control()
        for req in ({"cmd": "clock.set", "ms": 1773022500000}, {"cmd": "clock.advance", "ms": 1000}):
            r = ctl.call(req)
            check(r.get("ok") is False, "%s on a real clock: %r" % (req["cmd"], r))
            check("real" in r.get("error", "") or "manual" in r.get("error", ""),
                  "%s on a real clock: error %r" % (req["cmd"], r.get("error")))
        cases = [
            (T.pack({"cmd": "no.such.command"}), "unknown"),
            (T.pack({"cmd": 5}), "cmd"),
            (T.pack({"nocmd": 1}), "cmd"),
            (T.pack({}), "cmd"),
            (T.pack([1, 2]), "not a map"),
            (T.pack("status"), "not a map"),
            (b"\xc1", "malformed"),
            (b"", "malformed"),
            (b"\xdd\xff\xff\xff\xff", "malformed"),
            (b"\x91" * 100, "nesting"),
            (T.pack({"cmd": "status"}) + b"\x00", "trailing"),
            (T.pack(T.event("ctl-1")), "cmd"),
        ]
        for frame, want in cases:
            r = T.unpack(ctl.call_raw(frame))
            check(r.get("ok") is False, "%r: %r" % (frame[:20], r))
            check(want in r.get("error", ""), "%r: error %r does not contain %r" % (frame[:20], r.get("error"), want))
            T.log("%-40r -> %s" % (frame[:24], r["error"]))
        st = d.status()
        check_eq(st["events"], 0, "events after control garbage")
        d.stop()
    finally:
        d.kill()


def test_check_help_and_options():
    rc, out, err = T.run_houqind(["--check", "--schemas", T.ARGS.schemas, "--rules", T.ARGS.rules])
    check_eq(rc, 0, "--check with the shipped dirs (stderr %r)" % err)
    check("OK" in out or "ok" in out, "--check prints a summary: %r" % out)
    nschemas = len(glob.glob(os.path.join(T.ARGS.schemas, "*.yaml")))
    check(str(nschemas) in out, "--check summary does not give the %d schemas: %r" % (nschemas, out))

    bad = T.tmpdir()
    with open(os.path.join(T.ARGS.schemas, "sensor.reading.yaml"), "rb") as f:
        good_yaml = f.read()
    with open(os.path.join(bad, "sensor.reading.yaml"), "wb") as f:
        f.write(good_yaml)
    with open(os.path.join(bad, "foo.bar.yaml"), "w") as f:
        f.write("type: foo.bar\nfields:\n  a: {type: strin}\n")
    rc, out, err = T.run_houqind(["--check", "--schemas", bad, "--rules", T.ARGS.rules])
    check_eq(rc, 1, "--check with a broken schema (out %r err %r)" % (out, err))
    check("foo.bar.yaml:3:13:" in out + err, "--check does not give file:line:column: %r" % (out + err))
    check("strin" in out + err, "--check does not name the bad type: %r" % (out + err))
    T.log("--check error: %s" % (out + err).strip().splitlines()[0])

    with open(os.path.join(bad, "foo.bar.yaml"), "w") as f:
        f.write("type: foo.bar\nfields:\n  a: [unclosed\n")
    rc, out, err = T.run_houqind(["--check", "--schemas", bad, "--rules", T.ARGS.rules])
    check_eq(rc, 1, "--check with a YAML syntax error")
    check(re.search(r"foo\.bar\.yaml:\d+:\d+: ", out + err), "syntax error without file:line:column: %r" % (out + err))

    with open(os.path.join(bad, "foo.bar.yaml"), "w") as f:
        f.write("type: foo.baz\nfields:\n  a: {type: string}\n")
    rc, out, err = T.run_houqind(["--check", "--schemas", bad, "--rules", T.ARGS.rules])
    check_eq(rc, 1, "--check with a type that is not the file name (out %r err %r)" % (out, err))
    check(re.search(r"foo\.bar\.yaml:\d+:\d+: ", out + err), "type mismatch without file:line:column: %r" % (out + err))

    # the daemon itself refuses to start on a broken schemas dir
    w = T.tmpdir()
    rc, out, err = T.run_houqind(["--state", os.path.join(w, "state"), "--schemas", bad, "--rules", T.ARGS.rules,
                                  "--ingest", "ipc://%s/in" % w, "--control", "ipc://%s/ctl" % w,
                                  "--publish", "ipc://%s/pub" % w])
    check_eq(rc, 1, "daemon with a broken schemas dir (err %r)" % err)

    rc, out, err = T.run_houqind(["--help"])
    check_eq(rc, 0, "--help")
    for opt in ("--state", "--rules", "--schemas", "--ingest", "--publish", "--control", "--clock", "--check",
                "--help"):
        check(opt in out, "--help does not mention %s" % opt)
    check("usage" in out.lower() or "SYNOPSIS" in out, "--help prints no usage")

    for args in (["--no-such-option"], ["stray-argument"], ["--clock", "sometimes"],
                 ["--max-message-bytes", "100"], ["--max-message-bytes", "lots"], ["--map-size", "5"],
                 ["--max-batch", "0"], ["--state"]):
        rc, out, err = T.run_houqind(args, timeout=30)
        check_eq(rc, 1, "houqind %s (err %r)" % (" ".join(args), err))
        check(err.strip(), "houqind %s says nothing on stderr" % " ".join(args))
    # The words of the command line's answers (daemons/common/cmdline.c,
    # lib/core/opts.c): which option, what it expects, how to get help.
    try_help = "Try 'houqind --help'.\n"
    for args, want in ((["--max-batch", "0"], "houqind: --max-batch: expected 1..100000\n"),
                       (["--max-batch", "-5"], "houqind: --max-batch: expected 1..100000\n"),
                       (["--map-size", "-1"], "houqind: --map-size: expected a byte count of at least 1048576\n"),
                       (["--clock", "sometimes"], "houqind: --clock: expected real, manual or manual@TIME "
                                                  "(manual@2026-09-08T10:00+08:00), got \"sometimes\"\n"),
                       (["--rate-limit", "5:0"], "houqind: --rate-limit: expected N or N:BURST, positive\n"),
                       (["--ledger-head", "10s"], "houqind: --ledger-head: expected a duration of at least 1m, "
                                                  "like 24h\n"),
                       (["stray-argument"], "houqind: unexpected argument \"stray-argument\"\n" + try_help),
                       (["--allow", "keys.yaml"], "houqind: --allow needs --curve-key (the server's key pair)\n")):
        rc, out, err = T.run_houqind(args, timeout=30)
        check_eq((rc, out, err), (1, "", want), "houqind %s" % " ".join(args))
    rc, out, err = T.run_houqind(["--no-such-option"], timeout=30)
    check(rc == 1 and out == "" and err.endswith("'--no-such-option'\n" + try_help), "unknown option: %r" % err)
    rc, out, err = T.run_houqind(["--version", "--max-batch", "0"], timeout=30)
    check(rc == 0 and out.startswith("houqind ") and "\ndefault rules: " in out and "\ndefault schemas: " in out
          and err == "", "--version (it stops there): %d %r %r" % (rc, out, err))


def test_format_version_and_sigint():
    d = T.Daemon()
    try:
        d.start()
        one = T.OneShot(d.ingest_ep)
        try:
            check_eq(one.request(T.pack(T.event("fv-1"))).get("status"), "stored", "event")
        finally:
            one.close()
        # SIGINT stops cleanly too
        d._close_ctl()
        d.proc.send_signal(signal.SIGINT)
        rc = d.proc.wait(timeout=30)
        d.proc = None
        check_eq(rc, 0, "exit status after SIGINT")
        check_eq(len(T.read_store(d.state).events), 1, "events after SIGINT")

        env = lmdb.open(d.state, max_dbs=32, subdir=True, create=False)
        try:
            with env.begin(write=True) as txn:
                meta = env.open_db(b"meta", txn=txn, create=False)
                check_eq(txn.get(b"format", db=meta), b"2", "format record")
                txn.put(b"format", b"99", db=meta)
        finally:
            env.close()
        rc, out, err = T.run_houqind(d.argv()[1:], timeout=30)
        check_eq(rc, 1, "start on a state of format 99 (err %r)" % err)
        check("version" in err and "99" in err, "no clear message about the format version: %r" % err)
        T.log("refused: %s" % err.strip().splitlines()[-1])
    finally:
        d.kill()


if __name__ == "__main__":
    T.parse_args()
    T.main([test_status_fields, test_manual_clock, test_manual_clock_never_goes_back,
            test_real_clock_refuses_set_and_bad_requests,
            test_check_help_and_options, test_format_version_and_sigint])
