/*
 * store.c -- opening a store, migrations, argument checks and the decimal
 * conversions shared by both backends.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quantd/sdk.h>

#include "csv/csv.h"
#include "store/backend.h"

int
store_fail(struct store *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return code;
}

void
store_sql_and(char *sql, size_t cap, const char *term)
{
	size_t n = strlen(sql);

	snprintf(sql + n, cap - n, "%s%s", strstr(sql, " WHERE ") ?
		" AND " : " WHERE ", term);
}

int64_t
store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
is_pg_url(const char *u)
{
	return strncmp(u, "postgresql://", 13) == 0 ||
	    strncmp(u, "postgres://", 11) == 0;
}

static int
migrate_to(struct store *s, int target)
{
	const struct store_migration *m = s->ops->migrations;
	int n = *s->ops->n_migrations, cur, rc, i;

	if (target < 0 || target > n)
		return store_fail(s, QD_ERR_INVALID,
			"schema version %d does not exist (latest is %d)",
			target, n);
	for (;;) {
		if ((rc = s->ops->begin(s)) != QD_OK)
			return rc;
		/* Under the lock, so two processes opening a new database do
		 * not both apply the same migration. */
		if ((rc = s->ops->lock_schema(s)) != QD_OK ||
		    (rc = s->ops->version(s, &cur)) != QD_OK) {
			s->ops->rollback(s);
			return rc;
		}
		if (cur > n) {
			s->ops->rollback(s);
			return store_fail(s, QD_ERR_STATE,
				"the database schema is version %d, newer than "
				"this quantd knows (%d): upgrade quantd, or "
				"point storage at another database", cur, n);
		}
		if (cur >= target) {
			s->ops->rollback(s);
			return QD_OK;
		}
		i = cur;  /* m[i] is version cur + 1 */
		if ((rc = s->ops->exec(s, m[i].sql)) != QD_OK ||
		    (rc = s->ops->record_version(s, &m[i])) != QD_OK) {
			char why[sizeof(s->err)];

			snprintf(why, sizeof(why), "%s", s->err);
			s->ops->rollback(s);
			return store_fail(s, rc, "migration %04d_%s failed: %s",
				m[i].version, m[i].name, why);
		}
		if ((rc = s->ops->commit(s)) != QD_OK)
			return rc;
	}
}

int
store_open(const char *url, enum store_role role, struct store **out,
	char *err, size_t errlen)
{
	return store_open_version(url, role, -1, out, err, errlen);
}

int
store_open_version(const char *url, enum store_role role, int version,
	struct store **out, char *err, size_t errlen)
{
	struct store *s = NULL;
	int rc, ver, target;

