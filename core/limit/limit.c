/*
 * limit.c -- plan limits from the store and the token-bucket limiter.
 *
 * Buckets live in an array indexed by an open-addressing table of twice
 * the capacity (linear probing, backward-shift deletion); a bucket is its
 * key, its tokens in milli-tokens and the time they were counted.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "limit/limit.h"
#include "store/store.h"

/* ---- plans ---------------------------------------------------------------- */

static int
plan_copy(void *arg, const struct store_plan *p)
{
	struct plan_limits *o = arg;

	snprintf(o->name, sizeof(o->name), "%s", p->name);
	snprintf(o->strategies, sizeof(o->strategies), "%s", p->strategies);
	o->symbols = p->symbols;
	o->push_delay_ms = p->push_delay_ms;
	o->api_per_min = p->api_per_min < 0 ? 0 :
	    p->api_per_min > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)p->api_per_min;
	o->webhooks = p->webhooks;
	return 1;
}

int
plan_limits_load(struct store *s, const char *name, struct plan_limits *out)
{
	memset(out, 0, sizeof(*out));
	return store_plan_get(s, name, plan_copy, out);
}

/* ---- the limiter ------------------------------------------------------------ */

#define KEY_MAX (LIMIT_KEY_MAX + 1)

struct bucket {
	char key[KEY_MAX];
	uint64_t hash;
	int64_t milli;     /* tokens x 1000 at `at` */
	int64_t rem;       /* refill carried: milli-tokens x window_ms */
	int64_t at;        /* ms */
	int64_t used;      /* ms of the last request (LRU) */
	uint32_t n;
	int64_t window_ms;
};

struct limiter {
	pthread_mutex_t lock;
	struct bucket *b;  /* cap entries, `count` in use */
	size_t cap, count;
	uint32_t *slot;    /* nslots: bucket index + 1, 0 empty */
	size_t nslots;
};

static uint64_t
fnv(const char *k)
{
	uint64_t h = 1469598103934665603ULL;

	while (*k)
		h = (h ^ (unsigned char)*k++) * 1099511628211ULL;
	return h;
}

int
limiter_new(size_t max_keys, struct limiter **out)
{
	struct limiter *l;

	*out = NULL;
	if (max_keys == 0 || max_keys > (1u << 24))
		return QD_ERR_INVALID;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return QD_ERR_NOMEM;
	l->cap = max_keys;
	for (l->nslots = 16; l->nslots < 2 * max_keys; l->nslots *= 2)
		;
	l->b = calloc(l->cap, sizeof(*l->b));
	l->slot = calloc(l->nslots, sizeof(*l->slot));
	if (l->b == NULL || l->slot == NULL) {
		limiter_free(l);
		return QD_ERR_NOMEM;
	}
	pthread_mutex_init(&l->lock, NULL);
	*out = l;
	return QD_OK;
}

void
limiter_free(struct limiter *l)
{
	if (l == NULL)
		return;
	if (l->b != NULL && l->slot != NULL)
		pthread_mutex_destroy(&l->lock);
	free(l->b);
	free(l->slot);
	free(l);
}

/* The slot holding `key`, or the empty slot where it would go. */
static size_t
find(const struct limiter *l, const char *key, uint64_t h)
{
	size_t m = l->nslots - 1, i = h & m;

	while (l->slot[i] != 0) {
		const struct bucket *b = &l->b[l->slot[i] - 1];

		if (b->hash == h && strcmp(b->key, key) == 0)
			break;
		i = (i + 1) & m;
	}
	return i;
}

/* Remove the bucket in slot i: backward-shift the probe run after it and
 * move the last bucket of the array into the freed index. */
