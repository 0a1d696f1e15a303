/*
 * backend -- what a storage backend implements (internal to core/store).
 *
 * store.c parses the URL, runs migrations and checks arguments; a backend
 * does the SQL.  Each backend embeds `struct store` as its first member.
 */
#ifndef QD_STORE_BACKEND_H
#define QD_STORE_BACKEND_H

#include <stdarg.h>

#include "store/migrations.h"
#include "store/store.h"

struct store_ops {
	enum store_backend backend;
	const char *name;
	const struct store_migration *migrations;
	const int *n_migrations;
	void (*close)(struct store *s);
	/* schema */
	int (*exec)(struct store *s, const char *sql);  /* a script */
	int (*version)(struct store *s, int *version);  /* 0 without table */
	int (*record_version)(struct store *s, const struct store_migration *m);
	int (*lock_schema)(struct store *s);  /* inside the migration tx */
	/* transactions and connection */
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);
	int (*connected)(struct store *s);
	int (*reconnect)(struct store *s);
	int (*opened)(struct store *s);  /* after migrations; may be NULL */
	/* data */
	int (*put_candles)(struct store *s, const struct store_series *k,
		const struct store_candle *c, size_t n);
	int (*put_trades)(struct store *s, const struct store_series *k,
		const struct store_trade *t, size_t n);
	int (*put_instrument)(struct store *s,
		const struct store_instrument *in);
	int (*state_save)(struct store *s, const char *instance,
		const void *buf, size_t len);
	int (*state_load)(struct store *s, const char *instance, void *buf,
		size_t cap, size_t *len);
	int (*state_each)(struct store *s, int (*fn)(void *, const char *,
		const void *, size_t), void *arg);
	int (*candles)(struct store *s, const struct store_series *k,
		int64_t from, int64_t to, size_t limit, int desc,
		int (*fn)(void *, const struct store_candle *, size_t),
		void *arg);
	int (*trades)(struct store *s, const struct store_series *k,
		int64_t from, int64_t to, size_t limit,
		int (*fn)(void *, const struct store_trade *, size_t),
		void *arg);
	int (*coverage)(struct store *s, const struct store_series *f,
		int (*fn)(void *, const struct store_coverage *), void *arg);
	int (*prune)(struct store *s, const struct store_series *f,
		int64_t before, int what, int64_t *deleted);
	int (*vacuum)(struct store *s);
	/* trading (arguments checked by store.c); put_postings gets postings
	 * ascending by txn and numbers the legs of each txn 1, 2, ... in the
	 * order given */
	int (*put_account)(struct store *s, const struct store_account *a);
	int (*put_order)(struct store *s, const struct store_order *o);
	int (*put_fill)(struct store *s, const struct store_fill *f);
	int (*put_postings)(struct store *s, const struct store_posting *p,
		size_t n);
	int (*put_risk_event)(struct store *s,
		const struct store_risk_event *e);
	int (*accounts)(struct store *s,
		int (*fn)(void *, const struct store_account *), void *arg);
	int (*orders)(struct store *s, const struct store_order_filter *f,
		int (*fn)(void *, const struct store_order *), void *arg);
	int (*fills)(struct store *s, const char *account, uint64_t order_id,
		int (*fn)(void *, const struct store_fill *), void *arg);
	int (*postings)(struct store *s, const struct store_posting_filter *f,
		int (*fn)(void *, const struct store_posting *), void *arg);
	int (*risk_events)(struct store *s, int64_t since, size_t limit,
		int (*fn)(void *, const struct store_risk_event *), void *arg);
	int (*trading_ids)(struct store *s, uint64_t *max_order_id,
		int64_t *max_txn);
	/* One statement with text parameters $1 .. $n (a NULL pointer is SQL
	 * NULL; SQLite binds an integer's canonical text as an integer);
	 * row(ctx, ncols, cols) per result row (a NULL column reads NULL),
	 * non-zero to stop; *changed (when not NULL) gets the rows a write
	 * changed.  A unique key taken is QD_ERR_STATE.  SQLite keeps the
	 * prepared statements of recent SQL texts.  The auth tables'
	 * functions (auth.c) are written once over this. */
	int (*query)(struct store *s, const char *sql, int n,
		const char *const *v, int (*row)(void *, int,
		const char *const *), void *ctx, const char *what,
		long long *changed);
	/* alerts (arguments checked by store.c) */
	int (*put_alert)(struct store *s, const struct store_alert *a);
	int (*delete_alert)(struct store *s, uint64_t id);
	int (*alerts)(struct store *s,
		int (*fn)(void *, const struct store_alert *), void *arg);
	int (*put_alert_event)(struct store *s,
		const struct store_alert_event *e);
	int (*alert_events)(struct store *s, uint64_t alert_id, size_t limit,
		int (*fn)(void *, const struct store_alert_event *),
		void *arg);
	/* the notification outbox (arguments checked by store.c) */
	int (*put_notification)(struct store *s,
		const struct store_notification *n);
	int (*notifications)(struct store *s,
		const struct store_notify_filter *f,
		int (*fn)(void *, const struct store_notification *), void *arg);
	int (*notify_prune)(struct store *s, int64_t before_ms,
		int64_t *deleted);
	int (*notify_max_id)(struct store *s, uint64_t *max_id);
};

