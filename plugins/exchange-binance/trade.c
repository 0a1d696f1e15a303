/*
 * trade.c -- the `binance` exchange's private side: spot orders, the
 * account and its user data stream.
 *
 * Every private REST call is SIGNED as the venue documents it: the query
 * string ends with recvWindow and timestamp (local time plus the venue's
 * offset, read from /api/v3/time at start and hourly), and `signature` is
 * api->sign over the query string (HMAC-SHA256 hex with the secret
 * "api_secret", or Ed25519 Base64, percent-encoded, with "private_key");
 * the key goes in X-MBX-APIKEY.  The adapter never sees a signing key.
 *
 * Orders carry the host's client order id (newClientOrderId); answers,
 * stream reports and reconciliation find the host's order by it (myTrades,
 * which names only the venue's order id, through the ids seen).  A fill is
 * reported with the venue's trade id, so one seen twice (stream and REST)
 * is applied once by the host; a terminal state of an order with executed
 * quantity is reported after its fills, fetched first.  The user data
 * stream brings reports and balances: a WebSocket API subscription
 * (userDataStream.subscribe.signature on `ws_api_url`, signed over its
 * parameters sorted by name), the venue having retired the spot listen
 * key; after its loss the adapter reconnects with backoff, subscribes
 * again and reconciles over REST (account_sync).  The last fill reported per symbol
 * is kept with state_save, so a restart asks only for newer ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "trade.h"
#include "trade_parse.h"

enum {
	RQ_TIME = 1,
	RQ_PLACE,
	RQ_CANCEL,
	RQ_CANCEL_ALL,
	RQ_QUERY,
	RQ_TRADES,      /* myTrades, then the held states */
	RQ_ACCOUNT,
	RQ_ORDERS,      /* allOrders of a symbol (reconcile) */
};

/* A state to report once an order's fills are in. */
struct bn_after {
	uint64_t order;
	enum qd_order_state state;
	char reason[112];
	int error;
};

#define DAY_MS 86400000LL

static int64_t
vnow_ms(struct bn_tr *t)
{
	return t->api->now_ns(t->ctx) / 1000000 + t->offset_ms;
}

void
bn_trade_init(struct bn_tr *t, struct venue *v, const qd_params *p)
{
	const struct qd_host_api *api = v->api;
	const char *kt = api->param_string(p, "key_type");

	t->v = v;
	t->api = api;
	t->ctx = v->ctx;
	snprintf(t->user_ws, sizeof(t->user_ws), "%s",
		api->param_string(p, "ws_api_url"));
	t->recv_window = (long)api->param_int(p, "recv_window_ms");
	t->ed25519 = kt != NULL && strcmp(kt, "ed25519") == 0;
	t->rate = api->param_double(p, "orders_per_s");
	t->burst = t->rate;
	t->tokens = t->burst;
}

static const char *
secret_name(const struct bn_tr *t)
{
	return t->ed25519 ? "private_key" : "api_secret";
}

/* Whether the credentials are there; says which is missing (never a
 * value) when not. */
static int
creds_ok(struct bn_tr *t)
{
	if (!t->have_key) {
		venue_say(t->v, QD_LOG_ERROR, "no secret \"api_key\" configured:"
			" orders refused");
		return 0;
	}
	if (!t->have_secret) {
		venue_say(t->v, QD_LOG_ERROR, "no secret \"%s\" configured: "
			"orders refused", secret_name(t));
		return 0;
	}
	return 1;
}

/* ---- requests ------------------------------------------------------- */

static struct bn_req *
req_slot(struct bn_tr *t)
{
	size_t i;

	for (i = 0; i < BN_MAX_REQS; i++)
		if (t->reqs[i].http == 0)
			return &t->reqs[i];
	return NULL;
}

static int
send_raw(struct bn_tr *t, const char *method, const char *url, int kind,
	uint64_t order, size_t sub, struct bn_req **out)
{
	struct qd_kv h = { "X-MBX-APIKEY", t->api_key };
	struct qd_http_request r;
	struct bn_req *q = req_slot(t);
	int rc;

	if (q == NULL)
		return QD_ERR_LIMIT;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = method;
	r.url = url;
	r.headers = &h;
	r.n_headers = t->have_key ? 1 : 0;
	if ((rc = t->api->http_request(t->ctx, &r, &q->http)) != QD_OK) {
		q->http = 0;
		return rc;
	}
	q->kind = kind;
	q->order = order;
	q->sub = sub;
	q->after = NULL;
	q->n_after = 0;
	if (out != NULL)
		*out = q;
	return QD_OK;
}

/*
 * A SIGNED call: `params` plus recvWindow and timestamp, signed (the
 * payload is the query string; these calls send no body).  REST paused by
 * a rate limit, or missing credentials: refused without sending.
 */
static int
send_signed(struct bn_tr *t, const char *method, const char *path,
	const char *params, int kind, uint64_t order, size_t sub,
	struct bn_req **out)
{
	char query[1024], payload[1024], sig[256], enc[384], url[2048];
	struct qd_sign_req s;
	size_t sig_len = 0;
	int rc;

