/*
 * chan_core.c -- Chan theory structures (definitions in chan_core.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chan_core.h"

#define GROW(arr, n, cap)                                                    \
	(((n) < (cap)) ? 0 : chan_grow((void **)&(arr), &(cap), sizeof(*(arr))))

static int
chan_grow(void **arr, size_t *cap, size_t size)
{
	size_t nc = *cap ? *cap * 2 : 64;
	void *n = realloc(*arr, nc * size);

	if (n == NULL)
		return -1;
	*arr = n;
	*cap = nc;
	return 0;
}

void
chan_init(struct chan *c, size_t min_gap)
{
	memset(c, 0, sizeof(*c));
	c->min_gap = min_gap ? min_gap : 4;
	c->kdir = 1;
}

void
chan_free(struct chan *c)
{
	free(c->k);
	free(c->f);
	free(c->s);
	free(c->seg);
	free(c->pv);
	free(c->pt);
	free(c->area);
	memset(c, 0, sizeof(*c));
}

static double
s_high(const struct chan_stroke *s)
{
	return s->dir > 0 ? s->to.price : s->from.price;
}

static double
s_low(const struct chan_stroke *s)
{
	return s->dir > 0 ? s->from.price : s->to.price;
}

static double
area_of(const struct chan *c, const struct chan_fractal *a,
	const struct chan_fractal *b)
{
	size_t lo = a->bar < b->bar ? a->bar : b->bar;
	size_t hi = a->bar < b->bar ? b->bar : a->bar;

	if (hi + 1 >= c->nbars + 1)
		hi = c->nbars - 1;
	return c->area[hi + 1] - c->area[lo];
}

static int
add_point(struct chan *c, int cls, int side, const struct chan_fractal *f)
{
	if (GROW(c->pt, c->npt, c->cappt) != 0)
		return -1;
	c->pt[c->npt].cls = cls;
	c->pt[c->npt].side = side;
	c->pt[c->npt].bar = f->bar;
	c->pt[c->npt].ts = f->ts;
	c->pt[c->npt].price = f->price;
	c->npt++;
	return 1;
}

/* Pivots: extend the open one or find a new one among the last 3 strokes. */
static int
update_pivots(struct chan *c)
{
	size_t n = c->ns;
	const struct chan_stroke *s = &c->s[n - 1];

	if (c->npv > 0 && c->pv[c->npv - 1].to == n - 2) {
		struct chan_pivot *p = &c->pv[c->npv - 1];

		if (s_low(s) < p->zg && s_high(s) > p->zd) {
			p->to = n - 1;
			p->ts_to = s->to.ts;
			return 0;
		}
	}
	/* A pivot is three strokes after the stroke that entered it. */
	if (n >= 4 && (c->npv == 0 || c->pv[c->npv - 1].to < n - 3)) {
		double zg = s_high(&c->s[n - 3]), zd = s_low(&c->s[n - 3]);
		size_t i;

		for (i = n - 2; i < n; i++) {
			zg = s_high(&c->s[i]) < zg ? s_high(&c->s[i]) : zg;
			zd = s_low(&c->s[i]) > zd ? s_low(&c->s[i]) : zd;
		}
		if (zg > zd) {
			if (GROW(c->pv, c->npv, c->cappv) != 0)
				return -1;
			c->pv[c->npv].from = n - 3;
			c->pv[c->npv].to = n - 1;
			c->pv[c->npv].zg = zg;
			c->pv[c->npv].zd = zd;
			c->pv[c->npv].ts_from = c->s[n - 3].from.ts;
			c->pv[c->npv].ts_to = s->to.ts;
			c->npv++;
		}
	}
	return 0;
}

