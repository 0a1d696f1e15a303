/*
 * frame.c -- bounds-checked frame encoding and decoding.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "sandbox/frame.h"

static const char *const type_names[] = {
	[F_INIT] = "F_INIT", [F_CALL_START] = "F_CALL_START",
	[F_CALL_STOP] = "F_CALL_STOP", [F_CALL_BARS] = "F_CALL_BARS",
	[F_CALL_TRADE] = "F_CALL_TRADE", [F_CALL_ORDER] = "F_CALL_ORDER",
	[F_CALL_TIMER] = "F_CALL_TIMER", [F_REPLY] = "F_REPLY",
	[F_REPLY_DATA] = "F_REPLY_DATA",
	[F_REPLY_POSITION] = "F_REPLY_POSITION",
	[F_REPLY_STOP] = "F_REPLY_STOP",
	[F_CALL_SUBSCRIBE] = "F_CALL_SUBSCRIBE",
	[F_CALL_WS_EVENT] = "F_CALL_WS_EVENT", [F_CALL_HTTP] = "F_CALL_HTTP",
	[F_CALL_BACKFILL] = "F_CALL_BACKFILL",
	[F_READY] = "F_READY", [F_FAIL] = "F_FAIL", [F_DONE] = "F_DONE",
	[F_LOG] = "F_LOG", [F_ORDER_SUBMIT] = "F_ORDER_SUBMIT",
	[F_ORDER_CANCEL] = "F_ORDER_CANCEL", [F_SUBSCRIBE] = "F_SUBSCRIBE",
	[F_TIMER_ADD] = "F_TIMER_ADD", [F_TIMER_CANCEL] = "F_TIMER_CANCEL",
	[F_STATE_SAVE] = "F_STATE_SAVE", [F_STATE_LOAD] = "F_STATE_LOAD",
	[F_POSITION_GET] = "F_POSITION_GET", [F_ACCOUNT_GET] = "F_ACCOUNT_GET",
	[F_SYMBOL_INTERN] = "F_SYMBOL_INTERN",
	[F_SYMBOL_NAME] = "F_SYMBOL_NAME", [F_RETIRED] = "F_RETIRED",
	[F_DESCRIBE] = "F_DESCRIBE", [F_PROGRESS] = "F_PROGRESS",
	[F_ANNOTATE] = "F_ANNOTATE", [F_WS_OPEN] = "F_WS_OPEN",
	[F_WS_SEND] = "F_WS_SEND", [F_WS_CLOSE] = "F_WS_CLOSE",
	[F_HTTP_REQUEST] = "F_HTTP_REQUEST", [F_SECRET_GET] = "F_SECRET_GET",
	[F_HMAC] = "F_HMAC", [F_EMIT_TRADE] = "F_EMIT_TRADE",
	[F_EMIT_BAR] = "F_EMIT_BAR", [F_EMIT_BOOK_TOP] = "F_EMIT_BOOK_TOP",
	[F_EMIT_ORDER_UPDATE] = "F_EMIT_ORDER_UPDATE",
	[F_NOTIFY_DONE] = "F_NOTIFY_DONE", [F_PAYMENT_DONE] = "F_PAYMENT_DONE",
	[F_HISTORY_OPEN] = "F_HISTORY_OPEN", [F_HISTORY_NEXT] = "F_HISTORY_NEXT",
	[F_HISTORY_CLOSE] = "F_HISTORY_CLOSE",
	[F_EMIT_INSTRUMENT] = "F_EMIT_INSTRUMENT",
	[F_ORDER_GET] = "F_ORDER_GET",
	[F_ORDERS_OPEN] = "F_ORDERS_OPEN",
	[F_SIZE_ORDER] = "F_SIZE_ORDER",
	[F_SIGN] = "F_SIGN", [F_EMIT_BALANCE] = "F_EMIT_BALANCE",
	[F_CALL_ORDER_PLACE] = "F_CALL_ORDER_PLACE",
	[F_CALL_ORDER_CANCEL] = "F_CALL_ORDER_CANCEL",
	[F_CALL_ORDER_QUERY] = "F_CALL_ORDER_QUERY",
	[F_CALL_CANCEL_ALL] = "F_CALL_CANCEL_ALL",
	[F_CALL_ACCOUNT_SYNC] = "F_CALL_ACCOUNT_SYNC",
	[F_CALL_BATCH] = "F_CALL_BATCH", [F_ORDER_DEFER] = "F_ORDER_DEFER",
};

const char *
frame_type_name(unsigned type)
{
	if (type < F_TYPE_MAX && type_names[type] != NULL)
		return type_names[type];
	return "unknown";
}

int
frame_check_header(const unsigned char *buf, struct frame_hdr *h,
	const char **why)
{
	memcpy(&h->len, buf, 4);
	memcpy(&h->type, buf + 4, 2);
	memcpy(&h->flags, buf + 6, 2);
	memcpy(&h->seq, buf + 8, 4);
	if (h->len > FRAME_MAX) {
		*why = "frame longer than 1 MiB";
		return -1;
	}
	if (h->type >= F_TYPE_MAX || type_names[h->type] == NULL) {
		*why = "unknown frame type";
		return -1;
	}
	if (h->flags != 0) {
		*why = "reserved flags set";
		return -1;
	}
	return 0;
}

void
frame_begin(struct frame_out *o, unsigned char *buf, size_t cap,
	uint16_t type, uint32_t seq)
{
	uint16_t flags = 0;

	o->buf = buf;
	o->cap = cap;
	o->len = FRAME_HDR;
	o->failed = cap < FRAME_HDR;
	if (!o->failed) {
		memcpy(buf + 4, &type, 2);
		memcpy(buf + 6, &flags, 2);
		memcpy(buf + 8, &seq, 4);
	}
}

void
frame_put(struct frame_out *o, const void *p, size_t n)
{
	if (o->failed || n > o->cap - o->len || o->len + n - FRAME_HDR >
	    FRAME_MAX) {
		o->failed = 1;
		return;
	}
	if (n > 0)       /* p may be NULL for nothing */
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

