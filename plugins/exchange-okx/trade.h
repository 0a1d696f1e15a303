/*
 * trade.h -- OKX v5 spot trading (tdMode cash) for the okx adapter: the
 * signed REST calls, the private WebSocket (login, orders and account
 * channels) and reconciliation.  See trade.c.
 */
#ifndef QD_OKX_TRADE_H
#define QD_OKX_TRADE_H

#include <stdint.h>

#include <quantd/sdk.h>

#include "../common/venue.h"

#define OKT_MAX_ORDERS 2048
#define OKT_MAX_REQS 256
#define OKT_SEEN 16384          /* fills remembered (trade id hashes) */

/* An order the adapter placed or heard of, with what it reported. */
struct okt_order {
	uint64_t id;            /* host order id, 0 = free */
	char inst[32];
	double qty, price;
	int side;               /* enum qd_side */
	int type;               /* enum qd_order_type */
	double filled;          /* fills reported */
	int terminal;           /* a final state was reported */
	uint64_t seq;           /* for reuse: oldest terminal first */
};

struct okt_req {
	uint64_t http;          /* 0 = free */
	int kind;
	uint64_t order;
	size_t sub;             /* a query over the subscriptions: the next */
	int terminal;           /* order fills: the final state to report */
	int then_cancel;        /* a lookup for a cancel: cancel if open */
	int final;              /* a lookup after the receive window */
	char reason[160];
	int64_t since;          /* fills: the begin asked for */
};

/* A lookup waiting for the token bucket, or for `due` (ms). */
struct okt_defer {
	uint64_t id;
	int then_cancel;
	int final;              /* an "unknown" answer now is the last word */
	int64_t due;
};

struct okx_trade {
	struct venue *v;
	char key[128], passphrase[128];
	const char *missing;    /* the first credential missing, or NULL */
	int demo;
	int64_t recv_ms;        /* expTime: how long a request stays good */
	double rate;            /* requests a second (the token bucket) */
	double tokens;
	int64_t tokens_at, paused_until;
	int64_t offset_ms;      /* the venue's clock minus ours */
	int64_t time_sent;
	struct venue_link priv; /* the private WebSocket */
	int resync;             /* a reconcile is owed (a call failed) */
	int sync_held;          /* a reconcile waits for the token bucket */
	uint64_t ping_timer, time_timer, resume_timer, drain_timer;
	struct okt_defer defer[OKT_MAX_ORDERS];
	size_t n_defer;
	int64_t fills_since;    /* ms: the last fill reported */
	int syncing;
	struct okt_order orders[OKT_MAX_ORDERS];
	uint64_t seq;
	struct okt_req reqs[OKT_MAX_REQS];
	uint64_t seen[OKT_SEEN];
	size_t n_seen;
};

void okt_init(struct okx_trade *t, struct venue *v, const qd_params *p);
int okt_start(struct okx_trade *t);
void okt_stop(struct okx_trade *t);
int okt_place(struct okx_trade *t, uint64_t id, const struct qd_order_req *r);
int okt_cancel(struct okx_trade *t, uint64_t id);
int okt_query(struct okx_trade *t, uint64_t id);
int okt_cancel_all(struct okx_trade *t, qd_symbol sym);
int okt_sync(struct okx_trade *t);
/* Each 1 if the event was the trading side's (else the market data's). */
int okt_on_ws_open(struct okx_trade *t, uint64_t conn);
int okt_on_ws_message(struct okx_trade *t, uint64_t conn, const char *data,
	size_t len);
int okt_on_ws_close(struct okx_trade *t, uint64_t conn, int code,
	const char *reason);
int okt_on_http(struct okx_trade *t, uint64_t id, int status,
	const char *body, size_t len);
int okt_on_timer(struct okx_trade *t, uint64_t id);

#endif