	*out = NULL;
	if (url == NULL || *url == '\0') {
		snprintf(err, errlen, "storage: empty database location");
		return QD_ERR_INVALID;
	}
	if (strncmp(url, "env:", 4) == 0) {
		const char *v = getenv(url + 4);

		if (v == NULL || *v == '\0') {
			snprintf(err, errlen, "storage: environment variable "
				"%s is not set", url + 4);
			return QD_ERR_INVALID;
		}
		url = v;
	}
	if (is_pg_url(url))
		rc = store_pg_open(url, role, &s, err, errlen);
	else
		rc = store_sqlite_open(strncmp(url, "sqlite:", 7) == 0 ?
			url + 7 : url, role, &s, err, errlen);
	if (rc != QD_OK)
		return rc;
	target = version < 0 ? *s->ops->n_migrations : version;
	if (version >= 0) {
		rc = migrate_to(s, target);
	} else if (role == STORE_ROLE_READER) {
		rc = s->ops->version(s, &ver);
		if (rc == QD_OK && ver > *s->ops->n_migrations)
			rc = store_fail(s, QD_ERR_STATE, "the database schema "
				"is version %d, newer than this quantd knows "
				"(%d): upgrade quantd", ver,
				*s->ops->n_migrations);
		else if (rc == QD_OK && ver < target)
			rc = migrate_to(s, target);
	} else {
		rc = migrate_to(s, target);
	}
	if (rc == QD_OK && s->ops->opened != NULL)
		rc = s->ops->opened(s);
	if (rc != QD_OK) {
		snprintf(err, errlen, "storage (%s): %s", s->ops->name,
			s->err);
		s->ops->close(s);
		return rc;
	}
	*out = s;
	return QD_OK;
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

enum store_backend
store_backend(const struct store *s)
{
	return s->ops->backend;
}

const char *
store_backend_name(const struct store *s)
{
	return s->ops->name;
}

const char *
store_error(const struct store *s)
{
	return s->err;
}

int
store_schema_latest(const struct store *s)
{
	return *s->ops->n_migrations;
}

int
store_schema_version(struct store *s, int *version)
{
	return s->ops->version(s, version);
}

int
store_migrate(struct store *s, int target)
{
	return migrate_to(s, target);
}

int
store_uses_timescale(const struct store *s)
{
	return s->timescale;
}

int
store_begin(struct store *s)
{
	int rc;

	if (s->in_tx)
		return store_fail(s, QD_ERR_STATE, "a transaction is open");
	if ((rc = s->ops->begin(s)) == QD_OK)
		s->in_tx = 1;
	return rc;
}

int
store_commit(struct store *s)
{
	int rc;

	if (!s->in_tx)
		return store_fail(s, QD_ERR_STATE, "no transaction is open");
	rc = s->ops->commit(s);
	s->in_tx = 0;
	return rc;
}

int
store_rollback(struct store *s)
{
	s->in_tx = 0;
	return s->ops->rollback(s);
}

int
store_connected(struct store *s)
{
	return s->ops->connected(s);
}

int
store_reconnect(struct store *s)
{
	s->in_tx = 0;
	return s->ops->reconnect(s);
}

static int
check_series(struct store *s, const struct store_series *k, int need_tf)
{
	if (k == NULL || k->exchange == NULL || *k->exchange == '\0' ||
	    k->symbol == NULL || *k->symbol == '\0')
		return store_fail(s, QD_ERR_INVALID,
			"a series needs an exchange and a symbol");
	if (need_tf && (k->timeframe == NULL ||
	    store_timeframe_ms(k->timeframe) == 0))
		return store_fail(s, QD_ERR_INVALID, "unknown timeframe '%s'",
			k->timeframe ? k->timeframe : "");
	return QD_OK;
}

/* Run `fn` in its own transaction unless the caller opened one. */
#define IN_TX(s, call) do {                                              \
	int rc_, own_ = !(s)->in_tx;                                     \
	if (own_ && (rc_ = (s)->ops->begin(s)) != QD_OK)                 \
		return rc_;                                              \
	rc_ = (call);                                                    \
	if (own_) {                                                      \
		if (rc_ == QD_OK)                                        \
			rc_ = (s)->ops->commit(s);                       \
		else                                                     \
			(s)->ops->rollback(s);                           \
	}                                                                \
	return rc_;                                                      \
} while (0)

int
store_put_candles(struct store *s, const struct store_series *k,
	const struct store_candle *c, size_t n)
{
	int64_t tf;
	size_t i;
	int rc;

	if ((rc = check_series(s, k, 1)) != QD_OK)
		return rc;
	tf = store_timeframe_ms(k->timeframe);
	for (i = 0; i < n; i++) {
		const struct store_candle *x = &c[i];

		if (x->open_time < 0 || (tf < 604800000 &&
		    x->open_time % tf != 0))
			return store_fail(s, QD_ERR_INVALID, "candle %s %s %s "
				"at %lld: open time not aligned to the "
				"timeframe", k->exchange, k->symbol,
				k->timeframe, (long long)x->open_time);
		if (!isfinite(x->open) || !isfinite(x->high) ||
		    !isfinite(x->low) || !isfinite(x->close) ||
		    !isfinite(x->volume) || x->volume < 0 ||
		    (!isnan(x->quote_volume) && !isfinite(x->quote_volume)))
			return store_fail(s, QD_ERR_INVALID, "candle %s %s %s "
				"at %lld: a value is not a finite number",
				k->exchange, k->symbol, k->timeframe,
				(long long)x->open_time);
	}
	if (n == 0)
		return QD_OK;
	IN_TX(s, s->ops->put_candles(s, k, c, n));
}

