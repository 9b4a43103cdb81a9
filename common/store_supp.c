/*
 * NAME
 *	store_supp - suppression entries: codec, single updates, lookup
 * SYNOPSIS
 *	#include "mk_store.h"
 *
 *	int	mk_supp_add(struct mk_store *st, const struct mk_supp_entry *e);
 *	int	mk_supp_remove(struct mk_store *st, const char *scope,
 *			const char *target);
 *	int	mk_supp_get(struct mk_store *st, const char *scope,
 *			const char *target, struct mk_supp_entry *out);
 *	int	mk_supp_list(struct mk_store *st, const struct mk_supp_filter *f,
 *			mk_supp_list_fn fn, void *arg);
 *	int	mk_supp_purge(struct mk_store *st, int64_t now, size_t *removed);
 *	int	mk_supp_lookup(struct mk_store *st, const char *rcpt,
 *			const char *sender_domain, int64_t now,
 *			struct mk_supp_entry *hit);
 *	int	mk_store_info(struct mk_store *st, int64_t now,
 *			struct mk_store_info *info);
 * DESCRIPTION
 *	Key = domain, NUL, local part, NUL, scope (empty for a global entry;
 *	empty local part for an "@domain" entry), at most 511 bytes, LMDB's
 *	key limit. Domain first and scope last, so the four probes of a lookup
 *	(scoped and global, address and domain) land next to each other: the
 *	scoped and global entries of an address share a leaf page, and the
 *	domain's entries sit at the start of its run of addresses. A lookup
 *	costs about one descent to a page not yet in cache instead of four. Value = a packed
 *	record (store_priv.h). A record that does not decode is
 *	MK_STORE_ECORRUPT, never trusted.
 *
 *	mk_supp_lookup() and mk_supp_get() use the thread's cached read
 *	transaction; list, purge and info walk the database with a cursor in
 *	a transaction of their own (list calls user code in it).
 * SEE ALSO
 *	mk_store.h, store_lmdb.c, store_import.c
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mk_mem.h"
#include "store_priv.h"

static void
put64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(u >> (8 * i));
}

static int64_t
get64(const unsigned char *p)
{
	uint64_t u = 0;

	for (int i = 0; i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	return (int64_t)u;
}

/* mk_store__key - build domain NUL local NUL scope into buf (STORE_KEY_MAX
 * bytes); target is "local@domain" (split at the last '@': a quoted local
 * part may hold one) or "@domain", whose local part is empty. */
int
mk_store__key(const char *scope, const char *target, char *buf, size_t *len)
{
	const char *at;
	size_t sl, tl, ll, dl;

	if (scope == NULL)
		scope = "";
	if (target == NULL || *target == '\0')
		return mk_store__err(MK_STORE_EINVAL, "empty target");
	sl = strnlen(scope, MK_SUPP_SCOPE_MAX + 1);
	tl = strnlen(target, STORE_KEY_MAX + 1);
	if (sl > MK_SUPP_SCOPE_MAX)
		return mk_store__err(MK_STORE_EINVAL,
		    "scope longer than %d octets", MK_SUPP_SCOPE_MAX);
	if (sl + 1 + tl > STORE_KEY_MAX)
		return mk_store__err(MK_STORE_EINVAL, "key for \"%.40s...\""
		    " longer than %d octets", target, STORE_KEY_MAX);
	if ((at = memrchr(target, '@', tl)) == NULL || at[1] == '\0')
		return mk_store__err(MK_STORE_EINVAL, "target \"%.40s\" is"
		    " neither an address nor @domain", target);
	ll = (size_t)(at - target);
	dl = tl - ll - 1;
	memcpy(buf, at + 1, dl);
	buf[dl] = '\0';
	memcpy(buf + dl + 1, target, ll);
	buf[dl + 1 + ll] = '\0';
	memcpy(buf + dl + ll + 2, scope, sl);
	*len = dl + ll + 2 + sl;
	return 0;
}

