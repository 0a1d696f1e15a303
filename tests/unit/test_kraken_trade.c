/*
 * test_kraken_trade.c -- Kraken's private side as the adapter builds and
 * reads it (plugins/exchange-kraken/trade_parse.c): the AddOrder body of
 * the documented signing example (docs.kraken.com spot-rest-auth, in
 * ../shared/fixtures/exchanges/signing-vectors.json) built field for field
 * and signed through the host's api->sign code (core/host/sign.c) into the
 * documented API-Sign; decimals and deadlines as text; REST answers
 * (AddOrder, order lists, TradesHistory, BalanceEx, the WebSocket token,
 * Time) and account-stream messages (executions, balances) into the right
 * items; Kraken's error texts into the right qd_status.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "host/sign.h"
#include "../../plugins/exchange-kraken/trade_parse.h"

static int fails, checks;

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

#define MAXP 32
static struct kr_priv got[MAXP];
static int n_got;

static void
collect(void *arg, const struct kr_priv *p)
{
	(void)arg;
	if (n_got < MAXP)
		got[n_got++] = *p;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The documented example: its body from our builder, its signature from
 * the host's sign over (path, nonce + body), as the adapter asks it. */
static void
signing_vector(void)
{
	char path[1024], body[512], msg2[600], sig[128], why[128];
	struct kr_add a;
	struct qd_sign_req r;
	const cJSON *v;
	cJSON *root;
	char *text;
	size_t n = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/../shared/fixtures/exchanges/"
		"signing-vectors.json", QD_TEST_SRCDIR);
	if ((text = slurp(path)) == NULL) {
		CHECK(0, "signing-vectors.json readable at %s", path);
		return;
	}
	root = cJSON_Parse(text);
	free(text);
	v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root,
		"kraken_spot_rest_api_sign"), 0);
	CHECK(v != NULL, "the Kraken spot vector is there");
	if (v == NULL) {
		cJSON_Delete(root);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.ordertype = "limit";
	a.pair = "XBTUSD";
	a.price = "37500";
	a.type = "buy";
	a.volume = "1.25";
	rc = kr_add_body(body, sizeof(body), strtoull(jstr(v, "nonce"), NULL,
		10), &a);
	CHECK(rc > 0 && strcmp(body, jstr(v, "postdata")) == 0,
		"AddOrder body is the documented one: %s", body);
	snprintf(msg2, sizeof(msg2), "%s%s", jstr(v, "nonce"), body);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.alg = QD_SIGN_HMAC_SHA512_B64KEY;
	r.enc = QD_ENC_BASE64;
	r.secret = "api_secret";
	r.msg = jstr(v, "uri_path");
	r.msg_len = strlen(jstr(v, "uri_path"));
	r.msg2 = msg2;
	r.msg2_len = strlen(msg2);
	rc = sign_compute(&r, jstr(v, "secret"), strlen(jstr(v, "secret")),
		sig, sizeof(sig), &n, why, sizeof(why));
	CHECK(rc == QD_OK && strcmp(sig, jstr(v, "api_sign")) == 0,
		"API-Sign is the documented one: %s (%s)", sig, why);
	/* One byte of the body otherwise: another signature. */
	msg2[strlen(msg2) - 1] = '6';
	r.msg2 = msg2;
	rc = sign_compute(&r, jstr(v, "secret"), strlen(jstr(v, "secret")),
		sig, sizeof(sig), &n, why, sizeof(why));
	CHECK(rc == QD_OK && strcmp(sig, jstr(v, "api_sign")) != 0,
		"a changed body signs differently");
	cJSON_Delete(root);
}

