/*
 * binance.c -- the `binance` exchange: Binance spot market data here,
 * orders and the account in trade.c (each event goes to the private side
 * when it is one of its requests, connections or timers, else to the
 * market-data core).
 *
 * One WebSocket (`ws_url`, default wss://stream.binance.com:9443/ws) with
 * SUBSCRIBE requests for what strategies and the instance config ask:
 * trades (`trade_stream`: trade or aggTrade) for every subscribed symbol,
 * the 1m kline stream where 1m bars are asked (the venue's kline is the
 * authority for 1m; the host builds the other timeframes from trades), and
 * bookTicker when `book` is on.  Binance cuts a connection after 24 h: a
 * new one is opened and subscribed before that and the old one closed at
 * the new one's first answer, with trades seen on both dropped by id.  The
 * rest -- reconnect with backoff, REST backfill of the 1m klines missed
 * (`rest_url`/api/v3/klines), REST paused 60 s / 5 min after 429 / 418,
 * the instrument list (`rest_url`/api/v3/exchangeInfo for the subscribed
 * symbols) at start and hourly -- is the shared adapter core
 * (plugins/common/venue.h).  Everything goes
 * through the host's network API, so base URLs point it at a fake.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "parse.h"
#include "trade.h"
#include "../common/venue.h"

struct bn {
	struct venue v;        /* first: the shared adapter state */
	char trade_stream[16];
	struct bn_tr t;        /* orders and the account (trade.c) */
};

/* SUBSCRIBE the streams of subs [from, to). */
static void
bn_subscribe_msg(struct venue *v, int link, uint64_t conn, size_t from,
	size_t to)
{
	struct bn *b = (struct bn *)v;
	size_t cap = 64 + (to - from) * 3 * 48, len, i;
	int first = 1, rc;
	char *msg;

	(void)link;
	if (from >= to || (msg = malloc(cap)) == NULL)
		return;
	len = (size_t)snprintf(msg, cap, "{\"method\":\"SUBSCRIBE\",\"params\":[");
	for (i = from; i < to; i++) {
		const struct venue_sub *s = &v->subs[i];
		const char *kinds[3] = { s->trades ? b->trade_stream : NULL,
			s->kline ? "kline_1m" : NULL,
			s->book ? "bookTicker" : NULL };
		int k;

		for (k = 0; k < 3; k++)
			if (kinds[k] != NULL) {
				len += (size_t)snprintf(msg + len, cap - len,
					"%s\"%s@%s\"", first ? "" : ",",
					s->stream, kinds[k]);
				first = 0;
			}
	}
	len += (size_t)snprintf(msg + len, cap - len, "],\"id\":%llu}",
		(unsigned long long)++v->next_id);
	rc = first ? QD_OK : v->api->ws_send(v->ctx, conn, msg, len);
	free(msg);
	if (rc != QD_OK)
		venue_say(v, QD_LOG_WARN, "SUBSCRIBE not sent: %s",
			qd_strerror(rc));
}

static int
bn_message(struct venue *v, int link, uint64_t conn, const char *data,
	size_t len, char *why)
{
	struct bn_event ev;
	struct venue_sub *s;

	(void)link;
	(void)conn;
	if (bn_parse_ws(data, len, &ev) != 0) {
		snprintf(why, 96, "%s", ev.error);
		return -1;
	}
	switch (ev.kind) {
	case BN_TRADE:
		if ((s = venue_find_native(v, ev.native)) == NULL ||
		    !s->trades || (s->last_trade != 0 && ev.id <= s->last_trade))
			return 0;  /* not ours, or seen on the other connection */
		s->last_trade = ev.id;
		venue_emit_trade(v, s, ev.ts_ms, ev.price, ev.qty, ev.side,
			ev.id);
		break;
	case BN_KLINE:
		if ((s = venue_find_native(v, ev.native)) != NULL && s->kline &&
		    ev.closed && strcmp(ev.interval, "1m") == 0)
			venue_emit_kline(v, s, ev.ts_ms, ev.open, ev.high,
				ev.low, ev.close, ev.volume);
		break;
	case BN_BOOK:
		if ((s = venue_find_native(v, ev.native)) != NULL && s->book)
			venue_emit_book(v, s, ev.bid, ev.bid_qty, ev.ask,
				ev.ask_qty);
		break;
	case BN_ERROR:
		venue_say(v, QD_LOG_WARN, "request %llu refused: %d %s",
			(unsigned long long)ev.id, ev.code, ev.error);
		break;
	case BN_RESULT:
	case BN_UNKNOWN:
		break;
	}
	return 0;
}

