/*
 * NAME
 *	mk_store - the shared store: suppression entries (LMDB behind it)
 * SYNOPSIS
 *	#include "mk_store.h"
 *
 *	int	mk_store_open(const char *dir, int flags,
 *			const struct mk_store_opts *opts, struct mk_store **out);
 *	int	mk_store_publish(struct mk_store *st);
 *	void	mk_store_discard(struct mk_store *st);
 *	void	mk_store_close(struct mk_store *st);
 *	const char *mk_store_strerror(int code);
 *	const char *mk_store_errdetail(const struct mk_store *st);
 *	const struct mk_addr_opts *mk_store_addr_opts(const struct mk_store *st);
 *	int	mk_store_info(struct mk_store *st, int64_t now,
 *			struct mk_store_info *info);
 *
 *	int	mk_supp_add(struct mk_store *st, const struct mk_supp_entry *e);
 *	int	mk_supp_remove(struct mk_store *st, const char *scope,
 *			const char *target);
 *	int	mk_supp_get(struct mk_store *st, const char *scope,
 *			const char *target, struct mk_supp_entry *out);
 *	int	mk_supp_list(struct mk_store *st, const struct mk_supp_filter *f,
 *			mk_supp_list_fn fn, void *arg);
 *	int	mk_supp_purge(struct mk_store *st, int64_t now, size_t *removed);
 *	int	mk_supp_lookup(struct mk_store *st, const char *rcpt,
 *			const char *sender_domain, int64_t now,
 *			struct mk_supp_entry *hit);
 *
 *	int	mk_supp_import_begin(struct mk_store *st,
 *			struct mk_supp_import **out);
 *	int	mk_supp_import_add(struct mk_supp_import *imp,
 *			const struct mk_supp_entry *e);
 *	int	mk_supp_import_commit(struct mk_supp_import *imp,
 *			size_t *added, size_t *replaced);
 *	void	mk_supp_import_abort(struct mk_supp_import *imp);
 *
 *	const char *mk_reason_name(int reason);
 *	int	mk_reason_parse(const char *name);
 *
 *	int	mk_store_as_owner(const char *dir, struct mk_store_who *who,
 *			char *err, size_t errlen);
 *
 *	struct mk_store_reader *mk_store_reader_get(const char *dir);
 *	void	mk_store_reader_put(struct mk_store_reader *r);
 *	struct mk_store_hold *mk_store_reader_hold(struct mk_store_reader *r,
 *			char *cause, size_t len);
 *	struct mk_store *mk_store_hold_store(const struct mk_store_hold *h);
 *	void	mk_store_reader_drop(struct mk_store_reader *r,
 *			struct mk_store_hold *h);
 * DESCRIPTION
 *	The store is a directory of environments, one per purpose; this
 *	module opens DIR/suppress. The API hides the backend: no LMDB type
 *	appears here, so another backend can sit behind the same calls.
 *
 *	mk_store_open() flags: MK_STORE_RDONLY opens for lookups only (a
 *	missing store is MK_STORE_ENOENT, never created); MK_STORE_CREATE
 *	creates the directory and environment when missing; with
 *	MK_STORE_STAGED as well, a store that does not exist yet is built
 *	beside its place (DIR/suppress.new; what a killed run left there is
 *	removed first), so that readers see nothing of it until
 *	mk_store_publish() renames it into place, whole: an import into a new
 *	store never shows an empty or half-filled one to a milter.
 *	mk_store_publish() is 0 for a store that was not staged, and
 *	MK_STORE_EBUSY when a store appeared in the meantime (nothing is
 *	replaced); mk_store_discard() closes the handle and removes a staged
 *	store that was not published. Every environment
 *	records a schema version and the address normalization it was built
 *	with; a newer schema is MK_STORE_EVERSION, a different normalization
 *	than opts asks is MK_STORE_EOPTS (the keys would not match). opts may
 *	be NULL: an existing store is then used with the normalization it
 *	recorded (mk_store_addr_opts() tells which, for callers that normalize
 *	before a lookup), and a new one gets the defaults. Stale reader slots of killed processes are
 *	cleared at open. A handle is safe for concurrent use by many threads
 *	(reads; up to 1024 reading threads per store); writes serialize.
 *	mk_store_close() must not run while other threads still use st.
 *
 *	Entries: scope is "" for global or a normalized sender domain; target
 *	is a normalized address (mk_addr) or "@domain" for a whole domain.
 *	The caller normalizes; the store compares bytes.
 *	mk_supp_add() inserts or replaces one entry in a durable commit.
 *	mk_supp_remove() and mk_supp_get() return MK_STORE_ENOTFOUND when
 *	there is no such entry. mk_supp_list() calls fn for each entry that
 *	matches the filter, in key order (domain, local part, scope: a
 *	domain's "@domain" entries come first); fn returns
 *	non-zero to stop. mk_supp_purge() deletes entries whose expires is in
 *	the past (expires != 0 && expires <= now).
 *
 *	mk_supp_lookup() is the RCPT check: in one read transaction it tries,
 *	in order, the scoped address, the scoped domain, the global address
 *	and the global domain, skipping expired entries; rcpt is the
 *	normalized "local@domain" and sender_domain is NULL or "" when there
 *	is no scope. Returns 0 and fills hit, MK_STORE_ENOTFOUND, or an error.
 *	A reader survives the map grown by another process and a store that
 *	appears after the handle was opened is not its concern: callers open
 *	again after MK_STORE_ENOENT.
 *
 *	Imports are all or nothing: entries added to an import become
 *	visible together at mk_supp_import_commit(), in one durable commit;
 *	abort (or a killed process) leaves the store as it was. Entries of one
 *	import are sorted before insertion, so big imports are fast. A later
 *	duplicate of a key within one import replaces the earlier one.
 *	mk_supp_import_commit() and mk_supp_import_abort() both free the
 *	import, whatever the outcome.
 *
 *	Daemons that read the store share one handle per directory and
 *	process, reopened when the store is replaced on disk: a reader
 *	(store_reader.c says why LMDB needs that, and when it looks).
 *
 *	mk_store_as_owner() is for commands run as root: before they open
 *	anything under dir they become, for good, the user who owns the
 *	store, so they never follow a link planted there with root's rights
 *	and never chown by path (store_owner.c says which directories count;
 *	0, or -1 with a message in err and nothing may be opened).
 *
 *	Functions return 0 or a negative MK_STORE_E* code; mk_store_strerror()
 *	explains the code and mk_store_errdetail() the last error of the
 *	calling thread on st (path, system error, what to raise) for the log
 *	line; st may be NULL after a failed mk_store_open(). Never NULL. Strings in entries are
 *	copied: nothing returned points into the store.
 */
