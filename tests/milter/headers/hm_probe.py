#!/usr/bin/python3
# tests/milter/headers/hm_probe.py - show exactly what milterkit-headers asks
# of the MTA for one message.
#
# miltertest shows neither the text of a reply set at end of message nor the
# index of a deleted header, nor a value's leading blank. This probe speaks
# the milter protocol (version 6) as Postfix does: it offers every action and
# protocol flag, SMFIP_HDR_LEADSPC included, and sends header values as
# written (the text after the colon, leading blank kept, folded lines joined
# with "\n" as Postfix sends them).
#
#   hm_probe.py unix:SOCK [--ip IP] [--from ADDR] [--mail-arg ARG]...
#               [--auth USER] [--qid QID] [--rcpt ADDR]... HEADERFILE
#
# HEADERFILE ("-" for stdin) holds a header block, one field per line,
# continuation lines starting with a blank. It prints:
#   NEGOTIATED actions=0x.. protocol=0x.. macros=STAGE:names|... (or -)
#   MAIL => continue            (each stage's reply: continue, accept,
#   RCPT <a@b> => continue       reject, tempfail, discard or "CODE X.Y.Z text")
#   HEADER Name => ...          (only when the reply is not continue)
#   ADD Name:'value'            (modifications at end of message, in order;
#   INSERT 0 Name:'value'        values as Python repr, leading blank kept)
#   CHANGE 1 Name:'value'
#   DELETE 2 Name
#   EOM => continue
# Exit 0 when the conversation completed, 1 on protocol trouble. Every socket
# operation is bounded by a 5 s timeout.
import argparse
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True  # the source tree may be read-only (distcheck)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from milterwire import NAMES, negotiate, read_packet, run, send  # noqa: E402

NR = {b"C": 0x1000, b"H": 0x2000, b"M": 0x4000, b"R": 0x8000, b"T": 0x10000,
      b"L": 0x80, b"N": 0x40000, b"B": 0x80000}
NO = {b"H": 0x2, b"L": 0x20, b"N": 0x40, b"B": 0x10, b"T": 0x200, b"R": 0x8}


def strings(data):
    return [x.decode("utf-8", "backslashreplace") for x in data.split(b"\0")[:-1]]


def read_reply(s, out):
    """The final reply of a stage; modifications are printed on the way."""
    while True:
        cmd, data = read_packet(s)
        if cmd == b"p":
            continue
        if cmd == b"y":
            return data.rstrip(b"\0").decode("utf-8", "replace")
        if cmd == b"h":
            name, value = strings(data)[:2]
            out.append("ADD %s:%r" % (name, value))
            continue
        if cmd in (b"i", b"m"):
            (idx,) = struct.unpack(">I", data[:4])
            ss = strings(data[4:])
            name, value = ss[0], ss[1] if len(ss) > 1 else ""
            if cmd == b"i":
                out.append("INSERT %d %s:%r" % (idx, name, value))
            elif value == "":
                out.append("DELETE %d %s" % (idx, name))
            else:
                out.append("CHANGE %d %s:%r" % (idx, name, value))
            continue
        if cmd in NAMES:
            return NAMES[cmd]
        raise RuntimeError("unexpected reply %r" % cmd)


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


STAGES = {0: "CONNECT", 1: "HELO", 2: "MAIL", 3: "RCPT", 4: "DATA", 5: "EOM",
          6: "EOH"}


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
    ap.add_argument("--mail-arg", action="append", default=[])
    ap.add_argument("--auth")
    ap.add_argument("--qid", default="HMPROBE1")
    ap.add_argument("--rcpt", action="append", default=[])
    a = ap.parse_args()
    if not a.socket.startswith("unix:"):
        sys.stderr.write("hm_probe.py: unix: sockets only\n")
        return 2
    text = sys.stdin.read() if a.headers == "-" else open(a.headers, encoding="utf-8",
                                                           errors="surrogateescape").read()
    fields = header_fields(text)
    rcpts = a.rcpt or ["<rcpt@example.com>"]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(a.socket[5:])
    act, prot, macro_lists = negotiate(s)
    lists = ["%s:%s" % (STAGES.get(st, st), names) for st, names in macro_lists]
    print("NEGOTIATED actions=0x%x protocol=0x%x macros=%s"
          % (act, prot, "|".join(lists) or "-"))
    out = []

    def step(cmd, data, label):
        if prot & NO.get(cmd, 0):
            return "skipped"
        send(s, cmd, data)
        if prot & NR.get(cmd, 0):
            return "continue"
        r = read_reply(s, out)
        return r

    macro(s, b"C", [("j", "mx.example.net"), ("{daemon_name}", "probe")])
    r = step(b"C", b"client.example\0" + b"4" + struct.pack(">H", 4321)
             + a.ip.encode() + b"\0", "CONNECT")
    print("CONNECT => %s" % r)
    if r != "continue":
        return 0
    step(b"H", b"client.example\0", "HELO")
    macro(s, b"M", [("i", a.qid), ("{auth_authen}", a.auth)])
    r = step(b"M", b"".join(x.encode() + b"\0" for x in [a.sender] + a.mail_arg), "MAIL")
    print("MAIL => %s" % r)
    if r != "continue":
        send(s, b"Q")
        return 0
    for rc in rcpts:
        r = step(b"R", rc.encode() + b"\0", "RCPT")
        print("RCPT %s => %s" % (rc, r))
    r = step(b"T", b"", "DATA")
    for name, value in fields:
        data = name.encode("utf-8", "surrogateescape") + b"\0" + \
            value.encode("utf-8", "surrogateescape") + b"\0"
        r = step(b"L", data, "HEADER")
        if r not in ("continue", "skipped"):
            print("HEADER %s => %s" % (name, r))
            send(s, b"Q")
            return 0
    step(b"N", b"", "EOH")
    step(b"B", b"hello\r\n", "BODY")
    macro(s, b"E", [("i", a.qid)])
    send(s, b"E")
    r = read_reply(s, out)
    for line in out:
        print(line)
    print("EOM => %s" % r)
    send(s, b"Q")
    return 0


if __name__ == "__main__":
    run(main)
