/*
 * mem.c - allocation wrappers that never return NULL (see mk_mem.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mk_log.h"
#include "mk_mem.h"

void *
mk_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		mk_panic("out of memory allocating %zu bytes", n);
	return p;
}

void *
mk_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		mk_panic("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *
mk_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		mk_panic("out of memory reallocating %zu bytes", n);
	return q;
}

char *
mk_strdup(const char *s)
{
	return mk_strndup(s, strlen(s));
}

char *
mk_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = mk_malloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
