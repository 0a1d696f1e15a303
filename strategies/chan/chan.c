/*
 * chan.c -- the `chan` strategy: trades the Chan theory (缠论) buy and sell
 * points of chan_core (definitions in chan_core.h and docs/chan.md).
 *
 * Rules, long only, on the first symbol it sees, market orders:
 *   - every bar goes through chan_core (inclusion, fractals, strokes,
 *     segments, pivots, points);
 *   - a buy point of a class selected by `classes` (bit mask: 1 first,
 *     2 second, 4 third) when flat buys `fraction` of equity at the bar's
 *     close price (qd_size_fraction);
 *   - a selected sell point when long sells the whole position;
 *   - points of classes not selected are reported but not traded.
 *
 * Its structures are exposed for a dashboard and for `quantctl chan`
 * (which prints the analysis of a file from these annotations alone), each
 * once it is final (a fractal when it is found, a stroke once the next one
 * starts, a pivot once a stroke leaves it, a segment when it breaks, a
 * point when it appears), numbers with 17 significant digits (they read
 * back exactly):
 *   - through api->annotate (ABI 1.1 hosts; QD_API_HAS checked) as kind
 *     "chan.fractal" | "chan.stroke" | "chan.segment" | "chan.pivot" |
 *     "chan.point" with a one-object JSON body;
 *   - and always at debug level, one line each, in the format
 *       KIND JSON
 *     e.g.  chan.stroke {"dir":"up","from_ts":1704067200000,"from":98.5,
 *                        "to_ts":1704067800000,"to":99.58,"macd_area":..}
 *     (timestamps in ms; each kind's fields: emit_structures, on_point).
 * At stop, what is still provisional (the last stroke, a pivot no stroke
 * has left yet) follows with "final":false, then "chan.end" with the
 * count of each kind ever annotated and of bars and merged K-lines, so a
 * reader can tell a complete record from a cut one.
 * Memory exhaustion in chan_core stops the analysis (logged once); the
 * position is left to the account's own risk limits.
 */
#include <math.h>
#include <stdio.h>
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
	int failed;
	struct chan c;
	size_t fractals_logged, strokes_logged, pivots_logged, segments_logged;
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

/* A finished structure: annotate it (ABI 1.1 hosts) and log it. */
static void
emit(struct st *s, const char *kind, const char *json)
{
	if (QD_API_HAS(s->api, annotate))
		s->api->annotate(s->ctx, kind, json);
	s->api->log(s->ctx, QD_LOG_DEBUG, "%s %s", kind, json);
}

/* Stroke k as an annotation body; `final` 0 adds "final":false. */
static void
stroke_json(char *j, size_t cap, const struct chan_stroke *k, int final)
{
	snprintf(j, cap, "{\"dir\":\"%s\",\"from_ts\":%lld,\"from\":%.17g,"
		"\"to_ts\":%lld,\"to\":%.17g,\"macd_area\":%.17g%s}",
		k->dir > 0 ? "up" : "down", (long long)(k->from.ts / 1000000),
		k->from.price, (long long)(k->to.ts / 1000000), k->to.price,
		k->area, final ? "" : ",\"final\":false");
}

/* Pivot p as an annotation body; `final` 0 adds "final":false. */
static void
pivot_json(char *j, size_t cap, const struct chan_pivot *p, int final)
{
	snprintf(j, cap, "{\"zd\":%.17g,\"zg\":%.17g,\"from_ts\":%lld,"
		"\"to_ts\":%lld,\"from_stroke\":%zu,\"to_stroke\":%zu%s}",
		p->zd, p->zg, (long long)(p->ts_from / 1000000),
		(long long)(p->ts_to / 1000000), p->from, p->to,
		final ? "" : ",\"final\":false");
}

