/*
 * parse -- Binance spot public messages into normalised events, with no
 * host dependency (the adapter, its tests and its fuzz target share it).
 *
 * WebSocket: trade, aggTrade, kline, bookTicker, and the answers to
 * SUBSCRIBE ({"result":null,"id":N}) and errors ({"error":{...},"id":N}),
 * bare or inside the combined-stream wrapper {"stream":..,"data":{..}}.
 * REST: the /api/v3/klines array and the /api/v3/exchangeInfo instrument
 * list.  Numbers come from the message's decimal text; `m` (buyer is
 * maker) true means the taker sold.
 */
#ifndef QD_BINANCE_PARSE_H
#define QD_BINANCE_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum bn_kind {
	BN_TRADE = 1,
	BN_KLINE,
	BN_BOOK,
	BN_RESULT,     /* answer to a request: id */
	BN_ERROR,      /* error answer: id, code, error text */
	BN_UNKNOWN,    /* valid JSON we do not use */
};

struct bn_event {
	enum bn_kind kind;
	char native[32];        /* the venue's symbol, upper case */
	int64_t ts_ms;          /* trade time; kline open time; book: 0 */
	uint64_t id;            /* trade or aggregate id; request id */
	double price, qty;
	int side;               /* 1 taker bought, 2 taker sold */
	char interval[8];       /* kline */
	int64_t close_ms;
	double open, high, low, close, volume, quote_volume;
	int64_t trades;
	int closed;
	double bid, bid_qty, ask, ask_qty;
	int code;               /* error code */
	char error[96];
};

/**
 * Parse one WebSocket message.  0, or -1 for malformed input (with a
 * reason in ev->error).  Flat trade and aggTrade messages -- the bulk of
 * the stream -- are read in place; everything else goes through cJSON
 * (bn_parse_ws_json, which gives the same result for every message).
 */
int bn_parse_ws(const char *data, size_t len, struct bn_event *ev);
/** The same with cJSON for everything: the reference the fast path is
 *  checked against. */
int bn_parse_ws_json(const char *data, size_t len, struct bn_event *ev);

/**
 * Parse a /api/v3/klines answer: fn(arg, kline) for each row (kind
 * BN_KLINE, closed when its close time is before `now_ms`).  Returns the
 * row count, or -1 if malformed.
 */
long bn_parse_klines(const char *data, size_t len, int64_t now_ms,
	void (*fn)(void *arg, const struct bn_event *k), void *arg);

/** One spot instrument of /api/v3/exchangeInfo.  Steps and minimums are
 *  the venue's decimal text as written ("0.01000000"), "" when absent. */
struct bn_instrument {
	char native[32];        /* BTCUSDT */
	char symbol[32];        /* BTC/USDT */
	char tick[32];          /* PRICE_FILTER tickSize */
	char lot[32];           /* LOT_SIZE stepSize */
	char min_qty[32];       /* LOT_SIZE minQty */
	char min_notional[32];  /* NOTIONAL (or legacy MIN_NOTIONAL) minNotional */
	char status[24];        /* TRADING, BREAK, HALT, ... */
	int trading;            /* status TRADING and spot trading allowed */
};

/**
 * Parse an /api/v3/exchangeInfo answer: fn(arg, instrument) for each
 * symbol.  Returns the count, or -1 if malformed (not JSON, no `symbols`
 * array, a symbol without its name, assets, status or filters, a step or
 * minimum that is not plain decimal text) with the reason in `why` (96
 * bytes).
 */
long bn_parse_instruments(const char *data, size_t len,
	void (*fn)(void *arg, const struct bn_instrument *in), void *arg,
	char *why);

#endif
