// SPDX-License-Identifier: GPL-2.0
#include "option_table.h"
#include "wac.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *const op_names[OP__COUNT] = {
	[OP_NONE] = "none",
	[OP_WRITE] = "write",
	[OP_MMAP_STORE] = "mmap_store",
	[OP_DIRECT_WRITE] = "direct_write",
	[OP_MSYNC] = "msync",
	[OP_SFR] = "sync_file_range",
	[OP_FSYNC] = "fsync",
	[OP_FDATASYNC] = "fdatasync",
	[OP_SCRIBBLE] = "scribble",
	[OP_PUNCH] = "punch_hole",
	[OP_ZERO_RANGE] = "zero_range",
	[OP_TRUNCATE] = "truncate",
	[OP_REALLOC] = "realloc_write",
	[OP_FINAL_SYNC] = "final_sync",
	[OP_VERIFY_READ] = "verify_read",
	[OP_SETUP] = "setup",
};

static const char *const kind_names[KIND__COUNT] = {
	[KIND_WRITE] = "write",	  [KIND_MMAP] = "mmap",
	[KIND_DIRECT] = "direct", [KIND_SCRIBBLE] = "scribble",
	[KIND_CHURN] = "churn",
};

const char *op_name(enum wac_op op)
{
	return op < OP__COUNT ? op_names[op] : "?";
}

const char *kind_name(enum wac_kind kind)
{
	return kind < KIND__COUNT ? kind_names[kind] : "?";
}

/* The names are the option table's value names. */
const char *write_sync_name(enum write_sync m)
{
	return write_sync_names[m];
}

const char *msync_name(enum msync_mode m)
{
	return msync_names[m];
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* One line on stderr, whatever the arguments hold: a control character
 * (a newline in a command-line argument) is shown as '?'. */
void wac_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "wac: %s\n", msg);
}
