#!/bin/bash
# tests/unsubd/test_unsubd.sh - milterkit-unsubd over real HTTP (curl): the
# one-click POST writes one scoped entry and is idempotent, a GET shows a form
# and changes nothing, bad tokens and parameters, methods, sizes, the rate
# limit, a store that cannot be opened, -t, SIGHUP (good and bad files),
# SIGTERM, and a unix socket. As root the daemon drops to nobody, the owner
# of the store; as another user it stays that user. The store is inspected
# with `milterkit suppress list`. Loopback only; every process started here
# is stopped by its pid; every wait is bounded.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"	# wait_for

UD="$top_builddir/unsubd/milterkit-unsubd"
MK="$top_builddir/tools/milterkit"
MKTOKEN="$top_builddir/tests/lib/mktoken"
PY=/usr/bin/python3
for x in "$UD" "$MK" "$MKTOKEN"; do [ -x "$x" ] || tap_bail "$x not built"; done
command -v curl >/dev/null || tap_bail "curl not installed"
[ -x "$PY" ] || tap_bail "$PY not found"

tap_watchdog 180
dir=$(mktemp -d /tmp/mk_unsubd.XXXXXX) || tap_bail "mktemp failed"
pids=
cleanup() {
	local p
	[ "$BASHPID" = "$$" ] || return 0
	for p in $pids; do
		kill -0 "$p" 2>/dev/null || continue
		kill -TERM "$p" 2>/dev/null
		sleep 1
		kill -KILL "$p" 2>/dev/null
	done
	kill "$tap_watchdog_pid" 2>/dev/null
	chmod -R u+rwx "$dir" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

if [ "$(id -u)" = 0 ]; then
	run_as=nobody
	chown nobody "$dir"
else
	run_as=
fi
chmod 0755 "$dir"

key="$dir/unsub.key"
head -c 32 /dev/urandom | base64 > "$key"
chmod 0600 "$key"
[ -n "$run_as" ] && chown "$run_as" "$key"

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf="$dir/milterkit.conf"
log="$dir/log"
pidfile="$dir/unsubd.pid"

# write_conf FILE RATE [EXTRA [unsubd] LINES...]
write_conf() {
	local f=$1 rate=$2
	shift 2
	{
		printf '[store]\npath = %s\nmap_size = 64M\n\n' "$dir/store"
		printf '[log]\nlevel = debug\n\n'
		printf '[headers]\nunsubscribe_secret_file = %s\n\n' "$key"
		printf '[unsubd]\nsocket = inet:%s@127.0.0.1\nuser = %s\n' \
		    "$port" "$run_as"
		printf 'pidfile = %s\nmax_body = 256\nmax_rate = %s\ntimeout = 1\n' \
		    "$pidfile" "$rate"
		printf '%s\n' "$@"
	} > "$f.new"
	mv "$f.new" "$f"
}

log_has() { grep -Eq -- "$1" "${2:-$log}"; }
log_count() { grep -Ec -- "$1" "${2:-$log}"; }
# code ARGS...: the HTTP status of one curl request
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }
list() { "$MK" -c "$conf" suppress list 2>&1; }

# stop PID: SIGTERM, bounded wait; the exit status in stop_rc.
stop() {
	local p=$1 dog
	pids=${pids/ $p/}
	kill -TERM "$p"
	( sleep 15; kill -KILL "$p" 2>/dev/null ) & dog=$!
	wait "$p"; stop_rc=$?
	kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
}

RCPT='Bob+news@Example.COM'
RENC='Bob%2Bnews%40Example.COM'
DOM=example.org
TOK=$("$MKTOKEN" unsub "$key" "$RCPT" "$DOM") || tap_bail "mktoken failed"
BASE="http://127.0.0.1:$port"
URL="$BASE/unsubscribe?d=$DOM&r=$RENC&t=$TOK"
BADURL="$BASE/unsubscribe?d=$DOM&r=$RENC&t=$("$MKTOKEN" unsub "$key" carol@example.com "$DOM")"
ONE='List-Unsubscribe=One-Click'

