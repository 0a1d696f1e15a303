/*
 * host -- plugin instances at run time: their lifecycle, the world they
 * live in (the host API itself is runtime.h's), and applying a (re)loaded
 * configuration.
 *
 * Lifecycle of an instance: create -> start -> (running) -> stop -> destroy.
 * Instances start in dependency order (exchanges, notifiers, payment
 * providers, then strategies) and stop in reverse.  A failing create or
 * start marks that instance FAILED with its reason and leaves the others
 * running.  Every state change is published on the bus (BUS_PLUGIN_STATE).
 *
 * Core thread only.
 */
#ifndef QD_HOST_H
#define QD_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

#include "trade/risk.h"

#include "bus/bus.h"

struct bus;
struct config;
struct loop;
struct plugin_registry;

struct host;

/** A snapshot of one instance, for `quantctl plugin list`. */
struct host_instance_info {
	const char *instance;
	const char *plugin;
	const char *file;
	enum qd_kind kind;
	const char *version;
	uint32_t abi_major, abi_minor;
	const char *trust;
	enum bus_plugin_state state;
	const char *reason;      /**< why failed, or NULL */
	const char *config_file; /**< the instance file it was configured by */
	const char *exchange;    /**< strategies: their exchange instance, or
	                              NULL */
	const char *account;     /**< strategies: the configured account id,
	                              or NULL ("paper:<instance>") */
	const qd_params *params; /**< its validated params, or NULL */
	uint32_t restarts;       /**< sandbox children lost and restarted */
	/* Exchanges: market data it emitted since it was created, and the
	 * wall clock (ns) of the latest message, 0 if none. */
	uint64_t trades, bars, book_tops;
	int64_t last_emit;
};

/** `state_dir` holds saved instance state.  Returns NULL on failure. */
struct host *host_new(struct loop *loop, struct bus *bus,
	const char *state_dir);

/** Stop every instance (reverse dependency order), then free. */
void host_free(struct host *h);

struct net_client;
/** The WebSocket and HTTP clients plugins' network calls use (NULL: none).
 *  Before host_apply(); it must outlive the instances (host_free()). */
void host_set_net(struct host *h, struct net_client *c);

struct writer;
/**
 * Keep plugin state in the store through `w` (NULL: state files in
 * state_dir), and hold timer-driven exchange instances back while the
 * store's backlog is not empty.  Before host_apply().
 */
void host_set_writer(struct host *h, struct writer *w);
/** The store api->history_open reads ("store:..." sources); NULL: none. */
int host_set_history(struct host *h, const char *store_url);
struct vault;
/**
 * The master keys that open instances' "vault:NAME" secrets (credentials
 * sealed in the store host_set_history() names); NULL: none, and such an
 * instance fails to start saying so.  Borrowed: it outlives the host.
 */
void host_set_vault(struct host *h, const struct vault *v);
struct candles_stats;
/** The candle aggregator's counters (trades, late trades, bars closed,
 *  venue klines taken and how many differed from the trades' bars). */
void host_candles_stats(const struct host *h, struct candles_stats *out);

struct journal_stats;
/** The trading journal's counters (all 0 without trading storage). */
void host_journal_stats(struct host *h, struct journal_stats *out);

/** Exchange timer ticks skipped because the store was behind. */
uint64_t host_ingest_paused(const struct host *h);

/** Path of the quantd-sandbox program (default $(libexecdir)). */
int host_set_sandbox_helper(struct host *h, const char *path);

/**
 * Make the running instances match `c` (already bound against `r` with
 * config_bind and error-free): instances no longer configured are stopped
 * and destroyed, changed ones restarted, new ones created and started,
 * unchanged ones untouched.  The host takes ownership of `c` and frees the
 * previous config.  `r` must outlive the host's use of it.
 * Returns the number of instances that failed to start.
 */
int host_apply(struct host *h, struct config *c, struct plugin_registry *r);

/**
 * Call fn(arg, number of failed instances) once no instance is starting
 * any more: at once if none is, else when the last sandboxed child has
 * reported (ready and started, or failed).  One waiter at a time.
 */
void host_when_settled(struct host *h, void (*fn)(void *arg, size_t failed),
	void *arg);

/** Stop all instances in reverse dependency order (they stay listed). */
void host_stop_all(struct host *h);

/** Restart one instance; QD_ERR_NOTFOUND if there is none of that name. */
int host_restart(struct host *h, const char *instance);
/** Start one stopped (or failed) instance: QD_OK, QD_ERR_NOTFOUND,
 *  QD_ERR_STATE if it runs (or is starting), QD_ERR_INVALID if it failed
 *  to start (its reason says why). */
int host_start(struct host *h, const char *instance);
/** Stop one instance; it stays listed as stopped. */
int host_stop(struct host *h, const char *instance);

/**
 * Upgrade the module at `path`: stop its instances, reload the file, bind
 * their params again and start them.  Returns 0 or a qd_status.
 */
int host_upgrade_module(struct host *h, const char *path);

/**
 * Ask exchange instance `instance` for the closed bars of `symbol` on
 * `tf_s` in [from_ms, to_ms) over REST; they arrive as its klines do (into
 * the store; older than what strategies saw: not to them).  QD_OK (sent),
 * QD_ERR_NOTFOUND (no such instance), QD_ERR_INVALID (not an exchange, or
 * a bad symbol), QD_ERR_STATE (not running), or the adapter's refusal.
 */
