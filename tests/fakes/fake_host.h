/*
 * fake_host -- a small, inspectable host for driving ONE strategy plugin in
 * unit tests, without the daemon, the bus or the backtester.
 *
 * It loads the strategy's .so and the real indicator pack through the
 * host's plugin registry (core/plugin: the same loader checks, `requires`
 * resolved, params validated against the plugin's specs), implements
 * struct qd_host_api itself, and records what the strategy does:
 *
 *   - every order_submit / order_cancel, with the index of the bar that was
 *     being handled when it was made;
 *   - fills, by fixed rules that follow docs/backtest.md (not its code): on
 *     bar i the host first matches the orders placed before bar i against
 *     it, then calls on_bar(i).  Market orders fill at the open; limit
 *     orders when the range reaches the price, at the price or at the open
 *     if it opens through it; stop orders at the stop or the open if it
 *     gaps through.  An order placed from on_order (a re-quote) waits for
 *     the next bar.  Each fill is reported with one FILLED on_order;
 *     cancels are silent, as in the paper engine;
 *   - one account: cash, a signed position per symbol with its average
 *     price, fees at `fee_rate` of the notional; equity marks positions to
 *     the last close of their symbol;
 *   - log lines (formatted, every level) and annotations (ABI 1.1).
 *
 * The clock (api->now_ns) is the close of the bar being handled: its ts
 * plus the timeframe.  Single-threaded; everything it returns is owned by
 * the fake host and valid until fake_host_free().
 */
#ifndef QD_FAKE_HOST_H
#define QD_FAKE_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

struct fake_host;

/** Options; a NULL pointer means the defaults noted. */
struct fake_host_opts {
	double cash;          /**< starting cash (10000) */
	double fee_rate;      /**< fee per fill, fraction of notional (0) */
	uint32_t timeframe_s; /**< timeframe of the bars fed (60) */
	const char *ta_path;  /**< indicator pack .so (the build tree's) */
};

/** One order the strategy submitted, and what became of it. */
struct fake_order {
	uint64_t id;
	struct qd_order_req req;   /**< as submitted; req.tag is NULL */
	char tag[32];              /**< copy of the tag, "" if none */
	size_t bar;                /**< bar being handled at submission */
	enum qd_order_state state; /**< PENDING, FILLED or CANCELED */
	size_t done_bar;           /**< bar of the fill or the cancel */
	double fill_price;
};

/**
 * Load the module at `so_path`, find the strategy `name` in it, build its
 * params from `kv` (validated, defaults applied) and create the instance
 * (then start it if it has a start callback).  Returns NULL and writes the
 * reason into err ("load ...", "params: ...", "create: ...") on failure.
 */
struct fake_host *fake_host_new(const char *so_path, const char *name,
	const struct qd_kv *kv, size_t n_kv, const struct fake_host_opts *opts,
	char *err, size_t errlen);

/** Stop and destroy the instance, free its indicators and the registry. */
void fake_host_free(struct fake_host *h);

/** Intern a symbol the way the strategy sees it (the same numbering). */
qd_symbol fake_host_symbol(struct fake_host *h, const char *canonical);

/**
 * Hand over the next bar of `sym`: move the clock, match earlier orders of
 * that symbol against it (on_order per fill), then on_bar.  Returns the
 * bar's index (0, 1, ...: one count over every symbol).
 */
size_t fake_host_bar(struct fake_host *h, qd_symbol sym,
	const struct qd_bar *bar);

size_t fake_host_order_count(const struct fake_host *h);
/** The i-th order in submission order. */
const struct fake_order *fake_host_order(const struct fake_host *h, size_t i);
/** Number of order_cancel calls (including ones for unknown orders). */
size_t fake_host_cancel_calls(const struct fake_host *h);

double fake_host_position(const struct fake_host *h, qd_symbol sym);
double fake_host_cash(const struct fake_host *h);
/** Cash plus every position marked to its symbol's last close. */
double fake_host_equity(const struct fake_host *h);

size_t fake_host_log_count(const struct fake_host *h);
const char *fake_host_log_line(const struct fake_host *h, size_t i);
/** Number of log lines containing `needle`. */
size_t fake_host_log_matches(const struct fake_host *h, const char *needle);

/** Number of api->annotate calls of `kind` (NULL: all). */
size_t fake_host_annotations(const struct fake_host *h, const char *kind);
/** JSON of the i-th annotation of `kind` (NULL if there is none). */
const char *fake_host_annotation(const struct fake_host *h, const char *kind,
	size_t i);

#endif
