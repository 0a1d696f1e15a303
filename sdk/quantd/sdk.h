/*
 * quantd SDK v1 -- the one public header a quantd plugin includes.
 *
 * A plugin is a shared object that exports ONE data symbol, `qd_module`
 * (declare it with QD_MODULE()).  The module lists one or more plugin
 * descriptors; each descriptor names its kind, name, semantic version, licence,
 * parameter specs, requirements and a static table of callbacks (its "ops").
 * The host reads that metadata without calling any of the plugin's
 * callbacks.  Loading the module (dlopen) does run its constructors: in the
 * host for modules in a trusted plugin directory, and only inside a
 * confined sandbox child for modules in a sandbox plugin directory.
 *
 * Plugins never link against host symbols.  Everything a plugin may call on
 * the host arrives as a table of function pointers (struct qd_host_api) handed
 * to create().  Build with
 *
 *     cc $(pkg-config --cflags quantd-sdk) -fPIC -shared \
 *        -fvisibility=hidden -Wl,--no-undefined -Wl,-z,now -o my.so my.c
 *
 * The same .so runs in-process ("trust": "trusted") or in a seccomp-confined
 * child process ("trust": "sandboxed"); it cannot tell the difference and must
 * not try to: no files, sockets, processes or signals -- only this API.
 *
 * ABI rules (ABI major QD_ABI_MAJOR, minor QD_ABI_MINOR):
 *   - The host loads a module when module.abi_major == host major and
 *     module.abi_minor <= host minor.  The major is checked before any other
 *     field is trusted.
 *   - Every struct that crosses the boundary by pointer starts with
 *     `uint32_t size` (set it to sizeof the struct you were compiled with);
 *     fields are only ever appended, enums only grow, so a newer host can read
 *     an older plugin's structs and vice versa.  Use QD_API_HAS() before
 *     calling a host API entry that was added in a later minor.
 *   - struct qd_bar and struct qd_kv are frozen value types: they will never
 *     change, so they carry no size field and may be passed in arrays.
 *   - Strings are UTF-8, NUL-terminated, owned by the caller, valid for the
 *     duration of the call only.  Copy what you keep.
 *   - Every pointer the host hands to a callback (events, bars, params) is the
 *     host's and valid until the callback returns.
 *   - The host never hands ownership of memory to a plugin; a plugin frees
 *     what it allocates (its state in destroy()).
 *
 * Threading: every callback of an instance is called from one thread (the
 * host's core loop, or the sandbox child's only thread), never concurrently.
 * Host API functions may only be called from inside a callback of the same
 * instance, with the qd_ctx that instance was created with.
 *
 * Time is int64 nanoseconds since the Unix epoch, UTC.  Prices and quantities
 * are double for strategies; the host rounds them to the instrument's tick and
 * lot size before anything reaches an exchange.
 */
#ifndef QUANTD_SDK_H
#define QUANTD_SDK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI major: changes only when an existing struct or call changes meaning. */
#define QD_ABI_MAJOR 1
/** ABI minor: grows when structs gain appended fields or the API gains calls. */
#define QD_ABI_MINOR 7

/** Name of the one data symbol a module exports. */
#define QD_MODULE_SYMBOL "qd_module"

#if defined(__GNUC__)
#define QD_EXPORT __attribute__((visibility("default")))
#define QD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define QD_EXPORT
#define QD_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------------- */
/* Status codes                                                              */
/* ------------------------------------------------------------------------- */

/**
 * Result of every fallible call, in both directions.  QD_OK is 0, errors are
 * negative and only ever added to.
 */
enum qd_status {
	QD_OK = 0,
	QD_ERR_INVALID = -1,     /**< an argument is malformed or out of range */
	QD_ERR_NOMEM = -2,       /**< out of memory */
	QD_ERR_NOTFOUND = -3,    /**< no such symbol, order, timer, key, ... */
	QD_ERR_STATE = -4,       /**< not allowed in the current state */
	QD_ERR_UNSUPPORTED = -5, /**< this host or plugin does not offer it */
	QD_ERR_LIMIT = -6,       /**< a rate, size or count limit was hit */
	QD_ERR_IO = -7,          /**< network or storage failure */
	QD_ERR_DENIED = -8,      /**< refused by risk checks or permissions */
	QD_ERR_TIMEOUT = -9,     /**< a deadline passed */
	QD_ERR_INTERNAL = -10,   /**< a bug; the log says more */
};

/** Human-readable text for a qd_status value.  Never returns NULL. */
static inline const char *
qd_strerror(int status)
{
	switch (status) {
	case QD_OK: return "ok";
	case QD_ERR_INVALID: return "invalid argument";
	case QD_ERR_NOMEM: return "out of memory";
	case QD_ERR_NOTFOUND: return "not found";
	case QD_ERR_STATE: return "not allowed in this state";
	case QD_ERR_UNSUPPORTED: return "not supported";
	case QD_ERR_LIMIT: return "limit reached";
	case QD_ERR_IO: return "input/output error";
	case QD_ERR_DENIED: return "denied";
	case QD_ERR_TIMEOUT: return "timed out";
	case QD_ERR_INTERNAL: return "internal error";
	default: return "unknown status";
	}
}

/* ------------------------------------------------------------------------- */
/* Value types                                                               */
/* ------------------------------------------------------------------------- */

/**
 * One OHLCV candle.  Frozen: never changes, so it has no size field and
 * arrays of it are allowed.  `ts` is the candle's open time (ns, UTC).
 */
struct qd_bar {
	int64_t ts;
	double open;
	double high;
	double low;
	double close;
	double volume;
};

/**
 * n bars as columns (added in ABI 1.1): what an indicator's batch entry
 * reads.  Bar i is { ts[i], open[i], high[i], low[i], close[i], volume[i] };
 * the host fills every column.  Starts with its size like every growing
 * struct.
 */
struct qd_series {
	uint32_t size;          /**< sizeof(struct qd_series) */
	uint32_t reserved;      /**< 0 */
	size_t n;               /**< number of bars */
	const int64_t *ts;
	const double *open;
	const double *high;
	const double *low;
	const double *close;
	const double *volume;
};

/** Bar i of a series. */
static inline struct qd_bar
qd_series_bar(const struct qd_series *s, size_t i)
{
	struct qd_bar b;

	b.ts = s->ts[i];
	b.open = s->open[i];
	b.high = s->high[i];
	b.low = s->low[i];
	b.close = s->close[i];
	b.volume = s->volume[i];
	return b;
}

/** A key/value pair of strings (HTTP headers, indicator params).  Frozen. */
struct qd_kv {
	const char *key;
	const char *value;
};

/** Interned canonical symbol ("BTC/USDT"): a small integer; 0 is "none". */
typedef uint32_t qd_symbol;

/** Opaque per-instance handle passed back to every host API call. */
typedef struct qd_ctx qd_ctx;

/** Opaque validated parameters of an instance; read with api->param_*. */
typedef struct qd_params qd_params;

