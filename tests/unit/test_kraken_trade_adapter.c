/*
 * test_kraken_trade_adapter.c -- the kraken adapter's trading side
 * (plugins/exchange-kraken/trade.c, with kraken.c compiled in whole) on a
 * recording host: without the secret "api_key" orders are refused with
 * QD_ERR_DENIED and a line naming it; with it, every private call is
 * signed through api->sign over (path, nonce + body) with the secret
 * "api_secret" and carries API-Key; the nonce mark is saved ahead and a
 * restart's nonces pass it; a place waits for the first reconcile
 * (BalanceEx, OpenOrders, ClosedOrders, TradesHistory) and then goes out
 * as the AddOrder body Kraken documents; its answers become PENDING,
 * REJECTED with Kraken's reason and error, or a query for a duplicate;
 * order types Kraken lacks are left to the host.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static char logbuf[65536];
static int64_t clock_ms = 1700000000000LL;
static uint64_t next_id = 100;
static struct {
	uint64_t id;
	char method[8], url[256], body[1024], key[64], sig[64];
} reqs[64];
static int n_reqs;
static char sign_msg[128], sign_msg2[1100], sign_secret[32];
static char saved[128];
static size_t saved_len;
static int have_key;
static struct qd_order_update ups[16];
static char reasons[16][128];
static int n_ups;
static struct qd_balance bals[8];
static char assets[8][16];   /* the host copies what it keeps */
static int n_bals;

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
	return strcmp(name, "ws_url") == 0 ? "ws://127.0.0.1:9/v2" :
	    strcmp(name, "rest_url") == 0 ? "http://127.0.0.1:9" :
	    strcmp(name, "ws_auth_url") == 0 ? "ws://127.0.0.1:9/v2-auth" :
	    NULL;
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
	return sym == 1 ? "BTC/USD" : NULL;
}

static qd_symbol
h_symbol_intern(qd_ctx *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "BTC/USD") == 0 ? 1 : 0;
}

static int
h_timer_add(qd_ctx *ctx, int64_t after, int64_t every, uint64_t *id)
{
	(void)ctx;
	(void)after;
	(void)every;
	*id = ++next_id;
	return QD_OK;
}

static int
h_timer_cancel(qd_ctx *ctx, uint64_t id)
{
	(void)ctx;
	(void)id;
	return QD_OK;
}

static uint64_t auth_conn;
static char ws_sent[4096];

static int
h_ws_open(qd_ctx *ctx, const char *url, const struct qd_kv *h, uint32_t n,
	uint64_t *conn)
{
	(void)ctx;
	(void)h;
	(void)n;
	*conn = ++next_id;
	if (strstr(url, "v2-auth") != NULL)
		auth_conn = *conn;
	return QD_OK;
}

static int
h_ws_send(qd_ctx *ctx, uint64_t conn, const char *data, size_t len)
{
	size_t n = strlen(ws_sent);

	(void)ctx;
	if (conn == auth_conn)
		snprintf(ws_sent + n, sizeof(ws_sent) - n, "%.*s\n", (int)len,
			data);
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
	uint32_t i;

	(void)ctx;
	*id = ++next_id;
	if (n_reqs == 64)
		return QD_OK;
	memset(&reqs[n_reqs], 0, sizeof(reqs[0]));
	reqs[n_reqs].id = *id;
	snprintf(reqs[n_reqs].method, 8, "%s", r->method);
	snprintf(reqs[n_reqs].url, 256, "%s", r->url);
	snprintf(reqs[n_reqs].body, 1024, "%.*s", (int)r->body_len,
		r->body ? r->body : "");
	for (i = 0; i < r->n_headers; i++) {
		if (strcmp(r->headers[i].key, "API-Key") == 0)
			snprintf(reqs[n_reqs].key, 64, "%s",
				r->headers[i].value);
		if (strcmp(r->headers[i].key, "API-Sign") == 0)
			snprintf(reqs[n_reqs].sig, 64, "%s",
				r->headers[i].value);
	}
	n_reqs++;
	return QD_OK;
}

static int
h_http_header(qd_ctx *ctx, const char *name, char *buf, size_t cap)
{
	(void)ctx;
	(void)name;
	(void)buf;
	(void)cap;
	return QD_ERR_NOTFOUND;
}

static int
h_secret_get(qd_ctx *ctx, const char *name, char *buf, size_t cap)
{
	(void)ctx;
	if (strcmp(name, "api_key") != 0 || !have_key)
		return QD_ERR_NOTFOUND;
	snprintf(buf, cap, "KEY");
	return QD_OK;
}

