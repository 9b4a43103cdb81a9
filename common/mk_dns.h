/*
 * NAME
 *	mk_dns - the resolver: DNS lookups over libunbound, asynchronous on
 *	an event loop or bounded and synchronous on a worker thread
 * SYNOPSIS
 *	#include "mk_dns.h"
 *
 *	int	mk_dns_new(const struct mk_conf_dns *conf, struct mk_dns **out,
 *			char *err, size_t errlen);
 *	void	mk_dns_free(struct mk_dns *dns);
 *	int	mk_dns_fd(const struct mk_dns *dns);
 *	void	mk_dns_process(struct mk_dns *dns);
 *
 *	int	mk_dns_lookup(struct mk_dns *dns, const char *name, int type,
 *			void (*done)(void *arg, const struct mk_dns_answer *a),
 *			void *arg, struct mk_dns_query **q);
 *	void	mk_dns_cancel(struct mk_dns_query *q);
 *	int	mk_dns_lookup_wait(struct mk_dns *dns, const char *name,
 *			int type, struct mk_dns_answer **out);
 *	void	mk_dns_answer_free(struct mk_dns_answer *a);
 *	unsigned mk_dns_pending(const struct mk_dns *dns);
 *
 *	int	mk_dns_txt(const struct mk_dns_rr *rr, char *buf, size_t size);
 *	int	mk_dns_rr_name(const struct mk_dns_rr *rr, size_t off,
 *			char *buf, size_t size);
 *	int	mk_dns_type(const char *name);
 *	const char *mk_dns_status_name(int status);
 *	int	mk_dns_servers_check(const char *text, char *err, size_t errlen);
 * DESCRIPTION
 *	A struct mk_dns is one libunbound context with its cache, used by one
 *	thread (the model: one per event loop, one per worker thread that
 *	resolves, one in a command). Its answers come from the [dns] servers
 *	(HOST[:PORT] list, IPv6 as [ADDR]:PORT) or, with servers empty, the
 *	name servers of /etc/resolv.conf. Each lookup is bounded by [dns]
 *	timeout: past it the answer is MK_DNS_TEMPFAIL ("timed out"), never a
 *	hang; a lookup never follows more than libunbound's own limits.
 *
 *	Asynchronous use on an event loop: watch mk_dns_fd() (readable when
 *	answers are in or a lookup's time is up) and call mk_dns_process()
 *	when it is; mk_dns_lookup() starts a lookup whose done(arg, answer)
 *	is called later from mk_dns_process() (never from mk_dns_lookup()
 *	itself), exactly once unless mk_dns_cancel(q) is called first. The
 *	answer is borrowed for the call. *q (may be NULL) is valid until
 *	done runs or the query is cancelled. mk_dns_pending() counts the
 *	lookups started and neither answered nor cancelled.
 *	mk_dns_free() cancels what is pending (done is not called).
 *
 *	Synchronous use: mk_dns_lookup_wait() returns an answer (release with
 *	mk_dns_answer_free()) within the timeout, serving meanwhile the other
 *	lookups of the same context. Never on an event loop. It answers from
 *	the context's own cache ([dns] cache_size octets, every answer but a
 *	temporary failure kept for its TTL) when it can: no query, no round
 *	trip through libunbound's thread.
 *
 *	An answer has a status (MK_DNS_OK with n >= 1 records of the type
 *	asked, the final target's after CNAMEs; MK_DNS_NODATA: the name
 *	exists without such records; MK_DNS_NXDOMAIN; MK_DNS_TEMPFAIL:
 *	SERVFAIL, no server answered, timed out; MK_DNS_PERMFAIL: the name
 *	cannot be asked, or the server refuses it), the rcode, a reason for
 *	the failures, the TTL, and the records' RDATA in wire format (names
 *	in it uncompressed). mk_dns_txt() joins a TXT record's strings into
 *	buf (NUL-terminated; -1 when it does not fit or is malformed);
 *	mk_dns_rr_name() writes the domain name at offset off of an RDATA
 *	(MX: 2, PTR, NS, CNAME: 0) as text without the final dot. Both never
 *	read past the RDATA. mk_dns_type() maps "A", "AAAA", "MX", "TXT",
 *	"PTR", "NS", "CNAME", "SPF" (any case) to the type number, -1 else.
 *
 *	mk_dns_servers_check() is the [dns] servers validator (mk_cfg).
 * DIAGNOSTICS
 *	mk_dns_new() returns -1 with a message in err (bad servers,
 *	unreadable resolv.conf, libunbound failing). mk_dns_lookup() returns
 *	-1 when the name is not a valid domain name (longer than 253
 *	octets, an empty or 64-octet label) or libunbound refuses the query;
 *	mk_dns_lookup_wait() then returns an answer MK_DNS_PERMFAIL, and -1
 *	only when no answer could be made at all.
 */
#ifndef MK_DNS_H
#define MK_DNS_H

#include <stddef.h>

#include "mk_conf.h"

enum mk_dns_status {
	MK_DNS_OK = 0,
	MK_DNS_NODATA,
	MK_DNS_NXDOMAIN,
	MK_DNS_TEMPFAIL,
	MK_DNS_PERMFAIL
};

/* Record types the filters ask for. */
enum {
	MK_DNS_T_A = 1, MK_DNS_T_NS = 2, MK_DNS_T_CNAME = 5, MK_DNS_T_PTR = 12,
	MK_DNS_T_MX = 15, MK_DNS_T_TXT = 16, MK_DNS_T_AAAA = 28,
	MK_DNS_T_SPF = 99
};

#define MK_DNS_NAME_MAX	253	/* octets of a name as text, no final dot */
#define MK_DNS_TXT_MAX	65535	/* octets of one TXT record, joined */

struct mk_dns;
struct mk_dns_query;

struct mk_dns_rr {
	const unsigned char *data;	/* RDATA, wire format */
	size_t len;
};

struct mk_dns_answer {
	int status;			/* enum mk_dns_status */
	int rcode;			/* DNS rcode, -1 when none came */
	const char *why;		/* failures: a short reason */
	unsigned ttl;
	size_t n;			/* records */
	const struct mk_dns_rr *rr;
	void *priv;			/* the module's */
};

int mk_dns_new(const struct mk_conf_dns *conf, struct mk_dns **out,
    char *err, size_t errlen);
void mk_dns_free(struct mk_dns *dns);
int mk_dns_fd(const struct mk_dns *dns);
void mk_dns_process(struct mk_dns *dns);

int mk_dns_lookup(struct mk_dns *dns, const char *name, int type,
    void (*done)(void *arg, const struct mk_dns_answer *a), void *arg,
    struct mk_dns_query **q);
void mk_dns_cancel(struct mk_dns_query *q);
int mk_dns_lookup_wait(struct mk_dns *dns, const char *name, int type,
    struct mk_dns_answer **out);
void mk_dns_answer_free(struct mk_dns_answer *a);
unsigned mk_dns_pending(const struct mk_dns *dns);

int mk_dns_txt(const struct mk_dns_rr *rr, char *buf, size_t size);
int mk_dns_rr_name(const struct mk_dns_rr *rr, size_t off, char *buf,
    size_t size);
int mk_dns_type(const char *name);
const char *mk_dns_status_name(int status);
int mk_dns_servers_check(const char *text, char *err, size_t errlen);

#endif