/* Emit the structures that became final since the last bar. */
static void
emit_structures(struct st *s)
{
	char j[512];

	while (s->fractals_logged < s->c.nf) {
		const struct chan_fractal *f = &s->c.f[s->fractals_logged++];

		snprintf(j, sizeof(j), "{\"type\":\"%s\",\"ts\":%lld,"
			"\"price\":%.17g}", f->type > 0 ? "top" : "bottom",
			(long long)(f->ts / 1000000), f->price);
		emit(s, "chan.fractal", j);
	}
	while (s->strokes_logged + 1 < s->c.ns) {
		stroke_json(j, sizeof(j), &s->c.s[s->strokes_logged++], 1);
		emit(s, "chan.stroke", j);
	}
	while (s->pivots_logged < s->c.npv &&
	    s->c.pv[s->pivots_logged].to + 1 < s->c.ns) {
		pivot_json(j, sizeof(j), &s->c.pv[s->pivots_logged++], 1);
		emit(s, "chan.pivot", j);
	}
	while (s->segments_logged < s->c.nseg) {
		const struct chan_segment *g = &s->c.seg[s->segments_logged++];

		snprintf(j, sizeof(j), "{\"dir\":\"%s\",\"from_ts\":%lld,"
			"\"to_ts\":%lld,\"high\":%.17g,\"low\":%.17g,"
			"\"break\":\"%s\",\"from_stroke\":%zu,\"to_stroke\":%zu}",
			g->dir > 0 ? "up" : "down",
			(long long)(s->c.s[g->from].from.ts / 1000000),
			(long long)(s->c.s[g->to].to.ts / 1000000), g->high,
			g->low, chan_break_name(g->how), g->from, g->to);
		emit(s, "chan.segment", j);
	}
}

/* Report one new point and trade it if its class is selected. */
static void
on_point(struct st *s, const struct chan_point *p, double close)
{
	double qty = qd_position_qty(s->api, s->ctx, s->sym);
	char j[192];

	snprintf(j, sizeof(j), "{\"class\":%d,\"side\":\"%s\",\"ts\":%lld,"
		"\"price\":%.17g,\"stroke\":%zu}", p->cls,
		p->side > 0 ? "buy" : "sell", (long long)(p->ts / 1000000),
		p->price, p->stroke);
	emit(s, "chan.point", j);
	if (!(s->classes & (1 << (p->cls - 1))))
		return;
	if (p->side > 0 && qty == 0)
		qd_order_market(s->api, s->ctx, s->sym, QD_SIDE_BUY,
			qd_size_fraction(qd_equity(s->api, s->ctx), s->frac,
			close), "chan");
	else if (p->side < 0 && qty > 0)
		qd_order_market(s->api, s->ctx, s->sym, QD_SIDE_SELL, qty,
			"chan");
}

static void
on_bar(void *state, const struct qd_bar_event *ev)
{
	struct st *s = state;
	int n, i;

	if (s->sym == 0)
		s->sym = ev->symbol;
	if (ev->symbol != s->sym || s->failed)
		return;
	n = chan_push(&s->c, &ev->bar);
	if (n < 0) {
		s->failed = 1;
		s->api->log(s->ctx, QD_LOG_ERROR, "chan: out of memory after "
			"%zu bars; analysis stopped", s->c.nbars);
		return;
	}
	emit_structures(s);
	for (i = n; i > 0; i--)
		on_point(s, &s->c.pt[s->c.npt - (size_t)i], ev->bar.close);
}

/*
 * The end of the run: what is still provisional, marked so, then the
 * counts ("chan.end").  Nothing after a failed analysis: its record is cut
 * short, and the missing "chan.end" says so.
 */
static void
stop(void *state)
{
	struct st *s = state;
	char j[512];

	if (s->failed)
		return;
	if (s->strokes_logged < s->c.ns) {
		stroke_json(j, sizeof(j), &s->c.s[s->strokes_logged++], 0);
		emit(s, "chan.stroke", j);
	}
	while (s->pivots_logged < s->c.npv) {
		pivot_json(j, sizeof(j), &s->c.pv[s->pivots_logged++], 0);
		emit(s, "chan.pivot", j);
	}
	snprintf(j, sizeof(j), "{\"bars\":%zu,\"klines\":%zu,\"fractals\":%zu,"
		"\"strokes\":%zu,\"segments\":%zu,\"pivots\":%zu,\"points\":%zu}",
		s->c.nbars, s->c.nk, s->c.nf, s->c.ns, s->c.nseg, s->c.npv,
		s->c.npt);
	emit(s, "chan.end", j);
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
		  .stop = stop, .destroy = destroy },
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
