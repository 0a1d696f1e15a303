/*
 * bybit.c -- the `bybit` exchange: Bybit v5 spot public market data.
 *
 * One WebSocket (`ws_url`, default wss://stream.bybit.com/v5/public/spot)
 * with subscribe requests of at most 10 topics each (the spot limit):
 * publicTrade.SYMBOL for every subscribed symbol, kline.1.SYMBOL where 1m
 * bars are asked (the venue's closed klines are the 1m bars; the host
 * builds the other timeframes from the trades), orderbook.1.SYMBOL when
 * `book` is on.  Bybit wants a client ping every 20 s: one is sent.  The
 * rest -- reconnect with backoff, REST backfill of the 1m klines missed
 * (`rest_url`/v5/market/kline, newest first on the wire), REST paused 60 s
 * after 403 (Bybit's IP limit) or 429, the spot instrument list
 * (`rest_url`/v5/market/instruments-info) at start and hourly -- is the
 * shared adapter core (plugins/common/venue.h).
 *
 * With an "api_key" and an "api_secret" among the instance's secrets it
 * also trades spot (trade.c): orders over signed REST and the private
 * WebSocket (`private_ws_url`) for their updates.  Without them it still
 * streams market data and refuses orders.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "parse.h"
#include "trade.h"
#include "../common/venue.h"

#define TOPICS_PER_REQUEST 10

static void
send_topics(struct venue *v, uint64_t conn, char names[][48], size_t n)
{
	char msg[2048];
	size_t len, i;
	int rc;

	len = (size_t)snprintf(msg, sizeof(msg), "{\"req_id\":\"%llu\","
		"\"op\":\"subscribe\",\"args\":[",
		(unsigned long long)++v->next_id);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			"%s\"%s\"", i ? "," : "", names[i]);
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "]}");
	if ((rc = v->api->ws_send(v->ctx, conn, msg, len)) != QD_OK)
		venue_say(v, QD_LOG_WARN, "subscribe not sent: %s",
			qd_strerror(rc));
}

/* Subscribe the topics of subs [from, to), ten to a request. */
static void
by_subscribe_msg(struct venue *v, int link, uint64_t conn, size_t from,
	size_t to)
{
	static const char *const topic[3] = { "publicTrade", "kline.1",
		"orderbook.1" };
	char names[TOPICS_PER_REQUEST][48];
	size_t n = 0, i;
	int k;

	(void)link;
	for (i = from; i < to; i++) {
		const struct venue_sub *s = &v->subs[i];
		const int want[3] = { s->trades, s->kline, s->book };

		for (k = 0; k < 3; k++) {
			if (!want[k])
				continue;
			snprintf(names[n], sizeof(names[n]), "%s.%s", topic[k],
				s->native);
			if (++n == TOPICS_PER_REQUEST) {
				send_topics(v, conn, names, n);
				n = 0;
			}
		}
	}
	if (n)
		send_topics(v, conn, names, n);
}

static void
on_event(void *arg, const struct by_event *ev)
{
	struct venue *v = arg;
	struct venue_sub *s;

	switch (ev->kind) {
	case BY_TRADE:
		if ((s = venue_find_native(v, ev->native)) != NULL && s->trades)
			venue_emit_trade(v, s, ev->ts_ms, ev->price, ev->qty,
				ev->side, ev->id);
		break;
	case BY_KLINE:
		if ((s = venue_find_native(v, ev->native)) != NULL &&
		    s->kline && ev->closed && strcmp(ev->interval, "1") == 0)
			venue_emit_kline(v, s, ev->ts_ms, ev->open, ev->high,
				ev->low, ev->close, ev->volume);
		break;
	case BY_BOOK:
		if ((s = venue_find_native(v, ev->native)) != NULL && s->book)
			venue_emit_book(v, s, ev->bid, ev->bid_qty, ev->ask,
				ev->ask_qty);
		break;
	case BY_ACK:
		if (!ev->success && strcmp(ev->op, "ping") != 0)
			venue_say(v, QD_LOG_WARN, "%s refused: %s", ev->op,
				ev->error);
		break;
	case BY_UNKNOWN:
		break;
	}
}

static int
by_message(struct venue *v, int link, uint64_t conn, const char *data,
	size_t len, char *why)
{
	(void)link;
	(void)conn;
	return by_parse_ws(data, len, on_event, v, why) < 0 ? -1 : 0;
}

static void
by_klines_url(struct venue *v, const struct venue_sub *s, int64_t from,
	int64_t to, char *url, size_t cap)
{
	snprintf(url, cap, "%s/v5/market/kline?category=spot&symbol=%s"
		"&interval=1&start=%lld&end=%lld&limit=1000", v->rest_url,
		s->native, (long long)from, (long long)to);
}

static void
page_row(void *arg, const struct by_event *k)
{
	venue_page_kline(arg, k->ts_ms, k->open, k->high, k->low, k->close,
		k->volume, k->closed);
}

static long
by_klines(struct venue *v, struct venue_page *p, const char *body, size_t len)
{
	return by_parse_klines(body, len, 60000, venue_now_ms(v), page_row, p);
}

/* The whole spot list: Bybit does not page it (limit and cursor are for
 * the other categories) and a symbol= filter would take one symbol a
 * request; the list is a few hundred kB once an hour. */
static void
by_instruments_url(struct venue *v, char *url, size_t cap)
{
	snprintf(url, cap, "%s/v5/market/instruments-info?category=spot",
		v->rest_url);
}

static void
instrument(void *arg, const struct by_instrument *in)
{
	/* "" is "the venue gives none": NULL to the host. */
#define OPT(s) ((s)[0] != '\0' ? (s) : NULL)
	venue_instrument(arg, in->native, OPT(in->tick), OPT(in->lot),
		OPT(in->min_qty), OPT(in->min_notional), in->status,
		in->trading);
#undef OPT
}