/** Opaque indicator instance created through api->indicator_new. */
typedef struct qd_indicator qd_indicator;

/** Log levels, most to least severe. */
enum qd_log_level {
	QD_LOG_ERROR = 0,
	QD_LOG_WARN = 1,
	QD_LOG_INFO = 2,
	QD_LOG_DEBUG = 3,
};

/**
 * Parse a timeframe ("1m" "3m" "5m" "15m" "30m" "1h" "2h" "4h" "6h" "12h"
 * "1d" "1w", and "1s") into seconds; 0 if it is not one of those.
 */
static inline uint32_t
qd_timeframe_parse(const char *s)
{
	static const struct { const char *name; uint32_t sec; } tf[] = {
		{"1s", 1},        {"1m", 60},       {"3m", 180},
		{"5m", 300},      {"15m", 900},     {"30m", 1800},
		{"1h", 3600},     {"2h", 7200},     {"4h", 14400},
		{"6h", 21600},    {"12h", 43200},   {"1d", 86400},
		{"1w", 604800},
	};
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < sizeof(tf) / sizeof(tf[0]); i++)
		if (strcmp(s, tf[i].name) == 0)
			return tf[i].sec;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Parameter specs                                                           */
/* ------------------------------------------------------------------------- */

/** Type of a parameter. */
enum qd_param_type {
	QD_PARAM_INT = 1,    /**< int64; JSON integer */
	QD_PARAM_DOUBLE = 2, /**< double; JSON number */
	QD_PARAM_BOOL = 3,   /**< JSON true/false */
	QD_PARAM_STRING = 4, /**< JSON string */
	QD_PARAM_ENUM = 5,   /**< JSON string, one of `choices` */
};

/** Flags of a parameter spec. */
enum qd_param_flags {
	QD_PARAM_HAS_MIN = 1u << 0,  /**< `min` applies (int, double) */
	QD_PARAM_HAS_MAX = 1u << 1,  /**< `max` applies (int, double) */
	QD_PARAM_REQUIRED = 1u << 2, /**< no default: config must set it */
	QD_PARAM_SECRET = 1u << 3,   /**< never logged or shown (api keys) */
};

/**
 * Describes one parameter.  The host validates each instance's `params`
 * against these before create() runs, fills in defaults, and uses them to
 * render forms and bound the optimiser.  Use the QD_PARAM_* macros below.
 */
struct qd_param_spec {
	uint32_t size;
	const char *name;        /**< [a-z][a-z0-9_]*, unique in the plugin */
	enum qd_param_type type;
	uint32_t flags;          /**< enum qd_param_flags */
	int64_t def_int;         /**< default for INT and BOOL (0/1) */
	double def_double;       /**< default for DOUBLE */
	const char *def_string;  /**< default for STRING and ENUM */
	double min;              /**< inclusive lower bound (INT, DOUBLE) */
	double max;              /**< inclusive upper bound (INT, DOUBLE) */
	const char *const *choices; /**< ENUM: NULL-terminated list */
	const char *description; /**< one line, shown by `quantctl plugin info` */
};

/** An integer parameter with default `def` in [lo, hi]. */
#define QD_PARAM_INT_SPEC(nm, def, lo, hi, desc)                               \
	{ sizeof(struct qd_param_spec), (nm), QD_PARAM_INT,                    \
	  QD_PARAM_HAS_MIN | QD_PARAM_HAS_MAX, (def), 0.0, NULL, (lo), (hi),   \
	  NULL, (desc) }
/** A floating-point parameter with default `def` in [lo, hi]. */
#define QD_PARAM_DOUBLE_SPEC(nm, def, lo, hi, desc)                            \
	{ sizeof(struct qd_param_spec), (nm), QD_PARAM_DOUBLE,                 \
	  QD_PARAM_HAS_MIN | QD_PARAM_HAS_MAX, 0, (def), NULL, (lo), (hi),     \
	  NULL, (desc) }
/** A boolean parameter with default `def` (0 or 1). */
#define QD_PARAM_BOOL_SPEC(nm, def, desc)                                      \
	{ sizeof(struct qd_param_spec), (nm), QD_PARAM_BOOL, 0, (def), 0.0,    \
	  NULL, 0.0, 0.0, NULL, (desc) }
/** A string parameter with default `def`. */
#define QD_PARAM_STRING_SPEC(nm, def, desc)                                    \
	{ sizeof(struct qd_param_spec), (nm), QD_PARAM_STRING, 0, 0, 0.0,      \
	  (def), 0.0, 0.0, NULL, (desc) }
/** An enum parameter: one of `choices` (NULL-terminated), default `def`. */
#define QD_PARAM_ENUM_SPEC(nm, def, choices, desc)                             \
	{ sizeof(struct qd_param_spec), (nm), QD_PARAM_ENUM, 0, 0, 0.0, (def), \
	  0.0, 0.0, (choices), (desc) }

/* ------------------------------------------------------------------------- */
/* Events                                                                    */
/* ------------------------------------------------------------------------- */

/** A closed candle of `symbol` on `timeframe_s` (seconds). */
struct qd_bar_event {
	uint32_t size;
	qd_symbol symbol;
	uint32_t timeframe_s;
	struct qd_bar bar;
};

/** Side of an order or trade. */
enum qd_side {
	QD_SIDE_BUY = 1,
	QD_SIDE_SELL = 2,
};

/** A public trade print. `side` is the taker's side. */
struct qd_trade_event {
	uint32_t size;
	qd_symbol symbol;
	enum qd_side side;
	int64_t ts;
	double price;
	double qty;
	uint64_t trade_id; /**< venue trade id when numeric, else 0 */
};

/** Top of the order book. */
struct qd_book_top_event {
	uint32_t size;
	qd_symbol symbol;
	int64_t ts;
	double bid;
	double bid_qty;
	double ask;
	double ask_qty;
};

/** Order types. */
enum qd_order_type {
	QD_ORDER_MARKET = 1,
	QD_ORDER_LIMIT = 2,
	QD_ORDER_STOP = 3,       /**< market once `stop_price` trades */
	QD_ORDER_STOP_LIMIT = 4, /**< limit at `price` once `stop_price` trades */
	/* added in ABI 1.3 */
	QD_ORDER_TAKE_PROFIT = 5,       /**< market once the price reaches
	                                     `stop_price` in the order's favour
	                                     (a sell at or above, a buy at or
	                                     below) */
	QD_ORDER_TAKE_PROFIT_LIMIT = 6, /**< limit at `price` once it does */
	QD_ORDER_TRAILING_STOP = 7,     /**< a stop `trail` price units (or
	                                     `trail_bps` of the best price)
	                                     behind the best price seen since
	                                     the order was placed; market when
	                                     hit */
};

/** Time in force. */
enum qd_tif {
	QD_TIF_GTC = 0,
	QD_TIF_IOC = 1,
	QD_TIF_FOK = 2,
	QD_TIF_POST_ONLY = 3,
};

