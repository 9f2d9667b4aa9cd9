// SPDX-License-Identifier: GPL-2.0
/* Unit tests of --slice K/N: the slices partition the target, churn
 * regions and the tail are owned whole, a slice's layout deals only its
 * own units, and the state file keeps the slice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "../oracle.h"

/* 1 MiB of 512-byte units, three owners: write, mmap, churn. */
static void sliced(struct wac_oracle *o, unsigned k, unsigned n)
{
	assert_int_equal(oracle_init(o, 0x51, 1 << 20, 512, 512, 3), 0);
	o->owner_kind[0] = KIND_WRITE;
	o->owner_kind[1] = KIND_MMAP;
	o->owner_kind[2] = KIND_CHURN;
	oracle_set_slice(o, k, n);
}

void slice_partition(void **state)
{
	static const unsigned ns[] = {1, 2, 3, 5};
	struct wac_oracle o;

	(void)state;
	for (size_t i = 0; i < sizeof(ns) / sizeof(*ns); i++) {
		unsigned n = ns[i], *owned = calloc(n, sizeof(*owned));

		assert_non_null(owned);
		sliced(&o, 0, n);
		for (uint64_t u = 0; u < o.units; u++) {
			assert_true(oracle_slice_of(&o, u) < n);
			owned[oracle_slice_of(&o, u)]++;
		}
		/* every slice has units, and a churn region of its own */
		for (unsigned k = 0; k < n; k++)
			assert_true(owned[k] > o.slice_region_units);
		oracle_free(&o);
		free(owned);
	}
}

void slice_geometry(void **state)
{
	struct wac_oracle o;
	uint64_t ru, nreg;

	(void)state;
	sliced(&o, 1, 2);
	ru = o.slice_region_units;
	nreg = o.units / ru;
	assert_int_equal(ru, 128); /* 64 KiB */
	/* region 0 is shared unit by unit: this slice has the odd units */
	for (uint64_t u = 0; u < ru; u++)
		assert_int_equal(oracle_owns(&o, u), u % 2 == 1);
	/* region 1 is slice 0's churn region but for the odd units of its
	 * first page (8 units), which are this slice's; region 3 is ours */
	for (uint64_t u = ru; u < 2 * ru; u++)
		assert_int_equal(oracle_owns(&o, u),
				 u - ru < 8 && (u - ru) % 2);
	for (uint64_t u = 3 * ru; u < 4 * ru; u++)
		assert_int_equal(oracle_owns(&o, u),
				 !(u - 3 * ru < 8 && (u - 3 * ru) % 2));
	/* the tail is slice 0's, whole */
	for (uint64_t u = (nreg - 1) * ru; u < o.units; u++)
		assert_false(oracle_owns(&o, u));
	/* the churn layout deals only owned units; slice 1 cuts no tail */
	assert_int_equal(oracle_assign(&o, LAYOUT_AUTO), LAYOUT_CHURN);
	assert_int_equal(o.tail_first, o.units);
	for (uint64_t u = 0; u < o.units; u++)
		if (oracle_owns(&o, u))
			assert_true(o.owner[u] < 3);
	/* our churn region goes to the churner, bar the first page's odd
	 * units (slice 0's) */
	for (uint64_t u = 3 * ru + 8; u < 4 * ru; u++)
		assert_int_equal(o.owner[u], 2);
	oracle_free(&o);
	/* slice 0 has the tail: churner on even units, mmap on odd ones */
	sliced(&o, 0, 2);
	assert_int_equal(oracle_assign(&o, LAYOUT_AUTO), LAYOUT_CHURN);
	assert_int_equal(o.tail_first, (nreg - 1) * ru);
	for (uint64_t u = o.tail_first; u < o.units; u++)
		assert_int_equal(o.owner[u], (u - o.tail_first) % 2 ? 1 : 2);
	oracle_free(&o);
}

void slice_state(void **state)
{
	char path[] = "/tmp/wac-unit-slice.XXXXXX";
	struct wac_oracle o, back;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	sliced(&o, 1, 3);
	assert_int_equal(oracle_assign(&o, LAYOUT_INTERLEAVE),
			 LAYOUT_INTERLEAVE);
	o.facts = three_thread_facts('A', LAYOUT_INTERLEAVE);
	assert_int_equal(oracle_save(&o, path), 0);
	assert_int_equal(oracle_load(&back, path), 0);
	assert_int_equal(back.slice_k, 1);
	assert_int_equal(back.slice_n, 3);
	for (uint64_t u = 0; u < o.units; u++)
		assert_int_equal(back.owner[u], o.owner[u]);
	oracle_free(&back);
	unlink(path);
	oracle_free(&o);
}
