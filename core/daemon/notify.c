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
 *                                         how many rows were made, once
 *                                         they are in the store
 *
 * Rows: {"id","key","channel","event","user","severity","title",
 * "recipient","attempts","next_ms","created_ms","last_error"}, and for a
 * user's own channel "user_channel" (its kind) and "skipped": true when it
 * was not sent for the reason in last_error.
 *
 * Users' own channels (core/notify/channel.h), each for "user" (the API
 * sets it to the caller; quantctl gives it), "admin": true letting the
 * caller give env:/file: secret references (the API's admins, quantctl):
 *   {"cmd":"notify.channels"}             the user's plan and channels,
 *                                         secrets shown as "set" only
 *   {"cmd":"notify.channels.set","email":{...},"webhook":{...}}
 *                                         several at once, all checked
 *                                         before any is stored
 *   {"cmd":"notify.channels.delete"}      every channel of the user
 *   {"cmd":"notify.channel.get","kind":K}
 *   {"cmd":"notify.channel.set","kind":K, settings...}
 *   {"cmd":"notify.channel.delete","kind":K}
 *   {"cmd":"notify.channel.test","kind":K}  a test notification to it
 * A kind the user's plan lacks is {"error":{"code":"channel_not_in_plan"}}
 * (403 through the API).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctl/ctl.h"
#include "daemon/notify.h"
#include "notify/channel.h"
#include "notify/outbox.h"
#include "loop/loop.h"
#include "store/store.h"

static char *
print_free(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	return s;
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
	if (r->user_channel != NULL)
		cJSON_AddStringToObject(o, "user_channel", r->user_channel);
	if (r->skipped)
		cJSON_AddBoolToObject(o, "skipped", 1);
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
	cJSON_AddNumberToObject(s, "skipped", (double)st.skipped);
	cJSON_AddNumberToObject(s, "pending_now", (double)st.pending);
	cJSON_AddNumberToObject(s, "dead_now", (double)st.dead_now);
}

static const char *
str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* How long notify.send waits for its rows to reach the store. */
#define FLUSH_MS 2000

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
		return ctl_error("bad_request", "notifications: expected a "
			"non-empty array");
	i = 0;
	cJSON_ArrayForEach(n, arr) {
		const char *s = str_of(n, "severity");

		if (!cJSON_IsObject(n) || str_of(n, "event") == NULL ||
		    *str_of(n, "event") == '\0') {
			snprintf(msg, sizeof(msg), "notifications[%d]: expected "
				"an object with an \"event\"", i);
			return ctl_error("bad_request", msg);
		}
		for (k = 0; s != NULL && k < 3 && strcmp(s, sev[k]); k++)
			;
		if (k == 3) {
			snprintf(msg, sizeof(msg), "notifications[%d].severity: "
				"expected info, warning or critical", i);
			return ctl_error("bad_request", msg);
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
			return ctl_error(rc == QD_ERR_INVALID ? "bad_request" :
				"internal", msg);
		}
		queued += rc;
		i++;
	}
	/* "queued" promises the rows survive a crash: answer once they are
	 * in the store (an fsync, a few ms), not when they are in memory.
	 * The core thread waits for that, but never on a failing store. */
	if ((rc = outbox_flush(ob, FLUSH_MS)) != QD_OK) {
		snprintf(msg, sizeof(msg), "%d notification(s) queued but not "
			"yet in the store (%s); they are sent once written",
			queued, rc == QD_ERR_STATE ? "its writes are failing" :
			"slower than 2 s");
		return ctl_error("unavailable", msg);
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddNumberToObject(o, "queued", queued);
	return print_free(o);
}

/* ---- users' own channels ------------------------------------------------ */

/* Members of a channel command that are not settings. */
static int
command_member(const char *k)
{
	return strcmp(k, "cmd") == 0 || strcmp(k, "user") == 0 ||
	    strcmp(k, "plan") == 0 || strcmp(k, "admin") == 0 ||
	    strcmp(k, "kind") == 0;
}

/* The answer to a failed channel_book_set / settings parse. */
static char *
set_error(int rc, const char *why)
{
	return ctl_error(rc == QD_ERR_DENIED && strstr(why, "plan") ?
	    "channel_not_in_plan" : rc == QD_ERR_DENIED ? "forbidden" :
	    rc == QD_ERR_INVALID ? "bad_request" : rc == QD_ERR_STATE ?
	    "unavailable" : "failed", why);
}

/* channel_settings_parse, and a URL that is obviously not public
 * refused unless the operator allows that (notify.user_urls). */
static int
settings_parse(struct outbox *ob, enum channel_kind k, const cJSON *body,
	int admin, struct channel_settings *s, char *err, size_t errlen)
{
	int rc = channel_settings_parse(k, body, admin, s, err, errlen);

	if (rc == QD_OK && !outbox_user_urls_private(ob) &&
	    (rc = channel_settings_check_public(s, err, errlen)) != QD_OK)
		channel_settings_clear(s);
	return rc;
}

/* Settings of kind k from `from` (its members but the command's) into s. */
static int
settings_of(struct outbox *ob, enum channel_kind k, const cJSON *from,
	int admin, struct channel_settings *s, char *err, size_t errlen)
{
	cJSON *body = cJSON_CreateObject();
	const cJSON *m;
	int rc;

	if (body == NULL) {
		snprintf(err, errlen, "out of memory");
		return QD_ERR_NOMEM;
	}
	cJSON_ArrayForEach(m, from)
		if (!command_member(m->string))
			cJSON_AddItemReferenceToObject(body, m->string,
				(cJSON *)m);
	rc = settings_parse(ob, k, body, admin, s, err, errlen);
	cJSON_Delete(body);
	return rc;
}

static char *
channels_reply(struct channel_book *b, const char *user, int kind)
{
	cJSON *o = channel_book_json(b, user, kind), *c;

	if (o == NULL)
		return ctl_error("failed", "the user's channels cannot be "
			"read; see the log");
	if (kind >= 0) {
		c = cJSON_DetachItemFromArray(cJSON_GetObjectItem(o,
			"channels"), 0);
		cJSON_Delete(o);
		if (c == NULL)
			return ctl_error("not_found", "no such channel is "
				"set");
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "channel", c);
	}
	cJSON_AddBoolToObject(o, "ok", 1);
	return print_free(o);
}

