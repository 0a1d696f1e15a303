/*
 * bench_bybit.c -- Bybit v5 spot trade messages/s through the adapter's
 * parser (parse + normalise: every field checked, decimal text read,
 * events handed out)
 * against the limit of parsing the same bytes with cJSON alone.  The Bybit
 * parser goes through cJSON for every message, so the ratio is what the
 * checks and normalising cost on top.  One core, median of 5.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../../plugins/exchange-bybit/parse.h"

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
sum(void *arg, const struct by_event *e)
{
	*(double *)arg += e->price * e->qty + (double)e->ts_ms;
}

int
main(void)
{
	char **msg = malloc(N * sizeof(*msg));
	size_t *len = malloc(N * sizeof(*len)), bytes = 0;
	double t_json[RUNS], t_parse[RUNS], t0, acc = 0;
	char why[96];
	long i, sink = 0;
	int r;

	if (msg == NULL || len == NULL)
		return 1;
	for (i = 0; i < N; i++) {
		char b[320];
		int n = snprintf(b, sizeof(b), "{\"topic\":\"publicTrade."
			"BTCUSDT\",\"type\":\"snapshot\",\"ts\":%lld,"
			"\"data\":[{\"T\":%lld,\"s\":\"BTCUSDT\",\"S\":"
			"\"%s\",\"v\":\"0.%05d\",\"p\":\"%d.%d\",\"L\":"
			"\"PlusTick\",\"i\":\"%ld\",\"BT\":false}]}",
			1704067200000LL + i * 10 + 1, 1704067200000LL + i * 10,
			i % 3 ? "Buy" : "Sell", (int)(i % 99991) + 1,
			30000 + (int)(i % 997), (int)(i % 10), 2100000000L + i);

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
			sink += by_parse_ws(msg[i], len[i], sum, &acc, why) == 1;
		t_parse[r] = now() - t0;
	}
	qsort(t_json, RUNS, sizeof(double), cmp);
	qsort(t_parse, RUNS, sizeof(double), cmp);
	printf("bybit: %d trade messages (%zu bytes avg), median of %d "
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
