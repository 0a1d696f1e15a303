/*
 * bench_binance.c -- Binance trade messages/s through the adapter's parser
 * (parse + normalise), then through parse + the host's candle aggregation
 * (12 timeframes), against the limit of parsing the same bytes with cJSON
 * alone.  One core, median of 5.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../../plugins/exchange-binance/parse.h"
#include "market/candles.h"

#define N 1000000
#define RUNS 5

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

static void
on_bar(void *arg, const char *source, qd_symbol sym, uint32_t tf,
	const struct candle *c, int final)
{
	(void)arg; (void)source; (void)sym; (void)tf; (void)c; (void)final;
}

int
main(void)
{
	char **msg = malloc(N * sizeof(*msg));
	size_t *len = malloc(N * sizeof(*len)), bytes = 0;
	double t_json[RUNS], t_parse[RUNS], t_agg[RUNS], t0;
	long i, sink = 0;
	int r;

	for (i = 0; i < N; i++) {
		char b[256];
		int n = snprintf(b, sizeof(b), "{\"e\":\"trade\",\"E\":%lld,"
			"\"s\":\"BTCUSDT\",\"t\":%ld,\"p\":\"%d.%02d\","
			"\"q\":\"0.%05d\",\"T\":%lld,\"m\":%s,\"M\":true}",
			1704067200000LL + i * 10, 3000000 + i, 30000 + (int)(i % 997),
			(int)(i % 100), (int)(i % 99991), 1704067200000LL + i * 10,
			i % 3 ? "true" : "false");

		msg[i] = strdup(b);
		len[i] = (size_t)n;
		bytes += (size_t)n;
	}
	for (r = 0; r < RUNS; r++) {
		struct candles *a = candles_new(CANDLE_ALL, on_bar, NULL);
		struct candle_series *s = candles_series(a, "binance", 1);
		struct bn_event e;

		t0 = now();
		for (i = 0; i < N; i++) {
			cJSON *j = cJSON_ParseWithLength(msg[i], len[i]);

			sink += j != NULL;
			cJSON_Delete(j);
		}
		t_json[r] = now() - t0;
		t0 = now();
		for (i = 0; i < N; i++)
			sink += bn_parse_ws(msg[i], len[i], &e) == 0;
		t_parse[r] = now() - t0;
		t0 = now();
		for (i = 0; i < N; i++)
			if (bn_parse_ws(msg[i], len[i], &e) == 0)
				candles_trade(s, e.ts_ms * 1000000, e.price,
					e.qty);
		t_agg[r] = now() - t0;
		candles_free(a);
	}
	qsort(t_json, RUNS, sizeof(double), cmp);
	qsort(t_parse, RUNS, sizeof(double), cmp);
	qsort(t_agg, RUNS, sizeof(double), cmp);
	printf("binance: %d trade messages (%zu bytes avg), median of %d "
		"(%ld)\n", N, bytes / N, RUNS, sink > 0 ? 1L : 0L);
	printf("  cJSON parse alone (limit)   %.2f M msgs/s\n",
		N / t_json[RUNS / 2] / 1e6);
	printf("  parse + normalise           %.2f M msgs/s (%.2fx the "
		"limit's time)\n", N / t_parse[RUNS / 2] / 1e6,
		t_parse[RUNS / 2] / t_json[RUNS / 2]);
	printf("  + aggregate, 12 timeframes  %.2f M msgs/s\n",
		N / t_agg[RUNS / 2] / 1e6);
	for (i = 0; i < N; i++)
		free(msg[i]);
	free(msg);
	free(len);
	return 0;
}
