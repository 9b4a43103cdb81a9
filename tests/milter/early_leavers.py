#!/usr/bin/python3
# tests/milter/early_leavers.py - MTAs that leave before their answer.
#
#   early_leavers.py unix:/path/sock N
#
# N times: connect, send OPTNEG, CONNECT, MAIL and RCPT in one write, and
# close without reading anything (the milter's answers find the
# connection gone). Prints "left N".
import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def main(argv):
    path, n = argv[1][5:], int(argv[2])
    burst = (pkt(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
             + pkt(b"C", b"client.example\0" + b"4" + struct.pack(">H", 4000)
                   + b"192.0.2.1\0")
             + pkt(b"M", b"<s@example.org>\0")
             + pkt(b"R", b"<r@example.com>\0"))
    left = 0
    deadline = time.monotonic() + 30
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        # A full listen queue refuses at once (EAGAIN): wait for room.
        while True:
            try:
                s.connect(path)
                s.sendall(burst)
                left += 1
                break
            except (BlockingIOError, socket.timeout):
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.002)
            except OSError:
                break
        s.close()
    print("left %d" % left)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