int
store_put_trades(struct store *s, const struct store_series *k,
	const struct store_trade *t, size_t n)
{
	size_t i;
	int rc;

	if ((rc = check_series(s, k, 0)) != QD_OK)
		return rc;
	for (i = 0; i < n; i++)
		if (t[i].time < 0 || !isfinite(t[i].price) ||
		    !isfinite(t[i].qty) || t[i].side < 0 || t[i].side > 2 ||
		    t[i].trade_id > (uint64_t)INT64_MAX)
			return store_fail(s, QD_ERR_INVALID, "trade %s %s at "
				"%lld: invalid", k->exchange, k->symbol,
				(long long)t[i].time);
	if (n == 0)
		return QD_OK;
	IN_TX(s, s->ops->put_trades(s, k, t, n));
}

static int
decimal_text_ok(const char *s)
{
	double v;

	return s != NULL && csv_parse_number(s, strlen(s), &v) == 0 &&
	    v >= 0;
}

int
store_put_instrument(struct store *s, const struct store_instrument *in)
{
	if (in == NULL || in->exchange == NULL || in->symbol == NULL ||
	    in->native_symbol == NULL || !decimal_text_ok(in->tick) ||
	    !decimal_text_ok(in->lot) || (in->min_notional != NULL &&
	    !decimal_text_ok(in->min_notional)))
		return store_fail(s, QD_ERR_INVALID, "instrument: exchange, "
			"symbol, native symbol and decimal tick/lot needed");
	IN_TX(s, s->ops->put_instrument(s, in));
}

int
store_state_save(struct store *s, const char *instance, const void *buf,
	size_t len)
{
	if (instance == NULL || *instance == '\0' || (buf == NULL && len))
		return store_fail(s, QD_ERR_INVALID, "state: no instance");
	IN_TX(s, s->ops->state_save(s, instance, buf, len));
}

int
store_state_load(struct store *s, const char *instance, void *buf,
	size_t cap, size_t *len)
{
	if (instance == NULL || *instance == '\0' || (buf == NULL && cap))
		return store_fail(s, QD_ERR_INVALID, "state: no instance");
	return s->ops->state_load(s, instance, buf, cap, len);
}

int
store_state_each(struct store *s,
	int (*fn)(void *, const char *, const void *, size_t), void *arg)
{
	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "no callback");
	return s->ops->state_each(s, fn, arg);
}

int
store_candles(struct store *s, const struct store_series *k, int64_t from,
	int64_t to, size_t limit, int desc,
	int (*fn)(void *, const struct store_candle *, size_t), void *arg)
{
	int rc;

	if ((rc = check_series(s, k, 1)) != QD_OK)
		return rc;
	if (fn == NULL || from > to)
		return store_fail(s, QD_ERR_INVALID, "bad candle range");
	return s->ops->candles(s, k, from, to, limit, desc, fn, arg);
}

int
store_trades(struct store *s, const struct store_series *k, int64_t from,
	int64_t to, size_t limit,
	int (*fn)(void *, const struct store_trade *, size_t), void *arg)
{
	int rc;

	if ((rc = check_series(s, k, 0)) != QD_OK)
		return rc;
	if (fn == NULL || from > to)
		return store_fail(s, QD_ERR_INVALID, "bad trade range");
	return s->ops->trades(s, k, from, to, limit, fn, arg);
}

int
store_coverage(struct store *s, const struct store_series *f,
	int (*fn)(void *, const struct store_coverage *), void *arg)
{
	static const struct store_series all;

	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "no callback");
	return s->ops->coverage(s, f ? f : &all, fn, arg);
}

struct gap_walk {
	int64_t tf;
	int64_t prev;   /* open time of the previous candle, or -1 */
	int (*fn)(void *, int64_t, int64_t);
	void *arg;
};