/** Order flags. */
enum qd_order_flags {
	QD_ORDER_REDUCE_ONLY = 1u << 0,
};

/** An order intent from a strategy.  The host runs risk checks on it. */
struct qd_order_req {
	uint32_t size;
	qd_symbol symbol;
	enum qd_side side;
	enum qd_order_type type;
	enum qd_tif tif;
	uint32_t flags;     /**< enum qd_order_flags */
	double qty;         /**< > 0, base units */
	double price;       /**< LIMIT, STOP_LIMIT */
	double stop_price;  /**< STOP, STOP_LIMIT */
	const char *tag;    /**< optional free text kept with the order */
	/* --- appended in ABI 1.3 (the host reads them when `size` covers
	 *     them; older modules get zeros) --- */
	double trail;       /**< TRAILING_STOP: distance in price units */
	double trail_bps;   /**< TRAILING_STOP: distance in basis points of
	                         the best price (used when trail is 0) */
	double sl_price;    /**< bracket: once this entry fills, a reduce-only
	                         stop at sl_price closes what it bought/sold;
	                         0: none */
	double tp_price;    /**< bracket: and a reduce-only take profit at
	                         tp_price, one-cancels-the-other with the stop;
	                         0: none */
	uint64_t oco_with;  /**< one-cancels-the-other: when either this order
	                         or the open order `oco_with` fills (even in
	                         part), the host cancels the other; 0: none */
};

/** Order lifecycle.  CREATED is persisted before the order is sent. */
enum qd_order_state {
	QD_ORDER_CREATED = 1,
	QD_ORDER_PENDING = 2,
	QD_ORDER_PARTIAL = 3,
	QD_ORDER_FILLED = 4,
	QD_ORDER_CANCELED = 5,
	QD_ORDER_REJECTED = 6,
	QD_ORDER_EXPIRED = 7,
};

/** A change of an order's state, possibly with a fill. */
struct qd_order_update {
	uint32_t size;
	uint64_t order_id;    /**< host order id from order_submit */
	qd_symbol symbol;
	enum qd_side side;
	enum qd_order_type type;
	enum qd_order_state state;
	int64_t ts;
	double qty;           /**< ordered quantity */
	double price;         /**< limit price, 0 for market */
	double filled_qty;    /**< cumulative */
	double avg_price;     /**< average fill price so far */
	double last_qty;      /**< this update's fill, 0 if none */
	double last_price;
	double fee;           /**< this update's fee, quote currency */
	const char *reason;   /**< REJECTED/CANCELED reason or NULL */
	/* --- appended in ABI 1.3 --- */
	const char *trade_id; /**< the venue's id of this fill (exchanges set
	                           it; the host applies a fill once per id),
	                           or NULL */
	const char *client_id;/**< the order's idempotency key at the venue */
	uint64_t parent_id;   /**< bracket children: their entry's order id */
	int maker;            /**< this fill added liquidity */
	/* --- appended in ABI 1.4 --- */
	uint32_t reserved;    /**< zero (so that `size` tells 1.4 from 1.3) */
	int error;            /**< REJECTED (or a refused cancel): the venue's
	                           error as a qd_status (QD_ERR_DENIED:
	                           insufficient balance, permissions;
	                           QD_ERR_INVALID: lot, tick, minimums, bad
	                           symbol; QD_ERR_LIMIT: rate limits;
	                           QD_ERR_NOTFOUND: unknown order), 0 if none;
	                           `reason` names the venue's code and text */
};

/**
 * A venue's balance of one asset (ABI 1.4, exchanges): what the account
 * behind the adapter's credentials holds.  The host brings the books of a
 * live account trading through this adapter to it (see docs/trading.md).
 */
struct qd_balance {
	uint32_t size;
	const char *asset;    /**< "BTC", "USDT" (canonical: Kraken XBT is BTC) */
	double total;         /**< free + locked */
	double free;          /**< available for new orders */
	int64_t ts;           /**< as of, ns */
	int last;             /**< 1 on the last balance of a complete snapshot
	                           (account_sync): assets the snapshot did not
	                           name are then held at zero */
};

/** Algorithms of api->sign (ABI 1.4). */
enum qd_sign_alg {
	/** HMAC-SHA256 keyed with the secret's bytes (Binance, Bybit, OKX). */
	QD_SIGN_HMAC_SHA256 = 1,
	/** HMAC-SHA256 keyed with the Base64-decoded secret (Coinbase
	 *  Exchange). */
	QD_SIGN_HMAC_SHA256_B64KEY = 2,
	/** HMAC-SHA512 keyed with the Base64-decoded secret over msg followed
	 *  by SHA-256(msg2) (Kraken: msg = URI path, msg2 = nonce + body). */
	QD_SIGN_HMAC_SHA512_B64KEY = 3,
	/** Ed25519 (Binance Ed25519 keys, Coinbase CDP Ed25519 keys): the
	 *  secret is a PEM private key, or the Base64 of a 32-byte seed or of
	 *  a 64-byte seed + public key. */
	QD_SIGN_ED25519 = 4,
	/** ECDSA P-256 with SHA-256, as JWS ES256 wants it: the raw 64-byte
	 *  r || s (Coinbase CDP keys).  The secret is a PEM EC private key
	 *  ("\n" escapes in it are read as newlines). */
	QD_SIGN_ES256 = 5,
};

/** Encodings of api->sign's output. */
enum qd_sign_enc {
	QD_ENC_HEX = 1,        /**< lower case */
	QD_ENC_BASE64 = 2,
	QD_ENC_BASE64URL = 3,  /**< without padding (JWS) */
};

/** What api->sign signs, and with which secret. */
struct qd_sign_req {
	uint32_t size;
	enum qd_sign_alg alg;
	enum qd_sign_enc enc;
	const char *secret;    /**< a name in the instance's `secrets` */
	const void *msg;
	size_t msg_len;
	const void *msg2;      /**< QD_SIGN_HMAC_SHA512_B64KEY only */
	size_t msg2_len;
};

/** A position in one symbol; `qty` is signed (short < 0). */
struct qd_position {
	uint32_t size;
	qd_symbol symbol;
	double qty;
	double avg_price;
	double realized_pnl;
	double unrealized_pnl;
};

/** The instance's account, quote currency. */
struct qd_account {
	uint32_t size;
	double cash;
	double equity;
	double fees_paid;
};

/** Severity of a notification. */
enum qd_severity {
	QD_SEV_INFO = 0,
	QD_SEV_WARNING = 1,
	QD_SEV_CRITICAL = 2,
};

