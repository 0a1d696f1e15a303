/*
 * trend.c -- trend indicators: adx, psar, supertrend, ichimoku.
 *
 * Definitions:
 *   adx(n), Wilder: from bar 1, up = h_t - h_{t-1}, down = l_{t-1} - l_t;
 *     +DM = up if up > down and up > 0 else 0; -DM = down if down > up and
 *     down > 0 else 0 (equal moves, to rounding, give 0 to both); TR as
 *     atr.  TR, +DM, -DM Wilder-smoothed (seeded with the mean of the first
 *     n); +DI = 100 sm(+DM)/sm(TR), -DI likewise (first at bar n);
 *     DX = 100 |+DI - -DI| / (+DI + -DI) = 100 |sm(+DM) - sm(-DM)| /
 *     (sm(+DM) + sm(-DM)) (0 when both are 0); ADX = Wilder
 *     smoothing of DX seeded with the mean of the first n DX (first at bar
 *     2n-1).  Lookback 2n-1.
 *   psar(step, max), Wilder: the trend starts on bar 1, long if bar 1's
 *     midpoint (h+l)/2 is not below bar 0's, with SAR = bar 0's low and
 *     EP = bar 1's high (short: bar 0's high, bar 1's low).  Each bar:
 *     SAR += AF (EP - SAR), clamped not to pass the previous two bars'
 *     lows (long) / highs (short); a new extreme raises AF by step up to
 *     max; a bar crossing the SAR reverses: SAR = EP, EP = the bar's
 *     extreme, AF = step.  The value on bar t is the SAR for bar t.
 *     Lookback 1.
 *   supertrend(n, mult), Olivier Seban's: ATR(n) Wilder; hl2 = (h+l)/2;
 *     basic bands hl2 -/+ mult ATR; the final upper band only falls (and
 *     the lower only rises) unless the previous close broke through it;
 *     direction turns up (+1) when the close rises above the bar's final
 *     upper band and down (-1) when it falls below its final lower band;
 *     value = the lower band in an uptrend, the upper band in a downtrend.
 *     Starts down on its first bar unless the close is above hl2.
 *     Lookback n.
 *   ichimoku(tenkan, kijun, senkou): tenkan = midpoint of the highest high
 *     and lowest low over `tenkan` bars, kijun over `kijun`, span_b over
 *     `senkou`, span_a = (tenkan + kijun) / 2, chikou = close.  All are the
 *     values computed AT bar t from data up to t (no look-ahead): charts
 *     plot span_a/span_b `kijun` bars ahead and chikou `kijun` bars back.
 *     Lookback max(tenkan, kijun, senkou) - 1.
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

static const char *const value_out[] = { "value" };

/* ---- adx ------------------------------------------------------------------ */

struct adx {
	int64_t n;
	struct ta_wilder tr, pdm, mdm, adx;
	double ph, pl, pc;   /* previous high, low, close */
	int have_prev;
};

static int
adx_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct adx *a = calloc(1, sizeof(*a));

	(void)ctx;
	if (a == NULL)
		return QD_ERR_NOMEM;
	a->n = api->param_int(p, "period");
	ta_wilder_init(&a->tr, a->n);
	ta_wilder_init(&a->pdm, a->n);
	ta_wilder_init(&a->mdm, a->n);
	ta_wilder_init(&a->adx, a->n);
	*state = a;
	return QD_OK;
}

static uint32_t
adx_lookback(const void *state)
{
	return (uint32_t)(2 * ((const struct adx *)state)->n - 1);
}

