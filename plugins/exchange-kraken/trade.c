/*
 * trade.c -- Kraken spot trading (see trade.h).
 *
 * Every private REST call is a POST to `rest_url`/0/private/<Method> with
 * a form-encoded body holding a nonce, the header API-Key (secret
 * "api_key") and API-Sign: Base64 HMAC-SHA512, keyed with the
 * Base64-decoded secret "api_secret", of the URI path followed by
 * SHA-256(nonce + body) -- computed by the host (api->sign), which never
 * shows the adapter the secret.  Nonces are microseconds, strictly
 * increasing across restarts: a high-water mark reserved a second ahead
 * is kept with state_save, and a nonce is max(now, last + 1).
 *
 * Orders go as AddOrder under cl_ord_id = qd_client_order_id(order), with
 * oflags fciq (fees in the quote asset) and a deadline 10 s ahead on the
 * venue's clock (fetched at start and hourly from /0/public/Time): Kraken
 * drops an order still queued past it.  A refusal naming a duplicate
 * client id is an order that got there before a crash: it is queried.
 *
 * The account stream is the private WebSocket v2 (`ws_auth_url`), opened
 * with a token from GetWebSocketsToken and subscribed to `executions`
 * (with the open orders' snapshot) and `balances`.  Executions carry the
 * order's state and each fill (exec_id, last_qty, last_price, fees,
 * liquidity_ind); they go to the host as order updates, fills with the
 * venue's exec id as trade id (the host applies one once).  After a loss
 * the stream comes back with backoff and, once it has stayed open a
 * second, account_sync runs, so what
 * happened meanwhile is fetched: BalanceEx, OpenOrders, ClosedOrders and
 * TradesHistory since the last fill reported (persisted; the last 24 h on
 * a first run).  Terminal states (canceled, expired) fetched over REST are
 * held until the fills of the same pass are reported, so no fill ever
 * follows its order's end.
 *
 * Rates: REST calls count against Kraken's per-key counter (15, decaying
 * 0.33/s: TradesHistory costs 2; a reconcile waits until the counter has
 * room for all of its calls), orders against the trading engine's
 * per-pair counter (modelled as 60 decaying 1/s).  A call that would
 * overflow, or any call during a pause (after HTTP 429/418 or a "Rate
 * limit"/"Throttled" error: Retry-After, else 15 s), is not sent:
 * QD_ERR_LIMIT.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "parse.h"
#include "trade.h"
#include "trade_parse.h"

#define NONCE_RESERVE 1000000ULL
#define DAY_MS 86400000LL
#define REST_MAX 15.0
#define REST_DECAY 0.33
#define ORDER_MAX 60.0
#define ORDER_DECAY 1.0
#define PAUSE_DEFAULT_MS 15000
#define PING_MS 30000
#define HOUR_NS 3600000000000LL
#define SETTLE_MS 1000
#define RESUME_MARGIN_MS 600000LL
#define SYNC_COST 5.0   /* BalanceEx, OpenOrders, ClosedOrders 1 each,
                           TradesHistory 2 */

enum kt_kind {
	RQ_TIME = 1, RQ_TOKEN, RQ_ADD, RQ_CANCEL, RQ_CANCEL_ALL,
	RQ_Q_OPEN, RQ_Q_CLOSED, RQ_BALANCE, RQ_S_OPEN, RQ_S_CLOSED, RQ_TRADES,
};

static const char *const method_of[] = { "", "/0/public/Time",
	"/0/private/GetWebSocketsToken", "/0/private/AddOrder",
	"/0/private/CancelOrder", "/0/private/CancelAll",
	"/0/private/OpenOrders",
	"/0/private/ClosedOrders", "/0/private/BalanceEx",
	"/0/private/OpenOrders", "/0/private/ClosedOrders",
	"/0/private/TradesHistory" };

static int64_t
now_ms(const struct kr_trade *t)
{
	return venue_now_ms(t->v);
}

/* The venue's time: timestamps of the updates we report. */
static int64_t
venue_ts(const struct kr_trade *t)
{
	return (now_ms(t) + t->offset_ms) * 1000000;
}

static void
save(struct kr_trade *t)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "kraken1 %llu %lld\n",
		(unsigned long long)t->nonce_reserved,
		(long long)t->fills_since_ms);

	if (t->v->api->state_save(t->v->ctx, buf, (size_t)n) != QD_OK)
		venue_say(t->v, QD_LOG_WARN, "cannot save the nonce mark");
}

static void
load(struct kr_trade *t)
{
	char buf[96];
	size_t len = 0;
	unsigned long long n;
	long long s;

	if (t->v->api->state_load(t->v->ctx, buf, sizeof(buf) - 1, &len) !=
	    QD_OK || len >= sizeof(buf))
		return;
	buf[len] = '\0';
	if (sscanf(buf, "kraken1 %llu %lld", &n, &s) == 2) {
		t->nonce_last = t->nonce_reserved = n;
		/* The mark may be ahead of what the host made durable before
		 * a crash: a margin back (fills seen again change nothing). */
		t->fills_since_ms = s > RESUME_MARGIN_MS ? s - RESUME_MARGIN_MS :
			0;
	}
}

