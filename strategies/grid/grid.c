/*
 * grid.c -- the `grid` strategy: a market-making ladder.
 *
 * On the first symbol it sees (configure one):
 *   ladder:  an anchor A (the first close) and a step d (`interval`, or
 *            `interval_pct` of A, or with dynamic=true `atr_mult` x ATR);
 *            a buy limit for `qty` at every level A - k*d, k = 1..levels
 *            (the buy window), as long as fewer than `sell_levels` slots
 *            hold inventory (the sell window);
 *   re-quote: a filled buy at level L is re-quoted as a sell limit at L + d;
 *            a filled sell frees the slot, whose buy is placed again;
 *   re-centre: with no inventory and the close more than d above A, the
 *            buys are cancelled and the ladder rebuilt around the close
 *            (the step recomputed when dynamic);
 *   skew:    with skew=true the window moves one level towards the trend
 *            (close above EMA(trend_period): the top buy at A, else the
 *            ladder starts one level lower);
 *   stops:   per slot, a close below entry x (1 - slot_stop_pct/100) sells
 *            that slot at market; account-wide, equity below
 *            (1 - stop_loss_pct/100) or above (1 + take_profit_pct/100) of
 *            the starting equity cancels everything, sells the inventory
 *            and halts the grid.  0 disables a stop.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define MAX_SLOTS 64

enum { FREE, BUYING, HOLDING };

struct slot {
	int state;
	double level, entry;
	uint64_t order;
};

struct grid {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	qd_symbol sym;
	double interval, interval_pct, qty, slot_stop, acct_stop, take_profit;
	double atr_mult, anchor, step, start_equity, last_atr;
	int64_t levels, sell_levels;
	int dynamic, skew, halted, trend_up;
	qd_indicator *atr, *ema;
	struct slot slots[MAX_SLOTS];
};

static int
grid_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct grid *g = calloc(1, sizeof(*g));
	char per[24];
	struct qd_kv kv = { "period", per };

	if (g == NULL)
		return QD_ERR_NOMEM;
	g->api = api;
	g->ctx = ctx;
	g->interval = api->param_double(p, "interval");
	g->interval_pct = api->param_double(p, "interval_pct");
	g->levels = api->param_int(p, "levels");
	g->sell_levels = api->param_int(p, "sell_levels");
	g->qty = api->param_double(p, "qty");
	g->slot_stop = api->param_double(p, "slot_stop_pct") / 100.0;
	g->acct_stop = api->param_double(p, "stop_loss_pct") / 100.0;
	g->take_profit = api->param_double(p, "take_profit_pct") / 100.0;
	g->dynamic = api->param_bool(p, "dynamic");
	g->atr_mult = api->param_double(p, "atr_mult");
	g->skew = api->param_bool(p, "skew");
	g->last_atr = NAN;
	snprintf(per, sizeof(per), "%lld",
		(long long)api->param_int(p, "atr_period"));
	if (api->indicator_new(ctx, "atr", &kv, 1, &g->atr) != QD_OK)
		goto fail;
	snprintf(per, sizeof(per), "%lld",
		(long long)api->param_int(p, "trend_period"));
	if (api->indicator_new(ctx, "ema", &kv, 1, &g->ema) != QD_OK)
		goto fail;
	*state = g;
	return QD_OK;
fail:
	free(g);
	return QD_ERR_INVALID;
}

static void
cancel_buys(struct grid *g)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (g->slots[i].state == BUYING) {
			g->api->order_cancel(g->ctx, g->slots[i].order);
			g->slots[i].state = FREE;
		}
}

static int
holding(const struct grid *g)
{
	int i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		n += g->slots[i].state == HOLDING;
	return n;
}

static int
limit(struct grid *g, enum qd_side side, double price, uint64_t *id)
{
	struct qd_order_req o;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.symbol = g->sym;
	o.side = side;
	o.type = QD_ORDER_LIMIT;
	o.qty = g->qty;
	o.price = price;
	o.tag = "grid";
	return g->api->order_submit(g->ctx, &o, id);
}

/* (Re)build the ladder's step and anchor around `close`. */
static void
centre(struct grid *g, double close)
{
	g->anchor = close;
	g->step = g->interval > 0 ? g->interval : close * g->interval_pct /
		100.0;
	if (g->dynamic && !isnan(g->last_atr) && g->last_atr > 0)
		g->step = g->atr_mult * g->last_atr;
}

/* Place the missing buys of the window. */
static void
ladder(struct grid *g)
{
	int64_t k, first = g->skew && !g->trend_up ? 2 : 1;
	int held = holding(g), i;

	for (k = first; k < first + g->levels; k++) {
		double level = g->anchor - (double)(k - (g->skew &&
			g->trend_up ? 1 : 0)) * g->step;
		int have = 0, free_slot = -1;

		if (level <= 0 || held >= g->sell_levels)
			break;
		for (i = 0; i < MAX_SLOTS; i++) {
			if (g->slots[i].state != FREE &&
			    fabs(g->slots[i].level - level) < g->step * 1e-6)
				have = 1;
			if (g->slots[i].state == FREE && free_slot < 0)
				free_slot = i;
		}
		if (have || free_slot < 0)
			continue;
		if (limit(g, QD_SIDE_BUY, level, &g->slots[free_slot].order) ==
		    QD_OK) {
			g->slots[free_slot].state = BUYING;
			g->slots[free_slot].level = level;
		}
	}
}

