// SPDX-License-Identifier: GPL-2.0
#include "engine.h"

#include <stdio.h>
#include <string.h>

extern const struct wac_engine_ops engine_psync;
extern const struct wac_engine_ops engine_libaio;
extern const struct wac_engine_ops engine_io_uring;

static const struct wac_engine_ops *const engines[] = {
	&engine_psync,
	&engine_libaio,
	&engine_io_uring,
};

const struct wac_engine_ops *engine_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}

const char *engine_names(void)
{
	static char names[64];

	if (!names[0])
		for (unsigned i = 0; i < sizeof(engines) / sizeof(engines[0]);
		     i++)
			snprintf(names + strlen(names),
				 sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", engines[i]->name);
	return names;
}
