/*
 * store -- the one storage interface, two backends: SQLite (the embedded
 * default) and PostgreSQL through libpq.
 *
 * A `struct store` is one connection.  It is used by one thread at a time:
 * the writer thread (core/store/writer.h) owns one, readers (the CLI, the
 * API) open their own.  Every function returns QD_OK or a negative
 * enum qd_status; on failure store_error() says what went wrong in one line
 * (never a secret: connection strings are not repeated).
 *
 * Opening a store brings its schema up to date with forward-only, versioned
 * migrations (core/store/migrations/BACKEND/NNNN_name.sql, each applied in
 * one transaction and recorded in `schema_version`); a database whose schema
 * is newer than this program is refused with a message saying so.
 *
 * Units and exactness:
 *   - times are int64 milliseconds since the Unix epoch, UTC;
 *   - prices and quantities cross this interface as doubles (what the
 *     process computes with) and are stored exactly: as the shortest decimal
 *     that reads back to the same double, in NUMERIC columns (PostgreSQL) or
 *     as decimal text (SQLite has no decimal type; it would turn a NUMERIC
 *     column into binary floating point).  Nothing is ever stored as REAL.
 *
 * Idempotence: writing a candle twice leaves one row; a corrected candle
 * (same exchange, symbol, timeframe, open time) replaces the stored one.  A
 * trade is identified by (exchange, symbol, time, trade id); writing it again
 * changes nothing.
 */
#ifndef QD_STORE_H
#define QD_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum store_backend {
	STORE_SQLITE = 1,
	STORE_POSTGRES = 2,
};

/** How the store is used; the SQLite backend sets its durability from it. */
enum store_role {
	STORE_ROLE_WRITER = 0, /**< the writer thread: market data batches */
	STORE_ROLE_READER = 1, /**< reads (CLI, API, backtests) */
	STORE_ROLE_ADMIN = 2,  /**< imports, prune, vacuum: synchronous=FULL */
};

/** One candle.  quote_volume is NAN and trades -1 when unknown. */
struct store_candle {
	int64_t open_time;   /**< ms, UTC-aligned to the timeframe */
	double open;
	double high;
	double low;
	double close;
	double volume;       /**< base units */
	double quote_volume; /**< quote units, or NAN */
	int64_t trades;      /**< number of trades, or -1 */
};

/** One public trade.  side: 1 buy, 2 sell (taker), 0 unknown. */
struct store_trade {
	int64_t time;        /**< ms */
	uint64_t trade_id;   /**< venue id, or a per-millisecond sequence */
	double price;
	double qty;
	int side;
};

/** A series: which candles.  Strings are the caller's. */
struct store_series {
	const char *exchange;  /**< exchange instance name, e.g. "binance" */
	const char *symbol;    /**< canonical BASE/QUOTE */
	const char *timeframe; /**< "1s", "1m" ... "1w" */
};

/** An instrument's trading rules; tick, lot and min_notional are decimals
 *  as text ("0.01"), stored exactly. */
struct store_instrument {
	const char *exchange;
	const char *symbol;
	const char *native_symbol;
	const char *tick;
	const char *lot;
	const char *min_notional;
};

/** What is stored of one series (quantctl data list). */
struct store_coverage {
	const char *exchange;
	const char *symbol;
	const char *timeframe;
	int64_t first;     /**< ms of the first candle */
	int64_t last;      /**< ms of the last candle */
	int64_t count;     /**< candles */
	int64_t missing;   /**< candles missing between first and last */
};

/**
 * Open the store named by `url`:
 *   "sqlite:PATH", "PATH" (anything not a PostgreSQL URL: a SQLite file),
 *   "postgresql://..." or "postgres://..." (libpq URI; sslmode and the other
 *   libpq parameters in its query string), or "env:VAR" for any of these
 *   read from the environment (so a password stays out of config files).
 * The schema is migrated to the latest version (a reader migrates too, so
 * that a query against a new database finds its tables).  Returns QD_OK and *out, or an error with `err` filled in.
 */
int store_open(const char *url, enum store_role role, struct store **out,
	char *err, size_t errlen);

