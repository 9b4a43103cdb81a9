#!/usr/bin/env bash
# scripts/quickstart.sh - bring milterkit up on a Debian 12 machine (as root) and
# show it working: builds it, fills a suppression store with the milterkit
# command, asks it which recipients would be rejected, then starts a private
# Postfix on loopback (the test lab; the system's Postfix is not touched) with
# milterkit-chain (the suppress and headers filters) as its one milter, sends
# a message through it and shows what arrived: a suppressed recipient refused,
# the others delivered with their headers standardized; then rate limits
# (milterkit-policyd) and the feedback loop: a bounce, through the returnpath
# filter and `milterkit ingest`, becomes a suppression. Everything it starts
# is stopped, by pid, when it ends.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-quickstart

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || true; }

step "installing what is missing (apt-get)"
"$top/scripts/deps.sh"

step "building"
cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q --enable-werror
make -j2 >/dev/null
mk() { "$build/tools/milterkit" --store "$store" "$@"; }
export PATH="$build/tools:$PATH"

store=$(mktemp -d /tmp/milterkit-quickstart.XXXXXX)
trap 'rm -rf "$store"' EXIT

step "a suppression store in $store"
show milterkit --store "$store" suppress add Bob@Example.COM --reason bounce
show milterkit --store "$store" suppress add @trap.example --reason manual --note "spam trap domain"
show milterkit --store "$store" suppress add carol@example.net --reason unsubscribe \
	--scope news.example.org --expires 180d
printf 'dave@example.org\nerin@xn--bcher-kva.example\nfrank@B\xc3\xbccher.example\n' >"$store/list.txt"
show milterkit --store "$store" suppress import "$store/list.txt" --reason complaint
show milterkit --store "$store" suppress list

step "which recipients would be rejected at RCPT"
for r in bob@example.com anyone@trap.example carol@example.net erin@bücher.example alice@example.com; do
	show milterkit --store "$store" suppress check "$r" --sender list@news.example.org
done
show milterkit --store "$store" suppress check carol@example.net --sender ceo@example.org
show milterkit --store "$store" store info

step "a private Postfix on loopback, milterkit-chain (suppress, headers) its one milter"
export top_srcdir=$top top_builddir=$build
set +e		# the lab library checks its own steps
# shellcheck source=/dev/null
. "$top/tests/lib/tap.sh"
# shellcheck source=/dev/null
. "$top/tests/e2e/lab.sh"
lab_start || exit 1
echo "Postfix listens on 127.0.0.1:$LAB_SMTP_PORT, the capture sink on 127.0.0.1:$LAB_SINK_PORT"
# The milter runs as nobody here (a package runs it as milterkit, the store's owner).
chown -R nobody "$store"
# One milter for both filters: Postfix pays for one milter connection per
# session instead of two. Each filter keeps its own section.
cat >"$LAB_DIR/milterkit.conf" <<CONF
[store]
path = $store
[headers]
feedback_id = %d:quickstart
[chain]
filters = suppress, headers
socket_mode = 0666
user = nobody
pidfile =
CONF
"$build/milters/chain/milterkit-chain" -f -c "$LAB_DIR/milterkit.conf" \
	-p "unix:$LAB_DIR/chain.sock" 2>"$LAB_DIR/chain.log" &
milter_pid=$!
lab_at_exit 'kill "$milter_pid" 2>/dev/null; wait "$milter_pid" 2>/dev/null'
for _ in $(seq 50); do [ -S "$LAB_DIR/chain.sock" ] && break; sleep 0.1; done
show cat "$LAB_DIR/milterkit.conf"
lab_postconf "smtpd_milters = unix:$LAB_DIR/chain.sock" "milter_default_action = tempfail"
lab_reload
echo "main.cf: smtpd_milters = unix:$LAB_DIR/chain.sock"

step "one message to three recipients, bob@example.com suppressed"
lab_send --to alice@example.com,bob@example.com,dave@example.net \
	--header "Subject: quickstart" --header "X-Originating-IP: [10.9.8.7]" \
	--body "hello"
echo "$LAB_LAST" | grep -E '^ *(->|<[-~*]+) *(MAIL|RCPT|DATA|\.$|[245][0-9][0-9] [0-9])'
lab_wait_sink 1 20 || true
echo
echo "the sink received the message for: $(lab_sink_rcpts 1 | tr '\n' ' ')"
echo "sent with an X-Originating-IP field; the delivered copy's header (headers"
echo "filter: that field removed, a Feedback-ID added):"
if delivered=$(lab_sink_message 1); then
	# One field at a time, without what the sink adds on top (X-Client-*,
	# X-*-Args and its own Received field).
	awk 'function out() {
		if (f !~ /^(X-(Client-[A-Za-z]+|[A-Za-z]+-Args):|$)/ && f !~ /by smtp-sink/)
			print f
		f = ""
	}
	/^$/ { exit } /^[ \t]/ { f = f "\n" $0; next } { out(); f = $0 } END { out() }' \
		"$delivered" | sed 's/^/  /'
fi
echo "the milter logged:"
grep -E 'reject|error|add |delete ' "$LAB_DIR/chain.log" | sed 's/^/  /'

