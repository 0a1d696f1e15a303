/*
 * tp_bt.c -- a strategy that checks what a backtest shows it.
 *
 * On every bar it asserts (logging a "LOOKAHEAD" error if violated) that
 * the clock is at the bar's close and that bars of a (symbol, timeframe)
 * arrive in time order; it subscribes to 4h bars and logs each one it gets
 * ("htf TS O H L C V"); it buys 1 on the first 1m bar whose close is 102 or
 * more and sells on the first later one at 104 or more, so metrics can be
 * computed by hand.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

struct tb {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	int64_t last_ts[2];
	int state;   /* 0 flat, 1 bought, 2 sold */
};

static int
tb_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct tb *t = calloc(1, sizeof(*t));

	(void)p;
	if (t == NULL)
		return QD_ERR_NOMEM;
	t->api = api;
	t->ctx = ctx;
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
	if (k == 1) {
		t->api->log(t->ctx, QD_LOG_ERROR, "htf %lld %g %g %g %g %g",
			(long long)(ev->bar.ts / 1000000), ev->bar.open,
			ev->bar.high, ev->bar.low, ev->bar.close,
			ev->bar.volume);
		return;
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

static const struct qd_plugin tb_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_STRATEGY,
	.name = "tp-bt",
	.version = "1.0.0",
	.description = "backtest probe",
	.license = "MIT",
	.ops = &tb_ops,
};

static const struct qd_plugin *const plugins[] = { &tb_plugin, NULL };

QD_MODULE(plugins);
