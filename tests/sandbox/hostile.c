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
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <dlfcn.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <quantd/sdk.h>

enum {
	H_CTOR_SOCKET = 1, H_CTOR_WRITE, H_OPEN_PASSWD, H_CREATE_FILE,
	H_CONNECT, H_EXECVE, H_FORK, H_PTRACE, H_KILL_PARENT, H_EXEC_MAP,
	H_BUSY, H_ALLOC, H_STACK, H_NULL, H_ABORT, H_GARBAGE, H_TRUNCATED,
	H_OVERSIZED, H_LYING, H_ORDER_FLOOD, H_NO_REPLY, H_SLEEP, H_LOG_FLOOD,
	H_X32, H_CTOR_READ, H_CTOR_SECCOMP, H_CTOR_MPROTECT, H_CTOR_RWX,
	H_CREATE_RWX, H_FILE_RWX, H_RUN_MPROTECT, H_FORGE, H_CREATE_ORDER,
	H_BAD_SEQ, H_BAD_LEVEL, H_TIMERS, H_SYMBOLS, H_SNOOP, H_FAIL_ORDERS,
	H_SLOW_CREATE, H_SLOW_BAR,
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

#if HOSTILE == 26   /* H_CTOR_SECCOMP: a filter that swallows seccomp() */
__attribute__((constructor)) static void
evil_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	sink = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
#endif

#if HOSTILE == 27   /* H_CTOR_MPROTECT: make a data page executable */
static char page[8192] __attribute__((aligned(4096)));

__attribute__((constructor)) static void
evil_mprotect(void)
{
	sink = mprotect(page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
}
#endif

#if HOSTILE == 28   /* H_CTOR_RWX: anonymous RWX memory in a constructor */
__attribute__((constructor)) static void
evil_rwx(void)
{
	sink = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED;
}
#endif

/* A raw frame header as the child writes it. */
static void
raw_header(unsigned char *b, uint32_t len, uint16_t type, uint32_t seq)
{
	uint16_t flags = 0;

	memcpy(b, &len, 4);
	memcpy(b + 4, &type, 2);
	memcpy(b + 6, &flags, 2);
	memcpy(b + 8, &seq, 4);
}

/* Keep the CPU busy for ms milliseconds (clock_gettime is allowed). */
static void
spin_ms(long ms)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) /
	    1000000 < ms);
}

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
	case H_OPEN_PASSWD: {
		/* Read-only opens pass the filter; there is nothing to read. */
		static const char *const paths[] = { "/etc/passwd",
			"/etc/shadow", "/proc/1/environ", "/proc/self/environ",
			"/work", "/tmp", "/" };
		char line[512];
		size_t i, off = 0, found = 0;

		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			int fd = open(paths[i], O_RDONLY);

			if (fd >= 0 && i < 6)
				found++;
			off += (size_t)snprintf(line + off, sizeof(line) - off,
				" %s=%d", paths[i], fd >= 0 ? 1 : -errno);
			if (fd >= 0)
				close(fd);
		}
		s->api->log(s->ctx, QD_LOG_INFO, "host files readable: %zu;%s",
			found, line);
		break;
	}
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
		unsigned char b[12 + 8] = { 8, 0, 0, 0, 35, 0, 0, 0, 3, 0, 0, 0,
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
	case H_FILE_RWX: {
		/* A writable executable copy of the module's own file. */
		Dl_info di;
		int fd = -1;

		if (dladdr((void *)misbehave, &di) && di.dli_fname)
			fd = open(di.dli_fname, O_RDONLY);
		sink = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE, fd, 0) != MAP_FAILED;
		s->api->log(s->ctx, QD_LOG_INFO, "file rwx mmap survived (fd "
			"%d)", fd);
		break;
	}
	case H_RUN_MPROTECT: {
		char *heap = malloc(3 * 4096);
		char *pg = (char *)(((uintptr_t)heap + 4095) & ~(uintptr_t)4095);

		sink = mprotect(pg, 4096, PROT_READ | PROT_EXEC);
		break;
	}
	case H_FORGE: {
		/* The retired violation frame (type 47), claiming execve. */
		unsigned char b[20];
		uint32_t nr = 59, arch = 0xc000003e;

		raw_header(b, 8, 47, 3);
		memcpy(b + 12, &nr, 4);
		memcpy(b + 16, &arch, 4);
		raw(b, sizeof(b));
		syscall(SYS_exit_group, 67);
		break;
	}
	case H_BAD_SEQ: {
		unsigned char b[12 + 8];

		raw_header(b, 8, 35, 0);
		memcpy(b + 12, "\2\0\0\0abc", 8);
		raw(b, sizeof(b));
		break;
	}
	case H_BAD_LEVEL: {
		/* The child has sent F_READY and start's F_DONE: seq 3. */
		unsigned char b[12 + 8];

		raw_header(b, 8, 35, 3);
		memcpy(b + 12, "\x63\0\0\0abc", 8);
		raw(b, sizeof(b));
		break;
	}
	case H_TIMERS: {
		uint64_t id;
		int rc = QD_OK, n = 0;

		while (n < 1000000 && (rc = s->api->timer_add(s->ctx,
		    (int64_t)3600 * 1000000000, 0, &id)) == QD_OK)
			n++;
		s->api->log(s->ctx, QD_LOG_INFO, "timers refused after %d: %s",
			n, qd_strerror(rc));
		break;
	}
	case H_SYMBOLS: {
		char name[32];
		int n = 0;

		for (;;) {
			snprintf(name, sizeof(name), "H%d/SYM", n);
			if (n >= 1000000 || s->api->symbol_intern(s->ctx, name) == 0)
				break;
			n++;
		}
		s->api->log(s->ctx, QD_LOG_INFO, "symbols refused after %d", n);
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
#if HOSTILE == 29   /* H_CREATE_RWX */
	sink = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED;
	api->log(ctx, QD_LOG_INFO, "create rwx mmap survived");
#elif HOSTILE == 40   /* H_SLOW_CREATE: 3 s in create() */
	api->log(ctx, QD_LOG_INFO, "slow create begins");
	spin_ms(3000);
	api->log(ctx, QD_LOG_INFO, "slow create ends");
#elif HOSTILE == 33   /* H_CREATE_ORDER: trading before being started */
	{
		struct qd_order_req o;
		uint64_t id;

		memset(&o, 0, sizeof(o));
		o.size = sizeof(o);
		o.symbol = api->symbol_intern(ctx, "BTC/USDT");
		o.side = QD_SIDE_BUY;
		o.type = QD_ORDER_MARKET;
		o.qty = 1;
		api->log(ctx, QD_LOG_INFO, "order in create: %s",
			qd_strerror(api->order_submit(ctx, &o, &id)));
	}
#endif
	return QD_OK;
}

