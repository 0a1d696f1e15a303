/*
 * bus.c -- synchronous typed publish/subscribe on the core thread.
 *
 * Each topic has an array of subscribers in subscription order.  A publish
 * that arrives while a delivery is in progress (from inside a handler) is
 * copied into a ring and delivered after the current event has reached every
 * subscriber, which keeps per-topic order identical for all subscribers.
 * Unsubscribing marks the entry dead; dead entries are compacted when the
 * outermost delivery finishes.
 */
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"

#define RING_INITIAL 256

struct sub {
	uint64_t id;
	uint64_t key;
	bus_handler fn;
	void *arg;
	int dead;
};

struct topic {
	struct sub *subs;
	size_t n, cap;
	int dirty;         /* has dead entries */
};

struct bus {
	struct topic topics[BUS_TOPIC_COUNT];
	uint64_t next_id;
	int depth;         /* > 0 while delivering */
	int dirty;         /* some topic has dead entries */
	struct bus_event *ring;
	size_t ring_cap, ring_head, ring_len;
	struct bus_stats stats;
};

struct bus *
bus_new(void)
{
	struct bus *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->ring = calloc(RING_INITIAL, sizeof(*b->ring));
	if (b->ring == NULL) {
		free(b);
		return NULL;
	}
	b->ring_cap = RING_INITIAL;
	return b;
}

void
bus_free(struct bus *b)
{
	int t;

	if (b == NULL)
		return;
	for (t = 0; t < BUS_TOPIC_COUNT; t++)
		free(b->topics[t].subs);
	free(b->ring);
	free(b);
}

uint64_t
bus_subscribe(struct bus *b, enum bus_topic topic, uint64_t key,
	bus_handler fn, void *arg)
{
	struct topic *t;

	if ((unsigned)topic >= BUS_TOPIC_COUNT || fn == NULL)
		return 0;
	t = &b->topics[topic];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct sub *n = realloc(t->subs, cap * sizeof(*n));

		if (n == NULL)
			return 0;
		t->subs = n;
		t->cap = cap;
	}
	t->subs[t->n].id = ++b->next_id;
	t->subs[t->n].key = key;
	t->subs[t->n].fn = fn;
	t->subs[t->n].arg = arg;
	t->subs[t->n].dead = 0;
	t->n++;
	return b->next_id;
}

static void
compact(struct topic *t)
{
	size_t i, j = 0;

	for (i = 0; i < t->n; i++)
		if (!t->subs[i].dead)
			t->subs[j++] = t->subs[i];
	t->n = j;
	t->dirty = 0;
}

int
bus_unsubscribe(struct bus *b, uint64_t id)
{
	int tp;
	size_t i;

	for (tp = 0; tp < BUS_TOPIC_COUNT; tp++) {
		struct topic *t = &b->topics[tp];

		for (i = 0; i < t->n; i++)
			if (t->subs[i].id == id && !t->subs[i].dead) {
				t->subs[i].dead = 1;
				t->dirty = 1;
				b->dirty = 1;
				if (b->depth == 0)
					compact(t);
				return 0;
			}
	}
	return QD_ERR_NOTFOUND;
}

/* Call every live matching subscriber of ev's topic. */
static void
deliver(struct bus *b, const struct bus_event *ev)
{
	struct topic *t = &b->topics[ev->topic];
	size_t i, n = t->n;   /* subscribers added now see the next event */

	b->stats.published[ev->topic]++;
	for (i = 0; i < n; i++) {
		const struct sub *s = &t->subs[i];

		if (s->dead || (s->key != 0 && s->key != ev->key))
			continue;
		b->stats.delivered++;
		s->fn(s->arg, ev);
	}
}

static int
ring_push(struct bus *b, const struct bus_event *ev)
{
	if (b->ring_len == b->ring_cap) {
		size_t cap = b->ring_cap * 2, i;
		struct bus_event *n = malloc(cap * sizeof(*n));

		if (n == NULL)
			return QD_ERR_NOMEM;
		for (i = 0; i < b->ring_len; i++)
			n[i] = b->ring[(b->ring_head + i) % b->ring_cap];
		free(b->ring);
		b->ring = n;
		b->ring_cap = cap;
		b->ring_head = 0;
	}
	b->ring[(b->ring_head + b->ring_len) % b->ring_cap] = *ev;
	b->ring_len++;
	return 0;
}

int
bus_publish(struct bus *b, const struct bus_event *ev)
{
	int tp;

	if ((unsigned)ev->topic >= BUS_TOPIC_COUNT)
		return QD_ERR_INVALID;
	if (b->depth > 0) {
		if (ring_push(b, ev) != 0) {
			b->stats.dropped++;
			return QD_ERR_NOMEM;
		}
		return 0;
	}
	b->depth++;
	deliver(b, ev);
	while (b->ring_len > 0) {
		struct bus_event next = b->ring[b->ring_head];

		b->ring_head = (b->ring_head + 1) % b->ring_cap;
		b->ring_len--;
		deliver(b, &next);
	}
	b->depth--;
	if (b->dirty) {
		for (tp = 0; tp < BUS_TOPIC_COUNT; tp++)
			if (b->topics[tp].dirty)
				compact(&b->topics[tp]);
		b->dirty = 0;
	}
	return 0;
}

void
bus_stats_get(const struct bus *b, struct bus_stats *out)
{
	*out = b->stats;
}
