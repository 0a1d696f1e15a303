/*
 * vol.c -- volatility, channels and volume: bbands, atr, natr, keltner,
 * donchian, obv, vwap.
 *
 * Definitions:
 *   bbands(n, k): middle = SMA_n(close) (bit for bit the sma indicator);
 *     sd = POPULATION standard deviation of the last n closes; lower/upper
 *     = middle -/+ k sd.  Lookback n-1.  O(1): running sums of (x - a) and
 *     (x - a)^2 with the shift a near the window's mean, so the one-pass
 *     variance E[(x-a)^2] - E[x-a]^2 does not cancel; all sums are
 *     recomputed from the window (and a moved to its mean) when sma's
 *     would be (ta_rsum: at least every 128 bars), so they cannot drift.
 *   atr(n), Wilder: TR_t = max(h-l, |h-c_{t-1}|, |l-c_{t-1}|) from bar 1;
 *     ATR seeded with the mean of TR_1..TR_n, then Wilder smoothing.
 *     Lookback n.  natr = 100 atr / close.
 *   keltner(n, mult, atr_period): middle = EMA_n(close); lower/upper =
 *     middle -/+ mult ATR(atr_period) -- Linda Raschke's variant, the one
 *     StockCharts uses (defaults 20, 2, 10), not Chester Keltner's 1960
 *     original (SMA of the typical price -/+ SMA of high - low).  Lookback
 *     max(n-1, atr_period).
 *   donchian(n): upper = highest high, lower = lowest low of the last n
 *     bars, middle = (upper + lower) / 2.  Lookback n-1.
 *   obv: 0 on bar 0, then + volume when the close rose, - volume when it
 *     fell, unchanged when equal to rounding.  Lookback 0.
 *   vwap(period): typical price (h+l+c)/3 weighted by volume over the last
 *     `period` bars; period 0 = anchored: cumulative from the first bar of
 *     each UTC day.  When the volume in the window is 0 the value is the
 *     typical price.  Lookback period-1 (0 when anchored).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ta.h"

static void
plain_destroy(void *state)
{
	free(state);
}

/* ---- bbands --------------------------------------------------------------- */

struct bbands {
	int64_t n;           /* first: nminus1 reads it */
	double k;
	struct ta_rsum r;    /* the window and its sum S, as sma keeps them */
	double shift;        /* a */
	double s1, s2;       /* sums of (x - a) and (x - a)^2 */
	double inv, nd;      /* 1 / n, n */
};

static void
bbands_destroy(void *state)
{
	struct bbands *b = state;

	ta_rsum_fini(&b->r);
	free(b);
}

static int
bbands_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct bbands *b = calloc(1, sizeof(*b));

	(void)ctx;
	if (b == NULL)
		return QD_ERR_NOMEM;
	b->n = api->param_int(p, "period");
	b->k = api->param_double(p, "stddev");
	b->inv = 1.0 / (double)b->n;
	b->nd = (double)b->n;
	if (ta_rsum_init(&b->r, b->n) != QD_OK) {
		free(b);
		return QD_ERR_NOMEM;
	}
	*state = b;
	return QD_OK;
}

static uint32_t
nminus1(const void *state)
{
	return (uint32_t)(*(const int64_t *)state - 1);
}

/* x enters the window while it fills: the shift is the first value. */
TA_INLINE void
bbands_fill(struct bbands *b, double x)
{
	double d;

	if (b->r.count == 0)
		b->shift = x;
	d = x - b->shift;
	b->s1 += d;
	b->s2 += d * d;
	ta_rsum_fill(&b->r, x);
}

/* x enters the full window and old leaves it: (x-a)^2 - (old-a)^2 =
 * (x - old)(x + old - 2a), one product and no cancellation between two
 * squares. */
TA_INLINE void
bbands_advance(struct bbands *b, double x, double old)
{
	double u = x - old;

	b->s1 += u;
	b->s2 += u * ((x - b->shift) + (old - b->shift));
	ta_rsum_advance(&b->r, x, old);
}

/* Every sum afresh from the window, the shift moved to its mean (as the
 * running sum had it: no wait for the fresh one). */
TA_INLINE void
bbands_resum(struct bbands *b, const double *win)
{
	double a1 = 0.0, b1 = 0.0, a2 = 0.0, b2 = 0.0;
	size_t i, n = b->r.n;

	b->shift = b->r.s * b->inv;
	ta_rsum_resum(&b->r, win);
	/* Two partial sums each: half the dependent adds. */
	for (i = 0; i + 2 <= n; i += 2) {
		double d = win[i] - b->shift, e = win[i + 1] - b->shift;

		a1 += d;
		b1 += e;
		a2 += d * d;
		b2 += e * e;
	}
	if (i < n) {
		double d = win[i] - b->shift;

		a1 += d;
		a2 += d * d;
	}
	b->s1 = a1 + b1;
	b->s2 = a2 + b2;
}

