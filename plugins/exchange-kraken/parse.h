/*
 * parse -- Kraken spot public messages (WebSocket v2, REST OHLC) into
 * normalised events, with no host dependency (the adapter, its tests, its
 * fuzz target and its bench share it).
 *
 * WebSocket v2: the `trade`, `ohlc` and `ticker` channels (snapshot and
 * update messages, an array of items each), `heartbeat`, and the answers
 * to requests ({"method":"subscribe"|"pong",...}).  Prices and quantities
 * are JSON numbers (or decimal strings) read as strtod reads their text;
 * times are RFC 3339 strings read digit by digit into milliseconds
 * (truncated), never through a double.  Symbols come out canonical,
 * BASE/QUOTE upper case with Kraken's legacy XBT and XDG as BTC and DOGE.
 * WebSocket v1 frames (arrays, {"event":..}) are refused: they mean ws_url
 * names the v1 endpoint.
 *
 * REST: /0/public/OHLC, rows oldest first under the venue's pair name; the
 * last row is the minute still open.  /0/public/AssetPairs, the instrument
 * list: steps and minimums kept as the venue's decimal text.
 */
#ifndef QD_KRAKEN_PARSE_H
#define QD_KRAKEN_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum kr_kind {
	KR_TRADE = 1,
	KR_OHLC,
	KR_BOOK,
	KR_ACK,        /* a request's answer: method, success, error */
	KR_PONG,
	KR_HEARTBEAT,
};

struct kr_event {
	enum kr_kind kind;
	char native[32];        /* canonical BASE/QUOTE; REST rows: "" */
	int snapshot;           /* from a snapshot message */
	int64_t ts_ms;          /* trade time; interval_begin; ticker: its
	                         * timestamp or 0 */
	uint64_t id;            /* trade id */
	double price, qty;
	int side;               /* 1 taker bought, 2 taker sold */
	char ord_type[12];      /* the taker's order type: limit, market */
	int interval;           /* ohlc: minutes */
	double open, high, low, close, volume, vwap;
	int64_t trades;
	int closed;             /* REST rows: 1 committed, 0 the open minute;
	                         * ohlc pushes carry no such flag: -1 */
	double bid, bid_qty, ask, ask_qty;
	int success;
	char method[16];
	char error[96];
};

/**
 * Parse one WebSocket message: fn(arg, event) for each event it carries
 * (trade, ohlc and ticker messages carry an array).  Returns the count (0
 * for valid messages of no interest), or -1 for malformed input with the
 * reason in `why` (96 bytes).  Nothing is handed out from a malformed
 * message: it is checked whole first.
 */
int kr_parse_ws(const char *data, size_t len,
	void (*fn)(void *arg, const struct kr_event *ev), void *arg,
	char *why);

/**
 * A /0/public/OHLC answer: fn for each row, oldest first, `closed` on all
 * but the last.  The row count; -1 if malformed (reason in `err`, 96
 * bytes); -2 if the venue answered with an error (its first error text in
 * `err`, e.g. "EGeneral:Too many requests": Kraken sends those with HTTP
 * 200).
 */
long kr_parse_ohlc(const char *data, size_t len,
	void (*fn)(void *arg, const struct kr_event *k), void *arg, char *err);

/* One pair of /0/public/AssetPairs.  Steps and minimums are plain decimal
 * text (digits, at most one point, at most 31 characters), exact: "" is
 * "not given". */
struct kr_instrument {
	char native[32];        /* the v2 symbol: wsname with XBT and XDG as
	                         * BTC and DOGE (BTC/USD) */
	char symbol[32];        /* canonical BASE/QUOTE: Kraken's v2 spelling
	                         * is it, so the same text */
	char key[32];           /* the list's key: XXBTZUSD, XBTUSDT */
	char altname[32];       /* XBTUSD */
	char wsname[32];        /* as listed: XBT/USD */
	char tick[32];          /* tick_size, else 10^-pair_decimals */
	char lot[32];           /* 10^-lot_decimals */
	char min_qty[32];       /* ordermin (base) */
	char min_notional[32];  /* costmin (quote); "" before 2022 answers */
	char status[24];        /* online, cancel_only, ...; "" if not given */
	int trading;            /* status online, or no status (old answers
	                         * list tradable pairs only) */
};

/**
 * A /0/public/AssetPairs answer: fn for each pair with a wsname, in the
 * answer's order; pairs without one (the 2021 dark-pool ".d" pairs) are
 * not on the WebSocket and are skipped.  The count handed out; -1 if
 * malformed (reason in `err`, 96 bytes; nothing handed out); -2 if the
 * venue answered with an error (its first error text in `err`, as for
 * kr_parse_ohlc).
 */
long kr_parse_instruments(const char *data, size_t len,
	void (*fn)(void *arg, const struct kr_instrument *in), void *arg,
	char *err);

/** RFC 3339 UTC time ("2023-09-25T09:04:31.742599Z") to ms since the
 *  epoch, fraction truncated.  0, or -1 if it is not one. */
int kr_time_ms(const char *text, int64_t *out);

/** Decimal seconds text ("1762795433.9717445") to ms, truncated.  0 or -1. */
int kr_seconds_ms(const char *text, int64_t *out);

/** The REST pair of a canonical symbol: BTC/USDT -> XBTUSDT (Kraken's
 *  REST still says XBT and XDG).  0, or -1 if it does not fit `cap`. */
int kr_rest_pair(const char *canonical, char *out, size_t cap);

#endif
