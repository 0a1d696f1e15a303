/*
 * proxy.c -- the host side of a sandboxed instance.
 *
 * A sandboxed strategy looks to host.c like any plugin: an ops table and a
 * state pointer.  Each callback becomes a call frame to the child; while a
 * call runs, the child's requests (orders, timers, state, symbols) are
 * answered with the real host API and its log lines forwarded, until
 * F_DONE.  Everything the child sends is decoded as hostile (frame.c),
 * numbered, and checked against a table of the frames each call state
 * allows; a call has a budget of the child's CPU time (with a wall-clock
 * backstop), start-up one budget no frame extends, and orders and log
 * bytes per second are capped.  A child that crashes,
 * hangs, breaks a limit, sends a malformed or out-of-order frame or makes a
 * forbidden syscall (read from the kernel through the seccomp listener the
 * child hands over before any plugin code runs) is killed, the reason
 * logged, and restarted after an exponential backoff until its restart
 * budget is spent; then spec->on_failed() marks it failed.
 *
 * Two ways to drive a child, one state machine:
 *   - with a loop (the daemon): asynchronous.  Callbacks queue events and
 *     return at once; the socket, the listener and the deadlines are
 *     libevent events, so a slow or stalled child delays nothing else.
 *     The queue is bounded: trades are coalesced to the latest of their
 *     symbol (or dropped when the queue is full); bars, order updates and
 *     timers are never dropped: a child whose queue of them overflows is
 *     stopped, "cannot keep up".  Stopping an instance is the one wait on
 *     a child (its on_stop, within the call deadline).
 *   - without a loop (backtests, describing a module): each call waits for
 *     its F_DONE (a read that waits a little, then poll), so simulated
 *     time stays deterministic.  A backtest's bars go in batches
 *     (sandbox_on_batch): the fills of the bar before, then bars until the
 *     strategy orders; the child answers the position itself and sends a
 *     plain market order with the batch's answer (F_ORDER_DEFER) under the
 *     id the host will give it, which the host checks as it submits it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/seccomp.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log/log.h"
#include "loop/loop.h"
#include "net/client.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "sandbox/frame.h"
#include "sandbox/proxy.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_child.h"

#define IOBUF (FRAME_HDR + FRAME_MAX)
#define MAX_LOG_BYTES_PER_SEC 65536   /* when limits.log_bytes_per_sec is 0 */
#define READY_TIMEOUT_MS 5000         /* start-up: CPU time of the child */
#define READY_WALL_MS 15000           /* and wall time */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 30000
#define QUEUE_MAX 4096                /* events waiting for one child */
#define OUT_MAX (IOBUF + (2u << 20))  /* bytes waiting to be written */
#define WALL_FACTOR 10                /* wall backstop, times the budget */
#define SYNC_READ_WAIT_MS 20          /* pump(): a read's wait, then poll */
#define CPU_SAMPLE_MS 100             /* a call's CPU baseline: how old */

/*
 * What the host is waiting for from a child, and so which frames it may
 * send: anything else stops it ("frame F_X not allowed while ...").
 */
enum call_state {
	CS_IDLE,        /* no call: the child has nothing to say */
	CS_CREATING,    /* F_INIT sent: create() runs */
	CS_CALL,        /* a callback runs */
	CS_BARS,        /* a bar batch runs */
	CS_DESCRIBING,  /* describe mode */
};

static const char *const call_state_name[] = {
	"idle", "creating", "in a call", "in a bar batch", "describing",
};

#define S_(x) (1u << (x))
#define S_RUN (S_(CS_CALL) | S_(CS_BARS))
#define S_ANY (S_(CS_CREATING) | S_RUN)
/* The frames a child may send, by state.  Orders only from a started
 * instance's callbacks; F_PROGRESS only inside a batch. */
static const uint8_t frame_states[F_TYPE_MAX] = {
	[F_READY] = S_(CS_CREATING),
	[F_FAIL] = S_(CS_CREATING) | S_(CS_DESCRIBING),
	[F_DONE] = S_RUN,
	[F_LOG] = S_ANY,
	[F_ORDER_SUBMIT] = S_RUN,
	[F_ORDER_CANCEL] = S_RUN,
	[F_SUBSCRIBE] = S_ANY,
	[F_TIMER_ADD] = S_ANY,
	[F_TIMER_CANCEL] = S_ANY,
	[F_STATE_SAVE] = S_ANY,
	[F_STATE_LOAD] = S_ANY,
	[F_POSITION_GET] = S_ANY,
	[F_ACCOUNT_GET] = S_ANY,
	[F_SYMBOL_INTERN] = S_ANY,
	[F_SYMBOL_NAME] = S_ANY,
	[F_DESCRIBE] = S_(CS_DESCRIBING),
	[F_PROGRESS] = S_(CS_BARS),
	[F_ORDER_DEFER] = S_(CS_BARS),
	[F_ANNOTATE] = S_ANY,
	[F_WS_OPEN] = S_ANY,
	[F_WS_SEND] = S_ANY,
	[F_WS_CLOSE] = S_ANY,
	[F_HTTP_REQUEST] = S_ANY,
	[F_SECRET_GET] = S_ANY,
	[F_HMAC] = S_ANY,
	[F_EMIT_TRADE] = S_ANY,
	[F_EMIT_BAR] = S_ANY,
	[F_EMIT_BOOK_TOP] = S_ANY,
	[F_EMIT_ORDER_UPDATE] = S_ANY,
	[F_NOTIFY_DONE] = S_ANY,
	[F_PAYMENT_DONE] = S_ANY,
	[F_HISTORY_OPEN] = S_ANY,
	[F_HISTORY_NEXT] = S_ANY,
	[F_HISTORY_CLOSE] = S_ANY,
	[F_EMIT_INSTRUMENT] = S_ANY,
	[F_ORDER_GET] = S_ANY,
	[F_ORDERS_OPEN] = S_ANY,
	[F_SIZE_ORDER] = S_ANY,
	[F_SIGN] = S_ANY,
	[F_EMIT_BALANCE] = S_ANY,
};

#define MAX_HEADERS 64
#define HISTORY_ROWS 1024  /* rows of recorded data per frame (80 B each) */
#define MAX_ALLOWED 16     /* hosts a sandboxed adapter may reach */
#define MAX_CONNS 64       /* its open WebSockets, closed with a lost child */
#define MAX_UNACKED 256    /* orders in the adapter's hands, unanswered */
#define MAX_SUBS 1024      /* subscriptions replayed to a restarted child */

/* One event waiting for the child. */
struct pending {
	uint16_t type;     /* F_CALL_START, _BARS (one bar), _TRADE, ... */
	int64_t now;
	union {
		struct qd_bar_event bar;
		struct qd_trade_event trade;
		struct qd_order_update order;
		uint64_t timer;
		struct {
			uint64_t id;       /* connection or request */
			int32_t code;      /* close code or HTTP status */
			uint32_t what;     /* WebSocket: 1 open, 2 message, 3 close */
		} net;
		struct {
			uint32_t sym, tf;
			int64_t from, to;
		} sub;
		struct {
			uint64_t id;       /* host order id */
			struct qd_order_req req;  /* tag: in `data` */
		} ord;
	} u;
	char reason[257];  /* an order update's reason, kept with it */
	char trade_id[97]; /* ... its fill id and client order id */
	char client_id[41];
	char *data;        /* message, body or close reason (owned) */
	size_t len;
	char *hdrs;        /* an HTTP answer's headers (owned) */
	size_t hlen;
};

/* host:port an adapter's configuration names. */
struct allowed {
	char host[256];
	int port;
};

struct proxy {
	char *helper, *file, *name, *instance;
	char **ind_files;
	size_t n_ind;
	uint32_t kind;        /* QD_KIND_STRATEGY or _EXCHANGE, or 0: describe */
	struct sandbox_limits limits;
	void (*on_failed)(void *, const char *);
	void (*on_started)(void *);
	void (*on_lost)(void *);
	void *arg;
	void (*batch_at)(void *, uint32_t);
	int (*batch_stop)(void *);
	struct loop *loop;    /* NULL: synchronous */
	const struct qd_host_api *api;
	qd_ctx *ctx;
	const qd_params *params;

	/* The current child. */
	pid_t pid;            /* -1: attached to a socket, no process */
	int fd;
	int notify_sock;      /* where the child sends its listener, or -1 */
	int notify_fd;        /* the child's seccomp listener, or -1 */
	int had_listener;     /* it arrived (before any plugin code ran) */
	int alive;
	int ready;            /* this child answered F_READY */
	uint32_t seq;         /* of the last frame sent */
	uint32_t child_seq;   /* of the child's last frame */
	enum call_state cs;   /* what the child may send now */
	uint16_t call;        /* the call in flight */
	uint64_t call_oid;    /* ... its order, for the order calls */
	uint64_t unacked[MAX_UNACKED];  /* orders handed to the adapter whose
	                                   place has not returned */
	size_t n_unacked;
	int trades;           /* the host has sent it orders */
	int call_status;      /* F_DONE status of the last call */
	/* The budget of what is in flight (a call, or start-up): CPU time
	 * of the child, and wall time as a backstop for a child that waits
	 * instead of computing.  deadline_ms is when to look next (0: none). */
	int64_t deadline_ms;
	int64_t budget_cpu_ns, start_cpu_ns, wall_end_ms;
	clockid_t cpu_clock;  /* the child's CPU clock, if it has one */
	int has_cpu_clock;
	int sync_reads;       /* reads wait (SO_RCVTIMEO): pump() skips poll */
	int64_t cpu_seen_ns, cpu_seen_ms;  /* the child's CPU time, and when
	                                      it was read (arm_budget) */
	struct loop_timer *deadline;
	struct event *ev_in, *ev_out, *ev_sock, *ev_notify;
	int violation_nr;     /* forbidden syscall read from the kernel, or -1 */
	uint32_t violation_arch;

	/* The instance across children. */
	int ever_ready;       /* a child got ready: later losses restart */
	int started;          /* start() was asked: redo it after a restart */
	int reported_start;   /* on_started() or on_failed() was called */
	int failed;           /* given up: no more restarts */
	int quiet;            /* synchronous create: report by return value */
	unsigned restarts;
	int64_t backoff_ms;
	struct loop_timer *restart_timer;

	unsigned char *in;    /* bytes read, not yet a whole frame */
	size_t in_len;
	unsigned char *out;   /* bytes to write */
	size_t out_off, out_len, out_cap;
	unsigned char *frame; /* where frames are built */
	unsigned char *load_buf; /* state_load's bytes, made on first use */

	struct pending *q;    /* ring of events waiting */
	size_t q_head, q_len, q_cap;
	uint64_t coalesced, dropped;

	uint32_t done_count;  /* bars the last F_CALL_BARS processed */
	uint32_t batch_n;     /* bars in the batch being served */
	uint32_t batch_limit; /* bars it may count in F_DONE: fewer once it
	                         must end (F_REPLY_STOP, F_ORDER_DEFER) */
	int64_t progress;     /* the bar of its last F_PROGRESS, -1: none */
	uint64_t defer_next;  /* the id of the next order, when known (0) */
	int defer_on;         /* F_ORDER_DEFER allowed: an F_CALL_BATCH
	                         that said defer_next */
	uint32_t kept;        /* bars the last F_CALL_BATCH left, which the
	                         child holds until its next call */
	unsigned char *desc;  /* describe mode: the F_DESCRIBE payload */
	size_t desc_len;
	int64_t order_sec, log_sec;
	unsigned orders;
	size_t log_bytes;
	char fail_msg[512];   /* the child's own F_FAIL text */
	char why[256];        /* why the current child was stopped */
	char why_buf[128];    /* a formatted reason for `why` pointers */

	/* Exchange adapters. */
	struct allowed allowed[MAX_ALLOWED];  /* from the instance's URLs */
	size_t n_allowed;
	uint64_t refused;     /* connections refused (logged at powers of 2) */
	uint64_t conns[MAX_CONNS];   /* WebSockets the current child opened */
	size_t n_conns;
	struct { uint32_t sym, tf; } subs[MAX_SUBS];
	size_t n_subs;
	uint64_t oversized;   /* network events over the frame limit */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child_lost(struct proxy *p, const char *why);
static void start_next(struct proxy *p);
static void arm_events(struct proxy *p);

/* ---- the child process ------------------------------------------------- */

/*
 * fork + execve of the helper with fd 3 = the child's socket end and fd 4 =
 * the one-shot socket its seccomp listener comes back on, and an empty
 * environment; only async-signal-safe calls between fork and execve.
 */
static int
spawn(struct proxy *p)
{
	int sv[2], nv[2];
	pid_t pid;
	char *const argv[] = { (char *)"quantd-sandbox", NULL };
	char *const envp[] = { NULL };

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, nv) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		close(nv[0]);
		close(nv[1]);
		return -1;
	}
	if (pid == 0) {
		/* Out of the way of 3 and 4 first, then into place (dup2
		 * clears close-on-exec on the new descriptor). */
		int s = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
		int n = fcntl(nv[1], F_DUPFD_CLOEXEC, 10);

		if (s < 0 || n < 0 || dup2(s, SANDBOX_FD) != SANDBOX_FD ||
		    dup2(n, SANDBOX_NOTIFY_FD) != SANDBOX_NOTIFY_FD)
			_exit(127);
		execve(p->helper, argv, envp);
		_exit(127);
	}
	close(sv[1]);
	close(nv[1]);
	p->has_cpu_clock = clock_getcpuclockid(pid, &p->cpu_clock) == 0;
	p->pid = pid;
	p->fd = sv[0];
	p->notify_sock = nv[0];
	return 0;
}

