/*
 * test_candles.c -- the candle aggregator: every timeframe equals an
 * independent re-aggregation of the 1m bars (open, high and low from the
 * minutes that had trades; a period without any is flat at the previous
 * close), and the 1m bars equal a naive
 * per-minute aggregation of the trades, over random trade streams with
 * empty minutes, hours and days; UTC boundaries, Monday weeks, late trades,
 * venue klines and partial updates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "market/candles.h"

#define NS 1000000000LL
#define MAXBARS 80000

struct got {
	struct candle c[CANDLE_TFS][MAXBARS];
	size_t n[CANDLE_TFS];
	size_t partials;
	struct candle last_partial;
	size_t history;
	struct candle last_history;
};

static struct got *g;

static void
collect(void *arg, const char *source, qd_symbol sym, uint32_t tf,
	const struct candle *c, int final)
{
	int i = candle_tf_index(tf);

	(void)arg;
	assert_string_equal(source, "ex");
	assert_int_equal(sym, 7);
	assert_true(i >= 0);
	if (!final) {
		g->partials++;
		g->last_partial = *c;
		return;
	}
	if (final == 2) {
		g->history++;
		g->last_history = *c;
		return;
	}
	/* In time order per timeframe, each right after the previous. */
	if (g->n[i] > 0)
		assert_true(c->ts > g->c[i][g->n[i] - 1].ts);
	assert_true(g->n[i] < MAXBARS);
	g->c[i][g->n[i]++] = *c;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The reference: open time by plain arithmetic, weeks by weekday. */
static int64_t
ref_open(int64_t ts, int64_t tf_s)
{
	int64_t day = 86400 * NS, d;

	if (tf_s == 604800) {
		d = ts / day;               /* days since Thursday 1970-01-01 */
		d -= ((d - 4) % 7 + 7) % 7; /* back to Monday */
		return d * day;
	}
	return ts / (tf_s * NS) * (tf_s * NS);
}

static void
same(const struct candle *x, const struct candle *y)
{
	if (x->ts != y->ts || x->open != y->open || x->close != y->close ||
	    x->volume != y->volume)
		print_message("got ts %lld o %g h %g l %g c %g v %g n %lld; "
			"want ts %lld o %g h %g l %g c %g v %g n %lld\n",
			(long long)x->ts, x->open, x->high, x->low, x->close,
			x->volume, (long long)x->trades, (long long)y->ts,
			y->open, y->high, y->low, y->close, y->volume,
			(long long)y->trades);
	assert_int_equal(x->ts, y->ts);
	assert_true(x->open == y->open);
	assert_true(x->high == y->high);
	assert_true(x->low == y->low);
	assert_true(x->close == y->close);
	assert_true(x->volume == y->volume);
	assert_int_equal(x->trades, y->trades);
}

