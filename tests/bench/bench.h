/*
 * bench.h -- the timing helpers of the benchmarks: a monotonic clock in
 * seconds, the process's CPU time, the median of a few runs (robust to one
 * disturbed run on a shared machine) and a fatal setup error.
 */
#ifndef QD_BENCH_H
#define QD_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the process so far (user and system, its threads): on a
 * shared machine, the cost of work without the time spent waiting. */
static inline double
bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of v[0..n), n <= 64; v is left as it was. */
static inline double
bench_median(const double *v, size_t n)
{
	double s[64];

	if (n == 0 || n > 64)
		return 0;
	memcpy(s, v, n * sizeof(double));
	qsort(s, n, sizeof(double), bench_cmp_double);
	return s[n / 2];
}

/* Setup failed: the figures would mean nothing. */
static inline void
bench_die(const char *bench, const char *what)
{
	fprintf(stderr, "%s: %s failed\n", bench, what);
	exit(1);
}

#endif
