/*
 * test_strategies.c -- each strategy plugin, dlopened from the build tree
 * and driven by the fake host (tests/fakes/fake_host.h) on synthetic
 * series whose turning points are known, so the bar of every order can be
 * written down in advance.
 *
 * Series from closes: bar i opens at the previous close (bar 0 at its own
 * close), high/low 0.1 outside open and close, ts = 2024-01-01 + i minutes.
 * A market order placed in on_bar(i) fills at the open of bar i+1, which
 * is close[i].  The expected bars were derived by hand from the indicator
 * definitions (plugins/ta) and are explained next to each assertion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "plugin/plugin.h"
#include "../fakes/fake_host.h"
#include "../../strategies/chan/chan_core.h"

#define SO(name) QD_TEST_BUILDDIR "/strategies/" name "/.libs/" name ".so"
#define T0_NS 1704067200000000000LL
#define MIN_NS 60000000000LL

static const char *const strategies[] = {
	"ma-cross", "rsi", "bollinger", "trend", "grid", "chan", NULL
};

/* ---- helpers -------------------------------------------------------------- */

static struct fake_host *
start(const char *name, const struct qd_kv *kv, size_t n)
{
	char path[512], err[512];
	struct fake_host *h;

	snprintf(path, sizeof(path), QD_TEST_BUILDDIR "/strategies/%s/.libs/"
		"%s.so", name, name);
	h = fake_host_new(path, name, kv, n, NULL, err, sizeof(err));
	if (h == NULL)
		fail_msg("strategy %s did not start: %s", name, err);
	return h;
}

static struct qd_bar
bar_at(size_t i, double o, double h, double l, double c)
{
	struct qd_bar b = { T0_NS + (int64_t)i * MIN_NS, o, h, l, c, 1.0 };

	return b;
}

/* Feed closes as bars (see the file comment). */
static void
feed(struct fake_host *h, qd_symbol sym, const double *cl, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double o = i ? cl[i - 1] : cl[i], c = cl[i];
		struct qd_bar b = bar_at(i, o, (o > c ? o : c) + 0.1,
			(o < c ? o : c) - 0.1, c);

		fake_host_bar(h, sym, &b);
	}
}

/* Assert order i: side, type, the bar it was placed on, and its state. */
static const struct fake_order *
order_is(const struct fake_host *h, size_t i, enum qd_side side,
	enum qd_order_type type, size_t bar, enum qd_order_state state)
{
	const struct fake_order *o = fake_host_order(h, i);

	if (o == NULL)
		fail_msg("order %zu: missing (%zu orders)", i,
			fake_host_order_count(h));
	if (o->req.side != side || o->req.type != type || o->bar != bar ||
	    o->state != state)
		fail_msg("order %zu: expected %s type %d at bar %zu state %d, "
			"got %s type %d at bar %zu state %d", i,
			side == QD_SIDE_BUY ? "buy" : "sell", (int)type, bar,
			(int)state, o->req.side == QD_SIDE_BUY ? "buy" : "sell",
			(int)o->req.type, o->bar, (int)o->state);
	return o;
}

static void
assert_near(double got, double want, double tol, const char *what)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s: expected %.10g, got %.10g", what, want, got);
}

/* V then inverted V: 100 -> 80 (bar 40), -> 120 (bar 120), -> 90 (180). */
static size_t
vee(double *cl)
{
	size_t i;

	for (i = 0; i <= 180; i++)
		cl[i] = i <= 40 ? 100 - (double)i * 0.5 : i <= 120 ?
			80 + (double)(i - 40) * 0.5 : 120 - (double)(i - 120) *
			0.5;
	return 181;
}

/* ---- descriptors ---------------------------------------------------------- */

/*
 * Every strategy loads through the real loader next to the real indicator
 * pack with its `requires` met, is version 1.0.0 under MIT, and documents
 * every parameter: a description, a range for numbers holding the default,
 * a default among an enum's choices.
 */
