/*
 * loop.c -- the core thread's libevent loop, its timers, signals and the
 * cross-thread queue into it.
 *
 * Wake-ups: producers push into a lock-free queue (loop/queue.h) and call
 * event_active() on the `wake` event only when the queue says the core thread
 * is parked, so a busy core thread costs its producers no system call and no
 * lock.  The core thread drains at most LOOP_DRAIN_BATCH messages per call of
 * on_wake(); if more may be waiting it re-arms `wake` as a zero timeout rather
 * than re-activating it: libevent runs every active event of a pass before it
 * looks at timers again, so a self-re-activating event would starve them,
 * while a due timeout goes through the timer heap with everything else.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "log/log.h"
#include "loop/loop.h"
#include "loop/queue.h"

struct loop {
	struct event_base *base;
	struct queue *q;
	struct event *wake;
	atomic_uint_least64_t dropped;
};

struct loop_timer {
	struct event *ev;
	struct timeval interval;
	int first_differs;   /* periodic, first delay != interval */
	loop_fn fn;
	void *arg;
};

struct loop_signal {
	struct event *ev;
	loop_fn fn;
	void *arg;
};

static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static int threads_ok;

/* libevent needs its locking callbacks before the first base is made. */
static void
init_threads(void)
{
	threads_ok = evthread_use_pthreads() == 0;
}

/*
 * Schedule another drain on a later turn of the loop (after due timers,
 * signals and I/O).  If libevent cannot add the timeout (out of memory),
 * fall back to activating the event: messages must never be stranded.
 */
static void
wake_later(struct loop *l)
{
	static const struct timeval zero = { 0, 0 };

	if (event_add(l->wake, &zero) != 0)
		event_active(l->wake, EV_TIMEOUT, 0);
}

/* Run a batch of posted messages; park or schedule the next batch. */
static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;
	size_t n;

	(void)fd;
	(void)what;
	n = queue_drain(l->q, LOOP_DRAIN_BATCH);
	if (n < LOOP_DRAIN_BATCH && !queue_park(l->q))
		return;   /* parked: the next loop_post() wakes us */
	wake_later(l);
}

/*
 * Make the threads-enabled base, the queue and the wake-up event.  Returns
 * NULL on failure, logged, with everything made so far freed.
 */
struct loop *
loop_new(size_t queue_slots, size_t slot_size)
{
	struct event_config *cfg = NULL;
	struct loop *l = NULL;

	pthread_once(&threads_once, init_threads);
	if (!threads_ok) {
		log_error("loop", "libevent thread support is unavailable; "
			"libevent_pthreads is needed");
		goto fail;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_error("loop", "out of memory creating the event loop");
		goto fail;
	}
	atomic_init(&l->dropped, 0);
	/* A precise clock: libevent's default on Linux is the coarse
	 * monotonic clock (a few ms of granularity), which lets a timer fire
	 * up to one tick before its delay has passed. */
	if ((cfg = event_config_new()) == NULL ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) != 0 ||
	    (l->base = event_base_new_with_config(cfg)) == NULL) {
		log_error("loop", "cannot create the libevent base");
		goto fail;
	}
	event_config_free(cfg);
	cfg = NULL;
	if ((l->q = queue_new(queue_slots, slot_size)) == NULL) {
		log_error("loop", "cannot allocate a queue of %zu slots of "
			"%zu bytes", queue_slots, slot_size);
		goto fail;
	}
	if ((l->wake = event_new(l->base, -1, 0, on_wake, l)) == NULL) {
		log_error("loop", "cannot create the wake-up event");
		goto fail;
	}
	return l;
fail:
	if (cfg != NULL)
		event_config_free(cfg);
	loop_free(l);
	return NULL;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	if (l->wake != NULL)
		event_free(l->wake);
	queue_free(l->q);
	if (l->base != NULL)
		event_base_free(l->base);
	free(l);
}

struct event_base *
loop_base(struct loop *l)
{
	return l->base;
}

