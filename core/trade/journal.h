/*
 * journal -- the trading records' way to the store: orders, fills, ledger
 * postings, accounts and the risk log, written ahead of what they allow.
 *
 * The core thread hands records over (never blocking: they are copied into
 * an unbounded queue -- its size is bounded by the order rate the risk
 * engine allows) and gets a sequence number for each.  The journal thread,
 * with a connection of its own, writes whatever is queued as one
 * transaction as soon as it arrives (group commit: no waiting for a batch
 * to fill) and then publishes the highest sequence number that is durable:
 * journal_durable() reads it from any thread, and `durable` is posted to
 * the core loop.  The OMS sends an order to its venue only once the record
 * that created it is durable, so a crash can lose an order that was never
 * sent, never one that was.
 *
 * Durability: with SQLite, "process" (synchronous=NORMAL in WAL mode, the
 * default) survives the process being killed at any moment; "power"
 * (synchronous=FULL) also survives losing the machine, at an fsync per
 * transaction.  PostgreSQL commits are durable by the server's settings.
 *
 * A failed transaction (database away, disk full) is rolled back and the
 * same records retried with backoff up to 5 s, reconnecting first when the
 * connection was lost; meanwhile nothing new becomes durable, so no order
 * is sent.
 */
#ifndef QD_TRADE_JOURNAL_H
#define QD_TRADE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct loop;
struct journal;

struct journal_stats {
	uint64_t records;          /**< records made durable */
	uint64_t commits;          /**< transactions */
	uint64_t failures;         /**< failed attempts (each retried) */
	size_t queued;             /**< waiting now */
	uint64_t durable;          /**< highest durable sequence number */
};

struct metrics_histogram;

/**
 * Open the store at `url` (as store_open() takes it) and start the thread.
 * `power_safe` selects synchronous=FULL for SQLite.  `durable(arg, seq)`
 * runs on the core thread after each commit (NULL: poll
 * journal_durable()).  `latency` (may be NULL) observes how long each
 * committed transaction took to write, in ns, from the journal's thread.
 */
struct journal *journal_start(struct loop *loop, const char *url,
	int power_safe, void (*durable)(void *arg, uint64_t seq), void *arg,
	struct metrics_histogram *latency, char *err, size_t errlen);
/** Write what is queued (waiting up to timeout_ms), stop and free. */
void journal_stop(struct journal *j, int timeout_ms);

/** Queue a record; returns its sequence number (0 when out of memory:
 *  logged, and nothing that waits on it is ever sent). */
uint64_t journal_account(struct journal *j, const struct store_account *a);
uint64_t journal_order(struct journal *j, const struct store_order *o);
uint64_t journal_fill(struct journal *j, const struct store_fill *f);
uint64_t journal_postings(struct journal *j, const struct store_posting *p,
	size_t n);
uint64_t journal_risk(struct journal *j, const struct store_risk_event *e);
/** A notification of the outbox (store_put_notification; core/notify). */
uint64_t journal_notification(struct journal *j,
	const struct store_notification *n);
/** A state blob under `key` (store_state_save): the risk engine's. */
uint64_t journal_state(struct journal *j, const char *key, const void *buf,
	size_t len);

/**
 * Records queued between begin and end reach the store in one transaction
 * (a fill: its postings, the fill and the order).  A group begun inside
 * a group is part of it.
 */
void journal_group_begin(struct journal *j);
void journal_group_end(struct journal *j);

/** The highest durable sequence number.  Any thread. */
uint64_t journal_durable(const struct journal *j);
/**
 * Block until record `seq` is durable or timeout_ms passes: QD_OK,
 * QD_ERR_TIMEOUT (the store is slow), or at once QD_ERR_STATE while its
 * writes fail and are retried (the caller's thread is not held for the
 * store's outage).  Records stay queued either way.  For a caller that
 * must not answer before its records are on disk.
 */
int journal_wait(struct journal *j, uint64_t seq, int timeout_ms);
/** The last sequence number handed out.  Core thread. */
uint64_t journal_last(const struct journal *j);
void journal_stats(struct journal *j, struct journal_stats *out);

#endif