static void
halt(struct grid *g, const char *why)
{
	double q = qd_position_qty(g->api, g->ctx, g->sym);
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (g->slots[i].state != FREE)
			g->api->order_cancel(g->ctx, g->slots[i].order);
	memset(g->slots, 0, sizeof(g->slots));
	if (q > 0)
		qd_order_market(g->api, g->ctx, g->sym, QD_SIDE_SELL, q, "grid");
	g->halted = 1;
	g->api->log(g->ctx, QD_LOG_INFO, "grid halted: %s", why);
}

static void
grid_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct grid *g = state;
	double c = ev->bar.close, e, atr, eq;
	int i;

	if (g->sym == 0)
		g->sym = ev->symbol;
	if (ev->symbol != g->sym || g->halted)
		return;
	g->api->indicator_update(g->atr, &ev->bar, &atr);
	g->api->indicator_update(g->ema, &ev->bar, &e);
	if (!isnan(atr))
		g->last_atr = atr;
	g->trend_up = !isnan(e) && c > e;
	eq = qd_equity(g->api, g->ctx);
	if (g->start_equity == 0) {
		g->start_equity = eq;
		centre(g, c);
	}
	if (g->start_equity > 0 && g->acct_stop > 0 &&
	    eq <= g->start_equity * (1 - g->acct_stop)) {
		halt(g, "account stop loss");
		return;
	}
	if (g->start_equity > 0 && g->take_profit > 0 &&
	    eq >= g->start_equity * (1 + g->take_profit)) {
		halt(g, "account take profit");
		return;
	}
	for (i = 0; g->slot_stop > 0 && i < MAX_SLOTS; i++) {
		struct slot *s = &g->slots[i];

		if (s->state == HOLDING && c < s->entry * (1 - g->slot_stop)) {
			g->api->order_cancel(g->ctx, s->order);
			qd_order_market(g->api, g->ctx, g->sym, QD_SIDE_SELL,
				g->qty, "grid stop");
			s->state = FREE;
		}
	}
	if (holding(g) == 0 && c > g->anchor + g->step) {
		cancel_buys(g);
		centre(g, c);
	}
	ladder(g);
}

static void
grid_on_order(void *state, const struct qd_order_update *u)
{
	struct grid *g = state;
	int i;

	if (u->state != QD_ORDER_FILLED)
		return;
	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &g->slots[i];

		if (s->state == FREE || s->order != u->order_id)
			continue;
		if (s->state == BUYING) {
			s->entry = u->avg_price;
			if (limit(g, QD_SIDE_SELL, s->level + g->step,
			    &s->order) == QD_OK)
				s->state = HOLDING;
			else
				s->state = FREE;
		} else {
			s->state = FREE;   /* sold: the ladder re-places it */
		}
		return;
	}
}

static void
grid_destroy(void *state)
{
	free(state);
}

static const struct qd_strategy_ops grid_ops = {
	.base = { .size = sizeof(struct qd_strategy_ops),
		  .create = grid_create, .destroy = grid_destroy },
	.on_bar = grid_on_bar,
	.on_order = grid_on_order,
};

static const struct qd_param_spec grid_params[] = {
	QD_PARAM_DOUBLE_SPEC("interval", 0, 0, 1e9, "price step between "
		"levels; 0 = interval_pct of the anchor"),
	QD_PARAM_DOUBLE_SPEC("interval_pct", 0.5, 0.001, 50, "step as a "
		"percentage of the anchor price"),
	QD_PARAM_INT_SPEC("levels", 5, 1, 64, "buy window: levels below price"),
	QD_PARAM_INT_SPEC("sell_levels", 5, 1, 64, "sell window: most slots "
		"holding inventory"),
	QD_PARAM_DOUBLE_SPEC("qty", 0.01, 1e-9, 1e9, "quantity per level"),
	QD_PARAM_DOUBLE_SPEC("slot_stop_pct", 0, 0, 100, "per-slot stop loss "
		"below entry, percent; 0 = off"),
	QD_PARAM_DOUBLE_SPEC("stop_loss_pct", 0, 0, 100, "account-wide stop "
		"loss, percent of starting equity; 0 = off"),
	QD_PARAM_DOUBLE_SPEC("take_profit_pct", 0, 0, 10000, "account-wide "
		"take profit, percent; 0 = off"),
	QD_PARAM_BOOL_SPEC("dynamic", 0, "step = atr_mult x ATR at each "
		"re-centre"),
	QD_PARAM_INT_SPEC("atr_period", 14, 1, 1000, "ATR period (dynamic)"),
	QD_PARAM_DOUBLE_SPEC("atr_mult", 1.0, 0.01, 100, "ATR multiple "
		"(dynamic)"),
	QD_PARAM_BOOL_SPEC("skew", 0, "shift the buy window towards the trend"),
	QD_PARAM_INT_SPEC("trend_period", 50, 2, 10000, "EMA period of the "
		"trend (skew)"),
};

static const char *const grid_requires[] = {
	"indicator:atr>=1.0", "indicator:ema>=1.0", NULL
};

static const struct qd_plugin grid_plugin = {
	.size = sizeof(struct qd_plugin), .kind = QD_KIND_STRATEGY,
	.name = "grid", .version = "1.0.0",
	.description = "market-making grid: buy ladder, each fill re-quoted "
		"one step up",
	.license = "MIT", .params = grid_params,
	.n_params = QD_COUNTOF(grid_params), .requires = grid_requires,
	.ops = &grid_ops,
};

static const struct qd_plugin *const plugins[] = { &grid_plugin, NULL };

QD_MODULE(plugins);
