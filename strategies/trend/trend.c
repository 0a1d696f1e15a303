/*
 * trend.c -- the `trend` strategy: Donchian breakout with an ATR trailing
 * stop and stop-distance position sizing.
 *
 * Rules, per symbol it receives bars for, long only, market orders:
 *   entry: flat and the close breaks above the highest high of the
 *          previous `entry` bars (the Donchian upper band as of the bar
 *          before, so the breakout bar itself is not in it), once ATR has
 *          a value;
 *   size:  lose `risk` of equity if the stop is hit: qty = equity x risk /
 *          (mult x ATR(`atr`)) (qd_size_risk), capped at `max_fraction`
 *          of equity at the close (qd_size_fraction);
 *   stop:  starts at close - mult x ATR on the entry bar and only rises,
 *          trailing each later close by mult x ATR; a close below it sells
 *          the whole position.
 * A signal on bar t fills at bar t+1's open.  Entries and exits are logged
 * at info level.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define LEGS 16

struct leg {
	qd_symbol sym;
	qd_indicator *dc, *atr;
	double prev_upper;   /* Donchian upper band after the previous bar */
	double stop;         /* trailing stop while long */
};

struct st {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	int64_t entry, atr_n;
	double mult, risk, cap;
	struct leg legs[LEGS];
	size_t n;
};

/* Read the params; indicators are created per symbol on its first bar. */
static int
create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct st *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return QD_ERR_NOMEM;
	s->api = api;
	s->ctx = ctx;
	s->entry = api->param_int(p, "entry");
	s->atr_n = api->param_int(p, "atr");
	s->mult = api->param_double(p, "mult");
	s->risk = api->param_double(p, "risk");
	s->cap = api->param_double(p, "max_fraction");
	*state = s;
	return QD_OK;
}

/* The leg of `sym`, its Donchian channel and ATR created on first use;
 * NULL if the table is full or an indicator cannot be had. */
static struct leg *
leg(struct st *s, qd_symbol sym)
{
	char e[24], a[24];
	struct qd_kv ke = { "period", e }, ka = { "period", a };
	struct leg *l;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->legs[i].sym == sym)
			return &s->legs[i];
	if (s->n == LEGS)
		return NULL;
	l = &s->legs[s->n];
	snprintf(e, sizeof(e), "%lld", (long long)s->entry);
	snprintf(a, sizeof(a), "%lld", (long long)s->atr_n);
	if (s->api->indicator_new(s->ctx, "donchian", &ke, 1, &l->dc) != QD_OK ||
	    s->api->indicator_new(s->ctx, "atr", &ka, 1, &l->atr) != QD_OK)
		return NULL;
	l->sym = sym;
	l->prev_upper = NAN;
	s->n++;
	return l;
}

static void
on_bar(void *state, const struct qd_bar_event *ev)
{
	struct st *s = state;
	struct leg *l = leg(s, ev->symbol);
	double dc[3], atr, c = ev->bar.close, qty;

	if (l == NULL)
		return;
	s->api->indicator_update(l->dc, &ev->bar, dc);
	s->api->indicator_update(l->atr, &ev->bar, &atr);
	qty = qd_position_qty(s->api, s->ctx, ev->symbol);
	if (qty > 0 && !isnan(atr)) {
		double trail = c - s->mult * atr;

		if (trail > l->stop)
			l->stop = trail;
		if (c < l->stop) {
			s->api->log(s->ctx, QD_LOG_INFO, "close %.10g below the "
				"trailing stop %.10g: sell", c, l->stop);
			qd_order_market(s->api, s->ctx, ev->symbol,
				QD_SIDE_SELL, qty, "trend");
			l->stop = 0;
		}
	} else if (qty == 0 && !isnan(atr) && !isnan(l->prev_upper) &&
	    c > l->prev_upper) {
		double eq = qd_equity(s->api, s->ctx);
		double q = qd_size_risk(eq, s->risk, s->mult * atr);
		double qmax = qd_size_fraction(eq, s->cap, c);

		s->api->log(s->ctx, QD_LOG_INFO, "close %.10g above the "
			"%lld-bar high %.10g: buy %.10g, stop %.10g", c,
			(long long)s->entry, l->prev_upper, q < qmax ? q : qmax,
			c - s->mult * atr);
		qd_order_market(s->api, s->ctx, ev->symbol, QD_SIDE_BUY,
			q < qmax ? q : qmax, "trend");
		l->stop = c - s->mult * atr;
	}
	l->prev_upper = dc[0];
}

static void
destroy(void *state)
{
	free(state);
}

static const struct qd_strategy_ops ops = {
	.base = { .size = sizeof(struct qd_strategy_ops), .create = create,
		  .destroy = destroy },
	.on_bar = on_bar,
};

static const struct qd_param_spec params[] = {
	QD_PARAM_INT_SPEC("entry", 20, 2, 1000, "Donchian breakout period"),
	QD_PARAM_INT_SPEC("atr", 14, 1, 1000, "ATR period"),
	QD_PARAM_DOUBLE_SPEC("mult", 3.0, 0.1, 20, "stop distance in ATRs"),
	QD_PARAM_DOUBLE_SPEC("risk", 0.01, 0.0001, 0.5, "equity risked per "
		"trade at the initial stop"),
	QD_PARAM_DOUBLE_SPEC("max_fraction", 0.95, 0.01, 1, "cap on the "
		"position, share of equity"),
};

static const char *const requires_[] = {
	"indicator:donchian>=1.0", "indicator:atr>=1.0", NULL
};

static const struct qd_plugin plugin = {
	.size = sizeof(struct qd_plugin), .kind = QD_KIND_STRATEGY,
	.name = "trend", .version = "1.0.0",
	.description = "Donchian breakout with an ATR trailing stop",
	.license = "MIT", .params = params, .n_params = QD_COUNTOF(params),
	.requires = requires_, .ops = &ops,
};

static const struct qd_plugin *const plugins[] = { &plugin, NULL };

QD_MODULE(plugins);
