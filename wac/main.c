// SPDX-License-Identifier: GPL-2.0
/* wac: see 'wac --help' and README.md. */
#include <stdio.h>
#include <string.h>

#include "judge.h"

#include "options.h"
#include "run.h"

/* Subcommands that are not a run or a verify. */
static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} subcommands[] = {
	{"kmsg-classify", kmsg_classify_main},
	{"channels", channels_main},
	{"--man", man_main},
	{"--help-options=markdown", options_markdown_main},
};

int main(int argc, char **argv)
{
	static struct wac_config cfg;
	int ret;

	for (size_t i = 0;
	     argc > 1 && i < sizeof(subcommands) / sizeof(*subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].main(argc - 1, argv + 1);
	ret = parse_options(argc, argv, &cfg);

	if (ret < 0)
		return WAC_EXIT_USAGE;
	if (ret > 0)
		return WAC_EXIT_PASS;
	return cfg.verify_only ? wac_verify(&cfg) : wac_run(&cfg);
}