	if (!t->have_key || !t->have_secret)
		return QD_ERR_DENIED;
	if (venue_now_ms(t->v) < t->v->rest_blocked_until)
		return QD_ERR_LIMIT;
	snprintf(query, sizeof(query), "%s", params);
	if (bn_signed_tail(query, sizeof(query), t->recv_window,
	    vnow_ms(t)) < 0 || bn_sign_payload(payload, sizeof(payload),
	    query, NULL) < 0)
		return QD_ERR_LIMIT;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.alg = t->ed25519 ? QD_SIGN_ED25519 : QD_SIGN_HMAC_SHA256;
	s.enc = t->ed25519 ? QD_ENC_BASE64 : QD_ENC_HEX;
	s.secret = secret_name(t);
	s.msg = payload;
	s.msg_len = strlen(payload);
	if ((rc = t->api->sign(t->ctx, &s, sig, sizeof(sig), &sig_len)) !=
	    QD_OK)
		return rc;
	if (bn_pct_encode(sig, enc, sizeof(enc)) < 0)
		return QD_ERR_LIMIT;
	snprintf(url, sizeof(url), "%s%s?%s&signature=%s", t->v->rest_url,
		path, query, enc);
	return send_raw(t, method, url, kind, order, sub, out);
}

/* The order-rate bucket: 1 if an order may go now. */
static int
take_token(struct bn_tr *t)
{
	int64_t now = venue_now_ms(t->v);

	t->tokens += (double)(now - t->tokens_ms) * t->rate / 1000.0;
	if (t->tokens > t->burst)
		t->tokens = t->burst;
	t->tokens_ms = now;
	if (t->tokens < 1.0)
		return 0;
	t->tokens -= 1.0;
	return 1;
}

/* ---- what we know of orders ----------------------------------------- */

static void
remember(struct bn_tr *t, uint64_t venue_oid, uint64_t order, size_t sub)
{
	size_t i;

	for (i = 0; i < BN_KNOWN; i++)
		if (t->known[i].order == order && order != 0) {
			if (venue_oid != 0)
				t->known[i].venue = venue_oid;
			t->known[i].sub = sub;
			return;
		}
	t->known[t->known_next].venue = venue_oid;
	t->known[t->known_next].order = order;
	t->known[t->known_next].sub = sub;
	t->known_next = (t->known_next + 1) % BN_KNOWN;
}

static int
known_order(const struct bn_tr *t, uint64_t order, size_t *sub)
{
	size_t i;

	for (i = 0; i < BN_KNOWN; i++)
		if (t->known[i].order == order && order != 0) {
			*sub = t->known[i].sub;
			return 1;
		}
	return 0;
}

static uint64_t
order_of_venue(const struct bn_tr *t, uint64_t venue_oid)
{
	size_t i;

	for (i = 0; i < BN_KNOWN; i++)
		if (t->known[i].venue == venue_oid && venue_oid != 0)
			return t->known[i].order;
	return 0;
}

/* The entry of a symbol by its venue name; -1 if the adapter has none
 * (not a symbol it streams or trades). */
static long
sub_of_native(struct bn_tr *t, const char *native)
{
	struct venue_sub *s = venue_find_native(t->v, native);

	return s != NULL ? (long)(s - t->v->subs) : -1;
}

/* Persist the symbols traded and the last fill reported of each. */
static void
save(struct bn_tr *t)
{
	char buf[8192];
	size_t len = 0, i;

	for (i = 0; i < t->v->n_subs && len < sizeof(buf) - 128; i++) {
		const char *name;

		if (!t->traded[i] || (name = t->api->symbol_name(t->ctx,
		    t->v->subs[i].sym)) == NULL)
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			"%s %lld\n", name, (long long)t->last_trade[i]);
	}
	t->api->state_save(t->ctx, buf, len);
}

static void
load(struct bn_tr *t)
{
	char buf[8192], *line, *next;
	size_t len = 0;

	if (t->api->state_load(t->ctx, buf, sizeof(buf) - 1, &len) != QD_OK)
		return;
	buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
	for (line = buf; line != NULL && *line; line = next) {
		char name[64];
		long long last;
		qd_symbol sym;
		struct venue_sub *s;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (sscanf(line, "%63s %lld", name, &last) != 2 ||
		    (sym = t->api->symbol_intern(t->ctx, name)) == 0 ||
		    (s = venue_sub_of(t->v, sym)) == NULL)
			continue;
		t->traded[s - t->v->subs] = 1;
		t->last_trade[s - t->v->subs] = last;
	}
}

/* ---- reports -------------------------------------------------------- */

static void
update_init(struct bn_tr *t, struct qd_order_update *u, uint64_t order,
	enum qd_order_state st)
{
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	u->order_id = order;
	u->state = st;
	u->ts = t->api->now_ns(t->ctx);
}

static void
emit_state(struct bn_tr *t, uint64_t order, enum qd_order_state st,
	const char *reason, int error)
{
	struct qd_order_update u;
	char cid[16];

	update_init(t, &u, order, st);
	qd_client_order_id(order, cid, sizeof(cid));
	u.client_id = cid;
	u.reason = reason;
	u.error = error;
	t->api->emit_order_update(t->ctx, &u);
}