static void
every_strategy_describes_its_params(void **unused)
{
	size_t s;

	(void)unused;
	for (s = 0; strategies[s] != NULL; s++) {
		struct plugin_registry *r = plugin_registry_new();
		char path[512];
		const struct plugin *p;
		const struct qd_plugin *d;
		uint32_t i;

		assert_non_null(r);
		snprintf(path, sizeof(path), QD_TEST_BUILDDIR "/strategies/%s/"
			".libs/%s.so", strategies[s], strategies[s]);
		assert_true(plugin_load_file(r, QD_TEST_BUILDDIR
			"/plugins/ta/.libs/ta.so") > 0);
		if (plugin_load_file(r, path) != 1)
			fail_msg("%s: refused by the loader", path);
		if (plugin_resolve(r) != 0)
			fail_msg("%s: requirements unmet", strategies[s]);
		p = plugin_find_kind(r, QD_KIND_STRATEGY, strategies[s]);
		assert_non_null(p);
		d = plugin_desc(p);
		assert_string_equal(d->version, "1.0.0");
		assert_string_equal(d->license, "MIT");
		assert_true(d->description && strlen(d->description) > 10);
		assert_true(d->n_params > 0);
		for (i = 0; i < d->n_params; i++) {
			const struct qd_param_spec *ps = &d->params[i];

			if (ps->description == NULL ||
			    strlen(ps->description) < 8)
				fail_msg("%s.%s: no description", d->name,
					ps->name);
			if (ps->type == QD_PARAM_INT ||
			    ps->type == QD_PARAM_DOUBLE) {
				double def = ps->type == QD_PARAM_INT ?
					(double)ps->def_int : ps->def_double;

				if ((ps->flags & (QD_PARAM_HAS_MIN |
				    QD_PARAM_HAS_MAX)) != (QD_PARAM_HAS_MIN |
				    QD_PARAM_HAS_MAX) || def < ps->min ||
				    def > ps->max)
					fail_msg("%s.%s: default %g outside "
						"[%g, %g] or no range", d->name,
						ps->name, def, ps->min,
						ps->max);
			}
			if (ps->type == QD_PARAM_ENUM) {
				size_t k;
				int found = 0;

				for (k = 0; ps->choices[k] != NULL; k++)
					found |= strcmp(ps->choices[k],
						ps->def_string) == 0;
				if (!found)
					fail_msg("%s.%s: default not a choice",
						d->name, ps->name);
			}
		}
		plugin_registry_free(r);
	}
}

/* ---- ma-cross ------------------------------------------------------------- */

/*
 * On the V (slope 0.5 both sides, bottom at bar 40) u bars after the
 * bottom SMA5 = 80 + 0.5 (u - 2) and SMA20 = 80 + 0.5 ((19-u)(20-u) +
 * u(u+1)) / 40: at u = 7 fast 5 <= slow 5.3, at u = 8 fast 6 > slow 5.1.
 * So the cross up is bar 48 (fill at bar 49's open, 84); by symmetry the
 * cross down is bar 128 (fill 116).  No signal while SMA20 warms up.
 */
static void
ma_cross_enters_after_the_bottom_exits_after_the_top(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "fast", "5" }, { "slow", "20" }, { "sizing", "qty" },
		{ "qty", "2" },
	};
	double cl[181];
	size_t n = vee(cl);
	struct fake_host *h = start("ma-cross", kv, QD_COUNTOF(kv));
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");
	const struct fake_order *o;

	(void)unused;
	feed(h, sym, cl, n);
	assert_int_equal(fake_host_order_count(h), 2);
	o = order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, 48, QD_ORDER_FILLED);
	assert_near(o->req.qty, 2, 0, "fixed qty");
	assert_int_equal(o->done_bar, 49);
	assert_near(o->fill_price, 84, 1e-9, "entry fill");
	o = order_is(h, 1, QD_SIDE_SELL, QD_ORDER_MARKET, 128,
		QD_ORDER_FILLED);
	assert_near(o->req.qty, 2, 0, "exit qty");
	assert_near(o->fill_price, 116, 1e-9, "exit fill");
	assert_near(fake_host_position(h, sym), 0, 0, "flat at the end");
	assert_near(fake_host_cash(h), 10000 + 2 * (116 - 84), 1e-9, "cash");
	/* u = 8: fast 80 + 0.5 x 6, slow 80 + 0.5 x 5.1 */
	assert_int_equal(fake_host_log_matches(h, "info BTC/USDT cross up: "
		"fast 83 > slow 82.55 at close 84"), 1);
	assert_int_equal(fake_host_log_matches(h, "info BTC/USDT cross down"),
		1);
	fake_host_free(h);
}

/* short=true: the cross down also opens a short (close long, then sell). */
static void
ma_cross_short_reverses_on_the_cross_down(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "fast", "5" }, { "slow", "20" }, { "sizing", "qty" },
		{ "qty", "1" }, { "short", "true" },
	};
	double cl[181];
	size_t n = vee(cl);
	struct fake_host *h = start("ma-cross", kv, QD_COUNTOF(kv));
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");

	(void)unused;
	feed(h, sym, cl, n);
	assert_int_equal(fake_host_order_count(h), 3);
	order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, 48, QD_ORDER_FILLED);
	order_is(h, 1, QD_SIDE_SELL, QD_ORDER_MARKET, 128, QD_ORDER_FILLED);
	order_is(h, 2, QD_SIDE_SELL, QD_ORDER_MARKET, 128, QD_ORDER_FILLED);
	assert_near(fake_host_position(h, sym), -1, 0, "short at the end");
	fake_host_free(h);
}

