#!/bin/bash
# tests/milter/test_skeleton.sh - the milter skeleton, end to end through
# the milter protocol: the test milter (tests/milter/testmilter.c) runs as
# root-started, privilege-dropped (nobody) daemon on a unix socket in a
# temp dir; each miltertest scenario (tests/milter/tm_*.lua) is one TAP
# point; then -t, pid file, SIGHUP reload (good and broken), SIGTERM.
# A second instance negotiates MAIL without reply (TESTMILTER_NO_REPLY):
# the skeleton's refusals there are given at RCPT and end of message with
# their whole reply, seen through the probes of the suppress and headers
# tests (su_probe.py, hm_probe.py), which show reply texts.
# Loopback only; every process started here is stopped by its pid.
set -u
. "$top_srcdir/tests/lib/tap.sh"

MILTER="$top_builddir/tests/milter/testmilter"
MT="${MILTERTEST:-}"
[ -n "$MT" ] || MT=$(command -v miltertest) || tap_bail "miltertest not found"
[ -x "$MILTER" ] || tap_bail "$MILTER not built"
[ "$(id -u)" = 0 ] || tap_bail "must run as root (privilege drop is tested)"

dir=$(mktemp -d /tmp/mk_skeleton.XXXXXX) || tap_bail "mktemp failed"
pid=
pid2=
cleanup() {
	local p
	# The watchdog subshells of the stop checks, killed before they drop
	# the inherited trap, would run it too and remove $dir under the test.
	[ "$BASHPID" = "$$" ] || return 0
	for p in $pid $pid2; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
			sleep 1
			kill -KILL "$p" 2>/dev/null
		fi
	done
	rm -rf "$dir"
}
trap cleanup EXIT
# The daemon runs as nobody and must remove its socket and pid file here.
chown nobody "$dir"
chmod 0755 "$dir"

sock="$dir/tm.sock"
pidfile="$dir/tm.pid"
log="$dir/log"
conf="$dir/milterkit.conf"

write_conf() {	# on_error
	cat > "$conf.new" <<EOF
[log]
level = debug

[suppress]
socket = unix:$sock
socket_mode = 0660
user = nobody
pidfile = $pidfile
on_error = $1
timeout = 2
EOF
	mv "$conf.new" "$conf"
}

# scenario NAME [EXPECT]: one miltertest run, bounded in time.
scenario() {
	local out
	out=$(MT_DIR="$top_srcdir/tests/milter" MT_SOCKET="unix:$sock" \
	    MT_EXPECT="${2:-}" timeout 30 "$MT" -s "$top_srcdir/tests/milter/$1.lua" 2>&1)
	local rc=$?
	if [ $rc = 0 ] && printf '%s' "$out" | grep -q '^PASS$'; then
		echo 0
	else
		printf 'rc=%s %s' "$rc" "$out" | tr '\n' ' '
	fi
}

. "$top_srcdir/tests/lib/daemon.sh"	# wait_for

log_has() { grep -Eq -- "$1" "$log"; }

# ---- -t ----------------------------------------------------------------
write_conf tempfail
out=$("$MILTER" -t -c "$conf" 2>&1); rc=$?
tap_is "-t accepts a good configuration (exit 0)" "$rc" 0

printf '[suppress]\nsocket = unix:%s\non_error = maybe\n' "$sock" > "$dir/bad.conf"
out=$("$MILTER" -t -c "$dir/bad.conf" 2>&1); rc=$?
tap_is "-t refuses a bad configuration (exit 2)" "$rc" 2
tap_like "-t names FILE:LINE of the bad value" "$out" "^$dir/bad.conf:3: "

out=$("$MILTER" -t -c "$dir/missing.conf" 2>&1); rc=$?
tap_is "-t with a missing named file fails (exit 2)" "$rc" 2

# ---- start ---------------------------------------------------------------
"$MILTER" -f -c "$conf" 2> "$log" &
pid=$!
if wait_for test -S "$sock"; then tap_ok "socket created"
else tap_fail "socket created" "$(cat "$log")"; fi
tap_is "socket mode is 0660" "$(stat -c %a "$sock" 2>/dev/null)" 660
wait_for test -s "$pidfile"
tap_is "pid file names the milter" "$(cat "$pidfile" 2>/dev/null)" "$pid"
wait_for log_has "started testmilter"
uid=$(awk '/^Uid:/ { print $2 ":" $3 ":" $4 }' "/proc/$pid/status" 2>/dev/null)
tap_is "runs as nobody after start (real:effective:saved uid)" "$uid" "65534:65534:65534"

