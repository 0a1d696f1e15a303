/*
 * config -- the daemon configuration and one plugin instance per file.
 *
 * Daemon config (etc/quantd.json):
 *   plugin_dirs     array of directories searched for *.so (relative paths
 *                   are relative to the config file's directory)
 *   sandbox_plugin_dirs  directories of UNTRUSTED strategy modules: the host
 *                   never loads them; a confined child describes them and
 *                   their instances always run sandboxed
 *   instances_dir   directory of instance files (default "quantd.d")
 *   state_dir       runtime files: control socket, database (default "var")
 *   control_socket  path of quantctl's socket (default STATE_DIR/quantd.sock)
 *   listen          API address "host:port" (default "127.0.0.1:8080")
 *   sandbox_helper  the quantd-sandbox program (default in libexecdir)
 *   ca_file         PEM CA certificates TLS peers (wss://, https://) are
 *                   checked against instead of the system's store
 *   storage         {"url": FILE | "sqlite:FILE" | "postgresql://..." |
 *                   "env:VAR" (default STATE_DIR/quantd.db), "enabled",
 *                   "trades", "trades_retention_days", "flush_rows",
 *                   "flush_ms", "queue_rows", "backlog_rows"}; the older
 *                   {"backend": "sqlite"|"postgresql", "path", "dsn"}
 *                   form is accepted too
 *   log             {"level": "error"|"warn"|"info"|"debug", "file": PATH}
 *   notify          {"max_attempts", "backoff_ms", "backoff_max_ms",
 *                   "send_timeout_ms", "retention_days", "feed_down_s",
 *                   "user_urls": {"allow_private": bool}}
 *                   (struct config_notify)
 *   jobs            {"workers" (default: online CPUs), "timeout_s" (3600),
 *                   "quantctl" (default: quantctl beside quantd),
 *                   "max_queued_per_user": N (10; 0: no limit) or
 *                   {"PLAN": N, ..., "default": N},
 *                   "retention_s" (30 days; 0: no age limit),
 *                   "retention_max" (10000; 0: no limit)}: backtests,
 *                   optimisations and Chan analyses run for the API, and
 *                   how long finished ones are kept (core/daemon/jobs.h)
 *
 * Instance file (etc/quantd.d/NAME.json), one instance each:
 *   plugin    name of a loaded plugin (required)
 *   instance  unique instance name [a-z0-9][a-z0-9._-]* (required)
 *   trust     "trusted" (in-process) | "sandboxed" (default "trusted")
 *   enabled   bool (default true)
 *   params    object validated against the plugin's parameter specs
 *   limits    {"memory_mib", "cpu_ms_per_call", "restarts",
 *             "orders_per_sec"} (sandboxed)
 *   strategy only: symbols ["BTC/USDT", ...], timeframes ["1m", ...],
 *                  exchange (name of an exchange instance)
 *   exchange only: symbols, timeframes (what to stream),
 *                  secrets {NAME: "env:VAR" | "file:PATH" |
 *                  "vault:CREDENTIAL"} (references, never values; a
 *                  vault: one names a credential sealed in the store and
 *                  is opened by the daemon at the instance's start)
 *   notifier only: route (struct config_route), secrets
 *
 * Every error names FILE:LINE:COL and the JSON path.  Loading never stops at
 * the first error: all are collected so `quantctl config check` shows them.
 */
#ifndef QD_CONFIG_H
#define QD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>
#include "trade/risk.h"

struct json_value;
struct plugin_registry;

/** Longest credential name a "vault:NAME" secret reference takes. */
#define CONFIG_CREDENTIAL_MAX 255

/** Accumulated error lines ("FILE:LINE:COL: PATH: message\n"). */
struct diag {
	char *text;
	size_t len;
	size_t cap;
	int count;
};

void diag_add(struct diag *d, const char *fmt, ...) QD_PRINTF(2, 3);
void diag_free(struct diag *d);

enum trust {
	TRUST_TRUSTED = 0,
	TRUST_SANDBOXED = 1,
};

struct sandbox_limits {
	uint32_t memory_mib;      /**< address space of the child */
	uint32_t cpu_ms_per_call; /**< deadline for one call */
	uint32_t restarts;        /**< restarts before the instance fails */
	uint32_t orders_per_sec;  /**< order intents per second, then killed */
	/* Quotas on what an instance can make the host hold at once (every
	 * trust level); past one, the call fails with QD_ERR_LIMIT and the
	 * host logs it once. */
	uint32_t timers;          /**< timers pending */
	uint32_t symbols;         /**< symbols it was first to intern */
	uint32_t subscriptions;   /**< market-data subscriptions */
	uint32_t open_orders;     /**< orders not yet filled or cancelled */
	uint32_t indicators;      /**< indicator instances (host side) */
	uint32_t annotation_bytes_per_sec; /**< annotation JSON bytes */
	/** Log bytes per second, then killed (annotations may use 16 times
	 *  as much); 0 = 64 KiB.  Not a config key: backtests, whose time is
	 *  simulated, lift it. */
	uint32_t log_bytes_per_sec;
};

