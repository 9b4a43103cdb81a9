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
 * ERRORS IN COMMON/
 *	A function of common/ that can fail returns int: 0, or a negative
 *	code on failure; a positive value is an answer, never an error, and
 *	its header says so (1: no state for that key). A module whose
 *	failures must be told apart names them MK_<MOD>_E* and explains each
 *	with mk_<mod>_strerror(code) (mk_addr, mk_list, mk_store, mk_rl). The
 *	particulars (the item, FILE:LINE, the path and the system's reason)
 *	travel one of two ways: parsers and set-up calls take char *err,
 *	size_t errlen and write one line there (a configuration row's check()
 *	has that shape; without codes of its own such a function returns -1);
 *	calls on a daemon's running path keep the calling thread's last
 *	detail, read with mk_<mod>_errdetail() (mk_store, mk_rl). Nothing in
 *	a library function exits: mk_fatal() is for a program's start-up,
 *	mk_panic() for broken invariants such as this file's.
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
