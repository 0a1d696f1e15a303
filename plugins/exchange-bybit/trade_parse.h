/*
 * trade_parse -- the private side of Bybit v5 spot, with no host
 * dependency (the adapter, its unit test and its fuzz target share it):
 * the string a request signs, order bodies' decimal text, the venue's
 * error codes as qd_status, and the private messages parsed into events.
 *
 * The same items arrive on the private WebSocket (topics "order",
 * "execution", "wallet") and in REST answers (/v5/order/realtime and
 * /v5/order/history, /v5/execution/list, /v5/account/wallet-balance), with
 * the same field names, so one item parser serves both: an item with
 * execId is a fill, one with orderStatus an order, one with a coin array
 * an account's balances.
 */
#ifndef QD_BYBIT_TRADE_PARSE_H
#define QD_BYBIT_TRADE_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum bp_kind {
	BP_ORDER = 1,   /* an order's state */
	BP_EXEC,        /* one fill */
	BP_BALANCE,     /* one coin of a wallet */
	BP_ACK,         /* a WebSocket op's answer (auth, subscribe, ping) */
};

struct bp_event {
	enum bp_kind kind;
	char symbol[32];        /* BTCUSDT */
	char cid[48];           /* orderLinkId ("" when none) */
	char order_id[48];      /* the venue's orderId */
	char side[8];           /* Buy, Sell */
	/* BP_ORDER */
	char status[32];        /* New, PartiallyFilled, Filled, Cancelled,
	                           PartiallyFilledCanceled, Rejected, ... */
	char tif[16];           /* GTC, IOC, FOK, PostOnly */
	char reject[64];        /* rejectReason */
	double qty, price, cum_qty, avg_price;
	/* BP_EXEC */
	char exec_id[64];
	double exec_qty, exec_price, exec_fee;
	char fee_ccy[16];
	int maker;
	int64_t ts_ms;          /* execTime, updatedTime */
	/* BP_BALANCE */
	char coin[16];
	double total, free;
	/* BP_ACK */
	char op[16];
	int success;
	char ret_msg[96];
};

/** What a REST answer says besides its items. */
struct bp_rest {
	long code;              /* retCode (0: success) */
	char msg[96];           /* retMsg */
	int64_t time_ms;        /* the answer's "time": the venue's clock */
	char cursor[128];       /* result.nextPageCursor, "" at the end */
};

/**
 * The string Bybit v5 signs: timestamp + api_key + recv_window + payload
 * (GET: the query string; POST: the JSON body), into out (cap bytes).
 * Returns its length, or -1 if it does not fit.
 */
int bp_prehash(char *out, size_t cap, const char *ts, const char *api_key,
	const char *recv_window, const char *payload);

/** `x` as plain decimal text without exponent or trailing zeros ("0.01",
 *  "30000"), at most 8 decimals; -1 if it does not fit or is not finite. */
int bp_decimal(double x, char *out, size_t cap);

/** The qd_status of a Bybit retCode (or HTTP status when code is 0 and
 *  http is not 200): QD_ERR_DENIED for balance, keys and permissions,
 *  QD_ERR_INVALID for lot/tick/minimums/symbol/parameters, QD_ERR_LIMIT
 *  for rate limits, QD_ERR_NOTFOUND for an unknown order, QD_ERR_IO
 *  otherwise. */
int bp_error_status(long code, int http);

/** 1 if retCode says "this client order id was taken already". */
int bp_is_duplicate(long code);

/** 1 if retCode (or the HTTP status) is a rate limit. */
int bp_is_rate_limit(long code, int http);

/**
 * A fill's fee in the quote currency of spot symbol `native` (BTCUSDT):
 * a fee in the quote is as is, one in the base is converted at the fill
 * price.  Returns 0 (quote), 1 (base, converted), or -1 (another asset:
 * *out is 0).
 */
int bp_fee_quote(const char *native, const char *fee_ccy, double fee,
	double price, double *out);

/**
 * Parse one private WebSocket message: fn(arg, event) for each item of
 * topic order, execution or wallet, and once for an op answer.  Returns
 * the count, or -1 for malformed input with the reason in `why` (96
 * bytes).  An item lacking what its kind needs is malformed.
 */
int bp_parse_ws(const char *data, size_t len,
	void (*fn)(void *arg, const struct bp_event *ev), void *arg,
	char *why);

/**
 * Parse a REST answer: *r gets retCode, retMsg, time and the next page
 * cursor; fn(arg, event) for each item of result.list (orders, fills,
 * or each coin of each wallet).  Returns the count of items (0 for an
 * answer without a list, e.g. a place's), or -1 for malformed input
 * (not JSON, no retCode) with the reason in `why` (96 bytes).
 */
long bp_parse_rest(const char *data, size_t len, struct bp_rest *r,
	void (*fn)(void *arg, const struct bp_event *ev), void *arg,
	char *why);

#endif
