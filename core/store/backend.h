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
};

struct store {
	const struct store_ops *ops;
	enum store_role role;
	int timescale;
	int in_tx;
	char err[512];
};

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
