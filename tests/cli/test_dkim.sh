#!/bin/sh
# tests/cli/test_dkim.sh - the `milterkit dkim` verbs
#
# keygen: RSA and Ed25519 keys land in DIR/DOMAIN/SELECTOR.key, mode 0600,
# belonging to [dkim] user (nobody here) with their directory; the printed
# TXT record carries the key's own public half (compared with openssl's)
# in strings of at most 255 octets; 1024 bits, an existing key and a
# DIR/DOMAIN that is a symbolic link are refused. status: which selectors
# sign now and next across a from=/until= rotation, and a key the signer
# could not use named with its reason. import-opendkim: a small KeyTable
# and refile SigningTable give the expected signing-table lines.
. "$top_srcdir/tests/lib/tap.sh"

MK="$top_builddir/tools/milterkit"
[ "$(id -u)" = 0 ] || tap_bail "must run as root (keys are given to nobody)"
command -v openssl > /dev/null || tap_bail "openssl(1) needed"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
K="$T/keys"
CONF="$T/mk.conf"
printf '[dkim]\nuser = nobody\nsigning_table = %s/signing.table\n' "$T" \
    > "$CONF"
run() {
	"$MK" -c "$CONF" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
# The p= of a printed record: the quoted strings joined, p= cut out.
txt_p() {
	printf '%s\n' "$1" | grep -o '"[^"]*"' | tr -d '"\n' |
	    sed 's/.*p=//'
}
longest_string() {
	printf '%s\n' "$1" | grep -o '"[^"]*"' | tr -d '"' |
	    awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'
}

# RSA, the default type, 2048 bits.
run dkim keygen Example.COM s2030 --dir "$K"
tap_is "keygen rsa: exit 0" "$rc" 0
f="$K/example.com/s2030.key"
tap_is "rsa key: mode 0600, owner nobody" "$(stat -c '%a %U' "$f")" "600 nobody"
tap_is "domain directory: mode 0700, owner nobody" \
    "$(stat -c '%a %U' "$K/example.com")" "700 nobody"
tap_like "rsa record: name, class, type and tags" "$out" \
    '^s2030\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; p=[^"]*"( "[^"]*")* \)$'
want=$(openssl pkey -in "$f" -pubout | grep -v '^-----' | tr -d '\n')
tap_is "rsa record: p= is the key's public half" "$(txt_p "$out")" "$want"
tap_like "rsa record: strings of at most 255 octets, split" \
    "$(longest_string "$out"):$(printf '%s' "$out" | grep -o '"' | wc -l)" \
    '^255:4$'
tap_like "rsa key: 2048 bits" "$(openssl pkey -in "$f" -text_pub -noout)" \
    '2048 bit'

# 4096 bits: allowed, longer record, still 255-octet strings.
run dkim keygen example.com big --bits 4096 --dir "$K"
tap_like "rsa 4096: exit 0, 4096 bits" "$rc:$(openssl pkey -in \
    "$K/example.com/big.key" -text_pub -noout 2>&1)" '^0:.*4096 bit'
tap_is "rsa 4096 record: p= matches, longest string 255" \
    "$(txt_p "$out"):$(longest_string "$out")" \
    "$(openssl pkey -in "$K/example.com/big.key" -pubout |
    grep -v '^-----' | tr -d '\n'):255"

# Ed25519: k=ed25519, p= the raw 32-octet key (RFC 8463).
run dkim keygen example.com ed2030 --type ed25519 --dir "$K"
f="$K/example.com/ed2030.key"
tap_is "keygen ed25519: exit 0, mode 0600, owner nobody" \
    "$rc $(stat -c '%a %U' "$f")" "0 600 nobody"
want=$(openssl pkey -in "$f" -pubout -outform DER | tail -c 32 | base64)
tap_is "ed25519 record: k=ed25519, p= the raw public key" "$out" \
    "ed2030._domainkey.example.com. IN TXT ( \"v=DKIM1; k=ed25519; p=$want\" )"

# Refusals.
run dkim keygen example.com weak --bits 1024 --dir "$K"
tap_is "1024 bits refused: exit 2" "$rc" 2
tap_is "1024 bits refused: nothing written" \
    "$(ls "$K/example.com/weak.key" 2>/dev/null)" ""
sum=$(md5sum < "$K/example.com/s2030.key")
run dkim keygen example.com s2030 --dir "$K"
tap_like "an existing key is refused: exit 3, named" "$rc:$err" \
    '^3:.*s2030\.key: exists'
tap_is "the existing key is unchanged" "$(md5sum < "$K/example.com/s2030.key")" \
    "$sum"
