/*
 * maint.c -- prune and vacuum on their own thread (see maint.h).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <quantd/sdk.h>

#include "api/api.h"
#include "daemon/maint.h"
#include "log/log.h"
#include "loop/loop.h"
#include "market/symbol.h"
#include "store/import.h"
#include "store/store.h"

struct maint_job {
	struct api_request *req;
	char user[64];
};

struct maint {
	char *url;
	struct store *store;       /* the worker's, opened at the first job */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct maint_job ring[MAINT_QUEUE];
	size_t first, n;           /* waiting jobs, in ring */
	int stop;
};

int
maint_route(const char *cmd)
{
	return cmd != NULL && (strcmp(cmd, "data.prune") == 0 ||
		strcmp(cmd, "data.vacuum") == 0 ||
		strcmp(cmd, "data.import") == 0);
}

static void
answer(struct api_request *req, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	if (s == NULL)
		api_respond_error(req, 500, "internal", "out of memory");
	else
		api_respond(req, 200, s, "application/json", 0);
}

static int
store_ready(struct maint *m, struct api_request *req)
{
	char err[256];

	if (m->store != NULL)
		return 1;
	if (store_open(m->url, STORE_ROLE_ADMIN, &m->store, err,
	    sizeof(err)) == QD_OK)
		return 1;
	m->store = NULL;
	log_error("store", "maintenance: %s", err);
	api_respond_error(req, 503, "unavailable", "the store cannot be "
		"opened; see the log");
	return 0;
}

/* The optional string member `key`, NULL when absent, *bad when not a
 * non-empty string. */
static const char *
opt_str(const cJSON *f, const char *key, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, key);

	if (v != NULL && (!cJSON_IsString(v) || v->valuestring[0] == '\0'))
		*bad = 1;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Every member of `f` is one of `known` (NULL-ended); else a 400. */
static int
members_known(struct api_request *req, const cJSON *f,
	const char *const *known)
{
	const cJSON *it;
	char msg[160];

	cJSON_ArrayForEach(it, f) {
		size_t i;

		for (i = 0; known[i] != NULL; i++)
			if (strcmp(it->string, known[i]) == 0)
				break;
		if (known[i] == NULL) {
			snprintf(msg, sizeof(msg), "unknown member '%.64s'",
				it->string);
			api_respond_error(req, 400, "bad_request", msg);
			return 0;
		}
	}
	return 1;
}

static void
prune(struct maint *m, struct api_request *req, const cJSON *f,
	const char *user)
{
	static const char *const known[] = { "older_than", "exchange",
		"symbol", "timeframe", "trades_only", NULL };
	const cJSON *tr = cJSON_GetObjectItemCaseSensitive(f, "trades_only");
	const cJSON *ot = cJSON_GetObjectItemCaseSensitive(f, "older_than");
	struct store_series k;
	int64_t older = 0, deleted = 0;
	int bad = 0;
	cJSON *o;

	if (!members_known(req, f, known))
		return;
	if (!cJSON_IsString(ot) || store_duration_ms(ot->valuestring,
	    &older) != 0 || older <= 0) {
		api_respond_error(req, 400, "bad_request", "older_than: a "
			"duration N[smhdw] above 0 (no unit: days), e.g. "
			"\"30d\"");
		return;
	}
	k.exchange = opt_str(f, "exchange", &bad);
	k.symbol = opt_str(f, "symbol", &bad);
	k.timeframe = opt_str(f, "timeframe", &bad);
	if (bad || (k.symbol != NULL && !symbol_valid(k.symbol)) ||
	    (k.timeframe != NULL && store_timeframe_ms(k.timeframe) == 0) ||
	    (tr != NULL && !cJSON_IsBool(tr))) {
		api_respond_error(req, 400, "bad_request", "exchange (a "
			"name), symbol (BASE/QUOTE), timeframe (1m ... 1w) "
			"and trades_only (true or false) filter what goes");
		return;
	}
	if (!store_ready(m, req))
		return;
	if (store_prune(m->store, &k, store_now_ms() - older,
	    cJSON_IsTrue(tr) ? STORE_PRUNE_TRADES :
	    STORE_PRUNE_CANDLES | STORE_PRUNE_TRADES, &deleted) != QD_OK) {
		log_error("store", "prune: %s", store_error(m->store));
		api_respond_error(req, 500, "internal", "the prune failed; "
			"see the log");
		return;
	}
	log_info("store", "prune by %s: %lld rows older than %s deleted",
		user, (long long)deleted, ot->valuestring);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "deleted", (double)deleted);
	answer(req, o);
}

