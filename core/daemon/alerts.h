/*
 * alerts -- the daemon's alert engine: fed from the bus (live trades and
 * closed candles, not backfilled history), kept in the store, fired onto
 * the bus as BUS_ALERT and to an optional hook, and driven by the
 * "alert.*" commands of the control socket (the REST API maps onto the
 * same commands):
 *
 *   {"cmd":"alert.create", <definition: user, exchange, symbol, name,
 *    condition, fire, cooldown_s, expires>}        -> {"ok":true,"alert":A}
 *   {"cmd":"alert.list"[,"user":U]}                 -> {"ok":true,"alerts":[A]}
 *   {"cmd":"alert.get","id":N[,"user":U]}           -> {"ok":true,"alert":A}
 *   {"cmd":"alert.update","id":N[,"user":U], any of enabled, fire,
 *    cooldown_s, expires, name}                     -> {"ok":true,"alert":A}
 *   {"cmd":"alert.delete","id":N[,"user":U]}        -> {"ok":true,"id":N}
 *   {"cmd":"alert.history"[,"id":N][,"user":U][,"limit":L]}
 *                                                   -> {"ok":true,"events":[E]}
 * With "user", an alert of another user is not found (what the API does
 * for a signed-in user).  Errors: {"error":{"code":C,"message":M}} with C
 * "bad_request" (and "field": the member at fault), "not_found",
 * "limit_exceeded" (the plan's number of alerts) or "failed".
 */
#ifndef QD_DAEMON_ALERTS_H
#define QD_DAEMON_ALERTS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "alert/alert.h"

struct loop;
struct bus;
struct plugin_registry;
struct daemon_alerts;

/**
 * Start the engine: load the alerts kept in the store at `store_url`
 * (NULL: alerts live in memory only and say so in the log), subscribe to
 * the bus, expire alerts once a minute.  A user may have `max_per_user`
 * alerts (0: no limit).  Every fire is handed to `fired`
 * when not NULL, at once, and published as BUS_ALERT (source "alert")
 * from the loop right after the trade or candle that fired it has been
 * delivered (a publish from inside a delivery would be queued by the bus
 * without its strings).
 * Returns NULL with err on failure.
 */
struct daemon_alerts *alerts_start(struct loop *l, struct bus *b,
	const struct plugin_registry *reg, const char *store_url,
	size_t max_per_user, alert_fired_fn fired, void *fired_arg, char *err,
	size_t errlen);

/** Save every alert's state, write what is queued and free.  Before the
 *  plugin registry goes (indicator instances).  NULL is a no-op. */
void alerts_stop(struct daemon_alerts *a);

/** Handle an "alert.*" request; a malloc'd JSON reply. */
char *alerts_request(struct daemon_alerts *a, const char *cmd,
	const cJSON *req);

/** The engine (tests, the API). */
struct alert_engine *alerts_engine(struct daemon_alerts *a);

#endif
