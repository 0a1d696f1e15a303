/*
 * sqlite.c -- the embedded storage backend.
 *
 * One file in WAL mode; a busy timeout so a reader and the writer never
 * fail on each other; writes in BEGIN IMMEDIATE transactions (one writer).
 * synchronous=NORMAL for the writer's market data (a crash loses at most the
 * last commits, never consistency), FULL for admin work and for plugin
 * state (see store_state_save).
 */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <quantd/sdk.h>

#include "csv/csv.h"
#include "store/backend.h"

enum stmt_id {
	ST_CANDLE_PUT = 0,
	ST_TRADE_PUT,
	ST_INSTRUMENT_PUT,
	ST_STATE_PUT,
	ST_STATE_GET,
	ST_CANDLES_ASC,
	ST_CANDLES_DESC,
	ST_TRADES,
	ST_ACCOUNT_PUT,
	ST_ORDER_PUT,
	ST_FILL_PUT,
	ST_POSTING_PUT,
	ST_RISK_PUT,
	ST_NOTIFY_UPDATE,
	ST_NOTIFY_INSERT,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_CANDLE_PUT] =
	"INSERT INTO candles (exchange, symbol, timeframe, open_time, open, "
	"high, low, close, volume, quote_volume, trade_count) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	"ON CONFLICT (exchange, symbol, timeframe, open_time) DO UPDATE SET "
	"open = excluded.open, high = excluded.high, low = excluded.low, "
	"close = excluded.close, volume = excluded.volume, "
	"quote_volume = excluded.quote_volume, "
	"trade_count = excluded.trade_count",
	[ST_TRADE_PUT] =
	"INSERT INTO trades (exchange, symbol, time, trade_id, price, qty, "
	"side) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
	[ST_INSTRUMENT_PUT] =
	"INSERT OR REPLACE INTO instruments (exchange, symbol, native_symbol, "
	"tick, lot, min_notional, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
	"?6, ?7)",
	[ST_STATE_PUT] =
	"INSERT OR REPLACE INTO plugin_state (instance, data, updated_at) "
	"VALUES (?1, ?2, ?3)",
	[ST_STATE_GET] =
	"SELECT data FROM plugin_state WHERE instance = ?1",
	[ST_CANDLES_ASC] =
	"SELECT open_time, open, high, low, close, volume, quote_volume, "
	"trade_count FROM candles WHERE exchange = ?1 AND symbol = ?2 AND "
	"timeframe = ?3 AND open_time >= ?4 AND open_time < ?5 "
	"ORDER BY open_time LIMIT ?6",
	[ST_CANDLES_DESC] =
	"SELECT open_time, open, high, low, close, volume, quote_volume, "
	"trade_count FROM candles WHERE exchange = ?1 AND symbol = ?2 AND "
	"timeframe = ?3 AND open_time >= ?4 AND open_time < ?5 "
	"ORDER BY open_time DESC LIMIT ?6",
	[ST_TRADES] =
	"SELECT time, trade_id, price, qty, side FROM trades WHERE "
	"exchange = ?1 AND symbol = ?2 AND time >= ?3 AND time < ?4 "
	"ORDER BY time, trade_id LIMIT ?5",
	/* An account keeps the time it was first written. */
	[ST_ACCOUNT_PUT] =
	"INSERT INTO accounts (" STORE_ACCOUNT_COLS ") "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET "
	"owner = excluded.owner, instance = excluded.instance, "
	"venue = excluded.venue, quote = excluded.quote, "
	"margin = excluded.margin",
	[ST_ORDER_PUT] =
	"INSERT INTO orders (" STORE_ORDER_COLS ") "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	"?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
	"?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25) "
	"ON CONFLICT (id) DO UPDATE SET "
	STORE_ORDER_SET,
	/* Only the key's conflict is let pass (INSERT OR IGNORE would also
	 * swallow a NOT NULL or CHECK failure). */
	[ST_FILL_PUT] =
	"INSERT INTO fills (" STORE_FILL_COLS ") "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	"?7, ?8, ?9, ?10, ?11) ON CONFLICT (order_id, trade_id) DO NOTHING",
	[ST_POSTING_PUT] =
	"INSERT INTO ledger_postings (txn, leg, ts_ms, kind, ref, account, "
	"asset, amount) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_RISK_PUT] =
	"INSERT INTO risk_log (" STORE_RISK_COLS ") "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_NOTIFY_UPDATE] = STORE_NOTIFY_UPDATE,
	/* A (dkey, channel) already stored: nothing written. */
	[ST_NOTIFY_INSERT] =
	"INSERT INTO notify_outbox (" STORE_NOTIFY_COLS ") VALUES (?1, ?2, "
	"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
	"ON CONFLICT DO NOTHING",
};

struct sq {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	/* sq_query's statements, by the address of their SQL (literals) */
	struct { const char *sql; sqlite3_stmt *st; } qc[48];
	int sync_full;   /* synchronous=FULL for every commit (admin) */
	int full_once;   /* FULL for the open transaction only */
};

#define SQ(s) ((struct sq *)(void *)(s))

static int
sq_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM: return QD_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return QD_ERR_TIMEOUT;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE: return QD_ERR_INVALID;
	default: return QD_ERR_IO;
	}
}

static int
sq_fail(struct store *s, int rc, const char *what)
{
	const char *msg = sqlite3_errmsg(SQ(s)->db);

	if ((rc & 0xff) == SQLITE_FULL)
		msg = "database or disk is full";
	return store_fail(s, sq_code(rc), "%s: %s", what, msg);
}

static int
sq_exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(SQ(s)->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		store_fail(s, sq_code(rc), "%s", (rc & 0xff) == SQLITE_FULL ?
			"database or disk is full" : msg ? msg :
			sqlite3_errstr(rc));
		sqlite3_free(msg);
		return sq_code(rc);
	}
	return QD_OK;
}

static sqlite3_stmt *
sq_stmt(struct store *s, enum stmt_id id)
{
	struct sq *q = SQ(s);

	if (q->st[id] == NULL &&
	    sqlite3_prepare_v3(q->db, stmt_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &q->st[id], NULL) != SQLITE_OK) {
		sq_fail(s, SQLITE_ERROR, "prepare");
		return NULL;
	}
	sqlite3_reset(q->st[id]);
	sqlite3_clear_bindings(q->st[id]);
	return q->st[id];
}

