/*
 * ma.c -- moving averages of the close: sma, ema, wma, dema, tema.
 *
 * Streaming, O(1) per bar.  Conventions (the contract):
 *   - sma(n): mean of the last n closes; first value on bar n (lookback n-1).
 *     The running sum is recomputed from the window at least every 128
 *     bars (ta_rsum), so it does not drift.
 *   - ema(n): alpha = 2/(n+1) for every n, seeded with the SMA of the first
 *     n closes (first value on bar n, lookback n-1).
 *   - wma(n): weights 1..n (newest heaviest), divided by n(n+1)/2; O(1) by
 *     keeping the plain sum and the weighted sum, both recomputed from the
 *     window when sma's would be.  First value on bar n (lookback n-1).
 *   - dema(n) = 2*ema - ema(ema); lookback 2(n-1).
 *   - tema(n) = 3*ema - 3*ema(ema) + ema(ema(ema)), computed as
 *     3 (ema - ema(ema)) + ema(ema(ema)) (one product fewer); lookback 3(n-1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ta.h"

/* ---- sma ------------------------------------------------------------------ */

int
ta_sma_init(struct ta_sma *s, int64_t n)
{
	s->n = (double)n;
	return ta_rsum_init(&s->r, n);
}

void
ta_sma_fini(struct ta_sma *s)
{
	ta_rsum_fini(&s->r);
}

/* ---- ema ------------------------------------------------------------------ */

void
ta_ema_init(struct ta_ema *e, int64_t n)
{
	memset(e, 0, sizeof(*e));
	e->n = (size_t)n;
	e->alpha = 2.0 / ((double)n + 1.0);
	e->beta = 1.0 - e->alpha;
}

/* ---- plugin glue ---------------------------------------------------------- */

struct ma_state {
	int kind;                /* 0 sma, 1 ema, 2 wma, 3 dema, 4 tema */
	int64_t n;
	struct ta_sma sma;
	struct ta_ema e1, e2, e3;
	/* wma: the window and its plain sum S (wr.s), the weighted sum W */
	struct ta_rsum wr;
	double W, nd, denom;      /* n as a double; n (n+1) / 2 */
};

static int
ma_create(int kind, const struct qd_host_api *api, const qd_params *p,
	void **state)
{
	struct ma_state *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return QD_ERR_NOMEM;
	s->kind = kind;
	s->n = api->param_int(p, "period");
	if (kind == 0 && ta_sma_init(&s->sma, s->n) != QD_OK)
		goto fail;
	if (kind == 2 && ta_rsum_init(&s->wr, s->n) != QD_OK)
		goto fail;
	s->nd = (double)s->n;
	s->denom = (double)s->n * (double)(s->n + 1) / 2.0;
	ta_ema_init(&s->e1, s->n);
	ta_ema_init(&s->e2, s->n);
	ta_ema_init(&s->e3, s->n);
	*state = s;
	return QD_OK;
fail:
	free(s);
	return QD_ERR_NOMEM;
}

static int
sma_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	(void)ctx;
	return ma_create(0, api, p, state);
}

static int
ema_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	(void)ctx;
	return ma_create(1, api, p, state);
}

static int
wma_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	(void)ctx;
	return ma_create(2, api, p, state);
}

static int
dema_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	(void)ctx;
	return ma_create(3, api, p, state);
}

static int
tema_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	(void)ctx;
	return ma_create(4, api, p, state);
}

static void
ma_destroy(void *state)
{
	struct ma_state *s = state;

	ta_sma_fini(&s->sma);
	ta_rsum_fini(&s->wr);
	free(s);
}

static uint32_t
ma_lookback(const void *state)
{
	const struct ma_state *s = state;
	uint32_t k = (uint32_t)(s->n - 1);

	return s->kind == 3 ? 2 * k : s->kind == 4 ? 3 * k : k;
}

/*
 * WMA: with S = sum of the window and W = sum of i*x_i (i = 1 oldest ..
 * n newest), adding x and dropping `old` gives W' = W + n*x - S, S' = S + x
 * - old (S taken before the update): every weight drops by one, the oldest
 * (weight 1) leaves, x enters with weight n.  While the ring fills, x enters
 * with weight count.  At each re-sum of the ring (ta_rsum), S and W are
 * recomputed from the window `win` (oldest first), so rounding never
 * accumulates beyond `every` updates.  The caller divides W by n(n+1)/2.
 */
