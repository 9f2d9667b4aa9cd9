// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the generator's pure parts (cmocka). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "../crc32c.h"
#include "../hist.h"
#include "../kmsg.h"
#include "../options.h"
#include "../oracle.h"
#include "../record.h"
#include "../run.h"
#include "../verify.h"

static void crc32c_check_value(void **state)
{
	(void)state;
	/* RFC 3720, B.4 and the usual check value */
	assert_int_equal(crc32c("123456789", 9), 0xE3069283);
	assert_int_equal(crc32c_update_sw(0, "123456789", 9), 0xE3069283);
}

static void crc32c_rfc3720_vectors(void **state)
{
	unsigned char buf[32];

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(crc32c(buf, 32), 0x8A9136AA);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(crc32c(buf, 32), 0x62A8AB43);
	for (int i = 0; i < 32; i++)
		buf[i] = i;
	assert_int_equal(crc32c(buf, 32), 0x46DD794E);
}

/* The 3-stream fast path must equal the table for every length/split. */
static void crc32c_fast_equals_table(void **state)
{
	static unsigned char buf[5000];

	(void)state;
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = rand();
	for (size_t len = 0; len < sizeof(buf); len += 37) {
		uint32_t a = crc32c(buf + 3, len);
		uint32_t b = crc32c_update_sw(0, buf + 3, len);

		assert_int_equal(a, b);
		/* and chained in two pieces */
		assert_int_equal(crc32c_update(crc32c(buf + 3, len / 3),
					       buf + 3 + len / 3,
					       len - len / 3),
				 b);
	}
}

static void stamp(void *buf, uint32_t ss, uint64_t run, uint64_t sector,
		  uint32_t gen, uint32_t writer)
{
	struct wac_record_hdr h = {.run_id = run,
				   .sector = sector,
				   .gen = gen,
				   .writer = writer,
				   .sector_size = ss};
	record_stamp(buf, &h);
}

static void record_roundtrip(void **state)
{
	uint32_t sizes[] = {512, 4096};

	(void)state;
	for (int i = 0; i < 2; i++) {
		uint32_t ss = sizes[i];
		unsigned char *buf = calloc(1, ss);
		struct wac_record_hdr h;

		assert_int_equal(record_decode(buf, ss, &h), RECORD_ZERO);
		stamp(buf, ss, 0x1234, 77, 5, 3);
		assert_int_equal(record_decode(buf, ss, &h), RECORD_VALID);
		assert_int_equal(h.sector, 77);
		assert_int_equal(h.gen, 5);
		assert_int_equal(h.writer, 3);
		assert_int_equal(h.run_id, 0x1234);
		/* one flipped bit anywhere breaks it */
		buf[ss - 1] ^= 0x10;
		assert_int_equal(record_decode(buf, ss, &h), RECORD_BAD_CRC);
		buf[ss - 1] ^= 0x10;
		buf[100] ^= 1;
		assert_int_equal(record_decode(buf, ss, &h), RECORD_BAD_CRC);
		buf[0] ^= 0xff;
		assert_int_equal(record_decode(buf, ss, &h), RECORD_GARBAGE);
		free(buf);
	}
}

/* The stamped crc, computed from tables, is the CRC32C of the sector's
 * bytes (record_crc) at every sector size; and a payload that is not the
 * header's is caught even when the crc is made to fit it. */
static void record_crc_tables_match(void **state)
{
	(void)state;
	for (uint32_t ss = 512; ss <= 65536; ss *= 2) {
		unsigned char *buf = calloc(1, ss);
		struct wac_record_hdr h;

		for (uint32_t gen = 1; gen <= 3; gen++) {
			stamp(buf, ss, 0xabcdef12345ull * gen, gen * 1000003,
			      gen, gen * 7);
			assert_int_equal(((struct wac_record_hdr *)buf)->crc,
					 record_crc(buf, ss));
			assert_int_equal(record_decode(buf, ss, &h),
					 RECORD_VALID);
		}
		buf[ss / 2] ^= 0x80;
		((struct wac_record_hdr *)buf)->crc = record_crc(buf, ss);
		assert_int_equal(record_decode(buf, ss, &h), RECORD_BAD_CRC);
		free(buf);
	}
}

