/*
 * tp_latency.c -- a strategy that measures how old each trade is when its
 * on_trade runs: the wall clock (clock_gettime, which works sandboxed too)
 * minus the trade's time, which tests/bench/bench_e2e.sh's fake sets to
 * the millisecond it sends the trade at.  At stop it logs the count and
 * the 50th, 90th and 99th percentiles and the maximum, in microseconds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quantd/sdk.h>

#define MAX_SAMPLES 200000

struct lat {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	int64_t *us;
	size_t n;
};

static int
l_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct lat *l = calloc(1, sizeof(*l));

	(void)p;
	if (l == NULL || (l->us = malloc(MAX_SAMPLES * sizeof(int64_t))) ==
	    NULL) {
		free(l);
		return QD_ERR_NOMEM;
	}
	l->api = api;
	l->ctx = ctx;
	*state = l;
	return QD_OK;
}

static int
l_start(void *state)
{
	struct lat *l = state;

	return l->api->subscribe(l->ctx, l->api->symbol_intern(l->ctx,
		"BTC/USDT"), 0);
}

static void
l_on_trade(void *state, const struct qd_trade_event *ev)
{
	struct lat *l = state;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (l->n < MAX_SAMPLES)
		l->us[l->n++] = ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec -
		    ev->ts) / 1000;
}

static int
cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
l_stop(void *state)
{
	struct lat *l = state;
	size_t n = l->n;

	if (n == 0) {
		l->api->log(l->ctx, QD_LOG_WARN, "latency: no trades");
		return;
	}
	qsort(l->us, n, sizeof(int64_t), cmp);
	l->api->log(l->ctx, QD_LOG_WARN, "latency n=%zu p50=%lld p90=%lld "
		"p99=%lld max=%lld us", n, (long long)l->us[n / 2],
		(long long)l->us[n * 9 / 10], (long long)l->us[n * 99 / 100],
		(long long)l->us[n - 1]);
}

static void
l_destroy(void *state)
{
	struct lat *l = state;

	free(l->us);
	free(l);
}

static const struct qd_strategy_ops l_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = l_create,
		.start = l_start,
		.stop = l_stop,
		.destroy = l_destroy,
	},
	.on_trade = l_on_trade,
};

static const struct qd_plugin l_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_STRATEGY,
	.name = "tp-latency",
	.version = "1.0.0",
	.description = "how old each trade is at on_trade",
	.license = "MIT",
	.ops = &l_ops,
};

static const struct qd_plugin *const plugins[] = { &l_plugin, NULL };

QD_MODULE(plugins);