/* sizing=fraction: fraction x equity / the signal bar's close (84). */
static void
ma_cross_fraction_sizes_from_equity(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "fast", "5" }, { "slow", "20" }, { "sizing", "fraction" },
		{ "fraction", "0.5" },
	};
	double cl[181];
	size_t n = vee(cl);
	struct fake_host *h = start("ma-cross", kv, QD_COUNTOF(kv));
	const struct fake_order *o;

	(void)unused;
	feed(h, fake_host_symbol(h, "BTC/USDT"), cl, n);
	o = order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, 48, QD_ORDER_FILLED);
	assert_near(o->req.qty, 5000.0 / 84.0, 1e-9, "fraction size");
	fake_host_free(h);
}

/*
 * ma=ema (EMAs seeded with the SMA of their first n closes): the EMAs lag
 * the turns by two bars more than the SMAs here: bars 50 and 130.
 */
static void
ma_cross_ema(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "fast", "5" }, { "slow", "20" }, { "ma", "ema" },
	};
	double cl[181];
	size_t n = vee(cl);
	struct fake_host *h = start("ma-cross", kv, QD_COUNTOF(kv));

	(void)unused;
	feed(h, fake_host_symbol(h, "BTC/USDT"), cl, n);
	assert_int_equal(fake_host_order_count(h), 2);
	order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, 50, QD_ORDER_FILLED);
	order_is(h, 1, QD_SIDE_SELL, QD_ORDER_MARKET, 130, QD_ORDER_FILLED);
	fake_host_free(h);
}

/*
 * A sine of period 80 (peaks at 20 + 80k, troughs at 60 + 80k) over 400
 * bars: SMA5 - SMA20 is a sine lagging the price, which changes sign 8
 * bars after each turn.  Long only: the first cross (down, bar 28) finds
 * no position; then buy 68, sell 108, buy 148, ... buy 388.
 */
static void
ma_cross_on_a_sine_trades_eight_bars_after_each_turn(void **unused)
{
	static const struct qd_kv kv[] = { { "fast", "5" }, { "slow", "20" } };
	double cl[400];
	struct fake_host *h = start("ma-cross", kv, QD_COUNTOF(kv));
	size_t i;

	(void)unused;
	for (i = 0; i < 400; i++)
		cl[i] = 100 + 10 * sin(2 * M_PI * (double)i / 80);
	feed(h, fake_host_symbol(h, "BTC/USDT"), cl, 400);
	assert_int_equal(fake_host_order_count(h), 9);
	for (i = 0; i < 9; i++)
		order_is(h, i, i % 2 ? QD_SIDE_SELL : QD_SIDE_BUY,
			QD_ORDER_MARKET, 68 + 40 * i, QD_ORDER_FILLED);
	fake_host_free(h);
}

/* The same bars give the same orders: no clock, no randomness. */
static void
ma_cross_is_deterministic(void **unused)
{
	static const struct qd_kv kv[] = { { "fast", "3" }, { "slow", "7" } };
	double cl[500];
	struct fake_host *a = start("ma-cross", kv, QD_COUNTOF(kv));
	struct fake_host *b = start("ma-cross", kv, QD_COUNTOF(kv));
	size_t i;

	(void)unused;
	for (i = 0; i < 500; i++)   /* two sines: an irregular path */
		cl[i] = 100 + 5 * sin((double)i / 7) + 3 * sin((double)i / 3);
	feed(a, fake_host_symbol(a, "BTC/USDT"), cl, 500);
	feed(b, fake_host_symbol(b, "BTC/USDT"), cl, 500);
	assert_true(fake_host_order_count(a) > 10);
	assert_int_equal(fake_host_order_count(a), fake_host_order_count(b));
	for (i = 0; i < fake_host_order_count(a); i++) {
		const struct fake_order *x = fake_host_order(a, i);
		const struct fake_order *y = fake_host_order(b, i);

		assert_int_equal(x->bar, y->bar);
		assert_true(x->req.qty == y->req.qty);
		assert_int_equal(x->req.side, y->req.side);
	}
	assert_true(fake_host_equity(a) == fake_host_equity(b));
	fake_host_free(a);
	fake_host_free(b);
}

