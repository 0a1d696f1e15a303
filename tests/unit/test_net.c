/*
 * test_net.c -- the net thread: net_post runs work on the net thread and
 * loop_post brings results back to the core; no wake-up lost either way;
 * order per poster; a full queue refuses with QD_ERR_LIMIT; net_stop runs
 * everything it accepted, and start and stop leave nothing behind (run under
 * valgrind in CI).
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <quantd/sdk.h>

#include "loop/loop.h"
#include "net/net.h"

/* Fail with what was compared, what came and what was wanted. */
#define expect_int(what, got, want) do {				\
	long long got_ = (long long)(got), want_ = (long long)(want);	\
	if (got_ != want_)						\
		fail_msg("%s: got %lld, want %lld", (what), got_, want_); \
} while (0)

/* ---- core -> net -> core ------------------------------------------------ */

struct rt {
	struct loop *l;
	struct net *n;
	pthread_t core;
	int on_net_thread;      /* written on the net thread */
	int payload_ok;         /* written on the net thread */
	int back_on_core;
	long answer;
};

static void
back_on_core(void *arg, void *m, size_t len)
{
	struct rt *r = arg;

	r->back_on_core = pthread_equal(pthread_self(), r->core);
	if (len == sizeof(long))
		memcpy(&r->answer, m, sizeof(long));
	loop_stop(r->l);
}

static void
on_net(void *arg, void *m, size_t len)
{
	struct rt *r = arg;
	long answer = 42;

	r->on_net_thread = !pthread_equal(pthread_self(), r->core);
	r->payload_ok = len == 5 && memcmp(m, "hello", 5) == 0;
	/* Cannot fail: the core's queue is empty. */
	(void)loop_post(r->l, back_on_core, r, &answer, sizeof(answer));
}

static void
net_post_runs_on_net_thread_and_loop_post_brings_result_back(void **unused)
{
	struct rt r;

	(void)unused;
	memset(&r, 0, sizeof(r));
	r.core = pthread_self();
	r.l = loop_new(16, 16);
	assert_non_null(r.l);
	r.n = net_start(r.l, 16, 16);
	assert_non_null(r.n);
	assert_ptr_equal(net_core(r.n), r.l);
	assert_non_null(net_context(r.n));
	expect_int("net_post", net_post(r.n, on_net, &r, "hello", 5), 0);
	expect_int("loop_run", loop_run(r.l), 0);
	if (!r.on_net_thread)
		fail_msg("net_post callback ran on the core thread");
	if (!r.payload_ok)
		fail_msg("net_post callback did not get the 5 bytes \"hello\"");
	if (!r.back_on_core)
		fail_msg("loop_post callback ran off the core thread");
	expect_int("answer posted back", r.answer, 42);
	net_stop(r.n);
	loop_free(r.l);
}

/* ---- wake-ups both ways ------------------------------------------------- */

#define ROUND_TRIPS 10000

struct volley {
	struct loop *l;
	struct net *n;
	long trips;             /* core */
	long seen_at_tick;
	int idle_ticks;
	int stalled;
};

static void volley_core(void *arg, void *m, size_t len);

static void
volley_net(void *arg, void *m, size_t len)
{
	struct volley *v = arg;

	(void)m;
	(void)len;
	while (loop_post(v->l, volley_core, v, NULL, 0) != 0)
		sched_yield();
}

static void
volley_core(void *arg, void *m, size_t len)
{
	struct volley *v = arg;

	(void)m;
	(void)len;
	if (++v->trips == ROUND_TRIPS) {
		loop_stop(v->l);
		return;
	}
	expect_int("net_post", net_post(v->n, volley_net, v, NULL, 0), 0);
}

static void
volley_watchdog(void *arg)
{
	struct volley *v = arg;

	if (v->trips != v->seen_at_tick) {
		v->seen_at_tick = v->trips;
		v->idle_ticks = 0;
	} else if (++v->idle_ticks == 20) {
		v->stalled = 1;
		loop_stop(v->l);
	}
}

static void
net_and_loop_never_lose_a_wake_up_over_10000_round_trips(void **unused)
{
	struct volley v;
	struct loop_timer *dog;

	(void)unused;
	memset(&v, 0, sizeof(v));
	v.l = loop_new(16, 16);
	assert_non_null(v.l);
	v.n = net_start(v.l, 16, 16);
	assert_non_null(v.n);
	dog = loop_timer_add(v.l, 100000000, 100000000, volley_watchdog, &v);
	assert_non_null(dog);
	expect_int("net_post", net_post(v.n, volley_net, &v, NULL, 0), 0);
	expect_int("loop_run", loop_run(v.l), 0);
	if (v.stalled)
		fail_msg("no progress for 2 s after %ld of %d round trips: a "
			"message was left without a wake-up", v.trips,
			ROUND_TRIPS);
	expect_int("round trips", v.trips, ROUND_TRIPS);
	loop_timer_cancel(dog);
	net_stop(v.n);
	loop_free(v.l);
}

/* ---- order and volume --------------------------------------------------- */

#define ORDERED 20000

