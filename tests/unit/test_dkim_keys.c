/*
 * test_dkim_keys.c - unit tests of milters/dkim/keys.c: which PEM keys
 * are accepted (RSA 2048 to 4096 bits in both PEM forms, Ed25519), which
 * are refused (RSA 1024 and over 4096, EC, encrypted, garbage), and the
 * checks on a key file (mode, symbolic link, owner, kind, size). Keys are
 * generated here; the 4096-bit one once for the whole group.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "dkim.h"

struct fx {
	char dir[96];
	char *rsa2048;			/* PKCS#8 PEM */
	char *rsa2048_trad;		/* "BEGIN RSA PRIVATE KEY" */
	char *rsa4096;
	char *ed25519;
};

static struct fx fx;

/* The key as PEM text (PKCS#8, or the traditional form), malloc'd. */
static char *
pem_of(EVP_PKEY *pkey, int traditional, const char *pass)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;
	int ok;

	assert_non_null(bio);
	if (traditional)
		ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL,
		    NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_PrivateKey(bio, pkey, pass != NULL ?
		    EVP_aes_128_cbc() : NULL, (const unsigned char *)pass,
		    pass != NULL ? (int)strlen(pass) : 0, NULL, NULL);
	assert_int_equal(ok, 1);
	n = BIO_get_mem_data(bio, &data);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(bio);
	return s;
}

static char *
gen_pem(const char *type, size_t bits, int traditional)
{
	EVP_PKEY *k;
	char *s;

	if (strcmp(type, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	else if (strcmp(type, "EC") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	assert_non_null(k);
	s = pem_of(k, traditional, NULL);
	EVP_PKEY_free(k);
	return s;
}

static int
setup(void **st)
{
	const char *tmp = getenv("TMPDIR");

	(void)st;
	snprintf(fx.dir, sizeof(fx.dir), "%s/test_dkim_keys.XXXXXX",
	    tmp != NULL && strlen(tmp) < 48 ? tmp : "/tmp");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	{
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)2048);

		if (k == NULL)
			return -1;
		fx.rsa2048 = pem_of(k, 0, NULL);
		fx.rsa2048_trad = pem_of(k, 1, NULL);
		EVP_PKEY_free(k);
	}
	fx.rsa4096 = gen_pem("RSA", 4096, 0);
	fx.ed25519 = gen_pem("ED25519", 0, 0);
	return 0;
}

static int
teardown(void **st)
{
	char cmd[160];

	(void)st;
	free(fx.rsa2048);
	free(fx.rsa2048_trad);
	free(fx.rsa4096);
	free(fx.ed25519);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to DIR/name with mode (exactly, whatever the umask). */
static const char *
put(const char *name, const char *text, mode_t mode)
{
	static char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void
assert_parses(const char *pem, enum dkim_alg alg, int bits)
{
	struct dkim_key *k = NULL;
	char err[256] = "";

	assert_int_equal(dkim_key_parse(pem, strlen(pem), &k, err,
	    sizeof(err)), 0);
	assert_non_null(k);
	assert_int_equal(k->alg, alg);
	assert_int_equal(k->bits, bits);
	assert_non_null(k->pkey);
	assert_int_equal(EVP_PKEY_get_bits(k->pkey), bits);
	dkim_key_free(k);
}

/* Refused, with the reason (and the name) in err. */
static void
assert_refused(const void *pem, size_t len, const char *why)
{
	struct dkim_key *k = (struct dkim_key *)&k;
	char err[256] = "";

	assert_int_equal(dkim_key_parse(pem, len, &k, err, sizeof(err)), -1);
	assert_null(k);
	if (strstr(err, why) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, why);
	assert_non_null(strstr(err, "PEM key"));
}

/* RSA 2048 in both PEM forms, RSA 4096 and Ed25519 are accepted. */
static void
test_accepted(void **st)
{
	(void)st;
	assert_non_null(strstr(fx.rsa2048, "BEGIN PRIVATE KEY"));
	assert_non_null(strstr(fx.rsa2048_trad, "BEGIN RSA PRIVATE KEY"));
	assert_parses(fx.rsa2048, DKIM_RSA_SHA256, 2048);
	assert_parses(fx.rsa2048_trad, DKIM_RSA_SHA256, 2048);
	assert_parses(fx.rsa4096, DKIM_RSA_SHA256, 4096);
	assert_non_null(strstr(fx.ed25519, "BEGIN PRIVATE KEY"));
	assert_parses(fx.ed25519, DKIM_ED25519_SHA256, 256);
	dkim_key_free(NULL);
}

/* RSA 1024 is refused with its size and the minimum. */
static void
test_rsa_1024_refused(void **st)
{
	char *pem = gen_pem("RSA", 1024, 0);

	(void)st;
	assert_refused(pem, strlen(pem), "RSA key of 1024 bits: at least 2048");
	free(pem);
	pem = gen_pem("RSA", 1024, 1);
	assert_refused(pem, strlen(pem), "RSA key of 1024 bits: at least 2048");
	free(pem);
}

/* An RSA key over 4096 bits is refused. Generating one takes seconds, and
 * only its modulus length is looked at before signing, so the key is
 * made of arbitrary numbers around a 4160-bit modulus. */
static void
test_rsa_over_4096_refused(void **st)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *n = BN_new(), *e = BN_new(), *x = BN_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;
	OSSL_PARAM *p;
	char *pem;

	(void)st;
	assert_true(b && n && e && x && ctx);
	assert_int_equal(BN_set_bit(n, 4159), 1);
	assert_int_equal(BN_set_bit(n, 0), 1);
	assert_int_equal(BN_set_word(e, 65537), 1);
	assert_int_equal(BN_set_bit(x, 2079), 1);
	assert_int_equal(BN_set_bit(x, 0), 1);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_D, n);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR1, x);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR2, x);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT1, x);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT2, x);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, x);
	p = OSSL_PARAM_BLD_to_param(b);
	assert_non_null(p);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, p), 1);
	assert_int_equal(EVP_PKEY_get_bits(k), 4160);
	pem = pem_of(k, 0, NULL);
	assert_refused(pem, strlen(pem), "RSA key of 4160 bits: at most 4096");
	free(pem);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	BN_free(n);
	BN_free(e);
	BN_free(x);
}

