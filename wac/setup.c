// SPDX-License-Identifier: GPL-2.0
/*
 * Setting up a run: the target, its geometry, the oracle and one fd (and
 * mapping) per thread.  Any failure here is a usage/setup error (exit 2)
 * with one line on stderr, kept in run->setup_error for the result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"
#include "run.h"

static int setup_fail(struct wac_run *run, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int setup_fail(struct wac_run *run, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run->setup_error, sizeof(run->setup_error), fmt, ap);
	va_end(ap);
	wac_err("%s", run->setup_error);
	return err ? -abs(err) : -EINVAL;
}

static uint64_t random_u64(void)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = now_ns() * 0x9e3779b97f4a7c15ull;
	return v | 1;
}

/* Sector size, block size and used size, checked against the target. */
static int resolve_geometry(struct wac_run *run)
{
	struct wac_config *cfg = run->cfg;
	struct target_info *ti = &run->ti;

	if (!cfg->sector_size)
		cfg->sector_size = ti->is_blockdev && ti->logical_block_size
					   ? ti->logical_block_size
					   : 512;
	if (ti->is_blockdev && ti->logical_block_size > cfg->sector_size)
		return setup_fail(run, EINVAL,
				  "--sector-size %u is below the device's "
				  "logical block size %u",
				  cfg->sector_size, ti->logical_block_size);
	if (!cfg->block)
		cfg->block = cfg->sector_size;
	if (cfg->block % cfg->sector_size)
		return setup_fail(
			run, EINVAL,
			"--block %u is not a multiple of the sector size %u",
			cfg->block, cfg->sector_size);
	if (cfg->direct && cfg->block % 512)
		return setup_fail(
			run, EINVAL,
			"O_DIRECT needs --block to be a multiple of 512");
	cfg->size -= cfg->size % cfg->block;
	if (ti->is_blockdev && cfg->size > ti->bdev_size)
		return setup_fail(
			run, EINVAL,
			"--size %llu is larger than the device (%llu bytes)",
			(unsigned long long)cfg->size,
			(unsigned long long)ti->bdev_size);
	return 0;
}

static unsigned owner_count(const struct wac_config *cfg)
{
	if (profile_scribbles(cfg))
		return cfg->writers;
	return cfg->threads;
}

/*
 * Thread i's kind.  Writers and mmap threads alternate evenly so that
 * consecutive units, and hence every page, have owners of both kinds.
 */
static enum wac_kind thread_kind(const struct wac_config *cfg, unsigned i,
				 bool *is_writer)
{
	unsigned T = cfg->threads - cfg->churners, M = cfg->mmappers;

	if (i >= T) { /* the churners come last */
		*is_writer = false;
		return KIND_CHURN;
	}
	*is_writer = (uint64_t)(i + 1) * M / T == (uint64_t)i * M / T;
	if (profile_scribbles(cfg))
		return *is_writer ? KIND_DIRECT : KIND_SCRIBBLE;
	if (!*is_writer)
		return KIND_MMAP;
	return cfg->direct ? KIND_DIRECT : KIND_WRITE;
}

/* --prefill-only: generation 1 of this run's records for every sector. */
static void stamp_chunk(const struct wac_oracle *o, char *buf, uint64_t off,
			size_t len)
{
	struct wac_record_hdr h = {
		.run_id = o->run_id,
		.stamp_ns = now_ns(),
		.gen = 1,
		.kind = KIND_WRITE,
		.sector_size = o->sector_size,
	};

	for (size_t i = 0; i < len; i += o->sector_size) {
		h.sector = (off + i) / o->sector_size;
		record_stamp(buf + i, &h);
	}
}

/* Write zeros (or, with --prefill-only, records) over [off, off + len). */
static int prefill_range(struct wac_run *run, char *buf, uint64_t off,
			 uint64_t len)
{
	while (len) {
		size_t n = len < run->cfg->prefill_write
				   ? len
				   : run->cfg->prefill_write;
		ssize_t w;

		if (run->cfg->prefill_only)
			stamp_chunk(&run->oracle, buf, off, n);
		w = pwrite(run->fd, buf, n, off);
		if (w != (ssize_t)n)
			return w < 0 ? -errno : -ENOSPC;
		off += n;
		len -= n;
	}
	return 0;
}

