/*
 * journal.c -- trading records to the store, ahead of what they allow
 * (see journal.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quantd/sdk.h>

#include "log/log.h"
#include "util/deadline.h"
#include "loop/loop.h"
#include "metrics/metrics.h"
#include "trade/journal.h"

enum rec_kind { R_ACCOUNT, R_ORDER, R_FILL, R_POSTINGS, R_RISK, R_STATE,
	R_NOTIFY };

/* One queued record: the struct with its strings copied after it. */
struct rec {
	struct rec *next;
	enum rec_kind kind;
	uint64_t seq;
	size_t n;                     /* postings */
	union {
		struct store_account a;
		struct store_order o;
		struct store_fill f;
		struct store_risk_event r;
		struct store_notification nt;
	} u;
	struct store_posting *p;      /* postings, after the strings */
	const char *key;              /* R_STATE: key, then n bytes */
	const void *blob;
	char buf[];
};

struct journal {
	struct loop *loop;
	struct store *store;
	char *url;
	void (*durable_fn)(void *arg, uint64_t seq);
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake, idle;
	struct rec *head, **tail;     /* queue */
	int stop, busy;
	/* Core thread: a group being collected, queued whole at its end. */
	int grouping;
	struct rec *ghead, **gtail;
	uint64_t last;                /* core thread: last seq handed out */
	_Atomic uint64_t durable;
	_Atomic int failing;        /* the last write failed: retrying */
	_Atomic uint64_t records, commits, failures;
	struct metrics_histogram *latency;  /* commits observed, or NULL */
};

/* ---- copying records -------------------------------------------------------- */

/* Bytes a string needs in the record (NULL stays NULL). */
static size_t
slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Copy *s into the record's buffer at *at and point *s at the copy. */
static void
scopy(const char **s, char **at)
{
	size_t n;

	if (*s == NULL)
		return;
	n = strlen(*s) + 1;
	memcpy(*at, *s, n);
	*s = *at;
	*at += n;
}

static struct rec *
rec_new(enum rec_kind kind, size_t extra)
{
	struct rec *r = calloc(1, sizeof(*r) + extra);

	if (r != NULL)
		r->kind = kind;
	return r;
}

static uint64_t
push(struct journal *j, struct rec *r)
{
	if (r == NULL) {
		log_error("journal", "out of memory: a trading record is not "
			"written (orders waiting on it stay unsent)");
		return 0;
	}
	r->seq = ++j->last;
	if (j->grouping) {
		*j->gtail = r;
		j->gtail = &r->next;
		return r->seq;
	}
	/* Once queued, the record is the journal thread's: j->last is the
	 * answer, not r->seq. */
	pthread_mutex_lock(&j->mu);
	*j->tail = r;
	j->tail = &r->next;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->mu);
	return j->last;
}

void
journal_group_begin(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->grouping++ > 0)
		return;             /* nested: one group */
	j->ghead = NULL;
	j->gtail = &j->ghead;
}

void
journal_group_end(struct journal *j)
{
	if (j == NULL || j->grouping == 0 || --j->grouping > 0)
		return;
	if (j->ghead == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	*j->tail = j->ghead;
	j->tail = j->gtail;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->mu);
}

uint64_t
journal_account(struct journal *j, const struct store_account *a)
{
	struct rec *r = rec_new(R_ACCOUNT, slen(a->id) + slen(a->owner) +
		slen(a->instance) + slen(a->venue) + slen(a->quote));
	char *at;

	if (r != NULL) {
		r->u.a = *a;
		at = r->buf;
		scopy(&r->u.a.id, &at);
		scopy(&r->u.a.owner, &at);
		scopy(&r->u.a.instance, &at);
		scopy(&r->u.a.venue, &at);
		scopy(&r->u.a.quote, &at);
	}
	return push(j, r);
}

