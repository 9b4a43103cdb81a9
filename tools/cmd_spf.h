/*
 * NAME
 *	cmd_spf.h - the `milterkit spf` verbs
 * SYNOPSIS
 *	#include "cmd_spf.h"
 *
 *	int	cmd_spf(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	cmd_spf() runs `spf check` (cmd_spf.c); it loads the configuration
 *	itself (only [dns] is used) and returns the command's exit code.
 */
#ifndef CMD_SPF_H
#define CMD_SPF_H

#include "tool.h"

int cmd_spf(struct tool *t, int argc, char **argv);

#endif
