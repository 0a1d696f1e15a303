/*
 * parse.c -- Coinbase Advanced Trade public messages (see parse.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "parse.h"

#define MAX_MS 9007199254740991LL  /* beyond it a double would round */

/* The events of one message, handed out only once all of it is read: a
 * message with one bad part gives nothing but its refusal. */
struct out {
	struct cb_event *ev;
	size_t n, cap;
	struct cb_event local[8];
};

/* A zeroed slot at the end of `o`, or NULL without memory. */
static struct cb_event *
push(struct out *o)
{
	struct cb_event *ev;

	if (o->n == o->cap) {
		size_t cap = o->cap * 2;

		ev = malloc(cap * sizeof(*ev));
		if (ev == NULL)
			return NULL;
		memcpy(ev, o->ev, o->n * sizeof(*ev));
		if (o->ev != o->local)
			free(o->ev);
		o->ev = ev;
		o->cap = cap;
	}
	ev = &o->ev[o->n++];
	memset(ev, 0, sizeof(*ev));
	return ev;
}

static int
bad(char *why, const char *text)
{
	snprintf(why, 96, "%s", text);
	return -1;
}

/* Plain decimal text: -?digits[.digits][e[+-]digits].  strtod alone would
 * also take " 1", "inf", "nan" and hex, none of which the venue sends. */
