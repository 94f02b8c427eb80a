#!/usr/bin/env bash
# bench/console_bench.sh - issue 17's benchmark of the console's pages on a
# state of many issues (bench/README.md, "The console on 1,000,000 issues").
#
#   bench/console_bench.sh [BUILD_DIR] [--issues 1000000] [--state DIR] [--n 200]
#                          [--eval-n 20] [--keep] [--web-arg ARG]...
#
# 1. Makes the state with hq-console-bench make (the state layer in one
#    process; about a minute for 1,000,000 issues), unless --state DIR
#    already holds one made with the same --issues (DIR/.console-bench).
# 2. Gives wang.director (the office director: sees everything) and
#    contact.hexiang (a contractor) log-in accounts with houqinctl, starts
#    houqin-web on a free loopback port against the state (read-only; no
#    houqind is needed for reading) and logs both in.
# 3. Times each page with hq-console-bench get (one keep-alive connection,
#    --n requests after 5 unmeasured ones; the evaluation --eval-n times):
#    the ledger's first page, the filtered ledger (one contractor, open,
#    overdue), an issue's page (the newest and an old one), the evaluation of
#    the current term and of the one before, and for information the
#    dashboard and a contractor's ledger; last, the newest issue's page
#    again while another connection asks for evaluations without pause.  Prints one line per page (with
#    houqin-web's CPU time per request, which does not depend on the
#    machine's load as the latency does) and the bars.
# Exit status 0 when every page answered 200 (bars met or not), 1 otherwise,
# 2 on a usage error.  The state is removed at the end unless --state or
# --keep is given.
set -euo pipefail

. "$(dirname "$0")/build_dir.sh"
issues=1000000 state="" n=200 eval_n=20 keep=0
web_args=()
while [ $# -gt 0 ]; do
    case $1 in
    --issues) issues=$2; shift 2 ;;
    --state) state=$2; keep=1; shift 2 ;;
    --n) n=$2; shift 2 ;;
    --eval-n) eval_n=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --web-arg) web_args+=("$2"); shift 2 ;;
    *) echo "console_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
cb=$build/bench/hq-console-bench
web=$build/daemons/houqin-web/houqin-web
ctl=$build/tools/houqinctl/houqinctl
for b in "$cb" "$web" "$ctl"; do
    [ -x "$b" ] || { echo "console_bench.sh: $b is not built" >&2; exit 2; }
done
[ -n "$state" ] || state=${TMPDIR:-/tmp}/hq-console-bench-$issues
pid="" evpid=""
cleanup() {
    if [ -n "$evpid" ]; then kill "$evpid" 2>/dev/null || true; wait "$evpid" 2>/dev/null || true; fi
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    if [ "$keep" = 0 ]; then rm -rf "$state"; fi
}
trap cleanup EXIT

if [ "$(cat "$state/.console-bench" 2>/dev/null)" != "$issues" ]; then
    rm -rf "$state"
    "$cb" make --state "$state" --issues "$issues" --schemas "$root/schemas" --rules "$root/rules"
    echo "$issues" > "$state/.console-bench"
fi
du -sh "$state" | sed 's/^/state size: /'
pw="bench password 17"
for p in wang.director contact.hexiang; do
    echo "$pw" | "$ctl" account set "$p" --state "$state" --rules "$root/rules" --schemas "$root/schemas" >/dev/null
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$web" --listen "127.0.0.1:$port" --state "$state" --rules "$root/rules" --schemas "$root/schemas" \
    --ingest "ipc://$state/no-houqind" --subscribe "ipc://$state/no-houqind-pub" "${web_args[@]}" \
    2> "$state/web.log" &
pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
login() {
    python3 - "$port" "$1" "$pw" <<'EOF'
import http.client, re, sys, urllib.parse
port, person, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
c.request("GET", "/login"); r = c.getresponse(); html = r.read().decode()
csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
c.request("POST", "/login", urllib.parse.urlencode({"csrf": csrf, "person": person, "password": pw}),
          {"Content-Type": "application/x-www-form-urlencoded"})
r = c.getresponse(); r.read()
print(re.match(r"hq_session=([^;]*)", r.getheader("Set-Cookie")).group(1))
EOF
}
dir=$(login wang.director)
ctr=$(login contact.hexiang)
newest=$(/usr/bin/python3 -c 'import lmdb,sys; e=lmdb.open(sys.argv[1],readonly=True,lock=False,max_dbs=32); d=e.open_db(b"issues",create=False)
with e.begin(db=d) as t:
    c=t.cursor(); c.last(); print(c.key().decode())' "$state" 2>/dev/null || true)
[ -n "$newest" ] || newest=HQ-$(date +%Y)-000001
old=HQ-$(($(date +%Y) - 2))-000100
# the current term (the last one begun) and the one before
terms=$(python3 - "$root/rules/evaluation.yaml" <<'EOF'
import re, sys, datetime
today = datetime.date.today().isoformat()
t = [m.group(1) for m in re.finditer(r"\{id: ([^,]+), name: [^,]+, from: ([0-9-]+), to: ([0-9-]+)\}",
                                     open(sys.argv[1]).read()) if m.group(2) <= today]
print(" ".join(t[-2:]) if len(t) >= 2 else "%s %s" % (today[:7], today[:7]))
EOF
)
prev=${terms% *} term=${terms#* }
echo "houqin-web on 127.0.0.1:$port, state $state ($issues issues), term $term"
out=$state/results.txt
: > "$out"
run() { "$cb" get --port "$port" --pid "$pid" "$@" | tee -a "$out" | grep -v '^CONSOLEBENCH'; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
run --cookie "$dir" --n "$n" --path "/console/ledger"
run --cookie "$dir" --n "$n" --path "/console/ledger?state=open&contractor=hexiang-catering&overdue=1"
run --cookie "$dir" --n "$n" --path "/console/issue/$newest"
run --cookie "$dir" --n "$n" --path "/console/issue/$old"
run --cookie "$dir" --n "$eval_n" --warm 1 --path "/console/evaluation?period=$term"
run --cookie "$dir" --n "$eval_n" --warm 1 --path "/console/evaluation?period=$prev"
run --cookie "$dir" --n 3 --warm 0 --path "/console"
run --cookie "$ctr" --n "$n" --path "/console/ledger"
# The newest issue's page while another connection asks for the term's
# evaluation without pause: houqin-web's workers read the state at the
# same time, so the page should not wait for the evaluations.
"$cb" get --port "$port" --cookie "$dir" --n 100000000 --warm 0 --path "/console/evaluation?period=$term" \
    > /dev/null 2>&1 &
evpid=$!
sleep 1
run --cookie "$dir" --n "$n" --path "/console/issue/$newest?during=evaluations"
kill "$evpid" 2>/dev/null || true
wait "$evpid" 2>/dev/null || true
evpid=""
p99() { grep "^CONSOLEBENCH path=$1 " "$out" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/'; }
bar() {
    local v
    v=$(p99 "$1")
    awk -v v="$v" -v b="$2" -v w="$3" 'BEGIN { printf "%-44s p99 %8.2f ms  bar %5d ms  %s\n", w, v, b, (v <= b ? "met" : "NOT met") }'
}
echo "bars:"
bar "/console/ledger" 50 "ledger, first page"
bar "/console/ledger?state=open&contractor=hexiang-catering&overdue=1" 50 "ledger, one contractor, open, overdue"
bar "/console/issue/$newest" 20 "issue page (newest)"
bar "/console/issue/$old" 20 "issue page (two years old)"
bar "/console/issue/$newest?during=evaluations" 20 "issue page while evaluations run"
bar "/console/evaluation?period=$term" 1000 "evaluation of the term $term"
bar "/console/evaluation?period=$prev" 1000 "evaluation of the term $prev"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
