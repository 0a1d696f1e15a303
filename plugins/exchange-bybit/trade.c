/*
 * trade.c -- the `bybit` adapter's account (see trade.h).
 *
 * Every private REST call is signed as Bybit v5 documents it: the host
 * signs timestamp + api_key + recv_window + (query string | JSON body)
 * with HMAC-SHA256 under "api_secret", hex; the timestamp is our clock
 * plus the venue's offset (GET /v5/market/time at start and hourly).  A
 * token bucket keeps orders under the venue's per-second limit (spot
 * /v5/order/create: 20/s); a rate-limit answer (retCode 10006/10018, HTTP
 * 429/418/403) pauses private REST -- for Retry-After where given -- and
 * what is asked meanwhile is refused with QD_ERR_LIMIT.
 *
 * Fills reach the host with the venue's execId as trade id, so the same
 * fill from the stream, a query and a reconcile is applied once.  An
 * order that ends canceled or expired with something executed has its
 * fills fetched and reported before that end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "trade.h"
#include "trade_parse.h"

#define DAY_MS 86400000LL
#define BUCKET_RATE 20.0        /* requests per second */
#define BUCKET_SIZE 20.0
#define PING_MS 20000
#define TIME_MS 3600000LL
#define SUBSCRIBE "{\"op\":\"subscribe\",\"args\":[\"order\"," \
	"\"execution\",\"wallet\"]}"
#define PING "{\"op\":\"ping\"}"

enum rq_kind {
	RQ_PLACE = 1, RQ_CANCEL, RQ_LOOKUP, RQ_QUERY, RQ_QUERY_HIST,
	RQ_CANCEL_ALL, RQ_BALANCE, RQ_OPEN, RQ_FILLS, RQ_ORDER_FILLS, RQ_TIME,
};

static const char *const rq_name[] = { "?", "order", "cancel", "cancel",
	"query", "query", "cancel-all", "balances", "open orders", "fills",
	"fills", "server time" };

static int ask(struct by_account *a, uint64_t id);
static int sync_step(struct by_account *a, int kind);

/* ---- small helpers ------------------------------------------------------ */

static int64_t
now_ms(const struct by_account *a)
{
	return a->v->api->now_ns(a->v->ctx) / 1000000;
}

static void
emit(struct by_account *a, uint64_t id, enum qd_order_state st,
	const char *reason, int error)
{
	struct qd_order_update u;
	char cid[16];

	qd_client_order_id(id, cid, sizeof(cid));
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = id;
	u.state = st;
	u.ts = a->v->api->now_ns(a->v->ctx);
	u.reason = reason;
	u.client_id = cid;
	u.error = error;
	a->v->api->emit_order_update(a->v->ctx, &u);
}

static void
remember(struct by_account *a, uint64_t id, const char *native)
{
	size_t i;

	for (i = 0; i < BY_MAX_ORDERS; i++)
		if (a->orders[i].id == id)
			return;
	a->orders[a->next_order].id = id;
	snprintf(a->orders[a->next_order].native,
		sizeof(a->orders[0].native), "%s", native);
	a->next_order = (a->next_order + 1) % BY_MAX_ORDERS;
}

static const char *
native_of(const struct by_account *a, uint64_t id)
{
	size_t i;

	for (i = 0; i < BY_MAX_ORDERS; i++)
		if (a->orders[i].id == id && id != 0)
			return a->orders[i].native;
	return NULL;
}

/* BTC/USDT -> BTCUSDT. */
static int
native_symbol(struct by_account *a, qd_symbol sym, char *out, size_t cap)
{
	const char *name = a->v->api->symbol_name(a->v->ctx, sym);
	size_t n = 0;

	if (name == NULL)
		return -1;
	for (; *name && n + 1 < cap; name++)
		if (*name != '/')
			out[n++] = *name;
	out[n] = '\0';
	return 0;
}

static void
save_since(struct by_account *a)
{
	char buf[32];
	int n;

	if (a->fills_since <= a->saved_since)
		return;
	n = snprintf(buf, sizeof(buf), "%lld", (long long)a->fills_since);
	if (a->v->api->state_save(a->v->ctx, buf, (size_t)n) == QD_OK)
		a->saved_since = a->fills_since;
}

/* One token of the request bucket, refilled at BUCKET_RATE per second. */
static int
take_token(struct by_account *a)
{
	int64_t now = now_ms(a);

	a->tokens += (double)(now - a->tokens_at) * BUCKET_RATE / 1000.0;
	if (a->tokens > BUCKET_SIZE)
		a->tokens = BUCKET_SIZE;
	a->tokens_at = now;
	if (a->tokens < 1.0)
		return -1;
	a->tokens -= 1.0;
	return 0;
}

