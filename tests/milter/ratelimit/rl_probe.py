#!/usr/bin/python3
# tests/milter/ratelimit/rl_probe.py - messages on one milter connection
# as Postfix or Sendmail send them, aborts included, and the replies.
#
#   rl_probe.py unix:SOCK [--ip IP] [--auth USER] MSG...
#
# MSG is QID:FROM:RCPT[,RCPT...][:abort]; with abort the MTA aborts the
# message after its recipients (SMFIC_ABORT, as after a failed DATA or a
# RSET), else it sends the message and its end. It prints, per message:
#   MSG QID
#   MAIL => continue             (replies: continue, accept, reject,
#   RCPT <a@b> => continue        tempfail, discard or "CODE X.Y.Z text")
#   EOM => continue | ABORT | EOM skipped
# A message refused at every recipient gets no end of message ("EOM
# skipped"), as the MTA would send none. Exit 0 when the conversation
# completed, 1 on protocol trouble. Every socket operation is bounded by
# a 5 s timeout.
import argparse
import os
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from milterwire import (NAMES, connect_data, negotiate, read_packet,  # noqa: E402
                        run, send, step)


def read_reply(s):
    while True:
        cmd, data = read_packet(s)
        if cmd == b"p":
            continue
        if cmd == b"y":
            return data.rstrip(b"\0").decode("utf-8", "replace")
        if cmd in NAMES:
            return NAMES[cmd]
        raise RuntimeError("unexpected reply %r" % cmd)


def macro(s, stage, pairs):
    data = stage
    for k, v in pairs:
        if v is not None:
            data += k.encode() + b"\0" + v.encode() + b"\0"
    send(s, b"D", data)


def message(s, prot, spec, auth):
    parts = spec.split(":")
    qid, sender, rcpts = parts[0], parts[1], parts[2].split(",")
    abort = len(parts) > 3 and parts[3] == "abort"

    def stage(cmd, data):
        return step(s, prot, cmd, data, read_reply)

    print("MSG %s" % qid)
    macro(s, b"M", [("i", qid), ("{auth_authen}", auth)])
    r = stage(b"M", sender.encode() + b"\0")
    print("MAIL => %s" % r)
    if r != "continue":
        print("EOM skipped")
        return
    passed = 0
    for rc in rcpts:
        macro(s, b"R", [("i", qid)])
        r = stage(b"R", rc.encode() + b"\0")
        print("RCPT %s => %s" % (rc, r))
        passed += r == "continue"
    if abort:
        send(s, b"A")
        print("ABORT")
        return
    if passed == 0:
        print("EOM skipped")
        send(s, b"A")
        return
    stage(b"T", b"")
    stage(b"L", b"Subject\0 ratelimit probe\0")
    stage(b"N", b"")
    stage(b"B", b"hello\r\n")
    macro(s, b"E", [("i", qid)])
    send(s, b"E")
    print("EOM => %s" % read_reply(s))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--ip", default="192.0.2.1")
    ap.add_argument("--auth")
    ap.add_argument("msgs", nargs="+")
    a = ap.parse_args()
    if not a.socket.startswith("unix:"):
        sys.stderr.write("rl_probe.py: unix: sockets only\n")
        return 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(a.socket[5:])
    act, prot, _ = negotiate(s)
    print("NEGOTIATED actions=0x%x protocol=0x%x" % (act, prot))
    r = step(s, prot, b"C", connect_data(a.ip), read_reply)
    if r != "continue":
        print("CONNECT => %s" % r)
        send(s, b"Q")
        return 0
    step(s, prot, b"H", b"client.example\0", read_reply)
    for m in a.msgs:
        message(s, prot, m, a.auth)
    send(s, b"Q")
    return 0


run(main)