static int
decimal_text(const char *s)
{
	int digits = 0;

	if (*s == '-')
		s++;
	for (; isdigit((unsigned char)*s); s++)
		digits++;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			digits++;
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* A decimal string (the venue's form) or a JSON number, finite. */
static int
str_num(const cJSON *v, double *out)
{
	if (cJSON_IsString(v)) {
		if (!decimal_text(v->valuestring))
			return -1;
		errno = 0;
		*out = strtod(v->valuestring, NULL);
		return errno == 0 && isfinite(*out) ? 0 : -1;
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

/* A non-negative integer as digits or a whole JSON number. */
static int
integer(const cJSON *v, int64_t *out)
{
	const char *s;
	int64_t n = 0;

	if (cJSON_IsNumber(v)) {
		if (!(v->valuedouble >= 0) || v->valuedouble > (double)MAX_MS ||
		    v->valuedouble != floor(v->valuedouble))
			return -1;
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return -1;
	for (s = v->valuestring; *s; s++) {
		if (!isdigit((unsigned char)*s) || n > MAX_MS / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	if (n > MAX_MS)
		return -1;
	*out = n;
	return 0;
}

/* Seconds since the epoch as ms. */
static int
seconds_ms(const cJSON *v, int64_t *out)
{
	int64_t s;

	if (integer(v, &s) != 0 || s > MAX_MS / 1000)
		return -1;
	*out = s * 1000;
	return 0;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
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

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int64_t
cb_time_ms(const char *s)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	int y, mo, d, h, mi, sec, ms = 0, i;
	int leap;

	/* YYYY-MM-DDTHH:MM:SS[.fraction]Z, fixed positions */
	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	s += 19;
	if (*s == '.') {
		/* The first three digits are the ms; finer ones truncated. */
		for (s++, i = 0; isdigit((unsigned char)*s); s++, i++)
			if (i < 3)
				ms = ms * 10 + (*s - '0');
		if (i == 0)
			return -1;
		for (; i < 3; i++)
			ms *= 10;
	}
	if ((*s != 'Z' && *s != 'z') || s[1] != '\0')
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 59)
		return -1;
	return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL +
	    sec * 1000LL + ms;
}

static int
time_of(const cJSON *v, int64_t *out)
{
	if (!cJSON_IsString(v) || (*out = cb_time_ms(v->valuestring)) < 0)
		return -1;
	return 0;
}

/* BTC-USD: letters, digits and dashes, kept as sent (upper case). */
static int
product(const cJSON *v, char *out, size_t cap)
{
	size_t i, n;
	const char *s;

	if (!cJSON_IsString(v))
		return -1;
	s = v->valuestring;
	n = strlen(s);
	if (n == 0 || n >= cap || s[0] == '-' || s[n - 1] == '-')
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-')
			return -1;
		out[i] = (char)toupper(c);
	}
	out[n] = '\0';
	return 0;
}

/* The venue's trade id: decimal, else a 64-bit FNV-1a of its text. */
static uint64_t
trade_id(const char *s, int *ordered)
{
	uint64_t u = 0, h = 0xcbf29ce484222325ULL;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && p - s < 19; p++)
		u = u * 10 + (uint64_t)(*p - '0');
	if (*p == '\0' && p != s) {
		*ordered = 1;
		return u;
	}
	*ordered = 0;
	for (p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h & 0x7fffffffffffffffULL;
}

static int
trade_cmp(const void *a, const void *b)
{
	const struct cb_event *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return (x->ts_ms > y->ts_ms) - (x->ts_ms < y->ts_ms);
	return (x->id > y->id) - (x->id < y->id);
}

static int
trade(const cJSON *t, int snapshot, struct cb_event *ev)
{
	const cJSON *side = cJSON_GetObjectItemCaseSensitive(t, "side");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "trade_id");

	memset(ev, 0, sizeof(*ev));
	if (product(cJSON_GetObjectItemCaseSensitive(t, "product_id"),
	    ev->native, sizeof(ev->native)) != 0 ||
	    num(t, "price", &ev->price) != 0 || num(t, "size", &ev->qty) != 0 ||
	    time_of(cJSON_GetObjectItemCaseSensitive(t, "time"),
	    &ev->ts_ms) != 0 || !cJSON_IsString(side) ||
	    !cJSON_IsString(id) || id->valuestring[0] == '\0')
		return -1;
	if (strcasecmp(side->valuestring, "BUY") == 0)
		ev->maker_side = 1;
	else if (strcasecmp(side->valuestring, "SELL") == 0)
		ev->maker_side = 2;
	else
		return -1;
	if (!(ev->price > 0) || !(ev->qty > 0))
		return -1;
	ev->kind = CB_TRADE;
	/* The channel reports the maker's side: a resting BUY order was
	 * hit by a taker who sold. */
	ev->side = ev->maker_side == 1 ? 2 : 1;
	ev->id = trade_id(id->valuestring, &ev->id_ordered);
	ev->snapshot = snapshot;
	return 0;
}

/* One market_trades event: its trades, oldest first. */
static int
trades(const cJSON *e, struct out *o, char *why)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(e, "trades");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
	int snapshot = cJSON_IsString(type) &&
	    strcmp(type->valuestring, "snapshot") == 0;
	size_t first = o->n;
	const cJSON *t;
	struct cb_event *ev;

	if (!cJSON_IsArray(list))
		return bad(why, "market_trades: trades is not an array");
	cJSON_ArrayForEach(t, list) {
		if ((ev = push(o)) == NULL)
			return bad(why, "market_trades: out of memory");
		if (trade(t, snapshot, ev) != 0)
			return bad(why, "market_trades: missing or bad field");
	}
	qsort(o->ev + first, o->n - first, sizeof(*ev), trade_cmp);
	return 0;
}

static int
kline_ok(const struct cb_event *k)
{
	return k->open > 0 && k->high > 0 && k->low > 0 && k->close > 0 &&
	    k->volume >= 0 && k->low <= k->high && k->open >= k->low &&
	    k->open <= k->high && k->close >= k->low && k->close <= k->high;
}

static int
kline_row(const cJSON *k, struct cb_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (seconds_ms(cJSON_GetObjectItemCaseSensitive(k, "start"),
	    &ev->ts_ms) != 0 || num(k, "open", &ev->open) != 0 ||
	    num(k, "high", &ev->high) != 0 || num(k, "low", &ev->low) != 0 ||
	    num(k, "close", &ev->close) != 0 ||
	    num(k, "volume", &ev->volume) != 0 || !kline_ok(ev))
		return -1;
	ev->kind = CB_KLINE;
	return 0;
}

/* One candles event (5-minute buckets, the open one included). */
static int
candles(const cJSON *e, struct out *o, char *why)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(e, "candles");
	const cJSON *k;
	struct cb_event *ev;

	if (!cJSON_IsArray(list))
		return bad(why, "candles: candles is not an array");
	cJSON_ArrayForEach(k, list) {
		if ((ev = push(o)) == NULL)
			return bad(why, "candles: out of memory");
		if (kline_row(k, ev) != 0 ||
		    product(cJSON_GetObjectItemCaseSensitive(k, "product_id"),
		    ev->native, sizeof(ev->native)) != 0)
			return bad(why, "candles: missing or bad field");
		ev->interval_ms = 300000;
		ev->closed = -1;
	}
	return 0;
}

/* A side of the top: absent or "" means the venue has none to give. */
static int
top_side(const cJSON *t, const char *pk, const char *qk, double *p,
	double *q)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, pk);

	if (v == NULL || cJSON_IsNull(v) ||
	    (cJSON_IsString(v) && v->valuestring[0] == '\0'))
		return 0;
	if (str_num(v, p) != 0 || num(t, qk, q) != 0 || !(*p > 0) || *q < 0)
		return -1;
	return 1;
}

