/*
 * coinbase.c -- the `coinbase` exchange: Coinbase Advanced Trade public
 * market data.
 *
 * One WebSocket (`ws_url`, default wss://advanced-trade-ws.coinbase.com),
 * one channel per subscribe message (the venue's rule): `heartbeats` once
 * per connection, right after it opens (the venue drops a connection that
 * has not subscribed within 5 s, and closes channels after 60-90 s without
 * a message: the heartbeats keep them open), `market_trades` for every
 * subscribed symbol and `ticker` (best bid and ask) when `book` is on.
 * market_trades reports the MAKER's side; the parser hands out the taker's.
 * Trades come in batches, newest first: they are emitted oldest first,
 * each once by trade id; a subscription's snapshot (the last trades before
 * it) is used only to fill what a lost connection missed.  Every message
 * carries the connection's sequence_num: a jump is logged (messages the
 * venue dropped).
 *
 * The venue streams no 1m candles (its `candles` channel is 5-minute
 * only), so the shared core polls the closed 1m candles over REST once a
 * minute and after a loss: `rest_url`/api/v3/brokerage/market/products/
 * BTC-USD/candles, newest first, at most 350 rows, a larger range refused.
 * So a request asks the newest 350 minutes of its range and the older part
 * follows as its own request.  REST pauses after 429.  The product list
 * (`rest_url`/api/v3/brokerage/market/products?product_type=SPOT) gives
 * the subscribed symbols' quote_increment, base_increment, base_min_size
 * and quote_min_size to the host, trading when "online" and not
 * trading_disabled (an alias product such as BTC-USDC keeps its own name
 * and quote currency).  Reconnect with backoff, the list's schedule and
 * the rest is the shared core (plugins/common/venue.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "parse.h"
#include "trade.h"
#include "../common/venue.h"

#define PAGE_ROWS 350   /* the venue's largest candles answer */

struct coinbase {
	struct venue v;                 /* first: the core's state */
	struct venue_req cur;           /* the REST request being answered */
	int has_cur;
	uint64_t hb_conn;               /* the connection heartbeats are on */
	uint64_t seq_conn[VENUE_LINKS]; /* sequence_num followed on ... */
	int64_t seq_last[VENUE_LINKS];  /* ... and its last value */
	uint64_t gaps;
	/* The newest id of each sub's first snapshot, taken as its last
	 * trade once the whole message is read (not before: the rest of
	 * that snapshot would pass as new). */
	uint64_t snap_last[VENUE_MAX_SUBS];
	int snap_seen;
	struct cbt *trade;              /* orders and the account */
};

static void
send_msg(struct venue *v, uint64_t conn, const char *msg, size_t len)
{
	int rc;

	if ((rc = v->api->ws_send(v->ctx, conn, msg, len)) != QD_OK)
		venue_say(v, QD_LOG_WARN, "subscribe not sent: %s",
			qd_strerror(rc));
}

/* {"type":"subscribe","product_ids":[...],"channel":CHANNEL} for the subs
 * of [from, to) that want trades (or the book top, `book`); nothing if
 * none does. */
static void
subscribe_channel(struct venue *v, uint64_t conn, const char *channel,
	int book, size_t from, size_t to)
{
	size_t cap = 96 + (to - from) * (sizeof(v->subs[0].native) + 3);
	size_t len, i, n = 0;
	char *msg = malloc(cap);

	if (msg == NULL) {
		venue_say(v, QD_LOG_ERROR, "subscribe to %s: out of memory",
			channel);
		return;
	}
	len = (size_t)snprintf(msg, cap, "{\"type\":\"subscribe\","
		"\"product_ids\":[");
	for (i = from; i < to; i++) {
		const struct venue_sub *s = &v->subs[i];

		if (!(book ? s->book : s->trades))
			continue;
		len += (size_t)snprintf(msg + len, cap - len, "%s\"%s\"",
			n++ ? "," : "", s->native);
	}
	len += (size_t)snprintf(msg + len, cap - len, "],\"channel\":\"%s\"}",
		channel);
	if (n > 0)
		send_msg(v, conn, msg, len);
	free(msg);
}

