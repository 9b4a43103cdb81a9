#!/usr/bin/python3
"""tests/e2e/policy_recorder.py - a Postfix policy service for lab tests.

Usage: policy_recorder.py SOCKET LOGFILE

Listens on the unix socket SOCKET (mode 0666, so smtpd can reach it), appends
every request it receives to LOGFILE (its name=value lines, then an empty
line), and answers "action=450 4.7.1 policy says later" when the recipient's
local part is "defer", else "action=DUNNO". One thread per connection, since
each smtpd process keeps its connection open. Runs until killed.
"""
import os
import socket
import sys
import threading

LOCK = threading.Lock()


def serve(conn, log):
    try:
        serve_requests(conn, log)
    except OSError:
        pass
    finally:
        conn.close()


def serve_requests(conn, log):
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        buf += data
        while b"\n\n" in buf:
            req, buf = buf.split(b"\n\n", 1)
            attrs = dict(
                line.split("=", 1)
                for line in req.decode("utf-8", "replace").split("\n")
                if "=" in line
            )
            with LOCK, open(log, "a") as f:
                f.write(req.decode("utf-8", "replace") + "\n\n")
            if attrs.get("recipient", "").split("@")[0] == "defer":
                reply = "action=450 4.7.1 policy says later\n\n"
            else:
                reply = "action=DUNNO\n\n"
            conn.sendall(reply.encode())


def main():
    path, log = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o666)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, log), daemon=True).start()


if __name__ == "__main__":
    main()
