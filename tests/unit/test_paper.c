/*
 * test_paper.c -- every fill rule of the matching engine, by hand.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "trade/paper.h"

#define MAX_SEEN 32

static struct paper_fill last[MAX_SEEN];
static int nfills;

static void
record(void *arg, const struct paper_fill *f)
{
	(void)arg;
	if (nfills < MAX_SEEN)
		last[nfills] = *f;
	nfills++;
}

static struct paper *
make(double taker, double maker, double slip)
{
	struct paper_config c = { .taker_fee = taker, .maker_fee = maker,
		.slippage_bps = slip, .cash = 10000 * PAPER_UNIT };

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

/* ---- take-profit, trailing stops, trades, time in force --------------- */

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* The order `req` as the test builds it: symbol 1, the given fields. */
static struct qd_order_req
req(enum qd_side side, enum qd_order_type t, double qty, double price,
	double stop)
{
	struct qd_order_req r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = side;
	r.type = t;
	r.qty = qty;
	r.price = price;
	r.stop_price = stop;
	return r;
}

/* Submit `r` decided at `at`; the id, failing the test on a refusal. */
static uint64_t
place(struct paper *p, const struct qd_order_req *r, int64_t at)
{
	uint64_t id = 0;
	int st = paper_submit(p, r, at, &id);

	if (st != QD_OK)
		fail_msg("paper_submit refused the order: %d", st);
	return id;
}

/* A trade of `sym` at `ts` through paper_on_trade, fills to fn. */
static void
trade_to(struct paper *p, qd_symbol sym, int64_t ts, double px, double qty,
	void (*fn)(void *, const struct paper_fill *))
{
	struct qd_trade_event t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.symbol = sym;
	t.side = QD_SIDE_BUY;
	t.ts = ts;
	t.price = px;
	t.qty = qty;
	paper_on_trade(p, &t, fn, NULL);
}

static void
trade_at(struct paper *p, int64_t ts, double px, double qty)
{
	trade_to(p, 1, ts, px, qty, record);
}

static void
trade(struct paper *p, double px, double qty)
{
	trade_at(p, 1000, px, qty);
}

static void
assert_price(double got, double want)
{
	if (!NEAR(got, want))
		fail_msg("price %.10g, expected %.10g", got, want);
}

/*
 * Take profit sell at 110: a bar up to 109 leaves it; a bar opening 106
 * and reaching 111 fills at 110 less 10 bps; one opening at 115 (beyond
 * it) at the better open 115.  A buy take profit at 90 on a bar opening
 * 85 fills at 85.  Taker fee.
 */
static void
take_profit_fills_at_its_price_or_the_better_open_on_bars(void **unused)
{
	struct paper *p = make(0.001, 0.0002, 10);
	struct qd_order_req r = req(QD_SIDE_SELL, QD_ORDER_TAKE_PROFIT, 1, 0,
		110);

	(void)unused;
	place(p, &r, 0);
	bar(p, 100, 109, 95, 108);
	assert_int_equal(nfills, 0);
	bar(p, 106, 111, 104, 110);
	assert_int_equal(nfills, 1);
	assert_price(last[0].price, 110 * 0.999);
	assert_int_equal(last[0].type, QD_ORDER_TAKE_PROFIT);
	assert_int_equal(last[0].maker, 0);
	assert_int_equal(last[0].fee, paper_units(110 * 0.999 * 0.001));
	place(p, &r, 0);
	bar(p, 115, 116, 114, 115);
	assert_int_equal(nfills, 2);
	assert_price(last[1].price, 115 * 0.999);
	r = req(QD_SIDE_BUY, QD_ORDER_TAKE_PROFIT, 1, 0, 90);
	place(p, &r, 0);
	bar(p, 95, 96, 91, 95);
	assert_int_equal(nfills, 2);
	bar(p, 85, 86, 84, 85);
	assert_int_equal(nfills, 3);
	assert_price(last[2].price, 85 * 1.001);
	paper_free(p);
}

/*
 * Take-profit limit sell, trigger 110, limit 112: a bar reaching 111
 * triggers it but does not reach the limit; the next bar reaching 113
 * fills at 112, maker fee.  With limit 109 the triggering bar fills it.
 */
