/*
 * test_bybit.c -- the Bybit adapter's parser against the documented
 * messages (../shared/fixtures/exchanges/bybit-*.json) and the messages
 * recorded from the venue with their normalised meaning
 * (../shared/fixtures/exchanges-recorded/bybit.json): every field of every
 * normalised event.  The fixtures are read where they are, never copied.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "venue_fixtures.h"
#include "../../plugins/exchange-bybit/parse.h"


#define MAXEV 64
static struct by_event got[MAXEV];
static int n_got;

static void
collect(void *arg, const struct by_event *ev)
{
	(void)arg;
	if (n_got < MAXEV)
		got[n_got++] = *ev;
}

static int
same_native(const struct by_event *e, const cJSON *x)
{
	char nat[32];

	native_of(x, nat, sizeof(nat));
	return strcmp(e->native, nat) == 0;
}

static void
check_one(const char *id, const char *kind, const struct by_event *e,
	const cJSON *x)
{
	if (strcmp(kind, "ws_trade") == 0) {
		const cJSON *side = cJSON_GetObjectItemCaseSensitive(x, "side");
		const cJSON *tid = cJSON_GetObjectItemCaseSensitive(x,
			"trade_id");

		CHECK(e->kind == BY_TRADE && same_native(e, x), "%s: trade",
			id);
		CHECK(e->price == dec(x, "price") && e->qty == dec(x, "qty"),
			"%s: price/qty", id);
		CHECK(e->ts_ms == (int64_t)dec(x, "ts_ms"), "%s: ts", id);
		CHECK(e->side == (strcmp(side->valuestring, "buy") == 0 ? 1 :
			2), "%s: side", id);
		CHECK(e->id == strtoull(tid->valuestring, NULL, 10),
			"%s: trade id", id);
	} else if (strcmp(kind, "ws_kline") == 0 ||
	    strcmp(kind, "rest_klines") == 0) {
		const cJSON *closed = cJSON_GetObjectItemCaseSensitive(x,
			"closed");

		CHECK(e->kind == BY_KLINE, "%s: kline", id);
		if (kind[0] == 'w')
			CHECK(same_native(e, x), "%s: symbol", id);
		CHECK(e->ts_ms == (int64_t)dec(x, "open_time_ms") &&
			e->open == dec(x, "open") && e->high == dec(x, "high") &&
			e->low == dec(x, "low") && e->close == dec(x, "close") &&
			e->volume == dec(x, "volume"), "%s: kline fields", id);
		if (cJSON_IsBool(closed))
			CHECK(e->closed == cJSON_IsTrue(closed), "%s: closed",
				id);
	} else if (strcmp(kind, "ws_book_top") == 0) {
		CHECK(e->kind == BY_BOOK && same_native(e, x) &&
			e->bid == dec(x, "bid") && e->bid_qty == dec(x,
			"bid_qty") && e->ask == dec(x, "ask") &&
			e->ask_qty == dec(x, "ask_qty") &&
			e->ts_ms == (int64_t)dec(x, "ts_ms"), "%s: book", id);
	}
}

static int
cmp_open(const void *a, const void *b)
{
	double x = dec(*(cJSON *const *)a, "open_time_ms");
	double y = dec(*(cJSON *const *)b, "open_time_ms");

	return (x > y) - (x < y);
}

/* The instruments a list gave, in order. */
struct instr_list {
	struct by_instrument *v;
	size_t n, cap;
};

static void
keep_instrument(void *arg, const struct by_instrument *in)
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
	long count = by_parse_instruments(raw, strlen(raw), keep_instrument,
		&l, why);
	size_t i;

	CHECK(count >= 0 && (size_t)count == l.n, "%s: parse: %ld %s", id,
		count, count < 0 ? why : "");
	if (cJSON_GetObjectItem(c, "expect_scope") == NULL)
		CHECK(count == cJSON_GetArraySize(x), "%s: %ld instruments", id,
			count);
	cJSON_ArrayForEach(e, x) {
		const char *nat = etext(e, "native");
		const struct by_instrument *in = NULL;

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
			"Trading") == 0), "%s: %s trading", id, nat);
	}
	free(l.v);
}

/* A one-item spot list around the given members of the item. */
#define BY_LIST(members) "{\"retCode\":0,\"retMsg\":\"OK\"," \
	"\"result\":{\"category\":\"spot\",\"list\":[{" members "}]}," \
	"\"retExtInfo\":{},\"time\":1786310817470}"
#define BY_NAMES "\"symbol\":\"BTCUSDT\",\"baseCoin\":\"BTC\"," \
	"\"quoteCoin\":\"USDT\",\"status\":\"Trading\","
#define BY_PRICE "\"priceFilter\":{\"tickSize\":\"0.1\"}"
#define BY_LOT "\"lotSizeFilter\":{\"basePrecision\":\"0.000001\"," \
	"\"minOrderQty\":\"0.000001\",\"minOrderAmt\":\"5\"}"

