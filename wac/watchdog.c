// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "watchdog.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void read_proc(pid_t tid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int)tid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, len, "(unreadable: %m)");
		return;
	}
	n = read(fd, buf, len - 1);
	if (n < 0)
		snprintf(buf, len, "(unreadable: %m)");
	else
		buf[n] = '\0';
	close(fd);
	/* one-line files: drop the newline */
	n = strlen(buf);
	if (n && buf[n - 1] == '\n' && strcmp(what, "stack"))
		buf[n - 1] = '\0';
}

void hang_describe(struct hang_report *r)
{
	read_proc(r->tid, "wchan", r->wchan, sizeof(r->wchan));
	read_proc(r->tid, "syscall", r->syscall, sizeof(r->syscall));
	read_proc(r->tid, "stack", r->stack, sizeof(r->stack));
}

/* Ask the kernel to log all blocked (D state) tasks. */
static void sysrq_show_blocked(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "w", 1) < 0)
		perror("wac: sysrq-trigger");
	close(fd);
}

static unsigned collect_hangs(struct watchdog *w, struct hang_report *out)
{
	uint64_t limit = (uint64_t)(w->timeout_s * 1e9);
	unsigned n = 0;

	unsigned nbeats =
		atomic_load_explicit(&w->nbeats, memory_order_acquire);

	for (unsigned i = 0; i < nbeats && n < HANG_REPORTS_MAX; i++) {
		struct heartbeat *hb = w->beats[i];
		uint64_t start = atomic_load_explicit(&hb->op_start_ns,
						      memory_order_acquire);
		/* read the clock after the beat: an op that began after
		 * this scan started must not look 2^64 ns old */
		uint64_t now = now_ns();

		if (!start || now < start || now - start < limit)
			continue;
		out[n] = (struct hang_report){
			.thread = hb->thread,
			.tid = hb->tid,
			.kind = hb->thread < 0 ? "main" : kind_name(hb->kind),
			.op = atomic_load(&hb->op),
			.seconds = (now - start) / 1e9,
		};
		hang_describe(&out[n]);
		n++;
	}
	return n;
}

static void *watch(void *arg)
{
	struct watchdog *w = arg;
	static struct hang_report reports[HANG_REPORTS_MAX];
	double tick = w->timeout_s / 4 < 0.25 ? w->timeout_s / 4 : 0.25;
	struct timespec ts = {.tv_sec = 0, .tv_nsec = tick * 1e9};

	while (!atomic_load(&w->stop)) {
		unsigned n;

		nanosleep(&ts, NULL);
		n = collect_hangs(w, reports);
		if (!n)
			continue;
		if (w->sysrq)
			sysrq_show_blocked();
		w->on_hang(w->ctx, reports, n);
		break;
	}
	return NULL;
}

int watchdog_start(struct watchdog *w)
{
	atomic_store(&w->stop, false);
	if (pthread_create(&w->thread, NULL, watch, w))
		return -1;
	w->started = true;
	return 0;
}

void watchdog_stop(struct watchdog *w)
{
	if (!w->started)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	w->started = false;
}