static long
by_instruments(struct venue *v, const char *body, size_t len)
{
	char why[96];
	long n = by_parse_instruments(body, len, instrument, v, why);

	if (n < 0)
		venue_say(v, QD_LOG_WARN, "instrument list refused: %s", why);
	return n;
}

static const struct venue_dialect bybit_dialect = {
	.subscribe = by_subscribe_msg,
	.message = by_message,
	.klines_url = by_klines_url,
	.klines = by_klines,
	.instruments_url = by_instruments_url,
	.instruments = by_instruments,
	.ping = "{\"req_id\":\"ping\",\"op\":\"ping\"}",
	.ping_ms = 20000,
	.pause_status = { 403, 429 },
	.pause_ms = { 60000, 60000 },
	.silence_ms = 60000,    /* a pong every 20 s: silence is a stall */
};

/* The market data core first: a venue's callbacks cast the state to it. */
struct bybit {
	struct venue v;
	struct by_account a;
};

static int
by_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct bybit *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return QD_ERR_NOMEM;
	venue_init(&b->v, api, ctx, &bybit_dialect, p);
	by_account_init(&b->a, &b->v, p);
	*state = b;
	return QD_OK;
}

static int
by_start(void *state)
{
	struct bybit *b = state;
	int rc;

	if ((rc = venue_start(&b->v)) != QD_OK)
		return rc;
	return by_account_start(&b->a);
}

static void
by_stop(void *state)
{
	struct bybit *b = state;

	venue_stop(&b->v);
	by_account_stop(&b->a);
}

static void
by_destroy(void *state)
{
	free(state);
}

/* The private stream, its requests and timers are the account's; the
 * rest is market data. */
static void
by_ws_open(void *state, uint64_t conn)
{
	struct bybit *b = state;

	if (by_owns_conn(&b->a, conn))
		by_account_ws_open(&b->a, conn);
	else
		venue_on_ws_open(&b->v, conn);
}

static void
by_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct bybit *b = state;

	if (by_owns_conn(&b->a, conn))
		by_account_ws_message(&b->a, conn, data, len);
	else
		venue_on_ws_message(&b->v, conn, data, len);
}

static void
by_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct bybit *b = state;

	if (by_owns_conn(&b->a, conn))
		by_account_ws_close(&b->a, conn, code, reason);
	else
		venue_on_ws_close(&b->v, conn, code, reason);
}

static void
by_http(void *state, uint64_t id, int status, const char *body, size_t len)
{
	struct bybit *b = state;

	if (by_owns_req(&b->a, id))
		by_account_http(&b->a, id, status, body, len);
	else
		venue_on_http_response(&b->v, id, status, body, len);
}

static void
by_timer(void *state, uint64_t id)
{
	struct bybit *b = state;

	if (by_owns_timer(&b->a, id))
		by_account_timer(&b->a, id);
	else
		venue_on_timer(&b->v, id);
}

static int
by_place(void *state, uint64_t id, const struct qd_order_req *r)
{
	return by_order_place(&((struct bybit *)state)->a, id, r);
}

static int
by_cancel(void *state, uint64_t id)
{
	return by_order_cancel(&((struct bybit *)state)->a, id);
}

static int
by_query(void *state, uint64_t id)
{
	return by_order_query(&((struct bybit *)state)->a, id);
}

static int
by_cancel_all(void *state, qd_symbol sym)
{
	return by_order_cancel_all(&((struct bybit *)state)->a, sym);
}

static int
by_sync(void *state)
{
	return by_account_sync(&((struct bybit *)state)->a);
}

static const struct qd_exchange_ops by_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = by_create,
		.start = by_start,
		.stop = by_stop,
		.destroy = by_destroy,
	},
	.subscribe = venue_subscribe,
	.on_ws_open = by_ws_open,
	.on_ws_message = by_ws_message,
	.on_ws_close = by_ws_close,
	.on_http_response = by_http,
	.on_timer = by_timer,
	.backfill = venue_backfill,
	.order_place = by_place,
	.order_cancel = by_cancel,
	.order_query = by_query,
	.order_cancel_all = by_cancel_all,
	.account_sync = by_sync,
};

static const struct qd_param_spec by_params[] = {
	QD_PARAM_STRING_SPEC("ws_url", "wss://stream.bybit.com/v5/public/spot",
		"WebSocket URL (testnet: wss://stream-testnet.bybit.com/v5/"
		"public/spot)"),
	QD_PARAM_STRING_SPEC("rest_url", "https://api.bybit.com",
		"REST base URL (testnet: https://api-testnet.bybit.com)"),
	QD_PARAM_BOOL_SPEC("book", 0, "stream the best bid and ask"),
	QD_PARAM_STRING_SPEC("private_ws_url", "wss://stream.bybit.com/v5/"
		"private", "private WebSocket URL: order, execution and wallet "
		"updates (testnet: wss://stream-testnet.bybit.com/v5/"
		"private)"),
	QD_PARAM_INT_SPEC("recv_window_ms", 5000, 1000, 60000,
		"X-BAPI-RECV-WINDOW: how long after its timestamp the venue "
		"takes a signed request"),
};

static const struct qd_plugin by_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "bybit",
	.version = "0.2.0",
	.description = "Bybit v5 spot: market data (trades, 1m klines, best "
	    "bid/ask) over WebSocket, REST backfill; spot orders and the "
	    "account's private stream",
	.license = "MIT",
	.params = by_params,
	.n_params = QD_COUNTOF(by_params),
	.ops = &by_ops,
};

static const struct qd_plugin *const plugins[] = { &by_plugin, NULL };

QD_MODULE(plugins);
