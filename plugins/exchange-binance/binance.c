/*
 * binance.c -- the `binance` exchange: Binance spot public market data.
 *
 * One WebSocket (`ws_url`, default wss://stream.binance.com:9443/ws) with
 * SUBSCRIBE requests for what strategies and the instance config ask:
 * trades (`trade_stream`: trade or aggTrade) for every subscribed symbol,
 * the 1m kline stream where 1m bars are asked (the venue's kline is the
 * authority for 1m; the host builds the other timeframes from trades), and
 * bookTicker when `book` is on.  Binance cuts a connection after 24 h: a
 * new one is opened and subscribed before that, the old one closed once
 * the new one confirmed, with trades seen on both dropped by id.  A lost
 * connection is reopened after an exponential backoff with full jitter
 * (1 s doubling to 60 s), and the 1m klines missed meanwhile are fetched
 * from REST (`rest_url`/api/v3/klines, 1000 a page) and emitted; the store
 * keeps one row per candle.  A 429 or 418 from REST stops REST calls for
 * 60 s or 5 min.  Malformed messages are logged (at powers of two) and
 * skipped.  Everything goes through the host's network API, so base URLs
 * point it at a fake exchange in tests.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "parse.h"
#include "../common/venue.h"

#define MAX_REQS 64
#define DAY_MS 86400000LL
#define ROTATE_MS (DAY_MS - 30 * 60000LL)  /* before Binance's 24 h cut */

struct req {
	uint64_t id;           /* http request id; 0 = free slot */
	size_t sub;
	int64_t from, to;      /* ms */
};

struct bn {
	struct venue v;        /* first: the shared adapter state */
	const struct qd_host_api *api;
	qd_ctx *ctx;
	char ws_url[256];
	char rest_url[256];
	char trade_stream[16];
	int book;
	uint64_t conn;         /* current connection, 0 = none */
	int open;
	uint64_t old_conn;     /* being replaced */
	uint64_t rotate_req;   /* SUBSCRIBE id whose answer retires old_conn */
	uint64_t retry_timer, rotate_timer, rest_timer;
	int reconnected;       /* the next open follows a loss: backfill */
	uint64_t next_id;
	struct req reqs[MAX_REQS];
	int64_t rest_blocked_until;
	int stopping;
};

#define SUBS(b) ((b)->v.subs)
#define N_SUBS(b) ((b)->v.n_subs)

static int64_t
now_ms(struct bn *b)
{
	return venue_now_ms(&b->v);
}

/* SUBSCRIBE the streams of subs [from, to); returns the request id. */
static uint64_t
send_subscribe(struct bn *b, uint64_t conn, size_t from, size_t to)
{
	char *msg;
	size_t cap = 64 + (to - from) * 3 * 48, len, i;
	uint64_t id = ++b->next_id;
	int first = 1, rc;

	if (from >= to || (msg = malloc(cap)) == NULL)
		return 0;
	len = (size_t)snprintf(msg, cap, "{\"method\":\"SUBSCRIBE\",\"params\":[");
	for (i = from; i < to; i++) {
		const struct venue_sub *s = &SUBS(b)[i];

		if (s->trades)
			len += (size_t)snprintf(msg + len, cap - len,
				"%s\"%s@%s\"", first ? "" : ",", s->stream,
				b->trade_stream), first = 0;
		if (s->kline)
			len += (size_t)snprintf(msg + len, cap - len,
				"%s\"%s@kline_1m\"", first ? "" : ",",
				s->stream), first = 0;
		if (s->book)
			len += (size_t)snprintf(msg + len, cap - len,
				"%s\"%s@bookTicker\"", first ? "" : ",",
				s->stream), first = 0;
	}
	len += (size_t)snprintf(msg + len, cap - len, "],\"id\":%llu}",
		(unsigned long long)id);
	rc = first ? QD_OK : b->api->ws_send(b->ctx, conn, msg, len);
	free(msg);
	if (rc != QD_OK)
		venue_say(&b->v, QD_LOG_WARN, "SUBSCRIBE not sent: %s", qd_strerror(rc));
	return id;
}