/* ---- requests ----------------------------------------------------------- */

/*
 * Send a signed request: GET with `payload` as query string, POST with it
 * as JSON body.  `charged` requests (the host's order calls) take a token
 * and are refused while REST is paused.  QD_OK (and *slot, when asked,
 * the request's entry), QD_ERR_DENIED (no key, or the host could not
 * sign: logged), QD_ERR_LIMIT (bucket empty, paused, table full), or the
 * host's error.
 */
static int
send_slot(struct by_account *a, const char *method, const char *path,
	const char *payload, int kind, uint64_t order, int charged,
	struct by_req **slot)
{
	const struct qd_host_api *api = a->v->api;
	struct qd_sign_req s;
	struct qd_http_request r;
	struct qd_kv h[6];
	char ts[24], pre[4096], sig[160], url[4096];
	size_t i, slen;
	int post = strcmp(method, "POST") == 0, rc;

	if (a->key[0] == '\0') {
		venue_say(a->v, QD_LOG_ERROR, "no \"api_key\" secret "
			"configured: %s refused", rq_name[kind]);
		return QD_ERR_DENIED;
	}
	if (now_ms(a) < a->paused_until) {
		if (charged)
			venue_say(a->v, QD_LOG_WARN, "REST paused by the "
				"venue's rate limit for %lld ms: %s refused",
				(long long)(a->paused_until - now_ms(a)),
				rq_name[kind]);
		if (charged || kind != RQ_TIME)
			return QD_ERR_LIMIT;
	}
	if (charged && take_token(a) != 0) {
		venue_say(a->v, QD_LOG_WARN, "over %g requests a second: %s "
			"refused", BUCKET_RATE, rq_name[kind]);
		return QD_ERR_LIMIT;
	}
	for (i = 0; i < BY_MAX_REQS && a->reqs[i].http != 0; i++)
		;
	if (i == BY_MAX_REQS)
		return QD_ERR_LIMIT;
	snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms(a) +
		a->offset_ms));
	if (bp_prehash(pre, sizeof(pre), ts, a->key, a->recv_window,
	    payload) < 0)
		return QD_ERR_INVALID;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.alg = QD_SIGN_HMAC_SHA256;
	s.enc = QD_ENC_HEX;
	s.secret = "api_secret";
	s.msg = pre;
	s.msg_len = strlen(pre);
	if ((rc = api->sign(a->v->ctx, &s, sig, sizeof(sig), &slen)) !=
	    QD_OK) {
		venue_say(a->v, QD_LOG_ERROR, "cannot sign with the "
			"\"api_secret\" secret (%s): %s refused",
			qd_strerror(rc), rq_name[kind]);
		return QD_ERR_DENIED;
	}
	snprintf(url, sizeof(url), "%s%s%s%s", a->rest_url, path,
		post || payload[0] == '\0' ? "" : "?", post ? "" : payload);
	h[0] = (struct qd_kv){ "X-BAPI-API-KEY", a->key };
	h[1] = (struct qd_kv){ "X-BAPI-TIMESTAMP", ts };
	h[2] = (struct qd_kv){ "X-BAPI-SIGN", sig };
	h[3] = (struct qd_kv){ "X-BAPI-RECV-WINDOW", a->recv_window };
	h[4] = (struct qd_kv){ "Content-Type", "application/json" };
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = method;
	r.url = url;
	r.headers = h;
	r.n_headers = 5;
	r.body = post ? payload : NULL;
	r.body_len = post ? strlen(payload) : 0;
	if ((rc = api->http_request(a->v->ctx, &r, &a->reqs[i].http)) !=
	    QD_OK) {
		a->reqs[i].http = 0;
		return rc;
	}
	a->reqs[i].kind = kind;
	a->reqs[i].order = order;
	a->reqs[i].then = 0;
	a->reqs[i].reason[0] = '\0';
	a->reqs[i].error = 0;
	if (slot != NULL)
		*slot = &a->reqs[i];
	return QD_OK;
}

static int
send_req(struct by_account *a, const char *method, const char *path,
	const char *payload, int kind, uint64_t order, int charged)
{
	return send_slot(a, method, path, payload, kind, order, charged,
		NULL);
}

static struct by_req *
req_of(struct by_account *a, uint64_t http)
{
	size_t i;

	for (i = 0; i < BY_MAX_REQS; i++)
		if (a->reqs[i].http == http && http != 0)
			return &a->reqs[i];
	return NULL;
}

