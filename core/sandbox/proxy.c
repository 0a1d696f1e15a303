/*
 * proxy.c -- the host side of a sandboxed instance.
 *
 * A sandboxed strategy looks to host.c like any plugin: an ops table and a
 * state pointer.  Each callback becomes a call frame to the child; while the
 * call runs, the child's requests (orders, timers, state, symbols) are
 * answered with the real host API and its log lines are forwarded, until
 * F_DONE.  Everything the child sends is decoded as hostile (frame.c), with
 * a deadline per call and caps on orders and log bytes per second.  A child
 * that crashes, hangs, breaks a limit, sends a malformed frame or makes a
 * forbidden syscall is killed, the reason logged (signal name; for SIGSYS
 * the syscall by name), and restarted after an exponential backoff until
 * its restart budget is spent; then spec->on_failed() marks it failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/seccomp.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "loop/loop.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "sandbox/frame.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_child.h"

#define IOBUF (FRAME_HDR + FRAME_MAX)
#define MAX_LOG_BYTES_PER_SEC 65536   /* when limits.log_bytes_per_sec is 0 */
#define READY_TIMEOUT_MS 5000
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 30000

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
	[F_ANNOTATE] = S_ANY,
};

struct proxy {
	char *helper, *file, *name, *instance;
	char **ind_files;
	size_t n_ind;
	struct sandbox_limits limits;
	void (*on_failed)(void *, const char *);
	void *arg;
	struct loop *loop;
	const struct qd_host_api *api;
	qd_ctx *ctx;
	const qd_params *params;

	pid_t pid;
	int fd;
	int notify_sock;      /* where the child sends its listener, or -1 */
	int notify_fd;        /* the child's seccomp listener, or -1 */
	int had_listener;     /* it arrived (before any plugin code ran) */
	int alive;
	int started;          /* start() was called: redo it after restart */
	int failed;
	uint32_t seq;
	unsigned char *buf;
	unsigned restarts;
	int64_t backoff_ms;
	struct loop_timer *restart_timer;
	int violation_nr;     /* forbidden syscall read from the kernel, or -1 */
	uint32_t violation_arch;
	uint32_t done_count;  /* bars the last F_CALL_BARS processed */
	uint32_t batch_n;     /* bars in the batch being served */
	void (*batch_at)(void *, uint32_t);
	int (*batch_stop)(void *);
	int64_t order_sec, log_sec;
	unsigned orders;
	size_t log_bytes;
	char why[256];        /* why the current child is being killed */
	char why_buf[128];    /* a formatted reason for `why` pointers */
	enum call_state cs;   /* what the child may send now */
	uint32_t child_seq;   /* seq of the child's last frame */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- process -------------------------------------------------------------- */

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
	p->pid = pid;
	p->fd = sv[0];
	p->notify_sock = nv[0];
	p->notify_fd = -1;
	p->alive = 1;
	p->violation_nr = -1;
	p->child_seq = 0;
	p->had_listener = 0;
	p->cs = CS_IDLE;
	return 0;
}

/* Close the listener and its handoff socket. */
static void
close_notify(struct proxy *p)
{
	if (p->notify_sock >= 0)
		close(p->notify_sock);
	if (p->notify_fd >= 0)
		close(p->notify_fd);
	p->notify_sock = p->notify_fd = -1;
}

/*
 * The child's handoff socket is readable: take the listener fd it sends
 * (SCM_RIGHTS), or note that it closed without one.
 */
static void
take_listener(struct proxy *p)
{
	p->notify_fd = frame_recv_fd(p->notify_sock);
	p->had_listener = p->notify_fd >= 0;
	close(p->notify_sock);
	p->notify_sock = -1;
}

/*
 * The listener is readable: a syscall of the child is waiting in the
 * kernel.  Read its number and architecture from the kernel.  1 if a
 * violation was read, 0 if there was none (the child is gone).
 */