static int
tickers(const cJSON *e, int64_t ts_ms, struct out *o, char *why)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(e, "tickers");
	const cJSON *t;

	if (!cJSON_IsArray(list))
		return bad(why, "ticker: tickers is not an array");
	cJSON_ArrayForEach(t, list) {
		struct cb_event ev, *slot;
		int b, a;

		memset(&ev, 0, sizeof(ev));
		if (product(cJSON_GetObjectItemCaseSensitive(t, "product_id"),
		    ev.native, sizeof(ev.native)) != 0)
			return bad(why, "ticker: bad product_id");
		b = top_side(t, "best_bid", "best_bid_quantity", &ev.bid,
			&ev.bid_qty);
		a = top_side(t, "best_ask", "best_ask_quantity", &ev.ask,
			&ev.ask_qty);
		if (b < 0 || a < 0)
			return bad(why, "ticker: bad best bid or ask");
		if (b == 0 || a == 0)
			continue;  /* an empty side: no top to give */
		if (cJSON_GetObjectItemCaseSensitive(t, "price") == NULL)
			ev.last = NAN;
		else if (num(t, "price", &ev.last) != 0)
			return bad(why, "ticker: bad price");
		ev.kind = CB_BOOK;
		ev.ts_ms = ts_ms;
		if ((slot = push(o)) == NULL)
			return bad(why, "ticker: out of memory");
		*slot = ev;
	}
	return 0;
}

static int
heartbeat(const cJSON *e, int64_t ts_ms, struct out *o, char *why)
{
	struct cb_event *ev = push(o);

	if (ev == NULL)
		return bad(why, "heartbeats: out of memory");
	/* A number on the wire, a string in the documented example. */
	if (integer(cJSON_GetObjectItemCaseSensitive(e, "heartbeat_counter"),
	    &ev->counter) != 0)
		return bad(why, "heartbeats: bad heartbeat_counter");
	ev->kind = CB_HEARTBEAT;
	ev->ts_ms = ts_ms;
	return 0;
}

static int
status(const cJSON *e, struct out *o, char *why)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(e, "products");
	const cJSON *p;
	struct cb_event *ev;

	if (!cJSON_IsArray(list))
		return bad(why, "status: products is not an array");
	cJSON_ArrayForEach(p, list) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(p, "status");

		if ((ev = push(o)) == NULL)
			return bad(why, "status: out of memory");
		if (product(cJSON_GetObjectItemCaseSensitive(p, "id"),
		    ev->native, sizeof(ev->native)) != 0 || !cJSON_IsString(st))
			return bad(why, "status: missing or bad field");
		ev->kind = CB_STATUS;
		snprintf(ev->text, sizeof(ev->text), "%s", st->valuestring);
	}
	return 0;
}

