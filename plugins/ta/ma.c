/*
 * ma.c -- moving averages of the close: sma, ema, wma, dema, tema.
 *
 * Streaming, O(1) per bar.  Conventions (the contract):
 *   - sma(n): mean of the last n closes; first value on bar n (lookback n-1).
 *     The running sum is recomputed from the window every n bars, so it
 *     does not drift.
 *   - ema(n): alpha = 2/(n+1) for every n, seeded with the SMA of the first
 *     n closes (first value on bar n, lookback n-1).
 *   - wma(n): weights 1..n (newest heaviest), divided by n(n+1)/2; O(1) by
 *     keeping the plain sum and the weighted sum, both recomputed from the
 *     window each time the ring wraps (every n bars), like sma.  First value
 *     on bar n (lookback n-1).
 *   - dema(n) = 2*ema - ema(ema); lookback 2(n-1).
 *   - tema(n) = 3*ema - 3*ema(ema) + ema(ema(ema)); lookback 3(n-1).
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
	/* wma: the window, its plain sum S and weighted sum W */
	double *buf;
	size_t head, count;
	double S, W, denom;       /* n (n+1) / 2 */
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
	if (kind == 2 && (s->buf = calloc((size_t)s->n, sizeof(double))) == NULL)
		goto fail;
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
	free(s->buf);
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
 * with weight count.  Each time the ring wraps, S and W are recomputed from
 * the window, so rounding never accumulates beyond one window's worth.
 * Returns W (the caller divides by n(n+1)/2), NaN until the window is full.
 */
TA_INLINE double
wma_push(struct ma_state *s, double x)
{
	size_t n = (size_t)s->n, i;
	double old = s->buf[s->head];

	if (s->count < n) {
		s->count++;
		s->W += (double)s->count * x;
		s->S += x;
	} else {
		s->W += (double)n * x - s->S;
		s->S += x - old;
	}
	s->buf[s->head] = x;
	if (++s->head == n) {
		double S0 = 0.0, S1 = 0.0, W0 = 0.0, W1 = 0.0;

		/* Oldest at 0, newest at n-1 now.  Two partial sums each:
		 * half the dependent adds on the way to the next bar. */
		s->head = 0;
		for (i = 0; i + 2 <= n; i += 2) {
			S0 += s->buf[i];
			S1 += s->buf[i + 1];
			W0 += (double)(i + 1) * s->buf[i];
			W1 += (double)(i + 2) * s->buf[i + 1];
		}
		if (i < n) {
			S0 += s->buf[i];
			W0 += (double)(i + 1) * s->buf[i];
		}
		s->S = S0 + S1;
		s->W = W0 + W1;
	}
	return s->count < n ? NAN : s->W;
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

	out[0] = wma_push(s, bar->close) / s->denom;
}

TA_STEP
ema_update(void *state, const struct qd_bar *bar, double *out)
{
	struct ma_state *s = state;

	out[0] = ta_ema_push(&s->e1, bar->close);
}

TA_STEP
dema_update(void *state, const struct qd_bar *bar, double *out)
{
	struct ma_state *s = state;
	double a = ta_ema_push(&s->e1, bar->close);
	double b = ta_ema_push(&s->e2, a);

	out[0] = isnan(b) ? NAN : 2.0 * a - b;
}

TA_STEP
tema_update(void *state, const struct qd_bar *bar, double *out)
{
	struct ma_state *s = state;
	double a = ta_ema_push(&s->e1, bar->close);
	double b = ta_ema_push(&s->e2, a);
	double c = ta_ema_push(&s->e3, b);

	out[0] = isnan(c) ? NAN : 3.0 * a - 3.0 * b + c;
}

static const char *const value_out[] = { "value" };

static const struct qd_param_spec period_params[] = {
	QD_PARAM_INT_SPEC("period", 14, 1, 100000, "window length in bars"),
};

/*
 * The batches of sma and wma: the same steps, bars taken in pairs so that
 * their two divisions go in one vector division (the divider's throughput,
 * not the additions, bounds a batch of plain divisions).  Same quotients,
 * bit for bit, as update().  push(st, x) is the step before its division,
 * div(st) the divisor.
 */
#define MA_PAIR_BATCH(name, push, div)                                       \
	static void                                                            \
	name##_batch(void *state, const struct qd_series *s,                   \
		double *const *out)                                            \
	{                                                                      \
		struct ma_state st = *(struct ma_state *)state;                \
		double *o = out[0], d = div(&st);                              \
		ta_v2d dd = { d, d };                                          \
		size_t i;                                                      \
                                                                               \
		for (i = 0; i + 2 <= s->n; i += 2) {                           \
			ta_v2d q = { push(&st, s->close[i]),                   \
				push(&st, s->close[i + 1]) };                  \
                                                                               \
			q = q / dd;                                            \
			o[i] = q[0];                                           \
			o[i + 1] = q[1];                                       \
		}                                                              \
		for (; i < s->n; i++)                                          \
			o[i] = push(&st, s->close[i]) / d;                     \
		*(struct ma_state *)state = st;                                \
	}

TA_INLINE double
sma_sum(struct ma_state *s, double x)
{
	return ta_sma_sum_push(&s->sma, x);
}

TA_INLINE double
sma_n(const struct ma_state *s)
{
	return s->sma.n;
}

TA_INLINE double
wma_denom(const struct ma_state *s)
{
	return s->denom;
}

MA_PAIR_BATCH(sma, sma_sum, sma_n)
MA_PAIR_BATCH(wma, wma_push, wma_denom)

/* The ops table of one kind (its name##_batch defined before). */
#define MA_OPS_TABLE(name)                                                   \
	static const struct qd_indicator_ops name##_ops = {                    \
		.base = { .size = sizeof(struct qd_indicator_ops),             \
			  .create = name##_create, .destroy = ma_destroy },    \
		.outputs = value_out, .n_outputs = 1,                          \
		.lookback = ma_lookback, .update = name##_update,              \
		.batch = name##_batch,                                         \
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