/* fast must be below slow: create refuses, saying why. */
static void
ma_cross_refuses_fast_not_below_slow(void **unused)
{
	static const struct qd_kv kv[] = { { "fast", "20" }, { "slow", "20" } };
	char err[256];
	struct fake_host *h;

	(void)unused;
	h = fake_host_new(SO("ma-cross"), "ma-cross", kv, QD_COUNTOF(kv),
		NULL, err, sizeof(err));
	assert_null(h);
	assert_non_null(strstr(err, "create"));
}

/* ---- rsi ------------------------------------------------------------------ */

/*
 * On the V: 14 falling closes make RSI(14) 0 at bar 14: buy (fill at
 * 15).  After the bottom (bar 40) the average gain g_k = 0.5 (1 - r^k)
 * and loss l_k = 0.5 r^k with r = 13/14; RSI > 70 needs r^k < 0.3: k = 17,
 * bar 57: sell.  The fall after the top at 120 gives RSI < 30 at bar 137.
 */
static void
rsi_buys_oversold_sells_overbought(void **unused)
{
	double cl[181];
	size_t n = vee(cl);
	struct fake_host *h = start("rsi", NULL, 0);
	qd_symbol sym = fake_host_symbol(h, "ETH/USDT");
	const struct fake_order *o;

	(void)unused;
	feed(h, sym, cl, n);
	assert_int_equal(fake_host_order_count(h), 3);
	o = order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, 14, QD_ORDER_FILLED);
	/* default fraction 0.95 of 10000 at the signal close 93 */
	assert_near(o->req.qty, 9500.0 / 93.0, 1e-9, "rsi entry size");
	order_is(h, 1, QD_SIDE_SELL, QD_ORDER_MARKET, 57, QD_ORDER_FILLED);
	order_is(h, 2, QD_SIDE_BUY, QD_ORDER_MARKET, 137, QD_ORDER_FILLED);
	fake_host_free(h);
}

/* ---- bollinger ------------------------------------------------------------ */

/*
 * Flat 100, then 95 on bars 30-34, 100 again.  Bar 30: SMA20 99.75,
 * population sd 0.981, lower 97.79 > 95: reversion buys.  Bar 35 closes
 * at 100 above the middle 98.75: sell.
 */
static void
bollinger_reversion_buys_the_drop(void **unused)
{
	static const struct qd_kv kv[] = { { "mode", "reversion" } };
	double cl[60];
	struct fake_host *h = start("bollinger", kv, QD_COUNTOF(kv));
	size_t i;

	(void)unused;
	for (i = 0; i < 60; i++)
		cl[i] = i < 30 ? 100 : i < 35 ? 95 : 100;
	feed(h, fake_host_symbol(h, "BTC/USDT"), cl, 60);
	assert_int_equal(fake_host_order_count(h), 2);
	order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, 30, QD_ORDER_FILLED);
	order_is(h, 1, QD_SIDE_SELL, QD_ORDER_MARKET, 35, QD_ORDER_FILLED);
	fake_host_free(h);
}

/*
 * Flat 100, a step to 105 at bar 30, a fall to 95 at bar 50.  Breakout:
 * bar 30 closes above the upper band (100.25 + 2 x 1.09): buy; 105 never
 * closes below the middle; bar 50 (95 < 104.5): sell.  Reversion on the
 * same bars only buys the fall at bar 50.
 */
static void
bollinger_breakout_buys_the_step(void **unused)
{
	static const struct qd_kv brk[] = { { "mode", "breakout" } };
	static const struct qd_kv rev[] = { { "mode", "reversion" } };
	double cl[60];
	struct fake_host *h = start("bollinger", brk, QD_COUNTOF(brk));
	size_t i;

	(void)unused;
	for (i = 0; i < 60; i++)
		cl[i] = i < 30 ? 100 : i < 50 ? 105 : 95;
	feed(h, fake_host_symbol(h, "BTC/USDT"), cl, 60);
	assert_int_equal(fake_host_order_count(h), 2);
	order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, 30, QD_ORDER_FILLED);
	order_is(h, 1, QD_SIDE_SELL, QD_ORDER_MARKET, 50, QD_ORDER_FILLED);
	fake_host_free(h);

	h = start("bollinger", rev, QD_COUNTOF(rev));
	feed(h, fake_host_symbol(h, "BTC/USDT"), cl, 60);
	assert_int_equal(fake_host_order_count(h), 1);
	order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, 50, QD_ORDER_FILLED);
	fake_host_free(h);
}

/* ---- trend ---------------------------------------------------------------- */

