/*
 * filter.c -- the seccomp filter of a sandbox child, as a table.
 *
 * One filter, installed before dlopen() and never widened or stacked on:
 * no plugin code, constructors included, ever runs while seccomp(2) or
 * prctl(PR_SET_SECCOMP) is allowed, so a plugin cannot install a filter of
 * its own that would swallow a later one.  It is what loading a module
 * needs and what the SDK needs at run time, nothing else:
 *   - opens are read-only: the child's file system holds nothing but the
 *     modules it loads (child.c, confine_fs), so reading is harmless;
 *   - W^X: memory is mapped or protected executable only when it is a
 *     private, file-backed, non-writable mapping (the segments dlopen maps
 *     from the read-only modules); mprotect() never adds PROT_EXEC, and an
 *     anonymous or writable executable mapping is refused;
 *   - write() only on the host socket, sendmsg() only on the one-shot fd
 *     that hands the host the filter's listener (then closed: the fd
 *     limit keeps that number from being reused by a socket).
 *
 * Everything else is SECCOMP_RET_USER_NOTIF: the calling thread is stopped
 * in the kernel and the host, holding the listener fd, reads the syscall
 * number from the kernel and kills the child.  The reason logged never
 * comes from the child.  libseccomp checks the architecture first and, on
 * x86-64, any number with the x32 bit (0x40000000) set: both kill the
 * process outright (SIGSYS, "killed by SIGSYS"; tests/sandbox: hostile-x32).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/resource.h>

#include <seccomp.h>

#include "sandbox/sandbox_child.h"

struct rule {
	int nr;
	const char *why;
};

/* Allowed whatever the arguments. */
static const struct rule rules[] = {
	{ SCMP_SYS(read), "frames from the host; ld.so reads module headers" },
	{ SCMP_SYS(pread64), "ld.so reads ELF headers" },
	{ SCMP_SYS(close), "ld.so closes the module files" },
	{ SCMP_SYS(fstat), "ld.so checks module files" },
	{ SCMP_SYS(newfstatat), "ld.so checks module files" },
	{ SCMP_SYS(lseek), "ld.so seeks in module files" },
	{ SCMP_SYS(munmap), "ld.so and malloc unmap memory" },
	{ SCMP_SYS(brk), "malloc" },
	{ SCMP_SYS(madvise), "malloc returns memory" },
	{ SCMP_SYS(mremap), "realloc of large blocks (keeps protections)" },
	{ SCMP_SYS(getrandom), "malloc and ld.so seed their randomness" },
	{ SCMP_SYS(futex), "libc locks" },
	{ SCMP_SYS(clock_gettime), "time without the vDSO" },
	{ SCMP_SYS(exit_group), "exit" },
	{ SCMP_SYS(exit), "exit" },
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer looks up the alternate signal stack on its own
	 * paths (before a noreturn call, on a deadly signal): an ASan build
	 * of the sandbox allows it (build configuration, like RLIMIT_AS in
	 * child.c; release builds never do). */
	{ SCMP_SYS(sigaltstack), "AddressSanitizer builds only" },
#endif
};

/* Add the unconditional rules.  0 or -1. */
static int
add_rules(scmp_filter_ctx ctx)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rules[i].nr, 0) != 0)
			return -1;
	return 0;
}

/* The rules that look at arguments.  0 or -1. */
static int
add_arg_rules(scmp_filter_ctx ctx)
{
	/* openat: read-only, never create, truncate or append. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC |
	    O_APPEND, O_RDONLY)) != 0)
		return -1;
	/* write: frames to the host only. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
	    SCMP_A0(SCMP_CMP_EQ, SANDBOX_FD)) != 0)
		return -1;
	/* recvfrom: a read of the host's socket that does not wait (a
	 * backtest's child looks for the next call a moment before it
	 * sleeps in read()). */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvfrom), 2,
	    SCMP_A0(SCMP_CMP_EQ, SANDBOX_FD),
	    SCMP_A3(SCMP_CMP_EQ, MSG_DONTWAIT)) != 0)
		return -1;
	/* sendmsg: the listener handoff only (fd closed right after). */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
	    SCMP_A0(SCMP_CMP_EQ, SANDBOX_NOTIFY_FD)) != 0)
		return -1;
	/* mmap: any memory that is not executable ... */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0)
		return -1;
	/* ... and executable only as a private, non-writable file mapping
	 * (ld.so mapping a module's code segment). */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 2,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC | PROT_WRITE, PROT_EXEC),
	    SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS | MAP_SHARED |
	    MAP_SHARED_VALIDATE, MAP_PRIVATE)) != 0)
		return -1;
	/* prlimit64: the child's own RLIMIT_NOFILE, set after the listener
	 * handoff; without a capability of the initial namespace it can
	 * only ever lower a limit. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
	    SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A1(SCMP_CMP_EQ, RLIMIT_NOFILE)) != 0)
		return -1;
	/* mprotect: RELRO and guard pages; never adds PROT_EXEC. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0)
		return -1;
	return 0;
}

int
sandbox_filter_install(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
	int fd = -1;

	if (ctx == NULL)
		return -1;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0 ||
	    add_rules(ctx) != 0 || add_arg_rules(ctx) != 0 ||
	    seccomp_load(ctx) != 0)
		goto out;
	fd = seccomp_notify_fd(ctx);
out:
	seccomp_release(ctx);
	return fd;
}

const char *
sandbox_syscall_name(uint32_t arch, int nr)
{
	static char buf[32];
	char *name = seccomp_syscall_resolve_num_arch(arch, nr);

	if (name == NULL)
		return "unknown";
	snprintf(buf, sizeof(buf), "%s", name);
	free(name);
	return buf;
}
