#!/usr/bin/env bash
# Syscall audit for the systemd units' SystemCallFilter=: runs the
# integration and scenario tests with every houqind under strace -f, and
# checks that each system call houqind (and its threads) made is allowed by
# the filter in systemd/houqind.service.  The unit sets
# SystemCallErrorNumber=EPERM, so a missing call would not kill the daemon
# but fail silently: this is how we know none is missing.
#
#   tests/syscalls.sh [--build DIR] [PATTERN...]
#
# Prints the calls used and any outside the filter; exit 0 when none is.
# Needs strace and systemd-analyze (skips, exit 0, without them).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bdir=$top/build
pats=()
while [ $# -gt 0 ]; do
  case $1 in
    --build) bdir=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
cat >"$work/houqind" <<EOF
#!/bin/sh
exec strace -f -qq -o "$work/trace.\$\$" "$bdir/daemons/houqind/houqind" "\$@"
EOF
chmod +x "$work/houqind"

fail=0
for f in tests/integration/test_*.py tests/scenario/test_*.py; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .py)
  if [ ${#pats[@]} -gt 0 ]; then
    m=0; for p in "${pats[@]}"; do case $name in *"$p"*) m=1 ;; esac; done
    [ $m = 1 ] || continue
  fi
  args=(--houqind "$work/houqind" --schemas "$top/schemas" --rules "$top/rules")
  case $f in tests/scenario/*) args+=(--houqinctl "$bdir/tools/houqinctl/houqinctl") ;; esac
  if ! PYTHONDONTWRITEBYTECODE=1 timeout 1800 /usr/bin/python3 "$f" "${args[@]}" >"$work/$name.log" 2>&1; then
    echo "syscalls.sh: note: $name failed under strace (timing?); its calls still count"
  fi
done

/usr/bin/python3 - "$work" "$top/systemd/houqind.service" <<'EOF'
import glob, re, subprocess, sys
work, unit = sys.argv[1], sys.argv[2]

# Every group, as systemd-analyze prints them (groups may name groups).
groups, cur = {}, None
for line in subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True).stdout.splitlines():
    s = line.strip()
    if line.startswith("@"):
        cur = s; groups[cur] = set()
    elif cur and s and not s.startswith("#"):
        groups[cur].add(s)

def expand(names):
    out = set()
    for n in names:
        if n.startswith("@"):
            out |= expand(groups.get(n, ()))
        else:
            out.add(n)
    return out

allowed, denied = set(), set()
for line in open(unit):
    m = re.match(r"\s*SystemCallFilter=(.*)", line)
    if not m:
        continue
    v = m.group(1).strip()
    if v.startswith("~"):
        denied |= expand(v[1:].split())
    else:
        allowed |= expand(v.split())
allowed -= denied

used = set()
call = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]")
for path in glob.glob(work + "/trace.*"):
    for line in open(path, errors="replace"):
        m = call.match(line)
        if m and not line.split(None, 1)[1].startswith(("+++", "---")):
            used.add(m.group(1))
# The exec of houqind itself happens before the filter applies (systemd
# installs it with the exec).
used.discard("execve")
outside = sorted(used - allowed)
print("syscalls used by houqind: %d (%s)" % (len(used), " ".join(sorted(used))))
print("outside the unit's filter: %d%s" % (len(outside), (" (" + " ".join(outside) + ")") if outside else ""))
sys.exit(1 if outside else 0)
EOF
