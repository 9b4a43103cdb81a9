#!/bin/sh
# tests/pkg/test_rpm.sh - the RPM package, inspected with rpm -qp (installing
# an .rpm on Debian means nothing).
#
#   tests/pkg/test_rpm.sh [FILE.rpm]
#
# Without FILE.rpm, builds one with packaging/build-rpm.sh. CI runs it
# through `make check-rpm`.
. "$top_srcdir/tests/lib/tap.sh"

tap_plan 82

# The daemons the package ships, each with its binary, manual page and unit.
daemons="suppress headers chain dkim dmarc policyd returnpath unsubd ratelimit"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")

# The files to look at: the arguments, or what build-rpm.sh makes; of them,
# the package milterkit.
if [ $# -eq 0 ]; then
	set -- $(sh "$top_srcdir/packaging/build-rpm.sh" 2>"$tmp/build.log")
	[ $# -gt 0 ] || { tail -n 40 "$tmp/build.log" | sed 's/^/# /'; tap_bail "build-rpm.sh failed"; }
fi
rpm=
for f in "$@"; do
	[ "$(rpm -qp --qf '%{NAME}' "$f" 2>/dev/null)" = milterkit ] && rpm=$f
done
[ -n "$rpm" ] || tap_bail "no package milterkit among: $*"
[ -f "$rpm" ] || tap_bail "no package $rpm"

tap_is "package version follows the project's" \
	"$(rpm -qp --qf '%{VERSION}' "$rpm" 2>&1)" "$version"
files=$(rpm -qpl "$rpm" 2>&1)
tap_like "ships /usr/sbin/milterkit" "$files" '^/usr/sbin/milterkit$'
tap_like "ships the sample configuration" "$files" '^/etc/milterkit/milterkit\.conf$'
tap_like "ships a manual page" "$files" '^/usr/share/man/man[0-9]/milterkit'
tap_like "ships the logrotate snippet" "$files" '^/etc/logrotate\.d/milterkit$'
tap_like "ships the README under /usr/share/doc/milterkit" "$files" \
	'^/usr/share/doc/milterkit/README\.md$'
tap_like "ships the sample configuration under /usr/share/doc/milterkit/examples" \
	"$files" '^/usr/share/doc/milterkit/examples/milterkit\.conf$'
tap_like "ships the tmpfiles.d entry for /run/milterkit" "$files" \
	'^/usr/lib/tmpfiles\.d/milterkit\.conf$'
tap_like "ships the store directory" "$files" '^/var/lib/milterkit$'
tap_like "the configuration is %config(noreplace)" \
	"$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" 2>&1)" \
	'^cn +/etc/milterkit/milterkit\.conf$'
tap_like "the store is milterkit's, mode 0750" \
	"$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpm" 2>&1)" \
	'^drwxr-x--- milterkit:milterkit /var/lib/milterkit$'
scripts=$(rpm -qp --scripts "$rpm" 2>&1)
tap_like "%pre creates the group" "$scripts" 'groupadd -r milterkit'
tap_like "%pre creates the user, home the store" "$scripts" \
	'useradd -r -g milterkit -d /var/lib/milterkit'
tap_like "%post puts postfix in group milterkit" "$scripts" \
	'usermod -a -G milterkit postfix'
tap_like "%post creates /run/milterkit" "$scripts" \
	'systemd-tmpfiles --create /usr/lib/tmpfiles\.d/milterkit\.conf'
(cd "$tmp" && rpm2cpio "$rpm" | cpio -id --quiet './usr/lib/systemd/system/*') 2>/dev/null
tap_like "%post creates an empty store (milterkit store init)" "$scripts" \
	'milterkit store init'
tap_like "the DKIM key directory is milterkit's, mode 0700" \
	"$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILENAMES}\n]' "$rpm" 2>&1)" \
	'^drwx------ milterkit /etc/milterkit/dkim$'
tap_like "%post creates an empty signing table for milterkit-dkim" "$scripts" \
	'install -o milterkit -g milterkit -m 0600 /dev/null'
# Each daemon (7 points each): binary, manual page, unit, the unit's
# ExecStart, preset on installation, stopped on erase, restarted on upgrade.
for d in $daemons; do
	tap_like "ships /usr/sbin/milterkit-$d" "$files" "^/usr/sbin/milterkit-$d\$"
	tap_like "ships milterkit-$d(8)" "$files" \
		"^/usr/share/man/man8/milterkit-$d\.8"
	tap_like "ships milterkit-$d.service in %{_unitdir}" "$files" \
		"^/usr/lib/systemd/system/milterkit-$d\.service\$"
	tap_like "milterkit-$d.service runs the installed binary" \
		"$(cat "$tmp/usr/lib/systemd/system/milterkit-$d.service" 2>&1)" \
		"^ExecStart=/usr/sbin/milterkit-$d -P /run/milterkit/$d\.pid\$"
	tap_like "%post presets milterkit-$d.service on installation" "$scripts" \
		"preset [^|>]*milterkit-$d\.service"
	tap_like "%preun stops and disables milterkit-$d.service on erase" "$scripts" \
		"disable --now [^|>]*milterkit-$d\.service"
	tap_like "%postun restarts milterkit-$d.service on upgrade" "$scripts" \
		"try-restart [^|>]*milterkit-$d\.service"
done
tap_like "automatic library dependencies are recorded" \
	"$(rpm -qp --requires "$rpm" 2>&1)" 'libc\.so'
