#!/usr/bin/python3
# tests/dns/oddns.py - a small scripted DNS server for the tests, on
# loopback, for the cases a static server cannot play: slow answers,
# SERVFAIL, REFUSED, no answer at all. It also serves plain records.
#
#   oddns.py ZONE PORTFILE [LOGFILE]
#
# Listens on 127.0.0.1, UDP and TCP, on a free port it writes to PORTFILE
# (written once both sockets are bound). ZONE lines ("#" comments):
#   NAME TYPE RDATA...      a record (dnspython's text form of RDATA),
#                           TTL 300; NAME may start with "*." (wildcard)
#   NAME DELAY MS           answer NAME's queries MS milliseconds late
#   NAME SERVFAIL | REFUSED answer NAME's queries with that rcode
#   NAME DROP               never answer NAME's queries
# A name with no record of the type asked but with records of other
# types, or names below it, gets NODATA; any other name NXDOMAIN (with an
# SOA, so that resolvers cache the negative answer). Each query is
# answered on a thread of its own, so a slow name delays no other. With
# LOGFILE every query is appended as "NAME TYPE" (lower case), flushed.
# Runs until SIGTERM.
import os
import signal
import socket
import socketserver
import sys
import threading
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

records = {}     # (name, type) -> [rdata text]
behaviour = {}   # name -> ("DELAY", ms) | ("SERVFAIL",) | ("REFUSED",) | ("DROP",)
names = set()
log = None
log_lock = threading.Lock()
SOA = "ns.test. hostmaster.test. 1 3600 600 86400 60"


def load(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            name = parts[0].lower().rstrip(".")
            kind = parts[1].upper()
            if kind in ("SERVFAIL", "REFUSED", "DROP"):
                behaviour[name] = (kind,)
            elif kind == "DELAY":
                behaviour[name] = (kind, int(parts[2]))
            else:
                dns.rdata.from_text(dns.rdataclass.IN, kind, parts[2])  # check
                records.setdefault((name, kind), []).append(parts[2])
                names.add(name)


def exists(name):
    if name in names:
        return True
    return any(n.endswith("." + name) for n in names)


def find(name, kind):
    """Records of (name, kind), following wildcards; (owner, list)."""
    if (name, kind) in records:
        return name, records[(name, kind)]
    labels = name.split(".")
    for i in range(1, len(labels)):
        wild = "*." + ".".join(labels[i:])
        if (wild, kind) in records:
            return wild, records[(wild, kind)]
        if any(k[0] == wild for k in records):
            return wild, []
    return None, None


def answer(wire):
    """The response to one query, or None (DROP, garbage)."""
    try:
        q = dns.message.from_wire(wire)
    except Exception:
        return None
    if not q.question:
        return None
    qn = q.question[0]
    name = qn.name.to_text().rstrip(".").lower()
    kind = dns.rdatatype.to_text(qn.rdtype)
    if log is not None:
        with log_lock:
            log.write("%s %s\n" % (name, kind.lower()))
            log.flush()
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    b = behaviour.get(name)
    if b is not None:
        if b[0] == "DROP":
            return None
        if b[0] == "DELAY":
            time.sleep(b[1] / 1000.0)
        elif b[0] == "SERVFAIL":
            r.set_rcode(dns.rcode.SERVFAIL)
            return r.to_wire()
        elif b[0] == "REFUSED":
            r.set_rcode(dns.rcode.REFUSED)
            return r.to_wire()
    owner, data = find(name, kind)
    if not data and (name, "CNAME") in records and kind != "CNAME":
        target = records[(name, "CNAME")][0]
        r.answer.append(dns.rrset.from_text(qn.name, 300, "IN", "CNAME", target))
        tname = target.rstrip(".").lower()
        owner, data = find(tname, kind)
        if data:
            r.answer.append(dns.rrset.from_text(target, 300, "IN", kind, *data))
        return r.to_wire()
    if data:
        r.answer.append(dns.rrset.from_text(qn.name, 300, "IN", kind, *data))
    else:
        if not exists(name) and owner is None:
            r.set_rcode(dns.rcode.NXDOMAIN)
        r.authority.append(dns.rrset.from_text("test.", 60, "IN", "SOA", SOA))
    return r.to_wire()


class UDP(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


class TCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        out = answer(data)
        if out is not None:
            sock.sendto(out, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(10)
        try:
            while True:
                head = self.request.recv(2)
                if len(head) < 2:
                    return
                n = int.from_bytes(head, "big")
                data = b""
                while len(data) < n:
                    chunk = self.request.recv(n - len(data))
                    if not chunk:
                        return
                    data += chunk
                out = answer(data)
                if out is None:
                    return
                self.request.sendall(len(out).to_bytes(2, "big") + out)
        except OSError:
            return


def main():
    global log
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: oddns.py ZONE PORTFILE [LOGFILE]\n")
        sys.exit(2)
    load(sys.argv[1])
    if len(sys.argv) == 4:
        log = open(sys.argv[3], "a")
    for _ in range(50):
        udp = UDP(("127.0.0.1", 0), UDPHandler)
        port = udp.server_address[1]
        try:
            tcp = TCP(("127.0.0.1", port), TCPHandler)
            break
        except OSError:
            udp.server_close()
    else:
        sys.stderr.write("oddns.py: no free port\n")
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    udp.serve_forever()


if __name__ == "__main__":
    main()