static uint64_t
next_nonce(struct kr_trade *t)
{
	uint64_t n = (uint64_t)t->v->api->now_ns(t->v->ctx) / 1000;

	if (n <= t->nonce_last)
		n = t->nonce_last + 1;
	t->nonce_last = n;
	if (n >= t->nonce_reserved) {
		t->nonce_reserved = n + NONCE_RESERVE;
		save(t);
	}
	return n;
}

static void
refill(struct kr_trade *t)
{
	int64_t now = now_ms(t);
	double dt = (double)(now - t->bucket_ms) / 1000.0;

	t->bucket_ms = now;
	t->rest_tokens += dt * REST_DECAY;
	if (t->rest_tokens > REST_MAX)
		t->rest_tokens = REST_MAX;
	t->order_tokens += dt * ORDER_DECAY;
	if (t->order_tokens > ORDER_MAX)
		t->order_tokens = ORDER_MAX;
}

/* ms until the REST counter has room for `cost` (and any pause is over). */
static int64_t
rest_wait_ms(struct kr_trade *t, double cost)
{
	int64_t now = now_ms(t), w = 0;

	refill(t);
	if (t->rest_tokens < cost)
		w = (int64_t)((cost - t->rest_tokens) / REST_DECAY * 1000) + 1;
	if (t->paused_until_ms - now > w)
		w = t->paused_until_ms - now;
	return w;
}

/* Refill the buckets; 0 if `cost` fits the one asked (and takes it). */
static int
take(struct kr_trade *t, int order, double cost)
{
	refill(t);
	if (now_ms(t) < t->paused_until_ms)
		return -1;
	if (order) {
		if (t->order_tokens < cost)
			return -1;
		t->order_tokens -= cost;
	} else {
		if (t->rest_tokens < cost)
			return -1;
		t->rest_tokens -= cost;
	}
	return 0;
}

static void
pause_rest(struct kr_trade *t, int64_t ms, const char *why)
{
	t->paused_until_ms = now_ms(t) + ms;
	venue_say(t->v, QD_LOG_WARN, "Kraken refused for its rate limit (%s): "
		"no private REST call for %lld ms", why, (long long)ms);
}

/* Send a private call (or the public Time) with `fields` (form-encoded,
 * "" for none) after the nonce; or a ready AddOrder body. */
static int
send_req(struct kr_trade *t, int kind, uint64_t order, const char *fields,
	const char *ready_body, uint64_t ready_nonce, long ofs)
{
	const char *path = method_of[kind];
	char url[512], body[1024], msg2[1100], sig[128];
	struct qd_kv h[3];
	struct qd_http_request r;
	struct qd_sign_req s;
	size_t i, siglen = 0;
	uint64_t id, nonce;
	int rc, priv = kind != RQ_TIME;
	double cost = kind == RQ_TRADES ? 2.0 : 1.0;
	int order_call = kind == RQ_ADD || kind == RQ_CANCEL;

	for (i = 0; i < KT_MAX_REQS && t->reqs[i].http != 0; i++)
		;
	if (i == KT_MAX_REQS)
		return QD_ERR_LIMIT;
	if (priv && !t->have_key) {
		venue_say(t->v, QD_LOG_ERROR, "cannot trade: the secret "
			"\"api_key\" is not configured");
		return QD_ERR_DENIED;
	}
	/* The public Time counts against the IP's limit, not the key's. */
	if (priv && take(t, order_call, cost) != 0)
		return QD_ERR_LIMIT;
	snprintf(url, sizeof(url), "%s%s", t->v->rest_url, path);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.url = url;
	if (priv) {
		if (ready_body != NULL) {
			nonce = ready_nonce;
			snprintf(body, sizeof(body), "%s", ready_body);
		} else {
			nonce = next_nonce(t);
			snprintf(body, sizeof(body), "nonce=%llu%s%s",
				(unsigned long long)nonce, fields[0] ? "&" : "",
				fields);
		}
		snprintf(msg2, sizeof(msg2), "%llu%s",
			(unsigned long long)nonce, body);
		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		s.alg = QD_SIGN_HMAC_SHA512_B64KEY;
		s.enc = QD_ENC_BASE64;
		s.secret = "api_secret";
		s.msg = path;
		s.msg_len = strlen(path);
		s.msg2 = msg2;
		s.msg2_len = strlen(msg2);
		if ((rc = t->v->api->sign(t->v->ctx, &s, sig, sizeof(sig),
		    &siglen)) != QD_OK) {
			venue_say(t->v, QD_LOG_ERROR, "cannot sign %s with the "
				"secret \"api_secret\": %s", path,
				qd_strerror(rc));
			return rc == QD_ERR_NOTFOUND ? QD_ERR_DENIED : rc;
		}
		h[0].key = "API-Key";
		h[0].value = t->api_key;
		h[1].key = "API-Sign";
		h[1].value = sig;
		h[2].key = "Content-Type";
		h[2].value = "application/x-www-form-urlencoded";
		r.method = "POST";
		r.headers = h;
		r.n_headers = 3;
		r.body = body;
		r.body_len = strlen(body);
	} else {
		r.method = "GET";
	}
	if ((rc = t->v->api->http_request(t->v->ctx, &r, &id)) != QD_OK)
		return rc;
	t->reqs[i].http = id;
	t->reqs[i].kind = kind;
	t->reqs[i].order = order;
	t->reqs[i].ofs = ofs;
	return QD_OK;
}

