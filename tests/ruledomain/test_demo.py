#!/usr/bin/python3
"""The newcomers' demo (scripts/demo.sh) against the real houqind.

houqind on the shipped rules with the real clock, on a temporary directory
with ipc:// endpoints; scripts/demo.sh --ingest EP --state DIR feeds it a
simulated campus day.  Every planted problem must have opened its issue, and
the outbox must hold their notifications.  Waits are bounded; nothing
asserts how long anything took.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rd  # noqa: E402
from rd import check, log  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Rules whose issue the demo's day plants (scripts/demo.sh), one per problem.
EXPECTED = [
    "catering.symptomatic-staff-on-duty", "catering.acceptance-unsafe", "catering.sample-underweight",
    "catering.price-above-approved", "catering.foreign-matter-complaints", "catering.rodent-detected",
    "catering.kitchen-behaviour-alarms", "catering.inspection-serious", "catering.cold-storage-high",
    "dormitory.drinking-water-tds", "dormitory.drinking-water-bacteria", "dormitory.repair-late",
    "dormitory.repair-unsatisfactory", "dormitory.laundry-quality-complaints", "dormitory.inspection-findings",
    "property.emergency-repair-late", "property.emergency-repair-arrival-late", "property.complaint-handling",
    "property.hygiene-findings",
    "property.security-response-late", "energy.outage-critical-users", "energy.planned-outage-without-notice",
    "energy.abnormal-electricity", "transport.speeding", "transport.interior-complaints",
    "procurement.late-delivery", "procurement.wrong-brand-spec", "decisions.task-no-report",
    "general.unknown-site", "general.unknown-sensor",
]


def test_demo_day():
    hq = rd.T.Daemon(extra=[])
    hq.argv = lambda: [rd.ARGS.houqind, "--state", hq.state, "--ingest", hq.ingest_ep, "--control", hq.control_ep,
                       "--publish", hq.publish_ep, "--schemas", rd.ARGS.schemas, "--rules", rd.ARGS.rules]
    hq.start()
    try:
        p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "demo.sh"), "--ingest", hq.ingest_ep, "--state",
                            hq.state, "--houqinctl", rd.ARGS.houqinctl], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        out = p.stdout.decode("utf-8", "replace")
        check(p.returncode == 0, "demo.sh exited %d:\n%s" % (p.returncode, out[-3000:]))
        log(out.splitlines()[0] if out else "")

        def opened():
            import json
            r = subprocess.run([rd.ARGS.houqinctl, "issues", "--state", hq.state, "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            rules = {i["rule"] for i in json.loads(r.stdout.decode())} if r.returncode == 0 else set()
            return rules if all(x in rules for x in EXPECTED) else None

        try:
            rules = rd.wait_for("the demo's issues", opened, timeout=60, step=0.5)
        except rd.T.TestFailure:
            import json
            r = subprocess.run([rd.ARGS.houqinctl, "issues", "--state", hq.state, "--json"], stdout=subprocess.PIPE,
                               timeout=60)
            got = {i["rule"] for i in json.loads(r.stdout.decode())}
            raise rd.T.TestFailure("the demo did not open: %s" % ", ".join(x for x in EXPECTED if x not in got))
        log("the demo opened issues of %d rules" % len(rules))
        r = subprocess.run([rd.ARGS.houqinctl, "outbox", "--state", hq.state], stdout=subprocess.PIPE, timeout=60)
        n = len([l for l in r.stdout.decode().splitlines() if l.strip()])
        check(n >= len(EXPECTED), "outbox records: %d" % n)
        log("outbox: %d notifications" % n)
    finally:
        hq.stop()


if __name__ == "__main__":
    rd.parse_args()
    rd.main([test_demo_day])
