/*
 * trading -- the daemon's trading and risk commands (control socket).
 */
#ifndef QD_DAEMON_TRADING_H
#define QD_DAEMON_TRADING_H

#include <cjson/cJSON.h>

struct host;

/** Handle a "trade.*" or "risk.*" request; a malloc'd JSON reply. */
char *trading_request(struct host *h, const char *cmd, const cJSON *req);

#endif
