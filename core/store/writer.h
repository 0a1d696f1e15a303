/*
 * writer -- the store thread: closed candles, trades and plugin state from
 * the core thread to the database in batches.
 *
 * The core thread hands rows over with writer_candle()/writer_trade(),
 * which never block: a row goes into a bounded queue the writer thread
 * drains, or -- while that queue is full because the database is slow or
 * away -- into a backlog in the core thread's memory that is moved into the
 * queue as space frees up.  writer_backlogged() tells the host to slow its
 * market-data sources down meanwhile.  Only past `backlog_rows` are rows
 * dropped (oldest first), each one counted in writer_stats() and the first
 * of a run logged.
 *
 * The thread writes a transaction every `flush_rows` rows or `flush_ms`
 * milliseconds, whichever comes first.  A batch that fails (disk full,
 * server restarting) is kept and retried with backoff -- the connection is
 * re-established first when it was lost -- so nothing queued is lost while
 * the process lives; a kill loses at most the batches not committed yet.
 *
 * Plugin state: every saved state is kept in memory (loaded from the
 * database at start) so state_load never waits on the database; saves are
 * written in the next transaction, with a full sync.
 *
 * All functions but writer_stats() are for the core thread.
 */
#ifndef QD_STORE_WRITER_H
#define QD_STORE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/metrics.h"
#include "store/store.h"

struct loop;
struct writer;

struct writer_options {
	const char *url;           /**< as store_open() takes it */
	int flush_rows;            /**< rows per transaction, at most */
	int flush_ms;              /**< longest a queued row waits */
	size_t queue_rows;         /**< bounded queue to the thread */
	size_t backlog_rows;       /**< core-side overflow before dropping */
	int64_t trades_retention_ms; /**< prune older trades; 0 = keep */
	/** Observes how long each committed batch took to write, in ns
	 *  (the store thread updates it); NULL: not measured. */
	struct metrics_histogram *commit_latency;
};

struct writer_stats {
	uint64_t rows_written;     /**< candles and trades committed */
	uint64_t states_written;
	uint64_t batches;          /**< transactions committed */
	uint64_t failures;         /**< failed attempts (each retried) */
	uint64_t reconnects;       /**< connections re-established */
	uint64_t dropped;          /**< rows dropped past the backlog */
	uint64_t invalid;          /**< rows refused as malformed */
	size_t queued;             /**< rows in the queue now */
	size_t backlog;            /**< rows in the core-side backlog now */
	int healthy;               /**< the last attempt succeeded */
	int64_t last_commit_ms;    /**< wall clock of the last commit, or 0 */
	char last_error[256];      /**< of the last failure, "" if none */
	char backend[16];          /**< "sqlite" or "postgresql" */
};

/**
 * Open the store (here, so a bad location fails at start-up with its
 * message in err), load the saved plugin states and start the thread.
 */
struct writer *writer_start(struct loop *loop, const struct writer_options *o,
	char *err, size_t errlen);

/**
 * Write everything still queued (waiting up to `timeout_ms` for a database
 * that is away; what is left then is counted and logged as lost), stop the
 * thread and free.  NULL is a no-op.
 */
void writer_stop(struct writer *w, int timeout_ms);

/** Queue a closed candle of (exchange, symbol, timeframe label).  QD_OK,
 *  QD_ERR_INVALID (malformed, counted), or QD_ERR_LIMIT (dropped). */
int writer_candle(struct writer *w, const char *exchange, const char *symbol,
	const char *timeframe, const struct store_candle *c);
/** Queue a public trade; as writer_candle(). */
int writer_trade(struct writer *w, const char *exchange, const char *symbol,
	const struct store_trade *t);

/** Keep and queue the state of a plugin instance. */
int writer_state_save(struct writer *w, const char *instance, const void *buf,
	size_t len);
/** The last state saved for `instance`, as store_state_load(). */
int writer_state_load(struct writer *w, const char *instance, void *buf,
	size_t cap, size_t *len);

/** 1 while rows wait in the core-side backlog: slow the sources down. */
int writer_backlogged(const struct writer *w);

/** A snapshot of the counters.  Any thread. */
void writer_stats(struct writer *w, struct writer_stats *out);

#endif
