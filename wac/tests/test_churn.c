// SPDX-License-Identifier: GPL-2.0
/* Unit tests of profile G: its split, layout churn, holes in the oracle
 * and in the state file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "../options.h"
#include "../oracle.h"
#include "../record.h"
#include "../verify.h"

static int parse(struct wac_config *cfg, int argc, const char **argv)
{
	optind = 0;
	return parse_options(argc, (char **)argv, cfg);
}

void churn_options(void **state)
{
	struct wac_config cfg;
	const char *g[] = {"wac", "-p", "G", "-t", "16", "./f"};
	const char *g3[] = {"wac", "-p", "G", "-t", "3", "./f"};
	const char *gc[] = {"wac", "-p",	 "G", "-t",
			    "8",   "--churners", "3", "./f"};
	const char *gw[] = {"wac", "-p",	 "G", "--writers",
			    "3",   "--mmappers", "3", "./f"};
	const char *ac[] = {"wac", "-p",	 "A", "-t",
			    "4",   "--churners", "2", "./f"};
	const char *bad[][8] = {
		{"wac", "-p", "G", "-t", "2", "./f"},
		{"wac", "-p", "D", "--churners", "1", "./f"},
		{"wac", "-p", "A", "-d", "--churners", "1", "./f"},
		{"wac", "-p", "G", "-t", "4", "--churners", "3", "./f"},
		{"wac", "--prefill-only", "--state", "s", "./f"},
	};
	const int nbad[] = {6, 6, 7, 8, 5};

	(void)state;
	assert_int_equal(parse(&cfg, 6, g), 0);
	assert_int_equal(cfg.churners, 4);
	assert_int_equal(cfg.writers, 6);
	assert_int_equal(cfg.mmappers, 6);
	assert_int_equal(cfg.threads, 16);
	assert_int_equal(parse(&cfg, 6, g3), 0);
	assert_int_equal(cfg.churners, 1);
	assert_int_equal(cfg.writers + cfg.mmappers, 2);
	assert_int_equal(parse(&cfg, 8, gc), 0);
	assert_int_equal(cfg.churners, 3);
	assert_int_equal(cfg.threads, 8);
	/* G given its writers: still churns, in the -t ratio */
	assert_int_equal(parse(&cfg, 8, gw), 0);
	assert_int_equal(cfg.churners, 2);
	assert_int_equal(cfg.threads, 8);
	/* A with churners added: -t goes to the writers */
	assert_int_equal(parse(&cfg, 8, ac), 0);
	assert_int_equal(cfg.writers, 4);
	assert_int_equal(cfg.churners, 2);
	assert_int_equal(cfg.threads, 6);
	for (unsigned i = 0; i < sizeof(nbad) / sizeof(nbad[0]); i++)
		assert_int_equal(parse(&cfg, nbad[i], bad[i]), -EINVAL);
}

/* 1 MiB of 512-byte units: owners 0 write, 1 mmap, 2 churn. */
static void churn_oracle(struct wac_oracle *o)
{
	assert_int_equal(oracle_init(o, 0x77, 1 << 20, 512, 512, 3), 0);
	o->owner_kind[0] = KIND_WRITE;
	o->owner_kind[1] = KIND_MMAP;
	o->owner_kind[2] = KIND_CHURN;
	assert_int_equal(oracle_assign(o, LAYOUT_AUTO), LAYOUT_CHURN);
}

void churn_layout(void **state)
{
	static struct wac_oracle o;
	uint64_t ru;

	(void)state;
	churn_oracle(&o);
	ru = o.region_units;
	assert_int_equal(ru, 128); /* 64 KiB */
	assert_int_equal(o.tail_first, o.units - ru);
	/* region 0: no churner; region 1: the churner but the odd units of
	 * its first page, which page-cache threads share */
	for (uint64_t u = 0; u < ru; u++)
		assert_int_not_equal(o.owner[u], 2);
	for (uint64_t u = ru; u < 2 * ru; u++) {
		bool shared = u - ru < 8 && (u - ru) % 2;

		assert_int_equal(o.owner[u] == 2, !shared);
	}
	/* the tail: churner on even units, the mmap thread on odd ones of
	 * every page, never the write() thread */
	for (uint64_t u = o.tail_first; u < o.units; u++)
		assert_int_equal(o.owner[u], (u - o.tail_first) % 2 ? 1 : 2);
	oracle_free(&o);
	/* -p G's default 64 threads on 1 MiB: 16 churners, each with a
	 * region (smaller regions then) */
	assert_int_equal(oracle_init(&o, 1, 1 << 20, 512, 512, 64), 0);
	for (int i = 0; i < 64; i++)
		o.owner_kind[i] =
			i < 48 ? (i % 2 ? KIND_MMAP : KIND_WRITE) : KIND_CHURN;
	assert_int_equal(oracle_assign(&o, LAYOUT_AUTO), LAYOUT_CHURN);
	assert_true(o.region_units < 128);
	oracle_free(&o);
}

