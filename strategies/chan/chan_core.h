/*
 * chan_core -- Chan theory (缠论) structures over a stream of bars: pure C,
 * no host calls, no globals, O(1) amortised work per bar except the segment
 * scan (O(strokes of the open segment) per new or extended stroke).
 *
 * The analysis of the `chan` strategy (strategies/chan/chan.c), which
 * annotates every structure; `quantctl chan` runs that plugin and prints
 * its annotations.  Unit-tested directly (tests/unit/test_chan.c).  docs/chan.md carries the
 * same definitions with pictures in words.
 *
 * Definitions implemented
 * -----------------------
 * 1. Inclusion (包含).  Two adjacent K-lines where one's [low, high]
 *    contains the other's are merged into one.  The direction is that of
 *    the last two merged K-lines (up when the later high is higher; up
 *    before there are two): going up the merge keeps the higher high and
 *    the higher low, going down the lower high and the lower low.  A merged
 *    K-line remembers which bar gave its high and which its low.
 * 2. Fractals (分型).  On three consecutive merged K-lines k-1, k, k+1: a
 *    top when k's high is above both neighbours' highs, a bottom when k's
 *    low is below both neighbours' lows.  Its price is k's high (top) or
 *    low (bottom); its zone is the highest high and lowest low of the
 *    three.  It is known once k+2 has begun (k+1 can no longer merge).
 * 3. Strokes (笔).  A stroke joins a bottom to a later top (up) or a top to
 *    a later bottom (down).  Validity of the pair:
 *      - at least `min_gap` (default 4) merged K-lines from one fractal's
 *        middle to the other's, so the two fractals share no K-line and at
 *        least one K-line stands between them (min_gap 4 = "new stroke");
 *      - no overlap in the wrong sense: the top's high is above the
 *        bottom's zone high, and the bottom's low below the top's zone low.
 *    The first stroke joins the newest earlier fractal of the other kind
 *    that makes a valid pair.  Afterwards a fractal of the same kind as
 *    the last stroke's end and more extreme moves that end (the stroke
 *    extends); one of the other kind starts a new stroke if the pair is
 *    valid; anything else is ignored.  The last stroke is provisional
 *    until the next one starts.
 * 4. Segments (线段).  A segment runs from a stroke s0 in its direction to
 *    its extreme, at least three strokes.  Its characteristic sequence
 *    (特征序列) is its counter-direction strokes taken as [low, high]
 *    elements, merged by inclusion in the segment's direction (an up
 *    segment keeps the higher high and higher low).  Below, up segments;
 *    down ones mirror them.  Let P be the up stroke reaching the highest
 *    high (at least the third stroke), e1 the last merged element before
 *    P, e2 the down stroke starting at P's top, merged with the following
 *    down strokes it contains (e1 and e2 are never merged).  Breaks:
 *      case 1 (no gap, e2's low <= e1's high): the segment ends at P's top
 *        as soon as a later down stroke is not contained in e2 (it is then
 *        lower: the characteristic sequence has a top fractal);
 *      case 2 (gap, e2's low > e1's high): the top fractal is not enough;
 *        the segment ends at P's top only once the up strokes after P (the
 *        next segment's characteristic sequence, merged going down) form a
 *        bottom fractal;
 *      case 3: a down stroke ends below the segment's start: the segment
 *        ends at P's top (if there is no P yet, s0 is not a segment start:
 *        the open segment starts one stroke later, leaving a gap).
 *    A new high before a break moves P and starts over.  The next segment
 *    starts at the stroke after P.  Once reported a segment is final.
 * 5. Pivots (中枢).  Three consecutive strokes after the stroke that
 *    entered the pivot (so at least a fourth before them), all after the
 *    previous pivot: ZG = the lowest of their highs, ZD = the highest of
 *    their lows; a pivot when ZG > ZD, range [ZD, ZG].  While one of its
 *    three strokes is still provisional its range follows that stroke.
 *    Later strokes whose range overlaps (ZD, ZG) extend it (ZD, ZG stay);
 *    the first stroke that does not leaves it.
 * 6. Buy/sell points, judged on the newest stroke when it is drawn and
 *    again when it extends (until it produced a point):
 *    1st buy: a down stroke ending below the last pivot's ZD and below the
 *      low of the down stroke that entered that pivot, with a smaller
 *      MACD(12,26,9) histogram area (sum of |hist| over its bars) than the
 *      entering stroke: divergence (背驰);
 *    2nd buy: the first down stroke after a 1st buy, when its low stays
 *      above the 1st buy's low;
 *    3rd buy: the up stroke that last extended the pivot ends above ZG
 *      (it leaves the pivot) and the next down stroke's low stays above
 *      ZG (the pull-back does not return into the pivot);
 *    sell points mirror these.  A point is provisional: if its stroke
 *    extends later the point is not withdrawn.
 *    The MACD here uses EMAs seeded with the first close (not the ta
 *    pack's SMA seeds): areas only need to compare like with like.
 */
#ifndef QD_CHAN_CORE_H
#define QD_CHAN_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <quantd/sdk.h>

/** A merged K-line. */
struct chan_kline {
	int64_t ts;            /**< ts of the first bar merged in */
	double high, low;
	size_t hbar, lbar;     /**< bars (0-based) giving the high, the low */
	int64_t hts, lts;      /**< and their ts */
};

struct chan_fractal {
	int type;              /**< +1 top, -1 bottom */
	size_t k;              /**< merged K-line index */
	size_t bar;            /**< bar giving the extreme */
	int64_t ts;            /**< its ts */
	double price;          /**< the high of a top, the low of a bottom */
	double zhigh, zlow;    /**< zone: extremes of the three K-lines */
};

struct chan_stroke {
	int dir;               /**< +1 up, -1 down */
	struct chan_fractal from, to;
	double area;           /**< MACD histogram area over its bars */
};

/** How a segment ended (definition 4). */
enum chan_break {
	CHAN_BREAK_NO_GAP = 1,
	CHAN_BREAK_GAP = 2,
	CHAN_BREAK_BEYOND_START = 3,
};

struct chan_segment {
	int dir;               /**< +1 up, -1 down */
	size_t from, to;       /**< stroke indices, inclusive */
	double high, low;
	enum chan_break how;
};

struct chan_pivot {
	size_t from, to;       /**< stroke indices, inclusive */
	double zg, zd;
	int64_t ts_from, ts_to;
};

struct chan_point {
	int cls;               /**< 1, 2, 3 */
	int side;              /**< +1 buy, -1 sell */
	size_t stroke;         /**< the stroke it ends */
	size_t bar;            /**< bar of the stroke's end */
	int64_t ts;
	double price;
};

/**
 * The analysis state.  Every array is owned by the struct (chan_free) and
 * grows; read the n* counts and arrays, never write them.
 */
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
	size_t seg_start;      /* first stroke of the open segment */
	size_t pt_stroke;      /* stroke that produced the last point + 1 */
	int first_buy_seen, first_sell_seen;
	double first_buy_low, first_sell_high;
};

/** Start empty.  min_gap: merged K-lines from fractal to fractal (0 = 4). */
void chan_init(struct chan *c, size_t min_gap);

/** Free every array; `c` may be initialised again. */
void chan_free(struct chan *c);

/**
 * Feed the next bar (bars in time order).  Returns the number of new
 * buy/sell points (the last entries of c->pt), or -1 if memory ran out
 * (the state is then unusable: chan_free it).
 */
int chan_push(struct chan *c, const struct qd_bar *bar);

/** How a segment ended, as printed: "no_gap", "gap", "beyond_start". */
const char *chan_break_name(enum chan_break how);

#endif
