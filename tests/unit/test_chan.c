/*
 * test_chan.c -- Chan theory structures on hand-drawn sequences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../strategies/chan/chan_core.h"

static void
push_hl(struct chan *c, int64_t i, double h, double l)
{
	struct qd_bar b = { i * 60000000000LL, (h + l) / 2, h, l, (h + l) / 2,
		1 };

	assert_true(chan_push(c, &b) >= 0);
}

/* Bars on closes `c` with high/low 0.5 either side. */
static void
push_closes(struct chan *c, const double *cl, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		push_hl(c, (int64_t)i, cl[i] + 0.5, cl[i] - 0.5);
}

/*
 * Up: (10,8) (12,9) then (11,10) inside (12,9): merged keeping the higher
 * high and the higher low -> (12,10).  Down: (10,8) (9,6) then (8,7) inside
 * (9,6): merged keeping the lower high and the lower low -> (8,6).
 */
static void
inclusion_merges_by_direction(void **unused)
{
	struct chan c;

	(void)unused;
	chan_init(&c, 4);
	push_hl(&c, 0, 10, 8);
	push_hl(&c, 1, 12, 9);
	push_hl(&c, 2, 11, 10);
	push_hl(&c, 3, 13, 11);
	assert_int_equal(c.nk, 3);
	assert_true(c.k[1].high == 12 && c.k[1].low == 10);
	chan_free(&c);
	chan_init(&c, 4);
	push_hl(&c, 0, 10, 8);
	push_hl(&c, 1, 9, 6);
	push_hl(&c, 2, 8, 7);
	assert_int_equal(c.nk, 2);
	assert_true(c.k[1].high == 8 && c.k[1].low == 6);
	chan_free(&c);
}

/*
 * Closes 10 11 12 13 14 15 | 14 13 12 11 10 | 11 ... 16 | 15 14 13 12 11 |
 * 12 ... 20 | 19 18 17.5 | 18.5 ...: a top at 15, a bottom at 10, a top at
 * 16, a bottom at 11, a top at 20, a bottom at 17.5.
 */
static const double zigzag[] = {
	10, 11, 12, 13, 14, 15, 14, 13, 12, 11, 10, 11, 12, 13, 14, 15, 16,
	15, 14, 13, 12, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 19, 18, 17.5,
	18.5, 19.5, 20.5
};

static void
fractals_and_strokes(void **unused)
{
	struct chan c;

	(void)unused;
	chan_init(&c, 4);
	/* A fractal is known once the K-line after its neighbour exists:
	 * the bottom at bar 21 is confirmed by bar 23. */
	push_closes(&c, zigzag, 24);
	assert_true(c.nf >= 4);
	assert_int_equal(c.f[0].type, 1);
	assert_true(c.f[0].price == 15.5);
	assert_int_equal(c.f[1].type, -1);
	assert_true(c.f[1].price == 9.5);
	/* Strokes: down 15.5 -> 9.5, up 9.5 -> 16.5, down 16.5 -> 10.5. */
	assert_int_equal(c.ns, 3);
	assert_int_equal(c.s[0].dir, -1);
	assert_true(c.s[0].from.price == 15.5 && c.s[0].to.price == 9.5);
	assert_int_equal(c.s[1].dir, 1);
	assert_true(c.s[1].to.price == 16.5);
	assert_int_equal(c.s[2].dir, -1);
	assert_true(c.s[2].to.price == 10.5);
	chan_free(&c);
}

/*
 * After the entering stroke (down 15.5 -> 9.5) three strokes overlap: up
 * 9.5 -> 16.5, down 16.5 -> 10.5, up 10.5 -> 20.5: ZG = min(16.5, 16.5,
 * 20.5) = 16.5, ZD = max(9.5, 10.5, 10.5) = 10.5.  The last of them leaves
 * above ZG; the pull-back to 17 (three K-lines: min_gap 3 here) stays above
 * ZG: a 3rd-class buy at 17.
 */
static void
pivot_and_third_class_buy(void **unused)
{
	struct chan c;

	(void)unused;
	chan_init(&c, 3);
	push_closes(&c, zigzag, QD_COUNTOF(zigzag));
	assert_true(c.npv >= 1);
	assert_true(c.pv[0].zg == 16.5 && c.pv[0].zd == 10.5);
	assert_int_equal(c.pv[0].from, 1);
	assert_int_equal(c.pv[0].to, 3);
	assert_int_equal(c.ns, 5);
	assert_true(c.npt >= 1);
	assert_int_equal(c.pt[c.npt - 1].cls, 3);
	assert_int_equal(c.pt[c.npt - 1].side, 1);
	assert_true(c.pt[c.npt - 1].price == 17.0);
	chan_free(&c);
}