static void
cb_subscribe(struct venue *v, int link, uint64_t conn, size_t from,
	size_t to)
{
	static const char hb[] = "{\"type\":\"subscribe\","
		"\"channel\":\"heartbeats\"}";
	struct coinbase *c = (struct coinbase *)v;

	(void)link;
	if (c->hb_conn != conn) {
		/* Even with nothing to stream yet: it is the subscribe the
		 * venue wants within 5 s, and it keeps the link alive. */
		send_msg(v, conn, hb, sizeof(hb) - 1);
		c->hb_conn = conn;
	}
	subscribe_channel(v, conn, "market_trades", 0, from, to);
	subscribe_channel(v, conn, "ticker", 1, from, to);
}

static void
on_trade(struct coinbase *c, const struct cb_event *ev)
{
	struct venue *v = &c->v;
	struct venue_sub *s = venue_find_native(v, ev->native);
	size_t i;

	if (s == NULL || !s->trades)
		return;
	i = (size_t)(s - v->subs);
	if (ev->snapshot && (!ev->id_ordered || s->last_trade == 0)) {
		/* Trades from before streaming began: their minutes come
		 * from the venue's candles; only the id is kept so the
		 * updates continue after it. */
		if (ev->id_ordered && ev->id > c->snap_last[i]) {
			c->snap_last[i] = ev->id;
			c->snap_seen = 1;
		}
		return;
	}
	if (ev->id_ordered) {
		if (s->last_trade != 0 && ev->id <= s->last_trade)
			return;  /* seen already (snapshot after a loss) */
		s->last_trade = ev->id;
	}
	venue_emit_trade(v, s, ev->ts_ms, ev->price, ev->qty, ev->side,
		ev->id);
}

static void
on_event(void *arg, const struct cb_event *ev)
{
	struct venue *v = arg;
	struct venue_sub *s;

	switch (ev->kind) {
	case CB_TRADE:
		on_trade(arg, ev);
		break;
	case CB_BOOK:
		if ((s = venue_find_native(v, ev->native)) != NULL && s->book)
			venue_emit_book(v, s, ev->bid, ev->bid_qty, ev->ask,
				ev->ask_qty);
		break;
	case CB_ERROR:
		venue_say(v, QD_LOG_WARN, "coinbase says: %s", ev->text);
		break;
	case CB_STATUS:
		if ((s = venue_find_native(v, ev->native)) != NULL &&
		    strcmp(ev->text, "online") != 0)
			venue_say(v, QD_LOG_WARN, "%s is %s", s->native,
				ev->text);
		break;
	case CB_SUBSCRIBED:
		venue_say(v, QD_LOG_DEBUG, "subscribed: %s", ev->text);
		break;
	case CB_KLINE:       /* 5-minute candles: not asked for */
	case CB_HEARTBEAT:   /* only there to keep the channels open */
		break;
	}
}

static int
cb_message(struct venue *v, int link, uint64_t conn, const char *data,
	size_t len, char *why)
{
	struct coinbase *c = (struct coinbase *)v;
	struct cb_envelope env;
	size_t i;

	if (cb_parse_ws(data, len, &env, on_event, v, why) < 0)
		return -1;
	if (c->snap_seen) {
		for (i = 0; i < v->n_subs; i++) {
			if (c->snap_last[i] > v->subs[i].last_trade)
				v->subs[i].last_trade = c->snap_last[i];
			c->snap_last[i] = 0;
		}
		c->snap_seen = 0;
	}
	if (env.seq < 0)
		return 0;
	/* sequence_num counts the connection's messages from 0: a jump
	 * means messages the venue did not deliver. */
	if (c->seq_conn[link] == conn && env.seq != c->seq_last[link] + 1) {
		c->gaps++;
		if ((c->gaps & (c->gaps - 1)) == 0)
			venue_say(v, QD_LOG_WARN, "sequence gap on %s: %lld "
				"after %lld (%llu gaps so far)", env.channel,
				(long long)env.seq,
				(long long)c->seq_last[link],
				(unsigned long long)c->gaps);
	}
	c->seq_conn[link] = conn;
	c->seq_last[link] = env.seq;
	return 0;
}

/* The first minute (ms) a request for [from, to] asks the venue: at most
 * the newest PAGE_ROWS minutes of it. */
static int64_t
window_from(int64_t from, int64_t to)
{
	int64_t first = to / 60000 * 60000 - (PAGE_ROWS - 1) * 60000LL;

	return from > first ? from : first;
}