/** A message for a notifier to deliver. */
struct qd_notification {
	uint32_t size;
	enum qd_severity severity;
	int64_t ts;
	const char *event;     /**< machine name: "alert", "fill", "risk.halt" */
	const char *title;
	const char *body;
	const char *recipient; /**< channel-specific address, or NULL = default */
	/* --- appended in ABI 1.5 (the host fills them when the notifier's
	 *     module is 1.5 or newer; `size` says whether they are there) --- */
	const char *key;       /**< idempotency key: the same for every attempt
	                            of this notification on this channel, so a
	                            receiver that sees it twice (a send the host
	                            could not confirm before a crash is sent
	                            again) counts it once; ASCII [A-Za-z0-9._:-] */
	const char *user;      /**< the user it is for, or NULL (operators) */
	uint32_t attempt;      /**< 1 for the first send, 2 for the first retry */
	uint32_t reserved;     /**< zero */
	/* --- appended in ABI 1.6 (filled for notifiers built against 1.6 or
	 *     newer; the host refuses to hand an older one a notification
	 *     with a target, which it would send to its own destination) --- */
	/**
	 * The destination when the notification goes to a user's own channel
	 * (`quantctl notify channel set`, PUT /api/v1/me/channels/{kind}),
	 * else NULL and n_target 0: the instance's own parameters apply
	 * (qd_notification_targeted() tells; a discord target has no key).
	 * What is not secret comes here, by kind: "to" (email: the address),
	 * "chat_id" (telegram), "url" (webhook); discord has none.  The
	 * target's secret never comes here: while send() runs, the secret
	 * names "target.secret" (webhook: the HMAC key, sealed: sign() only),
	 * "target.bot_token" (telegram) and "target.webhook_url" (discord)
	 * reach it through api->sign and api->secret_get.  Make the requests
	 * for a target inside send(): the host lets those (and any request of
	 * an instance carrying users' channels made outside send()) reach
	 * public addresses only, unless its operator allows more; a refused
	 * one answers with status 0 and the host reports why.
	 */
	const struct qd_kv *target;
	uint32_t n_target;
	uint32_t reserved2;    /**< zero */
};

/** Whether n goes to a user's own channel (ABI 1.6: n->target set; a
 *  discord target has no key, n_target 0). */
static inline int
qd_notification_targeted(const struct qd_notification *n)
{
	return n != NULL && n->size >= offsetof(struct qd_notification,
	    reserved2) + sizeof(n->reserved2) && n->target != NULL;
}

/** The value of `key` in n->target (ABI 1.6), or NULL. */
static inline const char *
qd_notification_target(const struct qd_notification *n, const char *key)
{
	uint32_t i;

	if (!qd_notification_targeted(n))
		return NULL;
	for (i = 0; i < n->n_target; i++)
		if (n->target[i].key != NULL &&
		    strcmp(n->target[i].key, key) == 0)
			return n->target[i].value;
	return NULL;
}

/**
 * An instrument of a venue (api->emit_instrument, ABI 1.2).  Steps and
 * minimums are the venue's decimal text ("0.01000000"), kept exact: orders
 * are rounded to them in fixed point.  NULL: the venue gives none.
 */
struct qd_instrument {
	uint32_t size;
	qd_symbol symbol;          /**< canonical BASE/QUOTE (XBT -> BTC) */
	const char *native;        /**< the venue's name: BTCUSDT, BTC-USDT */
	const char *tick;          /**< price step */
	const char *lot;           /**< quantity step */
	const char *min_qty;       /**< smallest quantity */
	const char *min_notional;  /**< smallest price x quantity */
	const char *status;        /**< the venue's word: TRADING, live, ... */
	int trading;               /**< 1: open for trading now */
};

/** A row of recorded market data (api->history_next, ABI 1.2). */
struct qd_history_row {
	uint32_t size;
	uint32_t timeframe_s;  /**< the bar's timeframe; 0: a trade */
	int64_t ts;            /**< bar open time or trade time, ns */
	struct qd_bar bar;     /**< bars (bar.ts == ts) */
	double price, qty;     /**< trades */
	enum qd_side side;     /**< trades: the taker's side, or 0 */
	uint64_t trade_id;     /**< trades */
};

/**
 * An e-mail the host sends over SMTP for a notifier (api->mail_send, ABI
 * 1.5): the host's mail thread speaks SMTP (libcurl), so a notifier opens
 * no socket and never sees the password.  Header fields may not hold CR
 * or LF.
 */
struct qd_mail {
	uint32_t size;
	const char *url;          /**< "smtp://HOST[:PORT]" (STARTTLS) or
	                               "smtps://HOST[:PORT]" (TLS at once) */
	const char *username;     /**< AUTH user, or NULL: no AUTH */
	const char *password;     /**< the NAME of the instance secret that
	                               holds the password (never the password
	                               itself), or NULL */
	const char *from;         /**< an address: envelope and From: */
	const char *const *to;    /**< recipients, NULL-terminated, >= 1 */
	const char *subject;      /**< UTF-8 (encoded by the host) */
	const char *body;         /**< text/plain, UTF-8 */
	const char *key;          /**< idempotency key: the Message-ID is
	                               <KEY@quantd> and an
	                               X-Quantd-Idempotency-Key header carries
	                               it; or NULL */
	int require_tls;          /**< smtp://: 1 fails rather than send the
	                               login or the mail unencrypted */
	uint32_t reserved;        /**< zero */
	int64_t timeout_ns;       /**< the whole exchange; 0: host default */
};

/** An outgoing HTTP request made through the host's net thread. */
struct qd_http_request {
	uint32_t size;
	const char *method;         /**< "GET", "POST", ... */
	const char *url;            /**< http:// or https:// */
	const struct qd_kv *headers;
	uint32_t n_headers;
	const char *body;           /**< may be NULL */
	size_t body_len;
	int64_t timeout_ns;         /**< 0 = host default */
};

/** A checkout a payment provider should start. Amounts in minor units. */
struct qd_checkout {
	uint32_t size;
	const char *customer_id;
	const char *plan;
	const char *currency;   /**< ISO 4217, e.g. "USD" */
	int64_t amount_minor;   /**< cents for USD */
	const char *success_url;
	const char *cancel_url;
};

/** What a verified payment webhook said. */
enum qd_payment_event_type {
	QD_PAYMENT_PAID = 1,
	QD_PAYMENT_FAILED = 2,
	QD_PAYMENT_REFUNDED = 3,
	QD_PAYMENT_CANCELED = 4,
};

/**
 * Filled in by a payment plugin's webhook_verify.  The strings point into
 * memory the plugin owns, valid until its next callback.
 */
struct qd_payment_event {
	uint32_t size;
	enum qd_payment_event_type type;
	const char *payment_id;
	const char *customer_id;
	const char *plan;
	const char *currency;
	int64_t amount_minor;
};

/** Hash functions offered by api->hmac. */
enum qd_hash {
	QD_HASH_SHA256 = 1,
	QD_HASH_SHA512 = 2,
};

/* ------------------------------------------------------------------------- */
/* The host API                                                              */
/* ------------------------------------------------------------------------- */

/**
 * The table of host functions, handed to create() and valid until destroy()
 * returns.  Entries a kind does not use may be NULL for that kind (an
 * indicator gets no order_submit).  Entries added after minor 0 must be
 * checked with QD_API_HAS() before use.
 */