step "a suppression added while everything runs takes effect at the next RCPT"
show milterkit --store "$store" suppress add alice@example.com --reason unsubscribe
lab_send --to alice@example.com
echo "RCPT TO:<alice@example.com> -> $(lab_reply_for 'RCPT TO:<alice@example.com>')"

step "milterkit-policyd: at most 2 messages an hour per sender"
cat >>"$LAB_DIR/milterkit.conf" <<CONF
[policyd]
socket_mode = 0666
user = nobody
pidfile =
[ratelimit per-sender]
key = sasl_username, sender
messages = 2/1h
CONF
show cat "$LAB_DIR/milterkit.conf"
"$build/policyd/milterkit-policyd" -f -c "$LAB_DIR/milterkit.conf" \
	-p "unix:$LAB_DIR/policyd.sock" 2>"$LAB_DIR/policyd.log" &
policyd_pid=$!
lab_at_exit 'kill "$policyd_pid" 2>/dev/null; wait "$policyd_pid" 2>/dev/null'
for _ in $(seq 50); do [ -S "$LAB_DIR/policyd.sock" ] && break; sleep 0.1; done
lab_postconf "smtpd_recipient_restrictions = check_policy_service unix:$LAB_DIR/policyd.sock, permit_mynetworks, reject_unauth_destination" \
	"smtpd_end_of_data_restrictions = check_policy_service unix:$LAB_DIR/policyd.sock"
lab_reload
for i in 1 2 3; do
	lab_send --from news@shop.example --to dave@example.net --header "Subject: offer $i"
	echo "message $i: RCPT -> $(lab_reply_for 'RCPT TO:<dave@example.net>')"
done
show milterkit -c "$LAB_DIR/milterkit.conf" ratelimit show news@shop.example
grep -E 'defer' "$LAB_DIR/policyd.log" | sed 's/^/  /'

step "the feedback loop: a bounce becomes a suppression"
# The returnpath filter joins the chain: MAIL FROM becomes a signed token
# on bounces.example.com, which Postfix hands to `milterkit ingest`
# through a pipe transport; a remote MX (refuser.py) refuses gone@.
head -c 32 /dev/urandom | base64 >"$LAB_DIR/returnpath.key"
chown nobody "$LAB_DIR/returnpath.key"
chmod 600 "$LAB_DIR/returnpath.key"
sed -i 's/^filters = suppress, headers$/filters = suppress, returnpath, headers/' "$LAB_DIR/milterkit.conf"
cat >>"$LAB_DIR/milterkit.conf" <<CONF
[returnpath]
domains = example.com
bounce_domain = bounces.%d
secret_file = $LAB_DIR/returnpath.key
[log]
target = file:$LAB_DIR/milterkit.log
CONF
: >"$LAB_DIR/milterkit.log"
chown nobody "$LAB_DIR/milterkit.log"
kill "$milter_pid" 2>/dev/null; wait "$milter_pid" 2>/dev/null
"$build/milters/chain/milterkit-chain" -f -c "$LAB_DIR/milterkit.conf" \
	-p "unix:$LAB_DIR/chain.sock" 2>"$LAB_DIR/chain.log" &
milter_pid=$!
for _ in $(seq 50); do [ -S "$LAB_DIR/chain.sock" ] && break; sleep 0.1; done
rport=$(lab__free_port)
python3 "$top/tests/e2e/refuser.py" "$rport" "$LAB_DIR/refuser.pid" "$LAB_DIR/refuser.log" \
	"gone=550 5.1.1 <gone@refuse.example>: Recipient address rejected: User unknown" &
lab_at_exit 'kill "$(cat "$LAB_DIR/refuser.pid" 2>/dev/null)" 2>/dev/null'
printf 'bounces.example.com milterkit-ingest:\nrefuse.example smtp:[127.0.0.1]:%s\n' "$rport" \
	>"$LAB_CONF/transport"
printf '%s\n  %s\n' 'milterkit-ingest unix - n n - - pipe' \
	"flags=Rq user=nobody argv=$build/tools/milterkit -c $LAB_DIR/milterkit.conf ingest --recipient \${original_recipient}" \
	>>"$LAB_CONF/master.cf"
lab_postconf "transport_maps = texthash:$LAB_CONF/transport"
lab_reload
show tail -2 "$LAB_CONF/master.cf"
show cat "$LAB_CONF/transport"
lab_send --from news@example.com --to gone@refuse.example --body "hello"
echo "RCPT TO:<gone@refuse.example> -> $(lab_reply_for 'RCPT TO:<gone@refuse.example>') (accepted: the remote MX will refuse it)"
for _ in $(seq 100); do
	milterkit --store "$store" suppress check gone@refuse.example >/dev/null 2>&1 && break
	sleep 0.2
done
echo "Postfix's bounce went to the rewritten return path, through the pipe, into ingest:"
grep -E 'ingest:' "$LAB_DIR/milterkit.log" | sed 's/^/  /'
show milterkit --store "$store" suppress check gone@refuse.example
lab_send --from news@example.com --to gone@refuse.example --body "hello again"
echo "the next message: RCPT TO:<gone@refuse.example> -> $(lab_reply_for 'RCPT TO:<gone@refuse.example>')"
lab_stop
