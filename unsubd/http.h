/*
 * NAME
 *	http.h - milterkit-unsubd: the HTTP server (libmicrohttpd)
 * SYNOPSIS
 *	#include "http.h"
 *
 *	struct ud_http *ud_http_start(int fd, const struct mk_conf *conf,
 *			char *err, size_t errlen);
 *	void	ud_http_install(struct ud_http *h, struct mk_conf *conf,
 *			unsigned char *key, size_t keylen);
 *	void	ud_http_stop(struct ud_http *h);
 * DESCRIPTION
 *	ud_http_start() serves HTTP on the listening socket fd (any family;
 *	the caller bound it) from libmicrohttpd's own threads, with the
 *	bounds of conf's [unsubd] that are read at start (connections,
 *	memory per connection, threads, timeout). It serves nothing but
 *	503 until a configuration is installed. NULL with a message in err
 *	when the server does not start; fd is then still the caller's.
 *
 *	ud_http_install() hands over a configuration and the token key
 *	(both owned by the server from then on): requests that begin
 *	afterwards use them; requests in progress finish with the ones they
 *	began with, which are freed after the last of them.
 *
 *	ud_http_stop() stops serving (connections in progress are closed),
 *	closes fd and frees everything.
 *
 *	The callbacks only dispatch: method, rate and size checks, then
 *	unsub.c decides, and the result becomes a status code:
 *	GET/HEAD valid 200 (a confirmation form; nothing is written), POST
 *	valid 200, parameters 400, token 403, other methods 405 (Allow), a
 *	body over max_body 413, over max_rate 429 (Retry-After), store
 *	trouble 503 (Retry-After).
 */
#ifndef UNSUBD_HTTP_H
#define UNSUBD_HTTP_H

#include <stddef.h>

#include "mk_conf.h"

struct ud_http;

struct ud_http *ud_http_start(int fd, const struct mk_conf *conf, char *err,
    size_t errlen);
void ud_http_install(struct ud_http *h, struct mk_conf *conf,
    unsigned char *key, size_t keylen);
void ud_http_stop(struct ud_http *h);

#endif
