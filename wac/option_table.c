// SPDX-License-Identifier: GPL-2.0
/*
 * The option table: every option of wac once, with its argument type,
 * bounds, default, value names, help and config key.  getopt_long's
 * tables, --help's OPTIONS, the README's options table, the man page and
 * the wac/1 config object are all made from it.
 */
#include "option_table.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "options.h"
#include "profile.h"

const char *const write_sync_names[] = {"sfr-wait",  "sfr-write", "fsync",
					"fdatasync", "none",	  NULL};
const char *const msync_names[] = {"sync", "async", "none", NULL};
const char *const f_mode_names[] = {"scribble", "legacy", NULL};
const char *const layout_names[] = {"auto", "interleave", "segregate", "churn",
				    NULL};

#define F(field)                            \
	offsetof(struct wac_config, field), \
		sizeof(((struct wac_config *)0)->field)

const struct wac_option wac_options[] = {
	{"profile", 'p', T_PROFILE, "A..G", F(profile), .def = "A",
	 .help = "seed profile", .config_key = "profile"},
	{"threads", 't', T_COUNT, "N", F(threads), 1, WAC_THREADS_MAX,
	 .def = "64",
	 .help = "total threads; C, D and F split them half writers,\nhalf "
		 "mmap/scribblers; G gives a quarter to churners",
	 .config_key = "threads"},
	{"writers", 0, T_COUNT, "N", F(writers), 0, WAC_THREADS_MAX,
	 .help = "write() / O_DIRECT threads (overrides -t)",
	 .config_key = "writers"},
	{"mmappers", 0, T_COUNT, "N", F(mmappers), 0, WAC_THREADS_MAX,
	 .help = "mmap threads, or scribblers in profile F",
	 .config_key = "mmappers"},
	{"churners", 0, T_COUNT, "N", F(churners), 0, WAC_THREADS_MAX,
	 .help = "allocation churn threads (profile G; may be added to\n"
		 "A, B and C)",
	 .config_key = "churners"},
	{"direct", 'd', T_SET_BOOL, NULL, F(direct), .value = true,
	 .help = "O_DIRECT for the write threads (D, E, F set it)",
	 .config_key = "direct"},
	{"size", 's', T_SIZE, "SIZE", F(size), 1, UINT64_MAX, .def = "64m",
	 .help = "bytes of TARGET used: 64k, 64m, 1g", .config_key = "size"},
	{"block", 'b', T_SIZE, "SIZE", F(block), 1, 1u << 24,
	 .def = "sector size",
	 .help = "bytes per operation, a multiple of the sector size",
	 .config_key = "block"},
	/* times: min and max in milliseconds; 30 days is long enough */
	{"duration", 'T', T_TIME, "TIME", F(duration_s), 1, 2592000000ull,
	 .def = "30s", .help = "run time: 30, 30s, 500ms, 5m",
	 .config_key = "duration_s"},
	{"sync-every", 0, T_COUNT, "N", F(sync_every), 1, 1u << 30, .def = "1",
	 .help = "sync after every N writes or stores",
	 .config_key = "sync_every"},
	{"write-sync", 0, T_NAME, "MODE", F(write_sync),
	 .values = write_sync_names, .def = "sfr-wait",
	 .help = "how write threads sync: sfr-wait (sync_file_range\n"
		 "WAIT_BEFORE|WRITE|WAIT_AFTER), sfr-write (WRITE only:\n"
		 "start writeback, wait for nothing), fsync, fdatasync, none",
	 .config_key = "write_sync"},
	{"msync", 0, T_NAME, "MODE", F(msync), .values = msync_names,
	 .def = "sync",
	 .help = "how mmap threads sync: sync (MS_SYNC), async (MS_ASYNC),\n"
		 "none.  Only modes that wait (sfr-wait, fsync, fdatasync,\n"
		 "MS_SYNC) promise durability to the oracle",
	 .config_key = "msync"},
	{"engine", 'e', T_STRING, "NAME", F(engine), .def = "psync",
	 .help = "I/O engine of the O_DIRECT path (see ENGINES)",
	 .config_key = "engine"},
	{"iodepth", 0, T_COUNT, "N", F(iodepth), 1, 1024, .def = "1",
	 .help = "O_DIRECT writes in flight per thread",
	 .config_key = "iodepth"},
	{"f-mode", 0, T_NAME, "MODE", F(f_mode), .values = f_mode_names,
	 .def = "scribble", .help = "profile F: scribble or legacy",
	 .config_key = "f_mode"},
	/* the config object shows the layout a run resolved, not the option */
	{"layout", 0, T_NAME, "MODE", F(layout), .values = layout_names,
	 .def = "auto",
	 .help = "who owns which sector: interleave (sector i to thread\n"
		 "i mod N: threads share every page), segregate (pages\n"
		 "alternate between O_DIRECT and page-cache owners), churn\n"
		 "(64 KiB regions alternate between churners and the others),\n"
		 "auto (churn with churners, segregate when both kinds write,\n"
		 "else interleave)"},
	{"slice", 0, T_SLICE, "K/N", F(slice_k), 1, 65535, .def = "0/1",
	 .help = "own only slice K of N of TARGET, so that N processes\n"
		 "(or nodes of a cluster filesystem) can run on it at once:\n"
		 "unit u (--block bytes) belongs to slice u mod N, but a\n"
		 "churn region (odd 64 KiB region) is owned whole by one\n"
		 "slice and the last region by slice 0.  Every slice must\n"
		 "use the same --size, --block and --sector-size; only\n"
		 "owned units are written, prefilled and judged",
	 .config_key = "slice"},
	{"seed", 0, T_SEED, "N", F(seed), .def = "clock",
	 .help = "random seed, decimal, 64 bits (recorded)",
	 .config_key = "seed"},
	{"sector-size", 0, T_COUNT, "N", F(sector_size), 512, 65536,
	 .pow2 = true, .def = "BLKSSZGET / 512",
	 .help = "logical sector size of the records",
	 .config_key = "sector_size"},
	{"hang-timeout", 0, T_TIME, "TIME", F(hang_timeout_s), 100,
	 2592000000ull, .def = "120s",
	 .help = "an op in flight longer than TIME is a hang",
	 .config_key = "hang_timeout_s"},
	{"sysrq", 0, T_SET_BOOL, NULL, F(sysrq), .value = true,
	 .help = "on a hang, also log blocked tasks with sysrq 'w'"},
	{"sched-groups", 0, T_SET_BOOL, NULL, F(sched_groups), .value = true,
	 .help = "each thread in a CPU cgroup of its own (cgroup v1, as\n"
		 "root): with autogroup on, the threads are scheduled as\n"
		 "N processes in N sessions (fio's jobs) are, not as one",
	 .config_key = "sched_groups"},
	{"no-prefill", 0, T_SET_BOOL, NULL, F(prefill), .value = false,
	 .help = "do not zero TARGET first"},
	{"prefill-write", 0, T_SIZE, "SIZE", F(prefill_write), 512, 1u << 30,
	 .def = "1m",
	 .help = "bytes per write that zeroes TARGET first.  ext4 from 6.16\n"
		 "sizes a new page-cache folio by the write that makes it,\n"
		 "and under stable pages a small write waits on its whole\n"
		 "folio: 4k keeps single pages (the result's page_cache\n"
		 "says which folios the run had)",
	 .config_key = "prefill_write"},
	{"prefill-only", 0, T_SET_BOOL, NULL, F(prefill_only), .value = true,
	 .help = "fill TARGET with one generation of this run's records,\n"
		 "sync and exit: no threads, no verify (the harness's\n"
		 "prefill_device = foreign)"},
	{"create", 0, T_SET_BOOL, NULL, F(create), .value = true,
	 .help = "make TARGET even when it is a bare name that names no file\n"
		 "(without it such a word is refused: a mistyped subcommand)"},
	{"json", 0, T_STRING, "FILE", F(json_path),
	 .help = "the result document (- for stdout)"},
	{"state", 0, T_STRING, "FILE", F(state_path),
	 .help = "save the oracle for a later 'wac verify'"},
	{"quiet", 'q', T_SET_INT, NULL, F(progress), .value = 0,
	 .help = "no progress line and no summary"},
	{"progress", 0, T_SET_INT, NULL, F(progress), .value = 1,
	 .help = "a progress line every second even off a tty"},
	{"help", 'h', T_ACTION, NULL, .help = "this text"},
	{"version", 'V', T_ACTION, NULL, .help = "the version"},
};

