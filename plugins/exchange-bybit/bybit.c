/*
 * bybit.c -- the `bybit` exchange: Bybit v5 spot public market data.
 *
 * One WebSocket (`ws_url`, default wss://stream.bybit.com/v5/public/spot)
 * with subscribe requests of at most 10 topics each (the spot limit):
 * publicTrade.SYMBOL for every subscribed symbol, kline.1.SYMBOL where 1m
 * bars are asked (the venue's closed klines are the 1m bars; the host
 * builds the other timeframes from the trades), orderbook.1.SYMBOL when
 * `book` is on.  Bybit wants a client ping every 20 s: one is sent.  A
 * lost connection is reopened after an exponential backoff with full
 * jitter, and the 1m klines missed meanwhile come from REST
 * (`rest_url`/v5/market/kline, 1000 a page, newest first on the wire).
 * REST answers 403 (Bybit's IP limit) or 429 pause REST calls for 60 s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "parse.h"
#include "../common/venue.h"

#define MAX_REQS 64
#define TOPICS_PER_REQUEST 10

struct req {
	uint64_t id;           /* http request id; 0 = free slot */
	size_t sub;
	int64_t from, to;      /* ms */
};

struct by {
	struct venue v;
	char ws_url[256];
	char rest_url[256];
	int book;
	uint64_t conn;
	int open;
	int reconnected;
	uint64_t retry_timer, ping_timer, rest_timer;
	uint64_t next_id;
	struct req reqs[MAX_REQS];
	int64_t rest_blocked_until;
	int stopping;
};

static void
send_topics(struct by *b, const char *const *topics, size_t n)
{
	char msg[2048];
	size_t len, i;
	int rc;

	len = (size_t)snprintf(msg, sizeof(msg), "{\"req_id\":\"%llu\","
		"\"op\":\"subscribe\",\"args\":[",
		(unsigned long long)++b->next_id);
	for (i = 0; i < n && len < sizeof(msg) - 64; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			"%s\"%s\"", i ? "," : "", topics[i]);
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "]}");
	if ((rc = b->v.api->ws_send(b->v.ctx, b->conn, msg, len)) != QD_OK)
		venue_say(&b->v, QD_LOG_WARN, "subscribe not sent: %s",
			qd_strerror(rc));
}

/* Subscribe the topics of subs [from, to), ten to a request. */
static void
subscribe_subs(struct by *b, size_t from, size_t to)
{
	char names[TOPICS_PER_REQUEST][48];
	const char *topics[TOPICS_PER_REQUEST];
	size_t n = 0, i;
	int k;

	for (i = from; i < to; i++) {
		const struct venue_sub *s = &b->v.subs[i];

		for (k = 0; k < 3; k++) {
			if ((k == 0 && !s->trades) || (k == 1 && !s->kline) ||
			    (k == 2 && !s->book))
				continue;
			snprintf(names[n], sizeof(names[n]), k == 0 ?
				"publicTrade.%s" : k == 1 ? "kline.1.%s" :
				"orderbook.1.%s", s->native);
			topics[n] = names[n];
			if (++n == TOPICS_PER_REQUEST) {
				send_topics(b, topics, n);
				n = 0;
			}
		}
	}
	if (n)
		send_topics(b, topics, n);
}

static void
connect_ws(struct by *b)
{
	int rc;

	b->open = 0;
	rc = b->v.api->ws_open(b->v.ctx, b->ws_url, NULL, 0, &b->conn);
	if (rc != QD_OK) {
		venue_say(&b->v, QD_LOG_ERROR, "cannot open %s: %s", b->ws_url,
			qd_strerror(rc));
		b->conn = 0;
	}
}

static void
schedule_reconnect(struct by *b)
{
	int64_t delay = venue_backoff_ms(&b->v);

	b->reconnected = 1;
	if (b->v.api->timer_add(b->v.ctx, delay * 1000000, 0,
	    &b->retry_timer) != QD_OK)
		b->retry_timer = 0;
}

static void
backfill_from(struct by *b, size_t i, int64_t from, int64_t to)
{
	struct qd_http_request r;
	char url[512];
	size_t k;
	int rc;

	if (from >= to || venue_now_ms(&b->v) < b->rest_blocked_until)
		return;
	for (k = 0; k < MAX_REQS && b->reqs[k].id != 0; k++)
		;
	if (k == MAX_REQS)
		return;
	snprintf(url, sizeof(url), "%s/v5/market/kline?category=spot&symbol="
		"%s&interval=1&start=%lld&end=%lld&limit=1000", b->rest_url,
		b->v.subs[i].native, (long long)from, (long long)(to - 1));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "GET";
	r.url = url;
	if ((rc = b->v.api->http_request(b->v.ctx, &r, &b->reqs[k].id)) !=
	    QD_OK) {
		venue_say(&b->v, QD_LOG_WARN, "backfill of %s not sent: %s",
			b->v.subs[i].native, qd_strerror(rc));
		b->reqs[k].id = 0;
		return;
	}
	b->reqs[k].sub = i;
	b->reqs[k].from = from;
	b->reqs[k].to = to;
}

