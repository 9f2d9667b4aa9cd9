#!/usr/bin/env python3
"""frames.py: unpack the guest's results channel (harness/guest/stream.sh).

  frames.py unpack STREAM DIR

Each intact frame (its size and SHA-256 check out) is a file for DIR (a
name NNNN/FILE goes to DIR/NNNN, a batch item's directory); the last
intact frame of a name wins (result.json is sent at every change).
A file DIR already has with the same bytes is left alone; one it lacks or
holds differently (the 9p share did not deliver it, or not all of it) is
written from the frame.  Prints the names written that way, one per
line; damaged frames are counted on stderr.
"""
import hashlib
import os
import re
import sys
import tempfile

# a name is a file, or DIR/FILE for a batch item's directory (no "..")
HEADER = re.compile(rb"WACFRAME ((?:[0-9]{4}/)?[A-Za-z0-9_-][A-Za-z0-9._-]*) (\d+) ([0-9a-f]{64})\n")
END = b"\nWACEND\n"


def frames(data):
    """{name: bytes} of the intact frames, and the count of damaged ones."""
    out, bad, pos = {}, 0, 0
    while True:
        m = HEADER.search(data, pos)
        if not m:
            return out, bad
        start, size = m.end(), int(m.group(2))
        body = data[start:start + size]
        if len(body) == size and data[start + size:start + size + len(END)] == END \
                and hashlib.sha256(body).hexdigest().encode() == m.group(3):
            out[m.group(1).decode()] = body
            pos = start + size + len(END)
        else:
            bad += 1
            pos = m.start() + 1


def unpack(stream, outdir):
    with open(stream, "rb") as fh:
        got, bad = frames(fh.read())
    written = []
    for name, body in sorted(got.items()):
        path = os.path.join(outdir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            with open(path, "rb") as fh:
                if fh.read() == body:
                    continue
        fd, tmp = tempfile.mkstemp(prefix=".frame.", dir=os.path.dirname(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        written.append(name)
    if bad:
        print("frames.py: %s: %d damaged frame(s) skipped" % (stream, bad), file=sys.stderr)
    return written


def main():
    if len(sys.argv) != 4 or sys.argv[1] != "unpack":
        print("usage: frames.py unpack STREAM DIR", file=sys.stderr)
        return 2
    if not os.path.exists(sys.argv[2]):
        return 0
    for name in unpack(sys.argv[2], sys.argv[3]):
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