/* One fill of order `order` in symbol entry `sub`. */
static void
emit_fill(struct bn_tr *t, uint64_t order, size_t sub,
	const struct bn_exec *x)
{
	const char *name = t->api->symbol_name(t->ctx, t->v->subs[sub].sym);
	char base[24] = "", tid[32], cid[16];
	const char *slash = NULL;
	struct qd_order_update u;
	int other;

	if (name != NULL)
		slash = strchr(name, '/');
	if (slash != NULL && (size_t)(slash - name) < sizeof(base))
		snprintf(base, sizeof(base), "%.*s", (int)(slash - name), name);
	update_init(t, &u, order, strcmp(x->status, "FILLED") == 0 ?
		QD_ORDER_FILLED : QD_ORDER_PARTIAL);
	qd_client_order_id(order, cid, sizeof(cid));
	snprintf(tid, sizeof(tid), "%lld", (long long)x->trade_id);
	u.symbol = t->v->subs[sub].sym;
	u.side = x->side == 1 ? QD_SIDE_BUY : x->side == 2 ? QD_SIDE_SELL : 0;
	u.ts = x->ts_ms > 0 ? x->ts_ms * 1000000 : u.ts;
	u.qty = x->qty;
	u.price = x->price;
	u.filled_qty = x->cum_qty;
	u.avg_price = x->cum_qty > 0 ? x->cum_quote / x->cum_qty : 0;
	u.last_qty = x->last_qty;
	u.last_price = x->last_price;
	u.fee = bn_fee_quote(x->fee, x->fee_asset, base, slash ? slash + 1 :
		NULL, x->last_price, &other);
	if (other)
		venue_say(t->v, QD_LOG_DEBUG, "fill %s: fee %.8f %s not in "
			"%s, counted 0", tid, x->fee, x->fee_asset,
			name ? name : "?");
	u.trade_id = tid;
	u.client_id = cid;
	u.maker = x->maker;
	t->api->emit_order_update(t->ctx, &u);
	if (x->trade_id > t->last_trade[sub]) {
		t->last_trade[sub] = x->trade_id;
		save(t);
	}
}

/* A venue status as ours; 0 for one moved by fills (or unknown). */
static enum qd_order_state
state_of(const char *status)
{
	if (strcmp(status, "NEW") == 0 || strcmp(status, "PENDING_NEW") == 0 ||
	    strcmp(status, "PENDING_CANCEL") == 0)
		return QD_ORDER_PENDING;
	if (strcmp(status, "CANCELED") == 0)
		return QD_ORDER_CANCELED;
	if (strcmp(status, "EXPIRED") == 0 ||
	    strcmp(status, "EXPIRED_IN_MATCH") == 0)
		return QD_ORDER_EXPIRED;
	if (strcmp(status, "REJECTED") == 0)
		return QD_ORDER_REJECTED;
	return 0;
}

/* Fetch the fills of one venue order, then report `after`. */
static void
fetch_fills(struct bn_tr *t, uint64_t order, size_t sub, uint64_t venue_oid,
	struct bn_after *after, size_t n_after)
{
	char params[256];
	struct bn_req *q = NULL;

	snprintf(params, sizeof(params), "symbol=%s&orderId=%llu&limit=1000",
		t->v->subs[sub].native, (unsigned long long)venue_oid);
	if (send_signed(t, "GET", "/api/v3/myTrades", params, RQ_TRADES,
	    order, sub, &q) != QD_OK || q == NULL) {
		size_t i;

		/* Unsent: the states now (the next reconcile brings the
		 * fills; the host applies each once). */
		for (i = 0; i < n_after; i++)
			emit_state(t, after[i].order, after[i].state,
				after[i].reason, after[i].error);
		free(after);
		return;
	}
	q->after = after;
	q->n_after = n_after;
}

/* The venue's view of one of our orders (an answer, a query, a sync):
 * reported as a state, after its fills where it has some. */
