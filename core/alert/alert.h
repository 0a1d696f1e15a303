/*
 * alert -- the alert engine: users' conditions on one (exchange, symbol),
 * evaluated on the core thread from the trades and closing candles the
 * daemon sees, fired to a hook and kept in the store.
 *
 * An alert is a condition tree and how it fires:
 *   price_above / price_below   the price reaches a level: on trades, or on
 *                               the close of a timeframe's candles
 *   change                      a percent move within a window (below)
 *   rsi_above / rsi_below       RSI(period) of the closes beyond a level
 *   golden_cross / death_cross  a fast moving average above / below a slow
 *                               one (sma or ema)
 *   bollinger_above / _below    the close outside the upper / lower band
 *   and / or                    2 to 8 conditions, nested at most
 *                               ALERT_MAX_DEPTH deep
 * The indicator conditions are evaluated on the close of their timeframe's
 * candles through indicator plugins (core/plugin/indicator.h), each
 * instance updated once per closing candle: O(1) per candle per alert.
 *
 * Every condition has a state -- true, false or unknown (no data yet, or
 * an indicator still warming up) -- and an alert fires when the state of
 * its whole tree goes from false to true.  So "crosses" means exactly:
 *   price_above L: previous price < L <= new price;
 *   price_below L: previous price > L >= new price;
 * and the first price an alert sees (no previous one) never fires it.
 * A price alert on trades fires once per crossing, however far the trade
 * jumps: the standalone ones are kept per (exchange, symbol) in two arrays
 * sorted by level, and a trade from p0 to p1 finds the levels it crossed
 * with two binary searches -- O(log n + fired) per trade, not a scan.
 *
 * change: percent P over a window of W seconds, relative to the price at
 * the window's start.  A window starts at the first price seen and lasts
 * W; the next price at or after its end starts the next window with that
 * price.  Within a window, the state is (price / start - 1) * 100 >= P
 * (P > 0) or <= P (P < 0).  When the alert fires a new window starts at
 * the firing price, so that "every" fires again only on a further move.
 *
 * Firing: "once" fires and then disables the alert; "every" fires on each
 * false -> true edge, except inside `cooldown_s` seconds after the last
 * time it fired (an edge inside the cooldown is dropped, not deferred).
 * An alert past its expiry time fires no more and shows as expired.  Times
 * are those of the market data (a trade's time, a candle's close), so a
 * replay of recorded data fires as live data did.
 *
 * Ownership: strings handed in are the caller's and copied; the JSON the
 * engine returns is the caller's to cJSON_Delete().  Not thread-safe: the
 * core thread only.
 */
#ifndef QD_ALERT_H
#define QD_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "store/store.h"

struct plugin_registry;
struct alert_engine;

/** Deepest nesting of and/or (the root is depth 1). */
#define ALERT_MAX_DEPTH 4
/** Most conditions an and/or combines. */
#define ALERT_MAX_CHILDREN 8
/** Fired events kept in memory for alert_history_json() by default. */
#define ALERT_HISTORY_DEFAULT 1000

/** An alert that fired.  Strings valid for the call. */
struct alert_fired {
	uint64_t id;
	const char *user_id;
	const char *exchange;
	const char *symbol;
	const char *name;         /**< the user's label, may be "" */
	int64_t ts_ns;            /**< market time of the event that fired it */
	double price;             /**< that trade's price or candle's close */
	const char *message;      /**< what happened, one line */
	uint64_t fire_count;      /**< including this time */
	const char *channels;     /**< the owner's channels it notifies
	                           *   ("webhook,email"; "" none; NULL every
	                           *   one the owner set, notify/channel.h) */
};

/**
 * Called on the core thread for every fire, after the engine's own state
 * is updated.  The daemon publishes it (BUS_ALERT) and hands it to the
 * notification outbox.  It must not change the engine (create, update or
 * delete alerts) from inside the call.
 */
typedef void (*alert_fired_fn)(void *arg, const struct alert_fired *f);

/**
 * Where the engine's rows go to be kept: the daemon queues them to a store
 * thread (alert_keeper_*), a test may write them straight to a store.
 * Called on the core thread; rows valid for the call.  NULL members: that
 * kind of row is not kept.
 */
struct alert_sink {
	void (*save)(void *arg, const struct store_alert *a);
	void (*remove)(void *arg, uint64_t id);
	void (*event)(void *arg, const struct store_alert_event *e);
	void *arg;
};

/**
 * Plan limits: how many alerts `user_id` may have (0 = no limit).  Plans
 * live elsewhere; NULL uses alert_options.max_per_user for everyone.
 */
typedef size_t (*alert_limit_fn)(void *arg, const char *user_id);

struct alert_options {
	const struct plugin_registry *indicators; /**< where rsi, sma, ema and
	                           *   bbands are found; NULL refuses the
	                           *   indicator conditions */
	alert_fired_fn fired;     /**< NULL: fires are only kept */
	void *fired_arg;
	struct alert_sink sink;
	alert_limit_fn limit;
	void *limit_arg;
	size_t max_per_user;      /**< when limit is NULL; 0 = no limit */
	size_t history;           /**< fired events kept in memory; 0 =
	                           *   ALERT_HISTORY_DEFAULT */
};

/** A new engine (options copied), or NULL when out of memory. */
struct alert_engine *alert_engine_new(const struct alert_options *o);
/** Free the engine and its indicator instances; NULL is a no-op. */
void alert_engine_free(struct alert_engine *e);

