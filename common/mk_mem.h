/*
 * NAME
 *	mk_mem - allocation that never returns NULL
 * SYNOPSIS
 *	void	*mk_malloc(size_t n);
 *	void	*mk_calloc(size_t n, size_t size);
 *	void	*mk_realloc(void *p, size_t n);
 *	char	*mk_strdup(const char *s);
 *	char	*mk_strndup(const char *s, size_t n);
 * DESCRIPTION
 *	Out of memory is a broken invariant for these daemons: the wrappers
 *	panic rather than hand a NULL to code that cannot cope with it.
 *	Memory is released with free().
 */
#ifndef MK_MEM_H
#define MK_MEM_H

#include <stddef.h>

void *mk_malloc(size_t n);
void *mk_calloc(size_t n, size_t size);
void *mk_realloc(void *p, size_t n);
char *mk_strdup(const char *s);
char *mk_strndup(const char *s, size_t n);

#endif