static void
requests(void)
{
	char body[512], out[64];
	struct kr_add a;

	memset(&a, 0, sizeof(a));
	a.cl_ord_id = "qd2s";
	a.deadline = "2026-12-03T22:10:00.000Z";
	a.oflags = "fciq,post";
	a.ordertype = "stop-loss-limit";
	a.pair = "XBTUSDT";
	a.price = "29000.5";
	a.price2 = "28990";
	a.timeinforce = "IOC";
	a.type = "sell";
	a.volume = "0.0005";
	kr_add_body(body, sizeof(body), 42, &a);
	CHECK(strcmp(body, "cl_ord_id=qd2s&deadline=2026-12-03T22%3A10%3A00."
		"000Z&nonce=42&oflags=fciq%2Cpost&ordertype=stop-loss-limit&"
		"pair=XBTUSDT&price=29000.5&price2=28990&timeinforce=IOC&"
		"type=sell&volume=0.0005") == 0, "every field in name order, "
		"form-encoded: %s", body);
	CHECK(kr_add_body(body, 40, 42, &a) == -1, "a body that does not fit "
		"is refused");
	kr_decimal(0.00012, out, sizeof(out));
	CHECK(strcmp(out, "0.00012") == 0, "0.00012 plain: %s", out);
	kr_decimal(30000, out, sizeof(out));
	CHECK(strcmp(out, "30000") == 0, "30000 plain: %s", out);
	kr_decimal(1e-9, out, sizeof(out));
	CHECK(strcmp(out, "0") == 0, "below 8 decimals: %s", out);
	kr_rfc3339(1616492376594LL, out, sizeof(out));
	CHECK(strcmp(out, "2021-03-23T09:39:36.594Z") == 0, "deadline text: "
		"%s", out);
	kr_rfc3339(951782400000LL, out, sizeof(out));
	CHECK(strcmp(out, "2000-02-29T00:00:00.000Z") == 0, "a leap day: %s",
		out);
}

static long
rest(enum kr_rest_kind k, const char *json, long *total, char *err)
{
	n_got = 0;
	return kr_parse_rest_private(k, json, strlen(json), collect, NULL,
		total, err);
}