TA_INLINE void
wma_fill(struct ma_state *s, double x)
{
	s->W += (double)(s->wr.count + 1) * x;
	ta_rsum_fill(&s->wr, x);
}

TA_INLINE void
wma_advance(struct ma_state *s, double x, double old)
{
	s->W += s->nd * x - s->wr.s;
	ta_rsum_advance(&s->wr, x, old);
}

TA_INLINE void
wma_resum(struct ma_state *s, const double *win)
{
	double S0 = 0.0, S1 = 0.0, W0 = 0.0, W1 = 0.0, w = 1.0;
	size_t i, n = s->wr.n;

	/* Two partial sums each: half the dependent adds on the way to the
	 * next bar.  The weight w = i + 1 counts in doubles (exact). */
	for (i = 0; i + 2 <= n; i += 2, w += 2.0) {
		S0 += win[i];
		S1 += win[i + 1];
		W0 += w * win[i];
		W1 += (w + 1.0) * win[i + 1];
	}
	if (i < n) {
		S0 += win[i];
		W0 += w * win[i];
	}
	s->wr.s = S0 + S1;
	s->W = W0 + W1;
}

/*
 * One step per kind: each is its indicator's update().  The means are true
 * divisions (so that a mean of exactly summed prices prints as a
 * spreadsheet's: 310.25 / 3 = 103.41666666666667, where a multiply by 1/3
 * gives ...666).
 */
TA_STEP
sma_update(void *state, const struct qd_bar *bar, double *out)
{
	out[0] = ta_sma_push(&((struct ma_state *)state)->sma, bar->close);
}

TA_STEP
wma_update(void *state, const struct qd_bar *bar, double *out)
{
	struct ma_state *s = state;

	TA_WINDOW_PUSH(s, &s->wr, bar->close, wma_fill, wma_advance,
		wma_resum);
	out[0] = ta_rsum_full(&s->wr) ? s->W / s->denom : NAN;
}

TA_STEP
ema_update(void *state, const struct qd_bar *bar, double *out)
{
	struct ma_state *s = state;

	out[0] = ta_ema_push(&s->e1, bar->close);
}

/* dema and tema: see ta_ema_seeded. */
TA_STEP
dema_update(void *state, const struct qd_bar *bar, double *out)
{
	struct ma_state *s = state;
	double a, b;

	if (ta_ema_seeded(&s->e2, bar->close)) {
		a = ta_ema_next(&s->e1, bar->close);
		b = ta_ema_next(&s->e2, a);
		out[0] = 2.0 * a - b;
		return;
	}
	a = ta_ema_push(&s->e1, bar->close);
	b = ta_ema_push(&s->e2, a);
	out[0] = isnan(b) ? NAN : 2.0 * a - b;
}

TA_STEP
tema_update(void *state, const struct qd_bar *bar, double *out)
{
	struct ma_state *s = state;
	double a, b, c;

	if (ta_ema_seeded(&s->e3, bar->close)) {
		a = ta_ema_next(&s->e1, bar->close);
		b = ta_ema_next(&s->e2, a);
		c = ta_ema_next(&s->e3, b);
		out[0] = 3.0 * (a - b) + c;
		return;
	}
	a = ta_ema_push(&s->e1, bar->close);
	b = ta_ema_push(&s->e2, a);
	c = ta_ema_push(&s->e3, b);
	out[0] = isnan(c) ? NAN : 3.0 * (a - b) + c;
}

static const char *const value_out[] = { "value" };

static const struct qd_param_spec period_params[] = {
	QD_PARAM_INT_SPEC("period", 14, 1, 100000, "window length in bars"),
};

/*
 * The batches of sma and wma: TA_WINDOW_BATCH over the same steps as
 * update(), bars taken in pairs so that their two divisions go in one
 * vector division (the divider's throughput, not the additions, bounds a
 * batch of plain divisions).  Same quotients, bit for bit, as update().
 */
