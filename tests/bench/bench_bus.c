/*
 * bench_bus.c -- what the core's plumbing costs.
 *
 *  1. bus_publish() to N = 1, 8, 64 subscribers that each add the price into
 *     an accumulator, against the limit: a bare loop calling the same handler
 *     through a function-pointer array N times per event.  Runs alternate
 *     bus/bare; the ratio is the median of the per-pair ratios, so drifting
 *     machine speed cancels out.
 *  2. loop_post() throughput from one producer thread into the core loop.
 *  3. The queue alone against the alternatives it was chosen over, same shape
 *     (1 or 4 producer threads, one consumer thread that sleeps when idle,
 *     64-byte messages): the lock-free queue with its wake-up gate, a
 *     mutex-protected ring with a condition variable, and a pipe.
 *  4. Round trip core -> net thread -> core (net_post + loop_post, each side
 *     asleep when the message arrives) against a bare eventfd ping-pong.
 *
 * Figures only, never pass/fail; each figure is the median of 5 runs.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "loop/loop.h"
#include "loop/queue.h"
#include "net/net.h"

#define RUNS 5
#define CALLS_PER_RUN 16000000L   /* handler calls per bus run */
#define MSG 64

static volatile double sink;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const double *v)
{
	double s[RUNS];

	memcpy(s, v, sizeof(s));
	qsort(s, RUNS, sizeof(double), cmp_double);
	return s[RUNS / 2];
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_bus: %s failed\n", what);
	exit(1);
}

/* ---- 1. bus vs bare ----------------------------------------------------- */

struct acc {
	double sum;
	long n;
};

static void
handler(void *arg, const struct bus_event *ev)
{
	struct acc *a = arg;

	a->sum += ev->u.trade.price;
	a->n++;
}

static double
run_bus(int nsubs, long events)
{
	struct bus *b = bus_new();
	struct acc *acc = calloc((size_t)nsubs, sizeof(*acc));
	struct bus_event ev;
	double t0, t;
	long i;
	int k;

	if (b == NULL || acc == NULL)
		die("allocation");
	for (k = 0; k < nsubs; k++)
		if (bus_subscribe(b, BUS_TRADE, 0, handler, &acc[k]) == 0)
			die("bus_subscribe");
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_TRADE;
	ev.key = 1;
	ev.u.trade.symbol = 1;
	t0 = now_s();
	for (i = 0; i < events; i++) {
		ev.u.trade.price = (double)(i & 1023);
		bus_publish(b, &ev);
	}
	t = now_s() - t0;
	for (k = 0; k < nsubs; k++)
		sink += acc[k].sum;
	bus_free(b);
	free(acc);
	return t;
}

static double
run_bare(int nsubs, long events)
{
	void (**fns)(void *, const struct bus_event *);
	void (*volatile h)(void *, const struct bus_event *) = handler;
	struct acc *acc = calloc((size_t)nsubs, sizeof(*acc));
	struct bus_event ev;
	double t0, t;
	long i;
	int k;

	fns = calloc((size_t)nsubs, sizeof(*fns));
	if (fns == NULL || acc == NULL)
		die("allocation");
	for (k = 0; k < nsubs; k++)
		fns[k] = h;   /* through a volatile: no inlining */
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_TRADE;
	ev.key = 1;
	t0 = now_s();
	for (i = 0; i < events; i++) {
		ev.u.trade.price = (double)(i & 1023);
		for (k = 0; k < nsubs; k++)
			fns[k](&acc[k], &ev);
	}
	t = now_s() - t0;
	for (k = 0; k < nsubs; k++)
		sink += acc[k].sum;
	free(fns);
	free(acc);
	return t;
}

/* The first of 8 subscribers republishes every outer event once. */
static struct bus *nested_bus;

static void
republish(void *arg, const struct bus_event *ev)
{
	handler(arg, ev);
	if (ev->key == 1) {
		struct bus_event e = *ev;

		e.key = 2;
		bus_publish(nested_bus, &e);
	}
}

static double
run_nested(long events)
{
	struct acc acc[8];
	struct bus_event ev;
	double t0, t;
	long i;
	int k;

	memset(acc, 0, sizeof(acc));
	if ((nested_bus = bus_new()) == NULL)
		die("bus_new");
	bus_subscribe(nested_bus, BUS_TRADE, 0, republish, &acc[0]);
	for (k = 1; k < 8; k++)
		bus_subscribe(nested_bus, BUS_TRADE, 0, handler, &acc[k]);
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_TRADE;
	ev.key = 1;
	t0 = now_s();
	for (i = 0; i < events; i++) {
		ev.u.trade.price = (double)(i & 1023);
		bus_publish(nested_bus, &ev);
	}
	t = now_s() - t0;
	for (k = 0; k < 8; k++)
		sink += acc[k].sum;
	bus_free(nested_bus);
	return t;
}