static void
drop(struct limiter *l, size_t i)
{
	size_t m = l->nslots - 1, j = i, k, idx = l->slot[i] - 1, last;

	for (;;) {
		l->slot[i] = 0;
		for (;;) {
			j = (j + 1) & m;
			if (l->slot[j] == 0)
				goto moved;
			k = l->b[l->slot[j] - 1].hash & m;
			/* j's entry may fill i when k is not in (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			l->slot[i] = l->slot[j];
			i = j;
			break;
		}
	}
moved:
	last = --l->count;
	if (idx != last) {
		l->b[idx] = l->b[last];
		l->slot[find(l, l->b[idx].key, l->b[idx].hash)] =
		    (uint32_t)idx + 1;
	}
}

/* Tokens of b at now (refilled, capped at n).  n tokens per window are
 * 1000 n / window milli-tokens per ms; the remainder of the division is
 * carried, so frequent calls lose nothing. */
static void
refill(struct bucket *b, int64_t now)
{
	int64_t full = (int64_t)b->n * 1000, dt = now - b->at, num;

	if (dt <= 0)
		return;
	b->at = now;
	if (dt >= b->window_ms || b->milli >= full) {
		b->milli = full;
		b->rem = 0;
		return;
	}
	num = dt * full + b->rem;
	b->milli += num / b->window_ms;
	b->rem = num % b->window_ms;
	if (b->milli >= full) {
		b->milli = full;
		b->rem = 0;
	}
}

/* Make room for one bucket: a full one, else the least recently used. */
static void
evict(struct limiter *l, int64_t now)
{
	size_t i, victim = 0;

	for (i = 0; i < l->count; i++) {
		struct bucket *b = &l->b[i];

		refill(b, now);
		if (b->milli == (int64_t)b->n * 1000) {
			victim = i;
			break;
		}
		if (b->used < l->b[victim].used)
			victim = i;
	}
	drop(l, find(l, l->b[victim].key, l->b[victim].hash));
}

static int
bucket_op(struct limiter *l, const char *key, uint32_t n, int64_t window_ms,
	int64_t now, int take, int *retry_after_s)
{
	uint64_t h;
	struct bucket *b;
	size_t i;
	int64_t need;
	int ok;

	*retry_after_s = 0;
	if (key == NULL || n == 0 || window_ms <= 0 ||
	    strlen(key) >= KEY_MAX)
		return 0;
	h = fnv(key);
	pthread_mutex_lock(&l->lock);
	i = find(l, key, h);
	if (l->slot[i] == 0) {
		if (!take) {
			pthread_mutex_unlock(&l->lock);
			return 1;  /* a fresh bucket is full */
		}
		if (l->count == l->cap) {
			evict(l, now);
			i = find(l, key, h);
		}
		b = &l->b[l->count];
		memset(b, 0, sizeof(*b));
		snprintf(b->key, sizeof(b->key), "%s", key);
		b->hash = h;
		b->milli = (int64_t)n * 1000;
		b->at = now;
		l->slot[i] = (uint32_t)++l->count;
	}
	b = &l->b[l->slot[i] - 1];
	if (b->n != n || b->window_ms != window_ms) {
		/* the rate changed (a new plan): keep the fraction left */
		b->milli = b->n ? b->milli * n / b->n : (int64_t)n * 1000;
		b->rem = 0;
		b->n = n;
		b->window_ms = window_ms;
	}
	refill(b, now);
	ok = b->milli >= 1000;
	if (ok && take)
		b->milli -= 1000;
	if (take)
		b->used = now;
	if (!ok) {
		/* ms until 1000 milli-tokens at 1000 n / window per ms */
		need = ((1000 - b->milli) * window_ms + (int64_t)n * 1000 - 1) /
		    ((int64_t)n * 1000);
		*retry_after_s = (int)((need + 999) / 1000);
		if (*retry_after_s < 1)
			*retry_after_s = 1;
	}
	pthread_mutex_unlock(&l->lock);
	return ok;
}

int
limiter_take(struct limiter *l, const char *key, uint32_t n,
	int64_t window_ms, int64_t now_ms, int *retry_after_s)
{
	return bucket_op(l, key, n, window_ms, now_ms, 1, retry_after_s);
}

int
limiter_peek(struct limiter *l, const char *key, uint32_t n,
	int64_t window_ms, int64_t now_ms, int *retry_after_s)
{
	return bucket_op(l, key, n, window_ms, now_ms, 0, retry_after_s);
}

void
limiter_reset(struct limiter *l, const char *key)
{
	size_t i;

	if (key == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	i = find(l, key, fnv(key));
	if (l->slot[i] != 0)
		drop(l, i);
	pthread_mutex_unlock(&l->lock);
}

size_t
limiter_size(struct limiter *l)
{
	size_t n;

	pthread_mutex_lock(&l->lock);
	n = l->count;
	pthread_mutex_unlock(&l->lock);
	return n;
}
