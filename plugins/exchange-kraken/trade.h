/*
 * trade -- Kraken spot trading for the `kraken` exchange: orders over REST
 * /0/private (signed by the host, api->sign), the account stream over the
 * private WebSocket v2 (executions, balances), and the reconcile
 * (account_sync).  kraken.c hands it what is its own: its HTTP answers,
 * its timers and its WebSocket (kt_on_* return 1 for those).
 */
#ifndef QD_KRAKEN_TRADE_H
#define QD_KRAKEN_TRADE_H

#include <stdint.h>

#include <quantd/sdk.h>

#include "../common/venue.h"

#define KT_MAX_REQS 128
#define KT_MAX_TX 4096
#define KT_MAX_HELD 256

/* A REST request in flight. */
struct kt_req {
	uint64_t http;          /* host request id; 0: free */
	int kind;               /* enum in trade.c */
	uint64_t order;         /* host order id, or 0 */
	long ofs;               /* TradesHistory: the page's offset */
};

/* The venue's order id of one of our orders (its fills name it only). */
struct kt_tx {
	char txid[48];
	uint64_t order;
	qd_symbol sym;
};

/* A terminal state held until the fills fetched before it are reported. */
struct kt_held {
	uint64_t order;
	enum qd_order_state state;
	int error;
	char reason[128];
};

/* A place asked before the first reconcile ended. */
struct kt_queued {
	uint64_t order;
	struct qd_order_req req;
};

struct kr_trade {
	struct venue *v;
	char ws_auth_url[256];
	char api_key[256];
	int have_key;
	char token[256];                       /* for the next stream */
	uint64_t nonce_last, nonce_reserved;   /* persisted: reserved */
	int64_t fills_since_ms;                /* persisted: resume point */
	int64_t offset_ms;                     /* venue clock - ours */
	uint64_t conn;                         /* the private WebSocket */
	int open, lost, stopping;
	struct venue_link link;                /* backoff attempts */
	uint64_t retry_timer, time_timer, ping_timer, sync_timer;
	uint64_t settle_timer;                 /* reconcile after a loss */
	struct kt_req reqs[KT_MAX_REQS];
	struct kt_tx tx[KT_MAX_TX];
	size_t tx_next;
	struct kt_held held[KT_MAX_HELD];
	size_t n_held;
	int syncing, sync_again;
	int synced;                            /* a reconcile completed */
	struct kt_queued queued[KT_MAX_HELD];
	size_t n_queued;
	int64_t sync_start_ms, sync_max_ms;    /* this pass's trades */
	double rest_tokens, order_tokens;      /* rate buckets */
	int64_t bucket_ms;
	int64_t paused_until_ms;
};

void kt_init(struct kr_trade *t, struct venue *v, const qd_params *p);
int kt_start(struct kr_trade *t);
void kt_stop(struct kr_trade *t);
int kt_on_ws_open(struct kr_trade *t, uint64_t conn);
int kt_on_ws_message(struct kr_trade *t, uint64_t conn, const char *data,
	size_t len);
int kt_on_ws_close(struct kr_trade *t, uint64_t conn);
int kt_on_http(struct kr_trade *t, uint64_t id, int status,
	const char *body, size_t len);
int kt_on_timer(struct kr_trade *t, uint64_t id);

int kt_place(struct kr_trade *t, uint64_t order,
	const struct qd_order_req *r);
int kt_cancel(struct kr_trade *t, uint64_t order);
int kt_query(struct kr_trade *t, uint64_t order);
int kt_cancel_all(struct kr_trade *t, qd_symbol sym);
int kt_sync(struct kr_trade *t);

#endif
