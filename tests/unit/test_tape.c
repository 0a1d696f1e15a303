/*
 * test_tape.c -- the ring of latest market events: numbering, filters,
 * the cap per call, and a reader that fell behind the ring.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "market/tape.h"

static uint64_t got[64];
static size_t n_got;

static void
collect(void *arg, const struct tape_event *e)
{
	(void)arg;
	if (n_got < 64)
		got[n_got++] = e->seq;
}

static void
trade(struct tape *t, const char *src, qd_symbol sym, double price)
{
	struct qd_trade_event e;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.symbol = sym;
	e.price = price;
	e.qty = 1;
	e.side = QD_SIDE_SELL;
	tape_trade(t, src, &e);
}

static void
numbering_and_filters(void **unused)
{
	struct tape *t = tape_new(8);
	struct qd_bar_event b;
	uint64_t last;

	(void)unused;
	assert_non_null(t);
	assert_int_equal(tape_last(t), 0);
	trade(t, "binance", 1, 10);
	trade(t, "okx", 1, 11);
	trade(t, "binance", 2, 12);
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.symbol = 1;
	b.timeframe_s = 60;
	b.bar.close = 13;
	tape_bar(t, "binance", &b, 0);
	assert_int_equal(tape_last(t), 4);
	n_got = 0;
	last = tape_since(t, 0, "binance", 1, 100, collect, NULL);
	assert_int_equal(last, 4);
	assert_int_equal(n_got, 2);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 4);
	/* Nothing new: nothing, and the same number back. */
	n_got = 0;
	assert_int_equal(tape_since(t, 4, NULL, 0, 100, collect, NULL), 4);
	assert_int_equal(n_got, 0);
	/* At most `max` per call; the next call goes on from there. */
	n_got = 0;
	last = tape_since(t, 0, NULL, 0, 3, collect, NULL);
	assert_int_equal(n_got, 3);
	assert_int_equal(last, 3);
	last = tape_since(t, last, NULL, 0, 3, collect, NULL);
	assert_int_equal(n_got, 4);
	assert_int_equal(got[3], 4);
	tape_free(t);
}

static void
a_reader_behind_the_ring(void **unused)
{
	struct tape *t = tape_new(8);
	int i;

	(void)unused;
	for (i = 0; i < 20; i++)
		trade(t, "binance", 1, 100 + i);
	n_got = 0;
	/* Events 1..12 are gone: the first seen is 13, which shows the gap. */
	assert_int_equal(tape_since(t, 2, NULL, 0, 100, collect, NULL), 20);
	assert_int_equal(n_got, 8);
	assert_int_equal(got[0], 13);
	assert_int_equal(got[7], 20);
	assert_null(tape_new(0));
	tape_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbering_and_filters),
		cmocka_unit_test(a_reader_behind_the_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
