/*
 * trade_parse.c -- Coinbase Advanced Trade private answers and messages
 * (see trade_parse.h).  Decimals are the venue's text read with strtod;
 * a malformed message hands out nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "trade_parse.h"

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(x) ? x->valuestring : "";
}

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

/* A decimal member sent as text (the venue's rule) or a number; 0 when
 * absent or empty, -1 when present but not a finite number >= 0. */
static int
dec(const cJSON *o, const char *k, double *out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	char *end;

	*out = 0;
	if (x == NULL || cJSON_IsNull(x) ||
	    (cJSON_IsString(x) && x->valuestring[0] == '\0'))
		return 0;
	if (cJSON_IsNumber(x))
		*out = x->valuedouble;
	else if (cJSON_IsString(x)) {
		*out = strtod(x->valuestring, &end);
		if (*end != '\0')
			return -1;
	} else
		return -1;
	return isfinite(*out) && *out >= 0 ? 0 : -1;
}

static int
side_of(const char *s)
{
	if (strcmp(s, "BUY") == 0)
		return 1;
	if (strcmp(s, "SELL") == 0)
		return 2;
	return 0;
}

static enum cbt_status
status_of(const char *s)
{
	if (strcmp(s, "OPEN") == 0 || strcmp(s, "PENDING") == 0 ||
	    strcmp(s, "QUEUED") == 0 || strcmp(s, "CANCEL_QUEUED") == 0)
		return CBT_OPEN;
	if (strcmp(s, "FILLED") == 0)
		return CBT_FILLED;
	if (strcmp(s, "CANCELLED") == 0)
		return CBT_CANCELLED;
	if (strcmp(s, "EXPIRED") == 0)
		return CBT_EXPIRED;
	if (strcmp(s, "FAILED") == 0)
		return CBT_FAILED;
	return CBT_UNKNOWN;
}

/* One order of either shape (REST or user channel). */
static int
order_of(const cJSON *j, struct cbt_order *o, char *why)
{
	const char *r;

	memset(o, 0, sizeof(*o));
	if (!cJSON_IsObject(j) || jstr(j, "order_id")[0] == '\0') {
		copy(why, 96, "an order without order_id");
		return -1;
	}
	copy(o->order_id, sizeof(o->order_id), jstr(j, "order_id"));
	copy(o->client_id, sizeof(o->client_id), jstr(j, "client_order_id"));
	copy(o->product, sizeof(o->product), jstr(j, "product_id"));
	o->side = side_of(jstr(j, "side"));
	if (o->side == 0)
		o->side = side_of(jstr(j, "order_side"));
	o->status = status_of(jstr(j, "status"));
	if (dec(j, "filled_size", &o->filled) < 0 ||
	    (o->filled == 0 && dec(j, "cumulative_quantity", &o->filled) < 0) ||
	    dec(j, "average_filled_price", &o->avg_price) < 0 ||
	    (o->avg_price == 0 && dec(j, "avg_price", &o->avg_price) < 0)) {
		copy(why, 96, "an order with a bad quantity or price");
		return -1;
	}
	r = jstr(j, "reject_message");
	if (!*r)
		r = jstr(j, "reject_Reason");
	if (!*r)
		r = jstr(j, "reject_reason");
	if (!*r || strcmp(r, "REJECT_REASON_UNSPECIFIED") == 0)
		r = jstr(j, "cancel_message");
	if (!*r)
		r = jstr(j, "cancel_reason");
	copy(o->reason, sizeof(o->reason), r);
	return 0;
}

static cJSON *
parse(const char *data, size_t len, char *why)
{
	cJSON *j = data ? cJSON_ParseWithLength(data, len) : NULL;

	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		copy(why, 96, "not a JSON object");
		return NULL;
	}
	return j;
}