static void
take_profit_limit_is_a_limit_once_triggered_on_bars(void **unused)
{
	struct paper *p = make(0.001, 0.0002, 10);
	struct qd_order_req r = req(QD_SIDE_SELL, QD_ORDER_TAKE_PROFIT_LIMIT, 1,
		112, 110);
	struct paper_order po;
	uint64_t id;

	(void)unused;
	id = place(p, &r, 0);
	bar(p, 100, 109, 99, 105);
	assert_int_equal(paper_get_order(p, id, &po), QD_OK);
	assert_int_equal(po.triggered, 0);
	bar(p, 105, 111, 104, 106);
	assert_int_equal(nfills, 0);
	assert_int_equal(paper_get_order(p, id, &po), QD_OK);
	assert_int_equal(po.triggered, 1);
	bar(p, 106, 113, 105, 110);
	assert_int_equal(nfills, 1);
	assert_price(last[0].price, 112);
	assert_int_equal(last[0].maker, 1);
	assert_int_equal(last[0].type, QD_ORDER_LIMIT);
	assert_int_equal(last[0].fee, paper_units(112 * 0.0002));
	r.price = 109;
	place(p, &r, 0);
	bar(p, 100, 111, 99, 105);
	assert_int_equal(nfills, 2);
	assert_price(last[1].price, 109);
	paper_free(p);
}

/*
 * Trailing sell stop 5 behind the high.  Bar 1 opens 100 (the first best:
 * stop 95), low 97, high 104; bar 2 (stop 99) low 100, high 110; bar 3
 * opens 108, high 120, low 106: the stop of the bars before (105) is
 * checked first and holds, though 120 would have moved it to 115; bar 4
 * opens 116, low 114: fills at the stop 115.  A second one gapped through
 * fills at the lower open.
 */
static void
trailing_stop_follows_the_best_price_then_fills_on_bars(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_SELL, QD_ORDER_TRAILING_STOP, 1, 0,
		0);
	struct paper_order po;
	uint64_t id;

	(void)unused;
	r.trail = 5;
	id = place(p, &r, 0);
	assert_int_equal(paper_get_order(p, id, &po), QD_OK);
	assert_true(po.trail_stop == 0);          /* no price yet */
	bar(p, 100, 104, 97, 103);
	assert_int_equal(paper_get_order(p, id, &po), QD_OK);
	assert_price(po.trail_stop, 99);
	bar(p, 103, 110, 100, 108);
	assert_int_equal(paper_get_order(p, id, &po), QD_OK);
	assert_price(po.trail_stop, 105);
	bar(p, 108, 120, 106, 118);
	assert_int_equal(nfills, 0);
	assert_int_equal(paper_get_order(p, id, &po), QD_OK);
	assert_price(po.trail_stop, 115);
	bar(p, 116, 117, 114, 115);
	assert_int_equal(nfills, 1);
	assert_int_equal(last[0].order_id, id);
	assert_int_equal(last[0].type, QD_ORDER_TRAILING_STOP);
	assert_price(last[0].price, 115);
	assert_int_equal(paper_get_order(p, id, &po), QD_ERR_NOTFOUND);
	place(p, &r, 0);
	bar(p, 100, 110, 100, 110);               /* best 110, stop 105 */
	bar(p, 101, 102, 99, 100);                /* gapped through */
	assert_int_equal(nfills, 2);
	assert_price(last[1].price, 101);
	paper_free(p);
}

/*
 * Trailing buy stop 1 % (100 bps) above the low, with 10 bps slippage:
 * bar 1 opens 100 (stop 101), high 100.5, low 90 (best 90); bar 2 opens
 * 90.5 and reaches 91: the stop 90.9 fills at 90.9 plus slippage.
 */
static void
trailing_stop_in_basis_points_on_bars(void **unused)
{
	struct paper *p = make(0, 0, 10);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_TRAILING_STOP, 1, 0,
		0);

	(void)unused;
	r.trail_bps = 100;
	place(p, &r, 0);
	bar(p, 100, 100.5, 90, 90.2);
	assert_int_equal(nfills, 0);
	bar(p, 90.5, 91, 90.4, 90.6);
	assert_int_equal(nfills, 1);
	assert_price(last[0].price, 90.9 * 1.001);
	paper_free(p);
}

/*
 * On trades: a market order fills at the next trade plus slippage; a stop
 * buy at 100 triggers at 101 and fills there plus slippage; a take profit
 * sell at 110 at the trade 111 (less slippage); all whole whatever the
 * trade's size, taker fee.
 */