/* A new child (or attached socket) on p->fd: reset the per-child state. */
static void
child_begin(struct proxy *p)
{
	p->alive = 1;
	p->ready = 0;
	p->notify_fd = -1;
	p->had_listener = 0;
	p->violation_nr = -1;
	p->seq = p->child_seq = 0;
	p->cs = CS_IDLE;
	p->kept = 0;
	p->in_len = p->out_off = p->out_len = 0;
	p->fail_msg[0] = '\0';
	if (p->loop != NULL)
		arm_events(p);
}

/* The child's handoff socket is readable: take the listener it sends, or
 * note that it closed without one. */
static void
take_listener(struct proxy *p)
{
	p->notify_fd = frame_recv_fd(p->notify_sock);
	p->had_listener = p->notify_fd >= 0;
	if (p->ev_sock != NULL)
		event_del(p->ev_sock);
	close(p->notify_sock);
	p->notify_sock = -1;
	if (p->loop != NULL && p->notify_fd >= 0)
		arm_events(p);
}

/*
 * The listener is readable: a syscall of the child waits in the kernel.
 * Read its number and architecture from the kernel and stop the child.
 * When there is none (the child is gone), stop watching the listener.
 */
static void
take_violation(struct proxy *p)
{
	struct seccomp_notif req;

	memset(&req, 0, sizeof(req));
	if (ioctl(p->notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
		p->violation_nr = req.data.nr;
		p->violation_arch = req.data.arch;
		child_lost(p, NULL);
		return;
	}
	if (p->ev_notify != NULL)
		event_del(p->ev_notify);
	close(p->notify_fd);
	p->notify_fd = -1;
}

/* Describe how the child ended (after waitpid; no process: attached). */
static void
describe_exit(struct proxy *p, int process, int status, char *buf,
	size_t cap)
{
	if (p->violation_nr >= 0) {
		snprintf(buf, cap, "forbidden syscall %s (%d)",
			sandbox_syscall_name(p->violation_arch,
			p->violation_nr), p->violation_nr);
	} else if (!process) {
		snprintf(buf, cap, "socket closed");
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		const char *abbrev = sigabbrev_np(sig);

		snprintf(buf, cap, "killed by SIG%s (%s)%s",
			abbrev ? abbrev : "?", strsignal(sig),
			sig == SIGXCPU ? ": CPU limit" :
			sig == SIGSYS ? ": seccomp violation" : "");
	} else if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		snprintf(buf, cap, "exited with status %d%s", code,
			code == SANDBOX_EXIT_PROTOCOL ? " (protocol error)" :
			code == SANDBOX_EXIT_SETUP ? " (sandbox setup failed)" :
			code == SANDBOX_EXIT_LOAD ? " (plugin load failed)" :
			code == 127 ? " (cannot execute the sandbox helper)" :
			"");
	} else {
		snprintf(buf, cap, "ended");
	}
}

/* ---- deadlines and events ----------------------------------------------- */

/* The child's CPU time so far (ns), or -1 without a CPU clock. */
static int64_t
child_cpu_ns(const struct proxy *p)
{
	struct timespec ts;

	if (!p->has_cpu_clock || clock_gettime(p->cpu_clock, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_deadline(void *arg);

/* Look again at the budget in `ms` (0: stop looking). */
static void
schedule_check(struct proxy *p, int64_t ms)
{
	if (p->deadline != NULL) {
		loop_timer_cancel(p->deadline);
		p->deadline = NULL;
	}
	p->deadline_ms = ms > 0 ? mono_ms() + ms : 0;
	if (ms > 0 && p->loop != NULL)
		p->deadline = loop_timer_add(p->loop, ms * 1000000, 0,
			on_deadline, p);
}

/*
 * Give what is now in flight a budget of `cpu_ms` of the child's CPU time
 * and `wall_ms` of wall time, the backstop for a child that waits rather
 * than computes (children run at the lowest priority, so a busy machine
 * slows them without costing them their budget); 0 clears.
 */
static void
arm_budget(struct proxy *p, int64_t cpu_ms, int64_t wall_ms)
{
	int64_t now = cpu_ms > 0 ? mono_ms() : 0;

	p->budget_cpu_ns = cpu_ms * 1000000;
	p->start_cpu_ns = -1;
	if (cpu_ms > 0 && p->loop == NULL && cpu_ms >= 10 * CPU_SAMPLE_MS &&
	    p->cpu_seen_ms != 0 && now - p->cpu_seen_ms < CPU_SAMPLE_MS) {
		/* A backtest's calls follow each other, the child idle in
		 * between: the CPU time read less than CPU_SAMPLE_MS ago
		 * serves as the start (it counts at most that much of the
		 * calls before against this one), one syscall less a
		 * call. */
		p->start_cpu_ns = p->cpu_seen_ns;
	} else if (cpu_ms > 0) {
		p->start_cpu_ns = child_cpu_ns(p);
		p->cpu_seen_ns = p->start_cpu_ns;
		p->cpu_seen_ms = p->start_cpu_ns >= 0 ? now : 0;
	}
	p->wall_end_ms = cpu_ms > 0 ? now + wall_ms : 0;
	schedule_check(p, cpu_ms);
}

/* A call's budget: limits.cpu_ms_per_call, ten times that of wall time. */
static void
arm_deadline(struct proxy *p, int64_t ms)
{
	arm_budget(p, ms, ms * WALL_FACTOR);
}

/*
 * The check is due: 1 and the child lost when its budget is spent, else 0
 * with the next check scheduled (when the rest of the CPU budget could be
 * spent at the earliest, or at the wall backstop).
 */
static int
deadline_passed(struct proxy *p)
{
	int64_t now = mono_ms(), cpu = child_cpu_ns(p), left;

	if (p->start_cpu_ns < 0 || cpu < 0) {
		/* No CPU clock: the first check is the deadline. */
		child_lost(p, "no reply within the deadline");
		return 1;
	}
	if (cpu - p->start_cpu_ns >= p->budget_cpu_ns) {
		child_lost(p, "no reply within the deadline (limits."
			"cpu_ms_per_call of CPU time used)");
		return 1;
	}
	if (now >= p->wall_end_ms) {
		child_lost(p, "no reply within the deadline (waited too long)");
		return 1;
	}
	left = (p->budget_cpu_ns - (cpu - p->start_cpu_ns)) / 1000000 + 1;
	if (left > p->wall_end_ms - now)
		left = p->wall_end_ms - now;
	schedule_check(p, left);
	return 0;
}

static void
on_deadline(void *arg)
{
	struct proxy *p = arg;

	loop_timer_cancel(p->deadline);
	p->deadline = NULL;
	deadline_passed(p);
}

static int read_input(struct proxy *p);
static void flush(struct proxy *p);

static void
ev_in_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	read_input(arg);
}

static void
ev_out_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

static void
ev_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	take_listener(arg);
}

static void
ev_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	take_violation(arg);
}

