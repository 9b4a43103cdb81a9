/*
 * headers_fx.c - the fixture of the header logic's unit tests
 * (headers_fx.h).
 */
#include "config.h"

#include <dirent.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "headers.h"
#include "headers_priv.h"
#include "mk_conf.h"
#include "mk_mem.h"
#include "sections.h"

#include "headers_fx.h"

char secret_path[64];

/* ---- helpers ---- */

struct hdr_rules *
rules_from(const char *extra, char *err, size_t errlen)
{
	struct mk_conf *conf = mk_conf_new_defaults();
	struct hdr_rules *r = NULL;
	char *text;

	if (asprintf(&text, "[headers]\ndate_zone = utc\n%s\n",
	    extra ? extra : "") < 0)
		fail();
	if (mk_cfg_parse_buf(mk_conf_schema.rows, conf, "t.conf", text, strlen(text),
	    err, errlen) == 0)
		hdr_rules_new(conf, &r, err, errlen);
	free(text);
	mk_conf_free(conf);
	return r;
}

struct hdr_rules *
rules_ok(const char *extra)
{
	char err[512];
	struct hdr_rules *r = rules_from(extra, err, sizeof(err));

	if (r == NULL)
		fail_msg("configuration: %s", err);
	return r;
}

int
group_setup(void **st)
{
	int fd;

	mk_conf_use(mkf_sections);
	snprintf(secret_path, sizeof(secret_path),
	    "/tmp/test_headers_secret.XXXXXX");
	if ((fd = mkstemp(secret_path)) < 0)
		return -1;
	if (write(fd, SECRET "\n", sizeof(SECRET)) != (ssize_t)sizeof(SECRET))
		return -1;
	close(fd);
	return 0;
}

int
group_teardown(void **st)
{
	unlink(secret_path);
	return 0;
}

