/*
 * child.c -- quantd-sandbox: runs one strategy instance confined.
 *
 * Started by the host with fork+execve, an empty environment, the
 * socketpair end on fd 3 and a one-shot datagram socket on fd 4.  Order
 * (each step before the next can run plugin code): close every other fd;
 * read F_INIT; a private file system holding only the modules (user and
 * mount namespaces; without them the child refuses to run: fail closed);
 * rlimits and, for the daemon's children, SCHED_IDLE; no_new_privs and not
 * dumpable; the one seccomp filter (filter.c),
 * whose listener fd goes to the host on fd 4 before fd 4 is closed;
 * dlopen() of the plugin and its indicator modules (constructors run here,
 * under the final filter); create the instance; answer F_READY; then serve
 * calls.  A forbidden syscall stops the child in the kernel until the host
 * (which reads the number from the listener) kills it: nothing the plugin
 * does can forge or hide that reason.
 *
 * The host API seen by the plugin is this file's table: calls that return
 * something are requests answered by the host; log lines are one-way
 * frames; indicators run here, locally, with no round trip.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log/log.h"
#include "plugin/indicator.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "sandbox/frame.h"
#include "sandbox/sandbox_child.h"

#define MAX_INDICATOR_FILES 16
#define MAX_PARAMS 256
#define MAX_SYMBOLS 4096
#define IOBUF (FRAME_HDR + FRAME_MAX)

static unsigned char inbuf[IOBUF];
static unsigned char replybuf[IOBUF];  /* answers to the child's requests */
static unsigned char outbuf[IOBUF];
static uint32_t seq;
static int64_t sim_now;
static struct plugin_registry *reg;
static const struct qd_strategy_ops *ops;     /* a strategy, or NULL */
static const struct qd_exchange_ops *xops;    /* an exchange, or NULL */
static const struct qd_ops *bops;             /* either one's base */
static uint32_t child_kind;
/* Inside on_http_response: the answer's headers ("name\0value\0"...). */
static const char *http_hdrs;
static size_t http_hlen;
static int in_http;
static void *state;
static char *symbol_names[MAX_SYMBOLS];
/* Inside a F_CALL_BARS batch: which bar, whether the host was told, and
 * whether it asked to stop after this bar. */
static int in_bars, progress_sent, stop_batch;
static uint32_t bar_index;
/* Inside an F_CALL_BATCH's bars: the position the host sent (of pos_sym,
 * 0: none), answered here with the bar's close as the mark, and the id the
 * host gives its next order (0: orders are requests, not deferred). */
static qd_symbol pos_sym;
static double pos_qty, pos_avg, pos_realized, bar_close;
static uint64_t next_order_id;
/* The host's log level: lines it would drop are not sent at all. */
static int log_level = QD_LOG_DEBUG;
static struct qd_indicator *indicators[1024];
static size_t n_indicators;

static void __attribute__((noreturn))
die(int status)
{
	syscall(SYS_exit_group, status);
	for (;;)
		;
}

/* Write all of buf to the host or die: the host is gone or broken. */
static void
send_all(const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(SANDBOX_FD, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die(SANDBOX_EXIT_PROTOCOL);
		buf += w;
		len -= (size_t)w;
	}
}

/*
 * Bytes read from the host ahead of the frame being read: a small frame
 * and the ones behind it come in one read(), a large one's rest straight
 * into the frame's buffer.
 */
static unsigned char ahead[65536];
static size_t ahead_off, ahead_len;
/* A backtest's child polls for the next frame before it sleeps
 * (SANDBOX_POLL_US). */
static int poll_first;

/* One read() of at most len bytes into buf: how many came (> 0), or the
 * end: the host closed (a clean end) or the socket broke. */
