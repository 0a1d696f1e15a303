/*
 * history -- the daemon's read commands over what the store keeps (control
 * socket and API), on the daemon's own reader connection:
 *
 *   {"cmd":"trade.ledger","id":ACCOUNT[,"after":TXN,"limit":N,
 *    "from":ms,"to":ms]}          an account's postings, a page of whole
 *                                 transactions; "next" is the "after" of
 *                                 the next page when there is one
 *   {"cmd":"risk.log"[,"since":ms,"limit":N]}      the risk log
 *   {"cmd":"data.coverage"[,"exchange":E,"symbol":S,"timeframe":TF]}
 *                                 what is stored of each series
 *   {"cmd":"data.gaps","exchange":E,"symbol":S,"timeframe":TF}
 *                                 the runs of candles missing in a series
 *
 * Pages are at most 1000 rows (100 when no limit is given).
 */
#ifndef QD_DAEMON_HISTORY_H
#define QD_DAEMON_HISTORY_H

#include <cjson/cJSON.h>

struct store;

/** Whether `cmd` is one of these commands. */
int history_command(const char *cmd);

/** Run one on `reader` (NULL: storage is off or cannot be read, an
 *  "unavailable" error); a malloc'd JSON reply.  Core thread. */
char *history_request(struct store *reader, const char *cmd,
	const cJSON *req);

#endif
