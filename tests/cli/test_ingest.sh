#!/bin/sh
# tests/cli/test_ingest.sh - `milterkit ingest` against a temporary store
#
# Reports built with tests/ingest/mkreport.sh and tokens made with
# tests/lib/mktoken (the keys the filters would sign with): hard bounces
# suppress, soft ones are counted up to the threshold, complaints and
# mailto unsubscribes are scoped, forgeries and auto-replies change
# nothing, the same report twice changes nothing, --dry-run changes
# nothing, a store that cannot be written exits 75 with nothing lost.
# Then every message of the corpus (tests/ingest/corpus) through the
# command, against its expected kind, recipient and status.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ingest/mkreport.sh"

MK="$top_builddir/tools/milterkit"
TOK="$top_builddir/tests/lib/mktoken"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
printf 'return-path-secret-for-tests\n' > "$T/rp.key"
printf 'unsubscribe-secret-for-tests\n' > "$T/un.key"
chmod 600 "$T/rp.key" "$T/un.key"
CONF="$T/mk.conf"
cat > "$CONF" <<CF
[store]
path = $T/store
[log]
target = file:$T/log
[returnpath]
secret_file = $T/rp.key
[headers]
unsubscribe_secret_file = $T/un.key
[ingest]
soft_threshold = 3
soft_expire = 30d
CF

# ing ARGS... < message: sets $out (JSON lines flattened) and $rc
ing() {
	"$MK" -c "$CONF" ingest --json "$@" > "$T/out" 2> "$T/err"
	rc=$?
	out=$(tr '\n' ' ' < "$T/out")
}
list() { "$MK" -c "$CONF" suppress list 2>&1 | tr '\n' ' '; }
rp() { echo "$("$TOK" rp "$T/rp.key" "$@")@bounces.example.com"; }

# --- hard bounce to a valid token ---
A=$(rp news@example.com bob@example.net)
mk_dsn "$A" bob@example.net 5.1.1 failed > "$T/hard.eml"
ing < "$T/hard.eml"
tap_like "hard bounce: exit 0, kind hard, action suppress" "$rc:$out" \
    '^0:\{"kind":"hard","recipient":"bob@example.net","status":"5.1.1","scope":"global","action":"suppress"'
tap_like "hard bounce: a global entry, reason bounce" "$(list)" \
    'global[[:space:]]+bob@example.net[[:space:]]+bounce'
tap_like "one log line for the decision" "$(cat "$T/log")" \
    'ingest: hard rcpt=<bob@example.net> status=5.1.1 scope=global action=suppress'
before=$(list)
ing < "$T/hard.eml"
tap_like "the same report again: action seen" "$rc:$out" '^0:.*"action":"seen"'
tap_is "the same report again changes nothing" \
    "$(list)" "$before"
ing --recipient "$A" < "$T/hard.eml"
tap_like "--recipient names the token address" "$rc:$out" '^0:.*"kind":"hard"'

# --- forged, expired, missing tokens ---
F=$(echo "$A" | sed 's/^b0=\(.\)/b0=z/; s/^b0=zz/b0=zy/')
mk_dsn "$F" carol@example.net 5.1.1 failed > "$T/m"; ing < "$T/m"
tap_like "forged token: ignored" "$rc:$out" '^0:.*"kind":"ignored".*does not match'
tap_is "forged token: nothing added" "$(list | grep -c carol)" 0
E=$(rp news@example.com carol@example.net 1 1700000000)
mk_dsn "$E" carol@example.net 5.1.1 failed > "$T/m"; ing < "$T/m"
tap_like "expired token: ignored" "$rc:$out" '^0:.*"ignored".*expired'
mk_dsn "postmaster@example.com" carol@example.net 5.1.1 failed > "$T/m"; ing < "$T/m"
tap_like "no token, require_token: ignored" "$rc:$out" '^0:.*require_token'

