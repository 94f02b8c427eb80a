#!/usr/bin/python3
"""The control socket reachable only by administrators (SPEC §7, issue 8
item 2): with --control-keys the control socket requires CURVE and admits
only the administrators' keys.  An administrator's key gets `status` (from
Python and from houqinctl, by options and by environment); a producer's
key (on the ingest allow-list) and an unknown key are refused at the
handshake, as is an administrator's key on the ingest socket (the client's monitor sees HANDSHAKE_FAILED_AUTH), a client
without CURVE gets nothing; an administrator removed from the list and
reloaded is refused.  Also refused at start: a key on both lists, a
non-loopback control endpoint without --control-keys, --control-keys
without --curve-key."""
import json
import os
import re
import signal
import socket
import subprocess
import time

import zmq
from zmq.utils.monitor import recv_monitor_message

import hqtest as T
from hqtest import check, check_eq

ARGS = T.parse_args(lambda p: p.add_argument("--houqinctl", required=True, help="path of houqinctl"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def keygen(path):
    out = subprocess.run([ARGS.houqinctl, "keygen", path], capture_output=True, text=True, timeout=30)
    check_eq(out.returncode, 0, "houqinctl keygen (%s)" % out.stderr)
    keys = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("public", "secret"):
                keys[k] = v.strip().strip('"')
    return keys["public"], keys["secret"]


def write_allow(path, entries):
    with open(path, "w", encoding="utf-8") as f:
        f.write("producers:\n")
        for source, pub, types in entries:
            f.write('  - {source: %s, key: "%s", types: [%s]}\n' % (source, pub, ", ".join(types)))


def write_admins(path, entries):
    with open(path, "w", encoding="utf-8") as f:
        f.write("administrators:\n")
        for name, pub in entries:
            f.write('  - {name: %s, key: "%s"}\n' % (name, pub))


def control_call(ep, server_pub, keys, req, timeout_ms=3000):
    """One control request over CURVE (keys = (pub, sec)) or plain (None).
    Returns (reply or None, handshake): handshake is "ok", "auth" (refused
    by the ZAP handler), "protocol" or None (nothing seen in time)."""
    s = T.context().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    if keys:
        s.curve_serverkey = server_pub.encode()
        s.curve_publickey = keys[0].encode()
        s.curve_secretkey = keys[1].encode()
    mon = s.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH |
                               zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)
    try:
        s.connect(ep)
        s.send(T.pack(req), zmq.NOBLOCK)
        poller = zmq.Poller()
        poller.register(s, zmq.POLLIN)
        poller.register(mon, zmq.POLLIN)
        reply, handshake = None, None
        deadline = time.monotonic() + timeout_ms / 1000.0
        while reply is None and time.monotonic() < deadline:
            ready = dict(poller.poll(max(1, int((deadline - time.monotonic()) * 1000))))
            if mon in ready:
                ev = recv_monitor_message(mon)["event"]
                handshake = {zmq.EVENT_HANDSHAKE_SUCCEEDED: "ok", zmq.EVENT_HANDSHAKE_FAILED_AUTH: "auth",
                             zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "protocol"}.get(ev, handshake)
                if handshake in ("auth", "protocol"):
                    break
            if s in ready:
                reply = T.unpack(s.recv())
        return reply, handshake
    finally:
        s.disable_monitor()
        mon.close(linger=0)
        s.close(linger=0)


def curve_dealer(ep, server_pub, keys):
    """A DEALER connected to ep over CURVE (the keys are set before connect)."""
    s = T.context().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_serverkey = server_pub.encode()
    s.curve_publickey = keys[0].encode()
    s.curve_secretkey = keys[1].encode()
    s.connect(ep)
    return s


class CurveControl(T.Control):
    """hqtest's control client, over CURVE with an administrator's key."""

    def __init__(self, ep, server_pub, keys):
        self.ep, self.server_pub, self.keys = ep, server_pub, keys
        self.sock = curve_dealer(ep, server_pub, keys)

    def call_raw(self, frames, timeout=10.0):
        if isinstance(frames, bytes):
            frames = [frames]
        self.sock.send_multipart(frames)
        if not self.sock.poll(int(timeout * 1000), zmq.POLLIN):
            self.sock.close(linger=0)
            self.sock = curve_dealer(self.ep, self.server_pub, self.keys)
            raise TimeoutError("no reply from the control socket within %.1f s" % timeout)
        return self.sock.recv()


def ctl(args, env=None, timeout=60):
    e = dict(os.environ)
    e.pop("HQ_CONTROL_CURVE_SERVER", None)
    e.pop("HQ_CONTROL_CURVE_KEY", None)
    e.update(env or {})
    p = subprocess.run([ARGS.houqinctl] + args, capture_output=True, text=True, timeout=timeout, env=e)
    return p.returncode, p.stdout, p.stderr


def test_control_curve():
    d = T.tmpdir("hq-ctlcurve-")
    server = os.path.join(d, "server")
    server_pub, _ = keygen(server)
    admin = keygen(os.path.join(d, "alice"))
    admin2 = keygen(os.path.join(d, "bob"))
    gw = keygen(os.path.join(d, "gw"))
    rogue = keygen(os.path.join(d, "rogue"))
    allow, admins = os.path.join(d, "allow.yaml"), os.path.join(d, "admins.yaml")
    write_allow(allow, [("gw-1", gw[0], ["sensor.reading"])])
    write_admins(admins, [("alice", admin[0]), ("bob", admin2[0])])
    ctl_ep = "tcp://127.0.0.1:%d" % free_port()
    dm = T.Daemon(extra=["--control", ctl_ep, "--curve-key", server, "--allow", allow, "--control-keys", admins])
    dm.control_ep = ctl_ep
    dm._ctl = CurveControl(ctl_ep, server_pub, admin)
    try:
        dm.start()
        st = dm.status()
        check_eq(st["ok"], True, "status with an administrator's key")

        r, hs = control_call(ctl_ep, server_pub, admin2, {"cmd": "status"})
        check(r is not None and r.get("ok") is True and hs == "ok", "bob's status: %r %r" % (r, hs))
        r, hs = control_call(ctl_ep, server_pub, gw, {"cmd": "status"}, 2000)
        check(r is None and hs == "auth", "a producer's key on the control socket: reply %r, handshake %r" % (r, hs))
        r, hs = control_call(ctl_ep, server_pub, rogue, {"cmd": "status"}, 2000)
        check(r is None and hs == "auth", "an unknown key on the control socket: reply %r, handshake %r" % (r, hs))
        r, hs = control_call(ctl_ep, server_pub, None, {"cmd": "status"}, 1500)
        check(r is None and hs != "ok", "a client without CURVE: reply %r, handshake %r" % (r, hs))
        log = dm.log_text()
        check("a producer key may not use the control socket" in log, "the log names the producer key's refusal")

        # houqinctl, by options and by environment.
        rc, out, err = ctl(["status", "--control", ctl_ep, "--curve-server", server + ".pub", "--curve-key",
                            os.path.join(d, "alice"), "--json"])
        check_eq((rc, err), (0, ""), "houqinctl status with alice's key")
        check('"ok":true' in out.replace(" ", ""), "houqinctl status output: %r" % out)
        check(isinstance(json.loads(out)["clock_ms"], int), "--json keeps clock_ms in milliseconds: %r" % out)
        rc, out, err = ctl(["status", "--control", ctl_ep],
                           env={"HQ_CONTROL_CURVE_SERVER": server + ".pub",
                                "HQ_CONTROL_CURVE_KEY": os.path.join(d, "bob")})
        check_eq(rc, 0, "houqinctl status with bob's key from the environment (%s)" % err)
        # The human output shows times in local time, never raw milliseconds.
        fields = dict(l.split(None, 1) for l in out.splitlines() if len(l.split(None, 1)) == 2)
        for k in ("clock_ms", "rules_loaded_ms"):
            check(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", fields.get(k, "")),
                  "houqinctl status %s in local time: %r" % (k, fields.get(k)))
        check(not re.search(r"_ms +-?\d{10,}", out), "raw milliseconds in houqinctl status:\n%s" % out)
        rc, out, err = ctl(["status", "--control", ctl_ep, "--curve-server", server + ".pub", "--curve-key",
                            os.path.join(d, "gw")])
        check(rc == 2 and "refused this key" in err, "houqinctl status with a producer's key: %d %r" % (rc, err))
        rc, out, err = ctl(["status", "--control", ctl_ep, "--curve-server", server + ".pub"])
        check(rc == 2 and "needs both" in err, "houqinctl status with half the CURVE options: %d %r" % (rc, err))
        rc, out, err = ctl(["stats", "--state", dm.state, "--control", ctl_ep, "--interval", "50",
                            "--curve-server", server + ".pub", "--curve-key", os.path.join(d, "alice")])
        check_eq(rc, 0, "houqinctl stats --control with alice's key (%s)" % err)

        # The producer still sends events; an administrator's key is not a
        # producer's.
        one = curve_dealer(dm.ingest_ep, server_pub, gw)
        one.send(T.pack(T.event("cc-1", source="gw-1")))
        check(one.poll(5000), "no reply to the producer")
        check_eq(T.unpack(one.recv())["status"], "stored", "the producer's event")
        one.close(linger=0)
        r, hs = control_call(dm.ingest_ep, server_pub, admin, T.event("cc-2", source="gw-1"), 2000)
        check(r is None and hs == "auth", "an administrator's key on the ingest socket: %r %r" % (r, hs))

        # Bob removed, reloaded: his key is refused, alice's works.
        write_admins(admins, [("alice", admin[0])])
        os.kill(dm.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        refused = False
        while not refused and time.monotonic() < deadline:
            r, hs = control_call(ctl_ep, server_pub, admin2, {"cmd": "status"}, 1000)
            refused = hs == "auth"
        check(refused, "bob's key still works after his removal and a reload")
        check_eq(dm.status()["ok"], True, "alice's status after the reload")

        # A reload that puts a producer's key on the administrators' list is
        # refused, and the running lists stay.
        write_admins(admins, [("alice", admin[0]), ("gw", gw[0])])
        r = dm.control().call({"cmd": "reload"})
        check(r.get("ok") is False and "key lists" in r.get("error", ""), "reload with a shared key: %r" % r)
        r, hs = control_call(ctl_ep, server_pub, gw, {"cmd": "status"}, 2000)
        check(hs == "auth", "the producer's key after the refused reload: %r %r" % (r, hs))
        dm.stop()
    finally:
        dm.kill()


def test_refused_at_start():
    d = T.tmpdir("hq-ctlcurve-")
    server = os.path.join(d, "server")
    keygen(server)
    gw = keygen(os.path.join(d, "gw"))
    allow, admins = os.path.join(d, "allow.yaml"), os.path.join(d, "admins.yaml")
    write_allow(allow, [("gw-1", gw[0], ["sensor.reading"])])
    write_admins(admins, [("gw-as-admin", gw[0])])
    base = ["--state", os.path.join(d, "st"), "--ingest", "ipc://%s/in" % d, "--publish", "ipc://%s/pub" % d,
            "--schemas", ARGS.schemas, "--rules", ARGS.rules]

    rc, out, err = T.run_houqind(base + ["--control", "ipc://%s/ctl" % d, "--curve-key", server, "--allow", allow,
                                         "--control-keys", admins])
    check(rc == 1 and "has the key of producer" in err, "a key on both lists: %d %r" % (rc, err))

    rc, out, err = T.run_houqind(base + ["--control", "tcp://0.0.0.0:%d" % free_port()])
    check(rc == 1 and "control socket" in err and "without CURVE" in err,
          "a non-loopback control endpoint without --control-keys: %d %r" % (rc, err))

    rc, out, err = T.run_houqind(base + ["--control", "ipc://%s/ctl" % d, "--control-keys", admins])
    check(rc == 1 and "needs --curve-key" in err, "--control-keys without --curve-key: %d %r" % (rc, err))

    rc, out, err = T.run_houqind(["--help"])
    check(rc == 0 and "--control-keys" in out, "--help documents --control-keys")


if __name__ == "__main__":
    T.main([test_control_curve, test_refused_at_start])
