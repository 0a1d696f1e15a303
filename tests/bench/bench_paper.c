/*
 * bench_paper.c -- trades/s through the matching engine's paper_on_trade,
 * against the limit of a bare loop that reads the same trades.  Four
 * books on one symbol, the price a random walk of 0.1 steps from 30000:
 *   - none: no open order (the O(1) path of every other symbol);
 *   - quiet: 1000 resting limits the walk never reaches;
 *   - grid 100 / grid 1000: limits 1.0 apart on both sides of the price;
 *     a filled buy is replaced by a sell one step up, a filled sell by a
 *     buy one step down (the grid strategy), so the walk keeps crossing
 *     them and the book keeps its size.
 * Median of RUNS runs each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trade/paper.h"

#define N 5000000L
#define RUNS 3

static uint64_t fills;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Buying power is the ledger's in the daemon: always yes here. */
static const char *
afford(void *arg, const struct paper_fill *f)
{
	(void)arg;
	(void)f;
	return NULL;
}

static void
limit(struct paper *p, enum qd_side side, double price, int64_t at)
{
	struct qd_order_req r;
	uint64_t id;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = side;
	r.type = QD_ORDER_LIMIT;
	r.qty = 1;
	r.price = price;
	if (paper_submit(p, &r, at, &id) != QD_OK) {
		fprintf(stderr, "bench_paper: paper_submit failed\n");
		exit(1);
	}
}

/* The grid's re-quote: the other side, one step away. */
static void
requote(void *arg, const struct paper_fill *f)
{
	struct paper *p = arg;

	fills++;
	if (f->reject != NULL || f->expired || f->remaining > 0)
		return;
	if (f->side == QD_SIDE_BUY)
		limit(p, QD_SIDE_SELL, f->price + 1.0, f->ts);
	else
		limit(p, QD_SIDE_BUY, f->price - 1.0, f->ts);
}

/* Seconds to match every trade against a book of `kind` with n orders. */
static double
run(const struct qd_trade_event *tr, int kind, int n)
{
	struct paper_config c = { .cash = 1000000 * PAPER_UNIT,
		.afford = afford };
	struct paper *p = paper_new(&c);
	double t0, t;
	long i;
	int k;

	if (p == NULL)
		exit(1);
	for (k = 1; k <= n / 2; k++) {
		if (kind == 1) {      /* out of the walk's reach */
			limit(p, QD_SIDE_BUY, 1000 - k * 0.5, 0);
			limit(p, QD_SIDE_SELL, 100000 + k * 0.5, 0);
		} else {
			limit(p, QD_SIDE_BUY, 30000 - k, 0);
			limit(p, QD_SIDE_SELL, 30000 + k, 0);
		}
	}
	t0 = now();
	for (i = 0; i < N; i++)
		paper_on_trade(p, &tr[i], requote, p);
	t = now() - t0;
	if (paper_open_orders(p) != (size_t)n) {
		fprintf(stderr, "bench_paper: the book lost orders\n");
		exit(1);
	}
	paper_free(p);
	return t;
}

int
main(void)
{
	static const struct { const char *name; int kind, n; } books[] = {
		{ "none", 0, 0 },
		{ "quiet 1000", 1, 1000 },
		{ "grid 100", 2, 100 },
		{ "grid 1000", 2, 1000 },
	};
	struct qd_trade_event *tr = calloc(N, sizeof(*tr));
	double px = 30000, bare[RUNS], ours[RUNS];
	volatile double sink;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	size_t b;
	long i;
	int r;

	if (tr == NULL)
		return 1;
	for (i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		px += (x & 1) ? 0.1 : -0.1;
		tr[i].size = sizeof(tr[i]);
		tr[i].symbol = 1;
		tr[i].side = (x & 2) ? QD_SIDE_BUY : QD_SIDE_SELL;
		tr[i].ts = 1704067200LL * 1000000000LL + i * 1000000LL;
		tr[i].price = px;
		tr[i].qty = 1;
	}
	for (r = 0; r < RUNS; r++) {
		double t0 = now(), s = 0;

		for (i = 0; i < N; i++)
			s += tr[i].price * tr[i].qty;
		bare[r] = now() - t0;
		sink = s;
	}
	(void)sink;
	qsort(bare, RUNS, sizeof(double), cmp);
	printf("paper: %ld trades through paper_on_trade, median of %d\n", N,
		RUNS);
	printf("  bare loop: %.1f M trades/s (%.2f ns/trade)\n",
		N / bare[RUNS / 2] / 1e6, bare[RUNS / 2] * 1e9 / N);
	for (b = 0; b < sizeof(books) / sizeof(books[0]); b++) {
		fills = 0;
		for (r = 0; r < RUNS; r++)
			ours[r] = run(tr, books[b].kind, books[b].n);
		qsort(ours, RUNS, sizeof(double), cmp);
		printf("  %-10s %6.1f M trades/s (%7.2f ns/trade), "
			"paper/bare time %6.1fx, %llu fills per run\n",
			books[b].name, N / ours[RUNS / 2] / 1e6,
			ours[RUNS / 2] * 1e9 / N, ours[RUNS / 2] /
			bare[RUNS / 2], (unsigned long long)(fills / RUNS));
	}
	free(tr);
	return 0;
}
