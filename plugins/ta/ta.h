/*
 * ta.h -- internals shared by the indicator pack's files (not part of the
 * SDK; plugins include only <quantd/sdk.h>, this is the pack's own header).
 */
#ifndef QD_TA_H
#define QD_TA_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <quantd/sdk.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define TA_VERSION "1.0.0"

/*
 * Branch hints for a step's rare cases (warming up, a NaN input, a block
 * or ring boundary): the compiler lays the common path out straight, so
 * a warm bar takes no jump.
 */
#define TA_LIKELY(x) __builtin_expect(!!(x), 1)
#define TA_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Compensated running sum: s plus the sum c of its rounding errors. */
struct ta_sum {
	double s;
	double c;
};

static inline void
ta_sum_reset(struct ta_sum *t)
{
	t->s = t->c = 0.0;
}

/*
 * cond ? a : b on the bits, without a branch: compilers turn a plain ?:
 * between doubles into a jump, which mispredicts on a random walk.
 */
static inline double
ta_select(int cond, double a, double b)
{
	uint64_t ua, ub, m = (uint64_t)0 - (uint64_t)(cond != 0);

	memcpy(&ua, &a, sizeof(ua));
	memcpy(&ub, &b, sizeof(ub));
	ua = (ua & m) | (ub & ~m);
	memcpy(&a, &ua, sizeof(a));
	return a;
}

/*
 * x kept inside [lo, hi]; NaN stays NaN.  For bounded
 * indicators, whose running sums may round a hair past an end (an mfi of
 * -1.9e-15 with no positive flow in its window).
 */
static inline double
ta_clamp(double x, double lo, double hi)
{
	/* Each ?: of this shape is one maxsd/minsd, and NaN passes both. */
	x = x < lo ? lo : x;
	return x > hi ? hi : x;
}

/*
 * Add x.  The rounding error of s + x, exactly, by Knuth's TwoSum: six
 * additions and no comparison (Neumaier's test of |s| >= |x| picks the
 * same exact error with a select, in more operations).
 */
static inline void
ta_sum_add(struct ta_sum *t, double x)
{
	double u = t->s + x, z = u - t->s;

	t->c += (t->s - (u - z)) + (x - z);
	t->s = u;
}

/* max/min of finite values that compile to one instruction (fmax/fmin are
 * library calls unless NaN semantics are relaxed). */
static inline double
ta_max(double a, double b)
{
	return a > b ? a : b;
}

static inline double
ta_min(double a, double b)
{
	return a < b ? a : b;
}

static inline double
ta_sum_value(const struct ta_sum *t)
{
	return t->s + t->c;
}

/*
 * EMA with alpha 2/(n+1), seeded with the SMA of the first n inputs; NaN
 * inputs are skipped (so EMAs can be chained over warming inputs).  The
 * update is value = beta value + alpha x with beta = 1 - alpha: one
 * multiply and one add on the bar-to-bar chain (alpha x is off it), where
 * value + alpha (x - value) needs three.
 */
struct ta_ema {
	size_t n, count;
	double alpha, beta, value;
	struct ta_sum seed;
};

void ta_ema_init(struct ta_ema *e, int64_t n);

/* The step of a seeded EMA on a number. */
static inline double
ta_ema_next(struct ta_ema *e, double x)
{
	e->value = e->beta * e->value + e->alpha * x;
	return e->value;
}

/*
 * Is e seeded and x a number?  Then ta_ema_push(e, x) is ta_ema_next(e,
 * x).  Asked of the last EMA of a chain (dema, tema, macd's signal), it
 * stands for the whole chain: the last one seeds only after those before
 * it gave numbers.
 */
static inline int
ta_ema_seeded(const struct ta_ema *e, double x)
{
	return e->count >= e->n && !isnan(x);
}

/* Push x; the EMA, or NaN while seeding (and for a NaN input). */
static inline double
ta_ema_push(struct ta_ema *e, double x)
{
	if (TA_UNLIKELY(isnan(x)))
		return NAN;
	if (TA_UNLIKELY(e->count < e->n)) {
		ta_sum_add(&e->seed, x);
		if (++e->count < e->n)
			return NAN;
		e->value = ta_sum_value(&e->seed) / (double)e->n;
		return e->value;
	}
	return ta_ema_next(e, x);
}

