/*
 * test_paper.c -- every fill rule of the matching engine, by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "trade/paper.h"

static struct paper_fill last[8];
static int nfills;

static void
record(void *arg, const struct paper_fill *f)
{
	(void)arg;
	if (nfills < 8)
		last[nfills] = *f;
	nfills++;
}

static struct paper *
make(double taker, double maker, double slip)
{
	struct paper_config c = { taker, maker, slip, 10000 * PAPER_UNIT };

	nfills = 0;
	return paper_new(&c);
}

static uint64_t
submit(struct paper *p, enum qd_side side, enum qd_order_type t, double qty,
	double price, double stop)
{
	struct qd_order_req r;
	uint64_t id = 0;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = side;
	r.type = t;
	r.qty = qty;
	r.price = price;
	r.stop_price = stop;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_OK);
	return id;
}

static void
bar(struct paper *p, double o, double h, double l, double c)
{
	struct qd_bar b = { 60000000000LL, o, h, l, c, 1 };

	paper_on_bar(p, 1, &b, record, NULL);
}

/*
 * Market buy of 2 at the next open 100 with 10 bps slippage: price
 * 100.1, notional 200.2, taker fee 0.1% = 0.2002; cash 10000 - 200.2 -
 * 0.2002 = 9799.5998.
 */
static void
market_fills_at_next_open_with_slippage_and_taker_fee(void **unused)
{
	struct paper *p = make(0.001, 0.0002, 10);
	double avg;

	(void)unused;
	submit(p, QD_SIDE_BUY, QD_ORDER_MARKET, 2, 0, 0);
	assert_int_equal(nfills, 0);   /* nothing before a bar arrives */
	bar(p, 100, 101, 99, 100.5);
	assert_int_equal(nfills, 1);
	assert_true(last[0].price > 100.0999999 && last[0].price < 100.1000001);
	assert_int_equal(last[0].fee, 20020000);      /* 0.2002 */
	assert_int_equal(paper_cash(p), 979959980000LL);
	assert_int_equal(paper_position(p, 1, &avg), 2 * PAPER_UNIT);
	paper_free(p);
}

/*
 * Limit buy at 95: a bar 100/101/96 does not reach it; a bar opening 97,
 * low 94 fills at 95 (maker fee); a limit buy at 95 on a bar that opens at
 * 93 (gapped through) fills at the better open 93.
 */
static void
limit_fills_at_price_or_better_open(void **unused)
{
	struct paper *p = make(0.001, 0.0002, 10);

	(void)unused;
	submit(p, QD_SIDE_BUY, QD_ORDER_LIMIT, 1, 95, 0);
	bar(p, 100, 101, 96, 97);
	assert_int_equal(nfills, 0);
	bar(p, 97, 98, 94, 96);
	assert_int_equal(nfills, 1);
	assert_true(last[0].price == 95.0);
	assert_int_equal(last[0].fee, 1900000);       /* 95 * 0.0002 */
	submit(p, QD_SIDE_BUY, QD_ORDER_LIMIT, 1, 95, 0);
	bar(p, 93, 94, 92, 93);
	assert_true(last[1].price == 93.0);
	paper_free(p);
}

/*
 * Stop sell at 90: touched inside a bar (low 89) fills at 90 less
 * slippage; gapped through (open 85) fills at the worse open 85.
 */
static void
stop_fills_at_stop_or_worse_open(void **unused)
{
	struct paper *p = make(0, 0, 0);

	(void)unused;
	submit(p, QD_SIDE_SELL, QD_ORDER_STOP, 1, 0, 90);
	bar(p, 95, 96, 91, 92);
	assert_int_equal(nfills, 0);
	bar(p, 92, 93, 89, 90);
	assert_true(last[0].price == 90.0);
	submit(p, QD_SIDE_SELL, QD_ORDER_STOP, 1, 0, 90);
	bar(p, 85, 86, 84, 85);
	assert_true(last[1].price == 85.0);
	paper_free(p);
}

