#!/usr/bin/python3
# tests/milter/suppress/su_probe.py - show the SMTP reply a milter sets at RCPT.
#
# miltertest reports only the reply type at RCPT (mt.getreply gives
# SMFIR_REPLYCODE); the text set with smfi_setreply ("550 5.1.1 ...") is not
# visible to Lua. This probe speaks the milter protocol (version 6) itself:
#
#   su_probe.py unix:/path/sock CLIENT_IP FROM [--auth USER] [--port N]
#               RCPT... [--abort] [--mail FROM RCPT...]...
#
# The CONNECT comes from port 4321, or N (Postfix's cleanup sends port 0
# for mail submitted with sendmail(1)).
#
# It negotiates, sends CONNECT, MAIL (with {auth_authen} when --auth is
# given) and each RCPT; "--mail FROM" ends the message in progress with
# end of message ("EOM => ..."; no DATA, headers or body: the milters
# these probes talk to negotiate them away) and starts another one on the
# same connection, "--abort" aborts the message in progress (the next
# "--mail" then starts one without an end of message). It prints the
# actions agreed and the macro lists
# asked for ("NEGOTIATED actions=0x100 macros=2:i {auth_authen}|3:i", stage
# numbers as in SMFIM_*), then one line per recipient:
#   RCPT <a@b.example> => 550 5.1.1 <a@b.example>: ...    (SMFIR_REPLYCODE)
#   RCPT <a@b.example> => continue | accept | reject | tempfail | discard
#   ABORT, EOM => ..., MAIL FROM => ... for the steps asked for
# Exit 0 when the conversation completed, 1 on protocol trouble.
# Every socket operation is bounded by a 5 s timeout.
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True  # the source tree may be read-only (distcheck)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from milterwire import NAMES, negotiate, read_packet, send  # noqa: E402

SMFIP_NR = {"C": 0x1000, "H": 0x2000, "M": 0x4000, "R": 0x8000}


def read_reply(s):
    while True:
        cmd, data = read_packet(s)
        if cmd == b"p":  # progress: keep waiting
            continue
        if cmd in b"hime+-2bq":  # a modification at end of message
            continue
        if cmd == b"y":
            return data.rstrip(b"\0").decode("utf-8", "replace")
        return NAMES.get(cmd, "unknown(%r)" % cmd)


def main(argv):
    args = argv[1:]
    auth = None
    port = 4321
    if "--port" in args:
        i = args.index("--port")
        port = int(args[i + 1])
        del args[i:i + 2]
    if "--auth" in args:
        i = args.index("--auth")
        auth = args[i + 1]
        del args[i:i + 2]
    if len(args) < 4 or not args[0].startswith("unix:"):
        sys.stderr.write("usage: su_probe.py unix:SOCK IP FROM [--auth U] RCPT..."
                         " [--abort] [--mail FROM RCPT...]...\n")
        return 2
    path, ip, sender, rcpts = args[0][5:], args[1], args[2], args[3:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    act, prot, macro_lists = negotiate(s)
    lists = ["%d:%s" % sl for sl in macro_lists]
    print("NEGOTIATED actions=0x%x macros=%s" % (act, "|".join(lists) or "-"))

    def step(cmd, data):
        send(s, cmd, data)
        if prot & SMFIP_NR.get(cmd.decode(), 0):
            return "continue"
        return read_reply(s)

    r = step(b"C", b"client.example\0" + b"4" + struct.pack(">H", port)
             + ip.encode() + b"\0")
    print("CONNECT => " + r)
    macros = b"i\0SUPROBE\0"
    if auth is not None:
        macros += b"{auth_authen}\0" + auth.encode() + b"\0"

    def mail(addr):
        send(s, b"D", b"M" + macros)
        print("MAIL " + addr + " => " + step(b"M", addr.encode() + b"\0"))

    mail(sender)
    in_msg = True
    i = 0
    while i < len(rcpts):
        rc = rcpts[i]
        i += 1
        if rc == "--abort":
            send(s, b"A")
            print("ABORT")
            in_msg = False
        elif rc == "--mail" and i < len(rcpts):
            if in_msg:
                send(s, b"E")
                print("EOM => " + read_reply(s))
            mail(rcpts[i])
            i += 1
            in_msg = True
        else:
            r = step(b"R", rc.encode() + b"\0")
            print("RCPT " + rc + " => " + r)
    send(s, b"Q")
    s.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # report, never hang
        print("probe error: %s" % e)
        sys.exit(1)
