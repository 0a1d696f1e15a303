/*
 * test_okx_adapter.c -- the okx adapter (plugins/exchange-okx/okx.c with
 * the shared core) against a host that records what the plugin asks of it:
 * each WebSocket is subscribed only the channels it carries, in the shape
 * of the documented subscribe request; `ping` goes on both links and the
 * `pong` answer is no malformed message; events reach the host once, with
 * exact values; only closed 1m candles become bars; the service-upgrade
 * notice moves a link to a fresh connection without a trade twice; REST
 * backfill asks candles or history-candles with the venue's exclusive
 * bounds, continues after a full page of 300 rows and pauses after 429;
 * the SPOT instrument list is asked a second after the start, handed to
 * the host for the subscribed instIds only (exact decimal text, no
 * minimum notional), asked again soon after a new symbol, hourly, and
 * after the pause a 429 answer starts.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "venue_fixtures.h"
#include "../../plugins/exchange-okx/okx.c"

struct qd_params { int unused; };

#define MAXREC 256

static struct {
	int64_t now_ms;
	char logs[MAXREC][512];
	int n_logs;
	char open_url[MAXREC][256];
	int n_open;
	struct { uint64_t conn; char text[4096]; } sent[MAXREC];
	int n_sent;
	uint64_t closed[MAXREC];
	int n_closed;
	char get[MAXREC][512];
	int n_get;
	struct qd_trade_event trades[MAXREC];
	int n_trades;
	struct qd_bar_event bars[MAXREC];
	int n_bars;
	struct qd_book_top_event tops[MAXREC];
	int n_tops;
	struct {
		qd_symbol symbol;
		char native[32], tick[32], lot[32], min_qty[32], status[16];
		int min_notional;       /* given (OKX: never) */
		int trading;
	} instr[MAXREC];
	int n_instr;
	struct { uint64_t id; int64_t after_ms; } timers[MAXREC];
	int n_timers;
	uint64_t next_id;
} h;

/* When timer `id` was set to fire (ms after it was added), or -1. */
static int64_t
timer_after(uint64_t id)
{
	int i;

	for (i = 0; i < h.n_timers && i < MAXREC; i++)
		if (h.timers[i].id == id)
			return h.timers[i].after_ms;
	return -1;
}

static void
h_log(qd_ctx *ctx, enum qd_log_level l, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	(void)l;
	if (h.n_logs == MAXREC)
		return;
	va_start(ap, fmt);
	vsnprintf(h.logs[h.n_logs++], sizeof(h.logs[0]), fmt, ap);
	va_end(ap);
}

static int64_t
h_now(qd_ctx *ctx)
{
	(void)ctx;
	return h.now_ms * 1000000;
}

static const char *
h_param_string(const qd_params *p, const char *name)
{
	(void)p;
	if (strcmp(name, "ws_url") == 0)
		return "ws://pub/ws/v5/public";
	if (strcmp(name, "ws_business_url") == 0)
		return "ws://biz/ws/v5/business";
	if (strcmp(name, "rest_url") == 0)
		return "http://rest";
	return NULL;
}

static int
h_param_bool(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "book") == 0;
}

static const char *
h_symbol_name(qd_ctx *ctx, qd_symbol s)
{
	(void)ctx;
	return s == 1 ? "BTC/USDT" : s == 2 ? "ETH/USDT" : s == 3 ?
	    "SOL/USDT" : NULL;
}

static int
h_timer_add(qd_ctx *ctx, int64_t after, int64_t interval, uint64_t *id)
{
	(void)ctx;
	(void)interval;
	*id = ++h.next_id;
	if (h.n_timers < MAXREC) {
		h.timers[h.n_timers].id = *id;
		h.timers[h.n_timers].after_ms = after / 1000000;
	}
	h.n_timers++;
	return QD_OK;
}

static int
h_timer_cancel(qd_ctx *ctx, uint64_t id)
{
	(void)ctx;
	(void)id;
	return QD_OK;
}

static int
h_ws_open(qd_ctx *ctx, const char *url, const struct qd_kv *hd, uint32_t n,
	uint64_t *conn)
{
	(void)ctx;
	(void)hd;
	(void)n;
	snprintf(h.open_url[h.n_open++], sizeof(h.open_url[0]), "%s", url);
	*conn = ++h.next_id;
	return QD_OK;
}

static int
h_ws_send(qd_ctx *ctx, uint64_t conn, const char *data, size_t len)
{
	(void)ctx;
	h.sent[h.n_sent].conn = conn;
	snprintf(h.sent[h.n_sent++].text, sizeof(h.sent[0].text), "%.*s",
		(int)len, data);
	return QD_OK;
}

static int
h_ws_close(qd_ctx *ctx, uint64_t conn)
{
	(void)ctx;
	h.closed[h.n_closed++] = conn;
	return QD_OK;
}

/* The last request's body and headers (the trading calls'). */
static struct {
	char body[1024];
	char hdr[8][2][160];
	uint32_t n_hdr;
} req;