/* Another key type is refused, naming the type. */
static void
test_ec_refused(void **st)
{
	char *pem = gen_pem("EC", 0, 0);

	(void)st;
	assert_refused(pem, strlen(pem), "EC key: DKIM signs with RSA or"
	    " Ed25519 keys only");
	free(pem);
}

/* Garbage, an empty input, a cut PEM, a public key and an encrypted key
 * (no passphrase is asked for) are refused. */
static void
test_garbage_refused(void **st)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *pem, pub[512], *data;
	BIO *bio;
	long n;

	(void)st;
	assert_refused("hello, world\n", 13, "not a readable PEM private key");
	assert_refused("", 0, "empty");
	assert_refused(fx.rsa2048, strlen(fx.rsa2048) / 2,
	    "not a readable PEM private key");
	pem = pem_of(k, 0, "secret");
	assert_non_null(strstr(pem, "ENCRYPTED"));
	assert_refused(pem, strlen(pem), "not a readable PEM private key");
	free(pem);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0 && (size_t)n < sizeof(pub));
	memcpy(pub, data, (size_t)n);
	assert_refused(pub, (size_t)n, "not a readable PEM private key");
	BIO_free(bio);
	EVP_PKEY_free(k);
}

/* A key file of mode 0600 loads; readable or writable by group or
 * others it is refused, naming the file, its mode and the fix. */
