/*
 * NAME
 *	cmd_spf.h - the `milterkit spf` and `milterkit dmarc` verbs
 * SYNOPSIS
 *	#include "cmd_spf.h"
 *
 *	int	cmd_spf(struct tool *t, int argc, char **argv);
 *	int	cmd_dmarc(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	cmd_spf() runs `spf check` (cmd_spf.c), cmd_dmarc() `dmarc check`
 *	(cmd_dmarc.c); they load the configuration themselves (only [dns]
 *	is used) and return the command's exit code.
 */
#ifndef CMD_SPF_H
#define CMD_SPF_H

#include "tool.h"

int cmd_spf(struct tool *t, int argc, char **argv);
int cmd_dmarc(struct tool *t, int argc, char **argv);

#endif
