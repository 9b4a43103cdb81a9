#!/usr/bin/python3
# tests/milter/hold_conns.py - hold N milter connections open at once.
#
#   hold_conns.py unix:/path/sock N
#
# Opens N connections to the milter (raising this process's own limit of
# open files first), negotiates on every one while all stay open, then
# runs CONNECT, MAIL and one RCPT on each, still all open. Prints
# "negotiated K of N" and "answered K of N" (K counts the connections
# whose every step got an answer; the whole run is bounded to about 30 s:
# once that is spent, every remaining wait is short); exit 0 when both
# are N.
import os
import resource
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from milterwire import negotiate, read_packet, send  # noqa: E402


DEADLINE = time.monotonic() + 30


def bounded(s):
    """Give the socket what is left of the run's time (at least 50 ms)."""
    s.settimeout(max(0.05, DEADLINE - time.monotonic()))
    return s


def main(argv):
    path, n = argv[1][5:], int(argv[2])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    conns = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # A full listen queue refuses at once (EAGAIN): wait for room, as
        # an MTA would retry, within the run's time.
        while True:
            try:
                bounded(s).connect(path)
                conns.append(s)
                break
            except (BlockingIOError, socket.timeout):
                if time.monotonic() >= DEADLINE:
                    s.close()
                    break
                time.sleep(0.002)
            except OSError:
                s.close()
                break
    ok = []
    for s in conns:
        try:
            negotiate(bounded(s))
            ok.append(s)
        except Exception:
            pass
    print("negotiated %d of %d" % (len(ok), n))
    answered = 0
    for i, s in enumerate(ok):
        try:
            bounded(s)
            send(s, b"C", b"client.example\0" + b"4" + struct.pack(">H", 4000)
                 + b"192.0.2.1\0")
            send(s, b"M", b"<s@example.org>\0")
            send(s, b"R", b"<r%d@example.com>\0" % i)
            cmd, _ = read_packet(s)
            while cmd == b"p":
                cmd, _ = read_packet(s)
            if cmd in (b"c", b"y", b"r", b"t", b"a"):
                answered += 1
        except Exception:
            pass
    print("answered %d of %d" % (answered, n))
    for s in conns:
        s.close()
    return 0 if answered == n and len(ok) == n else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
