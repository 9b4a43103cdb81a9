#!/usr/bin/python3
"""pdclient.py - a Postfix policy protocol client for the tests of
milterkit-policyd (tests/policyd/test_policyd_proto.sh). Standard library only.

    pdclient.py SOCKET MODE [ARG...]

SOCKET is unix:/path or inet:PORT@HOST. Requests are given as name=value
words; in a value, %d is replaced by the request's number (0, 1, ...).
Modes, each printing one line per reply ("action=..." without the empty line)
or one line of result:

    req ATTR...              one request
    seq N ATTR...            N requests one after the other on one connection
    pipe N ATTR... [-- ATTR...]  requests written at once, all in ONE send();
                             with "--", the groups alternate (N requests in all)
    bytes ATTR...            one request sent one byte per send()
    many N ATTR...           N connections at once, one request each; prints
                             "answered=K of N" (K with a well-formed reply)
    raw TEXT                 send TEXT (Python escapes, e.g. \\x00 \\n) and
                             print "closed without reply" or the reply
    half ATTR...             send a request without its end, then disconnect
    idle SECONDS             connect, send nothing; print "closed after ~S s"
                             when the server closes it, else "still open"

Every wait is bounded (10 s per operation). Exit status 0 when the mode ran,
1 on a timeout or an unexpected reply, 2 on usage errors.
"""
import os
import resource
import selectors
import socket
import sys
import time

TIMEOUT = 10.0


def connect(spec):
    if spec.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(spec[5:])
    elif spec.startswith("inet:"):
        port, host = spec[5:].split("@", 1)
        s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    else:
        raise SystemExit("bad socket: " + spec)
    return s


def request(attrs, i=0):
    return "".join(a.replace("%d", str(i)) + "\n" for a in attrs).encode() + b"\n"


def read_replies(s, n):
    """Read n replies; returns their action lines (fewer on close)."""
    buf = b""
    out = []
    deadline = time.monotonic() + TIMEOUT
    while len(out) < n:
        while b"\n\n" in buf and len(out) < n:
            rep, buf = buf.split(b"\n\n", 1)
            out.append(rep.decode("utf-8", "replace"))
        if len(out) >= n:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit("timeout waiting for replies (%d of %d)" % (len(out), n))
        s.settimeout(left)
        data = s.recv(65536)
        if not data:
            break
        buf += data
    return out


def mode_seq(spec, n, attrs):
    s = connect(spec)
    for i in range(n):
        s.sendall(request(attrs, i))
        for r in read_replies(s, 1):
            print(r)
    s.close()


def mode_pipe(spec, n, args):
    groups = [[]]
    for a in args:
        if a == "--":
            groups.append([])
        else:
            groups[-1].append(a)
    data = b"".join(request(groups[i % len(groups)], i) for i in range(n))
    s = connect(spec)
    s.sendall(data)
    for r in read_replies(s, n):
        print(r)
    s.close()


def mode_bytes(spec, attrs):
    s = connect(spec)
    for b in request(attrs):
        s.sendall(bytes([b]))
        time.sleep(0.002)
    for r in read_replies(s, 1):
        print(r)
    s.close()


def mode_many(spec, n, attrs):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n + 64))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    socks = []
    for i in range(n):
        s = connect(spec)
        s.setblocking(False)
        socks.append(s)
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        s.send(request(attrs, i))     # small: fits any socket buffer
        sel.register(s, selectors.EVENT_READ, [b""])
    answered = 0
    deadline = time.monotonic() + 3 * TIMEOUT
    pending = n
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1.0):
            data = key.fileobj.recv(4096)
            key.data[0] += data
            if not data or b"\n\n" in key.data[0]:
                if key.data[0].startswith(b"action=") and key.data[0].endswith(b"\n\n"):
                    answered += 1
                sel.unregister(key.fileobj)
                pending -= 1
    for s in socks:
        s.close()
    print("answered=%d of %d" % (answered, n))


def mode_raw(spec, text):
    s = connect(spec)
    s.sendall(text.encode("latin-1").decode("unicode_escape").encode("latin-1"))
    try:
        rep = read_replies(s, 1)
    except (ConnectionResetError, BrokenPipeError):
        rep = []
    print(rep[0] if rep else "closed without reply")
    s.close()


def mode_half(spec, attrs):
    s = connect(spec)
    s.sendall(request(attrs)[:-2])
    s.close()
    print("left")


def mode_idle(spec, secs):
    s = connect(spec)
    t0 = time.monotonic()
    s.settimeout(secs)
    try:
        data = s.recv(1)
        print("closed after ~%d s" % round(time.monotonic() - t0) if not data
              else "got data")
    except socket.timeout:
        print("still open")
    s.close()


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    spec, mode, args = argv[1], argv[2], argv[3:]
    if mode == "req":
        mode_seq(spec, 1, args)
    elif mode == "seq":
        mode_seq(spec, int(args[0]), args[1:])
    elif mode == "pipe":
        mode_pipe(spec, int(args[0]), args[1:])
    elif mode == "bytes":
        mode_bytes(spec, args)
    elif mode == "many":
        mode_many(spec, int(args[0]), args[1:])
    elif mode == "raw":
        mode_raw(spec, args[0])
    elif mode == "half":
        mode_half(spec, args)
    elif mode == "idle":
        mode_idle(spec, float(args[0]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
