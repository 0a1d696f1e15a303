/*
 * bench_kraken.c -- Kraken WebSocket v2 trade messages/s through the
 * adapter's parser (parse + normalise: symbol, RFC 3339 time, side, id),
 * against the limit of parsing the same bytes with cJSON alone.  One
 * core, median of 5.  Figures, not a test: nothing is asserted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../../plugins/exchange-kraken/parse.h"

#define N 500000
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
sum(void *arg, const struct kr_event *e)
{
	*(double *)arg += e->price + (double)e->ts_ms;
}

int
main(void)
{
	char **msg = malloc(N * sizeof(*msg)), why[96];
	size_t *len = malloc(N * sizeof(*len)), bytes = 0;
	double t_json[RUNS], t_parse[RUNS], t0, acc = 0;
	long i, sink = 0;
	int r;

	/* The shape Kraken sends: one trade per update, numbers as JSON
	 * numbers, a microsecond RFC 3339 time. */
	for (i = 0; i < N; i++) {
		char b[320];
		long s = i / 100;
		int n = snprintf(b, sizeof(b), "{\"channel\":\"trade\","
			"\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
			"\"side\":\"%s\",\"price\":%d.%d,\"qty\":0.%08d,"
			"\"ord_type\":\"%s\",\"trade_id\":%ld,\"timestamp\":"
			"\"2024-01-01T%02ld:%02ld:%02ld.%06ldZ\"}]}",
			i % 3 ? "buy" : "sell", 30000 + (int)(i % 997),
			(int)(i % 10), (int)(i % 99999991) + 1,
			i % 2 ? "limit" : "market", 3000000 + i,
			s / 3600 % 24, s / 60 % 60, s % 60, i % 1000000);

		msg[i] = strdup(b);
		len[i] = (size_t)n;
		bytes += (size_t)n;
	}
	for (r = 0; r < RUNS; r++) {
		t0 = now();
		for (i = 0; i < N; i++) {
			cJSON *j = cJSON_ParseWithLength(msg[i], len[i]);

			sink += j != NULL;
			cJSON_Delete(j);
		}
		t_json[r] = now() - t0;
		t0 = now();
		for (i = 0; i < N; i++)
			sink += kr_parse_ws(msg[i], len[i], sum, &acc, why) == 1;
		t_parse[r] = now() - t0;
	}
	qsort(t_json, RUNS, sizeof(double), cmp);
	qsort(t_parse, RUNS, sizeof(double), cmp);
	printf("kraken: %d trade messages (%zu bytes avg), median of %d "
		"(%ld)\n", N, bytes / N, RUNS, sink > 0 && acc > 0 ? 1L : 0L);
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
