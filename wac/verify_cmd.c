// SPDX-License-Identifier: GPL-2.0
/* 'wac verify --state FILE TARGET': judge a target against a saved oracle. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

/* A target shorter or longer than the state covers is said plainly: the
 * sectors past its end read as lost, and that has a simpler cause. */
static void note_size_mismatch(struct wac_run *run, int fd)
{
	struct stat st;
	uint64_t have;

	if (fstat(fd, &st))
		return;
	have = S_ISBLK(st.st_mode) ? run->ti.bdev_size : (uint64_t)st.st_size;
	if (have == run->cfg->size)
		return;
	if (S_ISBLK(st.st_mode) && have > run->cfg->size)
		return; /* a device larger than the run's --size is normal */
	snprintf(run->setup_error, sizeof(run->setup_error),
		 "target %s is %llu bytes, the state covers %llu",
		 run->cfg->target, (unsigned long long)have,
		 (unsigned long long)run->cfg->size);
	wac_err("%s", run->setup_error);
}

static void on_stop_signal(int sig)
{
	verify_stop_signal = sig;
}

/* A SIGINT/SIGTERM/SIGHUP stops the verify, even where the signal came
 * in ignored (a background job of a script): the handler replaces that. */
static void catch_stop_signals(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Stopped by a signal: no verdict and no partial result; 128 + signo. */
static int stopped(struct wac_run *run)
{
	int sig = verify_stop_signal;

	wac_err("%s: verify stopped, no result written", strsignal(sig));
	oracle_free(&run->oracle);
	return 128 + sig;
}

int wac_verify(struct wac_config *cfg)
{
	static struct wac_run run;
	char reasons[REASONS_MAX][160];
	unsigned nreasons = 0;
	const char *verdict;
	int status, fd;

	run.cfg = cfg;
	run.fd = -1;
	run.started_wall = time(NULL);
	run.wall_start_ns = now_ns();
	errors_init(&run.errs);
	catch_stop_signals();
	if (oracle_load(&run.oracle, cfg->state_path))
		goto setup_error;
	if (cfg->slice_given && (cfg->slice_k != run.oracle.slice_k ||
				 cfg->slice_n != run.oracle.slice_n)) {
		wac_err("state file %s is of slice %u/%u, not --slice %u/%u: "
			"verify each slice with its own state",
			cfg->state_path, run.oracle.slice_k, run.oracle.slice_n,
			cfg->slice_k, cfg->slice_n);
		oracle_free(&run.oracle);
		goto setup_error;
	}
	cfg->slice_k = run.oracle.slice_k;
	cfg->slice_n = run.oracle.slice_n;
	/* the configuration is the run's, from the state file */
	cfg->size = run.oracle.size;
	cfg->block = run.oracle.block;
	cfg->sector_size = run.oracle.sector_size;
	cfg->profile = run.oracle.facts.profile;
	cfg->threads = run.oracle.facts.threads;
	cfg->writers = run.oracle.facts.writers;
	cfg->mmappers = run.oracle.facts.mmappers;
	cfg->churners = run.oracle.facts.churners;
	cfg->direct = run.oracle.facts.direct;
	cfg->seed = run.oracle.facts.seed;
	cfg->duration_s = run.oracle.facts.duration_s;
	cfg->hang_timeout_s = run.oracle.facts.hang_timeout_s;
	cfg->sync_every = run.oracle.facts.sync_every;
	cfg->iodepth = run.oracle.facts.iodepth;
	cfg->write_sync = run.oracle.facts.write_sync;
	cfg->msync = run.oracle.facts.msync;
	cfg->f_mode = run.oracle.facts.f_mode;
	cfg->layout = run.layout = run.oracle.facts.layout;
	cfg->engine = engine_find(run.oracle.facts.engine)->name;
	fd = target_open(cfg->target, &run.ti, O_RDONLY);
	if (fd < 0)
		goto setup_error;
	note_size_mismatch(&run, fd);
	close(fd);
	run.final_sync_done = true;
	run.final_sync_err = 0;
	verify_target(&run.oracle, cfg->target, &run.verify, NULL);
	if (verify_stop_signal)
		return stopped(&run);
	status = judge_run(&run, &verdict, reasons, &nreasons);
	if (result_write(&run, verdict, status, reasons, nreasons))
		status = status ? status : WAC_EXIT_USAGE;
	if (cfg->progress != 0)
		summary_print(&run, verdict, reasons, nreasons);
	oracle_free(&run.oracle);
	return status;

setup_error:
	if (verify_stop_signal)
		return stopped(&run);
	snprintf(run.setup_error, sizeof(run.setup_error),
		 "cannot verify %s with state %s", cfg->target,
		 cfg->state_path);
	result_write(&run, "error", WAC_EXIT_USAGE, NULL, 0);
	return WAC_EXIT_USAGE;
}
