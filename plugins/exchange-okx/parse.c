/*
 * parse.c -- OKX v5 public messages (see parse.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "parse.h"

static int
bad(char *why, const char *text)
{
	snprintf(why, 96, "%s", text);
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Plain decimal text: -?digits[.digits][e[+-]digits].  strtod alone would
 * also take " 1", "0x1p3", "inf" and "nan", none of which the venue
 * sends: such text is refused rather than read as some number. */
static int
decimal_text(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (!is_digit(*p))
		return 0;
	while (is_digit(*p))
		p++;
	if (*p == '.') {
		p++;
		while (is_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return 0;
		while (is_digit(*p))
			p++;
	}
	return *p == '\0';
}

/* A number as the venue's decimal text (or, leniently, a JSON number). */
static int
str_num(const cJSON *v, double *out)
{
	char *end;

	if (cJSON_IsString(v)) {
		if (!decimal_text(v->valuestring))
			return -1;
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

/* Milliseconds: a string of at most 16 digits read as an integer (never
 * through a double), or an integral JSON number below 2^53. */
static int
ms(const cJSON *v, int64_t *out)
{
	const char *p;
	int64_t t = 0;

	if (cJSON_IsString(v)) {
		p = v->valuestring;
		if (*p == '\0' || strlen(p) > 16)
			return -1;
		for (; *p; p++) {
			if (!is_digit(*p))
				return -1;
			t = t * 10 + (*p - '0');
		}
		*out = t;
		return 0;
	}
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble <= 9007199254740992.0 &&
	    v->valuedouble == floor(v->valuedouble)) {
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	return -1;
}

/* An instId: letters, digits and dashes (BTC-USDT, BTC-USDT-SWAP). */
static int
symbol(const cJSON *v, char *out, size_t cap)
{
	const char *s;
	size_t i, n;

	if (!cJSON_IsString(v))
		return -1;
	s = v->valuestring;
	n = strlen(s);
	if (n == 0 || n >= cap)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (!(c >= 'A' && c <= 'Z') && !is_digit(c) && c != '-')
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

/* The venue's trade id: decimal, else a 64-bit FNV-1a of its text. */
static uint64_t
trade_id(const char *s, int *hashed)
{
	uint64_t u = 0, h = 0xcbf29ce484222325ULL;
	const char *p;

	for (p = s; is_digit(*p) && p - s < 19; p++)
		u = u * 10 + (uint64_t)(*p - '0');
	*hashed = !(*p == '\0' && p != s);
	if (!*hashed)
		return u;
	for (p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h & 0x7fffffffffffffffULL;
}

static int
trades(const cJSON *data, void (*fn)(void *, const struct ok_event *),
	void *arg, char *why)
{
	const cJSON *t;
	int n = 0;

	cJSON_ArrayForEach(t, data) {
		struct ok_event ev;
		const cJSON *side = cJSON_GetObjectItemCaseSensitive(t, "side");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(t,
			"tradeId");

		memset(&ev, 0, sizeof(ev));
		if (symbol(cJSON_GetObjectItemCaseSensitive(t, "instId"),
		    ev.native, sizeof(ev.native)) != 0 ||
		    num(t, "px", &ev.price) != 0 ||
		    num(t, "sz", &ev.qty) != 0 ||
		    ms(cJSON_GetObjectItemCaseSensitive(t, "ts"), &ev.ts_ms) ||
		    !cJSON_IsString(side) || !cJSON_IsString(id) ||
		    id->valuestring[0] == '\0')
			return bad(why, "trades: missing or bad field");
		if (strcmp(side->valuestring, "buy") == 0)
			ev.side = 1;
		else if (strcmp(side->valuestring, "sell") == 0)
			ev.side = 2;
		else
			return bad(why, "trades: side is neither buy nor sell");
		if (!(ev.price > 0) || !(ev.qty > 0))
			return bad(why, "trades: price or size out of range");
		ev.kind = OK_TRADE;
		ev.id = trade_id(id->valuestring, &ev.id_hashed);
		fn(arg, &ev);
		n++;
	}
	return n;
}

/* One candle row [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm] into ev. */
static int
candle_row(const cJSON *r, struct ok_event *ev)
{
	const cJSON *c = cJSON_GetArrayItem(r, 8);

	if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) < 9 ||
	    ms(cJSON_GetArrayItem(r, 0), &ev->ts_ms) != 0 ||
	    str_num(cJSON_GetArrayItem(r, 1), &ev->open) != 0 ||
	    str_num(cJSON_GetArrayItem(r, 2), &ev->high) != 0 ||
	    str_num(cJSON_GetArrayItem(r, 3), &ev->low) != 0 ||
	    str_num(cJSON_GetArrayItem(r, 4), &ev->close) != 0 ||
	    str_num(cJSON_GetArrayItem(r, 5), &ev->volume) != 0 ||
	    str_num(cJSON_GetArrayItem(r, 7), &ev->quote_volume) != 0 ||
	    !cJSON_IsString(c) || (strcmp(c->valuestring, "0") != 0 &&
	    strcmp(c->valuestring, "1") != 0))
		return -1;
	if (!(ev->open > 0) || !(ev->high > 0) || !(ev->low > 0) ||
	    !(ev->close > 0) || ev->low > ev->high || ev->volume < 0 ||
	    ev->quote_volume < 0)
		return -1;
	ev->closed = c->valuestring[0] == '1';
	ev->kind = OK_KLINE;
	return 0;
}

static int
candles(const char *sym, const char *bar, const cJSON *data,
	void (*fn)(void *, const struct ok_event *), void *arg, char *why)
{
	const cJSON *r;
	int n = 0;

	if (bar[0] == '\0' || strlen(bar) >= 8)
		return bad(why, "candle: bad channel");
	cJSON_ArrayForEach(r, data) {
		struct ok_event ev;

		memset(&ev, 0, sizeof(ev));
		if (candle_row(r, &ev) != 0)
			return bad(why, "candle: missing or bad field");
		snprintf(ev.native, sizeof(ev.native), "%s", sym);
		snprintf(ev.bar, sizeof(ev.bar), "%s", bar);
		fn(arg, &ev);
		n++;
	}
	return n;
}

/* The first level of a side, [["price","size",..], ...]: 1 if there, 0
 * if the side is empty, -1 if malformed. */
static int
level(const cJSON *side, double *p, double *q)
{
	const cJSON *l;

	if (!cJSON_IsArray(side))
		return -1;
	if ((l = cJSON_GetArrayItem(side, 0)) == NULL)
		return 0;
	if (!cJSON_IsArray(l) || str_num(cJSON_GetArrayItem(l, 0), p) != 0 ||
	    str_num(cJSON_GetArrayItem(l, 1), q) != 0 || !(*p > 0) || *q < 0)
		return -1;
	return 1;
}

static int
books(const char *sym, const cJSON *root, const cJSON *data,
	void (*fn)(void *, const struct ok_event *), void *arg, char *why)
{
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(root, "action");
	const cJSON *b;
	int n = 0, hb, ha;

	/* An incremental update changes some levels: its first level is
	 * not the top of the book. */
	if (cJSON_IsString(action) && strcmp(action->valuestring,
	    "snapshot") != 0)
		return 0;
	cJSON_ArrayForEach(b, data) {
		struct ok_event ev;

		memset(&ev, 0, sizeof(ev));
		if (!cJSON_IsObject(b) ||
		    (hb = level(cJSON_GetObjectItemCaseSensitive(b, "bids"),
		    &ev.bid, &ev.bid_qty)) < 0 ||
		    (ha = level(cJSON_GetObjectItemCaseSensitive(b, "asks"),
		    &ev.ask, &ev.ask_qty)) < 0 ||
		    ms(cJSON_GetObjectItemCaseSensitive(b, "ts"), &ev.ts_ms))
			return bad(why, "books: missing or bad field");
		if (!hb || !ha)
			continue;       /* only whole tops are events */
		snprintf(ev.native, sizeof(ev.native), "%s", sym);
		ev.kind = OK_BOOK;
		fn(arg, &ev);
		n++;
	}
	return n;
}

/* A side of a ticker: 1 if priced, 0 if the venue left it empty. */
static int
ticker_side(const cJSON *t, const char *px, const char *sz, double *p,
	double *q)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, px);

	if (cJSON_IsString(v) && v->valuestring[0] == '\0')
		return 0;
	if (num(t, px, p) != 0 || num(t, sz, q) != 0 || !(*p > 0) || *q < 0)
		return -1;
	return 1;
}

static int
tickers(const cJSON *data, void (*fn)(void *, const struct ok_event *),
	void *arg, char *why)
{
	const cJSON *t;
	int n = 0, hb, ha;

	cJSON_ArrayForEach(t, data) {
		struct ok_event ev;

		memset(&ev, 0, sizeof(ev));
		if (symbol(cJSON_GetObjectItemCaseSensitive(t, "instId"),
		    ev.native, sizeof(ev.native)) != 0 ||
		    (hb = ticker_side(t, "bidPx", "bidSz", &ev.bid,
		    &ev.bid_qty)) < 0 ||
		    (ha = ticker_side(t, "askPx", "askSz", &ev.ask,
		    &ev.ask_qty)) < 0 ||
		    ms(cJSON_GetObjectItemCaseSensitive(t, "ts"), &ev.ts_ms))
			return bad(why, "tickers: missing or bad field");
		if (!hb || !ha)
			continue;
		ev.kind = OK_BOOK;
		fn(arg, &ev);
		n++;
	}
	return n;
}

static int
is_book_channel(const char *c)
{
	static const char *const names[] = { "bbo-tbt", "books5", "books",
		"books-l2-tbt", "books50-l2-tbt", "books-elp" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(c, names[i]) == 0)
			return 1;
	return 0;
}

/* {"arg":{"channel":..,"instId":..},"data":[..]} */
static int
push(const cJSON *root, const cJSON *a, const cJSON *data,
	void (*fn)(void *, const struct ok_event *), void *arg, char *why)
{
	const cJSON *ch = cJSON_GetObjectItemCaseSensitive(a, "channel");
	const char *c;
	char sym[32];

	if (!cJSON_IsString(ch))
		return bad(why, "push without a channel");
	c = ch->valuestring;
	if (strcmp(c, "trades") != 0 && strcmp(c, "trades-all") != 0 &&
	    strncmp(c, "candle", 6) != 0 && !is_book_channel(c) &&
	    strcmp(c, "tickers") != 0)
		return 0;       /* a channel we do not read */
	if (!cJSON_IsArray(data))
		return bad(why, "push: data is not an array");
	if (strcmp(c, "trades") == 0 || strcmp(c, "trades-all") == 0)
		return trades(data, fn, arg, why);
	if (strcmp(c, "tickers") == 0)
		return tickers(data, fn, arg, why);
	/* candles and books name the instrument in `arg` only */
	if (symbol(cJSON_GetObjectItemCaseSensitive(a, "instId"), sym,
	    sizeof(sym)) != 0)
		return bad(why, "push: missing or bad instId");
	if (strncmp(c, "candle", 6) == 0)
		return candles(sym, c + 6, data, fn, arg, why);
	return books(sym, root, data, fn, arg, why);
}

/* {"event":"subscribe"|"error"|"notice"|..,"code":..,"msg":..} */
static int
event(const cJSON *root, const cJSON *e,
	void (*fn)(void *, const struct ok_event *), void *arg)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "msg");
	struct ok_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = OK_EVENT;
	snprintf(ev.event, sizeof(ev.event), "%s", e->valuestring);
	if (cJSON_IsString(code))
		snprintf(ev.code, sizeof(ev.code), "%s", code->valuestring);
	else if (cJSON_IsNumber(code))
		snprintf(ev.code, sizeof(ev.code), "%.0f", code->valuedouble);
	snprintf(ev.msg, sizeof(ev.msg), "%s", cJSON_IsString(msg) ?
		msg->valuestring : "");
	fn(arg, &ev);
	return 1;
}

