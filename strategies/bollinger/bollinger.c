/*
 * bollinger.c -- the `bollinger` strategy on Bollinger bands: middle =
 * SMA(`period`) of the close, bands = middle -/+ `stddev` population
 * standard deviations (the ta pack's bbands, the close included).
 *
 * Rules, per symbol it receives bars for, long only, market orders:
 *   mode=breakout:  flat and close > upper band -> buy; long and close <
 *                   middle band -> sell (the breakout failed or faded);
 *   mode=reversion: flat and close < lower band -> buy; long and close >
 *                   middle band -> sell (back to the mean);
 *   entries buy `fraction` of equity at the signal bar's close; exits sell
 *   the whole position; no signal while the bands warm up.
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
	qd_indicator *bb;
};

struct st {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	int64_t period;
	double k, frac;
	int breakout;
	struct leg legs[LEGS];
	size_t n;
};

/* Read the params; the bands are created per symbol on its first bar. */
static int
create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct st *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return QD_ERR_NOMEM;
	s->api = api;
	s->ctx = ctx;
	s->period = api->param_int(p, "period");
	s->k = api->param_double(p, "stddev");
	s->frac = api->param_double(p, "fraction");
	s->breakout = strcmp(api->param_string(p, "mode"), "breakout") == 0;
	*state = s;
	return QD_OK;
}

/* The leg of `sym`, its bands created on first use; NULL if the table is
 * full or the indicator cannot be had (logged by the host). */
static struct leg *
leg(struct st *s, qd_symbol sym)
{
	char per[24], k[32];
	struct qd_kv kv[2] = { { "period", per }, { "stddev", k } };
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->legs[i].sym == sym)
			return &s->legs[i];
	if (s->n == LEGS)
		return NULL;
	snprintf(per, sizeof(per), "%lld", (long long)s->period);
	snprintf(k, sizeof(k), "%.17g", s->k);
	if (s->api->indicator_new(s->ctx, "bbands", kv, 2,
	    &s->legs[s->n].bb) != QD_OK)
		return NULL;
	s->legs[s->n].sym = sym;
	return &s->legs[s->n++];
}

static void
on_bar(void *state, const struct qd_bar_event *ev)
{
	struct st *s = state;
	struct leg *l = leg(s, ev->symbol);
	double qty;
	double v[3];    /* lower, middle, upper */
	int enter, leave;

	if (l == NULL)
		return;
	s->api->indicator_update(l->bb, &ev->bar, v);
	if (isnan(v[1]))
		return;
	enter = s->breakout ? ev->bar.close > v[2] : ev->bar.close < v[0];
	leave = s->breakout ? ev->bar.close < v[1] : ev->bar.close > v[1];
	qty = qd_position_qty(s->api, s->ctx, ev->symbol);
	if (enter && qty == 0) {
		s->api->log(s->ctx, QD_LOG_INFO, "close %.10g %s band %.10g: "
			"buy", ev->bar.close, s->breakout ? "above the upper" :
			"below the lower", s->breakout ? v[2] : v[0]);
		qd_order_market(s->api, s->ctx, ev->symbol, QD_SIDE_BUY,
			qd_size_fraction(qd_equity(s->api, s->ctx), s->frac,
			ev->bar.close), "bollinger");
	} else if (leave && qty > 0) {
		s->api->log(s->ctx, QD_LOG_INFO, "close %.10g %s the middle "
			"%.10g: sell", ev->bar.close, s->breakout ? "below" :
			"above", v[1]);
		qd_order_market(s->api, s->ctx, ev->symbol, QD_SIDE_SELL, qty,
			"bollinger");
	}
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

static const char *const modes[] = { "breakout", "reversion", NULL };

static const struct qd_param_spec params[] = {
	QD_PARAM_INT_SPEC("period", 20, 2, 1000, "band SMA period"),
	QD_PARAM_DOUBLE_SPEC("stddev", 2.0, 0.1, 10, "band width, standard "
		"deviations"),
	QD_PARAM_ENUM_SPEC("mode", "reversion", modes, "breakout: buy above "
		"the upper band; reversion: buy below the lower band"),
	QD_PARAM_DOUBLE_SPEC("fraction", 0.95, 0.0001, 1, "share of equity "
		"per entry"),
};

static const char *const requires_[] = { "indicator:bbands>=1.0", NULL };

static const struct qd_plugin plugin = {
	.size = sizeof(struct qd_plugin), .kind = QD_KIND_STRATEGY,
	.name = "bollinger", .version = "1.0.0",
	.description = "Bollinger band breakout or reversion (mode)",
	.license = "MIT", .params = params, .n_params = QD_COUNTOF(params),
	.requires = requires_, .ops = &ops,
};

static const struct qd_plugin *const plugins[] = { &plugin, NULL };

QD_MODULE(plugins);
