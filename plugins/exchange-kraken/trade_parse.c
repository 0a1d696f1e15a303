/*
 * trade_parse.c -- Kraken private requests and answers (see
 * trade_parse.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "parse.h"
#include "trade_parse.h"

static long
fail(char *err, const char *text)
{
	snprintf(err, 96, "%s", text);
	return -1;
}

/* A number: a JSON number or a decimal string (no hex, inf, nan). */
static int
dec(const cJSON *v, double *out)
{
	char *end;

	if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
		*out = v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v))
		return -1;
	if (!(isdigit((unsigned char)v->valuestring[0]) ||
	    (v->valuestring[0] == '-' &&
	    isdigit((unsigned char)v->valuestring[1]))) ||
	    strpbrk(v->valuestring, "xXnN") != NULL)
		return -1;
	errno = 0;
	*out = strtod(v->valuestring, &end);
	return *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
}

/* An optional number: absent or null is 0, anything else must parse. */
static int
opt_dec(const cJSON *o, const char *k, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	*out = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	return dec(v, out);
}

static void
text(const cJSON *o, const char *k, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	snprintf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

void
kr_asset(const char *code, char *out, size_t cap)
{
	/* Kraken's legacy four-letter codes: X for crypto, Z for fiat. */
	static const char *const legacy[] = { "XXBT", "XXDG", "XETH", "XLTC",
		"XXRP", "XXLM", "XXMR", "XZEC", "XETC", "XMLN", "XREP",
		"ZUSD", "ZEUR", "ZGBP", "ZJPY", "ZCAD", "ZAUD", "ZCHF", NULL };
	const char *c = code;
	size_t i;

	out[0] = '\0';
	if (strchr(code, '.') != NULL)
		return;
	for (i = 0; legacy[i] != NULL; i++)
		if (strcmp(code, legacy[i]) == 0)
			c = code + 1;
	if (strcmp(c, "XBT") == 0)
		c = "BTC";
	else if (strcmp(c, "XDG") == 0)
		c = "DOGE";
	snprintf(out, cap, "%s", c);
}

int
kr_error_status(const char *err)
{
	static const struct { const char *text; int status; } map[] = {
		{ "Duplicate", QD_ERR_STATE },
		{ "Rate limit", QD_ERR_LIMIT },
		{ "Throttled", QD_ERR_LIMIT },
		{ "Too many requests", QD_ERR_LIMIT },
		{ "Orders limit", QD_ERR_LIMIT },
		{ "Insufficient funds", QD_ERR_DENIED },
		{ "Insufficient margin", QD_ERR_DENIED },
		{ "Permission denied", QD_ERR_DENIED },
		{ "Invalid key", QD_ERR_DENIED },
		{ "Invalid signature", QD_ERR_DENIED },
		{ "Invalid nonce", QD_ERR_DENIED },
		{ "Unknown order", QD_ERR_NOTFOUND },
		{ "Unavailable", QD_ERR_IO },
		{ "Busy", QD_ERR_IO },
		{ "Internal error", QD_ERR_IO },
		{ "Cancel only", QD_ERR_IO },
		{ "Post only", QD_ERR_INVALID },
		{ "Order minimum", QD_ERR_INVALID },
		{ "Cost minimum", QD_ERR_INVALID },
		{ "Tick size", QD_ERR_INVALID },
		{ "Invalid price", QD_ERR_INVALID },
		{ "Unknown asset pair", QD_ERR_INVALID },
		{ "Invalid arguments", QD_ERR_INVALID },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(err, map[i].text) != NULL)
			return map[i].status;
	return QD_ERR_INVALID;
}

/* ---- requests ------------------------------------------------------ */

int
kr_add_body(char *buf, size_t cap, uint64_t nonce, const struct kr_add *o)
{
	char n[24];
	const char *const name[] = { "cl_ord_id", "deadline", "nonce",
		"oflags", "ordertype", "pair", "price", "price2",
		"timeinforce", "type", "volume" };
	const char *const value[] = { o->cl_ord_id, o->deadline, n,
		o->oflags, o->ordertype, o->pair, o->price, o->price2,
		o->timeinforce, o->type, o->volume };
	size_t len = 0, i;
	const char *p;

	snprintf(n, sizeof(n), "%llu", (unsigned long long)nonce);
	for (i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
		if (value[i] == NULL || value[i][0] == '\0')
			continue;
		if (len + strlen(name[i]) + 2 >= cap)
			return -1;
		len += (size_t)snprintf(buf + len, cap - len, "%s%s=",
			len ? "&" : "", name[i]);
		/* Form encoding: the values are ids, decimals, names and
		 * RFC 3339 times; ':' and ',' are escaped, the rest is
		 * unreserved. */
		for (p = value[i]; *p; p++) {
			if (len + 4 >= cap)
				return -1;
			if (isalnum((unsigned char)*p) || strchr("-._~", *p))
				buf[len++] = *p;
			else
				len += (size_t)snprintf(buf + len, cap - len,
					"%%%02X", (unsigned char)*p);
		}
		buf[len] = '\0';
	}
	return (int)len;
}

void
kr_decimal(double x, char *out, size_t cap)
{
	size_t n;

	snprintf(out, cap, "%.8f", x);
	n = strlen(out);
	if (strchr(out, '.') == NULL)
		return;
	while (n > 1 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 1 && out[n - 1] == '.')
		out[--n] = '\0';
}

void
kr_rfc3339(int64_t ms, char *out, size_t cap)
{
	/* civil from days (H. Hinnant's algorithm) */
	long long sec = ms / 1000, days = sec / 86400, rem = sec % 86400;
	long long z = days + 719468, era = z / 146097, doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9;
	long long y = yoe + era * 400 + (m <= 2);

	snprintf(out, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
		y % 10000, m, d, rem / 3600, rem / 60 % 60, rem % 60,
		(long long)(ms % 1000));
}

/* ---- REST answers -------------------------------------------------- */

static enum kr_ord_status
rest_status(const char *s)
{
	if (strcmp(s, "pending") == 0 || strcmp(s, "open") == 0)
		return KS_OPEN;
	if (strcmp(s, "closed") == 0)
		return KS_FILLED;
	if (strcmp(s, "canceled") == 0)
		return KS_CANCELED;
	if (strcmp(s, "expired") == 0)
		return KS_EXPIRED;
	return KS_NONE;
}

static int
side_of(const char *s)
{
	return strcmp(s, "buy") == 0 ? 1 : strcmp(s, "sell") == 0 ? 2 : 0;
}

/* Seconds as a JSON number or decimal text to ms. */
static int
seconds(const cJSON *v, int64_t *out)
{
	double d;

	*out = 0;
	if (v == NULL)
		return 0;
	if (cJSON_IsString(v))
		return kr_seconds_ms(v->valuestring, out);
	if (dec(v, &d) != 0 || d < 0 || d > 1e11)
		return -1;
	*out = (int64_t)(d * 1000.0);
	return 0;
}

/* One order of OpenOrders/ClosedOrders/QueryOrders under its txid. */
static int
rest_order(const char *txid, const cJSON *o, struct kr_priv *p)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "descr");
	char st[24], tmp[32];
	double cost;

	if (!cJSON_IsObject(o) || !cJSON_IsObject(d))
		return -1;
	memset(p, 0, sizeof(*p));
	p->kind = KP_ORDER;
	snprintf(p->txid, sizeof(p->txid), "%s", txid);
	text(o, "cl_ord_id", p->cl_ord_id, sizeof(p->cl_ord_id));
	text(o, "status", st, sizeof(st));
	if ((p->status = rest_status(st)) == KS_NONE)
		return -1;
	text(o, "reason", p->reason, sizeof(p->reason));
	text(d, "pair", p->pair, sizeof(p->pair));
	text(d, "type", tmp, sizeof(tmp));
	p->side = side_of(tmp);
	if (opt_dec(o, "vol", &p->qty) != 0 ||
	    opt_dec(o, "vol_exec", &p->cum_qty) != 0 ||
	    opt_dec(o, "cost", &cost) != 0 ||
	    opt_dec(d, "price", &p->price) != 0 ||
	    seconds(cJSON_GetObjectItemCaseSensitive(o, "opentm"),
	    &p->ts_ms) != 0)
		return -1;
	if (p->cum_qty > 0)
		p->avg_price = cost / p->cum_qty;
	return 0;
}

