/* SPDX-License-Identifier: GPL-2.0 */
/* The unit tests that live outside test_unit.c (which holds main). */
#ifndef WAC_TESTS_UNIT_H
#define WAC_TESTS_UNIT_H

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
