/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_JUDGE_H
#define WAC_JUDGE_H

#include "json.h"

struct wac_run;

#define REASONS_LEN 160

/* The verdict ("pass", "fail", "hang") and its reasons; the exit status. */
int judge_run(struct wac_run *run, const char **verdict, char reasons[][160],
	      unsigned *nreasons);

/* The channels that fired in a run (names as scenarios expect them). */
unsigned channels_of_run(const struct wac_run *run, const char **out,
			 unsigned max);

/* Every channel wac can report, sorted. */
unsigned channels_known(const char **out, unsigned max);

/* "channels": [...], sorted and unique. */
void channels_write(struct json *j, const char **names, unsigned n);

/* The subcommands. */
int kmsg_classify_main(int argc, char **argv);
int channels_main(int argc, char **argv);

#endif