static const char *
req_header(const char *name)
{
	uint32_t i;

	for (i = 0; i < req.n_hdr; i++)
		if (strcmp(req.hdr[i][0], name) == 0)
			return req.hdr[i][1];
	return NULL;
}

static int
h_http(qd_ctx *ctx, const struct qd_http_request *r, uint64_t *id)
{
	uint32_t i;

	(void)ctx;
	snprintf(req.body, sizeof(req.body), "%.*s", (int)r->body_len,
		r->body ? r->body : "");
	for (req.n_hdr = 0, i = 0; i < r->n_headers && i < 8; i++, req.n_hdr++) {
		snprintf(req.hdr[i][0], sizeof(req.hdr[i][0]), "%s",
			r->headers[i].key);
		snprintf(req.hdr[i][1], sizeof(req.hdr[i][1]), "%s",
			r->headers[i].value);
	}
	snprintf(h.get[h.n_get++], sizeof(h.get[0]), "%s %s", r->method,
		r->url);
	*id = ++h.next_id;
	return QD_OK;
}

static void
h_trade(qd_ctx *ctx, const struct qd_trade_event *t)
{
	(void)ctx;
	if (h.n_trades < (int)QD_COUNTOF(h.trades))
		h.trades[h.n_trades] = *t;
	h.n_trades++;
}

static void
h_bar(qd_ctx *ctx, const struct qd_bar_event *b)
{
	(void)ctx;
	if (h.n_bars < (int)QD_COUNTOF(h.bars))
		h.bars[h.n_bars] = *b;
	h.n_bars++;
}

static void
h_top(qd_ctx *ctx, const struct qd_book_top_event *t)
{
	(void)ctx;
	if (h.n_tops < (int)QD_COUNTOF(h.tops))
		h.tops[h.n_tops] = *t;
	h.n_tops++;
}

static void
h_instrument(qd_ctx *ctx, const struct qd_instrument *in)
{
	(void)ctx;
	if (h.n_instr < MAXREC) {
		h.instr[h.n_instr].symbol = in->symbol;
		snprintf(h.instr[h.n_instr].native, 32, "%s", in->native);
		snprintf(h.instr[h.n_instr].tick, 32, "%s", in->tick);
		snprintf(h.instr[h.n_instr].lot, 32, "%s", in->lot);
		snprintf(h.instr[h.n_instr].min_qty, 32, "%s", in->min_qty);
		snprintf(h.instr[h.n_instr].status, 16, "%s", in->status);
		h.instr[h.n_instr].min_notional = in->min_notional != NULL;
		h.instr[h.n_instr].trading = in->trading;
	}
	h.n_instr++;
}

static int
logged(const char *s)
{
	int i;

	for (i = 0; i < h.n_logs; i++)
		if (strstr(h.logs[i], s) != NULL)
			return 1;
	return 0;
}

/* The channels of the subscribe requests sent on `conn` from index
 * `from`, as "channel:instId" joined by spaces; -1 if one is not in the
 * documented request's shape. */
static int
subscribed(uint64_t conn, int from, char *out, size_t cap)
{
	int i, bad = 0;

	out[0] = '\0';
	for (i = from; i < h.n_sent; i++) {
		cJSON *m, *a;
		const cJSON *id, *op;

		if (h.sent[i].conn != conn || strcmp(h.sent[i].text, "ping") == 0)
			continue;
		m = cJSON_Parse(h.sent[i].text);
		id = cJSON_GetObjectItemCaseSensitive(m, "id");
		op = cJSON_GetObjectItemCaseSensitive(m, "op");
		if (!cJSON_IsString(id) || strlen(id->valuestring) > 32 ||
		    !cJSON_IsString(op) || strcmp(op->valuestring,
		    "subscribe") != 0 || cJSON_GetArraySize(m) != 3)
			bad = 1;
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(m,
		    "args")) {
			const cJSON *ch = cJSON_GetObjectItemCaseSensitive(a,
				"channel");
			const cJSON *in = cJSON_GetObjectItemCaseSensitive(a,
				"instId");

			if (!cJSON_IsString(ch) || !cJSON_IsString(in) ||
			    cJSON_GetArraySize(a) != 2) {
				bad = 1;
				continue;
			}
			snprintf(out + strlen(out), cap - strlen(out), "%s%s:%s",
				out[0] ? " " : "", ch->valuestring,
				in->valuestring);
		}
		cJSON_Delete(m);
	}
	return bad ? -1 : 0;
}

/* The documented request has the keys id, op, args and args of channel
 * and instId: what subscribed() holds every request to. */
static void
documented_request_shape(void)
{
	char path[1024], *t;
	size_t len;
	cJSON *m;

	snprintf(path, sizeof(path), "%s/../shared/fixtures/exchanges/"
		"okx-subscribe-trades-request.json", QD_TEST_SRCDIR);
	if ((t = slurp(path, &len)) == NULL) {
		printf("skipped: no documented fixture %s\n", path);
		return;
	}
	m = cJSON_Parse(t);
	CHECK(cJSON_GetArraySize(m) == 3 &&
		cJSON_GetObjectItemCaseSensitive(m, "id") != NULL &&
		cJSON_GetObjectItemCaseSensitive(m, "op") != NULL &&
		cJSON_GetArraySize(cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(m, "args"), 0)) == 2,
		"the documented subscribe request has the shape checked");
	cJSON_Delete(m);
	free(t);
}