static int
h_sign(qd_ctx *ctx, const struct qd_sign_req *r, char *out, size_t cap,
	size_t *len)
{
	(void)ctx;
	snprintf(sign_secret, sizeof(sign_secret), "%s", r->secret);
	snprintf(sign_msg, sizeof(sign_msg), "%.*s", (int)r->msg_len,
		(const char *)r->msg);
	snprintf(sign_msg2, sizeof(sign_msg2), "%.*s", (int)r->msg2_len,
		(const char *)r->msg2);
	*len = (size_t)snprintf(out, cap, "SIG%d", n_reqs);
	return r->alg == QD_SIGN_HMAC_SHA512_B64KEY &&
	    r->enc == QD_ENC_BASE64 ? QD_OK : QD_ERR_INVALID;
}

static int
h_state_save(qd_ctx *ctx, const void *buf, size_t len)
{
	(void)ctx;
	if (len > sizeof(saved))
		return QD_ERR_LIMIT;
	memcpy(saved, buf, len);
	saved_len = len;
	return QD_OK;
}

static int
h_state_load(qd_ctx *ctx, void *buf, size_t cap, size_t *len)
{
	(void)ctx;
	if (saved_len == 0)
		return QD_ERR_NOTFOUND;
	memcpy(buf, saved, saved_len < cap ? saved_len : cap);
	*len = saved_len;
	return QD_OK;
}

static void
h_update(qd_ctx *ctx, const struct qd_order_update *u)
{
	(void)ctx;
	if (n_ups < 16) {
		ups[n_ups] = *u;
		snprintf(reasons[n_ups], 128, "%s", u->reason ? u->reason : "");
		n_ups++;
	}
}

static void
h_balance(qd_ctx *ctx, const struct qd_balance *b)
{
	(void)ctx;
	if (n_bals < 8) {
		snprintf(assets[n_bals], 16, "%s", b->asset);
		bals[n_bals] = *b;
		bals[n_bals].asset = assets[n_bals];
		n_bals++;
	}
}

static struct qd_host_api api;
static void *st;

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
	api.symbol_intern = h_symbol_intern;
	api.timer_add = h_timer_add;
	api.timer_cancel = h_timer_cancel;
	api.ws_open = h_ws_open;
	api.ws_send = h_ws_send;
	api.ws_close = h_ws_close;
	api.http_request = h_http;
	api.http_header = h_http_header;
	api.secret_get = h_secret_get;
	api.sign = h_sign;
	api.state_save = h_state_save;
	api.state_load = h_state_load;
	api.emit_order_update = h_update;
	api.emit_balance = h_balance;
}

/* The last request to `path`, or -1. */
static int
req_of(const char *path)
{
	int i;

	for (i = n_reqs - 1; i >= 0; i--)
		if (strstr(reqs[i].url, path) != NULL)
			return i;
	return -1;
}

static void
answer(const char *path, const char *body)
{
	int i = req_of(path);

	if (i >= 0)
		kr_ops.on_http_response(st, reqs[i].id, 200, body,
			strlen(body));
}

static void *
start(int key)
{
	void *s = NULL;

	have_key = key;
	n_reqs = n_ups = n_bals = 0;
	logbuf[0] = '\0';
	CHECK(kr_ops.base.create(&api, NULL, NULL, &s) == QD_OK, "create");
	CHECK(kr_ops.base.start(s) == QD_OK, "start");
	return s;
}

static void
stop(void *s)
{
	kr_ops.base.stop(s);
	kr_ops.base.destroy(s);
}

static struct qd_order_req
limit_buy(void)
{
	struct qd_order_req r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_LIMIT;
	r.qty = 0.01;
	r.price = 30000.5;
	return r;
}

static void
without_key(void)
{
	struct qd_order_req r = limit_buy();

	st = start(0);
	CHECK(req_of("/0/private/") < 0, "no key: no private call");
	CHECK(strstr(logbuf, "no secret \"api_key\"") != NULL, "no key: a "
		"line names the secret: %s", logbuf);
	CHECK(kr_ops.order_place(st, 7, &r) == QD_ERR_DENIED, "no key: an "
		"order is refused with QD_ERR_DENIED");
	CHECK(kr_ops.account_sync(st) == QD_ERR_DENIED, "no key: no "
		"reconcile");
	stop(st);
}

static void
ws(const char *msg)
{
	kr_ops.on_ws_message(st, auth_conn, msg, strlen(msg));
}

