/*
 * bench_metrics.c -- what a metric update and a scrape cost.
 *
 *  1. metrics_counter_add() and metrics_histogram_observe() (16 latency
 *     buckets) against the limit, a bare relaxed atomic add on one
 *     variable, with 1 and 2 threads updating the same series (2 threads:
 *     the cache line bounces between the cores, for both).
 *  2. A full metrics_render() of a registry shaped like a busy daemon's
 *     (60 families, 400 counter series, 20 latency histograms by route,
 *     10 read families) against memcpy of the same number of bytes.
 *
 * Figures only, never pass/fail; each figure is the median of 5 runs.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/metrics.h"

#define RUNS 5
#define OPS 20000000L          /* updates per thread per run */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

enum kind { BARE, COUNTER, HISTOGRAM };

static _Atomic uint64_t bare;

struct job {
	enum kind kind;
	struct metrics_counter *c;
	struct metrics_histogram *h;
	pthread_barrier_t *go;
};

static void *
run(void *arg)
{
	struct job *j = arg;
	long i;

	pthread_barrier_wait(j->go);
	switch (j->kind) {
	case BARE:
		for (i = 0; i < OPS; i++)
			atomic_fetch_add_explicit(&bare, 1,
				memory_order_relaxed);
		break;
	case COUNTER:
		for (i = 0; i < OPS; i++)
			metrics_counter_add(j->c, 1);
		break;
	case HISTOGRAM:
		/* Latencies spread over the buckets: 0 .. ~1 s. */
		for (i = 0; i < OPS; i++)
			metrics_histogram_observe(j->h, (i & 1023) * 1000000);
		break;
	}
	return NULL;
}

/* ns per update, with `threads` threads on the same series. */
static double
time_updates(enum kind kind, int threads, struct metrics_counter *c,
	struct metrics_histogram *h)
{
	pthread_t t[2];
	struct job j[2];
	pthread_barrier_t go;
	double t0;
	int i;

	pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
	for (i = 0; i < threads; i++) {
		j[i].kind = kind;
		j[i].c = c;
		j[i].h = h;
		j[i].go = &go;
		pthread_create(&t[i], NULL, run, &j[i]);
	}
	pthread_barrier_wait(&go);
	t0 = now_s();
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	t0 = now_s() - t0;
	pthread_barrier_destroy(&go);
	return t0 * 1e9 / (double)(OPS * threads);
}

static void
collect_some(void *arg, struct metrics_emit *e)
{
	int i;
	char v[16];

	(void)arg;
	for (i = 0; i < 8; i++) {
		snprintf(v, sizeof(v), "x%d", i);
		metrics_emit(e, (const char *[]){ v }, i * 1.5);
	}
}

/* A registry shaped like a busy daemon's. */
static struct metrics *
daemon_like(void)
{
	static const char *const lbl[] = { "route", "method", "status" };
	static const char *const one[] = { "name" };
	static const char *const route[] = { "route" };
	struct metrics *m = metrics_new();
	struct metrics_family *f;
	char name[64], r[32], s[8];
	int i, k;

	f = metrics_counter_family(m, "quantd_api_requests_total", "Requests.",
		lbl, 3, 512);
	for (i = 0; i < 400; i++) {
		snprintf(r, sizeof(r), "/api/v1/r%d", i / 20);
		snprintf(s, sizeof(s), "%d", 200 + i % 20);
		metrics_counter_add(metrics_counter(f, (const char *[]){ r,
			"GET", s }), (uint64_t)i * 977);
	}
	f = metrics_latency_family(m, "quantd_api_request_duration_seconds",
		"Latency.", route, 1, 64);
	for (i = 0; i < 20; i++) {
		snprintf(r, sizeof(r), "/api/v1/r%d", i);
		for (k = 0; k < 100; k++)
			metrics_histogram_observe(metrics_histogram(f,
				(const char *[]){ r }), k * 3000000);
	}
	for (i = 0; i < 48; i++) {
		snprintf(name, sizeof(name), "quantd_thing_%d_total", i);
		metrics_counter_add(metrics_counter(metrics_counter_family(m,
			name, "A thing.", NULL, 0, 1), NULL), (uint64_t)i);
	}
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "quantd_read_%d", i);
		metrics_collect(m, name, "Read.", METRICS_GAUGE, one, 1,
			collect_some, NULL);
	}
	return m;
}

int
main(void)
{
	static const char *const route[] = { "route" };
	struct metrics *m = metrics_new();
	struct metrics_counter *c = metrics_counter(metrics_counter_family(m,
		"quantd_b_total", "B.", NULL, 0, 1), NULL);
	struct metrics_histogram *h = metrics_histogram(metrics_latency_family(
		m, "quantd_b_seconds", "B.", route, 1, 4),
		(const char *[]){ "/x" });
	double bare_ns[RUNS], cnt_ns[RUNS], hist_ns[RUNS];
	double ren[RUNS], cpy[RUNS], t0;
	struct metrics *big;
	size_t len = 0;
	char *text, *dst;
	int threads, r, k;

	printf("update cost, ns per update (median of %d runs of %ld "
		"updates per thread)\n", RUNS, OPS);
	for (threads = 1; threads <= 2; threads++) {
		for (r = 0; r < RUNS; r++) {
			bare_ns[r] = time_updates(BARE, threads, c, h);
			cnt_ns[r] = time_updates(COUNTER, threads, c, h);
			hist_ns[r] = time_updates(HISTOGRAM, threads, c, h);
		}
		double b = median(bare_ns, RUNS), cn = median(cnt_ns, RUNS),
			hn = median(hist_ns, RUNS);

		printf("  %d thread(s) on one series: bare atomic add %.2f, "
			"counter_add %.2f (%.2fx), histogram_observe %.2f "
			"(%.2fx)\n", threads, b, cn, cn / b, hn, hn / b);
	}
	big = daemon_like();
	text = metrics_render(big, &len);
	dst = malloc(len + 1);
	for (r = 0; r < RUNS; r++) {
		t0 = now_s();
		for (k = 0; k < 100; k++)
			free(metrics_render(big, NULL));
		ren[r] = (now_s() - t0) / 100;
		t0 = now_s();
		for (k = 0; k < 100; k++) {
			memcpy(dst, text, len);
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		cpy[r] = (now_s() - t0) / 100;
	}
	printf("full render: %zu bytes in %.1f us (%.0f MB/s); memcpy of "
		"the same bytes %.2f us: render/memcpy %.0fx\n", len,
		median(ren, RUNS) * 1e6, len / median(ren, RUNS) / 1e6,
		median(cpy, RUNS) * 1e6, median(ren, RUNS) / median(cpy, RUNS));
	free(dst);
	free(text);
	metrics_free(big);
	metrics_free(m);
	return 0;
}
