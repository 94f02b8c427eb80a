"""hqtest - shared code of the houqind integration tests.

Start houqind on a temporary state directory with ipc:// endpoints, wait
(bounded) until it answers `status` on the control socket, stop it with
SIGTERM (bounded wait, SIGKILL on failure).  A pipelining DEALER client
that matches replies by id, a one-request client for bad input, a control
client, and a reader of the LMDB state that opens the environment once per
check and closes it again.

Everything started is stopped and every temporary directory removed, also
when a test fails (try/finally in the tests, and an atexit hook here as the
last line of defence).  Every wait is bounded; nothing asserts how long
anything took.

Only Debian packages are used: python3-zmq, python3-msgpack, python3-lmdb.
"""

import argparse
import atexit
import hashlib
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback

import lmdb
import msgpack
import zmq

# --------------------------------------------------------------------------
# command line, temporary directories, cleanup

ARGS = None


def parse_args(extra=None):
    """Common options: --houqind, --schemas, --rules; --keep keeps the
    temporary directories (for debugging)."""
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--houqind", required=True, help="path of the houqind binary")
    p.add_argument("--schemas", required=True, help="schemas directory")
    p.add_argument("--rules", required=True, help="rules directory")
    p.add_argument("--keep", action="store_true", help="keep temporary directories")
    if extra:
        extra(p)
    ARGS = p.parse_args()
    return ARGS


_tmpdirs = []
_daemons = []
_ctx = None


def context():
    global _ctx
    if _ctx is None:
        _ctx = zmq.Context()
    return _ctx


def tmpdir(prefix="hq-it-"):
    """A new temporary directory under /tmp (short paths: ipc:// endpoints
    are unix sockets, whose path is limited to ~107 bytes); removed at exit."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    _tmpdirs.append(d)
    return d


def _cleanup():
    global _ctx
    for d in list(_daemons):
        try:
            d.kill()
        except Exception:
            pass
    if _ctx is not None:
        try:
            _ctx.destroy(linger=0)
        except Exception:
            pass
        _ctx = None
    keep = ARGS is not None and ARGS.keep
    for d in _tmpdirs:
        if keep:
            print("kept", d)
        else:
            shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def _sigterm(signo, frame):
    # ctest kills a test that runs over its TIMEOUT: clean up on the way out.
    raise SystemExit(128 + signo)


signal.signal(signal.SIGTERM, _sigterm)


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure("%s: expected %r, got %r" % (what, want, got))


def log(*a):
    print(*a, flush=True)


def run_tests(tests):
    """Runs test functions in order; prints PASS/FAIL per test and returns
    the process exit status (0 when all passed)."""
    failed = []
    t_all = time.monotonic()
    for fn in tests:
        name = fn.__name__
        t0 = time.monotonic()
        log("=== %s" % name)
        try:
            fn()
        except Exception:
            failed.append(name)
            traceback.print_exc()
            sys.stdout.flush()
            log("--- FAIL %s (%.1f s)" % (name, time.monotonic() - t0))
        else:
            log("--- PASS %s (%.1f s)" % (name, time.monotonic() - t0))
    log("%d of %d passed in %.1f s%s" % (len(tests) - len(failed), len(tests), time.monotonic() - t_all,
                                         (": failed " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


def main(tests):
    rc = 1
    try:
        rc = run_tests(tests)
    finally:
        _cleanup()
        _daemons.clear()
        _tmpdirs.clear()
    sys.exit(rc)


# --------------------------------------------------------------------------
# events

def pack(obj):
    """msgpack with str as str and bytes as bin (the daemon refuses bin)."""
    return msgpack.packb(obj, use_bin_type=True)


def unpack(b):
    return msgpack.unpackb(b, raw=False, strict_map_key=False)


def sensor_data(value=4.5, **kw):
    d = {"sensor": "cs-001", "kind": "cold_storage_temp", "value": value, "unit": "C", "site": "canteen-1"}
    d.update(kw)
    return d


def event(id, type="sensor.reading", source="it-gw-1", ts=1773022500000, data=None):
    """An envelope as a dict (key order id, type, source, ts, data)."""
    if data is None:
        data = sensor_data()
    return {"id": id, "type": type, "source": source, "ts": ts, "data": data}


def time_id(base_ms, n):
    """A time-ordered id: ms timestamp then a counter, both zero-padded."""
    return "%013d-%07d" % (base_ms, n)


def digest(frame):
    """The 16-byte BLAKE2b the daemon keeps in its dedup records."""
    return hashlib.blake2b(frame, digest_size=16).digest()


# --------------------------------------------------------------------------
# the daemon

def _die_with_parent():
    """In the child before exec: SIGKILL it when the test process dies,
    even by SIGKILL (ctest's timeout), so that no daemon outlives a test."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass

class Daemon:
    """houqind on a state directory with ipc:// endpoints in a temp dir."""

    def __init__(self, state=None, extra=(), workdir=None):
        self.dir = workdir or tmpdir()
        self.state = state or os.path.join(self.dir, "state")
        self.ingest_ep = "ipc://%s/in" % self.dir
        self.control_ep = "ipc://%s/ctl" % self.dir
        self.publish_ep = "ipc://%s/pub" % self.dir
        self.extra = list(extra)
        self.proc = None
        self.starts = 0
        self.logpath = os.path.join(self.dir, "houqind.log")
        self._ctl = None

    def argv(self):
        return [ARGS.houqind, "--state", self.state, "--ingest", self.ingest_ep, "--control", self.control_ep,
                "--publish", self.publish_ep, "--schemas", ARGS.schemas, "--rules", ARGS.rules] + self.extra

    def start(self, timeout=20.0):
        """Starts houqind and waits (bounded) until it answers status."""
        check(self.proc is None, "daemon already running")
        self.starts += 1
        logf = open(self.logpath, "ab")
        logf.write(b"---- start %d\n" % self.starts)
        logf.flush()
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                     preexec_fn=_die_with_parent)
        logf.close()
        if self not in _daemons:
            _daemons.append(self)
        deadline = time.monotonic() + timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                raise TestFailure("houqind exited with %d at start; log:\n%s" % (rc, self.log_tail()))
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise TestFailure("houqind did not answer status within %.0f s; log:\n%s" % (timeout,
                                                                                           self.log_tail()))
            try:
                st = self.control().call({"cmd": "status"}, timeout=min(1.0, left))
            except TimeoutError:
                continue
            check(st.get("ok") is True, "status at start: %r" % st)
            return st

    def control(self):
        if self._ctl is None:
            self._ctl = Control(self.control_ep)
        return self._ctl

    def status(self, timeout=10.0):
        st = self.control().call({"cmd": "status"}, timeout=timeout)
        check(st.get("ok") is True, "status: %r" % st)
        return st

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _close_ctl(self):
        if self._ctl is not None:
            self._ctl.close()
            self._ctl = None

    def stop(self, timeout=30.0):
        """SIGTERM, wait bounded; kills and fails when it does not stop.
        Returns the exit status (which must be 0 for a clean stop)."""
        self._close_ctl()
        if self.proc is None:
            return None
        p = self.proc
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
            self.proc = None
            raise TestFailure("houqind did not stop within %.0f s of SIGTERM" % timeout)
        self.proc = None
        check(rc == 0, "houqind exited with %d after SIGTERM; log:\n%s" % (rc, self.log_tail()))
        return rc

    def kill(self):
        """SIGKILL and reap (bounded)."""
        self._close_ctl()
        if self.proc is None:
            return
        p = self.proc
        self.proc = None
        if p.poll() is None:
            p.kill()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def log_text(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])


