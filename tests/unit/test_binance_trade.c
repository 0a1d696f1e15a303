/*
 * test_binance_trade.c -- the binance adapter's private side
 * (plugins/exchange-binance/trade.c and trade_parse.c, with binance.c)
 * against a host that records what it is handed and signs with the host's
 * own code (core/host/sign.c):
 *   the three documented HMAC examples (../shared/fixtures/exchanges/
 *   signing-vectors.json, read here) rebuilt from their parameters by the
 *   request builder and signed to the documented signatures;
 *   an order's request: parameters, recvWindow, timestamp, X-MBX-APIKEY,
 *   a signature that verifies; post-only as LIMIT_MAKER, stop-limit as
 *   STOP_LOSS_LIMIT, trailing stops left to the host;
 *   the user data stream subscription (WebSocket API) signed over its
 *   parameters sorted by name;
 *   answers and stream messages into updates: PENDING, fills with the
 *   venue's trade id and the fee in the quote (a base-asset fee at the
 *   fill price), a cancel with executed quantity reported after its fills,
 *   balances with `last` on the snapshot's final one; a reconcile asks
 *   for the fills after the last one reported, saved across a restart;
 *   error bodies into qd_status, a duplicate client id into a query;
 *   no secret: orders refused naming the secret; an Ed25519 key signs
 *   with "private_key", the Base64 signature percent-encoded.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../plugins/exchange-binance/binance.c"
#include "../../plugins/exchange-binance/trade_parse.h"
#include "host/sign.h"
#include "instr_host.h"

#define KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

/* An Ed25519 seed (Base64 of 32 bytes), made up for this test. */
#define ED_SEED "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="

static struct {
	int have_secrets;
	int ed25519;                      /* key_type ed25519 */
	int load;                         /* state_load gives th.saved */
	char key_hdr[IH_MAX][128];        /* X-MBX-APIKEY of each request */
	uint64_t http_id[IH_MAX];         /* and its id */
	char sent[1024];                  /* the last WebSocket message */
	struct qd_order_update u[IH_MAX];
	char tid[IH_MAX][32], reason[IH_MAX][160];
	int n_u;
	struct qd_balance b[IH_MAX];
	char asset[IH_MAX][16];
	int n_b;
	char saved[512];
} th;

static int64_t
t_int(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "recv_window_ms") == 0 ? 5000 : 0;
}

static double
t_double(const qd_params *p, const char *name)
{
	(void)p;
	(void)name;
	return 10;
}

static int
t_secret(qd_ctx *ctx, const char *name, char *buf, size_t cap)
{
	(void)ctx;
	if (!th.have_secrets || strcmp(name, "api_key") != 0)
		return QD_ERR_NOTFOUND;
	snprintf(buf, cap, "%s", KEY);
	return QD_OK;
}

/* api->sign as the host does it: its own code, the secret by name. */
static int
t_sign(qd_ctx *ctx, const struct qd_sign_req *r, char *out, size_t cap,
	size_t *out_len)
{
	char why[128];

	(void)ctx;
	if (th.have_secrets && th.ed25519 && strcmp(r->secret, "private_key")
	    == 0)
		return sign_compute(r, ED_SEED, strlen(ED_SEED), out, cap,
			out_len, why, sizeof(why));
	if (!th.have_secrets || th.ed25519 || strcmp(r->secret, "api_secret")
	    != 0)
		return QD_ERR_NOTFOUND;
	return sign_compute(r, SECRET, strlen(SECRET), out, cap, out_len, why,
		sizeof(why));
}

static int
t_http(qd_ctx *ctx, const struct qd_http_request *r, uint64_t *id)
{
	uint32_t i;
	int n = ih.n_get;

	if (n < IH_MAX) {
		th.key_hdr[n][0] = '\0';
		for (i = 0; i < r->n_headers; i++)
			if (strcmp(r->headers[i].key, "X-MBX-APIKEY") == 0)
				snprintf(th.key_hdr[n], sizeof(th.key_hdr[0]),
					"%s", r->headers[i].value);
	}
	ih_http(ctx, r, id);
	if (n < IH_MAX)
		th.http_id[n] = *id;
	return QD_OK;
}