const size_t wac_noptions = sizeof(wac_options) / sizeof(wac_options[0]);

static int bad(const struct wac_option *o, const char *val)
{
	char expect[160] = "";
	size_t n = 0;

	switch (o->type) {
	case T_PROFILE:
		snprintf(expect, sizeof(expect), "one of A B C D E F G");
		break;
	case T_COUNT:
		snprintf(expect, sizeof(expect), "%s from %llu to %llu",
			 o->pow2 ? "a power of two" : "a count", o->min,
			 o->max);
		break;
	case T_SIZE:
		n = snprintf(expect, sizeof(expect),
			     "a size such as 4k, 64m, 1g");
		if (o->min > 1 || o->max < UINT64_MAX)
			snprintf(expect + n, sizeof(expect) - n,
				 ", from %llu to %llu bytes", o->min, o->max);
		break;
	case T_TIME:
		snprintf(expect, sizeof(expect),
			 "a time from %llums to 30 days, such as 30, 30s, "
			 "500ms, 5m",
			 o->min);
		break;
	case T_SEED:
		snprintf(expect, sizeof(expect),
			 "a decimal number 0..18446744073709551615");
		break;
	case T_SLICE:
		snprintf(expect, sizeof(expect),
			 "K/N with 0 <= K < N <= %llu, such as 0/2", o->max);
		break;
	case T_NAME:
		for (int i = 0; o->values[i]; i++)
			n += snprintf(expect + n, sizeof(expect) - n, "%s%s",
				      i ? (o->values[i + 1] ? ", " : " or ")
					: "",
				      o->values[i]);
		break;
	default:
		break;
	}
	wac_err("invalid --%s '%s': expected %s (see wac --help)", o->name, val,
		expect);
	return -EINVAL;
}

