#!/bin/bash
# tests/e2e/test_sendmail_socket.sh - who Sendmail reaches a milter's unix
# socket as, with and without RunAsUser: what the manual pages' SENDMAIL
# sections say about socket_mode and socket_group.
#
# milterkit-suppress (user = nobody; a store with one suppressed address)
# behind the private Sendmail of tests/e2e/smlab.sh. The milter binds its
# socket as root before it drops to nobody, so the socket belongs to root
# and to the group of socket_group (else nobody's group, nogroup).
#  1. Default .cf, Sendmail as root: a socket of mode 0600 is reached; the
#     suppressed recipient is told 550 5.1.1 with Sendmail's "<addr>... "
#     prefix, and the process at the other end of the milter connection
#     (ss -xp while the session is open, its uid and groups from /proc) is
#     Sendmail's SMTP child as uid 0.
#  2. define(`confRUN_AS_USER', `daemon'): with the 0600 socket in place
#     Sendmail refuses to start ("local socket name ... unsafe: Permission
#     denied"); started while the socket is missing it only warns, and then
#     answers MAIL with 451 4.3.2 (F=T) for as long as the socket is 0600.
#     0666 is reached. The queue directory must belong to the RunAs user:
#     owned by root, every message fails at end of data (421 4.3.0,
#     "Cannot write ./df..."). socket_mode 0660 with socket_group = daemon
#     is reached, from a child of uid 1, gid 1 and no other group; a socket
#     directory the RunAs user cannot enter (0750 nobody:nogroup) gives 451
#     4.3.2 again, whatever the socket's own mode.
#  3. RunAsUser daemon:mail: only the group Sendmail runs as counts - 0660
#     with group mail is reached (gid 8, groups 8), group daemon (the user's
#     own primary group) is not.
#  4. A supplementary group of the RunAs user does not count either:
#     Sendmail drops it. daemon is made a member of a group created for the
#     test (groupadd -r; groupdel at exit): Sendmail starts with the socket
#     in that group (its start-up check accepts the membership) and then
#     answers MAIL with 451 4.3.2.
# Skipped when Sendmail cannot be fetched (no apt-get, no archive).
# Bounded to 120 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
E2E_MTA=sendmail
. "$top_srcdir/tests/e2e/mta.sh"	# and smlab.sh

MILTER="$top_builddir/milters/suppress/milterkit-suppress"
MK="$top_builddir/tools/milterkit"
[ -x "$MILTER" ] || tap_bail "$MILTER not built"
[ -x "$MK" ] || tap_bail "$MK not built"
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab, Sendmail and the privilege drop)"
command -v ss >/dev/null || tap_bail "ss (iproute2) is needed"
[ "$(id -u daemon 2>/dev/null):$(id -g daemon 2>/dev/null):$(getent group mail | cut -d: -f3)" = 1:1:8 ] ||
	tap_bail "the Debian system users are not as expected (daemon 1:1, group mail 8)"
mta_require

tap_plan 20

lab_test_start "${TEST_TIMEOUT:-120}"