/**
 * Create an alert from its JSON definition:
 *   {"user":"admin","exchange":"binance","symbol":"BTC/USDT","name":"",
 *    "condition":{...},"fire":"once"|"every","cooldown_s":0,
 *    "expires":MS,"channels":["webhook","email"]}
 * ("channels": which of the owner's own notification channels a fire
 * goes to; absent or null: every one the owner set; []: none, the
 * dashboard only)
 * (docs/alerts.md lists every condition and its fields).  `now_ns` is the
 * creation time.  Returns QD_OK with *id; QD_ERR_INVALID with err naming
 * the field ("condition.of[1].level: expected a number"); QD_ERR_LIMIT
 * when the user has as many alerts as the plan allows; QD_ERR_NOMEM.
 * The new alert is saved through the sink.
 */
int alert_create(struct alert_engine *e, const cJSON *def, int64_t now_ns,
	uint64_t *id, char *err, size_t errlen);

/**
 * Change an alert: any of "enabled" (bool), "fire", "cooldown_s",
 * "expires" (ms; 0 or null: never), "name", "channels".  Enabling an alert starts its
 * condition afresh (its previous state is forgotten).  QD_OK,
 * QD_ERR_NOTFOUND, or QD_ERR_INVALID with err naming the field (nothing
 * changes then).
 */
int alert_update(struct alert_engine *e, uint64_t id, const cJSON *changes,
	int64_t now_ns, char *err, size_t errlen);

/** Delete an alert (and, through the sink, its history).  QD_OK or
 *  QD_ERR_NOTFOUND. */
int alert_delete(struct alert_engine *e, uint64_t id);

/** The owner of alert `id`, or NULL when there is none. */
const char *alert_user(const struct alert_engine *e, uint64_t id);

/** Alerts the engine holds. */
size_t alert_count(const struct alert_engine *e);

/**
 * One alert as JSON: its definition plus "id", "enabled", "status"
 * ("active", "disabled", "expired"), "fire_count", "last_fired" (ms or
 * null), "created", "updated".  NULL when there is no such alert.
 */
cJSON *alert_json(const struct alert_engine *e, uint64_t id,
	int64_t now_ns);
/** Every alert of `user_id` (NULL: of everyone), ascending by id, as a
 *  JSON array of alert_json() objects. */
cJSON *alert_list_json(const struct alert_engine *e, const char *user_id,
	int64_t now_ns);
/**
 * Fired events, newest first, of alert `id` (0: every alert) and of
 * `user_id` (NULL: everyone's), at most `limit` (0: all kept): a JSON
 * array of {"alert","user","symbol","time","price","message"}.  The engine
 * keeps the latest alert_options.history events (loaded from the store at
 * start); the store keeps them all.
 */
cJSON *alert_history_json(const struct alert_engine *e, uint64_t id,
	const char *user_id, size_t limit);

/** A trade of `exchange` (the instance that emitted it).  Evaluates the
 *  price alerts crossed and the conditions that watch trades. */
void alert_on_trade(struct alert_engine *e, const char *exchange,
	const struct qd_trade_event *t);
/** A closed candle of `exchange`: the conditions on its timeframe. */
void alert_on_bar(struct alert_engine *e, const char *exchange,
	const struct qd_bar_event *b);

/** Mark alerts whose expiry is at or before now_ns (wall clock) expired:
 *  they leave the price index and are saved. */
void alert_expire(struct alert_engine *e, int64_t now_ns);

/**
 * Add an alert read back from the store (at start, before any market
 * data), with its fire count, last fire and evaluation state.  QD_OK, or
 * QD_ERR_INVALID with err when the stored definition is no longer valid
 * (an indicator plugin gone): the caller logs it and the row stays stored.
 */
int alert_restore(struct alert_engine *e, const struct store_alert *row,
	char *err, size_t errlen);
/** Add a stored fired event to the in-memory history; give them oldest
 *  first. */
void alert_restore_event(struct alert_engine *e,
	const struct store_alert_event *ev);

/**
 * Indicator plugins being replaced (a module upgraded on reload): drop
 * frees every indicator instance of every alert before the old module is
 * unloaded; renew creates them again from the registry afterwards.  The
 * indicator conditions warm up again.  An alert whose indicator cannot be
 * made any more is logged and stays silent; renew returns how many.
 */
void alert_indicators_drop(struct alert_engine *e);
size_t alert_indicators_renew(struct alert_engine *e);

/** Save every alert with its current state through the sink (at shutdown:
 *  the previous prices crossings are measured from). */
void alert_save_all(struct alert_engine *e);

/* ---- the keeper: alert rows to the store on a thread of their own ------- */

struct alert_keeper;

/**
 * Open the store at `url` (as store_open() takes it), read every stored
 * alert and the latest `history` events into `e` (a row that no longer
 * validates is logged and skipped), and start the thread that writes what
 * the engine's sink hands it.  Returns NULL with err on failure.  The
 * engine's sink must be alert_keeper_sink() of the result: call
 * alert_keeper_start() with an engine whose sink is still empty, and it
 * sets it.
 */
struct alert_keeper *alert_keeper_start(const char *url,
	struct alert_engine *e, size_t history, char *err, size_t errlen);
/** Write what is queued (waiting up to timeout_ms), stop and free.  NULL
 *  is a no-op. */
void alert_keeper_stop(struct alert_keeper *k, int timeout_ms);

/** Rows written and failed writes (each retried), for tests and stats. */
void alert_keeper_stats(struct alert_keeper *k, uint64_t *written,
	uint64_t *failures);

/** Set the engine's sink (used by alert_keeper_start()). */
void alert_engine_set_sink(struct alert_engine *e,
	const struct alert_sink *sink);

#endif
