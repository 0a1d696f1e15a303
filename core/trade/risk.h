/*
 * risk -- the risk engine: pre-trade checks and continuous limits.
 *
 * Limits are set per scope: global (id ""), an account, or a strategy
 * instance.  An order is checked against every scope it belongs to
 * (global, then its account, then its instance) and refused by the first
 * rule it breaks.  Continuous rules watch prices, positions, equity and
 * closed trades and, when one is breached, report an event whose
 * `actions` the caller carries out (the OMS: halt new entries, cancel the
 * scope's open orders, close its positions at market, notify).
 *
 * Every decision -- a refused order, a breach, a halt and its end -- goes
 * to the log sink with its rule and a reason a person can read; the
 * caller persists it (the risk log).
 *
 * Amounts are in the quote currency as doubles (limits are configuration,
 * not money movements); the ledger keeps the money itself exact.
 *
 * Calendar windows (daily, weekly, monthly loss limits) start at midnight
 * of the scope's time zone (`utc_offset_min`, UTC by default); weeks start
 * on Monday.  A window's loss is the equity at the window's first
 * observation minus the equity now.  A halt from a loss limit ends when
 * its window ends; one from drawdown, consecutive losses, account stop
 * loss/take profit or an emergency lasts until risk_resume(); one from the
 * circuit breaker lasts `circuit_halt_s` for that symbol.
 *
 * Core thread only.  Time is ns since the epoch, passed in (so tests and
 * backtests drive it).
 */
#ifndef QD_TRADE_RISK_H
#define QD_TRADE_RISK_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

enum risk_scope {
	RISK_SCOPE_GLOBAL = 0,
	RISK_SCOPE_ACCOUNT = 1,
	RISK_SCOPE_INSTANCE = 2,
};
#define RISK_N_SCOPES 3

enum risk_action {
	RISK_REFUSE = 1u << 0,  /**< refuse the order being checked */
	RISK_HALT = 1u << 1,    /**< refuse new entries (reduce-only passes) */
	RISK_CANCEL = 1u << 2,  /**< cancel the scope's open orders */
	RISK_CLOSE = 1u << 3,   /**< close positions at market (`symbol`, or
	                             all of the scope's when NULL) */
	RISK_NOTIFY = 1u << 4,  /**< tell the user (a bus event) */
	RISK_RESUME = 1u << 5,  /**< a halt ended */
};

/** Limits of one scope; 0 turns a rule off. */
struct risk_limits {
	/* pre-trade */
	double max_order_notional;     /**< qty x price of one order */
	double max_position_notional;  /**< |position after the order| x price */
	double max_exposure;           /**< sum of |positions| x marks after */
	int max_open_orders;
	double price_band_pct;         /**< order price within +-pct of last */
	int max_orders;                /**< at most this many orders ... */
	int order_window_s;            /**< ... per this many seconds */
	/* per position */
	double stop_loss_pct;          /**< loss vs entry, percent */
	double take_profit_pct;
	double stop_loss_abs;          /**< unrealized loss, quote */
	double take_profit_abs;
	double trailing_stop_pct;      /**< retreat from the best price seen */
	/* per scope (equity) */
	double account_stop_loss_pct;  /**< equity below its first value */
	double account_take_profit_pct;
	double account_stop_loss_abs;
	double account_take_profit_abs;
	double daily_loss;             /**< quote */
	double weekly_loss;
	double monthly_loss;
	double daily_loss_pct;         /**< of the window's starting equity */
	double weekly_loss_pct;
	double monthly_loss_pct;
	double max_drawdown_pct;       /**< from peak equity */
	int max_consecutive_losses;
	/* market */
	double circuit_move_pct;       /**< a move of this much ... */
	int circuit_window_s;          /**< ... within this many seconds */
	int circuit_halt_s;            /**< halts entries in the symbol */
	/* calendar */
	int utc_offset_min;            /**< time zone of the windows */
};

/** An order to check (strings are the caller's). */
struct risk_order {
	const char *instance;     /**< "" when not from an instance */
	const char *account;
	const char *symbol;
	enum qd_side side;
	double qty;               /**< > 0 */
	double price;             /**< limit/stop price, or the expected fill */
	int reduce_only;          /**< it only reduces a position */
	int64_t now;
};

/** What a scope holds before the order (the caller knows; per scope). */
struct risk_exposure {
	double position_qty;      /**< signed, in the order's symbol */
	double gross_exposure;    /**< sum of |qty| x mark over symbols */
	int open_orders;
};

