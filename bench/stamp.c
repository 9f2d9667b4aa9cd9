// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmark of the generator's hot path: stamping sector records
 * (header + payload + CRC32C) and decoding them, on one core, in GB/s.
 * Also the CRC alone, fast path and table, for scale.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../wac/crc32c.h"
#include "../wac/record.h"
#include "../wac/wac.h"

#define BUF (1u << 20)

static volatile uint32_t sink;

static double run_stamp(char *buf, uint32_t ss, double secs)
{
	struct wac_record_hdr h = { .run_id = 42, .sector_size = ss };
	uint64_t bytes = 0, start = now_ns(), end = start + secs * 1e9;

	while (now_ns() < end) {
		for (uint32_t off = 0; off < BUF; off += ss) {
			h.sector++;
			h.gen++;
			record_stamp(buf + off, &h);
		}
		bytes += BUF;
	}
	return bytes / ((now_ns() - start) / 1e9) / 1e9;
}

/* As the writers stamp: a 4 KiB block (or one sector) at a time. */
static double run_stamp_block(char *buf, uint32_t ss, double secs)
{
	struct wac_record_hdr h = { .run_id = 42, .sector_size = ss };
	uint32_t block = ss < 4096 ? 4096 : ss;
	uint64_t bytes = 0, start = now_ns(), end = start + secs * 1e9;

	while (now_ns() < end) {
		for (uint32_t off = 0; off < BUF; off += block) {
			h.sector += block / ss;
			h.gen++;
			record_stamp_run(buf + off, &h, block / ss);
		}
		bytes += BUF;
	}
	return bytes / ((now_ns() - start) / 1e9) / 1e9;
}

static double run_decode(char *buf, uint32_t ss, double secs)
{
	struct wac_record_hdr h;
	uint64_t bytes = 0, start = now_ns(), end = start + secs * 1e9;

	while (now_ns() < end) {
		for (uint32_t off = 0; off < BUF; off += ss)
			sink += record_decode(buf + off, ss, &h);
		bytes += BUF;
	}
	return bytes / ((now_ns() - start) / 1e9) / 1e9;
}

static double run_crc(char *buf, double secs, int sw)
{
	uint64_t bytes = 0, start = now_ns(), end = start + secs * 1e9;

	while (now_ns() < end) {
		sink += sw ? crc32c_update_sw(0, buf, BUF) : crc32c(buf, BUF);
		bytes += BUF;
	}
	return bytes / ((now_ns() - start) / 1e9) / 1e9;
}

static int usage(FILE *out, int status)
{
	fputs("usage: bench/stamp [SECONDS]\n"
	      "CRC32C, record stamp and decode+check throughput on one core,\n"
	      "SECONDS (default 1) per measurement.\n",
	      out);
	return status;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	char *buf;
	uint32_t sizes[] = { 512, 4096 };

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(stdout, 0);
	if (argc > 2 || secs <= 0)
		return usage(stderr, 2);
	buf = aligned_alloc(4096, BUF);

	memset(buf, 0x5a, BUF);
	printf("crc32c (%s): %.2f GB/s; table: %.2f GB/s\n", crc32c_impl(),
	       run_crc(buf, secs, 0), run_crc(buf, secs, 1));
	for (int i = 0; i < 2; i++) {
		/* stamp first: decode must find valid records to check */
		double stamp = run_stamp(buf, sizes[i], secs);
		double block = run_stamp_block(buf, sizes[i], secs);
		double decode = run_decode(buf, sizes[i], secs);

		printf("sector %4u: stamp %.2f GB/s (a 4 KiB block at a time %.2f GB/s), decode+check %.2f GB/s (one core)\n",
		       sizes[i], stamp, block, decode);
	}
	free(buf);
	return 0;
}
