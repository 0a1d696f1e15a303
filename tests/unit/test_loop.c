/*
 * test_loop.c -- the core loop: cross-thread posts (all delivered, on the
 * core thread, in order per producer, no lost wake-up, bounded, counted when
 * refused), timers that keep running while the queue is flooded, one-shot
 * and periodic timers, loop_stop, and signals.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include <quantd/sdk.h>

#include "loop/loop.h"

/* Fail with what was compared, what came and what was wanted. */
#define expect_int(what, got, want) do {				\
	long long got_ = (long long)(got), want_ = (long long)(want);	\
	if (got_ != want_)						\
		fail_msg("%s: got %lld, want %lld", (what), got_, want_); \
} while (0)

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- many producers ---------------------------------------------------- */

#define PRODUCERS 4
#define PER_PRODUCER 100000

struct msg {
	int producer;
	long seq;
};

struct fanin {
	struct loop *l;
	pthread_t core;
	long next[PRODUCERS];
	long total;
	long out_of_order;
	long off_core;
	atomic_long retries;
};

static void
on_fanin(void *arg, void *m, size_t len)
{
	struct fanin *s = arg;
	struct msg *msg = m;

	if (len != sizeof(*msg))
		fail_msg("message length %zu, want %zu", len, sizeof(*msg));
	if (msg->seq != s->next[msg->producer])
		s->out_of_order++;
	s->next[msg->producer] = msg->seq + 1;
	if (!pthread_equal(pthread_self(), s->core))
		s->off_core++;
	if (++s->total == PRODUCERS * PER_PRODUCER)
		loop_stop(s->l);
}

struct producer {
	struct fanin *s;
	int id;
};

static void *
produce(void *arg)
{
	struct producer *p = arg;
	struct msg m;
	int rc;

	m.producer = p->id;
	for (m.seq = 0; m.seq < PER_PRODUCER; m.seq++)
		while ((rc = loop_post(p->s->l, on_fanin, p->s, &m,
		    sizeof(m))) != 0) {
			if (rc != QD_ERR_LIMIT)
				return NULL;   /* seen as missing messages */
			atomic_fetch_add(&p->s->retries, 1);
			sched_yield();
		}
	return NULL;
}

static void
loop_post_from_4_threads_delivers_all_in_producer_order(void **unused)
{
	struct fanin s;
	struct producer p[PRODUCERS];
	pthread_t th[PRODUCERS];
	int i;

	(void)unused;
	memset(&s, 0, sizeof(s));
	atomic_init(&s.retries, 0);
	s.core = pthread_self();
	s.l = loop_new(1024, sizeof(struct msg));
	assert_non_null(s.l);
	for (i = 0; i < PRODUCERS; i++) {
		p[i].s = &s;
		p[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, produce, &p[i]),
			0);
	}
	expect_int("loop_run", loop_run(s.l), 0);
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	expect_int("messages delivered", s.total, PRODUCERS * PER_PRODUCER);
	expect_int("messages out of producer order", s.out_of_order, 0);
	expect_int("messages run off the core thread", s.off_core, 0);
	for (i = 0; i < PRODUCERS; i++)
		expect_int("next sequence number per producer", s.next[i],
			PER_PRODUCER);
	/* Every refusal was counted, and only refusals. */
	expect_int("loop_post_dropped vs refusals seen by producers",
		loop_post_dropped(s.l), atomic_load(&s.retries));
	print_message("%ld posts were refused (queue full) and retried\n",
		(long)atomic_load(&s.retries));
	loop_free(s.l);
}

/* ---- wake-ups ----------------------------------------------------------- */

#define PINGS 20000

struct pingpong {
	struct loop *l;
	atomic_long acked;
	atomic_int quit;
	long seen_at_tick;
	int idle_ticks;
	int stalled;
};

static void
on_ping(void *arg, void *m, size_t len)
{
	struct pingpong *p = arg;

	(void)m;
	(void)len;
	if (atomic_fetch_add(&p->acked, 1) + 1 == PINGS)
		loop_stop(p->l);
}

/* One message at a time: every post meets a consumer that is parking. */
static void *
pinger(void *arg)
{
	struct pingpong *p = arg;
	long i;

	for (i = 0; i < PINGS; i++) {
		while (loop_post(p->l, on_ping, p, NULL, 0) != 0)
			sched_yield();
		while (atomic_load(&p->acked) <= i) {
			if (atomic_load(&p->quit))
				return NULL;
			sched_yield();   /* valgrind runs one thread at a time */
		}
	}
	return NULL;
}

