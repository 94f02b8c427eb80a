#!/usr/bin/python3
"""wrapped_tests - the ctest tests of a build, with programs swapped for
wrappers (tests/valgrind.sh, tests/syscalls.sh).

    wrapped_tests.py BUILD_DIR NAME_REGEX REAL=WRAPPER...

Prints one line per test whose name matches NAME_REGEX (re.search) and
whose command runs one of the REAL programs (as ctest would run it, with
its ENVIRONMENT and WORKING_DIRECTORY): name, working directory, timeout
and the shell-quoted command with every REAL replaced by its WRAPPER,
separated by tabs.  Reading ctest's own test list keeps every argument a
test needs (--shim, --houqinctl, ...) without knowing them here.
"""
import json
import re
import shlex
import subprocess
import sys


def main():
    bdir, regex = sys.argv[1], re.compile(sys.argv[2])
    swap = dict(a.split("=", 1) for a in sys.argv[3:])
    out = subprocess.run(["ctest", "--show-only=json-v1"], cwd=bdir, capture_output=True, text=True,
                         check=True).stdout
    for t in json.loads(out).get("tests", []):
        cmd = t.get("command") or []
        if not regex.search(t["name"]) or not any(c in swap for c in cmd):
            continue
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        cmd = [swap.get(c, c) for c in cmd]
        env = props.get("ENVIRONMENT") or []
        line = shlex.join((["env"] + env if env else []) + cmd)
        print("%s\t%s\t%s\t%s" % (t["name"], props.get("WORKING_DIRECTORY", bdir), int(props.get("TIMEOUT", 1500)),
                                  line))


if __name__ == "__main__":
    main()
