/*
 * trade -- the `binance` exchange's private side: orders, the account and
 * its user data stream, over the host's network API (see trade.c).
 */
#ifndef QD_BINANCE_TRADE_H
#define QD_BINANCE_TRADE_H

#include <stdint.h>

#include <quantd/sdk.h>

#include "../common/venue.h"

#define BN_MAX_REQS 128
#define BN_KNOWN 1024

struct bn_after;

struct bn_req {
	uint64_t http;          /* 0: free slot */
	int kind;
	uint64_t order;         /* host order id, or 0 */
	size_t sub;             /* the symbol's entry in venue subs */
	struct bn_after *after; /* states to report once fills are in */
	size_t n_after;
};

struct bn_tr {
	struct venue *v;
	const struct qd_host_api *api;
	qd_ctx *ctx;
	char user_ws[256];
	char api_key[128];
	int have_key, have_secret, ed25519;
	long recv_window;
	int64_t offset_ms;              /* venue time - local time */
	double tokens, rate, burst;     /* the order-rate bucket */
	int64_t tokens_ms;
	uint64_t time_timer, retry_timer, sync_timer;
	uint64_t user_conn;
	int user_open, stopping;
	struct venue_link ul;           /* the user stream's backoff */
	int sync_busy, sync_again;
	struct bn_req reqs[BN_MAX_REQS];
	int traded[VENUE_MAX_SUBS];     /* symbols with orders from us */
	int64_t last_trade[VENUE_MAX_SUBS];  /* the last fill reported */
	struct { uint64_t venue, order; size_t sub; } known[BN_KNOWN];
	struct { uint64_t order; int left, found; } asks[16];  /* queries
	                                   of an order whose symbol is unknown */
	size_t known_next;
};

void bn_trade_init(struct bn_tr *t, struct venue *v, const qd_params *p);
void bn_trade_start(struct bn_tr *t);
void bn_trade_stop(struct bn_tr *t);
void bn_trade_free(struct bn_tr *t);
/* Each: 1 if the event was the private side's. */
int bn_trade_http(struct bn_tr *t, uint64_t id, int status, const char *body,
	size_t len);
int bn_trade_ws_open(struct bn_tr *t, uint64_t conn);
int bn_trade_ws_message(struct bn_tr *t, uint64_t conn, const char *data,
	size_t len);
int bn_trade_ws_close(struct bn_tr *t, uint64_t conn, int code,
	const char *reason);
int bn_trade_timer(struct bn_tr *t, uint64_t id);

int bn_place(struct bn_tr *t, uint64_t order, const struct qd_order_req *r);
int bn_cancel(struct bn_tr *t, uint64_t order);
int bn_query(struct bn_tr *t, uint64_t order);
int bn_cancel_all(struct bn_tr *t, qd_symbol sym);
int bn_sync(struct bn_tr *t);

#endif
