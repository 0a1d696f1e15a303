/*
 * history.c -- read commands over the store's ledger, risk log and market
 * data coverage (see history.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <quantd/sdk.h>

#include "ctl/ctl.h"
#include "daemon/history.h"
#include "log/log.h"
#include "market/symbol.h"
#include "store/store.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

static const char *const commands[] = {
	"trade.ledger", "risk.log", "data.coverage", "data.gaps", NULL
};

int
history_command(const char *cmd)
{
	for (size_t i = 0; commands[i] != NULL; i++)
		if (strcmp(commands[i], cmd) == 0)
			return 1;
	return 0;
}

/* {"ok":true, ...o's members}, o freed. */
static char *
ok_reply(cJSON *o)
{
	char *s;

	cJSON_AddItemToObject(o, "ok", cJSON_CreateTrue());
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s != NULL ? s : ctl_error("failed", "out of memory");
}

static char *
store_failed(struct store *s, const char *what)
{
	log_error("store", "%s: %s", what, store_error(s));
	return ctl_error("unavailable", "the store cannot be read; see the "
		"log");
}

/* An integer member in [lo, hi], `def` when absent; -1 when it is not. */
static int
int_member(const cJSON *req, const char *key, int64_t lo, int64_t hi,
	int64_t def, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	*out = def;
	if (v == NULL)
		return 0;
	/* beyond 2^53 a double is no longer every integer */
	if (!cJSON_IsNumber(v) || fabs(v->valuedouble) > 9007199254740992.0 ||
	    v->valuedouble < (double)lo ||
	    v->valuedouble > (double)hi ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return -1;
	*out = (int64_t)v->valuedouble;
	return 0;
}

/* A string member, NULL when absent; *bad when present but not one. */
static const char *
str_member(const cJSON *req, const char *key, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	if (v == NULL)
		return NULL;
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
		*bad = 1;
		return NULL;
	}
	return v->valuestring;
}

/* ---- trade.ledger --------------------------------------------------------- */

static int
account_found(void *arg, const struct store_account *a)
{
	const char **want = arg;

	if (strcmp(a->id, *want) == 0) {
		*want = NULL;
		return 1;
	}
	return 0;
}

struct page {
	cJSON *arr;
	int64_t limit, n;
	int64_t last_txn;
	int more;
};

/* Whole transactions: past the limit only the rest of the last one. */
static int
posting_row(void *arg, const struct store_posting *p)
{
	struct page *pg = arg;

	if (pg->n >= pg->limit && p->txn != pg->last_txn) {
		pg->more = 1;
		return 1;
	}
	cJSON_AddItemToArray(pg->arr, store_posting_json(p));
	pg->n++;
	pg->last_txn = p->txn;
	return 0;
}

static char *
ledger(struct store *s, const cJSON *req)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	struct store_posting_filter f;
	struct page pg;
	const char *want;
	int64_t limit;
	cJSON *o;
	int rc;

	if (!cJSON_IsString(id) || id->valuestring[0] == '\0')
		return ctl_error("bad_request", "id: the account");
	if (int_member(req, "after", 0, INT64_MAX, 0, &f.after_txn) != 0)
		return ctl_error("bad_request", "after: a cursor, the "
			"\"next\" of the previous page (an integer, 0 or "
			"more)");
	if (int_member(req, "limit", 1, PAGE_MAX, PAGE_DEFAULT, &limit) != 0)
		return ctl_error("bad_request", "limit: 1 to 1000");
	if (int_member(req, "from", INT64_MIN, INT64_MAX, INT64_MIN,
	    &f.from_ms) != 0 || int_member(req, "to", INT64_MIN, INT64_MAX,
	    INT64_MAX, &f.to_ms) != 0 || f.from_ms > f.to_ms)
		return ctl_error("bad_request", "from and to: times in ms, "
			"from not after to");
	want = id->valuestring;
	if ((rc = store_accounts(s, account_found, &want)) != QD_OK)
		return store_failed(s, "reading accounts");
	if (want != NULL)
		return ctl_error("not_found", "no such account");
	f.account = id->valuestring;
	memset(&pg, 0, sizeof(pg));
	pg.limit = limit;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "account", id->valuestring);
	pg.arr = cJSON_AddArrayToObject(o, "postings");
	if (store_postings_page(s, &f, posting_row, &pg) != QD_OK) {
		cJSON_Delete(o);
		return store_failed(s, "reading the ledger");
	}
	if (pg.more)
		cJSON_AddNumberToObject(o, "next", (double)pg.last_txn);
	return ok_reply(o);
}

