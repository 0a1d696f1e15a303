/*
 * routes.c -- the route table and the bridge from a REST request to the
 * daemon's control commands (the same commands quantctl sends over the
 * control socket), on the core thread.
 *
 * A route with a command builds its request from the path parameters (as
 * strings), the query parameters its `args` names (typed: s, i, n, b) and,
 * for POST/PUT/PATCH, the members of the JSON object in the body; an
 * unknown query parameter, a value of the wrong type, a body that is not
 * one strict JSON object (valid UTF-8, no duplicate keys) or one naming a
 * member twice over the path or query is a 400 that says which.  The
 * command's reply {"ok":true,...} becomes 200 with the same members but
 * "ok"; {"error":{...}} keeps its body with the status of its code.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "json/json.h"

const struct api_route api_routes[] = {
	{ API_GET, "/api/v1/openapi.json", API_SCOPE_NONE, "getOpenApi",
	  NULL, NULL, 0, 0 },
	{ API_GET, "/metrics", API_SCOPE_NONE, "getMetrics", "metrics",
	  NULL, 0, 0 },
	{ API_POST, "/api/v1/auth/login", API_SCOPE_NONE, "login",
	  "auth.login", NULL, 0, 0 },
	{ API_POST, "/api/v1/auth/refresh", API_SCOPE_NONE, "refreshToken",
	  "auth.refresh", NULL, 0, 0 },
	{ API_POST, "/api/v1/auth/logout", API_SCOPE_NONE, "logout",
	  "auth.logout", NULL, 0, 0 },
	{ API_POST, "/api/v1/auth/register", API_SCOPE_NONE, "register",
	  "auth.register", NULL, 0, 0 },
	{ API_GET, "/api/v1/me", API_SCOPE_READ, "getMe", "me.get", NULL, 0, 0 },
	{ API_POST, "/api/v1/me/password", API_SCOPE_READ, "changePassword",
	  "me.password", NULL, 0, 0 },
	{ API_POST, "/api/v1/me/2fa/enroll", API_SCOPE_READ, "enroll2fa",
	  "me.2fa.enroll", NULL, 0, 0 },
	{ API_POST, "/api/v1/me/2fa/confirm", API_SCOPE_READ, "confirm2fa",
	  "me.2fa.confirm", NULL, 0, 0 },
	{ API_POST, "/api/v1/me/2fa/disable", API_SCOPE_READ, "disable2fa",
	  "me.2fa.disable", NULL, 0, 0 },
	{ API_GET, "/api/v1/me/keys", API_SCOPE_READ, "listKeys", "me.keys",
	  NULL, 0, 0 },
	{ API_POST, "/api/v1/me/keys", API_SCOPE_READ, "createKey",
	  "me.keys.create", NULL, 0, 0 },
	{ API_DELETE, "/api/v1/me/keys/{id}", API_SCOPE_READ, "revokeKey",
	  "me.keys.revoke", NULL, 0, 0 },
	{ API_GET, "/api/v1/users", API_SCOPE_ADMIN, "listUsers",
	  "users.list", NULL, 0, 0 },
	{ API_POST, "/api/v1/users", API_SCOPE_ADMIN, "addUser", "users.add",
	  NULL, 0, 0 },
	{ API_PATCH, "/api/v1/users/{name}", API_SCOPE_ADMIN, "updateUser",
	  "users.update", NULL, 0, 0 },
	{ API_GET, "/api/v1/audit", API_SCOPE_ADMIN, "listAudit", "audit.list",
	  "after:i,limit:i", 0, 0 },
	{ API_GET, "/api/v1/plans", API_SCOPE_NONE, "listPlans", "plans.list",
	  NULL, 0, 0 },
	{ API_GET, "/api/v1/plugins", API_SCOPE_READ, "listPlugins",
	  "plugin.list", NULL, 0, 0 },
	{ API_GET, "/api/v1/plugins/{name}", API_SCOPE_READ, "getPlugin",
	  "plugin.info", NULL, 0, 0 },
	{ API_GET, "/api/v1/instances", API_SCOPE_READ, "listInstances",
	  "instance.list", NULL, 0, 0 },
	{ API_GET, "/api/v1/instances/{name}", API_SCOPE_READ, "getInstance",
	  "instance.info", NULL, 0, 0 },
	{ API_POST, "/api/v1/instances/{name}/start", API_SCOPE_ADMIN,
	  "startInstance", "instance.start", NULL, 0, 0 },
	{ API_POST, "/api/v1/instances/{name}/params/validate", API_SCOPE_ADMIN,
	  "validateInstanceParams", "instance.params.validate", NULL, 0, 0 },
	{ API_PUT, "/api/v1/instances/{name}/params", API_SCOPE_ADMIN,
	  "setInstanceParams", "instance.params.set", NULL, 0, 0 },
	{ API_GET, "/api/v1/instances/{name}/config", API_SCOPE_ADMIN,
	  "getInstanceConfig", "instance.config.get", NULL, 0, 0 },
	{ API_PUT, "/api/v1/instances/{name}/config", API_SCOPE_ADMIN,
	  "setInstanceConfig", "instance.config.set", NULL, 0, 0 },
	{ API_POST, "/api/v1/config/check", API_SCOPE_ADMIN, "checkConfig",
	  "config.check", NULL, 0, 0 },
	{ API_GET, "/api/v1/indicators", API_SCOPE_READ, "listIndicators",
	  "indicator.list", NULL, 0, 0 },
	/* GET: any query parameter but these is one of the indicator's
	 * params (web.c); POST: the same members in a JSON body. */
	{ API_GET, "/api/v1/indicators/{name}", API_SCOPE_READ,
	  "computeIndicator", "indicator.compute",
	  "exchange:s,symbol:s,timeframe:s,from:i,to:i,limit:i", 0, 0 },
	{ API_POST, "/api/v1/indicators/{name}", API_SCOPE_READ,
	  "computeIndicatorPost", "indicator.compute", NULL, 0, 0 },
	{ API_GET, "/api/v1/instances/{name}/annotations", API_SCOPE_READ,
	  "listAnnotations", "instance.annotations", "after:i,limit:i", 0, 0 },
	{ API_POST, "/api/v1/instances/{name}/restart", API_SCOPE_ADMIN,
	  "restartInstance", "instance.restart", NULL, 0, 0 },
	{ API_POST, "/api/v1/instances/{name}/stop", API_SCOPE_ADMIN,
	  "stopInstance", "instance.stop", NULL, 0, 0 },
	{ API_POST, "/api/v1/reload", API_SCOPE_ADMIN, "reload", "reload",
	  NULL, 0, 0 },
	{ API_GET, "/api/v1/store/stats", API_SCOPE_READ, "getStoreStats",
	  "store.stats", NULL, 0, 0 },
	{ API_GET, "/api/v1/market/instruments", API_SCOPE_READ,
	  "listInstruments", "market.instruments", "exchange:s,symbol:s", 0, 0 },
	{ API_GET, "/api/v1/market/candles", API_SCOPE_READ, "listCandles",
	  "market.candles",
	  "exchange:s,symbol:s,timeframe:s,from:i,to:i,limit:i", 0, 1 },
	{ API_GET, "/api/v1/market/trades", API_SCOPE_READ, "listTrades",
	  "market.recent", "exchange:s,symbol:s,after:i", 0, 0 },
	{ API_POST, "/api/v1/market/backfill", API_SCOPE_ADMIN, "backfill",
	  "data.backfill", NULL, 0, 0 },
	{ API_GET, "/api/v1/orders", API_SCOPE_READ, "listOrders",
	  "trade.orders", "instance:s", 0, 0 },
	{ API_POST, "/api/v1/orders", API_SCOPE_TRADE, "submitOrder",
	  "trade.submit", NULL, 0, 0 },
	{ API_DELETE, "/api/v1/orders/{id}", API_SCOPE_TRADE, "cancelOrder",
	  "trade.cancel", "id:i,instance:s", 0, 0 },
	{ API_GET, "/api/v1/accounts", API_SCOPE_READ, "listAccounts",
	  "trade.accounts", NULL, 0, 0 },
	{ API_GET, "/api/v1/trading/stats", API_SCOPE_READ, "getTradingStats",
	  "trade.stats", NULL, 0, 0 },
	{ API_POST, "/api/v1/emergency-close", API_SCOPE_TRADE,
	  "emergencyClose", "trade.emergency_close", NULL, 0, 0 },
	{ API_GET, "/api/v1/alerts", API_SCOPE_READ, "listAlerts",
	  "alert.list", NULL, 1, 0 },
	{ API_POST, "/api/v1/alerts", API_SCOPE_READ, "createAlert",
	  "alert.create", NULL, 1, 0 },
	{ API_GET, "/api/v1/alerts/{id}", API_SCOPE_READ, "getAlert",
	  "alert.get", "id:i", 1, 0 },
	{ API_PATCH, "/api/v1/alerts/{id}", API_SCOPE_READ, "updateAlert",
	  "alert.update", "id:i", 1, 0 },
	{ API_DELETE, "/api/v1/alerts/{id}", API_SCOPE_READ, "deleteAlert",
	  "alert.delete", "id:i", 1, 0 },
	{ API_GET, "/api/v1/alerts/{id}/history", API_SCOPE_READ,
	  "alertHistory", "alert.history", "id:i,limit:i", 1, 0 },
	{ API_POST, "/api/v1/backtests", API_SCOPE_TRADE, "submitBacktest",
	  "job.submit.backtest", NULL, 2, 0 },
	{ API_GET, "/api/v1/backtests", API_SCOPE_READ, "listBacktests",
	  "job.list.backtest", NULL, 2, 0 },
	{ API_GET, "/api/v1/backtests/{id}", API_SCOPE_READ, "getBacktest",
	  "job.get.backtest", "id:i", 2, 0 },
	{ API_GET, "/api/v1/backtests/{id}/result", API_SCOPE_READ, "getBacktestResult",
	  "job.result.backtest", "id:i", 2, 0 },
	{ API_GET, "/api/v1/backtests/{id}/report", API_SCOPE_READ, "getBacktestReport",
	  "job.report.backtest", "id:i", 2, 0 },
	{ API_GET, "/api/v1/backtests/{id}/trades", API_SCOPE_READ, "getBacktestTrades",
	  "job.trades.backtest", "id:i", 2, 0 },
	{ API_DELETE, "/api/v1/backtests/{id}", API_SCOPE_TRADE, "cancelBacktest",
	  "job.cancel.backtest", "id:i", 2, 0 },
	{ API_POST, "/api/v1/optimizations", API_SCOPE_TRADE, "submitOptimization",
	  "job.submit.optimization", NULL, 2, 0 },
	{ API_GET, "/api/v1/optimizations", API_SCOPE_READ, "listOptimizations",
	  "job.list.optimization", NULL, 2, 0 },
	{ API_GET, "/api/v1/optimizations/{id}", API_SCOPE_READ, "getOptimization",
	  "job.get.optimization", "id:i", 2, 0 },
	{ API_GET, "/api/v1/optimizations/{id}/result", API_SCOPE_READ, "getOptimizationResult",
	  "job.result.optimization", "id:i", 2, 0 },
	{ API_DELETE, "/api/v1/optimizations/{id}", API_SCOPE_TRADE, "cancelOptimization",
	  "job.cancel.optimization", "id:i", 2, 0 },
	{ API_POST, "/api/v1/montecarlo", API_SCOPE_TRADE, "submitMonteCarlo",
	  "job.submit.montecarlo", NULL, 2, 0 },
	{ API_GET, "/api/v1/montecarlo", API_SCOPE_READ, "listMonteCarloRuns",
	  "job.list.montecarlo", NULL, 2, 0 },
	{ API_GET, "/api/v1/montecarlo/{id}", API_SCOPE_READ, "getMonteCarlo",
	  "job.get.montecarlo", "id:i", 2, 0 },
	{ API_GET, "/api/v1/montecarlo/{id}/result", API_SCOPE_READ, "getMonteCarloResult",
	  "job.result.montecarlo", "id:i", 2, 0 },
	{ API_DELETE, "/api/v1/montecarlo/{id}", API_SCOPE_TRADE, "cancelMonteCarlo",
	  "job.cancel.montecarlo", "id:i", 2, 0 },
	{ API_GET, "/api/v1/me/channels", API_SCOPE_READ, "listMyChannels",
	  "notify.channels", NULL, 2, 0 },
	{ API_PUT, "/api/v1/me/channels", API_SCOPE_READ, "setMyChannels",
	  "notify.channels.set", NULL, 2, 0 },
	{ API_DELETE, "/api/v1/me/channels", API_SCOPE_READ,
	  "deleteMyChannels", "notify.channels.delete", NULL, 2, 0 },
	{ API_GET, "/api/v1/me/channels/{kind}", API_SCOPE_READ,
	  "getMyChannel", "notify.channel.get", NULL, 2, 0 },
	{ API_PUT, "/api/v1/me/channels/{kind}", API_SCOPE_READ,
	  "setMyChannel", "notify.channel.set", NULL, 2, 0 },
	{ API_DELETE, "/api/v1/me/channels/{kind}", API_SCOPE_READ,
	  "deleteMyChannel", "notify.channel.delete", NULL, 2, 0 },
	{ API_POST, "/api/v1/me/channels/{kind}/test", API_SCOPE_READ,
	  "testMyChannel", "notify.channel.test", NULL, 2, 0 },
	{ API_GET, "/api/v1/notifications", API_SCOPE_ADMIN,
	  "listNotifications", "notify.list", NULL, 0, 0 },
	{ API_GET, "/api/v1/notifications/dead", API_SCOPE_ADMIN,
	  "listDeadNotifications", "notify.dead", NULL, 0, 0 },
	{ API_POST, "/api/v1/notifications/{id}/retry", API_SCOPE_ADMIN,
	  "retryNotification", "notify.retry", "id:i", 0, 0 },
	{ API_GET, "/api/v1/risk", API_SCOPE_READ, "getRiskStatus",
	  "risk.status", NULL, 0, 0 },
	{ API_PUT, "/api/v1/risk/limits", API_SCOPE_ADMIN, "setRiskLimits",
	  "risk.set", NULL, 0, 0 },
	{ API_POST, "/api/v1/risk/resume", API_SCOPE_ADMIN, "resumeRisk",
	  "risk.resume", NULL, 0, 0 },
	{ API_GET, "/api/v1/accounts/{id}/ledger", API_SCOPE_READ,
	  "listLedger", "trade.ledger", "after:i,limit:i,from:i,to:i", 0, 0 },
	{ API_GET, "/api/v1/risk/log", API_SCOPE_READ, "listRiskLog",
	  "risk.log", "since:i,limit:i", 0, 0 },
	{ API_GET, "/api/v1/positions", API_SCOPE_READ, "listPositions",
	  "trade.positions", "account:s,instance:s,symbol:s,closed:b", 0, 0 },
	{ API_GET, "/api/v1/data/coverage", API_SCOPE_READ, "getDataCoverage",
	  "data.coverage", "exchange:s,symbol:s,timeframe:s", 0, 0 },
	{ API_GET, "/api/v1/data/gaps", API_SCOPE_READ, "getDataGaps",
	  "data.gaps", "exchange:s,symbol:s,timeframe:s", 0, 0 },
	{ API_POST, "/api/v1/data/prune", API_SCOPE_ADMIN, "pruneData",
	  "data.prune", NULL, 0, 0 },
	{ API_POST, "/api/v1/data/vacuum", API_SCOPE_ADMIN, "vacuumData",
	  "data.vacuum", NULL, 0, 0 },
	{ API_GET, "/api/v1/secrets", API_SCOPE_ADMIN, "listSecrets",
	  "secrets.list", NULL, 0, 0 },
	{ API_PUT, "/api/v1/secrets/{name}", API_SCOPE_ADMIN, "setSecret",
	  "secrets.set", NULL, 0, 0 },
	{ API_POST, "/api/v1/secrets/rotate", API_SCOPE_ADMIN, "rotateSecrets",
	  "secrets.rotate", NULL, 0, 0 },
	{ API_POST, "/api/v1/notifications", API_SCOPE_ADMIN,
	  "sendNotifications", "notify.send", NULL, 0, 0 },
	/* The body is the file's text (CSV), not JSON (maint.c). */
	{ API_POST, "/api/v1/data/import", API_SCOPE_ADMIN, "importData",
	  "data.import", "exchange:s,symbol:s,timeframe:s", 0, 0 },
	{ API_POST, "/api/v1/chan", API_SCOPE_TRADE, "submitChan",
	  "job.submit.chan", NULL, 2, 0 },
	{ API_GET, "/api/v1/chan", API_SCOPE_READ, "listChanRuns",
	  "job.list.chan", NULL, 2, 0 },
	{ API_GET, "/api/v1/chan/{id}", API_SCOPE_READ, "getChan",
	  "job.get.chan", "id:i", 2, 0 },
	{ API_GET, "/api/v1/chan/{id}/result", API_SCOPE_READ, "getChanResult",
	  "job.result.chan", "id:i", 2, 0 },
	{ API_DELETE, "/api/v1/chan/{id}", API_SCOPE_TRADE, "cancelChan",
	  "job.cancel.chan", "id:i", 2, 0 },
	{ 0, NULL, 0, NULL, NULL, NULL, 0, 0 }
};

