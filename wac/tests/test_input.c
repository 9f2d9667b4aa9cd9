// SPDX-License-Identifier: GPL-2.0
/* Unit tests of what wac reads from outside: sizes, durations, options,
 * kernel-log lines. */
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

void sizes_parse(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_size("64k", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse_size("64M", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(parse_size("1g", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("2KiB", &v), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("k", &v), -EINVAL);
	assert_int_equal(parse_size("-4k", &v), -EINVAL);
	assert_int_equal(parse_size("12q", &v), -EINVAL);
	assert_int_equal(parse_size("0", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999999999999", &v), -EINVAL);
	assert_int_equal(parse_size("20000000t", &v), -EINVAL);
}

void durations_parse(void **state)
{
	double d;

	(void)state;
	assert_int_equal(parse_duration("30", &d), 0);
	assert_true(d == 30);
	assert_int_equal(parse_duration("30s", &d), 0);
	assert_true(d == 30);
	assert_int_equal(parse_duration("5m", &d), 0);
	assert_true(d == 300);
	assert_int_equal(parse_duration("500ms", &d), 0);
	assert_true(d > 0.49 && d < 0.51);
	assert_int_equal(parse_duration("1h", &d), 0);
	assert_true(d == 3600);
	assert_int_equal(parse_duration("0", &d), -EINVAL);
	assert_int_equal(parse_duration("5x", &d), -EINVAL);
	assert_int_equal(parse_duration("s", &d), -EINVAL);
}

static int parse(struct wac_config *cfg, int argc, const char **argv)
{
	optind = 0; /* restart getopt */
	return parse_options(argc, (char **)argv, cfg);
}

void options_profiles(void **state)
{
	struct wac_config cfg;
	const char *c[] = {"wac", "-p", "c", "-t", "64", "./f"};
	const char *f[] = {"wac", "-p", "F", "-t", "8", "./f"};
	const char *fl[] = {"wac", "-p", "F", "--f-mode", "legacy", "./f"};
	const char *split[] = {"wac",	     "--writers", "3",
			       "--mmappers", "5",	  "./f"};

	(void)state;
	assert_int_equal(parse(&cfg, 6, c), 0);
	assert_int_equal(cfg.profile, 'C');
	assert_int_equal(cfg.writers, 32);
	assert_int_equal(cfg.mmappers, 32);
	assert_false(cfg.direct);
	assert_int_equal(parse(&cfg, 6, f), 0);
	assert_true(cfg.direct);
	assert_int_equal(cfg.writers, 4);
	assert_int_equal(cfg.mmappers, 4);
	assert_int_equal(parse(&cfg, 6, fl), 0);
	assert_int_equal(cfg.writers, 0);
	assert_int_equal(cfg.mmappers, 64);
	assert_int_equal(parse(&cfg, 6, split), 0);
	assert_int_equal(cfg.threads, 8);
	assert_int_equal(cfg.writers, 3);
}

void options_rejects(void **state)
{
	struct wac_config cfg;
	const char *bad[][6] = {
		{"wac", "-p", "H", "./f"},
		{"wac", "-t", "0", "./f"},
		{"wac", "-s", "lots", "./f"},
		{"wac", "-T", "forever", "./f"},
		{"wac", "--msync", "maybe", "./f"},
		{"wac", "--bogus", "./f"},
		{"wac", "-p", "A"}, /* no target */
		{"wac", "a", "b"}, /* two targets */
		{"wac", "verify", "./f"}, /* verify without --state */
		{"wac", "--sector-size", "1000", "./f"},
		{"wac", "-t"}, /* missing value */
	};
	int argcs[] = {4, 4, 4, 4, 4, 3, 3, 3, 3, 4, 2};
	FILE *saved = stderr;

	(void)state;
	stderr = fopen("/dev/null", "w");
	for (unsigned i = 0; i < sizeof(argcs) / sizeof(argcs[0]); i++)
		assert_int_equal(parse(&cfg, argcs[i], bad[i]), -EINVAL);
	fclose(stderr);
	stderr = saved;
}

void kmsg_classes(void **state)
{
	(void)state;
	assert_int_equal(
		kmsg_classify("scsi_debug: dif_verify: GUARD check failed on "
			      "sector 1234 rcvd 0x1 data 0x2"),
		KM_GUARD);
	assert_int_equal(kmsg_classify("sdb: guard tag error at sector 16 "
				       "(rcvd 1234, want 5678)"),
			 KM_GUARD);
	assert_int_equal(
		kmsg_classify(
			"scsi_debug: dif_verify: REF check failed on sector 8"),
		KM_REF);
	assert_int_equal(
		kmsg_classify("sd 2:0:0:0: [sdb] tag#3 Add. Sense: Logical "
			      "block reference tag check failed"),
		KM_REF);
	assert_int_equal(kmsg_classify("Buffer I/O error on dev sdb, logical "
				       "block 9, lost async page write"),
			 KM_IO_ERROR);
	assert_int_equal(kmsg_classify("INFO: task wac:123 blocked for more "
				       "than 120 seconds."),
			 KM_HUNG_TASK);
	assert_int_equal(
		kmsg_classify("WARNING: CPU: 0 PID: 1 at mm/filemap.c:1 x"),
		KM_BUG_WARNING);
	assert_int_equal(kmsg_classify("Page cache invalidation failure on "
				       "direct I/O.  Possible data corruption "
				       "due to collision with buffered I/O!"),
			 KM_DIO_COLLISION);
	assert_int_equal(kmsg_classify("EXT4-fs (loop0): mounted filesystem"),
			 -1);
	/* "scsi_debug:" holds "bug:" in lower case: not a BUG */
	assert_int_equal(kmsg_classify("scsi_debug:sdebug_driver_probe: host "
				       "protection DIF1 DIX1"),
			 -1);
	assert_int_equal(kmsg_classify("BUG: kernel NULL pointer dereference, "
				       "address: 0000000000000000"),
			 KM_BUG_WARNING);
	assert_int_equal(kmsg_classify("Oops: 0002 [#1] PREEMPT SMP NOPTI"),
			 KM_BUG_WARNING);
	/* filesystem checksums and errors, in the kernels' own formats */
	assert_int_equal(
		kmsg_classify("BTRFS warning (device sdb): csum failed root 5 "
			      "ino 257 off 4096 csum 0x8941f998 expected csum "
			      "0x1f5a3b2c mirror 1"),
		KM_FS_CSUM);
	assert_int_equal(
		kmsg_classify("BTRFS warning (device sdb): checksum verify "
			      "failed on logical 30408704 mirror 1 wanted "
			      "0xc2cc51cb found 0xccf180a7 level 0"),
		KM_FS_CSUM);
	assert_int_equal(kmsg_classify("XFS (sdb): Metadata CRC error detected "
				       "at xfs_agf_read_verify+0x10/0x20 "
				       "[xfs], xfs_agf block 0x1"),
			 KM_FS_CSUM);
	assert_int_equal(
		kmsg_classify("EXT4-fs error (device sdb): ext4_lookup:1855: "
			      "inode #2: comm ls: iget: checksum invalid"),
		KM_FS_CSUM);
	assert_int_equal(kmsg_classify("device-mapper: integrity: dm-0: "
				       "Checksum failed at sector 0x1000"),
			 KM_FS_CSUM);
	assert_int_equal(kmsg_classify("EXT4-fs error (device sdb): "
				       "ext4_journal_check_start:83: comm wac: "
				       "Detected aborted journal"),
			 KM_FS_ERROR);
	assert_int_equal(
		kmsg_classify("EXT4-fs (sdb): Remounting filesystem read-only"),
		KM_FS_ERROR);
	assert_int_equal(
		kmsg_classify("XFS (sdb): Corruption of in-memory data (0x8) "
			      "detected at xfs_trans_cancel+0x1/0x2 "
			      "(fs/xfs/xfs_trans.c:1097).  Shutting down "
			      "filesystem."),
		KM_FS_ERROR);
	/* the message part of each log format */
	assert_string_equal(kmsg_message("[   12.345678] sd 2:0:0:0: x"),
			    "sd 2:0:0:0: x");
	assert_string_equal(kmsg_message("6,339,5140900,-,caller=T1;BUG: y"),
			    "BUG: y");
	assert_string_equal(kmsg_message("3,12,99,-;z"), "z");
	assert_string_equal(kmsg_message("plain; line"), "plain; line");
}
