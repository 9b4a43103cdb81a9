/*
 * rl_fx.h - the fixture shared by the rate-limit unit tests: a fresh
 * temporary directory per test and the engine, rules and configuration
 * built over it, released by rl_fx_close() and at teardown.
 */
#ifndef RL_FX_H
#define RL_FX_H

#include "mk_conf.h"
#include "mk_ratelimit.h"

struct fx {
	char dir[64];
	struct mk_conf *conf;
	struct mk_rl_rules *rules;
	struct mk_rl_engine *e;
	struct mk_rl_txn tx;
};

int setup(void **state);
int teardown(void **state);
void rl_fx_close(struct fx *f);

#endif
