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
	assert_true(store_schema_latest(s) >= 2);
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

/* A database left by every earlier schema version upgrades, keeping its
 * rows. */
static void
upgrade_from_every_version(void **st)
{
	struct store *s = open_fresh("c_upgrade0");
	int latest = store_schema_latest(s), v, from;
	char err[512], tag[32];

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
		cmocka_unit_test(upgrade_from_every_version),
		cmocka_unit_test(newer_schema_refused),
		cmocka_unit_test(bad_locations),
		cmocka_unit_test(pg_partitions),
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