static void
vacuum(struct maint *m, struct api_request *req, const cJSON *f,
	const char *user)
{
	static const char *const known[] = { NULL };
	int64_t t0 = loop_now_ns();
	cJSON *o;

	if (!members_known(req, f, known) || !store_ready(m, req))
		return;
	if (store_vacuum(m->store) != QD_OK) {
		log_error("store", "vacuum: %s", store_error(m->store));
		api_respond_error(req, 500, "internal", "the vacuum failed; "
			"see the log");
		return;
	}
	log_info("store", "vacuum by %s: %lld ms", user,
		(long long)((loop_now_ns() - t0) / 1000000));
	o = cJSON_CreateObject();
	cJSON_AddTrueToObject(o, "vacuumed");
	cJSON_AddNumberToObject(o, "ms", (double)((loop_now_ns() - t0) /
		1000000));
	answer(req, o);
}

/* Rows per statement of an import (one transaction in all). */
#define IMPORT_CHUNK 50000

/*
 * data.import: the body is a candle or trade file as `quantctl data
 * import` reads it (store/import.h: the same formats, checks and
 * "NAME:LINE: what is wrong" errors), stored under the query's exchange,
 * symbol and timeframe in one transaction: all rows or none.  The answer
 * is what quantctl data import --json prints but the file's name.
 */
static void
import(struct maint *m, struct api_request *req, const cJSON *f,
	const char *user)
{
	static const char *const known[] = { "exchange", "symbol",
		"timeframe", NULL };
	struct import_data d;
	struct store_series k;
	char err[1024];
	int64_t tf = 0, first, last;
	int bad = 0, rc;
	cJSON *o;

	if (!members_known(req, f, known))
		return;
	k.exchange = opt_str(f, "exchange", &bad);
	k.symbol = opt_str(f, "symbol", &bad);
	k.timeframe = opt_str(f, "timeframe", &bad);
	if (bad || k.exchange == NULL || k.symbol == NULL ||
	    !symbol_valid(k.symbol) || (k.timeframe != NULL &&
	    (tf = store_timeframe_ms(k.timeframe)) == 0)) {
		api_respond_error(req, 400, "bad_request", "exchange (a name) "
			"and symbol (BASE/QUOTE, upper case) are required, "
			"timeframe (1m ... 1w) is inferred from the rows when "
			"absent");
		return;
	}
	if (req->body == NULL || req->body_len == 0) {
		api_respond_error(req, 400, "bad_request", "the body is the "
			"file to import (CSV: OHLCV, Binance klines or "
			"aggTrades)");
		return;
	}
	if (import_parse("body", req->body, req->body_len, tf, &d, err,
	    sizeof(err)) != 0) {
		api_respond_error(req, 400, "bad_request", err);
		return;
	}
	if (!store_ready(m, req)) {
		import_data_free(&d);
		return;
	}
	k.timeframe = d.candles ? store_timeframe_label(
	    (uint32_t)(d.timeframe_ms / 1000)) : NULL;
	rc = store_begin(m->store);
	for (size_t i = 0; rc == QD_OK && i < d.n; i += IMPORT_CHUNK) {
		size_t n = d.n - i < IMPORT_CHUNK ? d.n - i : IMPORT_CHUNK;

		rc = d.candles ? store_put_candles(m->store, &k, d.candles + i,
		    n) : store_put_trades(m->store, &k, d.trades + i, n);
	}
	if (rc == QD_OK)
		rc = store_commit(m->store);
	else
		store_rollback(m->store);
	if (rc != QD_OK) {
		log_error("store", "import by %s: nothing imported: %s", user,
			store_error(m->store));
		api_respond_error(req, 500, "internal", "nothing was imported: "
			"the store failed; see the log");
		import_data_free(&d);
		return;
	}
	first = d.candles ? d.candles[0].open_time : d.trades[0].time;
	last = d.candles ? d.candles[d.n - 1].open_time :
		d.trades[d.n - 1].time;
	log_info("store", "import by %s: %zu %s (%s) into %s %s%s%s", user, d.n,
		d.candles ? "candles" : "trades", import_format_name(d.format),
		k.exchange, k.symbol, k.timeframe ? " " : "",
		k.timeframe ? k.timeframe : "");
	/* pages of candles the API keeps may have changed */
	api_cache_clear(req->api);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "format", import_format_name(d.format));
	cJSON_AddStringToObject(o, "exchange", k.exchange);
	cJSON_AddStringToObject(o, "symbol", k.symbol);
	if (k.timeframe)
		cJSON_AddStringToObject(o, "timeframe", k.timeframe);
	cJSON_AddStringToObject(o, "kind", d.candles ? "candles" : "trades");
	cJSON_AddNumberToObject(o, "rows", (double)d.n);
	cJSON_AddNumberToObject(o, "first", (double)first);
	cJSON_AddNumberToObject(o, "last", (double)last);
	import_data_free(&d);
	answer(req, o);
}