def run_houqind(args, timeout=30.0):
    """Runs houqind to completion (--check, --help, bad options)."""
    p = subprocess.run([ARGS.houqind] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# --------------------------------------------------------------------------
# clients

def dealer(ep, linger=0):
    s = context().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, linger)
    s.connect(ep)
    return s


class Control:
    """A DEALER on the control socket: one request map, one reply map.
    After a timeout the socket is replaced, so that a late reply is never
    taken for the answer to the next request."""

    def __init__(self, ep):
        self.ep = ep
        self.sock = dealer(ep)

    def call(self, req, timeout=10.0):
        return unpack(self.call_raw(pack(req), timeout))

    def call_raw(self, frames, timeout=10.0):
        if isinstance(frames, bytes):
            frames = [frames]
        self.sock.send_multipart(frames)
        if not self.sock.poll(int(timeout * 1000), zmq.POLLIN):
            self.sock.close(linger=0)
            self.sock = dealer(self.ep)
            raise TimeoutError("no reply from the control socket within %.1f s" % timeout)
        return self.sock.recv()

    def close(self):
        self.sock.close(linger=0)


class OneShot:
    """Sends one message and waits (bounded) for its one reply.  For bad
    input, whose reply may carry a nil id."""

    def __init__(self, ep):
        self.ep = ep
        self.sock = dealer(ep)

    def request(self, frames, timeout=10.0):
        if isinstance(frames, bytes):
            frames = [frames]
        self.sock.send_multipart(frames)
        if not self.sock.poll(int(timeout * 1000), zmq.POLLIN):
            self.sock.close(linger=0)
            self.sock = dealer(self.ep)
            raise TimeoutError("no reply within %.1f s" % timeout)
        parts = self.sock.recv_multipart()
        if frames[0] == b"" and len(frames) > 1:
            # a request with an empty delimiter gets it back before the reply
            check(len(parts) == 2 and parts[0] == b"", "reply to a delimited request: %r" % parts)
            parts = parts[1:]
        check(len(parts) == 1, "reply has %d frames" % len(parts))
        return unpack(parts[0])

    def close(self):
        self.sock.close(linger=0)