/**
 * store_open(), but bring an empty or older schema to exactly `version`
 * (0 .. latest) instead of the latest: a database as an older quantd left
 * it.  A newer schema is refused as by store_open().
 */
int store_open_version(const char *url, enum store_role role, int version,
	struct store **out, char *err, size_t errlen);

/** Close and free; NULL is a no-op. */
void store_close(struct store *s);

enum store_backend store_backend(const struct store *s);
/** "sqlite" or "postgresql". */
const char *store_backend_name(const struct store *s);
/** The last error of this store, one line. */
const char *store_error(const struct store *s);

/** Latest schema version this program knows for the store's backend. */
int store_schema_latest(const struct store *s);
/** Version of the opened database (0 = empty). */
int store_schema_version(struct store *s, int *version);
/**
 * Apply migrations up to `target` (<= latest; each in its own transaction).
 * store_open() does this to the latest; a lower target exists to build a
 * database as an older quantd left it.
 */
int store_migrate(struct store *s, int target);
/** Whether PostgreSQL candles/trades are hypertables (1) or monthly range
 *  partitions (0); 0 for SQLite. */
int store_uses_timescale(const struct store *s);

/* ---- transactions -------------------------------------------------------- */

/** Writes between begin and commit are one transaction; without begin each
 *  call is its own. */
int store_begin(struct store *s);
int store_commit(struct store *s);
/** Roll back; harmless when no transaction is open. */
int store_rollback(struct store *s);

/** 1 when the connection is usable, 0 when it was lost (PostgreSQL). */
int store_connected(struct store *s);
/** Try to connect again (PostgreSQL); QD_OK when it is back. */
int store_reconnect(struct store *s);

/* ---- writes ---------------------------------------------------------------- */

/** Upsert n candles of one series (bulk: COPY on PostgreSQL). */
int store_put_candles(struct store *s, const struct store_series *k,
	const struct store_candle *c, size_t n);
/** Insert n trades of one (exchange, symbol); duplicates are ignored.
 *  `k->timeframe` is not used. */
int store_put_trades(struct store *s, const struct store_series *k,
	const struct store_trade *t, size_t n);
/** Insert or replace an instrument. */
int store_put_instrument(struct store *s, const struct store_instrument *in);

/** Replace the saved state of a plugin instance (durably). */
int store_state_save(struct store *s, const char *instance, const void *buf,
	size_t len);
/**
 * Copy at most `cap` bytes of the instance's state into buf and its full
 * length into *len.  QD_ERR_NOTFOUND when none was saved.
 */
int store_state_load(struct store *s, const char *instance, void *buf,
	size_t cap, size_t *len);

/* ---- trading: accounts, orders, fills, ledger postings, risk log ----------- */
/*
 * Amounts are exact decimal text ("0.00100000"; stored as NUMERIC on
 * PostgreSQL and as text on SQLite), or NULL where a column allows it.
 * Strings of the structs are the caller's (writes) or valid during the
 * callback (reads).
 *
 * Decimal text in, the same decimal text out: an amount must be plain
 * decimal text, -?(0|[1-9][0-9]*)(\.[0-9]+)?, not "-0", at most 100
 * characters -- no exponent, '+' or leading zeros (QD_ERR_INVALID names
 * the field otherwise).  That is the form PostgreSQL prints a numeric in,
 * keeping the scale it was written with, so a reader gets back exactly the
 * text written on both backends, trailing zeros included ("0.00100000",
 * not "0.001").  Compare amounts as numbers, not as text, when they may
 * have been written with different scales.
 *
 * Ids (order ids, parent/link ids) are 1 .. INT64_MAX, 0 meaning none (a
 * NULL column).  Every write is one transaction of its own unless the
 * caller opened one.  On SQLite the connection's role sets durability:
 * a WRITER's commits (synchronous=NORMAL in WAL mode) survive the process
 * being killed, an ADMIN's (FULL) also a power loss -- the journal opens
 * the one its "durability" setting asks for (core/trade/journal.h).
 * A read calls fn per row in the order given and stops when fn returns
 * non-zero; fn must not use the same store (PostgreSQL streams the rows
 * on the connection).
 */

