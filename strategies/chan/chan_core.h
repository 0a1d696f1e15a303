/*
 * chan_core -- Chan theory (缠论) structures over a stream of bars, pure C
 * with no host calls, shared by the `chan` strategy and `quantctl chan`.
 *
 * Definitions implemented (docs/chan.md has the same text):
 *
 * 1. Inclusion (包含).  Two adjacent K-lines where one's range contains the
 *    other's are merged.  In an up direction (the last merged high rose) the
 *    merge keeps the higher high and the higher low; in a down direction the
 *    lower high and the lower low.  The direction starts up.
 * 2. Fractals (分型).  On merged K-lines k-1, k, k+1: a top when k's high
 *    is above both neighbours' highs, a bottom when k's low is below both
 *    neighbours' lows.  A fractal is known once k+1 exists.
 * 3. Strokes (笔).  A stroke joins a bottom and the next top (up) or a top
 *    and the next bottom (down), with at least `min_gap` (default 4)
 *    merged K-lines from one fractal to the other (so the fractals share no
 *    K-line and at least one stands between them), the top above the
 *    bottom.  A fractal of the same kind as the last stroke's end that is
 *    more extreme moves that end (the stroke extends).
 * 4. Segments (线段).  At least three strokes.  An up segment ends when its
 *    characteristic sequence (the down strokes, as [low, high] ranges)
 *    forms a top fractal: a down stroke whose high is above the highs of
 *    the down strokes before and after it; the segment ends at the top
 *    where that down stroke starts.  Down segments mirror this.  (The gap
 *    case of the characteristic sequence and its inclusion handling are
 *    not implemented.)
 * 5. Pivots (中枢).  Three consecutive strokes, after the stroke that
 *    entered the pivot (so at least a fourth before them), whose ranges
 *    overlap: ZG =
 *    the lowest of their highs, ZD = the highest of their lows, a pivot
 *    when ZG > ZD.  Later strokes that overlap [ZD, ZG] extend it; the
 *    first stroke that does not leaves it.
 * 6. Buy/sell points, judged at the end of each new stroke:
 *    1st buy: a down stroke ending below the last pivot's ZD and below the
 *      low of the down stroke that entered the pivot (the last down stroke
 *      before the pivot's first stroke), with a smaller MACD(12,26,9)
 *      histogram area (sum of |hist| over its bars): divergence;
 *    2nd buy: the first down stroke after a 1st buy whose low stays above
 *      the 1st buy's low;
 *    3rd buy: the up stroke that last extended the pivot ends above ZG
 *      (it leaves the pivot) and the next down stroke's low stays above ZG
 *      (does not return into it);
 *    sell points mirror these.
 */
#ifndef QD_CHAN_CORE_H
#define QD_CHAN_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <quantd/sdk.h>

struct chan_kline {
	int64_t ts;            /* ts of the first bar merged in */
	double high, low;
	size_t bar;            /* index of the bar giving the extreme */
	int64_t ets;           /* and its ts */
};

struct chan_fractal {
	int type;              /* +1 top, -1 bottom */
	size_t k;              /* merged K-line index */
	size_t bar;
	int64_t ts;
	double price;          /* the high of a top, the low of a bottom */
};

struct chan_stroke {
	int dir;               /* +1 up, -1 down */
	struct chan_fractal from, to;
	double area;           /* MACD histogram area over its bars */
};

struct chan_segment {
	int dir;
	size_t from, to;       /* stroke indices */
	double high, low;
};

struct chan_pivot {
	size_t from, to;       /* stroke indices */
	double zg, zd;
	int64_t ts_from, ts_to;
};

struct chan_point {
	int cls;               /* 1, 2, 3 */
	int side;              /* +1 buy, -1 sell */
	size_t bar;
	int64_t ts;
	double price;
};

struct chan {
	size_t min_gap;
	struct chan_kline *k;
	size_t nk, capk;
	int kdir;
	struct chan_fractal *f;
	size_t nf, capf;
	struct chan_stroke *s;
	size_t ns, caps;
	struct chan_segment *seg;
	size_t nseg, capseg;
	struct chan_pivot *pv;
	size_t npv, cappv;
	struct chan_point *pt;
	size_t npt, cappt;
	/* MACD over closes, and its |hist| prefix sums per bar */
	double ema12, ema26, sig;
	size_t nbars;
	double *area;          /* area[i] = sum of |hist| over bars 0..i-1 */
	size_t caparea;
	int pending_stroke;    /* a stroke ended at the last fractal */
	size_t seg_start;      /* first stroke of the open segment */
	int first_buy_seen, first_sell_seen;
	double first_buy_low, first_sell_high;
};

/** min_gap: merged K-lines from fractal to fractal in a stroke (4). */
void chan_init(struct chan *c, size_t min_gap);
void chan_free(struct chan *c);

/**
 * Feed the next bar.  Returns the number of new buy/sell points (their
 * details are the last entries of c->pt), or -1 on allocation failure.
 */
int chan_push(struct chan *c, const struct qd_bar *bar);

#endif
