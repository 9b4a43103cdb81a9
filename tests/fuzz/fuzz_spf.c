/*
 * NAME
 *	fuzz_spf - fuzz target for what milterkit hands to libspf2: TXT
 *	records past dmarc_spf_record_ok() (milters/dmarc/spf.c)
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is one TXT record (up to its first NUL). When
 *	dmarc_spf_record_ok() lets it through it must hold only printable
 *	octets and blanks within DMARC_SPF_RECORD_MAX; then, as the DNS
 *	layer does, an SPF record ("v=spf1") goes to libspf2's record
 *	compiler, any other text (an explanation) has its blanks written as
 *	"%_" and goes to its macro compiler and, compiled, to its macro
 *	expansion for a fixed request. Under AddressSanitizer a write out of
 *	bounds in libspf2 (CVE-2023-42118 lives in that compiler) crashes
 *	the target.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	over tests/fuzz/corpus/spf; scripts/fuzz.sh runs it under libFuzzer.
 */
#include "config.h"

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <spf2/spf.h>

#include "spf.h"
#include "spf_priv.h"

static SPF_server_t *server;
static SPF_request_t *request;

static void
setup(void)
{
	struct in_addr a;

	server = SPF_server_new(SPF_DNS_ZONE, 0);	/* no network */
	if (server == NULL)
		abort();
	SPF_server_set_rec_dom(server, "mx.example.net");
	request = SPF_request_new(server);
	inet_pton(AF_INET, "192.0.2.7", &a);
	SPF_request_set_ipv4(request, a);
	SPF_request_set_helo_dom(request, "client.example.org");
	SPF_request_set_env_from(request, "some.one+tag@example.org");
}

static void
check_gate(const char *t, size_t n)
{
	if (n > DMARC_SPF_RECORD_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if ((c < ' ' && c != '\t') || c >= 127)
			abort();
	}
}

static void
compile_record(const char *t)
{
	SPF_response_t *resp = SPF_response_new(NULL);
	SPF_record_t *rec = NULL;

	SPF_record_compile(server, resp, &rec, t);
	SPF_record_free(rec);
	SPF_response_free(resp);
}

static void
compile_explanation(const char *t)
{
	char buf[2 * DMARC_SPF_RECORD_MAX + 2];
	SPF_response_t *resp = SPF_response_new(NULL);
	SPF_macro_t *mac = NULL;
	char *out = NULL;
	size_t outlen = 0;

	snprintf(buf, sizeof(buf), "%s", t);
	if (dmarc_spf__blanks_as_macros(buf, sizeof(buf)) != 0)
		abort();	/* twice the bound always fits */
	if (SPF_record_compile_macro(server, resp, &mac, buf) == SPF_E_SUCCESS &&
	    mac != NULL)
		SPF_record_expand_data(server, request, resp,
		    (SPF_data_t *)((char *)mac + sizeof(*mac)), mac->macro_len,
		    &out, &outlen);
	free(out);
	SPF_macro_free(mac);
	SPF_response_free(resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t;
	size_t n;

	if (server == NULL)
		setup();
	t = malloc(size + 1);
	memcpy(t, data, size);
	t[size] = '\0';
	n = strlen(t);
	if (dmarc_spf_record_ok(t, n)) {
		check_gate(t, n);
		if (strncasecmp(t, "v=spf1", 6) == 0 && (t[6] == '\0' || t[6] == ' '))
			compile_record(t);
		else
			compile_explanation(t);
	}
	free(t);
	return 0;
}
