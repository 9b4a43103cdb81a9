# tests/milter/milterwire.py - the MTA's side of the milter protocol
# (version 6) for the test probes (suppress/su_probe.py,
# headers/hm_probe.py): packet framing, the names of the final replies,
# option negotiation offering every action and protocol flag, as Postfix
# does, and one stage sent as the negotiated flags ask (step()). Every call raises on trouble (EOFError when the milter
# closes the connection); the caller sets the socket's timeout.
import struct
import sys

# Final replies, by command byte.
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


def read_packet(s):
    """One packet: (command byte, data)."""
    (n,) = struct.unpack(">I", recv_exact(s, 4))
    pkt = recv_exact(s, n)
    return pkt[:1], pkt[1:]


def negotiate(s):
    """OPTNEG offering everything: (actions, protocol, [(stage, names)])."""
    send(s, b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
    cmd, data = read_packet(s)
    if cmd != b"O":
        raise RuntimeError("no option negotiation reply")
    _, act, prot = struct.unpack(">III", data[:12])
    lists, rest = [], data[12:]
    while len(rest) >= 4 and b"\0" in rest[4:]:
        stage = struct.unpack(">I", rest[:4])[0]
        names, _, rest = rest[4:].partition(b"\0")
        lists.append((stage, names.decode()))
    return act, prot, lists


# The SMFIP_NR_* (no reply awaited) and SMFIP_NO* (not sent) flag of a
# command, by command byte.
NR = {b"C": 0x1000, b"H": 0x2000, b"M": 0x4000, b"R": 0x8000, b"T": 0x10000,
      b"L": 0x80, b"N": 0x40000, b"B": 0x80000}
NO = {b"C": 0x1, b"H": 0x2, b"M": 0x4, b"R": 0x8, b"B": 0x10, b"L": 0x20,
      b"N": 0x40, b"T": 0x200}


def connect_data(ip, host="client.example", port=4321):
    """The data of CONNECT from an IPv4 client."""
    return host.encode() + b"\0" + b"4" + struct.pack(">H", port) + \
        ip.encode() + b"\0"


def step(s, prot, cmd, data, reply, skipped="skipped"):
    """Sends one stage unless negotiated away (then skipped is returned);
    "continue" where no reply is awaited, else reply(s), the final one."""
    if prot & NO.get(cmd, 0):
        return skipped
    send(s, cmd, data)
    if prot & NR.get(cmd, 0):
        return "continue"
    return reply(s)


def run(main):
    """Exits with main()'s status; any trouble prints PROBE ERROR, exit 1."""
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001 - report any trouble as exit 1
        print("PROBE ERROR: %s" % e)
        sys.exit(1)