/* ---- risk.log ------------------------------------------------------------- */

static int
risk_row(void *arg, const struct store_risk_event *e)
{
	cJSON_AddItemToArray(arg, store_risk_event_json(e));
	return 0;
}

static char *
risk_log(struct store *s, const cJSON *req)
{
	int64_t since, limit;
	cJSON *o;

	if (int_member(req, "since", 0, INT64_MAX, 0, &since) != 0)
		return ctl_error("bad_request", "since: a time in ms, 0 or "
			"more");
	if (int_member(req, "limit", 1, PAGE_MAX, PAGE_DEFAULT, &limit) != 0)
		return ctl_error("bad_request", "limit: 1 to 1000");
	o = cJSON_CreateObject();
	if (store_risk_events(s, since, (size_t)limit, risk_row,
	    cJSON_AddArrayToObject(o, "events")) != QD_OK) {
		cJSON_Delete(o);
		return store_failed(s, "reading the risk log");
	}
	return ok_reply(o);
}

/* ---- data.coverage, data.gaps --------------------------------------------- */

/* exchange, symbol and timeframe, checked; NULL or an error reply. */
static char *
series_of(const cJSON *req, struct store_series *k, int whole)
{
	int bad = 0;

	k->exchange = str_member(req, "exchange", &bad);
	if (bad)
		return ctl_error("bad_request", "exchange: an exchange "
			"instance's name");
	k->symbol = str_member(req, "symbol", &bad);
	if (bad || (k->symbol != NULL && !symbol_valid(k->symbol)))
		return ctl_error("bad_request", "symbol: BASE/QUOTE, upper "
			"case");
	k->timeframe = str_member(req, "timeframe", &bad);
	if (bad || (k->timeframe != NULL &&
	    store_timeframe_ms(k->timeframe) == 0))
		return ctl_error("bad_request", "timeframe: 1m 3m 5m 15m "
			"30m 1h 2h 4h 6h 12h 1d 1w");
	if (whole && (k->exchange == NULL || k->symbol == NULL ||
	    k->timeframe == NULL))
		return ctl_error("bad_request", "exchange, symbol and "
			"timeframe name the series");
	return NULL;
}

static int
coverage_row(void *arg, const struct store_coverage *c)
{
	cJSON_AddItemToArray(arg, store_coverage_json(c));
	return 0;
}

struct gaps {
	cJSON *arr;
	int64_t tf_ms;
};

static int
gap_row(void *arg, int64_t from, int64_t to)
{
	struct gaps *g = arg;

	cJSON_AddItemToArray(g->arr, store_gap_json(from, to, g->tf_ms));
	return 0;
}

static char *
coverage(struct store *s, const cJSON *req)
{
	struct store_series k;
	char *bad = series_of(req, &k, 0);
	cJSON *o;

	if (bad != NULL)
		return bad;
	o = cJSON_CreateObject();
	if (store_coverage(s, &k, coverage_row,
	    cJSON_AddArrayToObject(o, "series")) != QD_OK) {
		cJSON_Delete(o);
		return store_failed(s, "reading the coverage");
	}
	return ok_reply(o);
}

static char *
gaps(struct store *s, const cJSON *req)
{
	struct store_series k;
	char *bad = series_of(req, &k, 1);
	struct gaps g;
	cJSON *o;

	if (bad != NULL)
		return bad;
	o = cJSON_CreateObject();
	g.arr = cJSON_AddArrayToObject(o, "gaps");
	g.tf_ms = store_timeframe_ms(k.timeframe);
	if (store_gaps(s, &k, gap_row, &g) != QD_OK) {
		cJSON_Delete(o);
		return store_failed(s, "reading the gaps");
	}
	return ok_reply(o);
}

char *
history_request(struct store *reader, const char *cmd, const cJSON *req)
{
	if (reader == NULL)
		return ctl_error("unavailable", "storage is disabled or "
			"cannot be read");
	if (strcmp(cmd, "trade.ledger") == 0)
		return ledger(reader, req);
	if (strcmp(cmd, "risk.log") == 0)
		return risk_log(reader, req);
	if (strcmp(cmd, "data.coverage") == 0)
		return coverage(reader, req);
	if (strcmp(cmd, "data.gaps") == 0)
		return gaps(reader, req);
	return ctl_error("unknown_command", "unknown cmd");
}