static void
market_stop_and_take_profit_fill_whole_at_the_trade(void **unused)
{
	struct paper *p = make(0.001, 0.0002, 10);
	struct qd_order_req m = req(QD_SIDE_BUY, QD_ORDER_MARKET, 2, 0, 0);
	struct qd_order_req s = req(QD_SIDE_BUY, QD_ORDER_STOP, 1, 0, 100);
	struct qd_order_req tp = req(QD_SIDE_SELL, QD_ORDER_TAKE_PROFIT, 1, 0,
		110);

	(void)unused;
	place(p, &m, 0);
	place(p, &s, 0);
	place(p, &tp, 0);
	trade(p, 99, 0.01);
	assert_int_equal(nfills, 1);
	assert_int_equal(last[0].qty, 2 * PAPER_UNIT);
	assert_int_equal(last[0].remaining, 0);
	assert_price(last[0].price, 99 * 1.001);
	assert_int_equal(last[0].ts, 1000);
	assert_int_equal(last[0].fee, paper_units(2 * 99 * 1.001 * 0.001));
	trade(p, 101, 0.01);
	assert_int_equal(nfills, 2);
	assert_price(last[1].price, 101 * 1.001);
	assert_int_equal(last[1].qty, PAPER_UNIT);
	trade(p, 109.9, 5);
	assert_int_equal(nfills, 2);
	trade(p, 111, 5);
	assert_int_equal(nfills, 3);
	assert_price(last[2].price, 111 * 0.999);
	assert_int_equal(last[2].type, QD_ORDER_TAKE_PROFIT);
	assert_true(last[0].fill_id < last[1].fill_id);
	assert_true(last[1].fill_id < last[2].fill_id);
	assert_int_equal(paper_open_orders(p), 0);
	paper_free(p);
}

/*
 * Trailing sell 2 behind on trades: 100 sets the best, 103 moves it, 101.5
 * does not reach 101, 104 moves it (stop 102), 102 fills there.
 */
static void
trailing_stop_follows_trades_then_fills(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_SELL, QD_ORDER_TRAILING_STOP, 1, 0,
		0);
	struct paper_order po;
	uint64_t id;

	(void)unused;
	r.trail = 2;
	id = place(p, &r, 0);
	trade(p, 100, 1);
	trade(p, 103, 1);
	trade(p, 101.5, 1);
	assert_int_equal(nfills, 0);
	trade(p, 104, 1);
	assert_int_equal(paper_get_order(p, id, &po), QD_OK);
	assert_price(po.trail_stop, 102);
	trade(p, 103, 1);
	assert_int_equal(nfills, 0);
	trade(p, 102, 1);
	assert_int_equal(nfills, 1);
	assert_price(last[0].price, 102);
	paper_free(p);
}

/*
 * A stop-limit sell (stop 95, limit 96) and a take-profit-limit buy
 * (trigger 90, limit 91) on trades: triggered by one trade, they fill as
 * limits at their price when a later trade reaches it, maker fee --
 * also after a trade that was skipped as reaching no order.
 */
static void
triggered_limits_fill_at_their_price_on_trades(void **unused)
{
	struct paper *p = make(0.001, 0.0002, 10);
	struct qd_order_req sl = req(QD_SIDE_SELL, QD_ORDER_STOP_LIMIT, 1, 96,
		95);
	struct qd_order_req tpl = req(QD_SIDE_BUY, QD_ORDER_TAKE_PROFIT_LIMIT,
		1, 91, 90);

	(void)unused;
	place(p, &sl, 0);
	trade(p, 97, 1);
	trade(p, 94, 1);                 /* triggers; below the limit */
	assert_int_equal(nfills, 0);
	trade(p, 96.5, 1);
	assert_int_equal(nfills, 1);
	assert_price(last[0].price, 96);
	assert_int_equal(last[0].maker, 1);
	assert_int_equal(last[0].type, QD_ORDER_LIMIT);
	assert_int_equal(last[0].fee, paper_units(96 * 0.0002));
	place(p, &tpl, 0);
	trade(p, 95, 1);
	trade(p, 89, 1);                 /* triggers and reaches 91 */
	assert_int_equal(nfills, 2);
	assert_price(last[1].price, 91);
	paper_free(p);
}

/*
 * Volume is shared in price-time priority: buy limits A 1 at 99 (oldest),
 * B 1 at 100, C 1 at 100 (newest).  A trade of 1.5 at 99 fills B (best
 * price, older than C) whole, C 0.5; A, at the trade's price, gets none.
 * A second trade of 1 at 99 completes C and gives A 0.5.
 */