static int
t_ws_send(qd_ctx *ctx, uint64_t conn, const char *data, size_t len)
{
	(void)ctx;
	(void)conn;
	snprintf(th.sent, sizeof(th.sent), "%.*s", (int)len, data);
	return QD_OK;
}

static void
t_update(qd_ctx *ctx, const struct qd_order_update *u)
{
	(void)ctx;
	if (th.n_u == IH_MAX)
		return;
	th.u[th.n_u] = *u;
	snprintf(th.tid[th.n_u], sizeof(th.tid[0]), "%s", u->trade_id ?
		u->trade_id : "");
	snprintf(th.reason[th.n_u], sizeof(th.reason[0]), "%s", u->reason ?
		u->reason : "");
	th.n_u++;
}

static void
t_balance(qd_ctx *ctx, const struct qd_balance *b)
{
	(void)ctx;
	if (th.n_b == IH_MAX)
		return;
	th.b[th.n_b] = *b;
	snprintf(th.asset[th.n_b], sizeof(th.asset[0]), "%s", b->asset);
	th.n_b++;
}

static int
t_save(qd_ctx *ctx, const void *buf, size_t len)
{
	(void)ctx;
	snprintf(th.saved, sizeof(th.saved), "%.*s", (int)len,
		(const char *)buf);
	return QD_OK;
}

static int
t_load(qd_ctx *ctx, void *buf, size_t cap, size_t *len)
{
	(void)ctx;
	if (!th.load)
		return QD_ERR_NOTFOUND;
	*len = strlen(th.saved);
	memcpy(buf, th.saved, *len < cap ? *len : cap);
	return QD_OK;
}

static const char *
t_param_string(const qd_params *p, const char *name)
{
	if (strcmp(name, "key_type") == 0)
		return th.ed25519 ? "ed25519" : "hmac";
	return ih_param_string(p, name);
}

static qd_symbol
t_intern(qd_ctx *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "BTC/USDT") == 0 ? 1 : 0;
}

static void
t_api(struct qd_host_api *api, int secrets)
{
	ih_api(api);
	memset(&th, 0, sizeof(th));
	th.have_secrets = secrets;
	api->param_int = t_int;
	api->param_double = t_double;
	api->secret_get = t_secret;
	api->sign = t_sign;
	api->http_request = t_http;
	api->ws_send = t_ws_send;
	api->emit_order_update = t_update;
	api->emit_balance = t_balance;
	api->state_save = t_save;
	api->state_load = t_load;
	api->symbol_intern = t_intern;
	api->param_string = t_param_string;
}

/* ---- the documented examples ---------------------------------------- */

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static void
sign_text(const char *msg, char *out, size_t cap)
{
	struct qd_sign_req r;
	size_t n;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.alg = QD_SIGN_HMAC_SHA256;
	r.enc = QD_ENC_HEX;
	r.secret = "api_secret";
	r.msg = msg;
	r.msg_len = strlen(msg);
	if (t_sign(NULL, &r, out, cap, &n) != QD_OK)
		out[0] = '\0';
}

