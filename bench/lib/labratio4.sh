# bench/lib/labratio4.sh - Postfix lab throughput over four or more
# listeners (bash, sourced by bench/*/run.sh after tests/e2e/lab.sh).
#
#   lab_compare NAME MILTERS PIDS [NAME MILTERS PIDS]...
#   lab_median MODE FIELD       median of one mode's runs: inject, relay,
#                               cpu or milter (after lab_compare)
#
# bench/lib/labratio.sh compares one milter with none and with the
# reference milter; this compares several set-ups at once. One Postfix
# instance (tests/e2e/lab.sh) with one smtpd listener per mode, differing
# only in smtpd_milters: none ("plain"), the reference milter that does
# nothing (bench/nullmilter, "null", started here) and one listener per
# NAME with smtpd_milters = MILTERS (unix:/a.sock or, for milters in a
# row, unix:/a.sock,unix:/b.sock: no blanks). PIDS are the processes
# serving MILTERS (blank-separated), whose CPU is added up for the
# "milter" column. Each of ROUNDS rounds sends MESSAGES messages over
# SESSIONS sessions (smtp-source, SOURCE_ARGS added) to each listener in
# turn, the order rotated every round, after one warm-up run per
# listener. For each run it prints:
#   inject  seconds smtp-source took (what the ratios are about);
#   relay   seconds until the queue is empty again;
#   CPU     of the whole machine per message over the relay time;
#   milter  CPU of PIDS per message.
# Then the medians of every mode, "RESULT lab_median MODE inject=...
# relay=... cpu=... milter=..." lines, and the delivered count. The
# caller computes the ratios it wants with lab_median (throughput ratio
# of A to B: B's inject median / A's). Same method, same reasons, as
# labratio.sh (warm listeners in one instance, a tmpfs run directory:
# LAB_TMPFS, default 2g; empty = on disk).
LAB_TMPFS=${LAB_TMPFS-2g}
lab4__out=''

lab_compare() {
	local nullsock npid r k i n mode rc
	local -a modes
	local -A port own
	lab_start || { echo "lab_compare: lab_start failed" >&2; return 1; }
	lab4__out=$LAB_DIR/lab_compare.runs

	nullsock=$LAB_DIR/null.sock
	daemon_start "$nullsock" "$LAB_DIR/null.log" \
	    "$top_builddir/bench/nullmilter/nullmilter" "$nullsock"
	rc=$? npid=$daemon_pid
	lab_at_exit "daemon_stop $npid"
	[ $rc = 0 ] || { echo "lab_compare: nullmilter did not start" >&2; return 1; }

	modes=(plain null)
	port[plain]=$LAB_SMTP_PORT own[plain]=''
	port[null]=$(lab_listener -o "smtpd_milters=unix:$nullsock") || return 1
	own[null]=$npid
	while [ $# -ge 3 ]; do
		case $1 in plain|null|*[[:space:]]*)
			echo "lab_compare: bad mode name \"$1\"" >&2; return 1 ;;
		esac
		modes+=("$1")
		port[$1]=$(lab_listener -o "smtpd_milters=$2") || return 1
		own[$1]=$3
		shift 3
	done
	[ $# = 0 ] || { echo "lab_compare: NAME MILTERS PIDS, in threes" >&2; return 1; }
	n=${#modes[@]}
	lab_postconf "smtpd_milters =" "milter_default_action = tempfail"
	lab_reload || return 1

	echo "== Postfix lab: $n listeners (${modes[*]}), $MESSAGES messages" \
	    "over $SESSIONS sessions (smtp-source${SOURCE_ARGS:+ $SOURCE_ARGS})," \
	    "$ROUNDS rounds, run directory on" \
	    "$([ -n "$LAB_TMPFS" ] && echo "a tmpfs of $LAB_TMPFS" || echo disk)"
	for mode in "${modes[@]}"; do	# warm-up: each listener's processes
		lab4__run "$mode" "${port[$mode]}" '' >/dev/null || return 1
	done
	: >"$lab4__out"
	for r in $(seq 0 $((ROUNDS - 1))); do
		for k in $(seq 0 $((n - 1))); do
			mode=${modes[$(((k + r) % n))]}
			lab4__run "$mode" "${port[$mode]}" "${own[$mode]}" |
			    tee -a "$lab4__out"
			[ "${PIPESTATUS[0]}" = 0 ] || return 1
		done
	done
	for mode in "${modes[@]}"; do
		echo "RESULT lab_median $mode inject=$(lab_median "$mode" inject)" \
		    "relay=$(lab_median "$mode" relay) cpu=$(lab_median "$mode" cpu)" \
		    "milter=$(lab_median "$mode" milter)"
	done
	i=$(grep -c 'milter-reject: \|milter.*tempfail\|451 4\.' "$LAB_DIR/maillog" 2>/dev/null)
	echo "delivered $(lab_sink_count) of $((n * (ROUNDS + 1) * MESSAGES));" \
	    "milter rejects or tempfails in maillog: ${i:-0}"
}

# CPU ticks of the processes PIDS (user + system), 0 for none.
lab4__ticks() {
	local p t=0 v
	for p in $1; do
		v=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# One run: MODE PORT PIDS; prints "MODE inject S relay S CPU MS milter MS".
lab4__run() {
	local mode=$1 port=$2 pids=$3 t0 t1 b0 b1 m0 m1 hz
	hz=$(getconf CLK_TCK)
	b0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	m0=$(lab4__ticks "$pids") t0=$(date +%s.%N)
	LAB_SMTP_PORT=$port lab_source "$MESSAGES" "$SESSIONS" ${SOURCE_ARGS:-} ||
		{ echo "lab_compare: smtp-source failed" >&2; return 1; }
	# Delivered: nothing left in the queue (polled every 50 ms).
	while [ -n "$(find "$LAB_DIR/queue/maildrop" "$LAB_DIR/queue/incoming" \
	    "$LAB_DIR/queue/active" -type f 2>/dev/null | head -n 1)" ]; do
		sleep 0.05
	done
	t1=$(date +%s.%N) m1=$(lab4__ticks "$pids")
	b1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	awk -v m="$mode" -v i="$LAB_SOURCE_SECONDS" -v t0="$t0" -v t1="$t1" \
	    -v b=$((b1 - b0)) -v o=$((m1 - m0)) -v hz="$hz" -v n="$MESSAGES" 'BEGIN {
		printf "  %-12s inject %6.2f s  relay %6.2f s  CPU %.3f ms/msg  milter %.3f ms/msg\n",
		    m, i, t1 - t0, b * 1000 / hz / n, o * 1000 / hz / n }'
	sleep 1		# let the last deliveries' processes settle
}

lab_median() {
	local f
	case $2 in inject) f=3 ;; relay) f=6 ;; cpu) f=9 ;; milter) f=12 ;;
	*) echo "lab_median: no field $2" >&2; return 1 ;; esac
	awk -v m="$1" -v f="$f" '$1 == m { print $f }' "$lab4__out" | sort -n |
	    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
