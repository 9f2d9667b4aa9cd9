// SPDX-License-Identifier: GPL-2.0
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "kmgt";
	const char *unit;
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		unit = strchr(units, tolower((unsigned char)*end));
		if (!unit)
			return -EINVAL;
		mult = 1ull << (10 * (unit - units + 1));
		end++;
		/* accept "64k", "64kb", "64kib" */
		if (!strcasecmp(end, "b") || !strcasecmp(end, "ib"))
			end += strlen(end);
	}
	if (*end || v == 0 || v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

int parse_duration(const char *s, double *out)
{
	char *end;
	double v;
	double mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || v <= 0)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1;
	else if (!strcmp(end, "ms"))
		mult = 1e-3;
	else if (!strcmp(end, "m"))
		mult = 60;
	else if (!strcmp(end, "h"))
		mult = 3600;
	else
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_enum(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -EINVAL;
}

enum {
	OPT_WRITERS = 256,
	OPT_MMAPPERS,
	OPT_SYNC_EVERY,
	OPT_WRITE_SYNC,
	OPT_MSYNC,
	OPT_IODEPTH,
	OPT_F_MODE,
	OPT_SEED,
	OPT_SECTOR_SIZE,
	OPT_HANG_TIMEOUT,
	OPT_SYSRQ,
	OPT_NO_PREFILL,
	OPT_JSON,
	OPT_STATE,
	OPT_PROGRESS,
	OPT_LAYOUT,
};

static const struct option long_opts[] = {
	{ "profile", required_argument, NULL, 'p' },
	{ "threads", required_argument, NULL, 't' },
	{ "writers", required_argument, NULL, OPT_WRITERS },
	{ "mmappers", required_argument, NULL, OPT_MMAPPERS },
	{ "direct", no_argument, NULL, 'd' },
	{ "size", required_argument, NULL, 's' },
	{ "block", required_argument, NULL, 'b' },
	{ "duration", required_argument, NULL, 'T' },
	{ "sync-every", required_argument, NULL, OPT_SYNC_EVERY },
	{ "write-sync", required_argument, NULL, OPT_WRITE_SYNC },
	{ "msync", required_argument, NULL, OPT_MSYNC },
	{ "engine", required_argument, NULL, 'e' },
	{ "iodepth", required_argument, NULL, OPT_IODEPTH },
	{ "f-mode", required_argument, NULL, OPT_F_MODE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "sector-size", required_argument, NULL, OPT_SECTOR_SIZE },
	{ "hang-timeout", required_argument, NULL, OPT_HANG_TIMEOUT },
	{ "sysrq", no_argument, NULL, OPT_SYSRQ },
	{ "no-prefill", no_argument, NULL, OPT_NO_PREFILL },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void set_defaults(struct wac_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->profile = 'A';
	cfg->threads = 64;
	cfg->size = 64ull << 20;
	cfg->duration_s = 30;
	cfg->sync_every = 1;
	cfg->write_sync = WSYNC_SFR_WAIT;
	cfg->msync = MSYNC_SYNC;
	cfg->engine = "psync";
	cfg->iodepth = 1;
	cfg->f_mode = FMODE_SCRIBBLE;
	cfg->seed = 0;
	cfg->hang_timeout_s = 120;
	cfg->prefill = true;
	cfg->progress = -1;
}

static int bad(const char *opt, const char *val, const char *expect)
{
	wac_err("invalid %s '%s': expected %s (see wac --help)", opt, val,
		expect);
	return -EINVAL;
}

/* Handles one option; returns 0, 1 (help/version printed) or -EINVAL. */
static int handle_opt(int c, const char *arg, struct wac_config *cfg)
{
	static const char *const wsync[] = { "sfr-wait", "sfr-write", "fsync",
					     "fdatasync", "none" };
	static const char *const msyncs[] = { "sync", "async", "none" };
	static const char *const fmodes[] = { "scribble", "legacy" };
	static const char *const layouts[] = { "auto", "interleave",
					       "segregate" };
	uint64_t u64;
	unsigned u;
	int e;

	switch (c) {
	case 'p':
		if (strlen(arg) != 1 || toupper((unsigned char)*arg) < 'A' ||
		    toupper((unsigned char)*arg) > 'F')
			return bad("--profile", arg, "one of A B C D E F");
		cfg->profile = toupper((unsigned char)*arg);
		return 0;
	case 't':
		if (parse_uint(arg, 1, 4096, &cfg->threads))
			return bad("--threads", arg, "a count from 1 to 4096");
		return 0;
	case OPT_WRITERS:
	case OPT_MMAPPERS:
		if (parse_uint(arg, 0, 4096, &u))
			return bad(c == OPT_WRITERS ? "--writers" : "--mmappers",
				   arg, "a count from 0 to 4096");
		*(c == OPT_WRITERS ? &cfg->writers : &cfg->mmappers) = u;
		return 0;
	case 'd':
		cfg->direct = true;
		return 0;
	case 's':
		if (parse_size(arg, &cfg->size))
			return bad("--size", arg, "a size such as 64k, 64m, 1g");
		return 0;
	case 'b':
		if (parse_size(arg, &u64) || u64 > (1u << 24))
			return bad("--block", arg, "a size such as 512 or 4k");
		cfg->block = u64;
		return 0;
	case 'T':
		if (parse_duration(arg, &cfg->duration_s))
			return bad("--duration", arg, "a time such as 30, 30s, 5m");
		return 0;
	case OPT_SYNC_EVERY:
		if (parse_uint(arg, 1, 1u << 30, &cfg->sync_every))
			return bad("--sync-every", arg, "a count >= 1");
		return 0;
	case OPT_WRITE_SYNC:
		e = parse_enum(arg, wsync, 5);
		if (e < 0)
			return bad("--write-sync", arg,
				   "sfr-wait, sfr-write, fsync, fdatasync or none");
		cfg->write_sync = e;
		return 0;
	case OPT_MSYNC:
		e = parse_enum(arg, msyncs, 3);
		if (e < 0)
			return bad("--msync", arg, "sync, async or none");
		cfg->msync = e;
		return 0;
	case 'e':
		cfg->engine = arg;
		return 0;
	case OPT_IODEPTH:
		if (parse_uint(arg, 1, 1024, &cfg->iodepth))
			return bad("--iodepth", arg, "a depth from 1 to 1024");
		return 0;
	case OPT_F_MODE:
		e = parse_enum(arg, fmodes, 2);
		if (e < 0)
			return bad("--f-mode", arg, "scribble or legacy");
		cfg->f_mode = e;
		return 0;
	case OPT_LAYOUT:
		e = parse_enum(arg, layouts, 3);
		if (e < 0)
			return bad("--layout", arg, "auto, interleave or segregate");
		cfg->layout = e;
		return 0;
	case OPT_SEED: {
		char *end;

		/* decimal digits only: strtoull would take "-1" and "010" */
		errno = 0;
		cfg->seed = strtoull(arg, &end, 10);
		if (errno || *end || !*arg || strspn(arg, "0123456789") != strlen(arg))
			return bad("--seed", arg, "a decimal number 0..18446744073709551615");
		return 0;
	}
	case OPT_SECTOR_SIZE:
		if (parse_uint(arg, 512, 65536, &u) || (u & (u - 1)))
			return bad("--sector-size", arg,
				   "a power of two from 512 to 65536");
		cfg->sector_size = u;
		return 0;
	case OPT_HANG_TIMEOUT:
		if (parse_duration(arg, &cfg->hang_timeout_s))
			return bad("--hang-timeout", arg, "a time such as 120s");
		return 0;
	case OPT_SYSRQ:
		cfg->sysrq = true;
		return 0;
	case OPT_NO_PREFILL:
		cfg->prefill = false;
		return 0;
	case OPT_JSON:
		cfg->json_path = arg;
		return 0;
	case OPT_STATE:
		cfg->state_path = arg;
		return 0;
	case 'q':
		cfg->progress = 0;
		return 0;
	case OPT_PROGRESS:
		cfg->progress = 1;
		return 0;
	case 'h':
		print_usage(stdout);
		return 1;
	case 'V':
		printf("wac %s\n", WAC_VERSION);
		return 1;
	default:
		wac_err("unknown option (see wac --help)");
		return -EINVAL;
	}
}

int apply_profile(struct wac_config *cfg)
{
	bool half = cfg->profile == 'C' || cfg->profile == 'D' ||
		    (cfg->profile == 'F' && cfg->f_mode == FMODE_SCRIBBLE);

	if (!cfg->writers && !cfg->mmappers) {
		if (cfg->profile == 'A' || cfg->profile == 'E') {
			cfg->writers = cfg->threads;
		} else if (cfg->profile == 'B' || cfg->profile == 'F') {
			cfg->mmappers = cfg->threads;
		}
		if (half) {
			if (cfg->threads < 2) {
				wac_err("profile %c needs at least 2 threads",
					cfg->profile);
				return -EINVAL;
			}
			cfg->writers = cfg->threads / 2;
			cfg->mmappers = cfg->threads - cfg->writers;
		}
	}
	if (strchr("DEF", cfg->profile))
		cfg->direct = true;
	cfg->threads = cfg->writers + cfg->mmappers;
	if (!cfg->threads) {
		wac_err("no threads: give --writers and/or --mmappers > 0");
		return -EINVAL;
	}
	if (cfg->profile == 'F' && cfg->f_mode == FMODE_SCRIBBLE &&
	    (!cfg->writers || !cfg->mmappers)) {
		wac_err("profile F (scribble) needs both O_DIRECT writers and scribblers");
		return -EINVAL;
	}
	return 0;
}

int parse_options(int argc, char **argv, struct wac_config *cfg)
{
	int c, ret;

	set_defaults(cfg);
	if (argc > 1 && !strcmp(argv[1], "verify")) {
		cfg->verify_only = true;
		argv++;
		argc--;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:t:ds:b:T:e:qhV", long_opts,
				NULL)) != -1) {
		if (c == '?' || c == ':') {
			wac_err("%s option '%s' (see wac --help)",
				c == ':' ? "missing value for" : "unknown",
				argv[optind - 1]);
			return -EINVAL;
		}
		ret = handle_opt(c, optarg, cfg);
		if (ret)
			return ret;
	}
	if (optind != argc - 1) {
		wac_err(optind >= argc ? "missing TARGET (a file or a block device)"
				       : "more than one TARGET given");
		return -EINVAL;
	}
	cfg->target = argv[optind];
	if (cfg->verify_only) {
		if (!cfg->state_path) {
			wac_err("wac verify needs --state FILE");
			return -EINVAL;
		}
		return 0;
	}
	return apply_profile(cfg);
}
