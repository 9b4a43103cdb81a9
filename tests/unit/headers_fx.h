/*
 * headers_fx.h - the fixture shared by the unit tests of milterkit-headers'
 * header logic: rules built from [headers] text, and a secret file made
 * for the group (group_setup/group_teardown).
 */
#ifndef HEADERS_FX_H
#define HEADERS_FX_H

#include <stddef.h>

#include "headers.h"

#define SECRET "0123456789abcdef-test-secret"
#define NOW 1700000000

extern char secret_path[64];

struct hdr_rules *rules_from(const char *extra, char *err, size_t errlen);
struct hdr_rules *rules_ok(const char *extra);
int group_setup(void **st);
int group_teardown(void **st);

#endif
