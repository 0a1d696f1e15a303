/*
 * queue -- a bounded multi-producer single-consumer queue of fixed-size
 * slots (copy in, run in place), lock-free: a ring of slots with per-slot
 * sequence numbers (D. Vyukov's bounded MPMC queue, used with one consumer).
 * It carries messages between threads: into the core loop (loop_post) and
 * into the net thread (net_post).
 *
 * The queue also tells its users when to wake the consumer, so that a busy
 * consumer is not woken once per message:
 *
 *   producer:  rc = queue_push(...);  if (rc == QUEUE_WAKE) wake the consumer
 *   consumer:  n = queue_drain(q, max);
 *              if (n == max || queue_park(q)) schedule another drain itself
 *              else sleep until woken
 *
 * A consumer is "awake" from the moment a push reports QUEUE_WAKE until
 * queue_park() succeeds; while it is awake, pushes report QUEUE_QUEUED and
 * nobody writes to a wake-up fd.  No message is ever left unseen: a message
 * pushed concurrently with queue_park() is either found by queue_park()
 * (which returns 1) or its push reports QUEUE_WAKE.
 */
#ifndef QD_QUEUE_H
#define QD_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

/** What runs a message on the consumer: `msg` points into the slot, is
 *  aligned for any type and valid for the call only. */
typedef void (*queue_fn)(void *arg, void *msg, size_t len);

/** queue_push() results. */
enum {
	QUEUE_FULL = -1,   /**< every slot is taken; nothing was queued */
	QUEUE_QUEUED = 0,  /**< queued; the consumer is awake already */
	QUEUE_WAKE = 1     /**< queued; the caller must wake the consumer */
};

/**
 * A queue of `slots` slots (rounded up to a power of two, at least 2) holding
 * messages of at most `slot_size` bytes.  The consumer starts parked: the
 * first push reports QUEUE_WAKE.  NULL on allocation failure or absurd sizes.
 */
struct queue *queue_new(size_t slots, size_t slot_size);

/** Free the queue; messages still in it are discarded without being run.
 *  No thread may use the queue any more. */
void queue_free(struct queue *q);

/**
 * Any thread: copy `len` bytes of `msg` (NULL allowed when len is 0) with
 * fn and arg into the next slot.  Never blocks, never allocates.  Returns
 * QUEUE_WAKE, QUEUE_QUEUED or QUEUE_FULL (also when len > slot size).
 * Messages from one producer run in the order they were pushed.
 */
int queue_push(struct queue *q, queue_fn fn, void *arg, const void *msg,
	size_t len);

/**
 * The consumer only: run up to `max` queued messages in order, each in its
 * slot, freeing the slot after its callback returns.  Returns the number run;
 * fewer than `max` means the queue was seen empty or a callback called
 * queue_interrupt() (queue_park() tells the two apart).  A callback may push
 * to the queue but must not drain it.
 */
size_t queue_drain(struct queue *q, size_t max);

/**
 * The consumer only, from inside a callback run by queue_drain(): make that
 * queue_drain() return as soon as the callback returns (the rest stays
 * queued).  Has no effect on later drains.
 */
void queue_interrupt(struct queue *q);

/**
 * The consumer only, after a drain that ran fewer than `max`: declare the
 * consumer asleep.  Returns 0 if it may sleep (the next push reports
 * QUEUE_WAKE), or 1 if messages arrived meanwhile that no producer will wake
 * it for: the consumer stays awake and must drain again.
 */
int queue_park(struct queue *q);

/** The largest message a slot holds. */
size_t queue_slot_size(const struct queue *q);

/** Number of slots (a power of two). */
size_t queue_capacity(const struct queue *q);

#endif
