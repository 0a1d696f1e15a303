/*
 * trade_parse.c -- OKX v5 private messages and trading answers (see
 * trade_parse.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "trade_parse.h"

static int
bad(char *why, const char *text)
{
	snprintf(why, 96, "%s", text);
	return -1;
}

/* A text field copied into out ("" if absent or not text). */
static void
text(const cJSON *o, const char *k, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	snprintf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

/* A decimal field (text, as the venue sends them); 0 if absent or empty,
 * which the venue sends for "no fill yet". */
static double
dec(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	double x;

	if (cJSON_IsNumber(v))
		x = v->valuedouble;
	else if (cJSON_IsString(v))
		x = strtod(v->valuestring, NULL);
	else
		return 0;
	return isfinite(x) ? x : 0;
}

static int64_t
ms(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (cJSON_IsString(v))
		return strtoll(v->valuestring, NULL, 10);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* An order item: a state (orders channel, /trade/order) or the answer
 * to a place or cancel (ordId, clOrdId, sCode, sMsg). */
static void
order_rec(const cJSON *o, struct okt_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = OKT_ORDER;
	text(o, "instId", r->inst, sizeof(r->inst));
	text(o, "ordId", r->ord_id, sizeof(r->ord_id));
	text(o, "clOrdId", r->cl_ord_id, sizeof(r->cl_ord_id));
	text(o, "side", r->side, sizeof(r->side));
	text(o, "ordType", r->ord_type, sizeof(r->ord_type));
	text(o, "state", r->state, sizeof(r->state));
	r->px = dec(o, "px");
	r->sz = dec(o, "sz");
	r->acc_fill_sz = dec(o, "accFillSz");
	r->avg_px = dec(o, "avgPx");
	text(o, "tradeId", r->trade_id, sizeof(r->trade_id));
	r->fill_px = dec(o, "fillPx");
	r->fill_sz = dec(o, "fillSz");
	r->fee = dec(o, "fillFee");
	text(o, "fillFeeCcy", r->fee_ccy, sizeof(r->fee_ccy));
	{
		char e[4];

		text(o, "execType", e, sizeof(e));
		r->maker = strcmp(e, "M") == 0;
	}
	r->ts_ms = ms(o, "fillTime");
	if (r->ts_ms == 0)
		r->ts_ms = ms(o, "uTime");
	text(o, "sCode", r->code, sizeof(r->code));
	text(o, "sMsg", r->msg, sizeof(r->msg));
	if (r->code[0] == '\0') {
		/* The orders channel names a refusal in code/msg. */
		text(o, "code", r->code, sizeof(r->code));
		text(o, "msg", r->msg, sizeof(r->msg));
	}
}

static void
fill_rec(const cJSON *o, struct okt_rec *r)
{
	char e[4];

	memset(r, 0, sizeof(*r));
	r->kind = OKT_FILL;
	text(o, "instId", r->inst, sizeof(r->inst));
	text(o, "ordId", r->ord_id, sizeof(r->ord_id));
	text(o, "clOrdId", r->cl_ord_id, sizeof(r->cl_ord_id));
	text(o, "side", r->side, sizeof(r->side));
	text(o, "tradeId", r->trade_id, sizeof(r->trade_id));
	text(o, "billId", r->bill_id, sizeof(r->bill_id));
	r->fill_px = dec(o, "fillPx");
	r->fill_sz = dec(o, "fillSz");
	r->fee = dec(o, "fee");
	text(o, "feeCcy", r->fee_ccy, sizeof(r->fee_ccy));
	text(o, "execType", e, sizeof(e));
	r->maker = strcmp(e, "M") == 0;
	r->ts_ms = ms(o, "ts");
}

/* The details of one account item: fn for each asset. */
static long
balances(const cJSON *acct, void (*fn)(void *, const struct okt_rec *),
	void *arg)
{
	const cJSON *d, *details = cJSON_GetObjectItemCaseSensitive(acct,
		"details");
	struct okt_rec r;
	long n = 0;

	if (!cJSON_IsArray(details))
		return 0;
	cJSON_ArrayForEach(d, details) {
		if (!cJSON_IsObject(d))
			continue;
		memset(&r, 0, sizeof(r));
		r.kind = OKT_BALANCE;
		text(d, "ccy", r.ccy, sizeof(r.ccy));
		if (r.ccy[0] == '\0')
			continue;
		r.total = dec(d, "cashBal");
		r.avail = dec(d, "availBal");
		r.ts_ms = ms(d, "uTime");
		fn(arg, &r);
		n++;
	}
	return n;
}

long
okt_parse_rest(const char *data, size_t len, enum okt_kind as,
	void (*fn)(void *arg, const struct okt_rec *r), void *arg,
	struct okt_rec *err, char *why)
{
	cJSON *j = cJSON_ParseWithLength(data, len);
	const cJSON *code, *arr, *it;
	struct okt_rec r;
	long n = 0;
	int refused, own = 0;

	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return bad(why, "not a JSON object");
	}
	code = cJSON_GetObjectItemCaseSensitive(j, "code");
	arr = cJSON_GetObjectItemCaseSensitive(j, "data");
	if (!cJSON_IsString(code) || code->valuestring[0] == '\0') {
		cJSON_Delete(j);
		return bad(why, "no code");
	}
	refused = strcmp(code->valuestring, "0") != 0;
	if (refused && as == OKT_ORDER && cJSON_IsArray(arr))
		cJSON_ArrayForEach(it, arr)
			if (cJSON_IsObject(it) && cJSON_IsString(
			    cJSON_GetObjectItemCaseSensitive(it, "sCode")))
				own = 1;
	if (refused && !own) {
		memset(err, 0, sizeof(*err));
		snprintf(err->code, sizeof(err->code), "%s", code->valuestring);
		text(j, "msg", err->msg, sizeof(err->msg));
		cJSON_Delete(j);
		return -2;
	}
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(j);
		return bad(why, "no data array");
	}
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsObject(it))
			continue;
		switch (as) {
		case OKT_ORDER:
			order_rec(it, &r);
			fn(arg, &r);
			n++;
			break;
		case OKT_FILL:
			fill_rec(it, &r);
			fn(arg, &r);
			n++;
			break;
		case OKT_BALANCE:
			n += balances(it, fn, arg);
			break;
		case OKT_TIME:
			memset(&r, 0, sizeof(r));
			r.kind = OKT_TIME;
			if ((r.ts_ms = ms(it, "ts")) <= 0)
				break;
			fn(arg, &r);
			n++;
			break;
		default:
			break;
		}
	}
	cJSON_Delete(j);
	return n;
}

