/*
 * test_bybit_trade.c -- the Bybit adapter's private side without a host:
 * the string a request signs against the documented examples
 * (../shared/fixtures/exchanges/signing-vectors.json, read where it is),
 * order bodies' decimal text, the venue's private messages (order,
 * execution, wallet topics and REST lists) into events with every field,
 * and the venue's error codes as qd_status.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "../../plugins/exchange-bybit/trade_parse.h"

static int fails, checks;

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

/* The whole file, NUL-terminated, or NULL. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) !=
	    NULL) {
		if (fread(buf, 1, (size_t)n, f) == (size_t)n)
			buf[n] = '\0';
		else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

#define MAXEV 16
static struct bp_event got[MAXEV];
static int n_got;

static void
collect(void *arg, const struct bp_event *ev)
{
	(void)arg;
	if (n_got < MAXEV)
		got[n_got++] = *ev;
}

/* The documented GET and POST strings to sign, rebuilt from their parts:
 * timestamp, key and receive window are the string's first 13, 10 and 4
 * characters (the doc's example values), the rest the payload. */
static void
prehash_documented(const char *dir)
{
	static const char *const keys[] = { "string_to_sign_GET",
		"string_to_sign_POST" };
	char path[1200], out[512], ts[16], key[16], rw[8];
	const cJSON *arr, *v;
	cJSON *j;
	size_t k;
	char *text;
	int seen = 0;

	snprintf(path, sizeof(path), "%s/signing-vectors.json", dir);
	text = slurp(path);
	CHECK(text != NULL, "signing-vectors.json is readable at %s", path);
	if (text == NULL)
		return;
	j = cJSON_Parse(text);
	arr = cJSON_GetObjectItemCaseSensitive(j, "bybit_v5_hmac_sha256_hex");
	cJSON_ArrayForEach(v, arr) {
		for (k = 0; k < 2; k++) {
			const cJSON *s = cJSON_GetObjectItemCaseSensitive(v,
				keys[k]);
			const char *want;

			if (!cJSON_IsString(s))
				continue;
			want = s->valuestring;
			snprintf(ts, sizeof(ts), "%.13s", want);
			snprintf(key, sizeof(key), "%.10s", want + 13);
			snprintf(rw, sizeof(rw), "%.4s", want + 23);
			CHECK(strcmp(ts, k == 0 ? "1658384314791" :
				"1658385579423") == 0 && strcmp(key,
				"XXXXXXXXXX") == 0 && strcmp(rw, "5000") == 0,
				"the documented %s starts with timestamp, key "
				"and window: %s", keys[k], want);
			CHECK(bp_prehash(out, sizeof(out), ts, key, rw,
				want + 27) == (int)strlen(want) &&
				strcmp(out, want) == 0, "prehash of %s: %s",
				keys[k], out);
			seen++;
		}
	}
	CHECK(seen == 2, "both documented strings were checked (%d)", seen);
	/* And from the parts the guide lists, not the string itself. */
	CHECK(bp_prehash(out, sizeof(out), "1658384314791", "XXXXXXXXXX",
		"5000", "category=option&symbol=BTC-29JUL22-25000-C") > 0 &&
		strcmp(out, "1658384314791XXXXXXXXXX5000category=option&"
		"symbol=BTC-29JUL22-25000-C") == 0, "GET prehash: %s", out);
	CHECK(bp_prehash(out, sizeof(out), "1658385579423", "XXXXXXXXXX",
		"5000", "{\"category\": \"option\"}") > 0 && strcmp(out,
		"1658385579423XXXXXXXXXX5000{\"category\": \"option\"}") == 0,
		"POST prehash: %s", out);
	CHECK(bp_prehash(out, 8, "1", "2", "3", "too long") == -1,
		"a prehash that does not fit is refused");
	cJSON_Delete(j);
	free(text);
}

static void
decimals(void)
{
	char b[40];

	CHECK(bp_decimal(0.01, b, sizeof(b)) > 0 && strcmp(b, "0.01") == 0,
		"0.01 -> %s", b);
	CHECK(bp_decimal(30000, b, sizeof(b)) > 0 && strcmp(b, "30000") == 0,
		"30000 -> %s", b);
	CHECK(bp_decimal(0.00000123, b, sizeof(b)) > 0 &&
		strcmp(b, "0.00000123") == 0, "1.23e-6 -> %s (no exponent)",
		b);
	CHECK(bp_decimal(0, b, sizeof(b)) > 0 && strcmp(b, "0") == 0,
		"0 -> %s", b);
	CHECK(bp_decimal(NAN, b, sizeof(b)) == -1, "NaN is refused");
}