static void
fetch_time(struct by_account *a)
{
	struct qd_http_request r;
	char url[512];
	size_t i;

	for (i = 0; i < BY_MAX_REQS && a->reqs[i].http != 0; i++)
		;
	if (i == BY_MAX_REQS)
		return;
	snprintf(url, sizeof(url), "%s/v5/market/time", a->rest_url);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "GET";
	r.url = url;
	if (a->v->api->http_request(a->v->ctx, &r, &a->reqs[i].http) != QD_OK)
		a->reqs[i].http = 0;
	else
		a->reqs[i].kind = RQ_TIME;
}

/* An order's end could not be reported (its fills not fetched: REST
 * paused, the table full): the order is asked again in a second, or when
 * the pause ends; a fill after an order's end would be lost. */
static void
retry_later(struct by_account *a, uint64_t id)
{
	int64_t wait = a->paused_until - now_ms(a);
	size_t i;

	for (i = 0; i < BY_MAX_RETRIES && a->retries[i].timer != 0; i++)
		if (a->retries[i].order == id)
			return;
	if (i == BY_MAX_RETRIES || a->v->api->timer_add(a->v->ctx,
	    (wait > 1000 ? wait : 1000) * 1000000, 0,
	    &a->retries[i].timer) != QD_OK) {
		venue_say(a->v, QD_LOG_WARN, "order %llu ended at the venue; "
			"its end waits for the next reconcile",
			(unsigned long long)id);
		return;
	}
	a->retries[i].order = id;
}

/* The fills of order `id`, then (if `then`) its end: nothing executed is
 * ever reported after the order closed. */
static void
fetch_order_fills(struct by_account *a, uint64_t id, int then,
	const char *reason, int error)
{
	char q[128], cid[16];
	struct by_req *r;

	qd_client_order_id(id, cid, sizeof(cid));
	snprintf(q, sizeof(q), "category=spot&orderLinkId=%s&limit=100", cid);
	if (send_slot(a, "GET", "/v5/execution/list", q, RQ_ORDER_FILLS, id,
	    0, &r) != QD_OK) {
		if (then)
			retry_later(a, id);
		return;
	}
	r->then = then;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	r->error = error;
}

/* ---- what the venue says ------------------------------------------------ */

struct seen {
	struct by_account *a;
	int rest;               /* from a REST answer (not the stream) */
	int kind;
	uint64_t order;         /* the order a query asked about */
	int n;
	struct qd_balance bal[256];
	char coins[256][16];
	size_t n_bal;
};

static void
on_exec(struct by_account *a, const struct bp_event *e)
{
	uint64_t id = qd_client_order_id_parse(e->cid);
	struct qd_order_update u;
	double fee;

	if (id == 0 || e->exec_qty <= 0)
		return;
	if (bp_fee_quote(e->symbol, e->fee_ccy, e->exec_fee, e->exec_price,
	    &fee) < 0)
		a->v->api->log(a->v->ctx, QD_LOG_DEBUG, "fill %s of %s: fee "
			"%g %s is neither base nor quote; counted as 0",
			e->exec_id, e->cid, e->exec_fee, e->fee_ccy);
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = id;
	u.state = QD_ORDER_PARTIAL;
	u.ts = e->ts_ms > 0 ? e->ts_ms * 1000000 :
	    a->v->api->now_ns(a->v->ctx);
	u.last_qty = e->exec_qty;
	u.last_price = e->exec_price;
	u.fee = fee;
	u.trade_id = e->exec_id;
	u.client_id = e->cid;
	u.maker = e->maker;
	a->v->api->emit_order_update(a->v->ctx, &u);
	if (e->ts_ms > a->fills_since)
		a->fills_since = e->ts_ms;
}

static void
on_order(struct seen *s, const struct bp_event *e)
{
	struct by_account *a = s->a;
	uint64_t id = qd_client_order_id_parse(e->cid);
	char reason[160];
	int end;

	if (id == 0)
		return;   /* not one of ours */
	remember(a, id, e->symbol);
	if (strcmp(e->status, "Cancelled") == 0 ||
	    strcmp(e->status, "PartiallyFilledCanceled") == 0 ||
	    strcmp(e->status, "Deactivated") == 0) {
		end = strcmp(e->tif, "IOC") == 0 || strcmp(e->tif, "FOK") == 0 ?
		    QD_ORDER_EXPIRED : QD_ORDER_CANCELED;
		snprintf(reason, sizeof(reason), "%s at the venue%s%s",
			e->status, e->reject[0] && strcmp(e->reject,
			"EC_NoError") != 0 ? ": " : "", e->reject[0] &&
			strcmp(e->reject, "EC_NoError") != 0 ? e->reject : "");
		if (e->cum_qty > 0)
			fetch_order_fills(a, id, end, reason, 0);
		else
			emit(a, id, (enum qd_order_state)end, reason, 0);
	} else if (strcmp(e->status, "Rejected") == 0) {
		snprintf(reason, sizeof(reason), "bybit: rejected (%s)",
			e->reject);
		emit(a, id, QD_ORDER_REJECTED, reason, QD_ERR_INVALID);
	} else {
		emit(a, id, QD_ORDER_PENDING, NULL, 0);
		/* A query or reconcile seeing fills: fetch them (the stream
		 * brings its own). */
		if (s->rest && e->cum_qty > 0)
			fetch_order_fills(a, id, 0, NULL, 0);
	}
}

