/*
 * parse.c -- Bybit v5 spot messages (see parse.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "parse.h"
#include "../common/jsontext.h"

static int
str_num(const cJSON *v, double *out)
{
	char *end;

	if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
		errno = 0;
		*out = strtod(v->valuestring, &end);
		return *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
	}
	if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
		*out = v->valuedouble;
		return 0;
	}
	return -1;
}

static int
num(const cJSON *o, const char *k, double *out)
{
	return str_num(cJSON_GetObjectItemCaseSensitive(o, k), out);
}

/* Milliseconds as a JSON number or a decimal string. */
static int
ms(const cJSON *v, int64_t *out)
{
	double d;

	if (str_num(v, &d) != 0 || d < 0 || d > 9.007199254740992e15 ||
	    d != floor(d))
		return -1;
	*out = (int64_t)d;
	return 0;
}

static int
symbol_text(const char *s, char *out, size_t cap)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= cap)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c))
			return -1;
		out[i] = (char)toupper(c);
	}
	out[n] = '\0';
	return 0;
}

static int
symbol(const cJSON *v, char *out, size_t cap)
{
	return cJSON_IsString(v) ? symbol_text(v->valuestring, out, cap) : -1;
}

/* The venue's trade id: decimal, else a 64-bit FNV-1a of its text. */
static uint64_t
trade_id(const char *s)
{
	uint64_t u = 0, h = 0xcbf29ce484222325ULL;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && p - s < 19; p++)
		u = u * 10 + (uint64_t)(*p - '0');
	if (*p == '\0' && p != s)
		return u;
	for (p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h & 0x7fffffffffffffffULL;
}

static int
bad(char *why, const char *text)
{
	snprintf(why, 96, "%s", text);
	return -1;
}

static int
trades(const cJSON *data, void (*fn)(void *, const struct by_event *),
	void *arg, char *why)
{
	const cJSON *t;
	int n = 0;

	if (!cJSON_IsArray(data))
		return bad(why, "publicTrade: data is not an array");
	cJSON_ArrayForEach(t, data) {
		struct by_event ev;
		const cJSON *side = cJSON_GetObjectItemCaseSensitive(t, "S");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "i");

		memset(&ev, 0, sizeof(ev));
		if (symbol(cJSON_GetObjectItemCaseSensitive(t, "s"), ev.native,
		    sizeof(ev.native)) != 0 || num(t, "p", &ev.price) != 0 ||
		    num(t, "v", &ev.qty) != 0 ||
		    ms(cJSON_GetObjectItemCaseSensitive(t, "T"), &ev.ts_ms) ||
		    !cJSON_IsString(side) || !cJSON_IsString(id) ||
		    (strcmp(side->valuestring, "Buy") != 0 &&
		    strcmp(side->valuestring, "Sell") != 0))
			return bad(why, "publicTrade: missing or bad field");
		if (!(ev.price > 0) || ev.qty < 0)
			return bad(why, "publicTrade: price or size out of "
			    "range");
		ev.kind = BY_TRADE;
		ev.side = side->valuestring[0] == 'B' ? 1 : 2;
		ev.id = trade_id(id->valuestring);
		fn(arg, &ev);
		n++;
	}
	return n;
}

static int
kline_ok(struct by_event *ev)
{
	if (!(ev->open > 0) || !(ev->high > 0) || !(ev->low > 0) ||
	    !(ev->close > 0) || ev->volume < 0)
		return -1;
	ev->kind = BY_KLINE;
	return 0;
}

static int
klines(const char *sym, const cJSON *data,
	void (*fn)(void *, const struct by_event *), void *arg, char *why)
{
	const cJSON *k;
	int n = 0;

	if (!cJSON_IsArray(data))
		return bad(why, "kline: data is not an array");
	cJSON_ArrayForEach(k, data) {
		struct by_event ev;
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(k, "confirm");
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(k, "interval");

		memset(&ev, 0, sizeof(ev));
		snprintf(ev.native, sizeof(ev.native), "%s", sym);
		if (ms(cJSON_GetObjectItemCaseSensitive(k, "start"),
		    &ev.ts_ms) != 0 ||
		    ms(cJSON_GetObjectItemCaseSensitive(k, "end"),
		    &ev.close_ms) != 0 || num(k, "open", &ev.open) != 0 ||
		    num(k, "high", &ev.high) != 0 ||
		    num(k, "low", &ev.low) != 0 ||
		    num(k, "close", &ev.close) != 0 ||
		    num(k, "volume", &ev.volume) != 0 || !cJSON_IsBool(c) ||
		    !cJSON_IsString(i) || strlen(i->valuestring) >=
		    sizeof(ev.interval) || kline_ok(&ev) != 0)
			return bad(why, "kline: missing or bad field");
		if (num(k, "turnover", &ev.quote_volume) != 0)
			ev.quote_volume = NAN;
		snprintf(ev.interval, sizeof(ev.interval), "%s", i->valuestring);
		ev.closed = cJSON_IsTrue(c);
		fn(arg, &ev);
		n++;
	}
	return n;
}

