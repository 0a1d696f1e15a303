/*
 * test_backtest.c -- the streaming backtest (backtest_stream): its outputs
 * are chosen without changing its figures.  ma-cross over 20,000 generated
 * one-minute bars, handed out in chunks of odd sizes, gives the metrics of
 * the whole series in memory bit for bit whatever is kept of the equity
 * curve; --equity-every keeps each period's last sample; the report's
 * buckets stay within their cap and keep the curve's extremes and its
 * deepest drawdown; a source that fails mid-run fails it with -2.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backtest/backtest.h"
#include "log/log.h"
#include "market/symbol.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "../fakes/walk_bars.h"

#define N 20000
#define MIN_NS 60000000000LL

static struct plugin_registry *reg;
static const struct plugin *strat;
static qd_params *params;
static struct qd_bar bars[N];

/* Chunks of 1, 2, 3 ... 999 bars, then the rest; fails at bar `fail_at`
 * when it is set. */
struct chunks {
	size_t pos, step, fail_at;
};

static long
chunks_next(void *arg, const struct qd_bar **out, char *err, size_t errlen)
{
	struct chunks *c = arg;
	size_t n = c->step++ % 999 + 1;

	if (c->pos >= N)
		return 0;
	if (n > N - c->pos)
		n = N - c->pos;
	if (c->fail_at && c->pos + n > c->fail_at) {
		snprintf(err, errlen, "gen:%zu: broken", c->fail_at);
		return -1;
	}
	*out = bars + c->pos;
	c->pos += n;
	return (long)n;
}

static int
setup(void **unused)
{
	char path[4096], err[256];

	(void)unused;
	log_open("/dev/null", QD_LOG_ERROR);
	reg = plugin_registry_new();
	snprintf(path, sizeof(path), "%s/lib/plugins", QD_TEST_BUILDDIR);
	plugin_load_dir(reg, path);
	plugin_resolve(reg);
	if ((strat = plugin_find(reg, "ma-cross")) == NULL)
		return -1;
	params = params_from_kv(plugin_desc(strat), NULL, 0, err, sizeof(err));
	walk_bars(bars, N, 1704067200000000000LL, 99, 0.4, 0.02);
	return params == NULL ? -1 : 0;
}

static int
teardown(void **unused)
{
	(void)unused;
	params_free(params);
	plugin_registry_free(reg);
	return 0;
}

static void
config(struct bt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cash = 10000;
	cfg->fee_rate = cfg->maker_fee_rate = 0.001;
}

/* Run over the chunked source into *r. */
static int
run_chunked(const struct bt_config *cfg, struct bt_result *r, size_t fail_at,
	char *err, size_t errlen)
{
	struct chunks ch = { 0, 0, fail_at };
	struct bt_source src;

	src.symbol = symbol_intern("BTC/USDT");
	src.timeframe_s = 60;
	src.next = chunks_next;
	src.arg = &ch;
	return backtest_stream(reg, strat, params, &src, 1, cfg, r, err,
		errlen);
}

static void
streamed_metrics_equal_whole_series(void **unused)
{
	struct bt_config cfg;
	struct bt_series s;
	struct bt_result whole, r;
	char err[256];
	int64_t every[] = { 0, 3600 * 1000000000LL, -1 };
	size_t i;

	(void)unused;
	config(&cfg);
	s.symbol = symbol_intern("BTC/USDT");
	s.timeframe_s = 60;
	s.bars = bars;
	s.n = N;
	assert_int_equal(backtest_run(reg, strat, params, &s, 1, &cfg, &whole,
		err, sizeof(err)), 0);
	assert_int_equal(whole.n_eq, N);
	assert_true(whole.m.trades > 10);
	for (i = 0; i < 3; i++) {
		cfg.equity_every_ns = every[i];
		if (run_chunked(&cfg, &r, 0, err, sizeof(err)) != 0)
			fail_msg("run: %s", err);
		if (memcmp(&r.m, &whole.m, sizeof(r.m)) != 0)
			fail_msg("metrics differ with equity_every_ns %lld",
				(long long)every[i]);
		assert_int_equal(r.n_trades, whole.n_trades);
		assert_memory_equal(r.trades, whole.trades,
			r.n_trades * sizeof(*r.trades));
		backtest_result_free(&r);
	}
	backtest_result_free(&whole);
}

