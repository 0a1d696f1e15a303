/*
 * rsi.c -- the `rsi` strategy: mean reversion on Wilder's RSI.
 *
 * Rules, per symbol it receives bars for, long only, market orders:
 *   - RSI(`period`) of the close, Wilder's smoothing (the ta pack's rsi);
 *     no signal while it warms up (`period` bars);
 *   - entry: RSI below `oversold` while flat buys `fraction` of equity at
 *     the signal bar's close (qd_size_fraction);
 *   - exit: RSI above `overbought` while long sells the whole position;
 *   - `oversold` must be below `overbought` (create refuses otherwise).
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
	qd_indicator *rsi;
};

struct st {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	int64_t period;
	double lo, hi, frac;
	struct leg legs[LEGS];
	size_t n;
};

/* Read and check the params; QD_ERR_INVALID (logged) if the thresholds
 * are in the wrong order. */
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
	s->lo = api->param_double(p, "oversold");
	s->hi = api->param_double(p, "overbought");
	s->frac = api->param_double(p, "fraction");
	if (s->lo >= s->hi) {
		api->log(ctx, QD_LOG_ERROR, "oversold must be below overbought");
		free(s);
		return QD_ERR_INVALID;
	}
	*state = s;
	return QD_OK;
}

/* The leg of `sym`, its RSI created on first use; NULL if the table is
 * full or the indicator cannot be had (logged by the host). */
static struct leg *
leg(struct st *s, qd_symbol sym)
{
	char per[24];
	struct qd_kv kv = { "period", per };
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->legs[i].sym == sym)
			return &s->legs[i];
	if (s->n == LEGS)
		return NULL;
	snprintf(per, sizeof(per), "%lld", (long long)s->period);
	if (s->api->indicator_new(s->ctx, "rsi", &kv, 1,
	    &s->legs[s->n].rsi) != QD_OK)
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
	double v;

	if (l == NULL)
		return;
	s->api->indicator_update(l->rsi, &ev->bar, &v);
	if (isnan(v))
		return;
	qty = qd_position_qty(s->api, s->ctx, ev->symbol);
	if (v < s->lo && qty == 0) {
		s->api->log(s->ctx, QD_LOG_INFO, "RSI %.4g < %.4g at close "
			"%.10g: buy", v, s->lo, ev->bar.close);
		qd_order_market(s->api, s->ctx, ev->symbol, QD_SIDE_BUY,
			qd_size_fraction(qd_equity(s->api, s->ctx), s->frac,
			ev->bar.close), "rsi");
	} else if (v > s->hi && qty > 0) {
		s->api->log(s->ctx, QD_LOG_INFO, "RSI %.4g > %.4g at close "
			"%.10g: sell", v, s->hi, ev->bar.close);
		qd_order_market(s->api, s->ctx, ev->symbol, QD_SIDE_SELL, qty,
			"rsi");
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

static const struct qd_param_spec params[] = {
	QD_PARAM_INT_SPEC("period", 14, 2, 1000, "RSI period (Wilder)"),
	QD_PARAM_DOUBLE_SPEC("oversold", 30, 1, 99, "buy below this RSI when "
		"flat"),
	QD_PARAM_DOUBLE_SPEC("overbought", 70, 1, 99, "sell above this RSI "
		"when long"),
	QD_PARAM_DOUBLE_SPEC("fraction", 0.95, 0.0001, 1, "share of equity "
		"per entry"),
};

static const char *const requires_[] = { "indicator:rsi>=1.0", NULL };

static const struct qd_plugin plugin = {
	.size = sizeof(struct qd_plugin), .kind = QD_KIND_STRATEGY,
	.name = "rsi", .version = "1.0.0",
	.description = "RSI mean reversion: buy oversold, sell overbought",
	.license = "MIT", .params = params, .n_params = QD_COUNTOF(params),
	.requires = requires_, .ops = &ops,
};

static const struct qd_plugin *const plugins[] = { &plugin, NULL };

QD_MODULE(plugins);