static int
gap_chunk(void *arg, const struct store_candle *c, size_t n)
{
	struct gap_walk *g = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		if (g->prev >= 0 && c[i].open_time > g->prev + g->tf &&
		    g->fn(g->arg, g->prev + g->tf, c[i].open_time) != 0)
			return 1;
		g->prev = c[i].open_time;
	}
	return 0;
}

int
store_gaps(struct store *s, const struct store_series *k,
	int (*fn)(void *, int64_t, int64_t), void *arg)
{
	struct gap_walk g;
	int rc;

	if ((rc = check_series(s, k, 1)) != QD_OK)
		return rc;
	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "no callback");
	g.tf = store_timeframe_ms(k->timeframe);
	g.prev = -1;
	g.fn = fn;
	g.arg = arg;
	return s->ops->candles(s, k, INT64_MIN, INT64_MAX, 0, 0, gap_chunk,
		&g);
}

int
store_prune(struct store *s, const struct store_series *f, int64_t before,
	int what, int64_t *deleted)
{
	static const struct store_series all;
	int64_t d = 0;
	int rc;

	rc = s->ops->prune(s, f ? f : &all, before, what, &d);
	if (deleted)
		*deleted = d;
	return rc;
}

int
store_vacuum(struct store *s)
{
	if (s->in_tx)
		return store_fail(s, QD_ERR_STATE, "vacuum inside a transaction");
	return s->ops->vacuum(s);
}

/* ---- trading ------------------------------------------------------------- */

/* The longest decimal text the trading tables take, sign and point
 * included: room for any token amount (2^256 has 78 digits) with 18
 * decimals. */
#define DECIMAL_MAX 100

/*
 * Whether `t` is plain decimal text as the trading tables keep it:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?, not a negative zero, at most DECIMAL_MAX
 * characters.  That is exactly the form PostgreSQL prints a numeric in
 * (it keeps the scale it was given), so both backends give back the text
 * that was written, byte for byte.
 */
static int
decimal_plain(const char *t)
{
	const char *p = t;
	int nonzero = 0;

	if (*p == '-')
		p++;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return 0;  /* a leading zero */
	if (*p < '0' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++)
		nonzero |= *p != '0';
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			nonzero |= *p != '0';
	}
	return *p == '\0' && p - t <= DECIMAL_MAX && (t[0] != '-' || nonzero);
}

/* `field` of `who` must be a string (non-empty when `nonempty`). */
static int
need_text(struct store *s, const char *who, const char *field, const char *t,
	int nonempty)
{
	if (t == NULL || (nonempty && *t == '\0'))
		return store_fail(s, QD_ERR_INVALID, "%s: %s is %s; expected "
			"%s", who, field, t ? "empty" : "NULL", nonempty ?
			"a non-empty string" : "a string (\"\" for none)");
	return QD_OK;
}

/* `field` of `who` must be plain decimal text (or NULL when `nullable`). */
static int
need_decimal(struct store *s, const char *who, const char *field,
	const char *t, int nullable)
{
	if ((t == NULL && nullable) || (t != NULL && decimal_plain(t)))
		return QD_OK;
	return store_fail(s, QD_ERR_INVALID, "%s: %s is %s%.48s%s; expected "
		"plain decimal text like \"0.00100000\" or \"-12.5\" (no "
		"exponent, '+' or leading zeros, not \"-0\", at most %d "
		"characters)%s", who, field, t ? "\"" : "", t ? t : "NULL",
		t ? "\"" : "", DECIMAL_MAX, nullable ? " or NULL" : "");
}

/* An id kept in a bigint column: 1 .. INT64_MAX (0 too when `zero`). */
static int
need_id(struct store *s, const char *who, const char *field, uint64_t id,
	int zero)
{
	if ((id == 0 && !zero) || id > (uint64_t)INT64_MAX)
		return store_fail(s, QD_ERR_INVALID, "%s: %s is %llu; expected "
			"%s .. 9223372036854775807", who, field,
			(unsigned long long)id, zero ? "0 (none)" : "1");
	return QD_OK;
}