# ---- -t ----------------------------------------------------------------------
write_conf "$conf" 1000
out=$("$UD" -t -c "$conf" 2>&1); rc=$?
tap_is "-t accepts a good configuration (exit 0)" "$rc" 0

write_conf "$dir/bad.conf" 1000 "threads = many"
out=$("$UD" -t -c "$dir/bad.conf" 2>&1); rc=$?
tap_is "-t refuses a bad [unsubd] value (exit 2)" "$rc" 2
tap_like "-t names FILE:LINE of the bad key" "$out" "^$dir/bad.conf:18: "

write_conf "$dir/bad2.conf" 1000 "colour = blue"
out=$("$UD" -t -c "$dir/bad2.conf" 2>&1); rc=$?
tap_like "-t refuses an unknown [unsubd] key with FILE:LINE (exit 2)" \
    "$rc:$out" "^2:$dir/bad2.conf:18: "

sed "s|^unsubscribe_secret_file = .*|unsubscribe_secret_file = $dir/nokey|" \
    "$conf" > "$dir/nokey.conf"
out=$("$UD" -t -c "$dir/nokey.conf" 2>&1); rc=$?
tap_like "-t refuses a missing key file (exit 2, names it)" "$rc:$out" \
    "^2:.*$dir/nokey"

# ---- start on loopback ---------------------------------------------------------
"$UD" -f -c "$conf" 2> "$log" &
pid=$!
pids="$pids $pid"
wait_for log_has "started milterkit-unsubd" ||
    tap_bail "the daemon did not start: $(cat "$log")"
tap_ok "started on inet:$port@127.0.0.1"
wait_for test -s "$pidfile"
tap_is "pid file names the daemon" "$(cat "$pidfile" 2>/dev/null)" "$pid"
if [ -n "$run_as" ]; then
	uid=$(awk '/^Uid:/ { print $2 ":" $3 ":" $4 }' "/proc/$pid/status")
	tap_is "runs as nobody (real:effective:saved uid)" "$uid" \
	    "65534:65534:65534"
else
	tap_ok "runs as $(id -un) (not root: no privilege drop) # SKIP"
fi

# ---- GET: a form, nothing written --------------------------------------------
page=$(curl -s -m 10 -w '\n%{http_code}' "$URL")
tap_like "GET with a valid token: 200" "$page" '200$'
tap_like "... a page with a form posting the one-click pair" "$page" \
    '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
tap_is "... and the store is unchanged (still empty)" "$(list)" ""
tap_is "HEAD with a valid token: 200" "$(code -I "$URL")" 200
wait_for log_has "unsubscribe rcpt=<$RCPT> scope=$DOM client=127.0.0.1 result=confirm"
tap_ok "GET logged as result=confirm"

# ---- POST: one scoped entry, idempotent ------------------------------------------
tap_is "POST with a valid token: 200" \
    "$(code -X POST --data "$ONE" "$URL")" 200
l1=$(list)
tap_like "one entry: scope $DOM, normalized recipient, reason unsubscribe, never expires" \
    "$l1" "^$DOM	bob\+news@example\.com	unsubscribe	[0-9T:Z-]+	never	one-click$"
tap_is "... exactly one" "$(printf '%s\n' "$l1" | grep -c .)" 1
wait_for log_has "unsubscribe rcpt=<$RCPT> scope=$DOM client=127.0.0.1 result=added"
tap_ok "POST logged as result=added"

sleep 1.1	# a second write would show another created time
tap_is "the same POST again: 200" "$(code -X POST --data "$ONE" "$URL")" 200
tap_is "... the entry is unchanged (one entry, same created time)" \
    "$(list)" "$l1"
wait_for log_has "result=already"
tap_ok "... logged as result=already"
tap_is "multipart/form-data POST: 200" \
    "$(code -X POST -F "List-Unsubscribe=One-Click" "$URL")" 200
tap_is "GET after the POST: 200, store unchanged" \
    "$(code "$URL"):$(list)" "200:$l1"