static const char *
kv_find(const struct api_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

const char *
api_query(const struct api_request *req, const char *key)
{
	return kv_find(req->query, req->n_query, key);
}

const char *
api_param(const struct api_request *req, const char *key)
{
	return kv_find(req->params, req->n_params, key);
}

int
api_status_for(const char *code)
{
	static const struct { const char *code; int status; } map[] = {
		{ "bad_request", 400 },
		{ "unauthorized", 401 }, { "denied", 403 },
		{ "forbidden", 403 }, { "not_found", 404 },
		{ "unknown_command", 404 }, { "conflict", 409 },
		{ "state", 409 }, { "failed", 409 },
		{ "payload_too_large", 413 }, { "rate_limited", 429 },
		{ "limit", 429 }, { "limit_exceeded", 403 },
		{ "channel_not_in_plan", 403 },
		{ "unsupported", 501 },
		{ "unavailable", 503 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].code, code) == 0)
			return map[i].status;
	return 500;
}

/* The type letter `args` gives query parameter `key`, or 0 if none. */
static char
arg_type(const char *args, const char *key)
{
	size_t kl = strlen(key);

	while (args != NULL && *args) {
		const char *colon = strchr(args, ':');
		const char *comma = strchr(args, ',');

		if (colon == NULL)
			return 0;
		if ((size_t)(colon - args) == kl &&
		    memcmp(args, key, kl) == 0)
			return colon[1];
		args = comma ? comma + 1 : NULL;
	}
	return 0;
}

