#!/usr/bin/python3
# tests/milter/chain/ch_probe.py - one message through a chain, as Postfix
# sends it, and the header block the MTA ends up with.
#
# Speaks the milter protocol (version 6) offering every action and protocol
# flag (SMFIP_HDR_LEADSPC included: values are sent as written, the text
# after the colon with its leading blank, folded lines joined with "\n"),
# then applies the edits received at end of message to the block it sent,
# with the protocol's rules: ADDHEADER appends; INSHEADER puts the field at
# that 0-based position among the fields as they are now (past the end:
# appended); CHGHEADER sets the value of the index-th (from 1) field of that
# name as they are now, an empty value deletes it, a change of an occurrence
# that does not exist appends the field, a deletion of one does nothing.
#
#   ch_probe.py unix:SOCK [--ip IP] [--from ADDR] [--auth USER] [--qid QID]
#               [--rcpt ADDR]... HEADERFILE
#
# HEADERFILE ("-": stdin) holds one field per line, continuation lines
# starting with a blank. Prints:
#   NEGOTIATED actions=0x.. protocol=0x.. macros=STAGE:names|...
#   MAIL => continue           (replies: continue, accept, reject, tempfail,
#   RCPT <a@b> => continue      discard or "CODE X.Y.Z text")
#   ADD Name:'value' / INSERT 0 Name:'value' / CHANGE 1 Name:'value' /
#   DELETE 2 Name               (edits at end of message, in order)
#   EOM => continue
#   FINAL Name:value           (the block after the edits, one line per
#                               field, escaped as testchain's record log
#                               escapes: \\ \r \n \t, \xHH)
# Exit 0 when the conversation completed, 1 on protocol trouble. Every
# socket operation is bounded by a 5 s timeout.
import argparse
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from milterwire import (NAMES, connect_data, negotiate, read_packet,  # noqa: E402
                        run, send, step)
STAGES = {0: "CONNECT", 1: "HELO", 2: "MAIL", 3: "RCPT", 4: "DATA", 5: "EOM",
          6: "EOH"}


def strings(data):
    return [x.decode("utf-8", "backslashreplace") for x in data.split(b"\0")[:-1]]


def escape(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7f:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


def read_reply(s, edits):
    """The final reply of a stage; edits are collected on the way."""
    while True:
        cmd, data = read_packet(s)
        if cmd == b"p":
            continue
        if cmd == b"y":
            return data.rstrip(b"\0").decode("utf-8", "replace")
        if cmd == b"h":
            name, value = strings(data)[:2]
            edits.append(("add", 0, name, value))
            continue
        if cmd in (b"i", b"m"):
            (idx,) = struct.unpack(">I", data[:4])
            ss = strings(data[4:])
            name, value = ss[0], ss[1] if len(ss) > 1 else ""
            edits.append(("ins" if cmd == b"i" else "chg", idx, name, value))
            continue
        if cmd in NAMES:
            return NAMES[cmd]
        raise RuntimeError("unexpected reply %r" % cmd)


def apply_edits(fields, edits):
    """The block after the edits, with the protocol's rules."""
    block = [list(f) for f in fields]
    for op, idx, name, value in edits:
        if op == "add":
            block.append([name, value])
        elif op == "ins":
            block.insert(min(idx, len(block)), [name, value])
        else:
            hits = [i for i, f in enumerate(block) if f[0].lower() == name.lower()]
            if idx >= 1 and idx <= len(hits):
                if value == "":
                    del block[hits[idx - 1]]
                else:
                    block[hits[idx - 1]][1] = value
            elif value != "":
                block.append([name, value])
    return block


def header_fields(text):
    fields = []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line == "":
            continue
        if line[0] in " \t" and fields:
            fields[-1][1] += "\n" + line
        else:
            name, _, value = line.partition(":")
            fields.append([name, value])
    return fields


def macro(s, stage, pairs):
    data = stage
    for k, v in pairs:
        if v is not None:
            data += k.encode() + b"\0" + v.encode() + b"\0"
    send(s, b"D", data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("headers")
    ap.add_argument("--ip", default="192.0.2.1")
    ap.add_argument("--from", dest="sender", default="<sender@example.org>")
    ap.add_argument("--auth")
    ap.add_argument("--qid", default="CHPROBE1")
    ap.add_argument("--rcpt", action="append", default=[])
    a = ap.parse_args()
    if not a.socket.startswith("unix:"):
        sys.stderr.write("ch_probe.py: unix: sockets only\n")
        return 2
    text = sys.stdin.read() if a.headers == "-" else open(a.headers, encoding="utf-8").read()
    fields = header_fields(text)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(a.socket[5:])
    act, prot, lists = negotiate(s)
    print("NEGOTIATED actions=0x%x protocol=0x%x macros=%s" % (act, prot, "|".join(
        "%s:%s" % (STAGES.get(st, st), names) for st, names in lists) or "-"))
    edits = []

    def stage(cmd, data):
        return step(s, prot, cmd, data, lambda s: read_reply(s, edits))

    macro(s, b"C", [("j", "mx.example.net")])
    r = stage(b"C", connect_data(a.ip))
    print("CONNECT => %s" % r)
    if r != "continue":
        return 0
    stage(b"H", b"client.example\0")
    macro(s, b"M", [("i", a.qid), ("{auth_authen}", a.auth)])
    r = stage(b"M", a.sender.encode() + b"\0")
    print("MAIL => %s" % r)
    if r != "continue":
        send(s, b"Q")
        return 0
    for rc in a.rcpt or ["<rcpt@example.com>"]:
        macro(s, b"R", [("i", a.qid)])
        print("RCPT %s => %s" % (rc, stage(b"R", rc.encode() + b"\0")))
    stage(b"T", b"")
    for name, value in fields:
        r = stage(b"L", name.encode() + b"\0" + value.encode() + b"\0")
        if r not in ("continue", "skipped"):
            print("HEADER %s => %s" % (name, r))
            send(s, b"Q")
            return 0
    stage(b"N", b"")
    stage(b"B", b"hello\r\n")
    macro(s, b"E", [("i", a.qid)])
    send(s, b"E")
    r = read_reply(s, edits)
    for op, idx, name, value in edits:
        if op == "add":
            print("ADD %s:%r" % (name, value))
        elif op == "ins":
            print("INSERT %d %s:%r" % (idx, name, value))
        elif value == "":
            print("DELETE %d %s" % (idx, name))
        else:
            print("CHANGE %d %s:%r" % (idx, name, value))
    print("EOM => %s" % r)
    send(s, b"Q")
    if r == "continue":
        for name, value in apply_edits(fields, edits):
            print("FINAL %s:%s" % (escape(name), escape(value)))
    return 0


if __name__ == "__main__":
    run(main)