static void
instruments(void)
{
	static const char *const bad[] = {
		"", "{", "[]", "{\"retCode\":0}",
		"{\"retCode\":0,\"result\":{\"list\":{}}}",
		"{\"retCode\":10001,\"retMsg\":\"params error\","
		"\"result\":{\"list\":[]}}",
		"{\"result\":{\"category\":\"spot\",\"list\":[]}}",
		BY_LIST(""),
		/* a required member missing */
		BY_LIST("\"baseCoin\":\"BTC\",\"quoteCoin\":\"USDT\","
		    "\"status\":\"Trading\"," BY_PRICE "," BY_LOT),
		BY_LIST("\"symbol\":\"BTCUSDT\",\"baseCoin\":\"BTC\","
		    "\"quoteCoin\":\"USDT\"," BY_PRICE "," BY_LOT),
		BY_LIST("\"symbol\":\"BTCUSDT\",\"quoteCoin\":\"USDT\","
		    "\"status\":\"Trading\"," BY_PRICE "," BY_LOT),
		BY_LIST(BY_NAMES BY_PRICE),
		BY_LIST(BY_NAMES BY_LOT),
		/* bad names, decimals, number tokens, trailing text */
		BY_LIST("\"symbol\":\"BTC/USDT\",\"baseCoin\":\"BTC\","
		    "\"quoteCoin\":\"USDT\",\"status\":\"Trading\","
		    BY_PRICE "," BY_LOT),
		BY_LIST(BY_NAMES "\"priceFilter\":{\"tickSize\":\"1e-1\"},"
		    BY_LOT),
		BY_LIST(BY_NAMES "\"priceFilter\":{\"tickSize\":-0.1},"
		    BY_LOT),
		BY_LIST(BY_NAMES BY_PRICE ",\"lotSizeFilter\":{"
		    "\"basePrecision\":\"0..1\"}"),
		BY_LIST(BY_NAMES BY_PRICE ",\"lotSizeFilter\":{"
		    "\"minOrderAmt\":true}"),
		BY_LIST(BY_NAMES BY_PRICE ",\"lotSizeFilter\":{"
		    "\"minOrderQty\":.5}"),
		BY_LIST(BY_NAMES BY_PRICE "," BY_LOT) " ]",
	};
	/* Numbers kept as written (retCode too), unknown members ignored,
	 * contracts skipped, digits inside strings untouched. */
	static const char good[] = "{\"retCode\":\"0\",\"result\":{"
	    "\"category\":\"spot\",\"list\":[{\"symbol\":\"solusdc\","
	    "\"baseCoin\":\"SOL\",\"quoteCoin\":\"usdc\","
	    "\"status\":\"PreLaunch\",\"note\":\"\\\"0.5\\\"\","
	    "\"priceFilter\":{\"tickSize\":0.010},\"lotSizeFilter\":{"
	    "\"basePrecision\":\"0.0010\",\"minOrderQty\":\"\","
	    "\"maxOrderQty\":1e6}},{\"symbol\":\"BTCUSDT\","
	    "\"contractType\":\"LinearPerpetual\",\"status\":"
	    "\"Trading\"}]}}";
	static const char linear[] = "{\"retCode\":0,\"result\":{"
	    "\"category\":\"linear\",\"list\":[{\"symbol\":"
	    "\"BTCUSDT\",\"status\":\"Trading\"}]}}";
	struct instr_list l = { NULL, 0, 0 };
	char why[96];
	size_t i;
	long n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK(by_parse_instruments(bad[i], strlen(bad[i]),
			keep_instrument, &l, why) == -1 && why[0] != '\0',
			"malformed instrument list %zu refused", i);
	}
	l.n = 0;
	n = by_parse_instruments(good, strlen(good), keep_instrument, &l, why);
	CHECK(n == 1 && l.n == 1, "good list: %ld (%s)", n, n < 0 ? why : "");
	if (l.n == 1) {
		const struct by_instrument *in = &l.v[0];

		CHECK(strcmp(in->native, "SOLUSDC") == 0 &&
			strcmp(in->symbol, "SOL/USDC") == 0, "names %s %s",
			in->native, in->symbol);
		CHECK(strcmp(in->tick, "0.010") == 0, "number tick kept "
			"as written: %s", in->tick);
		CHECK(strcmp(in->lot, "0.0010") == 0 &&
			strcmp(in->min_qty, "") == 0 &&
			strcmp(in->min_notional, "") == 0,
			"lot, no minimums (%s, %s, %s)", in->lot, in->min_qty,
			in->min_notional);
		CHECK(strcmp(in->status, "PreLaunch") == 0 && !in->trading,
			"PreLaunch is not trading");
	}
	l.n = 0;
	CHECK(by_parse_instruments(linear, strlen(linear), keep_instrument,
		&l, why) == 0 && l.n == 0, "a linear list has no spot item");
	free(l.v);
}