static void
report_order(struct bn_tr *t, uint64_t order, size_t sub,
	const struct bn_exec *x)
{
	enum qd_order_state st = state_of(x->status);
	struct bn_after *a;

	remember(t, x->order_id, order, sub);
	if (st == 0)
		st = QD_ORDER_PENDING;  /* PARTIALLY_FILLED, FILLED: fills move
		                           it */
	if (x->cum_qty <= 0) {
		emit_state(t, order, st, st == QD_ORDER_PENDING ? NULL :
			st == QD_ORDER_CANCELED ? "canceled at binance" :
			st == QD_ORDER_EXPIRED ? "expired at binance" :
			"rejected by binance", 0);
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return;
	a->order = order;
	a->state = st;
	snprintf(a->reason, sizeof(a->reason), "%s at binance",
		st == QD_ORDER_CANCELED ? "canceled" :
		st == QD_ORDER_EXPIRED ? "expired" : "open");
	fetch_fills(t, order, sub, x->order_id, a, 1);
}

/* A refusal with the venue's code and text: logged, and as `reason`. */
static int
refusal(struct bn_tr *t, const char *what, int status, const char *body,
	size_t len, char *reason, size_t cap, int *code, char *msg)
{
	if (bn_parse_error(body, len, code, msg) != 0) {
		*code = 0;
		snprintf(msg, 96, "HTTP %d", status);
	}
	snprintf(reason, cap, "binance %d: %s", *code, msg);
	venue_say(t->v, QD_LOG_WARN, "%s refused: HTTP %d, binance %d: %s",
		what, status, *code, msg);
	return bn_error_status(*code, msg);
}

/* ---- orders --------------------------------------------------------- */

int
bn_place(struct bn_tr *t, uint64_t order, const struct qd_order_req *r)
{
	static const char *const tifs[] = { "GTC", "IOC", "FOK" };
	const char *type, *tif = NULL;
	char cid[16], params[512];
	struct venue_sub *s;
	double price = 0, stop = 0;
	size_t sub;
	int rc;

	switch (r->type) {
	case QD_ORDER_MARKET:
		type = "MARKET";
		break;
	case QD_ORDER_LIMIT:
		/* Post-only is the venue's LIMIT_MAKER (no time in force). */
		type = r->tif == QD_TIF_POST_ONLY ? "LIMIT_MAKER" : "LIMIT";
		price = r->price;
		break;
	case QD_ORDER_STOP:
		type = "STOP_LOSS";
		stop = r->stop_price;
		break;
	case QD_ORDER_STOP_LIMIT:
		type = "STOP_LOSS_LIMIT";
		price = r->price;
		stop = r->stop_price;
		break;
	case QD_ORDER_TAKE_PROFIT:
		type = "TAKE_PROFIT";
		stop = r->stop_price;
		break;
	case QD_ORDER_TAKE_PROFIT_LIMIT:
		type = "TAKE_PROFIT_LIMIT";
		price = r->price;
		stop = r->stop_price;
		break;
	default:
		return QD_ERR_UNSUPPORTED;  /* trailing stops: the host's */
	}
	if (price > 0 && strcmp(type, "LIMIT_MAKER") != 0)
		tif = r->tif <= QD_TIF_FOK ? tifs[r->tif] : "GTC";
	if (r->tif == QD_TIF_POST_ONLY && r->type != QD_ORDER_LIMIT)
		return QD_ERR_UNSUPPORTED;
	if (!creds_ok(t))
		return QD_ERR_DENIED;
	if ((s = venue_sub_of(t->v, r->symbol)) == NULL)
		return QD_ERR_LIMIT;
	sub = (size_t)(s - t->v->subs);
	if (venue_now_ms(t->v) < t->v->rest_blocked_until || !take_token(t)) {
		venue_say(t->v, QD_LOG_WARN, "order %llu not sent: order rate "
			"limit", (unsigned long long)order);
		return QD_ERR_LIMIT;
	}
	qd_client_order_id(order, cid, sizeof(cid));
	if (bn_order_params(params, sizeof(params), s->native,
	    r->side == QD_SIDE_BUY ? "BUY" : "SELL", type, tif, r->qty, price,
	    stop, cid, "FULL") < 0)
		return QD_ERR_INVALID;
	if (!t->traded[sub]) {
		t->traded[sub] = 1;
		save(t);
	}
	remember(t, 0, order, sub);
	rc = send_signed(t, "POST", "/api/v3/order", params, RQ_PLACE, order,
		sub, NULL);
	return rc;
}

/* Find an order whose symbol we do not know (an order of a former run):
 * asked in every symbol traded; not found in any: unknown. */
static int
ask_everywhere(struct bn_tr *t, uint64_t order, const char *idparam,
	int kind)
{
	char params[256];
	size_t i, k;
	int sent = 0;

	for (k = 0; k < 16 && t->asks[k].order != 0; k++)
		;
	if (k == 16)
		return QD_ERR_LIMIT;
	for (i = 0; i < t->v->n_subs; i++) {
		if (!t->traded[i])
			continue;
		snprintf(params, sizeof(params), "symbol=%s&%s",
			t->v->subs[i].native, idparam);
		if (send_signed(t, kind == RQ_CANCEL ? "DELETE" : "GET",
		    "/api/v3/order", params, kind, order, i, NULL) == QD_OK)
			sent++;
	}
	if (sent == 0)
		return QD_ERR_NOTFOUND;
	t->asks[k].order = order;
	t->asks[k].left = sent;
	t->asks[k].found = 0;
	return QD_OK;
}

static int
order_call(struct bn_tr *t, uint64_t order, int kind)
{
	char cid[16], idparam[64], params[256];
	size_t sub;

	if (!creds_ok(t))
		return QD_ERR_DENIED;
	qd_client_order_id(order, cid, sizeof(cid));
	snprintf(idparam, sizeof(idparam), "origClientOrderId=%s", cid);
	if (!known_order(t, order, &sub)) {
		int rc = ask_everywhere(t, order, idparam, kind);

		if (rc == QD_ERR_NOTFOUND && kind == RQ_QUERY)
			emit_state(t, order, QD_ORDER_REJECTED, "binance: not "
				"an order of a symbol traded here",
				QD_ERR_NOTFOUND);
		return rc == QD_ERR_NOTFOUND && kind == RQ_QUERY ? QD_OK : rc;
	}
	snprintf(params, sizeof(params), "symbol=%s&%s", t->v->subs[sub].native,
		idparam);
	return send_signed(t, kind == RQ_CANCEL ? "DELETE" : "GET",
		"/api/v3/order", params, kind, order, sub, NULL);
}

int
bn_cancel(struct bn_tr *t, uint64_t order)
{
	return order_call(t, order, RQ_CANCEL);
}

int
bn_query(struct bn_tr *t, uint64_t order)
{
	return order_call(t, order, RQ_QUERY);
}

int
bn_cancel_all(struct bn_tr *t, qd_symbol sym)
{
	char params[96];
	size_t i;
	int rc = QD_OK;

	if (!creds_ok(t))
		return QD_ERR_DENIED;
	for (i = 0; i < t->v->n_subs; i++) {
		if ((sym != 0 && t->v->subs[i].sym != sym) ||
		    (sym == 0 && !t->traded[i]))
			continue;
		snprintf(params, sizeof(params), "symbol=%s",
			t->v->subs[i].native);
		if (send_signed(t, "DELETE", "/api/v3/openOrders", params,
		    RQ_CANCEL_ALL, 0, i, NULL) != QD_OK)
			rc = QD_ERR_LIMIT;
	}
	return rc;
}

/* ---- reconcile ------------------------------------------------------ */

static void
sync_step_done(struct bn_tr *t)
{
	if (t->sync_busy > 0 && --t->sync_busy == 0 && t->sync_again) {
		t->sync_again = 0;
		bn_sync(t);
	}
}

int
bn_sync(struct bn_tr *t)
{
	char params[128];
	size_t i;
	int rc;

	if (!t->have_key || !t->have_secret)
		return QD_ERR_DENIED;
	if (t->sync_busy > 0) {
		t->sync_again = 1;
		return QD_OK;
	}
	if (venue_now_ms(t->v) < t->v->rest_blocked_until) {
		/* A rate limit holds REST: once it ends. */
		if (t->sync_timer == 0 && t->api->timer_add(t->ctx,
		    (t->v->rest_blocked_until - venue_now_ms(t->v) + 100) *
		    1000000, 0, &t->sync_timer) != QD_OK)
			t->sync_timer = 0;
		return QD_OK;
	}
	if ((rc = send_signed(t, "GET", "/api/v3/account",
	    "omitZeroBalances=true", RQ_ACCOUNT, 0, 0, NULL)) != QD_OK)
		return rc;
	t->sync_busy++;
	for (i = 0; i < t->v->n_subs; i++) {
		if (!t->traded[i])
			continue;
		/* The symbol's most recent orders: their ids, so the fills
		 * (which name only the venue's order id) find ours, and
		 * their states, reported once the fills are in. */
		snprintf(params, sizeof(params), "symbol=%s&limit=1000",
			t->v->subs[i].native);
		if (send_signed(t, "GET", "/api/v3/allOrders", params,
		    RQ_ORDERS, 0, i, NULL) == QD_OK)
			t->sync_busy++;
	}
	return QD_OK;
}

static void
on_account(struct bn_tr *t, const cJSON *j)
{
	struct bn_user u;
	struct qd_balance b;
	int i;

	if (bn_parse_balances(cJSON_GetObjectItemCaseSensitive(j, "balances"),
	    &u) != 0) {
		venue_say(t->v, QD_LOG_WARN, "account answer malformed");
		return;
	}
	for (i = 0; i < u.n_bal; i++) {
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.asset = u.bal[i].asset;
		b.free = u.bal[i].free;
		b.total = u.bal[i].free + u.bal[i].locked;
		b.ts = t->api->now_ns(t->ctx);
		b.last = i == u.n_bal - 1;
		t->api->emit_balance(t->ctx, &b);
	}
}

/* allOrders of one symbol: remember ours, then the fills since the last
 * reported (the last day's on a first run), then their states. */
static void
on_orders(struct bn_tr *t, size_t sub, const cJSON *j)
{
	struct bn_after *after;
	const cJSON *o;
	size_t n = 0;
	char params[256];
	struct bn_req *q = NULL;

	if (!cJSON_IsArray(j))
		return;
	after = calloc((size_t)cJSON_GetArraySize(j) + 1, sizeof(*after));
	if (after == NULL)
		return;
	cJSON_ArrayForEach(o, j) {
		struct bn_exec x;
		uint64_t order;
		enum qd_order_state st;

		if (bn_exec_from_order(o, &x) != 0 ||
		    (order = qd_client_order_id_parse(x.cid)) == 0)
			continue;
		remember(t, x.order_id, order, sub);
		st = state_of(x.status);
		after[n].order = order;
		after[n].state = st != 0 ? st : QD_ORDER_PENDING;
		snprintf(after[n].reason, sizeof(after[n].reason),
			"%s at binance", x.status);
		n++;
	}
	if (t->last_trade[sub] > 0)
		snprintf(params, sizeof(params), "symbol=%s&fromId=%lld&"
			"limit=1000", t->v->subs[sub].native,
			(long long)t->last_trade[sub] + 1);
	else
		snprintf(params, sizeof(params), "symbol=%s&startTime=%lld",
			t->v->subs[sub].native, (long long)(vnow_ms(t) -
			DAY_MS + 60000));
	if (send_signed(t, "GET", "/api/v3/myTrades", params, RQ_TRADES, 0,
	    sub, &q) != QD_OK || q == NULL) {
		free(after);
		return;
	}
	q->after = after;
	q->n_after = n;
	t->sync_busy++;
}

static void
on_trades(struct bn_tr *t, const struct bn_req *r, const cJSON *j)
{
	const cJSON *o;
	size_t i;
	int n = 0;

	cJSON_ArrayForEach(o, j) {
		struct bn_exec x;
		uint64_t order;

		n++;
		if (bn_exec_from_trade(o, &x) != 0)
			continue;
		order = r->order != 0 ? r->order :
			order_of_venue(t, x.order_id);
		if (order != 0)
			emit_fill(t, order, r->sub, &x);
		else if (x.trade_id > t->last_trade[r->sub])
			t->last_trade[r->sub] = x.trade_id;  /* not ours */
	}
	if (n >= 1000 && r->order == 0) {
		/* A full page: the rest before the states. */
		char params[256];
		struct bn_req *q = NULL;

		snprintf(params, sizeof(params), "symbol=%s&fromId=%lld&"
			"limit=1000", t->v->subs[r->sub].native,
			(long long)t->last_trade[r->sub] + 1);
		if (send_signed(t, "GET", "/api/v3/myTrades", params,
		    RQ_TRADES, 0, r->sub, &q) == QD_OK && q != NULL) {
			q->after = r->after;
			q->n_after = r->n_after;
			t->sync_busy++;
			return;
		}
	}
	for (i = 0; i < r->n_after; i++)
		emit_state(t, r->after[i].order, r->after[i].state,
			r->after[i].state == QD_ORDER_PENDING ? NULL :
			r->after[i].reason, r->after[i].error);
	free(r->after);
}

/* ---- answers -------------------------------------------------------- */

static void
on_place(struct bn_tr *t, const struct bn_req *r, int status,
	const char *body, size_t len, const cJSON *j)
{
	char reason[160], msg[96];
	struct bn_exec x;
	const cJSON *f;
	int code, err;

	if (status == 200 && bn_exec_from_order(j, &x) == 0) {
		enum qd_order_state st = state_of(x.status);

		remember(t, x.order_id, r->order, r->sub);
		emit_state(t, r->order, QD_ORDER_PENDING, NULL, 0);
		/* FULL: the fills of the matching at once. */
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(j,
		    "fills")) {
			struct bn_exec fx;

			if (bn_exec_from_trade(f, &fx) != 0)
				continue;
			fx.order_id = x.order_id;
			fx.side = x.side;
			fx.qty = x.qty;
			fx.price = x.price;
			fx.cum_qty = x.cum_qty;
			fx.cum_quote = x.cum_quote;
			memcpy(fx.status, x.status, sizeof(fx.status));
			emit_fill(t, r->order, r->sub, &fx);
		}
		if (st != 0 && st != QD_ORDER_PENDING)
			emit_state(t, r->order, st, st == QD_ORDER_EXPIRED ?
				"expired at binance" : "canceled at binance",
				0);
		return;
	}
	if (status == 0 || status >= 500) {
		/* The outcome is unknown: ask. */
		venue_say(t->v, QD_LOG_WARN, "order %llu: HTTP %d, querying",
			(unsigned long long)r->order, status);
		bn_query(t, r->order);
		return;
	}
	err = refusal(t, "order", status, body, len, reason, sizeof(reason),
		&code, msg);
	if (bn_error_duplicate(code, msg)) {
		/* It reached the venue before (a restart): its state. */
		bn_query(t, r->order);
		return;
	}
	if (status == 429 || status == 418)
		err = QD_ERR_LIMIT;
	emit_state(t, r->order, QD_ORDER_REJECTED, reason, err);
}

