#!/usr/bin/env python3
"""houqin-web's reads through the console's indexes (daemons/houqin-web/
index.c; bench/README.md "The console on 1,000,000 issues") give the same
pages as the scan of every issue they replace: on a state of 12,000 issues (200 days)
made by hq-console-bench (the benchmark's maker, small), the evaluation of
every term and of some months, and the ledger filtered to each contractor's
open (or overdue, or one state's) issues, followed page by page, are read
and the dashboard (the last 30 days and what is open) are read once with
the indexes and the evaluation's summaries, again after the state's
marker "index:eval" is removed (the evaluation reads whole issues), and
once more after "index:console" is removed too (a state houqind has not
upgraded: houqin-web scans), and compared byte for byte (the pages' CSRF
tokens aside).  Also a smoke run of the
benchmark's programs (quick; the benchmark itself never runs in ctest)."""

import os
import re
import subprocess

import lmdb

import hqtest
from hqtest import check, check_eq, log
from webtest import Web
from consoletest import login, account, Session


def extra(p):
    p.add_argument("--houqin-web", required=True)
    p.add_argument("--houqinctl", required=True)
    p.add_argument("--console-bench", required=True)


ARGS = hqtest.parse_args(extra)

CONTRACTORS = ["xinyuan-catering", "hexiang-catering", "anju-property", "nuanquan-hotwater", "huadian-energy"]
TERMS = ["2025-autumn", "2026-spring", "2026-autumn"]


class FakeDaemon:
    """What Web needs of a houqind: a state directory (no houqind runs:
    the pages only read)."""

    def __init__(self, d):
        self.dir = d
        self.state = os.path.join(d, "state")
        self.ingest_ep = "ipc://%s/no-houqind" % d

    def stop(self):
        pass


def pages(w, s):
    """Every page to compare: path -> body without CSRF tokens."""
    out = {}
    st, h, html = s.get("/console")
    check_eq(st, 200, "dashboard")
    out["/console"] = html
    months = ["2026-%02d" % m for m in (5, 6, 9, 11, 12)]
    for period in TERMS + months:
        path = "/console/evaluation?period=" + period
        st, h, html = s.get(path)
        check_eq(st, 200, path)
        out[path] = html
    for c in CONTRACTORS:
        for q in ("state=open", "state=open&overdue=1", "state=reopened", "state=acknowledged&overdue=1"):
            path = "/console/ledger?%s&contractor=%s" % (q, c)
            n = 0
            while path and n < 40:
                st, h, html = s.get(path)
                check_eq(st, 200, path)
                out[path] = html
                m = re.search(r'id="next" href="([^"]+)"', html)
                path = m.group(1).replace("&amp;", "&") if m else None
                n += 1
    return {k: re.sub(r'name="csrf" value="[^"]*"', "", v) for k, v in out.items()}


def rows(html):
    return len(re.findall(r'<tr><td><a href="/console/issue/', html))


def test_index_reads_equal_the_scan():
    d = FakeDaemon(hqtest.tmpdir("hq-webidx-"))
    p = subprocess.run([ARGS.console_bench, "make", "--state", d.state, "--issues", "12000", "--days", "200",
                        "--schemas", ARGS.schemas, "--rules", ARGS.rules], capture_output=True, timeout=120)
    check_eq(p.returncode, 0, "hq-console-bench make: %s" % p.stderr.decode())
    check_eq(account(ARGS.houqinctl, d, "wang.director")[0], 0, "account")
    w = Web(d, ARGS.houqin_web)
    w.start()
    try:
        s = Session(w, login(w, "wang.director")[3])
        with_index = pages(w, s)
        # the benchmark's timer, as a smoke run
        p = subprocess.run([ARGS.console_bench, "get", "--port", str(w.port), "--cookie", s.cookie, "--n", "5",
                            "--path", "/console/ledger"], capture_output=True, timeout=60)
        check_eq(p.returncode, 0, "hq-console-bench get: %r" % p.stderr)
        check(b"CONSOLEBENCH path=/console/ledger n=5 p50_ms=" in p.stdout, "the timer's line: %r" % p.stdout)
    finally:
        w.stop()
    # the pages are not trivially empty
    evals = [v for k, v in with_index.items() if "evaluation" in k]
    check(re.search(r'id="kpi-open">[1-9]', with_index["/console"]) and with_index["/console"].count("<tr><td><a") >= 10,
          "the dashboard counts open issues and lists the overdue")
    check(all("鑫源" in v for v in evals), "every evaluation lists the contractor")
    check(sum(rows(v) for k, v in with_index.items() if "overdue=1" in k) > 50, "overdue rows in the ledgers")
    check(any('id="next"' in v for v in with_index.values()), "a ledger of more than one page")
    # without the evaluation's summaries (marker "index:eval" removed): the
    # evaluation reads whole issues through the indexes; then without the
    # console's indexes either: houqin-web scans every issue
    passes = {}
    for marker in (b"index:eval", b"index:console"):
        env = lmdb.open(d.state, max_dbs=32, subdir=True, map_size=16 << 30)
        meta = env.open_db(b"meta", create=False)
        with env.begin(write=True, db=meta) as t:
            check(t.delete(marker), "the marker %s was there" % marker.decode())
        env.close()
        w = Web(d, ARGS.houqin_web)
        w.start()
        try:
            s = Session(w, login(w, "wang.director")[3])
            passes[marker] = pages(w, s)
        finally:
            w.stop()
    unsummarized, scanned = passes[b"index:eval"], passes[b"index:console"]
    check_eq(sorted(unsummarized), sorted(with_index), "the same pages")
    check_eq(sorted(scanned), sorted(with_index), "the same pages")
    for k in with_index:
        check(with_index[k] == unsummarized[k], "%s: the summaries and the whole issues differ" % k)
        check(with_index[k] == scanned[k], "%s: the index and the scan differ" % k)
    log("%d pages equal (the dashboard, %d evaluations, %d ledger pages)" % (len(with_index), len(evals),
                                                                              len(with_index) - len(evals) - 1))


if __name__ == "__main__":
    hqtest.main([test_index_reads_equal_the_scan])
