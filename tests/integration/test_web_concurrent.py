#!/usr/bin/env python3
"""houqin-web's worker threads read the state at the same time
(daemons/houqin-web/state.c): each page holds the state lock shared for its
read transaction, and adopting a map that houqind grew takes it
exclusively, because LMDB allows mdb_env_set_mapsize only while the
process has no transaction.

houqind starts with a 1 MiB map and receives about 12 MB of complaints
(each a tracked case), so it grows its map several times, while four
threads of a staff member read the dashboard, the ledger, an evaluation
and the obligations page as fast as they can.  Every page answers 200, the
web log shows that houqin-web adopted a grown map more than once (the
exclusive path ran under readers), and afterwards the ledger lists the
complaints' issues."""

import re
import threading
import time

import hqtest
from hqtest import check, check_eq, log
from webtest import Web
from consoletest import login, account, Session


def extra(p):
    p.add_argument("--houqin-web", required=True)
    p.add_argument("--houqinctl", required=True)


ARGS = hqtest.parse_args(extra)
N = 3000
T0 = 1773022500000  # 2026-03-09 10:15 +08:00
PAGES = ["/console", "/console/ledger", "/console/evaluation?period=2026-03", "/console/obligations"]


def complaint(i):
    eid = hqtest.time_id(T0, i)
    text = ("%06d " % i) + "宿舍楼道卫生差，垃圾无人清运。" * 200
    return eid, hqtest.pack(hqtest.event(eid, type="complaint.submitted", source="portal", ts=T0 + i * 1000, data={
        "domain": "property", "site": "dorm-7", "category": "hygiene", "text": text, "ticket": "#%06d" % i}))


def test_readers_while_the_map_grows():
    d = hqtest.Daemon(extra=["--map-size", str(1 << 20)])
    d.start()
    check_eq(account(ARGS.houqinctl, d, "wang.director")[0], 0, "account")
    w = Web(d, ARGS.houqin_web, extra=["-v"])
    w.start()
    stop = threading.Event()
    results, errors = [], []

    def reader(k):
        s = Session(w, login(w, "wang.director")[3])
        i = k
        while not stop.is_set():
            path = PAGES[i % len(PAGES)]
            i += 1
            try:
                st, _, _ = s.get(path)
                results.append((path, st))
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                errors.append("%s: %r" % (path, e))
    threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
    try:
        for t in threads:
            t.start()
        frames = [complaint(i) for i in range(N)]
        log("%d complaints, %.1f MB" % (N, sum(len(f) for _, f in frames) / 1e6))
        t0 = time.monotonic()
        replies = hqtest.pipeline(d.ingest_ep, frames, window=100, timeout=60)
        check(all(r["status"] == "stored" for r in replies.values()), "every complaint stored")
        log("stored in %.1f s; %d pages read meanwhile" % (time.monotonic() - t0, len(results)))
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        check(not any(t.is_alive() for t in threads), "the readers stopped")
        check_eq(errors, [], "page requests that failed")
        bad = [r for r in results if r[1] != 200]
        check_eq(bad, [], "pages that did not answer 200")
        check(len(results) >= 40, "pages were read while houqind stored (%d)" % len(results))
        st = d.status()
        check(st["map_size"] > (1 << 20), "houqind grew its map: %r" % st["map_size"])
        adopted = w.log().count("adopted the map houqind grew")
        log("houqin-web adopted a grown map %d times" % adopted)
        check(adopted >= 1, "houqin-web adopted the grown map:\n%s" % w.log()[-2000:])
        # the pages read after the load see it all
        s = Session(w, login(w, "wang.director")[3])
        st, _, html = s.get("/console/ledger?state=open")
        check_eq(st, 200, "ledger after the load")
        m = re.search(r'id="count">(\d+)', html) or re.search(r"共\s*(\d+)\s*条", html)
        rows = len(re.findall(r'<tr><td><a href="/console/issue/', html))
        check(rows > 0, "the ledger lists the complaints' issues")
        if m:
            check(int(m.group(1)) >= 1, "the ledger counts them: %s" % m.group(0))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        w.stop()
        d.stop()


if __name__ == "__main__":
    hqtest.main([test_readers_while_the_map_grows])
