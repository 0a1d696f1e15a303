/*
 * parse.c -- Kraken WebSocket v2 and REST OHLC messages (see parse.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "parse.h"

/* The largest integer a JSON number (a double in cJSON) holds exactly:
 * ids and times beyond it are refused rather than rounded. */
#define EXACT_MAX 9007199254740992.0

static int
bad(char *why, const char *text)
{
	snprintf(why, 96, "%s", text);
	return -1;
}

/* A price or quantity: a JSON number (cJSON reads it with strtod of its
 * text) or a decimal string. */
static int
str_num(const cJSON *v, double *out)
{
	char *end;

	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;

		/* Decimal text only: no hex, inf or nan that strtod takes. */
		if (!(isdigit((unsigned char)s[0]) || (s[0] == '-' &&
		    isdigit((unsigned char)s[1]))) || strpbrk(s, "xXnN") != NULL)
			return -1;
		errno = 0;
		*out = strtod(s, &end);
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

/* A non-negative integer: a JSON number that holds it exactly, or a
 * string of at most 19 decimal digits. */
static int
integer(const cJSON *v, uint64_t *out)
{
	const char *p;
	uint64_t u = 0;

	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (!(d >= 0) || d > EXACT_MAX || d != floor(d))
			return -1;
		*out = (uint64_t)d;
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return -1;
	for (p = v->valuestring; *p; p++) {
		if (*p < '0' || *p > '9' || p - v->valuestring >= 19)
			return -1;
		u = u * 10 + (uint64_t)(*p - '0');
	}
	*out = u;
	return 0;
}

/* The venue's trade id: an integer, else a 64-bit FNV-1a of its text. */
static int
trade_id(const cJSON *v, uint64_t *out)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p;

	if (integer(v, out) == 0)
		return 0;
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return -1;
	for (p = v->valuestring; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	*out = h & 0x7fffffffffffffffULL;
	return 0;
}

/* n decimal digits at s, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
kr_time_ms(const char *t, int64_t *out)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	int y, mo, d, h, mi, s, frac = 0, i;

	/* YYYY-MM-DDTHH:MM:SS[.f+]Z */
	if (strlen(t) < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' ||
	    t[13] != ':' || t[16] != ':')
		return -1;
	y = digits(t, 4);
	mo = digits(t + 5, 2);
	d = digits(t + 8, 2);
	h = digits(t + 11, 2);
	mi = digits(t + 14, 2);
	s = digits(t + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	t += 19;
	if (*t == '.') {
		/* Milliseconds are the first three digits: the rest is
		 * truncated, as the data model wants. */
		for (i = 1; t[i] >= '0' && t[i] <= '9'; i++)
			if (i <= 3)
				frac = frac * 10 + (t[i] - '0');
		if (i == 1)
			return -1;
		for (; i <= 3; i++)
			frac *= 10;
		while (*++t >= '0' && *t <= '9')
			;
	}
	if (t[0] != 'Z' || t[1] != '\0')
		return -1;
	*out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL +
	    s * 1000LL + frac;
	return 0;
}

int
kr_seconds_ms(const char *t, int64_t *out)
{
	int64_t ms = 0;
	int i, k;

	for (i = 0; t[i] >= '0' && t[i] <= '9'; i++) {
		if (i >= 12)       /* beyond year 33658: not a time */
			return -1;
		ms = ms * 10 + (t[i] - '0');
	}
	if (i == 0)
		return -1;
	ms *= 1000;
	if (t[i] == '.') {
		int64_t f = 0;

		for (k = 0, i++; t[i] >= '0' && t[i] <= '9'; i++, k++)
			if (k < 3)
				f = f * 10 + (t[i] - '0');
		if (k == 0)
			return -1;
		for (; k < 3; k++)
			f *= 10;
		ms += f;
	}
	if (t[i] != '\0')
		return -1;
	*out = ms;
	return 0;
}

/* One asset code, canonical: upper case, Kraken's legacy XBT and XDG as
 * BTC and DOGE.  The length written, or -1. */
static int
asset(const char *s, size_t n, char *out, size_t cap)
{
	char a[16];
	size_t i;

	if (n == 0 || n >= sizeof(a))
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '.')
			return -1;
		a[i] = (char)toupper(c);
	}
	a[n] = '\0';
	if (strcmp(a, "XBT") == 0)
		snprintf(a, sizeof(a), "BTC");
	else if (strcmp(a, "XDG") == 0)
		snprintf(a, sizeof(a), "DOGE");
	n = strlen(a);
	if (n >= cap)
		return -1;
	memcpy(out, a, n + 1);
	return (int)n;
}

