/*
 * trade_parse.c -- Bybit v5 spot private messages (see trade_parse.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "trade_parse.h"

int
bp_prehash(char *out, size_t cap, const char *ts, const char *api_key,
	const char *recv_window, const char *payload)
{
	int n = snprintf(out, cap, "%s%s%s%s", ts, api_key, recv_window,
		payload);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
bp_decimal(double x, char *out, size_t cap)
{
	int n;

	if (!isfinite(x) || fabs(x) >= 1e15)
		return -1;
	n = snprintf(out, cap, "%.8f", x);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	while (n > 1 && out[n - 1] == '0')
		out[--n] = '\0';
	if (out[n - 1] == '.')
		out[--n] = '\0';
	if (strcmp(out, "-0") == 0)
		snprintf(out, cap, "0");
	return (int)strlen(out);
}

/* Bybit's codes (docs/v5/error.mdx): 10001 params, 10002 timestamp out of
 * the receive window, 10003 bad key, 10004 bad signature, 10005
 * permission, 10006 and 10018 rate limits, 170xxx spot order checks. */
int
bp_error_status(long code, int http)
{
	switch (code) {
	case 0:
		if (http == 429 || http == 418 || http == 403)
			return QD_ERR_LIMIT;
		if (http == 401)
			return QD_ERR_DENIED;
		return QD_ERR_IO;
	case 10003: case 10004: case 10005: case 10010:  /* 10010: IP */
	case 170131:    /* Insufficient balance */
	case 170033:    /* margin insufficient */
		return QD_ERR_DENIED;
	case 10006: case 10018: case 170005:
		return QD_ERR_LIMIT;
	case 170213: case 110001:
		return QD_ERR_NOTFOUND;
	case 10001: case 10002: case 170121: case 170130: case 170134:
	case 170135: case 170136: case 170137: case 170140: case 170124:
	case 170132: case 170133: case 170148:
		return QD_ERR_INVALID;
	default:
		return code >= 170000 && code < 171000 ? QD_ERR_INVALID :
		    QD_ERR_IO;
	}
}

int
bp_is_duplicate(long code)
{
	return code == 170141;     /* Duplicate clientOrderId */
}

int
bp_is_rate_limit(long code, int http)
{
	return code == 10006 || code == 10018 || http == 429 || http == 418 ||
	    http == 403;
}

int
bp_fee_quote(const char *native, const char *fee_ccy, double fee,
	double price, double *out)
{
	size_t n = strlen(native), c = strlen(fee_ccy);

	*out = 0;
	if (c == 0 || fee == 0)
		return 0;
	if (c < n && strcmp(native + n - c, fee_ccy) == 0) {
		*out = fee;
		return 0;
	}
	if (c < n && strncmp(native, fee_ccy, c) == 0) {
		*out = fee * price;
		return 1;
	}
	return -1;
}

/* ---- items ------------------------------------------------------------- */

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* A decimal string (or number) field; absent or "" is 0 (Bybit writes ""
 * for an average price with nothing filled). */
static int
dec(const cJSON *o, const char *k, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	char *end;

	*out = 0;
	if (v == NULL || (cJSON_IsString(v) && v->valuestring[0] == '\0'))
		return 0;
	if (cJSON_IsNumber(v))
		*out = v->valuedouble;
	else if (cJSON_IsString(v)) {
		errno = 0;
		*out = strtod(v->valuestring, &end);
		if (*end != '\0' || errno != 0)
			return -1;
	} else
		return -1;
	return isfinite(*out) ? 0 : -1;
}

static int64_t
ms_of(const cJSON *o, const char *k)
{
	double d;

	if (dec(o, k, &d) != 0 || d < 0 || d > 9e15)
		return 0;
	return (int64_t)d;
}

/* One item of a list: 1 and fn called, 0 for an item of no interest, -1
 * if malformed. */
