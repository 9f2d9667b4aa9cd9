// SPDX-License-Identifier: GPL-2.0
/* The page-cache writers: write() threads and mmap threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fault.h"
#include "run.h"

static uint64_t next_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint32_t thread_pick_index(struct wac_thread *t)
{
	/* multiply-shift instead of a 64-bit division: owned < 2^32 */
	return ((next_rand(&t->rng) >> 32) * t->owned) >> 32;
}

uint64_t thread_pick_unit(struct wac_thread *t)
{
	return t->units[thread_pick_index(t)];
}

uint64_t thread_rand(struct wac_thread *t)
{
	return next_rand(&t->rng);
}

void stamp_unit(const struct wac_oracle *o, char *dst, uint64_t unit,
		uint32_t gen, unsigned writer, enum wac_kind kind,
		uint16_t variant)
{
	uint32_t ss = o->sector_size;
	struct wac_record_hdr h = {
		.run_id = o->run_id,
		.stamp_ns = now_ns(),
		.gen = gen,
		.writer = writer,
		.kind = kind,
		.variant = variant,
		.sector_size = ss,
		.sector = unit * o->block / ss,
	};

	record_stamp_run(dst, &h, o->block / ss);
}

void thread_stamp_unit(struct wac_thread *t, char *dst, uint64_t unit,
		       uint32_t gen, uint16_t variant)
{
	stamp_unit(&t->run->oracle, dst, unit, gen, t->owner, t->kind, variant);
}

void thread_add_pending(struct wac_thread *t, uint64_t unit, uint32_t gen)
{
	if (t->npending == t->pending_max) {
		/* Keep the newest: an older entry of a unit is superseded. */
		memmove(t->pending, t->pending + 1,
			(t->pending_max - 1) * sizeof(*t->pending));
		t->npending--;
	}
	t->pending[t->npending++] = (struct pending){unit, gen};
}

void thread_promise_pending(struct wac_thread *t)
{
	struct wac_oracle *o = &t->run->oracle;

	for (unsigned i = 0; i < t->npending; i++) {
		struct pending *p = &t->pending[i];

		if (p->gen > o->durable[p->unit])
			o->durable[p->unit] = p->gen;
	}
	t->npending = 0;
}

/* Byte range covering the pending units. */
void thread_sync_range(struct wac_thread *t, uint64_t *lo, uint64_t *hi)
{
	uint32_t block = t->run->oracle.block;

	*lo = UINT64_MAX;
	*hi = 0;
	for (unsigned i = 0; i < t->npending; i++) {
		uint64_t off = t->pending[i].unit * block;

		if (off < *lo)
			*lo = off;
		if (off + block > *hi)
			*hi = off + block;
	}
}

/* Run one sync syscall with heartbeat, metrics and error accounting. */
static int timed_sync(struct wac_thread *t, enum wac_op op, uint64_t lo,
		      uint64_t hi)
{
	struct wac_run *run = t->run;
	uint64_t start;
	long ret;

	hb_begin(&t->hb, op);
	start = now_ns();
	switch (op) {
	case OP_SFR:
		ret = sync_file_range(
			t->fd, lo, hi - lo,
			run->cfg->write_sync == WSYNC_SFR_WAIT
				? SYNC_FILE_RANGE_WAIT_BEFORE |
					  SYNC_FILE_RANGE_WRITE |
					  SYNC_FILE_RANGE_WAIT_AFTER
				: SYNC_FILE_RANGE_WRITE);
		break;
	case OP_FSYNC:
		ret = fsync(t->fd);
		break;
	case OP_FDATASYNC:
		ret = fdatasync(t->fd);
		break;
	default: /* OP_MSYNC */
		ret = msync(t->map + lo, hi - lo,
			    run->cfg->msync == MSYNC_SYNC ? MS_SYNC : MS_ASYNC);
		break;
	}
	if (ret < 0)
		ret = -errno;
	hb_end(&t->hb);
	metrics_account(&t->metrics, op, 0, start, now_ns(), ret < 0);
	if (ret < 0) {
		note_syscall_error(&run->errs, op, -ret, t->idx, lo);
		return ret;
	}
	if (ret > 0) {
		note_contract(&run->errs, op, ret,
			      "returned a positive value (only 0 or -1 exist)");
		return -EPROTO;
	}
	return 0;
}

/* Sync what this write() thread wrote; promise it if the mode waits. */
void thread_sync_writes(struct wac_thread *t)
{
	static const enum wac_op ops[] = {
		[WSYNC_SFR_WAIT] = OP_SFR,
		[WSYNC_SFR_WRITE] = OP_SFR,
		[WSYNC_FSYNC] = OP_FSYNC,
		[WSYNC_FDATASYNC] = OP_FDATASYNC,
	};
	enum write_sync mode = t->run->cfg->write_sync;
	uint64_t lo, hi;

	if (mode == WSYNC_NONE || !t->npending) {
		t->npending = 0; /* nothing will ever promise them */
		return;
	}
	thread_sync_range(t, &lo, &hi);
	if (timed_sync(t, ops[mode], lo, hi) == 0 && write_sync_promises(mode))
		thread_promise_pending(t);
	else
		t->npending = 0;
}

