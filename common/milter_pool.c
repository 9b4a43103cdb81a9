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
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "mk_log.h"
#include "mk_mem.h"
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
