// SPDX-License-Identifier: GPL-2.0
/*
 * Profile G's churners.  Each owns runs of units (extents: layout churn
 * gives it every other 64 KiB region but the odd sectors of the region's
 * first page) and cycles ranges of them through fallocate PUNCH_HOLE,
 * ZERO_RANGE, an ftruncate shrink-and-regrow of the tail region and
 * re-allocation by write, while write and mmap threads keep writing the
 * other sectors of the same pages.  A range freed is a hole in the
 * oracle: it must read as zeros until the churner writes it again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "json.h"
#include "run.h"

/* Free a range, give it back, free it another way ... */
static const enum churn_op cycle[] = {
	CHURN_PUNCH,   CHURN_REALLOC,  CHURN_ZERO,
	CHURN_REALLOC, CHURN_TRUNCATE, CHURN_REALLOC,
};

static const enum wac_op churn_wac_op[CHURN__COUNT] = {
	[CHURN_PUNCH] = OP_PUNCH,
	[CHURN_ZERO] = OP_ZERO_RANGE,
	[CHURN_TRUNCATE] = OP_TRUNCATE,
	[CHURN_REALLOC] = OP_REALLOC,
};

/* Why an op is off: an errno the kernel gave, or one of these. */
enum {
	OFF_NOT_FILE = -1, /* ftruncate needs a regular file */
	OFF_NO_TAIL = -2, /* the layout has no tail region to cut */
};

/* The cut keeps the file short this long, so that mmap stores meet it. */
#define CUT_WINDOW_US 200

static uint64_t range_cap(const struct wac_oracle *o)
{
	uint64_t cap = CHURN_REGION_BYTES / o->block;

	return cap ? cap : 1;
}

static void churn_off(struct wac_run *run, enum churn_op op, int why)
{
	atomic_store(&run->churn.unsupported_errno[op], why);
	atomic_store(&run->churn.unsupported[op], true);
}

/* Where each thread's tail units start (units[] is ascending). */
static void find_tail_units(struct wac_run *run)
{
	for (unsigned i = 0; i < run->nthreads; i++) {
		struct wac_thread *t = &run->threads[i];

		t->tail_idx = t->owned;
		while (t->tail_idx && t->units &&
		       t->units[t->tail_idx - 1] >= run->oracle.tail_first)
			t->tail_idx--;
	}
}

int churn_setup_run(struct wac_run *run)
{
	struct wac_oracle *o = &run->oracle;
	uint64_t n = o->units - o->tail_first;

	if (!run->cfg->churners)
		return 0;
	find_tail_units(run);
	if (!run->ti.is_blockdev && n) {
		run->churn.tail_cuts = calloc(n, sizeof(*run->churn.tail_cuts));
		run->churn.tail_seen = calloc(n, sizeof(*run->churn.tail_seen));
		if (!run->churn.tail_cuts || !run->churn.tail_seen)
			return -ENOMEM;
	}
	if (run->ti.is_blockdev)
		churn_off(run, CHURN_TRUNCATE, OFF_NOT_FILE);
	else if (!n)
		churn_off(run, CHURN_TRUNCATE, OFF_NO_TAIL);
	return 0;
}

void churn_free(struct wac_run *run)
{
	free(run->churn.tail_cuts);
	free(run->churn.tail_seen);
	run->churn.tail_cuts = NULL;
	run->churn.tail_seen = NULL;
}

/* The churner's units (ascending) as runs of consecutive units. */
int churn_setup_thread(struct wac_thread *t)
{
	struct wac_oracle *o = &t->run->oracle;
	uint64_t cap = range_cap(o);

	t->extents = calloc(t->owned, sizeof(*t->extents));
	t->pending_max = cap + 1;
	t->pending = calloc(t->pending_max, sizeof(*t->pending));
	if (!t->extents || !t->pending ||
	    posix_memalign((void **)&t->buf, 4096, cap * o->block))
		return -ENOMEM;
	for (uint64_t i = 0; i < t->owned; i++) {
		struct churn_extent *e = &t->extents[t->nextents - 1];

		if (t->nextents && e->first + e->n == t->units[i])
			e->n++;
		else
			t->extents[t->nextents++] =
				(struct churn_extent){t->units[i], 1};
	}
	return 0;
}