static int
item(const cJSON *it, void (*fn)(void *, const struct bp_event *),
	void *arg, char *why)
{
	struct bp_event ev;
	const cJSON *coins, *c, *mk;
	int n = 0;

	if (!cJSON_IsObject(it)) {
		snprintf(why, 96, "an item is not an object");
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	if ((coins = cJSON_GetObjectItemCaseSensitive(it, "coin")) != NULL) {
		if (!cJSON_IsArray(coins)) {
			snprintf(why, 96, "coin is not a list");
			return -1;
		}
		cJSON_ArrayForEach(c, coins) {
			double locked;

			memset(&ev, 0, sizeof(ev));
			ev.kind = BP_BALANCE;
			if (str(c, "coin") == NULL ||
			    dec(c, "walletBalance", &ev.total) != 0 ||
			    dec(c, "locked", &locked) != 0) {
				snprintf(why, 96, "a coin without coin, "
					"walletBalance or locked");
				return -1;
			}
			copy(ev.coin, sizeof(ev.coin), str(c, "coin"));
			ev.free = ev.total - locked;
			fn(arg, &ev);
			n++;
		}
		return n;
	}
	if (str(it, "symbol") == NULL) {
		snprintf(why, 96, "an item without symbol");
		return -1;
	}
	copy(ev.symbol, sizeof(ev.symbol), str(it, "symbol"));
	copy(ev.cid, sizeof(ev.cid), str(it, "orderLinkId"));
	copy(ev.order_id, sizeof(ev.order_id), str(it, "orderId"));
	copy(ev.side, sizeof(ev.side), str(it, "side"));
	if (str(it, "execId") != NULL) {
		ev.kind = BP_EXEC;
		copy(ev.exec_id, sizeof(ev.exec_id), str(it, "execId"));
		copy(ev.fee_ccy, sizeof(ev.fee_ccy), str(it, "feeCurrency"));
		if (dec(it, "execQty", &ev.exec_qty) != 0 ||
		    dec(it, "execPrice", &ev.exec_price) != 0 ||
		    dec(it, "execFee", &ev.exec_fee) != 0 ||
		    ev.exec_id[0] == '\0' || ev.exec_qty < 0) {
			snprintf(why, 96, "a fill without execId, execQty, "
				"execPrice or execFee");
			return -1;
		}
		mk = cJSON_GetObjectItemCaseSensitive(it, "isMaker");
		ev.maker = cJSON_IsTrue(mk);
		ev.ts_ms = ms_of(it, "execTime");
		fn(arg, &ev);
		return 1;
	}
	if (str(it, "orderStatus") != NULL) {
		ev.kind = BP_ORDER;
		copy(ev.status, sizeof(ev.status), str(it, "orderStatus"));
		copy(ev.tif, sizeof(ev.tif), str(it, "timeInForce"));
		copy(ev.reject, sizeof(ev.reject), str(it, "rejectReason"));
		if (dec(it, "qty", &ev.qty) != 0 ||
		    dec(it, "price", &ev.price) != 0 ||
		    dec(it, "cumExecQty", &ev.cum_qty) != 0 ||
		    dec(it, "avgPrice", &ev.avg_price) != 0) {
			snprintf(why, 96, "an order with a malformed qty, "
				"price, cumExecQty or avgPrice");
			return -1;
		}
		ev.ts_ms = ms_of(it, "updatedTime");
		fn(arg, &ev);
		return 1;
	}
	return 0;
}

static long
items(const cJSON *list, void (*fn)(void *, const struct bp_event *),
	void *arg, char *why)
{
	const cJSON *it;
	long n = 0;
	int k;

	if (!cJSON_IsArray(list)) {
		snprintf(why, 96, "the items are not a list");
		return -1;
	}
	cJSON_ArrayForEach(it, list) {
		if ((k = item(it, fn, arg, why)) < 0)
			return -1;
		n += k;
	}
	return n;
}

int
bp_parse_ws(const char *data, size_t len,
	void (*fn)(void *arg, const struct bp_event *ev), void *arg,
	char *why)
{
	cJSON *j = cJSON_ParseWithLength(data, len);
	const char *topic, *op;
	long n = -1;

	if (!cJSON_IsObject(j)) {
		snprintf(why, 96, "not a JSON object");
		goto out;
	}
	if ((op = str(j, "op")) != NULL) {
		struct bp_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.kind = BP_ACK;
		copy(ev.op, sizeof(ev.op), op);
		copy(ev.ret_msg, sizeof(ev.ret_msg), str(j, "ret_msg"));
		ev.success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j,
			"success"));
		fn(arg, &ev);
		n = 1;
		goto out;
	}
	if ((topic = str(j, "topic")) == NULL) {
		snprintf(why, 96, "neither op nor topic");
		goto out;
	}
	if (strcmp(topic, "order") != 0 && strcmp(topic, "execution") != 0 &&
	    strcmp(topic, "wallet") != 0) {
		n = 0;   /* a topic we did not ask for */
		goto out;
	}
	n = items(cJSON_GetObjectItemCaseSensitive(j, "data"), fn, arg, why);
out:
	cJSON_Delete(j);
	return n < 0 ? -1 : (int)n;
}

long
bp_parse_rest(const char *data, size_t len, struct bp_rest *r,
	void (*fn)(void *arg, const struct bp_event *ev), void *arg,
	char *why)
{
	cJSON *j = cJSON_ParseWithLength(data, len);
	const cJSON *code, *res, *list;
	double t;
	long n = -1;

	memset(r, 0, sizeof(*r));
	code = cJSON_GetObjectItemCaseSensitive(j, "retCode");
	if (!cJSON_IsObject(j) || !cJSON_IsNumber(code)) {
		snprintf(why, 96, "not a JSON object with retCode");
		goto out;
	}
	r->code = (long)code->valuedouble;
	copy(r->msg, sizeof(r->msg), str(j, "retMsg"));
	if (dec(j, "time", &t) == 0 && t > 0 && t < 9e15)
		r->time_ms = (int64_t)t;
	res = cJSON_GetObjectItemCaseSensitive(j, "result");
	copy(r->cursor, sizeof(r->cursor), str(res, "nextPageCursor"));
	list = cJSON_GetObjectItemCaseSensitive(res, "list");
	n = r->code != 0 || list == NULL ? 0 : items(list, fn, arg, why);
out:
	cJSON_Delete(j);
	return n;
}