/* Rolling max of highs and min of lows over the last n bars. */
struct ta_minmax {
	size_t n, j;
	uint64_t t;
	double *hi, *lo;          /* the current block */
	double *suf_hi, *suf_lo;  /* suffix extremes of the previous block */
	double pre_hi, pre_lo;    /* prefix extremes of the current block */
	double max, min;          /* of the window ending at the last push */
};

int ta_minmax_init(struct ta_minmax *m, int64_t n);
void ta_minmax_fini(struct ta_minmax *m);
/*
 * A block of n bars is complete: suf_hi[k] = max of hi[k..n-1], suf_lo[k]
 * = min of lo[k..n-1], [n] the identities; both in one loop (one exit
 * for the predictor to miss per block, not two), each extreme carried in
 * a register.  It takes arrays, not the struct, so a caller's state never
 * escapes and can live in registers.
 */
static inline void
ta_suffix_extremes(const double *hi, const double *lo, double *suf_hi,
	double *suf_lo, size_t n)
{
	double mx = -INFINITY, mn = INFINITY;
	size_t k;

	suf_hi[n] = mx;
	suf_lo[n] = mn;
	for (k = n; k-- > 0;) {
		mx = ta_max(mx, hi[k]);
		mn = ta_min(mn, lo[k]);
		suf_hi[k] = mx;
		suf_lo[k] = mn;
	}
}

/*
 * Push one bar's high and low.  Streaming van Herk/Gil-Werman: the input
 * is cut into blocks of n bars.  For the bar at position j of the current
 * block, the window of the last n bars is positions j+1..n-1 of the
 * previous block plus 0..j of this one, so its maximum is max(suffix max of
 * the previous block from j+1, prefix max of this block).  Suffix maxima
 * are computed once per completed block: about three comparisons per bar,
 * no data-dependent branches, O(1) amortised.
 */
static inline void
ta_minmax_push(struct ta_minmax *m, double hi, double lo)
{
	size_t j = m->j;

	m->hi[j] = hi;
	m->lo[j] = lo;
	m->pre_hi = ta_max(m->pre_hi, hi);
	m->pre_lo = ta_min(m->pre_lo, lo);
	m->max = ta_max(m->suf_hi[j + 1], m->pre_hi);
	m->min = ta_min(m->suf_lo[j + 1], m->pre_lo);
	m->t++;
	if (TA_LIKELY(j + 1 < m->n)) {
		m->j = j + 1;
		return;
	}
	ta_suffix_extremes(m->hi, m->lo, m->suf_hi, m->suf_lo, m->n);
	m->pre_hi = -INFINITY;
	m->pre_lo = INFINITY;
	m->j = 0;
}

static inline int
ta_minmax_full(const struct ta_minmax *m)
{
	return TA_LIKELY(m->t >= m->n);
}

static inline double
ta_minmax_max(const struct ta_minmax *m)
{
	return m->max;
}

static inline double
ta_minmax_min(const struct ta_minmax *m)
{
	return m->min;
}

/*
 * Sum of the last n values.  A plain running sum, one add on the bar-to-bar
 * chain (s += x - old, old being 0 while the ring fills), re-summed from
 * the window every `every` pushes: the error never grows beyond that of
 * summing one window afresh plus `every` updates, so it cannot drift.
 * `every` is the first multiple of n from 128 on: at a re-sum the ring has
 * just wrapped, so it holds the window oldest first, and the O(n) re-sum
 * costs at most one add per push while a batch runs blocks of at least 128
 * bars between re-sums (a branch taken every n bars, which the predictor
 * of a shared core misses often, cost a batch a third of its time).
 */
struct ta_rsum {
	double *buf;
	size_t n, head, count;
	size_t since, every;    /* pushes since the last re-sum; its period */
	double s;
};

/* The re-sum period of a window of n: the first multiple of n >= 128. */
static inline size_t
ta_resum_every(size_t n)
{
	return n * ((128 + n - 1) / n);
}

