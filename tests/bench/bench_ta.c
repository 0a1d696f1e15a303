/*
 * bench_ta.c -- ns per bar for every indicator over 1,000,000 bars,
 * streaming (indicator_update per bar) and batch (indicator_batch), against
 * the limit: a loop that only reads the same bars.  Medians of 5 runs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "plugin/indicator.h"
#include "plugin/plugin.h"

#define N 1000000
#define RUNS 5

static volatile double sink;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v)
{
	qsort(v, RUNS, sizeof(double), cmp);
	return v[RUNS / 2];
}

static void
make_bars(struct qd_bar *b)
{
	uint64_t s = 88172645463325252ull;
	double p = 100.0;
	size_t i;

	for (i = 0; i < N; i++) {
		double u, c;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		u = (double)(s >> 11) / 9007199254740992.0;
		c = fmax(1.0, p + round((u - 0.5) * 100.0) / 100.0);
		b[i].ts = (int64_t)i * 60000000000LL;
		b[i].open = p;
		b[i].close = c;
		b[i].high = fmax(p, c) + 0.05;
		b[i].low = fmin(p, c) - 0.05;
		b[i].volume = 100.0 + (double)(s & 1023);
		p = c;
	}
}

int
main(void)
{
	static const char *const names[] = {
		"sma", "ema", "wma", "dema", "tema", "macd", "rsi", "stoch",
		"cci", "bbands", "atr", "natr", "adx", "obv", "vwap", "willr",
		"roc", "mfi", "donchian", "psar", "keltner", "supertrend",
		"ichimoku"
	};
	struct plugin_registry *reg = plugin_registry_new();
	struct qd_bar *bars = malloc(N * sizeof(*bars));
	double *out = malloc((size_t)N * 5 * sizeof(double));
	double t[RUNS], limit;
	char path[4096], err[256];
	size_t k, i;
	int r;

	log_open("/dev/null", QD_LOG_ERROR);
	snprintf(path, sizeof(path), "%s/plugins/ta/.libs/ta.so",
		QD_TEST_BUILDDIR);
	if (plugin_load_file(reg, path) < 1 || bars == NULL || out == NULL) {
		fprintf(stderr, "bench_ta: cannot load %s\n", path);
		return 1;
	}
	make_bars(bars);
	for (r = 0; r < RUNS; r++) {
		double acc = 0, t0 = now_s();

		for (i = 0; i < N; i++)
			acc += bars[i].close;
		t[r] = now_s() - t0;
		sink += acc;
	}
	limit = median(t) * 1e9 / N;
	printf("indicators: ns/bar over %d bars (default params; cci is "
		"O(period) per bar), median of %d runs\n", N, RUNS);
	printf("  limit (read every bar, sum closes): %.2f ns/bar\n", limit);
	printf("  %-11s %10s %10s %9s\n", "indicator", "streaming", "batch",
		"x limit");
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		double ts, tb;
		qd_indicator *ind;
		uint32_t no;

		for (r = 0; r < RUNS; r++) {
			double t0;

			ind = indicator_new(reg, names[k], NULL, 0, err,
				sizeof(err));
			if (ind == NULL) {
				fprintf(stderr, "%s: %s\n", names[k], err);
				return 1;
			}
			no = indicator_outputs(ind);
			t0 = now_s();
			for (i = 0; i < N; i++)
				indicator_update(ind, &bars[i], out + i * no);
			t[r] = now_s() - t0;
			sink += out[(N - 1) * no];
			indicator_free(ind);
		}
		ts = median(t) * 1e9 / N;
		for (r = 0; r < RUNS; r++) {
			double t0;

			ind = indicator_new(reg, names[k], NULL, 0, err,
				sizeof(err));
			no = indicator_outputs(ind);
			t0 = now_s();
			indicator_batch(ind, bars, N, out);
			t[r] = now_s() - t0;
			sink += out[(N - 1) * no];
			indicator_free(ind);
		}
		tb = median(t) * 1e9 / N;
		printf("  %-11s %10.2f %10.2f %8.1fx\n", names[k], ts, tb,
			tb / limit);
	}
	free(bars);
	free(out);
	plugin_registry_free(reg);
	return 0;
}
