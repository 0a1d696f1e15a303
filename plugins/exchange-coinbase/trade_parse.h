/*
 * trade_parse -- Coinbase Advanced Trade private messages (orders, fills,
 * accounts, refusals) and the JWT the venue wants on each private request,
 * with no host dependency (the adapter, its unit test and its fuzz target
 * share it).
 *
 * Orders come in two shapes carrying the same facts: REST (orders/
 * historical/{id}, orders/historical/batch) {order_id, client_order_id,
 * product_id, side, status, filled_size, average_filled_price, total_fees,
 * reject_reason, cancel_message, ...} and the user channel's events
 * [{type, orders:[{order_id, client_order_id, product_id, order_side,
 * status, cumulative_quantity, avg_price, total_fees, reject_Reason,
 * cancel_reason}]}].  Both report cumulative quantities, never single
 * fills: those come from orders/historical/fills {fills:[{trade_id,
 * order_id, price, size, commission, liquidity_indicator, side,
 * sequence_timestamp}], cursor}.
 */
#ifndef QD_COINBASE_TRADE_PARSE_H
#define QD_COINBASE_TRADE_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* An order's state as the venue words it. */
enum cbt_status {
	CBT_UNKNOWN = 0,
	CBT_OPEN,        /* PENDING, OPEN, QUEUED, CANCEL_QUEUED */
	CBT_FILLED,
	CBT_CANCELLED,
	CBT_EXPIRED,
	CBT_FAILED,      /* refused after it was taken */
};

struct cbt_order {
	char order_id[64];      /* the venue's */
	char client_id[64];     /* ours: "qd..." */
	char product[32];
	int side;               /* 1 BUY, 2 SELL, 0 not said */
	enum cbt_status status;
	double filled;          /* cumulative base quantity */
	double avg_price;
	char reason[96];        /* reject or cancel reason, "" if none */
};

struct cbt_fill {
	char trade_id[64];
	char order_id[64];
	char product[32];
	int side;
	double price, size;
	double commission;      /* in the quote currency (the venue's rule) */
	int maker;              /* liquidity_indicator MAKER */
	char seq_ts[40];        /* sequence_timestamp, RFC 3339 */
};

struct cbt_balance {
	char currency[16];
	double available, hold;
};

/* What a create-order answer said. */
struct cbt_place {
	int success;
	char order_id[64];
	char error[64];         /* error_response.error, or failure_reason */
	char message[128];
};

/**
 * A user channel message: fn for each order it reports (snapshot and
 * update events alike).  Returns the order count (0 for another channel
 * or a heartbeat), -1 if malformed with the reason in why (96 bytes).
 * *channel (24 bytes, may be NULL) receives the envelope's channel.
 */
int cbt_parse_user(const char *data, size_t len, char *channel,
	void (*fn)(void *arg, const struct cbt_order *o), void *arg,
	char *why);

/** {"order":{...}} (one) or {"orders":[...], "has_next", "cursor"} (a
 *  page): fn each.  Count or -1; *more/cursor (64 bytes) when paged. */
int cbt_parse_orders(const char *data, size_t len,
	void (*fn)(void *arg, const struct cbt_order *o), void *arg,
	int *more, char *cursor, char *why);

/** A fills page: fn each; count or -1; cursor (64 bytes), "" at the end. */
int cbt_parse_fills(const char *data, size_t len,
	void (*fn)(void *arg, const struct cbt_fill *f), void *arg,
	char *cursor, char *why);

/** An accounts page: fn each; count or -1; *more and cursor (64 bytes). */
int cbt_parse_accounts(const char *data, size_t len,
	void (*fn)(void *arg, const struct cbt_balance *b), void *arg,
	int *more, char *cursor, char *why);

/** A create-order answer (any HTTP status): 0, or -1 if not one. */
int cbt_parse_place(const char *data, size_t len, struct cbt_place *out);

/** A cancel answer: the first result's success (1/0) and its failure
 *  reason in reason (64 bytes); -1 if not one. */
int cbt_parse_cancel(const char *data, size_t len, char *reason);

/** An error answer {"error","message"} (or plain text) as "code: text"
 *  in out (cap bytes); the code in code (64 bytes). */
void cbt_error_text(int http, const char *data, size_t len, char *code,
	char *out, size_t cap);

/** The qd_status of the venue's error code (and HTTP status). */
int cbt_error_status(int http, const char *code);

/** The server's time answer {"epochMillis"} in ms, or -1. */
int64_t cbt_parse_time(const char *data, size_t len);

/**
 * The JWT's signing input: base64url(header) "." base64url(payload), with
 * header {"alg","kid","nonce","typ":"JWT"} and payload {"sub","iss":"cdp",
 * "nbf","exp":nbf+120[,"uri"]} (uri NULL for the WebSocket).  Length, or 0
 * if it does not fit in cap or key/uri hold a character JSON would need
 * escaped.
 */
size_t cbt_jwt_input(const char *alg, const char *key_name,
	const char *nonce, int64_t now_s, const char *uri, char *out,
	size_t cap);

/** base64url without padding of n bytes; the length written (cap must
 *  hold 4*ceil(n/3)+1). */
size_t cbt_b64url(const void *in, size_t n, char *out, size_t cap);

/** A quantity or price as plain decimal text: %.8f, trailing zeros cut. */
void cbt_decimal(double x, char *out, size_t cap);

#endif
