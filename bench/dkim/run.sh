#!/bin/bash
# bench/dkim/run.sh - milterkit-dkim: signer CPU per message (RSA-2048,
# Ed25519, dual) and, behind Postfix, throughput against OpenDKIM and
# rspamd signing with the same key.
#
#   run.sh [BUILD_DIR]          (default ./; run as root; builds nothing)
#
# Needs in BUILD_DIR: milters/dkim/milterkit-dkim, bench/milterload/milterload
# and bench/nullmilter/nullmilter (make bench-dkim builds them first); for
# the lab the opendkim and rspamd packages, installed here with apt-get
# when absent (INSTALL=0: fail instead).
# Steps:
#  1. keys in a temp dir under /var/tmp: one RSA-2048 (selector rsa1) and
#     one Ed25519 (ed1), and a signing table: rsa.bench.test signs with the
#     RSA key, ed.bench.test with the Ed25519 key, dual.bench.test with
#     both (two signatures in one pass); nokey.bench.test has no line;
#  2. signer CPU: milterkit-dkim with threads = 1 and [log] level = info
#     (its one line per signature), under milterload: CONNS (16)
#     connections, 20 header fields, a 4050-byte body (50 whole CRLF
#     lines), SECONDS_LOAD (10) seconds per From domain: nokey (the milter
#     protocol alone, nothing signed), rsa, ed, dual. For each, the
#     daemon's CPU (utime + stime of /proc/PID/stat, before and after) per
#     message, its "sign d=" log lines and the DKIM-Signature inserts
#     milterload saw, which must both equal messages x signatures; targets
#     RSA <= 0.40 ms and Ed25519 <= 0.12 ms per message (the whole
#     process: protocol, logging and signing);
#  3. the Postfix lab (tests/e2e/lab.sh, bench/lib/labratio4.sh): MESSAGES
#     (2,000) messages From news@rsa.bench.test (smtp-source -f; its From:
#     header is the sender) over SESSIONS (20) sessions to eight listeners
#     of one Postfix: no milter ("plain"), the do-nothing milter ("null"),
#     the do-nothing milter asking for header fields and body ("nullb",
#     nullmilter -b), the floor under any RSA-2048 signer ("floor":
#     nullmilter -b -i BYTES -s USEC, which at end of message spends the
#     CPU of one RSA-2048 signature, measured here with openssl speed, and
#     inserts a field the size of milterkit-dkim's signature, measured
#     here with dk_probe.py), milterkit-dkim ("dkim", default threads;
#     "dkim1", threads = 1), OpenDKIM ("opendkim") and rspamd ("rspamd"),
#     the signers all with the same RSA key and selector, relaxed/relaxed,
#     the same header list with From
#     oversigned; ROUNDS (5) rounds in rotation. Before it each signer
#     must sign 20 messages under milterload; after it the sink's copies
#     carrying a DKIM-Signature are counted (expected: the signers'
#     messages) and one more message per signer is checked at the sink
#     with dkimpy (/usr/bin/python3, tests/milter/dkim/dk_probe.py) when
#     python3-dkim is installed. Ratios of throughput: dkim / opendkim
#     (target >= 1.7), dkim / rspamd (>= 1.4), dkim / null (>= 0.9).
#     LAB=0 skips this step.
# OpenDKIM: opendkim -f -x CONF, Mode s, Socket local:, UserID opendkim,
# KeyTable and SigningTable files, a copy of the key owned by opendkim,
# RequireSafeKeys false (the temp dir is under /var/tmp, which is world
# writable: OpenDKIM would log it on every message), Syslog no (there is
# no syslog here), InternalHosts 127.0.0.0/8 and 192.0.2.0/24 (milterload).
# rspamd: rspamd -f -c CONF -u _rspamd -g _rspamd with a configuration of
# its own (not /etc/rspamd/rspamd.conf): no rules file (no lua = ...),
# options.filters = "dkim" (the C module dkim_signing needs: it also
# checks incoming signatures, finding none), the Lua modules left
# unconfigured (rspamd disables them: "disabling unconfigured lua
# module"), one worker "rspamd_proxy" with milter = yes, self_scan = yes
# (it scans in its own process: no normal worker, no controller), count =
# the number of cores, on a unix socket; dkim_signing with the key (a copy
# owned by _rspamd), selector rsa1, use_esld = false, sign_networks
# 127.0.0.0/8; logging to a file at level warning (milterkit-dkim logs
# at info: the comparison does not favour it).
# Everything started here is stopped by its pid; the temp dir is removed.
# Environment: CONNS, SECONDS_LOAD, MESSAGES, SESSIONS, ROUNDS, LAB,
# INSTALL, SOURCE_ARGS (more smtp-source options), LAB_TMPFS (tmpfs size
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
INSTALL=${INSTALL:-1}
BODY=4050	# 50 lines of 81 bytes: the body ends with CRLF, as mail does

