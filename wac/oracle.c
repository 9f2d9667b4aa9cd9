// SPDX-License-Identifier: GPL-2.0
#include "oracle.h"
#include "option_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int oracle_init(struct wac_oracle *o, uint64_t run_id, uint64_t size,
		uint32_t block, uint32_t sector_size, unsigned owners)
{
	memset(o, 0, sizeof(*o));
	o->run_id = run_id;
	o->size = size;
	o->block = block;
	o->sector_size = sector_size;
	o->units = size / block;
	o->owners = owners;
	o->tail_first = o->units;
	o->slice_n = 1;
	o->owner_kind = calloc(owners, 1);
	o->owner = calloc(o->units, sizeof(*o->owner));
	o->written = calloc(o->units, sizeof(*o->written));
	o->durable = calloc(o->units, sizeof(*o->durable));
	o->flags = calloc(o->units, 1);
	if (!o->owner_kind || !o->owner || !o->written || !o->durable ||
	    !o->flags) {
		oracle_free(o);
		return -ENOMEM;
	}
	return 0;
}

void oracle_free(struct wac_oracle *o)
{
	free(o->owner_kind);
	free(o->owner);
	free(o->written);
	free(o->durable);
	free(o->flags);
	o->owner_kind = NULL;
	o->owner = NULL;
	o->written = o->durable = NULL;
	o->flags = NULL;
}

void oracle_promise_all(struct wac_oracle *o)
{
	for (uint64_t u = 0; u < o->units; u++)
		if (!(o->flags[u] & UNIT_WRITE_FAILED))
			o->durable[u] = o->written[u];
	o->final_sync_ok = true;
}

static bool kind_uses_page_cache(uint8_t kind)
{
	return kind == KIND_WRITE || kind == KIND_MMAP;
}

bool oracle_page_collides(const struct wac_oracle *o, uint64_t unit,
			  uint32_t page_size)
{
	uint64_t first, last;

	if (o->owner_kind[oracle_owner(o, unit)] != KIND_DIRECT)
		return false;
	first = unit * o->block / page_size * page_size / o->block;
	last = ((unit + 1) * o->block + page_size - 1) / page_size * page_size /
	       o->block;
	for (uint64_t u = first; u < last && u < o->units; u++)
		/* another slice's unit: its process may well be buffered */
		if (!oracle_owns(o, u) ||
		    kind_uses_page_cache(o->owner_kind[oracle_owner(o, u)]))
			return true;
	return false;
}

const char *layout_name(enum layout l)
{
	return layout_names[l];
}

static void assign_interleave(struct wac_oracle *o)
{
	uint64_t i = 0;

	for (uint64_t u = 0; u < o->units; u++)
		if (oracle_owns(o, u))
			o->owner[u] = i++ % o->owners;
}

/* Owners of one class (O_DIRECT or page cache), dealt out round robin. */
struct dealer {
	uint16_t *who;
	unsigned n, next;
};

static void assign_segregate(struct wac_oracle *o, struct dealer *direct,
			     struct dealer *cached)
{
	uint64_t per_page = o->block >= 4096 ? 1 : 4096 / o->block;

	for (uint64_t u = 0; u < o->units; u++) {
		uint64_t page = u / per_page;
		struct dealer *d = page % 2 ? cached : direct;

		if (!oracle_owns(o, u))
			continue;
		if (!d->n)
			d = d == direct ? cached : direct;
		o->owner[u] = d->who[d->next++ % d->n];
	}
}

static int assign_segregated(struct wac_oracle *o)
{
	struct dealer direct = {0}, cached = {0};
	int ret = 0;

	direct.who = calloc(o->owners, sizeof(uint16_t));
	cached.who = calloc(o->owners, sizeof(uint16_t));
	if (!direct.who || !cached.who) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < o->owners; i++) {
		struct dealer *d =
			o->owner_kind[i] == KIND_DIRECT ? &direct : &cached;
		d->who[d->n++] = i;
	}
	assign_segregate(o, &direct, &cached);
out:
	free(direct.who);
	free(cached.who);
	return ret;
}

/* Region size of layout churn: 64 KiB, or an eighth of a small target
 * (whole pages where the block allows), and small enough that every
 * churner gets a region of its own (regions alternate), in units. */
static uint64_t churn_region_units(const struct wac_oracle *o, unsigned nchurn)
{
	uint64_t page_units = o->block >= 4096 ? 1 : 4096 / o->block;
	uint64_t r = CHURN_REGION_BYTES / o->block;

	if (!r)
		r = 1;
	while (r > page_units && r * 8 > o->units)
		r /= 2;
	while (r > 1 && (o->units + r - 1) / r < 2ull * nchurn + 1)
		r /= 2;
	return r;
}

/*
 * A churned region: all units to churner c but the odd ones of its first
 * page, which go to the sharers (A/B threads).  In the tail region the
 * odd units of every page go to the mmap threads only: their stores are
 * to meet the cut (a write() would only extend the file again).
 */
