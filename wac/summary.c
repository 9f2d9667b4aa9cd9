// SPDX-License-Identifier: GPL-2.0
/* The human summary a run prints when it ends. */
#include <stdio.h>
#include <string.h>

#include "run.h"

void summary_print(struct wac_run *run, const char *verdict,
		   char reasons[][160], unsigned nreasons)
{
	struct thread_metrics *per[run->nthreads + 1], sum;
	double secs = run->stop_ns > run->start_ns
			      ? (run->stop_ns - run->start_ns) / 1e9
			      : 0;
	FILE *out = run->cfg->json_path && !strcmp(run->cfg->json_path, "-")
			    ? stderr
			    : stdout;
	const struct verify_result *v = &run->verify;

	run_metrics(run, per, &sum);
	fprintf(out, "wac: profile %c, %u threads, %s on %s%s%s, %.1fs\n",
		run->cfg->profile, run->cfg->threads, run->ti.path,
		run->ti.fs_type[0] ? run->ti.fs_type : "raw device",
		run->ti.integrity_format[0] ? ", " : "",
		run->ti.integrity_format, secs);
	for (int op = OP_WRITE; op < OP_FINAL_SYNC; op++)
		if (sum.ops[op].count && secs > 0)
			fprintf(out,
				"  %-16s %10.0f ops/s %8.2f MB/s  %llu "
				"errors\n",
				op_name(op), sum.ops[op].count / secs,
				sum.ops[op].bytes / secs / 1e6,
				(unsigned long long)sum.ops[op].errors);
	if (v->done) {
		fprintf(out, "  verify: %llu sectors",
			(unsigned long long)v->sectors);
		for (int c = 0; c < V__COUNT; c++)
			fprintf(out, "%s %llu %s",
				c && verify_class_fails(c) &&
						!verify_class_fails(c - 1)
					? ";"
					: ",",
				(unsigned long long)v->counts[c],
				verify_class_name(c));
		fputc('\n', out);
	}
	if (!run->kmsg.available && !run->cfg->verify_only)
		fprintf(out, "  kernel log not watched: %s\n", run->kmsg.error);
	fprintf(out, "  verdict: %s\n", verdict);
	for (unsigned i = 0; i < nreasons; i++)
		fprintf(out, "    - %s\n", reasons[i]);
}
