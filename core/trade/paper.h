/*
 * paper -- the matching engine shared by backtests and paper trading.
 *
 * Orders wait until the next bar of their symbol and fill inside it:
 *   - market: at that bar's open, plus slippage against the order;
 *   - limit buy/sell: when the bar's low/high reaches the price, at the
 *     price, or at the open if the bar opens through it (better price);
 *   - stop buy/sell: when the high/low reaches the stop, at the stop, or at
 *     the open if it gaps through (worse price), plus slippage;
 *   - within one bar, stop orders are matched before limit orders: when a
 *     bar could have hit both a stop-loss and a take-profit, the adverse one
 *     is assumed to have happened first (the conservative path).
 * Fees are charged per fill on notional: taker rate for market and stop
 * orders, maker rate for limits.  A reduce-only order fills at most the
 * position it reduces, and nothing when there is none.
 *
 * Buying power, checked at the fill (the price is known then): a buy that
 * adds to a long position must leave cash >= 0, fee included; a sell that
 * opens or adds to a short must leave the short's notional within the
 * account's equity (1x, no leverage).  Closing or reducing a position is
 * always allowed.  An order that fails is rejected whole, with the reason
 * (paper_fill.reject), and changes nothing.
 *
 * Money is fixed-point: cash, fees and P&L in 1e-8 units of the quote
 * currency (int64), quantities in 1e-8 units; sums reconcile exactly.
 */
#ifndef QD_PAPER_H
#define QD_PAPER_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

#define PAPER_UNIT 100000000LL   /* 1e-8 */

struct paper_config {
	double taker_fee;      /* e.g. 0.001 */
	double maker_fee;
	double slippage_bps;   /* against the order, market and stop fills */
	int64_t cash;          /* starting cash, 1e-8 units */
};

struct paper_fill {
	uint64_t order_id;
	qd_symbol symbol;
	enum qd_side side;
	enum qd_order_type type;
	int64_t ts;            /* the bar's open time */
	int64_t qty;           /* 1e-8 units */
	double price;
	int64_t fee;           /* 1e-8 units */
	/** NULL for a fill; else the order was rejected at this bar (qty
	 *  is what it asked for, nothing was applied) and this says why
	 *  (the engine's, valid until its next paper_on_bar). */
	const char *reject;
};

struct paper;

struct paper *paper_new(const struct paper_config *cfg);
void paper_free(struct paper *p);

/**
 * Queue an order decided at `placed_ns`: it can fill in bars that open at
 * or after that time (an order placed at a bar's close, or while that bar's
 * fills are reported, waits for the next bar).
 */
int paper_submit(struct paper *p, const struct qd_order_req *req,
	int64_t placed_ns, uint64_t *id);
int paper_cancel(struct paper *p, uint64_t id);
/** Cancel every pending order; returns how many there were. */
size_t paper_cancel_all(struct paper *p);

/**
 * Match the symbol's pending orders against `bar` and apply the fills.
 * Calls fn(arg, fill) for each fill, in matching order.
 */
void paper_on_bar(struct paper *p, qd_symbol sym, const struct qd_bar *bar,
	void (*fn)(void *arg, const struct paper_fill *f), void *arg);

/** The strategy's view of a fill: FILLED with its price and fee, or
 *  REJECTED with the reason (valid as long as f->reject is). */
void paper_fill_update(const struct paper_fill *f, struct qd_order_update *u);

/** Position in 1e-8 units (signed) and its average entry price. */
int64_t paper_position(const struct paper *p, qd_symbol sym, double *avg);
int64_t paper_cash(const struct paper *p);
int64_t paper_fees(const struct paper *p);
/** Cash plus positions marked at `marks` (indexed by symbol id). */
int64_t paper_equity(const struct paper *p, const double *marks,
	size_t n_marks);
/** Pending orders. */
size_t paper_open_orders(const struct paper *p);

/** Quantity in 1e-8 units from a double (rounded). */
int64_t paper_units(double x);

#endif