/* An answer about one order (query, cancel) in a symbol asked among
 * several: 1 while other symbols may still have it. */
static int
ask_pending(struct bn_tr *t, uint64_t order, int found)
{
	size_t k;

	for (k = 0; k < 16; k++)
		if (t->asks[k].order == order && order != 0) {
			t->asks[k].found |= found;
			if (--t->asks[k].left > 0)
				return found ? 0 : 1;
			found = t->asks[k].found;
			t->asks[k].order = 0;
			return found ? 2 : 0;
		}
	return 0;
}

static void
on_order_answer(struct bn_tr *t, const struct bn_req *r, int status,
	const char *body, size_t len, const cJSON *j)
{
	char reason[160], msg[96];
	struct bn_exec x;
	int code, err;

	if (status == 200 && bn_exec_from_order(j, &x) == 0) {
		ask_pending(t, r->order, 1);
		report_order(t, r->order, r->sub, &x);
		return;
	}
	if (bn_parse_error(body, len, &code, msg) == 0 &&
	    (code == -2013 || code == -2011) && ask_pending(t, r->order, 0))
		return;   /* another symbol may have it */
	err = refusal(t, r->kind == RQ_CANCEL ? "cancel" : "query", status,
		body, len, reason, sizeof(reason), &code, msg);
	if (r->kind == RQ_QUERY && err == QD_ERR_NOTFOUND)
		emit_state(t, r->order, QD_ORDER_REJECTED, reason, err);
	else if (r->kind == RQ_CANCEL && err == QD_ERR_NOTFOUND)
		bn_query(t, r->order);   /* filled or gone: what it became */
}