static void
equity_every_keeps_each_periods_last(void **unused)
{
	struct bt_config cfg;
	struct bt_result all, h;
	char err[256];
	size_t i, k = 0;

	(void)unused;
	config(&cfg);
	assert_int_equal(run_chunked(&cfg, &all, 0, err, sizeof(err)), 0);
	cfg.equity_every_ns = 3600 * 1000000000LL;
	assert_int_equal(run_chunked(&cfg, &h, 0, err, sizeof(err)), 0);
	/* 20,000 minutes from midnight: 334 hours, the last one partial. */
	assert_int_equal(h.n_eq, (N + 59) / 60);
	for (i = 0; i < all.n_eq; i++) {
		int last = i + 1 == all.n_eq || all.eq_ts[i + 1] /
			(3600 * 1000000000LL) != all.eq_ts[i] /
			(3600 * 1000000000LL);

		if (!last)
			continue;
		if (h.eq_ts[k] != all.eq_ts[i] || h.eq[k] != all.eq[i])
			fail_msg("hour %zu: kept %lld %.17g, want %lld %.17g", k,
				(long long)h.eq_ts[k], h.eq[k],
				(long long)all.eq_ts[i], all.eq[i]);
		k++;
	}
	assert_int_equal(k, h.n_eq);
	backtest_result_free(&all);
	backtest_result_free(&h);
}

static void
report_buckets_keep_the_extremes(void **unused)
{
	struct bt_config cfg;
	struct bt_result all, r;
	double lo = INFINITY, hi = -INFINITY, blo = INFINITY, bhi = -INFINITY;
	double peak = -INFINITY, mdd = 0, bdd = 0, pl = INFINITY, ph = -INFINITY;
	double bpl = INFINITY, bph = -INFINITY;
	char err[256];
	size_t i, nbars = 0;

	(void)unused;
	config(&cfg);
	assert_int_equal(run_chunked(&cfg, &all, 0, err, sizeof(err)), 0);
	cfg.equity_every_ns = -1;
	cfg.report_points = 16;
	assert_int_equal(run_chunked(&cfg, &r, 0, err, sizeof(err)), 0);
	assert_int_equal(r.n_eq, 0);
	assert_true(r.ds.n <= 16 && r.ds.n > 8);
	assert_int_equal(r.ds.bars, N);
	for (i = 0; i < all.n_eq; i++) {
		lo = fmin(lo, all.eq[i]);
		hi = fmax(hi, all.eq[i]);
		peak = fmax(peak, all.eq[i]);
		mdd = fmax(mdd, 1 - all.eq[i] / peak);
	}
	for (i = 0; i < N; i++) {
		pl = fmin(pl, bars[i].low);
		ph = fmax(ph, bars[i].high);
	}
	for (i = 0; i < r.ds.n; i++) {
		const struct bt_bucket *b = &r.ds.b[i];

		assert_true(b->has_eq && b->has_bar);
		assert_true(b->t_lo >= r.ds.t0 + (int64_t)i * r.ds.width &&
			b->t_lo < r.ds.t0 + (int64_t)(i + 1) * r.ds.width);
		blo = fmin(blo, b->lo);
		bhi = fmax(bhi, b->hi);
		bdd = fmax(bdd, b->dd);
		bpl = fmin(bpl, b->bar.low);
		bph = fmax(bph, b->bar.high);
		nbars++;
	}
	if (blo != lo || bhi != hi || bdd != mdd)
		fail_msg("buckets: equity %.17g..%.17g dd %.17g, curve "
			"%.17g..%.17g dd %.17g", blo, bhi, bdd, lo, hi, mdd);
	assert_true(bpl == pl && bph == ph);
	assert_true(r.ds.b[0].bar.open == bars[0].open);
	assert_true(r.ds.b[r.ds.n - 1].bar.close == bars[N - 1].close);
	assert_true(mdd > 0 && fabs(mdd - r.m.max_drawdown) < 1e-12);
	backtest_result_free(&all);
	backtest_result_free(&r);
}

static void
a_failing_source_fails_the_run(void **unused)
{
	struct bt_config cfg;
	struct bt_result r;
	char err[256];

	(void)unused;
	config(&cfg);
	assert_int_equal(run_chunked(&cfg, &r, 12345, err, sizeof(err)), -2);
	assert_string_equal(err, "gen:12345: broken");
	assert_null(r.eq);
	assert_null(r.trades);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(streamed_metrics_equal_whole_series),
		cmocka_unit_test(equity_every_keeps_each_periods_last),
		cmocka_unit_test(report_buckets_keep_the_extremes),
		cmocka_unit_test(a_failing_source_fails_the_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
