/*
 * ratelimit_rules.c - rate-limit rules: checking the [ratelimit NAME]
 * sections, compiling them, and finding a request's key (mk_ratelimit.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_addr.h"
#include "mk_cfg.h"
#include "mk_list.h"
#include "mk_mem.h"
#include "ratelimit_priv.h"

static _Thread_local char rl_last_error[512];

int
mk_rl__err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rl_last_error, sizeof(rl_last_error), fmt, ap);
	va_end(ap);
	return code;
}

const char *
mk_rl_errdetail(void)
{
	return rl_last_error;
}

const char *
mk_rl_strerror(int code)
{
	switch (code) {
	case MK_RL_OK:
		return "no error";
	case MK_RL_ESTORE:
		return "the rate-limit state store failed";
	case MK_RL_ENORULE:
		return "no such rate-limit rule";
	case MK_RL_EINVAL:
		return "rule or key too long";
	case MK_RL_ESYS:
		return "out of system resources (threads)";
	default:
		return "unknown rate-limit error";
	}
}

/* ---- checks of configuration values ------------------------------------ */

/* Longest N/PERIOD item. */
#define RL_RATE_ITEM_MAX 63

/* Parse a list of N/PERIOD into v[0..*n); 0 or -1 with a message. */
static int
rates_parse(const char *text, struct mk_rl_rate *v, int *n, char *err,
    size_t errlen)
{
	struct mk_list l;
	int rc;

	*n = 0;
	mk_list_init(&l, text, RL_RATE_ITEM_MAX, MK_RL_RATES_MAX, "rates");
	while ((rc = mk_list_next(&l, err, errlen)) > 0) {
		char item[RL_RATE_ITEM_MAX + 1], *slash, *end;
		long long count, secs;

		memcpy(item, l.item, l.len);
		item[l.len] = '\0';
		if ((slash = strchr(item, '/')) == NULL) {
			/* The whole value: "2 per hour" is one mistake,
			 * not three items. */
			snprintf(err, errlen, "\"%.200s\": expected N/PERIOD,"
			    " several separated by commas, e.g. 100/1m, 2000/1d"
			    " (\"%s\" is not one)", text, item);
			return -1;
		}
		*slash = '\0';
		count = strtoll(item, &end, 10);
		if (end == item || *end != '\0' || count < 1 || count > 100000000) {
			snprintf(err, errlen, "\"%s/%s\": the count must be 1 to"
			    " 100000000", item, slash + 1);
			return -1;
		}
		if (mk_cfg_parse_duration(slash + 1, &secs) != 0 || secs < 1 ||
		    secs > 366 * 86400) {
			snprintf(err, errlen, "\"%s/%s\": the period must be a"
			    " duration from 1s to 366d", item, slash + 1);
			return -1;
		}
		v[*n].count = count;
		v[*n].period = secs * MK_RL_NS;
		(*n)++;
	}
	return rc == 0 ? 0 : -1;
}

int
mk_rl_rates_check(const char *text, char *err, size_t errlen)
{
	struct mk_rl_rate v[MK_RL_RATES_MAX];
	int n;

	if (rates_parse(text, v, &n, err, errlen) != 0)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "expected at least one N/PERIOD");
		return -1;
	}
	return 0;
}

static const char *const key_names[] = {
	[MK_RL_KEY_SASL] = "sasl_username",
	[MK_RL_KEY_SENDER] = "sender",
	[MK_RL_KEY_SENDER_DOMAIN] = "sender_domain",
	[MK_RL_KEY_CLIENT] = "client_address",
	[MK_RL_KEY_RCPT_DOMAIN] = "recipient_domain",
};

/* Parse the key list into r (keys, nkeys, v4len); 0 or -1. */
static int
keys_parse(const char *text, struct rl_rule *r, char *err, size_t errlen)
{
	struct mk_list l;
	int rc;

	r->nkeys = 0;
	r->v4len = 32;
	mk_list_init(&l, text, 0, MK_RL_KEYS_MAX, "keys");
	while ((rc = mk_list_next(&l, err, errlen)) > 0) {
		const char *p = l.item;
		size_t len = l.len, nlen = strcspn(p, "/" MK_LIST_SEP);
		int k = -1;

		for (int i = 0; i < (int)(sizeof(key_names) / sizeof(key_names[0]));
		    i++)
			if (strlen(key_names[i]) == nlen &&
			    strncmp(p, key_names[i], nlen) == 0)
				k = i;
		if (k < 0 || (nlen != len && k != MK_RL_KEY_CLIENT)) {
			snprintf(err, errlen, "\"%.*s\": expected sasl_username,"
			    " sender, sender_domain, client_address[/N] or"
			    " recipient_domain", (int)(len > 40 ? 40 : len), p);
			return -1;
		}
		if (nlen != len) {
			char *end;
			long v = strtol(p + nlen + 1, &end, 10);
			if (end != p + len || v < 1 || v > 32) {
				snprintf(err, errlen, "\"%.*s\": the IPv4 prefix"
				    " length must be 1 to 32", (int)len, p);
				return -1;
			}
			r->v4len = (int)v;
		}
		r->keys[r->nkeys++] = k;
	}
	if (rc < 0)
		return -1;
	if (r->nkeys == 0) {
		snprintf(err, errlen, "expected at least one key");
		return -1;
	}
	return 0;
}