# ---- refusals ---------------------------------------------------------------------
tap_is "GET with another recipient's token: 403" "$(code "$BADURL")" 403
tap_is "POST with another recipient's token: 403" \
    "$(code -X POST --data "$ONE" "$BADURL")" 403
tap_is "... nothing written" "$(list)" "$l1"
wait_for log_has "unsubscribe rcpt=<$RCPT> scope=$DOM client=127.0.0.1 result=bad-token"
tap_ok "bad token logged as result=bad-token"
tap_is "missing t: 400" "$(code "$BASE/x?d=$DOM&r=$RENC")" 400
tap_is "d given twice: 400" "$(code "$URL&d=example.net")" 400
tap_is "no query at all: 400" "$(code "$BASE/")" 400
wait_for log_has "result=bad-param why=parameter missing"
tap_ok "missing parameter logged as result=bad-param"
tap_is "POST without the one-click pair: 400" \
    "$(code -X POST --data "List-Unsubscribe=No" "$URL")" 400
hdrs=$(curl -s -m 10 -D - -o /dev/null -X PUT --data "$ONE" "$URL")
tap_like "PUT: 405" "$hdrs" '^HTTP/1.1 405'
tap_like "... with Allow" "$hdrs" 'Allow: GET, HEAD, POST'
big=$(head -c 1000 /dev/zero | tr '\0' a)
tap_is "POST body over max_body (Content-Length): 413" \
    "$(code -X POST --data "$ONE&pad=$big" "$URL")" 413
tap_is "POST body over max_body (chunked): 413" \
    "$(code -X POST -H 'Transfer-Encoding: chunked' --data "$ONE&pad=$big" "$URL")" 413
tap_is "a query of 2 KiB of junk: 400, no crash" \
    "$(code "$BASE/?r=$(head -c 2000 /dev/zero | tr '\0' '%')")" 400
tap_is "... the daemon still serves" "$(code "$URL")" 200
c=$(code -H "X-Junk: $(head -c 40000 /dev/zero | tr '\0' a)" "$URL")
tap_like "a 40 KiB header field (max_header 32k): refused (431 or 413)" "$c" \
    '^(431|413)$'
# timeout = 1: a client that sends half a request line is dropped.
timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'GET /?d=' >&3;
    cat <&3 >/dev/null"
tap_is "an idle half-sent request is dropped after timeout (1 s)" "$?" 0
tap_is "... the daemon still serves" "$(code "$URL")" 200

# ---- store trouble: 503, then the click works again -------------------------------
mv "$dir/store" "$dir/store.away"
: > "$dir/store"
hdrs=$(curl -s -m 10 -D - -o /dev/null -X POST --data "$ONE" "$URL")
tap_like "store path is a file: POST 503" "$hdrs" '^HTTP/1.1 503'
tap_like "... with Retry-After" "$hdrs" 'Retry-After: [0-9]+'
wait_for log_has "result=store-error why=cannot open store"
tap_ok "... logged as result=store-error with the cause"
rm -f "$dir/store"
mv "$dir/store.away" "$dir/store"
tap_is "store back: the click works again (200)" \
    "$(code -X POST --data "$ONE" "$URL")" 200

# ---- SIGHUP: a low rate, then a bad file -------------------------------------------
write_conf "$conf" 3
kill -HUP "$pid"
wait_for log_has "reloaded $conf" || tap_fail "reload logged" "$(tail "$log")"
codes=$(for i in $(seq 1 20); do code "$URL"; echo; done | sort | uniq -c)
tap_like "max_rate = 3 (after SIGHUP): a burst of 20 gets some 429" "$codes" \
    ' 429$'
tap_like "... and some 200" "$codes" ' 200$'
# The bucket refills meanwhile: ask until a 429 comes (bounded).
hdrs=
for i in $(seq 1 20); do
	h=$(curl -s -m 10 -D - -o /dev/null "$URL")
	case $h in *" 429 "*) hdrs=$h; break ;; esac
