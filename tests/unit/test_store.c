/*
 * test_store.c -- the storage contract, one suite for every backend.
 *
 *   test_store                 SQLite (files in a temp dir)
 *   test_store postgresql://…  the same cases against that server (each case
 *                              in a schema of its own: the URL gets
 *                              options=-csearch_path=...)
 *
 * tests/integration/store_contract.sh runs both, starting a real
 * PostgreSQL server itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <sqlite3.h>
#include <quantd/sdk.h>

#include "csv/csv.h"
#include "store/store.h"

static const char *pg_base;     /* NULL: SQLite */
static char tmpdir[256];
static char url[1024];

/* A fresh, empty database for one case. */
static const char *
fresh(const char *tag)
{
	if (pg_base == NULL) {
		snprintf(url, sizeof(url), "%s/%s.db", tmpdir, tag);
		unlink(url);
		{
			char w[1100];

			snprintf(w, sizeof(w), "%s-wal", url);
			unlink(w);
			snprintf(w, sizeof(w), "%s-shm", url);
			unlink(w);
		}
		return url;
	} else {
		PGconn *c = PQconnectdb(pg_base);
		char sql[256];
		PGresult *r;

		assert_int_equal(PQstatus(c), CONNECTION_OK);
		snprintf(sql, sizeof(sql), "SET client_min_messages = warning; "
			"DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
			tag, tag);
		r = PQexec(c, sql);
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		PQfinish(c);
		snprintf(url, sizeof(url), "%s%soptions=-csearch_path%%3D%s",
			pg_base, strchr(pg_base, '?') ? "&" : "?", tag);
		return url;
	}
}

static struct store *
open_fresh(const char *tag)
{
	struct store *s = NULL;
	char err[512];

	if (store_open(fresh(tag), STORE_ROLE_WRITER, &s, err, sizeof(err)) !=
	    QD_OK)
		fail_msg("open: %s", err);
	return s;
}

static struct store *
reopen(enum store_role role)
{
	struct store *s = NULL;
	char err[512];

	if (store_open(url, role, &s, err, sizeof(err)) != QD_OK)
		fail_msg("reopen: %s", err);
	return s;
}

static const struct store_series btc = { "binance", "BTC/USDT", "1m" };

static struct store_candle
candle(int64_t t, double o, double h, double l, double c, double v)
{
	struct store_candle x = { t, o, h, l, c, v, NAN, -1 };

	return x;
}

struct got {
	struct store_candle *c;
	size_t n, cap;
	size_t calls;
	size_t stop_after;  /* rows; 0 = never */
};

static int
collect(void *arg, const struct store_candle *c, size_t n)
{
	struct got *g = arg;

	g->calls++;
	if (g->n + n > g->cap) {
		g->cap = (g->n + n) * 2;
		g->c = realloc(g->c, g->cap * sizeof(*g->c));
		assert_non_null(g->c);
	}
	memcpy(g->c + g->n, c, n * sizeof(*c));
	g->n += n;
	return g->stop_after && g->n >= g->stop_after;
}

static void
same_double(double a, double b)
{
	if (isnan(a) && isnan(b))
		return;
	if (memcmp(&a, &b, sizeof(a)) != 0)
		fail_msg("%.17g != %.17g", a, b);
}

static void
same_candle(const struct store_candle *a, const struct store_candle *b)
{
	assert_int_equal(a->open_time, b->open_time);
	same_double(a->open, b->open);
	same_double(a->high, b->high);
	same_double(a->low, b->low);
	same_double(a->close, b->close);
	same_double(a->volume, b->volume);
	same_double(a->quote_volume, b->quote_volume);
	assert_int_equal(a->trades, b->trades);
}

/* ---- cases --------------------------------------------------------------- */

static void
schema_is_latest(void **st)
{
	struct store *s = open_fresh("c_schema");
	int v = -1;

	(void)st;
	assert_int_equal(store_schema_version(s, &v), QD_OK);
	assert_true(store_schema_latest(s) >= 3);
	assert_int_equal(v, store_schema_latest(s));
	store_close(s);
	/* Opening again migrates nothing and keeps the version. */
	s = reopen(STORE_ROLE_READER);
	assert_int_equal(store_schema_version(s, &v), QD_OK);
	assert_int_equal(v, store_schema_latest(s));
	store_close(s);
}

/* Values that are hard to store exactly. */
static const double hard[] = {
	0.1, 0.3, 0.30000000000000004, 1e-8, 0.00001234, 65000.12345678,
	123456789.123, 1e-20, 1.5e20, 9007199254740993.0, 2.5e25, 42,
	1.0 / 3.0, 0.000000001, 99999.99999999, 5e-324, 1.7976931348623157e308,
};

static void
values_exact(void **st)
{
	struct store *s = open_fresh("c_exact");
	size_t n = sizeof(hard) / sizeof(hard[0]), i;
	struct store_candle c[sizeof(hard) / sizeof(hard[0])];
	struct got g = { 0 };

	(void)st;
	for (i = 0; i < n; i++) {
		c[i] = candle((int64_t)i * 60000, hard[i], hard[i], hard[i],
			hard[i], hard[i]);
		c[i].quote_volume = i % 2 ? hard[n - 1 - i] : NAN;
		c[i].trades = i % 3 ? (int64_t)i * 1000 : -1;
	}
	assert_int_equal(store_put_candles(s, &btc, c, n), QD_OK);
	assert_int_equal(store_candles(s, &btc, 0, INT64_MAX, 0, 0, collect,
		&g), QD_OK);
	assert_int_equal(g.n, n);
	for (i = 0; i < n; i++)
		same_candle(&g.c[i], &c[i]);
	free(g.c);
	store_close(s);
}

static void
decimal_round_trip(void **st)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char buf[40];
	double v, back;
	size_t i;
	int len;

	(void)st;
	for (i = 0; i < sizeof(hard) / sizeof(hard[0]); i++) {
		len = store_decimal_format(hard[i], buf, sizeof(buf));
		assert_true(len > 0);
		assert_int_equal(csv_parse_number(buf, (size_t)len, &back), 0);
		same_double(back, hard[i]);
	}
	/* Exchange-style prices come out as they were written. */
	len = store_decimal_format(65000.5, buf, sizeof(buf));
	assert_string_equal(buf, "65000.5");
	store_decimal_format(0.00001234, buf, sizeof(buf));
	assert_string_equal(buf, "0.00001234");
	store_decimal_format(-0.0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	assert_int_equal(store_decimal_format(NAN, buf, sizeof(buf)), -1);
	/* Random doubles of every magnitude read back bit for bit. */
	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&v, &x, sizeof(v));
		if (!isfinite(v))
			continue;
		len = store_decimal_format(v, buf, sizeof(buf));
		assert_true(len > 0);
		assert_int_equal(csv_parse_number(buf, (size_t)len, &back), 0);
		same_double(back == 0 ? 0 : back, v == 0 ? 0 : v);
	}
}

static int64_t
count_all(struct store *s, const struct store_series *k)
{
	struct got g = { 0 };

	assert_int_equal(store_candles(s, k, INT64_MIN, INT64_MAX, 0, 0,
		collect, &g), QD_OK);
	free(g.c);
	return (int64_t)g.n;
}

static void
upsert_idempotent(void **st)
{
	struct store *s = open_fresh("c_upsert");
	struct store_candle c[500], fix;
	struct got g = { 0 };
	size_t i;

	(void)st;
	for (i = 0; i < 500; i++)
		c[i] = candle((int64_t)i * 60000, 100 + i, 101 + i, 99 + i,
			100.5 + i, 1 + i);
	/* Twice, in bulk and one by one: still 500 rows. */
	assert_int_equal(store_put_candles(s, &btc, c, 500), QD_OK);
	assert_int_equal(store_put_candles(s, &btc, c, 500), QD_OK);
	for (i = 0; i < 10; i++)
		assert_int_equal(store_put_candles(s, &btc, &c[i], 1), QD_OK);
	assert_int_equal(count_all(s, &btc), 500);
	/* A corrected candle replaces the stored one. */
	fix = c[7];
	fix.close = 777.25;
	fix.trades = 12;
	assert_int_equal(store_put_candles(s, &btc, &fix, 1), QD_OK);
	assert_int_equal(store_candles(s, &btc, fix.open_time,
		fix.open_time + 1, 0, 0, collect, &g), QD_OK);
	assert_int_equal(g.n, 1);
	same_candle(&g.c[0], &fix);
	free(g.c);
	store_close(s);
}

/* The same open time twice in one batch: the last one given wins, in a
 * small batch and in a bulk one, in any order. */
static void
batch_duplicates_last_wins(void **st)
{
	struct store *s = open_fresh("c_batchdup");
	struct store_candle c[1001];
	struct got g = { 0 };
	size_t sizes[2] = { 5, 1001 }, z, i;

	(void)st;
	for (z = 0; z < 2; z++) {
		size_t n = sizes[z];

		for (i = 0; i + 1 < n; i++)
			c[i] = candle((int64_t)(n - 2 - i) * 60000, 1, 2, 0.5,
				1.5, (double)z);
		c[n - 1] = candle(0, 9, 9, 9, 9, 99 + (double)z);
		c[0].close = 1.25;  /* the newest candle, written first */
		assert_int_equal(store_put_candles(s, &btc, c, n), QD_OK);
		g.n = 0;
		assert_int_equal(store_candles(s, &btc, 0, INT64_MAX, 0, 0,
			collect, &g), QD_OK);
		assert_int_equal(g.n, n - 1);
		same_double(g.c[0].volume, 99 + (double)z);
		same_double(g.c[n - 2].close, 1.25);
		for (i = 1; i < g.n; i++)
			assert_true(g.c[i].open_time > g.c[i - 1].open_time);
	}
	free(g.c);
	store_close(s);
}

static void
ranges_and_paging(void **st)
{
	struct store *s = open_fresh("c_range");
	struct store_candle *c = calloc(10000, sizeof(*c));
	struct got g = { 0 };
	struct store_series eth = { "binance", "ETH/USDT", "1m" };
	int64_t cursor;
	size_t i, pages = 0;

	(void)st;
	for (i = 0; i < 10000; i++)
		c[i] = candle(1700000040000LL + (int64_t)i * 60000, 1, 2, 0.5,
			1.5, (double)i);
	assert_int_equal(store_put_candles(s, &btc, c, 10000), QD_OK);
	assert_int_equal(store_put_candles(s, &eth, c, 100), QD_OK);
	/* [from, to) */
	assert_int_equal(store_candles(s, &btc, c[10].open_time,
		c[20].open_time, 0, 0, collect, &g), QD_OK);
	assert_int_equal(g.n, 10);
	assert_int_equal(g.c[0].open_time, c[10].open_time);
	/* limit, descending: the latest first */
	g.n = 0;
	assert_int_equal(store_candles(s, &btc, INT64_MIN, INT64_MAX, 3, 1,
		collect, &g), QD_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.c[0].open_time, c[9999].open_time);
	assert_int_equal(g.c[2].open_time, c[9997].open_time);
	/* Paging with a cursor visits every candle once. */
	cursor = INT64_MIN;
	g.n = 0;
	for (;;) {
		size_t before = g.n;

		assert_int_equal(store_candles(s, &btc, cursor, INT64_MAX, 777,
			0, collect, &g), QD_OK);
		if (g.n == before)
			break;
		cursor = g.c[g.n - 1].open_time + 1;
		pages++;
	}
	assert_int_equal(g.n, 10000);
	assert_int_equal(pages, (10000 + 776) / 777);
	for (i = 0; i < 10000; i++)
		assert_int_equal(g.c[i].open_time, c[i].open_time);
	/* A callback can stop the read. */
	g.n = 0;
	g.stop_after = 5000;
	assert_int_equal(store_candles(s, &btc, INT64_MIN, INT64_MAX, 0, 0,
		collect, &g), QD_OK);
	assert_true(g.n >= 5000 && g.n < 10000);
	/* Other series are not mixed in. */
	assert_int_equal(count_all(s, &eth), 100);
	free(g.c);
	free(c);
	store_close(s);
}

