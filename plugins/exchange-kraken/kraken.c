/*
 * kraken.c -- the `kraken` exchange: Kraken spot public market data over
 * WebSocket v2.
 *
 * One WebSocket (`ws_url`, default wss://ws.kraken.com/v2) subscribing, by
 * channel and a list of symbols per request: `trade` for every subscribed
 * symbol, `ohlc` interval 1 where 1m bars are asked, `ticker` (best bid and
 * ask) when `book` is on.  Symbols are spelled BTC/USD (the dialect's '/').
 *
 * Kraken's ohlc channel has no "closed" flag: each update is the minute so
 * far.  The adapter holds the latest update of each symbol's minute and
 * emits it as the closed 1m kline when an update for a later minute
 * arrives, or, since a quiet market sends nothing, when the clock is
 * HOLD_MARGIN_MS past the minute's end (updates still in flight get that
 * long).  An update for a minute already emitted is late and dropped.  The
 * snapshot sent on (re)subscribe fills the minutes it holds.
 *
 * Kraken closes a connection after about a minute without a client
 * message: {"method":"ping"} goes every 30 s.  The rest -- reconnect with
 * backoff, REST backfill of the 1m klines missed from `rest_url`
 * /0/public/OHLC -- is the shared adapter core (plugins/common/venue.h).
 * Kraken's REST OHLC answers only the 720 most recent minutes, whatever
 * `since` says: an older gap is logged, never paged for.  Its rate-limit
 * refusals come with HTTP 200 and an error in the body ("EGeneral:Too many
 * requests", "EAPI:Rate limit exceeded"): the core pauses on HTTP
 * statuses only, so this adapter pauses REST itself on those, with the
 * core's own pause state (HTTP 429 from Cloudflare goes through the core).
 *
 * Instruments: /0/public/AssetPairs for the subscribed pairs by their
 * REST names (the whole list is over a thousand pairs, near a megabyte:
 * a sandboxed adapter's frames stop at 1 MiB), or the whole list once
 * Kraken refuses a name (one unknown pair fails the request whole) or the
 * names do not fit the URL.  Each pair goes to the host under its v2
 * symbol -- the wsname with XBT and XDG as BTC and DOGE, which is how the
 * subscriptions spell it -- with tick_size (or 10^-pair_decimals in older
 * answers), 10^-lot_decimals, ordermin and costmin as the venue's text.
 * A refusal in the body (rate limit or other) is asked again a minute
 * later, after the pause for a rate limit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "parse.h"
#include "trade.h"
#include "../common/venue.h"

#define SYMBOLS_PER_REQUEST 50
#define HOLD_MARGIN_MS 5000
#define FLUSH_EVERY_MS 1000
#define PAUSE_MS 60000

/* The minute an ohlc update last described, not emitted yet. */
struct held {
	int have;
	int64_t open_ms;
	double o, h, l, c, vol;
};

struct kraken {
	struct venue v;                 /* first: the core's callbacks get it */
	struct held held[VENUE_MAX_SUBS];
	int64_t asked_gap[VENUE_MAX_SUBS];  /* venue_gap_start() then */
	uint64_t flush_timer;
	uint64_t instr_retry;           /* the list again after a refusal */
	int instr_whole;                /* ask the whole list */
	struct kr_trade tr;             /* orders and the account stream */
};

static void
send_request(struct venue *v, uint64_t conn, const char *channel,
	const char *extra, const char *const *syms, size_t n)
{
	char msg[4096];
	size_t len, i;
	int rc;

	len = (size_t)snprintf(msg, sizeof(msg), "{\"method\":\"subscribe\","
		"\"params\":{\"channel\":\"%s\"%s,\"symbol\":[", channel, extra);
	for (i = 0; i < n && len < sizeof(msg); i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			"%s\"%s\"", i ? "," : "", syms[i]);
	if (len < sizeof(msg))
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			"]},\"req_id\":%llu}", (unsigned long long)++v->next_id);
	if (len >= sizeof(msg)) {
		venue_say(v, QD_LOG_ERROR, "subscribe request too long");
		return;
	}
	if ((rc = v->api->ws_send(v->ctx, conn, msg, len)) != QD_OK)
		venue_say(v, QD_LOG_WARN, "subscribe to %s not sent: %s",
			channel, qd_strerror(rc));
}