/* Only the units of this slice, in runs: other slices' processes may be
 * writing theirs already. */
static int prefill_owned(struct wac_run *run, char *buf)
{
	const struct wac_oracle *o = &run->oracle;
	int ret = 0;

	for (uint64_t u = 0; u < o->units && !ret;) {
		uint64_t end = u;

		while (end < o->units && oracle_owns(o, end))
			end++;
		if (end > u)
			ret = prefill_range(run, buf, u * o->block,
					    (end - u) * o->block);
		u = end + 1;
	}
	return ret;
}

static int prefill(struct wac_run *run)
{
	uint64_t size = run->cfg->size;
	bool records = run->cfg->prefill_only;
	char *buf = calloc(1, run->cfg->prefill_write);
	int ret;

	if (!buf)
		return -ENOMEM;
	hb_begin(&run->main_hb, OP_SETUP);
	ret = prefill_owned(run, buf);
	if (!ret && fsync(run->fd))
		ret = -errno;
	hb_end(&run->main_hb);
	free(buf);
	if (ret)
		return setup_fail(
			run, ret, "cannot fill %s with %llu bytes of %s: %s",
			run->ti.path, (unsigned long long)size,
			records ? "records" : "zeros", strerror(-ret));
	return 0;
}

/* --no-prefill: a file shorter than --size is extended (sparse), so
 * that mmap stores past its end do not die of SIGBUS. */
static int extend_file(struct wac_run *run)
{
	struct stat st;

	if (run->ti.is_blockdev || fstat(run->fd, &st) ||
	    (uint64_t)st.st_size >= run->cfg->size)
		return 0;
	if (ftruncate(run->fd, run->cfg->size))
		return setup_fail(
			run, errno, "cannot extend %s to %llu bytes: %s",
			run->ti.path, (unsigned long long)run->cfg->size,
			strerror(errno));
	return 0;
}

/* Profile F: the shared source buffers every writer sends from. */
static int setup_fsrc(struct wac_run *run)
{
	struct wac_config *cfg = run->cfg;
	uint32_t block = run->oracle.block;
	size_t len;
	int fd;

	run->nfslots = cfg->writers * cfg->iodepth;
	len = ((size_t)run->nfslots * block + 4095) & ~4095ul;
	fd = memfd_create("wac-fsrc", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, len))
		return setup_fail(run, errno, "memfd for profile F: %s",
				  strerror(errno));
	run->fsrc = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (run->fsrc == MAP_FAILED) {
		run->fsrc = NULL;
		return setup_fail(run, errno, "mmap of the F source: %s",
				  strerror(errno));
	}
	run->fsrc_len = len;
	run->fslots = calloc(run->nfslots, sizeof(*run->fslots));
	if (!run->fslots)
		return -ENOMEM;
	for (unsigned i = 0; i < run->nfslots; i++) {
		run->fslots[i].buf = run->fsrc + (size_t)i * block;
		atomic_store(&run->fslots[i].unit, UINT64_MAX);
		atomic_flag_clear(&run->fslots[i].busy);
	}
	return 0;
}

static int open_thread_fd(struct wac_run *run, struct wac_thread *t)
{
	int flags = O_RDWR | O_CLOEXEC;

	if (t->kind == KIND_DIRECT ||
	    (run->cfg->direct && t->kind == KIND_MMAP))
		flags |= O_DIRECT;
	t->fd = open(run->ti.path, flags);
	if (t->fd < 0 && errno == EINVAL && (flags & O_DIRECT))
		return setup_fail(
			run, EINVAL,
			"%s refuses O_DIRECT (needed by profile %c / -d)",
			run->ti.path, run->cfg->profile);
	if (t->fd < 0)
		return setup_fail(run, errno, "open %s: %s", run->ti.path,
				  strerror(errno));
	return 0;
}

static void name_thread(struct wac_run *run, struct wac_thread *t, unsigned i,
			unsigned *owner_next)
{
	bool is_writer;

	t->run = run;
	t->idx = i;
	t->fd = -1;
	t->kind = thread_kind(run->cfg, i, &is_writer);
	t->owner = t->kind == KIND_SCRIBBLE ? -1 : (int)(*owner_next)++;
	t->hb.thread = i;
	t->hb.kind = t->kind;
	t->rng = (run->cfg->seed ^ (0x9e3779b97f4a7c15ull * (i + 1))) | 1;
	if (t->owner >= 0)
		run->oracle.owner_kind[t->owner] = t->kind;
}