static void
connect_ws(struct bn *b)
{
	int rc;

	b->open = 0;
	rc = b->api->ws_open(b->ctx, b->ws_url, NULL, 0, &b->conn);
	if (rc != QD_OK) {
		venue_say(&b->v, QD_LOG_ERROR, "cannot open %s: %s", b->ws_url,
			qd_strerror(rc));
		b->conn = 0;
	}
}

/* Reopen after a loss: full jitter over an exponential cap. */
static void
schedule_reconnect(struct bn *b)
{
	int64_t delay = venue_backoff_ms(&b->v);

	b->reconnected = 1;
	if (b->api->timer_add(b->ctx, delay * 1000000, 0, &b->retry_timer) !=
	    QD_OK)
		b->retry_timer = 0;
}

/* Fetch the 1m klines of sub i in [from, to) over REST. */
static void
backfill_from(struct bn *b, size_t i, int64_t from, int64_t to)
{
	struct qd_http_request r;
	char url[512];
	size_t k;
	int rc;

	if (from >= to)
		return;
	if (now_ms(b) < b->rest_blocked_until) {
		venue_say(&b->v, QD_LOG_WARN, "REST is paused after a rate-limit answer; "
			"%s backfill waits", SUBS(b)[i].native);
		return;
	}
	for (k = 0; k < MAX_REQS && b->reqs[k].id != 0; k++)
		;
	if (k == MAX_REQS)
		return;
	snprintf(url, sizeof(url), "%s/api/v3/klines?symbol=%s&interval=1m"
		"&startTime=%lld&endTime=%lld&limit=1000", b->rest_url,
		SUBS(b)[i].native, (long long)from, (long long)(to - 1));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "GET";
	r.url = url;
	rc = b->api->http_request(b->ctx, &r, &b->reqs[k].id);
	if (rc != QD_OK) {
		venue_say(&b->v, QD_LOG_WARN, "backfill of %s not sent: %s",
			SUBS(b)[i].native, qd_strerror(rc));
		b->reqs[k].id = 0;
		return;
	}
	b->reqs[k].sub = i;
	b->reqs[k].from = from;
	b->reqs[k].to = to;
}

static void
emit_kline(struct bn *b, struct venue_sub *s, const struct bn_event *k)
{
	if (k->closed)
		venue_emit_kline(&b->v, s, k->ts_ms, k->open, k->high, k->low,
			k->close, k->volume);
}

/* ---- callbacks ---------------------------------------------------------- */

static void
bn_on_ws_open(void *state, uint64_t conn)
{
	struct bn *b = state;
	size_t i;

	if (conn != b->conn)
		return;
	b->open = 1;
	b->v.attempts = 0;
	venue_say(&b->v, QD_LOG_INFO, "connected to %s", b->ws_url);
	if (b->old_conn != 0)
		b->rotate_req = send_subscribe(b, conn, 0, N_SUBS(b));
	else
		send_subscribe(b, conn, 0, N_SUBS(b));
	if (b->reconnected) {
		/* What the outage cost: the closed 1m klines since the last
		 * one received, fetched from REST. */
		for (i = 0; i < N_SUBS(b); i++)
			if (SUBS(b)[i].kline)
				backfill_from(b, i, venue_gap_start(&SUBS(b)[i]),
					now_ms(b) / 60000 * 60000);
		b->reconnected = 0;
	}
	if (b->rotate_timer == 0 && b->api->timer_add(b->ctx,
	    ROTATE_MS * 1000000, 0, &b->rotate_timer) != QD_OK)
		b->rotate_timer = 0;
}

