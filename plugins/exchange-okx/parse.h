/*
 * parse -- OKX v5 public messages into normalised events, with no host
 * dependency (the adapter, its tests, its fuzz target and its bench share
 * it).
 *
 * WebSocket pushes {"arg":{"channel":..,"instId":..},"data":[..]}:
 *   trades, trades-all   an array of trades (`side` is the taker's; a
 *                        `trades` item aggregates the fills of one taker
 *                        order at one price, `tradeId` the last of them);
 *   candle<bar>          arrays [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm],
 *                        confirm "1" = the bar is closed;
 *   bbo-tbt, books5, books...   the best bid and ask from the first level
 *                        of a snapshot (an incremental `books` update is
 *                        no top and gives no event);
 *   tickers              the best bid and ask from bidPx/bidSz/askPx/askSz.
 * Event answers {"event":"subscribe"|"error"|"notice"|..,"code","msg"} and
 * the bare text `pong` (the answer to the client's `ping`, not JSON) are
 * events too.  REST: /api/v5/market/candles and history-candles answers
 * ({"code":"0","data":[rows newest first]}), handed out oldest first;
 * /api/v5/public/instruments?instType=SPOT, the instrument list.
 *
 * Every number arrives as decimal text: prices and sizes are strtod of
 * that exact text, timestamps integer milliseconds read digit by digit.
 * Trade ids are the venue's decimal ids; a non-decimal one is hashed to
 * 64 bits (id_hashed set: such ids carry no order).
 */
#ifndef QD_OKX_PARSE_H
#define QD_OKX_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum ok_kind {
	OK_TRADE = 1,
	OK_KLINE,
	OK_BOOK,
	OK_EVENT,      /* an event answer: event, code, msg */
	OK_PONG,       /* the text `pong` */
};

struct ok_event {
	enum ok_kind kind;
	char native[32];        /* the instId, BTC-USDT */
	int64_t ts_ms;          /* trade time; candle open time; book ts */
	uint64_t id;            /* trade id */
	int id_hashed;          /* the id was not decimal: hashed, unordered */
	double price, qty;
	int side;               /* 1 taker bought, 2 taker sold */
	char bar[8];            /* candle: the channel's bar, "1m", "1H" */
	double open, high, low, close, volume, quote_volume;
	int closed;             /* candle confirm "1" */
	double bid, bid_qty, ask, ask_qty;
	char event[24];         /* OK_EVENT: subscribe, error, notice ... */
	char code[16];          /* OK_EVENT: the venue's code, "" if none */
	char msg[96];           /* OK_EVENT: its text */
};

/**
 * Parse one WebSocket message: fn(arg, event) for each event it carries
 * (a trades push may carry several).  Returns the count (0 for a valid
 * message of no interest), or -1 for malformed input with the reason in
 * `why` (96 bytes).
 */
int ok_parse_ws(const char *data, size_t len,
	void (*fn)(void *arg, const struct ok_event *ev), void *arg,
	char *why);

/**
 * A candles / history-candles answer: fn(arg, kline) for each row (kind
 * OK_KLINE, no native, bar ""), oldest first, closed from its confirm.
 * Returns the row count, or -1 if malformed or an error answer (code not
 * "0").
 */
long ok_parse_klines(const char *data, size_t len,
	void (*fn)(void *arg, const struct ok_event *k), void *arg);

/* One SPOT instrument of the list: the steps and minimum are the venue's
 * decimal text exactly as sent (tickSz, lotSz, minSz); OKX gives spot no
 * minimum notional.  lotSz (the quantity step) and minSz (the smallest
 * order) differ: BTC-USDT steps by 0.00000001 from at least 0.00001. */
struct ok_instrument {
	char native[32];        /* instId: BTC-USDT */
	char symbol[32];        /* baseCcy/quoteCcy upper case: BTC/USDT */
	char tick[32];          /* tickSz */
	char lot[32];           /* lotSz */
	char min_qty[32];       /* minSz */
	char status[16];        /* state: live, suspend, preopen, test */
	int trading;            /* state "live" */
};

/**
 * A public/instruments answer: fn(arg, instrument) for each SPOT
 * instrument (other instTypes skipped).  Returns the count of SPOT
 * instruments, or -1 (an error answer, malformed JSON, a missing or bad
 * required field) with the reason in `why` (96 bytes).
 */
long ok_parse_instruments(const char *data, size_t len,
	void (*fn)(void *arg, const struct ok_instrument *in), void *arg,
	char *why);

#endif