int
loop_run(struct loop *l)
{
	if (event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY) < 0) {
		log_error("loop", "event_base_loop failed");
		return -1;
	}
	return 0;
}

/* Break the loop, and the drain in progress if called from a message. */
void
loop_stop(struct loop *l)
{
	event_base_loopbreak(l->base);
	queue_interrupt(l->q);
}

int
loop_post(struct loop *l, loop_msg_fn fn, void *arg, const void *msg,
	size_t len)
{
	int rc;

	if (len > queue_slot_size(l->q))
		return QD_ERR_INVALID;
	rc = queue_push(l->q, fn, arg, msg, len);
	if (rc == QUEUE_FULL) {
		atomic_fetch_add_explicit(&l->dropped, 1,
			memory_order_relaxed);
		return QD_ERR_LIMIT;
	}
	if (rc == QUEUE_WAKE)
		event_active(l->wake, EV_READ, 0);
	return 0;
}

uint64_t
loop_post_dropped(const struct loop *l)
{
	return atomic_load_explicit(&l->dropped, memory_order_relaxed);
}

/* ns -> timeval, rounded up to the microsecond; negative counts as 0. */
static struct timeval
tv_of(int64_t ns)
{
	struct timeval tv;
	int64_t us;

	if (ns < 0)
		ns = 0;
	us = ns / 1000 + (ns % 1000 != 0);
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	return tv;
}

/*
 * Periodic timers are EV_PERSIST events, which libevent re-arms from the
 * previous due time before calling us.  When the first delay differs from the
 * interval the event was added with the first delay; switch it to the
 * interval once, before fn may cancel (free) the timer.
 */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct loop_timer *t = arg;

	(void)fd;
	(void)what;
	if (t->first_differs) {
		t->first_differs = 0;
		if (event_add(t->ev, &t->interval) != 0)
			log_error("loop", "cannot re-arm a periodic timer; "
				"it will keep its first delay as period");
	}
	t->fn(t->arg);   /* may cancel (free) t: do not touch t after this */
}

struct loop_timer *
loop_timer_add(struct loop *l, int64_t after_ns, int64_t interval_ns,
	loop_fn fn, void *arg)
{
	struct loop_timer *t;
	struct timeval first = tv_of(after_ns);
	short flags = interval_ns > 0 ? EV_PERSIST : 0;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto fail;
	t->fn = fn;
	t->arg = arg;
	if (interval_ns > 0) {
		t->interval = tv_of(interval_ns);
		t->first_differs = evutil_timercmp(&first, &t->interval, !=);
	}
	if ((t->ev = event_new(l->base, -1, flags, on_timer, t)) == NULL)
		goto fail;
	if (event_add(t->ev, &first) != 0)
		goto fail;
	return t;
fail:
	log_error("loop", "cannot add a timer");
	if (t != NULL && t->ev != NULL)
		event_free(t->ev);
	free(t);
	return NULL;
}

void
loop_timer_cancel(struct loop_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	free(t);
}

static void
on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct loop_signal *s = arg;

	(void)fd;
	(void)what;
	s->fn(s->arg);
}

struct loop_signal *
loop_signal_add(struct loop *l, int signo, loop_fn fn, void *arg)
{
	struct loop_signal *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	s->fn = fn;
	s->arg = arg;
	if ((s->ev = evsignal_new(l->base, signo, on_signal, s)) == NULL)
		goto fail;
	if (event_add(s->ev, NULL) != 0)
		goto fail;
	return s;
fail:
	log_error("loop", "cannot handle signal %d", signo);
	if (s != NULL && s->ev != NULL)
		event_free(s->ev);
	free(s);
	return NULL;
}

void
loop_signal_free(struct loop_signal *s)
{
	if (s == NULL)
		return;
	event_free(s->ev);
	free(s);
}

int64_t
loop_now_ns(void)
{
	struct timespec ts;

	/* CLOCK_REALTIME cannot fail with a valid pointer; 0 if it ever does. */
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
