/*
 * trade_parse -- OKX v5 private messages and trading answers into plain
 * records, with no host dependency (the adapter, its unit test and its
 * fuzz target share it).
 *
 * REST answers are {"code":"0","msg":"","data":[..]}: the order answers
 * (/trade/order place, cancel-order: ordId, clOrdId, sCode, sMsg per
 * item), an order's state (/trade/order GET, orders-pending), fills
 * (/trade/fills, fills-history), balances (/account/balance: data[0]
 * .details) and the server time (/public/time).  The private WebSocket
 * answers events ({"event":"login"|"subscribe"|"error","code","msg"}) and
 * pushes {"arg":{"channel":"orders"|"account"},"data":[..]}.
 *
 * Prices, sizes and fees stay the venue's decimal text until converted
 * here with strtod; a missing field reads as 0 or "".
 */
#ifndef QD_OKX_TRADE_PARSE_H
#define QD_OKX_TRADE_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum okt_kind {
	OKT_ORDER = 1,    /* an order's state, possibly with its last fill */
	OKT_FILL,         /* one fill of /trade/fills */
	OKT_BALANCE,      /* one asset */
	OKT_EVENT,        /* a WebSocket event: event, code, msg */
	OKT_TIME,         /* /public/time: ts_ms */
	OKT_PONG,         /* the text `pong` */
};

struct okt_rec {
	enum okt_kind kind;
	char inst[32];          /* instId: BTC-USDT */
	char ord_id[32];        /* the venue's order id */
	char cl_ord_id[40];     /* ours: qd... */
	char side[8];           /* buy, sell */
	char ord_type[16];      /* market, limit, post_only, fok, ioc */
	char state[24];         /* live, partially_filled, filled, canceled,
	                           mmp_canceled */
	double px, sz;          /* order price and size */
	double acc_fill_sz, avg_px;
	char trade_id[32];      /* the last fill's (orders) or this fill's */
	double fill_px, fill_sz;
	double fee;             /* this fill's fee, the venue's sign: a
	                           charge is negative */
	char fee_ccy[16];
	int maker;              /* execType "M" */
	int64_t ts_ms;          /* fill time, uTime, ts */
	char code[16];          /* sCode / code of a refused item or event */
	char msg[128];
	char event[24];         /* OKT_EVENT */
	char ccy[16];           /* OKT_BALANCE */
	double total, avail;    /* cashBal, availBal */
	char bill_id[32];       /* fills: the page cursor */
};

/**
 * A REST answer: fn(arg, rec) for each item of `data` (kind `as`:
 * OKT_ORDER for order answers and states, OKT_FILL, OKT_BALANCE for the
 * details of each account item, OKT_TIME).  Returns the item count; -1 if
 * malformed, with the reason in why (96 bytes); -2 if the answer's code is
 * not "0" and no item carries its own sCode (code and msg then in *err).
 * An order answer refused per item (code "1", sCode in the item) hands
 * the item with its code and msg.
 */
long okt_parse_rest(const char *data, size_t len, enum okt_kind as,
	void (*fn)(void *arg, const struct okt_rec *r), void *arg,
	struct okt_rec *err, char *why);

/**
 * A private WebSocket message: events, orders pushes (OKT_ORDER), account
 * pushes (OKT_BALANCE per detail), the text pong.  Returns the record
 * count (0 for a valid message of no interest), -1 if malformed.
 */
int okt_parse_ws(const char *data, size_t len,
	void (*fn)(void *arg, const struct okt_rec *r), void *arg, char *why);

/** The qd_status of a venue error code (sdk.h, qd_order_update.error). */
int okt_status_of(const char *code);

/**
 * The string the venue signs for a REST call: timestamp + METHOD +
 * request path with its query + body.  Returns the length written (or
 * that would be), like snprintf.
 */
size_t okt_prehash(char *out, size_t cap, const char *ts,
	const char *method, const char *path, const char *body);

/** The WebSocket login's: timestamp (seconds) + "GET" + "/users/self/verify". */
size_t okt_login_prehash(char *out, size_t cap, const char *ts_s);

/** OK-ACCESS-TIMESTAMP: ISO 8601 with milliseconds, UTC ("2020-12-08T09:08:57.715Z"). */
void okt_iso_time(int64_t ms, char *out, size_t cap);

/** A quantity or price as the venue wants it: plain decimal, no exponent,
 *  trailing zeros trimmed. */
void okt_decimal(double x, char *out, size_t cap);

#endif