struct cov { int n; struct store_coverage c[8]; char names[8][3][32]; };

static int
cov_fn(void *arg, const struct store_coverage *c)
{
	struct cov *v = arg;

	if (v->n < 8) {
		v->c[v->n] = *c;
		snprintf(v->names[v->n][0], 32, "%s", c->exchange);
		snprintf(v->names[v->n][1], 32, "%s", c->symbol);
		snprintf(v->names[v->n][2], 32, "%s", c->timeframe);
	}
	v->n++;
	return 0;
}

struct gaps { int n; int64_t from[8], to[8]; };

static int
gap_fn(void *arg, int64_t from, int64_t to)
{
	struct gaps *g = arg;

	if (g->n < 8) {
		g->from[g->n] = from;
		g->to[g->n] = to;
	}
	g->n++;
	return 0;
}

static void
coverage_and_gaps(void **st)
{
	struct store *s = open_fresh("c_cover");
	struct store_candle c[100];
	struct store_series h1 = { "okx", "BTC/USDT", "1h" };
	struct store_series f = { NULL, NULL, NULL };
	struct cov v = { 0 };
	struct gaps g = { 0 };
	size_t i, n = 0;

	(void)st;
	for (i = 0; i < 100; i++)
		if (i < 10 || (i >= 20 && i < 50) || i >= 51)
			c[n++] = candle((int64_t)i * 60000, 1, 1, 1, 1, 1);
	assert_int_equal(store_put_candles(s, &btc, c, n), QD_OK);
	for (i = 0; i < 5; i++)
		c[i].open_time = (int64_t)i * 3600000;
	assert_int_equal(store_put_candles(s, &h1, c, 5), QD_OK);
	assert_int_equal(store_coverage(s, &f, cov_fn, &v), QD_OK);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.names[0][0], "binance");
	assert_int_equal(v.c[0].first, 0);
	assert_int_equal(v.c[0].last, 99 * 60000);
	assert_int_equal(v.c[0].count, (int64_t)n);
	assert_int_equal(v.c[0].missing, 11);
	assert_string_equal(v.names[1][0], "okx");
	assert_int_equal(v.c[1].missing, 0);
	f.exchange = "okx";
	v.n = 0;
	assert_int_equal(store_coverage(s, &f, cov_fn, &v), QD_OK);
	assert_int_equal(v.n, 1);
	assert_int_equal(store_gaps(s, &btc, gap_fn, &g), QD_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.from[0], 10 * 60000);
	assert_int_equal(g.to[0], 20 * 60000);
	assert_int_equal(g.from[1], 50 * 60000);
	assert_int_equal(g.to[1], 51 * 60000);
	store_close(s);
}

struct tgot { struct store_trade t[64]; size_t n; };

static int
tcollect(void *arg, const struct store_trade *t, size_t n)
{
	struct tgot *g = arg;
	size_t i;

	for (i = 0; i < n && g->n < 64; i++)
		g->t[g->n++] = t[i];
	return 0;
}

static void
trades_dedupe(void **st)
{
	struct store *s = open_fresh("c_trades");
	struct store_trade t[200];
	struct store_series k = { "binance", "BTC/USDT", NULL };
	struct tgot g = { .n = 0 };
	size_t i;

	(void)st;
	for (i = 0; i < 200; i++) {
		t[i].time = 1700000000000LL + (int64_t)i;
		t[i].trade_id = 5000 + i;
		t[i].price = 65000.01 + (double)i / 100;
		t[i].qty = 0.001 * (double)(i + 1);
		t[i].side = 1 + (int)(i % 2);
	}
	assert_int_equal(store_put_trades(s, &k, t, 200), QD_OK);
	assert_int_equal(store_put_trades(s, &k, t, 200), QD_OK);
	assert_int_equal(store_put_trades(s, &k, t + 3, 2), QD_OK);
	assert_int_equal(store_trades(s, &k, t[0].time, t[199].time + 1, 50,
		tcollect, &g), QD_OK);
	assert_int_equal(g.n, 50);
	for (i = 0; i < 50; i++) {
		assert_int_equal(g.t[i].trade_id, t[i].trade_id);
		same_double(g.t[i].price, t[i].price);
		same_double(g.t[i].qty, t[i].qty);
		assert_int_equal(g.t[i].side, t[i].side);
	}
	store_close(s);
}

static void
state_round_trip(void **st)
{
	struct store *s = open_fresh("c_state");
	unsigned char blob[3000], back[4000];
	size_t len = 0, i;

	(void)st;
	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (unsigned char)(i * 7);  /* NULs and high bytes */
	assert_int_equal(store_state_load(s, "demo", back, sizeof(back), &len),
		QD_ERR_NOTFOUND);
	assert_int_equal(store_state_save(s, "demo", blob, sizeof(blob)), QD_OK);
	assert_int_equal(store_state_save(s, "other", "x", 1), QD_OK);
	store_close(s);
	s = reopen(STORE_ROLE_READER);
	assert_int_equal(store_state_load(s, "demo", back, sizeof(back), &len),
		QD_OK);
	assert_int_equal(len, sizeof(blob));
	assert_memory_equal(back, blob, sizeof(blob));
	/* A short buffer gets a prefix and the full length. */
	assert_int_equal(store_state_load(s, "demo", back, 10, &len), QD_OK);
	assert_int_equal(len, sizeof(blob));
	assert_memory_equal(back, blob, 10);
	store_close(s);
	s = reopen(STORE_ROLE_WRITER);
	assert_int_equal(store_state_save(s, "demo", "", 0), QD_OK);
	assert_int_equal(store_state_load(s, "demo", back, sizeof(back), &len),
		QD_OK);
	assert_int_equal(len, 0);
	store_close(s);
}

static void
instruments_and_prune(void **st)
{
	struct store *s = open_fresh("c_prune");
	struct store_instrument in = { "binance", "BTC/USDT", "BTCUSDT",
		"0.01", "0.00001", "5" };
	struct store_candle c[100];
	struct store_trade t[10];
	struct store_series k = { "binance", "BTC/USDT", NULL };
	int64_t deleted = -1;
	size_t i;

	(void)st;
	assert_int_equal(store_put_instrument(s, &in), QD_OK);
	in.tick = "0.1";
	assert_int_equal(store_put_instrument(s, &in), QD_OK);
	in.tick = "a lot";
	assert_int_equal(store_put_instrument(s, &in), QD_ERR_INVALID);
	for (i = 0; i < 100; i++)
		c[i] = candle((int64_t)i * 60000, 1, 1, 1, 1, 1);
	assert_int_equal(store_put_candles(s, &btc, c, 100), QD_OK);
	for (i = 0; i < 10; i++) {
		t[i].time = (int64_t)i * 1000000;
		t[i].trade_id = i + 1;
		t[i].price = 1;
		t[i].qty = 1;
		t[i].side = 0;
	}
	assert_int_equal(store_put_trades(s, &k, t, 10), QD_OK);
	assert_int_equal(store_prune(s, NULL, 30 * 60000,
		STORE_PRUNE_CANDLES | STORE_PRUNE_TRADES, &deleted), QD_OK);
	assert_int_equal(deleted, 30 + 2);
	assert_int_equal(count_all(s, &btc), 70);
	assert_int_equal(store_vacuum(s), QD_OK);
	assert_int_equal(count_all(s, &btc), 70);
	store_close(s);
}

static void
bad_input_refused(void **st)
{
	struct store *s = open_fresh("c_bad");
	struct store_candle c = candle(60000, 1, 1, 1, 1, 1);
	struct store_series nope = { "binance", "BTC/USDT", "7m" };

	(void)st;
	assert_int_equal(store_put_candles(s, &nope, &c, 1), QD_ERR_INVALID);
	assert_non_null(strstr(store_error(s), "timeframe"));
	c.open_time = 61000;  /* not on a minute */
	assert_int_equal(store_put_candles(s, &btc, &c, 1), QD_ERR_INVALID);
	c.open_time = 60000;
	c.close = NAN;
	assert_int_equal(store_put_candles(s, &btc, &c, 1), QD_ERR_INVALID);
	c.close = 1;
	c.volume = -1;
	assert_int_equal(store_put_candles(s, &btc, &c, 1), QD_ERR_INVALID);
	assert_int_equal(count_all(s, &btc), 0);
	store_close(s);
}

/* A transaction that fails leaves nothing behind. */
static void
transaction_all_or_nothing(void **st)
{
	struct store *s = open_fresh("c_tx");
	struct store_candle c[100];
	size_t i;

	(void)st;
	for (i = 0; i < 100; i++)
		c[i] = candle((int64_t)i * 60000, 1, 1, 1, 1, 1);
	assert_int_equal(store_begin(s), QD_OK);
	assert_int_equal(store_put_candles(s, &btc, c, 100), QD_OK);
	assert_int_equal(store_rollback(s), QD_OK);
	assert_int_equal(count_all(s, &btc), 0);
	assert_int_equal(store_begin(s), QD_OK);
	assert_int_equal(store_put_candles(s, &btc, c, 50), QD_OK);
	assert_int_equal(store_put_candles(s, &btc, c + 50, 50), QD_OK);
	assert_int_equal(store_commit(s), QD_OK);
	assert_int_equal(count_all(s, &btc), 100);
	store_close(s);
}

/* ---- trading ------------------------------------------------------------- */

/* The single value of `sql` run directly on the case's database, as text
 * (into buf); the backend's own view of what the store wrote. */
static const char *
db_value(const char *sql, char *buf, size_t cap)
{
	if (pg_base == NULL) {
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;

		assert_int_equal(sqlite3_open(url, &db), SQLITE_OK);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			fail_msg("%s: %s", sql, sqlite3_errmsg(db));
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		snprintf(buf, cap, "%s", sqlite3_column_text(st, 0) ?
			(const char *)sqlite3_column_text(st, 0) : "(null)");
		sqlite3_finalize(st);
		sqlite3_close(db);
	} else {
		PGconn *c = PQconnectdb(url);
		PGresult *r = PQexec(c, sql);

		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
			fail_msg("%s: %s", sql, PQresultErrorMessage(r));
		snprintf(buf, cap, "%s", PQgetisnull(r, 0, 0) ? "(null)" :
			PQgetvalue(r, 0, 0));
		PQclear(r);
		PQfinish(c);
	}
	return buf;
}

/* Copies of the strings a read hands over (valid only during its call). */
struct pool {
	char *s[2048];
	size_t n;
};

static const char *
keep(struct pool *p, const char *s)
{
	if (s == NULL)
		return NULL;
	assert_true(p->n < sizeof(p->s) / sizeof(p->s[0]));
	p->s[p->n] = strdup(s);
	assert_non_null(p->s[p->n]);
	return p->s[p->n++];
}

static void
pool_free(struct pool *p)
{
	while (p->n > 0)
		free(p->s[--p->n]);
}

static void
same_str(const char *field, const char *got, const char *want)
{
	if (got == NULL && want == NULL)
		return;
	if (got == NULL || want == NULL || strcmp(got, want) != 0)
		fail_msg("%s: read back %s%s%s, written %s%s%s", field,
			got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
			want ? "\"" : "", want ? want : "NULL",
			want ? "\"" : "");
}

struct orders_got {
	struct pool pool;
	struct store_order o[64];
	size_t n;
	size_t stop_after;  /* rows; 0 = never */
};