int ta_rsum_init(struct ta_rsum *r, int64_t n);
void ta_rsum_fini(struct ta_rsum *r);
/* Sum of x[0..n) afresh; takes the array so that a caller's
 * state never escapes. */
static inline double
ta_window_sum(const double *x, size_t n)
{
	double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
	size_t i;

	/* Four partial sums: a quarter of the dependent adds of one chain. */
	for (i = 0; i + 4 <= n; i += 4) {
		a0 += x[i];
		a1 += x[i + 1];
		a2 += x[i + 2];
		a3 += x[i + 3];
	}
	for (; i < n; i++)
		a0 += x[i];
	return (a0 + a1) + (a2 + a3);
}

/*
 * Windowed steps.  A step that keeps the last n inputs in a ring reads two
 * things from it: the value leaving the window (`old`) and, at a re-sum,
 * the whole window, oldest first (`win`).  Once a batch is n bars in, both
 * are in the input column itself: x[i-n] and x[i-n..i-1] after bar i-1,
 * the same values in the same order.  So such a step is written once as
 * an advance over (x, old) and a re-sum over win: streaming passes its
 * ring, a batch (TA_WINDOW_BATCH) the column, refilling the ring from the
 * column's last n values when it ends.
 *
 * ta_ring_refill: x[end-1] goes to the slot before `head` (the slot the
 * next push takes), x[end-2] to the one before that, and so on for n
 * values: the ring as pushes of x[end-n..end-1] would have left it.
 */
static inline void
ta_ring_refill(double *buf, size_t n, size_t head, const double *x,
	size_t end)
{
	size_t k, slot = head;

	for (k = 1; k <= n; k++) {
		slot = slot == 0 ? n - 1 : slot - 1;
		buf[slot] = x[end - k];
	}
}

/* The ring part of a streaming push: store x, return the value leaving. */
static inline double
ta_ring_push(struct ta_rsum *r, double x)
{
	double old = r->buf[r->head];

	r->buf[r->head] = x;
	r->head = r->head + 1 == r->n ? 0 : r->head + 1;
	return old;
}

/* Is this push one that re-sums (the ring then holds the window in
 * order)?  Counts the push. */
static inline int
ta_rsum_due(struct ta_rsum *r)
{
	if (TA_LIKELY(++r->since < r->every))
		return 0;
	r->since = 0;
	return 1;
}

/* x enters a window that is still filling. */
static inline void
ta_rsum_fill(struct ta_rsum *r, double x)
{
	r->count++;
	r->s += x;
}

/* x enters the full window and old leaves it. */
static inline void
ta_rsum_advance(struct ta_rsum *r, double x, double old)
{
	r->s += x - old;
}

static inline void
ta_rsum_resum(struct ta_rsum *r, const double *win)
{
	r->s = ta_window_sum(win, r->n);
}

/* Add x to the window of the last n values. */
static inline int
ta_rsum_full(const struct ta_rsum *r)
{
	return TA_LIKELY(r->count >= r->n);
}

/*
 * One streaming push of a windowed step over the ring of `r` (a struct
 * ta_rsum *): x into the ring, then fill_(st, x) while the window fills
 * or advance_(st, x, old) once it is full, and resum_(st, ring) when a
 * re-sum is due.  TA_WINDOW_BATCH runs the same advance_ and resum_ over
 * the column.
 */
#define TA_WINDOW_PUSH(st, r, x, fill_, advance_, resum_)                    \
	do {                                                                   \
		double x_ = (x), old_ = ta_ring_push((r), x_);                 \
                                                                               \
		if (ta_rsum_full(r))                                           \
			advance_((st), x_, old_);                              \
		else                                                           \
			fill_((st), x_);                                       \
		if (ta_rsum_due(r))                                            \
			resum_((st), (r)->buf);                                \
	} while (0)

static inline void
ta_rsum_push(struct ta_rsum *r, double x)
{
	TA_WINDOW_PUSH(r, r, x, ta_rsum_fill, ta_rsum_advance, ta_rsum_resum);
}

static inline double
ta_rsum_value(const struct ta_rsum *r)
{
	return r->s;
}

