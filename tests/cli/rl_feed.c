/*
 * NAME
 *	rl_feed - put rate-limit state into a store, for the command's tests
 * SYNOPSIS
 *	rl_feed -c FILE [-n COUNT] [-r RCPTS] NAME=VALUE...
 * DESCRIPTION
 *	Loads FILE (its [store] path and [ratelimit NAME] rules), opens the
 *	engine and checks COUNT (default 1) END-OF-MESSAGE requests carrying
 *	the NAME=VALUE attributes (sender, sasl_username, client_address,
 *	recipient) and recipient_count RCPTS (default 1), each as a new
 *	message (its own instance), exactly as milterkit-policyd does for
 *	mail that reached the end of data; then mk_rl_flush() commits
 *	them. Prints each verdict's reply, one per line.
 * DIAGNOSTICS
 *	Exit 0, 2 on usage or configuration errors, 3 on engine errors.
 * SEE ALSO
 *	tests/cli/test_ratelimit.sh, mk_ratelimit.h
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mk_conf.h"
#include "mk_ratelimit.h"

static int
set_attr(struct mk_rl_request *rq, const char *arg)
{
	static const struct { const char *name; size_t off; } attrs[] = {
		{ "sender", offsetof(struct mk_rl_request, sender) },
		{ "sasl_username", offsetof(struct mk_rl_request, sasl_username) },
		{ "client_address",
		  offsetof(struct mk_rl_request, client_address) },
		{ "recipient", offsetof(struct mk_rl_request, recipient) },
	};
	const char *eq = strchr(arg, '=');

	if (eq == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strlen(attrs[i].name) == (size_t)(eq - arg)
		    && strncmp(attrs[i].name, arg, (size_t)(eq - arg)) == 0) {
			*(const char **)((char *)rq + attrs[i].off) = eq + 1;
			return 0;
		}
	return -1;
}

int
main(int argc, char **argv)
{
	struct mk_conf *conf;
	struct mk_rl_rules *rules;
	struct mk_rl_engine *e;
	struct mk_rl_request rq;
	struct mk_rl_txn tx;
	struct mk_rl_verdict v;
	struct timespec ts;
	const char *path = NULL;
	char err[512], inst[64];
	long count = 1, rcpts = 1;
	int c, rc = 0;

	memset(&rq, 0, sizeof(rq));
	while ((c = getopt(argc, argv, "c:n:r:")) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'r': rcpts = strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (path == NULL || optind >= argc || count < 1 || rcpts < 1)
		goto usage;
	for (int i = optind; i < argc; i++)
		if (set_attr(&rq, argv[i]) < 0)
			goto usage;
	if (mk_conf_load(path, 0, &conf, err, sizeof(err)) < 0
	    || mk_rl_rules_load(conf, &rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "rl_feed: %s\n", err);
		return 2;
	}
	if (mk_rl_engine_open(conf->store.path, rules, conf->store.map_size,
	    &e, err, sizeof(err)) < 0) {
		fprintf(stderr, "rl_feed: %s\n", err);
		return 3;
	}
	rq.protocol_state = "END-OF-MESSAGE";
	rq.queue_id = "";
	rq.recipient_count = rcpts;
	rq.instance = inst;
	memset(&tx, 0, sizeof(tx));
	mk_rl_txn_reset(&tx);
	for (long i = 0; i < count && rc == 0; i++) {
		snprintf(inst, sizeof(inst), "feed.%ld.%ld", (long)getpid(), i);
		clock_gettime(CLOCK_REALTIME, &ts);
		if (mk_rl_check(e, &rq, &tx, (int64_t)ts.tv_sec * MK_RL_NS
		    + ts.tv_nsec, &v) < 0) {
			fprintf(stderr, "rl_feed: check: %s\n", v.reply);
			rc = 3;
		} else {
			printf("%s\n", v.reply);
		}
	}
	if (mk_rl_flush(e, err, sizeof(err)) < 0) {
		fprintf(stderr, "rl_feed: commit: %s\n", err);
		rc = 3;
	}
	mk_rl_engine_close(e);
	mk_rl_rules_free(rules);
	mk_conf_free(conf);
	return rc;
usage:
	fprintf(stderr, "usage: rl_feed -c FILE [-n COUNT] [-r RCPTS] "
	    "NAME=VALUE...\n  NAME: sender, sasl_username, client_address, "
	    "recipient\n");
	return 2;
}
