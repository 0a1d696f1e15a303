/*
 * test_kraken.c -- the Kraken adapter's parser against the documented
 * WebSocket v2 messages (../shared/fixtures/exchanges/kraken-*.json) and
 * the messages recorded from the venue with their normalised meaning
 * (../shared/fixtures/exchanges-recorded/kraken.json): every field of
 * every normalised event.  The fixtures are read where they are, never
 * copied.  The recorded instrument lists (rest_instruments) give the
 * pairs their `expect` names, by pair key.  Then the time readers on their
 * edges and malformed variants.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "venue_fixtures.h"
#include "../../plugins/exchange-kraken/parse.h"

#define MAXEV 2048
static struct kr_event got[MAXEV];
static int n_got;

static void
collect(void *arg, const struct kr_event *ev)
{
	(void)arg;
	if (n_got < MAXEV)
		got[n_got++] = *ev;
}

#define MAXIN 512
static struct kr_instrument ins[MAXIN];
static int n_ins;

static void
collect_in(void *arg, const struct kr_instrument *in)
{
	(void)arg;
	if (n_ins < MAXIN)
		ins[n_ins++] = *in;
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* An extra expected key: absent or null asserts nothing. */
static int
given(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return v != NULL && !cJSON_IsNull(v);
}

static void
check_one(const char *id, const char *kind, int i, const struct kr_event *e,
	const cJSON *x)
{
	if (strcmp(kind, "ws_trade") == 0) {
		CHECK(e->kind == KR_TRADE, "%s[%d]: kind %d", id, i, e->kind);
		CHECK(strcmp(e->native, str(x, "symbol")) == 0,
			"%s[%d]: symbol %s", id, i, e->native);
		CHECK(e->price == dec(x, "price") && e->qty == dec(x, "qty"),
			"%s[%d]: price/qty %.17g %.17g", id, i, e->price, e->qty);
		CHECK(e->ts_ms == (int64_t)dec(x, "ts_ms"), "%s[%d]: ts %lld",
			id, i, (long long)e->ts_ms);
		CHECK(e->side == (strcmp(str(x, "side"), "buy") == 0 ? 1 : 2),
			"%s[%d]: side %d", id, i, e->side);
		CHECK(e->id == strtoull(str(x, "trade_id"), NULL, 10),
			"%s[%d]: trade id %llu", id, i,
			(unsigned long long)e->id);
		if (given(x, "ord_type"))
			CHECK(strcmp(e->ord_type, str(x, "ord_type")) == 0,
				"%s[%d]: ord_type %s", id, i, e->ord_type);
	} else if (strcmp(kind, "ws_kline") == 0 ||
	    strcmp(kind, "rest_klines") == 0) {
		const cJSON *closed = cJSON_GetObjectItemCaseSensitive(x,
			"closed");

		CHECK(e->kind == KR_OHLC, "%s[%d]: kind %d", id, i, e->kind);
		if (kind[0] == 'w') {
			CHECK(strcmp(e->native, str(x, "symbol")) == 0,
				"%s[%d]: symbol %s", id, i, e->native);
			CHECK(strcmp(str(x, "timeframe"), "1m") != 0 ||
				e->interval == 1, "%s[%d]: interval %d", id,
				i, e->interval);
		}
		CHECK(e->ts_ms == (int64_t)dec(x, "open_time_ms"),
			"%s[%d]: open time %lld", id, i, (long long)e->ts_ms);
		CHECK(e->open == dec(x, "open") && e->high == dec(x, "high") &&
			e->low == dec(x, "low") && e->close == dec(x, "close") &&
			e->volume == dec(x, "volume"), "%s[%d]: ohlcv", id, i);
		if (given(x, "vwap"))
			CHECK(e->vwap == dec(x, "vwap"), "%s[%d]: vwap", id, i);
		if (given(x, "trades"))
			CHECK(e->trades == (int64_t)dec(x, "trades"),
				"%s[%d]: trades", id, i);
		if (cJSON_IsBool(closed))
			CHECK(e->closed == cJSON_IsTrue(closed),
				"%s[%d]: closed %d", id, i, e->closed);
		else
			CHECK(e->closed == -1, "%s[%d]: no closed flag, got "
				"%d", id, i, e->closed);
	} else if (strcmp(kind, "ws_book_top") == 0) {
		CHECK(e->kind == KR_BOOK && strcmp(e->native, str(x, "symbol"))
			== 0, "%s[%d]: book of %s", id, i, e->native);
		CHECK(e->bid == dec(x, "bid") && e->bid_qty == dec(x,
			"bid_qty") && e->ask == dec(x, "ask") &&
			e->ask_qty == dec(x, "ask_qty"), "%s[%d]: levels", id,
			i);
		CHECK(e->ts_ms == (given(x, "ts_ms") ? (int64_t)dec(x,
			"ts_ms") : 0), "%s[%d]: ts %lld", id, i,
			(long long)e->ts_ms);
	}
}

