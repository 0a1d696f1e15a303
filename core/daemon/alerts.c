/*
 * alerts.c -- the daemon's alert engine and its control commands (the
 * contract is in alerts.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "ctl/ctl.h"
#include "daemon/alerts.h"
#include "log/log.h"
#include "loop/loop.h"
#include "market/symbol.h"

/* A fire waiting to be published: alerts fire inside the bus's delivery
 * of a trade or candle, where a publish is queued by the bus without its
 * strings, so they are published from the loop right after. */
struct pending {
	uint64_t id;
	qd_symbol sym;
	char *title, *body, *user, *channels;
	char key[64];
	struct pending *next;
};

struct daemon_alerts {
	struct loop *loop;
	struct bus *bus;
	struct alert_engine *e;
	struct alert_keeper *keeper;
	struct loop_timer *sweep;
	uint64_t sub[2];
	alert_fired_fn fired;
	void *fired_arg;
	struct pending *head, **tail;
	struct loop_timer *flush;   /* set while fires wait */
};

static void
pending_free(struct pending *p)
{
	free(p->title);
	free(p->body);
	free(p->user);
	free(p->channels);
	free(p);
}

/* Publish the waiting fires (a one-shot timer, outside any delivery). */
static void
flush_fired(void *arg)
{
	struct daemon_alerts *a = arg;
	struct pending *p = a->head, *nx;
	struct bus_event ev;

	loop_timer_cancel(a->flush);
	a->flush = NULL;
	a->head = NULL;
	a->tail = &a->head;
	for (; p != NULL; p = nx) {
		nx = p->next;
		memset(&ev, 0, sizeof(ev));
		ev.topic = BUS_ALERT;
		ev.source = "alert";
		ev.u.alert.alert_id = p->id;
		ev.u.alert.symbol = p->sym;
		ev.u.alert.severity = QD_SEV_INFO;
		ev.u.alert.title = p->title;
		ev.u.alert.body = p->body;
		/* for its owner: the dashboard, and the owner's channels */
		ev.u.alert.user = p->user;
		ev.u.alert.key = p->key;
		ev.u.alert.channels = p->channels;
		bus_publish(a->bus, &ev);
		pending_free(p);
	}
}

/* A fire: BUS_ALERT for the notifiers and the dashboard (queued, see
 * struct pending), then the hook. */
static void
on_fired(void *arg, const struct alert_fired *f)
{
	struct daemon_alerts *a = arg;
	struct pending *p = calloc(1, sizeof(*p));
	char title[160];

	snprintf(title, sizeof(title), "alert %llu%s%s: %s",
		(unsigned long long)f->id, f->name[0] ? " " : "", f->name,
		f->symbol);
	if (p != NULL) {
		p->id = f->id;
		p->sym = symbol_lookup(f->symbol);
		p->title = strdup(title);
		p->body = strdup(f->message);
		p->user = strdup(f->user_id);
		p->channels = f->channels ? strdup(f->channels) : NULL;
		/* one notification per fire, whatever retries it takes */
		snprintf(p->key, sizeof(p->key), "alert:%llu:%llu",
			(unsigned long long)f->id,
			(unsigned long long)f->fire_count);
	}
	if (p == NULL || p->title == NULL || p->body == NULL ||
	    p->user == NULL || (f->channels != NULL && p->channels == NULL) ||
	    (a->flush == NULL && (a->flush = loop_timer_add(a->loop, 0, 0,
	    flush_fired, a)) == NULL)) {
		log_error("alert", "alert %llu fired but is not published: out "
			"of memory", (unsigned long long)f->id);
		if (p != NULL)
			pending_free(p);
	} else {
		*a->tail = p;
		a->tail = &p->next;
	}
	log_info("alert", "alert %llu of %s fired: %s",
		(unsigned long long)f->id, f->user_id, f->message);
	if (a->fired)
		a->fired(a->fired_arg, f);
}

static void
on_trade(void *arg, const struct bus_event *ev)
{
	struct daemon_alerts *a = arg;

	if (!ev->history)
		alert_on_trade(a->e, ev->source, &ev->u.trade);
}