static int
need_side(struct store *s, const char *who, int side)
{
	if (side != QD_SIDE_BUY && side != QD_SIDE_SELL)
		return store_fail(s, QD_ERR_INVALID, "%s: side is %d; expected "
			"%d (buy) or %d (sell)", who, side, QD_SIDE_BUY,
			QD_SIDE_SELL);
	return QD_OK;
}

int
store_put_account(struct store *s, const struct store_account *a)
{
	char who[96];
	int rc;

	if (a == NULL)
		return store_fail(s, QD_ERR_INVALID, "account: NULL");
	snprintf(who, sizeof(who), "account %.64s", a->id ? a->id : "(NULL)");
	if ((rc = need_text(s, who, "id", a->id, 1)) != QD_OK ||
	    (rc = need_text(s, who, "owner", a->owner, 0)) != QD_OK ||
	    (rc = need_text(s, who, "instance", a->instance, 0)) != QD_OK ||
	    (rc = need_text(s, who, "venue", a->venue, 1)) != QD_OK ||
	    (rc = need_text(s, who, "quote", a->quote, 1)) != QD_OK)
		return rc;
	IN_TX(s, s->ops->put_account(s, a));
}

int
store_put_order(struct store *s, const struct store_order *o)
{
	char who[48];
	int rc;

	if (o == NULL)
		return store_fail(s, QD_ERR_INVALID, "order: NULL");
	snprintf(who, sizeof(who), "order %llu", (unsigned long long)o->id);
	if ((rc = need_id(s, who, "id", o->id, 0)) != QD_OK ||
	    (rc = need_text(s, who, "client_id", o->client_id, 1)) != QD_OK ||
	    (rc = need_text(s, who, "account", o->account, 1)) != QD_OK ||
	    (rc = need_text(s, who, "instance", o->instance, 0)) != QD_OK ||
	    (rc = need_text(s, who, "venue", o->venue, 1)) != QD_OK ||
	    (rc = need_text(s, who, "symbol", o->symbol, 1)) != QD_OK ||
	    (rc = need_side(s, who, o->side)) != QD_OK ||
	    (rc = need_decimal(s, who, "qty", o->qty, 0)) != QD_OK ||
	    (rc = need_decimal(s, who, "price", o->price, 1)) != QD_OK ||
	    (rc = need_decimal(s, who, "stop_price", o->stop_price, 1)) !=
	    QD_OK ||
	    (rc = need_decimal(s, who, "trail", o->trail, 1)) != QD_OK ||
	    (rc = need_decimal(s, who, "filled", o->filled, 0)) != QD_OK ||
	    (rc = need_decimal(s, who, "avg_price", o->avg_price, 1)) !=
	    QD_OK ||
	    (rc = need_decimal(s, who, "fees", o->fees, 0)) != QD_OK ||
	    (rc = need_id(s, who, "parent_id", o->parent_id, 1)) != QD_OK ||
	    (rc = need_id(s, who, "link_id", o->link_id, 1)) != QD_OK)
		return rc;
	if (o->type < 0 || o->tif < 0 || o->state < QD_ORDER_CREATED)
		return store_fail(s, QD_ERR_INVALID, "%s: type %d, tif %d, "
			"state %d; expected enum qd_order_type, qd_tif and "
			"qd_order_state values", who, o->type, o->tif,
			o->state);
	IN_TX(s, s->ops->put_order(s, o));
}

int
store_put_fill(struct store *s, const struct store_fill *f)
{
	char who[120];
	int rc;

	if (f == NULL)
		return store_fail(s, QD_ERR_INVALID, "fill: NULL");
	snprintf(who, sizeof(who), "fill %.64s of order %llu",
		f->trade_id ? f->trade_id : "(NULL)",
		(unsigned long long)f->order_id);
	if ((rc = need_id(s, who, "order_id", f->order_id, 0)) != QD_OK ||
	    (rc = need_text(s, who, "trade_id", f->trade_id, 1)) != QD_OK ||
	    (rc = need_text(s, who, "account", f->account, 1)) != QD_OK ||
	    (rc = need_text(s, who, "symbol", f->symbol, 1)) != QD_OK ||
	    (rc = need_side(s, who, f->side)) != QD_OK ||
	    (rc = need_decimal(s, who, "qty", f->qty, 0)) != QD_OK ||
	    (rc = need_decimal(s, who, "price", f->price, 0)) != QD_OK ||
	    (rc = need_decimal(s, who, "fee", f->fee, 0)) != QD_OK ||
	    (rc = need_text(s, who, "fee_asset", f->fee_asset, 0)) != QD_OK)
		return rc;
	IN_TX(s, s->ops->put_fill(s, f));
}

