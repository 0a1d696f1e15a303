/*
 * jobs -- backtests, optimisations, walk-forward and Monte Carlo runs and
 * Chan analyses the daemon does for its users (the REST API's /backtests,
 * /optimizations, /montecarlo and /chan), on the core thread's loop.
 *
 * A job is one `quantctl` process (the one installed beside quantd unless
 * "jobs.quantctl" says otherwise) started with fork+exec, no shell, every
 * value a separate argv entry, the daemon's configuration (-c), --json and
 * --progress (but a Monte Carlo run, which has none: 0, then 1 when done),
 * in its own process group: a strategy that crashes or hangs
 * takes only its job down.  Its standard output is the job's result
 * (STATE_DIR/jobs/ID/result.json, beside report.html and trades.csv for a
 * backtest); its standard error is read through a bufferevent: the
 * "progress DONE TOTAL" lines give the job's progress, the rest (at most
 * JOBS_STDERR_MAX bytes kept, in stderr.txt too) becomes the error of a
 * job that fails.  At most `workers` jobs run at once, the others wait in
 * FIFO order; a job is stopped (SIGTERM to its group, SIGKILL 2 s later)
 * when canceled or past `timeout_s` of wall-clock time.
 *
 * A request names an installed strategy plugin (checked against the
 * registry), its parameters as a JSON object checked against the plugin's
 * specs, and stored candles {"exchange","symbol","timeframe","from","to"};
 * never a path or a flag.  The strategy runs --sandbox when the host would
 * sandbox it: a plugin of a sandbox plugin directory, or one of which an
 * instance is configured "sandboxed" (the `sandboxed` callback).
 *
 * A Chan analysis (kind "chan", family "chan") is `quantctl chan` over
 * stored candles {"data":{...},"min_gap":N}: its result is the structures
 * quantctl chan prints, from the installed chan strategy plugin.
 *
 * Jobs are kept in the store (table jobs, migration 0007) by a thread of
 * their own: id, user, kind, the validated request, state (queued, running,
 * done, failed, canceled), progress, error, times and the CPU time of the
 * process (for attributing compute to users).  At start, a job the last
 * daemon left running is failed ("the daemon stopped while it ran") and
 * queued ones run again.
 *
 * Retention: a finished job (done, failed, canceled) is deleted, its row
 * and its directory, once it finished more than retention_s ago, and the
 * oldest finished ones beyond retention_max are (at start, after each job
 * ends, and at least every minute).  A backtest a queued or running Monte
 * Carlo run reads stays until that run ended.  The keeper thread deletes
 * the row and the files: the core thread never waits on the disk for it.
 *
 * A finished job's files (result, report, trades; at most 64 MiB each)
 * are opened by the keeper thread (jobs_read()), in the order of its
 * work: a job a request found keeps its files until they are open (and
 * an open file is read whole whatever is deleted after), whatever
 * retention decides meanwhile.  The API's net thread sends the file as
 * it is; the control socket's job.result, job.report and job.trades
 * (jobs_ctl_file()) are written by a thread of the socket's, the file a
 * piece at a time: the core thread does no disk work for either.
 *
 * Commands (the REST routes map onto them; FAMILY is backtest,
 * optimization, montecarlo or chan and selects the jobs of those kinds):
 *   {"cmd":"job.submit","kind":K, ...}  or "job.submit.FAMILY"
 *                                        -> {"ok":true,"job":J} (queued)
 *   {"cmd":"job.list[.FAMILY]"}          -> {"ok":true,"jobs":[J]}
 *   {"cmd":"job.get[.FAMILY]","id":N}    -> {"ok":true,"job":J}
 *   {"cmd":"job.cancel[.FAMILY]","id":N} -> {"ok":true,"job":J}
 *   {"cmd":"job.result[.FAMILY]","id":N} -> the result JSON
 *   {"cmd":"job.report[.FAMILY]","id":N} -> the HTML report
 *   {"cmd":"job.trades[.FAMILY]","id":N} -> the trades, CSV
 * The last three answer {"ok":true,"content_type":T,"body":TEXT} (the API
 * sends TEXT as it is).  With "user" (what the API adds for a signed-in
 * caller), a job of another user is not found unless "admin" is true; a
 * submission is the user's (without one: "admin") and counts against the
 * cap of the user's "plan" (what the API adds too).  Errors:
 * {"error":{"code":C,"message":M[,"field":F]}}, C "bad_request" (F the
 * member at fault, e.g. "params.fast"), "not_found", "state" (not finished,
 * or not cancelable), "limit" (the user's queued and running jobs are at
 * max_queued), "unavailable".
 */
#ifndef QD_DAEMON_JOBS_H
#define QD_DAEMON_JOBS_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct ctl_conn;
struct loop;
struct plugin;
struct plugin_registry;
struct jobs;

