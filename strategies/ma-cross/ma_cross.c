/*
 * ma_cross.c -- the `ma-cross` strategy.
 *
 * Rules (per symbol it receives bars for, on its base timeframe):
 *   fast and slow moving averages of the close (`ma` = sma or ema);
 *   a cross up  (fast[t] > slow[t] and fast[t-1] <= slow[t-1]) enters long
 *               (or, with short=true, closes the short);
 *   a cross down (fast[t] < slow[t] and fast[t-1] >= slow[t-1]) closes the
 *               long (or, with short=true, enters short).
 * Orders are market orders: they fill at the next bar's open.
 * Size: `sizing` = qty (a fixed `qty`) or fraction (`fraction` of equity at
 * the signal bar's close).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define MAX_SYMBOLS 64

struct leg {
	qd_symbol sym;
	qd_indicator *fast, *slow;
	double pf, ps;      /* previous fast/slow, NaN while warming */
};

struct mac {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	const char *ma;
	int64_t nf, ns;
	int fraction, shorts;
	double qty, frac;
	struct leg legs[MAX_SYMBOLS];
	size_t n;
};

static int
mac_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct mac *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return QD_ERR_NOMEM;
	m->api = api;
	m->ctx = ctx;
	m->nf = api->param_int(p, "fast");
	m->ns = api->param_int(p, "slow");
	m->ma = api->param_string(p, "ma");
	m->fraction = strcmp(api->param_string(p, "sizing"), "fraction") == 0;
	m->qty = api->param_double(p, "qty");
	m->frac = api->param_double(p, "fraction");
	m->shorts = api->param_bool(p, "short");
	if (m->nf >= m->ns) {
		api->log(ctx, QD_LOG_ERROR, "fast (%lld) must be below slow "
			"(%lld)", (long long)m->nf, (long long)m->ns);
		free(m);
		return QD_ERR_INVALID;
	}
	*state = m;
	return QD_OK;
}

static struct leg *
leg_of(struct mac *m, qd_symbol sym)
{
	struct leg *l;
	char f[24], s[24];
	struct qd_kv kf = { "period", f }, ks = { "period", s };
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->legs[i].sym == sym)
			return &m->legs[i];
	if (m->n == MAX_SYMBOLS)
		return NULL;
	l = &m->legs[m->n];
	snprintf(f, sizeof(f), "%lld", (long long)m->nf);
	snprintf(s, sizeof(s), "%lld", (long long)m->ns);
	if (m->api->indicator_new(m->ctx, m->ma, &kf, 1, &l->fast) != QD_OK ||
	    m->api->indicator_new(m->ctx, m->ma, &ks, 1, &l->slow) != QD_OK)
		return NULL;
	l->sym = sym;
	l->pf = l->ps = NAN;
	m->n++;
	return l;
}

static double
size_for(struct mac *m, double price)
{
	if (!m->fraction)
		return m->qty;
	return qd_size_fraction(qd_equity(m->api, m->ctx), m->frac, price);
}

static void
mac_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct mac *m = state;
	struct leg *l = leg_of(m, ev->symbol);
	double f, s, qty;
	int up, down;

	if (l == NULL)
		return;
	m->api->indicator_update(l->fast, &ev->bar, &f);
	m->api->indicator_update(l->slow, &ev->bar, &s);
	up = f > s && l->pf <= l->ps;
	down = f < s && l->pf >= l->ps;
	l->pf = f;
	l->ps = s;
	if (!up && !down)
		return;
	qty = qd_position_qty(m->api, m->ctx, ev->symbol);
	if (up) {
		if (qty < 0)
			qd_order_market(m->api, m->ctx, ev->symbol, QD_SIDE_BUY,
				-qty, "ma-cross");
		if (qty <= 0)
			qd_order_market(m->api, m->ctx, ev->symbol, QD_SIDE_BUY,
				size_for(m, ev->bar.close), "ma-cross");
	} else {
		if (qty > 0)
			qd_order_market(m->api, m->ctx, ev->symbol,
				QD_SIDE_SELL, qty, "ma-cross");
		if (m->shorts && qty >= 0)
			qd_order_market(m->api, m->ctx, ev->symbol,
				QD_SIDE_SELL, size_for(m, ev->bar.close),
				"ma-cross");
	}
}

static void
mac_destroy(void *state)
{
	free(state);
}

static const struct qd_strategy_ops mac_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = mac_create,
		.destroy = mac_destroy,
	},
	.on_bar = mac_on_bar,
};

static const char *const ma_kinds[] = { "sma", "ema", NULL };
static const char *const sizings[] = { "qty", "fraction", NULL };

static const struct qd_param_spec mac_params[] = {
	QD_PARAM_INT_SPEC("fast", 10, 1, 10000, "fast moving average period"),
	QD_PARAM_INT_SPEC("slow", 30, 2, 10000, "slow moving average period"),
	QD_PARAM_ENUM_SPEC("ma", "sma", ma_kinds, "moving average: sma or ema"),
	QD_PARAM_ENUM_SPEC("sizing", "fraction", sizings,
		"qty: fixed quantity; fraction: share of equity"),
	QD_PARAM_DOUBLE_SPEC("qty", 1.0, 1e-9, 1e12, "quantity when sizing=qty"),
	QD_PARAM_DOUBLE_SPEC("fraction", 0.95, 0.0001, 1.0,
		"share of equity when sizing=fraction"),
	QD_PARAM_BOOL_SPEC("short", 0, "also trade the cross down short"),
};

static const char *const mac_requires[] = {
	"indicator:sma>=1.0", "indicator:ema>=1.0", NULL
};

static const struct qd_plugin mac_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_STRATEGY,
	.name = "ma-cross",
	.version = "1.0.0",
	.description = "moving-average crossover, long-only or long/short",
	.license = "MIT",
	.params = mac_params,
	.n_params = QD_COUNTOF(mac_params),
	.requires = mac_requires,
	.ops = &mac_ops,
};

static const struct qd_plugin *const plugins[] = { &mac_plugin, NULL };

QD_MODULE(plugins);
