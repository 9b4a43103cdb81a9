#!/usr/bin/python3
"""tests/dkim/dkimpy_verify.py - verify every DKIM signature of a message
with dkimpy, keys from a file instead of DNS.

usage: dkimpy_verify.py KEYFILE MESSAGE...

KEYFILE has lines "SELECTOR._domainkey.DOMAIN TXT-RECORD" (the format of
libopendkim's DKIM_QUERY_FILE). Prints one line per signature, top down:
"pass d=D s=S" or "fail d=D s=S REASON", prefixed by "FILE: " when
several messages are given. Exit 0 when every message has at least one
signature and all pass, else 1. Run with /usr/bin/python3 (Debian's
python3-dkim).
"""
import re
import sys

import dkim


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: dkimpy_verify.py KEYFILE MESSAGE...\n")
        return 2
    keys = {}
    with open(sys.argv[1], "rb") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(b"#"):
                name, rec = line.split(None, 1)
                keys[name.lower().rstrip(b".")] = rec

    def dnsfunc(name, timeout=5):
        return keys.get(name.lower().rstrip(b"."))

    bad = 0
    for path in sys.argv[2:]:
        pre = path + ": " if len(sys.argv) > 3 else ""
        bad |= check(path, pre, dnsfunc)
    return bad


def check(path, pre, dnsfunc):
    with open(path, "rb") as f:
        msg = f.read()
    d = dkim.DKIM(msg)
    n = len([1 for k, _ in d.headers if k.lower() == b"dkim-signature"])
    if n == 0:
        print(pre + "fail no signature")
        return 1
    bad = 0
    for i in range(n):
        v = dkim.DKIM(msg)
        who = "?"
        try:
            ok = v.verify(idx=i, dnsfunc=dnsfunc)
            who = "d=%s s=%s" % (v.domain.decode(), v.selector.decode())
            why = "" if ok else "signature mismatch"
        except dkim.DKIMException as e:
            ok, why = False, re.sub(r"\s+", " ", str(e))
        if ok:
            print(pre + "pass " + who)
        else:
            bad = 1
            print(pre + "fail %s %s" % (who, why))
    return bad


if __name__ == "__main__":
    sys.exit(main())