struct qd_host_api {
	uint32_t size;
	uint32_t abi_major;
	uint32_t abi_minor;

	/* --- every kind ------------------------------------------------------ */

	/** Log one line, tagged with the instance name.  Secrets are redacted. */
	void (*log)(qd_ctx *ctx, enum qd_log_level level, const char *fmt, ...)
		QD_PRINTF(3, 4);
	/** Current time in ns: wall clock live, simulated time in a backtest. */
	int64_t (*now_ns)(qd_ctx *ctx);
	/** A validated parameter (defaults already applied).  Asking for a name
	 *  the plugin did not declare logs an error and returns 0 / NULL. */
	int64_t (*param_int)(const qd_params *p, const char *name);
	double (*param_double)(const qd_params *p, const char *name);
	int (*param_bool)(const qd_params *p, const char *name);
	/** STRING and ENUM parameters.  Valid until destroy(). */
	const char *(*param_string)(const qd_params *p, const char *name);
	/** Intern a canonical symbol ("BTC/USDT"); 0 if malformed. */
	qd_symbol (*symbol_intern)(qd_ctx *ctx, const char *canonical);
	/** Canonical name of an interned symbol, or NULL.  Valid forever. */
	const char *(*symbol_name)(qd_ctx *ctx, qd_symbol sym);
	/**
	 * Start a timer: first fire after `after_ns`, then every `interval_ns`
	 * (0 = once).  The kind's on_timer callback receives *id.
	 */
	int (*timer_add)(qd_ctx *ctx, int64_t after_ns, int64_t interval_ns,
		uint64_t *id);
	int (*timer_cancel)(qd_ctx *ctx, uint64_t id);
	/** Persist up to 1 MiB of opaque state for this instance. */
	int (*state_save)(qd_ctx *ctx, const void *buf, size_t len);
	/** Load saved state: copies at most cap bytes, *len = stored size.
	 *  QD_ERR_NOTFOUND if none was saved. */
	int (*state_load)(qd_ctx *ctx, void *buf, size_t cap, size_t *len);

	/* --- indicators (strategies) ----------------------------------------- */

	/**
	 * Create an instance of indicator `name` (any loaded indicator plugin)
	 * with string params, e.g. {{"period","14"}}.  Freed with
	 * indicator_free or when the calling instance is destroyed.
	 */
	int (*indicator_new)(qd_ctx *ctx, const char *name,
		const struct qd_kv *params, uint32_t n_params, qd_indicator **out);
	/** Feed one bar; writes indicator_outputs() values, NaN while warming. */
	void (*indicator_update)(qd_indicator *ind, const struct qd_bar *bar,
		double *out);
	/** Number of outputs, and the name of output i ("value", "signal"). */
	uint32_t (*indicator_outputs)(const qd_indicator *ind);
	const char *(*indicator_output_name)(const qd_indicator *ind,
		uint32_t i);
	/** Bars consumed before the first output has a value. */
	uint32_t (*indicator_lookback)(const qd_indicator *ind);
	void (*indicator_free)(qd_indicator *ind);

	/* --- trading (strategies) -------------------------------------------- */

	/** Ask for bars of `sym` on `timeframe_s`, or trades if timeframe_s is 0. */
	int (*subscribe)(qd_ctx *ctx, qd_symbol sym, uint32_t timeframe_s);
	/** Submit an order intent; *order_id identifies it in on_order. */
	int (*order_submit)(qd_ctx *ctx, const struct qd_order_req *req,
		uint64_t *order_id);
	int (*order_cancel)(qd_ctx *ctx, uint64_t order_id);
	int (*position_get)(qd_ctx *ctx, qd_symbol sym, struct qd_position *out);
	int (*account_get)(qd_ctx *ctx, struct qd_account *out);

	/* --- network (exchange, notifier, payment) --------------------------- */

	/** Open a WebSocket; events arrive at the kind's on_ws_* callbacks. */
	int (*ws_open)(qd_ctx *ctx, const char *url, const struct qd_kv *headers,
		uint32_t n_headers, uint64_t *conn);
	int (*ws_send)(qd_ctx *ctx, uint64_t conn, const char *data, size_t len);
	int (*ws_close)(qd_ctx *ctx, uint64_t conn);
	/** Send an HTTP request; the answer arrives at on_http_response. */
	int (*http_request)(qd_ctx *ctx, const struct qd_http_request *req,
		uint64_t *req_id);
	/**
	 * A secret of this instance (config `secrets`), copied into buf.
	 * Signing keys are sealed: a secret whose name ends in "secret" or
	 * "private_key" ("api_secret", "private_key") is only ever used by
	 * api->sign (ABI 1.4) and secret_get refuses it with QD_ERR_DENIED.
	 * Notifiers (ABI 1.6): inside send() of a notification with a
	 * target, "target.NAME" is the target's secret (struct
	 * qd_notification); anywhere else QD_ERR_NOTFOUND.
	 */
	int (*secret_get)(qd_ctx *ctx, const char *name, char *buf, size_t cap);
	/** HMAC of msg under key; *out_len receives the digest length. */
	int (*hmac)(qd_ctx *ctx, enum qd_hash hash, const void *key,
		size_t key_len, const void *msg, size_t msg_len,
		unsigned char *out, size_t *out_len);

	/* --- market data and venue events (exchange) ------------------------- */

	void (*emit_trade)(qd_ctx *ctx, const struct qd_trade_event *ev);
	void (*emit_bar)(qd_ctx *ctx, const struct qd_bar_event *ev);
	void (*emit_book_top)(qd_ctx *ctx, const struct qd_book_top_event *ev);
	void (*emit_order_update)(qd_ctx *ctx, const struct qd_order_update *u);

	/* --- completions (notifier, payment) --------------------------------- */

	/**
	 * Report the outcome of send(req_id): QD_OK or an error and detail
	 * (kept as the notification's last error; no secrets in it).  The
	 * host retries errors with backoff; QD_ERR_INVALID and QD_ERR_DENIED
	 * (the channel refused the message or its credentials) too, as a
	 * channel can be fixed, until the attempts run out.  QD_ERR_LIMIT
	 * with a detail starting "retry_after_ms=N" (the channel's 429) makes
	 * the host wait N ms before this channel's next send.
	 */
	void (*notify_done)(qd_ctx *ctx, uint64_t req_id, int status,
		const char *detail);
	/** Report the outcome of checkout/refund(req_id): on success `ref` is
	 *  the checkout URL or refund id; on failure a reason. */
	void (*payment_done)(qd_ctx *ctx, uint64_t req_id, int status,
		const char *ref);

	/* --- added in ABI 1.1: check QD_API_HAS(api, annotate) ------------- */

	/**
	 * Attach a structure to the instance's chart (a stroke, a pivot, a
	 * signal): `kind` a short dotted name ("chan.stroke"), `json` one JSON
	 * object of at most 4 KiB.  Backtests put annotations in their result;
	 * the daemon publishes them.  QD_ERR_INVALID if json is not an object.
	 */
	int (*annotate)(qd_ctx *ctx, const char *kind, const char *json);