/* Decimal digits only: strtoul's base 0 would read "010" as 8, and it
 * takes "-1". */
static int parse_decimal(const char *s, unsigned long long max,
			 unsigned long long *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *out > max ? -EINVAL : 0;
}

static int apply_count(const struct wac_option *o, const char *arg, void *field)
{
	unsigned long long v;

	if (parse_decimal(arg, o->max, &v) || v < o->min ||
	    (o->pow2 && (v & (v - 1))))
		return bad(o, arg);
	*(unsigned *)field = v;
	return 0;
}

static int apply_size(const struct wac_option *o, const char *arg, void *field)
{
	uint64_t v;

	if (parse_size(arg, &v) || v < o->min || v > o->max)
		return bad(o, arg);
	if (o->size == sizeof(uint32_t))
		*(uint32_t *)field = v;
	else
		*(uint64_t *)field = v;
	return 0;
}

static int apply_time(const struct wac_option *o, const char *arg, void *field)
{
	double secs;

	if (parse_duration(arg, &secs) || secs * 1e3 < o->min ||
	    secs * 1e3 > o->max)
		return bad(o, arg);
	*(double *)field = secs;
	return 0;
}

/* "K/N": decimal K and N, 0 <= K < N, N from min to max. */
static int apply_slice(const struct wac_option *o, const char *arg,
		       struct wac_config *cfg)
{
	const char *slash = strchr(arg, '/');
	unsigned long long k, n;
	char kbuf[24];

	if (!slash || (size_t)(slash - arg) >= sizeof(kbuf))
		return bad(o, arg);
	memcpy(kbuf, arg, slash - arg);
	kbuf[slash - arg] = '\0';
	if (parse_decimal(kbuf, o->max, &k) ||
	    parse_decimal(slash + 1, o->max, &n) || n < o->min || k >= n)
		return bad(o, arg);
	cfg->slice_k = k;
	cfg->slice_n = n;
	cfg->slice_given = true;
	return 0;
}

int option_apply(const struct wac_option *o, const char *arg,
		 struct wac_config *cfg)
{
	void *field = (char *)cfg + o->offset;
	unsigned long long v;

	switch (o->type) {
	case T_PROFILE:
		if (strlen(arg) != 1 ||
		    !profile_find(toupper((unsigned char)*arg)))
			return bad(o, arg);
		cfg->profile = toupper((unsigned char)*arg);
		return 0;
	case T_COUNT:
		return apply_count(o, arg, field);
	case T_SIZE:
		return apply_size(o, arg, field);
	case T_TIME:
		return apply_time(o, arg, field);
	case T_NAME:
		for (int i = 0; o->values[i]; i++)
			if (!strcmp(arg, o->values[i])) {
				*(int *)field = i;
				return 0;
			}
		return bad(o, arg);
	case T_STRING:
		*(const char **)field = arg;
		return 0;
	case T_SEED:
		if (parse_decimal(arg, UINT64_MAX, &v))
			return bad(o, arg);
		*(uint64_t *)field = v;
		return 0;
	case T_SLICE:
		return apply_slice(o, arg, cfg);
	case T_SET_BOOL:
		*(bool *)field = o->value;
		return 0;
	case T_SET_INT:
		*(int *)field = o->value;
		return 0;
	case T_ACTION:
		if (o->short_name == 'h')
			print_usage(stdout);
		else
			printf("wac %s\n", WAC_VERSION);
		return 1;
	}
	return -EINVAL;
}

void options_write_config(struct json *j, const struct wac_config *cfg)
{
	for (size_t i = 0; i < wac_noptions; i++) {
		const struct wac_option *o = &wac_options[i];
		const void *field = (const char *)cfg + o->offset;
		char buf[24];

		if (!o->config_key)
			continue;
		switch (o->type) {
		case T_PROFILE:
			snprintf(buf, sizeof(buf), "%c", cfg->profile);
			json_str(j, o->config_key, buf);
			break;
		case T_COUNT:
			json_u64(j, o->config_key, *(const unsigned *)field);
			break;
		case T_SIZE:
			json_u64(j, o->config_key,
				 o->size == sizeof(uint32_t)
					 ? *(const uint32_t *)field
					 : *(const uint64_t *)field);
			break;
		case T_TIME:
			json_double(j, o->config_key, *(const double *)field);
			break;
		case T_NAME:
			json_str(j, o->config_key,
				 o->values[*(const int *)field]);
			break;
		case T_STRING:
			json_str(j, o->config_key, *(const char *const *)field);
			break;
		case T_SEED:
			/* a string: tools that read numbers as doubles keep it
			 * exact */
			snprintf(buf, sizeof(buf), "%llu",
				 (unsigned long long)*(const uint64_t *)field);
			json_str(j, o->config_key, buf);
			break;
		case T_SLICE:
			snprintf(buf, sizeof(buf), "%u/%u", cfg->slice_k,
				 cfg->slice_n);
			json_str(j, o->config_key, buf);
			break;
		case T_SET_BOOL:
			json_bool(j, o->config_key, *(const bool *)field);
			break;
		default:
			break;
		}
	}
}