static void
bn_klines_url(struct venue *v, const struct venue_sub *s, int64_t from,
	int64_t to, char *url, size_t cap)
{
	snprintf(url, cap, "%s/api/v3/klines?symbol=%s&interval=1m"
		"&startTime=%lld&endTime=%lld&limit=1000", v->rest_url,
		s->native, (long long)from, (long long)to);
}

static void
page_row(void *arg, const struct bn_event *k)
{
	venue_page_kline(arg, k->ts_ms, k->open, k->high, k->low, k->close,
		k->volume, k->closed);
}

static long
bn_klines(struct venue *v, struct venue_page *p, const char *body, size_t len)
{
	return bn_parse_klines(body, len, venue_now_ms(v), page_row, p);
}

/*
 * exchangeInfo for the subscribed symbols only: the whole list weighs 20
 * of the 6000 a minute and is some megabytes; a symbols=[...] array (the
 * URL-encoded JSON array the venue documents) weighs 4 for up to 20
 * symbols and 40 beyond.  With nothing subscribed yet there is nothing to
 * hand over, so BTCUSDT alone is asked (weight 2): a small answer that
 * still shows the venue answers.  Symbols too many for the URL: the whole
 * list.
 */
static void
bn_instruments_url(struct venue *v, char *url, size_t cap)
{
	size_t len, i;
	int n;

	n = snprintf(url, cap, "%s/api/v3/exchangeInfo?symbols=%%5B%s",
		v->rest_url, v->n_subs == 0 ? "%22BTCUSDT%22" : "");
	len = n < 0 ? cap : (size_t)n;
	for (i = 0; i < v->n_subs && len < cap; i++) {
		n = snprintf(url + len, cap - len, "%s%%22%s%%22",
			i ? "%2C" : "", v->subs[i].native);
		len = n < 0 ? cap : len + (size_t)n;
	}
	if (len >= cap || snprintf(url + len, cap - len, "%%5D") >=
	    (int)(cap - len))
		snprintf(url, cap, "%s/api/v3/exchangeInfo", v->rest_url);
}

static void
instrument(void *arg, const struct bn_instrument *in)
{
	/* "" is "the venue gives none": NULL to the host. */
#define OPT(s) ((s)[0] != '\0' ? (s) : NULL)
	venue_instrument(arg, in->native, OPT(in->tick), OPT(in->lot),
		OPT(in->min_qty), OPT(in->min_notional), in->status,
		in->trading);
#undef OPT
}

static long
bn_instruments(struct venue *v, const char *body, size_t len)
{
	char why[96];
	long n = bn_parse_instruments(body, len, instrument, v, why);

	if (n < 0)
		venue_say(v, QD_LOG_WARN, "instrument list refused: %s", why);
	return n;
}

static const struct venue_dialect binance_dialect = {
	.subscribe = bn_subscribe_msg,
	.message = bn_message,
	.klines_url = bn_klines_url,
	.klines = bn_klines,
	.instruments_url = bn_instruments_url,
	.instruments = bn_instruments,
	.rotate_ms = 86400000LL - 30 * 60000LL,  /* before the 24 h cut */
	.weight_header = "x-mbx-used-weight-1m",
	.weight_limit = 6000,   /* request weight per minute and IP */
	.pause_status = { 429, 418 },
	.pause_ms = { 60000, 300000 },
};

static int
bn_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct bn *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return QD_ERR_NOMEM;
	venue_init(&b->v, api, ctx, &binance_dialect, p);
	snprintf(b->trade_stream, sizeof(b->trade_stream), "%s",
		api->param_string(p, "trade_stream"));
	bn_trade_init(&b->t, &b->v, p);
	*state = b;
	return QD_OK;
}

static void
bn_destroy(void *state)
{
	struct bn *b = state;

	bn_trade_free(&b->t);
	free(b);
}

static int
bn_start(void *state)
{
	struct bn *b = state;
	int rc = venue_start(&b->v);

	if (rc == QD_OK)
		bn_trade_start(&b->t);
	return rc;
}

static void
bn_stop(void *state)
{
	struct bn *b = state;

	bn_trade_stop(&b->t);
	venue_stop(&b->v);
}

/* Each event goes to the private side when it is its, else to the
 * shared market-data core. */
