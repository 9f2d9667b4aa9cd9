// SPDX-License-Identifier: GPL-2.0
/* The target's folios at the end of a run (page_cache.h). */
#define _GNU_SOURCE
#include "page_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Documentation/admin-guide/mm/pagemap.rst */
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define KPF_COMPOUND_HEAD (1ULL << 15)
#define KPF_COMPOUND_TAIL (1ULL << 16)

#define TAIL_CHUNK 512 /* kpageflags entries read at a time */
#define CHUNK_PAGES 32768 /* of the target per pass: 128 MiB of 4 KiB pages */

struct walk {
	int pagemap, kpf;
	const char *map; /* the target, mapped */
	long psize;
	uint64_t counted; /* pages in the folios counted */
	unsigned char vec[CHUNK_PAGES]; /* mincore */
	uint64_t ent[CHUNK_PAGES]; /* pagemap entries */
};

static int kpf_flags(int kpf, uint64_t pfn, uint64_t *flags)
{
	ssize_t n = pread(kpf, flags, sizeof(*flags), pfn * sizeof(*flags));

	return n == sizeof(*flags) ? 0 : n < 0 ? -errno : -EIO;
}

/* A folio's size in pages: its tail pages follow its head in PFN space. */
static uint64_t folio_pages(int kpf, uint64_t head_pfn)
{
	uint64_t flags[TAIL_CHUNK], n = 1;
	ssize_t got;

	while (n < 1ULL << (PAGE_CACHE_ORDERS - 1)) {
		got = pread(kpf, flags, sizeof(flags),
			    (head_pfn + n) * sizeof(*flags));
		if (got <= 0)
			break;
		for (ssize_t i = 0; i < got / (ssize_t)sizeof(*flags); i++) {
			if (!(flags[i] & KPF_COMPOUND_TAIL))
				return n;
			n++;
		}
	}
	return n;
}

static unsigned order_of(uint64_t pages)
{
	unsigned order = 0;

	while (pages >>= 1)
		order++;
	return order;
}

/* How many of a folio's N pages follow page I of the chunk (of N_CHUNK),
 * mapped in order: they are its tails, and need no flags read. */
static uint64_t mapped_tails(const struct walk *w, uint64_t i, uint64_t n,
			     uint64_t n_chunk)
{
	uint64_t pfn = w->ent[i] & PM_PFN_MASK, k = 1;

	while (k < n && i + k < n_chunk && (w->ent[i + k] & PM_PRESENT) &&
	       (w->ent[i + k] & PM_PFN_MASK) == pfn + k)
		k++;
	return k - 1;
}

/* The folios of the chunk's resident pages, by their heads; a tail page
 * (of a folio begun in the chunk before) is counted with its head. */
static int count_folios(struct page_cache_layout *pc, struct walk *w,
			uint64_t n_chunk)
{
	uint64_t flags;
	int ret;

	for (uint64_t i = 0; i < n_chunk; i++) {
		uint64_t pfn = w->ent[i] & PM_PFN_MASK, n = 1;

		if (!(w->ent[i] & PM_PRESENT))
			continue;
		if (!pfn) {
			snprintf(pc->note, sizeof(pc->note),
				 "page frame numbers hidden (needs "
				 "CAP_SYS_ADMIN)");
			return -EPERM;
		}
		ret = kpf_flags(w->kpf, pfn, &flags);
		if (ret)
			return ret;
		if (flags & KPF_COMPOUND_TAIL)
			continue;
		if (flags & KPF_COMPOUND_HEAD)
			n = folio_pages(w->kpf, pfn);
		pc->by_order[order_of(n)]++;
		w->counted += n;
		i += mapped_tails(w, i, n, n_chunk);
	}
	return 0;
}

/* Map the chunk's resident pages into our page tables (pagemap sees only
 * mapped pages; pages not cached stay out of the cache), read their
 * entries, count their folios. */
