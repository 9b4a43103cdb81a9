# bench/lib/labratio.sh - Postfix lab throughput with and without a milter
# (bash, sourced by bench/*/run.sh after tests/e2e/lab.sh).
#
#   lab_ratio NAME SOCKET [PID]
#
# One Postfix instance (tests/e2e/lab.sh) with three smtpd listeners that
# differ only in smtpd_milters: none ("plain"), the reference milter that
# does nothing (bench/nullmilter, "null") and unix:SOCKET (NAME). Each of
# ROUNDS rounds sends MESSAGES messages over SESSIONS parallel sessions
# (smtp-source, SOURCE_ARGS added: "-d" keeps a session for many messages)
# to each listener in turn, the order rotated from round to round, and
# takes for each run:
#   inject  seconds smtp-source took (what the target is about);
#   relay   seconds until the queue is empty again (accepted and delivered);
#   CPU     of the whole machine per message over the relay time
#           (/proc/stat: user, nice, system, irq, softirq), and of the
#           milter process (/proc/PID/stat) when PID is given.
# It prints every run, the medians, and
#   RESULT lab_ratio=...        plain inject time / NAME's (target >= 0.9)
#   RESULT lab_floor_ratio=...  plain / null: what Postfix's own side of
#                               the milter protocol leaves to any milter
#   RESULT lab_vs_floor=...     null / NAME: 1.0 = NAME costs Postfix no
#                               more than a milter that does nothing
#   RESULT lab_relay ... and RESULT lab_cpu ...
# Why this shape: a reload between runs restarts every smtpd and cleanup
# (process start-up lands in the next run), and rounds taken minutes apart
# drift; three warm listeners in one instance, measured in rotation, leave
# only the milter as the difference. The run directory is a tmpfs
# (LAB_TMPFS, default 2g; empty = the build directory's file system): on
# this machine's ext4 the inode allocator's cost grew with every thousand
# queue files deleted, so that two identical runs differed by up to 2x.
# A tmpfs removes disk work that is the same with and without a milter, so
# it makes the ratio stricter, not kinder.
# The caller registers the clean-up of its milter with lab_at_exit.
LAB_TMPFS=${LAB_TMPFS-2g}

lab_ratio() {
	local name=$1 sock=$2 pid=${3:-} nullsock npid r k mode hz
	local -a modes
	local -A port own
	local out
	hz=$(getconf CLK_TCK)
	lab_start || { echo "lab_ratio: lab_start failed" >&2; return 1; }
	out=$LAB_DIR/lab_ratio.runs

	# The reference milter, reachable by smtpd (user postfix).
	nullsock=$LAB_DIR/null.sock
	daemon_start "$nullsock" "$LAB_DIR/null.log" \
	    "$top_builddir/bench/nullmilter/nullmilter" "$nullsock"
	r=$? npid=$daemon_pid
	lab_at_exit "daemon_stop $npid"
	[ $r = 0 ] || { echo "lab_ratio: nullmilter did not start" >&2; return 1; }

	modes=(plain null "$name")
	port[plain]=$LAB_SMTP_PORT
	port[null]=$(lab_listener -o "smtpd_milters=unix:$nullsock") || return 1
	port[$name]=$(lab_listener -o "smtpd_milters=unix:$sock") || return 1
	own[plain]='' own[null]=$npid own[$name]=$pid
	lab_postconf "smtpd_milters =" "milter_default_action = tempfail"
	lab_reload || return 1

	echo "== Postfix lab: $MESSAGES messages over $SESSIONS sessions" \
	    "(smtp-source${SOURCE_ARGS:+ $SOURCE_ARGS}), $ROUNDS rounds, run" \
	    "directory on $([ -n "$LAB_TMPFS" ] && echo "a tmpfs of $LAB_TMPFS" || echo disk)"
	for mode in "${modes[@]}"; do	# warm-up: each listener's processes
		lab__ratio_run "$mode" "${port[$mode]}" '' >/dev/null || return 1
	done
	: >"$out"
	for r in $(seq 0 $((ROUNDS - 1))); do
		for k in 0 1 2; do
			mode=${modes[$(((k + r) % 3))]}
			lab__ratio_run "$mode" "${port[$mode]}" "${own[$mode]}" |
			    tee -a "$out"
			[ "${PIPESTATUS[0]}" = 0 ] || return 1
		done
	done
	lab__ratio_report "$name" "$out"
}

