/*
 * venue.h -- what every exchange adapter of this tree does the same way,
 * compiled into each (plugins share no code at run time: each .so stands
 * alone against the SDK).
 *
 *   - a subscription table: canonical symbol, the venue's BTCUSDT and
 *     btcusdt spellings, which streams, the last trade id and the last
 *     closed 1m kline emitted, the minute streaming began;
 *   - reconnect delays: exponential (1 s doubling to 60 s) with full
 *     jitter, so a fleet of clients does not come back in step;
 *   - log lines through the host, and malformed messages logged at powers
 *     of two;
 *   - the connection's life: open, subscribe what is asked, a client ping
 *     if the venue wants one, a fresh connection before the venue's own
 *     cut (the old one retired at the new one's first message), reopen
 *     after a loss, backfill the 1m klines missed from REST (1000 a page),
 *     REST paused after the venue's rate-limit answers.
 * An adapter gives a `struct venue_dialect` (its messages and URLs) and
 * points its ops at the venue_* callbacks below; its state starts with
 * `struct venue`.
 */
#ifndef QD_PLUGINS_VENUE_H
#define QD_PLUGINS_VENUE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <quantd/sdk.h>

#define VENUE_MAX_SUBS 512
#define VENUE_MAX_REQS 64

struct venue;

struct venue_sub {
	qd_symbol sym;
	char native[32];       /* BTCUSDT */
	char stream[32];       /* btcusdt */
	int trades, kline, book;
	uint64_t last_trade;   /* last trade id emitted (ordered ids) */
	int64_t last_kline;    /* open time (ms) of the last closed 1m kline */
	int64_t since;         /* the first minute streamed (ms) */
};

/* What differs between venues. */
struct venue_dialect {
	/* Ask for what subs [from, to) want on `conn`. */
	void (*subscribe)(struct venue *v, uint64_t conn, size_t from,
		size_t to);
	/* One message: emits events; -1 with `why` (96 bytes) if malformed. */
	int (*message)(struct venue *v, uint64_t conn, const char *data,
		size_t len, char *why);
	/* The REST URL of the 1m klines of `s` in [from, to]. */
	void (*klines_url)(struct venue *v, const struct venue_sub *s,
		int64_t from, int64_t to, char *url, size_t cap);
	/* Emit the closed klines of a REST answer (venue_emit_kline); the
	 * row count and the newest open time in *last, or -1. */
	long (*klines)(struct venue *v, struct venue_sub *s, const char *body,
		size_t len, int64_t *last);
	const char *ping;      /* client heartbeat message, or NULL */
	int64_t ping_ms;
	int64_t rotate_ms;     /* a fresh connection after this, or 0 */
	int pause_status[3];   /* REST answers that pause REST ... */
	int64_t pause_ms[3];   /* ... for this long */
};

struct venue_req {
	uint64_t id;           /* http request id; 0 = free slot */
	size_t sub;
	int64_t from, to;      /* ms */
};

struct venue {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	const struct venue_dialect *d;
	char ws_url[256];
	char rest_url[256];
	int book;              /* best bid/ask wanted */
	struct venue_sub subs[VENUE_MAX_SUBS];
	size_t n_subs;
	uint64_t conn;         /* current connection, 0 = none */
	int open;
	uint64_t old_conn;     /* being replaced */
	int reconnected;       /* the next open follows a loss: backfill */
	int stopping;
	int attempts;          /* reconnects since the last good open */
	uint64_t retry_timer, rotate_timer, ping_timer, rest_timer;
	struct venue_req reqs[VENUE_MAX_REQS];
	int64_t rest_blocked_until;
	uint64_t next_id;
	uint64_t rng;
	uint64_t malformed;
};

static inline int64_t
venue_now_ms(const struct venue *v)
{
	return v->api->now_ns(v->ctx) / 1000000;
}

static void venue_say(struct venue *v, enum qd_log_level l, const char *fmt,
	...) QD_PRINTF(3, 4);

static void
venue_say(struct venue *v, enum qd_log_level l, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->api->log(v->ctx, l, "%s", line);
}

/* The next reconnect delay in ms (and one attempt more). */
static inline int64_t
venue_backoff_ms(struct venue *v)
{
	int64_t cap = 1000LL << (v->attempts < 6 ? v->attempts : 6);

	if (cap > 60000)
		cap = 60000;
	v->rng ^= v->rng << 13;
	v->rng ^= v->rng >> 7;
	v->rng ^= v->rng << 17;
	v->attempts++;
	return (int64_t)(v->rng % (uint64_t)cap) + 100;
}

