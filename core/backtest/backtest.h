/*
 * backtest -- a strategy plugin driven over historical bars through the
 * same SDK callbacks and the same matching engine (core/trade/paper.h) the
 * paper trader uses, with simulated time.
 *
 * Order of events for each base bar of a symbol (several symbols are merged
 * by timestamp, then by the order of the series):
 *   1. orders placed earlier are matched against this bar (paper.h rules),
 *      on_order is called for each fill;
 *   2. the clock moves to the bar's close (ts + timeframe): api->now_ns;
 *   3. on_bar(symbol, base timeframe, bar) if subscribed (every series is);
 *   4. higher-timeframe candles that this bar completes are delivered
 *      (a 4h candle reaches the strategy only once its last base bar has);
 *   5. timers that are due fire.
 * The strategy never sees a bar before its time: it holds only what was
 * delivered, and the host delivers bar t+1 only after on_bar(t) returned.
 *
 * Metrics (annualised with 365.25 days of 24 h: crypto trades every day):
 *   total_return  final/initial - 1
 *   cagr          (final/initial)^(1/years) - 1, years = span / 365.25 d
 *   volatility    stdev of per-sample returns * sqrt(samples per year)
 *   sharpe        mean / stdev of per-sample returns * sqrt(samples/year)
 *   sortino       mean / downside deviation * sqrt(samples/year)
 *   max_drawdown  largest fall from a running peak, as a fraction
 *   max_drawdown_duration  longest time below a previous peak, ms
 *   calmar        cagr / max_drawdown
 *   win_rate, profit_factor (gross win / gross loss), expectancy (mean
 *   closed-trade pnl), exposure (fraction of samples with a position),
 *   trades (closed + open), fees, final_equity.
 */
#ifndef QD_BACKTEST_H
#define QD_BACKTEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <quantd/sdk.h>

struct plugin;
struct plugin_registry;

struct bt_series {
	qd_symbol symbol;
	uint32_t timeframe_s;      /* of these bars */
	const struct qd_bar *bars;
	size_t n;
};

/**
 * A series read as the run goes, so that memory does not grow with its
 * length: `next` hands out the following bars, in time order, in chunks it
 * owns (valid until its next call).  It returns their count, 0 at the end,
 * or -1 with the reason in err, which fails the run.
 */
struct bt_source {
	qd_symbol symbol;
	uint32_t timeframe_s;      /* of these bars */
	long (*next)(void *arg, const struct qd_bar **bars, char *err,
		size_t errlen);
	void *arg;
};

struct bt_config {
	/** Run the strategy in a quantd-sandbox child (this program) when
	 *  non-NULL; the result is the same, bit for bit. */
	const char *sandbox_helper;
	double cash;
	double fee_rate;           /* taker */
	double maker_fee_rate;
	double slippage_bps;
	int64_t from_ns, to_ns;    /* 0 = unbounded */
	/** The equity samples kept in bt_result.eq (the JSON's curve): 0
	 *  every one, > 0 the last of each period of this many ns (UTC
	 *  aligned: 3600e9 = one an hour), < 0 none.  The metrics always use
	 *  every sample. */
	int64_t equity_every_ns;
	/** Every sample written here as it is made, as CSV lines
	 *  "ts_ms,equity" (after a header), when non-NULL. */
	FILE *equity_out;
	/** > 0: keep at most this many time buckets of the equity curve,
	 *  its drawdown and the first series' bars, each with its extremes,
	 *  for backtest_write_report (a constant size however long the
	 *  run). */
	size_t report_points;
};

struct bt_trade {
	qd_symbol symbol;
	enum qd_side side;
	double qty;
	int64_t entry_ts, exit_ts; /* ns; exit_ts 0 while open */
	double entry_price, exit_price;
	double fees, pnl;
	int open;
};