mkdir -m 700 "$T/elsewhere"
ln -s "$T/elsewhere" "$K/example.net"
run dkim keygen example.net s1 --dir "$K"
tap_like "DIR/DOMAIN a symbolic link: exit 3, said" "$rc:$err" \
    '^3:.*example\.net: is a symbolic link'
tap_is "nothing written through the link, its target still root's" \
    "$(ls -A "$T/elsewhere"):$(stat -c %U "$T/elsewhere")" ":root"

# status: a rotation from s2030 to big, Ed25519 throughout.
cat > "$T/signing.table" <<EOF
# rotation: both published from 2030-01-15, s2030 retired 2030-02-01
example.com s2030 $K/example.com/s2030.key until=2030-02-01
example.com big $K/example.com/big.key from=2030-01-15
example.com ed2030 $K/example.com/ed2030.key
EOF
run dkim status --at 2030-01-10
tap_is "status: exit 0 when every key loads" "$rc" 0
tap_like "status before the overlap: s2030 and ed2030 sign now" "$out" \
    'example\.com signs now: s2030 \(d=[^)]*\), ed2030 \(d='
tap_like "status before the overlap: next from 2030-01-15 adds big" "$out" \
    'example\.com signs next, from 2030-01-15: s2030 \(d=[^)]*\), big \(d=[^)]*\), ed2030'
run dkim status --at 2030-01-20
tap_like "status in the overlap: all three sign now" "$out" \
    'example\.com signs now: s2030 \(d=[^)]*\), big \(d=[^)]*\), ed2030 \(d='
tap_like "status in the overlap: next from 2030-02-01 without s2030" "$out" \
    'example\.com signs next, from 2030-02-01: big \(d=[^)]*\), ed2030 \(d=[^)]*\)$'
run dkim status --at 2030-02-01 --json
tap_like "status --json after the rotation: now big and ed2030, nothing next" \
    "$out" '"now":\["big","ed2030"\]\}\]\}$'
cp "$K/example.com/s2030.key" "$T/rootkey.key"
chmod 600 "$T/rootkey.key"
echo "example.org s1 $T/rootkey.key" >> "$T/signing.table"
run dkim status --at 2030-01-10
tap_is "status: exit 3 when a key does not load" "$rc" 3
tap_like "status: a key not owned by [dkim] user is named" \
    "$out" "^line 5: example\.org s=s1 .*error: key file $T/rootkey.key is owned by uid 0, not by nobody"

# import-opendkim: refile patterns, d= where the domains differ, comments.
cat > "$T/KeyTable" <<'EOF'
# OpenDKIM's keys
k1     example.com:s2024:/etc/opendkim/keys/example.com/s2024.private
k2     example.net:mail:/etc/opendkim/keys/example.net/mail.private
other  example.com:news:/etc/opendkim/keys/news.private
relay  relay.example.org:r1:/etc/opendkim/keys/relay.private
EOF
cat > "$T/SigningTable" <<'EOF'
*@example.com         k1
*@*.example.net       k2
*@lists.example.org   other
alice@example.com     k1
*@example.org         nokey
*                     relay
EOF
run dkim import-opendkim "$T/KeyTable" "$T/SigningTable"
tap_is "import-opendkim: exit 0" "$rc" 0
tap_is "import-opendkim: the converted lines" \
    "$(printf '%s\n' "$out" | grep -v '^#')" \
"example.com s2024 /etc/opendkim/keys/example.com/s2024.private
*.example.net mail /etc/opendkim/keys/example.net/mail.private
lists.example.org news /etc/opendkim/keys/news.private d=example.com
* r1 /etc/opendkim/keys/relay.private d=relay.example.org"
tap_like "import-opendkim: a per-user pattern becomes a comment saying why" \
    "$out" "# $T/SigningTable:4: \"alice@example.com k1\" not converted: one user's address"
tap_like "import-opendkim: an unknown key name becomes a comment" \
    "$out" "# $T/SigningTable:5: \"\\*@example.org nokey\" not converted: no such key"
printf '%s\n' "$out" > "$T/converted.table"
tap_like "import-opendkim: its output is a valid signing table" \
    "$("$MK" -c "$CONF" dkim status --table "$T/converted.table" 2>&1)" \
    '^signing table .*: 4 lines'

# The manual pages render without warnings.
if command -v groff > /dev/null; then
	for m in milterkit-dkim.8 milterkit.8 milterkit.conf.5; do
		tap_is "$m renders without warnings" "$(groff -ww -man -z \
		    "$top_srcdir/man/$m" 2>&1)" ""
	done
else
	tap_ok "# SKIP groff not installed"
fi
tap_done
