/*
 * runtime.c -- the one implementation of the host API (runtime.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "host/runtime.h"
#include "host/sign.h"
#include "json/json.h"
#include "log/log.h"
#include "market/symbol.h"
#include "plugin/indicator.h"
#include "plugin/params.h"
#include "store/store.h"
#include "trade/paper.h"

struct rt_indicator {
	qd_indicator *ind;
	struct rt_indicator *next;
};

/* ---- quotas --------------------------------------------------------------- */

enum quota { Q_TIMERS, Q_SYMBOLS, Q_SUBSCRIPTIONS, Q_OPEN_ORDERS,
	Q_INDICATORS, Q_ANNOTATIONS };

static const char *const quota_key[] = {
	"timers", "symbols", "subscriptions", "open_orders", "indicators",
	"annotation_bytes_per_sec",
};

/*
 * QD_OK while `used` is below the instance's quota `cap`; else
 * QD_ERR_LIMIT, logged the first time for this instance and quota.
 */
static int
quota_check(qd_ctx *c, enum quota q, uint64_t used, uint32_t cap)
{
	if (used < cap)
		return QD_OK;
	if (!(c->quota_logged & (1u << q))) {
		c->quota_logged |= 1u << q;
		log_warn(c->tag, "quota: %u %s reached (limits.%s); further "
			"requests are refused with QD_ERR_LIMIT", cap,
			quota_key[q], quota_key[q]);
	}
	return QD_ERR_LIMIT;
}

void
runtime_init(struct qd_ctx *c, const struct world_ops *ops,
	struct world *world, const char *tag, enum qd_kind kind,
	const struct plugin_registry *reg, const struct sandbox_limits *limits)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->world = world;
	c->tag = tag;
	c->kind = kind;
	c->reg = reg;
	if (limits != NULL)
		c->limits = *limits;
	else
		config_limits_default(&c->limits);
}

void
runtime_release(struct qd_ctx *c)
{
	while (c->indicators != NULL) {
		struct rt_indicator *ri = c->indicators;

		c->indicators = ri->next;
		indicator_free(ri->ind);
		free(ri);
	}
	c->n_indicators = 0;
}

void
runtime_timer_fired(struct qd_ctx *c, int periodic)
{
	if (!periodic && c->n_timers > 0)
		c->n_timers--;
}

void
runtime_timers_cleared(struct qd_ctx *c)
{
	c->n_timers = 0;
}

/* ---- every kind ------------------------------------------------------------ */

static void
r_log(qd_ctx *c, enum qd_log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((unsigned)level > QD_LOG_DEBUG)
		level = QD_LOG_ERROR;
	va_start(ap, fmt);
	log_vmsg(level, c ? c->tag : "plugin", fmt, ap);
	va_end(ap);
}

static int64_t
r_now(qd_ctx *c)
{
	return c->ops->now(c->world);
}

/* A symbol the instance is first to intern counts against its quota. */
static qd_symbol
r_symbol_intern(qd_ctx *c, const char *name)
{
	qd_symbol s;

	if (name == NULL)
		return 0;
	if ((s = symbol_lookup(name)) != 0)
		return s;
	if (!symbol_valid(name) || quota_check(c, Q_SYMBOLS, c->n_symbols,
	    c->limits.symbols) != QD_OK)
		return 0;
	if ((s = symbol_intern(name)) != 0)
		c->n_symbols++;
	return s;
}

static const char *
r_symbol_name(qd_ctx *c, qd_symbol sym)
{
	(void)c;
	return symbol_name(sym);
}

static int
r_timer_add(qd_ctx *c, int64_t after, int64_t every, uint64_t *id)
{
	uint64_t tid;
	int rc;

	if (after < 0 || every < 0 || id == NULL)
		return QD_ERR_INVALID;
	if (c->ops->timer_arm == NULL)
		return QD_ERR_UNSUPPORTED;
	if (quota_check(c, Q_TIMERS, c->n_timers, c->limits.timers) != QD_OK)
		return QD_ERR_LIMIT;
	tid = c->next_timer + 1;
	if ((rc = c->ops->timer_arm(c->world, tid, after, every)) != QD_OK)
		return rc;
	c->next_timer = tid;
	c->n_timers++;
	*id = tid;
	return QD_OK;
}

static int
r_timer_cancel(qd_ctx *c, uint64_t id)
{
	int rc;

	if (c->ops->timer_disarm == NULL)
		return QD_ERR_NOTFOUND;
	if ((rc = c->ops->timer_disarm(c->world, id)) == QD_OK &&
	    c->n_timers > 0)
		c->n_timers--;
	return rc;
}

