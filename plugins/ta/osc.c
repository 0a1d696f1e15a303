/*
 * osc.c -- oscillators: macd, rsi, stoch, cci, willr, roc, mfi.
 *
 * Definitions (bar index t from 0; "lookback" = bars before the first
 * value of the LAST output to appear):
 *   macd(fast, slow, signal): macd = ema(fast) - ema(slow) of the close
 *     (alpha 2/(n+1), SMA seeds), first at bar slow-1; signal = ema(signal)
 *     of macd seeded with the SMA of its first `signal` values; hist =
 *     macd - signal.  Lookback slow + signal - 2.
 *   rsi(n), Wilder: gains/losses of close-to-close changes from bar 1, both
 *     averaged with Wilder smoothing seeded by the simple mean of the first
 *     n; rsi = 100 - 100 / (1 + avg_gain / avg_loss), computed as the equal
 *     100 avg_gain / (avg_gain + avg_loss); 100 when avg_loss is 0 (50 when
 *     both are 0).  Lookback n.
 *   stoch(k, smooth, d): raw = 100 (close - LL_k) / (HH_k - LL_k) (50 when
 *     HH = LL); k = SMA(smooth) of raw; d = SMA(d) of k (both means of
 *     ratios, by the reciprocal).  Lookback k + smooth + d - 3.
 *   cci(n): tp = (h+l+c)/3; cci = (tp - SMA_n(tp)) / (0.015 * MD), MD =
 *     mean absolute deviation of tp from its SMA over the window (0 when MD
 *     is 0).  Lookback n-1.  MD needs the window: O(n) per bar, summed
 *     in four interleaved partial sums (no longer a chain of n dependent
 *     adds; the same accuracy as summing in order).
 *   willr(n): -100 (HH_n - close) / (HH_n - LL_n), in [-100, 0] (-50 when
 *     HH = LL).  Lookback n-1.
 *   roc(n): 100 (close_t - close_{t-n}) / close_{t-n}.  Lookback n.
 *   mfi(n): tp as cci; flow = tp * volume counted positive when tp rose,
 *     negative when it fell, neither when equal (to rounding); mfi = 100 -
 *     100 / (1 + pos_n / neg_n) over the last n flows (100 when neg is 0, 50
 *     when both are).  Lookback n.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ta.h"

/* ---- macd ----------------------------------------------------------------- */

struct macd {
	struct ta_ema fast, slow, sig;
	int64_t nslow, nsig;
};

static int
macd_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct macd *m = calloc(1, sizeof(*m));
	int64_t f = api->param_int(p, "fast"), s = api->param_int(p, "slow");

	(void)ctx;
	if (m == NULL)
		return QD_ERR_NOMEM;
	if (f >= s) {
		api->log(ctx, QD_LOG_ERROR, "macd: fast (%lld) must be below "
			"slow (%lld)", (long long)f, (long long)s);
		free(m);
		return QD_ERR_INVALID;
	}
	ta_ema_init(&m->fast, f);
	ta_ema_init(&m->slow, s);
	m->nslow = s;
	m->nsig = api->param_int(p, "signal");
	ta_ema_init(&m->sig, m->nsig);
	*state = m;
	return QD_OK;
}

static uint32_t
macd_lookback(const void *state)
{
	const struct macd *m = state;

	return (uint32_t)(m->nslow + m->nsig - 2);
}

TA_STEP
macd_update(void *state, const struct qd_bar *b, double *out)
{
	struct macd *m = state;
	double f, s, v, sig;

	if (ta_ema_seeded(&m->sig, b->close)) {
		v = ta_ema_next(&m->fast, b->close) -
			ta_ema_next(&m->slow, b->close);
		sig = ta_ema_next(&m->sig, v);
		out[0] = v;
		out[1] = sig;
		out[2] = v - sig;
		return;
	}
	f = ta_ema_push(&m->fast, b->close);
	s = ta_ema_push(&m->slow, b->close);
	v = isnan(s) ? NAN : f - s;
	sig = ta_ema_push(&m->sig, v);

	out[0] = v;
	out[1] = sig;
	out[2] = isnan(sig) ? NAN : v - sig;
}

static void
plain_destroy(void *state)
{
	free(state);
}