int
mk_store__entry_check(const struct mk_supp_entry *e)
{
	if (e == NULL)
		return mk_store__err(MK_STORE_EINVAL, "no entry");
	if (e->reason <= MK_REASON_ANY || e->reason >= MK_REASON_COUNT)
		return mk_store__err(MK_STORE_EINVAL, "bad reason %d",
		    e->reason);
	if (strnlen(e->note, sizeof(e->note)) > MK_SUPP_NOTE_MAX)
		return mk_store__err(MK_STORE_EINVAL,
		    "note longer than %d octets", MK_SUPP_NOTE_MAX);
	if (strnlen(e->scope, sizeof(e->scope)) > MK_SUPP_SCOPE_MAX ||
	    strnlen(e->target, sizeof(e->target)) > MK_SUPP_TARGET_MAX)
		return mk_store__err(MK_STORE_EINVAL, "unterminated scope or target");
	if (e->created < 0 || e->expires < 0)
		return mk_store__err(MK_STORE_EINVAL, "negative time");
	return 0;
}

size_t
mk_store__val_pack(const struct mk_supp_entry *e, unsigned char *buf)
{
	size_t nl = strlen(e->note);

	buf[0] = STORE_VAL_VERSION;
	buf[1] = (unsigned char)e->reason;
	put64(buf + 2, e->created);
	put64(buf + 10, e->expires);
	buf[18] = (unsigned char)(nl & 0xff);
	buf[19] = (unsigned char)(nl >> 8);
	memcpy(buf + STORE_VAL_HDR, e->note, nl);
	return STORE_VAL_HDR + nl;
}

/* Read a record into e's reason, times and note; 0 or MK_STORE_ECORRUPT. */
static int
val_unpack(const void *p, size_t len, struct mk_supp_entry *e)
{
	const unsigned char *b = p;
	size_t nl;

	if (len < STORE_VAL_HDR || b[0] != STORE_VAL_VERSION)
		return mk_store__err(MK_STORE_ECORRUPT, "bad record (size %zu,"
		    " version %d)", len, len ? b[0] : -1);
	nl = (size_t)b[18] | (size_t)b[19] << 8;
	if (b[1] <= MK_REASON_ANY || b[1] >= MK_REASON_COUNT ||
	    nl > MK_SUPP_NOTE_MAX || len != STORE_VAL_HDR + nl ||
	    memchr(b + STORE_VAL_HDR, '\0', nl) != NULL)
		return mk_store__err(MK_STORE_ECORRUPT, "bad record (size %zu,"
		    " reason %d, note %zu)", len, b[1], nl);
	e->reason = b[1];
	e->created = get64(b + 2);
	e->expires = get64(b + 10);
	memcpy(e->note, b + STORE_VAL_HDR, nl);
	e->note[nl] = '\0';
	return 0;
}

/* Read a key back into e's scope and target; 0 or MK_STORE_ECORRUPT. */
static int
key_unpack(const void *p, size_t len, struct mk_supp_entry *e)
{
	const char *k = p, *z1 = memchr(k, '\0', len), *z2;
	size_t dl, ll, sl;

	if (z1 == NULL || (z2 = memchr(z1 + 1, '\0', len - (size_t)(z1 - k) -
	    1)) == NULL)
		return mk_store__err(MK_STORE_ECORRUPT,
		    "bad key (no separator)");
	dl = (size_t)(z1 - k);
	ll = (size_t)(z2 - z1 - 1);
	sl = len - dl - ll - 2;
	if (dl == 0 || sl > MK_SUPP_SCOPE_MAX ||
	    dl + ll + 1 > MK_SUPP_TARGET_MAX || memchr(z2 + 1, '\0', sl) != NULL)
		return mk_store__err(MK_STORE_ECORRUPT, "bad key (size %zu)",
		    len);
	memcpy(e->target, z1 + 1, ll);
	e->target[ll] = '@';
	memcpy(e->target + ll + 1, k, dl);
	e->target[ll + 1 + dl] = '\0';
	memcpy(e->scope, z2 + 1, sl);
	e->scope[sl] = '\0';
	return 0;
}

