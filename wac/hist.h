/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_HIST_H
#define WAC_HIST_H

#include <stdint.h>

/*
 * Log-linear latency histogram (as HdrHistogram and fio's clat): values
 * below 32 ns get a bucket each; above, every power of two is split into
 * 32 equal buckets, so a reported percentile is within 1/64 (1.6%) of
 * the truth.  Recording is one shift and one add: cheap enough for every
 * op.  Covers up to 2^48 ns (3 days).
 */
#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_BITS 48
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t buckets[HIST_BUCKETS];
};

static inline unsigned hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < HIST_SUB)
		return v;
	if (v >> HIST_MAX_BITS)
		v = (1ull << HIST_MAX_BITS) - 1;
	msb = 63 - __builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
}

static inline void hist_add(struct hist *h, uint64_t v)
{
	h->buckets[hist_index(v)]++;
	h->count++;
}

/* Middle of bucket i: the value a percentile in it reports. */
uint64_t hist_bucket_mid(unsigned i);

/* Add src into dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The value at fraction q (0 < q <= 1) of the samples; 0 if empty. */
uint64_t hist_quantile(const struct hist *h, double q);

#endif