static void
trade_volume_is_shared_in_price_time_priority(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_LIMIT, 1, 99, 0);
	struct qd_order_update u;
	uint64_t a, b, c;

	(void)unused;
	a = place(p, &r, 0);
	r.price = 100;
	b = place(p, &r, 0);
	c = place(p, &r, 0);
	trade(p, 99, 1.5);
	assert_int_equal(nfills, 2);
	assert_int_equal(last[0].order_id, b);
	assert_int_equal(last[0].qty, PAPER_UNIT);
	assert_int_equal(last[0].remaining, 0);
	assert_int_equal(last[1].order_id, c);
	assert_int_equal(last[1].qty, PAPER_UNIT / 2);
	assert_int_equal(last[1].remaining, PAPER_UNIT / 2);
	paper_fill_update(&last[1], &u);
	assert_int_equal(u.state, QD_ORDER_PARTIAL);
	assert_int_equal(paper_open_orders(p), 2);
	trade(p, 99, 1);
	assert_int_equal(nfills, 4);
	assert_int_equal(last[2].order_id, c);
	assert_int_equal(last[2].qty, PAPER_UNIT / 2);
	assert_int_equal(last[2].remaining, 0);
	assert_int_equal(last[3].order_id, a);
	assert_int_equal(last[3].qty, PAPER_UNIT / 2);
	assert_int_equal(last[3].remaining, PAPER_UNIT / 2);
	assert_int_equal(paper_position(p, 1, NULL), 2 * PAPER_UNIT +
		PAPER_UNIT / 2);
	assert_int_equal(paper_open_orders(p), 1);
	/* Buys and sells each have the trade's whole size: at 98.5, A (0.5
	 * through its price, older) takes 0.3 and a sell 0.25 at 98 (0.5
	 * through too) its 0.25. */
	r = req(QD_SIDE_SELL, QD_ORDER_LIMIT, 0.25, 98, 0);
	place(p, &r, 0);
	trade(p, 98.5, 0.3);
	assert_int_equal(nfills, 6);
	assert_int_equal(last[4].order_id, a);
	assert_int_equal(last[4].qty, 30000000);
	assert_int_equal(last[4].remaining, 20000000);
	assert_int_equal(last[5].side, QD_SIDE_SELL);
	assert_int_equal(last[5].qty, PAPER_UNIT / 4);
	assert_price(last[5].price, 98);
	assert_int_equal(last[5].maker, 1);
	paper_free(p);
}

/*
 * paper_fill_update across fills: 1 bought at 100 from a trade of 0.5
 * (PARTIAL, 0.5 at 100), then the rest in a bar opening through it at 95
 * (FILLED, cumulative 1, average 97.5, this fill 0.5 at 95).
 */
static void
fill_updates_carry_cumulative_quantity_and_average(void **unused)
{
	struct paper *p = make(0, 0.001, 0);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_LIMIT, 1, 100, 0);
	struct qd_order_update u;
	uint64_t id;

	(void)unused;
	id = place(p, &r, 0);
	trade(p, 100, 0.5);
	assert_int_equal(nfills, 1);
	paper_fill_update(&last[0], &u);
	assert_int_equal(u.order_id, id);
	assert_int_equal(u.state, QD_ORDER_PARTIAL);
	assert_true(u.qty == 1.0);
	assert_true(u.filled_qty == 0.5);
	assert_true(u.avg_price == 100.0);
	assert_true(u.last_qty == 0.5);
	assert_true(u.last_price == 100.0);
	assert_true(NEAR(u.fee, 0.05));
	assert_int_equal(u.maker, 1);
	bar(p, 95, 96, 94, 95);
	assert_int_equal(nfills, 2);
	paper_fill_update(&last[1], &u);
	assert_int_equal(u.state, QD_ORDER_FILLED);
	assert_true(u.qty == 1.0);
	assert_true(u.filled_qty == 1.0);
	assert_price(u.avg_price, 97.5);
	assert_true(u.last_qty == 0.5);
	assert_true(u.last_price == 95.0);
	assert_int_equal(last[1].filled, PAPER_UNIT);
	assert_int_equal(last[1].remaining, 0);
	assert_int_equal(paper_cash(p), 10000 * PAPER_UNIT -
		9750000000LL - 9750000LL);
	paper_free(p);
}

/*
 * IOC: a buy of 2 at 100 meets a trade of 0.5 at 99.5: 0.5 fills, 1.5
 * expires (EXPIRED, filled 0.5).  An IOC the first trade does not reach
 * expires whole; so does one on a bar that does not reach it.
 */
