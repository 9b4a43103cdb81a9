#!/usr/bin/python3
"""tests/e2e/refuser.py - an SMTP server that refuses chosen recipients.

Usage: refuser.py PORT PIDFILE LOGFILE RULE...

Listens on 127.0.0.1:PORT and speaks just enough SMTP for Postfix's smtp
client: each RULE is LOCALPART=REPLY ("dead=550 5.1.1 <dead@...>: user
unknown", "full=552 5.2.2 mailbox full"); a recipient whose local part has
a rule gets that reply at RCPT, any other is accepted and its message
discarded after DATA. Every command is appended to LOGFILE. Writes its pid
to PIDFILE once listening; runs until killed (the test stops it by pid).
This is the remote side the smtp-sink of the lab cannot play: smtp-sink
refuses every recipient or none.
"""
import os
import socketserver
import sys

RULES = {}
LOG = None


class Session(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 refuser.test ESMTP")
        data = False
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if data:
                if line == ".":
                    data = False
                    self.reply("250 2.0.0 Ok: discarded")
                continue
            with open(LOG, "a") as f:
                f.write(line + "\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 refuser.test")
            elif verb == "MAIL":
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = line.split(":", 1)[1].strip().strip("<>").split(">")[0]
                local = addr.split("@")[0].lower()
                self.reply(RULES.get(local, "250 2.1.5 Ok"))
            elif verb == "DATA":
                data = True
                self.reply("354 End data with <CR><LF>.<CR><LF>")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("250 2.0.0 Ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    global LOG
    port, pidfile, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    for rule in sys.argv[4:]:
        local, reply = rule.split("=", 1)
        RULES[local.lower()] = reply
    srv = Server(("127.0.0.1", port), Session)
    with open(pidfile, "w") as f:
        f.write("%d\n" % os.getpid())
    srv.serve_forever()


if __name__ == "__main__":
    main()
