"""webtest - houqin-web beside houqind for the integration tests.

Web starts houqin-web on a free loopback port against a Daemon (hqtest)
and waits (bounded) for /healthz; stop() sends SIGTERM and waits.  http()
is one request with http.client, returning (status, headers, body).
Everything is stopped by hqtest's cleanup too.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import uuid

import hqtest
from hqtest import check, TestFailure

CLIENTS_YAML = """clients:
  - {source: card-system, token: "tok-card-0123456789", types: [mealcard.transaction, sensor.reading]}
  - {source: slow-system, token: "tok-slow-0123456789", types: [sensor.reading], rate: 0.01, burst: 2}
  - {source: fms, token: "tok-fms-0123456789ab", types: [complaint.submitted], open311: true}
  - {source: no311, token: "tok-no311-0123456789", types: [complaint.submitted]}
  - {source: inspect-app, token: "tok-inspect-0123456789", types: [inspection.submitted]}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Web:
    def __init__(self, daemon, binary, extra=(), clients=CLIENTS_YAML):
        self.d = daemon
        self.binary = binary
        self.port = free_port()
        self.clients = os.path.join(daemon.dir, "clients.yaml")
        with open(self.clients, "w") as f:
            f.write(clients)
        self.extra = list(extra)
        self.proc = None
        self.logpath = os.path.join(daemon.dir, "web.log")

    def argv(self):
        return [self.binary, "--listen", "127.0.0.1:%d" % self.port, "--state", self.d.state, "--ingest",
                self.d.ingest_ep, "--rules", hqtest.ARGS.rules, "--schemas", hqtest.ARGS.schemas, "--clients",
                self.clients, "--ack-timeout", "800"] + self.extra

    def start(self, timeout=20.0):
        logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                     preexec_fn=hqtest._die_with_parent)
        logf.close()
        hqtest._daemons.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("houqin-web exited with %d:\n%s" % (self.proc.returncode, self.log()))
            try:
                st, _, _ = self.http("GET", "/healthz", timeout=1.0)
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise TestFailure("houqin-web did not answer within %.0f s:\n%s" % (timeout, self.log()))

    def log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def stop(self, timeout=20.0):
        if self.proc is None:
            return
        p, self.proc = self.proc, None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
            raise TestFailure("houqin-web did not stop within %.0f s of SIGTERM" % timeout)
        check(rc == 0, "houqin-web exited with %d:\n%s" % (rc, self.log()))

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def http(self, method, path, body=None, headers=None, timeout=15.0):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)


def multipart(fields, files=()):
    """fields: [(name, value)], files: [(name, filename, ctype, bytes)]."""
    b = "----hqtest" + uuid.uuid4().hex
    out = []
    for k, v in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (b, k)).encode())
        out.append(v.encode() if isinstance(v, str) else v)
        out.append(b"\r\n")
    for k, fn, ct, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (b, k, fn, ct)).encode())
        out.append(data)
        out.append(b"\r\n")
    out.append(("--%s--\r\n" % b).encode())
    return b"".join(out), "multipart/form-data; boundary=" + b


def csrf_of(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    check(m is not None, "no csrf token in the page")
    return m.group(1)


def houqinctl(binary, *args, timeout=30):
    p = subprocess.run([binary] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