static int
rest_trade(const char *tid, const cJSON *t, struct kr_priv *p)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(t, "maker");
	char tmp[16];

	if (!cJSON_IsObject(t))
		return -1;
	memset(p, 0, sizeof(*p));
	p->kind = KP_FILL;
	snprintf(p->trade_id, sizeof(p->trade_id), "%s", tid);
	text(t, "ordertxid", p->txid, sizeof(p->txid));
	text(t, "pair", p->pair, sizeof(p->pair));
	text(t, "type", tmp, sizeof(tmp));
	p->side = side_of(tmp);
	p->maker = cJSON_IsTrue(m);
	if (p->txid[0] == '\0' ||
	    dec(cJSON_GetObjectItemCaseSensitive(t, "price"),
	    &p->last_price) != 0 ||
	    dec(cJSON_GetObjectItemCaseSensitive(t, "vol"),
	    &p->last_qty) != 0 || opt_dec(t, "fee", &p->fee) != 0 ||
	    seconds(cJSON_GetObjectItemCaseSensitive(t, "time"),
	    &p->ts_ms) != 0 || p->last_qty <= 0)
		return -1;
	return 0;
}

/* Each member of `obj` (keyed by id) through `item`, then fn: checked
 * whole first, nothing handed out from a malformed answer. */