static int
order_collect(void *arg, const struct store_order *o)
{
	struct orders_got *g = arg;
	struct store_order *c;

	assert_true(g->n < 64);
	c = &g->o[g->n++];
	*c = *o;
	c->client_id = keep(&g->pool, o->client_id);
	c->account = keep(&g->pool, o->account);
	c->instance = keep(&g->pool, o->instance);
	c->venue = keep(&g->pool, o->venue);
	c->symbol = keep(&g->pool, o->symbol);
	c->qty = keep(&g->pool, o->qty);
	c->price = keep(&g->pool, o->price);
	c->stop_price = keep(&g->pool, o->stop_price);
	c->trail = keep(&g->pool, o->trail);
	c->filled = keep(&g->pool, o->filled);
	c->avg_price = keep(&g->pool, o->avg_price);
	c->fees = keep(&g->pool, o->fees);
	c->venue_order_id = keep(&g->pool, o->venue_order_id);
	c->reason = keep(&g->pool, o->reason);
	c->tag = keep(&g->pool, o->tag);
	return g->stop_after && g->n >= g->stop_after;
}

static void
same_order(const struct store_order *a, const struct store_order *b)
{
	assert_int_equal(a->id, b->id);
	same_str("client_id", a->client_id, b->client_id);
	same_str("account", a->account, b->account);
	same_str("instance", a->instance, b->instance);
	same_str("venue", a->venue, b->venue);
	same_str("symbol", a->symbol, b->symbol);
	assert_int_equal(a->side, b->side);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->tif, b->tif);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->state, b->state);
	same_str("qty", a->qty, b->qty);
	same_str("price", a->price, b->price);
	same_str("stop_price", a->stop_price, b->stop_price);
	same_str("trail", a->trail, b->trail);
	same_str("filled", a->filled, b->filled);
	same_str("avg_price", a->avg_price, b->avg_price);
	same_str("fees", a->fees, b->fees);
	assert_int_equal(a->parent_id, b->parent_id);
	assert_int_equal(a->link_id, b->link_id);
	same_str("venue_order_id", a->venue_order_id, b->venue_order_id);
	same_str("reason", a->reason, b->reason);
	same_str("tag", a->tag, b->tag);
	assert_int_equal(a->created_ms, b->created_ms);
	assert_int_equal(a->updated_ms, b->updated_ms);
}

/* An order with every optional column NULL and `id`'s own client id. */
static struct store_order
order_min(uint64_t id, char *cid, size_t cap, const char *account,
	const char *instance, int state)
{
	struct store_order o = { 0 };

	snprintf(cid, cap, "c-%llu", (unsigned long long)id);
	o.id = id;
	o.client_id = cid;
	o.account = account;
	o.instance = instance;
	o.venue = "paper";
	o.symbol = "BTC/USDT";
	o.side = QD_SIDE_BUY;
	o.type = 0;
	o.tif = QD_TIF_GTC;
	o.state = state;
	o.qty = "1";
	o.filled = "0";
	o.fees = "0";
	o.created_ms = 1700000000000LL + (int64_t)id;
	o.updated_ms = o.created_ms;
	return o;
}

static void
orders_read_back_exactly(void **st)
{
	struct store *s = open_fresh("c_orders");
	struct store_order full = {
		.id = 9007199254740993ULL,  /* not a double */
		.client_id = "qd-0001-ma-fast", .account = "paper:ma-fast",
		.instance = "ma-fast", .venue = "binance", .symbol = "BTC/USDT",
		.side = QD_SIDE_SELL, .type = 3, .tif = QD_TIF_POST_ONLY,
		.flags = 0x80000001u, .state = QD_ORDER_PARTIAL,
		.qty = "123456789.12345678", .price = "65000.10000000",
		.stop_price = "0.00000001", .trail = "12.5",
		.filled = "0.00100000", .avg_price = "65000.0999999999999999",
		.fees = "-0.00000042", .parent_id = 7, .link_id = 8,
		.venue_order_id = "8389765519874653", .reason = "it's \"quoted\"",
		.tag = "tab\there, ünïcode", .created_ms = 1700000000001LL,
		.updated_ms = 1700000000999LL,
	};
	struct store_order bare, other;
	struct orders_got g = { .n = 0 };
	char cid[32], cid2[32], buf[64];

	(void)st;
	bare = order_min(5, cid, sizeof(cid), "paper:ma-fast", "", 1);
	assert_int_equal(store_put_order(s, &full), QD_OK);
	assert_int_equal(store_put_order(s, &bare), QD_OK);
	assert_int_equal(store_orders(s, NULL, order_collect, &g), QD_OK);
	assert_int_equal(g.n, 2);
	same_order(&g.o[0], &bare);   /* ascending by id */
	same_order(&g.o[1], &full);
	/* An upsert replaces every column, NULLs included. */
	full.state = QD_ORDER_FILLED;
	full.filled = "123456789.12345678";
	full.avg_price = NULL;
	full.price = "0";
	full.venue_order_id = NULL;
	full.parent_id = 0;
	full.tag = NULL;
	full.reason = "done";
	full.flags = 0;
	full.updated_ms += 1000;
	assert_int_equal(store_put_order(s, &full), QD_OK);
	/* The same order written again at the same state changes nothing. */
	assert_int_equal(store_put_order(s, &full), QD_OK);
	pool_free(&g.pool);
	g.n = 0;
	assert_int_equal(store_orders(s, NULL, order_collect, &g), QD_OK);
	assert_int_equal(g.n, 2);
	same_order(&g.o[1], &full);
	/* Another order cannot take a client id that is in use. */
	other = order_min(6, cid2, sizeof(cid2), "paper:ma-fast", "", 1);
	other.client_id = full.client_id;
	assert_int_equal(store_put_order(s, &other), QD_ERR_STATE);
	assert_non_null(strstr(store_error(s), "already stored"));
	pool_free(&g.pool);
	g.n = 0;
	assert_int_equal(store_orders(s, NULL, order_collect, &g), QD_OK);
	assert_int_equal(g.n, 2);
	/* Amounts are text on SQLite and numeric on PostgreSQL, never
	 * floating point. */
	assert_string_equal(db_value(pg_base ?
		"SELECT pg_typeof(qty)::text FROM orders LIMIT 1" :
		"SELECT typeof(qty) FROM orders LIMIT 1", buf, sizeof(buf)),
		pg_base ? "numeric" : "text");
	pool_free(&g.pool);
	store_close(s);
}

static void
orders_filter_and_cursor(void **st)
{
	struct store *s = open_fresh("c_orderq");
	struct store_order_filter f = { 0 };
	struct orders_got g = { .n = 0 };
	char cid[40][16];
	uint64_t id, cursor;
	size_t i, pages;

	(void)st;
	/* 40 orders: accounts a/b alternate, instances x/y every two,
	 * states 1..7 in turn. */
	for (id = 1; id <= 40; id++) {
		struct store_order o = order_min(id * 3, cid[id - 1],
			sizeof(cid[0]), id % 2 ? "a" : "b",
			(id / 2) % 2 ? "x" : "y", (int)(id % 7) + 1);

		assert_int_equal(store_put_order(s, &o), QD_OK);
	}
	f.open_only = 1;
	assert_int_equal(store_orders(s, &f, order_collect, &g), QD_OK);
	for (i = 0; i < g.n; i++) {
		assert_in_range(g.o[i].state, QD_ORDER_CREATED,
			QD_ORDER_PARTIAL);
		assert_true(i == 0 || g.o[i].id > g.o[i - 1].id);
	}
	/* ids 3 * k with k % 7 in {0, 1, 2}: k = 1, 2, 7, 8, 9, 14, ... */
	for (id = 1, i = 0; id <= 40; id++)
		i += id % 7 <= 2;
	assert_int_equal(g.n, i);
	/* One account's open orders of one instance. */
	pool_free(&g.pool);
	g.n = 0;
	f.account = "a";
	f.instance = "x";
	assert_int_equal(store_orders(s, &f, order_collect, &g), QD_OK);
	for (id = 1, i = 0; id <= 40; id++)
		i += id % 7 <= 2 && id % 2 == 1 && (id / 2) % 2 == 1;
	assert_int_equal(g.n, i);
	for (i = 0; i < g.n; i++) {
		same_str("account", g.o[i].account, "a");
		same_str("instance", g.o[i].instance, "x");
	}
	/* Pages of 6 of account b, after_id the last id read: every order of
	 * b once, in order. */
	pool_free(&g.pool);
	g.n = 0;
	memset(&f, 0, sizeof(f));
	f.account = "b";
	f.limit = 6;
	for (cursor = 0, pages = 0;; pages++) {
		size_t before = g.n;

		f.after_id = cursor;
		assert_int_equal(store_orders(s, &f, order_collect, &g), QD_OK);
		assert_true(g.n - before <= 6);
		if (g.n == before)
			break;
		cursor = g.o[g.n - 1].id;
	}
	assert_int_equal(g.n, 20);
	assert_int_equal(pages, 4);  /* 6 + 6 + 6 + 2 */
	for (i = 0; i < 20; i++)
		assert_int_equal(g.o[i].id, (2 * i + 2) * 3);
	/* The callback stops the read. */
	pool_free(&g.pool);
	g.n = 0;
	g.stop_after = 3;
	assert_int_equal(store_orders(s, NULL, order_collect, &g), QD_OK);
	assert_int_equal(g.n, 3);
	/* The store is usable after a read that was stopped. */
	pool_free(&g.pool);
	g.n = 0;
	g.stop_after = 0;
	assert_int_equal(store_orders(s, NULL, order_collect, &g), QD_OK);
	assert_int_equal(g.n, 40);
	pool_free(&g.pool);
	store_close(s);
}

struct fills_got {
	struct pool pool;
	struct store_fill f[16];
	size_t n;
};

static int
fill_collect(void *arg, const struct store_fill *f)
{
	struct fills_got *g = arg;
	struct store_fill *c;

	assert_true(g->n < 16);
	c = &g->f[g->n++];
	*c = *f;
	c->trade_id = keep(&g->pool, f->trade_id);
	c->account = keep(&g->pool, f->account);
	c->symbol = keep(&g->pool, f->symbol);
	c->qty = keep(&g->pool, f->qty);
	c->price = keep(&g->pool, f->price);
	c->fee = keep(&g->pool, f->fee);
	c->fee_asset = keep(&g->pool, f->fee_asset);
	return 0;
}

static void
same_fill(const struct store_fill *a, const struct store_fill *b)
{
	assert_int_equal(a->order_id, b->order_id);
	same_str("trade_id", a->trade_id, b->trade_id);
	same_str("account", a->account, b->account);
	same_str("symbol", a->symbol, b->symbol);
	assert_int_equal(a->side, b->side);
	same_str("qty", a->qty, b->qty);
	same_str("price", a->price, b->price);
	same_str("fee", a->fee, b->fee);
	same_str("fee_asset", a->fee_asset, b->fee_asset);
	assert_int_equal(a->maker, b->maker);
	assert_int_equal(a->ts_ms, b->ts_ms);
}