/* Give every thread the list of units the layout made it own. */
static int deal_units(struct wac_run *run)
{
	struct wac_oracle *o = &run->oracle;
	struct wac_thread **by_owner = calloc(o->owners, sizeof(*by_owner));

	if (!by_owner)
		return -ENOMEM;
	for (unsigned i = 0; i < run->nthreads; i++)
		if (run->threads[i].owner >= 0)
			by_owner[run->threads[i].owner] = &run->threads[i];
	for (uint64_t u = 0; u < o->units; u++)
		if (oracle_owns(o, u))
			by_owner[o->owner[u]]->owned++;
	for (unsigned i = 0; i < o->owners; i++) {
		by_owner[i]->units =
			calloc(by_owner[i]->owned, sizeof(uint32_t));
		if (!by_owner[i]->units) {
			free(by_owner);
			return -ENOMEM;
		}
		by_owner[i]->owned = 0;
	}
	for (uint64_t u = 0; u < o->units; u++) {
		struct wac_thread *t;

		if (!oracle_owns(o, u))
			continue;
		t = by_owner[o->owner[u]];
		t->units[t->owned++] = u;
	}
	free(by_owner);
	return 0;
}

/* Each thread gets its own fd (and mapping): writeback errors are
 * reported once per open file, so a shared fd would hide them. */
static int setup_thread(struct wac_run *run, struct wac_thread *t)
{
	struct wac_config *cfg = run->cfg;
	struct wac_oracle *o = &run->oracle;
	size_t buflen;

	if (t->kind == KIND_SCRIBBLE)
		return 0;
	if (open_thread_fd(run, t))
		return -EINVAL;
	if (t->kind == KIND_CHURN)
		return churn_setup_thread(t)
			       ? setup_fail(run, ENOMEM, "out of memory")
			       : 0;
	if (t->kind == KIND_MMAP) {
		t->map = mmap(NULL, cfg->size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, t->fd, 0);
		if (t->map == MAP_FAILED) {
			t->map = NULL;
			return setup_fail(run, errno, "mmap %s: %s",
					  run->ti.path, strerror(errno));
		}
	}
	if (t->kind == KIND_DIRECT && run->fslots)
		t->slots = run->fslots + (size_t)(t->owner) * cfg->iodepth;
	t->pending_max = (cfg->sync_every < 4096 ? cfg->sync_every : 4096) +
			 cfg->iodepth;
	t->pending = calloc(t->pending_max, sizeof(*t->pending));
	buflen = (size_t)o->block * cfg->iodepth;
	if (!t->pending || posix_memalign((void **)&t->buf, 4096, buflen))
		return setup_fail(run, ENOMEM, "out of memory");
	return 0;
}

static int setup_threads(struct wac_run *run)
{
	struct wac_config *cfg = run->cfg;
	unsigned owner_next = 0;

	run->nthreads = cfg->threads;
	run->threads = calloc(run->nthreads, sizeof(*run->threads));
	if (!run->threads)
		return -ENOMEM;
	for (unsigned i = 0; i < run->nthreads; i++)
		run->threads[i].fd = -1;
	for (unsigned i = 0; i < run->nthreads; i++)
		name_thread(run, &run->threads[i], i, &owner_next);
	run->layout = oracle_assign(&run->oracle, cfg->layout);
	if (run->layout == -EINVAL)
		return setup_fail(
			run, EINVAL,
			"--size %llu is too small to give each of the %u "
			"writing threads a block of its own with layout %s",
			(unsigned long long)cfg->size, run->oracle.owners,
			layout_name(cfg->layout));
	if (run->layout < 0 || deal_units(run))
		return setup_fail(run, ENOMEM, "out of memory for the layout");
	for (unsigned i = 0; i < run->nthreads; i++)
		if (setup_thread(run, &run->threads[i]))
			return -EINVAL;
	return 0;
}

