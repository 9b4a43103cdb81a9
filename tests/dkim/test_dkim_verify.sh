#!/bin/bash
# tests/dkim/test_dkim_verify.sh - milterkit's DKIM signatures checked by two
# independent verifiers, dkimpy (Debian's python3-dkim) and libopendkim
# (odkim_verify), over the corpus of make_corpus.py, with keys made here
# (RSA 2048, Ed25519) and published through a key file, no DNS.
#
# One point per (variant, verifier) over the whole corpus, failing messages
# named in the diagnostic; variants: RSA relaxed/relaxed, RSA simple/simple,
# Ed25519 relaxed/relaxed, dual RSA + Ed25519. For RSA, bh= and b= compared
# with libopendkim's own signature (odkim_sign) of the same message, key,
# header list and timestamp. Negative points: a body byte changed, a signed
# header changed, a From added after signing: both verifiers fail.
set -u
. "${top_srcdir:-.}/tests/lib/tap.sh"

src=${top_srcdir:-.}/tests/dkim
bin=${top_builddir:-.}/tests/dkim
PY=/usr/bin/python3
T0=1700000000

if ! "$PY" -c 'import dkim, nacl' 2>/dev/null; then
	echo "1..0 # SKIP python3-dkim (and python3-nacl) not installed"
	exit 0
fi
for p in dkimsign odkim_verify odkim_sign; do
	[ -x "$bin/$p" ] || tap_bail "$bin/$p not built"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dkimv.XXXXXX") || tap_bail "mktemp"
cleanup() {
	[ -n "${tap_watchdog_pid:-}" ] && kill "$tap_watchdog_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
tap_watchdog 240

# Keys, and their records as DNS would publish them.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$tmp/rsa.pem" 2>/dev/null || tap_bail "openssl rsa"
openssl genpkey -algorithm ED25519 -out "$tmp/ed.pem" 2>/dev/null ||
	tap_bail "openssl ed25519"
rsapub=$(openssl pkey -in "$tmp/rsa.pem" -pubout -outform DER | base64 -w0)
# the raw 32-octet Ed25519 key is the end of its DER SubjectPublicKeyInfo
edpub=$(openssl pkey -in "$tmp/ed.pem" -pubout -outform DER | tail -c 32 |
	base64 -w0)
cat >"$tmp/keys" <<EOF
rsa._domainkey.example.com v=DKIM1; k=rsa; p=$rsapub
ed._domainkey.example.com v=DKIM1; k=ed25519; p=$edpub
EOF

nmsg=$("$PY" "$src/make_corpus.py" "$tmp/corpus") || tap_bail "corpus"
[ "$nmsg" -ge 30 ] || tap_bail "corpus has $nmsg messages"

# The tag value of the first DKIM-Signature field, blanks removed.
sigtag() {
	awk -v tag="$2" '
		BEGIN { RS = "\r?\n" }
		/^$/ { exit }
		/^[ \t]/ { if (in_sig) s = s $0; next }
		{ if (in_sig) exit; in_sig = tolower($0) ~ /^dkim-signature:/
		  if (in_sig) s = $0 }
		END {
			gsub(/[ \t]/, "", s); sub(/^[^:]*:/, "", s)
			n = split(s, kv, ";")
			for (i = 1; i <= n; i++)
				if (index(kv[i], tag "=") == 1) {
					print substr(kv[i], length(tag) + 2); exit
				}
		}' "$1"
}

# variant name, canonicalization, dkimsign key arguments
variants="rsa-relaxed relaxed/relaxed rsa
rsa-simple simple/simple rsa
ed25519-relaxed relaxed/relaxed ed
dual relaxed/relaxed rsa,ed"

keyargs() {
	local k out=""
	for k in ${1//,/ }; do
		out="$out -k $tmp/$k.pem -s $k"
	done
	echo "$out"
}

while read -r name canon keys; do
	mkdir -p "$tmp/$name"
	nsig=$(echo "$keys" | tr ',' '\n' | wc -l)
	signfail="" odfail="" odskip="" pyfail="" bhdiff="" bdiff="" bdetail=""
	for m in "$tmp"/corpus/*.eml; do
		b=$(basename "$m" .eml)
		out="$tmp/$name/$b.eml"
		# shellcheck disable=SC2046
		if ! "$bin/dkimsign" $(keyargs "$keys") -d example.com \
		    -c "$canon" -t "$T0" "$m" >"$out" 2>"$out.err"; then
			signfail="$signfail $b"
			continue
		fi
		# libopendkim refuses a relaxed body without its final CRLF
		# ("CRLF at end of body missing"); on the wire a message
		# always has one. dkimpy alone checks those.
		if [ "${canon#*/}" = relaxed ] &&
		    [ "$(tail -c 1 "$m" | od -An -c | tr -d ' ')" != '\n' ]; then
			odskip="$odskip $b"
		else
		r=$("$bin/odkim_verify" "$tmp/keys" "$out")
		if [ $? -ne 0 ] || [ "$(grep -c '^pass' <<<"$r")" -ne "$nsig" ]
		then
			odfail="$odfail $b($(grep -v '^pass' <<<"$r" |
				head -1))"
		fi
		fi
		[ "$keys" = rsa ] || continue
		# libopendkim's own signature of the same message
		case " $odskip " in *" $b "*) continue ;; esac
		if ! ob=$("$bin/odkim_sign" -v -k "$tmp/rsa.pem" -d example.com \
		    -s rsa -c "$canon" -t "$T0" "$m" 2>&1); then
			bhdiff="$bhdiff $b(odkim_sign: $ob)"
			continue
		fi
		printf 'DKIM-Signature: %s\r\n' "$(sed -n '2,$p' <<<"$ob" |
			tr -d '\r' | sed 's/$/\r/')" >"$out.odkim"
		[ "$(sigtag "$out" bh)" = "$(sigtag "$out.odkim" bh)" ] ||
			bhdiff="$bhdiff $b"
		if [ "$(sigtag "$out" b)" != "$(head -1 <<<"$ob")" ]; then
			bdiff="$bdiff $b"
			[ -n "$bdetail" ] || bdetail="$b