DKIM=$BUILD/milters/dkim/milterkit-dkim
LOAD=$BUILD/bench/milterload/milterload
. "$top_srcdir/bench/lib/bench.sh"
bench_need "$DKIM" "$LOAD" "$BUILD/bench/nullmilter/nullmilter"
bench_root
PATH=$PATH:/usr/sbin:/sbin
if [ "$LAB" = 1 ]; then
	missing=
	command -v opendkim >/dev/null || missing="$missing opendkim"
	command -v rspamd >/dev/null || missing="$missing rspamd"
	if [ -n "$missing" ]; then
		[ "$INSTALL" = 1 ] || { echo "run.sh: missing:$missing" >&2; exit 2; }
		echo "== apt-get install$missing"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing \
			>/dev/null || { echo "run.sh: apt-get install$missing failed" >&2; exit 2; }
	fi
fi
bench_tmp dkim
bench_machine
hz=$(getconf CLK_TCK)

# ---- 1. keys and the signing table -------------------------------------
K=$tmp/keys
mkdir -m 700 "$K"
(umask 077
 openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.key" &&
 openssl genpkey -algorithm ed25519 -out "$K/ed.key") >/dev/null 2>&1 ||
	{ echo "run.sh: openssl genpkey failed" >&2; exit 1; }
cat > "$tmp/signing.table" <<EOF
rsa.bench.test	rsa1	$K/rsa.key
ed.bench.test	ed1	$K/ed.key
dual.bench.test	rsa1	$K/rsa.key
dual.bench.test	ed1	$K/ed.key
EOF
{
	echo "rsa1._domainkey.rsa.bench.test v=DKIM1; k=rsa; p=$(openssl pkey \
	    -in "$K/rsa.key" -pubout -outform DER | base64 -w0)"
} > "$tmp/dns.txt"

# conf THREADS: a configuration for milterkit-dkim.
conf() {
	cat <<EOF
[log]
level = info

[dkim]
user =
pidfile =
socket_mode = 0666
threads = $1
signing_table = $tmp/signing.table
EOF
}
conf 1 > "$tmp/dkim1.conf"
conf 0 > "$tmp/dkim.conf"

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Value of key K in a milterload summary line.
sumval() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
# Count of reply kind K ("insheader") on milterload's "replies:" line.
kindval() { sed -n 's/^replies: *//p' | tr ',' '\n' | awk -v k="$1" '$1 == k { print $2 }'; }

# ---- 2. signer CPU -------------------------------------------------------
daemon_start "$tmp/dkim1.sock" "$tmp/dkim1.log" "$DKIM" -f -c "$tmp/dkim1.conf" \
	-p "unix:$tmp/dkim1.sock" ||
	{ echo "run.sh: milterkit-dkim did not start:" >&2; cat "$tmp/dkim1.log" >&2; exit 1; }