static void
fill_kept_once(void **st)
{
	struct store *s = open_fresh("c_fills");
	struct store_fill f1 = { 42, "T-1", "paper:a", "BTC/USDT",
		QD_SIDE_BUY, "0.00000001", "123456789.12345678", "0.00100000",
		"USDT", 1, 1700000000500LL };
	struct store_fill dup = f1, f2 = f1, f3 = f1;
	struct fills_got g = { .n = 0 };

	(void)st;
	assert_int_equal(store_put_fill(s, &f1), QD_OK);
	/* The same (order, trade) again, with other values: refused, and
	 * the first row stays as it was. */
	dup.qty = "5";
	dup.price = "1";
	dup.fee = "0";
	dup.maker = 0;
	dup.ts_ms = 1;
	assert_int_equal(store_put_fill(s, &dup), QD_ERR_STATE);
	assert_non_null(strstr(store_error(s), "already stored"));
	/* ... also inside a transaction, which stays usable. */
	assert_int_equal(store_begin(s), QD_OK);
	assert_int_equal(store_put_fill(s, &dup), QD_ERR_STATE);
	f2.trade_id = "T-2";       /* another fill of the order */
	f2.ts_ms = 1700000000400LL;
	f2.fee = "-0.5";           /* a maker rebate */
	assert_int_equal(store_put_fill(s, &f2), QD_OK);
	assert_int_equal(store_commit(s), QD_OK);
	f3.order_id = 43;          /* the same venue trade id, another order */
	f3.account = "paper:b";
	f3.ts_ms = 1700000000400LL;
	assert_int_equal(store_put_fill(s, &f3), QD_OK);
	/* All, ascending by (ts_ms, order_id, trade_id). */
	assert_int_equal(store_fills(s, NULL, 0, fill_collect, &g), QD_OK);
	assert_int_equal(g.n, 3);
	same_fill(&g.f[0], &f2);
	same_fill(&g.f[1], &f3);
	same_fill(&g.f[2], &f1);
	/* One account's; one order's. */
	g.n = 0;
	assert_int_equal(store_fills(s, "paper:b", 0, fill_collect, &g), QD_OK);
	assert_int_equal(g.n, 1);
	same_fill(&g.f[0], &f3);
	g.n = 0;
	assert_int_equal(store_fills(s, NULL, 42, fill_collect, &g), QD_OK);
	assert_int_equal(g.n, 2);
	g.n = 0;
	assert_int_equal(store_fills(s, "paper:b", 42, fill_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 0);
	pool_free(&g.pool);
	store_close(s);
}

struct postings_got {
	struct pool pool;
	struct store_posting p[16];
	size_t n;
};

static int
posting_collect(void *arg, const struct store_posting *p)
{
	struct postings_got *g = arg;
	struct store_posting *c;

	assert_true(g->n < 16);
	c = &g->p[g->n++];
	*c = *p;
	c->kind = keep(&g->pool, p->kind);
	c->ref = keep(&g->pool, p->ref);
	c->account = keep(&g->pool, p->account);
	c->asset = keep(&g->pool, p->asset);
	c->amount = keep(&g->pool, p->amount);
	return 0;
}

static void
same_posting(const struct store_posting *a, const struct store_posting *b)
{
	assert_int_equal(a->txn, b->txn);
	assert_int_equal(a->ts_ms, b->ts_ms);
	same_str("kind", a->kind, b->kind);
	same_str("ref", a->ref, b->ref);
	same_str("account", a->account, b->account);
	same_str("asset", a->asset, b->asset);
	same_str("amount", a->amount, b->amount);
}

static size_t
count_postings(struct store *s, const char *account)
{
	struct postings_got g = { .n = 0 };

	assert_int_equal(store_postings(s, account, posting_collect, &g),
		QD_OK);
	pool_free(&g.pool);
	return g.n;
}

/* A page of postings: one account's (or all) after a txn, in a time
 * range, ascending by txn and leg; a negative cursor is refused. */
static void
postings_page_by_cursor_and_time(void **st)
{
	struct store *s = open_fresh("c_ledger_page");
	const struct store_posting p[] = {
		{ 1, 1000, "deposit", "", "external:deposits", "USDT", "-10" },
		{ 1, 1000, "deposit", "", "paper:a", "USDT", "10" },
		{ 2, 2000, "trade", "T-1", "paper:a", "BTC", "1" },
		{ 2, 2000, "trade", "T-1", "venue:paper", "BTC", "-1" },
		{ 3, 3000, "fee", "T-1", "paper:a", "USDT", "-1" },
		{ 3, 3000, "fee", "T-1", "fees:paper", "USDT", "1" },
	};
	struct store_posting_filter f = { "paper:a", 1, INT64_MIN,
		INT64_MAX };
	struct postings_got g = { .n = 0 };

	(void)st;
	assert_int_equal(store_put_postings(s, p, 6), QD_OK);
	assert_int_equal(store_postings_page(s, &f, posting_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 2);
	same_posting(&g.p[0], &p[2]);
	same_posting(&g.p[1], &p[4]);
	pool_free(&g.pool);
	g.n = 0;
	f.after_txn = 0;
	f.from_ms = 2000;
	f.to_ms = 3000;             /* to is exclusive */
	assert_int_equal(store_postings_page(s, &f, posting_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 1);
	same_posting(&g.p[0], &p[2]);
	pool_free(&g.pool);
	g.n = 0;
	f.account = NULL;
	f.to_ms = INT64_MAX;
	f.after_txn = 2;
	assert_int_equal(store_postings_page(s, &f, posting_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 2);
	same_posting(&g.p[0], &p[4]);
	same_posting(&g.p[1], &p[5]);
	pool_free(&g.pool);
	g.n = 0;
	f.account = "x' OR '1'='1";
	f.after_txn = 0;
	f.from_ms = INT64_MIN;
	assert_int_equal(store_postings_page(s, &f, posting_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 0);
	f.after_txn = -1;
	assert_int_equal(store_postings_page(s, &f, posting_collect, &g),
		QD_ERR_INVALID);
	store_close(s);
}

static void
postings_all_or_nothing(void **st)
{
	struct store *s = open_fresh("c_ledger");
	/* A buy of 0.001 BTC at 65000.1 with a fee, and a deposit. */
	const struct store_posting p[] = {
		{ 1, 1000, "deposit", "", "external:deposits", "USDT",
		  "-1000.00000000" },
		{ 1, 1000, "deposit", "", "paper:a", "USDT", "1000.00000000" },
		{ 2, 2000, "trade", "T-1", "paper:a", "BTC", "0.00100000" },
		{ 2, 2000, "trade", "T-1", "venue:paper", "BTC",
		  "-0.00100000" },
		{ 2, 2000, "trade", "T-1", "paper:a", "USDT",
		  "-65.00010000" },
		{ 2, 2000, "trade", "T-1", "venue:paper", "USDT",
		  "65.00010000" },
	};
	const struct store_posting later[] = {
		{ 3, 3000, "fee", "T-1", "paper:a", "USDT", "-0.06500010" },
		{ 3, 3000, "fee", "T-1", "fees:paper", "USDT", "0.06500010" },
	};
	struct store_posting bad[2], mid[2];
	struct postings_got g = { .n = 0 };
	uint64_t max_id = 1;
	int64_t max_txn = 1;
	size_t i;

	(void)st;
	/* Written in a transaction that is rolled back: nothing. */
	assert_int_equal(store_begin(s), QD_OK);
	assert_int_equal(store_put_postings(s, p, 6), QD_OK);
	assert_int_equal(store_rollback(s), QD_OK);
	assert_int_equal(count_postings(s, NULL), 0);
	assert_int_equal(store_trading_ids(s, &max_id, &max_txn), QD_OK);
	assert_int_equal(max_txn, 0);
	/* Their own transaction; read back exactly, in order. */
	assert_int_equal(store_put_postings(s, p, 6), QD_OK);
	assert_int_equal(store_postings(s, NULL, posting_collect, &g), QD_OK);
	assert_int_equal(g.n, 6);
	for (i = 0; i < 6; i++)
		same_posting(&g.p[i], &p[i]);
	pool_free(&g.pool);
	g.n = 0;
	assert_int_equal(store_postings(s, "paper:a", posting_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 3);
	same_posting(&g.p[0], &p[1]);
	same_posting(&g.p[1], &p[2]);
	same_posting(&g.p[2], &p[4]);
	pool_free(&g.pool);
	/* Txn 5 stored; then txn 3 written with txn 5 again: the call is
	 * refused whole, txn 3 is not kept either. */
	bad[0] = later[0];
	bad[1] = later[1];
	bad[0].txn = bad[1].txn = 5;
	assert_int_equal(store_put_postings(s, bad, 2), QD_OK);
	bad[0].txn = 3;
	assert_int_equal(store_put_postings(s, bad, 2), QD_ERR_STATE);
	assert_non_null(strstr(store_error(s), "already stored"));
	assert_int_equal(count_postings(s, NULL), 8);
	/* The same in the caller's transaction, which stays usable: what it
	 * wrote before and after the refused call commits, nothing of the
	 * refused call does. */
	assert_int_equal(store_begin(s), QD_OK);
	mid[0] = later[0];
	mid[1] = later[1];
	mid[0].txn = mid[1].txn = 4;
	assert_int_equal(store_put_postings(s, mid, 2), QD_OK);
	assert_int_equal(store_put_postings(s, bad, 2), QD_ERR_STATE);
	bad[1].txn = 6;
	assert_int_equal(store_put_postings(s, bad + 1, 1), QD_OK);
	assert_int_equal(store_commit(s), QD_OK);
	assert_int_equal(count_postings(s, NULL), 11);
	assert_int_equal(store_trading_ids(s, &max_id, &max_txn), QD_OK);
	assert_int_equal(max_txn, 6);
	assert_int_equal(max_id, 0);
	g.n = 0;
	assert_int_equal(store_postings(s, "fees:paper", posting_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.p[0].txn, 4);  /* not 3 */
	assert_int_equal(g.p[1].txn, 5);
	assert_int_equal(g.p[2].txn, 6);
	pool_free(&g.pool);
	/* Out of order: refused before anything is written. */
	bad[0] = later[0];
	bad[1] = p[0];
	bad[0].txn = 9;
	assert_int_equal(store_put_postings(s, bad, 2), QD_ERR_INVALID);
	assert_non_null(strstr(store_error(s), "ascending by txn"));
	assert_int_equal(count_postings(s, NULL), 11);
	store_close(s);
}

struct risk_got {
	struct pool pool;
	struct store_risk_event e[16];
	size_t n;
};

static int
risk_collect(void *arg, const struct store_risk_event *e)
{
	struct risk_got *g = arg;
	struct store_risk_event *c;

	assert_true(g->n < 16);
	c = &g->e[g->n++];
	*c = *e;
	c->scope = keep(&g->pool, e->scope);
	c->scope_id = keep(&g->pool, e->scope_id);
	c->rule = keep(&g->pool, e->rule);
	c->actions = keep(&g->pool, e->actions);
	c->symbol = keep(&g->pool, e->symbol);
	c->reason = keep(&g->pool, e->reason);
	return 0;
}

static void
risk_log_since_and_limit(void **st)
{
	struct store *s = open_fresh("c_risk");
	struct store_risk_event e[10];
	struct risk_got g = { .n = 0 };
	char reason[10][48];
	size_t i;

	(void)st;
	/* Written newest first: read back by time all the same. */
	for (i = 0; i < 10; i++) {
		size_t k = 9 - i;

		snprintf(reason[k], sizeof(reason[k]), "order notional %zu "
			"> 1000", k);
		e[k].ts_ms = 1000 * (int64_t)(k + 1);
		e[k].scope = k % 2 ? "account" : "global";
		e[k].scope_id = k % 2 ? "paper:a" : "";
		e[k].rule = "max_order_notional";
		e[k].actions = k % 2 ? "refuse" : "halt,cancel,close,notify";
		e[k].symbol = k % 3 ? "BTC/USDT" : NULL;
		e[k].reason = reason[k];
		e[k].order_id = k % 4 ? 100 + k : 0;
		assert_int_equal(store_put_risk_event(s, &e[k]), QD_OK);
	}
	assert_int_equal(store_risk_events(s, 5000, 0, risk_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 6);
	for (i = 0; i < 6; i++) {
		const struct store_risk_event *a = &g.e[i], *b = &e[i + 4];

		assert_int_equal(a->ts_ms, b->ts_ms);
		same_str("scope", a->scope, b->scope);
		same_str("scope_id", a->scope_id, b->scope_id);
		same_str("rule", a->rule, b->rule);
		same_str("actions", a->actions, b->actions);
		same_str("symbol", a->symbol, b->symbol);
		same_str("reason", a->reason, b->reason);
		assert_int_equal(a->order_id, b->order_id);
	}
	pool_free(&g.pool);
	g.n = 0;
	assert_int_equal(store_risk_events(s, 5000, 2, risk_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.e[0].ts_ms, 5000);
	assert_int_equal(g.e[1].ts_ms, 6000);
	pool_free(&g.pool);
	g.n = 0;
	assert_int_equal(store_risk_events(s, 10001, 0, risk_collect, &g),
		QD_OK);
	assert_int_equal(g.n, 0);
	store_close(s);
}

struct alerts_got {
	struct pool pool;
	struct store_alert a[8];
	struct store_alert_event e[8];
	size_t n;
};

static int
alert_collect(void *arg, const struct store_alert *a)
{
	struct alerts_got *g = arg;
	struct store_alert *c;

	assert_true(g->n < 8);
	c = &g->a[g->n++];
	*c = *a;
	c->user_id = keep(&g->pool, a->user_id);
	c->exchange = keep(&g->pool, a->exchange);
	c->symbol = keep(&g->pool, a->symbol);
	c->name = keep(&g->pool, a->name);
	c->spec = keep(&g->pool, a->spec);
	c->fire_mode = keep(&g->pool, a->fire_mode);
	c->state = keep(&g->pool, a->state);
	c->channels = keep(&g->pool, a->channels);
	return 0;
}

static int
alert_event_collect(void *arg, const struct store_alert_event *e)
{
	struct alerts_got *g = arg;
	struct store_alert_event *c;

	assert_true(g->n < 8);
	c = &g->e[g->n++];
	*c = *e;
	c->user_id = keep(&g->pool, e->user_id);
	c->message = keep(&g->pool, e->message);
	return 0;
}

/* Alerts read back exactly (a rewrite replaces every column, a NULL
 * expiry and last fire read as 0); events come newest first, of one alert
 * or of all, and go with their alert. */
static void
alerts_round_trip(void **st)
{
	struct store *s = open_fresh("c_alerts");
	struct store_alert a = { 7, "admin", "binance", "BTC/USDT", "",
		"{\"type\":\"price_above\",\"price\":50000}", "once", 0, 0,
		1, 0, 0, "{}", 1000, 1000, NULL };
	struct store_alert b = { 9, "42", "okx", "ETH/USDT", "dip",
		"{\"type\":\"price_below\",\"price\":0.1}", "every", 60000,
		1999999999999, 0, 3, 1500, "{\"last\":0.25}", 1100, 1600,
		"email,webhook" };
	struct store_alert_event e = { 7, "admin", 2000, 50000.5, "crossed" };
	struct alerts_got g;
	size_t i;

	(void)st;
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_put_alert(s, &b), QD_OK);
	assert_int_equal(store_put_alert(s, &a), QD_OK);
	a.fire_count = 1;
	a.last_fired_ms = 2000;
	a.enabled = 0;
	a.state = "{\"last\":50000.5}";
	a.updated_ms = 2000;
	assert_int_equal(store_put_alert(s, &a), QD_OK);
	assert_int_equal(store_alerts(s, alert_collect, &g), QD_OK);
	assert_int_equal(g.n, 2);
	for (i = 0; i < 2; i++) {
		const struct store_alert *r = &g.a[i], *w = i ? &b : &a;

		assert_int_equal(r->id, w->id);
		same_str("user_id", r->user_id, w->user_id);
		same_str("exchange", r->exchange, w->exchange);
		same_str("symbol", r->symbol, w->symbol);
		same_str("name", r->name, w->name);
		same_str("spec", r->spec, w->spec);
		same_str("fire_mode", r->fire_mode, w->fire_mode);
		same_str("state", r->state, w->state);
		same_str("channels", r->channels, w->channels);
		assert_int_equal(r->cooldown_ms, w->cooldown_ms);
		assert_int_equal(r->expires_ms, w->expires_ms);
		assert_int_equal(r->enabled, w->enabled);
		assert_int_equal(r->fire_count, w->fire_count);
		assert_int_equal(r->last_fired_ms, w->last_fired_ms);
		assert_int_equal(r->created_ms, w->created_ms);
		assert_int_equal(r->updated_ms, w->updated_ms);
	}
	pool_free(&g.pool);
	g.n = 0;
	assert_int_equal(store_put_alert_event(s, &e), QD_OK);
	e.ts_ms = 3000;
	e.price = 0.1;
	e.alert_id = 9;
	e.user_id = "42";
	assert_int_equal(store_put_alert_event(s, &e), QD_OK);
	e.ts_ms = 4000;
	e.price = 50001;
	e.alert_id = 7;
	e.user_id = "admin";
	assert_int_equal(store_put_alert_event(s, &e), QD_OK);
	assert_int_equal(store_alert_events(s, 0, 2, alert_event_collect,
		&g), QD_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.e[0].ts_ms, 4000);
	assert_int_equal(g.e[1].ts_ms, 3000);
	assert_true(g.e[1].price == 0.1);
	same_str("user_id", g.e[1].user_id, "42");
	pool_free(&g.pool);
	g.n = 0;
	assert_int_equal(store_alert_events(s, 7, 0, alert_event_collect,
		&g), QD_OK);
	assert_int_equal(g.n, 2);
	assert_true(g.e[0].price == 50001);
	assert_true(g.e[1].price == 50000.5);
	same_str("message", g.e[1].message, "crossed");
	pool_free(&g.pool);
	g.n = 0;
	assert_int_equal(store_delete_alert(s, 7), QD_OK);
	assert_int_equal(store_delete_alert(s, 7), QD_ERR_NOTFOUND);
	assert_int_equal(store_alert_events(s, 7, 0, alert_event_collect,
		&g), QD_OK);
	assert_int_equal(g.n, 0);
	assert_int_equal(store_alerts(s, alert_collect, &g), QD_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.a[0].id, 9);
	pool_free(&g.pool);
	/* Bad rows are refused, naming the field. */
	b.symbol = "";
	assert_int_equal(store_put_alert(s, &b), QD_ERR_INVALID);
	assert_non_null(strstr(store_error(s), "symbol"));
	b.symbol = "ETH/USDT";
	b.id = 0;
	assert_int_equal(store_put_alert(s, &b), QD_ERR_INVALID);
	e.price = NAN;
	assert_int_equal(store_put_alert_event(s, &e), QD_ERR_INVALID);
	store_close(s);
}

struct accounts_got {
	struct pool pool;
	struct store_account a[8];
	size_t n;
};

static int
account_collect(void *arg, const struct store_account *a)
{
	struct accounts_got *g = arg;
	struct store_account *c;

	assert_true(g->n < 8);
	c = &g->a[g->n++];
	*c = *a;
	c->id = keep(&g->pool, a->id);
	c->owner = keep(&g->pool, a->owner);
	c->instance = keep(&g->pool, a->instance);
	c->venue = keep(&g->pool, a->venue);
	c->quote = keep(&g->pool, a->quote);
	return 0;
}

static void
accounts_round_trip(void **st)
{
	struct store *s = open_fresh("c_accounts");
	struct store_account a = { "paper:ma-fast", "", "ma-fast", "paper",
		"USDT", 0, 1700000000000LL };
	struct store_account b = { "binance:alice", "alice", "", "binance",
		"USDT", 1, 1700000001000LL };
	struct accounts_got g = { .n = 0 };

	(void)st;
	assert_int_equal(store_put_account(s, &a), QD_OK);
	assert_int_equal(store_put_account(s, &b), QD_OK);
	/* Written again (a restart, a new owner): updated, its creation time
	 * kept. */
	a.owner = "alice";
	a.margin = 1;
	a.created_ms = 1800000000000LL;
	assert_int_equal(store_put_account(s, &a), QD_OK);
	assert_int_equal(store_accounts(s, account_collect, &g), QD_OK);
	assert_int_equal(g.n, 2);
	same_str("id", g.a[0].id, "binance:alice");
	same_str("owner", g.a[0].owner, "alice");
	same_str("instance", g.a[0].instance, "");
	same_str("venue", g.a[0].venue, "binance");
	same_str("quote", g.a[0].quote, "USDT");
	assert_int_equal(g.a[0].margin, 1);
	assert_int_equal(g.a[0].created_ms, 1700000001000LL);
	same_str("id", g.a[1].id, "paper:ma-fast");
	same_str("owner", g.a[1].owner, "alice");
	same_str("instance", g.a[1].instance, "ma-fast");
	assert_int_equal(g.a[1].margin, 1);
	assert_int_equal(g.a[1].created_ms, 1700000000000LL);
	pool_free(&g.pool);
	store_close(s);
}

static void
trading_ids_are_the_largest(void **st)
{
	struct store *s = open_fresh("c_tradeids");
	const uint64_t ids[] = { 7, 4200000000000ULL, 9 };
	struct store_posting p[2] = {
		{ 41, 1, "deposit", "", "external:deposits", "USDT", "-1" },
		{ 41, 1, "deposit", "", "paper:a", "USDT", "1" },
	};
	char cid[3][24];
	uint64_t max_id = 1;
	int64_t max_txn = 1;
	size_t i;

	(void)st;
	assert_int_equal(store_trading_ids(s, &max_id, &max_txn), QD_OK);
	assert_int_equal(max_id, 0);
	assert_int_equal(max_txn, 0);
	for (i = 0; i < 3; i++) {
		struct store_order o = order_min(ids[i], cid[i],
			sizeof(cid[i]), "paper:a", "", QD_ORDER_FILLED);

		assert_int_equal(store_put_order(s, &o), QD_OK);
	}
	assert_int_equal(store_put_postings(s, p, 2), QD_OK);
	p[0].txn = p[1].txn = 40;
	assert_int_equal(store_put_postings(s, p, 2), QD_OK);
	store_close(s);
	s = reopen(STORE_ROLE_READER);
	assert_int_equal(store_trading_ids(s, &max_id, &max_txn), QD_OK);
	assert_int_equal(max_id, 4200000000000ULL);
	assert_int_equal(max_txn, 41);
	store_close(s);
}

static void
trading_bad_input_refused(void **st)
{
	static const char *const not_plain[] = {
		"", "1e-3", "+1", "01", "-0", "-0.000", ".5", "1.", "-", "abc",
		"1,5", " 1", "1 ", "NaN", "Infinity", "0x10", "1.2.3", "--1",
	};
	struct store *s = open_fresh("c_tradebad");
	struct store_order o;
	struct store_fill f = { 1, "T", "a", "BTC/USDT", QD_SIDE_BUY, "1",
		"1", "0", "USDT", 0, 1 };
	struct store_posting p = { 1, 1, "deposit", "", "a", "USDT", "1" };
	struct store_risk_event e = { 1, "global", "", "r", "halt", NULL,
		"why", 0 };
	struct store_account a = { "a", "", "", "paper", "USDT", 0, 1 };
	char cid[24], longer[128];
	uint64_t u;
	int64_t t;
	size_t i;

	(void)st;
	o = order_min(1, cid, sizeof(cid), "a", "", QD_ORDER_CREATED);
	for (i = 0; i < sizeof(not_plain) / sizeof(not_plain[0]); i++) {
		o.qty = not_plain[i];
		assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
		assert_non_null(strstr(store_error(s), "qty"));
		f.price = not_plain[i];
		assert_int_equal(store_put_fill(s, &f), QD_ERR_INVALID);
		assert_non_null(strstr(store_error(s), "price"));
		p.amount = not_plain[i];
		assert_int_equal(store_put_postings(s, &p, 1), QD_ERR_INVALID);
		assert_non_null(strstr(store_error(s), "amount"));
	}
	memset(longer, '1', 101);
	longer[101] = '\0';
	o.qty = longer;
	assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
	longer[100] = '\0';  /* 100 characters is the most */
	o.qty = longer;
	assert_int_equal(store_put_order(s, &o), QD_OK);
	o.qty = "1";
	f.price = "1";
	p.amount = "1";
	/* Required strings, ids, sides. */
	o.client_id = NULL;
	assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
	assert_non_null(strstr(store_error(s), "client_id is NULL"));
	o.client_id = "";
	assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
	o.client_id = cid;
	o.filled = NULL;  /* not nullable */
	assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
	o.filled = "0";
	o.id = 0;
	assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
	o.id = (uint64_t)INT64_MAX + 1;
	assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
	o.id = 1;
	o.link_id = UINT64_MAX;
	assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
	o.link_id = 0;
	o.side = 0;
	assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
	o.side = QD_SIDE_BUY;
	o.state = 0;
	assert_int_equal(store_put_order(s, &o), QD_ERR_INVALID);
	f.fee_asset = NULL;
	assert_int_equal(store_put_fill(s, &f), QD_ERR_INVALID);
	f.fee_asset = "USDT";
	f.trade_id = "";
	assert_int_equal(store_put_fill(s, &f), QD_ERR_INVALID);
	f.trade_id = "T";
	f.order_id = 0;
	assert_int_equal(store_put_fill(s, &f), QD_ERR_INVALID);
	p.txn = 0;
	assert_int_equal(store_put_postings(s, &p, 1), QD_ERR_INVALID);
	p.txn = 1;
	p.account = NULL;
	assert_int_equal(store_put_postings(s, &p, 1), QD_ERR_INVALID);
	assert_int_equal(store_put_postings(s, NULL, 1), QD_ERR_INVALID);
	assert_int_equal(store_put_postings(s, NULL, 0), QD_OK);
	e.rule = NULL;
	assert_int_equal(store_put_risk_event(s, &e), QD_ERR_INVALID);
	e.rule = "r";
	e.scope = "";
	assert_int_equal(store_put_risk_event(s, &e), QD_ERR_INVALID);
	a.quote = NULL;
	assert_int_equal(store_put_account(s, &a), QD_ERR_INVALID);
	assert_int_equal(store_put_account(s, NULL), QD_ERR_INVALID);
	assert_int_equal(store_put_order(s, NULL), QD_ERR_INVALID);
	assert_int_equal(store_put_fill(s, NULL), QD_ERR_INVALID);
	assert_int_equal(store_put_risk_event(s, NULL), QD_ERR_INVALID);
	/* Reads: a callback and outputs are needed. */
	assert_int_equal(store_accounts(s, NULL, NULL), QD_ERR_INVALID);
	assert_int_equal(store_orders(s, NULL, NULL, NULL), QD_ERR_INVALID);
	assert_int_equal(store_fills(s, NULL, 0, NULL, NULL), QD_ERR_INVALID);
	assert_int_equal(store_postings(s, NULL, NULL, NULL), QD_ERR_INVALID);
	assert_int_equal(store_risk_events(s, 0, 0, NULL, NULL),
		QD_ERR_INVALID);
	assert_int_equal(store_trading_ids(s, NULL, &t), QD_ERR_INVALID);
	assert_int_equal(store_trading_ids(s, &u, NULL), QD_ERR_INVALID);
	/* Nothing but the one good order was written. */
	assert_int_equal(store_trading_ids(s, &u, &t), QD_OK);
	assert_int_equal(u, 1);
	assert_int_equal(t, 0);
	store_close(s);
}

/* A database left by every earlier schema version upgrades, keeping its
 * rows. */
static void
upgrade_from_every_version(void **st)
{
	struct store *s = open_fresh("c_upgrade0");
	int latest = store_schema_latest(s), v, from;
	char err[512], tag[32], cid[24];
	struct store_posting p = { 5, 1, "deposit", "", "a", "USDT",
		"0.00000001" };
	struct store_order o;
	uint64_t id;
	int64_t txn;

	(void)st;
	store_close(s);
	for (from = 0; from < latest; from++) {
		struct store_candle c = candle(120000, 1.5, 2, 1, 1.75, 3);

		snprintf(tag, sizeof(tag), "c_upgrade%d", from);
		fresh(tag);
		assert_int_equal(store_open_version(url, STORE_ROLE_WRITER,
			from, &s, err, sizeof(err)), QD_OK);
		assert_int_equal(store_schema_version(s, &v), QD_OK);
		assert_int_equal(v, from);
		if (from >= 1)  /* candles exist from version 1 */
			assert_int_equal(store_put_candles(s, &btc, &c, 1),
				QD_OK);
		store_close(s);
		s = reopen(STORE_ROLE_WRITER);
		assert_int_equal(store_schema_version(s, &v), QD_OK);
		assert_int_equal(v, latest);
		assert_int_equal(count_all(s, &btc), from >= 1 ? 1 : 0);
		assert_int_equal(store_state_save(s, "x", "y", 1), QD_OK);
		/* The trading tables (version 3) are there and work. */
		o = order_min(1, cid, sizeof(cid), "a", "", QD_ORDER_PENDING);
		assert_int_equal(store_put_order(s, &o), QD_OK);
		assert_int_equal(store_put_postings(s, &p, 1), QD_OK);
		assert_int_equal(store_trading_ids(s, &id, &txn), QD_OK);
		assert_int_equal(id, 1);
		assert_int_equal(txn, 5);
		store_close(s);
	}
}

static void
newer_schema_refused(void **st)
{
	struct store *s = open_fresh("c_newer");
	char err[512];

	(void)st;
	store_close(s);
	/* Another quantd, newer than this one, migrated the database. */
	if (pg_base == NULL) {
		char cmd[1200];

		snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"INSERT INTO "
			"schema_version VALUES (99, 'future', 0)\"", url);
		assert_int_equal(system(cmd), 0);
	} else {
		PGconn *c = PQconnectdb(url);
		PGresult *r = PQexec(c, "INSERT INTO schema_version VALUES "
			"(99, 'future', 0)");

		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		PQfinish(c);
	}
	assert_int_equal(store_open(url, STORE_ROLE_WRITER, &s, err,
		sizeof(err)), QD_ERR_STATE);
	assert_null(s);
	assert_non_null(strstr(err, "version 99, newer than this quantd"));
	assert_int_equal(store_open(url, STORE_ROLE_READER, &s, err,
		sizeof(err)), QD_ERR_STATE);
}

static void
bad_locations(void **st)
{
	struct store *s = NULL;
	char err[512];

	(void)st;
	assert_int_equal(store_open("env:QD_TEST_NO_SUCH_VAR", STORE_ROLE_READER,
		&s, err, sizeof(err)), QD_ERR_INVALID);
	assert_non_null(strstr(err, "QD_TEST_NO_SUCH_VAR"));
	assert_int_not_equal(store_open("/nonexistent/dir/x.db",
		STORE_ROLE_READER, &s, err, sizeof(err)), QD_OK);
	assert_non_null(strstr(err, "/nonexistent/dir/x.db"));
	/* A refused connection says so without repeating the password. */
	assert_int_equal(store_open("postgresql://u:s3cret@127.0.0.1:1/x"
		"?connect_timeout=2", STORE_ROLE_READER, &s, err, sizeof(err)),
		QD_ERR_IO);
	assert_null(strstr(err, "s3cret"));
	assert_non_null(strstr(err, "cannot connect"));
}

/* PostgreSQL: monthly partitions are created as rows arrive. */
static void
pg_partitions(void **st)
{
	struct store *s;
	struct store_candle c[200];
	PGconn *pc;
	PGresult *r;
	size_t i;

	(void)st;
	if (pg_base == NULL)
		skip();
	s = open_fresh("c_parts");
	if (store_uses_timescale(s)) {
		store_close(s);
		skip();
	}
	/* 2024-01-31 23:00 .. across three months, in bulk and singly. */
	for (i = 0; i < 200; i++)
		c[i] = candle(1706742000000LL + (int64_t)i * 43200000, 1, 1, 1,
			1, 1);
	assert_int_equal(store_put_candles(s, &btc, c, 200), QD_OK);
	assert_int_equal(count_all(s, &btc), 200);
	store_close(s);
	pc = PQconnectdb(url);
	r = PQexec(pc, "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON "
		"p.oid = i.inhparent WHERE p.relname = 'candles' AND "
		"p.relnamespace = 'c_parts'::regnamespace");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	/* 200 half-days from 2024-01-31: Jan .. May */
	assert_int_equal(atoi(PQgetvalue(r, 0, 0)), 5);
	PQclear(r);
	r = PQexec(pc, "SELECT pg_typeof(open)::text, pg_typeof(volume)::text "
		"FROM candles LIMIT 1");
	assert_string_equal(PQgetvalue(r, 0, 0), "numeric");
	PQclear(r);
	PQfinish(pc);
}

/* ---- auth tables (migration 0004) ------------------------------------------ */

static int
plan_limit(void *arg, const struct store_plan *p)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s:%lld:%s:%lld:%lld:%d ", p->name,
		(long long)p->symbols, p->strategies,
		(long long)p->push_delay_ms, (long long)p->api_per_min,
		p->webhooks);
	return 0;
}

static int
user_copy(void *arg, const struct store_user *u)
{
	char *out = arg;

	snprintf(out, 256, "%lld %s %s %s %s %d", (long long)u->id, u->name,
		u->pass_hash, u->role, u->plan, u->disabled);
	return 0;
}

static void
auth_plans_seeded_and_users(void **st)
{
	struct store *s = open_fresh("c_users");
	struct store_user u = { 0, "alice", "$argon2id$x", "trader", "free", 0,
		1000, 1000 };
	char out[256] = "";
	int64_t id = 0, id2 = 0;

	(void)st;
	assert_int_equal(store_plans(s, plan_limit, out), QD_OK);
	assert_string_equal(out, "free:1:basic:5000:10:0 pro:10:all:0:100:0 "
		"enterprise:-1:custom:0:1000:1 ");
	assert_int_equal(store_plan_get(s, "gold", plan_limit, out),
		QD_ERR_NOTFOUND);
	assert_int_equal(store_user_add(s, &u, &id), QD_OK);
	assert_true(id > 0);
	/* a name is taken once; role and plan must exist */
	assert_int_equal(store_user_add(s, &u, &id2), QD_ERR_STATE);
	u.name = "bob";
	u.role = "root";
	assert_int_equal(store_user_add(s, &u, &id2), QD_ERR_INVALID);
	u.role = "viewer";
	u.plan = "gold";
	assert_int_equal(store_user_add(s, &u, &id2), QD_ERR_INVALID);
	u.plan = "pro";
	assert_int_equal(store_user_add(s, &u, &id2), QD_OK);
	assert_true(id2 > id);
	assert_int_equal(store_user_get(s, "alice", 0, user_copy, out), QD_OK);
	snprintf(out + 128, 128, "%lld alice $argon2id$x trader free 0",
		(long long)id);
	assert_string_equal(out, out + 128);
	/* update by id; SQL text in a name is data */
	u.id = id;
	u.name = "alice";
	u.pass_hash = "$argon2id$y";
	u.role = "admin";
	u.plan = "enterprise";
	u.disabled = 1;
	u.updated_ms = 2000;
	assert_int_equal(store_user_update(s, &u), QD_OK);
	assert_int_equal(store_user_get(s, NULL, id, user_copy, out), QD_OK);
	assert_non_null(strstr(out, "$argon2id$y admin enterprise 1"));
	u.id = 999;
	assert_int_equal(store_user_update(s, &u), QD_ERR_NOTFOUND);
	assert_int_equal(store_user_get(s, "x' OR '1'='1", 0, user_copy, out),
		QD_ERR_NOTFOUND);
	store_close(s);
}

static int
refresh_copy(void *arg, const struct store_refresh *r)
{
	snprintf(arg, 128, "%s %lld %lld %d", r->family, (long long)r->user_id,
		(long long)r->used_ms, r->revoked);
	return 0;
}

static void
auth_refresh_tokens(void **st)
{
	struct store *s = open_fresh("c_refresh");
	struct store_refresh r = { "h1", "fam1", 7, 1000, 9000, 0, 0 };
	char out[128];
	long long n = 0;

	(void)st;
	assert_int_equal(store_refresh_put(s, &r), QD_OK);
	assert_int_equal(store_refresh_put(s, &r), QD_ERR_STATE);
	r.hash = "h2";
	assert_int_equal(store_refresh_put(s, &r), QD_OK);
	r.hash = "h3";
	r.family = "fam2";
	assert_int_equal(store_refresh_put(s, &r), QD_OK);
	/* used once only */
	assert_int_equal(store_refresh_use(s, "h1", 1500), QD_OK);
	assert_int_equal(store_refresh_use(s, "h1", 1600), QD_ERR_STATE);
	assert_int_equal(store_refresh_get(s, "h1", refresh_copy, out), QD_OK);
	assert_string_equal(out, "fam1 7 1500 0");
	assert_int_equal(store_refresh_revoke(s, "fam1", 0, &n), QD_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_refresh_use(s, "h2", 1700), QD_ERR_STATE);
	assert_int_equal(store_refresh_get(s, "h3", refresh_copy, out), QD_OK);
	assert_string_equal(out, "fam2 7 0 0");
	assert_int_equal(store_refresh_revoke(s, NULL, 7, &n), QD_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_refresh_get(s, "nope", refresh_copy, out),
		QD_ERR_NOTFOUND);
	store_close(s);
}

static int
key_copy(void *arg, const struct store_api_key *k)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s/%lld/%s/%s/%s/%lld ", k->id,
		(long long)k->user_id, k->scopes, k->secret.key_id,
		k->secret.ct, (long long)k->revoked_ms);
	return 0;
}

static int
totp_copy(void *arg, const struct store_totp *t)
{
	snprintf(arg, 128, "%s %s %d %lld", t->secret.nonce, t->secret.ct,
		t->confirmed, (long long)t->last_step);
	return 0;
}

static void
auth_keys_totp_recovery(void **st)
{
	struct store *s = open_fresh("c_keys");
	struct store_api_key k = { "AK1", 7, "bot", "read,trade",
		{ "k1", "00", "aa" }, 1000, 0 };
	struct store_totp t = { 7, { "k1", "0011", "beef" }, 0, 0, 1000 };
	const char *codes[] = { "c1", "c2", "c3" };
	char out[256] = "";
	long long left = -1;

	(void)st;
	assert_int_equal(store_api_key_put(s, &k), QD_OK);
	assert_int_equal(store_api_key_put(s, &k), QD_ERR_STATE);
	k.id = "AK2";
	k.user_id = 8;
	assert_int_equal(store_api_key_put(s, &k), QD_OK);
	assert_int_equal(store_api_key_revoke(s, "AK1", 5000), QD_OK);
	assert_int_equal(store_api_key_revoke(s, "AK1", 6000),
		QD_ERR_NOTFOUND);
	assert_int_equal(store_api_keys(s, 0, key_copy, out), QD_OK);
	assert_string_equal(out, "AK1/7/read,trade/k1/aa/5000 "
		"AK2/8/read,trade/k1/aa/0 ");
	out[0] = '\0';
	assert_int_equal(store_api_keys(s, 8, key_copy, out), QD_OK);
	assert_string_equal(out, "AK2/8/read,trade/k1/aa/0 ");

	assert_int_equal(store_totp_put(s, &t), QD_OK);
	assert_int_equal(store_totp_step(s, 7, 100), QD_OK);
	assert_int_equal(store_totp_step(s, 7, 100), QD_ERR_STATE);
	assert_int_equal(store_totp_step(s, 7, 99), QD_ERR_STATE);
	assert_int_equal(store_totp_confirm(s, 7), QD_OK);
	assert_int_equal(store_totp_get(s, 7, totp_copy, out), QD_OK);
	assert_string_equal(out, "0011 beef 1 100");
	/* a new enrolment replaces the row */
	t.secret.ct = "cafe";
	assert_int_equal(store_totp_put(s, &t), QD_OK);
	assert_int_equal(store_totp_get(s, 7, totp_copy, out), QD_OK);
	assert_string_equal(out, "0011 cafe 0 0");

	assert_int_equal(store_recovery_set(s, 7, codes, 3), QD_OK);
	assert_int_equal(store_recovery_use(s, 7, "c2", 2000, &left), QD_OK);
	assert_int_equal(left, 2);
	assert_int_equal(store_recovery_use(s, 7, "c2", 2001, &left),
		QD_ERR_NOTFOUND);
	assert_int_equal(store_recovery_use(s, 8, "c1", 2001, &left),
		QD_ERR_NOTFOUND);
	assert_int_equal(store_totp_delete(s, 7), QD_OK);
	assert_int_equal(store_totp_get(s, 7, totp_copy, out),
		QD_ERR_NOTFOUND);
	assert_int_equal(store_recovery_use(s, 7, "c1", 2002, &left),
		QD_ERR_NOTFOUND);
	store_close(s);
}

static int
audit_copy(void *arg, const struct store_audit *a)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s:%s:%s:%d ", a->actor, a->action,
		a->target, a->ok);
	return 0;
}

static int
sealed_copy(void *arg, enum store_sealed_kind kind, const char *row_id,
	const struct store_sealed *v)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%d:%s:%s ", (int)kind, row_id, v->ct);
	return 0;
}