int
mk_supp_add(struct mk_store *st, const struct mk_supp_entry *e)
{
	unsigned char vbuf[STORE_VAL_MAX];
	char kbuf[STORE_KEY_MAX];
	MDB_val k, v;
	MDB_txn *txn;
	int rc;

	if ((rc = mk_store__entry_check(e)) != 0 ||
	    (rc = mk_store__key(e->scope, e->target, kbuf, &k.mv_size)) != 0)
		return rc;
	k.mv_data = kbuf;
	v.mv_data = vbuf;
	v.mv_size = mk_store__val_pack(e, vbuf);
	if ((rc = mk_store__txn_begin(st, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_put(txn, st->supp, &k, &v, 0)) != 0)
		rc = mk_store__mdb_err(rc, st, "add entry");
	mk_store__txn_done(st, txn, 1, &rc);
	return rc;
}

int
mk_supp_remove(struct mk_store *st, const char *scope, const char *target)
{
	char kbuf[STORE_KEY_MAX];
	MDB_val k = { 0, kbuf };
	MDB_txn *txn;
	int rc;

	if ((rc = mk_store__key(scope, target, kbuf, &k.mv_size)) != 0)
		return rc;
	if ((rc = mk_store__txn_begin(st, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_del(txn, st->supp, &k, NULL)) != 0)
		rc = mk_store__mdb_err(rc, st, "remove entry");
	mk_store__txn_done(st, txn, 1, &rc);
	return rc;
}

/* store_fetch - one key in txn into out; ENOTFOUND is quiet */
static int
store_fetch(struct mk_store *st, MDB_txn *txn, const char *key, size_t klen,
    struct mk_supp_entry *out)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc;

	if ((rc = mdb_get(txn, st->supp, &k, &v)) == MDB_NOTFOUND)
		return MK_STORE_ENOTFOUND;
	if (rc != 0)
		return mk_store__mdb_err(rc, st, "read entry");
	if ((rc = val_unpack(v.mv_data, v.mv_size, out)) != 0)
		return rc;
	return key_unpack(key, klen, out);
}

int
mk_supp_get(struct mk_store *st, const char *scope, const char *target,
    struct mk_supp_entry *out)
{
	char kbuf[STORE_KEY_MAX];
	size_t klen;
	MDB_txn *txn;
	int rc;

	if ((rc = mk_store__key(scope, target, kbuf, &klen)) != 0 ||
	    (rc = mk_store__read_begin(st, &txn)) != 0)
		return rc;
	rc = store_fetch(st, txn, kbuf, klen, out);
	mk_store__read_end(st, txn);
	return rc;
}

/* The entries of one address (or "@domain") under the scope the lookup
 * asks for and the global one: both found by one cursor descent, since
 * keys are prefix NUL scope and the global entry (empty scope) sorts
 * first, the scoped ones after it in order. */
struct probe {
	int scoped, global;		/* 1 when found and not expired */
	struct mk_supp_entry s, g;
};

static int
store_probe(struct mk_store *st, MDB_cursor *cur, const char *key, size_t plen,
    const char *scope, size_t slen, int64_t now, struct probe *pr)
{
	MDB_val k = { plen, (void *)key }, v;
	int rc, op = MDB_SET_RANGE;

	pr->scoped = pr->global = 0;
	for (;; op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) == MDB_NOTFOUND)
			return 0;
		if (rc != 0)
			return mk_store__mdb_err(rc, st, "read entry");
		if (k.mv_size < plen || memcmp(k.mv_data, key, plen) != 0)
			return 0;
		const char *rest = (const char *)k.mv_data + plen;
		size_t rlen = k.mv_size - plen;
		struct mk_supp_entry *e;
		int c = memcmp(rest, scope, rlen < slen ? rlen : slen);
		if (rlen == 0)
			e = &pr->g;
		else if (slen > 0 && c == 0 && rlen == slen)
			e = &pr->s;
		else if (c > 0 || (c == 0 && rlen > slen))
			return 0;	/* past the scope asked for */
		else
			continue;
		if ((rc = val_unpack(v.mv_data, v.mv_size, e)) != 0 ||
		    (rc = key_unpack(k.mv_data, k.mv_size, e)) != 0)
			return rc;
		if (e->expires != 0 && e->expires <= now)
			continue;
		*(e == &pr->g ? &pr->global : &pr->scoped) = 1;
		if (e == &pr->s || slen == 0)
			return 0;
	}
}