p1=$daemon_pid
bench_at_exit "daemon_stop $p1"
fail=0
declare -A cpu
cpu_run() {	# NAME SIGNATURES_PER_MESSAGE
	local name=$1 per=$2 t0 t1 l0 l1 sum n ins signs ms
	echo "== signer CPU, From news@$name.bench.test: $CONNS connections," \
	    "20 headers, $BODY-byte body, ${SECONDS_LOAD} s, threads = 1"
	l0=$(grep -c ": sign d=$name\.bench\.test " "$tmp/dkim1.log")
	t0=$(ticks "$p1")
	"$LOAD" -s "unix:$tmp/dkim1.sock" -c "$CONNS" -H 20 -b "$BODY" \
	    -f "news@$name.bench.test" -d "$SECONDS_LOAD" -t 10 > "$tmp/cpu.$name" ||
		{ cat "$tmp/cpu.$name"; echo "run.sh: milterload failed" >&2; exit 1; }
	t1=$(ticks "$p1")
	sleep 0.2	# the last log lines
	l1=$(grep -c ": sign d=$name\.bench\.test " "$tmp/dkim1.log")
	sum=$(grep '^summary ' "$tmp/cpu.$name")
	n=$(printf '%s\n' "$sum" | sumval messages)
	ins=$(kindval insheader < "$tmp/cpu.$name")
	ins=${ins:-0} signs=$((l1 - l0))
	ms=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$n" \
	    'BEGIN { printf "%.3f", (n > 0) ? t * 1000 / hz / n : 0 }')
	cpu[$name]=$ms
	grep -E '^(messages|replies):|^  message ' "$tmp/cpu.$name" | sed 's/^/  /'
	echo "RESULT cpu $name ms_per_msg=$ms messages=$n" \
	    "msg_per_s=$(printf '%s\n' "$sum" | sumval msg_per_s)" \
	    "msg_p99_ms=$(printf '%s\n' "$sum" | sumval msg_p99_ms)" \
	    "signatures_logged=$signs inserted=$ins (expected $((n * per)) each)"
	if [ "$signs" != $((n * per)) ] || [ "$ins" != $((n * per)) ]; then
		echo "run.sh: $name: signatures do not match the messages" >&2
		fail=1
	fi
}
verdict() { awk -v r="$1" -v t="$2" -v o="$3" \
	'BEGIN { print ((o == "le" ? r <= t : r >= t) ? "met" : "NOT met") }'; }
cpu_run nokey 0
cpu_run rsa 1
cpu_run ed 1
cpu_run dual 2
sed -n 's/^.*sign d=/  sample log line: sign d=/p' "$tmp/dkim1.log" | head -2
net() { awk -v a="$1" -v b="${cpu[nokey]}" 'BEGIN { printf "%.3f", a - b }'; }
echo "RESULT cpu rsa=${cpu[rsa]} ms/msg (target <= 0.40: $(verdict "${cpu[rsa]}" 0.40 le))" \
    "ed25519=${cpu[ed]} ms/msg (target <= 0.12: $(verdict "${cpu[ed]}" 0.12 le))" \
    "dual=${cpu[dual]} ms/msg"
echo "RESULT cpu minus the unsigned run (${cpu[nokey]} ms/msg): rsa=$(net "${cpu[rsa]}")" \
    "ed25519=$(net "${cpu[ed]}") dual=$(net "${cpu[dual]}")"
daemon_stop "$p1"
[ "$fail" = 0 ] || exit 1
[ "$LAB" = 1 ] || exit 0

# ---- 3. the three signers ------------------------------------------------
# milterkit-dkim, default threads.
daemon_start "$tmp/dkim.sock" "$tmp/dkim.log" "$DKIM" -f -c "$tmp/dkim.conf" \
	-p "unix:$tmp/dkim.sock" ||
	{ echo "run.sh: milterkit-dkim did not start:" >&2; cat "$tmp/dkim.log" >&2; exit 1; }
pdkim=$daemon_pid
bench_at_exit "daemon_stop $pdkim"

