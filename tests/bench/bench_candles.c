/*
 * bench_candles.c -- the candle aggregator: trades/s into all 12
 * timeframes of one series (a trade every 10 ms, so minutes roll over
 * constantly), against the limit of a bare loop that folds the same trades
 * into a single bar (the least any aggregation must do per trade).  Median
 * of 5 runs each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "market/candles.h"

#define N 20000000L
#define RUNS 5

static uint64_t closed;

static void
on_bar(void *arg, const char *source, qd_symbol sym, uint32_t tf,
	const struct candle *c, int final)
{
	(void)arg; (void)source; (void)sym; (void)tf; (void)c; (void)final;
	closed++;
}

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

int
main(void)
{
	double *price = malloc(N * sizeof(*price)), p = 30000, ours[RUNS],
	    bare[RUNS];
	volatile double sink;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	long i;
	int r;

	if (price == NULL)
		return 1;
	for (i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p += ((double)(x % 21) - 10) * 0.01;
		price[i] = p;
	}
	for (r = 0; r < RUNS; r++) {
		struct candles *a = candles_new(CANDLE_ALL, on_bar, NULL);
		struct candle_series *s = candles_series(a, "bench", 1);
		int64_t t = 1704067200LL * 1000000000LL;
		double t0, h = 0, l = 1e300, c = 0, v = 0;

		t0 = now();
		for (i = 0; i < N; i++)
			candles_trade(s, t + i * 10000000LL, price[i], 0.5);
		ours[r] = now() - t0;
		candles_free(a);
		t0 = now();
		for (i = 0; i < N; i++) {
			double q = price[i];

			h = q > h ? q : h;
			l = q < l ? q : l;
			c = q;
			v += 0.5;
		}
		bare[r] = now() - t0;
		sink = h + l + c + v;
	}
	(void)sink;
	qsort(ours, RUNS, sizeof(double), cmp);
	qsort(bare, RUNS, sizeof(double), cmp);
	printf("candles: %ld trades into 12 timeframes, median of %d\n", N, RUNS);
	printf("  aggregator %.1f M trades/s (%.2f ns/trade), %llu bars closed "
		"per run\n", N / ours[RUNS / 2] / 1e6,
		ours[RUNS / 2] * 1e9 / N, (unsigned long long)(closed / RUNS));
	printf("  bare loop, one bar: %.1f M trades/s (%.2f ns/trade); "
		"aggregator/bare time %.1fx (12 bars updated per trade)\n",
		N / bare[RUNS / 2] / 1e6, bare[RUNS / 2] * 1e9 / N,
		ours[RUNS / 2] / bare[RUNS / 2]);
	free(price);
	return 0;
}