/* The first level of a side: [["price","size"], ...]. */
static int
level(const cJSON *side, double *p, double *q)
{
	const cJSON *l = cJSON_GetArrayItem(side, 0);

	return cJSON_IsArray(l) && str_num(cJSON_GetArrayItem(l, 0), p) == 0 &&
	    str_num(cJSON_GetArrayItem(l, 1), q) == 0 ? 0 : -1;
}

static int
book(const cJSON *root, const cJSON *data,
	void (*fn)(void *, const struct by_event *), void *arg, char *why)
{
	struct by_event ev;

	memset(&ev, 0, sizeof(ev));
	if (!cJSON_IsObject(data) ||
	    symbol(cJSON_GetObjectItemCaseSensitive(data, "s"), ev.native,
	    sizeof(ev.native)) != 0)
		return bad(why, "orderbook: missing or bad field");
	/* A delta may leave a side out: only whole tops are events. */
	if (level(cJSON_GetObjectItemCaseSensitive(data, "b"), &ev.bid,
	    &ev.bid_qty) != 0 || level(cJSON_GetObjectItemCaseSensitive(data,
	    "a"), &ev.ask, &ev.ask_qty) != 0)
		return 0;
	if (ms(cJSON_GetObjectItemCaseSensitive(root, "ts"), &ev.ts_ms) != 0)
		ev.ts_ms = 0;
	ev.kind = BY_BOOK;
	fn(arg, &ev);
	return 1;
}

int
by_parse_ws(const char *data, size_t len,
	void (*fn)(void *, const struct by_event *), void *arg, char *why)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *topic, *op;
	int rc = 0;

	why[0] = '\0';
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return bad(why, "not a JSON object");
	}
	topic = cJSON_GetObjectItemCaseSensitive(root, "topic");
	op = cJSON_GetObjectItemCaseSensitive(root, "op");
	if (cJSON_IsString(topic)) {
		const char *t = topic->valuestring, *dot = strrchr(t, '.');
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "data");
		char sym[32];

		if (strncmp(t, "publicTrade.", 12) == 0) {
			rc = trades(d, fn, arg, why);
		} else if (strncmp(t, "kline.", 6) == 0 && dot != NULL) {
			rc = symbol_text(dot + 1, sym, sizeof(sym)) == 0 ?
			    klines(sym, d, fn, arg, why) :
			    bad(why, "kline: bad topic");
		} else if (strncmp(t, "orderbook.", 10) == 0) {
			rc = book(root, d, fn, arg, why);
		}
	} else if (cJSON_IsString(op)) {
		struct by_event ev;
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root,
			"success");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(root,
			"ret_msg");

		memset(&ev, 0, sizeof(ev));
		ev.kind = BY_ACK;
		snprintf(ev.op, sizeof(ev.op), "%s", op->valuestring);
		ev.success = cJSON_IsTrue(ok);
		snprintf(ev.error, sizeof(ev.error), "%s", cJSON_IsString(m) ?
			m->valuestring : "");
		fn(arg, &ev);
		rc = 1;
	}
	cJSON_Delete(root);
	return rc;
}

struct row { int64_t t; double v[6]; };

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

long
by_parse_klines(const char *data, size_t len, int64_t interval_ms,
	int64_t now_ms, void (*fn)(void *, const struct by_event *), void *arg)
{
	cJSON *root = cJSON_ParseWithLength(data, len), *list, *r;
	const cJSON *code;
	struct row *rows = NULL;
	long n = 0, i;
	int k;

	code = cJSON_GetObjectItemCaseSensitive(root, "retCode");
	list = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(root, "result"), "list");
	if (!cJSON_IsNumber(code) || code->valuedouble != 0 ||
	    !cJSON_IsArray(list))
		goto bad;
	rows = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*rows));
	if (rows == NULL)
		goto bad;
	cJSON_ArrayForEach(r, list) {
		if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) < 7 ||
		    ms(cJSON_GetArrayItem(r, 0), &rows[n].t) != 0)
			goto bad;
		for (k = 0; k < 6; k++)
			if (str_num(cJSON_GetArrayItem(r, k + 1),
			    &rows[n].v[k]) != 0)
				goto bad;
		n++;
	}
	/* Newest first from the venue: hand them out oldest first. */
	qsort(rows, (size_t)n, sizeof(*rows), row_cmp);
	for (i = 0; i < n; i++) {
		struct by_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.ts_ms = rows[i].t;
		ev.open = rows[i].v[0];
		ev.high = rows[i].v[1];
		ev.low = rows[i].v[2];
		ev.close = rows[i].v[3];
		ev.volume = rows[i].v[4];
		ev.quote_volume = rows[i].v[5];
		ev.close_ms = rows[i].t + interval_ms - 1;
		ev.closed = ev.close_ms < now_ms;
		if (kline_ok(&ev) != 0)
			goto bad;
		fn(arg, &ev);
	}
	free(rows);
	cJSON_Delete(root);
	return n;