/* Subscribe what subs [from, to) want: one request per channel and up to
 * SYMBOLS_PER_REQUEST symbols (Kraken lists symbols per request). */
static void
kr_subscribe_msg(struct venue *v, int link, uint64_t conn, size_t from,
	size_t to)
{
	/* The trade snapshot (the 50 last trades) is not asked: trades
	 * missed are not replayed, as on the other venues; the ohlc snapshot
	 * is (it is the default), it refills held minutes. */
	static const char *const channel[3] = { "trade", "ohlc", "ticker" };
	static const char *const extra[3] = { ",\"snapshot\":false",
		",\"interval\":1,\"snapshot\":true", "" };
	const char *syms[SYMBOLS_PER_REQUEST];
	size_t n, i;
	int k;

	(void)link;
	for (k = 0; k < 3; k++) {
		n = 0;
		for (i = from; i < to; i++) {
			const struct venue_sub *s = &v->subs[i];
			const int want[3] = { s->trades, s->kline, s->book };

			if (!want[k])
				continue;
			syms[n++] = s->native;
			if (n == SYMBOLS_PER_REQUEST) {
				send_request(v, conn, channel[k], extra[k],
					syms, n);
				n = 0;
			}
		}
		if (n)
			send_request(v, conn, channel[k], extra[k], syms, n);
	}
}

/* One ohlc item of a 1m subscription: hold it, emitting the minute it
 * closes (see the top of the file). */
static void
on_ohlc(struct kraken *k, struct venue_sub *s, const struct kr_event *ev)
{
	struct held *h = &k->held[s - k->v.subs];

	/* Emitted already (late update), or before streaming began. */
	if (ev->ts_ms < venue_gap_start(s))
		return;
	if (h->have && ev->ts_ms < h->open_ms) {
		/* A snapshot's older minute, never emitted: a later minute
		 * exists, so it is closed. */
		venue_emit_kline(&k->v, s, ev->ts_ms, ev->open, ev->high,
			ev->low, ev->close, ev->volume);
		return;
	}
	if (h->have && ev->ts_ms > h->open_ms)
		venue_emit_kline(&k->v, s, h->open_ms, h->o, h->h, h->l, h->c,
			h->vol);
	h->have = 1;
	h->open_ms = ev->ts_ms;
	h->o = ev->open;
	h->h = ev->high;
	h->l = ev->low;
	h->c = ev->close;
	h->vol = ev->volume;
}

/* Minutes held past their end and margin: nothing later will come. */
static void
flush_held(struct kraken *k)
{
	int64_t now = venue_now_ms(&k->v);
	size_t i;

	for (i = 0; i < k->v.n_subs; i++) {
		struct held *h = &k->held[i];

		if (h->have && now >= h->open_ms + 60000 + HOLD_MARGIN_MS) {
			h->have = 0;
			if (h->open_ms >= venue_gap_start(&k->v.subs[i]))
				venue_emit_kline(&k->v, &k->v.subs[i],
					h->open_ms, h->o, h->h, h->l, h->c,
					h->vol);
		}
	}
}

static void
on_event(void *arg, const struct kr_event *ev)
{
	struct kraken *k = arg;
	struct venue *v = &k->v;
	struct venue_sub *s;

	switch (ev->kind) {
	case KR_TRADE:
		if ((s = venue_find_native(v, ev->native)) != NULL && s->trades)
			venue_emit_trade(v, s, ev->ts_ms, ev->price, ev->qty,
				ev->side, ev->id);
		break;
	case KR_OHLC:
		if ((s = venue_find_native(v, ev->native)) != NULL &&
		    s->kline && ev->interval == 1)
			on_ohlc(k, s, ev);
		break;
	case KR_BOOK:
		if ((s = venue_find_native(v, ev->native)) != NULL && s->book)
			venue_emit_book(v, s, ev->bid, ev->bid_qty, ev->ask,
				ev->ask_qty);
		break;
	case KR_ACK:
		if (!ev->success)
			venue_say(v, QD_LOG_WARN, "%s %s refused: %s",
				ev->method, ev->native, ev->error);
		break;
	case KR_PONG:
	case KR_HEARTBEAT:
		break;
	}
}