static void
bn_ws_open(void *state, uint64_t conn)
{
	struct bn *b = state;

	if (!bn_trade_ws_open(&b->t, conn))
		venue_on_ws_open(&b->v, conn);
}

static void
bn_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct bn *b = state;

	if (!bn_trade_ws_message(&b->t, conn, data, len))
		venue_on_ws_message(&b->v, conn, data, len);
}

static void
bn_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct bn *b = state;

	if (!bn_trade_ws_close(&b->t, conn, code, reason))
		venue_on_ws_close(&b->v, conn, code, reason);
}

static void
bn_http(void *state, uint64_t id, int status, const char *body, size_t len)
{
	struct bn *b = state;

	if (!bn_trade_http(&b->t, id, status, body, len))
		venue_on_http_response(&b->v, id, status, body, len);
}

static void
bn_timer(void *state, uint64_t id)
{
	struct bn *b = state;

	if (!bn_trade_timer(&b->t, id))
		venue_on_timer(&b->v, id);
}

static int
bn_order_place(void *state, uint64_t id, const struct qd_order_req *r)
{
	return bn_place(&((struct bn *)state)->t, id, r);
}

static int
bn_order_cancel(void *state, uint64_t id)
{
	return bn_cancel(&((struct bn *)state)->t, id);
}

static int
bn_order_query(void *state, uint64_t id)
{
	return bn_query(&((struct bn *)state)->t, id);
}

static int
bn_order_cancel_all(void *state, qd_symbol sym)
{
	return bn_cancel_all(&((struct bn *)state)->t, sym);
}

static int
bn_account_sync(void *state)
{
	return bn_sync(&((struct bn *)state)->t);
}

static const struct qd_exchange_ops bn_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = bn_create,
		.start = bn_start,
		.stop = bn_stop,
		.destroy = bn_destroy,
	},
	.subscribe = venue_subscribe,
	.on_ws_open = bn_ws_open,
	.on_ws_message = bn_ws_message,
	.on_ws_close = bn_ws_close,
	.on_http_response = bn_http,
	.on_timer = bn_timer,
	.order_place = bn_order_place,
	.order_cancel = bn_order_cancel,
	.order_query = bn_order_query,
	.backfill = venue_backfill,
	.order_cancel_all = bn_order_cancel_all,
	.account_sync = bn_account_sync,
};

static const char *const key_types[] = { "hmac", "ed25519", NULL };

static const char *const trade_streams[] = { "trade", "aggTrade", NULL };

static const struct qd_param_spec bn_params[] = {
	QD_PARAM_STRING_SPEC("ws_url", "wss://stream.binance.com:9443/ws",
		"WebSocket base URL (testnet: wss://stream.testnet.binance."
		"vision/ws)"),
	QD_PARAM_STRING_SPEC("rest_url", "https://api.binance.com",
		"REST base URL (testnet: https://testnet.binance.vision)"),
	QD_PARAM_ENUM_SPEC("trade_stream", "trade", trade_streams,
		"trade stream: every trade, or aggregated trades"),
	QD_PARAM_BOOL_SPEC("book", 0, "stream the best bid and ask"),
	QD_PARAM_STRING_SPEC("ws_api_url",
		"wss://ws-api.binance.com:443/ws-api/v3",
		"WebSocket API URL, for the user data stream (testnet: "
		"wss://ws-api.testnet.binance.vision/ws-api/v3)"),
	QD_PARAM_ENUM_SPEC("key_type", "hmac", key_types,
		"API key type: hmac (secret api_secret) or ed25519 (secret "
		"private_key)"),
	QD_PARAM_INT_SPEC("recv_window_ms", 5000, 1, 60000,
		"recvWindow of signed requests (the venue allows 60000 at "
		"most)"),
	QD_PARAM_DOUBLE_SPEC("orders_per_s", 10, 0.1, 1000,
		"orders sent per second at most (the venue's ORDERS limit)"),
};

static const struct qd_plugin bn_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "binance",
	.version = "0.1.0",
	.description = "Binance spot: market data (trades, 1m klines, best "
	    "bid/ask) over WebSocket, REST backfill; orders and the account "
	    "(signed REST, user data stream over the WebSocket API)",
	.license = "MIT",
	.params = bn_params,
	.n_params = QD_COUNTOF(bn_params),
	.ops = &bn_ops,
};

static const struct qd_plugin *const plugins[] = { &bn_plugin, NULL };

QD_MODULE(plugins);