TA_STEP
adx_update(void *state, const struct qd_bar *b, double *out)
{
	struct adx *a = state;
	double up, down, pdm, mdm, tr, str, spdm, smdm, sum, k;
	int cmp;

	out[0] = out[1] = out[2] = NAN;
	if (TA_UNLIKELY(!a->have_prev)) {
		a->have_prev = 1;
		a->ph = b->high;
		a->pl = b->low;
		a->pc = b->close;
		return;
	}
	/* up - down = (h + l) - (h' + l'): compare sums, ties to rounding. */
	up = b->high - a->ph;
	down = a->pl - b->low;
	cmp = ta_cmp(b->high + b->low, a->ph + a->pl);
	pdm = ta_when((cmp > 0) & (ta_cmp(b->high, a->ph) > 0), up);
	mdm = ta_when((cmp < 0) & (ta_cmp(a->pl, b->low) > 0), down);
	tr = ta_true_range(b, a->pc);
	a->ph = b->high;
	a->pl = b->low;
	a->pc = b->close;
	str = ta_wilder_push(&a->tr, tr);
	spdm = ta_wilder_push(&a->pdm, pdm);
	smdm = ta_wilder_push(&a->mdm, mdm);
	if (TA_UNLIKELY(isnan(str)))
		return;
	/* One division for both DIs: 100/TR is rounded once, so a DI may
	 * differ from 100 DM / TR in its last bit. */
	k = str > 0.0 ? 100.0 / str : 0.0;
	out[1] = k * spdm;
	out[2] = k * smdm;
	/* DX = 100 |+DI - -DI| / (+DI + -DI); the common 100/TR cancels, so
	 * it is computed from the smoothed DMs: one division, fewer
	 * roundings. */
	sum = spdm + smdm;
	out[0] = ta_wilder_push(&a->adx, sum > 0.0 ?
		100.0 * fabs(spdm - smdm) / sum : 0.0);
}

static const struct qd_param_spec period14[] = {
	QD_PARAM_INT_SPEC("period", 14, 1, 100000, "window length in bars"),
};
static const char *const adx_outs[] = { "adx", "plus_di", "minus_di" };

TA_PLUGIN(adx, "average directional index with +DI/-DI (Wilder)", period14,
	adx_outs, struct adx, adx_create, plain_destroy, adx_lookback,
	adx_update, 0);

/* ---- psar ----------------------------------------------------------------- */

struct psar {
	double step, max;
	int t;               /* bars seen, capped at 2 */
	int lng;
	double sar, ep, af;
	double h1, l1, h2, l2; /* previous bar's high/low, the one before's */
};

static int
psar_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct psar *s = calloc(1, sizeof(*s));

	(void)ctx;
	if (s == NULL)
		return QD_ERR_NOMEM;
	s->step = api->param_double(p, "step");
	s->max = api->param_double(p, "max");
	if (s->step > s->max) {
		api->log(ctx, QD_LOG_ERROR, "psar: step %g exceeds max %g",
			s->step, s->max);
		free(s);
		return QD_ERR_INVALID;
	}
	*state = s;
	return QD_OK;
}

static uint32_t
one_lookback(const void *state)
{
	(void)state;
	return 1;
}

TA_STEP
psar_update(void *state, const struct qd_bar *b, double *out)
{
	struct psar *s = state;
	double sar;

	if (s->t == 0) {
		s->t = 1;
		s->h1 = b->high;
		s->l1 = b->low;
		out[0] = NAN;
		return;
	}
	if (s->t == 1) {
		s->t = 2;
		s->lng = (b->high + b->low) >= (s->h1 + s->l1);
		s->sar = s->lng ? s->l1 : s->h1;
		s->ep = s->lng ? b->high : b->low;
		s->af = s->step;
		s->h2 = s->h1;
		s->l2 = s->l1;
		s->h1 = b->high;
		s->l1 = b->low;
		out[0] = s->sar;
		return;
	}
	sar = s->sar + s->af * (s->ep - s->sar);
	if (s->lng) {
		sar = ta_min(sar, ta_min(s->l1, s->l2));
		if (b->low < sar) {
			s->lng = 0;
			sar = s->ep;
			s->ep = b->low;
			s->af = s->step;
		} else {
			/* A new extreme high raises AF by one step (branch-
			 * free: af + 0 and max(ep, high) leave both as they
			 * were otherwise). */
			s->af = ta_min(s->af + ta_when(b->high > s->ep,
				s->step), s->max);
			s->ep = ta_max(s->ep, b->high);
		}
	} else {
		sar = ta_max(sar, ta_max(s->h1, s->h2));
		if (b->high > sar) {
			s->lng = 1;
			sar = s->ep;
			s->ep = b->high;
			s->af = s->step;
		} else {
			s->af = ta_min(s->af + ta_when(b->low < s->ep, s->step),
				s->max);
			s->ep = ta_min(s->ep, b->low);
		}
	}
	s->sar = sar;
	s->h2 = s->h1;
	s->l2 = s->l1;
	s->h1 = b->high;
	s->l1 = b->low;
	out[0] = sar;
}

