// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pattern {
	enum kmsg_class cls;
	const char *needle; /* lower case, or exact when case matters */
	bool exact_case;
};

/*
 * Messages from scsi_debug (dif_verify), the block layer's T10 PI code,
 * sd's sense decoding, buffer heads, the hung task detector and the
 * BUG/WARN machinery.  Order matters: the first match wins.
 */
static const struct pattern patterns[] = {
	{ KM_GUARD, "guard check failed", false },
	{ KM_GUARD, "guard tag error", false },
	{ KM_REF, "ref check failed", false },
	{ KM_REF, "ref tag error", false },
	{ KM_REF, "reference tag check failed", false },
	{ KM_APP, "app tag check failed", false },
	{ KM_APP, "app tag error", false },
	{ KM_APP, "application tag check failed", false },
	{ KM_PROTECTION, "protection error", false },
	{ KM_PROTECTION, "protection information", false },
	{ KM_DIO_COLLISION, "page cache invalidation failure", false },
	{ KM_IO_ERROR, "buffer i/o error", false },
	{ KM_IO_ERROR, "i/o error", false },
	{ KM_IO_ERROR, "lost async page write", false },
	{ KM_IO_ERROR, "critical medium error", false },
	{ KM_HUNG_TASK, "blocked for more than", false },
	{ KM_BUG_WARNING, "soft lockup", false },
	{ KM_BUG_WARNING, "hard lockup", false },
	/* the kernel's own capitals: "scsi_debug:" must not read as "BUG:" */
	{ KM_BUG_WARNING, "BUG:", true },
	{ KM_BUG_WARNING, "WARNING:", true },
	{ KM_BUG_WARNING, "Oops", true },
	{ KM_BUG_WARNING, "Kernel panic", true },
	{ KM_BUG_WARNING, "rcu detected stall", false },
	{ KM_BUG_WARNING, "self-detected stall", false },
};

static const char *const class_names[KM__COUNT] = {
	"guard", "ref", "app", "protection", "io_error",
	"hung_task", "bug_warning", "dio_collision",
};

const char *kmsg_class_name(enum kmsg_class c)
{
	return class_names[c];
}

bool kmsg_class_fails(enum kmsg_class c)
{
	/* The collision warning is the kernel telling us about a POSIX
	 * grey zone that the verify pass classifies on its own. */
	return c != KM_DIO_COLLISION;
}

int kmsg_classify(const char *msg)
{
	char low[512];
	size_t i;

	for (i = 0; msg[i] && i < sizeof(low) - 1; i++)
		low[i] = (msg[i] >= 'A' && msg[i] <= 'Z') ? msg[i] + 32 : msg[i];
	low[i] = '\0';
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (strstr(patterns[i].exact_case ? msg : low,
			   patterns[i].needle))
			return patterns[i].cls;
	return -1;
}

/* Repeated messages (the kernel rate-limits few of them) are kept once. */
static bool seen_line(const struct kmsg_monitor *m, const char *text)
{
	for (unsigned i = 0; i < m->nlines; i++)
		if (!strcmp(m->lines[i], text))
			return true;
	return false;
}

/* A record is "prio,seq,usec,flags;text\n key=value\n...". */
static void take_record(struct kmsg_monitor *m, char *rec)
{
	char *text = strchr(rec, ';');
	char *nl;
	int cls;

	if (!text)
		return;
	text++;
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	cls = kmsg_classify(text);
	if (cls < 0)
		return;
	pthread_mutex_lock(&m->lock);
	m->counts[cls]++;
	if (m->nlines < KMSG_LINES_MAX && !seen_line(m, text))
		m->lines[m->nlines++] = strdup(text);
	pthread_mutex_unlock(&m->lock);
}

static void drain(struct kmsg_monitor *m)
{
	char rec[8192];
	ssize_t n;

	for (;;) {
		n = read(m->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* records overwritten: keep reading */
		if (n <= 0)
			return;
		rec[n] = '\0';
		take_record(m, rec);
	}
}

static void *reader(void *arg)
{
	struct kmsg_monitor *m = arg;
	struct pollfd pfd = { .fd = m->fd, .events = POLLIN };

	while (!atomic_load(&m->stop)) {
		poll(&pfd, 1, 100);
		drain(m);
	}
	return NULL;
}

void kmsg_start(struct kmsg_monitor *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (m->fd < 0) {
		snprintf(m->error, sizeof(m->error), "open /dev/kmsg: %s",
			 strerror(errno));
		return;
	}
	if (lseek(m->fd, 0, SEEK_END) < 0) {
		snprintf(m->error, sizeof(m->error), "seek /dev/kmsg: %s",
			 strerror(errno));
		close(m->fd);
		m->fd = -1;
		return;
	}
	m->available = true;
	if (pthread_create(&m->thread, NULL, reader, m) == 0)
		m->thread_started = true;
}

void kmsg_stop(struct kmsg_monitor *m)
{
	if (!m->available)
		return;
	atomic_store(&m->stop, true);
	if (m->thread_started)
		pthread_join(m->thread, NULL);
	m->thread_started = false;
	drain(m);
}

void kmsg_lock(struct kmsg_monitor *m)
{
	pthread_mutex_lock(&m->lock);
}

void kmsg_unlock(struct kmsg_monitor *m)
{
	pthread_mutex_unlock(&m->lock);
}