/* The account stream: opened with the token, subscribed; its fills and
 * states reach the host (a fee in the base asset in quote). */
static void
stream(void)
{
	answer("GetWebSocketsToken", "{\"error\":[],\"result\":{\"token\":"
		"\"TOK\",\"expires\":900}}");
	CHECK(auth_conn != 0, "the token opens the account stream");
	kr_ops.on_ws_open(st, auth_conn);
	CHECK(strstr(ws_sent, "\"channel\":\"executions\",\"token\":\"TOK\"")
		!= NULL && strstr(ws_sent, "\"channel\":\"balances\",\"token\":"
		"\"TOK\"") != NULL, "executions and balances subscribed: %s",
		ws_sent);
	n_ups = 0;
	ws("{\"channel\":\"executions\",\"type\":\"update\",\"data\":[{"
		"\"order_id\":\"OABC\",\"symbol\":\"BTC/USD\",\"exec_type\":"
		"\"trade\",\"exec_id\":\"TX1\",\"last_qty\":0.004,"
		"\"last_price\":30000,\"cum_qty\":0.004,\"order_qty\":0.01,"
		"\"liquidity_ind\":\"m\",\"order_status\":\"partially_filled\","
		"\"fees\":[{\"asset\":\"BTC\",\"qty\":0.00001}]}]}");
	CHECK(n_ups == 1 && ups[0].order_id == 1 && ups[0].last_qty == 0.004 &&
		ups[0].last_price == 30000 && ups[0].maker &&
		ups[0].fee > 0.29999 && ups[0].fee < 0.30001,
		"a fill by the venue's order id, its base fee in quote (%g)",
		n_ups ? ups[0].fee : -1);
	ws("{\"channel\":\"executions\",\"type\":\"update\",\"data\":[{"
		"\"order_id\":\"OABC\",\"cl_ord_id\":\"qd1\",\"exec_type\":"
		"\"canceled\",\"order_status\":\"canceled\",\"reason\":"
		"\"User requested\"}]}");
	CHECK(n_ups == 2 && ups[1].state == QD_ORDER_CANCELED &&
		strstr(reasons[1], "User requested") != NULL, "canceled, with "
		"the venue's reason: %s", reasons[1]);
	ws("{\"channel\":\"executions\",\"type\":\"update\",\"data\":[{"
		"\"order_id\":\"OTHER\",\"cl_ord_id\":\"manual\",\"exec_type\":"
		"\"new\",\"order_status\":\"new\"}]}");
	CHECK(n_ups == 2, "someone else's order is not reported");
}