static void
free_event(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

/* Watch the child's descriptors on the core loop (asynchronous mode). */
static void
arm_events(struct proxy *p)
{
	struct event_base *b = loop_base(p->loop);

	if (p->ev_in == NULL && p->fd >= 0) {
		p->ev_in = event_new(b, p->fd, EV_READ | EV_PERSIST, ev_in_cb,
			p);
		p->ev_out = event_new(b, p->fd, EV_WRITE | EV_PERSIST,
			ev_out_cb, p);
		if (p->ev_in != NULL)
			event_add(p->ev_in, NULL);
	}
	if (p->ev_sock == NULL && p->notify_sock >= 0 &&
	    (p->ev_sock = event_new(b, p->notify_sock, EV_READ, ev_sock_cb,
	    p)) != NULL)
		event_add(p->ev_sock, NULL);
	if (p->ev_notify == NULL && p->notify_fd >= 0 &&
	    (p->ev_notify = event_new(b, p->notify_fd, EV_READ | EV_PERSIST,
	    ev_notify_cb, p)) != NULL)
		event_add(p->ev_notify, NULL);
}

static void
disarm_events(struct proxy *p)
{
	free_event(&p->ev_in);
	free_event(&p->ev_out);
	free_event(&p->ev_sock);
	free_event(&p->ev_notify);
}

/* Free what queued events own. */
static void
pending_release(struct pending *e)
{
	free(e->data);
	free(e->hdrs);
	e->data = e->hdrs = NULL;
}

static void
queue_clear(struct proxy *p)
{
	while (p->q_len > 0) {
		pending_release(&p->q[p->q_head]);
		p->q_head = (p->q_head + 1) % p->q_cap;
		p->q_len--;
	}
}

/* The WebSockets a lost child opened mean nothing to the next one. */
static void
close_conns(struct proxy *p)
{
	size_t i;

	for (i = 0; i < p->n_conns; i++)
		if (QD_API_HAS(p->api, ws_close))
			p->api->ws_close(p->ctx, p->conns[i]);
	p->n_conns = 0;
}

static void
forget_conn(struct proxy *p, uint64_t id)
{
	size_t i;

	for (i = 0; i < p->n_conns; i++)
		if (p->conns[i] == id) {
			p->conns[i] = p->conns[--p->n_conns];
			return;
		}
}

/* Close every descriptor of the current child and reap it. */
static int
child_end(struct proxy *p)
{
	int status = 0;

	disarm_events(p);
	arm_deadline(p, 0);
	if (p->fd >= 0)
		close(p->fd);
	if (p->notify_sock >= 0)
		close(p->notify_sock);
	if (p->notify_fd >= 0)
		close(p->notify_fd);
	p->fd = p->notify_sock = p->notify_fd = -1;
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	p->pid = -1;
	p->has_cpu_clock = 0;
	p->alive = p->ready = 0;
	p->cs = CS_IDLE;
	queue_clear(p);
	p->in_len = p->out_off = p->out_len = 0;
	close_conns(p);
	return status;
}

/* ---- restarts and failure ------------------------------------------------ */

static int start_child(struct proxy *p);

/* Children of every sandboxed instance of the process, for metrics. */
static _Atomic uint64_t n_lost, n_violations, n_restarts, n_failed;

void
sandbox_stats(struct sandbox_stats *out)
{
	out->lost = atomic_load_explicit(&n_lost, memory_order_relaxed);
	out->violations = atomic_load_explicit(&n_violations,
		memory_order_relaxed);
	out->restarts = atomic_load_explicit(&n_restarts,
		memory_order_relaxed);
	out->failed = atomic_load_explicit(&n_failed, memory_order_relaxed);
}

/* Give up on the instance: tell the host once, with the reason. */
static void
give_up(struct proxy *p, const char *reason)
{
	atomic_fetch_add_explicit(&n_failed, 1, memory_order_relaxed);
	p->failed = 1;
	if (p->restart_timer != NULL) {
		loop_timer_cancel(p->restart_timer);
		p->restart_timer = NULL;
	}
	if (p->quiet || p->reported_start == 2)
		return;
	p->reported_start = 2;
	if (p->on_failed)
		p->on_failed(p->arg, reason);
}

static void
restart_now(void *arg)
{
	struct proxy *p = arg;

	loop_timer_cancel(p->restart_timer);
	p->restart_timer = NULL;
	if (start_child(p) != 0)
		child_lost(p, "cannot start the sandbox helper");
}

static void
schedule_restart(struct proxy *p)
{
	char reason[300];

	if (p->failed)
		return;
	/* Without a loop (a backtest) there is no restarting: fail now. */
	if (p->loop == NULL || p->restarts >= p->limits.restarts) {
		log_error(p->instance, "sandboxed plugin %s failed: %u "
			"restart(s) used up; last reason: %s", p->name,
			p->restarts, p->why);
		snprintf(reason, sizeof(reason), "%s", p->why);
		give_up(p, reason);
		return;
	}
	p->restarts++;
	atomic_fetch_add_explicit(&n_restarts, 1, memory_order_relaxed);
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_FIRST_MS;
	if (p->backoff_ms > BACKOFF_MAX_MS)
		p->backoff_ms = BACKOFF_MAX_MS;
	p->restart_timer = loop_timer_add(p->loop, p->backoff_ms * 1000000, 0,
		restart_now, p);
}

/*
 * Kill and reap the child, log why, and restart or give up.  `why` (may be
 * NULL) is the host's reason; the exit status and a forbidden syscall read
 * from the kernel explain the rest.  A child that never got ready is not
 * restarted: a plugin that cannot load or create fails at once.
 */
static void
child_lost(struct proxy *p, const char *why)
{
	char how[128], line[sizeof(p->why)], reason[sizeof(p->fail_msg)];
	int status, process = p->pid > 0;

	if (!p->alive)
		return;
	status = child_end(p);
	atomic_fetch_add_explicit(&n_lost, 1, memory_order_relaxed);
	if (p->violation_nr >= 0 || (process && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGSYS))
		atomic_fetch_add_explicit(&n_violations, 1,
			memory_order_relaxed);
	describe_exit(p, process, status, how, sizeof(how));
	if (why != NULL && p->violation_nr < 0)
		snprintf(line, sizeof(line), "%.120s; child %s", why, how);
	else
		snprintf(line, sizeof(line), "%s", how);
	memcpy(p->why, line, sizeof(p->why));
	log_error(p->instance, "sandboxed plugin %s stopped: %s", p->name,
		line);
	if (p->on_lost != NULL && !p->quiet)
		p->on_lost(p->arg);
	if (p->ever_ready && !p->failed) {
		schedule_restart(p);
		return;
	}
	if (p->fail_msg[0] != '\0')
		memcpy(reason, p->fail_msg, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "sandbox did not start: %s",
			p->why);
	give_up(p, reason);
}

/* ---- output ------------------------------------------------------------- */

/* Write what is buffered, without blocking; the rest waits for POLLOUT. */
static void
flush(struct proxy *p)
{
	while (p->alive && p->out_off < p->out_len) {
		ssize_t w = send(p->fd, p->out + p->out_off,
			p->out_len - p->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			p->out_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		child_lost(p, "the sandbox socket closed");
		return;
	}
	if (!p->alive)
		return;
	if (p->out_off == p->out_len)
		p->out_off = p->out_len = 0;
	if (p->ev_out != NULL) {
		if (p->out_len > 0)
			event_add(p->ev_out, NULL);
		else
			event_del(p->ev_out);
	}
}

/*
 * Queue a built frame for the child and write what the socket takes now.
 * A child that stops reading while it keeps asking is stopped once
 * OUT_MAX bytes wait.  0, or -1 if the child was lost.
 */
static int
send_frame(struct proxy *p, struct frame_out *o)
{
	size_t n = frame_end(o);

	if (!p->alive)
		return -1;
	if (n == 0) {
		child_lost(p, "a frame for the child did not fit");
		return -1;
	}
	/* Nothing waiting: straight from the frame, buffering only what
	 * the socket does not take now (a batch of bars is 256 KiB). */
	if (p->out_len == p->out_off) {
		ssize_t w;

		do
			w = send(p->fd, o->buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			child_lost(p, "the sandbox socket closed");
			return -1;
		}
		if (w == (ssize_t)n)
			return 0;
		if (w > 0) {
			o->buf += w;
			n -= (size_t)w;
		}
	}
	if (p->out_len - p->out_off + n > OUT_MAX) {
		child_lost(p, "the child does not read its socket");
		return -1;
	}
	if (p->out_off > 0 && p->out_len + n > p->out_cap) {
		memmove(p->out, p->out + p->out_off, p->out_len - p->out_off);
		p->out_len -= p->out_off;
		p->out_off = 0;
	}
	if (p->out_len + n > p->out_cap) {
		size_t cap = p->out_cap ? p->out_cap : 65536;
		unsigned char *b;

		while (cap < p->out_len + n)
			cap *= 2;
		if ((b = realloc(p->out, cap)) == NULL) {
			child_lost(p, "out of memory for the child's frames");
			return -1;
		}
		p->out = b;
		p->out_cap = cap;
	}
	memcpy(p->out + p->out_len, o->buf, n);
	p->out_len += n;
	flush(p);
	return p->alive ? 0 : -1;
}

static void
begin(struct proxy *p, struct frame_out *o, uint16_t type)
{
	frame_begin(o, p->frame, IOBUF, type, ++p->seq);
}

/* ---- requests from the child ------------------------------------------- */

static void
reply(struct proxy *p, int status, uint64_t value)
{
	struct frame_out o;
	int stop = p->batch_stop != NULL && p->batch_stop(p->arg);

	/* The batch ends after this bar (none at all before the first). */
	if (stop && p->cs == CS_BARS && p->batch_limit > p->progress + 1)
		p->batch_limit = (uint32_t)(p->progress + 1);
	begin(p, &o, stop ? F_REPLY_STOP : F_REPLY);
	frame_put_u32(&o, (uint32_t)status);
	frame_put_u64(&o, value);
	send_frame(p, &o);
}

/* Log bytes a child may send per second. */
static size_t
log_cap(const struct proxy *p)
{
	return p->limits.log_bytes_per_sec ? p->limits.log_bytes_per_sec :
		MAX_LOG_BYTES_PER_SEC;
}

/*
 * The hosts a sandboxed adapter may reach: host and port of every URL among
 * its instance's parameters (ws_url, rest_url, ...), parsed as the network
 * client parses them, so what is checked is what would be connected to.
 */
static void
allow_from_params(struct proxy *p)
{
	struct qd_kv kv[256];
	size_t i, n = p->params ? params_to_kv(p->params, kv, 256) : 0;

	p->n_allowed = 0;
	for (i = 0; i < n && p->n_allowed < MAX_ALLOWED; i++) {
		struct allowed *a = &p->allowed[p->n_allowed];

		if (netc_url_host(kv[i].value, a->host, sizeof(a->host),
		    &a->port) == 0)
			p->n_allowed++;
	}
}

/* 1 if `url` goes to a host and port the configuration names; a refusal
 * is logged (at powers of two: a plugin cannot flood the log with them). */
static int
url_allowed(struct proxy *p, const char *url)
{
	char host[256];
	size_t i;
	int port;

	if (netc_url_host(url, host, sizeof(host), &port) == 0)
		for (i = 0; i < p->n_allowed; i++)
			if (p->allowed[i].port == port &&
			    strcasecmp(p->allowed[i].host, host) == 0)
				return 1;
	p->refused++;
	if ((p->refused & (p->refused - 1)) == 0)
		log_warn(p->instance, "sandboxed plugin %s: connection to "
			"'%.200s' refused: not a host its configuration names "
			"(%llu refused so far)", p->name, url,
			(unsigned long long)p->refused);
	return 0;
}

/* Rate caps per wall-clock second.  1 if within the cap. */
static int
within(int64_t *sec, unsigned *count, size_t add, size_t cap)
{
	int64_t now = mono_ms() / 1000;

	if (now != *sec) {
		*sec = now;
		*count = 0;
	}
	*count += (unsigned)add;
	return *count <= cap;
}

/* Set *why to a formatted reason; returns -1 (kill the child). */
static int
reason(struct proxy *p, const char **why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
reason(struct proxy *p, const char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why_buf, sizeof(p->why_buf), fmt, ap);
	va_end(ap);
	*why = p->why_buf;
	return -1;
}

/*
 * May the child send this frame now?  Its seq must follow the last one,
 * it must have handed over its listener, and the type must be one the
 * current call state allows.  0, or -1 with why.
 */
static int
frame_allowed(struct proxy *p, const struct frame_hdr *h, const char **why)
{
	if (h->seq != p->child_seq + 1)
		return reason(p, why, "frame out of sequence (expected %u, "
			"got %u)", p->child_seq + 1, h->seq);
	p->child_seq = h->seq;
	/* The listener comes before any plugin code runs: only a failure
	 * to set up may come without it. */
	if (!p->had_listener && h->type != F_FAIL) {
		*why = "no seccomp listener from the child";
		return -1;
	}
	if (h->type >= F_TYPE_MAX || frame_states[h->type] == 0)
		return reason(p, why, "unexpected frame %s from the child",
			frame_type_name(h->type));
	if (!(frame_states[h->type] & S_(p->cs)))
		return reason(p, why, "frame %s not allowed while %s",
			frame_type_name(h->type), call_state_name[p->cs]);
	return 0;
}

/*
 * Handle one frame from the child.  Returns 0 to go on, 1 when the call in
 * flight is done (*status set), -1 to kill the child (why set).
 */
static int
handle(struct proxy *p, const struct frame_hdr *h, struct frame_in *in,
	int *status, const char **why)
{
	struct frame_out o;
	uint64_t id = 0;
	int rc;

	if (frame_allowed(p, h, why) != 0)
		return -1;
	switch (h->type) {
	case F_READY:
		if (h->len != 0)
			break;
		return 1;
	case F_FAIL: {
		int st = (int32_t)frame_get_u32(in);
		const char *msg = frame_get_str(in, 1024);

		snprintf(p->fail_msg, sizeof(p->fail_msg), "%s (%s)",
			msg ? msg : "create failed", qd_strerror(st));
		*why = "create failed";
		return -1;
	}
	case F_DESCRIBE:
		free(p->desc);
		if ((p->desc = malloc(h->len ? h->len : 1)) == NULL) {
			*why = "out of memory for the description";
			return -1;
		}
		memcpy(p->desc, frame_get_bytes(in, h->len), h->len);
		p->desc_len = h->len;
		return 1;
	case F_DONE:
		*status = (int32_t)frame_get_u32(in);
		p->done_count = frame_get_u32(in);
		if (p->done_count > p->batch_n) {
			*why = "F_DONE counts more bars than were sent";
			return -1;
		}
		if (p->done_count > p->batch_limit)
			return reason(p, why, "F_DONE counts %u bars, but the "
				"batch ended after %u", p->done_count,
				p->batch_limit);
		break;
	case F_PROGRESS: {
		uint32_t idx = frame_get_u32(in);

		if (frame_in_done(in) != 0 || idx >= p->batch_limit ||
		    (int64_t)idx <= p->progress) {
			*why = "F_PROGRESS outside the batch";
			return -1;
		}
		p->progress = idx;
		if (p->batch_at != NULL)
			p->batch_at(p->arg, idx);
		return 0;
	}
	case F_LOG: {
		uint32_t level = frame_get_u32(in);
		const char *msg = frame_get_str(in, 4096);
		unsigned used;

		if (level > QD_LOG_DEBUG)
			return reason(p, why, "invalid log level %u", level);
		if (msg == NULL)
			break;
		used = (unsigned)p->log_bytes;
		if (!within(&p->log_sec, &used, strlen(msg) + 1,
		    log_cap(p))) {
			*why = "log flood (more than 64 KiB/s)";
			return -1;
		}
		p->log_bytes = used;
		if (frame_in_done(in) == 0)
			p->api->log(p->ctx, (enum qd_log_level)level, "%s", msg);
		break;
	}
	case F_ANNOTATE: {
		const char *kind = frame_get_str(in, 64);
		const char *json = frame_get_str(in, 4096);
		unsigned used = (unsigned)p->log_bytes;

		if (kind == NULL || json == NULL)
			break;
		if (!within(&p->log_sec, &used, strlen(json) + 1,
		    (size_t)log_cap(p) * 16)) {
			*why = "annotation flood";
			return -1;
		}
		p->log_bytes = used;
		if (frame_in_done(in) != 0)
			break;
		reply(p, QD_API_HAS(p->api, annotate) ?
			p->api->annotate(p->ctx, kind, json) :
			QD_ERR_UNSUPPORTED, 0);
		return 0;
	}
	case F_ORDER_SUBMIT: {
		struct qd_order_req r;

		frame_get_order_req(in, &r);
		if (r.tag == NULL || frame_in_done(in) != 0)
			break;
		if (!within(&p->order_sec, &p->orders, 1,
		    p->limits.orders_per_sec)) {
			*why = "order flood (above limits.orders_per_sec)";
			return -1;
		}
		rc = p->api->order_submit(p->ctx, &r, &id);
		/* The next id, as the child reckons it (F_CALL_BATCH); after
		 * a refusal unknown: the order may have spent one. */
		p->defer_next = rc == QD_OK && id != UINT64_MAX ? id + 1 : 0;
		reply(p, rc, id);
		return 0;
	}
	case F_ORDER_DEFER: {
		/* An order placed on the bar of the last F_PROGRESS, sent
		 * with the batch's answer: the child told the plugin it was
		 * accepted with this id; the host must agree. */
		struct qd_order_req r;
		uint64_t promised = frame_get_u64(in);

		frame_get_order_req(in, &r);
		if (r.tag == NULL || frame_in_done(in) != 0)
			break;
		if (!p->defer_on || p->defer_next == 0 || p->progress < 0)
			return reason(p, why, "F_ORDER_DEFER where no order "
				"may be deferred");
		if (promised != p->defer_next)
			return reason(p, why, "deferred order given id %llu, "
				"the host's next is %llu",
				(unsigned long long)promised,
				(unsigned long long)p->defer_next);
		if (!within(&p->order_sec, &p->orders, 1,
		    p->limits.orders_per_sec)) {
			*why = "order flood (above limits.orders_per_sec)";
			return -1;
		}
		rc = p->api->order_submit(p->ctx, &r, &id);
		if (rc != QD_OK || id != promised) {
			p->defer_next = 0;
			if (rc != QD_OK)
				return reason(p, why, "deferred order %llu "
					"refused by the host: %s",
					(unsigned long long)promised,
					qd_strerror(rc));
			return reason(p, why, "deferred order %llu got id "
				"%llu from the host", (unsigned long long)
				promised, (unsigned long long)id);
		}
		p->defer_next = id + 1;
		/* Its fill comes on the next bar: the batch ends here. */
		if (p->batch_limit > p->progress + 1)
			p->batch_limit = (uint32_t)(p->progress + 1);
		return 0;
	}
	case F_ORDER_CANCEL:
		id = frame_get_u64(in);
		if (frame_in_done(in) != 0)
			break;
		reply(p, p->api->order_cancel(p->ctx, id), 0);
		return 0;
	case F_SUBSCRIBE: {
		uint32_t sym = frame_get_u32(in), tf = frame_get_u32(in);

		if (frame_in_done(in) != 0)
			break;
		reply(p, p->api->subscribe(p->ctx, sym, tf), 0);
		return 0;
	}
	case F_TIMER_ADD: {
		int64_t after = frame_get_i64(in), every = frame_get_i64(in);

		if (frame_in_done(in) != 0)
			break;
		rc = p->api->timer_add(p->ctx, after, every, &id);
		reply(p, rc, id);
		return 0;
	}
	case F_TIMER_CANCEL:
		id = frame_get_u64(in);
		if (frame_in_done(in) != 0)
			break;
		reply(p, p->api->timer_cancel(p->ctx, id), 0);
		return 0;
	case F_STATE_SAVE: {
		uint64_t n = frame_get_u64(in);
		const void *data = n <= FRAME_MAX ? frame_get_bytes(in, n) : NULL;

		if (data == NULL || frame_in_done(in) != 0)
			break;
		reply(p, p->api->state_save(p->ctx, data, n), 0);
		return 0;
	}
	case F_STATE_LOAD: {
		uint64_t cap = frame_get_u64(in);
		size_t total = 0, room = FRAME_MAX - 64;

		if (frame_in_done(in) != 0)
			break;
		if (cap > room)
			cap = room;
		if (p->load_buf == NULL &&
		    (p->load_buf = malloc(room)) == NULL) {
			*why = "out of memory for state_load";
			return -1;
		}
		rc = p->api->state_load(p->ctx, p->load_buf, cap, &total);
		begin(p, &o, F_REPLY_DATA);
		frame_put_u32(&o, (uint32_t)rc);
		if (rc == QD_OK) {
			uint64_t n = total < cap ? total : cap;

			frame_put_u64(&o, total);
			frame_put_u64(&o, n);
			frame_put(&o, p->load_buf, n);
		}
		send_frame(p, &o);
		return 0;
	}
	case F_ORDER_GET: {
		struct qd_order_update u;

		id = frame_get_u64(in);
		if (frame_in_done(in) != 0)
			break;
		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		rc = QD_API_HAS(p->api, order_get) ?
			p->api->order_get(p->ctx, id, &u) : QD_ERR_UNSUPPORTED;
		begin(p, &o, F_REPLY_DATA);
		frame_put_u32(&o, (uint32_t)rc);
		if (rc == QD_OK)
			frame_put_order_update(&o, &u);
		send_frame(p, &o);
		return 0;
	}
	case F_ORDERS_OPEN: {
		uint64_t cap = frame_get_u64(in), ids[512];
		size_t n = 0, k;

		if (frame_in_done(in) != 0)
			break;
		if (cap > 512)
			cap = 512;
		rc = QD_API_HAS(p->api, orders_open) ?
			p->api->orders_open(p->ctx, ids, (size_t)cap, &n) :
			QD_ERR_UNSUPPORTED;
		begin(p, &o, F_REPLY_DATA);
		frame_put_u32(&o, (uint32_t)rc);
		if (rc == QD_OK) {
			frame_put_u64(&o, n);
			k = n < cap ? n : (size_t)cap;
			frame_put_u64(&o, k);
			for (size_t i = 0; i < k; i++)
				frame_put_u64(&o, ids[i]);
		}
		send_frame(p, &o);
		return 0;
	}
	case F_SIZE_ORDER: {
		uint32_t sym = frame_get_u32(in), method = frame_get_u32(in);
		double value = frame_get_f64(in), price = frame_get_f64(in);
		double stop = frame_get_f64(in), qty = 0;

		if (frame_in_done(in) != 0)
			break;
		rc = QD_API_HAS(p->api, size_order) ?
			p->api->size_order(p->ctx, sym, (int)method, value,
			price, stop, &qty) : QD_ERR_UNSUPPORTED;
		begin(p, &o, F_REPLY_POSITION);
		frame_put_u32(&o, (uint32_t)rc);
		frame_put_f64(&o, qty);
		frame_put_f64(&o, 0);
		frame_put_f64(&o, 0);
		frame_put_f64(&o, 0);
		send_frame(p, &o);
		return 0;
	}
	case F_POSITION_GET:
	case F_ACCOUNT_GET: {
		double v[4] = { 0, 0, 0, 0 };

		if (h->type == F_POSITION_GET) {
			struct qd_position pos;
			uint32_t sym = frame_get_u32(in);

			if (frame_in_done(in) != 0)
				break;
			memset(&pos, 0, sizeof(pos));
			pos.size = sizeof(pos);
			rc = p->api->position_get(p->ctx, sym, &pos);
			v[0] = pos.qty;
			v[1] = pos.avg_price;
			v[2] = pos.realized_pnl;
			v[3] = pos.unrealized_pnl;
		} else {
			struct qd_account acc;

			if (frame_in_done(in) != 0)
				break;
			memset(&acc, 0, sizeof(acc));
			acc.size = sizeof(acc);
			rc = p->api->account_get(p->ctx, &acc);
			v[0] = acc.cash;
			v[1] = acc.equity;
			v[2] = acc.fees_paid;
		}
		begin(p, &o, F_REPLY_POSITION);
		frame_put_u32(&o, (uint32_t)rc);
		frame_put_f64(&o, v[0]);
		frame_put_f64(&o, v[1]);
		frame_put_f64(&o, v[2]);
		frame_put_f64(&o, v[3]);
		send_frame(p, &o);
		return 0;
	}
	case F_SYMBOL_INTERN: {
		const char *s = frame_get_str(in, 64);

		if (s == NULL || frame_in_done(in) != 0)
			break;
		reply(p, QD_OK, p->api->symbol_intern(p->ctx, s));
		return 0;
	}
	case F_SYMBOL_NAME: {
		uint32_t sym = frame_get_u32(in);
		const char *s;

		if (frame_in_done(in) != 0)
			break;
		s = p->api->symbol_name(p->ctx, sym);
		begin(p, &o, F_REPLY_DATA);
		frame_put_u32(&o, s ? QD_OK : (uint32_t)QD_ERR_NOTFOUND);
		if (s != NULL)
			frame_put_str(&o, s);
		send_frame(p, &o);
		return 0;
	}
	case F_WS_OPEN: {
		struct qd_kv kv[MAX_HEADERS];
		const char *url = frame_get_str(in, 4096);
		uint32_t n = frame_get_u32(in), i;

		if (n > MAX_HEADERS)
			return reason(p, why, "F_WS_OPEN with %u headers", n);
		for (i = 0; i < n; i++) {
			kv[i].key = frame_get_str(in, 256);
			kv[i].value = frame_get_str(in, 4096);
		}
		if (url == NULL || frame_in_done(in) != 0)
			break;
		if (p->n_conns == MAX_CONNS)
			rc = QD_ERR_LIMIT;
		else if (p->kind == QD_KIND_EXCHANGE && !url_allowed(p, url))
			rc = QD_ERR_DENIED;
		else
			rc = QD_API_HAS(p->api, ws_open) ?
				p->api->ws_open(p->ctx, url, kv, n, &id) :
				QD_ERR_UNSUPPORTED;
		if (rc == QD_OK)
			p->conns[p->n_conns++] = id;
		reply(p, rc, id);
		return 0;
	}
	case F_WS_SEND: {
		uint64_t conn = frame_get_u64(in), n = frame_get_u64(in);
		const void *data = n <= FRAME_MAX ? frame_get_bytes(in, n) : NULL;

		if (data == NULL || frame_in_done(in) != 0)
			break;
		reply(p, QD_API_HAS(p->api, ws_send) ?
			p->api->ws_send(p->ctx, conn, data, n) :
			QD_ERR_UNSUPPORTED, 0);
		return 0;
	}
	case F_WS_CLOSE:
		id = frame_get_u64(in);
		if (frame_in_done(in) != 0)
			break;
		forget_conn(p, id);
		reply(p, QD_API_HAS(p->api, ws_close) ?
			p->api->ws_close(p->ctx, id) : QD_ERR_UNSUPPORTED, 0);
		return 0;
	case F_HTTP_REQUEST: {
		struct qd_kv kv[MAX_HEADERS];
		struct qd_http_request r;
		uint32_t n, i;
		uint64_t blen;

		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.method = frame_get_str(in, 16);
		r.url = frame_get_str(in, 4096);
		n = frame_get_u32(in);
		if (n > MAX_HEADERS)
			return reason(p, why, "F_HTTP_REQUEST with %u headers",
				n);
		for (i = 0; i < n; i++) {
			kv[i].key = frame_get_str(in, 256);
			kv[i].value = frame_get_str(in, 4096);
		}
		r.headers = kv;
		r.n_headers = n;
		blen = frame_get_u64(in);
		r.body = blen <= FRAME_MAX ? frame_get_bytes(in, blen) : NULL;
		r.body_len = r.body ? blen : 0;
		r.timeout_ns = frame_get_i64(in);
		if (r.method == NULL || r.url == NULL || (blen && !r.body) ||
		    frame_in_done(in) != 0)
			break;
		rc = p->kind == QD_KIND_EXCHANGE && !url_allowed(p, r.url) ?
			QD_ERR_DENIED :
			QD_API_HAS(p->api, http_request) ?
			p->api->http_request(p->ctx, &r, &id) :
			QD_ERR_UNSUPPORTED;
		reply(p, rc, id);
		return 0;
	}
	case F_SECRET_GET: {
		const char *name = frame_get_str(in, 256);
		uint64_t cap = frame_get_u64(in);
		char secret[4096];

		if (name == NULL || frame_in_done(in) != 0)
			break;
		if (cap > sizeof(secret))
			cap = sizeof(secret);
		rc = !QD_API_HAS(p->api, secret_get) ? QD_ERR_NOTFOUND :
			cap ? p->api->secret_get(p->ctx, name, secret, cap) :
			QD_ERR_INVALID;
		begin(p, &o, F_REPLY_DATA);
		frame_put_u32(&o, (uint32_t)rc);
		if (rc == QD_OK)
			frame_put_str(&o, secret);
		explicit_bzero(secret, sizeof(secret));
		send_frame(p, &o);
		return 0;
	}
	case F_HMAC: {
		uint32_t hash = frame_get_u32(in);
		uint64_t kl = frame_get_u64(in);
		const void *key = kl <= FRAME_MAX ? frame_get_bytes(in, kl) : NULL;
		uint64_t ml = frame_get_u64(in);
		const void *msg = ml <= FRAME_MAX ? frame_get_bytes(in, ml) : NULL;
		uint64_t cap = frame_get_u64(in);
		unsigned char mac[64];
		size_t n = cap < sizeof(mac) ? (size_t)cap : sizeof(mac);

		if ((kl && !key) || (ml && !msg) || frame_in_done(in) != 0)
			break;
		rc = QD_API_HAS(p->api, hmac) ? p->api->hmac(p->ctx,
			(enum qd_hash)hash, key, kl, msg, ml, mac, &n) :
			QD_ERR_UNSUPPORTED;
		begin(p, &o, F_REPLY_DATA);
		frame_put_u32(&o, (uint32_t)rc);
		if (rc == QD_OK) {
			frame_put_u64(&o, n);
			frame_put(&o, mac, n);
		}
		send_frame(p, &o);
		return 0;
	}
	case F_SIGN: {
		/* The child names the secret; its bytes stay here. */
		struct qd_sign_req r;
		uint64_t ml, m2l, cap;
		char sig[1024];
		size_t n = 0;

		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.alg = (enum qd_sign_alg)frame_get_u32(in);
		r.enc = (enum qd_sign_enc)frame_get_u32(in);
		r.secret = frame_get_str(in, 256);
		ml = frame_get_u64(in);
		r.msg = ml <= FRAME_MAX ? frame_get_bytes(in, ml) : NULL;
		r.msg_len = (size_t)ml;
		m2l = frame_get_u64(in);
		r.msg2 = m2l <= FRAME_MAX ? frame_get_bytes(in, m2l) : NULL;
		r.msg2_len = (size_t)m2l;
		cap = frame_get_u64(in);
		if (r.secret == NULL || (ml && !r.msg) || (m2l && !r.msg2) ||
		    frame_in_done(in) != 0)
			break;
		rc = !QD_API_HAS(p->api, sign) ? QD_ERR_UNSUPPORTED :
			cap == 0 ? QD_ERR_INVALID : p->api->sign(p->ctx, &r,
			sig, cap < sizeof(sig) ? (size_t)cap : sizeof(sig),
			&n);
		begin(p, &o, F_REPLY_DATA);
		frame_put_u32(&o, (uint32_t)rc);
		if (rc == QD_OK)
			frame_put_str(&o, sig);
		send_frame(p, &o);
		return 0;
	}
	case F_HISTORY_OPEN: {
		const char *src = frame_get_str(in, 255);
		uint32_t tf = 0;

		if (src == NULL || frame_in_done(in) != 0)
			break;
		rc = QD_API_HAS(p->api, history_open) ?
			p->api->history_open(p->ctx, src, &tf, &id) :
			QD_ERR_UNSUPPORTED;
		begin(p, &o, F_REPLY_DATA);
		frame_put_u32(&o, (uint32_t)rc);
		frame_put_u32(&o, rc == QD_OK ? tf : 0);
		frame_put_u64(&o, rc == QD_OK ? id : 0);
		send_frame(p, &o);
		return 0;
	}
	case F_HISTORY_NEXT: {
		struct qd_history_row rows[HISTORY_ROWS];
		uint64_t cur = frame_get_u64(in), cap = frame_get_u64(in);
		size_t n = 0, i;

		if (frame_in_done(in) != 0)
			break;
		if (cap > HISTORY_ROWS)
			cap = HISTORY_ROWS;
		rc = QD_API_HAS(p->api, history_next) ?
			p->api->history_next(p->ctx, cur, rows, (size_t)cap,
			&n) : QD_ERR_NOTFOUND;
		if (rc != QD_OK || n > cap)
			n = 0;
		begin(p, &o, F_REPLY_DATA);
		frame_put_u32(&o, (uint32_t)rc);
		frame_put_u64(&o, n);
		for (i = 0; i < n; i++)
			frame_put_history_row(&o, &rows[i]);
		send_frame(p, &o);
		return 0;
	}
	case F_HISTORY_CLOSE:
		id = frame_get_u64(in);
		if (frame_in_done(in) != 0)
			break;
		if (QD_API_HAS(p->api, history_close))
			p->api->history_close(p->ctx, id);
		reply(p, QD_OK, 0);
		return 0;
	case F_EMIT_INSTRUMENT: {
		struct qd_instrument x;

		memset(&x, 0, sizeof(x));
		x.size = sizeof(x);
		x.symbol = frame_get_u32(in);
		x.native = frame_get_str(in, 64);
		x.tick = frame_get_opt_str(in, 32);
		x.lot = frame_get_opt_str(in, 32);
		x.min_qty = frame_get_opt_str(in, 32);
		x.min_notional = frame_get_opt_str(in, 32);
		x.status = frame_get_opt_str(in, 24);
		x.trading = (int)frame_get_u32(in);
		if (frame_in_done(in) == 0 && x.native != NULL &&
		    QD_API_HAS(p->api, emit_instrument))
			p->api->emit_instrument(p->ctx, &x);
		break;
	}
	case F_EMIT_TRADE: {
		struct qd_trade_event e;

		frame_get_trade(in, &e);
		if (frame_in_done(in) == 0 && QD_API_HAS(p->api, emit_trade))
			p->api->emit_trade(p->ctx, &e);
		break;
	}
	case F_EMIT_BAR: {
		struct qd_bar_event e;

		frame_get_bar_event(in, &e);
		if (frame_in_done(in) == 0 && QD_API_HAS(p->api, emit_bar))
			p->api->emit_bar(p->ctx, &e);
		break;
	}
	case F_EMIT_BOOK_TOP: {
		struct qd_book_top_event e;

		frame_get_book_top(in, &e);
		if (frame_in_done(in) == 0 &&
		    QD_API_HAS(p->api, emit_book_top))
			p->api->emit_book_top(p->ctx, &e);
		break;
	}
	case F_EMIT_ORDER_UPDATE: {
		struct qd_order_update u;

		frame_get_order_update(in, &u);
		if (frame_in_done(in) == 0 &&
		    QD_API_HAS(p->api, emit_order_update))
			p->api->emit_order_update(p->ctx, &u);
		break;
	}
	case F_EMIT_BALANCE: {
		struct qd_balance b;

		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.asset = frame_get_str(in, 15);
		b.total = frame_get_f64(in);
		b.free = frame_get_f64(in);
		b.ts = frame_get_i64(in);
		b.last = frame_get_u32(in) != 0;
		if (b.asset != NULL && frame_in_done(in) == 0 &&
		    QD_API_HAS(p->api, emit_balance))
			p->api->emit_balance(p->ctx, &b);
		break;
	}
	case F_NOTIFY_DONE:
	case F_PAYMENT_DONE: {
		uint64_t req = frame_get_u64(in);
		int st = (int32_t)frame_get_u32(in);
		const char *detail = frame_get_opt_str(in, 1024);

		if (frame_in_done(in) != 0)
			break;
		if (h->type == F_NOTIFY_DONE && QD_API_HAS(p->api, notify_done))
			p->api->notify_done(p->ctx, req, st, detail);
		else if (h->type == F_PAYMENT_DONE &&
		    QD_API_HAS(p->api, payment_done))
			p->api->payment_done(p->ctx, req, st, detail);
		break;
	}
	default:
		/* frame_allowed() let through only the types above. */
		*why = "unexpected frame from the child";
		return -1;
	}
	if (in->bad || in->left != 0) {
		*why = "malformed frame from the child";
		return -1;
	}
	return h->type == F_DONE ? 1 : 0;
}

/* ---- calls ---------------------------------------------------------------- */

static void enqueue(struct proxy *p, const struct pending *e, int front);

/* A restarted child is started again if the instance was, and given the
 * subscriptions the host made (an adapter opens its streams from them). */
static void
replay(struct proxy *p)
{
	struct pending e;
	size_t i;

	if (!p->started)
		return;
	memset(&e, 0, sizeof(e));
	e.type = F_CALL_START;
	e.now = p->api->now_ns(p->ctx);
	enqueue(p, &e, 0);
	for (i = 0; i < p->n_subs; i++) {
		e.type = F_CALL_SUBSCRIBE;
		e.u.sub.sym = p->subs[i].sym;
		e.u.sub.tf = p->subs[i].tf;
		enqueue(p, &e, 0);
	}
	/* Orders the lost child had not answered for: asked of the venue
	 * (an order it never got comes back REJECTED), then the venue's
	 * open orders and fills since the last seen. */
	memset(&e, 0, sizeof(e));
	e.now = p->api->now_ns(p->ctx);
	for (i = 0; i < p->n_unacked; i++) {
		e.type = F_CALL_ORDER_QUERY;
		e.u.ord.id = p->unacked[i];
		enqueue(p, &e, 0);
	}
	p->n_unacked = 0;
	if (p->trades) {
		e.type = F_CALL_ACCOUNT_SYNC;
		enqueue(p, &e, 0);
	}
}

static void
unacked_drop(struct proxy *p, uint64_t id)
{
	size_t i;

	for (i = 0; i < p->n_unacked; i++)
		if (p->unacked[i] == id) {
			p->unacked[i] = p->unacked[--p->n_unacked];
			return;
		}
}

/* The adapter refused to take an order: the host hears it as the venue's
 * refusal (QD_ERR_UNSUPPORTED: a type it lacks, which the host holds). */
static void
place_refused(struct proxy *p, uint64_t id, int status)
{
	struct qd_order_update u;
	char why[160];

	snprintf(why, sizeof(why), "the sandboxed adapter refused the "
		"order: %s", qd_strerror(status));
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = id;
	u.state = QD_ORDER_REJECTED;
	u.ts = p->api->now_ns(p->ctx);
	u.reason = why;
	u.error = status < 0 && status >= QD_ERR_INTERNAL ? status :
		QD_ERR_INTERNAL;
	if (QD_API_HAS(p->api, emit_order_update))
		p->api->emit_order_update(p->ctx, &u);
}

/* The call in flight (or start-up) finished with `status`. */
static void
call_done(struct proxy *p, int status)
{
	enum call_state was = p->cs;
	uint16_t call = p->call;

	arm_deadline(p, 0);
	p->cs = CS_IDLE;
	p->call_status = status;
	if (was == CS_DESCRIBING)
		return;
	if (was == CS_CREATING) {
		p->ready = 1;
		if (p->ever_ready) {
			log_info(p->instance, "sandboxed plugin %s restarted "
				"(%u of %u)", p->name, p->restarts,
				p->limits.restarts);
			replay(p);
		}
		p->ever_ready = 1;
	} else if (call == F_CALL_ORDER_PLACE) {
		unacked_drop(p, p->call_oid);
		if (status != QD_OK)
			place_refused(p, p->call_oid, status);
	} else if (call == F_CALL_SUBSCRIBE && status != QD_OK) {
		log_warn(p->instance, "sandboxed plugin %s cannot stream a "
			"subscription: %s", p->name, qd_strerror(status));
	} else if (call == F_CALL_START && status != QD_OK) {
		/* A start that fails is not retried. */
		snprintf(p->fail_msg, sizeof(p->fail_msg), "start failed: %s",
			qd_strerror(status));
		p->failed = 1;
		child_lost(p, p->fail_msg);
		return;
	} else if (call == F_CALL_START && !p->reported_start) {
		p->reported_start = 1;
		if (p->on_started != NULL && !p->quiet)
			p->on_started(p->arg);
	}
	start_next(p);
}

/* Handle the frame at p->in + off (whole).  0, or -1 if the child was lost. */
static int
on_frame(struct proxy *p, const struct frame_hdr *h, size_t off)
{
	struct frame_in in;
	const char *why = NULL;
	int status = 0, r;

	frame_in_init(&in, p->in + off + FRAME_HDR, h->len);
	r = handle(p, h, &in, &status, &why);
	if (r < 0) {
		child_lost(p, why);
		return -1;
	}
	if (!p->alive)
		return -1;
	if (r > 0)
		call_done(p, status);
	return p->alive ? 0 : -1;
}

/* Read what the child sent and handle every whole frame in it.  1 when
 * bytes came, 0 when none did (or the child was lost). */
static int
read_input(struct proxy *p)
{
	size_t off = 0;
	ssize_t r;

	if (!p->alive)
		return 0;
	r = -1;
	if (p->sync_reads) {
		/* A backtest: the answer is usually microseconds away
		 * (SANDBOX_POLL_US). */
		int64_t end = sandbox_mono_us() + SANDBOX_POLL_US;

		do
			r = recv(p->fd, p->in + p->in_len, IOBUF - p->in_len,
				MSG_DONTWAIT);
		while (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR) && sandbox_mono_us() < end);
	}
	if (r < 0)
		r = read(p->fd, p->in + p->in_len, IOBUF - p->in_len);
	if (r < 0 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return 0;
	if (r <= 0) {
		child_lost(p, NULL);   /* the child died: its status says why */
		return 0;
	}
	p->in_len += (size_t)r;
	while (p->in_len - off >= FRAME_HDR) {
		struct frame_hdr h;
		const char *why;

		if (frame_check_header(p->in + off, &h, &why) != 0) {
			child_lost(p, why);
			return 0;
		}
		if (p->in_len - off < FRAME_HDR + h.len)
			break;
		if (on_frame(p, &h, off) != 0)
			return 0;
		off += FRAME_HDR + h.len;
	}
	memmove(p->in, p->in + off, p->in_len - off);
	p->in_len -= off;
	return 1;
}

/* Encode one queued event as its call frame. */
static void
encode_call(struct proxy *p, struct frame_out *o, const struct pending *e)
{
	begin(p, o, e->type);
	switch (e->type) {
	case F_CALL_BARS:
		frame_put_u32(o, 1);
		frame_put_bar_event(o, &e->u.bar);
		frame_put_i64(o, e->now);
		break;
	case F_CALL_TRADE:
		frame_put_trade(o, &e->u.trade);
		frame_put_i64(o, e->now);
		break;
	case F_CALL_ORDER: {
		/* The queue moves events: the reason is the copy in `e`. */
		struct qd_order_update u = e->u.order;

		if (u.reason != NULL)
			u.reason = e->reason;
		if (u.trade_id != NULL)
			u.trade_id = e->trade_id;
		if (u.client_id != NULL)
			u.client_id = e->client_id;
		frame_put_order_update(o, &u);
		break;
	}
	case F_CALL_TIMER:
		frame_put_u64(o, e->u.timer);
		frame_put_i64(o, e->now);
		break;
	case F_CALL_SUBSCRIBE:
		frame_put_u32(o, e->u.sub.sym);
		frame_put_u32(o, e->u.sub.tf);
		frame_put_i64(o, e->now);
		break;
	case F_CALL_BACKFILL:
		frame_put_u32(o, e->u.sub.sym);
		frame_put_u32(o, e->u.sub.tf);
		frame_put_i64(o, e->u.sub.from);
		frame_put_i64(o, e->u.sub.to);
		frame_put_i64(o, e->now);
		break;
	case F_CALL_ORDER_PLACE: {
		struct qd_order_req r = e->u.ord.req;

		r.tag = e->data;
		frame_put_u64(o, e->u.ord.id);
		frame_put_order_req(o, &r);
		frame_put_i64(o, e->now);
		break;
	}
	case F_CALL_ORDER_CANCEL:
	case F_CALL_ORDER_QUERY:
		frame_put_u64(o, e->u.ord.id);
		frame_put_i64(o, e->now);
		break;
	case F_CALL_CANCEL_ALL:
		frame_put_u32(o, e->u.sub.sym);
		frame_put_i64(o, e->now);
		break;
	case F_CALL_WS_EVENT:
		frame_put_u32(o, e->u.net.what);
		frame_put_u64(o, e->u.net.id);
		frame_put_u32(o, (uint32_t)e->u.net.code);
		frame_put_u64(o, e->len);
		frame_put(o, e->data, e->len);
		frame_put_i64(o, e->now);
		break;
	case F_CALL_HTTP:
		frame_put_u64(o, e->u.net.id);
		frame_put_u32(o, (uint32_t)e->u.net.code);
		frame_put_u64(o, e->len);
		frame_put(o, e->data, e->len);
		frame_put_u64(o, e->hlen);
		frame_put(o, e->hdrs, e->hlen);
		frame_put_i64(o, e->now);
		break;
	default:   /* F_CALL_START, F_CALL_STOP */
		frame_put_i64(o, e->now);
		break;
	}
}

/* Send the next queued event if the child is ready and idle. */
static void
start_next(struct proxy *p)
{
	struct frame_out o;
	struct pending *e;

	while (p->alive && p->ready && p->cs == CS_IDLE && p->q_len > 0) {
		e = &p->q[p->q_head];
		p->q_head = (p->q_head + 1) % p->q_cap;
		p->q_len--;
		encode_call(p, &o, e);
		pending_release(e);
		p->call = e->type;
		p->call_oid = e->u.ord.id;
		p->kept = 0;  /* the child drops what a batch left */
		p->batch_n = e->type == F_CALL_BARS ? 1 : 0;
		p->batch_limit = p->batch_n;
		p->progress = -1;
		p->defer_on = 0;
		p->done_count = 0;
		p->cs = e->type == F_CALL_BARS ? CS_BARS : CS_CALL;
		arm_deadline(p, p->limits.cpu_ms_per_call);
		send_frame(p, &o);
	}
}

/*
 * Queue an event for the child.  Trades coalesce with a trade of the same
 * symbol at the tail, and are dropped when the queue is full; anything
 * else overflowing stops the child.  While the child is down (between
 * restarts), events are dropped: there is nobody to give them to.
 */
static void
enqueue(struct proxy *p, const struct pending *e, int front)
{
	struct pending *slot;

	if (!p->alive || p->failed) {
		p->dropped++;
		pending_release((struct pending *)e);
		return;
	}
	if (e->type == F_CALL_TRADE && p->q_len > 0) {
		slot = &p->q[(p->q_head + p->q_len - 1) % p->q_cap];
		if (slot->type == F_CALL_TRADE &&
		    slot->u.trade.symbol == e->u.trade.symbol) {
			*slot = *e;
			p->coalesced++;
			return;
		}
	}
	if (p->q_len == p->q_cap) {
		size_t cap = p->q_cap ? p->q_cap * 2 : 16, i;
		struct pending *n;

		if (p->q_cap >= QUEUE_MAX) {
			pending_release((struct pending *)e);
			if (e->type == F_CALL_TRADE) {
				p->dropped++;
				return;
			}
			child_lost(p, "cannot keep up: 4096 events waiting");
			return;
		}
		if ((n = malloc(cap * sizeof(*n))) == NULL) {
			pending_release((struct pending *)e);
			child_lost(p, "out of memory for the event queue");
			return;
		}
		for (i = 0; i < p->q_len; i++)
			n[i] = p->q[(p->q_head + i) % p->q_cap];
		free(p->q);
		p->q = n;
		p->q_cap = cap;
		p->q_head = 0;
	}
	if (front) {
		p->q_head = (p->q_head + p->q_cap - 1) % p->q_cap;
		p->q[p->q_head] = *e;
	} else {
		p->q[(p->q_head + p->q_len) % p->q_cap] = *e;
	}
	p->q_len++;
}

/* ---- waiting (synchronous mode, and stopping) ---------------------------- */

/*
 * Drive the child with poll() until done(p) or the child is lost, within
 * the deadline in flight.  Backtests use this for every call (simulated
 * time is then deterministic); the daemon only to stop an instance.
 */
static int pump_poll(struct proxy *p, int (*done)(const struct proxy *));

static void
pump(struct proxy *p, int (*done)(const struct proxy *))
{
	while (p->alive && !done(p)) {
		/* The usual answer comes within a read that waits a little
		 * (sync_reads): no poll() for it.  A read that waited in vain
		 * goes on to the poll below, which looks at the listener and
		 * the deadline. */
		if (p->sync_reads && p->out_off == p->out_len &&
		    p->notify_sock < 0 && (p->deadline_ms == 0 ||
		    mono_ms() < p->deadline_ms) && read_input(p))
			continue;
		if (!p->alive || done(p) || pump_poll(p, done))
			break;
	}
}

/* One poll() of pump(): the socket both ways, the listener hand-off and
 * the listener, within the deadline in flight.  1 when pump() must stop
 * waiting (the deadline passed), else 0. */
static int
pump_poll(struct proxy *p, int (*done)(const struct proxy *))
{
	struct pollfd pfd[3] = {
		{ p->fd, (short)(POLLIN | (p->out_len > p->out_off ?
			POLLOUT : 0)), 0 },
		{ p->notify_sock, POLLIN, 0 },
		{ p->notify_fd, POLLIN, 0 },
	};
	int64_t left = p->deadline_ms ? p->deadline_ms - mono_ms() :
		READY_TIMEOUT_MS;
	int pr;

	if (left <= 0)
		return p->deadline_ms == 0 || deadline_passed(p);
	pr = poll(pfd, 3, left > INT_MAX ? INT_MAX : (int)left);
	if (pr < 0 && errno != EINTR) {
		child_lost(p, "poll failed");
		return 1;
	}
	if (pr <= 0)
		return 0;
	/* Frames the child sent before a forbidden syscall are handled
	 * first (what the caller waits for may be among them, e.g. an
	 * F_DESCRIBE before an exit path that trips the filter); then the
	 * child, stopped in the kernel, dies. */
	if (pfd[1].revents)
		take_listener(p);
	if (p->alive && (pfd[0].revents & POLLOUT))
		flush(p);
	if (p->alive && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
		read_input(p);
	if (p->alive && !done(p) && pfd[2].revents)
		take_violation(p);
	return 0;
}

static int
is_idle(const struct proxy *p)
{
	return p->cs == CS_IDLE && p->q_len == 0;
}

static int
is_described(const struct proxy *p)
{
	return p->desc != NULL;
}

/* ---- starting a child ---------------------------------------------------- */

/*
 * Spawn a child and send it F_INIT; F_READY (or F_FAIL, or F_DESCRIBE)
 * comes back later, within one start-up deadline that no frame extends.
 * 0, or -1 with errno when the helper cannot be started.
 */
static int
start_child(struct proxy *p)
{
	struct frame_out o;
	struct qd_kv kv[256];
	size_t i, nkv;

	if (spawn(p) != 0)
		return -1;
	if (p->loop == NULL) {
		/* Waiting for a call, pump() reads without a poll() first;
		 * a read waits this long before it looks at the listener
		 * and the deadline. */
		struct timeval tv = { 0, SYNC_READ_WAIT_MS * 1000 };

		p->sync_reads = setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO,
			&tv, sizeof(tv)) == 0;
	}
	child_begin(p);
	nkv = p->params ? params_to_kv(p->params, kv, 256) : 0;
	begin(p, &o, F_INIT);
	frame_put_u32(&o, p->kind);
	frame_put_u32(&o, p->limits.memory_mib);
	frame_put_u32(&o, p->kind ? (uint32_t)log_get_level() :
		(uint32_t)QD_LOG_ERROR);
	/* The daemon's children yield the CPU to the core loop; a backtest
	 * waits for its child, which then runs at the caller's priority. */
	frame_put_u32(&o, p->loop != NULL ? SANDBOX_INIT_IDLE : 0);
	frame_put_str(&o, p->file);
	frame_put_str(&o, p->name);
	frame_put_u32(&o, (uint32_t)p->n_ind);
	for (i = 0; i < p->n_ind; i++)
		frame_put_str(&o, p->ind_files[i]);
	frame_put_u32(&o, (uint32_t)nkv);
	for (i = 0; i < nkv; i++) {
		frame_put_str(&o, kv[i].key);
		frame_put_str(&o, kv[i].value);
	}
	p->cs = p->kind ? CS_CREATING : CS_DESCRIBING;
	arm_budget(p, READY_TIMEOUT_MS, READY_WALL_MS);
	send_frame(p, &o);
	return 0;
}

static int
not_creating(const struct proxy *p)
{
	return p->cs != CS_CREATING;
}

/* ---- the proxy ops -------------------------------------------------------- */

/* Queue an event and send it if the child is idle; synchronous proxies
 * wait for it to be handled. */
static void
deliver(struct proxy *p, const struct pending *e)
{
	enqueue(p, e, 0);
	start_next(p);
	if (p->loop == NULL)
		pump(p, is_idle);
}

static int64_t
host_now(const struct proxy *p)
{
	return p->api->now_ns(p->ctx);
}

static int
proxy_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *pr,
	void **state)
{
	(void)api;
	(void)ctx;
	(void)pr;
	(void)state;
	return QD_ERR_STATE;   /* sandbox_create() creates */
}

static int
proxy_start(void *state)
{
	struct proxy *p = state;
	struct pending e;

	memset(&e, 0, sizeof(e));
	e.type = F_CALL_START;
	e.now = host_now(p);
	p->started = 1;
	p->call_status = QD_OK;
	deliver(p, &e);
	if (p->loop != NULL)
		return QD_OK;   /* its outcome arrives as on_started/on_failed */
	return p->call_status != QD_OK ? p->call_status :
		p->alive ? QD_OK : QD_ERR_STATE;
}

/*
 * Stop: what was queued is dropped, the call in flight may finish, then
 * on_stop runs, each within the call deadline.  The daemon waits here (an
 * instance being stopped or reloaded; bounded by cpu_ms_per_call twice).
 */
static void
proxy_stop(void *state)
{
	struct proxy *p = state;
	struct pending e;

	p->started = 0;
	if (!p->alive || !p->ready)
		return;
	queue_clear(p);
	pump(p, is_idle);
	memset(&e, 0, sizeof(e));
	e.type = F_CALL_STOP;
	e.now = host_now(p);
	enqueue(p, &e, 0);
	start_next(p);
	pump(p, is_idle);
}

static void
proxy_free(struct proxy *p)
{
	size_t i;

	p->failed = 1;   /* no restart, no report from here on */
	p->quiet = 1;
	if (p->restart_timer)
		loop_timer_cancel(p->restart_timer);
	child_end(p);
	for (i = 0; i < p->n_ind; i++)
		free(p->ind_files[i]);
	free(p->ind_files);
	free(p->helper);
	free(p->file);
	free(p->name);
	free(p->instance);
	free(p->in);
	free(p->out);
	free(p->frame);
	free(p->load_buf);
	free(p->q);
	free(p->desc);
	free(p);
}

static void
proxy_destroy(void *state)
{
	proxy_free(state);
}

static void
proxy_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct proxy *p = state;
	struct pending e;

	memset(&e, 0, sizeof(e));
	e.type = F_CALL_BARS;
	e.u.bar = *ev;
	/* Backtests: the bar's close is the time; the daemon: its clock. */
	e.now = p->loop == NULL ? ev->bar.ts +
		(int64_t)ev->timeframe_s * 1000000000 : host_now(p);
	deliver(p, &e);
}