static void
ioc_fills_what_it_can_at_once_and_expires_the_rest(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_LIMIT, 2, 100, 0);
	struct qd_order_update u;
	uint64_t id;

	(void)unused;
	r.tif = QD_TIF_IOC;
	id = place(p, &r, 0);
	trade(p, 99.5, 0.5);
	assert_int_equal(nfills, 2);
	assert_int_equal(last[0].qty, PAPER_UNIT / 2);
	assert_int_equal(last[0].expired, 0);
	assert_int_equal(last[1].order_id, id);
	assert_int_equal(last[1].expired, 1);
	assert_int_equal(last[1].qty, 3 * PAPER_UNIT / 2);
	assert_null(last[1].reject);
	paper_fill_update(&last[1], &u);
	assert_int_equal(u.state, QD_ORDER_EXPIRED);
	assert_true(u.filled_qty == 0.5);
	assert_true(u.qty == 2.0);
	assert_int_equal(paper_open_orders(p), 0);
	place(p, &r, 0);
	trade(p, 101, 10);
	assert_int_equal(nfills, 3);
	assert_int_equal(last[2].expired, 1);
	assert_int_equal(last[2].qty, 2 * PAPER_UNIT);
	r.price = 95;
	place(p, &r, 0);
	bar(p, 100, 101, 96, 97);
	assert_int_equal(nfills, 4);
	assert_int_equal(last[3].expired, 1);
	r.price = 97;                    /* reached by the bar: whole */
	place(p, &r, 0);
	bar(p, 100, 101, 96, 97);
	assert_int_equal(nfills, 5);
	assert_int_equal(last[4].expired, 0);
	assert_int_equal(last[4].qty, 2 * PAPER_UNIT);
	assert_int_equal(paper_position(p, 1, NULL), 5 * PAPER_UNIT / 2);
	paper_free(p);
}

/*
 * An IOC stop-limit's chance is the bar that triggers it: sell, stop 95,
 * limit 97.  A bar down to 96 leaves it waiting; a bar 96/96/94 triggers
 * it but its high stays below 97: it expires there.  With limit 95.5 the
 * triggering bar fills it (at its open 96, better than the limit).
 */
static void
ioc_stop_limit_gets_its_chance_when_triggered(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_SELL, QD_ORDER_STOP_LIMIT, 1, 97,
		95);

	(void)unused;
	r.tif = QD_TIF_IOC;
	place(p, &r, 0);
	bar(p, 100, 101, 96, 97);
	assert_int_equal(nfills, 0);
	assert_int_equal(paper_open_orders(p), 1);
	bar(p, 96, 96, 94, 95);
	assert_int_equal(nfills, 1);
	assert_int_equal(last[0].expired, 1);
	assert_int_equal(last[0].type, QD_ORDER_LIMIT);
	assert_int_equal(paper_open_orders(p), 0);
	r.price = 95.5;
	place(p, &r, 0);
	bar(p, 96, 96, 94, 95);
	assert_int_equal(nfills, 2);
	assert_int_equal(last[1].expired, 0);
	assert_price(last[1].price, 96);
	paper_free(p);
}

/*
 * FOK: a buy of 2 at 100 against a trade of 1 expires unfilled; against
 * a trade of 3 it fills whole.  An older order ahead of it takes its share
 * of the trade first: 1 of 3 is left, not enough.
 */
static void
fok_fills_whole_or_expires(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_LIMIT, 2, 100, 0);
	struct qd_order_req ahead = req(QD_SIDE_BUY, QD_ORDER_LIMIT, 2, 100, 0);

	(void)unused;
	r.tif = QD_TIF_FOK;
	place(p, &r, 0);
	trade(p, 99, 1);
	assert_int_equal(nfills, 1);
	assert_int_equal(last[0].expired, 1);
	assert_int_equal(last[0].qty, 2 * PAPER_UNIT);
	assert_int_equal(paper_position(p, 1, NULL), 0);
	place(p, &r, 0);
	trade(p, 99, 3);
	assert_int_equal(nfills, 2);
	assert_int_equal(last[1].expired, 0);
	assert_int_equal(last[1].qty, 2 * PAPER_UNIT);
	place(p, &ahead, 0);
	place(p, &r, 0);
	trade(p, 100, 3);
	assert_int_equal(nfills, 4);
	assert_int_equal(last[2].expired, 0);
	assert_int_equal(last[2].qty, 2 * PAPER_UNIT);
	assert_int_equal(last[3].expired, 1);
	paper_free(p);
}

/*
 * Post-only: accepted while no price is known; then, with the last price
 * 100 (a trade), a buy at 100 or a sell at 100 would take liquidity and
 * is denied, a buy at 99.9 or a sell at 100.1 rests.  The last price also
 * comes from a bar's close.  A post-only market order is malformed.
 */
