// SPDX-License-Identifier: GPL-2.0
/*
 * Which kernel-log lines belong to a run: lines that name a block device
 * outside the target's device stack (the target's disk and what it sits
 * on) are set aside, lines that name no device (a hung task, a BUG, a
 * dif_verify message) still count.  Another disk's errors on a shared
 * machine must not fail this run.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "kmsg.h"

void kmsg_scope_add(struct kmsg_scope *s, const char *name)
{
	if (!*name || s->n >= KMSG_SCOPE_MAX)
		return;
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->dev[i], name))
			return;
	snprintf(s->dev[s->n++], sizeof(s->dev[0]), "%s", name);
}

/* DEV and, through /sys/block/DEV/slaves, the devices under it. */
void kmsg_scope_add_stack(struct kmsg_scope *s, const char *dev, int depth)
{
	char path[96];
	struct dirent *e;
	DIR *d;

	kmsg_scope_add(s, dev);
	if (depth <= 0)
		return;
	snprintf(path, sizeof(path), "/sys/block/%s/slaves", dev);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			kmsg_scope_add_stack(s, e->d_name, depth - 1);
	closedir(d);
}

static size_t digits(const char *p)
{
	size_t n = 0;

	while (isdigit((unsigned char)p[n]))
		n++;
	return n;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Length of a block device name at P ("sda1", "nvme0n1p2", "dm-3",
 * "loop0", "md127", "pmem0", "vdb"), or 0. */
static size_t device_at(const char *p)
{
	static const char *const numbered[] = {"loop", "dm-", "md",    "pmem",
					       "zram", "nbd", "mmcblk"};
	size_t n = 0, k;

	if ((p[0] == 's' || p[0] == 'v') && p[1] == 'd') {
		for (n = 2; islower((unsigned char)p[n]); n++)
			;
		n = n > 2 ? n + digits(p + n) : 0;
	} else if (!strncmp(p, "nvme", 4) && (k = digits(p + 4)) &&
		   p[4 + k] == 'n' && digits(p + 5 + k)) {
		n = 5 + k + digits(p + 5 + k);
	} else {
		for (size_t i = 0; i < sizeof(numbered) / sizeof(*numbered);
		     i++) {
			size_t len = strlen(numbered[i]);

			if (!strncmp(p, numbered[i], len) && digits(p + len)) {
				n = len + digits(p + len);
				break;
			}
		}
	}
	if (n && p[n] == 'p' && digits(p + n + 1))
		n += 1 + digits(p + n + 1);
	return n && !word_char(p[n]) ? n : 0;
}

/* Does the device name (len bytes at tok) belong to the scope?  A
 * partition belongs with its disk: sda1 with sda, nvme0n1p1 with nvme0n1. */
static bool in_scope(const struct kmsg_scope *s, const char *tok, size_t len)
{
	for (unsigned i = 0; i < s->n; i++) {
		size_t dl = strlen(s->dev[i]);

		if (dl > len || strncmp(tok, s->dev[i], dl))
			continue;
		if (dl == len || digits(tok + dl) == len - dl ||
		    (tok[dl] == 'p' && digits(tok + dl + 1) == len - dl - 1))
			return true;
	}
	return false;
}

bool kmsg_scope_covers(const struct kmsg_scope *s, const char *msg)
{
	bool named = false;

	if (!s->n)
		return true;
	for (const char *p = msg; *p; p++) {
		size_t len;

		if (p > msg && word_char(p[-1]))
			continue;
		len = device_at(p);
		if (!len)
			continue;
		if (in_scope(s, p, len))
			return true;
		named = true;
		p += len - 1;
	}
	return !named;
}