/* An expected text field of an instrument: "" for null (not given), and
 * absent asserts nothing (1 if it matches or is not asserted). */
static int
same_text(const cJSON *x, const char *k, const char *got_text)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, k);

	if (v == NULL)
		return 1;
	if (cJSON_IsNull(v))
		return got_text[0] == '\0';
	return cJSON_IsString(v) && strcmp(v->valuestring, got_text) == 0;
}

/* A recorded instrument list: each expected pair (its `native` is the
 * list's key) found once with exactly its expected text; where the case
 * has no expect_scope, the list is exactly the expected pairs. */
static void
check_instruments(const char *id, const cJSON *c, const char *raw)
{
	const cJSON *x = cJSON_GetObjectItem(c, "expect"), *e;
	char why[96];
	long rc;
	int i, want = cJSON_GetArraySize(x);

	n_ins = 0;
	rc = kr_parse_instruments(raw, strlen(raw), collect_in, NULL, why);
	CHECK(rc >= 0 && rc == n_ins, "%s: parse (%ld): %s", id, rc, why);
	CHECK(cJSON_IsArray(x) && want > 0, "%s: expect is a list", id);
	if (!cJSON_HasObjectItem(c, "expect_scope"))
		CHECK(n_ins == want, "%s: %d pairs, want %d", id, n_ins, want);
	/* Every pair with a wsname, and only those (dark-pool ".d" pairs
	 * have none), counted in the raw answer itself. */
	{
		cJSON *r = cJSON_Parse(raw);
		const cJSON *p;
		int on_ws = 0;

		cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "result"))
			on_ws += cJSON_HasObjectItem(p, "wsname");
		CHECK(n_ins == on_ws, "%s: %d pairs handed out, %d on the "
			"WebSocket", id, n_ins, on_ws);
		cJSON_Delete(r);
	}
	cJSON_ArrayForEach(e, x) {
		const char *key = str(e, "native");
		const struct kr_instrument *in = NULL;

		for (i = 0; i < n_ins; i++)
			if (strcmp(ins[i].key, key) == 0) {
				CHECK(in == NULL, "%s: %s listed twice", id,
					key);
				in = &ins[i];
			}
		CHECK(in != NULL, "%s: %s handed out", id, key);
		if (in == NULL)
			continue;
		/* The adapter's name: the v2 symbol, canonical. */
		CHECK(strcmp(in->native, str(e, "symbol")) == 0 &&
			strcmp(in->symbol, str(e, "symbol")) == 0,
			"%s: %s as %s / %s", id, key, in->native, in->symbol);
		CHECK(same_text(e, "tick", in->tick), "%s: %s tick %s", id,
			key, in->tick);
		CHECK(same_text(e, "lot", in->lot), "%s: %s lot %s", id, key,
			in->lot);
		CHECK(same_text(e, "min_qty", in->min_qty), "%s: %s min_qty "
			"%s", id, key, in->min_qty);
		CHECK(same_text(e, "min_notional", in->min_notional),
			"%s: %s min_notional \"%s\"", id, key,
			in->min_notional);
		CHECK(same_text(e, "status", in->status), "%s: %s status "
			"\"%s\"", id, key, in->status);
		CHECK(same_text(e, "wsname", in->wsname) &&
			same_text(e, "altname", in->altname),
			"%s: %s wsname %s altname %s", id, key, in->wsname,
			in->altname);
		/* Online, or an old answer without status: tradable. */
		CHECK(in->trading == (in->status[0] == '\0' ||
			strcmp(in->status, "online") == 0),
			"%s: %s trading %d", id, key, in->trading);
	}
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
	CHECK(cJSON_IsArray(cases), "%s is a list of cases", path);
	cJSON_ArrayForEach(c, cases) {
		const char *id = str(c, "id"), *kind = str(c, "kind");
		const char *raw = str(c, "raw");
		const cJSON *x = cJSON_GetObjectItem(c, "expect");
		int i, want, rc;

		n_got = 0;
		if (strncmp(kind, "ws_v1_", 6) == 0) {
			/* v1 frames on the v2 parser: refused, with the
			 * reason naming v1, and nothing handed out. */
			rc = kr_parse_ws(raw, strlen(raw), collect, NULL, why);
			CHECK(rc == -1 && strstr(why, "v1") != NULL &&
				n_got == 0, "%s: v1 frame refused (%d, %s)",
				id, rc, why);
			n++;
			continue;
		}
		if (strncmp(kind, "ws_", 3) == 0) {
			rc = kr_parse_ws(raw, strlen(raw), collect, NULL, why);
			CHECK(rc >= 0, "%s: parse: %s", id, why);
		} else if (strcmp(kind, "rest_instruments") == 0) {
			check_instruments(id, c, raw);
			n++;
			continue;
		} else if (strcmp(kind, "rest_klines") == 0) {
			CHECK(kr_parse_ohlc(raw, strlen(raw), collect, NULL,
				why) >= 0, "%s: parse: %s", id, why);
		} else {
			continue;      /* REST trades, orders, ...: not ours */
		}
		n++;
		if (!cJSON_IsArray(x)) {
			CHECK(n_got == 1, "%s: %d events", id, n_got);
			if (n_got == 1)
				check_one(id, kind, 0, &got[0], x);
			continue;
		}
		want = cJSON_GetArraySize(x);
		CHECK(n_got == want, "%s: %d events, want %d", id, n_got, want);
		for (i = 0; i < want && i < n_got; i++)
			check_one(id, kind, i, &got[i],
				cJSON_GetArrayItem(x, i));
	}
	cJSON_Delete(cases);
	return n;
}

