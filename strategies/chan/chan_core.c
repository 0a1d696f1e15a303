/*
 * chan_core.c -- Chan theory structures (definitions in chan_core.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chan_core.h"

#define GROW(arr, n, cap)                                                    \
	(((n) < (cap)) ? 0 : chan_grow((void **)&(arr), &(cap), sizeof(*(arr))))

/* Double *cap (64 to start) and realloc *arr to it; 0 or -1. */
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
dmax(double a, double b)
{
	return a > b ? a : b;
}

static double
dmin(double a, double b)
{
	return a < b ? a : b;
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

/* MACD histogram area over the bars from fractal a to fractal b. */
static double
area_of(const struct chan *c, const struct chan_fractal *a,
	const struct chan_fractal *b)
{
	size_t lo = a->bar < b->bar ? a->bar : b->bar;
	size_t hi = a->bar < b->bar ? b->bar : a->bar;

	if (hi >= c->nbars)
		hi = c->nbars - 1;
	return c->area[hi + 1] - c->area[lo];
}

/* Definition 3: may a stroke join fractals a and b (either order)? */
static int
stroke_valid(const struct chan *c, const struct chan_fractal *a,
	const struct chan_fractal *b)
{
	const struct chan_fractal *top = a->type > 0 ? a : b;
	const struct chan_fractal *bot = a->type > 0 ? b : a;
	size_t gap = a->k > b->k ? a->k - b->k : b->k - a->k;

	return a->type != b->type && gap >= c->min_gap &&
		top->price > bot->zhigh && bot->price < top->zlow;
}

/* ---- segments (definition 4) ---------------------------------------------- */

/* A [lo, hi] range seen in the frame where direction `dir` is up: down
 * segments are handled as up ones on negated prices. */
struct elem {
	double lo, hi;
};

static struct elem
framed(const struct chan_stroke *s, int dir)
{
	struct elem e;

	e.lo = dir > 0 ? s_low(s) : -s_high(s);
	e.hi = dir > 0 ? s_high(s) : -s_low(s);
	return e;
}

static int
contains(const struct elem *a, const struct elem *b)
{
	return (b->hi <= a->hi && b->lo >= a->lo) ||
		(b->hi >= a->hi && b->lo <= a->lo);
}

/* Merge b into a if one contains the other: going up (1) keeps the higher
 * high and low, going down (-1) the lower.  1 if merged. */
static int
merge(struct elem *a, const struct elem *b, int up)
{
	if (!contains(a, b))
		return 0;
	a->hi = up > 0 ? dmax(a->hi, b->hi) : dmin(a->hi, b->hi);
	a->lo = up > 0 ? dmax(a->lo, b->lo) : dmin(a->lo, b->lo);
	return 1;
}

/*
 * Scan the open segment starting at stroke s0.  Returns 1 with *end (the
 * peak stroke) and *how when it has ended, 0 while it is open, -1 when s0
 * cannot start a segment (case 3 before any peak).
 */
static int
segment_scan(const struct chan *c, size_t s0, size_t *end,
	enum chan_break *how)
{
	int d = c->s[s0].dir;
	struct elem first = framed(&c->s[s0], d);
	double peak = first.hi, start = first.lo;
	struct elem pre = { 0, 0 }, e1 = { 0, 0 }, e2 = { 0, 0 }, seq[3];
	int have_pre = 0, have_e1 = 0, have_e2 = 0, gap = 0, nseq = 0;
	size_t p = s0, j;

	for (j = s0 + 1; j < c->ns; j++) {
		struct elem e = framed(&c->s[j], d);

		if (c->s[j].dir == d) {
			if (e.hi > peak) {          /* a new high: start over */
				peak = e.hi;
				p = j;
				e1 = pre;
				have_e1 = have_pre;
				have_e2 = 0;
				nseq = 0;
			} else if (have_e2 && gap) {
				/* case 2: the next segment's characteristic
				 * sequence, merged going down, needs a bottom
				 * fractal */
				if (nseq > 0 && merge(&seq[nseq - 1], &e, -1))
					continue;
				if (nseq == 3) {
					seq[0] = seq[1];
					seq[1] = seq[2];
					nseq = 2;
				}
				seq[nseq++] = e;
				if (nseq == 3 && seq[1].lo < seq[0].lo &&
				    seq[1].lo < seq[2].lo) {
					*end = p;
					*how = CHAN_BREAK_GAP;
					return 1;
				}
			}
			continue;
		}
		/* A counter stroke: an element of the characteristic
		 * sequence. */
		if (e.lo < start) {
			if (p == s0)
				return -1;
			*end = p;
			*how = CHAN_BREAK_BEYOND_START;
			return 1;
		}
		if (!have_pre || !merge(&pre, &e, 1))
			pre = e;
		have_pre = 1;
		if (p == s0)
			continue;
		if (j == p + 1) {
			e2 = e;
			have_e2 = 1;
			gap = have_e1 && e2.lo > e1.hi;
			continue;
		}
		if (merge(&e2, &e, 1))
			continue;
		if (!gap) {                          /* case 1 */
			*end = p;
			*how = CHAN_BREAK_NO_GAP;
			return 1;
		}
		e2 = e;
	}
	return 0;
}

/* Close every segment the strokes so far end.  0 or -1 (memory). */
static int
update_segments(struct chan *c)
{
	for (;;) {
		struct chan_segment *g;
		enum chan_break how;
		size_t end, j;
		int r;

		if (c->ns < c->seg_start + 2)
			return 0;
		r = segment_scan(c, c->seg_start, &end, &how);
		if (r == 0)
			return 0;
		if (r < 0) {
			c->seg_start++;
			continue;
		}
		if (GROW(c->seg, c->nseg, c->capseg) != 0)
			return -1;
		g = &c->seg[c->nseg++];
		g->dir = c->s[c->seg_start].dir;
		g->from = c->seg_start;
		g->to = end;
		g->how = how;
		g->high = -INFINITY;
		g->low = INFINITY;
		for (j = g->from; j <= g->to; j++) {
			g->high = dmax(g->high, s_high(&c->s[j]));
			g->low = dmin(g->low, s_low(&c->s[j]));
		}
		c->seg_start = end + 1;
	}
}

/* ---- pivots (definition 5) ------------------------------------------------ */

/* Set pivot p's range from its first three strokes. */
static void
pivot_range(const struct chan *c, struct chan_pivot *p)
{
	size_t i;

	p->zg = INFINITY;
	p->zd = -INFINITY;
	for (i = p->from; i < p->from + 3; i++) {
		p->zg = dmin(p->zg, s_high(&c->s[i]));
		p->zd = dmax(p->zd, s_low(&c->s[i]));
	}
}

/* The newest stroke extends the open pivot or, with the two before it,
 * forms a new one.  0 or -1 (memory). */
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
	if (n >= 4 && (c->npv == 0 || c->pv[c->npv - 1].to < n - 3)) {
		struct chan_pivot p;

		p.from = n - 3;
		p.to = n - 1;
		pivot_range(c, &p);
		if (p.zg > p.zd) {
			if (GROW(c->pv, c->npv, c->cappv) != 0)
				return -1;
			p.ts_from = c->s[n - 3].from.ts;
			p.ts_to = s->to.ts;
			c->pv[c->npv++] = p;
		}
	}
	return 0;
}