/* Segments: close the open one on a characteristic-sequence fractal. */
static int
update_segments(struct chan *c)
{
	size_t idx[3], m = 0, i;
	int dir;

	if (c->ns - c->seg_start < 3)
		return 0;
	dir = c->s[c->seg_start].dir;
	for (i = c->ns; i-- > c->seg_start + 1 && m < 3;)
		if (c->s[i].dir != dir)
			idx[m++] = i;   /* newest first */
	if (m < 3)
		return 0;
	/* idx[2], idx[1], idx[0]: c1, c2, c3 in time order. */
	if ((dir > 0 && s_high(&c->s[idx[1]]) > s_high(&c->s[idx[2]]) &&
	    s_high(&c->s[idx[1]]) > s_high(&c->s[idx[0]])) ||
	    (dir < 0 && s_low(&c->s[idx[1]]) < s_low(&c->s[idx[2]]) &&
	    s_low(&c->s[idx[1]]) < s_low(&c->s[idx[0]]))) {
		struct chan_segment *g;
		size_t j;

		if (GROW(c->seg, c->nseg, c->capseg) != 0)
			return -1;
		g = &c->seg[c->nseg++];
		g->dir = dir;
		g->from = c->seg_start;
		g->to = idx[1] - 1;
		g->high = -INFINITY;
		g->low = INFINITY;
		for (j = g->from; j <= g->to; j++) {
			g->high = s_high(&c->s[j]) > g->high ?
				s_high(&c->s[j]) : g->high;
			g->low = s_low(&c->s[j]) < g->low ?
				s_low(&c->s[j]) : g->low;
		}
		c->seg_start = idx[1];
	}
	return 0;
}

/* The last stroke of direction `dir` before stroke `before`, or NULL. */
static const struct chan_stroke *
entering(const struct chan *c, size_t before, int dir)
{
	size_t j;

	for (j = before; j-- > 0;)
		if (c->s[j].dir == dir)
			return &c->s[j];
	return NULL;
}

/* Buy/sell points at the end of the newest stroke.  Count or -1. */
static int
update_points(struct chan *c)
{
	size_t n = c->ns;
	const struct chan_stroke *s = &c->s[n - 1];
	const struct chan_pivot *pv = c->npv ? &c->pv[c->npv - 1] : NULL;
	const struct chan_stroke *in = pv ? entering(c, pv->from, s->dir) :
		NULL;
	const struct chan_stroke *leave = n >= 2 ? &c->s[n - 2] : NULL;

	if (s->dir < 0) {
		/* The first pull-back after a 1st buy: 2nd buy if higher. */
		if (c->first_buy_seen) {
			c->first_buy_seen = 0;
			if (s_low(s) > c->first_buy_low)
				return add_point(c, 2, +1, &s->to);
		}
		if (pv && in && s_low(s) < pv->zd && s_low(s) < s_low(in) &&
		    s->area < in->area) {
			c->first_buy_seen = 1;
			c->first_buy_low = s_low(s);
			return add_point(c, 1, +1, &s->to);
		}
		if (pv && leave && pv->to == n - 2 && s_high(leave) > pv->zg &&
		    s_low(s) > pv->zg)
			return add_point(c, 3, +1, &s->to);
		return 0;
	}
	if (c->first_sell_seen) {
		c->first_sell_seen = 0;
		if (s_high(s) < c->first_sell_high)
			return add_point(c, 2, -1, &s->to);
	}
	if (pv && in && s_high(s) > pv->zg && s_high(s) > s_high(in) &&
	    s->area < in->area) {
		c->first_sell_seen = 1;
		c->first_sell_high = s_high(s);
		return add_point(c, 1, -1, &s->to);
	}
	if (pv && leave && pv->to == n - 2 && s_low(leave) < pv->zd &&
	    s_high(s) < pv->zd)
		return add_point(c, 3, -1, &s->to);
	return 0;
}

