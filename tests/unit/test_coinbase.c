/*
 * test_coinbase.c -- the Coinbase adapter's parser against the documented
 * messages (../shared/fixtures/exchanges/coinbase-*.json) and the messages
 * recorded from the venue with their normalised meaning
 * (../shared/fixtures/exchanges-recorded/coinbase.json): every field of
 * every normalised event, the taker side being the opposite of the maker
 * side the venue reports.  Malformed variants are refused whole.  The
 * fixtures are read where they are, never copied; without them the test
 * reports itself skipped.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "venue_fixtures.h"
#include "../../plugins/exchange-coinbase/parse.h"

#define MAXEV 256
static struct cb_event got[MAXEV];
static int n_got;

static void
collect(void *arg, const struct cb_event *ev)
{
	(void)arg;
	if (n_got < MAXEV)
		got[n_got++] = *ev;
}

/* The expected "symbol" in the venue's spelling: BTC/USD is BTC-USD. */
static int
same_native(const struct cb_event *e, const cJSON *x)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, "symbol");
	const char *slash, *dash = strchr(e->native, '-');
	char nat[32], mine[32];
	size_t i, n = 0;

	if (!cJSON_IsString(v) || dash == NULL ||
	    (slash = strchr(v->valuestring, '/')) == NULL ||
	    slash - v->valuestring != dash - e->native)
		return 0;
	native_of(x, nat, sizeof(nat));
	for (i = 0; e->native[i] && n + 1 < sizeof(mine); i++)
		if (e->native[i] != '-')
			mine[n++] = e->native[i];
	mine[n] = '\0';
	return strcmp(mine, nat) == 0;
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* "5m", "1h" as ms. */
static int64_t
timeframe_ms(const char *tf)
{
	char *end;
	long n = strtol(tf, &end, 10);

	return strcmp(end, "m") == 0 ? n * 60000LL : strcmp(end, "h") == 0 ?
	    n * 3600000LL : -1;
}

static void
check_one(const char *id, const char *kind, int snapshot,
	const struct cb_event *e, const cJSON *x)
{
	if (strcmp(kind, "ws_trade") == 0) {
		const char *side = str(x, "side"), *rep = str(x,
			"reported_side");

		CHECK(e->kind == CB_TRADE && same_native(e, x),
			"%s: trade of %s, got kind %d %s", id, str(x, "symbol"),
			e->kind, e->native);
		CHECK(e->price == dec(x, "price") && e->qty == dec(x, "qty"),
			"%s: price/qty %.10g/%.10g, want %s/%s", id, e->price,
			e->qty, str(x, "price"), str(x, "qty"));
		CHECK(e->ts_ms == (int64_t)dec(x, "ts_ms"),
			"%s: ts %lld, want %.0f", id, (long long)e->ts_ms,
			dec(x, "ts_ms"));
		CHECK(e->side == (strcmp(side, "buy") == 0 ? 1 :
			strcmp(side, "sell") == 0 ? 2 : -1),
			"%s: taker side %d, want %s", id, e->side, side);
		CHECK(e->maker_side == (strcmp(rep, "BUY") == 0 ? 1 :
			strcmp(rep, "SELL") == 0 ? 2 : -1),
			"%s: reported side %d, want %s", id, e->maker_side, rep);
		CHECK(e->id == strtoull(str(x, "trade_id"), NULL, 10) &&
			e->id_ordered, "%s: trade id %llu, want %s", id,
			(unsigned long long)e->id, str(x, "trade_id"));
		CHECK(e->snapshot == snapshot, "%s: snapshot %d", id,
			e->snapshot);
	} else if (strcmp(kind, "ws_kline") == 0 ||
	    strcmp(kind, "rest_klines") == 0) {
		const cJSON *closed = cJSON_GetObjectItemCaseSensitive(x,
			"closed");

		CHECK(e->kind == CB_KLINE, "%s: kline, got kind %d", id,
			e->kind);
		if (kind[0] == 'w')
			CHECK(same_native(e, x) && e->closed == -1,
				"%s: symbol %s, closed %d", id, e->native,
				e->closed);
		CHECK(e->interval_ms == timeframe_ms(str(x, "timeframe")),
			"%s: interval %lld, want %s", id,
			(long long)e->interval_ms, str(x, "timeframe"));
		CHECK(e->ts_ms == (int64_t)dec(x, "open_time_ms") &&
			e->open == dec(x, "open") && e->high == dec(x, "high") &&
			e->low == dec(x, "low") && e->close == dec(x, "close") &&
			e->volume == dec(x, "volume"),
			"%s: kline at %lld differs", id, (long long)e->ts_ms);
		if (cJSON_IsBool(closed))
			CHECK(e->closed == cJSON_IsTrue(closed), "%s: closed",
				id);
	} else if (strcmp(kind, "ws_book_top") == 0) {
		CHECK(e->kind == CB_BOOK && same_native(e, x) &&
			e->bid == dec(x, "bid") && e->bid_qty == dec(x,
			"bid_qty") && e->ask == dec(x, "ask") &&
			e->ask_qty == dec(x, "ask_qty") &&
			e->last == dec(x, "last") &&
			e->ts_ms == (int64_t)dec(x, "ts_ms"),
			"%s: book %s %.10g/%.10g %.10g/%.10g at %lld", id,
			e->native, e->bid, e->bid_qty, e->ask, e->ask_qty,
			(long long)e->ts_ms);
	} else if (strcmp(kind, "ws_heartbeat") == 0) {
		CHECK(e->kind == CB_HEARTBEAT &&
			e->counter == (int64_t)dec(x, "counter") &&
			e->ts_ms == (int64_t)dec(x, "ts_ms"),
			"%s: heartbeat %lld at %lld", id,
			(long long)e->counter, (long long)e->ts_ms);
	}
}