/** An account: a user's or a strategy instance's (paper ones have an
 *  initial balance posted to the ledger). */
struct store_account {
	const char *id;            /**< e.g. "paper:ma-fast" */
	const char *owner;         /**< user, or "" */
	const char *instance;      /**< strategy instance, or "" */
	const char *venue;         /**< "paper" or an exchange instance */
	const char *quote;         /**< asset equity is counted in */
	int margin;                /**< shorts allowed */
	int64_t created_ms;
};

/** An order as the OMS keeps it; written at every state change. */
struct store_order {
	uint64_t id;               /**< host order id, unique for the database */
	const char *client_id;     /**< idempotency key sent to the venue */
	const char *account;
	const char *instance;      /**< "" when not from an instance */
	const char *venue;
	const char *symbol;
	int side;                  /**< enum qd_side */
	int type;                  /**< enum qd_order_type */
	int tif;                   /**< enum qd_tif */
	uint32_t flags;            /**< enum qd_order_flags */
	int state;                 /**< enum qd_order_state */
	const char *qty;           /**< decimal text */
	const char *price;         /**< or NULL */
	const char *stop_price;    /**< or NULL */
	const char *trail;         /**< trailing distance (decimal), or NULL */
	const char *filled;        /**< cumulative, decimal text */
	const char *avg_price;     /**< or NULL */
	const char *fees;          /**< quote units, decimal text */
	uint64_t parent_id;        /**< bracket entry, or 0 */
	uint64_t link_id;          /**< OCO sibling, or 0 */
	const char *venue_order_id;/**< or NULL */
	const char *reason;        /**< or NULL */
	const char *tag;           /**< or NULL */
	int64_t created_ms;
	int64_t updated_ms;
};

/** A fill; (order_id, trade_id) is unique -- a fill is kept once. */
struct store_fill {
	uint64_t order_id;
	const char *trade_id;      /**< the venue's trade id */
	const char *account;
	const char *symbol;
	int side;
	const char *qty;
	const char *price;
	const char *fee;
	const char *fee_asset;
	int maker;                 /**< 1 maker, 0 taker */
	int64_t ts_ms;
};

/** One posting of a balanced ledger transaction. */
struct store_posting {
	int64_t txn;
	int64_t ts_ms;
	const char *kind;
	const char *ref;
	const char *account;
	const char *asset;
	const char *amount;        /**< signed decimal text */
};

/** A risk decision (risk log). */
struct store_risk_event {
	int64_t ts_ms;
	const char *scope;         /**< "global", "account", "instance" */
	const char *scope_id;
	const char *rule;
	const char *actions;       /**< e.g. "halt,cancel,close,notify" */
	const char *symbol;        /**< or NULL */
	const char *reason;
	uint64_t order_id;         /**< or 0 */
};

/** Which postings to read: account NULL for every account's; txn >
 *  after_txn and from_ms <= ts_ms < to_ms. */
struct store_posting_filter {
	const char *account;
	int64_t after_txn;         /**< a cursor: the last txn read, or 0 */
	int64_t from_ms;           /**< INT64_MIN: from the start */
	int64_t to_ms;             /**< INT64_MAX: to the end */
};

/** Which orders to read: NULL/0 fields match all. */
struct store_order_filter {
	const char *account;
	const char *instance;
	int open_only;             /**< states CREATED, PENDING, PARTIAL */
	uint64_t after_id;         /**< id > after_id (a cursor) */
	size_t limit;              /**< 0: all */
};

/** Insert or update an account (by id); its created_ms stays the one
 *  first written. */
int store_put_account(struct store *s, const struct store_account *a);
/** Insert or replace an order (by id; every column).  QD_ERR_STATE when
 *  its client_id is another order's (nothing changes). */
int store_put_order(struct store *s, const struct store_order *o);
/** Insert a fill: QD_OK when new, QD_ERR_STATE when (order_id, trade_id)
 *  is already stored (nothing changes). */