/* A new fractal: extend the last stroke or start a new one. */
static int
on_fractal(struct chan *c, const struct chan_fractal *f)
{
	struct chan_stroke *last;
	const struct chan_fractal *end;

	if (c->ns == 0) {
		/* Before the first stroke: f[0..] holds candidates; the
		 * most extreme fractal of a kind stands for it. */
		size_t i;

		for (i = c->nf - 1; i-- > 0;) {
			const struct chan_fractal *a = &c->f[i];

			if (a->type == f->type || f->k - a->k < c->min_gap)
				continue;
			if ((f->type > 0 && f->price > a->price) ||
			    (f->type < 0 && f->price < a->price)) {
				if (GROW(c->s, c->ns, c->caps) != 0)
					return -1;
				c->s[0].dir = f->type;
				c->s[0].from = *a;
				c->s[0].to = *f;
				c->s[0].area = area_of(c, a, f);
				c->ns = 1;
				return 0;
			}
		}
		return 0;
	}
	last = &c->s[c->ns - 1];
	end = &last->to;
	if (f->type == end->type) {
		if ((f->type > 0 && f->price > end->price) ||
		    (f->type < 0 && f->price < end->price)) {
			last->to = *f;
			last->area = area_of(c, &last->from, f);
		}
		return 0;
	}
	if (f->k - end->k < c->min_gap ||
	    (f->type > 0 && f->price <= end->price) ||
	    (f->type < 0 && f->price >= end->price))
		return 0;
	if (GROW(c->s, c->ns, c->caps) != 0)
		return -1;
	last = &c->s[c->ns - 1];
	c->s[c->ns].dir = f->type;
	c->s[c->ns].from = last->to;
	c->s[c->ns].to = *f;
	c->s[c->ns].area = area_of(c, &last->to, f);
	c->ns++;
	if (update_pivots(c) != 0 || update_segments(c) != 0)
		return -1;
	return update_points(c);
}

int
chan_push(struct chan *c, const struct qd_bar *b)
{
	double macd, hist;
	size_t m;

	/* MACD(12, 26, 9) smoothing from the first close. */
	if (c->nbars == 0) {
		c->ema12 = c->ema26 = b->close;
		c->sig = 0;
	} else {
		c->ema12 += (2.0 / 13.0) * (b->close - c->ema12);
		c->ema26 += (2.0 / 27.0) * (b->close - c->ema26);
	}
	macd = c->ema12 - c->ema26;
	c->sig += (2.0 / 10.0) * (macd - c->sig);
	hist = macd - c->sig;
	if (GROW(c->area, c->nbars + 1, c->caparea) != 0)
		return -1;
	if (c->nbars == 0)
		c->area[0] = 0;
	c->area[c->nbars + 1] = c->area[c->nbars] + fabs(hist);
	c->nbars++;

	/* Inclusion. */
	if (c->nk > 0) {
		struct chan_kline *l = &c->k[c->nk - 1];

		if ((b->high <= l->high && b->low >= l->low) ||
		    (b->high >= l->high && b->low <= l->low)) {
			if (c->kdir > 0) {
				if (b->high >= l->high) {
					l->bar = c->nbars - 1;
					l->ets = b->ts;
				}
				l->high = b->high > l->high ? b->high : l->high;
				l->low = b->low > l->low ? b->low : l->low;
			} else {
				if (b->low <= l->low) {
					l->bar = c->nbars - 1;
					l->ets = b->ts;
				}
				l->high = b->high < l->high ? b->high : l->high;
				l->low = b->low < l->low ? b->low : l->low;
			}
			return 0;
		}
		c->kdir = b->high > l->high ? 1 : -1;
	}
	if (GROW(c->k, c->nk, c->capk) != 0)
		return -1;
	c->k[c->nk].ts = b->ts;
	c->k[c->nk].high = b->high;
	c->k[c->nk].low = b->low;
	c->k[c->nk].bar = c->nbars - 1;
	c->k[c->nk].ets = b->ts;
	c->nk++;

	/* Fractal at m = nk-3, now that its right neighbour is final. */
	if (c->nk < 4)
		return 0;
	m = c->nk - 3;
	{
		const struct chan_kline *a = &c->k[m - 1], *k = &c->k[m],
			*z = &c->k[m + 1];
		struct chan_fractal f;

		if (k->high > a->high && k->high > z->high)
			f.type = 1;
		else if (k->low < a->low && k->low < z->low)
			f.type = -1;
		else
			return 0;
		f.k = m;
		f.bar = k->bar;
		f.ts = k->ets;
		f.price = f.type > 0 ? k->high : k->low;
		if (GROW(c->f, c->nf, c->capf) != 0)
			return -1;
		c->f[c->nf++] = f;
		return on_fractal(c, &f);
	}
}