static void
on_cancel_all(struct bn_tr *t, const struct bn_req *r, const cJSON *j)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, j) {
		struct bn_exec x;
		uint64_t order;

		if (bn_exec_from_order(o, &x) == 0 &&
		    (order = qd_client_order_id_parse(x.cid)) != 0)
			report_order(t, order, r->sub, &x);
	}
}

/* ---- time and the user data stream ---------------------------------- */

static void
fetch_time(struct bn_tr *t)
{
	char url[320];

	snprintf(url, sizeof(url), "%s/api/v3/time", t->v->rest_url);
	send_raw(t, "GET", url, RQ_TIME, 0, 0, NULL);
}

static void
user_retry(struct bn_tr *t)
{
	int64_t delay = venue_backoff_ms(t->v, &t->ul);

	if (t->stopping || t->retry_timer != 0)
		return;
	if (t->api->timer_add(t->ctx, delay * 1000000, 0, &t->retry_timer) !=
	    QD_OK)
		t->retry_timer = 0;
}

static void
user_connect(struct bn_tr *t)
{
	if (t->stopping || t->user_conn != 0)
		return;
	t->user_open = 0;
	if (t->api->ws_open(t->ctx, t->user_ws, NULL, 0, &t->user_conn) !=
	    QD_OK) {
		t->user_conn = 0;
		user_retry(t);
	}
}

