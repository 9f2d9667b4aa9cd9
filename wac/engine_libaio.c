// SPDX-License-Identifier: GPL-2.0
/* libaio: Linux native AIO (io_submit/io_getevents), O_DIRECT only. */
#include <errno.h>
#include <libaio.h>
#include <stdlib.h>

#include "engine.h"

struct libaio_priv {
	io_context_t ctx;
	struct iocb *iocbs; /* one per depth slot */
	struct iocb **queued;
	unsigned nqueued;
	struct io_event *events;
};

static void libaio_cleanup(struct wac_engine *e)
{
	struct libaio_priv *p = e->priv;

	if (!p)
		return;
	if (p->ctx)
		io_destroy(p->ctx);
	free(p->iocbs);
	free(p->queued);
	free(p->events);
	free(p);
	e->priv = NULL;
}

static int libaio_init(struct wac_engine *e)
{
	struct libaio_priv *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	e->priv = p;
	p->iocbs = calloc(e->depth, sizeof(*p->iocbs));
	p->queued = calloc(e->depth, sizeof(*p->queued));
	p->events = calloc(e->depth, sizeof(*p->events));
	if (!p->iocbs || !p->queued || !p->events) {
		libaio_cleanup(e);
		return -ENOMEM;
	}
	ret = io_setup(e->depth, &p->ctx);
	if (ret) {
		p->ctx = 0;
		libaio_cleanup(e);
		return ret < 0 ? ret : -ret;
	}
	return 0;
}

static int libaio_queue(struct wac_engine *e, struct wac_io *io)
{
	struct libaio_priv *p = e->priv;
	struct iocb *cb = &p->iocbs[io->slot];

	if (p->nqueued >= e->depth)
		return -EBUSY;
	io_prep_pwrite(cb, e->fd, io->buf, io->len, io->offset);
	cb->data = io;
	p->queued[p->nqueued++] = cb;
	return 0;
}

static int libaio_commit(struct wac_engine *e)
{
	struct libaio_priv *p = e->priv;
	unsigned done = 0;

	while (done < p->nqueued) {
		int ret =
			io_submit(p->ctx, p->nqueued - done, p->queued + done);

		if (ret == -EAGAIN || ret == -EINTR)
			continue;
		if (ret < 0)
			return ret;
		done += ret;
	}
	p->nqueued = 0;
	return 0;
}

/* The kernel's completion ring, mapped at the context's address (fs/aio.c
 * struct aio_ring; its layout is ABI: fio and libaio read it too). */
struct aio_ring {
	unsigned id, nr, head, tail;
	unsigned magic, compat_features, incompat_features, header_length;
	struct io_event events[];
};

#define AIO_RING_MAGIC 0xa10a10a1

/*
 * Take what has completed straight from the ring, as fio's
 * userspace_reap: no io_getevents(2) when completions are already there.
 * Only this thread reaps this context.
 */
static int user_reap(struct libaio_priv *p, unsigned max)
{
	struct aio_ring *r = (struct aio_ring *)p->ctx;
	unsigned head, tail, n = 0;

	if (r->magic != AIO_RING_MAGIC || r->incompat_features)
		return 0;
	head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	while (head != tail && n < max) {
		p->events[n++] = r->events[head];
		head = head + 1 == r->nr ? 0 : head + 1;
	}
	__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
	return n;
}

static int libaio_reap(struct wac_engine *e, unsigned min, struct wac_io **done,
		       unsigned max)
{
	struct libaio_priv *p = e->priv;
	int n;

	if (max > e->depth)
		max = e->depth;
	n = user_reap(p, max);
	if (n == 0 && min > 0)
		do
			n = io_getevents(p->ctx, min, max, p->events, NULL);
		while (n == -EINTR);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct wac_io *io = p->events[i].data;

		/* res is unsigned long; errors are negative errnos */
		io->result = (long)p->events[i].res;
		done[i] = io;
	}
	return n;
}

const struct wac_engine_ops engine_libaio = {
	.name = "libaio",
	.init = libaio_init,
	.queue = libaio_queue,
	.commit = libaio_commit,
	.reap = libaio_reap,
	.cleanup = libaio_cleanup,
};
