#!/usr/bin/python3
# tests/milter/async_probe.py - one message through a milter, timed, for
# the slow-work test (test_async.sh).
#
#   async_probe.py unix:SOCK [--from ADDR] [--leave-after S] [--timeout S]
#                  [--count N] [--meanwhile SENDER]
#
# Speaks the MTA's side (milterwire.py): CONNECT, HELO, MAIL FROM, one
# RCPT, DATA, end of message, honouring the steps the milter negotiated
# away. Prints one line:
#   start=T0 end=T1 progress=N reply=R adds=Name:'value',...
# T0 (before CONNECT) and T1 (final end-of-message reply) are seconds on
# the system's monotonic clock, so the lines of several probes compare;
# N counts the SMFIR_PROGRESS packets before the reply; R is continue,
# accept, reject, tempfail, discard or "CODE X.Y.Z text". With
# --leave-after S it closes the connection S seconds after end of message
# and prints "left". --count N runs N messages, each on its own
# connection, one after the other, a line each. --meanwhile SENDER first
# sends a message from SENDER up to its end of message on one more
# connection, runs the N messages while it waits, then prints its line
# last, prefixed "meanwhile " (one process: no start-up delay between). Exit 0 when the
# conversations completed, 1 on trouble.
import argparse
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # the source tree may be read-only (distcheck)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from milterwire import (NAMES, connect_data, negotiate, read_packet,  # noqa: E402
                        run, send, step)


def final(s, out, count):
    while True:
        cmd, data = read_packet(s)
        if cmd == b"p":
            count[0] += 1
            continue
        if cmd == b"h":
            name, value = [x.decode() for x in data.split(b"\0")[:2]]
            out.append("%s:%r" % (name, value))
            continue
        if cmd == b"y":
            return data.rstrip(b"\0").decode("utf-8", "replace")
        if cmd in NAMES:
            return NAMES[cmd]
        raise RuntimeError("unexpected reply %r" % cmd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--from", dest="sender", default="<fast@example.org>")
    ap.add_argument("--leave-after", type=float)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--meanwhile")
    a = ap.parse_args()
    if a.meanwhile is None:
        for _ in range(a.count):
            one(a)
        return 0
    sent, line = threading.Event(), []
    slow = argparse.Namespace(**vars(a))
    slow.sender = a.meanwhile
    th = threading.Thread(target=lambda: line.append(one(slow, sent, False)))
    th.start()
    if not sent.wait(a.timeout):
        raise RuntimeError("the waiting message did not reach its end")
    for _ in range(a.count):
        one(a)
    th.join()
    print("meanwhile " + (line[0] if line and line[0] else "PROBE ERROR"))
    return 0


def one(a, sent=None, show=True):
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    s.connect(a.socket[5:])
    _act, prot, _lists = negotiate(s)
    out, progress = [], [0]

    def stage(cmd, data):
        return step(s, prot, cmd, data, lambda s: final(s, out, progress),
                    "continue")

    r = stage(b"C", connect_data("192.0.2.1"))
    if r == "continue":
        stage(b"H", b"client.example\0")
        r = stage(b"M", a.sender.encode() + b"\0")
    if r == "continue":
        r = stage(b"R", b"<rcpt@example.com>\0")
    if r == "continue":
        stage(b"T", b"")
        send(s, b"E")
        if sent is not None:
            sent.set()
        if a.leave_after is not None:
            time.sleep(a.leave_after)
            s.close()
            print("left")
            return None
        r = final(s, out, progress)
    t1 = time.monotonic()
    text = "start=%.3f end=%.3f progress=%d reply=%s adds=%s" \
        % (t0, t1, progress[0], r, ",".join(out))
    if show:
        print(text, flush=True)
    try:
        send(s, b"Q")
    except OSError:
        pass  # a milter that was stopping has closed already
    s.close()
    return text


if __name__ == "__main__":
    run(main)
