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

struct walk {
	int kpf;
	const uint64_t *ent; /* pagemap entries of the mapping */
	uint64_t pages;
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

/* How many of a folio's N pages follow file page I, mapped in order:
 * they are its tails, and need no flags read. */
static uint64_t mapped_tails(const struct walk *w, uint64_t i, uint64_t n)
{
	uint64_t pfn = w->ent[i] & PM_PFN_MASK, k = 1;

	while (k < n && i + k < w->pages && (w->ent[i + k] & PM_PRESENT) &&
	       (w->ent[i + k] & PM_PFN_MASK) == pfn + k)
		k++;
	return k - 1;
}

/* Count the folios of the resident pages; pages of a folio whose head is
 * outside the mapping (none, for a file mapped from offset 0) are left
 * uncounted and said in the note. */
static int count_folios(struct page_cache_layout *pc, const struct walk *w)
{
	uint64_t counted = 0, flags;
	int ret;

	for (uint64_t i = 0; i < w->pages; i++) {
		uint64_t pfn = w->ent[i] & PM_PFN_MASK, n = 1;

		if (!(w->ent[i] & PM_PRESENT))
			continue;
		if (!pfn) {
			snprintf(pc->note, sizeof(pc->note),
				 "page frame numbers hidden: needs "
				 "CAP_SYS_ADMIN");
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
		counted += n;
		i += mapped_tails(w, i, n);
	}
	if (counted != pc->resident)
		snprintf(pc->note, sizeof(pc->note),
			 "%llu resident pages, %llu in the folios counted",
			 (unsigned long long)pc->resident,
			 (unsigned long long)counted);
	return 0;
}

/* Map every resident page into our page tables (pagemap sees only
 * mapped pages); pages not cached stay out of the cache. */
static void fault_in_resident(const char *map, const unsigned char *vec,
			      uint64_t pages, long psize)
{
	volatile char sink;

	for (uint64_t p = 0; p < pages; p++)
		if (vec[p] & 1)
			sink = map[p * psize];
	(void)sink;
}

static int walk_mapping(struct page_cache_layout *pc, const char *map,
			const unsigned char *vec, long psize)
{
	struct walk w = {.pages = pc->pages, .kpf = -1};
	size_t len = pc->pages * sizeof(uint64_t);
	uint64_t *ent = malloc(len);
	const char *file = "/proc/self/pagemap";
	int pagemap, ret = 0;

	pagemap = open(file, O_RDONLY | O_CLOEXEC);
	if (pagemap >= 0) {
		file = "/proc/kpageflags";
		w.kpf = open(file, O_RDONLY | O_CLOEXEC);
	}
	if (pagemap < 0 || w.kpf < 0 || !ent) {
		ret = ent ? -errno : -ENOMEM;
		goto out;
	}
	fault_in_resident(map, vec, pc->pages, psize);
	file = "/proc/self/pagemap";
	if (pread(pagemap, ent, len, (uintptr_t)map / psize * sizeof(*ent)) !=
	    (ssize_t)len) {
		ret = -EIO;
		goto out;
	}
	w.ent = ent;
	file = "/proc/kpageflags";
	ret = count_folios(pc, &w);
out:
	if (ret && !pc->note[0])
		snprintf(pc->note, sizeof(pc->note), "cannot read %s: %s%s",
			 file, strerror(-ret),
			 ret == -EACCES || ret == -EPERM
				 ? " (needs CAP_SYS_ADMIN)"
				 : "");
	if (pagemap >= 0)
		close(pagemap);
	if (w.kpf >= 0)
		close(w.kpf);
	free(ent);
	return ret;
}

void page_cache_measure(struct page_cache_layout *pc, int fd, uint64_t size,
			bool dax)
{
	long psize = sysconf(_SC_PAGESIZE);
	unsigned char *vec = NULL;
	char *map;

	memset(pc, 0, sizeof(*pc));
	pc->measured = true;
	pc->pages = (size + psize - 1) / psize;
	if (dax) {
		snprintf(pc->note, sizeof(pc->note),
			 "DAX: the target has no page cache");
		return;
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map != MAP_FAILED)
		vec = malloc(pc->pages);
	if (map == MAP_FAILED || !vec || mincore(map, size, vec)) {
		snprintf(pc->note, sizeof(pc->note),
			 "cannot map the target to see its page cache: %s",
			 strerror(errno));
		goto out;
	}
	for (uint64_t p = 0; p < pc->pages; p++)
		pc->resident += vec[p] & 1;
	pc->known = walk_mapping(pc, map, vec, psize) == 0;
	if (!pc->known)
		memset(pc->by_order, 0, sizeof(pc->by_order));
out:
	free(vec);
	if (map != MAP_FAILED)
		munmap(map, size);
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