int
okt_parse_ws(const char *data, size_t len,
	void (*fn)(void *arg, const struct okt_rec *r), void *arg, char *why)
{
	cJSON *j;
	const cJSON *ev, *a, *ch, *arr, *it;
	struct okt_rec r;
	int n = 0;

	if (len == 4 && memcmp(data, "pong", 4) == 0) {
		memset(&r, 0, sizeof(r));
		r.kind = OKT_PONG;
		fn(arg, &r);
		return 1;
	}
	if ((j = cJSON_ParseWithLength(data, len)) == NULL ||
	    !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return bad(why, "not a JSON object");
	}
	ev = cJSON_GetObjectItemCaseSensitive(j, "event");
	if (cJSON_IsString(ev)) {
		memset(&r, 0, sizeof(r));
		r.kind = OKT_EVENT;
		snprintf(r.event, sizeof(r.event), "%s", ev->valuestring);
		text(j, "code", r.code, sizeof(r.code));
		text(j, "msg", r.msg, sizeof(r.msg));
		fn(arg, &r);
		cJSON_Delete(j);
		return 1;
	}
	a = cJSON_GetObjectItemCaseSensitive(j, "arg");
	ch = cJSON_GetObjectItemCaseSensitive(a, "channel");
	arr = cJSON_GetObjectItemCaseSensitive(j, "data");
	if (!cJSON_IsString(ch) || !cJSON_IsArray(arr)) {
		cJSON_Delete(j);
		return bad(why, "neither an event nor a push");
	}
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsObject(it))
			continue;
		if (strcmp(ch->valuestring, "orders") == 0) {
			order_rec(it, &r);
			fn(arg, &r);
			n++;
		} else if (strcmp(ch->valuestring, "account") == 0) {
			n += (int)balances(it, fn, arg);
		}
	}
	cJSON_Delete(j);
	return n;
}

int
okt_status_of(const char *code)
{
	static const struct {
		const char *code;
		int st;
	} map[] = {
		{ "50011", QD_ERR_LIMIT },     /* rate limit reached */
		{ "50061", QD_ERR_LIMIT },     /* sub-account order rate */
		{ "51008", QD_ERR_DENIED },    /* insufficient balance */
		{ "51131", QD_ERR_DENIED },    /* insufficient balance */
		{ "50113", QD_ERR_DENIED },    /* invalid sign */
		{ "50111", QD_ERR_DENIED },    /* invalid OK-ACCESS-KEY */
		{ "50105", QD_ERR_DENIED },    /* wrong passphrase */
		{ "50102", QD_ERR_DENIED },    /* timestamp expired */
		{ "51603", QD_ERR_NOTFOUND },  /* order does not exist */
		{ "51400", QD_ERR_NOTFOUND },  /* cancel: filled, canceled or
		                                  unknown */
		{ "51000", QD_ERR_INVALID },   /* parameter error */
		{ "51001", QD_ERR_INVALID },   /* instrument does not exist */
		{ "51006", QD_ERR_INVALID },   /* price out of the limits */
		{ "51020", QD_ERR_INVALID },   /* below the minimum size */
		{ "51121", QD_ERR_INVALID },   /* not a multiple of the lot */
		{ "51016", QD_ERR_STATE },     /* duplicated clOrdId */
	};
	size_t i;

	for (i = 0; code != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(code, map[i].code) == 0)
			return map[i].st;
	/* 51xxx are the trade service's refusals of the order itself. */
	if (code != NULL && strncmp(code, "51", 2) == 0)
		return QD_ERR_INVALID;
	return QD_ERR_DENIED;
}

size_t
okt_prehash(char *out, size_t cap, const char *ts, const char *method,
	const char *path, const char *body)
{
	return (size_t)snprintf(out, cap, "%s%s%s%s", ts, method, path,
		body ? body : "");
}

size_t
okt_login_prehash(char *out, size_t cap, const char *ts_s)
{
	return (size_t)snprintf(out, cap, "%sGET/users/self/verify", ts_s);
}

void
okt_iso_time(int64_t t_ms, char *out, size_t cap)
{
	time_t s = (time_t)(t_ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, (int)(t_ms % 1000));
}

void
okt_decimal(double x, char *out, size_t cap)
{
	size_t n;

	snprintf(out, cap, "%.8f", x);
	n = strlen(out);
	if (strchr(out, '.') == NULL)
		return;
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
}