static int walk_chunk(struct page_cache_layout *pc, struct walk *w,
		      uint64_t first, uint64_t n_chunk)
{
	uintptr_t start = (uintptr_t)w->map + first * w->psize;
	size_t len = n_chunk * sizeof(*w->ent);
	volatile char sink;

	for (uint64_t p = 0; p < n_chunk; p++)
		if (w->vec[p] & 1)
			sink = w->map[(first + p) * w->psize];
	(void)sink;
	if (pread(w->pagemap, w->ent, len,
		  start / w->psize * sizeof(*w->ent)) != (ssize_t)len)
		return -EIO;
	return count_folios(pc, w, n_chunk);
}

static void note_error(struct page_cache_layout *pc, const char *what, int err)
{
	if (pc->note[0])
		return;
	snprintf(pc->note, sizeof(pc->note), "cannot read %s: %s%s", what,
		 strerror(err),
		 err == EACCES || err == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
}

static int walk_open(struct page_cache_layout *pc, struct walk *w)
{
	const char *file = "/proc/self/pagemap";
	int err;

	w->pagemap = open(file, O_RDONLY | O_CLOEXEC);
	if (w->pagemap >= 0) {
		file = "/proc/kpageflags";
		w->kpf = open(file, O_RDONLY | O_CLOEXEC);
		if (w->kpf >= 0)
			return 0;
	}
	err = errno;
	note_error(pc, file, err);
	return -err;
}

/* Chunk by chunk: the resident pages always, the folios while they can
 * be read (ret 0). */
static int walk_target(struct page_cache_layout *pc, struct walk *w)
{
	int ret = walk_open(pc, w);

	for (uint64_t first = 0; first < pc->pages; first += CHUNK_PAGES) {
		uint64_t n = pc->pages - first;

		n = n < CHUNK_PAGES ? n : CHUNK_PAGES;
		if (mincore((char *)w->map + first * w->psize, n * w->psize,
			    w->vec)) {
			ret = -errno;
			note_error(pc, "the target's residency (mincore)",
				   -ret);
			return ret;
		}
		for (uint64_t p = 0; p < n; p++)
			pc->resident += w->vec[p] & 1;
		if (!ret) {
			ret = walk_chunk(pc, w, first, n);
			if (ret)
				note_error(pc, "/proc/kpageflags", -ret);
		}
	}
	return ret;
}

void page_cache_measure(struct page_cache_layout *pc, int fd, uint64_t size,
			bool dax)
{
	long psize = sysconf(_SC_PAGESIZE);
	struct walk *w;

	memset(pc, 0, sizeof(*pc));
	pc->measured = true;
	pc->pages = (size + psize - 1) / psize;
	if (dax) {
		snprintf(pc->note, sizeof(pc->note),
			 "DAX: the target has no page cache");
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		note_error(pc, "the page cache", ENOMEM);
		return;
	}
	w->pagemap = w->kpf = -1;
	w->psize = psize;
	w->map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (w->map == MAP_FAILED)
		note_error(pc, "the target's page cache (mmap)", errno);
	else
		pc->known = walk_target(pc, w) == 0;
	if (pc->known && w->counted != pc->resident)
		snprintf(pc->note, sizeof(pc->note),
			 "%llu resident pages, %llu in the folios counted",
			 (unsigned long long)pc->resident,
			 (unsigned long long)w->counted);
	if (!pc->known)
		memset(pc->by_order, 0, sizeof(pc->by_order));
	if (w->pagemap >= 0)
		close(w->pagemap);
	if (w->kpf >= 0)
		close(w->kpf);
	if (w->map != MAP_FAILED)
		munmap((void *)w->map, size);
	free(w);
}

void page_cache_write(struct json *j, const struct page_cache_layout *pc)
{
	char key[4];

	if (!pc->measured) {
		json_null(j, "page_cache");
		return;
	}
	json_obj_begin(j, "page_cache");
	json_u64(j, "pages", pc->pages);
	json_u64(j, "resident", pc->resident);
	if (!pc->known) {
		json_null(j, "folios_by_order");
	} else {
		json_obj_begin(j, "folios_by_order");
		for (unsigned o = 0; o < PAGE_CACHE_ORDERS; o++) {
			if (!pc->by_order[o])
				continue;
			snprintf(key, sizeof(key), "%u", o);
			json_u64(j, key, pc->by_order[o]);
		}
		json_obj_end(j);
	}
	json_str(j, "note", pc->note[0] ? pc->note : NULL);
	json_obj_end(j);
}