milterkit:   $(head -4 "$out" | tr -d '\r' | tr '\n' ' ' | sed 's/b=.*//')
libopendkim: $(sed -n '2,$p' <<<"$ob" | tr -d '\r' | tr '\n' ' ' |
				sed 's/b=.*//')"
		fi
	done
	signed=$(ls "$tmp/$name"/*.eml 2>/dev/null)
	# shellcheck disable=SC2086
	r=$("$PY" "$src/dkimpy_verify.py" "$tmp/keys" $signed 2>&1)
	pyfail=$(grep -v ': pass ' <<<"$r" | sed "s|^$tmp/$name/||")
	n=$(grep -c ': pass ' <<<"$r")
	want=$((nmsg * nsig))
	[ -z "$pyfail" ] && [ "$n" -eq "$want" ] && [ -z "$signfail" ] &&
		tap_ok "dkimpy verifies $name over $nmsg messages" ||
		tap_fail "dkimpy verifies $name over $nmsg messages" \
			"passes $n of $want; sign failed:$signfail
$pyfail"
	what="libopendkim verifies $name over $nmsg messages"
	[ -n "$odskip" ] && what="$what (but$odskip)"
	[ -z "$odfail" ] && [ -z "$signfail" ] && tap_ok "$what" ||
		tap_fail "$what" "sign failed:$signfail; failed:$odfail"
	if [ "$keys" = rsa ]; then
		[ -z "$bhdiff" ] && [ -z "$signfail" ] &&
			tap_ok "$name: bh= identical to libopendkim's" ||
			tap_fail "$name: bh= identical to libopendkim's" \
				"differ:$bhdiff"
		# b= signs the field's own text: identical only when the
		# field is laid out as libopendkim lays out its own (the
		# diagnostic shows both layouts of the first difference).
		if [ -z "$bdiff" ] && [ -z "$signfail" ]; then
			tap_ok "$name: b= identical to libopendkim's"
		else
			tap_fail "$name: b= identical to libopendkim's" \
				"differ:$bdiff
$bdetail"
		fi
	fi
done <<<"$variants"

# Negative points: the checks can fail. One message, RSA relaxed and
# Ed25519, changed after signing.
neg=$tmp/neg
mkdir -p "$neg"
base=$tmp/corpus/01-plain.eml
"$bin/dkimsign" -k "$tmp/rsa.pem" -s rsa -k "$tmp/ed.pem" -s ed \
	-d example.com -t "$T0" "$base" >"$neg/signed.eml" ||
	tap_bail "dkimsign for the negative points"
# a body byte: "Hello" becomes "Jello"
sed 's/^Hello Bob/Jello Bob/' "$neg/signed.eml" >"$neg/body.eml"
# a signed header: the Subject's value
sed 's/^Subject: corpus message/Subject: corpus massage/' \
	"$neg/signed.eml" >"$neg/header.eml"
# a second From added after signing (at the top: verifiers take the
# bottom one first, the oversigned entry stands for the one above)
{ printf 'From: Mallory <mallory@example.net>\r\n'; cat "$neg/signed.eml"; } \
	>"$neg/from.eml"
# control: an unsigned field added keeps both signatures valid
{ printf 'X-Added: after signing\r\n'; cat "$neg/signed.eml"; } \
	>"$neg/unsigned.eml"
cmp -s "$neg/signed.eml" "$neg/body.eml" && tap_bail "body not changed"
cmp -s "$neg/signed.eml" "$neg/header.eml" && tap_bail "header not changed"

for c in body header from; do
	case $c in
	body) what="a body byte changed after signing" ;;
	header) what="a signed header changed after signing" ;;
	from) what="a From added after signing (oversigned)" ;;
	esac
	r=$("$bin/odkim_verify" "$tmp/keys" "$neg/$c.eml")
	[ "$(grep -c '^fail' <<<"$r")" -eq 2 ] &&
		tap_ok "libopendkim fails both signatures: $what" ||
		tap_fail "libopendkim fails both signatures: $what" "$r"
	r=$("$PY" "$src/dkimpy_verify.py" "$tmp/keys" "$neg/$c.eml")
	[ "$(grep -c '^fail' <<<"$r")" -eq 2 ] &&
		tap_ok "dkimpy fails both signatures: $what" ||
		tap_fail "dkimpy fails both signatures: $what" "$r"
done
r=$("$bin/odkim_verify" "$tmp/keys" "$neg/unsigned.eml")$'\n'$("$PY" \
	"$src/dkimpy_verify.py" "$tmp/keys" "$neg/unsigned.eml")
[ "$(grep -c '^pass' <<<"$r")" -eq 4 ] &&
	tap_ok "both verifiers still pass with an unsigned field added" ||
	tap_fail "both verifiers still pass with an unsigned field added" "$r"

tap_done
