/*
 * sandbox -- running a plugin instance in a confined child process.
 *
 * The host side presents a sandboxed instance as an ordinary plugin: an ops
 * table shaped like the kind's (struct qd_strategy_ops, ...) and a state
 * pointer.  host.c calls them exactly as it calls an in-process plugin; each
 * call becomes a typed binary frame over a socketpair to the child
 * (`quantd-sandbox`), which runs the real plugin and calls the host API back
 * through frames that the proxy answers with the real host API.
 *
 * Design: ARCHITECTURE.md section 6; the allowlists: filter.c.
 */
#ifndef QD_SANDBOX_H
#define QD_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

#include "config/config.h"

struct loop;

/** What to run and how to confine it. */
struct sandbox_spec {
	const char *helper_path;        /**< the quantd-sandbox program */
	const char *plugin_file;        /**< the .so to load in the child */
	const char *plugin_name;        /**< which plugin of that module */
	enum qd_kind kind;
	const char *instance;           /**< instance name, for logs */
	struct sandbox_limits limits;
	/** Indicator modules the child loads too (api->indicator_new runs
	 *  inside the child); NULL-terminated, may be NULL. */
	const char *const *indicator_files;
	/** Called when the instance gives up: it could not be created or
	 *  started (not retried), or its restarts are used up. */
	void (*on_failed)(void *arg, const char *reason);
	/** Called once its first start() returned QD_OK (with a loop). */
	void (*on_started)(void *arg);
	/** Called when a child is lost (before any restart): what the host
	 *  keeps for that child (timers) means nothing to the next one. */
	void (*on_lost)(void *arg);
	void *arg;
	/**
	 * The core loop: with one, the child is driven asynchronously
	 * (sandbox_create returns before the child is ready, callbacks queue
	 * and return at once, on_started/on_failed report the outcome) and
	 * restarts wait here with exponential backoff.  NULL: every call
	 * waits for the child (backtests), and a lost child fails the run.
	 */
	struct loop *loop;
	/** Batches (sandbox_on_bars): told which bar the child is on before
	 *  its requests for that bar; asked after each request whether the
	 *  batch must end after that bar (an order placed there must be
	 *  matched before the next bar is seen).  May be NULL. */
	void (*batch_at)(void *arg, uint32_t index);
	int (*batch_stop)(void *arg);
};

/**
 * Spawn the child, load the plugin there and create the instance with the
 * given (already validated) params, which must outlive the instance (a
 * restart sends them again).  On success returns QD_OK with *ops (a proxy
 * table of the kind's shape; its destroy() stops the child) and *state.
 * On failure returns a qd_status with the reason in err.
 */
int sandbox_create(const struct sandbox_spec *spec,
	const struct qd_host_api *api, qd_ctx *ctx, const qd_params *params,
	const struct qd_ops **ops, void **state, char *err, size_t errlen);

/** Children of every sandboxed instance since the process started. */
struct sandbox_stats {
	uint64_t lost;          /**< children that ended unasked (crash, kill,
	                         *   hang, violation) */
	uint64_t violations;    /**< of those, killed for a forbidden syscall */
	uint64_t restarts;      /**< restarts scheduled after a loss */
	uint64_t failed;        /**< instances given up on (could not start,
	                         *   or restarts used up) */
};
/** A snapshot of the counters.  Any thread. */
void sandbox_stats(struct sandbox_stats *out);

/**
 * Deliver n bars to a sandboxed strategy in as few round trips as possible
 * (one frame carries up to ~16k bars).  `state` is the one sandbox_create()
 * returned.  *processed (may be NULL) receives how many bars the child
 * handled: fewer than n when batch_stop() ended the batch.  Returns the
 * child's status or QD_ERR_STATE if it was lost.
 */
int sandbox_on_bars(void *state, const struct qd_bar_event *evs, size_t n,
	size_t *processed);

/** A backtest's batch (sandbox_on_batch): what goes with its bars. */
struct sandbox_batch {
	/** Order updates of the bar before the first (its fills), handed to
	 *  on_order before any bar; at most 16. */
	const struct qd_order_update *updates;
	size_t n_updates;
	/** The bars' symbol and timeframe.  The child answers position_get
	 *  for the symbol from the position the batch carries (it changes
	 *  only with fills, which come after an order, which ends a batch),
	 *  marked at each bar's close as the backtester's runtime marks
	 *  it. */
	qd_symbol symbol;
	uint32_t timeframe_s;
	/** The host's order ids are consecutive (a backtest's paper
	 *  account): once one is known, a plain market order on `symbol`
	 *  may be sent with the batch's answer (F_ORDER_DEFER) instead of a
	 *  request; the host submits it at its bar and stops a child whose
	 *  order the host refuses or numbers differently. */
	int defer_orders;
};

/**
 * Deliver a backtest's batch in one round trip: b->updates, then the bars
 * (up to ~20k) until one ends the batch (an order deferred or placed, a
 * timer, a subscription: batch_stop()), the child's requests answered as
 * they come and its deferred orders submitted at their bar.  `bars` start
 * at the first the child has not run: after a batch that ran d of its n
 * bars, the next call passes those n - d first, and unless another call
 * came in between the child still holds them (they are not sent again).
 * *processed (may be NULL) receives the bars the child ran.  Returns the
 * child's status, QD_ERR_INVALID for a batch that cannot be sent now, or
 * QD_ERR_STATE if the child was lost.
 */
int sandbox_on_batch(void *state, const struct sandbox_batch *b,
	const struct qd_bar *bars, size_t n, size_t *processed);

/** Events waiting for the child plus the call in flight (0: idle). */
size_t sandbox_pending(const void *state);

struct plugin_registry;

/**
 * Describe the module at `path` in a fully confined child (its code,
 * constructors included, never runs in the host) and register its plugins
 * as sandbox-only.  Returns the number registered, or a negative qd_status
 * with the reason in err.
 */
int sandbox_describe(const char *helper, const char *path,
	struct plugin_registry *r, char *err, size_t errlen);

/** sandbox_describe() every *.so of `dir` not yet registered. */
int sandbox_load_dir(struct plugin_registry *r, const char *helper,
	const char *dir);

#endif