static void
sq_close(struct store *s)
{
	struct sq *q = SQ(s);
	int i;

	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(q->st[i]);
	for (i = 0; i < (int)QD_COUNTOF(q->qc); i++)
		sqlite3_finalize(q->qc[i].st);
	sqlite3_close_v2(q->db);
	free(q);
}

static int
sq_version(struct store *s, int *version)
{
	sqlite3_stmt *st;
	int rc;

	*version = 0;
	rc = sqlite3_prepare_v2(SQ(s)->db, "SELECT coalesce(max(version), 0) "
		"FROM schema_version", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		/* No table yet: an empty database. */
		if (strstr(sqlite3_errmsg(SQ(s)->db), "no such table"))
			return QD_OK;
		return sq_fail(s, rc, "schema version");
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? QD_OK : sq_fail(s, rc, "schema version");
}

static int
sq_lock_schema(struct store *s)
{
	/* BEGIN IMMEDIATE already holds the write lock. */
	return sq_exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
		"version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
		"applied_at INTEGER NOT NULL)");
}

static int
sq_record_version(struct store *s, const struct store_migration *m)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "INSERT INTO schema_version "
		"(version, name, applied_at) VALUES (?1, ?2, ?3)", -1, &st,
		NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "schema version");
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, store_now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? QD_OK : sq_fail(s, rc, "schema version");
}

static int
sq_begin(struct store *s)
{
	return sq_exec(s, "BEGIN IMMEDIATE");
}

/* Back to NORMAL after a transaction that wrote state. */
static void
sync_restore(struct store *s)
{
	if (SQ(s)->full_once) {
		sqlite3_exec(SQ(s)->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
			NULL);
		SQ(s)->full_once = 0;
	}
}

/* Commit the open transaction with a full sync (plugin state). */
static void
sync_full_once(struct store *s)
{
	if (!SQ(s)->sync_full && !SQ(s)->full_once) {
		sqlite3_exec(SQ(s)->db, "PRAGMA synchronous=FULL", NULL, NULL,
			NULL);
		SQ(s)->full_once = 1;
	}
}

static int
sq_commit(struct store *s)
{
	int rc = sq_exec(s, "COMMIT");

	if (rc != QD_OK)
		sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
	sync_restore(s);
	return rc;
}

static int
sq_rollback(struct store *s)
{
	sync_restore(s);
	if (sqlite3_get_autocommit(SQ(s)->db))
		return QD_OK;
	return sq_exec(s, "ROLLBACK");
}

static int
sq_connected(struct store *s)
{
	(void)s;
	return 1;
}

static int
sq_reconnect(struct store *s)
{
	(void)s;
	return QD_OK;
}

/* Bind a double as exact decimal text (the buffer must outlive the step). */
static void
bind_decimal(sqlite3_stmt *st, int i, double v, char *buf)
{
	int n = store_decimal_format(v, buf, 40);

	if (n < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, buf, n, SQLITE_STATIC);
}

static int
sq_put_candles(struct store *s, const struct store_series *k,
	const struct store_candle *c, size_t n)
{
	sqlite3_stmt *st = sq_stmt(s, ST_CANDLE_PUT);
	char num[6][40];
	size_t i;
	int rc;

	if (st == NULL)
		return QD_ERR_IO;
	sqlite3_bind_text(st, 1, k->exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->timeframe, -1, SQLITE_STATIC);
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 4, c[i].open_time);
		bind_decimal(st, 5, c[i].open, num[0]);
		bind_decimal(st, 6, c[i].high, num[1]);
		bind_decimal(st, 7, c[i].low, num[2]);
		bind_decimal(st, 8, c[i].close, num[3]);
		bind_decimal(st, 9, c[i].volume, num[4]);
		if (isnan(c[i].quote_volume))
			sqlite3_bind_null(st, 10);
		else
			bind_decimal(st, 10, c[i].quote_volume, num[5]);
		if (c[i].trades < 0)
			sqlite3_bind_null(st, 11);
		else
			sqlite3_bind_int64(st, 11, c[i].trades);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return sq_fail(s, rc, "writing candles");
	}
	return QD_OK;
}

static int
sq_put_trades(struct store *s, const struct store_series *k,
	const struct store_trade *t, size_t n)
{
	sqlite3_stmt *st = sq_stmt(s, ST_TRADE_PUT);
	char num[2][40];
	size_t i;
	int rc;

	if (st == NULL)
		return QD_ERR_IO;
	sqlite3_bind_text(st, 1, k->exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->symbol, -1, SQLITE_STATIC);
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 3, t[i].time);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)t[i].trade_id);
		bind_decimal(st, 5, t[i].price, num[0]);
		bind_decimal(st, 6, t[i].qty, num[1]);
		sqlite3_bind_int(st, 7, t[i].side);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return sq_fail(s, rc, "writing trades");
	}
	return QD_OK;
}

static int
sq_put_instrument(struct store *s, const struct store_instrument *in)
{
	sqlite3_stmt *st = sq_stmt(s, ST_INSTRUMENT_PUT);
	int rc;

	if (st == NULL)
		return QD_ERR_IO;
	sqlite3_bind_text(st, 1, in->exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->native_symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in->tick, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->lot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, in->min_notional ? in->min_notional : "0",
		-1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, store_now_ms());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? QD_OK : sq_fail(s, rc, "instrument");
}