/* Orders for the account tests: a market buy of 1, a limit far below. */
static void
h_order(struct h *s, qd_symbol sym, enum qd_order_type type, double price)
{
	struct qd_order_req o;
	uint64_t id;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.symbol = sym;
	o.side = QD_SIDE_BUY;
	o.type = type;
	o.qty = 0.01;
	o.price = price;
	s->api->order_submit(s->ctx, &o, &id);
}

static void
h_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct h *s = state;

	if (HOSTILE == H_SNOOP) {
		/* Two instances of this plugin each buy 0.01 once: each
		 * must see its own position and account only.  The order
		 * reaches the paper venue once its record is durable, which
		 * a busy disk can delay by many bars: look on every bar
		 * until the fill shows (or give up after 1,000). */
		struct qd_position pos;
		struct qd_account acc;

		if (s->done == 0)
			h_order(s, ev->symbol, QD_ORDER_MARKET, 0);
		if (s->done < 0 || s->done++ < 5)
			return;
		memset(&pos, 0, sizeof(pos));
		pos.size = sizeof(pos);
		memset(&acc, 0, sizeof(acc));
		acc.size = sizeof(acc);
		s->api->position_get(s->ctx, ev->symbol, &pos);
		s->api->account_get(s->ctx, &acc);
		if (pos.qty == 0 && s->done < 1000)
			return;
		s->api->log(s->ctx, QD_LOG_INFO, "snoop qty=%g spent=%s "
			"after %d bars", pos.qty, acc.cash < 10000 &&
			acc.cash > 10000 - 0.02 * ev->bar.close * 1.01 ?
			"own" : "other", s->done);
		s->done = -1;
		return;
	}
	if (HOSTILE == H_SLOW_BAR) {
		/* 1.5 s on every bar: its bars queue up, nobody waits. */
		s->api->log(s->ctx, QD_LOG_INFO, "slow bar %d begins", s->done);
		spin_ms(1500);
		s->api->log(s->ctx, QD_LOG_INFO, "slow bar %d ends", s->done++);
		return;
	}
	if (HOSTILE == H_FAIL_ORDERS) {
		/* A resting order, then a crash: failing cancels it. */
		volatile int *volatile np = NULL;

		if (s->done++ == 0)
			h_order(s, ev->symbol, QD_ORDER_LIMIT, 1);
		else
			sink = *np;
		return;
	}
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