/* ---- orders and their ids ------------------------------------------ */

static struct kt_tx *
tx_find(struct kr_trade *t, const char *txid)
{
	size_t i;

	for (i = 0; txid[0] && i < KT_MAX_TX; i++)
		if (strcmp(t->tx[i].txid, txid) == 0)
			return &t->tx[i];
	return NULL;
}

static struct kt_tx *
tx_of_order(struct kr_trade *t, uint64_t order)
{
	size_t i;

	for (i = 0; order && i < KT_MAX_TX; i++)
		if (t->tx[i].order == order)
			return &t->tx[i];
	return NULL;
}

static void
tx_learn(struct kr_trade *t, const char *txid, uint64_t order,
	qd_symbol sym)
{
	struct kt_tx *x;

	if (txid[0] == '\0' || order == 0)
		return;
	if ((x = tx_find(t, txid)) == NULL &&
	    (x = tx_of_order(t, order)) == NULL) {
		x = &t->tx[t->tx_next];
		t->tx_next = (t->tx_next + 1) % KT_MAX_TX;
		memset(x, 0, sizeof(*x));
	}
	snprintf(x->txid, sizeof(x->txid), "%s", txid);
	x->order = order;
	if (sym != 0)
		x->sym = sym;
}

/* Our order of an answer's item: by client id, else by venue id. */
static uint64_t
order_of(struct kr_trade *t, const struct kr_priv *p)
{
	uint64_t o = qd_client_order_id_parse(p->cl_ord_id);
	struct kt_tx *x;

	if (o == 0 && (x = tx_find(t, p->txid)) != NULL)
		o = x->order;
	return o;
}

static void
emit(struct kr_trade *t, uint64_t order, enum qd_order_state st,
	const char *reason, int error)
{
	struct qd_order_update u;
	char cid[16];

	qd_client_order_id(order, cid, sizeof(cid));
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = order;
	u.state = st;
	u.ts = venue_ts(t);
	u.reason = reason;
	u.client_id = cid;
	u.error = error;
	t->v->api->emit_order_update(t->v->ctx, &u);
}

/* A venue refusal: "kraken EOrder: Insufficient funds" as the reason. */
static void
refuse(struct kr_trade *t, uint64_t order, const char *what,
	const char *err)
{
	char reason[128], code[32];
	const char *colon = strchr(err, ':');
	int st = kr_error_status(err);

	snprintf(code, sizeof(code), "%.*s", colon ? (int)(colon - err) :
		(int)strlen(err), err);
	snprintf(reason, sizeof(reason), "kraken %s: %s", code,
		colon ? colon + 1 : err);
	venue_say(t->v, QD_LOG_WARN, "%s of order %llu refused: %s", what,
		(unsigned long long)order, reason);
	emit(t, order, QD_ORDER_REJECTED, reason, st);
}

/* A fill in the quote asset: a fee in the base converted at the fill's
 * price; another asset's fee is not the account's to book (0). */
static double
fee_quote(struct kr_trade *t, qd_symbol sym, const struct kr_priv *p)
{
	const char *name = sym ? t->v->api->symbol_name(t->v->ctx, sym) : NULL;
	const char *slash = name ? strchr(name, '/') : NULL;

	if (p->fee_asset[0] == '\0' || p->fee == 0)
		return p->fee;
	if (slash != NULL && strcmp(slash + 1, p->fee_asset) == 0)
		return p->fee;
	if (slash != NULL && strlen(p->fee_asset) == (size_t)(slash - name) &&
	    strncmp(name, p->fee_asset, (size_t)(slash - name)) == 0)
		return p->fee * p->last_price;
	venue_say(t->v, QD_LOG_DEBUG, "fee of %g %s on trade %s not booked "
		"(neither asset of the pair)", p->fee, p->fee_asset,
		p->trade_id);
	return 0;
}

static void
emit_fill(struct kr_trade *t, uint64_t order, const struct kr_priv *p)
{
	struct kt_tx *x = tx_of_order(t, order);
	struct qd_order_update u;
	char cid[16];

	qd_client_order_id(order, cid, sizeof(cid));
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = order;
	u.state = p->status == KS_FILLED ? QD_ORDER_FILLED : QD_ORDER_PARTIAL;
	u.ts = p->ts_ms > 0 ? p->ts_ms * 1000000 : venue_ts(t);
	u.qty = p->qty;
	u.price = p->price;
	u.filled_qty = p->cum_qty;
	u.avg_price = p->avg_price;
	u.last_qty = p->last_qty;
	u.last_price = p->last_price;
	u.fee = fee_quote(t, x ? x->sym : 0, p);
	u.trade_id = p->trade_id;
	u.client_id = cid;
	u.maker = p->maker;
	t->v->api->emit_order_update(t->v->ctx, &u);
	if (p->ts_ms > t->fills_since_ms) {
		t->fills_since_ms = p->ts_ms;
		save(t);
	}
}

static void
hold(struct kr_trade *t, uint64_t order, enum qd_order_state st,
	const char *reason)
{
	struct kt_held *h;

	if (t->n_held == KT_MAX_HELD) {
		emit(t, order, st, reason, 0);   /* no room: now */
		return;
	}
	h = &t->held[t->n_held++];
	h->order = order;
	h->state = st;
	h->error = 0;
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
}

