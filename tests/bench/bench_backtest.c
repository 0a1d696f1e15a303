/*
 * bench_backtest.c -- bars/s of the ma-cross strategy (sma 10/30) through
 * the backtester over 10,000,000 one-minute bars, against the limit: a loop
 * that only reads the same bars.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "backtest/backtest.h"
#include "log/log.h"
#include "market/symbol.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "../fakes/walk_bars.h"

#define N 10000000

static volatile double sink;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int
main(void)
{
	struct plugin_registry *reg = plugin_registry_new();
	struct qd_bar *bars = malloc((size_t)N * sizeof(*bars));
	struct bt_config cfg = { NULL, 10000, 0.001, 0.001, 0, 0, 0, 0, NULL, 0 };
	struct bt_series s;
	struct bt_result r;
	const struct plugin *p;
	qd_params *params;
	char path[4096], err[512];
	double t0, t_read, t_bt, acc = 0;
	size_t i;

	log_open("/dev/null", QD_LOG_ERROR);
	snprintf(path, sizeof(path), "%s/lib/plugins", QD_TEST_BUILDDIR);
	plugin_load_dir(reg, path);
	plugin_resolve(reg);
	if ((p = plugin_find(reg, "ma-cross")) == NULL || bars == NULL) {
		fprintf(stderr, "bench_backtest: ma-cross not built\n");
		return 1;
	}
	walk_bars(bars, N, 0, 12345, 0.2, 0.01);
	t0 = now_s();
	for (i = 0; i < N; i++)
		acc += bars[i].close;
	t_read = now_s() - t0;
	sink = acc;
	params = params_from_kv(plugin_desc(p), NULL, 0, err, sizeof(err));
	s.symbol = symbol_intern("BTC/USDT");
	s.timeframe_s = 60;
	s.bars = bars;
	s.n = N;
	t0 = now_s();
	if (backtest_run(reg, p, params, &s, 1, &cfg, &r, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "bench_backtest: %s\n", err);
		return 1;
	}
	t_bt = now_s() - t0;
	printf("backtest: ma-cross (sma 10/30) over %d bars, %zu trades\n", N,
		r.m.trades);
	printf("  backtest   %12.0f bars/s (%.1f ns/bar)\n", N / t_bt,
		t_bt * 1e9 / N);
	printf("  limit      %12.0f bars/s (read-only loop, %.2f ns/bar)\n",
		N / t_read, t_read * 1e9 / N);
	printf("  ratio      %.1fx the limit\n", t_bt / t_read);
	{
		char helper[4096];
		struct bt_result rs;
		double t_sb;

		snprintf(helper, sizeof(helper), "%s/core/quantd-sandbox",
			QD_TEST_BUILDDIR);
		cfg.sandbox_helper = helper;
		t0 = now_s();
		if (backtest_run(reg, p, params, &s, 1, &cfg, &rs, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "bench_backtest: sandboxed: %s\n", err);
			return 1;
		}
		t_sb = now_s() - t0;
		printf("  sandboxed  %12.0f bars/s (%.1f ns/bar, batched while "
			"no order is open), %s\n", N / t_sb, t_sb * 1e9 / N,
			rs.m.final_equity == r.m.final_equity &&
			rs.m.trades == r.m.trades ? "same result" :
			"RESULT DIFFERS");
		backtest_result_free(&rs);
	}
	backtest_result_free(&r);
	params_free(params);
	free(bars);
	plugin_registry_free(reg);
	return 0;
}