static void
on_event(void *arg, const struct bp_event *e)
{
	struct seen *s = arg;
	struct by_account *a = s->a;

	s->n++;
	switch (e->kind) {
	case BP_ORDER:
		on_order(s, e);
		break;
	case BP_EXEC:
		on_exec(a, e);
		break;
	case BP_BALANCE:
		if (s->n_bal < 256) {
			struct qd_balance *b = &s->bal[s->n_bal];

			snprintf(s->coins[s->n_bal], sizeof(s->coins[0]), "%s",
				e->coin);
			memset(b, 0, sizeof(*b));
			b->size = sizeof(*b);
			b->asset = s->coins[s->n_bal];
			b->total = e->total;
			b->free = e->free;
			b->ts = a->v->api->now_ns(a->v->ctx);
			s->n_bal++;
		}
		break;
	case BP_ACK:
		if (strcmp(e->op, "auth") == 0) {
			if (!e->success) {
				venue_say(a->v, QD_LOG_ERROR, "private stream "
					"auth refused: %s", e->ret_msg);
				/* Closed: retried with backoff. */
				a->v->api->ws_close(a->v->ctx, a->link.conn);
				break;
			}
			a->authed = 1;
			/* Only an accepted login resets the backoff: a
			 * refused one must not bring quick retries. */
			a->link.attempts = 0;
			a->v->api->ws_send(a->v->ctx, a->link.conn, SUBSCRIBE,
				strlen(SUBSCRIBE));
			venue_say(a->v, QD_LOG_INFO, "private stream "
				"authenticated");
			/* Back after a loss: what happened meanwhile. */
			if (a->had_stream)
				by_account_sync(a);
			a->had_stream = 1;
		} else if (!e->success && strcmp(e->op, "pong") != 0 &&
		    strcmp(e->op, "ping") != 0)
			venue_say(a->v, QD_LOG_WARN, "private %s refused: %s",
				e->op, e->ret_msg);
		break;
	}
}

/* Emit the balances gathered, the last flagged when `complete`. */
static void
balances(struct seen *s, int complete)
{
	size_t i;

	for (i = 0; i < s->n_bal; i++) {
		s->bal[i].last = complete && i + 1 == s->n_bal;
		s->a->v->api->emit_balance(s->a->v->ctx, &s->bal[i]);
	}
}

/* A header of the answer being handled as an integer, or -1. */
static long long
header_int(struct by_account *a, const char *name)
{
	char buf[32], *end;
	long long x;

	if (!QD_API_HAS(a->v->api, http_header) ||
	    a->v->api->http_header(a->v->ctx, name, buf, sizeof(buf)) != QD_OK)
		return -1;
	x = strtoll(buf, &end, 10);
	return end == buf || *end != '\0' || x < 0 ? -1 : x;
}

/* How long until the venue's per-endpoint window resets
 * (X-Bapi-Limit-Reset-Timestamp, venue ms), or -1. */
static int64_t
window_left_ms(struct by_account *a)
{
	long long reset = header_int(a, "x-bapi-limit-reset-timestamp");
	int64_t left = (int64_t)reset - (now_ms(a) + a->offset_ms);

	return reset < 0 ? -1 : left < 100 ? 100 : left > 600000 ? 600000 :
	    left;
}

/* A rate-limit answer: no private REST for Retry-After, the window's
 * reset the venue names, or a default (10 minutes after 403, the IP
 * limit; 1 s after retCode 10006/10018, per-second windows; 10 s after
 * 429/418). */
static void
pause_rest(struct by_account *a, long code, int status)
{
	int64_t ms = status == 403 ? 600000 : code != 0 ? 1000 : 10000;

	if (code != 0 && window_left_ms(a) > 0)
		ms = window_left_ms(a);
	ms = venue_pause_ms(a->v, ms);
	a->paused_until = now_ms(a) + ms;
	venue_say(a->v, QD_LOG_WARN, "rate limited (HTTP %d, retCode %ld): "
		"no private REST call for %lld ms", status, code,
		(long long)ms);
}