/*
 * A bar that reaches both a stop-loss (sell stop 95) and a take-profit
 * (sell limit 105) of one position: the stop is assumed first.
 */
static void
adverse_fill_first_within_a_bar(void **unused)
{
	struct paper *p = make(0, 0, 0);
	uint64_t stop, tp;

	(void)unused;
	stop = submit(p, QD_SIDE_SELL, QD_ORDER_STOP, 1, 0, 95);
	tp = submit(p, QD_SIDE_SELL, QD_ORDER_LIMIT, 1, 105, 0);
	bar(p, 100, 106, 94, 100);
	assert_int_equal(nfills, 2);
	assert_int_equal(last[0].order_id, stop);
	assert_int_equal(last[1].order_id, tp);
	paper_free(p);
}

/* An order decided at 120 s waits for a bar opening at 120 s or later. */
static void
orders_wait_for_their_decision_time(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r;
	struct qd_bar early = { 60000000000LL, 100, 100, 100, 100, 1 };
	struct qd_bar later = { 120000000000LL, 101, 101, 101, 101, 1 };
	uint64_t id;

	(void)unused;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_MARKET;
	r.qty = 1;
	assert_int_equal(paper_submit(p, &r, 120000000000LL, &id), QD_OK);
	paper_on_bar(p, 1, &early, record, NULL);
	assert_int_equal(nfills, 0);
	paper_on_bar(p, 1, &later, record, NULL);
	assert_int_equal(nfills, 1);
	assert_true(last[0].price == 101.0);
	paper_free(p);
}

/* Reduce-only: never opens, fills at most what it reduces. */
static void
reduce_only_never_opens(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r;
	uint64_t id;

	(void)unused;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_SELL;
	r.type = QD_ORDER_MARKET;
	r.flags = QD_ORDER_REDUCE_ONLY;
	r.qty = 1;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_OK);
	bar(p, 100, 100, 100, 100);
	assert_int_equal(nfills, 0);                 /* flat: nothing */
	assert_int_equal(paper_position(p, 1, NULL), 0);
	submit(p, QD_SIDE_BUY, QD_ORDER_MARKET, 0.5, 0, 0);
	bar(p, 100, 100, 100, 100);
	r.qty = 2;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_OK);
	bar(p, 100, 100, 100, 100);
	assert_int_equal(nfills, 2);
	assert_int_equal(last[1].qty, PAPER_UNIT / 2); /* clipped to 0.5 */
	assert_int_equal(paper_position(p, 1, NULL), 0);
	paper_free(p);
}

static void
cancel_and_bad_orders(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r;
	uint64_t id;

	(void)unused;
	id = submit(p, QD_SIDE_BUY, QD_ORDER_LIMIT, 1, 50, 0);
	assert_int_equal(paper_open_orders(p), 1);
	assert_int_equal(paper_cancel(p, id), QD_OK);
	assert_int_equal(paper_cancel(p, id), QD_ERR_NOTFOUND);
	bar(p, 40, 41, 39, 40);
	assert_int_equal(nfills, 0);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_LIMIT;
	r.qty = 1;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);  /* no price */
	r.type = QD_ORDER_MARKET;
	r.qty = -1;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	paper_free(p);
}

/*
 * Buy 1 at 100, sell 1 at 110, no fees: cash back to 10010, flat; equity
 * marks a held position at the given price.
 */
static void
cash_and_equity_reconcile(void **unused)
{
	struct paper *p = make(0, 0, 0);
	double marks[2] = { 0, 120 };

	(void)unused;
	submit(p, QD_SIDE_BUY, QD_ORDER_MARKET, 1, 0, 0);
	bar(p, 100, 100, 100, 100);
	assert_int_equal(paper_equity(p, marks, 2), 10020 * PAPER_UNIT);
	submit(p, QD_SIDE_SELL, QD_ORDER_MARKET, 1, 0, 0);
	bar(p, 110, 110, 110, 110);
	assert_int_equal(paper_cash(p), 10010 * PAPER_UNIT);
	assert_int_equal(paper_position(p, 1, NULL), 0);
	paper_free(p);
}