/*
 * Simple moving average: the rolling sum divided by n (a true division, so
 * that a mean of exactly summed prices prints as the spreadsheet's).
 */
struct ta_sma {
	struct ta_rsum r;
	double n;
};

int ta_sma_init(struct ta_sma *s, int64_t n);
void ta_sma_fini(struct ta_sma *s);

/* Push x; the sum of the last n values, or NaN before n values. */
static inline double
ta_sma_sum_push(struct ta_sma *s, double x)
{
	ta_rsum_push(&s->r, x);
	return ta_rsum_full(&s->r) ? ta_rsum_value(&s->r) : NAN;
}

/* Push x; the mean of the last n values, or NaN before n values. */
static inline double
ta_sma_push(struct ta_sma *s, double x)
{
	return ta_sma_sum_push(s, x) / s->n;
}

/*
 * Wilder smoothing with period n: seeded with the simple average of the
 * first n inputs, then avg = avg (n-1)/n + x/n ("multiply the previous
 * average by n-1, add the new value, divide by n").  Both factors are
 * precomputed: one multiply and one add on the bar-to-bar chain, no
 * division.  The rounded factors change only the last bits of each step,
 * and the smoothing shrinks old errors by (n-1)/n each bar, so they stay
 * within a few ulps of the average and never accumulate.
 */
struct ta_wilder {
	double n, inv, keep, value;
	size_t count, need;
	struct ta_sum seed;
};

static inline void
ta_wilder_init(struct ta_wilder *w, int64_t n)
{
	w->n = (double)n;
	w->inv = 1.0 / (double)n;
	w->keep = ((double)n - 1.0) / (double)n;
	w->need = (size_t)n;
	w->count = 0;
	w->value = NAN;
	ta_sum_reset(&w->seed);
}

/* Push x; the smoothed value, or NaN while seeding. */
static inline double
ta_wilder_push(struct ta_wilder *w, double x)
{
	if (TA_UNLIKELY(w->count < w->need)) {
		ta_sum_add(&w->seed, x);
		if (++w->count < w->need)
			return NAN;
		w->value = ta_sum_value(&w->seed) / w->n;
		return w->value;
	}
	w->value = w->value * w->keep + x * w->inv;
	return w->value;
}

/*
 * Direction of a versus b: 1, -1, or 0 when they differ only by
 * floating-point rounding.  Prices sit on a tick grid, so a "rise" of a
 * few ulps (0.1 + 0.2 against 0.3: 2e-16 relative) is rounding, not a
 * move.  The tolerance is 1e-10 of the larger magnitude: far above the
 * rounding of a few operations (~1e-15) and far below one tick on any real
 * market (a tick is rarely under 1e-7 of the price: 0.01 on BTC at 100,000;
 * 1e-8 on a 1e-5 coin is 1e-3).  Branch-free: the
 * direction of a random walk is unpredictable.
 */
static inline int
ta_cmp(double a, double b)
{
	double tol = 1e-10 * ta_max(fabs(a), fabs(b));

	return (a - b > tol) - (b - a > tol);
}

/* x when cond, else +0, without a branch (see ta_select). */
static inline double
ta_when(int cond, double x)
{
	return ta_select(cond, x, 0.0);
}

/* True range of a bar given the previous close. */
static inline double
ta_true_range(const struct qd_bar *b, double prev_close)
{
	double tr = b->high - b->low;
	double a = fabs(b->high - prev_close), c = fabs(b->low - prev_close);

	if (a > tr)
		tr = a;
	if (c > tr)
		tr = c;
	return tr;
}

extern const struct qd_plugin ta_macd_plugin, ta_rsi_plugin, ta_stoch_plugin,
	ta_cci_plugin, ta_willr_plugin, ta_roc_plugin, ta_mfi_plugin;
extern const struct qd_plugin ta_bbands_plugin, ta_atr_plugin,
	ta_natr_plugin, ta_keltner_plugin, ta_donchian_plugin, ta_obv_plugin,
	ta_vwap_plugin;
extern const struct qd_plugin ta_adx_plugin, ta_psar_plugin,
	ta_supertrend_plugin, ta_ichimoku_plugin;