int store_put_fill(struct store *s, const struct store_fill *f);
/**
 * Insert n postings, ascending by txn, all the legs of a transaction in one
 * call (their leg numbers are their order in it).  All or nothing, also
 * inside the caller's transaction (a savepoint; the transaction stays
 * usable): QD_ERR_STATE when a transaction's legs are already stored.
 */
int store_put_postings(struct store *s, const struct store_posting *p,
	size_t n);
/** Append to the risk log. */
int store_put_risk_event(struct store *s, const struct store_risk_event *e);

/** Every account, ascending by id. */
int store_accounts(struct store *s,
	int (*fn)(void *arg, const struct store_account *a), void *arg);
/** Orders matching the filter (NULL: all), ascending by id; the next page
 *  is after_id = the last id read. */
int store_orders(struct store *s, const struct store_order_filter *f,
	int (*fn)(void *arg, const struct store_order *o), void *arg);
/** Fills of one account (NULL: all), ascending by (ts_ms, order_id,
 *  trade_id), of order `order_id` only when non-zero. */
int store_fills(struct store *s, const char *account, uint64_t order_id,
	int (*fn)(void *arg, const struct store_fill *f), void *arg);
/** Postings of one account (NULL: all), ascending by txn and leg. */
int store_postings(struct store *s, const char *account,
	int (*fn)(void *arg, const struct store_posting *p), void *arg);
/** Postings matching `f`, ascending by txn and leg (a page: stop in fn
 *  at a change of txn and go on with after_txn = the last txn read). */
int store_postings_page(struct store *s, const struct store_posting_filter *f,
	int (*fn)(void *arg, const struct store_posting *p), void *arg);
/** Risk log rows with ts_ms >= since, ascending, at most limit (0: all). */
int store_risk_events(struct store *s, int64_t since, size_t limit,
	int (*fn)(void *arg, const struct store_risk_event *e), void *arg);
/** States of a notification in the outbox (notify_outbox.state). */
enum store_notify_state {
	STORE_NOTIFY_PENDING = 0,  /**< to send (again) at next_ms */
	STORE_NOTIFY_SENT = 1,     /**< the channel confirmed it */
	STORE_NOTIFY_DEAD = 2,     /**< attempts ran out; last_error says why */
};

/** One notification to one channel (a row of notify_outbox). */
struct store_notification {
	uint64_t id;               /**< > 0, the outbox's */
	const char *dkey;          /**< deduplication key, non-empty */
	const char *channel;       /**< notifier instance, non-empty */
	const char *event;         /**< "alert", "fill", "risk.halt", ... */
	int severity;              /**< enum qd_severity */
	const char *owner;         /**< user it is for; "" operators */
	const char *title;
	const char *body;
	const char *recipient;     /**< or NULL: the channel's default */
	int state;                 /**< enum store_notify_state */
	uint32_t attempts;         /**< sends tried so far */
	int64_t next_ms;           /**< pending: not before */
	const char *last_error;    /**< "" when none */
	int64_t created_ms;
	int64_t updated_ms;
};

/** Which notifications to read: state -1 for every state. */
struct store_notify_filter {
	int state;                 /**< enum store_notify_state, or -1 */
	uint64_t after_id;         /**< id > after_id (a cursor) */
	size_t limit;              /**< 0: all */
};

/**
 * Write a notification: a new id is inserted unless a row with the same
 * (dkey, channel) exists (then nothing is written: the same key enqueued
 * twice is one notification); a known id has its state, attempts,
 * next_ms, last_error and updated_ms replaced (the rest never changes).
 */
int store_put_notification(struct store *s,
	const struct store_notification *n);
/** Notifications matching the filter (NULL: all), ascending by id. */
int store_notifications(struct store *s, const struct store_notify_filter *f,
	int (*fn)(void *arg, const struct store_notification *n), void *arg);
/** Delete delivered notifications updated before `before_ms`; *deleted
 *  how many (may be NULL).  Pending and dead ones are kept. */
int store_notify_prune(struct store *s, int64_t before_ms, int64_t *deleted);
/** The largest notification id stored (0 when none). */
int store_notify_max_id(struct store *s, uint64_t *max_id);

/** The largest order id and posting txn stored (0 when none). */
int store_trading_ids(struct store *s, uint64_t *max_order_id,
	int64_t *max_txn);