static enum verify_class judge(struct wac_oracle *o, uint64_t sector,
			       const void *buf)
{
	struct verify_finding f;

	return classify_sector(o, sector, buf, &f);
}

static void stamp(void *buf, uint64_t run, uint64_t sector, uint32_t gen,
		  uint32_t writer)
{
	struct wac_record_hdr h = {.run_id = run,
				   .sector = sector,
				   .gen = gen,
				   .writer = writer,
				   .sector_size = 512};

	record_stamp(buf, &h);
}

void churn_classify_holes(void **state)
{
	static struct wac_oracle o;
	unsigned char buf[512];
	uint64_t u;

	(void)state;
	churn_oracle(&o);
	u = o.region_units; /* first unit of region 1: the churner's */
	o.written[u] = o.durable[u] = 4;
	o.flags[u] = UNIT_HOLE;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(judge(&o, u, buf), V_HOLE);
	/* its own old record, another run's, garbage: all exposed */
	stamp(buf, 0x77, u, 3, 2);
	assert_int_equal(judge(&o, u, buf), V_EXPOSED);
	stamp(buf, 0x99, u, 1, 0);
	assert_int_equal(judge(&o, u, buf), V_EXPOSED);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(judge(&o, u, buf), V_EXPOSED);
	/* a hole never written is still a hole */
	o.written[u] = o.durable[u] = 0;
	assert_int_equal(judge(&o, u, buf), V_EXPOSED);
	/* written again: zeros where a sync promised data are lost */
	o.written[u] = o.durable[u] = 5;
	o.flags[u] = 0;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(judge(&o, u, buf), V_LOST);
	/* a store that raced a cut: zeros or the record, nothing else */
	o.flags[u] = UNIT_HOLE_OK;
	assert_int_equal(judge(&o, u, buf), V_HOLE);
	stamp(buf, 0x77, u, 5, 2);
	assert_int_equal(judge(&o, u, buf), V_OK);
	stamp(buf, 0x77, u, 3, 2);
	assert_int_equal(judge(&o, u, buf), V_LOST);
	assert_true(verify_class_fails(V_EXPOSED));
	assert_false(verify_class_fails(V_HOLE));
	assert_string_equal(verify_class_name(V_EXPOSED), "exposed");
	oracle_free(&o);
}

void churn_state_keeps_holes(void **state)
{
	static struct wac_oracle o, back;
	char path[] = "/tmp/wac-churn-state-XXXXXX";
	int fd = mkstemp(path);
	uint64_t u;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	churn_oracle(&o);
	u = o.region_units;
	o.flags[u] = UNIT_HOLE;
	o.flags[u + 2] = UNIT_HOLE_OK;
	o.facts = three_thread_facts('G', LAYOUT_CHURN);
	assert_int_equal(oracle_save(&o, path), 0);
	assert_int_equal(oracle_load(&back, path), 0);
	assert_int_equal(back.facts.profile, 'G');
	assert_int_equal(back.facts.churners, 1);
	assert_int_equal(back.flags[u], UNIT_HOLE);
	assert_int_equal(back.flags[u + 2], UNIT_HOLE_OK);
	oracle_free(&back);
	/* the format before holes ("WACSTAT4"): refused, by name */
	f = fopen(path, "r+");
	assert_non_null(f);
	fseek(f, 7, SEEK_SET);
	fputc('4', f);
	fclose(f);
	assert_int_equal(oracle_load(&back, path), -EINVAL);
	unlink(path);
	oracle_free(&o);
}
