// SPDX-License-Identifier: GPL-2.0
/*
 * The one judge: the verdict and its reasons over all four channels, and
 * the list of channels that fired, both from the same tables (the kernel
 * log's in kmsg_classes.def, the verify classes' in verify.c).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"
#include "run.h"

static void add_reason(char reasons[][160], unsigned *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_reason(char reasons[][160], unsigned *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= REASONS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(reasons[(*n)++], 160, fmt, ap);
	va_end(ap);
}

static void judge_verify(struct wac_run *run, char reasons[][160], unsigned *n)
{
	const struct verify_result *v = &run->verify;

	if (!v->done) {
		add_reason(reasons, n, "verify pass failed: %s",
			   v->error[0] ? v->error : "not run");
		return;
	}
	for (int c = 0; c < V__COUNT; c++)
		if (verify_class_fails(c) && v->counts[c])
			add_reason(reasons, n, "%llu sector%s %s",
				   (unsigned long long)v->counts[c],
				   v->counts[c] == 1 ? "" : "s",
				   verify_class_name(c));
}

static void judge_syscalls(struct wac_run *run, char reasons[][160],
			   unsigned *n)
{
	const struct syscall_errors *e = &run->errs;
	char buf[16];

	for (int op = 0; op < OP__COUNT; op++) {
		if (!e->by_op[op])
			continue;
		for (unsigned i = 0; i < e->nfirst; i++) {
			if (e->first[i].op != (enum wac_op)op)
				continue;
			add_reason(
				reasons, n, "%llu %s error%s (first: %s)",
				(unsigned long long)e->by_op[op], op_name(op),
				e->by_op[op] == 1 ? "" : "s",
				errno_name(e->first[i].err, buf, sizeof(buf)));
			break;
		}
	}
	if (e->contract_total)
		add_reason(reasons, n,
			   "%llu answer%s outside the syscall contract",
			   (unsigned long long)e->contract_total,
			   e->contract_total == 1 ? "" : "s");
}

static void judge_kmsg(struct wac_run *run, char reasons[][160], unsigned *n)
{
	const struct kmsg_monitor *k = &run->kmsg;

	for (int c = 0; c < KM__COUNT; c++)
		if (kmsg_class_fails(c) && k->counts[c])
			add_reason(reasons, n, "kernel log: %llu %s message%s",
				   (unsigned long long)k->counts[c],
				   kmsg_class_name(c),
				   k->counts[c] == 1 ? "" : "s");
}

static uint64_t succeeded(const struct thread_metrics *m, enum wac_op op)
{
	return m->ops[op].count - m->ops[op].errors;
}

/*
 * A pass must mean the path was exercised: at least one successful
 * operation of each thread kind the run had, and a verify that read
 * something.  Otherwise the run is an error with the reason (a duration
 * too short to start, a target no thread could write ...).
 */
static bool untested(struct wac_run *run, char reasons[][160], unsigned *n)
{
	struct thread_metrics *per[run->nthreads + 1], sum;
	const struct wac_config *cfg = run->cfg;

	if (run->verify.done && !run->verify.sectors)
		add_reason(reasons, n,
			   "nothing tested: the verify pass read no sector");
	if (cfg->verify_only)
		return *n;
	run_metrics(run, per, &sum);
	if (cfg->writers && !succeeded(&sum, OP_WRITE) &&
	    !succeeded(&sum, OP_DIRECT_WRITE))
		add_reason(reasons, n,
			   "nothing tested: no successful write by %u writer "
			   "thread%s",
			   cfg->writers, cfg->writers == 1 ? "" : "s");
	if (cfg->mmappers && !succeeded(&sum, OP_MMAP_STORE) &&
	    !succeeded(&sum, OP_SCRIBBLE))
		add_reason(reasons, n,
			   "nothing tested: no store by %u mmap thread%s",
			   cfg->mmappers, cfg->mmappers == 1 ? "" : "s");
	if (cfg->churners) {
		char why[120];

		if (!churn_happened(run, why, sizeof(why)))
			add_reason(reasons, n,
				   "nothing tested: no range freed by %u "
				   "churner%s (%s)",
				   cfg->churners, cfg->churners == 1 ? "" : "s",
				   why);
	}
	return *n;
}