/* The side-by-side stamping of a block writes exactly what stamping each
 * sector alone writes (the verify pass only knows record_stamp). */
static void record_stamp_run_matches(void **state)
{
	uint32_t sizes[] = {512, 4096};

	(void)state;
	for (int i = 0; i < 2; i++) {
		uint32_t ss = sizes[i];
		unsigned char *a = calloc(9, ss), *b = calloc(9, ss);
		struct wac_record_hdr h = {.run_id = 0xfeed,
					   .stamp_ns = 123456789,
					   .gen = 7,
					   .writer = 2,
					   .kind = 1,
					   .variant = 3,
					   .sector_size = ss};

		for (unsigned n = 1; n <= 9; n++) {
			h.sector = 1000 + n;
			memset(a, 0xa5, 9 * ss);
			memset(b, 0x5a, 9 * ss);
			record_stamp_run(a, &h, n);
			for (unsigned k = 0; k < n; k++) {
				struct wac_record_hdr one = h;

				one.sector = h.sector + k;
				record_stamp(b + k * ss, &one);
			}
			assert_memory_equal(a, b, n * ss);
			assert_int_equal(
				record_decode(a + (n - 1) * ss, ss, &h),
				RECORD_VALID);
			assert_int_equal(h.sector, 1000 + 2 * n - 1);
			h.sector = 1000 + n;
		}
		free(a);
		free(b);
	}
}

static void record_payload_differs_by_generation(void **state)
{
	unsigned char a[512], b[512];

	(void)state;
	stamp(a, 512, 1, 9, 1, 0);
	stamp(b, 512, 1, 9, 2, 0);
	assert_memory_not_equal(a + 64, b + 64, 448);
}

/*
 * A 4-unit oracle (512-byte units, 2 owners interleaved):
 * unit 0: written 3, durable 2; unit 1: written 1, durable 0;
 * unit 2: never written; unit 3: written 2, durable 2, raced.
 */
static struct wac_oracle *make_oracle(void)
{
	static struct wac_oracle o;

	assert_int_equal(oracle_init(&o, 0xabc, 4 * 512, 512, 512, 2), 0);
	o.owner_kind[0] = KIND_WRITE;
	o.owner_kind[1] = KIND_MMAP;
	assert_int_equal(oracle_assign(&o, LAYOUT_INTERLEAVE),
			 LAYOUT_INTERLEAVE);
	o.written[0] = 3;
	o.durable[0] = 2;
	o.written[1] = 1;
	o.written[3] = 2;
	o.durable[3] = 2;
	o.flags[3] = UNIT_RACED;
	return &o;
}

static enum verify_class judge(struct wac_oracle *o, uint64_t sector,
			       const void *buf)
{
	struct verify_finding f;

	return classify_sector(o, sector, buf, &f);
}

