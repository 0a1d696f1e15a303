/*
 * replay.c -- the `replay` exchange: a market-data source with no network.
 *
 * Synthetic (no `source`): candles for whatever symbols and timeframes
 * strategies subscribe to, a geometric Brownian motion per symbol
 * (deterministic from `seed` and the symbol name), one closed bar per
 * subscription every `interval_ms` of wall time, timestamps advancing by
 * the timeframe from `start_ms`.  It is what the default configuration
 * runs so quantd does something useful with no account and no network.
 *
 * Recorded (`source` set): real market data played as a live feed at
 * `speed` times its pace -- a range of the store
 * ("store:binance:BTC/USDT:1m", or "...:trades") or a file `quantctl data
 * import` reads ("file:/data/BTCUSDT-1m-2024-01.csv": Binance public-data
 * klines or aggTrades, or our CSV), read through api->history_*.  Trades
 * are emitted as trades (the host builds every timeframe from them);
 * bars at their close, as bars of their timeframe, and as the bars of any
 * subscribed timeframe that is a whole multiple of it (UTC-aligned).
 * Timestamps are the recorded ones.  `loop` starts again at the end, each
 * pass moved to the period after the last one's (times keep rising, so
 * candles and fills go on; trade ids are shifted past the last pass's).  It
 * places no orders.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define MAX_SUBS 256
#define PAGE 1024          /* recorded rows read at a time */
#define TICK_MS 10         /* how often due rows are emitted */

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
	/* Recorded mode. */
	char source[512];
	qd_symbol symbol;        /* what the rows are emitted as */
	double speed;
	int loop;
	uint64_t cursor;
	uint32_t src_tf;         /* the rows' timeframe, 0: trades */
	struct qd_history_row rows[PAGE];
	size_t n_rows, pos;
	int64_t t0_wall, t0_data;  /* ns: the first row's due time */
	int64_t emitted_rows;
	int ended;
	/* Looping: each pass is moved to follow the last one (time keeps
	 * rising, trade ids stay unique). */
	uint32_t pass;
	int64_t shift_ns;        /* added to this pass's times */
	uint64_t id_shift;       /* and to its trade ids */
	int64_t last_ns;         /* the last row emitted (shifted) */
	uint64_t max_id;         /* the highest trade id of a pass, as read */
	struct agg {
		uint32_t tf;         /* a subscribed multiple of src_tf */
		int open;
		struct qd_bar bar;
	} agg[16];
	size_t n_agg;
	/* Trades: their 1m bars, which this feed hands the host as a venue
	 * hands its 1m klines (flat minutes included). */
	int minute_open;
	struct qd_bar minute;
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
	snprintf(r->source, sizeof(r->source), "%s",
		api->param_string(p, "source"));
	r->speed = api->param_double(p, "speed");
	r->loop = api->param_bool(p, "loop");
	if (r->source[0] != '\0') {
		const char *sym = api->param_string(p, "symbol");
		char buf[64];

		/* store:EXCHANGE:SYMBOL:...: the stored symbol by default. */
		if (sym[0] == '\0' && strncmp(r->source, "store:", 6) == 0 &&
		    sscanf(r->source + 6, "%*[^:]:%63[^:]", buf) == 1)
			sym = buf;
		if (sym[0] == '\0' || !QD_API_HAS(api, history_open)) {
			api->log(ctx, QD_LOG_ERROR, "%s", sym[0] == '\0' ?
				"a recorded source needs `symbol` (what its "
				"rows are, e.g. BTC/USDT)" :
				"this host cannot read recorded data");
			free(r);
			return QD_ERR_INVALID;
		}
		if ((r->symbol = api->symbol_intern(ctx, sym)) == 0) {
			api->log(ctx, QD_LOG_ERROR, "bad symbol %s", sym);
			free(r);
			return QD_ERR_INVALID;
		}
	}
	*state = r;
	return QD_OK;
}

/* ---- recorded data ------------------------------------------------------ */

static int
rec_open(struct replay *r)
{
	int rc = r->api->history_open(r->ctx, r->source, &r->src_tf,
		&r->cursor);

	if (rc != QD_OK) {
		r->api->log(r->ctx, QD_LOG_ERROR, "cannot replay %s: %s",
			r->source, qd_strerror(rc));
		return rc;
	}
	r->n_rows = r->pos = 0;
	r->t0_wall = 0;
	r->ended = 0;
	r->api->log(r->ctx, QD_LOG_INFO, "replaying %s as %s at %gx", r->source,
		r->api->symbol_name(r->ctx, r->symbol), r->speed);
	return QD_OK;
}