int judge_run(struct wac_run *run, const char **verdict, char reasons[][160],
	      unsigned *nreasons)
{
	*nreasons = 0;
	if (run->nhangs) {
		for (unsigned i = 0; i < run->nhangs; i++)
			add_reason(reasons, nreasons,
				   "thread %d (%s) stuck in %s for %.1fs at %s",
				   run->hangs[i].thread, run->hangs[i].kind,
				   op_name(run->hangs[i].op),
				   run->hangs[i].seconds, run->hangs[i].wchan);
		*verdict = "hang";
		return WAC_EXIT_HANG;
	}
	judge_syscalls(run, reasons, nreasons);
	judge_kmsg(run, reasons, nreasons);
	judge_verify(run, reasons, nreasons);
	if (!*nreasons && untested(run, reasons, nreasons)) {
		*verdict = "error";
		return WAC_EXIT_USAGE;
	}
	*verdict = *nreasons ? "fail" : "pass";
	return *nreasons ? WAC_EXIT_FAIL : WAC_EXIT_PASS;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void channels_write(struct json *j, const char **names, unsigned n)
{
	const char *sorted[64];

	n = n > 64 ? 64 : n;
	memcpy(sorted, names, n * sizeof(*names));
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	json_arr_begin(j, "channels");
	for (unsigned i = 0; i < n; i++)
		if (!i || strcmp(sorted[i], sorted[i - 1]))
			json_str(j, NULL, sorted[i]);
	json_arr_end(j);
}

/* Channels not from the kernel-log table. */
static const char *const run_channels[] = {"syscall", "contract", "hang",
					   "verify:unreadable"};

/*
 * Channels the harness observes, not wac: no run of wac ever reports
 * them (channels_of_run), but they are named here so that `wac channels`
 * is the one list scenarios may expect.  md:mismatch is md's own check
 * after the run (harness/lib/md.sh): mismatch_cnt > 0, mirrors or parity
 * that disagree (results/wacresults/harnessdoc.py adds it).
 */
static const char *const harness_channels[] = {"md:mismatch"};

static bool syscall_fired(const struct wac_run *run)
{
	return run->errs.total || (run->final_sync_done && run->final_sync_err);
}

static unsigned add_channel(const char **out, unsigned n, unsigned max,
			    const char *name)
{
	if (!*name || n >= max)
		return n;
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(out[i], name))
			return n;
	out[n] = name;
	return n + 1;
}

/* "verify:torn" ... for the failing verify classes. */
static const char *verify_channel(enum verify_class c)
{
	static char names[V__COUNT][32];

	if (!names[c][0])
		snprintf(names[c], sizeof(names[c]), "verify:%s",
			 verify_class_name(c));
	return names[c];
}

unsigned channels_of_run(const struct wac_run *run, const char **out,
			 unsigned max)
{
	const struct verify_result *v = &run->verify;
	unsigned n = 0;

	if (syscall_fired(run))
		n = add_channel(out, n, max, "syscall");
	if (run->errs.contract_total)
		n = add_channel(out, n, max, "contract");
	if (run->nhangs)
		n = add_channel(out, n, max, "hang");
	for (int c = 0; c < KM__COUNT; c++)
		if (run->kmsg.counts[c])
			n = add_channel(out, n, max, kmsg_class_channel(c));
	if (!v->done && v->error[0])
		n = add_channel(out, n, max, "verify:unreadable");
	for (int c = 0; c < V__COUNT; c++)
		if (v->done && verify_class_fails(c) && v->counts[c])
			n = add_channel(out, n, max, verify_channel(c));
	return n;
}

unsigned channels_known(const char **out, unsigned max)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(run_channels) / sizeof(*run_channels);
	     i++)
		n = add_channel(out, n, max, run_channels[i]);
	for (size_t i = 0;
	     i < sizeof(harness_channels) / sizeof(*harness_channels); i++)
		n = add_channel(out, n, max, harness_channels[i]);
	for (int c = 0; c < KM__COUNT; c++)
		n = add_channel(out, n, max, kmsg_class_channel(c));
	for (int c = 0; c < V__COUNT; c++)
		if (verify_class_fails(c))
			n = add_channel(out, n, max, verify_channel(c));
	qsort(out, n, sizeof(*out), cmp_str);
	return n;
}
