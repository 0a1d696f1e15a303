/*
 * queue.c -- bounded MPSC queue: D. Vyukov's bounded MPMC ring used with a
 * single consumer, plus a wake-up gate.
 *
 * Each slot carries a sequence number.  A producer claims position `pos` by
 * advancing `tail` with a CAS when the slot's seq == pos, fills the slot and
 * publishes it with seq = pos + 1 (release).  The consumer runs the slot when
 * seq == head + 1 and hands it back to the producers of the next lap with
 * seq = head + capacity.  A producer that finds seq < pos has caught up with
 * the consumer: the queue is full.
 *
 * Wake-up gate (`awake`): 1 while the consumer is running or scheduled to run.
 * A producer, after publishing its slot, reads the gate behind a seq_cst
 * fence and claims the wake-up (0 -> 1) only if the consumer is parked.  The
 * consumer parks by clearing the gate, then, behind its own seq_cst fence,
 * looks at the next slot.  With the two fences, either the consumer sees the
 * producer's slot or the producer sees the cleared gate (C11 7.17.4: fences
 * ordered in the single total order S), so a message is never stranded, and a
 * busy consumer costs its producers one fence and one shared read per message
 * instead of a system call.
 */
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loop/queue.h"

#define CACHE_LINE 64

struct slot {
	_Atomic size_t seq;
	queue_fn fn;
	void *arg;
	size_t len;
	/* slot_size bytes of message follow */
};

/* The message that follows the header is aligned for any type. */
_Static_assert(sizeof(struct slot) % alignof(max_align_t) == 0,
	"queue slot header must keep the message aligned");

struct queue {
	/* Read-only after queue_new(). */
	char *slots;
	size_t mask;
	size_t slot_size;
	size_t stride;
	/* Producers: claimed by CAS on every push.  The gate shares the line:
	 * a producer has just owned it, so reading the gate is a cache hit. */
	alignas(CACHE_LINE) _Atomic size_t tail;
	_Atomic int awake;
	/* Consumer only. */
	alignas(CACHE_LINE) size_t head;
	int interrupted;   /* queue_interrupt() during the current drain */
};

static struct slot *
slot_at(const struct queue *q, size_t pos)
{
	return (struct slot *)(q->slots + (pos & q->mask) * q->stride);
}

static void *
slot_data(struct slot *s)
{
	return (char *)s + sizeof(*s);
}

/*
 * Round the slot count up to a power of two and every slot up to whole cache
 * lines, so neighbouring slots written by different threads never share a
 * line.  Returns NULL on allocation failure or if the sizes overflow.
 */
struct queue *
queue_new(size_t slots, size_t slot_size)
{
	struct queue *q = NULL;
	size_t n = 2, stride, i;

	while (n < slots) {
		if (n > SIZE_MAX / 4)
			goto fail;
		n *= 2;
	}
	if (slot_size > SIZE_MAX / 2 - sizeof(struct slot) - CACHE_LINE)
		goto fail;
	stride = (sizeof(struct slot) + slot_size + CACHE_LINE - 1) &
		~(size_t)(CACHE_LINE - 1);
	if (stride > SIZE_MAX / n)
		goto fail;
	if ((q = aligned_alloc(CACHE_LINE, sizeof(*q))) == NULL)
		goto fail;
	memset(q, 0, sizeof(*q));
	if ((q->slots = aligned_alloc(CACHE_LINE, n * stride)) == NULL)
		goto fail;
	q->mask = n - 1;
	q->slot_size = slot_size;
	q->stride = stride;
	for (i = 0; i < n; i++)
		atomic_init(&slot_at(q, i)->seq, i);
	atomic_init(&q->tail, 0);
	atomic_init(&q->awake, 0);
	q->head = 0;
	return q;
fail:
	free(q);
	return NULL;
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

size_t
queue_capacity(const struct queue *q)
{
	return q->mask + 1;
}

/*
 * Claim the next free position, copy the message in, publish it, then tell
 * the caller whether the consumer has to be woken.  Lock-free: a producer
 * only retries when another producer won the same position.
 */
int
queue_push(struct queue *q, queue_fn fn, void *arg, const void *msg,
	size_t len)
{
	size_t pos, seq;
	struct slot *s;

	if (len > q->slot_size)
		return QUEUE_FULL;
	pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
	for (;;) {
		intptr_t diff;

		s = slot_at(q, pos);
		seq = atomic_load_explicit(&s->seq, memory_order_acquire);
		diff = (intptr_t)(seq - pos);
		if (diff == 0) {
			if (atomic_compare_exchange_weak_explicit(&q->tail,
			    &pos, pos + 1, memory_order_relaxed,
			    memory_order_relaxed))
				break;
		} else if (diff < 0) {
			return QUEUE_FULL;
		} else {
			pos = atomic_load_explicit(&q->tail,
				memory_order_relaxed);
		}
	}
	s->fn = fn;
	s->arg = arg;
	s->len = len;
	if (len > 0)
		memcpy(slot_data(s), msg, len);
	atomic_store_explicit(&s->seq, pos + 1, memory_order_release);

	/* Pairs with the fence in queue_park(); see the top of the file. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&q->awake, memory_order_relaxed))
		return QUEUE_QUEUED;
	return atomic_exchange_explicit(&q->awake, 1,
		memory_order_acq_rel) == 0 ? QUEUE_WAKE : QUEUE_QUEUED;
}

/*
 * Run messages in slot order until `max` ran, the next slot is not
 * published yet, or a callback called queue_interrupt().  The slot is handed back only after its callback returns,
 * so the callback reads the message in place without a second copy.
 */
size_t
queue_drain(struct queue *q, size_t max)
{
	size_t done = 0;

	q->interrupted = 0;
	while (done < max && !q->interrupted) {
		struct slot *s = slot_at(q, q->head);
		size_t seq = atomic_load_explicit(&s->seq,
			memory_order_acquire);

		if (seq != q->head + 1)
			break;
		s->fn(s->arg, slot_data(s), s->len);
		atomic_store_explicit(&s->seq, q->head + q->mask + 1,
			memory_order_release);
		q->head++;
		done++;
	}
	return done;
}

void
queue_interrupt(struct queue *q)
{
	q->interrupted = 1;
}

/* Clear the gate, then look once more (see the top of the file). */
int
queue_park(struct queue *q)
{
	struct slot *s;

	atomic_store_explicit(&q->awake, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	s = slot_at(q, q->head);
	if (atomic_load_explicit(&s->seq, memory_order_acquire) != q->head + 1)
		return 0;
	/* A message slipped in.  If its producer already claimed the wake-up
	 * it will wake us; otherwise we claim it and drain again ourselves. */
	return atomic_exchange_explicit(&q->awake, 1,
		memory_order_acq_rel) == 0;
}