/* A random range inside one random extent, at most range_cap units. */
static void pick_range(struct wac_thread *t, uint64_t *first, uint64_t *n)
{
	const struct churn_extent *e =
		&t->extents[thread_rand(t) % t->nextents];
	uint64_t cap = range_cap(&t->run->oracle);
	uint64_t most = e->n < cap ? e->n : cap;

	*n = 1 + thread_rand(t) % most;
	*first = e->first + thread_rand(t) % (e->n - *n + 1);
}

static void mark_units(struct wac_oracle *o, uint64_t first, uint64_t n,
		       uint8_t flag)
{
	for (uint64_t u = first; u < first + n; u++)
		o->flags[u] = (o->flags[u] & ~(UNIT_HOLE | UNIT_HOLE_OK |
					       UNIT_WRITE_FAILED)) |
			      flag;
}

/* An op the filesystem cannot do is noted once and left out. */
static bool unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOSYS;
}

static void churn_fallocate(struct wac_thread *t, enum churn_op op)
{
	struct wac_run *run = t->run;
	struct wac_oracle *o = &run->oracle;
	int mode = FALLOC_FL_KEEP_SIZE |
		   (op == CHURN_PUNCH ? FALLOC_FL_PUNCH_HOLE
				      : FALLOC_FL_ZERO_RANGE);
	uint64_t first, n, start;
	int err;

	pick_range(t, &first, &n);
	hb_begin(&t->hb, churn_wac_op[op]);
	start = now_ns();
	err = fallocate(t->fd, mode, first * o->block, n * o->block) ? errno
								     : 0;
	hb_end(&t->hb);
	if (unsupported(err)) {
		churn_off(run, op, err);
		return;
	}
	metrics_account(&t->metrics, churn_wac_op[op], n * o->block, start,
			now_ns(), err);
	if (err) {
		/* half done, perhaps: zeros or the old records */
		note_syscall_error(&run->errs, churn_wac_op[op], err, t->idx,
				   first * o->block);
		mark_units(o, first, n, UNIT_HOLE_OK);
		return;
	}
	mark_units(o, first, n, UNIT_HOLE);
	atomic_fetch_add(&run->churn.units_holed, n);
}

static void churn_realloc(struct wac_thread *t)
{
	struct wac_run *run = t->run;
	struct wac_oracle *o = &run->oracle;
	uint64_t first, n, start;
	size_t len;
	ssize_t ret;

	pick_range(t, &first, &n);
	len = n * o->block;
	for (uint64_t i = 0; i < n; i++)
		thread_stamp_unit(t, t->buf + i * o->block, first + i,
				  ++o->written[first + i], 0);
	hb_begin(&t->hb, OP_REALLOC);
	start = now_ns();
	ret = pwrite(t->fd, t->buf, len, first * o->block);
	hb_end(&t->hb);
	metrics_account(&t->metrics, OP_REALLOC, ret > 0 ? ret : 0, start,
			now_ns(), ret != (ssize_t)len);
	if (ret != (ssize_t)len) {
		note_syscall_error(&run->errs, OP_REALLOC,
				   ret < 0 ? errno : EIO, t->idx,
				   first * o->block);
		mark_units(o, first, n, UNIT_HOLE_OK | UNIT_WRITE_FAILED);
		return;
	}
	mark_units(o, first, n, 0);
	for (uint64_t i = 0; i < n; i++)
		thread_add_pending(t, first + i, o->written[first + i]);
	thread_sync_writes(t);
}

/* The units cut off at unit k: the churner's are holes at once, the mmap
 * threads' are counted in tail_cuts (undone when the cut failed). */
static void count_cut(struct wac_run *run, uint64_t k, int delta)
{
	struct wac_oracle *o = &run->oracle;

	for (uint64_t u = k; u < o->units; u++)
		atomic_fetch_add(&run->churn.tail_cuts[u - o->tail_first],
				 delta);
}