static void classify_every_class(void **state)
{
	struct wac_oracle *o = make_oracle();
	unsigned char buf[512];

	(void)state;
	stamp(buf, 512, 0xabc, 0, 3, 0);
	assert_int_equal(judge(o, 0, buf), V_OK);
	stamp(buf, 512, 0xabc, 0, 2, 0);
	assert_int_equal(judge(o, 0, buf), V_STALE); /* 2 was promised */
	stamp(buf, 512, 0xabc, 0, 1, 0);
	assert_int_equal(judge(o, 0, buf), V_LOST); /* older than promised */
	stamp(buf, 512, 0xabc, 0, 4, 0);
	assert_int_equal(judge(o, 0, buf), V_FUTURE);
	stamp(buf, 512, 0xdef, 0, 3, 0);
	assert_int_equal(judge(o, 0, buf), V_FOREIGN);
	stamp(buf, 512, 0xabc, 2, 3, 0);
	assert_int_equal(judge(o, 0, buf), V_MISDIRECTED); /* sector 2's */
	stamp(buf, 512, 0xabc, 0, 3, 1);
	assert_int_equal(judge(o, 0, buf), V_MISDIRECTED); /* wrong owner */
	stamp(buf, 512, 0xabc, 0, 3, 0);
	buf[200] ^= 4;
	assert_int_equal(judge(o, 0, buf), V_TORN);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(judge(o, 2, buf), V_UNWRITTEN);
	assert_int_equal(judge(o, 1, buf), V_STALE); /* never promised */
	assert_int_equal(judge(o, 0, buf), V_LOST); /* zeros, 2 promised */
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(judge(o, 3, buf), V_RACED); /* garbage, raced */
	assert_int_equal(judge(o, 1, buf), V_TORN);
	/* never written: old contents are not ours to judge... */
	assert_int_equal(judge(o, 2, buf), V_UNWRITTEN);
	stamp(buf, 512, 0xdef, 2, 1, 0);
	assert_int_equal(judge(o, 2, buf), V_UNWRITTEN);
	/* ...but a record of this run there is */
	stamp(buf, 512, 0xabc, 2, 1, 0);
	assert_int_equal(judge(o, 2, buf), V_FUTURE);
	stamp(buf, 512, 0xabc, 0, 3, 0);
	assert_int_equal(judge(o, 2, buf), V_MISDIRECTED);
	oracle_free(o);
}

static void classify_collision(void **state)
{
	static struct wac_oracle o;
	unsigned char buf[512];

	(void)state;
	/* 8 units of one page: owner 0 direct, owner 1 mmap */
	assert_int_equal(oracle_init(&o, 7, 4096, 512, 512, 2), 0);
	o.owner_kind[0] = KIND_DIRECT;
	o.owner_kind[1] = KIND_MMAP;
	assert_int_equal(oracle_assign(&o, LAYOUT_INTERLEAVE),
			 LAYOUT_INTERLEAVE);
	o.written[0] = o.durable[0] = 5;
	o.written[1] = o.durable[1] = 5;
	stamp(buf, 512, 7, 0, 4, 0);
	assert_int_equal(judge(&o, 0, buf), V_COLLISION);
	stamp(buf, 512, 7, 1, 4, 1);
	assert_int_equal(judge(&o, 1, buf), V_LOST); /* mmap side: real loss */
	oracle_free(&o);
}

static void layout_segregate_separates_pages(void **state)
{
	static struct wac_oracle o;

	(void)state;
	/* 64 KiB of 512-byte units, owners 0-3 direct, 4-7 mmap */
	assert_int_equal(oracle_init(&o, 1, 65536, 512, 512, 8), 0);
	for (int i = 0; i < 8; i++)
		o.owner_kind[i] = i < 4 ? KIND_DIRECT : KIND_MMAP;
	assert_int_equal(oracle_assign(&o, LAYOUT_AUTO), LAYOUT_SEGREGATE);
	for (uint64_t page = 0; page < 16; page++) {
		uint8_t kind = o.owner_kind[o.owner[page * 8]];
		unsigned distinct = 0, seen = 0;

		for (int k = 0; k < 8; k++) {
			unsigned ow = o.owner[page * 8 + k];

			assert_int_equal(o.owner_kind[ow], kind);
			if (!(seen & (1u << ow)))
				distinct++;
			seen |= 1u << ow;
		}
		assert_int_equal(distinct, 4); /* 4 threads share the page */
	}
	oracle_free(&o);
	/* too small: 2 pages cannot feed 8 owners of one class... */
	assert_int_equal(oracle_init(&o, 1, 1024, 512, 512, 4), 0);
	for (int i = 0; i < 4; i++)
		o.owner_kind[i] = i < 2 ? KIND_DIRECT : KIND_MMAP;
	assert_int_equal(oracle_assign(&o, LAYOUT_SEGREGATE), -EINVAL);
	oracle_free(&o);
}

