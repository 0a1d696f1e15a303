/*
 * parse.c -- Binance spot messages (see parse.h).
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
fail(struct bn_event *ev, const char *why)
{
	snprintf(ev->error, sizeof(ev->error), "%s", why);
	return -1;
}

/* A decimal given as a JSON string (or number): finite, else -1. */
static int
num(const cJSON *o, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
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

/* An integer field (JSON number without fraction, >= 0). */
static int
integer(const cJSON *o, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 9.007199254740992e15 ||
	    v->valuedouble != floor(v->valuedouble))
		return -1;
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int
symbol(const cJSON *o, const char *key, struct bn_event *ev)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t i, n;

	if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) == 0 ||
	    n >= sizeof(ev->native))
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v->valuestring[i];

		if (!isalnum(c))
			return -1;
		ev->native[i] = (char)toupper(c);
	}
	ev->native[n] = '\0';
	return 0;
}

static int
trade(const cJSON *d, int agg, struct bn_event *ev)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(d, "m");
	int64_t id, t;

	if (symbol(d, "s", ev) != 0 || num(d, "p", &ev->price) != 0 ||
	    num(d, "q", &ev->qty) != 0 || integer(d, agg ? "a" : "t", &id) ||
	    integer(d, "T", &t) != 0 || !cJSON_IsBool(m))
		return fail(ev, agg ? "aggTrade: missing or bad field" :
		    "trade: missing or bad field");
	if (!(ev->price > 0) || ev->qty < 0)
		return fail(ev, "trade: price or quantity out of range");
	ev->kind = BN_TRADE;
	ev->id = (uint64_t)id;
	ev->ts_ms = t;
	ev->side = cJSON_IsTrue(m) ? 2 : 1;
	return 0;
}

static int
kline_fields(struct bn_event *ev)
{
	/* Not checked: low <= open, close <= high -- Binance's own
	 * documented example breaks it; a kline is passed on as sent. */
	if (!(ev->low > 0) || !(ev->high > 0) || !(ev->open > 0) ||
	    !(ev->close > 0) || ev->volume < 0)
		return fail(ev, "kline: a price is not positive or the "
		    "volume negative");
	ev->kind = BN_KLINE;
	return 0;
}

static int
kline(const cJSON *d, struct bn_event *ev)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(d, "k");
	const cJSON *i, *x;

	if (!cJSON_IsObject(k) || symbol(k, "s", ev) != 0 ||
	    integer(k, "t", &ev->ts_ms) != 0 ||
	    integer(k, "T", &ev->close_ms) != 0 ||
	    num(k, "o", &ev->open) != 0 || num(k, "h", &ev->high) != 0 ||
	    num(k, "l", &ev->low) != 0 || num(k, "c", &ev->close) != 0 ||
	    num(k, "v", &ev->volume) != 0 ||
	    !cJSON_IsBool(x = cJSON_GetObjectItemCaseSensitive(k, "x")) ||
	    !cJSON_IsString(i = cJSON_GetObjectItemCaseSensitive(k, "i")) ||
	    strlen(i->valuestring) >= sizeof(ev->interval))
		return fail(ev, "kline: missing or bad field");
	snprintf(ev->interval, sizeof(ev->interval), "%s", i->valuestring);
	if (num(k, "q", &ev->quote_volume) != 0)
		ev->quote_volume = NAN;
	if (integer(k, "n", &ev->trades) != 0)
		ev->trades = -1;
	ev->closed = cJSON_IsTrue(x);
	return kline_fields(ev);
}

static int
book(const cJSON *d, struct bn_event *ev)
{
	int64_t u;

	if (symbol(d, "s", ev) != 0 || num(d, "b", &ev->bid) != 0 ||
	    num(d, "B", &ev->bid_qty) != 0 || num(d, "a", &ev->ask) != 0 ||
	    num(d, "A", &ev->ask_qty) != 0)
		return fail(ev, "bookTicker: missing or bad field");
	if (integer(d, "u", &u) == 0)
		ev->id = (uint64_t)u;
	ev->kind = BN_BOOK;
	return 0;
}