/* A page of a later pass: moved after the last row emitted.  The pass
 * starts in the period (the rows' timeframe; trades: the minute) after the
 * last one's, at the same place in its period as the recording did. */
static void
pass_shift(struct replay *r)
{
	int64_t unit = (r->src_tf ? (int64_t)r->src_tf : 60) * 1000000000LL;
	size_t i;

	if (r->shift_ns < 0) {
		int64_t first = r->rows[0].ts;

		r->shift_ns = (r->last_ns / unit + 1) * unit -
		    (first - (first % unit + unit) % unit);
	}
	for (i = 0; i < r->n_rows; i++) {
		r->rows[i].ts += r->shift_ns;
		r->rows[i].bar.ts += r->shift_ns;
		if (r->rows[i].trade_id != 0)
			r->rows[i].trade_id += r->id_shift;
	}
}

/* The next row, reading a page when the last is used up; NULL at the end. */
static const struct qd_history_row *
rec_peek(struct replay *r)
{
	if (r->pos == r->n_rows && !r->ended) {
		size_t n = 0;

		if (r->api->history_next(r->ctx, r->cursor, r->rows, PAGE,
		    &n) != QD_OK || n == 0)
			r->ended = 1;
		r->n_rows = n;
		r->pos = 0;
		if (n > 0 && r->pass > 0)
			pass_shift(r);
	}
	return r->pos < r->n_rows ? &r->rows[r->pos] : NULL;
}

/* When a row is due on the data clock: a trade at its time, a bar at its
 * close. */
static int64_t
due(const struct qd_history_row *w)
{
	return w->ts + (int64_t)w->timeframe_s * 1000000000;
}

static void
emit_bar_of(struct replay *r, uint32_t tf, const struct qd_bar *b)
{
	struct qd_bar_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.symbol = r->symbol;
	ev.timeframe_s = tf;
	ev.bar = *b;
	r->api->emit_bar(r->ctx, &ev);
}

/* A recorded bar: itself, and into the subscribed multiples of it (a
 * multiple closes with its last part). */
static void
rec_bar(struct replay *r, const struct qd_history_row *w)
{
	size_t i;

	emit_bar_of(r, w->timeframe_s, &w->bar);
	for (i = 0; i < r->n_agg; i++) {
		struct agg *a = &r->agg[i];
		int64_t span = (int64_t)a->tf * 1000000000;
		int64_t start = w->ts - (w->ts % span + span) % span;

		if (a->open && a->bar.ts != start)
			a->open = 0;     /* a part is missing: not emitted */
		if (!a->open) {
			if (w->ts != start)
				continue;    /* joined mid-period */
			a->bar = w->bar;
			a->bar.ts = start;
			a->open = 1;
		} else {
			a->bar.high = w->bar.high > a->bar.high ?
				w->bar.high : a->bar.high;
			a->bar.low = w->bar.low < a->bar.low ?
				w->bar.low : a->bar.low;
			a->bar.close = w->bar.close;
			a->bar.volume += w->bar.volume;
		}
		if (due(w) == start + span) {
			emit_bar_of(r, a->tf, &a->bar);
			a->open = 0;
		}
	}
}

/* The 1m bars of recorded trades, closed by the first trade after them;
 * minutes without trades are flat at the previous close. */
static void
rec_minute(struct replay *r, const struct qd_history_row *w)
{
	const int64_t m = 60000000000LL;
	int64_t start = w != NULL ? w->ts - (w->ts % m + m) % m : 0;

	while (r->minute_open && (w == NULL || start > r->minute.ts)) {
		double c = r->minute.close;

		emit_bar_of(r, 60, &r->minute);
		r->minute_open = 0;
		if (w != NULL && start > r->minute.ts + m &&
		    start - r->minute.ts <= 1440 * m) {
			r->minute.ts += m;
			r->minute.open = r->minute.high = r->minute.low = c;
			r->minute.volume = 0;
			r->minute_open = 1;
		}
	}
	if (w == NULL)
		return;
	if (!r->minute_open) {
		r->minute.ts = start;
		r->minute.open = r->minute.high = r->minute.low = w->price;
		r->minute.close = w->price;
		r->minute.volume = 0;
		r->minute_open = 1;
	}
	if (w->price > r->minute.high)
		r->minute.high = w->price;
	if (w->price < r->minute.low)
		r->minute.low = w->price;
	r->minute.close = w->price;
	r->minute.volume += w->qty;
}