static void
bench_bus(void)
{
	static const int ns[] = { 1, 8, 64 };
	double tb[RUNS], tr[RUNS], ratio[RUNS];
	size_t i;
	int r;

	printf("bus_publish -> N subscribers (handler adds the price), "
		"median of %d runs\n", RUNS);
	printf("  %4s %10s %13s %9s %13s %9s %9s\n", "N", "events",
		"bus events/s", "ns/event", "bare events/s", "ns/event",
		"bus/bare");
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		long events = CALLS_PER_RUN / ns[i];
		double b, bare;

		for (r = 0; r < RUNS; r++) {
			tb[r] = run_bus(ns[i], events);
			tr[r] = run_bare(ns[i], events);
			ratio[r] = tb[r] / tr[r];
		}
		b = median(tb);
		bare = median(tr);
		printf("  %4d %10ld %13.0f %9.2f %13.0f %9.2f %8.2fx\n", ns[i],
			events, events / b, b * 1e9 / events, events / bare,
			bare * 1e9 / events, median(ratio));
	}
	{
		long events = CALLS_PER_RUN / 16;   /* 2 events x 8 calls */

		for (r = 0; r < RUNS; r++)
			tb[r] = run_nested(events);
		printf("  nested: 8 subscribers, the first republishes each "
			"event once from its handler: %.2f ns per outer event "
			"(2 deliveries)\n", median(tb) * 1e9 / events);
	}
}

/* ---- 2. loop_post ------------------------------------------------------- */

#define POSTS 2000000L

struct post_ctx {
	struct loop *l;
	long received;
	long refused;   /* producer */
};

static void
on_post(void *arg, void *msg, size_t len)
{
	struct post_ctx *c = arg;

	sink += (double)((const unsigned char *)msg)[len - 1];
	if (++c->received == POSTS)
		loop_stop(c->l);
}

static void *
post_producer(void *arg)
{
	struct post_ctx *c = arg;
	unsigned char msg[MSG] = { 0 };
	long i;

	for (i = 0; i < POSTS; i++) {
		msg[MSG - 1] = (unsigned char)i;
		while (loop_post(c->l, on_post, c, msg, sizeof(msg)) != 0) {
			c->refused++;
			sched_yield();
		}
	}
	return NULL;
}

static double
run_post(long *refused)
{
	struct post_ctx c = { 0 };
	pthread_t th;
	double t0, t;

	if ((c.l = loop_new(4096, MSG)) == NULL)
		die("loop_new");
	t0 = now_s();
	if (pthread_create(&th, NULL, post_producer, &c) != 0)
		die("pthread_create");
	if (loop_run(c.l) != 0)
		die("loop_run");
	t = now_s() - t0;
	pthread_join(th, NULL);
	*refused = c.refused;
	loop_free(c.l);
	return t;
}

static void
bench_post(void)
{
	double t[RUNS], refused[RUNS];
	long ref;
	int r;

	for (r = 0; r < RUNS; r++) {
		t[r] = run_post(&ref);
		refused[r] = (double)ref;
	}
	printf("\nloop_post: %ld x %d-byte messages, 1 producer thread -> "
		"core loop (4096 slots)\n", POSTS, MSG);
	printf("  %.0f msgs/s, %.1f ns/msg; posts refused (queue full, "
		"retried): %.0f\n", POSTS / median(t), median(t) * 1e9 / POSTS,
		median(refused));
}

/* ---- 3. queue vs mutex ring vs pipe ------------------------------------- */

/*
 * Both designs as the loop uses them, without libevent: the consumer runs
 * batches and sleeps when it finds nothing.  Lock-free: queue_park() and an
 * eventfd written only when queue_push() says QUEUE_WAKE.  Mutex: a ring
 * under one mutex, a `sleeping` flag and a condition variable; the consumer
 * copies up to MBATCH messages out under the lock and runs them outside it.
 */
#define QMSGS 4000000L        /* per run, shared by the producers */
#define PIPE_MSGS 400000L
#define MAXPROD 4
#define MBATCH 64

struct qctx {
	struct queue *q;
	int efd;
	long per_producer;
	long got;
};

static void
on_q(void *arg, void *msg, size_t len)
{
	struct qctx *c = arg;

	sink += (double)((const unsigned char *)msg)[len - 1];
	c->got++;
}

static void *
q_producer(void *arg)
{
	struct qctx *c = arg;
	unsigned char msg[MSG] = { 0 };
	uint64_t one = 1;
	long i;
	int rc;

	for (i = 0; i < c->per_producer; i++) {
		msg[MSG - 1] = (unsigned char)i;
		while ((rc = queue_push(c->q, on_q, c, msg, sizeof(msg))) ==
		    QUEUE_FULL)
			sched_yield();
		if (rc == QUEUE_WAKE &&
		    write(c->efd, &one, sizeof(one)) != sizeof(one))
			die("eventfd write");
	}
	return NULL;
}