static void
backfill_all(struct by *b)
{
	size_t i;

	for (i = 0; i < b->v.n_subs; i++)
		if (b->v.subs[i].kline)
			backfill_from(b, i, venue_gap_start(&b->v.subs[i]),
				venue_now_ms(&b->v) / 60000 * 60000);
}

/* ---- callbacks ---------------------------------------------------------- */

static void
by_on_ws_open(void *state, uint64_t conn)
{
	struct by *b = state;

	if (conn != b->conn)
		return;
	b->open = 1;
	b->v.attempts = 0;
	venue_say(&b->v, QD_LOG_INFO, "connected to %s", b->ws_url);
	subscribe_subs(b, 0, b->v.n_subs);
	if (b->reconnected) {
		backfill_all(b);
		b->reconnected = 0;
	}
}

static void
on_event(void *arg, const struct by_event *ev)
{
	struct by *b = arg;
	struct venue_sub *s;

	switch (ev->kind) {
	case BY_TRADE:
		if ((s = venue_find_native(&b->v, ev->native)) != NULL &&
		    s->trades)
			venue_emit_trade(&b->v, s, ev->ts_ms, ev->price,
				ev->qty, ev->side, ev->id);
		break;
	case BY_KLINE:
		if ((s = venue_find_native(&b->v, ev->native)) != NULL &&
		    s->kline && ev->closed && strcmp(ev->interval, "1") == 0)
			venue_emit_kline(&b->v, s, ev->ts_ms, ev->open,
				ev->high, ev->low, ev->close, ev->volume);
		break;
	case BY_BOOK:
		if ((s = venue_find_native(&b->v, ev->native)) != NULL &&
		    s->book)
			venue_emit_book(&b->v, s, ev->bid, ev->bid_qty,
				ev->ask, ev->ask_qty);
		break;
	case BY_ACK:
		if (!ev->success && strcmp(ev->op, "ping") != 0)
			venue_say(&b->v, QD_LOG_WARN, "%s refused: %s",
				ev->op, ev->error);
		break;
	case BY_UNKNOWN:
		break;
	}
}

static void
by_on_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct by *b = state;
	char why[96];

	if (conn != b->conn)
		return;
	if (by_parse_ws(data, len, on_event, b, why) < 0)
		venue_malformed(&b->v, why, data, len);
}

static void
by_on_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct by *b = state;

	if (conn != b->conn)
		return;
	b->conn = 0;
	b->open = 0;
	if (b->stopping)
		return;
	venue_say(&b->v, QD_LOG_WARN, "connection lost (%d %s); reconnecting",
		code, reason ? reason : "");
	schedule_reconnect(b);
}

struct page {
	struct by *b;
	struct venue_sub *s;
	int64_t last;
};

static void
page_row(void *arg, const struct by_event *k)
{
	struct page *p = arg;

	if (k->closed)
		venue_emit_kline(&p->b->v, p->s, k->ts_ms, k->open, k->high,
			k->low, k->close, k->volume);
	p->last = k->ts_ms;
}

static void
by_on_http_response(void *state, uint64_t id, int status, const char *body,
	size_t len)
{
	struct by *b = state;
	struct req r;
	struct page p;
	size_t k;
	long n;

	for (k = 0; k < MAX_REQS && (b->reqs[k].id != id || id == 0); k++)
		;
	if (k == MAX_REQS)
		return;
	r = b->reqs[k];
	b->reqs[k].id = 0;
	if (status == 403 || status == 429) {
		b->rest_blocked_until = venue_now_ms(&b->v) + 60000;
		venue_say(&b->v, QD_LOG_WARN, "REST answered %d: no REST call "
			"for 60 s", status);
		if (b->rest_timer == 0 && b->v.api->timer_add(b->v.ctx,
		    60000000000LL, 0, &b->rest_timer) != QD_OK)
			b->rest_timer = 0;
		return;
	}
	if (status != 200) {
		venue_say(&b->v, QD_LOG_WARN, "backfill of %s failed: HTTP %d",
			b->v.subs[r.sub].native, status);
		return;
	}
	p.b = b;
	p.s = &b->v.subs[r.sub];
	p.last = -1;
	n = by_parse_klines(body, len, 60000, venue_now_ms(&b->v), page_row,
		&p);
	if (n < 0) {
		venue_malformed(&b->v, "kline answer", body, len);
		return;
	}
	venue_say(&b->v, QD_LOG_INFO, "backfilled %ld 1m klines of %s", n,
		p.s->native);
	if (n == 1000 && p.last >= 0)
		backfill_from(b, r.sub, p.last + 60000, r.to);
}

