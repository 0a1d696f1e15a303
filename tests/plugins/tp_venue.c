/*
 * tp_venue.c -- an exchange adapter for tests/fakes/fake_venue.py: places,
 * cancels and queries orders over its REST API under the host's client
 * order ids, and polls its fills every 100 ms (from the first one after
 * each start: the host applies a fill once by its trade id, so fills seen
 * again after a restart change nothing).  A place refused as a duplicate
 * client id -- an order that reached the venue before a crash -- is
 * answered by querying that order.  Market data is not its business.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#define MAX_REQ 256

enum req_kind { RQ_PLACE = 1, RQ_CANCEL, RQ_QUERY, RQ_FILLS };

struct req {
	uint64_t http;       /* host request id, 0 = free */
	enum req_kind kind;
	uint64_t order;
};

struct venue {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	char base[256];
	uint64_t timer;
	int64_t last_fill;
	int polling;
	struct req reqs[MAX_REQ];
};

static const struct qd_param_spec specs[] = {
	QD_PARAM_STRING_SPEC("base_url", "http://127.0.0.1:1",
		"the fake venue"),
};

static int
send(struct venue *v, const char *method, const char *path,
	const char *body, enum req_kind kind, uint64_t order)
{
	struct qd_http_request r;
	struct qd_kv h = { "Content-Type", "application/json" };
	char url[512];
	uint64_t id;
	size_t i;
	int rc;

	for (i = 0; i < MAX_REQ && v->reqs[i].http != 0; i++)
		;
	if (i == MAX_REQ)
		return QD_ERR_LIMIT;
	snprintf(url, sizeof(url), "%s%s", v->base, path);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = method;
	r.url = url;
	r.headers = &h;
	r.n_headers = body ? 1 : 0;
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	if ((rc = v->api->http_request(v->ctx, &r, &id)) != QD_OK)
		return rc;
	v->reqs[i].http = id;
	v->reqs[i].kind = kind;
	v->reqs[i].order = order;
	return QD_OK;
}

static void
emit(struct venue *v, uint64_t order, enum qd_order_state st,
	const char *reason)
{
	struct qd_order_update u;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = order;
	u.state = st;
	u.ts = v->api->now_ns(v->ctx);
	u.reason = reason;
	v->api->emit_order_update(v->ctx, &u);
}

static int
v_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct venue *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return QD_ERR_NOMEM;
	v->api = api;
	v->ctx = ctx;
	snprintf(v->base, sizeof(v->base), "%s",
		api->param_string(p, "base_url"));
	*state = v;
	return QD_OK;
}

static int
v_start(void *state)
{
	struct venue *v = state;
	struct qd_instrument in;

	/* Its one symbol's rules, as a venue's instrument list gives them:
	 * the host sends nothing before it has them. */
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.symbol = v->api->symbol_intern(v->ctx, "BTC/USDT");
	in.native = "BTCUSDT";
	in.tick = "0.01";
	in.lot = "0.00000001";
	in.status = "TRADING";
	in.trading = 1;
	v->api->emit_instrument(v->ctx, &in);
	return v->api->timer_add(v->ctx, 100000000, 100000000, &v->timer);
}

static void
v_destroy(void *state)
{
	free(state);
}

static int
v_place(void *state, uint64_t id, const struct qd_order_req *r)
{
	struct venue *v = state;
	char cid[16], body[512], px[64] = "0";

	if (r->type != QD_ORDER_MARKET && r->type != QD_ORDER_LIMIT)
		return QD_ERR_UNSUPPORTED;
	qd_client_order_id(id, cid, sizeof(cid));
	if (r->type == QD_ORDER_LIMIT)
		snprintf(px, sizeof(px), "%.10g", r->price);
	snprintf(body, sizeof(body), "{\"client_id\":\"%s\",\"symbol\":\"%s\","
		"\"side\":\"%s\",\"type\":\"%s\",\"qty\":\"%.8f\","
		"\"price\":\"%s\"}", cid, v->api->symbol_name(v->ctx,
		r->symbol), r->side == QD_SIDE_BUY ? "buy" : "sell",
		r->type == QD_ORDER_MARKET ? "market" : "limit", r->qty, px);
	return send(v, "POST", "/order", body, RQ_PLACE, id);
}

static int
v_order_path(uint64_t id, char *path, size_t cap)
{
	char cid[16];

	qd_client_order_id(id, cid, sizeof(cid));
	return snprintf(path, cap, "/order?client_id=%s", cid);
}

