/*
 * test_bybit_orders.c -- the Bybit adapter's account (trade.c) against a
 * host that records what it is asked: the requests an order, a cancel
 * and a query become (method, URL, headers, body, and exactly what is
 * handed to api->sign under which secret), the stream's auth message,
 * and the updates the venue's answers and pushes turn into (fills with
 * converted fees, an end after its fills, refusals with their qd_status).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "../../plugins/exchange-bybit/trade.h"

struct qd_params { int unused; };

static int fails, checks;

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

#define NOW_MS 1700000000000LL
#define AUTH_OK "{\"success\":true,\"ret_msg\":\"\",\"op\":\"auth\"}"

static struct {
	int have_key;
	char signed_msg[4096], signed_secret[32];
	int sign_alg, sign_enc;
	char method[8], url[1024], body[1024], hdr[6][2][160];
	uint32_t n_hdr;
	uint64_t next_id, last_req;
	int n_req;
	char ws_sent[1024];
	struct qd_order_update up[16];
	char reason[16][192], trade[16][64];
	int n_up;
	char logs[4096];
	const char *limit_status, *limit_reset;
} h;

static void
t_log(qd_ctx *c, enum qd_log_level l, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(h.logs);

	(void)c;
	(void)l;
	va_start(ap, fmt);
	vsnprintf(h.logs + n, sizeof(h.logs) - n, fmt, ap);
	va_end(ap);
	n = strlen(h.logs);
	if (n + 1 < sizeof(h.logs))
		strcat(h.logs, "\n");
}

static int64_t
t_now(qd_ctx *c)
{
	(void)c;
	return NOW_MS * 1000000;
}

static const char *
t_param_string(const qd_params *p, const char *name)
{
	(void)p;
	if (strcmp(name, "private_ws_url") == 0)
		return "ws://priv";
	return strcmp(name, "rest_url") == 0 ? "http://rest" : "ws://ws";
}

static int64_t
t_param_int(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "recv_window_ms") == 0 ? 5000 : 0;
}

static int
t_param_bool(const qd_params *p, const char *n)
{
	(void)p;
	(void)n;
	return 0;
}

static const char *
t_symbol_name(qd_ctx *c, qd_symbol s)
{
	(void)c;
	return s == 1 ? "BTC/USDT" : NULL;
}

static int
t_timer_add(qd_ctx *c, int64_t a, int64_t i, uint64_t *id)
{
	(void)c; (void)a; (void)i;
	*id = ++h.next_id;
	return QD_OK;
}

static int
t_timer_cancel(qd_ctx *c, uint64_t id)
{
	(void)c;
	(void)id;
	return QD_OK;
}

static int
t_state_save(qd_ctx *c, const void *b, size_t n)
{
	(void)c; (void)b; (void)n;
	return QD_OK;
}

static int
t_state_load(qd_ctx *c, void *b, size_t cap, size_t *n)
{
	(void)c; (void)b; (void)cap; (void)n;
	return QD_ERR_NOTFOUND;
}

static int
t_ws_open(qd_ctx *c, const char *url, const struct qd_kv *hd, uint32_t n,
	uint64_t *conn)
{
	(void)c; (void)url; (void)hd; (void)n;
	*conn = ++h.next_id;
	return QD_OK;
}

static int
t_ws_send(qd_ctx *c, uint64_t conn, const char *d, size_t len)
{
	(void)c; (void)conn;
	snprintf(h.ws_sent, sizeof(h.ws_sent), "%.*s", (int)len, d);
	return QD_OK;
}

static int
t_ws_close(qd_ctx *c, uint64_t conn)
{
	(void)c;
	(void)conn;
	return QD_OK;
}

static int
t_http(qd_ctx *c, const struct qd_http_request *r, uint64_t *id)
{
	uint32_t i;

	(void)c;
	snprintf(h.method, sizeof(h.method), "%s", r->method);
	snprintf(h.url, sizeof(h.url), "%s", r->url);
	snprintf(h.body, sizeof(h.body), "%.*s", (int)r->body_len,
		r->body ? r->body : "");
	h.n_hdr = r->n_headers;
	for (i = 0; i < r->n_headers && i < 6; i++) {
		snprintf(h.hdr[i][0], sizeof(h.hdr[i][0]), "%s",
			r->headers[i].key);
		snprintf(h.hdr[i][1], sizeof(h.hdr[i][1]), "%s",
			r->headers[i].value);
	}
	*id = h.last_req = ++h.next_id;
	h.n_req++;
	return QD_OK;
}

static int
t_secret_get(qd_ctx *c, const char *name, char *buf, size_t cap)
{
	(void)c;
	if (strcmp(name, "api_key") != 0 || !h.have_key)
		return QD_ERR_NOTFOUND;
	snprintf(buf, cap, "KEY123");
	return QD_OK;
}

static int
t_sign(qd_ctx *c, const struct qd_sign_req *r, char *out, size_t cap,
	size_t *n)
{
	(void)c;
	snprintf(h.signed_msg, sizeof(h.signed_msg), "%.*s",
		(int)r->msg_len, (const char *)r->msg);
	snprintf(h.signed_secret, sizeof(h.signed_secret), "%s", r->secret);
	h.sign_alg = r->alg;
	h.sign_enc = r->enc;
	*n = (size_t)snprintf(out, cap, "ab12");
	return QD_OK;
}

static void
t_update(qd_ctx *c, const struct qd_order_update *u)
{
	(void)c;
	if (h.n_up >= 16)
		return;
	h.up[h.n_up] = *u;
	snprintf(h.reason[h.n_up], sizeof(h.reason[0]), "%s",
		u->reason ? u->reason : "");
	snprintf(h.trade[h.n_up], sizeof(h.trade[0]), "%s",
		u->trade_id ? u->trade_id : "");
	h.n_up++;
}

static int
t_http_header(qd_ctx *c, const char *name, char *buf, size_t cap)
{
	const char *v = strcmp(name, "x-bapi-limit-status") == 0 ?
	    h.limit_status : strcmp(name, "x-bapi-limit-reset-timestamp") ==
	    0 ? h.limit_reset : NULL;

	(void)c;
	if (v == NULL)
		return QD_ERR_NOTFOUND;
	snprintf(buf, cap, "%s", v);
	return QD_OK;
}

static void
t_balance(qd_ctx *c, const struct qd_balance *b)
{
	(void)c;
	(void)b;
}

static const char *
header(const char *k)
{
	uint32_t i;

	for (i = 0; i < h.n_hdr && i < 6; i++)
		if (strcmp(h.hdr[i][0], k) == 0)
			return h.hdr[i][1];
	return "";
}

static void
setup(struct qd_host_api *api, struct venue *v, struct by_account *a,
	int key)
{
	static struct qd_params p;

	memset(&h, 0, sizeof(h));
	h.have_key = key;
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	api->log = t_log;
	api->now_ns = t_now;
	api->param_string = t_param_string;
	api->param_int = t_param_int;
	api->param_bool = t_param_bool;
	api->symbol_name = t_symbol_name;
	api->timer_add = t_timer_add;
	api->timer_cancel = t_timer_cancel;
	api->state_save = t_state_save;
	api->state_load = t_state_load;
	api->ws_open = t_ws_open;
	api->ws_send = t_ws_send;
	api->ws_close = t_ws_close;
	api->http_request = t_http;
	api->secret_get = t_secret_get;
	api->sign = t_sign;
	api->emit_order_update = t_update;
	api->emit_balance = t_balance;
	api->http_header = t_http_header;
	memset(v, 0, sizeof(*v));
	v->api = api;
	snprintf(v->rest_url, sizeof(v->rest_url), "http://rest");
	memset(a, 0, sizeof(*a));
	by_account_init(a, v, &p);
}

static void
answer(struct by_account *a, const char *body)
{
	by_account_http(a, h.last_req, 200, body, strlen(body));
}

static void
place_limit(void)
{
	struct qd_host_api api;
	struct venue v;
	struct by_account *a = calloc(1, sizeof(*a));
	struct qd_order_req r;
	const char *want = "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\","
		"\"side\":\"Buy\",\"orderType\":\"Limit\",\"qty\":\"0.015\","
		"\"price\":\"30000.5\",\"timeInForce\":\"PostOnly\","
		"\"orderLinkId\":\"qdz\"}";
	char pre[2048];

	setup(&api, &v, a, 1);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_LIMIT;
	r.tif = QD_TIF_POST_ONLY;
	r.qty = 0.015;
	r.price = 30000.5;
	CHECK(by_order_place(a, 35, &r) == QD_OK, "a limit order is sent");
	CHECK(strcmp(h.method, "POST") == 0 &&
		strcmp(h.url, "http://rest/v5/order/create") == 0,
		"POST /v5/order/create: %s %s", h.method, h.url);
	CHECK(strcmp(h.body, want) == 0, "body: %s", h.body);
	snprintf(pre, sizeof(pre), "%lldKEY1235000%s", NOW_MS, want);
	CHECK(strcmp(h.signed_msg, pre) == 0, "signed: %s", h.signed_msg);
	CHECK(strcmp(h.signed_secret, "api_secret") == 0 &&
		h.sign_alg == QD_SIGN_HMAC_SHA256 && h.sign_enc == QD_ENC_HEX,
		"signed by the host with api_secret, HMAC-SHA256, hex");
	CHECK(strcmp(header("X-BAPI-API-KEY"), "KEY123") == 0 &&
		strcmp(header("X-BAPI-SIGN"), "ab12") == 0 &&
		strcmp(header("X-BAPI-RECV-WINDOW"), "5000") == 0 &&
		atoll(header("X-BAPI-TIMESTAMP")) == NOW_MS,
		"the four X-BAPI headers");
	answer(a, "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"orderId\":"
		"\"1\",\"orderLinkId\":\"qdz\"},\"time\":1}");
	CHECK(h.n_up == 1 && h.up[0].state == QD_ORDER_PENDING &&
		h.up[0].order_id == 35, "taken: PENDING");

	/* A market order: base-coin quantity; a stop: the host's. */
	r.type = QD_ORDER_MARKET;
	r.side = QD_SIDE_SELL;
	CHECK(by_order_place(a, 36, &r) == QD_OK && strstr(h.body,
		"\"side\":\"Sell\",\"orderType\":\"Market\",\"qty\":\"0.015\","
		"\"marketUnit\":\"baseCoin\"") != NULL, "market: %s", h.body);
	answer(a, "{\"retCode\":170131,\"retMsg\":\"Insufficient balance.\","
		"\"result\":{},\"time\":1}");
	CHECK(h.n_up == 2 && h.up[1].state == QD_ORDER_REJECTED &&
		h.up[1].error == QD_ERR_DENIED && strcmp(h.reason[1],
		"bybit 170131: Insufficient balance.") == 0,
		"insufficient balance: REJECTED, DENIED, %s", h.reason[1]);
	CHECK(strstr(h.logs, "refused: bybit 170131: Insufficient balance.")
		!= NULL, "and logged with the code");
	r.type = QD_ORDER_STOP;
	CHECK(by_order_place(a, 37, &r) == QD_ERR_UNSUPPORTED,
		"a stop is left to the host");
	r.type = QD_ORDER_LIMIT;
	/* The window used up (X-Bapi-Limit-Status 0): REST waits for its
	 * reset 1.5 s away; the order asked meanwhile is refused. */
	CHECK(by_order_place(a, 40, &r) == QD_OK, "a limit again");
	h.limit_status = "0";
	h.limit_reset = "1700000001500";
	answer(a, "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{},"
		"\"time\":1}");
	h.limit_status = h.limit_reset = NULL;
	CHECK(a->paused_until == NOW_MS + 1500 &&
		by_order_place(a, 41, &r) == QD_ERR_LIMIT,
		"the used-up window pauses REST until its reset");
	a->paused_until = 0;
	h.n_up = 2;
	CHECK(by_order_place(a, 38, &r) == QD_OK, "another limit");
	answer(a, "{\"retCode\":170141,\"retMsg\":\"Duplicate clientOrderId."
		"\",\"result\":{},\"time\":1}");
	CHECK(h.n_up == 2 && strcmp(h.method, "GET") == 0 &&
		strcmp(h.url, "http://rest/v5/order/realtime?category=spot&"
		"orderLinkId=qd12") == 0, "a duplicate is queried: %s", h.url);
	CHECK(strstr(h.signed_msg, "5000category=spot&orderLinkId=qd12") !=
		NULL, "a GET signs its query string: %s", h.signed_msg);
	/* No answer (the connection failed): the order may be there. */
	h.n_up = 0;
	CHECK(by_order_place(a, 39, &r) == QD_OK, "one more limit");
	by_account_http(a, h.last_req, 0, NULL, 0);
	CHECK(h.n_up == 0 && strcmp(h.url, "http://rest/v5/order/realtime?"
		"category=spot&orderLinkId=qd13") == 0,
		"no answer is queried, not rejected: %s", h.url);
	/* Cancels: by symbol and client id; an order of an earlier run is
	 * looked up first; cancel-all by symbol or for all of spot. */
	CHECK(by_order_cancel(a, 35) == QD_OK && strcmp(h.url,
		"http://rest/v5/order/cancel") == 0 && strcmp(h.body,
		"{\"category\":\"spot\",\"symbol\":\"BTCUSDT\","
		"\"orderLinkId\":\"qdz\"}") == 0, "cancel: %s", h.body);
	CHECK(by_order_cancel(a, 999) == QD_OK && strcmp(h.url,
		"http://rest/v5/order/realtime?category=spot&orderLinkId=qdrr")
		== 0, "an order of an earlier run is looked up: %s", h.url);
	CHECK(by_order_cancel_all(a, 1) == QD_OK && strcmp(h.url,
		"http://rest/v5/order/cancel-all") == 0 && strcmp(h.body,
		"{\"category\":\"spot\",\"symbol\":\"BTCUSDT\"}") == 0,
		"cancel-all of a symbol: %s", h.body);
	CHECK(by_order_cancel_all(a, 0) == QD_OK && strcmp(h.body,
		"{\"category\":\"spot\"}") == 0, "cancel-all: %s", h.body);
	free(a);
}

