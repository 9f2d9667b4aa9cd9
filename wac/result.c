// SPDX-License-Identifier: GPL-2.0
/* The wac/1 JSON document (the verdict: judge.c; the summary: summary.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "json.h"
#include "judge.h"
#include "option_table.h"
#include "run.h"

static void write_kernel(struct json *j)
{
	struct utsname u;
	char host[256] = "";
	/* with 1 a process's threads share one scheduling group against the
	 * kernel's writeback and block threads, and processes in sessions of
	 * their own (fio's jobs) get one each: psync8 differs by 10-25%;
	 * -1: no CONFIG_SCHED_AUTOGROUP */
	long autogroup = read_sysfs_long("/proc/sys/kernel",
					 "sched_autogroup_enabled", -1);

	gethostname(host, sizeof(host) - 1);
	json_str(j, "host", host);
	if (uname(&u))
		return;
	json_obj_begin(j, "kernel");
	json_str(j, "sysname", u.sysname);
	json_str(j, "release", u.release);
	json_str(j, "version", u.version);
	json_str(j, "machine", u.machine);
	if (autogroup >= 0)
		json_i64(j, "sched_autogroup", autogroup);
	else
		json_null(j, "sched_autogroup");
	json_obj_end(j);
}

static void write_config(struct json *j, const struct wac_run *run)
{
	const struct wac_config *cfg = run->cfg;

	json_obj_begin(j, "config");
	json_str(j, "mode", cfg->verify_only ? "verify" : "run");
	options_write_config(j, cfg);
	/* the layout this run resolved ("auto" picks one) */
	json_str(j, "layout",
		 layout_name(run->layout > 0 ? run->layout : cfg->layout));
	/* the evidence for --sched-groups: threads that moved into theirs */
	if (cfg->sched_groups)
		json_i64(j, "sched_groups_joined", run->groups.joined);
	else
		json_null(j, "sched_groups_joined");
	json_str(j, "target", cfg->target);
	json_obj_end(j);
}

/* Why a target has no device counters nor stable_writes: tmpfs and
 * overlayfs (an anonymous st_dev) have no block device of their own. */
static const char *no_device_reason(const struct target_info *ti)
{
	static __thread char why[64];

	snprintf(why, sizeof(why), "%s: no block device",
		 ti->fs_type[0] ? ti->fs_type : "target");
	return why;
}

static void write_target(struct json *j, const struct target_info *ti)
{
	json_obj_begin(j, "target");
	json_str(j, "path", ti->path);
	json_str(j, "kind", ti->is_blockdev ? "blockdev" : "file");
	if (ti->fs_type[0])
		json_str(j, "fs_type", ti->fs_type);
	else
		json_null(j, "fs_type");
	json_str(j, "device", ti->device[0] ? ti->device : NULL);
	json_str(j, "device_kind", ti->device_kind[0] ? ti->device_kind : NULL);
	json_str(j, "device_model",
		 ti->device_model[0] ? ti->device_model : NULL);
	json_u64(j, "major", ti->major);
	json_u64(j, "minor", ti->minor);
	json_u64(j, "sector_size", ti->logical_block_size);
	if (ti->stable_writes >= 0)
		json_i64(j, "stable_writes", ti->stable_writes);
	else
		json_null(j, "stable_writes");
	if (!ti->device[0])
		json_str(j, "stable_writes_na", no_device_reason(ti));
	if (ti->integrity_format[0]) {
		json_obj_begin(j, "integrity");
		json_str(j, "format", ti->integrity_format);
		json_u64(j, "tag_size", ti->integrity_tag_size);
		json_u64(j, "protection_interval_bytes",
			 ti->integrity_interval);
		json_obj_end(j);
	} else {
		json_null(j, "integrity");
	}
	if (ti->dax >= 0)
		json_bool(j, "dax", ti->dax);
	else
		json_null(j, "dax");
	json_obj_end(j);
}

