/*
 * trade -- live trading on Coinbase Advanced Trade: orders and accounts
 * over the private REST API, the `user` channel of the private WebSocket,
 * each request carrying a JWT signed by the host (api->sign) with the
 * instance's `private_key`; the key's name comes from the `api_key`
 * secret.  The adapter's ops route what is the trading side's here.
 */
#ifndef QD_COINBASE_TRADE_H
#define QD_COINBASE_TRADE_H

#include <stdint.h>

#include <quantd/sdk.h>

struct venue;
struct cbt;

struct cbt *cbt_new(struct venue *v, const qd_params *p);
void cbt_start(struct cbt *t);
void cbt_stop(struct cbt *t);
void cbt_free(struct cbt *t);

/* Events of the trading side: 1 when it was one (handled), else 0. */
int cbt_on_ws_open(struct cbt *t, uint64_t conn);
int cbt_on_ws_message(struct cbt *t, uint64_t conn, const char *data,
	size_t len);
int cbt_on_ws_close(struct cbt *t, uint64_t conn);
int cbt_on_http(struct cbt *t, uint64_t id, int status, const char *body,
	size_t len);
int cbt_on_timer(struct cbt *t, uint64_t id);

int cbt_place(struct cbt *t, uint64_t order_id, const struct qd_order_req *r);
int cbt_cancel(struct cbt *t, uint64_t order_id);
int cbt_query(struct cbt *t, uint64_t order_id);
int cbt_cancel_all(struct cbt *t, qd_symbol sym);
int cbt_sync(struct cbt *t);

#endif