static int
subscriptions(const cJSON *e, struct out *o, char *why)
{
	const cJSON *subs = cJSON_GetObjectItemCaseSensitive(e,
		"subscriptions");
	const cJSON *c;
	struct cb_event *ev;
	size_t at = 0;

	if (!cJSON_IsObject(subs))
		return bad(why, "subscriptions: not an object");
	if ((ev = push(o)) == NULL)
		return bad(why, "subscriptions: out of memory");
	ev->kind = CB_SUBSCRIBED;
	cJSON_ArrayForEach(c, subs) {
		int w = snprintf(ev->text + at, sizeof(ev->text) - at, "%s%s",
			at ? " " : "", c->string);

		if (w < 0 || (size_t)w >= sizeof(ev->text) - at)
			break;
		at += (size_t)w;
	}
	return 0;
}

enum channel {
	CH_TRADES, CH_TICKER, CH_TICKER_BATCH, CH_CANDLES, CH_HEARTBEATS,
	CH_STATUS, CH_SUBSCRIPTIONS, CH_COUNT
};

static const char *const channel_names[CH_COUNT] = {
	"market_trades", "ticker", "ticker_batch", "candles", "heartbeats",
	"status", "subscriptions",
};

/* The events of an envelope of channel `ch` into `o`: 0, or -1. */
static int
envelope_events(const cJSON *root, enum channel ch, int64_t ts_ms,
	struct out *o, char *why)
{
	const cJSON *evs = cJSON_GetObjectItemCaseSensitive(root, "events");
	const cJSON *e;
	int rc = 0;

	if (!cJSON_IsArray(evs))
		return bad(why, "events is not an array");
	cJSON_ArrayForEach(e, evs) {
		if (!cJSON_IsObject(e))
			return bad(why, "an event is not an object");
		switch (ch) {
		case CH_TRADES:
			rc = trades(e, o, why);
			break;
		case CH_TICKER:
		case CH_TICKER_BATCH:
			rc = tickers(e, ts_ms, o, why);
			break;
		case CH_CANDLES:
			rc = candles(e, o, why);
			break;
		case CH_HEARTBEATS:
			rc = heartbeat(e, ts_ms, o, why);
			break;
		case CH_STATUS:
			rc = status(e, o, why);
			break;
		case CH_SUBSCRIPTIONS:
		case CH_COUNT:
			rc = subscriptions(e, o, why);
			break;
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
cb_parse_ws(const char *data, size_t len, struct cb_envelope *envp,
	void (*fn)(void *, const struct cb_event *), void *arg, char *why)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *ch, *type, *seq;
	struct cb_envelope env;
	struct out o;
	int rc = 0, c;
	size_t i;

	why[0] = '\0';
	env.seq = -1;
	env.ts_ms = -1;
	env.channel[0] = '\0';
	o.ev = o.local;
	o.n = 0;
	o.cap = sizeof(o.local) / sizeof(o.local[0]);
	if (!cJSON_IsObject(root)) {
		rc = bad(why, "not a JSON object");
		goto out;
	}
	type = cJSON_GetObjectItemCaseSensitive(root, "type");
	ch = cJSON_GetObjectItemCaseSensitive(root, "channel");
	if (cJSON_IsString(type) && strcmp(type->valuestring, "error") == 0) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(root,
			"message");
		struct cb_event *ev = push(&o);

		ev->kind = CB_ERROR;
		snprintf(ev->text, sizeof(ev->text), "%s", cJSON_IsString(m) ?
			m->valuestring : "(no message)");
		goto out;
	}
	/* Pushed envelopes have no top-level type (requests and the older
	 * Exchange feed's messages do): nothing of ours. */
	if (!cJSON_IsString(ch) || type != NULL)
		goto out;
	for (c = 0; c < CH_COUNT; c++)
		if (strcmp(ch->valuestring, channel_names[c]) == 0)
			break;
	if (c == CH_COUNT)
		goto out;       /* a channel this parser does not know */
	snprintf(env.channel, sizeof(env.channel), "%s", channel_names[c]);
	seq = cJSON_GetObjectItemCaseSensitive(root, "sequence_num");
	if (seq != NULL && integer(seq, &env.seq) != 0) {
		env.seq = -1;
		rc = bad(why, "bad sequence_num");
		goto out;
	}
	if (time_of(cJSON_GetObjectItemCaseSensitive(root, "timestamp"),
	    &env.ts_ms) != 0) {
		env.ts_ms = -1;
		rc = bad(why, "missing or bad timestamp");
		goto out;
	}
	rc = envelope_events(root, (enum channel)c, env.ts_ms, &o, why);
out:
	if (envp != NULL)
		*envp = env;
	if (rc == 0) {
		for (i = 0; i < o.n; i++)
			fn(arg, &o.ev[i]);
		rc = (int)o.n;
	}
	if (o.ev != o.local)
		free(o.ev);
	cJSON_Delete(root);
	return rc;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct cb_event *x = a, *y = b;

	return (x->ts_ms > y->ts_ms) - (x->ts_ms < y->ts_ms);
}

long
cb_parse_klines(const char *data, size_t len, int64_t interval_ms,
	int64_t now_ms, void (*fn)(void *, const struct cb_event *), void *arg,
	char *why)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *list, *r;
	struct cb_event *rows = NULL;
	long n = 0, i;