static void
on_bar(void *arg, const struct bus_event *ev)
{
	struct daemon_alerts *a = arg;

	if (!ev->history)
		alert_on_bar(a->e, ev->source, &ev->u.bar);
}

static void
on_sweep(void *arg)
{
	struct daemon_alerts *a = arg;

	alert_expire(a->e, loop_now_ns());
}

struct daemon_alerts *
alerts_start(struct loop *l, struct bus *b, const struct plugin_registry *reg,
	const char *store_url, size_t max_per_user, alert_fired_fn fired,
	void *fired_arg, char *err, size_t errlen)
{
	struct daemon_alerts *a = calloc(1, sizeof(*a));
	struct alert_options o;

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->loop = l;
	a->bus = b;
	a->tail = &a->head;
	a->fired = fired;
	a->fired_arg = fired_arg;
	memset(&o, 0, sizeof(o));
	o.indicators = reg;
	o.fired = on_fired;
	o.fired_arg = a;
	o.max_per_user = max_per_user;
	if ((a->e = alert_engine_new(&o)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (store_url != NULL) {
		if ((a->keeper = alert_keeper_start(store_url, a->e, 0, err,
		    errlen)) == NULL)
			goto fail;
	} else {
		log_warn("alert", "storage disabled: alerts are kept in memory "
			"only and lost at exit");
	}
	a->sub[0] = bus_subscribe(b, BUS_TRADE, 0, on_trade, a);
	a->sub[1] = bus_subscribe(b, BUS_BAR, 0, on_bar, a);
	a->sweep = loop_timer_add(l, 60000000000LL, 60000000000LL, on_sweep,
		a);
	if (a->sub[0] == 0 || a->sub[1] == 0 || a->sweep == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	alert_expire(a->e, loop_now_ns());
	return a;
fail:
	alerts_stop(a);
	return NULL;
}

void
alerts_stop(struct daemon_alerts *a)
{
	struct pending *p, *nx;

	if (a == NULL)
		return;
	/* fires not published yet: the instances that would receive them
	 * are gone; they are in the alerts' history */
	for (p = a->head; p != NULL; p = nx) {
		nx = p->next;
		pending_free(p);
	}
	loop_timer_cancel(a->flush);
	loop_timer_cancel(a->sweep);
	if (a->sub[0])
		bus_unsubscribe(a->bus, a->sub[0]);
	if (a->sub[1])
		bus_unsubscribe(a->bus, a->sub[1]);
	if (a->keeper != NULL) {
		alert_save_all(a->e);
		alert_keeper_stop(a->keeper, 10000);
	}
	alert_engine_free(a->e);
	free(a);
}

struct alert_engine *
alerts_engine(struct daemon_alerts *a)
{
	return a->e;
}

/* ---- control commands ---------------------------------------------------- */

static char *
print_free(cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

/* ctl_error_field(), the field (with_field) what a validation message
 * starts with ("condition.price: ..."). */
static char *
reply_error(const char *code, const char *msg, int with_field)
{
	const char *colon = strstr(msg, ": ");
	char field[128];

	if (!with_field || colon == NULL || (size_t)(colon - msg) >=
	    sizeof(field))
		return ctl_error(code, msg);
	memcpy(field, msg, (size_t)(colon - msg));
	field[colon - msg] = '\0';
	return ctl_error_field(code, msg, field);
}

static char *
reply_alert(const struct alert_engine *e, uint64_t id)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddItemToObject(o, "alert", alert_json(e, id, loop_now_ns()));
	return print_free(o);
}

/* Optional "user": a string, or absent.  -1 when malformed. */
static int
get_user(const cJSON *req, const char **user)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(req, "user");

	*user = NULL;
	if (u == NULL)
		return 0;
	if (!cJSON_IsString(u) || u->valuestring[0] == '\0')
		return -1;
	*user = u->valuestring;
	return 0;
}

/* "id": a whole number from 1; 0 when absent, -1 when malformed. */
static int
get_id(const cJSON *req, uint64_t *id)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, "id");

	*id = 0;
	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
	    v->valuedouble != floor(v->valuedouble) || v->valuedouble > 9e15)
		return -1;
	*id = (uint64_t)v->valuedouble;
	return 0;
}