int
mk_rl_keys_check(const char *text, char *err, size_t errlen)
{
	struct rl_rule r;

	return keys_parse(text, &r, err, errlen);
}

/* Parse "KEY messages=R,R recipients=R" into o; 0 or -1. */
static int
override_parse(char *item, struct rl_override *o, char *err, size_t errlen)
{
	char *save = NULL, *tok = strtok_r(item, " \t", &save);

	memset(o, 0, sizeof(*o));
	if (tok == NULL) {
		snprintf(err, errlen, "an override needs a key");
		return -1;
	}
	o->key = tok;
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		int rc;
		if (strncmp(tok, "messages=", 9) == 0)
			rc = rates_parse(tok + 9, o->lim.msg, &o->lim.nmsg, err,
			    errlen);
		else if (strncmp(tok, "recipients=", 11) == 0)
			rc = rates_parse(tok + 11, o->lim.rcpt, &o->lim.nrcpt,
			    err, errlen);
		else {
			snprintf(err, errlen, "override of %s: \"%s\": expected"
			    " messages=... or recipients=...", o->key, tok);
			return -1;
		}
		if (rc != 0)
			return -1;
	}
	if (o->lim.nmsg + o->lim.nrcpt == 0) {
		snprintf(err, errlen, "override of %s gives no limits", o->key);
		return -1;
	}
	return 0;
}

/* Split text at ';' and parse each override; with out, keep them. */
static int
overrides_walk(const char *text, struct rl_rule *out, char *err, size_t errlen)
{
	char *copy = mk_strdup(text), *save = NULL, *item;
	struct rl_override o;
	int rc = 0;

	for (item = strtok_r(copy, ";", &save); item != NULL && rc == 0;
	    item = strtok_r(NULL, ";", &save)) {
		if (item[strspn(item, " \t")] == '\0')
			continue;
		if ((rc = override_parse(item, &o, err, errlen)) == 0 && out) {
			o.key = mk_strdup(o.key);
			out->ov = mk_realloc(out->ov, (out->nov + 1) * sizeof(o));
			out->ov[out->nov++] = o;
		}
	}
	free(copy);
	return rc;
}

int
mk_rl_overrides_check(const char *text, char *err, size_t errlen)
{
	return overrides_walk(text, NULL, err, errlen);
}

int
mk_rl_rule_finish(void *rule_conf, char *err, size_t errlen)
{
	const struct mk_conf_rule *c = rule_conf;
	struct rl_rule r;

	if (c->key == NULL) {
		snprintf(err, errlen, "needs key = ...");
		return -1;
	}
	if (c->messages == NULL && c->recipients == NULL) {
		snprintf(err, errlen, "needs messages = ... or recipients = ...");
		return -1;
	}
	if (keys_parse(c->key, &r, err, errlen) != 0)
		return -1;
	for (int i = 0; i < r.nkeys; i++) {
		if (r.keys[i] == MK_RL_KEY_RCPT_DOMAIN &&
		    (r.nkeys > 1 || c->messages != NULL)) {
			snprintf(err, errlen, "recipient_domain counts recipients"
			    " at RCPT: it must be the only key, with recipients ="
			    " and no messages =");
			return -1;
		}
	}
	return 0;
}

