/*
 * trade.c -- live trading on Coinbase Advanced Trade (see trade.h).
 *
 * Every private request carries "Authorization: Bearer <JWT>", a fresh
 * one each time (they live 120 s): header {alg, kid = the key's name,
 * nonce, typ}, claims {sub = the key's name, iss "cdp", nbf, exp = nbf +
 * 120, uri = "METHOD host/path"}, signed ES256 (or EdDSA for an Ed25519
 * key, `key_type`) by the host; nbf is the venue's clock (its time is
 * read at start and hourly).  The user channel's subscribe carries a JWT
 * without uri.
 *
 * The venue reports orders with cumulative quantities, never single
 * fills: when an order's filled size grows beyond what was reported, its
 * fills are fetched (orders/historical/fills?order_ids=) and each goes to
 * the host under the venue's trade_id, before any CANCELED/EXPIRED of
 * that order, so no fill is lost; a fill reported again is applied once
 * by the host.  Cancels name the venue's order id: an order known only by
 * our client id (after a restart) is looked up in the order list first.
 * A client id the venue already has is not refused: the venue answers
 * with that order, which then reports like any other.
 *
 * Reconcile (account_sync, and after every loss of the user channel):
 * balances (accounts), open orders, orders created since the last
 * reconcile (the resume point, state_save; 24 h on a first run) and every
 * order still open here, each with its fills as above.
 *
 * Requests go through a token bucket (`rate_limit` a second, under the
 * venue's 30 a second for private endpoints); a 429 pauses them for
 * Retry-After (or 1 s) and what could not be sent is QD_ERR_LIMIT.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quantd/sdk.h>

#include "trade.h"
#include "trade_parse.h"
#include "../common/venue.h"

#define MAX_ORDERS 1024
#define MAX_REQS 128
#define MAX_BAL 256
#define MAX_QUEUE 256
#define EPS 1e-12

enum tq {
	TQ_PLACE = 1, TQ_CANCEL, TQ_GET, TQ_FIND, TQ_FILLS, TQ_ACCOUNTS,
	TQ_LIST_OPEN, TQ_LIST_SINCE, TQ_TIME, TQ_KILL_LIST, TQ_KILL,
};

struct treq {
	uint64_t http;          /* 0: free */
	enum tq kind;
	uint64_t order;         /* host order id, or 0 */
	char vid[64];
	char extra[160];        /* a list's query, to page on */
};

/* What the adapter knows of one of our orders. */
struct tord {
	uint64_t id;            /* 0: free */
	char vid[64];           /* the venue's order id, "" until known */
	double reported;        /* fills reported, base units */
	int pending_sent;
	int done;               /* a final state was reported */
	int want_cancel;        /* cancel once the venue id is known */
	int fills_busy;
	int fills_again;        /* more filled while a fetch was out */
	uint64_t finding;       /* looked up by the list sent as this one */
	enum qd_order_state term;    /* to report after the fills, or 0 */
	int term_error;
	char reason[200];
};

struct cbt {
	struct venue *v;
	const struct qd_host_api *api;
	qd_ctx *ctx;
	char rest_url[256], host[200], ws_url[256];
	char key[256];
	int ed25519;
	int ready;              /* both secrets there */
	int64_t offset_ms;      /* venue clock - ours */
	double rate, tokens;
	int64_t refill_ms, paused_until;
	struct venue_link user; /* the user channel */
	uint64_t tick_timer, time_timer;
	int sync_due;           /* a reconcile wanted (after a pause) */
	int64_t sync_started, resume_ms;
	struct cbt_balance bal[MAX_BAL];
	size_t n_bal;
	struct tord ord[MAX_ORDERS];
	size_t next_slot;
	struct treq reqs[MAX_REQS];
	struct treq queued[MAX_QUEUE];   /* waiting for a token */
	char queued_path[MAX_QUEUE][400];
	size_t n_queued;
	uint64_t find_gen;      /* lookups sent so far */
	int find_busy;
	int find_retry;         /* the last lookup failed: again, later */
	uint64_t rng;
};

#define SAY(t, l, ...) venue_say((t)->v, (l), __VA_ARGS__)

static int64_t
now_ms(struct cbt *t)
{
	return t->api->now_ns(t->ctx) / 1000000;
}

/* ---- orders known ------------------------------------------------------ */

static struct tord *
ord_find(struct cbt *t, uint64_t id, int create)
{
	size_t i, k;

	for (i = 0; i < MAX_ORDERS; i++)
		if (t->ord[i].id == id)
			return &t->ord[i];
	if (!create)
		return NULL;
	/* A free slot, else the oldest slot of an order that is done. */
	for (i = 0; i < MAX_ORDERS; i++) {
		k = (t->next_slot + i) % MAX_ORDERS;
		if (t->ord[k].id == 0 || t->ord[k].done) {
			memset(&t->ord[k], 0, sizeof(t->ord[k]));
			t->ord[k].id = id;
			t->next_slot = (k + 1) % MAX_ORDERS;
			return &t->ord[k];
		}
	}
	return NULL;
}

static struct tord *
ord_by_vid(struct cbt *t, const char *vid)
{
	size_t i;

	for (i = 0; i < MAX_ORDERS; i++)
		if (t->ord[i].id != 0 && strcmp(t->ord[i].vid, vid) == 0)
			return &t->ord[i];
	return NULL;
}