static int
v_cancel(void *state, uint64_t id)
{
	char path[64];

	v_order_path(id, path, sizeof(path));
	return send(state, "DELETE", path, NULL, RQ_CANCEL, id);
}

static int
v_query(void *state, uint64_t id)
{
	char path[64];

	v_order_path(id, path, sizeof(path));
	return send(state, "GET", path, NULL, RQ_QUERY, id);
}

static void
v_timer(void *state, uint64_t timer)
{
	struct venue *v = state;
	char path[64];

	(void)timer;
	if (v->polling)
		return;
	snprintf(path, sizeof(path), "/fills?after=%lld",
		(long long)v->last_fill);
	if (send(v, "GET", path, NULL, RQ_FILLS, 0) == QD_OK)
		v->polling = 1;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(x) ? x->valuestring : "";
}

/* The venue's view of one order (a place's or a query's answer). */
static void
order_state(struct venue *v, uint64_t order, const cJSON *o)
{
	const char *st = jstr(o, "status");

	if (strcmp(st, "canceled") == 0)
		emit(v, order, QD_ORDER_CANCELED, "canceled at the venue");
	else if (strcmp(st, "new") == 0 || strcmp(st, "partial") == 0 ||
	    strcmp(st, "filled") == 0)
		emit(v, order, QD_ORDER_PENDING, NULL);  /* fills follow */
}

static void
fills(struct venue *v, const cJSON *arr)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, arr) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
		struct qd_order_update u;
		char tid[32];

		if (!cJSON_IsNumber(id))
			continue;
		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		u.order_id = qd_client_order_id_parse(jstr(f, "client_id"));
		u.state = QD_ORDER_PARTIAL;
		u.ts = v->api->now_ns(v->ctx);
		u.last_qty = strtod(jstr(f, "qty"), NULL);
		u.last_price = strtod(jstr(f, "price"), NULL);
		u.fee = strtod(jstr(f, "fee"), NULL);
		snprintf(tid, sizeof(tid), "v%lld", (long long)id->valuedouble);
		u.trade_id = tid;
		if (u.order_id != 0)
			v->api->emit_order_update(v->ctx, &u);
		if ((int64_t)id->valuedouble > v->last_fill)
			v->last_fill = (int64_t)id->valuedouble;
	}
}

static void
v_http(void *state, uint64_t req, int status, const char *body, size_t len)
{
	struct venue *v = state;
	struct req r;
	cJSON *j;
	size_t i;

	for (i = 0; i < MAX_REQ && v->reqs[i].http != req; i++)
		;
	if (i == MAX_REQ)
		return;
	r = v->reqs[i];
	v->reqs[i].http = 0;
	if (r.kind == RQ_FILLS)
		v->polling = 0;
	j = body ? cJSON_ParseWithLength(body, len) : NULL;
	switch (r.kind) {
	case RQ_PLACE:
		if (status == 200)
			order_state(v, r.order, j);
		else if (status == 400 && cJSON_IsNumber(
		    cJSON_GetObjectItemCaseSensitive(j, "code")) &&
		    cJSON_GetObjectItemCaseSensitive(j, "code")->valueint ==
		    -2010)
			v_query(v, r.order);   /* it got there before */
		else if (status >= 400 && status < 500)
			emit(v, r.order, QD_ORDER_REJECTED, j ? jstr(j, "msg") :
				"refused by the venue");
		else
			v_query(v, r.order);   /* unknown outcome: ask */
		break;
	case RQ_QUERY:
		if (status == 200)
			order_state(v, r.order, j);
		else if (status == 404)
			emit(v, r.order, QD_ORDER_REJECTED, "unknown at the "
				"venue");
		break;
	case RQ_CANCEL:
		if (status == 200)
			order_state(v, r.order, j);
		break;
	case RQ_FILLS:
		if (status == 200)
			fills(v, j);
		break;
	}
	cJSON_Delete(j);
}

static const struct qd_exchange_ops v_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = v_create,
		.start = v_start,
		.destroy = v_destroy,
	},
	.on_http_response = v_http,
	.on_timer = v_timer,
	.order_place = v_place,
	.order_cancel = v_cancel,
	.order_query = v_query,
};

static const struct qd_plugin v_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "tp-venue",
	.version = "1.0.0",
	.description = "orders at tests/fakes/fake_venue.py",
	.license = "MIT",
	.params = specs,
	.n_params = 1,
	.ops = &v_ops,
};

static const struct qd_plugin *const plugins[] = { &v_plugin, NULL };

QD_MODULE(plugins);
