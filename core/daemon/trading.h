/*
 * trading -- the daemon's trading and risk commands (control socket).
 */
#ifndef QD_DAEMON_TRADING_H
#define QD_DAEMON_TRADING_H

#include <cjson/cJSON.h>

struct host;
struct oms;
struct qd_order_update;

/** Handle a "trade.*" or "risk.*" request; a malloc'd JSON reply. */
char *trading_request(struct host *h, const char *cmd, const cJSON *req);

/**
 * Add to order `e` what it waits on: "stop_price" (its trigger now),
 * "sl_price"/"tp_price" (an entry's bracket), "parent_id" (a bracket
 * child's entry); each only when it has one.
 */
void trading_order_levels(struct oms *o, const struct qd_order_update *u,
	cJSON *e);

/**
 * fn(arg, account, symbol, sl, tp) for every open position: where its
 * scope's risk rules would close it now, as trade.positions gives its
 * "sl_price" and "tp_price" (0: no rule).  Strings valid for the call.
 */
void trading_position_levels(struct host *h, void (*fn)(void *arg,
	const char *account, const char *symbol, double sl, double tp),
	void *arg);

#endif