/* ---- auth: plans, users, tokens, keys, 2FA, audit, sealed secrets ---------- */
/*
 * The tables of migration 0004, used through core/auth and core/vault.  No
 * secret is stored in clear: passwords are argon2id encoded strings, refresh
 * tokens and recovery codes SHA-256 hashes (hex), and what must be read back
 * (API key secrets, TOTP secrets, credentials) is sealed (struct
 * store_sealed, made by core/vault).  Strings are the caller's (writes) or
 * valid during the callback (reads); a read calls fn per row and stops when
 * fn returns non-zero; a lookup of one row returns QD_ERR_NOTFOUND when
 * there is none.  fn must not use the same store.
 */

/** A plan and its limits; -1 is unlimited. */
struct store_plan {
	const char *name;          /**< "free", "pro", "enterprise" */
	int64_t symbols;           /**< symbols a user may follow, or -1 */
	const char *strategies;    /**< "basic", "all" or "custom" */
	int64_t push_delay_ms;     /**< WebSocket push delay */
	int64_t api_per_min;       /**< REST requests per minute */
	int webhooks;              /**< 1 when webhooks are allowed */
};

/** A user. */
struct store_user {
	int64_t id;                /**< assigned by store_user_add() */
	const char *name;
	const char *pass_hash;     /**< argon2id encoded string */
	const char *role;          /**< "admin", "trader" or "viewer" */
	const char *plan;          /**< a plans.name */
	int disabled;
	int64_t created_ms;
	int64_t updated_ms;
};

/* ---- alerts ------------------------------------------------------------------ */
/*
 * An alert row carries its definition (spec: the condition as JSON text,
 * core/alert/alert.h) and the state its evaluation needs across a restart
 * (state: JSON text the alert engine writes and reads back).  Strings are
 * the caller's (writes) or valid during the callback (reads).
 */

/** One alert. */
struct store_alert {
	uint64_t id;               /**< 1 .. INT64_MAX */
	const char *user_id;       /**< "admin" when there are no users */
	const char *exchange;      /**< exchange instance */
	const char *symbol;        /**< canonical BASE/QUOTE */
	const char *name;          /**< the user's label, may be "" */
	const char *spec;          /**< the condition, JSON text */
	const char *fire_mode;     /**< "once" or "every" */
	int64_t cooldown_ms;       /**< >= 0 */
	int64_t expires_ms;        /**< 0: never */
	int enabled;
	int64_t fire_count;
	int64_t last_fired_ms;     /**< 0: never fired */
	const char *state;         /**< JSON text */
	int64_t created_ms;
	int64_t updated_ms;
};

/** A value sealed with AES-256-GCM: the master key's id, the nonce and the
 *  ciphertext with its tag, both hex (core/vault/vault.h). */
struct store_sealed {
	const char *key_id;
	const char *nonce;
	const char *ct;
};

/** A refresh token, by the hash of its value. */
struct store_refresh {
	const char *hash;          /**< SHA-256 of the token, hex */
	const char *family;        /**< shared by a login's rotations */
	int64_t user_id;
	int64_t created_ms;
	int64_t expires_ms;
	int64_t used_ms;           /**< 0 until rotated */
	int revoked;
};

/** An API key; its secret is sealed (HMAC verification needs it). */
struct store_api_key {
	const char *id;            /**< public key id */
	int64_t user_id;
	const char *label;
	const char *scopes;        /**< "read", "read,trade", ... */
	struct store_sealed secret;
	int64_t created_ms;
	int64_t revoked_ms;        /**< 0 while valid */
};

/** A user's TOTP secret (sealed), pending until confirmed. */
struct store_totp {
	int64_t user_id;
	struct store_sealed secret;
	int confirmed;
	int64_t last_step;         /**< the last accepted time step */
	int64_t created_ms;
};

/** One audit log row. */
struct store_audit {
	int64_t id;                /**< assigned on insert, ascending */
	int64_t ts_ms;
	const char *actor;         /**< user name, "quantctl", ... */
	const char *action;        /**< e.g. "login.failed" */
	const char *target;
	const char *ip;
	int ok;
	const char *detail;        /**< never a secret */
};