static void
release_held(struct kr_trade *t)
{
	size_t i;

	for (i = 0; i < t->n_held; i++)
		emit(t, t->held[i].order, t->held[i].state,
			t->held[i].reason, t->held[i].error);
	t->n_held = 0;
}

static void
state_reason(const struct kr_priv *p, char *out, size_t cap)
{
	snprintf(out, cap, "%s at Kraken%s%s", p->status == KS_EXPIRED ?
		"expired" : "canceled", p->reason[0] ? ": " : "", p->reason);
}

/* ---- the fills pass and the reconcile ------------------------------ */

static int
fetch_trades(struct kr_trade *t, long ofs)
{
	char f[96];
	int64_t since = t->fills_since_ms > 0 ? t->fills_since_ms :
		now_ms(t) + t->offset_ms - DAY_MS;

	if (ofs == 0) {
		t->sync_start_ms = since;
		t->sync_max_ms = since;
	}
	/* `start` is exclusive and in seconds: a second back, the fills of
	 * that second are asked again (the host applies each once). */
	snprintf(f, sizeof(f), "start=%lld&ofs=%ld",
		(long long)(t->sync_start_ms / 1000 - 1), ofs);
	return send_req(t, RQ_TRADES, 0, f, NULL, 0, ofs);
}

static int place_now(struct kr_trade *t, uint64_t order,
	const struct qd_order_req *r);

/* The places held for the first reconcile: an order it found at the
 * venue (it got there before a crash) is queried, not placed again --
 * Kraken refuses a duplicate cl_ord_id among open orders only. */
static void
release_queued(struct kr_trade *t)
{
	size_t i, n = t->n_queued;
	struct kt_tx *x;
	int rc;

	t->n_queued = 0;
	for (i = 0; i < n; i++) {
		const struct kt_queued *q = &t->queued[i];

		x = tx_of_order(t, q->order);
		if (x != NULL && x->txid[0] != '\0') {
			venue_say(t->v, QD_LOG_INFO, "order %llu is at Kraken "
				"already (%s): querying it, not placing it",
				(unsigned long long)q->order, x->txid);
			rc = kt_query(t, q->order);
		} else
			rc = place_now(t, q->order, &q->req);
		if (rc != QD_OK) {
			venue_say(t->v, QD_LOG_WARN, "order %llu not sent: %s",
				(unsigned long long)q->order, qd_strerror(rc));
			emit(t, q->order, QD_ORDER_REJECTED, qd_strerror(rc),
				rc);
		}
	}
}

static void
sync_done(struct kr_trade *t)
{
	release_held(t);
	t->syncing = 0;
	t->synced = 1;
	release_queued(t);
	if (t->sync_again) {
		t->sync_again = 0;
		kt_sync(t);
	}
}

/* A reconcile could not be sent (a pause, the counter full): again when
 * the counter has room for all of it, so that no call of a pass is spent
 * on one that stops half way. */
static void
sync_later(struct kr_trade *t)
{
	int64_t ms = rest_wait_ms(t, SYNC_COST);

	t->syncing = 0;
	if (t->sync_timer == 0 && t->v->api->timer_add(t->v->ctx,
	    (ms > 100 ? ms : 100) * 1000000, 0, &t->sync_timer) != QD_OK)
		t->sync_timer = 0;
}

int
kt_sync(struct kr_trade *t)
{
	int rc;

	if (!t->have_key)
		return QD_ERR_DENIED;
	if (t->syncing) {
		t->sync_again = 1;
		return QD_OK;
	}
	if (rest_wait_ms(t, SYNC_COST) > 0) {
		sync_later(t);
		return QD_OK;
	}
	if ((rc = send_req(t, RQ_BALANCE, 0, "", NULL, 0, 0)) == QD_OK)
		t->syncing = 1;
	else if (rc == QD_ERR_LIMIT)
		sync_later(t);
	return rc;
}

/* ---- the private WebSocket ----------------------------------------- */

static void
ws_connect(struct kr_trade *t)
{
	int rc;

	if (t->stopping || !t->have_key)
		return;
	if ((rc = send_req(t, RQ_TOKEN, 0, "", NULL, 0, 0)) != QD_OK) {
		venue_say(t->v, QD_LOG_WARN, "no account stream token asked: "
			"%s", qd_strerror(rc));
		if (t->retry_timer == 0 && t->v->api->timer_add(t->v->ctx,
		    venue_backoff_ms(t->v, &t->link) * 1000000, 0,
		    &t->retry_timer) != QD_OK)
			t->retry_timer = 0;
	}
}

static void
ws_lost(struct kr_trade *t)
{
	t->conn = 0;
	t->open = 0;
	t->lost = 1;
	if (t->stopping)
		return;
	if (t->retry_timer == 0 && t->v->api->timer_add(t->v->ctx,
	    venue_backoff_ms(t->v, &t->link) * 1000000, 0,
	    &t->retry_timer) != QD_OK)
		t->retry_timer = 0;
}