static int
r_state_save(qd_ctx *c, const void *buf, size_t len)
{
	if (len > RUNTIME_MAX_STATE_BYTES)
		return QD_ERR_LIMIT;
	if (buf == NULL && len > 0)
		return QD_ERR_INVALID;
	if (c->ops->state_save == NULL)
		return QD_ERR_UNSUPPORTED;
	return c->ops->state_save(c->world, buf, len);
}

static int
r_state_load(qd_ctx *c, void *buf, size_t cap, size_t *len)
{
	if (buf == NULL && cap > 0)
		return QD_ERR_INVALID;
	if (c->ops->state_load == NULL)
		return QD_ERR_NOTFOUND;
	return c->ops->state_load(c->world, buf, cap, len);
}

/* ---- indicators ------------------------------------------------------------ */

static int
r_indicator_new(qd_ctx *c, const char *name, const struct qd_kv *params,
	uint32_t n, qd_indicator **out)
{
	struct rt_indicator *ri;
	char err[512];

	if (name == NULL || out == NULL || (params == NULL && n > 0))
		return QD_ERR_INVALID;
	if (quota_check(c, Q_INDICATORS, c->n_indicators,
	    c->limits.indicators) != QD_OK)
		return QD_ERR_LIMIT;
	if ((ri = calloc(1, sizeof(*ri))) == NULL)
		return QD_ERR_NOMEM;
	ri->ind = indicator_new(c->reg, name, params, n, err, sizeof(err));
	if (ri->ind == NULL) {
		log_error(c->tag, "indicator_new: %s", err);
		free(ri);
		return QD_ERR_INVALID;
	}
	indicator_set_owner(ri->ind, c);
	ri->next = c->indicators;
	c->indicators = ri;
	c->n_indicators++;
	*out = ri->ind;
	return QD_OK;
}

/* Free one of its owner's indicators (unknown ones: ignored). */
static void
r_indicator_free(qd_indicator *ind)
{
	qd_ctx *c = ind ? indicator_owner(ind) : NULL;
	struct rt_indicator **pp, *ri;

	if (c == NULL)
		return;
	for (pp = &c->indicators; (ri = *pp) != NULL; pp = &ri->next)
		if (ri->ind == ind) {
			*pp = ri->next;
			indicator_free(ind);
			free(ri);
			c->n_indicators--;
			return;
		}
}

/* ---- trading --------------------------------------------------------------- */

static int
r_subscribe(qd_ctx *c, qd_symbol sym, uint32_t tf)
{
	if (c->kind != QD_KIND_STRATEGY || symbol_name(sym) == NULL)
		return QD_ERR_INVALID;
	if (c->ops->subscribe == NULL)
		return QD_ERR_UNSUPPORTED;
	if (quota_check(c, Q_SUBSCRIPTIONS, c->ops->subscriptions(c->world),
	    c->limits.subscriptions) != QD_OK)
		return QD_ERR_LIMIT;
	return c->ops->subscribe(c->world, sym, tf);
}

static struct paper *
account(qd_ctx *c)
{
	if (c->kind != QD_KIND_STRATEGY || c->ops->account == NULL)
		return NULL;
	return c->ops->account(c->world);
}

static int
r_order_submit(qd_ctx *c, const struct qd_order_req *r, uint64_t *id)
{
	struct qd_order_req full;
	struct paper *acct;
	size_t open;

	if (c->kind != QD_KIND_STRATEGY)
		return QD_ERR_DENIED;
	/* Modules built before ABI 1.3 pass the shorter struct: zeros for
	 * what they do not know. */
	if (r == NULL || r->size < offsetof(struct qd_order_req, trail))
		return QD_ERR_INVALID;
	memset(&full, 0, sizeof(full));
	memcpy(&full, r, r->size < sizeof(full) ? r->size : sizeof(full));
	full.size = sizeof(full);
	if (!c->trading)
		return QD_ERR_STATE;
	if (c->ops->order_submit != NULL) {
		open = c->ops->open_orders(c->world, NULL, 0);
		if (quota_check(c, Q_OPEN_ORDERS, open,
		    c->limits.open_orders) != QD_OK)
			return QD_ERR_LIMIT;
		return c->ops->order_submit(c->world, &full, id);
	}
	if ((acct = account(c)) == NULL)
		return QD_ERR_NOMEM;
	if (quota_check(c, Q_OPEN_ORDERS, paper_open_orders(acct),
	    c->limits.open_orders) != QD_OK)
		return QD_ERR_LIMIT;
	return paper_submit(acct, &full, c->ops->order_time(c->world), id);
}

