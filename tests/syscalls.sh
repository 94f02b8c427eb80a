#!/usr/bin/env bash
# Syscall audit for SystemCallFilter= in the systemd units: runs the
# integration, scenario and alertd tests with every houqind and
# houqin-alertd under strace, tracing only the system calls its unit's
# filter does NOT allow (strace --seccomp-bpf, so the daemons run at nearly
# full speed and the tests behave as usual).  Any traced call is one the
# daemon would get EPERM for under systemd (the units set
# SystemCallErrorNumber=EPERM, so a miss would otherwise fail silently, or
# make libzmq abort).  Tests that kill -9 a daemon may fail under the
# wrapper (the kill takes one more hop); their calls still count.
#
#   tests/syscalls.sh [--build DIR] [--all] [REGEX]
#
#   --all    trace every call instead and list them all (slow: strace stops
#            on each call, and the tests' bounded waits may then fail)
#   REGEX    the ctest names to run (default
#            '^(integration|scenario|alertd|systemd)\.'); the tests and their
#            arguments come from the build (tests/wrapped_tests.py)
#
# Exit 0 when no daemon made a call outside its unit's filter.  Skips
# (exit 0) without strace or systemd-analyze.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bdir=$top/build
all=0
regex='^(integration|scenario|alertd|systemd)\.'

while [ $# -gt 0 ]; do
  case $1 in
    --build) bdir=$(cd "$2" && pwd); shift 2 ;;
    --all) all=1; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) regex=$1; shift ;;
  esac
done
for c in strace systemd-analyze setpriv; do
  command -v $c >/dev/null || { echo "syscalls.sh: SKIP: $c is missing"; exit 0; }
done
[ -f "$bdir/CMakeCache.txt" ] || cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$bdir" -j"$(nproc)" >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/hq-sc.XXXXXX")
trap 'rm -rf "$work"' EXIT

# For each unit: <name>.allowed, what its SystemCallFilter= lines leave
# allowed; <name>.outside, every other call systemd knows (@known).
/usr/bin/python3 - "$work" "$top"/systemd/*.service <<'PY'
import os, re, subprocess, sys
work, units = sys.argv[1], sys.argv[2:]
groups, cur = {}, None
for line in subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True,
                           check=True).stdout.splitlines():
    s = line.strip()
    if line.startswith("@"):
        cur = s
        groups[cur] = set()
    elif cur and s and not s.startswith("#"):
        groups[cur].add(s)

def expand(names):
    out = set()
    for n in names:
        out |= expand(groups.get(n, ())) if n.startswith("@") else {n}
    return out

for unit in units:
    name = os.path.basename(unit)[:-len(".service")]
    # The lines apply in order: the first (an allow list) sets the default,
    # later ones add (name) or take away (~name).
    allowed = set()
    for line in open(unit):
        m = re.match(r"\s*SystemCallFilter=(.*)", line)
        if m:
            v = m.group(1).strip()
            if v.startswith("~"):
                allowed -= expand(v[1:].split())
            else:
                allowed |= expand(v.split())
    # execve of the daemon itself happens before the filter applies.
    outside = sorted(expand(["@known"]) - allowed - {"execve"})
    open("%s/%s.allowed" % (work, name), "w").write("\n".join(sorted(allowed)) + "\n")
    open("%s/%s.outside" % (work, name), "w").write(",".join("?" + n for n in outside) + "\n")
    print("%s.service allows %d system calls; %d known others are traced" % (name, len(allowed), len(outside)))
PY

# The tests signal the PID they started (SIGTERM to stop, SIGHUP to reload,
# SIGKILL to crash): that is the wrapper, which forwards TERM, INT and HUP
# to the daemon (strace's child); strace dies with the wrapper (pdeathsig)
# and takes the daemon with it (it kills the tracees it started).
# The wrappers sit where the build puts the daemons (b/daemons/NAME/NAME,
# b/tools -> the build's tools), for tests that find houqinctl beside them.
mkdir -p "$work/b/daemons"
ln -s "$bdir/tools" "$work/b/tools"
wrap() { # NAME BINARY
  local sopts="-f -qq" w=$work/b/daemons/$1/$1
  [ $all = 1 ] || sopts="-f -qq --seccomp-bpf -e trace=$(cat "$work/$1.outside")"
  mkdir -p "$(dirname "$w")"
  cat >"$w" <<EOF
#!/bin/bash
setpriv --pdeathsig KILL strace $sopts -o "$work/trace-$1.\$\$" "$2" "\$@" &
child=\$!
fwd() { for p in \$(cat /proc/\$child/task/\$child/children 2>/dev/null); do kill -\$1 \$p 2>/dev/null; done; }
trap 'fwd TERM' TERM
trap 'fwd INT' INT
trap 'fwd HUP' HUP
rc=0
while :; do
  wait \$child; rc=\$?
  kill -0 \$child 2>/dev/null || break
done
exit \$rc
EOF
  chmod +x "$w"
}
wrap houqind "$bdir/daemons/houqind/houqind"
alertd=0
if [ -f "$work/houqin-alertd.outside" ] && [ -x "$bdir/daemons/houqin-alertd/houqin-alertd" ]; then
  wrap houqin-alertd "$bdir/daemons/houqin-alertd/houqin-alertd"
  alertd=1
fi

swaps=("$bdir/daemons/houqind/houqind=$work/b/daemons/houqind/houqind")
[ $alertd = 1 ] && swaps+=("$bdir/daemons/houqin-alertd/houqin-alertd=$work/b/daemons/houqin-alertd/houqin-alertd")
/usr/bin/python3 tests/wrapped_tests.py "$bdir" "$regex" "${swaps[@]}" >"$work/tests.tsv"
while IFS=$'\t' read -r name dir tmo cmd; do
  log=$work/$name.log
  if (cd "$dir" && PYTHONDONTWRITEBYTECODE=1 timeout -k 10 $((tmo * 2)) bash -c "$cmd") >"$log" 2>&1 </dev/null; then
    echo "  $name: passed"
  else
    echo "  $name: FAILED under strace (its calls still count); last lines:"
    tail -3 "$log" | sed 's/^/      /'
  fi
done <"$work/tests.tsv"

/usr/bin/python3 - "$work" "$all" <<'PY'
import glob, os, re, sys
work, all_ = sys.argv[1], sys.argv[2] == "1"
call = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]")
bad = 0
for f in sorted(glob.glob(work + "/*.outside")):
    name = os.path.basename(f)[:-len(".outside")]
    traces = glob.glob("%s/trace-%s.*" % (work, name))
    if not traces:
        continue
    allowed = set(open("%s/%s.allowed" % (work, name)).read().split())
    used = set()
    for path in traces:
        for line in open(path, errors="replace"):
            m = call.match(line)
            if m:
                used.add(m.group(1))
    used.discard("execve")
    outside = sorted(used - allowed)
    if all_:
        print("%s: system calls used: %d (%s)" % (name, len(used), " ".join(sorted(used))))
    print("%s: processes traced: %d; calls outside its unit's filter: %d%s"
          % (name, len(traces), len(outside), (" (" + " ".join(outside) + ")") if outside else ""))
    bad += len(outside)
sys.exit(1 if bad else 0)
PY