static const struct qd_param_spec macd_params[] = {
	QD_PARAM_INT_SPEC("fast", 12, 1, 100000, "fast EMA period"),
	QD_PARAM_INT_SPEC("slow", 26, 2, 100000, "slow EMA period"),
	QD_PARAM_INT_SPEC("signal", 9, 1, 100000, "signal EMA period"),
};
static const char *const macd_outs[] = { "macd", "signal", "hist" };

TA_PLUGIN(macd,
	"moving average convergence/divergence (EMA 2/(n+1), SMA seeds)",
	macd_params, macd_outs, struct macd, macd_create, plain_destroy,
	macd_lookback, macd_update, 0);

/* ---- rsi ------------------------------------------------------------------ */

struct rsi {
	int64_t n;
	struct ta_wilder gain, loss;
	double prev;
	int have_prev;
};

static int
rsi_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct rsi *r = calloc(1, sizeof(*r));

	(void)ctx;
	if (r == NULL)
		return QD_ERR_NOMEM;
	r->n = api->param_int(p, "period");
	ta_wilder_init(&r->gain, r->n);
	ta_wilder_init(&r->loss, r->n);
	*state = r;
	return QD_OK;
}

static uint32_t
rsi_lookback(const void *state)
{
	return (uint32_t)((const struct rsi *)state)->n;
}

/*
 * 100 - 100 / (1 + up/down), the RSI/MFI form, computed as the identical
 * 100 up / (up + down): one division instead of two, no cancellation near
 * 100, and down = 0 gives 100 without a special case.  50 when both are 0
 * (no movement at all: neutral).
 */
TA_INLINE double
ratio_index(double up, double down)
{
	double s = up + down;

	return s > 0.0 ? ta_clamp(100.0 * up / s, 0.0, 100.0) : 50.0;
}

TA_STEP
rsi_update(void *state, const struct qd_bar *b, double *out)
{
	struct rsi *r = state;
	double d, g, l;

	if (TA_UNLIKELY(!r->have_prev)) {
		r->have_prev = 1;
		r->prev = b->close;
		out[0] = NAN;
		return;
	}
	/* A change that is only rounding is no change (ta_cmp). */
	d = ta_when(ta_cmp(b->close, r->prev) != 0, b->close - r->prev);
	r->prev = b->close;
	g = ta_wilder_push(&r->gain, ta_max(d, 0.0));
	l = ta_wilder_push(&r->loss, ta_max(-d, 0.0));
	out[0] = isnan(g) ? NAN : ratio_index(g, l);
}

static const struct qd_param_spec period14[] = {
	QD_PARAM_INT_SPEC("period", 14, 1, 100000, "window length in bars"),
};
static const char *const value_out[] = { "value" };

TA_PLUGIN(rsi, "relative strength index (Wilder smoothing)", period14,
	value_out, struct rsi, rsi_create, plain_destroy, rsi_lookback,
	rsi_update, 0);

/* ---- stoch ---------------------------------------------------------------- */

struct stoch {
	int64_t k, smooth, d;
	struct ta_minmax mm;
	struct ta_sma ks, ds;
	double inv_smooth, inv_d;   /* 1/smooth, 1/d */
};

static void
stoch_destroy(void *state)
{
	struct stoch *s = state;

	ta_minmax_fini(&s->mm);
	ta_sma_fini(&s->ks);
	ta_sma_fini(&s->ds);
	free(s);
}

static int
stoch_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct stoch *s = calloc(1, sizeof(*s));

	(void)ctx;
	if (s == NULL)
		return QD_ERR_NOMEM;
	s->k = api->param_int(p, "k");
	s->smooth = api->param_int(p, "smooth");
	s->d = api->param_int(p, "d");
	s->inv_smooth = 1.0 / (double)s->smooth;
	s->inv_d = 1.0 / (double)s->d;
	if (ta_minmax_init(&s->mm, s->k) != QD_OK ||
	    ta_sma_init(&s->ks, s->smooth) != QD_OK ||
	    ta_sma_init(&s->ds, s->d) != QD_OK) {
		stoch_destroy(s);
		return QD_ERR_NOMEM;
	}
	*state = s;
	return QD_OK;
}

static uint32_t
stoch_lookback(const void *state)
{
	const struct stoch *s = state;

	return (uint32_t)(s->k + s->smooth + s->d - 3);
}

