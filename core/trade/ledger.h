/*
 * ledger -- double-entry accounting in fixed-point integers.
 *
 * Accounts hold balances of assets ("USDT", "BTC"), each asset an int64
 * count of 10^-decimals units (ledger_set_asset; 8 decimals unless set).
 * Every change is a transaction of legs that sum to zero per asset: a fill
 * moves base and quote between the user's account and its venue's account
 * ("venue:NAME"), a fee moves from the user to "fees:NAME", a deposit
 * comes from "external:deposits".  So, at every moment, every asset sums to
 * zero over all accounts, exactly; ledger_reconcile() proves it and that
 * every balance equals the sum of its postings.
 *
 * Balances of an ordinary account never go negative: a transaction that
 * would make one negative is refused whole (QD_ERR_LIMIT) and changes
 * nothing.  A LEDGER_MARGIN account may hold negative BASE balances
 * (shorts), its quote balance still never negative, and the short's
 * notional at the fill price must stay within the account's equity (1x).
 * LEDGER_EXTERNAL accounts (venues, fees, deposits) take any sign.
 *
 * Positions are kept per (account, symbol) from fills: signed quantity in
 * base units, average entry price, realized P&L (quote units, fees not
 * included) -- opening and adding average the entry, reducing realises
 * (price - entry) x qty, reversing realises the closed part and opens the
 * rest at the fill price.
 *
 * A sink, when set, receives every transaction's postings as they are
 * applied (the journal persists them).  Core thread only.
 */
#ifndef QD_TRADE_LEDGER_H
#define QD_TRADE_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

struct ledger;

enum ledger_account_flags {
	LEDGER_MARGIN = 1u << 0,
	LEDGER_EXTERNAL = 1u << 1,
};

/** One leg of a transaction.  Strings are the caller's. */
struct ledger_leg {
	const char *account;
	const char *asset;
	int64_t amount;          /**< units of the asset, signed */
};

/** A posting as the sink receives it (strings valid for the call). */
struct ledger_posting {
	int64_t txn;             /**< transaction number, 1, 2, ... */
	int64_t ts_ms;
	const char *kind;        /**< "trade", "fee", "deposit", "transfer" */
	const char *ref;         /**< e.g. the fill's id; may be "" */
	const char *account;
	const char *asset;
	int64_t amount;
	int decimals;            /**< of the asset */
};

/** A fill to book.  Strings are the caller's. */
struct ledger_fill {
	const char *account;     /**< the user's account */
	const char *venue;       /**< counterparty: "venue:<venue>" / "fees:<venue>" */
	const char *symbol;      /**< "BASE/QUOTE": positions key, and assets */
	enum qd_side side;
	int64_t qty;             /**< base units, > 0 */
	double price;            /**< > 0 */
	int64_t fee;             /**< units of fee_asset, >= 0 */
	const char *fee_asset;   /**< NULL: the quote asset */
	const char *ref;         /**< fill id, kept with the postings */
	int64_t ts_ms;
};

struct ledger_position {
	int64_t qty;             /**< base units, signed (short < 0) */
	double avg_price;        /**< average entry, 0 when flat */
	int64_t realized;        /**< quote units, fees not included */
	int64_t fees;            /**< fees paid on this symbol, quote units */
};

struct ledger *ledger_new(void);
void ledger_free(struct ledger *l);

/** Precision of `asset` (0..18 decimals); QD_ERR_STATE once the asset has
 *  postings with another precision. */
int ledger_set_asset(struct ledger *l, const char *asset, int decimals);
/** Decimals of `asset` (8 when never set). */
int ledger_decimals(const struct ledger *l, const char *asset);

/** Open an account (idempotent when the flags agree; QD_ERR_STATE when
 *  they differ). */
int ledger_open_account(struct ledger *l, const char *name, unsigned flags);
int ledger_has_account(const struct ledger *l, const char *name);

/**
 * Apply one balanced transaction, all or nothing: QD_OK and *txn,
 * QD_ERR_INVALID (unbalanced, unknown account, no legs, overflow),
 * QD_ERR_LIMIT (an ordinary balance would go negative; `why` says which).
 */
int ledger_post(struct ledger *l, int64_t ts_ms, const char *kind,
	const char *ref, const struct ledger_leg *legs, size_t n, int64_t *txn,
	char *why, size_t cap);

/** `amount` of `asset` into `account` from "external:deposits". */
int ledger_deposit(struct ledger *l, const char *account, const char *asset,
	int64_t amount, int64_t ts_ms, const char *ref);

/**
 * The quote amount of a fill: qty base units x price, in quote units,
 * rounded half away from zero once.  QD_ERR_INVALID on overflow.
 */
int ledger_notional(const struct ledger *l, const char *symbol, int64_t qty,
	double price, int64_t *out);

/**
 * Whether the account can take the fill (buying power, as ledger_fill()
 * checks it): QD_OK, or QD_ERR_LIMIT with the reason in `why`.
 */
int ledger_check_fill(const struct ledger *l, const struct ledger_fill *f,
	char *why, size_t cap);
/** Book a fill: trade and fee postings and the position, all or nothing
 *  (QD_ERR_LIMIT when it cannot be paid for: nothing changes). */
int ledger_fill(struct ledger *l, const struct ledger_fill *f, int64_t *txn,
	char *why, size_t cap);

/** Last price of `symbol` (for equity and margin); fills set it too. */
void ledger_mark(struct ledger *l, const char *symbol, double price);
/** The last price ledger_mark() or a fill gave `symbol`, 0 when none. */
double ledger_mark_price(const struct ledger *l, const char *symbol);

int64_t ledger_balance(const struct ledger *l, const char *account,
	const char *asset);
/** QD_OK with the position (zeros when none), QD_ERR_NOTFOUND without
 *  the account. */
int ledger_position(const struct ledger *l, const char *account,
	const char *symbol, struct ledger_position *out);
/** Unrealized P&L of the position at its mark, quote units. */
int64_t ledger_unrealized(const struct ledger *l, const char *account,
	const char *symbol);
/** Balance of `quote` plus every position in that quote at its mark. */
int64_t ledger_equity(const struct ledger *l, const char *account,
	const char *quote);

/** fn for every non-zero balance / open or once-traded position of the
 *  account; fn returns non-zero to stop. */
void ledger_each_balance(const struct ledger *l, const char *account,
	int (*fn)(void *arg, const char *asset, int64_t amount, int decimals),
	void *arg);
void ledger_each_position(const struct ledger *l, const char *account,
	int (*fn)(void *arg, const char *symbol,
	const struct ledger_position *p), void *arg);

/**
 * Check the books: every asset sums to zero over all accounts and every
 * balance equals the sum of its postings.  QD_OK, or QD_ERR_INTERNAL with
 * the first difference in `why`.
 */
int ledger_reconcile(const struct ledger *l, char *why, size_t cap);

/** Receive each transaction's postings (n legs) as it is applied. */
void ledger_set_sink(struct ledger *l,
	void (*fn)(void *arg, const struct ledger_posting *p, size_t n),
	void *arg);

#endif
