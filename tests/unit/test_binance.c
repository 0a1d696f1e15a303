/*
 * test_binance.c -- the Binance adapter's parser against the documented
 * messages (../shared/fixtures/exchanges/binance-*.json) and the messages
 * recorded from the venue with their normalised meaning
 * (../shared/fixtures/exchanges-recorded/binance.json): every field of the
 * normalised event is checked.  The fixtures are read where they are, never
 * copied; without them the test reports itself skipped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "venue_fixtures.h"
#include "../../plugins/exchange-binance/parse.h"


/* The expected decimal text as the double it means. */
static void
check_trade(const char *id, const struct bn_event *e, const cJSON *x)
{
	char nat[32];
	const cJSON *side = cJSON_GetObjectItemCaseSensitive(x, "side");
	const cJSON *tid = cJSON_GetObjectItemCaseSensitive(x, "trade_id");

	native_of(x, nat, sizeof(nat));
	CHECK(e->kind == BN_TRADE, "%s: kind %d", id, e->kind);
	CHECK(strcmp(e->native, nat) == 0, "%s: symbol %s", id, e->native);
	CHECK(e->price == dec(x, "price"), "%s: price %.17g", id, e->price);
	CHECK(e->qty == dec(x, "qty"), "%s: qty %.17g", id, e->qty);
	CHECK(e->ts_ms == (int64_t)dec(x, "ts_ms"), "%s: ts %lld", id,
		(long long)e->ts_ms);
	CHECK(cJSON_IsString(side) && e->side == (strcmp(side->valuestring,
		"buy") == 0 ? 1 : 2), "%s: side %d", id, e->side);
	CHECK(cJSON_IsString(tid) && e->id == strtoull(tid->valuestring, NULL,
		10), "%s: trade id %llu", id, (unsigned long long)e->id);
}

static void
check_kline(const char *id, const struct bn_event *e, const cJSON *x,
	int ws)
{
	char nat[32];
	const cJSON *closed = cJSON_GetObjectItemCaseSensitive(x, "closed");

	CHECK(e->kind == BN_KLINE, "%s: kind %d", id, e->kind);
	if (ws) {
		native_of(x, nat, sizeof(nat));
		CHECK(strcmp(e->native, nat) == 0, "%s: symbol", id);
		CHECK(strcmp(e->interval, cJSON_GetObjectItemCaseSensitive(x,
			"timeframe")->valuestring) == 0, "%s: interval", id);
	}
	CHECK(e->ts_ms == (int64_t)dec(x, "open_time_ms"), "%s: open time",
		id);
	CHECK(e->open == dec(x, "open"), "%s: open", id);
	CHECK(e->high == dec(x, "high"), "%s: high", id);
	CHECK(e->low == dec(x, "low"), "%s: low", id);
	CHECK(e->close == dec(x, "close"), "%s: close", id);
	CHECK(e->volume == dec(x, "volume"), "%s: volume", id);
	if (cJSON_IsBool(closed))
		CHECK(e->closed == cJSON_IsTrue(closed), "%s: closed", id);
}

static void
check_book(const char *id, const struct bn_event *e, const cJSON *x)
{
	char nat[32];

	native_of(x, nat, sizeof(nat));
	CHECK(e->kind == BN_BOOK, "%s: kind %d", id, e->kind);
	CHECK(strcmp(e->native, nat) == 0, "%s: symbol", id);
	CHECK(e->bid == dec(x, "bid") && e->bid_qty == dec(x, "bid_qty") &&
		e->ask == dec(x, "ask") && e->ask_qty == dec(x, "ask_qty"),
		"%s: bid/ask", id);
}

struct rows { const char *id; const cJSON *x; int i; };

static void
rest_row(void *arg, const struct bn_event *k)
{
	struct rows *r = arg;
	const cJSON *x = cJSON_GetArrayItem(r->x, r->i++);
	char id[64];

	snprintf(id, sizeof(id), "%s[%d]", r->id, r->i - 1);
	CHECK(x != NULL, "%s: more rows than expected", id);
	if (x != NULL)
		check_kline(id, k, x, 0);
}

static int
recorded(const char *path)
{
	size_t len;
	char *text = slurp(path, &len);
	cJSON *cases, *c;
	int n = 0;

	if (text == NULL) {
		printf("skipped: no recorded fixtures at %s\n", path);
		return -1;
	}
	cases = cJSON_Parse(text);
	free(text);
	cJSON_ArrayForEach(c, cases) {
		const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
		const char *kind = cJSON_GetObjectItem(c, "kind")->valuestring;
		const char *raw = cJSON_GetObjectItem(c, "raw")->valuestring;
		const cJSON *x = cJSON_GetObjectItem(c, "expect");
		struct bn_event e;
		int rc;

		if (strncmp(kind, "ws_", 3) == 0 && strcmp(kind,
		    "ws_order_update") != 0) {
			rc = bn_parse_ws(raw, strlen(raw), &e);
			CHECK(rc == 0, "%s: parse: %s", id, e.error);
			if (rc != 0)
				continue;
			if (strcmp(kind, "ws_trade") == 0)
				check_trade(id, &e, x);
			else if (strcmp(kind, "ws_kline") == 0)
				check_kline(id, &e, x, 1);
			else if (strcmp(kind, "ws_book_top") == 0)
				check_book(id, &e, x);
			n++;
		} else if (strcmp(kind, "rest_klines") == 0) {
			struct rows r = { id, x, 0 };
			long got = bn_parse_klines(raw, strlen(raw),
				INT64_MAX, rest_row, &r);

			CHECK(got == cJSON_GetArraySize(x), "%s: %ld rows", id,
				got);
			n++;
		}
	}
	cJSON_Delete(cases);
	return n;
}

