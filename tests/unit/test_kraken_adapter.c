/*
 * test_kraken_adapter.c -- the kraken adapter (plugins/exchange-kraken/
 * kraken.c, compiled in whole) on a recording host: what it subscribes,
 * how Kraken's flagless ohlc updates become closed 1m klines (a later
 * minute closes the held one, the clock closes a quiet one, late updates
 * and minutes already emitted are dropped, a reconnect's snapshot fills the
 * minutes it holds and the backfill does not emit them again), the REST
 * backfill URL, the HTTP-200 rate-limit answer pausing REST, a gap
 * older than Kraken's 720 minutes not paged for, and the instrument list
 * (asked at start, handed to the host for subscribed symbols only, its
 * HTTP-200 rate-limit answer pausing REST and asked again after it).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../plugins/exchange-kraken/kraken.c"

static int fails, checks;

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

/* ---- the recording host ------------------------------------------------- */

static int64_t clock_ms;
static char logbuf[65536], sent[65536], last_url[512], ws_url[256];
static uint64_t next_id = 100, last_http, last_conn;
static int n_http, n_open;
static struct qd_bar_event bars[64];
static int n_bars;
static struct qd_trade_event trades[16];
static int n_trades;
static struct {
	qd_symbol symbol;
	char native[32], tick[32], lot[32], min_qty[32], min_notional[32];
	char status[24];
	int trading;
} instr[8];
static int n_instr;
static struct { uint64_t id; int64_t after, every; } timers[64];
static int n_timers;
static const char *const names[] = { "", "BTC/USD", "ETH/USD" };

static void
h_log(qd_ctx *ctx, enum qd_log_level l, const char *fmt, ...)
{
	size_t n = strlen(logbuf);
	va_list ap;

	(void)ctx;
	(void)l;
	va_start(ap, fmt);
	vsnprintf(logbuf + n, sizeof(logbuf) - n, fmt, ap);
	va_end(ap);
	n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "\n");
}

static int64_t
h_now(qd_ctx *ctx)
{
	(void)ctx;
	return clock_ms * 1000000;
}

static const char *
h_param_string(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "ws_url") == 0 ? "wss://ws.kraken.com/v2" :
	    strcmp(name, "rest_url") == 0 ? "https://api.kraken.com" : NULL;
}

static int
h_param_bool(const qd_params *p, const char *name)
{
	(void)p;
	(void)name;
	return 0;
}

static const char *
h_symbol_name(qd_ctx *ctx, qd_symbol sym)
{
	(void)ctx;
	return sym > 0 && sym < 3 ? names[sym] : NULL;
}

static int
h_timer_add(qd_ctx *ctx, int64_t after, int64_t every, uint64_t *id)
{
	(void)ctx;
	*id = ++next_id;
	if (n_timers < 64) {
		timers[n_timers].id = *id;
		timers[n_timers].after = after / 1000000;
		timers[n_timers].every = every / 1000000;
		n_timers++;
	}
	return QD_OK;
}

static int
h_ws_open(qd_ctx *ctx, const char *url, const struct qd_kv *h, uint32_t n,
	uint64_t *conn)
{
	(void)ctx;
	(void)h;
	(void)n;
	snprintf(ws_url, sizeof(ws_url), "%s", url);
	*conn = last_conn = ++next_id;
	n_open++;
	return QD_OK;
}

static int
h_ws_send(qd_ctx *ctx, uint64_t conn, const char *data, size_t len)
{
	size_t n = strlen(sent);

	(void)ctx;
	(void)conn;
	snprintf(sent + n, sizeof(sent) - n, "%.*s\n", (int)len, data);
	return QD_OK;
}

static int
h_ws_close(qd_ctx *ctx, uint64_t conn)
{
	(void)ctx;
	(void)conn;
	return QD_OK;
}

static int
h_http(qd_ctx *ctx, const struct qd_http_request *r, uint64_t *id)
{
	(void)ctx;
	snprintf(last_url, sizeof(last_url), "%s", r->url);
	*id = last_http = ++next_id;
	n_http++;
	return QD_OK;
}

static void
h_trade(qd_ctx *ctx, const struct qd_trade_event *t)
{
	(void)ctx;
	if (n_trades < 16)
		trades[n_trades++] = *t;
}

static void
h_bar(qd_ctx *ctx, const struct qd_bar_event *b)
{
	(void)ctx;
	if (n_bars < 64)
		bars[n_bars] = *b;
	n_bars++;
}

