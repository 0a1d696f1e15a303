/*
 * trade.c -- OKX v5 spot trading for the okx adapter (tdMode cash).
 *
 * Every private REST call is signed as the venue documents it: Base64 of
 * HMAC-SHA256 over timestamp + METHOD + request path (with its query) +
 * body, by api->sign with the secret "api_secret" (the adapter never sees
 * it); OK-ACCESS-KEY and OK-ACCESS-PASSPHRASE are the secrets "api_key"
 * and "passphrase".  The timestamp is ours plus the offset to the venue's
 * clock (its /public/time, at start and hourly), and trading calls carry
 * expTime: the venue drops a request still queued after `recv_window_ms`.
 *
 * Orders go under the client id qd_client_order_id(order id).  The venue
 * answers a place with its order id (PENDING) or a refusal: "okx <code>:
 * <msg>" with the qd_status of the code, except a duplicate client id
 * (51016: the order reached the venue before a restart), which is looked
 * up instead.  Order states and fills come on the private WebSocket
 * (orders channel, one push per fill with its tradeId, fee and maker
 * flag) and from REST lookups; a final state of an order with fills not
 * yet reported is held until its fills are fetched, so none is lost.
 * After the private stream comes back from a loss, account_sync runs:
 * balances, the open orders, the fills since the last one reported (its
 * time saved with state_save, so a restart resumes there; the first run
 * looks 24 h back).
 *
 * The venue allows 60 order requests per 2 s and instrument; a token
 * bucket (`rate` a second) keeps the adapter under it, and HTTP 429 or
 * code 50011 pause REST (Retry-After, else 2 s): what cannot be sent is
 * QD_ERR_LIMIT.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "trade.h"
#include "trade_parse.h"

enum {
	RQ_TIME = 1, RQ_PLACE, RQ_CANCEL, RQ_QUERY, RQ_PENDING_CANCEL,
	RQ_BALANCE, RQ_OPEN, RQ_FILLS, RQ_ORDER_FILLS
};

#define PAUSE_MS 2000           /* after a rate limit without Retry-After */
#define DAY_MS 86400000LL
#define STATE_MAGIC "okx-fills "

static int64_t
now_ms(const struct okx_trade *t)
{
	return t->v->api->now_ns(t->v->ctx) / 1000000;
}

/* ---- orders the adapter knows -------------------------------------------- */

static struct okt_order *
order_find(struct okx_trade *t, uint64_t id)
{
	size_t i;

	for (i = 0; id != 0 && i < OKT_MAX_ORDERS; i++)
		if (t->orders[i].id == id)
			return &t->orders[i];
	return NULL;
}

/* The entry of `id`, made if new: a free slot, else the oldest order
 * already reported final, else the oldest. */
static struct okt_order *
order_get(struct okx_trade *t, uint64_t id)
{
	struct okt_order *o = order_find(t, id), *best = NULL;
	size_t i;

	if (o != NULL)
		return o;
	for (i = 0; i < OKT_MAX_ORDERS; i++) {
		struct okt_order *c = &t->orders[i];

		if (c->id == 0) {
			best = c;
			break;
		}
		if (best == NULL || (c->terminal && !best->terminal) ||
		    (c->terminal == best->terminal && c->seq < best->seq))
			best = c;
	}
	memset(best, 0, sizeof(*best));
	best->id = id;
	best->seq = ++t->seq;
	return best;
}

/* ---- signed REST ----------------------------------------------------------- */

/* Take a token of the bucket: 0 if REST may go now. */
static int
take_token(struct okx_trade *t)
{
	int64_t now = now_ms(t);

	if (now < t->paused_until)
		return -1;
	t->tokens += (double)(now - t->tokens_at) * t->rate / 1000.0;
	if (t->tokens > t->rate * 2)
		t->tokens = t->rate * 2;
	t->tokens_at = now;
	if (t->tokens < 1)
		return -1;
	t->tokens -= 1;
	return 0;
}

static struct okt_req *
req_slot(struct okx_trade *t)
{
	size_t i;

	for (i = 0; i < OKT_MAX_REQS; i++)
		if (t->reqs[i].http == 0)
			return &t->reqs[i];
	return NULL;
}

/* Send a signed call of `kind`; `path` holds the query.  The slot's other
 * fields are the caller's (set from *extra when given). */
