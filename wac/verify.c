// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERIFY_CHUNK (1u << 20)

volatile sig_atomic_t verify_stop_signal;
#define PAGE_BYTES 4096u

static const char *const class_names[V__COUNT] = {
	"ok",	"unwritten", "stale",	    "raced",   "collision",
	"hole", "torn",	     "misdirected", "foreign", "future",
	"lost", "exposed",   "unreadable",
};

const char *verify_class_name(enum verify_class c)
{
	return class_names[c];
}

bool verify_class_fails(enum verify_class c)
{
	return c >= V_TORN;
}

/* An older generation than the owner wrote: stale, lost or collision. */
static enum verify_class judge_old(const struct wac_oracle *o, uint64_t unit,
				   uint32_t found)
{
	if (found >= o->durable[unit])
		return V_STALE;
	if (oracle_page_collides(o, unit, PAGE_BYTES))
		return V_COLLISION;
	return V_LOST;
}

enum verify_class classify_sector(const struct wac_oracle *o, uint64_t sector,
				  const void *buf, struct verify_finding *f)
{
	uint64_t unit = sector * o->sector_size / o->block;
	struct wac_record_hdr h;
	enum record_state st = record_decode(buf, o->sector_size, &h);
	bool raced = o->flags[unit] & UNIT_RACED;

	*f = (struct verify_finding){
		.sector = sector,
		.owner = oracle_owner(o, unit),
		.written_gen = o->written[unit],
		.durable_gen = o->durable[unit],
	};
	if (st == RECORD_VALID) {
		f->found_valid = true;
		f->found_gen = h.gen;
		f->found_sector = h.sector;
		f->found_writer = h.writer;
		f->found_run = h.run_id;
	}
	/* A hole must read as zeros, whoever wrote what before it. */
	if (o->flags[unit] & UNIT_HOLE)
		return st == RECORD_ZERO ? V_HOLE : V_EXPOSED;
	if ((o->flags[unit] & UNIT_HOLE_OK) && st == RECORD_ZERO)
		return V_HOLE;
	/* Never written by this run: whatever was there before (zeros, an
	 * old run, another program's data) is not ours to judge -- unless
	 * it is a record of this very run. */
	if (!o->written[unit] && (st != RECORD_VALID || h.run_id != o->run_id))
		return V_UNWRITTEN;
	switch (st) {
	case RECORD_ZERO:
		return judge_old(o, unit, 0);
	case RECORD_GARBAGE:
	case RECORD_BAD_CRC:
		return raced ? V_RACED : V_TORN;
	case RECORD_VALID:
		break;
	}
	if (h.run_id != o->run_id)
		return V_FOREIGN;
	if (h.sector != sector || h.writer != f->owner)
		return V_MISDIRECTED;
	if (h.gen > o->written[unit])
		return V_FUTURE;
	if (h.gen == o->written[unit])
		return V_OK;
	return judge_old(o, unit, h.gen);
}

/* A sector of another slice: someone else's, not ours to judge. */
static bool other_slice(const struct wac_oracle *o, uint64_t sector,
			struct verify_result *r)
{
	if (oracle_owns(o, sector * o->sector_size / o->block))
		return false;
	r->other_slices++;
	return true;
}

static void count(struct verify_result *r, enum verify_class c,
		  const struct verify_finding *f)
{
	r->counts[c]++;
	if (c != V_OK && c != V_UNWRITTEN && c != V_HOLE &&
	    r->nfirst < VERIFY_FIRST_MAX) {
		r->first[r->nfirst] = *f;
		r->first[r->nfirst].cls = c;
		r->nfirst++;
	}
}

/* Open for reading around the page cache; say which way it went. */
static int open_for_verify(const char *path, struct verify_result *r)
{
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd >= 0) {
		r->read_mode = "direct";
		return fd;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* No O_DIRECT here (tmpfs, for one): drop what the cache can. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	r->read_mode = "buffered";
	return fd;
}

static int read_chunk(int fd, char *buf, size_t len, uint64_t off, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = pread(fd, buf + *got, len - *got, off + *got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* end of file: the rest reads as zeros */
		*got += n;
	}
	memset(buf + *got, 0, len - *got);
	return 0;
}

/* A chunk that failed to read: sector by sector, so that only the
 * sectors the device refuses are unreadable. */
static void narrow_down(const struct wac_oracle *o, int fd, char *buf,
			uint64_t off, size_t len, struct verify_result *r)
{
	struct verify_finding f;
	size_t got;

	for (size_t i = 0; i < len; i += o->sector_size) {
		uint64_t sector = (off + i) / o->sector_size;

		if (other_slice(o, sector, r))
			continue;
		if (read_chunk(fd, buf, o->sector_size, off + i, &got)) {
			memset(&f, 0, sizeof(f));
			f.sector = sector;
			f.owner = oracle_owner(o, sector * o->sector_size /
							  o->block);
			count(r, V_UNREADABLE, &f);
		} else {
			count(r, classify_sector(o, sector, buf, &f), &f);
		}
		r->sectors++;
	}
}

int verify_target(const struct wac_oracle *o, const char *path,
		  struct verify_result *r, struct heartbeat *hb)
{
	struct verify_finding f;
	char *buf = NULL;
	int fd, ret = 0;

	memset(r, 0, sizeof(*r));
	fd = open_for_verify(path, r);
	if (fd < 0) {
		snprintf(r->error, sizeof(r->error), "open %s: %s", path,
			 strerror(-fd));
		return fd;
	}
	if (posix_memalign((void **)&buf, 4096, VERIFY_CHUNK)) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint64_t off = 0; off < o->size; off += VERIFY_CHUNK) {
		size_t len = o->size - off < VERIFY_CHUNK ? o->size - off
							  : VERIFY_CHUNK;
		size_t got;

		if (verify_stop_signal) {
			ret = -EINTR;
			goto out;
		}
		if (hb)
			hb_begin(hb, OP_VERIFY_READ);
		ret = read_chunk(fd, buf, len, off, &got);
		if (hb)
			hb_end(hb);
		if (ret) {
			if (!r->error[0])
				snprintf(r->error, sizeof(r->error),
					 "read %s at %llu: %s", path,
					 (unsigned long long)off,
					 strerror(-ret));
			narrow_down(o, fd, buf, off, len, r);
			ret = 0;
			continue;
		}
		for (size_t i = 0; i < len; i += o->sector_size) {
			uint64_t sector = (off + i) / o->sector_size;

			if (other_slice(o, sector, r))
				continue;
			count(r, classify_sector(o, sector, buf + i, &f), &f);
			r->sectors++;
		}
	}
	r->done = true;
out:
	free(buf);
	close(fd);
	return ret;
}
