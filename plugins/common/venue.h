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
 *   - the connections' life (one or two WebSockets: a venue may stream
 *     candles on another endpoint than trades): open, subscribe what is
 *     asked, a client ping if the venue wants one, a fresh connection
 *     before the venue's own cut (the old one retired at the new one's
 *     first message), reopen after a loss, backfill the 1m klines missed
 *     from REST (a full page continues on both sides of the rows it
 *     held, so venues answering from either end of a range work), REST paused
 *     after the venue's rate-limit answers (for Retry-After when the
 *     venue says how long);
 *   - a venue without a 1m kline stream polls its closed 1m klines over
 *     REST once a minute instead: they are the venue's 1m bars all the
 *     same, and a gap after a loss is the same request;
 *   - instruments: the venue's instrument list is fetched at start, an
 *     hour later and every hour, and soon after a new symbol is asked; the
 *     subscribed symbols' tick, lot and minimums go to the host
 *     (api->emit_instrument) for order checks.
 * An adapter gives a `struct venue_dialect` (its messages and URLs) and
 * points its ops at the venue_* callbacks below; its state starts with
 * `struct venue`.
 */
#ifndef QD_PLUGINS_VENUE_H
#define QD_PLUGINS_VENUE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define VENUE_MAX_SUBS 512
#define VENUE_MAX_REQS 64
#define VENUE_LINKS 2

struct venue;

struct venue_sub {
	qd_symbol sym;
	char native[32];       /* BTCUSDT, BTC-USDT, BTC/USD: the dialect's sep */
	char stream[32];       /* the same in lower case */
	int trades, kline, book;
	uint64_t last_trade;   /* last trade id emitted (ordered ids) */
	int64_t last_kline;    /* open time (ms) of the last closed 1m kline */
	double last_close;     /* and its close */
	int64_t since;         /* the first minute streamed (ms) */
};

/* A page of REST klines being emitted (venue_page_kline): the oldest and
 * newest open times seen. */
struct venue_page {
	struct venue *v;
	struct venue_sub *s;
	int64_t from, to;      /* the range asked for, ms */
	int64_t first, last;   /* open times seen, ms, or -1 */
	double last_close;     /* of the row at `last` */
};

/* What differs between venues. */
struct venue_dialect {
	/* Ask for what subs [from, to) want that link `link` carries, on its
	 * connection `conn`. */
	void (*subscribe)(struct venue *v, int link, uint64_t conn, size_t from,
		size_t to);
	/* One message of link `link`: emits events; -1 with `why` (96 bytes)
	 * if malformed. */
	int (*message)(struct venue *v, int link, uint64_t conn,
		const char *data, size_t len, char *why);
	/* The REST URL of the 1m klines of `s` in [from, to] (ms). */
	void (*klines_url)(struct venue *v, const struct venue_sub *s,
		int64_t from, int64_t to, char *url, size_t cap);
	/* Emit the closed klines of a REST answer through venue_page_kline();
	 * the row count, or -1 if malformed. */
	long (*klines)(struct venue *v, struct venue_page *p, const char *body,
		size_t len);
	/* The REST URL of the instrument list, and the list's answer: the
	 * dialect calls venue_instrument() for each, and returns the count
	 * or -1 if malformed.  NULL: the venue lists none. */
	void (*instruments_url)(struct venue *v, char *url, size_t cap);
	long (*instruments)(struct venue *v, const char *body, size_t len);
	char sep;              /* BTC/USDT -> BTC<sep>USDT; '\0': BTCUSDT */
	int links;             /* WebSockets (1 if 0, at most VENUE_LINKS) */
	int kline_link;        /* the link streaming 1m klines; -1: none, poll */
	int page_rows;         /* a full REST kline page (1000 if 0) */
	int flat_gaps;         /* the venue sends no kline for a minute without
	                          trades: such a minute between two klines
	                          becomes a flat bar at the previous close */
	const char *ping;      /* client heartbeat message, or NULL */
	int64_t ping_ms;
	int64_t silence_ms;    /* a link this long without a message is
	                          stalled: closed and reopened (0: never; for
	                          venues whose heartbeats make silence mean a
	                          dead stream) */
	int64_t rotate_ms;     /* a fresh connection after this, or 0 */
	const char *weight_header;  /* the answer's header saying how much of
	                          the minute's request weight is used, and */
	long weight_limit;     /* the limit: at 90 % REST waits for the next
	                          minute (0: the venue says nothing) */
	int pause_status[3];   /* REST answers that pause REST ... */
	int64_t pause_ms[3];   /* ... for this long (or Retry-After's) */
};

