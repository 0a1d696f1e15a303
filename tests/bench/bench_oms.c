/*
 * bench_oms.c -- order management with write-ahead persistence.
 *
 *   bench_oms URL [N]
 *
 * 1. Throughput: N limit orders submitted as fast as the OMS takes them;
 *    each goes to the (stub) venue once the journal made it durable.
 *    The limit: the store's own insert rate for the same rows, in one
 *    transaction (bulk) and one transaction per row.
 * 2. Tick -> order latency: a trade event in, a strategy's order out to
 *    the venue, p50/p99 -- in memory (no journal) against a bare function
 *    call, and written ahead against the store's own one-row commit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop/loop.h"
#include "market/symbol.h"
#include "store/store.h"
#include "trade/journal.h"
#include "trade/ledger.h"
#include "trade/oms.h"

static uint64_t placed;
static qd_symbol btc;

static int64_t
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
venue_place(void *arg, const char *venue, uint64_t id, const char *cid,
	const struct qd_order_req *r)
{
	(void)arg;
	(void)venue;
	(void)id;
	(void)cid;
	(void)r;
	placed++;
	return QD_OK;
}

static struct oms *
make(struct journal *j)
{
	struct oms_hooks h;
	struct oms_account_cfg c;
	struct oms *o;
	char why[200];

	memset(&h, 0, sizeof(h));
	h.venue_place = venue_place;
	o = oms_new(NULL, &h, j);
	memset(&c, 0, sizeof(c));
	c.id = "live:bench";
	c.instance = "bench";
	c.venue = "bench";
	c.quote = "USDT";
	if (o == NULL || oms_account_open(o, &c, 0, why, sizeof(why)) != QD_OK ||
	    ledger_deposit(oms_ledger(o), "live:bench", "USDT",
	    INT64_MAX / 8, 0, "bench") != QD_OK) {
		fprintf(stderr, "bench_oms: cannot set up: %s\n", why);
		exit(1);
	}
	return o;
}

static int
submit(struct oms *o, int64_t now, double px)
{
	struct qd_order_req r;
	uint64_t id;
	char why[200];

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = btc;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_LIMIT;
	r.qty = 0.001;
	r.price = px;
	return oms_submit(o, "bench", &r, now, &id, why, sizeof(why));
}

static void
trade(struct oms *o, int64_t ts, double px)
{
	struct qd_trade_event t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.symbol = btc;
	t.side = QD_SIDE_SELL;
	t.ts = ts;
	t.price = px;
	t.qty = 0.01;
	oms_on_trade(o, NULL, &t);
}

/* Wait for the journal, then let the OMS send. */
static void
drain(struct oms *o, struct journal *j, uint64_t want)
{
	while (placed < want) {
		uint64_t d = journal_durable(j);

		oms_durable(o, d, 0);
	}
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
pct(int64_t *v, size_t n, int64_t *p50, int64_t *p99)
{
	qsort(v, n, sizeof(*v), cmp64);
	*p50 = v[n / 2];
	*p99 = v[n * 99 / 100];
}

static void
order_row(struct store_order *so, uint64_t id, char *cid, size_t cap)
{
	snprintf(cid, cap, "raw%llu", (unsigned long long)id);
	memset(so, 0, sizeof(*so));
	so->id = id;
	so->client_id = cid;
	so->account = "live:bench";
	so->instance = "bench";
	so->venue = "bench";
	so->symbol = "BTC/USDT";
	so->side = 1;
	so->type = 2;
	so->state = 1;
	so->qty = "0.00100000";
	so->price = "100";
	so->filled = "0.00000000";
	so->fees = "0.00000000";
}

int
main(int argc, char **argv)
{
	const char *url = argc > 1 ? argv[1] : "/tmp/qd-bench-oms.db";
	long n = argc > 2 ? atol(argv[2]) : 20000, i;
	long lat_n = n < 2000 ? n : 2000;
	struct loop *l = loop_new(65536, 64);
	struct journal *j;
	struct store *s;
	struct oms *o;
	int64_t t0, t1, *lat = malloc((size_t)lat_n * sizeof(int64_t));
	int64_t p50, p99, b50, b99, c50, c99;
	double raw_bulk, raw_each, oms_rate;
	char err[256], cid[32];
	volatile uint64_t sink = 0;

	if (l == NULL || lat == NULL)
		return 1;
	btc = symbol_intern("BTC/USDT");
	/* The limit: the store's own inserts of the same rows. */
	if (store_open(url, STORE_ROLE_WRITER, &s, err, sizeof(err)) != QD_OK) {
		fprintf(stderr, "bench_oms: %s\n", err);
		return 1;
	}
	t0 = mono();
	store_begin(s);
	for (i = 0; i < n; i++) {
		struct store_order so;

		order_row(&so, (uint64_t)(1000000000 + i), cid, sizeof(cid));
		store_put_order(s, &so);
	}
	store_commit(s);
	raw_bulk = (double)n / ((double)(mono() - t0) / 1e9);
	for (i = 0; i < lat_n; i++) {
		struct store_order so;

		order_row(&so, (uint64_t)(2000000000 + i), cid, sizeof(cid));
		t0 = mono();
		store_begin(s);
		store_put_order(s, &so);
		store_commit(s);
		lat[i] = mono() - t0;
	}
	pct(lat, (size_t)lat_n, &c50, &c99);
	raw_each = 1e9 / (double)c50;
	store_close(s);

	/* 1. Throughput through the OMS, written ahead. */
	if ((j = journal_start(l, url, 0, NULL, NULL, NULL, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "bench_oms: %s\n", err);
		return 1;
	}
	o = make(j);
	trade(o, 1, 100);
	placed = 0;
	t0 = mono();
	for (i = 0; i < n; i++)
		submit(o, 1, 50);
	drain(o, j, (uint64_t)n);
	t1 = mono();
	oms_rate = (double)n / ((double)(t1 - t0) / 1e9);
	oms_cancel_all(o, NULL, "bench", 2);
	/* The cancels written before the latency runs: they would queue. */
	while (journal_durable(j) < journal_last(j))
		oms_durable(o, journal_durable(j), 0);

	/* 2. Tick -> order, written ahead. */
	for (i = 0; i < lat_n; i++) {
		uint64_t want = placed + 1;

		t0 = mono();
		trade(o, 10 + i, 100);
		submit(o, 10 + i, 50);
		drain(o, j, want);
		lat[i] = mono() - t0;
	}
	pct(lat, (size_t)lat_n, &p50, &p99);
	oms_free(o);
	journal_stop(j, 10000);

	printf("oms: %ld orders written ahead to %s, then sent: %.0f orders/s "
		"(store's own inserts: %.0f rows/s in one transaction, %.0f "
		"commits/s one row each; %.2fx the commit rate)\n", n,
		strncmp(url, "postgres", 8) == 0 ? "PostgreSQL" : "SQLite", oms_rate, raw_bulk, raw_each,
		oms_rate / raw_each);
	printf("oms: tick -> order written ahead: p50 %.1f us, p99 %.1f us "
		"(one-row commit alone: p50 %.1f us, p99 %.1f us; %.2fx)\n",
		(double)p50 / 1e3, (double)p99 / 1e3, (double)c50 / 1e3,
		(double)c99 / 1e3, (double)p50 / (double)c50);

	/* 3. Tick -> order in memory, against a bare call. */
	o = make(NULL);
	placed = 0;
	for (i = 0; i < lat_n; i++) {
		t0 = mono();
		trade(o, 10 + i, 100);
		submit(o, 10 + i, 50);
		lat[i] = mono() - t0;
		if ((i & 63) == 63)
			oms_cancel_all(o, NULL, "bench", 10 + i);
	}
	pct(lat, (size_t)lat_n, &p50, &p99);
	for (i = 0; i < lat_n; i++) {
		t0 = mono();
		sink += (uint64_t)venue_place(NULL, "bench", (uint64_t)i, "x",
			NULL);
		lat[i] = mono() - t0;
	}
	pct(lat, (size_t)lat_n, &b50, &b99);
	printf("oms: tick -> order in memory (risk, funds, rounding, books): "
		"p50 %.2f us, p99 %.2f us (a bare call and clock read: p50 "
		"%.3f us; %.0fx)\n", (double)p50 / 1e3, (double)p99 / 1e3,
		(double)b50 / 1e3, (double)p50 / (double)(b50 ? b50 : 1));
	oms_free(o);
	loop_free(l);
	free(lat);
	(void)sink;
	(void)b99;
	return 0;
}