static void
rest_answers(void)
{
	char err[96];
	long n, total;

	n = rest(KR_R_ADD, "{\"error\":[],\"result\":{\"descr\":{\"order\":"
		"\"buy 1.25 XBTUSD @ limit 37500\"},\"txid\":[\"OUF4EM-FRGI2-"
		"MQMWZD\"]}}", NULL, err);
	CHECK(n == 1 && got[0].kind == KP_ADDED &&
		strcmp(got[0].txid, "OUF4EM-FRGI2-MQMWZD") == 0, "AddOrder: "
		"its txid");
	n = rest(KR_R_ADD, "{\"error\":[\"EOrder:Insufficient funds\"]}",
		NULL, err);
	CHECK(n == -2 && strcmp(err, "EOrder:Insufficient funds") == 0 &&
		n_got == 0, "a refusal: -2 and its text");
	n = rest(KR_R_ADD, "{\"error\":[\"\"]}", NULL, err);
	CHECK(n == -2 && err[0] != '\0', "a refusal without text still says "
		"something: %s", err);
	n = rest(KR_R_ORDERS, "{\"error\":[],\"result\":{\"open\":{\"OQCLML-"
		"BW3P3-BUCMWZ\":{\"refid\":null,\"userref\":0,\"cl_ord_id\":"
		"\"qd5\",\"status\":\"open\",\"opentm\":1688666559.8974,"
		"\"descr\":{\"pair\":\"XBTUSD\",\"type\":\"buy\",\"ordertype\":"
		"\"limit\",\"price\":\"30010.0\"},\"vol\":\"1.25\",\"vol_exec\":"
		"\"0.375\",\"cost\":\"11253.75\",\"fee\":\"0\",\"price\":"
		"\"30010.0\"}}}}", NULL, err);
	CHECK(n == 1 && got[0].kind == KP_ORDER && got[0].status == KS_OPEN &&
		strcmp(got[0].cl_ord_id, "qd5") == 0 && got[0].side == 1 &&
		got[0].qty == 1.25 && got[0].cum_qty == 0.375 &&
		fabs(got[0].avg_price - 30010) < 1e-9 &&
		got[0].ts_ms == 1688666559897LL, "OpenOrders: the order, "
		"executed part and average (%ld)", n);
	n = rest(KR_R_ORDERS, "{\"error\":[],\"result\":{\"closed\":{\"O1\":"
		"{\"cl_ord_id\":\"qd6\",\"status\":\"canceled\",\"reason\":"
		"\"User requested\",\"descr\":{\"pair\":\"XBTUSD\",\"type\":"
		"\"sell\"},\"vol\":\"1\",\"vol_exec\":\"0\",\"cost\":\"0\"},"
		"\"O2\":{\"status\":\"expired\",\"descr\":{},\"vol\":\"1\"}},"
		"\"count\":2}}", NULL, err);
	CHECK(n == 2 && got[0].status == KS_CANCELED &&
		strcmp(got[0].reason, "User requested") == 0 &&
		got[1].status == KS_EXPIRED && got[1].cl_ord_id[0] == '\0',
		"ClosedOrders: canceled with its reason, expired");
	n = rest(KR_R_ORDERS, "{\"error\":[],\"result\":{\"open\":{\"O1\":"
		"{\"status\":\"weird\",\"descr\":{}}}}}", NULL, err);
	CHECK(n == -1 && n_got == 0, "an unknown status: malformed, nothing "
		"handed out");
	n = rest(KR_R_TRADES, "{\"error\":[],\"result\":{\"count\":120,"
		"\"trades\":{\"THVRQM-33VKH-UCI7BS\":{\"ordertxid\":\"OQCLML-"
		"BW3P3-BUCMWZ\",\"pair\":\"XXBTZUSD\",\"time\":1688667796.8802,"
		"\"type\":\"buy\",\"ordertype\":\"limit\",\"price\":"
		"\"30010.00000\",\"cost\":\"600.20000\",\"fee\":\"0.00000\","
		"\"vol\":\"0.02000000\",\"margin\":\"0.00000\",\"misc\":\"\","
		"\"maker\":true}}}}", &total, err);
	CHECK(n == 1 && total == 120 && got[0].kind == KP_FILL &&
		strcmp(got[0].trade_id, "THVRQM-33VKH-UCI7BS") == 0 &&
		strcmp(got[0].txid, "OQCLML-BW3P3-BUCMWZ") == 0 &&
		got[0].last_qty == 0.02 && got[0].last_price == 30010 &&
		got[0].maker == 1 && got[0].ts_ms == 1688667796880LL,
		"TradesHistory: the fill and the history's count");
	n = rest(KR_R_TRADES, "{\"error\":[],\"result\":{\"trades\":{\"T\":"
		"{\"ordertxid\":\"O\",\"price\":\"1\",\"vol\":\"0\"}}}}", NULL,
		err);
	CHECK(n == -1, "a fill of nothing is malformed");
	n = rest(KR_R_BALANCE, "{\"error\":[],\"result\":{\"ZUSD\":{\"balance\":"
		"\"25435.21\",\"hold_trade\":\"8249.76\"},\"XXBT\":{\"balance\":"
		"\"1.2\",\"hold_trade\":\"0\"},\"XBT.F\":{\"balance\":\"2\"},"
		"\"USDT\":{\"balance\":\"10\"}}}", NULL, err);
	CHECK(n == 3 && strcmp(got[0].asset, "USD") == 0 &&
		got[0].total == 25435.21 &&
		fabs(got[0].free - (25435.21 - 8249.76)) < 1e-9 &&
		strcmp(got[1].asset, "BTC") == 0 && !got[1].last &&
		strcmp(got[2].asset, "USDT") == 0 && got[2].last,
		"BalanceEx: canonical assets, free = balance - hold, the last "
		"flagged, earn balances (.F) left out (%ld)", n);
	n = rest(KR_R_TOKEN, "{\"error\":[],\"result\":{\"token\":\"1Dwc4lzSwNW"
		"OAwkMdqhssNNFhs1ed606d1WcF3XfEMw\",\"expires\":900}}", NULL,
		err);
	CHECK(n == 1 && got[0].kind == KP_TOKEN &&
		strncmp(got[0].token, "1Dwc4", 5) == 0, "the WebSocket token");
	n = rest(KR_R_TIME, "{\"error\":[],\"result\":{\"unixtime\":1688669448,"
		"\"rfc1123\":\"Thu, 06 Jul 23 18:50:48 +0000\"}}", NULL, err);
	CHECK(n == 1 && got[0].ts_ms == 1688669448000LL, "the venue's time");
	CHECK(rest(KR_R_CANCEL, "{\"error\":[],\"result\":{\"count\":1}}",
		NULL, err) == 1 && got[0].count == 1, "CancelOrder: its count");
	CHECK(rest(KR_R_TIME, "[1,2", NULL, err) == -1 && err[0] != '\0',
		"not JSON: malformed, with a reason");
}