	/* --- added in ABI 1.2: check QD_API_HAS(api, http_header) ---------- */

	/**
	 * Inside on_http_response only: the value of the answer's header
	 * `name` (case-insensitive, e.g. "retry-after") copied into buf.
	 * QD_OK; QD_ERR_NOTFOUND if the answer has no such header;
	 * QD_ERR_STATE outside on_http_response; QD_ERR_LIMIT if the value
	 * does not fit (buf then holds a truncated copy).
	 */
	int (*http_header)(qd_ctx *ctx, const char *name, char *buf,
		size_t cap);

	/*
	 * Recorded market data, read in time order (ABI 1.2): `source` is
	 *   "store:EXCHANGE:SYMBOL:TF" or "store:EXCHANGE:SYMBOL:TF:FROM:TO"
	 *     (ms, TO excluded): candles of the daemon's store, or trades
	 *     with TF "trades";
	 *   "file:PATH": a file `quantctl data import` reads (our CSV,
	 *     Binance public-data klines or aggTrades) -- only a PATH one of
	 *     the instance's own parameters names.
	 * history_open gives a cursor and the rows' timeframe (0: trades);
	 * history_next fills up to cap rows (*n = 0 at the end).  QD_OK;
	 * QD_ERR_NOTFOUND (no such data), QD_ERR_DENIED (a file the
	 * configuration does not name), QD_ERR_INVALID (a malformed source
	 * or file: logged with file:line), QD_ERR_UNSUPPORTED (no store, or
	 * this runtime -- backtests, sandboxed instances -- offers none),
	 * QD_ERR_LIMIT (too many open).  Close every cursor opened.
	 */
	int (*history_open)(qd_ctx *ctx, const char *source,
		uint32_t *timeframe_s, uint64_t *cursor);
	int (*history_next)(qd_ctx *ctx, uint64_t cursor,
		struct qd_history_row *rows, size_t cap, size_t *n);
	void (*history_close)(qd_ctx *ctx, uint64_t cursor);

	/**
	 * An exchange's instrument as its venue lists it (ABI 1.2): what
	 * orders of that symbol must respect (tick, lot, minimums), kept by
	 * the host for order checks and stored.  Exchanges only.
	 */
	void (*emit_instrument)(qd_ctx *ctx, const struct qd_instrument *in);

	/* --- added in ABI 1.3: check QD_API_HAS(api, order_get) ------------ */

	/** The instance's own order `order_id` as its last update reported
	 *  it (the reason string is the host's, valid until the callback
	 *  returns).  QD_ERR_NOTFOUND for an order of someone else. */
	int (*order_get)(qd_ctx *ctx, uint64_t order_id,
		struct qd_order_update *out);
	/** Open orders of the instance, up to cap ids; *n is how many there
	 *  are (may exceed cap). */
	int (*orders_open)(qd_ctx *ctx, uint64_t *ids, size_t cap, size_t *n);
	/**
	 * A quantity for an order in `sym` at `price`, sized by the host from
	 * the account's equity and rounded down to the instrument's lot:
	 *   QD_SIZE_FRACTION: value = fraction of equity to put in;
	 *   QD_SIZE_RISK: value = fraction of equity to lose if the price
	 *     moves `stop_distance` against the position;
	 *   QD_SIZE_KELLY: value = win probability, stop_distance = win/loss
	 *     ratio; the Kelly fraction, capped by the host's kelly cap
	 *     (risk config, 0.25 unless set), of equity.
	 * QD_OK and *qty (0 when the account cannot afford a lot).
	 */
	int (*size_order)(qd_ctx *ctx, qd_symbol sym, int method, double value,
		double price, double stop_distance, double *qty);

	/* --- added in ABI 1.4: check QD_API_HAS(api, sign) ---------------- */

	/**
	 * Sign req->msg with the instance's secret req->secret, writing the
	 * encoded signature (NUL-terminated) to out; *out_len its length.
	 * The secret's bytes never leave the host: a sandboxed adapter signs
	 * without seeing them.  QD_OK; QD_ERR_NOTFOUND (no such secret, or
	 * its env variable / file is missing), QD_ERR_INVALID (the secret is
	 * not a key of that algorithm, bad arguments), QD_ERR_LIMIT (cap too
	 * small).  Failures are logged naming the secret, never its value.
	 */
	int (*sign)(qd_ctx *ctx, const struct qd_sign_req *req, char *out,
		size_t cap, size_t *out_len);
	/** Exchanges: the venue's balance of one asset (struct qd_balance). */
	void (*emit_balance)(qd_ctx *ctx, const struct qd_balance *b);

	/* --- added in ABI 1.5: check QD_API_HAS(api, mail_send) ----------- */

	/**
	 * Notifiers: send an e-mail (struct qd_mail) through the host's
	 * SMTP client; the outcome comes to qd_notifier_ops.on_mail_done
	 * with *req_id.  QD_OK (queued); QD_ERR_INVALID (a bad URL or
	 * address, CR/LF in a header field), QD_ERR_NOTFOUND (the password
	 * secret is not set), QD_ERR_UNSUPPORTED (no mail in this runtime).
	 */
	int (*mail_send)(qd_ctx *ctx, const struct qd_mail *m,
		uint64_t *req_id);
};

/** Sizing methods of size_order (ABI 1.3). */
enum qd_size_method {
	QD_SIZE_FRACTION = 1,
	QD_SIZE_RISK = 2,
	QD_SIZE_KELLY = 3,
};

/** True if the host API offers `fn` (added in this or an older minor). */
#define QD_API_HAS(api, fn)                                                    \
	((api) != NULL &&                                                      \
	 offsetof(struct qd_host_api, fn) + sizeof((api)->fn) <= (api)->size && \
	 (api)->fn != NULL)

/* ------------------------------------------------------------------------- */
/* Plugin kinds and their callbacks                                          */
/* ------------------------------------------------------------------------- */

/** Kinds of plugin.  Only grows. */
enum qd_kind {
	QD_KIND_EXCHANGE = 1,
	QD_KIND_INDICATOR = 2,
	QD_KIND_STRATEGY = 3,
	QD_KIND_NOTIFIER = 4,
	QD_KIND_PAYMENT = 5,
};

/**
 * Lifecycle shared by every kind; the first member of every ops table.
 *
 * create: allocate the instance state; `api`, `ctx` and `params` stay valid
 *   until destroy() returns.  Return QD_OK and set *state, or an error (the
 *   instance is then not started and destroy() is not called).
 * start: begin work (subscribe, connect, arm timers).  May be NULL.
 * stop: stop work; no further callbacks except destroy.  May be NULL.
 * destroy: free the state.  Called exactly once after a successful create.
 */
