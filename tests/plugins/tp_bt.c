/*
 * tp_bt.c -- a strategy that checks what a backtest shows it.
 *
 * On every bar it asserts (logging a "LOOKAHEAD" error if violated) that
 * the clock is at the bar's close and that bars of a (symbol, timeframe)
 * arrive in time order; it subscribes to 4h bars and logs each one it gets
 * ("htf TS O H L C V"); it buys 1 on the first 1m bar whose close is 102 or
 * more and sells on the first later one at 104 or more, so metrics can be
 * computed by hand.  With annotate_kib=N it sends N KiB of annotations
 * (4,000-byte JSON objects) on its first bar: more than the sandbox's
 * wall-clock caps allow in a second, which a backtest must not apply.
 * With crash_bar=N (N > 0) it dereferences NULL on its N-th 1m bar: for
 * sandboxed runs only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

struct tb {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	int64_t last_ts[2];
	int state;   /* 0 flat, 1 bought, 2 sold */
	int64_t annotate_kib, crash_bar, bars;
};

static int
tb_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct tb *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return QD_ERR_NOMEM;
	t->api = api;
	t->ctx = ctx;
	t->annotate_kib = api->param_int(p, "annotate_kib");
	t->crash_bar = api->param_int(p, "crash_bar");
	*state = t;
	return QD_OK;
}

static int
tb_start(void *state)
{
	struct tb *t = state;

	return t->api->subscribe(t->ctx, t->api->symbol_intern(t->ctx,
		"BTC/USDT"), 14400);
}

static void
trade(struct tb *t, qd_symbol sym, enum qd_side side)
{
	struct qd_order_req o;
	uint64_t id;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.symbol = sym;
	o.side = side;
	o.type = QD_ORDER_MARKET;
	o.qty = 1;
	t->api->order_submit(t->ctx, &o, &id);
}

/* annotate_kib KiB of 4,000-byte annotations, numbered. */
static void
annotate_burst(struct tb *t)
{
	static char j[4001];
	int64_t i, n = t->annotate_kib * 1024 / 4000;
	int len;

	if (!QD_API_HAS(t->api, annotate))
		return;
	for (i = 0; i < n; i++) {
		len = snprintf(j, sizeof(j), "{\"i\":%lld,\"pad\":\"",
			(long long)i);
		memset(j + len, 'x', sizeof(j) - (size_t)len - 3);
		memcpy(j + sizeof(j) - 3, "\"}", 3);
		t->api->annotate(t->ctx, "tp.burst", j);
	}
	t->annotate_kib = 0;
}

static void
tb_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct tb *t = state;
	int k = ev->timeframe_s == 60 ? 0 : 1;
	int64_t close = ev->bar.ts + (int64_t)ev->timeframe_s * 1000000000;

	if (t->api->now_ns(t->ctx) != close || ev->bar.ts <= t->last_ts[k])
		t->api->log(t->ctx, QD_LOG_ERROR, "LOOKAHEAD tf=%u ts=%lld "
			"now=%lld", ev->timeframe_s, (long long)ev->bar.ts,
			(long long)t->api->now_ns(t->ctx));
	t->last_ts[k] = ev->bar.ts;
	if (t->annotate_kib > 0)
		annotate_burst(t);
	if (k == 1) {
		t->api->log(t->ctx, QD_LOG_ERROR, "htf %lld %g %g %g %g %g",
			(long long)(ev->bar.ts / 1000000), ev->bar.open,
			ev->bar.high, ev->bar.low, ev->bar.close,
			ev->bar.volume);
		return;
	}
	if (t->crash_bar > 0 && ++t->bars == t->crash_bar) {
		volatile int *nowhere = NULL;

		*nowhere = 1;
	}
	if (t->state == 0 && ev->bar.close >= 102) {
		trade(t, ev->symbol, QD_SIDE_BUY);
		t->state = 1;
	} else if (t->state == 1 && ev->bar.close >= 104) {
		trade(t, ev->symbol, QD_SIDE_SELL);
		t->state = 2;
	}
}

static void
tb_destroy(void *state)
{
	free(state);
}

static const struct qd_strategy_ops tb_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = tb_create,
		.start = tb_start,
		.destroy = tb_destroy,
	},
	.on_bar = tb_on_bar,
};

static const struct qd_param_spec tb_params[] = {
	QD_PARAM_INT_SPEC("annotate_kib", 0, 0, 65536,
		"KiB of annotations to send on the first bar"),
	QD_PARAM_INT_SPEC("crash_bar", 0, 0, 1000000,
		"dereference NULL on this 1m bar (sandboxed runs only)"),
};

static const struct qd_plugin tb_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_STRATEGY,
	.name = "tp-bt",
	.version = "1.0.0",
	.description = "backtest probe",
	.license = "MIT",
	.params = tb_params,
	.n_params = QD_COUNTOF(tb_params),
	.ops = &tb_ops,
};

static const struct qd_plugin *const plugins[] = { &tb_plugin, NULL };

QD_MODULE(plugins);