static int
sq_state_save(struct store *s, const char *instance, const void *buf,
	size_t len)
{
	sqlite3_stmt *st = sq_stmt(s, ST_STATE_PUT);
	int rc;

	if (st == NULL)
		return QD_ERR_IO;
	/* Plugin state is what a strategy needs to resume: commit it with a
	 * full sync, like money. */
	sync_full_once(s);
	sqlite3_bind_text(st, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, len ? buf : "", (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, store_now_ms());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? QD_OK : sq_fail(s, rc, "saving state");
}

static int
sq_state_load(struct store *s, const char *instance, void *buf, size_t cap,
	size_t *len)
{
	sqlite3_stmt *st = sq_stmt(s, ST_STATE_GET);
	const void *p;
	size_t n;
	int rc;

	if (st == NULL)
		return QD_ERR_IO;
	sqlite3_bind_text(st, 1, instance, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return QD_ERR_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return sq_fail(s, rc, "loading state");
	}
	p = sqlite3_column_blob(st, 0);
	n = (size_t)sqlite3_column_bytes(st, 0);
	if (cap && n)  /* a zero-length blob has no pointer */
		memcpy(buf, p, n < cap ? n : cap);
	if (len)
		*len = n;
	sqlite3_reset(st);
	return QD_OK;
}

static int
sq_state_each(struct store *s,
	int (*fn)(void *, const char *, const void *, size_t), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "SELECT instance, data FROM "
		"plugin_state ORDER BY instance", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "loading state");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? QD_OK : sq_fail(s, rc, "loading state");
}

static double
col_decimal(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	double v;

	if (t == NULL || csv_parse_number(t, (size_t)sqlite3_column_bytes(st,
	    i), &v) != 0)
		return NAN;
	return v;
}

static int
sq_candles(struct store *s, const struct store_series *k, int64_t from,
	int64_t to, size_t limit, int desc,
	int (*fn)(void *, const struct store_candle *, size_t), void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, desc ? ST_CANDLES_DESC : ST_CANDLES_ASC);
	struct store_candle *buf;
	size_t n = 0;
	int rc, stop = 0;

	if (st == NULL)
		return QD_ERR_IO;
	if ((buf = malloc(STORE_CHUNK * sizeof(*buf))) == NULL)
		return store_fail(s, QD_ERR_NOMEM, "out of memory");
	sqlite3_bind_text(st, 1, k->exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->timeframe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, from);
	sqlite3_bind_int64(st, 5, to);
	sqlite3_bind_int64(st, 6, limit ? (sqlite3_int64)limit : -1);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_candle *c = &buf[n];

		c->open_time = sqlite3_column_int64(st, 0);
		c->open = col_decimal(st, 1);
		c->high = col_decimal(st, 2);
		c->low = col_decimal(st, 3);
		c->close = col_decimal(st, 4);
		c->volume = col_decimal(st, 5);
		c->quote_volume = col_decimal(st, 6);
		c->trades = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 7);
		if (++n == STORE_CHUNK) {
			stop = fn(arg, buf, n);
			n = 0;
		}
	}
	if (!stop && n)
		fn(arg, buf, n);
	free(buf);
	if (!stop && rc != SQLITE_DONE) {
		sq_fail(s, rc, "reading candles");
		sqlite3_reset(st);
		return sq_code(rc);
	}
	sqlite3_reset(st);
	return QD_OK;
}

static int
sq_trades(struct store *s, const struct store_series *k, int64_t from,
	int64_t to, size_t limit,
	int (*fn)(void *, const struct store_trade *, size_t), void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, ST_TRADES);
	struct store_trade *buf;
	size_t n = 0;
	int rc, stop = 0;

	if (st == NULL)
		return QD_ERR_IO;
	if ((buf = malloc(STORE_CHUNK * sizeof(*buf))) == NULL)
		return store_fail(s, QD_ERR_NOMEM, "out of memory");
	sqlite3_bind_text(st, 1, k->exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
	sqlite3_bind_int64(st, 5, limit ? (sqlite3_int64)limit : -1);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_trade *t = &buf[n];

		t->time = sqlite3_column_int64(st, 0);
		t->trade_id = (uint64_t)sqlite3_column_int64(st, 1);
		t->price = col_decimal(st, 2);
		t->qty = col_decimal(st, 3);
		t->side = sqlite3_column_int(st, 4);
		if (++n == STORE_CHUNK) {
			stop = fn(arg, buf, n);
			n = 0;
		}
	}
	if (!stop && n)
		fn(arg, buf, n);
	free(buf);
	if (!stop && rc != SQLITE_DONE) {
		sq_fail(s, rc, "reading trades");
		sqlite3_reset(st);
		return sq_code(rc);
	}
	sqlite3_reset(st);
	return QD_OK;
}

static void
bind_filter(sqlite3_stmt *st, const struct store_series *f)
{
	if (f->exchange)
		sqlite3_bind_text(st, 1, f->exchange, -1, SQLITE_STATIC);
	if (f->symbol)
		sqlite3_bind_text(st, 2, f->symbol, -1, SQLITE_STATIC);
	if (f->timeframe)
		sqlite3_bind_text(st, 3, f->timeframe, -1, SQLITE_STATIC);
}

static int
sq_coverage(struct store *s, const struct store_series *f,
	int (*fn)(void *, const struct store_coverage *), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "SELECT exchange, symbol, "
		"timeframe, min(open_time), max(open_time), count(*) FROM "
		"candles WHERE (?1 IS NULL OR exchange = ?1) AND (?2 IS NULL "
		"OR symbol = ?2) AND (?3 IS NULL OR timeframe = ?3) "
		"GROUP BY exchange, symbol, timeframe "
		"ORDER BY exchange, symbol, timeframe", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "coverage");
	bind_filter(st, f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_coverage c;
		int64_t tf;

		c.exchange = (const char *)sqlite3_column_text(st, 0);
		c.symbol = (const char *)sqlite3_column_text(st, 1);
		c.timeframe = (const char *)sqlite3_column_text(st, 2);
		c.first = sqlite3_column_int64(st, 3);
		c.last = sqlite3_column_int64(st, 4);
		c.count = sqlite3_column_int64(st, 5);
		tf = store_timeframe_ms(c.timeframe);
		c.missing = tf ? (c.last - c.first) / tf + 1 - c.count : 0;
		if (fn(arg, &c) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? QD_OK : sq_fail(s, rc, "coverage");
}

static int
sq_prune(struct store *s, const struct store_series *f, int64_t before,
	int what, int64_t *deleted)
{
	static const char *const sql[2] = {
		"DELETE FROM candles WHERE open_time < ?4 AND (?1 IS NULL OR "
		"exchange = ?1) AND (?2 IS NULL OR symbol = ?2) AND "
		"(?3 IS NULL OR timeframe = ?3)",
		"DELETE FROM trades WHERE time < ?4 AND (?1 IS NULL OR "
		"exchange = ?1) AND (?2 IS NULL OR symbol = ?2) AND "
		"?3 IS NULL",
	};
	sqlite3_stmt *st;
	int i, rc;

	*deleted = 0;
	for (i = 0; i < 2; i++) {
		if (!(what & (1 << i)))
			continue;
		rc = sqlite3_prepare_v2(SQ(s)->db, sql[i], -1, &st, NULL);
		if (rc != SQLITE_OK)
			return sq_fail(s, rc, "prune");
		bind_filter(st, f);
		sqlite3_bind_int64(st, 4, before);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sq_fail(s, rc, "prune");
		*deleted += sqlite3_changes(SQ(s)->db);
	}
	return QD_OK;
}

static int
sq_vacuum(struct store *s)
{
	int rc = sq_exec(s, "VACUUM");

	if (rc == QD_OK)
		rc = sq_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
	return rc;
}

/* ---- trading ------------------------------------------------------------ */

/* A write refused because its key is taken is QD_ERR_STATE. */
static int
sq_put_fail(struct store *s, int rc, const char *what)
{
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    rc == SQLITE_CONSTRAINT_UNIQUE)
		return store_fail(s, QD_ERR_STATE, "%s: already stored (%s)",
			what, sqlite3_errmsg(SQ(s)->db));
	return sq_fail(s, rc, what);
}