static void
emit(struct cbt *t, uint64_t id, enum qd_order_state st, const char *reason,
	int error)
{
	struct qd_order_update u;
	char cid[16];

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = id;
	u.state = st;
	u.ts = t->api->now_ns(t->ctx);
	u.reason = reason;
	u.error = error;
	qd_client_order_id(id, cid, sizeof(cid));
	u.client_id = cid;
	t->api->emit_order_update(t->ctx, &u);
}

/* A final state, reported once. */
static void
emit_final(struct cbt *t, struct tord *o, enum qd_order_state st,
	const char *reason, int error)
{
	if (o->done)
		return;
	o->done = 1;
	o->term = 0;
	emit(t, o->id, st, reason, error);
}

/* ---- requests ---------------------------------------------------------- */

static int
jwt(struct cbt *t, const char *uri, char *out, size_t cap)
{
	struct qd_sign_req r;
	char input[2048], nonce[33], sig[256];
	size_t n, sl;
	int i, rc;

	for (i = 0; i < 32; i++) {
		t->rng ^= t->rng << 13;
		t->rng ^= t->rng >> 7;
		t->rng ^= t->rng << 17;
		nonce[i] = "0123456789abcdef"[t->rng & 15];
	}
	nonce[32] = '\0';
	n = cbt_jwt_input(t->ed25519 ? "EdDSA" : "ES256", t->key, nonce,
		(now_ms(t) + t->offset_ms) / 1000, uri, input, sizeof(input));
	if (n == 0)
		return QD_ERR_INVALID;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.alg = t->ed25519 ? QD_SIGN_ED25519 : QD_SIGN_ES256;
	r.enc = QD_ENC_BASE64URL;
	r.secret = "private_key";
	r.msg = input;
	r.msg_len = n;
	if ((rc = t->api->sign(t->ctx, &r, sig, sizeof(sig), &sl)) != QD_OK)
		return rc;
	if ((size_t)snprintf(out, cap, "%s.%s", input, sig) >= cap)
		return QD_ERR_LIMIT;
	return QD_OK;
}

/* Whether the bucket has a token and REST is not paused. */
static int
have_token(struct cbt *t)
{
	int64_t now = now_ms(t);

	if (now < t->paused_until)
		return 0;
	t->tokens += (double)(now - t->refill_ms) * t->rate / 1000.0;
	if (t->tokens > t->rate)
		t->tokens = t->rate;
	t->refill_ms = now;
	return t->tokens >= 1;
}

static int
take_token(struct cbt *t)
{
	if (!have_token(t))
		return 0;
	t->tokens -= 1;
	return 1;
}

/* Send METHOD rest_url+path (a private request unless kind is TQ_TIME). */
static int
send_req(struct cbt *t, const char *method, const char *path,
	const char *body, enum tq kind, uint64_t order, const char *vid,
	const char *extra)
{
	struct qd_http_request r;
	struct qd_kv h[2];
	char url[768], uri[512], auth[2560];
	const char *q;
	uint64_t id;
	size_t i;
	int rc;

	for (i = 0; i < MAX_REQS && t->reqs[i].http != 0; i++)
		;
	if (i == MAX_REQS || !take_token(t)) {
		size_t k;

		/* What the adapter asks for itself (GETs) waits for a
		 * token; orders and cancels are the caller's to retry. */
		if (strcmp(method, "GET") != 0 || t->n_queued == MAX_QUEUE)
			return QD_ERR_LIMIT;
		for (k = 0; k < t->n_queued; k++)
			if (strcmp(t->queued_path[k], path) == 0)
				return QD_OK;
		memset(&t->queued[t->n_queued], 0, sizeof(t->queued[0]));
		t->queued[t->n_queued].kind = kind;
		t->queued[t->n_queued].order = order;
		snprintf(t->queued[t->n_queued].vid, sizeof(t->queued[0].vid),
			"%s", vid ? vid : "");
		snprintf(t->queued[t->n_queued].extra,
			sizeof(t->queued[0].extra), "%s", extra ? extra : "");
		snprintf(t->queued_path[t->n_queued++], sizeof(t->queued_path[0]),
			"%s", path);
		return QD_OK;
	}
	snprintf(url, sizeof(url), "%s%s", t->rest_url, path);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = method;
	r.url = url;
	r.headers = h;
	h[0].key = "Content-Type";
	h[0].value = "application/json";
	r.n_headers = 1;
	if (kind != TQ_TIME) {
		q = strchr(path, '?');
		snprintf(uri, sizeof(uri), "%s %s%.*s", method, t->host,
			(int)(q ? (size_t)(q - path) : strlen(path)), path);
		if ((rc = jwt(t, uri, auth + 7, sizeof(auth) - 7)) != QD_OK) {
			SAY(t, QD_LOG_ERROR, "request not signed: %s",
				qd_strerror(rc));
			return QD_ERR_DENIED;
		}
		memcpy(auth, "Bearer ", 7);
		h[1].key = "Authorization";
		h[1].value = auth;
		r.n_headers = 2;
	}
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	if ((rc = t->api->http_request(t->ctx, &r, &id)) != QD_OK)
		return rc;
	memset(&t->reqs[i], 0, sizeof(t->reqs[i]));
	t->reqs[i].http = id;
	t->reqs[i].kind = kind;
	t->reqs[i].order = order;
	snprintf(t->reqs[i].vid, sizeof(t->reqs[i].vid), "%s", vid ? vid : "");
	snprintf(t->reqs[i].extra, sizeof(t->reqs[i].extra), "%s",
		extra ? extra : "");
	return QD_OK;
}