int
ok_parse_ws(const char *data, size_t len,
	void (*fn)(void *, const struct ok_event *), void *arg, char *why)
{
	cJSON *root;
	const cJSON *a, *d, *e;
	int rc = 0;

	why[0] = '\0';
	/* The heartbeat answer is bare text, not JSON. */
	if (len == 4 && memcmp(data, "pong", 4) == 0) {
		struct ok_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.kind = OK_PONG;
		fn(arg, &ev);
		return 1;
	}
	root = cJSON_ParseWithLength(data, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return bad(why, "not a JSON object");
	}
	a = cJSON_GetObjectItemCaseSensitive(root, "arg");
	d = cJSON_GetObjectItemCaseSensitive(root, "data");
	e = cJSON_GetObjectItemCaseSensitive(root, "event");
	if (cJSON_IsString(e))
		rc = event(root, e, fn, arg);
	else if (e != NULL)
		rc = bad(why, "event is not a string");
	else if (cJSON_IsObject(a) && d != NULL)
		rc = push(root, a, d, fn, arg, why);
	else if (a != NULL && !cJSON_IsObject(a))
		rc = bad(why, "arg is not an object");
	/* else valid JSON of no interest (answers to other ops) */
	cJSON_Delete(root);
	return rc;
}

struct row { int64_t t; long at; struct ok_event ev; };

