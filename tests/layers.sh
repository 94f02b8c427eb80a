#!/usr/bin/env bash
# Checks the architecture rules that the compiler alone cannot state well:
#   1. every #include "x.h" in lib/<layer>/ names a header of that layer or
#      of a layer it may use (the table in lib/CMakeLists.txt, transitively);
#      the build fails too, but with "no such file"; this says why;
#   2. the out-of-memory policy (lib/core/mem.h): lib/, daemons/ and tools/
#      call hq_malloc and friends, never the raw allocators.
# Usage: tests/layers.sh [SOURCE_DIR]   (exit 0 when clean, 1 with a list)
set -euo pipefail
src=${1:-$(dirname "$0")/..}
cd "$src"
python3 - <<'PY'
import os, re, sys
table = {}
for line in open('lib/CMakeLists.txt'):
    m = re.match(r'hq_layer\((\w+)(.*)\)', line.strip())
    if m:
        deps = re.search(r'DEPS\s+([\w ]+?)(?:\s+LIBS|$)', m.group(2))
        table[m.group(1)] = deps.group(1).split() if deps else []
def closure(l, seen=None):
    seen = seen or set()
    for d in table[l]:
        if d not in seen:
            seen.add(d); closure(d, seen)
    return seen
where = {}
for l in table:
    for f in os.listdir(f'lib/{l}'):
        if f.endswith('.h'):
            where[f] = l
bad = []
for l in table:
    allowed = closure(l) | {l}
    for f in sorted(os.listdir(f'lib/{l}')):
        if not f.endswith(('.c', '.h')):
            continue
        for n, line in enumerate(open(f'lib/{l}/{f}', encoding='utf-8'), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            h = m.group(1)
            if h not in where:
                bad.append(f'lib/{l}/{f}:{n}: includes "{h}", which no layer of lib/ has')
            elif where[h] not in allowed:
                bad.append(f'lib/{l}/{f}:{n}: includes "{h}" of layer {where[h]}, above {l} '
                           f'(it may use: {", ".join(sorted(allowed - {l})) or "nothing"})')
raw = re.compile(r'(?<![\w>.])(malloc|calloc|realloc|strdup|strndup)\s*\(')
for top in ('lib', 'daemons', 'tools'):
    for d, _, fs in os.walk(top):
        for f in fs:
            p = os.path.join(d, f)
            if not f.endswith(('.c', '.h')) or p == 'lib/core/mem.c':
                continue
            for n, line in enumerate(open(p, encoding='utf-8'), 1):
                code = line.split('//')[0]
                if raw.search(code) and not code.lstrip().startswith(('*', '/*')):
                    bad.append(f'{p}:{n}: raw allocator; use hq_{raw.search(code).group(1)} (lib/core/mem.h)')
for b in bad:
    print(b)
print(f'layers: {len(table)} layers, {len(where)} headers, {len(bad)} problems')
sys.exit(1 if bad else 0)
PY