/** A decision or breach, as the log sink and the action callback see it. */
struct risk_event {
	int64_t ts;               /**< ns */
	enum risk_scope scope;
	const char *scope_id;     /**< "" for global */
	const char *rule;         /**< "max_order_notional", "daily_loss", ... */
	const char *symbol;       /**< the symbol concerned, or NULL */
	unsigned actions;         /**< enum risk_action */
	const char *reason;       /**< one line */
	uint64_t order_id;        /**< the order refused, or 0 */
};

struct risk;

/**
 * A new engine.  `act` receives breaches (actions to carry out), `log`
 * every decision, refusals included; either may be NULL.
 */
struct risk *risk_new(void (*act)(void *arg, const struct risk_event *e),
	void (*log)(void *arg, const struct risk_event *e), void *arg);
void risk_free(struct risk *r);

/** Set (or replace, at run time) a scope's limits. */
int risk_set_limits(struct risk *r, enum risk_scope scope, const char *id,
	const struct risk_limits *l);
/** A scope's limits (zeros when none set): QD_OK or QD_ERR_NOTFOUND. */
int risk_get_limits(const struct risk *r, enum risk_scope scope,
	const char *id, struct risk_limits *out);

/**
 * Pre-trade: QD_OK, or QD_ERR_DENIED with the refusing rule in *out (its
 * strings valid until the next call) and the refusal logged.  `ex` holds
 * the exposure of the global, account and instance scopes (indexed by
 * enum risk_scope); `last` is the symbol's last price (0: unknown, the
 * price band is then not checked).  Counts the order for the rate rule
 * when it passes.
 */
int risk_pre_trade(struct risk *r, const struct risk_order *o,
	const struct risk_exposure ex[RISK_N_SCOPES], double last,
	uint64_t order_id, struct risk_event *out);

/** A trade price of `symbol`: the circuit breaker. */
void risk_on_price(struct risk *r, const char *symbol, double price,
	int64_t now);

/**
 * A position of a scope at a new mark: stop loss, take profit and
 * trailing stop of that position.  qty 0 forgets it (and its trail).
 */
void risk_on_position(struct risk *r, enum risk_scope scope, const char *id,
	const char *symbol, double qty, double avg_entry, double mark,
	int64_t now);

/**
 * The prices at which the scope's position rules would close a position
 * of qty at avg_entry: *sl the nearest of stop_loss_pct, stop_loss_abs
 * and the trailing stop (from the best price seen this episode), *tp the
 * nearest of take_profit_pct and take_profit_abs; 0 where no rule is set.
 * QD_OK when either is set, QD_ERR_NOTFOUND when neither (or no position).
 */
int risk_position_levels(const struct risk *r, enum risk_scope scope,
	const char *id, const char *symbol, double qty, double avg_entry,
	double *sl, double *tp);

/** A scope's equity now: account stop/take, loss windows, drawdown. */
void risk_on_equity(struct risk *r, enum risk_scope scope, const char *id,
	double equity, int64_t now);

/** A round trip closed with this realized P&L (after fees). */
void risk_on_closed_trade(struct risk *r, enum risk_scope scope,
	const char *id, double pnl, int64_t now);

/** Whether new entries are halted in the scope (or for the symbol by the
 *  circuit breaker; symbol may be NULL), with the reason. */
int risk_halted(const struct risk *r, enum risk_scope scope, const char *id,
	const char *symbol, int64_t now, const char **reason);
/** Halt a scope by hand (emergency close): logged, lasts until resume. */
void risk_halt(struct risk *r, enum risk_scope scope, const char *id,
	const char *reason, int64_t now);
/** Lift a scope's halt; QD_ERR_NOTFOUND when it was not halted. */
int risk_resume(struct risk *r, enum risk_scope scope, const char *id,
	int64_t now);

/** What a scope's continuous rules remember, to survive a restart. */
struct risk_state {
	double first_equity;      /**< for account stop loss/take profit */
	double peak_equity;
	double day_start, week_start, month_start;   /**< equity */
	int64_t day_key, week_key, month_key;        /**< window ids */
	int consecutive_losses;
	int halted;
	int64_t halt_until;       /**< ns, 0: until resumed */
	char halt_rule[48];
	char halt_reason[200];
};

/** fn for every scope with state; fn returns non-zero to stop. */
void risk_each_state(const struct risk *r,
	int (*fn)(void *arg, enum risk_scope scope, const char *id,
	const struct risk_state *s), void *arg);
/** Restore a scope's state (at start, before any event). */
int risk_restore(struct risk *r, enum risk_scope scope, const char *id,
	const struct risk_state *s);

#endif
