/*
 * okx.c -- the `okx` exchange: OKX v5 public market data.
 *
 * OKX serves its public channels on two WebSockets: trades (`trades`, one
 * message per taker order and price) and the best bid and ask (`bbo-tbt`,
 * when `book` is on) on the public endpoint (`ws_url`, link 0), the
 * candles only on the business endpoint (`ws_business_url`, link 1), where
 * `candle1m` is asked for the symbols that want 1m bars (the venue's closed
 * candles, confirm "1", are the 1m bars; the host builds the other
 * timeframes from the trades).  Each link is subscribed only what it
 * carries: the venue refuses a channel on the wrong endpoint.
 *
 * The server drops a connection after 30 s without data: the text `ping`
 * goes on every link each 25 s and the venue answers the text `pong`.
 * Before a service upgrade the venue sends a notice (code 64008) and cuts
 * the connection 60 s later: a fresh connection is opened and subscribed
 * at once, the old one closed when the new one answers, and trades seen on
 * both are dropped by trade id.  The rest -- reconnect with backoff, REST
 * backfill of the 1m candles missed (`rest_url`/api/v5/market/candles,
 * which holds only the latest 1440 bars, or history-candles for older
 * ranges; 300 rows a page, newest first), REST paused after 429, the
 * instrument list (`rest_url`/api/v5/public/instruments?instType=SPOT:
 * tickSz, lotSz and minSz of the subscribed symbols to the host; OKX
 * gives spot no minimum notional, and only state "live" trades) fetched
 * at start and hourly -- is the shared adapter core
 * (plugins/common/venue.h).  Trading (orders, the private WebSocket,
 * reconciliation) is trade.c; the callbacks below hand it what is its.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "parse.h"
#include "trade.h"
#include "../common/venue.h"

#define ARGS_PER_REQUEST 50     /* well under the venue's 64 KB a request */
#define CANDLES_BARS 1440       /* what /market/candles still holds */

enum { LINK_PUBLIC, LINK_BUSINESS };

static void
send_args(struct venue *v, uint64_t conn, char args[][64], size_t n)
{
	char msg[ARGS_PER_REQUEST * 64 + 64];
	size_t len, i;
	int rc;

	len = (size_t)snprintf(msg, sizeof(msg), "{\"id\":\"%llu\","
		"\"op\":\"subscribe\",\"args\":[",
		(unsigned long long)++v->next_id);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s",
			i ? "," : "", args[i]);
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "]}");
	if ((rc = v->api->ws_send(v->ctx, conn, msg, len)) != QD_OK)
		venue_say(v, QD_LOG_WARN, "subscribe not sent: %s",
			qd_strerror(rc));
}

/* Subscribe what subs [from, to) want that link `link` carries: trades
 * and bbo-tbt on the public endpoint, candle1m on the business one. */
static void
ok_subscribe_msg(struct venue *v, int link, uint64_t conn, size_t from,
	size_t to)
{
	static const char *const channel[3] = { "trades", "bbo-tbt",
		"candle1m" };
	char args[ARGS_PER_REQUEST][64];
	size_t n = 0, i;
	int k;

	for (i = from; i < to; i++) {
		const struct venue_sub *s = &v->subs[i];
		const int want[3] = { link == LINK_PUBLIC && s->trades,
			link == LINK_PUBLIC && s->book,
			link == LINK_BUSINESS && s->kline };

		for (k = 0; k < 3; k++) {
			if (!want[k])
				continue;
			snprintf(args[n], sizeof(args[n]), "{\"channel\":\"%s\","
				"\"instId\":\"%s\"}", channel[k], s->native);
			if (++n == ARGS_PER_REQUEST) {
				send_args(v, conn, args, n);
				n = 0;
			}
		}
	}
	if (n)
		send_args(v, conn, args, n);
}

/* The venue will cut link `link` for an upgrade: move to a fresh
 * connection now (the core retires the old one when the new one answers),
 * so the cut loses nothing. */
static void
switch_connection(struct venue *v, int link, uint64_t conn)
{
	struct venue_link *l = &v->link[link];

	if (v->stopping || conn != l->conn || !l->open || l->old_conn != 0)
		return;
	l->old_conn = l->conn;
	venue_connect(v, l);
	if (l->conn == 0) {
		/* Not even started: keep the old one until it is cut, then
		 * the core reconnects as after any loss. */
		l->conn = l->old_conn;
		l->old_conn = 0;
		l->open = 1;
	}
}

struct ok_msg {
	struct venue *v;
	int link;
	uint64_t conn;
};

