// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "sched_group.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target.h"
#include "wac.h"

/* "cpu" is one of the comma-separated words of list. */
static bool has_cpu(const char *list)
{
	size_t n = strlen(list);
	const char *p = list;

	while ((p = strstr(p, "cpu"))) {
		bool start = p == list || p[-1] == ',';
		bool end = p + 3 == list + n || p[3] == ',' || p[3] == '\n';

		if (start && end)
			return true;
		p += 3;
	}
	return false;
}

/* The mount point of the cgroup v1 hierarchy with the cpu controller. */
static int find_cpu_hierarchy(char *root, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		struct mount_entry m;

		if (!mountinfo_parse(line, &m) && !strcmp(m.fs, "cgroup") &&
		    has_cpu(m.opts)) {
			snprintf(root, len, "%s", m.mnt);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* This process's cgroup in the cpu hierarchy ("/" at the top). */
static int own_cpu_cgroup(char *path, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[4096];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'),
		     *p = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!p)
			continue;
		*p = '\0';
		if (has_cpu(ctl + 1)) {
			p[strcspn(p + 1, "\n") + 1] = '\0';
			snprintf(path, len, "%s", p + 1);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

static void group_dir(const struct sched_groups *g, unsigned i, char *dir,
		      size_t len)
{
	snprintf(dir, len, "%s/wac-%d.%u", g->root, (int)getpid(), i);
}

/* Write tid to the tasks file of dir. */
static int move_task(const char *dir, pid_t tid)
{
	char path[PATH_MAX + 8], num[24];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), "%s/tasks", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(num, sizeof(num), "%d", (int)tid);
	if (write(fd, num, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

int sched_groups_make(struct sched_groups *g, unsigned n)
{
	char own[PATH_MAX], dir[PATH_MAX + 32];
	int ret = find_cpu_hierarchy(g->root, sizeof(g->root));

	if (ret) {
		wac_err("--sched-groups: no cgroup v1 cpu hierarchy is mounted "
			"(cgroup v2 cannot give threads top-level groups)");
		return ret;
	}
	ret = own_cpu_cgroup(own, sizeof(own));
	if (!ret && strcmp(own, "/")) {
		wac_err("--sched-groups: wac is in cpu cgroup %s, where "
			"autogroup does not apply: run it from the top",
			own);
		return -EINVAL;
	}
	for (g->n = 0; g->n < n; g->n++) {
		group_dir(g, g->n, dir, sizeof(dir));
		if (mkdir(dir, 0755)) {
			ret = -errno;
			wac_err("--sched-groups: mkdir %s: %s", dir,
				strerror(-ret));
			goto undo;
		}
	}
	/* what every thread will do, tried once here and undone */
	group_dir(g, 0, dir, sizeof(dir));
	ret = move_task(dir, gettid());
	if (!ret)
		ret = move_task(g->root, gettid());
	if (ret) {
		wac_err("--sched-groups: cannot move a thread into %s: %s", dir,
			strerror(-ret));
		goto undo;
	}
	return 0;
undo:
	sched_groups_remove(g);
	return ret;
}

int sched_groups_join(struct sched_groups *g, unsigned i)
{
	char dir[PATH_MAX + 32];
	int ret;

	group_dir(g, i, dir, sizeof(dir));
	ret = move_task(dir, gettid());
	if (ret)
		wac_err("--sched-groups: thread %u stays in the process's "
			"group: %s: %s",
			i, dir, strerror(-ret));
	else
		atomic_fetch_add(&g->joined, 1);
	return ret;
}

void sched_groups_remove(struct sched_groups *g)
{
	char dir[PATH_MAX + 32];

	for (unsigned i = 0; i < g->n; i++) {
		group_dir(g, i, dir, sizeof(dir));
		if (rmdir(dir) && errno != ENOENT)
			wac_err("warning: --sched-groups: rmdir %s: %s", dir,
				strerror(errno));
	}
}
