/*
 * hostile.c -- hostile strategies, one per -DHOSTILE=<n> build (see
 * tests/sandbox/include.am).  Each misbehaves on its first bar (or in its
 * constructor, or in create) in one way; tests/sandbox/hostile.sh runs them
 * all sandboxed next to well-behaved instances and checks the reason the
 * host gives for stopping each.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <quantd/sdk.h>

enum {
	H_CTOR_SOCKET = 1, H_CTOR_WRITE, H_OPEN_PASSWD, H_CREATE_FILE,
	H_CONNECT, H_EXECVE, H_FORK, H_PTRACE, H_KILL_PARENT, H_EXEC_MAP,
	H_BUSY, H_ALLOC, H_STACK, H_NULL, H_ABORT, H_GARBAGE, H_TRUNCATED,
	H_OVERSIZED, H_LYING, H_ORDER_FLOOD, H_NO_REPLY, H_SLEEP, H_LOG_FLOOD,
	H_X32, H_CTOR_READ,
};

#ifndef HOSTILE
#error "build with -DHOSTILE=<n>"
#endif
#define STR2(x) #x
#define STR(x) STR2(x)

struct h {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	int done;
};

static volatile int sink;

#if HOSTILE == 25   /* H_CTOR_READ: read-only opens pass the loader filter */
static int ctor_fd = -2, ctor_errno;

__attribute__((constructor)) static void
evil_read(void)
{
	ctor_fd = open("/etc/passwd", O_RDONLY);
	ctor_errno = errno;
}
#endif

#if HOSTILE == 1 || HOSTILE == 2   /* H_CTOR_SOCKET, H_CTOR_WRITE */
__attribute__((constructor)) static void
evil_ctor(void)
{
#if HOSTILE == 1
	sink = socket(AF_INET, SOCK_STREAM, 0);
#else
	sink = open("/tmp/quantd-hostile-was-here", O_WRONLY | O_CREAT, 0644);
#endif
}
#endif

/* Unbounded recursion through a volatile function pointer. */
static int (*volatile again)(int);

static int
recurse(int n)
{
	volatile char pad[4096];

	pad[0] = (char)n;
	return again(n + 1) + pad[0];
}

/* Write raw bytes to the host socket, as a plugin that knows fd 3 would. */
static void
raw(const void *p, size_t n)
{
	sink = (int)write(3, p, n);
}

static void
misbehave(struct h *s, const struct qd_bar_event *ev)
{
	switch (HOSTILE) {
	case H_OPEN_PASSWD:
		sink = open("/etc/passwd", O_RDONLY);
		break;
	case H_CREATE_FILE:
		sink = creat("/tmp/quantd-hostile-file", 0644);
		break;
	case H_CONNECT:
		sink = socket(AF_INET, SOCK_STREAM, 0);
		break;
	case H_EXECVE: {
		char *const argv[] = { (char *)"/bin/sh", NULL };

		sink = execve("/bin/sh", argv, argv + 1);
		break;
	}
	case H_FORK:
		sink = fork();
		break;
	case H_PTRACE:
		sink = (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		break;
	case H_KILL_PARENT:
		sink = kill(1, SIGKILL);
		break;
	case H_EXEC_MAP:
		sink = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED;
		break;
	case H_BUSY:
		for (;;)
			sink++;
	case H_ALLOC: {
		size_t mib = 0;

		for (;;) {
			char *p = malloc(1 << 20);

			if (p == NULL)
				break;
			memset(p, 1, 1 << 20);
			mib++;
		}
		s->api->log(s->ctx, QD_LOG_INFO, "allocation refused after %zu "
			"MiB", mib);
		break;
	}
	case H_STACK:
		again = recurse;
		sink = recurse(0);
		break;
	case H_NULL: {
		volatile int *volatile np = NULL;

		sink = *np;
		break;
	}
	case H_ABORT:
		abort();
	case H_GARBAGE:
		raw("\xde\xad\xbe\xef\xde\xad\xbe\xef\xde\xad\xbe\xef", 12);
		break;
	case H_TRUNCATED: {
		/* A header promising 100 bytes, then only 4. */
		unsigned char b[16] = { 100, 0, 0, 0, 35, 0, 0, 0, 0, 0, 0, 0,
			1, 2, 3, 4 };

		raw(b, sizeof(b));
		break;
	}
	case H_OVERSIZED: {
		unsigned char b[12] = { 0xff, 0xff, 0xff, 0x7f, 35, 0, 0, 0,
			0, 0, 0, 0 };

		raw(b, sizeof(b));
		break;
	}
	case H_LYING: {
		/* An F_LOG whose string is not NUL-terminated in its length. */
		unsigned char b[12 + 8] = { 8, 0, 0, 0, 35, 0, 0, 0, 0, 0, 0, 0,
			2, 0, 0, 0, 'a', 'b', 'c', 'd' };

		raw(b, sizeof(b));
		break;
	}
	case H_ORDER_FLOOD: {
		struct qd_order_req o;
		uint64_t id;
		int i;

		memset(&o, 0, sizeof(o));
		o.size = sizeof(o);
		o.symbol = ev->symbol;
		o.side = QD_SIDE_BUY;
		o.type = QD_ORDER_MARKET;
		o.qty = 1;
		for (i = 0; i < 1000; i++)
			s->api->order_submit(s->ctx, &o, &id);
		break;
	}
	case H_NO_REPLY: {
		char c;

		sink = (int)read(3, &c, 1);
		break;
	}
	case H_SLEEP: {
		struct timespec ts = { 100000, 0 };

		nanosleep(&ts, NULL);
		break;
	}
	case H_LOG_FLOOD: {
		char big[4000];
		int i;

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		for (i = 0; i < 100; i++)
			s->api->log(s->ctx, QD_LOG_INFO, "%s", big);
		break;
	}
#if HOSTILE == 25
	case H_CTOR_READ:
		s->api->log(s->ctx, QD_LOG_INFO, "ctor open(): fd=%d errno=%d",
			ctor_fd, ctor_errno);
		break;
#endif
	case H_X32:
		/* getpid through the x32 ABI: the x32 bit on a native call. */
		sink = (int)syscall(0x40000000 | 39);
		break;
	default:
		break;
	}
}

static int
h_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct h *s = calloc(1, sizeof(*s));

	(void)p;
	if (s == NULL)
		return QD_ERR_NOMEM;
	s->api = api;
	s->ctx = ctx;
	*state = s;
	return QD_OK;
}

static void
h_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct h *s = state;

	if (s->done++ == 0)
		misbehave(s, ev);
}

static void
h_destroy(void *state)
{
	free(state);
}

static const struct qd_strategy_ops h_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = h_create,
		.destroy = h_destroy,
	},
	.on_bar = h_on_bar,
};

static const struct qd_plugin h_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_STRATEGY,
	.name = "hostile-" STR(HOSTILE),
	.version = "1.0.0",
	.description = "a hostile strategy for the sandbox tests",
	.license = "MIT",
	.ops = &h_ops,
};

static const struct qd_plugin *const plugins[] = { &h_plugin, NULL };

QD_MODULE(plugins);
