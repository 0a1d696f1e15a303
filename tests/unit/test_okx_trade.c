/*
 * test_okx_trade.c -- the OKX adapter's trading side without a host: the
 * strings it signs built as the venue documents them (REST: timestamp +
 * METHOD + requestPath with its query + body; WebSocket login: timestamp
 * in seconds + "GET" + "/users/self/verify", the docs' examples), the
 * OK-ACCESS-TIMESTAMP form, quantities as plain decimals, private
 * messages and REST answers in the venue's documented shapes parsed into
 * the right records, and the venue's error codes mapped to qd_status.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "../../plugins/exchange-okx/trade_parse.h"

static int checks, fails;

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

#define MAXREC 16
static struct okt_rec got[MAXREC];
static int n_got;

static void
collect(void *arg, const struct okt_rec *r)
{
	(void)arg;
	if (n_got < MAXREC)
		got[n_got++] = *r;
}

static long
rest(const char *text, enum okt_kind as, struct okt_rec *err)
{
	char why[96] = "";

	n_got = 0;
	return okt_parse_rest(text, strlen(text), as, collect, NULL, err, why);
}

static int
ws(const char *text)
{
	char why[96] = "";

	n_got = 0;
	return okt_parse_ws(text, strlen(text), collect, NULL, why);
}

static int
near(double a, double b)
{
	return fabs(a - b) < 1e-12;
}

static void
signing(void)
{
	char buf[256];
	size_t n;

	n = okt_prehash(buf, sizeof(buf), "2020-12-08T09:08:57.715Z", "GET",
		"/api/v5/account/balance?ccy=BTC", NULL);
	CHECK(strcmp(buf, "2020-12-08T09:08:57.715ZGET/api/v5/account/"
		"balance?ccy=BTC") == 0 && n == strlen(buf),
		"GET: the query is part of the path, no body: %s", buf);
	okt_prehash(buf, sizeof(buf), "2020-12-08T09:08:57.715Z", "POST",
		"/api/v5/account/set-leverage",
		"{\"instId\":\"BTC-USDT\",\"lever\":\"5\",\"mgnMode\":"
		"\"isolated\"}");
	CHECK(strcmp(buf, "2020-12-08T09:08:57.715ZPOST/api/v5/account/"
		"set-leverage{\"instId\":\"BTC-USDT\",\"lever\":\"5\","
		"\"mgnMode\":\"isolated\"}") == 0, "POST: the body follows: %s",
		buf);
	okt_login_prehash(buf, sizeof(buf), "1538054050");
	CHECK(strcmp(buf, "1538054050GET/users/self/verify") == 0,
		"the login's string: %s", buf);
	okt_iso_time(1607418537715LL, buf, sizeof(buf));
	CHECK(strcmp(buf, "2020-12-08T09:08:57.715Z") == 0,
		"OK-ACCESS-TIMESTAMP in the docs' form: %s", buf);
	okt_iso_time(1607418537005LL, buf, sizeof(buf));
	CHECK(strcmp(buf, "2020-12-08T09:08:57.005Z") == 0,
		"milliseconds kept three digits: %s", buf);
	okt_decimal(0.00012, buf, sizeof(buf));
	CHECK(strcmp(buf, "0.00012") == 0, "no exponent: %s", buf);
	okt_decimal(43210.5, buf, sizeof(buf));
	CHECK(strcmp(buf, "43210.5") == 0, "trailing zeros trimmed: %s", buf);
	okt_decimal(5, buf, sizeof(buf));
	CHECK(strcmp(buf, "5") == 0, "an integer bare: %s", buf);
}

static void
orders(void)
{
	struct okt_rec err;
	long n;

	/* The orders channel's push, as documented (trimmed to the fields
	 * read and a few others). */
	n = ws("{\"arg\":{\"channel\":\"orders\",\"instType\":\"SPOT\","
		"\"uid\":\"614488474791936\"},\"data\":[{\"accFillSz\":\"0.001\","
		"\"avgPx\":\"31527.1\",\"cTime\":\"1654084334977\","
		"\"clOrdId\":\"qd2s\",\"execType\":\"M\",\"fee\":\"-0.02\","
		"\"feeCcy\":\"USDT\",\"fillFee\":\"-0.0000001\","
		"\"fillFeeCcy\":\"BTC\",\"fillPx\":\"31527.1\","
		"\"fillSz\":\"0.001\",\"fillTime\":\"1654084353263\","
		"\"instId\":\"BTC-USDT\",\"instType\":\"SPOT\","
		"\"ordId\":\"452197707845865472\",\"ordType\":\"limit\","
		"\"px\":\"31527.1\",\"side\":\"buy\",\"state\":\"partially_filled\","
		"\"sz\":\"0.002\",\"tdMode\":\"cash\",\"tradeId\":\"242589207\","
		"\"uTime\":\"1654084353264\",\"code\":\"0\",\"msg\":\"\"}]}");
	CHECK(n == 1 && n_got == 1 && got[0].kind == OKT_ORDER,
		"an orders push is one order record");
	CHECK(strcmp(got[0].cl_ord_id, "qd2s") == 0 &&
		qd_client_order_id_parse(got[0].cl_ord_id) == 100 &&
		strcmp(got[0].inst, "BTC-USDT") == 0 &&
		strcmp(got[0].state, "partially_filled") == 0 &&
		strcmp(got[0].ord_id, "452197707845865472") == 0,
		"its ids and state");
	CHECK(near(got[0].fill_sz, 0.001) && near(got[0].fill_px, 31527.1) &&
		strcmp(got[0].trade_id, "242589207") == 0 && got[0].maker &&
		near(got[0].fee, -0.0000001) &&
		strcmp(got[0].fee_ccy, "BTC") == 0 &&
		got[0].ts_ms == 1654084353263LL,
		"its fill: size, price, trade id, maker, fee (the fill's own)");
	CHECK(near(got[0].acc_fill_sz, 0.001) && near(got[0].sz, 0.002) &&
		near(got[0].px, 31527.1), "the order's size and filled");

	/* The account channel: one balance per detail. */
	n = ws("{\"arg\":{\"channel\":\"account\",\"uid\":\"44\"},\"data\":[{"
		"\"uTime\":\"1597026383085\",\"totalEq\":\"41624.3\","
		"\"details\":[{\"ccy\":\"BTC\",\"cashBal\":\"1.5\",\"availBal\":"
		"\"1.2\",\"frozenBal\":\"0.3\",\"eq\":\"1.5\"},{\"ccy\":\"USDT\","
		"\"cashBal\":\"1000\",\"availBal\":\"900\"}]}]}");
	CHECK(n == 2 && got[0].kind == OKT_BALANCE &&
		strcmp(got[0].ccy, "BTC") == 0 && near(got[0].total, 1.5) &&
		near(got[0].avail, 1.2) && strcmp(got[1].ccy, "USDT") == 0 &&
		near(got[1].total, 1000), "account push: balances");

	n = ws("{\"event\":\"login\",\"code\":\"0\",\"msg\":\"\","
		"\"connId\":\"a4d3ae55\"}");
	CHECK(n == 1 && got[0].kind == OKT_EVENT &&
		strcmp(got[0].event, "login") == 0 &&
		strcmp(got[0].code, "0") == 0, "the login answer");
	n = ws("{\"event\":\"error\",\"code\":\"60009\",\"msg\":\"Login "
		"failed.\",\"connId\":\"a4d3ae55\"}");
	CHECK(n == 1 && strcmp(got[0].code, "60009") == 0 &&
		strcmp(got[0].msg, "Login failed.") == 0, "a login refusal");
	CHECK(ws("pong") == 1 && got[0].kind == OKT_PONG, "pong");
	CHECK(ws("{\"arg\":{\"channel\":\"orders\"}}") < 0 && ws("[1]") < 0 &&
		ws("{") < 0, "malformed pushes refused");

	/* Place: taken; refused per item (code "1", sCode); refused whole
	 * (an authentication error, HTTP 401). */
	n = rest("{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"clOrdId\":\"qd1\","
		"\"ordId\":\"312269865356374016\",\"tag\":\"\",\"ts\":"
		"\"1695190491421\",\"sCode\":\"0\",\"sMsg\":\"\"}],"
		"\"inTime\":\"1695190491421339\",\"outTime\":\"1695190491423240\"}",
		OKT_ORDER, &err);
	CHECK(n == 1 && strcmp(got[0].code, "0") == 0 &&
		strcmp(got[0].ord_id, "312269865356374016") == 0,
		"a place taken");
	n = rest("{\"code\":\"1\",\"msg\":\"All operations failed\",\"data\":"
		"[{\"clOrdId\":\"qd1\",\"ordId\":\"\",\"tag\":\"\",\"sCode\":"
		"\"51008\",\"sMsg\":\"Order failed. Insufficient USDT balance "
		"in account.\"}]}", OKT_ORDER, &err);
	CHECK(n == 1 && strcmp(got[0].code, "51008") == 0 &&
		strncmp(got[0].msg, "Order failed. Insufficient", 26) == 0,
		"a place refused: the item's sCode and sMsg");
	n = rest("{\"msg\":\"Invalid Sign\",\"code\":\"50113\"}", OKT_ORDER,
		&err);
	CHECK(n == -2 && strcmp(err.code, "50113") == 0 &&
		strcmp(err.msg, "Invalid Sign") == 0,
		"a refusal of the whole call: code and msg");
	n = rest("{\"code\":\"51603\",\"msg\":\"Order does not exist\","
		"\"data\":[]}", OKT_ORDER, &err);
	CHECK(n == -2 && strcmp(err.code, "51603") == 0, "an unknown order");

	/* Fills, balances and the time over REST. */
	n = rest("{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"side\":\"sell\","
		"\"fillSz\":\"0.5\",\"fillPx\":\"100.25\",\"fee\":\"-0.05\","
		"\"feeCcy\":\"USDT\",\"ordId\":\"7\",\"instId\":\"BTC-USDT\","
		"\"clOrdId\":\"qd3\",\"billId\":\"391\",\"tradeId\":\"55\","
		"\"execType\":\"T\",\"ts\":\"1700000000123\"}]}", OKT_FILL, &err);
	CHECK(n == 1 && got[0].kind == OKT_FILL && near(got[0].fill_sz, 0.5) &&
		near(got[0].fill_px, 100.25) && near(got[0].fee, -0.05) &&
		!got[0].maker && strcmp(got[0].bill_id, "391") == 0 &&
		strcmp(got[0].trade_id, "55") == 0 &&
		got[0].ts_ms == 1700000000123LL, "a fill of /trade/fills");
	n = rest("{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"totalEq\":\"1\","
		"\"details\":[{\"ccy\":\"USDT\",\"cashBal\":\"250.5\","
		"\"availBal\":\"200\"}]}]}", OKT_BALANCE, &err);
	CHECK(n == 1 && strcmp(got[0].ccy, "USDT") == 0 &&
		near(got[0].total, 250.5) && near(got[0].avail, 200),
		"/account/balance");
	n = rest("{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"ts\":"
		"\"1597026383085\"}]}", OKT_TIME, &err);
	CHECK(n == 1 && got[0].ts_ms == 1597026383085LL, "/public/time");
	CHECK(rest("{\"data\":[]}", OKT_ORDER, &err) == -1 &&
		rest("nope", OKT_FILL, &err) == -1 &&
		rest("{\"code\":\"0\"}", OKT_FILL, &err) == -1,
		"malformed answers refused");
}

static void
errors(void)
{
	CHECK(okt_status_of("51008") == QD_ERR_DENIED, "insufficient balance");
	CHECK(okt_status_of("51121") == QD_ERR_INVALID, "lot size");
	CHECK(okt_status_of("51020") == QD_ERR_INVALID, "minimum size");
	CHECK(okt_status_of("51001") == QD_ERR_INVALID, "bad symbol");
	CHECK(okt_status_of("51000") == QD_ERR_INVALID, "bad parameter");
	CHECK(okt_status_of("50011") == QD_ERR_LIMIT, "rate limit");
	CHECK(okt_status_of("50061") == QD_ERR_LIMIT, "order rate limit");
	CHECK(okt_status_of("51603") == QD_ERR_NOTFOUND, "unknown order");
	CHECK(okt_status_of("50113") == QD_ERR_DENIED, "bad signature");
}

int
main(void)
{
	signing();
	orders();
	errors();
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