TA_INLINE struct ta_rsum *
sma_rsum(struct ma_state *s)
{
	return &s->sma.r;
}

TA_INLINE void
sma_advance(struct ma_state *s, double x, double old)
{
	ta_rsum_advance(&s->sma.r, x, old);
}

TA_INLINE void
sma_resum(struct ma_state *s, const double *win)
{
	ta_rsum_resum(&s->sma.r, win);
}

TA_INLINE struct ta_pt
sma_value(const struct ma_state *s)
{
	struct ta_pt p = { ta_rsum_value(&s->sma.r), 0.0, 0.0 };

	return p;
}

TA_INLINE void
ma_emit2(const struct ma_state *s, double d, struct ta_pt a, struct ta_pt b,
	double *const *out, size_t i)
{
	ta_v2d q = { a.a, b.a }, dd = { d, d };

	(void)s;
	ta_v2d_store(out[0] + i, q / dd);
}

TA_INLINE void
sma_emit2(const struct ma_state *s, struct ta_pt a, struct ta_pt b,
	double *const *out, size_t i)
{
	ma_emit2(s, s->sma.n, a, b, out, i);
}

TA_INLINE void
sma_emit1(const struct ma_state *s, struct ta_pt a, double *const *out,
	size_t i)
{
	out[0][i] = a.a / s->sma.n;
}

TA_INLINE struct ta_rsum *
wma_rsum(struct ma_state *s)
{
	return &s->wr;
}

TA_INLINE struct ta_pt
wma_pt(const struct ma_state *s)
{
	struct ta_pt p = { s->W, 0.0, 0.0 };

	return p;
}

TA_INLINE void
wma_emit2(const struct ma_state *s, struct ta_pt a, struct ta_pt b,
	double *const *out, size_t i)
{
	ma_emit2(s, s->denom, a, b, out, i);
}

TA_INLINE void
wma_emit1(const struct ma_state *s, struct ta_pt a, double *const *out,
	size_t i)
{
	out[0][i] = a.a / s->denom;
}

TA_WINDOW_BATCH(sma, struct ma_state, 1, sma_update, sma_rsum, sma_advance,
	sma_resum, sma_value, sma_emit2, sma_emit1)
TA_WINDOW_BATCH(wma, struct ma_state, 1, wma_update, wma_rsum, wma_advance,
	wma_resum, wma_pt, wma_emit2, wma_emit1)

/* The ops table of one kind (its name##_batch defined before). */
#define MA_OPS_TABLE(name)                                                   \
	static const struct qd_indicator_ops name##_ops = {                    \
		.base = { .size = sizeof(struct qd_indicator_ops),             \
			  .create = name##_create, .destroy = ma_destroy },    \
		.outputs = value_out, .n_outputs = 1,                          \
		.lookback = ma_lookback, .update = name##_update,              \
		.batch = name##_batch, .flags = QD_INDICATOR_OVERLAY,          \
	}

/* The ops of a kind whose batch is its update step over the series. */
#define MA_OPS(name)                                                         \
	TA_BATCH(name, struct ma_state, 1, name##_update)                      \
	MA_OPS_TABLE(name)

MA_OPS_TABLE(sma);
MA_OPS(ema);
MA_OPS_TABLE(wma);
MA_OPS(dema);
MA_OPS(tema);

#define MA_PLUGIN(id, desc)                                                  \
	const struct qd_plugin ta_##id##_plugin = {                            \
		.size = sizeof(struct qd_plugin), .kind = QD_KIND_INDICATOR,   \
		.name = #id, .version = TA_VERSION, .description = desc,       \
		.license = "MIT", .params = period_params,                     \
		.n_params = QD_COUNTOF(period_params), .ops = &id##_ops,       \
	}

MA_PLUGIN(sma, "simple moving average of the close");
MA_PLUGIN(ema, "exponential moving average, alpha 2/(n+1), SMA seed");
MA_PLUGIN(wma, "linearly weighted moving average (weights 1..n)");
MA_PLUGIN(dema, "double EMA: 2*ema - ema(ema)");
MA_PLUGIN(tema, "triple EMA: 3*ema - 3*ema(ema) + ema(ema(ema))");
