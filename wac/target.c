// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "wac.h"

/* Linux 5.8 uapi; older headers lack it */
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

static int read_sysfs(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

long read_sysfs_long(const char *dir, const char *file, long dflt)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_sysfs(path, buf, sizeof(buf)))
		return dflt;
	return strtol(buf, NULL, 10);
}

int mountinfo_parse(const char *line, struct mount_entry *m)
{
	const char *sep = strstr(line, " - ");

	if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", m->mnt) != 1 ||
	    sscanf(sep + 3, "%63s %4095s %1023s", m->fs, m->src, m->opts) != 3)
		return -EINVAL;
	return 0;
}

/*
 * The mount holding path: longest mount point that prefixes it.  Gives
 * its fs type and source (btrfs files have an anonymous st_dev, so the
 * source is the only way back to the disk).
 */
static int find_mount(const char *path, char *fstype, size_t fslen,
		      char *source, size_t srclen)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	size_t best = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct mount_entry m;
		size_t len;

		if (mountinfo_parse(line, &m))
			continue;
		len = strlen(m.mnt);
		if (strncmp(path, m.mnt, len) ||
		    (len > 1 && path[len] != '/' && path[len] != '\0'))
			continue;
		if (len >= best) {
			best = len;
			snprintf(fstype, fslen, "%s", m.fs);
			snprintf(source, srclen, "%s", m.src);
		}
	}
	fclose(f);
	return best ? 0 : -ENOENT;
}

/* /sys/dev/block/M:m -> the whole disk's /sys/block/NAME directory. */
static int disk_sysfs_dir(unsigned maj, unsigned min, char *dir, size_t len,
			  char *name, size_t namelen)
{
	char link[PATH_MAX], real[PATH_MAX], probe[PATH_MAX + 16];
	char *base;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", maj, min);
	if (!realpath(link, real))
		return -errno;
	snprintf(probe, sizeof(probe), "%s/partition", real);
	if (access(probe, F_OK) == 0) {
		base = strrchr(real, '/');
		*base = '\0'; /* a partition: its parent is the disk */
	}
	base = strrchr(real, '/');
	snprintf(name, namelen, "%s", base + 1);
	snprintf(dir, len, "%s", real);
	return 0;
}

void target_probe_device(struct target_info *ti)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];

	ti->stable_writes = -1;
	if (disk_sysfs_dir(ti->major, ti->minor, dir, sizeof(dir), ti->device,
			   sizeof(ti->device)))
		return;
	snprintf(ti->sysfs_dir, sizeof(ti->sysfs_dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/queue", dir);
	ti->stable_writes = read_sysfs_long(path, "stable_writes", -1);
	ti->logical_block_size = read_sysfs_long(path, "logical_block_size", 0);
	snprintf(path, sizeof(path), "%s/integrity/format", dir);
	if (read_sysfs(path, ti->integrity_format,
		       sizeof(ti->integrity_format)) ||
	    !strcmp(ti->integrity_format, "none"))
		ti->integrity_format[0] = '\0';
	snprintf(path, sizeof(path), "%s/integrity", dir);
	ti->integrity_tag_size = read_sysfs_long(path, "tag_size", 0);
	ti->integrity_interval =
		read_sysfs_long(path, "protection_interval_bytes", 0);
}

/* Which device holds a file: st_dev, or the mount source for btrfs. */
static void locate_file_device(struct target_info *ti, const struct stat *st)
{
	char real[PATH_MAX], source[PATH_MAX], sys[64];
	struct stat sst;

	ti->major = major(st->st_dev);
	ti->minor = minor(st->st_dev);
	if (!realpath(ti->path, real))
		return;
	if (find_mount(real, ti->fs_type, sizeof(ti->fs_type), source,
		       sizeof(source)))
		return;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", ti->major,
		 ti->minor);
	if (access(sys, F_OK) && stat(source, &sst) == 0 &&
	    S_ISBLK(sst.st_mode)) {
		ti->major = major(sst.st_rdev);
		ti->minor = minor(sst.st_rdev);
	}
}

/* What kind of device holds the target, so that runs on a loop device,
 * a scsi_debug disk and tmpfs are never compared as one. */