static void
bn_on_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct bn *b = state;
	struct bn_event ev;
	struct venue_sub *s;

	if (conn != b->conn && conn != b->old_conn)
		return;
	if (bn_parse_ws(data, len, &ev) != 0) {
		venue_malformed(&b->v, ev.error, data, len);
		return;
	}
	switch (ev.kind) {
	case BN_TRADE:
		if ((s = venue_find_native(&b->v, ev.native)) == NULL ||
		    !s->trades || (s->last_trade != 0 && ev.id <= s->last_trade))
			return;  /* not ours, or seen on the other connection */
		s->last_trade = ev.id;
		venue_emit_trade(&b->v, s, ev.ts_ms, ev.price, ev.qty, ev.side,
			ev.id);
		break;
	case BN_KLINE:
		if ((s = venue_find_native(&b->v, ev.native)) != NULL &&
		    s->kline && strcmp(ev.interval, "1m") == 0)
			emit_kline(b, s, &ev);
		break;
	case BN_BOOK:
		if ((s = venue_find_native(&b->v, ev.native)) != NULL &&
		    s->book)
			venue_emit_book(&b->v, s, ev.bid, ev.bid_qty, ev.ask,
				ev.ask_qty);
		break;
	case BN_RESULT:
		if (conn == b->conn && b->old_conn != 0 &&
		    ev.id == b->rotate_req) {
			/* The new connection streams: retire the old one. */
			b->api->ws_close(b->ctx, b->old_conn);
			venue_say(&b->v, QD_LOG_INFO, "switched to a fresh connection "
				"before the 24 h limit");
		}
		break;
	case BN_ERROR:
		venue_say(&b->v, QD_LOG_WARN, "request %llu refused: %d %s",
			(unsigned long long)ev.id, ev.code, ev.error);
		break;
	case BN_UNKNOWN:
		break;
	}
}

static void
bn_on_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct bn *b = state;

	if (conn == b->old_conn) {
		b->old_conn = 0;
		return;
	}
	if (conn != b->conn)
		return;
	b->conn = 0;
	b->open = 0;
	if (b->stopping)
		return;
	venue_say(&b->v, QD_LOG_WARN, "connection lost (%d %s); reconnecting", code,
		reason ? reason : "");
	schedule_reconnect(b);
}

struct page {
	struct bn *b;
	struct venue_sub *s;
	int64_t last;
};

static void
page_row(void *arg, const struct bn_event *k)
{
	struct page *p = arg;

	emit_kline(p->b, p->s, k);
	p->last = k->ts_ms;
}

static void
bn_on_http_response(void *state, uint64_t id, int status, const char *body,
	size_t len)
{
	struct bn *b = state;
	struct req r;
	struct page p;
	size_t k;
	long n;

	for (k = 0; k < MAX_REQS && b->reqs[k].id != id; k++)
		;
	if (k == MAX_REQS || id == 0)
		return;
	r = b->reqs[k];
	b->reqs[k].id = 0;
	if (status == 429 || status == 418) {
		/* Never hammer: Binance bans IPs that keep going. */
		int64_t pause = status == 418 ? 300000 : 60000;

		b->rest_blocked_until = now_ms(b) + pause;
		venue_say(&b->v, QD_LOG_WARN, "REST answered %d: no REST call for %lld "
			"s", status, (long long)(pause / 1000));
		if (b->rest_timer == 0 && b->api->timer_add(b->ctx,
		    pause * 1000000, 0, &b->rest_timer) != QD_OK)
			b->rest_timer = 0;
		return;
	}
	if (status != 200) {
		venue_say(&b->v, QD_LOG_WARN, "backfill of %s failed: HTTP %d",
			SUBS(b)[r.sub].native, status);
		return;
	}
	p.b = b;
	p.s = &SUBS(b)[r.sub];
	p.last = -1;
	n = bn_parse_klines(body, len, now_ms(b), page_row, &p);
	if (n < 0) {
		venue_malformed(&b->v, "klines answer", body, len);
		return;
	}
	venue_say(&b->v, QD_LOG_INFO, "backfilled %ld 1m klines of %s", n,
		p.s->native);
	if (n == 1000 && p.last >= 0)
		backfill_from(b, r.sub, p.last + 60000, r.to);
}

