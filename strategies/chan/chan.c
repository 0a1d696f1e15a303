/*
 * chan.c -- the `chan` strategy: trades the Chan theory buy and sell points
 * of chan_core (definitions there and in docs/chan.md).
 *
 * Long only, on the first symbol it sees: any buy point (classes selected
 * by `classes`, a bit mask: 1 = first, 2 = second, 4 = third) when flat
 * buys `fraction` of equity at market; any sell point when long sells.
 * Its structures are logged at debug level, one line each:
 *   chan stroke DIR FROM_TS FROM_PRICE TO_TS TO_PRICE
 *   chan pivot ZD ZG FROM_TS TO_TS
 *   chan point CLASS buy|sell TS PRICE
 * (an SDK annotation call, a later ABI minor, is where a dashboard will
 * take them from).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "chan_core.h"

struct st {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	qd_symbol sym;
	int64_t classes, min_gap;
	double frac;
	struct chan c;
	size_t strokes_logged, pivots_logged;
};

static int
create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct st *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return QD_ERR_NOMEM;
	s->api = api;
	s->ctx = ctx;
	s->classes = api->param_int(p, "classes");
	s->min_gap = api->param_int(p, "min_gap");
	s->frac = api->param_double(p, "fraction");
	chan_init(&s->c, (size_t)s->min_gap);
	*state = s;
	return QD_OK;
}

static void
log_structures(struct st *s)
{
	while (s->strokes_logged + 1 < s->c.ns) {
		const struct chan_stroke *k = &s->c.s[s->strokes_logged++];

		s->api->log(s->ctx, QD_LOG_DEBUG, "chan stroke %s %lld %.10g "
			"%lld %.10g", k->dir > 0 ? "up" : "down",
			(long long)(k->from.ts / 1000000), k->from.price,
			(long long)(k->to.ts / 1000000), k->to.price);
	}
	while (s->pivots_logged < s->c.npv &&
	    s->c.pv[s->pivots_logged].to + 1 < s->c.ns) {
		const struct chan_pivot *p = &s->c.pv[s->pivots_logged++];

		s->api->log(s->ctx, QD_LOG_DEBUG, "chan pivot %.10g %.10g %lld "
			"%lld", p->zd, p->zg, (long long)(p->ts_from / 1000000),
			(long long)(p->ts_to / 1000000));
	}
}

static void
on_bar(void *state, const struct qd_bar_event *ev)
{
	struct st *s = state;
	int n, i;

	if (s->sym == 0)
		s->sym = ev->symbol;
	if (ev->symbol != s->sym)
		return;
	n = chan_push(&s->c, &ev->bar);
	log_structures(s);
	for (i = n > 0 ? n : 0; i > 0; i--) {
		const struct chan_point *p = &s->c.pt[s->c.npt - (size_t)i];
		double qty = qd_position_qty(s->api, s->ctx, s->sym);

		s->api->log(s->ctx, QD_LOG_DEBUG, "chan point %d %s %lld %.10g",
			p->cls, p->side > 0 ? "buy" : "sell",
			(long long)(p->ts / 1000000), p->price);
		if (!(s->classes & (1 << (p->cls - 1))))
			continue;
		if (p->side > 0 && qty == 0)
			qd_order_market(s->api, s->ctx, s->sym, QD_SIDE_BUY,
				qd_size_fraction(qd_equity(s->api, s->ctx),
				s->frac, ev->bar.close), "chan");
		else if (p->side < 0 && qty > 0)
			qd_order_market(s->api, s->ctx, s->sym, QD_SIDE_SELL,
				qty, "chan");
	}
}

static void
destroy(void *state)
{
	struct st *s = state;

	chan_free(&s->c);
	free(s);
}

static const struct qd_strategy_ops ops = {
	.base = { .size = sizeof(struct qd_strategy_ops), .create = create,
		  .destroy = destroy },
	.on_bar = on_bar,
};

static const struct qd_param_spec params[] = {
	QD_PARAM_INT_SPEC("classes", 7, 1, 7, "buy/sell point classes to "
		"trade, bit mask: 1 first, 2 second, 4 third"),
	QD_PARAM_INT_SPEC("min_gap", 4, 2, 50, "merged K-lines from fractal "
		"to fractal in a stroke"),
	QD_PARAM_DOUBLE_SPEC("fraction", 0.95, 0.0001, 1, "share of equity "
		"per entry"),
};

static const struct qd_plugin plugin = {
	.size = sizeof(struct qd_plugin), .kind = QD_KIND_STRATEGY,
	.name = "chan", .version = "1.0.0",
	.description = "Chan theory: trades first/second/third class buy and "
		"sell points",
	.license = "MIT", .params = params, .n_params = QD_COUNTOF(params),
	.ops = &ops,
};

static const struct qd_plugin *const plugins[] = { &plugin, NULL };

QD_MODULE(plugins);