/* The venue counts each endpoint's requests (X-Bapi-Limit-Status: what
 * is left of the window): with none left, REST waits for the reset rather
 * than meet a 10006. */
static void
weigh(struct by_account *a)
{
	int64_t left;

	if (header_int(a, "x-bapi-limit-status") != 0 ||
	    (left = window_left_ms(a)) < 0 ||
	    now_ms(a) + left <= a->paused_until)
		return;
	a->paused_until = now_ms(a) + left;
	venue_say(a->v, QD_LOG_INFO, "the venue's request window is used up: "
		"no private REST call for %lld ms", (long long)left);
}

static void
refused(struct by_account *a, const struct by_req *r, long code,
	const char *msg, int status)
{
	char reason[192];
	char cid[16];

	qd_client_order_id(r->order, cid, sizeof(cid));
	/* A signature refusal echoes the signed string, key included: not
	 * for the log. */
	if (code != 0)
		snprintf(reason, sizeof(reason), "bybit %ld: %.*s", code,
			(int)strcspn(msg, "["), msg);
	else
		snprintf(reason, sizeof(reason), "bybit: HTTP %d", status);
	venue_say(a->v, QD_LOG_WARN, "%s %s refused: %s", rq_name[r->kind],
		cid, reason);
	if (r->kind == RQ_PLACE)
		emit(a, r->order, QD_ORDER_REJECTED, reason,
			bp_error_status(code, status));
}

static void
next_page(struct by_account *a, const struct by_req *r, const char *cursor)
{
	char q[512];

	if (r->kind == RQ_OPEN)
		snprintf(q, sizeof(q), "category=spot&limit=50&cursor=%s",
			cursor);
	else
		snprintf(q, sizeof(q), "category=spot&startTime=%lld"
			"&limit=100&cursor=%s", (long long)r->order, cursor);
	send_req(a, "GET", r->kind == RQ_OPEN ? "/v5/order/realtime" :
		"/v5/execution/list", q, r->kind, r->order, 0);
}

void
by_account_http(struct by_account *a, uint64_t http, int status,
	const char *body, size_t len)
{
	struct by_req *slot = req_of(a, http), r;
	struct bp_rest rest;
	struct seen *s;
	char why[96], cid[16];
	long n;

	if (slot == NULL)
		return;
	r = *slot;
	slot->http = 0;
	qd_client_order_id(r.order, cid, sizeof(cid));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return;
	s->a = a;
	s->rest = 1;
	s->kind = r.kind;
	s->order = r.order;
	why[0] = '\0';
	n = body != NULL ? bp_parse_rest(body, len, &rest, on_event, s, why) :
	    -1;
	if (r.kind == RQ_TIME) {
		if (status == 200 && n >= 0 && rest.time_ms > 0)
			a->offset_ms = rest.time_ms - now_ms(a);
		goto out;
	}
	if (bp_is_rate_limit(n >= 0 ? rest.code : 0, status))
		pause_rest(a, n >= 0 ? rest.code : 0, status);
	else
		weigh(a);
	if (n < 0 || status != 200 || rest.code != 0) {
		long code = n >= 0 ? rest.code : 0;

		if (n < 0 && status == 200)
			venue_malformed(a->v, why, body ? body : "", len);
		if (r.kind == RQ_PLACE && bp_is_duplicate(code)) {
			/* It reached the venue before a restart: ask. */
			ask(a, r.order);
		} else if (r.kind == RQ_PLACE && (status >= 500 || status < 200 ||
		    n < 0) &&
		    !bp_is_rate_limit(code, status)) {
			/* No answer, or an unreadable one: the order may
			 * be there; the venue knows. */
			ask(a, r.order);
		} else if ((r.kind == RQ_CANCEL || r.kind == RQ_LOOKUP) &&
		    code == 170213) {
			/* Closed already: say how it ended. */
			ask(a, r.order);
		} else {
			refused(a, &r, code, n >= 0 ? rest.msg : "", status);
			if (code == 10002)
				fetch_time(a);   /* our clock drifted */
		}
		goto out;
	}
	switch (r.kind) {
	case RQ_PLACE:
		emit(a, r.order, QD_ORDER_PENDING, NULL, 0);
		break;
	case RQ_CANCEL:
		ask(a, r.order);   /* its end, fills first */
		break;
	case RQ_LOOKUP:
		/* Open: cancel it now its symbol is known; else say how it
		 * ended. */
		if (native_of(a, r.order) != NULL)
			by_order_cancel(a, r.order);
		else
			ask(a, r.order);
		break;
	case RQ_QUERY:
		/* Not open: the venue keeps closed orders in its history. */
		if (s->n == 0) {
			char q[96];

			snprintf(q, sizeof(q), "category=spot&orderLinkId=%s",
				cid);
			if (send_req(a, "GET", "/v5/order/history", q,
			    RQ_QUERY_HIST, r.order, 0) != QD_OK)
				venue_say(a->v, QD_LOG_WARN, "query of %s not "
					"sent", cid);
		}
		break;
	case RQ_QUERY_HIST:
		if (s->n == 0)
			emit(a, r.order, QD_ORDER_REJECTED, "bybit: unknown "
				"order", QD_ERR_NOTFOUND);
		break;
	case RQ_BALANCE:
		balances(s, 1);
		break;
	case RQ_OPEN:
	case RQ_FILLS:
		if (rest.cursor[0] != '\0' && n > 0)
			next_page(a, &r, rest.cursor);
		else if (r.kind == RQ_FILLS)
			sync_step(a, RQ_OPEN);
		else
			sync_step(a, RQ_BALANCE);
		break;
	case RQ_ORDER_FILLS:
		if (r.then)
			emit(a, r.order, (enum qd_order_state)r.then,
				r.reason, r.error);
		break;
	}
	save_since(a);
out:
	free(s);
}