static void
post_only_is_denied_when_it_would_take_liquidity(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_LIMIT, 1, 100, 0);
	uint64_t id;

	(void)unused;
	r.tif = QD_TIF_POST_ONLY;
	assert_true(paper_last_price(p, 1) == 0);
	id = place(p, &r, 0);
	assert_int_equal(paper_cancel(p, id), QD_OK);
	trade(p, 100, 1);
	assert_true(paper_last_price(p, 1) == 100);
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_DENIED);
	r.price = 99.9;
	place(p, &r, 0);
	r.side = QD_SIDE_SELL;
	r.price = 100;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_DENIED);
	r.price = 100.1;
	place(p, &r, 0);
	bar(p, 100, 100, 90, 90);
	assert_true(paper_last_price(p, 1) == 90);
	r.side = QD_SIDE_BUY;
	r.price = 95;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_DENIED);
	r.type = QD_ORDER_MARKET;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	paper_free(p);
}

/*
 * Latency 5 ms: an order decided at 1 s fills neither in the trade at
 * 1.004 s nor in a bar opening then, but in the trade at 1.005 s.
 */
static void
latency_delays_eligibility(void **unused)
{
	struct paper_config c = { .cash = 10000 * PAPER_UNIT,
		.latency_ns = 5000000 };
	struct paper *p = paper_new(&c);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_MARKET, 1, 0, 0);
	struct qd_bar early = { 1004000000LL, 100, 100, 100, 100, 1 };
	struct paper_order po;
	uint64_t id;

	(void)unused;
	nfills = 0;
	id = place(p, &r, 1000000000LL);
	assert_int_equal(paper_get_order(p, id, &po), QD_OK);
	assert_int_equal(po.eligible_ns, 1005000000LL);
	trade_at(p, 1004999999LL, 100, 1);
	paper_on_bar(p, 1, &early, record, NULL);
	assert_int_equal(nfills, 0);
	trade_at(p, 1005000000LL, 101, 1);
	assert_int_equal(nfills, 1);
	assert_price(last[0].price, 101);
	paper_free(p);
}

static int afford_calls;

/* The ledger's stand-in: refuses every buy above 50 units, saying so. */
static const char *
afford_small(void *arg, const struct paper_fill *f)
{
	afford_calls++;
	assert_ptr_equal(arg, &afford_calls);
	return f->side == QD_SIDE_BUY && f->qty > 50 * PAPER_UNIT ?
		"ledger: too big" : NULL;
}

/*
 * The afford hook replaces the engine's buying power (cash 1000 here): a
 * buy of 90 at 100 is refused with the hook's reason, changing nothing; a
 * buy of 40 at 100 (4000, beyond the engine's cash) fills because the hook
 * says so.  The hook is given the fill's fee.
 */
static void
afford_hook_decides_buying_power(void **unused)
{
	struct paper_config c = { .taker_fee = 0.001,
		.cash = 1000 * PAPER_UNIT, .afford = afford_small,
		.afford_arg = &afford_calls };
	struct paper *p = paper_new(&c);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_MARKET, 90, 0, 0);

	(void)unused;
	nfills = 0;
	afford_calls = 0;
	place(p, &r, 0);
	trade(p, 100, 1);
	assert_int_equal(afford_calls, 1);
	assert_int_equal(nfills, 1);
	assert_string_equal(last[0].reject, "ledger: too big");
	assert_int_equal(last[0].expired, 0);
	assert_int_equal(paper_cash(p), 1000 * PAPER_UNIT);
	/* 40 at 100 is 4000: beyond the engine's cash of 1000, but the
	 * hook decides. */
	r.qty = 40;
	place(p, &r, 0);
	trade(p, 100, 1);
	assert_int_equal(nfills, 2);
	assert_null(last[1].reject);
	assert_int_equal(last[1].fee, 4 * PAPER_UNIT);
	assert_int_equal(paper_position(p, 1, NULL), 40 * PAPER_UNIT);
	paper_free(p);
}

/*
 * A partial fill that cannot be paid ends the order: a buy of 200 at 100
 * with 10000 of cash fills 50 from a first trade (5000), then a trade of
 * 60 (6000 > 5000 left) is refused: the remainder 150 closes with the
 * reason (CANCELED, filled 50).  A first partial fill refused is REJECTED.
 */
