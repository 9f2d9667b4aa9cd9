// SPDX-License-Identifier: GPL-2.0
#include "engine.h"

#include <string.h>

extern const struct wac_engine_ops engine_psync;

static const struct wac_engine_ops *const engines[] = {
	&engine_psync,
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
	return "psync";
}