static void
random_streams_match_reaggregation(void **unused)
{
	int run;

	(void)unused;
	g = calloc(1, sizeof(*g));
	for (run = 0; run < 20; run++) {
		struct candles *a = candles_new(CANDLE_ALL, collect, NULL);
		struct candle_series *s = candles_series(a, "ex", 7);
		/* Start anywhere in 2024, on any second. */
		int64_t t = (1704067200LL + (int64_t)(next() % 31536000)) * NS;
		int64_t t0 = t, end;
		struct candle m = { 0 };
		size_t nm = 0, i, k, ntr = 3000 + next() % 3000;
		double price = 100;
		struct candle *mins = calloc(MAXBARS, sizeof(*mins));
		int have = 0;

		memset(g->n, 0, sizeof(g->n));
		for (i = 0; i < ntr; i++) {
			uint64_t r = next();
			double q = (double)(1 + r % 64) * 0.25;

			/* Mostly seconds apart; sometimes minutes, hours,
			 * days without trades; sometimes the same instant. */
			if ((r >> 56) == 0)
				t += (int64_t)(next() % 172800) * NS;
			else if ((r >> 60) == 1)
				t += (int64_t)(next() % 3600) * NS;
			else if ((r >> 60) != 2)
				t += (int64_t)(next() % 40) * NS / 4;
			price += ((double)(next() % 21) - 10) * 0.5;
			if (price < 1)
				price = 1;
			assert_int_equal(candles_trade(s, t, price, q), QD_OK);
			/* Naive 1m, with the flat minutes in between. */
			if (have && ref_open(t, 60) != m.ts) {
				double pc = m.close;

				mins[nm++] = m;
				for (k = (size_t)m.ts + 60 * NS; (int64_t)k <
				    ref_open(t, 60); k += 60 * NS) {
					struct candle f = { (int64_t)k, pc, pc,
						pc, pc, 0, 0, 0 };

					assert_true(nm < MAXBARS);
					mins[nm++] = f;
				}
				have = 0;
			}
			if (!have) {
				m.ts = ref_open(t, 60);
				m.open = m.high = m.low = price;
				m.volume = 0;
				m.trades = 0;
				have = 1;
			}
			m.high = fmax(m.high, price);
			m.low = fmin(m.low, price);
			m.close = price;
			m.volume += q;
			m.trades++;
		}
		end = ref_open(t, 60) + 60 * NS;
		candles_advance(a, end);
		mins[nm++] = m;
		/* 1m: the naive minutes, every one. */
		assert_int_equal(g->n[0], nm);
		for (i = 0; i < nm; i++)
			same(&g->c[0][i], &mins[i]);
		/* Higher timeframes: the 1m bars regrouped, for every period
		 * that ended by `end`. */
		for (k = 1; k < CANDLE_TFS; k++) {
			int64_t tf = candle_tf_seconds[k];
			size_t n = 0, j = 0;

			while (j < nm) {
				/* OHLC from the minutes with trades; a period
				 * of empty minutes only is flat. */
				struct candle r = mins[j];
				int64_t o = ref_open(mins[j].ts, tf);
				int any = mins[j].trades > 0;

				r.ts = o;
				for (j++; j < nm && ref_open(mins[j].ts, tf) == o;
				     j++) {
					if (mins[j].trades == 0)
						continue;
					if (!any) {
						r.open = mins[j].open;
						r.high = mins[j].high;
						r.low = mins[j].low;
						any = 1;
					}
					r.high = fmax(r.high, mins[j].high);
					r.low = fmin(r.low, mins[j].low);
					r.close = mins[j].close;
					r.volume += mins[j].volume;
					r.trades += mins[j].trades;
				}
				if (o + tf * NS > end)
					break;  /* still open */
				assert_true(n < g->n[k]);
				same(&g->c[k][n], &r);
				n++;
			}
			assert_int_equal(n, g->n[k]);
		}
		if (run == 0)
			print_message("run 0: %zu 1m bars, %zu 1d, %zu 1w\n", g->n[0], g->n[10], g->n[11]);
		(void)t0;
		free(mins);
		candles_free(a);
	}
	free(g);
}

static void
boundaries_weeks_and_late_trades(void **unused)
{
	struct candles *a;
	struct candle_series *s;
	struct candles_stats st;
	/* 2024-01-01 00:00:00 UTC was a Monday. */
	int64_t mon = 1704067200LL * NS;

	(void)unused;
	assert_int_equal(candle_open(mon + 3 * 86400 * NS, 604800), mon);
	assert_int_equal(candle_open(mon - 1, 604800), mon - 7 * 86400 * NS);
	assert_int_equal(candle_open(mon + 59 * NS, 60), mon);
	assert_int_equal(candle_open(mon + 60 * NS, 60), mon + 60 * NS);
	assert_int_equal(candle_open(-1, 60), -60 * NS);
	g = calloc(1, sizeof(*g));
	a = candles_new(CANDLE_ALL, collect, NULL);
	s = candles_series(a, "ex", 7);
	assert_ptr_equal(candles_series(a, "ex", 7), s);
	assert_int_equal(candles_trade(s, mon + 30 * NS, 10, 1), QD_OK);
	assert_int_equal(candles_trade(s, mon + 61 * NS, 11, 1), QD_OK);
	assert_int_equal(g->n[0], 1);
	/* Older than the open minute: refused, the closed bar unchanged. */
	assert_int_equal(candles_trade(s, mon + 59 * NS, 99, 1), QD_ERR_STATE);
	candles_stats(a, &st);
	assert_int_equal(st.late, 1);
	assert_true(g->c[0][0].high == 10);
	/* Invalid numbers. */
	assert_int_equal(candles_trade(s, mon + 62 * NS, NAN, 1), QD_ERR_INVALID);
	assert_int_equal(candles_trade(s, mon + 62 * NS, -1, 1), QD_ERR_INVALID);
	assert_int_equal(candles_trade(s, mon + 62 * NS, 1, -1), QD_ERR_INVALID);
	/* The timer closes the bars of a quiet market: flat, volume 0. */
	candles_advance(a, mon + 4 * 60 * NS);
	assert_int_equal(g->n[0], 4);
	assert_true(g->c[0][2].open == 11 && g->c[0][2].close == 11);
	assert_true(g->c[0][2].volume == 0 && g->c[0][2].trades == 0);
	assert_int_equal(g->n[1], 1);  /* 3m */
	/* Silent for more than a day: the clock no longer closes its bars
	 * (not a live market); its next trade does, flat periods included. */
	candles_advance(a, mon + 86400 * NS);
	assert_int_equal(g->n[0], 1440);
	candles_advance(a, mon + 2 * 86400 * NS);
	assert_int_equal(g->n[0], 1440);
	assert_int_equal(candles_trade(s, mon + 6 * 86400 * NS, 13, 1), QD_OK);
	assert_int_equal(g->n[0], 6 * 1440);
	/* The week closes on the next Monday. */
	candles_advance(a, mon + 7 * 86400 * NS - 1);
	assert_int_equal(g->n[11], 0);
	candles_advance(a, mon + 7 * 86400 * NS);
	assert_int_equal(g->n[11], 1);
	assert_int_equal(g->c[11][0].ts, mon);
	assert_int_equal(g->c[11][0].trades, 3);
	/* A clock far ahead does not fill years of minutes. */
	assert_int_equal(candles_trade(s, mon + 3650LL * 86400 * NS, 12, 1),
		QD_OK);
	assert_true(g->n[0] < 30000);
	candles_free(a);
	free(g);
}