static void
ws_subscribe(struct kr_trade *t, const char *token)
{
	char msg[512];
	int n, rc;

	n = snprintf(msg, sizeof(msg), "{\"method\":\"subscribe\",\"params\":"
		"{\"channel\":\"executions\",\"token\":\"%s\",\"snap_orders\":"
		"true,\"snap_trades\":false}}", token);
	if ((rc = t->v->api->ws_send(t->v->ctx, t->conn, msg, (size_t)n)) ==
	    QD_OK) {
		n = snprintf(msg, sizeof(msg), "{\"method\":\"subscribe\","
			"\"params\":{\"channel\":\"balances\",\"token\":\"%s\","
			"\"snapshot\":true}}", token);
		rc = t->v->api->ws_send(t->v->ctx, t->conn, msg, (size_t)n);
	}
	if (rc != QD_OK)
		venue_say(t->v, QD_LOG_WARN, "account stream subscribe not "
			"sent: %s", qd_strerror(rc));
}

struct rest_ctx {
	struct kr_trade *t;
	struct kt_req r;
	int found;
};

static void
on_balance(struct kr_trade *t, const struct kr_priv *p)
{
	struct qd_balance b;

	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.asset = p->asset;
	b.total = p->total;
	b.free = p->free;
	b.ts = venue_ts(t);
	b.last = p->last;
	t->v->api->emit_balance(t->v->ctx, &b);
}

/* An order's state as the account stream or a REST list says it. */
static void
on_order_state(struct kr_trade *t, uint64_t order, const struct kr_priv *p,
	int from_rest)
{
	char reason[128];

	switch (p->status) {
	case KS_OPEN:
		emit(t, order, QD_ORDER_PENDING, NULL, 0);
		break;
	case KS_CANCELED:
	case KS_EXPIRED:
		state_reason(p, reason, sizeof(reason));
		if (from_rest)
			hold(t, order, p->status == KS_EXPIRED ?
				QD_ORDER_EXPIRED : QD_ORDER_CANCELED, reason);
		else
			emit(t, order, p->status == KS_EXPIRED ?
				QD_ORDER_EXPIRED : QD_ORDER_CANCELED, reason,
				0);
		break;
	case KS_FILLED:
	case KS_NONE:
		break;   /* fills move it */
	}
}

static void
on_ws_item(void *arg, const struct kr_priv *p)
{
	struct kr_trade *t = arg;
	uint64_t order;

	switch (p->kind) {
	case KP_BALANCE:
		on_balance(t, p);
		return;
	case KP_ACK:
		if (!p->ok)
			venue_say(t->v, QD_LOG_WARN, "account stream refused "
				"a request: %s", p->error);
		return;
	case KP_ORDER:
	case KP_FILL:
		break;
	default:
		return;
	}
	if ((order = order_of(t, p)) == 0)
		return;   /* not ours */
	tx_learn(t, p->txid, order, p->symbol[0] ? t->v->api->symbol_intern(
		t->v->ctx, p->symbol) : 0);
	if (p->kind == KP_FILL)
		emit_fill(t, order, p);
	else if (strcmp(p->exec_type, "filled") != 0)
		on_order_state(t, order, p, 0);
}

int
kt_on_ws_open(struct kr_trade *t, uint64_t conn)
{
	if (conn == 0 || conn != t->conn)
		return 0;
	t->open = 1;
	t->link.attempts = 0;
	venue_say(t->v, QD_LOG_INFO, "account stream open");
	ws_subscribe(t, t->token);
	memset(t->token, 0, sizeof(t->token));
	if (t->lost && t->settle_timer == 0 && t->v->api->timer_add(t->v->ctx,
	    (int64_t)SETTLE_MS * 1000000, 0, &t->settle_timer) != QD_OK)
		t->settle_timer = 0;
	return 1;
}

int
kt_on_ws_message(struct kr_trade *t, uint64_t conn, const char *data,
	size_t len)
{
	char why[96];

	if (conn == 0 || conn != t->conn)
		return 0;
	if (kr_parse_private_ws(data, len, on_ws_item, t, why) < 0)
		venue_malformed(t->v, why, data, len);
	return 1;
}

int
kt_on_ws_close(struct kr_trade *t, uint64_t conn)
{
	if (conn == 0 || conn != t->conn)
		return 0;
	venue_say(t->v, QD_LOG_WARN, "account stream lost; reconnecting");
	ws_lost(t);
	return 1;
}

/* ---- REST answers --------------------------------------------------- */

static void
on_rest_item(void *arg, const struct kr_priv *p)
{
	struct rest_ctx *c = arg;
	struct kr_trade *t = c->t;
	uint64_t order;
	int rc;

	switch (p->kind) {
	case KP_TIME:
		t->offset_ms = p->ts_ms - now_ms(t);
		return;
	case KP_TOKEN:
		snprintf(t->token, sizeof(t->token), "%s", p->token);
		if ((rc = t->v->api->ws_open(t->v->ctx, t->ws_auth_url, NULL, 0,
		    &t->conn)) != QD_OK) {
			venue_say(t->v, QD_LOG_ERROR, "cannot open %s: %s",
				t->ws_auth_url, qd_strerror(rc));
			ws_lost(t);
		}
		return;
	case KP_ADDED:
		tx_learn(t, p->txid, c->r.order, 0);
		emit(t, c->r.order, QD_ORDER_PENDING, NULL, 0);
		return;
	case KP_BALANCE:
		on_balance(t, p);
		return;
	case KP_CANCELED:
		return;
	case KP_ORDER:
		if ((order = order_of(t, p)) == 0)
			return;
		tx_learn(t, p->txid, order, 0);
		c->found = p->cum_qty > 0 ? 2 : 1;
		on_order_state(t, order, p, 1);
		return;
	case KP_FILL:
		if ((order = order_of(t, p)) == 0)
			return;
		emit_fill(t, order, p);
		if (p->ts_ms > t->sync_max_ms)
			t->sync_max_ms = p->ts_ms;
		return;
	default:
		return;
	}
}