/* Trades are handed out oldest first, ties by trade id. */
static int
cmp_trade(const void *a, const void *b)
{
	const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
	double tx = dec(x, "ts_ms"), ty = dec(y, "ts_ms");
	unsigned long long ix = strtoull(str(x, "trade_id"), NULL, 10);
	unsigned long long iy = strtoull(str(y, "trade_id"), NULL, 10);

	if (tx != ty)
		return (tx > ty) - (tx < ty);
	return (ix > iy) - (ix < iy);
}

static int
cmp_open(const void *a, const void *b)
{
	double x = dec(*(cJSON *const *)a, "open_time_ms");
	double y = dec(*(cJSON *const *)b, "open_time_ms");

	return (x > y) - (x < y);
}

/* The envelope the parser saw is the raw message's. */
static void
check_envelope(const char *id, const char *raw, const struct cb_envelope *env)
{
	cJSON *r = cJSON_Parse(raw);
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(r, "sequence_num");
	const cJSON *ch = cJSON_GetObjectItemCaseSensitive(r, "channel");

	CHECK(cJSON_IsNumber(seq) && env->seq == (int64_t)seq->valuedouble,
		"%s: sequence_num %lld", id, (long long)env->seq);
	CHECK(cJSON_IsString(ch) && strcmp(env->channel, ch->valuestring) ==
		0 && env->ts_ms > 0, "%s: channel %s", id, env->channel);
	cJSON_Delete(r);
}

/* ---- the product list -------------------------------------------------- */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct cb_instrument *ins;
static long n_ins, cap_ins;

static void
collect_instrument(void *arg, const struct cb_instrument *in)
{
	(void)arg;
	if (n_ins == cap_ins) {
		cap_ins = cap_ins ? cap_ins * 2 : 64;
		ins = realloc(ins, (size_t)cap_ins * sizeof(*ins));
	}
	ins[n_ins++] = *in;
}

static long
instruments(const char *text, char *why)
{
	n_ins = 0;
	return cb_parse_instruments(text, strlen(text), collect_instrument,
		NULL, why);
}

/* Text field k of the expectation equals `have` (null: ""). */
static int
same_text(const cJSON *x, const char *k, const char *have)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, k);

	if (cJSON_IsNull(v))
		return have[0] == '\0';
	return cJSON_IsString(v) && strcmp(v->valuestring, have) == 0;
}

static void
check_instrument(const char *id, const struct cb_instrument *in,
	const cJSON *x)
{
	CHECK(same_text(x, "native", in->native), "%s: native %s", id,
		in->native);
	CHECK(same_text(x, "symbol", in->symbol), "%s: %s symbol %s", id,
		in->native, in->symbol);
	CHECK(same_text(x, "tick", in->tick), "%s: %s tick %s", id,
		in->native, in->tick);
	CHECK(same_text(x, "lot", in->lot), "%s: %s lot %s", id, in->native,
		in->lot);
	CHECK(same_text(x, "min_qty", in->min_qty), "%s: %s min_qty %s", id,
		in->native, in->min_qty);
	CHECK(same_text(x, "min_notional", in->min_notional),
		"%s: %s min_notional %s", id, in->native, in->min_notional);
	CHECK(same_text(x, "status", in->status), "%s: %s status %s", id,
		in->native, in->status);
	CHECK(same_text(x, "alias", in->alias), "%s: %s alias %s", id,
		in->native, in->alias);
}

