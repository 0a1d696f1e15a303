/*
 * bench_bus.c -- events/s through bus_publish to N subscribers (1, 8, 64),
 * against the limit: a bare loop calling the same handlers through a
 * function-pointer array.  Also loop_post() cross-thread throughput.
 * Figures only; medians of 5 runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "loop/loop.h"

#define EVENTS 2000000
#define RUNS 5

struct acc {
	double sum;
	long n;
};

static volatile double sink;

static void
handler(void *arg, const struct bus_event *ev)
{
	struct acc *a = arg;

	a->sum += ev->u.trade.price;
	a->n++;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v)
{
	qsort(v, RUNS, sizeof(double), cmp);
	return v[RUNS / 2];
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

	for (k = 0; k < nsubs; k++)
		bus_subscribe(b, BUS_TRADE, 0, handler, &acc[k]);
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_TRADE;
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
	struct acc *acc = calloc((size_t)nsubs, sizeof(*acc));
	void (*volatile h)(void *, const struct bus_event *) = handler;
	struct bus_event ev;
	double t0, t;
	long i;
	int k;

	fns = calloc((size_t)nsubs, sizeof(*fns));
	for (k = 0; k < nsubs; k++)
		fns[k] = h;
	memset(&ev, 0, sizeof(ev));
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

/* ---- loop_post ----------------------------------------------------------- */

#define POSTS 2000000

struct post_ctx {
	struct loop *l;
	long received;
};

static void
on_msg(void *arg, void *msg, size_t len)
{
	struct post_ctx *c = arg;

	(void)msg;
	(void)len;
	if (++c->received == POSTS)
		loop_stop(c->l);
}

static void *
producer(void *arg)
{
	struct post_ctx *c = arg;
	char msg[64] = { 0 };
	long i;

	for (i = 0; i < POSTS; i++)
		while (loop_post(c->l, on_msg, c, msg, sizeof(msg)) != 0)
			sched_yield();
	return NULL;
}

static double
run_post(void)
{
	struct post_ctx c = { 0 };
	pthread_t th;
	double t0, t;

	c.l = loop_new(4096, 64);
	t0 = now_s();
	pthread_create(&th, NULL, producer, &c);
	loop_run(c.l);
	t = now_s() - t0;
	pthread_join(th, NULL);
	loop_free(c.l);
	return t;
}

int
main(void)
{
	static const int ns[] = { 1, 8, 64 };
	double tb[RUNS], tr[RUNS];
	size_t i;
	int r;

	printf("bus: %d events, median of %d runs\n", EVENTS, RUNS);
	printf("  %-5s %14s %10s %14s %10s %7s\n", "subs", "bus events/s",
		"ns/event", "bare events/s", "ns/event", "ratio");
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		long ev = EVENTS / (ns[i] > 8 ? 8 : 1);
		double b, bare;

		for (r = 0; r < RUNS; r++) {
			tb[r] = run_bus(ns[i], ev);
			tr[r] = run_bare(ns[i], ev);
		}
		b = median(tb);
		bare = median(tr);
		printf("  %-5d %14.0f %10.2f %14.0f %10.2f %6.2fx\n", ns[i],
			ev / b, b * 1e9 / ev, ev / bare, bare * 1e9 / ev,
			b / bare);
	}
	for (r = 0; r < RUNS; r++)
		tb[r] = run_post();
	printf("loop_post: %d x 64-byte messages, 1 producer thread -> core "
		"loop: %.0f msgs/s (%.1f ns/msg)\n", POSTS,
		POSTS / median(tb), median(tb) * 1e9 / POSTS);
	return sink == -1.0;
}
