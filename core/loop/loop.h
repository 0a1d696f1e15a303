/*
 * loop -- the core thread's event loop (libevent), its timers, signals and
 * the bounded cross-thread queue into it.
 *
 * Everything here except loop_post() must be called on the core thread.
 * loop_post() may be called from any thread: it copies the message into a
 * bounded queue and wakes the loop (event_active on a pthreads-enabled base);
 * the callback then runs on the core thread, in posting order per producer.
 */
#ifndef QD_LOOP_H
#define QD_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct loop;
struct loop_timer;
struct loop_signal;

/** Callback for posted messages: `msg` points to a copy of what was posted,
 *  valid for the call only. */
typedef void (*loop_msg_fn)(void *arg, void *msg, size_t len);
typedef void (*loop_fn)(void *arg);

/**
 * Create the loop.  `queue_slots` bounds the cross-thread queue (messages of at
 * most `slot_size` bytes each).  Returns NULL on failure (logged).
 */
struct loop *loop_new(size_t queue_slots, size_t slot_size);
void loop_free(struct loop *l);

struct event_base *loop_base(struct loop *l);

/** Run until loop_stop(); returns 0, or -1 on a libevent error. */
int loop_run(struct loop *l);
/** Make loop_run() return after the current callback.  Core thread only. */
void loop_stop(struct loop *l);

/**
 * From any thread: run fn(arg, copy of msg) on the core thread.  Returns 0,
 * QD_ERR_LIMIT if the queue is full (nothing queued), QD_ERR_INVALID if len
 * exceeds the slot size.
 */
int loop_post(struct loop *l, loop_msg_fn fn, void *arg, const void *msg,
	size_t len);

/** Messages dropped because the queue was full. */
uint64_t loop_post_dropped(const struct loop *l);

/**
 * Call fn(arg) after `after_ns`, then every `interval_ns` if > 0.  Returns a
 * handle freed by loop_timer_cancel() (also for one-shot timers that fired).
 */
struct loop_timer *loop_timer_add(struct loop *l, int64_t after_ns,
	int64_t interval_ns, loop_fn fn, void *arg);
void loop_timer_cancel(struct loop_timer *t);

/** Deliver signal `signo` to fn(arg) on the core thread. */
struct loop_signal *loop_signal_add(struct loop *l, int signo, loop_fn fn,
	void *arg);
void loop_signal_free(struct loop_signal *s);

/** Wall clock, ns since the Unix epoch. */
int64_t loop_now_ns(void);

#endif