static void
errors(void)
{
	CHECK(bp_error_status(170131, 200) == QD_ERR_DENIED,
		"insufficient balance is DENIED");
	CHECK(bp_error_status(10004, 200) == QD_ERR_DENIED,
		"a bad signature is DENIED");
	CHECK(bp_error_status(170137, 200) == QD_ERR_INVALID,
		"too many decimals in qty is INVALID");
	CHECK(bp_error_status(170140, 200) == QD_ERR_INVALID,
		"under the minimum order value is INVALID");
	CHECK(bp_error_status(170121, 200) == QD_ERR_INVALID,
		"an invalid symbol is INVALID");
	CHECK(bp_error_status(10001, 200) == QD_ERR_INVALID,
		"a params error is INVALID");
	CHECK(bp_error_status(10006, 200) == QD_ERR_LIMIT,
		"too many visits is LIMIT");
	CHECK(bp_error_status(0, 429) == QD_ERR_LIMIT, "HTTP 429 is LIMIT");
	CHECK(bp_error_status(0, 403) == QD_ERR_LIMIT, "HTTP 403 is LIMIT");
	CHECK(bp_error_status(170213, 200) == QD_ERR_NOTFOUND,
		"an unknown order is NOTFOUND");
	CHECK(bp_is_duplicate(170141) && !bp_is_duplicate(170131),
		"170141 is the duplicate client id");
	CHECK(bp_is_rate_limit(10006, 200) && bp_is_rate_limit(0, 418) &&
		!bp_is_rate_limit(170131, 200), "rate limits are told apart");
}

static void
fees(void)
{
	double f;

	CHECK(bp_fee_quote("BTCUSDT", "USDT", 0.3, 30000, &f) == 0 &&
		f == 0.3, "a quote fee is kept (%g)", f);
	CHECK(bp_fee_quote("BTCUSDT", "BTC", 0.00001, 30000, &f) == 1 &&
		fabs(f - 0.3) < 1e-12, "a base fee is converted (%g)", f);
	CHECK(bp_fee_quote("BTCUSDT", "MNT", 0.5, 30000, &f) == -1 && f == 0,
		"another asset's fee counts 0 (%g)", f);
}

static int
ws(const char *msg)
{
	char why[96] = "";

	n_got = 0;
	return bp_parse_ws(msg, strlen(msg), collect, NULL, why);
}