/* userDataStream.subscribe.signature: the key, recvWindow and timestamp,
 * signed over them sorted by name as a query string. */
static void
user_subscribe(struct bn_tr *t)
{
	char payload[256], sig[256], msg[640];
	struct qd_sign_req s;
	size_t n = 0;
	int64_t ts = vnow_ms(t);
	int len;

	if (bn_ws_subscribe_payload(payload, sizeof(payload), t->api_key,
	    t->recv_window, ts) < 0)
		return;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.alg = t->ed25519 ? QD_SIGN_ED25519 : QD_SIGN_HMAC_SHA256;
	s.enc = t->ed25519 ? QD_ENC_BASE64 : QD_ENC_HEX;
	s.secret = secret_name(t);
	s.msg = payload;
	s.msg_len = strlen(payload);
	if (t->api->sign(t->ctx, &s, sig, sizeof(sig), &n) != QD_OK)
		return;
	len = snprintf(msg, sizeof(msg), "{\"id\":\"uds%llu\",\"method\":"
		"\"userDataStream.subscribe.signature\",\"params\":{\"apiKey\":"
		"\"%s\",\"recvWindow\":%ld,\"timestamp\":%lld,\"signature\":"
		"\"%s\"}}", (unsigned long long)++t->v->next_id, t->api_key,
		t->recv_window, (long long)ts, sig);
	if (len > 0 && (size_t)len < sizeof(msg))
		t->api->ws_send(t->ctx, t->user_conn, msg, (size_t)len);
}

void
bn_trade_start(struct bn_tr *t)
{
	char key[sizeof(t->api_key)], sig[256];
	struct qd_sign_req s;
	size_t n;

	t->tokens_ms = venue_now_ms(t->v);
	t->have_key = t->api->secret_get(t->ctx, "api_key", key,
		sizeof(key)) == QD_OK && key[0] != '\0';
	if (t->have_key)
		memcpy(t->api_key, key, sizeof(key));
	/* The signing key is only ever the host's: a signature of nothing
	 * says it is there (asked only with a key to use it with, so that a
	 * market-data instance makes the host log no missing secret). */
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.alg = t->ed25519 ? QD_SIGN_ED25519 : QD_SIGN_HMAC_SHA256;
	s.enc = t->ed25519 ? QD_ENC_BASE64 : QD_ENC_HEX;
	s.secret = secret_name(t);
	s.msg = "";
	t->have_secret = t->have_key && QD_API_HAS(t->api, sign) &&
		t->api->sign(t->ctx, &s, sig, sizeof(sig), &n) == QD_OK;
	load(t);
	if (!t->have_key || !t->have_secret) {
		venue_say(t->v, QD_LOG_INFO, "no secret \"%s\": market data "
			"only", !t->have_key ? "api_key" : secret_name(t));
		return;
	}
	fetch_time(t);
	if (t->api->timer_add(t->ctx, 3600LL * 1000000000, 3600LL * 1000000000,
	    &t->time_timer) != QD_OK)
		t->time_timer = 0;
	user_connect(t);
}

void
bn_trade_stop(struct bn_tr *t)
{
	t->stopping = 1;
	if (t->user_conn != 0)
		t->api->ws_close(t->ctx, t->user_conn);
}

void
bn_trade_free(struct bn_tr *t)
{
	size_t i;

	for (i = 0; i < BN_MAX_REQS; i++)
		free(t->reqs[i].after);
}