/* The window's sums: S, s1, s2. */
TA_INLINE struct ta_pt
bbands_value(const struct bbands *b)
{
	struct ta_pt p = { ta_rsum_value(&b->r), b->s1, b->s2 };

	return p;
}

/* middle = S / n, the same sum and division as sma. */
TA_INLINE void
bbands_emit1(const struct bbands *b, struct ta_pt p, double *const *out,
	size_t i)
{
	double mean = p.b * b->inv, var = p.c * b->inv - mean * mean;
	double mid = p.a / b->nd, sd = sqrt(ta_max(var, 0.0));

	out[0][i] = mid - b->k * sd;
	out[1][i] = mid;
	out[2][i] = mid + b->k * sd;
}

/* Two bars: one vector division, one vector square root. */
TA_INLINE void
bbands_emit2(const struct bbands *b, struct ta_pt p, struct ta_pt q,
	double *const *out, size_t i)
{
	ta_v2d S = { p.a, q.a }, s1 = { p.b, q.b }, s2 = { p.c, q.c };
	ta_v2d n = { b->nd, b->nd }, inv = { b->inv, b->inv };
	ta_v2d k = { b->k, b->k }, mean = s1 * inv;
	ta_v2d var = s2 * inv - mean * mean;
	ta_v2d mid = S / n;
	ta_v2d w = k * ta_v2d_sqrt(ta_v2d_max0(var));
	ta_v2d lo = mid - w, up = mid + w;

	ta_v2d_store(out[0] + i, lo);
	ta_v2d_store(out[1] + i, mid);
	ta_v2d_store(out[2] + i, up);
}

TA_STEP
bbands_update(void *state, const struct qd_bar *bar, double *out)
{
	struct bbands *b = state;
	double *col[3] = { out, out + 1, out + 2 };

	TA_WINDOW_PUSH(b, &b->r, bar->close, bbands_fill, bbands_advance,
		bbands_resum);
	if (ta_rsum_full(&b->r))
		bbands_emit1(b, bbands_value(b), col, 0);
	else
		out[0] = out[1] = out[2] = NAN;
}

TA_INLINE struct ta_rsum *
bbands_rsum(struct bbands *b)
{
	return &b->r;
}

static const struct qd_param_spec bbands_params[] = {
	QD_PARAM_INT_SPEC("period", 20, 1, 100000, "window length in bars"),
	QD_PARAM_DOUBLE_SPEC("stddev", 2.0, 0.0, 100.0,
		"band width in population standard deviations"),
};
static const char *const bands_outs[] = { "lower", "middle", "upper" };

TA_WINDOW_BATCH(bbands, struct bbands, 3, bbands_update, bbands_rsum,
	bbands_advance, bbands_resum, bbands_value, bbands_emit2, bbands_emit1)
TA_PLUGIN_OPS(bbands, "Bollinger bands (population standard deviation)",
	bbands_params, bands_outs, bbands_create, bbands_destroy, nminus1,
	bbands_update, QD_INDICATOR_OVERLAY);

/* ---- atr / natr ----------------------------------------------------------- */

struct atr {
	int64_t n;
	struct ta_wilder w;
	double prev_close;
	int have_prev;
};

/* Push one bar into a Wilder ATR; NaN while warming. */
TA_INLINE double
atr_push(struct atr *a, const struct qd_bar *b)
{
	double tr;

	if (TA_UNLIKELY(!a->have_prev)) {
		a->have_prev = 1;
		a->prev_close = b->close;
		return NAN;
	}
	tr = ta_true_range(b, a->prev_close);
	a->prev_close = b->close;
	return ta_wilder_push(&a->w, tr);
}

static int
atr_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct atr *a = calloc(1, sizeof(*a));

	(void)ctx;
	if (a == NULL)
		return QD_ERR_NOMEM;
	a->n = api->param_int(p, "period");
	ta_wilder_init(&a->w, a->n);
	*state = a;
	return QD_OK;
}

static uint32_t
atr_lookback(const void *state)
{
	return (uint32_t)((const struct atr *)state)->n;
}

TA_STEP
atr_update(void *state, const struct qd_bar *b, double *out)
{
	out[0] = atr_push(state, b);
}

TA_STEP
natr_update(void *state, const struct qd_bar *b, double *out)
{
	double a = atr_push(state, b);

	out[0] = TA_UNLIKELY(isnan(a) || b->close == 0.0) ? NAN :
		100.0 * a / b->close;
}