/* The next step of the reconcile after `kind` answered. */
static void
sync_next(struct kr_trade *t, int kind)
{
	char f[64];
	int64_t since = t->fills_since_ms > 0 ? t->fills_since_ms :
		now_ms(t) + t->offset_ms - DAY_MS;
	int rc = QD_OK;

	switch (kind) {
	case RQ_BALANCE:
		rc = send_req(t, RQ_S_OPEN, 0, "", NULL, 0, 0);
		break;
	case RQ_S_OPEN:
		snprintf(f, sizeof(f), "start=%lld",
			(long long)(since / 1000 - 60));
		rc = send_req(t, RQ_S_CLOSED, 0, f, NULL, 0, 0);
		break;
	case RQ_S_CLOSED:
		rc = fetch_trades(t, 0);
		break;
	}
	if (rc == QD_ERR_LIMIT) {
		t->n_held = 0;
		sync_later(t);
	} else if (rc != QD_OK) {
		venue_say(t->v, QD_LOG_WARN, "reconcile stopped: %s",
			qd_strerror(rc));
		sync_done(t);
	}
}

static int
rest_kind(int kind)
{
	switch (kind) {
	case RQ_TIME: return KR_R_TIME;
	case RQ_TOKEN: return KR_R_TOKEN;
	case RQ_ADD: return KR_R_ADD;
	case RQ_CANCEL: case RQ_CANCEL_ALL: return KR_R_CANCEL;
	case RQ_BALANCE: return KR_R_BALANCE;
	case RQ_TRADES: return KR_R_TRADES;
	default: return KR_R_ORDERS;
	}
}

/* A refusal of request r (err the venue's text; HTTP errors as "HTTP n"). */
static void
on_refused(struct kr_trade *t, const struct kt_req *r, const char *err)
{
	switch (r->kind) {
	case RQ_ADD:
		if (kr_error_status(err) == QD_ERR_STATE) {
			/* It reached the venue before: ask what it is. */
			venue_say(t->v, QD_LOG_INFO, "order %llu is at Kraken "
				"already (%s): querying it",
				(unsigned long long)r->order, err);
			kt_query(t, r->order);
			return;
		}
		refuse(t, r->order, "place", err);
		return;
	case RQ_CANCEL:
		venue_say(t->v, QD_LOG_WARN, "cancel of order %llu refused: "
			"%s", (unsigned long long)r->order, err);
		if (r->order != 0)
			kt_query(t, r->order);   /* what it is, then */
		return;
	case RQ_Q_OPEN:
	case RQ_Q_CLOSED:
		venue_say(t->v, QD_LOG_WARN, "query of order %llu failed: %s",
			(unsigned long long)r->order, err);
		return;
	case RQ_TOKEN:
		venue_say(t->v, QD_LOG_ERROR, "no account stream: "
			"GetWebSocketsToken refused: %s", err);
		ws_lost(t);
		return;
	case RQ_BALANCE:
	case RQ_S_OPEN:
	case RQ_S_CLOSED:
	case RQ_TRADES:
		venue_say(t->v, QD_LOG_WARN, "reconcile: %s refused: %s",
			method_of[r->kind], err);
		t->n_held = 0;
		if (kr_error_status(err) == QD_ERR_LIMIT)
			sync_later(t);
		else
			sync_done(t);
		return;
	default:
		venue_say(t->v, QD_LOG_WARN, "%s refused: %s",
			method_of[r->kind], err);
		return;
	}
}