struct store {
	const struct store_ops *ops;
	enum store_role role;
	int timescale;
	int in_tx;
	char err[512];
};

/* The columns of the trading tables in the order both backends write
 * (parameters 1, 2, ...) and read them (result columns 0, 1, ...). */
#define STORE_ACCOUNT_COLS "id, owner, instance, venue, quote, margin, " \
	"created_ms"
#define STORE_ORDER_COLS "id, client_id, account, instance, venue, " \
	"symbol, side, type, tif, flags, state, qty, price, stop_price, " \
	"trail, filled, avg_price, fees, parent_id, link_id, " \
	"venue_order_id, reason, tag, created_ms, updated_ms"
/* An order written again replaces every column but its id. */
#define STORE_ORDER_SET \
	"client_id = excluded.client_id, account = excluded.account, " \
	"instance = excluded.instance, venue = excluded.venue, " \
	"symbol = excluded.symbol, side = excluded.side, " \
	"type = excluded.type, tif = excluded.tif, flags = excluded.flags, " \
	"state = excluded.state, qty = excluded.qty, price = excluded.price, " \
	"stop_price = excluded.stop_price, trail = excluded.trail, " \
	"filled = excluded.filled, avg_price = excluded.avg_price, " \
	"fees = excluded.fees, parent_id = excluded.parent_id, " \
	"link_id = excluded.link_id, " \
	"venue_order_id = excluded.venue_order_id, " \
	"reason = excluded.reason, tag = excluded.tag, " \
	"created_ms = excluded.created_ms, updated_ms = excluded.updated_ms"
#define STORE_FILL_COLS "order_id, trade_id, account, symbol, side, " \
	"qty, price, fee, fee_asset, maker, ts_ms"
#define STORE_ALERT_COLS "id, user_id, exchange, symbol, name, spec, " \
	"fire_mode, cooldown_ms, expires_ms, enabled, fire_count, " \
	"last_fired_ms, state, created_ms, updated_ms, channels"
#define STORE_ALERT_SET \
	"user_id = excluded.user_id, exchange = excluded.exchange, " \
	"symbol = excluded.symbol, name = excluded.name, " \
	"spec = excluded.spec, fire_mode = excluded.fire_mode, " \
	"cooldown_ms = excluded.cooldown_ms, " \
	"expires_ms = excluded.expires_ms, enabled = excluded.enabled, " \
	"fire_count = excluded.fire_count, " \
	"last_fired_ms = excluded.last_fired_ms, state = excluded.state, " \
	"created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, " \
	"channels = excluded.channels"
#define STORE_ALERT_EVENT_COLS "alert_id, user_id, ts_ms, price, message"
#define STORE_RISK_COLS "ts_ms, scope, scope_id, rule, actions, symbol, " \
	"reason, order_id"

#define STORE_NOTIFY_COLS "id, dkey, channel, event, severity, owner, " \
	"title, body, recipient, state, attempts, next_ms, last_error, " \
	"created_ms, updated_ms, user_channel"
/* A notification written again changes these only. */
#define STORE_NOTIFY_UPDATE "UPDATE notify_outbox SET state = ?2, " \
	"attempts = ?3, next_ms = ?4, last_error = ?5, updated_ms = ?6 " \
	"WHERE id = ?1"

/** A trading read's callback, by the kind of row, and its argument (what
 *  a backend's row reader hands each row to). */
struct store_read {
	union {
		int (*account)(void *, const struct store_account *);
		int (*order)(void *, const struct store_order *);
		int (*fill)(void *, const struct store_fill *);
		int (*posting)(void *, const struct store_posting *);
		int (*risk)(void *, const struct store_risk_event *);
		int (*alert)(void *, const struct store_alert *);
		int (*alert_event)(void *,
			const struct store_alert_event *);
		int (*notification)(void *,
			const struct store_notification *);
	} fn;
	void *arg;
};

/** Append " WHERE term" to `sql`, or " AND term" once it has a WHERE. */
void store_sql_and(char *sql, size_t cap, const char *term);

/** Rows per chunk handed to read callbacks. */
#define STORE_CHUNK 4096

/** Set s->err (printf-style); returns `code`. */
int store_fail(struct store *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int store_sqlite_open(const char *path, enum store_role role,
	struct store **out, char *err, size_t errlen);
int store_pg_open(const char *conninfo, enum store_role role,
	struct store **out, char *err, size_t errlen);


#endif