static void
proxy_on_trade(void *state, const struct qd_trade_event *ev)
{
	struct proxy *p = state;
	struct pending e;

	memset(&e, 0, sizeof(e));
	e.type = F_CALL_TRADE;
	e.u.trade = *ev;
	e.now = host_now(p);
	deliver(p, &e);
}

static void
proxy_on_order(void *state, const struct qd_order_update *u)
{
	struct proxy *p = state;
	struct pending e;

	memset(&e, 0, sizeof(e));
	e.type = F_CALL_ORDER;
	e.u.order = *u;
	e.u.order.reason = NULL;
	if (u->reason != NULL) {
		snprintf(e.reason, sizeof(e.reason), "%s", u->reason);
		e.u.order.reason = e.reason;
	}
	e.u.order.trade_id = e.u.order.client_id = NULL;
	if (u->size >= sizeof(*u) && u->trade_id != NULL) {
		snprintf(e.trade_id, sizeof(e.trade_id), "%s", u->trade_id);
		e.u.order.trade_id = e.trade_id;
	}
	if (u->size >= sizeof(*u) && u->client_id != NULL) {
		snprintf(e.client_id, sizeof(e.client_id), "%s", u->client_id);
		e.u.order.client_id = e.client_id;
	}
	e.now = u->ts;
	deliver(p, &e);
}

