/*
 * test_coinbase_orders.c -- the coinbase adapter's trading side through
 * its ops against a recording host: the requests it builds (method, URL,
 * body, a Bearer JWT whose claims name the request, signed through
 * api->sign with the private_key secret, never read), the user channel's
 * subscribe, order updates from the venue's answers and messages (fills
 * with the venue's trade ids before a cancel, refusals with the venue's
 * code and a qd_status), unsupported types left to the host, and no
 * credentials: orders refused, the missing secret named.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-coinbase/coinbase.c"

static int fails, checks;

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

#define MAXREC 256

static int have_key = 1;
static char logs[MAXREC][300];
static int n_logs;
static uint64_t next_id = 100, user_conn;
static char sent[MAXREC][3000];
static int n_sent;
static struct {
	uint64_t id;
	char method[8], url[512], auth[3000], body[1024];
} reqs[MAXREC];
static int n_reqs;
static struct {
	uint64_t order;
	enum qd_order_state state;
	double last_qty, last_price, fee;
	char trade[64], reason[200];
	int maker, error;
} ups[MAXREC];
static int n_ups;
static char signed_secret[32];
static int n_signs;

static void
h_log(qd_ctx *c, enum qd_log_level l, const char *fmt, ...)
{
	va_list ap;

	(void)c;
	(void)l;
	va_start(ap, fmt);
	if (n_logs < MAXREC)
		vsnprintf(logs[n_logs++], sizeof(logs[0]), fmt, ap);
	va_end(ap);
}

static int64_t h_now(qd_ctx *c) { (void)c; return 1767225600000000000LL; }
static int64_t h_int(const qd_params *p, const char *n) { (void)p; (void)n;
	return 25; }
static int h_bool(const qd_params *p, const char *n) { (void)p; (void)n;
	return 0; }

static const char *
h_string(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "trade_url") == 0 ? "https://rest.test" :
	    strcmp(name, "user_ws_url") == 0 ? "wss://user.test" :
	    strcmp(name, "ws_url") == 0 ? "wss://ws.test" :
	    strcmp(name, "key_type") == 0 ? "ec" : "https://pub.test";
}

static const char *
h_symbol_name(qd_ctx *c, qd_symbol s)
{
	(void)c;
	return s == 1 ? "BTC/USD" : NULL;
}

static int h_timer_add(qd_ctx *c, int64_t a, int64_t i, uint64_t *id) {
	(void)c; (void)a; (void)i; *id = ++next_id; return QD_OK; }
static int h_timer_cancel(qd_ctx *c, uint64_t id) { (void)c; (void)id;
	return QD_OK; }

static int
h_ws_open(qd_ctx *c, const char *url, const struct qd_kv *h, uint32_t n,
	uint64_t *conn)
{
	(void)c;
	(void)h;
	(void)n;
	*conn = ++next_id;
	if (strcmp(url, "wss://user.test") == 0)
		user_conn = *conn;
	return QD_OK;
}

static int
h_ws_send(qd_ctx *c, uint64_t conn, const char *d, size_t len)
{
	(void)c;
	if (conn == user_conn && n_sent < MAXREC)
		snprintf(sent[n_sent++], sizeof(sent[0]), "%.*s", (int)len, d);
	return QD_OK;
}

static int h_ws_close(qd_ctx *c, uint64_t conn) { (void)c; (void)conn;
	return QD_OK; }

static int
h_http(qd_ctx *c, const struct qd_http_request *r, uint64_t *id)
{
	uint32_t i;

	(void)c;
	*id = ++next_id;
	memset(&reqs[n_reqs], 0, sizeof(reqs[0]));
	reqs[n_reqs].id = *id;
	snprintf(reqs[n_reqs].method, sizeof(reqs[0].method), "%s", r->method);
	snprintf(reqs[n_reqs].url, sizeof(reqs[0].url), "%s", r->url);
	for (i = 0; i < r->n_headers; i++)
		if (strcmp(r->headers[i].key, "Authorization") == 0)
			snprintf(reqs[n_reqs].auth, sizeof(reqs[0].auth), "%s",
				r->headers[i].value);
	snprintf(reqs[n_reqs].body, sizeof(reqs[0].body), "%.*s",
		(int)r->body_len, r->body ? r->body : "");
	n_reqs++;
	return QD_OK;
}

static int h_header(qd_ctx *c, const char *n, char *b, size_t cap) {
	(void)c; (void)n; (void)b; (void)cap; return QD_ERR_NOTFOUND; }

static int
h_secret(qd_ctx *c, const char *name, char *buf, size_t cap)
{
	(void)c;
	if (!have_key || strcmp(name, "api_key") != 0)
		return QD_ERR_NOTFOUND;
	snprintf(buf, cap, "organizations/o1/apiKeys/k1");
	return QD_OK;
}

/* A stand-in signature: the adapter only has to put it after the input. */
static int
h_sign(qd_ctx *c, const struct qd_sign_req *r, char *out, size_t cap,
	size_t *n)
{
	(void)c;
	if (!have_key)
		return QD_ERR_NOTFOUND;
	n_signs += r->alg == QD_SIGN_ES256 && r->enc == QD_ENC_BASE64URL;
	snprintf(signed_secret, sizeof(signed_secret), "%s", r->secret);
	*n = (size_t)snprintf(out, cap, "SIG");
	return QD_OK;
}

