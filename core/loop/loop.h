/*
 * loop -- the core thread's event loop (libevent), its timers, signals and
 * the bounded cross-thread queue into it.
 *
 * Everything here except loop_post() and loop_post_dropped() must be called
 * on the core thread.  loop_post() may be called from any thread: it copies
 * the message into a bounded lock-free queue and, only if the core thread may
 * be asleep, wakes it (event_active on a pthreads-enabled base); the callback
 * then runs on the core thread, in posting order per producer.  The core
 * thread runs at most LOOP_DRAIN_BATCH posted messages before it lets the
 * base run its timers, signals and I/O, so a flood of messages delays timers
 * by one batch at most and never starves them.
 */
#ifndef QD_LOOP_H
#define QD_LOOP_H

#include <stddef.h>
#include <stdint.h>

/** Posted messages run per turn of the loop, at most. */
#define LOOP_DRAIN_BATCH 1024

struct event_base;
struct loop;
struct loop_timer;
struct loop_signal;

/** Callback for posted messages: `msg` points to a copy of what was posted,
 *  aligned for any type, valid for the call only. */
typedef void (*loop_msg_fn)(void *arg, void *msg, size_t len);
typedef void (*loop_fn)(void *arg);

/**
 * Create the loop.  `queue_slots` bounds the cross-thread queue (rounded up
 * to a power of two) of messages of at most `slot_size` bytes each.  Returns
 * NULL on failure (logged).
 */
struct loop *loop_new(size_t queue_slots, size_t slot_size);

/**
 * Free the loop.  Timers and signals must have been cancelled and no thread
 * may post any more; messages still queued are discarded without being run.
 */
void loop_free(struct loop *l);

/** The libevent base, for areas that add their own events to the core loop. */
struct event_base *loop_base(struct loop *l);

/** Run until loop_stop(); returns 0, or -1 on a libevent error.  May be
 *  called again after it returned. */
int loop_run(struct loop *l);
/** Make loop_run() return after the current callback; posted messages not
 *  run yet stay queued for the next loop_run().  Core thread only. */
void loop_stop(struct loop *l);

/**
 * From any thread: run fn(arg, copy of msg) on the core thread.  Never blocks
 * and never allocates.  Returns 0, QD_ERR_LIMIT if the queue is full (nothing
 * queued, counted in loop_post_dropped()), QD_ERR_INVALID if len exceeds the
 * slot size.  `msg` may be NULL when len is 0.
 */
int loop_post(struct loop *l, loop_msg_fn fn, void *arg, const void *msg,
	size_t len);

/** Messages refused by loop_post() because the queue was full.  Any thread. */
uint64_t loop_post_dropped(const struct loop *l);

/**
 * Call fn(arg) after `after_ns` (negative counts as 0), then every
 * `interval_ns` if > 0, measured from the previous due time so a periodic
 * timer does not drift.  Durations are rounded up to whole microseconds: a
 * timer never fires early.  Returns a handle freed by loop_timer_cancel()
 * (also for one-shot timers that fired), or NULL on allocation failure.
 */
struct loop_timer *loop_timer_add(struct loop *l, int64_t after_ns,
	int64_t interval_ns, loop_fn fn, void *arg);

/** Stop and free a timer.  NULL is a no-op.  Safe from inside the timer's
 *  own callback (which must then not touch the handle again). */
void loop_timer_cancel(struct loop_timer *t);

/**
 * Deliver signal `signo` to fn(arg) on the core thread (outside the signal
 * handler, so fn may do anything).  Returns NULL on failure.  Only one loop
 * per process should handle signals (a libevent restriction).
 */
struct loop_signal *loop_signal_add(struct loop *l, int signo, loop_fn fn,
	void *arg);
/** Restore the signal's previous disposition and free.  NULL is a no-op. */
void loop_signal_free(struct loop_signal *s);

/** Wall clock, ns since the Unix epoch. */
int64_t loop_now_ns(void);

#endif
