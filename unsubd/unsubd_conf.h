/*
 * NAME
 *	unsubd_conf.h - the [unsubd] section of milterkit.conf
 * SYNOPSIS
 *	#include "unsubd_conf.h"
 *
 *	extern const struct mk_conf_section unsubd_conf_section;
 *	const struct unsubd_conf *unsubd_conf(const struct mk_conf *conf);
 * DESCRIPTION
 *	unsubd_conf_section is the section programs register (sections.h):
 *	where milterkit-unsubd listens and as whom it runs (the daemon rows
 *	without on_error: a request it cannot serve gets 503; timeout is
 *	HTTP's, 10 s by default), and the bounds of the HTTP server: body
 *	size, request rate over the whole daemon, connections, memory per
 *	connection (request header), threads, and the title of its pages.
 *	unsubd_conf() returns the [unsubd] block of conf (it panics when the
 *	section was not registered).
 */
#ifndef UNSUBD_CONF_H
#define UNSUBD_CONF_H

#include "mk_conf.h"

struct unsubd_conf {
	struct mk_conf_daemon d;	/* socket ... pidfile, timeout */
	long long max_body;		/* octets of a POST body */
	long long max_rate;		/* requests per second, whole daemon */
	long long max_connections;	/* open HTTP connections */
	long long max_header;		/* memory of one connection, octets */
	long long threads;		/* HTTP threads */
	char *page_title;		/* title of the pages */
};

extern const struct mk_conf_section unsubd_conf_section;

const struct unsubd_conf *unsubd_conf(const struct mk_conf *conf);

#endif