/*
 * Buying power: a buy adding to a long must leave cash >= 0 with its fee,
 * a sell opening a short must keep the short within equity (1x); closing
 * or reducing always fills.  A rejection changes nothing and says why.
 */
static void
buying_power_is_checked_at_the_fill(void **unused)
{
	struct paper *p = make(0.001, 0.001, 0);

	(void)unused;
	/* 100 at 100 plus 10 of fee does not fit in 10000. */
	submit(p, QD_SIDE_BUY, QD_ORDER_MARKET, 100, 0, 0);
	bar(p, 100, 100, 100, 100);
	assert_int_equal(nfills, 1);
	assert_non_null(last[0].reject);
	assert_non_null(strstr(last[0].reject, "insufficient funds"));
	assert_int_equal(paper_cash(p), 10000 * PAPER_UNIT);
	assert_int_equal(paper_position(p, 1, NULL), 0);
	/* 99 at 100 costs 9900 + 9.9: fills. */
	submit(p, QD_SIDE_BUY, QD_ORDER_MARKET, 99, 0, 0);
	bar(p, 100, 100, 100, 100);
	assert_int_equal(nfills, 2);
	assert_null(last[1].reject);
	assert_int_equal(paper_position(p, 1, NULL), 99 * PAPER_UNIT);
	/* Selling the long, and more than it, as one order: the short part
	 * (150 at 100 = 15000) is beyond equity (~9980). */
	submit(p, QD_SIDE_SELL, QD_ORDER_MARKET, 249, 0, 0);
	bar(p, 100, 100, 100, 100);
	assert_int_equal(nfills, 3);
	assert_non_null(last[2].reject);
	assert_non_null(strstr(last[2].reject, "insufficient margin"));
	assert_int_equal(paper_position(p, 1, NULL), 99 * PAPER_UNIT);
	/* Reducing the long always fills; a short within equity too. */
	submit(p, QD_SIDE_SELL, QD_ORDER_MARKET, 149, 0, 0);
	bar(p, 100, 100, 100, 100);
	assert_int_equal(nfills, 4);
	assert_null(last[3].reject);
	assert_int_equal(paper_position(p, 1, NULL), -50 * PAPER_UNIT);
	/* The price runs up: covering is allowed whatever the cash. */
	submit(p, QD_SIDE_BUY, QD_ORDER_MARKET, 50, 0, 0);
	bar(p, 400, 400, 400, 400);
	assert_int_equal(nfills, 5);
	assert_null(last[4].reject);
	assert_int_equal(paper_position(p, 1, NULL), 0);
	assert_true(paper_cash(p) < 0);
	/* With negative cash no new long can open. */
	submit(p, QD_SIDE_BUY, QD_ORDER_MARKET, 0.001, 0, 0);
	bar(p, 400, 400, 400, 400);
	assert_non_null(last[5].reject);
	paper_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(market_fills_at_next_open_with_slippage_and_taker_fee),
		cmocka_unit_test(limit_fills_at_price_or_better_open),
		cmocka_unit_test(stop_fills_at_stop_or_worse_open),
		cmocka_unit_test(adverse_fill_first_within_a_bar),
		cmocka_unit_test(orders_wait_for_their_decision_time),
		cmocka_unit_test(reduce_only_never_opens),
		cmocka_unit_test(cancel_and_bad_orders),
		cmocka_unit_test(cash_and_equity_reconcile),
		cmocka_unit_test(buying_power_is_checked_at_the_fill),
	};

	return cmocka_run_group_tests_name("paper", tests, NULL, NULL);
}
