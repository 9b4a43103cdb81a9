#!/bin/sh
# bench/store/run.sh - run the store benchmark for 1M and 10M entries.
#
#   run.sh [BENCH_BINARY]
#
# Each run builds a new store in a temporary directory under /var/tmp
# (10M entries need a map of about 8 GiB) and removes it afterwards.
# Prints the machine, then the figures of bench_store for each size.
set -eu
bin=${1:-bench/store/bench_store}
[ -x "$bin" ] || { echo "run.sh: $bin not built (make bench/store/bench_store)" >&2; exit 2; }
tmp=$(mktemp -d /var/tmp/bench_store.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
	"$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)"
for spec in 1000000:4294967296 10000000:8589934592; do
	n=${spec%%:*}
	map=${spec#*:}
	echo "== $n entries (map_size $map)"
	"$bin" -d "$tmp/s$n" -n "$n" -m "$map" -l 1000000 -t 2
	rm -rf "$tmp/s$n"
done
