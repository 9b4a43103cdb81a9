/*
 * store_fx.h - the fixture shared by the store's unit tests: a fresh
 * temporary directory per test, entry helpers, a child's exit code, and
 * raw LMDB writes that damage a store on purpose.
 */
#ifndef STORE_FX_H
#define STORE_FX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mk_store.h"

#define NOW 1700000000

struct fx {
	char dir[64];
	char path[96];		/* dir/suppress */
	struct mk_store *st;
};

int setup(void **state);
int teardown(void **state);
struct mk_supp_entry ent(const char *scope, const char *target, int reason,
    int64_t expires, const char *note);
void add(struct mk_store *st, const char *scope, const char *target,
    int reason, int64_t expires);
struct mk_store *create(struct fx *f, long long map_size);
int child_status(pid_t pid);
void import_n(struct mk_store *st, int from, int to, int step, int reason,
    size_t *added, size_t *replaced, int want);
void raw_put(const char *path, const char *db, const void *k, size_t kl,
    const void *v, size_t vl);

#endif