static int
cred_copy(void *arg, const struct store_credential *c)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s:%s:%s ", c->name, c->sealed.key_id,
		c->sealed.ct);
	return 0;
}

static void
auth_audit_credentials_sealed(void **st)
{
	struct store *s = open_fresh("c_audit");
	struct store_audit a = { 0, 1000, "alice", "login.ok", "alice",
		"10.0.0.1", 1, "" };
	struct store_credential c = { "binance.api_key", { "k1", "00", "aa" },
		1000 };
	struct store_sealed nv = { "k2", "11", "bb" };
	char out[256] = "";

	(void)st;
	assert_int_equal(store_audit_put(s, &a), QD_OK);
	a.action = "login.failed";
	a.ok = 0;
	assert_int_equal(store_audit_put(s, &a), QD_OK);
	a.action = "";
	assert_int_equal(store_audit_put(s, &a), QD_ERR_INVALID);
	assert_int_equal(store_audit(s, 0, 0, audit_copy, out), QD_OK);
	assert_string_equal(out, "alice:login.ok:alice:1 "
		"alice:login.failed:alice:0 ");
	out[0] = '\0';
	assert_int_equal(store_audit(s, 0, 1, audit_copy, out), QD_OK);
	assert_string_equal(out, "alice:login.ok:alice:1 ");

	assert_int_equal(store_credential_put(s, &c), QD_OK);
	c.sealed.ct = "ab";
	assert_int_equal(store_credential_put(s, &c), QD_OK);  /* replaces */
	out[0] = '\0';
	assert_int_equal(store_credentials(s, cred_copy, out), QD_OK);
	assert_string_equal(out, "binance.api_key:k1:ab ");
	out[0] = '\0';
	assert_int_equal(store_sealed_each(s, sealed_copy, out), QD_OK);
	assert_string_equal(out, "1:binance.api_key:ab ");
	assert_int_equal(store_sealed_update(s, STORE_SEALED_CREDENTIAL,
		"binance.api_key", &nv), QD_OK);
	assert_int_equal(store_sealed_update(s, STORE_SEALED_API_KEY, "none",
		&nv), QD_ERR_NOTFOUND);
	out[0] = '\0';
	assert_int_equal(store_credential_get(s, "binance.api_key", cred_copy,
		out), QD_OK);
	assert_string_equal(out, "binance.api_key:k2:bb ");
	assert_int_equal(store_credential_delete(s, "binance.api_key"), QD_OK);
	assert_int_equal(store_credential_delete(s, "binance.api_key"),
		QD_ERR_NOTFOUND);
	store_close(s);
}

