/*
 * backtest.c -- the backtest driver, its world for the host API
 * (runtime.h: simulated clock and timers, one paper account, state in
 * memory, annotations kept with their bar's time) and the metrics.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backtest/backtest.h"
#include "market/candles.h"
#include "host/runtime.h"
#include "json/json.h"
#include "log/log.h"
#include "market/symbol.h"
#include "plugin/indicator.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "sandbox/sandbox.h"
#include "trade/paper.h"

#define MAX_SUBS 64
#define MAX_TIMERS 64

struct htf {
	qd_symbol sym;
	uint32_t tf;
	int active;
	struct qd_bar bar;
};

struct bt_timer {
	uint64_t id;
	int64_t due, every;
};

/* Per-symbol trade bookkeeping. */
struct open_trade {
	int active;
	struct bt_trade t;
	long double entry_value, exit_value;   /* sum of qty*price */
	int64_t entry_units, exit_units;
	long double cash;                      /* net cash flow incl. fees */
};

/* One backtest: the world its strategy instance lives in (runtime.h). */
struct bt {
	struct qd_ctx rt;            /* the instance's runtime context */
	struct paper *paper;
	int64_t now;
	uint32_t base_tf;
	struct htf subs[MAX_SUBS];
	size_t n_subs;
	struct bt_timer timers[MAX_TIMERS];
	size_t n_timers;
	uint64_t next_timer;
	void *saved;
	size_t saved_len;
	double *marks;
	size_t n_marks;
	struct open_trade *ot;
	struct bt_result *res;
	const struct qd_strategy_ops *ops;
	void *state;
	/* Sandboxed runs deliver bars in batches while no order is open. */
	int sandboxed, batching, stop_batch;
	size_t rejected;   /* orders beyond the account's buying power */
	/* The sandboxed strategy was stopped (why): the run is void. */
	int failed;
	char why[256];
	const struct qd_bar *batch_bars;
	qd_symbol batch_sym;
};

/* ---- the backtest's world (runtime.h) ------------------------------------- */

#define BT(w) ((struct bt *)(void *)(w))

/* Simulated time: the close of the bar being handled. */
static int64_t
bw_now(struct world *w)
{
	return BT(w)->now;
}

/* Timers in simulated time (fire_timers); arming one ends a bar batch. */
static int
bw_timer_arm(struct world *w, uint64_t id, int64_t after, int64_t every)
{
	struct bt *c = BT(w);

	if (c->n_timers == MAX_TIMERS)
		return QD_ERR_LIMIT;
	c->stop_batch = 1;
	c->timers[c->n_timers].id = id;
	c->timers[c->n_timers].due = c->now + after;
	c->timers[c->n_timers].every = every;
	c->n_timers++;
	return QD_OK;
}

static int
bw_timer_disarm(struct world *w, uint64_t id)
{
	struct bt *c = BT(w);
	size_t i;

	for (i = 0; i < c->n_timers; i++)
		if (c->timers[i].id == id) {
			c->timers[i] = c->timers[--c->n_timers];
			return QD_OK;
		}
	return QD_ERR_NOTFOUND;
}

/* State in memory for the run. */
static int
bw_state_save(struct world *w, const void *buf, size_t len)
{
	struct bt *c = BT(w);
	void *n = len ? malloc(len) : NULL;

	if (len && n == NULL)
		return QD_ERR_NOMEM;
	if (len)
		memcpy(n, buf, len);
	free(c->saved);
	c->saved = n;
	c->saved_len = len;
	return QD_OK;
}

static int
bw_state_load(struct world *w, void *buf, size_t cap, size_t *len)
{
	struct bt *c = BT(w);

	if (c->saved == NULL)
		return QD_ERR_NOTFOUND;
	memcpy(buf, c->saved, cap < c->saved_len ? cap : c->saved_len);
	if (len)
		*len = c->saved_len;
	return QD_OK;
}

/* Bars of a timeframe that is a multiple of the data's, built from it
 * (higher_timeframes); trades are not in the data. */