static size_t
read_some(unsigned char *buf, size_t len)
{
	if (poll_first) {
		int64_t end = sandbox_mono_us() + SANDBOX_POLL_US;

		do {
			ssize_t r = recv(SANDBOX_FD, buf, len, MSG_DONTWAIT);

			if (r > 0)
				return (size_t)r;
			if (r == 0)
				die(0);
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				die(SANDBOX_EXIT_PROTOCOL);
		} while (sandbox_mono_us() < end);
	}
	for (;;) {
		ssize_t r = read(SANDBOX_FD, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			die(0);        /* the host closed: a clean end */
		if (r < 0)
			die(SANDBOX_EXIT_PROTOCOL);
		return (size_t)r;
	}
}

static void
read_all(unsigned char *buf, size_t len)
{
	size_t k = ahead_len - ahead_off < len ? ahead_len - ahead_off : len;

	memcpy(buf, ahead + ahead_off, k);
	ahead_off += k;
	buf += k;
	len -= k;
	if (len > 0 && len < sizeof(ahead)) {
		/* Ahead is empty: fill it with what there is (at least len). */
		ahead_off = ahead_len = 0;
		while (ahead_len < len)
			ahead_len += read_some(ahead + ahead_len,
				sizeof(ahead) - ahead_len);
		memcpy(buf, ahead, len);
		ahead_off = len;
		return;
	}
	while (len > 0) {
		k = read_some(buf, len);
		buf += k;
		len -= k;
	}
}

/* Read one frame from the host into buf (IOBUF bytes); returns the
 * payload. */
static struct frame_hdr
read_frame_into(unsigned char *buf, struct frame_in *in)
{
	struct frame_hdr h;
	const char *why;

	read_all(buf, FRAME_HDR);
	if (frame_check_header(buf, &h, &why) != 0)
		die(SANDBOX_EXIT_PROTOCOL);
	read_all(buf + FRAME_HDR, h.len);
	frame_in_init(in, buf + FRAME_HDR, h.len);
	return h;
}

/* A call from the host, into inbuf. */
static struct frame_hdr
read_frame(struct frame_in *in)
{
	return read_frame_into(inbuf, in);
}

/*
 * Inside an F_CALL_BATCH, frames that need no answer (log lines, progress,
 * deferred orders) wait here and leave in one write: before a request, or
 * with the batch's F_DONE.
 */
static unsigned char held[65536];
static size_t held_len;
static int holding;

static void
send_held(void)
{
	if (held_len > 0)
		send_all(held, held_len);
	held_len = 0;
}

/* Send a frame, numbering it in the order frames leave (a request built
 * before a progress frame is sent after it). */
static void
send_frame(struct frame_out *o)
{
	size_t n = frame_end(o);
	uint32_t s = ++seq;

	if (n == 0)
		die(SANDBOX_EXIT_PROTOCOL);
	memcpy(o->buf + 8, &s, sizeof(s));
	if (holding && n <= sizeof(held)) {
		if (held_len + n > sizeof(held))
			send_held();
		memcpy(held + held_len, o->buf, n);
		held_len += n;
		return;
	}
	send_held();
	send_all(o->buf, n);
}
/*
 * Send a request and wait for its reply, which must be the next frame.
 * Returns the reply's type; *in reads its payload after the status.
 */
/*
 * Inside a batch of bars, tell the host which bar the frames that follow
 * belong to (once per bar), so its clock is that bar's when it handles them.
 */
static void
report_progress(void)
{
	unsigned char b[FRAME_HDR + 4];
	struct frame_out p;

	if (!in_bars || progress_sent)
		return;
	frame_begin(&p, b, sizeof(b), F_PROGRESS, 0);
	frame_put_u32(&p, bar_index);
	send_frame(&p);
	progress_sent = 1;
}

static int
request(struct frame_out *o, struct frame_in *in, int *status)
{
	struct frame_hdr h;

	report_progress();
	send_frame(o);
	send_held();
	/* Into a buffer of its own: the call being served (a batch of bars
	 * the plugin is still reading, an update's strings) stays intact
	 * whatever the size of the answer. */
	h = read_frame_into(replybuf, in);
	if (h.type == F_REPLY_STOP) {
		stop_batch = 1;
		h.type = F_REPLY;
	}
	if (h.type != F_REPLY && h.type != F_REPLY_DATA &&
	    h.type != F_REPLY_POSITION)
		die(SANDBOX_EXIT_PROTOCOL);
	*status = (int32_t)frame_get_u32(in);
	return h.type;
}

static void
begin(struct frame_out *o, uint16_t type)
{
	frame_begin(o, outbuf, sizeof(outbuf), type, 0);
}

/* ---- the host API inside the child ---------------------------------------- */

static void
c_log(qd_ctx *ctx, enum qd_log_level level, const char *fmt, ...)
{
	char msg[4096];
	struct frame_out o;
	va_list ap;

	(void)ctx;
	if ((unsigned)level > QD_LOG_DEBUG)
		level = QD_LOG_ERROR;   /* as the host's runtime does */
	if ((int)level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	begin(&o, F_LOG);
	frame_put_u32(&o, (uint32_t)level);
	frame_put_str(&o, msg);
	send_frame(&o);
}

static int64_t
c_now(qd_ctx *ctx)
{
	(void)ctx;
	return sim_now;
}

static qd_symbol
c_symbol_intern(qd_ctx *ctx, const char *name)
{
	struct frame_out o;
	struct frame_in in;
	int st;
	uint64_t v;

	(void)ctx;
	if (name == NULL || strlen(name) > 64)
		return 0;
	begin(&o, F_SYMBOL_INTERN);
	frame_put_str(&o, name);
	request(&o, &in, &st);
	v = frame_get_u64(&in);
	return st == QD_OK && v < MAX_SYMBOLS ? (qd_symbol)v : 0;
}

static const char *
c_symbol_name(qd_ctx *ctx, qd_symbol sym)
{
	struct frame_out o;
	struct frame_in in;
	const char *s;
	int st;

	(void)ctx;
	if (sym == 0 || sym >= MAX_SYMBOLS)
		return NULL;
	if (symbol_names[sym] != NULL)
		return symbol_names[sym];
	begin(&o, F_SYMBOL_NAME);
	frame_put_u32(&o, sym);
	if (request(&o, &in, &st) != F_REPLY_DATA || st != QD_OK)
		return NULL;
	s = frame_get_str(&in, 64);
	if (s == NULL)
		die(SANDBOX_EXIT_PROTOCOL);
	symbol_names[sym] = strdup(s);
	return symbol_names[sym];
}

static int
simple_request(uint16_t type, uint64_t a, uint64_t b, uint64_t *out)
{
	struct frame_out o;
	struct frame_in in;
	int st;

	begin(&o, type);
	if (type == F_SUBSCRIBE || type == F_POSITION_GET) {
		frame_put_u32(&o, (uint32_t)a);
		if (type == F_SUBSCRIBE)
			frame_put_u32(&o, (uint32_t)b);
	} else if (type == F_TIMER_ADD) {
		frame_put_i64(&o, (int64_t)a);
		frame_put_i64(&o, (int64_t)b);
	} else if (type != F_ACCOUNT_GET) {
		frame_put_u64(&o, a);
	}
	request(&o, &in, &st);
	if (out != NULL)
		*out = frame_get_u64(&in);
	return st;
}

static int
c_timer_add(qd_ctx *ctx, int64_t after, int64_t interval, uint64_t *id)
{
	(void)ctx;
	return simple_request(F_TIMER_ADD, (uint64_t)after, (uint64_t)interval,
		id);
}

static int
c_timer_cancel(qd_ctx *ctx, uint64_t id)
{
	(void)ctx;
	return simple_request(F_TIMER_CANCEL, id, 0, NULL);
}

static int
c_state_save(qd_ctx *ctx, const void *buf, size_t len)
{
	struct frame_out o;
	struct frame_in in;
	int st;

	(void)ctx;
	if (len > FRAME_MAX - 64)
		return QD_ERR_LIMIT;
	begin(&o, F_STATE_SAVE);
	frame_put_u64(&o, len);
	frame_put(&o, buf, len);
	request(&o, &in, &st);
	return st;
}

static int
c_state_load(qd_ctx *ctx, void *buf, size_t cap, size_t *len)
{
	struct frame_out o;
	struct frame_in in;
	uint64_t total, n;
	const void *p;
	int st;

	(void)ctx;
	begin(&o, F_STATE_LOAD);
	frame_put_u64(&o, cap);
	if (request(&o, &in, &st) != F_REPLY_DATA || st != QD_OK)
		return st != QD_OK ? st : QD_ERR_INTERNAL;
	total = frame_get_u64(&in);
	n = frame_get_u64(&in);
	if (n > cap || (p = frame_get_bytes(&in, n)) == NULL)
		die(SANDBOX_EXIT_PROTOCOL);
	memcpy(buf, p, n);
	if (len)
		*len = total;
	return QD_OK;
}

static int
c_indicator_new(qd_ctx *ctx, const char *name, const struct qd_kv *kv,
	uint32_t n, qd_indicator **out)
{
	char err[512];
	qd_indicator *ind;

	if (n_indicators == sizeof(indicators) / sizeof(indicators[0]))
		return QD_ERR_LIMIT;
	ind = indicator_new(reg, name, kv, n, err, sizeof(err));
	if (ind == NULL) {
		c_log(ctx, QD_LOG_ERROR, "indicator_new: %s", err);
		return QD_ERR_INVALID;
	}
	indicators[n_indicators++] = ind;
	*out = ind;
	return QD_OK;
}

static void
c_indicator_free(qd_indicator *ind)
{
	size_t i;

	for (i = 0; i < n_indicators; i++)
		if (indicators[i] == ind) {
			indicator_free(ind);
			indicators[i] = indicators[--n_indicators];
			return;
		}
}

static int
c_subscribe(qd_ctx *ctx, qd_symbol sym, uint32_t tf)
{
	(void)ctx;
	return simple_request(F_SUBSCRIBE, sym, tf, NULL);
}

/*
 * May this order go with the batch's answer instead of a request?  Inside
 * a batch's bars that allow it: a market order, good till cancelled, no
 * flags, on the batch's symbol, a side, and a quantity the host neither
 * refuses nor rounds to nothing -- the orders paper_submit accepts, so the
 * id and the QD_OK the plugin is given are the host's.  The host checks
 * both (F_ORDER_DEFER) and stops a child that promised otherwise.
 */
static int
deferrable(const struct qd_order_req *r)
{
	return in_bars && next_order_id != 0 && pos_sym != 0 &&
		r->symbol == pos_sym && r->type == QD_ORDER_MARKET &&
		r->tif == QD_TIF_GTC && r->flags == 0 &&
		(r->side == QD_SIDE_BUY || r->side == QD_SIDE_SELL) &&
		r->qty >= 1e-7 && r->qty <= 1e9;
}

static int
c_order_submit(qd_ctx *ctx, const struct qd_order_req *r, uint64_t *id)
{
	struct frame_out o;
	struct frame_in in;
	int st;
	uint64_t v;

	(void)ctx;
	if (r == NULL || r->size < offsetof(struct qd_order_req, trail))
		return QD_ERR_INVALID;
	if (deferrable(r)) {
		/* A plain market order on the batch's symbol, which the host
		 * accepts (the rules are paper_submit's): its id is known, so
		 * it goes with the batch's answer, and the batch ends after
		 * this bar (it fills on the next). */
		report_progress();
		begin(&o, F_ORDER_DEFER);
		frame_put_u64(&o, next_order_id);
		frame_put_order_req(&o, r);
		send_frame(&o);
		if (id != NULL)
			*id = next_order_id;
		next_order_id++;
		stop_batch = 1;
		return QD_OK;
	}
	begin(&o, F_ORDER_SUBMIT);
	frame_put_order_req(&o, r);
	request(&o, &in, &st);
	v = frame_get_u64(&in);
	if (st == QD_OK && id != NULL)
		*id = v;
	/* The host's next id follows this one; after a refusal it is not
	 * known (the refused order may have spent one). */
	if (next_order_id != 0)
		next_order_id = st == QD_OK ? v + 1 : 0;
	return st;
}

static int
c_order_cancel(qd_ctx *ctx, uint64_t id)
{
	(void)ctx;
	return simple_request(F_ORDER_CANCEL, id, 0, NULL);
}

static int
c_position_get(qd_ctx *ctx, qd_symbol sym, struct qd_position *out)
{
	struct frame_out o;
	struct frame_in in;
	int st;

	(void)ctx;
	if (out == NULL || out->size < sizeof(*out))
		return QD_ERR_INVALID;
	if (in_bars && sym != 0 && sym == pos_sym) {
		/* The batch's position (it changes only with fills, on the
		 * bar after an order ends a batch), marked at this bar's
		 * close as the host's r_position_get marks it. */
		out->symbol = sym;
		out->qty = pos_qty;
		out->avg_price = pos_avg;
		out->realized_pnl = pos_realized;
		out->unrealized_pnl = pos_qty != 0 && bar_close > 0 ?
			pos_qty * (bar_close - pos_avg) : 0;
		return QD_OK;
	}
	begin(&o, F_POSITION_GET);
	frame_put_u32(&o, sym);
	if (request(&o, &in, &st) != F_REPLY_POSITION || st != QD_OK)
		return st != QD_OK ? st : QD_ERR_INTERNAL;
	out->symbol = sym;
	out->qty = frame_get_f64(&in);
	out->avg_price = frame_get_f64(&in);
	out->realized_pnl = frame_get_f64(&in);
	out->unrealized_pnl = frame_get_f64(&in);
	return QD_OK;
}

static int
c_account_get(qd_ctx *ctx, struct qd_account *out)
{
	struct frame_out o;
	struct frame_in in;
	int st;

	(void)ctx;
	if (out == NULL || out->size < sizeof(*out))
		return QD_ERR_INVALID;
	begin(&o, F_ACCOUNT_GET);
	if (request(&o, &in, &st) != F_REPLY_POSITION || st != QD_OK)
		return st != QD_OK ? st : QD_ERR_INTERNAL;
	out->cash = frame_get_f64(&in);
	out->equity = frame_get_f64(&in);
	out->fees_paid = frame_get_f64(&in);
	frame_get_f64(&in);
	return QD_OK;
}

/* An order's strings, kept until the next order_get. */
static char og_reason[257], og_trade[97], og_client[41];

static int
c_order_get(qd_ctx *ctx, uint64_t id, struct qd_order_update *out)
{
	struct frame_out o;
	struct frame_in in;
	struct qd_order_update u;
	uint32_t size;
	int st;

	(void)ctx;
	if (out == NULL || out->size < offsetof(struct qd_order_update,
	    trade_id))
		return QD_ERR_INVALID;
	begin(&o, F_ORDER_GET);
	frame_put_u64(&o, id);
	if (request(&o, &in, &st) != F_REPLY_DATA)
		die(SANDBOX_EXIT_PROTOCOL);
	if (st != QD_OK)
		return st;
	frame_get_order_update(&in, &u);
	if (frame_in_done(&in) != 0)
		die(SANDBOX_EXIT_PROTOCOL);
	/* The reply's buffer is the next request's: copy the strings. */
	if (u.reason != NULL) {
		snprintf(og_reason, sizeof(og_reason), "%s", u.reason);
		u.reason = og_reason;
	}
	if (u.trade_id != NULL) {
		snprintf(og_trade, sizeof(og_trade), "%s", u.trade_id);
		u.trade_id = og_trade;
	}
	if (u.client_id != NULL) {
		snprintf(og_client, sizeof(og_client), "%s", u.client_id);
		u.client_id = og_client;
	}
	size = out->size < sizeof(u) ? out->size : sizeof(u);
	u.size = size;
	memcpy(out, &u, size);
	return QD_OK;
}

static int
c_orders_open(qd_ctx *ctx, uint64_t *ids, size_t cap, size_t *n)
{
	struct frame_out o;
	struct frame_in in;
	uint64_t total, k, i;
	int st;

	(void)ctx;
	if (n == NULL || (ids == NULL && cap > 0))
		return QD_ERR_INVALID;
	begin(&o, F_ORDERS_OPEN);
	frame_put_u64(&o, cap);
	if (request(&o, &in, &st) != F_REPLY_DATA)
		die(SANDBOX_EXIT_PROTOCOL);
	if (st != QD_OK)
		return st;
	total = frame_get_u64(&in);
	k = frame_get_u64(&in);
	if (k > cap || k > total)
		die(SANDBOX_EXIT_PROTOCOL);
	for (i = 0; i < k; i++)
		ids[i] = frame_get_u64(&in);
	if (frame_in_done(&in) != 0)
		die(SANDBOX_EXIT_PROTOCOL);
	*n = (size_t)total;
	return QD_OK;
}

static int
c_size_order(qd_ctx *ctx, qd_symbol sym, int method, double value,
	double price, double stop, double *qty)
{
	struct frame_out o;
	struct frame_in in;
	int st;

	(void)ctx;
	if (qty == NULL)
		return QD_ERR_INVALID;
	*qty = 0;
	begin(&o, F_SIZE_ORDER);
	frame_put_u32(&o, sym);
	frame_put_u32(&o, (uint32_t)method);
	frame_put_f64(&o, value);
	frame_put_f64(&o, price);
	frame_put_f64(&o, stop);
	if (request(&o, &in, &st) != F_REPLY_POSITION)
		die(SANDBOX_EXIT_PROTOCOL);
	*qty = frame_get_f64(&in);
	return st;
}

/* A request whose reply is F_REPLY with a u64 (ids). */
static int
request_id(struct frame_out *o, uint64_t *id)
{
	struct frame_in in;
	uint64_t v;
	int st;

	request(o, &in, &st);
	v = frame_get_u64(&in);
	if (st == QD_OK && id != NULL)
		*id = v;
	return st;
}

/* Headers as the frames carry them; -1 if they cannot. */
static int
put_headers(struct frame_out *o, const struct qd_kv *h, uint32_t n)
{
	uint32_t i;

	if (n > 64 || (h == NULL && n > 0))
		return -1;
	frame_put_u32(o, n);
	for (i = 0; i < n; i++) {
		if (h[i].key == NULL || h[i].value == NULL ||
		    strlen(h[i].key) > 256 || strlen(h[i].value) > 4096)
			return -1;
		frame_put_str(o, h[i].key);
		frame_put_str(o, h[i].value);
	}
	return 0;
}

static int
c_ws_open(qd_ctx *ctx, const char *url, const struct qd_kv *h, uint32_t n,
	uint64_t *conn)
{
	struct frame_out o;

	(void)ctx;
	if (url == NULL || strlen(url) > 4096)
		return QD_ERR_INVALID;
	begin(&o, F_WS_OPEN);
	frame_put_str(&o, url);
	if (put_headers(&o, h, n) != 0)
		return QD_ERR_INVALID;
	return request_id(&o, conn);
}

static int
c_ws_send(qd_ctx *ctx, uint64_t conn, const char *data, size_t len)
{
	struct frame_out o;

	(void)ctx;
	if (data == NULL && len > 0)
		return QD_ERR_INVALID;
	if (len > FRAME_MAX - 64)
		return QD_ERR_LIMIT;
	begin(&o, F_WS_SEND);
	frame_put_u64(&o, conn);
	frame_put_u64(&o, len);
	frame_put(&o, data, len);
	return request_id(&o, NULL);
}

static int
c_ws_close(qd_ctx *ctx, uint64_t conn)
{
	struct frame_out o;

	(void)ctx;
	begin(&o, F_WS_CLOSE);
	frame_put_u64(&o, conn);
	return request_id(&o, NULL);
}

static int
c_http_request(qd_ctx *ctx, const struct qd_http_request *r, uint64_t *id)
{
	struct frame_out o;

	(void)ctx;
	if (r == NULL || r->size < sizeof(*r) || r->method == NULL ||
	    r->url == NULL || strlen(r->method) > 16 ||
	    strlen(r->url) > 4096 || (r->body == NULL && r->body_len > 0))
		return QD_ERR_INVALID;
	if (r->body_len > FRAME_MAX / 2)
		return QD_ERR_LIMIT;
	begin(&o, F_HTTP_REQUEST);
	frame_put_str(&o, r->method);
	frame_put_str(&o, r->url);
	if (put_headers(&o, r->headers, r->n_headers) != 0)
		return QD_ERR_INVALID;
	frame_put_u64(&o, r->body_len);
	frame_put(&o, r->body, r->body_len);
	frame_put_i64(&o, r->timeout_ns);
	return request_id(&o, id);
}

/* The headers the host passed with the answer being handled. */
static int
c_http_header(qd_ctx *ctx, const char *name, char *buf, size_t cap)
{
	const char *p = http_hdrs, *end = http_hdrs + http_hlen;

	(void)ctx;
	if (name == NULL || buf == NULL || cap == 0)
		return QD_ERR_INVALID;
	if (!in_http)
		return QD_ERR_STATE;
	while (p != NULL && p < end) {
		const char *v = p + strlen(p) + 1;
		size_t n = strlen(v);

		if (strcasecmp(p, name) == 0) {
			if (n >= cap) {
				memcpy(buf, v, cap - 1);
				buf[cap - 1] = '\0';
				return QD_ERR_LIMIT;
			}
			memcpy(buf, v, n + 1);
			return QD_OK;
		}
		p = v + n + 1;
	}
	return QD_ERR_NOTFOUND;
}

/* Recorded market data: asked of the host, which checks the source
 * against this instance's configuration. */
static int
c_history_open(qd_ctx *ctx, const char *source, uint32_t *tf, uint64_t *cur)
{
	struct frame_out o;
	struct frame_in in;
	int st;

	(void)ctx;
	if (source == NULL || tf == NULL || cur == NULL || strlen(source) > 255)
		return QD_ERR_INVALID;
	begin(&o, F_HISTORY_OPEN);
	frame_put_str(&o, source);
	if (request(&o, &in, &st) != F_REPLY_DATA)
		die(SANDBOX_EXIT_PROTOCOL);
	*tf = frame_get_u32(&in);
	*cur = frame_get_u64(&in);
	if (frame_in_done(&in) != 0)
		die(SANDBOX_EXIT_PROTOCOL);
	return st;
}

static int
c_history_next(qd_ctx *ctx, uint64_t cur, struct qd_history_row *rows,
	size_t cap, size_t *n)
{
	struct frame_out o;
	struct frame_in in;
	uint64_t k, i;
	int st;

	(void)ctx;
	if (n == NULL || (rows == NULL && cap > 0))
		return QD_ERR_INVALID;
	*n = 0;
	begin(&o, F_HISTORY_NEXT);
	frame_put_u64(&o, cur);
	frame_put_u64(&o, cap);
	if (request(&o, &in, &st) != F_REPLY_DATA)
		die(SANDBOX_EXIT_PROTOCOL);
	k = frame_get_u64(&in);
	if (k > cap)
		die(SANDBOX_EXIT_PROTOCOL);
	for (i = 0; i < k; i++)
		frame_get_history_row(&in, &rows[i]);
	if (frame_in_done(&in) != 0)
		die(SANDBOX_EXIT_PROTOCOL);
	*n = (size_t)k;
	return st;
}

static void
c_history_close(qd_ctx *ctx, uint64_t cur)
{
	struct frame_out o;
	struct frame_in in;
	int st;

	(void)ctx;
	begin(&o, F_HISTORY_CLOSE);
	frame_put_u64(&o, cur);
	request(&o, &in, &st);
}

static int
c_secret_get(qd_ctx *ctx, const char *name, char *buf, size_t cap)
{
	struct frame_out o;
	struct frame_in in;
	const char *v;
	int st;

	(void)ctx;
	if (name == NULL || buf == NULL || cap == 0 || strlen(name) > 256)
		return QD_ERR_INVALID;
	begin(&o, F_SECRET_GET);
	frame_put_str(&o, name);
	frame_put_u64(&o, cap);
	if (request(&o, &in, &st) != F_REPLY_DATA || st != QD_OK)
		return st != QD_OK ? st : QD_ERR_INTERNAL;
	if ((v = frame_get_str(&in, cap - 1)) == NULL)
		die(SANDBOX_EXIT_PROTOCOL);
	memcpy(buf, v, strlen(v) + 1);
	return QD_OK;
}

static int
c_hmac(qd_ctx *ctx, enum qd_hash hash, const void *key, size_t key_len,
	const void *msg, size_t msg_len, unsigned char *out, size_t *out_len)
{
	struct frame_out o;
	struct frame_in in;
	const void *mac;
	uint64_t n;
	int st;

	(void)ctx;
	if (out == NULL || out_len == NULL || (key == NULL && key_len) ||
	    (msg == NULL && msg_len))
		return QD_ERR_INVALID;
	if (key_len + msg_len > FRAME_MAX - 64)
		return QD_ERR_LIMIT;
	begin(&o, F_HMAC);
	frame_put_u32(&o, (uint32_t)hash);
	frame_put_u64(&o, key_len);
	frame_put(&o, key, key_len);
	frame_put_u64(&o, msg_len);
	frame_put(&o, msg, msg_len);
	frame_put_u64(&o, *out_len);
	if (request(&o, &in, &st) != F_REPLY_DATA || st != QD_OK)
		return st != QD_OK ? st : QD_ERR_INTERNAL;
	n = frame_get_u64(&in);
	if (n > *out_len || (mac = frame_get_bytes(&in, n)) == NULL)
		die(SANDBOX_EXIT_PROTOCOL);
	memcpy(out, mac, n);
	*out_len = n;
	return QD_OK;
}

static int
c_sign(qd_ctx *ctx, const struct qd_sign_req *r, char *out, size_t cap,
	size_t *out_len)
{
	struct frame_out o;
	struct frame_in in;
	const char *v;
	int st;

	(void)ctx;
	if (r == NULL || r->size < sizeof(*r) || r->secret == NULL ||
	    strlen(r->secret) > 256 || out == NULL || cap == 0 ||
	    (r->msg == NULL && r->msg_len) || (r->msg2 == NULL && r->msg2_len))
		return QD_ERR_INVALID;
	if (r->msg_len + r->msg2_len > FRAME_MAX - 512)
		return QD_ERR_LIMIT;
	begin(&o, F_SIGN);
	frame_put_u32(&o, (uint32_t)r->alg);
	frame_put_u32(&o, (uint32_t)r->enc);
	frame_put_str(&o, r->secret);
	frame_put_u64(&o, r->msg_len);
	frame_put(&o, r->msg, r->msg_len);
	frame_put_u64(&o, r->msg2_len);
	frame_put(&o, r->msg2, r->msg2_len);
	frame_put_u64(&o, cap);
	if (request(&o, &in, &st) != F_REPLY_DATA || st != QD_OK)
		return st != QD_OK ? st : QD_ERR_INTERNAL;
	if ((v = frame_get_str(&in, cap - 1)) == NULL)
		die(SANDBOX_EXIT_PROTOCOL);
	memcpy(out, v, strlen(v) + 1);
	if (out_len != NULL)
		*out_len = strlen(v);
	return QD_OK;
}

static void
c_emit_balance(qd_ctx *ctx, const struct qd_balance *b)
{
	struct frame_out o;

	(void)ctx;
	if (b == NULL || b->size < sizeof(*b) || b->asset == NULL ||
	    strlen(b->asset) > 15)
		return;
	report_progress();
	begin(&o, F_EMIT_BALANCE);
	frame_put_str(&o, b->asset);
	frame_put_f64(&o, b->total);
	frame_put_f64(&o, b->free);
	frame_put_i64(&o, b->ts);
	frame_put_u32(&o, b->last ? 1 : 0);
	send_frame(&o);
}

static void
c_emit_trade(qd_ctx *ctx, const struct qd_trade_event *e)
{
	struct frame_out o;

	(void)ctx;
	if (e == NULL || e->size < sizeof(*e))
		return;
	report_progress();
	begin(&o, F_EMIT_TRADE);
	frame_put_trade(&o, e);
	send_frame(&o);
}

static void
c_emit_bar(qd_ctx *ctx, const struct qd_bar_event *e)
{
	struct frame_out o;

	(void)ctx;
	if (e == NULL || e->size < sizeof(*e))
		return;
	report_progress();
	begin(&o, F_EMIT_BAR);
	frame_put_bar_event(&o, e);
	send_frame(&o);
}

static void
c_emit_book_top(qd_ctx *ctx, const struct qd_book_top_event *e)
{
	struct frame_out o;

	(void)ctx;
	if (e == NULL || e->size < sizeof(*e))
		return;
	report_progress();
	begin(&o, F_EMIT_BOOK_TOP);
	frame_put_book_top(&o, e);
	send_frame(&o);
}

static void
c_emit_instrument(qd_ctx *ctx, const struct qd_instrument *x)
{
	struct frame_out o;

	(void)ctx;
	if (x == NULL || x->size < sizeof(*x) || x->native == NULL ||
	    strlen(x->native) > 63)
		return;
	report_progress();
	begin(&o, F_EMIT_INSTRUMENT);
	frame_put_u32(&o, x->symbol);
	frame_put_str(&o, x->native);
	frame_put_opt_str(&o, x->tick && strlen(x->tick) < 32 ? x->tick : NULL);
	frame_put_opt_str(&o, x->lot && strlen(x->lot) < 32 ? x->lot : NULL);
	frame_put_opt_str(&o, x->min_qty && strlen(x->min_qty) < 32 ?
		x->min_qty : NULL);
	frame_put_opt_str(&o, x->min_notional &&
		strlen(x->min_notional) < 32 ? x->min_notional : NULL);
	frame_put_opt_str(&o, x->status && strlen(x->status) < 24 ?
		x->status : NULL);
	frame_put_u32(&o, (uint32_t)(x->trading != 0));
	send_frame(&o);
}

static void
c_emit_order_update(qd_ctx *ctx, const struct qd_order_update *u)
{
	struct frame_out o;

	(void)ctx;
	if (u == NULL || u->size < offsetof(struct qd_order_update, trade_id))
		return;
	report_progress();
	begin(&o, F_EMIT_ORDER_UPDATE);
	frame_put_order_update(&o, u);
	send_frame(&o);
}

static void
done_frame(uint16_t type, uint64_t req, int status, const char *detail)
{
	struct frame_out o;

	report_progress();
	begin(&o, type);
	frame_put_u64(&o, req);
	frame_put_u32(&o, (uint32_t)status);
	frame_put_opt_str(&o, detail && strlen(detail) <= 1024 ? detail :
		detail ? "(detail longer than 1024 bytes)" : NULL);
	send_frame(&o);
}

/* Only notifiers send mail, and they do not run sandboxed. */
static int
c_mail_send(qd_ctx *ctx, const struct qd_mail *m, uint64_t *req_id)
{
	(void)ctx;
	(void)m;
	(void)req_id;
	return QD_ERR_UNSUPPORTED;
}

static void
c_notify_done(qd_ctx *ctx, uint64_t req, int status, const char *detail)
{
	(void)ctx;
	done_frame(F_NOTIFY_DONE, req, status, detail);
}

static void
c_payment_done(qd_ctx *ctx, uint64_t req, int status, const char *ref)
{
	(void)ctx;
	done_frame(F_PAYMENT_DONE, req, status, ref);
}

static int
c_annotate(qd_ctx *ctx, const char *kind, const char *json)
{
	struct frame_out o;
	struct frame_in in;
	int st;

	(void)ctx;
	if (kind == NULL || json == NULL || strlen(kind) > 64 ||
	    strlen(json) > 4096)
		return QD_ERR_INVALID;
	/* A request: the host's runtime checks it (stamped with its bar's
	 * time: request() reports the progress first). */
	begin(&o, F_ANNOTATE);
	frame_put_str(&o, kind);
	frame_put_str(&o, json);
	request(&o, &in, &st);
	return st;
}

static const struct qd_host_api child_api = {
	.size = sizeof(struct qd_host_api),
	.abi_major = QD_ABI_MAJOR,
	.abi_minor = QD_ABI_MINOR,
	.log = c_log,
	.now_ns = c_now,
	.param_int = params_int,
	.param_double = params_double,
	.param_bool = params_bool,
	.param_string = params_string,
	.symbol_intern = c_symbol_intern,
	.symbol_name = c_symbol_name,
	.timer_add = c_timer_add,
	.timer_cancel = c_timer_cancel,
	.state_save = c_state_save,
	.state_load = c_state_load,
	.indicator_new = c_indicator_new,
	.indicator_update = indicator_update,
	.indicator_outputs = indicator_outputs,
	.indicator_output_name = indicator_output_name,
	.indicator_lookback = indicator_lookback,
	.indicator_free = c_indicator_free,
	.subscribe = c_subscribe,
	.order_submit = c_order_submit,
	.order_cancel = c_order_cancel,
	.position_get = c_position_get,
	.account_get = c_account_get,
	.ws_open = c_ws_open,
	.ws_send = c_ws_send,
	.ws_close = c_ws_close,
	.http_request = c_http_request,
	.secret_get = c_secret_get,
	.hmac = c_hmac,
	.emit_trade = c_emit_trade,
	.emit_bar = c_emit_bar,
	.emit_book_top = c_emit_book_top,
	.emit_order_update = c_emit_order_update,
	.notify_done = c_notify_done,
	.payment_done = c_payment_done,
	.annotate = c_annotate,
	.http_header = c_http_header,
	.history_open = c_history_open,
	.history_next = c_history_next,
	.history_close = c_history_close,
	.emit_instrument = c_emit_instrument,
	.order_get = c_order_get,
	.orders_open = c_orders_open,
	.size_order = c_size_order,
	.sign = c_sign,
	.emit_balance = c_emit_balance,
	.mail_send = c_mail_send,
};

/* ---- setup ---------------------------------------------------------------- */

static void
limits(uint32_t mem_mib, int idle)
{
	struct rlimit zero = { 0, 0 }, cpu = { 3600, 3600 };

#if !defined(__SANITIZE_ADDRESS__)
	{
		struct rlimit as;

		as.rlim_cur = as.rlim_max = (rlim_t)mem_mib << 20;
		if (setrlimit(RLIMIT_AS, &as) != 0)
			die(SANDBOX_EXIT_SETUP);
	}
#else
	/* AddressSanitizer reserves terabytes of address space: an ASan
	 * build of the sandbox cannot cap RLIMIT_AS (build configuration,
	 * documented; release builds always do). */
	(void)mem_mib;
#endif
	/* Untrusted code yields the CPU to the host: a busy child must not
	 * delay the core loop on a machine with few cores.  SCHED_IDLE: any
	 * ordinary task that wakes up preempts it at once. */
	if (idle) {
		struct sched_param sp = { 0 };

		if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0)
			die(SANDBOX_EXIT_SETUP);
	}
	if (setrlimit(RLIMIT_CORE, &zero) != 0 ||
	    setrlimit(RLIMIT_FSIZE, &zero) != 0 ||
	    setrlimit(RLIMIT_CPU, &cpu) != 0)
		die(SANDBOX_EXIT_SETUP);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		die(SANDBOX_EXIT_SETUP);
}

/* Write a short string to a /proc file.  0 or -1. */
static int
write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The per-mount flags of the mount at `path` that a remount in a user
 * namespace must keep (the kernel locks them), as MS_* flags. */
static unsigned long
locked_flags(const char *path)
{
	struct statvfs v;
	unsigned long f = 0;

	if (statvfs(path, &v) != 0)
		return 0;
	if (v.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (v.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (v.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (v.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* The step of confine_fs() that failed, for the error message. */
static const char *confine_step = "";

/*
 * Give the child a file system with nothing in it but the modules it loads:
 * a new user and mount namespace, a tmpfs, each module bind-mounted into it
 * read-only as /mN.so, and chroot there.  A constructor can then open
 * nothing else even read-only.  files[i] is rewritten to the new path (in
 * `names`).  Returns 0, or -1 with confine_step and errno saying why.
 */
static int
confine_fs(const char **files, size_t n, char names[][16])
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	size_t i;

	confine_step = "unshare(CLONE_NEWUSER | CLONE_NEWNS)";
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return -1;
	confine_step = "writing the uid/gid maps";
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_proc("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
		return -1;
	if (write_proc("/proc/self/uid_map", map) != 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (write_proc("/proc/self/gid_map", map) != 0)
		return -1;
	/* The new root is a tmpfs over /proc: a directory that exists
	 * everywhere and never holds a module (their paths stay visible
	 * for the bind mounts), and is no longer needed. */
	confine_step = "mounting the private root";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("quantd-sandbox", "/proc", "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=64k,mode=0755") != 0)
		return -1;
	confine_step = "bind-mounting the modules";
	for (i = 0; i < n; i++) {
		char target[32];
		int fd;

		snprintf(names[i], 16, "/m%zu.so", i);
		snprintf(target, sizeof(target), "/proc%s", names[i]);
		if ((fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
			return -1;
		close(fd);
		/* A bind mount ignores MS_RDONLY: remount it read-only,
		 * keeping the flags the parent namespace locked on it. */
		if (mount(files[i], target, NULL, MS_BIND, NULL) != 0 ||
		    mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
		    MS_NOSUID | MS_NODEV | locked_flags(target), NULL) != 0)
			return -1;
	}
	confine_step = "chroot to the private root";
	if (chdir("/proc") != 0 || chroot("/proc") != 0 || chdir("/") != 0)
		return -1;
	for (i = 0; i < n; i++)
		files[i] = names[i];
	return 0;
}

/*
 * Install the seccomp filter and hand its listener to the host over
 * SANDBOX_NOTIFY_FD, then close both: from here on a forbidden syscall
 * waits in the kernel for the host, which kills the child.
 */
static void
confine_syscalls(void)
{
	/* libseccomp takes a listener on fd 0 for none: hold fd 0. */
	int hold = fcntl(SANDBOX_FD, F_DUPFD_CLOEXEC, 0);
	int fd = sandbox_filter_install();

	/* Descriptors: the socket only, and nothing to reuse fd 4 for.
	 * Set after the handoff: a descriptor in flight counts against its
	 * sender's limit, and many children may be handing theirs over at
	 * once (the filter lets this process set its own RLIMIT_NOFILE,
	 * which can only lower it: raising the hard limit takes a
	 * capability of the initial namespace). */
	struct rlimit fds = { SANDBOX_FD + 1, SANDBOX_FD + 1 };

	if (hold < 0 || fd < 0 || frame_send_fd(SANDBOX_NOTIFY_FD, fd) != 0)
		die(SANDBOX_EXIT_SETUP);
	close(hold);
	close(fd);
	close(SANDBOX_NOTIFY_FD);
	if (setrlimit(RLIMIT_NOFILE, &fds) != 0)
		die(SANDBOX_EXIT_SETUP);
}

/* Reply F_FAIL with a reason and exit. */
static void __attribute__((noreturn))
fail(int status, const char *why)
{
	struct frame_out o;

	begin(&o, F_FAIL);
	frame_put_u32(&o, (uint32_t)status);
	frame_put_str(&o, why);
	send_frame(&o);
	die(SANDBOX_EXIT_LOAD);
}

/*
 * Describe mode: send every descriptor of the loaded module (the host never
 * dlopens an untrusted module itself) and exit.
 */
static void __attribute__((noreturn))
describe(const char *path)
{
	struct frame_out o;
	size_t i, n = plugin_count(reg);
	uint32_t k;

	begin(&o, F_DESCRIBE);
	frame_put_u32(&o, n ? plugin_abi_major(plugin_at(reg, 0)) : 0);
	frame_put_u32(&o, n ? plugin_abi_minor(plugin_at(reg, 0)) : 0);
	frame_put_u32(&o, (uint32_t)n);
	for (i = 0; i < n; i++) {
		const struct qd_plugin *d = plugin_desc(plugin_at(reg, i));

		frame_put_u32(&o, (uint32_t)d->kind);
		frame_put_str(&o, d->name);
		frame_put_str(&o, d->version);
		frame_put_str(&o, d->description);
		frame_put_str(&o, d->license);
		frame_put_u32(&o, d->n_params);
		for (k = 0; k < d->n_params; k++) {
			const struct qd_param_spec *s = &d->params[k];
			uint32_t c = 0;

			frame_put_str(&o, s->name);
			frame_put_u32(&o, (uint32_t)s->type);
			frame_put_u32(&o, s->flags);
			frame_put_i64(&o, s->def_int);
			frame_put_f64(&o, s->def_double);
			frame_put_str(&o, s->def_string);
			frame_put_f64(&o, s->min);
			frame_put_f64(&o, s->max);
			while (s->choices && s->choices[c] && c < 64)
				c++;
			frame_put_u32(&o, c);
			for (c = 0; s->choices && s->choices[c] && c < 64; c++)
				frame_put_str(&o, s->choices[c]);
			frame_put_str(&o, s->description);
		}
		for (k = 0; d->requires && d->requires[k] && k < 64; k++)
			;
		frame_put_u32(&o, k);
		for (k = 0; d->requires && d->requires[k] && k < 64; k++)
			frame_put_str(&o, d->requires[k]);
	}
	(void)path;
	send_frame(&o);
	die(0);
}

/* qsort of more than a kilobyte asks the kernel how much memory there is
 * (sysinfo, which the filter refuses) the first time, and caches it: ask
 * now, so plugins may sort. */
static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void
warm_libc(void)
{
	int v[1024];
	size_t i;

	for (i = 0; i < QD_COUNTOF(v); i++)
		v[i] = (int)(QD_COUNTOF(v) - i);
	qsort(v, QD_COUNTOF(v), sizeof(v[0]), cmp_int);
}

/* Read F_INIT, load and create the instance. */
static void
init(void)
{
	struct frame_in in;
	struct frame_hdr h = read_frame(&in);
	struct qd_kv kv[MAX_PARAMS];
	const char *ind_files[MAX_INDICATOR_FILES], *path, *name;
	const char *mods[MAX_INDICATOR_FILES + 1];
	char mod_names[MAX_INDICATOR_FILES + 1][16];
	const struct plugin *p;
	qd_params *params;
	uint32_t kind, mem, flags, n_ind, n_kv, i;
	char err[512];
	int rc;

	if (h.type != F_INIT)
		die(SANDBOX_EXIT_PROTOCOL);
	kind = frame_get_u32(&in);
	mem = frame_get_u32(&in);
	log_level = (int)frame_get_u32(&in);
	flags = frame_get_u32(&in);
	path = frame_get_str(&in, 4096);
	name = frame_get_str(&in, 64);
	n_ind = frame_get_u32(&in);
	if (n_ind > MAX_INDICATOR_FILES)
		die(SANDBOX_EXIT_PROTOCOL);
	for (i = 0; i < n_ind; i++)
		ind_files[i] = frame_get_str(&in, 4096);
	n_kv = frame_get_u32(&in);
	if (n_kv > MAX_PARAMS)
		die(SANDBOX_EXIT_PROTOCOL);
	for (i = 0; i < n_kv; i++) {
		kv[i].key = frame_get_str(&in, 64);
		kv[i].value = frame_get_str(&in, 4096);
	}
	if (frame_in_done(&in) != 0 || (kind != QD_KIND_STRATEGY &&
	    kind != QD_KIND_EXCHANGE && kind != 0))
		die(SANDBOX_EXIT_PROTOCOL);
	child_kind = kind;

	/* The private file system below holds only the modules, so the
	 * libraries a module may need (libc, libm and, for the JSON venues
	 * speak, libcjson: the SDK contract for sandboxed plugins) are
	 * loaded now, from the real system. */
	if (dlopen("libm.so.6", RTLD_NOW | RTLD_GLOBAL) == NULL ||
	    dlopen("libcjson.so.1", RTLD_NOW | RTLD_GLOBAL) == NULL)
		die(SANDBOX_EXIT_SETUP);
	/* Modules to load, indicator packs first, the plugin last. */
	for (i = 0; i < n_ind; i++)
		mods[i] = ind_files[i];
	mods[n_ind] = path;
	/* Fail closed: without its private file system a constructor could
	 * read the host's files (and /proc/<host>/environ). */
	if (confine_fs(mods, n_ind + 1, mod_names) != 0) {
		snprintf(err, sizeof(err), "cannot give the plugin a private "
			"file system: %s failed (%s); sandboxed plugins need "
			"unprivileged user namespaces: set the sysctl "
			"kernel.unprivileged_userns_clone=1 and "
			"user.max_user_namespaces > 0, or allow CLONE_NEWUSER "
			"in the container's seccomp profile", confine_step,
			strerror(errno));
		fail(QD_ERR_UNSUPPORTED, err);
	}
	limits(mem, flags & SANDBOX_INIT_IDLE);
	poll_first = !(flags & SANDBOX_INIT_IDLE);
	warm_libc();
	confine_syscalls();

	/* Plugin code runs from here on (constructors in dlopen). */
	if ((reg = plugin_registry_new()) == NULL)
		die(SANDBOX_EXIT_SETUP);
	for (i = 0; i < n_ind; i++)
		plugin_load_file(reg, mods[i]);
	if (plugin_load_file(reg, mods[n_ind]) < 1) {
		size_t nr = plugin_refusal_count(reg);

		snprintf(err, sizeof(err), "%s", nr ?
			plugin_refusal_at(reg, nr - 1)->reason : path);
		fail(QD_ERR_INVALID, err);
	}
	if (kind == 0)
		describe(path);   /* never returns */
	plugin_resolve(reg);
	p = plugin_find(reg, name);
	if (p == NULL || plugin_desc(p)->kind != (enum qd_kind)kind) {
		size_t nr = plugin_refusal_count(reg);

		snprintf(err, sizeof(err), "%s has no %s named '%s'%s%s",
			path, kind == QD_KIND_EXCHANGE ? "exchange" :
			"strategy", name, nr ? ": " : "",
			nr ? plugin_refusal_at(reg, nr - 1)->reason : "");
		fail(QD_ERR_NOTFOUND, err);
	}
	params = params_from_kv(plugin_desc(p), kv, n_kv, err, sizeof(err));
	if (params == NULL)
		fail(QD_ERR_INVALID, err);
	bops = plugin_desc(p)->ops;
	if (kind == QD_KIND_EXCHANGE)
		xops = (const struct qd_exchange_ops *)(const void *)bops;
	else
		ops = (const struct qd_strategy_ops *)(const void *)bops;
	rc = bops->create(&child_api, NULL, params, &state);
	if (rc != QD_OK) {
		snprintf(err, sizeof(err), "create failed: %s", qd_strerror(rc));
		fail(rc, err);
	}
}

/* ---- calls ---------------------------------------------------------------- */

/* Exchange ops appended after ABI 1.0 (the module's base.size says). */
#define XOPS_HAS(fn) (xops->base.size >= offsetof(struct qd_exchange_ops, \
	fn) + sizeof(xops->fn) && xops->fn != NULL)

/* An exchange adapter's call: its status (subscribe, backfill, orders) or
 * QD_OK.
 * Strategies never get these: the host sent a frame out of protocol. */
static int
exchange_call(uint16_t type, struct frame_in *in)
{
	uint32_t sym, tf, what;
	uint64_t id, len, hlen;
	const char *data, *hdrs;
	int64_t from, to;
	int32_t code;
	int rc = QD_OK;

	if (xops == NULL)
		die(SANDBOX_EXIT_PROTOCOL);
	switch (type) {
	case F_CALL_SUBSCRIBE:
		sym = frame_get_u32(in);
		tf = frame_get_u32(in);
		sim_now = frame_get_i64(in);
		if (frame_in_done(in) != 0)
			die(SANDBOX_EXIT_PROTOCOL);
		rc = xops->subscribe ? xops->subscribe(state, sym, tf) :
			QD_ERR_UNSUPPORTED;
		break;
	case F_CALL_BACKFILL:
		sym = frame_get_u32(in);
		tf = frame_get_u32(in);
		from = frame_get_i64(in);
		to = frame_get_i64(in);
		sim_now = frame_get_i64(in);
		if (frame_in_done(in) != 0)
			die(SANDBOX_EXIT_PROTOCOL);
		rc = xops->backfill ? xops->backfill(state, sym, tf, from, to) :
			QD_ERR_UNSUPPORTED;
		break;
	case F_CALL_WS_EVENT: {
		char *copy;

		what = frame_get_u32(in);
		id = frame_get_u64(in);
		code = (int32_t)frame_get_u32(in);
		len = frame_get_u64(in);
		data = len <= FRAME_MAX ? frame_get_bytes(in, len) : NULL;
		sim_now = frame_get_i64(in);
		if ((len && data == NULL) || frame_in_done(in) != 0 ||
		    what < 1 || what > 3)
			die(SANDBOX_EXIT_PROTOCOL);
		/* Messages reach the plugin NUL-terminated, as in the host. */
		if ((copy = malloc(len + 1)) == NULL)
			return QD_ERR_NOMEM;
		if (len)
			memcpy(copy, data, len);
		copy[len] = '\0';
		if (what == 1 && xops->on_ws_open)
			xops->on_ws_open(state, id);
		else if (what == 2 && xops->on_ws_message)
			xops->on_ws_message(state, id, copy, len);
		else if (what == 3 && xops->on_ws_close)
			xops->on_ws_close(state, id, code, copy);
		free(copy);
		break;
	}
	case F_CALL_ORDER_PLACE: {
		struct qd_order_req r;

		id = frame_get_u64(in);
		frame_get_order_req(in, &r);
		sim_now = frame_get_i64(in);
		if (r.tag == NULL || frame_in_done(in) != 0)
			die(SANDBOX_EXIT_PROTOCOL);
		rc = xops->order_place ? xops->order_place(state, id, &r) :
			QD_ERR_UNSUPPORTED;
		break;
	}
	case F_CALL_ORDER_CANCEL:
	case F_CALL_ORDER_QUERY:
		id = frame_get_u64(in);
		sim_now = frame_get_i64(in);
		if (frame_in_done(in) != 0)
			die(SANDBOX_EXIT_PROTOCOL);
		if (type == F_CALL_ORDER_CANCEL)
			rc = xops->order_cancel ? xops->order_cancel(state,
				id) : QD_ERR_UNSUPPORTED;
		else
			rc = xops->order_query ? xops->order_query(state,
				id) : QD_ERR_UNSUPPORTED;
		break;
	case F_CALL_CANCEL_ALL:
		sym = frame_get_u32(in);
		sim_now = frame_get_i64(in);
		if (frame_in_done(in) != 0)
			die(SANDBOX_EXIT_PROTOCOL);
		rc = XOPS_HAS(order_cancel_all) ?
			xops->order_cancel_all(state, sym) : QD_ERR_UNSUPPORTED;
		break;
	case F_CALL_ACCOUNT_SYNC:
		sim_now = frame_get_i64(in);
		if (frame_in_done(in) != 0)
			die(SANDBOX_EXIT_PROTOCOL);
		rc = XOPS_HAS(account_sync) ? xops->account_sync(state) :
			QD_ERR_UNSUPPORTED;
		break;
	case F_CALL_HTTP: {
		char *copy;

		id = frame_get_u64(in);
		code = (int32_t)frame_get_u32(in);
		len = frame_get_u64(in);
		data = len <= FRAME_MAX ? frame_get_bytes(in, len) : NULL;
		hlen = frame_get_u64(in);
		hdrs = hlen <= FRAME_MAX ? frame_get_bytes(in, hlen) : NULL;
		sim_now = frame_get_i64(in);
		if ((len && data == NULL) || (hlen && hdrs == NULL) ||
		    (hlen && hdrs[hlen - 1] != '\0') || frame_in_done(in) != 0)
			die(SANDBOX_EXIT_PROTOCOL);
		/* Body and headers are copied: a request the plugin makes
		 * meanwhile reads its answer into the frame buffer. */
		if ((copy = malloc(len + 1 + hlen)) == NULL)
			return QD_ERR_NOMEM;
		if (len)
			memcpy(copy, data, len);
		copy[len] = '\0';
		if (hlen)
			memcpy(copy + len + 1, hdrs, hlen);
		http_hdrs = copy + len + 1;
		http_hlen = hlen;
		in_http = 1;
		if (xops->on_http_response)
			xops->on_http_response(state, id, code, copy, len);
		in_http = 0;
		http_hdrs = NULL;
		http_hlen = 0;
		free(copy);
		break;
	}
	}
	return rc;
}

#define BATCH_UPDATES 16
#define BATCH_BARS (2 * (FRAME_MAX / (int)sizeof(struct qd_bar)))

/* An F_CALL_BATCH, decoded before any of it runs; the bars a batch leaves
 * stay in batch_ev[kept_off, kept_off + kept_n) for the next one, after
 * inbuf has held other calls. */
static struct batch_update {
	struct qd_order_update u;
	char reason[257], trade_id[97], client_id[41];
} batch_upd[BATCH_UPDATES];
static struct qd_bar_event batch_ev[BATCH_BARS];
static uint32_t kept_off, kept_n;

/* Copy a string of the frame (may be NULL) into `buf`. */
static const char *
keep_str(char *buf, size_t cap, const char *s)
{
	if (s == NULL)
		return NULL;
	snprintf(buf, cap, "%s", s);
	return buf;
}

/*
 * Run an F_CALL_BATCH (frame.h): the fills first, then the bars until one
 * ends the batch (an order deferred or placed, a timer, a subscription:
 * the host's F_REPLY_STOP), with the position answered here.  Frames that
 * need no answer leave with F_DONE in one write.  Returns the bars run.
 */
static uint32_t
run_batch(struct frame_in *in)
{
	uint32_t k = frame_get_u32(in), n, i, sym, tf, kept;
	const unsigned char *raw;
	struct qd_bar_event *ev;

	if (k > BATCH_UPDATES)
		die(SANDBOX_EXIT_PROTOCOL);
	for (i = 0; i < k; i++) {
		struct batch_update *b = &batch_upd[i];

		frame_get_order_update(in, &b->u);
		b->u.reason = keep_str(b->reason, sizeof(b->reason),
			b->u.reason);
		b->u.trade_id = keep_str(b->trade_id, sizeof(b->trade_id),
			b->u.trade_id);
		b->u.client_id = keep_str(b->client_id, sizeof(b->client_id),
			b->u.client_id);
	}
	pos_sym = frame_get_u32(in);
	if (pos_sym != 0) {
		pos_qty = frame_get_f64(in);
		pos_avg = frame_get_f64(in);
		pos_realized = frame_get_f64(in);
	}
	next_order_id = frame_get_u64(in);
	sym = frame_get_u32(in);
	tf = frame_get_u32(in);
	kept = frame_get_u32(in);
	n = frame_get_u32(in);
	raw = n <= BATCH_BARS / 2 ? frame_get_bytes(in,
		(size_t)n * sizeof(struct qd_bar)) : NULL;
	if ((n > 0 && raw == NULL) || kept > kept_n ||
	    kept + n > BATCH_BARS || frame_in_done(in) != 0)
		die(SANDBOX_EXIT_PROTOCOL);
	/* The kept bars, then the new ones after them. */
	if (kept_off + kept + n > BATCH_BARS) {
		memmove(batch_ev, batch_ev + kept_off, kept * sizeof(*ev));
		kept_off = 0;
	}
	ev = batch_ev + kept_off;
	for (i = 0; i < n; i++) {
		struct qd_bar_event *e = &ev[kept + i];

		memset(e, 0, sizeof(*e));
		e->size = sizeof(*e);
		e->symbol = sym;
		e->timeframe_s = tf;
		memcpy(&e->bar, raw + (size_t)i * sizeof(struct qd_bar),
			sizeof(struct qd_bar));
	}
	n += kept;
	holding = 1;
	stop_batch = 0;
	/* The fills of the bar before, as F_CALL_ORDER would give them. */
	for (i = 0; i < k; i++) {
		sim_now = batch_upd[i].u.ts;
		if (ops != NULL && ops->on_order)
			ops->on_order(state, &batch_upd[i].u);
	}
	in_bars = 1;
	for (i = 0; i < n && !stop_batch; i++) {
		/* The bar's close is the time, as the host's on_bar. */
		sim_now = ev[i].bar.ts + (int64_t)tf * 1000000000;
		bar_index = i;
		bar_close = ev[i].bar.close;
		progress_sent = 0;
		if (ops != NULL && ops->on_bar)
			ops->on_bar(state, &ev[i]);
	}
	in_bars = 0;
	pos_sym = 0;
	next_order_id = 0;
	kept_off += i;
	kept_n = n - i;
	return i;
}

static void
serve(void)
{
	for (;;) {
		struct frame_in in;
		struct frame_hdr h = read_frame(&in);
		struct frame_out o;
		uint32_t n, i;

		if (h.type != F_CALL_BATCH)
			kept_n = 0;   /* what a batch left is stale now */

		switch (h.type) {
		case F_CALL_START:
			sim_now = frame_get_i64(&in);
			if (frame_in_done(&in) != 0)
				die(SANDBOX_EXIT_PROTOCOL);
			n = bops->start ? (uint32_t)bops->start(state) : 0;
			begin(&o, F_DONE);
			frame_put_u32(&o, n);
			frame_put_u32(&o, 0);
			send_frame(&o);
			break;
		case F_CALL_STOP:
			sim_now = frame_get_i64(&in);
			if (bops->stop)
				bops->stop(state);
			begin(&o, F_DONE);
			frame_put_u32(&o, 0);
			frame_put_u32(&o, 0);
			send_frame(&o);
			break;
		case F_CALL_BARS:
			n = frame_get_u32(&in);
			in_bars = 1;
			stop_batch = 0;
			for (i = 0; i < n && !in.bad && !stop_batch; i++) {
				struct qd_bar_event ev;

				frame_get_bar_event(&in, &ev);
				sim_now = frame_get_i64(&in);
				bar_index = i;
				progress_sent = 0;
				if (!in.bad && ops != NULL && ops->on_bar)
					ops->on_bar(state, &ev);
			}
			in_bars = 0;
			/* A stopped batch leaves bars unread: only a complete
			 * one must have consumed the whole frame. */
			if (in.bad || (!stop_batch && frame_in_done(&in) != 0))
				die(SANDBOX_EXIT_PROTOCOL);
			begin(&o, F_DONE);
			frame_put_u32(&o, 0);
			frame_put_u32(&o, i);
			send_frame(&o);
			break;
		case F_CALL_BATCH:
			n = run_batch(&in);
			begin(&o, F_DONE);
			frame_put_u32(&o, 0);
			frame_put_u32(&o, n);
			send_frame(&o);
			holding = 0;
			send_held();
			break;
		case F_CALL_TIMER: {
			uint64_t id = frame_get_u64(&in);

			sim_now = frame_get_i64(&in);
			if (frame_in_done(&in) != 0)
				die(SANDBOX_EXIT_PROTOCOL);
			if (ops != NULL && ops->on_timer)
				ops->on_timer(state, id);
			else if (xops != NULL && xops->on_timer)
				xops->on_timer(state, id);
			begin(&o, F_DONE);
			frame_put_u32(&o, 0);
			frame_put_u32(&o, 0);
			send_frame(&o);
			break;
		}
		case F_CALL_TRADE: {
			struct qd_trade_event t;

			frame_get_trade(&in, &t);
			sim_now = frame_get_i64(&in);
			if (frame_in_done(&in) != 0)
				die(SANDBOX_EXIT_PROTOCOL);
			if (ops != NULL && ops->on_trade)
				ops->on_trade(state, &t);
			begin(&o, F_DONE);
			frame_put_u32(&o, 0);
			frame_put_u32(&o, 0);
			send_frame(&o);
			break;
		}
		case F_CALL_ORDER: {
			struct qd_order_update u;

			frame_get_order_update(&in, &u);
			sim_now = u.ts;
			if (frame_in_done(&in) != 0)
				die(SANDBOX_EXIT_PROTOCOL);
			if (ops != NULL && ops->on_order)
				ops->on_order(state, &u);
			begin(&o, F_DONE);
			frame_put_u32(&o, 0);
			frame_put_u32(&o, 0);
			send_frame(&o);
			break;
		}
		case F_CALL_SUBSCRIBE:
		case F_CALL_BACKFILL:
		case F_CALL_WS_EVENT:
		case F_CALL_HTTP:
		case F_CALL_ORDER_PLACE:
		case F_CALL_ORDER_CANCEL:
		case F_CALL_ORDER_QUERY:
		case F_CALL_CANCEL_ALL:
		case F_CALL_ACCOUNT_SYNC:
			n = (uint32_t)exchange_call(h.type, &in);
			begin(&o, F_DONE);
			frame_put_u32(&o, n);
			frame_put_u32(&o, 0);
			send_frame(&o);
			break;
		default:
			die(SANDBOX_EXIT_PROTOCOL);
		}
	}
}

int
main(int argc, char **argv)
{
	struct frame_out o;

	(void)argv;
	if (argc != 1 || fcntl(SANDBOX_FD, F_GETFD) < 0) {
		fprintf(stderr, "quantd-sandbox is started by quantd, not by "
			"hand\n");
		return 2;
	}
	/* Nothing but the host socket stays open (not even stdio). */
	if (close_range(0, SANDBOX_FD - 1, 0) != 0 ||
	    fcntl(SANDBOX_NOTIFY_FD, F_GETFD) < 0 ||
	    close_range(SANDBOX_NOTIFY_FD + 1, ~0U, 0) != 0)
		die(SANDBOX_EXIT_SETUP);
	log_set_level((enum qd_log_level)-1);
	init();
	begin(&o, F_READY);
	send_frame(&o);
	serve();
	return 0;
}