static void
proxy_on_timer(void *state, uint64_t id)
{
	struct proxy *p = state;
	struct pending e;

	memset(&e, 0, sizeof(e));
	e.type = F_CALL_TIMER;
	e.u.timer = id;
	e.now = host_now(p);
	deliver(p, &e);
}

static const struct qd_strategy_ops proxy_strategy_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = proxy_create,
		.start = proxy_start,
		.stop = proxy_stop,
		.destroy = proxy_destroy,
	},
	.on_bar = proxy_on_bar,
	.on_trade = proxy_on_trade,
	.on_order = proxy_on_order,
	.on_timer = proxy_on_timer,
};

/* ---- exchange adapters ---------------------------------------------------- */

/*
 * The host asks an adapter to stream: remembered (a restarted child is
 * asked again) and passed on; the adapter's own answer comes back in
 * F_DONE and is logged if it refuses.
 */
static int
proxy_subscribe(void *state, qd_symbol sym, uint32_t tf)
{
	struct proxy *p = state;
	struct pending e;
	size_t i;

	for (i = 0; i < p->n_subs; i++)
		if (p->subs[i].sym == sym && p->subs[i].tf == tf)
			break;
	if (i == p->n_subs) {
		if (p->n_subs == MAX_SUBS)
			return QD_ERR_LIMIT;
		p->subs[p->n_subs].sym = sym;
		p->subs[p->n_subs].tf = tf;
		p->n_subs++;
	}
	memset(&e, 0, sizeof(e));
	e.type = F_CALL_SUBSCRIBE;
	e.u.sub.sym = sym;
	e.u.sub.tf = tf;
	e.now = host_now(p);
	deliver(p, &e);
	return p->alive || p->restart_timer != NULL ? QD_OK : QD_ERR_STATE;
}