# OpenDKIM, as its own user with a copy of the key.
od=$tmp/opendkim
mkdir -m 755 "$od" && chown opendkim "$od"
install -m 600 -o opendkim "$K/rsa.key" "$od/rsa.key"
echo "rsa1._domainkey.rsa.bench.test rsa.bench.test:rsa1:$od/rsa.key" > "$od/key.table"
echo "rsa.bench.test rsa1._domainkey.rsa.bench.test" > "$od/signing.table"
cat > "$od/opendkim.conf" <<EOF
Syslog no
Mode s
Socket local:$od/opendkim.sock
UMask 000
UserID opendkim
PidFile $od/opendkim.pid
KeyTable file:$od/key.table
SigningTable file:$od/signing.table
RequireSafeKeys false
Canonicalization relaxed/relaxed
SignHeaders From,To,Cc,Subject,Date,Message-ID,Reply-To,In-Reply-To,References,MIME-Version,Content-Type,Content-Transfer-Encoding,List-Id,List-Unsubscribe,List-Unsubscribe-Post,Feedback-ID
OversignHeaders From
InternalHosts 127.0.0.0/8,192.0.2.0/24
EOF
daemon_start "$od/opendkim.sock" "$tmp/opendkim.log" opendkim -f -x "$od/opendkim.conf" ||
	{ echo "run.sh: opendkim did not start:" >&2; cat "$tmp/opendkim.log" >&2; exit 1; }
pod=$daemon_pid
bench_at_exit "daemon_stop $pod"

# rspamd: the milter proxy scanning itself, dkim_signing alone.
rs=$tmp/rspamd
mkdir -m 755 "$rs" "$rs/run" "$rs/db" && chown _rspamd "$rs/run" "$rs/db"
install -m 600 -o _rspamd "$K/rsa.key" "$rs/rsa.key"
cat > "$rs/rspamd.conf" <<EOF
options {
  filters = "dkim";
  pidfile = "$rs/run/rspamd.pid";
  tempdir = "$rs/run";
  local_addrs = [127.0.0.0/8];
  dns { nameserver = ["127.0.0.1:1"]; timeout = 1s; retransmits = 1; }
}
logging { type = "file"; filename = "$tmp/rspamd.log"; level = "warning"; }
worker "rspamd_proxy" {
  bind_socket = "$rs/run/rspamd.sock mode=0666 owner=_rspamd";
  milter = yes;
  timeout = 120s;
  count = $(nproc);
  upstream "local" { default = yes; self_scan = yes; }
}
modules { path = "\${PLUGINSDIR}"; }
dkim { dkim_cache_size = 2k; }
dkim_signing {
  use_domain = "header";
  use_esld = false;
  allow_hdrfrom_mismatch = true;
  allow_username_mismatch = true;
  sign_authenticated = true;
  sign_local = true;
  sign_inbound = true;
  sign_networks = [127.0.0.0/8];
  use_redis = false;
  sign_headers = "(o)from:(x)to:(x)cc:(x)subject:(x)date:(x)message-id:(x)reply-to:(x)in-reply-to:(x)references:(x)mime-version:(x)content-type:(x)content-transfer-encoding:(x)list-id:(x)list-unsubscribe:(x)list-unsubscribe-post:(x)feedback-id";
  domain { "rsa.bench.test" { path = "$rs/rsa.key"; selector = "rsa1"; } }
}
EOF
rspamd -f -c "$rs/rspamd.conf" -u _rspamd -g _rspamd --var "DBDIR=$rs/db" \
	--var "RUNDIR=$rs/run" --var "LOCAL_CONFDIR=$rs/none" >>"$tmp/rspamd.out" 2>&1 &
prs=$!
bench_at_exit "daemon_stop $prs"
for _ in $(seq 1 900); do	# it compiles its regular expressions first
	[ -S "$rs/run/rspamd.sock" ] && break
	kill -0 "$prs" 2>/dev/null || break
	sleep 0.1
done
[ -S "$rs/run/rspamd.sock" ] ||
	{ echo "run.sh: rspamd did not start:" >&2; tail -5 "$tmp/rspamd.out" "$tmp/rspamd.log" >&2; exit 1; }
# Its workers: the main process and its children.
rspids() { echo "$prs $(ps -o pid= --ppid "$prs" | tr -s ' \n' ' ')"; }

