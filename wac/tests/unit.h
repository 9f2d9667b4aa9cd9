/* SPDX-License-Identifier: GPL-2.0 */
/* The unit tests that live outside test_unit.c (which holds main). */
#ifndef WAC_TESTS_UNIT_H
#define WAC_TESTS_UNIT_H

#include "../oracle.h"

/* Run facts that oracle_save/oracle_load accept: one writer, one mmapper
 * and one churner, psync (test_churn.c and test_slice.c save states). */
static inline struct oracle_run_facts three_thread_facts(char profile,
							 uint8_t layout)
{
	return (struct oracle_run_facts){.profile = profile,
					 .threads = 3,
					 .writers = 1,
					 .mmappers = 1,
					 .churners = 1,
					 .duration_s = 1,
					 .sync_every = 1,
					 .iodepth = 1,
					 .layout = layout,
					 .engine = "psync"};
}

/* test_input.c */
void sizes_parse(void **state);
void durations_parse(void **state);
void options_profiles(void **state);
void options_rejects(void **state);
void kmsg_classes(void **state);

/* test_churn.c */
void churn_options(void **state);
void churn_layout(void **state);
void churn_classify_holes(void **state);
void churn_state_keeps_holes(void **state);

/* test_slice.c */
void slice_partition(void **state);
void slice_geometry(void **state);
void slice_state(void **state);

#endif