/* notify.channels.set: every kind checked before any is stored. */
static char *
channels_set(struct outbox *ob, const char *user, const cJSON *req,
	int admin)
{
	struct channel_book *b = outbox_book(ob);
	struct channel_settings s[CHANNEL_KINDS];
	int have[CHANNEL_KINDS] = { 0 }, k, rc = QD_OK, any = 0;
	char err[300], msg[280];
	const cJSON *m;

	memset(s, 0, sizeof(s));
	cJSON_ArrayForEach(m, req) {
		if (command_member(m->string))
			continue;
		if ((k = channel_kind_parse(m->string)) < 0) {
			snprintf(err, sizeof(err), "%.40s: not a channel kind "
				"(email, telegram, discord, webhook)",
				m->string);
			rc = QD_ERR_INVALID;
			break;
		}
		if ((rc = settings_parse(ob, (enum channel_kind)k, m, admin,
		    &s[k], msg, sizeof(msg))) != QD_OK) {
			snprintf(err, sizeof(err), "%.20s.%.270s", m->string,
				msg);
			break;
		}
		have[k] = any = 1;
	}
	if (rc == QD_OK && !any) {
		snprintf(err, sizeof(err), "expected one member per channel "
			"kind, e.g. {\"email\": {\"to\": \"me@example.com\"}}");
		rc = QD_ERR_INVALID;
	}
	for (k = 0; k < CHANNEL_KINDS && rc == QD_OK; k++)
		if (have[k])
			rc = channel_book_set(b, user, &s[k], loop_now_ns() /
				1000000, err, sizeof(err));
	for (k = 0; k < CHANNEL_KINDS; k++)
		channel_settings_clear(&s[k]);
	if (rc != QD_OK)
		return set_error(rc, err);
	return channels_reply(b, user, -1);
}