/* ---- users' channels (0008) ------------------------------------------------ */

static int
channel_copy(void *arg, const struct store_user_channel *c)
{
	char *out = arg;

	snprintf(out + strlen(out), 512 - strlen(out), "%s:%s:%s:%s:%s:%lld:"
		"%lld ", c->user, c->kind, c->target, c->secret_ref,
		c->sealed.ct, (long long)c->created_ms,
		(long long)c->updated_ms);
	return 0;
}

static int
kind_copy(void *arg, const char *kind)
{
	char *out = arg;

	snprintf(out + strlen(out), 512 - strlen(out), "%s ", kind);
	return 0;
}

/* A user's channels: replaced by kind (creation time kept), listed by
 * user then kind, deleted once; the plans' channel kinds as seeded (email
 * for everyone, the rest for enterprise); a sealed channel secret is among
 * the values a key rotation re-seals, as USER:KIND. */
static void
user_channels_round_trip(void **st)
{
	struct store *s = open_fresh("c_channels");
	struct store_user_channel a = { "alice", "webhook",
		"https://a.example/hook", "", { "k1", "00", "aa" }, 1000,
		1000 };
	struct store_user_channel b = { "bob", "email", "bob@example.com",
		"", { "", "", "" }, 1100, 1100 };
	struct store_sealed nv = { "k2", "11", "bb" };
	char out[512] = "";

	(void)st;
	if (store_user_channel_put(s, &a) != QD_OK)
		fail_msg("%s", store_error(s));
	assert_int_equal(store_user_channel_put(s, &b), QD_OK);
	a.target = "https://a.example/hook2";
	a.created_ms = a.updated_ms = 2000;
	assert_int_equal(store_user_channel_put(s, &a), QD_OK);
	a.kind = "pager";
	assert_int_equal(store_user_channel_put(s, &a), QD_ERR_INVALID);
	assert_int_equal(store_user_channels(s, NULL, channel_copy, out),
		QD_OK);
	assert_string_equal(out, "alice:webhook:https://a.example/hook2::aa:"
		"1000:2000 bob:email:bob@example.com:::1100:1100 ");
	out[0] = '\0';
	assert_int_equal(store_user_channels(s, "bob", channel_copy, out),
		QD_OK);
	assert_string_equal(out, "bob:email:bob@example.com:::1100:1100 ");
	out[0] = '\0';
	assert_int_equal(store_sealed_each(s, sealed_copy, out), QD_OK);
	assert_string_equal(out, "4:alice:webhook:aa ");
	assert_int_equal(store_sealed_update(s, STORE_SEALED_CHANNEL,
		"alice:webhook", &nv), QD_OK);
	out[0] = '\0';
	assert_int_equal(store_user_channels(s, "alice", channel_copy, out),
		QD_OK);
	assert_string_equal(out, "alice:webhook:https://a.example/hook2::bb:"
		"1000:2000 ");
	assert_int_equal(store_user_channel_delete(s, "bob", "email"), QD_OK);
	assert_int_equal(store_user_channel_delete(s, "bob", "email"),
		QD_ERR_NOTFOUND);
	out[0] = '\0';
	assert_int_equal(store_plan_channels(s, "pro", kind_copy, out), QD_OK);
	assert_string_equal(out, "email ");
	out[0] = '\0';
	assert_int_equal(store_plan_channels(s, "enterprise", kind_copy, out),
		QD_OK);
	assert_string_equal(out, "discord email telegram webhook ");
	store_close(s);
}

