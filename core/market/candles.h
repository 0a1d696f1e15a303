/*
 * candles -- trades into UTC-aligned candles of every timeframe.
 *
 * An aggregator holds one series per (source exchange, symbol); each series
 * builds the timeframes of the aggregator's mask at once from its trades:
 * 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w.  Boundaries are UTC-aligned:
 * a bar of timeframe T covers [k*T, (k+1)*T) since the epoch, except weeks,
 * which start on Monday 00:00 UTC as the venues' weekly candles do.
 *
 * A bar is closed when a trade (or candles_advance(), driven by a timer)
 * reaches its end.  A period without trades still gets its bar: open, high,
 * low and close at the previous close, volume 0, trades 0.  The open of any
 * bar is its first trade's price, so a bar of a higher timeframe equals the
 * re-aggregation of its 1m bars that had trades (all of them flat: flat).  A trade older
 * than the open 1m bar is refused (counted, never merged into a bar that
 * was already closed).  Bars are handed out in time order per series and
 * timeframe; when one trade closes several timeframes, the smaller ones
 * come first.
 *
 * Venue klines: a series that receives closed 1m klines
 * (candles_kline()) takes them as its 1m bars -- the venue is the
 * authority -- and compares each with the 1m bar its trades built; a
 * difference is counted in `divergences`.  Higher timeframes are built from
 * the trades either way.
 *
 * Times are int64 nanoseconds since the epoch, UTC, as in bus events.  One
 * thread (the core thread).
 */
#ifndef QD_CANDLES_H
#define QD_CANDLES_H

#include <stddef.h>
#include <stdint.h>

#include <quantd/sdk.h>

/** The timeframes, in seconds, smallest first; bit i of a mask is
 *  candle_tf_seconds[i]. */
#define CANDLE_TFS 12
extern const uint32_t candle_tf_seconds[CANDLE_TFS];
/** Mask of every timeframe. */
#define CANDLE_ALL ((1u << CANDLE_TFS) - 1)

/** Open time (ns) of the bar of `tf_s` seconds holding `ts` (ns). */
int64_t candle_open(int64_t ts, uint32_t tf_s);

/** Index of `tf_s` in candle_tf_seconds, or -1. */
int candle_tf_index(uint32_t tf_s);

struct candle {
	int64_t ts;          /**< open time, ns */
	double open;
	double high;
	double low;
	double close;
	double volume;       /**< base units */
	double quote_volume; /**< sum of price x quantity */
	int64_t trades;      /**< number of trades (0: a period without) */
};

struct candle_series;
struct candles;

/**
 * Called with every closed bar (final = 1) and, from candles_partials(),
 * with the open bars that changed (final = 0).  A venue 1m kline at or
 * before the newest 1m bar already handed out (a backfill filling a gap)
 * comes with final = 2: closed, but history.  `source` and `symbol` are
 * the series'.
 */
typedef void (*candle_fn)(void *arg, const char *source, qd_symbol symbol,
	uint32_t tf_s, const struct candle *c, int final);

struct candles_stats {
	uint64_t trades;       /**< trades aggregated */
	uint64_t late;         /**< trades older than the open 1m bar */
	uint64_t closed;       /**< bars closed (all timeframes) */
	uint64_t empty;        /**< of those, periods without trades */
	uint64_t klines;       /**< venue 1m klines taken */
	uint64_t divergences;  /**< venue 1m klines unlike the trades' bar */
	uint64_t closed_tf[CANDLE_TFS]; /**< closed bars handed out (venue
	                        *   klines included, history not) by
	                        *   timeframe, indexed as candle_tf_seconds */
	int64_t last_open[CANDLE_TFS]; /**< open time (ns) of the newest bar
	                        *   closed of each timeframe, 0: none yet */
};

/** An aggregator building the timeframes of `mask`.  NULL on no memory. */
struct candles *candles_new(uint32_t mask, candle_fn fn, void *arg);
void candles_free(struct candles *a);

/**
 * The series of (source, symbol), made on first use; the pointer stays
 * valid until candles_free().  NULL on no memory.
 */
struct candle_series *candles_series(struct candles *a, const char *source,
	qd_symbol symbol);

/**
 * One trade.  QD_OK, QD_ERR_STATE for a trade older than the open 1m bar
 * (counted in `late`), QD_ERR_INVALID for a price that is not finite and
 * positive or a quantity that is negative or not finite.
 */
int candles_trade(struct candle_series *s, int64_t ts, double price,
	double qty);

/**
 * A closed 1m kline from the venue (c->ts aligned to the minute): from now
 * on this series' 1m bars are the venue's.  QD_OK, or QD_ERR_INVALID.
 */
int candles_kline(struct candle_series *s, const struct candle *c);

/**
 * The venue will send this series' 1m klines (its exchange streams them):
 * its 1m bars are the klines from now on, before the first arrives, so a
 * 1m bar its trades built is never handed out in their place.
 */
void candles_expect_klines(struct candle_series *s);

/** A series whose latest trade is older than this (ns) is not live. */
#define CANDLE_LIVE_WINDOW (86400LL * 1000000000LL)

/**
 * Close every bar whose end is at or before `now` (ns): the timer, driven
 * by the wall clock (less a grace for trades in flight).  Only live series
 * -- latest trade within CANDLE_LIVE_WINDOW of `now` -- are closed by it; a
 * replay of past trades closes its bars with its own trades, and a market
 * silent for longer gets its flat bars when trading resumes.
 */
void candles_advance(struct candles *a, int64_t now);

/** Hand out the open bars that changed since the last call (final = 0);
 *  call it on a timer to throttle updates for live charts. */
void candles_partials(struct candles *a);

void candles_stats(const struct candles *a, struct candles_stats *out);

#endif