static inline void
venue_malformed(struct venue *v, const char *why, const char *data,
	size_t len)
{
	v->malformed++;
	if ((v->malformed & (v->malformed - 1)) == 0)
		venue_say(v, QD_LOG_WARN, "skipped a malformed message (%s; "
			"%llu so far): %.*s", why,
			(unsigned long long)v->malformed,
			(int)(len > 120 ? 120 : len), data);
}

static inline struct venue_sub *
venue_find_native(struct venue *v, const char *native)
{
	size_t i;

	for (i = 0; i < v->n_subs; i++)
		if (strcmp(v->subs[i].native, native) == 0)
			return &v->subs[i];
	return NULL;
}

/* The subscription of `sym`, made on first use (NULL when full). */
static inline struct venue_sub *
venue_sub_of(struct venue *v, qd_symbol sym)
{
	const char *name = v->api->symbol_name(v->ctx, sym);
	struct venue_sub *s;
	size_t i, o = 0;

	for (i = 0; i < v->n_subs; i++)
		if (v->subs[i].sym == sym)
			return &v->subs[i];
	if (name == NULL || v->n_subs == VENUE_MAX_SUBS)
		return NULL;
	s = &v->subs[v->n_subs++];
	memset(s, 0, sizeof(*s));
	s->sym = sym;
	/* BTC/USDT -> BTCUSDT and btcusdt */
	for (i = 0; name[i] && o + 1 < sizeof(s->native); i++)
		if (name[i] != '/') {
			s->native[o] = name[i];
			s->stream[o] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
			    name[i] + 32 : name[i]);
			o++;
		}
	return s;
}

/* The first minute that may be missing: after the last kline, or the
 * minute streaming began (its kline covers it whole). */
static inline int64_t
venue_gap_start(const struct venue_sub *s)
{
	return s->last_kline > 0 ? s->last_kline + 60000 : s->since;
}

/* Emit a closed 1m kline once (older ones fill a gap). */
static inline void
venue_emit_kline(struct venue *v, struct venue_sub *s, int64_t open_ms,
	double o, double h, double l, double c, double vol)
{
	struct qd_bar_event ev;

	if (open_ms == s->last_kline)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.symbol = s->sym;
	ev.timeframe_s = 60;
	ev.bar.ts = open_ms * 1000000;
	ev.bar.open = o;
	ev.bar.high = h;
	ev.bar.low = l;
	ev.bar.close = c;
	ev.bar.volume = vol;
	if (open_ms > s->last_kline)
		s->last_kline = open_ms;
	v->api->emit_bar(v->ctx, &ev);
}

/* A page of REST klines being emitted: the newest open time seen. */
struct venue_page {
	struct venue *v;
	struct venue_sub *s;
	int64_t last;
};

static inline void
venue_page_kline(struct venue_page *p, int64_t open_ms, double o, double h,
	double l, double c, double vol, int closed)
{
	if (closed)
		venue_emit_kline(p->v, p->s, open_ms, o, h, l, c, vol);
	p->last = open_ms;
}

static inline void
venue_emit_trade(struct venue *v, const struct venue_sub *s, int64_t ts_ms,
	double price, double qty, int side, uint64_t id)
{
	struct qd_trade_event t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.symbol = s->sym;
	t.side = side == 2 ? QD_SIDE_SELL : QD_SIDE_BUY;
	t.ts = ts_ms * 1000000;
	t.price = price;
	t.qty = qty;
	t.trade_id = id;
	v->api->emit_trade(v->ctx, &t);
}

static inline void
venue_emit_book(struct venue *v, const struct venue_sub *s, double bid,
	double bid_qty, double ask, double ask_qty)
{
	struct qd_book_top_event t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.symbol = s->sym;
	t.ts = v->api->now_ns(v->ctx);
	t.bid = bid;
	t.bid_qty = bid_qty;
	t.ask = ask;
	t.ask_qty = ask_qty;
	v->api->emit_book_top(v->ctx, &t);
}

/* ---- the connection's life --------------------------------------------- */