static int h_load(qd_ctx *c, void *b, size_t cap, size_t *n) { (void)c;
	(void)b; (void)cap; (void)n; return QD_ERR_NOTFOUND; }
static int h_save(qd_ctx *c, const void *b, size_t n) { (void)c; (void)b;
	(void)n; return QD_OK; }
static void h_instrument(qd_ctx *c, const struct qd_instrument *in) {
	(void)c; (void)in; }
static struct { char asset[16]; double total, free; int last; } bals[8];
static int n_bals;

static void
h_balance(qd_ctx *c, const struct qd_balance *b)
{
	(void)c;
	if (n_bals >= 8)
		return;
	snprintf(bals[n_bals].asset, sizeof(bals[0].asset), "%s", b->asset);
	bals[n_bals].total = b->total;
	bals[n_bals].free = b->free;
	bals[n_bals++].last = b->last;
}

static void
h_update(qd_ctx *c, const struct qd_order_update *u)
{
	(void)c;
	if (n_ups >= MAXREC)
		return;
	memset(&ups[n_ups], 0, sizeof(ups[0]));
	ups[n_ups].order = u->order_id;
	ups[n_ups].state = u->state;
	ups[n_ups].last_qty = u->last_qty;
	ups[n_ups].last_price = u->last_price;
	ups[n_ups].fee = u->fee;
	ups[n_ups].maker = u->maker;
	ups[n_ups].error = u->error;
	snprintf(ups[n_ups].trade, sizeof(ups[0].trade), "%s",
		u->trade_id ? u->trade_id : "");
	snprintf(ups[n_ups].reason, sizeof(ups[0].reason), "%s",
		u->reason ? u->reason : "");
	n_ups++;
}

static struct qd_host_api api = {
	.size = sizeof(struct qd_host_api),
	.abi_major = QD_ABI_MAJOR,
	.abi_minor = QD_ABI_MINOR,
	.log = h_log,
	.now_ns = h_now,
	.param_int = h_int,
	.param_bool = h_bool,
	.param_string = h_string,
	.symbol_name = h_symbol_name,
	.timer_add = h_timer_add,
	.timer_cancel = h_timer_cancel,
	.state_save = h_save,
	.state_load = h_load,
	.ws_open = h_ws_open,
	.ws_send = h_ws_send,
	.ws_close = h_ws_close,
	.http_request = h_http,
	.secret_get = h_secret,
	.emit_order_update = h_update,
	.http_header = h_header,
	.emit_instrument = h_instrument,
	.sign = h_sign,
	.emit_balance = h_balance,
};

