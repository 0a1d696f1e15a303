/*
 * parse -- Bybit v5 spot public messages into normalised events, with no
 * host dependency (the adapter, its tests and its fuzz target share it).
 *
 * WebSocket topics publicTrade.SYMBOL (an array of trades per message),
 * kline.1.SYMBOL, orderbook.1.SYMBOL (best bid and ask from the first
 * level), and the answers to subscribe and ping ({"op":..,"success":..}).
 * REST: /v5/market/kline (rows newest first; handed out oldest first) and
 * the spot instrument list /v5/market/instruments-info?category=spot.
 * Trade ids are the venue's decimal ids; a non-numeric id (the documented
 * example is a UUID) is hashed to 64 bits.
 */
#ifndef QD_BYBIT_PARSE_H
#define QD_BYBIT_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum by_kind {
	BY_TRADE = 1,
	BY_KLINE,
	BY_BOOK,
	BY_ACK,        /* op answer: op, success, ret_msg */
	BY_UNKNOWN,
};

struct by_event {
	enum by_kind kind;
	char native[32];
	int64_t ts_ms;          /* trade time; kline start; book: message ts */
	uint64_t id;
	double price, qty;
	int side;               /* 1 taker bought, 2 taker sold */
	int64_t close_ms;
	double open, high, low, close, volume, quote_volume;
	int closed;
	char interval[8];
	double bid, bid_qty, ask, ask_qty;
	int success;
	char op[16];
	char error[96];
};

/**
 * Parse one WebSocket message: fn(arg, event) for each event it carries
 * (a trade message carries several).  Returns the count, or -1 for
 * malformed input with the reason in `why` (96 bytes).
 */
int by_parse_ws(const char *data, size_t len,
	void (*fn)(void *arg, const struct by_event *ev), void *arg,
	char *why);

/** A /v5/market/kline answer: fn for each row, oldest first, closed when
 *  its period ended before now_ms.  The row count, or -1. */
long by_parse_klines(const char *data, size_t len, int64_t interval_ms,
	int64_t now_ms, void (*fn)(void *arg, const struct by_event *k),
	void *arg);

/** One spot instrument of /v5/market/instruments-info.  Steps and
 *  minimums are the venue's decimal text as written ("0.000001"), ""
 *  when absent. */
struct by_instrument {
	char native[32];        /* BTCUSDT */
	char symbol[32];        /* BTC/USDT, from baseCoin and quoteCoin */
	char tick[32];          /* priceFilter.tickSize */
	char lot[32];           /* lotSizeFilter.basePrecision */
	char min_qty[32];       /* lotSizeFilter.minOrderQty */
	char min_notional[32];  /* lotSizeFilter.minOrderAmt */
	char status[24];        /* Trading, PreLaunch, Closed, ... */
	int trading;            /* status Trading */
};

/**
 * Parse an instruments-info answer: fn(arg, instrument) for each spot
 * instrument (the items of another category are skipped).  Returns the
 * count, or -1 if malformed (not JSON, retCode not 0, no result.list, an
 * item without symbol, coins, status or filters, a step or minimum that is
 * not plain decimal text) with the reason in `why` (96 bytes).
 */
long by_parse_instruments(const char *data, size_t len,
	void (*fn)(void *arg, const struct by_instrument *in), void *arg,
	char *why);

#endif