/*
 * Flat 100 to bar 30, +1 a bar to 130 (bar 60), then -1 a bar.  entry=20,
 * atr=5, mult=3.  Bar 31 closes at 101 above the prior 20-bar high 100.1:
 * buy.  ATR(5) there is (4 x 0.2 + 1.2) / 5 = 0.4, so the size risks 1% of
 * 10000 on 3 x 0.4: 100 / 1.2 = 83.33 (below the 95% cap).  The stop
 * trails 3 ATR under the closes; at the top ATR is 1.2 - 0.8^30 = 1.19876,
 * the stop 130 - 3.5963 = 126.40; closes 129, 128, 127, 126: bar 64 sells.
 */
static void
trend_breaks_out_and_trails_an_atr_stop(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "entry", "20" }, { "atr", "5" }, { "mult", "3" },
	};
	double cl[120];
	struct fake_host *h = start("trend", kv, QD_COUNTOF(kv));
	const struct fake_order *o;
	size_t i;

	(void)unused;
	for (i = 0; i < 120; i++)
		cl[i] = i < 30 ? 100 : i <= 60 ? 100 + (double)(i - 30) :
			130 - (double)(i - 60);
	feed(h, fake_host_symbol(h, "BTC/USDT"), cl, 120);
	assert_int_equal(fake_host_order_count(h), 2);
	o = order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, 31, QD_ORDER_FILLED);
	assert_near(o->req.qty, 100.0 / 1.2, 1e-6, "risk-based size");
	o = order_is(h, 1, QD_SIDE_SELL, QD_ORDER_MARKET, 64, QD_ORDER_FILLED);
	assert_near(o->req.qty, 100.0 / 1.2, 1e-6, "the whole position");
	fake_host_free(h);
}

/* ---- grid ----------------------------------------------------------------- */

static void
grid_bar(struct fake_host *h, qd_symbol sym, size_t i, double o, double hi,
	double lo, double c)
{
	struct qd_bar b = bar_at(i, o, hi, lo, c);

	fake_host_bar(h, sym, &b);
}

static const struct fake_order *
limit_is(const struct fake_host *h, size_t i, enum qd_side side,
	double price, size_t bar, enum qd_order_state state)
{
	const struct fake_order *o = order_is(h, i, side, QD_ORDER_LIMIT,
		bar, state);

	assert_near(o->req.price, price, 1e-9, "limit price");
	return o;
}

/*
 * interval 1, three levels, qty 1.
 * bar 0 closes at 100: buys at 99, 98, 97.
 * bar 1 (100 / 100 / 98.5 / 98.8) fills the buy at 99, re-quoted as a sell
 *   at 100 -- which waits for bar 2 although bar 1 reached 100.
 * bar 2 (98.8 / 100.2 / 98.7 / 100) fills the sell: +1; the buy at 99 is
 *   placed again (below the close).
 * bar 3 closes at 101.5, more than a step above the anchor with no
 *   inventory: the buys are cancelled and the ladder rebuilt under 101.5.
 */
static void
grid_requotes_fills_and_recentres(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "interval", "1" }, { "levels", "3" }, { "qty", "1" },
	};
	struct fake_host *h = start("grid", kv, QD_COUNTOF(kv));
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");
	const struct fake_order *o;

	(void)unused;
	grid_bar(h, sym, 0, 100, 100.05, 99.95, 100);
	assert_int_equal(fake_host_order_count(h), 3);
	grid_bar(h, sym, 1, 100, 100, 98.5, 98.8);
	grid_bar(h, sym, 2, 98.8, 100.2, 98.7, 100);
	grid_bar(h, sym, 3, 100, 101.6, 100, 101.5);
	assert_int_equal(fake_host_order_count(h), 8);
	o = limit_is(h, 0, QD_SIDE_BUY, 99, 0, QD_ORDER_FILLED);
	assert_int_equal(o->done_bar, 1);
	assert_near(o->fill_price, 99, 0, "buy fill");
	limit_is(h, 1, QD_SIDE_BUY, 98, 0, QD_ORDER_CANCELED);
	limit_is(h, 2, QD_SIDE_BUY, 97, 0, QD_ORDER_CANCELED);
	o = limit_is(h, 3, QD_SIDE_SELL, 100, 1, QD_ORDER_FILLED);
	assert_int_equal(o->done_bar, 2);
	limit_is(h, 4, QD_SIDE_BUY, 99, 2, QD_ORDER_CANCELED);
	limit_is(h, 5, QD_SIDE_BUY, 100.5, 3, QD_ORDER_PENDING);
	limit_is(h, 6, QD_SIDE_BUY, 99.5, 3, QD_ORDER_PENDING);
	limit_is(h, 7, QD_SIDE_BUY, 98.5, 3, QD_ORDER_PENDING);
	assert_near(fake_host_cash(h), 10001, 1e-9, "one step earned");
	assert_near(fake_host_position(h, sym), 0, 0, "no inventory");
	fake_host_free(h);
}