/* ---- compiled rules ---------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_ov(const void *a, const void *b)
{
	return strcmp(((const struct rl_override *)a)->key,
	    ((const struct rl_override *)b)->key);
}

static void
exempt_parse(const char *text, struct rl_rule *r)
{
	struct mk_list l;

	mk_list_init(&l, text, 0, 0, "values");
	while (mk_list_next(&l, NULL, 0) > 0) {
		r->exempt = mk_realloc(r->exempt, (r->nexempt + 1) * sizeof(char *));
		r->exempt[r->nexempt++] = mk_strndup(l.item, l.len);
	}
	if (r->nexempt > 1)
		qsort(r->exempt, r->nexempt, sizeof(char *), cmp_str);
}

static int
rule_compile(const struct mk_conf_rule *c, struct rl_rule *r, char *err,
    size_t errlen)
{
	char why[256];

	memset(r, 0, sizeof(*r));
	r->name = mk_strdup(c->name);
	if (mk_rl_rule_finish((void *)c, why, sizeof(why)) != 0 ||
	    keys_parse(c->key, r, why, sizeof(why)) != 0 ||
	    (c->messages && rates_parse(c->messages, r->lim.msg,
	    &r->lim.nmsg, why, sizeof(why)) != 0) ||
	    (c->recipients && rates_parse(c->recipients, r->lim.rcpt,
	    &r->lim.nrcpt, why, sizeof(why)) != 0) ||
	    overrides_walk(c->override, r, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "[ratelimit %s] %s", c->name, why);
		return -1;
	}
	r->v6len = (int)c->ipv6_prefix;
	r->burst = c->burst;
	r->action = c->action;
	r->text = mk_strdup(c->text);
	exempt_parse(c->exempt, r);
	if (r->nov > 1)
		qsort(r->ov, r->nov, sizeof(*r->ov), cmp_ov);
	return 0;
}

static void
rule_free(struct rl_rule *r)
{
	for (size_t i = 0; i < r->nexempt; i++)
		free(r->exempt[i]);
	for (size_t i = 0; i < r->nov; i++)
		free(r->ov[i].key);
	free(r->exempt);
	free(r->ov);
	free(r->text);
	free(r->name);
}

int
mk_rl_rules_load(const struct mk_conf *conf, struct mk_rl_rules **out,
    char *err, size_t errlen)
{
	struct mk_rl_rules *rules = mk_calloc(1, sizeof(*rules));

	*out = NULL;
	rules->v = mk_calloc(conf->rules.n + 1, sizeof(*rules->v));
	for (size_t i = 0; i < conf->rules.n; i++) {
		if (rule_compile(conf->rules.v[i], &rules->v[i], err, errlen) != 0) {
			rules->n = i + 1;
			mk_rl_rules_free(rules);
			return -1;
		}
	}
	rules->n = conf->rules.n;
	*out = rules;
	return 0;
}

void
mk_rl_rules_free(struct mk_rl_rules *rules)
{
	if (rules == NULL)
		return;
	for (size_t i = 0; i < rules->n; i++)
		rule_free(&rules->v[i]);
	free(rules->v);
	free(rules);
}

size_t
mk_rl_rules_count(const struct mk_rl_rules *rules)
{
	return rules != NULL ? rules->n : 0;
}

const struct rl_rule *
mk_rl__rule_named(const struct mk_rl_rules *rules, const char *name)
{
	for (size_t i = 0; i < rules->n; i++)
		if (strcmp(rules->v[i].name, name) == 0)
			return &rules->v[i];
	return NULL;
}

const struct mk_rl_limits *
mk_rl__limits_for(const struct rl_rule *r, const char *key)
{
	struct rl_override probe;
	const struct rl_override *o;

	if (r->nov == 0)
		return &r->lim;
	memset(&probe, 0, sizeof(probe));
	probe.key = (char *)key;
	o = bsearch(&probe, r->ov, r->nov, sizeof(*r->ov), cmp_ov);
	return o != NULL ? &o->lim : &r->lim;
}

int
mk_rl__exempt(const struct rl_rule *r, const char *key)
{
	const char *k = key;

	return r->nexempt > 0 && bsearch(&k, r->exempt, r->nexempt,
	    sizeof(char *), cmp_str) != NULL;
}

/* ---- the key of a request --------------------------------------------- */

/* addr masked to bits, as "a.b.c.d/bits" (or the address at full length). */
static int
client_key(const char *addr, int v4len, int v6len, char *key, size_t len)
{
	unsigned char a[16];
	char txt[INET6_ADDRSTRLEN];
	int fam, bits, alen;

	if (inet_pton(AF_INET, addr, a) == 1)
		fam = AF_INET, bits = v4len, alen = 4;
	else if (inet_pton(AF_INET6, addr, a) == 1)
		fam = AF_INET6, bits = v6len, alen = 16;
	else
		return 0;
	for (int i = 0; i < alen; i++) {
		int keep = bits - i * 8;
		a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 :
		    (unsigned char)(0xff << (8 - keep));
	}
	inet_ntop(fam, a, txt, sizeof(txt));
	if (bits == alen * 8)
		snprintf(key, len, "%s", txt);
	else
		snprintf(key, len, "%s/%d", txt, bits);
	return 1;
}

static int
addr_key(const char *value, int domain_only, char *key, size_t len)
{
	struct mk_addr a;
	const char *v;

	if (value == NULL || *value == '\0' ||
	    mk_addr_parse(value, strlen(value), NULL, &a) != 0)
		return 0;
	v = domain_only ? a.domain : a.norm;
	if (strlen(v) >= len)
		return 0;
	strcpy(key, v);
	return 1;
}

int
mk_rl__key_of(const struct rl_rule *r, const struct mk_rl_request *rq,
    char *key, size_t len)
{
	for (int i = 0; i < r->nkeys; i++) {
		switch (r->keys[i]) {
		case MK_RL_KEY_SASL:
			if (rq->sasl_username != NULL && *rq->sasl_username &&
			    strlen(rq->sasl_username) < len) {
				strcpy(key, rq->sasl_username);
				return 1;
			}
			break;
		case MK_RL_KEY_SENDER:
		case MK_RL_KEY_SENDER_DOMAIN:
			if (addr_key(rq->sender, r->keys[i] ==
			    MK_RL_KEY_SENDER_DOMAIN, key, len))
				return 1;
			break;
		case MK_RL_KEY_CLIENT:
			if (rq->client_address != NULL &&
			    client_key(rq->client_address, r->v4len, r->v6len, key,
			    len))
				return 1;
			break;
		default:
			if (addr_key(rq->recipient, 1, key, len))
				return 1;
			break;
		}
	}
	return 0;
}
