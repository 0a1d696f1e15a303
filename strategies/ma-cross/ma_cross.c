/*
 * ma_cross.c -- the `ma-cross` strategy: moving-average crossover.
 *
 * Rules, per symbol it receives bars for (each symbol its own averages):
 *   - fast and slow moving averages of the close, `ma` = sma or ema, with
 *     periods `fast` < `slow` (create refuses otherwise);
 *   - cross up on bar t:   fast[t] > slow[t] and fast[t-1] <= slow[t-1];
 *     cross down on bar t: fast[t] < slow[t] and fast[t-1] >= slow[t-1];
 *     no signal until both averages have a value on bars t-1 and t;
 *   - long only (default): a cross up when flat buys; a cross down when
 *     long sells the whole position;
 *   - short=true (stop and reverse): a cross up also buys back a short
 *     first, a cross down also opens a short after closing the long;
 *   - size of an entry: sizing=qty buys/sells `qty`; sizing=fraction
 *     `fraction` of the account's equity at the signal bar's close
 *     (qd_size_fraction);
 *   - market orders, so a signal on bar t fills at bar t+1's open.
 * Each signal is logged at info level with the averages, each fill with
 * its price and fee.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define MAX_SYMBOLS 64

/* One symbol's averages and their previous values. */
struct leg {
	qd_symbol sym;
	int broken;          /* indicators could not be created */
	qd_indicator *fast, *slow;
	double pf, ps;       /* fast/slow on the previous bar, NaN while warming */
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

/*
 * Read and check the params: QD_ERR_INVALID (logged) unless fast < slow.
 * Indicators are created per symbol on its first bar.
 */
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

/*
 * The leg of `sym`, created with its two averages on first use.  NULL when
 * the symbol table is full or the indicators cannot be had (logged once;
 * the symbol is then ignored).
 */
static struct leg *
leg_of(struct mac *m, qd_symbol sym)
{
	struct leg *l;
	char f[24], s[24];
	struct qd_kv kf = { "period", f }, ks = { "period", s };
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->legs[i].sym == sym)
			return m->legs[i].broken ? NULL : &m->legs[i];
	if (m->n == MAX_SYMBOLS)
		return NULL;
	l = &m->legs[m->n++];
	l->sym = sym;
	l->pf = l->ps = NAN;
	snprintf(f, sizeof(f), "%lld", (long long)m->nf);
	snprintf(s, sizeof(s), "%lld", (long long)m->ns);
	if (m->api->indicator_new(m->ctx, m->ma, &kf, 1, &l->fast) != QD_OK ||
	    m->api->indicator_new(m->ctx, m->ma, &ks, 1, &l->slow) != QD_OK) {
		m->api->log(m->ctx, QD_LOG_ERROR, "no %s indicator: symbol "
			"ignored", m->ma);
		l->broken = 1;
		return NULL;
	}
	return l;
}

/* Entry size at `price` (see the rules); 0 if it cannot be sized. */
static double
size_for(struct mac *m, double price)
{
	if (!m->fraction)
		return m->qty;
	return qd_size_fraction(qd_equity(m->api, m->ctx), m->frac, price);
}

/* Submit a market order of `qty` (if > 0), logging it with `why`. */
static void
trade(struct mac *m, qd_symbol sym, enum qd_side side, double qty,
	const char *why)
{
	int rc;

	if (!(qty > 0))
		return;
	rc = qd_order_market(m->api, m->ctx, sym, side, qty, "ma-cross");
	if (rc != QD_OK)
		m->api->log(m->ctx, QD_LOG_WARN, "%s %.10g (%s) refused: %s",
			side == QD_SIDE_BUY ? "buy" : "sell", qty, why,
			qd_strerror(rc));
}

static void
mac_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct mac *m = state;
	struct leg *l = leg_of(m, ev->symbol);
	const char *name;
	double f, s, qty;
	int up, down;

	if (l == NULL)
		return;
	m->api->indicator_update(l->fast, &ev->bar, &f);
	m->api->indicator_update(l->slow, &ev->bar, &s);
	/* NaN compares false: no signal while either average warms up */
	up = f > s && l->pf <= l->ps;
	down = f < s && l->pf >= l->ps;
	l->pf = f;
	l->ps = s;
	if (!up && !down)
		return;
	name = m->api->symbol_name(m->ctx, ev->symbol);
	m->api->log(m->ctx, QD_LOG_INFO, "%s cross %s: fast %.10g %s slow "
		"%.10g at close %.10g", name ? name : "?", up ? "up" : "down", f,
		up ? ">" : "<", s, ev->bar.close);
	qty = qd_position_qty(m->api, m->ctx, ev->symbol);
	if (up) {
		if (qty < 0)
			trade(m, ev->symbol, QD_SIDE_BUY, -qty, "cover");
		if (qty <= 0)
			trade(m, ev->symbol, QD_SIDE_BUY,
				size_for(m, ev->bar.close), "enter long");
	} else {
		if (qty > 0)
			trade(m, ev->symbol, QD_SIDE_SELL, qty, "exit long");
		if (m->shorts && qty >= 0)
			trade(m, ev->symbol, QD_SIDE_SELL,
				size_for(m, ev->bar.close), "enter short");
	}
}

/* Fills and refusals, at info level, so a paper or live run can be read
 * from the log. */
static void
mac_on_order(void *state, const struct qd_order_update *u)
{
	struct mac *m = state;
	const char *name = m->api->symbol_name(m->ctx, u->symbol);

	if (u->last_qty > 0)
		m->api->log(m->ctx, QD_LOG_INFO, "%s %s filled %.10g @ %.10g "
			"(fee %.10g)", name ? name : "?",
			u->side == QD_SIDE_BUY ? "buy" : "sell", u->last_qty,
			u->last_price, u->fee);
	else if (u->state == QD_ORDER_REJECTED)
		m->api->log(m->ctx, QD_LOG_WARN, "%s %s %.10g rejected: %s",
			name ? name : "?", u->side == QD_SIDE_BUY ? "buy" :
			"sell", u->qty, u->reason ? u->reason : "no reason");
}

static void
mac_destroy(void *state)
{
	free(state);    /* the host frees the indicators */
}

static const struct qd_strategy_ops mac_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = mac_create,
		.destroy = mac_destroy,
	},
	.on_bar = mac_on_bar,
	.on_order = mac_on_order,
};

static const char *const ma_kinds[] = { "sma", "ema", NULL };
static const char *const sizings[] = { "qty", "fraction", NULL };

static const struct qd_param_spec mac_params[] = {
	QD_PARAM_INT_SPEC("fast", 10, 1, 10000, "fast moving average period "
		"(below slow)"),
	QD_PARAM_INT_SPEC("slow", 30, 2, 10000, "slow moving average period"),
	QD_PARAM_ENUM_SPEC("ma", "sma", ma_kinds, "moving average: sma or ema"),
	QD_PARAM_ENUM_SPEC("sizing", "fraction", sizings,
		"qty: fixed quantity; fraction: share of equity"),
	QD_PARAM_DOUBLE_SPEC("qty", 1.0, 1e-9, 1e12, "quantity when sizing=qty"),
	QD_PARAM_DOUBLE_SPEC("fraction", 0.95, 0.0001, 1.0,
		"share of equity when sizing=fraction"),
	QD_PARAM_BOOL_SPEC("short", 0, "stop and reverse: also hold a short "
		"after a cross down"),
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