/* The recorded list: every expected product exactly (in order when the
 * whole list is asserted, by product_id when only some are), the count of
 * SPOT products in the raw answer, and trading as the raw answer's status
 * and trading_disabled say. */
static void
instruments_case(const char *id, const char *raw, const cJSON *x,
	int scoped)
{
	cJSON *m = cJSON_Parse(raw), *it;
	char why[96];
	long n = instruments(raw, why), spot = 0, i;
	const cJSON *e;
	int k = 0;

	CHECK(n >= 0, "%s: products parse: %s", id, why);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m,
	    "products")) {
		if (strcmp(str(it, "product_type"), "SPOT") != 0)
			continue;
		for (i = 0; i < n_ins; i++)
			if (strcmp(ins[i].native, str(it, "product_id")) == 0)
				break;
		CHECK(i < n_ins && ins[i].trading == (strcmp(str(it,
			"status"), "online") == 0 && cJSON_IsFalse(
			cJSON_GetObjectItem(it, "trading_disabled"))),
			"%s: %s trading", id, str(it, "product_id"));
		spot++;
	}
	CHECK(n == spot && n_ins == n, "%s: %ld products, want %ld", id, n,
		spot);
	CHECK(scoped || n == cJSON_GetArraySize(x), "%s: %ld products, %d "
		"expected", id, n, cJSON_GetArraySize(x));
	cJSON_ArrayForEach(e, x) {
		for (i = 0; scoped && i < n_ins; i++)
			if (strcmp(ins[i].native, str(e, "native")) == 0)
				break;
		if (!scoped)
			i = k;
		CHECK(i < n_ins, "%s: %s listed", id, str(e, "native"));
		if (i < n_ins)
			check_instrument(id, &ins[i], e);
		k++;
	}
	cJSON_Delete(m);
}

static cJSON *
first_product(cJSON *m)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(m,
		"products"), 0);
}

/* The list with its first product's `key` set to `v` (NULL: removed) is
 * refused whole. */
static void
instruments_refused(const char *id, const char *raw, const char *key,
	cJSON *v)
{
	cJSON *m = cJSON_Parse(raw), *it = first_product(m);
	char why[96], *out, *shown = v ? cJSON_PrintUnformatted(v) : NULL;

	if (v == NULL)
		cJSON_DeleteItemFromObject(it, key);
	else
		cJSON_ReplaceItemInObject(it, key, v);
	out = cJSON_PrintUnformatted(m);
	CHECK(instruments(out, why) == -1 && why[0] != '\0' && n_ins == 0,
		"%s: %s=%s refused", id, key, shown ? shown : "(missing)");
	free(out);
	free(shown);
	cJSON_Delete(m);
}

