// SPDX-License-Identifier: GPL-2.0
/*
 * wac kmsg-classify [--json] < LOG: wac's kernel-log classifier over any
 * log (a guest's serial console, a dmesg file, /dev/kmsg records), so that
 * the harness asks the binary instead of keeping patterns of its own.
 * wac channels: every channel name wac can report.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "judge.h"
#include "kmsg.h"
#include "wac.h"

#define FIRST_LINES 5

struct log_classes {
	unsigned long long lines;
	struct kmsg_scope scope;
	struct kmsg_set_aside set_aside;
	unsigned long long counts[KM__COUNT];
	char *first[KM__COUNT][FIRST_LINES];
};

static const char kmsg_usage[] =
	"usage: wac kmsg-classify [--json] < LOG\n"
	"Classifies every line of a kernel log (console, dmesg or /dev/kmsg\n"
	"format) with wac's kernel-log table; prints the count per class, the\n"
	"channel each class fires and its first lines.  Exit 0, 2 on bad "
	"usage.\n";

static void take_line(struct log_classes *lc, char *line)
{
	const char *msg;
	unsigned long long n;
	int c;

	line[strcspn(line, "\r\n")] = '\0';
	lc->lines++;
	msg = kmsg_message(line);
	c = kmsg_classify(msg);
	if (c < 0)
		return;
	if (msg != line && !kmsg_record_from_kernel(line)) {
		lc->set_aside.not_kernel++;
		return;
	}
	if (!kmsg_scope_covers(&lc->scope, msg)) {
		lc->set_aside.other_device++;
		return;
	}
	n = lc->counts[c]++;
	if (n < FIRST_LINES)
		lc->first[c][n] = strdup(msg);
}

static void print_text(const struct log_classes *lc)
{
	printf("%llu lines; set aside: %llu from processes, %llu about other "
	       "devices\n",
	       lc->lines, (unsigned long long)lc->set_aside.not_kernel,
	       (unsigned long long)lc->set_aside.other_device);
	for (int c = 0; c < KM__COUNT; c++) {
		if (!lc->counts[c])
			continue;
		printf("%-14s %6llu  %s\n", kmsg_class_name(c), lc->counts[c],
		       *kmsg_class_channel(c) ? kmsg_class_channel(c) : "-");
		for (int i = 0; i < FIRST_LINES && lc->first[c][i]; i++)
			printf("    %s\n", lc->first[c][i]);
	}
}

static void print_json(const struct log_classes *lc)
{
	const char *chans[KM__COUNT];
	unsigned nchans = 0;
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "wac-kmsg/1");
	json_u64(&j, "lines", lc->lines);
	json_obj_begin(&j, "classes");
	for (int c = 0; c < KM__COUNT; c++) {
		if (!lc->counts[c])
			continue;
		json_obj_begin(&j, kmsg_class_name(c));
		json_u64(&j, "count", lc->counts[c]);
		json_str(&j, "channel", kmsg_class_channel(c));
		json_arr_begin(&j, "first");
		for (int i = 0; i < FIRST_LINES && lc->first[c][i]; i++)
			json_str(&j, NULL, lc->first[c][i]);
		json_arr_end(&j);
		json_obj_end(&j);
		if (*kmsg_class_channel(c))
			chans[nchans++] = kmsg_class_channel(c);
	}
	json_obj_end(&j);
	json_obj_begin(&j, "set_aside");
	json_u64(&j, "not_kernel", lc->set_aside.not_kernel);
	json_u64(&j, "other_device", lc->set_aside.other_device);
	json_obj_end(&j);
	channels_write(&j, chans, nchans);
	json_obj_end(&j);
	fputc('\n', stdout);
}

/* "sda,dm-0": the devices of the run (their stacks too, when this
 * machine has them). */
static void add_devices(struct kmsg_scope *s, const char *list)
{
	char buf[256], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		kmsg_scope_add(s, tok);
}

int kmsg_classify_main(int argc, char **argv)
{
	static struct log_classes lc;
	bool as_json = false;
	char *line = NULL;
	size_t cap = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			as_json = true;
		} else if (!strcmp(argv[i], "--devices") && i + 1 < argc) {
			add_devices(&lc.scope, argv[++i]);
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			fputs(kmsg_usage, stdout);
			return WAC_EXIT_PASS;
		} else {
			fprintf(stderr,
				"wac kmsg-classify: unknown argument %s (see "
				"--help)\n",
				argv[i]);
			return WAC_EXIT_USAGE;
		}
	}
	while (getline(&line, &cap, stdin) >= 0)
		take_line(&lc, line);
	free(line);
	if (as_json)
		print_json(&lc);
	else
		print_text(&lc);
	return WAC_EXIT_PASS;
}

int channels_main(int argc, char **argv)
{
	const char *names[64];
	unsigned n;

	if (argc > 1 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("usage: wac channels\nPrints every channel name wac can "
		     "report, one per line.");
		return WAC_EXIT_PASS;
	}
	if (argc > 1) {
		fprintf(stderr,
			"wac channels: unknown argument %s (see --help)\n",
			argv[1]);
		return WAC_EXIT_USAGE;
	}
	n = channels_known(names, 64);
	for (unsigned i = 0; i < n; i++)
		puts(names[i]);
	return WAC_EXIT_PASS;
}