static long
each(const cJSON *obj, int (*item)(const char *, const cJSON *,
	struct kr_priv *), kr_priv_fn fn, void *arg, char *err)
{
	struct kr_priv p;
	const cJSON *x;
	long n = 0;

	if (!cJSON_IsObject(obj))
		return fail(err, "result: no object of ids");
	cJSON_ArrayForEach(x, obj)
		if (item(x->string, x, &p) != 0)
			return fail(err, "malformed order or trade");
	cJSON_ArrayForEach(x, obj) {
		item(x->string, x, &p);
		fn(arg, &p);
		n++;
	}
	return n;
}

static long
balances(const cJSON *r, kr_priv_fn fn, void *arg, char *err)
{
	struct kr_priv p;
	const cJSON *x;
	long n = 0, total = 0, i = 0;
	double hold;

	if (!cJSON_IsObject(r))
		return fail(err, "result: no object of assets");
	cJSON_ArrayForEach(x, r) {
		char a[16];

		kr_asset(x->string, a, sizeof(a));
		if (a[0] == '\0')
			continue;
		if (!cJSON_IsObject(x) || dec(cJSON_GetObjectItemCaseSensitive(
		    x, "balance"), &hold) != 0 ||
		    opt_dec(x, "hold_trade", &hold) != 0)
			return fail(err, "malformed balance");
		total++;
	}
	cJSON_ArrayForEach(x, r) {
		memset(&p, 0, sizeof(p));
		kr_asset(x->string, p.asset, sizeof(p.asset));
		if (p.asset[0] == '\0')
			continue;
		p.kind = KP_BALANCE;
		dec(cJSON_GetObjectItemCaseSensitive(x, "balance"), &p.total);
		opt_dec(x, "hold_trade", &hold);
		p.free = p.total - hold;
		p.last = ++i == total;
		fn(arg, &p);
		n++;
	}
	return n;
}

