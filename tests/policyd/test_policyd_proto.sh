#!/bin/bash
# tests/policyd/test_policyd_proto.sh - milterkit-policyd over a real socket:
# the Postfix policy protocol (replies, pipelining, partial writes, 1,000
# connections, malformed requests), rate limits, SIGHUP, SIGTERM, -t and
# on_error with an unreadable store. The daemon is started by root, drops to
# nobody, listens on a unix socket in a temp dir (the on_error daemons on
# inet 127.0.0.1); tests/policyd/pdclient.py is the client. Loopback only;
# every process started here is stopped by its pid; every wait is bounded.
set -u
. "$top_srcdir/tests/lib/tap.sh"

PD="$top_builddir/policyd/milterkit-policyd"
PY=/usr/bin/python3
CLIENT="$top_srcdir/tests/policyd/pdclient.py"
[ -x "$PD" ] || tap_bail "$PD not built"
[ -x "$PY" ] || tap_bail "$PY not found"
[ "$(id -u)" = 0 ] || tap_bail "must run as root (privilege drop is tested)"

dir=$(mktemp -d /tmp/mk_policyd.XXXXXX) || tap_bail "mktemp failed"
pids=
cleanup() {
	local p
	# A subshell killed before it drops the inherited trap would run it too.
	[ "$BASHPID" = "$$" ] || return 0
	for p in $pids; do
		kill -0 "$p" 2>/dev/null || continue
		kill -TERM "$p" 2>/dev/null
		sleep 1
		kill -KILL "$p" 2>/dev/null
	done
	chmod -R u+rwx "$dir" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
# The daemon runs as nobody: it writes the store and removes its socket and
# pid file here.
chown nobody "$dir"
chmod 0755 "$dir"

sock="$dir/pd.sock"
pidfile="$dir/pd.pid"
log="$dir/log"
conf="$dir/milterkit.conf"
S="unix:$sock"

# write_conf FILE SOCKET STORE ON_ERROR TIMEOUT [RULES...]: RULES are lines.
write_conf() {
	local f=$1 s=$2 st=$3 oe=$4 to=$5
	shift 5
	{
		printf '[store]\npath = %s\nmap_size = 64M\n\n[log]\nlevel = debug\n\n' "$st"
		printf '[policyd]\nsocket = %s\nuser = nobody\npidfile = %s\n' "$s" "$f.pid"
		printf 'on_error = %s\ntimeout = %s\nmax_line = 512\nmax_attrs = 40\n\n' "$oe" "$to"
		printf '%s\n' "$@"
	} > "$f.new"
	mv "$f.new" "$f"
}

RULE_A=("[ratelimit per-sender]" "key = sender" "messages = 2/1h" \
    "text = slow down please")
RULE_B=("${RULE_A[@]}" "" "[ratelimit strict]" "key = sender" \
    "messages = 1/1h")

cli() { timeout 60 "$PY" "$CLIENT" "$@" 2>&1; }

. "$top_srcdir/tests/lib/daemon.sh"	# wait_for
log_has() { grep -Eq -- "$1" "${2:-$log}"; }

# start_pd CONF LOG: one more daemon in the foreground, its pid in p2 (and
# in pids, for the exit); bails out unless it says it started.
start_pd() {
	"$PD" -f -c "$1" 2> "$2" &
	p2=$!
	pids="$pids $p2"
	wait_for log_has "started milterkit-policyd" "$2" ||
	    tap_bail "the daemon of $1 did not start: $(cat "$2")"
}
log_count() { grep -Ec -- "$1" "${2:-$log}"; }

# stop PID: SIGTERM, bounded wait; the exit status in stop_rc. Not in a
# subshell: only the parent shell can wait for the daemon.
stop() {
	local p=$1 dog
	pids=${pids/ $p/}	# its pid may be reused once it is gone
	kill -TERM "$p"
	( sleep 15; kill -KILL "$p" 2>/dev/null ) & dog=$!
	wait "$p"; stop_rc=$?
	kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
}

EOM="protocol_state=END-OF-MESSAGE"
RCPT="protocol_state=RCPT"

mkdir -p "$dir/store" && chown nobody "$dir/store"

# ---- -t ------------------------------------------------------------------
write_conf "$conf" "$S" "$dir/store" dunno 300 "${RULE_A[@]}"
out=$("$PD" -t -c "$conf" 2>&1); rc=$?
tap_is "-t accepts a good configuration (exit 0)" "$rc" 0

write_conf "$dir/bad.conf" "$S" "$dir/store" dunno 300 "${RULE_A[@]}" \
    "[ratelimit broken]" "key = sender" "messages = lots/1h"
out=$("$PD" -t -c "$dir/bad.conf" 2>&1); rc=$?
tap_is "-t refuses a bad rule (exit 2)" "$rc" 2
tap_like "-t names FILE:LINE of the bad rule" "$out" "^$dir/bad.conf:23: "

# ---- start -----------------------------------------------------------------
# A low soft limit of open files: the daemon must raise it to the hard one.
( ulimit -Sn 256; exec "$PD" -f -c "$conf" -P "$pidfile" ) 2> "$log" &
pid=$!
pids="$pids $pid"
if wait_for test -S "$sock"; then tap_ok "socket created"
else tap_fail "socket created" "$(cat "$log")"; tap_bail "the daemon did not start"; fi
tap_is "socket mode is 0660" "$(stat -c %a "$sock" 2>/dev/null)" 660
wait_for test -s "$pidfile"
tap_is "pid file names the daemon" "$(cat "$pidfile" 2>/dev/null)" "$pid"
wait_for log_has "started milterkit-policyd"
uid=$(awk '/^Uid:/ { print $2 ":" $3 ":" $4 }' "/proc/$pid/status" 2>/dev/null)
tap_is "runs as nobody (real:effective:saved uid)" "$uid" "65534:65534:65534"
tap_is "no warning about root once it runs as nobody" \
    "$(grep -c 'running as root' "$log")" 0
lim=$(awk '/^Max open files/ { print ($4 == $5) ? "raised" : $4 "/" $5 }' \
    "/proc/$pid/limits" 2>/dev/null)
tap_is "soft limit of open files raised to the hard limit" "$lim" raised

# ---- replies and limits ----------------------------------------------------
tap_is "a request under the limit gets action=DUNNO" \
    "$(cli "$S" req "$RCPT" sender=alice@example.com instance=i.1 \
    client_address=192.0.2.7)" "action=DUNNO"

out=$(cli "$S" seq 3 "$EOM" sender=bob@example.com instance=b.%d \
    queue_id=QB%d recipient_count=1 client_address=192.0.2.8)
tap_is "messages = 2/1h: the third END-OF-MESSAGE is deferred" "$out" \
"action=DUNNO
action=DUNNO
action=DEFER 4.7.1 slow down please"
tap_is "... and the RCPT of a fourth message too" \
    "$(cli "$S" req "$RCPT" sender=bob@example.com instance=b.4)" \
    "action=DEFER 4.7.1 slow down please"
wait_for log_has "QB2: defer rule=per-sender key=bob@example.com messages 2/3600s used=2 client=192.0.2.8 sender=<bob@example.com> state=END-OF-MESSAGE"
tap_like "the defer is logged with queue id, rule, key, counts and client" \
    "$(cat "$log")" "QB2: defer rule=per-sender key=bob@example.com messages 2/3600s used=2 client=192.0.2.8 sender=<bob@example.com> state=END-OF-MESSAGE"

out=$(cli "$S" pipe 5 "$RCPT" sender=bob@example.com instance=p.%d -- \
    "$RCPT" sender=carol%d@example.com instance=p.%d)
tap_is "pipelined requests in one write are answered in order" "$out" \
"action=DEFER 4.7.1 slow down please
action=DUNNO
action=DEFER 4.7.1 slow down please
action=DUNNO
action=DEFER 4.7.1 slow down please"

tap_is "a request sent one byte at a time is answered" \
    "$(cli "$S" bytes "$RCPT" sender=dave@example.com instance=d.1)" \
    "action=DUNNO"

tap_is "1,000 concurrent connections each get their answer" \
    "$(cli "$S" many 1000 "$RCPT" sender=u%d@example.com instance=m.%d)" \
    "answered=1000 of 1000"

# ---- malformed requests ------------------------------------------------------
long=$(printf 'a%.0s' $(seq 1 600))
many=$(for i in $(seq 1 41); do printf 'x%d=1\\n' "$i"; done)
malformed() {	# DESC TEXT REASON
	local before out
	before=$(log_count "malformed request from")
	out=$(cli "$S" raw "$2")
	if [ "$out" = "closed without reply" ] &&
	    wait_for test "$(log_count "malformed request from local pid=[0-9]+: $3")" -gt 0 &&
	    [ "$(log_count "malformed request from")" -gt "$before" ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "client: $out; log: $(tail -3 "$log")"
	fi
}
malformed "over-long line: closed without reply, logged malformed" \
    "sender=$long\\n\\n" "line longer than 512 octets"
malformed "too many attributes: closed without reply, logged malformed" \
    "$many\\n" "more than 40 attributes"
malformed "garbage bytes: closed without reply, logged malformed" \
    '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\n\n' "NUL byte"
malformed "line without '=': closed without reply, logged malformed" \
    'protocol_state=RCPT\nsender alice@example.com\n\n' "line without '='"

# ---- a client leaving mid-request ------------------------------------------
before=$(grep -cvE 'debug:' "$log")
out=$(cli "$S" half "$RCPT" sender=erin@example.com instance=e.1)
tap_is "a client leaving mid-request does not disturb the next one" \
    "$(cli "$S" req "$RCPT" sender=frank@example.com instance=f.1)" "action=DUNNO"
tap_is "... and logs nothing above debug" "$(grep -cvE 'debug:' "$log")" "$before"

# ---- SIGHUP ------------------------------------------------------------------
write_conf "$conf" "$S" "$dir/store" dunno 300 "${RULE_B[@]}"
kill -HUP "$pid"
if wait_for log_has "reloaded $conf \(2 rules\)"; then tap_ok "SIGHUP with a valid file logs reloaded"
else tap_fail "SIGHUP with a valid file logs reloaded" "$(tail -5 "$log")"; fi
tap_is "the changed rules take effect (messages = 1/1h: second message deferred)" \
    "$(cli "$S" seq 2 "$EOM" sender=gina@example.com instance=g.%d recipient_count=1)" \
"action=DUNNO
action=DEFER 4.7.1 rate limit exceeded, try again later"

printf '[policyd]\nsocket = %s\n\n[ratelimit x]\nkey = sender\nmessages = 1/1h\nbogus = 1\n' \
    "$S" > "$conf"
kill -HUP "$pid"
if wait_for log_has "reload failed, keeping the running configuration: $conf:7: "; then
	tap_ok "SIGHUP with a bad file logs why with FILE:LINE"
else
	tap_fail "SIGHUP with a bad file logs why with FILE:LINE" "$(tail -5 "$log")"
fi
tap_is "the bad file keeps the old rules (strict still limits)" \
    "$(cli "$S" seq 2 "$EOM" sender=hank@example.com instance=h.%d recipient_count=1)" \
"action=DUNNO
action=DEFER 4.7.1 rate limit exceeded, try again later"

# ---- SIGTERM -------------------------------------------------------------------
stop "$pid"
tap_is "SIGTERM stops the daemon with exit 0" "$stop_rc" 0
tap_check "socket removed at stop" test ! -e "$sock"
tap_check "pid file removed at stop" test ! -e "$pidfile"
tap_like "stop logged" "$(tail -1 "$log")" "info: stopped"

# ---- user = empty: a daemon left running as root says so ---------------------
write_conf "$dir/root.conf" "unix:$dir/root.sock" "$dir/rootstore" dunno 2 "${RULE_A[@]}"
sed -i 's/^user = .*/user =/' "$dir/root.conf"
start_pd "$dir/root.conf" "$dir/root.log"
tap_like "user = empty as root: a warning says so" "$(cat "$dir/root.log")" \
    "warn: running as root: \[policyd\] user is empty; set user ="
stop "$p2"

# ---- on_error with an unreadable store; idle timeout; inet ---------------------
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mkdir -p "$dir/locked" && chmod 000 "$dir/locked"
for oe in dunno defer; do
	port=$(free_port)
	c2="$dir/$oe.conf"
	write_conf "$c2" "inet:$port@127.0.0.1" "$dir/locked" "$oe" 2 "${RULE_A[@]}"
	start_pd "$c2" "$dir/$oe.log"
	want="action=DUNNO"
	[ "$oe" = defer ] && want="action=DEFER 4.3.0 temporary local problem"
	tap_is "on_error = $oe with the store unreadable: $want" \
	    "$(cli "inet:$port@127.0.0.1" req "$EOM" sender=ivy@example.com \
	    instance=v.1 recipient_count=1)" "$want"
	tap_like "on_error = $oe: the cause is logged" "$(cat "$dir/$oe.log")" \
	    "error.*(Permission denied|permission).*on_error=$oe"
	# Said at start, before any request, and never "ready".
	tap_like "on_error = $oe: an unusable store is said at start: limits NOT enforced" \
	    "$(sed -n '/started milterkit-policyd/q;p' "$dir/$oe.log")" \
	    "error: cannot open the rate-limit store: .*rate limits are NOT enforced: every request gets on_error=$oe"
	tap_is "on_error = $oe: no \"engine ready\" with an unusable store" \
	    "$(grep -c 'rate-limit engine ready' "$dir/$oe.log")" 0
	if [ "$oe" = dunno ]; then
		tap_like "an idle connection is closed after timeout (2 s)" \
		    "$(cli "inet:$port@127.0.0.1" idle 8)" "^closed after ~[23] s$"
	fi
	stop "$p2"
	tap_is "on_error = $oe daemon stops with exit 0" "$stop_rc" 0
done

# ---- a full rate-limit map: every commit fails, the log stays short -----------
mkdir -p "$dir/fullstore" && chown nobody "$dir/fullstore"
write_conf "$dir/full.conf" "unix:$dir/full.sock" "$dir/fullstore" dunno 30 \
    "[ratelimit big]" "key = sender" "messages = 100/1h"
sed -i 's/^map_size = .*/map_size = 1M/' "$dir/full.conf"
start_pd "$dir/full.conf" "$dir/full.log"
tap_is "40,000 senders through a 1 MB map: every request answered (on_error)" \
    "$(timeout 120 "$PY" "$CLIENT" "unix:$dir/full.sock" seq 40000 "$EOM" \
    sender=u%d@example.com instance=f.%d recipient_count=1 | sort | uniq -c |
    sed 's/^ *//')" "40000 action=DUNNO"
tap_like "the full map is logged, naming map_size" "$(cat "$dir/full.log")" \
    "full \\(map_size 1048576\\): raise \\[store\\] map_size"
tap_like "but not once per request or commit: at most 4 error lines" \
    "$(grep -c 'error' "$dir/full.log")" '^[1-4]$'
stop "$p2"

tap_done