/* Text or NULL (the strings are the caller's for the step). */
static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *t)
{
	if (t == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
}

/* An id, or NULL for 0 (none); store.c checked it fits an int64. */
static void
bind_id_or_null(sqlite3_stmt *st, int i, uint64_t id)
{
	if (id == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, (sqlite3_int64)id);
}

/* Step a cached write statement once and reset it. */
static int
step_write(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? QD_OK : sq_put_fail(s, rc, what);
}

static int
sq_put_account(struct store *s, const struct store_account *a)
{
	sqlite3_stmt *st = sq_stmt(s, ST_ACCOUNT_PUT);

	if (st == NULL)
		return QD_ERR_IO;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->venue, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->quote, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, a->margin != 0);
	sqlite3_bind_int64(st, 7, a->created_ms);
	return step_write(s, st, "writing an account");
}

static int
sq_put_order(struct store *s, const struct store_order *o)
{
	sqlite3_stmt *st = sq_stmt(s, ST_ORDER_PUT);

	if (st == NULL)
		return QD_ERR_IO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)o->id);
	sqlite3_bind_text(st, 2, o->client_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->account, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, o->instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, o->venue, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, o->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, o->side);
	sqlite3_bind_int(st, 8, o->type);
	sqlite3_bind_int(st, 9, o->tif);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)o->flags);
	sqlite3_bind_int(st, 11, o->state);
	sqlite3_bind_text(st, 12, o->qty, -1, SQLITE_STATIC);
	bind_text_or_null(st, 13, o->price);
	bind_text_or_null(st, 14, o->stop_price);
	bind_text_or_null(st, 15, o->trail);
	sqlite3_bind_text(st, 16, o->filled, -1, SQLITE_STATIC);
	bind_text_or_null(st, 17, o->avg_price);
	sqlite3_bind_text(st, 18, o->fees, -1, SQLITE_STATIC);
	bind_id_or_null(st, 19, o->parent_id);
	bind_id_or_null(st, 20, o->link_id);
	bind_text_or_null(st, 21, o->venue_order_id);
	bind_text_or_null(st, 22, o->reason);
	bind_text_or_null(st, 23, o->tag);
	sqlite3_bind_int64(st, 24, o->created_ms);
	sqlite3_bind_int64(st, 25, o->updated_ms);
	return step_write(s, st, "writing an order");
}

static int
sq_put_fill(struct store *s, const struct store_fill *f)
{
	sqlite3_stmt *st = sq_stmt(s, ST_FILL_PUT);
	int rc;

	if (st == NULL)
		return QD_ERR_IO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)f->order_id);
	sqlite3_bind_text(st, 2, f->trade_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->account, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, f->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, f->side);
	sqlite3_bind_text(st, 6, f->qty, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, f->price, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, f->fee, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, f->fee_asset, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, f->maker != 0);
	sqlite3_bind_int64(st, 11, f->ts_ms);
	if ((rc = step_write(s, st, "writing a fill")) != QD_OK)
		return rc;
	if (sqlite3_changes(SQ(s)->db) == 0)
		return store_fail(s, QD_ERR_STATE, "fill %s of order %llu is "
			"already stored", f->trade_id,
			(unsigned long long)f->order_id);
	return QD_OK;
}

