// SPDX-License-Identifier: GPL-2.0
/* wac: see 'wac --help' and README.md. */
#include <stdio.h>

#include "options.h"
#include "run.h"

int main(int argc, char **argv)
{
	static struct wac_config cfg;
	int ret = parse_options(argc, argv, &cfg);

	if (ret < 0)
		return WAC_EXIT_USAGE;
	if (ret > 0)
		return WAC_EXIT_PASS;
	return cfg.verify_only ? wac_verify(&cfg) : wac_run(&cfg);
}