static int
dispatch(const cJSON *d, struct bn_event *ev)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(d, "e");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "id");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(d, "error");

	if (cJSON_IsString(e)) {
		if (strcmp(e->valuestring, "trade") == 0)
			return trade(d, 0, ev);
		if (strcmp(e->valuestring, "aggTrade") == 0)
			return trade(d, 1, ev);
		if (strcmp(e->valuestring, "kline") == 0)
			return kline(d, ev);
		ev->kind = BN_UNKNOWN;
		return 0;
	}
	if (cJSON_IsObject(err)) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(err, "code");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "msg");

		ev->kind = BN_ERROR;
		ev->code = cJSON_IsNumber(c) ? (int)c->valuedouble : 0;
		snprintf(ev->error, sizeof(ev->error), "%s",
			cJSON_IsString(m) ? m->valuestring : "error");
		if (cJSON_IsNumber(id) && id->valuedouble >= 0)
			ev->id = (uint64_t)id->valuedouble;
		return 0;
	}
	if (cJSON_HasObjectItem(d, "result") && cJSON_IsNumber(id)) {
		ev->kind = BN_RESULT;
		ev->id = id->valuedouble >= 0 ? (uint64_t)id->valuedouble : 0;
		return 0;
	}
	/* bookTicker has no event type: u, s, b, B, a, A. */
	if (cJSON_HasObjectItem(d, "b") && cJSON_HasObjectItem(d, "a") &&
	    cJSON_HasObjectItem(d, "s"))
		return book(d, ev);
	ev->kind = BN_UNKNOWN;
	return 0;
}

int
bn_parse_ws_json(const char *data, size_t len, struct bn_event *ev)
{
	cJSON *root, *d;
	int rc;

	memset(ev, 0, sizeof(*ev));
	if ((root = cJSON_ParseWithLength(data, len)) == NULL)
		return fail(ev, "not JSON");
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return fail(ev, "not a JSON object");
	}
	d = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (cJSON_IsObject(d) && cJSON_IsString(
	    cJSON_GetObjectItemCaseSensitive(root, "stream")))
		rc = dispatch(d, ev);
	else
		rc = dispatch(root, ev);
	cJSON_Delete(root);
	return rc;
}

/* ---- the fast path: flat trade messages -------------------------------- */


struct slice {
	const char *p;
	size_t n;
	int str;    /* a string value (p..p+n inside the quotes) */
};

/*
 * A flat JSON object of plain values (strings without escapes, numbers,
 * true/false/null): up to 16 members into k/v.  Returns the member count,
 * or -1 for anything else (nesting, escapes, bad syntax), which the full
 * parser then handles.
 */
static int
flat(const char *p, const char *end, struct slice *k, struct slice *v)
{
	int n = 0;

#define WS() while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || \
	*p == '\r')) p++
	WS();
	if (p >= end || *p++ != '{')
		return -1;
	WS();
	if (p < end && *p == '}')
		return 0;
	for (;;) {
		const char *q;

		if (n == 16 || p >= end || *p++ != '"')
			return -1;
		for (q = p; q < end && *q != '"'; q++)
			if (*q == '\\' || (unsigned char)*q < 0x20)
				return -1;
		if (q >= end)
			return -1;
		k[n].p = p;
		k[n].n = (size_t)(q - p);
		p = q + 1;
		WS();
		if (p >= end || *p++ != ':')
			return -1;
		WS();
		if (p >= end)
			return -1;
		if (*p == '"') {
			for (q = ++p; q < end && *q != '"'; q++)
				if (*q == '\\' || (unsigned char)*q < 0x20)
					return -1;
			if (q >= end)
				return -1;
			v[n].p = p;
			v[n].n = (size_t)(q - p);
			v[n].str = 1;
			p = q + 1;
		} else {
			for (q = p; q < end && *q != ',' && *q != '}' &&
			     *q != ' ' && *q != '\n' && *q != '\r' &&
			     *q != '\t'; q++)
				if (*q == '{' || *q == '[' || *q == '"')
					return -1;
			/* A literal or a JSON number, else the full parser
			 * refuses it and so must this. */
			if (q == p || q >= end || !(number_token(p, q) ==
			    (size_t)(q - p) || (q - p == 4 && (memcmp(p,
			    "true", 4) == 0 || memcmp(p, "null", 4) == 0)) ||
			    (q - p == 5 && memcmp(p, "false", 5) == 0)))
				return -1;
			v[n].p = p;
			v[n].n = (size_t)(q - p);
			v[n].str = 0;
			p = q;
		}
		n++;
		WS();
		if (p < end && *p == ',') {
			p++;
			WS();
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			WS();
			return p == end ? n : -1;
		}
		return -1;
	}
#undef WS
}

static const struct slice *
member(const struct slice *k, const struct slice *v, int n, const char *key)
{
	size_t kl = strlen(key);
	int i;

	for (i = 0; i < n; i++)
		if (k[i].n == kl && memcmp(k[i].p, key, kl) == 0)
			return &v[i];
	return NULL;
}

/* A decimal string value, as num() reads it. */
static int
s_num(const struct slice *v, double *out)
{
	char buf[64], *end;

	if (v == NULL || !v->str || v->n == 0 || v->n >= sizeof(buf))
		return -1;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	return *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
}

/* A non-negative integer below 2^53, as integer() reads it. */
static int
s_int(const struct slice *v, int64_t *out)
{
	uint64_t u = 0;
	size_t i;

	if (v == NULL || v->str || v->n == 0 || v->n > 16)
		return -1;
	for (i = 0; i < v->n; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -1;
		u = u * 10 + (uint64_t)(v->p[i] - '0');
	}
	if (u > 9007199254740992ULL)
		return -1;
	*out = (int64_t)u;
	return 0;
}