static char *
doc(const char *dir, const char *name, size_t *len)
{
	char path[2048];
	char *t;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((t = slurp(path, len)) == NULL)
		printf("skipped: no documented fixture %s\n", path);
	return t;
}

/* One documented message: its events into got[], the parser's count. */
static int
doc_parse(const char *dir, const char *name)
{
	char why[96];
	size_t len;
	char *t = doc(dir, name, &len);
	int rc;

	n_got = 0;
	if (t == NULL)
		return -100;
	rc = kr_parse_ws(t, len, collect, NULL, why);
	CHECK(rc >= 0, "%s: parse: %s", name, why);
	free(t);
	return rc;
}

static void
documented(const char *dir)
{
	int rc;

	if ((rc = doc_parse(dir, "kraken-trade-snapshot.json")) != -100)
		CHECK(rc == 2 && n_got == 2 &&
			got[0].kind == KR_TRADE && got[0].snapshot &&
			strcmp(got[0].native, "MATIC/USD") == 0 &&
			got[0].side == 1 && got[0].price == 0.5147 &&
			got[0].qty == 6423.46326 && got[0].id == 4665846 &&
			got[0].ts_ms == 1695628116925 &&
			strcmp(got[0].ord_type, "limit") == 0 &&
			got[1].kind == KR_TRADE && got[1].side == 1 &&
			got[1].price == 0.5147 && got[1].qty == 1136.19677815 &&
			got[1].id == 4665847 && got[1].ts_ms == 1695628176925,
			"kraken-trade-snapshot.json: two buys");
	if ((rc = doc_parse(dir, "kraken-trade-update.json")) != -100)
		CHECK(rc == 1 && got[0].kind == KR_TRADE && !got[0].snapshot &&
			strcmp(got[0].native, "MATIC/USD") == 0 &&
			got[0].side == 2 && got[0].price == 0.5117 &&
			got[0].qty == 40.0 && got[0].id == 4665906 &&
			got[0].ts_ms == 1695628177708 &&
			strcmp(got[0].ord_type, "market") == 0,
			"kraken-trade-update.json: a market sell");
	if ((rc = doc_parse(dir, "kraken-ohlc-snapshot.json")) != -100)
		CHECK(rc == 2 && got[0].kind == KR_OHLC && got[0].snapshot &&
			strcmp(got[0].native, "ALGO/USD") == 0 &&
			got[0].interval == 5 && got[0].closed == -1 &&
			got[0].ts_ms == 1696433100000 &&
			got[0].open == 0.09875 && got[0].high == 0.09875 &&
			got[0].low == 0.09875 && got[0].close == 0.09875 &&
			got[0].volume == 201.86015 && got[0].vwap == 0.09875 &&
			got[0].trades == 1 && got[1].ts_ms == 1696433400000 &&
			got[1].high == 0.0988 && got[1].volume == 16255.46368 &&
			got[1].vwap == 0.09879 && got[1].trades == 13,
			"kraken-ohlc-snapshot.json: two 5m candles");
	if ((rc = doc_parse(dir, "kraken-ohlc-update.json")) != -100)
		CHECK(rc == 1 && got[0].kind == KR_OHLC && !got[0].snapshot &&
			strcmp(got[0].native, "MATIC/USD") == 0 &&
			got[0].ts_ms == 1696436700000 && got[0].open == 0.5624 &&
			got[0].high == 0.5628 && got[0].low == 0.5622 &&
			got[0].close == 0.5627 &&
			got[0].volume == 30927.68066226 &&
			got[0].vwap == 0.5626 && got[0].trades == 12 &&
			got[0].interval == 5,
			"kraken-ohlc-update.json");
	if ((rc = doc_parse(dir, "kraken-heartbeat.json")) != -100)
		CHECK(rc == 1 && got[0].kind == KR_HEARTBEAT,
			"kraken-heartbeat.json");
	if ((rc = doc_parse(dir, "kraken-pong.json")) != -100)
		CHECK(rc == 1 && got[0].kind == KR_PONG, "kraken-pong.json");
	if ((rc = doc_parse(dir, "kraken-subscribe-trade-ack.json")) != -100)
		CHECK(rc == 1 && got[0].kind == KR_ACK && got[0].success &&
			strcmp(got[0].method, "subscribe") == 0 &&
			strcmp(got[0].native, "MATIC/USD") == 0,
			"kraken-subscribe-trade-ack.json");
	if ((rc = doc_parse(dir, "kraken-subscribe-ohlc-ack.json")) != -100)
		CHECK(rc == 1 && got[0].kind == KR_ACK && got[0].success &&
			strcmp(got[0].native, "ALGO/USD") == 0,
			"kraken-subscribe-ohlc-ack.json (with a warning)");
	/* A request (ours, never sent to us) is not an answer: ignored. */
	if ((rc = doc_parse(dir, "kraken-ping-request.json")) != -100)
		CHECK(rc == 0 && n_got == 0, "kraken-ping-request.json ignored");
	{
		char why[96];
		size_t len;
		char *t = doc(dir, "kraken-v1-heartbeat.json", &len);

		if (t != NULL) {
			CHECK(kr_parse_ws(t, len, collect, NULL, why) == -1 &&
				strstr(why, "v1") != NULL,
				"kraken-v1-heartbeat.json: v1 refused");
			free(t);
		}
	}
}

