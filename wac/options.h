/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_OPTIONS_H
#define WAC_OPTIONS_H

#include <stdio.h>

#include "wac.h"

/* "64k", "64m", "1g", "4096" -> bytes.  0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out);

/* "30", "30s", "500ms", "5m", "1h" -> seconds.  0 or -EINVAL. */
int parse_duration(const char *s, double *out);

/*
 * Fill cfg from argv.  Returns 0 to run, 1 when --help or --version was
 * printed (exit 0), -EINVAL after printing one line on stderr (exit 2).
 */
int parse_options(int argc, char **argv, struct wac_config *cfg);

/* Apply the profile's thread split and direct flag where not given. */
int apply_profile(struct wac_config *cfg);

void print_usage(FILE *out);
void print_man(FILE *out);

/* wac --man (the man page) and wac --help-options=markdown (README's
 * options table): hidden, for the build. */
int man_main(int argc, char **argv);
int options_markdown_main(int argc, char **argv);

#endif
