/*
 * sandbox_child -- what the sandbox child (quantd-sandbox) and the host proxy
 * share besides the frame format: the fixed fd, the filters, and the exit
 * status a child uses for each kind of failure.
 */
#ifndef QD_SANDBOX_CHILD_H
#define QD_SANDBOX_CHILD_H

#include <stdint.h>
#include <time.h>

/** The child's end of the socketpair, dup2'ed here before execve. */
#define SANDBOX_FD 3
/** A one-shot datagram socket: the child sends the host its seccomp
 *  listener fd on it (SCM_RIGHTS), then closes it. */
#define SANDBOX_NOTIFY_FD 4

/** F_INIT flags. */
#define SANDBOX_INIT_IDLE 1u     /* run under SCHED_IDLE (the daemon's) */

/**
 * A backtest's host and child wait for each other's next frame by polling
 * the socket (recv with MSG_DONTWAIT) for up to this long before they
 * sleep in read(): a batch's answer usually comes within a few
 * microseconds, and a sleeping reader's wake-up costs ~30 us on a virtual
 * machine, more than the batch.  The daemon's children never poll.
 */
#define SANDBOX_POLL_US 50

/** CLOCK_MONOTONIC in microseconds (the vDSO: no syscall). */
static inline int64_t
sandbox_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/** Exit statuses of the child (the host maps them to reasons). */
#define SANDBOX_EXIT_PROTOCOL 64 /* malformed or unexpected frame */
#define SANDBOX_EXIT_SETUP 65    /* rlimits, prctl or filters failed */
#define SANDBOX_EXIT_LOAD 66     /* the plugin could not be loaded */

/**
 * Install the child's one seccomp filter (filter.c), with no_new_privs
 * already set.  Returns its user-notification listener fd (to hand to the
 * host), or -1.
 */
int sandbox_filter_install(void);
/** Name of a syscall number of `arch` (an AUDIT_ARCH value), for reports. */
const char *sandbox_syscall_name(uint32_t arch, int nr);

#endif
