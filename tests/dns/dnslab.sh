# tests/dns/dnslab.sh - DNS servers on loopback for the tests (sourced,
# after tests/lib/daemon.sh).
#
#   dns_odd_start ZONE DIR      tests/dns/oddns.py serving ZONE (its format:
#                               records, and names answered late, with
#                               SERVFAIL or REFUSED, or never); queries
#                               logged to DIR/odd.log; sets dns_odd_pid and
#                               dns_odd_port; 0 when it listens
#   dns_masq_start HOSTS DIR    dnsmasq (dnsmasq-base), a real DNS server,
#                               answering for the names of HOSTS (dnsmasq
#                               configuration lines: host-record=,
#                               txt-record=, mx-host=, cname=, ptr-record=)
#                               and NXDOMAIN for the rest of .test, nothing
#                               upstream; sets dns_masq_pid, dns_masq_port
#   dns_stop                    stops both (by pid)
# Both listen on 127.0.0.1 only, on a port free at start.
dns_odd_pid='' dns_masq_pid='' dns_odd_port='' dns_masq_port=''

dns_odd_start() {
	local zone=$1 dir=$2 i
	rm -f "$dir/odd.port"
	/usr/bin/python3 "$top_srcdir/tests/dns/oddns.py" "$zone" "$dir/odd.port" \
	    "$dir/odd.log" 2>>"$dir/odd.err" &
	dns_odd_pid=$!
	for i in $(seq 1 100); do
		[ -s "$dir/odd.port" ] && break
		kill -0 "$dns_odd_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	dns_odd_port=$(cat "$dir/odd.port" 2>/dev/null)
	[ -n "$dns_odd_port" ]
}

# A UDP port nobody uses now (dnsmasq takes a fixed one).
dns__free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
t = socket.socket(); t.bind(("127.0.0.1", s.getsockname()[1]))
print(s.getsockname()[1])'
}

dns_masq_start() {
	local hosts=$1 dir=$2 i
	command -v dnsmasq >/dev/null || PATH=$PATH:/usr/sbin
	for i in 1 2 3 4 5; do
		dns_masq_port=$(dns__free_port) || return 1
		{
			echo "port=$dns_masq_port"
			echo "listen-address=127.0.0.1"
			echo "bind-interfaces"
			echo "no-resolv"
			echo "no-hosts"
			echo "no-poll"
			echo "local=/test/"
			echo "pid-file="
			cat "$hosts"
		} > "$dir/dnsmasq.conf"
		dnsmasq --keep-in-foreground --conf-file="$dir/dnsmasq.conf" \
		    --log-facility=- 2>>"$dir/dnsmasq.err" &
		dns_masq_pid=$!
		sleep 0.3
		kill -0 "$dns_masq_pid" 2>/dev/null && return 0
		dns_masq_pid=''
	done
	return 1
}

dns_stop() {
	[ -n "$dns_odd_pid" ] && daemon_stop "$dns_odd_pid"
	[ -n "$dns_masq_pid" ] && daemon_stop "$dns_masq_pid"
	dns_odd_pid='' dns_masq_pid=''
}
