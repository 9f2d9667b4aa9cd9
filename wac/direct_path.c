// SPDX-License-Identifier: GPL-2.0
/* The real path of the O_DIRECT writes, with its evidence (direct_path.h). */
#define _GNU_SOURCE
#include "direct_path.h"

#include <fcntl.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run.h"

static bool has_direct_writers(const struct wac_run *run)
{
	for (unsigned i = 0; i < run->oracle.owners; i++)
		if (run->oracle.owner_kind[i] == KIND_DIRECT)
			return true;
	return false;
}

void direct_path_probe(struct wac_run *run)
{
	struct direct_path *d = &run->direct;
	struct statx st;

	memset(d, 0, sizeof(*d));
	if (!run->cfg->direct || !has_direct_writers(run))
		return;
	d->measured = true;
	d->path = "unknown";
	if (!syscall(SYS_statx, run->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN,
		     &st) &&
	    (st.stx_mask & STATX_DIOALIGN)) {
		d->dioalign_known = true;
		d->dio_offset_align = st.stx_dio_offset_align;
		d->dio_mem_align = st.stx_dio_mem_align;
		if (!d->dio_offset_align)
			snprintf(d->note, sizeof(d->note),
				 "the kernel reports no O_DIRECT support here");
		else if (run->cfg->block % d->dio_offset_align)
			snprintf(d->note, sizeof(d->note),
				 "--block %u is not a multiple of the O_DIRECT "
				 "alignment %u",
				 run->cfg->block, d->dio_offset_align);
	}
	/* what the prefill left cached must not read as a fallback */
	fdatasync(run->fd);
	posix_fadvise(run->fd, 0, 0, POSIX_FADV_DONTNEED);
}

/* Was page P written, and only by O_DIRECT owners? */
static bool direct_only_page(const struct wac_oracle *o, uint64_t page,
			     uint32_t page_size)
{
	uint64_t first = page * page_size / o->block;
	uint64_t last = ((page + 1) * page_size - 1) / o->block;
	bool written = false;

	for (uint64_t u = first; u <= last && u < o->units; u++) {
		if (!oracle_owns(o, u) ||
		    o->owner_kind[o->owner[u]] != KIND_DIRECT)
			return false;
		written |= o->written[u] != 0;
	}
	return written;
}

static bool shares_with_page_cache(const struct wac_oracle *o)
{
	for (unsigned i = 0; i < o->owners; i++)
		if (o->owner_kind[i] != KIND_DIRECT)
			return true;
	return false;
}

void direct_path_measure(struct wac_run *run)
{
	struct direct_path *d = &run->direct;
	const struct wac_oracle *o = &run->oracle;
	long page_size = sysconf(_SC_PAGESIZE);
	uint64_t pages = (o->size + page_size - 1) / page_size;
	unsigned char *vec;
	void *map;

	if (!d->measured)
		return;
	map = mmap(NULL, o->size, PROT_READ, MAP_SHARED, run->fd, 0);
	vec = map == MAP_FAILED ? NULL : malloc(pages);
	if (!vec || mincore(map, o->size, vec)) {
		snprintf(d->note, sizeof(d->note),
			 "page-cache residency unknown");
		goto out;
	}
	for (uint64_t p = 0; p < pages; p++) {
		if (!direct_only_page(o, p, page_size))
			continue;
		d->pages_checked++;
		d->pages_resident += vec[p] & 1;
	}
	/*
	 * Resident pages prove a page-cache path.  None prove "direct" only
	 * where the kernel also vouches for O_DIRECT at this alignment: a
	 * fallback that writes back and drops its pages (mm's
	 * direct_write_fallback, btrfs from 6.15) leaves no trace here.
	 */
	if (d->pages_resident) {
		d->path = d->pages_resident == d->pages_checked ? "buffered"
								: "mixed";
		if (shares_with_page_cache(o))
			snprintf(d->note, sizeof(d->note),
				 "page-cache writers share the file: readahead "
				 "around "
				 "their faults may have cached some of these "
				 "pages");
	} else if (d->pages_checked && d->dioalign_known && !d->note[0])
		d->path = "direct";
	else if (!d->note[0])
		snprintf(d->note, sizeof(d->note), "%s",
			 d->pages_checked
				 ? "no page cached, but the kernel does not "
				   "report its O_DIRECT alignment (statx)"
				 : "no page written only by O_DIRECT writers");
out:
	free(vec);
	if (map != MAP_FAILED)
		munmap(map, o->size);
}

void direct_path_write(struct json *j, const struct wac_run *run)
{
	const struct direct_path *d = &run->direct;

	if (!d->measured) {
		json_null(j, "direct");
		return;
	}
	json_obj_begin(j, "direct");
	json_str(j, "path", d->path);
	json_obj_begin(j, "evidence");
	if (d->dioalign_known) {
		json_u64(j, "dio_offset_align", d->dio_offset_align);
		json_u64(j, "dio_mem_align", d->dio_mem_align);
	} else {
		json_null(j, "dio_offset_align");
		json_null(j, "dio_mem_align");
	}
	json_u64(j, "block", run->cfg->block);
	json_u64(j, "direct_only_pages", d->pages_checked);
	json_u64(j, "resident_after_run", d->pages_resident);
	json_str(j, "note", d->note[0] ? d->note : NULL);
	json_obj_end(j);
	json_obj_end(j);
}
