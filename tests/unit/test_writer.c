/*
 * test_writer.c -- the store thread: every queued candle is committed, in
 * order per series, also when the queue overflows into the backlog; state
 * saves are readable at once and durable after a stop; malformed rows are
 * refused and counted.  (Run under TSan in CI: it crosses threads.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <quantd/sdk.h>

#include "loop/loop.h"
#include "store/store.h"
#include "store/writer.h"

static char dir[64];
static char db[128];

struct run {
	struct loop *loop;
	struct writer *w;
	uint64_t want;
	int ticks;
};

static void
poll_done(void *arg)
{
	struct run *r = arg;
	struct writer_stats st;

	writer_stats(r->w, &st);
	if (st.rows_written >= r->want || ++r->ticks > 30000)
		loop_stop(r->loop);
}

/* Each committed batch is observed here when set. */
static struct metrics_histogram *commit_latency;

static struct writer *
start(struct loop *l, size_t queue, size_t backlog)
{
	struct writer_options o = { db, 500, 5, queue, backlog, 0,
		commit_latency };
	char err[512];
	struct writer *w = writer_start(l, &o, err, sizeof(err));

	if (w == NULL)
		fail_msg("writer_start: %s", err);
	return w;
}

static size_t got;
static int64_t last_seen;
static int in_order;

static int
check_chunk(void *arg, const struct store_candle *c, size_t n)
{
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++) {
		if (c[i].open_time != last_seen + 60000 ||
		    c[i].close != (double)(c[i].open_time / 60000))
			in_order = 0;
		last_seen = c[i].open_time;
	}
	got += n;
	return 0;
}

static void
everything_lands_through_the_backlog(void **unused)
{
	struct loop *l = loop_new(64, 64);
	struct run r = { l, NULL, 20000, 0 };
	struct loop_timer *t;
	struct store *s;
	struct store_series k = { "x", "BTC/USDT", "1m" };
	struct metrics *m = metrics_new();
	struct metrics_histogram *h;
	struct writer_stats st;
	char err[512];
	int64_t i;

	(void)unused;
	unlink(db);
	commit_latency = metrics_histogram(metrics_latency_family(m,
		"quantd_store_commit_duration_seconds", "Commits.", NULL, 0, 1),
		NULL);
	assert_non_null(h = commit_latency);
	/* A queue of 64 rows: most of the 20,000 go through the backlog. */
	r.w = start(l, 64, 1000000);
	commit_latency = NULL;
	for (i = 1; i <= 20000; i++) {
		struct store_candle c = { i * 60000, (double)i, (double)i + 1,
			(double)i - 1, (double)i, 1, NAN, -1 };

		assert_int_equal(writer_candle(r.w, "x", "BTC/USDT", "1m", &c),
			QD_OK);
	}
	assert_true(writer_backlogged(r.w));
	t = loop_timer_add(l, 1000000, 1000000, poll_done, &r);
	loop_run(l);
	loop_timer_cancel(t);
	assert_false(writer_backlogged(r.w));
	writer_stats(r.w, &st);
	writer_stop(r.w, 5000);   /* nothing left to write */
	loop_free(l);
	/* Every committed batch was timed, and only those. */
	if (metrics_histogram_count(h) != st.batches || st.batches == 0)
		fail_msg("commit latency: %llu observations for %llu batches",
			(unsigned long long)metrics_histogram_count(h),
			(unsigned long long)st.batches);
	metrics_free(m);
	assert_int_equal(store_open(db, STORE_ROLE_READER, &s, err,
		sizeof(err)), QD_OK);
	got = 0;
	last_seen = 0;
	in_order = 1;
	assert_int_equal(store_candles(s, &k, INT64_MIN, INT64_MAX, 0, 0,
		check_chunk, NULL), QD_OK);
	assert_int_equal(got, 20000);
	assert_true(in_order);
	store_close(s);
}

static void
stop_flushes_and_state_persists(void **unused)
{
	struct loop *l = loop_new(64, 64);
	struct writer *w;
	struct writer_stats st;
	char buf[16];
	size_t len = 0;
	int64_t i;

	(void)unused;
	unlink(db);
	w = start(l, 100000, 100);
	for (i = 1; i <= 1234; i++) {
		struct store_candle c = { i * 60000, 1, 1, 1, 1, 1, NAN, -1 };

		assert_int_equal(writer_candle(w, "x", "ETH/USDT", "1m", &c),
			QD_OK);
	}
	assert_int_equal(writer_state_save(w, "demo", "one", 3), QD_OK);
	assert_int_equal(writer_state_save(w, "demo", "second", 6), QD_OK);
	assert_int_equal(writer_state_load(w, "demo", buf, sizeof(buf), &len),
		QD_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "second", 6);
	assert_int_equal(writer_state_load(w, "none", buf, sizeof(buf), &len),
		QD_ERR_NOTFOUND);
	/* Malformed rows are refused and counted, never queued. */
	{
		struct store_candle bad = { 61000, 1, 1, 1, 1, 1, NAN, -1 };

		assert_int_equal(writer_candle(w, "x", "ETH/USDT", "1m", &bad),
			QD_ERR_INVALID);
		bad.open_time = 60000;
		assert_int_equal(writer_candle(w, "x", "ETH/USDT", "7m", &bad),
			QD_ERR_INVALID);
		bad.close = NAN;
		assert_int_equal(writer_candle(w, "x", "ETH/USDT", "1m", &bad),
			QD_ERR_INVALID);
	}
	writer_stats(w, &st);
	assert_int_equal(st.invalid, 3);
	writer_stop(w, 5000);  /* writes what is queued */
	/* A new writer finds the state and every row. */
	w = start(l, 1000, 100);
	len = 0;
	assert_int_equal(writer_state_load(w, "demo", buf, sizeof(buf), &len),
		QD_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "second", 6);
	writer_stop(w, 5000);
	{
		struct store *s;
		struct store_series k = { "x", "ETH/USDT", "1m" };
		char err[512];

		assert_int_equal(store_open(db, STORE_ROLE_READER, &s, err,
			sizeof(err)), QD_OK);
		got = 0;
		last_seen = 0;
		in_order = 1;
		assert_int_equal(store_candles(s, &k, INT64_MIN, INT64_MAX, 0,
			0, check_chunk, NULL), QD_OK);
		assert_int_equal(got, 1234);
		store_close(s);
	}
	loop_free(l);
}

static void
bad_location_fails_at_start(void **unused)
{
	struct loop *l = loop_new(64, 64);
	struct writer_options o = { "/nonexistent/dir/q.db", 10, 10, 100, 100,
		0, NULL };
	char err[512];

	(void)unused;
	assert_null(writer_start(l, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/dir/q.db"));
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(everything_lands_through_the_backlog),
		cmocka_unit_test(stop_flushes_and_state_persists),
		cmocka_unit_test(bad_location_fails_at_start),
	};
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/qd-writer-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/w.db", dir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0 && rc == 0)
			rc = 1;
	}
	return rc;
}