int
kt_on_http(struct kr_trade *t, uint64_t id, int status, const char *body,
	size_t len)
{
	struct rest_ctx c;
	char err[96], ra[32];
	long n, total = 0;
	size_t i;

	for (i = 0; i < KT_MAX_REQS && (t->reqs[i].http != id || id == 0);
	     i++)
		;
	if (i == KT_MAX_REQS)
		return 0;
	memset(&c, 0, sizeof(c));
	c.t = t;
	c.r = t->reqs[i];
	t->reqs[i].http = 0;
	if (status == 429 || status == 418) {
		int64_t ms = PAUSE_DEFAULT_MS;

		if (t->v->api->http_header(t->v->ctx, "retry-after", ra,
		    sizeof(ra)) == QD_OK && atol(ra) > 0)
			ms = atol(ra) * 1000;
		snprintf(err, sizeof(err), "EAPI:Rate limit exceeded (HTTP %d)",
			status);
		pause_rest(t, ms, err);
		on_refused(t, &c.r, err);
		return 1;
	}
	if (status != 200 || body == NULL) {
		snprintf(err, sizeof(err), "EService:HTTP %d", status);
		if (c.r.kind == RQ_ADD) {
			/* Unknown outcome: it may be at the venue. */
			kt_query(t, c.r.order);
			return 1;
		}
		on_refused(t, &c.r, err);
		return 1;
	}
	n = kr_parse_rest_private(rest_kind(c.r.kind), body, len, on_rest_item,
		&c, &total, err);
	if (n == -2) {
		if (kr_error_status(err) == QD_ERR_LIMIT)
			pause_rest(t, PAUSE_DEFAULT_MS, err);
		else if (strstr(err, "Invalid signature") != NULL ||
		    strstr(err, "Invalid key") != NULL)
			venue_say(t->v, QD_LOG_ERROR, "Kraken refused the "
				"credentials (%s): check the secrets "
				"\"api_key\" and \"api_secret\"", err);
		on_refused(t, &c.r, err);
		return 1;
	}
	if (n < 0) {
		venue_malformed(t->v, err, body, len);
		if (c.r.kind >= RQ_BALANCE)
			sync_done(t);
		return 1;
	}
	switch (c.r.kind) {
	case RQ_Q_OPEN: {
		char f[64], cid[16];

		if (c.found == 2 && !t->syncing) {
			/* Filled in part: its fills. */
			t->syncing = 1;
			if (fetch_trades(t, 0) != QD_OK)
				sync_done(t);
		}
		if (c.found)
			break;
		qd_client_order_id(c.r.order, cid, sizeof(cid));
		snprintf(f, sizeof(f), "cl_ord_id=%s", cid);
		if (send_req(t, RQ_Q_CLOSED, c.r.order, f, NULL, 0, 0) != QD_OK)
			venue_say(t->v, QD_LOG_WARN, "query of order %llu not "
				"sent", (unsigned long long)c.r.order);
		break;
	}
	case RQ_Q_CLOSED:
		if (!c.found) {
			emit(t, c.r.order, QD_ORDER_REJECTED,
				"kraken: unknown order", QD_ERR_NOTFOUND);
			break;
		}
		/* Its fills (a pass from the resume point), then its end. */
		if (!t->syncing) {
			t->syncing = 1;
			if (fetch_trades(t, 0) != QD_OK)
				sync_done(t);
		}
		break;
	case RQ_BALANCE:
	case RQ_S_OPEN:
	case RQ_S_CLOSED:
		sync_next(t, c.r.kind);
		break;
	case RQ_TRADES:
		if (n > 0 && c.r.ofs + n < total) {
			if (fetch_trades(t, c.r.ofs + n) == QD_OK)
				break;
		}
		sync_done(t);
		break;
	}
	return 1;
}

/* ---- the host's calls ----------------------------------------------- */

int
kt_place(struct kr_trade *t, uint64_t order, const struct qd_order_req *r)
{
	struct kt_queued *q;

	if (r->type != QD_ORDER_MARKET && r->type != QD_ORDER_LIMIT &&
	    r->type != QD_ORDER_STOP_LIMIT)
		return QD_ERR_UNSUPPORTED;   /* the host emulates it */
	if (r->tif == QD_TIF_FOK)
		return QD_ERR_UNSUPPORTED;   /* Kraken spot: GTC, IOC, GTD */
	if (t->synced || !t->have_key)
		return place_now(t, order, r);
	if (t->n_queued == KT_MAX_HELD)
		return QD_ERR_LIMIT;
	q = &t->queued[t->n_queued++];
	q->order = order;
	q->req = *r;
	q->req.tag = NULL;   /* the host's, valid for the call only */
	if (!t->syncing)
		kt_sync(t);
	return QD_OK;
}

static int
place_now(struct kr_trade *t, uint64_t order, const struct qd_order_req *r)
{
	const char *name = t->v->api->symbol_name(t->v->ctx, r->symbol);
	char cid[16], pair[40], qty[40], px[40], px2[40], dl[64], body[1024];
	struct kr_add a;
	uint64_t nonce;
	int64_t ms;
	int rc;

	if (!t->have_key) {
		venue_say(t->v, QD_LOG_ERROR, "order %llu not placed: the "
			"secret \"api_key\" is not configured",
			(unsigned long long)order);
		return QD_ERR_DENIED;
	}
	if (name == NULL || kr_rest_pair(name, pair, sizeof(pair)) != 0)
		return QD_ERR_INVALID;
	memset(&a, 0, sizeof(a));
	switch (r->type) {
	case QD_ORDER_MARKET:
		a.ordertype = "market";
		break;
	case QD_ORDER_LIMIT:
		a.ordertype = "limit";
		kr_decimal(r->price, px, sizeof(px));
		a.price = px;
		break;
	case QD_ORDER_STOP_LIMIT:
		/* Kraken's stop-loss-limit: price the trigger, price2 the
		 * limit. */
		a.ordertype = "stop-loss-limit";
		kr_decimal(r->stop_price, px, sizeof(px));
		kr_decimal(r->price, px2, sizeof(px2));
		a.price = px;
		a.price2 = px2;
		break;
	default:
		return QD_ERR_UNSUPPORTED;   /* the host emulates it */
	}
	switch (r->tif) {
	case QD_TIF_GTC:
		break;
	case QD_TIF_IOC:
		a.timeinforce = "IOC";
		break;
	case QD_TIF_POST_ONLY:
		a.oflags = "fciq,post";
		break;
	case QD_TIF_FOK:
		return QD_ERR_UNSUPPORTED;   /* no FOK on Kraken spot REST */
	}
	if (a.oflags == NULL)
		a.oflags = "fciq";
	qd_client_order_id(order, cid, sizeof(cid));
	kr_decimal(r->qty, qty, sizeof(qty));
	ms = now_ms(t) + t->offset_ms + 10000;
	kr_rfc3339(ms, dl, sizeof(dl));
	a.cl_ord_id = cid;
	a.deadline = dl;
	a.pair = pair;
	a.type = r->side == QD_SIDE_BUY ? "buy" : "sell";
	a.volume = qty;
	nonce = next_nonce(t);
	if (kr_add_body(body, sizeof(body), nonce, &a) < 0)
		return QD_ERR_INVALID;
	if ((rc = send_req(t, RQ_ADD, order, NULL, body, nonce, 0)) != QD_OK)
		return rc;
	{
		struct kt_tx *x = tx_of_order(t, order);

		/* The symbol, for its fees, until the venue names the
		 * order: a slot of its own now. */
		if (x == NULL) {
			x = &t->tx[t->tx_next];
			t->tx_next = (t->tx_next + 1) % KT_MAX_TX;
			memset(x, 0, sizeof(*x));
			x->order = order;
		}
		x->sym = r->symbol;
	}
	return QD_OK;
}