	why[0] = '\0';
	list = cJSON_GetObjectItemCaseSensitive(root, "candles");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(list)) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(root,
			"message");

		/* {"error":"INVALID_ARGUMENT","message":...} and the like */
		snprintf(why, 96, "no candles: %s", cJSON_IsString(m) ?
			m->valuestring : "not a candles answer");
		goto fail;
	}
	rows = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*rows));
	if (rows == NULL) {
		bad(why, "out of memory");
		goto fail;
	}
	cJSON_ArrayForEach(r, list) {
		if (kline_row(r, &rows[n]) != 0) {
			bad(why, "candles: missing or bad field");
			goto fail;
		}
		n++;
	}
	/* Newest first from the venue: hand them out oldest first. */
	qsort(rows, (size_t)n, sizeof(*rows), row_cmp);
	for (i = 0; i < n; i++) {
		rows[i].interval_ms = interval_ms;
		rows[i].closed = rows[i].ts_ms + interval_ms <= now_ms;
		fn(arg, &rows[i]);
	}
	free(rows);
	cJSON_Delete(root);
	return n;
fail:
	free(rows);
	cJSON_Delete(root);
	return -1;
}

/* A step or minimum: plain decimal text (digits, at most one point, no
 * sign or exponent), copied as is -- the host keeps the venue's exact
 * text and refuses anything else, so such text is refused here first.
 * `optional`: absent, null or "" gives "". */
static int
step_text(const cJSON *o, const char *k, char *out, size_t cap,
	int optional)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	const char *p;
	int digits = 0, points = 0;

	out[0] = '\0';
	if (optional && (v == NULL || cJSON_IsNull(v) ||
	    (cJSON_IsString(v) && v->valuestring[0] == '\0')))
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
		return -1;
	for (p = v->valuestring; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p != '.' || points++ > 0)
			return -1;
	}
	if (digits == 0)
		return -1;
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* A name (currency or product id): letters, digits and dashes, at most
 * cap - 1 of them, upper-cased when `upper`. */
