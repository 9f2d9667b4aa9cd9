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

static const struct pattern patterns[] = {
#define KMSG_CLASS(id, name, channel, fails)
#define KMSG_MATCH(id, needle, exact_case) {KM_##id, needle, exact_case},
#include "kmsg_classes.def"
#undef KMSG_CLASS
#undef KMSG_MATCH
};

static const struct {
	const char *name;
	const char *channel;
	bool fails;
} classes[KM__COUNT] = {
#define KMSG_CLASS(id, name, channel, fails) [KM_##id] = {name, channel, fails},
#define KMSG_MATCH(id, needle, exact_case)
#include "kmsg_classes.def"
#undef KMSG_CLASS
#undef KMSG_MATCH
};

const char *kmsg_class_name(enum kmsg_class c)
{
	return classes[c].name;
}

const char *kmsg_class_channel(enum kmsg_class c)
{
	return classes[c].channel;
}

bool kmsg_class_fails(enum kmsg_class c)
{
	return classes[c].fails;
}

const char *kmsg_message(const char *line)
{
	const char *p = line, *semi;

	/* "[   12.345678] msg" */
	if (*p == '[') {
		const char *end = strchr(p, ']');

		if (end) {
			for (p = end + 1; *p == ' '; p++)
				;
			return p;
		}
	}
	/* "pri,seq,usec,flags[,caller=T1];msg" */
	semi = strchr(line, ';');
	if (semi && *line >= '0' && *line <= '9' &&
	    !memchr(line, ' ', semi - line))
		return semi + 1;
	return line;
}

/* The whole message, however long: a needle past byte 511 counts too. */
int kmsg_classify(const char *msg)
{
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		const struct pattern *p = &patterns[i];

		if (p->exact_case ? strstr(msg, p->needle)
				  : strcasestr(msg, p->needle))
			return p->cls;
	}
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
	if (!kmsg_record_from_kernel(rec)) {
		m->set_aside.not_kernel++;
	} else if (!kmsg_scope_covers(&m->scope, text)) {
		m->set_aside.other_device++;
	} else {
		m->counts[cls]++;
		if (m->nlines < KMSG_LINES_MAX && !seen_line(m, text))
			m->lines[m->nlines++] = strdup(text);
	}
	pthread_mutex_unlock(&m->lock);
}

bool kmsg_record_from_kernel(const char *record)
{
	char *end;
	unsigned long prio = strtoul(record, &end, 10);

	/* "pri,seq,...": the facility is pri >> 3; LOG_KERN is 0 */
	return end == record || *end != ',' || !(prio >> 3);
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
	struct pollfd pfd = {.fd = m->fd, .events = POLLIN};

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