static void
vectors(void)
{
	char path[1024], *text, buf[1024], sig[128];
	const cJSON *v;
	cJSON *all;
	FILE *f;
	long n;
	int k = 0;

	snprintf(path, sizeof(path), "%s/../shared/fixtures/exchanges/"
		"signing-vectors.json", QD_TEST_SRCDIR);
	if ((f = fopen(path, "r")) == NULL) {
		CHECK(0, "cannot read %s", path);
		return;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	if (text == NULL || fread(text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(text);
		CHECK(0, "cannot read %s", path);
		return;
	}
	fclose(f);
	text[n] = '\0';
	all = cJSON_Parse(text);
	free(text);
	th.have_secrets = 1;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(all,
	    "binance_hmac_sha256_hex")) {
		const char *payload = jstr(v, "payload");

		CHECK(strcmp(jstr(v, "secretKey"), SECRET) == 0,
			"vector %d: the documented secret", k);
		if (jstr(v, "queryString")[0] != '\0') {
			/* Query string and body: joined with nothing. */
			CHECK(bn_sign_payload(buf, sizeof(buf), jstr(v,
				"queryString"), jstr(v, "requestBody")) > 0 &&
				strcmp(buf, payload) == 0, "vector %d: %s", k,
				buf);
		} else {
			/* The documented order's parameters, the symbol as
			 * the example writes it (percent-encoded). */
			const char *sym = strstr(payload, "%EF") ?
				"%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95"
				"%EF%BC%96" : "LTCBTC";

			CHECK(bn_order_params(buf, sizeof(buf), sym, "BUY",
				"LIMIT", "GTC", 1, 0.1, 0, NULL, NULL) > 0 &&
				bn_signed_tail(buf, sizeof(buf), 5000,
				1499827319559LL) > 0 && strcmp(buf, payload) ==
				0, "vector %d: %s", k, buf);
		}
		sign_text(buf, sig, sizeof(sig));
		CHECK(strcmp(sig, jstr(v, "signature")) == 0,
			"vector %d: signature %s", k, sig);
		k++;
	}
	CHECK(k == 3, "three Binance vectors, %d read", k);
	cJSON_Delete(all);
}

/* ---- requests ------------------------------------------------------- */

/* The last request's URL verifies: the query before &signature= signed
 * with the secret gives its signature. */
static int
verifies(const char *req)
{
	const char *q = strchr(req, '?'), *s = strstr(req, "&signature=");
	char payload[1024], sig[128];

	if (q == NULL || s == NULL || (size_t)(s - q) >= sizeof(payload))
		return 0;
	snprintf(payload, sizeof(payload), "%.*s", (int)(s - q - 1), q + 1);
	sign_text(payload, sig, sizeof(sig));
	return strcmp(sig, s + 11) == 0;
}

/* The id of the last request whose URL holds `needle`, or 0. */
static uint64_t
req_id(const char *needle)
{
	int i;

	for (i = ih.n_get - 1; i >= 0; i--)
		if (strstr(ih.get[i], needle) != NULL)
			return th.http_id[i];
	return 0;
}

static const char *
last_req(void)
{
	return ih.n_get > 0 ? ih.get[ih.n_get - 1] : "";
}

static uint64_t
last_http(void)
{
	return ih.next_id;   /* each request takes the next id */
}

/* The venue's answer to the last request. */
static void
answer(void *st, int status, const char *body)
{
	bn_ops.on_http_response(st, last_http(), status, body, strlen(body));
}

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
requests(void)
{
	struct qd_host_api api;
	struct qd_params params = { 0 };
	struct qd_order_req r;
	struct bn *b;
	void *st;

	t_api(&api, 1);
	CHECK(bn_ops.base.create(&api, NULL, &params, &st) == QD_OK,
		"created");
	b = st;
	CHECK(bn_ops.base.start(st) == QD_OK, "started");
	CHECK(ih.n_get == 1 && strcmp(ih.get[0], "GET http://rest/api/v3/time")
		== 0, "the venue's time asked at start: %s", ih.get[0]);
	CHECK(b->t.user_conn != 0, "the WebSocket API opened");
	{
		/* The subscription, signed over its parameters sorted by
		 * name. */
		char want[512], sig[128];

		bn_ops.on_ws_open(st, b->t.user_conn);
		sign_text("apiKey=" KEY "&recvWindow=5000&timestamp="
			"1700000000000", sig, sizeof(sig));
		snprintf(want, sizeof(want), "\"method\":\"userDataStream."
			"subscribe.signature\",\"params\":{\"apiKey\":\"" KEY
			"\",\"recvWindow\":5000,\"timestamp\":1700000000000,"
			"\"signature\":\"%s\"}}", sig);
		CHECK(strstr(th.sent, want) != NULL, "the subscription: %s",
			th.sent);
		CHECK(b->t.user_open == 0, "not open before its answer");
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_LIMIT;
	r.tif = QD_TIF_GTC;
	r.qty = 0.5;
	r.price = 30000.5;
	CHECK(bn_ops.order_place(st, 42, &r) == QD_OK, "limit placed");
	CHECK(starts(last_req(), "POST http://rest/api/v3/order?symbol=BTCUSDT"
		"&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.5&price=30000.5"
		"&newClientOrderId=qd16&newOrderRespType=FULL&recvWindow=5000"
		"&timestamp=1700000000000&signature="), "%s", last_req());
	CHECK(verifies(last_req()), "its signature verifies");
	CHECK(strcmp(th.key_hdr[ih.n_get - 1], KEY) == 0, "X-MBX-APIKEY");

	/* The FULL answer: PENDING, then its fill; the fee in BTC at the
	 * fill price. */
	answer(st, 200, "{\"symbol\":\"BTCUSDT\",\"orderId\":28,\"orderListId\":-1,"
		"\"clientOrderId\":\"qd16\",\"transactTime\":1700000000001,"
		"\"price\":\"30000.50000000\",\"origQty\":\"0.50000000\","
		"\"executedQty\":\"0.10000000\",\"cummulativeQuoteQty\":"
		"\"3000.00000000\",\"status\":\"PARTIALLY_FILLED\","
		"\"timeInForce\":\"GTC\",\"type\":\"LIMIT\",\"side\":\"BUY\","
		"\"fills\":[{\"price\":\"30000.00000000\",\"qty\":\"0.10000000\","
		"\"commission\":\"0.00010000\",\"commissionAsset\":\"BTC\","
		"\"tradeId\":56}]}");
	CHECK(th.n_u == 2 && th.u[0].state == QD_ORDER_PENDING &&
		th.u[0].order_id == 42, "PENDING first (%d updates)", th.n_u);
	CHECK(th.n_u == 2 && th.u[1].last_qty == 0.1 &&
		th.u[1].last_price == 30000 && th.u[1].fee > 2.9999 &&
		th.u[1].fee < 3.0001 && strcmp(th.tid[1], "56") == 0 &&
		th.u[1].state == QD_ORDER_PARTIAL, "the fill: fee %.8f, "
		"trade %s", th.u[1].fee, th.tid[1]);
	CHECK(strcmp(th.saved, "BTC/USDT 56\n") == 0, "resume point saved: "
		"%s", th.saved);

	/* Post-only, stop-limit, trailing. */
	r.tif = QD_TIF_POST_ONLY;
	CHECK(bn_ops.order_place(st, 43, &r) == QD_OK && strstr(last_req(),
		"&type=LIMIT_MAKER&quantity=0.5&price=30000.5&") != NULL,
		"post-only: %s", last_req());
	r.tif = QD_TIF_IOC;
	r.type = QD_ORDER_STOP_LIMIT;
	r.stop_price = 29000;
	CHECK(bn_ops.order_place(st, 44, &r) == QD_OK && strstr(last_req(),
		"&type=STOP_LOSS_LIMIT&timeInForce=IOC&quantity=0.5&price="
		"30000.5&stopPrice=29000&") != NULL, "stop-limit: %s",
		last_req());
	r.type = QD_ORDER_TRAILING_STOP;
	CHECK(bn_ops.order_place(st, 45, &r) == QD_ERR_UNSUPPORTED,
		"trailing stops are the host's");

	/* Refusals. */
	r.type = QD_ORDER_MARKET;
	r.tif = QD_TIF_GTC;
	th.n_u = 0;
	bn_ops.order_place(st, 46, &r);
	CHECK(strstr(last_req(), "&type=MARKET&quantity=0.5&newClient") !=
		NULL, "market: %s", last_req());
	answer(st, 400, "{\"code\":-2010,"
		"\"msg\":\"Account has insufficient balance for requested "
		"action.\"}");
	CHECK(th.n_u == 1 && th.u[0].state == QD_ORDER_REJECTED &&
		th.u[0].error == QD_ERR_DENIED && strcmp(th.reason[0],
		"binance -2010: Account has insufficient balance for requested "
		"action.") == 0, "insufficient balance: %s", th.reason[0]);
	CHECK(ih_logged("binance -2010: Account has insufficient"),
		"logged with the code");
	bn_ops.order_place(st, 47, &r);
	answer(st, 400, "{\"code\":-1013,"
		"\"msg\":\"Filter failure: LOT_SIZE\"}");
	CHECK(th.n_u == 2 && th.u[1].error == QD_ERR_INVALID,
		"lot size: QD_ERR_INVALID");
	bn_ops.order_place(st, 48, &r);
	answer(st, 429, "{\"code\":-1003,"
		"\"msg\":\"Too many requests.\"}");
	CHECK(th.n_u == 3 && th.u[2].error == QD_ERR_LIMIT, "429: "
		"QD_ERR_LIMIT");
	CHECK(bn_ops.order_place(st, 49, &r) == QD_ERR_LIMIT,
		"REST paused after a 429: the next order is not sent");
	b->v.rest_blocked_until = 0;
	bn_ops.order_place(st, 50, &r);
	answer(st, 400, "{\"code\":-2010,"
		"\"msg\":\"Duplicate order sent.\"}");
	CHECK(th.n_u == 3 && starts(last_req(), "GET http://rest/api/v3/"
		"order?symbol=BTCUSDT&origClientOrderId=qd1e&"),
		"a duplicate is queried, not rejected: %s", last_req());

	/* The stream: a fill, then a cancel with executed quantity, whose
	 * fills are fetched before it is reported. */
	th.n_u = 0;
	{
		static const char ok[] = "{\"id\":\"uds1\",\"status\":200,"
			"\"result\":{\"subscriptionId\":0}}";

		bn_ops.on_ws_message(st, b->t.user_conn, ok, sizeof(ok) - 1);
	}
	CHECK(b->t.user_open == 1 && (starts(last_req() + 4,
		"http://rest/api/v3/allOrders?") || strstr(last_req(),
		"/api/v3/account?") != NULL), "the subscription's answer "
		"reconciles: %s", last_req());
	{
		static const char trade[] = "{\"subscriptionId\":0,\"event\":"
			"{\"e\":\"executionReport\","
			"\"E\":1700000000100,\"s\":\"BTCUSDT\",\"c\":\"qd16\","
			"\"S\":\"BUY\",\"o\":\"LIMIT\",\"f\":\"GTC\",\"q\":"
			"\"0.50000000\",\"p\":\"30000.50000000\",\"P\":"
			"\"0.00000000\",\"C\":\"\",\"x\":\"TRADE\",\"X\":"
			"\"PARTIALLY_FILLED\",\"r\":\"NONE\",\"i\":28,\"l\":"
			"\"0.20000000\",\"z\":\"0.30000000\",\"L\":"
			"\"30000.50000000\",\"n\":\"6.00010000\",\"N\":\"USDT\","
			"\"T\":1700000000099,\"t\":57,\"m\":true,\"Z\":"
			"\"9000.10000000\"}}";
		static const char cancel[] = "{\"e\":\"executionReport\","
			"\"E\":1700000000200,\"s\":\"BTCUSDT\",\"c\":\"xyz\","
			"\"S\":\"BUY\",\"o\":\"LIMIT\",\"f\":\"GTC\",\"q\":"
			"\"0.50000000\",\"p\":\"30000.50000000\",\"C\":\"qd16\","
			"\"x\":\"CANCELED\",\"X\":\"CANCELED\",\"r\":\"NONE\","
			"\"i\":28,\"l\":\"0.00000000\",\"z\":\"0.30000000\",\"L\":"
			"\"0.00000000\",\"n\":\"0\",\"N\":null,\"T\":1700000000200,"
			"\"t\":-1,\"m\":false,\"Z\":\"9000.10000000\"}";
		static const char trades[] = "[{\"symbol\":\"BTCUSDT\","
			"\"id\":56,\"orderId\":28,\"price\":\"30000.00000000\","
			"\"qty\":\"0.10000000\",\"commission\":\"3.0\","
			"\"commissionAsset\":\"USDT\",\"time\":1700000000001,"
			"\"isBuyer\":true,\"isMaker\":false},{\"symbol\":"
			"\"BTCUSDT\",\"id\":57,\"orderId\":28,\"price\":"
			"\"30000.50000000\",\"qty\":\"0.20000000\",\"commission\":"
			"\"6.0001\",\"commissionAsset\":\"USDT\",\"time\":"
			"1700000000099,\"isBuyer\":true,\"isMaker\":true}]";
		static const char pos[] = "{\"e\":\"outboundAccountPosition\","
			"\"E\":1700000000300,\"u\":1700000000300,\"B\":[{\"a\":"
			"\"BTC\",\"f\":\"1.30000000\",\"l\":\"0.00000000\"},{\"a\":"
			"\"USDT\",\"f\":\"90000.00000000\",\"l\":\"1000.00000000\""
			"}]}";

		bn_ops.on_ws_message(st, b->t.user_conn, trade,
			sizeof(trade) - 1);
		CHECK(th.n_u == 1 && th.u[0].last_qty == 0.2 &&
			th.u[0].maker == 1 && strcmp(th.tid[0], "57") == 0 &&
			th.u[0].fee > 6.0000 && th.u[0].fee < 6.0002 &&
			th.u[0].filled_qty == 0.3, "a stream fill (%d)",
			th.n_u);
		bn_ops.on_ws_message(st, b->t.user_conn, cancel,
			sizeof(cancel) - 1);
		CHECK(th.n_u == 1 && strstr(last_req(), "/api/v3/myTrades?"
			"symbol=BTCUSDT&orderId=28&") != NULL, "a cancel with "
			"executed quantity: its fills first: %s", last_req());
		answer(st, 200, trades);
		CHECK(th.n_u == 4 && strcmp(th.tid[1], "56") == 0 &&
			strcmp(th.tid[2], "57") == 0 && th.u[3].state ==
			QD_ORDER_CANCELED && th.u[3].order_id == 42,
			"fills, then CANCELED (%d)", th.n_u);
		bn_ops.on_ws_message(st, b->t.user_conn, pos,
			sizeof(pos) - 1);
		CHECK(th.n_b == 2 && strcmp(th.asset[1], "USDT") == 0 &&
			th.b[1].total == 91000 && th.b[1].free == 90000,
			"balances from the stream");
		bn_ops.on_ws_message(st, b->t.user_conn, "{\"e\":", 5);
		CHECK(ih_logged("skipped a malformed message"),
			"a malformed message is skipped");
		bn_ops.on_ws_message(st, b->t.user_conn, "{\"id\":\"uds2\","
			"\"status\":400,\"error\":{\"code\":-1022,\"msg\":"
			"\"Signature for this request is not valid.\"}}", 98);
		CHECK(ih_logged("user data stream refused: status 400, "
			"binance -1022: Signature for this request is not "
			"valid."), "a refused subscription is logged");
	}
	{
		/* The reconcile the subscription started: balances, the
		 * last one flagged; orders, then fills since the last one
		 * reported (57), then the orders' states. */
		static const char acct[] = "{\"canTrade\":true,\"balances\":["
			"{\"asset\":\"BTC\",\"free\":\"1.3\",\"locked\":\"0\"},"
			"{\"asset\":\"USDT\",\"free\":\"900\",\"locked\":"
			"\"100\"}]}";
		static const char orders[] = "[{\"symbol\":\"BTCUSDT\","
			"\"orderId\":31,\"clientOrderId\":\"qd1f\",\"price\":"
			"\"29000.00000000\",\"origQty\":\"0.10000000\","
			"\"executedQty\":\"0.05000000\",\"cummulativeQuoteQty\":"
			"\"1450.00000000\",\"status\":\"PARTIALLY_FILLED\","
			"\"type\":\"LIMIT\",\"side\":\"SELL\",\"time\":1,"
			"\"updateTime\":2},{\"symbol\":\"BTCUSDT\",\"orderId\":"
			"32,\"clientOrderId\":\"web_x\",\"price\":\"1.0\","
			"\"origQty\":\"1.0\",\"executedQty\":\"0\","
			"\"cummulativeQuoteQty\":\"0\",\"status\":\"NEW\","
			"\"type\":\"LIMIT\",\"side\":\"BUY\",\"time\":1,"
			"\"updateTime\":2}]";
		static const char fills[] = "[{\"symbol\":\"BTCUSDT\","
			"\"id\":58,\"orderId\":31,\"price\":\"29000.00000000\","
			"\"qty\":\"0.05000000\",\"commission\":\"1.45\","
			"\"commissionAsset\":\"USDT\",\"time\":1700000000400,"
			"\"isBuyer\":false,\"isMaker\":true}]";
		uint64_t id = req_id("/api/v3/account?");

		th.n_b = 0;
		th.n_u = 0;
		bn_ops.on_http_response(st, id, 200, acct, strlen(acct));
		CHECK(th.n_b == 2 && !th.b[0].last && th.b[1].last &&
			th.b[1].total == 1000, "the snapshot's balances, the "
			"last flagged");
		bn_ops.on_http_response(st, req_id("/api/v3/allOrders?"), 200,
			orders, strlen(orders));
		CHECK(strstr(last_req(), "/api/v3/myTrades?symbol=BTCUSDT&"
			"fromId=58&") != NULL, "fills since the last reported: "
			"%s", last_req());
		answer(st, 200, fills);
		CHECK(th.n_u == 2 && th.u[0].order_id == 51 &&
			strcmp(th.tid[0], "58") == 0 && th.u[0].last_qty == 0.05 &&
			th.u[1].state == QD_ORDER_PENDING && th.u[1].order_id ==
			51, "our order's fill, then its state; not the others' "
			"(%d)", th.n_u);
		CHECK(strcmp(th.saved, "BTC/USDT 58\n") == 0, "resume point "
			"%s", th.saved);
	}
	bn_ops.base.stop(st);
	bn_ops.base.destroy(st);
}

/* A restart: the saved resume point is where the fills are asked from. */
static void
resume(void)
{
	struct qd_host_api api;
	struct qd_params params = { 0 };
	static const char ok[] = "{\"id\":\"uds1\",\"status\":200}";
	struct bn *b;
	void *st;

	t_api(&api, 1);
	th.load = 1;
	snprintf(th.saved, sizeof(th.saved), "BTC/USDT 99\n");
	bn_ops.base.create(&api, NULL, &params, &st);
	b = st;
	bn_ops.base.start(st);
	bn_ops.on_ws_open(st, b->t.user_conn);
	bn_ops.on_ws_message(st, b->t.user_conn, ok, sizeof(ok) - 1);
	CHECK(strstr(last_req(), "/api/v3/allOrders?symbol=BTCUSDT&") != NULL,
		"a symbol traded before the restart is reconciled: %s",
		last_req());
	answer(st, 200, "[]");
	CHECK(strstr(last_req(), "/api/v3/myTrades?symbol=BTCUSDT&fromId=100&")
		!= NULL, "from the fill after the saved one: %s", last_req());
	bn_ops.base.stop(st);
	bn_ops.base.destroy(st);
}

static void
no_secrets(void)
{
	struct qd_host_api api;
	struct qd_params params = { 0 };
	struct qd_order_req r;
	void *st;

	t_api(&api, 0);
	bn_ops.base.create(&api, NULL, &params, &st);
	CHECK(bn_ops.base.start(st) == QD_OK, "starts without secrets");
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_SELL;
	r.type = QD_ORDER_MARKET;
	r.qty = 1;
	CHECK(bn_ops.order_place(st, 7, &r) == QD_ERR_DENIED,
		"an order is refused");
	CHECK(ih_logged("no secret \"api_key\" configured"),
		"naming the missing secret");
	CHECK(ih.n_get == 0, "nothing sent");
	bn_ops.base.stop(st);
	bn_ops.base.destroy(st);
}

static int
user(const char *text, struct bn_user *u)
{
	return bn_parse_user(text, strlen(text), u);
}

/* An Ed25519 key: signed with the secret "private_key", the Base64
 * signature percent-encoded in the query. */
static void
ed25519(void)
{
	struct qd_host_api api;
	struct qd_params params = { 0 };
	struct qd_order_req r;
	const char *sig;
	void *st;
	size_t i, n;
	int plain = 1;

	t_api(&api, 1);
	th.ed25519 = 1;
	bn_ops.base.create(&api, NULL, &params, &st);
	CHECK(bn_ops.base.start(st) == QD_OK, "starts with an Ed25519 key");
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_MARKET;
	r.qty = 0.25;
	CHECK(bn_ops.order_place(st, 9, &r) == QD_OK, "an order is sent");
	sig = strstr(last_req(), "&signature=");
	CHECK(sig != NULL, "signed: %s", last_req());
	if (sig != NULL) {
		sig += 11;
		n = strlen(sig);
		for (i = 0; i < n; i++)
			if (sig[i] == '+' || sig[i] == '/' || sig[i] == '=')
				plain = 0;
		/* 64 bytes: 88 Base64 characters, "==" as "%3D%3D". */
		CHECK(plain && n >= 92 && strcmp(sig + n - 6, "%3D%3D") == 0,
			"Base64, percent-encoded: %s", sig);
	}
	bn_ops.base.stop(st);
	bn_ops.base.destroy(st);
}

static void
errors(void)
{
	static const struct { int code; const char *msg; int want; } e[] = {
		{ -2010, "Account has insufficient balance for requested "
		  "action.", QD_ERR_DENIED },
		{ -2010, "Order would immediately match and take.",
		  QD_ERR_INVALID },
		{ -1013, "Filter failure: NOTIONAL", QD_ERR_INVALID },
		{ -1121, "Invalid symbol.", QD_ERR_INVALID },
		{ -1003, "Too many requests.", QD_ERR_LIMIT },
		{ -1015, "Too many new orders.", QD_ERR_LIMIT },
		{ -2013, "Order does not exist.", QD_ERR_NOTFOUND },
		{ -2011, "Unknown order sent.", QD_ERR_NOTFOUND },
		{ -1022, "Signature for this request is not valid.",
		  QD_ERR_DENIED },
		{ -2015, "Invalid API-key, IP, or permissions for action.",
		  QD_ERR_DENIED },
	};
	struct bn_user u;
	char msg[96];
	size_t i;
	int code;

	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		CHECK(bn_error_status(e[i].code, e[i].msg) == e[i].want,
			"%d %s", e[i].code, e[i].msg);
	CHECK(bn_error_duplicate(-2010, "Duplicate order sent.") &&
		!bn_error_duplicate(-2010, "Account has insufficient balance "
		"for requested action."), "duplicates");
	CHECK(bn_parse_error("{\"code\":-1021,\"msg\":\"Timestamp for this "
		"request is outside of the recvWindow.\"}", 79, &code, msg) ==
		0 && code == -1021, "an error body");
	CHECK(bn_parse_error("<html>", 6, &code, msg) == -1, "not one");
	CHECK(user("[]", &u) == -1 && user("{\"e\":"
		"\"executionReport\",\"s\":\"BTCUSDT\"}", &u) == -1,
		"malformed reports refused");
	CHECK(user("{\"subscriptionId\":0,\"event\":{\"e\":"
		"\"outboundAccountPosition\",\"E\":1,\"u\":1,\"B\":[{\"a\":"
		"\"ETH\",\"f\":\"2\",\"l\":\"1\"}]}}", &u) == 0 &&
		u.kind == BN_U_BALANCE && u.n_bal == 1 && u.bal[0].locked == 1,
		"the WebSocket API's wrapper");
	{
		char d[32];

		bn_decimal(0.00001, d, sizeof(d));
		CHECK(strcmp(d, "0.00001") == 0, "decimal %s", d);
		bn_decimal(1e-9, d, sizeof(d));
		CHECK(strcmp(d, "0") == 0, "decimal %s", d);
		bn_decimal(12345678.9, d, sizeof(d));
		CHECK(strcmp(d, "12345678.9") == 0, "decimal %s", d);
	}
}

int
main(void)
{
	/* The shared host's instrument helpers are not this test's. */
	(void)ih_of;
	(void)ih_texts;
	vectors();
	requests();
	resume();
	no_secrets();
	ed25519();
	errors();
	printf("%d checks, %d failed\n", checks, fails);
	return fails != 0;
}