/* BASE/QUOTE, canonical. */
static int
symbol(const cJSON *v, char *out, size_t cap)
{
	const char *s, *slash;
	int b, q;

	if (!cJSON_IsString(v))
		return -1;
	s = v->valuestring;
	if ((slash = strchr(s, '/')) == NULL || strchr(slash + 1, '/'))
		return -1;
	if ((b = asset(s, (size_t)(slash - s), out, cap)) < 0 ||
	    (size_t)b + 2 >= cap)
		return -1;
	out[b] = '/';
	q = asset(slash + 1, strlen(slash + 1), out + b + 1,
		cap - (size_t)b - 1);
	return q < 0 ? -1 : 0;
}

int
kr_rest_pair(const char *canonical, char *out, size_t cap)
{
	const char *slash = strchr(canonical, '/');
	const char *parts[2];
	size_t lens[2], o = 0;
	int k;

	if (slash == NULL)
		return -1;
	parts[0] = canonical;
	lens[0] = (size_t)(slash - canonical);
	parts[1] = slash + 1;
	lens[1] = strlen(slash + 1);
	for (k = 0; k < 2; k++) {
		const char *p = parts[k];
		size_t n = lens[k];

		if (n == 3 && strncmp(p, "BTC", 3) == 0)
			p = "XBT";
		else if (n == 4 && strncmp(p, "DOGE", 4) == 0)
			p = "XDG", n = 3;
		if (o + n >= cap)
			return -1;
		memcpy(out + o, p, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

static int
ohlc_ok(const struct kr_event *e)
{
	return e->open > 0 && e->high > 0 && e->low > 0 && e->close > 0 &&
	    e->low <= e->high && e->open <= e->high && e->open >= e->low &&
	    e->close <= e->high && e->close >= e->low && e->volume >= 0 &&
	    e->vwap >= 0 ? 0 : -1;
}

static int
trade_item(const cJSON *t, struct kr_event *ev, char *why)
{
	const cJSON *side = cJSON_GetObjectItemCaseSensitive(t, "side");
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(t, "timestamp");
	const cJSON *ot = cJSON_GetObjectItemCaseSensitive(t, "ord_type");

	if (symbol(cJSON_GetObjectItemCaseSensitive(t, "symbol"), ev->native,
	    sizeof(ev->native)) != 0 || num(t, "price", &ev->price) != 0 ||
	    num(t, "qty", &ev->qty) != 0 || !cJSON_IsString(side) ||
	    !cJSON_IsString(ts) || kr_time_ms(ts->valuestring, &ev->ts_ms) ||
	    trade_id(cJSON_GetObjectItemCaseSensitive(t, "trade_id"),
	    &ev->id) != 0)
		return bad(why, "trade: missing or bad field");
	if (strcmp(side->valuestring, "buy") == 0)
		ev->side = 1;
	else if (strcmp(side->valuestring, "sell") == 0)
		ev->side = 2;
	else
		return bad(why, "trade: side is neither buy nor sell");
	if (!(ev->price > 0) || !(ev->qty > 0))
		return bad(why, "trade: price or qty out of range");
	if (cJSON_IsString(ot))
		snprintf(ev->ord_type, sizeof(ev->ord_type), "%s",
			ot->valuestring);
	ev->kind = KR_TRADE;
	return 0;
}

static int
ohlc_item(const cJSON *k, struct kr_event *ev, char *why)
{
	const cJSON *ib = cJSON_GetObjectItemCaseSensitive(k, "interval_begin");
	uint64_t iv, n = 0;

	if (symbol(cJSON_GetObjectItemCaseSensitive(k, "symbol"), ev->native,
	    sizeof(ev->native)) != 0 || !cJSON_IsString(ib) ||
	    kr_time_ms(ib->valuestring, &ev->ts_ms) != 0 ||
	    integer(cJSON_GetObjectItemCaseSensitive(k, "interval"), &iv) ||
	    iv == 0 || iv > 21600 || num(k, "open", &ev->open) != 0 ||
	    num(k, "high", &ev->high) != 0 || num(k, "low", &ev->low) != 0 ||
	    num(k, "close", &ev->close) != 0 ||
	    num(k, "volume", &ev->volume) != 0)
		return bad(why, "ohlc: missing or bad field");
	/* vwap and trades are extras: absent is fine, wrong is not. */
	if (cJSON_HasObjectItem(k, "vwap") && num(k, "vwap", &ev->vwap) != 0)
		return bad(why, "ohlc: bad vwap");
	if (cJSON_HasObjectItem(k, "trades") && integer(
	    cJSON_GetObjectItemCaseSensitive(k, "trades"), &n) != 0)
		return bad(why, "ohlc: bad trades");
	if (ohlc_ok(ev) != 0)
		return bad(why, "ohlc: prices or volume out of range");
	if (ev->ts_ms % ((int64_t)iv * 60000) != 0 && iv <= 1440)
		return bad(why, "ohlc: interval_begin off the interval");
	ev->interval = (int)iv;
	ev->trades = (int64_t)n;
	ev->closed = -1;
	ev->kind = KR_OHLC;
	return 0;
}

static int
ticker_item(const cJSON *t, struct kr_event *ev, char *why)
{
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(t, "timestamp");

	if (symbol(cJSON_GetObjectItemCaseSensitive(t, "symbol"), ev->native,
	    sizeof(ev->native)) != 0 || num(t, "bid", &ev->bid) != 0 ||
	    num(t, "bid_qty", &ev->bid_qty) != 0 || num(t, "ask", &ev->ask) ||
	    num(t, "ask_qty", &ev->ask_qty) != 0)
		return bad(why, "ticker: missing or bad field");
	if (!(ev->bid > 0) || !(ev->ask > 0) || ev->bid_qty < 0 ||
	    ev->ask_qty < 0)
		return bad(why, "ticker: price or qty out of range");
	if (ts != NULL && (!cJSON_IsString(ts) ||
	    kr_time_ms(ts->valuestring, &ev->ts_ms) != 0))
		return bad(why, "ticker: bad timestamp");
	ev->kind = KR_BOOK;
	return 0;
}

/* A data channel message: every item checked before any is handed out. */
static int
items(const cJSON *root, int (*item)(const cJSON *, struct kr_event *,
	char *), void (*fn)(void *, const struct kr_event *), void *arg,
	char *why)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	const cJSON *it;
	struct kr_event few[4], *ev = few;
	int n = 0, i, snap;

	if (!cJSON_IsString(type) || (strcmp(type->valuestring, "snapshot") &&
	    strcmp(type->valuestring, "update")))
		return bad(why, "type is neither snapshot nor update");
	if (!cJSON_IsArray(data))
		return bad(why, "data is not an array");
	snap = type->valuestring[0] == 's';
	if ((n = cJSON_GetArraySize(data)) == 0)
		return 0;
	/* Updates carry one item or a few: no allocation for those. */
	if (n > (int)(sizeof(few) / sizeof(few[0])) &&
	    (ev = malloc((size_t)n * sizeof(*ev))) == NULL)
		return bad(why, "out of memory");
	i = 0;
	cJSON_ArrayForEach(it, data) {
		memset(&ev[i], 0, sizeof(ev[i]));
		if (!cJSON_IsObject(it) || item(it, &ev[i], why) != 0) {
			if (why[0] == '\0')
				bad(why, "data item is not an object");
			if (ev != few)
				free(ev);
			return -1;
		}
		ev[i++].snapshot = snap;
	}
	for (i = 0; i < n; i++)
		fn(arg, &ev[i]);
	if (ev != few)
		free(ev);
	return n;
}

/* {"method":..,"success":..,"error":..}: requests' answers. */
static int
answer(const cJSON *root, const char *method,
	void (*fn)(void *, const struct kr_event *), void *arg, char *why)
{
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "success");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(root, "symbol");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
	struct kr_event ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.method, sizeof(ev.method), "%s", method);
	if (strcmp(method, "pong") == 0) {
		ev.kind = KR_PONG;
		ev.success = 1;
		fn(arg, &ev);
		return 1;
	}
	/* No success at all: a request ({"method":"ping",..}), not an
	 * answer -- nothing sends us those, nothing to do with them. */
	if (ok == NULL)
		return 0;
	if (!cJSON_IsBool(ok))
		return bad(why, "answer with a success that is not a bool");
	ev.kind = KR_ACK;
	ev.success = cJSON_IsTrue(ok);
	if (cJSON_IsString(err))
		snprintf(ev.error, sizeof(ev.error), "%s", err->valuestring);
	if (!cJSON_IsString(sym))
		sym = cJSON_GetObjectItemCaseSensitive(res, "symbol");
	if (symbol(sym, ev.native, sizeof(ev.native)) != 0)
		ev.native[0] = '\0';
	fn(arg, &ev);
	return 1;
}