static int
kr_message(struct venue *v, int link, uint64_t conn, const char *data,
	size_t len, char *why)
{
	(void)link;
	(void)conn;
	return kr_parse_ws(data, len, on_event, v, why) < 0 ? -1 : 0;
}

static void
kr_klines_url(struct venue *v, const struct venue_sub *s, int64_t from,
	int64_t to, char *url, size_t cap)
{
	struct kraken *k = (struct kraken *)v;
	char pair[40];

	if (kr_rest_pair(s->native, pair, sizeof(pair)) != 0)
		pair[0] = '\0';
	k->asked_gap[s - v->subs] = venue_gap_start(s);
	/* `since` a second before the first minute: the venue's rows start
	 * after it whether it counts `since` in or out. */
	snprintf(url, cap, "%s/0/public/OHLC?pair=%s&interval=1&since=%lld",
		v->rest_url, pair, (long long)(from / 1000 - 1));
}

struct page_ctx {
	struct venue_page *p;
	int64_t from, to, gap;
	long n;
};

/* Only the rows asked for: the venue answers up to now from `since`.  A
 * minute of the gap that the stream closed while the request was out
 * (the ohlc snapshot on a reconnect closes the minutes it holds) is not
 * emitted twice: it still counts as a row of the page. */
static void
page_row(void *arg, const struct kr_event *r)
{
	struct page_ctx *c = arg;
	int again;

	if (r->ts_ms < c->from || r->ts_ms > c->to)
		return;
	again = r->ts_ms >= c->gap && r->ts_ms <= c->p->s->last_kline;
	venue_page_kline(c->p, r->ts_ms, r->open, r->high, r->low, r->close,
		r->volume, r->closed && !again);
	c->n++;
}

static int
rate_limited(const char *err)
{
	return strstr(err, "Too many requests") != NULL ||
	    strstr(err, "Rate limit exceeded") != NULL ||
	    strstr(err, "Throttled") != NULL;
}

/* HTTP 200 with a rate-limit error: pause REST like the core does for a
 * 429 (its rest_timer ends the pause and retries the gaps held). */
static void
pause_rest(struct venue *v, const char *err)
{
	v->rest_blocked_until = venue_now_ms(v) + PAUSE_MS;
	venue_say(v, QD_LOG_WARN, "REST answered %s: no REST call for %d s",
		err, PAUSE_MS / 1000);
	if (v->rest_timer == 0 && v->api->timer_add(v->ctx,
	    (int64_t)PAUSE_MS * 1000000, 0, &v->rest_timer) != QD_OK)
		v->rest_timer = 0;
}

static long
kr_klines(struct venue *v, struct venue_page *p, const char *body, size_t len)
{
	struct kraken *k = (struct kraken *)v;
	size_t i = (size_t)(p->s - v->subs);
	struct page_ctx c = { p, p->from, p->to - 1, k->asked_gap[i], 0 };
	char err[96];
	long rows;

	rows = kr_parse_ohlc(body, len, page_row, &c, err);
	if (rows == -2 && rate_limited(err)) {
		pause_rest(v, err);
		venue_backfill_from(v, i, p->from, p->to);   /* held */
		return 0;
	}
	if (rows == -2) {
		venue_say(v, QD_LOG_WARN, "backfill of %s refused: %s",
			p->s->native, err);
		return 0;
	}
	if (rows < 0)
		return -1;
	if (rows >= v->d->page_rows && (p->first < 0 || p->first > c.from)) {
		/* A full page that does not reach back to `since`: Kraken
		 * keeps no older rows, so there is no next page to ask
		 * (p->first < 0 tells the core so). */
		venue_say(v, QD_LOG_WARN, "backfill of %s: the minutes before "
			"%lld are older than Kraken keeps (720 minutes)",
			p->s->native, (long long)(rows > 0 && p->first >= 0 ?
			p->first : c.to) / 1000);
		p->first = -1;
	}
	return c.n;
}