static int
add_query(cJSON *o, const char *args, const struct api_kv *kv, char *err,
	size_t errlen)
{
	char t = arg_type(args, kv->key);
	char *e;

	if (t == 0) {
		snprintf(err, errlen, "unknown query parameter '%.64s'",
			kv->key);
		return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(o, kv->key) != NULL) {
		snprintf(err, errlen, "query parameter '%.64s' given twice",
			kv->key);
		return -1;
	}
	if (t == 's') {
		cJSON_AddStringToObject(o, kv->key, kv->value);
	} else if (t == 'b') {
		if (strcmp(kv->value, "true") != 0 &&
		    strcmp(kv->value, "false") != 0) {
			snprintf(err, errlen, "query parameter '%.64s': "
				"expected true or false", kv->key);
			return -1;
		}
		cJSON_AddBoolToObject(o, kv->key, kv->value[0] == 't');
	} else {
		double v;

		errno = 0;
		v = strtod(kv->value, &e);
		if (kv->value[0] == '\0' || *e || errno || !isfinite(v) ||
		    (t == 'i' && (v != floor(v) || fabs(v) > 9007199254740992.0))) {
			snprintf(err, errlen, "query parameter '%.64s': "
				"expected %s", kv->key, t == 'i' ?
				"an integer" : "a number");
			return -1;
		}
		cJSON_AddNumberToObject(o, kv->key, v);
	}
	return 0;
}

