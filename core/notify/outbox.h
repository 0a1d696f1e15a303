/*
 * outbox -- the durable notification outbox: what the daemon tells people
 * (alerts, risk actions, fills, instances failing, feeds going quiet) and
 * its way to them through the notifier plugins (the channels).
 *
 * A notification is routed when it is enqueued: every channel whose route
 * (config.h, "route" of a notifier instance) takes its event, severity and
 * user gets its own copy, a row of the store's notify_outbox table.  The
 * row is written through a journal of its own (core/trade/journal.h) and
 * a copy is sent only once that write is durable, so a notification the
 * daemon accepted survives kill -9 at any moment.
 *
 * Deduplication: each notification has a key (the producer's, such as
 * "fill:ORDER:TRADE", or one the outbox makes); the same key enqueued
 * twice for a channel is one row.  Keys of delivered rows are remembered
 * for the retention period (then pruned with their rows).
 *
 * Delivery: at most `inflight` sends per channel at once, a token bucket
 * per channel and one per recipient (the channels' documented limits:
 * Telegram about 30 messages/s per bot and 1/s per chat, Discord 5
 * requests per 2 s per webhook), a channel's "retry_after_ms=N" answer
 * (its 429) pausing that channel.  A failed send is retried after
 * backoff_ms x 2^(attempt-1), at most backoff_max_ms, with +-25 % jitter;
 * after max_attempts the row is dead-lettered with the last error, until
 * an operator retries it (outbox_retry).
 *
 * Guarantee: at least once to the channel.  A send whose success was not
 * durably recorded before a crash is sent again at start with the same
 * key (qd_notification.key; the webhook's Idempotency-Key header), so a
 * receiver that counts by key counts every notification exactly once.
 *
 * Core thread only (the journal's thread does the writing).
 */
#ifndef QD_NOTIFY_OUTBOX_H
#define QD_NOTIFY_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

#include "config/config.h"

struct loop;
struct outbox;
struct channel_book;

/** A notification to enqueue.  Strings are the caller's, for the call. */
struct outbox_event {
	const char *event;       /**< "alert", "fill", "risk.daily_loss", ...:
	                              [a-z0-9._-], at most 64 bytes */
	enum qd_severity severity;
	const char *user;        /**< the user it is for, or NULL: operators */
	const char *title;
	const char *body;
	const char *recipient;   /**< or NULL: each channel's default */
	const char *key;         /**< deduplication key [A-Za-z0-9._:-], at
	                              most 128 bytes; NULL: a new one */
	const char *channels;    /**< the user's own channels it goes to,
	                              kinds joined by commas ("webhook,email",
	                              channel.h): each one named is used or
	                              recorded as skipped with the reason;
	                              NULL: every channel the user set; "":
	                              none.  Only with a user and a book. */
	int user_only;           /**< 1: to the user's own channels only, not
	                              to the instances' routes (a test) */
};

/** A user channel's secret while its send() runs (see
 *  outbox_channels.send). */
struct outbox_secret {
	int (*get)(void *arg, const char *name, char *buf, size_t cap,
		size_t *len);
	void *arg;
};

/** The channels: what the outbox asks its owner (the host) for. */
struct outbox_channels {
	/** Call fn for every running notifier instance with its route
	 *  (never NULL: the default route when the file gives none). */
	void (*each)(void *arg, void (*fn)(void *fnarg, const char *channel,
		const struct config_route *route), void *fnarg);
	/** Hand `n` to channel's send(req); QD_OK when it took it (the answer
	 *  comes through outbox_done), QD_ERR_NOTFOUND when the channel is not
	 *  running, or the plugin's refusal. */
	int (*send)(void *arg, const char *channel, uint64_t req,
		const struct qd_notification *n, const struct outbox_secret *sec);
	void *arg;
	/** The running instance of notifier plugin `plugin` that carries
	 *  users' own channels of its kind ("notify-webhook"; the daemon's:
	 *  route "user_channels": true), or NULL.  May be NULL: users'
	 *  channels are not used. */
	const char *(*serving)(void *arg, const char *plugin);
};

/** Counters, for `quantctl notify list` and metrics. */
struct outbox_stats {
	uint64_t enqueued;       /**< rows made */
	uint64_t duplicates;     /**< enqueues dropped by key */
	uint64_t unrouted;       /**< notifications no channel took */
	uint64_t sent;           /**< sends handed to channels */
	uint64_t delivered;
	uint64_t failures;       /**< failed sends (each retried or dead) */
	uint64_t dead;           /**< rows dead-lettered */
	uint64_t skipped;        /**< rows for a user's channel recorded as
	                              skipped (plan, channel removed, no
	                              instance for its kind) */
	size_t pending;          /**< rows waiting now */
	size_t dead_now;         /**< dead rows now */
};

