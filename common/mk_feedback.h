/*
 * NAME
 *	mk_feedback - the store's feedback/ environment: what ingestion of
 *	bounces and complaints must remember
 * SYNOPSIS
 *	#include "mk_feedback.h"
 *
 *	int	mk_feedback_open(const char *dir, long long map_size,
 *			struct mk_feedback **out);
 *	void	mk_feedback_close(struct mk_feedback *fb);
 *	const char *mk_feedback_errdetail(void);
 *
 *	int	mk_feedback_begin(struct mk_feedback *fb);
 *	int	mk_feedback_seen(struct mk_feedback *fb, const char *id,
 *			int64_t now, int64_t keep);
 *	int	mk_feedback_soft(struct mk_feedback *fb, const char *scope,
 *			const char *rcpt, int64_t now, int64_t window,
 *			unsigned *count);
 *	int	mk_feedback_soft_count(struct mk_feedback *fb,
 *			const char *scope, const char *rcpt, int64_t now,
 *			int64_t window, unsigned *count);
 *	int	mk_feedback_soft_clear(struct mk_feedback *fb,
 *			const char *scope, const char *rcpt);
 *	int	mk_feedback_purge(struct mk_feedback *fb, int64_t now,
 *			int64_t window, size_t max, size_t *removed);
 *	int	mk_feedback_commit(struct mk_feedback *fb);
 *	void	mk_feedback_abort(struct mk_feedback *fb);
 * DESCRIPTION
 *	DIR/feedback is an LMDB environment beside DIR/suppress (mk_store.h),
 *	written only by `milterkit ingest`, as the store's owner. It holds:
 *	- soft bounces: per scope ("" for global, or a sender domain) and
 *	  normalized recipient, the times of the last MK_FEEDBACK_SOFT_MAX
 *	  soft bounces;
 *	- seen reports: an id per report handled (a digest of the report),
 *	  with the time it may be forgotten, so that the same report twice
 *	  changes nothing the second time.
 *	The environment records a schema version; a newer one is
 *	MK_STORE_EVERSION. Errors are the MK_STORE_E* codes of mk_store.h
 *	(mk_store_strerror()); mk_feedback_errdetail() is the calling
 *	thread's last error in detail (path, what to raise).
 *
 *	mk_feedback_open() creates the environment when missing; map_size 0
 *	means 1 GiB. Every change happens inside one write transaction,
 *	from mk_feedback_begin() to mk_feedback_commit() (durable) or
 *	mk_feedback_abort(); the calls in between fail with MK_STORE_EINVAL
 *	outside one. A batch of reports is one transaction.
 *	mk_feedback_seen() returns 1 when id was recorded and has not
 *	expired, else records it (forgotten after now + keep) and returns 0.
 *	mk_feedback_soft() records one soft bounce at now and gives in
 *	*count how many fall within (now - window, now]; older ones are
 *	dropped. mk_feedback_soft_count() only counts (it may also be called
 *	without a transaction, in a read of its own). mk_feedback_soft_clear()
 *	forgets a recipient's soft bounces (0 also when there were none).
 *	mk_feedback_purge() deletes at most max expired records (seen ids
 *	past their time, soft rows with nothing within window).
 */
#ifndef MK_FEEDBACK_H
#define MK_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>

#include "mk_store.h"

#define MK_FEEDBACK_SCHEMA_VERSION 1
#define MK_FEEDBACK_SOFT_MAX 32		/* times kept per recipient */
#define MK_FEEDBACK_ID_MAX 128

struct mk_feedback;

int mk_feedback_open(const char *dir, long long map_size,
    struct mk_feedback **out);
void mk_feedback_close(struct mk_feedback *fb);
const char *mk_feedback_errdetail(void);

int mk_feedback_begin(struct mk_feedback *fb);
int mk_feedback_seen(struct mk_feedback *fb, const char *id, int64_t now,
    int64_t keep);
int mk_feedback_soft(struct mk_feedback *fb, const char *scope,
    const char *rcpt, int64_t now, int64_t window, unsigned *count);
int mk_feedback_soft_count(struct mk_feedback *fb, const char *scope,
    const char *rcpt, int64_t now, int64_t window, unsigned *count);
int mk_feedback_soft_clear(struct mk_feedback *fb, const char *scope,
    const char *rcpt);
int mk_feedback_purge(struct mk_feedback *fb, int64_t now, int64_t window,
    size_t max, size_t *removed);
int mk_feedback_commit(struct mk_feedback *fb);
void mk_feedback_abort(struct mk_feedback *fb);

#endif
