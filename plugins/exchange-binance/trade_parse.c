/*
 * trade_parse.c -- Binance spot private requests and messages (see
 * trade_parse.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "trade_parse.h"

void
bn_decimal(double v, char *buf, size_t cap)
{
	size_t n;

	snprintf(buf, cap, "%.8f", v);
	if (strchr(buf, '.') == NULL)
		return;
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
}

/* Append "&k=v" (no '&' first) at *len; -1 if it does not fit. */
static int
add(char *buf, size_t cap, size_t *len, const char *k, const char *v)
{
	int n = snprintf(buf + *len, cap - *len, "%s%s=%s", *len ? "&" : "",
		k, v);

	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

int
bn_order_params(char *buf, size_t cap, const char *symbol, const char *side,
	const char *type, const char *tif, double qty, double price,
	double stop, const char *cid, const char *resp_type)
{
	char num[64];
	size_t len = 0;

	if (cap == 0)
		return -1;
	buf[0] = '\0';
	if (add(buf, cap, &len, "symbol", symbol) ||
	    add(buf, cap, &len, "side", side) ||
	    add(buf, cap, &len, "type", type))
		return -1;
	if (tif != NULL && add(buf, cap, &len, "timeInForce", tif))
		return -1;
	bn_decimal(qty, num, sizeof(num));
	if (add(buf, cap, &len, "quantity", num))
		return -1;
	if (price > 0) {
		bn_decimal(price, num, sizeof(num));
		if (add(buf, cap, &len, "price", num))
			return -1;
	}
	if (stop > 0) {
		bn_decimal(stop, num, sizeof(num));
		if (add(buf, cap, &len, "stopPrice", num))
			return -1;
	}
	if (cid != NULL && add(buf, cap, &len, "newClientOrderId", cid))
		return -1;
	if (resp_type != NULL && add(buf, cap, &len, "newOrderRespType",
	    resp_type))
		return -1;
	return (int)len;
}

int
bn_signed_tail(char *buf, size_t cap, long recv_window_ms, int64_t ts_ms)
{
	size_t len = strlen(buf);
	char num[32];

	snprintf(num, sizeof(num), "%ld", recv_window_ms);
	if (add(buf, cap, &len, "recvWindow", num))
		return -1;
	snprintf(num, sizeof(num), "%lld", (long long)ts_ms);
	if (add(buf, cap, &len, "timestamp", num))
		return -1;
	return (int)len;
}

int
bn_sign_payload(char *buf, size_t cap, const char *query, const char *body)
{
	int n = snprintf(buf, cap, "%s%s", query ? query : "",
		body ? body : "");

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
bn_ws_subscribe_payload(char *buf, size_t cap, const char *api_key,
	long recv_window_ms, int64_t ts_ms)
{
	int n = snprintf(buf, cap, "apiKey=%s&recvWindow=%ld&timestamp=%lld",
		api_key, recv_window_ms, (long long)ts_ms);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
bn_pct_encode(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in; in++) {
		if (o + 4 > cap)
			return -1;
		if (*in == '+' || *in == '/' || *in == '=')
			o += (size_t)snprintf(out + o, cap - o, "%%%02X",
				(unsigned char)*in);
		else
			out[o++] = *in;
	}
	if (o >= cap)
		return -1;
	out[o] = '\0';
	return (int)o;
}

static const cJSON *
get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A string member into buf; "" when absent.  -1 if present but not a
 * string, or too long. */
static int
text(const cJSON *o, const char *k, char *buf, size_t cap)
{
	const cJSON *v = get(o, k);

	buf[0] = '\0';
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
		return -1;
	memcpy(buf, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* A decimal string member (the venue writes amounts as strings); 0 when
 * absent.  -1 if it is not decimal text of an amount (not negative, not
 * beyond any real one). */
static int
amount(const cJSON *o, const char *k, double *out)
{
	const cJSON *v = get(o, k);
	char *end;

	*out = 0;
	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return -1;
	*out = strtod(v->valuestring, &end);
	return *end == '\0' && *out >= 0 && *out <= 1e18 ? 0 : -1;
}

/* An integer member (ids, times); `dflt` when absent.  -1 if not one. */
static int
integer(const cJSON *o, const char *k, int64_t dflt, int64_t *out)
{
	const cJSON *v = get(o, k);

	*out = dflt;
	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < -1 ||
	    v->valuedouble > 9.0e15)
		return -1;
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int
side_of(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	if (!cJSON_IsString(v))
		return 0;
	return strcmp(v->valuestring, "BUY") == 0 ? 1 :
		strcmp(v->valuestring, "SELL") == 0 ? 2 : 0;
}

int
bn_exec_from_order(const cJSON *o, struct bn_exec *x)
{
	int64_t id, ts, upd;

	memset(x, 0, sizeof(*x));
	x->trade_id = -1;
	if (!cJSON_IsObject(o) || text(o, "symbol", x->symbol,
	    sizeof(x->symbol)) || text(o, "clientOrderId", x->cid,
	    sizeof(x->cid)) || text(o, "status", x->status,
	    sizeof(x->status)) || text(o, "type", x->type, sizeof(x->type)) ||
	    integer(o, "orderId", -1, &id) || id < 0 || x->symbol[0] == '\0' ||
	    x->status[0] == '\0' || amount(o, "origQty", &x->qty) ||
	    amount(o, "price", &x->price) ||
	    amount(o, "executedQty", &x->cum_qty) ||
	    amount(o, "cummulativeQuoteQty", &x->cum_quote) ||
	    integer(o, "transactTime", 0, &ts) ||
	    integer(o, "updateTime", ts, &upd))
		return -1;
	/* A cancel's answer names the cancel's own id in clientOrderId and
	 * the order's in origClientOrderId. */
	if (get(o, "origClientOrderId") != NULL && text(o, "origClientOrderId",
	    x->cid, sizeof(x->cid)))
		return -1;
	x->order_id = (uint64_t)id;
	x->side = side_of(o, "side");
	x->ts_ms = upd;
	return 0;
}

int
bn_exec_from_trade(const cJSON *t, struct bn_exec *x)
{
	int64_t id, oid, ts;
	const cJSON *m;

	memset(x, 0, sizeof(*x));
	if (!cJSON_IsObject(t) || text(t, "symbol", x->symbol,
	    sizeof(x->symbol)) || text(t, "commissionAsset", x->fee_asset,
	    sizeof(x->fee_asset)) || integer(t, "orderId", 0, &oid) ||
	    oid < 0 || amount(t, "price", &x->last_price) ||
	    amount(t, "qty", &x->last_qty) || x->last_qty <= 0 ||
	    amount(t, "commission", &x->fee) ||
	    integer(t, "time", 0, &ts))
		return -1;
	if (integer(t, "id", -1, &id) || (id < 0 &&
	    (integer(t, "tradeId", -1, &id) || id < 0)))
		return -1;
	x->trade_id = id;
	x->order_id = (uint64_t)oid;
	x->ts_ms = ts;
	if ((m = get(t, "isMaker")) != NULL)
		x->maker = cJSON_IsTrue(m);
	if ((m = get(t, "isBuyer")) != NULL)
		x->side = cJSON_IsTrue(m) ? 1 : 2;
	return 0;
}

int
bn_parse_error(const char *body, size_t len, int *code, char *msg)
{
	cJSON *j = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *c = get(j, "code"), *m = get(j, "msg");
	int rc = -1;

	*code = 0;
	msg[0] = '\0';
	if (cJSON_IsNumber(c) && cJSON_IsString(m)) {
		*code = c->valueint;
		snprintf(msg, 96, "%s", m->valuestring);
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

/* Whether msg holds `word` (lower case), in any case. */
static int
says(const char *msg, const char *word)
{
	size_t n = strlen(word), i, k;

	for (i = 0; msg != NULL && msg[i] != '\0'; i++) {
		for (k = 0; k < n && msg[i + k] != '\0' &&
		    (msg[i + k] | 0x20) == word[k]; k++)
			;
		if (k == n)
			return 1;
	}
	return 0;
}

int
bn_error_status(int code, const char *msg)
{
	switch (code) {
	case -1003:   /* too many requests */
	case -1015:   /* too many new orders */
		return QD_ERR_LIMIT;
	case -2011:   /* cancel: unknown order */
	case -2013:   /* no such order */
		return QD_ERR_NOTFOUND;
	case -1021:   /* timestamp outside the receive window */
		return QD_ERR_TIMEOUT;
	case -1002:   /* unauthorized */
	case -1022:   /* bad signature */
	case -2014:   /* bad API key format */
	case -2015:   /* bad API key, IP or permissions */
		return QD_ERR_DENIED;
	case -2010:   /* the matching engine refused the order */
		if (says(msg, "insufficient balance"))
			return QD_ERR_DENIED;
		return QD_ERR_INVALID;
	default:
		/* -1013 filter failures (lot, tick, notional), -1100..-1199
		 * bad parameters and symbols */
		return QD_ERR_INVALID;
	}
}

int
bn_error_duplicate(int code, const char *msg)
{
	return code == -2010 && says(msg, "duplicate");
}

int
bn_parse_balances(const cJSON *arr, struct bn_user *u)
{
	const cJSON *b;

	if (!cJSON_IsArray(arr))
		return -1;
	u->n_bal = 0;
	cJSON_ArrayForEach(b, arr) {
		struct bn_bal *x;

		if (u->n_bal == BN_MAX_BAL)
			break;
		x = &u->bal[u->n_bal];
		if (text(b, get(b, "asset") ? "asset" : "a", x->asset,
		    sizeof(x->asset)) || x->asset[0] == '\0' ||
		    amount(b, get(b, "free") ? "free" : "f", &x->free) ||
		    amount(b, get(b, "locked") ? "locked" : "l", &x->locked))
			return -1;
		u->n_bal++;
	}
	return 0;
}

/* executionReport: the stream's names for the order's fields. */
static int
exec_report(const cJSON *e, struct bn_exec *x)
{
	int64_t id, tid, ts;
	const cJSON *m;
	char orig[40];

	memset(x, 0, sizeof(*x));
	if (text(e, "s", x->symbol, sizeof(x->symbol)) ||
	    text(e, "c", x->cid, sizeof(x->cid)) ||
	    text(e, "C", orig, sizeof(orig)) ||
	    text(e, "o", x->type, sizeof(x->type)) ||
	    text(e, "x", x->exec_type, sizeof(x->exec_type)) ||
	    text(e, "X", x->status, sizeof(x->status)) ||
	    text(e, "r", x->reject, sizeof(x->reject)) ||
	    text(e, "N", x->fee_asset, sizeof(x->fee_asset)) ||
	    integer(e, "i", -1, &id) || id < 0 || x->symbol[0] == '\0' ||
	    x->status[0] == '\0' || amount(e, "q", &x->qty) ||
	    amount(e, "p", &x->price) || amount(e, "z", &x->cum_qty) ||
	    amount(e, "Z", &x->cum_quote) || amount(e, "l", &x->last_qty) ||
	    amount(e, "L", &x->last_price) || amount(e, "n", &x->fee) ||
	    integer(e, "t", -1, &tid) || integer(e, "T", 0, &ts))
		return -1;
	/* A cancel's report carries the cancel's id in c, the order's in C. */
	if (orig[0] != '\0')
		memcpy(x->cid, orig, sizeof(x->cid));
	x->order_id = (uint64_t)id;
	x->trade_id = x->last_qty > 0 ? tid : -1;
	x->side = side_of(e, "S");
	x->ts_ms = ts;
	if ((m = get(e, "m")) != NULL)
		x->maker = cJSON_IsTrue(m);
	return 0;
}

int
bn_parse_user(const char *data, size_t len, struct bn_user *u)
{
	cJSON *j = cJSON_ParseWithLength(data, len);
	const cJSON *e = j, *t;
	int64_t ts;
	int rc = 0;

	memset(u, 0, sizeof(*u));
	u->kind = BN_U_OTHER;
	if (!cJSON_IsObject(j)) {
		snprintf(u->error, sizeof(u->error), "not a JSON object");
		cJSON_Delete(j);
		return -1;
	}
	if (cJSON_IsNumber(get(j, "status")) && get(j, "id") != NULL) {
		const cJSON *err = get(j, "error");

		u->kind = BN_U_ANSWER;
		u->status = get(j, "status")->valueint;
		if (cJSON_IsObject(err) && (!cJSON_IsString(get(err, "msg")) ||
		    !cJSON_IsNumber(get(err, "code")))) {
			snprintf(u->error, sizeof(u->error),
				"malformed error answer");
			rc = -1;
		} else if (cJSON_IsObject(err)) {
			/* The venue's text, cut to fit a log line. */
			u->code = get(err, "code")->valueint;
			snprintf(u->msg, sizeof(u->msg), "%s",
				get(err, "msg")->valuestring);
		}
		cJSON_Delete(j);
		return rc;
	}
	if (cJSON_IsObject(get(j, "event")))
		e = get(j, "event");    /* the WebSocket API's wrapper */
	t = get(e, "e");
	if (t != NULL && !cJSON_IsString(t)) {
		snprintf(u->error, sizeof(u->error), "event type not a string");
		rc = -1;
	} else if (t != NULL && strcmp(t->valuestring, "executionReport") ==
	    0) {
		u->kind = BN_U_EXEC;
		if (exec_report(e, &u->x) != 0) {
			snprintf(u->error, sizeof(u->error),
				"malformed executionReport");
			rc = -1;
		}
		u->ts_ms = u->x.ts_ms;
	} else if (t != NULL && strcmp(t->valuestring,
	    "outboundAccountPosition") == 0) {
		u->kind = BN_U_BALANCE;
		if (bn_parse_balances(get(e, "B"), u) != 0 ||
		    integer(e, "E", 0, &ts)) {
			snprintf(u->error, sizeof(u->error),
				"malformed outboundAccountPosition");
			rc = -1;
		} else {
			u->ts_ms = ts;
		}
	}
	cJSON_Delete(j);
	return rc;
}

double
bn_fee_quote(double fee, const char *asset, const char *base,
	const char *quote, double price, int *other)
{
	*other = 0;
	if (fee == 0 || asset == NULL || asset[0] == '\0')
		return 0;
	if (quote != NULL && strcmp(asset, quote) == 0)
		return fee;
	if (base != NULL && strcmp(asset, base) == 0)
		return fee * price;
	*other = 1;
	return 0;
}