static double
run_queue(int producers)
{
	struct qctx c = { 0 };
	pthread_t th[MAXPROD];
	double t0, t;
	uint64_t v;
	int p;

	if ((c.q = queue_new(4096, MSG)) == NULL ||
	    (c.efd = eventfd(0, 0)) < 0)
		die("queue_new/eventfd");
	c.per_producer = QMSGS / producers;
	t0 = now_s();
	for (p = 0; p < producers; p++)
		if (pthread_create(&th[p], NULL, q_producer, &c) != 0)
			die("pthread_create");
	while (c.got < c.per_producer * producers) {
		if (queue_drain(c.q, 1024) == 1024 || queue_park(c.q))
			continue;
		if (c.got < c.per_producer * producers &&
		    read(c.efd, &v, sizeof(v)) != sizeof(v))
			die("eventfd read");
	}
	t = now_s() - t0;
	for (p = 0; p < producers; p++)
		pthread_join(th[p], NULL);
	close(c.efd);
	queue_free(c.q);
	return t;
}

struct mring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int sleeping;
	unsigned char (*slot)[MSG];
	size_t head, len, cap;
	long per_producer;
};

static void *
m_producer(void *arg)
{
	struct mring *m = arg;
	unsigned char msg[MSG] = { 0 };
	long i;

	for (i = 0; i < m->per_producer; i++) {
		int done = 0;

		msg[MSG - 1] = (unsigned char)i;
		while (!done) {
			pthread_mutex_lock(&m->mu);
			if (m->len < m->cap) {
				memcpy(m->slot[(m->head + m->len) % m->cap],
					msg, MSG);
				m->len++;
				done = 1;
				if (m->sleeping) {
					m->sleeping = 0;
					pthread_cond_signal(&m->cv);
				}
			}
			pthread_mutex_unlock(&m->mu);
			if (!done)
				sched_yield();
		}
	}
	return NULL;
}

static double
run_mutex(int producers)
{
	static unsigned char batch[MBATCH][MSG];
	struct mring m;
	pthread_t th[MAXPROD];
	double t0, t;
	long got = 0, want;
	int p;

	memset(&m, 0, sizeof(m));
	m.cap = 4096;
	m.per_producer = QMSGS / producers;
	want = m.per_producer * producers;
	if ((m.slot = calloc(m.cap, MSG)) == NULL)
		die("allocation");
	if (pthread_mutex_init(&m.mu, NULL) != 0 ||
	    pthread_cond_init(&m.cv, NULL) != 0)
		die("pthread_mutex_init/pthread_cond_init");
	t0 = now_s();
	for (p = 0; p < producers; p++)
		if (pthread_create(&th[p], NULL, m_producer, &m) != 0)
			die("pthread_create");
	while (got < want) {
		size_t n = 0, i;

		pthread_mutex_lock(&m.mu);
		while (m.len == 0) {
			m.sleeping = 1;
			pthread_cond_wait(&m.cv, &m.mu);
		}
		while (n < MBATCH && m.len > 0) {
			memcpy(batch[n++], m.slot[m.head], MSG);
			m.head = (m.head + 1) % m.cap;
			m.len--;
		}
		pthread_mutex_unlock(&m.mu);
		for (i = 0; i < n; i++)
			sink += (double)batch[i][MSG - 1];
		got += (long)n;
	}
	t = now_s() - t0;
	for (p = 0; p < producers; p++)
		pthread_join(th[p], NULL);
	pthread_cond_destroy(&m.cv);
	pthread_mutex_destroy(&m.mu);
	free(m.slot);
	return t;
}

static void *
pipe_producer(void *arg)
{
	int fd = *(int *)arg;
	unsigned char msg[MSG] = { 0 };
	long i;

	for (i = 0; i < PIPE_MSGS; i++) {
		msg[MSG - 1] = (unsigned char)i;
		if (write(fd, msg, MSG) != MSG)
			die("write");
	}
	return NULL;
}

static double
run_pipe(void)
{
	static unsigned char buf[65536];
	long bytes = 0, want = PIPE_MSGS * MSG;
	int fds[2];
	pthread_t th;
	double t0, t;

	if (pipe(fds) != 0)
		die("pipe");
	t0 = now_s();
	if (pthread_create(&th, NULL, pipe_producer, &fds[1]) != 0)
		die("pthread_create");
	while (bytes < want) {
		ssize_t n = read(fds[0], buf, sizeof(buf));

		if (n <= 0)
			die("read");
		bytes += n;
		sink += (double)buf[n - 1];
	}
	t = now_s() - t0;
	pthread_join(th, NULL);
	close(fds[0]);
	close(fds[1]);
	return t;
}