int
bn_trade_http(struct bn_tr *t, uint64_t id, int status, const char *body,
	size_t len)
{
	struct bn_req r;
	cJSON *j;
	size_t i;
	int paused;

	for (i = 0; i < BN_MAX_REQS && (t->reqs[i].http != id || id == 0);
	     i++)
		;
	if (i == BN_MAX_REQS)
		return 0;
	r = t->reqs[i];
	memset(&t->reqs[i], 0, sizeof(t->reqs[i]));
	venue_weigh(t->v);
	paused = venue_paused_by(t->v, status);
	j = body != NULL && len > 0 ? cJSON_ParseWithLength(body, len) : NULL;
	switch (r.kind) {
	case RQ_TIME: {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(j,
			"serverTime");

		if (status == 200 && cJSON_IsNumber(st))
			t->offset_ms = (int64_t)st->valuedouble -
				venue_now_ms(t->v);
		break;
	}
	case RQ_PLACE:
		on_place(t, &r, status, body, len, j);
		break;
	case RQ_CANCEL:
	case RQ_QUERY:
		on_order_answer(t, &r, status, body, len, j);
		break;
	case RQ_CANCEL_ALL:
		if (status == 200) {
			on_cancel_all(t, &r, j);
		} else {
			char reason[160], msg[96];
			int code;

			refusal(t, "cancel of every open order", status, body,
				len, reason, sizeof(reason), &code, msg);
		}
		break;
	case RQ_ACCOUNT:
		if (status == 200)
			on_account(t, j);
		else {
			char reason[160], msg[96];
			int code;

			refusal(t, "account", status, body, len, reason,
				sizeof(reason), &code, msg);
			t->sync_again |= paused;   /* again after the pause */
		}
		sync_step_done(t);
		break;
	case RQ_ORDERS:
		if (status == 200)
			on_orders(t, r.sub, j);
		else
			t->sync_again |= paused;
		sync_step_done(t);
		break;
	case RQ_TRADES:
		if (status == 200 && cJSON_IsArray(j)) {
			on_trades(t, &r, j);
		} else {
			if (r.order == 0)
				t->sync_again |= paused;
			for (i = 0; i < r.n_after; i++)
				emit_state(t, r.after[i].order,
					r.after[i].state, r.after[i].state ==
					QD_ORDER_PENDING ? NULL :
					r.after[i].reason, r.after[i].error);
			free(r.after);
		}
		if (r.order == 0)
			sync_step_done(t);
		break;
	}
	cJSON_Delete(j);
	return 1;
}

/* ---- the stream ----------------------------------------------------- */

int
bn_trade_ws_open(struct bn_tr *t, uint64_t conn)
{
	if (conn == 0 || conn != t->user_conn)
		return 0;
	user_subscribe(t);
	return 1;
}

/* The answer to the subscription: the stream is open, or refused. */
static void
on_answer(struct bn_tr *t, const struct bn_user *u)
{
	if (u->status == 200) {
		t->user_open = 1;
		t->ul.attempts = 0;
		venue_say(t->v, QD_LOG_INFO, "user data stream open");
		/* What happened while it was not: over REST. */
		bn_sync(t);
		return;
	}
	venue_say(t->v, QD_LOG_WARN, "user data stream refused: status %d, "
		"binance %d: %s", u->status, u->code, u->msg);
	t->api->ws_close(t->ctx, t->user_conn);   /* retried with backoff */
}

static void
on_exec(struct bn_tr *t, const struct bn_exec *x)
{
	uint64_t order = qd_client_order_id_parse(x->cid);
	long sub = sub_of_native(t, x->symbol);
	enum qd_order_state st;

	if (order == 0 || sub < 0)
		return;   /* not ours */
	remember(t, x->order_id, order, (size_t)sub);
	if (strcmp(x->exec_type, "TRADE") == 0 && x->last_qty > 0) {
		emit_fill(t, order, (size_t)sub, x);
		return;
	}
	st = state_of(x->status);
	if (st == QD_ORDER_REJECTED) {
		char reason[160];

		snprintf(reason, sizeof(reason), "binance rejected: %s",
			x->reject);
		venue_say(t->v, QD_LOG_WARN, "order %llu rejected: %s",
			(unsigned long long)order, x->reject);
		emit_state(t, order, st, reason, QD_ERR_INVALID);
	} else if (st != 0) {
		report_order(t, order, (size_t)sub, x);
	}
}

int
bn_trade_ws_message(struct bn_tr *t, uint64_t conn, const char *data,
	size_t len)
{
	struct bn_user u;
	struct qd_balance b;
	int i;

	if (conn == 0 || conn != t->user_conn)
		return 0;
	if (bn_parse_user(data, len, &u) != 0) {
		venue_malformed(t->v, u.error, data, len);
		return 1;
	}
	if (u.kind == BN_U_ANSWER) {
		on_answer(t, &u);
	} else if (u.kind == BN_U_EXEC) {
		on_exec(t, &u.x);
	} else if (u.kind == BN_U_BALANCE) {
		for (i = 0; i < u.n_bal; i++) {
			memset(&b, 0, sizeof(b));
			b.size = sizeof(b);
			b.asset = u.bal[i].asset;
			b.free = u.bal[i].free;
			b.total = u.bal[i].free + u.bal[i].locked;
			b.ts = u.ts_ms * 1000000;
			t->api->emit_balance(t->ctx, &b);
		}
	}
	return 1;
}

int
bn_trade_ws_close(struct bn_tr *t, uint64_t conn, int code,
	const char *reason)
{
	if (conn == 0 || conn != t->user_conn)
		return 0;
	t->user_conn = 0;
	t->user_open = 0;
	if (t->stopping)
		return 1;
	venue_say(t->v, QD_LOG_WARN, "user data stream lost (%d %s); "
		"reconnecting", code, reason ? reason : "");
	user_retry(t);
	return 1;
}

int
bn_trade_timer(struct bn_tr *t, uint64_t id)
{
	if (id == 0)
		return 0;
	if (id == t->retry_timer) {
		t->retry_timer = 0;
		user_connect(t);
		return 1;
	}
	if (id == t->sync_timer) {
		t->sync_timer = 0;
		bn_sync(t);
		return 1;
	}
	if (id == t->time_timer) {
		fetch_time(t);
		return 1;
	}
	return 0;
}