int
kr_parse_ws(const char *data, size_t len,
	void (*fn)(void *, const struct kr_event *), void *arg, char *why)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *ch, *m;
	int rc = 0;

	why[0] = '\0';
	if (cJSON_IsArray(root) || cJSON_HasObjectItem(root, "event")) {
		cJSON_Delete(root);
		return bad(why, "a WebSocket v1 message: ws_url must be the v2 "
		    "endpoint");
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return bad(why, "not a JSON object");
	}
	ch = cJSON_GetObjectItemCaseSensitive(root, "channel");
	m = cJSON_GetObjectItemCaseSensitive(root, "method");
	if (cJSON_IsString(ch)) {
		const char *c = ch->valuestring;

		if (strcmp(c, "trade") == 0) {
			rc = items(root, trade_item, fn, arg, why);
		} else if (strcmp(c, "ohlc") == 0) {
			rc = items(root, ohlc_item, fn, arg, why);
		} else if (strcmp(c, "ticker") == 0) {
			rc = items(root, ticker_item, fn, arg, why);
		} else if (strcmp(c, "heartbeat") == 0) {
			struct kr_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.kind = KR_HEARTBEAT;
			fn(arg, &ev);
			rc = 1;
		}
		/* status, instrument, book, ...: not ours. */
	} else if (cJSON_IsString(m)) {
		rc = answer(root, m->valuestring, fn, arg, why);
	}
	cJSON_Delete(root);
	return rc;
}