/* Set up from the adapter's common parameters: ws_url, rest_url, book. */
static inline void
venue_init(struct venue *v, const struct qd_host_api *api, qd_ctx *ctx,
	const struct venue_dialect *d, const qd_params *p)
{
	v->api = api;
	v->ctx = ctx;
	v->d = d;
	v->rng = (uint64_t)api->now_ns(ctx) | 1;
	snprintf(v->ws_url, sizeof(v->ws_url), "%s",
		api->param_string(p, "ws_url"));
	snprintf(v->rest_url, sizeof(v->rest_url), "%s",
		api->param_string(p, "rest_url"));
	v->book = api->param_bool(p, "book");
}

static inline void
venue_connect(struct venue *v)
{
	int rc;

	v->open = 0;
	rc = v->api->ws_open(v->ctx, v->ws_url, NULL, 0, &v->conn);
	if (rc != QD_OK) {
		venue_say(v, QD_LOG_ERROR, "cannot open %s: %s", v->ws_url,
			qd_strerror(rc));
		v->conn = 0;
	}
}

/* Fetch the 1m klines of sub i in [from, to) over REST. */
static inline void
venue_backfill_from(struct venue *v, size_t i, int64_t from, int64_t to)
{
	struct qd_http_request r;
	char url[512];
	size_t k;
	int rc;

	if (from >= to)
		return;
	if (venue_now_ms(v) < v->rest_blocked_until) {
		venue_say(v, QD_LOG_WARN, "REST is paused after a rate-limit "
			"answer; %s backfill waits", v->subs[i].native);
		return;
	}
	for (k = 0; k < VENUE_MAX_REQS && v->reqs[k].id != 0; k++)
		;
	if (k == VENUE_MAX_REQS)
		return;
	v->d->klines_url(v, &v->subs[i], from, to - 1, url, sizeof(url));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "GET";
	r.url = url;
	if ((rc = v->api->http_request(v->ctx, &r, &v->reqs[k].id)) != QD_OK) {
		venue_say(v, QD_LOG_WARN, "backfill of %s not sent: %s",
			v->subs[i].native, qd_strerror(rc));
		v->reqs[k].id = 0;
		return;
	}
	v->reqs[k].sub = i;
	v->reqs[k].from = from;
	v->reqs[k].to = to;
}

/* The closed 1m klines every kline subscription may have missed. */
static inline void
venue_backfill_all(struct venue *v)
{
	size_t i;

	for (i = 0; i < v->n_subs; i++)
		if (v->subs[i].kline)
			venue_backfill_from(v, i, venue_gap_start(&v->subs[i]),
				venue_now_ms(v) / 60000 * 60000);
}

static inline void
venue_on_ws_open(void *state, uint64_t conn)
{
	struct venue *v = state;

	if (conn != v->conn)
		return;
	v->open = 1;
	v->attempts = 0;
	venue_say(v, QD_LOG_INFO, "connected to %s", v->ws_url);
	v->d->subscribe(v, conn, 0, v->n_subs);
	if (v->reconnected) {
		venue_backfill_all(v);
		v->reconnected = 0;
	}
	if (v->d->rotate_ms > 0 && v->rotate_timer == 0 &&
	    v->api->timer_add(v->ctx, v->d->rotate_ms * 1000000, 0,
	    &v->rotate_timer) != QD_OK)
		v->rotate_timer = 0;
}

static inline void
venue_on_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct venue *v = state;
	char why[96];

	if (conn != v->conn && conn != v->old_conn)
		return;
	if (conn == v->conn && v->old_conn != 0) {
		/* The fresh connection answers: retire the old one. */
		v->api->ws_close(v->ctx, v->old_conn);
		venue_say(v, QD_LOG_INFO, "switched to a fresh connection");
	}
	why[0] = '\0';
	if (v->d->message(v, conn, data, len, why) < 0)
		venue_malformed(v, why, data, len);
}

static inline void
venue_on_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct venue *v = state;
	int64_t delay;

	if (conn == v->old_conn) {
		v->old_conn = 0;
		return;
	}
	if (conn != v->conn)
		return;
	v->conn = 0;
	v->open = 0;
	if (v->stopping)
		return;
	venue_say(v, QD_LOG_WARN, "connection lost (%d %s); reconnecting",
		code, reason ? reason : "");
	delay = venue_backoff_ms(v);
	v->reconnected = 1;
	if (v->api->timer_add(v->ctx, delay * 1000000, 0, &v->retry_timer) !=
	    QD_OK)
		v->retry_timer = 0;
}