TA_STEP
stoch_update(void *state, const struct qd_bar *b, double *out)
{
	struct stoch *s = state;
	double hh, ll, raw, k;

	ta_minmax_push(&s->mm, b->high, b->low);
	out[0] = out[1] = NAN;
	if (!ta_minmax_full(&s->mm))
		return;
	hh = ta_minmax_max(&s->mm);
	ll = ta_minmax_min(&s->mm);
	raw = hh > ll ? 100.0 * (b->close - ll) / (hh - ll) : 50.0;
	/* Means of ratios by the reciprocal: k waits for raw's division and
	 * d for k, so true divisions would put three in a row on each bar's
	 * path. */
	k = ta_sma_sum_push(&s->ks, raw) * s->inv_smooth;
	if (TA_UNLIKELY(isnan(k)))
		return;
	out[0] = ta_clamp(k, 0.0, 100.0);
	out[1] = ta_clamp(ta_sma_sum_push(&s->ds, k) * s->inv_d, 0.0, 100.0);
}

static const struct qd_param_spec stoch_params[] = {
	QD_PARAM_INT_SPEC("k", 14, 1, 100000, "%K lookback (bars)"),
	QD_PARAM_INT_SPEC("smooth", 3, 1, 100000, "SMA smoothing of raw %K"),
	QD_PARAM_INT_SPEC("d", 3, 1, 100000, "SMA period of %D"),
};
static const char *const stoch_outs[] = { "k", "d" };

TA_PLUGIN(stoch, "slow stochastic oscillator, percent", stoch_params,
	stoch_outs, struct stoch, stoch_create, stoch_destroy, stoch_lookback,
	stoch_update, 0);

/* ---- cci ------------------------------------------------------------------ */

struct cci {
	int64_t n;
	struct ta_rsum sum;  /* its ring is the window of typical prices */
	double inv;          /* 1 / n */
};

static void
cci_destroy(void *state)
{
	struct cci *c = state;

	ta_rsum_fini(&c->sum);
	free(c);
}

static int
cci_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct cci *c = calloc(1, sizeof(*c));

	(void)ctx;
	if (c == NULL)
		return QD_ERR_NOMEM;
	c->n = api->param_int(p, "period");
	c->inv = 1.0 / (double)c->n;
	if (ta_rsum_init(&c->sum, c->n) != QD_OK) {
		free(c);
		return QD_ERR_NOMEM;
	}
	*state = c;
	return QD_OK;
}

/* Lookback n-1 for states whose first member is `int64_t n`. */
static uint32_t
period_minus_one(const void *state)
{
	return (uint32_t)(*(const int64_t *)state - 1);
}

/*
 * Sum of |x_i - m| over n values, in four partial sums: lane k sums
 * x[k], x[k+4], ... in order, the values after the last group of four go
 * to lane 0, and the result is (a0 + a1) + (a2 + a3).  The streaming
 * step's sum; the batch takes the same values in the same lanes from the
 * column (cci_col_dev_sum).
 */
TA_INLINE double
abs_dev_sum(const double *x, size_t n, double m)
{
	double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		a0 += fabs(x[i] - m);
		a1 += fabs(x[i + 1] - m);
		a2 += fabs(x[i + 2] - m);
		a3 += fabs(x[i + 3] - m);
	}
	for (; i < n; i++)
		a0 += fabs(x[i] - m);
	return (a0 + a1) + (a2 + a3);
}

TA_STEP
cci_update(void *state, const struct qd_bar *b, double *out)
{
	struct cci *c = state;
	double tp = (b->high + b->low + b->close) / 3.0, mean, md, old;
	size_t n = (size_t)c->n;

	/*
	 * Means by the reciprocal: they sit on the bar's dependency path
	 * (sum -> mean -> deviations -> md), and CCI is a ratio of them.
	 * On a full window the deviations are summed over the ring before
	 * tp is stored in it (the slot of the value leaving, swapped for
	 * tp's deviation): a vector load of a slot just stored would wait
	 * for the store to reach the cache.  The mean is then the running
	 * sum's next value (a re-sum of the window counts from the next bar).
	 */
	if (ta_rsum_full(&c->sum)) {
		old = c->sum.buf[c->sum.head];
		mean = (ta_rsum_value(&c->sum) + (tp - old)) * c->inv;
		md = (abs_dev_sum(c->sum.buf, n, mean) - fabs(old - mean) +
			fabs(tp - mean)) * c->inv;
		ta_rsum_push(&c->sum, tp);
	} else {
		ta_rsum_push(&c->sum, tp);
		if (!ta_rsum_full(&c->sum)) {
			out[0] = NAN;
			return;
		}
		mean = ta_rsum_value(&c->sum) * c->inv;
		md = abs_dev_sum(c->sum.buf, n, mean) * c->inv;
	}
	out[0] = md > 0.0 ? (tp - mean) / (0.015 * md) : 0.0;
}