/** An instance's trading account ("account" in its file). */
struct config_account {
	char *id;              /**< NULL: "paper:<instance>" */
	char *venue;           /**< "paper" (default) or an exchange instance */
	char *quote;           /**< NULL: the quote of the first order */
	double balance;        /**< paper: initial balance (default 10000) */
	double maker_fee;      /**< paper: default 0.001 */
	double taker_fee;      /**< paper: default 0.001 */
	double slippage_bps;   /**< paper: default 0 */
	int latency_ms;        /**< paper: default 0 */
	int margin;            /**< shorts allowed, 1x (default true) */
	int parsed;            /**< filled by the parser (else: defaults) */
};

/**
 * A notifier instance's "route": which notifications it carries, and how
 * fast it may send them.  Every list may hold "*" (everything); an event
 * pattern ending in ".*" takes that prefix ("risk.*").
 *   events        event names (default ["*"])
 *   users         users (default ["*"]; "@operators" names notifications
 *                 for no user: risk, fills, instances, feeds)
 *   min_severity  "info" (default) | "warning" | "critical"
 *   rate_per_sec, burst   the channel's token bucket (0: no limit)
 *   recipient_per_sec     per recipient (chat) (0: no limit)
 *   inflight      sends at once (default 4)
 * Rates default to the channel's documented limits for notify-telegram
 * (30/s, burst 30; 1/s per chat) and notify-discord (2.5/s, burst 5).
 */
struct config_route {
	char **events;
	size_t n_events;
	char **users;
	size_t n_users;
	int min_severity;          /**< enum qd_severity */
	double rate_per_sec;
	double burst;
	double recipient_per_sec;
	uint32_t inflight;
	int has_rate;              /**< rate_per_sec or burst given */
	int has_recipient_rate;
	int user_channels;         /**< "user_channels": the instance carries
	                                users' own channels of its plugin's
	                                kind (core/notify/channel.h) */
};

/** The daemon's "notify" object: the outbox (core/notify/outbox.h). */
struct config_notify {
	uint32_t max_attempts;     /**< then dead-lettered (default 10) */
	int64_t backoff_ms;        /**< first retry delay (default 2000) */
	int64_t backoff_max_ms;    /**< longest delay (default 600000) */
	int64_t send_timeout_ms;   /**< a send unanswered this long failed
	                                (default 60000) */
	int retention_days;        /**< delivered rows (and their keys) kept
	                                (default 7) */
	int feed_down_s;           /**< "feed.down" after this long without
	                                market data (default 60; 0: off) */
	int user_urls_allow_private; /**< "user_urls": {"allow_private"}:
	                                users' webhook and Discord URLs may
	                                reach loopback, private, link-local
	                                and other non-public addresses (test
	                                setups, LANs; default false) */
};

/** The defaults of config_notify. */
void config_notify_default(struct config_notify *n);

struct config_instance {
	char *file;
	char *plugin;
	char *instance;
	enum trust trust;
	int enabled;
	struct json_value *doc;            /**< the whole parsed file */
	const struct json_value *params;   /**< or NULL */
	char **symbols;
	size_t n_symbols;
	uint32_t *timeframes;
	size_t n_timeframes;
	char *exchange;
	struct sandbox_limits limits;
	struct config_account account;
	struct risk_limits risk;           /**< "risk": its own limits */
	int has_risk;
	qd_params *values;                 /**< set by config_bind() */
	struct config_route route;         /**< notifiers: "route" */
};

/**
 * Report every member of object `obj` whose key is not in `allowed`
 * (NULL-terminated): "FILE:LINE:COL: PATH: unknown key "K" (allowed:
 * ...)", PATH the object's own ("$", "$.notify.user_urls",
 * "$.accounts[0]"), LINE:COL the key's.
 */
void config_check_keys(const struct json_value *obj,
	const char *const *allowed, const char *file, struct diag *d);

/** Parse a risk limits object; problems reported with FILE:LINE:COL. */
int config_parse_risk(const struct json_value *obj, struct risk_limits *out,
	const char *file, struct diag *d);

/** The default limits (what an instance without "limits" gets). */
void config_limits_default(struct sandbox_limits *l);

/** The "api" object: the HTTP API server (`listen` is its address). */
struct config_api {
	int enabled;           /**< serve the API (default true) */
	char *tls_cert;        /**< PEM certificate chain, or NULL: plain HTTP */
	char *tls_key;         /**< PEM private key, or NULL */
	char *static_dir;      /**< the dashboard's files, or NULL */
	char *cors_origins;    /**< comma-separated, "*", or NULL: CORS off */
	size_t body_max;       /**< request body cap, bytes */
	unsigned timeout_s;    /**< idle clients are dropped after it */
	char *jwt_secret;      /**< env:/file: reference, or NULL: no sign-in */
	char *master_keys;     /**< vault keys "ID=REF,...", or NULL */
	int registration_open; /**< anyone may sign up (default: admins add
	                            users) */
	int access_ttl_s;      /**< access token lifetime */
};

