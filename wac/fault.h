/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_FAULT_H
#define WAC_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Stores into the target's shared mapping that the kernel refuses with
 * SIGBUS (tmpfs out of space or over its memory cgroup, a file truncated
 * under the mapping, a page that cannot be read in) are caught, reported
 * on the contract channel with the address, and the thread carries on.
 * A SIGBUS anywhere else still kills the process, as before.
 */

/* Install the SIGBUS handler (once, before the threads start). */
int fault_install(void);

/* memcpy(dst, src, len); false, with *bad the faulting address, when
 * the copy took SIGBUS part way. */
bool fault_guarded_copy(void *dst, const void *src, size_t len, uintptr_t *bad);

#endif
