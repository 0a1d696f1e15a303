/*
 * grid.c -- the `grid` strategy: a market-making ladder, long inventory
 * only, limit orders.
 *
 * Rules, on the first symbol it sees (configure one):
 *   step:     d = `interval`, or `interval_pct` % of the anchor when
 *             interval is 0; with dynamic=true, d = `atr_mult` x ATR
 *             (`atr_period`) taken at each re-centre once ATR exists.
 *   anchor:   A = the first close; moved by re-centring (below).
 *   buy window: a buy limit for `qty` at each of the `levels` levels
 *             A - d, A - 2d, ... -- only at levels strictly below the
 *             current close (a buy is never marketable) and above 0, and
 *             only while fewer than `sell_levels` slots hold inventory.
 *   sell window: a filled buy at level L is re-quoted as a sell limit at
 *             L + d (the step it was bought with), so at most `sell_levels`
 *             sells rest above the price; a filled sell frees its slot and
 *             the ladder places that buy again when the price is above it.
 *             A re-quote placed from on_order waits for the next bar.
 *   re-centre: with no inventory and the close more than d above A, every
 *             buy is cancelled and the ladder rebuilt with A = the close
 *             (d recomputed when dynamic), so the grid follows a rising
 *             market; it never follows a falling one (that is inventory).
 *   skew:     with skew=true both windows lean one level towards the trend
 *             (close above EMA(`trend_period`) = up): in an up trend the
 *             buy window starts at A (buys on the first dip), in a down
 *             trend at A - 2d (one level further away).  Buys outside the
 *             current window are cancelled when the trend flips.
 *   stops:    per slot, a close below entry x (1 - slot_stop_pct/100)
 *             cancels that slot's sell and sells its qty at market;
 *             account-wide, equity at or below (1 - stop_loss_pct/100) or
 *             at or above (1 + take_profit_pct/100) of the equity at the
 *             first bar cancels every order, sells the whole position at
 *             market and halts the grid for good (logged "grid halted:
 *             REASON").  0 disables a stop.
 *   orders:   a buy the venue rejects, cancels or expires frees its slot;
 *             a sell that does so is placed again on the next bar.
 *             Only complete fills (FILLED) move a slot.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define MAX_SLOTS 64

enum slot_state { FREE, BUYING, HOLDING };

/* One level of the ladder: a resting buy, or inventory with its sell. */
struct slot {
	enum slot_state state;
	double level;       /* buy price */
	double target;      /* sell price: level + the step at placement */
	double entry;       /* average fill price of the buy */
	uint64_t order;     /* the resting order; 0 = a sell to re-place */
};

struct grid {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	qd_symbol sym;
	double interval, interval_pct, qty, slot_stop, acct_stop, take_profit;
	double atr_mult, anchor, step, start_equity, last_atr;
	int64_t levels, sell_levels;
	int dynamic, skew, halted, trend_up, started;
	qd_indicator *atr, *ema;
	struct slot slots[MAX_SLOTS];
};

/*
 * Read the params and create the ATR (dynamic step) and EMA (skew)
 * indicators.  QD_ERR_NOMEM, or the indicator's error, on failure.
 */
static int
grid_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct grid *g = calloc(1, sizeof(*g));
	char per[24];
	struct qd_kv kv = { "period", per };
	int rc;

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
	if ((rc = api->indicator_new(ctx, "atr", &kv, 1, &g->atr)) != QD_OK)
		goto fail;
	snprintf(per, sizeof(per), "%lld",
		(long long)api->param_int(p, "trend_period"));
	if ((rc = api->indicator_new(ctx, "ema", &kv, 1, &g->ema)) != QD_OK)
		goto fail;
	*state = g;
	return QD_OK;
fail:
	free(g);
	return rc;
}

/* Number of slots holding inventory. */
static int
holding(const struct grid *g)
{
	int i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		n += g->slots[i].state == HOLDING;
	return n;
}

/* Submit a GTC limit order for g->qty; QD_OK or the host's refusal. */
static int
limit(struct grid *g, enum qd_side side, double price, uint64_t *id)
{
	struct qd_order_req o;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.symbol = g->sym;
	o.side = side;
	o.type = QD_ORDER_LIMIT;
	o.tif = QD_TIF_GTC;
	o.qty = g->qty;
	o.price = price;
	o.tag = "grid";
	return g->api->order_submit(g->ctx, &o, id);
}

/* Free a slot, then cancel its order (a host may report the cancel
 * synchronously: the slot must already be free then). */
static void
release(struct grid *g, struct slot *s)
{
	uint64_t id = s->order;

	memset(s, 0, sizeof(*s));
	if (id != 0)
		g->api->order_cancel(g->ctx, id);
}

/* Anchor the ladder at `close` and set the step (see the rules). */
static void
centre(struct grid *g, double close)
{
	g->anchor = close;
	g->step = g->interval > 0 ? g->interval : close * g->interval_pct /
		100.0;
	if (g->dynamic && !isnan(g->last_atr) && g->last_atr > 0)
		g->step = g->atr_mult * g->last_atr;
}