static void
msg(void *st, uint64_t conn, const char *text)
{
	ok_ops.on_ws_message(st, conn, text, strlen(text));
}

static const char *
trade_msg(const char *inst, const char *id, const char *px, const char *side)
{
	static char b[512];

	snprintf(b, sizeof(b), "{\"arg\":{\"channel\":\"trades\",\"instId\":"
		"\"%s\"},\"data\":[{\"instId\":\"%s\",\"tradeId\":\"%s\","
		"\"px\":\"%s\",\"sz\":\"0.125\",\"side\":\"%s\","
		"\"ts\":\"1700000000123\",\"count\":\"2\",\"source\":\"0\","
		"\"seqId\":5}]}", inst, inst, id, px, side);
	return b;
}

static const char *
candle_msg(const char *bar, int64_t t, const char *confirm)
{
	static char b[512];

	snprintf(b, sizeof(b), "{\"arg\":{\"channel\":\"candle%s\",\"instId\":"
		"\"BTC-USDT\"},\"data\":[[\"%lld\",\"30000.5\",\"30010\","
		"\"29990.25\",\"30005\",\"12.5\",\"375000\",\"375000\",\"%s\"]]}",
		bar, (long long)t, confirm);
	return b;
}

/* A REST candles page of `n` closed rows, newest first, the newest
 * opening at `newest`. */
static char *
page(int64_t newest, int n)
{
	size_t cap = 64 + (size_t)n * 128, len;
	char *b = malloc(cap);
	int i;

	len = (size_t)snprintf(b, cap, "{\"code\":\"0\",\"msg\":\"\",\"data\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, "%s[\"%lld\",\"1\","
			"\"2\",\"0.5\",\"1.5\",\"10\",\"15\",\"15\",\"1\"]",
			i ? "," : "", (long long)(newest - i * 60000LL));
	snprintf(b + len, cap - len, "]}");
	return b;
}

/* A public/instruments answer in the documented shape: BTC-USDT live,
 * ETH-USDT suspended, SOL-USDT live (subscribed later), XRP-USDT never
 * subscribed, and a SWAP the parser skips. */
static const char *
instruments_answer(void)
{
	static char b[4096];
	static const char *const rows[][6] = {
		{ "BTC-USDT", "BTC", "0.1", "0.00000001", "0.00001", "live" },
		{ "ETH-USDT", "ETH", "0.01", "0.000001", "0.001", "suspend" },
		{ "SOL-USDT", "SOL", "0.01", "0.000001", "0.01", "live" },
		{ "XRP-USDT", "XRP", "0.0001", "0.000001", "1", "live" },
	};
	size_t len, i;

	len = (size_t)snprintf(b, sizeof(b), "{\"code\":\"0\",\"msg\":\"\","
		"\"data\":[{\"instType\":\"SWAP\",\"instId\":"
		"\"BTC-USDT-SWAP\",\"tickSz\":\"0.1\",\"lotSz\":\"0.01\","
		"\"minSz\":\"0.01\",\"state\":\"live\",\"baseCcy\":\"\","
		"\"quoteCcy\":\"\"}");
	for (i = 0; i < QD_COUNTOF(rows); i++)
		len += (size_t)snprintf(b + len, sizeof(b) - len, ",{\"alias\":"
			"\"\",\"baseCcy\":\"%s\",\"category\":\"1\","
			"\"instId\":\"%s\",\"instType\":\"SPOT\",\"lotSz\":"
			"\"%s\",\"minSz\":\"%s\",\"quoteCcy\":\"USDT\","
			"\"state\":\"%s\",\"tickSz\":\"%s\"}", rows[i][1],
			rows[i][0], rows[i][3], rows[i][4], rows[i][5],
			rows[i][2]);
	snprintf(b + len, sizeof(b) - len, "]}");
	return b;
}

/* The trading side's numeric parameters, at their defaults. */
static double
h_param_double(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "order_rate") == 0 ? 20 :
		strcmp(name, "recv_window_ms") == 0 ? 5000 : 0;
}

/* ---- trading: a host with credentials ------------------------------------- */

static char signed_msg[2048];
static struct qd_order_update upd[MAXREC];
static char upd_reason[MAXREC][160], upd_trade[MAXREC][32];
static int n_upd;

static int
h_secret_get(qd_ctx *ctx, const char *name, char *buf, size_t cap)
{
	(void)ctx;
	if (strcmp(name, "api_key") == 0)
		snprintf(buf, cap, "the-key");
	else if (strcmp(name, "passphrase") == 0)
		snprintf(buf, cap, "the-pass");
	else
		return QD_ERR_DENIED;
	return QD_OK;
}

