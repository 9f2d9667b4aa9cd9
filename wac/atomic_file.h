/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_ATOMIC_FILE_H
#define WAC_ATOMIC_FILE_H

#include <limits.h>
#include <stdio.h>

/*
 * A file that appears whole or not at all: written to PATH.tmp.PID,
 * fsynced, renamed over PATH, and the directory fsynced, so that a crash
 * or a power cut leaves the old file or the new one.
 */
struct atomic_file {
	FILE *f;
	const char *path;
	char tmp[PATH_MAX];
};

/* 0, or -errno (nothing created). */
int atomic_open(struct atomic_file *a, const char *path);

/* Finish: with ret 0, make the file appear; else (or when that fails)
 * remove the temporary.  Returns ret or the first -errno. */
int atomic_commit(struct atomic_file *a, int ret);

#endif