static void
instruments_broken(const char *id, const char *raw)
{
	static const char *const keys[] = { "product_id", "product_type",
		"base_currency_id", "quote_currency_id", "quote_increment",
		"base_increment", "base_min_size", "status",
		"trading_disabled" };
	static const char *const steps[] = { "quote_increment",
		"base_increment", "base_min_size", "quote_min_size" };
	static const char *const bad_step[] = { "abc", "-1", "1e-5", " 1",
		"0.1.1", ".", "0x10", "nan",
		"0.00000000000000000000000000000001" };
	cJSON *m, *p;
	char why[96], *out;
	long n, all;
	size_t k, b;

	for (k = 0; k < NELEM(keys); k++)
		instruments_refused(id, raw, keys[k], NULL);
	for (k = 0; k < NELEM(steps); k++)
		for (b = 0; b < NELEM(bad_step); b++)
			instruments_refused(id, raw, steps[k],
				cJSON_CreateString(bad_step[b]));
	for (k = 0; k < 3; k++)   /* required steps: "" is no step */
		instruments_refused(id, raw, steps[k], cJSON_CreateString(""));
	instruments_refused(id, raw, "base_increment", cJSON_CreateNumber(1));
	instruments_refused(id, raw, "trading_disabled",
		cJSON_CreateString("false"));
	instruments_refused(id, raw, "product_id",
		cJSON_CreateString("BTC USD"));
	instruments_refused(id, raw, "alias", cJSON_CreateString("BTC/USD"));
	instruments_refused(id, raw, "status", cJSON_CreateString(""));
	CHECK(instruments("{\"error\":\"NOT_FOUND\",\"message\":\"no\"}",
		why) == -1 && strstr(why, "no") != NULL, "%s: error answer "
		"refused", id);
	CHECK(instruments("{\"products\":{}}", why) == -1,
		"%s: products not a list refused", id);
	out = strdup(raw);
	out[strlen(out) / 2] = '\0';
	CHECK(instruments(out, why) == -1, "%s: half the answer refused", id);
	free(out);
	/* Another product_type is skipped, unknown fields ignored, no
	 * quote_min_size is none. */
	all = instruments(raw, why);
	m = cJSON_Parse(raw);
	p = first_product(m);
	cJSON_ReplaceItemInObject(p, "product_type",
		cJSON_CreateString("FUTURE"));
	cJSON_ReplaceItemInObject(p, "quote_increment",
		cJSON_CreateString("not read"));
	cJSON_AddStringToObject(p, "new_field", "x");
	p = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "products"), 1);
	cJSON_AddStringToObject(p, "new_field", "x");
	cJSON_DeleteItemFromObject(p, "quote_min_size");
	out = cJSON_PrintUnformatted(m);
	n = instruments(out, why);
	CHECK(n == all - 1 && n_ins == n && strcmp(ins[0].native,
		str(p, "product_id")) == 0 && ins[0].min_notional[0] == '\0',
		"%s: a FUTURE skipped, extra fields ignored (%ld of %ld)", id,
		n, all);
	free(out);
	/* Online but trading disabled, and offline: listed, not trading. */
	cJSON_ReplaceItemInObject(p, "trading_disabled", cJSON_CreateTrue());
	p = first_product(m);
	cJSON_ReplaceItemInObject(p, "product_type",
		cJSON_CreateString("SPOT"));
	cJSON_ReplaceItemInObject(p, "quote_increment",
		cJSON_CreateString("0.5"));
	cJSON_ReplaceItemInObject(p, "status", cJSON_CreateString("offline"));
	/* The recorded lists have base_min_size == base_increment: told
	 * apart here. */
	cJSON_ReplaceItemInObject(p, "base_min_size",
		cJSON_CreateString("0.0010"));
	cJSON_ReplaceItemInObject(p, "quote_min_size",
		cJSON_CreateString("10.00"));
	out = cJSON_PrintUnformatted(m);
	CHECK(instruments(out, why) == all && n_ins >= 2 && !ins[0].trading &&
		!ins[1].trading && strcmp(ins[0].status, "offline") == 0 &&
		strcmp(ins[0].tick, "0.5") == 0, "%s: offline and disabled "
		"not trading", id);
	CHECK(n_ins >= 1 && strcmp(ins[0].min_qty, "0.0010") == 0 &&
		strcmp(ins[0].min_notional, "10.00") == 0 &&
		strcmp(ins[0].lot, str(p, "base_increment")) == 0,
		"%s: base_min_size %s, quote_min_size %s, lot %s", id,
		n_ins ? ins[0].min_qty : "", n_ins ? ins[0].min_notional : "",
		n_ins ? ins[0].lot : "");
	free(out);
	cJSON_Delete(m);
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
	CHECK(cJSON_GetArraySize(cases) > 0, "%s holds cases", path);
	cJSON_ArrayForEach(c, cases) {
		const char *id = str(c, "id"), *kind = str(c, "kind");
		const char *raw = str(c, "raw");
		const cJSON *x = cJSON_GetObjectItem(c, "expect");
		int snapshot = strstr(raw, "\"type\":\"snapshot\"") != NULL;
		struct cb_envelope env;
		cJSON **xs;
		int i, want;

		n_got = 0;
		if (strncmp(kind, "ws_", 3) == 0) {
			int rc = cb_parse_ws(raw, strlen(raw), &env, collect,
				NULL, why);

			CHECK(rc == n_got && rc >= 0, "%s: parse: %d %s", id,
				rc, why);
			check_envelope(id, raw, &env);
		} else if (strcmp(kind, "rest_klines") == 0) {
			/* The hour candles of the recorded answer (the step
			 * between its rows); all long closed. */
			CHECK(cb_parse_klines(raw, strlen(raw), 3600000,
				INT64_MAX, collect, NULL, why) == n_got &&
				n_got > 0, "%s: parse: %s", id, why);
		} else if (strcmp(kind, "rest_instruments") == 0) {
			instruments_case(id, raw, x, cJSON_GetObjectItem(c,
				"expect_scope") != NULL);
			instruments_broken(id, raw);
			n++;
			continue;
		} else {
			continue;  /* REST trades, orders, fills: not read */
		}
		n++;
		if (!cJSON_IsArray(x)) {
			CHECK(n_got == 1, "%s: %d events", id, n_got);
			if (n_got == 1)
				check_one(id, kind, snapshot, &got[0], x);
			continue;
		}
		want = cJSON_GetArraySize(x);
		CHECK(n_got == want, "%s: %d events, want %d", id, n_got, want);
		xs = calloc((size_t)want + 1, sizeof(*xs));
		for (i = 0; i < want; i++)
			xs[i] = cJSON_GetArrayItem(x, i);
		if (strcmp(kind, "ws_trade") == 0)
			qsort(xs, (size_t)want, sizeof(*xs), cmp_trade);
		if (strcmp(kind, "rest_klines") == 0)
			qsort(xs, (size_t)want, sizeof(*xs), cmp_open);
		for (i = 0; i < want && i < n_got; i++)
			check_one(id, kind, snapshot, &got[i], xs[i]);
		free(xs);
	}
	cJSON_Delete(cases);
	return n;
}

