#!/bin/bash
# tests/e2e/test_lab.sh - self-test of the end-to-end lab (tests/e2e/lab.sh).
#
# Starts a private Postfix on loopback and checks what later tests rely on:
# delivery to the sink with the envelope intact, per-recipient replies, a dead
# milter turning into 451, XCLIENT LOGIN reaching a policy service as
# sasl_username, a policy reply reaching the client, and a clean stop that
# leaves the system Postfix alone.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"

tap_plan 15

# The whole file is bounded: a watchdog ends it (and the EXIT trap stops the lab).
TEST_TIMEOUT=${TEST_TIMEOUT:-60}
tap_watchdog "$TEST_TIMEOUT"
watchdog=$tap_watchdog_pid
lab_at_exit 'kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null'
lab_at_exit '[ -z "${policy_pid:-}" ] || { kill "$policy_pid"; wait "$policy_pid"; } 2>/dev/null'
trap 'kill "$watchdog" 2>/dev/null' EXIT

# Masters that are not ours: their environment (readable: not a process in
# the middle of exec or exit) has no MAIL_CONFIG, or the system's. Labs of other
# tests running at the same time carry their own MAIL_CONFIG.
foreign_masters() {
	local f p env
	for f in /proc/[0-9]*/comm; do
		[ "$({ cat "$f"; } 2>/dev/null)" = master ] || continue
		p=${f#/proc/}; p=${p%/comm}
		env=$({ tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null) || continue
		[ -n "$env" ] || continue
		case $(printf '%s\n' "$env" | grep '^MAIL_CONFIG=') in
		'' | MAIL_CONFIG=/etc/postfix | MAIL_CONFIG=/etc/postfix/) echo "$p" ;;
		esac
	done | sort -n
}
system_state() {
	find /etc/postfix -exec stat -c '%n %a %U %G %s %Y' {} + 2>/dev/null | sort
	find /etc/postfix -type f -exec md5sum {} + 2>/dev/null | sort
}
masters_before=$(foreign_masters)
system_before=$(system_state)

# 1. start
if lab_start; then
	tap_like "lab starts and smtpd greets with 220" "$(lab_banner)" '^220 '
else
	tap_bail "lab_start failed"
fi

# 2-4. two recipients, accepted, captured with envelope and body
token="lab-body-$RANDOM-$$"
lab_send --to one@example.test,two@example.test --body "$token"
tap_like "message to two recipients is accepted (250 after DATA)" \
	"$(lab_reply_for .)" '^250 '
lab_wait_sink 1 15
tap_is "sink has both recipients in X-Rcpt-Args" \
	"$(lab_sink_rcpts 1 | sort | tr '\n' ' ')" "one@example.test two@example.test "
msg=$(lab_sink_message 1)
tap_check "body reaches the sink intact" grep -qxF "$token" "$msg"

# 5-7. a recipient rejected by Postfix itself, the other one delivered
printf 'blocked@example.test 550 5.7.1 blocked by the lab\n' >"$LAB_DIR/rcpt_access"
lab_postconf "smtpd_recipient_restrictions = check_recipient_access texthash:$LAB_DIR/rcpt_access, permit_mynetworks, reject_unauth_destination"
lab_reload
lab_send --to ok@example.test,blocked@example.test
tap_like "rejected recipient gets 550" \
	"$(lab_reply_for 'RCPT TO:<blocked@example.test>')" '^550 5\.7\.1 '
tap_like "other recipient of the same message gets 250, message queued" \
	"$(lab_reply_for 'RCPT TO:<ok@example.test>') / $(lab_reply_for .)" '^250 .* / 250 '
lab_wait_sink 2 15
tap_is "only the accepted recipient reaches the sink" "$(lab_sink_rcpts 2)" "ok@example.test"

# 8-9. a milter socket where nothing listens: 451, nothing delivered
lab_postconf "smtpd_milters = unix:$LAB_DIR/no-milter.sock"
lab_reload
lab_send --to milter@example.test
tap_like "dead milter: client is told 451" \
	"$(lab_reply_for 'MAIL FROM:<sender@example.test>')" '^451 '
sleep 1
if lab_queue_empty 5 && [ "$(lab_sink_count)" -eq 2 ]; then
	tap_ok "dead milter: nothing reaches the sink"
else
	tap_fail "dead milter: nothing reaches the sink" "sink: $(lab_sink_count); queue: $(find "$LAB_DIR/queue" -type f | wc -l)"
fi

# 10-13. XCLIENT LOGIN reaches a policy service as sasl_username; policy replies
# reach the client
/usr/bin/python3 "$top_srcdir/tests/e2e/policy_recorder.py" \
	"$LAB_DIR/policy.sock" "$LAB_DIR/policy.log" &
policy_pid=$!
for i in $(seq 1 50); do [ -S "$LAB_DIR/policy.sock" ] && break; sleep 0.1; done
lab_postconf "smtpd_milters =" \
	"smtpd_recipient_restrictions = check_policy_service unix:$LAB_DIR/policy.sock, permit_mynetworks, reject_unauth_destination"
lab_reload
lab_send --xclient "LOGIN=alice" --to xclient@example.test
tap_like "XCLIENT LOGIN=alice is accepted from loopback" \
	"$(lab_reply_for 'XCLIENT LOGIN=alice')" '^220 '
lab_wait_sink 3 15
tap_is "message sent after XCLIENT reaches the sink" "$(lab_sink_rcpts 3)" "xclient@example.test"
tap_like "policy service sees sasl_username=alice" \
	"$(grep -x 'sasl_username=alice' "$LAB_DIR/policy.log" 2>/dev/null)" '^sasl_username=alice$'
lab_send --to defer@example.test
tap_like "policy reply reaches the client (450 at RCPT)" \
	"$(lab_reply_for 'RCPT TO:<defer@example.test>')" '^450 4\.7\.1 .*policy says later'

# 14. stop: nothing of the instance left, by pid and by MAIL_CONFIG
conf=$LAB_CONF
master=$({ tr -dc 0-9 <"$LAB_DIR/data/master.lock"; } 2>/dev/null)
pids=$(lab_pids | tr '\n' ' ')
sink=$LAB_SINK_PID
lab_stop
left=
for p in $pids $master $sink; do [ -d "/proc/$p" ] && left="$left $p"; done
for f in /proc/[0-9]*/environ; do
	{ tr '\0' '\n' <"$f"; } 2>/dev/null | grep -qxF "MAIL_CONFIG=$conf" && left="$left ${f//[!0-9]/}"
done
if [ -n "$master" ] && [ -n "$pids" ] && [ -z "$left" ]; then
	tap_ok "lab_stop leaves no process of the instance behind"
else
	tap_fail "lab_stop leaves no process of the instance behind" "master=$master pids=$pids left=$left"
fi

# 15. the system Postfix was not touched
# A master of another lab caught mid-exec is transient: look twice.
[ "$(foreign_masters)" = "$masters_before" ] || sleep 1
if [ "$(foreign_masters)" = "$masters_before" ] && [ "$(system_state)" = "$system_before" ]; then
	tap_ok "system Postfix untouched (no foreign master started, /etc/postfix unchanged)"
else
	tap_fail "system Postfix untouched" "masters before: $masters_before; now: $(foreign_masters)"
fi