/* Send what waited for a token, oldest first, while tokens last. */
static void
drain(struct cbt *t)
{
	struct treq q;
	char path[400];

	size_t i;

	for (i = 0; i < MAX_REQS && t->reqs[i].http != 0; i++)
		;
	/* One at a time: each send takes the slot and token it found. */
	while (t->n_queued > 0 && i < MAX_REQS && have_token(t)) {
		q = t->queued[0];
		snprintf(path, sizeof(path), "%s", t->queued_path[0]);
		t->n_queued--;
		memmove(t->queued, t->queued + 1, t->n_queued *
			sizeof(t->queued[0]));
		memmove(t->queued_path, t->queued_path + 1, t->n_queued *
			sizeof(t->queued_path[0]));
		if (send_req(t, "GET", path, NULL, q.kind, q.order, q.vid,
		    q.extra) != QD_OK)
			t->sync_due = 1;
		for (i = 0; i < MAX_REQS && t->reqs[i].http != 0; i++)
			;
	}
}

/* A request of the reconcile that could not be sent: a reconcile again
 * once REST can take it. */
static void
later(struct cbt *t, int rc)
{
	if (rc != QD_OK)
		t->sync_due = 1;
}

static int
get_order(struct cbt *t, uint64_t id, const char *vid)
{
	char path[160];

	snprintf(path, sizeof(path), "/api/v3/brokerage/orders/historical/%s",
		vid);
	return send_req(t, "GET", path, NULL, TQ_GET, id, vid, NULL);
}

static void
iso_time(int64_t ms, char *out, size_t cap)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A page of the order list: `query` its filter, `cursor` where it goes
 * on ("" for the first page). */
static int
list_orders(struct cbt *t, enum tq kind, uint64_t order, const char *query,
	const char *cursor)
{
	char path[400];

	snprintf(path, sizeof(path), "/api/v3/brokerage/orders/historical/"
		"batch?%s&limit=250%s%s", query, cursor[0] ? "&cursor=" : "",
		cursor);
	return send_req(t, "GET", path, NULL, kind, order, NULL, query);
}

/* Orders created in the last 24 h: where an order known only by our
 * client id is found. */
static int
send_find(struct cbt *t)
{
	char q[64], iso[32];
	int rc;

	iso_time(now_ms(t) + t->offset_ms - 86400000, iso, sizeof(iso));
	snprintf(q, sizeof(q), "start_date=%s", iso);
	if ((rc = list_orders(t, TQ_FIND, t->find_gen + 1, q, "")) == QD_OK) {
		t->find_gen++;
		t->find_busy = 1;
	}
	return rc;
}

/* One list answers every lookup asked before it was sent: a burst of
 * queries after a restart costs one request (a page per 250 orders). */
static int
find_order(struct cbt *t, uint64_t id)
{
	struct tord *o = ord_find(t, id, 1);

	if (o == NULL)
		return QD_ERR_LIMIT;
	o->finding = t->find_gen + 1;
	return t->find_busy ? QD_OK : send_find(t);
}

static void
fetch_fills(struct cbt *t, struct tord *o)
{
	char path[200];

	if (o->fills_busy) {
		/* The answer on its way may predate what was just seen:
		 * fetch once more when it is in. */
		o->fills_again = 1;
		return;
	}
	snprintf(path, sizeof(path), "/api/v3/brokerage/orders/historical/"
		"fills?order_ids=%s&limit=250", o->vid);
	if (send_req(t, "GET", path, NULL, TQ_FILLS, o->id, o->vid, NULL) ==
	    QD_OK)
		o->fills_busy = 1;
	else
		t->sync_due = 1;
}

static int
send_cancel(struct cbt *t, struct tord *o)
{
	char body[128];

	o->want_cancel = 0;
	snprintf(body, sizeof(body), "{\"order_ids\":[\"%s\"]}", o->vid);
	return send_req(t, "POST", "/api/v3/brokerage/orders/batch_cancel",
		body, TQ_CANCEL, o->id, o->vid, NULL);
}

/* ---- what the venue says of an order ----------------------------------- */

static void
on_order(void *arg, const struct cbt_order *vo)
{
	struct cbt *t = arg;
	uint64_t id = qd_client_order_id_parse(vo->client_id);
	enum qd_order_state term = 0;
	struct tord *o;
	char why[200];
	int err = 0;

	if (id == 0 || (o = ord_find(t, id, 1)) == NULL)
		return;   /* not ours */
	snprintf(o->vid, sizeof(o->vid), "%s", vo->order_id);
	if (o->done)
		return;
	if (!o->pending_sent && (vo->status == CBT_OPEN || vo->filled > 0 ||
	    vo->status == CBT_FILLED)) {
		o->pending_sent = 1;
		emit(t, id, QD_ORDER_PENDING, NULL, 0);
	}
	switch (vo->status) {
	case CBT_CANCELLED:
		term = QD_ORDER_CANCELED;
		break;
	case CBT_EXPIRED:
		term = QD_ORDER_EXPIRED;
		break;
	case CBT_FAILED:
		term = QD_ORDER_REJECTED;
		err = cbt_error_status(200, vo->reason);
		SAY(t, QD_LOG_WARN, "order %s failed at the venue: %s",
			vo->client_id, vo->reason);
		break;
	default:
		break;
	}
	snprintf(why, sizeof(why), "coinbase %s%s%s", term ==
		QD_ORDER_CANCELED ? "CANCELLED" : term == QD_ORDER_EXPIRED ?
		"EXPIRED" : "FAILED", vo->reason[0] ? ": " : "", vo->reason);
	if (vo->filled > o->reported + EPS) {
		/* Its fills first, then (their answer) its final state. */
		if (term != 0) {
			o->term = term;
			o->term_error = err;
			snprintf(o->reason, sizeof(o->reason), "%s", why);
		}
		fetch_fills(t, o);
	} else if (term != 0) {
		emit_final(t, o, term, why, err);
	} else if (vo->status == CBT_FILLED) {
		o->done = 1;   /* its fills were all reported */
	}
	if (o->want_cancel && !o->done)
		later(t, send_cancel(t, o));
}

