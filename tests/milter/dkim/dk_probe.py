#!/usr/bin/python3
# tests/milter/dkim/dk_probe.py - one message through milterkit-dkim (or a
# chain ending with dkim), as Postfix sends it, and the message the MTA
# ends up with, written out for a DKIM verifier.
#
# Speaks the milter protocol (version 6) offering every action and protocol
# flag (SMFIP_HDR_LEADSPC included: values are sent as written, folded
# lines joined with "\n"); the body goes with CRLF line ends in chunks of
# --chunk octets. The edits received at end of message are applied to the
# block sent with the protocol's rules (ADDHEADER appends; INSHEADER puts
# the field at that 0-based position, past the end appended; CHGHEADER
# sets the index-th field of that name, an empty value deletes it).
#
#   dk_probe.py unix:SOCK MESSAGE [--out FILE] [--keys FILE] [--qid QID]
#               [--auth USER] [--chunk N] [--ip IP] [--helo NAME]
#               [--sender ADDR]
#   dk_probe.py --verify-only MESSAGE --keys FILE
#
# MESSAGE ("-": stdin): header fields (continuation lines start with a
# blank), an empty line, the body. Prints the edits at end of message
# (INSERT 0 Name:'value', ADD Name:'value', CHANGE 1 Name:'value',
# DELETE 1 Name, QUARANTINE 'reason'), then "EOM => continue" (or tempfail, reject, accept, or
# "CODE X.Y.Z text" for a reply). With --out and a "continue" the final
# message (CRLF) is written to FILE. With --keys (lines "SEL._domainkey.DOM
# TXT-RECORD", served to dkimpy as DNS) each DKIM-Signature of the final
# message is verified with dkimpy, top down: "VERIFY pass d=D s=S" or
# "VERIFY fail d=D s=S WHY" ("VERIFY none" when there is none);
# --verify-only does that alone for a message file (line ends made CRLF,
# as on the wire). Exit 0 when the conversation
# completed, 1 on protocol trouble. Every socket operation is bounded by a
# 5 s timeout.
import argparse
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from milterwire import (NAMES, connect_data, negotiate, read_packet,  # noqa: E402
                        run, send, step)


def strings(data):
    return [x.decode("utf-8", "surrogateescape") for x in data.split(b"\0")[:-1]]


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
        if cmd == b"q":
            edits.append(("quarantine", 0, "", data.rstrip(b"\0").decode(
                "utf-8", "replace")))
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
    block = [list(f) for f in fields]
    for op, idx, name, value in edits:
        if op == "quarantine":
            continue
        if op == "add":
            block.append([name, value])
        elif op == "ins":
            block.insert(min(idx, len(block)), [name, value])
        else:
            hits = [i for i, f in enumerate(block) if f[0].lower() == name.lower()]
            if 1 <= idx <= len(hits):
                if value == "":
                    del block[hits[idx - 1]]
                else:
                    block[hits[idx - 1]][1] = value
            elif value != "":
                block.append([name, value])
    return block


def split_message(raw):
    text = raw.replace(b"\r\n", b"\n").decode("utf-8", "surrogateescape")
    head, sep, body = text.partition("\n\n")
    if not sep and head.endswith("\n"):
        head = head[:-1]
    fields = []
    for line in head.split("\n"):
        if line == "":
            continue
        if line[0] in " \t" and fields:
            fields[-1][1] += "\n" + line
        else:
            name, _, value = line.partition(":")
            fields.append([name, value])
    return fields, body.encode("utf-8", "surrogateescape").replace(b"\n", b"\r\n")


