// SPDX-License-Identifier: GPL-2.0
/*
 * The O_DIRECT writers, through an engine, and profile F's scribblers,
 * which keep restamping the writers' source buffers while the writes are
 * in flight.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

#define REAP_MAX 64

/*
 * Hand the kernel the refilled slots SUBMIT_BATCH at a time, not all at
 * the end of the refill: after a wake-up the whole queue has often
 * completed, and a device as fast as a loop over tmpfs sat idle while we
 * stamped 32 blocks (libaio on the idle host: 0.83x fio's IOPS, inflight 0
 * in 43% of samples; with 8 at a time 1.05x; 1 at a time costs more CPU).
 */
#define SUBMIT_BATCH 8

/* Source buffer of slot i: a shared F slot, or private aligned memory. */
static char *slot_buf(struct wac_thread *t, unsigned i)
{
	if (t->slots)
		return t->slots[i].buf;
	return t->buf + (size_t)i * t->run->oracle.block;
}

static void slot_lock(struct f_slot *s)
{
	while (atomic_flag_test_and_set_explicit(&s->busy,
						 memory_order_acquire))
		;
}

static void slot_unlock(struct f_slot *s)
{
	atomic_flag_clear_explicit(&s->busy, memory_order_release);
}

/* Stamp unit's record into the source buffer of io->slot. */
static void prepare_io(struct wac_thread *t, struct wac_io *io, uint64_t unit,
		       uint32_t gen)
{
	const struct wac_oracle *o = &t->run->oracle;
	struct f_slot *s = t->slots ? &t->slots[io->slot] : NULL;

	io->buf = slot_buf(t, io->slot); /* slot: fixed at setup */
	io->unit = unit;
	io->gen = gen;
	io->offset = unit * o->block;
	io->len = o->block;
	if (!s) {
		thread_stamp_unit(t, io->buf, unit, gen, 0);
		return;
	}
	slot_lock(s);
	atomic_fetch_add(&s->seq, 1);
	thread_stamp_unit(t, io->buf, unit, gen, 0);
	atomic_store(&s->unit, unit);
	atomic_store(&s->gen, gen);
	atomic_fetch_add(&s->seq, 1);
	io->seq_before = atomic_load(&s->seq);
	slot_unlock(s);
}

/*
 * The random picks, drawn PICK_AHEAD ahead in the same order as
 * thread_pick_unit would: each draw prefetches its t->units entry, and
 * the unit's oracle entries are prefetched half way, so a pick rarely
 * waits for memory (on a 512 MiB target the oracle is far bigger than
 * the caches).
 */
#define PICK_AHEAD 16

struct picks {
	uint32_t idx[PICK_AHEAD];
	unsigned head;
};

static void picks_fetch_unit(struct wac_thread *t, uint32_t idx)
{
	const struct wac_oracle *o = &t->run->oracle;
	uint64_t unit = t->units[idx];

	__builtin_prefetch(&o->flags[unit], 1);
	__builtin_prefetch(&o->written[unit], 1);
}

static void picks_init(struct wac_thread *t, struct picks *p)
{
	for (unsigned i = 0; i < PICK_AHEAD; i++)
		p->idx[i] = thread_pick_index(t);
	for (unsigned i = 0; i < PICK_AHEAD; i++)
		picks_fetch_unit(t, p->idx[i]);
	p->head = 0;
}

static uint64_t picks_next(struct wac_thread *t, struct picks *p)
{
	uint32_t idx = p->idx[p->head];
	uint32_t fresh = thread_pick_index(t);

	p->idx[p->head] = fresh;
	__builtin_prefetch(&t->units[fresh]);
	p->head = (p->head + 1) % PICK_AHEAD;
	picks_fetch_unit(t, p->idx[(p->head + PICK_AHEAD / 2) % PICK_AHEAD]);
	return t->units[idx];
}

/* A unit of ours with no write in flight (there is one: depth <= owned):
 * two writes of one unit in flight could land in either order. */