struct bt_metrics {
	double total_return, cagr, volatility, sharpe, sortino;
	double max_drawdown;
	int64_t max_drawdown_duration_ms;
	double calmar, win_rate, profit_factor, expectancy, exposure;
	size_t trades;
	double fees, final_equity;
};

/**
 * Running sums over every equity sample, in order: the metrics come from
 * them, so no curve needs to be stored.
 */
struct bt_acc {
	size_t n, n_ret, exposed;
	int64_t first_ts, last_ts, peak_ts, longest;
	double last, peak, sum, sq, down, mdd;
};

/** A time bucket of the report's curves: the extremes and where they are. */
struct bt_bucket {
	int64_t t_lo, t_hi, t_dd;  /* ns of the lowest, highest, deepest */
	double lo, hi, dd;         /* equity extremes; deepest drawdown */
	struct qd_bar bar;         /* the first series' bars merged */
	int has_eq, has_bar;
};

/** The report's downsampled curves: buckets of `width` ns from `t0`,
 *  halved in number (width doubled) whenever they would exceed `cap`. */
struct bt_downsample {
	struct bt_bucket *b;
	size_t n, cap;
	int64_t t0, width;
	qd_symbol symbol;          /* of the bars */
	size_t bars;               /* bars merged in */
	double peak;               /* the running peak of the equity */
};

struct bt_result {
	struct bt_metrics m;
	struct bt_trade *trades;
	size_t n_trades, cap_trades;
	int64_t *eq_ts;            /* ns */
	double *eq;
	size_t n_eq, cap_eq;
	/* api->annotate calls: simulated time, kind, normalised JSON */
	int64_t *ann_ts;
	char **ann_kind, **ann_json;
	size_t n_ann, cap_ann;
	struct bt_acc acc;         /* every sample, stored or not */
	struct bt_downsample ds;   /* cfg->report_points > 0 */
};

/**
 * Run `strategy` (its params already validated) over the series.  Returns 0
 * and fills *out, or -1 with the reason in err.
 */
int backtest_run(const struct plugin_registry *reg,
	const struct plugin *strategy, const qd_params *params,
	const struct bt_series *series, size_t n_series,
	const struct bt_config *cfg, struct bt_result *out, char *err,
	size_t errlen);

/**
 * The same run with the series read as it goes (bt_source): memory stays
 * constant with their length, except for the outputs cfg asks to keep.
 * Several series are merged by time, then by their order.  Returns 0 and
 * fills *out; -1 with the reason in err when the strategy fails, -2 when a
 * source fails (bad data: its message).
 */
int backtest_stream(const struct plugin_registry *reg,
	const struct plugin *strategy, const qd_params *params,
	const struct bt_source *src, size_t n_src,
	const struct bt_config *cfg, struct bt_result *out, char *err,
	size_t errlen);

void backtest_result_free(struct bt_result *r);

/**
 * Append src's equity curve and trades to dst with money scaled by `scale`
 * (stitching walk-forward test windows into one account).  0 or -1.
 */
int backtest_append(struct bt_result *dst, const struct bt_result *src,
	double scale);

/** (Re)compute r->m from its stored equity curve (every sample) and
 *  trades. */
void backtest_compute_metrics(struct bt_result *r, double initial,
	uint32_t tf, size_t exposed_samples);

/** Write the result as JSON (the schema of docs/backtest.md), bytes
 *  identical for identical inputs. */
void backtest_write_json(FILE *f, const struct bt_result *r);
/** Write the trade list as CSV. */
void backtest_write_trades(FILE *f, const struct bt_result *r);

/**
 * Write a self-contained HTML report (inline SVG, no script, no external
 * URL): `title` and a line of run settings (`settings`, may be NULL), both
 * HTML-escaped; the downsampled bars of the first series (r->ds, a run
 * with cfg->report_points) as candles with trade markers, the equity and
 * drawdown curves with every bucket's extremes, metrics and trades (times
 * in UTC).
 */
void backtest_write_report(FILE *f, const struct bt_result *r,
	const char *title, const char *settings);

#endif