long
kr_parse_rest_private(enum kr_rest_kind kind, const char *data, size_t len,
	kr_priv_fn fn, void *arg, long *total, char *err)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *e, *r, *x;
	struct kr_priv p;
	long n = -1;
	double d;

	if (total != NULL)
		*total = 0;
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return fail(err, "not a JSON object");
	}
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsArray(e) && cJSON_GetArraySize(e) > 0) {
		x = cJSON_GetArrayItem(e, 0);
		snprintf(err, 96, "%s", cJSON_IsString(x) &&
			x->valuestring[0] != '\0' ? x->valuestring :
			"an error without text");
		cJSON_Delete(root);
		return -2;
	}
	r = cJSON_GetObjectItemCaseSensitive(root, "result");
	memset(&p, 0, sizeof(p));
	switch (kind) {
	case KR_R_ADD:
		x = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r,
			"txid"), 0);
		if (!cJSON_IsString(x)) {
			n = fail(err, "AddOrder: no txid");
			break;
		}
		p.kind = KP_ADDED;
		snprintf(p.txid, sizeof(p.txid), "%s", x->valuestring);
		fn(arg, &p);
		n = 1;
		break;
	case KR_R_CANCEL:
		if (dec(cJSON_GetObjectItemCaseSensitive(r, "count"), &d)
		    != 0) {
			n = fail(err, "cancel: no count");
			break;
		}
		p.kind = KP_CANCELED;
		p.count = (long)d;
		fn(arg, &p);
		n = 1;
		break;
	case KR_R_ORDERS:
		/* OpenOrders {"open":{..}}, ClosedOrders {"closed":{..}},
		 * QueryOrders {txid:{..}} */
		x = cJSON_GetObjectItemCaseSensitive(r, "open");
		if (x == NULL)
			x = cJSON_GetObjectItemCaseSensitive(r, "closed");
		n = each(x ? x : r, rest_order, fn, arg, err);
		break;
	case KR_R_TRADES:
		if (total != NULL && dec(cJSON_GetObjectItemCaseSensitive(r,
		    "count"), &d) == 0)
			*total = (long)d;
		n = each(cJSON_GetObjectItemCaseSensitive(r, "trades"),
			rest_trade, fn, arg, err);
		break;
	case KR_R_BALANCE:
		n = balances(r, fn, arg, err);
		break;
	case KR_R_TOKEN:
		x = cJSON_GetObjectItemCaseSensitive(r, "token");
		if (!cJSON_IsString(x) || x->valuestring[0] == '\0' ||
		    strlen(x->valuestring) >= sizeof(p.token)) {
			n = fail(err, "GetWebSocketsToken: no token");
			break;
		}
		p.kind = KP_TOKEN;
		snprintf(p.token, sizeof(p.token), "%s", x->valuestring);
		fn(arg, &p);
		n = 1;
		break;
	case KR_R_TIME:
		if (dec(cJSON_GetObjectItemCaseSensitive(r, "unixtime"), &d)
		    != 0 || d < 0 || d > 1e11) {
			n = fail(err, "Time: no unixtime");
			break;
		}
		p.kind = KP_TIME;
		p.ts_ms = (int64_t)d * 1000;
		fn(arg, &p);
		n = 1;
		break;
	}
	cJSON_Delete(root);
	return n;
}

/* ---- the private WebSocket ----------------------------------------- */

static enum kr_ord_status
ws_status(const char *s)
{
	if (strcmp(s, "pending_new") == 0 || strcmp(s, "new") == 0 ||
	    strcmp(s, "partially_filled") == 0)
		return KS_OPEN;
	if (strcmp(s, "filled") == 0)
		return KS_FILLED;
	if (strcmp(s, "canceled") == 0)
		return KS_CANCELED;
	if (strcmp(s, "expired") == 0)
		return KS_EXPIRED;
	return KS_NONE;
}

