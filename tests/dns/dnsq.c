/*
 * NAME
 *	dnsq - the resolver (mk_dns) driven from the command line, for tests
 * SYNOPSIS
 *	dnsq [-s SERVERS] [-t SECONDS] [-C BYTES] [-a [-x N]] NAME/TYPE...
 * DESCRIPTION
 *	Makes one resolver with [dns] servers = SERVERS, timeout = SECONDS
 *	and cache_size = BYTES, and looks each NAME/TYPE up. Without -a one
 *	after the other with mk_dns_lookup_wait(); with -a all at once on
 *	one event loop (epoll on mk_dns_fd()), printed as they complete; -x
 *	N then cancels the N-th lookup (from 1) right after starting them
 *	all. One line per answer:
 *
 *		NAME/TYPE STATUS rcode=R n=N ms=MS[: RECORD; RECORD...][ (WHY)]
 *
 *	records as text: A and AAAA addresses, TXT joined and quoted, MX
 *	"PREF NAME", PTR, NS and CNAME names. Then "pending=N" (lookups
 *	neither answered nor cancelled: 0 unless the loop broke).
 * DIAGNOSTICS
 *	Exit 0 after every answer, 1 when the loop broke, 2 on bad usage or
 *	a resolver that cannot be made (the reason on stderr).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "mk_dns.h"

struct q {
	const char *text;		/* NAME/TYPE */
	long long t0;
	int answered;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
print_rr(int type, const struct mk_dns_rr *rr)
{
	char buf[MK_DNS_TXT_MAX + 1];

	switch (type) {
	case MK_DNS_T_A:
	case MK_DNS_T_AAAA:
		if ((type == MK_DNS_T_A && rr->len == 4) ||
		    (type == MK_DNS_T_AAAA && rr->len == 16)) {
			inet_ntop(type == MK_DNS_T_A ? AF_INET : AF_INET6,
			    rr->data, buf, sizeof(buf));
			fputs(buf, stdout);
			return;
		}
		break;
	case MK_DNS_T_TXT:
	case MK_DNS_T_SPF:
		if (mk_dns_txt(rr, buf, sizeof(buf)) == 0) {
			printf("\"%s\"", buf);
			return;
		}
		break;
	case MK_DNS_T_MX:
		if (rr->len > 2 && mk_dns_rr_name(rr, 2, buf, sizeof(buf)) == 0) {
			printf("%u %s", rr->data[0] << 8 | rr->data[1], buf);
			return;
		}
		break;
	default:
		if (mk_dns_rr_name(rr, 0, buf, sizeof(buf)) == 0) {
			fputs(buf, stdout);
			return;
		}
	}
	fputs("(malformed)", stdout);
}

static void
print_answer(struct q *q, const struct mk_dns_answer *a)
{
	const char *slash = strrchr(q->text, '/');
	int type = mk_dns_type(slash + 1);

	printf("%s %s rcode=%d n=%zu ms=%lld", q->text,
	    mk_dns_status_name(a->status), a->rcode, a->n, now_ms() - q->t0);
	for (size_t i = 0; i < a->n; i++) {
		fputs(i == 0 ? ": " : "; ", stdout);
		print_rr(type, &a->rr[i]);
	}
	if (a->why != NULL)
		printf(" (%s)", a->why);
	putchar('\n');
	fflush(stdout);
}

static void
done(void *arg, const struct mk_dns_answer *a)
{
	struct q *q = arg;

	q->answered = 1;
	print_answer(q, a);
}

/* NAME/TYPE split: the name in buf, the type returned (-1: bad). */
static int
split(const char *text, char *buf, size_t size)
{
	const char *slash = strrchr(text, '/');

	if (slash == NULL || (size_t)(slash - text) >= size)
		return -1;
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	return mk_dns_type(slash + 1);
}

int
main(int argc, char **argv)
{
	struct mk_conf_dns conf = { "", 5, 4 << 20 };
	struct mk_dns *dns;
	struct q *qs;
	struct mk_dns_query **handles;
	char err[256], name[300];
	int c, async = 0, cancel = 0, n, rc = 0;

	while ((c = getopt(argc, argv, "s:t:C:ax:")) != -1) {
		switch (c) {
		case 's': conf.servers = optarg; break;
		case 't': conf.timeout = atoll(optarg); break;
		case 'C': conf.cache_size = atoll(optarg); break;
		case 'a': async = 1; break;
		case 'x': cancel = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: dnsq [-s SERVERS] [-t SECONDS] "
			    "[-C BYTES] [-a [-x N]] NAME/TYPE...\n");
			return 2;
		}
	}
	n = argc - optind;
	if (mk_dns_servers_check(conf.servers, err, sizeof(err)) != 0 ||
	    mk_dns_new(&conf, &dns, err, sizeof(err)) != 0) {
		fprintf(stderr, "dnsq: %s\n", err);
		return 2;
	}
	qs = calloc((size_t)n + 1, sizeof(*qs));
	handles = calloc((size_t)n + 1, sizeof(*handles));
	for (int i = 0; i < n; i++) {
		qs[i].text = argv[optind + i];
		if (split(qs[i].text, name, sizeof(name)) < 0) {
			fprintf(stderr, "dnsq: %s: want NAME/TYPE\n", qs[i].text);
			return 2;
		}
	}
	for (int i = 0; i < n; i++) {
		int type = split(qs[i].text, name, sizeof(name));

		qs[i].t0 = now_ms();
		if (async) {
			if (mk_dns_lookup(dns, name, type, done, &qs[i],
			    &handles[i]) != 0) {
				printf("%s refused by mk_dns_lookup\n", qs[i].text);
				qs[i].answered = 1;
			}
		} else {
			struct mk_dns_answer *a;

			if (mk_dns_lookup_wait(dns, name, type, &a) != 0) {
				printf("%s no answer\n", qs[i].text);
				rc = 1;
				continue;
			}
			print_answer(&qs[i], a);
			mk_dns_answer_free(a);
		}
	}
	if (async && cancel >= 1 && cancel <= n && handles[cancel - 1] != NULL) {
		mk_dns_cancel(handles[cancel - 1]);
		printf("%s cancelled\n", qs[cancel - 1].text);
	}
	if (async) {
		int ep = epoll_create1(0);
		struct epoll_event ev = { .events = EPOLLIN }, got;
		long long end = now_ms() + (conf.timeout + 5) * 1000;

		epoll_ctl(ep, EPOLL_CTL_ADD, mk_dns_fd(dns), &ev);
		while (mk_dns_pending(dns) > 0 && now_ms() < end) {
			if (epoll_wait(ep, &got, 1, 1000) > 0)
				mk_dns_process(dns);
		}
		close(ep);
	}
	printf("pending=%u\n", mk_dns_pending(dns));
	if (mk_dns_pending(dns) > 0)
		rc = 1;
	mk_dns_free(dns);
	free(qs);
	free(handles);
	return rc;
}
