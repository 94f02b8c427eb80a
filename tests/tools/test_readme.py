#!/usr/bin/python3
"""README.md works as written (issue 16): every shell block of it runs, in
order, on a clean copy of the repository, and fails the test on an error
or an empty result.

The copy: the committed tree (git archive HEAD of the source directory, as
a fresh clone has it) in a temporary directory, with `build` a link to the
build tree that ctest runs in (the README's programs are the built ones;
building again would take minutes).  Each block runs in bash with -e and
pipefail from the copy's top directory; what a block exports (PATH) holds
for the blocks after it.  A block fails when it exits non-zero, when,
unless it only sets variables, it prints nothing, or when a file it writes
with `> FILE` is empty (a CSV: has no row besides its header).

Markers, an HTML comment on the line before a block (invisible on GitHub):
  <!-- readme-test: skip: WHY -->   not run (it installs system packages,
                                    writes /etc, or runs the whole suite);
  <!-- readme-test: daemon -->      it starts a long-running daemon: run in
                                    the background, ready when `houqinctl
                                    status` answers, stopped at the end.
Bounded: 120 s in all.  The README's daemon listens on its default
endpoints (127.0.0.1:7601-7603); when another program holds them, the test
is skipped (exit 77) rather than failing on someone else's daemon.
"""
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

BUDGET_S = 120
MARK = re.compile(r"<!--\s*readme-test:\s*(skip|daemon)\b[^>]*-->")


def parse_args():
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--build", required=True)
    return p.parse_args()


def blocks(text):
    """[(line number, marker or None, shell text)]: fenced sh/bash/shell
    blocks and indented (4 spaces) blocks after a blank line."""
    lines = text.split("\n")
    out, i, fence = [], 0, None
    while i < len(lines):
        l = lines[i]
        m = re.match(r"^```(\w*)\s*$", l)
        if m:
            lang, start, body = m.group(1), i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if lang in ("sh", "bash", "shell"):
                out.append((start, marker(lines, start - 1), "\n".join(body)))
            i += 1
            continue
        if l.startswith("    ") and l.strip() and (i == 0 or not lines[i - 1].strip()):
            start, body = i + 1, []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                body.append(lines[i][4:])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            out.append((start, marker(lines, start - 1), "\n".join(body)))
            continue
        i += 1
    return out


def marker(lines, first):
    """The marker on the last non-blank line before the block at index first."""
    j = first - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    m = MARK.search(lines[j]) if j >= 0 else None
    return m.group(1) if m else None


def only_settings(script):
    cmds = [l.strip() for l in script.split("\n") if l.strip() and not l.strip().startswith("#")]
    return all(re.match(r"^(export\s+\w+=|cd\s)", c) for c in cmds)


def empty_outputs(copy, script):
    """The files a block writes with `> FILE` that are empty, or a CSV
    with no row besides its header."""
    bad = []
    for name in re.findall(r"(?<![>&2])>\s*([\w./-]+)", script):
        path = os.path.join(copy, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            bad.append(name + " (not written)")
            continue
        rows = [l for l in data.split(b"\n") if l.strip()]
        if not data.strip() or (name.endswith(".csv") and len(rows) < 2):
            bad.append(name)
    return bad


def ports_busy(ports=(7601, 7602, 7603)):
    """The README's default endpoints (loopback TCP) already taken."""
    import socket
    busy = []
    for p in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                busy.append(p)
    return busy


def main():
    args = parse_args()
    busy = ports_busy()
    if busy:
        print("skipped: the README's endpoints are in use on this machine (127.0.0.1:%s): another houqind runs"
              % ",".join(map(str, busy)))
        return 77
    args.build = os.path.abspath(args.build)
    deadline = time.monotonic() + BUDGET_S
    work = tempfile.mkdtemp(prefix="hq-readme-")
    copy = os.path.join(work, "houqin")
    os.makedirs(copy)
    tar = subprocess.run("git -C %s archive HEAD | tar -x -C %s" % (shlex.quote(args.source), shlex.quote(copy)),
                         shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if tar.returncode:
        print("FAIL cannot copy the committed tree: %s" % tar.stdout.decode(errors="replace"))
        return 1
    os.symlink(os.path.abspath(args.build), os.path.join(copy, "build"))
    env_file = os.path.join(work, "env.sh")
    with open(env_file, "w") as f:
        f.write("")
    with open(os.path.join(copy, "README.md"), encoding="utf-8") as f:
        todo = blocks(f.read())
    env = dict(os.environ, HOME=work, TMPDIR=work)
    daemons, failed, ran = [], [], 0
    try:
        for line, mark, script in todo:
            left = deadline - time.monotonic()
            if mark == "skip":
                print("skip  README.md:%d (marked)" % line)
                continue
            if left <= 1:
                failed.append("README.md:%d: not run: the %d s budget is spent" % (line, BUDGET_S))
                break
            wrapped = "set -eo pipefail\nsource %s\n%s\nexport -p > %s\n" % (env_file, script, env_file)
            if mark == "daemon":
                log = open(os.path.join(work, "daemon-%d.log" % line), "wb")
                p = subprocess.Popen(["bash", "-c", wrapped], cwd=copy, env=env, stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
                daemons.append(p)
                ready = False
                while time.monotonic() < deadline and p.poll() is None:
                    r = subprocess.run(["bash", "-c", "source %s; houqinctl status || %s/tools/houqinctl/houqinctl status"
                                        % (env_file, args.build)], cwd=copy, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
                    if r.returncode == 0:
                        ready = True
                        break
                    time.sleep(0.5)
                print("%s README.md:%d (daemon)" % ("ready" if ready else "FAIL ", line))
                if not ready:
                    with open(log.name, "rb") as f:
                        tail = f.read()[-2000:].decode(errors="replace")
                    failed.append("README.md:%d: the daemon did not answer `houqinctl status`:\n%s" % (line, tail))
                    break
                continue
            try:
                r = subprocess.run(["bash", "-c", wrapped], cwd=copy, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=left)
            except subprocess.TimeoutExpired:
                failed.append("README.md:%d: still running when the %d s budget was spent" % (line, BUDGET_S))
                break
            ran += 1
            out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
            if r.returncode != 0:
                failed.append("README.md:%d: exit %d\n%s\n%s%s" % (line, r.returncode, script, out[-1500:],
                                                                   err[-1500:]))
            elif not out.strip() and not only_settings(script):
                failed.append("README.md:%d: printed nothing\n%s\n%s" % (line, script, err[-1500:]))
            elif empty_outputs(copy, script):
                failed.append("README.md:%d: wrote nothing to %s\n%s" % (line, ", ".join(empty_outputs(copy, script)),
                                                                       script))
            else:
                last = out.strip().split("\n")[-1]
                print("ok    README.md:%d (%d lines of output; the last: %s)" % (line, out.count("\n"), last[:100]))
    finally:
        for p in daemons:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
        subprocess.run(["rm", "-rf", work])
    for f in failed:
        print("FAIL  " + f)
    print("%d blocks run, %d failed" % (ran, len(failed)))
    return 1 if failed or not ran else 0


if __name__ == "__main__":
    sys.exit(main())
