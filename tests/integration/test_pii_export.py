#!/usr/bin/env python3
"""Exports with personal data (issue 13 item 6, docs: houqinctl ledger
--help): `houqinctl ledger --include-pii` and `houqinctl issue --json
--include-pii` print only after houqind stored an audit.pii_access record
of who exported what; on the shipped rules only the office's leaders and
admins may (pii_export in rules/permissions.yaml).  A supervisor, a
contractor's contact and an unknown person are refused: exit 1, nothing
printed, nothing stored."""

import subprocess

import hqtest
from hqtest import check, check_eq


def extra(p):
    p.add_argument("--houqinctl", required=True)


ARGS = hqtest.parse_args(extra)


def ctl(*args):
    p = subprocess.run([ARGS.houqinctl] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def audits(d):
    v = hqtest.read_store(d.state)
    evs = [hqtest.unpack(v.events[s][1]) for s in v.events]
    return [e["data"] for e in evs if e["type"] == "audit.pii_access"]


def test_pii_export():
    d = hqtest.Daemon()
    d.start()
    try:
        base = ["--state", d.state, "--rules", ARGS.rules, "--schemas", ARGS.schemas, "--ingest", d.ingest_ep]
        ledger = ["ledger", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json", "--include-pii"] + base
        rc, out, err = ctl(*ledger, "--actor", "wang.director", "--purpose", "投诉回访")
        check_eq(rc, 0, "the director exports: %s" % err)
        check(out.startswith("["), "the ledger printed: %r" % out)
        a = audits(d)
        check_eq(len(a), 1, "one access record")
        check_eq((a[0]["actor"], a[0]["purpose"]), ("wang.director", "投诉回访"), "who and why")
        check(a[0]["what"].startswith("ledger --from 2026-03-01 --to 2026-03-31 --format json --include-pii"),
              "what: %r" % a[0]["what"])
        for who, words in (("lin.sup", "pii_export"), ("contact.xinyuan", "separation of duties"),
                           ("nobody.at.all", "no person of the organisation")):
            rc, out, err = ctl(*ledger, "--actor", who)
            check_eq(rc, 1, "%s refused" % who)
            check_eq(out, "", "%s: nothing printed" % who)
            check(words in err and "not exported" in err, "%s: the reason: %r" % (who, err))
        rc, out, err = ctl(*ledger[:-len(base)], "--state", d.state, "--rules", ARGS.rules, "--schemas",
                           ARGS.schemas)
        check_eq(rc, 2, "no --actor")
        check("--actor" in err and out == "", "no --actor: says so: %r" % err)
        check_eq(len(audits(d)), 1, "nothing stored by the refusals")
        rc, out, err = ctl("issue", "HQ-2026-000001", "--json", "--include-pii", "--actor", "lin.sup", *base[:2],
                           "--ingest", d.ingest_ep)
        check(rc in (1, 2) and out == "", "issue --include-pii by a supervisor: %r" % err)
    finally:
        d.stop()


if __name__ == "__main__":
    hqtest.main([test_pii_export])
