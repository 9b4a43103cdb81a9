/*
 * milter_priv.h - what the skeleton's files share (milter.c: helpers and
 * snapshots; milter_chain.c: the protocol callbacks of a chain;
 * milter_stage.c: the chain's contexts and stages;
 * milter_main.c: start-up and reload); not for programs.
 */
#ifndef MILTER_PRIV_H
#define MILTER_PRIV_H

#include "mk_hblock.h"
#include "mk_milter.h"

/* One configuration and the chain it serves: every filter's state built
 * for it, and what the chain asks of the MTA. Reference counted. */
struct mk_milter_snap {
	struct mk_conf *conf;
	const struct mk_conf_daemon *daemon;	/* the program's section */
	size_t n;
	const struct mk_milter_desc *f[MK_MILTER_CHAIN_MAX];
	void *state[MK_MILTER_CHAIN_MAX];
	unsigned long flags;		/* union of SMFIF_* */
	unsigned long no_steps;		/* SMFIP_NO* every filter can skip,
					 * plus SMFIP_HDR_LEADSPC if any */
	unsigned long no_reply;		/* SMFIP_NR_* of every filter */
	char *macros[SMFIM_COUNT];	/* union of the lists, or NULL */
	int header_block;		/* some filter reads the block */
	unsigned refs;
};

#define MK_MILTER_POOL_QUEUE	4096	/* jobs waiting for a worker */
#define MK_MILTER_PROGRESS_MS	5000	/* SMFIR_PROGRESS while waiting */

/* A filter's slow work (mk_milter_defer()). */
struct mk_milter_job {
	struct mk_mconn *mc;
	size_t filter;			/* its place in the chain */
	void (*work)(void *arg);
	sfsistat (*done)(struct mk_msg *msg, void *arg);
	void *arg;
	int abandoned;			/* answered without it (loop's) */
	struct mk_milter_job *next;	/* in the pool's queue */
};

/* One MTA connection served by a chain. */
struct mk_chain {
	struct mk_mconn *mc;
	struct mk_milter_snap *snap;
	unsigned long nr;		/* SMFIP_NR_* the MTA agreed to */
	int leadspc;			/* SMFIP_HDR_LEADSPC agreed */
	int postfix;			/* the MTA is Postfix ({v}): its insert
					 * positions count its own Received */
	sfsistat deferred;		/* refusal of a no-reply stage */
	int deferred_msg;		/* it came from MAIL on: this message */
	struct mk_reply dreply;		/* its reply; rcode "": none */
	int connected;			/* CONNECT seen */
	int in_msg;			/* MAIL seen, message not over */
	unsigned nrcpt;			/* recipients the chain let pass */
	struct mk_hblock hb;		/* when snap->header_block */
	int hb_on;
	size_t n;
	struct mk_milter_job *job;	/* slow work the message waits for */
	long long progress_ms;		/* when SMFIR_PROGRESS was last sent */
	struct mk_conn *fc;		/* n filter views of the session */
	struct mk_msg *fm;		/* n views of the message */
};

struct mk_milter_snap *mk_milter__snap_get(void);
void mk_milter__snap_put(struct mk_milter_snap *s);
void mk_milter__snap_install(struct mk_milter_snap *s);
void mk_milter__snap_release_current(void);
struct mk_milter_snap *mk_milter__snap_build(struct mk_conf *conf,
    const char *section, const struct mk_milter_desc *const *f, size_t n,
    char *err, size_t errlen);
unsigned long mk_milter__no_steps(const struct mk_milter_desc *desc);
unsigned long mk_milter__stage_nr(enum mk_milter_stage stage);
const struct mk_mconn_ops *mk_milter__ops(void);
extern const struct mk_hblock_out mk_milter__to_mta;
int mk_milter__pool_start(unsigned n);
int mk_milter__pool_submit(struct mk_milter_job *j);
void mk_milter__pool_stop(void);
void mk_milter__job_back(struct mk_mconn *mc, void *job, int gone);

/* The chain's contexts and its stages (milter_stage.c), for the protocol
 * callbacks (milter_chain.c): mk_chain__new() makes the chain of an MTA
 * connection and mk_chain__of() finds it (noting the queue id);
 * mk_chain__views() makes the filters' views once the snapshot is
 * known; mk_chain__msg_end() ends a message for every filter.
 * mk_chain__run() calls the filters still taking part (mk_chain__active())
 * in order for a stage, mk_chain__run_from() from filter `from` on (a
 * stage resumed after slow work), each answer noted by mk_chain__took();
 * mk_chain__answer() is the chain's answer in a stage (none where no
 * reply is awaited), mk_chain__deferred() a refusal kept from a
 * no-reply stage, mk_chain__all_done() ACCEPT when every filter is done. */
typedef sfsistat (*mk_chain__call_fn)(struct mk_chain *ch, size_t i,
    void *arg);

struct mk_chain *mk_chain__new(struct mk_mconn *mc);
struct mk_chain *mk_chain__of(struct mk_mconn *mc);
void mk_chain__views(struct mk_chain *ch);
void mk_chain__msg_end(struct mk_chain *ch);
sfsistat mk_chain__answer(struct mk_chain *ch, enum mk_milter_stage stage,
    sfsistat rc);
sfsistat mk_chain__deferred(struct mk_chain *ch);
int mk_chain__active(const struct mk_chain *ch, size_t i);
sfsistat mk_chain__all_done(const struct mk_chain *ch);
sfsistat mk_chain__took(struct mk_chain *ch, size_t i, sfsistat rc);
sfsistat mk_chain__run_from(struct mk_chain *ch, enum mk_milter_stage stage,
    mk_chain__call_fn call, void *arg, size_t from);
sfsistat mk_chain__run(struct mk_chain *ch, enum mk_milter_stage stage,
    mk_chain__call_fn call, void *arg);

#endif
