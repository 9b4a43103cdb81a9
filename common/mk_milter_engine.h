/*
 * NAME
 *	mk_milter_engine - serve milter connections on a few event loops
 * SYNOPSIS
 *	#include "mk_milter_engine.h"
 *
 *	int	mk_mengine_start(int listen_fd, int tcp,
 *			const struct mk_mconn_ops *ops, unsigned threads,
 *			unsigned timeout);
 *	void	mk_mengine_stop(void);
 *	void	mk_mengine_wait(void);
 *	unsigned mk_mengine_threads(long long configured);
 *	void	mk_mengine_hold(struct mk_mconn *mc);
 *	void	mk_mengine_call(struct mk_mconn *mc,
 *			void (*fn)(struct mk_mconn *mc, void *arg, int gone),
 *			void *arg);
 *	int	mk_mengine_watch(int fd, void (*ready)(void *arg), void *arg);
 *	void	mk_mengine_unwatch(int fd);
 * DESCRIPTION
 *	mk_mengine_start() serves the MTA connections arriving on listen_fd
 *	(listening, non-blocking) with threads event loops (epoll), each
 *	accepting connections and keeping every one it accepted until it
 *	ends: no thread per connection and no hand-over between threads
 *	per command, so a connection costs a few system calls per stage.
 *	tcp says the socket is inet/inet6 (accepted connections then get
 *	TCP_NODELAY). A connection silent for timeout seconds, measured on
 *	the monotonic clock, is closed with a log line; timeout must outlast
 *	the MTA's own waits, since a filter that negotiated stages away
 *	hears nothing during them (the configured default is 7210 s, as
 *	libmilter's). While MK_MCONN_OUT_HIGH octets of answers or more wait
 *	for an MTA that does not read, its connection is not read until
 *	they drain below. Returns 0 once the loops run, or -1 if they cannot
 *	start (logged; nothing is left running). Call it with signals
 *	blocked: its threads inherit the mask. mk_mengine_stop() (any
 *	thread) tells the loops to close their connections (their close
 *	callbacks run) and end; mk_mengine_wait() waits for that.
 *	mk_mengine_threads() is the number of loops for a configured value:
 *	the value itself, or the number of online processors for 0.
 *
 *	Callbacks run on the loop that owns the connection: a slow callback
 *	delays the other connections of its loop, so callbacks must not
 *	block for long (store lookups do not). Slow work goes elsewhere (the
 *	skeleton's worker pool): the callback answers MK_SMFIS_PENDING
 *	(mk_milter_conn.h) after mk_mengine_hold(), and the other thread,
 *	when done, hands mk_mengine_call() a function that the loop owning
 *	the connection runs (it resumes the answer); a hold keeps the
 *	connection's memory until its call has run, with gone set if the
 *	MTA left meanwhile (the connection is then freed after the call).
 *	While an answer is pending the connection is not read, is not
 *	closed for silence, and once a second ops->pending_tick() gets the
 *	milliseconds it has waited (to send SMFIR_PROGRESS, or give up).
 *	Calls still queued when the loops stop are run first, so the work
 *	must be over (the skeleton stops its pool before the loops).
 *	mk_mengine_watch(), from a callback on a loop, adds an fd of the
 *	caller's own to that loop (an asynchronous resolver's, such as
 *	libunbound's ub_fd): ready(arg) runs on the loop whenever the fd is
 *	readable, until mk_mengine_unwatch(fd) from the same loop; 0, or -1
 *	outside a loop or when epoll refuses it (logged). The fd stays the
 *	caller's to close, after unwatching it. Work that such an fd
 *	completes goes back to its connection with mk_mengine_call() like any
 *	other (the hold, the gone flag).
 */
#ifndef MK_MILTER_ENGINE_H
#define MK_MILTER_ENGINE_H

#include "mk_milter_conn.h"

int mk_mengine_start(int listen_fd, int tcp, const struct mk_mconn_ops *ops,
    unsigned threads, unsigned timeout);
void mk_mengine_stop(void);
void mk_mengine_wait(void);
unsigned mk_mengine_threads(long long configured);
void mk_mengine_hold(struct mk_mconn *mc);
void mk_mengine_call(struct mk_mconn *mc, void (*fn)(struct mk_mconn *mc,
    void *arg, int gone), void *arg);
int mk_mengine_watch(int fd, void (*ready)(void *arg), void *arg);
void mk_mengine_unwatch(int fd);

#endif
