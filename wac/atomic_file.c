// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>

int atomic_open(struct atomic_file *a, const char *path)
{
	a->path = path;
	if (snprintf(a->tmp, sizeof(a->tmp), "%s.tmp.%d", path,
		     (int)getpid()) >= (int)sizeof(a->tmp))
		return -ENAMETOOLONG;
	a->f = fopen(a->tmp, "w");
	return a->f ? 0 : -errno;
}

/* The rename is durable only once the directory is on disk too. */
static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	int fd, ret = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int atomic_commit(struct atomic_file *a, int ret)
{
	if ((fflush(a->f) || fsync(fileno(a->f))) && !ret)
		ret = -errno;
	if (fclose(a->f) && !ret)
		ret = -errno;
	if (!ret && rename(a->tmp, a->path))
		ret = -errno;
	if (ret) {
		unlink(a->tmp);
		return ret;
	}
	return fsync_dir_of(a->path);
}
