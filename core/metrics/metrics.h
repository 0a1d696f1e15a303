/*
 * metrics -- a registry of counters, gauges and histograms, rendered in
 * the Prometheus text exposition format 0.0.4 (what `/metrics` and
 * `quantctl metrics` serve).
 *
 * A family is one metric name with its HELP text, its type and a fixed
 * list of label names chosen when it is registered.  A series is one set
 * of label values of a family.  Series are made in two ways:
 *
 *  - updated ones (metrics_counter(), metrics_gauge(), metrics_histogram()
 *    return a handle): any thread updates them with relaxed C11 atomics.
 *    An increment is one atomic add; a histogram observation two (its
 *    bucket and its sum).  No lock, no allocation, no system call.  The
 *    count of a histogram is the sum of its buckets, so _count always
 *    equals the +Inf bucket in a scrape.
 *  - read ones (metrics_collect()): a callback that reports the values at
 *    render time, for figures another area already keeps (queue depths,
 *    the store's and the OMS's counters, process facts).  The callback runs
 *    inside metrics_render(), so on the core thread.
 *
 * Series at run time, bounded.  A family is registered with `max_series`;
 * metrics_counter() and friends find the series of a set of label values
 * (lock-free: a scan of the published series) or make it (under the
 * registry's mutex, the label values copied).  Once a family holds
 * `max_series` series, or a label value is longer than METRICS_VALUE_MAX
 * bytes or not valid UTF-8, the lookup returns the family's overflow series,
 * whose every label is "_overflow" (made with the family, so the lookup
 * never fails), and quantd_metrics_series_overflow_total counts such
 * lookups.  So a family costs at most max_series + 1 series whatever the
 * label values, and totals stay right.  Callers keep the handle when the
 * label values are fixed (a route known at start-up) and look it up per
 * event otherwise (a status code): for example the API server registers
 *
 *   static const char *const L[] = { "route", "method", "status" };
 *   f = metrics_counter_family(m, "quantd_api_requests_total",
 *       "API requests answered.", L, 3, 256);
 *   ...
 *   metrics_counter_add(metrics_counter(f, (const char *[]){ "/api/v1/orders",
 *       "POST", "201" }), 1);
 *
 * Families are registered once, before or after render has run; a name is
 * refused when it is not a valid metric name, is registered already, is a
 * counter without the `_total` suffix, or has an invalid or reserved label
 * name ("le" on a histogram, a leading "__").
 *
 * Names follow the Prometheus conventions: `quantd_` prefix, base units
 * (seconds, bytes) in the name, counters ending in `_total`.  Histograms
 * take integer observations in a unit the family names (`per_unit` of them
 * per base unit: 1000000000 for nanoseconds into seconds) so sums stay
 * exact atomic adds; bucket bounds are in that unit too.
 *
 * Every update function accepts a NULL handle and does nothing, so an area
 * runs the same with or without a registry.
 */
#ifndef QD_METRICS_H
#define QD_METRICS_H

#include <stddef.h>
#include <stdint.h>

/** Longest label value kept (bytes); a longer one goes to the overflow
 *  series. */
#define METRICS_VALUE_MAX 128
/** Most labels a family may have. */
#define METRICS_LABELS_MAX 8
/** Most buckets a histogram may have (besides +Inf). */
#define METRICS_BUCKETS_MAX 32