/**
 * Open the outbox on the store at `url` (as store_open takes it; NULL:
 * memory only, nothing survives a restart, and the log says so), reload
 * its pending and dead rows and the keys of delivered ones, prune rows
 * delivered before the retention period and start sending through `ch`.
 * Returns NULL with `err` set.
 */
struct outbox *outbox_open(struct loop *loop, const char *url,
	int power_safe, const struct config_notify *cfg,
	const struct outbox_channels *ch, char *err, size_t errlen);
/** Write what is queued (up to timeout_ms), stop, free.  NULL is a no-op. */
void outbox_close(struct outbox *ob, int timeout_ms);

/**
 * Route `e` and queue a row per channel that takes it.  Returns how many
 * rows were made (0: no route, or every one a duplicate), or
 * QD_ERR_INVALID (no event or a malformed one, a malformed key) /
 * QD_ERR_NOMEM.
 */
int outbox_enqueue(struct outbox *ob, const struct outbox_event *e);

/**
 * Block until every row queued so far is in the store, up to timeout_ms:
 * QD_OK (also with no store: nothing to wait for), QD_ERR_TIMEOUT, or
 * QD_ERR_STATE at once while the store's writes fail (journal_wait); the
 * rows stay queued and are written when the store takes them.
 */
int outbox_flush(struct outbox *ob, int timeout_ms);

/** A channel's answer to send(req) (api->notify_done). */
void outbox_done(struct outbox *ob, const char *channel, uint64_t req,
	int status, const char *detail);

/**
 * Every notification enqueued, before routing, to `fn` (at most 8
 * listeners): the hook the dashboards' WebSocket push subscribes to ("a
 * notification for user U").  The event's strings are valid for the call.
 */
int outbox_listen(struct outbox *ob, void (*fn)(void *arg,
	const struct outbox_event *e), void *arg);

/**
 * Users' own channels (core/notify/channel.h): with a book, a
 * notification for a user also goes to the channels that user set (see
 * outbox_event.channels), one row per kind through the instance
 * ch.serving names, with the user's settings as the notifier's target
 * (SDK 1.6).  Whether the user's plan includes the kind is checked when
 * the row is made and again before each send: a kind it lacks (a
 * downgrade), a channel removed or a kind no instance carries makes the
 * row dead-lettered at once, its last error "skipped: REASON", never
 * silently dropped; outbox_retry sends it again (after an upgrade).
 * Before each send the row goes through the instance that carries its
 * kind then: a retried row whose kind no running instance carries is
 * skipped again with that reason, never left pending.  The
 * book stays the caller's; NULL turns users' channels off.
 */
void outbox_set_book(struct outbox *ob, struct channel_book *b);
/** The book set, or NULL. */
struct channel_book *outbox_book(const struct outbox *ob);
/** 1 when users' URLs may name internal addresses ("notify":
 *  {"user_urls": {"allow_private": true}}); 0: public ones only. */
int outbox_user_urls_private(const struct outbox *ob);

/** A row as listed (strings valid until the next outbox call). */
struct outbox_row {
	uint64_t id;
	const char *key, *channel, *event, *user, *title, *recipient;
	const char *user_channel;  /**< the user's channel kind, or NULL */
	int skipped;               /**< dead because skipped (last_error) */
	int severity;
	int state;               /**< enum store_notify_state */
	uint32_t attempts;
	int64_t next_ms, created_ms;
	const char *last_error;
};
/** Call fn for every pending (dead = 0) or dead (dead = 1) row, by id. */
void outbox_each(struct outbox *ob, int dead,
	void (*fn)(void *arg, const struct outbox_row *r), void *arg);
/** Send dead row `id` again (0: every dead row) from attempt 1: how many
 *  rows were revived, or QD_ERR_NOTFOUND for an id that is not dead. */
int outbox_retry(struct outbox *ob, uint64_t id);

void outbox_stats(const struct outbox *ob, struct outbox_stats *out);

/**
 * Events that notify besides alerts, from the bus: risk actions
 * (BUS_ALERT from "risk": event "risk.RULE"), alerts (BUS_ALERT: "alert"),
 * fills (BUS_FILL: "fill", key fill:ORDER:TRADE), instances failed or
 * restarted (BUS_PLUGIN_STATE: "plugin.failed", "plugin.restarting"), and
 * an exchange instance whose market data stopped for feed_down_s seconds
 * ("feed.down", then "feed.up" when it is back).
 */
struct bus;
int outbox_watch(struct outbox *ob, struct bus *bus);

#endif
