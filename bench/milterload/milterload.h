/*
 * NAME
 *	milterload.h - shared definitions of the milter load generator
 * SYNOPSIS
 *	#include "milterload.h"
 *
 *	wire.c:    ml_wire_open(), ml_wire_close(), ml_wire_put(),
 *		   ml_wire_flush(), ml_wire_read()
 *	session.c: ml_session_run()
 *	stats.c:   ml_hist_add(), ml_hist_merge(), ml_hist_pct(),
 *		   ml_stats_merge(), ml_stats_report()
 *	milterload.c: ml_now(), ml_fail(), ml_pick_rcpt(), ml_pick_sender(),
 *		   ml_claim_message(), ml_stopping
 * DESCRIPTION
 *	milterload plays the MTA side of the milter protocol (version 6)
 *	against any milter and measures it. One thread per connection;
 *	each thread owns a struct ml_conn (socket, buffers, its own
 *	statistics); the main thread merges the statistics at the end.
 *	Wire constants are spelled out here rather than taken from
 *	libmilter's mfdef.h, so the tool depends on no milter library.
 */
#ifndef MILTERLOAD_H
#define MILTERLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>

/* Commands, MTA to milter. */
#define ML_C_ABORT	'A'
#define ML_C_BODY	'B'
#define ML_C_CONNECT	'C'
#define ML_C_MACRO	'D'
#define ML_C_BODYEOB	'E'
#define ML_C_HELO	'H'
#define ML_C_HEADER	'L'
#define ML_C_MAIL	'M'
#define ML_C_EOH	'N'
#define ML_C_OPTNEG	'O'
#define ML_C_QUIT	'Q'
#define ML_C_RCPT	'R'
#define ML_C_DATA	'T'

/* Protocol flags (SMFIP_*). */
#define ML_P_NOCONNECT	0x00000001UL
#define ML_P_NOHELO	0x00000002UL
#define ML_P_NOMAIL	0x00000004UL
#define ML_P_NORCPT	0x00000008UL
#define ML_P_NOBODY	0x00000010UL
#define ML_P_NOHDRS	0x00000020UL
#define ML_P_NOEOH	0x00000040UL
#define ML_P_NR_HDR	0x00000080UL
#define ML_P_NOUNKNOWN	0x00000100UL
#define ML_P_NODATA	0x00000200UL
#define ML_P_SKIP	0x00000400UL
#define ML_P_RCPT_REJ	0x00000800UL
#define ML_P_NR_CONN	0x00001000UL
#define ML_P_NR_HELO	0x00002000UL
#define ML_P_NR_MAIL	0x00004000UL
#define ML_P_NR_RCPT	0x00008000UL
#define ML_P_NR_DATA	0x00010000UL
#define ML_P_NR_UNKN	0x00020000UL
#define ML_P_NR_EOH	0x00040000UL
#define ML_P_NR_BODY	0x00080000UL
#define ML_P_HDR_LEADSPC 0x00100000UL
#define ML_P_OFFERED	0x001fffffUL	/* everything but big data sizes */
#define ML_A_OFFERED	0x000001ffUL	/* every SMFIF_* action */
#define ML_VERSION	6

#define ML_BODY_CHUNK	65535		/* largest SMFIC_BODY payload */
#define ML_REPLY_MAX	(1024 * 1024 + 64)	/* longest reply accepted */
#define ML_ERR_MAX	512

/* Stages, for counting replies where they came. */
enum ml_stage {
	ML_S_CONNECT, ML_S_HELO, ML_S_MAIL, ML_S_RCPT, ML_S_DATA,
	ML_S_HEADER, ML_S_EOH, ML_S_BODY, ML_S_EOM, ML_S_NSTAGES
};

/* Reply kinds (SMFIR_*), in report order. */
enum ml_kind {
	ML_R_CONTINUE, ML_R_ACCEPT, ML_R_REJECT, ML_R_TEMPFAIL,
	ML_R_REPLY4, ML_R_REPLY5, ML_R_DISCARD, ML_R_SKIP, ML_R_PROGRESS,
	ML_R_ADDHEADER, ML_R_INSHEADER, ML_R_CHGHEADER, ML_R_ADDRCPT,
	ML_R_ADDRCPT_PAR, ML_R_DELRCPT, ML_R_REPLBODY, ML_R_CHGFROM,
	ML_R_QUARANTINE, ML_R_SHUTDOWN, ML_R_CONN_FAIL, ML_R_NKINDS
};

/* Log-linear latency histogram in nanoseconds (about 1.5% resolution). */
#define ML_HIST_SUB	64
#define ML_HIST_N	(128 + 57 * ML_HIST_SUB)
struct ml_hist {
	uint64_t count;
	uint64_t max;
	uint64_t sum;
	uint64_t b[ML_HIST_N];
};

struct ml_stats {
	uint64_t messages;		/* messages begun (MAIL sent) */
	uint64_t delivered;		/* messages the milter let through EOM */
	uint64_t rcpts;			/* RCPT commands sent */
	uint64_t connections;
	uint64_t body_bytes;
	uint64_t replies[ML_S_NSTAGES][ML_R_NKINDS];
	struct ml_hist rcpt_lat;
	struct ml_hist msg_lat;
};

struct ml_opts {
	const char *socket;
	int conns;
	uint64_t messages;		/* 0: run for duration */
	double duration;
	int rcpts;
	int headers;
	size_t body;
	const char *auth;
	int per_conn;
	double timeout;
	int random;			/* pick recipients at random */
	char **rcpt_list;
	size_t rcpt_n;
	char **sender_list;
	size_t sender_n;
	/* -E FILE: header fields ("Name" NUL ":value" as written) and body */
	char **eml_name, **eml_value;
	size_t eml_n;
	char *eml_body;
	size_t eml_body_len;
};

/* One connection's worth of state, owned by one thread. */
struct ml_conn {
	const struct ml_opts *o;
	int id;
	int fd;
	uint64_t rng;
	unsigned long proto;		/* negotiated SMFIP_* flags */
	unsigned long actions;
	unsigned long version;
	unsigned char *out;
	size_t out_len, out_cap;
	unsigned char *in;
	size_t in_len, in_off, in_cap;
	unsigned char *reply;		/* last reply payload, borrowed */
	size_t reply_len;
	char err[ML_ERR_MAX];
	struct ml_stats st;
};

extern atomic_int ml_stopping;

double	ml_now(void);
void	ml_fail(struct ml_conn *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
const char *ml_pick_rcpt(struct ml_conn *c, char *buf, size_t len);
const char *ml_pick_sender(struct ml_conn *c, uint64_t msgno, char *buf,
	    size_t len);
int	ml_claim_message(uint64_t *msgno);

int	ml_wire_open(struct ml_conn *c);
void	ml_wire_close(struct ml_conn *c);
void	ml_wire_put(struct ml_conn *c, int cmd, const void *data, size_t len);
void	ml_wire_put_strs(struct ml_conn *c, int cmd, const char *const *s,
	    size_t n);
int	ml_wire_flush(struct ml_conn *c);
int	ml_wire_read(struct ml_conn *c, int *cmd);

int	ml_session_run(struct ml_conn *c);

void	ml_hist_add(struct ml_hist *h, uint64_t ns);
void	ml_hist_merge(struct ml_hist *to, const struct ml_hist *from);
uint64_t ml_hist_pct(const struct ml_hist *h, double pct);
void	ml_stats_merge(struct ml_stats *to, const struct ml_stats *from);
void	ml_stats_report(const struct ml_stats *s, const struct ml_opts *o,
	    const struct ml_conn *first, double seconds);

#endif
