#!/bin/sh
# packaging/build-deb.sh - build milterkit's Debian package from the release
# tarball.
#
#   top_srcdir=... top_builddir=... packaging/build-deb.sh [TARBALL]
#
# Makes the release tarball (make dist in $top_builddir) unless TARBALL is
# given, unpacks it in a temporary directory under $top_builddir/packages,
# adds packaging/debian as debian/ and runs dpkg-buildpackage -b -us -uc
# (no root needed: debian/control says Rules-Requires-Root: no).
# The .deb files are moved to $top_builddir/packages/ and their paths printed
# on stdout, one per line; everything else goes to stderr.
# DEB_BUILD_OPTIONS is passed through (e.g. nocheck, parallel=N).
set -eu

: "${top_srcdir:?top_srcdir must be set}"
: "${top_builddir:?top_builddir must be set}"
MAKE=${MAKE:-make}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)

die() { echo "build-deb.sh: $*" >&2; exit 1; }

for tool in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found: apt-get install dpkg-dev debhelper"
done

. "$top_srcdir/packaging/tarball.sh"
pkg_version
debversion=$(dpkg-parsechangelog -l "$top_srcdir/packaging/debian/changelog" -S Version)
[ "${debversion%-*}" = "$version" ] ||
	die "packaging/debian/changelog is at $debversion, the project at $version: add a changelog entry (dch -v $version-1)"
pkg_tarball "$@"
pkg_workdir deb

cp "$tarball" "$work/milterkit_$version.orig.tar.gz"
tar -xzf "$tarball" -C "$work"
src=$work/milterkit-$version
[ -d "$src" ] || die "$tarball does not unpack to milterkit-$version/"
cp -R "$top_srcdir/packaging/debian" "$src/debian"
chmod -R u+w "$src/debian"
chmod +x "$src/debian/rules"

# The package build is a build of its own: nothing of the calling make
# (jobserver, command-line variables) or of this script leaks into it.
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	-u top_srcdir -u top_builddir dpkg-buildpackage -b -us -uc) >&2

found=0
for deb in "$work"/*.deb; do
	[ -f "$deb" ] || continue
	mv -f "$deb" "$out/"
	echo "$out/$(basename "$deb")"
	found=1
done
[ "$found" = 1 ] || die "dpkg-buildpackage made no .deb"
