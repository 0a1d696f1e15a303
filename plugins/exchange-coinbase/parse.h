/*
 * parse -- Coinbase Advanced Trade public messages into normalised
 * events, with no host dependency (the adapter, its tests, its fuzz target
 * and its bench share it).
 *
 * WebSocket: every message is an envelope {channel, timestamp,
 * sequence_num, events[]}; channels market_trades (batches of trades,
 * `side` being the MAKER's side: the taker side handed out is the
 * opposite), ticker (best bid and ask with their sizes), candles
 * (5-minute buckets only), heartbeats, status and subscriptions, and
 * {"type":"error","message":..} answers.  Timestamps are RFC 3339 text
 * with up to nine fractional digits, truncated to milliseconds from the
 * text (never through a float).
 * REST: the public candles answer {"candles":[{start,low,high,open,close,
 * volume}]}, all strings, start in seconds, newest first on the wire.
 * REST: the public product list (market/products?product_type=SPOT),
 * {"products":[{product_id, base_currency_id, quote_currency_id,
 * quote_increment, base_increment, base_min_size, quote_min_size, status,
 * trading_disabled, alias, ...}], "num_products", "pagination"}.
 * Trade ids are the venue's decimal ids; another id is hashed to 64 bits.
 */
#ifndef QD_COINBASE_PARSE_H
#define QD_COINBASE_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum cb_kind {
	CB_TRADE = 1,
	CB_KLINE,
	CB_BOOK,
	CB_HEARTBEAT,
	CB_SUBSCRIBED, /* subscriptions ack: the channels in `text` */
	CB_STATUS,     /* a product's state ("online", ...) in `text` */
	CB_ERROR,      /* the venue refused something: `text` says what */
};

struct cb_event {
	enum cb_kind kind;
	char native[32];        /* product id as sent: BTC-USD */
	int64_t ts_ms;          /* trade time; kline start; book and
				 * heartbeat: the envelope's time */
	uint64_t id;            /* trade id */
	int id_ordered;         /* id is the venue's decimal id */
	double price, qty;
	int side;               /* taker: 1 bought, 2 sold */
	int maker_side;         /* as the venue reported it: 1 BUY, 2 SELL */
	int snapshot;           /* part of a subscription's snapshot */
	int64_t interval_ms;    /* kline length */
	double open, high, low, close, volume;
	int closed;             /* 1 ended, 0 not yet, -1 not said (WS) */
	double bid, bid_qty, ask, ask_qty, last;
	int64_t counter;        /* heartbeat_counter */
	char text[96];
};

/* What every envelope carries, whatever its channel. */
struct cb_envelope {
	int64_t seq;            /* sequence_num, or -1 when absent */
	int64_t ts_ms;          /* timestamp, or -1 when absent */
	char channel[24];
};

/**
 * Parse one WebSocket message: fn(arg, event) for each event it carries,
 * trades of one batch oldest first (the venue sends them newest first).
 * `env` (may be NULL) receives the envelope.  Returns the event count (0
 * for a valid message of no interest), or -1 for malformed input with the
 * reason in `why` (96 bytes).
 */
int cb_parse_ws(const char *data, size_t len, struct cb_envelope *env,
	void (*fn)(void *arg, const struct cb_event *ev), void *arg,
	char *why);

/**
 * A REST candles answer of `interval_ms` candles: fn for each row, oldest
 * first, closed when its period ended at or before now_ms.  The row count,
 * or -1 (an error answer, or a bad row) with the reason in `why`.
 */
long cb_parse_klines(const char *data, size_t len, int64_t interval_ms,
	int64_t now_ms, void (*fn)(void *arg, const struct cb_event *k),
	void *arg, char *why);

/**
 * An RFC 3339 UTC time ("2026-08-09T21:05:48.167634Z") as ms since the
 * epoch, truncated; -1 if it is not one.
 */
int64_t cb_time_ms(const char *s);

/* One SPOT product of the list: steps and minimums are the venue's
 * decimal text exactly as sent.  An alias product (BTC-USDC, alias
 * "BTC-USD") is traded on the book it names but keeps its own real quote
 * currency in `symbol` (BTC/USDC). */
struct cb_instrument {
	char native[32];        /* product_id: BTC-USD */
	char symbol[32];        /* base/quote currency ids: BTC/USD */
	char tick[32];          /* quote_increment: price step */
	char lot[32];           /* base_increment: quantity step */
	char min_qty[32];       /* base_min_size */
	char min_notional[32];  /* quote_min_size; "" when not given */
	char status[16];        /* online, offline, delisted, ... */
	char alias[32];         /* the product it aliases, "" if none */
	int trading;            /* status "online" and not trading_disabled */
};

/**
 * A product list answer: fn(arg, product) for each SPOT product (other
 * product types skipped).  Returns the SPOT count, or -1 (not a product
 * list, malformed JSON, a missing or bad required field) with the reason
 * in `why` (96 bytes).
 */
long cb_parse_instruments(const char *data, size_t len,
	void (*fn)(void *arg, const struct cb_instrument *in), void *arg,
	char *why);

#endif
