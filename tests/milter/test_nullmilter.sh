#!/bin/bash
# tests/milter/test_nullmilter.sh - the reference milter of the lab
# benchmarks (bench/nullmilter) through the milter protocol: it listens,
# negotiates away every stage and continues at end of message (miltertest,
# nm_session.lua), and a malformed packet closes that connection only;
# started with -c it answers accept at CONNECT (nm_accept.lua).
# Loopback only; the milter is stopped by its pid.
set -u
. "$top_srcdir/tests/lib/tap.sh"

NM="$top_builddir/bench/nullmilter/nullmilter"
HERE="$top_srcdir/tests/milter"
MT="${MILTERTEST:-}"
[ -n "$MT" ] || MT=$(command -v miltertest) || tap_bail "miltertest not found"
[ -x "$NM" ] || tap_bail "$NM not built"

T=$(mktemp -d /tmp/mk_nullmilter.XXXXXX) || tap_bail "mktemp failed"
pid= pid2=
cleanup() {
	for p in $pid $pid2; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

session() {	# [SOCKET SCENARIO]: one miltertest run, "0" or what went wrong
	local out
	out=$(MT_DIR="$HERE" MT_SOCKET="unix:$T/${1:-n.sock}" timeout 30 \
	    "$MT" -s "$HERE/${2:-nm_session}.lua" 2>&1)
	if [ $? = 0 ] && printf '%s' "$out" | grep -q '^PASS$'; then echo 0
	else printf '%s' "$out" | tr '\n' ' '; fi
}

tap_plan 5
"$NM" "$T/n.sock" 2>"$T/log" &
pid=$!
for _ in $(seq 1 100); do [ -S "$T/n.sock" ] && break; sleep 0.1; done
tap_is "listens on its unix socket" "$([ -S "$T/n.sock" ] && echo yes)" yes
tap_is "every stage negotiated away, EOM continued" "$(session)" 0
# A packet of length 0 is malformed: the milter closes the connection.
got=$(timeout 10 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"\0\0\0\0")
print("closed" if s.recv(16) == b"" else "answered")' "$T/n.sock" 2>&1)
tap_is "a malformed packet closes the connection" "$got" closed
tap_is "and the milter serves the next one" "$(session)" 0
"$NM" -c "$T/c.sock" 2>>"$T/log" &
pid2=$!
for _ in $(seq 1 100); do [ -S "$T/c.sock" ] && break; sleep 0.1; done
tap_is "with -c: CONNECT is answered accept" "$(session c.sock nm_accept)" 0
