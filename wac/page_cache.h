/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_PAGE_CACHE_H
#define WAC_PAGE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"

/*
 * The target's page cache at the end of a run: how many of its pages are
 * resident, in folios of which order.  Under stable pages a small write
 * waits on the writeback of the whole folio it lands in, so the folio
 * size decides the cost (ext4 makes large folios from 6.16, sized by the
 * write that first caches the file: results/notes/
 * slowdown-7.2-large-folios.md).  Read from /proc/self/pagemap and
 * /proc/kpageflags, which need CAP_SYS_ADMIN.
 */
#define PAGE_CACHE_ORDERS 21 /* up to 4 GiB folios with 4 KiB pages */

struct page_cache_layout {
	bool measured; /* a run (not a verify) that reached its end */
	bool known; /* by_order was read */
	uint64_t pages, resident;
	uint64_t by_order[PAGE_CACHE_ORDERS]; /* folios */
	char note[128]; /* why by_order is unknown, or what to know */
};

/* Map fd's first size bytes, fault in the resident pages, count folios.
 * A DAX target has no page cache: only the note says so. */
void page_cache_measure(struct page_cache_layout *pc, int fd, uint64_t size,
			bool dax);

/* "page_cache": the layout, or null when not measured. */
void page_cache_write(struct json *j, const struct page_cache_layout *pc);

#endif
