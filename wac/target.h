/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_TARGET_H
#define WAC_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* What the run writes to, and the block device that stores it. */
struct target_info {
	char path[PATH_MAX];
	bool is_blockdev;
	uint64_t bdev_size; /* block devices: bytes */
	char fs_type[32]; /* "" for a raw device */
	char device[64]; /* sysfs name of the whole disk: "sda", "loop0" */
	char device_kind[16]; /* loop, scsi_debug, dm, md, nvme, tmpfs ... */
	char device_model[64]; /* device/model in sysfs, "" when none */
	char sysfs_dir[PATH_MAX]; /* its /sys/devices/... directory */
	unsigned major, minor; /* of the partition or disk holding it */
	uint32_t logical_block_size; /* of the device, 0 if unknown */
	int stable_writes; /* -1 unknown */
	char integrity_format[64]; /* "" when no integrity profile */
	unsigned integrity_tag_size;
	unsigned integrity_interval;
	/* DAX in effect on the target (statx STATX_ATTR_DAX): 1 yes, 0 no,
	 * -1 unknown (a kernel before 5.8 does not report it) */
	int dax;
};

/*
 * Open (creating a file if needed) and describe the target.  Returns an
 * fd opened O_RDWR, or -errno after printing one line on stderr.
 */
/* FLAGS: O_RDWR | O_CREAT for a run, O_RDONLY for a verify (which never
 * creates or writes its target). */
int target_open(const char *path, struct target_info *ti, int flags);

/* One line of /proc/self/mountinfo: its mount point, and after the " - "
 * its fs type, source and super options. */
struct mount_entry {
	char mnt[PATH_MAX], fs[64], src[PATH_MAX], opts[1024];
};

/* 0, or -EINVAL for a line that is not one. */
int mountinfo_parse(const char *line, struct mount_entry *m);

/* Re-read queue/stable_writes etc. (fills the sysfs parts of ti). */
void target_probe_device(struct target_info *ti);

/* The disk's I/O counters (/sys/block/X/stat), to prove I/O reached it. */
struct dev_stat {
	bool valid;
	uint64_t read_ios, read_sectors, write_ios, write_sectors;
	uint64_t write_ticks_ms, in_queue_ms, flush_ios;
};

void target_read_stat(const struct target_info *ti, struct dev_stat *s);

/* The number in sysfs or procfs file DIR/FILE, or dflt when it cannot be
 * read. */
long read_sysfs_long(const char *dir, const char *file, long dflt);

#endif