uint64_t
journal_order(struct journal *j, const struct store_order *o)
{
	struct rec *r = rec_new(R_ORDER, slen(o->client_id) +
		slen(o->account) + slen(o->instance) + slen(o->venue) +
		slen(o->symbol) + slen(o->qty) + slen(o->price) +
		slen(o->stop_price) + slen(o->trail) + slen(o->filled) +
		slen(o->avg_price) + slen(o->fees) + slen(o->venue_order_id) +
		slen(o->reason) + slen(o->tag));
	char *at;

	if (r != NULL) {
		struct store_order *c = &r->u.o;

		*c = *o;
		at = r->buf;
		scopy(&c->client_id, &at);
		scopy(&c->account, &at);
		scopy(&c->instance, &at);
		scopy(&c->venue, &at);
		scopy(&c->symbol, &at);
		scopy(&c->qty, &at);
		scopy(&c->price, &at);
		scopy(&c->stop_price, &at);
		scopy(&c->trail, &at);
		scopy(&c->filled, &at);
		scopy(&c->avg_price, &at);
		scopy(&c->fees, &at);
		scopy(&c->venue_order_id, &at);
		scopy(&c->reason, &at);
		scopy(&c->tag, &at);
	}
	return push(j, r);
}

uint64_t
journal_fill(struct journal *j, const struct store_fill *f)
{
	struct rec *r = rec_new(R_FILL, slen(f->trade_id) + slen(f->account) +
		slen(f->symbol) + slen(f->qty) + slen(f->price) +
		slen(f->fee) + slen(f->fee_asset));
	char *at;

	if (r != NULL) {
		struct store_fill *c = &r->u.f;

		*c = *f;
		at = r->buf;
		scopy(&c->trade_id, &at);
		scopy(&c->account, &at);
		scopy(&c->symbol, &at);
		scopy(&c->qty, &at);
		scopy(&c->price, &at);
		scopy(&c->fee, &at);
		scopy(&c->fee_asset, &at);
	}
	return push(j, r);
}

uint64_t
journal_postings(struct journal *j, const struct store_posting *p, size_t n)
{
	size_t i, strs = 0;
	struct rec *r;
	char *at;

	for (i = 0; i < n; i++)
		strs += slen(p[i].kind) + slen(p[i].ref) + slen(p[i].account) +
			slen(p[i].asset) + slen(p[i].amount);
	/* The postings array first (aligned), then their strings. */
	r = rec_new(R_POSTINGS, n * sizeof(*p) + strs);
	if (r != NULL) {
		r->n = n;
		r->p = (struct store_posting *)(void *)r->buf;
		memcpy(r->p, p, n * sizeof(*p));
		at = r->buf + n * sizeof(*p);
		for (i = 0; i < n; i++) {
			scopy(&r->p[i].kind, &at);
			scopy(&r->p[i].ref, &at);
			scopy(&r->p[i].account, &at);
			scopy(&r->p[i].asset, &at);
			scopy(&r->p[i].amount, &at);
		}
	}
	return push(j, r);
}

uint64_t
journal_risk(struct journal *j, const struct store_risk_event *e)
{
	struct rec *r = rec_new(R_RISK, slen(e->scope) + slen(e->scope_id) +
		slen(e->rule) + slen(e->actions) + slen(e->symbol) +
		slen(e->reason));
	char *at;

	if (r != NULL) {
		struct store_risk_event *c = &r->u.r;

		*c = *e;
		at = r->buf;
		scopy(&c->scope, &at);
		scopy(&c->scope_id, &at);
		scopy(&c->rule, &at);
		scopy(&c->actions, &at);
		scopy(&c->symbol, &at);
		scopy(&c->reason, &at);
	}
	return push(j, r);
}

uint64_t
journal_state(struct journal *j, const char *key, const void *buf, size_t len)
{
	struct rec *r = rec_new(R_STATE, strlen(key) + 1 + len);

	if (r != NULL) {
		memcpy(r->buf, buf, len);
		memcpy(r->buf + len, key, strlen(key) + 1);
		r->blob = r->buf;
		r->n = len;
		r->key = r->buf + len;
	}
	return push(j, r);
}

