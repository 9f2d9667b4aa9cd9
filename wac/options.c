// SPDX-License-Identifier: GPL-2.0
#include "options.h"

#include "option_table.h"
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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
	cfg->prefill_write = 1u << 20;
	cfg->progress = -1;
	cfg->slice_n = 1;
}

/* getopt_long's short string and long table, from the option table;
 * a long option's val is 256 + its index. */
static void getopt_tables(char *shorts, struct option *longs)
{
	char *p = shorts;

	*p++ = ':';
	for (size_t i = 0; i < wac_noptions; i++) {
		const struct wac_option *o = &wac_options[i];
		bool has_arg = o->metavar != NULL;

		longs[i] = (struct option){
			o->name, has_arg ? required_argument : no_argument,
			NULL, 256 + (int)i};
		if (o->short_name) {
			*p++ = o->short_name;
			if (has_arg)
				*p++ = ':';
		}
	}
	*p = '\0';
	longs[wac_noptions] = (struct option){0};
}

static const struct wac_option *option_of(int c)
{
	if (c >= 256)
		return &wac_options[c - 256];
	for (size_t i = 0; i < wac_noptions; i++)
		if (wac_options[i].short_name == c)
			return &wac_options[i];
	return NULL;
}

/* Profile G: a quarter churners (at least one), the rest as C. */
static int split_churn(struct wac_config *cfg)
{
	unsigned rest;

	if (cfg->threads < 3) {
		wac_err("profile %c needs at least 3 threads", cfg->profile);
		return -EINVAL;
	}
	if (!cfg->churners)
		cfg->churners = cfg->threads / 4 ? cfg->threads / 4 : 1;
	if (cfg->churners >= cfg->threads - 1) {
		wac_err("profile %c: --churners %u leaves fewer than 2 of the "
			"%u threads to write",
			cfg->profile, cfg->churners, cfg->threads);
		return -EINVAL;
	}
	rest = cfg->threads - cfg->churners;
	cfg->writers = rest / 2;
	cfg->mmappers = rest - cfg->writers;
	return 0;
}

static int split_threads(struct wac_config *cfg, enum profile_split split)
{
	switch (split) {
	case SPLIT_WRITERS:
		cfg->writers = cfg->threads;
		break;
	case SPLIT_MMAPPERS:
		cfg->mmappers = cfg->threads;
		break;
	case SPLIT_HALF:
		if (cfg->threads < 2) {
			wac_err("profile %c needs at least 2 threads",
				cfg->profile);
			return -EINVAL;
		}
		cfg->writers = cfg->threads / 2;
		cfg->mmappers = cfg->threads - cfg->writers;
		break;
	case SPLIT_CHURN:
		return split_churn(cfg);
	}
	return 0;
}

int apply_profile(struct wac_config *cfg)
{
	const struct wac_profile *p = profile_find(cfg->profile);
	enum profile_split split = p->split;

	/* F in --f-mode legacy is B on an O_DIRECT fd */
	if (p->scribble && !profile_scribbles(cfg))
		split = SPLIT_MMAPPERS;
	if (!cfg->writers && !cfg->mmappers && split_threads(cfg, split))
		return -EINVAL;
	/* G with --writers/--mmappers only: churners in the -t ratio */
	if (split == SPLIT_CHURN && !cfg->churners)
		cfg->churners = (cfg->writers + cfg->mmappers) / 3
					? (cfg->writers + cfg->mmappers) / 3
					: 1;
	if (p->direct)
		cfg->direct = true;
	if (cfg->churners && (!p->churn_ok || cfg->direct)) {
		wac_err("--churners needs a page-cache profile (A, B, C or G) "
			"without -d");
		return -EINVAL;
	}
	cfg->threads = cfg->writers + cfg->mmappers + cfg->churners;
	if (cfg->threads > WAC_THREADS_MAX) {
		wac_err("more than %d threads in all", WAC_THREADS_MAX);
		return -EINVAL;
	}
	if (!cfg->writers && !cfg->mmappers) {
		wac_err("no threads: give --writers and/or --mmappers > 0");
		return -EINVAL;
	}
	if (profile_scribbles(cfg) && (!cfg->writers || !cfg->mmappers)) {
		wac_err("profile F (scribble) needs both O_DIRECT writers and "
			"scribblers");
		return -EINVAL;
	}
	return 0;
}

/* PATH made absolute without needing it to exist: the real directory
 * and the last component. */