static int
sq_put_postings(struct store *s, const struct store_posting *p, size_t n)
{
	sqlite3_stmt *st = sq_stmt(s, ST_POSTING_PUT);
	size_t i;
	int rc, leg = 0;

	if (st == NULL)
		return QD_ERR_IO;
	for (i = 0; i < n; i++) {
		leg = i > 0 && p[i].txn == p[i - 1].txn ? leg + 1 : 1;
		sqlite3_bind_int64(st, 1, p[i].txn);
		sqlite3_bind_int(st, 2, leg);
		sqlite3_bind_int64(st, 3, p[i].ts_ms);
		sqlite3_bind_text(st, 4, p[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, p[i].ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, p[i].account, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, p[i].asset, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, p[i].amount, -1, SQLITE_STATIC);
		if ((rc = step_write(s, st, "writing ledger postings")) !=
		    QD_OK)
			return rc;
	}
	return QD_OK;
}

static int
sq_put_risk_event(struct store *s, const struct store_risk_event *e)
{
	sqlite3_stmt *st = sq_stmt(s, ST_RISK_PUT);

	if (st == NULL)
		return QD_ERR_IO;
	sync_full_once(s);
	sqlite3_bind_int64(st, 1, e->ts_ms);
	sqlite3_bind_text(st, 2, e->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->scope_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->actions, -1, SQLITE_STATIC);
	bind_text_or_null(st, 6, e->symbol);
	sqlite3_bind_text(st, 7, e->reason, -1, SQLITE_STATIC);
	bind_id_or_null(st, 8, e->order_id);
	return step_write(s, st, "writing the risk log");
}

/*
 * The trading reads prepare their statement per call (not cached): a
 * callback may then use the store, and the WHERE clause holds only the
 * filters given, so that the indexes serve it.
 */

static sqlite3_int64
sq_limit(size_t limit)
{
	return limit == 0 || limit > (size_t)INT64_MAX ? -1 :
	    (sqlite3_int64)limit;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static uint64_t
col_id(sqlite3_stmt *st, int i)
{
	return (uint64_t)sqlite3_column_int64(st, i);  /* NULL reads 0 */
}

/* Step a read to its end or until `row` returns non-zero; finalizes. */
static int
sq_rows(struct store *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *,
	void *), void *ctx, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(st, ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	if (rc != SQLITE_DONE)
		rc = sq_fail(s, rc, what);
	else
		rc = QD_OK;
	sqlite3_finalize(st);
	return rc;
}

static int
account_row(sqlite3_stmt *st, void *ctx)
{
	struct store_read *r = ctx;
	struct store_account a;

	a.id = col_text(st, 0);
	a.owner = col_text(st, 1);
	a.instance = col_text(st, 2);
	a.venue = col_text(st, 3);
	a.quote = col_text(st, 4);
	a.margin = sqlite3_column_int(st, 5);
	a.created_ms = sqlite3_column_int64(st, 6);
	return r->fn.account(r->arg, &a);
}

static int
sq_accounts(struct store *s,
	int (*fn)(void *, const struct store_account *), void *arg)
{
	struct store_read r = { .fn.account = fn, .arg = arg };
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "SELECT " STORE_ACCOUNT_COLS
		" FROM accounts ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading accounts");
	return sq_rows(s, st, account_row, &r, "reading accounts");
}

static int
order_row(sqlite3_stmt *st, void *ctx)
{
	struct store_read *r = ctx;
	struct store_order o;

	o.id = col_id(st, 0);
	o.client_id = col_text(st, 1);
	o.account = col_text(st, 2);
	o.instance = col_text(st, 3);
	o.venue = col_text(st, 4);
	o.symbol = col_text(st, 5);
	o.side = sqlite3_column_int(st, 6);
	o.type = sqlite3_column_int(st, 7);
	o.tif = sqlite3_column_int(st, 8);
	o.flags = (uint32_t)sqlite3_column_int64(st, 9);
	o.state = sqlite3_column_int(st, 10);
	o.qty = col_text(st, 11);
	o.price = col_text(st, 12);
	o.stop_price = col_text(st, 13);
	o.trail = col_text(st, 14);
	o.filled = col_text(st, 15);
	o.avg_price = col_text(st, 16);
	o.fees = col_text(st, 17);
	o.parent_id = col_id(st, 18);
	o.link_id = col_id(st, 19);
	o.venue_order_id = col_text(st, 20);
	o.reason = col_text(st, 21);
	o.tag = col_text(st, 22);
	o.created_ms = sqlite3_column_int64(st, 23);
	o.updated_ms = sqlite3_column_int64(st, 24);
	return r->fn.order(r->arg, &o);
}

static int
sq_orders(struct store *s, const struct store_order_filter *f,
	int (*fn)(void *, const struct store_order *), void *arg)
{
	struct store_read r = { .fn.order = fn, .arg = arg };
	char sql[1024] = "SELECT " STORE_ORDER_COLS " FROM orders "
	    "WHERE id > ?3";
	sqlite3_stmt *st;
	int rc;

	if (f->account)
		store_sql_and(sql, sizeof(sql), "account = ?1");
	if (f->instance)
		store_sql_and(sql, sizeof(sql), "instance = ?2");
	if (f->open_only)  /* as the partial index orders_open says it */
		store_sql_and(sql, sizeof(sql), "state IN (1, 2, 3)");
	strcat(sql, " ORDER BY id LIMIT ?4");
	rc = sqlite3_prepare_v2(SQ(s)->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading orders");
	if (f->account)
		sqlite3_bind_text(st, 1, f->account, -1, SQLITE_STATIC);
	if (f->instance)
		sqlite3_bind_text(st, 2, f->instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)f->after_id);
	sqlite3_bind_int64(st, 4, sq_limit(f->limit));
	return sq_rows(s, st, order_row, &r, "reading orders");
}

static int
fill_row(sqlite3_stmt *st, void *ctx)
{
	struct store_read *r = ctx;
	struct store_fill f;

	f.order_id = col_id(st, 0);
	f.trade_id = col_text(st, 1);
	f.account = col_text(st, 2);
	f.symbol = col_text(st, 3);
	f.side = sqlite3_column_int(st, 4);
	f.qty = col_text(st, 5);
	f.price = col_text(st, 6);
	f.fee = col_text(st, 7);
	f.fee_asset = col_text(st, 8);
	f.maker = sqlite3_column_int(st, 9);
	f.ts_ms = sqlite3_column_int64(st, 10);
	return r->fn.fill(r->arg, &f);
}

static int
sq_fills(struct store *s, const char *account, uint64_t order_id,
	int (*fn)(void *, const struct store_fill *), void *arg)
{
	struct store_read r = { .fn.fill = fn, .arg = arg };
	char sql[512] = "SELECT " STORE_FILL_COLS " FROM fills";
	sqlite3_stmt *st;
	int rc;

	if (account)
		store_sql_and(sql, sizeof(sql), "account = ?1");
	if (order_id)
		store_sql_and(sql, sizeof(sql), "order_id = ?2");
	strcat(sql, " ORDER BY ts_ms, order_id, trade_id");
	rc = sqlite3_prepare_v2(SQ(s)->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading fills");
	if (account)
		sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	if (order_id)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)order_id);
	return sq_rows(s, st, fill_row, &r, "reading fills");
}

