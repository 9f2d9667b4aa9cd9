/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_PROFILE_H
#define WAC_PROFILE_H

#include <stdbool.h>

#include "wac.h"

/* How a profile splits -t threads between its two kinds. */
enum profile_split {
	SPLIT_WRITERS, /* all write() or O_DIRECT threads */
	SPLIT_MMAPPERS, /* all mmap threads */
	SPLIT_HALF, /* half writers, half mmappers/scribblers */
	SPLIT_CHURN, /* G: a quarter churners (at least one), the rest half
			writers, half mmappers */
};

/* The seed profiles A-F of the 2011 wac, as data. */
struct wac_profile {
	char name;
	enum profile_split split;
	bool direct; /* the writers use O_DIRECT */
	bool scribble; /* F: mmappers scribble O_DIRECT source buffers
			  (unless --f-mode legacy: B on an O_DIRECT fd) */
	bool churn_ok; /* --churners may be added (page-cache profiles) */
	const char *help;
};

extern const struct wac_profile wac_profiles[];

const struct wac_profile *profile_find(char name);

/* True when the run's mmappers are profile F's scribblers. */
bool profile_scribbles(const struct wac_config *cfg);

#endif