static inline void
venue_on_http_response(void *state, uint64_t id, int status,
	const char *body, size_t len)
{
	struct venue *v = state;
	struct venue_req r;
	int64_t last = -1;
	size_t k;
	long n;
	int i;

	for (k = 0; k < VENUE_MAX_REQS && (v->reqs[k].id != id || id == 0);
	     k++)
		;
	if (k == VENUE_MAX_REQS)
		return;
	r = v->reqs[k];
	v->reqs[k].id = 0;
	for (i = 0; i < 3; i++)
		if (v->d->pause_status[i] != 0 &&
		    status == v->d->pause_status[i]) {
			/* Never hammer: venues ban IPs that keep going. */
			v->rest_blocked_until = venue_now_ms(v) +
			    v->d->pause_ms[i];
			venue_say(v, QD_LOG_WARN, "REST answered %d: no REST "
				"call for %lld s", status,
				(long long)(v->d->pause_ms[i] / 1000));
			if (v->rest_timer == 0 && v->api->timer_add(v->ctx,
			    v->d->pause_ms[i] * 1000000, 0, &v->rest_timer) !=
			    QD_OK)
				v->rest_timer = 0;
			return;
		}
	if (status != 200) {
		venue_say(v, QD_LOG_WARN, "backfill of %s failed: HTTP %d",
			v->subs[r.sub].native, status);
		return;
	}
	n = v->d->klines(v, &v->subs[r.sub], body, len, &last);
	if (n < 0) {
		venue_malformed(v, "klines answer", body, len);
		return;
	}
	venue_say(v, QD_LOG_INFO, "backfilled %ld 1m klines of %s", n,
		v->subs[r.sub].native);
	if (n == 1000 && last >= 0)
		venue_backfill_from(v, r.sub, last + 60000, r.to);
}

static inline void
venue_on_timer(void *state, uint64_t id)
{
	struct venue *v = state;

	if (id == v->retry_timer) {
		v->retry_timer = 0;
		if (!v->stopping && v->conn == 0)
			venue_connect(v);
	} else if (id == v->rotate_timer) {
		v->rotate_timer = 0;
		if (v->open && v->old_conn == 0) {
			v->old_conn = v->conn;
			venue_connect(v);
		}
	} else if (id == v->ping_timer) {
		if (v->open && v->d->ping != NULL)
			v->api->ws_send(v->ctx, v->conn, v->d->ping,
				strlen(v->d->ping));
	} else if (id == v->rest_timer) {
		v->rest_timer = 0;
		venue_backfill_all(v);
	}
}

/* Trades of every subscribed symbol (the host builds the timeframes from
 * them); the venue's 1m klines where 1m bars are asked. */
static inline int
venue_subscribe(void *state, qd_symbol sym, uint32_t tf)
{
	struct venue *v = state;
	struct venue_sub *s = venue_sub_of(v, sym);
	int before;

	if (s == NULL)
		return QD_ERR_LIMIT;
	before = s->trades + s->kline + s->book;
	s->trades = 1;
	if (tf == 60 && !s->kline) {
		s->kline = 1;
		s->since = venue_now_ms(v) / 60000 * 60000;
	}
	if (v->book)
		s->book = 1;
	if (v->open && s->trades + s->kline + s->book != before)
		v->d->subscribe(v, v->conn, (size_t)(s - v->subs),
			(size_t)(s - v->subs) + 1);
	return QD_OK;
}

static inline int
venue_backfill(void *state, qd_symbol sym, uint32_t tf, int64_t from,
	int64_t to)
{
	struct venue *v = state;
	size_t i;

	if (tf != 60)
		return QD_ERR_UNSUPPORTED;
	for (i = 0; i < v->n_subs; i++)
		if (v->subs[i].sym == sym) {
			venue_backfill_from(v, i, from / 1000000, to / 1000000);
			return QD_OK;
		}
	return QD_ERR_NOTFOUND;
}

static inline int
venue_start(void *state)
{
	struct venue *v = state;
	int rc;

	if (v->d->ping != NULL && (rc = v->api->timer_add(v->ctx,
	    v->d->ping_ms * 1000000, v->d->ping_ms * 1000000,
	    &v->ping_timer)) != QD_OK)
		return rc;
	venue_connect(v);
	return QD_OK;
}

static inline void
venue_stop(void *state)
{
	struct venue *v = state;

	v->stopping = 1;
	if (v->conn)
		v->api->ws_close(v->ctx, v->conn);
	if (v->old_conn)
		v->api->ws_close(v->ctx, v->old_conn);
}

#endif