static int
posting_row(sqlite3_stmt *st, void *ctx)
{
	struct store_read *r = ctx;
	struct store_posting p;

	p.txn = sqlite3_column_int64(st, 0);
	p.ts_ms = sqlite3_column_int64(st, 1);
	p.kind = col_text(st, 2);
	p.ref = col_text(st, 3);
	p.account = col_text(st, 4);
	p.asset = col_text(st, 5);
	p.amount = col_text(st, 6);
	return r->fn.posting(r->arg, &p);
}

static int
sq_postings(struct store *s, const struct store_posting_filter *f,
	int (*fn)(void *, const struct store_posting *), void *arg)
{
	struct store_read r = { .fn.posting = fn, .arg = arg };
	sqlite3_stmt *st;
	int rc, k = 1;

	rc = sqlite3_prepare_v2(SQ(s)->db, f->account ?
		"SELECT txn, ts_ms, kind, ref, account, asset, amount FROM "
		"ledger_postings WHERE account = ?4 AND txn > ?1 AND "
		"ts_ms >= ?2 AND ts_ms < ?3 ORDER BY txn, leg" :
		"SELECT txn, ts_ms, kind, ref, account, asset, amount FROM "
		"ledger_postings WHERE txn > ?1 AND ts_ms >= ?2 AND "
		"ts_ms < ?3 ORDER BY txn, leg", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading ledger postings");
	sqlite3_bind_int64(st, k++, f->after_txn);
	sqlite3_bind_int64(st, k++, f->from_ms);
	sqlite3_bind_int64(st, k++, f->to_ms);
	if (f->account)
		sqlite3_bind_text(st, k, f->account, -1, SQLITE_STATIC);
	return sq_rows(s, st, posting_row, &r, "reading ledger postings");
}

static int
risk_row(sqlite3_stmt *st, void *ctx)
{
	struct store_read *r = ctx;
	struct store_risk_event e;

	e.ts_ms = sqlite3_column_int64(st, 0);
	e.scope = col_text(st, 1);
	e.scope_id = col_text(st, 2);
	e.rule = col_text(st, 3);
	e.actions = col_text(st, 4);
	e.symbol = col_text(st, 5);
	e.reason = col_text(st, 6);
	e.order_id = col_id(st, 7);
	return r->fn.risk(r->arg, &e);
}

static int
sq_risk_events(struct store *s, int64_t since, size_t limit,
	int (*fn)(void *, const struct store_risk_event *), void *arg)
{
	struct store_read r = { .fn.risk = fn, .arg = arg };
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "SELECT " STORE_RISK_COLS " FROM "
		"risk_log WHERE ts_ms >= ?1 ORDER BY ts_ms, id LIMIT ?2", -1,
		&st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading the risk log");
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, sq_limit(limit));
	return sq_rows(s, st, risk_row, &r, "reading the risk log");
}

static int
sq_trading_ids(struct store *s, uint64_t *max_order_id, int64_t *max_txn)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "SELECT (SELECT coalesce(max(id), "
		"0) FROM orders), (SELECT coalesce(max(txn), 0) FROM "
		"ledger_postings)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading trading ids");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*max_order_id = (uint64_t)sqlite3_column_int64(st, 0);
		*max_txn = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? QD_OK : sq_fail(s, rc,
	    "reading trading ids");
}

/* An integer in canonical form (what SQLite would store as one). */
static int
sq_is_int(const char *t)
{
	const char *d = t + (*t == '-');
	size_t n = strlen(d);

	return n > 0 && n < 19 && strspn(d, "0123456789") == n &&
	    (d[0] != '0' || (n == 1 && d == t));
}

static int
sq_query(struct store *s, const char *sql, int n, const char *const *v,
	int (*row)(void *, int, const char *const *), void *ctx,
	const char *what, long long *changed)
{
	const char *cols[32];
	struct sq *q = SQ(s);
	sqlite3_stmt *st = NULL;
	char name[16];
	size_t slot;
	int i, idx, nc, rc;

	/* The SQL's address finds its prepared statement (a small
	 * direct-mapped cache; a collision prepares again), and the text is
	 * compared too, so SQL built in a reused buffer is never mistaken. */
	slot = ((uintptr_t)sql >> 3) % QD_COUNTOF(q->qc);
	if (q->qc[slot].sql == sql &&
	    strcmp(sqlite3_sql(q->qc[slot].st), sql) == 0) {
		st = q->qc[slot].st;
	} else {
		rc = sqlite3_prepare_v3(q->db, sql, -1,
			SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK)
			return sq_fail(s, rc, what);
		sqlite3_finalize(q->qc[slot].st);
		q->qc[slot].sql = sql;
		q->qc[slot].st = st;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "$%d", i + 1);
		if ((idx = sqlite3_bind_parameter_index(st, name)) == 0)
			continue;
		if (v[i] == NULL)
			sqlite3_bind_null(st, idx);
		else if (sq_is_int(v[i]))
			sqlite3_bind_int64(st, idx, strtoll(v[i], NULL, 10));
		else
			sqlite3_bind_text(st, idx, v[i], -1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		nc = sqlite3_column_count(st);
		if (nc > 32)
			nc = 32;
		for (i = 0; i < nc; i++)
			cols[i] = (const char *)sqlite3_column_text(st, i);
		if (row != NULL && row(ctx, nc, cols) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = sq_put_fail(s, sqlite3_extended_errcode(q->db), what);
	} else {
		if (changed != NULL)
			*changed = sqlite3_changes(q->db);
		rc = QD_OK;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* ---- alerts ---------------------------------------------------------------- */

/* Alert statements are prepared per call: they are written when a user
 * changes an alert or one fires, not per market event. */
static int
sq_put_alert(struct store *s, const struct store_alert *a)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "INSERT INTO alerts ("
		STORE_ALERT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		"?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) ON CONFLICT (id) DO UPDATE "
		"SET " STORE_ALERT_SET, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "writing an alert");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)a->id);
	sqlite3_bind_text(st, 2, a->user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->spec, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->fire_mode, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, a->cooldown_ms);
	bind_id_or_null(st, 9, (uint64_t)a->expires_ms);
	sqlite3_bind_int(st, 10, a->enabled != 0);
	sqlite3_bind_int64(st, 11, a->fire_count);
	bind_id_or_null(st, 12, (uint64_t)a->last_fired_ms);
	sqlite3_bind_text(st, 13, a->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, a->created_ms);
	sqlite3_bind_int64(st, 15, a->updated_ms);
	bind_text_or_null(st, 16, a->channels);
	rc = step_write(s, st, "writing an alert");
	sqlite3_finalize(st);
	return rc;
}

