/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_METRICS_H
#define WAC_METRICS_H

#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>

#include "hist.h"
#include "wac.h"

/*
 * Per-thread counters.  Only the owning thread writes them; the progress
 * line and a hang report read them from other threads, hence relaxed
 * atomics (plain loads and stores on x86).
 */
struct op_stats {
	uint64_t count;
	uint64_t bytes;
	uint64_t errors;
	uint64_t total_ns;
	uint64_t max_ns;
};

struct thread_metrics {
	struct op_stats ops[OP__COUNT];
	/* latency of each op kind, allocated on the kind's first op; only
	 * the owning thread writes, others read after it is joined */
	struct hist *lat[OP__COUNT];
};

static inline void stat_add(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v,
			 __ATOMIC_RELAXED);
}

static inline uint64_t stat_get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* One finished op of bytes bytes that started at start_ns. */
static inline void metrics_account(struct thread_metrics *m, enum wac_op op,
				   uint64_t bytes, uint64_t start_ns,
				   uint64_t end_ns, bool failed)
{
	struct op_stats *s = &m->ops[op];
	uint64_t ns = end_ns - start_ns;

	stat_add(&s->count, 1);
	stat_add(&s->bytes, bytes);
	stat_add(&s->total_ns, ns);
	if (failed)
		stat_add(&s->errors, 1);
	if (ns > stat_get(&s->max_ns))
		__atomic_store_n(&s->max_ns, ns, __ATOMIC_RELAXED);
	if (__builtin_expect(!m->lat[op], 0))
		m->lat[op] = calloc(1, sizeof(struct hist));
	if (m->lat[op])
		hist_add(m->lat[op], ns);
}

/* Sum of all threads' counters into out (no histograms). */
void metrics_sum(struct thread_metrics *out, struct thread_metrics *const *in,
		 unsigned n);

/* All threads' latency of op merged into out; false if none recorded. */
bool metrics_latency(struct hist *out, struct thread_metrics *const *in,
		     unsigned n, enum wac_op op);

void metrics_free(struct thread_metrics *m);

#endif