struct qd_ops {
	uint32_t size;
	int (*create)(const struct qd_host_api *api, qd_ctx *ctx,
		const qd_params *params, void **state);
	int (*start)(void *state);
	void (*stop)(void *state);
	void (*destroy)(void *state);
};

/**
 * Indicator: streaming, O(1) per bar where the maths allows.  The host's batch
 * path is update() over an array: the plugin's own batch() when it has one
 * (ABI 1.1; the same update step run over columns, which lets the compiler
 * keep the state in registers), else the host's loop calling update().
 * create() gets `ctx` NULL-able: indicators must not depend on host calls
 * other than log and param_*.
 */
/** The most outputs an indicator may have. */
#define QD_MAX_OUTPUTS 16

struct qd_indicator_ops {
	struct qd_ops base;
	const char *const *outputs; /**< output names, static */
	uint32_t n_outputs;         /**< 1 .. QD_MAX_OUTPUTS */
	/** Bars consumed before the first output has a value. */
	uint32_t (*lookback)(const void *state);
	/** Consume one bar; write n_outputs values into out (NaN = none yet). */
	void (*update)(void *state, const struct qd_bar *bar, double *out);

	/* --- added in ABI 1.1: present when base.size covers it ----------- */

	/**
	 * Optional: consume the s->n bars of `s` exactly as s->n update()
	 * calls would (same state afterwards, the same values bit for bit),
	 * writing output j of bar i to out[j][i]: n_outputs columns of s->n
	 * doubles each.  Write it as update() run over the columns, not as a
	 * second copy of the maths.  NULL: the host calls update() per bar.
	 */
	void (*batch)(void *state, const struct qd_series *s,
		double *const *out);

	/* --- appended in ABI 1.6: present when base.size covers it ----------- */

	/** QD_INDICATOR_* flags: how the outputs read, for charts. */
	uint32_t flags;

	/* --- appended in ABI 1.7: present when base.size covers it ----------- */

	/**
	 * Optional: n_outputs QD_OUTPUT_* flags, static: where each output is
	 * drawn when it differs from what `flags` says for the whole
	 * indicator (SuperTrend: an overlay whose `direction` output, +1/-1,
	 * is not a price).  NULL, or an output whose entry is 0: as `flags`
	 * says.
	 */
	const uint32_t *output_flags;
};

/** Flags of an indicator (struct qd_indicator_ops.flags, ABI 1.6). */
enum qd_indicator_flag {
	/**
	 * The outputs are prices of the bars' instrument (moving averages,
	 * bands, stops): a chart draws them over the candles, on the price
	 * scale.  Without it (oscillators, volumes, ratios) they go in a pane
	 * of their own.
	 */
	QD_INDICATOR_OVERLAY = 1u << 0,
};

/**
 * Flags of one indicator output (struct qd_indicator_ops.output_flags,
 * ABI 1.7).  At most one of the two; the loader refuses an output with
 * both, or with a bit it does not know.
 */
enum qd_output_flag {
	/** This output is a price: drawn over the candles, on the price
	 *  scale, whether or not the indicator is QD_INDICATOR_OVERLAY. */
	QD_OUTPUT_PRICE = 1u << 0,
	/** This output is not a price (a direction, a ratio, a count): drawn
	 *  in a pane of its own, even when the indicator is
	 *  QD_INDICATOR_OVERLAY. */
	QD_OUTPUT_PANE = 1u << 1,
};

/** Strategy: reacts to market events, acts through order_submit. */
struct qd_strategy_ops {
	struct qd_ops base;
	void (*on_bar)(void *state, const struct qd_bar_event *ev);
	void (*on_trade)(void *state, const struct qd_trade_event *ev);
	void (*on_order)(void *state, const struct qd_order_update *u);
	void (*on_timer)(void *state, uint64_t timer_id);
};

/**
 * Exchange adapter: speaks one venue's protocol through the host's network
 * API (so it works sandboxed and against fakes by base-URL params), and
 * reports normalised events with api->emit_*.
 */
struct qd_exchange_ops {
	struct qd_ops base;
	/** Start streaming `sym` bars on timeframe_s (0 = trades). */
	int (*subscribe)(void *state, qd_symbol sym, uint32_t timeframe_s);
	void (*on_ws_open)(void *state, uint64_t conn);
	void (*on_ws_message)(void *state, uint64_t conn, const char *data,
		size_t len);
	void (*on_ws_close)(void *state, uint64_t conn, int code,
		const char *reason);
	void (*on_http_response)(void *state, uint64_t req_id, int status,
		const char *body, size_t len);
	void (*on_timer)(void *state, uint64_t timer_id);
	/**
	 * Send an order under the client order id qd_client_order_id(order_id)
	 * and report what the venue says with emit_order_update(order_id):
	 * PENDING when it took the order, REJECTED/CANCELED/EXPIRED with the
	 * venue's reason, and every fill as an update with last_qty,
	 * last_price, fee (quote) and the venue's trade_id (the host applies
	 * a fill once per trade id, so reporting one again is harmless).
	 * QD_ERR_UNSUPPORTED for an order type the venue lacks: the host then
	 * holds the order and sends a market (or limit) order when it
	 * triggers.  After a restart the host may place an order again that
	 * reached the venue before: a venue refusing the duplicate client id
	 * means "query it" (order_query), not "rejected".
	 */
	int (*order_place)(void *state, uint64_t order_id,
		const struct qd_order_req *req);
	/** Cancel; the venue's answer comes as an update. */
	int (*order_cancel)(void *state, uint64_t order_id);
	/** Report the order's state (and fills) as the venue has it; an order
	 *  the venue does not know is REJECTED. */
	int (*order_query)(void *state, uint64_t order_id);
	/** Fetch closed bars in [from_ns, to_ns) over REST; emit_bar each. */
	int (*backfill)(void *state, qd_symbol sym, uint32_t timeframe_s,
		int64_t from_ns, int64_t to_ns);

	/* --- appended in ABI 1.4 (the host calls them when base.size covers
	 *     them and they are not NULL) --- */

	/** Cancel every open order of `sym` at the venue (0: every symbol
	 *  the adapter trades), ours or not; updates follow as usual. */
	int (*order_cancel_all)(void *state, qd_symbol sym);
	/**
	 * Reconcile with the venue: report the balances (emit_balance, the
	 * last one flagged), every open order carrying one of our client ids
	 * and every fill since the last one the adapter reported (or, after a
	 * restart, of the last 24 hours) as order updates.  The host calls it
	 * after start; the adapter does the same itself after its account
	 * stream comes back from a loss.  Fills reported twice are applied
	 * once (by trade id).
	 */
	int (*account_sync)(void *state);
};

/** Notifier: delivers notifications; the host keeps the outbox and retries. */
struct qd_notifier_ops {
	struct qd_ops base;
	/** Start delivering; finish with api->notify_done(req_id, ...). */
	int (*send)(void *state, uint64_t req_id, const struct qd_notification *n);
	void (*on_http_response)(void *state, uint64_t req_id, int status,
		const char *body, size_t len);
	void (*on_timer)(void *state, uint64_t timer_id);