SU=$(lab_daemon_dir su) || tap_bail "no daemon directory"
STORE=$SU/store
SOCK=$SU/suppress.sock
CONF=$SU/milterkit.conf
MLOG=$SU/milter.log
SOCK_RE=$(printf '%s' "$SOCK" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
"$MK" --store "$STORE" suppress add gone@example.test --reason bounce >/dev/null ||
	tap_bail "milterkit suppress add failed"
chown -R nobody "$STORE"	# LMDB readers write their slot in lock.mdb
# sm_start makes its files here; the queue made beforehand keeps its owner.
SMD=$LAB_DIR/sendmail
mkdir -p "$SMD/queue" || tap_bail "cannot make $SMD/queue"
REFUSED="550 5.1.1 <gone@example.test>... <gone@example.test>: recipient address suppressed (bounce)"
TEMPFAIL="451 4.3.2 Please try again later"

# start_milter MODE [GROUP]: (re)start the milter with socket_mode MODE and
# socket_group GROUP (empty: nobody's group).
start_milter() {
	lab_daemon_stop
	cat >"$CONF" <<EOF
[store]
path = $STORE

[suppress]
socket = unix:$SOCK
socket_mode = $1
socket_group = ${2:-}
user = nobody
pidfile =
EOF
	lab_daemon_start "$SOCK" "$MLOG" "$MILTER" -f -c "$CONF" ||
		tap_bail "the milter did not start: $(tail -3 "$MLOG")"
}

# start_sendmail [RUNAS]: (re)start Sendmail with one input milter, the socket,
# and RunAsUser=RUNAS when given; its start-up output in $SMD/sendmail.out.
start_sendmail() {
	sm_stop
	[ -f "$SMD/sendmail.out" ] && : >"$SMD/sendmail.out"
	SM_MC_EXTRA=${1:+"define(\`confRUN_AS_USER', \`$1')dnl"} sm_start "suppress=$SOCK"
}

# One message to ok1 and gone (in this shell: sm_send sets $SM_LAST); in
# $SENT, Sendmail's reply to MAIL, then to RCPT for gone (none when MAIL
# failed).
send() {
	sm_send --to ok1@example.test,gone@example.test "$@" >/dev/null
	SENT="$(sm_reply_for 'MAIL FROM:<sender@example.test>') | $(sm_reply_for 'RCPT TO:<gone@example.test>')"
}

# A session held open after RCPT TO:<gone>: Sendmail keeps its milter
# connection while the client is silent. sess_open (in this shell, not in
# $(...), which would close the connection) leaves the RCPT reply in
# $SESS_RCPT.
sess_read() {
	local line
	while IFS= read -r -t 10 line <&"$sess_fd"; do
		line=${line%$'\r'}
		case $line in
		[0-9][0-9][0-9]\ *) printf '%s' "$line"; return 0 ;;
		esac
	done
	return 1
}
sess_open() {
	SESS_RCPT=''
	exec {sess_fd}<>"/dev/tcp/127.0.0.1/$SM_PORT" || return 1
	sess_read >/dev/null &&
		printf 'EHLO client.example.test\r\n' >&"$sess_fd" && sess_read >/dev/null &&
		printf 'MAIL FROM:<sender@example.test>\r\n' >&"$sess_fd" && sess_read >/dev/null &&
		printf 'RCPT TO:<gone@example.test>\r\n' >&"$sess_fd" && SESS_RCPT=$(sess_read)
}
sess_close() {
	{ printf 'QUIT\r\n' >&"$sess_fd" && sess_read; } >/dev/null 2>&1
	exec {sess_fd}>&-
}

# Who is at the other end of the milter's connection on SOCK: the server
# side's peer inode, the process holding that inode (ss -xp), its ids.
peer() {
	local conns ino pid
	conns=$(ss -Hxp state established 2>/dev/null)
	ino=$(printf '%s\n' "$conns" | awk -v s="$SOCK" '$4 == s { print $7; exit }')
	[ -n "$ino" ] || { echo "no connection on $SOCK"; return; }
	pid=$(printf '%s\n' "$conns" | awk -v i="$ino" '$5 == i {
		if (match($0, /pid=[0-9]+/)) print substr($0, RSTART + 4, RLENGTH - 4); exit }')
	[ -n "$pid" ] || { echo "no process holds inode $ino"; return; }
	awk '/^Uid:/ { u = $2 } /^Gid:/ { g = $2 }
	     /^Groups:/ { $1 = ""; sub(/^ +/, ""); sub(/ +$/, ""); gr = $0 }
	     END { printf "uid=%s gid=%s groups=%s", u, g, gr }' "/proc/$pid/status"
	printf ' comm=%s' "$(cat "/proc/$pid/comm")"
	[ "$pid" = "$SM_PID" ] && printf ' (the daemon itself)'
	echo
}

# ---- 1. Sendmail as root (no RunAsUser) -----------------------------------------
start_milter 0600
tap_is "the milter's socket belongs to root (it binds before dropping to nobody), mode 0600" \
	"$(stat -c '%a %U:%G' "$SOCK")" "600 root:$(id -gn nobody)"
start_sendmail || tap_bail "Sendmail did not start"
sess_open
tap_is "as root, Sendmail reaches a 0600 socket: 550 with its <addr>... prefix" \
	"$SESS_RCPT" "$REFUSED"
tap_is "the milter's client is Sendmail's SMTP child, as root" "$(peer)" \
	"uid=0 gid=0 groups=0 comm=sendmail"
sess_close

# ---- 2. RunAsUser=daemon ------------------------------------------------------------
chown root "$SMD/queue"
start_sendmail daemon 2>/dev/null
tap_like "RunAsUser=daemon, 0600 socket in place: Sendmail refuses to start" \
	"$(cat "$SMD/sendmail.out")" \
	"sendmail\.cf: line [0-9]+: Xsuppress: local socket name $SOCK_RE unsafe: Permission denied"