/*
 * trade and aggTrade messages without the wrapper, the bulk of the
 * stream: read in place.  1 when read (ev filled, 0 in *rc), 0 to leave
 * the message to the full parser.
 */
static int
fast_trade(const char *data, size_t len, struct bn_event *ev, int *rc)
{
	struct slice k[16], v[16];
	const struct slice *e, *s, *m;
	int n = flat(data, data + len, k, v), agg;
	int64_t id, t;
	size_t i;

	if (n < 0 || (e = member(k, v, n, "e")) == NULL || !e->str)
		return 0;
	if (e->n == 5 && memcmp(e->p, "trade", 5) == 0)
		agg = 0;
	else if (e->n == 8 && memcmp(e->p, "aggTrade", 8) == 0)
		agg = 1;
	else
		return 0;
	s = member(k, v, n, "s");
	m = member(k, v, n, "m");
	/* Anything unusual is the full parser's to judge (and to explain). */
	if (s == NULL || !s->str || s->n == 0 || s->n >= sizeof(ev->native) ||
	    s_num(member(k, v, n, "p"), &ev->price) != 0 ||
	    s_num(member(k, v, n, "q"), &ev->qty) != 0 ||
	    s_int(member(k, v, n, agg ? "a" : "t"), &id) != 0 ||
	    s_int(member(k, v, n, "T"), &t) != 0 || m == NULL || m->str ||
	    !((m->n == 4 && memcmp(m->p, "true", 4) == 0) ||
	    (m->n == 5 && memcmp(m->p, "false", 5) == 0)) ||
	    !(ev->price > 0) || ev->qty < 0)
		return 0;
	for (i = 0; i < s->n; i++) {
		unsigned char c = (unsigned char)s->p[i];

		if (!isalnum(c))
			return 0;
		ev->native[i] = (char)toupper(c);
	}
	ev->native[s->n] = '\0';
	ev->kind = BN_TRADE;
	ev->id = (uint64_t)id;
	ev->ts_ms = t;
	ev->side = m->n == 4 ? 2 : 1;
	*rc = 0;
	return 1;
}

int
bn_parse_ws(const char *data, size_t len, struct bn_event *ev)
{
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (fast_trade(data, len, ev, &rc))
		return rc;
	return bn_parse_ws_json(data, len, ev);  /* clears ev again */
}

long
bn_parse_klines(const char *data, size_t len, int64_t now_ms,
	void (*fn)(void *arg, const struct bn_event *k), void *arg)
{
	cJSON *root = cJSON_ParseWithLength(data, len), *row;
	long n = 0;

	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return -1;
	}
	cJSON_ArrayForEach(row, root) {
		struct bn_event ev;
		double v[7];
		int i;

		memset(&ev, 0, sizeof(ev));
		if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) < 9)
			goto bad;
		for (i = 0; i < 7; i++) {
			const cJSON *c = cJSON_GetArrayItem(row,
				i < 6 ? i : 7);
			char *end;

			if (cJSON_IsNumber(c)) {
				v[i] = c->valuedouble;
			} else if (cJSON_IsString(c)) {
				errno = 0;
				v[i] = strtod(c->valuestring, &end);
				if (*end || errno)
					goto bad;
			} else {
				goto bad;
			}
			if (!isfinite(v[i]))
				goto bad;
		}
		{
			const cJSON *ct = cJSON_GetArrayItem(row, 6);
			const cJSON *nt = cJSON_GetArrayItem(row, 8);

			/* Times and counts in int64_t range (2^53, as
			 * integer() reads them): converting a bigger double
			 * is undefined. */
			if (!cJSON_IsNumber(ct) || !cJSON_IsNumber(nt) ||
			    v[0] < 0 || v[0] != floor(v[0]) ||
			    v[0] > 9.007199254740992e15 ||
			    !(fabs(ct->valuedouble) <= 9.007199254740992e15) ||
			    !(fabs(nt->valuedouble) <= 9.007199254740992e15))
				goto bad;
			ev.close_ms = (int64_t)ct->valuedouble;
			ev.trades = (int64_t)nt->valuedouble;
		}
		ev.ts_ms = (int64_t)v[0];
		ev.open = v[1];
		ev.high = v[2];
		ev.low = v[3];
		ev.close = v[4];
		ev.volume = v[5];
		ev.quote_volume = v[6];
		ev.closed = ev.close_ms < now_ms;
		if (kline_fields(&ev) != 0)
			goto bad;
		fn(arg, &ev);
		n++;
	}
	cJSON_Delete(root);
	return n;
bad:
	cJSON_Delete(root);
	return -1;
}

