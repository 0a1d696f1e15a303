/*
 * runtime -- the one implementation of the host API (struct qd_host_api).
 *
 * A plugin instance calls the same functions wherever it runs: in the
 * daemon (core/host/host.c), in a backtest (core/backtest/backtest.c) or,
 * through the sandbox proxy, from a confined child.  What differs between
 * those is the world the instance lives in -- its clock, how timers run,
 * where market data comes from, its paper account, where state is kept,
 * where annotations go -- and a driver supplies that as a struct
 * world_ops.  Everything else is here, once: argument checks, the
 * per-instance quotas (limits.*), order state rules, indicators, symbols,
 * secrets, HMAC, annotation checks, logging with the instance's tag.
 *
 * A driver embeds a struct qd_ctx per instance, fills it with
 * runtime_init(), hands &runtime_api and the ctx to the plugin, and calls
 * runtime_release() when the instance goes.  Core thread (or the
 * backtest's one thread) only.
 */
#ifndef QD_RUNTIME_H
#define QD_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

#include "config/config.h"

struct world;
struct paper;
struct plugin_registry;
struct json_value;

/** The most state_save keeps for an instance. */
#define RUNTIME_MAX_STATE_BYTES (1u << 20)

/** What a driver provides.  A NULL entry means "not in this world". */
struct world_ops {
	/** The clock plugins see (ns since the epoch). */
	int64_t (*now)(struct world *w);
	/** Run timer `id` after `after` ns, then every `every` ns if > 0;
	 *  call runtime_timer_fired() before each on_timer. */
	int (*timer_arm)(struct world *w, uint64_t id, int64_t after,
		int64_t every);
	/** Stop timer `id`: QD_OK, or QD_ERR_NOTFOUND. */
	int (*timer_disarm)(struct world *w, uint64_t id);
	/** Market data for a strategy; and how many subscriptions it holds. */
	int (*subscribe)(struct world *w, qd_symbol sym, uint32_t tf);
	size_t (*subscriptions)(struct world *w);
	/** The instance's paper account (made on first use), or NULL: a
	 *  backtest's world trades here directly. */
	struct paper *(*account)(struct world *w);
	/** Or the world's order management (the daemon): when order_submit
	 *  is set, every trading call goes through these instead. */
	int (*order_submit)(struct world *w, const struct qd_order_req *r,
		uint64_t *id);
	int (*order_cancel)(struct world *w, uint64_t id);
	size_t (*open_orders)(struct world *w, uint64_t *ids, size_t cap);
	int (*order_get)(struct world *w, uint64_t id,
		struct qd_order_update *out);
	int (*position_get)(struct world *w, qd_symbol sym,
		struct qd_position *out);
	int (*account_get)(struct world *w, struct qd_account *out);
	int (*size_order)(struct world *w, qd_symbol sym, int method,
		double value, double price, double stop_distance, double *qty);
	/** The time an order placed now is decided at (paper_submit's
	 *  placed_ns); a backtest also ends its bar batch here. */
	int64_t (*order_time)(struct world *w);
	/** Last prices by symbol id, for unrealized P&L and equity. */
	const double *(*marks)(struct world *w, size_t *n);
	/** Saved state: at most 1 MiB, replaced whole. */
	int (*state_save)(struct world *w, const void *buf, size_t len);
	int (*state_load)(struct world *w, void *buf, size_t cap,
		size_t *len);
	/** An annotation, checked and normalised to one JSON object. */
	int (*annotation)(struct world *w, const char *kind,
		const char *json);
	/** The instance's "secrets" object from its config, or NULL. */
	const struct json_value *(*secrets)(struct world *w);
	/** Open the secret `name` whose reference is "vault:CREDENTIAL"
	 *  into buf (NUL-terminated, *len its length; the caller wipes it).
	 *  NULL: no sealed credentials in this world. */
	int (*secret_open)(struct world *w, const char *name, char *buf,
		size_t cap, size_t *len);
	/** Notifiers: the secret `name` of the target of the notification
	 *  whose send() runs ("target.NAME" without "target."), into buf
	 *  (NUL-terminated; the caller wipes it).  NULL: none here. */
	int (*target_secret)(struct world *w, const char *name, char *buf,
		size_t cap, size_t *len);
	/** An exchange's normalised events (see bus.h); NULL: refused. */
	void (*emit_trade)(struct world *w, const struct qd_trade_event *e);
	void (*emit_bar)(struct world *w, const struct qd_bar_event *e);
	void (*emit_book_top)(struct world *w,
		const struct qd_book_top_event *e);
	/** An instrument, checked (decimal text, names). */
	void (*emit_instrument)(struct world *w, const struct qd_instrument *i);
	void (*emit_order_update)(struct world *w,
		const struct qd_order_update *u);
	/** An exchange's balance of one asset (may be NULL). */
	void (*emit_balance)(struct world *w, const struct qd_balance *b);
	/** The network (exchanges, notifiers, payment providers); events
	 *  come back to the kind's on_ws_* and on_http_response.  NULL: no
	 *  network in this world (backtests). */
	int (*ws_open)(struct world *w, const char *url,
		const struct qd_kv *headers, uint32_t n, uint64_t *conn);
	int (*ws_send)(struct world *w, uint64_t conn, const char *data,
		size_t len);
	int (*ws_close)(struct world *w, uint64_t conn);
	int (*http_request)(struct world *w, const struct qd_http_request *r,
		uint64_t *id);
	/** Inside on_http_response: the answer's header `name`, or NULL
	 *  (QD_ERR_STATE outside it, through *state). */
	const char *(*http_header)(struct world *w, const char *name,
		int *state);
	/** Notifiers: an e-mail (checked) with its password resolved (or
	 *  NULL); the outcome comes to on_mail_done.  NULL: no mail here. */
	int (*mail_send)(struct world *w, const struct qd_mail *m,
		const char *password, uint64_t *id);
	/** A notifier's answer to send(req) (NULL: logged only). */
	void (*notify_done)(struct world *w, uint64_t req, int status,
		const char *detail);
	/** Recorded market data (sdk.h history_*; the source is checked for
	 *  form by the runtime).  NULL: none in this world. */
	int (*history_open)(struct world *w, const char *source,
		uint32_t *tf_s, uint64_t *cursor);
	int (*history_next)(struct world *w, uint64_t cursor,
		struct qd_history_row *rows, size_t cap, size_t *n);
	void (*history_close)(struct world *w, uint64_t cursor);
};

