#!/bin/bash
# tests/milter/dkim/test_dkim_milter.sh - milterkit-dkim through the milter
# protocol, and its signatures verified by dkimpy.
#
# Keys made here with openssl (RSA-2048, Ed25519, mode 0600), their DNS
# records in a file dk_probe.py serves to dkimpy instead of DNS, and these
# instances in the foreground on unix sockets in a temp dir:
#   A  milterkit-dkim: example.org (RSA rsa1 + Ed25519 ed1: dual),
#      rsa.example (RSA), ed.example (Ed25519), missing.example (a key file
#      that does not exist); no line for other.example
#   W  milterkit-dkim: "*" with d=relay.example
#   R  milterkit-dkim: example.org rsa1 over a copy of the RSA key, which is
#      then made group-readable and the instance sent SIGHUP
#   C  milterkit-chain, filters = suppress, headers, dkim (A's table)
#   G  milterkit-dkim with a group-readable key: must not start
# The miltertest scenarios (dk_*.lua, helpers in dk_lib.lua) check the
# protocol (replies, inserted fields); dk_probe.py speaks the protocol
# itself, applies the edits at end of message to the message it sent, as
# an MTA does, and verifies every DKIM-Signature of the result with dkimpy.
# Loopback only; every process started here is stopped by its pid; every
# wait is bounded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"

DKIM="$top_builddir/milters/dkim/milterkit-dkim"
CHAIN="$top_builddir/milters/chain/milterkit-chain"
MK="$top_builddir/tools/milterkit"
HERE="$top_srcdir/tests/milter/dkim"
PY=/usr/bin/python3
for f in "$DKIM" "$CHAIN" "$MK"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ -x "$PY" ] || tap_bail "$PY not found"
"$PY" -c 'import dkim' 2>/dev/null || tap_bail "dkimpy (python3-dkim) missing"
command -v openssl >/dev/null || tap_bail "openssl not found"

MILTER=$DKIM	# for lib.sh's check; each instance names its program
. "$top_srcdir/tests/milter/lib.sh"
T=$(mktemp -d /tmp/mk_dktest.XXXXXX) || tap_bail "mktemp failed"
chmod 755 "$T"
K=$T/keys
trap 'stop_all; rm -rf "$T"' EXIT
tap_watchdog 120
trap 'kill "$tap_watchdog_pid" 2>/dev/null; stop_all; rm -rf "$T"' EXIT

# ---- keys and their DNS records ----------------------------------------------
mkdir -m 700 "$K"
(umask 077
 openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.key" &&
 openssl genpkey -algorithm ed25519 -out "$K/ed.key") >/dev/null 2>"$T/keygen.err" ||
	tap_bail "keygen: $(cat "$T/keygen.err")"
cp -p "$K/rsa.key" "$K/r.key"
cp -p "$K/rsa.key" "$K/grp.key" && chmod 640 "$K/grp.key"
rsa_p=$(openssl pkey -in "$K/rsa.key" -pubout -outform DER | base64 -w0)
ed_p=$(openssl pkey -in "$K/ed.key" -pubout -outform DER | tail -c 32 | base64 -w0)
{
	for d in example.org rsa.example relay.example; do
		echo "rsa1._domainkey.$d v=DKIM1; k=rsa; p=$rsa_p"
	done
	for d in example.org ed.example; do
		echo "ed1._domainkey.$d v=DKIM1; k=ed25519; p=$ed_p"
	done
} > "$T/dns.txt"

cat > "$T/A.table" <<EOF
# dual: RSA and Ed25519 for one domain
example.org	rsa1	$K/rsa.key
example.org	ed1	$K/ed.key
rsa.example	rsa1	$K/rsa.key
ed.example	ed1	$K/ed.key
missing.example	m1	$K/none.key
EOF
echo "*	rsa1	$K/rsa.key	d=relay.example" > "$T/W.table"
echo "example.org	rsa1	$K/r.key" > "$T/R.table"
echo "example.org	rsa1	$K/grp.key" > "$T/G.table"

"$MK" --store "$T/store" suppress add bounced@example.com --reason bounce \
    >/dev/null 2>"$T/mk.err" || tap_bail "store fixture: $(cat "$T/mk.err")"