static void
on_fill(void *arg, const struct cbt_fill *f)
{
	struct cbt *t = arg;
	struct qd_order_update u;
	struct tord *o = ord_by_vid(t, f->order_id);
	char cid[16];

	if (o == NULL)
		return;
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = o->id;
	u.state = QD_ORDER_PARTIAL;
	u.ts = t->api->now_ns(t->ctx);
	u.last_qty = f->size;
	u.last_price = f->price;
	/* Spot commissions are charged in the quote currency. */
	u.fee = f->commission;
	u.trade_id = f->trade_id;
	u.maker = f->maker;
	qd_client_order_id(o->id, cid, sizeof(cid));
	u.client_id = cid;
	o->reported += f->size;
	t->api->emit_order_update(t->ctx, &u);
}

static void
on_balance(void *arg, const struct cbt_balance *b)
{
	struct cbt *t = arg;

	if (t->n_bal < MAX_BAL)
		t->bal[t->n_bal++] = *b;
}

static void
emit_balances(struct cbt *t)
{
	struct qd_balance b;
	size_t i;

	for (i = 0; i < t->n_bal; i++) {
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.asset = t->bal[i].currency;
		b.free = t->bal[i].available;
		b.total = t->bal[i].available + t->bal[i].hold;
		b.ts = t->api->now_ns(t->ctx);
		b.last = i + 1 == t->n_bal;
		t->api->emit_balance(t->ctx, &b);
	}
	t->n_bal = 0;
}

static void
save_resume(struct cbt *t)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "cbt1 %lld",
		(long long)t->resume_ms);

	if (t->api->state_save(t->ctx, buf, (size_t)n) != QD_OK)
		SAY(t, QD_LOG_WARN, "the reconcile's resume point not saved");
}

/* ---- answers ----------------------------------------------------------- */

static void
refused(struct cbt *t, const struct treq *r, int status, const char *body,
	size_t len)
{
	char code[64], text[160], reason[240];
	struct tord *o;
	int err;

	cbt_error_text(status, body, len, code, text, sizeof(text));
	err = cbt_error_status(status, code);
	snprintf(reason, sizeof(reason), "coinbase %s: %s", code, text);
	SAY(t, status == 401 ? QD_LOG_ERROR : QD_LOG_WARN, "%s refused "
		"(HTTP %d): %s%s", r->kind == TQ_PLACE ? "order" : "request",
		status, reason, status == 401 ? " (the venue did not take our "
		"JWT: check the api_key and private_key secrets and the "
		"clock)" : "");
	if (r->kind == TQ_PLACE && (o = ord_find(t, r->order, 1)) != NULL)
		emit_final(t, o, QD_ORDER_REJECTED, reason, err);
	else if (r->kind == TQ_GET && status == 404 &&
	    (o = ord_find(t, r->order, 0)) != NULL)
		emit_final(t, o, QD_ORDER_REJECTED, reason, QD_ERR_NOTFOUND);
	else if (r->kind != TQ_PLACE && r->kind != TQ_TIME && status != 401 &&
	    status != 403)
		t->sync_due = 1;   /* not the credentials: try again */
}

static void
on_place(struct cbt *t, const struct treq *r, int status, const char *body,
	size_t len)
{
	struct cbt_place p;
	struct tord *o = ord_find(t, r->order, 1);
	char reason[240];

	if (o == NULL)
		return;
	if (status != 0 && status < 500 && status != 200 &&
	    (cbt_parse_place(body, len, &p) < 0 || p.error[0] == '\0')) {
		refused(t, r, status, body, len);   /* 401, 429, ... */
		return;
	}
	if (status == 0 || status >= 500 || cbt_parse_place(body, len, &p) < 0) {
		/* Whether it got there is unknown: ask. */
		later(t, find_order(t, r->order));
		return;
	}
	if (p.success) {
		snprintf(o->vid, sizeof(o->vid), "%s", p.order_id);
		if (!o->pending_sent && !o->done) {
			o->pending_sent = 1;
			emit(t, o->id, QD_ORDER_PENDING, NULL, 0);
		}
		return;
	}
	if (strstr(p.error, "DUPLICATE") != NULL) {
		/* It reached the venue before a restart. */
		later(t, find_order(t, r->order));
		return;
	}
	snprintf(reason, sizeof(reason), "coinbase %s: %s", p.error,
		p.message);
	SAY(t, QD_LOG_WARN, "order refused: %s", reason);
	emit_final(t, o, QD_ORDER_REJECTED, reason, cbt_error_status(status,
		p.error));
}

