/*
 * pg.c -- the PostgreSQL backend, through libpq.
 *
 * Bulk candles and trades go in with COPY ... FROM STDIN (text format):
 * straight into the table inside a savepoint, which is the fast path for
 * new rows; when a row already exists the savepoint is rolled back and the
 * rows are copied into a temporary table and merged with INSERT ... ON
 * CONFLICT (a corrected candle replaces the stored one).  Small batches
 * use prepared upserts.  Before rows of a month nobody wrote yet, the
 * monthly partitions are created (qd_ensure_partitions, a no-op for
 * TimescaleDB hypertables); the months already ensured are remembered.
 *
 * A lost connection (server restart) shows as store_connected() == 0;
 * store_reconnect() resets it, and prepared statements and the temporary
 * tables are made again on first use.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <quantd/sdk.h>

#include "csv/csv.h"
#include "store/backend.h"

/* Rows from which a batch goes through COPY rather than prepared upserts. */
#define PG_COPY_MIN 64

enum pst {
	PS_CANDLE_PUT = 0,
	PS_TRADE_PUT,
	PS_ACCOUNT_PUT,
	PS_ORDER_PUT,
	PS_FILL_PUT,
	PS_POSTING_PUT,
	PS_RISK_PUT,
	PS_NOTIFY_UPDATE,
	PS_NOTIFY_INSERT,
	PS_COUNT
};

static const char *const pst_sql[PS_COUNT] = {
	[PS_CANDLE_PUT] =
	"INSERT INTO candles (exchange, symbol, timeframe, open_time, open, "
	"high, low, close, volume, quote_volume, trade_count) VALUES ($1, $2, "
	"$3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (exchange, symbol, "
	"timeframe, open_time) DO UPDATE SET open = excluded.open, "
	"high = excluded.high, low = excluded.low, close = excluded.close, "
	"volume = excluded.volume, quote_volume = excluded.quote_volume, "
	"trade_count = excluded.trade_count",
	[PS_TRADE_PUT] =
	"INSERT INTO trades (exchange, symbol, time, trade_id, price, qty, "
	"side) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
	/* An account keeps the time it was first written. */
	[PS_ACCOUNT_PUT] =
	"INSERT INTO accounts (" STORE_ACCOUNT_COLS ") "
	"VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET "
	"owner = excluded.owner, instance = excluded.instance, "
	"venue = excluded.venue, quote = excluded.quote, "
	"margin = excluded.margin",
	[PS_ORDER_PUT] =
	"INSERT INTO orders (" STORE_ORDER_COLS ") "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
	"$9, $10, $11, $12, $13, $14, $15, $16, $17, "
	"$18, $19, $20, $21, $22, $23, $24, $25) "
	"ON CONFLICT (id) DO UPDATE SET "
	STORE_ORDER_SET,
	[PS_FILL_PUT] =
	"INSERT INTO fills (" STORE_FILL_COLS ") "
	"VALUES ($1, $2, $3, $4, $5, $6, "
	"$7, $8, $9, $10, $11) ON CONFLICT (order_id, trade_id) DO NOTHING",
	[PS_POSTING_PUT] =
	"INSERT INTO ledger_postings (txn, leg, ts_ms, kind, ref, account, "
	"asset, amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	[PS_RISK_PUT] =
	"INSERT INTO risk_log (" STORE_RISK_COLS ") "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	[PS_NOTIFY_UPDATE] =
	"UPDATE notify_outbox SET state = $2, attempts = $3, next_ms = $4, "
	"last_error = $5, updated_ms = $6 WHERE id = $1",
	/* A (dkey, channel) already stored: nothing written. */
	[PS_NOTIFY_INSERT] =
	"INSERT INTO notify_outbox (" STORE_NOTIFY_COLS ") VALUES ($1, $2, "
	"$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
	"ON CONFLICT DO NOTHING",
};

struct pg {
	struct store base;
	PGconn *conn;
	int prepared[PS_COUNT];
	int temp_ready;       /* the staging tables exist in this session */
	int64_t *months;      /* month starts (ms) with partitions ensured */
	size_t n_months, cap_months;
	size_t months_committed; /* the rest were made in the open transaction */
	char *buf;            /* COPY text buffer */
	size_t len, cap;
};

#define PG(s) ((struct pg *)(void *)(s))

static int
pg_fail(struct store *s, const char *what, const PGresult *r)
{
	const char *msg = r ? PQresultErrorMessage(r) : NULL;
	char line[400];
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(PG(s)->conn);
	snprintf(line, sizeof(line), "%s", msg ? msg : "unknown error");
	n = strcspn(line, "\n");
	line[n] = '\0';
	return store_fail(s, QD_ERR_IO, "%s: %s", what, line);
}

/* Run a command that returns no rows. */
static int
pg_cmd(struct store *s, const char *sql, const char *what)
{
	PGresult *r = PQexec(PG(s)->conn, sql);
	int rc = QD_OK;

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_fail(s, what, r);
	PQclear(r);
	return rc;
}

static void
pg_close(struct store *s)
{
	struct pg *p = PG(s);

	PQfinish(p->conn);
	free(p->months);
	free(p->buf);
	free(p);
}

static int
pg_exec(struct store *s, const char *sql)
{
	return pg_cmd(s, sql, "migration");
}

static int
pg_version(struct store *s, int *version)
{
	PGresult *r;
	int rc = QD_OK;

	*version = 0;
	r = PQexec(PG(s)->conn, "SELECT to_regclass('schema_version') IS NULL");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_fail(s, "schema version", r);
		PQclear(r);
		return rc;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		PQclear(r);
		return QD_OK;
	}
	PQclear(r);
	r = PQexec(PG(s)->conn, "SELECT coalesce(max(version), 0) FROM "
		"schema_version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_fail(s, "schema version", r);
	else
		*version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

static int
pg_lock_schema(struct store *s)
{
	int rc;

	/* One process migrates at a time (the lock ends with the
	 * transaction). */
	if ((rc = pg_cmd(s, "SELECT pg_advisory_xact_lock(7160511230)",
	    "schema lock")) != QD_OK)
		return rc;
	return pg_cmd(s, "CREATE TABLE IF NOT EXISTS schema_version ("
		"version integer PRIMARY KEY, name text NOT NULL, "
		"applied_at bigint NOT NULL)", "schema version");
}

static int
pg_record_version(struct store *s, const struct store_migration *m)
{
	char ver[16], at[24];
	const char *v[3] = { ver, m->name, at };
	PGresult *r;
	int rc = QD_OK;

	snprintf(ver, sizeof(ver), "%d", m->version);
	snprintf(at, sizeof(at), "%lld", (long long)store_now_ms());
	r = PQexecParams(PG(s)->conn, "INSERT INTO schema_version (version, "
		"name, applied_at) VALUES ($1, $2, $3)", 3, NULL, v, NULL, NULL,
		0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, "schema version", r);
	PQclear(r);
	return rc;
}

static int
pg_begin(struct store *s)
{
	return pg_cmd(s, "BEGIN", "begin");
}

static int
pg_commit(struct store *s)
{
	int rc = pg_cmd(s, "COMMIT", "commit");

	if (rc == QD_OK)
		PG(s)->months_committed = PG(s)->n_months;
	else
		PG(s)->n_months = PG(s)->months_committed;
	return rc;
}

static int
pg_rollback(struct store *s)
{
	/* Partitions created in the transaction are gone with it. */
	PG(s)->n_months = PG(s)->months_committed;
	if (PQtransactionStatus(PG(s)->conn) == PQTRANS_IDLE)
		return QD_OK;
	return pg_cmd(s, "ROLLBACK", "rollback");
}

static int
pg_connected(struct store *s)
{
	return PQstatus(PG(s)->conn) == CONNECTION_OK;
}

static int
pg_session_setup(struct store *s)
{
	PGresult *r;

	if (pg_cmd(s, "SET client_min_messages = warning; "
	    "SET TIME ZONE 'UTC'", "session") != QD_OK)
		return QD_ERR_IO;
	r = PQexec(PG(s)->conn, "SELECT count(*) FROM pg_extension WHERE "
		"extname = 'timescaledb'");
	s->timescale = PQresultStatus(r) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(r, 0, 0), "0") != 0;
	PQclear(r);
	return QD_OK;
}

