/*
 * ta.h -- internals shared by the indicator pack's files (not part of the
 * SDK; plugins include only <quantd/sdk.h>, this is the pack's own header).
 */
#ifndef QD_TA_H
#define QD_TA_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <quantd/sdk.h>

#define TA_VERSION "1.0.0"

/* Neumaier-compensated running sum. */
struct ta_sum {
	double s;
	double c;
};

static inline void
ta_sum_reset(struct ta_sum *t)
{
	t->s = t->c = 0.0;
}

static inline void
ta_sum_add(struct ta_sum *t, double x)
{
	double u = t->s + x;

	if (fabs(t->s) >= fabs(x))
		t->c += (t->s - u) + x;
	else
		t->c += (x - u) + t->s;
	t->s = u;
}

static inline double
ta_sum_value(const struct ta_sum *t)
{
	return t->s + t->c;
}

/* Simple moving average over a ring buffer. */
struct ta_sma {
	double *buf;
	size_t n, head, count, since_anchor;
	struct ta_sum sum;
};

int ta_sma_init(struct ta_sma *s, int64_t n);
void ta_sma_fini(struct ta_sma *s);
/* Push x; the mean of the last n values, or NaN before n values. */
double ta_sma_push(struct ta_sma *s, double x);

/* EMA with alpha 2/(n+1), seeded with the SMA of the first n inputs; NaN
 * inputs are skipped (so EMAs can be chained over warming inputs). */
struct ta_ema {
	size_t n, count;
	double alpha, value;
	struct ta_sum seed;
};

void ta_ema_init(struct ta_ema *e, int64_t n);
double ta_ema_push(struct ta_ema *e, double x);

extern const struct qd_plugin ta_sma_plugin, ta_ema_plugin, ta_wma_plugin,
	ta_dema_plugin, ta_tema_plugin;

#endif