static int
bw_subscribe(struct world *w, qd_symbol sym, uint32_t tf)
{
	struct bt *c = BT(w);
	size_t i;

	if (tf == 0)
		return QD_ERR_UNSUPPORTED;
	if (tf % c->base_tf != 0)
		return QD_ERR_INVALID;
	for (i = 0; i < c->n_subs; i++)
		if (c->subs[i].sym == sym && c->subs[i].tf == tf)
			return QD_OK;
	if (c->n_subs == MAX_SUBS)
		return QD_ERR_LIMIT;
	c->stop_batch = 1;
	memset(&c->subs[c->n_subs], 0, sizeof(c->subs[0]));
	c->subs[c->n_subs].sym = sym;
	c->subs[c->n_subs].tf = tf;
	c->n_subs++;
	return QD_OK;
}

static size_t
bw_subscriptions(struct world *w)
{
	return BT(w)->n_subs;
}

static struct paper *
bw_account(struct world *w)
{
	return BT(w)->paper;
}

/* An order may fill on the next bar: end a batch after this one. */
static int64_t
bw_order_time(struct world *w)
{
	struct bt *c = BT(w);

	c->stop_batch = 1;
	return c->now;
}

static const double *
bw_marks(struct world *w, size_t *n)
{
	*n = BT(w)->n_marks;
	return BT(w)->marks;
}

/* Keep an annotation with its time (the JSON output lists them). */
static int
bw_annotation(struct world *w, const char *kind, const char *json)
{
	struct bt *c = BT(w);
	struct bt_result *r = c->res;
	char *norm, *k;

	if (r->n_ann >= 1000000)
		return QD_ERR_LIMIT;
	norm = strdup(json);
	k = strdup(kind);
	if (norm == NULL || k == NULL) {
		free(norm);
		free(k);
		return QD_ERR_NOMEM;
	}
	if (r->n_ann == r->cap_ann) {
		size_t cap = r->cap_ann ? r->cap_ann * 2 : 256;
		int64_t *t = realloc(r->ann_ts, cap * sizeof(*t));
		char **a, **b2;

		if (t != NULL)
			r->ann_ts = t;
		a = t ? realloc(r->ann_kind, cap * sizeof(*a)) : NULL;
		if (a != NULL)
			r->ann_kind = a;
		b2 = a ? realloc(r->ann_json, cap * sizeof(*b2)) : NULL;
		if (b2 == NULL) {
			free(norm);
			free(k);
			return QD_ERR_NOMEM;
		}
		r->ann_json = b2;
		r->cap_ann = cap;
	}
	r->ann_ts[r->n_ann] = c->now;
	r->ann_kind[r->n_ann] = k;
	r->ann_json[r->n_ann++] = norm;
	return QD_OK;
}

static const struct world_ops backtest_world = {
	.now = bw_now,
	.timer_arm = bw_timer_arm,
	.timer_disarm = bw_timer_disarm,
	.subscribe = bw_subscribe,
	.subscriptions = bw_subscriptions,
	.account = bw_account,
	.order_time = bw_order_time,
	.marks = bw_marks,
	.state_save = bw_state_save,
	.state_load = bw_state_load,
	.annotation = bw_annotation,
};

/* ---- trades --------------------------------------------------------------- */

static int push_equity(struct bt_result *r, int64_t ts, double eq);

