/*
 * frame -- the wire format between quantd and a sandbox child.
 *
 * Every message is a frame: a 12-byte header {u32 len; u16 type; u16 flags;
 * u32 seq} (host byte order: both ends are the same machine) followed by
 * `len` payload bytes, len <= FRAME_MAX.  Payloads are fixed binary layouts
 * per type, read with the bounds-checked cursor below: a reader that runs
 * past the end, finds a string without its NUL, or leaves bytes unread has
 * a malformed frame.  No JSON, no allocation while decoding.
 *
 * The host treats every frame from a child as hostile: frame_check_header()
 * validates the header before any payload byte is read, and each decoder
 * checks exact sizes.
 */
#ifndef QD_FRAME_H
#define QD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR 12
#define FRAME_MAX (1u << 20)

enum frame_type {
	/* host -> child */
	F_INIT = 1,        /* kind (0 = describe only), memory, log level, flags,
	                      paths, params */
	F_CALL_START,
	F_CALL_STOP,
	F_CALL_BARS,       /* u32 n, then n x (u32 sym, u32 tf, bar, i64 now) */
	F_CALL_TRADE,      /* u32 sym, u32 side, i64 ts, f64 price, f64 qty,
	                      u64 trade id, i64 now */
	F_CALL_ORDER,
	F_CALL_TIMER,      /* u64 timer id, i64 now */
	F_REPLY,           /* i32 status, u64 value: answer to a request */
	F_REPLY_DATA,      /* i32 status, bytes: answer to state_load */
	F_REPLY_POSITION,  /* i32 status, struct of doubles */
	F_REPLY_STOP,      /* as F_REPLY, and end the bar batch after this bar */
	/* host -> exchange adapters */
	F_CALL_SUBSCRIBE,  /* u32 sym, u32 tf, i64 now: F_DONE carries the
	                      adapter's status */
	F_CALL_WS_EVENT,   /* u32 what (1 open, 2 message, 3 close), u64 conn,
	                      i32 close code, u64 len, bytes (message or close
	                      reason), i64 now */
	F_CALL_HTTP,       /* u64 request, i32 status, u64 len, body, u64 hlen,
	                      headers ("name\0value\0"...), i64 now */
	F_CALL_BACKFILL,   /* u32 sym, u32 tf, i64 from, i64 to, i64 now */
	F_CALL_ORDER_PLACE,  /* u64 order id, order (frame_put_order_req),
	                        i64 now: F_DONE carries the adapter's status */
	F_CALL_ORDER_CANCEL, /* u64 order id, i64 now */
	F_CALL_ORDER_QUERY,  /* u64 order id, i64 now */
	F_CALL_CANCEL_ALL,   /* u32 sym, i64 now */
	F_CALL_ACCOUNT_SYNC, /* i64 now */
	F_CALL_BATCH,      /* a backtest's batch: u32 k, k x order update (the
	                      fills of the bar before, delivered first); u32
	                      sym, and when non-zero f64 qty, f64 avg, f64
	                      realized (its position for the bars); u64 the id
	                      of the next order (0: none may be deferred); u32
	                      the bars' sym, u32 their tf; u32 kept: bars the
	                      last batch left that the child still holds, run
	                      first; u32 n, n x struct qd_bar (48 bytes), run
	                      after them.  Any other call drops what is kept */
	/* child -> host */
	F_READY = 32,      /* instance created */
	F_FAIL,            /* i32 status, string: create failed */
	F_DONE,            /* u32 status, u32 bars processed: call finished */
	F_LOG,             /* u32 level, string */
	F_ORDER_SUBMIT,    /* request: order fields + tag string */
	F_ORDER_CANCEL,    /* request: u64 id */
	F_SUBSCRIBE,       /* request: u32 sym, u32 tf */
	F_TIMER_ADD,       /* request: i64 after, i64 interval */
	F_TIMER_CANCEL,    /* request: u64 id */
	F_STATE_SAVE,      /* request: bytes */
	F_STATE_LOAD,      /* request: u64 cap */
	F_POSITION_GET,    /* request: u32 sym */
	F_ACCOUNT_GET,     /* request */
	F_SYMBOL_INTERN,   /* request: string */
	F_SYMBOL_NAME,     /* request: u32 sym -> F_REPLY_DATA string */
	F_RETIRED,         /* was a child's own report of a forbidden syscall:
	                      never believed, always a protocol violation */
	F_DESCRIBE,        /* describe mode: the module's descriptors */
	F_PROGRESS,        /* u32 bar index in the batch, before its requests */
	F_ANNOTATE,        /* request: string kind, string json */
	F_WS_OPEN,         /* request: url, u32 n, n x (key, value) */
	F_WS_SEND,         /* request: u64 conn, u64 len, bytes */
	F_WS_CLOSE,        /* request: u64 conn */
	F_HTTP_REQUEST,    /* request: method, url, headers, body, i64 timeout */
	F_SECRET_GET,      /* request: name, u64 cap -> F_REPLY_DATA string */
	F_HMAC,            /* request: u32 hash, key, msg, u64 cap
	                      -> F_REPLY_DATA u64 n, bytes */
	F_EMIT_TRADE,      /* one-way: a trade event */
	F_EMIT_BAR,        /* one-way: a bar event */
	F_EMIT_BOOK_TOP,   /* one-way: a book top event */
	F_EMIT_ORDER_UPDATE, /* one-way: an order update */
	F_NOTIFY_DONE,     /* one-way: u64 req, i32 status, opt. string */
	F_PAYMENT_DONE,    /* one-way: u64 req, i32 status, opt. string */
	F_HISTORY_OPEN,    /* request: source -> F_REPLY_DATA u32 tf, u64 cursor */
	F_HISTORY_NEXT,    /* request: u64 cursor, u64 cap -> F_REPLY_DATA
	                      u64 n, n rows (frame_put_history_row) */
	F_HISTORY_CLOSE,   /* request: u64 cursor */
	F_EMIT_INSTRUMENT, /* one-way: u32 sym, native, 5 opt. strings, u32 */
	F_ORDER_GET,       /* request: u64 id -> F_REPLY_DATA order update */
	F_ORDERS_OPEN,     /* request: u64 cap -> F_REPLY_DATA u64 n, u64 k,
	                      k x u64 ids */
	F_SIZE_ORDER,      /* request: u32 sym, u32 method, f64 value, f64
	                      price, f64 stop -> F_REPLY_POSITION qty, ... */
	F_SIGN,            /* request: u32 alg, u32 enc, secret name, msg,
	                      msg2, u64 cap -> F_REPLY_DATA string */
	F_EMIT_BALANCE,    /* one-way: asset, f64 total, f64 free, i64 ts,
	                      u32 last */
	F_ORDER_DEFER,     /* one-way, in an F_CALL_BATCH: u64 the id the
	                      plugin was given, order (frame_put_order_req),
	                      placed on the bar of the last F_PROGRESS; the
	                      batch ends after that bar */
	F_TYPE_MAX
};