static int
r_order_cancel(qd_ctx *c, uint64_t id)
{
	struct paper *acct;

	if (c->kind != QD_KIND_STRATEGY)
		return QD_ERR_DENIED;
	if (c->ops->order_cancel != NULL)
		return c->ops->order_cancel(c->world, id);
	acct = account(c);
	return acct ? paper_cancel(acct, id) : QD_ERR_NOTFOUND;
}

static int
r_position_get(qd_ctx *c, qd_symbol sym, struct qd_position *out)
{
	struct paper *acct;
	const double *marks;
	size_t n = 0;
	double avg;
	int64_t q;

	if (out == NULL || out->size < sizeof(*out))
		return QD_ERR_INVALID;
	if (c->kind != QD_KIND_STRATEGY)
		return QD_ERR_DENIED;
	if (c->ops->position_get != NULL)
		return c->ops->position_get(c->world, sym, out);
	if ((acct = account(c)) == NULL)
		return QD_ERR_DENIED;
	marks = c->ops->marks(c->world, &n);
	q = paper_position(acct, sym, &avg);
	out->symbol = sym;
	out->qty = (double)q / PAPER_UNIT;
	out->avg_price = avg;
	out->realized_pnl = 0;
	out->unrealized_pnl = q != 0 && sym < n && marks[sym] > 0 ?
		out->qty * (marks[sym] - avg) : 0;
	return QD_OK;
}

static int
r_account_get(qd_ctx *c, struct qd_account *out)
{
	struct paper *acct;
	const double *marks;
	size_t n = 0;

	if (out == NULL || out->size < sizeof(*out))
		return QD_ERR_INVALID;
	if (c->kind != QD_KIND_STRATEGY)
		return QD_ERR_DENIED;
	if (c->ops->account_get != NULL)
		return c->ops->account_get(c->world, out);
	if ((acct = account(c)) == NULL)
		return QD_ERR_DENIED;
	marks = c->ops->marks(c->world, &n);
	out->cash = (double)paper_cash(acct) / PAPER_UNIT;
	out->equity = (double)paper_equity(acct, marks, n) / PAPER_UNIT;
	out->fees_paid = (double)paper_fees(acct) / PAPER_UNIT;
	return QD_OK;
}

static int
r_order_get(qd_ctx *c, uint64_t id, struct qd_order_update *out)
{
	if (out == NULL || out->size < offsetof(struct qd_order_update,
	    trade_id))
		return QD_ERR_INVALID;
	if (c->kind != QD_KIND_STRATEGY)
		return QD_ERR_DENIED;
	if (c->ops->order_get == NULL) {
		/* A backtest's book: its open orders. */
		struct paper *acct = account(c);
		struct paper_order po;
		struct qd_order_update u;
		uint32_t size = out->size < sizeof(u) ? out->size : sizeof(u);

		if (acct == NULL || paper_get_order(acct, id, &po) != QD_OK)
			return QD_ERR_NOTFOUND;
		memset(&u, 0, sizeof(u));
		u.order_id = po.id;
		u.symbol = po.symbol;
		u.side = po.side;
		u.type = po.type;
		u.state = po.filled > 0 ? QD_ORDER_PARTIAL : QD_ORDER_PENDING;
		u.ts = c->ops->now(c->world);
		u.qty = (double)(po.qty + po.filled) / PAPER_UNIT;
		u.price = po.price;
		u.filled_qty = (double)po.filled / PAPER_UNIT;
		u.avg_price = po.avg_price;
		u.size = size;
		memcpy(out, &u, size);
		return QD_OK;
	}
	{
		struct qd_order_update u;
		uint32_t size = out->size < sizeof(u) ? out->size : sizeof(u);
		int rc = c->ops->order_get(c->world, id, &u);

		if (rc != QD_OK)
			return rc;
		u.size = size;
		memcpy(out, &u, size);
		return QD_OK;
	}
}

static int
r_orders_open(qd_ctx *c, uint64_t *ids, size_t cap, size_t *n)
{
	if (n == NULL || (ids == NULL && cap > 0))
		return QD_ERR_INVALID;
	if (c->kind != QD_KIND_STRATEGY)
		return QD_ERR_DENIED;
	if (c->ops->open_orders == NULL) {
		struct paper *acct = account(c);

		/* A backtest's book: the count only. */
		*n = acct ? paper_open_orders(acct) : 0;
		return acct ? QD_OK : QD_ERR_DENIED;
	}
	*n = c->ops->open_orders(c->world, ids, cap);
	return QD_OK;
}

