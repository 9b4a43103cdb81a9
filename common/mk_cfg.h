/*
 * NAME
 *	mk_cfg - table-driven parser for milterkit.conf
 * SYNOPSIS
 *	#include "mk_cfg.h"
 *
 *	void	mk_cfg_defaults(const struct mk_cfg_row *rows, void *target);
 *	int	mk_cfg_parse_file(const struct mk_cfg_row *rows, void *target,
 *			const char *path, char *err, size_t errlen);
 *	int	mk_cfg_parse_buf(const struct mk_cfg_row *rows, void *target,
 *			const char *name, const char *buf, size_t len,
 *			char *err, size_t errlen);
 *	void	mk_cfg_release(const struct mk_cfg_row *rows, void *target);
 *	void	mk_cfg_dump(const struct mk_cfg_row *rows, const void *target,
 *			FILE *fp);
 *	int	mk_cfg_parse_value(const struct mk_cfg_row *row,
 *			const char *text, void *target, char *err, size_t errlen);
 *	int	mk_cfg_parse_duration(const char *text, long long *seconds);
 *	int	mk_cfg_parse_size(const char *text, long long *bytes);
 *
 *	int	mk_cfg_schema_parse_file(const struct mk_cfg_schema *schema,
 *			void *target, const char *path, char *err,
 *			size_t errlen);
 *	int	mk_cfg_schema_parse_buf(const struct mk_cfg_schema *schema,
 *			void *target, const char *name, const char *buf,
 *			size_t len, char *err, size_t errlen);
 *	void	mk_cfg_schema_release(const struct mk_cfg_schema *schema,
 *			void *target);
 *	void	mk_cfg_schema_dump(const struct mk_cfg_schema *schema,
 *			const void *target, FILE *fp);
 *	void	mk_cfg_dump_section(const struct mk_cfg_row *rows,
 *			const void *target, FILE *fp);
 * DESCRIPTION
 *	A configuration is described once, as a table of rows (section, name,
 *	type, default, bounds, choices, offset into the target struct, help),
 *	ended by a row whose name is NULL. The file format is
 *
 *		# comment
 *		[section]
 *		key = value		# trailing comment
 *
 *	Values may be double-quoted to keep '#' or leading/trailing blanks.
 *	mk_cfg_defaults() fills target from the rows' defaults (which are
 *	parsed exactly like file values). mk_cfg_parse_*() apply a file on top
 *	of the current target: an unknown section, an unknown key, a key given
 *	twice in one section, a value of the wrong type or outside its bounds,
 *	an over-long line (MK_CFG_LINE_MAX) or a NUL byte is an error, written
 *	to err as "FILE:LINE: message", and the function returns -1. On error
 *	target may be partly updated; callers parse into a fresh copy.
 *
 *	Types and the C type at target+offset:
 *	MK_CFG_STRING	char * (malloc'd, owned by target; NULL when default
 *			is NULL); min/max bound the length when max > 0;
 *			the row's check(), when set, validates the text.
 *	MK_CFG_INT	long long within [min, max].
 *	MK_CFG_BOOL	int 0/1: yes/no, true/false, on/off, 1/0.
 *	MK_CFG_ENUM	int, index into the NULL-terminated choices array.
 *	MK_CFG_DURATION	long long seconds: "30", "30s", "5m", "2h", "7d", "1w".
 *	MK_CFG_SIZE	long long bytes: "4096", "64k", "512M", "4G", "1T".
 *	MK_CFG_MODE	long long, octal file mode "0660" within [min, max].
 *	MK_CFG_SOCKET	char *, validated by mk_sock_parse() (mk_daemon.h).
 *
 *	Named sections: a schema (rows plus a table of struct mk_cfg_named)
 *	may declare sections that appear many times under different names,
 *	such as [ratelimit per-user]. Each occurrence gets a fresh instance
 *	(size bytes, filled with the named rows' defaults, its name stored
 *	at name_offset) appended to the struct mk_cfg_list at list_offset in
 *	the target. A name is 1 to 64 letters, digits, '.', '-' or '_'; a
 *	name given twice is an error. When the section ends, finish() (if
 *	set) checks the instance as a whole; its error is reported at the
 *	section's header line. mk_cfg_schema_release() frees the fixed rows'
 *	strings and every instance; mk_cfg_schema_dump() writes both.
 *
 *	mk_cfg_release() frees the strings target owns. mk_cfg_dump() writes
 *	the effective configuration in file syntax.
 *	mk_cfg_parse_duration() and mk_cfg_parse_size() return 0 or -1 and are
 *	also used by the command line (durations for --expires, sizes).
 */
#ifndef MK_CFG_H
#define MK_CFG_H

#include <stddef.h>
#include <stdio.h>

#define MK_CFG_LINE_MAX 4096

enum mk_cfg_type {
	MK_CFG_STRING,
	MK_CFG_INT,
	MK_CFG_BOOL,
	MK_CFG_ENUM,
	MK_CFG_DURATION,
	MK_CFG_SIZE,
	MK_CFG_MODE,
	MK_CFG_SOCKET
};

struct mk_cfg_row {
	const char *section;
	const char *name;
	enum mk_cfg_type type;
	const char *def;
	long long min;
	long long max;
	const char *const *choices;
	size_t offset;
	const char *help;
	/* Optional check of a STRING value beyond its length: 0 or -1 with
	 * a message in err (e.g. a list of networks, a reply template). */
	int (*check)(const char *text, char *err, size_t errlen);
};

/* A section that may appear many times, each under its own name. */
struct mk_cfg_named {
	const char *section;		/* "ratelimit" */
	const struct mk_cfg_row *rows;	/* offsets into the instance */
	size_t size;			/* of the instance */
	size_t name_offset;		/* char *: the instance's name */
	size_t list_offset;		/* struct mk_cfg_list in the target */
	int (*finish)(void *instance, char *err, size_t errlen);
};

#define MK_CFG_NAMED_MAX 256	/* instances of one named section */

struct mk_cfg_list {
	void **v;
	size_t n;
};

struct mk_cfg_schema {
	const struct mk_cfg_row *rows;
	const struct mk_cfg_named *named; /* ends with section NULL; or NULL */
};

void mk_cfg_defaults(const struct mk_cfg_row *rows, void *target);
int mk_cfg_parse_file(const struct mk_cfg_row *rows, void *target,
    const char *path, char *err, size_t errlen);
int mk_cfg_parse_buf(const struct mk_cfg_row *rows, void *target,
    const char *name, const char *buf, size_t len, char *err, size_t errlen);
void mk_cfg_release(const struct mk_cfg_row *rows, void *target);
void mk_cfg_dump(const struct mk_cfg_row *rows, const void *target, FILE *fp);
int mk_cfg_parse_value(const struct mk_cfg_row *row, const char *text,
    void *target, char *err, size_t errlen);
int mk_cfg_parse_duration(const char *text, long long *seconds);
int mk_cfg_parse_size(const char *text, long long *bytes);
int mk_cfg_schema_parse_file(const struct mk_cfg_schema *schema, void *target,
    const char *path, char *err, size_t errlen);
int mk_cfg_schema_parse_buf(const struct mk_cfg_schema *schema, void *target,
    const char *name, const char *buf, size_t len, char *err, size_t errlen);
void mk_cfg_schema_release(const struct mk_cfg_schema *schema, void *target);
void mk_cfg_schema_dump(const struct mk_cfg_schema *schema, const void *target,
    FILE *fp);
void mk_cfg_dump_section(const struct mk_cfg_row *rows, const void *target,
    FILE *fp);

#endif