# One run: MODE PORT [PID]; prints "MODE inject S relay S cpu MS milter MS".
lab__ratio_run() {
	local mode=$1 port=$2 pid=$3 t0 t1 b0 b1 m0 m1
	busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
	own() { if [ -n "$pid" ]; then awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0
		else echo 0; fi; }
	b0=$(busy) m0=$(own) t0=$(date +%s.%N)
	LAB_SMTP_PORT=$port lab_source "$MESSAGES" "$SESSIONS" ${SOURCE_ARGS:-} ||
		{ echo "lab_ratio: smtp-source failed" >&2; return 1; }
	# Delivered: nothing left in the queue (polled every 50 ms).
	while [ -n "$(find "$LAB_DIR/queue/maildrop" "$LAB_DIR/queue/incoming" \
	    "$LAB_DIR/queue/active" -type f 2>/dev/null | head -n 1)" ]; do
		sleep 0.05
	done
	t1=$(date +%s.%N) b1=$(busy) m1=$(own)
	awk -v m="$mode" -v i="$LAB_SOURCE_SECONDS" -v t0="$t0" -v t1="$t1" \
	    -v b=$((b1 - b0)) -v o=$((m1 - m0)) -v hz="$hz" -v n="$MESSAGES" 'BEGIN {
		printf "  %-20s inject %6.2f s  relay %6.2f s  CPU %.3f ms/msg  milter %.3f ms/msg\n",
		    m, i, t1 - t0, b * 1000 / hz / n, o * 1000 / hz / n }'
	sleep 1		# let the last deliveries' processes settle
}

# Medians per mode and the ratios.
lab__ratio_report() {
	local name=$1 out=$2 delivered tf
	median() {	# MODE FIELD
		awk -v m="$1" -v f="$2" '$1 == m { print $f }' "$out" | sort -n |
		    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
	}
	local pi pr pc ni nr nc mi mr mc mo no
	pi=$(median plain 3) pr=$(median plain 6) pc=$(median plain 9)
	ni=$(median null 3) nr=$(median null 6) nc=$(median null 9) no=$(median null 12)
	mi=$(median "$name" 3) mr=$(median "$name" 6) mc=$(median "$name" 9) mo=$(median "$name" 12)
	delivered=$(lab_sink_count)
	tf=$(grep -c 'milter-reject: \|milter.*tempfail\|451 4\.' "$LAB_DIR/maillog" 2>/dev/null)
	printf 'medians (inject s, relay s, CPU ms/msg): plain %s %s %s; null %s %s %s; %s %s %s %s\n' \
	    "$pi" "$pr" "$pc" "$ni" "$nr" "$nc" "$name" "$mi" "$mr" "$mc"
	echo "delivered $delivered of $((3 * (ROUNDS + 1) * MESSAGES)); milter rejects or tempfails in maillog: ${tf:-0}"
	awk -v pi="$pi" -v pr="$pr" -v pc="$pc" -v ni="$ni" -v nr="$nr" -v nc="$nc" \
	    -v mi="$mi" -v mr="$mr" -v mc="$mc" -v mo="$mo" -v no="$no" -v r="$ROUNDS" 'BEGIN {
		printf "RESULT lab_cpu ms_per_msg plain=%.3f null=%.3f milter=%.3f" \
		    " milter_process=%.3f null_process=%.3f\n", pc, nc, mc, mo, no
		printf "RESULT lab_relay ratio=%.3f floor=%.3f (delivered throughput," \
		    " medians)\n", pr / mr, pr / nr
		printf "RESULT lab_floor_ratio=%.3f (plain / null milter: the most any" \
		    " milter can reach here)\n", pi / ni
		printf "RESULT lab_vs_floor=%.3f (null milter / this milter; 1.0 = no" \
		    " cost beyond the floor)\n", ni / mi
		printf "RESULT lab_ratio=%.3f (throughput with / without, medians of" \
		    " %d rounds; target >= 0.9)\n", pi / mi, r }'
}