/* ---- the private stream ------------------------------------------------- */

static void
stream_connect(struct by_account *a)
{
	int rc;

	a->link.open = 0;
	a->authed = 0;
	if ((rc = a->v->api->ws_open(a->v->ctx, a->link.url, NULL, 0,
	    &a->link.conn)) != QD_OK) {
		venue_say(a->v, QD_LOG_ERROR, "cannot open %s: %s",
			a->link.url, qd_strerror(rc));
		a->link.conn = 0;
	}
}

int
by_owns_conn(const struct by_account *a, uint64_t conn)
{
	return conn != 0 && conn == a->link.conn;
}

int
by_owns_req(const struct by_account *a, uint64_t req)
{
	size_t i;

	for (i = 0; req != 0 && i < BY_MAX_REQS; i++)
		if (a->reqs[i].http == req)
			return 1;
	return 0;
}

int
by_owns_timer(const struct by_account *a, uint64_t t)
{
	size_t i;

	for (i = 0; t != 0 && i < BY_MAX_RETRIES; i++)
		if (a->retries[i].timer == t)
			return 1;
	return t != 0 && (t == a->ping_timer || t == a->time_timer ||
	    t == a->link.retry_timer);
}

/* Authenticate: {"op":"auth","args":[key, expires, hex HMAC-SHA256 of
 * "GET/realtime" + expires]}; the subscription follows its answer. */
void
by_account_ws_open(struct by_account *a, uint64_t conn)
{
	struct qd_sign_req s;
	char msg[512], pre[64], sig[160];
	long long expires = (long long)(now_ms(a) + a->offset_ms + 10000);
	size_t slen;
	int n, rc;

	(void)conn;
	a->link.open = 1;
	venue_say(a->v, QD_LOG_INFO, "connected to %s", a->link.url);
	snprintf(pre, sizeof(pre), "GET/realtime%lld", expires);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.alg = QD_SIGN_HMAC_SHA256;
	s.enc = QD_ENC_HEX;
	s.secret = "api_secret";
	s.msg = pre;
	s.msg_len = strlen(pre);
	if ((rc = a->v->api->sign(a->v->ctx, &s, sig, sizeof(sig), &slen)) !=
	    QD_OK) {
		venue_say(a->v, QD_LOG_ERROR, "private stream not "
			"authenticated: cannot sign with \"api_secret\" (%s)",
			qd_strerror(rc));
		return;
	}
	n = snprintf(msg, sizeof(msg), "{\"op\":\"auth\",\"args\":[\"%s\","
		"%lld,\"%s\"]}", a->key, expires, sig);
	if (n > 0 && (size_t)n < sizeof(msg))
		a->v->api->ws_send(a->v->ctx, a->link.conn, msg, (size_t)n);
}

void
by_account_ws_message(struct by_account *a, uint64_t conn, const char *data,
	size_t len)
{
	struct seen *s;
	char why[96];

	(void)conn;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return;
	s->a = a;
	why[0] = '\0';
	if (bp_parse_ws(data, len, on_event, s, why) < 0)
		venue_malformed(a->v, why, data, len);
	balances(s, 0);
	save_since(a);
	free(s);
}

