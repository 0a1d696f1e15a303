/*
 * window.c -- set-up and tear-down of the rolling windows in ta.h: rolling
 * maximum/minimum (van Herk/Gil-Werman blocks rather than monotonic deques:
 * the same O(1) amortised cost with no data-dependent branches, so random
 * walks do not mispredict) and rolling sums.  Their per-bar code, re-sums
 * included, is inline in ta.h: a call from a step would spill every live
 * double around it.
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

int
ta_rsum_init(struct ta_rsum *r, int64_t n)
{
	memset(r, 0, sizeof(*r));
	r->n = (size_t)n;
	r->every = ta_resum_every(r->n);
	r->buf = calloc(r->n, sizeof(double));
	return r->buf ? QD_OK : QD_ERR_NOMEM;
}

void
ta_rsum_fini(struct ta_rsum *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}
