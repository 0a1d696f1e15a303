/*
 * paper -- the matching engine shared by backtests and paper trading.
 *
 * Orders fill in the bars or the trades of their symbol that come at or
 * after the order's decision time plus the configured latency ("eligible").
 *
 * On BARS (paper_on_bar), an order fills whole inside the bar:
 *   - market: at that bar's open, plus slippage against the order;
 *   - limit buy/sell: when the bar's low/high reaches the price, at the
 *     price, or at the open if the bar opens through it (better price);
 *   - stop buy/sell: when the high/low reaches the stop, at the stop, or at
 *     the open if it gaps through (worse price), plus slippage;
 *   - take profit sell/buy: when the high/low reaches `stop_price`, at it,
 *     or at the open if the bar opens beyond it (better price), plus
 *     slippage;
 *   - trailing stop: its stop is the best price since it became eligible
 *     (highest for a sell, lowest for a buy) less/plus the distance
 *     (`trail`, or `trail_bps` / 1e4 x that best price).  The best starts
 *     at the open of the first bar the order sees.  In each bar the stop
 *     computed from the bars before is checked first against this bar's
 *     low/high (the adverse move first); it fills as a stop (at the stop,
 *     or the open if the bar gaps through, plus slippage); if not hit, the
 *     bar's high/low then moves the best;
 *   - stop-limit / take-profit-limit: triggered as a stop / take profit
 *     is, then a limit at `price` from that same bar on;
 *   - within one bar, market, stop, take-profit and trailing orders (pass
 *     0, in placement order) are matched before limit orders (pass 1, in
 *     placement order): when a bar could have hit both a stop-loss and a
 *     take-profit limit, the adverse one is assumed first (conservative).
 *
 * On TRADES (paper_on_trade), at the trade's price `px`:
 *   - market orders fill whole at px plus slippage;
 *   - stops (buy px >= stop, sell px <= stop), take profits (sell
 *     px >= stop_price, buy px <= stop_price) and trailing stops (the
 *     first trade seen sets the best; px at or through best -/+ distance)
 *     trigger on the trade and fill whole at px plus slippage; a stop- or
 *     take-profit-limit is triggered and becomes a limit at once (which
 *     the same trade may fill);
 *   - these are matched first (pass 0, placement order), then limits
 *     (pass 1): a limit buy (sell) is reached when px <= (>=) its price and
 *     fills at its price, PARTIALLY: the trade's quantity is the volume
 *     available, shared by the limits it reaches in price-time priority
 *     (the price furthest through px first, then the older order); what
 *     one order took is not there for the next.  Buys and sells each have
 *     the trade's whole quantity.  An order still partly open stays open.
 *   - orders at a trade's price are reached (no queue position is kept).
 *
 * Time in force applies to the quantity a limit can take (market, stop,
 * take-profit and trailing orders always fill whole, so are unaffected):
 *   - GTC: open until filled or cancelled;
 *   - IOC: a limit fills what it can at its first opportunity -- the first
 *     eligible bar or trade, or for a stop-/take-profit-limit the one that
 *     triggers it -- and the rest expires;
 *   - FOK: at that first opportunity the whole open quantity must be
 *     available (a bar always has it; on a trade, what is left of the
 *     trade's quantity after the orders before it) or nothing fills and
 *     the order expires;
 *   - POST_ONLY: a LIMIT buy priced at or above the symbol's last price
 *     (a sell at or below it) would take liquidity: paper_submit refuses it
 *     with QD_ERR_DENIED.  The last price is the last trade's or the last
 *     bar's close; with none yet the order is accepted.  It then rests as
 *     GTC.  POST_ONLY is only for LIMIT, STOP_LIMIT and TAKE_PROFIT_LIMIT
 *     (QD_ERR_INVALID otherwise; the triggered limit is not checked).
 *
 * Fees are charged per fill on notional: taker rate for market, stop,
 * take-profit and trailing orders, maker rate for limits (including
 * triggered stop- and take-profit-limits).  A reduce-only order fills at
 * most the position it reduces (what is left of it is then dropped), and
 * when there is none it is dropped without a fill or a report (as it
 * always was; paper_get_order no longer finds it).
 *
 * Buying power, checked at each fill (the price is known then): a buy that
 * adds to a long position must leave cash >= 0, fee included; a sell that
 * opens or adds to a short must leave the short's notional within the
 * account's equity (1x, no leverage).  Closing or reducing a position is
 * always allowed.  The config's `afford` hook, when set, decides instead.
 * A fill that fails changes nothing, carries the reason (paper_fill.reject)
 * and ends the order: an order's first fill for its whole quantity is
 * reported as rejected (as it always was); any other (a partial one, or
 * after earlier fills) cancels the order's remainder, reported with
 * `expired` set and the reason.
 *
 * Money is fixed-point: cash, fees and P&L in 1e-8 units of the quote
 * currency (int64), quantities in 1e-8 units; sums reconcile exactly.
 * Core thread only.  Callbacks may submit and cancel orders (a cancel
 * takes effect at once; an order submitted during matching is not matched
 * by the bar or trade being matched); paper_on_bar and paper_on_trade
 * called from a callback of the same engine do nothing.
 */