int
cbt_parse_user(const char *data, size_t len, char *channel,
	void (*fn)(void *arg, const struct cbt_order *o), void *arg,
	char *why)
{
	cJSON *j = parse(data, len, why), *ev, *os, *e, *x;
	struct cbt_order o;
	int n = 0;

	if (j == NULL)
		return -1;
	if (channel != NULL)
		copy(channel, 24, jstr(j, "channel"));
	if (strcmp(jstr(j, "channel"), "user") != 0) {
		cJSON_Delete(j);
		return 0;
	}
	ev = cJSON_GetObjectItemCaseSensitive(j, "events");
	if (!cJSON_IsArray(ev)) {
		copy(why, 96, "user message without events");
		cJSON_Delete(j);
		return -1;
	}
	/* Check every order before handing out any: a malformed message
	 * reports nothing. */
	cJSON_ArrayForEach(e, ev) {
		os = cJSON_GetObjectItemCaseSensitive(e, "orders");
		if (os != NULL && !cJSON_IsArray(os)) {
			copy(why, 96, "orders is not an array");
			cJSON_Delete(j);
			return -1;
		}
		cJSON_ArrayForEach(x, os)
			if (order_of(x, &o, why) < 0) {
				cJSON_Delete(j);
				return -1;
			}
	}
	cJSON_ArrayForEach(e, ev) {
		os = cJSON_GetObjectItemCaseSensitive(e, "orders");
		cJSON_ArrayForEach(x, os) {
			order_of(x, &o, why);
			fn(arg, &o);
			n++;
		}
	}
	cJSON_Delete(j);
	return n;
}

static void
cursor_of(const cJSON *j, int *more, char *cursor)
{
	if (more != NULL)
		*more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j,
			"has_next"));
	if (cursor != NULL)
		copy(cursor, 64, jstr(j, "cursor"));
}

int
cbt_parse_orders(const char *data, size_t len,
	void (*fn)(void *arg, const struct cbt_order *o), void *arg,
	int *more, char *cursor, char *why)
{
	cJSON *j = parse(data, len, why), *one, *all, *x;
	struct cbt_order o;
	int n = 0;

	if (more != NULL)
		*more = 0;
	if (cursor != NULL)
		cursor[0] = '\0';
	if (j == NULL)
		return -1;
	one = cJSON_GetObjectItemCaseSensitive(j, "order");
	all = cJSON_GetObjectItemCaseSensitive(j, "orders");
	if (one != NULL) {
		if (order_of(one, &o, why) < 0)
			n = -1;
		else {
			fn(arg, &o);
			n = 1;
		}
	} else if (cJSON_IsArray(all)) {
		cJSON_ArrayForEach(x, all)
			if (order_of(x, &o, why) < 0) {
				cJSON_Delete(j);
				return -1;
			}
		cJSON_ArrayForEach(x, all) {
			order_of(x, &o, why);
			fn(arg, &o);
			n++;
		}
		cursor_of(j, more, cursor);
	} else {
		copy(why, 96, "neither order nor orders");
		n = -1;
	}
	cJSON_Delete(j);
	return n;
}

static int
fill_of(const cJSON *j, struct cbt_fill *f, char *why)
{
	memset(f, 0, sizeof(*f));
	if (!cJSON_IsObject(j) || jstr(j, "trade_id")[0] == '\0' ||
	    jstr(j, "order_id")[0] == '\0') {
		copy(why, 96, "a fill without trade_id or order_id");
		return -1;
	}
	copy(f->trade_id, sizeof(f->trade_id), jstr(j, "trade_id"));
	copy(f->order_id, sizeof(f->order_id), jstr(j, "order_id"));
	copy(f->product, sizeof(f->product), jstr(j, "product_id"));
	copy(f->seq_ts, sizeof(f->seq_ts), jstr(j, "sequence_timestamp"));
	f->side = side_of(jstr(j, "side"));
	f->maker = strcmp(jstr(j, "liquidity_indicator"), "MAKER") == 0;
	if (dec(j, "price", &f->price) < 0 || dec(j, "size", &f->size) < 0 ||
	    dec(j, "commission", &f->commission) < 0 || !(f->price > 0) ||
	    !(f->size > 0)) {
		copy(why, 96, "a fill with a bad price, size or commission");
		return -1;
	}
	return 0;
}

int
cbt_parse_fills(const char *data, size_t len,
	void (*fn)(void *arg, const struct cbt_fill *f), void *arg,
	char *cursor, char *why)
{
	cJSON *j = parse(data, len, why), *all, *x;
	struct cbt_fill f;
	int n = 0;

	if (cursor != NULL)
		cursor[0] = '\0';
	if (j == NULL)
		return -1;
	all = cJSON_GetObjectItemCaseSensitive(j, "fills");
	if (!cJSON_IsArray(all)) {
		copy(why, 96, "no fills array");
		cJSON_Delete(j);
		return -1;
	}
	cJSON_ArrayForEach(x, all)
		if (fill_of(x, &f, why) < 0) {
			cJSON_Delete(j);
			return -1;
		}
	cJSON_ArrayForEach(x, all) {
		fill_of(x, &f, why);
		fn(arg, &f);
		n++;
	}
	cursor_of(j, NULL, cursor);
	cJSON_Delete(j);
	return n;
}