/* ---- buy/sell points (definition 6) --------------------------------------- */

static int
add_point(struct chan *c, int cls, int side)
{
	const struct chan_fractal *f = &c->s[c->ns - 1].to;
	struct chan_point *p;

	if (GROW(c->pt, c->npt, c->cappt) != 0)
		return -1;
	p = &c->pt[c->npt++];
	p->cls = cls;
	p->side = side;
	p->stroke = c->ns - 1;
	p->bar = f->bar;
	p->ts = f->ts;
	p->price = f->price;
	c->pt_stroke = c->ns;
	return 1;
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

/* Judge the newest stroke; the number of points added (0/1) or -1. */
static int
update_points(struct chan *c)
{
	size_t n = c->ns;
	const struct chan_stroke *s = &c->s[n - 1];
	const struct chan_pivot *pv = c->npv ? &c->pv[c->npv - 1] : NULL;
	const struct chan_stroke *in = pv ? entering(c, pv->from, s->dir) :
		NULL;
	const struct chan_stroke *leave = n >= 2 ? &c->s[n - 2] : NULL;

	if (c->pt_stroke == n)
		return 0;                   /* this stroke made its point */
	if (s->dir < 0) {
		if (c->first_buy_seen) {
			c->first_buy_seen = 0;
			if (s_low(s) > c->first_buy_low)
				return add_point(c, 2, +1);
		}
		if (pv && in && s_low(s) < pv->zd && s_low(s) < s_low(in) &&
		    s->area < in->area) {
			c->first_buy_seen = 1;
			c->first_buy_low = s_low(s);
			return add_point(c, 1, +1);
		}
		if (pv && leave && pv->to == n - 2 && s_high(leave) > pv->zg &&
		    s_low(s) > pv->zg)
			return add_point(c, 3, +1);
		return 0;
	}
	if (c->first_sell_seen) {
		c->first_sell_seen = 0;
		if (s_high(s) < c->first_sell_high)
			return add_point(c, 2, -1);
	}
	if (pv && in && s_high(s) > pv->zg && s_high(s) > s_high(in) &&
	    s->area < in->area) {
		c->first_sell_seen = 1;
		c->first_sell_high = s_high(s);
		return add_point(c, 1, -1);
	}
	if (pv && leave && pv->to == n - 2 && s_low(leave) < pv->zd &&
	    s_high(s) < pv->zd)
		return add_point(c, 3, -1);
	return 0;
}

/* ---- strokes (definition 3) ----------------------------------------------- */

/* The first stroke: the newest earlier fractal that pairs with f. */
static int
first_stroke(struct chan *c, const struct chan_fractal *f)
{
	size_t i;

	for (i = c->nf - 1; i-- > 0;) {
		const struct chan_fractal *a = &c->f[i];

		if (!stroke_valid(c, a, f))
			continue;
		if (GROW(c->s, c->ns, c->caps) != 0)
			return -1;
		c->s[0].dir = f->type;
		c->s[0].from = *a;
		c->s[0].to = *f;
		c->s[0].area = area_of(c, a, f);
		c->ns = 1;
		return update_segments(c);
	}
	return 0;
}

/* A new fractal: extend the last stroke, start a new one, or nothing.
 * Returns the number of new points or -1. */
static int
on_fractal(struct chan *c, const struct chan_fractal *f)
{
	struct chan_stroke *last;

	if (c->ns == 0)
		return first_stroke(c, f);
	last = &c->s[c->ns - 1];
	if (f->type == last->to.type) {
		if ((f->type > 0 && f->price > last->to.price) ||
		    (f->type < 0 && f->price < last->to.price)) {
			last->to = *f;
			last->area = area_of(c, &last->from, f);
			/* a pivot still drawn with this stroke follows it */
			if (c->npv > 0 && c->pv[c->npv - 1].from + 2 >=
			    c->ns - 1) {
				pivot_range(c, &c->pv[c->npv - 1]);
				c->pv[c->npv - 1].ts_to =
					c->s[c->pv[c->npv - 1].to].to.ts;
			} else if (c->npv > 0 &&
			    c->pv[c->npv - 1].to == c->ns - 1) {
				c->pv[c->npv - 1].ts_to = f->ts;
			}
			if (update_segments(c) != 0)
				return -1;
			return update_points(c);
		}
		return 0;
	}
	if (!stroke_valid(c, &last->to, f))
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

/* ---- bars: MACD, inclusion, fractals (definitions 1, 2) ------------------- */

/* MACD(12, 26, 9) from the first close; append |hist| to the prefix sums. */
static int
push_macd(struct chan *c, const struct qd_bar *b)
{
	double macd, hist;

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
	return 0;
}

/* Merge bar b into K-line l by the current direction (definition 1). */
static void
merge_bar(struct chan *c, struct chan_kline *l, const struct qd_bar *b)
{
	size_t bar = c->nbars - 1;

	if (c->kdir > 0) {
		if (b->high >= l->high) {
			l->hbar = bar;
			l->hts = b->ts;
		}
		if (b->low >= l->low) {
			l->lbar = bar;
			l->lts = b->ts;
		}
		l->high = dmax(b->high, l->high);
		l->low = dmax(b->low, l->low);
	} else {
		if (b->high <= l->high) {
			l->hbar = bar;
			l->hts = b->ts;
		}
		if (b->low <= l->low) {
			l->lbar = bar;
			l->lts = b->ts;
		}
		l->high = dmin(b->high, l->high);
		l->low = dmin(b->low, l->low);
	}
}

int
chan_push(struct chan *c, const struct qd_bar *b)
{
	const struct chan_kline *a, *k, *z;
	struct chan_kline *nk;
	struct chan_fractal f;

	if (push_macd(c, b) != 0)
		return -1;
	if (c->nk > 0) {
		struct chan_kline *l = &c->k[c->nk - 1];

		if ((b->high <= l->high && b->low >= l->low) ||
		    (b->high >= l->high && b->low <= l->low)) {
			merge_bar(c, l, b);
			return 0;
		}
		c->kdir = b->high > l->high ? 1 : -1;
	}
	if (GROW(c->k, c->nk, c->capk) != 0)
		return -1;
	nk = &c->k[c->nk++];
	nk->ts = nk->hts = nk->lts = b->ts;
	nk->high = b->high;
	nk->low = b->low;
	nk->hbar = nk->lbar = c->nbars - 1;

	/* K-line nk-2 is final now that nk-1 began: a fractal at nk-3? */
	if (c->nk < 4)
		return 0;
	a = &c->k[c->nk - 4];
	k = &c->k[c->nk - 3];
	z = &c->k[c->nk - 2];
	if (k->high > a->high && k->high > z->high)
		f.type = 1;
	else if (k->low < a->low && k->low < z->low)
		f.type = -1;
	else
		return 0;
	f.k = c->nk - 3;
	f.bar = f.type > 0 ? k->hbar : k->lbar;
	f.ts = f.type > 0 ? k->hts : k->lts;
	f.price = f.type > 0 ? k->high : k->low;
	f.zhigh = dmax(a->high, dmax(k->high, z->high));
	f.zlow = dmin(a->low, dmin(k->low, z->low));
	if (GROW(c->f, c->nf, c->capf) != 0)
		return -1;
	c->f[c->nf++] = f;
	return on_fractal(c, &f);
}

const char *
chan_break_name(enum chan_break how)
{
	switch (how) {
	case CHAN_BREAK_NO_GAP: return "no_gap";
	case CHAN_BREAK_GAP: return "gap";
	case CHAN_BREAK_BEYOND_START: return "beyond_start";
	}
	return "?";
}