static void
cb_klines_url(struct venue *v, const struct venue_sub *s, int64_t from,
	int64_t to, char *url, size_t cap)
{
	/* Seconds, both ends inside the range (`to` is its last ms): less
	 * than PAGE_ROWS minutes apart, which the venue requires. */
	snprintf(url, cap, "%s/api/v3/brokerage/market/products/%s/candles"
		"?start=%lld&end=%lld&granularity=ONE_MINUTE", v->rest_url,
		s->native, (long long)(window_from(from, to) / 1000),
		(long long)(to / 1000));
}

static void
page_row(void *arg, const struct cb_event *k)
{
	venue_page_kline(arg, k->ts_ms, k->open, k->high, k->low, k->close,
		k->volume, k->closed);
}

static long
cb_klines(struct venue *v, struct venue_page *p, const char *body,
	size_t len)
{
	struct coinbase *c = (struct coinbase *)v;
	char why[96];
	long n;
	int64_t w;

	/* The answer covers the window the URL asked, not the whole range
	 * (minutes before it are not known to be empty). */
	p->from = window_from(p->from, p->to - 1);
	n = cb_parse_klines(body, len, 60000, venue_now_ms(v), page_row, p,
		why);
	if (n < 0 || !c->has_cur)
		return n;
	/* The older part of a range longer than one answer.  A full page
	 * is continued by the core; a short one (minutes without trades
	 * have no candle) here. */
	w = window_from(c->cur.from, c->cur.to - 1);
	if (w > c->cur.from && n < PAGE_ROWS)
		venue_backfill_from(v, c->cur.sub, c->cur.from, w);
	return n;
}

/* The core's answer handler, knowing which request is answered (the
 * dialect's klines callback is not told the range it asked for). */
static void
cb_on_http_response(void *state, uint64_t id, int status, const char *body,
	size_t len)
{
	struct coinbase *c = state;
	size_t k;

	if (cbt_on_http(c->trade, id, status, body, len))
		return;
	for (k = 0; k < VENUE_MAX_REQS; k++)
		if (id != 0 && c->v.reqs[k].id == id) {
			c->cur = c->v.reqs[k];
			c->has_cur = 1;
			break;
		}
	venue_on_http_response(state, id, status, body, len);
	c->has_cur = 0;
}

/* Every SPOT product in one answer (the public list is not paged unless
 * a limit is asked). */
static void
cb_instruments_url(struct venue *v, char *url, size_t cap)
{
	snprintf(url, cap, "%s/api/v3/brokerage/market/products"
		"?product_type=SPOT", v->rest_url);
}

static void
on_instrument(void *arg, const struct cb_instrument *in)
{
	/* venue_instrument() keeps only the subscribed product ids; the
	 * venue's "" for no minimum notional is none to the host. */
	venue_instrument(arg, in->native, in->tick, in->lot, in->min_qty,
		in->min_notional[0] ? in->min_notional : NULL, in->status,
		in->trading);
}

static long
cb_instruments(struct venue *v, const char *body, size_t len)
{
	char why[96];
	long n = cb_parse_instruments(body, len, on_instrument, v, why);

	if (n < 0)
		venue_say(v, QD_LOG_WARN, "product list refused: %s", why);
	return n;
}

static const struct venue_dialect coinbase_dialect = {
	.subscribe = cb_subscribe,
	.message = cb_message,
	.klines_url = cb_klines_url,
	.klines = cb_klines,
	.instruments_url = cb_instruments_url,
	.instruments = cb_instruments,
	.sep = '-',
	.links = 1,
	.kline_link = -1,       /* no 1m candle stream: poll REST */
	.page_rows = PAGE_ROWS,
	.flat_gaps = 1,         /* no candle for a minute without trades */
	.pause_status = { 429 },
	.pause_ms = { 30000 },
	.silence_ms = 15000,    /* a heartbeat a second: silence, a stall */
};

static int
cb_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct coinbase *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return QD_ERR_NOMEM;
	venue_init(&c->v, api, ctx, &coinbase_dialect, p);
	if ((c->trade = cbt_new(&c->v, p)) == NULL) {
		free(c);
		return QD_ERR_NOMEM;
	}
	*state = c;
	return QD_OK;
}

static int
cb_start(void *state)
{
	struct coinbase *c = state;
	int rc;

	if ((rc = venue_start(state)) != QD_OK)
		return rc;
	cbt_start(c->trade);
	return QD_OK;
}