static const struct qd_param_spec period20[] = {
	QD_PARAM_INT_SPEC("period", 20, 1, 100000, "window length in bars"),
};

/* The batch where the CPU has no AVX2: cci_update over the bars. */
TA_BATCH(cci_step, struct cci, 1, cci_update)

#if defined(__x86_64__) && defined(__GNUC__)
#define CCI_AVX2 1
/*
 * The batch with AVX2.  The first n bars go through cci_update (they need
 * the ring: the window still holds bars from before the batch).  From
 * then on the window is all in the batch, and each bar takes its values
 * from a column of typical prices computed ahead (t) rather than from the
 * ring, whose slot written one bar earlier a vector load would wait for.
 * cci_update sums the ring in slot order, four partial sums (abs_dev_sum);
 * slot p holds, with h the slot of the value leaving (the ring's head) and
 * bar i about to enter, bar i - h + p for p < h and bar i - h + p - n for
 * p >= h.  The batch sums exactly those values into the same four partial
 * sums, held in one AVX register, and keeps the running sum, head and
 * re-sums as the ring would, so its values and its final state (the ring
 * refilled from the column) are cci_update's, bit for bit.
 */
typedef double cci_v4d __attribute__((vector_size(32)));
typedef int64_t cci_v4i __attribute__((vector_size(32)));

/* cci_below[j][l]: all ones when lane l < j (its value from below h). */
static const int64_t cci_below[4][4] = {
	{ 0, 0, 0, 0 }, { -1, 0, 0, 0 }, { -1, -1, 0, 0 }, { -1, -1, -1, 0 },
};

/* abs_dev_sum over the ring of bar i as the column holds it: t = the
 * column at bar i - h, the ring's n slots, its head h, the mean m. */
__attribute__((target("avx2"))) TA_INLINE double
cci_col_dev_sum(const double *t, size_t n, size_t h, double m)
{
	const cci_v4i mag = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX };
	const cci_v4d mv = { m, m, m, m };
	const ptrdiff_t up = -(ptrdiff_t)n;   /* t + p + up: slot p >= h */
	size_t p, nv = n & ~(size_t)3, hv = h & ~(size_t)3;
	cci_v4d a = { 0, 0, 0, 0 }, v, w;
	cci_v4i sel;
	double a0;

	/* |x - m|: x - m with its sign bit cleared, as fabs() */
	for (p = 0; p < hv && p < nv; p += 4) {
		memcpy(&v, t + p, sizeof(v));
		a += (cci_v4d)((cci_v4i)(v - mv) & mag);
	}
	if (p < nv && p < h) {
		/* the group h falls in: lanes below h, then the others */
		memcpy(&v, t + p, sizeof(v));
		memcpy(&w, t + p + up, sizeof(w));
		memcpy(&sel, cci_below[h - p], sizeof(sel));
		v = (cci_v4d)(((cci_v4i)v & sel) | ((cci_v4i)w & ~sel));
		a += (cci_v4d)((cci_v4i)(v - mv) & mag);
		p += 4;
	}
	for (; p < nv; p += 4) {
		memcpy(&v, t + p + up, sizeof(v));
		a += (cci_v4d)((cci_v4i)(v - mv) & mag);
	}
	a0 = a[0];
	for (; p < n; p++)
		a0 += fabs((p < h ? t[p] : t[(ptrdiff_t)p + up]) - m);
	return (a0 + a[1]) + (a[2] + a[3]);
}

/* Bars i.. of s through the column t (t[j] bar j's typical price,
 * readable from t[-4] to t[s->n + 3]), as described above. */