static void write_op_stats(struct json *j, const char *key,
			   const struct op_stats *s, double secs)
{
	json_obj_begin(j, key);
	json_u64(j, "count", s->count);
	json_u64(j, "bytes", s->bytes);
	json_u64(j, "errors", s->errors);
	json_double(j, "ops_per_s", secs > 0 ? s->count / secs : 0);
	json_double(j, "mb_per_s", secs > 0 ? s->bytes / secs / 1e6 : 0);
	json_double(j, "mean_ns",
		    s->count ? (double)s->total_ns / s->count : 0);
	json_u64(j, "max_ns", s->max_ns);
	json_obj_end(j);
}

static void write_latency(struct json *j, struct thread_metrics *const *per,
			  unsigned n, const struct thread_metrics *sum)
{
	static struct hist h; /* 11 KiB: not on the stack */

	json_obj_begin(j, "latency_ns");
	for (int op = OP_WRITE; op < OP__COUNT; op++) {
		if (!metrics_latency(&h, per, n, op))
			continue;
		json_obj_begin(j, op_name(op));
		json_u64(j, "count", h.count);
		json_u64(j, "p50", hist_quantile(&h, 0.50));
		json_u64(j, "p90", hist_quantile(&h, 0.90));
		json_u64(j, "p99", hist_quantile(&h, 0.99));
		json_u64(j, "p999", hist_quantile(&h, 0.999));
		json_u64(j, "max", sum->ops[op].max_ns);
		json_double(j, "mean",
			    (double)sum->ops[op].total_ns / sum->ops[op].count);
		json_obj_end(j);
	}
	json_obj_end(j);
}

/* Counter deltas over the run and its final sync. */
static void write_device(struct json *j, const struct wac_run *run)
{
	const struct dev_stat *a = &run->stat_before, *b = &run->stat_after;

	if (!a->valid || !b->valid) {
		json_null(j, "device");
		json_str(j, "device_na",
			 run->ti.device[0] ? "the device has no stat file"
					   : no_device_reason(&run->ti));
		return;
	}
	json_obj_begin(j, "device");
	json_str(j, "name", run->ti.device);
	if (run->ti.stable_writes >= 0)
		json_i64(j, "stable_writes", run->ti.stable_writes);
	else
		json_null(j, "stable_writes");
	json_u64(j, "write_ios", b->write_ios - a->write_ios);
	json_u64(j, "write_sectors", b->write_sectors - a->write_sectors);
	json_u64(j, "write_ticks_ms", b->write_ticks_ms - a->write_ticks_ms);
	json_u64(j, "read_ios", b->read_ios - a->read_ios);
	json_u64(j, "read_sectors", b->read_sectors - a->read_sectors);
	json_u64(j, "flush_ios", b->flush_ios - a->flush_ios);
	json_u64(j, "in_queue_ms", b->in_queue_ms - a->in_queue_ms);
	json_obj_end(j);
}

static void write_metrics(struct json *j, struct wac_run *run)
{
	struct thread_metrics *per[run->nthreads + 1], sum;
	struct op_stats total = {0};
	double secs = run->start_ns && run->stop_ns > run->start_ns
			      ? (run->stop_ns - run->start_ns) / 1e9
			      : 0;

	run_metrics(run, per, &sum);
	json_obj_begin(j, "metrics");
	json_double(j, "duration_s", secs);
	json_obj_begin(j, "ops");
	for (int op = OP_WRITE; op < OP__COUNT; op++) {
		if (!sum.ops[op].count)
			continue;
		write_op_stats(j, op_name(op), &sum.ops[op], secs);
		if (op == OP_WRITE || op == OP_MMAP_STORE ||
		    op == OP_DIRECT_WRITE) {
			total.count += sum.ops[op].count;
			total.bytes += sum.ops[op].bytes;
		}
	}
	json_obj_end(j);
	write_op_stats(j, "total", &total, secs);
	write_latency(j, per, run->nthreads, &sum);
	write_device(j, run);
	json_obj_end(j);
}