static void
on_list(struct cbt *t, const struct treq *r, const char *body, size_t len)
{
	char cursor[64], why[96];
	struct tord *o;
	int more, n, again = 0;
	size_t i;

	n = cbt_parse_orders(body, len, on_order, t, &more, cursor, why);
	if (n < 0) {
		SAY(t, QD_LOG_WARN, "order list not read: %s", why);
		t->sync_due = 1;
		return;
	}
	if (more && cursor[0]) {
		later(t, list_orders(t, r->kind, r->order, r->extra, cursor));
		return;
	}
	if (r->kind == TQ_LIST_SINCE && t->sync_started > 0) {
		/* Orders created before the reconcile began are all seen;
		 * a minute's margin for the venue's own clock. */
		t->resume_ms = t->sync_started - 60000;
		save_resume(t);
	}
	if (r->kind != TQ_FIND)
		return;
	t->find_busy = 0;
	for (i = 0; i < MAX_ORDERS; i++) {
		o = &t->ord[i];
		if (o->id == 0 || o->finding == 0)
			continue;
		if (o->finding > r->order) {
			again = 1;   /* asked after this list was sent */
			continue;
		}
		o->finding = 0;
		if (o->vid[0] != '\0')
			continue;
		if (o->want_cancel)
			SAY(t, QD_LOG_WARN, "cancel: order %llu unknown at "
				"the venue", (unsigned long long)o->id);
		emit_final(t, o, QD_ORDER_REJECTED, "coinbase: no such order "
			"at the venue", QD_ERR_NOTFOUND);
	}
	if (again)
		later(t, send_find(t));
}

/* The ids of a kill list's answer, as a batch_cancel body. */
struct kill {
	struct cbt *t;
	char body[100 * 70 + 32];
	size_t len, n;
};

static void
kill_one(void *arg, const struct cbt_order *o)
{
	struct kill *k = arg;

	on_order(k->t, o);
	if (k->n < 100 && o->status == CBT_OPEN) {
		k->len += (size_t)snprintf(k->body + k->len,
			sizeof(k->body) - k->len, "%s\"%s\"", k->n ? "," : "",
			o->order_id);
		k->n++;
	}
}

/* Cancel every open order the list named (ours or not); the user channel
 * (or a reconcile) reports them canceled. */
static void
on_kill_list(struct cbt *t, const char *body, size_t len)
{
	struct kill *k = calloc(1, sizeof(*k));
	char why[96];

	if (k == NULL)
		return;
	k->t = t;
	k->len = (size_t)snprintf(k->body, sizeof(k->body),
		"{\"order_ids\":[");
	if (cbt_parse_orders(body, len, kill_one, k, NULL, NULL, why) < 0)
		SAY(t, QD_LOG_WARN, "cancel all: order list not read: %s", why);
	snprintf(k->body + k->len, sizeof(k->body) - k->len, "]}");
	if (k->n > 0 && send_req(t, "POST",
	    "/api/v3/brokerage/orders/batch_cancel", k->body, TQ_KILL, 0, NULL,
	    NULL) != QD_OK)
		SAY(t, QD_LOG_WARN, "cancel all: not sent (rate limit)");
	free(k);
}

int
cbt_on_http(struct cbt *t, uint64_t id, int status, const char *body,
	size_t len)
{
	struct treq r;
	struct tord *o;
	char why[96], cursor[64], reason[64];
	int64_t ms;
	size_t i;
	int more;

	for (i = 0; i < MAX_REQS && (t->reqs[i].http != id || id == 0); i++)
		;
	if (i == MAX_REQS)
		return 0;
	r = t->reqs[i];
	t->reqs[i].http = 0;
	if (r.kind == TQ_FILLS && (o = ord_by_vid(t, r.vid)) != NULL)
		o->fills_busy = 0;
	if (status == 429 || status == 418) {
		int64_t pause = venue_pause_ms(t->v, 1000);

		t->paused_until = now_ms(t) + pause;
		SAY(t, QD_LOG_WARN, "the venue's rate limit (HTTP %d): "
			"requests paused for %lld ms", status,
			(long long)pause);
	}
	if (r.kind == TQ_PLACE) {
		on_place(t, &r, status, body, len);
		return 1;
	}
	if (status != 200) {
		if (r.kind == TQ_FIND) {
			t->find_busy = 0;
			t->find_retry = status != 401 && status != 403;
		}
		refused(t, &r, status, body, len);
		return 1;
	}
	switch (r.kind) {
	case TQ_TIME:
		if ((ms = cbt_parse_time(body, len)) > 0)
			t->offset_ms = ms - now_ms(t);
		break;
	case TQ_GET:
		if (cbt_parse_orders(body, len, on_order, t, NULL, NULL,
		    why) < 0)
			SAY(t, QD_LOG_WARN, "order answer not read: %s", why);
		break;
	case TQ_FIND:
	case TQ_LIST_OPEN:
	case TQ_LIST_SINCE:
		on_list(t, &r, body, len);
		break;
	case TQ_FILLS:
		/* The answer holds every fill of the order: what it sums to
		 * is what has been reported. */
		if ((o = ord_by_vid(t, r.vid)) != NULL)
			o->reported = 0;
		if (cbt_parse_fills(body, len, on_fill, t, cursor, why) < 0) {
			SAY(t, QD_LOG_WARN, "fills not read: %s", why);
			t->sync_due = 1;
			break;
		}
		if ((o = ord_by_vid(t, r.vid)) != NULL && o->fills_again) {
			o->fills_again = 0;
			fetch_fills(t, o);   /* its end follows that answer */
		} else if (o != NULL && o->term != 0) {
			emit_final(t, o, o->term, o->reason, o->term_error);
		}
		break;
	case TQ_ACCOUNTS:
		if (cbt_parse_accounts(body, len, on_balance, t, &more, cursor,
		    why) < 0) {
			SAY(t, QD_LOG_WARN, "accounts not read: %s", why);
			t->n_bal = 0;
			t->sync_due = 1;
		} else if (more && cursor[0]) {
			char path[160];

			snprintf(path, sizeof(path), "/api/v3/brokerage/"
				"accounts?limit=250&cursor=%s", cursor);
			later(t, send_req(t, "GET", path, NULL, TQ_ACCOUNTS, 0,
				NULL, NULL));
		} else {
			emit_balances(t);
		}
		break;
	case TQ_CANCEL:
		if (cbt_parse_cancel(body, len, reason) == 0)
			SAY(t, QD_LOG_WARN, "cancel of %s refused: coinbase %s",
				r.vid, reason);
		/* Its state as the venue has it now, fills first. */
		later(t, get_order(t, r.order, r.vid));
		break;
	case TQ_KILL_LIST:
		on_kill_list(t, body, len);
		break;
	case TQ_KILL:
		t->sync_due = 1;   /* what was canceled, fills first */
		break;
	case TQ_PLACE:
		break;
	}
	return 1;
}

