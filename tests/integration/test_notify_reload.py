#!/usr/bin/python3
"""sd_notify around a reload (systemd/houqind.service, Type=notify), on a
fake NOTIFY_SOCKET as in tests/systemd/test_notify.py: a SIGHUP and a
control `reload` each send RELOADING=1 (with MONOTONIC_USEC=) and then
READY=1 with a STATUS= that says how it went; a rule set that does not
validate is refused, and READY=1 still follows, with the refusal in
STATUS=, so systemd never keeps the unit in "reloading"."""
import os
import shutil
import signal
import socket
import time

import hqtest as T
from hqtest import check, check_eq


class Notify:
    """The fake NOTIFY_SOCKET: collects every datagram."""

    def __init__(self):
        self.path = os.path.join(T.tmpdir("hq-ntr-"), "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.msgs = []

    def wait_for(self, pred, what, timeout=30.0):
        """Reads until pred(messages) holds; bounded."""
        deadline = time.monotonic() + timeout
        while not pred(self.msgs):
            left = deadline - time.monotonic()
            check(left > 0, "timed out waiting for %s; got %r" % (what, self.msgs))
            self.sock.settimeout(min(left, 1.0))
            try:
                self.msgs.append(self.sock.recv(65536).decode("utf-8", "replace"))
            except socket.timeout:
                pass

    def close(self):
        self.sock.close()


def reload_pair(n, start, what):
    """Waits for RELOADING=1 then READY=1 among the messages from index
    start; returns (the RELOADING message, the READY message)."""
    def found(m):
        rel = [i for i in range(start, len(m)) if "RELOADING=1" in m[i]]
        return rel and any("READY=1" in x for x in m[rel[0] + 1:])
    n.wait_for(found, "RELOADING=1 then READY=1 (%s)" % what)
    i = next(i for i in range(start, len(n.msgs)) if "RELOADING=1" in n.msgs[i])
    j = next(j for j in range(i + 1, len(n.msgs)) if "READY=1" in n.msgs[j])
    return n.msgs[i], n.msgs[j]


def test_reload_notifies():
    n = Notify()
    rules = os.path.join(T.tmpdir("hq-ntr-rules-"), "rules")
    shutil.copytree(T.ARGS.rules, rules)
    d = T.Daemon(extra=["--rules", rules])
    old = os.environ.get("NOTIFY_SOCKET")
    os.environ["NOTIFY_SOCKET"] = n.path
    try:
        d.start()
    finally:
        if old is None:
            del os.environ["NOTIFY_SOCKET"]
        else:
            os.environ["NOTIFY_SOCKET"] = old
    try:
        n.wait_for(lambda m: any("READY=1" in x for x in m), "READY=1 at start")

        start = len(n.msgs)
        os.kill(d.proc.pid, signal.SIGHUP)
        rel, ready = reload_pair(n, start, "SIGHUP")
        check("MONOTONIC_USEC=" in rel, "RELOADING=1 carries MONOTONIC_USEC=: %r" % rel)
        check("STATUS=" in ready and "reloaded" in ready, "READY=1 after SIGHUP says reloaded: %r" % ready)

        start = len(n.msgs)
        r = d.control().call({"cmd": "reload"})
        check_eq(r.get("ok"), True, "control reload")
        st = d.status()
        check_eq((st["reload_refused"], st["reload_refused_ms"], st["reload_error"], st["rules_dir"]),
                 (False, None, None, rules), "status after a good reload: no refusal, the rules in force")
        loaded = st["rules_loaded_ms"]
        check(isinstance(loaded, int) and loaded > 0, "rules_loaded_ms %r" % loaded)
        rel, ready = reload_pair(n, start, "control reload")
        check("reloaded" in ready, "READY=1 after the control reload: %r" % ready)

        # A rule file that does not parse: refused, and READY=1 all the same.
        with open(os.path.join(rules, "zz-broken.yaml"), "w", encoding="utf-8") as f:
            f.write("rules:\n  - id: broken\n    on: [\n")
        start = len(n.msgs)
        r = d.control().call({"cmd": "reload"})
        check(r.get("ok") is False and "refused" in r.get("error", ""), "reload of a broken rule set: %r" % r)
        rel, ready = reload_pair(n, start, "refused reload")
        check("reload refused" in ready, "READY=1 after a refused reload says so: %r" % ready)
        st = d.status()
        check_eq(st["ok"], True, "status after the refused reload")
        # issue 18 item 5: status shows the refusal, its first error, and that
        # the rules in force are still the ones loaded before
        check(st["reload_refused"] is True and isinstance(st["reload_refused_ms"], int),
              "status says the reload was refused: %r" % st)
        check("reload refused" in st["reload_error"] and "zz-broken.yaml:" in st["reload_error"],
              "status carries the first error: %r" % st["reload_error"])
        check_eq(st["rules_loaded_ms"], loaded, "the rule set in force is the one loaded before")
        os.unlink(os.path.join(rules, "zz-broken.yaml"))
        check_eq(d.control().call({"cmd": "reload"}).get("ok"), True, "reload after the fix")
        st = d.status()
        check_eq((st["reload_refused"], st["reload_error"]), (False, None), "a good reload clears the refusal")
        d.stop()
    finally:
        if d.alive():
            d.kill()
        n.close()


if __name__ == "__main__":
    T.parse_args()
    T.main([test_reload_notifies])