static void churn_truncate(struct wac_thread *t)
{
	struct wac_run *run = t->run;
	struct wac_oracle *o = &run->oracle;
	uint64_t k =
		o->tail_first + thread_rand(t) % (o->units - o->tail_first);
	uint64_t start;
	int err, err2;

	atomic_fetch_add(&run->churn.tail_seq, 1); /* odd: cut under way */
	count_cut(run, k, 1);
	hb_begin(&t->hb, OP_TRUNCATE);
	start = now_ns();
	err = ftruncate(t->fd, k * o->block) ? errno : 0;
	if (!err)
		usleep(CUT_WINDOW_US);
	err2 = ftruncate(t->fd, o->size) ? errno : 0;
	hb_end(&t->hb);
	if (err)
		count_cut(run, k, -1);
	atomic_fetch_add(&run->churn.tail_seq, 1);
	metrics_account(&t->metrics, OP_TRUNCATE, (o->units - k) * o->block,
			start, now_ns(), err || err2);
	for (uint64_t u = k; u < o->units; u++)
		if (oracle_owner(o, u) == (unsigned)t->owner)
			mark_units(o, u, 1, err ? UNIT_HOLE_OK : UNIT_HOLE);
	if (!err)
		atomic_fetch_add(&run->churn.units_holed, o->units - k);
	if (err || err2) {
		note_syscall_error(&run->errs, OP_TRUNCATE, err ? err : err2,
				   t->idx, k * o->block);
		/* a file left short would only multiply the findings */
		churn_off(run, CHURN_TRUNCATE, err ? err : err2);
	}
}

static bool owns_tail(const struct wac_thread *t)
{
	const struct wac_oracle *o = &t->run->oracle;

	return o->tail_first < o->units &&
	       oracle_owner(o, o->tail_first) == (unsigned)t->owner;
}

static void churn_one(struct wac_thread *t, enum churn_op op)
{
	switch (op) {
	case CHURN_PUNCH:
	case CHURN_ZERO:
		churn_fallocate(t, op);
		break;
	case CHURN_TRUNCATE:
		if (owns_tail(t))
			churn_truncate(t);
		break;
	default:
		churn_realloc(t);
		break;
	}
}

void *churn_thread(void *arg)
{
	struct wac_thread *t = arg;
	const unsigned ncycle = sizeof(cycle) / sizeof(cycle[0]);

	t->hb.tid = gettid();
	while (!atomic_load_explicit(&t->run->stop, memory_order_relaxed)) {
		enum churn_op op = cycle[t->churn_step++ % ncycle];

		if (!atomic_load(&t->run->churn.unsupported[op]))
			churn_one(t, op);
	}
	thread_sync_writes(t);
	return NULL;
}

/*
 * A store of an mmap thread into the tail region.  The cut's sequence
 * count (read around the store, cuts before the count's second read)
 * tells whether a cut overlapped it: a SIGBUS then is expected, and a
 * store that landed may have been cut away after all (zeros or the
 * record are both right: UNIT_HOLE_OK).
 */
bool churn_tail_store(struct wac_thread *t, uint64_t unit, char *dst,
		      uintptr_t *bad, bool *expected)
{
	struct churn_shared *c = &t->run->churn;
	struct wac_oracle *o = &t->run->oracle;
	uint64_t i = unit - o->tail_first;
	uint32_t s1, s2, c1, c2;
	bool ok, raced;

	s1 = atomic_load(&c->tail_seq);
	c1 = atomic_load(&c->tail_cuts[i]);
	ok = fault_guarded_copy(dst, t->buf, o->block, bad);
	c2 = atomic_load(&c->tail_cuts[i]);
	s2 = atomic_load(&c->tail_seq);
	raced = (s1 & 1) || s1 != s2;
	*expected = !ok && raced;
	if (!ok)
		return false;
	c->tail_seen[i] = c2;
	if (raced && (c1 != c2 || (s1 & 1)))
		o->flags[unit] |= UNIT_HOLE_OK;
	else
		o->flags[unit] &= ~UNIT_HOLE_OK;
	o->flags[unit] &= ~UNIT_HOLE;
	return true;
}