static void
test_file_mode(void **st)
{
	struct dkim_key *k = NULL;
	char err[512] = "", want[256];
	const char *path;

	(void)st;
	path = put("k.pem", fx.ed25519, 0600);
	assert_int_equal(dkim_key_load(path, 1, &k, err, sizeof(err)), 0);
	assert_non_null(k);
	assert_int_equal(k->alg, DKIM_ED25519_SHA256);
	dkim_key_free(k);
	path = put("k.pem", fx.rsa2048, 0400);
	assert_int_equal(dkim_key_load(path, 1, &k, err, sizeof(err)), 0);
	assert_int_equal(k->bits, 2048);
	dkim_key_free(k);

	path = put("k.pem", fx.ed25519, 0640);
	k = (struct dkim_key *)&k;
	assert_int_equal(dkim_key_load(path, 1, &k, err, sizeof(err)), -1);
	assert_null(k);
	snprintf(want, sizeof(want), "key file %s is readable by group or"
	    " others (mode 0640): chmod 600 %s", path, path);
	assert_string_equal(err, want);
	path = put("k.pem", fx.ed25519, 0604);
	assert_int_equal(dkim_key_load(path, 0, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "(mode 0604)"));
	path = put("k.pem", fx.ed25519, 0620);
	assert_int_equal(dkim_key_load(path, 0, &k, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "key file %s is writable or executable"
	    " by group or others (mode 0620): chmod 600 %s", path, path);
	assert_string_equal(err, want);
	path = put("k.pem", fx.ed25519, 0601);
	assert_int_equal(dkim_key_load(path, 0, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "(mode 0601)"));
}

/* A symbolic link to a good key file is refused; so are a directory, a
 * missing file, an empty file, a file too large and a bad key in a file,
 * each error naming the file. */
static void
test_file_kind(void **st)
{
	struct dkim_key *k = NULL;
	char err[512] = "", lnk[160], target[160], *big;
	const char *path;

	(void)st;
	path = put("good.pem", fx.ed25519, 0600);
	snprintf(target, sizeof(target), "%s", path);
	snprintf(lnk, sizeof(lnk), "%s/link.pem", fx.dir);
	unlink(lnk);
	assert_int_equal(symlink(target, lnk), 0);
	assert_int_equal(dkim_key_load(target, 1, &k, err, sizeof(err)), 0);
	dkim_key_free(k);
	assert_int_equal(dkim_key_load(lnk, 1, &k, err, sizeof(err)), -1);
	assert_null(k);
	assert_non_null(strstr(err, lnk));
	assert_non_null(strstr(err, "is a symbolic link"));

	assert_int_equal(dkim_key_load(fx.dir, 0, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a regular file"));
	snprintf(lnk, sizeof(lnk), "%s/missing.pem", fx.dir);
	assert_int_equal(dkim_key_load(lnk, 0, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, lnk));
	assert_non_null(strstr(err, strerror(ENOENT)));

	path = put("empty.pem", "", 0600);
	assert_int_equal(dkim_key_load(path, 0, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "is empty"));

	big = malloc(70 * 1024 + 1);
	assert_non_null(big);
	memset(big, 'A', 70 * 1024);
	big[70 * 1024] = '\0';
	path = put("big.pem", big, 0600);
	free(big);
	assert_int_equal(dkim_key_load(path, 0, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a PEM private key"));

	big = gen_pem("RSA", 1024, 0);
	path = put("rsa1024.pem", big, 0600);
	free(big);
	assert_int_equal(dkim_key_load(path, 0, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "RSA key of 1024 bits: at least 2048"));
}

/* With check_owner, a key file owned by another user is refused (as
 * root: the file is given to another uid); without, it loads. Not as
 * root, the case is left out with a TAP diagnostic: cmocka's skip()
 * prints "not ok # SKIP", which automake's TAP driver counts as a
 * failure. */
static void
test_file_owner(void **st)
{
	struct dkim_key *k = NULL;
	char err[512] = "";
	const char *path;

	(void)st;
	if (geteuid() != 0) {
		print_message("# not root: cannot give a file to another"
		    " user, owner check not tested\n");
		return;
	}
	path = put("other.pem", fx.ed25519, 0600);
	assert_int_equal(chown(path, 65534, (gid_t)-1), 0);
	assert_int_equal(dkim_key_load(path, 1, &k, err, sizeof(err)), -1);
	assert_null(k);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "is owned by uid 65534, not by the"
	    " signer's uid 0"));
	assert_int_equal(dkim_key_load(path, 0, &k, err, sizeof(err)), 0);
	assert_non_null(k);
	dkim_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_rsa_1024_refused),
		cmocka_unit_test(test_rsa_over_4096_refused),
		cmocka_unit_test(test_ec_refused),
		cmocka_unit_test(test_garbage_refused),
		cmocka_unit_test(test_file_mode),
		cmocka_unit_test(test_file_kind),
		cmocka_unit_test(test_file_owner),
	};

	return cmocka_run_group_tests_name("dkim_keys", tests, setup,
	    teardown);
}