static void
h_book(qd_ctx *ctx, const struct qd_book_top_event *b)
{
	(void)ctx;
	(void)b;
}

static int
h_timer_cancel(qd_ctx *ctx, uint64_t id)
{
	(void)ctx;
	(void)id;
	return QD_OK;
}

/* NULL texts kept as "(null)": the test tells them from "". */
static void
h_instrument(qd_ctx *ctx, const struct qd_instrument *in)
{
	(void)ctx;
	if (n_instr < 8) {
		instr[n_instr].symbol = in->symbol;
		snprintf(instr[n_instr].native, 32, "%s", in->native);
		snprintf(instr[n_instr].tick, 32, "%s", in->tick ? in->tick :
			"(null)");
		snprintf(instr[n_instr].lot, 32, "%s", in->lot ? in->lot :
			"(null)");
		snprintf(instr[n_instr].min_qty, 32, "%s", in->min_qty ?
			in->min_qty : "(null)");
		snprintf(instr[n_instr].min_notional, 32, "%s",
			in->min_notional ? in->min_notional : "(null)");
		snprintf(instr[n_instr].status, 24, "%s", in->status ?
			in->status : "(null)");
		instr[n_instr].trading = in->trading;
	}
	n_instr++;
}

static struct qd_host_api api;

static void
host_init(void)
{
	api.size = sizeof(api);
	api.abi_major = QD_ABI_MAJOR;
	api.abi_minor = QD_ABI_MINOR;
	api.log = h_log;
	api.now_ns = h_now;
	api.param_string = h_param_string;
	api.param_bool = h_param_bool;
	api.symbol_name = h_symbol_name;
	api.timer_add = h_timer_add;
	api.timer_cancel = h_timer_cancel;
	api.ws_open = h_ws_open;
	api.ws_send = h_ws_send;
	api.ws_close = h_ws_close;
	api.http_request = h_http;
	api.emit_trade = h_trade;
	api.emit_bar = h_bar;
	api.emit_book_top = h_book;
	api.emit_instrument = h_instrument;
}

/* ---- helpers ------------------------------------------------------------- */

#define T0 1700000400000LL     /* 2023-11-14T22:20:00Z, a minute start */

static void
iso(int64_t ms, char *out, size_t cap)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03d000000Z",
		(tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
		tm.tm_sec % 100, (int)(ms % 1000));
}

/* An ohlc item for BTC/USD of minute `m` (ms) with close `c`. */
static int
item(char *out, size_t cap, int64_t m, double c, double vol)
{
	char t[96];

	iso(m, t, sizeof(t));
	return snprintf(out, cap, "{\"symbol\":\"BTC/USD\",\"open\":100,"
		"\"high\":%g,\"low\":90,\"close\":%g,\"trades\":3,\"volume\":%g,"
		"\"vwap\":95,\"interval_begin\":\"%s\",\"interval\":1}",
		c > 100 ? c : 100, c, vol, t);
}

static void
ohlc(void *st, const char *type, const int64_t *m, const double *c, int n)
{
	char msg[8192];
	size_t len;
	int i;

	len = (size_t)snprintf(msg, sizeof(msg), "{\"channel\":\"ohlc\","
		"\"type\":\"%s\",\"data\":[", type);
	for (i = 0; i < n; i++) {
		if (i)
			msg[len++] = ',';
		len += (size_t)item(msg + len, sizeof(msg) - len, m[i], c[i],
			1.5 + i);
	}
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "]}");
	venue_on_ws_message(st, last_conn, msg, len);
}

static void
update(void *st, int64_t m, double c)
{
	ohlc(st, "update", &m, &c, 1);
}

/* Every timer of that period; the instrument list's own timers are left
 * to the instrument checks, which fire them one by one. */
static void
fire(void *st, int64_t every_ms)
{
	const struct kraken *k = st;
	int i;

	for (i = 0; i < n_timers; i++)
		if (timers[i].every == every_ms &&
		    timers[i].id != k->v.instr_timer &&
		    timers[i].id != k->instr_retry)
			kr_on_timer(st, timers[i].id);
}

/* An AssetPairs answer in Kraken's shape: BTC/USD as listed today, ETH/USD
 * as in a 2021 answer (no tick_size, costmin or status), and a dark-pool
 * pair without a wsname. */
