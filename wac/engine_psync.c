// SPDX-License-Identifier: GPL-2.0
/* psync: pwrite(2) in the submitting thread; depth is how many it batches. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine.h"
#include "wac.h"

struct psync_priv {
	struct wac_io **done;
	unsigned ndone;
};

static int psync_init(struct wac_engine *e)
{
	struct psync_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->done = calloc(e->depth, sizeof(*p->done));
	if (!p->done) {
		free(p);
		return -ENOMEM;
	}
	e->priv = p;
	return 0;
}

static int64_t pwrite_full(int fd, const char *buf, uint32_t len, uint64_t off)
{
	uint32_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, buf + done, len - done, off + done);

		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += n;
	}
	return done;
}

static int psync_queue(struct wac_engine *e, struct wac_io *io)
{
	struct psync_priv *p = e->priv;

	if (p->ndone >= e->depth)
		return -EBUSY;
	io->submit_ns = now_ns();
	io->result = pwrite_full(e->fd, io->buf, io->len, io->offset);
	io->complete_ns = now_ns();
	p->done[p->ndone++] = io;
	return 0;
}

static int psync_commit(struct wac_engine *e)
{
	(void)e;
	return 0;
}

static int psync_reap(struct wac_engine *e, unsigned min, struct wac_io **done,
		      unsigned max)
{
	struct psync_priv *p = e->priv;
	unsigned n = p->ndone < max ? p->ndone : max;

	(void)min;
	for (unsigned i = 0; i < n; i++)
		done[i] = p->done[i];
	for (unsigned i = n; i < p->ndone; i++)
		p->done[i - n] = p->done[i];
	p->ndone -= n;
	return n;
}

static void psync_cleanup(struct wac_engine *e)
{
	struct psync_priv *p = e->priv;

	if (p)
		free(p->done);
	free(p);
	e->priv = NULL;
}

const struct wac_engine_ops engine_psync = {
	.name = "psync",
	.sync = true,
	.init = psync_init,
	.queue = psync_queue,
	.commit = psync_commit,
	.reap = psync_reap,
	.cleanup = psync_cleanup,
};
