/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_KMSG_H
#define WAC_KMSG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The kernel-log channel: new /dev/kmsg records, classified by the table
 * in kmsg_classes.def. */
enum kmsg_class {
#define KMSG_CLASS(id, name, channel, fails) KM_##id,
#define KMSG_MATCH(id, needle, exact_case)
#include "kmsg_classes.def"
#undef KMSG_CLASS
#undef KMSG_MATCH
	KM__COUNT,
};

#define KMSG_LINES_MAX 32
#define KMSG_SCOPE_MAX 16

/* The devices a run's kernel-log lines may name (kmsg_scope.c); empty:
 * every line counts. */
struct kmsg_scope {
	char dev[KMSG_SCOPE_MAX][32];
	unsigned n;
};

void kmsg_scope_add(struct kmsg_scope *s, const char *name);
void kmsg_scope_add_stack(struct kmsg_scope *s, const char *dev, int depth);
bool kmsg_scope_covers(const struct kmsg_scope *s, const char *msg);

/* Why a matching line was set aside instead of counted. */
struct kmsg_set_aside {
	uint64_t not_kernel; /* written to /dev/kmsg by a process */
	uint64_t other_device; /* names only devices outside the scope */
};

/* A /dev/kmsg record's facility is the kernel's (0), not a process's. */
bool kmsg_record_from_kernel(const char *record);

struct kmsg_monitor {
	int fd;
	bool available;
	char error[128];
	uint64_t counts[KM__COUNT];
	char *lines[KMSG_LINES_MAX];
	unsigned nlines;
	struct kmsg_scope scope;
	struct kmsg_set_aside set_aside;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	pthread_mutex_t lock;
};

/* Class of one log message, or -1 when it is not a finding. */
int kmsg_classify(const char *msg);
const char *kmsg_class_name(enum kmsg_class c);

/* The channel a class fires ("" for none). */
const char *kmsg_class_channel(enum kmsg_class c);

/* True for classes that fail a run (I/O and integrity, hangs, BUGs). */
bool kmsg_class_fails(enum kmsg_class c);

/* The message part of one log line: a /dev/kmsg record
 * ("6,123,456,-;msg"), a console or dmesg line ("[   12.345] msg"), or
 * the line itself. */
const char *kmsg_message(const char *line);

/* Start reading records logged from now on.  Never fails the run. */
void kmsg_start(struct kmsg_monitor *m);

/* Read what is left and stop the reader thread. */
void kmsg_stop(struct kmsg_monitor *m);

/* Snapshot of counts and lines under the lock (for a hang report). */
void kmsg_lock(struct kmsg_monitor *m);
void kmsg_unlock(struct kmsg_monitor *m);

#endif
