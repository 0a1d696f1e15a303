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