/** A named credential (an exchange API key, ...), sealed. */
struct store_credential {
	const char *name;
	struct store_sealed sealed;
	int64_t updated_ms;
};

/** The tables holding sealed values (what a key rotation re-encrypts). */
enum store_sealed_kind {
	STORE_SEALED_CREDENTIAL = 1, /**< row id: the credential's name */
	STORE_SEALED_API_KEY = 2,    /**< row id: the key id */
	STORE_SEALED_TOTP = 3,       /**< row id: the user id, decimal */
};

/** Every plan, ascending by api_per_min. */
int store_plans(struct store *s,
	int (*fn)(void *arg, const struct store_plan *p), void *arg);
/** The plan named `name`. */
int store_plan_get(struct store *s, const char *name,
	int (*fn)(void *arg, const struct store_plan *p), void *arg);

/** Insert a user (u->id is ignored); *id gets its id.  QD_ERR_STATE when
 *  the name is taken, QD_ERR_INVALID for an unknown role or plan. */
int store_user_add(struct store *s, const struct store_user *u, int64_t *id);
/** Write pass_hash, role, plan, disabled and updated_ms of user u->id. */
int store_user_update(struct store *s, const struct store_user *u);
/** The user named `name` (when not NULL) or else of id `id`. */
int store_user_get(struct store *s, const char *name, int64_t id,
	int (*fn)(void *arg, const struct store_user *u), void *arg);
/** Every user, ascending by id. */
int store_users(struct store *s,
	int (*fn)(void *arg, const struct store_user *u), void *arg);

/** Insert a refresh token.  QD_ERR_STATE when its hash is stored. */
int store_refresh_put(struct store *s, const struct store_refresh *r);
/** The refresh token of hash `hash`. */
int store_refresh_get(struct store *s, const char *hash,
	int (*fn)(void *arg, const struct store_refresh *r), void *arg);
/** Mark a token used at now_ms: QD_OK when it was unused and not revoked
 *  (one caller wins a race), QD_ERR_STATE otherwise. */
int store_refresh_use(struct store *s, const char *hash, int64_t now_ms);
/** Revoke every token of `family`, or, when family is NULL, every token of
 *  user `user_id`; *n (when not NULL) counts the tokens. */
int store_refresh_revoke(struct store *s, const char *family,
	int64_t user_id, long long *n);

/** Insert an API key.  QD_ERR_STATE when its id is taken. */
int store_api_key_put(struct store *s, const struct store_api_key *k);
/** The API key `id` (revoked ones too). */
int store_api_key_get(struct store *s, const char *id,
	int (*fn)(void *arg, const struct store_api_key *k), void *arg);
/** The keys of user `user_id` (0: every user's), ascending by id. */
int store_api_keys(struct store *s, int64_t user_id,
	int (*fn)(void *arg, const struct store_api_key *k), void *arg);
/** Revoke key `id` at now_ms; QD_ERR_NOTFOUND when there is no such
 *  valid key. */
int store_api_key_revoke(struct store *s, const char *id, int64_t now_ms);

/** Insert or replace a user's TOTP row (a new enrolment is unconfirmed). */
int store_totp_put(struct store *s, const struct store_totp *t);
/** The TOTP row of user `user_id`. */
int store_totp_get(struct store *s, int64_t user_id,
	int (*fn)(void *arg, const struct store_totp *t), void *arg);
/** Mark the user's TOTP row confirmed. */
int store_totp_confirm(struct store *s, int64_t user_id);
/** Accept time step `step`: QD_OK when it is after the last accepted one
 *  (recorded, so a code is never accepted twice), QD_ERR_STATE when not. */
int store_totp_step(struct store *s, int64_t user_id, int64_t step);
/** Delete the user's TOTP row and recovery codes. */
int store_totp_delete(struct store *s, int64_t user_id);
/** Replace the user's recovery codes by these n hashes. */
int store_recovery_set(struct store *s, int64_t user_id,
	const char *const *hashes, size_t n);
/** Use the recovery code of hash `hash`: QD_OK once, then QD_ERR_NOTFOUND;
 *  *left (when not NULL) gets the unused codes that remain. */
