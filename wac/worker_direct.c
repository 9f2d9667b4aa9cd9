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

	io->buf = slot_buf(t, io->slot);
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

static bool unit_in_flight(struct wac_io *ios, bool *busy, unsigned depth,
			   uint64_t unit)
{
	for (unsigned i = 0; i < depth; i++)
		if (busy[i] && ios[i].unit == unit)
			return true;
	return false;
}

/* A unit of ours with no write in flight (there is one: depth <= owned). */
static uint64_t pick_idle_unit(struct wac_thread *t, struct wac_io *ios,
			       bool *busy, unsigned depth)
{
	uint64_t unit;

	do
		unit = thread_pick_unit(t);
	while (unit_in_flight(ios, busy, depth, unit));
	return unit;
}

static void complete_io(struct wac_thread *t, struct wac_io *io)
{
	struct wac_run *run = t->run;
	struct wac_oracle *o = &run->oracle;
	struct f_slot *s = t->slots ? &t->slots[io->slot] : NULL;
	uint64_t end = now_ns();

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
	bool *busy;
	unsigned depth, inflight, since_sync;
};

static int submit_more(struct wac_thread *t, struct direct_state *d)
{
	struct wac_oracle *o = &t->run->oracle;
	int ret;

	for (unsigned i = 0; i < d->depth && d->inflight < d->depth; i++) {
		struct wac_io *io = &d->ios[i];
		uint64_t unit;

		if (d->busy[i])
			continue;
		unit = pick_idle_unit(t, d->ios, d->busy, d->depth);
		io->slot = i;
		prepare_io(t, io, unit, ++o->written[unit]);
		io->submit_ns = now_ns();
		hb_begin(&t->hb, OP_DIRECT_WRITE);
		ret = d->eng.ops->queue(&d->eng, io);
		hb_end(&t->hb);
		if (ret)
			return ret;
		d->busy[i] = true;
		d->inflight++;
	}
	hb_begin(&t->hb, OP_DIRECT_WRITE);
	ret = d->eng.ops->commit(&d->eng);
	hb_end(&t->hb);
	return ret;
}

static int reap_some(struct wac_thread *t, struct direct_state *d)
{
	struct wac_io *done[REAP_MAX];
	int n;

	hb_begin(&t->hb, OP_DIRECT_WRITE);
	n = d->eng.ops->reap(&d->eng, 1, done, REAP_MAX);
	hb_end(&t->hb);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		complete_io(t, done[i]);
		d->busy[done[i]->slot] = false;
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
	d->ios = calloc(d->depth, sizeof(*d->ios));
	d->busy = calloc(d->depth, sizeof(*d->busy));
	if (!d->ios || !d->busy)
		return -ENOMEM;
	return d->eng.ops->init(&d->eng);
}

void *direct_thread(void *arg)
{
	struct wac_thread *t = arg;
	struct direct_state d = { 0 };
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
	free(d.busy);
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