/*
 * slot_stop_pct 2: bar 1 falls to 96.5 and fills 99, 98 and 97 (sells
 * re-quoted at 100, 99, 98).  Its close 96.6 is below 99 x 0.98 = 97.02
 * only for the first slot: its sell is cancelled and 1 sold at market;
 * no buy goes back above the close.
 */
static void
grid_slot_stop_sells_one_slot(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "interval", "1" }, { "levels", "3" }, { "qty", "1" },
		{ "slot_stop_pct", "2" },
	};
	struct fake_host *h = start("grid", kv, QD_COUNTOF(kv));
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");
	const struct fake_order *o;

	(void)unused;
	grid_bar(h, sym, 0, 100, 100.05, 99.95, 100);
	grid_bar(h, sym, 1, 100, 100, 96.5, 96.6);
	assert_int_equal(fake_host_order_count(h), 7);
	limit_is(h, 3, QD_SIDE_SELL, 100, 1, QD_ORDER_CANCELED);
	limit_is(h, 4, QD_SIDE_SELL, 99, 1, QD_ORDER_PENDING);
	limit_is(h, 5, QD_SIDE_SELL, 98, 1, QD_ORDER_PENDING);
	o = order_is(h, 6, QD_SIDE_SELL, QD_ORDER_MARKET, 1, QD_ORDER_PENDING);
	assert_near(o->req.qty, 1, 0, "one slot");
	grid_bar(h, sym, 2, 96.6, 96.7, 96.5, 96.6);
	assert_int_equal(fake_host_order_count(h), 7);
	assert_near(fake_host_position(h, sym), 2, 0, "two slots left");
	fake_host_free(h);
}

/*
 * stop_loss_pct 0.3 with qty 10: after bar 1 fills the three buys (cash
 * 10000 - 2940) equity is 7060 + 30 x 96.6 = 9958 < 9970: everything is
 * cancelled, the 30 sold at market, and the grid places nothing more.
 */
static void
grid_account_stop_halts(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "interval", "1" }, { "levels", "3" }, { "qty", "10" },
		{ "stop_loss_pct", "0.3" },
	};
	struct fake_host *h = start("grid", kv, QD_COUNTOF(kv));
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");
	const struct fake_order *o;

	(void)unused;
	grid_bar(h, sym, 0, 100, 100.05, 99.95, 100);
	grid_bar(h, sym, 1, 100, 100, 96.5, 96.6);
	assert_int_equal(fake_host_order_count(h), 7);
	limit_is(h, 3, QD_SIDE_SELL, 100, 1, QD_ORDER_CANCELED);
	limit_is(h, 4, QD_SIDE_SELL, 99, 1, QD_ORDER_CANCELED);
	limit_is(h, 5, QD_SIDE_SELL, 98, 1, QD_ORDER_CANCELED);
	o = order_is(h, 6, QD_SIDE_SELL, QD_ORDER_MARKET, 1, QD_ORDER_PENDING);
	assert_near(o->req.qty, 30, 0, "the whole inventory");
	grid_bar(h, sym, 2, 96.6, 99, 96, 98);
	grid_bar(h, sym, 3, 98, 103, 98, 102);
	assert_int_equal(fake_host_order_count(h), 7);
	assert_near(fake_host_position(h, sym), 0, 0, "flat after the halt");
	assert_int_equal(fake_host_log_matches(h, "grid halted: account stop "
		"loss"), 1);
	fake_host_free(h);
}

/*
 * take_profit_pct 0.005 (0.5 of quote on 10000): the swing of the first
 * test earns 1 on bar 2, equity 10001 >= 10000.5: the grid halts and
 * cancels its buys.
 */
static void
grid_take_profit_halts(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "interval", "1" }, { "levels", "3" }, { "qty", "1" },
		{ "take_profit_pct", "0.005" },
	};
	struct fake_host *h = start("grid", kv, QD_COUNTOF(kv));
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");

	(void)unused;
	grid_bar(h, sym, 0, 100, 100.05, 99.95, 100);
	grid_bar(h, sym, 1, 100, 100, 98.5, 98.8);
	grid_bar(h, sym, 2, 98.8, 100.2, 98.7, 100);
	assert_int_equal(fake_host_order_count(h), 4);
	limit_is(h, 1, QD_SIDE_BUY, 98, 0, QD_ORDER_CANCELED);
	limit_is(h, 2, QD_SIDE_BUY, 97, 0, QD_ORDER_CANCELED);
	assert_int_equal(fake_host_log_matches(h, "account take profit"), 1);
	fake_host_free(h);
}

