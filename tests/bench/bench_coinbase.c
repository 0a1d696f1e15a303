/*
 * bench_coinbase.c -- Coinbase market_trades messages/s through the
 * adapter's parser (parse + normalise: decimal text checked and
 * converted, RFC 3339 times to ms, taker side, trade id), against the
 * limit of parsing the same bytes with cJSON alone.  One core, median
 * of 5.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../../plugins/exchange-coinbase/parse.h"

#define N 300000
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

static long trades_seen;

static void
on_event(void *arg, const struct cb_event *ev)
{
	(void)arg;
	trades_seen += ev->kind == CB_TRADE && ev->price > 0;
}

int
main(void)
{
	char **msg = malloc(N * sizeof(*msg));
	size_t *len = malloc(N * sizeof(*len)), bytes = 0;
	double t_json[RUNS], t_parse[RUNS], t0;
	long i, sink = 0;
	int r;

	/* One trade per message, as the venue sends when it is quiet (a
	 * busy 250 ms batches several). */
	for (i = 0; i < N; i++) {
		char b[512];
		long us = i * 10007;
		int n = snprintf(b, sizeof(b), "{\"channel\":\"market_trades\","
			"\"timestamp\":\"2026-08-09T21:%02ld:%02ld.%06ld123Z\","
			"\"sequence_num\":%ld,\"events\":[{\"type\":\"update\","
			"\"trades\":[{\"product_id\":\"BTC-USD\",\"trade_id\":"
			"\"%ld\",\"price\":\"%d.%02d\",\"size\":\"0.%08d\","
			"\"time\":\"2026-08-09T21:%02ld:%02ld.%06ldZ\","
			"\"side\":\"%s\"}]}]}",
			us / 60000000 % 60, us / 1000000 % 60, us % 1000000, i,
			1068572091 + i, 65000 + (int)(i % 997), (int)(i % 100),
			1 + (int)(i % 99999989), us / 60000000 % 60,
			us / 1000000 % 60, us % 1000000, i % 3 ? "BUY" : "SELL");

		msg[i] = strdup(b);
		len[i] = (size_t)n;
		bytes += (size_t)n;
	}
	for (r = 0; r < RUNS; r++) {
		char why[96];

		t0 = now();
		for (i = 0; i < N; i++) {
			cJSON *j = cJSON_ParseWithLength(msg[i], len[i]);

			sink += j != NULL;
			cJSON_Delete(j);
		}
		t_json[r] = now() - t0;
		t0 = now();
		for (i = 0; i < N; i++)
			sink += cb_parse_ws(msg[i], len[i], NULL, on_event, NULL,
				why) == 1;
		t_parse[r] = now() - t0;
	}
	qsort(t_json, RUNS, sizeof(double), cmp);
	qsort(t_parse, RUNS, sizeof(double), cmp);
	printf("coinbase: %d market_trades messages (%zu bytes avg), median "
		"of %d (%ld trades, %ld)\n", N, bytes / N, RUNS,
		trades_seen / RUNS, sink > 0 ? 1L : 0L);
	printf("  cJSON parse alone (limit)   %.2f M msgs/s\n",
		N / t_json[RUNS / 2] / 1e6);
	printf("  parse + normalise           %.2f M msgs/s (%.2fx the "
		"limit's time)\n", N / t_parse[RUNS / 2] / 1e6,
		t_parse[RUNS / 2] / t_json[RUNS / 2]);
	for (i = 0; i < N; i++)
		free(msg[i]);
	free(msg);
	free(len);
	return 0;
}
