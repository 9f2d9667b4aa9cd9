/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_ENGINE_H
#define WAC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * I/O engines of the O_DIRECT path, after fio's struct ioengine_ops:
 * queue() hands an I/O to the engine (a synchronous engine does it right
 * away), commit() submits what was queued, reap() waits for at least min
 * completions.  One file per engine: engine_<name>.c.
 */
struct wac_io {
	void *buf;
	uint64_t offset;
	uint32_t len;
	uint64_t unit;
	uint32_t gen;
	uint32_t seq_before; /* profile F: source slot sequence at submit */
	unsigned slot;
	uint64_t submit_ns;
	uint64_t complete_ns; /* set by synchronous engines; else reap time */
	int64_t result; /* bytes written, or -errno */
};

struct wac_engine;

struct wac_engine_ops {
	const char *name;
	/* queue() does the I/O, setting submit_ns and complete_ns; reap()
	 * never waits */
	bool sync;
	int (*init)(struct wac_engine *e);
	int (*queue)(struct wac_engine *e, struct wac_io *io);
	int (*commit)(struct wac_engine *e);
	/* Fills done[] with up to max finished I/Os; returns how many. */
	int (*reap)(struct wac_engine *e, unsigned min, struct wac_io **done,
		    unsigned max);
	void (*cleanup)(struct wac_engine *e);
};

struct wac_engine {
	const struct wac_engine_ops *ops;
	int fd;
	unsigned depth;
	/* Every wac_io's buf lies in [bufs, bufs + bufs_len): an engine may
	 * register it with the kernel once (io_uring fixed buffers). */
	void *bufs;
	size_t bufs_len;
	void *priv;
};

/* The engine called name, or NULL. */
const struct wac_engine_ops *engine_find(const char *name);

/* "psync, libaio, io_uring": the engines built in. */
const char *engine_names(void);

#endif