uint64_t
journal_notification(struct journal *j, const struct store_notification *n)
{
	struct rec *r = rec_new(R_NOTIFY, slen(n->dkey) + slen(n->channel) +
		slen(n->event) + slen(n->owner) + slen(n->title) +
		slen(n->body) + slen(n->recipient) + slen(n->last_error) +
		slen(n->user_channel));
	char *at;

	if (r != NULL) {
		struct store_notification *c = &r->u.nt;

		*c = *n;
		at = r->buf;
		scopy(&c->dkey, &at);
		scopy(&c->channel, &at);
		scopy(&c->event, &at);
		scopy(&c->owner, &at);
		scopy(&c->title, &at);
		scopy(&c->body, &at);
		scopy(&c->recipient, &at);
		scopy(&c->last_error, &at);
		scopy(&c->user_channel, &at);
	}
	return push(j, r);
}

/* ---- the thread --------------------------------------------------------------- */

static int
write_one(struct store *s, const struct rec *r)
{
	int rc = QD_OK;

	switch (r->kind) {
	case R_ACCOUNT:
		rc = store_put_account(s, &r->u.a);
		break;
	case R_ORDER:
		rc = store_put_order(s, &r->u.o);
		break;
	case R_FILL:
		rc = store_put_fill(s, &r->u.f);
		if (rc == QD_ERR_STATE)
			rc = QD_OK;   /* kept once: already there */
		break;
	case R_POSTINGS:
		rc = store_put_postings(s, r->p, r->n);
		break;
	case R_RISK:
		rc = store_put_risk_event(s, &r->u.r);
		break;
	case R_STATE:
		rc = store_state_save(s, r->key, r->blob, r->n);
		break;
	case R_NOTIFY:
		rc = store_put_notification(s, &r->u.nt);
		break;
	}
	return rc;
}

static int
write_batch(struct journal *j, struct rec *batch)
{
	struct rec *r;
	int rc;

	if (!store_connected(j->store) &&
	    store_reconnect(j->store) != QD_OK)
		return QD_ERR_IO;
	if ((rc = store_begin(j->store)) != QD_OK)
		return rc;
	for (r = batch; r != NULL; r = r->next)
		if ((rc = write_one(j->store, r)) != QD_OK) {
			store_rollback(j->store);
			return rc;
		}
	return store_commit(j->store);
}

static void
on_durable(void *arg, void *msg, size_t len)
{
	struct journal *j = arg;
	uint64_t seq;

	(void)len;
	memcpy(&seq, msg, sizeof(seq));
	if (j->durable_fn != NULL)
		j->durable_fn(j->arg, seq);
}

static void *
journal_main(void *arg)
{
	struct journal *j = arg;
	int64_t backoff_ms = 50;
	int64_t logged = 0;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		struct rec *batch, *r, *next;
		uint64_t top = 0, n = 0;
		int rc;

		while (!j->stop && j->head == NULL)
			pthread_cond_wait(&j->wake, &j->mu);
		if (j->head == NULL)
			break;
		batch = j->head;
		j->head = NULL;
		j->tail = &j->head;
		j->busy = 1;
		pthread_mutex_unlock(&j->mu);
		for (;;) {
			struct timespec t0, t1;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			rc = write_batch(j, batch);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (rc == QD_OK) {
				metrics_histogram_observe(j->latency,
					(t1.tv_sec - t0.tv_sec) * 1000000000LL +
					t1.tv_nsec - t0.tv_nsec);
				break;
			}
			atomic_fetch_add(&j->failures, 1);
			if (!atomic_exchange(&j->failing, 1)) {
				pthread_mutex_lock(&j->mu);
				pthread_cond_broadcast(&j->idle);
				pthread_mutex_unlock(&j->mu);
			}
			if (logged++ % 50 == 0)
				log_error("journal", "writing trading records "
					"failed (retrying; no order is sent "
					"meanwhile): %s", store_error(j->store));
			{
				struct timespec ts = { (time_t)(backoff_ms /
					1000), (long)(backoff_ms % 1000) *
					1000000L };

				nanosleep(&ts, NULL);
			}
			backoff_ms = backoff_ms * 2 > 5000 ? 5000 :
				backoff_ms * 2;
			pthread_mutex_lock(&j->mu);
			if (j->stop && j->stop > 1) {
				pthread_mutex_unlock(&j->mu);
				break;   /* giving up at stop: counted */
			}
			pthread_mutex_unlock(&j->mu);
		}
		backoff_ms = 50;
		if (rc == QD_OK)
			atomic_store(&j->failing, 0);
		for (r = batch; r != NULL; r = next) {
			next = r->next;
			top = r->seq;
			n++;
			free(r);
		}
		if (rc != QD_OK)
			log_error("journal", "%llu trading record(s) not "
				"written at stop", (unsigned long long)n);
		pthread_mutex_lock(&j->mu);
		j->busy = 0;
		if (rc == QD_OK) {
			atomic_store(&j->durable, top);
			atomic_fetch_add(&j->records, n);
			atomic_fetch_add(&j->commits, 1);
			pthread_mutex_unlock(&j->mu);
			loop_post(j->loop, on_durable, j, &top, sizeof(top));
			pthread_mutex_lock(&j->mu);
		}
		pthread_cond_broadcast(&j->idle);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

struct journal *
journal_start(struct loop *loop, const char *url, int power_safe,
	void (*durable)(void *arg, uint64_t seq), void *arg,
	struct metrics_histogram *latency, char *err, size_t errlen)
{
	struct journal *j = calloc(1, sizeof(*j));
	int rc;

	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->loop = loop;
	j->durable_fn = durable;
	j->arg = arg;
	j->latency = latency;
	j->tail = &j->head;
	rc = store_open(url, power_safe ? STORE_ROLE_ADMIN : STORE_ROLE_WRITER,
		&j->store, err, errlen);
	if (rc != QD_OK) {
		free(j);
		return NULL;
	}
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->wake, NULL);
	pthread_cond_init(&j->idle, NULL);
	if (pthread_create(&j->thread, NULL, journal_main, j) != 0) {
		snprintf(err, errlen, "cannot start the journal thread");
		store_close(j->store);
		pthread_mutex_destroy(&j->mu);
		pthread_cond_destroy(&j->wake);
		pthread_cond_destroy(&j->idle);
		free(j);
		return NULL;
	}
	return j;
}

