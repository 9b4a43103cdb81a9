/*
 * NAME
 *	milter_pool.c - the skeleton's worker pool: slow work of filters off
 *	the event loops (mk_milter_defer(), mk_milter.h)
 * DESCRIPTION
 *	A fixed set of threads takes jobs from one bounded queue, runs each
 *	job's work, and hands the job back to the event loop owning its
 *	connection (mk_mengine_call()), where the chain goes on
 *	(milter_chain.c). mk_milter__pool_start() starts it with signals
 *	blocked (call it with them blocked); mk_milter__pool_submit() queues
 *	a job, -1 when MK_MILTER_POOL_QUEUE jobs already wait (the caller then
 *	answers with on_error); mk_milter__pool_stop() lets the threads
 *	finish every queued job and joins them, before the loops stop.
 *	Below, what filters call: mk_milter_defer() (a job for the pool),
 *	mk_milter_pend() and mk_milter_pend_finish() (a job the filter
 *	finishes on its loop), mk_milter_watch() and mk_milter_unwatch().
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "mk_milter_engine.h"
#include "milter_priv.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct mk_milter_job *head, **tail = &head;
static unsigned queued, nthreads;
static int stopping;
static pthread_t *threads;

static void *
worker(void *arg)
{
	struct mk_milter_job *j;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (head == NULL && !stopping)
			pthread_cond_wait(&more, &lock);
		if ((j = head) == NULL) {	/* stopping, nothing left */
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		if ((head = j->next) == NULL)
			tail = &head;
		queued--;
		pthread_mutex_unlock(&lock);
		j->work(j->arg);
		mk_mengine_call(j->mc, mk_milter__job_back, j);
	}
}

int
mk_milter__pool_start(unsigned n)
{
	threads = mk_calloc(n, sizeof(*threads));
	stopping = 0;
	for (nthreads = 0; nthreads < n; nthreads++)
		if (pthread_create(&threads[nthreads], NULL, worker, NULL) != 0) {
			mk_error("cannot start worker thread %u", nthreads);
			mk_milter__pool_stop();
			return -1;
		}
	return 0;
}

int
mk_milter__pool_submit(struct mk_milter_job *j)
{
	pthread_mutex_lock(&lock);
	if (queued >= MK_MILTER_POOL_QUEUE || nthreads == 0) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	j->next = NULL;
	*tail = j;
	tail = &j->next;
	queued++;
	pthread_cond_signal(&more);
	pthread_mutex_unlock(&lock);
	return 0;
}

void
mk_milter__pool_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_broadcast(&more);
	pthread_mutex_unlock(&lock);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	threads = NULL;
	nthreads = 0;
}

/* ---- what filters call -------------------------------------------------- */

/* A job for the message's filter now: NULL (and the caller answers
 * on_error) outside end of message or while another one waits. */
static struct mk_milter_job *
job_new(struct mk_msg *msg, sfsistat (*done)(struct mk_msg *msg, void *arg),
    void *arg)
{
	struct mk_conn *conn = msg->conn;
	struct mk_chain *ch = conn->chain;
	struct mk_milter_job *j;

	if (conn->stage != MK_STAGE_EOM || ch->job != NULL)
		return NULL;
	j = mk_calloc(1, sizeof(*j));
	j->mc = ch->mc;
	j->filter = (size_t)(conn - ch->fc);
	j->done = done;
	j->arg = arg;
	return j;
}

/* The job waits: its connection is held until the job comes back. */
static sfsistat
job_wait(struct mk_msg *msg, struct mk_milter_job *j)
{
	struct mk_chain *ch = msg->conn->chain;

	mk_mengine_hold(ch->mc);
	ch->job = j;
	return MK_SMFIS_PENDING;
}

sfsistat
mk_milter_defer(struct mk_msg *msg, void (*work)(void *arg),
    sfsistat (*done)(struct mk_msg *msg, void *arg), void *arg)
{
	struct mk_milter_job *j = job_new(msg, done, arg);

	if (j == NULL) {
		done(NULL, arg);
		return mk_milter_on_error(msg->conn, msg, "slow work asked for "
		    "outside end of message, or twice");
	}
	j->work = work;
	if (mk_milter__pool_submit(j) < 0) {
		free(j);
		done(NULL, arg);
		return mk_milter_on_error(msg->conn, msg, "%d jobs already wait"
		    " for the workers", MK_MILTER_POOL_QUEUE);
	}
	return job_wait(msg, j);
}

sfsistat
mk_milter_pend(struct mk_msg *msg, sfsistat (*done)(struct mk_msg *msg,
    void *arg), void *arg, struct mk_milter_job **job)
{
	struct mk_milter_job *j = job_new(msg, done, arg);

	*job = j;
	if (j == NULL)
		return mk_milter_on_error(msg->conn, msg, "a wait asked for "
		    "outside end of message, or twice");
	return job_wait(msg, j);
}

void
mk_milter_pend_finish(struct mk_milter_job *job)
{
	mk_mengine_call(job->mc, mk_milter__job_back, job);
}

int
mk_milter_watch(int fd, void (*ready)(void *arg), void *arg)
{
	return mk_mengine_watch(fd, ready, arg);
}

void
mk_milter_unwatch(int fd)
{
	mk_mengine_unwatch(fd);
}