int
kt_cancel(struct kr_trade *t, uint64_t order)
{
	char f[64], cid[16];

	qd_client_order_id(order, cid, sizeof(cid));
	snprintf(f, sizeof(f), "cl_ord_id=%s", cid);
	return send_req(t, RQ_CANCEL, order, f, NULL, 0, 0);
}

int
kt_query(struct kr_trade *t, uint64_t order)
{
	char f[64], cid[16];

	qd_client_order_id(order, cid, sizeof(cid));
	snprintf(f, sizeof(f), "cl_ord_id=%s", cid);
	return send_req(t, RQ_Q_OPEN, order, f, NULL, 0, 0);
}

int
kt_cancel_all(struct kr_trade *t, qd_symbol sym)
{
	(void)sym;
	/* CancelAll: every open order of the key, ours or not (Kraken has
	 * no per-pair form; a symbol's orders go with the rest). */
	return send_req(t, RQ_CANCEL_ALL, 0, "", NULL, 0, 0);
}

/* ---- life ----------------------------------------------------------- */

void
kt_init(struct kr_trade *t, struct venue *v, const qd_params *p)
{
	t->v = v;
	snprintf(t->ws_auth_url, sizeof(t->ws_auth_url), "%s",
		v->api->param_string(p, "ws_auth_url"));
	t->rest_tokens = REST_MAX;
	t->order_tokens = ORDER_MAX;
}

int
kt_start(struct kr_trade *t)
{
	const struct qd_host_api *api = t->v->api;
	int rc;

	t->bucket_ms = now_ms(t);
	if (!QD_API_HAS(api, sign) || api->secret_get == NULL)
		return QD_OK;   /* a host without trading: market data only */
	load(t);
	rc = api->secret_get(t->v->ctx, "api_key", t->api_key,
		sizeof(t->api_key));
	t->have_key = rc == QD_OK && t->api_key[0] != '\0';
	if (!t->have_key) {
		memset(t->api_key, 0, sizeof(t->api_key));
		venue_say(t->v, QD_LOG_INFO, "no secret \"api_key\" (%s): "
			"market data only, orders are refused",
			qd_strerror(rc));
		return QD_OK;
	}
	send_req(t, RQ_TIME, 0, "", NULL, 0, 0);
	if (api->timer_add(t->v->ctx, HOUR_NS, HOUR_NS, &t->time_timer) !=
	    QD_OK)
		t->time_timer = 0;
	if (api->timer_add(t->v->ctx, (int64_t)PING_MS * 1000000,
	    (int64_t)PING_MS * 1000000, &t->ping_timer) != QD_OK)
		t->ping_timer = 0;
	ws_connect(t);
	return QD_OK;
}

void
kt_stop(struct kr_trade *t)
{
	t->stopping = 1;
	if (t->conn != 0)
		t->v->api->ws_close(t->v->ctx, t->conn);
	t->conn = 0;
}

int
kt_on_timer(struct kr_trade *t, uint64_t id)
{
	static const char ping[] = "{\"method\":\"ping\"}";

	if (id == 0)
		return 0;
	if (id == t->retry_timer) {
		t->retry_timer = 0;
		ws_connect(t);
	} else if (id == t->time_timer) {
		send_req(t, RQ_TIME, 0, "", NULL, 0, 0);
	} else if (id == t->ping_timer) {
		if (t->open)
			t->v->api->ws_send(t->v->ctx, t->conn, ping,
				sizeof(ping) - 1);
	} else if (id == t->settle_timer) {
		/* Open for SETTLE_MS after a loss: what happened while it was
		 * down is fetched once (a stream that flaps costs no reconcile
		 * per opening). */
		t->settle_timer = 0;
		if (t->open && t->lost) {
			t->lost = 0;
			kt_sync(t);
		}
	} else if (id == t->sync_timer) {
		t->sync_timer = 0;
		kt_sync(t);
	} else {
		return 0;
	}
	return 1;
}
