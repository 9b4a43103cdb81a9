#!/bin/sh
# tests/cli/test_store_owner.sh - the milterkit command run as root on a
# store that belongs to another user (the daemons' user; nobody here)
#
# Root's command must become the store's owner before it opens anything:
# a link the owner planted in the store (suppress/lock.mdb pointing at a
# file of root's) must not let root's command write through it, what the
# command creates belongs to the owner without any chown, a file only root
# can read is still imported, and a store directory others may write to is
# refused with the reason.
. "$top_srcdir/tests/lib/tap.sh"

MK="$top_builddir/tools/milterkit"
[ "$(id -u)" = 0 ] || tap_bail "must run as root"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
S="$T/store"
CONF="$T/mk.conf"
printf '[store]\npath = %s\n[ratelimit r]\nkey = sender\nmessages = 5/1h\n' \
    "$S" > "$CONF"
run() {
	"$MK" -c "$CONF" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
owner() { stat -c %U "$1"; }
fresh() { rm -rf "$S"; mkdir -m 750 "$S"; chown nobody: "$S"; }

# A planted link: root's file behind it is left alone.
mkdir -m 700 "$T/root"
printf 'precious\n' > "$T/root/victim"
fresh
mkdir -m 750 "$S/suppress"; chown nobody: "$S/suppress"
ln -s "$T/root/victim" "$S/suppress/lock.mdb"; chown -h nobody: "$S/suppress/lock.mdb"
run suppress add bob@example.com --reason bounce
tap_like "a planted lock.mdb link: store error, exit 3" "$rc:$err" \
    "^3:.*cannot (open|publish the new) store"
tap_is "root's file behind the link is unchanged" "$(cat "$T/root/victim")" precious
tap_is "root's file keeps its owner" "$(owner "$T/root/victim")" root

# Same through the rate-limit verbs.
fresh
mkdir -m 750 "$S/ratelimit"; chown nobody: "$S/ratelimit"
ln -s "$T/root/victim" "$S/ratelimit/lock.mdb"; chown -h nobody: "$S/ratelimit/lock.mdb"
ln -s "$T/root/victim" "$S/ratelimit/data.mdb"; chown -h nobody: "$S/ratelimit/data.mdb"
run ratelimit reset a@example.com
tap_like "ratelimit reset through planted links: exit 3" "$rc" "^3$"
tap_is "ratelimit reset leaves root's file unchanged" "$(cat "$T/root/victim")" precious

# A clean store of nobody's: files are nobody's from the start.
fresh
run suppress add bob@example.com --reason bounce
tap_is "add as root into nobody's store: exit 0" "$rc:$err" "0:"
for f in suppress suppress/data.mdb suppress/lock.mdb; do
	tap_is "$f belongs to the store's owner" "$(owner "$S/$f")" nobody
done
printf 'carol@example.com,complaint,,,\n' > "$T/root/list.csv"
chmod 600 "$T/root/list.csv"
run suppress import "$T/root/list.csv"
tap_like "import of a file only root can read" "$rc:$out" "^0:imported 1 "
run suppress check carol@example.com
tap_is "the imported entry is there" "$rc" 0

# A store directory others can write to is refused, nothing opened.
fresh; chmod 770 "$S"
run suppress add dave@example.com
tap_like "a group-writable store directory is refused" "$rc:$err" \
    "^3:.*writable by its group.*chmod go-w"
tap_is "nothing was created in it" "$(ls -A "$S")" ""
# store init: creates an empty store as its owner, leaves an existing one.
fresh
run store init
tap_is "store init into nobody's directory" "$rc:$out" "0:$S: store created"
tap_is "the new store belongs to nobody" "$(owner "$S/suppress/data.mdb")" nobody
run store info
tap_like "the new store is empty" "$(printf '%s' "$rc:$out" | tr '\n' ' ')" "^0:.*entries: 0 "
run suppress add erin@example.com
run store init
tap_is "store init again leaves it as it is" "$rc:$out" \
    "0:$S: store exists, left as it is"
run suppress check erin@example.com
tap_is "the entry is still there" "$rc" 0

# store info says whether milterkit-policyd can use its rate-limit state:
# absent, or unusable by the store's owner (here a directory of root's).
run store info
tap_like "store info: rate-limit state absent" "$out" \
    "ratelimit: absent \(milterkit-policyd creates it\)"
mkdir -m 700 "$S/ratelimit"
run store info
tap_like "store info: rate-limit state the owner cannot open is UNUSABLE" \
    "$rc:$(printf '%s' "$out" | tail -1)" \
    "^0:ratelimit: UNUSABLE: .*ratelimit: Permission denied: milterkit-policyd enforces no rate limit"
run store info --json
tap_like "store info --json: the same" "$out" \
    '"ratelimit":"unusable","ratelimit_detail":".*Permission denied"\}$'
chown nobody "$S/ratelimit"
run store info
tap_like "store info: rate-limit state ok" "$(printf '%s' "$out" | tail -1)" "^ratelimit: ok$"

# Root creating a store of root's while the daemons run as nobody: a warning
# names the user and the fix.
rm -rf "$S"
printf '[suppress]\nuser = nobody\n' >>"$CONF"
run store init
tap_like "root's new store: a warning names the daemons' user" "$rc:$err" \
    "^0:milterkit: warning: $S was created by root .* run as nobody .*chown -R nobody: $S"
run store init
tap_is "no warning for a store that exists" "$err" ""
tap_done
