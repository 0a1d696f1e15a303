/*
 * queue -- a bounded multi-producer single-consumer queue of fixed-size
 * slots (copy in, copy out), lock-free: a ring of slots with per-slot
 * sequence numbers (D. Vyukov's bounded queue).  Used to hand messages
 * between the core and net threads.
 */
#ifndef QD_QUEUE_H
#define QD_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

/** `slots` is rounded up to a power of two.  NULL on allocation failure. */
struct queue *queue_new(size_t slots, size_t slot_size);
void queue_free(struct queue *q);

/**
 * Any thread: copy a message of `len` bytes (<= slot size) with its callback
 * and argument into the queue.  Returns 0, or -1 if the queue is full.
 */
int queue_push(struct queue *q, void (*fn)(void *, void *, size_t),
	void *arg, const void *msg, size_t len);

/**
 * The consumer only: run up to `max` queued messages in order.  Returns the
 * number run.
 */
size_t queue_drain(struct queue *q, size_t max);

size_t queue_slot_size(const struct queue *q);

#endif