int
store_put_postings(struct store *s, const struct store_posting *p, size_t n)
{
	char why[sizeof(s->err)];
	size_t i;
	int rc;

	if (p == NULL && n > 0)
		return store_fail(s, QD_ERR_INVALID, "postings: NULL array "
			"of %zu", n);
	for (i = 0; i < n; i++) {
		const struct store_posting *x = &p[i];
		char who[64];

		snprintf(who, sizeof(who), "posting %zu (txn %lld)", i,
			(long long)x->txn);
		if (x->txn <= 0)
			return store_fail(s, QD_ERR_INVALID, "%s: expected a "
				"transaction number of 1 or more", who);
		if (i > 0 && x->txn < p[i - 1].txn)
			return store_fail(s, QD_ERR_INVALID, "%s: after txn "
				"%lld; expected the postings ascending by txn, "
				"all the legs of a transaction in one call",
				who, (long long)p[i - 1].txn);
		if ((rc = need_text(s, who, "kind", x->kind, 1)) != QD_OK ||
		    (rc = need_text(s, who, "ref", x->ref, 0)) != QD_OK ||
		    (rc = need_text(s, who, "account", x->account, 1)) !=
		    QD_OK ||
		    (rc = need_text(s, who, "asset", x->asset, 1)) != QD_OK ||
		    (rc = need_decimal(s, who, "amount", x->amount, 0)) !=
		    QD_OK)
			return rc;
	}
	if (n == 0)
		return QD_OK;
	if (!s->in_tx)
		IN_TX(s, s->ops->put_postings(s, p, n));
	/* In the caller's transaction, behind a savepoint: a refused call
	 * leaves nothing of itself and the transaction usable on both
	 * backends (PostgreSQL would otherwise abort it whole, and its COMMIT
	 * would quietly roll back). */
	if (s->ops->exec(s, "SAVEPOINT qd_postings") != QD_OK) {
		snprintf(why, sizeof(why), "%s", s->err);
		return store_fail(s, QD_ERR_IO, "postings: no savepoint in "
			"the open transaction (%s)", why);
	}
	if ((rc = s->ops->put_postings(s, p, n)) == QD_OK)
		return s->ops->exec(s, "RELEASE SAVEPOINT qd_postings");
	snprintf(why, sizeof(why), "%s", s->err);
	s->ops->exec(s, "ROLLBACK TO SAVEPOINT qd_postings; "
		"RELEASE SAVEPOINT qd_postings");
	return store_fail(s, rc, "%s", why);
}

int
store_put_risk_event(struct store *s, const struct store_risk_event *e)
{
	char who[64];
	int rc;

	if (e == NULL)
		return store_fail(s, QD_ERR_INVALID, "risk event: NULL");
	snprintf(who, sizeof(who), "risk event at %lld", (long long)e->ts_ms);
	if ((rc = need_text(s, who, "scope", e->scope, 1)) != QD_OK ||
	    (rc = need_text(s, who, "scope_id", e->scope_id, 0)) != QD_OK ||
	    (rc = need_text(s, who, "rule", e->rule, 1)) != QD_OK ||
	    (rc = need_text(s, who, "actions", e->actions, 0)) != QD_OK ||
	    (rc = need_text(s, who, "reason", e->reason, 0)) != QD_OK ||
	    (rc = need_id(s, who, "order_id", e->order_id, 1)) != QD_OK)
		return rc;
	IN_TX(s, s->ops->put_risk_event(s, e));
}