static int
sq_delete_alert(struct store *s, uint64_t id)
{
	sqlite3_stmt *st;
	int rc, found;

	rc = sqlite3_prepare_v2(SQ(s)->db, "DELETE FROM alerts WHERE id = ?1",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "deleting an alert");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = step_write(s, st, "deleting an alert");
	sqlite3_finalize(st);
	found = sqlite3_changes(SQ(s)->db) > 0;
	if (rc != QD_OK)
		return rc;
	rc = sqlite3_prepare_v2(SQ(s)->db, "DELETE FROM alert_events WHERE "
		"alert_id = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "deleting an alert's events");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = step_write(s, st, "deleting an alert's events");
	sqlite3_finalize(st);
	if (rc == QD_OK && !found)
		return store_fail(s, QD_ERR_NOTFOUND, "no alert %llu",
			(unsigned long long)id);
	return rc;
}

static int
alert_row(sqlite3_stmt *st, void *ctx)
{
	struct store_read *r = ctx;
	struct store_alert a;

	a.id = col_id(st, 0);
	a.user_id = col_text(st, 1);
	a.exchange = col_text(st, 2);
	a.symbol = col_text(st, 3);
	a.name = col_text(st, 4);
	a.spec = col_text(st, 5);
	a.fire_mode = col_text(st, 6);
	a.cooldown_ms = sqlite3_column_int64(st, 7);
	a.expires_ms = sqlite3_column_int64(st, 8);
	a.enabled = sqlite3_column_int(st, 9);
	a.fire_count = sqlite3_column_int64(st, 10);
	a.last_fired_ms = sqlite3_column_int64(st, 11);
	a.state = col_text(st, 12);
	a.created_ms = sqlite3_column_int64(st, 13);
	a.updated_ms = sqlite3_column_int64(st, 14);
	a.channels = sqlite3_column_type(st, 15) == SQLITE_NULL ? NULL :
	    col_text(st, 15);
	return r->fn.alert(r->arg, &a);
}

static int
sq_alerts(struct store *s, int (*fn)(void *, const struct store_alert *),
	void *arg)
{
	struct store_read r = { .fn.alert = fn, .arg = arg };
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "SELECT " STORE_ALERT_COLS " FROM "
		"alerts ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading alerts");
	return sq_rows(s, st, alert_row, &r, "reading alerts");
}

static int
sq_put_alert_event(struct store *s, const struct store_alert_event *e)
{
	char price[40];
	sqlite3_stmt *st;
	int rc;

	if (store_decimal_format(e->price, price, sizeof(price)) < 0)
		return store_fail(s, QD_ERR_INVALID, "alert event: price");
	rc = sqlite3_prepare_v2(SQ(s)->db, "INSERT INTO alert_events ("
		STORE_ALERT_EVENT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st,
		NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "writing an alert event");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->alert_id);
	sqlite3_bind_text(st, 2, e->user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, e->ts_ms);
	sqlite3_bind_text(st, 4, price, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->message, -1, SQLITE_STATIC);
	rc = step_write(s, st, "writing an alert event");
	sqlite3_finalize(st);
	return rc;
}

static int
alert_event_row(sqlite3_stmt *st, void *ctx)
{
	struct store_read *r = ctx;
	struct store_alert_event e;

	e.alert_id = col_id(st, 0);
	e.user_id = col_text(st, 1);
	e.ts_ms = sqlite3_column_int64(st, 2);
	e.price = strtod(col_text(st, 3), NULL);
	e.message = col_text(st, 4);
	return r->fn.alert_event(r->arg, &e);
}

static int
sq_alert_events(struct store *s, uint64_t alert_id, size_t limit,
	int (*fn)(void *, const struct store_alert_event *), void *arg)
{
	struct store_read r = { .fn.alert_event = fn, .arg = arg };
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, alert_id ?
		"SELECT " STORE_ALERT_EVENT_COLS " FROM alert_events WHERE "
		"alert_id = ?1 ORDER BY id DESC LIMIT ?2" :
		"SELECT " STORE_ALERT_EVENT_COLS " FROM alert_events "
		"ORDER BY id DESC LIMIT ?2", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading alert events");
	if (alert_id)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)alert_id);
	sqlite3_bind_int64(st, 2, sq_limit(limit));
	return sq_rows(s, st, alert_event_row, &r, "reading alert events");
}

/* ---- the notification outbox ---------------------------------------------- */

/* Run a one-off write statement; *changes how many rows it changed. */
static int
sq_write_once(struct store *s, sqlite3_stmt *st, const char *what,
	int64_t *changes)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_put_fail(s, rc, what);
	if (changes != NULL)
		*changes = sqlite3_changes(SQ(s)->db);
	return QD_OK;
}

/* An update of a known id, else an insert that a (dkey, channel,
 * user_channel) already stored turns into nothing. */
static int
sq_put_notification(struct store *s, const struct store_notification *n)
{
	sqlite3_stmt *st = sq_stmt(s, ST_NOTIFY_UPDATE);
	int rc;

	if (st == NULL)
		return QD_ERR_IO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n->id);
	sqlite3_bind_int(st, 2, n->state);
	sqlite3_bind_int64(st, 3, n->attempts);
	sqlite3_bind_int64(st, 4, n->next_ms);
	sqlite3_bind_text(st, 5, n->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, n->updated_ms);
	if ((rc = step_write(s, st, "writing a notification")) != QD_OK ||
	    sqlite3_changes(SQ(s)->db) > 0)
		return rc;
	if ((st = sq_stmt(s, ST_NOTIFY_INSERT)) == NULL)
		return QD_ERR_IO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n->id);
	sqlite3_bind_text(st, 2, n->dkey, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, n->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, n->event, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, n->severity);
	sqlite3_bind_text(st, 6, n->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, n->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, n->body, -1, SQLITE_STATIC);
	bind_text_or_null(st, 9, n->recipient);
	sqlite3_bind_int(st, 10, n->state);
	sqlite3_bind_int64(st, 11, n->attempts);
	sqlite3_bind_int64(st, 12, n->next_ms);
	sqlite3_bind_text(st, 13, n->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, n->created_ms);
	sqlite3_bind_int64(st, 15, n->updated_ms);
	sqlite3_bind_text(st, 16, n->user_channel ? n->user_channel : "", -1,
		SQLITE_STATIC);
	return step_write(s, st, "writing a notification");
}

