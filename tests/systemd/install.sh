#!/usr/bin/env bash
# install.destdir: `cmake --install` into a DESTDIR with prefix /usr, then
# checks that every file is where the units expect it, that the installed
# houqind validates the installed rules against the installed schemas, that
# a second install keeps the administrators' rules, and that the units pass
# `systemd-analyze verify` (with no output at all: it exits 0 on some
# errors) and score 2.0 or lower in `systemd-analyze security --offline`.
# The systemd-analyze steps are skipped where systemd-analyze is missing.
# Usage: install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
d=$(mktemp -d "${TMPDIR:-/tmp}/hq-install.XXXXXX")
trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

DESTDIR=$d/root cmake --install "$build" --prefix /usr >"$d/install.log" 2>&1 ||
  { cat "$d/install.log"; echo "FAIL: cmake --install"; exit 1; }
r=$d/root

for f in usr/sbin/houqind usr/bin/houqinctl; do
  [ -x "$r/$f" ] || bad "$f missing or not executable"
done
for f in usr/lib/systemd/system/houqind.service usr/lib/sysusers.d/houqin.conf \
         usr/lib/tmpfiles.d/houqin.conf usr/share/houqin/schemas/README.md; do
  [ -f "$r/$f" ] || bad "$f missing"
done
for u in "$src"/systemd/*.service; do
  [ -f "$r/usr/lib/systemd/system/$(basename "$u")" ] || bad "unit $(basename "$u") not installed"
done
# Every schema and every rules file, byte for byte.
(cd "$src/schemas" && find . -name '*.yaml' -type f) | while read -r f; do
  cmp -s "$src/schemas/$f" "$r/usr/share/houqin/schemas/$f" || echo "FAIL: schemas/$f not installed"
done | tee -a "$d/missing"
(cd "$src/rules" && find . -type f) | while read -r f; do
  cmp -s "$src/rules/$f" "$r/etc/houqin/rules/$f" || echo "FAIL: /etc/houqin/rules/$f not installed"
  cmp -s "$src/rules/$f" "$r/usr/share/houqin/rules/$f" || echo "FAIL: share/houqin/rules/$f not installed"
done | tee -a "$d/missing"
[ -s "$d/missing" ] && fail=1

# The unit's paths exist in the installed tree.
unit=$r/usr/lib/systemd/system/houqind.service
for p in /usr/sbin/houqind /etc/houqin/rules /usr/share/houqin/schemas; do
  grep -q -- "$p" "$unit" || bad "houqind.service does not name $p"
  [ -e "$r$p" ] || bad "houqind.service names $p, which is not installed"
done

# The installed daemon accepts the installed configuration.
if ! "$r/usr/sbin/houqind" --check --rules "$r/etc/houqin/rules" --schemas "$r/usr/share/houqin/schemas" \
     >"$d/check.log" 2>&1; then
  cat "$d/check.log"; bad "houqind --check on the installed rules and schemas"
fi

# A second install keeps edited rules in /etc.
echo "# edited by an administrator" >>"$r/etc/houqin/rules/org.yaml"
DESTDIR=$d/root cmake --install "$build" --prefix /usr >"$d/install2.log" 2>&1 || bad "second cmake --install"
grep -q "edited by an administrator" "$r/etc/houqin/rules/org.yaml" || bad "a reinstall overwrote /etc/houqin/rules"

# Another prefix rewrites the units' paths.
DESTDIR=$d/local cmake --install "$build" --prefix /opt/houqin >"$d/install3.log" 2>&1 || bad "install to /opt/houqin"
lu=$d/local/opt/houqin/lib/systemd/system/houqind.service
grep -q "ExecStart=/opt/houqin/sbin/houqind .*--rules /opt/houqin/etc/houqin/rules --schemas /opt/houqin/share/houqin/schemas" "$lu" ||
  bad "units not rewritten for prefix /opt/houqin"
[ -f "$d/local/opt/houqin/etc/houqin/rules/org.yaml" ] || bad "rules not in <prefix>/etc/houqin for prefix /opt/houqin"

if command -v systemd-analyze >/dev/null; then
  for u in "$r"/usr/lib/systemd/system/*.service; do
    n=$(basename "$u")
    # verify checks that the programs exist: point it at the DESTDIR's.
    mkdir -p "$d/verify"
    sed -e "s#=/usr/sbin/#=$r/usr/sbin/#g" -e "s#=/usr/bin/#=$r/usr/bin/#g" \
        -e "s#=-/usr/sbin/#=-$r/usr/sbin/#g" "$u" >"$d/verify/$n"
    out=$(systemd-analyze verify --man=no "$d/verify/$n" 2>&1) || true
    if [ -n "$out" ]; then
      echo "$out"; bad "systemd-analyze verify $n printed the above"
    fi
    score=$(systemd-analyze security --offline=true "$u" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    echo "systemd-analyze security --offline=true $n: ${score:-?}"
    systemd-analyze security --offline=true --threshold=20 "$u" >/dev/null 2>&1 ||
      bad "$n exposure ${score:-?} is above 2.0"
  done
else
  echo "SKIP: systemd-analyze not available"
fi

[ $fail = 0 ] && echo "install.destdir: OK"
exit $fail
