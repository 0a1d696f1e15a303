/*
 * window.c -- rolling maximum/minimum (monotonic deques) and rolling sums
 * shared by the indicators.
 */
#include <stdlib.h>
#include <string.h>

#include "ta.h"

int
ta_minmax_init(struct ta_minmax *m, int64_t n)
{
	memset(m, 0, sizeof(*m));
	m->n = (size_t)n;
	m->cap = (size_t)n + 1;
	m->maxv = calloc(m->cap, sizeof(double));
	m->maxi = calloc(m->cap, sizeof(uint64_t));
	m->minv = calloc(m->cap, sizeof(double));
	m->mini = calloc(m->cap, sizeof(uint64_t));
	if (!m->maxv || !m->maxi || !m->minv || !m->mini) {
		ta_minmax_fini(m);
		return QD_ERR_NOMEM;
	}
	return QD_OK;
}

void
ta_minmax_fini(struct ta_minmax *m)
{
	free(m->maxv);
	free(m->maxi);
	free(m->minv);
	free(m->mini);
	memset(m, 0, sizeof(*m));
}

/*
 * Push the bar's high and low.  Each deque keeps values in monotonic order
 * with their bar index; entries older than n bars are dropped from the
 * front.  Amortised O(1).
 */
void
ta_minmax_push(struct ta_minmax *m, double hi, double lo)
{
	uint64_t t = m->t++;
	size_t cap = m->cap;

	while (m->maxlen > 0) {
		size_t back = (m->maxh + m->maxlen - 1) % cap;

		if (m->maxv[back] > hi)
			break;
		m->maxlen--;
	}
	m->maxv[(m->maxh + m->maxlen) % cap] = hi;
	m->maxi[(m->maxh + m->maxlen) % cap] = t;
	m->maxlen++;
	while (m->maxi[m->maxh] + m->n <= t) {
		m->maxh = (m->maxh + 1) % cap;
		m->maxlen--;
	}
	while (m->minlen > 0) {
		size_t back = (m->minh + m->minlen - 1) % cap;

		if (m->minv[back] < lo)
			break;
		m->minlen--;
	}
	m->minv[(m->minh + m->minlen) % cap] = lo;
	m->mini[(m->minh + m->minlen) % cap] = t;
	m->minlen++;
	while (m->mini[m->minh] + m->n <= t) {
		m->minh = (m->minh + 1) % cap;
		m->minlen--;
	}
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

/* Add x to the window of the last n values; re-anchor every 65536 pushes. */
void
ta_rsum_push(struct ta_rsum *r, double x)
{
	if (r->count >= r->n)
		ta_sum_add(&r->sum, -r->buf[r->head]);
	else
		r->count++;
	r->buf[r->head] = x;
	r->head = r->head + 1 == r->n ? 0 : r->head + 1;
	ta_sum_add(&r->sum, x);
	if (++r->since_anchor >= 65536) {
		size_t i;

		ta_sum_reset(&r->sum);
		for (i = 0; i < r->count; i++)
			ta_sum_add(&r->sum, r->buf[i]);
		r->since_anchor = 0;
	}
}