static int
r_size_order(qd_ctx *c, qd_symbol sym, int method, double value,
	double price, double stop_distance, double *qty)
{
	struct qd_account a;
	double q;

	if (qty == NULL)
		return QD_ERR_INVALID;
	*qty = 0;
	if (c->kind != QD_KIND_STRATEGY)
		return QD_ERR_DENIED;
	if (c->ops->size_order != NULL)
		return c->ops->size_order(c->world, sym, method, value, price,
			stop_distance, qty);
	/* A backtest: the account's equity, no instrument rules. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	if (r_account_get(c, &a) != QD_OK)
		return QD_ERR_DENIED;
	switch (method) {
	case QD_SIZE_FRACTION:
		q = qd_size_fraction(a.equity, value, price);
		break;
	case QD_SIZE_RISK:
		q = qd_size_risk(a.equity, value, stop_distance);
		break;
	case QD_SIZE_KELLY:
		q = qd_size_fraction(a.equity, qd_kelly_fraction(value,
			stop_distance, 0.25), price);
		break;
	default:
		return QD_ERR_INVALID;
	}
	*qty = q;
	return QD_OK;
}

/* ---- network and secrets --------------------------------------------------- */

/* Strategies and indicators have no network: data reaches them as
 * events, orders go through the host. */
static int
net_allowed(qd_ctx *c, const char *what)
{
	if (c->kind == QD_KIND_EXCHANGE || c->kind == QD_KIND_NOTIFIER ||
	    c->kind == QD_KIND_PAYMENT)
		return 1;
	log_warn(c->tag, "%s refused: only exchanges, notifiers and payment "
		"providers use the network", what);
	return 0;
}

static int
r_ws_open(qd_ctx *c, const char *url, const struct qd_kv *h, uint32_t n,
	uint64_t *conn)
{
	if (url == NULL || conn == NULL || (n && h == NULL))
		return QD_ERR_INVALID;
	if (!net_allowed(c, "ws_open"))
		return QD_ERR_DENIED;
	if (c->ops->ws_open == NULL)
		return QD_ERR_UNSUPPORTED;
	return c->ops->ws_open(c->world, url, h, n, conn);
}

static int
r_ws_send(qd_ctx *c, uint64_t conn, const char *data, size_t len)
{
	if (data == NULL && len)
		return QD_ERR_INVALID;
	if (c->ops->ws_send == NULL)
		return QD_ERR_NOTFOUND;
	return c->ops->ws_send(c->world, conn, data ? data : "", len);
}

static int
r_ws_close(qd_ctx *c, uint64_t conn)
{
	if (c->ops->ws_close == NULL)
		return QD_ERR_NOTFOUND;
	return c->ops->ws_close(c->world, conn);
}

static int
r_http_request(qd_ctx *c, const struct qd_http_request *req, uint64_t *id)
{
	if (req == NULL || req->size < sizeof(*req) || req->url == NULL ||
	    req->method == NULL || id == NULL ||
	    (req->n_headers && req->headers == NULL) ||
	    (req->body == NULL && req->body_len))
		return QD_ERR_INVALID;
	if (!net_allowed(c, "http_request"))
		return QD_ERR_DENIED;
	if (c->ops->http_request == NULL)
		return QD_ERR_UNSUPPORTED;
	return c->ops->http_request(c->world, req, id);
}

static int
r_http_header(qd_ctx *c, const char *name, char *buf, size_t cap)
{
	const char *v;
	size_t len;
	int in_response = 0;

	if (name == NULL || buf == NULL || cap == 0)
		return QD_ERR_INVALID;
	if (c->ops->http_header == NULL)
		return QD_ERR_STATE;
	v = c->ops->http_header(c->world, name, &in_response);
	if (!in_response)
		return QD_ERR_STATE;
	if (v == NULL)
		return QD_ERR_NOTFOUND;
	len = strlen(v);
	if (len >= cap) {
		memcpy(buf, v, cap - 1);
		buf[cap - 1] = '\0';
		return QD_ERR_LIMIT;
	}
	memcpy(buf, v, len + 1);
	return QD_OK;
}

/* ---- recorded market data ------------------------------------------------ */

int
runtime_history_source_ok(const char *src)
{
	char buf[256], *f[7], *save = NULL, *t;
	int n = 0;

	if (src == NULL || strlen(src) >= sizeof(buf))
		return 0;
	if (strncmp(src, "file:", 5) == 0)
		return src[5] != '\0';
	if (strncmp(src, "store:", 6) != 0)
		return 0;
	snprintf(buf, sizeof(buf), "%s", src + 6);
	for (t = strtok_r(buf, ":", &save); t != NULL && n < 7;
	     t = strtok_r(NULL, ":", &save))
		f[n++] = t;
	if (n != 3 && n != 5)
		return 0;
	if (!symbol_valid(f[1]) || (strcmp(f[2], "trades") != 0 &&
	    store_timeframe_ms(f[2]) <= 0))
		return 0;
	for (t = n == 5 ? f[3] : NULL; t != NULL; t = t == f[3] ? f[4] : NULL)
		if (strspn(t, "0123456789") != strlen(t))
			return 0;
	return 1;
}

static int
r_history_open(qd_ctx *c, const char *source, uint32_t *tf, uint64_t *cur)
{
	if (tf == NULL || cur == NULL || !runtime_history_source_ok(source))
		return QD_ERR_INVALID;
	if (c->ops->history_open == NULL)
		return QD_ERR_UNSUPPORTED;
	return c->ops->history_open(c->world, source, tf, cur);
}

static int
r_history_next(qd_ctx *c, uint64_t cur, struct qd_history_row *rows,
	size_t cap, size_t *n)
{
	if (n == NULL || (rows == NULL && cap > 0))
		return QD_ERR_INVALID;
	*n = 0;
	if (c->ops->history_next == NULL)
		return QD_ERR_NOTFOUND;
	return c->ops->history_next(c->world, cur, rows, cap, n);
}

static void
r_history_close(qd_ctx *c, uint64_t cur)
{
	if (c->ops->history_close != NULL)
		c->ops->history_close(c->world, cur);
}

/*
 * Resolve a secret reference from the instance config into buf: "env:VAR",
 * "file:PATH" (the first line, or with `whole` the whole file up to its
 * final newline: PEM keys) or "vault:CREDENTIAL" (the credential's whole
 * value, opened by the world from what it read at the instance's start).
 * Never logged; the caller wipes buf.
 */
static int
secret_resolve(qd_ctx *c, const char *name, int whole, char *buf,
	size_t cap, size_t *len)
{
	const struct json_value *secrets = c->ops->secrets ?
		c->ops->secrets(c->world) : NULL;
	const struct json_value *ref;
	const char *val;
	size_t n;

	if (strncmp(name, "target.", 7) == 0)
		return c->kind != QD_KIND_NOTIFIER ||
		    c->ops->target_secret == NULL ? QD_ERR_NOTFOUND :
		    c->ops->target_secret(c->world, name + 7, buf, cap, len);
	ref = secrets ? json_get(secrets, name) : NULL;
	if (ref == NULL || ref->type != JSON_STRING)
		return QD_ERR_NOTFOUND;
	if (strncmp(ref->str, "env:", 4) == 0) {
		if ((val = getenv(ref->str + 4)) == NULL)
			return QD_ERR_NOTFOUND;
		n = strlen(val);
		if (n >= cap)
			return QD_ERR_LIMIT;
		memcpy(buf, val, n + 1);
		*len = n;
		return QD_OK;
	}
	if (strncmp(ref->str, "vault:", 6) == 0)
		return c->ops->secret_open == NULL ? QD_ERR_UNSUPPORTED :
			c->ops->secret_open(c->world, name, buf, cap, len);
	if (strncmp(ref->str, "file:", 5) == 0) {
		FILE *f = fopen(ref->str + 5, "re");

		if (f == NULL)
			return QD_ERR_NOTFOUND;
		if (whole) {
			n = fread(buf, 1, cap, f);
			if (n == cap || ferror(f)) {
				fclose(f);
				explicit_bzero(buf, cap);
				return n == cap ? QD_ERR_LIMIT : QD_ERR_IO;
			}
			buf[n] = '\0';
			while (n > 0 && (buf[n - 1] == '\n' ||
			    buf[n - 1] == '\r'))
				buf[--n] = '\0';
		} else {
			if (fgets(buf, (int)cap, f) == NULL) {
				fclose(f);
				return QD_ERR_IO;
			}
			buf[strcspn(buf, "\r\n")] = '\0';
			n = strlen(buf);
		}
		fclose(f);
		*len = n;
		return QD_OK;
	}
	return QD_ERR_INVALID;
}

/* A secret for the plugin's own use; signing keys are sealed (sdk.h). */
static int
r_secret_get(qd_ctx *c, const char *name, char *buf, size_t cap)
{
	size_t n;

	if (name == NULL || buf == NULL || cap == 0)
		return QD_ERR_INVALID;
	if (sign_sealed(name)) {
		log_warn(c->tag, "secret_get(\"%s\") refused: a signing key "
			"is only used through sign()", name);
		return QD_ERR_DENIED;
	}
	return secret_resolve(c, name, 0, buf, cap, &n);
}

/* Sign with a secret the plugin never sees. */
static int
r_sign(qd_ctx *c, const struct qd_sign_req *r, char *out, size_t cap,
	size_t *out_len)
{
	char *key, why[160];
	size_t klen = 0, n = 0;
	int rc;

	if (r == NULL || r->size < sizeof(*r) || r->secret == NULL ||
	    out == NULL || cap == 0)
		return QD_ERR_INVALID;
	if ((key = malloc(SIGN_SECRET_MAX)) == NULL)
		return QD_ERR_NOMEM;
	rc = secret_resolve(c, r->secret, 1, key, SIGN_SECRET_MAX, &klen);
	if (rc != QD_OK) {
		log_warn(c->tag, "sign: secret \"%s\": %s", r->secret,
			rc == QD_ERR_NOTFOUND ? "not configured, or its "
			"variable or file is missing" : qd_strerror(rc));
	} else if ((rc = sign_compute(r, key, klen, out, cap, &n, why,
	    sizeof(why))) != QD_OK) {
		log_warn(c->tag, "sign with secret \"%s\": %s", r->secret,
			why);
	}
	explicit_bzero(key, SIGN_SECRET_MAX);
	free(key);
	if (rc == QD_OK && out_len != NULL)
		*out_len = n;
	return rc;
}

static int
r_hmac(qd_ctx *c, enum qd_hash hash, const void *key, size_t key_len,
	const void *msg, size_t msg_len, unsigned char *out, size_t *out_len)
{
	const EVP_MD *md = hash == QD_HASH_SHA256 ? EVP_sha256() :
		hash == QD_HASH_SHA512 ? EVP_sha512() : NULL;
	unsigned int n = 0;

	(void)c;
	if (md == NULL || out == NULL || out_len == NULL ||
	    *out_len < (size_t)EVP_MD_get_size(md) || key_len > INT32_MAX ||
	    (key == NULL && key_len > 0) || (msg == NULL && msg_len > 0))
		return QD_ERR_INVALID;
	if (HMAC(md, key ? key : "", (int)key_len, msg ? msg : (const void *)"",
	    msg_len, out, &n) == NULL)
		return QD_ERR_INTERNAL;
	*out_len = n;
	return QD_OK;
}

/* ---- events from exchanges ------------------------------------------------- */

static void
r_emit_trade(qd_ctx *c, const struct qd_trade_event *e)
{
	if (c->kind == QD_KIND_EXCHANGE && c->ops->emit_trade != NULL &&
	    e != NULL && e->size >= sizeof(*e) && symbol_name(e->symbol))
		c->ops->emit_trade(c->world, e);
}

static void
r_emit_bar(qd_ctx *c, const struct qd_bar_event *e)
{
	if (c->kind == QD_KIND_EXCHANGE && c->ops->emit_bar != NULL &&
	    e != NULL && e->size >= sizeof(*e) && symbol_name(e->symbol) &&
	    e->timeframe_s != 0)
		c->ops->emit_bar(c->world, e);
}

static void
r_emit_book_top(qd_ctx *c, const struct qd_book_top_event *e)
{
	if (c->kind == QD_KIND_EXCHANGE && c->ops->emit_book_top != NULL &&
	    e != NULL && e->size >= sizeof(*e) && symbol_name(e->symbol))
		c->ops->emit_book_top(c->world, e);
}

/* Decimal text of at most 31 characters: digits, at most one point, no
 * sign or exponent.  NULL passes when `may_be_null`. */
static int
decimal_ok(const char *s, int may_be_null)
{
	size_t i, dots = 0, digits = 0;

	if (s == NULL)
		return may_be_null;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 31)
			return 0;
		if (s[i] == '.')
			dots++;
		else if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else
			return 0;
	}
	return dots <= 1 && digits > 0;
}