/** The "storage" object. */
struct config_storage {
	char *url;             /**< a SQLite file (absolute), postgresql://...
	                        *   or env:VAR (see store_open) */
	int enabled;           /**< write market data (default true) */
	int trades;            /**< also store public trades (default false) */
	int trades_retention_days;  /**< trades older are pruned (default 7;
	                             *   0 = keep) */
	int flush_rows;        /**< rows per write transaction, at most */
	int flush_ms;          /**< a queued row waits this long at most */
	size_t queue_rows;     /**< the writer thread's queue */
	size_t backlog_rows;   /**< rows held in memory beyond the queue while
	                        *   the database is slow or away; past it the
	                        *   oldest are dropped, counted and logged */
};

struct config {
	char *path;            /**< the file, or "<built-in>" */
	char *dir;             /**< base for relative paths */
	char **plugin_dirs;
	size_t n_plugin_dirs;
	char **sandbox_plugin_dirs;  /**< untrusted: described, never loaded */
	size_t n_sandbox_plugin_dirs;
	char *instances_dir;
	char *state_dir;
	char *control_socket;
	char *listen;
	struct config_api api;
	char *sandbox_helper;  /**< the quantd-sandbox program */
	char *ca_file;         /**< TLS CAs instead of the system's, or NULL */
	struct config_storage storage;
	/* "risk": limits of the whole daemon and every instance's default;
	 * "trading": how orders are journalled. */
	struct risk_limits risk_global;
	struct risk_limits risk_instance;  /**< instances without their own */
	char **risk_account_ids;           /**< "accounts": by account id */
	struct risk_limits *risk_accounts;
	size_t n_risk_accounts;
	double kelly_cap;
	int trading_power_safe;  /**< "durability": "power" */
	/** "alerts": {"max_per_user": N}: alerts a user may have when no plan
	 *  says otherwise (0: no limit; default 1000). */
	size_t alerts_max_per_user;
	struct config_notify notify; /**< "notify": the outbox */
	/** "jobs": backtests and optimisations run for the API. */
	struct config_jobs {
		unsigned workers;     /**< jobs at once (default: online CPUs) */
		unsigned timeout_s;   /**< wall-clock cap per job (3600) */
		char *quantctl;       /**< the program run (default: quantctl
		                           beside quantd), or NULL */
		size_t max_queued;    /**< a non-admin user's queued and running
		                           jobs at once (default 10; 0: none) */
		char **plan_names;    /**< plans with a cap of their own */
		size_t *plan_max;     /**< their caps (0: none) */
		size_t n_plans;
		unsigned retention_s; /**< finished jobs older are deleted with
		                           their files (30 days; 0: no limit) */
		size_t retention_max; /**< finished jobs kept at most (10000;
		                           0: no limit) */
	} jobs;
	char *log_file;        /**< NULL = stderr */
	int log_level;         /**< enum qd_log_level */
	struct config_instance *instances;
	size_t n_instances;
};

/** A storage location as store_open() takes it: URLs and env:VAR as
 *  they are, a SQLite file resolved against state_dir.  malloc'd. */
char *config_storage_url(const char *state_dir, const char *url);

/** The built-in default configuration, as JSON text. */
extern const char config_builtin_json[];

/**
 * Load the daemon config at `path` (NULL = the built-in defaults) and every
 * *.json in its instances directory (name order).  Returns NULL with every
 * problem in *d when the daemon file itself is wrong.  A broken instance
 * file is left out with its problems added to *d and the config of the
 * rest returned, so that config_bind() can report their problems too:
 * callers check d->count, not only the pointer.
 */
struct config *config_load(const char *path, struct diag *d);

/**
 * Load one instance file, for `quantctl config check FILE`.  Returns 0 and
 * fills *out, or -1 with problems in *d.
 */
int config_load_instance(const char *file, struct config_instance *out,
	struct diag *d);
/** The same from text in memory; `file` names it in messages. */
int config_parse_instance(const char *file, const char *text, size_t len,
	struct config_instance *out, struct diag *d);
void config_instance_clear(struct config_instance *ci);

/**
 * Check instances against the loaded plugins: kind-specific keys allowed,
 * params valid (filled into ci->values), instance names unique, exchange
 * references resolve.  Returns the number of errors (in *d).  An instance of
 * a plugin that is not loaded (missing or refused file) is not an error: it
 * is reported in *warn (may be NULL) and fails alone when started, so one
 * bad plugin never keeps the others from running.
 */
int config_bind(struct config *c, const struct plugin_registry *r,
	struct diag *d, struct diag *warn);

/** 1 if two bound instances are configured identically (reload diff). */
int config_instance_equal(const struct config_instance *a,
	const struct config_instance *b);

const struct config_instance *config_find_instance(const struct config *c,
	const char *name);

void config_free(struct config *c);

/** "trusted" / "sandboxed". */
const char *config_trust_name(enum trust t);

#endif
