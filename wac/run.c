// SPDX-License-Identifier: GPL-2.0
/*
 * The life of a run: start the channels and threads, wait out the
 * duration (or a signal) with a progress line, quiesce, sync everything,
 * verify, judge and report.  A hang is reported from the watchdog thread,
 * which exits the process: threads stuck in D state cannot be joined.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "run.h"

static void *(*const thread_body[KIND__COUNT])(void *) = {
	[KIND_WRITE] = write_thread,   [KIND_MMAP] = mmap_thread,
	[KIND_DIRECT] = direct_thread, [KIND_SCRIBBLE] = scribble_thread,
	[KIND_CHURN] = churn_thread,
};

/* --sched-groups: a thread moves into its group before its first op. */
static void *thread_start(void *arg)
{
	struct wac_thread *t = arg;

	if (t->run->cfg->sched_groups)
		sched_groups_join(&t->run->groups, t->idx);
	return thread_body[t->kind](t);
}

static void on_hang(void *ctx, struct hang_report *reports, unsigned n)
{
	struct wac_run *run = ctx;
	char reasons[REASONS_MAX][160];
	unsigned nreasons = 0;
	const char *verdict;
	int status;

	pthread_mutex_lock(&run->report_lock);
	run->hangs = reports;
	run->nhangs = n;
	run->stop_ns = now_ns();
	status = judge_run(run, &verdict, reasons, &nreasons);
	kmsg_lock(&run->kmsg);
	result_write(run, verdict, status, reasons, nreasons);
	if (run->cfg->progress != 0)
		summary_print(run, verdict, reasons, nreasons);
	kmsg_unlock(&run->kmsg);
	fflush(NULL);
	_exit(status);
}

/* From the start, the watchdog watches the main thread: setup writes
 * (the prefill) can hang on a frozen or dying device too. */
static int start_watchdog(struct wac_run *run)
{
	struct watchdog *w = &run->watchdog;

	w->beats = calloc(run->cfg->threads + 1, sizeof(*w->beats));
	if (!w->beats)
		return -ENOMEM;
	w->beats[0] = &run->main_hb;
	atomic_store(&w->nbeats, 1);
	w->timeout_s = run->cfg->hang_timeout_s;
	w->sysrq = run->cfg->sysrq;
	w->on_hang = on_hang;
	w->ctx = run;
	if (watchdog_start(w))
		wac_err("warning: no watchdog thread: hangs go unreported");
	return 0;
}

/* Then the threads, once they exist (before they start). */
static void watch_threads(struct wac_run *run)
{
	struct watchdog *w = &run->watchdog;

	for (unsigned i = 0; i < run->nthreads; i++)
		w->beats[i + 1] = &run->threads[i].hb;
	atomic_store_explicit(&w->nbeats, run->nthreads + 1,
			      memory_order_release);
}

static int start_threads(struct wac_run *run)
{
	for (unsigned i = 0; i < run->nthreads; i++) {
		struct wac_thread *t = &run->threads[i];
		int ret = pthread_create(&t->pthread, NULL, thread_start, t);

		if (ret) {
			atomic_store(&run->stop, true);
			for (unsigned j = 0; j < i; j++)
				pthread_join(run->threads[j].pthread, NULL);
			wac_err("cannot start thread %u: %s", i, strerror(ret));
			return -ret;
		}
	}
	return 0;
}

static int start(struct wac_run *run)
{
	int ret = start_watchdog(run);

	if (!ret)
		ret = run_setup(run);
	if (!ret && churn_setup_run(run))
		ret = -ENOMEM;
	if (!ret && run->cfg->sched_groups)
		ret = sched_groups_make(&run->groups, run->nthreads);
	if (ret)
		return ret;
	/* from here on, lines about other disks are set aside */
	kmsg_lock(&run->kmsg);
	kmsg_scope_add_stack(&run->kmsg.scope, run->ti.device, 3);
	kmsg_unlock(&run->kmsg);
	watch_threads(run);
	return start_threads(run);
}

void run_metrics(struct wac_run *run, struct thread_metrics **per,
		 struct thread_metrics *sum)
{
	for (unsigned i = 0; i < run->nthreads; i++)
		per[i] = &run->threads[i].metrics;
	metrics_sum(sum, per, run->nthreads);
}