static const struct qd_param_spec psar_params[] = {
	QD_PARAM_DOUBLE_SPEC("step", 0.02, 1e-6, 1.0,
		"acceleration factor step"),
	QD_PARAM_DOUBLE_SPEC("max", 0.2, 1e-6, 1.0, "acceleration factor cap"),
};

TA_PLUGIN(psar, "parabolic SAR (Wilder)", psar_params, value_out, struct psar,
	psar_create, plain_destroy, one_lookback, psar_update, QD_INDICATOR_OVERLAY);

/* ---- supertrend ----------------------------------------------------------- */

struct supertrend {
	int64_t n;
	double mult;
	struct ta_wilder atr;
	double prev_close, up, dn;
	int have_prev, dir, started;
};

static int
supertrend_create(const struct qd_host_api *api, qd_ctx *ctx,
	const qd_params *p, void **state)
{
	struct supertrend *s = calloc(1, sizeof(*s));

	(void)ctx;
	if (s == NULL)
		return QD_ERR_NOMEM;
	s->n = api->param_int(p, "period");
	s->mult = api->param_double(p, "mult");
	ta_wilder_init(&s->atr, s->n);
	*state = s;
	return QD_OK;
}

static uint32_t
supertrend_lookback(const void *state)
{
	return (uint32_t)((const struct supertrend *)state)->n;
}

TA_STEP
supertrend_update(void *state, const struct qd_bar *b, double *out)
{
	struct supertrend *s = state;
	double a, hl2, bu, bd, up, dn;

	out[0] = out[1] = NAN;
	if (TA_UNLIKELY(!s->have_prev)) {
		s->have_prev = 1;
		s->prev_close = b->close;
		return;
	}
	a = ta_wilder_push(&s->atr, ta_true_range(b, s->prev_close));
	if (TA_UNLIKELY(isnan(a))) {
		s->prev_close = b->close;
		return;
	}
	hl2 = (b->high + b->low) / 2.0;
	bu = hl2 + s->mult * a;
	bd = hl2 - s->mult * a;
	if (!s->started) {
		s->started = 1;
		up = bu;
		dn = bd;
		s->dir = b->close > hl2 ? 1 : -1;
	} else {
		/* The upper band only falls unless the previous close broke
		 * above it (rare, so that branch predicts well); min/max are
		 * one instruction each. */
		up = s->prev_close > s->up ? bu : ta_min(bu, s->up);
		dn = s->prev_close < s->dn ? bd : ta_max(bd, s->dn);
		if (s->dir < 0 && b->close > up)
			s->dir = 1;
		else if (s->dir > 0 && b->close < dn)
			s->dir = -1;
	}
	s->up = up;
	s->dn = dn;
	s->prev_close = b->close;
	out[0] = s->dir > 0 ? dn : up;
	out[1] = (double)s->dir;
}

static const struct qd_param_spec supertrend_params[] = {
	QD_PARAM_INT_SPEC("period", 10, 1, 100000, "ATR period"),
	QD_PARAM_DOUBLE_SPEC("mult", 3.0, 0.0, 100.0, "ATR multiple"),
};
static const char *const supertrend_outs[] = { "value", "direction" };
/* The stop line is a price (over the candles); the direction, +1/-1, is
 * not (a pane of its own). */