void
frame_put_u32(struct frame_out *o, uint32_t v)
{
	frame_put(o, &v, 4);
}

void
frame_put_u64(struct frame_out *o, uint64_t v)
{
	frame_put(o, &v, 8);
}

void
frame_put_i64(struct frame_out *o, int64_t v)
{
	frame_put(o, &v, 8);
}

void
frame_put_f64(struct frame_out *o, double v)
{
	frame_put(o, &v, 8);
}

void
frame_put_str(struct frame_out *o, const char *s)
{
	frame_put(o, s ? s : "", strlen(s ? s : "") + 1);
}

size_t
frame_end(struct frame_out *o)
{
	uint32_t len;

	if (o->failed)
		return 0;
	len = (uint32_t)(o->len - FRAME_HDR);
	memcpy(o->buf, &len, 4);
	return o->len;
}

void
frame_in_init(struct frame_in *in, const unsigned char *p, size_t n)
{
	in->p = p;
	in->left = n;
	in->bad = 0;
}

const void *
frame_get_bytes(struct frame_in *in, size_t n)
{
	const void *r;

	if (in->bad || n > in->left) {
		in->bad = 1;
		return NULL;
	}
	r = in->p;
	in->p += n;
	in->left -= n;
	return r;
}

uint32_t
frame_get_u32(struct frame_in *in)
{
	const void *p = frame_get_bytes(in, 4);
	uint32_t v = 0;

	if (p)
		memcpy(&v, p, 4);
	return v;
}

uint64_t
frame_get_u64(struct frame_in *in)
{
	const void *p = frame_get_bytes(in, 8);
	uint64_t v = 0;

	if (p)
		memcpy(&v, p, 8);
	return v;
}

int64_t
frame_get_i64(struct frame_in *in)
{
	return (int64_t)frame_get_u64(in);
}

double
frame_get_f64(struct frame_in *in)
{
	const void *p = frame_get_bytes(in, 8);
	double v = 0.0;

	if (p)
		memcpy(&v, p, 8);
	return v;
}

const char *
frame_get_str(struct frame_in *in, size_t max)
{
	const unsigned char *nul;
	const char *s;

	if (in->bad)
		return NULL;
	nul = memchr(in->p, '\0', in->left < max + 1 ? in->left : max + 1);
	if (nul == NULL) {
		in->bad = 1;
		return NULL;
	}
	s = (const char *)in->p;
	frame_get_bytes(in, (size_t)(nul - in->p) + 1);
	return s;
}

int
frame_in_done(const struct frame_in *in)
{
	return in->bad || in->left != 0 ? -1 : 0;
}

/* ---- the SDK's events -------------------------------------------------------- */

void
frame_put_bar_event(struct frame_out *o, const struct qd_bar_event *e)
{
	frame_put_u32(o, e->symbol);
	frame_put_u32(o, e->timeframe_s);
	frame_put_i64(o, e->bar.ts);
	frame_put_f64(o, e->bar.open);
	frame_put_f64(o, e->bar.high);
	frame_put_f64(o, e->bar.low);
	frame_put_f64(o, e->bar.close);
	frame_put_f64(o, e->bar.volume);
}

