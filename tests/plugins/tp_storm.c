/*
 * tp_storm.c -- a strategy that trades on every trade it sees: market
 * buys and sells, resting limits on both sides, cancels and brackets,
 * chosen by a seeded generator.  The kill -9 test runs it against a
 * replayed feed and kills the daemon under it.  With hold=true it buys
 * `qty` at its first trade, rests a limit buy at half the price and does
 * nothing more (the emergency close test).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

struct storm {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	qd_symbol sym;
	uint64_t rng;
	int64_t every, n;
	int hold;
	double qty;
	uint64_t sent, refused;
};

static const struct qd_param_spec specs[] = {
	QD_PARAM_INT_SPEC("seed", 1, 0, 1000000000, "generator seed"),
	QD_PARAM_INT_SPEC("every", 1, 1, 1000000, "act on every Nth trade"),
	QD_PARAM_STRING_SPEC("symbol", "BTC/USDT", "what to trade"),
	QD_PARAM_BOOL_SPEC("hold", 0, "buy once, rest one limit, then idle"),
	QD_PARAM_DOUBLE_SPEC("qty", 1, 0.0001, 1000, "hold: what to buy"),
};

static uint64_t
next(struct storm *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static int
s_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct storm *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return QD_ERR_NOMEM;
	s->api = api;
	s->ctx = ctx;
	s->rng = (uint64_t)api->param_int(p, "seed") * 2654435761u + 88172645;
	s->every = api->param_int(p, "every");
	s->sym = api->symbol_intern(ctx, api->param_string(p, "symbol"));
	s->hold = api->param_bool(p, "hold");
	s->qty = api->param_double(p, "qty");
	*state = s;
	return QD_OK;
}

static int
s_start(void *state)
{
	struct storm *s = state;

	/* Another seed each start: a restarted daemon does not replay. */
	s->rng ^= (uint64_t)s->api->now_ns(s->ctx);
	return s->api->subscribe(s->ctx, s->sym, 0);
}

static void
order(struct storm *s, enum qd_side side, enum qd_order_type t, double qty,
	double price, double sl, double tp)
{
	struct qd_order_req r;
	uint64_t id;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = s->sym;
	r.side = side;
	r.type = t;
	r.qty = qty;
	r.price = price;
	r.sl_price = sl;
	r.tp_price = tp;
	r.tag = "storm";
	if (s->api->order_submit(s->ctx, &r, &id) == QD_OK)
		s->sent++;
	else
		s->refused++;
}

static void
s_on_trade(void *state, const struct qd_trade_event *ev)
{
	struct storm *s = state;
	uint64_t ids[64], r;
	size_t n = 0;
	double px = ev->price, q;

	if (ev->symbol != s->sym || ++s->n % s->every != 0)
		return;
	if (s->hold) {
		if (s->n == 1) {
			order(s, QD_SIDE_BUY, QD_ORDER_MARKET, s->qty, 0, 0, 0);
			order(s, QD_SIDE_BUY, QD_ORDER_LIMIT, s->qty, px / 2, 0,
				0);
		}
		return;
	}
	r = next(s) % 100;
	q = 0.01 * (double)(1 + next(s) % 5);
	if (QD_API_HAS(s->api, orders_open))
		s->api->orders_open(s->ctx, ids, 64, &n);
	if (n >= 40 || r >= 90) {
		if (n > 0)
			s->api->order_cancel(s->ctx, ids[next(s) % (n < 64 ?
				n : 64)]);
		return;
	}
	if (r < 30)
		order(s, QD_SIDE_BUY, QD_ORDER_MARKET, q, 0, 0, 0);
	else if (r < 55)
		order(s, QD_SIDE_SELL, QD_ORDER_MARKET, q, 0, 0, 0);
	else if (r < 70)
		order(s, QD_SIDE_BUY, QD_ORDER_LIMIT, q, px * 0.999, 0, 0);
	else if (r < 85)
		order(s, QD_SIDE_SELL, QD_ORDER_LIMIT, q, px * 1.001, 0, 0);
	else
		order(s, QD_SIDE_BUY, QD_ORDER_MARKET, q, 0, px * 0.99,
			px * 1.01);
}

static void
s_stop(void *state)
{
	struct storm *s = state;

	s->api->log(s->ctx, QD_LOG_INFO, "storm: %llu sent, %llu refused",
		(unsigned long long)s->sent, (unsigned long long)s->refused);
}

static void
s_destroy(void *state)
{
	free(state);
}

static const struct qd_strategy_ops s_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = s_create,
		.start = s_start,
		.stop = s_stop,
		.destroy = s_destroy,
	},
	.on_trade = s_on_trade,
};

static const struct qd_plugin s_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_STRATEGY,
	.name = "tp-storm",
	.version = "1.0.0",
	.description = "orders on every trade, for the kill -9 test",
	.license = "MIT",
	.params = specs,
	.n_params = 5,
	.ops = &s_ops,
};

static const struct qd_plugin *const plugins[] = { &s_plugin, NULL };

QD_MODULE(plugins);