/* The claims of a "Bearer <input>.SIG" value (or a bare JWT), decoded. */
static void
claims(const char *jwt, char *out)
{
	const char *p = strchr(jwt, '.'), *e = p ? strchr(p + 1, '.') : NULL;
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
		"stuvwxyz0123456789-_";
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	out[0] = '\0';
	if (e == NULL || strcmp(e, ".SIG") != 0)
		return;
	for (p++; p < e; p++) {
		acc = acc << 6 | (unsigned)(strchr(a, *p) - a);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
}

static void
answer(void *st, int k, int status, const char *body)
{
	cb_ops.on_http_response(st, reqs[k].id, status, body, strlen(body));
}

static int
last_req(const char *url_part)
{
	int k;

	for (k = n_reqs - 1; k >= 0; k--)
		if (strstr(reqs[k].url, url_part) != NULL)
			return k;
	return -1;
}

static void
trading(void *st)
{
	struct qd_order_req r;
	char c[1024], msg[1024];
	int k, i;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_LIMIT;
	r.qty = 0.01;
	r.price = 30000.5;
	CHECK(cb_ops.order_place(st, 71, &r) == QD_OK, "a limit order is sent");
	k = n_reqs - 1;
	CHECK(strcmp(reqs[k].method, "POST") == 0 && strcmp(reqs[k].url,
		"https://rest.test/api/v3/brokerage/orders") == 0,
		"POST /orders: %s", reqs[k].url);
	CHECK(strcmp(reqs[k].body, "{\"client_order_id\":\"qd1z\",\"product_id\":"
		"\"BTC-USD\",\"side\":\"BUY\",\"order_configuration\":{"
		"\"limit_limit_gtc\":{\"base_size\":\"0.01\",\"limit_price\":"
		"\"30000.5\",\"post_only\":false}}}") == 0, "its body: %s",
		reqs[k].body);
	CHECK(strncmp(reqs[k].auth, "Bearer ", 7) == 0, "a Bearer token");
	claims(reqs[k].auth + 7, c);
	CHECK(strcmp(c, "{\"sub\":\"organizations/o1/apiKeys/k1\",\"iss\":"
		"\"cdp\",\"nbf\":1767225600,\"exp\":1767225720,\"uri\":\"POST "
		"rest.test/api/v3/brokerage/orders\"}") == 0, "its claims: %s",
		c);
	CHECK(strcmp(signed_secret, "private_key") == 0, "signed with "
		"private_key");
	answer(st, k, 200, "{\"success\":true,\"success_response\":{"
		"\"order_id\":\"v-71\",\"product_id\":\"BTC-USD\",\"side\":"
		"\"BUY\",\"client_order_id\":\"qd1z\"}}");
	CHECK(n_ups == 1 && ups[0].order == 71 &&
		ups[0].state == QD_ORDER_PENDING, "PENDING once taken");

	/* Canceled with 0.005 filled: the fills first, then the cancel. */
	n_ups = 0;
	snprintf(msg, sizeof(msg), "{\"channel\":\"user\",\"events\":[{"
		"\"type\":\"update\",\"orders\":[{\"order_id\":\"v-71\","
		"\"client_order_id\":\"qd1z\",\"cumulative_quantity\":\"0.005\","
		"\"avg_price\":\"30000\",\"status\":\"CANCELLED\",\"order_side\":"
		"\"BUY\",\"product_id\":\"BTC-USD\",\"cancel_reason\":"
		"\"User requested cancel\"}]}]}");
	cb_ops.on_ws_message(st, user_conn, msg, strlen(msg));
	CHECK(n_ups == 0, "no CANCELED before the fills");
	k = last_req("/orders/historical/fills");
	CHECK(k >= 0 && strstr(reqs[k].url, "order_ids=v-71") != NULL &&
		strcmp(reqs[k].method, "GET") == 0, "the order's fills asked");
	claims(reqs[k].auth + 7, c);
	CHECK(strstr(c, "\"uri\":\"GET rest.test/api/v3/brokerage/orders/"
		"historical/fills\"") != NULL, "a GET's uri has no query: %s",
		c);
	answer(st, k, 200, "{\"fills\":[{\"trade_id\":\"t1\",\"order_id\":"
		"\"v-71\",\"price\":\"30000\",\"size\":\"0.002\",\"commission\":"
		"\"0.24\",\"liquidity_indicator\":\"MAKER\",\"side\":\"BUY\"},"
		"{\"trade_id\":\"t2\",\"order_id\":\"v-71\",\"price\":\"30000\","
		"\"size\":\"0.003\",\"commission\":\"0.54\","
		"\"liquidity_indicator\":\"TAKER\",\"side\":\"BUY\"}],"
		"\"cursor\":\"\"}");
	CHECK(n_ups == 3 && strcmp(ups[0].trade, "t1") == 0 && ups[0].maker &&
		ups[0].last_qty == 0.002 && ups[0].fee == 0.24 &&
		strcmp(ups[1].trade, "t2") == 0 && !ups[1].maker &&
		ups[2].state == QD_ORDER_CANCELED && strstr(ups[2].reason,
		"User requested cancel") != NULL, "two fills by trade id, then "
		"CANCELED: %d updates", n_ups);

	/* More fills while the fetch of the first ones is out: fetched
	 * again once its answer is in, so the last fill is not lost. */
	r.type = QD_ORDER_LIMIT;
	CHECK(cb_ops.order_place(st, 79, &r) == QD_OK, "another limit");
	answer(st, n_reqs - 1, 200, "{\"success\":true,\"success_response\":{"
		"\"order_id\":\"v-79\",\"client_order_id\":\"qd27\"}}");
	n_ups = 0;
	snprintf(msg, sizeof(msg), "{\"channel\":\"user\",\"events\":[{"
		"\"type\":\"update\",\"orders\":[{\"order_id\":\"v-79\","
		"\"client_order_id\":\"qd27\",\"cumulative_quantity\":\"0.004\","
		"\"status\":\"OPEN\",\"product_id\":\"BTC-USD\"}]}]}");
	cb_ops.on_ws_message(st, user_conn, msg, strlen(msg));
	k = last_req("order_ids=v-79");
	CHECK(k >= 0, "the first fills asked");
	i = n_reqs;
	snprintf(msg, sizeof(msg), "{\"channel\":\"user\",\"events\":[{"
		"\"type\":\"update\",\"orders\":[{\"order_id\":\"v-79\","
		"\"client_order_id\":\"qd27\",\"cumulative_quantity\":\"0.01\","
		"\"status\":\"FILLED\",\"product_id\":\"BTC-USD\"}]}]}");
	cb_ops.on_ws_message(st, user_conn, msg, strlen(msg));
	CHECK(n_reqs == i, "no second fetch while the first is out");
	answer(st, k, 200, "{\"fills\":[{\"trade_id\":\"t3\",\"order_id\":"
		"\"v-79\",\"price\":\"30000\",\"size\":\"0.004\",\"commission\":"
		"\"0.1\",\"liquidity_indicator\":\"MAKER\",\"side\":\"BUY\"}],"
		"\"cursor\":\"\"}");
	k = last_req("order_ids=v-79");
	CHECK(k >= i, "fetched again once the first answer is in");
	answer(st, k, 200, "{\"fills\":[{\"trade_id\":\"t3\",\"order_id\":"
		"\"v-79\",\"price\":\"30000\",\"size\":\"0.004\",\"commission\":"
		"\"0.1\",\"liquidity_indicator\":\"MAKER\",\"side\":\"BUY\"},"
		"{\"trade_id\":\"t4\",\"order_id\":\"v-79\",\"price\":\"30000\","
		"\"size\":\"0.006\",\"commission\":\"0.2\","
		"\"liquidity_indicator\":\"MAKER\",\"side\":\"BUY\"}],"
		"\"cursor\":\"\"}");
	CHECK(n_ups >= 3 && strcmp(ups[n_ups - 1].trade, "t4") == 0 &&
		ups[n_ups - 1].last_qty == 0.006, "the last fill reported: %d "
		"updates", n_ups);

	/* The venue's refusal: its code, its message, a qd_status. */
	n_ups = 0;
	r.type = QD_ORDER_MARKET;
	CHECK(cb_ops.order_place(st, 72, &r) == QD_OK, "a market order");
	k = n_reqs - 1;
	CHECK(strstr(reqs[k].body, "{\"market_market_ioc\":{\"base_size\":"
		"\"0.01\"}}") != NULL, "market: %s", reqs[k].body);
	answer(st, k, 200, "{\"success\":false,\"failure_reason\":"
		"\"UNKNOWN_FAILURE_REASON\",\"error_response\":{\"error\":"
		"\"INSUFFICIENT_FUND\",\"message\":\"Insufficient balance in "
		"source account\"}}");
	CHECK(n_ups == 1 && ups[0].state == QD_ORDER_REJECTED &&
		ups[0].error == QD_ERR_DENIED && strcmp(ups[0].reason,
		"coinbase INSUFFICIENT_FUND: Insufficient balance in source "
		"account") == 0, "REJECTED, denied: %s", ups[0].reason);
	for (i = 0, k = 0; i < n_logs; i++)
		k += strstr(logs[i], "INSUFFICIENT_FUND") != NULL;
	CHECK(k == 1, "the venue's code logged");

	r.type = QD_ORDER_LIMIT;
	r.tif = QD_TIF_IOC;
	cb_ops.order_place(st, 73, &r);
	CHECK(strstr(reqs[n_reqs - 1].body, "\"sor_limit_ioc\"") != NULL,
		"IOC: %s", reqs[n_reqs - 1].body);
	r.tif = QD_TIF_FOK;
	cb_ops.order_place(st, 74, &r);
	CHECK(strstr(reqs[n_reqs - 1].body, "\"limit_limit_fok\"") != NULL,
		"FOK");
	r.tif = QD_TIF_POST_ONLY;
	cb_ops.order_place(st, 75, &r);
	CHECK(strstr(reqs[n_reqs - 1].body, "\"post_only\":true") != NULL,
		"post-only");
	r.type = QD_ORDER_STOP_LIMIT;
	r.tif = QD_TIF_GTC;
	r.side = QD_SIDE_SELL;
	r.stop_price = 29000;
	cb_ops.order_place(st, 76, &r);
	CHECK(strstr(reqs[n_reqs - 1].body, "{\"stop_limit_stop_limit_gtc\":"
		"{\"base_size\":\"0.01\",\"limit_price\":\"30000.5\","
		"\"stop_price\":\"29000\",\"stop_direction\":"
		"\"STOP_DIRECTION_STOP_DOWN\"}}") != NULL, "stop-limit: %s",
		reqs[n_reqs - 1].body);
	k = n_reqs;
	r.type = QD_ORDER_STOP;
	CHECK(cb_ops.order_place(st, 77, &r) == QD_ERR_UNSUPPORTED &&
		n_reqs == k, "a stop is the host's to hold");
	r.type = QD_ORDER_TRAILING_STOP;
	CHECK(cb_ops.order_place(st, 78, &r) == QD_ERR_UNSUPPORTED,
		"a trailing stop too");

	/* A cancel names the venue's id. */
	cb_ops.order_cancel(st, 71);
	k = n_reqs - 1;
	CHECK(strstr(reqs[k].url, "/orders/batch_cancel") != NULL &&
		strcmp(reqs[k].body, "{\"order_ids\":[\"v-71\"]}") == 0,
		"cancel: %s", reqs[k].body);
}

/* The reconcile: balances (the last flagged), the order lists; cancel
 * all: the open orders listed, then canceled in one batch. */
static void
reconcile(void *st)
{
	int k, n = n_reqs;

	CHECK(cb_ops.account_sync(st) == QD_OK, "reconcile");
	k = last_req("/api/v3/brokerage/accounts");
	CHECK(k >= n && last_req("order_status=OPEN") >= n &&
		last_req("batch?start_date=2025-12-31T00:00:00Z") >= n,
		"accounts, open orders, orders of the last 24 h asked");
	answer(st, k, 200, "{\"accounts\":[{\"currency\":\"BTC\","
		"\"available_balance\":{\"value\":\"1.5\"},\"hold\":{"
		"\"value\":\"0.5\"}},{\"currency\":\"USD\","
		"\"available_balance\":{\"value\":\"100\"},\"hold\":{"
		"\"value\":\"0\"}}],\"has_next\":false,\"cursor\":\"\"}");
	CHECK(n_bals == 2 && strcmp(bals[0].asset, "BTC") == 0 &&
		bals[0].total == 2 && bals[0].free == 1.5 && !bals[0].last &&
		strcmp(bals[1].asset, "USD") == 0 && bals[1].last,
		"balances, the last flagged: %d", n_bals);

	n = n_reqs;
	CHECK(cb_ops.order_cancel_all(st, 1) == QD_OK, "cancel all");
	k = last_req("order_status=OPEN&product_ids=BTC-USD");
	CHECK(k >= n, "the symbol's open orders listed");
	answer(st, k, 200, "{\"orders\":[{\"order_id\":\"x1\","
		"\"client_order_id\":\"manual\",\"status\":\"OPEN\"},"
		"{\"order_id\":\"x2\",\"client_order_id\":\"qd2\","
		"\"status\":\"OPEN\"}],\"has_next\":false}");
	k = n_reqs - 1;
	CHECK(strstr(reqs[k].url, "/orders/batch_cancel") != NULL &&
		strcmp(reqs[k].body, "{\"order_ids\":[\"x1\",\"x2\"]}") == 0,
		"ours or not, in one batch: %s", reqs[k].body);
}

int
main(void)
{
	void *st = NULL;
	char c[1024];
	int i, n, user = 0;

	CHECK(cb_ops.base.create(&api, NULL, NULL, &st) == QD_OK, "created");
	cb_ops.subscribe(st, 1, 60);
	CHECK(cb_ops.base.start(st) == QD_OK && user_conn != 0, "opens the "
		"user channel");
	CHECK(n_signs == 1 && strcmp(signed_secret, "private_key") == 0,
		"the private key is tried at start (through sign)");
	i = last_req("/api/v3/brokerage/time");
	CHECK(i >= 0 && reqs[i].auth[0] == '\0', "the venue's time asked, "
		"unsigned");
	cb_ops.on_ws_open(st, user_conn);
	for (i = 0; i < n_sent; i++) {
		if (strstr(sent[i], "\"channel\":\"user\"") == NULL)
			continue;
		user++;
		CHECK(strncmp(sent[i], "{\"type\":\"subscribe\",\"channel\":"
			"\"user\",\"product_ids\":[\"BTC-USD\"],\"jwt\":\"", 70) ==
			0, "user subscribe: %.80s", sent[i]);
		snprintf(c, sizeof(c), "%s", strstr(sent[i], "\"jwt\":\"") + 7);
		*strchr(c, '"') = '\0';
		claims(c, c);
		CHECK(strstr(c, "\"iss\":\"cdp\"") != NULL &&
			strstr(c, "\"uri\"") == NULL, "its JWT has no uri: %s",
			c);
	}
	CHECK(user == 1 && n_sent == 2, "heartbeats and user subscribed");
	trading(st);
	reconcile(st);
	cb_ops.base.stop(st);
	cb_ops.base.destroy(st);

	/* No credentials: market data only, orders refused. */
	have_key = 0;
	n_logs = 0;
	n = n_reqs;
	CHECK(cb_ops.base.create(&api, NULL, NULL, &st) == QD_OK &&
		cb_ops.base.start(st) == QD_OK, "starts without credentials");
	{
		struct qd_order_req r;

		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.symbol = 1;
		r.side = QD_SIDE_BUY;
		r.type = QD_ORDER_MARKET;
		r.qty = 1;
		CHECK(cb_ops.order_place(st, 80, &r) == QD_ERR_DENIED &&
			cb_ops.account_sync(st) == QD_ERR_DENIED, "orders and "
			"the reconcile are denied");
	}
	for (i = 0, user = 0; i < n_logs; i++)
		user += strstr(logs[i], "no api_key secret") != NULL;
	CHECK(user == 1, "the missing secret is named");
	for (i = n; i < n_reqs; i++)
		CHECK(strstr(reqs[i].url, "/api/v3/brokerage/market/") != NULL,
			"only public requests: %s", reqs[i].url);
	cb_ops.base.stop(st);
	cb_ops.base.destroy(st);
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
