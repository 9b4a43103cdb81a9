#!/bin/sh
# scripts/deps.sh - install what building and testing milterkit needs on
# Debian 12 (run as root). Does nothing when everything is present.
set -eu

PKGS="autoconf automake libtool pkg-config make gcc libc6-dev
  liblmdb-dev libopendkim-dev libspf2-dev libopendmarc-dev
  libunbound-dev libpsl-dev dnsmasq-base python3-dnspython
  libidn2-dev libssl-dev libcmocka-dev libgmime-3.0-dev libmicrohttpd-dev curl
  python3-dkim python3-nacl python3-cryptography
  miltertest postfix swaks m4 lmdb-utils iproute2 procps strace
  debhelper devscripts dpkg-dev fakeroot lintian rpm
  clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "deps: installing$missing"
# Postfix must not configure or start a system instance: tests run their own.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