static void
bn_on_timer(void *state, uint64_t id)
{
	struct bn *b = state;
	size_t i;

	if (id == b->retry_timer) {
		b->retry_timer = 0;
		if (!b->stopping && b->conn == 0)
			connect_ws(b);
	} else if (id == b->rotate_timer) {
		b->rotate_timer = 0;
		if (b->open && b->old_conn == 0) {
			b->old_conn = b->conn;
			connect_ws(b);
		}
	} else if (id == b->rest_timer) {
		b->rest_timer = 0;
		for (i = 0; i < N_SUBS(b); i++)
			if (SUBS(b)[i].kline)
				backfill_from(b, i, venue_gap_start(&SUBS(b)[i]),
					now_ms(b) / 60000 * 60000);
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

static int
bn_subscribe(void *state, qd_symbol sym, uint32_t tf)
{
	struct bn *b = state;
	struct venue_sub *s = venue_sub_of(&b->v, sym);
	int before;

	if (s == NULL)
		return QD_ERR_LIMIT;
	before = s->trades + s->kline + s->book;
	/* Every timeframe but 1m is built by the host from the trades. */
	s->trades = 1;
	if (tf == 60 && !s->kline) {
		s->kline = 1;
		s->since = now_ms(b) / 60000 * 60000;
	}
	if (b->book)
		s->book = 1;
	if (b->open && s->trades + s->kline + s->book != before)
		send_subscribe(b, b->conn, (size_t)(s - SUBS(b)),
			(size_t)(s - SUBS(b)) + 1);
	return QD_OK;
}

static int
bn_backfill(void *state, qd_symbol sym, uint32_t tf, int64_t from,
	int64_t to)
{
	struct bn *b = state;
	size_t i;

	if (tf != 60)
		return QD_ERR_UNSUPPORTED;
	for (i = 0; i < N_SUBS(b); i++)
		if (SUBS(b)[i].sym == sym) {
			backfill_from(b, i, from / 1000000, to / 1000000);
			return QD_OK;
		}
	return QD_ERR_NOTFOUND;
}

static int
bn_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct bn *b = calloc(1, sizeof(*b));
	const char *t;

	if (b == NULL)
		return QD_ERR_NOMEM;
	b->api = b->v.api = api;
	b->ctx = b->v.ctx = ctx;
	snprintf(b->ws_url, sizeof(b->ws_url), "%s",
		api->param_string(p, "ws_url"));
	snprintf(b->rest_url, sizeof(b->rest_url), "%s",
		api->param_string(p, "rest_url"));
	t = api->param_string(p, "trade_stream");
	snprintf(b->trade_stream, sizeof(b->trade_stream), "%s", t);
	b->book = api->param_bool(p, "book");
	b->v.rng = (uint64_t)api->now_ns(ctx) | 1;
	*state = b;
	return QD_OK;
}

static int
bn_start(void *state)
{
	connect_ws(state);
	return QD_OK;
}

static void
bn_stop(void *state)
{
	struct bn *b = state;

	b->stopping = 1;
	if (b->conn)
		b->api->ws_close(b->ctx, b->conn);
	if (b->old_conn)
		b->api->ws_close(b->ctx, b->old_conn);
}

static void
bn_destroy(void *state)
{
	free(state);
}

static const struct qd_exchange_ops bn_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = bn_create,
		.start = bn_start,
		.stop = bn_stop,
		.destroy = bn_destroy,
	},
	.subscribe = bn_subscribe,
	.on_ws_open = bn_on_ws_open,
	.on_ws_message = bn_on_ws_message,
	.on_ws_close = bn_on_ws_close,
	.on_http_response = bn_on_http_response,
	.on_timer = bn_on_timer,
	.backfill = bn_backfill,
};

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
};

static const struct qd_plugin bn_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "binance",
	.version = "0.1.0",
	.description = "Binance spot public market data (trades, 1m klines, "
	    "best bid/ask) over WebSocket, REST backfill",
	.license = "MIT",
	.params = bn_params,
	.n_params = QD_COUNTOF(bn_params),
	.ops = &bn_ops,
};

static const struct qd_plugin *const plugins[] = { &bn_plugin, NULL };

QD_MODULE(plugins);