/* Timers do not depend on the queue: they see a stranded message. */
static void
ping_watchdog(void *arg)
{
	struct pingpong *p = arg;
	long now = atomic_load(&p->acked);

	if (now != p->seen_at_tick) {
		p->seen_at_tick = now;
		p->idle_ticks = 0;
	} else if (++p->idle_ticks == 20) {
		p->stalled = 1;
		loop_stop(p->l);
	}
}

static void
loop_post_never_loses_a_wake_up_in_ping_pong(void **unused)
{
	struct pingpong p;
	struct loop_timer *dog;
	pthread_t th;

	(void)unused;
	memset(&p, 0, sizeof(p));
	atomic_init(&p.acked, 0);
	atomic_init(&p.quit, 0);
	p.l = loop_new(16, 16);
	assert_non_null(p.l);
	dog = loop_timer_add(p.l, 100000000, 100000000, ping_watchdog, &p);
	assert_non_null(dog);
	assert_int_equal(pthread_create(&th, NULL, pinger, &p), 0);
	expect_int("loop_run", loop_run(p.l), 0);
	atomic_store(&p.quit, 1);
	pthread_join(th, NULL);
	if (p.stalled)
		fail_msg("no progress for 2 s after %ld of %d round trips: a "
			"posted message was left without a wake-up",
			(long)atomic_load(&p.acked), PINGS);
	expect_int("round trips", atomic_load(&p.acked), PINGS);
	loop_timer_cancel(dog);
	loop_free(p.l);
}

/* ---- bounds ------------------------------------------------------------- */

struct seen {
	int n;
	char last[16];
	size_t last_len;
};

static void
keep_msg(void *arg, void *m, size_t len)
{
	struct seen *s = arg;

	s->n++;
	s->last_len = len;
	memcpy(s->last, m, len < sizeof(s->last) ? len : sizeof(s->last));
}

static void
loop_post_refuses_when_full_counts_drops_and_copies(void **unused)
{
	struct loop *l = loop_new(8, 16);
	struct seen got = { 0 };
	char buf[16] = "message";
	char big[17] = { 0 };
	int i, accepted = 0, limited = 0, rc;

	(void)unused;
	assert_non_null(l);
	for (i = 0; i < 20; i++) {
		rc = loop_post(l, keep_msg, &got, buf, 8);
		if (rc == 0)
			accepted++;
		else if (rc == QD_ERR_LIMIT)
			limited++;
		else
			fail_msg("post %d returned %d, want 0 or QD_ERR_LIMIT "
				"(%d)", i, rc, QD_ERR_LIMIT);
	}
	expect_int("posts accepted by an 8-slot queue", accepted, 8);
	expect_int("posts refused with QD_ERR_LIMIT", limited, 12);
	expect_int("loop_post_dropped", loop_post_dropped(l), 12);
	expect_int("post of 17 bytes into 16-byte slots",
		loop_post(l, keep_msg, &got, big, sizeof(big)), QD_ERR_INVALID);
	expect_int("loop_post_dropped after an oversize post",
		loop_post_dropped(l), 12);
	/* The message was copied at post time. */
	memcpy(buf, "changed", 8);
	assert_true(event_base_loop(loop_base(l), EVLOOP_NONBLOCK) >= 0);
	expect_int("messages run by one pass of the loop", got.n, 8);
	expect_int("length seen by the callback", got.last_len, 8);
	if (strcmp(got.last, "message") != 0)
		fail_msg("callback saw \"%s\", want the copy \"message\"",
			got.last);
	expect_int("post after the queue drained", loop_post(l, keep_msg,
		&got, NULL, 0), 0);
	assert_true(event_base_loop(loop_base(l), EVLOOP_NONBLOCK) >= 0);
	expect_int("messages run", got.n, 9);
	expect_int("length of an empty message", got.last_len, 0);
	loop_free(l);
}

/* ---- timers under a flood ----------------------------------------------- */

struct flood {
	struct loop *l;
	atomic_int stop;
	atomic_int gave_up;
	long handled;
	long handled_at_tick[3];
	int ticks;
	struct loop_timer *tick;
};

/* Slow consumer: ~2 us per message, so the producer keeps the queue full. */
static void
on_flood(void *arg, void *m, size_t len)
{
	struct flood *f = arg;
	int64_t until = mono_ns() + 2000;

	(void)m;
	(void)len;
	while (mono_ns() < until)
		;
	f->handled++;
}

