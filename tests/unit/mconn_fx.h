/*
 * mconn_fx.h - the fixture of the milter protocol's unit tests
 * (test_milter_conn.c, test_milter_answer.c).
 *
 *	in, inlen	bytes to feed, appended by add() (reset inlen to 0)
 *	add()		one packet: length, command, data
 *	add_optneg()	OPTNEG offering every action (0x1ff) and step;
 *			add_optneg_offering() with the actions given
 *	replies()	the answers queued so far as command letters
 *			("Occy"), taken off the output; the data of the
 *			last REPLYCODE is left in text
 */
#ifndef MCONN_FX_H
#define MCONN_FX_H

#include <stddef.h>

#include "mk_milter_conn.h"

extern unsigned char in[8192];
extern size_t inlen;
extern char text[256];

void add(char cmd, const void *data, size_t len);
void add_optneg_offering(unsigned long actions);
void add_optneg(void);
const char *replies(struct mk_mconn *mc);

#endif
