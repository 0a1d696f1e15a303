/*
 * trade_parse -- Binance spot private messages and requests, with no host
 * dependency (the adapter, its unit test and its fuzz target share it).
 *
 * Requests: the parameters of POST /api/v3/order in the documented order
 * (symbol, side, type, timeInForce, quantity, price, stopPrice, then ours)
 * and the signed tail (recvWindow, timestamp); the string the venue signs
 * is the query string followed, with no separator, by the body.
 * Answers: an order (POST/DELETE/GET /api/v3/order, allOrders), a trade
 * (myTrades, the fills of a FULL answer), an error {"code":N,"msg":".."}.
 * User data stream (a WebSocket API subscription): the answer to the
 * subscribe request {"id":..,"status":N[,"error":{"code":..,"msg":..}]},
 * and executionReport and outboundAccountPosition events, in the wrapper
 * {"subscriptionId":N,"event":{..}} or bare.
 */
#ifndef QD_BINANCE_TRADE_PARSE_H
#define QD_BINANCE_TRADE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* One order as the venue reports it, with the fill it carries (if any). */
struct bn_exec {
	char symbol[32];
	char cid[40];          /* the order's client id (the original one on
	                          a cancel's report) */
	uint64_t order_id;     /* the venue's */
	int side;              /* 1 buy, 2 sell */
	char type[24];         /* LIMIT, MARKET, STOP_LOSS_LIMIT, ... */
	char status[24];       /* NEW, PARTIALLY_FILLED, FILLED, CANCELED,
	                          EXPIRED, REJECTED, ... */
	char exec_type[24];    /* stream: NEW, TRADE, CANCELED, EXPIRED,
	                          REJECTED, ...; "" elsewhere */
	char reject[64];       /* stream: the reject reason, "NONE" */
	double qty, price, cum_qty, cum_quote;
	double last_qty, last_price, fee;   /* the fill; fee in fee_asset */
	char fee_asset[16];
	int64_t trade_id;      /* -1: no fill */
	int maker;
	int64_t ts_ms;
};

/* A balance of outboundAccountPosition or GET /api/v3/account. */
struct bn_bal {
	char asset[16];
	double free, locked;
};

#define BN_MAX_BAL 64

enum bn_user_kind {
	BN_U_EXEC = 1,
	BN_U_BALANCE,
	BN_U_ANSWER,           /* an answer to a request: status, code, msg */
	BN_U_OTHER,            /* valid, not used (balanceUpdate, ...) */
};

struct bn_user {
	enum bn_user_kind kind;
	struct bn_exec x;
	struct bn_bal bal[BN_MAX_BAL];
	int n_bal;
	int64_t ts_ms;
	int status, code;      /* BN_U_ANSWER */
	char msg[96];
	char error[96];
};

/** Plain decimal text of v (8 decimals at most, no trailing zeros, no
 *  exponent): "0.1", "1", "30000.5". */
void bn_decimal(double v, char *buf, size_t cap);

/**
 * The parameters of a new order: symbol, side, type, then timeInForce,
 * quantity, price, stopPrice where given (tif NULL, price / stop <= 0:
 * left out), then newClientOrderId and newOrderRespType where given.
 * Returns the length, or -1 if it does not fit.
 */
int bn_order_params(char *buf, size_t cap, const char *symbol,
	const char *side, const char *type, const char *tif, double qty,
	double price, double stop, const char *cid, const char *resp_type);

/** Append the signed tail "&recvWindow=R&timestamp=T" (or without the
 *  '&' to an empty query).  Returns the new length, or -1. */
int bn_signed_tail(char *buf, size_t cap, long recv_window_ms,
	int64_t ts_ms);

/** The string the venue signs: query then body, no separator.  Returns
 *  the length, or -1 if it does not fit. */
int bn_sign_payload(char *buf, size_t cap, const char *query,
	const char *body);

/** The signed payload of userDataStream.subscribe.signature: its
 * parameters but the signature, sorted by name, as a query string
 * ("apiKey=K&recvWindow=R&timestamp=T").  The length, or -1. */
int bn_ws_subscribe_payload(char *buf, size_t cap, const char *api_key,
	long recv_window_ms, int64_t ts_ms);

/** Percent-encode a Base64 signature (+ / =) for a query.  -1 if it does
 *  not fit. */
int bn_pct_encode(const char *in, char *out, size_t cap);

/** One order object of a REST answer.  0, or -1 if it is not one. */
int bn_exec_from_order(const cJSON *o, struct bn_exec *x);
/** One trade of myTrades (or a FULL answer's fill: then `symbol`,
 *  `order_id` and `maker` are the caller's).  0, or -1. */
int bn_exec_from_trade(const cJSON *t, struct bn_exec *x);

/** An error body {"code":-2010,"msg":"..."}: 0 with code and msg (96
 *  bytes), -1 if the body is not one. */
int bn_parse_error(const char *body, size_t len, int *code, char *msg);

/** The qd_status of a venue error code and text. */
int bn_error_status(int code, const char *msg);

/** True when the venue refused an order as a duplicate client id. */
int bn_error_duplicate(int code, const char *msg);

/** One user data stream message.  0, or -1 if malformed (why in
 *  u->error). */
int bn_parse_user(const char *data, size_t len, struct bn_user *u);

/** A balance list (GET /api/v3/account `balances`, outboundAccountPosition
 *  `B`) into u->bal.  0, or -1 if malformed. */
int bn_parse_balances(const cJSON *arr, struct bn_user *u);

/**
 * A fee in the quote currency: a fee in `quote` as is, one in `base` at
 * the fill price; 0 for another asset (*other set to 1).
 */
double bn_fee_quote(double fee, const char *asset, const char *base,
	const char *quote, double price, int *other);

#endif