static int
h_sign(qd_ctx *ctx, const struct qd_sign_req *r, char *out, size_t cap,
	size_t *len)
{
	(void)ctx;
	if (r->alg != QD_SIGN_HMAC_SHA256 || r->enc != QD_ENC_BASE64 ||
	    strcmp(r->secret, "api_secret") != 0)
		return QD_ERR_INVALID;
	snprintf(signed_msg, sizeof(signed_msg), "%.*s", (int)r->msg_len,
		(const char *)r->msg);
	*len = (size_t)snprintf(out, cap, "c2ln");
	return QD_OK;
}

static void
h_update(qd_ctx *ctx, const struct qd_order_update *u)
{
	(void)ctx;
	if (n_upd == MAXREC)
		return;
	upd[n_upd] = *u;
	snprintf(upd_reason[n_upd], sizeof(upd_reason[0]), "%s",
		u->reason ? u->reason : "");
	snprintf(upd_trade[n_upd], sizeof(upd_trade[0]), "%s",
		u->trade_id ? u->trade_id : "");
	n_upd++;
}

static void
h_balance(qd_ctx *ctx, const struct qd_balance *b)
{
	(void)ctx;
	(void)b;
}

static int
h_state_load(qd_ctx *ctx, void *buf, size_t cap, size_t *len)
{
	(void)ctx;
	(void)buf;
	(void)cap;
	(void)len;
	return QD_ERR_NOTFOUND;
}

static int
h_state_save(qd_ctx *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return QD_OK;
}

static void
answer_last(void *st, const char *text)
{
	ok_ops.on_http_response(st, h.next_id, 200, text, strlen(text));
}

/* Orders through the adapter: the request each call builds (path, body,
 * headers, the string handed to api->sign), and what the venue's answers
 * and pushes become. */