static uint64_t pick_idle_unit(struct wac_thread *t, struct picks *p)
{
	const uint8_t *flags = t->run->oracle.flags;
	uint64_t unit;

	do
		unit = picks_next(t, p);
	while (flags[unit] & UNIT_IN_FLIGHT);
	return unit;
}

static void complete_io(struct wac_thread *t, struct wac_io *io, uint64_t end)
{
	struct wac_run *run = t->run;
	struct wac_oracle *o = &run->oracle;
	struct f_slot *s = t->slots ? &t->slots[io->slot] : NULL;

	o->flags[io->unit] &= ~UNIT_IN_FLIGHT;
	if (io->complete_ns)
		end = io->complete_ns;
	metrics_account(&t->metrics, OP_DIRECT_WRITE,
			io->result > 0 ? io->result : 0, io->submit_ns, end,
			io->result < 0);
	if (s && atomic_load(&s->seq) != io->seq_before)
		o->flags[io->unit] |= UNIT_RACED;
	else
		o->flags[io->unit] &= ~UNIT_RACED;
	if (io->result > io->len)
		note_contract(&run->errs, OP_DIRECT_WRITE, io->result,
			      "wrote more than asked");
	if (io->result == io->len) {
		o->flags[io->unit] &= ~UNIT_WRITE_FAILED;
		thread_add_pending(t, io->unit, io->gen);
		return;
	}
	o->flags[io->unit] |= UNIT_WRITE_FAILED;
	note_syscall_error(&run->errs, OP_DIRECT_WRITE,
			   io->result < 0 ? -io->result : EIO, t->idx,
			   io->offset);
}

struct direct_state {
	struct wac_engine eng;
	struct wac_io *ios;
	unsigned *free_slots; /* a stack of idle slots */
	unsigned nfree;
	unsigned depth, inflight, since_sync;
	struct picks picks;
	uint64_t now; /* the last clock read: submit or completion time */
};

/*
 * Fill every idle slot, submitting every SUBMIT_BATCH: one heartbeat and
 * clock read a refill.
 * A synchronous engine times each write itself; its heartbeat starts at
 * the last completion, a few microseconds old (the watchdog counts in
 * seconds), which saves a clock read per write.
 */
static int submit_more(struct wac_thread *t, struct direct_state *d)
{
	struct wac_oracle *o = &t->run->oracle;
	uint64_t now = d->eng.ops->sync ? d->now : now_ns();
	unsigned queued = 0;
	int ret = 0;

	d->now = now;
	hb_begin_at(&t->hb, OP_DIRECT_WRITE, now);
	while (d->nfree) {
		struct wac_io *io = &d->ios[d->free_slots[d->nfree - 1]];
		uint64_t unit = pick_idle_unit(t, &d->picks);

		prepare_io(t, io, unit, ++o->written[unit]);
		io->submit_ns = now;
		ret = d->eng.ops->queue(&d->eng, io);
		if (ret)
			goto out;
		o->flags[unit] |= UNIT_IN_FLIGHT;
		d->nfree--;
		d->inflight++;
		if (++queued % SUBMIT_BATCH == 0) {
			ret = d->eng.ops->commit(&d->eng);
			if (ret)
				goto out;
		}
	}
	ret = d->eng.ops->commit(&d->eng);
out:
	hb_end(&t->hb);
	return ret;
}

