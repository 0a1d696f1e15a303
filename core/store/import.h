/*
 * import -- reading candle and trade files users bring, strictly, for
 * `quantctl data import`.
 *
 * Formats, detected from the first line:
 *   - ours: a header naming ts (or time, open_time), open, high, low,
 *     close, volume and optionally quote_volume and trades (or count), any
 *     order, other columns ignored; or the same six columns without header;
 *   - Binance public-data klines: 12 columns (open_time, open, high, low,
 *     close, volume, close_time, quote_volume, count, taker_buy_volume,
 *     taker_buy_quote_volume, ignore), with or without their header;
 *   - Binance public-data aggTrades: 7 or 8 columns (agg_trade_id, price,
 *     quantity, first_trade_id, last_trade_id, transact_time,
 *     is_buyer_maker[, is_best_match]), with or without their header.
 * Times are integer milliseconds or microseconds since the epoch (values
 * above 1e14 are microseconds), or ISO 8601 UTC ("2024-01-01T00:00:00Z",
 * "+00:00" also accepted; another offset or none is refused).
 *
 * Every row is checked -- numbers finite, low <= open,close <= high,
 * volumes >= 0, open times aligned to the timeframe and strictly
 * increasing (no duplicates), trade times never going back -- and the
 * first problem is reported as "FILE:LINE: what is wrong"; nothing is
 * returned then, so an import is all or nothing.
 */
#ifndef QD_STORE_IMPORT_H
#define QD_STORE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum import_format {
	IMPORT_OHLCV = 1,
	IMPORT_BINANCE_KLINES = 2,
	IMPORT_BINANCE_AGGTRADES = 3,
};

struct import_data {
	enum import_format format;
	struct store_candle *candles;  /**< candle formats */
	struct store_trade *trades;    /**< aggTrades */
	size_t n;
	int64_t timeframe_ms;          /**< given, or inferred (candles) */
};

/**
 * Parse `len` bytes named `name` (for messages).  `timeframe_ms` is the
 * candles' timeframe, or 0 to infer it from the smallest step between
 * rows.  0, or -1 with "NAME:LINE: ..." in err.
 */
int import_parse(const char *name, const char *buf, size_t len,
	int64_t timeframe_ms, struct import_data *out, char *err,
	size_t errlen);

/** import_parse() of a file ("-" = standard input). */
int import_read_file(const char *path, int64_t timeframe_ms,
	struct import_data *out, char *err, size_t errlen);

/** A name for the format ("ohlcv", "binance-klines", "binance-aggtrades"). */
const char *import_format_name(enum import_format f);

void import_data_free(struct import_data *d);

/**
 * Parse a time: integer ms or µs (above 1e14), or ISO 8601 UTC.  0 and
 * *ms, or -1 with the reason in `why` (a static string).
 */
int import_parse_time(const char *s, size_t len, int64_t *ms,
	const char **why);

#endif