/* One item of the executions channel. */
static int
exec_item(const cJSON *x, struct kr_priv *p)
{
	const cJSON *fees = cJSON_GetObjectItemCaseSensitive(x, "fees"), *f;
	char st[24], tmp[24];

	if (!cJSON_IsObject(x))
		return -1;
	memset(p, 0, sizeof(*p));
	text(x, "order_id", p->txid, sizeof(p->txid));
	text(x, "cl_ord_id", p->cl_ord_id, sizeof(p->cl_ord_id));
	text(x, "exec_type", p->exec_type, sizeof(p->exec_type));
	text(x, "exec_id", p->trade_id, sizeof(p->trade_id));
	text(x, "symbol", p->symbol, sizeof(p->symbol));
	text(x, "order_status", st, sizeof(st));
	text(x, "reason", p->reason, sizeof(p->reason));
	text(x, "side", tmp, sizeof(tmp));
	p->side = side_of(tmp);
	text(x, "liquidity_ind", tmp, sizeof(tmp));
	p->maker = strcmp(tmp, "m") == 0;
	p->status = ws_status(st);
	if (p->txid[0] == '\0' || opt_dec(x, "order_qty", &p->qty) != 0 ||
	    opt_dec(x, "limit_price", &p->price) != 0 ||
	    opt_dec(x, "cum_qty", &p->cum_qty) != 0 ||
	    opt_dec(x, "avg_price", &p->avg_price) != 0 ||
	    opt_dec(x, "last_qty", &p->last_qty) != 0 ||
	    opt_dec(x, "last_price", &p->last_price) != 0)
		return -1;
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(x, "timestamp")) &&
	    kr_time_ms(cJSON_GetObjectItemCaseSensitive(x,
	    "timestamp")->valuestring, &p->ts_ms) != 0)
		return -1;
	if (strcmp(p->exec_type, "trade") == 0) {
		p->kind = KP_FILL;
		if (p->trade_id[0] == '\0' || p->last_qty <= 0)
			return -1;
		/* One fee entry in practice; more are summed when they share
		 * the first one's asset. */
		cJSON_ArrayForEach(f, fees) {
			char a[16];
			double q;

			text(f, "asset", tmp, sizeof(tmp));
			kr_asset(tmp, a, sizeof(a));
			if (opt_dec(f, "qty", &q) != 0)
				return -1;
			if (p->fee_asset[0] == '\0')
				snprintf(p->fee_asset, sizeof(p->fee_asset),
					"%s", a);
			if (strcmp(a, p->fee_asset) == 0)
				p->fee += q;
		}
	} else {
		p->kind = KP_ORDER;
	}
	return 0;
}

static int
balance_item(const cJSON *x, struct kr_priv *p)
{
	char code[16];

	if (!cJSON_IsObject(x))
		return -1;
	memset(p, 0, sizeof(*p));
	p->kind = KP_BALANCE;
	text(x, "asset", code, sizeof(code));
	kr_asset(code, p->asset, sizeof(p->asset));
	if (p->asset[0] == '\0' || dec(cJSON_GetObjectItemCaseSensitive(x,
	    "balance"), &p->total) != 0)
		return -1;
	p->free = p->total;
	return 0;
}

int
kr_parse_private_ws(const char *data, size_t len, kr_priv_fn fn, void *arg,
	char *why)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *ch, *ty, *d, *x;
	int (*item)(const cJSON *, struct kr_priv *) = NULL;
	struct kr_priv p;
	int n = 0, i = 0, total;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return (int)fail(why, "not a JSON object");
	}
	ch = cJSON_GetObjectItemCaseSensitive(root, "channel");
	ty = cJSON_GetObjectItemCaseSensitive(root, "type");
	d = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "method"))) {
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root,
			"success");

		memset(&p, 0, sizeof(p));
		p.kind = KP_ACK;
		p.ok = !cJSON_IsFalse(ok);
		text(root, "error", p.error, sizeof(p.error));
		text(cJSON_GetObjectItemCaseSensitive(root, "result"),
			"channel", p.exec_type, sizeof(p.exec_type));
		fn(arg, &p);
		cJSON_Delete(root);
		return 1;
	}
	if (cJSON_IsString(ch) && strcmp(ch->valuestring, "executions") == 0)
		item = exec_item;
	else if (cJSON_IsString(ch) &&
	    strcmp(ch->valuestring, "balances") == 0)
		item = balance_item;
	if (item == NULL) {   /* heartbeat, status, pong */
		cJSON_Delete(root);
		return 0;
	}
	if (!cJSON_IsArray(d) || !cJSON_IsString(ty)) {
		cJSON_Delete(root);
		return (int)fail(why, "no data array or type");
	}
	total = cJSON_GetArraySize(d);
	cJSON_ArrayForEach(x, d)
		if (item(x, &p) != 0) {
			cJSON_Delete(root);
			return (int)fail(why, "malformed item");
		}
	cJSON_ArrayForEach(x, d) {
		item(x, &p);
		p.snapshot = strcmp(ty->valuestring, "snapshot") == 0;
		p.last = p.kind == KP_BALANCE && p.snapshot && ++i == total;
		fn(arg, &p);
		n++;
	}
	cJSON_Delete(root);
	return n;
}