int host_backfill(struct host *h, const char *instance, const char *symbol,
	uint32_t tf_s, int64_t from_ms, int64_t to_ms);

struct mailer;
/** The SMTP client notifiers' api->mail_send uses (NULL: none).  Before
 *  host_apply(); it must outlive the instances. */
void host_set_mail(struct host *h, struct mailer *m);
struct config_route;
/** Notifiers' answers (api->notify_done) go to done(arg, instance, req,
 *  status, detail); before host_apply(). */
void host_set_notify(struct host *h, void (*done)(void *arg,
	const char *channel, uint64_t req, int status, const char *detail),
	void *arg);
/**
 * Where notifiers' requests for users may go: with allow_private 0 (the
 * default), the HTTP requests and WebSockets a notifier opens inside
 * send() of a user's notification (one with a target), and outside any
 * send() for a notifier whose route carries users' channels, reach public
 * unicast addresses only (NETC_PUBLIC_ONLY, net/ipclass.h); a refusal is
 * logged naming the plugin, and becomes the detail of the notification's
 * failure.  1: anywhere ("notify": {"user_urls": {"allow_private": true}}).
 */
void host_set_user_urls(struct host *h, int allow_private);
/** Call fn for every running notifier instance with its route. */
void host_notifiers(struct host *h, void (*fn)(void *arg,
	const char *channel, const struct config_route *route), void *arg);
/**
 * Hand `n` to notifier instance `channel`'s send(req): QD_OK, or
 * QD_ERR_NOTFOUND (no such running notifier), QD_ERR_UNSUPPORTED (n has
 * a target and the notifier's module predates SDK 1.6), or its refusal.
 * While send() runs, the plugin's "target.NAME" secrets come from
 * secret(secret_arg, NAME, ...) (NULL: none).
 */
int host_notify_send(struct host *h, const char *channel, uint64_t req,
	const struct qd_notification *n, int (*secret)(void *arg,
	const char *name, char *buf, size_t cap, size_t *len),
	void *secret_arg);
/** The first running instance (in configuration order) of notifier
 *  plugin `plugin` whose route says "user_channels": true, or NULL. */
const char *host_notifier_of(struct host *h, const char *plugin);

/** How the host trades (set before any instance). */
struct host_trading {
	const char *url;             /**< the store journalling orders (and
	                                  restoring them), or NULL: memory */
	int power_safe;              /**< synchronous=FULL (SQLite) */
	struct risk_limits risk_global;
	struct risk_limits risk_instance; /**< instances without their own */
	char *const *risk_account_ids;    /**< and accounts' own */
	const struct risk_limits *risk_accounts;
	size_t n_risk_accounts;
	double kelly_cap;
	/** Observes each journal commit's write time (ns), or NULL. */
	struct metrics_histogram *journal_latency;
};

/**
 * Set up order management: restore orders, accounts and the ledger from
 * the store and journal every change to it from now on.  Before
 * host_apply().  QD_OK, or an error with `err`.
 */
int host_set_trading(struct host *h, const struct host_trading *t,
	char *err, size_t errlen);
/** The host's order management (emergency close, queries). */
struct oms *host_oms(struct host *h);

/** An instrument an exchange instance listed (api->emit_instrument):
 *  steps and minimums as the venue's decimal text ("" = none given). */
struct host_instrument {
	char exchange[64];      /**< the exchange instance */
	qd_symbol symbol;
	char native[64];
	char tick[32], lot[32], min_qty[32], min_notional[32];
	char status[24];
	int trading;
	int64_t updated;        /**< ns */
};

size_t host_instrument_count(const struct host *h);
const struct host_instrument *host_instrument_at(const struct host *h,
	size_t i);
/** The instrument of `sym` on exchange instance `exchange`, or NULL. */
const struct host_instrument *host_instrument(const struct host *h,
	const char *exchange, qd_symbol sym);

size_t host_instance_count(const struct host *h);
int host_instance_info(const struct host *h, size_t i,
	struct host_instance_info *out);

/** An annotation a strategy instance made (api->annotate); its strings
 *  are valid for the call only. */
struct host_annotation {
	uint64_t seq;           /**< from 1, growing over all instances */
	int64_t ts_ms;          /**< the bar being handled then (ms) */
	const char *instance;
	const char *kind;       /**< "chan.stroke" */
	const char *json;       /**< one JSON object, normalised */
};

/** Call fn(arg, a) for each new annotation, on the core thread (NULL:
 *  none).  Each instance keeps its newest 5,000 (4 MiB of text at most). */
void host_watch_annotations(struct host *h,
	void (*fn)(void *arg, const struct host_annotation *a), void *arg);

/**
 * Call fn(arg, a) for the first `limit` annotations instance `instance`
 * keeps whose seq is after `after`, oldest first; *more is set when later
 * ones remain.  QD_OK, or QD_ERR_NOTFOUND for no such instance.
 */
int host_annotations(const struct host *h, const char *instance,
	uint64_t after, size_t limit,
	void (*fn)(void *arg, const struct host_annotation *a), void *arg,
	int *more);

/** Name of a plugin state ("running", "failed", ...). */
const char *host_state_name(enum bus_plugin_state s);

#endif
