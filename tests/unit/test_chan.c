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


/* Closes walking in steps of 1 through the turning points `turns`. */
static void
push_path(struct chan *c, const double *turns, size_t n, int64_t *bar)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double x = turns[i], to = i + 1 < n ? turns[i + 1] : x;
		double step = to > x ? 1 : -1;

		if (i + 1 == n) {
			push_hl(c, (*bar)++, x + 0.5, x - 0.5);
			break;
		}
		for (; step > 0 ? x < to : x > to; x += step)
			push_hl(c, (*bar)++, x + 0.5, x - 0.5);
	}
}

/* Mirror prices (100 - x) to check that down structures mirror up ones. */
static void
mirror(double *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		t[i] = 100 - t[i];
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
	/* the high came from bar 1, the (higher) low from bar 2 */
	assert_int_equal(c.k[1].hbar, 1);
	assert_int_equal(c.k[1].lbar, 2);
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


/*
 * Case 2 (gap).  Strokes up 10 -> 20, down 20 -> 16, up 16 -> 30 (the
 * peak P), down 30 -> 22, up 22 -> 27, down 27 -> 19, up 19 -> 25, down
 * 25 -> 21, up 21 -> 26 (bars 0.5 beyond the closes).  e1 = [15.5, 20.5],
 * e2 = [21.5, 30.5]: a gap (21.5 > 20.5).  The down stroke to 18.5 makes
 * a top fractal of the characteristic sequence -- enough without a gap,
 * not here.  The up strokes after P, [21.5, 27.5] [18.5, 25.5] [20.5,
 * 26.5], form a bottom fractal: the segment ends at P, strokes 0..2.
 */
static const double gap_turns[] = {
	11, 10, 20, 16, 30, 22, 27, 19, 25, 21, 26, 24
};

static void
segment_with_a_gap_needs_the_second_sequence(void **unused)
{
	double t[QD_COUNTOF(gap_turns)];
	int64_t bar = 0;
	struct chan c;
	int m;

	(void)unused;
	for (m = 0; m < 2; m++) {
		memcpy(t, gap_turns, sizeof(t));
		if (m)
			mirror(t, QD_COUNTOF(t));
		bar = 0;
		chan_init(&c, 4);
		/* up to the bottom at 19 and two closes after it */
		push_path(&c, t, 8, &bar);
		push_hl(&c, bar++, (m ? 80 : 20) + 0.5, (m ? 80 : 20) - 0.5);
		push_hl(&c, bar++, (m ? 79 : 21) + 0.5, (m ? 79 : 21) - 0.5);
		assert_int_equal(c.ns, 6);
		assert_int_equal(c.nseg, 0);
		chan_free(&c);

		bar = 0;
		chan_init(&c, 4);
		push_path(&c, t, QD_COUNTOF(t), &bar);
		assert_int_equal(c.ns, 9);
		/* ... and the down segment from P (strokes 3..5, low 18.5)
		 * ends too: its characteristic sequence [21.5, 27.5] [18.5,
		 * 25.5] [20.5, 26.5] has a bottom fractal and no gap. */
		assert_int_equal(c.nseg, 2);
		assert_int_equal(c.seg[1].from, 3);
		assert_int_equal(c.seg[1].to, 5);
		assert_int_equal(c.seg[1].how, CHAN_BREAK_NO_GAP);
		assert_int_equal(c.seg[0].dir, m ? -1 : 1);
		assert_int_equal(c.seg[0].from, 0);
		assert_int_equal(c.seg[0].to, 2);
		assert_int_equal(c.seg[0].how, CHAN_BREAK_GAP);
		if (m)
			assert_true(c.seg[0].high == 90.5 &&
				c.seg[0].low == 69.5);
		else
			assert_true(c.seg[0].high == 30.5 &&
				c.seg[0].low == 9.5);
		chan_free(&c);
	}
}

/*
 * The same start, but after the down stroke to 19 the price rises to 32:
 * a new high moves P to stroke 6 (e1 is now [18.5, 27.5]).  Down 32 -> 26
 * ([25.5, 32.5], no gap), up to 30, down to 20 ([19.5, 30.5], not
 * contained, lower): case 1, the segment is strokes 0..6, high 32.5.
 */
static void
new_high_before_the_break_extends_the_segment(void **unused)
{
	static const double turns[] = {
		11, 10, 20, 16, 30, 22, 27, 19, 32, 26, 30, 20, 22
	};
	int64_t bar = 0;
	struct chan c;

	(void)unused;
	chan_init(&c, 4);
	push_path(&c, turns, QD_COUNTOF(turns), &bar);
	assert_int_equal(c.ns, 10);
	assert_int_equal(c.nseg, 1);
	assert_int_equal(c.seg[0].from, 0);
	assert_int_equal(c.seg[0].to, 6);
	assert_int_equal(c.seg[0].how, CHAN_BREAK_NO_GAP);
	assert_true(c.seg[0].high == 32.5 && c.seg[0].low == 9.5);
	chan_free(&c);
}

/*
 * Case 3.  Up 10 -> 20 then down to 8, below the start: stroke 0 starts no
 * segment.  The down segment from stroke 1 (20 -> 8, up to 15, down to 4:
 * its extreme, stroke 3) ends when the up strokes after it, [3.5, 11.5]
 * then [6.5, 14.5], break upwards without a gap: strokes 1..3.  And a
 * plunge below an up segment's start ends it at its top at once.
 */
static void
segment_start_and_plunge_below_the_start(void **unused)
{
	static const double turns[] = { 11, 10, 20, 8, 15, 4, 11, 7, 14, 12 };
	static const double plunge[] = { 11, 10, 20, 16, 25, 5, 7 };
	int64_t bar = 0;
	struct chan c;

	(void)unused;
	chan_init(&c, 4);
	push_path(&c, turns, QD_COUNTOF(turns), &bar);
	assert_int_equal(c.ns, 7);
	assert_int_equal(c.nseg, 1);
	assert_int_equal(c.seg[0].dir, -1);
	assert_int_equal(c.seg[0].from, 1);
	assert_int_equal(c.seg[0].to, 3);
	assert_true(c.seg[0].high == 20.5 && c.seg[0].low == 3.5);
	chan_free(&c);

	bar = 0;
	chan_init(&c, 4);
	push_path(&c, plunge, QD_COUNTOF(plunge), &bar);
	assert_int_equal(c.ns, 4);
	assert_int_equal(c.nseg, 1);
	assert_int_equal(c.seg[0].to, 2);
	assert_int_equal(c.seg[0].how, CHAN_BREAK_BEYOND_START);
	chan_free(&c);
}

/*
 * Fractal validity: a top at 12 (zone low 5) and, four K-lines later, a
 * bottom at 5.1 -- not below the top's zone: no stroke.  The same with the
 * bottom at 4.9: a stroke.
 */
static void
stroke_needs_fractals_that_do_not_overlap(void **unused)
{
	static const double hl[][2] = {
		{ 10, 5 }, { 12, 6 }, { 11, 5.5 }, { 10.5, 5.4 }, { 10, 5.3 },
		{ 9, 5.1 }, { 9.5, 5.2 }, { 10, 5.3 },
	};
	struct chan c;
	size_t i;
	int m;

	(void)unused;
	for (m = 0; m < 2; m++) {
		chan_init(&c, 4);
		for (i = 0; i < QD_COUNTOF(hl); i++)
			push_hl(&c, (int64_t)i, hl[i][0],
				i == 5 && m ? 4.9 : hl[i][1]);
		assert_int_equal(c.nk, QD_COUNTOF(hl));
		assert_int_equal(c.nf, 2);
		assert_int_equal(c.ns, m ? 1 : 0);
		chan_free(&c);
	}
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
		cmocka_unit_test(segment_with_a_gap_needs_the_second_sequence),
		cmocka_unit_test(new_high_before_the_break_extends_the_segment),
		cmocka_unit_test(segment_start_and_plunge_below_the_start),
		cmocka_unit_test(stroke_needs_fractals_that_do_not_overlap),
	};

	return cmocka_run_group_tests_name("chan", tests, NULL, NULL);
}