/* notify.channel.test: a test notification to the user's channel. */
static char *
channel_test(struct outbox *ob, const char *user, enum channel_kind k)
{
	struct channel_resolved cr;
	struct outbox_event e;
	char why[200], title[96];
	cJSON *o;
	int rc;

	rc = channel_book_resolve(outbox_book(ob), user, k, &cr, why,
		sizeof(why));
	if (rc != QD_OK)
		return ctl_error(rc == QD_ERR_DENIED ? "channel_not_in_plan" :
			rc == QD_ERR_NOTFOUND ? "not_found" : "failed", why);
	snprintf(title, sizeof(title), "quantd: a test of your %s channel",
		channel_kind_name(k));
	memset(&e, 0, sizeof(e));
	e.event = "channel.test";
	e.severity = QD_SEV_INFO;
	e.user = user;
	e.title = title;
	e.body = "If this reached you, your alerts will too.";
	e.channels = channel_kind_name(k);
	e.user_only = 1;
	if ((rc = outbox_enqueue(ob, &e)) < 0)
		return ctl_error("failed", qd_strerror(rc));
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddNumberToObject(o, "queued", rc);
	return print_free(o);
}

static char *
channel_request(struct outbox *ob, const char *cmd, const cJSON *req)
{
	struct channel_book *b = outbox_book(ob);
	const char *user = str_of(req, "user"), *kn = str_of(req, "kind");
	int admin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req,
		"admin"));
	struct channel_settings s;
	char err[300];
	int k = -1, rc;

	if (b == NULL)
		return ctl_error("unavailable", "users' channels need the "
			"store (storage.url)");
	if (user == NULL || *user == '\0')
		return ctl_error("bad_request", "user: required (the user "
			"whose channels these are)");
	if (strncmp(cmd, "notify.channel.", 15) == 0 &&
	    (k = channel_kind_parse(kn)) < 0)
		return ctl_error("bad_request", "kind: expected email, "
			"telegram, discord or webhook");
	if (strcmp(cmd, "notify.channels") == 0)
		return channels_reply(b, user, -1);
	if (strcmp(cmd, "notify.channels.set") == 0)
		return channels_set(ob, user, req, admin);
	if (strcmp(cmd, "notify.channels.delete") == 0) {
		unsigned set = channel_book_kinds(b, user);

		for (k = 0; k < CHANNEL_KINDS; k++)
			if (set & (1u << k))
				channel_book_delete(b, user,
					(enum channel_kind)k);
		return channels_reply(b, user, -1);
	}
	if (strcmp(cmd, "notify.channel.get") == 0)
		return channels_reply(b, user, k);
	if (strcmp(cmd, "notify.channel.delete") == 0) {
		rc = channel_book_delete(b, user, (enum channel_kind)k);
		if (rc == QD_ERR_NOTFOUND)
			return ctl_error("not_found", "no such channel is set");
		if (rc != QD_OK)
			return ctl_error("failed", "the store failed; see the "
				"log");
		return strdup("{\"ok\":true}");
	}
	if (strcmp(cmd, "notify.channel.test") == 0)
		return channel_test(ob, user, (enum channel_kind)k);
	if (strcmp(cmd, "notify.channel.set") != 0)
		return ctl_error("unknown_command", "unknown notify command");
	if ((rc = settings_of(ob, (enum channel_kind)k, req, admin, &s, err,
	    sizeof(err))) == QD_OK) {
		rc = channel_book_set(b, user, &s, loop_now_ns() / 1000000,
			err, sizeof(err));
		channel_settings_clear(&s);
	}
	if (rc != QD_OK)
		return set_error(rc, err);
	return channels_reply(b, user, k);
}

char *
notify_request(struct outbox *ob, const char *cmd, const cJSON *req)
{
	cJSON *o;

	if (ob == NULL)
		return ctl_error("unavailable", "this daemon has no "
			"notification outbox");
	if (strncmp(cmd, "notify.channel", 14) == 0)
		return channel_request(ob, cmd, req);
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
			return ctl_error("bad_request", "id: expected a "
				"notification id (a positive integer)");
		n = outbox_retry(ob, (uint64_t)v);
		if (n < 0)
			return ctl_error("not_found", "no dead notification "
				"has that id");
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", 1);
		cJSON_AddNumberToObject(o, "retried", n);
		return print_free(o);
	}
	if (strcmp(cmd, "notify.send") == 0)
		return notify_send(ob, req);
	return ctl_error("unknown_command", "unknown notify command");
}
