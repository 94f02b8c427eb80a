#!/usr/bin/env bash
# Syscall audit for SystemCallFilter= in systemd/houqind.service: runs the
# integration and scenario tests with every houqind under strace, tracing
# only the system calls the unit's filter does NOT allow (strace
# --seccomp-bpf, so the daemon runs at nearly full speed and the tests
# behave as usual).  Any traced call is one the daemon would get EPERM for
# under systemd (the unit sets SystemCallErrorNumber=EPERM, so a miss would
# otherwise fail silently, or make libzmq abort).
#
#   tests/syscalls.sh [--build DIR] [--all] [PATTERN...]
#
#   --all    trace every call instead and list them all (slow: strace stops
#            on each call, and the tests' bounded waits may then fail)
#
# Exit 0 when houqind made no call outside the filter.  Skips (exit 0)
# without strace or systemd-analyze.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bdir=$top/build
all=0
pats=()
while [ $# -gt 0 ]; do
  case $1 in
    --build) bdir=$(cd "$2" && pwd); shift 2 ;;
    --all) all=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) pats+=("$1"); shift ;;
  esac
done
for c in strace systemd-analyze; do
  command -v $c >/dev/null || { echo "syscalls.sh: SKIP: $c is missing"; exit 0; }
done
[ -f "$bdir/CMakeCache.txt" ] || cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$bdir" -j"$(nproc)" --target houqind houqinctl >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/hq-sc.XXXXXX")
trap 'rm -rf "$work"' EXIT

# allowed: what the unit's SystemCallFilter= lines leave allowed;
# outside: every other call systemd knows (@known).
/usr/bin/python3 - "$top/systemd/houqind.service" "$work" <<'EOF'
import re, subprocess, sys
unit, work = sys.argv[1], sys.argv[2]
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
# execve of houqind itself happens before the filter applies.
outside = sorted(expand(["@known"]) - allowed - {"execve"})
open(work + "/allowed", "w").write("\n".join(sorted(allowed)) + "\n")
open(work + "/outside", "w").write(",".join("?" + n for n in outside) + "\n")
print("the unit allows %d system calls; %d known others are traced" % (len(allowed), len(outside)))
EOF

if [ $all = 1 ]; then
  sopts="-f -qq"
else
  sopts="-f -qq --seccomp-bpf -e trace=$(cat "$work/outside")"
fi
# The tests signal the PID they started (SIGTERM to stop, SIGKILL to
# crash): that is this wrapper, which forwards TERM, INT and HUP to houqind
# (strace's child); strace dies with the wrapper (pdeathsig) and takes
# houqind with it (it kills the tracees it started when it dies).
cat >"$work/houqind" <<EOF
#!/bin/bash
setpriv --pdeathsig KILL strace $sopts -o "$work/trace.\$\$" "$bdir/daemons/houqind/houqind" "\$@" &
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
chmod +x "$work/houqind"

for f in tests/integration/test_*.py tests/scenario/test_*.py; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .py)
  if [ ${#pats[@]} -gt 0 ]; then
    m=0; for p in "${pats[@]}"; do case $name in *"$p"*) m=1 ;; esac; done
    [ $m = 1 ] || continue
  fi
  args=(--houqind "$work/houqind" --schemas "$top/schemas" --rules "$top/rules")
  case $f in tests/scenario/*) args+=(--houqinctl "$bdir/tools/houqinctl/houqinctl") ;; esac
  if PYTHONDONTWRITEBYTECODE=1 timeout 1800 /usr/bin/python3 "$f" "${args[@]}" >"$work/$name.log" 2>&1; then
    echo "  $name: passed"
  else
    echo "  $name: FAILED under strace (its calls still count); last lines:"
    tail -5 "$work/$name.log" | sed 's/^/      /'
  fi
done

/usr/bin/python3 - "$work" "$all" <<'EOF'
import glob, re, sys
work, all_ = sys.argv[1], sys.argv[2] == "1"
allowed = set(open(work + "/allowed").read().split())
used = set()
call = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]")
procs = 0
for path in glob.glob(work + "/trace.*"):
    procs += 1
    for line in open(path, errors="replace"):
        m = call.match(line)
        if m:
            used.add(m.group(1))
used.discard("execve")
outside = sorted(used - allowed)
if all_:
    print("system calls used by houqind: %d (%s)" % (len(used), " ".join(sorted(used))))
print("houqind processes traced: %d; calls outside the unit's filter: %d%s"
      % (procs, len(outside), (" (" + " ".join(outside) + ")") if outside else ""))
sys.exit(1 if outside else 0)
EOF