tap_is "nothing of it is left: no process, no listener" \
	"[$(sm_pids "$SM_LAST_PID" | tr '\n' ' ')] $(ss -Hltn "sport = :$SM_PORT" | grep -c .)" "[] 0"

lab_daemon_stop
start_sendmail daemon || tap_bail "Sendmail did not start without the socket"
tap_like "started while the socket is missing, it only warns" \
	"$(cat "$SMD/sendmail.out")" "WARNING: Xsuppress: local socket name $SOCK_RE missing"
start_milter 0600
send
tap_is "then a 0600 socket: every MAIL gets 451 4.3.2 (F=T)" "$SENT" "$TEMPFAIL | "
start_milter 0666
send
tap_is "0666 is reached: 550 with the prefix" "$SENT" \
	"250 2.1.0 <sender@example.test>... Sender ok | $REFUSED"
tap_like "with the queue directory root's, the message fails at end of data" \
	"$(sm_reply_for .)" \
	'^421 4\.3\.0 collect: Cannot write \./df[0-9A-Za-z]+ \(bfcommit, uid=1, gid=1\): Permission denied$'

chown daemon "$SMD/queue"
start_sendmail daemon || tap_bail "Sendmail did not start as daemon"
token="smsock-$RANDOM-$$"
send --body "$token"
tap_like "with the queue directory daemon's, the message is accepted" \
	"$(sm_reply_for .)" '^250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery$'
lab_wait_sink 1 15
tap_is "it reaches the sink, for ok1 only" \
	"$(lab_sink_rcpts 1 | tr '\n' ' ')$(grep -c "$token" "$(lab_sink_message 1)")" "ok1@example.test 1"

start_milter 0660 daemon
sess_open
tap_is "0660 with socket_group = daemon is reached" "$SESS_RCPT" "$REFUSED"
tap_is "the milter's client: uid 1, gid 1, no other group" "$(peer)" \
	"uid=1 gid=1 groups=1 comm=sendmail"
sess_close
chgrp "$(id -gn nobody)" "$SU" && chmod 0750 "$SU"
send
tap_is "a socket directory daemon cannot enter (0750 nobody:nogroup): 451 4.3.2" \
	"$SENT" "$TEMPFAIL | "
chown nobody:"$(id -gn nobody)" "$SU" && chmod 0755 "$SU"

# ---- 3. RunAsUser=daemon:mail ---------------------------------------------------------
start_milter 0660 mail
start_sendmail daemon:mail || tap_bail "Sendmail did not start as daemon:mail"
sess_open
tap_is "RunAsUser=daemon:mail, socket 0660 root:mail is reached" "$SESS_RCPT" "$REFUSED"
tap_is "the milter's client: uid 1, gid 8, no other group" "$(peer)" \
	"uid=1 gid=8 groups=8 comm=sendmail"
sess_close
start_milter 0660 daemon
send
tap_is "socket 0660 root:daemon (the user's own group, not the RunAs group): 451 4.3.2" \
	"$SENT" "$TEMPFAIL | "

# ---- 4. a supplementary group ------------------------------------------------------
# daemon becomes a member of a group made for the test (removed at exit,
# with the membership).
supp_group=mkts$$
if groupadd -r "$supp_group" 2>"$SMD/groupadd.err" && usermod -a -G "$supp_group" daemon; then
	lab_at_exit "groupdel '$supp_group' 2>/dev/null"
else
	tap_bail "cannot make the test group $supp_group: $(cat "$SMD/groupadd.err")"
fi
sm_stop
chown daemon "$SMD/queue"
start_milter 0660 "$supp_group"
if start_sendmail daemon; then
	tap_ok "RunAsUser=daemon starts with the socket 0660 root:$supp_group in place (a group daemon is a member of)"
else tap_fail "RunAsUser=daemon starts with the socket 0660 root:$supp_group in place" \
	"$(cat "$SMD/sendmail.out")"; fi
send
tap_is "but Sendmail drops that supplementary group: 451 4.3.2" "$SENT" "$TEMPFAIL | "

# ---- stopped by pid ----------------------------------------------------------------
sm_stop
tap_is "nothing of Sendmail is left" \
	"[$(sm_pids "$SM_LAST_PID" | tr '\n' ' ')] $(ss -Hltn "sport = :$SM_PORT" | grep -c .)" "[] 0"