# ---- protocol ------------------------------------------------------------
tap_is "accept: ordinary recipient continues" "$(scenario tm_accept)" 0
tap_is "reject: local part reject gets a reply code" "$(scenario tm_reject)" 0
wait_for log_has "4Q2x1: reject rcpt=<reject@example.com> client=client.example\[192.0.2.1\]"
tap_like "reject: decision line with queue id and client" "$(cat "$log")" \
    "4Q2x1: reject rcpt=<reject@example.com> client=client.example\[192.0.2.1\]"
tap_is "error: on_error=tempfail answers with a reply code" "$(scenario tm_error tempfail)" 0
wait_for log_has "4Q2x2: error client="
tap_like "error: cause logged once with queue id and on_error" \
    "$(grep -c '4Q2x2: error client=.*simulated failure.*on_error=tempfail' "$log")" '^1$'
tap_is "eom error: reply is 451 4.3.0 with the fixed text" "$(scenario tm_eom_error)" 0
tap_is "macros: {auth_authen} becomes X-Test-Auth at EOM" "$(scenario tm_macros)" 0
wait_for log_has "4Q2x3: accept rcpt=<dave@example.com>"
tap_like "macros: {i} is the queue id of the decision line" "$(cat "$log")" \
    "4Q2x3: accept rcpt=<dave@example.com>"
tap_is "negotiate: unused stages skipped, used ones kept" "$(scenario tm_negotiate)" 0

# ---- refusals in a stage without reply -------------------------------------
# The second instance's MAIL is negotiated without reply: a refusal there
# (the skeleton's own for a sender longer than its bound, the program's
# through mk_milter_refuse()) waits for RCPT, and end of message when RCPT
# was not reached, with its reply whole; the next message is not refused.
sock2="$dir/tm2.sock"
log2="$dir/log2"
printf '[log]\nlevel = debug\n\n[suppress]\nsocket = unix:%s\nuser = nobody\npidfile =\n' \
    "$sock2" > "$dir/nr.conf"
TESTMILTER_NO_REPLY=mail "$MILTER" -f -c "$dir/nr.conf" 2> "$log2" &
pid2=$!
wait_for test -S "$sock2"
PY=/usr/bin/python3
su_probe() { timeout 20 "$PY" "$top_srcdir/tests/milter/suppress/su_probe.py" "unix:$sock2" 192.0.2.1 "$@" 2>&1; }
hm_probe() { printf 'Subject: x\n' | timeout 20 "$PY" "$top_srcdir/tests/milter/headers/hm_probe.py" "unix:$sock2" - "$@" 2>&1; }
# The reply text of testmilter's refusal at MAIL: 300 octets.
long="Sender refused "
for i in $(seq 15 294); do long="$long$((i % 10))"; done
long="$long(end)"
out=$(hm_probe --from '<refuse@example.org>' --rcpt '<bob@example.com>')
tap_like "no-reply MAIL: negotiated so (SMFIP_NR_MAIL) and MAIL not answered" \
    "$(printf '%s\n' "$out" | sed -n 's/^NEGOTIATED .* protocol=\(0x[0-9a-f]*\) .*/\1/p' |
    { read -r p; echo $(( (${p:-0} & 0x4000) != 0 )); })|$(printf '%s\n' "$out" | grep '^MAIL ')" \
    '^1\|MAIL => continue$'
tap_is "a refusal at MAIL without reply is given at RCPT with its 300-octet text whole" \
    "$(printf '%s\n' "$out" | sed -n 's/^RCPT <bob@example.com> => //p')" "550 5.7.1 $long"
tap_is "... and again at end of message" "$(printf '%s\n' "$out" | sed -n 's/^EOM => //p')" \
    "550 5.7.1 $long"
longfrom="<$(printf 'x%.0s' $(seq 1 600))@example.org>"
out=$(su_probe "$longfrom" '<bob@example.com>' '<carol@example.com>' \
    --mail '<sender@example.org>' '<dave@example.com>')
tap_is "a sender past the skeleton's bound: 553 5.1.7 at each RCPT, next message not refused" \
    "$(printf '%s\n' "$out" | sed -n 's/^RCPT <\([a-z]*\)@example.com> => /\1 /p' | tr '\n' '|')" \
    "bob 553 5.1.7 Sender address too long|carol 553 5.1.7 Sender address too long|dave continue|"
tap_is "... and at the end of its message" "$(printf '%s\n' "$out" | sed -n 's/^EOM => //p')" \
    "553 5.1.7 Sender address too long"