void
by_account_ws_close(struct by_account *a, uint64_t conn, int code,
	const char *reason)
{
	int64_t delay;

	(void)conn;
	a->link.conn = 0;
	a->link.open = 0;
	a->authed = 0;
	if (a->v->stopping)
		return;
	venue_say(a->v, QD_LOG_WARN, "private stream lost (%d %s); "
		"reconnecting", code, reason ? reason : "");
	delay = venue_backoff_ms(a->v, &a->link);
	if (a->v->api->timer_add(a->v->ctx, delay * 1000000, 0,
	    &a->link.retry_timer) != QD_OK)
		a->link.retry_timer = 0;
}

void
by_account_timer(struct by_account *a, uint64_t t)
{
	if (t == a->link.retry_timer) {
		a->link.retry_timer = 0;
		if (!a->v->stopping && a->link.conn == 0)
			stream_connect(a);
	} else if (t == a->ping_timer) {
		if (a->link.open)
			a->v->api->ws_send(a->v->ctx, a->link.conn, PING,
				strlen(PING));
	} else if (t == a->time_timer) {
		fetch_time(a);
	} else {
		size_t i;

		for (i = 0; i < BY_MAX_RETRIES; i++)
			if (a->retries[i].timer == t) {
				uint64_t id = a->retries[i].order;

				a->retries[i].timer = 0;
				a->retries[i].order = 0;
				if (ask(a, id) != QD_OK)
					retry_later(a, id);
			}
	}
}

/* ---- the host's calls --------------------------------------------------- */

void
by_account_init(struct by_account *a, struct venue *v, const qd_params *p)
{
	const struct qd_host_api *api = v->api;

	a->v = v;
	snprintf(a->rest_url, sizeof(a->rest_url), "%s", v->rest_url);
	snprintf(a->link.url, sizeof(a->link.url), "%s",
		api->param_string(p, "private_ws_url"));
	snprintf(a->recv_window, sizeof(a->recv_window), "%lld",
		(long long)api->param_int(p, "recv_window_ms"));
	a->tokens = BUCKET_SIZE;
	a->tokens_at = v->api->now_ns(v->ctx) / 1000000;
	if (!QD_API_HAS(api, sign) || !QD_API_HAS(api, emit_balance) ||
	    api->secret_get(v->ctx, "api_key", a->key, sizeof(a->key)) !=
	    QD_OK)
		a->key[0] = '\0';
}

int
by_account_start(struct by_account *a)
{
	char buf[32];
	size_t n = 0;
	int rc;

	if (a->key[0] == '\0') {
		venue_say(a->v, QD_LOG_WARN, "no \"api_key\" secret "
			"configured: market data only, orders are refused");
		return QD_OK;
	}
	if (a->v->api->state_load(a->v->ctx, buf, sizeof(buf) - 1, &n) ==
	    QD_OK && n < sizeof(buf)) {
		buf[n] = '\0';
		a->fills_since = a->saved_since = strtoll(buf, NULL, 10);
	}
	if (a->fills_since <= 0)
		a->fills_since = now_ms(a) - DAY_MS;
	venue_say(a->v, QD_LOG_INFO, "fills reconciled from %lld (%s)",
		(long long)a->fills_since, a->saved_since > 0 ?
		"the last one reported before" : "the last 24 h");
	if ((rc = a->v->api->timer_add(a->v->ctx, PING_MS * 1000000LL,
	    PING_MS * 1000000LL, &a->ping_timer)) != QD_OK ||
	    (rc = a->v->api->timer_add(a->v->ctx, TIME_MS * 1000000,
	    TIME_MS * 1000000, &a->time_timer)) != QD_OK)
		return rc;
	fetch_time(a);
	stream_connect(a);
	return QD_OK;
}

void
by_account_stop(struct by_account *a)
{
	if (a->link.conn)
		a->v->api->ws_close(a->v->ctx, a->link.conn);
}

