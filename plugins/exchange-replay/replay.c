/*
 * replay.c -- the `replay` exchange: a market-data source with no network.
 *
 * It streams synthetic candles for whatever symbols and timeframes
 * strategies subscribe to: a geometric Brownian motion per symbol
 * (deterministic from `seed` and the symbol name), one closed bar per
 * subscription every `interval_ms` of wall time, timestamps advancing by the
 * timeframe from `start_ms`.  It places no orders.  It is what the default
 * configuration runs so quantd does something useful with no account.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define MAX_SUBS 256

struct sub {
	qd_symbol symbol;
	uint32_t tf;
	uint64_t rng;
	double price;
	int64_t ts;        /* open time of the next bar, ns */
	int64_t emitted;
};

struct replay {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	int64_t interval_ms;
	int64_t bars;      /* 0 = forever */
	int64_t seed;
	int64_t start_ms;
	double price;
	double vol;
	uint64_t timer;
	struct sub subs[MAX_SUBS];
	size_t n_subs;
};

/* splitmix64: a small, well-mixed deterministic generator. */
static uint64_t
next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double
next_unit(uint64_t *s)
{
	return ((double)(next_u64(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static double
next_normal(uint64_t *s)
{
	double u = next_unit(s), v = next_unit(s);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static int
replay_create(const struct qd_host_api *api, qd_ctx *ctx,
	const qd_params *p, void **state)
{
	struct replay *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return QD_ERR_NOMEM;
	r->api = api;
	r->ctx = ctx;
	r->interval_ms = api->param_int(p, "interval_ms");
	r->bars = api->param_int(p, "bars");
	r->seed = api->param_int(p, "seed");
	r->start_ms = api->param_int(p, "start_ms");
	r->price = api->param_double(p, "price");
	r->vol = api->param_double(p, "volatility");
	*state = r;
	return QD_OK;
}

static int
replay_start(void *state)
{
	struct replay *r = state;
	int64_t iv = (r->interval_ms > 0 ? r->interval_ms : 1) * 1000000;

	return r->api->timer_add(r->ctx, iv, iv, &r->timer);
}

static void
replay_stop(void *state)
{
	struct replay *r = state;

	r->api->timer_cancel(r->ctx, r->timer);
}

static void
replay_destroy(void *state)
{
	free(state);
}

static int
replay_subscribe(void *state, qd_symbol sym, uint32_t tf)
{
	struct replay *r = state;
	struct sub *s;
	const char *name = r->api->symbol_name(r->ctx, sym);
	size_t i;

	if (tf == 0)
		return QD_ERR_UNSUPPORTED;
	for (i = 0; i < r->n_subs; i++)
		if (r->subs[i].symbol == sym && r->subs[i].tf == tf)
			return QD_OK;
	if (r->n_subs == MAX_SUBS || name == NULL)
		return QD_ERR_LIMIT;
	s = &r->subs[r->n_subs++];
	s->symbol = sym;
	s->tf = tf;
	s->rng = (uint64_t)r->seed;
	for (i = 0; name[i]; i++)
		s->rng = (s->rng ^ (unsigned char)name[i]) * 1099511628211ull;
	s->price = r->price;
	s->ts = (r->start_ms - r->start_ms % ((int64_t)tf * 1000)) * 1000000;
	r->api->log(r->ctx, QD_LOG_INFO, "streaming synthetic %s bars of %us",
		name, tf);
	return QD_OK;
}

/* One bar of a GBM: four sub-steps give open/high/low/close. */
static void
emit_next(struct replay *r, struct sub *s)
{
	struct qd_bar_event ev;
	double p = s->price, hi = p, lo = p, step = r->vol / 2.0;
	int k;

	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.symbol = s->symbol;
	ev.timeframe_s = s->tf;
	ev.bar.ts = s->ts;
	ev.bar.open = p;
	for (k = 0; k < 4; k++) {
		p *= exp(-0.5 * step * step + step * next_normal(&s->rng));
		hi = p > hi ? p : hi;
		lo = p < lo ? p : lo;
	}
	ev.bar.high = hi;
	ev.bar.low = lo;
	ev.bar.close = p;
	ev.bar.volume = 10.0 + 90.0 * next_unit(&s->rng);
	s->price = p;
	s->ts += (int64_t)s->tf * 1000000000;
	s->emitted++;
	r->api->emit_bar(r->ctx, &ev);
}

static void
replay_on_timer(void *state, uint64_t id)
{
	struct replay *r = state;
	size_t i;

	(void)id;
	for (i = 0; i < r->n_subs; i++)
		if (r->bars == 0 || r->subs[i].emitted < r->bars)
			emit_next(r, &r->subs[i]);
}

static const struct qd_exchange_ops replay_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = replay_create,
		.start = replay_start,
		.stop = replay_stop,
		.destroy = replay_destroy,
	},
	.subscribe = replay_subscribe,
	.on_timer = replay_on_timer,
};

static const struct qd_param_spec replay_params[] = {
	QD_PARAM_INT_SPEC("interval_ms", 250, 1, 3600000,
		"wall-clock milliseconds between bars"),
	QD_PARAM_INT_SPEC("bars", 0, 0, 1e12,
		"bars per subscription, 0 = forever"),
	QD_PARAM_INT_SPEC("seed", 1, 0, 1e15, "random seed"),
	QD_PARAM_INT_SPEC("start_ms", 1704067200000, 0, 4102444800000,
		"timestamp of the first bar, ms UTC"),
	QD_PARAM_DOUBLE_SPEC("price", 100.0, 1e-9, 1e12, "starting price"),
	QD_PARAM_DOUBLE_SPEC("volatility", 0.002, 0.0, 1.0,
		"standard deviation of log returns per bar"),
};

static const struct qd_plugin replay_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "replay",
	.version = "1.0.0",
	.description = "synthetic market data (GBM candles), no network",
	.license = "MIT",
	.params = replay_params,
	.n_params = QD_COUNTOF(replay_params),
	.ops = &replay_ops,
};

static const struct qd_plugin *const plugins[] = { &replay_plugin, NULL };

QD_MODULE(plugins);
