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
 *     of two.
 */
#ifndef QD_PLUGINS_VENUE_H
#define QD_PLUGINS_VENUE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <quantd/sdk.h>

#define VENUE_MAX_SUBS 512

struct venue_sub {
	qd_symbol sym;
	char native[32];       /* BTCUSDT */
	char stream[32];       /* btcusdt */
	int trades, kline, book;
	uint64_t last_trade;   /* last trade id emitted (ordered ids) */
	int64_t last_kline;    /* open time (ms) of the last closed 1m kline */
	int64_t since;         /* the first minute streamed (ms) */
};

struct venue {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	struct venue_sub subs[VENUE_MAX_SUBS];
	size_t n_subs;
	int attempts;          /* reconnects since the last good open */
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

#endif