/* The first member of req that is not in `known` (NULL-terminated). */
static const char *
unknown_member(const cJSON *req, const char *const *known)
{
	const cJSON *m;
	size_t i;

	cJSON_ArrayForEach(m, req) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(m->string, known[i]) == 0)
				break;
		if (known[i] == NULL)
			return m->string;
	}
	return NULL;
}

static char *
unknown_reply(const char *name)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%.60s: not a member of this command",
		name);
	return reply_error("bad_request", msg, 1);
}

static char *
create(struct alert_engine *e, const cJSON *req)
{
	static const char *const known[] = { "cmd", "user", "exchange",
		"symbol", "name", "condition", "fire", "cooldown_s", "expires",
		"channels", NULL };
	const char *bad = unknown_member(req, known);
	char err[256];
	uint64_t id;
	int rc;

	if (bad != NULL)
		return unknown_reply(bad);
	rc = alert_create(e, req, loop_now_ns(), &id, err, sizeof(err));
	if (rc == QD_ERR_LIMIT)
		return reply_error("limit_exceeded", err, 0);
	if (rc != QD_OK)
		return reply_error(rc == QD_ERR_INVALID ? "bad_request" :
			"failed", err, rc == QD_ERR_INVALID);
	return reply_alert(e, id);
}

static char *
update(struct alert_engine *e, uint64_t id, const cJSON *req)
{
	static const char *const known[] = { "cmd", "id", "user", "enabled",
		"fire", "cooldown_s", "expires", "name", "channels", NULL };
	const char *bad = unknown_member(req, known);
	char err[256];
	int rc;

	if (bad != NULL)
		return unknown_reply(bad);
	rc = alert_update(e, id, req, loop_now_ns(), err, sizeof(err));
	if (rc != QD_OK)
		return reply_error(rc == QD_ERR_INVALID ? "bad_request" :
			rc == QD_ERR_NOTFOUND ? "not_found" : "failed", err,
			rc == QD_ERR_INVALID);
	return reply_alert(e, id);
}

char *
alerts_request(struct daemon_alerts *a, const char *cmd, const cJSON *req)
{
	struct alert_engine *e = a->e;
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(req, "limit");
	const char *user, *owner;
	uint64_t id;
	cJSON *o;

	if (get_user(req, &user) != 0)
		return reply_error("bad_request", "user: expected a non-empty "
			"string", 1);
	if (strcmp(cmd, "alert.create") == 0)
		return create(e, req);
	if (strcmp(cmd, "alert.list") == 0) {
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", 1);
		cJSON_AddItemToObject(o, "alerts", alert_list_json(e, user,
			loop_now_ns()));
		return print_free(o);
	}
	if (get_id(req, &id) != 0)
		return reply_error("bad_request", "id: expected a whole number "
			"from 1", 1);
	if (strcmp(cmd, "alert.history") == 0) {
		if (lim != NULL && (!cJSON_IsNumber(lim) ||
		    lim->valuedouble < 0 || lim->valuedouble > 1e9))
			return reply_error("bad_request", "limit: expected a "
				"whole number from 0", 1);
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", 1);
		cJSON_AddItemToObject(o, "events", alert_history_json(e, id,
			user, lim ? (size_t)lim->valuedouble : 0));
		return print_free(o);
	}
	if (strcmp(cmd, "alert.get") != 0 && strcmp(cmd, "alert.update") != 0 &&
	    strcmp(cmd, "alert.delete") != 0)
		return reply_error("unknown_command", "unknown cmd", 0);
	if (id == 0)
		return reply_error("bad_request", "id: missing; expected a "
			"whole number from 1", 1);
	owner = alert_user(e, id);
	if (owner == NULL || (user != NULL && strcmp(owner, user) != 0))
		return reply_error("not_found", "no such alert", 0);
	if (strcmp(cmd, "alert.get") == 0)
		return reply_alert(e, id);
	if (strcmp(cmd, "alert.update") == 0)
		return update(e, id, req);
	alert_delete(e, id);
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddNumberToObject(o, "id", (double)id);
	return print_free(o);
}