static void
venue_klines_are_the_1m_bars(void **unused)
{
	struct candles *a;
	struct candle_series *s;
	struct candles_stats st;
	int64_t t = 1704067200LL * NS;
	struct candle k = { t, 10, 12, 9, 11, 3, 33, 4 };

	(void)unused;
	g = calloc(1, sizeof(*g));
	a = candles_new(CANDLE_ALL, collect, NULL);
	s = candles_series(a, "ex", 7);
	assert_int_equal(candles_trade(s, t + 1 * NS, 10, 1), QD_OK);
	assert_int_equal(candles_trade(s, t + 2 * NS, 12, 1), QD_OK);
	assert_int_equal(candles_trade(s, t + 3 * NS, 9, 0.5), QD_OK);
	assert_int_equal(candles_trade(s, t + 4 * NS, 11, 0.5), QD_OK);
	/* The venue's kline arrives before the trades' bar closed. */
	assert_int_equal(candles_kline(s, &k), QD_OK);
	assert_int_equal(g->n[0], 1);
	same(&g->c[0][0], &k);
	candles_advance(a, t + 60 * NS);
	assert_int_equal(g->n[0], 1);     /* not emitted twice */
	candles_stats(a, &st);
	assert_int_equal(st.divergences, 0);
	/* Per timeframe, the bars handed out: the kline, not the trades'
	 * bar it stands for. */
	assert_int_equal(st.closed_tf[0], 1);
	assert_int_equal(st.last_open[0], t);
	/* A kline unlike the trades is still the bar, and is counted. */
	assert_int_equal(candles_trade(s, t + 61 * NS, 20, 1), QD_OK);
	candles_advance(a, t + 120 * NS);
	k.ts = t + 60 * NS;
	k.trades = 1;
	assert_int_equal(candles_kline(s, &k), QD_OK);
	candles_stats(a, &st);
	assert_int_equal(st.divergences, 1);
	assert_int_equal(g->n[0], 2);
	k.ts = t + 30 * NS;
	assert_int_equal(candles_kline(s, &k), QD_ERR_INVALID);
	/* A kline older than the newest 1m bar handed out (a backfill
	 * filling a gap) is history: closed, out of the time order. */
	k.ts = t - 60 * NS;
	assert_int_equal(candles_kline(s, &k), QD_OK);
	assert_int_equal(g->history, 1);
	assert_int_equal(g->last_history.ts, t - 60 * NS);
	k.ts = t + 60 * NS;       /* the same minute again: history too */
	assert_int_equal(candles_kline(s, &k), QD_OK);
	assert_int_equal(g->history, 2);
	/* History is not counted as closed. */
	candles_stats(a, &st);
	assert_int_equal(st.closed_tf[0], 2);
	assert_int_equal(st.last_open[0], t + 60 * NS);
	assert_int_equal(g->n[0], 2);
	/* Partial updates: the open bars that changed, once. */
	assert_int_equal(candles_trade(s, t + 121 * NS, 21, 1), QD_OK);
	g->partials = 0;
	candles_partials(a);
	assert_int_equal(g->partials, CANDLE_TFS);
	assert_true(g->last_partial.close == 21);
	candles_partials(a);
	assert_int_equal(g->partials, CANDLE_TFS);
	candles_free(a);
	free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_streams_match_reaggregation),
		cmocka_unit_test(boundaries_weeks_and_late_trades),
		cmocka_unit_test(venue_klines_are_the_1m_bars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