/* A row's open time: integer seconds as a JSON number, or decimal text. */
static int
row_time(const cJSON *v, int64_t *out)
{
	uint64_t s;

	if (cJSON_IsString(v))
		return kr_seconds_ms(v->valuestring, out);
	if (integer(v, &s) != 0 || s > 253402300799ULL)   /* 9999-12-31 */
		return -1;
	*out = (int64_t)s * 1000;
	return 0;
}

long
kr_parse_ohlc(const char *data, size_t len,
	void (*fn)(void *, const struct kr_event *), void *arg, char *err)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *e, *res, *it, *rows = NULL, *r;
	struct kr_event *ev = NULL;
	long n = 0, i;
	int k;

	err[0] = '\0';
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	res = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(e)) {
		bad(err, "not an OHLC answer");
		goto fail;
	}
	if (cJSON_GetArraySize(e) > 0) {
		it = cJSON_GetArrayItem(e, 0);
		snprintf(err, 96, "%s", cJSON_IsString(it) ? it->valuestring :
			"error");
		cJSON_Delete(root);
		return -2;
	}
	if (!cJSON_IsObject(res)) {
		bad(err, "no result");
		goto fail;
	}
	/* {"XXBTZUSD": [rows], "last": id}: one pair per request. */
	cJSON_ArrayForEach(it, res) {
		if (it->string != NULL && strcmp(it->string, "last") == 0)
			continue;
		if (rows != NULL || !cJSON_IsArray(it)) {
			bad(err, "result is not one pair's rows");
			goto fail;
		}
		rows = it;
	}
	if (rows == NULL) {
		bad(err, "result has no rows");
		goto fail;
	}
	if ((ev = calloc((size_t)cJSON_GetArraySize(rows) + 1,
	    sizeof(*ev))) == NULL) {
		bad(err, "out of memory");
		goto fail;
	}
	cJSON_ArrayForEach(r, rows) {
		double *f[6] = { &ev[n].open, &ev[n].high, &ev[n].low,
			&ev[n].close, &ev[n].vwap, &ev[n].volume };
		uint64_t count;

		/* [time, open, high, low, close, vwap, volume, count] */
		if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) < 8 ||
		    row_time(cJSON_GetArrayItem(r, 0), &ev[n].ts_ms) != 0 ||
		    ev[n].ts_ms % 60000 != 0 ||
		    integer(cJSON_GetArrayItem(r, 7), &count) != 0) {
			bad(err, "bad OHLC row");
			goto fail;
		}
		for (k = 0; k < 6; k++)
			if (str_num(cJSON_GetArrayItem(r, k + 1), f[k]) != 0) {
				bad(err, "bad OHLC row value");
				goto fail;
			}
		if (ohlc_ok(&ev[n]) != 0) {
			bad(err, "OHLC row out of range");
			goto fail;
		}
		if (n > 0 && ev[n].ts_ms <= ev[n - 1].ts_ms) {
			bad(err, "OHLC rows out of order");
			goto fail;
		}
		ev[n].kind = KR_OHLC;
		ev[n].trades = (int64_t)count;
		ev[n].closed = 1;
		n++;
	}
	/* The venue's last row is the minute (hour, ...) still open. */
	if (n > 0)
		ev[n - 1].closed = 0;
	for (i = 0; i < n; i++)
		fn(arg, &ev[i]);
	free(ev);
	cJSON_Delete(root);
	return n;