static int reap_some(struct wac_thread *t, struct direct_state *d)
{
	struct wac_io *done[REAP_MAX];
	uint64_t end;
	int n;

	if (d->eng.ops->sync) {
		/* nothing to wait for: each write has its own times */
		n = d->eng.ops->reap(&d->eng, 1, done, REAP_MAX);
		end = n > 0 ? done[n - 1]->complete_ns : d->now;
	} else {
		/* the wait began with the batch: no clock read for it */
		hb_begin_at(&t->hb, OP_DIRECT_WRITE, d->now);
		n = d->eng.ops->reap(&d->eng, 1, done, REAP_MAX);
		hb_end(&t->hb);
		end = now_ns();
	}
	if (n < 0)
		return n;
	d->now = end;
	for (int i = 0; i < n; i++) {
		complete_io(t, done[i], end);
		d->free_slots[d->nfree++] = done[i]->slot;
		d->inflight--;
		d->since_sync++;
	}
	if (d->since_sync >= t->run->cfg->sync_every) {
		thread_sync_writes(t);
		d->since_sync = 0;
	}
	return 0;
}

static int direct_setup(struct wac_thread *t, struct direct_state *d)
{
	struct wac_config *cfg = t->run->cfg;

	d->depth = cfg->iodepth < t->owned ? cfg->iodepth : t->owned;
	d->eng.ops = engine_find(cfg->engine);
	d->eng.fd = t->fd;
	d->eng.depth = d->depth;
	d->eng.bufs = slot_buf(t, 0); /* slots: consecutive blocks */
	d->eng.bufs_len = (size_t)d->depth * t->run->oracle.block;
	d->ios = calloc(d->depth, sizeof(*d->ios));
	d->free_slots = calloc(d->depth, sizeof(*d->free_slots));
	if (!d->ios || !d->free_slots)
		return -ENOMEM;
	for (unsigned i = 0; i < d->depth; i++) {
		d->ios[i].slot = i;
		d->free_slots[d->nfree++] = i;
	}
	picks_init(t, &d->picks);
	d->now = now_ns();
	return d->eng.ops->init(&d->eng);
}

void *direct_thread(void *arg)
{
	struct wac_thread *t = arg;
	struct direct_state d = {0};
	int ret;

	t->hb.tid = gettid();
	ret = direct_setup(t, &d);
	if (ret)
		goto out;
	while (!atomic_load_explicit(&t->run->stop, memory_order_relaxed)) {
		ret = submit_more(t, &d);
		if (!ret)
			ret = reap_some(t, &d);
		if (ret)
			break;
	}
	while (d.inflight && reap_some(t, &d) == 0)
		;
	thread_sync_writes(t);
	d.eng.ops->cleanup(&d.eng);
out:
	if (ret) {
		t->error = ret;
		note_syscall_error(&t->run->errs, OP_DIRECT_WRITE, -ret, t->idx,
				   0);
	}
	free(d.ios);
	free(d.free_slots);
	return NULL;
}

/* Restamp one slot's record in place: same unit and generation, new
 * variant, so a write that catches it whole is still a valid record. */
static void scribble_slot(struct wac_thread *t, struct f_slot *s,
			  uint16_t variant)
{
	uint64_t unit;

	if (atomic_flag_test_and_set_explicit(&s->busy, memory_order_acquire))
		return;
	unit = atomic_load(&s->unit);
	if (unit != UINT64_MAX) {
		const struct wac_oracle *o = &t->run->oracle;

		atomic_fetch_add(&s->seq, 1);
		stamp_unit(o, s->buf, unit, atomic_load(&s->gen),
			   oracle_owner(o, unit), KIND_DIRECT, variant);
		atomic_fetch_add(&s->seq, 1);
	}
	slot_unlock(s);
}

void *scribble_thread(void *arg)
{
	struct wac_thread *t = arg;
	struct wac_run *run = t->run;
	uint16_t variant = 0;
	uint64_t start;

	t->hb.tid = gettid();
	while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
		unsigned i = (unsigned)(thread_rand(t) % run->nfslots);

		hb_begin(&t->hb, OP_SCRIBBLE);
		start = now_ns();
		scribble_slot(t, &run->fslots[i], ++variant ? variant : 1);
		hb_end(&t->hb);
		metrics_account(&t->metrics, OP_SCRIBBLE, run->oracle.block,
				start, now_ns(), false);
	}
	return NULL;
}
