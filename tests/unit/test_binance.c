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

/* The instruments a list gave, in order. */
struct instr_list {
	struct bn_instrument *v;
	size_t n, cap;
};

static void
keep_instrument(void *arg, const struct bn_instrument *in)
{
	struct instr_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			abort();
	}
	l->v[l->n++] = *in;
}

/* Expected text of key k: the string, or "" for null (none given). */
static const char *
etext(const cJSON *x, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Every `expect` entry is an instrument of the list with exactly those
 * fields; without `expect_scope` the list holds nothing else. */
static void
check_instruments(const char *id, const char *raw, const cJSON *c)
{
	const cJSON *x = cJSON_GetObjectItem(c, "expect"), *e;
	struct instr_list l = { NULL, 0, 0 };
	char why[96];
	long got = bn_parse_instruments(raw, strlen(raw), keep_instrument, &l,
		why);
	size_t i;

	CHECK(got >= 0 && (size_t)got == l.n, "%s: parse: %ld %s", id, got,
		got < 0 ? why : "");
	if (cJSON_GetObjectItem(c, "expect_scope") == NULL)
		CHECK(got == cJSON_GetArraySize(x), "%s: %ld instruments", id,
			got);
	cJSON_ArrayForEach(e, x) {
		const char *nat = etext(e, "native");
		const struct bn_instrument *in = NULL;

		for (i = 0; i < l.n && in == NULL; i++)
			if (strcmp(l.v[i].native, nat) == 0)
				in = &l.v[i];
		CHECK(in != NULL, "%s: %s listed", id, nat);
		if (in == NULL)
			continue;
		CHECK(strcmp(in->symbol, etext(e, "symbol")) == 0,
			"%s: %s symbol %s", id, nat, in->symbol);
		CHECK(strcmp(in->tick, etext(e, "tick")) == 0,
			"%s: %s tick %s", id, nat, in->tick);
		CHECK(strcmp(in->lot, etext(e, "lot")) == 0,
			"%s: %s lot %s", id, nat, in->lot);
		CHECK(strcmp(in->min_qty, etext(e, "min_qty")) == 0,
			"%s: %s min_qty %s", id, nat, in->min_qty);
		CHECK(strcmp(in->min_notional, etext(e, "min_notional")) == 0,
			"%s: %s min_notional %s", id, nat, in->min_notional);
		CHECK(strcmp(in->status, etext(e, "status")) == 0,
			"%s: %s status %s", id, nat, in->status);
		CHECK(in->trading == (strcmp(etext(e, "status"),
			"TRADING") == 0), "%s: %s trading", id, nat);
	}
	free(l.v);
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
		} else if (strcmp(kind, "rest_instruments") == 0) {
			check_instruments(id, raw, c);
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

/* A one-symbol exchangeInfo around the given members of the symbol. */
#define BN_SYM(members) "{\"timezone\":\"UTC\",\"serverTime\":17e11," \
	"\"symbols\":[{" members "}]}"
#define BN_OK_MEMBERS "\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\"," \
	"\"baseAsset\":\"BTC\",\"quoteAsset\":\"USDT\","

static void
instruments(void)
{
	static const char *const bad[] = {
		"", "{", "[]", "{\"symbols\":{}}", "{\"timezone\":\"UTC\"}",
		"{\"symbols\":[1]}",
		/* a required member missing */
		BN_SYM("\"symbol\":\"BTCUSDT\",\"baseAsset\":\"BTC\","
		    "\"quoteAsset\":\"USDT\",\"filters\":[]"),
		BN_SYM("\"status\":\"TRADING\",\"baseAsset\":\"BTC\","
		    "\"quoteAsset\":\"USDT\",\"filters\":[]"),
		BN_SYM("\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\","
		    "\"quoteAsset\":\"USDT\",\"filters\":[]"),
		BN_SYM(BN_OK_MEMBERS "\"permissions\":[]"),
		/* bad names, filters, decimals, number tokens */
		BN_SYM("\"symbol\":\"BTC-USDT\",\"status\":\"TRADING\","
		    "\"baseAsset\":\"BTC\",\"quoteAsset\":\"USDT\","
		    "\"filters\":[]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"tickSize\":\"0.01\"}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"filterType\":"
		    "\"PRICE_FILTER\",\"tickSize\":\"1e-8\"}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"filterType\":"
		    "\"PRICE_FILTER\",\"tickSize\":-0.01}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"filterType\":"
		    "\"LOT_SIZE\",\"stepSize\":\"0.0.1\"}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"filterType\":"
		    "\"LOT_SIZE\",\"minQty\":\".\"}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"filterType\":"
		    "\"NOTIONAL\",\"minNotional\":{}}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"filterType\":"
		    "\"MIN_NOTIONAL\",\"minNotional\":"
		    "\"12345678901234567890.12345678901\"}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"filterType\":"
		    "\"PRICE_FILTER\",\"tickSize\":01}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"filterType\":"
		    "\"PRICE_FILTER\",\"tickSize\":1.}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[{\"filterType\":"
		    "\"LOT_SIZE\",\"stepSize\":1.0e0}]"),
		BN_SYM(BN_OK_MEMBERS "\"filters\":[]") "x",
	};
	/* Numbers kept as written, NOTIONAL before MIN_NOTIONAL whatever
	 * the order, unknown members and filters ignored, digits and
	 * escaped quotes inside strings untouched. */
	static const char good[] = BN_SYM("\"symbol\":\"ethbtc\","
	    "\"status\":\"BREAK\",\"baseAsset\":\"eth\","
	    "\"quoteAsset\":\"BTC\",\"note\":\"a \\\"1.50\\\" b\","
	    "\"filters\":[{\"filterType\":\"MIN_NOTIONAL\","
	    "\"minNotional\":\"0.00010000\"},{\"filterType\":"
	    "\"PRICE_FILTER\",\"tickSize\":0.000010},{\"filterType\":"
	    "\"LOT_SIZE\",\"stepSize\":1,\"minQty\":null},"
	    "{\"filterType\":\"NOTIONAL\",\"minNotional\":\"0.0001\","
	    "\"applyMinToMarket\":true},{\"filterType\":\"NEW_ONE\","
	    "\"x\":[1,{\"y\":-2.5e-3}]}]");
	static const char spot_off[] = BN_SYM(BN_OK_MEMBERS
	    "\"isSpotTradingAllowed\":false,\"filters\":[{\"filterType\":"
	    "\"MIN_NOTIONAL\",\"minNotional\":\"10.00000000\"}]");
	struct instr_list l = { NULL, 0, 0 };
	char why[96];
	size_t i;
	long n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK(bn_parse_instruments(bad[i], strlen(bad[i]),
			keep_instrument, &l, why) == -1 && why[0] != '\0',
			"malformed instrument list %zu refused", i);
	}
	l.n = 0;
	n = bn_parse_instruments(good, strlen(good), keep_instrument, &l, why);
	CHECK(n == 1 && l.n == 1, "good list: %ld (%s)", n, n < 0 ? why : "");
	if (l.n == 1) {
		const struct bn_instrument *in = &l.v[0];

		CHECK(strcmp(in->native, "ETHBTC") == 0 &&
			strcmp(in->symbol, "ETH/BTC") == 0, "names %s %s",
			in->native, in->symbol);
		CHECK(strcmp(in->tick, "0.000010") == 0, "number tick kept "
			"as written: %s", in->tick);
		CHECK(strcmp(in->lot, "1") == 0 && strcmp(in->min_qty, "") == 0,
			"lot 1, min_qty null: none (%s, %s)", in->lot,
			in->min_qty);
		CHECK(strcmp(in->min_notional, "0.0001") == 0,
			"NOTIONAL before MIN_NOTIONAL: %s", in->min_notional);
		CHECK(strcmp(in->status, "BREAK") == 0 && !in->trading,
			"BREAK is not trading");
	}
	l.n = 0;
	n = bn_parse_instruments(spot_off, strlen(spot_off), keep_instrument,
		&l, why);
	CHECK(n == 1 && l.n == 1 && !l.v[0].trading &&
		strcmp(l.v[0].min_notional, "10.00000000") == 0 &&
		strcmp(l.v[0].tick, "") == 0,
		"TRADING but no spot orders: not trading");
	l.n = 0;
	CHECK(bn_parse_instruments("{\"symbols\":[]}", 14, keep_instrument,
		&l, why) == 0 && l.n == 0, "an empty list is 0 instruments");
	free(l.v);
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
	instruments();
	snprintf(path, sizeof(path), "%s/../shared/fixtures/"
		"exchanges-recorded/binance.json", QD_TEST_SRCDIR);
	n = recorded(path);
	printf("%d checks, %d failed%s\n", checks, fails, n < 0 ?
		" (recorded fixtures skipped)" : "");
	if (n >= 0)
		printf("%d recorded cases checked\n", n);
	return fails ? 1 : 0;
}