static int
balance_of(const cJSON *j, struct cbt_balance *b, char *why)
{
	const cJSON *av = cJSON_GetObjectItemCaseSensitive(j, "available_balance");
	const cJSON *hd = cJSON_GetObjectItemCaseSensitive(j, "hold");

	memset(b, 0, sizeof(*b));
	copy(b->currency, sizeof(b->currency), jstr(j, "currency"));
	if (b->currency[0] == '\0' || !cJSON_IsObject(av) ||
	    dec(av, "value", &b->available) < 0 ||
	    (hd != NULL && dec(hd, "value", &b->hold) < 0)) {
		copy(why, 96, "an account without currency or balance");
		return -1;
	}
	return 0;
}

int
cbt_parse_accounts(const char *data, size_t len,
	void (*fn)(void *arg, const struct cbt_balance *b), void *arg,
	int *more, char *cursor, char *why)
{
	cJSON *j = parse(data, len, why), *all, *x;
	struct cbt_balance b;
	int n = 0;

	if (more != NULL)
		*more = 0;
	if (j == NULL)
		return -1;
	all = cJSON_GetObjectItemCaseSensitive(j, "accounts");
	if (!cJSON_IsArray(all)) {
		copy(why, 96, "no accounts array");
		cJSON_Delete(j);
		return -1;
	}
	cJSON_ArrayForEach(x, all)
		if (balance_of(x, &b, why) < 0) {
			cJSON_Delete(j);
			return -1;
		}
	cJSON_ArrayForEach(x, all) {
		balance_of(x, &b, why);
		fn(arg, &b);
		n++;
	}
	cursor_of(j, more, cursor);
	cJSON_Delete(j);
	return n;
}

int
cbt_parse_place(const char *data, size_t len, struct cbt_place *out)
{
	char why[96];
	cJSON *j = parse(data, len, why), *ok, *er;

	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return -1;
	ok = cJSON_GetObjectItemCaseSensitive(j, "success_response");
	er = cJSON_GetObjectItemCaseSensitive(j, "error_response");
	out->success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j,
		"success"));
	if (out->success && cJSON_IsObject(ok))
		copy(out->order_id, sizeof(out->order_id),
			jstr(ok, "order_id"));
	if (cJSON_IsObject(er)) {
		copy(out->error, sizeof(out->error), jstr(er, "error"));
		copy(out->message, sizeof(out->message), jstr(er, "message"));
		if (out->message[0] == '\0')
			copy(out->message, sizeof(out->message),
				jstr(er, "error_details"));
	} else if (!out->success) {
		/* A plain error answer {"error","message"}. */
		copy(out->error, sizeof(out->error), jstr(j, "error"));
		copy(out->message, sizeof(out->message), jstr(j, "message"));
	}
	if (!out->success && out->error[0] == '\0')
		copy(out->error, sizeof(out->error), jstr(j, "failure_reason"));
	cJSON_Delete(j);
	return out->success && out->order_id[0] == '\0' ? -1 : 0;
}

int
cbt_parse_cancel(const char *data, size_t len, char *reason)
{
	char why[96];
	cJSON *j = parse(data, len, why), *rs, *r;
	int ok;

	reason[0] = '\0';
	if (j == NULL)
		return -1;
	rs = cJSON_GetObjectItemCaseSensitive(j, "results");
	r = cJSON_IsArray(rs) ? cJSON_GetArrayItem(rs, 0) : NULL;
	if (!cJSON_IsObject(r)) {
		cJSON_Delete(j);
		return -1;
	}
	ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "success"));
	copy(reason, 64, jstr(r, "failure_reason"));
	cJSON_Delete(j);
	return ok;
}