static void
by_on_timer(void *state, uint64_t id)
{
	struct by *b = state;

	if (id == b->retry_timer) {
		b->retry_timer = 0;
		if (!b->stopping && b->conn == 0)
			connect_ws(b);
	} else if (id == b->ping_timer) {
		if (b->open)
			b->v.api->ws_send(b->v.ctx, b->conn,
				"{\"req_id\":\"ping\",\"op\":\"ping\"}", 31);
	} else if (id == b->rest_timer) {
		b->rest_timer = 0;
		backfill_all(b);
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

static int
by_subscribe(void *state, qd_symbol sym, uint32_t tf)
{
	struct by *b = state;
	struct venue_sub *s = venue_sub_of(&b->v, sym);
	int before;

	if (s == NULL)
		return QD_ERR_LIMIT;
	before = s->trades + s->kline + s->book;
	s->trades = 1;
	if (tf == 60 && !s->kline) {
		s->kline = 1;
		s->since = venue_now_ms(&b->v) / 60000 * 60000;
	}
	if (b->book)
		s->book = 1;
	if (b->open && s->trades + s->kline + s->book != before)
		subscribe_subs(b, (size_t)(s - b->v.subs),
			(size_t)(s - b->v.subs) + 1);
	return QD_OK;
}

static int
by_backfill(void *state, qd_symbol sym, uint32_t tf, int64_t from,
	int64_t to)
{
	struct by *b = state;
	size_t i;

	if (tf != 60)
		return QD_ERR_UNSUPPORTED;
	for (i = 0; i < b->v.n_subs; i++)
		if (b->v.subs[i].sym == sym) {
			backfill_from(b, i, from / 1000000, to / 1000000);
			return QD_OK;
		}
	return QD_ERR_NOTFOUND;
}

static int
by_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct by *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return QD_ERR_NOMEM;
	b->v.api = api;
	b->v.ctx = ctx;
	b->v.rng = (uint64_t)api->now_ns(ctx) | 1;
	snprintf(b->ws_url, sizeof(b->ws_url), "%s",
		api->param_string(p, "ws_url"));
	snprintf(b->rest_url, sizeof(b->rest_url), "%s",
		api->param_string(p, "rest_url"));
	b->book = api->param_bool(p, "book");
	*state = b;
	return QD_OK;
}

static int
by_start(void *state)
{
	struct by *b = state;
	int rc = b->v.api->timer_add(b->v.ctx, 20000000000LL, 20000000000LL,
		&b->ping_timer);

	if (rc != QD_OK)
		return rc;
	connect_ws(b);
	return QD_OK;
}

static void
by_stop(void *state)
{
	struct by *b = state;

	b->stopping = 1;
	if (b->conn)
		b->v.api->ws_close(b->v.ctx, b->conn);
}

static void
by_destroy(void *state)
{
	free(state);
}

static const struct qd_exchange_ops by_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = by_create,
		.start = by_start,
		.stop = by_stop,
		.destroy = by_destroy,
	},
	.subscribe = by_subscribe,
	.on_ws_open = by_on_ws_open,
	.on_ws_message = by_on_ws_message,
	.on_ws_close = by_on_ws_close,
	.on_http_response = by_on_http_response,
	.on_timer = by_on_timer,
	.backfill = by_backfill,
};

static const struct qd_param_spec by_params[] = {
	QD_PARAM_STRING_SPEC("ws_url", "wss://stream.bybit.com/v5/public/spot",
		"WebSocket URL (testnet: wss://stream-testnet.bybit.com/v5/"
		"public/spot)"),
	QD_PARAM_STRING_SPEC("rest_url", "https://api.bybit.com",
		"REST base URL (testnet: https://api-testnet.bybit.com)"),
	QD_PARAM_BOOL_SPEC("book", 0, "stream the best bid and ask"),
};

static const struct qd_plugin by_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "bybit",
	.version = "0.1.0",
	.description = "Bybit v5 spot public market data (trades, 1m klines, "
	    "best bid/ask) over WebSocket, REST backfill",
	.license = "MIT",
	.params = by_params,
	.n_params = QD_COUNTOF(by_params),
	.ops = &by_ops,
};

static const struct qd_plugin *const plugins[] = { &by_plugin, NULL };

QD_MODULE(plugins);