/* ---- the instrument list ------------------------------------------------ */

static long
ifail(char *why, const char *text)
{
	snprintf(why, 96, "%s", text);
	return -1;
}

/* An upper-case alphanumeric name (symbol, asset) into out. */
static int
name_text(const cJSON *o, const char *key, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t i, n;

	if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) == 0 ||
	    n >= cap)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v->valuestring[i];

		if (!isalnum(c))
			return -1;
		out[i] = (char)toupper(c);
	}
	out[n] = '\0';
	return 0;
}

/* The filters of one symbol: tick, lot, minimums.  0 or -1 with why. */
static int
filters(const cJSON *list, struct bn_instrument *in, char *why)
{
	const cJSON *f;
	char legacy[32] = "";

	if (!cJSON_IsArray(list))
		return (int)ifail(why, "exchangeInfo: a symbol without filters");
	cJSON_ArrayForEach(f, list) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(f,
			"filterType");
		const char *type;
		int rc = 0;

		if (!cJSON_IsObject(f) || !cJSON_IsString(t))
			return (int)ifail(why, "exchangeInfo: a filter without "
			    "filterType");
		type = t->valuestring;
		if (strcmp(type, "PRICE_FILTER") == 0)
			rc = decimal_text(f, "tickSize", in->tick);
		else if (strcmp(type, "LOT_SIZE") == 0)
			rc = decimal_text(f, "stepSize", in->lot) |
			    decimal_text(f, "minQty", in->min_qty);
		else if (strcmp(type, "NOTIONAL") == 0)
			rc = decimal_text(f, "minNotional", in->min_notional);
		/* Responses before 2023 carry MIN_NOTIONAL instead of
		 * NOTIONAL: read either, NOTIONAL first when both come. */
		else if (strcmp(type, "MIN_NOTIONAL") == 0)
			rc = decimal_text(f, "minNotional", legacy);
		/* MARKET_LOT_SIZE, PERCENT_PRICE...: not steps of a limit
		 * order (MARKET_LOT_SIZE's stepSize is "0.00000000"). */
		if (rc != 0) {
			snprintf(why, 96, "exchangeInfo: %s: a step or minimum "
			    "is not decimal text", type);
			return -1;
		}
	}
	if (in->min_notional[0] == '\0')
		memcpy(in->min_notional, legacy, sizeof(legacy));
	return 0;
}

long
bn_parse_instruments(const char *data, size_t len,
	void (*fn)(void *arg, const struct bn_instrument *in), void *arg,
	char *why)
{
	size_t qlen = 0;
	char *text = quote_numbers(data, len, &qlen);
	/* The whole answer is the value: nothing may follow it (the NUL
	 * counted, as cJSON wants it to see the end). */
	cJSON *root = text ? cJSON_ParseWithLengthOpts(text, qlen + 1, NULL,
		1) : NULL;
	const cJSON *list, *s;
	long n = 0;

	free(text);
	why[0] = '\0';
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return ifail(why, "exchangeInfo: not a JSON object");
	}
	list = cJSON_GetObjectItemCaseSensitive(root, "symbols");
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(root);
		return ifail(why, "exchangeInfo: no symbols array");
	}
	/* /api/v3 lists spot symbols only: there is no other type to skip. */
	cJSON_ArrayForEach(s, list) {
		struct bn_instrument in;
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "status");
		const cJSON *spot = cJSON_GetObjectItemCaseSensitive(s,
			"isSpotTradingAllowed");
		char base[16], quote[16];

		memset(&in, 0, sizeof(in));
		if (!cJSON_IsObject(s) ||
		    name_text(s, "symbol", in.native, sizeof(in.native)) ||
		    name_text(s, "baseAsset", base, sizeof(base)) ||
		    name_text(s, "quoteAsset", quote, sizeof(quote)) ||
		    !cJSON_IsString(st) || st->valuestring[0] == '\0' ||
		    strlen(st->valuestring) >= sizeof(in.status) ||
		    strpbrk(st->valuestring, " \t\"\\") != NULL) {
			cJSON_Delete(root);
			return ifail(why, "exchangeInfo: a symbol without its "
			    "name, assets or status");
		}
		if (filters(cJSON_GetObjectItemCaseSensitive(s, "filters"),
		    &in, why) != 0) {
			cJSON_Delete(root);
			return -1;
		}
		snprintf(in.symbol, sizeof(in.symbol), "%s/%s", base, quote);
		snprintf(in.status, sizeof(in.status), "%s", st->valuestring);
		/* A symbol listed but closed to spot orders (margin only)
		 * is not open for what this adapter trades. */
		in.trading = strcmp(in.status, "TRADING") == 0 &&
		    !cJSON_IsFalse(spot);
		fn(arg, &in);
		n++;
	}
	cJSON_Delete(root);
	return n;
}