void
frame_get_bar_event(struct frame_in *in, struct qd_bar_event *e)
{
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->symbol = frame_get_u32(in);
	e->timeframe_s = frame_get_u32(in);
	e->bar.ts = frame_get_i64(in);
	e->bar.open = frame_get_f64(in);
	e->bar.high = frame_get_f64(in);
	e->bar.low = frame_get_f64(in);
	e->bar.close = frame_get_f64(in);
	e->bar.volume = frame_get_f64(in);
}

void
frame_put_trade(struct frame_out *o, const struct qd_trade_event *e)
{
	frame_put_u32(o, e->symbol);
	frame_put_u32(o, (uint32_t)e->side);
	frame_put_i64(o, e->ts);
	frame_put_f64(o, e->price);
	frame_put_f64(o, e->qty);
	frame_put_u64(o, e->trade_id);
}

void
frame_get_trade(struct frame_in *in, struct qd_trade_event *e)
{
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->symbol = frame_get_u32(in);
	e->side = (enum qd_side)frame_get_u32(in);
	e->ts = frame_get_i64(in);
	e->price = frame_get_f64(in);
	e->qty = frame_get_f64(in);
	e->trade_id = frame_get_u64(in);
}

void
frame_put_book_top(struct frame_out *o, const struct qd_book_top_event *e)
{
	frame_put_u32(o, e->symbol);
	frame_put_i64(o, e->ts);
	frame_put_f64(o, e->bid);
	frame_put_f64(o, e->bid_qty);
	frame_put_f64(o, e->ask);
	frame_put_f64(o, e->ask_qty);
}

void
frame_get_book_top(struct frame_in *in, struct qd_book_top_event *e)
{
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->symbol = frame_get_u32(in);
	e->ts = frame_get_i64(in);
	e->bid = frame_get_f64(in);
	e->bid_qty = frame_get_f64(in);
	e->ask = frame_get_f64(in);
	e->ask_qty = frame_get_f64(in);
}

void
frame_put_opt_str(struct frame_out *o, const char *s)
{
	frame_put_u32(o, s != NULL);
	if (s != NULL)
		frame_put_str(o, s);
}

const char *
frame_get_opt_str(struct frame_in *in, size_t max)
{
	uint32_t has = frame_get_u32(in);

	if (has > 1)
		in->bad = 1;
	return has == 1 ? frame_get_str(in, max) : NULL;
}

void
frame_put_order_update(struct frame_out *o, const struct qd_order_update *u)
{
	frame_put_u64(o, u->order_id);
	frame_put_u32(o, u->symbol);
	frame_put_u32(o, (uint32_t)u->side);
	frame_put_u32(o, (uint32_t)u->type);
	frame_put_u32(o, (uint32_t)u->state);
	frame_put_i64(o, u->ts);
	frame_put_f64(o, u->qty);
	frame_put_f64(o, u->price);
	frame_put_f64(o, u->filled_qty);
	frame_put_f64(o, u->avg_price);
	frame_put_f64(o, u->last_qty);
	frame_put_f64(o, u->last_price);
	frame_put_f64(o, u->fee);
	frame_put_opt_str(o, u->reason && strlen(u->reason) <= 256 ?
		u->reason : NULL);
	/* ABI 1.3 fields; an update from an older module has none. */
	if (u->size >= offsetof(struct qd_order_update, error)) {
		frame_put_opt_str(o, u->trade_id && strlen(u->trade_id) <= 96 ?
			u->trade_id : NULL);
		frame_put_opt_str(o, u->client_id && strlen(u->client_id) <=
			40 ? u->client_id : NULL);
		frame_put_u64(o, u->parent_id);
		frame_put_u32(o, (uint32_t)u->maker);
	} else {
		frame_put_opt_str(o, NULL);
		frame_put_opt_str(o, NULL);
		frame_put_u64(o, 0);
		frame_put_u32(o, 0);
	}
	/* ABI 1.4 */
	frame_put_u32(o, u->size >= sizeof(*u) ? (uint32_t)u->error : 0);
}