/*
 * A fast drop 100 -> 80 (2 per bar) enters a pivot (ZG 84.1, ZD 80.9); a
 * slow drift (0.5 per bar) then makes a new low 76.9 with a smaller MACD
 * area than the fast drop: a 1st-class buy; the next pull-back stops at
 * 79.4, above 76.9: a 2nd-class buy.
 */
static void
divergence_first_then_second_class_buy(void **unused)
{
	static const double cl[] = {
		96, 97, 98, 99, 100, 98, 96, 94, 92, 90, 88, 86, 84, 82, 80,
		81, 82, 83, 84, 85, 86, 85, 84, 83, 82, 81, 82, 83, 84, 85, 84,
		83, 82, 83, 84, 83.5, 83, 82.5, 82, 81.5, 81, 80.5, 80, 79.5,
		79, 78.5, 78, 77.5, 77, 78, 79, 80, 81, 82, 81.5, 81, 80.5, 80,
		79.5, 80.5, 81.5, 82.5, 83.5, 84.5
	};
	struct chan c;
	size_t i;
	double prev = cl[0];

	(void)unused;
	chan_init(&c, 4);
	for (i = 0; i < QD_COUNTOF(cl); i++) {
		double o = prev, x = cl[i];
		struct qd_bar b = { (int64_t)i * 60000000000LL, o,
			(o > x ? o : x) + 0.1, (o < x ? o : x) - 0.1, x, 1 };

		assert_true(chan_push(&c, &b) >= 0);
		prev = x;
	}
	assert_int_equal(c.npv, 1);
	assert_true(c.pv[0].zg > 84.09 && c.pv[0].zg < 84.11);
	assert_true(c.pv[0].zd > 80.89 && c.pv[0].zd < 80.91);
	assert_true(c.s[4].area < c.s[0].area);
	assert_int_equal(c.npt, 2);
	assert_int_equal(c.pt[0].cls, 1);
	assert_int_equal(c.pt[0].side, 1);
	assert_true(c.pt[0].price > 76.89 && c.pt[0].price < 76.91);
	assert_int_equal(c.pt[1].cls, 2);
	assert_true(c.pt[1].price > 79.39 && c.pt[1].price < 79.41);
	chan_free(&c);
}

/*
 * An up segment: strokes up 10 -> 20, down 20 -> 15, up 15 -> 25, down
 * 25 -> 19, up 19 -> 23, down 23 -> 12.  Its characteristic sequence (the
 * down strokes) has highs 20, 25, 23: a top at the second, so the segment
 * ends at the top 25 where that stroke starts: strokes 0..2, high 25.5, low
 * 9.5 (bars reach 0.5 beyond their closes).
 */
static void
segment_ends_on_characteristic_top(void **unused)
{
	double cl[80];
	size_t n = 0;
	int v;
	struct chan c;

	(void)unused;
	cl[n++] = 11;
	for (v = 10; v <= 20; v++) cl[n++] = v;
	for (v = 19; v >= 15; v--) cl[n++] = v;
	for (v = 16; v <= 25; v++) cl[n++] = v;
	for (v = 24; v >= 19; v--) cl[n++] = v;
	for (v = 20; v <= 23; v++) cl[n++] = v;
	for (v = 22; v >= 12; v--) cl[n++] = v;
	for (v = 13; v <= 16; v++) cl[n++] = v;
	chan_init(&c, 4);
	push_closes(&c, cl, n);
	assert_int_equal(c.ns, 6);
	assert_int_equal(c.nseg, 1);
	assert_int_equal(c.seg[0].dir, 1);
	assert_int_equal(c.seg[0].from, 0);
	assert_int_equal(c.seg[0].to, 2);
	assert_true(c.seg[0].high == 25.5 && c.seg[0].low == 9.5);
	chan_free(&c);
}

/* Strokes need min_gap merged K-lines between their fractals. */
static void
short_swings_make_no_stroke(void **unused)
{
	static const double small[] = { 10, 11, 12, 11, 12, 11, 12, 11, 12 };
	struct chan c;

	(void)unused;
	chan_init(&c, 4);
	push_closes(&c, small, QD_COUNTOF(small));
	assert_true(c.nf > 0);
	assert_int_equal(c.ns, 0);
	chan_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inclusion_merges_by_direction),
		cmocka_unit_test(fractals_and_strokes),
		cmocka_unit_test(pivot_and_third_class_buy),
		cmocka_unit_test(divergence_first_then_second_class_buy),
		cmocka_unit_test(segment_ends_on_characteristic_top),
		cmocka_unit_test(short_swings_make_no_stroke),
	};

	return cmocka_run_group_tests_name("chan", tests, NULL, NULL);
}
