#!/usr/bin/env bash
# bench/web_bench.sh - issue 15's benchmark of houqin-web's HTTP intake
# (bench/README.md, "HTTP intake (issue 15)").
#
#   bench/web_bench.sh [BUILD_DIR] [--rounds 2] [--seconds 20] [--connections 32]
#                      [--wrk-threads 2] [--zmq-events 300000] [--paced-rate 1000]
#                      [--paced-seconds 20] [--paced-connections 16] [--batch 100]
#                      [--web-arg ARG]... [--diag-threads 32] [--no-diagnostics]
#                      [--phases single,batched,paced] [--tmpdir DIR] [--install]
#
# In one run, interleaved round by round (A, B, A, B) on fresh state each:
#   1. single: houqin-web, one event per POST /api/v1/events over keep-alive
#      connections (wrk + bench/web_post.lua), vs Prometheus Alertmanager,
#      one alert per POST /api/v2/alerts (the same wrk, the same script);
#   2. batched: houqind's own ZeroMQ rate (hq-bench load, window 1000) vs
#      houqin-web with --batch events per request (wrk);
#   3. paced: --paced-rate requests/s of one event (hq-web-paced: open loop,
#      latency from the scheduled send) to houqin-web, and to Alertmanager
#      as a reference, and houqind alone at that rate over ZeroMQ (hq-bench
#      load --rate: the durable commit's own latency on this machine).
# Two diagnostic rows per round in phase 1 (--no-diagnostics drops them):
# houqin-web with --threads --diag-threads (its worker threads block until
# houqind's ack, so they bound the requests in flight), and houqind over
# ZeroMQ with a window of --connections single events (hq-bench load), the
# durable rate at the same concurrency without HTTP.
# houqind and houqin-web run with the shipped rules/ and schemas/, the real
# clock, ipc endpoints and state under --tmpdir ($TMPDIR, default /tmp: keep
# it on a disk); Alertmanager with a one-receiver config and its own storage
# directory there.  Every process is stopped (SIGTERM, then SIGKILL after
# 30 s) and its directory removed before the next run; `sync; sleep 1` in
# between.  Each phase is bounded (--seconds, --paced-seconds <= 30).
#
# Needs wrk and prometheus-alertmanager (Debian 12); --install installs the
# missing ones with apt-get (root), otherwise the script stops and says so.
# Builds nothing: BUILD_DIR (default ./build) must hold houqind, houqin-web,
# houqinctl, bench/hq-bench and bench/hq-web-paced.
# Prints one line per run, then the table and the bars.  Exit status 0 when
# every run completed (bars met or not), 1 when one failed, 2 on usage.
set -euo pipefail

. "$(dirname "$0")/build_dir.sh"

rounds=2 seconds=20 conns=32 wrk_threads=2 zmq_events=300000 batch=100
paced_rate=1000 paced_seconds=20 paced_conns=16 install=0 diag=1 diag_threads=32
tmp=${TMPDIR:-/tmp}
web_args=() extra_web=() phases=,single,batched,paced,
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    --wrk-threads) wrk_threads=$2; shift 2 ;;
    --zmq-events) zmq_events=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --paced-rate) paced_rate=$2; shift 2 ;;
    --paced-seconds) paced_seconds=$2; shift 2 ;;
    --paced-connections) paced_conns=$2; shift 2 ;;
    --web-arg) web_args+=("$2"); shift 2 ;;
    --web-arg=*) web_args+=("${1#--web-arg=}"); shift ;;
    --tmpdir) tmp=$2; shift 2 ;;
    --install) install=1; shift ;;
    --diag-threads) diag_threads=$2; shift 2 ;;
    --no-diagnostics) diag=0; shift ;;
    --phases) phases=,$2,; shift 2 ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
    *) echo "web_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ "$seconds" -gt 30 ] || [ "$paced_seconds" -gt 30 ]; then
    echo "web_bench.sh: phases are bounded to 30 s (--seconds, --paced-seconds)" >&2
    exit 2