fail:
	free(ev);
	cJSON_Delete(root);
	return -1;
}

/* Decimal text the host takes as a step or minimum: digits with at most
 * one point inside them, at most 31 characters.  Kraken sends these as
 * strings; the text is kept, never read through a double. */
static int
decimal_text(const cJSON *v, char *out, size_t cap)
{
	const char *s;
	size_t n, i;
	int points = 0;

	if (!cJSON_IsString(v))
		return -1;
	s = v->valuestring;
	n = strlen(s);
	if (n == 0 || n > 31 || n >= cap || s[0] == '.' || s[n - 1] == '.')
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] == '.' ? ++points > 1 : s[i] < '0' || s[i] > '9')
			return -1;
	memcpy(out, s, n + 1);
	return 0;
}

/* 10^-d as exact text ("1", "0.1", "0.00000001"), built from the digit
 * count, so 8 is "0.00000001" and never 1e-08 or 9.9999e-09. */
static int
step_text(const cJSON *v, char *out, size_t cap)
{
	uint64_t d;

	/* "0." and d digits must stay within the host's 31 characters. */
	if (integer(v, &d) != 0 || d > 29 || d + 3 > cap)
		return -1;
	if (d == 0) {
		snprintf(out, cap, "1");
		return 0;
	}
	memcpy(out, "0.", 2);
	memset(out + 2, '0', (size_t)d - 1);
	out[d + 1] = '1';
	out[d + 2] = '\0';
	return 0;
}

/* A short name the venue gives (altname, wsname): copied whole or
 * refused. */
static int
name_text(const cJSON *v, char *out, size_t cap)
{
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
	    strlen(v->valuestring) >= cap)
		return -1;
	snprintf(out, cap, "%s", v->valuestring);
	return 0;
}