/* ---- the ops ----------------------------------------------------------- */

static int
denied(struct cbt *t, const char *what)
{
	SAY(t, QD_LOG_WARN, "%s refused: no credentials (the api_key and "
		"private_key secrets)", what);
	return QD_ERR_DENIED;
}

int
cbt_place(struct cbt *t, uint64_t id, const struct qd_order_req *r)
{
	char cid[16], qty[40], px[40], stop[40], conf[400], body[700];
	char product[40], *p;
	const char *sym;
	struct tord *o;

	if (!t->ready)
		return denied(t, "order");
	if ((sym = t->api->symbol_name(t->ctx, r->symbol)) == NULL)
		return QD_ERR_INVALID;
	snprintf(product, sizeof(product), "%s", sym);
	if ((p = strchr(product, '/')) != NULL)
		*p = '-';
	cbt_decimal(r->qty, qty, sizeof(qty));
	cbt_decimal(r->price, px, sizeof(px));
	cbt_decimal(r->stop_price, stop, sizeof(stop));
	switch (r->type) {
	case QD_ORDER_MARKET:
		snprintf(conf, sizeof(conf), "{\"market_market_ioc\":"
			"{\"base_size\":\"%s\"}}", qty);
		break;
	case QD_ORDER_LIMIT:
		if (r->tif == QD_TIF_IOC)
			snprintf(conf, sizeof(conf), "{\"sor_limit_ioc\":"
				"{\"base_size\":\"%s\",\"limit_price\":\"%s\"}}",
				qty, px);
		else if (r->tif == QD_TIF_FOK)
			snprintf(conf, sizeof(conf), "{\"limit_limit_fok\":"
				"{\"base_size\":\"%s\",\"limit_price\":\"%s\"}}",
				qty, px);
		else
			snprintf(conf, sizeof(conf), "{\"limit_limit_gtc\":"
				"{\"base_size\":\"%s\",\"limit_price\":\"%s\","
				"\"post_only\":%s}}", qty, px, r->tif ==
				QD_TIF_POST_ONLY ? "true" : "false");
		break;
	case QD_ORDER_STOP_LIMIT:
		/* A buy stop triggers on a rise, a sell stop on a fall. */
		snprintf(conf, sizeof(conf), "{\"stop_limit_stop_limit_gtc\":"
			"{\"base_size\":\"%s\",\"limit_price\":\"%s\","
			"\"stop_price\":\"%s\",\"stop_direction\":"
			"\"STOP_DIRECTION_STOP_%s\"}}", qty, px, stop,
			r->side == QD_SIDE_BUY ? "UP" : "DOWN");
		break;
	default:
		return QD_ERR_UNSUPPORTED;   /* the host holds it */
	}
	qd_client_order_id(id, cid, sizeof(cid));
	snprintf(body, sizeof(body), "{\"client_order_id\":\"%s\","
		"\"product_id\":\"%s\",\"side\":\"%s\",\"order_configuration\":"
		"%s}", cid, product, r->side == QD_SIDE_BUY ? "BUY" : "SELL",
		conf);
	if ((o = ord_find(t, id, 1)) == NULL)
		return QD_ERR_LIMIT;
	return send_req(t, "POST", "/api/v3/brokerage/orders", body, TQ_PLACE,
		id, NULL, NULL);
}

int
cbt_cancel(struct cbt *t, uint64_t id)
{
	struct tord *o;

	if (!t->ready)
		return denied(t, "cancel");
	if ((o = ord_find(t, id, 1)) == NULL)
		return QD_ERR_LIMIT;
	if (o->vid[0] == '\0') {
		o->want_cancel = 1;   /* once the list names it */
		return find_order(t, id);
	}
	return send_cancel(t, o);
}