__attribute__((target("avx2"))) static void
cci_col_bars(struct cci *c, const struct qd_series *s, const double *t,
	size_t i, double *out)
{
	/* the ring's bookkeeping in locals: out[] could alias the state */
	struct ta_rsum r = c->sum;
	size_t n = (size_t)c->n;
	double inv = c->inv;

	for (; i < s->n; i++) {
		double tp = t[i], old = t[i - n], mean, md;

		mean = (r.s + (tp - old)) * inv;
		md = (cci_col_dev_sum(t + (i - r.head), n, r.head, mean) -
			fabs(old - mean) + fabs(tp - mean)) * inv;
		/* as ta_rsum_push does it */
		r.head = r.head + 1 == n ? 0 : r.head + 1;
		ta_rsum_advance(&r, tp, old);
		if (ta_rsum_due(&r))
			ta_rsum_resum(&r, t + (i + 1 - n));
		out[i] = md > 0.0 ? (tp - mean) / (0.015 * md) : 0.0;
	}
	c->sum = r;
}

/* The column batch; -1 (nothing done) for a batch no longer than the
 * window or if its column cannot be had. */
static int
cci_col_batch(void *state, const struct qd_series *s, double *const *o)
{
	struct cci st = *(struct cci *)state;
	size_t n = (size_t)st.n, i, k;
	double *col, *t;

	if (s->n <= n || (col = calloc(s->n + 8, sizeof(double))) == NULL)
		return -1;
	t = col + 4;
	for (k = 0; k < s->n; k++)
		t[k] = (s->high[k] + s->low[k] + s->close[k]) / 3.0;
	for (i = 0; i < s->n && i < n; i++) {
		struct qd_bar b = qd_series_bar(s, i);

		cci_update(&st, &b, &o[0][i]);
	}
	if (i < s->n) {
		cci_col_bars(&st, s, t, i, o[0]);
		/* the ring as cci_update leaves it: the last n bars, the
		 * oldest at the head */
		for (k = 0; k < n; k++)
			st.sum.buf[(st.sum.head + k) % n] = t[s->n - n + k];
	}
	free(col);
	*(struct cci *)state = st;
	return 0;
}
#endif

static void
cci_batch(void *state, const struct qd_series *s, double *const *o)
{
#ifdef CCI_AVX2
	if (__builtin_cpu_supports("avx2") && cci_col_batch(state, s, o) == 0)
		return;
#endif
	cci_step_batch(state, s, o);
}

TA_PLUGIN_OPS(cci, "commodity channel index (0.015, mean absolute "
	"deviation)", period20, value_out, cci_create, cci_destroy,
	period_minus_one, cci_update, 0);

/* ---- willr ---------------------------------------------------------------- */

struct willr {
	int64_t n;
	struct ta_minmax mm;
};

static void
willr_destroy(void *state)
{
	struct willr *w = state;

	ta_minmax_fini(&w->mm);
	free(w);
}

static int
willr_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct willr *w = calloc(1, sizeof(*w));

	(void)ctx;
	if (w == NULL)
		return QD_ERR_NOMEM;
	w->n = api->param_int(p, "period");
	if (ta_minmax_init(&w->mm, w->n) != QD_OK) {
		free(w);
		return QD_ERR_NOMEM;
	}
	*state = w;
	return QD_OK;
}

TA_STEP
willr_update(void *state, const struct qd_bar *b, double *out)
{
	struct willr *w = state;
	double hh, ll;

	ta_minmax_push(&w->mm, b->high, b->low);
	if (!ta_minmax_full(&w->mm)) {
		out[0] = NAN;
		return;
	}
	hh = ta_minmax_max(&w->mm);
	ll = ta_minmax_min(&w->mm);
	out[0] = hh > ll ? ta_clamp(-100.0 * (hh - b->close) / (hh - ll),
		-100.0, 0.0) : -50.0;
}

TA_PLUGIN(willr, "Williams %R, -100..0", period14, value_out, struct willr,
	willr_create, willr_destroy, period_minus_one, willr_update, 0);

/* ---- roc ------------------------------------------------------------------ */

struct roc {
	int64_t n;
	double *buf;
	size_t head, count;
};

static void
roc_destroy(void *state)
{
	struct roc *r = state;

	free(r->buf);
	free(r);
}

static int
roc_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct roc *r = calloc(1, sizeof(*r));

	(void)ctx;
	if (r == NULL)
		return QD_ERR_NOMEM;
	r->n = api->param_int(p, "period");
	if ((r->buf = calloc((size_t)r->n, sizeof(double))) == NULL) {
		free(r);
		return QD_ERR_NOMEM;
	}
	*state = r;
	return QD_OK;
}

static uint32_t
roc_lookback(const void *state)
{
	return (uint32_t)((const struct roc *)state)->n;
}

