#!/usr/bin/python3
# tests/milter/suppress/su_probe.py - show the SMTP reply a milter sets at RCPT.
#
# miltertest reports only the reply type at RCPT (mt.getreply gives
# SMFIR_REPLYCODE); the text set with smfi_setreply ("550 5.1.1 ...") is not
# visible to Lua. This probe speaks the milter protocol (version 6) itself:
#
#   su_probe.py unix:/path/sock CLIENT_IP FROM [--auth USER] RCPT...
#
# It negotiates, sends CONNECT, MAIL (with {auth_authen} when --auth is
# given) and each RCPT, and prints the actions agreed and the macro lists
# asked for ("NEGOTIATED actions=0x100 macros=2:i {auth_authen}|3:i", stage
# numbers as in SMFIM_*), then one line per recipient:
#   RCPT <a@b.example> => 550 5.1.1 <a@b.example>: ...    (SMFIR_REPLYCODE)
#   RCPT <a@b.example> => continue | accept | reject | tempfail | discard
# Exit 0 when the conversation completed, 1 on protocol trouble.
# Every socket operation is bounded by a 5 s timeout.
import socket
import struct
import sys

SMFIP_NR = {"C": 0x1000, "H": 0x2000, "M": 0x4000, "R": 0x8000}
NAMES = {b"c": "continue", b"a": "accept", b"r": "reject", b"t": "tempfail",
         b"d": "discard"}


def send(s, cmd, data=b""):
    s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("milter closed the connection")
        buf += chunk
    return buf


def read_reply(s):
    while True:
        (n,) = struct.unpack(">I", recv_exact(s, 4))
        pkt = recv_exact(s, n)
        cmd, data = pkt[:1], pkt[1:]
        if cmd == b"p":  # progress: keep waiting
            continue
        if cmd == b"y":
            return data.rstrip(b"\0").decode("utf-8", "replace")
        return NAMES.get(cmd, "unknown(%r)" % cmd)


def main(argv):
    args = argv[1:]
    auth = None
    if "--auth" in args:
        i = args.index("--auth")
        auth = args[i + 1]
        del args[i:i + 2]
    if len(args) < 4 or not args[0].startswith("unix:"):
        sys.stderr.write("usage: su_probe.py unix:SOCK IP FROM [--auth U] RCPT...\n")
        return 2
    path, ip, sender, rcpts = args[0][5:], args[1], args[2], args[3:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    # Offer every action and every protocol step, as Postfix does.
    send(s, b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
    (n,) = struct.unpack(">I", recv_exact(s, 4))
    pkt = recv_exact(s, n)
    if pkt[:1] != b"O":
        raise RuntimeError("no option negotiation reply")
    _, act, prot = struct.unpack(">III", pkt[1:13])
    lists, rest = [], pkt[13:]
    while len(rest) >= 4 and b"\0" in rest[4:]:
        stage = struct.unpack(">I", rest[:4])[0]
        names, _, rest = rest[4:].partition(b"\0")
        lists.append("%d:%s" % (stage, names.decode()))
    print("NEGOTIATED actions=0x%x macros=%s" % (act, "|".join(lists) or "-"))

    def step(cmd, data):
        send(s, cmd, data)
        if prot & SMFIP_NR.get(cmd.decode(), 0):
            return "continue"
        return read_reply(s)

    r = step(b"C", b"client.example\0" + b"4" + struct.pack(">H", 4321)
             + ip.encode() + b"\0")
    print("CONNECT => " + r)
    macros = b"i\0SUPROBE\0"
    if auth is not None:
        macros += b"{auth_authen}\0" + auth.encode() + b"\0"
    send(s, b"D", b"M" + macros)
    r = step(b"M", sender.encode() + b"\0")
    print("MAIL " + sender + " => " + r)
    for rc in rcpts:
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
