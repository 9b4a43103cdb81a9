/*
 * NAME
 *	content.c - milterkit-headers rule 9: 8-bit text without SMTPUTF8,
 *	and lines longer than 998 octets
 * SYNOPSIS
 *	void	hdr_rule_content(struct hdr_ctx *c);
 * DESCRIPTION
 *	8-bit text, when MAIL FROM carried no SMTPUTF8 (eight_bit):
 *	- reject: 550 5.6.0 for any 8-bit octet in a field;
 *	- encode: text that is not UTF-8 is rejected (550 5.6.0); UTF-8 in an
 *	  unstructured field (Subject, Comments, Content-Description) and in
 *	  the display names of address fields (From, Sender, Reply-To, To,
 *	  Cc, Bcc and their Resent- forms) becomes RFC 2047 encoded-words;
 *	  8-bit text in an address or a comment of an address field is
 *	  rejected (it needs SMTPUTF8). Other fields are left as they are:
 *	  their syntax is not known well enough to encode them safely.
 *	- accept: nothing.
 *	Long lines (long_lines): fold a field with a line over 998 octets at
 *	blanks (550 5.6.0 when it cannot be), or reject it, or accept it.
 *	A field changed for both reasons gets one HDR_CHANGE.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "headers_conf.h"
#include "headers_priv.h"

static const char *const unstructured[] = {
	"Subject", "Comments", "Content-Description", NULL
};
static const char *const addresses[] = {
	"From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Resent-From",
	"Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Bcc", NULL
};

static int
in(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (hdr_is(*list, name))
			return 1;
	return 0;
}

/* 8-bit text of field f: 0 (with *nv set when it was encoded) or -1. */
static int
eight_bit(struct hdr_ctx *c, const struct hdr_field *f, struct mk_strbuf *nv)
{
	size_t n = strlen(f->value);
	char name[64];

	hdr_safe_name(name, sizeof(name), f->name);
	if (c->r->eight_bit == HDR_CONF_8BIT_REJECT) {
		hdr_reject(c, "550", "5.6.0", "Header field %s has 8-bit text "
		    "and MAIL FROM has no SMTPUTF8", name);
		return -1;
	}
	if (!mk_rfc2047_utf8_valid(f->value, n)) {
		hdr_reject(c, "550", "5.6.0", "Header field %s is not valid "
		    "UTF-8", name);
		return -1;
	}
	if (in(unstructured, f->name)) {
		if (f->value[0] != ' ' && f->value[0] != '\t')
			mk_strbuf_ch(nv, ' ');
		mk_rfc2047_unstructured(nv, f->value);
	} else if (in(addresses, f->name)) {
		if (f->value[0] != ' ' && f->value[0] != '\t')
			mk_strbuf_ch(nv, ' ');
		if (mk_rfc2047_addrlist(nv, f->value) != 0) {
			hdr_reject(c, "550", "5.6.0", "Header field %s has 8-bit "
			    "text that needs SMTPUTF8", name);
			return -1;
		}
	}
	return 0;
}

/* Long lines of the value v (the field's, or its encoded form). A value
 * without a leading blank ("Name:x") is folded with one, as hdr_edit()
 * will write it. */
static int
long_lines(struct hdr_ctx *c, const struct hdr_field *f, const char *v,
    struct mk_strbuf *nv)
{
	struct mk_strbuf b = { NULL, 0, 0 };
	char name[64];
	int rc;

	if (c->r->long_lines == HDR_CONF_LONG_ACCEPT ||
	    mk_fold_line_max(f->name, v) <= HDR_LINE_MAX)
		return 0;
	hdr_safe_name(name, sizeof(name), f->name);
	if (c->r->long_lines == HDR_CONF_LONG_REJECT) {
		hdr_reject(c, "550", "5.6.0", "Header field %s has a line over "
		    "998 octets", name);
		return -1;
	}
	if (v[0] != ' ' && v[0] != '\t') {	/* fold what the MTA will write */
		mk_strbuf_ch(&b, ' ');
		mk_strbuf_str(&b, v);
		v = b.p;
	}
	rc = mk_fold(f->name, v, nv);
	mk_strbuf_free(&b);
	if (rc != 0)
		hdr_reject(c, "550", "5.6.0", "Header field %s has a line over "
		    "998 octets that cannot be folded", name);
	return rc;
}

void
hdr_rule_content(struct hdr_ctx *c)
{
	const struct hdr_msg *m = c->m;

	for (size_t i = 0; i < m->n && !c->out->reject; i++) {
		const struct hdr_field *f = &m->h[i];
		struct mk_strbuf enc = { NULL, 0, 0 }, fold = { NULL, 0, 0 };
		const char *why = NULL;

		if (c->gone[i])
			continue;
		if (!m->smtputf8 && c->r->eight_bit != HDR_CONF_8BIT_ACCEPT &&
		    mk_rfc2047_has_8bit(f->value, strlen(f->value))) {
			if (eight_bit(c, f, &enc) != 0) {
				mk_strbuf_free(&enc);
				break;
			}
			if (enc.p != NULL)
				why = "8-bit text encoded (RFC 2047)";
		}
		if (long_lines(c, f, enc.p ? enc.p : f->value, &fold) != 0) {
			mk_strbuf_free(&enc);
			mk_strbuf_free(&fold);
			break;
		}
		if (fold.p != NULL) {
			why = why ? "8-bit text encoded, long line folded" :
			    "line over 998 octets folded";
			mk_strbuf_free(&enc);
			hdr_edit(c, HDR_CHANGE, i, f->name, mk_strbuf_take(&fold),
			    why);
		} else if (enc.p != NULL) {
			mk_fold_lf(&fold, enc.p);
			mk_strbuf_free(&enc);
			hdr_edit(c, HDR_CHANGE, i, f->name, mk_strbuf_take(&fold),
			    why);
		}
	}
}