static int
name_ok(const char *s, size_t max)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] <= ' ' || s[i] == '"' ||
		    s[i] == '\\' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static void
r_emit_instrument(qd_ctx *c, const struct qd_instrument *i)
{
	if (c->kind != QD_KIND_EXCHANGE || c->ops->emit_instrument == NULL ||
	    i == NULL || i->size < sizeof(*i))
		return;
	if (!symbol_name(i->symbol) || !name_ok(i->native, 63) ||
	    !decimal_ok(i->tick, 1) || !decimal_ok(i->lot, 1) ||
	    !decimal_ok(i->min_qty, 1) || !decimal_ok(i->min_notional, 1) ||
	    (i->status != NULL && !name_ok(i->status, 23))) {
		/* Logged at powers of two: a list of them stays readable. */
		c->instr_refused++;
		if ((c->instr_refused & (c->instr_refused - 1)) == 0)
			log_warn(c->tag, "instrument refused: a step or "
				"minimum that is not plain decimal text, or a "
				"bad name (%llu so far)",
				(unsigned long long)c->instr_refused);
		return;
	}
	c->ops->emit_instrument(c->world, i);
}

/* An update of any minor, read as this one's (fields it lacks zero). */
static void
r_emit_order_update(qd_ctx *c, const struct qd_order_update *u)
{
	struct qd_order_update v;

	if (c->kind != QD_KIND_EXCHANGE || c->ops->emit_order_update == NULL ||
	    u == NULL || u->size < offsetof(struct qd_order_update, trade_id))
		return;
	memset(&v, 0, sizeof(v));
	memcpy(&v, u, u->size < sizeof(v) ? u->size : sizeof(v));
	v.size = sizeof(v);
	if (v.error > 0 || v.error < QD_ERR_INTERNAL)
		v.error = QD_ERR_INTERNAL;
	c->ops->emit_order_update(c->world, &v);
}