static int
take_violation(struct proxy *p)
{
	struct seccomp_notif req;

	memset(&req, 0, sizeof(req));
	if (ioctl(p->notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
		return 0;
	p->violation_nr = req.data.nr;
	p->violation_arch = req.data.arch;
	return 1;
}

/* Describe how the child ended (after waitpid). */
static void
describe_exit(struct proxy *p, int status, char *buf, size_t cap)
{
	if (p->violation_nr >= 0) {
		snprintf(buf, cap, "forbidden syscall %s (%d)",
			sandbox_syscall_name(p->violation_arch,
			p->violation_nr), p->violation_nr);
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

static void schedule_restart(struct proxy *p);

/*
 * Kill and reap the child, log why, and restart or give up.  `why` (may be
 * NULL) is the host's reason; otherwise the exit status explains it.
 */
static void
child_lost(struct proxy *p, const char *why)
{
	char how[256], line[600];
	int status = 0;

	if (!p->alive)
		return;
	p->alive = 0;
	kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	close(p->fd);
	p->fd = -1;
	close_notify(p);
	describe_exit(p, status, how, sizeof(how));
	if (why != NULL && p->violation_nr < 0)
		snprintf(line, sizeof(line), "%s; child %s", why, how);
	else
		snprintf(line, sizeof(line), "%s", how);
	memcpy(p->why, line, sizeof(p->why) - 1);
	p->why[sizeof(p->why) - 1] = '\0';
	log_error(p->instance, "sandboxed plugin %s stopped: %s", p->name,
		line);
	schedule_restart(p);
}

/* ---- frames --------------------------------------------------------------- */

static int
send_frame(struct proxy *p, struct frame_out *o)
{
	size_t n = frame_end(o), off = 0;

	if (n == 0 || !p->alive)
		return -1;
	while (off < n) {
		ssize_t w = send(p->fd, o->buf + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			child_lost(p, "the sandbox socket closed");
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/*
 * Read exactly n bytes before the deadline, watching the child's seccomp
 * listener too.  0, or -1: the reason in why, or why = NULL when the
 * child died or made a forbidden syscall (p->violation_nr).
 */
static int
read_exact(struct proxy *p, unsigned char *buf, size_t n, int64_t deadline,
	const char **why)
{
	while (n > 0) {
		struct pollfd pfd[3] = {
			{ p->fd, POLLIN, 0 },
			{ p->notify_sock, POLLIN, 0 },
			{ p->notify_fd, POLLIN, 0 },
		};
		int64_t left = deadline - mono_ms();
		ssize_t r;
		int pr;

		if (left <= 0) {
			*why = "no reply within the deadline";
			return -1;
		}
		pr = poll(pfd, 3, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			*why = "no reply within the deadline";
			return -1;
		}
		/* A violation first: the child may have written frames
		 * before it, but it is stopped in the kernel now. */
		if (pfd[2].revents & POLLIN) {
			*why = NULL;
			if (take_violation(p))
				return -1;
		}
		if (pfd[2].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			close(p->notify_fd);
			p->notify_fd = -1;
		}
		if (pfd[1].revents)
			take_listener(p);
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = read(p->fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*why = NULL;   /* the child died: its status says why */
			return -1;
		}
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
reply(struct proxy *p, int status, uint64_t value)
{
	struct frame_out o;
	int stop = p->batch_stop != NULL && p->batch_stop(p->arg);

	frame_begin(&o, p->buf, IOBUF, stop ? F_REPLY_STOP : F_REPLY,
		++p->seq);
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

/*
 * May the child send this frame now?  Its seq must follow the last one,
 * and its type be one the current call state allows.  0, or -1 with why.
 */
static int
frame_allowed(struct proxy *p, const struct frame_hdr *h, const char **why)
{
	if (h->seq != p->child_seq + 1) {
		snprintf(p->why_buf, sizeof(p->why_buf), "frame out of "
			"sequence (expected %u, got %u)", p->child_seq + 1,
			h->seq);
		*why = p->why_buf;
		return -1;
	}
	p->child_seq = h->seq;
	/* The child hands over its listener before any plugin code runs:
	 * only a failure to set up may come without it. */
	if (!p->had_listener && h->type != F_FAIL) {
		*why = "no seccomp listener from the child";
		return -1;
	}
	if (h->type >= F_TYPE_MAX || frame_states[h->type] == 0) {
		snprintf(p->why_buf, sizeof(p->why_buf), "unexpected frame %s "
			"from the child", frame_type_name(h->type));
		*why = p->why_buf;
		return -1;
	}
	if (!(frame_states[h->type] & S_(p->cs))) {
		snprintf(p->why_buf, sizeof(p->why_buf), "frame %s not allowed "
			"while %s", frame_type_name(h->type),
			call_state_name[p->cs]);
		*why = p->why_buf;
		return -1;
	}
	return 0;
}

/*
 * Handle one request from the child during a call.  Returns 0 to go on,
 * 1 when the call is done (*status set), -1 to kill the child (why set).
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
	case F_DONE:
		*status = (int32_t)frame_get_u32(in);
		p->done_count = frame_get_u32(in);
		if (p->done_count > p->batch_n) {
			*why = "F_DONE counts more bars than were sent";
			return -1;
		}
		break;
	case F_PROGRESS: {
		uint32_t idx = frame_get_u32(in);

		if (frame_in_done(in) != 0 || idx >= p->batch_n) {
			*why = "F_PROGRESS outside the batch";
			return -1;
		}
		if (p->batch_at != NULL)
			p->batch_at(p->arg, idx);
		return 0;
	}
	case F_LOG: {
		uint32_t level = frame_get_u32(in);
		const char *msg = frame_get_str(in, 4096);
		unsigned used;

		if (level > QD_LOG_DEBUG) {
			snprintf(p->why_buf, sizeof(p->why_buf), "invalid log "
				"level %u", level);
			*why = p->why_buf;
			return -1;
		}
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
		if (frame_in_done(in) == 0 && QD_API_HAS(p->api, annotate))
			p->api->annotate(p->ctx, kind, json);
		break;
	}
	case F_ORDER_SUBMIT: {
		struct qd_order_req r;
		const char *tag;

		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.symbol = frame_get_u32(in);
		r.side = (enum qd_side)frame_get_u32(in);
		r.type = (enum qd_order_type)frame_get_u32(in);
		r.tif = (enum qd_tif)frame_get_u32(in);
		r.flags = frame_get_u32(in);
		r.qty = frame_get_f64(in);
		r.price = frame_get_f64(in);
		r.stop_price = frame_get_f64(in);
		tag = frame_get_str(in, 128);
		r.tag = tag;
		if (frame_in_done(in) != 0)
			break;
		if (!within(&p->order_sec, &p->orders, 1,
		    p->limits.orders_per_sec)) {
			*why = "order flood (above limits.orders_per_sec)";
			return -1;
		}
		rc = p->api->order_submit(p->ctx, &r, &id);
		reply(p, rc, id);
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
		static unsigned char tmp[FRAME_MAX - 64];
		size_t total = 0;

		if (frame_in_done(in) != 0)
			break;
		if (cap > sizeof(tmp))
			cap = sizeof(tmp);
		rc = p->api->state_load(p->ctx, tmp, cap, &total);
		frame_begin(&o, p->buf, IOBUF, F_REPLY_DATA, ++p->seq);
		frame_put_u32(&o, (uint32_t)rc);
		if (rc == QD_OK) {
			uint64_t n = total < cap ? total : cap;

			frame_put_u64(&o, total);
			frame_put_u64(&o, n);
			frame_put(&o, tmp, n);
		}
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
		frame_begin(&o, p->buf, IOBUF, F_REPLY_POSITION, ++p->seq);
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
		frame_begin(&o, p->buf, IOBUF, F_REPLY_DATA, ++p->seq);
		frame_put_u32(&o, s ? QD_OK : (uint32_t)QD_ERR_NOTFOUND);
		if (s != NULL)
			frame_put_str(&o, s);
		send_frame(p, &o);
		return 0;
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

/*
 * Serve the child until it finishes the current call (F_DONE), within
 * `timeout_ms`.  Returns the call's status, or QD_ERR_STATE if the child
 * was lost (then it has been killed, logged and scheduled for restart).
 */
static int
serve_call(struct proxy *p, int64_t timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;

	p->cs = p->batch_n ? CS_BARS : CS_CALL;
	while (p->alive) {
		struct frame_hdr h;
		struct frame_in in;
		const char *why = NULL;
		int status = 0, r;

		if (read_exact(p, p->buf, FRAME_HDR, deadline, &why) != 0) {
			child_lost(p, why);
			break;
		}
		if (frame_check_header(p->buf, &h, &why) != 0) {
			child_lost(p, why);
			break;
		}
		if (read_exact(p, p->buf + FRAME_HDR, h.len, deadline, &why) !=
		    0) {
			child_lost(p, why ? why : "truncated frame");
			break;
		}
		frame_in_init(&in, p->buf + FRAME_HDR, h.len);
		r = handle(p, &h, &in, &status, &why);
		if (r < 0) {
			child_lost(p, why);
			break;
		}
		if (r > 0) {
			p->cs = CS_IDLE;
			return status;
		}
	}
	return QD_ERR_STATE;
}

/* Send F_INIT and wait for F_READY.  0, or -1 with the reason in err. */
static int
start_child(struct proxy *p, char *err, size_t errlen)
{
	struct frame_out o;
	struct frame_hdr h;
	struct frame_in in;
	struct qd_kv kv[256];
	const char *why = NULL;
	int64_t deadline;
	size_t i, nkv;

	if (spawn(p) != 0) {
		snprintf(err, errlen, "cannot start %s: %s", p->helper,
			strerror(errno));
		return -1;
	}
	nkv = params_to_kv(p->params, kv, 256);
	frame_begin(&o, p->buf, IOBUF, F_INIT, ++p->seq);
	frame_put_u32(&o, QD_KIND_STRATEGY);
	frame_put_u32(&o, p->limits.memory_mib);
	frame_put_u32(&o, (uint32_t)log_get_level());
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
	if (send_frame(p, &o) != 0) {
		snprintf(err, errlen, "cannot talk to the sandbox: %s", p->why);
		return -1;
	}
	/* One deadline for the whole start-up: no frame extends it. */
	deadline = mono_ms() + READY_TIMEOUT_MS;
	p->cs = CS_CREATING;
	for (;;) {
		int status = 0, r;

		if (read_exact(p, p->buf, FRAME_HDR, deadline, &why) != 0 ||
		    frame_check_header(p->buf, &h, &why) != 0 ||
		    read_exact(p, p->buf + FRAME_HDR, h.len, deadline,
		    &why) != 0) {
			child_lost(p, why ? why : "no F_READY");
			snprintf(err, errlen, "sandbox did not start: %s",
				p->why);
			return -1;
		}
		frame_in_init(&in, p->buf + FRAME_HDR, h.len);
		if ((h.type == F_READY || h.type == F_FAIL) &&
		    frame_allowed(p, &h, &why) != 0) {
			child_lost(p, why);
			snprintf(err, errlen, "sandbox did not start: %s",
				p->why);
			return -1;
		}
		if (h.type == F_READY && h.len == 0) {
			p->cs = CS_IDLE;
			return 0;
		}
		if (h.type == F_FAIL) {
			int st = (int32_t)frame_get_u32(&in);
			const char *msg = frame_get_str(&in, 1024);

			snprintf(err, errlen, "%s (%s)", msg ? msg :
				"create failed", qd_strerror(st));
			child_lost(p, "create failed");
			return -1;
		}
		/* create() may log, load state or intern symbols. */
		r = handle(p, &h, &in, &status, &why);
		if (r != 0) {
			child_lost(p, r > 0 ? "F_DONE before F_READY" : why);
			snprintf(err, errlen, "sandbox did not start: %s",
				p->why);
			return -1;
		}
	}
}

/* ---- restarts ------------------------------------------------------------- */

static void
restart_now(void *arg)
{
	struct proxy *p = arg;
	char err[512];
	struct frame_out o;

	loop_timer_cancel(p->restart_timer);
	p->restart_timer = NULL;
	if (start_child(p, err, sizeof(err)) != 0) {
		log_error(p->instance, "sandbox restart failed: %s", err);
		return;   /* child_lost() already scheduled the next try */
	}
	log_info(p->instance, "sandboxed plugin %s restarted (%u of %u)",
		p->name, p->restarts, p->limits.restarts);
	if (p->started) {
		frame_begin(&o, p->buf, IOBUF, F_CALL_START, ++p->seq);
		frame_put_i64(&o, p->api->now_ns(p->ctx));
		if (send_frame(p, &o) == 0)
			serve_call(p, p->limits.cpu_ms_per_call);
	}
}

static void
schedule_restart(struct proxy *p)
{
	if (p->failed)
		return;
	/* Without a loop (a backtest) there is no restarting: fail now. */
	if (p->loop == NULL || p->restarts >= p->limits.restarts) {
		p->failed = 1;
		log_error(p->instance, "sandboxed plugin %s failed: %u "
			"restart(s) used up; last reason: %s", p->name,
			p->restarts, p->why);
		if (p->on_failed)
			p->on_failed(p->arg, p->why);
		return;
	}
	p->restarts++;
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_FIRST_MS;
	if (p->backoff_ms > BACKOFF_MAX_MS)
		p->backoff_ms = BACKOFF_MAX_MS;
	p->restart_timer = loop_timer_add(p->loop, p->backoff_ms * 1000000, 0,
		restart_now, p);
}

/* ---- the proxy ops -------------------------------------------------------- */

static int
call_simple(struct proxy *p, uint16_t type, uint64_t id)
{
	struct frame_out o;

	if (!p->alive)
		return QD_ERR_STATE;
	frame_begin(&o, p->buf, IOBUF, type, ++p->seq);
	if (type == F_CALL_TIMER)
		frame_put_u64(&o, id);
	frame_put_i64(&o, p->api->now_ns(p->ctx));
	if (send_frame(p, &o) != 0)
		return QD_ERR_STATE;
	return serve_call(p, p->limits.cpu_ms_per_call);
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

	p->started = 1;
	return call_simple(p, F_CALL_START, 0);
}

static void
proxy_stop(void *state)
{
	struct proxy *p = state;

	p->started = 0;
	call_simple(p, F_CALL_STOP, 0);
}

static void
proxy_destroy(void *state)
{
	struct proxy *p = state;
	size_t i;

	p->failed = 1;   /* no restart from here on */
	if (p->restart_timer)
		loop_timer_cancel(p->restart_timer);
	if (p->alive) {
		int status;

		close(p->fd);   /* EOF: the child exits by itself */
		close_notify(p);
		p->alive = 0;
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	for (i = 0; i < p->n_ind; i++)
		free(p->ind_files[i]);
	free(p->ind_files);
	free(p->helper);
	free(p->file);
	free(p->name);
	free(p->instance);
	free(p->buf);
	free(p);
}

int
sandbox_on_bars(void *state, const struct qd_bar_event *evs, size_t n,
	size_t *processed)
{
	struct proxy *p = state;
	size_t done = 0;
	int rc = QD_OK;

	while (done < n && p->alive) {
		struct frame_out o;
		size_t k, batch = n - done;

		if (batch > (FRAME_MAX - 16) / 64)
			batch = (FRAME_MAX - 16) / 64;
		frame_begin(&o, p->buf, IOBUF, F_CALL_BARS, ++p->seq);
		frame_put_u32(&o, (uint32_t)batch);
		for (k = 0; k < batch; k++) {
			const struct qd_bar_event *e = &evs[done + k];

			frame_put_u32(&o, e->symbol);
			frame_put_u32(&o, e->timeframe_s);
			frame_put_i64(&o, e->bar.ts);
			frame_put_f64(&o, e->bar.open);
			frame_put_f64(&o, e->bar.high);
			frame_put_f64(&o, e->bar.low);
			frame_put_f64(&o, e->bar.close);
			frame_put_f64(&o, e->bar.volume);
			frame_put_i64(&o, e->bar.ts +
				(int64_t)e->timeframe_s * 1000000000);
		}
		p->batch_n = (uint32_t)batch;
		p->done_count = 0;
		if (send_frame(p, &o) != 0)
			break;
		rc = serve_call(p, p->limits.cpu_ms_per_call);
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

static void
proxy_on_bar(void *state, const struct qd_bar_event *ev)
{
	sandbox_on_bars(state, ev, 1, NULL);
}

static void
proxy_on_order(void *state, const struct qd_order_update *u)
{
	struct proxy *p = state;
	struct frame_out o;

	if (!p->alive)
		return;
	frame_begin(&o, p->buf, IOBUF, F_CALL_ORDER, ++p->seq);
	frame_put_u64(&o, u->order_id);
	frame_put_u32(&o, u->symbol);
	frame_put_u32(&o, (uint32_t)u->side);
	frame_put_u32(&o, (uint32_t)u->type);
	frame_put_u32(&o, (uint32_t)u->state);
	frame_put_i64(&o, u->ts);
	frame_put_f64(&o, u->qty);
	frame_put_f64(&o, u->price);
	frame_put_f64(&o, u->filled_qty);
	frame_put_f64(&o, u->avg_price);
	frame_put_f64(&o, u->last_qty);
	frame_put_f64(&o, u->last_price);
	frame_put_f64(&o, u->fee);
	if (send_frame(p, &o) == 0)
		serve_call(p, p->limits.cpu_ms_per_call);
}

static void
proxy_on_timer(void *state, uint64_t id)
{
	call_simple(state, F_CALL_TIMER, id);
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
	.on_order = proxy_on_order,
	.on_timer = proxy_on_timer,
};

int
sandbox_create(const struct sandbox_spec *spec, const struct qd_host_api *api,
	qd_ctx *ctx, const qd_params *params, const struct qd_ops **ops,
	void **state, char *err, size_t errlen)
{
	struct proxy *p;
	size_t i;

	if (spec->kind != QD_KIND_STRATEGY) {
		snprintf(err, errlen, "only strategies can run sandboxed in "
			"this version; run this %s trusted",
			spec->kind == QD_KIND_INDICATOR ? "indicator" :
			"plugin");
		return QD_ERR_UNSUPPORTED;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->buf = malloc(IOBUF)) == NULL) {
		free(p);
		return QD_ERR_NOMEM;
	}
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
	p->limits = spec->limits;
	p->on_failed = spec->on_failed;
	p->arg = spec->arg;
	p->batch_at = spec->batch_at;
	p->batch_stop = spec->batch_stop;
	p->loop = spec->loop;
	p->api = api;
	p->ctx = ctx;
	p->params = params;
	p->fd = p->notify_sock = p->notify_fd = -1;
	if (!p->helper || !p->file || !p->name || !p->instance ||
	    !p->ind_files) {
		proxy_destroy(p);
		return QD_ERR_NOMEM;
	}
	/* The first start is not retried: a plugin that cannot load or
	 * create fails its instance at once, with the reason. */
	p->failed = 1;
	if (start_child(p, err, errlen) != 0) {
		proxy_destroy(p);
		return QD_ERR_INVALID;
	}
	p->failed = 0;
	*ops = &proxy_strategy_ops.base;
	*state = p;
	return QD_OK;
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
	d->p.ops = &remote_strategy_ops;
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
	struct proxy p;
	struct frame_out o;
	struct frame_hdr h;
	struct frame_in in;
	struct qd_plugin **list = NULL;
	const char *why = NULL;
	int64_t deadline;
	uint32_t major, minor, n = 0, i;
	char *abs = realpath(path, NULL);
	int rc = QD_ERR_INVALID;

	memset(&p, 0, sizeof(p));
	p.helper = (char *)helper;
	p.name = (char *)"describe";
	p.instance = (char *)"sandbox";
	p.failed = 1;       /* no restarts */
	p.fd = p.notify_sock = p.notify_fd = -1;
	if (abs == NULL || (p.buf = malloc(IOBUF)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (spawn(&p) != 0) {
		snprintf(err, errlen, "cannot start %s: %s", helper,
			strerror(errno));
		goto out;
	}
	frame_begin(&o, p.buf, IOBUF, F_INIT, 1);
	frame_put_u32(&o, 0);
	frame_put_u32(&o, 256);
	frame_put_u32(&o, (uint32_t)QD_LOG_ERROR);
	frame_put_str(&o, abs);
	frame_put_str(&o, "");
	frame_put_u32(&o, 0);
	frame_put_u32(&o, 0);
	if (send_frame(&p, &o) != 0) {
		snprintf(err, errlen, "sandbox: %s", p.why);
		goto out;
	}
	deadline = mono_ms() + READY_TIMEOUT_MS;
	if (read_exact(&p, p.buf, FRAME_HDR, deadline, &why) != 0 ||
	    frame_check_header(p.buf, &h, &why) != 0 ||
	    read_exact(&p, p.buf + FRAME_HDR, h.len, deadline, &why) != 0) {
		child_lost(&p, why);
		snprintf(err, errlen, "while loading in the sandbox: %s",
			p.why);
		goto out;
	}
	frame_in_init(&in, p.buf + FRAME_HDR, h.len);
	p.cs = CS_DESCRIBING;
	if (frame_allowed(&p, &h, &why) != 0) {
		child_lost(&p, why);
		snprintf(err, errlen, "while loading in the sandbox: %s",
			p.why);
		goto out;
	}
	if (h.type == F_FAIL) {
		frame_get_u32(&in);
		why = frame_get_str(&in, 1024);
		snprintf(err, errlen, "%s", why ? why : "cannot load");
		child_lost(&p, NULL);
		goto out;
	}
	if (h.type != F_DESCRIBE) {
		child_lost(&p, "unexpected frame");
		snprintf(err, errlen, "while loading in the sandbox: %s",
			p.why);
		goto out;
	}
	major = frame_get_u32(&in);
	minor = frame_get_u32(&in);
	n = frame_get_u32(&in);
	if (in.bad || n == 0 || n > 256 ||
	    (list = calloc(n, sizeof(*list))) == NULL) {
		child_lost(&p, "malformed F_DESCRIBE");
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
		child_lost(&p, "malformed F_DESCRIBE");
		snprintf(err, errlen, "malformed description");
		goto out;
	}
	close(p.fd);
	close_notify(&p);
	p.alive = 0;
	while (waitpid(p.pid, NULL, 0) < 0 && errno == EINTR)
		;
	rc = plugin_register_described(r, path, major, minor, list, n,
		free_described);
	if (rc < 0)
		snprintf(err, errlen, "refused (see the log)");
out:
	free(p.buf);
	free(abs);
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