/* An mmap thread sharing the tail picks a tail unit one store in
 * TAIL_PICK: a uniform pick would almost never meet a cut. */
#define TAIL_PICK 8

uint64_t churn_pick_unit(struct wac_thread *t)
{
	uint64_t ntail = t->owned - t->tail_idx;

	if (!ntail || !t->run->churn.tail_cuts || thread_rand(t) % TAIL_PICK)
		return thread_pick_unit(t);
	return t->units[t->tail_idx + thread_rand(t) % ntail];
}

void churn_reconcile(struct wac_run *run)
{
	struct wac_oracle *o = &run->oracle;
	struct churn_shared *c = &run->churn;

	if (!c->tail_cuts)
		return;
	for (uint64_t u = o->tail_first; u < o->units; u++) {
		uint64_t i = u - o->tail_first;

		if (!oracle_owns(o, u) ||
		    o->owner_kind[oracle_owner(o, u)] == KIND_CHURN ||
		    atomic_load(&c->tail_cuts[i]) <= c->tail_seen[i])
			continue;
		o->flags[u] = (o->flags[u] & ~UNIT_HOLE_OK) | UNIT_HOLE;
	}
}

static const char *off_reason(int why, char *buf, size_t len)
{
	if (why == OFF_NOT_FILE)
		return "not a regular file";
	if (why == OFF_NO_TAIL)
		return "no tail region in this layout";
	return errno_name(why, buf, len);
}

/* integrity.churn: that churn happened, and what the kernel refused. */
void churn_write_json(struct json *j, struct wac_run *run)
{
	struct thread_metrics *per[run->nthreads + 1], sum;
	struct churn_shared *c = &run->churn;
	char buf[16];

	if (!run->cfg->churners || run->cfg->verify_only) {
		json_null(j, "churn");
		return;
	}
	run_metrics(run, per, &sum);
	json_obj_begin(j, "churn");
	json_obj_begin(j, "ops");
	for (int op = 0; op < CHURN__COUNT; op++) {
		const struct op_stats *s = &sum.ops[churn_wac_op[op]];

		json_obj_begin(j, op_name(churn_wac_op[op]));
		json_u64(j, "count", s->count);
		json_u64(j, "errors", s->errors);
		json_obj_end(j);
	}
	json_obj_end(j);
	json_obj_begin(j, "unsupported");
	for (int op = 0; op < CHURN__COUNT; op++)
		if (atomic_load(&c->unsupported[op]))
			json_str(j, op_name(churn_wac_op[op]),
				 off_reason(
					 atomic_load(&c->unsupported_errno[op]),
					 buf, sizeof(buf)));
	json_obj_end(j);
	json_u64(j, "units_holed", atomic_load(&c->units_holed));
	json_u64(j, "sigbus_expected", atomic_load(&c->sigbus_expected));
	json_obj_end(j);
}

/* Did any freeing op work?  Else *why says what each one met. */
bool churn_happened(struct wac_run *run, char *why, size_t len)
{
	struct thread_metrics *per[run->nthreads + 1], sum;
	size_t n = 0;
	char buf[16];

	run_metrics(run, per, &sum);
	for (int op = 0; op < CHURN__COUNT; op++) {
		enum wac_op w = churn_wac_op[op];

		if (op == CHURN_REALLOC)
			continue;
		if (sum.ops[w].count > sum.ops[w].errors)
			return true;
		n += snprintf(
			why + n, n < len ? len - n : 0, "%s%s: %s",
			n ? ", " : "", op_name(w),
			atomic_load(&run->churn.unsupported[op])
				? off_reason(
					  atomic_load(
						  &run->churn.unsupported_errno
							   [op]),
					  buf, sizeof(buf))
				: "none succeeded");
	}
	return false;
}