struct frame_hdr {
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
};

/** Decode and validate a header: 0, or -1 with a reason. */
int frame_check_header(const unsigned char *buf, struct frame_hdr *h,
	const char **why);

/** Name of a frame type for messages ("F_LOG"), or "unknown". */
const char *frame_type_name(unsigned type);

/* ---- writing ------------------------------------------------------------- */

struct frame_out {
	unsigned char *buf;   /* header + payload */
	size_t len, cap;
	int failed;           /* a put did not fit: never send it */
};

void frame_begin(struct frame_out *o, unsigned char *buf, size_t cap,
	uint16_t type, uint32_t seq);
void frame_put(struct frame_out *o, const void *p, size_t n);
void frame_put_u32(struct frame_out *o, uint32_t v);
void frame_put_u64(struct frame_out *o, uint64_t v);
void frame_put_i64(struct frame_out *o, int64_t v);
void frame_put_f64(struct frame_out *o, double v);
void frame_put_str(struct frame_out *o, const char *s);
/** Fill in the length; returns the total bytes to send, 0 if failed. */
size_t frame_end(struct frame_out *o);

/* ---- reading ------------------------------------------------------------- */

struct frame_in {
	const unsigned char *p;
	size_t left;
	int bad;               /* a get ran past the end or was malformed */
};

void frame_in_init(struct frame_in *in, const unsigned char *p, size_t n);
uint32_t frame_get_u32(struct frame_in *in);
uint64_t frame_get_u64(struct frame_in *in);
int64_t frame_get_i64(struct frame_in *in);
double frame_get_f64(struct frame_in *in);
/** A NUL-terminated string of at most max bytes, pointing into the frame. */
const char *frame_get_str(struct frame_in *in, size_t max);
/** n raw bytes, pointing into the frame. */
const void *frame_get_bytes(struct frame_in *in, size_t n);
/** 0 if every byte was consumed and nothing was bad, else -1. */
int frame_in_done(const struct frame_in *in);

/* ---- the SDK's events, one layout each way --------------------------------- */

#include <quantd/sdk.h>

void frame_put_bar_event(struct frame_out *o, const struct qd_bar_event *e);
void frame_get_bar_event(struct frame_in *in, struct qd_bar_event *e);
void frame_put_trade(struct frame_out *o, const struct qd_trade_event *e);
void frame_get_trade(struct frame_in *in, struct qd_trade_event *e);
void frame_put_book_top(struct frame_out *o,
	const struct qd_book_top_event *e);
void frame_get_book_top(struct frame_in *in, struct qd_book_top_event *e);
/** An order update; its reason (may be NULL) points into the frame. */
void frame_put_order_update(struct frame_out *o,
	const struct qd_order_update *u);
void frame_get_order_update(struct frame_in *in, struct qd_order_update *u);
/** An order request (any minor: fields it lacks go as 0); the decoded tag
 *  points into the frame. */
void frame_put_order_req(struct frame_out *o, const struct qd_order_req *r);
void frame_get_order_req(struct frame_in *in, struct qd_order_req *r);
/** A recorded market data row (api->history_next). */
void frame_put_history_row(struct frame_out *o,
	const struct qd_history_row *r);
void frame_get_history_row(struct frame_in *in, struct qd_history_row *r);
/** A string that may be NULL (a flag, then the string if any). */
void frame_put_opt_str(struct frame_out *o, const char *s);
const char *frame_get_opt_str(struct frame_in *in, size_t max);

/* ---- passing a descriptor over a Unix socket ------------------------------ */

/** Send `fd` (SCM_RIGHTS) with one byte.  0 or -1. */
int frame_send_fd(int sock, int fd);
/** Receive a descriptor sent by frame_send_fd() without blocking:
 *  the fd (close-on-exec), or -1 (none, or the peer closed). */
int frame_recv_fd(int sock);

#endif