static int
recorded(const char *path)
{
	size_t len;
	char *text = slurp(path, &len), why[96];
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
		int i, want;

		n_got = 0;
		if (strcmp(kind, "ws_trade") == 0 || strcmp(kind, "ws_kline") ==
		    0 || strcmp(kind, "ws_book_top") == 0) {
			CHECK(by_parse_ws(raw, strlen(raw), collect, NULL, why) >=
				0, "%s: parse: %s", id, why);
		} else if (strcmp(kind, "rest_klines") == 0) {
			CHECK(by_parse_klines(raw, strlen(raw), 3600000,
				INT64_MAX, collect, NULL) >= 0, "%s: parse", id);
		} else if (strcmp(kind, "rest_instruments") == 0) {
			check_instruments(id, raw, c);
			n++;
			continue;
		} else {
			continue;
		}
		n++;
		if (!cJSON_IsArray(x)) {
			CHECK(n_got == 1, "%s: %d events", id, n_got);
			if (n_got == 1)
				check_one(id, kind, &got[0], x);
			continue;
		}
		want = cJSON_GetArraySize(x);
		CHECK(n_got == want, "%s: %d events, want %d", id, n_got, want);
		{
			/* REST rows come newest first; events oldest first. */
			cJSON **xs = calloc((size_t)want + 1, sizeof(*xs));

			for (i = 0; i < want; i++)
				xs[i] = cJSON_GetArrayItem(x, i);
			if (strcmp(kind, "rest_klines") == 0)
				qsort(xs, (size_t)want, sizeof(*xs), cmp_open);
			for (i = 0; i < want && i < n_got; i++)
				check_one(id, kind, &got[i], xs[i]);
			free(xs);
		}
	}
	cJSON_Delete(cases);
	return n;
}

static void
documented(const char *dir)
{
	char path[2048], why[96];
	size_t len;
	char *t;

	snprintf(path, sizeof(path), "%s/bybit-trade.json", dir);
	if ((t = slurp(path, &len)) != NULL) {
		n_got = 0;
		CHECK(by_parse_ws(t, len, collect, NULL, why) == 1 &&
			got[0].kind == BY_TRADE && strcmp(got[0].native,
			"BTCUSDT") == 0 && got[0].price == 16578.5 &&
			got[0].qty == 0.001 && got[0].side == 1 &&
			got[0].ts_ms == 1672304486865 && got[0].id != 0,
			"bybit-trade.json (UUID id hashed)");
		free(t);
	}
	snprintf(path, sizeof(path), "%s/bybit-kline.json", dir);
	if ((t = slurp(path, &len)) != NULL) {
		n_got = 0;
		CHECK(by_parse_ws(t, len, collect, NULL, why) == 1 &&
			got[0].kind == BY_KLINE && got[0].ts_ms ==
			1672324800000 && got[0].open == 16649.5 &&
			got[0].close == 16677 && got[0].high == 16677 &&
			got[0].low == 16608 && got[0].volume == 2.081 &&
			!got[0].closed && strcmp(got[0].interval, "5") == 0,
			"bybit-kline.json");
		free(t);
	}
	snprintf(path, sizeof(path), "%s/bybit-rest-kline-response.json", dir);
	if ((t = slurp(path, &len)) != NULL) {
		n_got = 0;
		CHECK(by_parse_klines(t, len, 3600000, INT64_MAX, collect,
			NULL) >= 2 && got[0].ts_ms < got[1].ts_ms,
			"bybit-rest-kline-response.json, oldest first");
		free(t);
	}
	snprintf(path, sizeof(path), "%s/bybit-pong-spot.json", dir);
	if ((t = slurp(path, &len)) != NULL) {
		n_got = 0;
		CHECK(by_parse_ws(t, len, collect, NULL, why) == 1 &&
			got[0].kind == BY_ACK && got[0].success &&
			strcmp(got[0].op, "ping") == 0, "bybit-pong-spot.json");
		free(t);
	}
}

static void
malformed(void)
{
	static const char *const bad[] = {
		"", "{", "[]",
		"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":{}}",
		"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[{\"T\":1,"
		"\"s\":\"BTCUSDT\",\"S\":\"Up\",\"v\":\"1\",\"p\":\"1\","
		"\"i\":\"1\"}]}",
		"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[{\"T\":1,"
		"\"s\":\"BTCUSDT\",\"S\":\"Buy\",\"v\":\"1\",\"p\":\"0\","
		"\"i\":\"1\"}]}",
		"{\"topic\":\"kline.1.BTC-USDT\",\"data\":[]}",
	};
	char why[96];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(by_parse_ws(bad[i], strlen(bad[i]), collect, NULL, why) ==
			-1 && why[0] != '\0', "malformed %zu refused", i);
	CHECK(by_parse_klines("{\"retCode\":10001,\"result\":{}}", 30, 60000,
		0, collect, NULL) == -1, "error answer refused");
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
		"exchanges-recorded/bybit.json", QD_TEST_SRCDIR);
	n = recorded(path);
	printf("%d checks, %d failed%s\n", checks, fails, n < 0 ?
		" (recorded fixtures skipped)" : "");
	if (n >= 0)
		printf("%d recorded cases checked\n", n);
	return fails ? 1 : 0;
}