static int
pg_reconnect(struct store *s)
{
	struct pg *p = PG(s);

	PQreset(p->conn);
	memset(p->prepared, 0, sizeof(p->prepared));
	p->n_months = p->months_committed;
	p->temp_ready = 0;
	if (PQstatus(p->conn) != CONNECTION_OK)
		return pg_fail(s, "reconnect", NULL);
	return pg_session_setup(s);
}

/* ---- writing ------------------------------------------------------------ */

static int
buf_reserve(struct store *s, size_t more)
{
	struct pg *p = PG(s);
	char *n;
	size_t cap;

	if (p->len + more <= p->cap)
		return QD_OK;
	cap = p->cap ? p->cap : 1 << 16;
	while (cap < p->len + more)
		cap *= 2;
	if ((n = realloc(p->buf, cap)) == NULL)
		return store_fail(s, QD_ERR_NOMEM, "out of memory");
	p->buf = n;
	p->cap = cap;
	return QD_OK;
}

/* Append text escaped for COPY's text format. */
static void
buf_text(struct pg *p, const char *t)
{
	for (; *t; t++) {
		switch (*t) {
		case '\\': p->buf[p->len++] = '\\'; p->buf[p->len++] = '\\';
			break;
		case '\t': p->buf[p->len++] = '\\'; p->buf[p->len++] = 't';
			break;
		case '\n': p->buf[p->len++] = '\\'; p->buf[p->len++] = 'n';
			break;
		case '\r': p->buf[p->len++] = '\\'; p->buf[p->len++] = 'r';
			break;
		default: p->buf[p->len++] = *t;
		}
	}
}

static void
buf_num(struct pg *p, double v, char sep)
{
	int n = isnan(v) ? -1 : store_decimal_format(v, p->buf + p->len, 40);

	if (n < 0) {
		memcpy(p->buf + p->len, "\\N", 2);
		n = 2;
	}
	p->len += (size_t)n;
	p->buf[p->len++] = sep;
}

static void
buf_int(struct pg *p, long long v, char sep)
{
	p->len += (size_t)snprintf(p->buf + p->len, 24, "%lld", v);
	p->buf[p->len++] = sep;
}