int
api_command_secret(const char *cmd)
{
	return cmd != NULL && (strcmp(cmd, "secrets.set") == 0 ||
	    strcmp(cmd, "notify.channel.set") == 0 ||
	    strcmp(cmd, "notify.channels.set") == 0);
}

void
api_json_wipe(cJSON *o)
{
	cJSON *it;

	if (o == NULL)
		return;
	if (cJSON_IsString(o) && o->valuestring != NULL)
		explicit_bzero(o->valuestring, strlen(o->valuestring));
	for (it = o->child; it != NULL; it = it->next)
		api_json_wipe(it);
}

void
api_text_wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Free the request being built (wiped first when it carries secrets). */
static void
drop_request(cJSON *o, const char *cmd)
{
	if (api_command_secret(cmd))
		api_json_wipe(o);
	cJSON_Delete(o);
}

/*
 * The control request for `req`'s route: a malloc'd JSON text, or NULL
 * with the reason in err (a 400).  A command that carries secrets
 * (api_command_secret) has its parsed copy wiped here; the text and the
 * body are the caller's to wipe.
 */
char *
api_command_request(const struct api_request *req, char *err, size_t errlen)
{
	const struct api_route *r = &api_routes[req->route];
	cJSON *o = NULL;
	char *s;

	if (req->body_len > 0 && (req->method == API_POST ||
	    req->method == API_PUT || req->method == API_PATCH)) {
		struct json_error je;
		struct json_value *v = json_parse(req->body, req->body_len,
			&je);

		if (v == NULL) {
			snprintf(err, errlen, "request body, line %d column "
				"%d: %s", je.line, je.col, je.msg);
			return NULL;
		}
		if (v->type != JSON_OBJECT) {
			json_free(v);
			snprintf(err, errlen, "the request body must be a "
				"JSON object");
			return NULL;
		}
		json_free(v);
		o = cJSON_ParseWithLength(req->body, req->body_len);
		if (o == NULL) {
			snprintf(err, errlen, "the request body cannot be "
				"read");
			return NULL;
		}
		if (cJSON_GetObjectItemCaseSensitive(o, "cmd") != NULL) {
			drop_request(o, r->cmd);
			snprintf(err, errlen, "unknown member 'cmd'");
			return NULL;
		}
	} else {
		o = cJSON_CreateObject();
	}
	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < req->n_params; i++) {
		if (cJSON_GetObjectItemCaseSensitive(o, req->params[i].key)) {
			snprintf(err, errlen, "member '%.64s' is given by the "
				"path", req->params[i].key);
			drop_request(o, r->cmd);
			return NULL;
		}
		if (arg_type(r->args, req->params[i].key) != 0) {
			if (add_query(o, r->args, &req->params[i], err,
			    errlen) != 0) {
				drop_request(o, r->cmd);
				return NULL;
			}
			continue;
		}
		cJSON_AddStringToObject(o, req->params[i].key,
			req->params[i].value);
	}
	for (size_t i = 0; i < req->n_query; i++)
		if (add_query(o, r->args, &req->query[i], err, errlen) != 0) {
			drop_request(o, r->cmd);
			return NULL;
		}
	cJSON_AddStringToObject(o, "cmd", r->cmd);
	s = cJSON_PrintUnformatted(o);
	drop_request(o, r->cmd);
	if (s == NULL)
		snprintf(err, errlen, "out of memory");
	return s;
}