bad:
	free(rows);
	cJSON_Delete(root);
	return -1;
}

/* ---- the instrument list ------------------------------------------------ */

static long
ibad(cJSON *root, char *why, const char *text)
{
	cJSON_Delete(root);
	snprintf(why, 96, "%s", text);
	return -1;
}

long
by_parse_instruments(const char *data, size_t len,
	void (*fn)(void *arg, const struct by_instrument *in), void *arg,
	char *why)
{
	size_t qlen = 0;
	char *text = quote_numbers(data, len, &qlen);
	/* The whole answer is the value: nothing may follow it (the NUL
	 * counted, as cJSON wants it to see the end). */
	cJSON *root = text ? cJSON_ParseWithLengthOpts(text, qlen + 1, NULL,
		1) : NULL;
	const cJSON *code, *result, *cat, *list, *it;
	long n = 0;

	free(text);
	why[0] = '\0';
	if (!cJSON_IsObject(root))
		return ibad(root, why, "instruments-info: not a JSON object");
	/* retCode is a number from the venue, a string in some copies of its
	 * answers (both read here as text). */
	code = cJSON_GetObjectItemCaseSensitive(root, "retCode");
	if (!cJSON_IsString(code) || strcmp(code->valuestring, "0") != 0) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(root,
			"retMsg");

		snprintf(why, 96, "instruments-info: retCode %s: %s",
			cJSON_IsString(code) ? code->valuestring : "missing",
			cJSON_IsString(m) ? m->valuestring : "");
		cJSON_Delete(root);
		return -1;
	}
	result = cJSON_GetObjectItemCaseSensitive(root, "result");
	list = cJSON_GetObjectItemCaseSensitive(result, "list");
	if (!cJSON_IsObject(result) || !cJSON_IsArray(list))
		return ibad(root, why, "instruments-info: no result.list");
	/* Another category's list (linear, inverse, option) has no spot
	 * instrument in it. */
	cat = cJSON_GetObjectItemCaseSensitive(result, "category");
	if (cJSON_IsString(cat) && strcmp(cat->valuestring, "spot") != 0) {
		cJSON_Delete(root);
		return 0;
	}
	cJSON_ArrayForEach(it, list) {
		struct by_instrument in;
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "status");
		const cJSON *lot = cJSON_GetObjectItemCaseSensitive(it,
			"lotSizeFilter");
		const cJSON *price = cJSON_GetObjectItemCaseSensitive(it,
			"priceFilter");
		char base[16], quote[16];

		memset(&in, 0, sizeof(in));
		if (!cJSON_IsObject(it))
			return ibad(root, why, "instruments-info: an item is "
			    "not an object");
		/* Contracts carry a contractType (options an optionsType):
		 * not spot, whatever list they came in. */
		if (cJSON_HasObjectItem(it, "contractType") ||
		    cJSON_HasObjectItem(it, "optionsType"))
			continue;
		if (symbol(cJSON_GetObjectItemCaseSensitive(it, "symbol"),
		    in.native, sizeof(in.native)) != 0 ||
		    symbol(cJSON_GetObjectItemCaseSensitive(it, "baseCoin"),
		    base, sizeof(base)) != 0 ||
		    symbol(cJSON_GetObjectItemCaseSensitive(it, "quoteCoin"),
		    quote, sizeof(quote)) != 0 ||
		    !cJSON_IsString(st) || st->valuestring[0] == '\0' ||
		    strlen(st->valuestring) >= sizeof(in.status) ||
		    strpbrk(st->valuestring, " \t\"\\") != NULL)
			return ibad(root, why, "instruments-info: an item "
			    "without its symbol, coins or status");
		if (!cJSON_IsObject(lot) || !cJSON_IsObject(price))
			return ibad(root, why, "instruments-info: an item "
			    "without lotSizeFilter or priceFilter");
		if (decimal_text(price, "tickSize", in.tick) != 0 ||
		    decimal_text(lot, "basePrecision", in.lot) != 0 ||
		    decimal_text(lot, "minOrderQty", in.min_qty) != 0 ||
		    decimal_text(lot, "minOrderAmt", in.min_notional) != 0)
			return ibad(root, why, "instruments-info: a step or "
			    "minimum is not decimal text");
		snprintf(in.symbol, sizeof(in.symbol), "%s/%s", base, quote);
		snprintf(in.status, sizeof(in.status), "%s", st->valuestring);
		in.trading = strcmp(in.status, "Trading") == 0;
		fn(arg, &in);
		n++;
	}
	cJSON_Delete(root);
	return n;
}