static void
rec_trade(struct replay *r, const struct qd_history_row *w)
{
	struct qd_trade_event t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.symbol = r->symbol;
	t.side = w->side;
	t.ts = w->ts;
	t.price = w->price;
	t.qty = w->qty;
	t.trade_id = w->trade_id;
	rec_minute(r, w);
	r->api->emit_trade(r->ctx, &t);
}

/* Emit every row due by now on the data clock. */
static void
rec_tick(struct replay *r)
{
	const struct qd_history_row *w;
	int64_t now = r->api->now_ns(r->ctx), clock;

	if ((w = rec_peek(r)) == NULL) {
		if (!r->ended)
			return;
		rec_minute(r, NULL);
		r->api->log(r->ctx, QD_LOG_INFO, "replay of %s finished: %lld "
			"rows%s", r->source, (long long)r->emitted_rows,
			r->loop ? "; again from the start" : "");
		r->api->history_close(r->ctx, r->cursor);
		r->cursor = 0;
		if (r->loop) {
			r->pass++;
			r->shift_ns = -1;   /* set from the next pass's first row */
			r->id_shift += r->max_id;
		}
		if (!r->loop || rec_open(r) != QD_OK) {
			r->api->timer_cancel(r->ctx, r->timer);
			r->timer = 0;
		}
		return;
	}
	if (r->t0_wall == 0) {
		r->t0_wall = now;
		r->t0_data = due(w);
	}
	clock = r->t0_data + (int64_t)((double)(now - r->t0_wall) * r->speed);
	while ((w = rec_peek(r)) != NULL && due(w) <= clock) {
		if (w->timeframe_s > 0)
			rec_bar(r, w);
		else
			rec_trade(r, w);
		r->last_ns = w->ts;
		if (r->pass == 0 && w->trade_id > r->max_id)
			r->max_id = w->trade_id;
		r->pos++;
		r->emitted_rows++;
	}
}

static int
replay_start(void *state)
{
	struct replay *r = state;
	int64_t iv = (r->interval_ms > 0 ? r->interval_ms : 1) * 1000000;
	int rc;

	if (r->source[0] != '\0') {
		if ((rc = rec_open(r)) != QD_OK)
			return rc;
		iv = TICK_MS * 1000000;
	}
	return r->api->timer_add(r->ctx, iv, iv, &r->timer);
}

static void
replay_stop(void *state)
{
	struct replay *r = state;

	if (r->timer)
		r->api->timer_cancel(r->ctx, r->timer);
	if (r->cursor)
		r->api->history_close(r->ctx, r->cursor);
	r->cursor = 0;
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

	if (r->source[0] != '\0') {
		/* Recorded: its one symbol; trades and bars come as recorded,
		 * multiples of a bar timeframe are built here. */
		if (sym != r->symbol)
			return QD_ERR_NOTFOUND;
		if (tf == 0 || r->src_tf == 0 || tf == r->src_tf ||
		    tf % r->src_tf != 0 || tf > 86400 || 86400 % tf != 0)
			return QD_OK;
		for (i = 0; i < r->n_agg; i++)
			if (r->agg[i].tf == tf)
				return QD_OK;
		if (r->n_agg == QD_COUNTOF(r->agg))
			return QD_ERR_LIMIT;
		r->agg[r->n_agg].tf = tf;
		r->agg[r->n_agg++].open = 0;
		return QD_OK;
	}
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
	if (r->source[0] != '\0') {
		rec_tick(r);
		return;
	}
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
	QD_PARAM_STRING_SPEC("source", "",
		"recorded data to replay instead: store:EXCHANGE:SYMBOL:TF"
		"[:FROM:TO] (TF or trades) or file:PATH (Binance klines or "
		"aggTrades, or our CSV)"),
	QD_PARAM_STRING_SPEC("symbol", "",
		"the symbol recorded rows are emitted as (default: the "
		"store source's)"),
	QD_PARAM_DOUBLE_SPEC("speed", 1.0, 0.001, 1e9,
		"recorded data: times its own pace"),
	QD_PARAM_BOOL_SPEC("loop", 0, "recorded data: start again at the end, "
		"moved on in time to follow it"),
};

static const struct qd_plugin replay_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "replay",
	.version = "1.1.0",
	.description = "synthetic market data (GBM candles), or recorded "
	    "data (store, Binance files) replayed at N x speed; no network",
	.license = "MIT",
	.params = replay_params,
	.n_params = QD_COUNTOF(replay_params),
	.ops = &replay_ops,
};

static const struct qd_plugin *const plugins[] = { &replay_plugin, NULL };

QD_MODULE(plugins);
