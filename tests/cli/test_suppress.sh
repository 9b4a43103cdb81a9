#!/bin/sh
# tests/cli/test_suppress.sh - the milterkit command against a temporary store
#
# Drives tools/milterkit: suppress add/check/remove/list/export/purge/import,
# store info and config check, asserting output and every exit code
# (0 ok, 1 negative answer, 2 usage or input error, 3 store error).
. "$top_srcdir/tests/lib/tap.sh"

MK="$top_builddir/tools/milterkit"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
S="$T/store"
CONF="$T/mk.conf"
# No daemon user: a store root creates here is not meant for daemons (see
# test_store_owner.sh for the warning about it).
printf '[store]\npath = %s\n[suppress]\nuser =\n' "$S" > "$CONF"

# run ARGS...: sets $out, $err and $rc
run() {
	"$MK" -c "$CONF" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
flat() { printf '%s' "$1" | tr '\n' ' '; }
count() { run suppress list --expired; printf '%s' "$out" | grep -c .; }

# --- usage and help ---
run; tap_is "no verb: exit 2" "$rc" 2
run --help; tap_is "--help: exit 0" "$rc" 0
tap_like "--help documents exit codes" "$out" "3 store or system error"
run -V; tap_like "-V prints the version" "$out" "^milterkit [0-9]"
for v in add remove list export purge check import; do
	run suppress "$v" --help
	tap_like "suppress $v --help" "$(flat "$rc:$out")" "^0:usage:.*suppress $v"
done
run store info --help; tap_is "store info --help: exit 0" "$rc" 0
run config check --help; tap_is "config check --help: exit 0" "$rc" 0
# A store that is not there is a store error, not "not suppressed".
run --store "$T/nostore" suppress check a@b.example
tap_like "check without a store: exit 3, not a negative answer" "$rc:$err" \
    "^3:milterkit: cannot open store: $T/nostore: .*no store"
run --store "$T/nostore" store info
tap_like "store info without a store: exit 3" "$rc" "^3$"
run suppress add a@b.example --frobnicate
tap_like "unknown option: exit 2 naming it" "$rc:$err" "^2:.*--frobnicate"
run suppress frob; tap_is "unknown suppress verb: exit 2" "$rc" 2
"$MK" -c "$T/missing.conf" suppress list > /dev/null 2> "$T/err"
tap_like "missing named config: exit 2" "$?:$(cat "$T/err")" "^2:.*missing.conf"

# --- add, normalization, check ---
run suppress add 'Foo.Bar@Example.COM' --reason bounce --note 'hard bounce'
tap_like "add prints the normalized address" "$rc:$out" "^0:added foo.bar@example.com reason=bounce"
run suppress add 'kunde@BÜCHER.example'
tap_like "add converts IDN to its ASCII form" "$out" "kunde@xn--bcher-kva.example reason=manual"
run suppress check 'FOO.BAR@example.com'
tap_is "check suppressed: exit 0" "$rc" 0
tap_like "check says which entry and why" "$(flat "$out")" "scope=global target=foo.bar@example.com.*reason=bounce created=[0-9-]+T.*expires=never note=hard bounce"
run suppress check 'kunde@bücher.example'
tap_is "check normalizes IDN like add" "$rc" 0
run suppress check 'other@example.com'
tap_like "check not suppressed: exit 1" "$rc:$out" "^1:not suppressed"
run suppress add @Spam.example --scope Sender.example --reason complaint
tap_like "scoped domain entry" "$rc:$out" "^0:added @spam.example scope=sender.example"
run suppress check anyone@spam.example
tap_is "scoped entry does not apply without sender" "$rc" 1
run suppress check anyone@spam.example --sender list@SENDER.example
tap_like "scoped entry applies to its sender's domain" "$(flat "$rc:$out")" "^0:.*scope=sender.example target=@spam.example"
run suppress check anyone@spam.example --sender list@other.example
tap_is "scoped entry ignores other senders" "$rc" 1

# --- bad input: exit 2 and a clear message ---
long=$(printf '%0250d' 0)
run suppress add "$long@example.com"
tap_like "address over 254 octets" "$rc:$err" "^2:.*too long"
run suppress add '"abc@example.com'
tap_like "unbalanced quote" "$rc:$err" "^2:.*quote"
run suppress add "$(printf 'a\001b@example.com')"
tap_like "control character in address" "$rc:$err" "^2:.*control"
run suppress add '""@example.com'
tap_like "empty local part" "$rc:$err" "^2:.*empty local"
run suppress add 'a@xn--zz.example'
tap_like "invalid IDN" "$rc:$err" "^2:.*internationalized"
run suppress add a@example.com --reason spam
tap_like "unknown reason" "$rc:$err" "^2:.*unknown reason"
run suppress add a@example.com --expires 2020-01-01
tap_like "--expires in the past" "$rc:$err" "^2:.*past"
run suppress add a@example.com --expires 2030-02-30
tap_like "--expires invalid date" "$rc:$err" "^2:.*bad date"
run suppress add a@example.com --note "$(printf 'bell\007')"
tap_like "note with a control character" "$rc:$err" "^2:.*control"
run suppress add a@example.com --note "$(printf '%0201d' 0)"
tap_like "note over the limit" "$rc:$err" "^2:.*at most 200"
tap_is "bad input wrote nothing" "$(count)" 3

# --- list, JSON, remove ---
run suppress list
tap_is "list: one line per entry" "$(printf '%s\n' "$out" | grep -c .)" 3
tap_like "list is tab-separated" "$out" "$(printf 'global\tfoo.bar@example.com\tbounce\t')"
run suppress add 'q@example.com' --note 'say "hi" \ back'
run suppress list --json
if printf '%s\n' "$out" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 4, rows
assert any(r["note"] == "say \"hi\" \\ back" for r in rows), rows
' 2> "$T/perr"; then tap_ok "list --json: valid JSON lines, escaped note"
else tap_fail "list --json: valid JSON lines, escaped note" "$(cat "$T/perr")"; fi
run suppress list --global --reason bounce
tap_is "list --global --reason filters" "$(printf '%s\n' "$out" | grep -c .)" 1
run suppress list --scope sender.example
tap_like "list --scope filters" "$out" "^sender.example	@spam.example	complaint"
run suppress remove q@EXAMPLE.com
tap_like "remove: exit 0" "$rc:$out" "^0:removed q@example.com"
run suppress remove q@example.com
tap_like "remove absent: exit 1" "$rc:$err" "^1:.*no such entry"
run suppress remove @spam.example
tap_is "remove needs the right scope" "$rc" 1

# --- expiry and purge ---
run suppress add soon@example.com --expires 1
tap_is "add --expires 1 (second)" "$rc" 0
sleep 2
run suppress check soon@example.com
tap_is "expired entry no longer suppresses" "$rc" 1
run suppress list
tap_is "list hides expired entries" "$(printf '%s\n' "$out" | grep -c soon@)" 0
run suppress list --expired
tap_is "list --expired shows them" "$(printf '%s\n' "$out" | grep -c soon@)" 1
run suppress purge
tap_like "purge reports the count" "$rc:$out" "^0:purged 1 expired entry"
tap_is "purge removed it" "$(count)" 3

# --- store info ---
run store info --json
if printf '%s\n' "$out" | python3 -c '
import json, sys
i = json.loads(sys.stdin.read())
want = {"entries": 3, "global": 2, "scoped": 1, "scopes": 1, "domains": 1,
        "schema_version": 1}
for k, v in want.items():
    assert i[k] == v, (k, i[k], v)
assert i["by_reason"] == {"bounce": 1, "complaint": 1, "unsubscribe": 0,
                          "manual": 1}, i["by_reason"]
assert i["local_part"] == "fold" and i["map_size"] > 0
' 2> "$T/perr"; then tap_ok "store info counts"
else tap_fail "store info counts" "$(cat "$T/perr")"; fi
run store info
tap_like "store info text" "$(flat "$rc:$out")" "^0:store: .*entries: 3.*normalization: local_part=fold"

# --- export | import round trip ---
run suppress export; exp1=$out
tap_like "export is CSV with a header" "$exp1" "^address,reason,scope,expires,note"
"$MK" -c "$CONF" suppress export | "$MK" -c "$CONF" --store "$T/copy" suppress import - > "$T/out" 2>&1
tap_like "export | import" "$?:$(cat "$T/out")" "^0:imported 3 \(added 3, replaced 0, skipped 0\)"
tap_is "export | import round-trips" "$("$MK" --store "$T/copy" suppress export)" "$exp1"

# --- import: plain, CSV, all or nothing ---
printf '# plain list\r\nP1@Example.net\r\n\r\np2@example.net\np1@example.net\n' > "$T/plain.txt"
run suppress import "$T/plain.txt" --reason unsubscribe --expires 30d
tap_like "plain import counts duplicates" "$rc:$out" "^0:imported 3 \(added 2, replaced 0, skipped 0\)"
run suppress check p1@example.net
tap_like "plain lines take --reason" "$out" "reason=unsubscribe"
cat > "$T/csv.csv" <<'EOF'
address,reason,scope,expires,note
c1@example.org,bounce,,2030-01-01,"note, with ""quotes"""
c2@example.org,,Sender.example,,
EOF
run suppress import "$T/csv.csv"
tap_like "CSV import" "$rc:$out" "^0:imported 2 \(added 2"
run suppress check c1@example.org
tap_like "CSV fields are kept" "$out" "expires=2030-01-01T00:00:00Z note=note, with \"quotes\""
before=$(count)
printf 'g1@example.org\ng2@example.org\ngarbage line\ng3@example.org\n' > "$T/bad.txt"
run suppress import "$T/bad.txt"
tap_like "bad line stops the import with its line number" "$rc:$err" "^2:.*bad.txt:3: bad address"
tap_is "stopped import wrote nothing" "$(count)" "$before"
printf 'h1@example.org,bounce,,,"open\n' > "$T/quote.csv"
run suppress import "$T/quote.csv"
tap_like "unbalanced CSV quote" "$rc:$err" "^2:.*quote.csv:1: unbalanced quotes"
printf 'h1@example.org\n%05000d@x\nh2@example.org\n' 0 > "$T/long.txt"
run suppress import "$T/long.txt"
tap_like "over-long line is an error" "$rc:$err" "^2:.*long.txt:2: line longer"
head -c 3000 /dev/urandom > "$T/junk.bin"
run suppress import "$T/junk.bin"
tap_is "binary garbage: exit 2" "$rc" 2
tap_is "garbage wrote nothing" "$(count)" "$before"
printf 'k1@example.org\n\001\n@@\nk2@example.org\nk1@example.org\n' > "$T/skip.txt"
run suppress import "$T/skip.txt" --skip-bad
tap_like "--skip-bad imports the rest" "$rc:$out" "^0:imported 3 \(added 2, replaced 0, skipped 2\)"
tap_is "--skip-bad reports each skipped line" "$(printf '%s\n' "$err" | grep -c '^skipped: .*skip.txt:[23]:')" 2
run suppress import "$T/nonexistent.txt"
tap_like "missing import file: exit 2" "$rc:$err" "^2:.*nonexistent.txt"

# --- config check ---
run config check
tap_like "config check good file: the words of -t" "$rc:$out" "^0:$CONF: configuration OK$"
run config check -v
tap_like "config check -v dumps the configuration" "$out" "\[store\]"
printf '[store]\npath = /x\n\nbogus_key = 1\n' > "$T/bad.conf"
"$MK" config check -c "$T/bad.conf" > "$T/out" 2> "$T/err"
tap_like "config check bad file: FILE:LINE" "$?:$(cat "$T/err")" "^2:$T/bad.conf:4:"
# Filter sections live with their filters; the command registers them all.
printf '[store]\npath = /x\n[chain]\nsocket = unix:%s/chain.sock\nfilters = headers suppress\n' \
    "$T" > "$T/chain.conf"
"$MK" config check -c "$T/chain.conf" > "$T/out" 2> "$T/err"
tap_like "config check knows [chain]" "$?:$(cat "$T/out")" \
    "^0:$T/chain.conf: configuration OK$"
printf '[chain]\n\nfilters = suppress, nope\n' > "$T/chain_bad.conf"
"$MK" config check -c "$T/chain_bad.conf" > "$T/out" 2> "$T/err"
tap_like "config check: an unknown filter fails at FILE:LINE, named" \
    "$?:$(cat "$T/err")" \
    "^2:$T/chain_bad.conf:3: \[chain\] filters: unknown filter \"nope\""

# --- store errors: exit 3 ---
mkdir -p "$T/priv"
"$MK" --store "$T/priv" suppress add x@example.com > /dev/null
chmod 700 "$T/priv"
setpriv --reuid=65534 --regid=65534 --clear-groups "$MK" -c "$CONF" \
	--store "$T/priv" suppress check x@example.com > "$T/out" 2> "$T/err"
tap_like "store without permission: exit 3" "$?:$(cat "$T/err")" "^3:.*ermission"
printf '[store]\npath = %s\nmap_size = 1M\n[suppress]\nuser =\n' "$T/tiny" > "$T/tiny.conf"
seq 1 100000 | sed 's/^/user/; s/$/@full.example/' > "$T/many.txt"
"$MK" -c "$T/tiny.conf" suppress import "$T/many.txt" > "$T/out" 2> "$T/err"
tap_like "full map: exit 3 naming map_size" "$?:$(cat "$T/err")" "^3:.*map_size"

tap_done
