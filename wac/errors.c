// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "errors.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void errors_init(struct syscall_errors *e)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
}

/*
 * Errnos each syscall's man page lists.  msync(2) lists only EBUSY,
 * EINVAL and ENOMEM, but Linux reports writeback failures through msync
 * as EIO/ENOSPC (vfs_fsync_range), so those count as documented too:
 * they are findings on the syscall channel, not contract breaches.
 */
static const int write_errnos[] = {EAGAIN, EBADF,  EDQUOT,    EFAULT, EFBIG,
				   EINTR,  EINVAL, EIO,	      ENOSPC, EPERM,
				   EPIPE,  ENXIO,  EOVERFLOW, 0};
static const int msync_errnos[] = {EBUSY,  EINVAL, ENOMEM, EIO,
				   ENOSPC, EDQUOT, 0};
static const int sfr_errnos[] = {EBADF,	 EINVAL, EIO,	 ENOMEM,
				 ENOSPC, ESPIPE, EDQUOT, 0};
static const int fsync_errnos[] = {EBADF,  EINTR,  EIO,	   EROFS,
				   EINVAL, ENOSPC, EDQUOT, 0};
static const int read_errnos[] = {EAGAIN, EBADF, EFAULT, EINTR,
				  EINVAL, EIO,	 EISDIR, 0};

static const int fallocate_errnos[] = {
	EBADF,	EFBIG, EINTR,  EINVAL,	EIO,	    ENODEV, ENOSPC,
	ENOSYS, EPERM, ESPIPE, ETXTBSY, EOPNOTSUPP, 0};
static const int truncate_errnos[] = {EBADF, EFBIG,   EINTR, EINVAL, EIO,
				      EPERM, ETXTBSY, EROFS, 0};

static const int *errnos_of(enum wac_op op)
{
	switch (op) {
	case OP_PUNCH:
	case OP_ZERO_RANGE:
		return fallocate_errnos;
	case OP_TRUNCATE:
		return truncate_errnos;
	case OP_REALLOC:
	case OP_WRITE:
	case OP_DIRECT_WRITE:
	case OP_SETUP:
		return write_errnos;
	case OP_MSYNC:
		return msync_errnos;
	case OP_SFR:
		return sfr_errnos;
	case OP_FSYNC:
	case OP_FDATASYNC:
	case OP_FINAL_SYNC:
		return fsync_errnos;
	case OP_VERIFY_READ:
		return read_errnos;
	default:
		return NULL;
	}
}

bool errno_documented(enum wac_op op, int err)
{
	const int *list = errnos_of(op);

	if (!list)
		return true;
	for (; *list; list++)
		if (*list == err)
			return true;
	return false;
}

const char *errno_name(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, len, "E%d", err);
	return buf;
}

static void add_contract_locked(struct syscall_errors *e, enum wac_op op,
				long long ret, int err, const char *why)
{
	e->contract_total++;
	if (e->ncontract < FIRST_MAX)
		e->contract[e->ncontract++] = (struct contract_breach){
			.op = op, .returned = ret, .err = err, .why = why};
}

void note_syscall_error(struct syscall_errors *e, enum wac_op op, int err,
			int thread, uint64_t offset)
{
	pthread_mutex_lock(&e->lock);
	e->total++;
	e->by_errno[err > 0 && err < ERRNO_MAX ? err : 0]++;
	e->by_op[op]++;
	if (e->nfirst < FIRST_MAX)
		e->first[e->nfirst++] =
			(struct syscall_error){.op = op,
					       .err = err,
					       .thread = thread,
					       .offset = offset};
	if (!errno_documented(op, err))
		add_contract_locked(e, op, -1, err,
				    "errno not listed by the man page");
	pthread_mutex_unlock(&e->lock);
}

void note_contract_signal(struct syscall_errors *e, enum wac_op op, int signo,
			  uint64_t offset, const char *why)
{
	pthread_mutex_lock(&e->lock);
	e->contract_total++;
	if (e->ncontract < FIRST_MAX)
		e->contract[e->ncontract++] =
			(struct contract_breach){.op = op,
						 .returned = 0,
						 .signo = signo,
						 .offset = offset,
						 .why = why};
	pthread_mutex_unlock(&e->lock);
}

void note_contract(struct syscall_errors *e, enum wac_op op, long long ret,
		   const char *why)
{
	pthread_mutex_lock(&e->lock);
	add_contract_locked(e, op, ret, 0, why);
	pthread_mutex_unlock(&e->lock);
}