/*
 * The context of one instance (the SDK's opaque qd_ctx).  Embedded by the
 * driver; its fields belong to runtime.c except `world`.
 */
struct qd_ctx {
	const struct world_ops *ops;
	struct world *world;         /**< the driver's, for its callbacks */
	const char *tag;             /**< instance name, for log lines */
	enum qd_kind kind;
	const struct plugin_registry *reg;
	struct sandbox_limits limits;
	int trading;                 /**< started: orders allowed */
	/* What the instance holds, against its quotas. */
	uint32_t n_timers, n_symbols, n_indicators;
	uint64_t next_timer;
	struct rt_indicator *indicators;
	unsigned quota_logged;
	int64_t ann_sec;
	uint32_t ann_bytes;
	uint64_t instr_refused;      /**< malformed instruments (logged) */
};

/** 1 if `source` is a history source of the documented forms (sdk.h). */
int runtime_history_source_ok(const char *source);

/** The one host API table. */
extern const struct qd_host_api runtime_api;

/**
 * Set up `ctx` for an instance named `tag` (kept by pointer) of `kind`,
 * living in `world`, with quotas from `limits` (NULL: the defaults) and
 * indicators from `reg`.
 */
void runtime_init(struct qd_ctx *ctx, const struct world_ops *ops,
	struct world *world, const char *tag, enum qd_kind kind,
	const struct plugin_registry *reg, const struct sandbox_limits *limits);

/** Free the instance's indicators; timers are the world's to cancel
 *  (runtime_timers_cleared() then resets the count). */
void runtime_release(struct qd_ctx *ctx);

/** A timer is about to call on_timer; `periodic` 0 means it is gone. */
void runtime_timer_fired(struct qd_ctx *ctx, int periodic);
/** The world dropped every timer of the instance. */
void runtime_timers_cleared(struct qd_ctx *ctx);

#endif
