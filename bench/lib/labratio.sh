# bench/lib/labratio.sh - Postfix lab throughput with and without a milter
# (sourced by bench/*/run.sh after tests/e2e/lab.sh).
#
#   lab_ratio NAME SOCKET [PID]
#                           starts the lab, sends MESSAGES messages over
#                           SESSIONS sessions (smtp-source) ROUNDS times
#                           without and with smtpd_milters = unix:SOCKET,
#                           prints each time, the medians and the ratio
#                           ("RESULT lab_ratio=...", target >= 0.9).
# Each round also reads the CPU time the whole machine spent (/proc/stat:
# user, nice, system, irq, softirq; not idle, iowait or steal) and, given
# the milter's PID, the milter's own (/proc/PID/stat), per message: the
# lab saturates both cores, so time is CPU, and these tell the milter's
# share of what the milter rounds cost more ("RESULT lab_cpu ...").
# Rounds alternate without and with the milter, so that a slow spell of the
# machine (other guests: see "st" in top) hurts both sides alike; the ratio
# is taken between the medians. The caller registers the clean-up of its
# milter with lab_at_exit (before calling: lab_start keeps what was
# registered).
lab_ratio() {
	local name=$1 sock=$2 pid=${3:-} delivered=0 r t_plain t_milter tf
	local b0 b1 m0 m1 hz cpu mcpu
	local -a plain=() milter=() cpu_plain=() cpu_milter=() cpu_own=()
	hz=$(getconf CLK_TCK)
	busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
	own() { if [ -n "$pid" ]; then awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0
		else echo 0; fi; }
	per_msg() { awk -v j="$1" -v hz="$hz" -v n="$MESSAGES" 'BEGIN { printf "%.3f", j * 1000 / hz / n }'; }
	echo "== Postfix lab: $MESSAGES messages over $SESSIONS sessions (smtp-source)"
	lab_start || { echo "lab_ratio: lab_start failed" >&2; return 1; }
	one_round() {	# without|with
		if [ "$1" = with ]; then lab_postconf "smtpd_milters = unix:$sock"
		else lab_postconf "smtpd_milters ="; fi
		lab_reload
		b0=$(busy) m0=$(own)
		lab_source "$MESSAGES" "$SESSIONS" ||
			{ echo "lab_ratio: smtp-source failed" >&2; return 1; }
		b1=$(busy) m1=$(own)
		cpu=$(per_msg $((b1 - b0))) mcpu=$(per_msg $((m1 - m0)))
		if [ "$1" = with ]; then
			printf '  %-7s %6.2f s  CPU %s ms/msg, milter %s\n' "$1" \
			    "$LAB_SOURCE_SECONDS" "$cpu" "$mcpu"
			milter+=("$LAB_SOURCE_SECONDS") cpu_milter+=("$cpu") cpu_own+=("$mcpu")
		else
			printf '  %-7s %6.2f s  CPU %s ms/msg\n' "$1" "$LAB_SOURCE_SECONDS" "$cpu"
			plain+=("$LAB_SOURCE_SECONDS") cpu_plain+=("$cpu")
		fi
		delivered=$((delivered + MESSAGES))
		lab_wait_sink "$delivered" 120 ||
			echo "lab_ratio: sink has $(lab_sink_count) of $delivered" >&2
		lab_queue_empty 60 || true
	}
	median() { printf '%s\n' "$@" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	lab_postconf "milter_default_action = tempfail"
	for r in $(seq 1 "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then one_round without && one_round with
		else one_round with && one_round without; fi || return 1
	done
	t_plain=$(median "${plain[@]}")
	t_milter=$(median "${milter[@]}")
	tf=$(grep -c 'milter-reject: \|milter.*tempfail\|451 4\.' "$LAB_DIR/maillog" 2>/dev/null)
	printf 'median without milter: %.2f s; with %s: %.2f s; delivered %s of %s; milter rejects or tempfails in maillog: %s\n' \
		"$t_plain" "$name" "$t_milter" "$(lab_sink_count)" "$delivered" "${tf:-0}"
	awk -v a="$(median "${cpu_plain[@]}")" -v b="$(median "${cpu_milter[@]}")" \
	    -v m="$(median "${cpu_own[@]}")" 'BEGIN {
		printf "RESULT lab_cpu ms_per_msg_without=%.3f with=%.3f milter_process=%.3f", a, b, m
		if (b > a) printf " milter_share_of_extra=%.0f%%", 100 * m / (b - a)
		printf " cpu_ratio=%.3f (medians)\n", a / b }'
	echo "RESULT lab_ratio=$(awk -v a="$t_plain" -v b="$t_milter" 'BEGIN { printf "%.3f", a / b }')" \
		"(throughput with / without, medians of $ROUNDS rounds; target >= 0.9)"
}