/* Offset, in steps below the anchor, of the first level of the window. */
static int64_t
window_top(const struct grid *g)
{
	if (!g->skew)
		return 1;
	return g->trend_up ? 0 : 2;
}

/* 1 if `level` is one of the buy window's levels. */
static int
in_window(const struct grid *g, double level)
{
	int64_t k, top = window_top(g);

	for (k = top; k < top + g->levels; k++)
		if (fabs(g->anchor - (double)k * g->step - level) <
		    g->step * 1e-6)
			return 1;
	return 0;
}

/*
 * Bring the ladder in line with the window: cancel buys outside it (the
 * skew moved it), re-place sells the venue dropped, and place the missing
 * buys below `close` while the sell window has room.
 */
static void
ladder(struct grid *g, double close)
{
	int64_t k, top = window_top(g);
	int held = holding(g), i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &g->slots[i];

		if (s->state == BUYING && !in_window(g, s->level))
			release(g, s);
		else if (s->state == HOLDING && s->order == 0 &&
		    limit(g, QD_SIDE_SELL, s->target, &s->order) != QD_OK)
			s->order = 0;
	}
	for (k = top; k < top + g->levels && held < g->sell_levels; k++) {
		double level = g->anchor - (double)k * g->step;
		int have = 0, free_slot = -1;

		if (level <= 0)
			break;
		if (level >= close)
			continue;
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
			g->slots[free_slot].target = level + g->step;
		}
	}
}

/* Account-wide stop: cancel everything, sell the position, stop for good. */
static void
halt(struct grid *g, const char *why)
{
	double q = qd_position_qty(g->api, g->ctx, g->sym);
	int i;

	g->halted = 1;
	for (i = 0; i < MAX_SLOTS; i++)
		if (g->slots[i].state != FREE)
			release(g, &g->slots[i]);
	if (q > 0)
		qd_order_market(g->api, g->ctx, g->sym, QD_SIDE_SELL, q, "grid");
	g->api->log(g->ctx, QD_LOG_INFO, "grid halted: %s", why);
}

/*
 * Each bar of the grid's symbol: update ATR and trend, check the account
 * stops, then the slot stops, re-centre when flat and left behind, and
 * top the ladder up.
 */
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
	if (!g->started) {
		g->started = 1;
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
			release(g, s);
			qd_order_market(g->api, g->ctx, g->sym, QD_SIDE_SELL,
				g->qty, "grid stop");
		}
	}
	if (holding(g) == 0 && c > g->anchor + g->step) {
		for (i = 0; i < MAX_SLOTS; i++)
			if (g->slots[i].state == BUYING)
				release(g, &g->slots[i]);
		centre(g, c);
	}
	ladder(g, c);
}

/*
 * A fill moves its slot: a bought slot gets its sell (placed now, matched
 * from the next bar), a sold one becomes free.  Dropped orders: see the
 * rules.  Updates of orders the grid no longer tracks are ignored.
 */
static void
grid_on_order(void *state, const struct qd_order_update *u)
{
	struct grid *g = state;
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &g->slots[i];

		if (s->state == FREE || s->order != u->order_id)
			continue;
		switch (u->state) {
		case QD_ORDER_FILLED:
			if (s->state == BUYING) {
				s->state = HOLDING;
				s->entry = u->avg_price;
				if (limit(g, QD_SIDE_SELL, s->target,
				    &s->order) != QD_OK)
					s->order = 0;
			} else {
				memset(s, 0, sizeof(*s));
			}
			break;
		case QD_ORDER_CANCELED:
		case QD_ORDER_REJECTED:
		case QD_ORDER_EXPIRED:
			if (s->state == BUYING)
				memset(s, 0, sizeof(*s));
			else
				s->order = 0;
			break;
		default:
			break;
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
	QD_PARAM_INT_SPEC("levels", 5, 1, MAX_SLOTS, "buy window: buy levels "
		"below the anchor"),
	QD_PARAM_INT_SPEC("sell_levels", 5, 1, MAX_SLOTS, "sell window: most "
		"slots holding inventory (resting sells)"),
	QD_PARAM_DOUBLE_SPEC("qty", 0.01, 1e-9, 1e9, "quantity per level"),
	QD_PARAM_DOUBLE_SPEC("slot_stop_pct", 0, 0, 100, "per-slot stop loss "
		"below entry, percent; 0 = off"),
	QD_PARAM_DOUBLE_SPEC("stop_loss_pct", 0, 0, 100, "account-wide stop "
		"loss, percent of starting equity; 0 = off"),
	QD_PARAM_DOUBLE_SPEC("take_profit_pct", 0, 0, 10000, "account-wide "
		"take profit, percent of starting equity; 0 = off"),
	QD_PARAM_BOOL_SPEC("dynamic", 0, "step = atr_mult x ATR at each "
		"re-centre"),
	QD_PARAM_INT_SPEC("atr_period", 14, 1, 1000, "ATR period (dynamic)"),
	QD_PARAM_DOUBLE_SPEC("atr_mult", 1.0, 0.01, 100, "ATR multiple "
		"(dynamic)"),
	QD_PARAM_BOOL_SPEC("skew", 0, "lean the buy window one level towards "
		"the trend"),
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