int store_recovery_use(struct store *s, int64_t user_id, const char *hash,
	int64_t now_ms, long long *left);

/** Append to the audit log (a->id is ignored). */
int store_audit_put(struct store *s, const struct store_audit *a);
/** Audit rows with id > after_id, ascending, at most limit (0: all). */
int store_audit(struct store *s, int64_t after_id, size_t limit,
	int (*fn)(void *arg, const struct store_audit *a), void *arg);

/** Insert or replace a credential. */
int store_credential_put(struct store *s, const struct store_credential *c);
/** The credential `name`. */
int store_credential_get(struct store *s, const char *name,
	int (*fn)(void *arg, const struct store_credential *c), void *arg);
/** Every credential, ascending by name. */
int store_credentials(struct store *s,
	int (*fn)(void *arg, const struct store_credential *c), void *arg);
/** Delete a credential; QD_ERR_NOTFOUND when there is none. */
int store_credential_delete(struct store *s, const char *name);

/** Every sealed value of every kind, for re-encryption. */
int store_sealed_each(struct store *s,
	int (*fn)(void *arg, enum store_sealed_kind kind, const char *row_id,
	const struct store_sealed *v), void *arg);
/** Replace one sealed value; QD_ERR_NOTFOUND when the row is gone. */
int store_sealed_update(struct store *s, enum store_sealed_kind kind,
	const char *row_id, const struct store_sealed *v);

/* ---- jobs ------------------------------------------------------------------ */
/*
 * A job is a backtest, optimisation, walk-forward or Monte Carlo run a user
 * asked the daemon for (core/daemon/jobs.h runs them).  Rows are written
 * whole (insert or replace by id); strings are the caller's (writes) or
 * valid during the callback (reads).
 */

/** One job. */
struct store_job {
	uint64_t id;               /**< 1 .. INT64_MAX */
	const char *user_id;       /**< the user's name */
	const char *kind;          /**< backtest, optimize, walkforward,
	                                montecarlo, chan */
	const char *request;       /**< the validated request, JSON text */
	const char *state;         /**< queued, running, done, failed,
	                                canceled */
	double progress;           /**< 0 .. 1 */
	const char *error;         /**< why it failed, "" otherwise */
	int64_t created_ms;
	int64_t started_ms;        /**< 0: not started */
	int64_t finished_ms;       /**< 0: not finished */
	int64_t cpu_ms;            /**< user + system time of its process */
};

/** Insert or replace a job (by id; every column). */
int store_put_job(struct store *s, const struct store_job *j);
/** Every job, ascending by id. */
int store_jobs(struct store *s,
	int (*fn)(void *arg, const struct store_job *j), void *arg);
/** Delete job `id` (gone already: QD_OK too). */
int store_delete_job(struct store *s, uint64_t id);

/** One time an alert fired. */
struct store_alert_event {
	uint64_t alert_id;
	const char *user_id;
	int64_t ts_ms;
	double price;              /**< the price that made it fire */
	const char *message;
};

/** Insert or replace an alert (by id; every column). */
int store_put_alert(struct store *s, const struct store_alert *a);
/** Delete an alert and its events; QD_ERR_NOTFOUND when there is none. */
int store_delete_alert(struct store *s, uint64_t id);
/** Every alert, ascending by id. */
int store_alerts(struct store *s,
	int (*fn)(void *arg, const struct store_alert *a), void *arg);
/** Append to an alert's history. */
int store_put_alert_event(struct store *s,
	const struct store_alert_event *e);
/** Events of one alert (0: of every alert), newest first, at most limit
 *  (0: all). */
int store_alert_events(struct store *s, uint64_t alert_id, size_t limit,
	int (*fn)(void *arg, const struct store_alert_event *e), void *arg);

/* ---- reads ----------------------------------------------------------------- */

/** fn(arg, instance, data, len) for every saved plugin state; fn returns
 *  non-zero to stop. */
int store_state_each(struct store *s,
	int (*fn)(void *arg, const char *instance, const void *data,
	size_t len), void *arg);