#ifndef MK_STORE_H
#define MK_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mk_addr.h"

#define MK_STORE_SCHEMA_VERSION 1

#define MK_SUPP_NOTE_MAX 200	/* octets of a note, longer is EINVAL */
#define MK_SUPP_SCOPE_MAX MK_ADDR_DOMAIN_MAX
#define MK_SUPP_TARGET_MAX (MK_ADDR_MAX * 2 + 4)

enum {
	MK_STORE_OK = 0,
	MK_STORE_ENOTFOUND = -1,	/* no such entry (a negative answer) */
	MK_STORE_ENOENT = -2,		/* store does not exist */
	MK_STORE_EACCES = -3,		/* permission denied */
	MK_STORE_EVERSION = -4,		/* schema newer than this program */
	MK_STORE_EOPTS = -5,		/* normalization differs from store's */
	MK_STORE_EFULL = -6,		/* map full: raise [store] map_size */
	MK_STORE_EINVAL = -7,		/* bad argument (key too long, ...) */
	MK_STORE_ECORRUPT = -8,		/* not a milterkit store, bad record */
	MK_STORE_EIO = -9,		/* other system or backend error */
	MK_STORE_ERDONLY = -10,		/* write on a read-only handle */
	MK_STORE_EBUSY = -11		/* too many readers, or lock trouble */
};

enum {
	MK_STORE_RDONLY = 0x1,
	MK_STORE_CREATE = 0x2,
	MK_STORE_STAGED = 0x4		/* with CREATE: build beside, publish */
};