static int
send_signed(struct okx_trade *t, const char *method, const char *path,
	const char *body, int kind, uint64_t order, const struct okt_req *extra)
{
	const struct qd_host_api *api = t->v->api;
	struct qd_http_request r;
	struct qd_sign_req s;
	struct qd_kv h[8];
	struct okt_req *q;
	char ts[32], exp[24], url[768], pre[2048], sig[128];
	size_t n = 0, sig_len, len;
	int64_t now;
	int rc;

	if (t->missing != NULL) {
		venue_say(t->v, QD_LOG_ERROR, "no order calls: the secret "
			"\"%s\" is not configured", t->missing);
		return QD_ERR_DENIED;
	}
	if ((q = req_slot(t)) == NULL || take_token(t) != 0)
		return QD_ERR_LIMIT;
	now = now_ms(t) + t->offset_ms;
	okt_iso_time(now, ts, sizeof(ts));
	len = okt_prehash(pre, sizeof(pre), ts, method, path, body);
	if (len >= sizeof(pre))
		return QD_ERR_INVALID;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.alg = QD_SIGN_HMAC_SHA256;
	s.enc = QD_ENC_BASE64;
	s.secret = "api_secret";
	s.msg = pre;
	s.msg_len = len;
	if ((rc = api->sign(t->v->ctx, &s, sig, sizeof(sig), &sig_len)) !=
	    QD_OK)
		return rc == QD_ERR_NOTFOUND ? QD_ERR_DENIED : rc;
	h[n++] = (struct qd_kv){ "OK-ACCESS-KEY", t->key };
	h[n++] = (struct qd_kv){ "OK-ACCESS-SIGN", sig };
	h[n++] = (struct qd_kv){ "OK-ACCESS-TIMESTAMP", ts };
	h[n++] = (struct qd_kv){ "OK-ACCESS-PASSPHRASE", t->passphrase };
	h[n++] = (struct qd_kv){ "Content-Type", "application/json" };
	if (strncmp(path, "/api/v5/trade/", 14) == 0) {
		snprintf(exp, sizeof(exp), "%lld", (long long)(now +
			t->recv_ms));
		h[n++] = (struct qd_kv){ "expTime", exp };
	}
	if (t->demo)
		h[n++] = (struct qd_kv){ "x-simulated-trading", "1" };
	snprintf(url, sizeof(url), "%s%s", t->v->rest_url, path);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = method;
	r.url = url;
	r.headers = h;
	r.n_headers = (uint32_t)n;
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	if (extra != NULL)
		*q = *extra;
	else
		memset(q, 0, sizeof(*q));
	if ((rc = api->http_request(t->v->ctx, &r, &q->http)) != QD_OK) {
		q->http = 0;
		return rc;
	}
	q->kind = kind;
	q->order = order;
	return QD_OK;
}

/* ---- reporting --------------------------------------------------------------- */

static void
update_init(struct okx_trade *t, struct qd_order_update *u, uint64_t id,
	enum qd_order_state st, char *cid)
{
	struct okt_order *o = order_find(t, id);

	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	u->order_id = id;
	u->state = st;
	u->ts = t->v->api->now_ns(t->v->ctx);
	qd_client_order_id(id, cid, 16);
	u->client_id = cid;
	if (o != NULL) {
		u->side = (enum qd_side)o->side;
		u->type = (enum qd_order_type)o->type;
		u->qty = o->qty;
		u->price = o->price;
		u->filled_qty = o->filled;
	}
}

static void
report(struct okx_trade *t, uint64_t id, enum qd_order_state st,
	const char *reason, int error)
{
	struct okt_order *o = order_find(t, id);
	struct qd_order_update u;
	char cid[16];

	update_init(t, &u, id, st, cid);
	u.reason = reason;
	u.error = error;
	if (o != NULL && st >= QD_ORDER_FILLED)
		o->terminal = 1;
	t->v->api->emit_order_update(t->v->ctx, &u);
}

/* A refusal: logged with the venue's code and text, reported with both. */
static void
refused(struct okx_trade *t, uint64_t id, enum qd_order_state st,
	const char *what, const char *code, const char *msg)
{
	char reason[160];

	snprintf(reason, sizeof(reason), "okx %s: %s", code, msg);
	venue_say(t->v, QD_LOG_WARN, "%s of order %llu refused: %s", what,
		(unsigned long long)id, reason);
	report(t, id, st, reason, okt_status_of(code));
}

/* The fee of a fill in the quote asset: the venue's sign is negative for
 * a charge; a fee in the base asset is converted at the fill price. */
static double
quote_fee(struct okx_trade *t, const struct okt_rec *r)
{
	const char *dash = strchr(r->inst, '-');
	size_t blen = dash ? (size_t)(dash - r->inst) : 0;

	if (r->fee == 0)
		return 0;
	if (dash != NULL && strcmp(r->fee_ccy, dash + 1) == 0)
		return -r->fee;
	if (dash != NULL && strlen(r->fee_ccy) == blen &&
	    strncmp(r->fee_ccy, r->inst, blen) == 0)
		return -r->fee * r->fill_px;
	venue_say(t->v, QD_LOG_DEBUG, "fee of trade %s in %s: not counted",
		r->trade_id, r->fee_ccy);
	return 0;
}

static void
save_resume(struct okx_trade *t)
{
	char buf[48];
	int n = snprintf(buf, sizeof(buf), STATE_MAGIC "%lld",
		(long long)t->fills_since);

	t->v->api->state_save(t->v->ctx, buf, (size_t)n);
}

/* 1 if the fill (instrument, trade id) was reported already, else it is
 * remembered: the adapter's own count of an order's fills stays true
 * when the stream and a lookup both bring one.  The set is emptied when
 * three quarters full (the host dedups by trade id all the same). */
