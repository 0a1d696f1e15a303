/*
 * bench_outbox.c -- the notification outbox's cost, against the limits
 * under it:
 *   enqueue: route, dedupe and hand one notification to the journal, on
 *     the core thread -- against copying the same bytes (malloc + memcpy
 *     + free of a record that size), the least a queued copy costs;
 *   delivery: enqueue to confirmed by an instant channel, with every row
 *     durable in SQLite first and its attempt and delivery written too --
 *     against writing the same rows straight to the store in transactions
 *     of 1,000 (the store's own rate, what the journal's group commits
 *     can reach at best).
 * Figures only (median of 3), never pass/fail.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#include "config/config.h"
#include "loop/loop.h"
#include "notify/outbox.h"
#include "store/store.h"

#define N 20000

/* Setup failed: the figures would mean nothing. */
static void
die(const char *what, const char *why)
{
	fprintf(stderr, "bench_outbox: %s: %s\n", what, why);
	exit(1);
}

struct run {
	struct loop *loop;
	struct outbox *ob;
	struct config_route route;
	size_t delivered;
};

static void
each(void *arg, void (*fn)(void *, const char *, const struct config_route *),
	void *fnarg)
{
	struct run *r = arg;

	fn(fnarg, "hook", &r->route);
}

static int
send_now(void *arg, const char *channel, uint64_t req,
	const struct qd_notification *n, const struct outbox_secret *sec)
{
	struct run *r = arg;

	(void)n;
	(void)sec;
	outbox_done(r->ob, channel, req, QD_OK, NULL);
	r->delivered++;
	return QD_OK;
}

static void
watch(void *arg)
{
	struct run *r = arg;

	if (r->delivered >= N)
		loop_stop(r->loop);
}

static void
unlink_db(const char *db)
{
	char p[300];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
}

/* One run: seconds to enqueue N, and to have them all delivered. */
static void
outbox_run(const char *db, double *enq, double *all)
{
	static char star[] = "*";
	static char *ev[] = { star };
	struct run r;
	struct config_notify cfg;
	struct outbox_channels ch = { each, send_now, &r, NULL };
	struct outbox_event e;
	struct loop_timer *t;
	char err[256], key[32];
	double t0, t1;
	int i;

	memset(&r, 0, sizeof(r));
	unlink_db(db);
	r.route.events = ev;
	r.route.n_events = 1;
	r.route.inflight = 1024;
	config_notify_default(&cfg);
	if ((r.loop = loop_new(4096, 256)) == NULL ||
	    (r.ob = outbox_open(r.loop, db, 0, &cfg, &ch, err,
	    sizeof(err))) == NULL)
		die("outbox_open", err);
	memset(&e, 0, sizeof(e));
	e.event = "fill";
	e.title = "fill: buy BTC/USDT 0.01 @ 97000.5";
	e.body = "order 12345 of ma-fast: 0.01 of 0.01 filled, average "
	    "97000.5, fee 0.97";
	e.key = key;
	t0 = bench_now();
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "fill:%d:t%d", i, i);
		if (outbox_enqueue(r.ob, &e) != 1)
			die("enqueue", "refused");
	}
	t1 = bench_now();
	t = loop_timer_add(r.loop, 1000000, 1000000, watch, &r);
	loop_run(r.loop);
	*enq = t1 - t0;
	*all = bench_now() - t0;
	loop_timer_cancel(t);
	outbox_close(r.ob, 10000);
	loop_free(r.loop);
	unlink_db(db);
}

/* The same rows written straight: inserted, then an attempt and a
 * delivery each, in transactions of 1,000 (what the outbox writes). */
static double
store_run(const char *db)
{
	struct store *s;
	struct store_notification n;
	char err[256], key[32];
	double t0;
	int i, pass;

	unlink_db(db);
	if (store_open(db, STORE_ROLE_WRITER, &s, err, sizeof(err)) != QD_OK)
		die("store_open", err);
	memset(&n, 0, sizeof(n));
	n.channel = "hook";
	n.event = "fill";
	n.owner = "";
	n.title = "fill: buy BTC/USDT 0.01 @ 97000.5";
	n.body = "order 12345 of ma-fast: 0.01 of 0.01 filled, average "
	    "97000.5, fee 0.97";
	n.last_error = "";
	n.dkey = key;
	t0 = bench_now();
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < N; i++) {
			if (i % 1000 == 0 && store_begin(s) != QD_OK)
				die("begin", store_error(s));
			snprintf(key, sizeof(key), "fill:%d:t%d", i, i);
			n.id = (uint64_t)i + 1;
			n.state = pass == 2 ? STORE_NOTIFY_SENT :
			    STORE_NOTIFY_PENDING;
			n.attempts = pass > 0;
			if (store_put_notification(s, &n) != QD_OK)
				die("put", store_error(s));
			if (i % 1000 == 999 && store_commit(s) != QD_OK)
				die("commit", store_error(s));
		}
	t0 = bench_now() - t0;
	store_close(s);
	unlink_db(db);
	return t0;
}

/* Copying a record the size of a queued notification. */
static double
copy_run(void)
{
	char src[320];
	volatile size_t sink = 0;
	double t0;
	int i;

	memset(src, 'x', sizeof(src));
	t0 = bench_now();
	for (i = 0; i < N; i++) {
		char *p = malloc(sizeof(src));

		if (p == NULL)
			die("malloc", "out of memory");
		memcpy(p, src, sizeof(src));
		sink += (size_t)p[i % sizeof(src)];
		free(p);
	}
	(void)sink;
	return bench_now() - t0;
}

int
main(void)
{
	double enq[3], all[3], st[3], cp[3], e, a, s, c;
	char db[128];
	int k;

	snprintf(db, sizeof(db), "/tmp/qd-bench-outbox-%d.db", (int)getpid());
	for (k = 0; k < 3; k++) {
		outbox_run(db, &enq[k], &all[k]);
		st[k] = store_run(db);
		cp[k] = copy_run();
	}
	e = bench_median(enq, 3);
	a = bench_median(all, 3);
	s = bench_median(st, 3);
	c = bench_median(cp, 3);
	printf("outbox enqueue (route, dedupe, journal): %.2f us each, %.0f/s; "
		"a record copy %.3f us: %.0fx\n", e / N * 1e6, N / e,
		c / N * 1e6, e / c);
	printf("outbox enqueue -> durable -> sent -> delivered (SQLite, "
		"instant channel): %.0f/s; the same rows written straight "
		"(insert, attempt, delivery; 1,000 per transaction): %.0f/s: "
		"%.2fx the time\n", N / a, N / s, a / s);
	return 0;
}