static int
proxy_backfill(void *state, qd_symbol sym, uint32_t tf, int64_t from,
	int64_t to)
{
	struct proxy *p = state;
	struct pending e;

	memset(&e, 0, sizeof(e));
	e.type = F_CALL_BACKFILL;
	e.u.sub.sym = sym;
	e.u.sub.tf = tf;
	e.u.sub.from = from;
	e.u.sub.to = to;
	e.now = host_now(p);
	deliver(p, &e);
	return p->alive ? QD_OK : QD_ERR_STATE;
}

/*
 * Orders at a sandboxed adapter: queued as calls like any other event, so
 * the answer comes later -- QD_OK here once queued, and a refusal the
 * adapter returns is reported as the order's REJECTED update.
 */
static int
order_call(struct proxy *p, uint16_t type, uint64_t id,
	const struct qd_order_req *r, uint32_t sym)
{
	struct pending e;

	/* Queued while the child starts; a child down between restarts
	 * gets a reconcile when it is back (replay). */
	if (!p->alive) {
		p->trades = 1;
		return p->restart_timer != NULL ? QD_ERR_STATE :
			QD_ERR_NOTFOUND;
	}
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.u.ord.id = id;
	e.now = host_now(p);
	if (r != NULL) {
		if (p->n_unacked == MAX_UNACKED)
			return QD_ERR_LIMIT;
		memcpy(&e.u.ord.req, r, r->size < sizeof(e.u.ord.req) ?
			r->size : sizeof(e.u.ord.req));
		e.u.ord.req.size = sizeof(e.u.ord.req);
		e.u.ord.req.tag = NULL;
		if ((e.data = strdup(r->tag && strlen(r->tag) < 128 ? r->tag :
		    "")) == NULL)
			return QD_ERR_NOMEM;
		e.len = strlen(e.data);
		p->unacked[p->n_unacked++] = id;
	}
	if (type == F_CALL_CANCEL_ALL)
		e.u.sub.sym = sym;
	p->trades = 1;
	deliver(p, &e);
	return QD_OK;
}

