// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the kernel-log classifier (kmsg.c, kmsg_scope.c) as
 * 'wac kmsg-classify' runs it.  The input's first line is the run's
 * devices ("sda,dm-0", as --devices takes them), every further line a log
 * line: console, dmesg or /dev/kmsg record.  Inputs are at most 64 KiB
 * (-max_len in tests/fuzz/run is far below).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kmsg.h"

static void add_devices(struct kmsg_scope *s, char *list)
{
	char *tok, *save;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		kmsg_scope_add(s, tok);
}

#define PAD 1024

/* msg behind PAD spaces */
static const char *padded(const char *msg)
{
	static char buf[PAD + 65536];

	memset(buf, ' ', PAD);
	snprintf(buf + PAD, sizeof(buf) - PAD, "%s", msg);
	return buf;
}

static void take_line(const struct kmsg_scope *s, const char *line)
{
	const char *msg = kmsg_message(line);
	int c;

	if (msg < line || msg > line + strlen(line))
		abort();
	c = kmsg_classify(msg);
	if (c < -1 || c >= KM__COUNT)
		abort();
	/* no needle starts with a space: a long run of them in front changes
	 * nothing (a long line is classified whole) */
	if (kmsg_classify(padded(msg)) != c)
		abort();
	if (c >= 0 && (!kmsg_class_name(c) || !kmsg_class_channel(c)))
		abort();
	kmsg_record_from_kernel(line);
	kmsg_scope_covers(s, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmsg_scope scope = {0};
	char *buf, *line, *save;

	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	line = strtok_r(buf, "\n", &save);
	if (line) {
		add_devices(&scope, line);
		while ((line = strtok_r(NULL, "\n", &save)))
			take_line(&scope, line);
	}
	free(buf);
	return 0;
}
