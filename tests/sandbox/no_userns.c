/*
 * no_userns -- run a command where unshare(2) fails with EPERM, as on a
 * kernel or container without unprivileged user namespaces.  A seccomp
 * filter is inherited across fork and execve, so quantd and every
 * quantd-sandbox child it starts see the same refusal.
 *
 *   no_userns COMMAND [ARG]...
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <seccomp.h>

int
main(int argc, char **argv)
{
	scmp_filter_ctx ctx;

	if (argc < 2) {
		fprintf(stderr, "usage: no_userns COMMAND [ARG]...\n");
		return 2;
	}
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare),
	    0) != 0 || seccomp_load(ctx) != 0) {
		fprintf(stderr, "no_userns: cannot install the filter\n");
		return 1;
	}
	seccomp_release(ctx);
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no_userns: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