static void write_one(struct wac_thread *t, enum wac_op op)
{
	struct wac_run *run = t->run;
	struct wac_oracle *o = &run->oracle;
	uint64_t unit = thread_pick_unit(t);
	uint32_t gen = ++o->written[unit];
	uint64_t off = unit * o->block;
	uint64_t start;
	ssize_t ret;

	thread_stamp_unit(t, t->buf, unit, gen, 0);
	hb_begin(&t->hb, op);
	start = now_ns();
	ret = pwrite(t->fd, t->buf, o->block, off);
	hb_end(&t->hb);
	metrics_account(&t->metrics, op, ret > 0 ? ret : 0, start, now_ns(),
			ret < 0);
	if (ret > (ssize_t)o->block)
		note_contract(&run->errs, op, ret, "wrote more than asked");
	if (ret == (ssize_t)o->block) {
		o->flags[unit] &= ~UNIT_WRITE_FAILED;
		thread_add_pending(t, unit, gen);
		return;
	}
	o->flags[unit] |= UNIT_WRITE_FAILED;
	note_syscall_error(&run->errs, op, ret < 0 ? errno : EIO, t->idx, off);
}

void *write_thread(void *arg)
{
	struct wac_thread *t = arg;
	unsigned since_sync = 0;

	t->hb.tid = gettid();
	while (!atomic_load_explicit(&t->run->stop, memory_order_relaxed)) {
		write_one(t, OP_WRITE);
		if (++since_sync >= t->run->cfg->sync_every) {
			thread_sync_writes(t);
			since_sync = 0;
		}
	}
	thread_sync_writes(t);
	return NULL;
}

static void mmap_thread_sync(struct wac_thread *t)
{
	enum msync_mode mode = t->run->cfg->msync;
	uint64_t lo, hi;

	if (mode == MSYNC_NONE || !t->npending) {
		t->npending = 0;
		return;
	}
	thread_sync_range(t, &lo, &hi);
	lo &= ~4095ull; /* msync wants a page-aligned start */
	if (timed_sync(t, OP_MSYNC, lo, hi) == 0 && mode == MSYNC_SYNC)
		thread_promise_pending(t);
	else
		t->npending = 0;
}

/* The store itself; in the region a churner cuts off, with its seqlock. */
static bool store(struct wac_thread *t, uint64_t unit, char *dst,
		  uintptr_t *bad, bool *expected)
{
	struct wac_run *run = t->run;

	*expected = false;
	if (run->churn.tail_cuts && unit >= run->oracle.tail_first)
		return churn_tail_store(t, unit, dst, bad, expected);
	return fault_guarded_copy(dst, t->buf, run->oracle.block, bad);
}

static void store_one(struct wac_thread *t)
{
	struct wac_oracle *o = &t->run->oracle;
	uint64_t unit = churn_pick_unit(t);
	uint32_t gen = ++o->written[unit];
	char *dst = t->map + unit * o->block;
	uintptr_t bad = 0;
	bool ok, expected;
	uint64_t start;

	/* Stamp aside, then store: the store takes the write fault and, with
	 * stable pages, the wait for writeback (page_mkwrite). */
	thread_stamp_unit(t, t->buf, unit, gen, 0);
	hb_begin(&t->hb, OP_MMAP_STORE);
	start = now_ns();
	ok = store(t, unit, dst, &bad, &expected);
	hb_end(&t->hb);
	metrics_account(&t->metrics, OP_MMAP_STORE, ok ? o->block : 0, start,
			now_ns(), !ok && !expected);
	if (expected) {
		/* a churner had the file cut short: the store never landed */
		o->written[unit]--;
		atomic_fetch_add(&t->run->churn.sigbus_expected, 1);
		return;
	}
	if (!ok) {
		/* The kernel refused the page (tmpfs full or over its memory
		 * cgroup, the file cut short): the unit holds no one truth. */
		o->flags[unit] |= UNIT_WRITE_FAILED;
		note_contract_signal(&t->run->errs, OP_MMAP_STORE, SIGBUS,
				     bad - (uintptr_t)t->map,
				     "SIGBUS on a store to the mapping");
		return;
	}
	o->flags[unit] &= ~UNIT_WRITE_FAILED;
	thread_add_pending(t, unit, gen);
}

void *mmap_thread(void *arg)
{
	struct wac_thread *t = arg;
	unsigned since_sync = 0;

	t->hb.tid = gettid();
	while (!atomic_load_explicit(&t->run->stop, memory_order_relaxed)) {
		store_one(t);
		if (++since_sync >= t->run->cfg->sync_every) {
			mmap_thread_sync(t);
			since_sync = 0;
		}
	}
	mmap_thread_sync(t);
	return NULL;
}
