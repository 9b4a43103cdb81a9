#!/usr/bin/env bash
# scripts/quickstart.sh - bring milterkit up on a Debian 12 machine (as root) and
# show it working: builds it, fills a suppression store with the milterkit
# command, asks it which recipients would be rejected, then starts a private
# Postfix on loopback (the test lab; the system's Postfix is not touched),
# sends a message through it and shows what arrived. Everything it starts is
# stopped, by pid, when it ends.
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

step "a private Postfix on loopback relaying to a capture sink"
export top_srcdir=$top top_builddir=$build
# shellcheck source=/dev/null
. "$top/tests/lib/tap.sh"
# shellcheck source=/dev/null
. "$top/tests/e2e/lab.sh"
lab_start
echo "Postfix listens on 127.0.0.1:$LAB_SMTP_PORT, the sink on 127.0.0.1:$LAB_SINK_PORT"
lab_send --to alice@example.com,bob@example.com --header "Subject: quickstart" --body "hello"
echo "$LAB_LAST" | grep -E '^ *(->|<[-~*]) *(MAIL|RCPT|DATA|\.$|[245][0-9][0-9] [0-9])'
lab_wait_sink 1 20
echo "the sink received a message for: $(lab_sink_rcpts 1 | tr '\n' ' ')"
echo
echo "milterkit-suppress, the first milter, will plug into this lab with"
echo "smtpd_milters and reject bob@example.com at RCPT; see README.md."
lab_stop