/* ---- the notification outbox (0006) --------------------------------------- */

struct notes_got {
	struct pool pool;
	struct store_notification n[8];
	size_t count;
};

static int
note_collect(void *arg, const struct store_notification *n)
{
	struct notes_got *g = arg;
	struct store_notification *c;

	assert_true(g->count < 8);
	c = &g->n[g->count++];
	*c = *n;
	c->dkey = keep(&g->pool, n->dkey);
	c->channel = keep(&g->pool, n->channel);
	c->event = keep(&g->pool, n->event);
	c->owner = keep(&g->pool, n->owner);
	c->title = keep(&g->pool, n->title);
	c->body = keep(&g->pool, n->body);
	c->recipient = keep(&g->pool, n->recipient);
	c->last_error = keep(&g->pool, n->last_error);
	c->user_channel = keep(&g->pool, n->user_channel);
	return 0;
}

static struct store_notification
note(uint64_t id, const char *key, const char *channel)
{
	struct store_notification n;

	memset(&n, 0, sizeof(n));
	n.id = id;
	n.dkey = key;
	n.channel = channel;
	n.event = "risk.daily_loss";
	n.severity = QD_SEV_CRITICAL;
	n.owner = "";
	n.title = "risk: daily_loss (paper:a)";
	n.body = "loss 5.2% > 5% \"today\"\n\xc3\xa9";
	n.recipient = NULL;
	n.last_error = "";
	n.created_ms = 1700000000000LL + (int64_t)id;
	n.updated_ms = n.created_ms;
	return n;
}

