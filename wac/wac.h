/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_H
#define WAC_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#define WAC_VERSION "0.1.0"

/* Exit statuses, part of the CLI contract. */
enum {
	WAC_EXIT_PASS = 0,
	WAC_EXIT_FAIL = 1,
	WAC_EXIT_USAGE = 2,
	WAC_EXIT_HANG = 3,
};

/* What a thread does.  Stored in every record it writes. */
enum wac_kind {
	KIND_WRITE, /* buffered pwrite + sync */
	KIND_MMAP, /* stores into MAP_SHARED + msync */
	KIND_DIRECT, /* O_DIRECT writes through an engine */
	KIND_SCRIBBLE, /* profile F: keeps changing O_DIRECT source buffers */
	KIND_CHURN, /* profile G: punches, zeroes, truncates, reallocates */
	KIND__COUNT,
};

/* Operations measured and reported; names in op_name(). */
enum wac_op {
	OP_NONE,
	OP_WRITE,
	OP_MMAP_STORE,
	OP_DIRECT_WRITE,
	OP_MSYNC,
	OP_SFR,
	OP_FSYNC,
	OP_FDATASYNC,
	OP_SCRIBBLE,
	OP_PUNCH, /* fallocate(PUNCH_HOLE|KEEP_SIZE) */
	OP_ZERO_RANGE, /* fallocate(ZERO_RANGE|KEEP_SIZE) */
	OP_TRUNCATE, /* ftruncate shrink, then regrow */
	OP_REALLOC, /* pwrite into a range a churner had freed */
	OP_FINAL_SYNC,
	OP_VERIFY_READ,
	OP_SETUP, /* opening and zero-filling the target */
	OP__COUNT,
};

enum write_sync {
	WSYNC_SFR_WAIT, /* WAIT_BEFORE|WRITE|WAIT_AFTER */
	WSYNC_SFR_WRITE, /* WRITE only: starts writeback, waits for nothing */
	WSYNC_FSYNC,
	WSYNC_FDATASYNC,
	WSYNC_NONE,
};

enum msync_mode {
	MSYNC_SYNC,
	MSYNC_ASYNC,
	MSYNC_NONE,
};

enum f_mode {
	FMODE_SCRIBBLE, /* mmap stores change O_DIRECT source buffers */
	FMODE_LEGACY, /* 2011 wac: profile B on an O_DIRECT fd */
};

struct wac_config {
	char profile;
	unsigned threads;
	unsigned writers; /* write() or O_DIRECT writers */
	unsigned mmappers; /* mmap storers, or scribblers in profile F */
	unsigned churners; /* profile G: allocation churn threads */
	bool direct;
	uint64_t size;
	uint32_t block;
	uint32_t sector_size; /* 0 = probe */
	double duration_s;
	unsigned sync_every;
	enum write_sync write_sync;
	enum msync_mode msync;
	const char *engine;
	unsigned iodepth;
	enum f_mode f_mode;
	int layout; /* enum layout (oracle.h) */
	uint64_t seed;
	double hang_timeout_s;
	bool sysrq;
	bool sched_groups;
	bool prefill;
	uint64_t prefill_write; /* bytes per prefill write */
	bool create; /* a bare-word TARGET that does not exist may be made */
	int progress; /* -1 auto (tty), 0 quiet, 1 always */
	const char *json_path;
	const char *state_path;
	const char *target;
	bool verify_only;
	bool prefill_only; /* write every sector once, sync, no verify */
	/* --slice K/N: this process owns the units of slice K of N (oracle.h
	 * slice_owner); 0/1 owns all */
	unsigned slice_k, slice_n;
	bool slice_given;
};

/* Why write_sync/msync promise durability: only modes that wait do. */
static inline bool write_sync_promises(enum write_sync m)
{
	return m == WSYNC_SFR_WAIT || m == WSYNC_FSYNC || m == WSYNC_FDATASYNC;
}

const char *op_name(enum wac_op op);
const char *kind_name(enum wac_kind kind);
const char *write_sync_name(enum write_sync m);
const char *msync_name(enum msync_mode m);

uint64_t now_ns(void);

/* The most threads of each kind (--threads, --writers, --mmappers). */
#define WAC_THREADS_MAX 4096

/* Print "wac: <message>" on stderr, on one line. */
void wac_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