wait_for grep -q "reject: sender address of ${#longfrom} bytes" "$log2"
tap_like "the long sender is logged once with its length" \
    "$(grep -c "reject: sender address of ${#longfrom} bytes" "$log2")" '^1$'
tap_like "no reply was cut or dropped (no error logged)" "$(grep -c 'error:' "$log2")" '^0$'
# A text past MK_REPLY_TEXT_MAX cannot reach a refusal legally: the refusal
# stands without its reply, and the broken invariant is logged; never a cut.
out=$(su_probe '<overlong@example.org>' '<bob@example.com>')
tap_is "a refusal text past the bound: refused without a reply text, not cut" \
    "$(printf '%s\n' "$out" | sed -n 's/^RCPT <bob@example.com> => //p')" reject
wait_for grep -q "invariant broken" "$log2"
tap_like "... and the broken invariant is logged at error level with the length" \
    "$(grep 'invariant broken' "$log2")" \
    'error: SUPROBE: refusal 550 5\.7\.1: reply text of 401 octets, at most 400: invariant broken'
kill -TERM "$pid2"
( sleep 15; kill -KILL "$pid2" 2>/dev/null ) & dog=$!
wait "$pid2" 2>/dev/null
kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
pid2=

# What reaches the socket is not always an MTA: bad packets and silent
# clients are logged and dropped, and the milter goes on serving.
probe() {	# BYTES (python literal): closed | data | open
	python3 - "$sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(8)
s.sendall(eval(sys.argv[2]))
try:
    d = s.recv(100)
    print('closed' if d == b'' else 'data')
except socket.timeout:
    print('open')
EOF
}
tap_is "garbage: a packet length over the limit closes the connection" \
    "$(probe "b'\\x7f\\xff\\xff\\xffGARBAGE'")" closed
tap_like "garbage: the protocol error is logged with its cause" "$(cat "$log")" \
    "protocol error in command 'G': packet length 2147483647; connection closed"
tap_is "garbage: a command before option negotiation closes it" \
    "$(probe "b'\\x00\\x00\\x00\\x06M<a@b>'")" closed
t0=$(date +%s)
tap_is "silent client: closed after the timeout (2 s)" "$(probe "b''")" closed
tap_like "silent client: closed within 4 s" "$(( $(date +%s) - t0 ))" '^[2-4]$'
tap_like "silent client: logged" "$(cat "$log")" "no command for 2 s; connection closed"
tap_is "the milter serves on after bad clients" "$(scenario tm_accept)" 0

# ---- SIGHUP --------------------------------------------------------------
write_conf accept
kill -HUP "$pid"
if wait_for log_has "reloaded $conf"; then tap_ok "SIGHUP with a valid file logs reloaded"
else tap_fail "SIGHUP with a valid file logs reloaded" "$(tail -5 "$log")"; fi
tap_is "reloaded on_error=accept applies to new connections" "$(scenario tm_error accept)" 0

printf '[suppress]\nsocket = unix:%s\non_error = tempfail\nno_such_key = 1\n' "$sock" > "$conf"
kill -HUP "$pid"
if wait_for log_has "reload failed, keeping the running configuration: $conf:4: "; then
	tap_ok "SIGHUP with a broken file logs why with FILE:LINE"
else
	tap_fail "SIGHUP with a broken file logs why with FILE:LINE" "$(tail -5 "$log")"
fi
tap_is "broken reload keeps the old configuration (on_error=accept)" \
    "$(scenario tm_error accept)" 0
tap_check "milter still running after a broken reload" kill -0 "$pid"

# ---- SIGTERM -------------------------------------------------------------
kill -TERM "$pid"
rc=0
# wait returns the exit status; bounded by the watchdog below.
( sleep 15; kill -KILL "$pid" 2>/dev/null ) & dog=$!
wait "$pid"; rc=$?
kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
pid=
tap_is "SIGTERM stops the milter with exit 0" "$rc" 0
tap_check "socket removed at stop" test ! -e "$sock"
tap_check "pid file removed at stop" test ! -e "$pidfile"
if wait_for log_has "info: stopping" && sed -n "/info: stopping/,\$p" "$log" | grep -q "info: stopped"; then
	tap_ok "stop logged (after stopping)"
else
	tap_fail "stop logged (after stopping)" "log of $(stat -c %s "$log") bytes, ending:
$(tail -n 4 "$log" | tr -d '\000')"
fi

tap_done
