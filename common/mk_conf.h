/*
 * NAME
 *	mk_conf - the schema of milterkit.conf, shared by every program
 * SYNOPSIS
 *	#include "mk_conf.h"
 *
 *	extern const struct mk_cfg_row mk_conf_rows[];
 *	extern const struct mk_cfg_schema mk_conf_schema;
extern const struct mk_cfg_schema mk_conf_schema;
 *	int	mk_conf_load(const char *path, int missing_ok,
 *			struct mk_conf **out, char *err, size_t errlen);
 *	struct mk_conf *mk_conf_new_defaults(void);
 *	void	mk_conf_free(struct mk_conf *conf);
 *	const struct mk_conf_daemon *mk_conf_daemon(const struct mk_conf *conf,
 *			const char *section);
 *	void	mk_conf_store_opts(const struct mk_conf *conf,
 *			struct mk_store_opts *opts);
 * DESCRIPTION
 *	One file configures every program, so its schema is one table: each
 *	program reads [store], [log] and its own section, and every program's
 *	-t (and `milterkit config check`) validates the whole file.
 *	Sections known here: store, log, suppress, headers, dkim, dmarc,
 *	policyd. Each daemon section shares the rows of struct mk_conf_daemon
 *	(the milters also check and networks); programs add their own rows to
 *	mk_conf_rows as they grow ([suppress]: struct mk_conf_suppress).
 *
 *	mk_conf_load() builds a new configuration from defaults plus the file.
 *	With missing_ok, a file that does not exist yields the defaults.
 *	Returns 0, or -1 with "FILE:LINE: message" in err. The result is
 *	owned by the caller and released with mk_conf_free() (NULL is a no-op).
 *	mk_conf_daemon() returns the daemon block of a section, NULL if the
 *	section is not a daemon section.
 *	mk_conf_store_opts() fills the store options (map size and address
 *	normalization) from [store].
 *	mk_conf_schema is the rows plus the named sections: [ratelimit NAME],
 *	one struct mk_conf_rule each, in conf->rules.
 */
#ifndef MK_CONF_H
#define MK_CONF_H

#include <stddef.h>

#include "mk_cfg.h"
#include "mk_store.h"

#define MK_CONF_DEFAULT_PATH "/etc/milterkit/milterkit.conf"

/* on_error choices of the milters; the policy daemon uses dunno/defer. */
enum { MK_ON_ERROR_TEMPFAIL = 0, MK_ON_ERROR_ACCEPT = 1 };
enum { MK_POLICY_ON_ERROR_DUNNO = 0, MK_POLICY_ON_ERROR_DEFER = 1 };

/* [store] local_part choices */
enum { MK_LOCAL_FOLD = 0, MK_LOCAL_EXACT = 1 };

struct mk_conf_daemon {
	char *socket;		/* unix:/path, inet:PORT@HOST, inet6:PORT@HOST */
	long long socket_mode;	/* unix socket mode, e.g. 0660 */
	char *socket_group;	/* group owning the unix socket (e.g. postfix) */
	char *user;		/* run as (after binding), empty = stay */
	char *group;		/* primary group, empty = user's */
	char *pidfile;		/* empty = none */
	int on_error;		/* MK_ON_ERROR_* or MK_POLICY_ON_ERROR_* */
	long long timeout;	/* seconds of MTA silence before dropping */
	char *check;		/* milters: which sessions (mk_session.h) */
	char *networks;		/* milters: client networks (mk_cidr.h) */
	long long threads;	/* milters: event loops, 0 = one per CPU */
};

/* [suppress] beyond the daemon keys */
struct mk_conf_suppress {
	char *exempt;		/* address patterns never rejected */
	char *reply[MK_REASON_COUNT];	/* template per reason, [0] unused */
};

struct mk_conf_store {
	char *path;		/* store directory */
	long long map_size;	/* maximum size of one environment, bytes */
	int local_part;		/* MK_LOCAL_FOLD | MK_LOCAL_EXACT */
	int strip_subaddress;	/* drop "+tag" from local parts */
	char *subaddress_delimiter; /* one character, default "+" */
};

