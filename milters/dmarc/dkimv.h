/*
 * NAME
 *	dkimv - DKIM verification of incoming mail: libopendkim, its keys
 *	looked up with the project's resolver
 * SYNOPSIS
 *	#include "dkimv.h"
 *
 *	int	dmarc_dkimv_new(unsigned max_sigs, struct dmarc_dkimv **out,
 *			char *err, size_t errlen);
 *	void	dmarc_dkimv_free(struct dmarc_dkimv *v);
 *	struct dmarc_dkimv_msg *dmarc_dkimv_start(struct dmarc_dkimv *v,
 *			const char *id);
 *	int	dmarc_dkimv_header(struct dmarc_dkimv_msg *m, const char *name,
 *			const char *value);
 *	int	dmarc_dkimv_eoh(struct dmarc_dkimv_msg *m);
 *	int	dmarc_dkimv_body(struct dmarc_dkimv_msg *m,
 *			const unsigned char *p, size_t n);
 *	size_t	dmarc_dkimv_finish(struct dmarc_dkimv_msg *m,
 *			struct mk_dns *dns, struct dmarc_dkim_sig *sigs,
 *			size_t max);
 *	void	dmarc_dkimv_msg_free(struct dmarc_dkimv_msg *m);
 *	const char *dmarc_dkim_result_name(int result);
 * DESCRIPTION
 *	A struct dmarc_dkimv is one libopendkim library handle set up to
 *	verify (shared by threads); a struct dmarc_dkimv_msg one message's
 *	verification. Header fields and body chunks go in as they come
 *	(dmarc_dkimv_header(): the value as the MTA gives it, folded lines
 *	joined with LF or CRLF; dmarc_dkimv_body(): CRLF line ends); they
 *	only parse and hash. Signature processing, key lookups included, is
 *	left to dmarc_dkimv_finish() (DKIM_LIBFLAGS_DELAYSIGPROC), which
 *	looks each key up at SELECTOR._domainkey.DOMAIN with dns, the
 *	calling thread's resolver (synchronously: never on an event loop),
 *	and writes one struct dmarc_dkim_sig per signature looked at, at most
 *	max, in header order. Only the first max_sigs signatures of a
 *	message are looked at (libopendkim has no limit of its own), so a
 *	message carrying hundreds costs at most max_sigs key lookups.
 *
 *	Each signature's result is RFC 8601's: pass (the signature and the
 *	body hash verify), fail (they do not), neutral (a signature libopendkim
 *	cannot judge: bad syntax of the signature, unsupported algorithm),
 *	temperror (the key lookup failed for now), permerror (no key, or a
 *	key record that is not one). The domain (d=), selector (s=), the
 *	first 8 octets of b= (header.b of Authentication-Results) and a
 *	short reason come with it.
 * DIAGNOSTICS
 *	dmarc_dkimv_new() returns -1 with err. dmarc_dkimv_start() returns
 *	NULL when libopendkim refuses (out of memory). The feeding functions
 *	return -1 when libopendkim gave up on the message (a malformed
 *	header block): dmarc_dkimv_finish() then reports no signature.
 */
#ifndef DMARC_DKIMV_H
#define DMARC_DKIMV_H

#include <stddef.h>

#include "mk_dns.h"

enum {
	DMARC_DKIM_NONE = 0, DMARC_DKIM_PASS, DMARC_DKIM_FAIL,
	DMARC_DKIM_NEUTRAL, DMARC_DKIM_TEMPERROR, DMARC_DKIM_PERMERROR
};

#define DMARC_DKIM_SIGS_MAX	8	/* the default cap per message */
#define DMARC_DKIM_SIGS_CAP	32	/* the largest cap */

struct dmarc_dkimv;
struct dmarc_dkimv_msg;

struct dmarc_dkim_sig {
	int result;			/* DMARC_DKIM_* */
	char domain[MK_DNS_NAME_MAX + 1];
	char selector[64];
	char b[9];			/* header.b: b= first 8 octets */
	char why[64];
};

int dmarc_dkimv_new(unsigned max_sigs, struct dmarc_dkimv **out, char *err,
    size_t errlen);
void dmarc_dkimv_free(struct dmarc_dkimv *v);
struct dmarc_dkimv_msg *dmarc_dkimv_start(struct dmarc_dkimv *v,
    const char *id);
int dmarc_dkimv_header(struct dmarc_dkimv_msg *m, const char *name,
    const char *value);
int dmarc_dkimv_eoh(struct dmarc_dkimv_msg *m);
int dmarc_dkimv_body(struct dmarc_dkimv_msg *m, const unsigned char *p,
    size_t n);
size_t dmarc_dkimv_finish(struct dmarc_dkimv_msg *m, struct mk_dns *dns,
    struct dmarc_dkim_sig *sigs, size_t max);
void dmarc_dkimv_msg_free(struct dmarc_dkimv_msg *m);
const char *dmarc_dkim_result_name(int result);

#endif
