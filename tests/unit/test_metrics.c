/*
 * test_metrics.c -- the metrics registry and its text exposition: the exact
 * text of a small registry, escaping, cumulative histogram buckets, read
 * families, the bound on series made at run time, refused registrations,
 * and increments from several threads adding up.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics/metrics.h"

/* Fail showing both texts when the rendering differs. */
static void
expect_text(const char *got, const char *want)
{
	if (got == NULL)
		fail_msg("render returned NULL");
	if (strcmp(got, want) != 0)
		fail_msg("rendered text differs\n--- got:\n%s--- want:\n%s",
			got, want);
}

/* The rendering without the registry's own first family. */
static char *
render_tail(struct metrics *m)
{
	char *text = metrics_render(m, NULL), *p;
	const char *own = "quantd_metrics_series_overflow_total";

	assert_non_null(text);
	/* HELP, TYPE and its one sample: three lines. */
	assert_non_null(strstr(text, own));
	p = text;
	for (int i = 0; i < 3 && p != NULL; i++)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	assert_non_null(p);
	memmove(text, p, strlen(p) + 1);
	return text;
}

static void
exact_text_of_a_small_registry(void **state)
{
	static const char *const lbl[] = { "exchange" };
	struct metrics *m = metrics_new();
	struct metrics_family *c, *g, *h, *n;
	int64_t bounds[] = { 1000, 5000 };
	char *text;

	(void)state;
	assert_non_null(m);
	c = metrics_counter_family(m, "quantd_feed_messages_total",
		"Market data messages.", lbl, 1, 8);
	g = metrics_gauge_family(m, "quantd_queue_depth", "Rows queued.",
		NULL, 0, 1);
	h = metrics_histogram_family(m, "quantd_commit_seconds",
		"Commit latency.", NULL, 0, 1, bounds, 2, 1000000);
	n = metrics_gauge_family(m, "quantd_offset", "Negative.", NULL, 0, 1);
	assert_non_null(c);
	assert_non_null(g);
	assert_non_null(h);
	metrics_counter_add(metrics_counter(c, (const char *[]){ "binance" }),
		3);
	metrics_counter_add(metrics_counter(c, (const char *[]){ "okx" }), 1);
	metrics_counter_add(metrics_counter(c, (const char *[]){ "binance" }),
		2);
	metrics_gauge_set(metrics_gauge(g, NULL), 7);
	metrics_gauge_add(metrics_gauge(g, NULL), -2);
	metrics_gauge_set(metrics_gauge(n, NULL), INT64_MIN);
	metrics_histogram_observe(metrics_histogram(h, NULL), 500);
	metrics_histogram_observe(metrics_histogram(h, NULL), 1000);
	metrics_histogram_observe(metrics_histogram(h, NULL), 4000);
	metrics_histogram_observe(metrics_histogram(h, NULL), 9000);
	text = render_tail(m);
	expect_text(text,
		"# HELP quantd_feed_messages_total Market data messages.\n"
		"# TYPE quantd_feed_messages_total counter\n"
		"quantd_feed_messages_total{exchange=\"binance\"} 5\n"
		"quantd_feed_messages_total{exchange=\"okx\"} 1\n"
		"# HELP quantd_queue_depth Rows queued.\n"
		"# TYPE quantd_queue_depth gauge\n"
		"quantd_queue_depth 5\n"
		"# HELP quantd_commit_seconds Commit latency.\n"
		"# TYPE quantd_commit_seconds histogram\n"
		"quantd_commit_seconds_bucket{le=\"0.001\"} 2\n"
		"quantd_commit_seconds_bucket{le=\"0.005\"} 3\n"
		"quantd_commit_seconds_bucket{le=\"+Inf\"} 4\n"
		"quantd_commit_seconds_sum 0.0145\n"
		"quantd_commit_seconds_count 4\n"
		"# HELP quantd_offset Negative.\n"
		"# TYPE quantd_offset gauge\n"
		"quantd_offset -9223372036854775808\n");
	free(text);
	metrics_free(m);
}

