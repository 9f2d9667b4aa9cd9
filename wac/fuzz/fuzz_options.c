// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: wac's command line (options.c, option_table.c).  The
 * input is argv after "wac", NUL-separated.  parse_options must return
 * (0, 1 or -EINVAL, never exit), print at most one line on stderr for a
 * refusal (wac's exit 2), and leave a configuration the config object
 * can be written from.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../option_table.h"
#include "../options.h"

#define ARGS_MAX 32

static FILE *devnull;
static FILE *errs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	devnull = fopen("/dev/null", "w");
	errs = tmpfile();
	if (!devnull || !errs)
		abort();
	/* --help and --version print to stdout */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

static unsigned stderr_lines(void)
{
	unsigned n = 0;
	int c;

	fflush(errs);
	rewind(errs);
	while ((c = fgetc(errs)) != EOF)
		n += c == '\n';
	return n;
}

static int parse(int argc, char **argv, struct wac_config *cfg)
{
	FILE *saved = stderr;
	int ret;

	if (ftruncate(fileno(errs), 0))
		abort();
	rewind(errs);
	stderr = errs;
	optind = 0; /* a fresh getopt scan */
	ret = parse_options(argc, argv, cfg);
	stderr = saved;
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wac_config cfg;
	char *argv[ARGS_MAX + 2], *buf;
	int argc = 1, ret;
	struct json j;

	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "wac";
	for (char *p = buf; p < buf + size && argc <= ARGS_MAX;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	ret = parse(argc, argv, &cfg);
	if (ret != 0 && ret != 1 && ret != -EINVAL)
		abort();
	if (ret == -EINVAL && stderr_lines() != 1)
		abort();
	if (ret == 0 && !cfg.verify_only) {
		json_init(&j, devnull);
		json_obj_begin(&j, NULL);
		options_write_config(&j, &cfg);
		json_obj_end(&j);
	}
	free(buf);
	return 0;
}