/* One [ratelimit NAME] section (mk_ratelimit.h says what it means). */
struct mk_conf_rule {
	char *name;
	char *key;		/* attributes, first present wins */
	char *messages;		/* N/PERIOD, ... */
	char *recipients;	/* N/PERIOD, ... */
	long long burst;	/* units beyond each rate at once */
	int action;		/* MK_RL_ACT_* */
	char *exempt;		/* key values never limited */
	char *override;		/* "KEY messages=.. recipients=..; ..." */
	long long ipv6_prefix;	/* client_address keys of IPv6 clients */
	char *text;		/* reply text when exceeded */
};

/* [headers] choices */
enum { MK_HDR_ZONE_LOCAL = 0, MK_HDR_ZONE_UTC = 1 };
enum { MK_HDR_FROM_REJECT = 0, MK_HDR_FROM_ADD = 1, MK_HDR_FROM_ACCEPT = 2 };
enum { MK_HDR_DUP_REJECT = 0, MK_HDR_DUP_KEEP_FIRST = 1, MK_HDR_DUP_ACCEPT = 2 };
enum { MK_HDR_REJECT = 0, MK_HDR_ACCEPT = 1 };
enum { MK_HDR_LONG_FOLD = 0, MK_HDR_LONG_REJECT = 1, MK_HDR_LONG_ACCEPT = 2 };
enum { MK_HDR_8BIT_ENCODE = 0, MK_HDR_8BIT_REJECT = 1, MK_HDR_8BIT_ACCEPT = 2 };

/* [headers] beyond the daemon keys (milters/headers says what they mean) */
struct mk_conf_headers {
	long long max_headers;	/* header fields of one message */
	long long max_header_size; /* octets of one field, name + value */
	int message_id;		/* add or replace a missing/invalid one */
	char *message_id_domain; /* empty: the From domain */
	int date;		/* add a missing Date */
	int date_zone;		/* MK_HDR_ZONE_* */
	int mime_version;	/* add MIME-Version to MIME content */
	int missing_from;	/* MK_HDR_FROM_* */
	int multiple_from;	/* MK_HDR_REJECT | MK_HDR_ACCEPT */
	int duplicates;		/* MK_HDR_DUP_* */
	char *remove;		/* header names removed (privacy) */
	char *internal_networks; /* Received naming these is removed */
	char *internal_hosts;	/* likewise, host names / .domains */
	char *feedback_id;	/* template, empty = off */
	char *unsub_domains;	/* sender domains given List-Unsubscribe */
	char *unsub_secret_file; /* HMAC key of the token */
	char *unsub_mailto;	/* template of the mailto: address */
	char *unsub_url;	/* template of the https URL, empty = none */
	int long_lines;		/* MK_HDR_LONG_* */
	int eight_bit;		/* MK_HDR_8BIT_* */
};

/* [policyd] beyond the daemon keys */
struct mk_conf_policyd {
	long long max_connections;
	long long max_line;	/* octets of one name=value line */
	long long max_attrs;	/* lines of one request */
	long long max_request;	/* octets of one request */
};

struct mk_conf_log {
	int level;		/* enum mk_log_level */
	char *target;		/* syslog, stderr, file:/path */
};

struct mk_conf {
	struct mk_conf_store store;
	struct mk_conf_log log;
	struct mk_conf_daemon suppress;
	struct mk_conf_daemon headers;
	struct mk_conf_daemon dkim;
	struct mk_conf_daemon dmarc;
	struct mk_conf_daemon policyd;
	struct mk_conf_suppress supp;
	struct mk_conf_headers hdr;
	struct mk_conf_policyd pol;
	struct mk_cfg_list rules;	/* struct mk_conf_rule *, file order */
	char *source;		/* path the configuration was read from */
};

extern const struct mk_cfg_row mk_conf_rows[];
extern const struct mk_cfg_schema mk_conf_schema;

int mk_conf_load(const char *path, int missing_ok, struct mk_conf **out,
    char *err, size_t errlen);
struct mk_conf *mk_conf_new_defaults(void);
void mk_conf_free(struct mk_conf *conf);
const struct mk_conf_daemon *mk_conf_daemon(const struct mk_conf *conf,
    const char *section);
void mk_conf_store_opts(const struct mk_conf *conf, struct mk_store_opts *opts);

#endif