/*
 * An indicator's step: its update(), the one implementation of its maths.
 * Always inlined into the batch loop below (and kept out of line for the
 * ops table's update entry).
 */
#define TA_STEP static inline __attribute__((always_inline)) void
/* Two doubles as one vector (GCC/Clang vector extension: SSE2, NEON). */
typedef double ta_v2d __attribute__((vector_size(16)));

/* Two values to p[0], p[1], in one store (p need not be aligned). */
static inline void
ta_v2d_store(double *p, ta_v2d v)
{
	memcpy(p, &v, sizeof(v));
}

/* Each lane's ta_max(v, 0): v when v > 0, else 0 (also for NaN). */
static inline ta_v2d
ta_v2d_max0(ta_v2d v)
{
#if defined(__SSE2__)
	return _mm_max_pd(v, _mm_setzero_pd());
#else
	ta_v2d r = { ta_max(v[0], 0.0), ta_max(v[1], 0.0) };

	return r;
#endif
}

/* Both square roots in one instruction where there is one; each lane
 * correctly rounded, so the same bits as sqrt() per value. */
static inline ta_v2d
ta_v2d_sqrt(ta_v2d v)
{
#if defined(__SSE2__)
	return _mm_sqrt_pd(v);
#else
	ta_v2d r = { sqrt(v[0]), sqrt(v[1]) };

	return r;
#endif
}
/* A helper of steps: inlined too, so a step's state never escapes. */
#define TA_INLINE static inline __attribute__((always_inline))

/*
 * The batch entry id##_batch: update_ -- the very step streaming runs --
 * applied to each bar of a series in turn.  The state is copied into a
 * local for the loop and back at the end, so with update_ inlined the
 * compiler keeps it in registers; columns an indicator does not read are
 * never loaded.  Same values and same final state as update() per bar.
 */
#define TA_BATCH(id, type_, nout_, update_)                                  \
	static void                                                            \
	id##_batch(void *state, const struct qd_series *s, double *const *out) \
	{                                                                      \
		type_ st = *(type_ *)state;                                    \
		double *col[nout_];                                            \
		size_t i, j, n = s->n;                                         \
                                                                               \
		for (j = 0; j < (nout_); j++)                                  \
			col[j] = out[j];                                       \
		for (i = 0; i < n; i++) {                                      \
			struct qd_bar b = qd_series_bar(s, i);                 \
			double v[nout_];                                       \
                                                                               \
			update_(&st, &b, v);                                   \
			for (j = 0; j < (nout_); j++)                          \
				col[j][i] = v[j];                              \
		}                                                              \
		*(type_ *)state = st;                                          \
	}

/* What a windowed step hands its batch's emitters for one bar. */
struct ta_pt {
	double a, b, c;
};

/*
 * The batch entry id##_batch of a windowed step: the first n bars through
 * update_, the streaming step, as they need the ring (and fill the
 * window); from bar n on, with the window full, advance_(st, x, old) --
 * the step streaming takes on a full window -- with old = x[i-n] from the
 * column, and resum_(st, win) with the column's window wherever streaming
 * would re-sum, in blocks that run from one re-sum to the next without a
 * test per bar; then the ring refilled from the column.  value_(st) is the
 * bar's result after its advance (and re-sum); emit2_(st, a, b, out, i)
 * writes bars i and i+1 (so that a pair can share vector instructions),
 * emit1_(st, a, out, i) bar i; both as update_ does on a full window.
 * Same values and same final state, bit for bit, as update_ per bar.
 * rsum_(st) is the ta_rsum that owns the ring.
 */
