#!/usr/bin/python3
# tests/dmarc/dm_keys.py - keys for the DMARC tests: DIR/ed.key (an
# Ed25519 seed, base64, as dkimpy signs with it) and DIR/keys.zone, the
# TXT records (tests/dns/oddns.py's zone format) publishing DIR/rsa.pem's
# public key as s1 of example.test, strict.test and other.test and the
# Ed25519 one as e1 of example.test.
#
#   dm_keys.py DIR
import base64
import sys

import nacl.signing
from cryptography.hazmat.primitives import serialization


def txt(s):
    return " ".join('"%s"' % s[i:i + 200] for i in range(0, len(s), 200))


def main():
    t = sys.argv[1]
    with open(t + "/rsa.pem", "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    p = base64.b64encode(der).decode()
    sk = nacl.signing.SigningKey.generate()
    with open(t + "/ed.key", "wb") as f:
        f.write(base64.b64encode(bytes(sk)))
    edp = base64.b64encode(bytes(sk.verify_key)).decode()
    with open(t + "/keys.zone", "w") as f:
        for d in ("example.test", "strict.test", "other.test"):
            f.write("s1._domainkey.%s TXT %s\n" % (d, txt("v=DKIM1; k=rsa; p=" + p)))
        f.write("e1._domainkey.example.test TXT %s\n" %
                txt("v=DKIM1; k=ed25519; p=" + edp))


if __name__ == "__main__":
    main()