static void
stream_and_ends(void)
{
	struct qd_host_api api;
	struct venue v;
	struct by_account *a = calloc(1, sizeof(*a));
	const char *fill = "{\"topic\":\"execution\",\"data\":[{\"symbol\":"
		"\"BTCUSDT\",\"execId\":\"x-9\",\"execPrice\":\"30000\","
		"\"execQty\":\"0.01\",\"execFee\":\"0.00001\",\"feeCurrency\":"
		"\"BTC\",\"isMaker\":true,\"orderLinkId\":\"qdz\",\"execTime\":"
		"\"1700000000001\"}]}";
	const char *cancel = "{\"topic\":\"order\",\"data\":[{\"symbol\":"
		"\"BTCUSDT\",\"orderId\":\"1\",\"orderLinkId\":\"qdz\","
		"\"orderStatus\":\"PartiallyFilledCanceled\",\"timeInForce\":"
		"\"GTC\",\"qty\":\"0.02\",\"price\":\"30000\",\"cumExecQty\":"
		"\"0.01\",\"avgPrice\":\"30000\"}]}";
	char want[128];

	setup(&api, &v, a, 1);
	CHECK(by_account_start(a) == QD_OK && a->link.conn != 0,
		"the private stream is opened");
	by_account_ws_open(a, a->link.conn);
	snprintf(want, sizeof(want), "{\"op\":\"auth\",\"args\":[\"KEY123\","
		"%lld,\"ab12\"]}", NOW_MS + 10000);
	CHECK(strcmp(h.ws_sent, want) == 0, "auth: %s", h.ws_sent);
	snprintf(want, sizeof(want), "GET/realtime%lld", NOW_MS + 10000);
	CHECK(strcmp(h.signed_msg, want) == 0 &&
		strcmp(h.signed_secret, "api_secret") == 0,
		"auth signs GET/realtime + expires: %s", h.signed_msg);
	by_account_ws_message(a, a->link.conn, AUTH_OK, strlen(AUTH_OK));
	CHECK(strstr(h.ws_sent, "\"op\":\"subscribe\",\"args\":[\"order\","
		"\"execution\",\"wallet\"]") != NULL, "then subscribes: %s",
		h.ws_sent);
	by_account_ws_message(a, a->link.conn, fill, strlen(fill));
	CHECK(h.n_up == 1 && h.up[0].order_id == 35 &&
		h.up[0].last_qty == 0.01 && h.up[0].last_price == 30000 &&
		h.up[0].fee > 0.29999 && h.up[0].fee < 0.30001 &&
		h.up[0].maker == 1 && strcmp(h.trade[0], "x-9") == 0,
		"a fill: qty, price, fee in USDT (%g), maker, the venue's id",
		h.up[0].fee);
	/* Canceled with something executed: the fills first, then the end. */
	h.n_req = 0;
	by_account_ws_message(a, a->link.conn, cancel, strlen(cancel));
	CHECK(h.n_up == 1 && h.n_req == 1 && strcmp(h.url, "http://rest/v5/"
		"execution/list?category=spot&orderLinkId=qdz&limit=100") == 0,
		"the end waits for its fills: %s", h.url);
	answer(a, "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"list\":["
		"{\"symbol\":\"BTCUSDT\",\"execId\":\"x-9\",\"execPrice\":"
		"\"30000\",\"execQty\":\"0.01\",\"execFee\":\"0.3\","
		"\"feeCurrency\":\"USDT\",\"orderLinkId\":\"qdz\"}]},"
		"\"time\":1}");
	CHECK(h.n_up == 3 && h.up[1].last_qty == 0.01 &&
		strcmp(h.trade[1], "x-9") == 0 &&
		h.up[2].state == QD_ORDER_CANCELED,
		"its fill, then CANCELED (%d updates)", h.n_up);
	/* The stream lost and back: a reconcile. */
	by_account_ws_close(a, a->link.conn, 1006, "lost");
	by_account_timer(a, a->link.retry_timer);
	by_account_ws_open(a, a->link.conn);
	h.n_req = 0;
	by_account_ws_message(a, a->link.conn, AUTH_OK, strlen(AUTH_OK));
	CHECK(h.n_req == 1 && strstr(h.url, "/v5/execution/list?category="
		"spot&startTime=1700000000001&limit=100") != NULL,
		"after a loss: the fills since the last one seen: %s", h.url);
	answer(a, "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"list\":"
		"[],\"nextPageCursor\":\"\"},\"time\":1}");
	CHECK(h.n_req == 2 && strstr(h.url, "/v5/order/realtime") != NULL,
		"then the open orders: %s", h.url);
	answer(a, "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"list\":"
		"[]},\"time\":1}");
	CHECK(h.n_req == 3 && strstr(h.url, "/v5/account/wallet-balance") !=
		NULL, "then the balances: %s", h.url);
	free(a);
}

static void
no_key(void)
{
	struct qd_host_api api;
	struct venue v;
	struct by_account *a = calloc(1, sizeof(*a));
	struct qd_order_req r;

	setup(&api, &v, a, 0);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.type = QD_ORDER_MARKET;
	r.qty = 1;
	CHECK(by_account_start(a) == QD_OK && a->link.conn == 0,
		"without a key: started, no private stream");
	CHECK(by_order_place(a, 1, &r) == QD_ERR_DENIED && h.n_req == 0,
		"orders are DENIED, nothing sent");
	CHECK(strstr(h.logs, "no \"api_key\" secret configured") != NULL,
		"the log names the missing secret");
	free(a);
}

int
main(void)
{
	place_limit();
	stream_and_ends();
	no_key();
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