def pipeline(ep, frames, window=300, timeout=30.0, sock=None):
    """Sends frames (a list of (id, bytes)) on one DEALER with at most
    `window` un-acknowledged, and returns {id: reply}.  Fails when an id
    gets a second reply, a reply names an id that is not outstanding, or no
    reply at all comes for `timeout` seconds (liveness, not speed)."""
    own = sock is None
    if own:
        sock = dealer(ep)
    try:
        n = len(frames)
        replies = {}
        pending = set()
        i = 0
        while len(replies) < n:
            while i < n and len(pending) < window:
                fid, fb = frames[i]
                check(fid not in pending and fid not in replies, "id %r twice in one pipeline" % fid)
                sock.send(fb)
                pending.add(fid)
                i += 1
            if not sock.poll(int(timeout * 1000), zmq.POLLIN):
                raise TimeoutError("no reply for %.0f s; %d of %d answered, %d outstanding" %
                                   (timeout, len(replies), n, len(pending)))
            while True:
                try:
                    parts = sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                check(len(parts) == 1, "reply has %d frames" % len(parts))
                r = unpack(parts[0])
                rid = r.get("id")
                if rid in replies:
                    raise TestFailure("second reply for id %r: %r (first %r)" % (rid, r, replies[rid]))
                check(rid in pending, "reply for an id that is not outstanding: %r" % r)
                pending.discard(rid)
                replies[rid] = r
        # Anything more that arrives now is a reply too many.
        if sock.poll(200, zmq.POLLIN):
            raise TestFailure("extra reply after all were answered: %r" % unpack(sock.recv()))
        return replies
    finally:
        if own:
            sock.close(linger=0)


# --------------------------------------------------------------------------
# the state, read with LMDB directly

EVENT_DBS = ("meta", "events", "dedup", "issues", "groups", "issue_idx", "timers", "outbox", "rulestate")


class StoreView:
    """A snapshot of the state: events {seq: (stored_ms, frame)}, dedup
    {key: (seq, digest)}, meta {key: value}, entry counts of every db."""

    def __init__(self):
        self.events = {}
        self.dedup = {}
        self.meta = {}
        self.counts = {}

    def fingerprint(self):
        h = hashlib.sha256()
        for seq in sorted(self.events):
            h.update(struct.pack(">Q", seq) + self.events[seq][1])
        for k in sorted(self.dedup):
            h.update(k + struct.pack(">Q", self.dedup[k][0]) + self.dedup[k][1])
        return (len(self.events), max(self.events, default=0), len(self.dedup), h.hexdigest())


def read_store(state_dir, events=True):
    """Opens the environment read-only (once), reads, closes it."""
    view = StoreView()
    env = lmdb.open(state_dir, readonly=True, lock=True, max_dbs=32, subdir=True, create=False)
    try:
        with env.begin(buffers=False) as txn:
            for name in EVENT_DBS:
                try:
                    db = env.open_db(name.encode(), txn=txn, create=False)
                except lmdb.NotFoundError:
                    continue
                view.counts[name] = txn.stat(db)["entries"]
                if name == "events" and events:
                    for k, v in txn.cursor(db):
                        check(len(k) == 8, "events key of %d bytes" % len(k))
                        check(len(v) > 8, "events value of %d bytes" % len(v))
                        seq = struct.unpack(">Q", k)[0]
                        view.events[seq] = (struct.unpack(">Q", v[:8])[0], bytes(v[8:]))
                elif name == "dedup" and events:
                    for k, v in txn.cursor(db):
                        check(len(v) == 24, "dedup value of %d bytes" % len(v))
                        view.dedup[bytes(k)] = (struct.unpack(">Q", v[:8])[0], bytes(v[8:]))
                elif name == "meta":
                    for k, v in txn.cursor(db):
                        view.meta[bytes(k)] = bytes(v)
    finally:
        env.close()
    return view


def dedup_key(source, id):
    return source.encode() + b"\x00" + id.encode()


def verify_log_consistent(view):
    """The invariants of the log and the dedup index that hold whatever
    was sent: every stored frame is a valid envelope, (source, id) is in
    the log at most once, the dedup index holds exactly one record per
    event, pointing at it, with the digest of its frame.  Returns
    {(source, id): seq}."""
    where = {}
    for seq, (stored_ms, frame) in view.events.items():
        ev = unpack(frame)
        check(isinstance(ev, dict), "seq %d: frame is not a map" % seq)
        key = (ev.get("source"), ev.get("id"))
        if key in where:
            raise TestFailure("%r is in the log twice: seq %d and %d" % (key, where[key], seq))
        where[key] = seq
        d = view.dedup.get(dedup_key(*key))
        check(d is not None, "seq %d %r has no dedup record" % (seq, key))
        check(d[0] == seq, "dedup record of %r points at seq %d, the event is seq %d" % (key, d[0], seq))
        check(d[1] == digest(frame), "dedup digest of %r does not match its frame" % (key,))
    check(len(view.dedup) == len(view.events),
          "dedup has %d records for %d events" % (len(view.dedup), len(view.events)))
    return where
