# tests/dmarc/dmlab.sh - what the DMARC tests share (sourced): keys, the
# DNS zone they publish, messages and their DKIM signatures by dkimpy.
#
#   dm_setup DIR        an RSA-2048 key (DIR/rsa.pem, selector s1) and an
#                       Ed25519 key (DIR/ed.key, e1), and DIR/zone for
#                       tests/dns/oddns.py: the keys (tests/dmarc/dm_keys.py)
#                       and the records of tests/dmarc/dmarc.zone
#   msg FROM [SUBJECT]  a message from FROM on standard output
#   sign FILE DOMAIN SELECTOR rsa|ed25519 [COUNT]
#                       FILE signed (COUNT times) by dkimpy, in place
# Needs /usr/bin/python3 with dkim (python3-dkim) and nacl.
PY=/usr/bin/python3

dm_setup() {
	T=$1
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$T/rsa.pem" 2>/dev/null || return 1
	$PY "$top_srcdir/tests/dmarc/dm_keys.py" "$T" || return 1
	cat "$T/keys.zone" "$top_srcdir/tests/dmarc/dmarc.zone" > "$T/zone"
}

# msg FROM [SUBJECT]: a message from FROM on stdout.
msg() {
	printf 'From: Sender <%s>\nTo: rcpt@example.net\nSubject: %s\nDate: Sat, 05 Dec 2026 10:00:00 +0000\nMessage-ID: <%s.1@example.test>\n\nHello,\nthis is the body.\n' \
	    "$1" "${2:-hello}" "$$"
}
# sign FILE DOMAIN SELECTOR rsa|ed25519 [COUNT]: FILE signed COUNT times.
sign() {
	$PY - "$@" "$T" <<'PYEOF'
import base64, sys, dkim
f, d, s, kind = sys.argv[1:5]
n = int(sys.argv[5]) if len(sys.argv) > 6 else 1
t = sys.argv[-1]
m = open(f, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
if kind == "rsa":
    key, alg = open(t + "/rsa.pem", "rb").read(), b"rsa-sha256"
else:
    key, alg = open(t + "/ed.key", "rb").read(), b"ed25519-sha256"
for _ in range(n):
    m = dkim.sign(m, s.encode(), d.encode(), key, signature_algorithm=alg,
                  include_headers=[b"from", b"to", b"subject", b"date"]) + m
open(f, "wb").write(m)
PYEOF
}