enum {
	MK_REASON_ANY = 0,
	MK_REASON_BOUNCE = 1,
	MK_REASON_COMPLAINT = 2,
	MK_REASON_UNSUBSCRIBE = 3,
	MK_REASON_MANUAL = 4,
	MK_REASON_COUNT = 5
};

struct mk_store;
struct mk_supp_import;
struct mk_store_reader;
struct mk_store_hold;

struct mk_store_opts {
	long long map_size;		/* bytes; 0 = default 4 GiB */
	struct mk_addr_opts addr;	/* normalization the store records */
};

struct mk_supp_entry {
	char scope[MK_SUPP_SCOPE_MAX + 1];	/* "" = global */
	char target[MK_SUPP_TARGET_MAX + 1];	/* addr or "@domain" */
	int reason;				/* MK_REASON_* */
	int64_t created;			/* unix seconds */
	int64_t expires;			/* unix seconds, 0 = never */
	char note[MK_SUPP_NOTE_MAX + 1];
};

struct mk_supp_filter {
	const char *scope;	/* NULL = any, "" = global only */
	int reason;		/* MK_REASON_ANY = any */
	int include_expired;	/* list expired entries too */
	int64_t now;		/* for the expiry test */
};

struct mk_store_info {
	int schema_version;
	size_t entries;
	size_t expired;			/* as of info->now */
	size_t by_reason[MK_REASON_COUNT];
	size_t global;
	size_t scoped;
	size_t scopes;			/* distinct sender domains */
	size_t domains;			/* "@domain" entries */
	long long map_size;		/* bytes reserved */
	long long used_bytes;		/* bytes of pages in use */
	long long file_bytes;		/* size of the data file */
	struct mk_addr_opts addr;	/* normalization recorded */
	int64_t now;
};

/* Who a root-run command is once mk_store_as_owner() returned. */
struct mk_store_who {
	uid_t uid;
	gid_t gid;
	int switched;			/* 1: became the owner of from */
	char from[4096];
};

typedef int (*mk_supp_list_fn)(const struct mk_supp_entry *e, void *arg);

int mk_store_open(const char *dir, int flags, const struct mk_store_opts *opts,
    struct mk_store **out);
int mk_store_publish(struct mk_store *st);
void mk_store_discard(struct mk_store *st);
void mk_store_close(struct mk_store *st);
const char *mk_store_strerror(int code);
const char *mk_store_errdetail(const struct mk_store *st);
const struct mk_addr_opts *mk_store_addr_opts(const struct mk_store *st);
int mk_store_info(struct mk_store *st, int64_t now, struct mk_store_info *info);

int mk_supp_add(struct mk_store *st, const struct mk_supp_entry *e);
int mk_supp_remove(struct mk_store *st, const char *scope, const char *target);
int mk_supp_get(struct mk_store *st, const char *scope, const char *target,
    struct mk_supp_entry *out);
int mk_supp_list(struct mk_store *st, const struct mk_supp_filter *f,
    mk_supp_list_fn fn, void *arg);
int mk_supp_purge(struct mk_store *st, int64_t now, size_t *removed);
int mk_supp_lookup(struct mk_store *st, const char *rcpt,
    const char *sender_domain, int64_t now, struct mk_supp_entry *hit);

int mk_supp_import_begin(struct mk_store *st, struct mk_supp_import **out);
int mk_supp_import_add(struct mk_supp_import *imp, const struct mk_supp_entry *e);
int mk_supp_import_commit(struct mk_supp_import *imp, size_t *added,
    size_t *replaced);
void mk_supp_import_abort(struct mk_supp_import *imp);

const char *mk_reason_name(int reason);
int mk_reason_parse(const char *name);

int mk_store_as_owner(const char *dir, struct mk_store_who *who, char *err,
    size_t errlen);

struct mk_store_reader *mk_store_reader_get(const char *dir);
void mk_store_reader_put(struct mk_store_reader *r);
struct mk_store_hold *mk_store_reader_hold(struct mk_store_reader *r,
    char *cause, size_t len);
struct mk_store *mk_store_hold_store(const struct mk_store_hold *h);
void mk_store_reader_drop(struct mk_store_reader *r, struct mk_store_hold *h);

#endif