static void
r_emit_balance(qd_ctx *c, const struct qd_balance *b)
{
	if (c->kind == QD_KIND_EXCHANGE && c->ops->emit_balance != NULL &&
	    b != NULL && b->size >= sizeof(*b) && b->asset != NULL &&
	    name_ok(b->asset, 15) && isfinite(b->total) &&
	    isfinite(b->free) && b->total >= 0 && b->free >= 0)
		c->ops->emit_balance(c->world, b);
}

static void
r_notify_done(qd_ctx *c, uint64_t req, int status, const char *detail)
{
	if (status > 0 || status < QD_ERR_INTERNAL)
		status = QD_ERR_INTERNAL;
	if (c->kind == QD_KIND_NOTIFIER && c->ops->notify_done != NULL) {
		c->ops->notify_done(c->world, req, status, detail);
		return;
	}
	log_msg(status == QD_OK ? QD_LOG_DEBUG : QD_LOG_WARN, c->tag,
		"notification %llu: %s%s%s", (unsigned long long)req,
		qd_strerror(status), detail ? ": " : "", detail ? detail : "");
}

/* A header field of an e-mail: present, no CR or LF (no injection). */
static int
mail_field_ok(const char *s, size_t max)
{
	return s != NULL && *s != '\0' && strlen(s) <= max &&
	    strpbrk(s, "\r\n") == NULL;
}