static const char pairs[] = "{\"error\":[],\"result\":{"
	"\"XXBTZUSD\":{\"altname\":\"XBTUSD\",\"wsname\":\"XBT/USD\","
	"\"aclass_base\":\"currency\",\"base\":\"XXBT\",\"aclass_quote\":"
	"\"currency\",\"quote\":\"ZUSD\",\"lot\":\"unit\","
	"\"cost_decimals\":5,\"pair_decimals\":1,\"lot_decimals\":8,"
	"\"lot_multiplier\":1,\"fees\":[[0,0.4],[10000,0.35]],"
	"\"ordermin\":\"0.0001\",\"costmin\":\"0.5\",\"tick_size\":"
	"\"0.1\",\"status\":\"online\"},"
	"\"XETHZUSD\":{\"altname\":\"ETHUSD\",\"wsname\":\"ETH\\/USD\","
	"\"base\":\"XETH\",\"quote\":\"ZUSD\",\"pair_decimals\":2,"
	"\"lot_decimals\":8,\"ordermin\":\"0.002\"},"
	"\"XXBTZUSD.d\":{\"altname\":\"XBTUSD.d\",\"pair_decimals\":1,"
	"\"lot_decimals\":8}}}";

/* The instrument list asked now: 1 if it was, at Kraken's URL with
 * `query`. */
static int
asked_pairs(const struct kraken *k, const char *query)
{
	char url[256];

	snprintf(url, sizeof(url), "https://api.kraken.com/0/public/"
		"AssetPairs%s", query);
	return n_http == 1 && k->v.instr_req == last_http &&
	    strcmp(last_url, url) == 0;
}

/* REST rows [from, from + n minutes), the last one open. */
static void
rest_answer(void *st, int64_t from, int n)
{
	static char body[200000];
	size_t len;
	int i;

	len = (size_t)snprintf(body, sizeof(body), "{\"error\":[],\"result\":"
		"{\"XXBTZUSD\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len,
			"%s[%lld,\"100\",\"110\",\"90\",\"105\",\"101\","
			"\"2.5\",%d]", i ? "," : "",
			(long long)(from / 1000 + 60 * i), i);
	len += (size_t)snprintf(body + len, sizeof(body) - len, "],\"last\":"
		"%lld}}", (long long)(from / 1000 + 60 * (n - 2)));
	venue_on_http_response(st, last_http, 200, body, len);
}

/* ---- the tests ----------------------------------------------------------- */