/*
 * dynamic=true, atr_period 2, atr_mult 1, static interval 5 until then.
 * Bars 0-2 span 99..101 (TR 2: ATR 2 at bar 2); bar 3 rises 100 -> 106
 * (TR 6: ATR 2 + (6 - 2) / 2 = 4) and closes above anchor + step (105):
 * the buys at 95, 90, 85 are cancelled and the ladder rebuilt under 106
 * with a step of 4: 102, 98, 94.
 */
static void
grid_dynamic_step_follows_atr(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "interval", "5" }, { "levels", "3" }, { "qty", "1" },
		{ "dynamic", "true" }, { "atr_period", "2" },
		{ "atr_mult", "1" },
	};
	struct fake_host *h = start("grid", kv, QD_COUNTOF(kv));
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");

	(void)unused;
	grid_bar(h, sym, 0, 100, 101, 99, 100);
	grid_bar(h, sym, 1, 100, 101, 99, 100);
	grid_bar(h, sym, 2, 100, 101, 99, 100);
	grid_bar(h, sym, 3, 100, 106, 100, 106);
	assert_int_equal(fake_host_order_count(h), 6);
	limit_is(h, 0, QD_SIDE_BUY, 95, 0, QD_ORDER_CANCELED);
	limit_is(h, 1, QD_SIDE_BUY, 90, 0, QD_ORDER_CANCELED);
	limit_is(h, 2, QD_SIDE_BUY, 85, 0, QD_ORDER_CANCELED);
	limit_is(h, 3, QD_SIDE_BUY, 102, 3, QD_ORDER_PENDING);
	limit_is(h, 4, QD_SIDE_BUY, 98, 3, QD_ORDER_PENDING);
	limit_is(h, 5, QD_SIDE_BUY, 94, 3, QD_ORDER_PENDING);
	fake_host_free(h);
}

/*
 * skew=true, trend EMA(2), interval 1, three levels.  Bars 0-1 close at
 * 100, not above the EMA (none yet, then 100): a down trend, the window
 * starts two steps down: 98, 97, 96.  Bar 2 closes at 100.5 above the EMA
 * (100 + 2/3 x 0.5): an up trend, the window becomes 100, 99, 98: the buys
 * at 97 and 96 are cancelled, 100 and 99 placed (both below the close).
 */
static void
grid_skew_leans_the_window_with_the_trend(void **unused)
{
	static const struct qd_kv kv[] = {
		{ "interval", "1" }, { "levels", "3" }, { "qty", "1" },
		{ "skew", "true" }, { "trend_period", "2" },
	};
	struct fake_host *h = start("grid", kv, QD_COUNTOF(kv));
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");

	(void)unused;
	grid_bar(h, sym, 0, 100, 100.05, 99.95, 100);
	grid_bar(h, sym, 1, 100, 100.05, 99.95, 100);
	assert_int_equal(fake_host_order_count(h), 3);
	grid_bar(h, sym, 2, 100, 100.55, 99.95, 100.5);
	assert_int_equal(fake_host_order_count(h), 5);
	limit_is(h, 0, QD_SIDE_BUY, 98, 0, QD_ORDER_PENDING);
	limit_is(h, 1, QD_SIDE_BUY, 97, 0, QD_ORDER_CANCELED);
	limit_is(h, 2, QD_SIDE_BUY, 96, 0, QD_ORDER_CANCELED);
	limit_is(h, 3, QD_SIDE_BUY, 100, 2, QD_ORDER_PENDING);
	limit_is(h, 4, QD_SIDE_BUY, 99, 2, QD_ORDER_PENDING);
	fake_host_free(h);
}

/* ---- chan ----------------------------------------------------------------- */

/* The divergence sequence of test_chan: a 1st then a 2nd class buy. */
static const double chan_closes[] = {
	96, 97, 98, 99, 100, 98, 96, 94, 92, 90, 88, 86, 84, 82, 80,
	81, 82, 83, 84, 85, 86, 85, 84, 83, 82, 81, 82, 83, 84, 85, 84,
	83, 82, 83, 84, 83.5, 83, 82.5, 82, 81.5, 81, 80.5, 80, 79.5,
	79, 78.5, 78, 77.5, 77, 78, 79, 80, 81, 82, 81.5, 81, 80.5, 80,
	79.5, 80.5, 81.5, 82.5, 83.5, 84.5
};

