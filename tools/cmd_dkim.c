/*
 * NAME
 *	cmd_dkim.c - `milterkit dkim keygen|status|import-opendkim`
 * SYNOPSIS
 *	int	cmd_dkim(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	keygen makes a private key for milterkit-dkim and prints the DNS TXT
 *	record of its public half. The key goes to DIR/DOMAIN/SELECTOR.key,
 *	mode 0600, belonging to the signer's user ([dkim] user): run as
 *	root, the command opens the key directory once and creates
 *	everything below it relative to that descriptor, never following a
 *	link (mkdirat, openat with O_NOFOLLOW and O_EXCL), and gives the new
 *	directory and file away with fchown() on the open descriptor, so a
 *	link planted under DIR cannot redirect root's write or chown. An
 *	existing key is never overwritten.
 *
 *	status reads [dkim] signing_table (or --table FILE), loads every key
 *	as the signer would (owner checked against [dkim] user) and prints
 *	each line with its key or the reason it does not load, then for each
 *	pattern the selectors that sign now and at the next from=/until=
 *	boundary (--at DATE: as of that day). --json prints the same as one
 *	JSON object.
 *
 *	import-opendkim (cmd_dkim_import.c) converts OpenDKIM's KeyTable and
 *	SigningTable into signing-table lines.
 * DIAGNOSTICS
 *	Exit 0 on success, 2 for usage or input errors, 3 for trouble
 *	(a key that exists already, a directory that is a link, a key of the
 *	table that does not load, system errors).
 * SEE ALSO
 *	milterkit(8), milterkit-dkim(8), dkim.h
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cmd_dkim.h"
#include "dkim.h"
#include "mk_mem.h"

#define KEYGEN_DIR	"/etc/milterkit/dkim"
#define TXT_CHUNK	255	/* octets of one character-string (RFC 1035) */

static void
dkim_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: milterkit dkim keygen DOMAIN SELECTOR [--type rsa|ed25519]"
	    " [--bits N]\n"
	    "                 [--dir DIR]\n"
	    "       milterkit dkim status [--at DATE] [--table FILE] [--json]\n"
	    "       milterkit dkim import-opendkim KEYTABLE SIGNINGTABLE\n"
	    "keygen: DIR default " KEYGEN_DIR ", RSA 2048 bits by default"
	    " (2048 to 4096)\n"
	    "exit status: 0 ok, 2 usage or input error, 3 trouble\n");
}

const char *
dkim_conf_str(const struct mk_conf *conf, const char *key, const char *def)
{
	const struct mk_conf_section *const *s;
	const struct mk_cfg_row *r;
	const char *block;
	char *v;

	if (conf == NULL || (block = mk_conf_section(conf, "dkim")) == NULL)
		return def;
	for (s = mk_conf_sections(); *s != NULL; s++)
		if (strcmp((*s)->name, "dkim") == 0)
			break;
	if (*s == NULL)
		return def;
	for (r = (*s)->rows; r->name != NULL; r++)
		if (strcmp(r->name, key) == 0 && r->type == MK_CFG_STRING) {
			memcpy(&v, block + r->offset, sizeof(v));
			return v != NULL ? v : def;
		}
	return def;
}

int
dkim_owner(const struct mk_conf *conf, struct dkim_owner *o)
{
	const char *user = dkim_conf_str(conf, "user", DKIM_USER_DEFAULT);
	struct passwd *pw;

	o->uid = geteuid();
	o->gid = getegid();
	o->name = "";
	o->found = 0;
	if (*user == '\0')
		return 0;		/* the signer stays who starts it */
	o->name = user;
	if ((pw = getpwnam(user)) == NULL)
		return 0;
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
	o->found = 1;
	return 0;
}

int
dkim_name_ok(const char *s)
{
	size_t label = 0, n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || (s[i] == '-' &&
		    label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

/* The public key as DNS wants it, base64: SubjectPublicKeyInfo for RSA,
 * the raw 32 octets for Ed25519 (RFC 8463). Owned by the caller. */
static char *
public_b64(EVP_PKEY *pk, int ed)
{
	unsigned char raw[64], *der = NULL;
	size_t rn = sizeof(raw);
	int n;
	char *out;

	if (ed) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rn) != 1)
			return NULL;
		der = raw;
		n = (int)rn;
	} else if ((n = i2d_PUBKEY(pk, &der)) <= 0) {
		return NULL;
	}
	out = mk_malloc(((size_t)n + 2) / 3 * 4 + 1);
	EVP_EncodeBlock((unsigned char *)out, der, n);
	if (!ed)
		OPENSSL_free(der);
	return out;
}

/* SELECTOR._domainkey.DOMAIN. IN TXT ( "..." "..." ), strings of at most
 * 255 octets. */