/* ---- alerts ---------------------------------------------------------------- */

int
store_put_alert(struct store *s, const struct store_alert *a)
{
	char who[64];
	int rc;

	if (a == NULL)
		return store_fail(s, QD_ERR_INVALID, "alert: NULL");
	snprintf(who, sizeof(who), "alert %llu", (unsigned long long)a->id);
	if ((rc = need_id(s, who, "id", a->id, 0)) != QD_OK ||
	    (rc = need_text(s, who, "user_id", a->user_id, 1)) != QD_OK ||
	    (rc = need_text(s, who, "exchange", a->exchange, 1)) != QD_OK ||
	    (rc = need_text(s, who, "symbol", a->symbol, 1)) != QD_OK ||
	    (rc = need_text(s, who, "name", a->name, 0)) != QD_OK ||
	    (rc = need_text(s, who, "spec", a->spec, 1)) != QD_OK ||
	    (rc = need_text(s, who, "fire_mode", a->fire_mode, 1)) != QD_OK ||
	    (rc = need_text(s, who, "state", a->state, 1)) != QD_OK)
		return rc;
	if (a->cooldown_ms < 0 || a->expires_ms < 0 || a->fire_count < 0 ||
	    a->last_fired_ms < 0)
		return store_fail(s, QD_ERR_INVALID, "%s: cooldown_ms, "
			"expires_ms, fire_count and last_fired_ms must not be "
			"negative", who);
	IN_TX(s, s->ops->put_alert(s, a));
}

int
store_delete_alert(struct store *s, uint64_t id)
{
	int rc;

	if ((rc = need_id(s, "alert", "id", id, 0)) != QD_OK)
		return rc;
	IN_TX(s, s->ops->delete_alert(s, id));
}

int
store_alerts(struct store *s,
	int (*fn)(void *, const struct store_alert *), void *arg)
{
	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "alerts: no callback");
	return s->ops->alerts(s, fn, arg);
}

int
store_put_alert_event(struct store *s, const struct store_alert_event *e)
{
	char who[64];
	int rc;

	if (e == NULL)
		return store_fail(s, QD_ERR_INVALID, "alert event: NULL");
	snprintf(who, sizeof(who), "event of alert %llu",
		(unsigned long long)e->alert_id);
	if ((rc = need_id(s, who, "alert_id", e->alert_id, 0)) != QD_OK ||
	    (rc = need_text(s, who, "user_id", e->user_id, 1)) != QD_OK ||
	    (rc = need_text(s, who, "message", e->message, 0)) != QD_OK)
		return rc;
	if (!isfinite(e->price))
		return store_fail(s, QD_ERR_INVALID, "%s: price is not a "
			"finite number", who);
	IN_TX(s, s->ops->put_alert_event(s, e));
}

int
store_alert_events(struct store *s, uint64_t alert_id, size_t limit,
	int (*fn)(void *, const struct store_alert_event *), void *arg)
{
	int rc;

	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "alert events: no "
			"callback");
	if ((rc = need_id(s, "alert events", "alert_id", alert_id, 1)) !=
	    QD_OK)
		return rc;
	return s->ops->alert_events(s, alert_id, limit, fn, arg);
}

int
store_accounts(struct store *s,
	int (*fn)(void *, const struct store_account *), void *arg)
{
	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "accounts: no callback");
	return s->ops->accounts(s, fn, arg);
}

int
store_orders(struct store *s, const struct store_order_filter *f,
	int (*fn)(void *, const struct store_order *), void *arg)
{
	static const struct store_order_filter all;
	int rc;

	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "orders: no callback");
	if (f == NULL)
		f = &all;
	if ((rc = need_id(s, "orders", "after_id", f->after_id, 1)) != QD_OK)
		return rc;
	return s->ops->orders(s, f, fn, arg);
}

int
store_fills(struct store *s, const char *account, uint64_t order_id,
	int (*fn)(void *, const struct store_fill *), void *arg)
{
	int rc;

	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "fills: no callback");
	if ((rc = need_id(s, "fills", "order_id", order_id, 1)) != QD_OK)
		return rc;
	return s->ops->fills(s, account, order_id, fn, arg);
}

