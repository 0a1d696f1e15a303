/*
 * sandbox_child -- what the sandbox child (quantd-sandbox) and the host proxy
 * share besides the frame format: the fixed fd, the filters, and the exit
 * status a child uses for each kind of failure.
 */
#ifndef QD_SANDBOX_CHILD_H
#define QD_SANDBOX_CHILD_H

#include <stdint.h>

/** The child's end of the socketpair, dup2'ed here before execve. */
#define SANDBOX_FD 3
/** A one-shot datagram socket: the child sends the host its seccomp
 *  listener fd on it (SCM_RIGHTS), then closes it. */
#define SANDBOX_NOTIFY_FD 4

/** F_INIT flags. */
#define SANDBOX_INIT_IDLE 1u     /* run under SCHED_IDLE (the daemon's) */

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
