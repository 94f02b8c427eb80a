#!/usr/bin/python3
"""Read-only access while houqind writes under load (issue 7 item 1):
houqinctl reads the state through a read-only LMDB environment (one
writer, many readers, consistent snapshots) and follows the map when
houqind grows it.

Every round sends a batch of complaints (each opens an issue) from a
thread while houqinctl issues --json runs at the same time.  Each output
must parse as one JSON array of complete issue objects, the counts never go
down, every issue acknowledged before a read started is in it (nothing
acknowledged is invisible), and none beyond what was sent.  houqind starts
with a 1 MiB map so that it grows it several times while the readers run.
stats --json and ledger --format json are read the same way.
"""
import json
import threading

import hqtool as H
from hqtool import T, check, check_eq

ROUNDS = 12
BATCH = 400


def complaint(i):
    return T.event("load-%06d" % i, type="complaint.submitted", source="load", ts=H.ms("2036-03-03 09:00"),
                   data={"domain": "dormitory", "site": "dorm-3", "category": "hot_water", "ticket": "#%06d" % i,
                         "text": "热水不热，第 %d 条投诉。" % i + "详" * 600, "contact": "1380000%04d" % (i % 10000)})


def test_reads_under_load():
    d = H.manual_daemon("2036-03-03 09:00", ["--map-size", str(1 << 20)])
    try:
        st0 = d.status()
        acked = 0
        last = {"issues": -1, "stats": -1, "ledger": -1}
        sent = 0
        for rnd in range(ROUNDS):
            frames = [("load-%06d" % i, T.pack(complaint(i))) for i in range(sent, sent + BATCH)]
            result = {}

            def load():
                try:
                    result["replies"] = T.pipeline(d.ingest_ep, frames, window=100, timeout=120)
                except Exception as e:  # reported below, in the main thread
                    result["error"] = repr(e)

            th = threading.Thread(target=load)
            th.start()
            try:
                issues = H.ctl("issues", "--json", "--state", d.state).json()
                stats = H.ctl("stats", "--json", "--state", d.state).json()
                ledger = json.loads(H.ctl("ledger", "--from", "2036-03-03", "--to", "2036-03-03", "--format", "json",
                                          "--state", d.state, "--rules", H.ARGS.rules, "--schemas",
                                          H.ARGS.schemas).text)
            finally:
                th.join(timeout=300)
            check(not th.is_alive(), "the load did not finish")
            check("error" not in result, "round %d: the load failed: %s" % (rnd, result.get("error")))
            replies = result["replies"]
            check(all(r["status"] == "stored" for r in replies.values()), "a complaint was not stored")
            check(isinstance(issues, list), "issues --json is not an array")
            for i in issues:
                for k in ("number", "state", "domain", "contractor", "severity", "opened_ms", "timeline",
                          "penalties", "level", "occurrences"):
                    check(k in i, "issue without %s: %r" % (k, i))
                check("complaint_contact" not in i, "personal data in issues --json")
            n = len(issues)
            check(acked <= n <= acked + BATCH, "round %d: %d issues listed, %d acknowledged before" % (rnd, n, acked))
            check(n >= last["issues"], "round %d: issues went down from %d to %d" % (rnd, last["issues"], n))
            numbers = [i["number"] for i in issues]
            check_eq(numbers, ["HQ-2036-%06d" % k for k in range(1, n + 1)], "round %d: numbers" % rnd)
            opened = stats["issues"]["opened"]
            check(acked <= opened <= acked + BATCH, "round %d: stats %d, acknowledged %d" % (rnd, opened, acked))
            check(opened >= last["stats"], "round %d: stats went down" % rnd)
            check(acked <= len(ledger) <= acked + BATCH and len(ledger) >= last["ledger"],
                  "round %d: ledger %d rows, %d acknowledged" % (rnd, len(ledger), acked))
            check(all(r["complaint_contact"] == "(redacted)" for r in ledger), "ledger contact not redacted")
            last = {"issues": n, "stats": opened, "ledger": len(ledger)}
            sent += BATCH
            acked += BATCH
        final = H.ctl("issues", "--json", "--state", d.state).json()
        check_eq(len(final), acked, "every acknowledged issue, after the load")
        st = d.status()
        check(st["map_size"] > st0["map_size"], "the map never grew (%d -> %d): the test proves less than it says"
              % (st0["map_size"], st["map_size"]))
        T.log("map grew from %d to %d bytes while reading" % (st0["map_size"], st["map_size"]))
        d.stop()
    finally:
        d.kill()


if __name__ == "__main__":
    H.parse_args()
    T.main([test_reads_under_load])