/* Parse documented fixture `name` of `dir`; its text in *t (or NULL). */
static int
doc_ws(const char *dir, const char *name, struct cb_envelope *env, char **t)
{
	char path[2048], why[96];
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n_got = 0;
	if ((*t = slurp(path, &len)) == NULL) {
		printf("skipped: no documented fixture %s\n", path);
		return -2;
	}
	rc = cb_parse_ws(*t, len, env, collect, NULL, why);
	if (rc < 0)
		printf("# %s: %s\n", name, why);
	free(*t);
	return rc;
}

static void
documented(const char *dir)
{
	struct cb_envelope env;
	char path[2048], why[96];
	size_t len, i;
	char *t;
	static const char *const other_api[] = {
		"coinbase-exchange-heartbeat.json",
		"coinbase-exchange-match.json",
		"coinbase-exchange-subscribe-request.json",
		"coinbase-subscribe-candles-request.json",
		"coinbase-subscribe-heartbeats-request.json",
		"coinbase-subscribe-market-trades-request.json",
	};

	if (doc_ws(dir, "coinbase-market-trades.json", &env, &t) != -2)
		CHECK(n_got == 1 && got[0].kind == CB_TRADE &&
			strcmp(got[0].native, "ETH-USD") == 0 &&
			got[0].price == 1260.01 && got[0].qty == 0.3 &&
			got[0].maker_side == 1 && got[0].side == 2 &&
			got[0].ts_ms == 1565815347265LL && got[0].id == 0 &&
			got[0].id_ordered && got[0].snapshot && env.seq == 0 &&
			env.ts_ms == 1675973975396LL,
			"coinbase-market-trades.json: a BUY maker is a taker "
			"sale");
	if (doc_ws(dir, "coinbase-candles.json", &env, &t) != -2)
		CHECK(n_got == 1 && got[0].kind == CB_KLINE &&
			strcmp(got[0].native, "ETH-USD") == 0 &&
			got[0].ts_ms == 1688998200000LL &&
			got[0].interval_ms == 300000 && got[0].open == 1867.38 &&
			got[0].high == 1867.72 && got[0].low == 1865.63 &&
			got[0].close == 1866.81 && got[0].volume == 0.20269406 &&
			got[0].closed == -1, "coinbase-candles.json");
	if (doc_ws(dir, "coinbase-heartbeats.json", &env, &t) != -2)
		CHECK(n_got == 1 && got[0].kind == CB_HEARTBEAT &&
			got[0].counter == 3049 &&
			got[0].ts_ms == 1687552286122LL &&
			strcmp(env.channel, "heartbeats") == 0,
			"coinbase-heartbeats.json: counter as a string");
	if (doc_ws(dir, "coinbase-status.json", &env, &t) != -2)
		CHECK(n_got == 1 && got[0].kind == CB_STATUS &&
			strcmp(got[0].native, "BTC-USD") == 0 &&
			strcmp(got[0].text, "online") == 0,
			"coinbase-status.json");
	/* The Exchange feed's messages and the requests are valid JSON of
	 * no interest to this parser: nothing, and no complaint. */
	for (i = 0; i < sizeof(other_api) / sizeof(other_api[0]); i++)
		if (doc_ws(dir, other_api[i], &env, &t) != -2)
			CHECK(n_got == 0 && env.seq == -1 &&
				env.channel[0] == '\0', "%s is ignored",
				other_api[i]);
	snprintf(path, sizeof(path), "%s/coinbase-rest-candles-response.json",
		dir);
	if ((t = slurp(path, &len)) != NULL) {
		n_got = 0;
		CHECK(cb_parse_klines(t, len, 60000, 1639508050000LL + 60000,
			collect, NULL, why) == 1 && n_got == 1 &&
			got[0].kind == CB_KLINE &&
			got[0].ts_ms == 1639508050000LL &&
			got[0].open == 140.21 && got[0].high == 140.21 &&
			got[0].low == 140.21 && got[0].close == 140.21 &&
			got[0].volume == 56437345 && got[0].closed == 1,
			"coinbase-rest-candles-response.json: %s", why);
		n_got = 0;
		CHECK(cb_parse_klines(t, len, 60000, 1639508050000LL + 59999,
			collect, NULL, why) == 1 && n_got == 1 &&
			got[0].closed == 0, "a candle still open is not closed");
		free(t);
	} else {
		printf("skipped: no documented fixture %s\n", path);
	}
}