	/* --- appended in ABI 1.5 (called when base.size covers it) --- */

	/** The outcome of api->mail_send(req_id): QD_OK once the server
	 *  accepted the message, else an error and the server's answer. */
	void (*on_mail_done)(void *state, uint64_t req_id, int status,
		const char *detail);
};

/** Payment provider. */
struct qd_payment_ops {
	struct qd_ops base;
	/** Start a checkout; finish with api->payment_done(req_id, ...). */
	int (*checkout)(void *state, uint64_t req_id, const struct qd_checkout *c);
	/** Verify a webhook's signature and decode it into *out (sync). */
	int (*webhook_verify)(void *state, const struct qd_kv *headers,
		uint32_t n_headers, const char *body, size_t len,
		struct qd_payment_event *out);
	/** Refund; finish with api->payment_done(req_id, ...). */
	int (*refund)(void *state, uint64_t req_id, const char *payment_id,
		int64_t amount_minor);
	void (*on_http_response)(void *state, uint64_t req_id, int status,
		const char *body, size_t len);
};

/* ------------------------------------------------------------------------- */
/* Descriptors                                                               */
/* ------------------------------------------------------------------------- */

/**
 * One plugin.  Static, read by the host before any plugin code runs.
 * `requires` lists other plugins this one needs, as "kind:name" optionally
 * followed by comma-separated version constraints, e.g.
 * "indicator:rsi>=1.0,<2"; NULL-terminated, or NULL for none.
 */
struct qd_plugin {
	uint32_t size;
	enum qd_kind kind;
	const char *name;        /**< [a-z0-9][a-z0-9._-]*, at most 63 bytes */
	const char *version;     /**< semantic version "MAJOR.MINOR.PATCH" */
	const char *description; /**< one line */
	const char *license;     /**< SPDX identifier */
	const struct qd_param_spec *params;
	uint32_t n_params;
	const char *const *requires;
	const void *ops;         /**< struct qd_<kind>_ops for `kind` */
};

/** The module: what the `qd_module` symbol holds. */
struct qd_module {
	uint32_t abi_major;                 /**< checked first */
	uint32_t abi_minor;
	uint32_t size;
	const struct qd_plugin *const *plugins; /**< NULL-terminated */
};

/** Export the module: QD_MODULE(list) with `list` a NULL-terminated array. */
#define QD_MODULE(list)                                                        \
	QD_EXPORT const struct qd_module qd_module = {                         \
		QD_ABI_MAJOR, QD_ABI_MINOR, sizeof(struct qd_module), (list)   \
	}

/** Number of elements of a static array. */
#define QD_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------- */
/* Position sizing helpers (pure functions, no host call)                    */
/* ------------------------------------------------------------------------- */

/** Quantity worth `fraction` of `equity` at `price`; 0 if inputs are bad. */
static inline double
qd_size_fraction(double equity, double fraction, double price)
{
	if (!(equity > 0) || !(fraction > 0) || !(price > 0))
		return 0.0;
	return equity * fraction / price;
}

/**
 * Quantity that loses `risk_fraction` of `equity` if the price moves
 * `stop_distance` against the position (e.g. 2 x ATR).
 */
static inline double
qd_size_risk(double equity, double risk_fraction, double stop_distance)
{
	if (!(equity > 0) || !(risk_fraction > 0) || !(stop_distance > 0))
		return 0.0;
	return equity * risk_fraction / stop_distance;
}

/**
 * Kelly fraction f = p - (1 - p) / b for win probability p and win/loss
 * ratio b, clipped to [0, cap].
 */
static inline double
qd_kelly_fraction(double win_prob, double win_loss_ratio, double cap)
{
	double f;

	if (!(win_loss_ratio > 0) || !(win_prob >= 0) || !(win_prob <= 1))
		return 0.0;
	f = win_prob - (1.0 - win_prob) / win_loss_ratio;
	if (!(f > 0))
		return 0.0;
	return f < cap ? f : cap;
}

/* ------------------------------------------------------------------------- */
/* Convenience wrappers over the host API (inline: no ABI of their own)      */
/* ------------------------------------------------------------------------- */

/** Submit a market order; QD_OK, or the host's refusal. */
static inline int
qd_order_market(const struct qd_host_api *api, qd_ctx *ctx, qd_symbol sym,
	enum qd_side side, double qty, const char *tag)
{
	struct qd_order_req o;
	uint64_t id;

	if (!(qty > 0))
		return QD_ERR_INVALID;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.symbol = sym;
	o.side = side;
	o.type = QD_ORDER_MARKET;
	o.qty = qty;
	o.tag = tag;
	return api->order_submit(ctx, &o, &id);
}

/** Signed position in `sym` (0 if unknown). */
static inline double
qd_position_qty(const struct qd_host_api *api, qd_ctx *ctx, qd_symbol sym)
{
	struct qd_position p;

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	return api->position_get(ctx, sym, &p) == QD_OK ? p.qty : 0.0;
}

/** Account equity (0 if unknown). */
static inline double
qd_equity(const struct qd_host_api *api, qd_ctx *ctx)
{
	struct qd_account a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	return api->account_get(ctx, &a) == QD_OK ? a.equity : 0.0;
}

/**
 * The client order id of host order `order_id`: "qd" and the id in base 36
 * ("qd1", "qd2s", ...), at most 15 characters, alphanumeric -- what an
 * exchange adapter sends as the venue's client order id (its idempotency
 * key: after a restart the host sends an order that may have reached the
 * venue again under the same id, which the venue refuses to take twice),
 * and reads back to find the host's order.  Returns the length, or 0 when
 * cap is below 16.
 */
static inline size_t
qd_client_order_id(uint64_t order_id, char *buf, size_t cap)
{
	char tmp[16];
	size_t n = 0, i;

	if (buf == NULL || cap < 16)
		return 0;
	do {
		unsigned d = (unsigned)(order_id % 36);

		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		order_id /= 36;
	} while (order_id > 0);
	buf[0] = 'q';
	buf[1] = 'd';
	for (i = 0; i < n; i++)
		buf[2 + i] = tmp[n - 1 - i];
	buf[2 + n] = '\0';
	return n + 2;
}

/** The host order id of a client order id qd_client_order_id() made, or
 *  0 when `cid` is not one. */
static inline uint64_t
qd_client_order_id_parse(const char *cid)
{
	uint64_t v = 0;
	size_t i;

	if (cid == NULL || cid[0] != 'q' || cid[1] != 'd' || cid[2] == '\0')
		return 0;
	for (i = 2; cid[i] != '\0'; i++) {
		char c = cid[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'z')
			d = (unsigned)(c - 'a') + 10;
		else
			return 0;
		if (i > 14 || v > (UINT64_MAX - d) / 36)
			return 0;
		v = v * 36 + d;
	}
	return v;
}

#ifdef __cplusplus
}
#endif

#endif /* QUANTD_SDK_H */
