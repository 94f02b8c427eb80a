#!/usr/bin/python3
"""houqind's side of Type=notify and WatchdogSec= (systemd/houqind.service),
on a fake NOTIFY_SOCKET: an AF_UNIX datagram socket owned by the test, as
systemd would pass it (PID 1 in CI is not systemd).

- READY=1 arrives, with a STATUS= line, once the daemon answers on its
  control socket (it is sent after the sockets are bound);
- with WATCHDOG_USEC set, WATCHDOG=1 keeps coming (every half of it: the
  test waits, bounded, for several, and asserts no timing);
- STATUS= lines with the counters follow (every 10 s) and count an event;
- SIGTERM: STOPPING=1, then a clean exit 0;
- WATCHDOG_PID naming another process turns the watchdog off
  (sd_watchdog_enabled): no WATCHDOG=1 among the messages until a STATUS=
  line counts an event sent after start (one 10 s STATUS period at least).

Uses ../integration/hqtest.py.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hqtest as T  # noqa: E402
from hqtest import check  # noqa: E402


class Notify:
    """The fake NOTIFY_SOCKET: collects every datagram."""

    def __init__(self):
        self.path = os.path.join(T.tmpdir("hq-ntf-"), "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.msgs = []

    def poll(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        self.msgs.append(data.decode("utf-8", "replace"))
        return True

    def wait_for(self, pred, what, timeout=30.0):
        """Reads until pred(messages) holds; bounded."""
        deadline = time.monotonic() + timeout
        while not pred(self.msgs):
            left = deadline - time.monotonic()
            check(left > 0, "timed out waiting for %s; got %r" % (what, self.msgs))
            self.poll(min(left, 1.0))

    def lines(self):
        return [line for m in self.msgs for line in m.split("\n")]

    def close(self):
        self.sock.close()


def with_env(env, fn):
    old = {k: os.environ.get(k) for k in env}
    os.environ.update({k: v for k, v in env.items() if v is not None})
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
    try:
        return fn()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_ready_watchdog_status_stopping():
    n = Notify()
    d = T.Daemon()

    def run():
        d.start()
        n.wait_for(lambda m: any("READY=1" in x for x in m), "READY=1")
        ready = next(x for x in n.msgs if "READY=1" in x)
        check("STATUS=" in ready, "READY=1 comes with a STATUS= line: %r" % ready)
        n.wait_for(lambda m: sum(x.split("\n").count("WATCHDOG=1") for x in m) >= 3, "three WATCHDOG=1")
        # An event, then a periodic STATUS= that counts it.
        cl = T.OneShot(d.ingest_ep)
        try:
            r = cl.request(T.pack(T.event("ntf-1", source="ntf")))
            check(r.get("status") == "stored", "event: %r" % r)
        finally:
            cl.close()
        n.wait_for(lambda m: any("STATUS=" in x and "1 stored" in x for x in m), "STATUS= with 1 stored")
        before = len(n.msgs)
        d.stop()
        n.wait_for(lambda m: any("STOPPING=1" in x for x in m[before:]), "STOPPING=1 after SIGTERM", 10.0)

    try:
        with_env({"NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": None}, run)
    finally:
        if d.alive():
            d.kill()
        n.close()
    T.log("notify messages: %d, WATCHDOG=1: %d" % (len(n.msgs), n.lines().count("WATCHDOG=1")))


def test_watchdog_pid_of_another_process():
    n = Notify()
    d = T.Daemon()

    def run():
        d.start()
        n.wait_for(lambda m: any("READY=1" in x for x in m), "READY=1")
        # A STATUS= that counts an event sent after start is at least one
        # 10 s period later: by then a watchdog at 2 s would have pinged
        # several times.
        cl = T.OneShot(d.ingest_ep)
        try:
            r = cl.request(T.pack(T.event("ntf-2", source="ntf")))
            check(r.get("status") == "stored", "event: %r" % r)
        finally:
            cl.close()
        n.wait_for(lambda m: any("STATUS=" in x and "1 stored" in x for x in m), "STATUS= with 1 stored")
        d.stop()
        check("WATCHDOG=1" not in n.lines(), "WATCHDOG=1 sent although WATCHDOG_PID names another process")

    try:
        with_env({"NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}, run)
    finally:
        if d.alive():
            d.kill()
        n.close()


if __name__ == "__main__":
    T.parse_args()
    T.main([test_ready_watchdog_status_stopping, test_watchdog_pid_of_another_process])