/* One pair: 0, 1 skipped (no wsname: not on the WebSocket), -1 bad. */
static int
pair_item(const char *key, const cJSON *p, struct kr_instrument *in,
	char *err)
{
	const cJSON *ws = cJSON_GetObjectItemCaseSensitive(p, "wsname");
	const cJSON *tick = cJSON_GetObjectItemCaseSensitive(p, "tick_size");
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(p, "costmin");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(p, "status");

	if (!cJSON_IsObject(p))
		return bad(err, "pair is not an object");
	memset(in, 0, sizeof(*in));
	if (key == NULL || key[0] == '\0' || strlen(key) >= sizeof(in->key))
		return bad(err, "pair key missing or too long");
	snprintf(in->key, sizeof(in->key), "%s", key);
	if (name_text(cJSON_GetObjectItemCaseSensitive(p, "altname"),
	    in->altname, sizeof(in->altname)) != 0)
		return bad(err, "pair: missing or bad altname");
	if (ws == NULL)
		return 1;
	if (name_text(ws, in->wsname, sizeof(in->wsname)) != 0 ||
	    symbol(ws, in->native, sizeof(in->native)) != 0)
		return bad(err, "pair: bad wsname");
	memcpy(in->symbol, in->native, sizeof(in->symbol));
	/* tick_size since 2022; before, the price step was only implied by
	 * pair_decimals (which stays required: it is documented for all). */
	if (step_text(cJSON_GetObjectItemCaseSensitive(p, "pair_decimals"),
	    in->tick, sizeof(in->tick)) != 0)
		return bad(err, "pair: missing or bad pair_decimals");
	if (tick != NULL && decimal_text(tick, in->tick, sizeof(in->tick)))
		return bad(err, "pair: bad tick_size");
	if (step_text(cJSON_GetObjectItemCaseSensitive(p, "lot_decimals"),
	    in->lot, sizeof(in->lot)) != 0)
		return bad(err, "pair: missing or bad lot_decimals");
	if (decimal_text(cJSON_GetObjectItemCaseSensitive(p, "ordermin"),
	    in->min_qty, sizeof(in->min_qty)) != 0)
		return bad(err, "pair: missing or bad ordermin");
	if (cost != NULL && decimal_text(cost, in->min_notional,
	    sizeof(in->min_notional)) != 0)
		return bad(err, "pair: bad costmin");
	if (st != NULL && name_text(st, in->status, sizeof(in->status)) != 0)
		return bad(err, "pair: bad status");
	/* Only "online" takes any order: cancel_only, post_only, limit_only
	 * and reduce_only refuse some, and an order check that knows no
	 * order types cannot tell which. */
	in->trading = st == NULL || strcmp(in->status, "online") == 0;
	return 0;
}

long
kr_parse_instruments(const char *data, size_t len,
	void (*fn)(void *, const struct kr_instrument *), void *arg, char *err)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *e, *res, *it;
	struct kr_instrument *in = NULL;
	long n = 0, i;
	int rc;

	err[0] = '\0';
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	res = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(e)) {
		bad(err, "not an AssetPairs answer");
		goto fail;
	}
	if (cJSON_GetArraySize(e) > 0) {
		/* Rate limits among them: HTTP 200 all the same. */
		it = cJSON_GetArrayItem(e, 0);
		snprintf(err, 96, "%s", cJSON_IsString(it) ? it->valuestring :
			"error");
		cJSON_Delete(root);
		return -2;
	}
	if (!cJSON_IsObject(res)) {
		bad(err, "no result");
		goto fail;
	}
	/* Checked whole before any is handed out. */
	if ((in = calloc((size_t)cJSON_GetArraySize(res) + 1,
	    sizeof(*in))) == NULL) {
		bad(err, "out of memory");
		goto fail;
	}
	cJSON_ArrayForEach(it, res) {
		if ((rc = pair_item(it->string, it, &in[n], err)) < 0)
			goto fail;
		if (rc == 0)
			n++;
	}
	for (i = 0; i < n; i++)
		fn(arg, &in[i]);
	free(in);
	cJSON_Delete(root);
	return n;
fail:
	free(in);
	cJSON_Delete(root);
	return -1;
}
