/*
 * loop.c -- the core thread's libevent loop, its timers, signals and the
 * cross-thread queue into it.
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

#define DRAIN_BATCH 1024

struct loop {
	struct event_base *base;
	struct queue *q;
	struct event *wake;
	atomic_int armed;          /* a wake-up is pending */
	atomic_uint_least64_t dropped;
};

struct loop_timer {
	struct event *ev;
	struct timeval interval;
	int periodic;
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

static void
init_threads(void)
{
	threads_ok = evthread_use_pthreads() == 0;
}

/* Drain a batch; re-arm if more is waiting so timers get their turn. */
static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;

	(void)fd;
	(void)what;
	atomic_store(&l->armed, 0);
	if (queue_drain(l->q, DRAIN_BATCH) == DRAIN_BATCH &&
	    atomic_exchange(&l->armed, 1) == 0)
		event_active(l->wake, EV_READ, 0);
}

struct loop *
loop_new(size_t queue_slots, size_t slot_size)
{
	struct loop *l;

	pthread_once(&threads_once, init_threads);
	if (!threads_ok) {
		log_error("loop", "libevent thread support is unavailable");
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if ((l->base = event_base_new()) == NULL ||
	    (l->q = queue_new(queue_slots, slot_size)) == NULL ||
	    (l->wake = event_new(l->base, -1, 0, on_wake, l)) == NULL) {
		log_error("loop", "cannot create the event loop");
		loop_free(l);
		return NULL;
	}
	atomic_init(&l->armed, 0);
	atomic_init(&l->dropped, 0);
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	if (l->wake)
		event_free(l->wake);
	queue_free(l->q);
	if (l->base)
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
	return event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY) < 0 ? -1 : 0;
}

void
loop_stop(struct loop *l)
{
	event_base_loopbreak(l->base);
}

int
loop_post(struct loop *l, loop_msg_fn fn, void *arg, const void *msg,
	size_t len)
{
	if (len > queue_slot_size(l->q))
		return QD_ERR_INVALID;
	if (queue_push(l->q, fn, arg, msg, len) != 0) {
		atomic_fetch_add(&l->dropped, 1);
		return QD_ERR_LIMIT;
	}
	if (atomic_exchange(&l->armed, 1) == 0)
		event_active(l->wake, EV_READ, 0);
	return 0;
}

uint64_t
loop_post_dropped(const struct loop *l)
{
	return atomic_load(&((struct loop *)l)->dropped);
}

static struct timeval
tv_of(int64_t ns)
{
	struct timeval tv;

	if (ns < 0)
		ns = 0;
	tv.tv_sec = (time_t)(ns / 1000000000);
	tv.tv_usec = (suseconds_t)((ns % 1000000000) / 1000);
	return tv;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct loop_timer *t = arg;

	(void)fd;
	(void)what;
	if (t->periodic)
		event_add(t->ev, &t->interval);
	t->fn(t->arg);   /* may cancel (free) t: do not touch t after this */
}

struct loop_timer *
loop_timer_add(struct loop *l, int64_t after_ns, int64_t interval_ns,
	loop_fn fn, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	struct timeval first = tv_of(after_ns);

	if (t == NULL)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	t->periodic = interval_ns > 0;
	t->interval = tv_of(interval_ns);
	if ((t->ev = evtimer_new(l->base, on_timer, t)) == NULL ||
	    event_add(t->ev, &first) != 0) {
		if (t->ev)
			event_free(t->ev);
		free(t);
		return NULL;
	}
	return t;
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
	struct loop_signal *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->fn = fn;
	s->arg = arg;
	if ((s->ev = evsignal_new(l->base, signo, on_signal, s)) == NULL ||
	    event_add(s->ev, NULL) != 0) {
		if (s->ev)
			event_free(s->ev);
		free(s);
		return NULL;
	}
	return s;
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

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
