/*
 * notify.c -- the daemon's notification commands on the control socket:
 *
 *   {"cmd":"notify.list"}                 counters and pending rows
 *   {"cmd":"notify.dead"}                 dead-lettered rows, with the
 *                                         last error of each
 *   {"cmd":"notify.retry","id":N}         send dead row N again (id 0 or
 *                                         absent: every dead row)
 *   {"cmd":"notify.send","notifications":[{"event","title","body",
 *    "severity","user","recipient","key"}, ...]}
 *                                         enqueue notifications (an
 *                                         operator's message, a test of
 *                                         the channels); "queued" says
 *                                         how many rows were made
 *
 * Rows: {"id","key","channel","event","user","severity","title",
 * "recipient","attempts","next_ms","created_ms","last_error"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "daemon/notify.h"
#include "notify/outbox.h"
#include "store/store.h"

static char *
print_free(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	return s;
}

static char *
error_json(const char *code, const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o,
		"error");

	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	return print_free(o);
}

static void
add_row(void *arg, const struct outbox_row *r)
{
	cJSON *arr = arg, *o = cJSON_CreateObject();
	static const char *const sev[] = { "info", "warning", "critical" };

	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "key", r->key);
	cJSON_AddStringToObject(o, "channel", r->channel);
	cJSON_AddStringToObject(o, "event", r->event);
	cJSON_AddStringToObject(o, "user", r->user);
	cJSON_AddStringToObject(o, "severity", r->severity >= 0 &&
		r->severity <= 2 ? sev[r->severity] : "info");
	cJSON_AddStringToObject(o, "title", r->title);
	if (r->recipient != NULL)
		cJSON_AddStringToObject(o, "recipient", r->recipient);
	cJSON_AddNumberToObject(o, "attempts", r->attempts);
	cJSON_AddNumberToObject(o, "next_ms", (double)r->next_ms);
	cJSON_AddNumberToObject(o, "created_ms", (double)r->created_ms);
	cJSON_AddStringToObject(o, "last_error", r->last_error);
	cJSON_AddItemToArray(arr, o);
}

static void
add_stats(cJSON *o, struct outbox *ob)
{
	struct outbox_stats st;
	cJSON *s = cJSON_AddObjectToObject(o, "stats");

	outbox_stats(ob, &st);
	cJSON_AddNumberToObject(s, "enqueued", (double)st.enqueued);
	cJSON_AddNumberToObject(s, "duplicates", (double)st.duplicates);
	cJSON_AddNumberToObject(s, "unrouted", (double)st.unrouted);
	cJSON_AddNumberToObject(s, "sent", (double)st.sent);
	cJSON_AddNumberToObject(s, "delivered", (double)st.delivered);
	cJSON_AddNumberToObject(s, "failures", (double)st.failures);
	cJSON_AddNumberToObject(s, "dead", (double)st.dead);
	cJSON_AddNumberToObject(s, "pending_now", (double)st.pending);
	cJSON_AddNumberToObject(s, "dead_now", (double)st.dead_now);
}

static const char *
str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Every notification is checked before any is queued. */
static char *
notify_send(struct outbox *ob, const cJSON *req)
{
	static const char *const sev[] = { "info", "warning", "critical" };
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(req,
		"notifications"), *n;
	char msg[160];
	int i, k, queued = 0, rc;
	cJSON *o;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return error_json("invalid", "notifications: expected a "
			"non-empty array");
	i = 0;
	cJSON_ArrayForEach(n, arr) {
		const char *s = str_of(n, "severity");

		if (!cJSON_IsObject(n) || str_of(n, "event") == NULL ||
		    *str_of(n, "event") == '\0') {
			snprintf(msg, sizeof(msg), "notifications[%d]: expected "
				"an object with an \"event\"", i);
			return error_json("invalid", msg);
		}
		for (k = 0; s != NULL && k < 3 && strcmp(s, sev[k]); k++)
			;
		if (k == 3) {
			snprintf(msg, sizeof(msg), "notifications[%d].severity: "
				"expected info, warning or critical", i);
			return error_json("invalid", msg);
		}
		i++;
	}
	i = 0;
	cJSON_ArrayForEach(n, arr) {
		struct outbox_event e;
		const char *s = str_of(n, "severity");

		memset(&e, 0, sizeof(e));
		e.event = str_of(n, "event");
		for (k = 0; s != NULL && k < 3 && strcmp(s, sev[k]); k++)
			;
		e.severity = s == NULL ? QD_SEV_INFO : (enum qd_severity)k;
		e.title = str_of(n, "title");
		e.body = str_of(n, "body");
		e.user = str_of(n, "user");
		e.recipient = str_of(n, "recipient");
		e.key = str_of(n, "key");
		if ((rc = outbox_enqueue(ob, &e)) < 0) {
			snprintf(msg, sizeof(msg), "notifications[%d]: %s (%d "
				"queued before it)", i, rc == QD_ERR_INVALID ?
				"an event is [a-z0-9._-] (at most 64 bytes), a "
				"key [A-Za-z0-9._:-] (at most 128)" :
				qd_strerror(rc), queued);
			return error_json("invalid", msg);
		}
		queued += rc;
		i++;
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddNumberToObject(o, "queued", queued);
	return print_free(o);
}

char *
notify_request(struct outbox *ob, const char *cmd, const cJSON *req)
{
	cJSON *o;

	if (ob == NULL)
		return error_json("unavailable", "this daemon has no "
			"notification outbox");
	if (strcmp(cmd, "notify.list") == 0 ||
	    strcmp(cmd, "notify.dead") == 0) {
		int dead = strcmp(cmd, "notify.dead") == 0;

		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", 1);
		add_stats(o, ob);
		outbox_each(ob, dead, add_row, cJSON_AddArrayToObject(o,
			dead ? "dead" : "pending"));
		return print_free(o);
	}
	if (strcmp(cmd, "notify.retry") == 0) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
		double v = cJSON_IsNumber(id) ? id->valuedouble : 0;
		int n;

		if (id != NULL && (!cJSON_IsNumber(id) || v < 0 ||
		    v != (double)(uint64_t)v))
			return error_json("invalid", "id: expected a "
				"notification id (a positive integer)");
		n = outbox_retry(ob, (uint64_t)v);
		if (n < 0)
			return error_json("not_found", "no dead notification "
				"has that id");
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", 1);
		cJSON_AddNumberToObject(o, "retried", n);
		return print_free(o);
	}
	if (strcmp(cmd, "notify.send") == 0)
		return notify_send(ob, req);
	return error_json("unknown_command", "unknown notify command");
}