static void
times(void)
{
	static const struct { const char *t; long long ms; } ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2023-09-25T09:04:31.742599Z", 1695632671742LL },
		{ "2023-10-04T16:25:00.000000000Z", 1696436700000LL },
		{ "2024-02-29T23:59:59.9999Z", 1709251199999LL },
		{ "2000-03-01T00:00:00.5Z", 951868800500LL },
		{ "2023-12-31T23:59:59.01Z", 1704067199010LL },
	};
	static const char *const bad[] = {
		"", "2023-09-25", "2023-09-25T09:04:31", "2023-09-25T09:04:31.Z",
		"2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z",
		"2023-09-25T24:00:00Z", "2023-09-25T09:04:31.5+01:00",
		"2023-09-25 09:04:31Z", "2023-09-25T09:04:31.5ZZ",
		"1969-12-31T23:59:59Z", "2023-09-3XT00:00:00Z",
	};
	static const struct { const char *t; long long ms; } sec[] = {
		{ "1762795433.9717445", 1762795433971LL },
		{ "1618678150.826417", 1618678150826LL },
		{ "1688671200", 1688671200000LL },
		{ "1.5", 1500 },
		{ "1710327959.1", 1710327959100LL },
	};
	static const char *const sec_bad[] = { "", ".5", "1.", "1e9", "-1",
		"1.5x", "1234567890123" };
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(kr_time_ms(ok[i].t, &v) == 0 && v == ok[i].ms,
			"time %s -> %lld, got %lld", ok[i].t, ok[i].ms,
			(long long)v);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(kr_time_ms(bad[i], &v) == -1, "time \"%s\" refused",
			bad[i]);
	for (i = 0; i < sizeof(sec) / sizeof(sec[0]); i++)
		CHECK(kr_seconds_ms(sec[i].t, &v) == 0 && v == sec[i].ms,
			"seconds %s -> %lld, got %lld", sec[i].t, sec[i].ms,
			(long long)v);
	for (i = 0; i < sizeof(sec_bad) / sizeof(sec_bad[0]); i++)
		CHECK(kr_seconds_ms(sec_bad[i], &v) == -1,
			"seconds \"%s\" refused", sec_bad[i]);
}

static void
symbols(void)
{
	static const char *const in[][2] = {
		{ "XBT/USD", "BTC/USD" }, { "xdg/xbt", "DOGE/BTC" },
		{ "ETH/USDT", "ETH/USDT" }, { "XBTC/USD", "XBTC/USD" },
	};
	char msg[512], why[96], pair[40];
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		snprintf(msg, sizeof(msg), "{\"channel\":\"trade\",\"type\":"
			"\"update\",\"data\":[{\"symbol\":\"%s\",\"side\":"
			"\"buy\",\"price\":1.5,\"qty\":2,\"ord_type\":"
			"\"limit\",\"trade_id\":7,\"timestamp\":"
			"\"2023-09-25T07:49:37.708706Z\"}]}", in[i][0]);
		n_got = 0;
		CHECK(kr_parse_ws(msg, strlen(msg), collect, NULL, why) == 1 &&
			strcmp(got[0].native, in[i][1]) == 0,
			"symbol %s -> %s, got %s", in[i][0], in[i][1],
			n_got ? got[0].native : "nothing");
	}
	CHECK(kr_rest_pair("BTC/USDT", pair, sizeof(pair)) == 0 &&
		strcmp(pair, "XBTUSDT") == 0, "REST pair of BTC/USDT: %s",
		pair);
	CHECK(kr_rest_pair("DOGE/BTC", pair, sizeof(pair)) == 0 &&
		strcmp(pair, "XDGXBT") == 0, "REST pair of DOGE/BTC: %s", pair);
	CHECK(kr_rest_pair("ETH/USD", pair, sizeof(pair)) == 0 &&
		strcmp(pair, "ETHUSD") == 0, "REST pair of ETH/USD: %s", pair);
	CHECK(kr_rest_pair("BTCUSD", pair, sizeof(pair)) == -1,
		"REST pair needs a canonical symbol");
	CHECK(kr_rest_pair("BTC/USD", pair, 6) == -1, "REST pair fits");
}