static void
on_event(void *arg, const struct ok_event *ev)
{
	struct ok_msg *m = arg;
	struct venue *v = m->v;
	struct venue_sub *s;

	switch (ev->kind) {
	case OK_TRADE:
		if ((s = venue_find_native(v, ev->native)) == NULL ||
		    !s->trades)
			break;
		/* Ids rise per instrument: one at or below the last was seen
		 * on the other connection during a switch. */
		if (!ev->id_hashed) {
			if (s->last_trade != 0 && ev->id <= s->last_trade)
				break;
			s->last_trade = ev->id;
		}
		venue_emit_trade(v, s, ev->ts_ms, ev->price, ev->qty, ev->side,
			ev->id);
		break;
	case OK_KLINE:
		if ((s = venue_find_native(v, ev->native)) != NULL &&
		    s->kline && ev->closed && strcmp(ev->bar, "1m") == 0)
			venue_emit_kline(v, s, ev->ts_ms, ev->open, ev->high,
				ev->low, ev->close, ev->volume);
		break;
	case OK_BOOK:
		if ((s = venue_find_native(v, ev->native)) != NULL && s->book)
			venue_emit_book(v, s, ev->bid, ev->bid_qty, ev->ask,
				ev->ask_qty);
		break;
	case OK_EVENT:
		if (strcmp(ev->event, "error") == 0) {
			venue_say(v, QD_LOG_WARN, "request refused: %s %s",
				ev->code, ev->msg);
		} else if (strcmp(ev->event, "notice") == 0) {
			venue_say(v, QD_LOG_WARN, "notice %s: %s", ev->code,
				ev->msg);
			if (strcmp(ev->code, "64008") == 0)
				switch_connection(v, m->link, m->conn);
		}
		break;
	case OK_PONG:
		break;
	}
}

static int
ok_message(struct venue *v, int link, uint64_t conn, const char *data,
	size_t len, char *why)
{
	struct ok_msg m = { v, link, conn };

	return ok_parse_ws(data, len, on_event, &m, why) < 0 ? -1 : 0;
}

/* The candles of [from, to] (ms, inclusive).  The venue's bounds are
 * exclusive: `after` asks for rows older than it, `before` for newer. */
static void
ok_klines_url(struct venue *v, const struct venue_sub *s, int64_t from,
	int64_t to, char *url, size_t cap)
{
	int64_t oldest = venue_now_ms(v) / 60000 * 60000 -
		(CANDLES_BARS - 40) * 60000LL;

	snprintf(url, cap, "%s/api/v5/market/%s?instId=%s&bar=1m&after=%lld"
		"&before=%lld&limit=300", v->rest_url, from >= oldest ?
		"candles" : "history-candles", s->native, (long long)to + 1,
		(long long)(from > 0 ? from - 1 : 0));
}

static void
page_row(void *arg, const struct ok_event *k)
{
	venue_page_kline(arg, k->ts_ms, k->open, k->high, k->low, k->close,
		k->volume, k->closed);
}

static long
ok_klines(struct venue *v, struct venue_page *p, const char *body, size_t len)
{
	(void)v;
	return ok_parse_klines(body, len, page_row, p);
}

/* The whole SPOT list in one answer (the venue does not page it). */
static void
ok_instruments_url(struct venue *v, char *url, size_t cap)
{
	snprintf(url, cap, "%s/api/v5/public/instruments?instType=SPOT",
		v->rest_url);
}

static void
on_instrument(void *arg, const struct ok_instrument *in)
{
	/* venue_instrument() keeps only the subscribed instIds. */
	venue_instrument(arg, in->native, in->tick, in->lot, in->min_qty,
		NULL, in->status, in->trading);
}

static long
ok_instruments(struct venue *v, const char *body, size_t len)
{
	char why[96];
	long n = ok_parse_instruments(body, len, on_instrument, v, why);

	if (n < 0)
		venue_say(v, QD_LOG_WARN, "instrument list refused: %s", why);
	return n;
}

static const struct venue_dialect okx_dialect = {
	.subscribe = ok_subscribe_msg,
	.message = ok_message,
	.klines_url = ok_klines_url,
	.klines = ok_klines,
	.instruments_url = ok_instruments_url,
	.instruments = ok_instruments,
	.sep = '-',
	.links = 2,
	.kline_link = LINK_BUSINESS,
	.page_rows = 300,
	.ping = "ping",
	.ping_ms = 25000,
	.pause_status = { 429 },
	.pause_ms = { 10000 },
	.silence_ms = 60000,    /* a pong every 25 s: silence is a stall */
};

/* The adapter's state: the shared core first (venue.h wants it there). */
struct okx {
	struct venue v;
	struct okx_trade t;
};

static int
ok_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct okx *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return QD_ERR_NOMEM;
	venue_init(&o->v, api, ctx, &okx_dialect, p);
	snprintf(o->v.link[LINK_BUSINESS].url,
		sizeof(o->v.link[LINK_BUSINESS].url), "%s",
		api->param_string(p, "ws_business_url"));
	okt_init(&o->t, &o->v, p);
	*state = o;
	return QD_OK;
}