static void
label_values_and_help_are_escaped(void **state)
{
	static const char *const lbl[] = { "route", "status" };
	struct metrics *m = metrics_new();
	struct metrics_family *c;
	char *text;

	(void)state;
	c = metrics_counter_family(m, "quantd_api_requests_total",
		"Requests\\answered\nby route.", lbl, 2, 4);
	assert_non_null(c);
	metrics_counter_add(metrics_counter(c, (const char *[]){
		"/a\"b\\c\nd", NULL }), 1);
	text = render_tail(m);
	expect_text(text,
		"# HELP quantd_api_requests_total Requests\\\\answered\\nby "
		"route.\n"
		"# TYPE quantd_api_requests_total counter\n"
		"quantd_api_requests_total{route=\"/a\\\"b\\\\c\\nd\","
		"status=\"\"} 1\n");
	free(text);
	metrics_free(m);
}

static void
histogram_buckets_are_cumulative_with_labels(void **state)
{
	static const char *const lbl[] = { "route" };
	struct metrics *m = metrics_new();
	struct metrics_family *f;
	struct metrics_histogram *h;
	char *text;
	int i;

	(void)state;
	f = metrics_latency_family(m, "quantd_api_request_duration_seconds",
		"Request latency.", lbl, 1, 16);
	assert_non_null(f);
	h = metrics_histogram(f, (const char *[]){ "/x" });
	/* One observation per bucket, the +Inf one included. */
	for (i = 0; i < METRICS_LATENCY_N; i++)
		metrics_histogram_observe(h, metrics_latency_ns[i]);
	metrics_histogram_observe(h, metrics_latency_ns[METRICS_LATENCY_N -
		1] + 1);
	assert_int_equal(metrics_histogram_count(h), METRICS_LATENCY_N + 1);
	text = metrics_render(m, NULL);
	assert_non_null(strstr(text,
		"quantd_api_request_duration_seconds_bucket{route=\"/x\","
		"le=\"0.0001\"} 1\n"
		"quantd_api_request_duration_seconds_bucket{route=\"/x\","
		"le=\"0.00025\"} 2\n"));
	assert_non_null(strstr(text,
		"quantd_api_request_duration_seconds_bucket{route=\"/x\","
		"le=\"10\"} 16\n"
		"quantd_api_request_duration_seconds_bucket{route=\"/x\","
		"le=\"+Inf\"} 17\n"));
	assert_non_null(strstr(text,
		"quantd_api_request_duration_seconds_count{route=\"/x\"} 17\n"));
	/* Sum: 100us + 250us + ... + 10s (19.44435 s) + 10.000000001 s. */
	assert_non_null(strstr(text,
		"quantd_api_request_duration_seconds_sum{route=\"/x\"} "
		"29.444350001\n"));
	free(text);
	metrics_free(m);
}

struct collected {
	double depth;
	int calls;
};

static void
collect_depths(void *arg, struct metrics_emit *e)
{
	struct collected *c = arg;

	c->calls++;
	metrics_emit(e, (const char *[]){ "sqlite" }, c->depth);
	metrics_emit(e, (const char *[]){ "pg" }, 0.25);
	if (c->calls == 1)
		metrics_emit(e, (const char *[]){ "\xe2\x82\xac\xff" }, 1);
}

static void
read_family_reports_at_render(void **state)
{
	static const char *const lbl[] = { "backend" };
	struct collected c = { 12, 0 };
	struct metrics *m = metrics_new();
	char *text;

	(void)state;
	assert_non_null(metrics_collect(m, "quantd_store_queue_rows",
		"Rows waiting.", METRICS_GAUGE, lbl, 1, collect_depths, &c));
	text = render_tail(m);
	expect_text(text,
		"# HELP quantd_store_queue_rows Rows waiting.\n"
		"# TYPE quantd_store_queue_rows gauge\n"
		"quantd_store_queue_rows{backend=\"sqlite\"} 12\n"
		"quantd_store_queue_rows{backend=\"pg\"} 0.25\n"
		"quantd_store_queue_rows{backend=\"\xe2\x82\xac\xef\xbf\xbd\"} 1\n");
	free(text);
	c.depth = 1e20;
	text = render_tail(m);
	assert_non_null(strstr(text, "{backend=\"sqlite\"} 1e+20\n"));
	free(text);
	assert_int_equal(c.calls, 2);
	metrics_free(m);
}

