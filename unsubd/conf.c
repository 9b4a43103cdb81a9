/*
 * conf.c - milterkit-unsubd: the rows of [unsubd] (see unsubd_conf.h).
 *	The daemon rows are written out here rather than taken from
 *	MK_CONF_DAEMON_ROWS: unsubd has no on_error (trouble is a 503 the
 *	user can retry) and its timeout is HTTP's, not an MTA's.
 */
#include "config.h"

#include <stddef.h>

#include "mk_conf.h"
#include "mk_log.h"
#include "unsubd_conf.h"

#define ROW(key, type, def, lo, hi, ch, field, chk, help)			\
	MK_CONF_ROW("unsubd", key, type, def, lo, hi, ch,			\
	    struct unsubd_conf, field, chk, help)

static const struct mk_cfg_row unsubd_rows[] = {
	ROW("socket", MK_CFG_SOCKET, "unix:" MK_CONF_RUNDIR "/unsubd.sock",
	    1, 300, NULL, d.socket, NULL, "where the HTTPS server (reverse "
	    "proxy) reaches unsubd: unix:/path, inet:PORT@127.0.0.1, "
	    "inet6:PORT@::1"),
	ROW("socket_mode", MK_CFG_MODE, "0660", 0, 0777, NULL, d.socket_mode,
	    NULL, "permissions of a unix socket"),
	ROW("socket_group", MK_CFG_STRING, "", 0, 64, NULL, d.socket_group,
	    NULL, "group owning a unix socket, e.g. www-data (empty: the "
	    "daemon's group)"),
	ROW("user", MK_CFG_STRING, "milterkit", 0, 64, NULL, d.user, NULL,
	    "user to run as after binding: the owner of the store "
	    "(empty: stay)"),
	ROW("group", MK_CFG_STRING, "", 0, 64, NULL, d.group, NULL,
	    "group to run as (empty: the user's primary group)"),
	ROW("pidfile", MK_CFG_STRING, MK_CONF_RUNDIR "/unsubd.pid", 0, 1024,
	    NULL, d.pidfile, NULL, "pid file (empty: none)"),
	ROW("timeout", MK_CFG_DURATION, "10", 1, 300, NULL, d.timeout, NULL,
	    "seconds an HTTP connection may stay idle"),
	ROW("max_body", MK_CFG_SIZE, "4096", 64, 1048576, NULL, max_body,
	    NULL, "largest POST body, octets (larger: 413)"),
	ROW("max_rate", MK_CFG_INT, "50", 1, 1000000, NULL, max_rate, NULL,
	    "requests per second over the whole daemon, burst as many "
	    "(beyond: 429)"),
	ROW("max_connections", MK_CFG_INT, "256", 1, 100000, NULL,
	    max_connections, NULL, "HTTP connections open at once; read at "
	    "start"),
	ROW("max_header", MK_CFG_SIZE, "32k", 8192, 1048576, NULL, max_header,
	    NULL, "memory of one connection (request line and header "
	    "fields); read at start"),
	ROW("threads", MK_CFG_INT, "1", 1, 64, NULL, threads, NULL,
	    "threads serving HTTP; read at start"),
	ROW("page_title", MK_CFG_STRING, "Unsubscribe", 1, 200, NULL,
	    page_title, NULL, "title of the pages unsubd shows"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section unsubd_conf_section = {
	"unsubd", unsubd_rows, sizeof(struct unsubd_conf), 1, 0
};

const struct unsubd_conf *
unsubd_conf(const struct mk_conf *conf)
{
	const struct unsubd_conf *c = mk_conf_section(conf, "unsubd");

	if (c == NULL)
		mk_panic("[unsubd] is not a registered section");
	return c;
}
