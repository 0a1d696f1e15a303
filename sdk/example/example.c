/*
 * example.c -- a complete quantd strategy plugin, built out of tree:
 *
 *     make                      # uses pkg-config quantd-sdk
 *     quantctl plugin info sma-cross-example
 *
 * Moving-average crossover on one symbol: when the fast SMA of closes
 * crosses above the slow SMA, buy `qty`; when it crosses below, sell.  It uses the
 * host's `sma` indicator (declared in `requires`), logs its decisions and
 * keeps its position count across restarts with state_save/state_load.
 *
 * Everything it calls on the host comes through `api`; it links against no
 * host symbol (-Wl,--no-undefined proves it), so it runs the same in-process
 * and sandboxed.
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <quantd/sdk.h>

struct example {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	double qty;
	qd_indicator *fast, *slow;
	double prev_fast, prev_slow;   /* NaN until both have values */
	long crosses;
	qd_symbol sym;                 /* the one symbol it trades */
};

static int
example_create(const struct qd_host_api *api, qd_ctx *ctx,
	const qd_params *params, void **state)
{
	struct example *s = calloc(1, sizeof(*s));
	char fast[24], slow[24];
	struct qd_kv fp = { "period", fast }, sp = { "period", slow };
	int64_t nf = api->param_int(params, "fast");
	int64_t ns = api->param_int(params, "slow");
	size_t len;

	if (s == NULL)
		return QD_ERR_NOMEM;
	if (nf >= ns) {
		api->log(ctx, QD_LOG_ERROR, "fast (%lld) must be shorter than "
			"slow (%lld)", (long long)nf, (long long)ns);
		free(s);
		return QD_ERR_INVALID;
	}
	s->api = api;
	s->ctx = ctx;
	s->qty = api->param_double(params, "qty");
	s->prev_fast = s->prev_slow = NAN;
	snprintf(fast, sizeof(fast), "%lld", (long long)nf);
	snprintf(slow, sizeof(slow), "%lld", (long long)ns);
	if (api->indicator_new(ctx, "sma", &fp, 1, &s->fast) != QD_OK ||
	    api->indicator_new(ctx, "sma", &sp, 1, &s->slow) != QD_OK) {
		free(s);
		return QD_ERR_INVALID;
	}
	if (api->state_load(ctx, &s->crosses, sizeof(s->crosses), &len) ==
	    QD_OK && len == sizeof(s->crosses))
		api->log(ctx, QD_LOG_INFO, "resuming after %ld crosses",
			s->crosses);
	*state = s;
	return QD_OK;
}

static void
example_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct example *s = state;
	double f, sl;
	int up, down;

	/* One symbol: the first one that arrives (configure just one). */
	if (s->sym == 0)
		s->sym = ev->symbol;
	if (ev->symbol != s->sym)
		return;
	s->api->indicator_update(s->fast, &ev->bar, &f);
	s->api->indicator_update(s->slow, &ev->bar, &sl);
	up = f > sl && s->prev_fast <= s->prev_slow;
	down = f < sl && s->prev_fast >= s->prev_slow;
	s->prev_fast = f;
	s->prev_slow = sl;
	if (!up && !down)
		return;
	s->crosses++;
	s->api->state_save(s->ctx, &s->crosses, sizeof(s->crosses));
	s->api->log(s->ctx, QD_LOG_INFO, "%s %s: fast %.2f %s slow %.2f at "
		"close %.2f", s->api->symbol_name(s->ctx, ev->symbol),
		up ? "golden cross" : "death cross", f, up ? ">" : "<", sl,
		ev->bar.close);
	{
		struct qd_order_req o = { 0 };
		uint64_t id;
		int rc;

		o.size = sizeof(o);
		o.symbol = ev->symbol;
		o.side = up ? QD_SIDE_BUY : QD_SIDE_SELL;
		o.type = QD_ORDER_MARKET;
		o.qty = s->qty;
		o.tag = "sma-cross-example";
		if (!up)
			o.flags = QD_ORDER_REDUCE_ONLY;
		rc = s->api->order_submit(s->ctx, &o, &id);
		if (rc != QD_OK)
			s->api->log(s->ctx, QD_LOG_DEBUG, "order not placed: "
				"%s", qd_strerror(rc));
	}
}

static void
example_on_order(void *state, const struct qd_order_update *u)
{
	struct example *s = state;

	if (u->last_qty > 0)
		s->api->log(s->ctx, QD_LOG_INFO, "filled %.8g @ %.8g",
			u->last_qty, u->last_price);
}

static void
example_destroy(void *state)
{
	/* Indicators made with indicator_new are freed by the host too. */
	free(state);
}

static const struct qd_strategy_ops example_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = example_create,
		.destroy = example_destroy,
	},
	.on_bar = example_on_bar,
	.on_order = example_on_order,
};

static const struct qd_param_spec example_params[] = {
	QD_PARAM_INT_SPEC("fast", 10, 1, 10000, "fast SMA period (bars)"),
	QD_PARAM_INT_SPEC("slow", 30, 2, 10000, "slow SMA period (bars)"),
	QD_PARAM_DOUBLE_SPEC("qty", 0.01, 1e-9, 1e9, "order quantity, base "
		"units"),
};

static const char *const example_requires[] = { "indicator:sma>=1.0", NULL };

static const struct qd_plugin example_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_STRATEGY,
	.name = "sma-cross-example",
	.version = "1.0.0",
	.description = "SDK example: SMA crossover that logs its signals",
	.license = "MIT",
	.params = example_params,
	.n_params = QD_COUNTOF(example_params),
	.requires = example_requires,
	.ops = &example_ops,
};

static const struct qd_plugin *const plugins[] = { &example_plugin, NULL };

QD_MODULE(plugins);
