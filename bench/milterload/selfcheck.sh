#!/bin/bash
# bench/milterload/selfcheck.sh - checks milterload against milters whose
# answers are known: the skeleton's test milter (tests/milter/testmilter:
# "reject@" gets 5xx, "error@" 4xx, {auth_authen} adds a header at
# end-of-message) and three broken fake milters (python3 on a unix socket:
# silent, garbage length, unknown reply), which must make milterload exit 1
# within its timeout and say why.
#
#   selfcheck.sh [BUILD_DIR]     (default ./); prints ok/FAIL lines
# Every process started here is stopped by its pid; the temp dir is removed.
set -u
BUILD=$(cd "${1:-.}" && pwd) || exit 2
LOAD=$BUILD/bench/milterload/milterload
TM=$BUILD/tests/milter/testmilter
PY=/usr/bin/python3
for f in "$LOAD" "$TM" "$PY"; do
	[ -x "$f" ] || { echo "selfcheck: $f missing" >&2; exit 2; }
done
dir=$(mktemp -d /tmp/milterload_check.XXXXXX) || exit 2
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
fails=0
check() {	# NAME ACTUAL EXPECTED-REGEX
	if printf '%s' "$2" | grep -Eq -- "$3"; then echo "ok   $1"
	else echo "FAIL $1: got: $(printf '%s' "$2" | tr '\n' ' ' | cut -c1-300)"; fails=$((fails + 1)); fi
}
wait_sock() {
	local i
	for i in $(seq 1 100); do [ -S "$1" ] && return 0; sleep 0.1; done
	return 1
}

# ---- the test milter -------------------------------------------------------
printf '[log]\nlevel = error\n[suppress]\nuser =\npidfile =\n' > "$dir/tm.conf"
"$TM" -f -c "$dir/tm.conf" -p "unix:$dir/tm.sock" 2> "$dir/tm.log" &
pids+=($!)
wait_sock "$dir/tm.sock" || { echo "selfcheck: testmilter did not start" >&2; exit 1; }
printf 'a@example.com\nreject@example.com\nerror@example.com\nb@example.com\n' > "$dir/rcpts"
out=$(timeout 60 "$LOAD" -s "unix:$dir/tm.sock" -c 4 -m 400 -r 4 -R "$dir/rcpts" \
	-H 5 -b 1000 -A alice -M 7 2>&1); rc=$?
check "testmilter run exits 0" "$rc" '^0$'
check "400 messages, 1600 RCPT" "$out" 'summary messages=400 .* rcpts=1600 '
check "RCPT: 800 continue, 400 reject, 400 tempfail (round robin)" "$out" \
	'rcpt_continue=800 rcpt_reject=400 rcpt_tempfail=400 '
check "a header added at every end-of-message ({auth_authen} sent)" "$out" \
	'at eom +continue [0-9]+, addheader [0-9]+'
check "headers and body negotiated away: none sent" "$out" 'body bytes 0$'
check "reconnects after 7 messages (58 to 61 connections over 4 threads)" \
	"$out" '^connections: (5[89]|6[01]);'

# ---- broken milters ----------------------------------------------------------
fake() {	# NAME MODE: a one-connection-at-a-time fake milter
	"$PY" - "$dir/$1.sock" "$2" <<'EOF' &
import os, socket, struct, sys
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(8)
while True:
    c, _ = s.accept()
    c.recv(4096)                       # the OPTNEG
    if mode == "silent":
        pass                           # never answers
    elif mode == "length":
        c.sendall(b"\x7f\xff\xff\xffO")
    elif mode == "unknown":
        c.sendall(struct.pack(">IcIII", 13, b"O", 6, 0, 0x372))
        c.recv(4096)                   # CONNECT
        c.sendall(struct.pack(">Ic", 1, b"Z"))
    c.recv(4096)
    c.close()
EOF
	pids+=($!)
	wait_sock "$dir/$1.sock"
}
fake silent silent
fake length length
fake unknown unknown
t0=$(date +%s)
out=$(timeout 30 "$LOAD" -s "unix:$dir/silent.sock" -m 1 -t 1 2>&1); rc=$?
check "silent milter: exit 1" "$rc" '^1$'
check "silent milter: says timeout" "$out" 'timeout: no reply within 1.0 s'
check "silent milter: gives up within 5 s" "$(( $(date +%s) - t0 ))" '^[0-4]$'
out=$(timeout 30 "$LOAD" -s "unix:$dir/length.sock" -m 1 -t 2 2>&1); rc=$?
check "absurd reply length: exit 1, says malformed" "$rc $out" '^1 .*malformed reply: length 2147483647'
out=$(timeout 30 "$LOAD" -s "unix:$dir/unknown.sock" -m 1 -t 2 2>&1); rc=$?
check "unknown reply: exit 1, names it" "$rc $out" '^1 .*unknown reply 0x5a at CONNECT'
out=$(timeout 30 "$LOAD" -s "unix:$dir/none.sock" -m 1 -t 2 2>&1); rc=$?
check "no milter: exit 1, says connect" "$rc $out" '^1 .*connect .*No such file'
out=$("$LOAD" -s unix:/x -m 5 -d 3 2>&1); rc=$?
check "bad usage: exit 2" "$rc" '^2$'

[ $fails = 0 ] && echo "selfcheck: all passed" || echo "selfcheck: $fails failed"
exit $((fails > 0))
