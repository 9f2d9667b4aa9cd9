// SPDX-License-Identifier: GPL-2.0
/* io_uring through liburing: one ring per thread, writes to a plain fd. */
#include <errno.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "engine.h"

struct uring_priv {
	struct io_uring ring;
	unsigned queued;
	bool fixed_buf; /* bufs registered: buffer index 0 */
	bool fixed_file; /* fd registered: file index 0 */
};

/*
 * One thread submits and reaps, so completions need not interrupt it
 * (COOP_TASKRUN) and can run when it asks for them (DEFER_TASKRUN, 6.1+).
 * Older kernels refuse the flags: fall back, newest first.
 */
static int init_ring(struct io_uring *ring, unsigned depth)
{
	static const unsigned flag_sets[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	int ret = -EINVAL;

	for (unsigned i = 0; i < 3; i++) {
		ret = io_uring_queue_init(depth, ring, flag_sets[i]);
		if (ret != -EINVAL)
			break;
	}
	return ret;
}

/*
 * As fio's fixedbufs and registerfiles: the kernel pins the buffers and
 * takes the file reference once, not on every write.  Either may be
 * refused (memlock limit, old kernel): then plain writes, as before.
 */
static void register_fixed(struct wac_engine *e, struct uring_priv *p)
{
	struct iovec iov = {e->bufs, e->bufs_len};

	if (e->bufs && e->bufs_len)
		p->fixed_buf = !io_uring_register_buffers(&p->ring, &iov, 1);
	p->fixed_file = !io_uring_register_files(&p->ring, &e->fd, 1);
}

static int uring_init(struct wac_engine *e)
{
	struct uring_priv *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	ret = init_ring(&p->ring, e->depth);
	if (ret < 0) {
		free(p);
		return ret;
	}
	register_fixed(e, p);
	e->priv = p;
	return 0;
}

static int uring_queue(struct wac_engine *e, struct wac_io *io)
{
	struct uring_priv *p = e->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);

	if (!sqe)
		return -EBUSY;
	if (p->fixed_buf)
		io_uring_prep_write_fixed(sqe, p->fixed_file ? 0 : e->fd,
					  io->buf, io->len, io->offset, 0);
	else
		io_uring_prep_write(sqe, p->fixed_file ? 0 : e->fd, io->buf,
				    io->len, io->offset);
	if (p->fixed_file)
		sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, io);
	p->queued++;
	return 0;
}

/* Submit at once, as fio does: the device starts on the batch while the
 * thread goes on to reap (submitting inside the reap measured slower). */
static int uring_submit(struct uring_priv *p)
{
	while (p->queued) {
		int ret = io_uring_submit(&p->ring);

		if (ret == -EINTR || ret == -EAGAIN)
			continue;
		if (ret < 0)
			return ret;
		p->queued -= ret < (int)p->queued ? ret : p->queued;
	}
	return 0;
}

static int uring_commit(struct wac_engine *e)
{
	return uring_submit(e->priv);
}

static int uring_reap(struct wac_engine *e, unsigned min, struct wac_io **done,
		      unsigned max)
{
	struct uring_priv *p = e->priv;
	struct io_uring_cqe *cqe;
	unsigned n = 0;
	int ret;

	while (n < max) {
		if (n < min)
			ret = io_uring_wait_cqe(&p->ring, &cqe);
		else
			ret = io_uring_peek_cqe(&p->ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret == -EAGAIN && n >= min)
			break;
		if (ret < 0)
			return n ? (int)n : ret;
		done[n] = io_uring_cqe_get_data(cqe);
		done[n]->result = cqe->res;
		io_uring_cqe_seen(&p->ring, cqe);
		n++;
	}
	return n;
}

static void uring_cleanup(struct wac_engine *e)
{
	struct uring_priv *p = e->priv;

	if (!p)
		return;
	io_uring_queue_exit(&p->ring);
	free(p);
	e->priv = NULL;
}

const struct wac_engine_ops engine_io_uring = {
	.name = "io_uring",
	.init = uring_init,
	.queue = uring_queue,
	.commit = uring_commit,
	.reap = uring_reap,
	.cleanup = uring_cleanup,
};