static int
fill_seen(struct okx_trade *t, const struct okt_rec *r)
{
	uint64_t h = 1469598103934665603ULL;
	const char *p;
	size_t i;

	for (p = r->inst; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (p = r->trade_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h |= 1;
	for (i = h % OKT_SEEN; t->seen[i] != 0; i = (i + 1) % OKT_SEEN)
		if (t->seen[i] == h)
			return 1;
	if (++t->n_seen > OKT_SEEN * 3 / 4) {
		memset(t->seen, 0, sizeof(t->seen));
		t->n_seen = 1;
		i = h % OKT_SEEN;
	}
	t->seen[i] = h;
	return 0;
}

/* One fill of an order: to the host (once per trade id there). */
static void
report_fill(struct okx_trade *t, uint64_t id, const struct okt_rec *r,
	double avg)
{
	struct okt_order *o = order_get(t, id);
	struct qd_order_update u;
	double acc;
	char cid[16];

	if (fill_seen(t, r))
		return;
	acc = o->filled + r->fill_sz;
	if (o->inst[0] == '\0')
		snprintf(o->inst, sizeof(o->inst), "%s", r->inst);
	if (o->side == 0)
		o->side = strcmp(r->side, "sell") == 0 ? QD_SIDE_SELL :
			QD_SIDE_BUY;
	o->filled = acc;
	update_init(t, &u, id, o->qty > 0 && acc + 1e-12 >= o->qty ?
		QD_ORDER_FILLED : QD_ORDER_PARTIAL, cid);
	u.filled_qty = acc;
	u.avg_price = avg;
	u.last_qty = r->fill_sz;
	u.last_price = r->fill_px;
	u.fee = quote_fee(t, r);
	u.trade_id = r->trade_id;
	u.maker = r->maker;
	if (r->ts_ms > 0)
		u.ts = r->ts_ms * 1000000;
	t->v->api->emit_order_update(t->v->ctx, &u);
	if (r->ts_ms > t->fills_since) {
		t->fills_since = r->ts_ms;
		save_resume(t);
	}
}

static void fetch_order_fills(struct okx_trade *t, uint64_t id,
	const struct okt_rec *r, int terminal, const char *reason);

/* An order's state as the venue has it (stream push or lookup). */
static void
order_state(struct okx_trade *t, const struct okt_rec *r)
{
	uint64_t id = qd_client_order_id_parse(r->cl_ord_id);
	struct okt_order *o;
	int terminal = 0;
	char reason[160] = "";

	if (id == 0)
		return;   /* not ours */
	o = order_get(t, id);
	if (o->inst[0] == '\0')
		snprintf(o->inst, sizeof(o->inst), "%s", r->inst);
	if (o->qty == 0 && r->sz > 0)
		o->qty = r->sz;
	if (r->fill_sz > 0 && r->trade_id[0])
		report_fill(t, id, r, r->avg_px);
	if (strcmp(r->state, "canceled") == 0 ||
	    strcmp(r->state, "mmp_canceled") == 0) {
		/* An IOC, FOK or market order ends unfilled rest by itself. */
		int exp = strcmp(r->ord_type, "ioc") == 0 ||
			strcmp(r->ord_type, "fok") == 0 ||
			strcmp(r->ord_type, "market") == 0;

		terminal = exp ? QD_ORDER_EXPIRED : QD_ORDER_CANCELED;
		snprintf(reason, sizeof(reason), "okx: %s", exp ?
			"not filled at once" : strcmp(r->ord_type,
			"post_only") == 0 && r->code[0] == '\0' ?
			"canceled (a post-only order that would take, or by "
			"request)" : "canceled");
	}
	if (r->acc_fill_sz > o->filled + 1e-12) {
		/* Fills the host has not heard of: fetched, then the state. */
		fetch_order_fills(t, id, r, terminal, reason);
		return;
	}
	if (terminal)
		report(t, id, (enum qd_order_state)terminal, reason, 0);
	else if (strcmp(r->state, "live") == 0)
		report(t, id, QD_ORDER_PENDING, NULL, 0);
}

/* ---- the calls -------------------------------------------------------------- */

int
okt_place(struct okx_trade *t, uint64_t id, const struct qd_order_req *r)
{
	const char *name = t->v->api->symbol_name(t->v->ctx, r->symbol);
	struct venue_sub *s = venue_sub_of(t->v, r->symbol);
	char cid[16], body[512], qty[48], px[48], pxf[64] = "";
	const char *type;
	struct okt_order *o;
	int rc;

	if (name == NULL || s == NULL)
		return QD_ERR_INVALID;
	switch (r->type) {
	case QD_ORDER_MARKET:
		type = "market";
		break;
	case QD_ORDER_LIMIT:
		type = r->tif == QD_TIF_IOC ? "ioc" : r->tif == QD_TIF_FOK ?
			"fok" : r->tif == QD_TIF_POST_ONLY ? "post_only" :
			"limit";
		break;
	default:
		/* Stops live in the venue's separate algo-order service; the
		 * host holds them and sends the order when they trigger. */
		return QD_ERR_UNSUPPORTED;
	}
	qd_client_order_id(id, cid, sizeof(cid));
	okt_decimal(r->qty, qty, sizeof(qty));
	if (r->type == QD_ORDER_LIMIT) {
		okt_decimal(r->price, px, sizeof(px));
		snprintf(pxf, sizeof(pxf), ",\"px\":\"%s\"", px);
	}
	/* tgtCcy base_ccy: a market buy's sz is base units, as ours is. */
	snprintf(body, sizeof(body), "{\"instId\":\"%s\",\"tdMode\":\"cash\","
		"\"clOrdId\":\"%s\",\"side\":\"%s\",\"ordType\":\"%s\","
		"\"sz\":\"%s\"%s%s}", s->native, cid, r->side == QD_SIDE_SELL ?
		"sell" : "buy", type, qty, pxf, r->type == QD_ORDER_MARKET ?
		",\"tgtCcy\":\"base_ccy\"" : "");
	o = order_get(t, id);
	snprintf(o->inst, sizeof(o->inst), "%s", s->native);
	o->qty = r->qty;
	o->price = r->type == QD_ORDER_LIMIT ? r->price : 0;
	o->side = (int)r->side;
	o->type = (int)r->type;
	rc = send_signed(t, "POST", "/api/v5/trade/order", body, RQ_PLACE, id,
		NULL);
	if (rc == QD_ERR_LIMIT)
		venue_say(t->v, QD_LOG_WARN, "order %llu not sent: the "
			"request rate is at the venue's limit",
			(unsigned long long)id);
	return rc;
}

static int query_first(struct okx_trade *t, uint64_t id, int then_cancel,
	int final);

int
okt_cancel(struct okx_trade *t, uint64_t id)
{
	struct okt_order *o = order_find(t, id);
	char cid[16], body[160];

	if (o == NULL || o->inst[0] == '\0')
		return query_first(t, id, 1, 0);  /* its instrument, then cancel */
	qd_client_order_id(id, cid, sizeof(cid));
	snprintf(body, sizeof(body), "{\"instId\":\"%s\",\"clOrdId\":\"%s\"}",
		o->inst, cid);
	return send_signed(t, "POST", "/api/v5/trade/cancel-order", body,
		RQ_CANCEL, id, NULL);
}

static int
query_in(struct okx_trade *t, uint64_t id, const char *inst, size_t sub,
	int then_cancel, int final)
{
	struct okt_req x;
	char cid[16], path[160];

	qd_client_order_id(id, cid, sizeof(cid));
	snprintf(path, sizeof(path), "/api/v5/trade/order?instId=%s&clOrdId=%s",
		inst, cid);
	memset(&x, 0, sizeof(x));
	x.sub = sub;
	x.then_cancel = then_cancel;
	x.final = final;
	return send_signed(t, "GET", path, NULL, RQ_QUERY, id, &x);
}

/* An order the adapter does not know (after a restart) is looked for in
 * each subscribed instrument in turn: the venue wants the instId. */
static void
defer_lookup(struct okx_trade *t, uint64_t id, int then_cancel, int final,
	int64_t due)
{
	if (t->n_defer == OKT_MAX_ORDERS) {
		venue_say(t->v, QD_LOG_WARN, "lookup of order %llu dropped: "
			"too many waiting", (unsigned long long)id);
		return;
	}
	t->defer[t->n_defer].id = id;
	t->defer[t->n_defer].then_cancel = then_cancel;
	t->defer[t->n_defer].final = final;
	t->defer[t->n_defer++].due = due;
}

static int
query_first(struct okx_trade *t, uint64_t id, int then_cancel, int final)
{
	struct okt_order *o = order_find(t, id);
	int rc;

	if (o != NULL && o->inst[0] != '\0')
		rc = query_in(t, id, o->inst, (size_t)-1, then_cancel, final);
	else if (t->v->n_subs == 0)
		return QD_ERR_NOTFOUND;
	else
		rc = query_in(t, id, t->v->subs[0].native, 0, then_cancel,
			final);
	if (rc == QD_ERR_LIMIT) {
		/* After a restart the host looks up every open order at
		 * once: what the bucket cannot send now goes a little
		 * later (the drain timer). */
		defer_lookup(t, id, then_cancel, final, 0);
		return QD_OK;
	}
	return rc;
}

int
okt_query(struct okx_trade *t, uint64_t id)
{
	return query_first(t, id, 0, 0);
}

int
okt_cancel_all(struct okx_trade *t, qd_symbol sym)
{
	struct venue_sub *s = sym ? venue_sub_of(t->v, sym) : NULL;
	char path[128];

	snprintf(path, sizeof(path), "/api/v5/trade/orders-pending?instType="
		"SPOT%s%s", s ? "&instId=" : "", s ? s->native : "");
	return send_signed(t, "GET", path, NULL, RQ_PENDING_CANCEL, 0, NULL);
}

static int
fills_page(struct okx_trade *t, int64_t since, const char *after)
{
	struct okt_req x;
	char path[192];

	snprintf(path, sizeof(path), "/api/v5/trade/fills?instType=SPOT&begin="
		"%lld&limit=100%s%s", (long long)since, after ? "&after=" : "",
		after ? after : "");
	memset(&x, 0, sizeof(x));
	x.since = since;
	return send_signed(t, "GET", path, NULL, RQ_FILLS, 0, &x);
}

static void
fetch_order_fills(struct okx_trade *t, uint64_t id, const struct okt_rec *r,
	int terminal, const char *reason)
{
	struct okt_req x;
	char path[192];
	int rc;

	memset(&x, 0, sizeof(x));
	x.terminal = terminal;
	snprintf(x.reason, sizeof(x.reason), "%s", reason);
	snprintf(path, sizeof(path), "/api/v5/trade/fills?instType=SPOT&"
		"instId=%s&ordId=%s&limit=100", r->inst, r->ord_id);
	if ((rc = send_signed(t, "GET", path, NULL, RQ_ORDER_FILLS, id, &x)) ==
	    QD_OK)
		return;
	if (rc == QD_ERR_LIMIT) {
		/* Looked up again when the bucket allows: the answer
		 * brings this state back, and the fetch with it. */
		defer_lookup(t, id, 0, 0, 0);
		return;
	}
	venue_say(t->v, QD_LOG_WARN, "fills of order %llu not fetched (%s): "
		"its state waits for the next reconcile",
		(unsigned long long)id, qd_strerror(rc));
	t->resync = 1;
}

/* Balances, then open orders, then fills (each answer sends the next). */
int
okt_sync(struct okx_trade *t)
{
	int rc;

	if (t->missing != NULL) {
		venue_say(t->v, QD_LOG_ERROR, "no account sync: the secret "
			"\"%s\" is not configured", t->missing);
		return QD_ERR_DENIED;
	}
	if (t->syncing)
		return QD_OK;
	rc = send_signed(t, "GET", "/api/v5/account/balance", NULL,
		RQ_BALANCE, 0, NULL);
	if (rc == QD_OK) {
		t->syncing = 1;
	} else if (rc == QD_ERR_LIMIT) {
		/* The bucket is empty (lookups after a restart): soon. */
		t->sync_held = 1;
		rc = QD_OK;
	} else {
		t->resync = 1;
	}
	return rc;
}

/* ---- answers ------------------------------------------------------------------ */

/* A rate-limit answer: REST stops for Retry-After (or PAUSE_MS), then a
 * reconcile picks up what was cut short. */
static void
pause_rest(struct okx_trade *t)
{
	int64_t ms = venue_pause_ms(t->v, PAUSE_MS);

	t->paused_until = now_ms(t) + ms;
	t->resync = 1;
	venue_say(t->v, QD_LOG_WARN, "the venue limits our request rate: no "
		"order call for %lld ms", (long long)ms);
	if (t->resume_timer != 0)
		t->v->api->timer_cancel(t->v->ctx, t->resume_timer);
	if (t->v->api->timer_add(t->v->ctx, (ms + 100) * 1000000, 0,
	    &t->resume_timer) != QD_OK)
		t->resume_timer = 0;
}

struct collect {
	struct okx_trade *t;
	struct okt_req *q;
	struct okt_rec first;
	int n;
	struct okt_rec bal[64];
	int n_bal;
	char last_bill[32];
};

static void
on_rec(void *arg, const struct okt_rec *r)
{
	struct collect *c = arg;
	struct okx_trade *t = c->t;
	uint64_t id;

	if (c->n++ == 0)
		c->first = *r;
	switch (c->q->kind) {
	case RQ_OPEN:
		order_state(t, r);
		break;
	case RQ_PENDING_CANCEL:
		if ((id = qd_client_order_id_parse(r->cl_ord_id)) != 0 &&
		    order_find(t, id) == NULL)
			snprintf(order_get(t, id)->inst, 32, "%s", r->inst);
		{
			char body[160];

			snprintf(body, sizeof(body), "{\"instId\":\"%s\","
				"\"ordId\":\"%s\"}", r->inst, r->ord_id);
			if (send_signed(t, "POST", "/api/v5/trade/cancel-order",
			    body, RQ_CANCEL, id, NULL) != QD_OK)
				venue_say(t->v, QD_LOG_WARN, "cancel of order "
					"%s not sent", r->ord_id);
		}
		break;
	case RQ_BALANCE:
		if (c->n_bal < 64)
			c->bal[c->n_bal++] = *r;
		break;
	case RQ_FILLS:
	case RQ_ORDER_FILLS:
		snprintf(c->last_bill, sizeof(c->last_bill), "%s", r->bill_id);
		id = qd_client_order_id_parse(r->cl_ord_id);
		if (id != 0 && (c->q->kind == RQ_FILLS || id == c->q->order))
			report_fill(t, id, r, 0);
		break;
	default:
		break;
	}
}

static void
emit_balances(struct okx_trade *t, const struct collect *c, int complete)
{
	int i;

	for (i = 0; i < c->n_bal; i++) {
		struct qd_balance b;

		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.asset = c->bal[i].ccy;
		b.total = c->bal[i].total;
		b.free = c->bal[i].avail;
		b.ts = t->v->api->now_ns(t->v->ctx);
		b.last = complete && i == c->n_bal - 1;
		t->v->api->emit_balance(t->v->ctx, &b);
	}
}

/* The next step of a reconcile, or its end. */
static void
sync_step(struct okx_trade *t, int kind, const char *after, int64_t since)
{
	int rc = QD_OK;

	if (kind == RQ_BALANCE)
		rc = send_signed(t, "GET", "/api/v5/trade/orders-pending?"
			"instType=SPOT", NULL, RQ_OPEN, 0, NULL);
	else if (kind == RQ_OPEN)
		rc = fills_page(t, t->fills_since > 0 ? t->fills_since -
			300000 : now_ms(t) + t->offset_ms - DAY_MS, NULL);
	else if (after != NULL)
		rc = fills_page(t, since, after);
	else {
		t->syncing = 0;
		venue_say(t->v, QD_LOG_INFO, "reconciled with the venue: "
			"fills since %lld", (long long)since);
	}
	if (rc != QD_OK) {
		venue_say(t->v, QD_LOG_WARN, "reconcile cut short: %s",
			qd_strerror(rc));
		t->syncing = 0;
		if (rc == QD_ERR_LIMIT)
			t->sync_held = 1;
		else
			t->resync = 1;
	}
}

/* A refusal of a place that says nothing of whether the order is at
 * the venue: a duplicate client id (51016), a request expired in the
 * venue's queue (50102). */
static int
open_question(const char *code)
{
	return strcmp(code, "51016") == 0 || strcmp(code, "50102") == 0;
}

static void
answer(struct okx_trade *t, struct okt_req *q, int status, const char *body,
	size_t len)
{
	struct collect c;
	struct okt_rec err;
	char why[96] = "";
	long n;
	int kind = q->kind;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.q = q;
	memset(&err, 0, sizeof(err));
	if (status == 429 || status == 418) {
		pause_rest(t);
		n = -3;
		snprintf(err.code, sizeof(err.code), "50011");
		snprintf(err.msg, sizeof(err.msg), "HTTP %d", status);
	} else {
		n = body != NULL && len > 0 ? okt_parse_rest(body, len,
			kind == RQ_BALANCE ? OKT_BALANCE : kind == RQ_TIME ?
			OKT_TIME : kind == RQ_FILLS || kind == RQ_ORDER_FILLS ?
			OKT_FILL : OKT_ORDER, on_rec, &c, &err, why) : -1;
		if (n == -2 && okt_status_of(err.code) == QD_ERR_LIMIT)
			pause_rest(t);
	}
	if (n == -2 || n == -3)
		venue_say(t->v, QD_LOG_WARN, "okx %s: %s (HTTP %d)", err.code,
			err.msg, status);
	else if (n == -1 && status == 200)
		venue_malformed(t->v, why, body ? body : "", len);
	switch (kind) {
	case RQ_TIME:
		if (n > 0) {
			int64_t now = now_ms(t);

			t->offset_ms = c.first.ts_ms - (now + t->time_sent) / 2;
		}
		break;
	case RQ_PLACE:
		if (n <= -2 && !open_question(err.code)) {
			refused(t, q->order, QD_ORDER_REJECTED, "place",
				err.code, err.msg);
		} else if (n > 0 && (c.first.code[0] == '\0' ||
		    strcmp(c.first.code, "0") == 0)) {
			report(t, q->order, QD_ORDER_PENDING, NULL, 0);
		} else if (n > 0 && !open_question(c.first.code)) {
			refused(t, q->order, QD_ORDER_REJECTED, "place",
				c.first.code, c.first.msg);
		} else {
			/* A duplicate client id (the order got there before
			 * a restart), a request the venue let expire (an
			 * earlier copy may be there) or no clear answer:
			 * ask the venue. */
			if (okt_query(t, q->order) != QD_OK)
				t->resync = 1;
		}
		break;
	case RQ_CANCEL:
		if (n > 0 && c.first.code[0] && strcmp(c.first.code, "0") != 0)
			venue_say(t->v, QD_LOG_INFO, "cancel of order %llu: okx "
				"%s: %s", (unsigned long long)q->order,
				c.first.code, c.first.msg);
		/* The order's state, whatever the answer: canceled (with
		 * its fills first), or filled before the cancel came. */
		if (q->order != 0 && okt_query(t, q->order) != QD_OK)
			t->resync = 1;
		break;
	case RQ_QUERY:
		if (n > 0) {
			order_state(t, &c.first);
			if (q->then_cancel &&
			    (strcmp(c.first.state, "live") == 0 ||
			    strcmp(c.first.state, "partially_filled") == 0) &&
			    okt_cancel(t, q->order) != QD_OK)
				t->resync = 1;
		} else if (n == -2 && strcmp(err.code, "51603") == 0) {
			if (q->sub != (size_t)-1 && q->sub + 1 < t->v->n_subs)
				query_in(t, q->order,
					t->v->subs[q->sub + 1].native,
					q->sub + 1, q->then_cancel, q->final);
			else if (!q->final)
				/* A place sent before a restart may still be on
				 * its way: once its expTime has passed the venue
				 * can no longer take it, and "unknown" is so. */
				defer_lookup(t, q->order, q->then_cancel, 1,
					now_ms(t) + t->recv_ms + 1000);
			else
				refused(t, q->order, QD_ORDER_REJECTED, "query",
					err.code, err.msg);
		} else {
			t->resync = 1;
		}
		break;
	case RQ_BALANCE:
		if (n >= 0) {
			emit_balances(t, &c, 1);
			sync_step(t, RQ_BALANCE, NULL, 0);
		} else {
			t->syncing = 0;
			t->resync = 1;
		}
		break;
	case RQ_OPEN:
		if (n >= 0) {
			sync_step(t, RQ_OPEN, NULL, 0);
		} else {
			t->syncing = 0;
			t->resync = 1;
		}
		break;
	case RQ_FILLS:
		if (n >= 0)
			sync_step(t, RQ_FILLS, n >= 100 ? c.last_bill : NULL,
				q->since);
		else {
			t->syncing = 0;
			t->resync = 1;
		}
		break;
	case RQ_ORDER_FILLS:
		if (n >= 0 && q->terminal)
			report(t, q->order, (enum qd_order_state)q->terminal,
				q->reason, 0);
		else if (n < 0)
			t->resync = 1;
		break;
	default:
		break;
	}
}

int
okt_on_http(struct okx_trade *t, uint64_t id, int status, const char *body,
	size_t len)
{
	struct okt_req q;
	size_t i;

	for (i = 0; i < OKT_MAX_REQS && (t->reqs[i].http != id || id == 0);
	     i++)
		;
	if (i == OKT_MAX_REQS)
		return 0;
	q = t->reqs[i];
	t->reqs[i].http = 0;
	answer(t, &q, status, body, len);
	return 1;
}

/* ---- the private stream ------------------------------------------------------- */

static void
priv_login(struct okx_trade *t)
{
	struct qd_sign_req s;
	char ts[24], pre[96], sig[128], msg[768];
	size_t sig_len, len;
	int n;

	snprintf(ts, sizeof(ts), "%lld", (long long)((now_ms(t) +
		t->offset_ms) / 1000));
	len = okt_login_prehash(pre, sizeof(pre), ts);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.alg = QD_SIGN_HMAC_SHA256;
	s.enc = QD_ENC_BASE64;
	s.secret = "api_secret";
	s.msg = pre;
	s.msg_len = len;
	if (t->v->api->sign(t->v->ctx, &s, sig, sizeof(sig), &sig_len) !=
	    QD_OK) {
		venue_say(t->v, QD_LOG_ERROR, "private stream: login not "
			"signed");
		return;
	}
	n = snprintf(msg, sizeof(msg), "{\"op\":\"login\",\"args\":[{"
		"\"apiKey\":\"%s\",\"passphrase\":\"%s\",\"timestamp\":\"%s\","
		"\"sign\":\"%s\"}]}", t->key, t->passphrase, ts, sig);
	t->v->api->ws_send(t->v->ctx, t->priv.conn, msg, (size_t)n);
}

int
okt_on_ws_open(struct okx_trade *t, uint64_t conn)
{
	if (conn == 0 || conn != t->priv.conn)
		return 0;
	t->priv.open = 1;
	venue_say(t->v, QD_LOG_INFO, "connected to %s", t->priv.url);
	priv_login(t);
	return 1;
}

static void
on_priv(void *arg, const struct okt_rec *r)
{
	struct okx_trade *t = arg;
	static const char sub[] = "{\"op\":\"subscribe\",\"args\":[{\"channel\":"
		"\"orders\",\"instType\":\"SPOT\"},{\"channel\":\"account\"}]}";
	struct qd_balance b;

	switch (r->kind) {
	case OKT_EVENT:
		if (strcmp(r->event, "login") == 0 && (r->code[0] == '\0' ||
		    strcmp(r->code, "0") == 0)) {
			t->priv.attempts = 0;   /* a good login ends the backoff */
			venue_say(t->v, QD_LOG_INFO, "private stream: logged "
				"in; subscribing orders and account");
			t->v->api->ws_send(t->v->ctx, t->priv.conn, sub,
				sizeof(sub) - 1);
		} else if (strcmp(r->event, "subscribe") == 0) {
			if (t->priv.reconnected) {
				/* What happened while the stream was down. */
				t->priv.reconnected = 0;
				okt_sync(t);
			}
		} else if (strcmp(r->event, "error") == 0) {
			venue_say(t->v, QD_LOG_WARN, "private stream refused: "
				"okx %s: %s", r->code, r->msg);
		}
		break;
	case OKT_ORDER:
		order_state(t, r);
		break;
	case OKT_BALANCE:
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.asset = r->ccy;
		b.total = r->total;
		b.free = r->avail;
		b.ts = t->v->api->now_ns(t->v->ctx);
		t->v->api->emit_balance(t->v->ctx, &b);
		break;
	default:
		break;
	}
}

int
okt_on_ws_message(struct okx_trade *t, uint64_t conn, const char *data,
	size_t len)
{
	char why[96] = "";

	if (conn == 0 || conn != t->priv.conn)
		return 0;
	if (okt_parse_ws(data, len, on_priv, t, why) < 0)
		venue_malformed(t->v, why, data, len);
	return 1;
}

int
okt_on_ws_close(struct okx_trade *t, uint64_t conn, int code,
	const char *reason)
{
	int64_t delay;

	if (conn == 0 || conn != t->priv.conn)
		return 0;
	t->priv.conn = 0;
	t->priv.open = 0;
	if (t->v->stopping)
		return 1;
	venue_say(t->v, QD_LOG_WARN, "private stream lost (%d %s); "
		"reconnecting", code, reason ? reason : "");
	delay = venue_backoff_ms(t->v, &t->priv);
	t->priv.reconnected = 1;
	if (t->v->api->timer_add(t->v->ctx, delay * 1000000, 0,
	    &t->priv.retry_timer) != QD_OK)
		t->priv.retry_timer = 0;
	return 1;
}

/* ---- life ----------------------------------------------------------------------- */

/* Lookups the bucket held back, then a reconcile it held back, as far
 * as the bucket allows now. */
static void
drain(struct okx_trade *t)
{
	struct okt_defer held[64];
	int64_t now = now_ms(t);
	size_t n = 0, i, k;

	if (now < t->paused_until)
		return;
	for (i = k = 0; i < t->n_defer; i++) {
		if (n < 64 && t->defer[i].due <= now)
			held[n++] = t->defer[i];
		else
			t->defer[k++] = t->defer[i];
	}
	t->n_defer = k;
	for (i = 0; i < n; i++)
		query_first(t, held[i].id, held[i].then_cancel, held[i].final);
	if (t->sync_held && !t->syncing && n == 0) {
		t->sync_held = 0;
		okt_sync(t);
	}
}

static void
fetch_time(struct okx_trade *t)
{
	struct qd_http_request r;
	struct okt_req *q = req_slot(t);
	char url[320];

	if (q == NULL)
		return;
	snprintf(url, sizeof(url), "%s/api/v5/public/time", t->v->rest_url);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "GET";
	r.url = url;
	memset(q, 0, sizeof(*q));
	t->time_sent = now_ms(t);
	if (t->v->api->http_request(t->v->ctx, &r, &q->http) != QD_OK) {
		q->http = 0;
		return;
	}
	q->kind = RQ_TIME;
}

int
okt_on_timer(struct okx_trade *t, uint64_t id)
{
	if (id == 0)
		return 0;
	if (id == t->priv.retry_timer) {
		t->priv.retry_timer = 0;
		if (!t->v->stopping && t->priv.conn == 0)
			venue_connect(t->v, &t->priv);
	} else if (id == t->ping_timer) {
		if (t->priv.open)
			t->v->api->ws_send(t->v->ctx, t->priv.conn, "ping", 4);
		/* A reconcile that failed is tried again at this pace: a
		 * venue refusing it (bad credentials) is not hammered. */
		if (t->resync && !t->syncing && now_ms(t) >= t->paused_until) {
			t->resync = 0;
			okt_sync(t);
		}
	} else if (id == t->drain_timer) {
		drain(t);
	} else if (id == t->time_timer) {
		fetch_time(t);
	} else if (id == t->resume_timer) {
		t->resume_timer = 0;
		if (t->resync && !t->syncing) {
			t->resync = 0;
			okt_sync(t);
		}
	} else {
		return 0;
	}
	return 1;
}

void
okt_init(struct okx_trade *t, struct venue *v, const qd_params *p)
{
	const struct qd_host_api *api = v->api;

	t->v = v;
	snprintf(t->priv.url, sizeof(t->priv.url), "%s",
		api->param_string(p, "ws_private_url"));
	t->demo = api->param_bool(p, "demo");
	t->recv_ms = (int64_t)api->param_double(p, "recv_window_ms");
	t->rate = api->param_double(p, "order_rate");
	if (t->rate < 1)
		t->rate = 1;
	t->tokens = t->rate;
	if (!QD_API_HAS(api, sign) || !QD_API_HAS(api, emit_balance))
		t->missing = "api_secret";
	else if (api->secret_get(v->ctx, "api_key", t->key,
	    sizeof(t->key)) != QD_OK)
		t->missing = "api_key";
	else if (api->secret_get(v->ctx, "passphrase", t->passphrase,
	    sizeof(t->passphrase)) != QD_OK)
		t->missing = "passphrase";
}

int
okt_start(struct okx_trade *t)
{
	const struct qd_host_api *api = t->v->api;
	char buf[64], sig[128];
	struct qd_sign_req s;
	size_t len = 0;
	int rc;

	t->tokens_at = now_ms(t);
	if (t->missing == NULL) {
		/* The signing key is checked by signing: it never leaves the
		 * host. */
		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		s.alg = QD_SIGN_HMAC_SHA256;
		s.enc = QD_ENC_BASE64;
		s.secret = "api_secret";
		s.msg = "probe";
		s.msg_len = 5;
		if (api->sign(t->v->ctx, &s, sig, sizeof(sig), &len) ==
		    QD_ERR_NOTFOUND)
			t->missing = "api_secret";
	}
	if (t->missing != NULL) {
		venue_say(t->v, QD_LOG_WARN, "trading off: the secret \"%s\" "
			"is not configured (market data only)", t->missing);
		return QD_OK;
	}
	if (api->state_load(t->v->ctx, buf, sizeof(buf) - 1, &len) == QD_OK &&
	    len < sizeof(buf) && len > sizeof(STATE_MAGIC) - 1 &&
	    memcmp(buf, STATE_MAGIC, sizeof(STATE_MAGIC) - 1) == 0) {
		buf[len] = '\0';
		t->fills_since = strtoll(buf + sizeof(STATE_MAGIC) - 1, NULL,
			10);
	}
	if ((rc = api->timer_add(t->v->ctx, 25000000000LL, 25000000000LL,
	    &t->ping_timer)) != QD_OK ||
	    (rc = api->timer_add(t->v->ctx, 3600000000000LL, 3600000000000LL,
	    &t->time_timer)) != QD_OK ||
	    (rc = api->timer_add(t->v->ctx, 250000000, 250000000,
	    &t->drain_timer)) != QD_OK)
		return rc;
	fetch_time(t);
	venue_connect(t->v, &t->priv);
	return QD_OK;
}

void
okt_stop(struct okx_trade *t)
{
	if (t->priv.conn)
		t->v->api->ws_close(t->v->ctx, t->priv.conn);
}
