/*
 * queue.c -- bounded MPSC queue (Vyukov's bounded MPMC ring, one consumer).
 *
 * Each slot carries a sequence number: a producer may write slot i when
 * seq == pos, publishes by setting seq = pos + 1; the consumer may read when
 * seq == pos + 1 and frees the slot with seq = pos + capacity.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "loop/queue.h"

struct slot {
	_Atomic size_t seq;
	void (*fn)(void *, void *, size_t);
	void *arg;
	size_t len;
	/* data follows */
};

struct queue {
	size_t mask;
	size_t slot_size;
	size_t stride;
	char *slots;
	_Alignas(64) _Atomic size_t tail;   /* producers */
	_Alignas(64) size_t head;           /* consumer */
};

static struct slot *
slot_at(const struct queue *q, size_t pos)
{
	return (struct slot *)(q->slots + (pos & q->mask) * q->stride);
}

struct queue *
queue_new(size_t slots, size_t slot_size)
{
	struct queue *q;
	size_t n = 2, i;

	while (n < slots)
		n *= 2;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->mask = n - 1;
	q->slot_size = slot_size;
	q->stride = (sizeof(struct slot) + slot_size + 63) & ~(size_t)63;
	if ((q->slots = aligned_alloc(64, n * q->stride)) == NULL) {
		free(q);
		return NULL;
	}
	for (i = 0; i < n; i++)
		atomic_init(&slot_at(q, i)->seq, i);
	atomic_init(&q->tail, 0);
	return q;
}

void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	free(q->slots);
	free(q);
}

size_t
queue_slot_size(const struct queue *q)
{
	return q->slot_size;
}

int
queue_push(struct queue *q, void (*fn)(void *, void *, size_t), void *arg,
	const void *msg, size_t len)
{
	size_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
	struct slot *s;

	if (len > q->slot_size)
		return -1;
	for (;;) {
		size_t seq;
		intptr_t diff;

		s = slot_at(q, pos);
		seq = atomic_load_explicit(&s->seq, memory_order_acquire);
		diff = (intptr_t)seq - (intptr_t)pos;
		if (diff == 0) {
			if (atomic_compare_exchange_weak_explicit(&q->tail,
			    &pos, pos + 1, memory_order_relaxed,
			    memory_order_relaxed))
				break;
		} else if (diff < 0) {
			return -1;
		} else {
			pos = atomic_load_explicit(&q->tail,
				memory_order_relaxed);
		}
	}
	s->fn = fn;
	s->arg = arg;
	s->len = len;
	if (len > 0)
		memcpy(s + 1, msg, len);
	atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
	return 0;
}

size_t
queue_drain(struct queue *q, size_t max)
{
	size_t done = 0;

	while (done < max) {
		struct slot *s = slot_at(q, q->head);
		size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);

		if (seq != q->head + 1)
			break;
		s->fn(s->arg, s + 1, s->len);
		atomic_store_explicit(&s->seq, q->head + q->mask + 1,
			memory_order_release);
		q->head++;
		done++;
	}
	return done;
}