int
cbt_query(struct cbt *t, uint64_t id)
{
	struct tord *o;

	if (!t->ready)
		return denied(t, "query");
	if ((o = ord_find(t, id, 1)) == NULL)
		return QD_ERR_LIMIT;
	/* The host asks again after a restart: report afresh. */
	o->done = 0;
	o->pending_sent = 0;
	if (o->vid[0] == '\0')
		return find_order(t, id);
	return get_order(t, id, o->vid);
}

int
cbt_cancel_all(struct cbt *t, qd_symbol sym)
{
	char q[80], *p;
	const char *name = sym ? t->api->symbol_name(t->ctx, sym) : NULL;

	if (!t->ready)
		return denied(t, "cancel all");
	if (name != NULL) {
		snprintf(q, sizeof(q), "order_status=OPEN&product_ids=%s",
			name);
		if ((p = strchr(q, '/')) != NULL)
			*p = '-';
	} else {
		snprintf(q, sizeof(q), "order_status=OPEN");
	}
	return list_orders(t, TQ_KILL_LIST, 0, q, "");
}

int
cbt_sync(struct cbt *t)
{
	char q[64], iso[32];
	size_t i;
	int rc;

	if (!t->ready)
		return denied(t, "reconcile");
	t->sync_due = 0;
	t->sync_started = now_ms(t) + t->offset_ms;
	t->n_bal = 0;
	if ((rc = send_req(t, "GET", "/api/v3/brokerage/accounts?limit=250",
	    NULL, TQ_ACCOUNTS, 0, NULL, NULL)) != QD_OK) {
		t->sync_due = 1;
		return rc;
	}
	later(t, list_orders(t, TQ_LIST_OPEN, 0, "order_status=OPEN", ""));
	iso_time(t->resume_ms > 0 ? t->resume_ms : t->sync_started - 86400000,
		iso, sizeof(iso));
	snprintf(q, sizeof(q), "start_date=%s", iso);
	later(t, list_orders(t, TQ_LIST_SINCE, 0, q, ""));
	/* Orders still open here that both lists may miss. */
	for (i = 0; i < MAX_ORDERS; i++)
		if (t->ord[i].id != 0 && !t->ord[i].done && t->ord[i].vid[0])
			later(t, get_order(t, t->ord[i].id, t->ord[i].vid));
	return QD_OK;
}

/* ---- the user channel -------------------------------------------------- */

static void
user_connect(struct cbt *t)
{
	if (t->api->ws_open(t->ctx, t->ws_url, NULL, 0, &t->user.conn) !=
	    QD_OK) {
		t->user.conn = 0;
		if (t->api->timer_add(t->ctx, venue_backoff_ms(t->v, &t->user) *
		    1000000, 0, &t->user.retry_timer) != QD_OK)
			t->user.retry_timer = 0;
	}
}

static void
user_subscribe(struct cbt *t, const char *channel)
{
	struct venue *v = t->v;
	char token[2560], *msg;
	size_t cap = 512 + v->n_subs * 40, len, i;
	int rc;

	if ((rc = jwt(t, NULL, token, sizeof(token))) != QD_OK) {
		SAY(t, QD_LOG_ERROR, "user channel: subscribe not signed: %s",
			qd_strerror(rc));
		return;
	}
	if ((msg = malloc(cap + strlen(token))) == NULL)
		return;
	len = (size_t)sprintf(msg, "{\"type\":\"subscribe\",\"channel\":"
		"\"%s\",\"product_ids\":[", channel);
	for (i = 0; i < v->n_subs && strcmp(channel, "user") == 0; i++)
		len += (size_t)sprintf(msg + len, "%s\"%s\"", i ? "," : "",
			v->subs[i].native);
	len += (size_t)sprintf(msg + len, "],\"jwt\":\"%s\"}", token);
	if (t->api->ws_send(t->ctx, t->user.conn, msg, len) != QD_OK)
		SAY(t, QD_LOG_WARN, "user channel: subscribe not sent");
	free(msg);
}

int
cbt_on_ws_open(struct cbt *t, uint64_t conn)
{
	if (t == NULL || conn == 0 || conn != t->user.conn)
		return 0;
	t->user.open = 1;
	t->user.attempts = 0;
	t->user.last_rx = now_ms(t);
	SAY(t, QD_LOG_INFO, "user channel connected to %s", t->ws_url);
	user_subscribe(t, "heartbeats");
	user_subscribe(t, "user");
	if (t->user.reconnected) {
		/* What the lost stream did not say: reconcile. */
		t->user.reconnected = 0;
		cbt_sync(t);
	}
	return 1;
}

int
cbt_on_ws_message(struct cbt *t, uint64_t conn, const char *data,
	size_t len)
{
	char channel[24], why[96];

	if (t == NULL || conn == 0 || conn != t->user.conn)
		return 0;
	t->user.last_rx = now_ms(t);
	why[0] = '\0';
	if (cbt_parse_user(data, len, channel, on_order, t, why) < 0)
		venue_malformed(t->v, why, data, len);
	else if (channel[0] == '\0' && len > 0)
		SAY(t, QD_LOG_WARN, "user channel: %.*s", (int)(len > 200 ?
			200 : len), data);
	return 1;
}

