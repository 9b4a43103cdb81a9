# tests/milter/milterwire.py - the MTA's side of the milter protocol
# (version 6) for the test probes (suppress/su_probe.py,
# headers/hm_probe.py): packet framing, the names of the final replies,
# and option negotiation offering every action and protocol flag, as
# Postfix does. Every call raises on trouble (EOFError when the milter
# closes the connection); the caller sets the socket's timeout.
import struct

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