static void
cb_stop(void *state)
{
	struct coinbase *c = state;

	venue_stop(state);
	cbt_stop(c->trade);
}

static void
cb_destroy(void *state)
{
	struct coinbase *c = state;

	cbt_free(c->trade);
	free(c);
}

/* The user channel is the trading side's, the other links the core's. */
static void
cb_on_ws_open(void *state, uint64_t conn)
{
	struct coinbase *c = state;

	if (!cbt_on_ws_open(c->trade, conn))
		venue_on_ws_open(state, conn);
}

static void
cb_on_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct coinbase *c = state;

	if (!cbt_on_ws_message(c->trade, conn, data, len))
		venue_on_ws_message(state, conn, data, len);
}

static void
cb_on_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct coinbase *c = state;

	if (!cbt_on_ws_close(c->trade, conn))
		venue_on_ws_close(state, conn, code, reason);
}

static void
cb_on_timer(void *state, uint64_t id)
{
	struct coinbase *c = state;

	if (!cbt_on_timer(c->trade, id))
		venue_on_timer(state, id);
}

static int
cb_place(void *state, uint64_t id, const struct qd_order_req *r)
{
	return cbt_place(((struct coinbase *)state)->trade, id, r);
}

static int
cb_cancel(void *state, uint64_t id)
{
	return cbt_cancel(((struct coinbase *)state)->trade, id);
}

static int
cb_query(void *state, uint64_t id)
{
	return cbt_query(((struct coinbase *)state)->trade, id);
}

static int
cb_cancel_all(void *state, qd_symbol sym)
{
	return cbt_cancel_all(((struct coinbase *)state)->trade, sym);
}

static int
cb_sync(void *state)
{
	return cbt_sync(((struct coinbase *)state)->trade);
}

static const struct qd_exchange_ops cb_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = cb_create,
		.start = cb_start,
		.stop = cb_stop,
		.destroy = cb_destroy,
	},
	.subscribe = venue_subscribe,
	.on_ws_open = cb_on_ws_open,
	.on_ws_message = cb_on_ws_message,
	.on_ws_close = cb_on_ws_close,
	.on_http_response = cb_on_http_response,
	.on_timer = cb_on_timer,
	.order_place = cb_place,
	.order_cancel = cb_cancel,
	.order_query = cb_query,
	.backfill = venue_backfill,
	.order_cancel_all = cb_cancel_all,
	.account_sync = cb_sync,
};

static const struct qd_param_spec cb_params[] = {
	QD_PARAM_STRING_SPEC("ws_url", "wss://advanced-trade-ws.coinbase.com",
		"Advanced Trade market data WebSocket URL (the venue has no "
		"public sandbox for it)"),
	QD_PARAM_STRING_SPEC("rest_url", "https://api.coinbase.com",
		"REST base URL of the public candles (/api/v3/brokerage/"
		"market/...)"),
	QD_PARAM_BOOL_SPEC("book", 0, "stream the best bid and ask (ticker "
		"channel)"),
	QD_PARAM_STRING_SPEC("trade_url", "https://api.coinbase.com",
		"REST base URL of the private API (orders, fills, accounts; "
		"sandbox: https://api-sandbox.coinbase.com)"),
	QD_PARAM_STRING_SPEC("user_ws_url",
		"wss://advanced-trade-ws-user.coinbase.com",
		"WebSocket URL of the user channel (order updates)"),
	QD_PARAM_STRING_SPEC("key_type", "ec", "the CDP key: \"ec\" (ES256) "
		"or \"ed25519\" (EdDSA)"),
	QD_PARAM_INT_SPEC("rate_limit", 25, 1, 30, "private requests a second at "
		"most (the venue allows 30)"),
};

static const struct qd_plugin cb_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "coinbase",
	.version = "0.2.0",
	.description = "Coinbase Advanced Trade: market data (trades, best "
	    "bid/ask, 1m candles polled over REST) and live trading (orders, "
	    "fills, balances; user channel)",
	.license = "MIT",
	.params = cb_params,
	.n_params = QD_COUNTOF(cb_params),
	.ops = &cb_ops,
};

static const struct qd_plugin *const plugins[] = { &cb_plugin, NULL };

QD_MODULE(plugins);