static void
rejected_partial_fill_cancels_the_remainder(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_LIMIT, 200, 100, 0);
	struct qd_order_update u;

	(void)unused;
	place(p, &r, 0);
	trade(p, 100, 50);
	assert_int_equal(nfills, 1);
	assert_null(last[0].reject);
	trade(p, 100, 60);
	assert_int_equal(nfills, 2);
	assert_non_null(last[1].reject);
	assert_non_null(strstr(last[1].reject, "insufficient funds"));
	assert_int_equal(last[1].expired, 1);
	assert_int_equal(last[1].qty, 150 * PAPER_UNIT);
	paper_fill_update(&last[1], &u);
	assert_int_equal(u.state, QD_ORDER_CANCELED);
	assert_true(u.filled_qty == 50.0);
	assert_true(u.qty == 200.0);
	assert_non_null(u.reason);
	assert_int_equal(paper_position(p, 1, NULL), 50 * PAPER_UNIT);
	assert_int_equal(paper_cash(p), 5000 * PAPER_UNIT);
	assert_int_equal(paper_open_orders(p), 0);
	place(p, &r, 0);
	trade(p, 100, 60);
	assert_int_equal(nfills, 3);
	assert_int_equal(last[2].expired, 1);
	paper_fill_update(&last[2], &u);
	assert_int_equal(u.state, QD_ORDER_REJECTED);
	assert_true(u.filled_qty == 0);
	paper_free(p);
}

/*
 * A module built for ABI 1.2 passes the struct without trail and the
 * fields after it: accepted, the missing fields zero (what lies beyond
 * its size is not read).  Shorter than that is malformed.  New types'
 * fields are checked.
 */
static void
old_order_size_accepted_new_fields_checked(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_SELL, QD_ORDER_LIMIT, 1, 100, 0);
	uint64_t id;

	(void)unused;
	r.size = (uint32_t)offsetof(struct qd_order_req, trail);
	r.trail = -1;                     /* beyond its size: not read */
	r.trail_bps = -1;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_OK);
	r.type = QD_ORDER_TRAILING_STOP;  /* trail unknown: zero */
	r.trail = 5;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	r.size = (uint32_t)offsetof(struct qd_order_req, trail) - 1;
	r.type = QD_ORDER_LIMIT;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	r = req(QD_SIDE_SELL, QD_ORDER_TRAILING_STOP, 1, 0, 0);
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	r.trail_bps = 25;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_OK);
	r.trail_bps = 0;
	r.trail = -2;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	r = req(QD_SIDE_SELL, QD_ORDER_TAKE_PROFIT, 1, 0, 0);
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	r = req(QD_SIDE_SELL, QD_ORDER_TAKE_PROFIT_LIMIT, 1, 0, 110);
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	r.price = 109;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_OK);
	r = req(QD_SIDE_SELL, QD_ORDER_LIMIT, 1, 100, 0);
	r.tif = (enum qd_tif)9;
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	r = req(QD_SIDE_SELL, (enum qd_order_type)8, 1, 100, 100);
	assert_int_equal(paper_submit(p, &r, 0, &id), QD_ERR_INVALID);
	assert_int_equal(paper_open_orders(p), 3);
	paper_free(p);
}

/*
 * A trade of another symbol touches nothing; a trade reaching no order
 * leaves the book as it was and fills nothing; one order of 1000 at the
 * edge of the book is reached and fills.
 */
static void
trades_only_touch_their_symbol_and_reached_orders(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_LIMIT, 0.001, 0, 0);
	int i;

	(void)unused;
	for (i = 0; i < 1000; i++) {
		r.price = 50 + i * 0.01;          /* 50 .. 59.99 */
		place(p, &r, 0);
	}
	trade_to(p, 2, 1000, 10, 100, record);
	assert_int_equal(nfills, 0);
	assert_true(paper_last_price(p, 2) == 10);
	trade(p, 60, 100);
	trade(p, 70, 100);
	assert_int_equal(nfills, 0);
	trade(p, 59.99, 100);
	assert_int_equal(nfills, 1);
	assert_price(last[0].price, 59.99);
	trade(p, 59.975, 100);
	assert_int_equal(nfills, 2);
	assert_price(last[1].price, 59.98);
	assert_int_equal(paper_open_orders(p), 998);
	paper_free(p);
}

static struct paper *cancel_from;
static uint64_t cancel_id;

/* Records, and on the first fill cancels order cancel_id. */
static void
record_and_cancel(void *arg, const struct paper_fill *f)
{
	record(arg, f);
	if (cancel_id != 0) {
		assert_int_equal(paper_cancel(cancel_from, cancel_id), QD_OK);
		cancel_id = 0;
	}
}