static int
notification_row(sqlite3_stmt *st, void *ctx)
{
	struct store_read *r = ctx;
	struct store_notification n;

	n.id = col_id(st, 0);
	n.dkey = col_text(st, 1);
	n.channel = col_text(st, 2);
	n.event = col_text(st, 3);
	n.severity = sqlite3_column_int(st, 4);
	n.owner = col_text(st, 5);
	n.title = col_text(st, 6);
	n.body = col_text(st, 7);
	n.recipient = col_text(st, 8);
	n.state = sqlite3_column_int(st, 9);
	n.attempts = (uint32_t)sqlite3_column_int64(st, 10);
	n.next_ms = sqlite3_column_int64(st, 11);
	n.last_error = col_text(st, 12);
	n.created_ms = sqlite3_column_int64(st, 13);
	n.updated_ms = sqlite3_column_int64(st, 14);
	n.user_channel = col_text(st, 15);
	return r->fn.notification(r->arg, &n);
}

static int
sq_notifications(struct store *s, const struct store_notify_filter *f,
	int (*fn)(void *, const struct store_notification *), void *arg)
{
	struct store_read r = { .fn.notification = fn, .arg = arg };
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "SELECT " STORE_NOTIFY_COLS " FROM "
		"notify_outbox WHERE id > ?2 AND (?1 < 0 OR state = ?1) "
		"ORDER BY id LIMIT ?3", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading notifications");
	sqlite3_bind_int(st, 1, f->state);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)f->after_id);
	sqlite3_bind_int64(st, 3, sq_limit(f->limit));
	return sq_rows(s, st, notification_row, &r, "reading notifications");
}

static int
sq_notify_prune(struct store *s, int64_t before_ms, int64_t *deleted)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "DELETE FROM notify_outbox WHERE "
		"state = 1 AND updated_ms < ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "pruning notifications");
	sqlite3_bind_int64(st, 1, before_ms);
	return sq_write_once(s, st, "pruning notifications", deleted);
}

static int
sq_notify_max_id(struct store *s, uint64_t *max_id)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(SQ(s)->db, "SELECT coalesce(max(id), 0) FROM "
		"notify_outbox", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "reading notification ids");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*max_id = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? QD_OK : sq_fail(s, rc,
	    "reading notification ids");
}

static const struct store_ops sqlite_ops = {
	.backend = STORE_SQLITE,
	.name = "sqlite",
	.migrations = store_migrations_sqlite,
	.n_migrations = &store_migrations_sqlite_n,
	.close = sq_close,
	.exec = sq_exec,
	.version = sq_version,
	.record_version = sq_record_version,
	.lock_schema = sq_lock_schema,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.connected = sq_connected,
	.reconnect = sq_reconnect,
	.put_candles = sq_put_candles,
	.put_trades = sq_put_trades,
	.put_instrument = sq_put_instrument,
	.state_save = sq_state_save,
	.state_load = sq_state_load,
	.state_each = sq_state_each,
	.candles = sq_candles,
	.trades = sq_trades,
	.coverage = sq_coverage,
	.prune = sq_prune,
	.vacuum = sq_vacuum,
	.put_account = sq_put_account,
	.put_order = sq_put_order,
	.put_fill = sq_put_fill,
	.put_postings = sq_put_postings,
	.put_risk_event = sq_put_risk_event,
	.accounts = sq_accounts,
	.orders = sq_orders,
	.fills = sq_fills,
	.postings = sq_postings,
	.risk_events = sq_risk_events,
	.trading_ids = sq_trading_ids,
	.query = sq_query,
	.put_alert = sq_put_alert,
	.delete_alert = sq_delete_alert,
	.alerts = sq_alerts,
	.put_alert_event = sq_put_alert_event,
	.alert_events = sq_alert_events,
	.put_notification = sq_put_notification,
	.notifications = sq_notifications,
	.notify_prune = sq_notify_prune,
	.notify_max_id = sq_notify_max_id,
};

int
store_sqlite_open(const char *path, enum store_role role, struct store **out,
	char *err, size_t errlen)
{
	struct sq *q = calloc(1, sizeof(*q));
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX;
	char *msg = NULL;

	if (q == NULL) {
		snprintf(err, errlen, "storage: out of memory");
		return QD_ERR_NOMEM;
	}
	q->base.ops = &sqlite_ops;
	q->base.role = role;
	/* A new database is the owner's alone (it will hold account data);
	 * SQLite would create it by the umask. */
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			0600);

		if (fd >= 0)
			close(fd);
	}
	rc = sqlite3_open_v2(path, &q->db, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "storage (sqlite): cannot open %s: %s",
			path, q->db ? sqlite3_errmsg(q->db) :
			sqlite3_errstr(rc));
		sqlite3_close_v2(q->db);
		free(q);
		return QD_ERR_IO;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, 10000);
	q->sync_full = role == STORE_ROLE_ADMIN;
	rc = sqlite3_exec(q->db, q->sync_full ?
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; "
		"PRAGMA foreign_keys=ON" :
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
		"PRAGMA foreign_keys=ON", NULL, NULL, &msg);
	if (rc == SQLITE_OK) {
		sqlite3_stmt *st;

		/* A file that is not a database fails here, not later. */
		rc = sqlite3_prepare_v2(q->db, "SELECT count(*) FROM "
			"sqlite_master", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st) == SQLITE_ROW ? SQLITE_OK :
			    sqlite3_errcode(q->db);
			sqlite3_finalize(st);
		}
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "storage (sqlite): %s: %s", path,
			msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		sq_close(&q->base);
		return sq_code(rc);
	}
	*out = &q->base;
	return QD_OK;
}