static void
on_flood_stop(void *arg, void *m, size_t len)
{
	(void)m;
	(void)len;
	loop_stop(((struct flood *)arg)->l);
}

static void *
flood_producer(void *arg)
{
	struct flood *f = arg;
	int64_t deadline = mono_ns() + 3 * (int64_t)1000000000;

	while (!atomic_load(&f->stop)) {
		if (mono_ns() > deadline) {
			/* The timer starved: stop the loop ourselves. */
			atomic_store(&f->gave_up, 1);
			while (loop_post(f->l, on_flood_stop, f, NULL, 0) != 0)
				sched_yield();
			break;
		}
		if (loop_post(f->l, on_flood, f, NULL, 0) == QD_ERR_LIMIT)
			sched_yield();
	}
	return NULL;
}

static void
on_flood_tick(void *arg)
{
	struct flood *f = arg;

	/* Count from the first tick that finds the flood going (on a busy
	 * machine the producer thread may start late). */
	if (f->handled == 0)
		return;
	f->handled_at_tick[f->ticks] = f->handled;
	if (++f->ticks == 3) {
		atomic_store(&f->stop, 1);
		loop_timer_cancel(f->tick);
		loop_stop(f->l);
	}
}

static void
loop_runs_timers_while_the_queue_stays_full(void **unused)
{
	struct flood f;
	pthread_t th;

	(void)unused;
	memset(&f, 0, sizeof(f));
	atomic_init(&f.stop, 0);
	atomic_init(&f.gave_up, 0);
	f.l = loop_new(4 * LOOP_DRAIN_BATCH, 16);
	assert_non_null(f.l);
	f.tick = loop_timer_add(f.l, 1000000, 1000000, on_flood_tick, &f);
	assert_non_null(f.tick);
	assert_int_equal(pthread_create(&th, NULL, flood_producer, &f), 0);
	expect_int("loop_run", loop_run(f.l), 0);
	atomic_store(&f.stop, 1);
	pthread_join(th, NULL);
	if (atomic_load(&f.gave_up))
		fail_msg("a 1 ms timer fired %d times in 3 s while posted "
			"messages kept coming, want 3: messages starve timers",
			f.ticks);
	expect_int("timer ticks", f.ticks, 3);
	/* The flood was on: messages ran between the ticks. */
	if (f.handled_at_tick[2] <= f.handled_at_tick[0])
		fail_msg("no message ran between the 1st and 3rd tick "
			"(%ld, %ld): the queue was not flooded",
			f.handled_at_tick[0], f.handled_at_tick[2]);
	loop_free(f.l);
}

/* ---- timers ------------------------------------------------------------- */

struct tstate {
	struct loop *l;
	int fired;
	int64_t t0;
	int64_t at[8];
	struct loop_timer *self;
	int cancel_at;
};

static void
on_fire(void *arg)
{
	struct tstate *t = arg;

	if (t->fired < 8)
		t->at[t->fired] = mono_ns() - t->t0;
	t->fired++;
	if (t->cancel_at != 0 && t->fired == t->cancel_at)
		loop_timer_cancel(t->self);   /* from its own callback */
}

static void
on_stop(void *arg)
{
	loop_stop(((struct tstate *)arg)->l);
}

static void
loop_one_shot_timer_fires_once_not_before_its_delay(void **unused)
{
	struct tstate t = { 0 };
	struct loop_timer *once, *stop;

	(void)unused;
	t.l = loop_new(16, 16);
	assert_non_null(t.l);
	t.t0 = mono_ns();
	once = loop_timer_add(t.l, 5000000, 0, on_fire, &t);
	stop = loop_timer_add(t.l, 30000000, 0, on_stop, &t);
	assert_non_null(once);
	assert_non_null(stop);
	expect_int("loop_run", loop_run(t.l), 0);
	expect_int("one-shot timer firings in 30 ms", t.fired, 1);
	if (t.at[0] < 5000000)
		fail_msg("5 ms one-shot fired after %lld ns: early",
			(long long)t.at[0]);
	loop_timer_cancel(once);   /* handles of fired timers are freed too */
	loop_timer_cancel(stop);
	loop_free(t.l);
}