int
store_postings(struct store *s, const char *account,
	int (*fn)(void *, const struct store_posting *), void *arg)
{
	struct store_posting_filter f = { account, 0, INT64_MIN, INT64_MAX };

	return store_postings_page(s, &f, fn, arg);
}

int
store_postings_page(struct store *s, const struct store_posting_filter *f,
	int (*fn)(void *, const struct store_posting *), void *arg)
{
	if (fn == NULL || f == NULL)
		return store_fail(s, QD_ERR_INVALID, "postings: no callback "
			"or filter");
	if (f->after_txn < 0)
		return store_fail(s, QD_ERR_INVALID, "postings: after_txn %lld "
			"is negative", (long long)f->after_txn);
	return s->ops->postings(s, f, fn, arg);
}

int
store_risk_events(struct store *s, int64_t since, size_t limit,
	int (*fn)(void *, const struct store_risk_event *), void *arg)
{
	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "risk log: no callback");
	return s->ops->risk_events(s, since, limit, fn, arg);
}

int
store_trading_ids(struct store *s, uint64_t *max_order_id, int64_t *max_txn)
{
	if (max_order_id == NULL || max_txn == NULL)
		return store_fail(s, QD_ERR_INVALID, "trading ids: NULL "
			"output");
	*max_order_id = 0;
	*max_txn = 0;
	return s->ops->trading_ids(s, max_order_id, max_txn);
}

/* ---- the notification outbox ---------------------------------------------- */

int
store_put_notification(struct store *s, const struct store_notification *n)
{
	char who[64];
	int rc;

	if (n == NULL)
		return store_fail(s, QD_ERR_INVALID, "notification: NULL");
	snprintf(who, sizeof(who), "notification %llu",
		(unsigned long long)n->id);
	if ((rc = need_id(s, who, "id", n->id, 0)) != QD_OK ||
	    (rc = need_text(s, who, "dkey", n->dkey, 1)) != QD_OK ||
	    (rc = need_text(s, who, "channel", n->channel, 1)) != QD_OK ||
	    (rc = need_text(s, who, "event", n->event, 1)) != QD_OK ||
	    (rc = need_text(s, who, "owner", n->owner, 0)) != QD_OK ||
	    (rc = need_text(s, who, "title", n->title, 0)) != QD_OK ||
	    (rc = need_text(s, who, "body", n->body, 0)) != QD_OK ||
	    (rc = need_text(s, who, "last_error", n->last_error, 0)) != QD_OK)
		return rc;
	if (n->state < STORE_NOTIFY_PENDING || n->state > STORE_NOTIFY_DEAD)
		return store_fail(s, QD_ERR_INVALID, "%s: state %d is not 0, "
			"1 or 2", who, n->state);
	IN_TX(s, s->ops->put_notification(s, n));
}

int
store_notifications(struct store *s, const struct store_notify_filter *f,
	int (*fn)(void *, const struct store_notification *), void *arg)
{
	static const struct store_notify_filter all = { .state = -1 };
	int rc;

	if (fn == NULL)
		return store_fail(s, QD_ERR_INVALID, "notifications: no "
			"callback");
	if (f == NULL)
		f = &all;
	if ((rc = need_id(s, "notifications", "after_id", f->after_id, 1)) !=
	    QD_OK)
		return rc;
	return s->ops->notifications(s, f, fn, arg);
}

int
store_notify_prune(struct store *s, int64_t before_ms, int64_t *deleted)
{
	int64_t n = 0;
	int rc;

	rc = s->ops->notify_prune(s, before_ms, &n);
	if (deleted != NULL)
		*deleted = n;
	return rc;
}

int
store_notify_max_id(struct store *s, uint64_t *max_id)
{
	if (max_id == NULL)
		return store_fail(s, QD_ERR_INVALID, "notify ids: NULL output");
	*max_id = 0;
	return s->ops->notify_max_id(s, max_id);
}