static void
series_past_the_bound_go_to_overflow(void **state)
{
	static const char *const lbl[] = { "status" };
	struct metrics *m = metrics_new();
	struct metrics_family *f;
	struct metrics_counter *a, *b, *o1, *o2;
	char longv[METRICS_VALUE_MAX + 2], *text;

	(void)state;
	f = metrics_counter_family(m, "quantd_x_total", "X.", lbl, 1, 2);
	a = metrics_counter(f, (const char *[]){ "200" });
	b = metrics_counter(f, (const char *[]){ "404" });
	o1 = metrics_counter(f, (const char *[]){ "500" });
	o2 = metrics_counter(f, (const char *[]){ "503" });
	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(a, metrics_counter(f, (const char *[]){ "200" }));
	assert_ptr_equal(o1, o2);
	assert_ptr_equal(o1, metrics_counter(f, (const char *[]){ longv }));
	/* Not UTF-8 (a bare continuation byte, an overlong slash): overflow;
	 * valid multi-byte text is fine once there is room. */
	assert_ptr_equal(o1, metrics_counter(f, (const char *[]){ "a\x80" }));
	assert_ptr_equal(o1, metrics_counter(f, (const char *[]){
		"\xc0\xaf" }));
	metrics_counter_add(a, 1);
	metrics_counter_add(o1, 2);
	metrics_counter_add(o2, 3);
	text = metrics_render(m, NULL);
	assert_non_null(strstr(text, "quantd_metrics_series_overflow_total 5\n"));
	assert_non_null(strstr(text,
		"quantd_x_total{status=\"200\"} 1\n"
		"quantd_x_total{status=\"404\"} 0\n"
		"quantd_x_total{status=\"_overflow\"} 5\n"));
	free(text);
	metrics_free(m);
}

static void noop_collect(void *arg, struct metrics_emit *e)
{
	(void)arg;
	(void)e;
}

static void
bad_registrations_are_refused(void **state)
{
	static const char *const le[] = { "le" };
	static const char *const dup[] = { "a", "a" };
	static const char *const reserved[] = { "__name" };
	static const char *const bad[] = { "a-b" };
	struct metrics *m = metrics_new();
	int64_t down[] = { 5, 1 };

	(void)state;
	assert_non_null(metrics_counter_family(m, "quantd_a_total", "A.",
		NULL, 0, 1));
	assert_null(metrics_counter_family(m, "quantd_a_total", "Again.",
		NULL, 0, 1));
	assert_null(metrics_gauge_family(m, "quantd_a_total", "Gauge of the "
		"same name.", NULL, 0, 1));
	assert_null(metrics_counter_family(m, "quantd_b", "No _total.", NULL,
		0, 1));
	assert_null(metrics_gauge_family(m, "0quantd", "Digit first.", NULL,
		0, 1));
	assert_null(metrics_gauge_family(m, "quantd-c", "Dash.", NULL, 0, 1));
	assert_null(metrics_gauge_family(m, "quantd_c", "Dup labels.", dup, 2,
		4));
	assert_null(metrics_gauge_family(m, "quantd_c", "Reserved.", reserved,
		1, 4));
	assert_null(metrics_gauge_family(m, "quantd_c", "Bad label.", bad, 1,
		4));
	assert_null(metrics_gauge_family(m, "quantd_d", "Bound 0.", le, 1, 0));
	assert_null(metrics_histogram_family(m, "quantd_h", "le label.", le, 1,
		4, metrics_latency_ns, METRICS_LATENCY_N, 1000000000));
	assert_null(metrics_histogram_family(m, "quantd_h", "Unsorted.", NULL,
		0, 1, down, 2, 1));
	assert_null(metrics_histogram_family(m, "quantd_h", "No bounds.", NULL,
		0, 1, down, 0, 1));
	assert_null(metrics_collect(m, "quantd_h", "Histogram read.",
		METRICS_HISTOGRAM, NULL, 0, noop_collect, NULL));
	assert_null(metrics_collect(m, "quantd_h", "No callback.",
		METRICS_GAUGE, NULL, 0, NULL, NULL));
	/* The right type of handle only. */
	assert_null(metrics_gauge(metrics_counter_family(m, "quantd_e_total",
		"E.", NULL, 0, 1), NULL));
	/* NULL handles are no-ops. */
	metrics_counter_add(NULL, 1);
	metrics_gauge_set(NULL, 1);
	metrics_histogram_observe(NULL, 1);
	metrics_free(m);
}