#ifndef QD_PAPER_H
#define QD_PAPER_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

#define PAPER_UNIT 100000000LL   /* 1e-8 */

struct paper_fill;

struct paper_config {
	double taker_fee;      /* e.g. 0.001 */
	double maker_fee;
	double slippage_bps;   /* against the order: market, stop, take-profit
	                          and trailing fills */
	int64_t cash;          /* starting cash, 1e-8 units */
	int64_t latency_ns;    /* an order is eligible from placed + this */
	/** Buying power, when set, instead of the engine's own check: NULL
	 *  if the account can take fill `f` (its fee is set), else the
	 *  reason (the hook's; valid until the fill's callback returns). */
	const char *(*afford)(void *arg, const struct paper_fill *f);
	void *afford_arg;
	/** 1: a reduce-only order with nothing to reduce is reported (as
	 *  expired, with the reason) instead of dropped silently -- what an
	 *  order management system above needs; backtests keep 0. */
	int report_drops;
};

/**
 * One event of one order, as fn of paper_on_bar/paper_on_trade gets it:
 *   - a fill: reject NULL, expired 0, qty > 0 at price;
 *   - a rejected fill: reject set, expired 0: the order's first fill, for
 *     all of it, could not be paid; nothing was applied, the order is gone;
 *   - the end of an order without a fill: expired 1, qty is the remainder
 *     that closed; reject NULL when its time in force ran out, else the
 *     reason a fill of it could not be paid (nothing was applied).
 */
struct paper_fill {
	uint64_t order_id;
	qd_symbol symbol;
	enum qd_side side;
	enum qd_order_type type;  /* LIMIT for a triggered stop-/take-profit-
	                             limit */
	int64_t ts;            /* the bar's open time, or the trade's time */
	int64_t qty;           /* 1e-8 units */
	double price;
	int64_t fee;           /* 1e-8 units */
	/** NULL for a fill; else the reason it was refused (the engine's,
	 *  valid until its next paper_on_bar or paper_on_trade, or the
	 *  afford hook's). */
	const char *reject;
	/* --- appended --- */
	int64_t remaining;     /* still open after this event, 1e-8 units */
	uint64_t fill_id;      /* the simulated venue's trade id: 1, 2, ...
	                          over the engine's fills; 0 if no fill */
	int maker;             /* a limit's fill: maker fee */
	int expired;           /* see above */
	int64_t filled;        /* the order's filled quantity so far, this
	                          fill included, 1e-8 units */
	double avg_price;      /* the order's average fill price so far */
};

/** An open order, as paper_get_order reports it. */
struct paper_order {
	uint64_t id;
	qd_symbol symbol;
	enum qd_side side;
	enum qd_order_type type;
	enum qd_tif tif;
	int64_t qty;           /* open, 1e-8 units */
	int64_t filled;        /* filled so far, 1e-8 units */
	double avg_price;      /* of the fills so far, 0 without */
	double price, stop_price;
	int triggered;         /* stop-/take-profit-limit now a limit */
	double trail_stop;     /* trailing: the stop now, 0 before a price */
	int64_t eligible_ns;   /* placed + latency */
};