static int
ws(const char *json)
{
	char why[96];

	n_got = 0;
	return kr_parse_private_ws(json, strlen(json), collect, NULL, why);
}

static void
stream(void)
{
	int n;

	n = ws("{\"channel\":\"executions\",\"type\":\"update\",\"data\":[{"
		"\"order_id\":\"OK4GJX-KSTLS-7DZZO5\",\"cl_ord_id\":\"qd9\","
		"\"symbol\":\"BTC/USD\",\"order_qty\":0.5,\"side\":\"buy\","
		"\"exec_type\":\"trade\",\"exec_id\":\"TZ63HS-YBD4M-3RDG7H\","
		"\"trade_id\":365573,\"last_qty\":0.2,\"last_price\":26599.9,"
		"\"liquidity_ind\":\"m\",\"cost\":5319.98,\"cum_qty\":0.2,"
		"\"cum_cost\":5319.98,\"avg_price\":26599.9,\"order_status\":"
		"\"partially_filled\",\"fees\":[{\"asset\":\"USD\",\"qty\":"
		"8.51}],\"timestamp\":\"2023-09-22T10:33:05.709993Z\"}]}");
	CHECK(n == 1 && got[0].kind == KP_FILL &&
		strcmp(got[0].trade_id, "TZ63HS-YBD4M-3RDG7H") == 0 &&
		strcmp(got[0].cl_ord_id, "qd9") == 0 && got[0].last_qty == 0.2 &&
		got[0].last_price == 26599.9 && got[0].fee == 8.51 &&
		strcmp(got[0].fee_asset, "USD") == 0 && got[0].maker &&
		got[0].status == KS_OPEN && got[0].cum_qty == 0.2 &&
		got[0].ts_ms == 1695378785709LL, "executions: a trade is a fill "
		"with its exec id, fee and liquidity");
	n = ws("{\"channel\":\"executions\",\"type\":\"update\",\"data\":[{"
		"\"order_id\":\"O1\",\"cl_ord_id\":\"qd9\",\"exec_type\":"
		"\"canceled\",\"order_status\":\"canceled\",\"reason\":\"User "
		"requested\",\"cum_qty\":0.2},{\"order_id\":\"O2\",\"exec_type\":"
		"\"expired\",\"order_status\":\"expired\"}]}");
	CHECK(n == 2 && got[0].kind == KP_ORDER &&
		got[0].status == KS_CANCELED &&
		strcmp(got[0].reason, "User requested") == 0 &&
		got[1].status == KS_EXPIRED, "executions: canceled, expired");
	n = ws("{\"channel\":\"executions\",\"type\":\"snapshot\",\"data\":[{"
		"\"order_id\":\"O3\",\"cl_ord_id\":\"qd1\",\"order_status\":"
		"\"new\",\"order_qty\":1}]}");
	CHECK(n == 1 && got[0].kind == KP_ORDER && got[0].status == KS_OPEN &&
		got[0].snapshot, "the open orders' snapshot");
	n = ws("{\"channel\":\"executions\",\"type\":\"update\",\"data\":[{"
		"\"order_id\":\"O1\",\"exec_type\":\"trade\",\"last_qty\":1}]}");
	CHECK(n == -1 && n_got == 0, "a trade without its exec id: "
		"malformed");
	n = ws("{\"channel\":\"balances\",\"type\":\"snapshot\",\"data\":[{"
		"\"asset\":\"BTC\",\"asset_class\":\"currency\",\"balance\":"
		"1.2,\"wallets\":[]},{\"asset\":\"USD\",\"balance\":100.5}]}");
	CHECK(n == 2 && got[0].kind == KP_BALANCE &&
		strcmp(got[0].asset, "BTC") == 0 && got[0].total == 1.2 &&
		!got[0].last && got[1].last && got[1].total == 100.5,
		"balances: the snapshot, its last flagged");
	n = ws("{\"channel\":\"balances\",\"type\":\"update\",\"data\":[{"
		"\"asset\":\"USDT\",\"amount\":-10,\"balance\":90,\"type\":"
		"\"trade\"}]}");
	CHECK(n == 1 && got[0].total == 90 && !got[0].last, "balances: an "
		"update is no snapshot");
	n = ws("{\"method\":\"subscribe\",\"success\":false,\"error\":"
		"\"EAccount:Invalid permissions\"}");
	CHECK(n == 1 && got[0].kind == KP_ACK && !got[0].ok &&
		strcmp(got[0].error, "EAccount:Invalid permissions") == 0,
		"a refused subscribe");
	CHECK(ws("{\"channel\":\"heartbeat\"}") == 0, "a heartbeat: nothing");
	CHECK(ws("{\"channel\":\"balances\",\"type\":\"update\"}") == -1,
		"no data: malformed");
}