static void
bench_queues(void)
{
	static const int prods[] = { 1, 4 };
	double tq[RUNS], tm[RUNS], tp[RUNS];
	size_t i;
	int r;

	printf("\nthe queue alone: producer threads -> 1 consumer thread "
		"that sleeps when it finds nothing,\n  %d-byte messages, 4096 "
		"slots\n", MSG);
	printf("  %-40s %13s %9s\n", "", "msgs/s", "ns/msg");
	for (i = 0; i < sizeof(prods) / sizeof(prods[0]); i++) {
		char label[64];

		for (r = 0; r < RUNS; r++) {
			tq[r] = run_queue(prods[i]);
			tm[r] = run_mutex(prods[i]);
		}
		snprintf(label, sizeof(label), "lock-free + eventfd, %d "
			"producer%s",
			prods[i], prods[i] > 1 ? "s" : "");
		printf("  %-40s %13.0f %9.1f\n", label, QMSGS / median(tq),
			median(tq) * 1e9 / QMSGS);
		snprintf(label, sizeof(label), "mutex ring + condvar, %d "
			"producer%s",
			prods[i], prods[i] > 1 ? "s" : "");
		printf("  %-40s %13.0f %9.1f\n", label, QMSGS / median(tm),
			median(tm) * 1e9 / QMSGS);
	}
	for (r = 0; r < RUNS; r++)
		tp[r] = run_pipe();
	printf("  %-40s %13.0f %9.1f\n", "pipe, one write(2) per message",
		PIPE_MSGS / median(tp), median(tp) * 1e9 / PIPE_MSGS);
}

/* ---- 4. round trips ----------------------------------------------------- */

#define TRIPS 20000L

struct trip {
	struct loop *l;
	struct net *n;
	long trips;
};

static void trip_core(void *arg, void *m, size_t len);

static void
trip_net(void *arg, void *m, size_t len)
{
	struct trip *t = arg;

	(void)m;
	(void)len;
	while (loop_post(t->l, trip_core, t, NULL, 0) != 0)
		sched_yield();
}

static void
trip_core(void *arg, void *m, size_t len)
{
	struct trip *t = arg;

	(void)m;
	(void)len;
	if (++t->trips == TRIPS)
		loop_stop(t->l);
	else if (net_post(t->n, trip_net, t, NULL, 0) != 0)
		die("net_post");
}

static double
run_trip(void)
{
	struct trip t = { 0 };
	double t0, el;

	if ((t.l = loop_new(16, 16)) == NULL ||
	    (t.n = net_start(t.l, 16, 16)) == NULL)
		die("loop_new/net_start");
	t0 = now_s();
	if (net_post(t.n, trip_net, &t, NULL, 0) != 0 || loop_run(t.l) != 0)
		die("net_post/loop_run");
	el = now_s() - t0;
	net_stop(t.n);
	loop_free(t.l);
	return el;
}

struct efd {
	int ping, pong;
};

static void *
efd_echo(void *arg)
{
	struct efd *e = arg;
	uint64_t v;
	long i;

	for (i = 0; i < TRIPS; i++) {
		if (read(e->ping, &v, sizeof(v)) != sizeof(v) ||
		    write(e->pong, &v, sizeof(v)) != sizeof(v))
			die("eventfd echo");
	}
	return NULL;
}

static double
run_efd(void)
{
	struct efd e;
	pthread_t th;
	uint64_t v = 1;
	double t0, el;
	long i;

	if ((e.ping = eventfd(0, 0)) < 0 || (e.pong = eventfd(0, 0)) < 0)
		die("eventfd");
	if (pthread_create(&th, NULL, efd_echo, &e) != 0)
		die("pthread_create");
	t0 = now_s();
	for (i = 0; i < TRIPS; i++) {
		if (write(e.ping, &v, sizeof(v)) != sizeof(v) ||
		    read(e.pong, &v, sizeof(v)) != sizeof(v))
			die("eventfd ping");
	}
	el = now_s() - t0;
	pthread_join(th, NULL);
	close(e.ping);
	close(e.pong);
	return el;
}

static void
bench_trips(void)
{
	double tn[RUNS], te[RUNS];
	int r;

	for (r = 0; r < RUNS; r++) {
		tn[r] = run_trip();
		te[r] = run_efd();
	}
	printf("\nround trip between two sleeping threads, %ld trips\n", TRIPS);
	printf("  %-44s %8.2f us\n", "core -> net -> core (net_post, loop_post)",
		median(tn) * 1e6 / TRIPS);
	printf("  %-44s %8.2f us\n", "bare eventfd ping-pong (blocking read)",
		median(te) * 1e6 / TRIPS);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_bus();
	bench_post();
	bench_queues();
	bench_trips();
	return sink == -1.0;   /* keeps every sum observable */
}