static void
times(void)
{
	static const struct { const char *s; int64_t ms; } t[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:00.9999Z", 999 },
		{ "2000-02-29T23:59:59.5Z", 951868799500LL },
		{ "2026-08-09T21:05:38.50436Z", 1786309538504LL },
		{ "2026-08-09T21:05:48.251397169Z", 1786309548251LL },
		{ "2026-12-31T23:59:59.999999999999Z", 1798761599999LL },
		{ "2001-02-29T00:00:00Z", -1 },
		{ "2026-13-01T00:00:00Z", -1 },
		{ "2026-04-31T00:00:00Z", -1 },
		{ "2026-08-09T24:00:00Z", -1 },
		{ "2026-08-09T21:05:48.Z", -1 },
		{ "2026-08-09T21:05:48", -1 },
		{ "2026-08-09T21:05:48+00:00", -1 },
		{ "2026-08-09 21:05:48Z", -1 },
		{ "2026-08-09T21:05:48.1Zx", -1 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(cb_time_ms(t[i].s) == t[i].ms, "time %s: %lld, want %lld",
			t[i].s, (long long)cb_time_ms(t[i].s),
			(long long)t[i].ms);
}

#define ENV "{\"channel\":\"market_trades\",\"timestamp\":" \
	"\"2026-01-01T00:00:00Z\",\"sequence_num\":1,\"events\":"
#define TRADE(price, size, side, time, id, prod) \
	"{\"product_id\":\"" prod "\",\"trade_id\":\"" id "\",\"price\":\"" \
	price "\",\"size\":\"" size "\",\"time\":\"" time "\",\"side\":\"" \
	side "\"}"
#define OK_TRADE TRADE("1.5", "2", "BUY", "2026-01-01T00:00:00Z", "7", \
	"BTC-USD")
#define ONE(t) ENV "[{\"type\":\"update\",\"trades\":[" t "]}]}"

static void
malformed(void)
{
	static const char *const bad[] = {
		"", "{", "[]", "null", "\"market_trades\"",
		ENV "{}}",
		ENV "[{\"type\":\"update\",\"trades\":{}}]}",
		ENV "[1]}",
		ONE(TRADE("1.5", "2", "UP", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("0", "2", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("-1", "2", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("1e999", "2", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("0x10", "2", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE(" 1", "2", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("nan", "2", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("", "2", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("1.5", "0", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("1.5", "1,5", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("1.5", "2", "BUY", "2026-02-30T00:00:00Z", "7",
			"BTC-USD")),
		ONE(TRADE("1.5", "2", "BUY", "1767225600000", "7",
			"BTC-USD")),
		ONE(TRADE("1.5", "2", "BUY", "2026-01-01T00:00:00Z", "",
			"BTC-USD")),
		ONE(TRADE("1.5", "2", "BUY", "2026-01-01T00:00:00Z", "7",
			"BTC/USD")),
		ONE(TRADE("1.5", "2", "BUY", "2026-01-01T00:00:00Z", "7", "")),
		/* one bad trade spoils its batch: nothing is handed out */
		ONE(OK_TRADE "," TRADE("1.5", "2", "BUY", "2026-01-01", "8",
			"BTC-USD")),
		"{\"channel\":\"market_trades\",\"timestamp\":\"yesterday\","
		"\"sequence_num\":1,\"events\":[]}",
		"{\"channel\":\"market_trades\",\"sequence_num\":1,"
		"\"events\":[]}",
		"{\"channel\":\"market_trades\",\"timestamp\":"
		"\"2026-01-01T00:00:00Z\",\"sequence_num\":-1,\"events\":[]}",
		"{\"channel\":\"market_trades\",\"timestamp\":"
		"\"2026-01-01T00:00:00Z\",\"sequence_num\":1.5,\"events\":[]}",
		"{\"channel\":\"heartbeats\",\"timestamp\":"
		"\"2026-01-01T00:00:00Z\",\"sequence_num\":1,\"events\":"
		"[{\"heartbeat_counter\":\"x\"}]}",
		"{\"channel\":\"ticker\",\"timestamp\":\"2026-01-01T00:00:00Z\","
		"\"sequence_num\":1,\"events\":[{\"type\":\"update\",\"tickers\":"
		"[{\"product_id\":\"BTC-USD\",\"best_bid\":\"abc\","
		"\"best_bid_quantity\":\"1\",\"best_ask\":\"2\","
		"\"best_ask_quantity\":\"1\"}]}]}",
		"{\"channel\":\"ticker\",\"timestamp\":\"2026-01-01T00:00:00Z\","
		"\"sequence_num\":1,\"events\":[{\"type\":\"update\",\"tickers\":"
		"[{\"product_id\":\"BTC-USD\",\"best_bid\":\"1\","
		"\"best_ask\":\"2\",\"best_ask_quantity\":\"1\"}]}]}",
		"{\"channel\":\"candles\",\"timestamp\":\"2026-01-01T00:00:00Z\","
		"\"sequence_num\":1,\"events\":[{\"type\":\"update\",\"candles\":"
		"[{\"start\":\"60\",\"high\":\"1\",\"low\":\"2\",\"open\":\"1\","
		"\"close\":\"1\",\"volume\":\"1\",\"product_id\":\"BTC-USD\"}]}]}",
		"{\"channel\":\"candles\",\"timestamp\":\"2026-01-01T00:00:00Z\","
		"\"sequence_num\":1,\"events\":[{\"type\":\"update\",\"candles\":"
		"[{\"start\":\"6e1\",\"high\":\"1\",\"low\":\"1\",\"open\":\"1\","
		"\"close\":\"1\",\"volume\":\"1\",\"product_id\":\"BTC-USD\"}]}]}",
		"{\"channel\":\"status\",\"timestamp\":\"2026-01-01T00:00:00Z\","
		"\"events\":[{\"products\":[{\"id\":\"BTC-USD\"}]}]}",
		"{\"channel\":\"subscriptions\",\"timestamp\":"
		"\"2026-01-01T00:00:00Z\",\"events\":[{\"subscriptions\":[]}]}",
	};
	static const char *const bad_rest[] = {
		"", "[]", "{}",
		"{\"error\":\"INVALID_ARGUMENT\",\"error_details\":\"start and "
		"end argument is invalid\",\"message\":\"start and end argument "
		"is invalid\"}",
		"{\"candles\":[{\"start\":\"60\",\"low\":\"1\",\"high\":\"2\","
		"\"open\":\"1\",\"close\":\"2\"}]}",
		"{\"candles\":[{\"start\":\"-60\",\"low\":\"1\",\"high\":\"2\","
		"\"open\":\"1\",\"close\":\"2\",\"volume\":\"1\"}]}",
		"{\"candles\":[{\"start\":\"60\",\"low\":\"1\",\"high\":\"2\","
		"\"open\":\"3\",\"close\":\"2\",\"volume\":\"1\"}]}",
		"{\"candles\":[{\"start\":\"60\",\"low\":\"1\",\"high\":\"2\","
		"\"open\":\"1\",\"close\":\"2\",\"volume\":\"-1\"}]}",
	};
	char why[96];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n_got = 0;
		CHECK(cb_parse_ws(bad[i], strlen(bad[i]), NULL, collect, NULL,
			why) == -1 && why[0] != '\0' && n_got == 0,
			"malformed %zu refused with a reason and no event: %s",
			i, bad[i]);
	}
	for (i = 0; i < sizeof(bad_rest) / sizeof(bad_rest[0]); i++) {
		n_got = 0;
		CHECK(cb_parse_klines(bad_rest[i], strlen(bad_rest[i]), 60000,
			INT64_MAX, collect, NULL, why) == -1 && why[0] != '\0' &&
			n_got == 0, "malformed candles answer %zu refused", i);
	}
	n_got = 0;
	cb_parse_klines(bad_rest[3], strlen(bad_rest[3]), 60000, 0, collect,
		NULL, why);
	CHECK(strstr(why, "start and end argument is invalid") != NULL,
		"the venue's error message is the reason: %s", why);
}

static void
valid(void)
{
	static const char *const ignored[] = {
		"{}",
		"{\"e\":\"trade\",\"s\":\"BTCUSDT\"}",
		"{\"channel\":\"level2\",\"timestamp\":\"bad\",\"events\":1}",
		"{\"type\":\"subscribe\",\"channel\":\"heartbeats\"}",
	};
	static const char two[] = ONE(
		TRADE("2.5", "0.1", "SELL", "2026-01-01T00:00:01.5Z", "9",
		    "btc-usd") ","
		TRADE("2.25", "0.2", "BUY", "2026-01-01T00:00:01.5Z", "8",
		    "BTC-USD") ","
		TRADE("2", "0.3", "BUY", "2026-01-01T00:00:00Z", "abc-1",
		    "BTC-USD"));
	static const char err[] = "{\"type\":\"error\",\"message\":"
		"\"failure to subscribe\"}";
	static const char empty_top[] = "{\"channel\":\"ticker\","
		"\"timestamp\":\"2026-01-01T00:00:00Z\",\"sequence_num\":4,"
		"\"events\":[{\"type\":\"update\",\"tickers\":[{\"product_id\":"
		"\"BTC-USD\",\"price\":\"1\",\"best_bid\":\"\",\"best_ask\":"
		"\"2\",\"best_bid_quantity\":\"\",\"best_ask_quantity\":"
		"\"1\"}]}]}";
	static const char subs[] = "{\"channel\":\"subscriptions\","
		"\"timestamp\":\"2026-01-01T00:00:00Z\",\"sequence_num\":2,"
		"\"events\":[{\"subscriptions\":{\"market_trades\":[\"BTC-USD\"],"
		"\"heartbeats\":[\"heartbeats\"]}}]}";
	struct cb_envelope env;
	char why[96];
	size_t i;

	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		n_got = 0;
		CHECK(cb_parse_ws(ignored[i], strlen(ignored[i]), NULL, collect,
			NULL, why) == 0 && n_got == 0,
			"unknown but valid %zu ignored: %s", i, why);
	}
	n_got = 0;
	CHECK(cb_parse_ws(two, strlen(two), &env, collect, NULL, why) == 3 &&
		n_got == 3 && env.seq == 1 && env.ts_ms == 1767225600000LL,
		"a batch of three: %s", why);
	CHECK(n_got == 3 && got[0].ts_ms == 1767225600000LL &&
		!got[0].id_ordered && got[0].id != 0 && got[0].price == 2 &&
		got[1].id == 8 && got[1].side == 2 && got[1].price == 2.25 &&
		got[2].id == 9 && got[2].side == 1 && got[2].qty == 0.1 &&
		got[2].ts_ms == 1767225601500LL &&
		strcmp(got[2].native, "BTC-USD") == 0 && !got[2].snapshot,
		"oldest first, ties by id, sides flipped, a text id hashed");
	n_got = 0;
	CHECK(cb_parse_ws(err, strlen(err), NULL, collect, NULL, why) == 1 &&
		got[0].kind == CB_ERROR && strcmp(got[0].text,
		"failure to subscribe") == 0, "an error answer is an event");
	n_got = 0;
	CHECK(cb_parse_ws(empty_top, strlen(empty_top), &env, collect, NULL,
		why) == 0 && env.seq == 4, "a ticker with an empty side gives "
		"no top: %s", why);
	n_got = 0;
	CHECK(cb_parse_ws(subs, strlen(subs), NULL, collect, NULL, why) == 1 &&
		got[0].kind == CB_SUBSCRIBED && strcmp(got[0].text,
		"market_trades heartbeats") == 0, "subscriptions: %s",
		got[0].text);
}

int
main(void)
{
	char path[1024];
	int n;

	times();
	malformed();
	valid();
	snprintf(path, sizeof(path), "%s/../shared/fixtures/exchanges",
		QD_TEST_SRCDIR);
	documented(path);
	snprintf(path, sizeof(path), "%s/../shared/fixtures/"
		"exchanges-recorded/coinbase.json", QD_TEST_SRCDIR);
	n = recorded(path);
	free(ins);
	printf("%d checks, %d failed%s\n", checks, fails, n < 0 ?
		" (recorded fixtures skipped)" : "");
	if (n >= 0)
		printf("%d recorded cases checked\n", n);
	return fails ? 1 : 0;
}
