#!/bin/sh
# packaging/build-rpm.sh - build milterkit's RPM package from the release
# tarball.
#
#   top_srcdir=... top_builddir=... packaging/build-rpm.sh [TARBALL]
#
# Makes the release tarball (make dist in $top_builddir) unless TARBALL is
# given, then runs rpmbuild -bb with a private %_topdir under
# $top_builddir/packages. The .rpm files are moved to $top_builddir/packages/
# and their paths printed on stdout, one per line; everything else goes to
# stderr.
set -eu

: "${top_srcdir:?top_srcdir must be set}"
: "${top_builddir:?top_builddir must be set}"
MAKE=${MAKE:-make}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
spec=$top_srcdir/packaging/rpm/milterkit.spec

die() { echo "build-rpm.sh: $*" >&2; exit 1; }

command -v rpmbuild >/dev/null 2>&1 || die "rpmbuild not found: apt-get install rpm"

. "$top_srcdir/packaging/tarball.sh"
pkg_version
specversion=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
[ "$specversion" = "$version" ] ||
	die "packaging/rpm/milterkit.spec is at $specversion, the project at $version: update Version and %changelog"
pkg_tarball "$@"
pkg_workdir rpm
top=$work
mkdir -p "$top/SOURCES" "$top/BUILD" "$top/RPMS" "$top/SRPMS" "$top/SPECS"
cp "$tarball" "$top/SOURCES/milterkit-$version.tar.gz"

# --nodeps: on Debian, rpm's database knows nothing of the packages dpkg
# installed, so every BuildRequires would look missing; the -dev packages
# configure checks for are what really stands behind them.
# debug_package is off because Debian's rpm lacks the debuginfo tooling.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	-u top_srcdir -u top_builddir \
	rpmbuild -bb --nodeps \
	--define "_topdir $top" \
	--define "debug_package %{nil}" \
	"$spec" >&2

found=0
for rpm in "$top"/RPMS/*/*.rpm; do
	[ -f "$rpm" ] || continue
	mv -f "$rpm" "$out/"
	echo "$out/$(basename "$rpm")"
	found=1
done
[ "$found" = 1 ] || die "rpmbuild made no .rpm"