/* Oldest first; rows of one time in the reverse of the answer's order, as
 * the answer is newest first (qsort alone is not stable). */
static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return (x->at < y->at) - (x->at > y->at);
}

long
ok_parse_klines(const char *data, size_t len,
	void (*fn)(void *, const struct ok_event *), void *arg)
{
	cJSON *root = cJSON_ParseWithLength(data, len), *list, *r;
	const cJSON *code;
	struct row *rows = NULL;
	long n = 0, i;

	code = cJSON_GetObjectItemCaseSensitive(root, "code");
	list = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (!((cJSON_IsString(code) && strcmp(code->valuestring, "0") == 0) ||
	    (cJSON_IsNumber(code) && code->valuedouble == 0)) ||
	    !cJSON_IsArray(list))
		goto bad;
	rows = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*rows));
	if (rows == NULL)
		goto bad;
	cJSON_ArrayForEach(r, list) {
		if (candle_row(r, &rows[n].ev) != 0)
			goto bad;
		rows[n].t = rows[n].ev.ts_ms;
		rows[n].at = n;
		n++;
	}
	/* Newest first from the venue: hand them out oldest first. */
	qsort(rows, (size_t)n, sizeof(*rows), row_cmp);
	for (i = 0; i < n; i++)
		fn(arg, &rows[i].ev);
	free(rows);
	cJSON_Delete(root);
	return n;