#define TRADE(fields) "{\"channel\":\"trade\",\"type\":\"update\"," \
	"\"data\":[{" fields "}]}"
#define OK_TRADE "\"symbol\":\"BTC/USD\",\"side\":\"buy\",\"price\":1.5," \
	"\"qty\":2,\"trade_id\":7,\"timestamp\":\"2023-09-25T07:49:37.7Z\""
#define OHLC(fields) "{\"channel\":\"ohlc\",\"type\":\"update\"," \
	"\"data\":[{\"symbol\":\"BTC/USD\",\"interval\":1," fields "}]}"

static void
malformed(void)
{
	static const char *const bad[] = {
		"", "{", "[]", "42", "\"x\"", "{\"event\":\"heartbeat\"}",
		"{\"channel\":\"trade\",\"type\":\"update\",\"data\":{}}",
		"{\"channel\":\"trade\",\"type\":\"delta\",\"data\":[]}",
		"{\"channel\":\"trade\",\"data\":[]}",
		"{\"channel\":\"trade\",\"type\":\"update\",\"data\":[1]}",
		TRADE("\"symbol\":\"BTC/USD\",\"side\":\"up\",\"price\":1.5,"
		    "\"qty\":2,\"trade_id\":7,\"timestamp\":"
		    "\"2023-09-25T07:49:37.7Z\""),
		TRADE("\"symbol\":\"BTC/USD\",\"side\":\"buy\",\"price\":0,"
		    "\"qty\":2,\"trade_id\":7,\"timestamp\":"
		    "\"2023-09-25T07:49:37.7Z\""),
		TRADE("\"symbol\":\"BTC/USD\",\"side\":\"buy\",\"price\":1,"
		    "\"qty\":-2,\"trade_id\":7,\"timestamp\":"
		    "\"2023-09-25T07:49:37.7Z\""),
		TRADE("\"symbol\":\"BTC/USD\",\"side\":\"buy\",\"price\":"
		    "\"abc\",\"qty\":2,\"trade_id\":7,\"timestamp\":"
		    "\"2023-09-25T07:49:37.7Z\""),
		TRADE("\"symbol\":\"BTC/USD\",\"side\":\"buy\",\"price\":"
		    "\"nan\",\"qty\":2,\"trade_id\":7,\"timestamp\":"
		    "\"2023-09-25T07:49:37.7Z\""),
		TRADE("\"symbol\":\"BTCUSD\",\"side\":\"buy\",\"price\":1,"
		    "\"qty\":2,\"trade_id\":7,\"timestamp\":"
		    "\"2023-09-25T07:49:37.7Z\""),
		TRADE("\"symbol\":\"BTC/USD\",\"side\":\"buy\",\"price\":1,"
		    "\"qty\":2,\"trade_id\":7,\"timestamp\":1695628177"),
		TRADE("\"symbol\":\"BTC/USD\",\"side\":\"buy\",\"price\":1,"
		    "\"qty\":2,\"trade_id\":7.5,\"timestamp\":"
		    "\"2023-09-25T07:49:37.7Z\""),
		/* beyond 2^53 a JSON number is not the id it says */
		TRADE("\"symbol\":\"BTC/USD\",\"side\":\"buy\",\"price\":1,"
		    "\"qty\":2,\"trade_id\":18446744073709551615,"
		    "\"timestamp\":\"2023-09-25T07:49:37.7Z\""),
		TRADE("\"symbol\":\"BTC/USD\",\"side\":\"buy\",\"price\":1,"
		    "\"qty\":2,\"timestamp\":\"2023-09-25T07:49:37.7Z\""),
		OHLC("\"interval_begin\":\"2023-10-04T16:25:00Z\",\"open\":2,"
		    "\"high\":1,\"low\":1,\"close\":1,\"volume\":1"),
		OHLC("\"interval_begin\":\"2023-10-04T16:25:30Z\",\"open\":1,"
		    "\"high\":1,\"low\":1,\"close\":1,\"volume\":1"),
		OHLC("\"interval_begin\":\"2023-10-04T16:25:00Z\",\"open\":1,"
		    "\"high\":1,\"low\":1,\"close\":1,\"volume\":-1"),
		OHLC("\"interval_begin\":\"2023-10-04T16:25:00Z\",\"open\":1,"
		    "\"high\":1,\"low\":1,\"close\":1"),
		OHLC("\"interval_begin\":\"2023-10-04T16:25:00Z\",\"open\":1,"
		    "\"high\":1,\"low\":1,\"close\":1,\"volume\":1,"
		    "\"trades\":-3"),
		"{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[{"
		"\"symbol\":\"BTC/USD\",\"bid\":1,\"bid_qty\":1,\"ask\":0,"
		"\"ask_qty\":1}]}",
		"{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[{"
		"\"symbol\":\"BTC/USD\",\"bid\":1,\"bid_qty\":1,\"ask\":2}]}",
		"{\"method\":\"subscribe\",\"success\":\"yes\"}",
	};
	/* Valid, of no interest: ignored, not malformed. */
	static const char *const other[] = {
		"{}", "{\"channel\":\"status\",\"type\":\"update\",\"data\":"
		"[{\"system\":\"online\"}]}",
		"{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[]}",
		"{\"e\":\"trade\",\"s\":\"BTCUSDT\"}",
		"{\"channel\":\"trade\",\"type\":\"update\",\"data\":[]}",
	};
	char why[96];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n_got = 0;
		rc = kr_parse_ws(bad[i], strlen(bad[i]), collect, NULL, why);
		CHECK(rc == -1 && why[0] != '\0' && n_got == 0,
			"malformed %zu refused (%d): %s", i, rc, bad[i]);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		n_got = 0;
		CHECK(kr_parse_ws(other[i], strlen(other[i]), collect, NULL,
			why) == 0 && n_got == 0, "ignored %zu: %s", i, other[i]);
	}
	/* One bad trade among good ones: none is handed out. */
	{
		const char *m = "{\"channel\":\"trade\",\"type\":\"update\","
			"\"data\":[{" OK_TRADE "},{\"symbol\":\"BTC/USD\"}]}";

		n_got = 0;
		CHECK(kr_parse_ws(m, strlen(m), collect, NULL, why) == -1 &&
			n_got == 0, "a half-bad batch hands out nothing");
	}
	/* A trade id given as text that is not a number: hashed, stable. */
	{
		const char *m = TRADE("\"symbol\":\"BTC/USD\",\"side\":\"sell\","
			"\"price\":\"1.25\",\"qty\":\"2\",\"trade_id\":\"T-9\","
			"\"timestamp\":\"2023-09-25T07:49:37.7Z\"");
		uint64_t a;

		n_got = 0;
		CHECK(kr_parse_ws(m, strlen(m), collect, NULL, why) == 1 &&
			got[0].id != 0 && got[0].price == 1.25 &&
			got[0].side == 2, "a text trade id is hashed");
		a = got[0].id;
		n_got = 0;
		kr_parse_ws(m, strlen(m), collect, NULL, why);
		CHECK(n_got == 1 && got[0].id == a, "the hash is stable");
	}
	/* REST: the venue's errors, rate limits among them, are not rows. */
	{
		const char *rl = "{\"error\":[\"EGeneral:Too many requests\"]}";
		const char *ok = "{\"error\":[],\"result\":{\"XXBTZUSD\":["
			"[1688671200,\"1\",\"2\",\"0.5\",\"1.5\",\"1.2\",\"3\",4],"
			"[1688671260,\"1.5\",\"1.5\",\"1.5\",\"1.5\",\"0.0\","
			"\"0.00000000\",0]],\"last\":1688671200}}";
		static const char *const rbad[] = {
			"", "[]", "{\"error\":[]}",
			"{\"error\":[],\"result\":{\"last\":1}}",
			"{\"error\":[],\"result\":{\"A\":[],\"B\":[]}}",
			"{\"error\":[],\"result\":{\"A\":[[1688671200,\"1\","
			"\"2\",\"0.5\",\"1.5\",\"1.2\",\"3\"]]}}",
			"{\"error\":[],\"result\":{\"A\":[[1688671230,\"1\","
			"\"2\",\"0.5\",\"1.5\",\"1.2\",\"3\",4]]}}",
			"{\"error\":[],\"result\":{\"A\":[[1688671200.5,\"1\","
			"\"2\",\"0.5\",\"1.5\",\"1.2\",\"3\",4]]}}",
			"{\"error\":[],\"result\":{\"A\":[[1688671260,\"1\","
			"\"2\",\"0.5\",\"1.5\",\"1.2\",\"3\",4],[1688671200,"
			"\"1\",\"2\",\"0.5\",\"1.5\",\"1.2\",\"3\",4]]}}",
			"{\"error\":[],\"result\":{\"A\":[[1688671200,\"1\","
			"\"2\",\"0.5\",\"x\",\"1.2\",\"3\",4]]}}",
		};

		CHECK(kr_parse_ohlc(rl, strlen(rl), collect, NULL, why) == -2 &&
			strcmp(why, "EGeneral:Too many requests") == 0,
			"a rate-limit answer is the venue's error: %s", why);
		n_got = 0;
		CHECK(kr_parse_ohlc(ok, strlen(ok), collect, NULL, why) == 2 &&
			n_got == 2 && got[0].closed == 1 && got[1].closed == 0 &&
			got[0].ts_ms == 1688671200000LL && got[0].low == 0.5 &&
			got[0].vwap == 1.2 && got[0].volume == 3 &&
			got[0].trades == 4 && got[1].volume == 0 &&
			got[1].trades == 0, "OHLC rows, the last one open");
		for (i = 0; i < sizeof(rbad) / sizeof(rbad[0]); i++) {
			n_got = 0;
			CHECK(kr_parse_ohlc(rbad[i], strlen(rbad[i]), collect,
				NULL, why) == -1 && why[0] != '\0' &&
				n_got == 0, "bad OHLC answer %zu refused", i);
		}
	}
}