static int
proxy_order_place(void *state, uint64_t id, const struct qd_order_req *r)
{
	if (r == NULL)
		return QD_ERR_INVALID;
	return order_call(state, F_CALL_ORDER_PLACE, id, r, 0);
}

static int
proxy_order_cancel(void *state, uint64_t id)
{
	return order_call(state, F_CALL_ORDER_CANCEL, id, NULL, 0);
}

static int
proxy_order_query(void *state, uint64_t id)
{
	return order_call(state, F_CALL_ORDER_QUERY, id, NULL, 0);
}

static int
proxy_order_cancel_all(void *state, qd_symbol sym)
{
	return order_call(state, F_CALL_CANCEL_ALL, 0, NULL, sym);
}

static int
proxy_account_sync(void *state)
{
	return order_call(state, F_CALL_ACCOUNT_SYNC, 0, NULL, 0);
}

/*
 * Copy `len` bytes for a network event; 0, or -1 (logged at powers of
 * two) when they could not pass in one frame or memory ran out.
 */
static int
net_bytes(struct proxy *p, struct pending *e, const char *data, size_t len,
	size_t extra)
{
	if (len + extra + 64 > FRAME_MAX) {
		p->oversized++;
		if ((p->oversized & (p->oversized - 1)) == 0)
			log_warn(p->instance, "sandboxed plugin %s: a %zu-byte "
				"network event is over the sandbox's %u-byte "
				"frames: not delivered (%llu so far)", p->name,
				len + extra, FRAME_MAX,
				(unsigned long long)p->oversized);
		return -1;
	}
	if ((e->data = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(e->data, data, len);
	e->len = len;
	return 0;
}

static void
ws_event(struct proxy *p, uint32_t what, uint64_t conn, int code,
	const char *data, size_t len)
{
	struct pending e;

	memset(&e, 0, sizeof(e));
	e.type = F_CALL_WS_EVENT;
	e.u.net.what = what;
	e.u.net.id = conn;
	e.u.net.code = code;
	e.now = host_now(p);
	if (net_bytes(p, &e, data, len, 0) != 0) {
		if (what != 3)
			return;
		e.data = NULL;      /* a close always arrives, without reason */
		e.len = 0;
	}
	deliver(p, &e);
}

static void
proxy_on_ws_open(void *state, uint64_t conn)
{
	ws_event(state, 1, conn, 0, "", 0);
}

static void
proxy_on_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	ws_event(state, 2, conn, 0, data, len);
}

static void
proxy_on_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct proxy *p = state;

	forget_conn(p, conn);
	ws_event(p, 3, conn, code, reason ? reason : "",
		reason ? strlen(reason) : 0);
}

/* The headers of the answer being handled, through the host API. */
static size_t
answer_headers(struct proxy *p, char *buf, size_t cap)
{
	static const char *const names[] = { "retry-after", "content-type",
		"date", "location", "x-mbx-used-weight", "x-mbx-used-weight-1m",
		"x-bapi-limit", "x-bapi-limit-status",
		"x-bapi-limit-reset-timestamp", "x-ratelimit-limit",
		"x-ratelimit-remaining", "x-ratelimit-reset" };
	size_t n = 0, i, kl, vl;
	char v[1024];

	if (!QD_API_HAS(p->api, http_header))
		return 0;
	for (i = 0; i < QD_COUNTOF(names); i++) {
		if (p->api->http_header(p->ctx, names[i], v, sizeof(v)) !=
		    QD_OK)
			continue;
		kl = strlen(names[i]) + 1;
		vl = strlen(v) + 1;
		if (n + kl + vl > cap)
			break;
		memcpy(buf + n, names[i], kl);
		memcpy(buf + n + kl, v, vl);
		n += kl + vl;
	}
	return n;
}

static void
proxy_on_http_response(void *state, uint64_t id, int status,
	const char *body, size_t len)
{
	struct proxy *p = state;
	struct pending e;
	char hdrs[4096];
	size_t hlen = answer_headers(p, hdrs, sizeof(hdrs));

	memset(&e, 0, sizeof(e));
	e.type = F_CALL_HTTP;
	e.u.net.id = id;
	e.u.net.code = status;
	e.now = host_now(p);
	if (net_bytes(p, &e, body, len, hlen) != 0) {
		/* The request still ends: as a failure, without a body. */
		e.data = NULL;
		e.len = 0;
		e.u.net.code = 0;
	}
	if (hlen > 0 && (e.hdrs = malloc(hlen)) != NULL) {
		memcpy(e.hdrs, hdrs, hlen);
		e.hlen = hlen;
	}
	deliver(p, &e);
}

static const struct qd_exchange_ops proxy_exchange_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = proxy_create,
		.start = proxy_start,
		.stop = proxy_stop,
		.destroy = proxy_destroy,
	},
	.subscribe = proxy_subscribe,
	.on_ws_open = proxy_on_ws_open,
	.on_ws_message = proxy_on_ws_message,
	.on_ws_close = proxy_on_ws_close,
	.on_http_response = proxy_on_http_response,
	.on_timer = proxy_on_timer,
	.order_place = proxy_order_place,
	.order_cancel = proxy_order_cancel,
	.order_query = proxy_order_query,
	.backfill = proxy_backfill,
	.order_cancel_all = proxy_order_cancel_all,
	.account_sync = proxy_account_sync,
};

int
sandbox_on_bars(void *state, const struct qd_bar_event *evs, size_t n,
	size_t *processed)
{
	struct proxy *p = state;
	size_t done = 0;
	int rc = QD_OK;

	while (done < n && p->alive && p->ready && is_idle(p)) {
		struct frame_out o;
		size_t k, batch = n - done;

		if (batch > (FRAME_MAX - 16) / 64)
			batch = (FRAME_MAX - 16) / 64;
		begin(p, &o, F_CALL_BARS);
		frame_put_u32(&o, (uint32_t)batch);
		for (k = 0; k < batch; k++) {
			const struct qd_bar_event *e = &evs[done + k];

			frame_put_bar_event(&o, e);
			frame_put_i64(&o, e->bar.ts +
				(int64_t)e->timeframe_s * 1000000000);
		}
		p->call = F_CALL_BARS;
		p->kept = 0;
		p->batch_n = p->batch_limit = (uint32_t)batch;
		p->progress = -1;
		p->defer_on = 0;
		p->done_count = 0;
		p->cs = CS_BARS;
		arm_deadline(p, p->limits.cpu_ms_per_call);
		if (send_frame(p, &o) != 0)
			break;
		pump(p, is_idle);
		rc = p->call_status;
		p->batch_n = 0;
		if (!p->alive)
			break;
		done += p->done_count;
		if (p->done_count < batch)
			break;      /* the host asked it to stop */
	}
	if (processed != NULL)
		*processed = done;
	return p->alive ? rc : QD_ERR_STATE;
}

int
sandbox_on_batch(void *state, const struct sandbox_batch *b,
	const struct qd_bar *bars, size_t n, size_t *processed)
{
	struct proxy *p = state;
	struct frame_out o;
	struct qd_position pos;
	size_t k, kept, room;
	int rc = QD_ERR_STATE;

	if (processed != NULL)
		*processed = 0;
	if (!p->alive || !p->ready || !is_idle(p) || b->n_updates > 16 ||
	    n == 0 || b->symbol == 0 || b->timeframe_s == 0)
		return p->alive ? QD_ERR_INVALID : QD_ERR_STATE;
	begin(p, &o, F_CALL_BATCH);
	frame_put_u32(&o, (uint32_t)b->n_updates);
	for (k = 0; k < b->n_updates; k++)
		frame_put_order_update(&o, &b->updates[k]);
	memset(&pos, 0, sizeof(pos));
	pos.size = sizeof(pos);
	if (b->symbol != 0 && p->api->position_get(p->ctx, b->symbol,
	    &pos) == QD_OK) {
		frame_put_u32(&o, b->symbol);
		frame_put_f64(&o, pos.qty);
		frame_put_f64(&o, pos.avg_price);
		frame_put_f64(&o, pos.realized_pnl);
	} else {
		frame_put_u32(&o, 0);
	}
	p->defer_on = b->defer_orders && b->symbol != 0;
	frame_put_u64(&o, p->defer_on ? p->defer_next : 0);
	frame_put_u32(&o, b->symbol);
	frame_put_u32(&o, b->timeframe_s);
	/* The first bars are those the last batch left, if the child still
	 * holds them (the caller passes the bars that follow the ones it
	 * took); the rest are sent, as many as the frame holds. */
	kept = p->kept < n ? p->kept : n;
	room = o.len + 8 < IOBUF ? (IOBUF - o.len - 8) /
		sizeof(struct qd_bar) : 0;
	if (n - kept > room)
		n = kept + room;
	frame_put_u32(&o, (uint32_t)kept);
	frame_put_u32(&o, (uint32_t)(n - kept));
	frame_put(&o, bars + kept, (n - kept) * sizeof(struct qd_bar));
	p->call = F_CALL_BATCH;
	p->batch_n = p->batch_limit = (uint32_t)n;
	p->progress = -1;
	p->done_count = 0;
	p->cs = CS_BARS;
	p->kept = 0;
	arm_deadline(p, p->limits.cpu_ms_per_call);
	if (send_frame(p, &o) == 0) {
		pump(p, is_idle);
		rc = p->call_status;
	}
	p->batch_n = 0;
	p->defer_on = 0;
	if (p->alive && rc == QD_OK)
		p->kept = (uint32_t)(n - p->done_count);
	if (processed != NULL && p->alive)
		*processed = p->done_count;
	return p->alive ? rc : QD_ERR_STATE;
}

