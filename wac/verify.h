/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_VERIFY_H
#define WAC_VERIFY_H

#include <signal.h>

#include "oracle.h"
#include "record.h"
#include "watchdog.h"

/* The classes of docs/result-schema.md, in report order. */
enum verify_class {
	V_OK,
	V_UNWRITTEN,
	V_STALE,
	V_RACED,
	V_COLLISION,
	V_HOLE, /* a punched, zeroed or cut-off unit that reads as zeros */
	V_TORN,
	V_MISDIRECTED,
	V_FOREIGN,
	V_FUTURE,
	V_LOST,
	V_EXPOSED, /* data where the oracle has a hole: old or foreign */
	V_UNREADABLE, /* the device would not give it back (EIO ...) */
	V__COUNT,
};

struct verify_finding {
	uint64_t sector;
	enum verify_class cls;
	unsigned owner;
	uint32_t written_gen;
	uint32_t durable_gen;
	bool found_valid; /* found_* come from a valid record */
	uint32_t found_gen;
	uint64_t found_sector;
	uint32_t found_writer;
	uint64_t found_run;
};

#define VERIFY_FIRST_MAX 16

struct verify_result {
	bool done;
	char error[160];
	const char *read_mode; /* "direct" or "buffered" */
	uint64_t sectors;
	uint64_t other_slices; /* sectors of other --slice owners: not judged */
	uint64_t counts[V__COUNT];
	struct verify_finding first[VERIFY_FIRST_MAX];
	unsigned nfirst;
};

/* Set by a signal handler ('wac verify'): verify_target stops between
 * chunks, returns -EINTR and leaves done false. */
extern volatile sig_atomic_t verify_stop_signal;

const char *verify_class_name(enum verify_class c);
bool verify_class_fails(enum verify_class c);

/* Judge one sector's bytes against the oracle; fills f. */
enum verify_class classify_sector(const struct wac_oracle *o, uint64_t sector,
				  const void *buf, struct verify_finding *f);

/*
 * Read all of path (bypassing the page cache where it can) and classify
 * every sector; where a read fails, narrow down to single sectors and
 * class those that cannot be read "unreadable" (r->error keeps the
 * first failure), so that one bad sector hides none of the others.  hb, if
 * given, shows the watchdog that reads progress. Returns 0, or -errno with
 * r->error set.
 */
int verify_target(const struct wac_oracle *o, const char *path,
		  struct verify_result *r, struct heartbeat *hb);

#endif