struct venue_req {
	uint64_t id;           /* http request id; 0 = free slot */
	size_t sub;
	int64_t from, to;      /* ms */
};

/* One WebSocket of the adapter. */
struct venue_link {
	char url[256];
	uint64_t conn;         /* current connection, 0 = none */
	int open;
	uint64_t old_conn;     /* being replaced */
	int reconnected;       /* the next open follows a loss: backfill */
	int attempts;          /* reconnects since the last good open */
	uint64_t retry_timer, rotate_timer;
	int64_t last_rx;       /* ms of its last message (or its open) */
};

struct venue {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	const struct venue_dialect *d;
	char rest_url[256];
	int book;              /* best bid/ask wanted */
	struct venue_sub subs[VENUE_MAX_SUBS];
	size_t n_subs;
	struct venue_link link[VENUE_LINKS];
	int n_links;
	int stopping;
	uint64_t ping_timer, rest_timer, poll_timer, watch_timer;
	uint64_t instr_req, instr_timer;   /* the instrument list's */
	int instr_fetched;                 /* a list arrived once */
	struct venue_req reqs[VENUE_MAX_REQS];
	struct venue_req deferred[VENUE_MAX_REQS];  /* held by a pause */
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

/* The next reconnect delay of link `l` in ms (and one attempt more). */
static inline int64_t
venue_backoff_ms(struct venue *v, struct venue_link *l)
{
	int64_t cap = 1000LL << (l->attempts < 6 ? l->attempts : 6);

	if (cap > 60000)
		cap = 60000;
	v->rng ^= v->rng << 13;
	v->rng ^= v->rng >> 7;
	v->rng ^= v->rng << 17;
	l->attempts++;
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
	/* BTC/USDT -> BTCUSDT and btcusdt (or BTC-USDT, btc-usdt) */
	for (i = 0; name[i] && o + 1 < sizeof(s->native); i++) {
		char c = name[i] == '/' ? v->d->sep : name[i];

		if (c == '\0')
			continue;
		s->native[o] = c;
		s->stream[o] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
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
	if (open_ms > s->last_kline) {
		s->last_kline = open_ms;
		s->last_close = c;
	}
	v->api->emit_bar(v->ctx, &ev);
}

/* One row of a REST kline page, in time order: emitted if closed.  For a
 * venue that skips minutes without trades (flat_gaps), the minutes the
 * page shows were skipped -- between two of its rows, or between the last
 * kline and its first row when it starts right after it -- become flat
 * bars at the previous close (at most a day of them). */
static inline void
venue_page_kline(struct venue_page *p, int64_t open_ms, double o, double h,
	double l, double c, double vol, int closed)
{
	struct venue_sub *s = p->s;
	int64_t t = -1;
	double pc = 0;

	if (closed && p->v->d->flat_gaps) {
		if (p->last >= 0) {
			t = p->last + 60000;
			pc = p->last_close;
		} else if (s->last_kline > 0 &&
		    p->from == s->last_kline + 60000) {
			t = p->from;
			pc = s->last_close;
		}
		for (; t >= 0 && t < open_ms && open_ms - t <= 86400000;
		     t += 60000)
			venue_emit_kline(p->v, s, t, pc, pc, pc, pc, 0);
	}
	if (closed)
		venue_emit_kline(p->v, s, open_ms, o, h, l, c, vol);
	p->last_close = c;
	if (p->first < 0 || open_ms < p->first)
		p->first = open_ms;
	if (open_ms > p->last)
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

/* One instrument of the venue's list: handed to the host when a
 * subscription has that native name (steps and minimums: the venue's
 * decimal text, or NULL).  1 if it was. */
static inline int
venue_instrument(struct venue *v, const char *native, const char *tick,
	const char *lot, const char *min_qty, const char *min_notional,
	const char *status, int trading)
{
	struct venue_sub *s = venue_find_native(v, native);
	struct qd_instrument x;

	if (s == NULL || !QD_API_HAS(v->api, emit_instrument))
		return 0;
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.symbol = s->sym;
	x.native = native;
	x.tick = tick;
	x.lot = lot;
	x.min_qty = min_qty;
	x.min_notional = min_notional;
	x.status = status;
	x.trading = trading;
	v->api->emit_instrument(v->ctx, &x);
	return 1;
}

/* ---- the connections' life -------------------------------------------- */

/* Set up from the adapter's common parameters: ws_url (link 0), rest_url,
 * book.  An adapter with a second link sets v->link[1].url itself. */
static inline void
venue_init(struct venue *v, const struct qd_host_api *api, qd_ctx *ctx,
	const struct venue_dialect *d, const qd_params *p)
{
	v->api = api;
	v->ctx = ctx;
	v->d = d;
	v->n_links = d->links > 0 && d->links <= VENUE_LINKS ? d->links : 1;
	v->rng = (uint64_t)api->now_ns(ctx) | 1;
	snprintf(v->link[0].url, sizeof(v->link[0].url), "%s",
		api->param_string(p, "ws_url"));
	snprintf(v->rest_url, sizeof(v->rest_url), "%s",
		api->param_string(p, "rest_url"));
	v->book = api->param_bool(p, "book");
}

static inline void
venue_connect(struct venue *v, struct venue_link *l)
{
	int rc;

	l->open = 0;
	rc = v->api->ws_open(v->ctx, l->url, NULL, 0, &l->conn);
	if (rc != QD_OK) {
		venue_say(v, QD_LOG_ERROR, "cannot open %s: %s", l->url,
			qd_strerror(rc));
		l->conn = 0;
	}
}

/* The link a connection belongs to (current or being replaced), or -1. */
static inline int
venue_link_of(const struct venue *v, uint64_t conn)
{
	int i;

	for (i = 0; conn != 0 && i < v->n_links; i++)
		if (v->link[i].conn == conn || v->link[i].old_conn == conn)
			return i;
	return -1;
}

static inline int
venue_req_busy_id(const struct venue *v, uint64_t id)
{
	size_t k;

	for (k = 0; k < VENUE_MAX_REQS; k++)
		if (v->reqs[k].id == id)
			return 1;
	return 0;
}

static inline int
venue_req_busy(const struct venue *v, size_t sub)
{
	size_t k;

	for (k = 0; k < VENUE_MAX_REQS; k++)
		if (v->reqs[k].id != 0 && v->reqs[k].sub == sub)
			return 1;
	return 0;
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
		/* Kept for the end of the pause (gaps are found again by
		 * then anyway; a range asked for is not). */
		for (k = 0; k < VENUE_MAX_REQS; k++)
			if (v->deferred[k].id != 0 && v->deferred[k].sub == i &&
			    v->deferred[k].from == from) {
				/* The same gap asked again: once. */
				if (to > v->deferred[k].to)
					v->deferred[k].to = to;
				return;
			}
		for (k = 0; k < VENUE_MAX_REQS && v->deferred[k].id != 0; k++)
			;
		if (k < VENUE_MAX_REQS) {
			v->deferred[k].id = 1;
			v->deferred[k].sub = i;
			v->deferred[k].from = from;
			v->deferred[k].to = to;
		}
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

/* The closed 1m klines every kline subscription may have missed (one
 * request at a time per subscription). */
static inline void
venue_backfill_all(struct venue *v)
{
	size_t i;

	for (i = 0; i < v->n_subs; i++)
		if (v->subs[i].kline && !venue_req_busy(v, i))
			venue_backfill_from(v, i, venue_gap_start(&v->subs[i]),
				venue_now_ms(v) / 60000 * 60000);
}

static inline void
venue_on_ws_open(void *state, uint64_t conn)
{
	struct venue *v = state;
	int i = venue_link_of(v, conn);
	struct venue_link *l;

	if (i < 0 || conn != v->link[i].conn)
		return;
	l = &v->link[i];
	l->open = 1;
	l->attempts = 0;
	l->last_rx = venue_now_ms(v);
	venue_say(v, QD_LOG_INFO, "connected to %s", l->url);
	v->d->subscribe(v, i, conn, 0, v->n_subs);
	if (l->reconnected) {
		if (i == v->d->kline_link)
			venue_backfill_all(v);
		l->reconnected = 0;
	}
	if (v->d->rotate_ms > 0 && l->rotate_timer == 0 &&
	    v->api->timer_add(v->ctx, v->d->rotate_ms * 1000000, 0,
	    &l->rotate_timer) != QD_OK)
		l->rotate_timer = 0;
}

static inline void
venue_on_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct venue *v = state;
	int i = venue_link_of(v, conn);
	struct venue_link *l;
	char why[96];

	if (i < 0)
		return;
	l = &v->link[i];
	if (conn == l->conn)
		l->last_rx = venue_now_ms(v);
	if (conn == l->conn && l->old_conn != 0) {
		/* The fresh connection answers: retire the old one. */
		v->api->ws_close(v->ctx, l->old_conn);
		venue_say(v, QD_LOG_INFO, "switched to a fresh connection");
	}
	why[0] = '\0';
	if (v->d->message(v, i, conn, data, len, why) < 0)
		venue_malformed(v, why, data, len);
}

static inline void
venue_on_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct venue *v = state;
	int i = venue_link_of(v, conn);
	struct venue_link *l;
	int64_t delay;

	if (i < 0)
		return;
	l = &v->link[i];
	if (conn == l->old_conn) {
		l->old_conn = 0;
		return;
	}
	l->conn = 0;
	l->open = 0;
	if (v->stopping)
		return;
	venue_say(v, QD_LOG_WARN, "connection lost (%d %s); reconnecting",
		code, reason ? reason : "");
	delay = venue_backoff_ms(v, l);
	l->reconnected = 1;
	if (v->api->timer_add(v->ctx, delay * 1000000, 0, &l->retry_timer) !=
	    QD_OK)
		l->retry_timer = 0;
}

/* How long a rate-limit answer pauses REST: the venue's Retry-After
 * (seconds) where it sends one and the host can read it, else `dflt`. */
static inline int64_t
venue_pause_ms(struct venue *v, int64_t dflt)
{
	char buf[32], *end;
	long long s;

	if (!QD_API_HAS(v->api, http_header) ||
	    v->api->http_header(v->ctx, "retry-after", buf, sizeof(buf)) !=
	    QD_OK)
		return dflt;
	s = strtoll(buf, &end, 10);
	if (end == buf || *end != '\0' || s < 0 || s > 7 * 86400)
		return dflt;
	return s * 1000 > 1000 ? s * 1000 : 1000;
}

/* The request weight the venue says this minute used: at 90 % of its
 * limit, REST waits for the next minute rather than meet a 429. */
static inline void
venue_weigh(struct venue *v)
{
	char buf[32], *end;
	long used;
	int64_t now, until;

	if (v->d->weight_header == NULL || v->d->weight_limit <= 0 ||
	    !QD_API_HAS(v->api, http_header) ||
	    v->api->http_header(v->ctx, v->d->weight_header, buf,
	    sizeof(buf)) != QD_OK)
		return;
	used = strtol(buf, &end, 10);
	if (end == buf || *end != '\0' || used < v->d->weight_limit * 9 / 10)
		return;
	now = venue_now_ms(v);
	until = now / 60000 * 60000 + 61000;
	if (until <= v->rest_blocked_until)
		return;
	v->rest_blocked_until = until;
	venue_say(v, QD_LOG_WARN, "REST weight %ld of %ld used this minute: no "
		"REST call for %lld s", used, v->d->weight_limit,
		(long long)((until - now + 999) / 1000));
	if (v->rest_timer == 0 && v->api->timer_add(v->ctx,
	    (until - now) * 1000000, 0, &v->rest_timer) != QD_OK)
		v->rest_timer = 0;
}

/* A rate-limit answer: REST stops for the venue's Retry-After (or the
 * dialect's time).  1 if `status` is one. */
static inline int
venue_paused_by(struct venue *v, int status)
{
	int64_t pause;
	int i;

	for (i = 0; i < 3; i++)
		if (v->d->pause_status[i] != 0 &&
		    status == v->d->pause_status[i]) {
			/* Never hammer: venues ban IPs that keep going. */
			pause = venue_pause_ms(v, v->d->pause_ms[i]);
			v->rest_blocked_until = venue_now_ms(v) + pause;
			venue_say(v, QD_LOG_WARN, "REST answered %d: no REST "
				"call for %lld s", status,
				(long long)(pause / 1000));
			if (v->rest_timer == 0 && v->api->timer_add(v->ctx,
			    pause * 1000000, 0, &v->rest_timer) != QD_OK)
				v->rest_timer = 0;
			return 1;
		}
	return 0;
}

static inline void venue_instruments_in(struct venue *v, int64_t ms);

/* Ask for the instrument list (unless one is on its way); while REST
 * waits, after it. */
static inline void
venue_fetch_instruments(struct venue *v)
{
	struct qd_http_request r;
	char url[512];

	if (v->d->instruments_url == NULL || v->instr_req != 0)
		return;
	if (venue_now_ms(v) < v->rest_blocked_until) {
		venue_instruments_in(v, v->rest_blocked_until -
			venue_now_ms(v) + 1000);
		return;
	}
	v->d->instruments_url(v, url, sizeof(url));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "GET";
	r.url = url;
	if (v->api->http_request(v->ctx, &r, &v->instr_req) != QD_OK)
		v->instr_req = 0;
}

/* The next fetch of the instrument list in `ms`. */
static inline void
venue_instruments_in(struct venue *v, int64_t ms)
{
	if (v->d->instruments_url == NULL || v->stopping)
		return;
	if (v->instr_timer != 0)
		v->api->timer_cancel(v->ctx, v->instr_timer);
	if (v->api->timer_add(v->ctx, ms * 1000000, 0, &v->instr_timer) !=
	    QD_OK)
		v->instr_timer = 0;
}

static inline void
venue_on_instruments(struct venue *v, int status, const char *body,
	size_t len)
{
	long n;

	if (venue_paused_by(v, status)) {
		venue_instruments_in(v, v->rest_blocked_until -
			venue_now_ms(v) + 1000);
		return;
	}
	if (status != 200) {
		venue_say(v, QD_LOG_WARN, "instrument list failed: HTTP %d; "
			"again in a minute", status);
		venue_instruments_in(v, 60000);
		return;
	}
	if ((n = v->d->instruments(v, body, len)) < 0) {
		venue_malformed(v, "instrument list", body, len);
		venue_instruments_in(v, 60000);
		return;
	}
	if (!v->instr_fetched)
		venue_say(v, QD_LOG_INFO, "instrument list: %ld instruments",
			n);
	v->instr_fetched = 1;
	venue_instruments_in(v, 3600000);
}

static inline void
venue_on_http_response(void *state, uint64_t id, int status,
	const char *body, size_t len)
{
	struct venue *v = state;
	struct venue_page p;
	struct venue_req r;
	size_t k;
	long n;

	if (id != 0 && (id == v->instr_req || venue_req_busy_id(v, id)))
		venue_weigh(v);
	if (id != 0 && id == v->instr_req) {
		v->instr_req = 0;
		venue_on_instruments(v, status, body, len);
		return;
	}
	for (k = 0; k < VENUE_MAX_REQS && (v->reqs[k].id != id || id == 0);
	     k++)
		;
	if (k == VENUE_MAX_REQS)
		return;
	r = v->reqs[k];
	v->reqs[k].id = 0;
	if (venue_paused_by(v, status)) {
		venue_backfill_from(v, r.sub, r.from, r.to);  /* held */
		return;
	}
	if (status != 200) {
		venue_say(v, QD_LOG_WARN, "backfill of %s failed: HTTP %d",
			v->subs[r.sub].native, status);
		return;
	}
	p.v = v;
	p.s = &v->subs[r.sub];
	p.from = r.from;
	p.to = r.to;
	p.first = p.last = -1;
	p.last_close = 0;
	n = v->d->klines(v, &p, body, len);
	if (n < 0) {
		venue_malformed(v, "klines answer", body, len);
		return;
	}
	if (n > 0 && v->d->kline_link >= 0)
		venue_say(v, QD_LOG_INFO, "backfilled %ld 1m klines of %s", n,
			v->subs[r.sub].native);
	if (n < (v->d->page_rows > 0 ? v->d->page_rows : 1000) || p.first < 0)
		return;
	/* A full page: the rest of the range, on whichever side the venue
	 * left it (oldest-first venues answer from the start of a range,
	 * newest-first ones from its end). */
	venue_backfill_from(v, r.sub, r.from, p.first);
	venue_backfill_from(v, r.sub, p.last + 60000, r.to);
}

/* The next poll of a venue without a kline stream: 2 s after a minute
 * closes (venues finish a minute's kline a moment after it ends). */
static inline void
venue_poll_arm(struct venue *v)
{
	int64_t now = venue_now_ms(v);
	int64_t at = now / 60000 * 60000 + 62000;

	if (at - now > 60000)
		at -= 60000;
	if (v->api->timer_add(v->ctx, (at - now) * 1000000, 0,
	    &v->poll_timer) != QD_OK)
		v->poll_timer = 0;
}

static inline void
venue_on_timer(void *state, uint64_t id)
{
	struct venue *v = state;
	int i;

	for (i = 0; i < v->n_links; i++) {
		struct venue_link *l = &v->link[i];

		if (id == l->retry_timer) {
			l->retry_timer = 0;
			if (!v->stopping && l->conn == 0)
				venue_connect(v, l);
			return;
		}
		if (id == l->rotate_timer) {
			l->rotate_timer = 0;
			if (l->open && l->old_conn == 0) {
				l->old_conn = l->conn;
				venue_connect(v, l);
			}
			return;
		}
	}
	if (id == v->watch_timer) {
		/* A stalled stream: open, but silent for longer than the
		 * venue's heartbeats allow.  Closing it makes it a loss
		 * (reopened with backoff, the gap backfilled). */
		for (i = 0; i < v->n_links; i++) {
			struct venue_link *l = &v->link[i];

			if (l->open && venue_now_ms(v) - l->last_rx >
			    v->d->silence_ms) {
				venue_say(v, QD_LOG_WARN, "no message on %s for "
					"%lld s: the stream stalled; "
					"reconnecting", l->url, (long long)
					((venue_now_ms(v) - l->last_rx) /
					1000));
				l->open = 0;
				v->api->ws_close(v->ctx, l->conn);
			}
		}
	} else if (id == v->ping_timer) {
		for (i = 0; i < v->n_links; i++)
			if (v->link[i].open && v->d->ping != NULL)
				v->api->ws_send(v->ctx, v->link[i].conn,
					v->d->ping, strlen(v->d->ping));
	} else if (id == v->rest_timer) {
		struct venue_req held[VENUE_MAX_REQS];
		size_t k;

		v->rest_timer = 0;
		if (venue_now_ms(v) + 100 < v->rest_blocked_until) {
			/* A longer pause came since: wait for its end. */
			if (v->api->timer_add(v->ctx, (v->rest_blocked_until -
			    venue_now_ms(v)) * 1000000, 0, &v->rest_timer) !=
			    QD_OK)
				v->rest_timer = 0;
			return;
		}
		v->rest_blocked_until = 0;   /* the pause is over */
		memcpy(held, v->deferred, sizeof(held));
		memset(v->deferred, 0, sizeof(v->deferred));
		for (k = 0; k < VENUE_MAX_REQS; k++)
			if (held[k].id != 0)
				venue_backfill_from(v, held[k].sub,
					held[k].from, held[k].to);
		venue_backfill_all(v);
	} else if (id == v->instr_timer) {
		v->instr_timer = 0;
		venue_fetch_instruments(v);
	} else if (id == v->poll_timer) {
		v->poll_timer = 0;
		if (!v->stopping) {
			venue_backfill_all(v);
			venue_poll_arm(v);
		}
	}
}

/* Trades of every subscribed symbol (the host builds the timeframes from
 * them); the venue's 1m klines where 1m bars are asked. */
static inline int
venue_subscribe(void *state, qd_symbol sym, uint32_t tf)
{
	struct venue *v = state;
	struct venue_sub *s = venue_sub_of(v, sym);
	int before, i;

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
	/* A symbol new to the adapter: its instrument, soon (one fetch for
	 * a burst of subscriptions). */
	if (before == 0 && v->instr_fetched)
		venue_instruments_in(v, 2000);
	if (s->trades + s->kline + s->book != before)
		for (i = 0; i < v->n_links; i++)
			if (v->link[i].open)
				v->d->subscribe(v, i, v->link[i].conn,
					(size_t)(s - v->subs),
					(size_t)(s - v->subs) + 1);
	return QD_OK;
}

static inline int
venue_backfill(void *state, qd_symbol sym, uint32_t tf, int64_t from,
	int64_t to)
{
	struct venue *v = state;
	struct venue_sub *s;

	if (tf != 60)
		return QD_ERR_UNSUPPORTED;
	/* A symbol not streamed gets an entry too (no streams asked). */
	if ((s = venue_sub_of(v, sym)) == NULL)
		return QD_ERR_LIMIT;
	venue_backfill_from(v, (size_t)(s - v->subs), from / 1000000,
		to / 1000000);
	return QD_OK;
}

static inline int
venue_start(void *state)
{
	struct venue *v = state;
	int rc, i;

	if (v->d->ping != NULL && (rc = v->api->timer_add(v->ctx,
	    v->d->ping_ms * 1000000, v->d->ping_ms * 1000000,
	    &v->ping_timer)) != QD_OK)
		return rc;
	if (v->d->silence_ms > 0 && (rc = v->api->timer_add(v->ctx,
	    v->d->silence_ms * 1000000 / 4, v->d->silence_ms * 1000000 / 4,
	    &v->watch_timer)) != QD_OK)
		return rc;
	if (v->d->kline_link < 0)
		venue_poll_arm(v);
	for (i = 0; i < v->n_links; i++)
		venue_connect(v, &v->link[i]);
	/* After the start's subscriptions: the list is read for them. */
	venue_instruments_in(v, 1000);
	return QD_OK;
}

static inline void
venue_stop(void *state)
{
	struct venue *v = state;
	int i;

	v->stopping = 1;
	for (i = 0; i < v->n_links; i++) {
		if (v->link[i].conn)
			v->api->ws_close(v->ctx, v->link[i].conn);
		if (v->link[i].old_conn)
			v->api->ws_close(v->ctx, v->link[i].old_conn);
	}
}

#endif
