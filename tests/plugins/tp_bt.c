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
 *
 * For comparing sandboxed runs with in-process ones (htf=false leaves the
 * 4h subscription out, so that a sandboxed run gets its bars in batches):
 * flip_every=N turns the position over on every N-th 1m bar with a market
 * order (N = 1: an order on every bar), annotating the position it reads
 * first; cancel_every=N places a limit buy far below the market on every
 * N-th bar and cancels it on the bar after.  Both annotate every order
 * update and what order_submit and order_cancel return, so the JSON shows
 * ids, times, states and positions.
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
	int htf;
	int64_t flip_every, cancel_every, n;
	uint64_t resting;   /* cancel_every: the limit order waiting */
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
	t->htf = api->param_bool(p, "htf");
	t->flip_every = api->param_int(p, "flip_every");
	t->cancel_every = api->param_int(p, "cancel_every");
	*state = t;
	return QD_OK;
}

static int
tb_start(void *state)
{
	struct tb *t = state;

	if (!t->htf)
		return QD_OK;
	return t->api->subscribe(t->ctx, t->api->symbol_intern(t->ctx,
		"BTC/USDT"), 14400);
}

/* Submit an order of `qty` (a limit at `price` when > 0, else market):
 * what order_submit returns, the id in *id. */
static int
trade(struct tb *t, qd_symbol sym, enum qd_side side, double qty,
	double price, uint64_t *id)
{
	struct qd_order_req o;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.symbol = sym;
	o.side = side;
	o.type = price > 0 ? QD_ORDER_LIMIT : QD_ORDER_MARKET;
	o.price = price;
	o.qty = qty;
	return t->api->order_submit(t->ctx, &o, id);
}

/* Annotate what an SDK call returned (kind "tp.rc"). */
static void
note_rc(struct tb *t, const char *what, int rc, uint64_t id)
{
	char j[160];

	snprintf(j, sizeof(j), "{\"call\":\"%s\",\"rc\":%d,\"id\":%llu}",
		what, rc, (unsigned long long)id);
	t->api->annotate(t->ctx, "tp.rc", j);
}

/* flip_every: read the position (annotated), then turn it over. */
static void
flip(struct tb *t, const struct qd_bar_event *ev)
{
	struct qd_position p;
	char j[256];
	uint64_t id = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	rc = t->api->position_get(t->ctx, ev->symbol, &p);
	snprintf(j, sizeof(j), "{\"rc\":%d,\"qty\":%.17g,\"avg\":%.17g,"
		"\"upnl\":%.17g,\"rpnl\":%.17g}", rc, p.qty, p.avg_price,
		p.unrealized_pnl, p.realized_pnl);
	t->api->annotate(t->ctx, "tp.pos", j);
	rc = trade(t, ev->symbol, p.qty > 0 ? QD_SIDE_SELL : QD_SIDE_BUY,
		p.qty != 0 ? (p.qty > 0 ? p.qty : -p.qty) + 1 : 1, 0, &id);
	note_rc(t, "submit", rc, id);
}

/* cancel_every: a limit buy at half the close, cancelled a bar later. */
static void
rest_or_cancel(struct tb *t, const struct qd_bar_event *ev)
{
	uint64_t id = 0;
	int rc;

	if (t->resting != 0) {
		rc = t->api->order_cancel(t->ctx, t->resting);
		note_rc(t, "cancel", rc, t->resting);
		t->resting = 0;
		return;
	}
	if (t->n % t->cancel_every != 0)
		return;
	rc = trade(t, ev->symbol, QD_SIDE_BUY, 1, ev->bar.close / 2, &id);
	note_rc(t, "limit", rc, id);
	if (rc == QD_OK)
		t->resting = id;
}

/* flip_every, cancel_every: every update, with the position after it. */
static void
tb_on_order(void *state, const struct qd_order_update *u)
{
	struct tb *t = state;
	char j[256];

	if (t->flip_every == 0 && t->cancel_every == 0)
		return;
	snprintf(j, sizeof(j), "{\"id\":%llu,\"state\":%d,\"filled\":%.17g,"
		"\"price\":%.17g,\"fee\":%.17g,\"pos\":%.17g}",
		(unsigned long long)u->order_id, (int)u->state, u->filled_qty,
		u->last_price, u->fee, qd_position_qty(t->api, t->ctx,
		u->symbol));
	t->api->annotate(t->ctx, "tp.order", j);
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
	uint64_t id;
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
	if (t->flip_every > 0 || t->cancel_every > 0) {
		t->n++;
		if (t->flip_every > 0 && t->n % t->flip_every == 0)
			flip(t, ev);
		if (t->cancel_every > 0)
			rest_or_cancel(t, ev);
		return;
	}
	if (t->state == 0 && ev->bar.close >= 102) {
		trade(t, ev->symbol, QD_SIDE_BUY, 1, 0, &id);
		t->state = 1;
	} else if (t->state == 1 && ev->bar.close >= 104) {
		trade(t, ev->symbol, QD_SIDE_SELL, 1, 0, &id);
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
	.on_order = tb_on_order,
};

static const struct qd_param_spec tb_params[] = {
	QD_PARAM_INT_SPEC("annotate_kib", 0, 0, 65536,
		"KiB of annotations to send on the first bar"),
	QD_PARAM_INT_SPEC("crash_bar", 0, 0, 1000000,
		"dereference NULL on this 1m bar (sandboxed runs only)"),
	QD_PARAM_BOOL_SPEC("htf", 1, "subscribe to 4h bars"),
	QD_PARAM_INT_SPEC("flip_every", 0, 0, 1000000,
		"turn the position over on every N-th 1m bar (0: never)"),
	QD_PARAM_INT_SPEC("cancel_every", 0, 0, 1000000,
		"place a limit buy on every N-th bar, cancel it on the next"),
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