static void
trading(struct qd_host_api *api)
{
	struct qd_params params;
	struct qd_order_req r;
	struct okx *o;
	char want[2048];
	const char *ts;
	void *st;
	uint64_t priv;

	memset(&h, 0, sizeof(h));
	h.now_ms = 1700000000000LL;
	api->secret_get = h_secret_get;
	api->sign = h_sign;
	api->emit_order_update = h_update;
	api->emit_balance = h_balance;
	api->state_load = h_state_load;
	api->state_save = h_state_save;
	CHECK(ok_ops.base.create(api, NULL, &params, &st) == QD_OK &&
		ok_ops.subscribe(st, 1, 0) == QD_OK &&
		ok_ops.base.start(st) == QD_OK, "an adapter with credentials");
	o = st;
	CHECK(o->t.missing == NULL, "trading on");
	priv = o->t.priv.conn;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_LIMIT;
	r.qty = 0.5;
	r.price = 30000.1;
	CHECK(ok_ops.order_place(st, 100, &r) == QD_OK, "a limit placed");
	CHECK(strcmp(h.get[h.n_get - 1], "POST http://rest/api/v5/trade/order")
		== 0, "POST /api/v5/trade/order: %s", h.get[h.n_get - 1]);
	CHECK(strcmp(req.body, "{\"instId\":\"BTC-USDT\",\"tdMode\":"
		"\"cash\",\"clOrdId\":\"qd2s\",\"side\":\"buy\","
		"\"ordType\":\"limit\",\"sz\":\"0.5\",\"px\":\"30000.1\"}")
		== 0, "its body: %s", req.body);
	ts = req_header("OK-ACCESS-TIMESTAMP");
	CHECK(ts != NULL && strcmp(ts, "2023-11-14T22:13:20.000Z") == 0,
		"OK-ACCESS-TIMESTAMP: %s", ts ? ts : "none");
	snprintf(want, sizeof(want), "%sPOST/api/v5/trade/order%s",
		ts ? ts : "", req.body);
	CHECK(strcmp(signed_msg, want) == 0, "signed: timestamp + POST + "
		"path + body: %s", signed_msg);
	CHECK(req_header("OK-ACCESS-SIGN") != NULL &&
		strcmp(req_header("OK-ACCESS-SIGN"), "c2ln") == 0 &&
		req_header("OK-ACCESS-KEY") != NULL &&
		strcmp(req_header("OK-ACCESS-KEY"), "the-key") == 0 &&
		req_header("OK-ACCESS-PASSPHRASE") != NULL &&
		strcmp(req_header("OK-ACCESS-PASSPHRASE"), "the-pass") == 0,
		"the sign, key and passphrase headers");
	CHECK(req_header("expTime") != NULL &&
		strcmp(req_header("expTime"), "1700000005000") == 0 &&
		req_header("x-simulated-trading") == NULL,
		"expTime = now + recv_window_ms; not demo");
	answer_last(st, "{\"code\":\"0\",\"msg\":\"\",\"data\":[{"
		"\"clOrdId\":\"qd2s\",\"ordId\":\"7\",\"sCode\":\"0\","
		"\"sMsg\":\"\"}]}");
	CHECK(n_upd == 1 && upd[0].order_id == 100 &&
		upd[0].state == QD_ORDER_PENDING, "taken: PENDING");

	r.type = QD_ORDER_STOP_LIMIT;
	CHECK(ok_ops.order_place(st, 101, &r) == QD_ERR_UNSUPPORTED,
		"stops are the host's");
	r.type = QD_ORDER_MARKET;
	r.qty = 0.00012;
	CHECK(ok_ops.order_place(st, 102, &r) == QD_OK &&
		strstr(req.body, "\"ordType\":\"market\",\"sz\":\"0.00012\","
		"\"tgtCcy\":\"base_ccy\"") != NULL, "a market buy in base "
		"units: %s", req.body);
	answer_last(st, "{\"code\":\"1\",\"msg\":\"\",\"data\":[{"
		"\"clOrdId\":\"qd2u\",\"ordId\":\"\",\"sCode\":\"51008\","
		"\"sMsg\":\"Order failed. Insufficient USDT balance in "
		"account.\"}]}");
	CHECK(n_upd == 2 && upd[1].state == QD_ORDER_REJECTED &&
		upd[1].error == QD_ERR_DENIED && strcmp(upd_reason[1],
		"okx 51008: Order failed. Insufficient USDT balance in "
		"account.") == 0 && logged("okx 51008"),
		"refused: REJECTED, DENIED, the venue's code and text");

	/* A fill on the private stream, its fee in BTC. */
	ok_ops.on_ws_open(st, priv);
	CHECK(strstr(h.sent[h.n_sent - 1].text, "\"op\":\"login\"") &&
		strstr(h.sent[h.n_sent - 1].text, "\"sign\":\"c2ln\"") &&
		strcmp(signed_msg, "1700000000GET/users/self/verify") == 0,
		"the login, signed: %s", signed_msg);
	msg(st, priv, "{\"arg\":{\"channel\":\"orders\"},\"data\":[{"
		"\"instId\":\"BTC-USDT\",\"ordId\":\"7\",\"clOrdId\":"
		"\"qd2s\",\"side\":\"buy\",\"ordType\":\"limit\",\"px\":"
		"\"30000.1\",\"sz\":\"0.5\",\"state\":\"partially_filled\","
		"\"accFillSz\":\"0.2\",\"avgPx\":\"30000.1\",\"tradeId\":"
		"\"55\",\"fillPx\":\"30000.1\",\"fillSz\":\"0.2\","
		"\"fillFee\":\"-0.0002\",\"fillFeeCcy\":\"BTC\","
		"\"execType\":\"M\",\"fillTime\":\"1700000000100\"}]}");
	CHECK(n_upd == 3 && upd[2].order_id == 100 &&
		upd[2].state == QD_ORDER_PARTIAL && upd[2].last_qty == 0.2 &&
		upd[2].last_price == 30000.1 &&
		fabs(upd[2].fee - 0.0002 * 30000.1) < 1e-9 && upd[2].maker &&
		strcmp(upd_trade[2], "55") == 0, "a fill: PARTIAL, its size, "
		"price, trade id, maker, the BTC fee in USDT (%g)", upd[2].fee);
	/* Canceled with a fill the stream never brought: fetched first. */
	msg(st, priv, "{\"arg\":{\"channel\":\"orders\"},\"data\":[{"
		"\"instId\":\"BTC-USDT\",\"ordId\":\"7\",\"clOrdId\":"
		"\"qd2s\",\"side\":\"buy\",\"ordType\":\"limit\",\"px\":"
		"\"30000.1\",\"sz\":\"0.5\",\"state\":\"canceled\","
		"\"accFillSz\":\"0.3\",\"fillSz\":\"0\"}]}");
	CHECK(n_upd == 3 && strstr(h.get[h.n_get - 1], "/api/v5/trade/fills?"
		"instType=SPOT&instId=BTC-USDT&ordId=7") != NULL,
		"no CANCELED before the missing fill is fetched: %s",
		h.get[h.n_get - 1]);
	answer_last(st, "{\"code\":\"0\",\"msg\":\"\",\"data\":[{"
		"\"instId\":\"BTC-USDT\",\"tradeId\":\"56\",\"ordId\":\"7\","
		"\"clOrdId\":\"qd2s\",\"billId\":\"9\",\"side\":\"buy\","
		"\"fillPx\":\"30000\",\"fillSz\":\"0.1\",\"fee\":\"-3\","
		"\"feeCcy\":\"USDT\",\"execType\":\"T\",\"ts\":"
		"\"1700000000200\"},{\"instId\":\"BTC-USDT\",\"tradeId\":"
		"\"55\",\"ordId\":\"7\",\"clOrdId\":\"qd2s\",\"billId\":"
		"\"8\",\"side\":\"buy\",\"fillPx\":\"30000.1\",\"fillSz\":"
		"\"0.2\",\"fee\":\"-0.0002\",\"feeCcy\":\"BTC\","
		"\"execType\":\"M\",\"ts\":\"1700000000100\"}]}");
	CHECK(n_upd == 5 && strcmp(upd_trade[3], "56") == 0 &&
		upd[3].last_qty == 0.1 && upd[3].fee == 3 &&
		upd[4].state == QD_ORDER_CANCELED, "the missing fill (once), "
		"then CANCELED");

	/* 429: REST pauses; what cannot go is QD_ERR_LIMIT. */
	r.type = QD_ORDER_LIMIT;
	r.qty = 0.5;
	CHECK(ok_ops.order_place(st, 103, &r) == QD_OK, "placed");
	ok_ops.on_http_response(st, h.next_id, 429, "", 0);
	CHECK(n_upd == 6 && upd[5].state == QD_ORDER_REJECTED &&
		upd[5].error == QD_ERR_LIMIT && logged("limits our request rate"),
		"a 429: REJECTED with LIMIT, REST paused");
	CHECK(ok_ops.order_place(st, 104, &r) == QD_ERR_LIMIT,
		"no order call during the pause");
	ok_ops.base.stop(st);
	ok_ops.base.destroy(st);
}