int
cbt_on_ws_close(struct cbt *t, uint64_t conn)
{
	if (t == NULL || conn == 0 || conn != t->user.conn)
		return 0;
	t->user.conn = 0;
	t->user.open = 0;
	if (t->v->stopping)
		return 1;
	SAY(t, QD_LOG_WARN, "user channel lost; reconnecting");
	t->user.reconnected = 1;
	if (t->api->timer_add(t->ctx, venue_backoff_ms(t->v, &t->user) *
	    1000000, 0, &t->user.retry_timer) != QD_OK)
		t->user.retry_timer = 0;
	return 1;
}

int
cbt_on_timer(struct cbt *t, uint64_t id)
{
	if (t == NULL || id == 0)
		return 0;
	if (id == t->user.retry_timer) {
		t->user.retry_timer = 0;
		if (!t->v->stopping && t->user.conn == 0)
			user_connect(t);
		return 1;
	}
	if (id == t->time_timer) {
		/* Missed now (rate limit): the next hour's. */
		send_req(t, "GET", "/api/v3/brokerage/time", NULL, TQ_TIME, 0,
			NULL, NULL);
		return 1;
	}
	if (id != t->tick_timer)
		return 0;
	/* The channel's heartbeats come every second: silence is a
	 * stall. */
	if (t->user.open && now_ms(t) - t->user.last_rx > 15000) {
		SAY(t, QD_LOG_WARN, "user channel silent for 15 s; "
			"reconnecting");
		t->user.open = 0;
		t->api->ws_close(t->ctx, t->user.conn);
	}
	drain(t);
	if (t->find_retry && !t->find_busy && have_token(t)) {
		t->find_retry = 0;
		later(t, send_find(t));
	}
	if (t->sync_due && now_ms(t) >= t->paused_until &&
	    now_ms(t) + t->offset_ms - t->sync_started >= 1000)
		cbt_sync(t);
	return 1;
}

/* ---- life -------------------------------------------------------------- */

struct cbt *
cbt_new(struct venue *v, const qd_params *p)
{
	struct cbt *t = calloc(1, sizeof(*t));
	const char *s, *h;
	FILE *f;

	if (t == NULL)
		return NULL;
	t->v = v;
	t->api = v->api;
	t->ctx = v->ctx;
	snprintf(t->rest_url, sizeof(t->rest_url), "%s",
		t->api->param_string(p, "trade_url"));
	snprintf(t->ws_url, sizeof(t->ws_url), "%s",
		t->api->param_string(p, "user_ws_url"));
	/* The JWT's uri names the host (and port) without the scheme. */
	s = t->rest_url;
	h = strstr(s, "://");
	h = h ? h + 3 : s;
	snprintf(t->host, sizeof(t->host), "%.*s", (int)strcspn(h, "/"), h);
	t->ed25519 = strcmp(t->api->param_string(p, "key_type"),
		"ed25519") == 0;
	t->rate = (double)t->api->param_int(p, "rate_limit");
	if (t->rate < 1)
		t->rate = 1;
	t->tokens = t->rate;
	t->rng = (uint64_t)t->api->now_ns(t->ctx) ^ (uint64_t)(uintptr_t)t;
	if ((f = fopen("/dev/urandom", "rb")) != NULL) {
		if (fread(&t->rng, sizeof(t->rng), 1, f) != 1)
			t->rng ^= 0x9e3779b97f4a7c15ULL;
		fclose(f);
	}
	if (t->rng == 0)
		t->rng = 1;
	return t;
}

void
cbt_start(struct cbt *t)
{
	char buf[64], probe[256];
	struct qd_sign_req r;
	size_t n;
	int rc;

	t->refill_ms = now_ms(t);
	if (!QD_API_HAS(t->api, sign) ||
	    (rc = t->api->secret_get(t->ctx, "api_key", t->key,
	    sizeof(t->key))) != QD_OK) {
		SAY(t, QD_LOG_WARN, "no api_key secret (the CDP key name): "
			"market data only, orders are refused");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.alg = t->ed25519 ? QD_SIGN_ED25519 : QD_SIGN_ES256;
	r.enc = QD_ENC_BASE64URL;
	r.secret = "private_key";
	r.msg = "probe";
	r.msg_len = 5;
	if ((rc = t->api->sign(t->ctx, &r, probe, sizeof(probe), &n)) !=
	    QD_OK) {
		SAY(t, QD_LOG_WARN, "the private_key secret %s: market data "
			"only, orders are refused", rc == QD_ERR_NOTFOUND ?
			"is missing" : "is not a key of this key_type");
		return;
	}
	t->ready = 1;
	if (t->api->state_load(t->ctx, buf, sizeof(buf) - 1, &n) == QD_OK &&
	    n < sizeof(buf)) {
		long long ms;

		buf[n] = '\0';
		if (sscanf(buf, "cbt1 %lld", &ms) == 1)
			t->resume_ms = ms;
	}
	send_req(t, "GET", "/api/v3/brokerage/time", NULL, TQ_TIME, 0, NULL,
		NULL);
	if (t->api->timer_add(t->ctx, 3600000000000LL, 3600000000000LL,
	    &t->time_timer) != QD_OK)
		t->time_timer = 0;
	if (t->api->timer_add(t->ctx, 100000000, 100000000,
	    &t->tick_timer) != QD_OK)
		t->tick_timer = 0;
	user_connect(t);
}

void
cbt_stop(struct cbt *t)
{
	if (t->user.conn)
		t->api->ws_close(t->ctx, t->user.conn);
}

void
cbt_free(struct cbt *t)
{
	free(t);
}