size_t
sandbox_pending(const void *state)
{
	const struct proxy *p = state;

	return p->q_len + (p->cs != CS_IDLE);
}

/* A proxy with its buffers; NULL when out of memory. */
static struct proxy *
proxy_alloc(void)
{
	struct proxy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->pid = -1;
	p->fd = p->notify_sock = p->notify_fd = -1;
	p->in = malloc(IOBUF);
	p->frame = malloc(IOBUF);
	if (p->in == NULL || p->frame == NULL) {
		proxy_free(p);
		return NULL;
	}
	return p;
}

int
sandbox_create(const struct sandbox_spec *spec, const struct qd_host_api *api,
	qd_ctx *ctx, const qd_params *params, const struct qd_ops **ops,
	void **state, char *err, size_t errlen)
{
	struct proxy *p;
	size_t i;

	if (spec->kind != QD_KIND_STRATEGY && spec->kind != QD_KIND_EXCHANGE) {
		snprintf(err, errlen, "only strategies and exchange adapters "
			"can run sandboxed in this version; run this %s trusted",
			spec->kind == QD_KIND_INDICATOR ? "indicator" :
			"plugin");
		return QD_ERR_UNSUPPORTED;
	}
	if ((p = proxy_alloc()) == NULL)
		return QD_ERR_NOMEM;
	/* Absolute paths: the child's filter has no getcwd. */
	p->helper = strdup(spec->helper_path);
	p->file = realpath(spec->plugin_file, NULL);
	p->name = strdup(spec->plugin_name);
	p->instance = strdup(spec->instance);
	for (i = 0; spec->indicator_files && spec->indicator_files[i]; i++)
		;
	p->ind_files = calloc(i + 1, sizeof(char *));
	for (i = 0; p->ind_files && spec->indicator_files &&
	     spec->indicator_files[i]; i++)
		if ((p->ind_files[p->n_ind] = realpath(
		    spec->indicator_files[i], NULL)) != NULL)
			p->n_ind++;
	p->kind = spec->kind;
	p->limits = spec->limits;
	p->on_failed = spec->on_failed;
	p->on_started = spec->on_started;
	p->on_lost = spec->on_lost;
	p->arg = spec->arg;
	p->batch_at = spec->batch_at;
	p->batch_stop = spec->batch_stop;
	p->loop = spec->loop;
	p->api = api;
	p->ctx = ctx;
	p->params = params;
	allow_from_params(p);
	if (!p->helper || !p->file || !p->name || !p->instance ||
	    !p->ind_files) {
		snprintf(err, errlen, "%s: %s", spec->plugin_file,
			p->file ? strerror(ENOMEM) : strerror(errno));
		proxy_free(p);
		return QD_ERR_NOMEM;
	}
	/* Failures before this returns are reported by its return value. */
	p->quiet = 1;
	if (start_child(p) != 0) {
		snprintf(err, errlen, "cannot start %s: %s", p->helper,
			strerror(errno));
		proxy_free(p);
		return QD_ERR_IO;
	}
	/* Synchronously (backtests) the child is ready before this returns;
	 * with a loop, F_READY arrives later and calls wait for it. */
	if (p->loop == NULL)
		pump(p, not_creating);
	if (!p->alive) {
		snprintf(err, errlen, "%s", p->fail_msg[0] ? p->fail_msg :
			p->why);
		if (!p->fail_msg[0])
			snprintf(err, errlen, "sandbox did not start: %s",
				p->why);
		proxy_free(p);
		return QD_ERR_INVALID;
	}
	p->quiet = 0;
	*ops = p->kind == QD_KIND_EXCHANGE ? &proxy_exchange_ops.base :
		&proxy_strategy_ops.base;
	*state = p;
	return QD_OK;
}

/* ---- attached to a socket (the proxy fuzz target) ------------------------- */

struct proxy *
sandbox_proxy_attach(int fd, const struct qd_host_api *api, qd_ctx *ctx,
	int state)
{
	struct proxy *p = proxy_alloc();

	if (p == NULL)
		return NULL;
	p->fd = fd;
	p->helper = strdup("");
	p->file = strdup("");
	p->name = strdup("attached");
	p->instance = strdup("sandbox");
	p->ind_files = calloc(1, sizeof(char *));
	config_limits_default(&p->limits);
	p->api = api;
	p->ctx = ctx;
	p->kind = QD_KIND_STRATEGY;
	p->quiet = 1;
	p->failed = 1;   /* nothing to restart */
	child_begin(p);
	/* The peer is taken as confined already: no listener to wait for. */
	p->had_listener = 1;
	p->ready = state != 0;
	p->cs = state == 0 ? CS_CREATING : state == 1 ? CS_CALL : CS_BARS;
	p->call = state == 2 ? F_CALL_BARS : state == 3 ? F_CALL_BATCH :
		F_CALL_TIMER;
	p->batch_n = p->batch_limit = state >= 2 ? 4 : 0;
	p->progress = -1;
	/* 3: an F_CALL_BATCH whose orders may be deferred. */
	p->defer_on = state == 3;
	p->defer_next = state == 3 ? 1 : 0;
	arm_deadline(p, p->limits.cpu_ms_per_call);
	return p;
}

static int
never(const struct proxy *p)
{
	(void)p;
	return 0;
}

void
sandbox_proxy_run(struct proxy *p)
{
	pump(p, never);
}

void
sandbox_proxy_free(struct proxy *p)
{
	proxy_free(p);
}
/* ---- describe mode: untrusted modules are never dlopened by the host ---- */

/* Host-side copy of a described plugin: everything malloc'd. */
struct described {
	struct qd_plugin p;
	struct qd_param_spec *specs;
	char **reqs;
	size_t n_reqs;
	char ***choices;
};

static int
remote_create(const struct qd_host_api *api, qd_ctx *ctx,
	const qd_params *params, void **state)
{
	(void)api;
	(void)ctx;
	(void)params;
	(void)state;
	return QD_ERR_UNSUPPORTED;   /* instances run in a sandbox child */
}

static void
remote_destroy(void *state)
{
	(void)state;
}

static const struct qd_strategy_ops remote_strategy_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = remote_create,
		.destroy = remote_destroy,
	},
};

static const struct qd_exchange_ops remote_exchange_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = remote_create,
		.destroy = remote_destroy,
	},
};

static void
free_described(struct qd_plugin *pl)
{
	struct described *d = (struct described *)pl;
	uint32_t i;
	size_t k;

	if (d == NULL)
		return;
	free((char *)d->p.name);
	free((char *)d->p.version);
	free((char *)d->p.description);
	free((char *)d->p.license);
	for (i = 0; d->specs && i < d->p.n_params; i++) {
		free((char *)d->specs[i].name);
		free((char *)d->specs[i].def_string);
		free((char *)d->specs[i].description);
		for (k = 0; d->choices && d->choices[i] && d->choices[i][k]; k++)
			free(d->choices[i][k]);
		if (d->choices)
			free(d->choices[i]);
	}
	free(d->choices);
	free(d->specs);
	for (k = 0; k < d->n_reqs; k++)
		free(d->reqs[k]);
	free(d->reqs);
	free(d);
}

static char *
dup_str(struct frame_in *in, size_t max)
{
	const char *s = frame_get_str(in, max);

	return s ? strdup(s) : NULL;
}

/* Decode one plugin of an F_DESCRIBE frame; NULL if malformed or OOM. */
static struct qd_plugin *
decode_plugin(struct frame_in *in)
{
	struct described *d = calloc(1, sizeof(*d));
	uint32_t i, n;

	if (d == NULL)
		return NULL;
	d->p.size = sizeof(struct qd_plugin);
	d->p.kind = (enum qd_kind)frame_get_u32(in);
	d->p.name = dup_str(in, 63);
	d->p.version = dup_str(in, 64);
	d->p.description = dup_str(in, 1024);
	d->p.license = dup_str(in, 64);
	d->p.n_params = frame_get_u32(in);
	if (in->bad || d->p.n_params > 256)
		goto fail;
	d->specs = calloc(d->p.n_params + 1, sizeof(*d->specs));
	d->choices = calloc(d->p.n_params + 1, sizeof(*d->choices));
	if (d->specs == NULL || d->choices == NULL)
		goto fail;
	d->p.params = d->specs;
	for (i = 0; i < d->p.n_params && !in->bad; i++) {
		struct qd_param_spec *s = &d->specs[i];
		uint32_t k;

		s->size = sizeof(*s);
		s->name = dup_str(in, 63);
		s->type = (enum qd_param_type)frame_get_u32(in);
		s->flags = frame_get_u32(in);
		s->def_int = frame_get_i64(in);
		s->def_double = frame_get_f64(in);
		s->def_string = dup_str(in, 4096);
		s->min = frame_get_f64(in);
		s->max = frame_get_f64(in);
		n = frame_get_u32(in);
		if (n > 64 || in->bad)
			goto fail;
		d->choices[i] = calloc(n + 1, sizeof(char *));
		if (d->choices[i] == NULL)
			goto fail;
		for (k = 0; k < n; k++)
			d->choices[i][k] = dup_str(in, 256);
		s->choices = n ? (const char *const *)d->choices[i] : NULL;
		s->description = dup_str(in, 1024);
	}
	n = frame_get_u32(in);
	if (in->bad || n > 64)
		goto fail;
	d->reqs = calloc(n + 1, sizeof(char *));
	if (d->reqs == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		d->reqs[d->n_reqs++] = dup_str(in, 256);
	d->p.requires = n ? (const char *const *)d->reqs : NULL;
	d->p.ops = d->p.kind == QD_KIND_EXCHANGE ?
		&remote_exchange_ops.base : &remote_strategy_ops.base;
	if (in->bad)
		goto fail;
	return &d->p;
fail:
	free_described(&d->p);
	return NULL;
}

int
sandbox_describe(const char *helper, const char *path,
	struct plugin_registry *r, char *err, size_t errlen)
{
	struct proxy *p = proxy_alloc();
	struct qd_plugin **list = NULL;
	struct frame_in in;
	uint32_t major, minor, n = 0, i;
	int rc = QD_ERR_INVALID;

	if (p == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return QD_ERR_NOMEM;
	}
	p->helper = strdup(helper);
	p->file = realpath(path, NULL);
	p->name = strdup("describe");
	p->instance = strdup("sandbox");
	p->ind_files = calloc(1, sizeof(char *));
	config_limits_default(&p->limits);
	p->quiet = 1;
	if (p->file == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!p->helper || !p->name || !p->instance || !p->ind_files) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (start_child(p) != 0) {
		snprintf(err, errlen, "cannot start %s: %s", helper,
			strerror(errno));
		goto out;
	}
	pump(p, is_described);
	if (p->desc == NULL) {
		if (p->fail_msg[0] != '\0')
			snprintf(err, errlen, "%s", p->fail_msg);
		else
			snprintf(err, errlen, "while loading in the sandbox: %s",
				p->why);
		goto out;
	}
	frame_in_init(&in, p->desc, p->desc_len);
	major = frame_get_u32(&in);
	minor = frame_get_u32(&in);
	n = frame_get_u32(&in);
	if (in.bad || n == 0 || n > 256 ||
	    (list = calloc(n, sizeof(*list))) == NULL) {
		snprintf(err, errlen, "malformed description");
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((list[i] = decode_plugin(&in)) == NULL)
			break;
	if (i < n || frame_in_done(&in) != 0) {
		while (i-- > 0)
			free_described(list[i]);
		free(list);
		snprintf(err, errlen, "malformed description");
		goto out;
	}
	rc = plugin_register_described(r, path, major, minor, list, n,
		free_described);
	if (rc < 0)
		snprintf(err, errlen, "refused (see the log)");
out:
	proxy_free(p);
	return rc;
}

int
sandbox_load_dir(struct plugin_registry *r, const char *helper,
	const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int loaded = 0;

	if (d == NULL) {
		log_error("loader", "cannot read sandbox plugin directory %s: "
			"%s", dir, strerror(errno));
		return QD_ERR_IO;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char path[4096], err[512];

		if (e->d_name[0] == '.' || len < 4 ||
		    strcmp(e->d_name + len - 3, ".so") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (plugin_is_loaded(r, path))
			continue;
		if (sandbox_describe(helper, path, r, err, sizeof(err)) > 0)
			loaded++;
		else if (strcmp(err, "refused (see the log)") != 0)
			plugin_add_refusal(r, path, err);
	}
	closedir(d);
	return loaded;
}
