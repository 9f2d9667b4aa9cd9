/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_WATCHDOG_H
#define WAC_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "wac.h"

/*
 * Every thread that can block in the kernel publishes what it is doing.
 * An op in flight longer than the hang timeout is a hang: its kernel
 * stack is read from /proc while the thread is still stuck.
 */
struct heartbeat {
	_Atomic uint64_t op_start_ns; /* 0 = not in an op */
	_Atomic int op; /* enum wac_op */
	pid_t tid;
	int thread; /* -1 for the main thread */
	enum wac_kind kind;
};

/* An op began at start_ns (a clock read the caller already has). */
static inline void hb_begin_at(struct heartbeat *hb, enum wac_op op,
			       uint64_t start_ns)
{
	atomic_store_explicit(&hb->op, op, memory_order_relaxed);
	atomic_store_explicit(&hb->op_start_ns, start_ns, memory_order_release);
}

static inline void hb_begin(struct heartbeat *hb, enum wac_op op)
{
	hb_begin_at(hb, op, now_ns());
}

static inline void hb_end(struct heartbeat *hb)
{
	atomic_store_explicit(&hb->op_start_ns, 0, memory_order_release);
}

struct hang_report {
	int thread;
	pid_t tid;
	const char *kind;
	enum wac_op op;
	double seconds;
	char wchan[64];
	char syscall[128];
	char stack[2048];
};

#define HANG_REPORTS_MAX 16

/* Called once, from the watchdog thread, when a hang is seen. */
typedef void (*hang_fn)(void *ctx, struct hang_report *reports, unsigned n);

struct watchdog {
	struct heartbeat **beats; /* room for every beat from the start */
	_Atomic unsigned nbeats; /* how many are live: grows, never shrinks */
	double timeout_s;
	bool sysrq;
	hang_fn on_hang;
	void *ctx;
	pthread_t thread;
	atomic_bool stop;
	bool started;
};

int watchdog_start(struct watchdog *w);
void watchdog_stop(struct watchdog *w);

/* Read /proc/self/task/TID/{wchan,syscall,stack} into r. */
void hang_describe(struct hang_report *r);

#endif