struct paper;

/** A new engine with `cfg` (copied); NULL when out of memory. */
struct paper *paper_new(const struct paper_config *cfg);
void paper_free(struct paper *p);

/**
 * Queue an order decided at `placed_ns`: it can fill in bars that open at
 * or after placed_ns + latency, and in trades from that time (an order
 * placed at a bar's close, or while that bar's fills are reported, waits
 * for the next bar).  `req` may be as short as offsetof(struct
 * qd_order_req, trail) (modules built for ABI 1.2 and before): the fields
 * it lacks count as zero.  QD_OK and *id; QD_ERR_INVALID for a malformed
 * order (stop_price > 0 for stops and take profits, price > 0 for the
 * limit kinds, trail > 0 or 0 < trail_bps < 10000 for a trailing stop);
 * QD_ERR_DENIED for a POST_ONLY limit that would take liquidity;
 * QD_ERR_NOMEM.
 */
int paper_submit(struct paper *p, const struct qd_order_req *req,
	int64_t placed_ns, uint64_t *id);
/** Cancel an open order (no callback): QD_OK or QD_ERR_NOTFOUND. */
int paper_cancel(struct paper *p, uint64_t id);
/** Cancel every open order; returns how many there were. */
size_t paper_cancel_all(struct paper *p);

/**
 * Match the symbol's open orders against `bar` and apply the fills (rules
 * above).  Calls fn(arg, fill) for each fill or end of an order, in
 * matching order.  The bar's close becomes the symbol's last price.
 */
void paper_on_bar(struct paper *p, qd_symbol sym, const struct qd_bar *bar,
	void (*fn)(void *arg, const struct paper_fill *f), void *arg);

/**
 * Match the open orders of t->symbol against the trade (rules above) and
 * apply the fills, calling fn as paper_on_bar does.  The trade's price
 * becomes the symbol's last price and marks its position.  A symbol
 * without open orders costs O(1), as does a trade that reaches none of
 * its orders (most trades) -- else O(its open orders).  A trade without a
 * finite positive price is ignored.
 */
void paper_on_trade(struct paper *p, const struct qd_trade_event *t,
	void (*fn)(void *arg, const struct paper_fill *f), void *arg);

/**
 * The strategy's view of a paper_fill: PARTIAL or FILLED (filled_qty and
 * avg_price over the order's fills so far, last_qty/last_price/fee this
 * fill's, maker), REJECTED (a rejected first fill; or an order closed by a
 * rejected fill before anything filled) or CANCELED (the same after
 * earlier fills) with the reason, EXPIRED (time in force).  `qty` is the
 * order's quantity: filled plus still open (or closed).  Strings are f's.
 */
void paper_fill_update(const struct paper_fill *f, struct qd_order_update *u);

/** The open order `id` into *out: QD_OK or QD_ERR_NOTFOUND. */
int paper_get_order(const struct paper *p, uint64_t id,
	struct paper_order *out);
/** The symbol's last price (last trade or bar close), 0 when none yet. */
double paper_last_price(const struct paper *p, qd_symbol sym);

/** Position in 1e-8 units (signed) and its average entry price. */
int64_t paper_position(const struct paper *p, qd_symbol sym, double *avg);
/** Set a position (1e-8 units, signed) and its average entry: the books
 *  of an account restored after a restart, for reduce-only orders. */
int paper_set_position(struct paper *p, qd_symbol sym, int64_t qty,
	double avg);
int64_t paper_cash(const struct paper *p);
int64_t paper_fees(const struct paper *p);
/** Cash plus positions marked at `marks` (indexed by symbol id). */
int64_t paper_equity(const struct paper *p, const double *marks,
	size_t n_marks);
/** Open orders. */
size_t paper_open_orders(const struct paper *p);

/** Quantity in 1e-8 units from a double (rounded). */
int64_t paper_units(double x);

#endif