static void resolve_path(const char *path, char *out, size_t len)
{
	char dir[PATH_MAX], *slash;

	if (realpath(path, out))
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash) {
		if (!getcwd(dir, sizeof(dir)))
			dir[0] = '\0';
		snprintf(out, len, "%s/%s", dir, path);
		return;
	}
	*slash = '\0';
	if (!realpath(dir[0] ? dir : "/", out))
		snprintf(out, len, "%s", dir);
	snprintf(out + strlen(out), len - strlen(out), "/%s", slash + 1);
}

static bool same_path(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	resolve_path(a, ra, sizeof(ra));
	resolve_path(b, rb, sizeof(rb));
	return !strcmp(ra, rb);
}

/* An output can be written where it is meant to go, before any run. */
static int check_writable(const char *opt, const char *path)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (access(slash ? dir : ".", W_OK) ||
	    (!access(path, F_OK) && access(path, W_OK))) {
		wac_err("%s %s cannot be written: %s", opt, path,
			strerror(errno));
		return -EINVAL;
	}
	return 0;
}

/* Outputs never overwrite the target or each other, and can be written:
 * a run must not find that out after it ran. */
static int check_outputs(const struct wac_config *cfg)
{
	const char *json = cfg->json_path && strcmp(cfg->json_path, "-")
				   ? cfg->json_path
				   : NULL;
	const char *state = cfg->verify_only ? NULL : cfg->state_path;

	if (json && same_path(json, cfg->target)) {
		wac_err("--json %s is the target itself", json);
		return -EINVAL;
	}
	if (state && same_path(state, cfg->target)) {
		wac_err("--state %s is the target itself", state);
		return -EINVAL;
	}
	if (json && cfg->state_path && same_path(json, cfg->state_path)) {
		wac_err("--json and --state name the same file %s", json);
		return -EINVAL;
	}
	if (json && check_writable("--json", json))
		return -EINVAL;
	if (state && check_writable("--state", state))
		return -EINVAL;
	return 0;
}

/* "verify" as the first word that is no option or option value is the
 * subcommand, so that options may come before it ("wac -q verify ..."):
 * take it out of argv. */
static void take_subcommand(int *argc, char **argv, const char *shorts,
			    const struct option *longs, struct wac_config *cfg)
{
	char first[72];

	snprintf(first, sizeof(first), "+%s", shorts);
	optind = 0;
	while (getopt_long(*argc, argv, first, longs, NULL) != -1)
		;
	if (optind < *argc && optind > 0 && !strcmp(argv[optind - 1], "--"))
		goto rewind; /* after "--" comes a TARGET */
	if (optind >= *argc || strcmp(argv[optind], "verify"))
		goto rewind;
	cfg->verify_only = true;
	memmove(&argv[optind], &argv[optind + 1],
		(*argc - optind) * sizeof(*argv));
	(*argc)--;
rewind:
	optind = 0; /* the real pass starts over (glibc: full reset) */
}

int parse_options(int argc, char **argv, struct wac_config *cfg)
{
	static struct option longs[64];
	static char shorts[64];
	const struct wac_option *o;
	int c, ret;

	set_defaults(cfg);
	getopt_tables(shorts, longs);
	opterr = 0;
	take_subcommand(&argc, argv, shorts, longs, cfg);
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		o = option_of(c);
		if (c == '?' || c == ':' || !o) {
			wac_err("%s option '%s' (see wac --help)",
				c == ':' ? "missing value for" : "unknown",
				argv[optind - 1]);
			return -EINVAL;
		}
		ret = option_apply(o, optarg, cfg);
		if (ret)
			return ret;
	}
	if (optind != argc - 1) {
		wac_err(optind >= argc
				? "missing TARGET (a file or a block device)"
				: "more than one TARGET given");
		return -EINVAL;
	}
	cfg->target = argv[optind];
	if (check_outputs(cfg))
		return -EINVAL;
	/* "wac verfy ..." must not start a stress run on a new file "verfy" */
	if (!cfg->verify_only && !cfg->create && !strchr(cfg->target, '/') &&
	    access(cfg->target, F_OK)) {
		wac_err("'%s' is no file here and no subcommand (see wac "
			"--help): "
			"give ./%s or --create to make it",
			cfg->target, cfg->target);
		return -EINVAL;
	}
	if (cfg->prefill_only && (cfg->verify_only || cfg->state_path)) {
		wac_err("--prefill-only leaves no oracle: no verify, no "
			"--state");
		return -EINVAL;
	}
	if (cfg->verify_only) {
		if (!cfg->state_path) {
			wac_err("wac verify needs --state FILE");
			return -EINVAL;
		}
		return 0;
	}
	return apply_profile(cfg);
}