# Each signer signs under milterload before the lab.
for s in "dkim unix:$tmp/dkim.sock" "opendkim unix:$od/opendkim.sock" \
    "rspamd unix:$rs/run/rspamd.sock"; do
	set -- $s
	"$LOAD" -s "$2" -c 2 -m 20 -H 20 -b "$BODY" -f news@rsa.bench.test -t 10 \
		> "$tmp/check.$1" || { cat "$tmp/check.$1"; echo "run.sh: $1: milterload failed" >&2; exit 1; }
	n=$(kindval insheader < "$tmp/check.$1")
	echo "check: $1 inserted ${n:-0} DKIM-Signature fields into 20 messages"
	[ "${n:-0}" = 20 ] || { echo "run.sh: $1 does not sign" >&2; exit 1; }
done

# ---- 4. Postfix lab ------------------------------------------------------
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/bench/lib/labratio4.sh"
SOURCE_ARGS="-f news@rsa.bench.test${SOURCE_ARGS:+ $SOURCE_ARGS}"
# The do-nothing milter asking for what a signer needs (header fields and
# body, without reply): the floor under a signer's figure.
daemon_start "$tmp/nullb.sock" "$tmp/nullb.log" \
	"$BUILD/bench/nullmilter/nullmilter" -b "$tmp/nullb.sock" ||
	{ echo "run.sh: nullmilter -b did not start" >&2; exit 1; }
pnullb=$daemon_pid
bench_at_exit "daemon_stop $pnullb"
# The floor under any RSA-2048 signer: the same do-nothing milter, which
# at end of message spends the CPU of one RSA-2048 signature (what
# "openssl speed" takes per signature on this machine, measured now) and
# inserts a field the size of milterkit-dkim's signature.
rsa_us=$(openssl speed -seconds 3 rsa2048 2>/dev/null |
    awk '$1 == "rsa" && $2 == "2048" { printf "%d", $4 * 1000000 }')
printf 'From: news@rsa.bench.test\nTo: a@example.net\nSubject: s\nDate: Sat, 5 Dec 2026 10:00:00 +0000\nMessage-ID: <1@rsa.bench.test>\n\nbody\n' |
    /usr/bin/python3 "$top_srcdir/tests/milter/dkim/dk_probe.py" "unix:$tmp/dkim.sock" - \
    > "$tmp/sigsize.out"
