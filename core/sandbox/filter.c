/*
 * filter.c -- the two seccomp filters of a sandbox child, as tables.
 *
 * Both default to SCMP_ACT_TRAP: a forbidden call raises SIGSYS, whose
 * handler (child.c) reports the syscall number to the host in one frame and
 * exits; the strict filter forbids rt_sigaction, so the plugin cannot take
 * that handler over.  libseccomp checks the architecture first (a foreign
 * arch kills the process) and, on x86-64, kills any syscall number with the
 * x32 bit (0x40000000) set before looking at the table: its generated BPF
 * compares nr >= 0x40000000 first (tests/sandbox: hostile-x32).
 *
 * The loader filter is installed before dlopen(), so a plugin's
 * constructors already run confined; the strict filter is stacked on top
 * after create() and the kernel applies the stricter of the two.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <sys/mman.h>

#include <seccomp.h>

#include "sandbox/sandbox_child.h"

struct rule {
	int nr;
	const char *why;
};

/* ---- loader: what dlopen() of a plugin needs ----------------------------- */

static const struct rule loader_rules[] = {
	{ SCMP_SYS(read), "read the module files and frames from the host" },
	{ SCMP_SYS(pread64), "ld.so reads ELF headers" },
	{ SCMP_SYS(close), "ld.so closes the module files" },
	{ SCMP_SYS(fstat), "ld.so checks module files" },
	{ SCMP_SYS(newfstatat), "ld.so checks module files" },
	{ SCMP_SYS(lseek), "ld.so seeks in module files" },
	{ SCMP_SYS(mmap), "ld.so maps modules (with PROT_EXEC: load time only)" },
	{ SCMP_SYS(mprotect), "ld.so applies RELRO and segment protections" },
	{ SCMP_SYS(munmap), "ld.so and malloc unmap memory" },
	{ SCMP_SYS(brk), "malloc" },
	{ SCMP_SYS(madvise), "malloc returns memory (the strict filter "
		"allows it too: a call must pass both)" },
	{ SCMP_SYS(mremap), "realloc of large blocks (also in strict)" },
	{ SCMP_SYS(getrandom), "malloc and ld.so seed their randomness" },
	{ SCMP_SYS(futex), "libc locks" },
	{ SCMP_SYS(rt_sigreturn), "return from the SIGSYS report handler" },
	{ SCMP_SYS(exit_group), "exit" },
	{ SCMP_SYS(exit), "exit" },
	{ SCMP_SYS(clock_gettime), "time without the vDSO" },
	{ SCMP_SYS(seccomp), "stack the strict filter after loading (a "
		"filter can only narrow what is allowed)" },
};

/* ---- runtime: what the SDK needs, nothing else ---------------------------- */

static const struct rule strict_rules[] = {
	{ SCMP_SYS(read), "frames from the host (fd 3 only, below)" },
	{ SCMP_SYS(munmap), "free memory" },
	{ SCMP_SYS(brk), "malloc" },
	{ SCMP_SYS(madvise), "malloc returns memory" },
	{ SCMP_SYS(mremap), "realloc of large blocks" },
	{ SCMP_SYS(futex), "libc locks" },
	{ SCMP_SYS(clock_gettime), "time without the vDSO" },
	{ SCMP_SYS(getrandom), "malloc's randomness" },
	{ SCMP_SYS(rt_sigreturn), "return from the SIGSYS report handler" },
	{ SCMP_SYS(exit_group), "exit" },
	{ SCMP_SYS(exit), "exit" },
};

/* Add the unconditional rules of a table.  0 or -1. */
static int
add_rules(scmp_filter_ctx ctx, const struct rule *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r[i].nr, 0) != 0)
			return -1;
	return 0;
}

int
sandbox_filter_loader(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc = -1;

	if (ctx == NULL)
		return -1;
	if (add_rules(ctx, loader_rules,
	    sizeof(loader_rules) / sizeof(loader_rules[0])) != 0)
		goto out;
	/* openat: read-only, never create, truncate or append. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC |
	    O_APPEND, O_RDONLY)) != 0)
		goto out;
	/* write: only frames to the host. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
	    SCMP_A0(SCMP_CMP_EQ, SANDBOX_FD)) != 0)
		goto out;
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return rc;
}

int
sandbox_filter_strict(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc = -1;

	if (ctx == NULL)
		return -1;
	/* no_new_privs is already set: no prctl needed to load this one. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0)
		goto out;
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
	    SCMP_A0(SCMP_CMP_EQ, SANDBOX_FD)) != 0)
		goto out;
	/* read is in the table for glibc's sake but only on the host socket. */
	if (add_rules(ctx, strict_rules + 1,
	    sizeof(strict_rules) / sizeof(strict_rules[0]) - 1) != 0)
		goto out;
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
	    SCMP_A0(SCMP_CMP_EQ, SANDBOX_FD)) != 0)
		goto out;
	/* mmap/mprotect: memory, never executable. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0)
		goto out;
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return rc;
}

const char *
sandbox_syscall_name(int nr)
{
	static char buf[32];
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	if (name == NULL)
		return "unknown";
	snprintf(buf, sizeof(buf), "%s", name);
	free(name);
	return buf;
}