int
main(void)
{
	struct qd_host_api api;
	struct qd_params params;
	struct venue *v;
	void *st;
	char subs[1024], *body;
	const char *text;
	uint64_t pub, biz, fresh, ping_timer, instr_timer;
	int64_t minute = 1700000000000LL / 60000 * 60000;
	int i, n, pings;

	memset(&api, 0, sizeof(api));
	api.size = sizeof(api);
	api.abi_major = QD_ABI_MAJOR;
	api.abi_minor = QD_ABI_MINOR;
	api.log = h_log;
	api.now_ns = h_now;
	api.param_string = h_param_string;
	api.param_bool = h_param_bool;
	api.param_double = h_param_double;
	api.symbol_name = h_symbol_name;
	api.timer_add = h_timer_add;
	api.ws_open = h_ws_open;
	api.ws_send = h_ws_send;
	api.ws_close = h_ws_close;
	api.http_request = h_http;
	api.emit_trade = h_trade;
	api.emit_bar = h_bar;
	api.emit_book_top = h_top;
	api.emit_instrument = h_instrument;
	api.timer_cancel = h_timer_cancel;
	h.now_ms = minute + 5000;

	documented_request_shape();
	CHECK(ok_ops.base.create(&api, NULL, &params, &st) == QD_OK,
		"created");
	v = st;
	CHECK(ok_ops.subscribe(st, 1, 60) == QD_OK &&
		ok_ops.subscribe(st, 2, 300) == QD_OK, "subscribed");
	CHECK(ok_ops.base.start(st) == QD_OK, "started");
	ping_timer = v->ping_timer;
	instr_timer = v->instr_timer;
	CHECK(instr_timer != 0 && timer_after(instr_timer) == 1000,
		"the instrument list a second after the start (%lld ms)",
		(long long)timer_after(instr_timer));
	CHECK(h.n_open == 2 && strcmp(h.open_url[0], "ws://pub/ws/v5/public") ==
		0 && strcmp(h.open_url[1], "ws://biz/ws/v5/business") == 0,
		"both endpoints opened: %s %s", h.open_url[0], h.open_url[1]);
	pub = v->link[0].conn;
	biz = v->link[1].conn;

	/* Each link is asked only what it carries. */
	ok_ops.on_ws_open(st, pub);
	ok_ops.on_ws_open(st, biz);
	CHECK(subscribed(pub, 0, subs, sizeof(subs)) == 0 && strcmp(subs,
		"trades:BTC-USDT bbo-tbt:BTC-USDT trades:ETH-USDT "
		"bbo-tbt:ETH-USDT") == 0, "public link: %s", subs);
	CHECK(subscribed(biz, 0, subs, sizeof(subs)) == 0 && strcmp(subs,
		"candle1m:BTC-USDT") == 0, "business link: %s", subs);

	/* The heartbeat. */
	n = h.n_sent;
	ok_ops.on_timer(st, ping_timer);
	for (pings = 0, i = n; i < h.n_sent; i++)
		pings += strcmp(h.sent[i].text, "ping") == 0;
	CHECK(pings == 2 && h.n_sent == n + 2, "ping on both links");
	msg(st, pub, "pong");
	msg(st, biz, "pong");
	CHECK(v->malformed == 0, "pong is no malformed message");

	/* Trades: exact, once, and only the subscribed. */
	msg(st, pub, trade_msg("BTC-USDT", "130639474", "42219.9", "sell"));
	CHECK(h.n_trades == 1 && h.trades[0].symbol == 1 &&
		h.trades[0].side == QD_SIDE_SELL &&
		h.trades[0].ts == 1700000000123LL * 1000000 &&
		h.trades[0].price == 42219.9 && h.trades[0].qty == 0.125 &&
		h.trades[0].trade_id == 130639474, "a trade, exactly");
	msg(st, pub, trade_msg("BTC-USDT", "130639474", "42219.9", "sell"));
	msg(st, pub, trade_msg("BTC-USDT", "130639470", "42219.9", "sell"));
	msg(st, pub, trade_msg("SOL-USDT", "130639480", "100", "buy"));
	CHECK(h.n_trades == 1, "a trade seen, an older one and another "
		"instrument's give nothing (%d)", h.n_trades);
	msg(st, pub, trade_msg("ETH-USDT", "7", "2000.5", "buy"));
	CHECK(h.n_trades == 2 && h.trades[1].symbol == 2 &&
		h.trades[1].side == QD_SIDE_BUY, "ids are per instrument");

	/* Candles: the closed 1m ones of symbols that want 1m bars. */
	msg(st, biz, candle_msg("1m", minute - 60000, "0"));
	msg(st, biz, candle_msg("1H", minute - 3600000, "1"));
	CHECK(h.n_bars == 0, "open and other candles give no bar");
	msg(st, biz, candle_msg("1m", minute - 60000, "1"));
	CHECK(h.n_bars == 1 && h.bars[0].symbol == 1 &&
		h.bars[0].timeframe_s == 60 &&
		h.bars[0].bar.ts == (minute - 60000) * 1000000 &&
		h.bars[0].bar.open == 30000.5 && h.bars[0].bar.high == 30010 &&
		h.bars[0].bar.low == 29990.25 && h.bars[0].bar.close == 30005 &&
		h.bars[0].bar.volume == 12.5, "a closed 1m candle, exactly");

	/* The top of the book. */
	msg(st, pub, "{\"arg\":{\"channel\":\"bbo-tbt\",\"instId\":\"BTC-USDT\"},"
		"\"data\":[{\"asks\":[[\"30001\",\"1.5\",\"0\",\"3\"]],\"bids\":"
		"[[\"30000\",\"0.5\",\"0\",\"1\"]],\"ts\":\"1700000000001\"}]}");
	CHECK(h.n_tops == 1 && h.tops[0].bid == 30000 &&
		h.tops[0].bid_qty == 0.5 && h.tops[0].ask == 30001 &&
		h.tops[0].ask_qty == 1.5, "best bid and ask");

	/* Refusals and garbage are said. */
	msg(st, biz, "{\"event\":\"error\",\"code\":\"60018\",\"msg\":\"Wrong "
		"URL or channel\",\"connId\":\"x\"}");
	CHECK(logged("request refused: 60018 Wrong URL"), "a refusal logged");
	msg(st, pub, "{not json");
	CHECK(v->malformed == 1 && logged("skipped a malformed message"),
		"garbage counted and logged");

	/* The upgrade notice: a fresh connection, the old one retired at
	 * its first answer, no trade twice. */
	n = h.n_sent;
	msg(st, pub, "{\"event\":\"notice\",\"code\":\"64008\",\"msg\":\"The "
		"connection will soon be closed for a service upgrade.\","
		"\"connId\":\"x\"}");
	CHECK(logged("notice 64008"), "the notice logged");
	CHECK(h.n_open == 3 && strcmp(h.open_url[2], h.open_url[0]) == 0 &&
		v->link[0].old_conn == pub, "a fresh public connection");
	fresh = v->link[0].conn;
	ok_ops.on_ws_open(st, fresh);
	CHECK(subscribed(fresh, n, subs, sizeof(subs)) == 0 && strstr(subs,
		"trades:BTC-USDT") != NULL, "subscribed again: %s", subs);
	msg(st, pub, trade_msg("BTC-USDT", "130639475", "42220", "buy"));
	msg(st, fresh, trade_msg("BTC-USDT", "130639475", "42220", "buy"));
	CHECK(h.n_closed == 1 && h.closed[0] == pub, "the old one closed");
	msg(st, fresh, trade_msg("BTC-USDT", "130639476", "42221", "buy"));
	CHECK(h.n_trades == 4, "trades across the switch once each (%d)",
		h.n_trades);
	ok_ops.on_ws_close(st, pub, 1000, "");
	CHECK(v->link[0].conn == fresh && v->link[0].old_conn == 0 &&
		!logged("connection lost"), "the old one's close is no loss");

	/* REST: the recent past from candles, older from history-candles,
	 * bounds exclusive. */
	CHECK(ok_ops.backfill(st, 1, 60, (minute - 600000) * 1000000,
		minute * 1000000) == QD_OK && h.n_get == 1, "a backfill");
	snprintf(subs, sizeof(subs), "GET http://rest/api/v5/market/candles?"
		"instId=BTC-USDT&bar=1m&after=%lld&before=%lld&limit=300",
		(long long)minute, (long long)(minute - 600001));
	CHECK(strcmp(h.get[0], subs) == 0, "recent: %s", h.get[0]);
	body = page(minute - 60000, 2);
	ok_ops.on_http_response(st, h.next_id, 200, body, strlen(body));
	free(body);
	CHECK(h.n_bars == 2 && h.bars[1].bar.ts == (minute - 120000) *
		1000000, "a short page: its new rows (%d bars)", h.n_bars);
	CHECK(h.n_get == 1, "and no more requests");

	CHECK(ok_ops.backfill(st, 1, 60, (minute - 2 * 86400000LL) * 1000000,
		(minute - 86400000LL) * 1000000) == QD_OK && h.n_get == 2 &&
		strstr(h.get[1], "/api/v5/market/history-candles?") != NULL,
		"two days back: %s", h.get[1]);
	body = page(minute - 86400000LL - 60000, 300);
	ok_ops.on_http_response(st, h.next_id, 200, body, strlen(body));
	free(body);
	snprintf(subs, sizeof(subs), "after=%lld&before=%lld&limit=300",
		(long long)(minute - 86400000LL - 300 * 60000LL),
		(long long)(minute - 2 * 86400000LL - 1));
	CHECK(h.n_get == 3 && strstr(h.get[2], "history-candles") != NULL &&
		strstr(h.get[2], subs) != NULL, "a full page of 300 goes on "
		"below its oldest row: %s", h.get[2]);

	ok_ops.on_http_response(st, h.next_id, 429, "{\"code\":\"50011\"}",
		17);
	CHECK(logged("REST answered 429"), "429 pauses REST");
	ok_ops.backfill(st, 1, 60, (minute - 600000) * 1000000,
		minute * 1000000);
	CHECK(h.n_get == 3, "no request while paused");
	/* The pause's end: the page refused with 429 is asked again, and
	 * the range asked for meanwhile is fetched. */
	h.now_ms = v->rest_blocked_until;
	ok_ops.on_timer(st, v->rest_timer);
	CHECK(h.n_get >= 5 && strstr(h.get[3], "history-candles") != NULL &&
		strstr(h.get[4], "/api/v5/market/candles?") != NULL,
		"after the pause: the refused page again, then the range held "
		"(%d requests)", h.n_get);

	/* Instruments: the start's fetch (REST free again). */
	n = h.n_get;
	ok_ops.on_timer(st, instr_timer);
	CHECK(h.n_get == n + 1 && strcmp(h.get[n], "GET http://rest/api/v5/"
		"public/instruments?instType=SPOT") == 0, "the instrument "
		"list asked: %s", h.n_get > n ? h.get[n] : "nothing");
	text = instruments_answer();
	ok_ops.on_http_response(st, h.next_id, 200, text, strlen(text));
	CHECK(h.n_instr == 2, "the subscribed two handed over (%d)",
		h.n_instr);
	CHECK(h.instr[0].symbol == 1 && strcmp(h.instr[0].native,
		"BTC-USDT") == 0 && strcmp(h.instr[0].tick, "0.1") == 0 &&
		strcmp(h.instr[0].lot, "0.00000001") == 0 &&
		strcmp(h.instr[0].min_qty, "0.00001") == 0 &&
		!h.instr[0].min_notional && strcmp(h.instr[0].status, "live") ==
		0 && h.instr[0].trading, "BTC-USDT exactly: lotSz the lot, "
		"minSz the minimum, no minimum notional");
	CHECK(h.instr[1].symbol == 2 && strcmp(h.instr[1].tick, "0.01") ==
		0 && strcmp(h.instr[1].status, "suspend") == 0 &&
		!h.instr[1].trading, "ETH-USDT suspended: not trading");
	CHECK(logged("instrument list: 4 instruments"), "the count logged");
	CHECK(v->instr_timer != 0 && timer_after(v->instr_timer) == 3600000,
		"again in an hour");
	/* A new symbol: the list again 2 s later, its instrument too. */
	CHECK(ok_ops.subscribe(st, 3, 0) == QD_OK &&
		timer_after(v->instr_timer) == 2000, "a new symbol: the list "
		"in 2 s (%lld ms)", (long long)timer_after(v->instr_timer));
	n = h.n_get;
	ok_ops.on_timer(st, v->instr_timer);
	ok_ops.on_http_response(st, h.next_id, 200, text, strlen(text));
	CHECK(h.n_get == n + 1 && h.n_instr == 5 && h.instr[4].symbol == 3 &&
		strcmp(h.instr[4].min_qty, "0.01") == 0, "SOL-USDT handed "
		"over too (%d)", h.n_instr);
	/* A broken list: said, nothing handed over, again in a minute. */
	ok_ops.on_timer(st, v->instr_timer);
	n = (int)v->malformed;
	text = "{\"code\":\"0\",\"data\":[{\"instType\":\"SPOT\","
		"\"instId\":\"BTC-USDT\"}]}";
	ok_ops.on_http_response(st, h.next_id, 200, text, strlen(text));
	CHECK(h.n_instr == 5 && (int)v->malformed == n + 1 &&
		logged("instrument list refused") &&
		timer_after(v->instr_timer) == 60000, "a broken list refused, "
		"again in a minute");
	/* 429: REST pauses, the list waits for the pause's end. */
	ok_ops.on_timer(st, v->instr_timer);
	n = h.n_get;
	text = "{\"code\":\"50011\",\"msg\":\"Too Many Requests\"}";
	ok_ops.on_http_response(st, h.next_id, 429, text, strlen(text));
	CHECK(v->rest_blocked_until == h.now_ms + 10000 &&
		timer_after(v->instr_timer) == 11000, "a 429 on the list "
		"pauses REST 10 s, the list after it (%lld ms)",
		(long long)timer_after(v->instr_timer));
	ok_ops.backfill(st, 1, 60, (minute - 600000) * 1000000,
		minute * 1000000);
	CHECK(h.n_get == n && h.n_instr == 5, "no request while paused");

	ok_ops.base.stop(st);
	ok_ops.base.destroy(st);
	trading(&api);
	(void)dec;              /* venue_fixtures.h's, for the parser tests */
	(void)native_of;
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
