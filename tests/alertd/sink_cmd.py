#!/usr/bin/python3
"""A command channel's program for the tests (an SMS gateway stand-in):
reads the alert JSON from stdin and appends one line
{"key": $HOUQIN_IDEMPOTENCY_KEY, "recipient": $HOUQIN_RECIPIENT,
 "alert": <the JSON>} to the file named by argv[1] (locked, fsynced).
Exits 0, or with the status in the file argv[2] if that exists (one
status per line, consumed from the top: a scripted failure)."""
import fcntl
import json
import os
import sys


def scripted_status(path):
    try:
        with open(path, "r+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            lines = f.read().splitlines()
            if not lines:
                return 0
            f.seek(0)
            f.truncate()
            f.write("".join(l + "\n" for l in lines[1:]))
            return int(lines[0])
    except FileNotFoundError:
        return 0


def main():
    data = sys.stdin.buffer.read()
    status = scripted_status(sys.argv[2]) if len(sys.argv) > 2 else 0
    if status:
        sys.exit(status)
    line = json.dumps({"key": os.environ.get("HOUQIN_IDEMPOTENCY_KEY"),
                       "recipient": os.environ.get("HOUQIN_RECIPIENT"),
                       "alert": json.loads(data.decode("utf-8"))}, ensure_ascii=False)
    with open(sys.argv[1], "a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


if __name__ == "__main__":
    main()
