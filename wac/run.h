/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_RUN_H
#define WAC_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "direct_path.h"
#include "engine.h"
#include "errors.h"
#include "judge.h"
#include "kmsg.h"
#include "metrics.h"
#include "oracle.h"
#include "page_cache.h"
#include "sched_group.h"
#include "target.h"
#include "verify.h"
#include "watchdog.h"
#include "wac.h"

/* A unit written but not yet covered by a successful sync. */
struct pending {
	uint64_t unit;
	uint32_t gen;
};

/*
 * Profile F: one O_DIRECT source buffer in the shared mapping.  seq is a
 * seqlock: odd while someone stamps the buffer.  A write whose seq moved
 * between submit and completion raced with a scribbler.
 */
struct f_slot {
	_Atomic uint32_t seq;
	atomic_flag busy;
	_Atomic uint64_t unit; /* UINT64_MAX = nothing stamped yet */
	_Atomic uint32_t gen;
	char *buf;
};

struct wac_run;

/* The churn ops a churner cycles through (worker_churn.c's table). */
enum churn_op {
	CHURN_PUNCH,
	CHURN_ZERO,
	CHURN_TRUNCATE,
	CHURN_REALLOC,
	CHURN__COUNT,
};

/*
 * What the churners and the mmap threads share about the tail region.
 * tail_seq is odd while the tail churner has the file cut short;
 * tail_cuts[i] counts the cuts that took tail unit i.  An mmap thread
 * notes tail_cuts of its unit at each store (tail_seen), so that after
 * the run a unit cut since its last store is known to be a hole.
 */
struct churn_shared {
	_Atomic uint32_t tail_seq;
	_Atomic uint32_t *tail_cuts; /* [units - tail_first] */
	uint32_t *tail_seen; /* [units - tail_first], by the unit's owner */
	_Atomic uint64_t sigbus_expected;
	_Atomic bool unsupported[CHURN__COUNT]; /* EOPNOTSUPP, or no file */
	_Atomic int unsupported_errno[CHURN__COUNT];
	_Atomic uint64_t units_holed; /* units made holes, all ops */
};

/* A run of consecutive units one churner owns. */
struct churn_extent {
	uint64_t first, n;
};

struct wac_thread {
	struct wac_run *run;
	unsigned idx;
	int owner; /* owner index in the oracle, -1 for scribblers */
	enum wac_kind kind;
	int fd;
	char *map;
	pthread_t pthread;
	struct heartbeat hb;
	uint64_t rng;
	uint64_t owned; /* units owned */
	uint32_t *units; /* the units owned, [owned] */
	struct thread_metrics metrics;
	struct pending *pending;
	unsigned npending, pending_max;
	char *buf; /* record buffer, --block bytes, aligned */
	struct f_slot *slots; /* profile F: this writer's source buffers */
	struct churn_extent *extents; /* churner: its units as runs */
	unsigned nextents;
	unsigned churn_step; /* churner: where in its cycle it is */
	uint64_t tail_idx; /* mmap thread: units[tail_idx..] are in the tail */
	int error; /* setup error in the thread, -errno */
};

struct wac_run {
	struct wac_config *cfg;
	struct target_info ti;
	struct wac_oracle oracle;
	int layout; /* enum layout actually used */
	int fd; /* opened at start: its errseq sees every writeback error */
	bool target_created; /* the run made TARGET (it did not exist) */
	int64_t target_size_before; /* a regular file's size, else -1 */
	struct wac_thread *threads;
	unsigned nthreads;
	struct heartbeat main_hb;
	atomic_bool stop;
	struct sched_groups groups; /* --sched-groups */
	struct syscall_errors errs;
	struct kmsg_monitor kmsg;
	struct watchdog watchdog;
	struct verify_result verify;
	struct direct_path direct;
	struct page_cache_layout page_cache; /* at the end of the run */
	struct hang_report *hangs;
	unsigned nhangs;
	char *fsrc; /* profile F source mapping */
	size_t fsrc_len;
	struct f_slot *fslots;
	unsigned nfslots;
	struct churn_shared churn;
	struct dev_stat stat_before, stat_after;
	uint64_t start_ns, stop_ns;
	time_t started_wall;
	uint64_t wall_start_ns;
	bool interrupted;
	bool final_sync_done;
	int final_sync_err;
	char setup_error[256];
	pthread_mutex_t report_lock;
};

/* The whole run: setup, threads, quiesce, verify, result.  Exit status. */
int wac_run(struct wac_config *cfg);

/* 'wac verify --state': exit status. */
int wac_verify(struct wac_config *cfg);

/* setup.c: target, geometry, oracle, threads.  0 or -errno (message
 * printed and kept in run->setup_error). */
int run_setup(struct wac_run *run);

/* After a failed setup: remove a TARGET the run created, or cut a file
 * the prefill grew back to its old size (a half-filled file is no use). */
void run_setup_undo(struct wac_run *run);

/* Thread bodies (worker.c, worker_direct.c). */
void *write_thread(void *arg);
void *mmap_thread(void *arg);
void *direct_thread(void *arg);
void *scribble_thread(void *arg);
void *churn_thread(void *arg);

/* worker_churn.c: a churner's extents and buffers; the tail arrays. */
int churn_setup_thread(struct wac_thread *t);
int churn_setup_run(struct wac_run *run);
void churn_free(struct wac_run *run);

/* After the threads stopped: tail units cut since their last store
 * become holes. */
void churn_reconcile(struct wac_run *run);

/* integrity.churn of the result; whether any freeing op succeeded
 * (else why: each op's errno or reason). */
struct json;
void churn_write_json(struct json *j, struct wac_run *run);
bool churn_happened(struct wac_run *run, char *why, size_t len);

/* mmap threads: a unit to store into, the tail's more often. */
uint64_t churn_pick_unit(struct wac_thread *t);

/* mmap threads: a store into the tail region, with the cut's seqlock;
 * true when the store landed. */
bool churn_tail_store(struct wac_thread *t, uint64_t unit, char *dst,
		      uintptr_t *bad, bool *expected);

/* Helpers shared by the thread bodies. */
uint64_t thread_pick_unit(struct wac_thread *t);
/* The draw thread_pick_unit makes: an index into t->units. */
uint32_t thread_pick_index(struct wac_thread *t);
uint64_t thread_rand(struct wac_thread *t);
void stamp_unit(const struct wac_oracle *o, char *dst, uint64_t unit,
		uint32_t gen, unsigned writer, enum wac_kind kind,
		uint16_t variant);
void thread_stamp_unit(struct wac_thread *t, char *dst, uint64_t unit,
		       uint32_t gen, uint16_t variant);
void thread_promise_pending(struct wac_thread *t);
void thread_add_pending(struct wac_thread *t, uint64_t unit, uint32_t gen);
void thread_sync_range(struct wac_thread *t, uint64_t *lo, uint64_t *hi);
void thread_sync_writes(struct wac_thread *t);

/* Result document and the human summary (result.c). */
int result_write(struct wac_run *run, const char *verdict, int exit_status,
		 char reasons[][160], unsigned nreasons);
void summary_print(struct wac_run *run, const char *verdict,
		   char reasons[][160], unsigned nreasons);

/* per[] = each thread's metrics (room for run->nthreads), sum = their sum. */
void run_metrics(struct wac_run *run, struct thread_metrics **per,
		 struct thread_metrics *sum);

#define REASONS_MAX 16

#endif