static void
errors(void)
{
	static const struct { const char *err; int st; } map[] = {
		{ "EOrder:Insufficient funds", QD_ERR_DENIED },
		{ "EAPI:Invalid signature", QD_ERR_DENIED },
		{ "EAPI:Invalid nonce", QD_ERR_DENIED },
		{ "EGeneral:Permission denied", QD_ERR_DENIED },
		{ "EOrder:Order minimum not met", QD_ERR_INVALID },
		{ "EGeneral:Invalid arguments:volume", QD_ERR_INVALID },
		{ "EQuery:Unknown asset pair", QD_ERR_INVALID },
		{ "EOrder:Invalid price:XBTUSD price can only be specified up "
		  "to 1 decimals.", QD_ERR_INVALID },
		{ "EAPI:Rate limit exceeded", QD_ERR_LIMIT },
		{ "EOrder:Rate limit exceeded", QD_ERR_LIMIT },
		{ "EService: Throttled: 1688669448", QD_ERR_LIMIT },
		{ "EOrder:Unknown order", QD_ERR_NOTFOUND },
		{ "EService:Unavailable", QD_ERR_IO },
		{ "EOrder:Duplicate cl_ord_id", QD_ERR_STATE },
	};
	char a[16];
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		CHECK(kr_error_status(map[i].err) == map[i].st, "%s -> %d, "
			"not %d", map[i].err, map[i].st,
			kr_error_status(map[i].err));
	kr_asset("XXDG", a, sizeof(a));
	CHECK(strcmp(a, "DOGE") == 0, "XXDG is DOGE: %s", a);
	kr_asset("ZEUR", a, sizeof(a));
	CHECK(strcmp(a, "EUR") == 0, "ZEUR is EUR: %s", a);
	kr_asset("XTZ", a, sizeof(a));
	CHECK(strcmp(a, "XTZ") == 0, "XTZ stays: %s", a);
}

int
main(void)
{
	signing_vector();
	requests();
	rest_answers();
	stream();
	errors();
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