def macro(s, stage, pairs):
    data = stage
    for k, v in pairs:
        if v is not None:
            data += k.encode() + b"\0" + v.encode() + b"\0"
    send(s, b"D", data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket", nargs="?")
    ap.add_argument("message")
    ap.add_argument("--verify-only", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--keys")
    ap.add_argument("--qid", default="DKPROBE1")
    ap.add_argument("--auth")
    ap.add_argument("--chunk", type=int, default=700)
    ap.add_argument("--ip", default="192.0.2.1")
    ap.add_argument("--helo", default="client.example")
    ap.add_argument("--sender", default="sender@example.org")
    a = ap.parse_args()
    if a.verify_only:
        with open(a.message, "rb") as f:
            verify(f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), a.keys)
        return 0
    if a.socket is None or not a.socket.startswith("unix:"):
        sys.stderr.write("dk_probe.py: unix: sockets only\n")
        return 2
    if a.message == "-":
        raw = sys.stdin.buffer.read()
    else:
        with open(a.message, "rb") as f:
            raw = f.read()
    fields, body = split_message(raw)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(a.socket[5:])
    act, prot, lists = negotiate(s)
    print("NEGOTIATED actions=0x%x protocol=0x%x" % (act, prot))
    edits = []

    def stage(cmd, data):
        return step(s, prot, cmd, data, lambda s: read_reply(s, edits))

    macro(s, b"C", [("j", "mx.example.net")])
    r = stage(b"C", connect_data(a.ip))
    if r != "continue":
        print("CONNECT => %s" % r)
        return 0
    stage(b"H", a.helo.encode() + b"\0")
    macro(s, b"M", [("i", a.qid), ("{auth_authen}", a.auth)])
    r = stage(b"M", b"<" + a.sender.encode() + b">\0")
    if r != "continue":
        print("MAIL => %s" % r)
        send(s, b"Q")
        return 0
    macro(s, b"R", [("i", a.qid)])
    stage(b"R", b"<rcpt@example.com>\0")
    stage(b"T", b"")
    for name, value in fields:
        enc = name.encode("utf-8", "surrogateescape") + b"\0" + \
            value.encode("utf-8", "surrogateescape") + b"\0"
        r = stage(b"L", enc)
        if r not in ("continue", "skipped"):
            print("HEADER %s => %s" % (name, r))
            send(s, b"Q")
            return 0
    stage(b"N", b"")
    for i in range(0, len(body), a.chunk):
        r = stage(b"B", body[i:i + a.chunk])
        if r not in ("continue", "skipped"):
            print("BODY => %s" % r)
            send(s, b"Q")
            return 0
    macro(s, b"E", [("i", a.qid)])
    send(s, b"E")
    r = read_reply(s, edits)
    for op, idx, name, value in edits:
        if op == "quarantine":
            print("QUARANTINE %r" % value)
        elif op == "add":
            print("ADD %s:%r" % (name, value))
        elif op == "ins":
            print("INSERT %d %s:%r" % (idx, name, value))
        elif value == "":
            print("DELETE %d %s" % (idx, name))
        else:
            print("CHANGE %d %s:%r" % (idx, name, value))
    print("EOM => %s" % r)
    send(s, b"Q")
    if r != "continue":
        return 0
    out = b"".join((n + ":" + v.replace("\r\n", "\n").replace("\n", "\r\n") +
                    "\r\n").encode("utf-8", "surrogateescape")
                   for n, v in apply_edits(fields, edits)) + b"\r\n" + body
    if a.out:
        with open(a.out, "wb") as f:
            f.write(out)
    if a.keys:
        verify(out, a.keys)
    return 0


def verify(msg, keyfile):
    """Each signature of msg checked by dkimpy, keys from keyfile."""
    import re
    import dkim
    keys = {}
    with open(keyfile, "rb") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(b"#"):
                name, rec = line.split(None, 1)
                keys[name.lower().rstrip(b".")] = rec

    def dnsfunc(name, timeout=5):
        return keys.get(name.lower().rstrip(b"."))

    n = len([1 for k, _ in dkim.DKIM(msg).headers if k.lower() == b"dkim-signature"])
    if n == 0:
        print("VERIFY none")
    for i in range(n):
        v = dkim.DKIM(msg)
        who = "?"
        try:
            ok = v.verify(idx=i, dnsfunc=dnsfunc)
            who = "d=%s s=%s" % (v.domain.decode(), v.selector.decode())
            why = "" if ok else " signature mismatch"
        except dkim.DKIMException as e:
            ok, why = False, " " + re.sub(r"\s+", " ", str(e))
        print("VERIFY %s %s%s" % ("pass" if ok else "fail", who, why))


if __name__ == "__main__":
    run(main)
