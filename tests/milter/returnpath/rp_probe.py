#!/usr/bin/python3
# tests/milter/returnpath/rp_probe.py - one message through a milter as
# Postfix sends it, and the envelope sender change it asks for.
#
# miltertest (Debian 12) records SMFIR_CHGFROM at end of message but has
# no MT_CHGFROM check and no getter for it, so this probe speaks the milter
# protocol (version 6) itself, offering every action and protocol flag:
#
#   rp_probe.py unix:SOCK [--ip IP] [--from ADDR] [--auth USER] [--qid QID]
#               [--rcpt ADDR]...
#
# It prints:
#   NEGOTIATED actions=0x.. protocol=0x..
#   MAIL => continue           (replies: continue, accept, reject, tempfail,
#   RCPT <a@b> => continue      discard or "CODE X.Y.Z text")
#   CHGFROM <new@sender> [ARGS]  (each SMFIR_CHGFROM at end of message;
#                                 ARGS only when the milter sent some)
#   EOM => continue
# A message the milter answers other than continue at MAIL or at every
# RCPT gets no end of message ("EOM skipped"), as the MTA would send none.
# Exit 0 when the conversation completed, 1 on protocol trouble. Every
# socket operation is bounded by a 5 s timeout.
import argparse
import os
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from milterwire import (NAMES, connect_data, negotiate, read_packet,  # noqa: E402
                        run, send, step)


def read_reply(s, edits):
    """The final reply of a stage; CHGFROM requests are collected."""
    while True:
        cmd, data = read_packet(s)
        if cmd == b"p":
            continue
        if cmd == b"y":
            return data.rstrip(b"\0").decode("utf-8", "replace")
        if cmd == b"e":
            parts = [x.decode("utf-8", "backslashreplace")
                     for x in data.split(b"\0")[:-1]]
            edits.append(parts)
            continue
        if cmd in NAMES:
            return NAMES[cmd]
        raise RuntimeError("unexpected reply %r" % cmd)


def macro(s, stage, pairs):
    data = stage
    for k, v in pairs:
        if v is not None:
            data += k.encode() + b"\0" + v.encode() + b"\0"
    send(s, b"D", data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--ip", default="192.0.2.1")
    ap.add_argument("--from", dest="sender", default="<sender@example.org>")
    ap.add_argument("--auth")
    ap.add_argument("--qid", default="RPPROBE1")
    ap.add_argument("--rcpt", action="append", default=[])
    a = ap.parse_args()
    if not a.socket.startswith("unix:"):
        sys.stderr.write("rp_probe.py: unix: sockets only\n")
        return 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(a.socket[5:])
    act, prot, _ = negotiate(s)
    print("NEGOTIATED actions=0x%x protocol=0x%x" % (act, prot))
    edits = []

    def stage(cmd, data):
        return step(s, prot, cmd, data, lambda s: read_reply(s, edits))

    r = stage(b"C", connect_data(a.ip))
    if r != "continue":
        print("CONNECT => %s" % r)
        send(s, b"Q")
        return 0
    stage(b"H", b"client.example\0")
    macro(s, b"M", [("i", a.qid), ("{auth_authen}", a.auth)])
    r = stage(b"M", a.sender.encode() + b"\0")
    print("MAIL => %s" % r)
    if r != "continue":
        print("EOM skipped")
        send(s, b"Q")
        return 0
    passed = 0
    for rc in a.rcpt or ["<rcpt@example.com>"]:
        macro(s, b"R", [("i", a.qid)])
        r = stage(b"R", rc.encode() + b"\0")
        print("RCPT %s => %s" % (rc, r))
        passed += r == "continue"
    if passed == 0:
        print("EOM skipped")
        send(s, b"Q")
        return 0
    stage(b"T", b"")
    for name, value in (("From", " <%s>" % a.sender.strip("<>")),
                        ("Subject", " returnpath probe")):
        stage(b"L", name.encode() + b"\0" + value.encode() + b"\0")
    stage(b"N", b"")
    stage(b"B", b"hello\r\n")
    macro(s, b"E", [("i", a.qid)])
    send(s, b"E")
    r = read_reply(s, edits)
    for e in edits:
        print("CHGFROM " + " ".join(e))
    print("EOM => %s" % r)
    send(s, b"Q")
    return 0


run(main)
