/*
 * test_loop.c -- the core loop: cross-thread posts (all delivered, in order
 * per producer, bounded), timers, signals, stop; the net thread round trip.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <event2/event.h>

#include <quantd/sdk.h>

#include "loop/loop.h"
#include "net/net.h"

#define PRODUCERS 4
#define PER_PRODUCER 100000

struct msg {
	int producer;
	long seq;
};

struct state {
	struct loop *l;
	long next[PRODUCERS];
	long total;
	int out_of_order;
};

static void
on_msg(void *arg, void *m, size_t len)
{
	struct state *s = arg;
	struct msg *msg = m;

	assert_int_equal(len, sizeof(*msg));
	if (msg->seq != s->next[msg->producer])
		s->out_of_order++;
	s->next[msg->producer] = msg->seq + 1;
	if (++s->total == PRODUCERS * PER_PRODUCER)
		loop_stop(s->l);
}

struct producer {
	struct state *s;
	int id;
};

static void *
produce(void *arg)
{
	struct producer *p = arg;
	struct msg m;

	m.producer = p->id;
	for (m.seq = 0; m.seq < PER_PRODUCER; m.seq++)
		while (loop_post(p->s->l, on_msg, p->s, &m, sizeof(m)) != 0)
			sched_yield();
	return NULL;
}

static void
loop_post_delivers_everything_in_order(void **unused)
{
	struct state s;
	struct producer p[PRODUCERS];
	pthread_t th[PRODUCERS];
	int i;

	(void)unused;
	memset(&s, 0, sizeof(s));
	s.l = loop_new(1024, sizeof(struct msg));
	assert_non_null(s.l);
	for (i = 0; i < PRODUCERS; i++) {
		p[i].s = &s;
		p[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, produce, &p[i]), 0);
	}
	assert_int_equal(loop_run(s.l), 0);
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(s.total, PRODUCERS * PER_PRODUCER);
	assert_int_equal(s.out_of_order, 0);
	loop_free(s.l);
}

static void
count_msg(void *arg, void *m, size_t len)
{
	(void)m;
	(void)len;
	(*(int *)arg)++;
}

static void
loop_post_is_bounded(void **unused)
{
	struct loop *l = loop_new(8, 16);
	char big[32] = { 0 };
	int got = 0, i, accepted = 0;

	(void)unused;
	for (i = 0; i < 20; i++)
		if (loop_post(l, count_msg, &got, "x", 1) == 0)
			accepted++;
	assert_int_equal(accepted, 8);
	assert_int_equal(loop_post_dropped(l), 12);
	assert_int_equal(loop_post(l, count_msg, &got, big, sizeof(big)),
		QD_ERR_INVALID);
	/* One non-blocking pass runs what was queued. */
	assert_true(event_base_loop(loop_base(l), EVLOOP_NONBLOCK) >= 0);
	assert_int_equal(got, 8);
	assert_int_equal(loop_post(l, count_msg, &got, "x", 1), 0);
	loop_free(l);
}

struct tstate {
	struct loop *l;
	int once, periodic;
	struct loop_timer *p;
};

static void
fire_once(void *arg)
{
	((struct tstate *)arg)->once++;
}

static void
fire_periodic(void *arg)
{
	struct tstate *t = arg;

	if (++t->periodic == 3) {
		loop_timer_cancel(t->p);
		loop_stop(t->l);
	}
}

static void
loop_runs_timers(void **unused)
{
	struct tstate t = { 0 };
	struct loop_timer *o;

	(void)unused;
	t.l = loop_new(16, 16);
	o = loop_timer_add(t.l, 1000000, 0, fire_once, &t);
	t.p = loop_timer_add(t.l, 2000000, 5000000, fire_periodic, &t);
	assert_non_null(o);
	assert_non_null(t.p);
	assert_int_equal(loop_run(t.l), 0);
	assert_int_equal(t.once, 1);
	assert_int_equal(t.periodic, 3);
	loop_timer_cancel(o);
	loop_free(t.l);
}

static void
on_usr1(void *arg)
{
	struct tstate *t = arg;

	t->once++;
	loop_stop(t->l);
}

static void
raise_soon(void *arg)
{
	(void)arg;
	raise(SIGUSR1);
}

static void
loop_delivers_signals(void **unused)
{
	struct tstate t = { 0 };
	struct loop_signal *s;
	struct loop_timer *r;

	(void)unused;
	t.l = loop_new(16, 16);
	s = loop_signal_add(t.l, SIGUSR1, on_usr1, &t);
	assert_non_null(s);
	r = loop_timer_add(t.l, 1000000, 0, raise_soon, NULL);
	assert_int_equal(loop_run(t.l), 0);
	assert_int_equal(t.once, 1);
	loop_timer_cancel(r);
	loop_signal_free(s);
	loop_free(t.l);
}

/* core -> net -> core round trip. */
struct rt {
	struct loop *l;
	struct net *n;
	pthread_t core;
	int on_net_thread;
	int back;
};

static void
back_on_core(void *arg, void *m, size_t len)
{
	struct rt *r = arg;

	(void)m;
	(void)len;
	r->back = pthread_equal(pthread_self(), r->core);
	loop_stop(r->l);
}

static void
on_net(void *arg, void *m, size_t len)
{
	struct rt *r = arg;

	assert_int_equal(len, 5);
	assert_memory_equal(m, "hello", 5);
	r->on_net_thread = !pthread_equal(pthread_self(), r->core);
	loop_post(r->l, back_on_core, r, NULL, 0);
}

static void
net_round_trip_crosses_threads(void **unused)
{
	struct rt r = { 0 };

	(void)unused;
	r.core = pthread_self();
	r.l = loop_new(16, 16);
	r.n = net_start(r.l, 16, 16);
	assert_non_null(r.n);
	assert_int_equal(net_post(r.n, on_net, &r, "hello", 5), 0);
	assert_int_equal(loop_run(r.l), 0);
	assert_true(r.on_net_thread);
	assert_true(r.back);
	net_stop(r.n);
	loop_free(r.l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loop_post_delivers_everything_in_order),
		cmocka_unit_test(loop_post_is_bounded),
		cmocka_unit_test(loop_runs_timers),
		cmocka_unit_test(loop_delivers_signals),
		cmocka_unit_test(net_round_trip_crosses_threads),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
