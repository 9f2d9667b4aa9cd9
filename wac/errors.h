/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_ERRORS_H
#define WAC_ERRORS_H

#include <pthread.h>

#include "wac.h"

/*
 * The syscall channel: errors returned by the kernel, and answers that
 * break a syscall's documented contract (a positive msync, a write that
 * wrote more than asked, an errno the man page does not list).
 */
#define ERRNO_MAX 256
#define FIRST_MAX 16

struct syscall_error {
	enum wac_op op;
	int err;
	int thread;
	uint64_t offset;
};

struct contract_breach {
	enum wac_op op;
	long long returned;
	int err;
	int signo; /* a signal the op took (SIGBUS), else 0 */
	uint64_t offset; /* target offset of the faulting store */
	const char *why;
};

struct syscall_errors {
	pthread_mutex_t lock;
	uint64_t total;
	uint64_t by_errno[ERRNO_MAX];
	uint64_t by_op[OP__COUNT];
	struct syscall_error first[FIRST_MAX];
	unsigned nfirst;
	uint64_t contract_total;
	struct contract_breach contract[FIRST_MAX];
	unsigned ncontract;
};

void errors_init(struct syscall_errors *e);

/* Record an errno returned by op; also a contract breach if unlisted. */
void note_syscall_error(struct syscall_errors *e, enum wac_op op, int err,
			int thread, uint64_t offset);

/* Record a return value outside the contract of op. */
void note_contract(struct syscall_errors *e, enum wac_op op, long long ret,
		   const char *why);

/* Record a signal op took at target offset (a SIGBUS on a store). */
void note_contract_signal(struct syscall_errors *e, enum wac_op op, int signo,
			  uint64_t offset, const char *why);

/* True when the man page of op's syscall lists err. */
bool errno_documented(enum wac_op op, int err);

/* "EIO", or "E123" for an errno glibc cannot name. */
const char *errno_name(int err, char *buf, size_t len);

#endif
