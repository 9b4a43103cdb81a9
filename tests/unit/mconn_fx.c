/*
 * mconn_fx.c - what the milter protocol's unit tests share (mconn_fx.h):
 * packets as an MTA sends them, and the answers read back as letters.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mk_milter_conn.h"
#include "mconn_fx.h"

unsigned char in[8192];
size_t inlen;

void
add(char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	memcpy(in + inlen, &n, 4);
	in[inlen + 4] = (unsigned char)cmd;
	memcpy(in + inlen + 5, data, len);
	inlen += 5 + len;
}

void
add_optneg_offering(unsigned long actions)
{
	uint32_t w[3] = { htonl(6), htonl((uint32_t)actions), htonl(0x1fffff) };

	add(SMFIC_OPTNEG, w, 12);
}

void
add_optneg(void)
{
	add_optneg_offering(0x1ff);
}

/* The replies queued so far as letters ("Occy"), taken off the output;
 * the data of the last REPLYCODE in text. */
char text[256];

const char *
replies(struct mk_mconn *mc)
{
	static char out[256];
	size_t len, i = 0, k = 0;
	const unsigned char *p = mk_mconn_output(mc, &len);

	while (i + 5 <= len && k + 1 < sizeof(out)) {
		uint32_t n;

		memcpy(&n, p + i, 4);
		n = ntohl(n);
		out[k++] = (char)p[i + 4];
		if (p[i + 4] == SMFIR_REPLYCODE)
			snprintf(text, sizeof(text), "%.*s", (int)n - 1,
			    (const char *)p + i + 5);
		i += 4 + n;
	}
	out[k] = '\0';
	mk_mconn_sent(mc, len);
	return out;
}