static const struct qd_param_spec period14[] = {
	QD_PARAM_INT_SPEC("period", 14, 1, 100000, "window length in bars"),
};
static const char *const value_out[] = { "value" };

TA_PLUGIN(atr, "average true range (Wilder)", period14, value_out, struct atr,
	atr_create, plain_destroy, atr_lookback, atr_update, 0);
TA_PLUGIN(natr, "normalised ATR: 100 * atr / close", period14, value_out,
	struct atr, atr_create, plain_destroy, atr_lookback, natr_update, 0);

/* ---- keltner -------------------------------------------------------------- */

struct keltner {
	int64_t n, atr_n;
	double mult;
	struct ta_ema mid;
	struct atr atr;
};

static int
keltner_create(const struct qd_host_api *api, qd_ctx *ctx,
	const qd_params *p, void **state)
{
	struct keltner *k = calloc(1, sizeof(*k));

	(void)ctx;
	if (k == NULL)
		return QD_ERR_NOMEM;
	k->n = api->param_int(p, "period");
	k->mult = api->param_double(p, "mult");
	k->atr_n = api->param_int(p, "atr_period");
	ta_ema_init(&k->mid, k->n);
	k->atr.n = k->atr_n;
	ta_wilder_init(&k->atr.w, k->atr_n);
	*state = k;
	return QD_OK;
}

static uint32_t
keltner_lookback(const void *state)
{
	const struct keltner *k = state;

	return (uint32_t)(k->n - 1 > k->atr_n ? k->n - 1 : k->atr_n);
}

TA_STEP
keltner_update(void *state, const struct qd_bar *b, double *out)
{
	struct keltner *k = state;
	double m = ta_ema_push(&k->mid, b->close);
	double a = atr_push(&k->atr, b);

	if (TA_UNLIKELY(isnan(m) || isnan(a))) {
		out[0] = out[1] = out[2] = NAN;
		return;
	}
	out[0] = m - k->mult * a;
	out[1] = m;
	out[2] = m + k->mult * a;
}

static const struct qd_param_spec keltner_params[] = {
	QD_PARAM_INT_SPEC("period", 20, 1, 100000, "EMA period of the middle"),
	QD_PARAM_DOUBLE_SPEC("mult", 2.0, 0.0, 100.0, "ATR multiple"),
	QD_PARAM_INT_SPEC("atr_period", 10, 1, 100000, "ATR period"),
};

TA_PLUGIN(keltner, "Keltner channels (Raschke): EMA of the close -/+ mult * "
	"Wilder ATR", keltner_params,
	bands_outs, struct keltner, keltner_create, plain_destroy,
	keltner_lookback, keltner_update, QD_INDICATOR_OVERLAY);

/* ---- donchian ------------------------------------------------------------- */

struct donchian {
	int64_t n;
	struct ta_minmax mm;
};

static void
donchian_destroy(void *state)
{
	struct donchian *d = state;

	ta_minmax_fini(&d->mm);
	free(d);
}

static int
donchian_create(const struct qd_host_api *api, qd_ctx *ctx,
	const qd_params *p, void **state)
{
	struct donchian *d = calloc(1, sizeof(*d));

	(void)ctx;
	if (d == NULL)
		return QD_ERR_NOMEM;
	d->n = api->param_int(p, "period");
	if (ta_minmax_init(&d->mm, d->n) != QD_OK) {
		free(d);
		return QD_ERR_NOMEM;
	}
	*state = d;
	return QD_OK;
}

TA_STEP
donchian_update(void *state, const struct qd_bar *b, double *out)
{
	struct donchian *d = state;

	ta_minmax_push(&d->mm, b->high, b->low);
	if (!ta_minmax_full(&d->mm)) {
		out[0] = out[1] = out[2] = NAN;
		return;
	}
	out[0] = ta_minmax_max(&d->mm);
	out[2] = ta_minmax_min(&d->mm);
	out[1] = (out[0] + out[2]) / 2.0;
}

static const struct qd_param_spec period20[] = {
	QD_PARAM_INT_SPEC("period", 20, 1, 100000, "window length in bars"),
};
static const char *const donchian_outs[] = { "upper", "middle", "lower" };

TA_PLUGIN(donchian, "Donchian channel: highest high, lowest low", period20,
	donchian_outs, struct donchian, donchian_create, donchian_destroy,
	nminus1, donchian_update, QD_INDICATOR_OVERLAY);

/* ---- obv ------------------------------------------------------------------ */

struct obv {
	struct ta_sum sum;
	double prev;
	int have_prev;
};

