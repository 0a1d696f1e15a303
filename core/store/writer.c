/*
 * writer.c -- the store thread (see writer.h).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quantd/sdk.h>

#include "log/log.h"
#include "loop/loop.h"
#include "store/writer.h"

#define NAME_MAX_LEN 63

enum { ROW_CANDLE = 1, ROW_TRADE = 2 };

struct row {
	int kind;
	char exchange[NAME_MAX_LEN + 1];
	char symbol[NAME_MAX_LEN + 1];
	char tf[8];
	union {
		struct store_candle c;
		struct store_trade t;
	} u;
};

/* A saved plugin state: the cache entry and, while `dirty`, a pending
 * write. */
struct saved {
	struct saved *next;
	char *instance;
	void *data;
	size_t len;
	int dirty;           /* written by the next batch (under mu) */
};

struct writer {
	struct loop *loop;
	struct writer_options o;
	struct store *store;         /* the thread's */
	pthread_t thread;
	int started;

	pthread_mutex_t mu;
	pthread_cond_t wake;         /* rows or states to write, or stop */
	struct row *ring;            /* queue_rows slots */
	size_t head, count;
	struct saved *states;        /* every state, newest data */
	int n_dirty;
	int stop;
	int64_t stop_deadline_ms;
	struct writer_stats st;      /* counters, under mu */