static void
print_txt(const char *domain, const char *selector, int ed, const char *b64)
{
	char *rec;
	size_t n, i;

	n = strlen(b64) + 32;
	rec = mk_malloc(n);
	snprintf(rec, n, "v=DKIM1; k=%s; p=%s", ed ? "ed25519" : "rsa", b64);
	printf("%s._domainkey.%s. IN TXT (", selector, domain);
	n = strlen(rec);
	for (i = 0; i < n; i += TXT_CHUNK)
		printf(" \"%.*s\"", (int)(n - i < TXT_CHUNK ? n - i : TXT_CHUNK),
		    rec + i);
	printf(" )\n");
	free(rec);
}

struct keygen_args {
	const char *domain, *selector, *dir;
	int ed, bits;
};

/* Returns 0, 1 for --help, or -1 after printing the usage problem. */
static int
keygen_args(int argc, char **argv, struct keygen_args *a)
{
	int nop = 0, bits_given = 0;
	char *end;

	a->dir = KEYGEN_DIR;
	a->ed = 0;
	a->bits = 2048;
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];

		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0)
			return 1;
		if ((strcmp(o, "--type") == 0 || strcmp(o, "--bits") == 0 ||
		    strcmp(o, "--dir") == 0) && i + 1 >= argc) {
			fprintf(stderr, "milterkit: %s needs a value\n", o);
			return -1;
		}
		if (strcmp(o, "--type") == 0) {
			o = argv[++i];
			if (strcmp(o, "rsa") != 0 && strcmp(o, "ed25519") != 0) {
				fprintf(stderr, "milterkit: --type %.40s: rsa "
				    "or ed25519\n", o);
				return -1;
			}
			a->ed = strcmp(o, "ed25519") == 0;
		} else if (strcmp(o, "--bits") == 0) {
			errno = 0;
			a->bits = (int)strtol(argv[++i], &end, 10);
			bits_given = 1;
			if (errno != 0 || *end != '\0' || a->bits < 2048 ||
			    a->bits > 4096) {
				fprintf(stderr, "milterkit: --bits %.40s: RSA "
				    "keys of 2048 to 4096 bits (1024 is too "
				    "weak: receivers ignore it)\n", argv[i]);
				return -1;
			}
		} else if (strcmp(o, "--dir") == 0) {
			a->dir = argv[++i];
		} else if (o[0] == '-') {
			fprintf(stderr, "milterkit: unknown option %.40s\n", o);
			return -1;
		} else if (nop++ == 0) {
			a->domain = o;
		} else if (nop == 2) {
			a->selector = o;
		}
	}
	if (nop != 2) {
		fprintf(stderr, "milterkit: keygen takes DOMAIN SELECTOR\n");
		return -1;
	}
	if (a->ed && bits_given) {
		fprintf(stderr, "milterkit: --bits is for RSA keys\n");
		return -1;
	}
	if (!dkim_name_ok(a->domain) || !dkim_name_ok(a->selector)) {
		fprintf(stderr, "milterkit: \"%.80s\" / \"%.80s\": the domain "
		    "and the selector are DNS names (letters, digits, '-', "
		    "'.')\n", a->domain, a->selector);
		return -1;
	}
	return 0;
}

/* The key, generated and written as PEM (PKCS#8) into a memory BIO. */
static BIO *
keygen_make(const struct keygen_args *a, EVP_PKEY **pk)
{
	struct dkim_key *check = NULL;
	char err[256];
	BIO *bio;
	char *pem;
	long n;

	*pk = a->ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	    : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)a->bits);
	if (*pk == NULL)
		return NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, *pk, NULL, NULL, 0, NULL, NULL) != 1
	    || (n = BIO_get_mem_data(bio, &pem)) <= 0) {
		BIO_free(bio);
		return NULL;
	}
	/* What we write is what the signer will load. */
	if (dkim_key_parse(pem, (size_t)n, &check, err, sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: new key refused: %s\n", err);
		BIO_free(bio);
		return NULL;
	}
	dkim_key_free(check);
	return bio;
}

