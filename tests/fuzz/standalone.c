/*
 * NAME
 *	standalone - run a fuzz target over corpus files, without libFuzzer
 * SYNOPSIS
 *	fuzz_TARGET PATH...
 * DESCRIPTION
 *	A main() for any libFuzzer target (LLVMFuzzerTestOneInput), so that
 *	its seed corpus and past crash inputs run under make check as a
 *	regression test. Each PATH is a file or a directory (its regular
 *	files, not recursively, dot files skipped, in name order). Each file
 *	is read into a buffer of its exact size and run in a child process;
 *	the result is one TAP point per file: ok, or not ok with the signal
 *	or exit status of a target that aborted or crashed.
 * DIAGNOSTICS
 *	Exit status 0 when every file passed, 1 when one failed or when no
 *	file was found at all (an empty corpus is an error, not a pass),
 *	2 on usage errors.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are refused rather than half-read. */
#define STANDALONE_MAX (1024 * 1024)

static int npoints;
static int nfailed;

static void
point(int ok, const char *path, const char *why)
{
	npoints++;
	if (!ok)
		nfailed++;
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", npoints, path,
	    why ? ": " : "", why ? why : "");
	fflush(stdout);
}

/* Read path whole into a malloc'd buffer of its exact size. */
static int
slurp(const char *path, uint8_t **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	size_t n;

	if (fp == NULL)
		return -errno;
	if (fstat(fileno(fp), &st) < 0 || st.st_size > STANDALONE_MAX) {
		fclose(fp);
		return -EFBIG;
	}
	*len = (size_t) st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (*buf == NULL) {
		fclose(fp);
		return -ENOMEM;
	}
	n = fread(*buf, 1, *len, fp);
	fclose(fp);
	if (n != *len) {
		free(*buf);
		return -EIO;
	}
	return 0;
}

static void
run_file(const char *path)
{
	char why[64];
	uint8_t *buf = NULL;
	size_t len = 0;
	pid_t pid;
	int rc, status;

	if ((rc = slurp(path, &buf, &len)) != 0) {
		point(0, path, strerror(-rc));
		return;
	}
	fflush(stdout);
	if ((pid = fork()) < 0) {
		free(buf);
		point(0, path, strerror(errno));
		return;
	}
	if (pid == 0) {
		LLVMFuzzerTestOneInput(buf, len);
		_exit(0);
	}
	free(buf);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		point(1, path, NULL);
		return;
	}
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "exit status %d",
		    WEXITSTATUS(status));
	point(0, path, why);
}

static int
skip_entry(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void
run_path(const char *path)
{
	struct dirent **ents;
	struct stat st;
	char file[4096];
	int i, n;

	if (stat(path, &st) < 0) {
		point(0, path, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	if ((n = scandir(path, &ents, skip_entry, alphasort)) < 0) {
		point(0, path, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		int w = snprintf(file, sizeof(file), "%s/%s", path,
		    ents[i]->d_name);

		if (w < 0 || (size_t) w >= sizeof(file))
			point(0, ents[i]->d_name, "path too long");
		else if (stat(file, &st) == 0 && S_ISREG(st.st_mode))
			run_file(file);
		free(ents[i]);
	}
	free(ents);
}

int
main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		run_path(argv[i]);
	if (npoints == 0)
		point(0, argv[1], "no corpus files found");
	printf("1..%d\n", npoints);
	return nfailed ? 1 : 0;
}