# conf NAME SECTION [lines...]: [store], [log], the daemon rows of
# [SECTION] (socket in $T), then the lines (which may open more sections).
conf() {
	local name=$1 sec=$2
	shift 2
	{
		printf '[store]\npath = %s\n\n[log]\nlevel = debug\n\n' "$T/store"
		printf '[%s]\nsocket = unix:%s/%s.sock\nuser =\npidfile =\n' \
		    "$sec" "$T" "$name"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$T/$name.conf"
}
run() { MILTER=$1 start "$2"; }

conf A dkim "signing_table = $T/A.table"
conf W dkim "signing_table = $T/W.table"
conf R dkim "signing_table = $T/R.table"
conf C chain "filters = suppress, headers, dkim" "[dkim]" \
    "signing_table = $T/A.table"
conf G dkim "signing_table = $T/G.table"
run "$DKIM" A; run "$DKIM" W; run "$DKIM" R; pidR=${pids[2]}; run "$CHAIN" C
instances_up A W R C

# probe INSTANCE MESSAGE-FILE [dk_probe.py args...]: the transcript, with
# dkimpy's verdict on the result (VERIFY lines)
probe() {
	local inst=$1 msg=$2
	shift 2
	timeout 20 "$PY" "$HERE/dk_probe.py" "unix:$T/$inst.sock" "$msg" \
	    --keys "$T/dns.txt" "$@" 2>&1
}
eom_of() { printf '%s\n' "$1" | sed -n 's/^EOM => //p'; }
verdicts() { printf '%s\n' "$1" | sed -n 's/^VERIFY //p' | sort | tr '\n' '|'; }
nsig() { printf '%s\n' "$1" | grep -Ec "^INSERT [0-9]+ DKIM-Signature:"; }

# msg FROM [extra header lines]: a message in $T/msg.FROM-domain: folded
# and duplicate fields, blanks at line ends, 8-bit text, trailing empty lines
msg() {
	local f=$T/msg.${1#*@}
	{
		printf 'Received: from client.example (client.example [192.0.2.1])\n'
		printf '\tby mx.example.net; Sun, 22 Nov 2026 10:00:00 +0000\n'
		printf 'From: Sender <%s>\n' "$1"
		shift
		for l in "$@"; do printf '%s\n' "$l"; done
		printf 'To: <rcpt@example.com>,\n   <other@example.com>\n'
		printf 'Subject:   a   subject\twith  blanks \n'
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <dk.1@example.org>\n'
		printf 'Comments: one\nComments: two\n'
		printf 'Content-Type: text/plain; charset=utf-8\n\n'
		printf 'Hello  world \t\n\n.dot line\nd\303\251j\303\240 vu\n'
		printf '%0900d\n\n\n' 0
	} > "$f"
	printf '%s' "$f"
}

# ---- A: RSA, Ed25519, dual, no key, missing key ------------------------------
out=$(probe A "$(msg a@rsa.example)" --qid DKA001)
tap_is "RSA: one signature, end of message continues, dkimpy verifies it" \
    "$(nsig "$out")/$(eom_of "$out")/$(verdicts "$out")" "1/continue/pass d=rsa.example s=rsa1|"
tap_like "one log line per signature: queue id, d=, s=, a=, header count" \
    "$(grep 'DKA001: sign' "$T/A.log")" \
    'DKA001: sign d=rsa\.example s=rsa1 a=rsa-sha256 h=7$'
out=$(probe A "$(msg a@ed.example)" --qid DKA002 --chunk 7)
tap_is "Ed25519 (body in 7-octet chunks): one signature, dkimpy verifies it" \
    "$(nsig "$out")/$(eom_of "$out")/$(verdicts "$out")" "1/continue/pass d=ed.example s=ed1|"
tap_like "its log line says ed25519-sha256" "$(grep 'DKA002: sign' "$T/A.log")" \
    'sign d=ed\.example s=ed1 a=ed25519-sha256 h=7$'
out=$(probe A "$(msg a@example.org)" --qid DKA003)
tap_is "dual (two lines for one domain): two signatures, both verify" \
    "$(nsig "$out")/$(eom_of "$out")/$(verdicts "$out")" \
    "2/continue/pass d=example.org s=ed1|pass d=example.org s=rsa1|"
out=$(probe A "$(msg a@other.example)" --qid DKA004)
tap_is "no key for the From domain: no signature, the message passes" \
    "$(nsig "$out")/$(eom_of "$out")/$(verdicts "$out")" "0/continue/none|"
tap_check "that is logged at debug level" log_has A \
    'DKA004: no signing key for From domain other\.example: not signed'
signed=$(msg a@example.org 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
 d=Example.ORG; s=rsa1; t=1; h=from; bh=AAAA; b=AAAA')
out=$(probe A "$signed" --qid DKA005)
tap_like "already signed by d=example.org s=rsa1: only ed1 signs" \
    "$(nsig "$out")/$(printf '%s\n' "$out" | grep -E '^INSERT [0-9]+ DKIM' | grep -o 's=[a-z0-9]*;')" \
    '^1/s=ed1;$'
tap_check "that skip is logged" log_has A \
    'DKA005: already signed by d=example.org s=rsa1: not signed again'
tap_check "the missing key file is logged at start, naming it" log_has A \
    "error: .*key file $K/none\\.key does not exist"
out=$(probe A "$(msg a@missing.example)" --qid DKA006)
tap_is "a missing key file: 451 4.3.0 at end of message for that domain, no signature" \
    "$(nsig "$out")/$(eom_of "$out" | cut -c1-9)" "0/451 4.3.0"
tap_like "one log line for that message, naming the key file" \
    "$(grep -c 'DKA006: .*none\.key' "$T/A.log")" '^1$'
tap_is "miltertest: a missing key tempfails, the next message on the connection is signed twice" \
    "$(scenario A dk_tempfail)" 0
tap_is "miltertest: dual signing inserts two DKIM-Signature fields" \
    "$(scenario A dk_sign MT_FROM='Sender <a@example.org>' MT_NSIG=2 MT_D=example.org)" 0
tap_is "miltertest: no key for the domain, nothing inserted" \
    "$(scenario A dk_sign MT_FROM='<a@other.example>' MT_NSIG=0)" 0
tap_is "miltertest: a From without a domain, nothing inserted" \
    "$(scenario A dk_sign MT_FROM='undisclosed-recipients:;' MT_NSIG=0)" 0

# ---- W: "*" with the relay's d= ----------------------------------------------
out=$(probe W "$(msg a@customer.example)" --qid DKW001)
tap_is "\"*\" line with d=relay.example: signed with that d=, verifies" \
    "$(nsig "$out")/$(verdicts "$out")" "1/pass d=relay.example s=rsa1|"

# ---- G: a group-readable key -------------------------------------------------
timeout 15 "$DKIM" -f -c "$T/G.conf" -p "unix:$T/G.sock" 2> "$T/G.log"
rc=$?
tap_like "a group-readable key refuses start, naming the file" \
    "rc=$rc $(tr '\n' ' ' < "$T/G.log")" "^rc=[1-9][0-9]* .*$K/grp\\.key"
tap_like "-t refuses it too" \
    "$({ "$DKIM" -t -c "$T/G.conf" 2>&1; echo "rc=$?"; } | tr '\n' ' ')" "$K/grp\\.key.*rc=[1-9]"

# ---- R: SIGHUP with a bad key keeps the old keys -------------------------------
chmod 640 "$K/r.key"
kill -HUP "$pidR"
if wait_for log_has R "reload failed.*$K/r\\.key"; then
	tap_ok "SIGHUP with the key now group-readable: reload fails naming it"
else
	tap_fail "SIGHUP with the key now group-readable: reload fails naming it" \
	    "$(tail -3 "$T/R.log")"
fi
out=$(probe R "$(msg a@example.org)" --qid DKR001)
tap_is "the old key still signs, and verifies" \
    "$(nsig "$out")/$(verdicts "$out")" "1/pass d=example.org s=rsa1|"

# ---- C: suppress, headers, dkim --------------------------------------------------
cmsg=$T/msg.chain
grep -v '^Message-ID:' "$(msg a@example.org 'X-Originating-IP: [10.1.2.3]')" > "$cmsg"
out=$(probe C "$cmsg" --qid DKC001)
tap_like "chain: headers adds MIME-Version and Message-ID, deletes X-Originating-IP, dkim inserts two signatures" \
    "$(printf '%s\n' "$out" | grep -E '^(ADD|DELETE|INSERT)' | cut -d: -f1 | sed 's/^INSERT [0-9]*/INSERT/' | sort | tr '\n' '|')" \
    '^ADD MIME-Version\|ADD Message-ID\|DELETE 1 X-Originating-IP\|INSERT DKIM-Signature\|INSERT DKIM-Signature\|$'
tap_like "the signatures cover the Message-ID the headers filter added" \
    "$(printf '%s\n' "$out" | grep -E '^INSERT [0-9]+ DKIM' | head -1 | sed 's/\\n\\t//g')" \
    'h=[^;]*[Mm]essage-[Ii][Dd]'
tap_is "with all the edits applied, both signatures verify" \
    "$(eom_of "$out")/$(verdicts "$out")" \
    "continue/pass d=example.org s=ed1|pass d=example.org s=rsa1|"

stop_all
tap_done