static void write_verify(struct json *j, const struct verify_result *v)
{
	json_obj_begin(j, "verify");
	json_bool(j, "done", v->done);
	json_str(j, "error", v->error[0] ? v->error : NULL);
	json_str(j, "read_mode", v->read_mode);
	json_u64(j, "sectors", v->sectors);
	json_u64(j, "sectors_other_slices", v->other_slices);
	for (int c = 0; c < V__COUNT; c++)
		json_u64(j, verify_class_name(c), v->counts[c]);
	json_arr_begin(j, "first");
	for (unsigned i = 0; i < v->nfirst; i++) {
		const struct verify_finding *f = &v->first[i];

		json_obj_begin(j, NULL);
		json_u64(j, "sector", f->sector);
		json_str(j, "class", verify_class_name(f->cls));
		json_u64(j, "owner", f->owner);
		json_u64(j, "written_gen", f->written_gen);
		json_u64(j, "durable_gen", f->durable_gen);
		if (f->found_valid) {
			char run_id[20];

			snprintf(run_id, sizeof(run_id), "%016llx",
				 (unsigned long long)f->found_run);
			json_u64(j, "found_gen", f->found_gen);
			json_u64(j, "found_sector", f->found_sector);
			json_u64(j, "found_writer", f->found_writer);
			json_str(j, "found_run", run_id);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void write_syscalls(struct json *j, struct syscall_errors *e)
{
	char buf[16];

	json_obj_begin(j, "syscall_errors");
	json_u64(j, "total", e->total);
	json_obj_begin(j, "by_errno");
	for (int i = 0; i < ERRNO_MAX; i++)
		if (e->by_errno[i])
			json_u64(j, errno_name(i, buf, sizeof(buf)),
				 e->by_errno[i]);
	json_obj_end(j);
	json_obj_begin(j, "by_op");
	for (int op = 0; op < OP__COUNT; op++)
		if (e->by_op[op])
			json_u64(j, op_name(op), e->by_op[op]);
	json_obj_end(j);
	json_arr_begin(j, "first");
	for (unsigned i = 0; i < e->nfirst; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "op", op_name(e->first[i].op));
		json_str(j, "errno",
			 errno_name(e->first[i].err, buf, sizeof(buf)));
		json_i64(j, "thread", e->first[i].thread);
		json_u64(j, "offset", e->first[i].offset);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);

	json_obj_begin(j, "contract");
	json_u64(j, "total", e->contract_total);
	json_arr_begin(j, "first");
	for (unsigned i = 0; i < e->ncontract; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "op", op_name(e->contract[i].op));
		if (e->contract[i].signo) {
			/* a store has no return value: the signal it took */
			json_null(j, "returned");
			snprintf(buf, sizeof(buf), "SIG%s",
				 sigabbrev_np(e->contract[i].signo));
			json_str(j, "signal", buf);
			json_u64(j, "offset", e->contract[i].offset);
		} else {
			json_i64(j, "returned", e->contract[i].returned);
		}
		if (e->contract[i].err)
			json_str(j, "errno",
				 errno_name(e->contract[i].err, buf,
					    sizeof(buf)));
		json_str(j, "why", e->contract[i].why);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void write_kmsg(struct json *j, const struct kmsg_monitor *k,
		       bool verify_only)
{
	json_obj_begin(j, "kmsg");
	json_bool(j, "available", k->available);
	json_str(j, "error",
		 k->available ? NULL
			      : (verify_only ? "not monitored by wac verify"
					     : k->error));
	json_obj_begin(j, "counts");
	for (int c = 0; c < KM__COUNT; c++)
		json_u64(j, kmsg_class_name(c), k->counts[c]);
	json_obj_end(j);
	json_obj_begin(j, "set_aside");
	json_u64(j, "not_kernel", k->set_aside.not_kernel);
	json_u64(j, "other_device", k->set_aside.other_device);
	json_arr_begin(j, "scope");
	for (unsigned i = 0; i < k->scope.n; i++)
		json_str(j, NULL, k->scope.dev[i]);
	json_arr_end(j);
	json_obj_end(j);
	json_arr_begin(j, "lines");
	for (unsigned i = 0; i < k->nlines; i++)
		json_str(j, NULL, k->lines[i]);
	json_arr_end(j);
	json_obj_end(j);
}

static void write_integrity(struct json *j, struct wac_run *run)
{
	json_obj_begin(j, "integrity");
	write_verify(j, &run->verify);
	json_obj_begin(j, "final_sync");
	json_bool(j, "done", run->final_sync_done);
	json_bool(j, "ok", run->final_sync_done && !run->final_sync_err);
	if (run->final_sync_err) {
		char buf[16];

		json_str(j, "errno",
			 errno_name(run->final_sync_err, buf, sizeof(buf)));
	} else {
		json_null(j, "errno");
	}
	json_obj_end(j);
	write_syscalls(j, &run->errs);
	churn_write_json(j, run);
	write_kmsg(j, &run->kmsg, run->cfg->verify_only);
	json_obj_end(j);
}

static void write_hangs(struct json *j, struct wac_run *run)
{
	json_arr_begin(j, "hangs");
	for (unsigned i = 0; i < run->nhangs; i++) {
		const struct hang_report *h = &run->hangs[i];

		json_obj_begin(j, NULL);
		json_i64(j, "thread", h->thread);
		json_i64(j, "tid", h->tid);
		json_str(j, "kind", h->kind);
		json_str(j, "op", op_name(h->op));
		json_double(j, "seconds", h->seconds);
		json_str(j, "wchan", h->wchan);
		json_str(j, "syscall", h->syscall);
		json_str(j, "stack", h->stack);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void write_channels(struct json *j, const struct wac_run *run)
{
	const char *names[64];

	channels_write(j, names, channels_of_run(run, names, 64));
}

static void write_document(FILE *f, struct wac_run *run, const char *verdict,
			   int status, char reasons[][160], unsigned nreasons)
{
	struct json j;
	char when[32], run_id[20];
	struct tm tm;

	gmtime_r(&run->started_wall, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(run_id, sizeof(run_id), "%016llx",
		 (unsigned long long)run->oracle.run_id);
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "wac/1");
	json_str(&j, "version", WAC_VERSION);
	json_str(&j, "run_id", run_id);
	/* a verify is of a run, not a run: importers keep them apart */
	json_str(&j, "kind", run->cfg->verify_only ? "verify" : "run");
	json_str(&j, "of_run", run->cfg->verify_only ? run_id : NULL);
	json_str(&j, "started", when);
	json_double(&j, "wall_s", (now_ns() - run->wall_start_ns) / 1e9);
	json_str(&j, "verdict", verdict);
	json_i64(&j, "exit_status", status);
	json_arr_begin(&j, "reasons");
	if (run->setup_error[0])
		json_str(&j, NULL, run->setup_error);
	for (unsigned i = 0; i < nreasons; i++)
		json_str(&j, NULL, reasons[i]);
	json_arr_end(&j);
	write_channels(&j, run);
	json_bool(&j, "interrupted", run->interrupted);
	write_kernel(&j);
	write_config(&j, run);
	write_target(&j, &run->ti);
	write_metrics(&j, run);
	direct_path_write(&j, run);
	page_cache_write(&j, &run->page_cache);
	write_integrity(&j, run);
	write_hangs(&j, run);
	json_obj_end(&j);
}

int result_write(struct wac_run *run, const char *verdict, int status,
		 char reasons[][160], unsigned nreasons)
{
	const char *path = run->cfg->json_path;
	struct atomic_file a;
	int ret;

	if (!path)
		return 0;
	if (!strcmp(path, "-")) {
		write_document(stdout, run, verdict, status, reasons, nreasons);
		return fflush(stdout) ? -errno : 0;
	}
	ret = atomic_open(&a, path);
	if (!ret) {
		write_document(a.f, run, verdict, status, reasons, nreasons);
		ret = atomic_commit(&a, 0);
	}
	if (ret)
		wac_err("cannot write result %s: %s", path, strerror(-ret));
	return ret;
}
