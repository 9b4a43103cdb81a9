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
 *	block for long (store lookups do not).
 */
#ifndef MK_MILTER_ENGINE_H
#define MK_MILTER_ENGINE_H

#include "mk_milter_conn.h"

int mk_mengine_start(int listen_fd, int tcp, const struct mk_mconn_ops *ops,
    unsigned threads, unsigned timeout);
void mk_mengine_stop(void);
void mk_mengine_wait(void);
unsigned mk_mengine_threads(long long configured);

#endif
