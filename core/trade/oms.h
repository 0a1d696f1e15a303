/*
 * oms -- order management: every order of every account, from intent to
 * its last fill, and the books (ledger, positions, risk) it moves.
 *
 * Flow of an order (ARCHITECTURE.md section 7):
 *   strategy intent -> rounding to the instrument (tick, lot, minimum
 *   notional) -> pre-trade risk -> buying power (what the account holds
 *   minus what its open orders already commit) -> CREATED, written to the
 *   journal -> once the journal says it is durable, handed to its venue
 *   (the account's paper engine, or an exchange instance) -> PENDING ->
 *   PARTIAL ... FILLED | CANCELED | REJECTED | EXPIRED.
 *
 * Every state change is checked against the state machine
 * (oms_transition_ok) and journalled; an update that would move an order
 * backwards (a late acknowledgement after a fill) is stale and ignored, one
 * that is impossible (a fill after CANCELED) is logged and ignored.  A fill
 * is applied once: by (order, venue trade id).  Fills post to the ledger
 * (double entry, fixed point), move the position, and feed the risk
 * engine; its breaches are carried out here (halt, cancel, close at market,
 * notify) and written to the risk log.
 *
 * Emulated by the host on every venue: one-cancels-the-other pairs and
 * brackets (an entry whose every fill gets a reduce-only stop loss and take
 * profit pair for the filled quantity, the two one-cancels-the-other).
 * The paper engine matches every order type itself; live venues lacking a
 * type get it emulated (exchange issue).
 *
 * Quantities and money are int64 counts of 1e-8 (PAPER_UNIT) units.
 * Core thread only.
 */
#ifndef QD_TRADE_OMS_H
#define QD_TRADE_OMS_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

#include "trade/risk.h"

struct oms;
struct ledger;
struct journal;
struct store;

/** What the OMS needs from its host. */
struct oms_hooks {
	void *arg;
	/** An order of `instance` changed: its strategy's on_order and the
	 *  bus.  The update's strings are valid for the call. */
	void (*on_update)(void *arg, const char *instance,
		const struct qd_order_update *u);
	/** A risk decision (already in the risk log): notifications. */
	void (*on_risk)(void *arg, const struct risk_event *e);
	/** A symbol's trading rules at `venue`, as doubles (0: unknown);
	 *  QD_OK or QD_ERR_NOTFOUND.  May be NULL. */
	int (*instrument)(void *arg, const char *venue, const char *instance,
		qd_symbol sym,
		double *tick, double *lot, double *min_notional,
		double *min_qty);
	/** Live venues: hand an order / a cancel to exchange instance
	 *  `venue`.  NULL: paper only. */
	int (*venue_place)(void *arg, const char *venue, uint64_t id,
		const char *client_id, const struct qd_order_req *r);
	int (*venue_cancel)(void *arg, const char *venue, uint64_t id,
		const char *client_id);
	int (*venue_query)(void *arg, const char *venue, uint64_t id,
		const char *client_id);
	/** Live venues: reconcile (balances, open orders, fills) once the
	 *  restored orders are back with their venues.  May be NULL. */
	int (*venue_sync)(void *arg, const char *venue);
	/** Live venues: cancel every open order there (an emergency close
	 *  of everything).  May be NULL. */
	int (*venue_cancel_all)(void *arg, const char *venue);
};

/** An account and, for paper, its simulated venue. */
struct oms_account_cfg {
	const char *id;            /**< "paper:<instance>" by default */
	const char *owner;         /**< user, or "" */
	const char *instance;      /**< the strategy instance, or "" */
	const char *venue;         /**< "paper" or an exchange instance */
	const char *feed;          /**< paper: the exchange instance whose
	                                trades and bars it matches against
	                                (NULL or "": any) */
	const char *quote;         /**< NULL: the quote of its first order */
	double balance;            /**< paper: initial quote balance */
	int margin;                /**< shorts allowed (1x equity) */
	double maker_fee;          /**< paper: rates, e.g. 0.001 */
	double taker_fee;
	double slippage_bps;
	int64_t latency_ns;        /**< paper: order eligible after this */
};

struct oms_config {
	double kelly_cap;          /**< size_order's Kelly cap (0: 0.25) */
};

struct oms *oms_new(const struct oms_config *c, const struct oms_hooks *h,
	struct journal *j);
void oms_free(struct oms *o);

struct ledger *oms_ledger(struct oms *o);
struct risk *oms_risk(struct oms *o);

/** Open (or find) an account; QD_OK, or an error with `why`. */
int oms_account_open(struct oms *o, const struct oms_account_cfg *c,
	int64_t now, char *why, size_t cap);
/** The id of instance `instance`'s account, or NULL. */
const char *oms_account_of(const struct oms *o, const char *instance);

/**
 * Submit an order of `instance` into its account.  QD_OK and *id; or
 * QD_ERR_INVALID (malformed, or below the instrument's minimums after
 * rounding), QD_ERR_DENIED (risk or buying power; the reason in `why`,
 * and a REJECTED update is NOT sent: the caller returns the refusal),
 * QD_ERR_STATE (a live venue whose instrument list -- tick, lot,
 * minimums -- has not named the symbol yet), QD_ERR_NOTFOUND (no
 * account).
 */
int oms_submit(struct oms *o, const char *instance,
	const struct qd_order_req *r, int64_t now, uint64_t *id, char *why,
	size_t cap);
/** Cancel an open order (of `instance` when not NULL). */
int oms_cancel(struct oms *o, const char *instance, uint64_t id,
	const char *reason, int64_t now);

/** Scope of a bulk action: everything, one account, or one instance. */
struct oms_scope {
	const char *account;       /**< NULL: any */
	const char *instance;      /**< NULL: any */
};

