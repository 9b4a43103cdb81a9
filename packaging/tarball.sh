# packaging/tarball.sh - sourced by build-deb.sh and build-rpm.sh: the
# project version from the configured build tree, and the release tarball.
#
#   pkg_version            sets $version from $top_builddir/Makefile
#   pkg_tarball [TARBALL]  sets $tarball: the one given, or a fresh `make dist`
#   pkg_workdir KIND       makes $top_builddir/packages/KIND.XXXXXX (removed
#                          at exit), sets $out and $work
# The caller defines die() and sets top_srcdir, top_builddir and MAKE.

pkg_version() {
	version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
	[ -n "$version" ] || die "no PACKAGE_VERSION in $top_builddir/Makefile"
}

pkg_tarball() {
	if [ $# -ge 1 ]; then
		tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	else
		(cd "$top_builddir" && $MAKE dist) >&2
		tarball=$top_builddir/milterkit-$version.tar.gz
	fi
	[ -f "$tarball" ] || die "no release tarball $tarball"
}

pkg_workdir() {
	out=$top_builddir/packages
	mkdir -p "$out"
	work=$(mktemp -d "$out/$1.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
}
