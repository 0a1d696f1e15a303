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
#include "trade/fixed.h"
#include "trade/paper.h"

#define MAX_SUBS 64
#define MAX_TIMERS 64
/* The equity file (bt_config.equity_out): lines are formatted into a
 * buffer of EQ_BUF bytes that leaves in one write, not a stdio call a
 * bar; a line is at most EQ_LINE ("ts_ms,equity\n"). */
#define EQ_BUF (1 << 20)
#define EQ_LINE (2 * FIXED_SHORT_MAX + 2)
#define EQ_DECIMALS 8
_Static_assert(PAPER_UNIT == 100000000LL, "EQ_DECIMALS is PAPER_UNIT's");

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

/* An order update kept for the next batch (its strings copied). */
struct held_update {
	struct qd_order_update u;
	char reason[257], trade_id[97], client_id[41];
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
	/* What the run keeps of the equity curve (bt_config). */
	const struct bt_config *cfg;
	int64_t pend_ts;             /* equity_every_ns: the period's last */
	double pend_eq;
	int pending;
	int64_t pend_end;            /* ... where its period ends */
	qd_symbol report_sym;        /* the first series': the report's */
	char *eq_buf;                /* equity_out's lines not yet written */
	size_t eq_len;
	/* Sandboxed: the fills of a bar matched ahead of a batch, handed to
	 * on_order at the start of that batch instead of a call each. */
	int hold_fills;
	struct held_update held[1];
	size_t n_held;
};