static void deal_churn_region(struct wac_oracle *o, uint64_t first,
			      uint64_t end, uint16_t c, struct dealer *share,
			      bool every_page)
{
	uint64_t page_units = o->block >= 4096 ? 1 : 4096 / o->block;

	for (uint64_t u = first; u < end; u++) {
		bool shared;

		if (!oracle_owns(o, u))
			continue;
		shared = page_units > 1 &&
			 (every_page || u - first < page_units) &&
			 (u - first) % 2 && share->n;

		o->owner[u] = shared ? share->who[share->next++ % share->n] : c;
	}
}

/* A sliced run's churn regions are the slice geometry's (oracle_slice_of):
 * region r odd is this slice's when (r / 2) mod N is K. */
static void assign_churn(struct wac_oracle *o, struct dealer *churn,
			 struct dealer *rest, struct dealer *mmap)
{
	unsigned N = o->slice_n;
	uint64_t ru =
		N > 1 ? o->slice_region_units : churn_region_units(o, churn->n);
	uint64_t nreg = (o->units + ru - 1) / ru;

	o->region_units = ru;
	for (uint64_t r = 0; r < nreg; r++) {
		uint64_t first = r * ru;
		uint64_t end = first + ru < o->units ? first + ru : o->units;
		bool tail = r == nreg - 1;

		if (tail && oracle_owns(o, first)) {
			o->tail_first = first;
			deal_churn_region(o, first, end, churn->who[0], mmap,
					  true);
		} else if (!tail && r % 2 && r / 2 % N == o->slice_k) {
			deal_churn_region(o, first, end,
					  churn->who[r / 2 / N % churn->n],
					  rest, false);
		} else {
			for (uint64_t u = first; u < end; u++)
				if (oracle_owns(o, u))
					o->owner[u] = rest->who[rest->next++ %
								rest->n];
		}
	}
}

static int assign_churned(struct wac_oracle *o)
{
	struct dealer d[3] = {0}; /* churners, the rest, mmap threads */
	int ret = 0;

	for (int i = 0; i < 3; i++)
		if (!(d[i].who = calloc(o->owners, sizeof(uint16_t))))
			ret = -ENOMEM;
	if (ret)
		goto out;
	for (unsigned i = 0; i < o->owners; i++) {
		uint8_t k = o->owner_kind[i];
		struct dealer *to = &d[k == KIND_CHURN ? 0 : 1];

		to->who[to->n++] = i;
		if (k == KIND_MMAP)
			d[2].who[d[2].n++] = i;
	}
	if (!d[0].n || !d[1].n)
		ret = -EINVAL;
	else
		assign_churn(o, &d[0], &d[1], &d[2]);
out:
	for (int i = 0; i < 3; i++)
		free(d[i].who);
	return ret;
}

static bool has_kind(const struct wac_oracle *o, enum wac_kind kind)
{
	for (unsigned i = 0; i < o->owners; i++)
		if (o->owner_kind[i] == kind)
			return true;
	return false;
}

static bool has_both_classes(const struct wac_oracle *o)
{
	bool direct = false, cached = false;

	for (unsigned i = 0; i < o->owners; i++) {
		if (o->owner_kind[i] == KIND_DIRECT)
			direct = true;
		else
			cached = true;
	}
	return direct && cached;
}

int oracle_assign(struct wac_oracle *o, enum layout layout)
{
	uint64_t *count;
	int ret = layout;

	if (layout == LAYOUT_AUTO && has_kind(o, KIND_CHURN))
		ret = layout = LAYOUT_CHURN;
	else if (layout == LAYOUT_AUTO)
		ret = layout = has_both_classes(o) ? LAYOUT_SEGREGATE
						   : LAYOUT_INTERLEAVE;
	if (layout == LAYOUT_CHURN) {
		int err = assign_churned(o);

		if (err)
			return err;
	} else if (layout == LAYOUT_SEGREGATE) {
		int err = assign_segregated(o);

		if (err)
			return err;
	} else {
		assign_interleave(o);
	}
	count = calloc(o->owners, sizeof(*count));
	if (!count)
		return -ENOMEM;
	for (uint64_t u = 0; u < o->units; u++)
		if (oracle_owns(o, u))
			count[o->owner[u]]++;
	for (unsigned i = 0; i < o->owners; i++)
		if (!count[i])
			ret = -EINVAL;
	free(count);
	return ret;
}

unsigned oracle_slice_of(const struct wac_oracle *o, uint64_t u)
{
	uint64_t ru = o->slice_region_units, r, off, page_units;
	unsigned N = o->slice_n, s;

	if (N <= 1)
		return 0;
	r = u / ru;
	if (r == (o->units + ru - 1) / ru - 1)
		return 0; /* the tail: ftruncate cuts all of it */
	if (r % 2 == 0)
		return u % N;
	s = r / 2 % N;
	off = u - r * ru;
	page_units = o->block >= 4096 ? 1 : 4096 / o->block;
	if (page_units > 1 && off < page_units && off % 2)
		return (s + 1) % N;
	return s;
}

void oracle_set_slice(struct wac_oracle *o, unsigned k, unsigned n)
{
	o->slice_k = k;
	o->slice_n = n ? n : 1;
	/* at least 2N + 1 regions, so that every slice has a churn region */
	o->slice_region_units = churn_region_units(o, o->slice_n);
	for (uint64_t u = 0; u < o->units; u++)
		o->owner[u] = oracle_slice_of(o, u) == k ? 0 : OWNER_NONE;
}
