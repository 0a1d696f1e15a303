/*
 * bench_sandbox.c -- the cost of confinement.
 *
 *   raw       socketpair ping-pong with a forked echo process (the limit)
 *   raw polled the same, both ends polling (recv MSG_DONTWAIT) for up to
 *             SANDBOX_POLL_US before they sleep, as a backtest's host and
 *             child do (that path's limit)
 *   sandboxed one on_bar call into a quantd-sandbox child (frame out,
 *             callback, F_DONE back)
 *   in-proc   the same callback called directly
 *   async     the same call driven from the core loop, as the daemon
 *             does: queued, sent on the socket event, done on F_DONE
 * median and p99 in microseconds over 50,000 calls; then bars/s through the
 * sandboxed strategy with batching (sandbox_on_bars) against in-process;
 * then the core loop's latency from an event posted by another thread (a
 * feed) to its callback (a trusted strategy), with no sandboxed strategy
 * and with 8 whose every bar keeps them busy for 1.5 s.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>
#include <stdatomic.h>

#include <event2/event.h>

#include "log/log.h"
#include "loop/loop.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_child.h"

#define CALLS 50000
#define BARS 2000000

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
report(const char *what, double *t, size_t n)
{
	qsort(t, n, sizeof(double), cmp);
	printf("  %-10s median %7.2f us   p99 %7.2f us\n", what, t[n / 2],
		t[n * 99 / 100]);
}

static void
b_log(qd_ctx *c, enum qd_log_level l, const char *f, ...)
{
	(void)c;
	(void)l;
	(void)f;
}

static int64_t
b_now(qd_ctx *c)
{
	(void)c;
	return 0;
}

static const struct qd_host_api bench_api = {
	.size = sizeof(struct qd_host_api),
	.abi_major = QD_ABI_MAJOR,
	.abi_minor = QD_ABI_MINOR,
	.log = b_log,
	.now_ns = b_now,
	.param_int = params_int,
	.param_double = params_double,
	.param_bool = params_bool,
	.param_string = params_string,
};

/* ---- core loop latency ------------------------------------------------ */

#define LAT_EVENTS 3000
#define BUSY 8

struct lat {
	struct loop *loop;
	double t[LAT_EVENTS];
	int n;
	atomic_int stop;
	void *busy[BUSY];
	int n_busy;
	const struct qd_strategy_ops *so;
	struct loop_timer *feed;
	int64_t bar;
};

/* The "trusted strategy": how long after its posting the event ran. */
static void
on_event(void *arg, void *msg, size_t len)
{
	struct lat *l = arg;
	double sent;

	(void)len;
	memcpy(&sent, msg, sizeof(sent));
	if (l->n < LAT_EVENTS)
		l->t[l->n++] = now_us() - sent;
	if (l->n == LAT_EVENTS)
		loop_stop(l->loop);
}

/* The "feed": an event every 1 ms from its own thread. */
static void *
producer(void *arg)
{
	struct lat *l = arg;
	struct timespec ms = { 0, 1000000 };

	while (!atomic_load(&l->stop)) {
		double now = now_us();

		loop_post(l->loop, on_event, l, &now, sizeof(now));
		nanosleep(&ms, NULL);
	}
	return NULL;
}

/* Bars for the busy sandboxed strategies, every 10 ms of the loop. */
static void
feed_busy(void *arg)
{
	struct lat *l = arg;
	struct qd_bar_event ev;
	int i;

	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.symbol = 1;
	ev.timeframe_s = 60;
	ev.bar.ts = l->bar++ * 60000000000LL;
	ev.bar.open = ev.bar.high = ev.bar.low = ev.bar.close = 100;
	for (i = 0; i < l->n_busy; i++)
		l->so->on_bar(l->busy[i], &ev);
}

static void
latency_run(struct lat *l, const char *what)
{
	pthread_t th;

	l->n = 0;
	atomic_store(&l->stop, 0);
	pthread_create(&th, NULL, producer, l);
	loop_run(l->loop);
	atomic_store(&l->stop, 1);
	pthread_join(th, NULL);
	report(what, l->t, (size_t)l->n);
}

