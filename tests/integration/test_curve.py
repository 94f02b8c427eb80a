#!/usr/bin/python3
"""CURVE on the ingest socket (SPEC §7, issue 8): an unknown key is refused
at the handshake, a known key with a spoofed source or a forbidden type is
rejected with a reason, a revoked key stops working after a reload, and a
client without CURVE gets nothing through.  Also: without CURVE a
non-loopback ingest address is refused at start."""
import os
import signal
import subprocess
import time

import msgpack
import zmq

import hqtest as T
from hqtest import check, check_eq

ARGS = T.parse_args()


def keygen(path):
    out = subprocess.run([ARGS_CTL, "keygen", path], capture_output=True, text=True, timeout=30)
    check_eq(out.returncode, 0, "houqinctl keygen (%s)" % out.stderr)
    pub = sec = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("public:"):
                pub = line.split('"')[1]
            if line.startswith("secret:"):
                sec = line.split('"')[1]
    return pub, sec


def write_allow(path, entries):
    with open(path, "w", encoding="utf-8") as f:
        f.write("producers:\n")
        for source, pub, types in entries:
            f.write('  - {source: %s, key: "%s", types: [%s]}\n' % (source, pub, ", ".join(types)))


def request(ep, server_pub, keys, ev, timeout_ms=3000):
    """Sends one event over CURVE (keys = (pub, sec)) or plain (keys None);
    returns the reply map or None when nothing came back in time."""
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    if keys:
        s.curve_serverkey = server_pub.encode()
        s.curve_publickey = keys[0].encode()
        s.curve_secretkey = keys[1].encode()
    s.connect(ep)
    try:
        s.send(T.pack(ev), zmq.NOBLOCK)
    except zmq.Again:
        s.close()
        return None
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    got = None
    if poller.poll(timeout_ms):
        got = msgpack.unpackb(s.recv(), raw=False)
    s.close()
    return got


def test_curve_allow_list():
    d = T.tmpdir("hq-curve-")
    server_pub, _ = keygen(os.path.join(d, "server"))
    gw = keygen(os.path.join(d, "gw"))
    console = keygen(os.path.join(d, "console"))
    rogue = keygen(os.path.join(d, "rogue"))
    allow = os.path.join(d, "allow.yaml")
    write_allow(allow, [("gw-1", gw[0], ["sensor.reading"]), ("console-1", console[0], ['"*"'])])
    port = T.free_port() if hasattr(T, "free_port") else 47000 + os.getpid() % 2000
    ep = "tcp://127.0.0.1:%d" % port
    dm = T.Daemon(extra=["--ingest", ep, "--curve-key", os.path.join(d, "server"), "--allow", allow])
    dm.ingest_ep = ep
    try:
        dm.start()
        ok = request(ep, server_pub, gw, T.event("c-1", source="gw-1"))
        check(ok is not None and ok["status"] == "stored", "an allowed producer's event: %r" % ok)
        spoof = request(ep, server_pub, gw, T.event("c-2", source="gw-2"))
        check(spoof is not None and spoof["status"] == "rejected" and "not the source bound" in spoof["error"],
              "a spoofed source: %r" % spoof)
        forbidden = T.event("c-3", type="issue.closed", source="gw-1",
                            data={"issue": "HQ-2026-000001", "actor": "x", "reason": "y"})
        r = request(ep, server_pub, gw, forbidden)
        check(r is not None and r["status"] == "rejected" and "may not send issue.closed" in r["error"],
              "a forbidden type: %r" % r)
        check_eq(request(ep, server_pub, rogue, T.event("c-4", source="gw-1"), 1500), None,
                 "an unknown key gets no reply (refused at the handshake)")
        check_eq(request(ep, server_pub, None, T.event("c-5", source="gw-1"), 1500), None,
                 "a client without CURVE gets no reply")
        r = request(ep, server_pub, console, T.event("c-6", source="console-1"))
        check(r is not None and r["status"] == "stored", "a console may send any type: %r" % r)
        # Revoke gw-1 and reload: its key stops working.
        write_allow(allow, [("console-1", console[0], ['"*"'])])
        os.kill(dm.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        revoked = False
        while time.monotonic() < deadline and not revoked:
            revoked = request(ep, server_pub, gw, T.event("c-7-%d" % int(time.monotonic() * 1000), source="gw-1"),
                              1000) is None
        check(revoked, "a revoked key still works after the reload")
        r = request(ep, server_pub, console, T.event("c-8", source="console-1"))
        check(r is not None and r["status"] == "stored", "the console still works after the reload: %r" % r)
        st = dm.status()
        check_eq(st["events"], 3, "events stored")
        dm.stop()
    finally:
        dm.kill()


def test_non_loopback_needs_curve():
    d = T.tmpdir("hq-curve-")
    out = subprocess.run([ARGS.houqind, "--state", os.path.join(d, "st"), "--ingest", "tcp://0.0.0.0:47999",
                          "--control", "ipc://%s/ctl" % d, "--publish", "ipc://%s/pub" % d,
                          "--schemas", ARGS.schemas, "--rules", ARGS.rules],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode != 0, "houqind bound 0.0.0.0 without CURVE")
    check("without CURVE" in out.stderr, "the refusal says why: %r" % out.stderr)


ARGS_CTL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(ARGS.houqind))), "..", "tools", "houqinctl",
                        "houqinctl")

if __name__ == "__main__":
    T.main([test_curve_allow_list, test_non_loopback_needs_curve])
