/*
 * NAME
 *	server - the policy protocol server of milterkit-policyd
 * SYNOPSIS
 *	#include "server.h"
 *
 *	struct pd_server *pd_server_new(int lfd, int inet);
 *	void	pd_server_free(struct pd_server *s);
 *	void	pd_server_install(struct pd_server *s, struct mk_conf *conf,
 *			struct mk_rl_rules *rules);
 *	unsigned pd_server_run(struct pd_server *s, const sigset_t *mask);
 *
 *	(between server.c and conn.c)
 *	struct pd_conn *pd_conn_new(struct pd_server *s, int fd);
 *	void	pd_conn_close(struct pd_server *s, struct pd_conn *c);
 *	void	pd_conn_read(struct pd_server *s, struct pd_conn *c);
 *	void	pd_conn_queue(struct pd_server *s, struct pd_conn *c,
 *			const char *reply);
 *	void	pd_conn_flush(struct pd_server *s, struct pd_conn *c);
 *	void	pd_conn_reap(struct pd_server *s);
 *	void	pd_server_request(struct pd_server *s, struct pd_conn *c,
 *			const struct pd_request *rq);
 * DESCRIPTION
 *	One thread, one epoll set, no thread or process per connection.
 *	Each loop iteration reads what is readable on every ready connection,
 *	checks each complete request with the engine and queues its reply,
 *	in request order per connection; at the end of the iteration it
 *	writes the replies (what does not fit waits for EPOLLOUT). No reply
 *	waits for a commit: the engine's own writer thread commits the
 *	counts beside the loop (mk_ratelimit.h, server.c).
 *
 *	pd_server_new() takes a listening socket (non-blocking is set here).
 *	pd_server_install() takes ownership of a configuration and its rules
 *	and swaps them in: the old engine is closed first (LMDB forbids
 *	opening one environment twice in a process), then the new one is
 *	opened; when the store cannot be opened the server keeps serving,
 *	answering every request with on_error, and tries again every few
 *	seconds. Connections keep their parser limits; new ones get the new.
 *	pd_server_run() serves until a signal arrives: it sleeps in
 *	epoll_pwait() with mask (the caller blocks the signals otherwise)
 *	and returns the MK_SIG_* bits. pd_server_free() closes every
 *	connection, the listening socket and the engine.
 */
#ifndef PD_SERVER_H
#define PD_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "mk_conf.h"
#include "mk_ratelimit.h"
#include "request.h"

#define PD_READ_CHUNK	4096	/* octets per read(2) */
#define PD_READS_MAX	16	/* reads per connection and iteration */
#define PD_OUT_HIGH	65536	/* unsent replies past which reading pauses */

struct pd_conn {
	int fd;
	struct pd_conn *prev, *next;	/* all live connections */
	struct pd_conn *tnext;		/* touched or dead list */
	struct pd_parser *parser;
	struct mk_rl_txn txn;		/* message in progress */
	char *out;			/* replies not yet written */
	size_t olen, ooff, ocap;
	int64_t last;			/* last input, monotonic ms */
	unsigned events;		/* registered with epoll */
	int dead, eof, touched;
	char peer[80];			/* for log lines */
};

struct pd_server {
	int epfd, lfd, inet;
	struct mk_conf *conf;		/* owned */
	struct mk_rl_rules *rules;	/* owned */
	struct mk_rl_engine *engine;	/* NULL while the store is in trouble */
	int64_t engine_retry;		/* monotonic ms of the next open */
	struct pd_limits lim;
	struct pd_conn *conns;
	size_t nconns;
	struct pd_conn *touched, *dead;
	int64_t now_ms, last_sweep, last_full_warn;
	unsigned long refused;		/* connections over max_connections */
	int accept_paused;
};

struct pd_server *pd_server_new(int lfd, int inet);
void pd_server_free(struct pd_server *s);
void pd_server_install(struct pd_server *s, struct mk_conf *conf,
    struct mk_rl_rules *rules);
unsigned pd_server_run(struct pd_server *s, const sigset_t *mask);

struct pd_conn *pd_conn_new(struct pd_server *s, int fd);
void pd_conn_close(struct pd_server *s, struct pd_conn *c);
void pd_conn_read(struct pd_server *s, struct pd_conn *c);
void pd_conn_queue(struct pd_server *s, struct pd_conn *c, const char *reply);
void pd_conn_flush(struct pd_server *s, struct pd_conn *c);
void pd_conn_reap(struct pd_server *s);
void pd_server_request(struct pd_server *s, struct pd_conn *c,
    const struct pd_request *rq);

#endif