/* state_damaged PATH APPEND FLIP_FROM_END: damage a saved state file
 * (append one byte, or flip the byte FLIP_FROM_END from the end) and
 * load it. */
static int state_damaged(const char *path, int append, long flip_from_end)
{
	struct wac_oracle back;
	FILE *f = fopen(path, "r+");
	int c, ret;

	assert_non_null(f);
	if (append) {
		fseek(f, 0, SEEK_END);
		fputc(0, f);
	} else {
		fseek(f, flip_from_end, SEEK_END);
		c = fgetc(f);
		fseek(f, flip_from_end, SEEK_END);
		fputc(c ^ 0x40, f);
	}
	fclose(f);
	ret = oracle_load(&back, path);
	oracle_free(&back);
	return ret;
}

static void oracle_state_roundtrip(void **state)
{
	struct wac_oracle *o = make_oracle(), back;
	char path[] = "/tmp/wac-state-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	o->final_sync_ok = true;
	o->facts = (struct oracle_run_facts){.profile = 'C',
					     .threads = 2,
					     .writers = 1,
					     .mmappers = 1,
					     .seed = 77,
					     .duration_s = 1.5,
					     .sync_every = 3,
					     .iodepth = 2,
					     .write_sync = WSYNC_FSYNC,
					     .layout = LAYOUT_SEGREGATE,
					     .engine = "libaio"};
	assert_int_equal(oracle_save(o, path), 0);
	assert_int_equal(oracle_load(&back, path), 0);
	assert_int_equal(back.facts.profile, 'C');
	assert_int_equal(back.facts.writers, 1);
	/* the rest of the configuration comes back for the verify result */
	assert_int_equal(back.facts.seed, 77);
	assert_true(back.facts.duration_s == 1.5);
	assert_int_equal(back.facts.sync_every, 3);
	assert_int_equal(back.facts.write_sync, WSYNC_FSYNC);
	assert_int_equal(back.facts.layout, LAYOUT_SEGREGATE);
	assert_string_equal(back.facts.engine, "libaio");
	assert_int_equal(back.run_id, 0xabc);
	assert_int_equal(back.units, 4);
	assert_memory_equal(back.written, o->written, 16);
	assert_memory_equal(back.durable, o->durable, 16);
	assert_memory_equal(back.owner, o->owner, 8);
	assert_int_equal(back.flags[3], UNIT_RACED);
	assert_true(back.final_sync_ok);
	oracle_free(&back);
	/* a flipped byte in the oracle, one byte too many, a truncated
	 * file: each refused, nothing read past what is there */
	assert_int_equal(state_damaged(path, 0, -1), -EINVAL);
	assert_int_equal(oracle_save(o, path), 0);
	assert_int_equal(state_damaged(path, 1, 0), -EINVAL);
	assert_int_equal(oracle_save(o, path), 0);
	assert_int_equal(truncate(path, 40), 0);
	assert_int_equal(oracle_load(&back, path), -EINVAL);
	unlink(path);
	oracle_free(o);
}

static void hist_small_values_exact(void **state)
{
	static struct hist h;

	(void)state;
	for (int v = 0; v < 20; v++)
		hist_add(&h, v);
	assert_int_equal(h.count, 20);
	assert_int_equal(hist_quantile(&h, 0.5), 9);
	assert_int_equal(hist_quantile(&h, 1.0), 19);
	assert_int_equal(hist_quantile(&h, 0.01), 0);
}