/* A row for a user's own channel and the instance's own row of the same
 * key and instance are two rows; the kind reads back. */
static void
notification_user_channel_is_its_own_row(void **st)
{
	struct store *s = open_fresh("c_notify_user");
	struct store_notification a = note(1, "alert:7:1", "hook");
	struct store_notification b = note(2, "alert:7:1", "hook");
	struct store_notification c = note(3, "alert:7:1", "hook");
	struct notes_got g = { .count = 0 };

	(void)st;
	b.user_channel = "webhook";
	c.user_channel = "webhook";
	assert_int_equal(store_put_notification(s, &a), QD_OK);
	assert_int_equal(store_put_notification(s, &b), QD_OK);
	assert_int_equal(store_put_notification(s, &c), QD_OK);  /* dup */
	assert_int_equal(store_notifications(s, NULL, note_collect, &g),
		QD_OK);
	assert_int_equal(g.count, 2);
	same_str("user_channel", g.n[0].user_channel, "");
	same_str("user_channel", g.n[1].user_channel, "webhook");
	pool_free(&g.pool);
	store_close(s);
}

/* Written, read back exactly, updated in place; the same key for the same
 * channel is one row, for another channel another. */
static void
notifications_dedupe_and_update(void **st)
{
	struct store *s = open_fresh("c_notify");
	struct store_notification a = note(1, "risk:daily_loss:1", "hook");
	struct store_notification b = note(2, "risk:daily_loss:1", "hook");
	struct store_notification c = note(3, "risk:daily_loss:1", "tg");
	struct store_notify_filter dead = { .state = STORE_NOTIFY_DEAD };
	struct notes_got g = { .count = 0 };
	uint64_t max = 0;
	int64_t pruned = -1;

	(void)st;
	c.recipient = "-100123";
	c.owner = "alice";
	if (store_put_notification(s, &a) != QD_OK)
		fail_msg("%s", store_error(s));
	assert_int_equal(store_put_notification(s, &b), QD_OK);  /* dup */
	assert_int_equal(store_put_notification(s, &c), QD_OK);
	assert_int_equal(store_notifications(s, NULL, note_collect, &g),
		QD_OK);
	assert_int_equal(g.count, 2);
	assert_int_equal(g.n[0].id, 1);
	assert_int_equal(g.n[1].id, 3);
	same_str("dkey", g.n[1].dkey, c.dkey);
	same_str("channel", g.n[1].channel, "tg");
	same_str("event", g.n[1].event, c.event);
	same_str("owner", g.n[1].owner, "alice");
	same_str("body", g.n[0].body, a.body);
	same_str("recipient", g.n[0].recipient, NULL);
	same_str("recipient", g.n[1].recipient, "-100123");
	assert_int_equal(g.n[0].severity, QD_SEV_CRITICAL);
	assert_int_equal(g.n[0].state, STORE_NOTIFY_PENDING);
	assert_int_equal(g.n[0].created_ms, a.created_ms);
	pool_free(&g.pool);
	g.count = 0;
	/* An attempt failed for good: dead, with its reason. */
	a.state = STORE_NOTIFY_DEAD;
	a.attempts = 10;
	a.next_ms = 42;
	a.last_error = "denied: HTTP 401";
	a.updated_ms = a.created_ms + 5;
	assert_int_equal(store_put_notification(s, &a), QD_OK);
	assert_int_equal(store_notifications(s, &dead, note_collect, &g),
		QD_OK);
	assert_int_equal(g.count, 1);
	assert_int_equal(g.n[0].id, 1);
	assert_int_equal(g.n[0].attempts, 10);
	assert_int_equal(g.n[0].next_ms, 42);
	same_str("last_error", g.n[0].last_error, "denied: HTTP 401");
	same_str("title", g.n[0].title, a.title);
	pool_free(&g.pool);
	assert_int_equal(store_notify_max_id(s, &max), QD_OK);
	assert_int_equal(max, 3);
	/* Delivered rows go with the prune; dead and pending ones stay. */
	c.state = STORE_NOTIFY_SENT;
	c.updated_ms = 1000;
	assert_int_equal(store_put_notification(s, &c), QD_OK);
	assert_int_equal(store_notify_prune(s, 2000, &pruned), QD_OK);
	assert_int_equal(pruned, 1);
	g.count = 0;
	assert_int_equal(store_notifications(s, NULL, note_collect, &g),
		QD_OK);
	assert_int_equal(g.count, 1);
	pool_free(&g.pool);
	/* Bad rows are refused before any SQL. */
	b = note(0, "k", "hook");
	assert_int_equal(store_put_notification(s, &b), QD_ERR_INVALID);
	b = note(9, "", "hook");
	assert_int_equal(store_put_notification(s, &b), QD_ERR_INVALID);
	b = note(9, "k", "hook");
	b.state = 7;
	assert_int_equal(store_put_notification(s, &b), QD_ERR_INVALID);
	store_close(s);
}

/* ---- jobs (0007) ----------------------------------------------------------- */

struct jobs_got {
	struct pool pool;
	struct store_job j[4];
	size_t count;
};

static int
job_collect(void *arg, const struct store_job *j)
{
	struct jobs_got *g = arg;
	struct store_job *c;

	assert_true(g->count < 4);
	c = &g->j[g->count++];
	*c = *j;
	c->user_id = keep(&g->pool, j->user_id);
	c->kind = keep(&g->pool, j->kind);
	c->request = keep(&g->pool, j->request);
	c->state = keep(&g->pool, j->state);
	c->error = keep(&g->pool, j->error);
	return 0;
}

/* A job is written, replaced whole by id (a running job becomes failed
 * with its reason) and read back exactly, in id order; NULL times stay
 * 0; a bad kind, state or progress is refused. */
static void
jobs_round_trip(void **st)
{
	struct store *s = open_fresh("c_jobs");
	struct store_job a, b;
	struct jobs_got g = { .count = 0 };

	(void)st;
	memset(&a, 0, sizeof(a));
	a.id = 2;
	a.user_id = "alice";
	a.kind = "backtest";
	a.request = "{\"strategy\":\"ma-cross\",\"params\":{\"fast\":\"5\"}}";
	a.state = "running";
	a.progress = 0.25;
	a.error = "";
	a.created_ms = 1700000000000LL;
	a.started_ms = 1700000000500LL;
	b = a;
	b.id = 1;
	b.user_id = "bob";
	b.kind = "walkforward";
	b.state = "queued";
	b.progress = 0;
	b.started_ms = 0;
	if (store_put_job(s, &a) != QD_OK)
		fail_msg("%s", store_error(s));
	assert_int_equal(store_put_job(s, &b), QD_OK);
	a.state = "failed";
	a.error = "the daemon stopped while the job ran \"x\"\n\xc3\xa9";
	a.finished_ms = 1700000009000LL;
	a.cpu_ms = 1234;
	assert_int_equal(store_put_job(s, &a), QD_OK);
	assert_int_equal(store_jobs(s, job_collect, &g), QD_OK);
	assert_int_equal(g.count, 2);
	assert_int_equal(g.j[0].id, 1);
	same_str("kind", g.j[0].kind, "walkforward");
	same_str("state", g.j[0].state, "queued");
	assert_int_equal(g.j[0].started_ms, 0);
	assert_int_equal(g.j[0].finished_ms, 0);
	assert_int_equal(g.j[1].id, 2);
	same_str("user_id", g.j[1].user_id, "alice");
	same_str("request", g.j[1].request, a.request);
	same_str("state", g.j[1].state, "failed");
	same_str("error", g.j[1].error, a.error);
	assert_true(g.j[1].progress == 0.25);
	assert_int_equal(g.j[1].started_ms, a.started_ms);
	assert_int_equal(g.j[1].finished_ms, a.finished_ms);
	assert_int_equal(g.j[1].cpu_ms, 1234);
	a.kind = "rm -rf";
	assert_int_equal(store_put_job(s, &a), QD_ERR_INVALID);
	a.kind = "backtest";
	a.state = "lost";
	assert_int_equal(store_put_job(s, &a), QD_ERR_INVALID);
	a.state = "done";
	a.progress = 1.5;
	assert_int_equal(store_put_job(s, &a), QD_ERR_INVALID);
	pool_free(&g.pool);
	store_close(s);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decimal_round_trip),
		cmocka_unit_test(schema_is_latest),
		cmocka_unit_test(values_exact),
		cmocka_unit_test(upsert_idempotent),
		cmocka_unit_test(batch_duplicates_last_wins),
		cmocka_unit_test(ranges_and_paging),
		cmocka_unit_test(coverage_and_gaps),
		cmocka_unit_test(trades_dedupe),
		cmocka_unit_test(state_round_trip),
		cmocka_unit_test(instruments_and_prune),
		cmocka_unit_test(bad_input_refused),
		cmocka_unit_test(transaction_all_or_nothing),
		cmocka_unit_test(orders_read_back_exactly),
		cmocka_unit_test(orders_filter_and_cursor),
		cmocka_unit_test(fill_kept_once),
		cmocka_unit_test(postings_all_or_nothing),
		cmocka_unit_test(postings_page_by_cursor_and_time),
		cmocka_unit_test(risk_log_since_and_limit),
		cmocka_unit_test(alerts_round_trip),
		cmocka_unit_test(accounts_round_trip),
		cmocka_unit_test(trading_ids_are_the_largest),
		cmocka_unit_test(trading_bad_input_refused),
		cmocka_unit_test(notifications_dedupe_and_update),
		cmocka_unit_test(jobs_round_trip),
		cmocka_unit_test(upgrade_from_every_version),
		cmocka_unit_test(newer_schema_refused),
		cmocka_unit_test(bad_locations),
		cmocka_unit_test(pg_partitions),
		cmocka_unit_test(auth_plans_seeded_and_users),
		cmocka_unit_test(auth_refresh_tokens),
		cmocka_unit_test(auth_keys_totp_recovery),
		cmocka_unit_test(auth_audit_credentials_sealed),
		cmocka_unit_test(user_channels_round_trip),
		cmocka_unit_test(notification_user_channel_is_its_own_row),
	};
	int rc;

	if (argc > 1)
		pg_base = argv[1];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/qd-store-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	rc = cmocka_run_group_tests_name(pg_base ? "store (postgresql)" :
		"store (sqlite)", tests, NULL, NULL);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			rc = rc ? rc : 1;
	}
	return rc;
}
