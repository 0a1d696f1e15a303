/*
 * migrations -- the schema migrations of each backend, compiled in from
 * core/store/migrations/BACKEND/NNNN_name.sql by embed-sql.sh.
 */
#ifndef QD_STORE_MIGRATIONS_H
#define QD_STORE_MIGRATIONS_H

struct store_migration {
	int version;       /**< 1, 2, ... */
	const char *name;  /**< file name without number and .sql */
	const char *sql;   /**< the whole file */
};

extern const struct store_migration store_migrations_sqlite[];
extern const int store_migrations_sqlite_n;
extern const struct store_migration store_migrations_postgresql[];
extern const int store_migrations_postgresql_n;

#endif
