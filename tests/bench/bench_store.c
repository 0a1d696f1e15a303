/*
 * bench_store.c -- bench_store URL [N] [CSV]: write N candles (default
 * 1,000,000) of one series into an empty store in one transaction through
 * store_put_candles() (COPY on PostgreSQL), then read them all back with
 * store_candles(); print candles/s for each.  With CSV, also write the same
 * rows in the table's column order, as the backend's own bulk tool takes
 * them (bench_store.sh times sqlite3 .import and psql \copy on it: the
 * limit to compare against).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quantd/sdk.h>

#include "store/store.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t got;

static int
count(void *arg, const struct store_candle *c, size_t n)
{
	(void)arg;
	(void)c;
	got += n;
	return 0;
}

int
main(int argc, char **argv)
{
	const struct store_series k = { "binance", "BTC/USDT", "1m" };
	size_t n = argc > 2 ? (size_t)atol(argv[2]) : 1000000, i, chunk = 50000;
	struct store_candle *c = malloc(n * sizeof(*c));
	struct store *s;
	double p = 42000, t0, tw, tr;
	uint64_t x = 88172645463325252ull;
	char err[512];

	if (argc < 2 || c == NULL) {
		fprintf(stderr, "usage: bench_store URL [N] [CSV]\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		double o = p, h, l;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p = round(p * (1 + ((double)(x % 2001) - 1000) / 1e6) * 100) /
		    100;
		h = fmax(o, p) + 0.5;
		l = fmin(o, p) - 0.5;
		c[i].open_time = 1577836800000LL + (int64_t)i * 60000;
		c[i].open = o;
		c[i].high = h;
		c[i].low = l;
		c[i].close = p;
		c[i].volume = (double)(x % 100000) / 1000;
		c[i].quote_volume = round(c[i].volume * p * 1e4) / 1e4;
		c[i].trades = (int64_t)(x % 5000);
	}
	if (argc > 3) {
		FILE *f = fopen(argv[3], "w");
		char v[6][48];

		if (f == NULL)
			return 1;
		for (i = 0; i < n; i++) {
			store_decimal_format(c[i].open, v[0], 48);
			store_decimal_format(c[i].high, v[1], 48);
			store_decimal_format(c[i].low, v[2], 48);
			store_decimal_format(c[i].close, v[3], 48);
			store_decimal_format(c[i].volume, v[4], 48);
			store_decimal_format(c[i].quote_volume, v[5], 48);
			fprintf(f, "%s,%s,%s,%lld,%s,%s,%s,%s,%s,%s,%lld\n",
				k.exchange, k.symbol, k.timeframe,
				(long long)c[i].open_time, v[0], v[1], v[2],
				v[3], v[4], v[5], (long long)c[i].trades);
		}
		fclose(f);
	}
	if (store_open(argv[1], STORE_ROLE_WRITER, &s, err, sizeof(err)) !=
	    QD_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t0 = now();
	if (store_begin(s) != QD_OK)
		goto fail;
	for (i = 0; i < n; i += chunk)
		if (store_put_candles(s, &k, c + i, n - i < chunk ? n - i :
		    chunk) != QD_OK)
			goto fail;
	if (store_commit(s) != QD_OK)
		goto fail;
	tw = now() - t0;
	t0 = now();
	if (store_candles(s, &k, INT64_MIN, INT64_MAX, 0, 0, count, NULL) !=
	    QD_OK)
		goto fail;
	tr = now() - t0;
	printf("%s: wrote %zu candles in %.3f s = %.0f k candles/s; read %zu "
		"in %.3f s = %.2f M candles/s\n", store_backend_name(s), n, tw,
		(double)n / tw / 1e3, got, tr, (double)got / tr / 1e6);
	store_close(s);
	free(c);
	return got == n ? 0 : 1;
fail:
	fprintf(stderr, "%s\n", store_error(s));
	return 1;
}