struct order {
	struct loop *l;
	long next;              /* net thread */
	long out_of_order;      /* net thread */
	long reported;          /* core: out_of_order as posted back */
};

static void
order_done(void *arg, void *m, size_t len)
{
	struct order *o = arg;

	(void)len;
	memcpy(&o->reported, m, sizeof(long));
	loop_stop(o->l);
}

static void
order_msg(void *arg, void *m, size_t len)
{
	struct order *o = arg;
	long seq;

	(void)len;
	memcpy(&seq, m, sizeof(seq));
	if (seq != o->next)
		o->out_of_order++;
	o->next = seq + 1;
	if (o->next == ORDERED)
		while (loop_post(o->l, order_done, o, &o->out_of_order,
		    sizeof(long)) != 0)
			sched_yield();
}

static void
net_post_runs_messages_in_posting_order(void **unused)
{
	struct order o;
	struct net *n;
	long seq, refused = 0;

	(void)unused;
	memset(&o, 0, sizeof(o));
	o.reported = -1;
	o.l = loop_new(16, 16);
	assert_non_null(o.l);
	n = net_start(o.l, 64, sizeof(long));
	assert_non_null(n);
	for (seq = 0; seq < ORDERED; seq++) {
		int rc;

		while ((rc = net_post(n, order_msg, &o, &seq,
		    sizeof(seq))) == QD_ERR_LIMIT) {
			refused++;
			sched_yield();
		}
		expect_int("net_post", rc, 0);
	}
	expect_int("loop_run", loop_run(o.l), 0);
	expect_int("messages out of order on the net thread", o.reported, 0);
	expect_int("net_post_dropped vs refusals", net_post_dropped(n),
		refused);
	net_stop(n);
	loop_free(o.l);
}

/* ---- bounds and stop ---------------------------------------------------- */

struct gate {
	sem_t entered, release;
	atomic_int ran;
};

static void
blocker(void *arg, void *m, size_t len)
{
	struct gate *g = arg;

	(void)m;
	(void)len;
	sem_post(&g->entered);
	while (sem_wait(&g->release) != 0)
		;
	atomic_fetch_add(&g->ran, 1);
}

static void
count(void *arg, void *m, size_t len)
{
	(void)m;
	(void)len;
	atomic_fetch_add(&((struct gate *)arg)->ran, 1);
}

static void
net_post_refuses_when_full_and_net_stop_runs_what_it_accepted(void **unused)
{
	struct gate g;
	struct loop *l;
	struct net *n;
	char big[33] = { 0 };
	int i;

	(void)unused;
	assert_int_equal(sem_init(&g.entered, 0, 0), 0);
	assert_int_equal(sem_init(&g.release, 0, 0), 0);
	atomic_init(&g.ran, 0);
	l = loop_new(16, 16);
	assert_non_null(l);
	n = net_start(l, 8, 32);
	assert_non_null(n);
	expect_int("post of 33 bytes into 32-byte slots",
		net_post(n, count, &g, big, sizeof(big)), QD_ERR_INVALID);
	/* The blocker holds its slot while it runs: 8 slots, 8 accepted. */
	expect_int("net_post of the blocker", net_post(n, blocker, &g, NULL,
		0), 0);
	while (sem_wait(&g.entered) != 0)
		;
	for (i = 0; i < 7; i++)
		expect_int("net_post into a free slot", net_post(n, count, &g,
			"x", 1), 0);
	expect_int("net_post into a full queue", net_post(n, count, &g, "x", 1),
		QD_ERR_LIMIT);
	expect_int("net_post_dropped", net_post_dropped(n), 1);
	sem_post(&g.release);
	net_stop(n);   /* runs the 7 still queued before it returns */
	expect_int("messages run by the time net_stop returned",
		atomic_load(&g.ran), 8);
	loop_free(l);
	sem_destroy(&g.entered);
	sem_destroy(&g.release);
}

static void
net_start_and_stop_repeatedly_leave_nothing_running(void **unused)
{
	struct loop *l;
	struct gate g;
	int i, k;

	(void)unused;
	atomic_init(&g.ran, 0);
	l = loop_new(16, 16);
	assert_non_null(l);
	for (i = 0; i < 3; i++) {
		struct net *n = net_start(l, 16, 16);

		if (n == NULL)
			fail_msg("net_start failed on round %d", i);
		for (k = 0; k < 10; k++)
			expect_int("net_post", net_post(n, count, &g, NULL, 0),
				0);
		net_stop(n);
	}
	expect_int("messages run over 3 start/stop rounds",
		atomic_load(&g.ran), 30);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    net_post_runs_on_net_thread_and_loop_post_brings_result_back),
		cmocka_unit_test(
		    net_and_loop_never_lose_a_wake_up_over_10000_round_trips),
		cmocka_unit_test(net_post_runs_messages_in_posting_order),
		cmocka_unit_test(
		    net_post_refuses_when_full_and_net_stop_runs_what_it_accepted),
		cmocka_unit_test(
		    net_start_and_stop_repeatedly_leave_nothing_running),
	};

	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
