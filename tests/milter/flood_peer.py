#!/usr/bin/python3
# tests/milter/flood_peer.py - an MTA that sends and never reads.
#
#   flood_peer.py unix:/path/sock SECONDS
#
# Negotiates, then sends RCPT after RCPT for SECONDS (or until its writes
# stay blocked for 2 s: the milter stopped reading it) without ever reading
# an answer, and prints "sent N rcpts, blocked yes|no". A milter that kept
# decoding would pile its answers up in memory without bound.
import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from milterwire import negotiate, send  # noqa: E402


def main(argv):
    path, secs = argv[1][5:], float(argv[2])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    negotiate(s)
    send(s, b"C", b"client.example\0" + b"4" + struct.pack(">H", 4000)
         + b"192.0.2.1\0")
    send(s, b"M", b"<s@example.org>\0")
    pkt = b"<r@example.com>\0"
    pkt = struct.pack(">I", len(pkt) + 1) + b"R" + pkt
    burst = pkt * 512
    s.settimeout(2)
    end = time.monotonic() + secs
    sent, blocked = 0, False
    while time.monotonic() < end:
        try:
            s.sendall(burst)
            sent += 512
        except socket.timeout:
            blocked = True
            break
        except OSError:
            break
    print("sent %d rcpts, blocked %s" % (sent, "yes" if blocked else "no"))
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
