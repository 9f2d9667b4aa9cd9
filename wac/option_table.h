/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_OPTION_TABLE_H
#define WAC_OPTION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "json.h"
#include "wac.h"

/* How an option's argument is parsed and stored (fio's option types). */
enum opt_type {
	T_PROFILE, /* char, A..F */
	T_COUNT, /* unsigned in [min, max] (power of two when pow2) */
	T_SIZE, /* uint64_t or uint32_t bytes: 64k, 1m ... up to max */
	T_TIME, /* double seconds: 30, 30s, 500ms, 5m */
	T_NAME, /* int: index into values */
	T_STRING, /* const char * */
	T_SEED, /* uint64_t, decimal */
	T_SLICE, /* "K/N": unsigned K, N at offset, offset + 4; K < N <= max */
	T_SET_BOOL, /* no argument: bool = value */
	T_SET_INT, /* no argument: int = value */
	T_ACTION, /* no argument: --help, --version */
};

struct wac_option {
	const char *name;
	char short_name;
	enum opt_type type;
	const char *metavar;
	size_t offset; /* in struct wac_config */
	size_t size; /* of that field, for T_SIZE */
	unsigned long long min, max;
	bool pow2;
	int value; /* T_SET_BOOL / T_SET_INT */
	const char *const *values; /* T_NAME, NULL-terminated */
	const char *def; /* the default, as help shows it */
	const char *help; /* lines separated by '\n' */
	const char *config_key; /* key in the wac/1 config object, or NULL */
};

extern const struct wac_option wac_options[];
extern const size_t wac_noptions;

extern const char *const write_sync_names[];
extern const char *const msync_names[];
extern const char *const f_mode_names[];
extern const char *const layout_names[];

/* Parse ARG for option O into cfg: 0, 1 (--help/--version done), -EINVAL. */
int option_apply(const struct wac_option *o, const char *arg,
		 struct wac_config *cfg);

/* The config object's option-backed keys, from the table. */
void options_write_config(struct json *j, const struct wac_config *cfg);

/* The OPTIONS section: as --help text, as the README's Markdown table,
 * as man page roff. */
void options_print_text(FILE *out);
void options_print_markdown(FILE *out);
void options_print_roff(FILE *out);

#endif