/* Uniform 1..1e6 ns: each percentile within the 1/64 bucket error. */
static void hist_percentiles_of_known_samples(void **state)
{
	static struct hist h, a, b;
	double qs[] = {0.5, 0.9, 0.99, 0.999};

	(void)state;
	memset(&h, 0, sizeof(h));
	for (uint64_t v = 1; v <= 1000000; v++)
		hist_add(v % 2 ? &a : &b, v);
	hist_merge(&h, &a);
	hist_merge(&h, &b);
	assert_int_equal(h.count, 1000000);
	for (int i = 0; i < 4; i++) {
		double want = qs[i] * 1e6;
		double got = hist_quantile(&h, qs[i]);

		assert_true(got > want * (1 - 1.0 / 64) &&
			    got < want * (1 + 1.0 / 64));
	}
	/* a bimodal set: p50 in the low mode, p99 in the high one */
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 980; i++)
		hist_add(&h, 1000);
	for (int i = 0; i < 20; i++)
		hist_add(&h, 5000000000ull);
	assert_true(hist_quantile(&h, 0.5) > 984 &&
		    hist_quantile(&h, 0.5) < 1016);
	assert_true(hist_quantile(&h, 0.99) > 4.9e9 &&
		    hist_quantile(&h, 0.99) < 5.1e9);
	/* huge values are clamped, not out of bounds */
	hist_add(&h, UINT64_MAX);
	assert_true(hist_index(UINT64_MAX) < HIST_BUCKETS);
}

/* A run in which no thread did anything can never pass. */
static void judge_untested_is_error(void **state)
{
	static struct wac_run run;
	static struct wac_config cfg = {.writers = 2, .mmappers = 0};
	static struct wac_thread threads[2];
	char reasons[REASONS_MAX][160];
	const char *verdict;
	unsigned n;

	(void)state;
	run.cfg = &cfg;
	run.threads = threads;
	run.nthreads = 2;
	run.verify.done = true;
	run.verify.sectors = 128;
	run.verify.counts[V_OK] = 128;
	assert_int_equal(judge_run(&run, &verdict, reasons, &n),
			 WAC_EXIT_USAGE);
	assert_string_equal(verdict, "error");
	assert_non_null(strstr(reasons[0], "no successful write"));
	/* one successful write, and the same run passes */
	threads[1].metrics.ops[OP_WRITE].count = 1;
	assert_int_equal(judge_run(&run, &verdict, reasons, &n), WAC_EXIT_PASS);
	assert_string_equal(verdict, "pass");
	/* a verify that read nothing is an error too */
	run.verify.sectors = 0;
	assert_int_equal(judge_run(&run, &verdict, reasons, &n),
			 WAC_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32c_check_value),
		cmocka_unit_test(crc32c_rfc3720_vectors),
		cmocka_unit_test(crc32c_fast_equals_table),
		cmocka_unit_test(record_roundtrip),
		cmocka_unit_test(record_crc_tables_match),
		cmocka_unit_test(record_stamp_run_matches),
		cmocka_unit_test(record_payload_differs_by_generation),
		cmocka_unit_test(classify_every_class),
		cmocka_unit_test(classify_collision),
		cmocka_unit_test(layout_segregate_separates_pages),
		cmocka_unit_test(oracle_state_roundtrip),
		cmocka_unit_test(sizes_parse),
		cmocka_unit_test(durations_parse),
		cmocka_unit_test(options_profiles),
		cmocka_unit_test(options_rejects),
		cmocka_unit_test(kmsg_classes),
		cmocka_unit_test(judge_untested_is_error),
		cmocka_unit_test(churn_options),
		cmocka_unit_test(churn_layout),
		cmocka_unit_test(churn_classify_holes),
		cmocka_unit_test(churn_state_keeps_holes),
		cmocka_unit_test(slice_partition),
		cmocka_unit_test(slice_geometry),
		cmocka_unit_test(slice_state),
		cmocka_unit_test(hist_small_values_exact),
		cmocka_unit_test(hist_percentiles_of_known_samples),
	};

	return cmocka_run_group_tests_name("wac unit", tests, NULL, NULL);
}
