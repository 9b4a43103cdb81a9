/*
 * rl_fx.c - the rate-limit tests' fixture (rl_fx.h).
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_mem.h"
#include "rl_fx.h"

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int
setup(void **st)
{
	struct fx *f = mk_calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_rl.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*st = f;
	return 0;
}

void
rl_fx_close(struct fx *f)
{
	mk_rl_engine_close(f->e);
	mk_rl_rules_free(f->rules);
	mk_conf_free(f->conf);
	f->e = NULL;
	f->rules = NULL;
	f->conf = NULL;
}

int
teardown(void **st)
{
	struct fx *f = *st;

	rl_fx_close(f);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}