/* An e-mail for a notifier: checked, its password resolved here (the
 * plugin names the secret, never sees it), sent by the world's mailer. */
static int
r_mail_send(qd_ctx *c, const struct qd_mail *m, uint64_t *id)
{
	char pw[512];
	size_t n = 0, i;
	int rc;

	if (c->kind != QD_KIND_NOTIFIER || c->ops->mail_send == NULL)
		return QD_ERR_UNSUPPORTED;
	if (m == NULL || m->size < sizeof(*m) || id == NULL ||
	    m->url == NULL || (strncmp(m->url, "smtp://", 7) != 0 &&
	    strncmp(m->url, "smtps://", 8) != 0) ||
	    !mail_field_ok(m->url, 1000) || !mail_field_ok(m->from, 254) ||
	    strchr(m->from, '@') == NULL || m->to == NULL ||
	    m->to[0] == NULL || (m->subject != NULL && strpbrk(m->subject,
	    "\r\n") != NULL) || (m->key != NULL &&
	    !mail_field_ok(m->key, 200)) || (m->username != NULL &&
	    !mail_field_ok(m->username, 254)))
		return QD_ERR_INVALID;
	for (i = 0; m->to[i] != NULL; i++)
		if (i == 100 || !mail_field_ok(m->to[i], 254) ||
		    strchr(m->to[i], '@') == NULL)
			return QD_ERR_INVALID;
	if (m->password != NULL && (rc = secret_resolve(c, m->password, 0,
	    pw, sizeof(pw), &n)) != QD_OK) {
		log_warn(c->tag, "mail: secret \"%s\": %s", m->password,
			rc == QD_ERR_NOTFOUND ? "not configured, or its "
			"variable or file is missing" : qd_strerror(rc));
		return rc;
	}
	rc = c->ops->mail_send(c->world, m, m->password ? pw : NULL, id);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

static void
r_payment_done(qd_ctx *c, uint64_t req, int status, const char *ref)
{
	log_msg(status == QD_OK ? QD_LOG_INFO : QD_LOG_WARN, c->tag,
		"payment request %llu: %s%s%s", (unsigned long long)req,
		qd_strerror(status), ref ? ": " : "", ref ? ref : "");
}

/* ---- annotations ----------------------------------------------------------- */

/*
 * Every number of `v` (a parsed tree) as the shortest text that reads back
 * as exactly that double: cJSON's own printer settles for 15 digits when
 * they come within an epsilon, which changes the last bit of a plugin's
 * value.  Each becomes a raw item with that text, under the same name.
 * 0, or -1 if memory ran out.
 */
static int
ann_exact_numbers(cJSON *v)
{
	cJSON *e, *next, *raw;
	char b[JSON_DOUBLE_MAX];

	for (e = v->child; e != NULL; e = next) {
		next = e->next;
		if (cJSON_IsNumber(e) && isfinite(e->valuedouble)) {
			raw = cJSON_CreateRaw(json_fmt_double(b, sizeof(b),
				e->valuedouble));
			if (raw == NULL)
				return -1;
			/* the member's name moves to its replacement */
			raw->string = e->string;
			e->string = NULL;
			cJSON_ReplaceItemViaPointer(v, e, raw);
		} else if ((cJSON_IsObject(e) || cJSON_IsArray(e)) &&
		    ann_exact_numbers(e) != 0) {
			return -1;
		}
	}
	return 0;
}

/*
 * One JSON object of at most 4 KiB under a kind of at most 64 bytes,
 * within the instance's bytes per second; handed on normalised (no
 * whitespace; numbers exact, in their shortest form).
 */
static int
r_annotate(qd_ctx *c, const char *kind, const char *json)
{
	struct timespec ts;
	cJSON *o;
	char *norm;
	size_t len;
	int rc;

	if (kind == NULL || json == NULL || strlen(kind) > 64 ||
	    (len = strlen(json)) > 4096 || (o = cJSON_Parse(json)) == NULL)
		return QD_ERR_INVALID;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return QD_ERR_INVALID;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != c->ann_sec) {
		c->ann_sec = ts.tv_sec;
		c->ann_bytes = 0;
	}
	if (quota_check(c, Q_ANNOTATIONS, (uint64_t)c->ann_bytes + len,
	    c->limits.annotation_bytes_per_sec == UINT32_MAX ? UINT32_MAX :
	    c->limits.annotation_bytes_per_sec + 1) != QD_OK) {
		cJSON_Delete(o);
		return QD_ERR_LIMIT;
	}
	c->ann_bytes += (uint32_t)len;
	norm = ann_exact_numbers(o) == 0 ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (norm == NULL)
		return QD_ERR_NOMEM;
	rc = c->ops->annotation ? c->ops->annotation(c->world, kind, norm) :
		QD_OK;
	free(norm);
	return rc;
}