#define THREADS 4
#define PER_THREAD 200000

struct worker {
	struct metrics_family *c, *h;
	pthread_barrier_t *go;
	int id;
};

/* Each thread looks its series up itself (racing to make them) and
 * updates a shared counter, its own counter and a shared histogram. */
static void *
work(void *arg)
{
	struct worker *w = arg;
	char own[16];
	struct metrics_counter *shared, *mine;
	struct metrics_histogram *h;
	int i;

	pthread_barrier_wait(w->go);
	snprintf(own, sizeof(own), "t%d", w->id);
	shared = metrics_counter(w->c, (const char *[]){ "shared" });
	mine = metrics_counter(w->c, (const char *[]){ own });
	h = metrics_histogram(w->h, NULL);
	for (i = 0; i < PER_THREAD; i++) {
		metrics_counter_add(shared, 1);
		metrics_counter_add(mine, 2);
		metrics_histogram_observe(h, i % 3);
	}
	return NULL;
}

static void
concurrent_increments_add_up(void **state)
{
	static const char *const lbl[] = { "who" };
	int64_t bounds[] = { 0, 1 };
	struct metrics *m = metrics_new();
	struct worker w[THREADS];
	pthread_t t[THREADS];
	pthread_barrier_t go;
	char *text, want[128];
	int i;

	(void)state;
	pthread_barrier_init(&go, NULL, THREADS);
	for (i = 0; i < THREADS; i++) {
		w[i].c = i == 0 ? metrics_counter_family(m, "quantd_n_total",
			"N.", lbl, 1, 16) : w[0].c;
		w[i].h = i == 0 ? metrics_histogram_family(m, "quantd_v",
			"V.", NULL, 0, 1, bounds, 2, 1) : w[0].h;
		w[i].go = &go;
		w[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	text = metrics_render(m, NULL);
	snprintf(want, sizeof(want), "quantd_n_total{who=\"shared\"} %d\n",
		THREADS * PER_THREAD);
	if (strstr(text, want) == NULL)
		fail_msg("want %s in\n%s", want, text);
	for (i = 0; i < THREADS; i++) {
		snprintf(want, sizeof(want), "quantd_n_total{who=\"t%d\"} %d\n",
			i, 2 * PER_THREAD);
		if (strstr(text, want) == NULL)
			fail_msg("want %s in\n%s", want, text);
	}
	/* One series per label set: "shared" made once whoever came first. */
	assert_null(strstr(strstr(text, "who=\"shared\"") + 1,
		"who=\"shared\""));
	/* i % 3 over PER_THREAD values: 0, 1, 2 in turn. */
	snprintf(want, sizeof(want), "quantd_v_count %d\n",
		THREADS * PER_THREAD);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "quantd_v_bucket{le=\"0\"} %d\n",
		THREADS * ((PER_THREAD + 2) / 3));
	if (strstr(text, want) == NULL)
		fail_msg("want %s in\n%s", want, text);
	free(text);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_text_of_a_small_registry),
		cmocka_unit_test(label_values_and_help_are_escaped),
		cmocka_unit_test(histogram_buckets_are_cumulative_with_labels),
		cmocka_unit_test(read_family_reports_at_render),
		cmocka_unit_test(series_past_the_bound_go_to_overflow),
		cmocka_unit_test(bad_registrations_are_refused),
		cmocka_unit_test(concurrent_increments_add_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