static const uint32_t supertrend_places[] = { 0, QD_OUTPUT_PANE };

TA_BATCH(supertrend, struct supertrend, QD_COUNTOF(supertrend_outs),
	supertrend_update)
TA_PLUGIN_OPS_PLACED(supertrend,
	"SuperTrend: ATR bands that only tighten, direction +1/-1",
	supertrend_params, supertrend_outs, supertrend_create, plain_destroy,
	supertrend_lookback, supertrend_update, QD_INDICATOR_OVERLAY,
	supertrend_places);

/* ---- ichimoku ------------------------------------------------------------- */

struct ichimoku {
	int64_t tk, kj, sk;
	struct ta_minmax mt, mk, ms;
};

static void
ichimoku_destroy(void *state)
{
	struct ichimoku *i = state;

	ta_minmax_fini(&i->mt);
	ta_minmax_fini(&i->mk);
	ta_minmax_fini(&i->ms);
	free(i);
}

static int
ichimoku_create(const struct qd_host_api *api, qd_ctx *ctx,
	const qd_params *p, void **state)
{
	struct ichimoku *i = calloc(1, sizeof(*i));

	(void)ctx;
	if (i == NULL)
		return QD_ERR_NOMEM;
	i->tk = api->param_int(p, "tenkan");
	i->kj = api->param_int(p, "kijun");
	i->sk = api->param_int(p, "senkou");
	if (ta_minmax_init(&i->mt, i->tk) != QD_OK ||
	    ta_minmax_init(&i->mk, i->kj) != QD_OK ||
	    ta_minmax_init(&i->ms, i->sk) != QD_OK) {
		ichimoku_destroy(i);
		return QD_ERR_NOMEM;
	}
	*state = i;
	return QD_OK;
}

static uint32_t
ichimoku_lookback(const void *state)
{
	const struct ichimoku *i = state;
	int64_t m = i->tk > i->kj ? i->tk : i->kj;

	return (uint32_t)((m > i->sk ? m : i->sk) - 1);
}

TA_INLINE double
mid(const struct ta_minmax *m)
{
	return ta_minmax_full(m) ?
		(ta_minmax_max(m) + ta_minmax_min(m)) / 2.0 : NAN;
}

TA_STEP
ichimoku_update(void *state, const struct qd_bar *b, double *out)
{
	struct ichimoku *i = state;
	double h = b->high, l = b->low, t, k;

	/* h and l in registers: each push stores doubles that could, for
	 * all the compiler knows, be *b */
	ta_minmax_push(&i->mt, h, l);
	ta_minmax_push(&i->mk, h, l);
	ta_minmax_push(&i->ms, h, l);
	t = mid(&i->mt);
	k = mid(&i->mk);
	out[0] = t;
	out[1] = k;
	out[2] = isnan(t) || isnan(k) ? NAN : (t + k) / 2.0;
	out[3] = mid(&i->ms);
	out[4] = b->close;
}

static const struct qd_param_spec ichimoku_params[] = {
	QD_PARAM_INT_SPEC("tenkan", 9, 1, 100000, "conversion line period"),
	QD_PARAM_INT_SPEC("kijun", 26, 1, 100000, "base line period"),
	QD_PARAM_INT_SPEC("senkou", 52, 1, 100000, "leading span B period"),
};
static const char *const ichimoku_outs[] = {
	"tenkan", "kijun", "span_a", "span_b", "chikou"
};

TA_PLUGIN(ichimoku,
	"Ichimoku cloud, values at bar t (plot shifts documented)",
	ichimoku_params, ichimoku_outs, struct ichimoku, ichimoku_create,
	ichimoku_destroy, ichimoku_lookback, ichimoku_update, QD_INDICATOR_OVERLAY);
