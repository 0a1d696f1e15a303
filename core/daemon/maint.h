/*
 * maint -- the store's maintenance through the API (admins), on a worker
 * thread of its own with its own connection (STORE_ROLE_ADMIN), so that a
 * long prune, import or VACUUM never holds up the core thread, the writer
 * or sign-in.  Jobs run one at a time, in order; at most MAINT_QUEUE wait.
 *
 *   data.prune   {"older_than":"30d"[,"exchange","symbol","timeframe",
 *                 "trades_only":true]}    -> {"deleted":N}
 *                (quantctl data prune: candles and trades older than the
 *                duration N[smhdw], of the series matching the filter)
 *   data.vacuum  {}                        -> {"vacuumed":true,"ms":T}
 *   data.import  ?exchange=E&symbol=S[&timeframe=TF], the body a CSV file
 *                -> {"format","exchange","symbol","timeframe","kind",
 *                "rows","first","last"} (quantctl data import --json: the
 *                same formats, checks and "body:LINE: ..." errors; all
 *                rows or none; the body is capped by api.body_max)
 */
#ifndef QD_DAEMON_MAINT_H
#define QD_DAEMON_MAINT_H

struct api_request;
struct maint;

/** Jobs waiting at most; the next one is refused (409). */
#define MAINT_QUEUE 4

/** Start the worker on the store at `url` (opened at the first job).
 *  NULL when out of memory or the thread cannot start. */
struct maint *maint_start(const char *url);

/** Whether route command `cmd` is one of the worker's. */
int maint_route(const char *cmd);

/** Queue `req` (answered by the worker) for `user` (logged).  Core
 *  thread. */
void maint_submit(struct maint *m, struct api_request *req,
	const char *user);

/** Answer what still waits (503), let the running job end, stop and
 *  free.  NULL: nothing. */
void maint_stop(struct maint *m);

#endif
