/*
 * keeper.c -- alert rows to the store on a thread of its own, so that the
 * core thread never waits on the database.
 *
 * The engine's sink copies each row into a queue (unbounded: rows come
 * from users' commands and from fires, each alert firing at most once per
 * event); the thread writes whatever is queued as one transaction.  A
 * failed transaction is rolled back and retried with backoff up to 5 s,
 * reconnecting first when the connection was lost, so nothing queued is
 * lost while the process lives.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert.h"
#include "log/log.h"
#include "util/deadline.h"

enum op_kind { OP_SAVE = 1, OP_REMOVE, OP_EVENT };

struct op {
	enum op_kind kind;
	struct store_alert a;        /* OP_SAVE: strings owned */
	struct store_alert_event ev; /* OP_EVENT: strings owned */
	uint64_t id;                 /* OP_REMOVE */
	struct op *next;
};

struct alert_keeper {
	struct store *s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake, idle;
	struct op *head, **tail;
	int stop;
	int busy;                    /* the thread holds a batch */
	uint64_t written, failures;
};

static void
op_free(struct op *o)
{
	if (o == NULL)
		return;
	if (o->kind == OP_SAVE) {
		free((char *)o->a.user_id);
		free((char *)o->a.exchange);
		free((char *)o->a.symbol);
		free((char *)o->a.name);
		free((char *)o->a.spec);
		free((char *)o->a.fire_mode);
		free((char *)o->a.state);
		free((char *)o->a.channels);
	} else if (o->kind == OP_EVENT) {
		free((char *)o->ev.user_id);
		free((char *)o->ev.message);
	}
	free(o);
}

static void
push(struct alert_keeper *k, struct op *o)
{
	pthread_mutex_lock(&k->mu);
	*k->tail = o;
	k->tail = &o->next;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->mu);
}

static void
sink_save(void *arg, const struct store_alert *a)
{
	struct op *o = calloc(1, sizeof(*o));

	if (o != NULL) {
		o->kind = OP_SAVE;
		o->a = *a;
		o->a.user_id = strdup(a->user_id);
		o->a.exchange = strdup(a->exchange);
		o->a.symbol = strdup(a->symbol);
		o->a.name = strdup(a->name);
		o->a.spec = strdup(a->spec);
		o->a.fire_mode = strdup(a->fire_mode);
		o->a.state = strdup(a->state);
		o->a.channels = a->channels ? strdup(a->channels) : NULL;
	}
	if (o == NULL || !o->a.user_id || !o->a.exchange || !o->a.symbol ||
	    !o->a.name || !o->a.spec || !o->a.fire_mode || !o->a.state ||
	    (a->channels && !o->a.channels)) {
		log_error("alert", "alert %llu not saved: out of memory",
			(unsigned long long)a->id);
		op_free(o);
		return;
	}
	push(arg, o);
}

static void
sink_remove(void *arg, uint64_t id)
{
	struct op *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		log_error("alert", "alert %llu not deleted from the store: out "
			"of memory", (unsigned long long)id);
		return;
	}
	o->kind = OP_REMOVE;
	o->id = id;
	push(arg, o);
}

static void
sink_event(void *arg, const struct store_alert_event *ev)
{
	struct op *o = calloc(1, sizeof(*o));

	if (o != NULL) {
		o->kind = OP_EVENT;
		o->ev = *ev;
		o->ev.user_id = strdup(ev->user_id);
		o->ev.message = strdup(ev->message);
	}
	if (o == NULL || !o->ev.user_id || !o->ev.message) {
		log_error("alert", "a fire of alert %llu not kept: out of "
			"memory", (unsigned long long)ev->alert_id);
		op_free(o);
		return;
	}
	push(arg, o);
}

/* Write a batch in one transaction.  QD_OK or the failing call's code. */
static int
write_batch(struct store *s, const struct op *o)
{
	int rc;

	if ((rc = store_begin(s)) != QD_OK)
		return rc;
	for (; o != NULL; o = o->next) {
		switch (o->kind) {
		case OP_SAVE:
			rc = store_put_alert(s, &o->a);
			break;
		case OP_REMOVE:
			rc = store_delete_alert(s, o->id);
			if (rc == QD_ERR_NOTFOUND)
				rc = QD_OK;  /* deleted before it was saved */
			break;
		case OP_EVENT:
			rc = store_put_alert_event(s, &o->ev);
			break;
		}
		if (rc != QD_OK) {
			store_rollback(s);
			return rc;
		}
	}
	return store_commit(s);
}