/**
 * Candles of `k` with from <= open_time < to, ascending (descending when
 * `desc`), at most `limit` (0 = no limit), delivered in chunks to
 * fn(arg, candles, n); fn returns 0 to go on, non-zero to stop.  A cursor
 * for the next page is the last open time + 1 (ascending) or its open time
 * (descending, as the next `to`).
 */
int store_candles(struct store *s, const struct store_series *k,
	int64_t from, int64_t to, size_t limit, int desc,
	int (*fn)(void *arg, const struct store_candle *c, size_t n), void *arg);

/**
 * Trades of (k->exchange, k->symbol) with from <= time < to, ascending,
 * delivered in chunks as store_candles() does.
 */
int store_trades(struct store *s, const struct store_series *k,
	int64_t from, int64_t to, size_t limit,
	int (*fn)(void *arg, const struct store_trade *t, size_t n), void *arg);

/**
 * Coverage of every stored series matching the filter (NULL fields match
 * all), ordered by exchange, symbol, timeframe.
 */
int store_coverage(struct store *s, const struct store_series *filter,
	int (*fn)(void *arg, const struct store_coverage *c), void *arg);

/**
 * The gaps of one series between its first and last candle: fn(arg, from,
 * to) per run of missing candles, `from` the first missing open time and
 * `to` the open time of the candle that ends the gap.
 */
int store_gaps(struct store *s, const struct store_series *k,
	int (*fn)(void *arg, int64_t from, int64_t to), void *arg);

enum store_prune_what {
	STORE_PRUNE_CANDLES = 1,
	STORE_PRUNE_TRADES = 2,
};

/** Delete candles and/or trades (`what`, a mask) older than `before` ms of
 *  the series matching the filter (a trade matches on exchange and
 *  symbol); *deleted counts the rows. */
int store_prune(struct store *s, const struct store_series *filter,
	int64_t before, int what, int64_t *deleted);

/** Give free space back (SQLite VACUUM; PostgreSQL VACUUM ANALYZE). */
int store_vacuum(struct store *s);

/* ---- rows as JSON (quantctl --json and the API show them alike) ------------- */

struct cJSON;

/** {"ts","scope","id","rule","actions","symbol"?,"reason","order_id"?}. */
struct cJSON *store_risk_event_json(const struct store_risk_event *e);
/** {"txn","ts","kind","ref","account","asset","amount"} (amount: the
 *  stored decimal text). */
struct cJSON *store_posting_json(const struct store_posting *p);
/** {"exchange","symbol","timeframe","first","last","count","missing"}. */
struct cJSON *store_coverage_json(const struct store_coverage *c);
/** {"from","to","missing"} of a gap of a series of `tf_ms` candles. */
struct cJSON *store_gap_json(int64_t from, int64_t to, int64_t tf_ms);
/** {"name","key_id","updated_ms"}: a credential without its value. */
struct cJSON *store_credential_json(const struct store_credential *c);

/* ---- helpers shared by the backends and their callers ---------------------- */

/** Milliseconds since the epoch, now (wall clock). */
int64_t store_now_ms(void);

/** Milliseconds of a timeframe label ("1s", "1m" ... "1w"), 0 if unknown. */
int64_t store_timeframe_ms(const char *tf);
/** A duration "N[smhdw]" (no unit: days) in ms: 0, or -1 when it is not
 *  one (negative, no digits, another unit, overflow). */
int store_duration_ms(const char *s, int64_t *ms);
/** The label of a timeframe in seconds, or NULL. */
const char *store_timeframe_label(uint32_t seconds);

struct qd_bar;
/** A stored candle as the bar plugins see (ts in ns). */
void store_candle_bar(const struct store_candle *c, struct qd_bar *out);

/**
 * Write `v` as the shortest decimal that reads back to the same double
 * (csv_parse_number() reads it): plain digits for integers below 1e21 and
 * for fractions with up to 17 decimals, else %.17g-style with an exponent;
 * "-0" is "0".  Returns its length, or -1 when `v` is not finite or `cap`
 * is below 32 (always enough).
 */
int store_decimal_format(double v, char *buf, size_t cap);

#endif