/*
 * A callback may cancel an order of the bar or trade being matched: it
 * does not fill, and the order after it still does.
 */
static void
cancel_from_a_callback_takes_effect_at_once(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_BUY, QD_ORDER_MARKET, 1, 0, 0);
	struct qd_bar b = { 60000000000LL, 100, 100, 100, 100, 1 };
	uint64_t a, c;

	(void)unused;
	place(p, &r, 0);
	cancel_id = place(p, &r, 0);
	c = place(p, &r, 0);
	cancel_from = p;
	paper_on_bar(p, 1, &b, record_and_cancel, NULL);
	assert_int_equal(nfills, 2);
	assert_int_equal(last[1].order_id, c);
	r = req(QD_SIDE_SELL, QD_ORDER_LIMIT, 1, 100, 0);
	a = place(p, &r, 0);
	cancel_id = place(p, &r, 0);
	c = place(p, &r, 0);
	trade_to(p, 1, 1000, 100, 10, record_and_cancel);
	assert_int_equal(nfills, 4);
	assert_int_equal(last[2].order_id, a);
	assert_int_equal(last[3].order_id, c);
	assert_int_equal(paper_open_orders(p), 0);
	paper_free(p);
}

static struct paper *cancel_many_from;

/* Records; on the first fill cancels orders 2, 4, ... 40. */
static void
record_and_cancel_evens(void *arg, const struct paper_fill *f)
{
	uint64_t id;

	record(arg, f);
	if (nfills > 1)
		return;
	for (id = 2; id <= 40; id += 2)
		assert_int_equal(paper_cancel(cancel_many_from, id), QD_OK);
}

/*
 * Many cancels from a callback, during a trade that reaches 40 sells at
 * 100: the first fills, then the callback cancels the even ones; the odd
 * ones fill in time priority, each once.
 */
static void
many_cancels_from_a_callback_leave_the_walk_intact(void **unused)
{
	struct paper *p = make(0, 0, 0);
	struct qd_order_req r = req(QD_SIDE_SELL, QD_ORDER_LIMIT, 1, 100, 0);
	int i;

	(void)unused;
	for (i = 0; i < 40; i++)
		assert_int_equal(place(p, &r, 0), (uint64_t)i + 1);
	cancel_many_from = p;
	trade_to(p, 1, 1000, 100, 100, record_and_cancel_evens);
	assert_int_equal(nfills, 20);
	for (i = 0; i < 20; i++)
		if (last[i].order_id != (uint64_t)(2 * i + 1))
			fail_msg("fill %d is of order %llu, expected %d", i,
				(unsigned long long)last[i].order_id, 2 * i + 1);
	assert_int_equal(paper_open_orders(p), 0);
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
		cmocka_unit_test(take_profit_fills_at_its_price_or_the_better_open_on_bars),
		cmocka_unit_test(take_profit_limit_is_a_limit_once_triggered_on_bars),
		cmocka_unit_test(trailing_stop_follows_the_best_price_then_fills_on_bars),
		cmocka_unit_test(trailing_stop_in_basis_points_on_bars),
		cmocka_unit_test(market_stop_and_take_profit_fill_whole_at_the_trade),
		cmocka_unit_test(trailing_stop_follows_trades_then_fills),
		cmocka_unit_test(triggered_limits_fill_at_their_price_on_trades),
		cmocka_unit_test(trade_volume_is_shared_in_price_time_priority),
		cmocka_unit_test(fill_updates_carry_cumulative_quantity_and_average),
		cmocka_unit_test(ioc_fills_what_it_can_at_once_and_expires_the_rest),
		cmocka_unit_test(ioc_stop_limit_gets_its_chance_when_triggered),
		cmocka_unit_test(fok_fills_whole_or_expires),
		cmocka_unit_test(post_only_is_denied_when_it_would_take_liquidity),
		cmocka_unit_test(latency_delays_eligibility),
		cmocka_unit_test(afford_hook_decides_buying_power),
		cmocka_unit_test(rejected_partial_fill_cancels_the_remainder),
		cmocka_unit_test(old_order_size_accepted_new_fields_checked),
		cmocka_unit_test(trades_only_touch_their_symbol_and_reached_orders),
		cmocka_unit_test(cancel_from_a_callback_takes_effect_at_once),
		cmocka_unit_test(many_cancels_from_a_callback_leave_the_walk_intact),
	};

	return cmocka_run_group_tests_name("paper", tests, NULL, NULL);
}