static int
ok_start(void *state)
{
	struct okx *o = state;
	int rc = venue_start(&o->v);

	return rc == QD_OK ? okt_start(&o->t) : rc;
}

static void
ok_stop(void *state)
{
	struct okx *o = state;

	venue_stop(&o->v);
	okt_stop(&o->t);
}

static void
ok_destroy(void *state)
{
	free(state);
}

static void
ok_ws_open(void *state, uint64_t conn)
{
	struct okx *o = state;

	if (!okt_on_ws_open(&o->t, conn))
		venue_on_ws_open(&o->v, conn);
}

static void
ok_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct okx *o = state;

	if (!okt_on_ws_message(&o->t, conn, data, len))
		venue_on_ws_message(&o->v, conn, data, len);
}

static void
ok_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct okx *o = state;

	if (!okt_on_ws_close(&o->t, conn, code, reason))
		venue_on_ws_close(&o->v, conn, code, reason);
}

static void
ok_http(void *state, uint64_t id, int status, const char *body, size_t len)
{
	struct okx *o = state;

	if (!okt_on_http(&o->t, id, status, body, len))
		venue_on_http_response(&o->v, id, status, body, len);
}

static void
ok_timer(void *state, uint64_t id)
{
	struct okx *o = state;

	if (!okt_on_timer(&o->t, id))
		venue_on_timer(&o->v, id);
}

static int
ok_place(void *state, uint64_t id, const struct qd_order_req *r)
{
	return okt_place(&((struct okx *)state)->t, id, r);
}

static int
ok_cancel(void *state, uint64_t id)
{
	return okt_cancel(&((struct okx *)state)->t, id);
}

static int
ok_query(void *state, uint64_t id)
{
	return okt_query(&((struct okx *)state)->t, id);
}

static int
ok_cancel_all(void *state, qd_symbol sym)
{
	return okt_cancel_all(&((struct okx *)state)->t, sym);
}

static int
ok_sync(void *state)
{
	return okt_sync(&((struct okx *)state)->t);
}

static const struct qd_exchange_ops ok_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = ok_create,
		.start = ok_start,
		.stop = ok_stop,
		.destroy = ok_destroy,
	},
	.subscribe = venue_subscribe,
	.on_ws_open = ok_ws_open,
	.on_ws_message = ok_ws_message,
	.on_ws_close = ok_ws_close,
	.on_http_response = ok_http,
	.on_timer = ok_timer,
	.backfill = venue_backfill,
	.order_place = ok_place,
	.order_cancel = ok_cancel,
	.order_query = ok_query,
	.order_cancel_all = ok_cancel_all,
	.account_sync = ok_sync,
};

static const struct qd_param_spec ok_params[] = {
	QD_PARAM_STRING_SPEC("ws_url", "wss://ws.okx.com:8443/ws/v5/public",
		"public WebSocket URL: trades, best bid/ask (demo trading: "
		"wss://wspap.okx.com:8443/ws/v5/public)"),
	QD_PARAM_STRING_SPEC("ws_business_url",
		"wss://ws.okx.com:8443/ws/v5/business",
		"business WebSocket URL: 1m candles (demo trading: "
		"wss://wspap.okx.com:8443/ws/v5/business)"),
	QD_PARAM_STRING_SPEC("rest_url", "https://www.okx.com",
		"REST base URL (demo trading uses the same host)"),
	QD_PARAM_BOOL_SPEC("book", 0, "stream the best bid and ask"),
	QD_PARAM_STRING_SPEC("ws_private_url",
		"wss://ws.okx.com:8443/ws/v5/private",
		"private WebSocket URL: orders and balances (demo trading: "
		"wss://wspap.okx.com:8443/ws/v5/private)"),
	QD_PARAM_BOOL_SPEC("demo", 0, "demo trading: every REST call says "
		"x-simulated-trading: 1 (demo API keys)"),
	QD_PARAM_DOUBLE_SPEC("recv_window_ms", 5000, 500, 30000,
		"an order request still queued at the venue after this is "
		"dropped (expTime)"),
	QD_PARAM_DOUBLE_SPEC("order_rate", 20, 1, 500,
		"REST calls a second at most (the venue allows 60 orders per "
		"2 s and instrument)"),
};

static const struct qd_plugin ok_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "okx",
	.version = "0.2.0",
	.description = "OKX v5: public market data (trades, 1m candles, best "
	    "bid/ask) over WebSocket, REST backfill; spot trading (orders, "
	    "fills, balances) with signed REST and the private WebSocket",
	.license = "MIT",
	.params = ok_params,
	.n_params = QD_COUNTOF(ok_params),
	.ops = &ok_ops,
};

static const struct qd_plugin *const plugins[] = { &ok_plugin, NULL };

QD_MODULE(plugins);