static void
kr_instruments_url(struct venue *v, char *url, size_t cap)
{
	struct kraken *k = (struct kraken *)v;
	char pair[40];
	size_t i, len, whole;
	int n;

	n = snprintf(url, cap, "%s/0/public/AssetPairs", v->rest_url);
	if (n < 0 || (size_t)n >= cap || k->instr_whole || v->n_subs == 0)
		return;
	whole = len = (size_t)n;
	for (i = 0; i < v->n_subs; i++) {
		/* ?pair=XBTUSD,ETHUSD: the names the OHLC requests use */
		if (kr_rest_pair(v->subs[i].native, pair, sizeof(pair)) != 0 ||
		    len + strlen(pair) + 7 >= cap) {
			url[whole] = '\0';
			return;
		}
		len += (size_t)snprintf(url + len, cap - len, "%s%s",
			i ? "," : "?pair=", pair);
	}
}

static void
on_instrument(void *arg, const struct kr_instrument *in)
{
	struct venue *v = arg;

	venue_instrument(v, in->native, in->tick, in->lot, in->min_qty,
		in->min_notional[0] ? in->min_notional : NULL,
		in->status[0] ? in->status : NULL, in->trading);
}

/* The list asked again in `ms` by the adapter: after the core's own
 * handling of this answer, which would only ask again in an hour.  The
 * core's fetch waits out a REST pause by itself. */
static void
instruments_again(struct kraken *k, int64_t ms)
{
	if (k->instr_retry == 0 && k->v.api->timer_add(k->v.ctx,
	    ms * 1000000, 0, &k->instr_retry) != QD_OK)
		k->instr_retry = 0;
}

static long
kr_instruments(struct venue *v, const char *body, size_t len)
{
	struct kraken *k = (struct kraken *)v;
	char err[96];
	long n;

	n = kr_parse_instruments(body, len, on_instrument, v, err);
	if (n == -1)
		venue_say(v, QD_LOG_WARN, "instrument list: %s", err);
	if (n != -2)
		return n;
	if (strstr(err, "Unknown asset pair") != NULL && !k->instr_whole) {
		/* A symbol Kraken does not list (or under another REST
		 * name): the whole list, now and from now on. */
		venue_say(v, QD_LOG_INFO, "instrument list: %s for the "
			"subscribed pairs; asking for the whole list", err);
		k->instr_whole = 1;
		instruments_again(k, 1000);
		return 0;
	}
	/* A refusal in an HTTP 200 is no malformed list: asked again in a
	 * minute, when a rate limit's pause is over. */
	if (rate_limited(err))
		pause_rest(v, err);
	else
		venue_say(v, QD_LOG_WARN, "instrument list refused: %s; again "
			"in a minute", err);
	instruments_again(k, PAUSE_MS);
	return 0;
}

static const struct venue_dialect kraken_dialect = {
	.subscribe = kr_subscribe_msg,
	.message = kr_message,
	.klines_url = kr_klines_url,
	.klines = kr_klines,
	.instruments_url = kr_instruments_url,
	.instruments = kr_instruments,
	.sep = '/',
	.links = 1,
	.kline_link = 0,
	.page_rows = 720,
	.ping = "{\"method\":\"ping\"}",
	.ping_ms = 30000,
	.pause_status = { 429, 403 },
	.pause_ms = { 60000, 60000 },
	.silence_ms = 15000,    /* a heartbeat a second: silence, a stall */
};

static int
kr_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct kraken *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return QD_ERR_NOMEM;
	venue_init(&k->v, api, ctx, &kraken_dialect, p);
	kt_init(&k->tr, &k->v, p);
	*state = k;
	return QD_OK;
}

static int
kr_start(void *state)
{
	struct kraken *k = state;
	int rc;

	if ((rc = k->v.api->timer_add(k->v.ctx,
	    (int64_t)FLUSH_EVERY_MS * 1000000,
	    (int64_t)FLUSH_EVERY_MS * 1000000, &k->flush_timer)) != QD_OK)
		return rc;
	if ((rc = venue_start(state)) != QD_OK)
		return rc;
	return kt_start(&k->tr);
}

static void
kr_stop(void *state)
{
	struct kraken *k = state;

	kt_stop(&k->tr);
	venue_stop(state);
}