static int
push_trade(struct bt_result *r, const struct bt_trade *t)
{
	if (r->n_trades == r->cap_trades) {
		size_t cap = r->cap_trades ? r->cap_trades * 2 : 64;
		struct bt_trade *n = realloc(r->trades, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		r->trades = n;
		r->cap_trades = cap;
	}
	r->trades[r->n_trades++] = *t;
	return 0;
}

/*
 * Book `units` of a fill (part of `f`, fee share `fee`) into the symbol's
 * trade: opening, adding to, or closing it.  `closing` says which.
 */
static void
book(struct bt *c, struct open_trade *o, const struct paper_fill *f,
	int64_t units, long double fee, int closing)
{
	long double value = (long double)units * f->price;
	long double flow = f->side == QD_SIDE_BUY ? -value : value;

	if (!o->active) {
		memset(o, 0, sizeof(*o));
		o->active = 1;
		o->t.symbol = f->symbol;
		o->t.side = f->side;
		o->t.entry_ts = f->ts;
		o->t.open = 1;
	}
	o->cash += flow - fee;
	o->t.fees += (double)(fee / PAPER_UNIT);
	if (!closing) {
		o->entry_value += value;
		o->entry_units += units;
		return;
	}
	o->exit_value += value;
	o->exit_units += units;
	if (o->exit_units >= o->entry_units) {
		o->t.qty = (double)o->entry_units / PAPER_UNIT;
		o->t.entry_price = (double)(o->entry_value / o->entry_units);
		o->t.exit_price = (double)(o->exit_value / o->exit_units);
		o->t.exit_ts = f->ts;
		o->t.pnl = (double)(o->cash / PAPER_UNIT);
		o->t.open = 0;
		push_trade(c->res, &o->t);
		o->active = 0;
	}
}

static void
on_fill(void *arg, const struct paper_fill *f)
{
	struct bt *c = arg;
	struct open_trade *o = &c->ot[f->symbol];
	int64_t left = f->qty;
	struct qd_order_update u;

	paper_fill_update(f, &u);
	if (f->expired && f->reject == NULL) {
		/* Its time in force ran out: nothing filled. */
		if (c->ops->on_order)
			c->ops->on_order(c->state, &u);
		return;
	}
	if (f->reject != NULL) {
		/* Beyond the account's buying power: rejected, no trade. */
		if (c->rejected++ == 0)
			log_warn(c->rt.tag, "order %llu rejected at %lld: %s "
				"(further rejections are counted)",
				(unsigned long long)f->order_id,
				(long long)(f->ts / 1000000), f->reject);
		if (c->ops->on_order)
			c->ops->on_order(c->state, &u);
		return;
	}

	/* Close the open trade first if the fill goes against it. */
	if (o->active && o->t.side != f->side) {
		int64_t held = o->entry_units - o->exit_units;
		int64_t part = left < held ? left : held;

		book(c, o, f, part, (long double)f->fee * part / f->qty, 1);
		left -= part;
	}
	if (left > 0)
		book(c, o, f, left, (long double)f->fee * left / f->qty, 0);
	if (c->ops->on_order)
		c->ops->on_order(c->state, &u);
}

/* ---- the run -------------------------------------------------------------- */

static int
push_equity(struct bt_result *r, int64_t ts, double eq)
{
	if (r->n_eq == r->cap_eq) {
		size_t cap = r->cap_eq ? r->cap_eq * 2 : 4096;
		int64_t *t = realloc(r->eq_ts, cap * sizeof(*t));
		double *e;

		if (t == NULL)
			return -1;
		r->eq_ts = t;
		if ((e = realloc(r->eq, cap * sizeof(*e))) == NULL)
			return -1;
		r->eq = e;
		r->cap_eq = cap;
	}
	r->eq_ts[r->n_eq] = ts;
	r->eq[r->n_eq++] = eq;
	return 0;
}

/* Feed one base bar into the higher-timeframe subscriptions. */
static void
higher_timeframes(struct bt *c, qd_symbol sym, const struct qd_bar *b)
{
	size_t i;

	for (i = 0; i < c->n_subs; i++) {
		struct htf *h = &c->subs[i];
		int64_t span = (int64_t)h->tf * 1000000000;
		struct qd_bar_event ev;

		if (h->sym != sym || h->tf == c->base_tf)
			continue;
		if (!h->active || b->ts - h->bar.ts >= span ||
		    b->ts < h->bar.ts) {
			h->active = 1;
			h->bar = *b;
			/* The live aggregator's boundaries (Monday weeks). */
			h->bar.ts = candle_open(b->ts, h->tf);
		} else {
			h->bar.high = b->high > h->bar.high ? b->high : h->bar.high;
			h->bar.low = b->low < h->bar.low ? b->low : h->bar.low;
			h->bar.close = b->close;
			h->bar.volume += b->volume;
		}
		if (b->ts + (int64_t)c->base_tf * 1000000000 !=
		    h->bar.ts + span)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.size = sizeof(ev);
		ev.symbol = sym;
		ev.timeframe_s = h->tf;
		ev.bar = h->bar;
		h->active = 0;
		if (c->ops->on_bar)
			c->ops->on_bar(c->state, &ev);
	}
}

static void
fire_timers(struct bt *c)
{
	size_t i;

	for (i = 0; i < c->n_timers;) {
		struct bt_timer t = c->timers[i];

		if (t.due > c->now) {
			i++;
			continue;
		}
		if (t.every > 0) {
			c->timers[i].due += t.every;
			i++;
		} else {
			c->timers[i] = c->timers[--c->n_timers];
		}
		runtime_timer_fired(&c->rt, t.every > 0);
		if (c->ops->on_timer)
			c->ops->on_timer(c->state, t.id);
	}
}

/* The child reached bar `idx` of the batch: its clock and marks. */
static void
bt_batch_at(void *arg, uint32_t idx)
{
	struct bt *c = arg;
	const struct qd_bar *b;

	if (!c->batching)
		return;   /* a one-bar call: the loop set the clock already */
	b = &c->batch_bars[idx];
	c->now = b->ts + (int64_t)c->base_tf * 1000000000;
	c->marks[c->batch_sym] = b->close;
}

static int
bt_batch_stop(void *arg)
{
	struct bt *c = arg;

	return c->batching && c->stop_batch;
}

/* The sandbox stopped the strategy: remember why; the run fails. */
static void
bt_failed(void *arg, const char *why)
{
	struct bt *c = arg;

	c->failed = 1;
	snprintf(c->why, sizeof(c->why), "%s", why ? why : "unknown reason");
}

/*
 * Create the strategy in a sandbox child instead: c->ops becomes the proxy
 * table (every callback one round trip; orders, positions and the clock
 * answered by this file's host API), indicators run in the child.
 */
static int
sandbox_strategy(const struct plugin_registry *reg, const struct plugin *p,
	const char *helper, const qd_params *params, struct bt *c,
	char *err, size_t errlen)
{
	const char *files[65];
	const struct qd_ops *ops;
	struct sandbox_spec spec;
	int rc;

	plugin_indicator_files(reg, files, QD_COUNTOF(files));
	memset(&spec, 0, sizeof(spec));
	spec.helper_path = helper;
	spec.plugin_file = plugin_file(p);
	spec.plugin_name = plugin_desc(p)->name;
	spec.kind = QD_KIND_STRATEGY;
	spec.instance = "backtest";
	spec.limits.memory_mib = 1024;
	spec.limits.cpu_ms_per_call = 10000;
	spec.limits.restarts = 0;
	/* Simulated time: wall-clock caps on orders, log lines and
	 * annotations mean nothing here (the backtester bounds what it
	 * keeps itself). */
	spec.limits.orders_per_sec = 1000000000;
	spec.limits.log_bytes_per_sec = 1u << 26;
	spec.indicator_files = files;
	spec.arg = c;
	spec.batch_at = bt_batch_at;
	spec.batch_stop = bt_batch_stop;
	spec.on_failed = bt_failed;
	rc = sandbox_create(&spec, &runtime_api, &c->rt, params, &ops,
		&c->state, err,
		errlen);
	if (rc == QD_OK) {
		c->ops = (const struct qd_strategy_ops *)(const void *)ops;
		c->sandboxed = 1;
	}
	return rc;
}

static void compute_metrics(struct bt_result *r, double initial,
	uint32_t tf, const struct bt *c, size_t exposed);

/*
 * A sandboxed strategy gets bars in batches (one round trip for thousands)
 * when nothing can happen between them: no open order, no timer, no higher
 * timeframe, no date filter.  The batch ends after the bar where the
 * strategy places an order, arms a timer or subscribes (bt_batch_stop), so
 * results are the same, bit for bit, as bar-by-bar.
 */
static int
batchable(const struct bt *c, const struct bt_config *cfg)
{
	size_t i;

	if (paper_open_orders(c->paper) != 0 || c->n_timers != 0 ||
	    cfg->from_ns != 0 || cfg->to_ns != 0)
		return 0;
	for (i = 0; i < c->n_subs; i++)
		if (c->subs[i].tf != c->base_tf)
			return 0;
	return 1;
}

/* Run one batch from *idx; returns the bars consumed (0: not possible). */
static size_t
run_batch(struct bt *c, const struct bt_series *s, size_t *idx,
	size_t *exposed)
{
	enum { BATCH = 4096 };
	static struct qd_bar_event evs[BATCH];
	size_t k = s->n - *idx, j, done = 0;

	if (k > BATCH)
		k = BATCH;
	for (j = 0; j < k; j++) {
		memset(&evs[j], 0, sizeof(evs[j]));
		evs[j].size = sizeof(evs[j]);
		evs[j].symbol = s->symbol;
		evs[j].timeframe_s = c->base_tf;
		evs[j].bar = s->bars[*idx + j];
	}
	c->batching = 1;
	c->stop_batch = 0;
	c->batch_bars = &s->bars[*idx];
	c->batch_sym = s->symbol;
	sandbox_on_bars(c->state, evs, k, &done);
	c->batching = 0;
	for (j = 0; j < done; j++) {
		const struct qd_bar *b = &s->bars[*idx + j];

		c->marks[s->symbol] = b->close;
		push_equity(c->res, b->ts, (double)paper_equity(c->paper,
			c->marks, c->n_marks) / PAPER_UNIT);
		if (paper_position(c->paper, s->symbol, NULL) != 0)
			(*exposed)++;
	}
	if (done > 0) {
		const struct qd_bar *last = &s->bars[*idx + done - 1];

		c->now = last->ts + (int64_t)c->base_tf * 1000000000;
	}
	*idx += done;
	return done;
}

void
backtest_compute_metrics(struct bt_result *r, double initial, uint32_t tf,
	size_t exposed_samples)
{
	double fees = r->m.fees;

	memset(&r->m, 0, sizeof(r->m));
	r->m.fees = fees;
	compute_metrics(r, initial, tf, NULL, exposed_samples);
}

int
backtest_append(struct bt_result *dst, const struct bt_result *src,
	double scale)
{
	size_t i;

	for (i = 0; i < src->n_eq; i++)
		if (push_equity(dst, src->eq_ts[i], src->eq[i] * scale) != 0)
			return -1;
	for (i = 0; i < src->n_trades; i++) {
		struct bt_trade t = src->trades[i];

		t.qty *= scale;
		t.fees *= scale;
		t.pnl *= scale;
		if (push_trade(dst, &t) != 0)
			return -1;
	}
	dst->m.fees += src->m.fees * scale;
	return 0;
}

int
backtest_run(const struct plugin_registry *reg, const struct plugin *strat,
	const qd_params *params, const struct bt_series *series,
	size_t n_series, const struct bt_config *cfg, struct bt_result *out,
	char *err, size_t errlen)
{
	struct bt c;
	struct paper_config pc;
	size_t *idx = NULL, i, exposed = 0;
	const struct qd_plugin *d = plugin_desc(strat);
	qd_symbol maxsym = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (d->kind != QD_KIND_STRATEGY || n_series == 0) {
		snprintf(err, errlen, "%s is not a strategy", d->name);
		return -1;
	}
	for (i = 0; i < n_series; i++) {
		if (series[i].timeframe_s != series[0].timeframe_s) {
			snprintf(err, errlen, "all data files must share one "
				"timeframe");
			return -1;
		}
		if (series[i].symbol > maxsym)
			maxsym = series[i].symbol;
	}
	memset(&pc, 0, sizeof(pc));
	pc.taker_fee = cfg->fee_rate;
	pc.maker_fee = cfg->maker_fee_rate;
	pc.slippage_bps = cfg->slippage_bps;
	pc.cash = paper_units(cfg->cash);
	{
		/* The run's own bounds, not a daemon's: timers and
		 * subscriptions by its tables, the rest unbounded. */
		struct sandbox_limits lim;

		config_limits_default(&lim);
		lim.timers = MAX_TIMERS;
		lim.subscriptions = MAX_SUBS;
		lim.symbols = lim.open_orders = UINT32_MAX;
		lim.annotation_bytes_per_sec = UINT32_MAX;
		runtime_init(&c.rt, &backtest_world, (struct world *)(void *)&c,
			d->name, QD_KIND_STRATEGY, reg, &lim);
	}
	c.base_tf = series[0].timeframe_s;
	c.res = out;
	c.ops = d->ops;
	c.n_marks = (size_t)maxsym + 1;
	if ((c.paper = paper_new(&pc)) == NULL ||
	    (c.marks = calloc(c.n_marks, sizeof(double))) == NULL ||
	    (c.ot = calloc(c.n_marks, sizeof(*c.ot))) == NULL ||
	    (idx = calloc(n_series, sizeof(*idx))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n_series; i++) {
		bw_subscribe((struct world *)(void *)&c, series[i].symbol,
			c.base_tf);
		/* Before the first bar the clock is the run's start. */
		if (series[i].n > 0 && (c.now == 0 ||
		    series[i].bars[0].ts < c.now))
			c.now = series[i].bars[0].ts;
	}
	if (cfg->sandbox_helper != NULL) {
		if (sandbox_strategy(reg, strat, cfg->sandbox_helper, params,
		    &c, err, errlen) != QD_OK)
			goto out;
	} else if (c.ops->base.create(&runtime_api, &c.rt, params,
	    &c.state) != QD_OK) {
		snprintf(err, errlen, "strategy %s: create failed", d->name);
		goto out;
	}
	c.rt.trading = 1;
	if (c.ops->base.start && c.ops->base.start(c.state) != QD_OK) {
		snprintf(err, errlen, "strategy %s: start failed", d->name);
		c.ops->base.destroy(c.state);
		goto out;
	}
	while (!c.failed) {
		size_t s = n_series, k;
		const struct qd_bar *b;
		struct qd_bar_event ev;

		if (c.sandboxed && n_series == 1 && idx[0] < series[0].n &&
		    batchable(&c, cfg) && run_batch(&c, &series[0], &idx[0],
		    &exposed) > 0)
			continue;

		for (k = 0; k < n_series; k++)
			if (idx[k] < series[k].n && (s == n_series ||
			    series[k].bars[idx[k]].ts <
			    series[s].bars[idx[s]].ts))
				s = k;
		if (s == n_series)
			break;
		b = &series[s].bars[idx[s]++];
		if ((cfg->from_ns && b->ts < cfg->from_ns) ||
		    (cfg->to_ns && b->ts > cfg->to_ns))
			continue;
		/* Fills are reported at the bar's close: an order placed in
		 * on_order waits for the next bar. */
		c.now = b->ts + (int64_t)c.base_tf * 1000000000;
		paper_on_bar(c.paper, series[s].symbol, b, on_fill, &c);
		c.marks[series[s].symbol] = b->close;
		memset(&ev, 0, sizeof(ev));
		ev.size = sizeof(ev);
		ev.symbol = series[s].symbol;
		ev.timeframe_s = c.base_tf;
		ev.bar = *b;
		if (c.ops->on_bar)
			c.ops->on_bar(c.state, &ev);
		higher_timeframes(&c, series[s].symbol, b);
		if (c.n_timers)
			fire_timers(&c);
		/* One equity sample per timestamp, after all its bars. */
		for (k = 0; k < n_series; k++)
			if (idx[k] < series[k].n &&
			    series[k].bars[idx[k]].ts == b->ts)
				break;
		if (k == n_series) {
			int64_t eq = paper_equity(c.paper, c.marks, c.n_marks);
			qd_symbol y;

			push_equity(out, b->ts, (double)eq / PAPER_UNIT);
			for (y = 0; y < c.n_marks; y++)
				if (paper_position(c.paper, y, NULL) != 0) {
					exposed++;
					break;
				}
		}
	}
	if (c.ops->base.stop)
		c.ops->base.stop(c.state);
	c.ops->base.destroy(c.state);
	if (c.failed) {
		snprintf(err, errlen, "strategy %s was stopped in the sandbox: "
			"%s", d->name, c.why);
		backtest_result_free(out);
		goto out;
	}
	/* Open trades, marked to the last close. */
	for (i = 0; i < c.n_marks; i++) {
		struct open_trade *o = &c.ot[i];
		int64_t held;

		if (!o->active)
			continue;
		held = o->entry_units - o->exit_units;
		o->t.qty = (double)o->entry_units / PAPER_UNIT;
		o->t.entry_price = (double)(o->entry_value / o->entry_units);
		o->t.pnl = (double)((o->cash + (long double)held *
			c.marks[i] * (o->t.side == QD_SIDE_BUY ? 1 : -1)) /
			PAPER_UNIT);
		push_trade(out, &o->t);
	}
	if (c.rejected > 0)
		log_warn(d->name, "%zu order(s) rejected: beyond the account's "
			"buying power", c.rejected);
	out->m.fees = (double)paper_fees(c.paper) / PAPER_UNIT;
	compute_metrics(out, cfg->cash, c.base_tf, &c, exposed);
	rc = 0;
out:
	runtime_release(&c.rt);
	free(c.saved);
	free(idx);
	free(c.ot);
	free(c.marks);
	paper_free(c.paper);
	return rc;
}

static void
compute_metrics(struct bt_result *r, double initial, uint32_t tf,
	const struct bt *c, size_t exposed)
{
	struct bt_metrics *m = &r->m;
	double per_year = 365.25 * 86400.0 / tf, sum = 0, sq = 0, down = 0;
	double peak, gw = 0, gl = 0, years;
	int64_t peak_ts, longest = 0;
	size_t i, n = 0, wins = 0, closed = 0;

	(void)c;
	m->trades = r->n_trades;
	m->final_equity = r->n_eq ? r->eq[r->n_eq - 1] : initial;
	m->total_return = m->final_equity / initial - 1.0;
	years = r->n_eq ? (double)(r->eq_ts[r->n_eq - 1] - r->eq_ts[0] +
		(int64_t)tf * 1000000000) / (365.25 * 86400e9) : 0;
	m->cagr = years > 0 && m->final_equity > 0 ?
		pow(m->final_equity / initial, 1.0 / years) - 1.0 : 0;
	for (i = 1; i < r->n_eq; i++) {
		double ret = r->eq[i - 1] != 0 ? r->eq[i] / r->eq[i - 1] - 1 : 0;

		sum += ret;
		sq += ret * ret;
		down += ret < 0 ? ret * ret : 0;
		n++;
	}
	if (n > 1) {
		double mean = sum / n;
		double var = (sq - n * mean * mean) / (double)(n - 1);
		double sd = var > 0 ? sqrt(var) : 0;
		double dd = sqrt(down / n);

		m->volatility = sd * sqrt(per_year);
		m->sharpe = sd > 0 ? mean / sd * sqrt(per_year) : 0;
		m->sortino = dd > 0 ? mean / dd * sqrt(per_year) : 0;
	}
	peak = initial;
	peak_ts = r->n_eq ? r->eq_ts[0] : 0;
	for (i = 0; i < r->n_eq; i++) {
		if (r->eq[i] >= peak) {
			peak = r->eq[i];
			peak_ts = r->eq_ts[i];
		} else {
			double dd = 1.0 - r->eq[i] / peak;

			if (dd > m->max_drawdown)
				m->max_drawdown = dd;
			if (r->eq_ts[i] - peak_ts > longest)
				longest = r->eq_ts[i] - peak_ts;
		}
	}
	m->max_drawdown_duration_ms = longest / 1000000;
	m->calmar = m->max_drawdown > 0 ? m->cagr / m->max_drawdown : 0;
	for (i = 0; i < r->n_trades; i++) {
		if (r->trades[i].open)
			continue;
		closed++;
		if (r->trades[i].pnl > 0) {
			wins++;
			gw += r->trades[i].pnl;
		} else {
			gl -= r->trades[i].pnl;
		}
	}
	m->win_rate = closed ? (double)wins / closed : 0;
	m->profit_factor = gl > 0 ? gw / gl : 0;
	m->expectancy = closed ? (gw - gl) / closed : 0;
	m->exposure = r->n_eq ? (double)exposed / r->n_eq : 0;
}

void
backtest_result_free(struct bt_result *r)
{
	size_t i;

	for (i = 0; i < r->n_ann; i++) {
		free(r->ann_kind[i]);
		free(r->ann_json[i]);
	}
	free(r->ann_ts);
	free(r->ann_kind);
	free(r->ann_json);
	free(r->trades);
	free(r->eq_ts);
	free(r->eq);
	memset(r, 0, sizeof(*r));
}

/* Numbers in their shortest form that round-trips; non-finite as null. */
static void
num(FILE *f, double v)
{
	char b[JSON_DOUBLE_MAX];

	if (isfinite(v))
		fputs(json_fmt_double(b, sizeof(b), v), f);
	else
		fputs("null", f);
}

void
backtest_write_json(FILE *f, const struct bt_result *r)
{
	const struct bt_metrics *m = &r->m;
	size_t i;

	fputs("{\"metrics\":{\"total_return\":", f);
	num(f, m->total_return);
	fputs(",\"cagr\":", f);
	num(f, m->cagr);
	fputs(",\"volatility\":", f);
	num(f, m->volatility);
	fputs(",\"sharpe\":", f);
	num(f, m->sharpe);
	fputs(",\"sortino\":", f);
	num(f, m->sortino);
	fputs(",\"max_drawdown\":", f);
	num(f, m->max_drawdown);
	fprintf(f, ",\"max_drawdown_duration\":%lld,\"calmar\":",
		(long long)m->max_drawdown_duration_ms);
	num(f, m->calmar);
	fputs(",\"win_rate\":", f);
	num(f, m->win_rate);
	fputs(",\"profit_factor\":", f);
	num(f, m->profit_factor);
	fputs(",\"expectancy\":", f);
	num(f, m->expectancy);
	fputs(",\"exposure\":", f);
	num(f, m->exposure);
	fprintf(f, ",\"trades\":%zu,\"fees\":", m->trades);
	num(f, m->fees);
	fputs(",\"final_equity\":", f);
	num(f, m->final_equity);
	fputs("},\"trades\":[", f);
	for (i = 0; i < r->n_trades; i++) {
		const struct bt_trade *t = &r->trades[i];

		fprintf(f, "%s{\"symbol\":\"%s\",\"side\":\"%s\",\"qty\":",
			i ? "," : "", symbol_name(t->symbol) ?
			symbol_name(t->symbol) : "?",
			t->side == QD_SIDE_BUY ? "long" : "short");
		num(f, t->qty);
		fprintf(f, ",\"entry_ts\":%lld,\"entry_price\":",
			(long long)(t->entry_ts / 1000000));
		num(f, t->entry_price);
		if (t->open) {
			fputs(",\"exit_ts\":null,\"exit_price\":null", f);
		} else {
			fprintf(f, ",\"exit_ts\":%lld,\"exit_price\":",
				(long long)(t->exit_ts / 1000000));
			num(f, t->exit_price);
		}
		fputs(",\"fees\":", f);
		num(f, t->fees);
		fputs(",\"pnl\":", f);
		num(f, t->pnl);
		fputc('}', f);
	}
	fputs("],\"equity\":[", f);
	for (i = 0; i < r->n_eq; i++) {
		fprintf(f, "%s[%lld,", i ? "," : "",
			(long long)(r->eq_ts[i] / 1000000));
		num(f, r->eq[i]);
		fputc(']', f);
	}
	fputc(']', f);
	if (r->n_ann > 0) {
		fputs(",\"annotations\":[", f);
		for (i = 0; i < r->n_ann; i++) {
			cJSON *k = cJSON_CreateString(r->ann_kind[i]);
			char *ks = k ? cJSON_PrintUnformatted(k) : NULL;

			fprintf(f, "%s{\"ts\":%lld,\"kind\":%s,\"data\":%s}",
				i ? "," : "", (long long)(r->ann_ts[i] / 1000000),
				ks ? ks : "\"?\"", r->ann_json[i]);
			free(ks);
			cJSON_Delete(k);
		}
		fputc(']', f);
	}
	fputs("}\n", f);
}

void
backtest_write_trades(FILE *f, const struct bt_result *r)
{
	size_t i;

	fputs("symbol,side,qty,entry_ts,entry_price,exit_ts,exit_price,fees,"
		"pnl\n", f);
	for (i = 0; i < r->n_trades; i++) {
		const struct bt_trade *t = &r->trades[i];

		fprintf(f, "%s,%s,", symbol_name(t->symbol) ?
			symbol_name(t->symbol) : "?",
			t->side == QD_SIDE_BUY ? "long" : "short");
		num(f, t->qty);
		fprintf(f, ",%lld,", (long long)(t->entry_ts / 1000000));
		num(f, t->entry_price);
		fputc(',', f);
		if (t->open) {
			fputs(",,", f);
		} else {
			fprintf(f, "%lld,", (long long)(t->exit_ts / 1000000));
			num(f, t->exit_price);
			fputc(',', f);
		}
		num(f, t->fees);
		fputc(',', f);
		num(f, t->pnl);
		fputc('\n', f);
	}
}
