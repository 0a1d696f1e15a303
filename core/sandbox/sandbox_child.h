/*
 * sandbox_child -- what the sandbox child (quantd-sandbox) and the host proxy
 * share besides the frame format: the fixed fd, the filters, and the exit
 * status a child uses for each kind of failure.
 */
#ifndef QD_SANDBOX_CHILD_H
#define QD_SANDBOX_CHILD_H

/** The child's end of the socketpair, dup2'ed here before execve. */
#define SANDBOX_FD 3

/** Exit statuses of the child (the host maps them to reasons). */
#define SANDBOX_EXIT_PROTOCOL 64 /* malformed or unexpected frame */
#define SANDBOX_EXIT_SETUP 65    /* rlimits, prctl or filters failed */
#define SANDBOX_EXIT_LOAD 66     /* the plugin could not be loaded */
#define SANDBOX_EXIT_SYSCALL 67  /* forbidden syscall (reported first) */

/** Install the loader filter (before dlopen).  0 or -1. */
int sandbox_filter_loader(void);
/** Stack the strict runtime filter.  0 or -1. */
int sandbox_filter_strict(void);
/** Name of a native syscall number ("openat"), for reports. */
const char *sandbox_syscall_name(int nr);

#endif