int
mk_supp_lookup(struct mk_store *st, const char *rcpt, const char *sender_domain,
    int64_t now, struct mk_supp_entry *hit)
{
	char akey[STORE_KEY_MAX], dkey[STORE_KEY_MAX];
	size_t alen, dlen, slen;
	const char *at, *scope = sender_domain ? sender_domain : "";
	struct probe pa, pd;
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc;

	if (rcpt == NULL || (at = strrchr(rcpt, '@')) == NULL || at[1] == '\0')
		return mk_store__err(MK_STORE_EINVAL,
		    "recipient without a domain");
	if ((slen = strnlen(scope, MK_SUPP_SCOPE_MAX + 1)) > MK_SUPP_SCOPE_MAX)
		return mk_store__err(MK_STORE_EINVAL,
		    "scope longer than %d octets", MK_SUPP_SCOPE_MAX);
	/* The key prefixes: "domain NUL local NUL" and "domain NUL NUL". */
	if ((rc = mk_store__key("", rcpt, akey, &alen)) != 0 ||
	    (rc = mk_store__key("", at, dkey, &dlen)) != 0)
		return rc;
	if ((rc = mk_store__read_begin(st, &txn)) != 0)
		return rc;
	if ((rc = mk_store__read_cursor(st, txn, &cur)) != 0) {
		mk_store__read_end(st, txn);
		return rc;
	}
	/* Precedence: scoped address, scoped domain, global address, global
	 * domain; the domain probe is skipped when the address settles it. */
	pd.scoped = pd.global = 0;
	rc = store_probe(st, cur, akey, alen, scope, slen, now, &pa);
	if (rc == 0 && !pa.scoped && !(pa.global && slen == 0))
		rc = store_probe(st, cur, dkey, dlen, scope, slen, now, &pd);
	mk_store__read_end(st, txn);
	if (rc != 0)
		return rc;
	if (pa.scoped)
		*hit = pa.s;
	else if (pd.scoped)
		*hit = pd.s;
	else if (pa.global)
		*hit = pa.g;
	else if (pd.global)
		*hit = pd.g;
	else
		return MK_STORE_ENOTFOUND;
	return 0;
}

/* store_walk - call fn on every decoded entry of the supp database */
static int
store_walk(struct mk_store *st, MDB_txn *txn, MDB_cursor **curp,
    int (*fn)(MDB_cursor *, const struct mk_supp_entry *, void *), void *arg)
{
	struct mk_supp_entry e;
	MDB_val k, v;
	int rc, op = MDB_FIRST;

	if ((rc = mdb_cursor_open(txn, st->supp, curp)) != 0)
		return mk_store__mdb_err(rc, st, "open cursor");
	for (;; op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(*curp, &k, &v, op)) == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = mk_store__mdb_err(rc, st, "walk entries");
			break;
		}
		if ((rc = key_unpack(k.mv_data, k.mv_size, &e)) != 0 ||
		    (rc = val_unpack(v.mv_data, v.mv_size, &e)) != 0 ||
		    (rc = fn(*curp, &e, arg)) != 0)
			break;
	}
	mdb_cursor_close(*curp);
	return rc;
}

struct list_ctx {
	const struct mk_supp_filter *f;
	mk_supp_list_fn fn;
	void *arg;
};

#define STORE_STOP 1	/* user callback asked to stop */

static int
list_one(MDB_cursor *cur, const struct mk_supp_entry *e, void *arg)
{
	struct list_ctx *c = arg;
	const struct mk_supp_filter *f = c->f;

	if (f != NULL) {
		if (f->scope != NULL && strcmp(f->scope, e->scope) != 0)
			return 0;
		if (f->reason != MK_REASON_ANY && f->reason != e->reason)
			return 0;
		if (!f->include_expired && e->expires != 0 &&
		    e->expires <= f->now)
			return 0;
	}
	return c->fn(e, c->arg) != 0 ? STORE_STOP : 0;
}

int
mk_supp_list(struct mk_store *st, const struct mk_supp_filter *f,
    mk_supp_list_fn fn, void *arg)
{
	struct list_ctx c = { f, fn, arg };
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc;

	if (fn == NULL)
		return mk_store__err(MK_STORE_EINVAL,
		    "mk_supp_list: no callback");
	if ((rc = mk_store__txn_begin(st, 1, &txn)) != 0)
		return rc;
	rc = store_walk(st, txn, &cur, list_one, &c);
	if (rc == STORE_STOP)
		rc = 0;
	mk_store__txn_done(st, txn, 0, &rc);
	return rc;
}