fi

houqind=$build/daemons/houqind/houqind
web=$build/daemons/houqin-web/houqin-web
ctl=$build/tools/houqinctl/houqinctl
hqbench=$build/bench/hq-bench
paced=$build/bench/hq-web-paced
for p in "$houqind" "$web" "$ctl" "$hqbench" "$paced"; do
    if [ ! -x "$p" ]; then
        echo "web_bench.sh: $p not found; build first:" >&2
        echo "    cmake -S $root -B $build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build $build -j2" >&2
        exit 2
    fi
done
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -gt 0 ]; then
    if [ $install = 1 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
    else
        echo "web_bench.sh: missing ${missing[*]}: apt-get install ${missing[*]} (or run with --install)" >&2
        exit 2
    fi
fi

work=$(mktemp -d "$tmp/hqweb.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

token=hq-bench-web-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
lua=$here/web_post.lua
ncpu=$(nproc)
clk=$(getconf CLK_TCK)

log() { echo "web-bench: $*"; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
kv() { # kv LINE KEY: the value of KEY=... in LINE
    local x=" $1 "
    x=${x#* $2=}
    echo "${x%% *}"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
nonce() { printf '%d' "$(date +%s%3N)"; }

# stop PID: SIGTERM, at most 30 s, then SIGKILL.
stop() {
    local p=$1 i
    kill -TERM "$p" 2>/dev/null || return 0
    for i in $(seq 300); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
        log "pid $p did not stop within 30 s of SIGTERM: killed"
        kill -KILL "$p" 2>/dev/null || true
    fi
    wait "$p" 2>/dev/null || true
    local keep=()
    for q in "${pids[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
    pids=("${keep[@]+"${keep[@]}"}")
}

settle() { sync; sleep 1; }

# start_hq DIR: houqind on DIR/state with ipc endpoints in DIR; sets hq_pid.
start_hq() {
    local d=$1 i
    "$houqind" --state "$d/state" --ingest "ipc://$d/in" --control "ipc://$d/ctl" --publish "ipc://$d/pub" \
        --schemas "$root/schemas" --rules "$root/rules" >"$d/houqind.log" 2>&1 &
    hq_pid=$!
    pids+=("$hq_pid")
    for i in $(seq 100); do
        if "$ctl" status --control "ipc://$d/ctl" --json >/dev/null 2>&1; then return 0; fi
        kill -0 "$hq_pid" 2>/dev/null || break
        sleep 0.1
    done
    log "houqind did not start:"; tail -5 "$d/houqind.log" >&2
    return 1
}

# hq_counter DIR KEY: one counter of houqind's status.
hq_counter() {
    "$ctl" status --control "ipc://$1/ctl" --json | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

# start_web DIR PORT: houqin-web beside start_hq's houqind; sets web_pid.
start_web() {
    local d=$1 port=$2 i
    printf 'clients:\n  - {source: hq-bench, token: "%s", types: [sensor.reading]}\n' "$token" >"$d/clients.yaml"
    "$web" --listen "127.0.0.1:$port" --state "$d/state" --ingest "ipc://$d/in" --rules "$root/rules" \
        --schemas "$root/schemas" --clients "$d/clients.yaml" "${web_args[@]+"${web_args[@]}"}" \
        "${extra_web[@]+"${extra_web[@]}"}" >"$d/web.log" 2>&1 &
    web_pid=$!
    pids+=("$web_pid")
    for i in $(seq 100); do
        if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then return 0; fi
        kill -0 "$web_pid" 2>/dev/null || break
        sleep 0.1
    done
    log "houqin-web did not start:"; tail -5 "$d/web.log" >&2
    return 1
}

# start_am DIR PORT: Alertmanager, one receiver, no cluster; sets am_pid.
start_am() {
    local d=$1 port=$2 i
    printf 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n' >"$d/alertmanager.yml"
    prometheus-alertmanager --config.file="$d/alertmanager.yml" --storage.path="$d/am" \
        --web.listen-address="127.0.0.1:$port" --cluster.listen-address= --log.level=warn >"$d/am.log" 2>&1 &
    am_pid=$!
    pids+=("$am_pid")
    for i in $(seq 100); do
        if curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then return 0; fi
        kill -0 "$am_pid" 2>/dev/null || break
        sleep 0.1
    done
    log "Alertmanager did not start:"; tail -5 "$d/am.log" >&2
    return 1
}

# Results: one line per run in $work/results:
#   phase side round load rate(req/s) events/s p50 p99 p99.9 max cpu_us_per_req ok bad note
results=$work/results
: >"$results"
failed=0
record() { echo "$*" >>"$results"; }

# wrk_run SIDE(hq|am) PORT BATCH: runs wrk, prints its WEBBENCH line.
wrk_run() {
    local kind=$1 port=$2 b=$3 path=/api/v1/events
    [ "$kind" = am ] && path=/api/v2/alerts
    wrk -t "$wrk_threads" -c "$conns" -d "${seconds}s" --timeout 10s -s "$lua" "http://127.0.0.1:$port$path" \
        -- "$kind" "$b" "$(nonce)" "$token" | grep '^WEBBENCH'
}

# one_web PHASE ROUND BATCH [LABEL]: houqin-web + houqind, wrk, stop.
one_web() {
    local phase=$1 r=$2 b=$3 who=${4:-hq-web} d port la s0 b0 c0 line s1 b1 c1 cpu_us rc=0
    d=$(mktemp -d "$work/w.XXXX")
    port=$(free_port)
    start_hq "$d" && start_web "$d" "$port" || { failed=1; record "$phase $who $r - FAILED"; stop_all; return; }
    la=$(loadavg)
    s0=$(hq_counter "$d" stored); b0=$(hq_counter "$d" batches)
    c0=$(( $(cpu_ticks "$hq_pid") + $(cpu_ticks "$web_pid") ))
    line=$(wrk_run hq "$port" "$b") || rc=1
    c1=$(( $(cpu_ticks "$hq_pid") + $(cpu_ticks "$web_pid") ))
    s1=$(hq_counter "$d" stored); b1=$(hq_counter "$d" batches)
    stop "$web_pid"; stop "$hq_pid"
    if [ $rc != 0 ] || [ -z "$line" ]; then
        failed=1; record "$phase $who $r $la FAILED"; tail -5 "$d"/*.log >&2; rm -rf "$d"; settle; return
    fi
    local ok bad reqs
    ok=$(kv "$line" ok); bad=$(kv "$line" bad); reqs=$(kv "$line" requests)
    cpu_us=$(awk -v c=$((c1 - c0)) -v t="$clk" -v n="$ok" 'BEGIN { printf "%.0f", n ? c / t * 1e6 / n : 0 }')
    local batch_mean
    batch_mean=$(awk -v s=$((s1 - s0)) -v b=$((b1 - b0)) 'BEGIN { printf "%.1f", b ? s / b : 0 }')
    record "$phase $who $r $la $(kv "$line" rps) $(kv "$line" eps) $(kv "$line" p50_ms) $(kv "$line" p99_ms)" \
        "$(kv "$line" p999_ms) $(kv "$line" max_ms) $cpu_us $ok $bad stored=$((s1 - s0)),commit_batch=$batch_mean"
    log "$phase round $r $who: $line houqind_stored=$((s1 - s0)) batches=$((b1 - b0)) cpu_us_per_req=$cpu_us load=$la"
    [ "$bad" = 0 ] || { log "bad replies: $(kv "$line" first_bad)"; }
    rm -rf "$d"
    settle
}

# one_am ROUND: Alertmanager, wrk, stop.
one_am() {
    local r=$1 d port la c0 c1 line cpu_us rc=0
    d=$(mktemp -d "$work/a.XXXX")
    port=$(free_port)
    start_am "$d" "$port" || { failed=1; record "single alertmanager $r - FAILED"; stop_all; return; }
    la=$(loadavg)
    c0=$(cpu_ticks "$am_pid")
    line=$(wrk_run am "$port" 1) || rc=1
    c1=$(cpu_ticks "$am_pid")
    stop "$am_pid"
    if [ $rc != 0 ] || [ -z "$line" ]; then
        failed=1; record "single alertmanager $r $la FAILED"; tail -5 "$d"/*.log >&2; rm -rf "$d"; settle; return
    fi
    local ok bad
    ok=$(kv "$line" ok); bad=$(kv "$line" bad)
    cpu_us=$(awk -v c=$((c1 - c0)) -v t="$clk" -v n="$ok" 'BEGIN { printf "%.0f", n ? c / t * 1e6 / n : 0 }')
    record "single alertmanager $r $la $(kv "$line" rps) $(kv "$line" eps) $(kv "$line" p50_ms) $(kv "$line" p99_ms)" \
        "$(kv "$line" p999_ms) $(kv "$line" max_ms) $cpu_us $ok $bad in_memory"
    log "single round $r Alertmanager: $line cpu_us_per_req=$cpu_us load=$la"
    [ "$bad" = 0 ] || { log "bad replies: $(kv "$line" first_bad)"; }
    rm -rf "$d"
    settle
}

# one_zmq PHASE ROUND EVENTS WINDOW LABEL [RATE]: houqind alone, hq-bench load over its ipc ingest
# (paced at RATE events/s when given, latency from the scheduled send).
one_zmq() {
    local phase=$1 r=$2 nev=$3 win=$4 who=$5 rate=${6:-0} d la c0 c1 out json rc=0
    d=$(mktemp -d "$work/z.XXXX")
    start_hq "$d" || { failed=1; record "$phase $who $r - FAILED"; stop_all; return; }
    la=$(loadavg)
    c0=$(cpu_ticks "$hq_pid")
    out=$("$hqbench" load --endpoint "ipc://$d/in" --events "$nev" --window "$win" --rate "$rate" --json 2>"$d/load.err") || rc=$?
    c1=$(cpu_ticks "$hq_pid")
    local s b
    s=$(hq_counter "$d" stored); b=$(hq_counter "$d" batches)
    stop "$hq_pid"
    json=$(echo "$out" | tail -1)
    if [ $rc != 0 ]; then
        failed=1; record "$phase $who $r $la FAILED"; cat "$d/load.err" >&2; rm -rf "$d"; settle; return
    fi
    j() { echo "$json" | sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p"; }
    local eps cpu_us
    eps=$(j events_per_s)
    cpu_us=$(awk -v c=$((c1 - c0)) -v t="$clk" -v n="$nev" 'BEGIN { printf "%.1f", c / t * 1e6 / n }')
    record "$phase $who $r $la - $(printf '%.1f' "$eps") $(j p50_ms) $(j p99_ms) $(j p999_ms) $(j max_ms)" \
        "$cpu_us $(j stored) $(( nev - $(j stored) )) window=$win,commit_batch=$(awk -v s="$s" -v b="$b" 'BEGIN { printf "%.1f", b ? s / b : 0 }')"
    log "$phase round $r houqind over ZeroMQ (hq-bench load, $nev events, window $win): $(printf '%.0f' "$eps") events/s, p50 $(j p50_ms) ms, p99 $(j p99_ms) ms, houqind cpu_us_per_event=$cpu_us load=$la"
    rm -rf "$d"
    settle
}

# one_paced SIDE(hq|am) ROUND
one_paced() {
    local kind=$1 r=$2 d port la line rc=0 who
    d=$(mktemp -d "$work/p.XXXX")
    port=$(free_port)
    if [ "$kind" = hq ]; then
        who=hq-web
        start_hq "$d" && start_web "$d" "$port" || { failed=1; record "paced $who $r - FAILED"; stop_all; return; }
    else
        who=alertmanager
        start_am "$d" "$port" || { failed=1; record "paced $who $r - FAILED"; stop_all; return; }
    fi
    la=$(loadavg)
    local s0=0 b0=0 s1=0 b1=0 note=""
    if [ "$kind" = hq ]; then s0=$(hq_counter "$d" stored); b0=$(hq_counter "$d" batches); fi
    line=$("$paced" --port "$port" --kind "$kind" --token "$token" --rate "$paced_rate" --seconds "$paced_seconds" \
        --connections "$paced_conns" --nonce "$(nonce)" 2>"$d/paced.err") || rc=$?
    sed 's/^/web-bench: /' "$d/paced.err"
    if [ "$kind" = hq ]; then
        s1=$(hq_counter "$d" stored); b1=$(hq_counter "$d" batches)
        note=",commits_per_s=$(awk -v b=$((b1 - b0)) -v t="$(kv "$line" seconds)" 'BEGIN { printf "%.0f", t ? b / t : 0 }'),commit_batch=$(awk -v s=$((s1 - s0)) -v b=$((b1 - b0)) 'BEGIN { printf "%.1f", b ? s / b : 0 }')"
        stop "$web_pid"
        stop "$hq_pid"
    else
        stop "$am_pid"
    fi
    if [ -z "$line" ]; then
        failed=1; record "paced $who $r $la FAILED"; rm -rf "$d"; settle; return
    fi
    record "paced $who $r $la $(kv "$line" rps) - $(kv "$line" p50_ms) $(kv "$line" p99_ms) $(kv "$line" p999_ms)" \
        "$(kv "$line" max_ms) - $(kv "$line" ok) $(( $(kv "$line" bad) + $(kv "$line" lost) ))" \
        "late_sends=$(kv "$line" late_sends),service_ms=$(kv "$line" service_ms)$note"
    rm -rf "$d"
    settle
}

want() { case $phases in *,$1,*) return 0 ;; esac; return 1; }

stop_all() {
    for p in "${pids[@]+"${pids[@]}"}"; do stop "$p"; done
}

log "$(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n), kernel $(uname -r), $ncpu CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "state under $tmp: $(df -PT "$tmp" | awk 'NR == 2 { print $2 " on " $1 }')"
log "$(wrk -v 2>&1 | head -1 | cut -c1-40); $(prometheus-alertmanager --version 2>&1 | head -1)"
log "wrk -t $wrk_threads -c $conns -d ${seconds}s; paced $paced_rate req/s x ${paced_seconds}s on $paced_conns connections;" \
    "batched: $batch events per request; houqin-web ${web_args[*]:-(default options)}"

want single && for r in $(seq "$rounds"); do
    one_web single "$r" 1
    one_am "$r"
    if [ $diag = 1 ]; then
        extra_web=(--threads "$diag_threads")
        one_web single "$r" 1 "hq-web-t$diag_threads"
        extra_web=()
        one_zmq single "$r" 100000 "$conns" "houqind-zmq-w$conns"
    fi
done
want batched && for r in $(seq "$rounds"); do
    one_zmq batched "$r" "$zmq_events" 1000 houqind-zmq
    one_web batched "$r" "$batch"
done
want paced && for r in $(seq "$rounds"); do
    one_paced hq "$r"
    one_paced am "$r"
    if [ $diag = 1 ]; then
        one_zmq paced "$r" $((paced_rate * paced_seconds)) 10000 houqind-zmq "$paced_rate"
    fi
done

echo
echo "Each run (load = 1-minute load average at its start; cpu = server CPU per request: houqind + houqin-web, or Alertmanager, or houqind alone per event):"
echo
awk 'BEGIN {
       printf "| %-7s | %-13s | %s | %5s | %9s | %9s | %7s | %7s | %7s | %7s | %9s | %7s | %4s | %s |\n",
              "phase", "server", "run", "load", "req/s", "events/s", "p50 ms", "p99 ms", "p99.9", "max ms", "cpu us/req", "ok", "bad", "note"
       print "|---------|---------------|-----|------:|----------:|----------:|--------:|--------:|--------:|--------:|-----------:|--------:|-----:|------|"
     }
     $5 == "FAILED" || $4 == "-" { printf "| %-7s | %-13s | %3s | %5s | FAILED |\n", $1, $2, $3, $4; next }
     { printf "| %-7s | %-13s | %3s | %5s | %9s | %9s | %7s | %7s | %7s | %7s | %10s | %7s | %4s | %s |\n",
              $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 }' "$results"

# The bars, from the medians over the rounds (and each round's ratio).
med() { # med PHASE SERVER FIELD
    awk -v p="$1" -v s="$2" -v f="$3" '$1 == p && $2 == s && $5 != "FAILED" && $4 != "-" { print $f }' "$results" |
        sort -g | awk '{ v[++n] = $1 } END { if (!n) print "nan"; else print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
per_round() { # per_round PHASE SERVER_A FIELD_A SERVER_B FIELD_B: "r1 r2 ..." of A/B
    awk -v p="$1" -v a="$2" -v fa="$3" -v b="$4" -v fb="$5" '
        $1 == p && $2 == a && $5 != "FAILED" { A[$3] = $fa } $1 == p && $2 == b && $5 != "FAILED" { B[$3] = $fb }
        END { for (r = 1; r in A || r in B; r++) printf "%s%s", (r > 1 ? ", " : ""), (r in A && r in B && B[r] > 0) ? sprintf("%.3f", A[r] / B[r]) : "n/a" }' "$results"
}
verdict() { awk -v x="$1" -v bar="$2" -v dir="$3" 'BEGIN { if (x == "nan") print "no figure"; else if ((dir == "ge" && x + 0 >= bar) || (dir == "le" && x + 0 <= bar)) print "met"; else print "NOT met" }'; }

web1=$(med single hq-web 5); am1=$(med single alertmanager 5)
r1=$(awk -v a="$web1" -v b="$am1" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.3f", a / b }')
webb=$(med batched hq-web 6); zmq=$(med batched houqind-zmq 6)
r2=$(awk -v a="$webb" -v b="$zmq" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.3f", a / b }')
p99=$(med paced hq-web 8); p99am=$(med paced alertmanager 8)
p99max=$(awk '$1 == "paced" && $2 == "hq-web" && $5 != "FAILED" { if ($8 + 0 > m) m = $8 + 0 } END { print m + 0 }' "$results")
echo
echo "Bars (medians over $rounds rounds; per-round ratios in brackets):"
echo
echo "| bar | figure | result |"
echo "|-----|--------|--------|"
echo "| single events: houqin-web ≥ 1.0× Alertmanager | $web1 vs $am1 req/s = **$r1×** ($(per_round single hq-web 5 alertmanager 5)) | $(verdict "$r1" 1.0 ge) |"
echo "| batched ($batch/request) ≥ 50% of houqind over ZeroMQ | $webb vs $zmq events/s = **$(awk -v r="$r2" 'BEGIN { if (r == "nan") print "nan"; else printf "%.1f%%", r * 100 }')** ($(per_round batched hq-web 6 houqind-zmq 6)) | $(verdict "$r2" 0.5 ge) |"
echo "| paced $paced_rate req/s: p99 ≤ 20 ms | houqin-web p99 **$p99 ms** (worst run $p99max ms); Alertmanager $p99am ms | $(verdict "$p99" 20 le) (median), $(verdict "$p99max" 20 le) (every run) |"
log "done $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