enum metrics_type {
	METRICS_COUNTER = 0,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

struct metrics;
struct metrics_family;
struct metrics_counter;
struct metrics_gauge;
struct metrics_histogram;
struct metrics_emit;

/** A new, empty registry (it holds quantd_metrics_series_overflow_total
 *  from the start), or NULL on no memory. */
struct metrics *metrics_new(void);
/** Free the registry and every handle it gave out.  NULL is a no-op. */
void metrics_free(struct metrics *m);

/**
 * Register a counter family `name` (ending in `_total`) with `n_labels`
 * label names and at most `max_series` series (at least 1).  The strings
 * are copied.  Returns the family, or NULL (invalid or taken name, bad
 * label, no memory).
 */
struct metrics_family *metrics_counter_family(struct metrics *m,
	const char *name, const char *help, const char *const *labels,
	size_t n_labels, size_t max_series);
/** Register a gauge family, as metrics_counter_family(). */
struct metrics_family *metrics_gauge_family(struct metrics *m,
	const char *name, const char *help, const char *const *labels,
	size_t n_labels, size_t max_series);
/**
 * Register a histogram family: `n_bounds` (1..METRICS_BUCKETS_MAX) strictly
 * increasing upper bounds in the observation's unit, `per_unit` units per
 * base unit (the `le` labels and the sum are rendered divided by it).
 * NULL on any invalid argument.
 */
struct metrics_family *metrics_histogram_family(struct metrics *m,
	const char *name, const char *help, const char *const *labels,
	size_t n_labels, size_t max_series, const int64_t *bounds,
	size_t n_bounds, int64_t per_unit);

/** Request and commit latencies: 100 us, 250 us, 500 us, 1 ms ... 5 s,
 *  10 s, in nanoseconds (METRICS_LATENCY_N bounds). */
extern const int64_t metrics_latency_ns[];
#define METRICS_LATENCY_N 16

/** A histogram family over metrics_latency_ns, observed in nanoseconds,
 *  rendered in seconds. */
struct metrics_family *metrics_latency_family(struct metrics *m,
	const char *name, const char *help, const char *const *labels,
	size_t n_labels, size_t max_series);

/**
 * The series of `values` (one per label name of the family; NULL when it
 * has none) in counter family `f`, made on first use; the overflow series
 * past the family's bound (see above).  NULL only when `f` is NULL or not
 * a counter family.  The handle lives as long as the registry.  Any
 * thread.
 */
struct metrics_counter *metrics_counter(struct metrics_family *f,
	const char *const *values);
/** The series of `values` in gauge family `f`, as metrics_counter(). */
struct metrics_gauge *metrics_gauge(struct metrics_family *f,
	const char *const *values);
/** The series of `values` in histogram family `f`, as metrics_counter(). */
struct metrics_histogram *metrics_histogram(struct metrics_family *f,
	const char *const *values);

/** Add `n` to a counter.  One relaxed atomic add.  Any thread. */
void metrics_counter_add(struct metrics_counter *c, uint64_t n);
/** Set a gauge.  Any thread. */
void metrics_gauge_set(struct metrics_gauge *g, int64_t v);
/** Add `d` (may be negative) to a gauge.  Any thread. */
void metrics_gauge_add(struct metrics_gauge *g, int64_t d);
/** Count one observation `v` (in the family's unit) into its bucket and
 *  the sum.  Any thread. */
void metrics_histogram_observe(struct metrics_histogram *h, int64_t v);

/** The value of a counter now (tests, and readers of their own). */
uint64_t metrics_counter_value(const struct metrics_counter *c);
/** The value of a gauge now. */
int64_t metrics_gauge_value(const struct metrics_gauge *g);
/** The observations counted by a histogram so far. */
uint64_t metrics_histogram_count(const struct metrics_histogram *h);

/**
 * Called at render time to report the current values of a read family:
 * it calls metrics_emit() once per series (none is fine).  Runs inside
 * metrics_render(), on its thread (the core thread in the daemon).
 */
typedef void (*metrics_collect_fn)(void *arg, struct metrics_emit *e);

/**
 * Register a read family of `type` METRICS_COUNTER or METRICS_GAUGE: `fn`
 * reports its series at each render.  Names and labels as for the other
 * families (a counter ends in `_total`).  `arg` must outlive the registry
 * or the caller's last render.  Returns the family or NULL.
 */
struct metrics_family *metrics_collect(struct metrics *m, const char *name,
	const char *help, enum metrics_type type, const char *const *labels,
	size_t n_labels, metrics_collect_fn fn, void *arg);

/** From a collect callback: one series with `values` (one per label;
 *  NULL when the family has none) and value `v`.  Values are escaped in
 *  the output, bytes that are not valid UTF-8 rendered as U+FFFD; a NULL
 *  value renders as "". */
void metrics_emit(struct metrics_emit *e, const char *const *values,
	double v);

/**
 * The exposition text of every family in registration order: `# HELP`
 * and `# TYPE` lines, then its series (a histogram's cumulative
 * `_bucket{le=...}` ending with le="+Inf", then `_sum` and `_count`); a
 * family without series prints its HELP and TYPE only.  Returns a
 * malloc'd NUL-terminated string (its length in *len when len is not
 * NULL), or NULL on no memory.  Content-Type:
 * "text/plain; version=0.0.4; charset=utf-8".  Calls the collect
 * callbacks: the core thread only, one render at a time.
 */
char *metrics_render(struct metrics *m, size_t *len);

/** The Content-Type of metrics_render()'s text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/** 1 if `name` is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
int metrics_name_valid(const char *name);

#endif