void
frame_get_order_update(struct frame_in *in, struct qd_order_update *u)
{
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	u->order_id = frame_get_u64(in);
	u->symbol = frame_get_u32(in);
	u->side = (enum qd_side)frame_get_u32(in);
	u->type = (enum qd_order_type)frame_get_u32(in);
	u->state = (enum qd_order_state)frame_get_u32(in);
	u->ts = frame_get_i64(in);
	u->qty = frame_get_f64(in);
	u->price = frame_get_f64(in);
	u->filled_qty = frame_get_f64(in);
	u->avg_price = frame_get_f64(in);
	u->last_qty = frame_get_f64(in);
	u->last_price = frame_get_f64(in);
	u->fee = frame_get_f64(in);
	u->reason = frame_get_opt_str(in, 256);
	u->trade_id = frame_get_opt_str(in, 96);
	u->client_id = frame_get_opt_str(in, 40);
	u->parent_id = frame_get_u64(in);
	u->maker = frame_get_u32(in) != 0;
	u->error = (int32_t)frame_get_u32(in);
	if (u->error > 0 || u->error < QD_ERR_INTERNAL)
		u->error = QD_ERR_INTERNAL;
}

void
frame_put_order_req(struct frame_out *o, const struct qd_order_req *r)
{
	struct qd_order_req full;

	/* Fields a module built before ABI 1.3 does not have are 0. */
	memset(&full, 0, sizeof(full));
	memcpy(&full, r, r->size < sizeof(full) ? r->size : sizeof(full));
	frame_put_u32(o, full.symbol);
	frame_put_u32(o, (uint32_t)full.side);
	frame_put_u32(o, (uint32_t)full.type);
	frame_put_u32(o, (uint32_t)full.tif);
	frame_put_u32(o, full.flags);
	frame_put_f64(o, full.qty);
	frame_put_f64(o, full.price);
	frame_put_f64(o, full.stop_price);
	frame_put_str(o, full.tag && strlen(full.tag) < 128 ? full.tag : "");
	frame_put_f64(o, full.trail);
	frame_put_f64(o, full.trail_bps);
	frame_put_f64(o, full.sl_price);
	frame_put_f64(o, full.tp_price);
	frame_put_u64(o, full.oco_with);
}

void
frame_get_order_req(struct frame_in *in, struct qd_order_req *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->symbol = frame_get_u32(in);
	r->side = (enum qd_side)frame_get_u32(in);
	r->type = (enum qd_order_type)frame_get_u32(in);
	r->tif = (enum qd_tif)frame_get_u32(in);
	r->flags = frame_get_u32(in);
	r->qty = frame_get_f64(in);
	r->price = frame_get_f64(in);
	r->stop_price = frame_get_f64(in);
	r->tag = frame_get_str(in, 128);
	r->trail = frame_get_f64(in);
	r->trail_bps = frame_get_f64(in);
	r->sl_price = frame_get_f64(in);
	r->tp_price = frame_get_f64(in);
	r->oco_with = frame_get_u64(in);
}

/* ---- passing a descriptor --------------------------------------------------- */

/* One byte of payload with `fd` (or none) as SCM_RIGHTS. */
union fd_ctl {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int))];
};

int
frame_send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = { &byte, 1 };
	union fd_ctl ctl;
	struct msghdr m;
	struct cmsghdr *c;

	memset(&m, 0, sizeof(m));
	memset(&ctl, 0, sizeof(ctl));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int
frame_recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union fd_ctl ctl;
	struct msghdr m;
	struct cmsghdr *c;
	int fd = -1;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (c != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)) &&
	    !(m.msg_flags & MSG_CTRUNC))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

void
frame_put_history_row(struct frame_out *o, const struct qd_history_row *r)
{
	frame_put_u32(o, r->timeframe_s);
	frame_put_i64(o, r->ts);
	frame_put_f64(o, r->bar.open);
	frame_put_f64(o, r->bar.high);
	frame_put_f64(o, r->bar.low);
	frame_put_f64(o, r->bar.close);
	frame_put_f64(o, r->bar.volume);
	frame_put_f64(o, r->price);
	frame_put_f64(o, r->qty);
	frame_put_u32(o, (uint32_t)r->side);
	frame_put_u64(o, r->trade_id);
}

void
frame_get_history_row(struct frame_in *in, struct qd_history_row *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->timeframe_s = frame_get_u32(in);
	r->ts = frame_get_i64(in);
	r->bar.ts = r->ts;
	r->bar.open = frame_get_f64(in);
	r->bar.high = frame_get_f64(in);
	r->bar.low = frame_get_f64(in);
	r->bar.close = frame_get_f64(in);
	r->bar.volume = frame_get_f64(in);
	r->price = frame_get_f64(in);
	r->qty = frame_get_f64(in);
	r->side = (enum qd_side)frame_get_u32(in);
	r->trade_id = frame_get_u64(in);
}
