/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_DIRECT_PATH_H
#define WAC_DIRECT_PATH_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"

struct wac_run;

/*
 * Did the O_DIRECT writes go direct?  Filesystems serve unaligned
 * O_DIRECT through the page cache, btrfs falls back to buffered writes
 * for checksummed files (6.15), XFS bounces on stable-pages devices
 * (7.0): a profile D-F run then tests something else.  Evidence: the
 * kernel's own alignment (statx STATX_DIOALIGN) and, after the run, how
 * many pages written only by O_DIRECT writers are still in the page
 * cache (a direct write leaves none; a buffered one leaves its page).
 */
struct direct_path {
	bool measured;
	const char *path; /* "direct", "buffered", "mixed", "unknown" */
	bool dioalign_known;
	uint32_t dio_offset_align, dio_mem_align;
	uint64_t pages_checked, pages_resident;
	char note[128];
};

/* At setup, before the first write: alignment, and a cold page cache. */
void direct_path_probe(struct wac_run *run);

/* After the final sync, before the verify pass reads anything. */
void direct_path_measure(struct wac_run *run);

void direct_path_write(struct json *j, const struct wac_run *run);

#endif