/* The first millisecond of the UTC month holding `ms`. */
static int64_t
month_start(int64_t ms)
{
	time_t t = (time_t)((ms >= 0 ? ms : ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (int64_t)timegm(&tm) * 1000;
}

/* Make sure the monthly partitions of `tbl` covering [lo, hi] exist. */
static int
ensure_partitions(struct store *s, const char *tbl, int64_t lo, int64_t hi)
{
	struct pg *p = PG(s);
	int64_t m, key;
	size_t i;
	int known, rc = QD_OK;

	if (s->timescale)
		return QD_OK;
	for (m = month_start(lo); m <= hi; m = month_start(m + 32LL * 86400000)) {
		key = m * 2 + (tbl[0] == 't');
		for (known = 0, i = 0; i < p->n_months; i++)
			if (p->months[i] == key) {
				known = 1;
				break;
			}
		if (known)
			continue;
		{
			char a[24], b[24];
			const char *v[3] = { tbl, a, b };
			PGresult *r;

			snprintf(a, sizeof(a), "%lld", (long long)m);
			snprintf(b, sizeof(b), "%lld", (long long)m);
			r = PQexecParams(p->conn, "SELECT qd_ensure_partitions("
				"$1, $2, $3)", 3, NULL, v, NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_TUPLES_OK)
				rc = pg_fail(s, "creating partitions", r);
			PQclear(r);
			if (rc != QD_OK)
				return rc;
		}
		if (p->n_months == p->cap_months) {
			size_t cap = p->cap_months ? p->cap_months * 2 : 64;
			int64_t *n = realloc(p->months, cap * sizeof(*n));

			if (n == NULL)
				return store_fail(s, QD_ERR_NOMEM, "out of memory");
			p->months = n;
			p->cap_months = cap;
		}
		p->months[p->n_months++] = key;
	}
	return QD_OK;
}

/* COPY the buffer into `tbl` (columns `cols`). */
static int
copy_in(struct store *s, const char *tbl, const char *cols)
{
	struct pg *p = PG(s);
	char sql[256];
	PGresult *r;
	int rc = QD_OK;

	snprintf(sql, sizeof(sql), "COPY %s %s FROM STDIN", tbl, cols);
	r = PQexec(p->conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		rc = pg_fail(s, "COPY", r);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	if (PQputCopyData(p->conn, p->buf, (int)p->len) != 1 ||
	    PQputCopyEnd(p->conn, NULL) != 1)
		return pg_fail(s, "COPY", NULL);
	while ((r = PQgetResult(p->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == QD_OK)
			rc = pg_fail(s, "COPY", r);
		PQclear(r);
	}
	return rc;
}

static int
is_unique_violation(const char *err)
{
	return strstr(err, "duplicate key") != NULL;
}

/* The fast path inside a savepoint; 1 when a row existed (rolled back). */
static int
copy_direct(struct store *s, const char *tbl, const char *cols, int *dup)
{
	int rc;

	*dup = 0;
	if ((rc = pg_cmd(s, "SAVEPOINT qd_copy", "savepoint")) != QD_OK)
		return rc;
	rc = copy_in(s, tbl, cols);
	if (rc != QD_OK && PQstatus(PG(s)->conn) == CONNECTION_OK &&
	    is_unique_violation(s->err)) {
		*dup = 1;
		return pg_cmd(s, "ROLLBACK TO SAVEPOINT qd_copy", "savepoint");
	}
	if (rc != QD_OK)
		return rc;
	return pg_cmd(s, "RELEASE SAVEPOINT qd_copy", "savepoint");
}

static int
temp_tables(struct store *s)
{
	int rc;

	if (PG(s)->temp_ready)
		return QD_OK;
	rc = pg_cmd(s, "CREATE TEMP TABLE IF NOT EXISTS qd_candles_in "
		"(LIKE candles INCLUDING DEFAULTS) ON COMMIT DELETE ROWS; "
		"CREATE TEMP TABLE IF NOT EXISTS qd_trades_in "
		"(LIKE trades INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
		"staging tables");
	if (rc == QD_OK)
		PG(s)->temp_ready = 1;
	return rc;
}

static int
prepare(struct store *s, enum pst id, int nparams)
{
	struct pg *p = PG(s);
	char name[16];
	PGresult *r;
	int rc = QD_OK;

	if (p->prepared[id])
		return QD_OK;
	snprintf(name, sizeof(name), "qd%d", (int)id);
	r = PQprepare(p->conn, name, pst_sql[id], nparams, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, "prepare", r);
	else
		p->prepared[id] = 1;
	PQclear(r);
	return rc;
}

static int
exec_prepared(struct store *s, enum pst id, int n, const char *const *v,
	const char *what)
{
	char name[16];
	PGresult *r;
	int rc = QD_OK;

	snprintf(name, sizeof(name), "qd%d", (int)id);
	r = PQexecPrepared(PG(s)->conn, name, n, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, what, r);
	PQclear(r);
	return rc;
}

struct tagged {
	struct store_candle c;
	size_t at;   /* position in the input */
};

static int
cmp_tagged(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;

	if (x->c.open_time != y->c.open_time)
		return x->c.open_time < y->c.open_time ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

/*
 * The rows to write: sorted by open time, one per open time (the last
 * given wins, as separate writes would).  Returns `c` itself when it is
 * already strictly ascending, else a new array in *own (NULL on no memory).
 */
static const struct store_candle *
dedupe(const struct store_candle *c, size_t *n, struct store_candle **own)
{
	struct tagged *t;
	struct store_candle *d;
	size_t i, k;

	*own = NULL;
	for (i = 1; i < *n; i++)
		if (c[i].open_time <= c[i - 1].open_time)
			break;
	if (i >= *n)
		return c;
	t = malloc(*n * sizeof(*t));
	d = malloc(*n * sizeof(*d));
	if (t == NULL || d == NULL) {
		free(t);
		free(d);
		return NULL;
	}
	for (i = 0; i < *n; i++) {
		t[i].c = c[i];
		t[i].at = i;
	}
	qsort(t, *n, sizeof(*t), cmp_tagged);
	for (k = 0, i = 0; i < *n; i++) {
		if (i + 1 < *n && t[i + 1].c.open_time == t[i].c.open_time)
			continue;  /* a later write of the same candle follows */
		d[k++] = t[i].c;
	}
	free(t);
	*n = k;
	*own = d;
	return d;
}

static int
candles_small(struct store *s, const struct store_series *k,
	const struct store_candle *c, size_t n)
{
	char ot[24], num[6][40], tc[24];
	const char *v[11];
	size_t i;
	int rc, j;

	if ((rc = prepare(s, PS_CANDLE_PUT, 11)) != QD_OK)
		return rc;
	v[0] = k->exchange;
	v[1] = k->symbol;
	v[2] = k->timeframe;
	v[3] = ot;
	for (j = 0; j < 6; j++)
		v[4 + j] = num[j];
	for (i = 0; i < n; i++) {
		const double x[6] = { c[i].open, c[i].high, c[i].low,
			c[i].close, c[i].volume, c[i].quote_volume };

		snprintf(ot, sizeof(ot), "%lld", (long long)c[i].open_time);
		for (j = 0; j < 6; j++)
			v[4 + j] = isnan(x[j]) || store_decimal_format(x[j],
			    num[j], sizeof(num[j])) < 0 ? NULL : num[j];
		if (c[i].trades >= 0) {
			snprintf(tc, sizeof(tc), "%lld", (long long)c[i].trades);
			v[10] = tc;
		} else {
			v[10] = NULL;
		}
		if ((rc = exec_prepared(s, PS_CANDLE_PUT, 11, v,
		    "writing candles")) != QD_OK)
			return rc;
	}
	return QD_OK;
}

static int
pg_put_candles(struct store *s, const struct store_series *k,
	const struct store_candle *c0, size_t n)
{
	static const char cols[] = "(exchange, symbol, timeframe, open_time, "
	    "open, high, low, close, volume, quote_volume, trade_count)";
	struct pg *p = PG(s);
	struct store_candle *own;
	const struct store_candle *c;
	int64_t lo, hi;
	size_t i, fixed;
	int rc, dup;

	if ((c = dedupe(c0, &n, &own)) == NULL)
		return store_fail(s, QD_ERR_NOMEM, "out of memory");
	lo = c[0].open_time;
	hi = c[n - 1].open_time;
	if ((rc = ensure_partitions(s, "candles", lo, hi)) != QD_OK)
		goto out;
	if (n < PG_COPY_MIN) {
		rc = candles_small(s, k, c, n);
		goto out;
	}
	p->len = 0;
	fixed = 3 * 64 + strlen(k->exchange) * 2 + strlen(k->symbol) * 2 +
	    strlen(k->timeframe) * 2;
	for (i = 0; i < n; i++) {
		if ((rc = buf_reserve(s, fixed + 6 * 41 + 2 * 25)) != QD_OK)
			goto out;
		buf_text(p, k->exchange);
		p->buf[p->len++] = '\t';
		buf_text(p, k->symbol);
		p->buf[p->len++] = '\t';
		buf_text(p, k->timeframe);
		p->buf[p->len++] = '\t';
		buf_int(p, c[i].open_time, '\t');
		buf_num(p, c[i].open, '\t');
		buf_num(p, c[i].high, '\t');
		buf_num(p, c[i].low, '\t');
		buf_num(p, c[i].close, '\t');
		buf_num(p, c[i].volume, '\t');
		buf_num(p, c[i].quote_volume, '\t');
		if (c[i].trades < 0) {
			memcpy(p->buf + p->len, "\\N\n", 3);
			p->len += 3;
		} else {
			buf_int(p, c[i].trades, '\n');
		}
	}
	if ((rc = copy_direct(s, "candles", cols, &dup)) != QD_OK || !dup)
		goto out;
	if ((rc = temp_tables(s)) != QD_OK ||
	    (rc = copy_in(s, "qd_candles_in", cols)) != QD_OK)
		goto out;
	rc = pg_cmd(s, "INSERT INTO candles SELECT * FROM qd_candles_in "
		"ON CONFLICT (exchange, symbol, timeframe, open_time) DO UPDATE "
		"SET open = excluded.open, high = excluded.high, "
		"low = excluded.low, close = excluded.close, "
		"volume = excluded.volume, quote_volume = excluded.quote_volume, "
		"trade_count = excluded.trade_count; "
		"TRUNCATE qd_candles_in", "merging candles");
out:
	free(own);
	return rc;
}

static int
pg_put_trades(struct store *s, const struct store_series *k,
	const struct store_trade *t, size_t n)
{
	static const char cols[] = "(exchange, symbol, time, trade_id, price, "
	    "qty, side)";
	struct pg *p = PG(s);
	int64_t lo = t[0].time, hi = t[0].time;
	size_t i;
	int rc, dup;

	for (i = 1; i < n; i++) {
		if (t[i].time < lo)
			lo = t[i].time;
		if (t[i].time > hi)
			hi = t[i].time;
	}
	if ((rc = ensure_partitions(s, "trades", lo, hi)) != QD_OK)
		return rc;
	if (n < PG_COPY_MIN) {
		char tm[24], id[24], pr[40], q[40], sd[4];
		const char *v[7] = { k->exchange, k->symbol, tm, id, pr, q, sd };

		if ((rc = prepare(s, PS_TRADE_PUT, 7)) != QD_OK)
			return rc;
		for (i = 0; i < n; i++) {
			snprintf(tm, sizeof(tm), "%lld", (long long)t[i].time);
			snprintf(id, sizeof(id), "%llu",
				(unsigned long long)t[i].trade_id);
			store_decimal_format(t[i].price, pr, sizeof(pr));
			store_decimal_format(t[i].qty, q, sizeof(q));
			snprintf(sd, sizeof(sd), "%d", t[i].side);
			if ((rc = exec_prepared(s, PS_TRADE_PUT, 7, v,
			    "writing trades")) != QD_OK)
				return rc;
		}
		return QD_OK;
	}
	p->len = 0;
	for (i = 0; i < n; i++) {
		if ((rc = buf_reserve(s, 2 * strlen(k->exchange) +
		    2 * strlen(k->symbol) + 4 * 41 + 16)) != QD_OK)
			return rc;
		buf_text(p, k->exchange);
		p->buf[p->len++] = '\t';
		buf_text(p, k->symbol);
		p->buf[p->len++] = '\t';
		buf_int(p, t[i].time, '\t');
		buf_int(p, (long long)t[i].trade_id, '\t');
		buf_num(p, t[i].price, '\t');
		buf_num(p, t[i].qty, '\t');
		buf_int(p, t[i].side, '\n');
	}
	if ((rc = copy_direct(s, "trades", cols, &dup)) != QD_OK || !dup)
		return rc;
	if ((rc = temp_tables(s)) != QD_OK ||
	    (rc = copy_in(s, "qd_trades_in", cols)) != QD_OK)
		return rc;
	return pg_cmd(s, "INSERT INTO trades SELECT * FROM qd_trades_in "
		"ON CONFLICT DO NOTHING; TRUNCATE qd_trades_in",
		"merging trades");
}

static int
pg_put_instrument(struct store *s, const struct store_instrument *in)
{
	char at[24];
	const char *v[7] = { in->exchange, in->symbol, in->native_symbol,
		in->tick, in->lot, in->min_notional ? in->min_notional : "0",
		at };
	PGresult *r;
	int rc = QD_OK;

	snprintf(at, sizeof(at), "%lld", (long long)store_now_ms());
	r = PQexecParams(PG(s)->conn, "INSERT INTO instruments (exchange, "
		"symbol, native_symbol, tick, lot, min_notional, updated_at) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (exchange, "
		"symbol) DO UPDATE SET native_symbol = excluded.native_symbol, "
		"tick = excluded.tick, lot = excluded.lot, "
		"min_notional = excluded.min_notional, "
		"updated_at = excluded.updated_at", 7, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, "instrument", r);
	PQclear(r);
	return rc;
}

static int
pg_state_save(struct store *s, const char *instance, const void *buf,
	size_t len)
{
	char at[24];
	const char *v[3] = { instance, len ? buf : "", at };
	int lens[3] = { 0, (int)len, 0 };
	int fmts[3] = { 0, 1, 0 };
	PGresult *r;
	int rc = QD_OK;

	snprintf(at, sizeof(at), "%lld", (long long)store_now_ms());
	r = PQexecParams(PG(s)->conn, "INSERT INTO plugin_state (instance, "
		"data, updated_at) VALUES ($1, $2, $3) ON CONFLICT (instance) "
		"DO UPDATE SET data = excluded.data, "
		"updated_at = excluded.updated_at", 3, NULL, v, lens, fmts, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, "saving state", r);
	PQclear(r);
	return rc;
}

static int
pg_state_load(struct store *s, const char *instance, void *buf, size_t cap,
	size_t *len)
{
	const char *v[1] = { instance };
	PGresult *r;
	size_t n;
	int rc = QD_OK;

	r = PQexecParams(PG(s)->conn, "SELECT data FROM plugin_state WHERE "
		"instance = $1", 1, NULL, v, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_fail(s, "loading state", r);
	} else if (PQntuples(r) == 0) {
		rc = QD_ERR_NOTFOUND;
	} else {
		n = (size_t)PQgetlength(r, 0, 0);
		if (cap)
			memcpy(buf, PQgetvalue(r, 0, 0), n < cap ? n : cap);
		if (len)
			*len = n;
	}
	PQclear(r);
	return rc;
}

/* ---- reading ------------------------------------------------------------ */

static int
pg_state_each(struct store *s,
	int (*fn)(void *, const char *, const void *, size_t), void *arg)
{
	PGresult *r;
	int i, rc = QD_OK;

	r = PQexecParams(PG(s)->conn, "SELECT instance, data FROM plugin_state "
		"ORDER BY instance", 0, NULL, NULL, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_fail(s, "loading state", r);
		PQclear(r);
		return rc;
	}
	for (i = 0; i < PQntuples(r); i++) {
		char *name = strndup(PQgetvalue(r, i, 0),
			(size_t)PQgetlength(r, i, 0));
		int stop;

		if (name == NULL) {
			rc = store_fail(s, QD_ERR_NOMEM, "out of memory");
			break;
		}
		stop = fn(arg, name, PQgetvalue(r, i, 1),
			(size_t)PQgetlength(r, i, 1));
		free(name);
		if (stop)
			break;
	}
	PQclear(r);
	return rc;
}

static double
get_decimal(const PGresult *r, int row, int col)
{
	double v;

	if (PQgetisnull(r, row, col) ||
	    csv_parse_number(PQgetvalue(r, row, col),
	    (size_t)PQgetlength(r, row, col), &v) != 0)
		return NAN;
	return v;
}

/* Split a COPY text row into at most `max` fields; returns the count. */
static int
copy_split(const char *row, int len, const char **f, size_t *fl, int max)
{
	const char *q = row, *end = row + len, *t;
	int n = 0;

	if (len > 0 && end[-1] == '\n')
		end--;
	while (n < max) {
		t = memchr(q, '\t', (size_t)(end - q));
		f[n] = q;
		fl[n++] = (size_t)((t ? t : end) - q);
		if (t == NULL)
			break;
		q = t + 1;
	}
	return n;
}

static double
copy_decimal(const char *p, size_t n)
{
	double v;

	if ((n == 2 && p[0] == '\\' && p[1] == 'N') ||
	    csv_parse_number(p, n, &v) != 0)
		return NAN;
	return v;
}

/*
 * Reads stream through COPY (SELECT ...) TO STDOUT: one round trip, rows
 * parsed as they arrive, no result set held in memory.
 */
static int
pg_candles(struct store *s, const struct store_series *k, int64_t from,
	int64_t to, size_t limit, int desc,
	int (*fn)(void *, const struct store_candle *, size_t), void *arg)
{
	PGconn *conn = PG(s)->conn;
	char *ex = PQescapeLiteral(conn, k->exchange, strlen(k->exchange));
	char *sy = PQescapeLiteral(conn, k->symbol, strlen(k->symbol));
	char *tf = PQescapeLiteral(conn, k->timeframe, strlen(k->timeframe));
	char sql[1024], lim[40] = "";
	struct store_candle *buf = malloc(STORE_CHUNK * sizeof(*buf));
	PGresult *r;
	char *row;
	int len, rc = QD_OK, stop = 0;
	size_t n = 0;

	if (ex == NULL || sy == NULL || tf == NULL || buf == NULL) {
		rc = store_fail(s, QD_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (limit)
		snprintf(lim, sizeof(lim), " LIMIT %zu", limit);
	snprintf(sql, sizeof(sql), "COPY (SELECT open_time, open, high, low, "
		"close, volume, quote_volume, trade_count FROM candles WHERE "
		"exchange = %s AND symbol = %s AND timeframe = %s AND "
		"open_time >= %lld AND open_time < %lld ORDER BY open_time%s%s) "
		"TO STDOUT", ex, sy, tf, (long long)from, (long long)to,
		desc ? " DESC" : "", lim);
	r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		rc = pg_fail(s, "reading candles", r);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	while ((len = PQgetCopyData(conn, &row, 0)) > 0) {
		struct store_candle *c = &buf[n];
		const char *f[8];
		size_t fl[8];

		if (stop) {
			PQfreemem(row);
			continue;  /* drain what the server still sends */
		}
		if (copy_split(row, len, f, fl, 8) == 8) {
			c->open_time = strtoll(f[0], NULL, 10);
			c->open = copy_decimal(f[1], fl[1]);
			c->high = copy_decimal(f[2], fl[2]);
			c->low = copy_decimal(f[3], fl[3]);
			c->close = copy_decimal(f[4], fl[4]);
			c->volume = copy_decimal(f[5], fl[5]);
			c->quote_volume = copy_decimal(f[6], fl[6]);
			c->trades = fl[7] == 2 && f[7][0] == '\\' ? -1 :
			    strtoll(f[7], NULL, 10);
			n++;
		}
		PQfreemem(row);
		if (n == STORE_CHUNK) {
			stop = fn(arg, buf, n);
			n = 0;
		}
	}
	if (!stop && n)
		fn(arg, buf, n);
	while ((r = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == QD_OK)
			rc = pg_fail(s, "reading candles", r);
		PQclear(r);
	}
	if (len == -2 && rc == QD_OK)
		rc = pg_fail(s, "reading candles", NULL);
out:
	PQfreemem(ex);
	PQfreemem(sy);
	PQfreemem(tf);
	free(buf);
	return rc;
}

static int
pg_trades(struct store *s, const struct store_series *k, int64_t from,
	int64_t to, size_t limit,
	int (*fn)(void *, const struct store_trade *, size_t), void *arg)
{
	char a[24], b[24], l[24];
	const char *v[5] = { k->exchange, k->symbol, a, b, l };
	struct store_trade *buf;
	size_t i, nt, n = 0;
	PGresult *r;
	int rc = QD_OK, stop = 0;

	if ((buf = malloc(STORE_CHUNK * sizeof(*buf))) == NULL)
		return store_fail(s, QD_ERR_NOMEM, "out of memory");
	snprintf(a, sizeof(a), "%lld", (long long)from);
	snprintf(b, sizeof(b), "%lld", (long long)to);
	snprintf(l, sizeof(l), "%lld", limit ? (long long)limit : -1LL);
	r = PQexecParams(PG(s)->conn, limit ?
		"SELECT time, trade_id, price, qty, side FROM trades WHERE "
		"exchange = $1 AND symbol = $2 AND time >= $3 AND time < $4 "
		"ORDER BY time, trade_id LIMIT $5" :
		"SELECT time, trade_id, price, qty, side FROM trades WHERE "
		"exchange = $1 AND symbol = $2 AND time >= $3 AND time < $4 "
		"ORDER BY time, trade_id", limit ? 5 : 4, NULL, v, NULL, NULL,
		0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_fail(s, "reading trades", r);
		PQclear(r);
		free(buf);
		return rc;
	}
	nt = (size_t)PQntuples(r);
	for (i = 0; i < nt && !stop; i++) {
		struct store_trade *t = &buf[n];
		int row = (int)i;

		t->time = strtoll(PQgetvalue(r, row, 0), NULL, 10);
		t->trade_id = strtoull(PQgetvalue(r, row, 1), NULL, 10);
		t->price = get_decimal(r, row, 2);
		t->qty = get_decimal(r, row, 3);
		t->side = atoi(PQgetvalue(r, row, 4));
		if (++n == STORE_CHUNK) {
			stop = fn(arg, buf, n);
			n = 0;
		}
	}
	if (!stop && n)
		fn(arg, buf, n);
	PQclear(r);
	free(buf);
	return rc;
}

static int
pg_coverage(struct store *s, const struct store_series *f,
	int (*fn)(void *, const struct store_coverage *), void *arg)
{
	const char *v[3] = { f->exchange, f->symbol, f->timeframe };
	PGresult *r;
	int i, rc = QD_OK;

	r = PQexecParams(PG(s)->conn, "SELECT exchange, symbol, timeframe, "
		"min(open_time), max(open_time), count(*) FROM candles WHERE "
		"($1::text IS NULL OR exchange = $1) AND ($2::text IS NULL OR "
		"symbol = $2) AND ($3::text IS NULL OR timeframe = $3) "
		"GROUP BY exchange, symbol, timeframe "
		"ORDER BY exchange, symbol, timeframe", 3, NULL, v, NULL, NULL,
		0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_fail(s, "coverage", r);
		PQclear(r);
		return rc;
	}
	for (i = 0; i < PQntuples(r); i++) {
		struct store_coverage c;
		int64_t tf;

		c.exchange = PQgetvalue(r, i, 0);
		c.symbol = PQgetvalue(r, i, 1);
		c.timeframe = PQgetvalue(r, i, 2);
		c.first = strtoll(PQgetvalue(r, i, 3), NULL, 10);
		c.last = strtoll(PQgetvalue(r, i, 4), NULL, 10);
		c.count = strtoll(PQgetvalue(r, i, 5), NULL, 10);
		tf = store_timeframe_ms(c.timeframe);
		c.missing = tf ? (c.last - c.first) / tf + 1 - c.count : 0;
		if (fn(arg, &c) != 0)
			break;
	}
	PQclear(r);
	return rc;
}

static int
pg_prune(struct store *s, const struct store_series *f, int64_t before,
	int what, int64_t *deleted)
{
	static const char *const sql[2] = {
		"DELETE FROM candles WHERE open_time < $4 AND ($1::text IS NULL "
		"OR exchange = $1) AND ($2::text IS NULL OR symbol = $2) AND "
		"($3::text IS NULL OR timeframe = $3)",
		"DELETE FROM trades WHERE time < $4 AND ($1::text IS NULL OR "
		"exchange = $1) AND ($2::text IS NULL OR symbol = $2) AND "
		"$3::text IS NULL",
	};
	char b[24];
	const char *v[4] = { f->exchange, f->symbol, f->timeframe, b };
	PGresult *r;
	int i, rc = QD_OK;

	*deleted = 0;
	snprintf(b, sizeof(b), "%lld", (long long)before);
	for (i = 0; i < 2 && rc == QD_OK; i++) {
		if (!(what & (1 << i)))
			continue;
		r = PQexecParams(PG(s)->conn, sql[i], 4, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_fail(s, "prune", r);
		else
			*deleted += strtoll(PQcmdTuples(r), NULL, 10);
		PQclear(r);
	}
	return rc;
}

static int
pg_vacuum(struct store *s)
{
	return pg_cmd(s, "VACUUM ANALYZE", "vacuum");
}

/* ---- trading ------------------------------------------------------------ */

/*
 * Amounts go in and come out as text: a numeric parameter is parsed by the
 * server from the decimal text given, and a numeric column is printed in
 * plain notation with the scale it was written with, so what store.c lets
 * in ("0.00100000") is what a reader gets back.
 */

/* Run write statement `id` (prepared on first use); *rows, when not NULL,
 * gets how many rows it changed.  A key already taken is QD_ERR_STATE. */
/* A failed write: QD_ERR_STATE when a unique key is taken (23505). */
static int
pg_write_fail(struct store *s, const char *what, const PGresult *r)
{
	const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	char why[sizeof(s->err)];
	int rc = pg_fail(s, what, r);

	if (code != NULL && strcmp(code, "23505") == 0) {
		snprintf(why, sizeof(why), "%s", s->err);
		rc = store_fail(s, QD_ERR_STATE, "%s (already stored)", why);
	}
	return rc;
}

static int
exec_write(struct store *s, enum pst id, int nparams, const char *const *v,
	const char *what, long long *rows)
{
	char name[16];
	PGresult *r;
	int rc;

	if ((rc = prepare(s, id, nparams)) != QD_OK)
		return rc;
	snprintf(name, sizeof(name), "qd%d", (int)id);
	r = PQexecPrepared(PG(s)->conn, name, nparams, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = pg_write_fail(s, what, r);
	} else if (rows != NULL) {
		*rows = strtoll(PQcmdTuples(r), NULL, 10);
	}
	PQclear(r);
	return rc;
}

/* Decimal text of an id, or NULL for 0 (none). */
static const char *
id_or_null(uint64_t id, char *buf, size_t cap)
{
	if (id == 0)
		return NULL;
	snprintf(buf, cap, "%llu", (unsigned long long)id);
	return buf;
}

static int
pg_put_account(struct store *s, const struct store_account *a)
{
	char at[24];
	const char *v[7] = { a->id, a->owner, a->instance, a->venue, a->quote,
		a->margin ? "1" : "0", at };

	snprintf(at, sizeof(at), "%lld", (long long)a->created_ms);
	return exec_write(s, PS_ACCOUNT_PUT, 7, v, "writing an account",
		NULL);
}

static int
pg_put_order(struct store *s, const struct store_order *o)
{
	char id[24], side[12], type[12], tif[12], flags[12], state[12];
	char parent[24], link[24], created[24], updated[24];
	const char *v[25];

	snprintf(id, sizeof(id), "%llu", (unsigned long long)o->id);
	snprintf(side, sizeof(side), "%d", o->side);
	snprintf(type, sizeof(type), "%d", o->type);
	snprintf(tif, sizeof(tif), "%d", o->tif);
	snprintf(flags, sizeof(flags), "%lu", (unsigned long)o->flags);
	snprintf(state, sizeof(state), "%d", o->state);
	snprintf(created, sizeof(created), "%lld", (long long)o->created_ms);
	snprintf(updated, sizeof(updated), "%lld", (long long)o->updated_ms);
	v[0] = id;
	v[1] = o->client_id;
	v[2] = o->account;
	v[3] = o->instance;
	v[4] = o->venue;
	v[5] = o->symbol;
	v[6] = side;
	v[7] = type;
	v[8] = tif;
	v[9] = flags;
	v[10] = state;
	v[11] = o->qty;
	v[12] = o->price;
	v[13] = o->stop_price;
	v[14] = o->trail;
	v[15] = o->filled;
	v[16] = o->avg_price;
	v[17] = o->fees;
	v[18] = id_or_null(o->parent_id, parent, sizeof(parent));
	v[19] = id_or_null(o->link_id, link, sizeof(link));
	v[20] = o->venue_order_id;
	v[21] = o->reason;
	v[22] = o->tag;
	v[23] = created;
	v[24] = updated;
	return exec_write(s, PS_ORDER_PUT, 25, v, "writing an order", NULL);
}

static int
pg_put_fill(struct store *s, const struct store_fill *f)
{
	char oid[24], side[12], ts[24];
	const char *v[11] = { oid, f->trade_id, f->account, f->symbol, side,
		f->qty, f->price, f->fee, f->fee_asset, f->maker ? "1" : "0",
		ts };
	long long rows = 0;
	int rc;

	snprintf(oid, sizeof(oid), "%llu", (unsigned long long)f->order_id);
	snprintf(side, sizeof(side), "%d", f->side);
	snprintf(ts, sizeof(ts), "%lld", (long long)f->ts_ms);
	if ((rc = exec_write(s, PS_FILL_PUT, 11, v, "writing a fill",
	    &rows)) != QD_OK)
		return rc;
	if (rows == 0)
		return store_fail(s, QD_ERR_STATE, "fill %s of order %llu is "
			"already stored", f->trade_id,
			(unsigned long long)f->order_id);
	return QD_OK;
}

static int
pg_put_postings(struct store *s, const struct store_posting *p, size_t n)
{
	char txn[24], leg[12], ts[24];
	const char *v[8] = { txn, leg, ts };
	size_t i;
	int rc, k = 0;

	for (i = 0; i < n; i++) {
		k = i > 0 && p[i].txn == p[i - 1].txn ? k + 1 : 1;
		snprintf(txn, sizeof(txn), "%lld", (long long)p[i].txn);
		snprintf(leg, sizeof(leg), "%d", k);
		snprintf(ts, sizeof(ts), "%lld", (long long)p[i].ts_ms);
		v[3] = p[i].kind;
		v[4] = p[i].ref;
		v[5] = p[i].account;
		v[6] = p[i].asset;
		v[7] = p[i].amount;
		if ((rc = exec_write(s, PS_POSTING_PUT, 8, v,
		    "writing ledger postings", NULL)) != QD_OK)
			return rc;
	}
	return QD_OK;
}

static int
pg_put_risk_event(struct store *s, const struct store_risk_event *e)
{
	char ts[24], oid[24];
	const char *v[8] = { ts, e->scope, e->scope_id, e->rule, e->actions,
		e->symbol, e->reason, id_or_null(e->order_id, oid,
		sizeof(oid)) };

	snprintf(ts, sizeof(ts), "%lld", (long long)e->ts_ms);
	return exec_write(s, PS_RISK_PUT, 8, v, "writing the risk log", NULL);
}

/*
 * Reads come one row at a time (single-row mode): memory stays flat
 * however many rows match, and the strings handed to a callback are the
 * row's, valid during the call.  The connection is busy until the last
 * row arrived, so a callback must not use the same store.
 */
static int
pg_rows(struct store *s, const char *sql, int n, const char *const *v,
	int (*row)(const PGresult *, int, void *), void *ctx,
	const char *what)
{
	PGconn *conn = PG(s)->conn;
	PGresult *r;
	int i, rc = QD_OK, stop = 0;

	if (!PQsendQueryParams(conn, sql, n, NULL, v, NULL, NULL, 0))
		return pg_fail(s, what, NULL);
	PQsetSingleRowMode(conn);  /* else the rows come in one result */
	while ((r = PQgetResult(conn)) != NULL) {
		switch (PQresultStatus(r)) {
		case PGRES_SINGLE_TUPLE:
		case PGRES_TUPLES_OK:
			/* after a stop, what the server still sends is
			 * drained */
			for (i = 0; i < PQntuples(r) && !stop && rc == QD_OK;
			    i++)
				stop = row(r, i, ctx);
			break;
		default:
			if (rc == QD_OK)
				rc = pg_fail(s, what, r);
		}
		PQclear(r);
	}
	return rc;
}

static const char *
get_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t
get_int(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);  /* NULL: "" */
}

static uint64_t
get_id(const PGresult *r, int row, int col)
{
	return strtoull(PQgetvalue(r, row, col), NULL, 10);  /* NULL: 0 */
}

/* LIMIT $n: NULL is no limit. */
static const char *
limit_or_null(size_t limit, char *buf, size_t cap)
{
	if (limit == 0 || limit > (size_t)INT64_MAX)
		return NULL;
	snprintf(buf, cap, "%zu", limit);
	return buf;
}

static int
account_row(const PGresult *r, int i, void *ctx)
{
	struct store_read *x = ctx;
	struct store_account a;

	a.id = PQgetvalue(r, i, 0);
	a.owner = PQgetvalue(r, i, 1);
	a.instance = PQgetvalue(r, i, 2);
	a.venue = PQgetvalue(r, i, 3);
	a.quote = PQgetvalue(r, i, 4);
	a.margin = (int)get_int(r, i, 5);
	a.created_ms = get_int(r, i, 6);
	return x->fn.account(x->arg, &a);
}

static int
pg_accounts(struct store *s,
	int (*fn)(void *, const struct store_account *), void *arg)
{
	struct store_read x = { .fn.account = fn, .arg = arg };

	return pg_rows(s, "SELECT " STORE_ACCOUNT_COLS " FROM accounts "
		"ORDER BY id", 0, NULL, account_row, &x, "reading accounts");
}

static int
order_row(const PGresult *r, int i, void *ctx)
{
	struct store_read *x = ctx;
	struct store_order o;

	o.id = get_id(r, i, 0);
	o.client_id = PQgetvalue(r, i, 1);
	o.account = PQgetvalue(r, i, 2);
	o.instance = PQgetvalue(r, i, 3);
	o.venue = PQgetvalue(r, i, 4);
	o.symbol = PQgetvalue(r, i, 5);
	o.side = (int)get_int(r, i, 6);
	o.type = (int)get_int(r, i, 7);
	o.tif = (int)get_int(r, i, 8);
	o.flags = (uint32_t)get_int(r, i, 9);
	o.state = (int)get_int(r, i, 10);
	o.qty = PQgetvalue(r, i, 11);
	o.price = get_text(r, i, 12);
	o.stop_price = get_text(r, i, 13);
	o.trail = get_text(r, i, 14);
	o.filled = PQgetvalue(r, i, 15);
	o.avg_price = get_text(r, i, 16);
	o.fees = PQgetvalue(r, i, 17);
	o.parent_id = get_id(r, i, 18);
	o.link_id = get_id(r, i, 19);
	o.venue_order_id = get_text(r, i, 20);
	o.reason = get_text(r, i, 21);
	o.tag = get_text(r, i, 22);
	o.created_ms = get_int(r, i, 23);
	o.updated_ms = get_int(r, i, 24);
	return x->fn.order(x->arg, &o);
}

static int
pg_orders(struct store *s, const struct store_order_filter *f,
	int (*fn)(void *, const struct store_order *), void *arg)
{
	struct store_read x = { .fn.order = fn, .arg = arg };
	char sql[1024] = "SELECT " STORE_ORDER_COLS " FROM orders "
	    "WHERE id > $1";
	char after[24], lim[24], term[40];
	const char *v[4];
	int n = 0;

	snprintf(after, sizeof(after), "%llu",
		(unsigned long long)f->after_id);
	v[n++] = after;
	if (f->account) {
		v[n++] = f->account;
		snprintf(term, sizeof(term), "account = $%d", n);
		store_sql_and(sql, sizeof(sql), term);
	}
	if (f->instance) {
		v[n++] = f->instance;
		snprintf(term, sizeof(term), "instance = $%d", n);
		store_sql_and(sql, sizeof(sql), term);
	}
	if (f->open_only)  /* as the partial index orders_open says it */
		store_sql_and(sql, sizeof(sql), "state IN (1, 2, 3)");
	v[n++] = limit_or_null(f->limit, lim, sizeof(lim));
	snprintf(term, sizeof(term), " ORDER BY id LIMIT $%d", n);
	strcat(sql, term);
	return pg_rows(s, sql, n, v, order_row, &x, "reading orders");
}

static int
fill_row(const PGresult *r, int i, void *ctx)
{
	struct store_read *x = ctx;
	struct store_fill f;

	f.order_id = get_id(r, i, 0);
	f.trade_id = PQgetvalue(r, i, 1);
	f.account = PQgetvalue(r, i, 2);
	f.symbol = PQgetvalue(r, i, 3);
	f.side = (int)get_int(r, i, 4);
	f.qty = PQgetvalue(r, i, 5);
	f.price = PQgetvalue(r, i, 6);
	f.fee = PQgetvalue(r, i, 7);
	f.fee_asset = PQgetvalue(r, i, 8);
	f.maker = (int)get_int(r, i, 9);
	f.ts_ms = get_int(r, i, 10);
	return x->fn.fill(x->arg, &f);
}

static int
pg_fills(struct store *s, const char *account, uint64_t order_id,
	int (*fn)(void *, const struct store_fill *), void *arg)
{
	struct store_read x = { .fn.fill = fn, .arg = arg };
	char sql[512] = "SELECT " STORE_FILL_COLS " FROM fills";
	char oid[24], term[40];
	const char *v[2];
	int n = 0;

	if (account) {
		v[n++] = account;
		snprintf(term, sizeof(term), "account = $%d", n);
		store_sql_and(sql, sizeof(sql), term);
	}
	if (order_id) {
		snprintf(oid, sizeof(oid), "%llu",
			(unsigned long long)order_id);
		v[n++] = oid;
		snprintf(term, sizeof(term), "order_id = $%d", n);
		store_sql_and(sql, sizeof(sql), term);
	}
	strcat(sql, " ORDER BY ts_ms, order_id, trade_id");
	return pg_rows(s, sql, n, v, fill_row, &x, "reading fills");
}

static int
posting_row(const PGresult *r, int i, void *ctx)
{
	struct store_read *x = ctx;
	struct store_posting p;

	p.txn = get_int(r, i, 0);
	p.ts_ms = get_int(r, i, 1);
	p.kind = PQgetvalue(r, i, 2);
	p.ref = PQgetvalue(r, i, 3);
	p.account = PQgetvalue(r, i, 4);
	p.asset = PQgetvalue(r, i, 5);
	p.amount = PQgetvalue(r, i, 6);
	return x->fn.posting(x->arg, &p);
}

static int
pg_postings(struct store *s, const struct store_posting_filter *f,
	int (*fn)(void *, const struct store_posting *), void *arg)
{
	struct store_read x = { .fn.posting = fn, .arg = arg };
	char after[24], from[24], to[24];
	const char *v[4] = { after, from, to, f->account };

	snprintf(after, sizeof(after), "%lld", (long long)f->after_txn);
	snprintf(from, sizeof(from), "%lld", (long long)f->from_ms);
	snprintf(to, sizeof(to), "%lld", (long long)f->to_ms);
	return pg_rows(s, f->account ?
		"SELECT txn, ts_ms, kind, ref, account, asset, amount FROM "
		"ledger_postings WHERE account = $4 AND txn > $1 AND "
		"ts_ms >= $2 AND ts_ms < $3 ORDER BY txn, leg" :
		"SELECT txn, ts_ms, kind, ref, account, asset, amount FROM "
		"ledger_postings WHERE txn > $1 AND ts_ms >= $2 AND "
		"ts_ms < $3 ORDER BY txn, leg", f->account ? 4 : 3, v,
		posting_row, &x, "reading ledger postings");
}

static int
risk_row(const PGresult *r, int i, void *ctx)
{
	struct store_read *x = ctx;
	struct store_risk_event e;

	e.ts_ms = get_int(r, i, 0);
	e.scope = PQgetvalue(r, i, 1);
	e.scope_id = PQgetvalue(r, i, 2);
	e.rule = PQgetvalue(r, i, 3);
	e.actions = PQgetvalue(r, i, 4);
	e.symbol = get_text(r, i, 5);
	e.reason = PQgetvalue(r, i, 6);
	e.order_id = get_id(r, i, 7);
	return x->fn.risk(x->arg, &e);
}

static int
pg_risk_events(struct store *s, int64_t since, size_t limit,
	int (*fn)(void *, const struct store_risk_event *), void *arg)
{
	struct store_read x = { .fn.risk = fn, .arg = arg };
	char from[24], lim[24];
	const char *v[2] = { from, limit_or_null(limit, lim, sizeof(lim)) };

	snprintf(from, sizeof(from), "%lld", (long long)since);
	return pg_rows(s, "SELECT " STORE_RISK_COLS " FROM risk_log WHERE "
		"ts_ms >= $1 ORDER BY ts_ms, id LIMIT $2", 2, v, risk_row, &x,
		"reading the risk log");
}

static int
pg_trading_ids(struct store *s, uint64_t *max_order_id, int64_t *max_txn)
{
	PGresult *r;
	int rc = QD_OK;

	r = PQexec(PG(s)->conn, "SELECT (SELECT coalesce(max(id), 0) FROM "
		"orders), (SELECT coalesce(max(txn), 0) FROM ledger_postings)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		rc = pg_fail(s, "reading trading ids", r);
	} else {
		*max_order_id = get_id(r, 0, 0);
		*max_txn = get_int(r, 0, 1);
	}
	PQclear(r);
	return rc;
}

static int
pg_query(struct store *s, const char *sql, int n, const char *const *v,
	int (*row)(void *, int, const char *const *), void *ctx,
	const char *what, long long *changed)
{
	const char *cols[32];
	PGresult *r;
	int i, j, nc, rc = QD_OK;

	r = PQexecParams(PG(s)->conn, sql, n, NULL, v, NULL, NULL, 0);
	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
		nc = PQnfields(r);
		if (nc > 32)
			nc = 32;
		for (i = 0; i < PQntuples(r) && row != NULL; i++) {
			for (j = 0; j < nc; j++)
				cols[j] = get_text(r, i, j);
			if (row(ctx, nc, cols) != 0)
				break;
		}
		/* fall through */
	case PGRES_COMMAND_OK:
		if (changed != NULL)
			*changed = strtoll(PQcmdTuples(r), NULL, 10);
		break;
	default:
		rc = pg_write_fail(s, what, r);
	}
	PQclear(r);
	return rc;
}

/* ---- alerts ---------------------------------------------------------------- */

/* A write with parameters, not prepared (alerts are written when a user
 * changes one or one fires); *rows gets the rows it changed. */
static int
pg_write(struct store *s, const char *sql, int n, const char *const *v,
	const char *what, long long *rows)
{
	PGresult *r = PQexecParams(PG(s)->conn, sql, n, NULL, v, NULL, NULL,
		0);
	int rc = QD_OK;

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, what, r);
	else if (rows != NULL)
		*rows = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return rc;
}

static int
pg_put_alert(struct store *s, const struct store_alert *a)
{
	char id[24], cd[24], ex[24], fc[24], lf[24], cr[24], up[24];
	const char *v[16] = { id, a->user_id, a->exchange, a->symbol, a->name,
		a->spec, a->fire_mode, cd, id_or_null((uint64_t)a->expires_ms,
		ex, sizeof(ex)), a->enabled ? "true" : "false", fc,
		id_or_null((uint64_t)a->last_fired_ms, lf, sizeof(lf)),
		a->state, cr, up, a->channels };

	snprintf(id, sizeof(id), "%llu", (unsigned long long)a->id);
	snprintf(cd, sizeof(cd), "%lld", (long long)a->cooldown_ms);
	snprintf(fc, sizeof(fc), "%lld", (long long)a->fire_count);
	snprintf(cr, sizeof(cr), "%lld", (long long)a->created_ms);
	snprintf(up, sizeof(up), "%lld", (long long)a->updated_ms);
	return pg_write(s, "INSERT INTO alerts (" STORE_ALERT_COLS ") VALUES "
		"($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
		"$15, $16) ON CONFLICT (id) DO UPDATE SET " STORE_ALERT_SET, 16, v,
		"writing an alert", NULL);
}

static int
pg_delete_alert(struct store *s, uint64_t id)
{
	char idt[24];
	const char *v[1] = { idt };
	long long rows = 0;
	int rc;

	snprintf(idt, sizeof(idt), "%llu", (unsigned long long)id);
	if ((rc = pg_write(s, "DELETE FROM alerts WHERE id = $1", 1, v,
	    "deleting an alert", &rows)) != QD_OK ||
	    (rc = pg_write(s, "DELETE FROM alert_events WHERE alert_id = $1",
	    1, v, "deleting an alert's events", NULL)) != QD_OK)
		return rc;
	return rows > 0 ? QD_OK : store_fail(s, QD_ERR_NOTFOUND,
	    "no alert %llu", (unsigned long long)id);
}

static int
alert_row(const PGresult *r, int i, void *ctx)
{
	struct store_read *x = ctx;
	struct store_alert a;

	a.id = get_id(r, i, 0);
	a.user_id = PQgetvalue(r, i, 1);
	a.exchange = PQgetvalue(r, i, 2);
	a.symbol = PQgetvalue(r, i, 3);
	a.name = PQgetvalue(r, i, 4);
	a.spec = PQgetvalue(r, i, 5);
	a.fire_mode = PQgetvalue(r, i, 6);
	a.cooldown_ms = get_int(r, i, 7);
	a.expires_ms = get_int(r, i, 8);
	a.enabled = PQgetvalue(r, i, 9)[0] == 't';
	a.fire_count = get_int(r, i, 10);
	a.last_fired_ms = get_int(r, i, 11);
	a.state = PQgetvalue(r, i, 12);
	a.created_ms = get_int(r, i, 13);
	a.updated_ms = get_int(r, i, 14);
	a.channels = get_text(r, i, 15);
	return x->fn.alert(x->arg, &a);
}

static int
pg_alerts(struct store *s, int (*fn)(void *, const struct store_alert *),
	void *arg)
{
	struct store_read x = { .fn.alert = fn, .arg = arg };

	return pg_rows(s, "SELECT " STORE_ALERT_COLS " FROM alerts ORDER BY "
		"id", 0, NULL, alert_row, &x, "reading alerts");
}

static int
pg_put_alert_event(struct store *s, const struct store_alert_event *e)
{
	char id[24], ts[24], price[40];
	const char *v[5] = { id, e->user_id, ts, price, e->message };

	if (store_decimal_format(e->price, price, sizeof(price)) < 0)
		return store_fail(s, QD_ERR_INVALID, "alert event: price");
	snprintf(id, sizeof(id), "%llu", (unsigned long long)e->alert_id);
	snprintf(ts, sizeof(ts), "%lld", (long long)e->ts_ms);
	return pg_write(s, "INSERT INTO alert_events (" STORE_ALERT_EVENT_COLS
		") VALUES ($1, $2, $3, $4, $5)", 5, v, "writing an alert event",
		NULL);
}

static int
alert_event_row(const PGresult *r, int i, void *ctx)
{
	struct store_read *x = ctx;
	struct store_alert_event e;

	e.alert_id = get_id(r, i, 0);
	e.user_id = PQgetvalue(r, i, 1);
	e.ts_ms = get_int(r, i, 2);
	e.price = strtod(PQgetvalue(r, i, 3), NULL);
	e.message = PQgetvalue(r, i, 4);
	return x->fn.alert_event(x->arg, &e);
}

static int
pg_alert_events(struct store *s, uint64_t alert_id, size_t limit,
	int (*fn)(void *, const struct store_alert_event *), void *arg)
{
	struct store_read x = { .fn.alert_event = fn, .arg = arg };
	char id[24], lim[24];
	const char *v[2] = { id, limit_or_null(limit, lim, sizeof(lim)) };

	snprintf(id, sizeof(id), "%llu", (unsigned long long)alert_id);
	return pg_rows(s, "SELECT " STORE_ALERT_EVENT_COLS " FROM alert_events "
		"WHERE ($1::bigint = 0 OR alert_id = $1) ORDER BY id DESC "
		"LIMIT $2", 2, v, alert_event_row, &x, "reading alert events");
}

/* ---- the notification outbox ---------------------------------------------- */

/* An update of a known id, else an insert that a (dkey, channel) already
 * stored turns into nothing. */
static int
pg_put_notification(struct store *s, const struct store_notification *n)
{
	char id[24], sev[8], state[8], att[16], next[24], cr[24], up[24];
	const char *v[16] = { id, n->dkey, n->channel, n->event, sev,
		n->owner, n->title, n->body, n->recipient, state, att, next,
		n->last_error, cr, up, n->user_channel ? n->user_channel : "" };
	const char *u[6] = { id, state, att, next, n->last_error, up };
	long long rows = 0;
	int rc;

	snprintf(id, sizeof(id), "%llu", (unsigned long long)n->id);
	snprintf(sev, sizeof(sev), "%d", n->severity);
	snprintf(state, sizeof(state), "%d", n->state);
	snprintf(att, sizeof(att), "%u", n->attempts);
	snprintf(next, sizeof(next), "%lld", (long long)n->next_ms);
	snprintf(cr, sizeof(cr), "%lld", (long long)n->created_ms);
	snprintf(up, sizeof(up), "%lld", (long long)n->updated_ms);
	rc = exec_write(s, PS_NOTIFY_UPDATE, 6, u, "writing a notification",
		&rows);
	if (rc != QD_OK || rows > 0)
		return rc;
	return exec_write(s, PS_NOTIFY_INSERT, 16, v,
		"writing a notification", NULL);
}

static int
notification_row(const PGresult *r, int i, void *ctx)
{
	struct store_read *x = ctx;
	struct store_notification n;

	n.id = get_id(r, i, 0);
	n.dkey = PQgetvalue(r, i, 1);
	n.channel = PQgetvalue(r, i, 2);
	n.event = PQgetvalue(r, i, 3);
	n.severity = (int)get_int(r, i, 4);
	n.owner = PQgetvalue(r, i, 5);
	n.title = PQgetvalue(r, i, 6);
	n.body = PQgetvalue(r, i, 7);
	n.recipient = get_text(r, i, 8);
	n.state = (int)get_int(r, i, 9);
	n.attempts = (uint32_t)get_int(r, i, 10);
	n.next_ms = get_int(r, i, 11);
	n.last_error = PQgetvalue(r, i, 12);
	n.created_ms = get_int(r, i, 13);
	n.updated_ms = get_int(r, i, 14);
	n.user_channel = PQgetvalue(r, i, 15);
	return x->fn.notification(x->arg, &n);
}

static int
pg_notifications(struct store *s, const struct store_notify_filter *f,
	int (*fn)(void *, const struct store_notification *), void *arg)
{
	struct store_read x = { .fn.notification = fn, .arg = arg };
	char st[8], after[24], lim[24];
	const char *v[3] = { st, after, limit_or_null(f->limit, lim,
		sizeof(lim)) };

	snprintf(st, sizeof(st), "%d", f->state);
	snprintf(after, sizeof(after), "%llu",
		(unsigned long long)f->after_id);
	return pg_rows(s, "SELECT " STORE_NOTIFY_COLS " FROM notify_outbox "
		"WHERE id > $2 AND ($1::int < 0 OR state = $1::int) ORDER BY "
		"id LIMIT $3", 3, v, notification_row, &x,
		"reading notifications");
}

static int
pg_notify_prune(struct store *s, int64_t before_ms, int64_t *deleted)
{
	char before[24];
	const char *v[1] = { before };
	PGresult *r;
	int rc = QD_OK;

	snprintf(before, sizeof(before), "%lld", (long long)before_ms);
	r = PQexecParams(PG(s)->conn, "DELETE FROM notify_outbox WHERE "
		"state = 1 AND updated_ms < $1", 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, "pruning notifications", r);
	else
		*deleted = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return rc;
}

static int
pg_notify_max_id(struct store *s, uint64_t *max_id)
{
	PGresult *r;
	int rc = QD_OK;

	r = PQexec(PG(s)->conn, "SELECT coalesce(max(id), 0) FROM "
		"notify_outbox");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rc = pg_fail(s, "reading notification ids", r);
	else
		*max_id = get_id(r, 0, 0);
	PQclear(r);
	return rc;
}

static const struct store_ops pg_ops = {
	.backend = STORE_POSTGRES,
	.name = "postgresql",
	.migrations = store_migrations_postgresql,
	.n_migrations = &store_migrations_postgresql_n,
	.close = pg_close,
	.exec = pg_exec,
	.version = pg_version,
	.record_version = pg_record_version,
	.lock_schema = pg_lock_schema,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.connected = pg_connected,
	.reconnect = pg_reconnect,
	.opened = pg_session_setup,
	.put_candles = pg_put_candles,
	.put_trades = pg_put_trades,
	.put_instrument = pg_put_instrument,
	.state_save = pg_state_save,
	.state_load = pg_state_load,
	.state_each = pg_state_each,
	.candles = pg_candles,
	.trades = pg_trades,
	.coverage = pg_coverage,
	.prune = pg_prune,
	.vacuum = pg_vacuum,
	.put_account = pg_put_account,
	.put_order = pg_put_order,
	.put_fill = pg_put_fill,
	.put_postings = pg_put_postings,
	.put_risk_event = pg_put_risk_event,
	.accounts = pg_accounts,
	.orders = pg_orders,
	.fills = pg_fills,
	.postings = pg_postings,
	.risk_events = pg_risk_events,
	.trading_ids = pg_trading_ids,
	.query = pg_query,
	.put_alert = pg_put_alert,
	.delete_alert = pg_delete_alert,
	.alerts = pg_alerts,
	.put_alert_event = pg_put_alert_event,
	.alert_events = pg_alert_events,
	.put_notification = pg_put_notification,
	.notifications = pg_notifications,
	.notify_prune = pg_notify_prune,
	.notify_max_id = pg_notify_max_id,
};

int
store_pg_open(const char *conninfo, enum store_role role, struct store **out,
	char *err, size_t errlen)
{
	struct pg *p = calloc(1, sizeof(*p));
	const char *msg;
	size_t n;

	if (p == NULL) {
		snprintf(err, errlen, "storage: out of memory");
		return QD_ERR_NOMEM;
	}
	p->base.ops = &pg_ops;
	p->base.role = role;
	p->conn = PQconnectdb(conninfo);
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
		msg = p->conn ? PQerrorMessage(p->conn) : "out of memory";
		n = strcspn(msg, "\n");
		snprintf(err, errlen, "storage (postgresql): cannot connect: "
			"%.*s", (int)n, msg);
		PQfinish(p->conn);
		free(p);
		return QD_ERR_IO;
	}
	if (pg_session_setup(&p->base) != QD_OK) {
		snprintf(err, errlen, "storage (postgresql): %s", p->base.err);
		pg_close(&p->base);
		return QD_ERR_IO;
	}
	*out = &p->base;
	return QD_OK;
}