int
main(void)
{
	void *st = NULL;
	struct venue *v;
	int n, rc;

	host_init();
	clock_ms = T0 + 30000;
	rc = kr_create(&api, NULL, NULL, &st);
	CHECK(rc == QD_OK && st != NULL, "created");
	if (st == NULL)
		return 1;
	v = st;
	CHECK(kr_start(st) == QD_OK && n_open == 1 &&
		strcmp(ws_url, "wss://ws.kraken.com/v2") == 0,
		"started, opening %s", ws_url);
	CHECK(n_timers == 4 && timers[0].every == 1000 &&
		timers[1].every == 30000 && timers[2].every == 3750 &&
		v->watch_timer == timers[2].id && timers[3].after == 1000 &&
		timers[3].every == 0 && v->instr_timer == timers[3].id,
		"a flush timer (1 s), a ping timer (30 s), the silence watch "
		"(a quarter of 15 s), the instrument list in 1 s");
	CHECK(venue_subscribe(st, 1, 60) == QD_OK, "BTC/USD 1m");
	CHECK(sent[0] == '\0', "nothing sent before the connection opens");
	venue_on_ws_open(st, last_conn);
	CHECK(strstr(sent, "{\"method\":\"subscribe\",\"params\":{\"channel\":"
		"\"trade\",\"snapshot\":false,\"symbol\":[\"BTC/USD\"]},"
		"\"req_id\":1}\n") != NULL && strstr(sent, "{\"method\":"
		"\"subscribe\",\"params\":{\"channel\":\"ohlc\",\"interval\":1,"
		"\"snapshot\":true,\"symbol\":[\"BTC/USD\"]},\"req_id\":2}\n") !=
		NULL && strstr(sent, "ticker") == NULL,
		"trade and ohlc subscribed, no ticker without book: %s", sent);
	sent[0] = '\0';
	fire(st, 30000);
	CHECK(strcmp(sent, "{\"method\":\"ping\"}\n") == 0, "ping: %s", sent);

	/* The instrument list a second after the start: only the subscribed
	 * BTC/USD goes to the host, as the venue's text. */
	n_http = 0;
	kr_on_timer(st, timers[3].id);
	CHECK(asked_pairs(st, "?pair=XBTUSD"), "the instrument list asked "
		"at start, for the subscribed pair: %s", last_url);
	n = n_timers;
	venue_on_http_response(st, last_http, 200, pairs, strlen(pairs));
	CHECK(n_instr == 1 && instr[0].symbol == 1 &&
		strcmp(instr[0].native, "BTC/USD") == 0 &&
		strcmp(instr[0].tick, "0.1") == 0 &&
		strcmp(instr[0].lot, "0.00000001") == 0 &&
		strcmp(instr[0].min_qty, "0.0001") == 0 &&
		strcmp(instr[0].min_notional, "0.5") == 0 &&
		strcmp(instr[0].status, "online") == 0 && instr[0].trading,
		"BTC/USD handed over, ETH/USD (not subscribed) not (%d)",
		n_instr);
	CHECK(strstr(logbuf, "instrument list: 2 instruments") != NULL,
		"two pairs on the WebSocket counted: %s", logbuf);
	CHECK(n_timers == n + 1 && timers[n].after == 3600000 &&
		v->instr_timer == timers[n].id, "the list again in an hour");

	/* The subscription's snapshot: minutes before streaming began are
	 * not ours; the open one is held, not emitted. */
	{
		int64_t m[3] = { T0 - 120000, T0 - 60000, T0 };
		double c[3] = { 101, 102, 103 };

		ohlc(st, "snapshot", m, c, 3);
	}
	CHECK(n_bars == 0, "snapshot: nothing closed yet (%d)", n_bars);
	update(st, T0, 104);
	update(st, T0, 107.5);
	CHECK(n_bars == 0, "updates of the open minute: held");
	clock_ms = T0 + 60100;
	update(st, T0 + 60000, 99);
	CHECK(n_bars == 1 && bars[0].symbol == 1 &&
		bars[0].timeframe_s == 60 && bars[0].bar.ts == T0 * 1000000 &&
		bars[0].bar.open == 100 && bars[0].bar.high == 107.5 &&
		bars[0].bar.low == 90 && bars[0].bar.close == 107.5 &&
		bars[0].bar.volume == 1.5, "a later minute closes the held "
		"one with its last update (%d bars)", n_bars);
	update(st, T0, 108);
	CHECK(n_bars == 1, "a late update of an emitted minute is dropped");

	/* A quiet market: the clock closes the held minute, with a margin. */
	clock_ms = T0 + 120000 + HOLD_MARGIN_MS - 1;
	fire(st, 1000);
	CHECK(n_bars == 1, "not before the margin");
	clock_ms = T0 + 120000 + HOLD_MARGIN_MS;
	fire(st, 1000);
	CHECK(n_bars == 2 && bars[1].bar.ts == (T0 + 60000) * 1000000 &&
		bars[1].bar.close == 99, "the clock closes a quiet minute");
	fire(st, 1000);
	update(st, T0 + 60000, 98);
	fire(st, 1000);
	CHECK(n_bars == 2, "once only");

	/* Trades. */
	{
		const char *t = "{\"channel\":\"trade\",\"type\":\"update\","
			"\"data\":[{\"symbol\":\"BTC/USD\",\"side\":\"sell\","
			"\"price\":30000.5,\"qty\":0.25,\"ord_type\":\"market\","
			"\"trade_id\":42,\"timestamp\":"
			"\"2023-11-14T22:22:01.123456Z\"},{\"symbol\":"
			"\"ETH/USD\",\"side\":\"buy\",\"price\":2000,\"qty\":1,"
			"\"trade_id\":43,\"timestamp\":"
			"\"2023-11-14T22:22:01.5Z\"}]}";

		venue_on_ws_message(st, last_conn, t, strlen(t));
		CHECK(n_trades == 1 && trades[0].symbol == 1 &&
			trades[0].side == QD_SIDE_SELL &&
			trades[0].price == 30000.5 && trades[0].qty == 0.25 &&
			trades[0].trade_id == 42 &&
			trades[0].ts == 1700000521123LL * 1000000,
			"a trade of a subscribed symbol, not the other (%d)",
			n_trades);
	}

	/* A loss; the reconnect asks the gap from REST, and its snapshot
	 * closes the minutes it holds first: none is emitted twice. */
	venue_on_ws_close(st, last_conn, 1006, "gone");
	clock_ms = T0 + 5 * 60000 + 10000;
	fire(st, 0);
	CHECK(n_open == 2, "reopened after the backoff");
	n_http = 0;
	venue_on_ws_open(st, last_conn);
	CHECK(n_http == 1 && strcmp(last_url, "https://api.kraken.com/0/public/"
		"OHLC?pair=XBTUSD&interval=1&since=1700000519") == 0,
		"the gap from 22:22 asked as XBTUSD: %s", last_url);
	{
		int64_t m[4] = { T0 + 120000, T0 + 180000, T0 + 240000,
			T0 + 300000 };
		double c[4] = { 111, 112, 113, 114 };

		ohlc(st, "snapshot", m, c, 4);
	}
	CHECK(n_bars == 5 && bars[2].bar.ts == (T0 + 120000) * 1000000 &&
		bars[2].bar.close == 111 && bars[4].bar.ts == (T0 + 240000) *
		1000000 && bars[4].bar.close == 113, "the snapshot closes "
		"22:22-22:24 (%d bars)", n_bars);
	rest_answer(st, T0 + 120000, 4);
	CHECK(n_bars == 5, "the backfill emits none of them again (%d)",
		n_bars);
	CHECK(strstr(logbuf, "malformed") == NULL, "no malformed: %s", logbuf);

	/* Kraken's rate limit is an HTTP 200 with an error: REST pauses. */
	venue_on_ws_close(st, last_conn, 1006, "gone");
	clock_ms = T0 + 8 * 60000 + 1000;
	fire(st, 0);
	n = n_timers;
	venue_on_ws_open(st, last_conn);
	{
		const char *rl = "{\"error\":[\"EAPI:Rate limit exceeded\"]}";

		venue_on_http_response(st, last_http, 200, rl, strlen(rl));
	}
	CHECK(strstr(logbuf, "REST answered EAPI:Rate limit exceeded: no REST "
		"call for 60 s") != NULL && strstr(logbuf, "malformed") == NULL,
		"a rate-limit answer pauses REST, not called malformed");
	CHECK(n_timers == n + 1 && timers[n].after == 60000 &&
		v->rest_timer == timers[n].id, "the core's REST timer is set "
		"for 60 s");
	n_http = 0;
	venue_backfill_all(v);
	CHECK(n_http == 0, "no REST call while paused");
	clock_ms += 60000;
	kr_on_timer(st, v->rest_timer);
	CHECK(n_http == 1, "REST again after the pause (%d)", n_http);

	/* A gap longer than Kraken keeps: the full page does not reach back
	 * to it, and no older page is asked for. */
	rest_answer(st, clock_ms / 60000 * 60000 - 720 * 60000, 721);
	n_http = 0;
	v->subs[0].last_kline = clock_ms - 2000 * 60000LL;
	v->subs[0].last_kline -= v->subs[0].last_kline % 60000;
	venue_backfill_all(v);
	CHECK(n_http == 1, "a 2000-minute gap asked");
	n = n_bars;
	rest_answer(st, clock_ms / 60000 * 60000 - 720 * 60000, 721);
	CHECK(n_bars == n + 720, "the 720 closed minutes emitted (%d)",
		n_bars - n);
	CHECK(n_http == 1 && strstr(logbuf, "older than Kraken keeps") != NULL,
		"the older minutes are logged as lost, no page asked (%d)",
		n_http);

	/* A new symbol: the list again soon, not in an hour. */
	n = n_timers;
	CHECK(venue_subscribe(st, 2, 0) == QD_OK && n_timers == n + 1 &&
		timers[n].after == 2000 && v->instr_timer == timers[n].id,
		"ETH/USD subscribed: the list in 2 s");
	n_http = 0;
	kr_on_timer(st, v->instr_timer);
	CHECK(asked_pairs(st, "?pair=XBTUSD,ETHUSD"), "the list asked for "
		"ETH/USD too: %s", last_url);
	/* Kraken's rate limit on it, an HTTP 200: REST pauses (held by the
	 * core's pause state), nothing is malformed, and the list is asked
	 * again after the pause rather than in an hour. */
	logbuf[0] = '\0';
	n_instr = 0;
	n = n_timers;
	{
		const char *rl = "{\"error\":[\"EGeneral:Too many requests\"]}";

		venue_on_http_response(st, last_http, 200, rl, strlen(rl));
	}
	CHECK(n_instr == 0 && strstr(logbuf, "REST answered EGeneral:Too "
		"many requests: no REST call for 60 s") != NULL &&
		strstr(logbuf, "malformed") == NULL &&
		v->rest_blocked_until == clock_ms + 60000, "the list's "
		"rate-limit answer pauses REST: %s", logbuf);
	CHECK(v->rest_timer != 0 && ((struct kraken *)st)->instr_retry != 0,
		"the pause's end and the list's retry are timed");
	n_http = 0;
	venue_backfill(st, 1, 60, (clock_ms - 600000) * 1000000,
		clock_ms * 1000000);
	CHECK(n_http == 0, "no backfill while paused (%d)", n_http);
	clock_ms += 60000;
	kr_on_timer(st, v->rest_timer);
	n_http = 0;
	kr_on_timer(st, ((struct kraken *)st)->instr_retry);
	CHECK(asked_pairs(st, "?pair=XBTUSD,ETHUSD"), "the list asked again "
		"after the pause");
	venue_on_http_response(st, last_http, 200, pairs, strlen(pairs));
	CHECK(n_instr == 2 && instr[1].symbol == 2 &&
		strcmp(instr[1].native, "ETH/USD") == 0 &&
		strcmp(instr[1].tick, "0.01") == 0 &&
		strcmp(instr[1].lot, "0.00000001") == 0 &&
		strcmp(instr[1].min_qty, "0.002") == 0 &&
		strcmp(instr[1].min_notional, "(null)") == 0 &&
		strcmp(instr[1].status, "(null)") == 0 && instr[1].trading,
		"both handed over, ETH/USD without costmin or status as NULL "
		"(%d)", n_instr);
	/* Another refusal (no rate limit): no pause, asked in a minute. */
	n_http = 0;
	kr_on_timer(st, v->instr_timer);
	CHECK(asked_pairs(st, "?pair=XBTUSD,ETHUSD"), "the hourly list");
	{
		const char *un = "{\"error\":[\"EService:Unavailable\"]}";
		int64_t until = v->rest_blocked_until;

		logbuf[0] = '\0';
		n = n_timers;
		venue_on_http_response(st, last_http, 200, un, strlen(un));
		CHECK(strstr(logbuf, "instrument list refused: "
			"EService:Unavailable; again in a minute") != NULL &&
			v->rest_blocked_until == until && n_timers > n &&
			timers[n_timers - 1].after == 3600000 &&
			timers[n].after == 60000 && timers[n].id ==
			((struct kraken *)st)->instr_retry, "a refusal: asked "
			"again in a minute, REST not paused: %s", logbuf);
	}
	n_http = 0;
	kr_on_timer(st, ((struct kraken *)st)->instr_retry);
	CHECK(asked_pairs(st, "?pair=XBTUSD,ETHUSD"), "the list asked again");
	/* A pair Kraken does not know fails the request whole: the whole
	 * list, soon and from then on. */
	{
		const char *un = "{\"error\":[\"EQuery:Unknown asset pair\"]}";

		logbuf[0] = '\0';
		n = n_timers;
		venue_on_http_response(st, last_http, 200, un, strlen(un));
		CHECK(n_timers > n && timers[n].after == 1000 &&
			timers[n].id == ((struct kraken *)st)->instr_retry &&
			strstr(logbuf, "asking for the whole list") != NULL &&
			strstr(logbuf, "malformed") == NULL, "an unknown "
			"pair: the whole list in a second: %s", logbuf);
	}
	n_http = 0;
	kr_on_timer(st, ((struct kraken *)st)->instr_retry);
	CHECK(asked_pairs(st, ""), "the whole list asked: %s", last_url);
	n_http = 0;
	venue_on_http_response(st, last_http, 200, pairs, strlen(pairs));
	kr_on_timer(st, v->instr_timer);
	CHECK(asked_pairs(st, ""), "and the whole list an hour later");
	logbuf[0] = '\0';
	venue_on_http_response(st, last_http, 200, "{\"error\":[]}", 12);
	CHECK(strstr(logbuf, "instrument list: no result") != NULL &&
		strstr(logbuf, "malformed") != NULL, "a list without result "
		"is malformed: %s", logbuf);

	venue_stop(st);
	kr_destroy(st);
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