/* The key directory, created (0700, the owner's) when it is missing. */
static int
open_keydir(const char *dir, const struct dkim_owner *o)
{
	int fd;

	if (mkdir(dir, 0700) == 0) {
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) >= 0 && geteuid() == 0 && fchown(fd, o->uid,
		    o->gid) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* DIR/DOMAIN, never through a link; a new one is the owner's. */
static int
open_domaindir(int dfd, const char *dir, const char *domain,
    const struct dkim_owner *o)
{
	int created = 0, fd;

	if (mkdirat(dfd, domain, 0700) == 0)
		created = 1;
	else if (errno != EEXIST) {
		fprintf(stderr, "milterkit: cannot create %s/%s: %s\n", dir,
		    domain, strerror(errno));
		return -1;
	}
	fd = openat(dfd, domain, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		struct stat sb;

		/* Linux says ENOTDIR for a link under O_DIRECTORY. */
		if (e == ENOTDIR && fstatat(dfd, domain, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode))
			e = ELOOP;
		fprintf(stderr, "milterkit: %s/%s: %s\n", dir, domain,
		    e == ELOOP ? "is a symbolic link: refusing to follow it"
		    : e == ENOTDIR ? "is not a directory" : strerror(e));
		return -1;
	}
	if (created && geteuid() == 0 && fchown(fd, o->uid, o->gid) < 0) {
		fprintf(stderr, "milterkit: chown %s/%s: %s\n", dir, domain,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Write the PEM to DIR/DOMAIN/SELECTOR.key, new, 0600, the owner's. */
static int
keygen_write(const struct keygen_args *a, const struct dkim_owner *o,
    BIO *bio)
{
	char file[300], *pem;
	long n = BIO_get_mem_data(bio, &pem);
	int dfd, domfd, fd = -1, rc = CLI_EXIT_STORE;
	ssize_t w = 0;

	snprintf(file, sizeof(file), "%s.key", a->selector);
	if ((dfd = open_keydir(a->dir, o)) < 0) {
		fprintf(stderr, "milterkit: %s: %s\n", a->dir, strerror(errno));
		return CLI_EXIT_STORE;
	}
	if ((domfd = open_domaindir(dfd, a->dir, a->domain, o)) < 0)
		goto out;
	fd = openat(domfd, file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "milterkit: %s/%s/%s: %s\n", a->dir, a->domain,
		    file, errno == EEXIST ? "exists: refusing to overwrite a key"
		    " (choose a new selector to rotate)" : strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || (geteuid() == 0 &&
	    fchown(fd, o->uid, o->gid) < 0) ||
	    (w = write(fd, pem, (size_t)n)) != (ssize_t)n || fsync(fd) < 0) {
		fprintf(stderr, "milterkit: %s/%s/%s: %s\n", a->dir, a->domain,
		    file, w >= 0 && w < n ? "short write" : strerror(errno));
		unlinkat(domfd, file, 0);
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	if (fd >= 0 && close(fd) < 0 && rc == CLI_EXIT_OK) {
		fprintf(stderr, "milterkit: %s/%s/%s: %s\n", a->dir, a->domain,
		    file, strerror(errno));
		unlinkat(domfd, file, 0);
		rc = CLI_EXIT_STORE;
	}
	if (domfd >= 0)
		close(domfd);
	close(dfd);
	return rc;
}

static int
cmd_keygen(struct tool *t, int argc, char **argv)
{
	struct keygen_args a = { NULL, NULL, NULL, 0, 0 };
	struct dkim_owner o;
	char domain[256], *b64;
	EVP_PKEY *pk = NULL;
	BIO *bio;
	int rc;

	if ((rc = keygen_args(argc, argv, &a)) != 0) {
		dkim_usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i <= strlen(a.domain); i++)
		domain[i] = (char)tolower((unsigned char)a.domain[i]);
	a.domain = domain;
	dkim_owner(t->conf, &o);
	if (*o.name != '\0' && !o.found && geteuid() == 0) {
		fprintf(stderr, "milterkit: no user %s ([dkim] user) to own "
		    "the key: create it or set [dkim] user\n", o.name);
		return CLI_EXIT_STORE;
	}
	if (o.uid != geteuid() && geteuid() != 0)
		fprintf(stderr, "milterkit: warning: the key will be yours, "
		    "but the signer runs as %s and refuses keys it does not "
		    "own: run keygen as root\n", o.name);
	if ((bio = keygen_make(&a, &pk)) == NULL) {
		fprintf(stderr, "milterkit: cannot generate the key\n");
		EVP_PKEY_free(pk);
		return CLI_EXIT_STORE;
	}
	if ((b64 = public_b64(pk, a.ed)) == NULL) {
		fprintf(stderr, "milterkit: cannot encode the public key\n");
		rc = CLI_EXIT_STORE;
	} else if ((rc = keygen_write(&a, &o, bio)) == CLI_EXIT_OK) {
		fprintf(stderr, "milterkit: wrote %s/%s/%s.key (%s); signing "
		    "table line: %s %s %s/%s/%s.key\n", a.dir, a.domain,
		    a.selector, a.ed ? "ed25519" : "rsa", a.domain, a.selector,
		    a.dir, a.domain, a.selector);
		print_txt(a.domain, a.selector, a.ed, b64);
	}
	free(b64);
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return rc;
}

int
cmd_dkim(struct tool *t, int argc, char **argv)
{
	int rc;

	if (argc < 1 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0) {
		dkim_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[0], "import-opendkim") == 0)
		return cmd_dkim_import(argc - 1, argv + 1);
	if (strcmp(argv[0], "keygen") != 0 && strcmp(argv[0], "status") != 0) {
		fprintf(stderr, "milterkit: unknown dkim verb \"%.40s\"\n",
		    argv[0]);
		dkim_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((rc = tool_load_conf(t)) != 0)
		return rc;
	if (strcmp(argv[0], "keygen") == 0)
		rc = cmd_keygen(t, argc - 1, argv + 1);
	else
		rc = cmd_dkim_status(t, argc - 1, argv + 1);
	mk_conf_free(t->conf);
	t->conf = NULL;
	return rc;
}
