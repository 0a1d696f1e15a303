/*
 * observe -- the daemon's metrics: what every area already counts (the
 * bus, the candle aggregator, the store writer, the journal, the OMS and
 * risk, the sandbox, the net thread's queue, plugin instances, process
 * facts) registered as read families of a metrics registry, and the
 * store's commit-latency histogram its thread updates.
 *
 * The figures are read at render time from the areas' own counters
 * (writer_stats(), oms_stats(), ...), never counted twice.  Render and the
 * reads run on the core thread.
 */
#ifndef QD_DAEMON_OBSERVE_H
#define QD_DAEMON_OBSERVE_H

struct bus;
struct host;
struct metrics;
struct metrics_histogram;
struct net;
struct writer;

/** Where the figures come from; pointers may be NULL (storage disabled,
 *  net not started yet) and may be set after observe_register(). */
struct observe_sources {
	struct host *host;
	struct bus *bus;
	struct net *net;
	struct writer *writer;
	/** Set by observe_register(): the histogram the store writer observes
	 *  its batch commits into (writer_options.commit_latency). */
	struct metrics_histogram *commit_latency;
	/** Set by observe_register(): the trading journal's commits
	 *  (host_trading.journal_latency). */
	struct metrics_histogram *journal_latency;
};

struct observe;

/**
 * Register the daemon's families in `m`; `src` must outlive the registry's
 * last render, and the result must too (free it after the registry).
 * Returns the state the callbacks read, or NULL when a family could not be
 * registered (no memory, or a name taken) -- the registry may then hold
 * some of them: free it.
 */
struct observe *observe_register(struct metrics *m,
	struct observe_sources *src);
/** Free what observe_register() made.  NULL is a no-op. */
void observe_free(struct observe *o);

#endif