static struct qd_bar
chan_bar(size_t i)
{
	double o = i ? chan_closes[i - 1] : chan_closes[0], x = chan_closes[i];

	return bar_at(i, o, (o > x ? o : x) + 0.1, (o < x ? o : x) - 0.1, x);
}

/*
 * The strategy buys on the bar where chan_core reports the 1st class buy
 * (the 2nd class buy finds it long already), and annotates and logs every
 * finished stroke and pivot and every point.
 */
static void
chan_buys_its_first_class_point(void **unused)
{
	struct fake_host *h = start("chan", NULL, 0);
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");
	struct chan c;
	size_t i, first_bar = 0, points = 0, left;

	(void)unused;
	chan_init(&c, 4);
	for (i = 0; i < QD_COUNTOF(chan_closes); i++) {
		struct qd_bar b = chan_bar(i);
		int n = chan_push(&c, &b);

		if (n > 0 && points == 0)
			first_bar = i;
		points += n > 0 ? (size_t)n : 0;
		fake_host_bar(h, sym, &b);
	}
	assert_int_equal(points, 2);
	assert_int_equal(c.pt[0].cls, 1);
	assert_int_equal(fake_host_order_count(h), 1);
	order_is(h, 0, QD_SIDE_BUY, QD_ORDER_MARKET, first_bar,
		QD_ORDER_FILLED);
	assert_int_equal(fake_host_annotations(h, "chan.point"), 2);
	assert_non_null(strstr(fake_host_annotation(h, "chan.point", 0),
		"\"class\":1,\"side\":\"buy\""));
	/* strokes are final once the next one starts */
	assert_int_equal(fake_host_annotations(h, "chan.stroke"), c.ns - 1);
	for (i = 0, left = 0; i < c.npv; i++)   /* pivots a stroke left */
		left += c.pv[i].to + 1 < c.ns;
	assert_int_equal(fake_host_annotations(h, "chan.pivot"), left);
	assert_int_equal(fake_host_log_matches(h, "debug chan.stroke {"),
		c.ns - 1);
	chan_free(&c);
	fake_host_free(h);
}

/* classes=4 (third only): the same sequence trades nothing. */
static void
chan_classes_mask_filters_points(void **unused)
{
	static const struct qd_kv kv[] = { { "classes", "4" } };
	struct fake_host *h = start("chan", kv, QD_COUNTOF(kv));
	qd_symbol sym = fake_host_symbol(h, "BTC/USDT");
	size_t i;

	(void)unused;
	for (i = 0; i < QD_COUNTOF(chan_closes); i++) {
		struct qd_bar b = chan_bar(i);

		fake_host_bar(h, sym, &b);
	}
	assert_int_equal(fake_host_order_count(h), 0);
	assert_int_equal(fake_host_annotations(h, "chan.point"), 2);
	fake_host_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_strategy_describes_its_params),
		cmocka_unit_test(ma_cross_enters_after_the_bottom_exits_after_the_top),
		cmocka_unit_test(ma_cross_short_reverses_on_the_cross_down),
		cmocka_unit_test(ma_cross_fraction_sizes_from_equity),
		cmocka_unit_test(ma_cross_ema),
		cmocka_unit_test(ma_cross_on_a_sine_trades_eight_bars_after_each_turn),
		cmocka_unit_test(ma_cross_is_deterministic),
		cmocka_unit_test(ma_cross_refuses_fast_not_below_slow),
		cmocka_unit_test(rsi_buys_oversold_sells_overbought),
		cmocka_unit_test(bollinger_reversion_buys_the_drop),
		cmocka_unit_test(bollinger_breakout_buys_the_step),
		cmocka_unit_test(trend_breaks_out_and_trails_an_atr_stop),
		cmocka_unit_test(grid_requotes_fills_and_recentres),
		cmocka_unit_test(grid_slot_stop_sells_one_slot),
		cmocka_unit_test(grid_account_stop_halts),
		cmocka_unit_test(grid_take_profit_halts),
		cmocka_unit_test(grid_dynamic_step_follows_atr),
		cmocka_unit_test(grid_skew_leans_the_window_with_the_trend),
		cmocka_unit_test(chan_buys_its_first_class_point),
		cmocka_unit_test(chan_classes_mask_filters_points),
	};

	return cmocka_run_group_tests_name("strategies", tests, NULL, NULL);
}