static void *
run(void *arg)
{
	struct alert_keeper *k = arg;
	struct op *batch, *nx;
	int backoff_ms = 100, n;

	pthread_mutex_lock(&k->mu);
	for (;;) {
		while (k->head == NULL && !k->stop)
			pthread_cond_wait(&k->wake, &k->mu);
		if (k->head == NULL && k->stop)
			break;
		batch = k->head;
		k->head = NULL;
		k->tail = &k->head;
		k->busy = 1;
		pthread_mutex_unlock(&k->mu);
		for (;;) {
			if (write_batch(k->s, batch) == QD_OK)
				break;
			pthread_mutex_lock(&k->mu);
			k->failures++;
			n = k->stop;
			pthread_mutex_unlock(&k->mu);
			log_error("alert", "writing alerts to the store: %s; "
				"retrying", store_error(k->s));
			if (n && backoff_ms >= 5000)
				break;  /* stopping: the caller's wait ends it */
			if (!store_connected(k->s))
				store_reconnect(k->s);
			nanosleep(&(struct timespec){ backoff_ms / 1000,
				(backoff_ms % 1000) * 1000000L }, NULL);
			backoff_ms = backoff_ms * 2 > 5000 ? 5000 :
			    backoff_ms * 2;
		}
		backoff_ms = 100;
		for (n = 0; batch != NULL; batch = nx, n++) {
			nx = batch->next;
			op_free(batch);
		}
		pthread_mutex_lock(&k->mu);
		k->written += (uint64_t)n;
		k->busy = 0;
		pthread_cond_broadcast(&k->idle);
	}
	k->busy = 0;
	pthread_cond_broadcast(&k->idle);
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

struct load {
	struct alert_engine *e;
	struct store_alert_event *ev;
	size_t n, cap;
	size_t loaded, skipped;
};

static int
load_alert(void *arg, const struct store_alert *a)
{
	struct load *l = arg;
	char err[256];

	if (alert_restore(l->e, a, err, sizeof(err)) != QD_OK) {
		log_error("alert", "stored alert %llu of %s not loaded: %s",
			(unsigned long long)a->id, a->user_id, err);
		l->skipped++;
	} else {
		l->loaded++;
	}
	return 0;
}

static int
load_event(void *arg, const struct store_alert_event *ev)
{
	struct load *l = arg;
	struct store_alert_event *c;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		if ((c = realloc(l->ev, cap * sizeof(*c))) == NULL)
			return 1;
		l->ev = c;
		l->cap = cap;
	}
	c = &l->ev[l->n];
	*c = *ev;
	c->user_id = strdup(ev->user_id);
	c->message = strdup(ev->message);
	if (c->user_id == NULL || c->message == NULL) {
		free((char *)c->user_id);
		free((char *)c->message);
		return 1;
	}
	l->n++;
	return 0;
}

struct alert_keeper *
alert_keeper_start(const char *url, struct alert_engine *e, size_t history,
	char *err, size_t errlen)
{
	struct alert_keeper *k = calloc(1, sizeof(*k));
	struct alert_sink sink = { sink_save, sink_remove, sink_event, k };
	struct load l;
	size_t i;
	int rc;

	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (store_open(url, STORE_ROLE_WRITER, &k->s, err, errlen) != QD_OK) {
		free(k);
		return NULL;
	}
	memset(&l, 0, sizeof(l));
	l.e = e;
	rc = store_alerts(k->s, load_alert, &l);
	if (rc == QD_OK)
		rc = store_alert_events(k->s, 0, history ? history :
			ALERT_HISTORY_DEFAULT, load_event, &l);
	if (rc != QD_OK)
		snprintf(err, errlen, "reading alerts: %s", store_error(k->s));
	for (i = l.n; i-- > 0;) {
		if (rc == QD_OK)
			alert_restore_event(e, &l.ev[i]);
		free((char *)l.ev[i].user_id);
		free((char *)l.ev[i].message);
	}
	free(l.ev);
	if (rc != QD_OK)
		goto fail;
	if (l.loaded || l.skipped)
		log_info("alert", "%zu alert(s) loaded from the store%s", l.loaded,
			l.skipped ? ", some skipped (see above)" : "");
	k->tail = &k->head;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->wake, NULL);
	pthread_cond_init(&k->idle, NULL);
	if ((rc = pthread_create(&k->thread, NULL, run, k)) != 0) {
		snprintf(err, errlen, "cannot start the alert store thread: "
			"%s", strerror(rc));
		pthread_mutex_destroy(&k->mu);
		pthread_cond_destroy(&k->wake);
		pthread_cond_destroy(&k->idle);
		goto fail;
	}
	alert_engine_set_sink(e, &sink);
	return k;
fail:
	store_close(k->s);
	free(k);
	return NULL;
}

void
alert_keeper_stats(struct alert_keeper *k, uint64_t *written,
	uint64_t *failures)
{
	pthread_mutex_lock(&k->mu);
	*written = k->written;
	*failures = k->failures;
	pthread_mutex_unlock(&k->mu);
}

void
alert_keeper_stop(struct alert_keeper *k, int timeout_ms)
{
	struct timespec until;
	struct op *o, *nx;
	size_t lost = 0;

	if (k == NULL)
		return;
	until = deadline_in(timeout_ms);
	pthread_mutex_lock(&k->mu);
	while ((k->head != NULL || k->busy) &&
	    pthread_cond_timedwait(&k->idle, &k->mu, &until) != ETIMEDOUT)
		;
	k->stop = 1;
	for (o = k->head; o != NULL; o = nx, lost++) {
		nx = o->next;
		op_free(o);
	}
	k->head = NULL;
	k->tail = &k->head;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->thread, NULL);
	if (lost)
		log_error("alert", "%zu alert row(s) not written: the store "
			"stayed away", lost);
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->wake);
	pthread_cond_destroy(&k->idle);
	store_close(k->s);
	free(k);
}
