/*
 * trade_parse -- Kraken spot private messages: the request bodies the
 * adapter signs (REST /0/private, form-encoded with a nonce), and the
 * answers it reads (REST {"error":[...],"result":...} bodies, the private
 * WebSocket v2 `executions` and `balances` channels), with no host
 * dependency (the adapter, its tests and its fuzz target share it).
 *
 * Answers become struct kr_priv items handed to a callback one by one;
 * every number is read from the venue's text (decimal strings in REST,
 * JSON numbers on the WebSocket) as strtod reads it.  Assets come out
 * canonical (XXBT, XBT -> BTC; ZUSD -> USD; XDG -> DOGE).
 */
#ifndef QD_KRAKEN_TRADE_PARSE_H
#define QD_KRAKEN_TRADE_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum kr_priv_kind {
	KP_ORDER = 1,   /* an order's state (REST order lists, executions
	                   without a fill) */
	KP_FILL,        /* one execution of an order (a trade) */
	KP_BALANCE,     /* one asset */
	KP_ADDED,       /* AddOrder's answer: txid */
	KP_CANCELED,    /* CancelOrder's answer: count */
	KP_TOKEN,       /* GetWebSocketsToken: token */
	KP_TIME,        /* /0/public/Time: ts_ms */
	KP_ACK,         /* a WebSocket request's answer: ok, error */
};

/* Order states as the adapter reads them. */
enum kr_ord_status {
	KS_NONE = 0,
	KS_OPEN,        /* pending, new, open, partially_filled */
	KS_FILLED,      /* closed, filled */
	KS_CANCELED,
	KS_EXPIRED,
};

struct kr_priv {
	enum kr_priv_kind kind;
	int snapshot;           /* WebSocket snapshot message */
	char txid[48];          /* the venue's order id */
	char cl_ord_id[48];     /* our client id, "" if none */
	char trade_id[48];      /* KP_FILL: the venue's execution id */
	char symbol[32];        /* canonical BASE/QUOTE when given, else "" */
	char pair[32];          /* REST pair name as the venue wrote it */
	char exec_type[24];     /* WebSocket: new, trade, filled, canceled ... */
	enum kr_ord_status status;
	int side;               /* 1 buy, 2 sell, 0 unknown */
	double qty, price;      /* ordered, limit price (0 if none) */
	double cum_qty, avg_price;
	double last_qty, last_price;
	double fee;             /* KP_FILL: in fee_asset */
	char fee_asset[16];     /* canonical; "" when the answer gives none
	                           (REST trades: the pair's quote) */
	int maker;
	int64_t ts_ms;
	char reason[96];        /* cancel/expiry reason, or "" */
	/* KP_BALANCE */
	char asset[16];
	double total, free;
	int last;               /* the last of a complete snapshot */
	/* KP_CANCELED, and the answer's `count` of TradesHistory pages */
	long count;
	char token[256];
	int ok;
	char error[96];
};

typedef void (*kr_priv_fn)(void *arg, const struct kr_priv *p);

/* What a REST answer is. */
enum kr_rest_kind {
	KR_R_ADD = 1,       /* AddOrder */
	KR_R_CANCEL,        /* CancelOrder, CancelAll */
	KR_R_ORDERS,        /* OpenOrders / ClosedOrders / QueryOrders */
	KR_R_TRADES,        /* TradesHistory */
	KR_R_BALANCE,       /* BalanceEx */
	KR_R_TOKEN,         /* GetWebSocketsToken */
	KR_R_TIME,          /* /0/public/Time */
};

/**
 * A REST answer of `kind`: fn for each item.  The item count (for
 * KR_R_TRADES the `count` of the whole history also lands in *total when
 * total is not NULL); -1 if malformed (reason in `err`, 96 bytes); -2 if
 * the venue answered with an error (its first error text in `err`, e.g.
 * "EOrder:Insufficient funds").
 */
long kr_parse_rest_private(enum kr_rest_kind kind, const char *data,
	size_t len, kr_priv_fn fn, void *arg, long *total, char *err);

/**
 * One message of the private WebSocket (v2 `executions`, `balances`,
 * heartbeats, request answers): fn for each item.  The count (0 for
 * messages of no interest), -1 if malformed (reason in `why`).
 */
int kr_parse_private_ws(const char *data, size_t len, kr_priv_fn fn,
	void *arg, char *why);

/**
 * The qd_status of a Kraken error text ("EOrder:Insufficient funds"):
 * QD_ERR_DENIED (funds, permissions, keys, signatures, nonces),
 * QD_ERR_INVALID (arguments, minimums, pairs, prices), QD_ERR_LIMIT (rate
 * limits, throttling), QD_ERR_NOTFOUND (unknown order), QD_ERR_IO (the
 * venue unavailable or busy).  An error refusing a duplicate client order
 * id is QD_ERR_STATE.
 */
int kr_error_status(const char *err);

/** A canonical asset of a Kraken asset code (XXBT, XBT -> BTC, ZUSD ->
 *  USD, XDG -> DOGE); "" for codes with a suffix (XBT.F, USD.HOLD). */
void kr_asset(const char *code, char *out, size_t cap);

/* An order for AddOrder, its fields the venue's text. */
struct kr_add {
	const char *cl_ord_id;   /* "" or NULL: none */
	const char *deadline;    /* RFC 3339, or NULL */
	const char *oflags;      /* "post,fciq" ..., or NULL */
	const char *ordertype;   /* market, limit, stop-loss-limit ... */
	const char *pair;        /* XBTUSD */
	const char *price;       /* limit (or trigger), or NULL */
	const char *price2;      /* stop-loss-limit: the limit, or NULL */
	const char *timeinforce; /* GTC, IOC, GTD, or NULL */
	const char *type;        /* buy, sell */
	const char *volume;
};

/**
 * The form-encoded AddOrder body, fields in name order with `nonce` among
 * them (absent optional fields left out), into buf.  Its length, or -1 if
 * it does not fit.  The documented signing example's body is built by
 * {ordertype limit, pair XBTUSD, price 37500, type buy, volume 1.25}.
 */
int kr_add_body(char *buf, size_t cap, uint64_t nonce,
	const struct kr_add *o);

/** ms since the epoch (>= 0) as RFC 3339 UTC with milliseconds
 *  ("2021-03-23T09:39:36.594Z"), AddOrder's `deadline`; cap >= 64. */
void kr_rfc3339(int64_t ms, char *out, size_t cap);

/** A decimal as plain text, no exponent, trailing zeros trimmed
 *  (%.8f: the host rounded to the tick and lot already). */
void kr_decimal(double x, char *out, size_t cap);

#endif