/* A 64-byte read, polling first when `poll_first` (SANDBOX_POLL_US). */
static ssize_t
read64(int fd, char *buf, int poll_first)
{
	if (poll_first) {
		double end = now_us() + SANDBOX_POLL_US;

		do {
			ssize_t r = recv(fd, buf, 64, MSG_DONTWAIT);

			if (r >= 0)
				return r;
		} while (now_us() < end);
	}
	return read(fd, buf, 64);
}

/* CALLS socketpair round trips with a forked echo process into t[]. */
static int
raw_round_trips(int poll_first, char *buf, double *t)
{
	int sv[2], i, rc = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		while (read64(sv[1], buf, poll_first) == 64)
			if (write(sv[1], buf, 64) != 64)
				break;
		_exit(0);
	}
	close(sv[1]);
	for (i = 0; i < CALLS && rc == 0; i++) {
		double t0 = now_us();

		if (write(sv[0], buf, 64) != 64 ||
		    read64(sv[0], buf, poll_first) != 64)
			rc = -1;
		t[i] = now_us() - t0;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return rc;
}

int
main(void)
{
	static double t[CALLS];
	char tp[4096], helper[4096], err[512];
	struct plugin_registry *reg = plugin_registry_new();
	const struct plugin *p;
	const struct qd_ops *ops;
	const struct qd_strategy_ops *so, *direct;
	struct qd_bar_event *evs;
	struct sandbox_spec spec;
	qd_params *params;
	void *state, *dstate;
	int i;
	double t0, sb, ip;
	char buf[64] = { 0 };

	log_open("/dev/null", QD_LOG_ERROR);
	snprintf(tp, sizeof(tp), "%s/tests/plugins/.libs/tp-good.so",
		QD_TEST_BUILDDIR);
	snprintf(helper, sizeof(helper), "%s/core/quantd-sandbox",
		QD_TEST_BUILDDIR);
	if (plugin_load_file(reg, tp) != 1) {
		fprintf(stderr, "bench_sandbox: build the test plugins first "
			"(make check)\n");
		return 1;
	}
	p = plugin_find(reg, "tp-good");
	params = params_from_kv(plugin_desc(p), NULL, 0, err, sizeof(err));

	printf("sandbox: round trip per call, %d calls\n", CALLS);
	if (raw_round_trips(0, buf, t) != 0)
		return 1;
	report("raw", t, CALLS);
	if (raw_round_trips(1, buf, t) != 0)
		return 1;
	report("raw polled", t, CALLS);

	/* sandboxed call */
	memset(&spec, 0, sizeof(spec));
	spec.helper_path = helper;
	spec.plugin_file = tp;
	spec.plugin_name = "tp-good";
	spec.kind = QD_KIND_STRATEGY;
	spec.instance = "bench";
	spec.limits.memory_mib = 256;
	spec.limits.cpu_ms_per_call = 10000;
	spec.limits.orders_per_sec = 50;
	if (sandbox_create(&spec, &bench_api, NULL, params, &ops, &state, err,
	    sizeof(err)) != QD_OK) {
		fprintf(stderr, "bench_sandbox: %s\n", err);
		return 1;
	}
	so = (const struct qd_strategy_ops *)(const void *)ops;
	evs = calloc(BARS, sizeof(*evs));
	for (i = 0; i < BARS; i++) {
		evs[i].size = sizeof(evs[i]);
		evs[i].symbol = 1;
		evs[i].timeframe_s = 60;
		evs[i].bar.ts = (int64_t)i * 60000000000LL;
		evs[i].bar.open = evs[i].bar.high = evs[i].bar.low =
			evs[i].bar.close = 100.0 + (i & 7);
		evs[i].bar.volume = 1;
	}
	for (i = 0; i < CALLS; i++) {
		t0 = now_us();
		so->on_bar(state, &evs[i]);
		t[i] = now_us() - t0;
	}
	report("sandboxed", t, CALLS);

	/* in-process call */
	direct = plugin_desc(p)->ops;
	direct->base.create(&bench_api, NULL, params, &dstate);
	for (i = 0; i < CALLS; i++) {
		t0 = now_us();
		direct->on_bar(dstate, &evs[i]);
		t[i] = now_us() - t0;
	}
	report("in-proc", t, CALLS);

	/* throughput */
	t0 = now_us();
	sandbox_on_bars(state, evs, BARS, NULL);
	sb = now_us() - t0;
	t0 = now_us();
	for (i = 0; i < BARS; i++)
		direct->on_bar(dstate, &evs[i]);
	ip = now_us() - t0;
	printf("sandbox: %d bars through on_bar\n", BARS);
	printf("  sandboxed, batched %12.0f bars/s\n", BARS / sb * 1e6);
	printf("  in-process         %12.0f bars/s\n", BARS / ip * 1e6);
	ops->destroy(state);

	/* asynchronous call from the core loop */
	{
		struct loop *lp = loop_new(1024, 64);
		struct event_base *base = loop_base(lp);

		spec.loop = lp;
		if (sandbox_create(&spec, &bench_api, NULL, params, &ops,
		    &state, err, sizeof(err)) != QD_OK) {
			fprintf(stderr, "bench_sandbox: %s\n", err);
			return 1;
		}
		so = (const struct qd_strategy_ops *)(const void *)ops;
		so->base.start(state);
		while (sandbox_pending(state) > 0)
			event_base_loop(base, EVLOOP_ONCE);
		for (i = 0; i < CALLS; i++) {
			t0 = now_us();
			so->on_bar(state, &evs[i]);
			while (sandbox_pending(state) > 0)
				event_base_loop(base, EVLOOP_ONCE);
			t[i] = now_us() - t0;
		}
		report("async", t, CALLS);
		ops->destroy(state);

		/* the core loop's latency, without and with busy children */
		{
			static struct lat l;
			char hb[4096];
			const struct plugin *hp;
			qd_params *hparams;
			int k;

			memset(&l, 0, sizeof(l));
			l.loop = lp;
			printf("core loop: event posted by a feed thread -> "
				"callback, %d events at 1 ms\n", LAT_EVENTS);
			latency_run(&l, "0 busy");
			snprintf(hb, sizeof(hb), "%s/tests/sandbox/.libs/"
				"hostile-slow-bar.so", QD_TEST_BUILDDIR);
			if (plugin_load_file(reg, hb) != 1 ||
			    (hp = plugin_find(reg, "hostile-41")) == NULL) {
				fprintf(stderr, "bench_sandbox: no %s\n", hb);
				return 1;
			}
			hparams = params_from_kv(plugin_desc(hp), NULL, 0, err,
				sizeof(err));
			spec.plugin_file = hb;
			spec.plugin_name = "hostile-41";
			spec.limits.cpu_ms_per_call = 60000;
			for (k = 0; k < BUSY; k++) {
				if (sandbox_create(&spec, &bench_api, NULL,
				    hparams, &ops, &l.busy[k], err,
				    sizeof(err)) != QD_OK) {
					fprintf(stderr, "bench_sandbox: %s\n",
						err);
					return 1;
				}
				l.so = (const void *)ops;
				l.so->base.start(l.busy[k]);
				l.n_busy++;
			}
			l.feed = loop_timer_add(lp, 10000000, 10000000,
				feed_busy, &l);
			latency_run(&l, "8 busy");
			loop_timer_cancel(l.feed);
			for (k = 0; k < l.n_busy; k++)
				l.so->base.destroy(l.busy[k]);
			params_free(hparams);
		}
		loop_free(lp);
	}
	direct->base.destroy(dstate);
	params_free(params);
	free(evs);
	plugin_registry_free(reg);
	return 0;
}