struct purge_ctx {
	int64_t now;
	size_t removed;
	struct mk_store *st;
};

static int
purge_one(MDB_cursor *cur, const struct mk_supp_entry *e, void *arg)
{
	struct purge_ctx *c = arg;
	int rc;

	if (e->expires == 0 || e->expires > c->now)
		return 0;
	if ((rc = mdb_cursor_del(cur, 0)) != 0)
		return mk_store__mdb_err(rc, c->st, "purge entry");
	c->removed++;
	return 0;
}

int
mk_supp_purge(struct mk_store *st, int64_t now, size_t *removed)
{
	struct purge_ctx c = { now, 0, st };
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc;

	if ((rc = mk_store__txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = store_walk(st, txn, &cur, purge_one, &c);
	mk_store__txn_done(st, txn, 1, &rc);
	if (removed != NULL)
		*removed = rc == 0 ? c.removed : 0;
	return rc;
}

/* Distinct scopes seen by info: a small open-addressing set of strings
 * (sender domains are few; keys sort by target, so they come unordered). */
struct scope_set {
	char **slot;
	size_t cap, n;
};

static size_t
scope_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static int
scope_set_add(struct scope_set *set, const char *scope)
{
	size_t i;

	if (set->n * 2 >= set->cap) {
		struct scope_set big = { NULL, set->cap ? set->cap * 2 : 64, 0 };
		big.slot = mk_calloc(big.cap, sizeof(char *));
		for (i = 0; i < set->cap; i++) {
			if (set->slot[i] == NULL)
				continue;
			size_t j = scope_hash(set->slot[i]) & (big.cap - 1);
			while (big.slot[j] != NULL)
				j = (j + 1) & (big.cap - 1);
			big.slot[j] = set->slot[i];
		}
		big.n = set->n;
		free(set->slot);
		*set = big;
	}
	for (i = scope_hash(scope) & (set->cap - 1); set->slot[i] != NULL;
	    i = (i + 1) & (set->cap - 1))
		if (strcmp(set->slot[i], scope) == 0)
			return 0;
	set->slot[i] = mk_strdup(scope);
	set->n++;
	return 1;
}

static void
scope_set_free(struct scope_set *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
}

struct info_ctx {
	struct mk_store_info *in;
	struct scope_set scopes;
};

static int
info_one(MDB_cursor *cur, const struct mk_supp_entry *e, void *arg)
{
	struct info_ctx *c = arg;
	struct mk_store_info *in = c->in;

	in->entries++;
	in->by_reason[e->reason]++;
	if (e->expires != 0 && e->expires <= in->now)
		in->expired++;
	if (e->target[0] == '@')
		in->domains++;
	if (e->scope[0] == '\0') {
		in->global++;
	} else {
		in->scoped++;
		in->scopes += (size_t)scope_set_add(&c->scopes, e->scope);
	}
	return 0;
}

int
mk_store_info(struct mk_store *st, int64_t now, struct mk_store_info *info)
{
	char file[sizeof(st->path) + 16];
	MDB_envinfo ei;
	MDB_stat ms;
	MDB_cursor *cur;
	MDB_txn *txn;
	struct stat sb;
	struct info_ctx c = { info, { NULL, 0, 0 } };
	int rc;

	memset(info, 0, sizeof(*info));
	info->now = now;
	info->schema_version = st->schema_version;
	info->addr = st->addr;
	if ((rc = mk_store__txn_begin(st, 1, &txn)) != 0)
		return rc;
	rc = store_walk(st, txn, &cur, info_one, &c);
	mk_store__txn_done(st, txn, 0, &rc);
	scope_set_free(&c.scopes);
	if (rc != 0)
		return rc;
	if ((rc = mdb_env_info(st->env, &ei)) != 0 ||
	    (rc = mdb_env_stat(st->env, &ms)) != 0)
		return mk_store__mdb_err(rc, st, "environment info");
	info->map_size = (long long)ei.me_mapsize;
	info->used_bytes = (long long)(ei.me_last_pgno + 1) * ms.ms_psize;
	snprintf(file, sizeof(file), "%s/data.mdb", st->path);
	if (stat(file, &sb) == 0)
		info->file_bytes = (long long)sb.st_size;
	return 0;
}
