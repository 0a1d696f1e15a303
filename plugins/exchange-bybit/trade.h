/*
 * trade -- the `bybit` adapter's account: orders over Bybit v5 REST
 * (category=spot), signed by the host (api->sign, secret "api_secret";
 * the key "api_key" through secret_get), and the private WebSocket
 * (topics order, execution, wallet) whose updates go to the host.  After
 * a loss of that stream it reconnects with backoff and reconciles over
 * REST (by_account_sync): balances, open orders, fills since the last one
 * seen (persisted with state_save; the last 24 h on a first run).
 *
 * bybit.c owns the struct and routes to it the connections, requests
 * and timers the by_*_owns() functions claim.
 */
#ifndef QD_BYBIT_TRADE_H
#define QD_BYBIT_TRADE_H

#include <stdint.h>

#include <quantd/sdk.h>

#include "../common/venue.h"

#define BY_MAX_REQS 128
#define BY_MAX_ORDERS 1024

/* An order placed by this run: its symbol (a cancel needs it). */
struct by_order {
	uint64_t id;
	char native[32];
};

struct by_req {
	uint64_t http;          /* host request id, 0 = free */
	int kind;
	uint64_t order;
	int then;               /* after fills: the terminal state to report */
	char reason[128];
	int error;
};

/* An order whose end waits for its fills, asked again at `timer`. */
struct by_retry {
	uint64_t timer;
	uint64_t order;
};

#define BY_MAX_RETRIES 32

struct by_account {
	struct venue *v;
	char rest_url[256];
	char ws_url[256];
	char recv_window[16];
	char key[128];           /* "" when not configured */
	int64_t offset_ms;       /* venue clock - ours */
	struct venue_link link;  /* the private stream */
	int authed, had_stream;
	uint64_t ping_timer, time_timer;
	double tokens;           /* the request bucket */
	int64_t tokens_at;
	int64_t paused_until;    /* REST rate-limited until (ms) */
	int64_t fills_since;     /* execTime of the last fill reported */
	int64_t saved_since;
	struct by_req reqs[BY_MAX_REQS];
	struct by_order orders[BY_MAX_ORDERS];
	struct by_retry retries[BY_MAX_RETRIES];
	size_t next_order;
};

void by_account_init(struct by_account *a, struct venue *v,
	const qd_params *p);
int by_account_start(struct by_account *a);
void by_account_stop(struct by_account *a);

int by_owns_conn(const struct by_account *a, uint64_t conn);
int by_owns_req(const struct by_account *a, uint64_t req);
int by_owns_timer(const struct by_account *a, uint64_t timer);

void by_account_ws_open(struct by_account *a, uint64_t conn);
void by_account_ws_message(struct by_account *a, uint64_t conn,
	const char *data, size_t len);
void by_account_ws_close(struct by_account *a, uint64_t conn, int code,
	const char *reason);
void by_account_http(struct by_account *a, uint64_t req, int status,
	const char *body, size_t len);
void by_account_timer(struct by_account *a, uint64_t timer);

int by_order_place(struct by_account *a, uint64_t id,
	const struct qd_order_req *r);
int by_order_cancel(struct by_account *a, uint64_t id);
int by_order_query(struct by_account *a, uint64_t id);
int by_order_cancel_all(struct by_account *a, qd_symbol sym);
int by_account_sync(struct by_account *a);

#endif
