// SPDX-License-Identifier: GPL-2.0
#include "metrics.h"

#include <string.h>

void metrics_sum(struct thread_metrics *out, struct thread_metrics *const *in,
		 unsigned n)
{
	memset(out, 0, sizeof(*out));
	for (unsigned t = 0; t < n; t++) {
		for (int op = 0; op < OP__COUNT; op++) {
			const struct op_stats *s = &in[t]->ops[op];
			struct op_stats *o = &out->ops[op];
			uint64_t max = stat_get(&s->max_ns);

			o->count += stat_get(&s->count);
			o->bytes += stat_get(&s->bytes);
			o->errors += stat_get(&s->errors);
			o->total_ns += stat_get(&s->total_ns);
			if (max > o->max_ns)
				o->max_ns = max;
		}
	}
}

bool metrics_latency(struct hist *out, struct thread_metrics *const *in,
		     unsigned n, enum wac_op op)
{
	memset(out, 0, sizeof(*out));
	for (unsigned t = 0; t < n; t++)
		if (in[t]->lat[op])
			hist_merge(out, in[t]->lat[op]);
	return out->count > 0;
}

void metrics_free(struct thread_metrics *m)
{
	for (int op = 0; op < OP__COUNT; op++) {
		free(m->lat[op]);
		m->lat[op] = NULL;
	}
}