static void
with_key(void)
{
	struct qd_order_req r = limit_buy();
	unsigned long long nonce, mark;
	char want[1100];
	int i;

	saved_len = 0;
	st = start(1);
	i = req_of("/0/private/GetWebSocketsToken");
	CHECK(i >= 0 && strcmp(reqs[i].method, "POST") == 0 &&
		strcmp(reqs[i].key, "KEY") == 0 &&
		strncmp(reqs[i].sig, "SIG", 3) == 0, "the token call is "
		"signed and carries API-Key");
	CHECK(i >= 0 && sscanf(reqs[i].body, "nonce=%llu", &nonce) == 1 &&
		nonce == (unsigned long long)clock_ms * 1000, "its body is the "
		"nonce, microseconds: %s", i >= 0 ? reqs[i].body : "");
	snprintf(want, sizeof(want), "%llu%s", nonce, i >= 0 ? reqs[i].body :
		"");
	CHECK(strcmp(sign_msg, "/0/private/GetWebSocketsToken") == 0 &&
		strcmp(sign_msg2, want) == 0 &&
		strcmp(sign_secret, "api_secret") == 0, "signed over the path "
		"and nonce + body with api_secret: %s | %s", sign_msg,
		sign_msg2);
	CHECK(req_of("/0/public/Time") >= 0, "the venue's time is asked");
	CHECK(saved_len > 0 && sscanf(saved, "kraken1 %llu", &mark) == 1 &&
		mark == nonce + 1000000, "the nonce mark is saved a second "
		"ahead: %.*s", (int)saved_len, saved);

	/* A place before the first reconcile waits for it. */
	CHECK(kr_ops.order_place(st, 1, &r) == QD_OK, "a place is taken");
	CHECK(req_of("/0/private/AddOrder") < 0, "and held");
	CHECK(kr_ops.account_sync(st) == QD_OK && req_of("BalanceEx") >= 0,
		"the reconcile asks the balances");
	answer("BalanceEx", "{\"error\":[],\"result\":{\"ZUSD\":{\"balance\":"
		"\"100\",\"hold_trade\":\"40\"},\"XXBT\":{\"balance\":\"2\"}}}");
	CHECK(n_bals == 2 && strcmp(bals[0].asset, "USD") == 0 &&
		bals[0].total == 100 && bals[0].free == 60 && !bals[0].last &&
		strcmp(bals[1].asset, "BTC") == 0 && bals[1].last,
		"balances reach the host, the last flagged");
	answer("OpenOrders", "{\"error\":[],\"result\":{\"open\":{}}}");
	answer("ClosedOrders", "{\"error\":[],\"result\":{\"closed\":{},"
		"\"count\":0}}");
	CHECK(req_of("AddOrder") < 0, "still held during the reconcile");
	answer("TradesHistory", "{\"error\":[],\"result\":{\"trades\":{},"
		"\"count\":0}}");
	i = req_of("/0/private/AddOrder");
	CHECK(i >= 0 && strstr(reqs[i].body, "cl_ord_id=qd1&deadline=2023-11-"
		"14T22%3A13%3A30.000Z&nonce=") == reqs[i].body &&
		strstr(reqs[i].body, "&oflags=fciq&ordertype=limit&pair=XBTUSD&"
		"price=30000.5&type=buy&volume=0.01") != NULL, "then placed: "
		"%s", i >= 0 ? reqs[i].body : "");
	answer("AddOrder", "{\"error\":[],\"result\":{\"descr\":{\"order\":"
		"\"x\"},\"txid\":[\"OABC\"]}}");
	CHECK(n_ups == 1 && ups[0].order_id == 1 &&
		ups[0].state == QD_ORDER_PENDING, "its answer: PENDING");

	/* After the first reconcile, places go at once. */
	CHECK(kr_ops.order_place(st, 2, &r) == QD_OK &&
		strstr(reqs[req_of("AddOrder")].body, "cl_ord_id=qd2") != NULL,
		"the next place goes at once");
	answer("AddOrder", "{\"error\":[\"EOrder:Insufficient funds\"]}");
	CHECK(n_ups == 2 && ups[1].state == QD_ORDER_REJECTED &&
		ups[1].error == QD_ERR_DENIED && strcmp(reasons[1], "kraken "
		"EOrder: Insufficient funds") == 0, "a refusal: REJECTED, "
		"QD_ERR_DENIED, Kraken's reason: %s", reasons[1]);
	CHECK(strstr(logbuf, "place of order 2 refused: kraken EOrder: "
		"Insufficient funds") != NULL, "and a log line");
	kr_ops.order_place(st, 3, &r);
	answer("AddOrder", "{\"error\":[\"EOrder:Duplicate cl_ord_id\"]}");
	i = req_of("OpenOrders");
	CHECK(n_ups == 2 && i >= 0 && strstr(reqs[i].body,
		"cl_ord_id=qd3") != NULL, "a duplicate client id: queried, "
		"not rejected");
	answer("OpenOrders", "{\"error\":[],\"result\":{\"open\":{}}}");
	answer("ClosedOrders", "{\"error\":[],\"result\":{\"closed\":{}}}");
	CHECK(n_ups == 3 && ups[2].state == QD_ORDER_REJECTED &&
		ups[2].error == QD_ERR_NOTFOUND, "unknown at both: REJECTED, "
		"QD_ERR_NOTFOUND");

	r.type = QD_ORDER_TRAILING_STOP;
	CHECK(kr_ops.order_place(st, 4, &r) == QD_ERR_UNSUPPORTED,
		"a trailing stop is the host's to emulate");
	r.type = QD_ORDER_LIMIT;
	r.tif = QD_TIF_FOK;
	CHECK(kr_ops.order_place(st, 5, &r) == QD_ERR_UNSUPPORTED,
		"FOK is the host's to emulate");
	CHECK(strstr(logbuf, "KEY") == NULL, "the key never reaches the log");
	stream();
	stop(st);

	/* A restart: the clock went back, the nonces still pass the mark. */
	clock_ms -= 5000;
	st = start(1);
	i = req_of("GetWebSocketsToken");
	CHECK(i >= 0 && sscanf(reqs[i].body, "nonce=%llu", &nonce) == 1 &&
		nonce > mark, "after a restart the nonce passes the saved mark "
		"(%llu > %llu)", nonce, mark);
	stop(st);
}

int
main(void)
{
	host_init();
	without_key();
	with_key();
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