static void
loop_periodic_timer_repeats_every_interval_after_its_first_delay(void **unused)
{
	struct tstate t = { 0 };
	struct loop_timer *stop;
	int i;

	(void)unused;
	t.l = loop_new(16, 16);
	assert_non_null(t.l);
	t.cancel_at = 4;
	t.t0 = mono_ns();
	t.self = loop_timer_add(t.l, 2000000, 5000000, on_fire, &t);
	stop = loop_timer_add(t.l, 40000000, 0, on_stop, &t);
	assert_non_null(t.self);
	assert_non_null(stop);
	expect_int("loop_run", loop_run(t.l), 0);
	/* Cancelled from its own 4th call: no 5th call by 40 ms. */
	expect_int("periodic timer firings", t.fired, 4);
	for (i = 0; i < 4; i++)
		if (t.at[i] < 2000000 + (int64_t)i * 5000000)
			fail_msg("firing %d at %lld ns, want >= %lld ns", i,
				(long long)t.at[i],
				(long long)(2000000 + (int64_t)i * 5000000));
	loop_timer_cancel(stop);
	loop_free(t.l);
}

/* ---- loop_stop ---------------------------------------------------------- */

struct stopper {
	struct loop *l;
	int ran;
};

static void
stop_now(void *arg, void *m, size_t len)
{
	struct stopper *s = arg;

	(void)m;
	(void)len;
	s->ran++;
	loop_stop(s->l);
}

static void
count_ran(void *arg, void *m, size_t len)
{
	(void)m;
	(void)len;
	((struct stopper *)arg)->ran++;
}

static void
loop_stop_returns_after_current_callback_and_run_resumes(void **unused)
{
	struct stopper s = { 0 };

	(void)unused;
	s.l = loop_new(16, 16);
	assert_non_null(s.l);
	expect_int("post", loop_post(s.l, stop_now, &s, NULL, 0), 0);
	expect_int("post", loop_post(s.l, count_ran, &s, NULL, 0), 0);
	expect_int("loop_run", loop_run(s.l), 0);
	expect_int("messages run before loop_run returned", s.ran, 1);
	expect_int("post", loop_post(s.l, stop_now, &s, NULL, 0), 0);
	expect_int("second loop_run", loop_run(s.l), 0);
	/* The one left behind, then the new stop. */
	expect_int("messages run by the second loop_run", s.ran, 3);
	loop_free(s.l);
}

/* ---- signals ------------------------------------------------------------ */

struct sigstate {
	struct loop *l;
	pthread_t core;
	int got;
	int on_core;
};

static void
on_usr1(void *arg)
{
	struct sigstate *s = arg;

	s->got++;
	s->on_core = pthread_equal(pthread_self(), s->core);
	loop_stop(s->l);
}

static void
raise_usr1(void *arg)
{
	(void)arg;
	raise(SIGUSR1);
}

static void *
kill_usr1(void *arg)
{
	(void)arg;
	kill(getpid(), SIGUSR1);
	return NULL;
}

static void
loop_delivers_signals_on_the_core_thread(void **unused)
{
	struct sigstate s = { 0 };
	struct loop_signal *sig;
	struct loop_timer *r;
	pthread_t th;

	(void)unused;
	s.core = pthread_self();
	s.l = loop_new(16, 16);
	assert_non_null(s.l);
	sig = loop_signal_add(s.l, SIGUSR1, on_usr1, &s);
	assert_non_null(sig);
	/* Raised on the core thread, from a timer. */
	r = loop_timer_add(s.l, 1000000, 0, raise_usr1, NULL);
	assert_non_null(r);
	expect_int("loop_run", loop_run(s.l), 0);
	expect_int("SIGUSR1 handler calls after raise()", s.got, 1);
	assert_true(s.on_core);
	/* Sent to the process from another thread. */
	assert_int_equal(pthread_create(&th, NULL, kill_usr1, NULL), 0);
	expect_int("loop_run", loop_run(s.l), 0);
	pthread_join(th, NULL);
	expect_int("SIGUSR1 handler calls after kill()", s.got, 2);
	if (!s.on_core)
		fail_msg("signal callback ran off the core thread");
	loop_timer_cancel(r);
	loop_signal_free(sig);
	loop_free(s.l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			loop_post_from_4_threads_delivers_all_in_producer_order),
		cmocka_unit_test(loop_post_never_loses_a_wake_up_in_ping_pong),
		cmocka_unit_test(
			loop_post_refuses_when_full_counts_drops_and_copies),
		cmocka_unit_test(loop_runs_timers_while_the_queue_stays_full),
		cmocka_unit_test(
			loop_one_shot_timer_fires_once_not_before_its_delay),
		cmocka_unit_test(
		    loop_periodic_timer_repeats_every_interval_after_its_first_delay),
		cmocka_unit_test(
			loop_stop_returns_after_current_callback_and_run_resumes),
		cmocka_unit_test(loop_delivers_signals_on_the_core_thread),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