sig_bytes=$(/usr/bin/python3 -c 'import ast, sys
for l in sys.stdin:
    if l.startswith("INSERT 0 DKIM-Signature:"):
        print(len("DKIM-Signature:") + len(ast.literal_eval(l.split(":", 1)[1])))' \
    < "$tmp/sigsize.out")
[ "${rsa_us:-0}" -gt 0 ] && [ "${sig_bytes:-0}" -gt 0 ] ||
	{ echo "run.sh: cannot size the floor (rsa=$rsa_us us, field=$sig_bytes bytes)" >&2; exit 1; }
echo "floor: nullmilter -b -i $sig_bytes -s $rsa_us (openssl speed: one RSA-2048" \
    "signature in $rsa_us us; milterkit-dkim's field $sig_bytes bytes)"
daemon_start "$tmp/floor.sock" "$tmp/floor.log" "$BUILD/bench/nullmilter/nullmilter" \
	-b -i "$sig_bytes" -s "$rsa_us" "$tmp/floor.sock" ||
	{ echo "run.sh: nullmilter (floor) did not start" >&2; exit 1; }
pfloor=$daemon_pid
bench_at_exit "daemon_stop $pfloor"
# milterkit-dkim with one event loop (threads = 1) beside the default.
daemon_start "$tmp/dkim1b.sock" "$tmp/dkim1b.log" "$DKIM" -f -c "$tmp/dkim1.conf" \
	-p "unix:$tmp/dkim1b.sock" ||
	{ echo "run.sh: milterkit-dkim (threads = 1) did not start" >&2; exit 1; }
pdkim1=$daemon_pid
bench_at_exit "daemon_stop $pdkim1"
lab_compare \
	nullb "unix:$tmp/nullb.sock" "$pnullb" \
	floor "unix:$tmp/floor.sock" "$pfloor" \
	dkim "unix:$tmp/dkim.sock" "$pdkim" \
	dkim1 "unix:$tmp/dkim1b.sock" "$pdkim1" \
	opendkim "unix:$od/opendkim.sock" "$pod" \
	rspamd "unix:$rs/run/rspamd.sock" "$(rspids)" || exit 1

signed=$(grep -rl '^DKIM-Signature:' "$LAB_SINK_DIR" | wc -l)
echo "signed at the sink: $signed of $((4 * (ROUNDS + 1) * MESSAGES)) messages" \
    "sent through the signers (dkim, dkim1, opendkim, rspamd)"
# One more message per signer, its sink copy verified by dkimpy.
have_dkimpy=0
/usr/bin/python3 -c 'import dkim' 2>/dev/null && have_dkimpy=1
for s in "dkim $tmp/dkim.sock" "opendkim $od/opendkim.sock" "rspamd $rs/run/rspamd.sock"; do
	set -- $s
	port=$(awk -v m="smtpd_milters=unix:$2" 'index($0, m) { split($1, a, ":"); print a[2] }' \
	    "$LAB_CONF/master.cf")
	n=$(lab_sink_count)
	LAB_SMTP_PORT=$port lab_source 1 1 -f news@rsa.bench.test >/dev/null
	lab_wait_sink $((n + 1)) 20 || exit 1
	f=$(lab_sink_message $((n + 1)))
	if [ "$have_dkimpy" = 1 ]; then
		v=$(/usr/bin/python3 "$top_srcdir/tests/milter/dkim/dk_probe.py" \
		    --verify-only "$f" --keys "$tmp/dns.txt" | tr '\n' ' ')
	else
		v="$(grep -c '^DKIM-Signature:' "$f") signature(s), dkimpy not installed"
	fi
	echo "sample: $1: $v"
	case $v in *"VERIFY pass d=rsa.bench.test s=rsa1"*|*"1 signature"*) ;;
	*) echo "run.sh: $1's sample is not signed as expected" >&2; fail=1 ;; esac
done
grep -v 'running as root' "$tmp/dkim.log" | grep -v ': sign d=' | head -5 |
	sed 's/^/  dkim log: /'
# Throughput ratio A / B: B's median inject time over A's; relay: the
# same over the time until the queue is empty again.
ratio() { awk -v a="$(lab_median "$1" inject)" -v b="$(lab_median "$2" inject)" \
	'BEGIN { printf "%.3f", (a > 0) ? b / a : 0 }'; }
rratio() { awk -v a="$(lab_median "$1" relay)" -v b="$(lab_median "$2" relay)" \
	'BEGIN { printf "%.3f", (a > 0) ? b / a : 0 }'; }
ro=$(ratio dkim opendkim) rr=$(ratio dkim rspamd) rn=$(ratio dkim null)
for m in dkim dkim1 floor nullb; do
	echo "RESULT lab $m/null=$(ratio "$m" null) $m/rspamd=$(ratio "$m" rspamd)" \
	    "$m/opendkim=$(ratio "$m" opendkim) (relay: $(rratio "$m" null)," \
	    "$(rratio "$m" rspamd), $(rratio "$m" opendkim))"
done
echo "RESULT lab dkim/floor=$(ratio dkim floor) dkim1/floor=$(ratio dkim1 floor)" \
	"dkim/nullb=$(ratio dkim nullb) (floor: the do-nothing milter with one" \
	"RSA-2048 signature's CPU and insert; nullb: asking for headers and body)"
echo "RESULT lab dkim/opendkim=$ro (target >= 1.7: $(verdict "$ro" 1.7 ge))"
echo "RESULT lab dkim/rspamd=$rr (target >= 1.4: $(verdict "$rr" 1.4 ge))"
echo "RESULT lab dkim/null=$rn (target >= 0.9: $(verdict "$rn" 0.9 ge))"
echo "RESULT lab null/plain=$(ratio null plain) dkim/plain=$(ratio dkim plain)" \
    "opendkim/plain=$(ratio opendkim plain) rspamd/plain=$(ratio rspamd plain)" \
    "(medians of $ROUNDS rounds)"
exit "$fail"