#define PAIR(key, fields) "{\"error\":[],\"result\":{\"" key "\":{" \
	fields "}}}"
#define NAMES "\"altname\":\"XBTUSD\",\"wsname\":\"XBT/USD\","
#define OK_PAIR NAMES "\"pair_decimals\":1,\"lot_decimals\":8," \
	"\"ordermin\":\"0.0001\""

static void
instruments(void)
{
	/* Kraken's current shape and a 2021 one side by side, with extras
	 * (fees, leverage) that are not ours, a tick_size that is not
	 * 10^-pair_decimals, a pair in cancel_only, a step of 10^0 and a
	 * dark-pool pair without a wsname. */
	static const char ok[] = "{\"error\":[],\"result\":{"
		"\"XXBTZUSD\":{\"altname\":\"XBTUSD\",\"wsname\":"
		"\"XBT\\/USD\",\"base\":\"XXBT\",\"quote\":\"ZUSD\","
		"\"pair_decimals\":1,\"lot_decimals\":8,\"ordermin\":"
		"\"0.0001\",\"costmin\":\"0.5\",\"tick_size\":\"0.5\","
		"\"status\":\"online\",\"fees\":[[0,0.26]],"
		"\"leverage_buy\":[2,3],\"new_field\":{\"x\":1}},"
		"\"XXDGZUSD\":{\"altname\":\"XDGUSD\",\"wsname\":"
		"\"XDG/USD\",\"pair_decimals\":7,\"lot_decimals\":0,"
		"\"ordermin\":\"50\",\"status\":\"cancel_only\"},"
		"\"XXBTZUSD.d\":{\"altname\":\"XBTUSD.d\",\"pair_decimals\":1,"
		"\"lot_decimals\":8},"
		"\"ETHUSDT\":{\"altname\":\"ETHUSDT\",\"wsname\":"
		"\"ETH/USDT\",\"pair_decimals\":29,\"lot_decimals\":2,"
		"\"ordermin\":\"0.002\"}}}";
	static const char *const bad[] = {
		"", "{", "[]", "{\"result\":{}}", "{\"error\":[]}",
		"{\"error\":{},\"result\":{}}",
		"{\"error\":[],\"result\":[]}",
		"{\"error\":[],\"result\":{\"XXBTZUSD\":[]}}",
		PAIR("XXBTZUSD", "\"wsname\":\"XBT/USD\",\"pair_decimals\":1,"
		    "\"lot_decimals\":8,\"ordermin\":\"0.0001\""),
		PAIR("XXBTZUSD", "\"altname\":\"XBTUSD\",\"wsname\":\"XBTUSD\","
		    "\"pair_decimals\":1,\"lot_decimals\":8,"
		    "\"ordermin\":\"1\""),
		PAIR("XXBTZUSD", "\"altname\":\"XBTUSD\",\"wsname\":5,"
		    "\"pair_decimals\":1,\"lot_decimals\":8,"
		    "\"ordermin\":\"1\""),
		PAIR("XXBTZUSD", NAMES "\"lot_decimals\":8,"
		    "\"ordermin\":\"0.0001\""),
		PAIR("XXBTZUSD", NAMES "\"pair_decimals\":1,"
		    "\"ordermin\":\"0.0001\""),
		PAIR("XXBTZUSD", NAMES "\"pair_decimals\":-1,"
		    "\"lot_decimals\":8,\"ordermin\":\"1\""),
		PAIR("XXBTZUSD", NAMES "\"pair_decimals\":1.5,"
		    "\"lot_decimals\":8,\"ordermin\":\"1\""),
		/* 10^-30 is 32 characters: more than the host takes */
		PAIR("XXBTZUSD", NAMES "\"pair_decimals\":30,"
		    "\"lot_decimals\":8,\"ordermin\":\"1\""),
		PAIR("XXBTZUSD", NAMES "\"pair_decimals\":1,"
		    "\"lot_decimals\":8"),
		PAIR("XXBTZUSD", NAMES "\"pair_decimals\":1,"
		    "\"lot_decimals\":8,\"ordermin\":\"1e-5\""),
		PAIR("XXBTZUSD", NAMES "\"pair_decimals\":1,"
		    "\"lot_decimals\":8,\"ordermin\":0.1"),
		PAIR("XXBTZUSD", NAMES "\"pair_decimals\":1,"
		    "\"lot_decimals\":8,\"ordermin\":\"0.1.2\""),
		PAIR("XXBTZUSD", NAMES "\"pair_decimals\":1,"
		    "\"lot_decimals\":8,\"ordermin\":\"-1\""),
		PAIR("XXBTZUSD", OK_PAIR ",\"tick_size\":\"\""),
		PAIR("XXBTZUSD", OK_PAIR ",\"tick_size\":0.1"),
		PAIR("XXBTZUSD", OK_PAIR ",\"costmin\":\".5\""),
		PAIR("XXBTZUSD", OK_PAIR ",\"costmin\":"
		    "\"0.000000000000000000000000000001\""),
		PAIR("XXBTZUSD", OK_PAIR ",\"status\":5"),
		PAIR("XXBTZUSD0123456789012345678901234567890", OK_PAIR),
	};
	const char *rl = "{\"error\":[\"EGeneral:Too many requests\"]}";
	const char *half = "{\"error\":[],\"result\":{\"XXBTZUSD\":{"
		OK_PAIR "},\"XETHZUSD\":{\"altname\":\"ETHUSD\","
		"\"wsname\":\"ETH/USD\"}}}";
	char why[96];
	size_t i;
	long rc;

	n_ins = 0;
	rc = kr_parse_instruments(ok, strlen(ok), collect_in, NULL, why);
	CHECK(rc == 3 && n_ins == 3, "instruments: 3 on the WebSocket "
		"(%ld): %s", rc, why);
	if (n_ins == 3) {
		CHECK(strcmp(ins[0].native, "BTC/USD") == 0 &&
			strcmp(ins[0].symbol, "BTC/USD") == 0 &&
			strcmp(ins[0].key, "XXBTZUSD") == 0 &&
			strcmp(ins[0].altname, "XBTUSD") == 0 &&
			strcmp(ins[0].wsname, "XBT/USD") == 0 &&
			strcmp(ins[0].tick, "0.5") == 0 &&
			strcmp(ins[0].lot, "0.00000001") == 0 &&
			strcmp(ins[0].min_qty, "0.0001") == 0 &&
			strcmp(ins[0].min_notional, "0.5") == 0 &&
			strcmp(ins[0].status, "online") == 0 &&
			ins[0].trading == 1, "instruments: XXBTZUSD whole, "
			"tick_size over pair_decimals (%s)", ins[0].tick);
		CHECK(strcmp(ins[1].native, "DOGE/USD") == 0 &&
			strcmp(ins[1].tick, "0.0000001") == 0 &&
			strcmp(ins[1].lot, "1") == 0 &&
			strcmp(ins[1].min_qty, "50") == 0 &&
			ins[1].min_notional[0] == '\0' &&
			strcmp(ins[1].status, "cancel_only") == 0 &&
			ins[1].trading == 0, "instruments: XDG, 10^-7 and "
			"10^0 steps, cancel_only not trading (%s %s %d)",
			ins[1].tick, ins[1].lot, ins[1].trading);
		CHECK(strcmp(ins[2].native, "ETH/USDT") == 0 &&
			strcmp(ins[2].tick, "0.00000000000000000000000000001")
			== 0 && strlen(ins[2].tick) == 31 &&
			strcmp(ins[2].lot, "0.01") == 0 &&
			ins[2].status[0] == '\0' && ins[2].trading == 1,
			"instruments: 10^-29 fits 31 characters; no status "
			"is trading (%s)", ins[2].tick);
	}
	n_ins = 0;
	CHECK(kr_parse_instruments(rl, strlen(rl), collect_in, NULL, why) ==
		-2 && strcmp(why, "EGeneral:Too many requests") == 0 &&
		n_ins == 0, "instruments: the rate-limit answer is the "
		"venue's error: %s", why);
	n_ins = 0;
	CHECK(kr_parse_instruments(half, strlen(half), collect_in, NULL,
		why) == -1 && n_ins == 0 && strstr(why, "pair") != NULL,
		"instruments: one bad pair, nothing handed out: %s", why);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n_ins = 0;
		rc = kr_parse_instruments(bad[i], strlen(bad[i]), collect_in,
			NULL, why);
		CHECK(rc == -1 && why[0] != '\0' && n_ins == 0,
			"bad instrument list %zu refused (%ld): %s", i, rc,
			bad[i]);
	}
}

int
main(void)
{
	char path[1024];
	int n;

	/* Kraken keeps the slash: the shared unslashed form is not used. */
	(void)native_of;
	snprintf(path, sizeof(path), "%s/../shared/fixtures/exchanges",
		QD_TEST_SRCDIR);
	documented(path);
	times();
	symbols();
	malformed();
	instruments();
	snprintf(path, sizeof(path), "%s/../shared/fixtures/"
		"exchanges-recorded/kraken.json", QD_TEST_SRCDIR);
	n = recorded(path);
	printf("%d checks, %d failed%s\n", checks, fails, n < 0 ?
		" (recorded fixtures skipped)" : "");
	if (n >= 0)
		printf("%d recorded cases checked\n", n);
	return fails ? 1 : 0;
}