static int
name_text(const cJSON *o, const char *k, char *out, size_t cap, int upper)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	size_t i, n;

	if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) == 0 ||
	    n >= cap)
		return -1;
	for (i = 0; i < n; i++) {
		char c = v->valuestring[i];

		if (!isalnum((unsigned char)c) && c != '-')
			return -1;
		out[i] = upper ? (char)toupper((unsigned char)c) : c;
	}
	out[n] = '\0';
	return 0;
}

static int
product_of(const cJSON *it, struct cb_instrument *in, char *why)
{
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(it, "status");
	const cJSON *off = cJSON_GetObjectItemCaseSensitive(it,
		"trading_disabled");
	const cJSON *alias = cJSON_GetObjectItemCaseSensitive(it, "alias");
	char base[16], quote[16];      /* BASE/QUOTE fits the 32 */

	memset(in, 0, sizeof(*in));
	if (name_text(it, "product_id", in->native, sizeof(in->native), 0))
		return bad(why, "product without a good product_id");
	if (name_text(it, "base_currency_id", base, sizeof(base), 1) ||
	    name_text(it, "quote_currency_id", quote, sizeof(quote), 1))
		return bad(why, "product without base/quote_currency_id");
	snprintf(in->symbol, sizeof(in->symbol), "%s/%s", base, quote);
	if (step_text(it, "quote_increment", in->tick, sizeof(in->tick), 0))
		return bad(why, "product without a decimal quote_increment");
	if (step_text(it, "base_increment", in->lot, sizeof(in->lot), 0))
		return bad(why, "product without a decimal base_increment");
	if (step_text(it, "base_min_size", in->min_qty, sizeof(in->min_qty),
	    0))
		return bad(why, "product without a decimal base_min_size");
	if (step_text(it, "quote_min_size", in->min_notional,
	    sizeof(in->min_notional), 1))
		return bad(why, "product with a bad quote_min_size");
	if (!cJSON_IsString(status) || status->valuestring[0] == '\0' ||
	    strlen(status->valuestring) >= sizeof(in->status))
		return bad(why, "product without a status");
	strcpy(in->status, status->valuestring);
	if (!cJSON_IsBool(off))
		return bad(why, "product without trading_disabled");
	/* "" (or absent) when the product is its own book. */
	if (alias != NULL && !cJSON_IsNull(alias) &&
	    !(cJSON_IsString(alias) && alias->valuestring[0] == '\0') &&
	    name_text(it, "alias", in->alias, sizeof(in->alias), 0))
		return bad(why, "product with a bad alias");
	in->trading = strcmp(in->status, "online") == 0 && cJSON_IsFalse(off);
	return 0;
}

long
cb_parse_instruments(const char *data, size_t len,
	void (*fn)(void *, const struct cb_instrument *), void *arg,
	char *why)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *list, *it, *type;
	struct cb_instrument in;
	long n = 0;

	why[0] = '\0';
	list = cJSON_GetObjectItemCaseSensitive(root, "products");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(list)) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(root,
			"message");

		snprintf(why, 96, "no products: %s", cJSON_IsString(m) ?
			m->valuestring : "not a product list");
		goto fail;
	}
	/* Checked whole before any is handed out: a list that is bad
	 * somewhere is not half applied. */
	cJSON_ArrayForEach(it, list) {
		type = cJSON_GetObjectItemCaseSensitive(it, "product_type");
		if (!cJSON_IsString(type)) {
			bad(why, "product without product_type");
			goto fail;
		}
		if (strcmp(type->valuestring, "SPOT") != 0)
			continue;
		if (product_of(it, &in, why) != 0)
			goto fail;
	}
	cJSON_ArrayForEach(it, list) {
		type = cJSON_GetObjectItemCaseSensitive(it, "product_type");
		if (strcmp(type->valuestring, "SPOT") != 0)
			continue;
		product_of(it, &in, why);
		fn(arg, &in);
		n++;
	}
	cJSON_Delete(root);
	return n;
fail:
	cJSON_Delete(root);
	return -1;
}
