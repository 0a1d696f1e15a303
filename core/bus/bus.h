/*
 * bus -- the typed event bus of the core thread.
 *
 * Publish/subscribe by topic with typed payloads.  Publishing is synchronous
 * on the core thread: every matching subscriber is called before
 * bus_publish() returns, in subscription order.  A publish made from inside a
 * handler is queued and delivered after the current event has reached every
 * subscriber, so each subscriber sees the events of a topic in the order they
 * were published.  No allocation per event: the reentrancy queue is a
 * preallocated ring that only grows (rarely) when nested publishes pile up.
 *
 * Subscriptions may filter on a key: 0 means every event of the topic;
 * otherwise only events whose key matches (bus_key_bar() for symbol and
 * timeframe, the symbol for trades and book tops, the instance id for
 * plugin-state events).
 *
 * Not thread-safe: other threads hand events to the core thread with
 * loop_post() (core/loop/loop.h), which then publishes them.
 */
#ifndef QD_BUS_H
#define QD_BUS_H

#include <stdint.h>
#include <quantd/sdk.h>

enum bus_topic {
	BUS_TRADE = 0,    /**< payload trade */
	BUS_BAR,          /**< payload bar (closed candle) */
	BUS_BOOK_TOP,     /**< payload book */
	BUS_ORDER_UPDATE, /**< payload order (state change) */
	BUS_FILL,         /**< payload order (last_qty > 0) */
	BUS_ALERT,        /**< payload alert */
	BUS_PLUGIN_STATE, /**< payload plugin */
	BUS_BAR_PARTIAL,  /**< payload bar: an open candle that changed, at
	                   *   most four times a second (live charts) */
	BUS_TOPIC_COUNT
};

/** A triggered alert. Strings are owned by the publisher, valid for the call. */
struct bus_alert {
	uint64_t alert_id;
	qd_symbol symbol;
	enum qd_severity severity;
	const char *title;
	const char *body;
	const char *event;      /**< what notifies: "alert" (NULL too),
	                         *   "risk.RULE" for risk actions */
	const char *user;       /**< the user it is for, or NULL: operators */
	const char *key;        /**< deduplication key of the notification,
	                         *   or NULL (see core/notify/outbox.h) */
	const char *channels;   /**< the user's own channels it goes to
	                         *   (outbox_event.channels), or NULL */
};

/** States of a plugin instance, as shown by `quantctl plugin list`. */
enum bus_plugin_state {
	PLUGIN_STATE_LOADED = 0,  /**< module loaded, no instance */
	PLUGIN_STATE_CREATED,
	PLUGIN_STATE_RUNNING,
	PLUGIN_STATE_STOPPED,
	PLUGIN_STATE_RESTARTING,  /**< sandbox child being restarted */
	PLUGIN_STATE_FAILED,      /**< gave up: restarts exhausted or bad start */
	PLUGIN_STATE_REFUSED,     /**< module refused by the loader */
};

struct bus_plugin_event {
	uint64_t instance_id;
	const char *instance;   /**< instance name */
	const char *plugin;     /**< plugin name */
	enum bus_plugin_state state;   /**< what happened */
	const char *reason;     /**< why (failed, refused), or NULL */
	enum bus_plugin_state current; /**< the state it is listed in since:
	                         *   a sandboxed instance whose child is
	                         *   replaced (RESTARTING) stays RUNNING */
	uint32_t restarts;      /**< sandbox children lost and restarted */
};

struct bus_event {
	enum bus_topic topic;
	uint64_t key;           /**< filter key, see above; 0 = none */
	const char *source;     /**< market data: the exchange instance that
	                         *   emitted it (valid while it runs), or NULL */
	int history;            /**< a closed bar older than one already
	                         *   published for its series (a backfill):
	                         *   for the store, not for strategies */
	union {
		struct qd_trade_event trade;
		struct qd_bar_event bar;
		struct qd_book_top_event book;
		struct qd_order_update order;
		struct bus_alert alert;
		struct bus_plugin_event plugin;
	} u;
};

typedef void (*bus_handler)(void *arg, const struct bus_event *ev);

struct bus;

/** Initial capacity of the nested-publish ring, in events. */
#define BUS_RING_INITIAL 256

/** Returns a new bus or NULL on allocation failure. */
struct bus *bus_new(void);
/** Free the bus and its subscriptions.  Not from inside a handler. */
void bus_free(struct bus *b);

/**
 * Call handler(arg, ev) for every event of `topic` whose key matches `key`
 * (0 = all).  Returns a subscription id > 0, or 0 on allocation failure, a
 * NULL handler or an unknown topic.  Safe to call from inside a handler
 * (takes effect for the next event, including events queued by handlers).
 * Subscribers of a topic are called in subscription order.
 */
uint64_t bus_subscribe(struct bus *b, enum bus_topic topic, uint64_t key,
	bus_handler handler, void *arg);

/**
 * Remove a subscription; safe from inside a handler (the subscriber is not
 * called again, not even for the event being delivered).  0 or
 * QD_ERR_NOTFOUND.
 */
int bus_unsubscribe(struct bus *b, uint64_t sub_id);

/**
 * Deliver `ev` (copied if it has to be queued, with the strings of order,
 * fill, alert and plugin-state events: the publisher's may be gone by the
 * time a queued event is delivered).  Returns 0, QD_ERR_INVALID
 * for an unknown topic, or QD_ERR_NOMEM if a nested publish could not be
 * queued (the event is dropped and counted in `dropped`).  A publish from
 * inside a handler returns once the event is queued.
 */
int bus_publish(struct bus *b, const struct bus_event *ev);

/** Key for bar subscriptions: symbol and timeframe in seconds. */
static inline uint64_t
bus_key_bar(qd_symbol sym, uint32_t timeframe_s)
{
	return ((uint64_t)sym << 32) | timeframe_s;
}

/** Counters for metrics. */
struct bus_stats {
	uint64_t published[BUS_TOPIC_COUNT]; /**< events delivered, per topic */
	uint64_t delivered;    /**< handler calls */
	uint64_t dropped;      /**< nested publishes that could not be queued */
	uint64_t nested;       /**< publishes queued from inside a handler */
	uint64_t ring_grows;   /**< times the nested-publish ring was enlarged:
	                        *   the only allocation publishing can make */
	uint64_t ring_slots;   /**< current capacity of that ring, in events */
	uint64_t ring_peak;    /**< most events it ever held at once */
};
/** Copy the counters.  `delivered` is brought up to date after each event
 *  has reached all its subscribers. */
void bus_stats_get(const struct bus *b, struct bus_stats *out);

#endif