static void
stream(void)
{
	char why[96] = "";

	CHECK(ws("{\"topic\":\"order\",\"id\":\"5923240c\",\"creationTime\":"
		"1672364262474,\"data\":[{\"symbol\":\"BTCUSDT\",\"orderId\":"
		"\"1616\",\"side\":\"Buy\",\"orderType\":\"Limit\",\"price\":"
		"\"30000.5\",\"qty\":\"0.02\",\"timeInForce\":\"IOC\","
		"\"orderStatus\":\"PartiallyFilledCanceled\",\"orderLinkId\":"
		"\"qd1z\",\"cumExecQty\":\"0.01\",\"avgPrice\":\"30000.1\","
		"\"rejectReason\":\"EC_NoError\",\"updatedTime\":"
		"\"1672364262475\",\"category\":\"spot\"}]}") == 1 &&
		n_got == 1, "an order message is one event");
	CHECK(got[0].kind == BP_ORDER && strcmp(got[0].symbol, "BTCUSDT") ==
		0 && strcmp(got[0].cid, "qd1z") == 0 &&
		strcmp(got[0].order_id, "1616") == 0 &&
		strcmp(got[0].status, "PartiallyFilledCanceled") == 0 &&
		strcmp(got[0].tif, "IOC") == 0 && strcmp(got[0].side, "Buy") ==
		0 && got[0].qty == 0.02 && got[0].price == 30000.5 &&
		got[0].cum_qty == 0.01 && got[0].avg_price == 30000.1 &&
		got[0].ts_ms == 1672364262475LL, "order fields");
	CHECK(ws("{\"topic\":\"execution\",\"data\":[{\"category\":\"spot\","
		"\"symbol\":\"BTCUSDT\",\"execId\":\"e-1\",\"execPrice\":"
		"\"30000.1\",\"execQty\":\"0.004\",\"execFee\":\"0.000004\","
		"\"feeCurrency\":\"BTC\",\"isMaker\":true,\"orderId\":\"1616\","
		"\"orderLinkId\":\"qd1z\",\"side\":\"Buy\",\"execTime\":"
		"\"1672364174443\"},{\"category\":\"spot\",\"symbol\":"
		"\"BTCUSDT\",\"execId\":\"e-2\",\"execPrice\":\"30000.2\","
		"\"execQty\":\"0.006\",\"execFee\":\"0.18\",\"feeCurrency\":"
		"\"USDT\",\"isMaker\":false,\"orderLinkId\":\"qd1z\","
		"\"execTime\":\"1672364174444\"}]}") == 2 && n_got == 2,
		"an execution message with two fills");
	CHECK(got[0].kind == BP_EXEC && strcmp(got[0].exec_id, "e-1") == 0 &&
		got[0].exec_qty == 0.004 && got[0].exec_price == 30000.1 &&
		got[0].exec_fee == 0.000004 && strcmp(got[0].fee_ccy, "BTC") ==
		0 && got[0].maker == 1 && got[0].ts_ms == 1672364174443LL &&
		strcmp(got[0].cid, "qd1z") == 0, "first fill's fields");
	CHECK(got[1].kind == BP_EXEC && got[1].maker == 0 &&
		strcmp(got[1].exec_id, "e-2") == 0 && got[1].exec_fee == 0.18,
		"second fill's fields");
	CHECK(ws("{\"topic\":\"wallet\",\"data\":[{\"accountType\":"
		"\"UNIFIED\",\"coin\":[{\"coin\":\"USDT\",\"walletBalance\":"
		"\"1000.5\",\"locked\":\"200\"},{\"coin\":\"BTC\","
		"\"walletBalance\":\"0.5\",\"locked\":\"\"}]}]}") == 2,
		"a wallet message: one event per coin");
	CHECK(got[0].kind == BP_BALANCE && strcmp(got[0].coin, "USDT") == 0 &&
		got[0].total == 1000.5 && got[0].free == 800.5 &&
		strcmp(got[1].coin, "BTC") == 0 && got[1].free == 0.5,
		"balance fields");
	CHECK(ws("{\"success\":false,\"ret_msg\":\"Params Error\",\"op\":"
		"\"auth\",\"conn_id\":\"x\"}") == 1 && got[0].kind == BP_ACK &&
		!got[0].success && strcmp(got[0].op, "auth") == 0 &&
		strcmp(got[0].ret_msg, "Params Error") == 0,
		"a refused auth is an ack with its message");
	CHECK(ws("{\"topic\":\"position\",\"data\":[]}") == 0,
		"a topic not asked for is nothing");
	CHECK(ws("{\"topic\":\"execution\",\"data\":[{\"symbol\":"
		"\"BTCUSDT\",\"execId\":\"e\",\"execQty\":\"x\"}]}") == -1,
		"a fill with a malformed quantity is refused");
	CHECK(bp_parse_ws("{\"topic\":\"wallet\",\"data\":[{\"coin\":1}]}",
		38, collect, NULL, why) == -1 && strstr(why, "coin") != NULL,
		"a wallet without a coin list is refused (%s)", why);
	CHECK(bp_parse_ws("[1,2", 4, collect, NULL, why) == -1,
		"not JSON is refused");
}

static void
rest(void)
{
	struct bp_rest r;
	char why[96] = "";
	const char *ok = "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{"
		"\"nextPageCursor\":\"page2\",\"category\":\"spot\",\"list\":[{"
		"\"symbol\":\"ETHUSDT\",\"orderLinkId\":\"qd2\",\"orderId\":"
		"\"9\",\"orderStatus\":\"New\",\"qty\":\"1\",\"price\":"
		"\"2000\","
		"\"cumExecQty\":\"0\",\"avgPrice\":\"\",\"timeInForce\":"
		"\"GTC\",\"side\":\"Sell\"}]},\"retExtInfo\":{},\"time\":"
		"1672364262480}";
	const char *bad = "{\"retCode\":170131,\"retMsg\":\"Insufficient "
		"balance.\",\"result\":{},\"retExtInfo\":{},\"time\":1}";

	n_got = 0;
	CHECK(bp_parse_rest(ok, strlen(ok), &r, collect, NULL, why) == 1 &&
		r.code == 0 && strcmp(r.msg, "OK") == 0 &&
		r.time_ms == 1672364262480LL && strcmp(r.cursor, "page2") == 0,
		"an open-orders answer: code, time, cursor");
	CHECK(got[0].kind == BP_ORDER && strcmp(got[0].status, "New") == 0 &&
		got[0].avg_price == 0 && got[0].price == 2000,
		"its order, avgPrice \"\" as 0");
	n_got = 0;
	CHECK(bp_parse_rest(bad, strlen(bad), &r, collect, NULL, why) == 0 &&
		r.code == 170131 && strcmp(r.msg, "Insufficient balance.") == 0
		&& n_got == 0, "an error answer: its code and message");
	CHECK(bp_error_status(r.code, 200) == QD_ERR_DENIED,
		"and it maps to DENIED");
	CHECK(bp_parse_rest("<html>", 6, &r, collect, NULL, why) == -1 &&
		why[0] != '\0', "not JSON is refused");
}

int
main(void)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/../shared/fixtures/exchanges",
		QD_TEST_SRCDIR);
	prehash_documented(path);
	decimals();
	errors();
	fees();
	stream();
	rest();
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