static void
run(struct maint *m, struct maint_job *j)
{
	const char *cmd = api_routes[j->req->route].cmd;
	struct api_request q = *j->req;
	char err[256], *text;
	cJSON *f;

	/* an import's body is the file: its members come from the query */
	if (strcmp(cmd, "data.import") == 0)
		q.body_len = 0;
	text = api_command_request(&q, err, sizeof(err));

	if (text == NULL) {
		api_respond_error(j->req, 400, "bad_request", err);
		return;
	}
	f = cJSON_Parse(text);
	free(text);
	if (f == NULL) {
		api_respond_error(j->req, 500, "internal", "out of memory");
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(f, "cmd");
	if (strcmp(cmd, "data.prune") == 0)
		prune(m, j->req, f, j->user);
	else if (strcmp(cmd, "data.import") == 0)
		import(m, j->req, f, j->user);
	else
		vacuum(m, j->req, f, j->user);
	cJSON_Delete(f);
}

static void *
maint_main(void *arg)
{
	struct maint *m = arg;
	struct maint_job j;

	pthread_mutex_lock(&m->mu);
	for (;;) {
		while (m->n == 0 && !m->stop)
			pthread_cond_wait(&m->cv, &m->mu);
		if (m->n == 0)
			break;
		j = m->ring[m->first];
		m->first = (m->first + 1) % MAINT_QUEUE;
		m->n--;
		if (m->stop) {
			api_respond_error(j.req, 503, "unavailable", "the "
				"daemon is stopping");
			continue;
		}
		pthread_mutex_unlock(&m->mu);
		run(m, &j);
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

void
maint_submit(struct maint *m, struct api_request *req, const char *user)
{
	struct maint_job *j;

	if (m == NULL) {
		api_respond_error(req, 503, "unavailable", "storage is not "
			"configured (storage.url)");
		return;
	}
	pthread_mutex_lock(&m->mu);
	if (m->n == MAINT_QUEUE || m->stop) {
		pthread_mutex_unlock(&m->mu);
		api_respond_error(req, 409, "conflict", "store maintenance "
			"is busy; try again when the jobs queued have run");
		return;
	}
	j = &m->ring[(m->first + m->n) % MAINT_QUEUE];
	j->req = req;
	snprintf(j->user, sizeof(j->user), "%s", user ? user : "?");
	m->n++;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

struct maint *
maint_start(const char *url)
{
	struct maint *m = calloc(1, sizeof(*m));

	if (m == NULL || (m->url = strdup(url)) == NULL) {
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if (pthread_create(&m->thread, NULL, maint_main, m) != 0) {
		pthread_cond_destroy(&m->cv);
		pthread_mutex_destroy(&m->mu);
		free(m->url);
		free(m);
		return NULL;
	}
	return m;
}

void
maint_stop(struct maint *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = 1;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->thread, NULL);
	store_close(m->store);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m->url);
	free(m);
}
