// SPDX-License-Identifier: GPL-2.0
/* The seed profiles: one row each, read wherever a profile matters. */
#include "profile.h"

#include <stddef.h>

const struct wac_profile wac_profiles[] = {
	{'A', SPLIT_WRITERS, false, false, true,
	 "write() threads: pwrite + sync_file_range"},
	{'B', SPLIT_MMAPPERS, false, false, true,
	 "mmap threads: stores into MAP_SHARED + msync"},
	{'C', SPLIT_HALF, false, false, true, "half A, half B, sharing pages"},
	{'D', SPLIT_HALF, true, false, false,
	 "C with the write threads in O_DIRECT mode"},
	{'E', SPLIT_WRITERS, true, false, false, "A in O_DIRECT mode"},
	{'F', SPLIT_HALF, true, true, false,
	 "O_DIRECT writes whose source buffers are MAP_SHARED pages that\n"
	 "scribbler threads keep storing into (--f-mode scribble); or the\n"
	 "2011 meaning, B on an O_DIRECT fd (--f-mode legacy)"},
	{'G', SPLIT_CHURN, false, false, true,
	 "allocation churn: A + B + churn threads.  -t N gives N/4 churners\n"
	 "(at least 1), the rest half write(), half mmap threads.  Each\n"
	 "churner owns every other 64 KiB region (smaller on small targets;\n"
	 "all but the odd sectors of its first page, which A/B threads\n"
	 "write) and cycles its ranges\n"
	 "through fallocate PUNCH_HOLE, ZERO_RANGE, ftruncate shrink and\n"
	 "regrow (the last region, shared with mmap threads only) and\n"
	 "re-allocation by write; a punched range must read as zeros"},
	{0},
};

const struct wac_profile *profile_find(char name)
{
	for (const struct wac_profile *p = wac_profiles; p->name; p++)
		if (p->name == name)
			return p;
	return NULL;
}

bool profile_scribbles(const struct wac_config *cfg)
{
	const struct wac_profile *p = profile_find(cfg->profile);

	return p && p->scribble && cfg->f_mode == FMODE_SCRIBBLE;
}