/* One series being read (bt_source): its current chunk. */
struct feed {
	const struct bt_source *src;
	const struct qd_bar *bars;
	size_t n, i;
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

/* Give the strategy an order update now, or keep it for the batch that
 * follows (hold_fills; one at most: a second is given at once). */
static void
order_update(struct bt *c, const struct qd_order_update *u)
{
	struct held_update *h = &c->held[0];

	if (c->ops->on_order == NULL)
		return;
	if (!c->hold_fills || c->n_held == QD_COUNTOF(c->held)) {
		c->ops->on_order(c->state, u);
		return;
	}
	h->u = *u;
	h->u.reason = h->u.trade_id = h->u.client_id = NULL;
	if (u->reason != NULL) {
		snprintf(h->reason, sizeof(h->reason), "%s", u->reason);
		h->u.reason = h->reason;
	}
	if (u->size >= sizeof(*u) && u->trade_id != NULL) {
		snprintf(h->trade_id, sizeof(h->trade_id), "%s", u->trade_id);
		h->u.trade_id = h->trade_id;
	}
	if (u->size >= sizeof(*u) && u->client_id != NULL) {
		snprintf(h->client_id, sizeof(h->client_id), "%s",
			u->client_id);
		h->u.client_id = h->client_id;
	}
	c->n_held++;
}

/* Hand the kept updates over one by one (no batch follows after all). */
static void
release_updates(struct bt *c)
{
	size_t i;

	for (i = 0; i < c->n_held; i++)
		c->ops->on_order(c->state, &c->held[i].u);
	c->n_held = 0;
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
		order_update(c, &u);
		return;
	}
	if (f->reject != NULL) {
		/* Beyond the account's buying power: rejected, no trade. */
		if (c->rejected++ == 0)
			log_warn(c->rt.tag, "order %llu rejected at %lld: %s "
				"(further rejections are counted)",
				(unsigned long long)f->order_id,
				(long long)(f->ts / 1000000), f->reject);
		order_update(c, &u);
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
	order_update(c, &u);
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
	/* The account's last price, as bar by bar (no order is open before
	 * the child's requests of this bar: nothing fills). */
	paper_on_bar(c->paper, c->batch_sym, b, on_fill, c);
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
	uint32_t tf);

/*
 * A sandboxed strategy gets bars in batches (one round trip for thousands)
 * when nothing can happen between them: no open order, no timer, no higher
 * timeframe, no date filter.  The batch ends after the bar where the
 * strategy places an order, arms a timer or subscribes (bt_batch_stop), so
 * results are the same, bit for bit, as bar-by-bar.
 */
static int
batchable_but_orders(const struct bt *c, const struct bt_config *cfg)
{
	size_t i;

	if (!c->sandboxed || c->n_timers != 0 || cfg->from_ns != 0 ||
	    cfg->to_ns != 0)
		return 0;
	for (i = 0; i < c->n_subs; i++)
		if (c->subs[i].tf != c->base_tf)
			return 0;
	return 1;
}

static int
batchable(const struct bt *c, const struct bt_config *cfg)
{
	return c->sandboxed && paper_open_orders(c->paper) == 0 &&
		batchable_but_orders(c, cfg);
}

/* ---- equity samples ------------------------------------------------------- */

/* Start the running sums of a curve that begins at `initial`. */
static void
acc_reset(struct bt_acc *a, double initial)
{
	memset(a, 0, sizeof(*a));
	a->peak = initial;
}

/*
 * Add a sample: the per-sample returns (their sum, squares and downside)
 * and the drawdown from the running peak, in the order the samples come,
 * so the figures are the same bits as over a stored curve.
 */
static void
acc_add(struct bt_acc *a, int64_t ts, double eq)
{
	if (a->n == 0) {
		a->first_ts = ts;
		a->peak_ts = ts;
	} else {
		double ret = a->last != 0 ? eq / a->last - 1 : 0;

		a->sum += ret;
		a->sq += ret * ret;
		a->down += ret < 0 ? ret * ret : 0;
		a->n_ret++;
	}
	if (eq >= a->peak) {
		a->peak = eq;
		a->peak_ts = ts;
	} else {
		double dd = 1.0 - eq / a->peak;

		if (dd > a->mdd)
			a->mdd = dd;
		if (ts - a->peak_ts > a->longest)
			a->longest = ts - a->peak_ts;
	}
	a->last = eq;
	a->last_ts = ts;
	a->n++;
}

/* The bucket of time `ts`, halving the buckets until it fits. */
static struct bt_bucket *
ds_bucket(struct bt_downsample *d, int64_t ts)
{
	size_t k, j;

	if (d->n == 0 && d->t0 == 0)
		d->t0 = ts;
	k = ts <= d->t0 ? 0 : (size_t)((ts - d->t0) / d->width);
	while (k >= d->cap) {
		/* Merge pairs: twice as wide, half as many. */
		for (j = 0; j < d->n; j += 2) {
			struct bt_bucket m = d->b[j];

			if (j + 1 < d->n) {
				const struct bt_bucket *o = &d->b[j + 1];

				if (o->has_eq && (!m.has_eq || o->lo < m.lo)) {
					m.lo = o->lo;
					m.t_lo = o->t_lo;
				}
				if (o->has_eq && (!m.has_eq || o->hi > m.hi)) {
					m.hi = o->hi;
					m.t_hi = o->t_hi;
				}
				if (o->has_eq && (!m.has_eq || o->dd > m.dd)) {
					m.dd = o->dd;
					m.t_dd = o->t_dd;
				}
				m.has_eq |= o->has_eq;
				if (o->has_bar && !m.has_bar) {
					m.bar = o->bar;
				} else if (o->has_bar) {
					m.bar.high = o->bar.high > m.bar.high ?
						o->bar.high : m.bar.high;
					m.bar.low = o->bar.low < m.bar.low ?
						o->bar.low : m.bar.low;
					m.bar.close = o->bar.close;
					m.bar.volume += o->bar.volume;
				}
				m.has_bar |= o->has_bar;
			}
			d->b[j / 2] = m;
		}
		d->n = (d->n + 1) / 2;
		d->width *= 2;
		k = ts <= d->t0 ? 0 : (size_t)((ts - d->t0) / d->width);
	}
	while (d->n <= k)
		memset(&d->b[d->n++], 0, sizeof(d->b[0]));
	return &d->b[k];
}

/* A bar of the report's series into its bucket. */
static void
ds_add_bar(struct bt_downsample *d, const struct qd_bar *b)
{
	struct bt_bucket *k = ds_bucket(d, b->ts);

	if (!k->has_bar) {
		k->bar = *b;
		k->has_bar = 1;
	} else {
		k->bar.high = b->high > k->bar.high ? b->high : k->bar.high;
		k->bar.low = b->low < k->bar.low ? b->low : k->bar.low;
		k->bar.close = b->close;
		k->bar.volume += b->volume;
	}
	d->bars++;
}

/* An equity sample into its bucket: extremes and the deepest drawdown. */
static void
ds_add_eq(struct bt_downsample *d, int64_t ts, double eq)
{
	struct bt_bucket *k = ds_bucket(d, ts);
	double dd;

	d->peak = eq > d->peak ? eq : d->peak;
	dd = d->peak > 0 ? 1 - eq / d->peak : 0;
	if (!k->has_eq || eq < k->lo) {
		k->lo = eq;
		k->t_lo = ts;
	}
	if (!k->has_eq || eq > k->hi) {
		k->hi = eq;
		k->t_hi = ts;
	}
	if (!k->has_eq || dd > k->dd) {
		k->dd = dd;
		k->t_dd = ts;
	}
	k->has_eq = 1;
}

/* The period of `ts` for equity_every_ns (UTC aligned). */
static int64_t
period_of(int64_t ts, int64_t every)
{
	return ts / every - (ts % every < 0);
}

/* The equity file's buffered lines to the file (a write error stays in
 * the stream, for its owner to find with ferror()). */
static void
eq_flush(struct bt *c)
{
	FILE *f = c->cfg->equity_out;

	if (c->eq_len > 0 && !ferror(f))
		fwrite(c->eq_buf, 1, c->eq_len, f);
	c->eq_len = 0;
}

/*
 * "ts_ms,equity" to the equity file: the account's exact fixed-point
 * amount (trailing zeros dropped), which reads back as the double the JSON
 * shows.
 */
static void
write_sample(struct bt *c, int64_t ts, int64_t units)
{
	char line[EQ_LINE], *p;
	size_t n;

	if (EQ_BUF - c->eq_len < sizeof(line))
		eq_flush(c);
	line[sizeof(line) - 1] = '\n';
	p = fixed_format_short(units, EQ_DECIMALS, line + sizeof(line) - 1);
	*--p = ',';
	p = fixed_format_short(ts / 1000000, 0, p);
	n = (size_t)(line + sizeof(line) - p);
	memcpy(c->eq_buf + c->eq_len, p, n);
	c->eq_len += n;
}

/*
 * One equity sample, after all the bars of its time: into the metrics'
 * sums, then to the outputs asked for (bt_config).  `exposed`: a position
 * is open.
 */
static void
sample(struct bt *c, int64_t ts, int exposed)
{
	const struct bt_config *cfg = c->cfg;
	struct bt_result *r = c->res;
	int64_t units = paper_equity(c->paper, c->marks, c->n_marks);
	double eq = (double)units / PAPER_UNIT;

	acc_add(&r->acc, ts, eq);
	r->acc.exposed += exposed != 0;
	if (c->eq_buf != NULL)
		write_sample(c, ts, units);
	if (r->ds.cap > 0)
		ds_add_eq(&r->ds, ts, eq);
	if (cfg->equity_every_ns == 0) {
		push_equity(r, ts, eq);
	} else if (cfg->equity_every_ns > 0) {
		/* Samples come in time order: a sample at or past the end of
		 * the pending one's period starts the next. */
		if (!c->pending || ts >= c->pend_end) {
			int64_t per = period_of(ts, cfg->equity_every_ns);

			if (c->pending)
				push_equity(r, c->pend_ts, c->pend_eq);
			c->pend_end = per < INT64_MAX / cfg->equity_every_ns ?
				(per + 1) * cfg->equity_every_ns : INT64_MAX;
		}
		c->pending = 1;
		c->pend_ts = ts;
		c->pend_eq = eq;
	}
}

/* Is any position open? */
static int
exposed_now(const struct bt *c)
{
	qd_symbol y;

	for (y = 0; y < c->n_marks; y++)
		if (paper_position(c->paper, y, NULL) != 0)
			return 1;
	return 0;
}

/* ---- the run -------------------------------------------------------------- */

/* Run one batch from the feed's chunk; returns the bars consumed (0: not
 * possible). */
static size_t
run_batch(struct bt *c, struct feed *fd)
{
	enum { BATCH = 4096 };
	qd_symbol sym = fd->src->symbol;
	const struct qd_bar *bars = fd->bars + fd->i;
	size_t k = fd->n - fd->i, j, done = 0;
	struct sandbox_batch sb;

	/* The child keeps what a batch leaves (sandbox_on_batch): each bar
	 * is sent once however early the strategy's next order ends it. */
	if (k > BATCH)
		k = BATCH;
	c->batching = 1;
	c->stop_batch = 0;
	c->batch_bars = bars;
	c->batch_sym = sym;
	memset(&sb, 0, sizeof(sb));
	sb.updates = &c->held[0].u;   /* QD_COUNTOF(c->held) == 1 */
	sb.n_updates = c->n_held;
	sb.symbol = sym;
	sb.timeframe_s = c->base_tf;
	sb.defer_orders = 1;
	if (sandbox_on_batch(c->state, &sb, bars, k, &done) == QD_OK)
		c->n_held = 0;   /* handed over */
	c->batching = 0;
	for (j = 0; j < done; j++) {
		c->marks[sym] = bars[j].close;
		if (c->report_sym == sym && c->res->ds.cap > 0)
			ds_add_bar(&c->res->ds, &bars[j]);
		sample(c, bars[j].ts, paper_position(c->paper, sym, NULL) != 0);
	}
	if (done > 0)
		c->now = bars[done - 1].ts + (int64_t)c->base_tf * 1000000000;
	fd->i += done;
	return done;
}

/* The next chunk of a feed whose chunk is used up: 1 when it has bars, 0
 * at its end, -1 when its source failed (err). */
static int
feed_fill(struct feed *fd, char *err, size_t errlen)
{
	long n;

	while (fd->i == fd->n) {
		n = fd->src->next(fd->src->arg, &fd->bars, err, errlen);
		if (n <= 0)
			return n < 0 ? -1 : 0;
		fd->n = (size_t)n;
		fd->i = 0;
	}
	return 1;
}

/* Does feed a come before feed b: earlier bar, then the series order. */
static int
feed_before(const struct feed *f, size_t a, size_t b)
{
	int64_t ta = f[a].bars[f[a].i].ts, tb = f[b].bars[f[b].i].ts;

	return ta < tb || (ta == tb && a < b);
}

/* Restore the heap of feeds (earliest next bar on top) from slot `k`
 * down. */
static void
heap_down(size_t *h, size_t n, const struct feed *f, size_t k)
{
	for (;;) {
		size_t l = 2 * k + 1, m = k, t;

		if (l < n && feed_before(f, h[l], h[m]))
			m = l;
		if (l + 1 < n && feed_before(f, h[l + 1], h[m]))
			m = l + 1;
		if (m == k)
			return;
		t = h[k];
		h[k] = h[m];
		h[m] = t;
		k = m;
	}
}

void
backtest_compute_metrics(struct bt_result *r, double initial, uint32_t tf,
	size_t exposed_samples)
{
	double fees = r->m.fees;
	size_t i;

	memset(&r->m, 0, sizeof(r->m));
	r->m.fees = fees;
	acc_reset(&r->acc, initial);
	for (i = 0; i < r->n_eq; i++)
		acc_add(&r->acc, r->eq_ts[i], r->eq[i]);
	r->acc.exposed = exposed_samples;
	compute_metrics(r, initial, tf);
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

/* A series in memory as a source: all of it in one chunk. */
struct array_src {
	const struct qd_bar *bars;
	size_t n;
	int given;
};

static long
array_next(void *arg, const struct qd_bar **bars, char *err, size_t errlen)
{
	struct array_src *a = arg;

	(void)err;
	(void)errlen;
	if (a->given || a->n == 0)
		return 0;
	a->given = 1;
	*bars = a->bars;
	return (long)a->n;
}

int
backtest_run(const struct plugin_registry *reg, const struct plugin *strat,
	const qd_params *params, const struct bt_series *series,
	size_t n_series, const struct bt_config *cfg, struct bt_result *out,
	char *err, size_t errlen)
{
	struct bt_source *src = calloc(n_series ? n_series : 1, sizeof(*src));
	struct array_src *as = calloc(n_series ? n_series : 1, sizeof(*as));
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (src == NULL || as == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n_series; i++) {
		as[i].bars = series[i].bars;
		as[i].n = series[i].n;
		src[i].symbol = series[i].symbol;
		src[i].timeframe_s = series[i].timeframe_s;
		src[i].next = array_next;
		src[i].arg = &as[i];
	}
	rc = backtest_stream(reg, strat, params, src, n_series, cfg, out, err,
		errlen) == 0 ? 0 : -1;
out:
	free(src);
	free(as);
	return rc;
}

int
backtest_stream(const struct plugin_registry *reg, const struct plugin *strat,
	const qd_params *params, const struct bt_source *src, size_t n_src,
	const struct bt_config *cfg, struct bt_result *out, char *err,
	size_t errlen)
{
	struct bt c;
	struct paper_config pc;
	struct feed *feeds = NULL;
	size_t *heap = NULL, n_heap = 0, i;
	const struct qd_plugin *d = plugin_desc(strat);
	qd_symbol maxsym = 0;
	int rc = -1, src_failed = 0;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (d->kind != QD_KIND_STRATEGY || n_src == 0) {
		snprintf(err, errlen, "%s is not a strategy", d->name);
		return -1;
	}
	for (i = 0; i < n_src; i++) {
		if (src[i].timeframe_s != src[0].timeframe_s) {
			snprintf(err, errlen, "all data files must share one "
				"timeframe");
			return -1;
		}
		if (src[i].symbol > maxsym)
			maxsym = src[i].symbol;
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
	c.base_tf = src[0].timeframe_s;
	c.res = out;
	c.cfg = cfg;
	c.ops = d->ops;
	c.n_marks = (size_t)maxsym + 1;
	c.report_sym = src[0].symbol;
	acc_reset(&out->acc, cfg->cash);
	if (cfg->report_points > 0) {
		out->ds.cap = cfg->report_points < 2 ? 2 : cfg->report_points;
		out->ds.width = (int64_t)c.base_tf * 1000000000;
		out->ds.symbol = src[0].symbol;
		out->ds.peak = -INFINITY;
		if ((out->ds.b = calloc(out->ds.cap, sizeof(*out->ds.b))) ==
		    NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	if ((c.paper = paper_new(&pc)) == NULL ||
	    (c.marks = calloc(c.n_marks, sizeof(double))) == NULL ||
	    (c.ot = calloc(c.n_marks, sizeof(*c.ot))) == NULL ||
	    (feeds = calloc(n_src, sizeof(*feeds))) == NULL ||
	    (heap = calloc(n_src, sizeof(*heap))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (cfg->equity_out != NULL) {
		if ((c.eq_buf = malloc(EQ_BUF)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		memcpy(c.eq_buf, "ts,equity\n", 10);
		c.eq_len = 10;
	}
	for (i = 0; i < n_src; i++) {
		int got;

		feeds[i].src = &src[i];
		bw_subscribe((struct world *)(void *)&c, src[i].symbol,
			c.base_tf);
		if ((got = feed_fill(&feeds[i], err, errlen)) < 0) {
			rc = -2;
			goto out;
		}
		if (got == 0)
			continue;
		/* Before the first bar the clock is the run's start. */
		if (c.now == 0 || feeds[i].bars[0].ts < c.now)
			c.now = feeds[i].bars[0].ts;
		heap[n_heap++] = i;
	}
	for (i = n_heap / 2; i-- > 0;)
		heap_down(heap, n_heap, feeds, i);
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
	while (!c.failed && n_heap > 0) {
		struct feed *fd = &feeds[heap[0]];
		qd_symbol sym = fd->src->symbol;
		struct qd_bar b;
		struct qd_bar_event ev;
		int got;

		int matched = 0;

		if (c.sandboxed && n_src == 1 && !batchable(&c, cfg) &&
		    batchable_but_orders(&c, cfg)) {
			/* Only orders hold the batch back: match them against
			 * the next bar here, then hand that bar over as the
			 * first of a batch if they are done (market orders
			 * are). */
			b = fd->bars[fd->i];
			c.now = b.ts + (int64_t)c.base_tf * 1000000000;
			/* One order: its update goes with the batch that
			 * follows, ahead of the bar (as on_order comes before
			 * on_bar).  With more, each is given as it fills,
			 * between the others' matching. */
			c.hold_fills = paper_open_orders(c.paper) == 1;
			paper_on_bar(c.paper, sym, &b, on_fill, &c);
			c.hold_fills = 0;
			matched = 1;
		}
		if (n_src == 1 && batchable(&c, cfg) && run_batch(&c, fd) > 0) {
			if ((got = feed_fill(fd, err, errlen)) <= 0) {
				src_failed = got < 0;
				n_heap = 0;
			}
			continue;
		}
		/* No batch took them: the updates go now, before the bar. */
		if (c.n_held > 0)
			release_updates(&c);
		b = fd->bars[fd->i++];
		/* The feed's next bar (its chunk may be replaced). */
		if ((got = feed_fill(fd, err, errlen)) < 0) {
			src_failed = 1;
			break;
		}
		if (got == 0)
			heap[0] = heap[--n_heap];
		heap_down(heap, n_heap, feeds, 0);
		if ((cfg->from_ns && b.ts < cfg->from_ns) ||
		    (cfg->to_ns && b.ts > cfg->to_ns))
			continue;
		/* Fills are reported at the bar's close: an order placed in
		 * on_order waits for the next bar. */
		c.now = b.ts + (int64_t)c.base_tf * 1000000000;
		if (!matched)
			paper_on_bar(c.paper, sym, &b, on_fill, &c);
		c.marks[sym] = b.close;
		if (sym == c.report_sym && out->ds.cap > 0)
			ds_add_bar(&out->ds, &b);
		memset(&ev, 0, sizeof(ev));
		ev.size = sizeof(ev);
		ev.symbol = sym;
		ev.timeframe_s = c.base_tf;
		ev.bar = b;
		if (c.ops->on_bar)
			c.ops->on_bar(c.state, &ev);
		higher_timeframes(&c, sym, &b);
		if (c.n_timers)
			fire_timers(&c);
		/* One equity sample per timestamp, after all its bars. */
		if (n_heap == 0 || feeds[heap[0]].bars[feeds[heap[0]].i].ts !=
		    b.ts)
			sample(&c, b.ts, exposed_now(&c));
	}
	if (c.ops->base.stop)
		c.ops->base.stop(c.state);
	c.ops->base.destroy(c.state);
	if (c.failed || src_failed) {
		if (c.failed)
			snprintf(err, errlen, "strategy %s was stopped in the "
				"sandbox: %s", d->name, c.why);
		rc = src_failed && !c.failed ? -2 : -1;
		goto out;
	}
	if (c.pending)
		push_equity(out, c.pend_ts, c.pend_eq);
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
	compute_metrics(out, cfg->cash, c.base_tf);
	rc = 0;
out:
	if (rc != 0)
		backtest_result_free(out);
	if (c.eq_buf != NULL)
		eq_flush(&c);
	free(c.eq_buf);
	runtime_release(&c.rt);
	free(c.saved);
	free(heap);
	free(feeds);
	free(c.ot);
	free(c.marks);
	paper_free(c.paper);
	return rc;
}

/* The metrics from the run's sums (r->acc) and its trades. */
static void
compute_metrics(struct bt_result *r, double initial, uint32_t tf)
{
	struct bt_metrics *m = &r->m;
	const struct bt_acc *a = &r->acc;
	double per_year = 365.25 * 86400.0 / tf, gw = 0, gl = 0, years;
	size_t i, n = a->n_ret, wins = 0, closed = 0;

	m->trades = r->n_trades;
	m->final_equity = a->n ? a->last : initial;
	m->total_return = m->final_equity / initial - 1.0;
	years = a->n ? (double)(a->last_ts - a->first_ts +
		(int64_t)tf * 1000000000) / (365.25 * 86400e9) : 0;
	m->cagr = years > 0 && m->final_equity > 0 ?
		pow(m->final_equity / initial, 1.0 / years) - 1.0 : 0;
	if (n > 1) {
		double mean = a->sum / n;
		double var = (a->sq - n * mean * mean) / (double)(n - 1);
		double sd = var > 0 ? sqrt(var) : 0;
		double dd = sqrt(a->down / n);

		m->volatility = sd * sqrt(per_year);
		m->sharpe = sd > 0 ? mean / sd * sqrt(per_year) : 0;
		m->sortino = dd > 0 ? mean / dd * sqrt(per_year) : 0;
	}
	m->max_drawdown = a->mdd;
	m->max_drawdown_duration_ms = a->longest / 1000000;
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
	m->exposure = a->n ? (double)a->exposed / a->n : 0;
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
	free(r->ds.b);
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
