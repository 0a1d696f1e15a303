/*
 * window.c -- rolling maximum/minimum (monotonic deques) and rolling sums
 * shared by the indicators.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ta.h"

int
ta_minmax_init(struct ta_minmax *m, int64_t n)
{
	size_t k;

	memset(m, 0, sizeof(*m));
	m->n = (size_t)n;
	m->hi = calloc(m->n, sizeof(double));
	m->lo = calloc(m->n, sizeof(double));
	m->suf_hi = calloc(m->n + 1, sizeof(double));
	m->suf_lo = calloc(m->n + 1, sizeof(double));
	if (!m->hi || !m->lo || !m->suf_hi || !m->suf_lo) {
		ta_minmax_fini(m);
		return QD_ERR_NOMEM;
	}
	for (k = 0; k <= m->n; k++) {
		m->suf_hi[k] = -INFINITY;
		m->suf_lo[k] = INFINITY;
	}
	m->pre_hi = -INFINITY;
	m->pre_lo = INFINITY;
	return QD_OK;
}

void
ta_minmax_fini(struct ta_minmax *m)
{
	free(m->hi);
	free(m->lo);
	free(m->suf_hi);
	free(m->suf_lo);
	memset(m, 0, sizeof(*m));
}

/*
 * Streaming van Herk/Gil-Werman: the input is cut into blocks of n bars.
 * For the bar at position j of the current block, the window of the last n
 * bars is positions j+1..n-1 of the previous block plus 0..j of this one,
 * so its maximum is max(suffix max of the previous block from j+1, prefix
 * max of this block).  Suffix maxima are computed once per completed block:
 * about three comparisons per bar, no data-dependent branches.
 */
void
ta_minmax_push(struct ta_minmax *m, double hi, double lo)
{
	size_t j = m->j, k;

	m->hi[j] = hi;
	m->lo[j] = lo;
	m->pre_hi = ta_max(m->pre_hi, hi);
	m->pre_lo = ta_min(m->pre_lo, lo);
	m->max = ta_max(m->suf_hi[j + 1], m->pre_hi);
	m->min = ta_min(m->suf_lo[j + 1], m->pre_lo);
	m->t++;
	if (j + 1 < m->n) {
		m->j = j + 1;
		return;
	}
	/* Block complete: its suffix extremes serve the next block. */
	m->suf_hi[m->n] = -INFINITY;
	m->suf_lo[m->n] = INFINITY;
	for (k = m->n; k-- > 0;) {
		m->suf_hi[k] = ta_max(m->suf_hi[k + 1], m->hi[k]);
		m->suf_lo[k] = ta_min(m->suf_lo[k + 1], m->lo[k]);
	}
	m->pre_hi = -INFINITY;
	m->pre_lo = INFINITY;
	m->j = 0;
}

int
ta_rsum_init(struct ta_rsum *r, int64_t n)
{
	memset(r, 0, sizeof(*r));
	r->n = (size_t)n;
	r->buf = calloc(r->n, sizeof(double));
	return r->buf ? QD_OK : QD_ERR_NOMEM;
}

void
ta_rsum_fini(struct ta_rsum *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/*
 * Add x to the window of the last n values.  A plain running sum, recomputed
 * from the window each time the ring wraps (every n pushes): the error never
 * exceeds that of summing one window afresh, so it cannot drift, and the
 * amortised cost is one extra add per push.
 */
void
ta_rsum_push(struct ta_rsum *r, double x)
{
	if (r->count >= r->n)
		r->s -= r->buf[r->head];
	else
		r->count++;
	r->buf[r->head] = x;
	r->s += x;
	if (++r->head == r->n) {
		size_t i;
		double s = 0.0;

		r->head = 0;
		for (i = 0; i < r->n; i++)
			s += r->buf[i];
		r->s = s;
	}
}