static void progress_line(struct wac_run *run, double elapsed, bool tty)
{
	static const enum wac_op shown[] = {
		OP_WRITE, OP_MMAP_STORE, OP_DIRECT_WRITE, OP_SCRIBBLE,
		OP_PUNCH, OP_ZERO_RANGE, OP_TRUNCATE,	  OP_REALLOC,
	};
	struct thread_metrics *per[run->nthreads], sum;

	run_metrics(run, per, &sum);
	fprintf(stderr, "%s[%5.0f/%.0fs]", tty ? "\r" : "", elapsed,
		run->cfg->duration_s);
	for (unsigned i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (sum.ops[shown[i]].count)
			fprintf(stderr, " %s %.0f/s", op_name(shown[i]),
				sum.ops[shown[i]].count / elapsed);
	fprintf(stderr, " errors %llu  %s", (unsigned long long)run->errs.total,
		tty ? "" : "\n");
}

/* Sleep out the duration; a SIGINT/SIGTERM/SIGHUP ends it early. */
static void wait_duration(struct wac_run *run, const sigset_t *sigs)
{
	bool tty = isatty(STDERR_FILENO);
	bool show = run->cfg->progress > 0 || (run->cfg->progress < 0 && tty);
	uint64_t end = run->start_ns + (uint64_t)(run->cfg->duration_s * 1e9);

	for (;;) {
		uint64_t now = now_ns();
		uint64_t left = now < end ? end - now : 0;
		uint64_t nap = left < 1000000000ull ? left : 1000000000ull;
		struct timespec ts = {nap / 1000000000ull, nap % 1000000000ull};
		int sig;

		if (!left)
			break;
		sig = sigtimedwait(sigs, NULL, &ts);
		if (sig > 0) {
			run->interrupted = true;
			wac_err("%s: stopping early, syncing and verifying",
				strsignal(sig));
			break;
		}
		if (show)
			progress_line(run, (now_ns() - run->start_ns) / 1e9,
				      tty);
	}
	if (show && tty)
		fputc('\n', stderr);
}

static void stop_threads(struct wac_run *run)
{
	atomic_store(&run->stop, true);
	for (unsigned i = 0; i < run->nthreads; i++)
		pthread_join(run->threads[i].pthread, NULL);
	run->stop_ns = now_ns();
}

/* fsync on the fd opened before the run: it sees every writeback error
 * of the run, including those already reported to a thread. */
static void final_sync(struct wac_run *run)
{
	hb_begin(&run->main_hb, OP_FINAL_SYNC);
	run->final_sync_err = fsync(run->fd) ? errno : 0;
	hb_end(&run->main_hb);
	run->final_sync_done = true;
	if (run->final_sync_err)
		note_syscall_error(&run->errs, OP_FINAL_SYNC,
				   run->final_sync_err, -1, 0);
	else
		oracle_promise_all(&run->oracle);
}

/* Mappings and fds go before the verify pass reads the target. */
static void close_threads(struct wac_run *run)
{
	for (unsigned i = 0; i < run->nthreads; i++) {
		struct wac_thread *t = &run->threads[i];

		if (t->map)
			munmap(t->map, run->cfg->size);
		if (t->fd >= 0)
			close(t->fd);
		t->map = NULL;
		t->fd = -1;
	}
	if (run->fsrc)
		munmap(run->fsrc, run->fsrc_len);
	run->fsrc = NULL;
}

/* Memory goes after the watchdog, which reads the heartbeats, stopped. */
static void free_threads(struct wac_run *run)
{
	close_threads(run);
	for (unsigned i = 0; i < run->nthreads; i++) {
		free(run->threads[i].pending);
		free(run->threads[i].units);
		metrics_free(&run->threads[i].metrics);
		free(run->threads[i].buf);
		free(run->threads[i].extents);
	}
	churn_free(run);
	free(run->threads);
	free(run->fslots);
	free(run->watchdog.beats);
	run->threads = NULL;
	run->nthreads = 0;
}

static int finish(struct wac_run *run)
{
	char reasons[REASONS_MAX][160];
	unsigned nreasons = 0;
	const char *verdict;
	int status;

	pthread_mutex_lock(&run->report_lock);
	status = judge_run(run, &verdict, reasons, &nreasons);
	if (run->cfg->state_path && run->oracle.written) {
		const struct wac_config *cfg = run->cfg;
		int ret;

		run->oracle.facts = (struct oracle_run_facts){
			.profile = cfg->profile,
			.threads = cfg->threads,
			.writers = cfg->writers,
			.mmappers = cfg->mmappers,
			.churners = cfg->churners,
			.direct = cfg->direct,
			.seed = cfg->seed,
			.duration_s = cfg->duration_s,
			.hang_timeout_s = cfg->hang_timeout_s,
			.sync_every = cfg->sync_every,
			.iodepth = cfg->iodepth,
			.write_sync = cfg->write_sync,
			.msync = cfg->msync,
			.f_mode = cfg->f_mode,
			.layout = run->layout > 0 ? run->layout : cfg->layout,
		};
		snprintf(run->oracle.facts.engine,
			 sizeof(run->oracle.facts.engine), "%s", cfg->engine);
		ret = oracle_save(&run->oracle, cfg->state_path);

		/* a verify that cannot follow is a setup error, not a pass */
		if (ret) {
			wac_err("cannot save state to %s: %s",
				run->cfg->state_path, strerror(-ret));
			snprintf(run->setup_error, sizeof(run->setup_error),
				 "cannot save state to %s: %s",
				 run->cfg->state_path, strerror(-ret));
			status = status ? status : WAC_EXIT_USAGE;
			verdict = status == WAC_EXIT_USAGE ? "error" : verdict;
		}
	}
	if (result_write(run, verdict, status, reasons, nreasons))
		status = status ? status : WAC_EXIT_USAGE;
	if (run->cfg->progress != 0)
		summary_print(run, verdict, reasons, nreasons);
	pthread_mutex_unlock(&run->report_lock);
	return status;
}

static void init_run(struct wac_run *run, struct wac_config *cfg)
{
	memset(run, 0, sizeof(*run));
	run->cfg = cfg;
	run->fd = -1;
	run->main_hb.thread = -1;
	run->main_hb.tid = gettid();
	run->started_wall = time(NULL);
	run->wall_start_ns = now_ns();
	errors_init(&run->errs);
	pthread_mutex_init(&run->report_lock, NULL);
}

/* --prefill-only: the target full of this run's records, nothing else
 * (no threads, no verify, no result document). */
static int prefill_only(struct wac_run *run)
{
	int ret = run_setup(run);

	if (ret) {
		run_setup_undo(run);
		return WAC_EXIT_USAGE;
	}
	if (run->cfg->progress != 0)
		printf("wac: %s filled with %llu sectors of run %016llx\n",
		       run->ti.path,
		       (unsigned long long)(run->cfg->size /
					    run->cfg->sector_size),
		       (unsigned long long)run->oracle.run_id);
	close(run->fd);
	oracle_free(&run->oracle);
	return WAC_EXIT_PASS;
}

int wac_run(struct wac_config *cfg)
{
	static struct wac_run run;
	sigset_t sigs;
	int status;

	/* Block the stop signals everywhere; the main thread waits for
	 * them, so a ^C still syncs, verifies and writes a result. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	init_run(&run, cfg);
	if (cfg->prefill_only)
		return prefill_only(&run);
	if (fault_install())
		wac_err("cannot catch SIGBUS: a refused store will kill wac");
	kmsg_start(&run.kmsg);
	if (start(&run)) {
		sched_groups_remove(&run.groups);
		run_setup_undo(&run);
		watchdog_stop(&run.watchdog);
		kmsg_stop(&run.kmsg);
		run.stop_ns = now_ns();
		free_threads(&run);
		result_write(&run, "error", WAC_EXIT_USAGE, NULL, 0);
		return WAC_EXIT_USAGE;
	}
	target_read_stat(&run.ti, &run.stat_before);
	run.start_ns = now_ns();
	wait_duration(&run, &sigs);
	stop_threads(&run);
	sched_groups_remove(&run.groups);
	churn_reconcile(&run);
	final_sync(&run);
	target_read_stat(&run.ti, &run.stat_after);
	close_threads(&run);
	direct_path_measure(&run);
	page_cache_measure(&run.page_cache, run.fd, run.oracle.size,
			   run.ti.dax == 1);
	verify_target(&run.oracle, run.ti.path, &run.verify, &run.main_hb);
	/* Let the kernel log what the last I/O provoked before we stop. */
	usleep(200000);
	kmsg_stop(&run.kmsg);
	watchdog_stop(&run.watchdog);
	status = finish(&run);
	free_threads(&run);
	close(run.fd);
	oracle_free(&run.oracle);
	return status;
}