/** What an emergency close did. */
struct oms_close_report {
	size_t orders_canceled;
	size_t positions_closed;   /**< close orders sent */
	size_t accounts;
};

/** Cancel every open order in scope; returns how many. */
size_t oms_cancel_all(struct oms *o, const struct oms_scope *s,
	const char *reason, int64_t now);
/**
 * Emergency close: halt the scope's entries, cancel every open order in
 * scope first, then close `ratio` (0 < ratio <= 1) of every position at
 * market (reduce-only).  Idempotent: a second call while the first one's
 * closes are working sends nothing new.  Logs and risk-logs what it did.
 */
int oms_emergency_close(struct oms *o, const struct oms_scope *s,
	double ratio, const char *why, int64_t now,
	struct oms_close_report *out);

/** A live trade: paper matching, marks, the circuit breaker, stops. */
void oms_on_trade(struct oms *o, const char *source,
	const struct qd_trade_event *t);
/** A closed bar of the symbol's smallest timeframe: paper matching for
 *  symbols without trades, marks. */
void oms_on_bar(struct oms *o, const char *source, qd_symbol sym,
	const struct qd_bar *b);
/** An exchange instance reported an update of order u->order_id. */
void oms_on_venue_update(struct oms *o, const char *venue,
	const struct qd_order_update *u, int64_t now);
/**
 * An exchange instance reported its balance of one asset.  The one live
 * account trading through it (none when several share the venue: each
 * keeps its configured allocation) has its ledger brought to the venue's
 * figure -- an "adjust" transaction against external:deposits -- while it
 * has no open orders (a fill the figure includes may still be on its way
 * otherwise); b->last ends a snapshot, and assets it did not name go to
 * zero.
 */
void oms_on_venue_balance(struct oms *o, const char *venue,
	const struct qd_balance *b, int64_t now);
/** Periodic work: journal acknowledgements, expiry, equity rules. */
void oms_tick(struct oms *o, int64_t now);

/** The journal made everything up to `seq` durable. */
void oms_durable(struct oms *o, uint64_t seq, int64_t now);

/* ---- what strategies see (their own only) --------------------------------- */

int oms_position(struct oms *o, const char *instance, qd_symbol sym,
	struct qd_position *out);
int oms_account_info(struct oms *o, const char *instance,
	struct qd_account *out);
int oms_order_get(struct oms *o, const char *instance, uint64_t id,
	struct qd_order_update *out);
/** The prices an order waits on, for charts and order lists. */
struct oms_order_levels {
	double trigger;   /* a stop's or take profit's stop_price, a trailing
	                     stop's level now (0 before a price is seen);
	                     0: none */
	double sl_price;  /* an entry's bracket: its children's stop loss */
	double tp_price;  /*   and take profit (0: none) */
};
/** `id`'s levels (any instance's): QD_OK or QD_ERR_NOTFOUND. */
int oms_order_levels(struct oms *o, uint64_t id, struct oms_order_levels *out);
/** "market", "limit", ... "trailing_stop" (the API's names), "?" if none. */
const char *oms_type_name(int type);

/** Open order ids of the instance; returns how many there are. */
size_t oms_open_orders(struct oms *o, const char *instance, uint64_t *ids,
	size_t cap);
int oms_size_order(struct oms *o, const char *instance, qd_symbol sym,
	int method, double value, double price, double stop_distance,
	double *qty);

/* ---- restart ------------------------------------------------------------------ */

/**
 * Rebuild from the store (before any trading): accounts, the ledger from
 * its postings (checked to reconcile), positions from fills, open orders
 * back to their venues (paper: re-placed for what remains; CREATED orders
 * are sent now -- the client id keeps a venue from taking one twice).
 * QD_OK, or an error with `why`.
 */
int oms_restore(struct oms *o, struct store *s, int64_t now, char *why,
	size_t cap);

/** After oms_restore() and opening the configured accounts: restored
 *  open orders go back to their venues (see oms.c). */
void oms_start(struct oms *o, int64_t now);

/** An account as the API and quantctl show it. */
struct oms_account_view {
	const char *id, *owner, *instance, *venue, *quote;
	double cash, equity, fees, reserved;
	size_t open_orders;
};
/** fn for every account; fn returns non-zero to stop.  Positions:
 *  ledger_each_position(oms_ledger(o), id, ...). */
void oms_each_account(struct oms *o,
	int (*fn)(void *arg, const struct oms_account_view *v), void *arg);

/** Order states are enum qd_order_state values below this. */
#define OMS_STATES 8

/** Counters, for metrics and tests. */
struct oms_stats {
	uint64_t submitted, refused, sent, fills, duplicate_fills;
	uint64_t stale_updates, bad_transitions;
	size_t open_orders, waiting_durable;
	/* Orders that entered each state (by enum qd_order_state) since the
	 * start, and the open orders in each state now. */
	uint64_t entered[OMS_STATES];
	size_t open_by_state[OMS_STATES];
	/* Risk decisions: orders refused, breaches of a continuous rule
	 * (halt, cancel or close), and of those the halts. */
	uint64_t risk_refusals, risk_breaches, risk_halts;
	/* Tick -> order: from a trade coming in to an order created while
	 * it was the latest reaching its venue (written ahead first), ns,
	 * over the last 65536 orders. */
	size_t latency_n;
	int64_t latency_p50, latency_p99;
	/* ... and to the order accepted: rounded, risk-checked, funded and
	 * queued to the journal (what the strategy's order_submit waits
	 * for). */
	size_t accept_n;
	int64_t accept_p50, accept_p99;
};
void oms_stats(const struct oms *o, struct oms_stats *out);

/** 1 if an order may go from state `from` to `to` (enum qd_order_state). */
int oms_transition_ok(int from, int to);

#endif