const struct qd_host_api runtime_api = {
	.size = sizeof(struct qd_host_api),
	.abi_major = QD_ABI_MAJOR,
	.abi_minor = QD_ABI_MINOR,
	.log = r_log,
	.now_ns = r_now,
	.param_int = params_int,
	.param_double = params_double,
	.param_bool = params_bool,
	.param_string = params_string,
	.symbol_intern = r_symbol_intern,
	.symbol_name = r_symbol_name,
	.timer_add = r_timer_add,
	.timer_cancel = r_timer_cancel,
	.state_save = r_state_save,
	.state_load = r_state_load,
	.indicator_new = r_indicator_new,
	.indicator_update = indicator_update,
	.indicator_outputs = indicator_outputs,
	.indicator_output_name = indicator_output_name,
	.indicator_lookback = indicator_lookback,
	.indicator_free = r_indicator_free,
	.subscribe = r_subscribe,
	.order_submit = r_order_submit,
	.order_cancel = r_order_cancel,
	.position_get = r_position_get,
	.account_get = r_account_get,
	.ws_open = r_ws_open,
	.ws_send = r_ws_send,
	.ws_close = r_ws_close,
	.http_request = r_http_request,
	.secret_get = r_secret_get,
	.hmac = r_hmac,
	.emit_trade = r_emit_trade,
	.emit_bar = r_emit_bar,
	.emit_book_top = r_emit_book_top,
	.emit_order_update = r_emit_order_update,
	.notify_done = r_notify_done,
	.mail_send = r_mail_send,
	.payment_done = r_payment_done,
	.annotate = r_annotate,
	.http_header = r_http_header,
	.history_open = r_history_open,
	.history_next = r_history_next,
	.history_close = r_history_close,
	.emit_instrument = r_emit_instrument,
	.order_get = r_order_get,
	.orders_open = r_orders_open,
	.size_order = r_size_order,
	.sign = r_sign,
	.emit_balance = r_emit_balance,
};