bad:
	free(rows);
	cJSON_Delete(root);
	return -1;
}

/* A step or minimum: plain decimal text (digits, at most one point, no
 * sign or exponent), copied as is -- the host keeps the venue's exact
 * text and refuses anything else, so such text is refused here first. */
static int
step_text(const cJSON *o, const char *k, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	const char *p;
	int digits = 0, points = 0;

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
		return -1;
	for (p = v->valuestring; *p; p++) {
		if (is_digit(*p))
			digits++;
		else if (*p != '.' || points++ > 0)
			return -1;
	}
	if (digits == 0)
		return -1;
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* A currency: letters and digits, upper-cased. */
static int
currency(const cJSON *o, const char *k, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	size_t i, n;

	if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) == 0 ||
	    n >= cap)
		return -1;
	for (i = 0; i < n; i++) {
		char c = v->valuestring[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (!(c >= 'A' && c <= 'Z') && !is_digit(c))
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

static int
instrument(const cJSON *it, struct ok_instrument *in, char *why)
{
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(it, "state");
	char base[16], quote[16];      /* BASE/QUOTE fits the 32 */

	memset(in, 0, sizeof(*in));
	if (symbol(cJSON_GetObjectItemCaseSensitive(it, "instId"), in->native,
	    sizeof(in->native)) != 0)
		return bad(why, "instrument without a good instId");
	if (currency(it, "baseCcy", base, sizeof(base)) != 0 ||
	    currency(it, "quoteCcy", quote, sizeof(quote)) != 0)
		return bad(why, "instrument without baseCcy/quoteCcy");
	snprintf(in->symbol, sizeof(in->symbol), "%s/%s", base, quote);
	if (step_text(it, "tickSz", in->tick, sizeof(in->tick)) != 0)
		return bad(why, "instrument without a decimal tickSz");
	if (step_text(it, "lotSz", in->lot, sizeof(in->lot)) != 0)
		return bad(why, "instrument without a decimal lotSz");
	if (step_text(it, "minSz", in->min_qty, sizeof(in->min_qty)) != 0)
		return bad(why, "instrument without a decimal minSz");
	if (!cJSON_IsString(state) || state->valuestring[0] == '\0' ||
	    strlen(state->valuestring) >= sizeof(in->status))
		return bad(why, "instrument without a state");
	strcpy(in->status, state->valuestring);
	in->trading = strcmp(in->status, "live") == 0;
	return 0;
}

long
ok_parse_instruments(const char *data, size_t len,
	void (*fn)(void *, const struct ok_instrument *), void *arg,
	char *why)
{
	cJSON *root = cJSON_ParseWithLength(data, len), *list, *it;
	const cJSON *code, *type;
	struct ok_instrument in;
	long n = 0;

	why[0] = '\0';
	if (root == NULL)
		return bad(why, "not JSON");
	code = cJSON_GetObjectItemCaseSensitive(root, "code");
	list = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (!((cJSON_IsString(code) && strcmp(code->valuestring, "0") == 0) ||
	    (cJSON_IsNumber(code) && code->valuedouble == 0))) {
		bad(why, "an error answer (code not 0)");
		goto out;
	}
	if (!cJSON_IsArray(list)) {
		bad(why, "no data array");
		goto out;
	}
	/* Checked whole before any is handed out: a list that is bad
	 * somewhere is not half applied. */
	cJSON_ArrayForEach(it, list) {
		type = cJSON_GetObjectItemCaseSensitive(it, "instType");
		if (!cJSON_IsString(type)) {
			bad(why, "instrument without instType");
			goto out;
		}
		if (strcmp(type->valuestring, "SPOT") != 0)
			continue;
		if (instrument(it, &in, why) != 0)
			goto out;
	}
	cJSON_ArrayForEach(it, list) {
		type = cJSON_GetObjectItemCaseSensitive(it, "instType");
		if (strcmp(type->valuestring, "SPOT") != 0)
			continue;
		instrument(it, &in, why);
		fn(arg, &in);
		n++;
	}
	cJSON_Delete(root);
	return n;
out:
	cJSON_Delete(root);
	return -1;
}