int
by_order_place(struct by_account *a, uint64_t id,
	const struct qd_order_req *r)
{
	static const char *const tif[] = { "GTC", "IOC", "FOK", "PostOnly" };
	char body[768], native[32], cid[16], qty[40], px[40];
	int n;

	if (r->type != QD_ORDER_MARKET && r->type != QD_ORDER_LIMIT)
		return QD_ERR_UNSUPPORTED;   /* the host emulates it */
	if ((unsigned)r->tif > QD_TIF_POST_ONLY ||
	    native_symbol(a, r->symbol, native, sizeof(native)) != 0 ||
	    bp_decimal(r->qty, qty, sizeof(qty)) < 0 ||
	    bp_decimal(r->price, px, sizeof(px)) < 0)
		return QD_ERR_INVALID;
	qd_client_order_id(id, cid, sizeof(cid));
	/* marketUnit baseCoin: a spot market buy is otherwise in quote. */
	if (r->type == QD_ORDER_MARKET)
		n = snprintf(body, sizeof(body), "{\"category\":\"spot\","
			"\"symbol\":\"%s\",\"side\":\"%s\",\"orderType\":"
			"\"Market\",\"qty\":\"%s\",\"marketUnit\":\"baseCoin\","
			"\"orderLinkId\":\"%s\"}", native, r->side ==
			QD_SIDE_BUY ? "Buy" : "Sell", qty, cid);
	else
		n = snprintf(body, sizeof(body), "{\"category\":\"spot\","
			"\"symbol\":\"%s\",\"side\":\"%s\",\"orderType\":"
			"\"Limit\",\"qty\":\"%s\",\"price\":\"%s\","
			"\"timeInForce\":\"%s\",\"orderLinkId\":\"%s\"}",
			native, r->side == QD_SIDE_BUY ? "Buy" : "Sell", qty,
			px, tif[r->tif], cid);
	if (n < 0 || (size_t)n >= sizeof(body))
		return QD_ERR_INVALID;
	remember(a, id, native);
	return send_req(a, "POST", "/v5/order/create", body, RQ_PLACE, id, 1);
}

int
by_order_cancel(struct by_account *a, uint64_t id)
{
	const char *native = native_of(a, id);
	char body[256], cid[16];

	qd_client_order_id(id, cid, sizeof(cid));
	if (native == NULL) {
		/* Placed by an earlier run: its symbol first. */
		char q[96];

		snprintf(q, sizeof(q), "category=spot&orderLinkId=%s", cid);
		return send_req(a, "GET", "/v5/order/realtime", q, RQ_LOOKUP,
			id, 1);
	}
	snprintf(body, sizeof(body), "{\"category\":\"spot\",\"symbol\":"
		"\"%s\",\"orderLinkId\":\"%s\"}", native, cid);
	return send_req(a, "POST", "/v5/order/cancel", body, RQ_CANCEL, id, 1);
}

int
by_order_query(struct by_account *a, uint64_t id)
{
	char q[96], cid[16];

	qd_client_order_id(id, cid, sizeof(cid));
	snprintf(q, sizeof(q), "category=spot&orderLinkId=%s", cid);
	return send_req(a, "GET", "/v5/order/realtime", q, RQ_QUERY, id, 1);
}

/* The same, asked by the adapter itself (after a cancel, a duplicate, an
 * unknown outcome): not charged to the host's request budget. */
static int
ask(struct by_account *a, uint64_t id)
{
	char q[96], cid[16];

	qd_client_order_id(id, cid, sizeof(cid));
	snprintf(q, sizeof(q), "category=spot&orderLinkId=%s", cid);
	return send_req(a, "GET", "/v5/order/realtime", q, RQ_QUERY, id, 0);
}

int
by_order_cancel_all(struct by_account *a, qd_symbol sym)
{
	char body[128], native[32];

	if (sym != 0 && native_symbol(a, sym, native, sizeof(native)) != 0)
		return QD_ERR_INVALID;
	if (sym != 0)
		snprintf(body, sizeof(body), "{\"category\":\"spot\","
			"\"symbol\":\"%s\"}", native);
	else
		snprintf(body, sizeof(body), "{\"category\":\"spot\"}");
	return send_req(a, "POST", "/v5/order/cancel-all", body,
		RQ_CANCEL_ALL, 0, 1);
}

/* The fills since the last one reported, open orders, then balances,
 * one after the other: the host takes a venue's balances while no order
 * is working, so they come last, when the fills are applied (a fee paid in
 * the base coin is booked in the quote: the venue's balance then corrects
 * the base).  The fills request's `order` field carries its start, for
 * the next pages. */
static int
sync_step(struct by_account *a, int kind)
{
	char q[128];

	switch (kind) {
	case RQ_FILLS:
		snprintf(q, sizeof(q), "category=spot&startTime=%lld"
			"&limit=100", (long long)a->fills_since);
		return send_req(a, "GET", "/v5/execution/list", q, RQ_FILLS,
			(uint64_t)a->fills_since, 0);
	case RQ_OPEN:
		return send_req(a, "GET", "/v5/order/realtime",
			"category=spot&limit=50", RQ_OPEN, 0, 0);
	default:
		return send_req(a, "GET", "/v5/account/wallet-balance",
			"accountType=UNIFIED", RQ_BALANCE, 0, 0);
	}
}

int
by_account_sync(struct by_account *a)
{
	return sync_step(a, RQ_FILLS);
}