/* The account stream's connection, answers and timers are trade.c's. */
static void
kr_on_ws_open(void *state, uint64_t conn)
{
	struct kraken *k = state;

	if (!kt_on_ws_open(&k->tr, conn))
		venue_on_ws_open(state, conn);
}

static void
kr_on_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct kraken *k = state;

	if (!kt_on_ws_message(&k->tr, conn, data, len))
		venue_on_ws_message(state, conn, data, len);
}

static void
kr_on_ws_close(void *state, uint64_t conn, int code, const char *reason)
{
	struct kraken *k = state;

	if (!kt_on_ws_close(&k->tr, conn))
		venue_on_ws_close(state, conn, code, reason);
}

static void
kr_on_http_response(void *state, uint64_t id, int status, const char *body,
	size_t len)
{
	struct kraken *k = state;

	if (!kt_on_http(&k->tr, id, status, body, len))
		venue_on_http_response(state, id, status, body, len);
}

static int
kr_order_place(void *state, uint64_t order, const struct qd_order_req *r)
{
	return kt_place(&((struct kraken *)state)->tr, order, r);
}

static int
kr_order_cancel(void *state, uint64_t order)
{
	return kt_cancel(&((struct kraken *)state)->tr, order);
}

static int
kr_order_query(void *state, uint64_t order)
{
	return kt_query(&((struct kraken *)state)->tr, order);
}

static int
kr_order_cancel_all(void *state, qd_symbol sym)
{
	return kt_cancel_all(&((struct kraken *)state)->tr, sym);
}

static int
kr_account_sync(void *state)
{
	return kt_sync(&((struct kraken *)state)->tr);
}

static void
kr_on_timer(void *state, uint64_t id)
{
	struct kraken *k = state;

	if (kt_on_timer(&k->tr, id))
		return;
	if (id == k->flush_timer) {
		flush_held(k);
	} else if (id == k->instr_retry) {
		k->instr_retry = 0;
		if (!k->v.stopping)
			venue_fetch_instruments(&k->v);
	} else {
		venue_on_timer(state, id);
	}
}

static void
kr_destroy(void *state)
{
	free(state);
}

static const struct qd_exchange_ops kr_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = kr_create,
		.start = kr_start,
		.stop = kr_stop,
		.destroy = kr_destroy,
	},
	.subscribe = venue_subscribe,
	.on_ws_open = kr_on_ws_open,
	.on_ws_message = kr_on_ws_message,
	.on_ws_close = kr_on_ws_close,
	.on_http_response = kr_on_http_response,
	.on_timer = kr_on_timer,
	.order_place = kr_order_place,
	.order_cancel = kr_order_cancel,
	.order_query = kr_order_query,
	.backfill = venue_backfill,
	.order_cancel_all = kr_order_cancel_all,
	.account_sync = kr_account_sync,
};

static const struct qd_param_spec kr_params[] = {
	QD_PARAM_STRING_SPEC("ws_url", "wss://ws.kraken.com/v2",
		"WebSocket v2 URL (beta: wss://beta-ws.kraken.com/v2; Kraken "
		"has no public spot testnet)"),
	QD_PARAM_STRING_SPEC("rest_url", "https://api.kraken.com",
		"REST base URL (/0/public OHLC, AssetPairs, Time; /0/private "
		"orders and account)"),
	QD_PARAM_STRING_SPEC("ws_auth_url", "wss://ws-auth.kraken.com/v2",
		"private WebSocket v2 URL, the account stream (beta: "
		"wss://beta-ws-auth.kraken.com/v2)"),
	QD_PARAM_BOOL_SPEC("book", 0, "stream the best bid and ask (ticker "
		"channel)"),
};

static const struct qd_plugin kr_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "kraken",
	.version = "0.1.0",
	.description = "Kraken spot: market data (trades, 1m OHLC, best "
	    "bid/ask) over WebSocket v2 with REST backfill; orders over REST "
	    "/0/private and the account stream",
	.license = "MIT",
	.params = kr_params,
	.n_params = QD_COUNTOF(kr_params),
	.ops = &kr_ops,
};

static const struct qd_plugin *const plugins[] = { &kr_plugin, NULL };

QD_MODULE(plugins);
