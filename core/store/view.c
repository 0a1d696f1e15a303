/*
 * view.c -- stored rows as JSON objects, the one shape `quantctl --json`
 * prints and the API answers with (see store.h).
 */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

cJSON *
store_risk_event_json(const struct store_risk_event *e)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "ts", (double)e->ts_ms);
	cJSON_AddStringToObject(o, "scope", e->scope);
	cJSON_AddStringToObject(o, "id", e->scope_id);
	cJSON_AddStringToObject(o, "rule", e->rule);
	cJSON_AddStringToObject(o, "actions", e->actions);
	if (e->symbol)
		cJSON_AddStringToObject(o, "symbol", e->symbol);
	cJSON_AddStringToObject(o, "reason", e->reason);
	if (e->order_id)
		cJSON_AddNumberToObject(o, "order_id", (double)e->order_id);
	return o;
}

cJSON *
store_posting_json(const struct store_posting *p)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "txn", (double)p->txn);
	cJSON_AddNumberToObject(o, "ts", (double)p->ts_ms);
	cJSON_AddStringToObject(o, "kind", p->kind);
	cJSON_AddStringToObject(o, "ref", p->ref);
	cJSON_AddStringToObject(o, "account", p->account);
	cJSON_AddStringToObject(o, "asset", p->asset);
	cJSON_AddStringToObject(o, "amount", p->amount);
	return o;
}

cJSON *
store_coverage_json(const struct store_coverage *c)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "exchange", c->exchange);
	cJSON_AddStringToObject(o, "symbol", c->symbol);
	cJSON_AddStringToObject(o, "timeframe", c->timeframe);
	cJSON_AddNumberToObject(o, "first", (double)c->first);
	cJSON_AddNumberToObject(o, "last", (double)c->last);
	cJSON_AddNumberToObject(o, "count", (double)c->count);
	cJSON_AddNumberToObject(o, "missing", (double)c->missing);
	return o;
}

cJSON *
store_gap_json(int64_t from, int64_t to, int64_t tf_ms)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "from", (double)from);
	cJSON_AddNumberToObject(o, "to", (double)to);
	cJSON_AddNumberToObject(o, "missing", tf_ms > 0 ?
		(double)((to - from) / tf_ms) : 0);
	return o;
}

cJSON *
store_credential_json(const struct store_credential *c)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "key_id", c->sealed.key_id);
	cJSON_AddNumberToObject(o, "updated_ms", (double)c->updated_ms);
	return o;
}