/** Bytes of a job's standard error kept (the rest is dropped). */
#define JOBS_STDERR_MAX 65536

/** What the runner needs; strings are copied. */
struct jobs_config {
	const char *quantctl;      /**< the program; NULL: quantctl in the
	                                directory of /proc/self/exe */
	const char *config_path;   /**< the daemon's config file (passed as
	                                -c), or NULL: the built-in one */
	const char *state_dir;     /**< outputs go to STATE_DIR/jobs/ID/ */
	const char *store_url;     /**< where jobs are kept; NULL: memory */
	unsigned workers;          /**< jobs at once; 0: online CPUs */
	unsigned timeout_s;        /**< wall-clock cap per job */
	size_t max_queued;         /**< per non-admin user whose plan is not
	                                below; 0: no limit */
	unsigned retention_s;      /**< finished jobs older are deleted; 0:
	                                kept whatever their age */
	size_t retention_max;      /**< finished jobs kept at most, the oldest
	                                deleted first; 0: no limit */
	const char *const *plan_names; /**< plans with caps of their own */
	const size_t *plan_max;    /**< (0: no limit) */
	size_t n_plans;
	const struct plugin_registry *reg;
	/** Whether the host runs plugin `p` sandboxed (may be NULL: only
	 *  sandbox plugin directories' are). */
	int (*sandboxed)(void *arg, const struct plugin *p);
	void *sandboxed_arg;
};

/**
 * Load the kept jobs (failing those left running), start the keeper
 * thread and run the queued ones once the loop runs.  NULL with err.
 */
struct jobs *jobs_start(struct loop *l, const struct jobs_config *c,
	char *err, size_t errlen);

/** Stop every running job (SIGKILL to its group, reaped), fail it ("the
 *  daemon stopped while it ran"), write what is queued and free.  NULL
 *  is a no-op. */
void jobs_stop(struct jobs *j);

/** Handle a "job.*" request; a malloc'd JSON reply.  The file commands
 *  (jobs_cmd_is_file()) are for jobs_read() and jobs_ctl_file(): here
 *  they answer an "internal" error. */
char *jobs_request(struct jobs *j, const char *cmd, const cJSON *req);

/**
 * Check a submission of `kind` (backtest, optimize, montecarlo, chan) for `user`
 * (NULL: the control socket's, an admin): NULL with the validated request
 * in *normalized (JSON text, malloc'd: what is kept and what the command
 * line is built from; checking it again gives it back unchanged), or the
 * error reply (malloc'd).  Starts nothing.
 */
char *jobs_check(struct jobs *j, const char *kind, const cJSON *req,
	const char *user, int admin, char **normalized);

/** Whether command `cmd` answers a file's text (result, report, trades):
 *  {"ok":true,"content_type":T,"body":TEXT}. */
int jobs_cmd_is_file(const char *cmd);

/**
 * A file opened for jobs_read(): `fd` (read-only, close-on-exec, taken
 * over), its `len` bytes (at most 64 MiB) and content type (static), or
 * -- fd -1 -- the error reply jobs_request() gives (malloc'd, taken over;
 * NULL when out of memory).  The bytes are what jobs_request() puts in
 * "body".
 */
typedef void (*jobs_file_fn)(void *arg, int fd, size_t len,
	const char *ctype, char *error);

/**
 * jobs_request() of a file command (jobs_cmd_is_file()) with no disk
 * work on the core thread: the job is looked up and checked now (core
 * thread) and fn(arg, ...) is called exactly once -- at once when the
 * request is refused, else from the keeper thread with the file opened
 * (the caller reads it where it likes), before jobs_stop() returns.  The
 * same errors as jobs_request()'s.
 */
void jobs_read(struct jobs *j, const char *cmd, const cJSON *req,
	jobs_file_fn fn, void *arg);

/**
 * A file command (jobs_cmd_is_file()) on the control socket's connection
 * `conn`: NULL once the connection is taken over (ctl_defer()): the reply
 * jobs_request() describes -- {"ok":true,"content_type":T,"body":TEXT},
 * or an error -- goes out from a thread of the socket's, the file opened
 * by the keeper thread (jobs_read()) and read a piece at a time as the
 * client takes it.  Else the error reply (malloc'd): no connection (conn
 * NULL), too many replies in flight ("unavailable").
 */
char *jobs_ctl_file(struct jobs *j, const char *cmd, const cJSON *req,
	struct ctl_conn *conn);

/** Called with a user's name and the job (its JSON) whenever a job's
 *  state or progress changes (at most four times a second a job); NULL
 *  stops.  For the API's "jobs" channel. */
void jobs_watch(struct jobs *j, void (*fn)(void *arg, const char *user,
	const cJSON *job), void *arg);

#endif