/* The rate of change from old to x: NaN from a zero. */
TA_INLINE double
roc_of(double x, double old)
{
	return old != 0.0 ? 100.0 * (x - old) / old : NAN;
}

TA_STEP
roc_update(void *state, const struct qd_bar *b, double *out)
{
	struct roc *r = state;
	double old = r->buf[r->head];

	out[0] = r->count >= (size_t)r->n ? roc_of(b->close, old) : NAN;
	r->buf[r->head] = b->close;
	r->head = r->head + 1 == (size_t)r->n ? 0 : r->head + 1;
	if (TA_UNLIKELY(r->count < (size_t)r->n))
		r->count++;
}

/*
 * The batch: the first n bars through update() (they need the ring); from
 * bar n on, the close n bars back is in the column itself (see
 * ta_ring_refill), two bars per vector division, and the ring is refilled
 * from the column at the end.  The same quotients as roc_of, bit for bit.
 */
static void
roc_batch(void *state, const struct qd_series *s, double *const *out)
{
	struct roc st = *(struct roc *)state;
	const double *x = s->close;
	double *o = out[0];
	size_t n = (size_t)st.n, i;
	ta_v2d hundred = { 100.0, 100.0 };

	for (i = 0; i < s->n && i < n; i++) {
		struct qd_bar b = qd_series_bar(s, i);

		roc_update(&st, &b, o + i);
	}
	for (; i + 2 <= s->n; i += 2) {
		ta_v2d c = { x[i], x[i + 1] }, old = { x[i - n], x[i + 1 - n] };
		ta_v2d q = hundred * (c - old) / old;

		o[i] = old[0] != 0.0 ? q[0] : NAN;
		o[i + 1] = old[1] != 0.0 ? q[1] : NAN;
	}
	for (; i < s->n; i++)
		o[i] = roc_of(x[i], x[i - n]);
	if (s->n > n) {
		st.head = (st.head + (s->n - n)) % n;
		ta_ring_refill(st.buf, n, st.head, x, s->n);
	}
	*(struct roc *)state = st;
}

static const struct qd_param_spec period10[] = {
	QD_PARAM_INT_SPEC("period", 10, 1, 100000, "bars back"),
};

TA_PLUGIN_OPS(roc, "rate of change, percent", period10, value_out,
	roc_create, roc_destroy, roc_lookback, roc_update, 0);

/* ---- mfi ------------------------------------------------------------------ */

struct mfi {
	int64_t n;
	struct ta_rsum pos, neg;
	double prev_tp;
	int have_prev;
};

static void
mfi_destroy(void *state)
{
	struct mfi *m = state;

	ta_rsum_fini(&m->pos);
	ta_rsum_fini(&m->neg);
	free(m);
}

static int
mfi_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct mfi *m = calloc(1, sizeof(*m));

	(void)ctx;
	if (m == NULL)
		return QD_ERR_NOMEM;
	m->n = api->param_int(p, "period");
	if (ta_rsum_init(&m->pos, m->n) != QD_OK ||
	    ta_rsum_init(&m->neg, m->n) != QD_OK) {
		mfi_destroy(m);
		return QD_ERR_NOMEM;
	}
	*state = m;
	return QD_OK;
}

static uint32_t
mfi_lookback(const void *state)
{
	return (uint32_t)((const struct mfi *)state)->n;
}

TA_STEP
mfi_update(void *state, const struct qd_bar *b, double *out)
{
	struct mfi *m = state;
	double tp = (b->high + b->low + b->close) / 3.0, flow;
	int dir;

	if (TA_UNLIKELY(!m->have_prev)) {
		m->have_prev = 1;
		m->prev_tp = tp;
		out[0] = NAN;
		return;
	}
	dir = ta_cmp(tp, m->prev_tp);
	m->prev_tp = tp;
	flow = tp * b->volume;
	ta_rsum_push(&m->pos, ta_when(dir > 0, flow));
	ta_rsum_push(&m->neg, ta_when(dir < 0, flow));
	out[0] = ta_rsum_full(&m->pos) ?
		ratio_index(ta_rsum_value(&m->pos), ta_rsum_value(&m->neg)) :
		NAN;
}

TA_PLUGIN(mfi, "money flow index", period14, value_out, struct mfi, mfi_create,
	mfi_destroy, mfi_lookback, mfi_update, 0);