void
journal_stop(struct journal *j, int timeout_ms)
{
	struct timespec ts;
	struct rec *r, *next;
	size_t lost = 0;

	if (j == NULL)
		return;
	ts = deadline_in(timeout_ms);
	pthread_mutex_lock(&j->mu);
	while ((j->head != NULL || j->busy) &&
	    pthread_cond_timedwait(&j->idle, &j->mu, &ts) != ETIMEDOUT)
		;
	j->stop = j->head != NULL || j->busy ? 2 : 1;
	pthread_cond_broadcast(&j->wake);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	for (r = j->head; r != NULL; r = next) {
		next = r->next;
		free(r);
		lost++;
	}
	if (lost > 0)
		log_error("journal", "%zu trading record(s) not written at "
			"stop: the database did not come back in time", lost);
	store_close(j->store);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->wake);
	pthread_cond_destroy(&j->idle);
	free(j);
}

int
journal_wait(struct journal *j, uint64_t seq, int timeout_ms)
{
	struct timespec ts;
	int rc = QD_OK;

	ts = deadline_in(timeout_ms);
	pthread_mutex_lock(&j->mu);
	while (atomic_load(&j->durable) < seq) {
		if (atomic_load(&j->failing)) {
			rc = QD_ERR_STATE;   /* not waiting on a retrying store */
			break;
		}
		if (pthread_cond_timedwait(&j->idle, &j->mu, &ts) ==
		    ETIMEDOUT) {
			rc = atomic_load(&j->durable) < seq ? QD_ERR_TIMEOUT :
			    QD_OK;
			break;
		}
	}
	pthread_mutex_unlock(&j->mu);
	return rc;
}

uint64_t
journal_durable(const struct journal *j)
{
	return atomic_load(&((struct journal *)j)->durable);
}

uint64_t
journal_last(const struct journal *j)
{
	return j->last;
}

void
journal_stats(struct journal *j, struct journal_stats *out)
{
	struct rec *r;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&j->mu);
	for (r = j->head; r != NULL; r = r->next)
		n++;
	pthread_mutex_unlock(&j->mu);
	out->queued = n;
	out->records = atomic_load(&j->records);
	out->commits = atomic_load(&j->commits);
	out->failures = atomic_load(&j->failures);
	out->durable = atomic_load(&j->durable);
}
