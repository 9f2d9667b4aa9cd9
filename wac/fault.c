// SPDX-License-Identifier: GPL-2.0
/* SIGBUS on a store into the target's mapping: caught, not fatal. */
#define _GNU_SOURCE
#include "fault.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

/* volatile: the handler reads them; the compiler must not drop a store */
static __thread sigjmp_buf *volatile fault_jmp;
static __thread volatile uintptr_t fault_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	(void)uc;
	if (fault_jmp) {
		fault_addr = (uintptr_t)si->si_addr;
		siglongjmp(*fault_jmp, 1);
	}
	/* Not in a guarded store: die of it, as without the handler. */
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

int fault_install(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigbus,
			       .sa_flags = SA_SIGINFO};

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

bool fault_guarded_copy(void *dst, const void *src, size_t len, uintptr_t *bad)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 1)) {
		fault_jmp = NULL;
		*bad = fault_addr;
		return false;
	}
	fault_jmp = &env;
	memcpy(dst, src, len);
	fault_jmp = NULL;
	return true;
}