static void target_kind(struct target_info *ti)
{
	static const struct {
		const char *prefix, *kind;
	} by_name[] = {
		{"loop", "loop"}, {"dm-", "dm"},    {"md", "md"},
		{"zram", "zram"}, {"pmem", "pmem"}, {"nvme", "nvme"},
		{"vd", "virtio"}, {"nbd", "nbd"},   {"mmcblk", "mmc"},
	};
	char path[PATH_MAX + 16];
	const char *kind = "disk";
	size_t n;

	if (!ti->device[0]) {
		/* no block device: tmpfs, a FUSE or network filesystem */
		snprintf(ti->device_kind, sizeof(ti->device_kind), "%s",
			 ti->fs_type[0] ? ti->fs_type : "none");
		return;
	}
	snprintf(path, sizeof(path), "%s/device/model", ti->sysfs_dir);
	if (!read_sysfs(path, ti->device_model, sizeof(ti->device_model))) {
		n = strlen(ti->device_model);
		while (n && ti->device_model[n - 1] == ' ')
			ti->device_model[--n] = '\0';
	}
	for (size_t i = 0; i < sizeof(by_name) / sizeof(*by_name); i++)
		if (!strncmp(ti->device, by_name[i].prefix,
			     strlen(by_name[i].prefix)))
			kind = by_name[i].kind;
	if (!strcmp(ti->device_model, "scsi_debug"))
		kind = "scsi_debug";
	snprintf(ti->device_kind, sizeof(ti->device_kind), "%s", kind);
}

/*
 * Is DAX in effect on the open target?  A filesystem mounted with
 * -o dax=always can still hand out page-cache files (xfs turns DAX off
 * when the device cannot do it, and says so only in the kernel log), so
 * the answer comes from the inode, not the mount options.
 */
static int target_dax(int fd)
{
	struct statx st;

	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, 0, &st))
		return -1;
	if (!(st.stx_attributes_mask & STATX_ATTR_DAX))
		return -1;
	return !!(st.stx_attributes & STATX_ATTR_DAX);
}

int target_open(const char *path, struct target_info *ti, int flags)
{
	struct stat st;
	int fd;

	memset(ti, 0, sizeof(*ti));
	snprintf(ti->path, sizeof(ti->path), "%s", path);
	fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;

		wac_err("cannot open target %s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st)) {
		int e = errno;

		close(fd);
		return -e;
	}
	if (S_ISBLK(st.st_mode)) {
		ti->is_blockdev = true;
		ti->major = major(st.st_rdev);
		ti->minor = minor(st.st_rdev);
		if (ioctl(fd, BLKGETSIZE64, &ti->bdev_size))
			ti->bdev_size = 0;
	} else if (S_ISREG(st.st_mode)) {
		locate_file_device(ti, &st);
	} else {
		wac_err("target %s is neither a regular file nor a block "
			"device",
			path);
		close(fd);
		return -EINVAL;
	}
	target_probe_device(ti);
	target_kind(ti);
	ti->dax = target_dax(fd);
	if (ti->is_blockdev) {
		int lbs;

		if (ioctl(fd, BLKSSZGET, &lbs) == 0)
			ti->logical_block_size = lbs;
	}
	return fd;
}

void target_read_stat(const struct target_info *ti, struct dev_stat *s)
{
	char path[PATH_MAX + 8];
	unsigned long long f[17] = {0};
	FILE *fp;
	int n;

	memset(s, 0, sizeof(*s));
	if (!ti->sysfs_dir[0])
		return;
	snprintf(path, sizeof(path), "%s/stat", ti->sysfs_dir);
	fp = fopen(path, "r");
	if (!fp)
		return;
	/* Documentation/block/stat.rst: 11 fields, 15 from 4.18, 17 from 5.5 */
	n = fscanf(fp,
		   "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
		   "%llu %llu %llu %llu %llu %llu %llu",
		   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7],
		   &f[8], &f[9], &f[10], &f[11], &f[12], &f[13], &f[14], &f[15],
		   &f[16]);
	fclose(fp);
	if (n < 11)
		return;
	s->valid = true;
	s->read_ios = f[0];
	s->read_sectors = f[2];
	s->write_ios = f[4];
	s->write_sectors = f[6];
	s->write_ticks_ms = f[7];
	s->in_queue_ms = f[10];
	s->flush_ios = n >= 17 ? f[15] : 0;
}