# --- soft bounces crossing the threshold ---
S=$(rp news@example.com full@example.net)
for i in 1 2 3; do
	mk_dsn "$S" full@example.net 4.2.2 failed > "$T/m"; ing < "$T/m"
	eval "soft$i=\$out"
done
tap_like "soft 1: counted" "$soft1" '"kind":"soft".*"action":"count"'
tap_like "soft 2: counted" "$soft2" '"action":"count"'
tap_like "soft 3: suppressed" "$soft3" '"action":"suppress"'
tap_like "soft suppression expires (soft_expire)" \
    "$("$MK" -c "$CONF" suppress check full@example.net 2>&1 | tr '\n' ' ')" \
    'expires=20[0-9][0-9]-'
mk_dsn "$S" late@example.net 4.4.7 delayed > "$T/m"; ing < "$T/m"
tap_like "a delay notice is ignored" "$out" '"kind":"ignored".*"action":"none"'

# --- complaint with the token in Original-Mail-From ---
C=$(rp news@example.com dave@example.net)
mk_arf fbl@relay.example redacted@isp.example "$C" > "$T/m"; ing < "$T/m"
tap_like "complaint: the token's recipient, scoped to the sender domain" \
    "$rc:$out" '^0:\{"kind":"complaint","recipient":"dave@example.net","status":"","scope":"example.com","action":"suppress"'
tap_like "complaint entry is scoped, reason complaint" "$(list)" \
    'example.com[[:space:]]+dave@example.net[[:space:]]+complaint'
mk_arf fbl@relay.example x@example.net "$C" not-spam > "$T/m"; ing < "$T/m"
tap_like "not-spam report: ignored" "$out" '"kind":"ignored"'

# --- mailto unsubscribe ---
U=$("$TOK" unsub "$T/un.key" erin@example.net example.com)
mk_unsub "unsubscribe+$U@example.com" erin@example.net > "$T/m"; ing < "$T/m"
tap_like "mailto unsubscribe: scoped, reason unsubscribe" "$rc:$out:$(list)" \
    '^0:.*"kind":"unsubscribe","recipient":"erin@example.net".*"scope":"example.com".*example.com[[:space:]]+erin@example.net[[:space:]]+unsubscribe'
mk_unsub "unsubscribe+$U@example.com" mallory@example.net > "$T/m"; ing < "$T/m"
tap_like "someone else's token: ignored" "$out" '"kind":"ignored".*does not verify'
mk_vacation "unsubscribe+$U@example.com" erin@example.net > "$T/m"; ing < "$T/m"
tap_like "auto-reply to the unsubscribe address: ignored" "$out" '"kind":"ignored"'

# --- auto-reply and garbage ---
mk_vacation "$A" bob@example.net > "$T/m"; ing < "$T/m"
tap_like "vacation reply: ignored, exit 0" "$rc:$out" '^0:.*"kind":"ignored".*auto-reply'
head -c 3000 /dev/urandom > "$T/garbage"
ing "$T/garbage"
tap_like "garbage: exit 0, kind ignored, logged" "$rc:$out:$(tail -1 "$T/log")" \
    '^0:.*"kind":"ignored".*ingest: ignored'
ing < /dev/null
tap_like "empty input: exit 0, ignored" "$rc:$out" '^0:.*"ignored"'

# --- dry run ---
G=$(rp news@example.com gina@example.net)
mk_dsn "$G" gina@example.net 5.1.1 failed > "$T/gina.eml"
n0=$(list)
ing --dry-run "$T/gina.eml"
tap_like "--dry-run says what it would do" "$rc:$out" '^0:.*"action":"would-suppress"'
tap_is "--dry-run changes nothing" "$(list)" "$n0"

# --- batch: several files in one run ---
for r in h1 h2 h3; do
	mk_dsn "$(rp news@example.com $r@example.org)" $r@example.org 5.1.1 failed > "$T/$r.eml"
done
ing "$T/h1.eml" "$T/h2.eml" "$T/h3.eml"
tap_like "a batch of three: three suppressions" "$rc:$(list)" \
    '^0:.*h1@example.org.*h2@example.org.*h3@example.org'

