#!/bin/bash
# bench/headers/run.sh - throughput of milterkit-headers, alone and behind
# Postfix.
#
#   run.sh [BUILD_DIR]          (default ./; run as root; builds nothing)
#
# Needs in BUILD_DIR: milters/headers/milterkit-headers,
# bench/milterload/milterload and bench/nullmilter/nullmilter (make
# bench-headers builds them first).
# Steps:
#  1. milterkit-headers in the foreground on a unix socket in a temp dir
#     under /var/tmp, default rules plus internal_networks = 10.0.0.0/8;
#  2. milterload: CONNS (default 16) connections, one recipient, a realistic
#     header block of 20 fields (From, To, Subject, Date, Message-ID, MIME
#     fields, List-Unsubscribe, eight Received...) and a 4 KiB body (the
#     milter negotiates the body away, so it is not sent), for SECONDS_LOAD
#     (default 10) seconds: messages/s and the p99 message round trip;
#  3. the Postfix lab (tests/e2e/lab.sh, bench/lib/labratio.sh): MESSAGES
#     (default 2,000) messages with smtp-source over SESSIONS (20)
#     sessions to three listeners of one Postfix, without a milter, with
#     the reference milter that does nothing (bench/nullmilter) and with
#     the headers socket, ROUNDS (5) times each in rotation; the medians
#     and their ratios (target: >= 0.9 without / with).
#     smtp-source's messages carry From, To, Date, Message-ID and Subject,
#     so the milter reads every header and changes nothing. Set LAB=0 to
#     skip this step.
# Everything started here is stopped by its pid; the temp dir is removed.
# Environment: CONNS, SECONDS_LOAD, MESSAGES, SESSIONS, ROUNDS, LAB,
# SOURCE_ARGS (more smtp-source options, e.g. -d), LAB_CHECK (the milter's
# check = for the lab step, with networks = 10.0.0.0/8: "networks" leaves
# the lab's client alone from CONNECT on), LAB_TMPFS (tmpfs size
# of the lab's run directory, default 2g; empty: on disk), KEEP=1 (keep
# the temp dir).
set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

BUILD=$(cd "${1:-.}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=$BUILD
export top_srcdir top_builddir
CONNS=${CONNS:-16}
SECONDS_LOAD=${SECONDS_LOAD:-10}
MESSAGES=${MESSAGES:-2000}
SESSIONS=${SESSIONS:-20}
LAB=${LAB:-1}
ROUNDS=${ROUNDS:-5}

MILTER=$BUILD/milters/headers/milterkit-headers
LOAD=$BUILD/bench/milterload/milterload
. "$top_srcdir/bench/lib/bench.sh"
bench_need "$MILTER" "$LOAD" "$BUILD/bench/nullmilter/nullmilter"
bench_root
bench_tmp headers
bench_machine

# ---- 1. the milter -------------------------------------------------------
sock=$tmp/headers.sock
cat > "$tmp/milterkit.conf" <<EOF
[log]
level = warn

[headers]
user =
pidfile =
socket_mode = 0666
internal_networks = 10.0.0.0/8
EOF
bench_milter "$sock" "$tmp/milterkit.conf" "$MILTER"

# ---- 2. milterload ---------------------------------------------------------
echo "== milterload: $CONNS connections, 1 rcpt/msg, 20 headers, 4096-byte body, ${SECONDS_LOAD} s"
"$LOAD" -s "unix:$sock" -c "$CONNS" -r 1 -H 20 -b 4096 -d "$SECONDS_LOAD" \
	-t 10 > "$tmp/load.out"
rc=$?
cat "$tmp/load.out"
[ $rc = 0 ] || { echo "run.sh: milterload failed ($rc)" >&2; exit 1; }
sum=$(grep '^summary ' "$tmp/load.out")
val() { printf '%s\n' "$sum" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
echo "RESULT msg_per_s=$(val msg_per_s) msg_p99_ms=$(val msg_p99_ms) messages=$(val messages)"
[ -s "$tmp/milter.log" ] && { echo "milter log (warn and above):"; head -5 "$tmp/milter.log"; }

[ "$LAB" = 1 ] || exit 0

# ---- 3. Postfix lab --------------------------------------------------------
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/bench/lib/labratio.sh"
if [ -n "${LAB_CHECK:-}" ]; then	# the lab's client, 127.0.0.1, is outside
	stop_milter
	printf 'check = %s\nnetworks = 10.0.0.0/8\n' "$LAB_CHECK" >>"$tmp/milterkit.conf"
	bench_milter "$sock" "$tmp/milterkit.conf" "$MILTER"
	echo "== lab with check = $LAB_CHECK, networks = 10.0.0.0/8: its client is left alone"
fi
lab_ratio milterkit-headers "$sock" "$mpid" || exit 1