static void
ignore_row(void *arg, const struct bn_event *k)
{
	(void)arg;
	(void)k;
}

static void
documented(const char *dir)
{
	static const char *const files[] = { "binance-trade.json",
		"binance-aggtrade.json", "binance-kline.json",
		"binance-rest-klines-response.json",
		"binance-subscribe-response.json" };
	char path[2048];
	struct bn_event e;
	size_t i, len;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *t;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if ((t = slurp(path, &len)) == NULL) {
			printf("skipped: no documented fixture %s\n", path);
			continue;
		}
		if (i < 2) {
			CHECK(bn_parse_ws(t, len, &e) == 0 && e.kind ==
				BN_TRADE && strcmp(e.native, "BNBBTC") == 0 &&
				e.price == 0.001 && e.qty == 100 &&
				e.ts_ms == 1672515782136 && e.side == 2 &&
				e.id == 12345, "%s", files[i]);
		} else if (i == 2) {
			CHECK(bn_parse_ws(t, len, &e) == 0 && e.kind ==
				BN_KLINE && e.ts_ms == 1672515780000 &&
				e.open == 0.001 && e.close == 0.002 &&
				e.high == 0.0025 && e.low == 0.0015 &&
				e.volume == 1000 && e.trades == 100 &&
				!e.closed && e.quote_volume == 1.0, "%s",
				files[i]);
		} else if (i == 3) {
			CHECK(bn_parse_klines(t, len, INT64_MAX, ignore_row,
				NULL) >= 1, "%s", files[i]);
		} else {
			CHECK(bn_parse_ws(t, len, &e) == 0 && e.kind ==
				BN_RESULT, "%s", files[i]);
		}
		free(t);
	}
}

static void
malformed(void)
{
	static const char *const bad[] = {
		"", "{", "[]", "nul",
		"{\"e\":\"trade\",\"s\":\"BTCUSDT\",\"p\":\"x\",\"q\":\"1\","
		"\"t\":1,\"T\":1,\"m\":true}",
		"{\"e\":\"trade\",\"s\":\"BTCUSDT\",\"p\":\"-1\",\"q\":\"1\","
		"\"t\":1,\"T\":1,\"m\":true}",
		"{\"e\":\"trade\",\"s\":\"BTC/USDT\",\"p\":\"1\",\"q\":\"1\","
		"\"t\":1,\"T\":1,\"m\":true}",
		"{\"e\":\"trade\",\"s\":\"BTCUSDT\",\"p\":\"1\",\"q\":\"1\","
		"\"t\":1.5,\"T\":1,\"m\":true}",
		"{\"e\":\"kline\",\"s\":\"BTCUSDT\",\"k\":{\"t\":0,\"T\":1,"
		"\"s\":\"BTCUSDT\",\"i\":\"1m\",\"o\":\"0\",\"h\":\"1\","
		"\"l\":\"1\",\"c\":\"1\",\"v\":\"1\",\"x\":true}}",
		"{\"e\":\"trade\",\"s\":\"BTCUSDT\",\"p\":\"1e999\",\"q\":\"1\","
		"\"t\":1,\"T\":1,\"m\":true}",
	};
	struct bn_event e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(bn_parse_ws(bad[i], strlen(bad[i]), &e) == -1 &&
			e.error[0] != '\0', "malformed %zu refused", i);
	CHECK(bn_parse_ws("{\"e\":\"depthUpdate\"}", 19, &e) == 0 &&
		e.kind == BN_UNKNOWN, "unknown event");
	CHECK(bn_parse_klines("[[1]]", 5, 0, ignore_row, NULL) == -1,
		"short kline row refused");
	CHECK(bn_parse_klines("{}", 2, 0, ignore_row, NULL) == -1,
		"klines not an array refused");
}

int
main(void)
{
	char path[1024];
	int n;

	snprintf(path, sizeof(path), "%s/../shared/fixtures/exchanges",
		QD_TEST_SRCDIR);
	documented(path);
	malformed();
	snprintf(path, sizeof(path), "%s/../shared/fixtures/"
		"exchanges-recorded/binance.json", QD_TEST_SRCDIR);
	n = recorded(path);
	printf("%d checks, %d failed%s\n", checks, fails, n < 0 ?
		" (recorded fixtures skipped)" : "");
	if (n >= 0)
		printf("%d recorded cases checked\n", n);
	return fails ? 1 : 0;
}