# --- the store cannot be written: 75, the MTA keeps the message ---
sed "s|^path = .*|path = /dev/null/store|" "$CONF" > "$T/bad.conf"
"$MK" -c "$T/bad.conf" ingest < "$T/gina.eml" > /dev/null 2>&1
tap_is "store unavailable: exit 75" "$?" 75
chmod 644 "$T/rp.key"
ing < "$T/gina.eml"
tap_like "a key others can read: exit 75, logged" "$rc:$(tail -1 "$T/log")" \
    '^75:.*readable by others'
chmod 600 "$T/rp.key"
ing < "$T/gina.eml"
tap_like "then, retried: suppressed" "$rc:$out" '^0:.*"action":"suppress"'

# --- forwarding the bounce to the sender ---
cat > "$T/sendmail" <<SH
#!/bin/sh
echo "\$*" > "$T/fwd.args"; cat > "$T/fwd.msg"
SH
chmod 755 "$T/sendmail"
printf 'forward = yes\nsendmail = %s\n' "$T/sendmail" >> "$CONF"
mk_dsn "$(rp news@example.com hank@example.org)" hank@example.org 5.1.1 failed > "$T/m"; ing < "$T/m"
tap_like "forward = yes: the bounce goes to the token's sender" \
    "$rc:$(cat "$T/fwd.args" 2>/dev/null)" '^0:-i -f  -- news@example.com$'
sed -i "s|^sendmail = .*|sendmail = /bin/false|" "$CONF"
mk_dsn "$(rp news@example.com ivy@example.org)" ivy@example.org 5.1.1 failed > "$T/m"; ing < "$T/m"
tap_is "forwarding fails: exit 75 (the MTA retries)" "$rc" 75

# --- usage ---
"$MK" -c "$CONF" ingest --frob > /dev/null 2>&1
tap_is "unknown option: exit 2" "$?" 2
"$MK" -c "$CONF" ingest "$T/nonexistent" > /dev/null 2>&1
tap_is "unreadable file: exit 2" "$?" 2

# --- the corpus: kind, recipient and status of every message ---
cat > "$T/corpus.conf" <<CF
[store]
path = $T/cstore
[log]
target = file:$T/clog
[ingest]
require_token = no
CF
while read -r file type kind rcpt status; do
	case $file in ''|'#'*) continue ;; esac
	[ "$rcpt" = - ] && rcpt=
	[ "$status" = - ] && status=
	[ "$kind" = - ] && kind=ignored
	# A complaint naming nobody (a redacted report, no token) is kept
	# by the parser and ignored by the command: nobody to suppress.
	[ "$kind" = complaint ] && [ -z "$rcpt" ] && kind=ignored
	printf '%s %s %s %s\n' "$file" "$kind" "$rcpt" "$status"
done < "$top_srcdir/tests/ingest/expected" > "$T/want"
for f in $(cut -d' ' -f1 "$T/want" | uniq); do
	"$MK" -c "$T/corpus.conf" ingest --dry-run --json \
	    "$top_srcdir/tests/ingest/corpus/$f" 2>/dev/null |
	    sed -n 's/^{"kind":"\([a-z]*\)","recipient":"\([^"]*\)","status":"\([^"]*\)".*/\1 \2 \3/p' |
	    sed "s/^/$f /; s/ *$//"
done > "$T/got"
sed 's/ *$//' "$T/want" > "$T/want2"
if [ -s "$T/want2" ] && diff "$T/want2" "$T/got" > "$T/diff"; then
	tap_ok "corpus: $(wc -l < "$T/want") expected items, every one as expected"
else
	tap_fail "corpus: every expected item" "$(cat "$T/diff")"
fi
tap_like "corpus: at least 40 messages" "$(ls "$top_srcdir/tests/ingest/corpus" | grep -c '\.eml$')" \
    '^([4-9][0-9]|[1-9][0-9][0-9])$'
tap_done