done
tap_like "... 429 carries Retry-After" "$hdrs" 'Retry-After: 1'
sleep 1.5
write_conf "$conf" 1000 "max_body = huge"	# max_rate 1000, if it applied
kill -HUP "$pid"
wait_for log_has "reload failed, keeping the running configuration: $conf:"
tap_ok "SIGHUP with a bad file: reload failed, logged with FILE:LINE"
tap_is "... and it keeps serving" "$(code "$URL")" 200
# The bad file asked for max_rate 1000: any 429 in 20 shows the old 3/s.
n=$(for i in $(seq 1 20); do code "$URL"; echo; done | grep -c 429)
if [ "$n" -ge 1 ]; then tap_ok "... with the old configuration (max_rate 3: $n of 20 got 429)"
else tap_fail "... with the old configuration (max_rate 3 still)" "no 429 in 20"; fi
sleep 1.5

# ---- SIGTERM ---------------------------------------------------------------------
stop "$pid"
tap_is "SIGTERM: exit 0" "$stop_rc" 0
tap_is "... pid file removed" "$(test -e "$pidfile" && echo left)" ""

# ---- a unix socket ------------------------------------------------------------------
write_conf "$conf" 1000
sock="$dir/unsubd.sock"
"$UD" -f -c "$conf" -p "unix:$sock" -P "$dir/u.pid" 2> "$dir/ulog" &
upid=$!
pids="$pids $upid"
wait_for log_has "started milterkit-unsubd" "$dir/ulog" ||
    tap_bail "the unix-socket daemon did not start: $(cat "$dir/ulog")"
tap_is "unix socket created, mode 0660" "$(stat -c %a "$sock" 2>/dev/null)" 660
T2=$("$MKTOKEN" unsub "$key" dan@example.com example.net)
tap_is "POST over the unix socket: 200" \
    "$(code --unix-socket "$sock" -X POST --data "$ONE" \
    "http://localhost/u?t=$T2&d=example.net&r=dan%40example.com")" 200
tap_like "... the entry is there" "$(list)" \
    "example.net	dan@example.com	unsubscribe"
wait_for log_has "rcpt=<dan@example.com> scope=example.net client=unix result=added" "$dir/ulog"
tap_ok "... logged with client=unix"
tap_is "X-Real-IP of the proxy logged as fwd=" \
    "$(code --unix-socket "$sock" -H 'X-Real-IP: 203.0.113.9' \
    "http://localhost/u?t=$T2&d=example.net&r=dan%40example.com")" 200
wait_for log_has "client=unix fwd=203.0.113.9 result=confirm" "$dir/ulog"
tap_ok "... client=unix fwd=203.0.113.9"
stop "$upid"
tap_is "SIGTERM: exit 0, socket removed" \
    "$stop_rc:$(test -e "$sock" && echo left)" "0:"
# ---- no key yet (a package starts it unconfigured): 503, never a pass ------
write_conf "$conf" 1000
sed -i "s|^unsubscribe_secret_file = .*|unsubscribe_secret_file =|" "$conf"
"$UD" -f -c "$conf" -p "unix:$sock" -P "$dir/u.pid" 2> "$dir/klog" &
kpid=$!
pids="$pids $kpid"
wait_for log_has "started milterkit-unsubd" "$dir/klog" ||
    tap_bail "the daemon without a key did not start: $(cat "$dir/klog")"
tap_like "without [headers] unsubscribe_secret_file it starts, with a warning" \
    "$(cat "$dir/klog")" "unsubscribe_secret_file is not set"
before=$(list)
tap_is "... and answers a one-click POST 503" \
    "$(code --unix-socket "$sock" -X POST --data "$ONE" \
    "http://localhost/u?t=$T2&d=example.net&r=erin%40example.com")" 503
wait_for log_has "rcpt=<erin@example.com> .*result=no-key" "$dir/klog"
tap_is "... logged as no-key, the store unchanged" \
    "$(log_count 'result=no-key' "$dir/klog"):$(list)" "1:$before"
stop "$kpid"
tap_is "no crash in either log" \
    "$(grep -Ec 'panic|AddressSanitizer|runtime error' "$log" "$dir/ulog" | \
    awk -F: '{ s += $NF } END { print s }')" 0
tap_done