#define TA_WINDOW_BATCH(id, type_, nout_, update_, rsum_, advance_,          \
	resum_, value_, emit2_, emit1_)                                        \
	static void                                                            \
	id##_batch(void *state, const struct qd_series *s, double *const *o_)  \
	{                                                                      \
		type_ st = *(type_ *)state;                                    \
		const double *x = s->close;                                    \
		double *out[nout_];                                            \
		size_t n = rsum_(&st)->n, i, j, k, e;                          \
                                                                               \
		for (j = 0; j < (nout_); j++)                                  \
			out[j] = o_[j];                                        \
                                                                               \
		for (i = 0; i < s->n && i < n; i++) {                          \
			struct qd_bar b = qd_series_bar(s, i);                 \
			double v[nout_];                                       \
                                                                               \
			update_(&st, &b, v);                                   \
			for (j = 0; j < (nout_); j++)                          \
				out[j][i] = v[j];                              \
		}                                                              \
		for (k = i; i < s->n;) {                                       \
			struct ta_rsum *r = rsum_(&st);                        \
			struct ta_pt pa, pb;                                   \
                                                                               \
			e = i + (r->every - r->since);                         \
			e = e < s->n ? e : s->n;                               \
			r->since += e - i;                                     \
			/* pairs while three or more bars are left */          \
			for (; i + 3 <= e; i += 2) {                           \
				advance_(&st, x[i], x[i - n]);                 \
				pa = value_(&st);                              \
				advance_(&st, x[i + 1], x[i + 1 - n]);         \
				pb = value_(&st);                              \
				emit2_(&st, pa, pb, out, i);                   \
			}                                                      \
			if (i + 2 == e) {                                      \
				advance_(&st, x[i], x[i - n]);                 \
				emit1_(&st, value_(&st), out, i);              \
				i++;                                           \
			}                                                      \
			/* the block's last bar: the re-sum comes before its  \
			 * value, as in streaming */                           \
			advance_(&st, x[i], x[i - n]);                         \
			i++;                                                   \
			if (r->since == r->every) {                            \
				r->since = 0;                                  \
				resum_(&st, x + i - n);                        \
			}                                                      \
			emit1_(&st, value_(&st), out, i - 1);                  \
		}                                                              \
		if (i > k) {                                                   \
			struct ta_rsum *r = rsum_(&st);                        \
                                                                               \
			r->head = (r->head + (i - k)) % n;                     \
			ta_ring_refill(r->buf, n, r->head, x, i);              \
		}                                                              \
		*(type_ *)state = st;                                          \
	}

/* Descriptor boilerplate for one indicator whose batch entry id##_batch
 * is defined before; flags_ are its QD_INDICATOR_* flags, oflags_ NULL or
 * its outputs' QD_OUTPUT_* flags (one per output). */
#define TA_PLUGIN_OPS_PLACED(id, desc, params_, outs_, create_, destroy_,    \
	lookback_, update_, flags_, oflags_)                                   \
	static const struct qd_indicator_ops id##_ops = {                      \
		.base = { .size = sizeof(struct qd_indicator_ops),             \
			  .create = create_, .destroy = destroy_ },            \
		.outputs = outs_, .n_outputs = QD_COUNTOF(outs_),              \
		.lookback = lookback_, .update = update_,                      \
		.batch = id##_batch, .flags = flags_, .output_flags = oflags_, \
	};                                                                     \
	const struct qd_plugin ta_##id##_plugin = {                            \
		.size = sizeof(struct qd_plugin), .kind = QD_KIND_INDICATOR,   \
		.name = #id, .version = TA_VERSION, .description = desc,       \
		.license = "MIT", .params = params_,                           \
		.n_params = QD_COUNTOF(params_), .ops = &id##_ops,             \
	}

/* ... whose outputs all go where flags_ says. */
#define TA_PLUGIN_OPS(id, desc, params_, outs_, create_, destroy_,           \
	lookback_, update_, flags_)                                            \
	TA_PLUGIN_OPS_PLACED(id, desc, params_, outs_, create_, destroy_,      \
		lookback_, update_, flags_, NULL)

/* ... and for one whose batch is TA_BATCH over its `type_` state. */
#define TA_PLUGIN(id, desc, params_, outs_, type_, create_, destroy_,        \
	lookback_, update_, flags_)                                            \
	TA_BATCH(id, type_, QD_COUNTOF(outs_), update_)                        \
	TA_PLUGIN_OPS(id, desc, params_, outs_, create_, destroy_, lookback_,  \
		update_, flags_)

extern const struct qd_plugin ta_sma_plugin, ta_ema_plugin, ta_wma_plugin,
	ta_dema_plugin, ta_tema_plugin;

#endif
