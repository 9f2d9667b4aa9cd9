/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_SCHED_GROUP_H
#define WAC_SCHED_GROUP_H

#include <limits.h>
#include <stdatomic.h>

/*
 * --sched-groups: every generator thread in a CPU cgroup of its own at
 * the top of the cgroup v1 cpu hierarchy.  With kernel.sched_autogroup
 * on, the threads of one process share one scheduling group against the
 * kernel's writeback, loop and softirq threads, while N processes in N
 * sessions (fio's jobs) get one group each; this gives wac's threads
 * what fio's processes get.  cgroup v2 cannot: a thread may only move
 * to a threaded cgroup under its own process's.
 */
struct sched_groups {
	char root[PATH_MAX]; /* the cpu hierarchy's mount point */
	unsigned n; /* groups made: root/wac-PID.I for I < n */
	atomic_uint joined; /* threads that moved into theirs */
};

/* Make n groups; -errno after one line on stderr. */
int sched_groups_make(struct sched_groups *g, unsigned n);

/* Move the calling thread into group i. */
int sched_groups_join(struct sched_groups *g, unsigned i);

/* Remove the groups (their threads have exited); again is harmless. */
void sched_groups_remove(struct sched_groups *g);

#endif