/* Try the engine once here, so a kernel that refuses it (io_uring
 * disabled by sysctl, say) is a clear setup error, not a thread error. */
static int probe_engine(struct wac_run *run)
{
	struct wac_config *cfg = run->cfg;
	struct wac_engine e = {.ops = engine_find(cfg->engine),
			       .fd = run->fd,
			       .depth = cfg->iodepth};
	int ret;

	if (!cfg->direct || !cfg->writers)
		return 0;
	ret = e.ops->init(&e);
	if (ret)
		return setup_fail(
			run, ret, "engine %s cannot start on this kernel: %s%s",
			cfg->engine, strerror(-ret),
			!strcmp(cfg->engine, "io_uring")
				? " (see /proc/sys/kernel/io_uring_disabled)"
				: "");
	e.ops->cleanup(&e);
	return 0;
}

/* What TARGET was before the run touched it, for run_setup_undo. */
static void note_target_before(struct wac_run *run)
{
	struct stat st;

	run->target_size_before = -1;
	run->target_created = false;
	if (!stat(run->cfg->target, &st)) {
		if (S_ISREG(st.st_mode))
			run->target_size_before = st.st_size;
	} else if (errno == ENOENT) {
		run->target_created = true;
	}
}

void run_setup_undo(struct wac_run *run)
{
	struct stat st;

	if (run->fd < 0)
		return;
	if (run->target_created) {
		if (unlink(run->cfg->target))
			wac_err("cannot remove %s after the failed setup: %s",
				run->cfg->target, strerror(errno));
	} else if (run->target_size_before >= 0 && !fstat(run->fd, &st) &&
		   st.st_size > run->target_size_before &&
		   ftruncate(run->fd, run->target_size_before)) {
		wac_err("cannot cut %s back to %lld bytes: %s",
			run->cfg->target, (long long)run->target_size_before,
			strerror(errno));
	}
}

int run_setup(struct wac_run *run)
{
	struct wac_config *cfg = run->cfg;
	unsigned owners;
	int ret;

	if (!engine_find(cfg->engine))
		return setup_fail(run, EINVAL, "unknown engine '%s' (have: %s)",
				  cfg->engine, engine_names());
	note_target_before(run);
	/* opening (creating) the target can block on a frozen filesystem */
	hb_begin(&run->main_hb, OP_SETUP);
	run->fd = target_open(cfg->target, &run->ti, O_RDWR | O_CREAT);
	hb_end(&run->main_hb);
	if (run->fd < 0) {
		snprintf(run->setup_error, sizeof(run->setup_error),
			 "cannot open target %s: %s", cfg->target,
			 strerror(-run->fd));
		return run->fd;
	}
	ret = resolve_geometry(run);
	if (!ret)
		ret = probe_engine(run);
	if (ret)
		return ret;
	owners = owner_count(cfg);
	if (cfg->size / cfg->block > UINT32_MAX)
		return setup_fail(run, EINVAL,
				  "--size / --block is more than 2^32 blocks; "
				  "use a larger --block");
	if (cfg->size / cfg->block < owners)
		return setup_fail(run, EINVAL,
				  "--size %llu holds %llu blocks of %u bytes, "
				  "fewer than the %u writing threads",
				  (unsigned long long)cfg->size,
				  (unsigned long long)(cfg->size / cfg->block),
				  cfg->block, owners);
	if (!cfg->seed)
		cfg->seed = random_u64();
	ret = oracle_init(&run->oracle, random_u64(), cfg->size, cfg->block,
			  cfg->sector_size, owners);
	if (ret)
		return setup_fail(run, ret, "out of memory for the oracle");
	oracle_set_slice(&run->oracle, cfg->slice_k, cfg->slice_n);
	if ((cfg->prefill || cfg->prefill_only) && (ret = prefill(run)))
		return ret;
	if (cfg->prefill_only)
		return 0;
	/* a slice's prefill leaves the others' units, the end among them */
	if ((!cfg->prefill || cfg->slice_n > 1) && (ret = extend_file(run)))
		return ret;
	if (profile_scribbles(cfg) && (ret = setup_fsrc(run)))
		return ret;
	ret = setup_threads(run);
	if (!ret)
		direct_path_probe(run);
	return ret;
}