static int
obv_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	(void)api;
	(void)ctx;
	(void)p;
	*state = calloc(1, sizeof(struct obv));
	return *state ? QD_OK : QD_ERR_NOMEM;
}

static uint32_t
zero_lookback(const void *state)
{
	(void)state;
	return 0;
}

TA_STEP
obv_update(void *state, const struct qd_bar *b, double *out)
{
	struct obv *o = state;

	/* +volume, -volume or (a tie, or the first bar) +0, which leaves a
	 * compensated sum exactly as it was. */
	ta_sum_add(&o->sum, (double)(o->have_prev *
		ta_cmp(b->close, o->prev)) * b->volume);
	o->have_prev = 1;
	o->prev = b->close;
	out[0] = ta_sum_value(&o->sum);
}

TA_BATCH(obv, struct obv, 1, obv_update)

static const struct qd_indicator_ops obv_ops = {
	.base = { .size = sizeof(struct qd_indicator_ops),
		  .create = obv_create, .destroy = plain_destroy },
	.outputs = value_out, .n_outputs = 1,
	.lookback = zero_lookback, .update = obv_update, .batch = obv_batch,
};

const struct qd_plugin ta_obv_plugin = {
	.size = sizeof(struct qd_plugin), .kind = QD_KIND_INDICATOR,
	.name = "obv", .version = TA_VERSION,
	.description = "on-balance volume", .license = "MIT",
	.ops = &obv_ops,
};

/* ---- vwap ----------------------------------------------------------------- */

#define NS_PER_DAY 86400000000000LL

struct vwap {
	int64_t n;           /* 0 = anchored to the UTC day */
	struct ta_rsum pv, v;
	struct ta_sum apv, av;
	int64_t day_start, day_end; /* [start, end) of the anchored day, ns */
};

static void
vwap_destroy(void *state)
{
	struct vwap *w = state;

	ta_rsum_fini(&w->pv);
	ta_rsum_fini(&w->v);
	free(w);
}

static int
vwap_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct vwap *w = calloc(1, sizeof(*w));

	(void)ctx;
	if (w == NULL)
		return QD_ERR_NOMEM;
	w->n = api->param_int(p, "period");
	w->day_start = w->day_end = INT64_MIN;
	if (w->n > 0 && (ta_rsum_init(&w->pv, w->n) != QD_OK ||
	    ta_rsum_init(&w->v, w->n) != QD_OK)) {
		vwap_destroy(w);
		return QD_ERR_NOMEM;
	}
	*state = w;
	return QD_OK;
}

static uint32_t
vwap_lookback(const void *state)
{
	const struct vwap *w = state;

	return w->n > 0 ? (uint32_t)(w->n - 1) : 0;
}

TA_STEP
vwap_update(void *state, const struct qd_bar *b, double *out)
{
	struct vwap *w = state;
	double tp = (b->high + b->low + b->close) / 3.0, pv, v;

	if (w->n > 0) {
		ta_rsum_push(&w->pv, tp * b->volume);
		ta_rsum_push(&w->v, b->volume);
		if (!ta_rsum_full(&w->v)) {
			out[0] = NAN;
			return;
		}
		pv = ta_rsum_value(&w->pv);
		v = ta_rsum_value(&w->v);
	} else {
		if (b->ts >= w->day_end || b->ts < w->day_start) {
			/* A new UTC day: [ts - r, ts - r + 1 day) with r the
			 * floor remainder, clamped to int64 at the extremes. */
			int64_t r = b->ts % NS_PER_DAY;

			if (r < 0)
				r += NS_PER_DAY;
			w->day_start = b->ts < INT64_MIN + r ? INT64_MIN :
				b->ts - r;
			w->day_end = b->ts > INT64_MAX - (NS_PER_DAY - r) ?
				INT64_MAX : b->ts + (NS_PER_DAY - r);
			ta_sum_reset(&w->apv);
			ta_sum_reset(&w->av);
		}
		ta_sum_add(&w->apv, tp * b->volume);
		ta_sum_add(&w->av, b->volume);
		pv = ta_sum_value(&w->apv);
		v = ta_sum_value(&w->av);
	}
	out[0] = v > 0.0 ? pv / v : tp;
}

static const struct qd_param_spec vwap_params[] = {
	QD_PARAM_INT_SPEC("period", 0, 0, 100000, "rolling window in bars; "
		"0 = anchored, reset at each UTC day"),
};

TA_PLUGIN(vwap, "volume-weighted average of the typical price", vwap_params,
	value_out, struct vwap, vwap_create, vwap_destroy, vwap_lookback,
	vwap_update, QD_INDICATOR_OVERLAY);