	/* core thread only */
	struct row *backlog;         /* FIFO overflow */
	size_t bl_head, bl_count, bl_cap;
	struct loop_timer *drain;
	int dropping;                /* logging a run of drops */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
deadline_in(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* ---- the thread ---------------------------------------------------------- */

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	if ((c = strcmp(x->exchange, y->exchange)) != 0 ||
	    (c = strcmp(x->symbol, y->symbol)) != 0 ||
	    (c = strcmp(x->tf, y->tf)) != 0)
		return c;
	return 0;
}

/* Stable grouping by series: a merge sort keeps each series' rows in
 * arrival order, so a corrected candle written later still wins. */
static void
group_rows(struct row *r, struct row *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	group_rows(r, tmp, mid);
	group_rows(r + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = row_cmp(&r[j], &r[i]) < 0 ? r[j++] : r[i++];
	while (i < mid)
		tmp[k++] = r[i++];
	while (j < n)
		tmp[k++] = r[j++];
	memcpy(r, tmp, n * sizeof(*r));
}

/* One transaction: the rows, grouped by series, and the pending states. */
static int
write_batch(struct writer *w, struct row *rows, size_t n,
	struct store_candle *cbuf, struct store_trade *tbuf,
	struct saved **states, size_t n_states)
{
	struct store *s = w->store;
	size_t i = 0, j, k;
	int rc;

	if ((rc = store_begin(s)) != QD_OK)
		return rc;
	while (i < n) {
		struct store_series k0 = { rows[i].exchange, rows[i].symbol,
			rows[i].tf };

		for (j = i; j < n && row_cmp(&rows[j], &rows[i]) == 0; j++)
			;
		if (rows[i].kind == ROW_CANDLE) {
			for (k = i; k < j; k++)
				cbuf[k - i] = rows[k].u.c;
			rc = store_put_candles(s, &k0, cbuf, j - i);
		} else {
			for (k = i; k < j; k++)
				tbuf[k - i] = rows[k].u.t;
			rc = store_put_trades(s, &k0, tbuf, j - i);
		}
		if (rc != QD_OK)
			goto fail;
		i = j;
	}
	for (i = 0; i < n_states; i++)
		if ((rc = store_state_save(s, states[i]->instance,
		    states[i]->data, states[i]->len)) != QD_OK)
			goto fail;
	if ((rc = store_commit(s)) != QD_OK)
		goto fail;
	return QD_OK;
fail:
	store_rollback(s);
	return rc;
}

static void
note_failure(struct writer *w, int64_t *logged_at_ms, const char *msg)
{
	int64_t now = mono_ms();

	pthread_mutex_lock(&w->mu);
	w->st.failures++;
	w->st.healthy = 0;
	/* One line per new problem, then one every 30 s while it lasts. */
	if (strcmp(w->st.last_error, msg) != 0 || now - *logged_at_ms > 30000) {
		snprintf(w->st.last_error, sizeof(w->st.last_error), "%s", msg);
		pthread_mutex_unlock(&w->mu);
		log_error("store", "write failed, will retry: %s", msg);
		*logged_at_ms = now;
		return;
	}
	pthread_mutex_unlock(&w->mu);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	size_t cap = (size_t)w->o.flush_rows;
	struct row *rows = malloc(cap * sizeof(*rows));
	struct row *tmp = malloc(cap * sizeof(*tmp));
	struct store_candle *cbuf = malloc(cap * sizeof(*cbuf));
	struct store_trade *tbuf = malloc(cap * sizeof(*tbuf));
	struct saved **states = NULL;
	size_t n_states = 0, cap_states = 0, n = 0, i;
	int64_t backoff = 100, first_wait = 0, last_prune = 0;
	int64_t logged_at = 0;
	int rc;

	if (rows == NULL || tmp == NULL || cbuf == NULL || tbuf == NULL) {
		log_error("store", "writer: out of memory; nothing is stored");
		goto out;
	}
	pthread_mutex_lock(&w->mu);
	for (;;) {
		/* Wait for work; let a partial batch fill for flush_ms. */
		while (!w->stop && w->count == 0 && w->n_dirty == 0)
			pthread_cond_wait(&w->wake, &w->mu);
		if (!w->stop && w->count < cap && w->n_dirty == 0) {
			struct timespec ts;

			first_wait = mono_ms();
			deadline_in(&ts, w->o.flush_ms);
			while (!w->stop && w->count < cap &&
			    mono_ms() - first_wait < w->o.flush_ms)
				if (pthread_cond_timedwait(&w->wake, &w->mu,
				    &ts) == ETIMEDOUT)
					break;
		}
		if (w->stop && w->count == 0 && w->n_dirty == 0)
			break;
		/* Take a batch out of the queue. */
		for (n = 0; n < cap && w->count > 0; n++) {
			rows[n] = w->ring[w->head];
			w->head = (w->head + 1) % w->o.queue_rows;
			w->count--;
		}
		n_states = 0;
		if (w->n_dirty) {
			struct saved *sv;

			if ((size_t)w->n_dirty > cap_states) {
				struct saved **ns = realloc(states,
					(size_t)w->n_dirty * sizeof(*ns));

				if (ns != NULL) {
					states = ns;
					cap_states = (size_t)w->n_dirty;
				}
			}
			for (sv = w->states; sv && n_states < cap_states;
			     sv = sv->next)
				if (sv->dirty) {
					/* Write a copy: the core thread may
					 * replace the data meanwhile. */
					struct saved *c = calloc(1, sizeof(*c));

					if (c == NULL)
						continue;
					c->instance = strdup(sv->instance);
					c->data = malloc(sv->len ? sv->len : 1);
					if (c->instance == NULL || c->data == NULL) {
						free(c->instance);
						free(c->data);
						free(c);
						continue;
					}
					if (sv->len)
						memcpy(c->data, sv->data,
						    sv->len);
					c->len = sv->len;
					sv->dirty = 0;
					w->n_dirty--;
					states[n_states++] = c;
				}
		}
		pthread_mutex_unlock(&w->mu);

		group_rows(rows, tmp, n);
		for (;;) {
			if (!store_connected(w->store)) {
				if (store_reconnect(w->store) == QD_OK) {
					pthread_mutex_lock(&w->mu);
					w->st.reconnects++;
					pthread_mutex_unlock(&w->mu);
					log_info("store", "reconnected to the "
						"database");
				}
			}
			{
				struct timespec t0, t1;

				clock_gettime(CLOCK_MONOTONIC, &t0);
				rc = write_batch(w, rows, n, cbuf, tbuf,
					states, n_states);
				clock_gettime(CLOCK_MONOTONIC, &t1);
				if (rc == QD_OK)
					metrics_histogram_observe(
						w->o.commit_latency,
						(t1.tv_sec - t0.tv_sec) *
						1000000000LL + t1.tv_nsec -
						t0.tv_nsec);
			}
			if (rc == QD_OK)
				break;
			note_failure(w, &logged_at, store_error(w->store));
			pthread_mutex_lock(&w->mu);
			if (w->stop && mono_ms() > w->stop_deadline_ms) {
				w->st.dropped += n;
				pthread_mutex_unlock(&w->mu);
				log_error("store", "stopping: %zu rows and %zu "
					"states could not be written: %s", n,
					n_states, store_error(w->store));
				break;
			}
			{
				struct timespec ts;

				deadline_in(&ts, backoff);
				pthread_cond_timedwait(&w->wake, &w->mu, &ts);
			}
			pthread_mutex_unlock(&w->mu);
			backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
		}
		for (i = 0; i < n_states; i++) {
			free(states[i]->instance);
			free(states[i]->data);
			free(states[i]);
		}
		pthread_mutex_lock(&w->mu);
		if (rc == QD_OK) {
			if (!w->st.healthy && w->st.failures)
				log_info("store", "writing again");
			backoff = 100;
			w->st.rows_written += n;
			w->st.states_written += n_states;
			w->st.batches++;
			w->st.healthy = 1;
			w->st.last_commit_ms = store_now_ms();
		}
		/* Retention of trades, every ten minutes. */
		if (w->o.trades_retention_ms > 0 &&
		    mono_ms() - last_prune > 600000) {
			int64_t deleted = 0;

			last_prune = mono_ms();
			pthread_mutex_unlock(&w->mu);
			if (store_prune(w->store, NULL, store_now_ms() -
			    w->o.trades_retention_ms, STORE_PRUNE_TRADES,
			    &deleted) != QD_OK)
				log_warn("store", "pruning trades: %s",
					store_error(w->store));
			else if (deleted)
				log_info("store", "pruned %lld trades older "
					"than the retention", (long long)deleted);
			pthread_mutex_lock(&w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
out:
	free(rows);
	free(tmp);
	free(cbuf);
	free(tbuf);
	free(states);
	return NULL;
}

/* ---- the core thread ------------------------------------------------------ */

static int
load_state(void *arg, const char *instance, const void *data, size_t len)
{
	struct writer *w = arg;
	struct saved *sv = calloc(1, sizeof(*sv));

	if (sv == NULL || (sv->instance = strdup(instance)) == NULL ||
	    (sv->data = malloc(len ? len : 1)) == NULL) {
		if (sv)
			free(sv->instance);
		free(sv);
		return 1;
	}
	if (len)
		memcpy(sv->data, data, len);
	sv->len = len;
	sv->next = w->states;
	w->states = sv;
	return 0;
}

struct writer *
writer_start(struct loop *loop, const struct writer_options *o, char *err,
	size_t errlen)
{
	struct writer *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;

	if (w == NULL) {
		snprintf(err, errlen, "storage: out of memory");
		return NULL;
	}
	w->loop = loop;
	w->o = *o;
	if (w->o.flush_rows < 1)
		w->o.flush_rows = 1;
	if (w->o.queue_rows < 16)
		w->o.queue_rows = 16;
	w->ring = malloc(w->o.queue_rows * sizeof(*w->ring));
	if (w->ring == NULL) {
		snprintf(err, errlen, "storage: out of memory for the queue");
		free(w);
		return NULL;
	}
	if (store_open(o->url, STORE_ROLE_WRITER, &w->store, err, errlen) !=
	    QD_OK) {
		free(w->ring);
		free(w);
		return NULL;
	}
	if (store_state_each(w->store, load_state, w) != QD_OK) {
		snprintf(err, errlen, "storage: loading plugin state: %s",
			store_error(w->store));
		store_close(w->store);
		free(w->ring);
		free(w);
		return NULL;
	}
	w->o.url = NULL;  /* the caller's string; not kept */
	snprintf(w->st.backend, sizeof(w->st.backend), "%s",
		store_backend_name(w->store));
	w->st.healthy = 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		snprintf(err, errlen, "storage: cannot start the writer thread");
		writer_stop(w, 0);
		return NULL;
	}
	w->started = 1;
	return w;
}

/* Move backlog rows into the queue while it has room. */
static void
drain_backlog(struct writer *w)
{
	size_t moved = 0;

	if (w->bl_count == 0)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->bl_count > 0 && w->count < w->o.queue_rows) {
		w->ring[(w->head + w->count) % w->o.queue_rows] =
		    w->backlog[w->bl_head];
		w->count++;
		w->bl_head = (w->bl_head + 1) % w->bl_cap;
		w->bl_count--;
		moved++;
	}
	w->st.backlog = w->bl_count;
	if (moved)
		pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
}

static void
drain_tick(void *arg)
{
	struct writer *w = arg;

	drain_backlog(w);
	if (w->bl_count == 0) {
		loop_timer_cancel(w->drain);
		w->drain = NULL;
		if (w->dropping)
			log_info("store", "the store caught up; nothing more "
				"dropped");
		w->dropping = 0;
	}
}

/* Append to the backlog (a ring that grows up to backlog_rows). */
static int
backlog_push(struct writer *w, const struct row *r)
{
	if (w->bl_count == w->bl_cap) {
		size_t cap = w->bl_cap ? w->bl_cap * 2 : 4096, i;
		struct row *n;

		if (cap > w->o.backlog_rows)
			cap = w->o.backlog_rows;
		if (cap <= w->bl_cap || (n = malloc(cap * sizeof(*n))) == NULL)
			return QD_ERR_LIMIT;
		for (i = 0; i < w->bl_count; i++)
			n[i] = w->backlog[(w->bl_head + i) % w->bl_cap];
		free(w->backlog);
		w->backlog = n;
		w->bl_cap = cap;
		w->bl_head = 0;
	}
	w->backlog[(w->bl_head + w->bl_count) % w->bl_cap] = *r;
	w->bl_count++;
	return QD_OK;
}

static int
enqueue(struct writer *w, const struct row *r)
{
	int queued = 0;

	if (w->bl_count)
		drain_backlog(w);
	if (w->bl_count == 0) {
		pthread_mutex_lock(&w->mu);
		if (w->count < w->o.queue_rows) {
			w->ring[(w->head + w->count) % w->o.queue_rows] = *r;
			if (w->count++ == 0 || w->count == (size_t)w->o.flush_rows)
				pthread_cond_signal(&w->wake);
			queued = 1;
		}
		pthread_mutex_unlock(&w->mu);
		if (queued)
			return QD_OK;
	}
	if (backlog_push(w, r) != QD_OK) {
		/* The stated policy: past the backlog the oldest row goes. */
		pthread_mutex_lock(&w->mu);
		w->st.dropped++;
		pthread_mutex_unlock(&w->mu);
		if (!w->dropping)
			log_error("store", "the database is behind by more "
				"than %zu rows: dropping the oldest rows until "
				"it catches up (counted in the store stats)",
				w->o.backlog_rows);
		w->dropping = 1;
		if (w->bl_count == 0)
			return QD_ERR_LIMIT;
		w->bl_head = (w->bl_head + 1) % w->bl_cap;
		w->bl_count--;
		backlog_push(w, r);
	}
	if (w->drain == NULL)
		w->drain = loop_timer_add(w->loop, 5000000, 5000000,
			drain_tick, w);
	pthread_mutex_lock(&w->mu);
	w->st.backlog = w->bl_count;
	pthread_mutex_unlock(&w->mu);
	return QD_OK;
}

static int
set_names(struct writer *w, struct row *r, const char *exchange,
	const char *symbol, const char *tf)
{
	if (exchange == NULL || symbol == NULL ||
	    strlen(exchange) > NAME_MAX_LEN || strlen(symbol) > NAME_MAX_LEN ||
	    (tf != NULL && strlen(tf) >= sizeof(r->tf))) {
		pthread_mutex_lock(&w->mu);
		w->st.invalid++;
		pthread_mutex_unlock(&w->mu);
		return QD_ERR_INVALID;
	}
	strcpy(r->exchange, exchange);
	strcpy(r->symbol, symbol);
	strcpy(r->tf, tf ? tf : "");
	return QD_OK;
}

int
writer_candle(struct writer *w, const char *exchange, const char *symbol,
	const char *timeframe, const struct store_candle *c)
{
	struct row r;
	int64_t tf = store_timeframe_ms(timeframe);

	if (tf == 0 || c->open_time < 0 || !isfinite(c->open) ||
	    !isfinite(c->high) || !isfinite(c->low) || !isfinite(c->close) ||
	    !isfinite(c->volume) || c->volume < 0 ||
	    (tf < 604800000 && c->open_time % tf != 0)) {
		pthread_mutex_lock(&w->mu);
		w->st.invalid++;
		pthread_mutex_unlock(&w->mu);
		return QD_ERR_INVALID;
	}
	if (set_names(w, &r, exchange, symbol, timeframe) != QD_OK)
		return QD_ERR_INVALID;
	r.kind = ROW_CANDLE;
	r.u.c = *c;
	return enqueue(w, &r);
}

int
writer_trade(struct writer *w, const char *exchange, const char *symbol,
	const struct store_trade *t)
{
	struct row r;

	if (t->time < 0 || !isfinite(t->price) || !isfinite(t->qty) ||
	    t->side < 0 || t->side > 2 || t->trade_id > (uint64_t)INT64_MAX) {
		pthread_mutex_lock(&w->mu);
		w->st.invalid++;
		pthread_mutex_unlock(&w->mu);
		return QD_ERR_INVALID;
	}
	if (set_names(w, &r, exchange, symbol, NULL) != QD_OK)
		return QD_ERR_INVALID;
	r.kind = ROW_TRADE;
	r.u.t = *t;
	return enqueue(w, &r);
}

int
writer_state_save(struct writer *w, const char *instance, const void *buf,
	size_t len)
{
	struct saved *sv;
	void *copy = malloc(len ? len : 1);

	if (copy == NULL)
		return QD_ERR_NOMEM;
	if (len)
		memcpy(copy, buf, len);
	pthread_mutex_lock(&w->mu);
	for (sv = w->states; sv; sv = sv->next)
		if (strcmp(sv->instance, instance) == 0)
			break;
	if (sv == NULL) {
		if ((sv = calloc(1, sizeof(*sv))) == NULL ||
		    (sv->instance = strdup(instance)) == NULL) {
			pthread_mutex_unlock(&w->mu);
			free(sv);
			free(copy);
			return QD_ERR_NOMEM;
		}
		sv->next = w->states;
		w->states = sv;
	}
	free(sv->data);
	sv->data = copy;
	sv->len = len;
	if (!sv->dirty) {
		sv->dirty = 1;
		w->n_dirty++;
	}
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
	return QD_OK;
}

int
writer_state_load(struct writer *w, const char *instance, void *buf,
	size_t cap, size_t *len)
{
	struct saved *sv;
	int rc = QD_ERR_NOTFOUND;

	pthread_mutex_lock(&w->mu);
	for (sv = w->states; sv; sv = sv->next)
		if (strcmp(sv->instance, instance) == 0) {
			if (cap && sv->len)
				memcpy(buf, sv->data, sv->len < cap ? sv->len :
				    cap);
			if (len)
				*len = sv->len;
			rc = QD_OK;
			break;
		}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int
writer_backlogged(const struct writer *w)
{
	return w != NULL && w->bl_count > 0;
}

void
writer_stats(struct writer *w, struct writer_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->st;
	out->queued = w->count;
	pthread_mutex_unlock(&w->mu);
}

void
writer_stop(struct writer *w, int timeout_ms)
{
	struct saved *sv;

	if (w == NULL)
		return;
	if (w->started) {
		int64_t deadline = mono_ms() + timeout_ms;

		/* Hand the backlog over as the queue drains. */
		while (w->bl_count > 0 && mono_ms() < deadline) {
			drain_backlog(w);
			if (w->bl_count > 0) {
				struct timespec ts = { 0, 2000000 };

				nanosleep(&ts, NULL);
			}
		}
		if (w->bl_count > 0) {
			log_error("store", "stopping: %zu rows not written "
				"(the database did not keep up)", w->bl_count);
			w->st.dropped += w->bl_count;
		}
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		w->stop_deadline_ms = deadline;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	loop_timer_cancel(w->drain);
	while ((sv = w->states) != NULL) {
		w->states = sv->next;
		free(sv->instance);
		free(sv->data);
		free(sv);
	}
	store_close(w->store);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->mu);
	free(w->backlog);
	free(w->ring);
	free(w);
}