void
cbt_error_text(int http, const char *data, size_t len, char *code,
	char *out, size_t cap)
{
	char why[96];
	cJSON *j = parse(data, len, why);
	size_t n;

	code[0] = '\0';
	if (j != NULL) {
		copy(code, 64, jstr(j, "error"));
		snprintf(out, cap, "%s", jstr(j, "message"));
		if (out[0] == '\0')
			snprintf(out, cap, "%s", jstr(j, "error_details"));
		cJSON_Delete(j);
	} else {
		/* Plain text (401 "Unauthorized"): its first line. */
		n = 0;
		while (data != NULL && n < len && n + 1 < cap &&
		    data[n] != '\n' && data[n] != '\r' &&
		    (unsigned char)data[n] >= 0x20)
			n++;
		memcpy(out, data ? data : "", n);
		out[n] = '\0';
	}
	if (code[0] == '\0')
		snprintf(code, 64, "%d", http);
}

int
cbt_error_status(int http, const char *code)
{
	if (http == 429 || http == 418 || strstr(code, "RATE_LIMIT") ||
	    strstr(code, "TOO_MANY"))
		return QD_ERR_LIMIT;
	if (strstr(code, "INSUFFICIENT_FUND") || http == 401 || http == 403 ||
	    strstr(code, "PERMISSION") || strstr(code, "UNAUTHENTICATED"))
		return QD_ERR_DENIED;
	if (http == 404 || strstr(code, "NOT_FOUND") ||
	    strstr(code, "UNKNOWN_CANCEL_ORDER"))
		return QD_ERR_NOTFOUND;
	if (strstr(code, "INVALID") || strstr(code, "UNSUPPORTED") ||
	    strstr(code, "TOO_SMALL") || strstr(code, "TOO_LARGE") ||
	    http == 400)
		return QD_ERR_INVALID;
	return QD_ERR_IO;
}

int64_t
cbt_parse_time(const char *data, size_t len)
{
	char why[96];
	cJSON *j = parse(data, len, why);
	double ms;
	int64_t r = -1;

	if (j == NULL)
		return -1;
	if (dec(j, "epochMillis", &ms) == 0 && ms > 0)
		r = (int64_t)ms;
	cJSON_Delete(j);
	return r;
}

size_t
cbt_b64url(const void *in, size_t n, char *out, size_t cap)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		"qrstuvwxyz0123456789-_";
	const unsigned char *p = in;
	size_t i, o = 0;

	if (cap < (n + 2) / 3 * 4 + 1)
		return 0;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 |
			p[i + 2];

		out[o++] = a[v >> 18];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		out[o++] = a[p[i] >> 2];
		out[o++] = a[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 8 | p[i + 1];

		out[o++] = a[v >> 10];
		out[o++] = a[v >> 4 & 63];
		out[o++] = a[(v & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

/* Text that goes into a JSON string as it is. */
static int
json_plain(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

size_t
cbt_jwt_input(const char *alg, const char *key_name, const char *nonce,
	int64_t now_s, const char *uri, char *out, size_t cap)
{
	char h[512], p[1024];
	int hn, pn;
	size_t a, b;

	if (!json_plain(key_name) || !json_plain(nonce) ||
	    (uri != NULL && !json_plain(uri)))
		return 0;
	hn = snprintf(h, sizeof(h), "{\"alg\":\"%s\",\"kid\":\"%s\","
		"\"nonce\":\"%s\",\"typ\":\"JWT\"}", alg, key_name, nonce);
	if (uri != NULL)
		pn = snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"iss\":\"cdp\","
			"\"nbf\":%lld,\"exp\":%lld,\"uri\":\"%s\"}", key_name,
			(long long)now_s, (long long)now_s + 120, uri);
	else
		pn = snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"iss\":\"cdp\","
			"\"nbf\":%lld,\"exp\":%lld}", key_name,
			(long long)now_s, (long long)now_s + 120);
	if (hn < 0 || (size_t)hn >= sizeof(h) || pn < 0 ||
	    (size_t)pn >= sizeof(p))
		return 0;
	if ((a = cbt_b64url(h, (size_t)hn, out, cap)) == 0 || a + 2 > cap)
		return 0;
	out[a] = '.';
	if ((b = cbt_b64url(p, (size_t)pn, out + a + 1, cap - a - 1)) == 0)
		return 0;
	return a + 1 + b;
}

void
cbt_decimal(double x, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "%.8f", x);

	if (n >= cap)
		return;
	while (n > 1 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 1 && out[n - 1] == '.')
		out[--n] = '\0';
}
