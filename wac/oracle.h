/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_ORACLE_H
#define WAC_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#include "wac.h"

/*
 * What the writers know about every unit (one operation's worth of
 * sectors, --block bytes): who owns it, the last generation written and
 * the last one a successful sync promised.  Only the owner's thread
 * touches a unit's entries while the run is live, so no locking is needed.
 */
enum unit_flags {
	UNIT_RACED = 1, /* source buffer changed during the last write (F) */
	UNIT_WRITE_FAILED = 2, /* the last write returned an error */
	UNIT_IN_FLIGHT = 4, /* an O_DIRECT write of it is queued */
	UNIT_HOLE = 8, /* punched, zeroed or cut off: must read as zeros */
	UNIT_HOLE_OK = 16, /* zeros or its last write: a store raced a cut */
};

#define UNIT_FLAGS_ALL                                                 \
	(UNIT_RACED | UNIT_WRITE_FAILED | UNIT_IN_FLIGHT | UNIT_HOLE | \
	 UNIT_HOLE_OK)

/* What a later 'wac verify' reports about the run the state came from. */
struct oracle_run_facts {
	char profile;
	uint32_t threads, writers, mmappers, churners;
	bool direct;
	/* the rest of the run's configuration, for the verify's result */
	uint64_t seed;
	double duration_s, hang_timeout_s;
	uint32_t sync_every, iodepth;
	uint8_t write_sync, msync, f_mode, layout; /* enums of wac.h/oracle.h */
	char engine[16];
};

struct wac_oracle {
	uint64_t run_id;
	struct oracle_run_facts facts;
	uint64_t size;
	uint32_t block;
	uint32_t sector_size;
	uint64_t units;
	unsigned owners;
	uint8_t *owner_kind; /* enum wac_kind, [owners] */
	uint16_t *owner; /* [units] */
	uint32_t *written; /* [units] */
	uint32_t *durable; /* [units] */
	uint8_t *flags; /* [units] */
	bool final_sync_ok;
	/* layout churn: the regions' size, and the first unit of the tail
	 * region that one churner cuts off with ftruncate (units: none) */
	uint64_t region_units;
	uint64_t tail_first;
	/* --slice K/N: units of other slices have owner OWNER_NONE; with
	 * N > 1 the slice geometry's region size (fixed by size, block and
	 * N alone, so that every slice computes the same) */
	uint32_t slice_k, slice_n;
	uint64_t slice_region_units;
};

/* The owner of a unit of another slice: never written, never judged. */
#define OWNER_NONE 0xffffu

int oracle_init(struct wac_oracle *o, uint64_t run_id, uint64_t size,
		uint32_t block, uint32_t sector_size, unsigned owners);
void oracle_free(struct wac_oracle *o);

static inline unsigned oracle_owner(const struct wac_oracle *o, uint64_t unit)
{
	return o->owner[unit];
}

static inline bool oracle_owns(const struct wac_oracle *o, uint64_t unit)
{
	return o->owner[unit] != OWNER_NONE;
}

/*
 * Which slice of N owns unit u.  The target is cut into regions (the
 * churn layout's, at most 64 KiB): an even region is shared unit by unit
 * (u mod N), so every page of it has units of every slice; an odd region
 * is a churn region, owned whole by slice (r / 2) mod N but for the odd
 * units of its first page, which belong to the next slice (it writes the
 * page a churner punches); the last region is slice 0's whole, since an
 * ftruncate of the shared file's end cuts every unit past the cut.
 */
unsigned oracle_slice_of(const struct wac_oracle *o, uint64_t u);

/* Set the slice and mark other slices' units OWNER_NONE (before
 * oracle_assign, which deals only the units left). */
void oracle_set_slice(struct wac_oracle *o, unsigned k, unsigned n);

enum layout {
	LAYOUT_AUTO,
	LAYOUT_INTERLEAVE, /* unit u belongs to owner u % owners */
	LAYOUT_SEGREGATE, /* O_DIRECT and page-cache owners on separate pages */
	LAYOUT_CHURN, /* regions alternate between churners and the rest */
};

/* The largest churn region; smaller targets get eight regions. */
#define CHURN_REGION_BYTES (64u << 10)

/*
 * Assign every unit an owner (owner_kind must be filled).  AUTO picks
 * CHURN when there are churners (KIND_CHURN owners); otherwise it picks
 * SEGREGATE when O_DIRECT and page-cache writers coexist: sharing a page
 * between them makes the kernel fail the direct write's page cache
 * invalidation, report EIO to every syncer and log "Page cache
 * invalidation failure" -- by design, not a stable-pages bug.
 * Returns the layout used, or -EINVAL if some owner got no unit.
 */
int oracle_assign(struct wac_oracle *o, enum layout layout);
const char *layout_name(enum layout l);

/* Every written unit whose last write succeeded is now promised. */
void oracle_promise_all(struct wac_oracle *o);

/*
 * True when unit is written with O_DIRECT and shares a page with a unit
 * that goes through the page cache: a later writeback of that page may
 * legitimately put back an older copy of it.
 */
bool oracle_page_collides(const struct wac_oracle *o, uint64_t unit,
			  uint32_t page_size);

/* Save/load for 'wac verify' (state.c: a versioned header with its own
 * CRC, every field bounds-checked before use).  0 or -errno; load prints
 * why it failed. */
int oracle_save(const struct wac_oracle *o, const char *path);
int oracle_load(struct wac_oracle *o, const char *path);

#endif
