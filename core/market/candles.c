/*
 * candles.c -- trades into candles of every timeframe (see candles.h).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "market/candles.h"

const uint32_t candle_tf_seconds[CANDLE_TFS] = {
	60, 180, 300, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400,
	604800,
};

#define NS 1000000000LL
#define WEEK (604800 * NS)
/* 1970-01-01 was a Thursday: weeks start 4 days later, on Monday. */
#define MONDAY (4 * 86400 * NS)
/* A jump of more periods than this (a clock far ahead) closes the open bar
 * and starts at the new time without filling every period between. */
#define MAX_FILL 20160
/* Venue klines and trade-built 1m bars waiting for each other. */
#define PENDING 8

struct bar {
	int64_t start;
	int64_t end;
	double o, h, l, c, v, qv;
	int64_t n;
};

struct pending {
	int64_t start;   /* 0 = empty slot */
	struct candle c;
};

struct candle_series {
	struct candles *a;
	char *source;
	qd_symbol symbol;
	int started;
	int64_t last_ts;            /* time of the latest trade */
	int klines;                 /* the venue's 1m klines are the 1m bars */
	int64_t out_1m;             /* newest 1m bar handed out, or INT64_MIN */
	int64_t next_end;           /* earliest end of an open bar */
	uint32_t dirty;             /* open bars changed since the partials */
	struct bar bar[CANDLE_TFS]; /* by position in a->tf */
	struct pending built[PENDING];  /* trade-built 1m bars, klines mode */
	struct pending venue[PENDING];  /* venue klines not yet compared */
};

struct candles {
	int n_tf;
	uint32_t tf[CANDLE_TFS];    /* the mask's timeframes, seconds */
	int64_t span[CANDLE_TFS];   /* ns */
	int one_min;                /* position of 1m, or -1 */
	candle_fn fn;
	void *arg;
	struct candle_series **series;
	size_t n, cap;
	struct candles_stats st;
};

int64_t
candle_open(int64_t ts, uint32_t tf_s)
{
	int64_t span = (int64_t)tf_s * NS, off = tf_s == 604800 ? MONDAY : 0;
	int64_t x = ts - off;

	return x - ((x % span) + span) % span + off;
}

int
candle_tf_index(uint32_t tf_s)
{
	int i;

	for (i = 0; i < CANDLE_TFS; i++)
		if (candle_tf_seconds[i] == tf_s)
			return i;
	return -1;
}

struct candles *
candles_new(uint32_t mask, candle_fn fn, void *arg)
{
	struct candles *a = calloc(1, sizeof(*a));
	int i;

	if (a == NULL)
		return NULL;
	a->fn = fn;
	a->arg = arg;
	a->one_min = -1;
	for (i = 0; i < CANDLE_TFS; i++)
		if (mask & (1u << i)) {
			if (candle_tf_seconds[i] == 60)
				a->one_min = a->n_tf;
			a->tf[a->n_tf] = candle_tf_seconds[i];
			a->span[a->n_tf++] = (int64_t)candle_tf_seconds[i] * NS;
		}
	return a;
}

void
candles_free(struct candles *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->series[i]->source);
		free(a->series[i]);
	}
	free(a->series);
	free(a);
}

struct candle_series *
candles_series(struct candles *a, const char *source, qd_symbol symbol)
{
	struct candle_series *s;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->series[i]->symbol == symbol &&
		    strcmp(a->series[i]->source, source) == 0)
			return a->series[i];
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct candle_series **n = realloc(a->series,
			cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		a->series = n;
		a->cap = cap;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->source = strdup(source)) == NULL) {
		free(s);
		return NULL;
	}
	s->a = a;
	s->symbol = symbol;
	a->series[a->n++] = s;
	return s;
}

static void
to_candle(const struct bar *b, struct candle *c)
{
	c->ts = b->start;
	c->open = b->o;
	c->high = b->h;
	c->low = b->l;
	c->close = b->c;
	c->volume = b->v;
	c->quote_volume = b->qv;
	c->trades = b->n;
}

static int
same_candle(const struct candle *x, const struct candle *y)
{
	double tol = 1e-9 * fmax(fabs(x->volume), fabs(y->volume));

	return x->open == y->open && x->high == y->high && x->low == y->low &&
	    x->close == y->close && fabs(x->volume - y->volume) <= tol &&
	    (x->trades < 0 || y->trades < 0 || x->trades == y->trades);
}

/* Find (and empty) the slot of `start` in a pending ring. */
static int
take_pending(struct pending *p, int64_t start, struct candle *out)
{
	int i;

	for (i = 0; i < PENDING; i++)
		if (p[i].start == start && start != 0) {
			*out = p[i].c;
			p[i].start = 0;
			return 1;
		}
	return 0;
}

static void
put_pending(struct pending *p, const struct candle *c)
{
	int i, oldest = 0;

	for (i = 0; i < PENDING; i++) {
		if (p[i].start == 0) {
			oldest = i;
			break;
		}
		if (p[i].start < p[oldest].start)
			oldest = i;
	}
	p[oldest].start = c->ts;
	p[oldest].c = *c;
}

/* A closed bar of tf_s opening at ts is handed out: per-timeframe
 * counters. */
static void
count_out(struct candles *a, uint32_t tf_s, int64_t ts)
{
	int k = candle_tf_index(tf_s);

	if (k < 0)
		return;
	a->st.closed_tf[k]++;
	if (ts > a->st.last_open[k])
		a->st.last_open[k] = ts;
}

/* A closed bar of position i. */
static void
emit(struct candle_series *s, int i, const struct bar *b)
{
	struct candles *a = s->a;
	struct candle c, v;

	to_candle(b, &c);
	a->st.closed++;
	if (b->n == 0)
		a->st.empty++;
	if (i == a->one_min && s->klines) {
		/* The venue's kline is the bar; this one is only compared. */
		if (take_pending(s->venue, c.ts, &v)) {
			if (!same_candle(&c, &v))
				a->st.divergences++;
		} else {
			put_pending(s->built, &c);
		}
		return;
	}
	if (i == a->one_min && c.ts > s->out_1m)
		s->out_1m = c.ts;
	count_out(a, a->tf[i], c.ts);
	a->fn(a->arg, s->source, s->symbol, a->tf[i], &c, 1);
}

/* Next bar after b: flat at b's close. */
static void
next_bar(struct bar *b, int64_t start, int64_t span)
{
	b->start = start;
	b->end = start + span;
	b->o = b->h = b->l = b->c;
	b->v = b->qv = 0;
	b->n = 0;
}

/* Close bar i, and the empty periods after it, up to the one holding t. */
static void
roll(struct candle_series *s, int i, int64_t t)
{
	struct candles *a = s->a;
	struct bar *b = &s->bar[i];
	int64_t span = a->span[i];

	if ((t - b->end) / span > MAX_FILL) {
		emit(s, i, b);
		next_bar(b, candle_open(t, a->tf[i]), span);
		return;
	}
	while (b->end <= t) {
		emit(s, i, b);
		next_bar(b, b->end, span);
	}
}

static void
update_next_end(struct candle_series *s)
{
	int i;

	s->next_end = INT64_MAX;
	for (i = 0; i < s->a->n_tf; i++)
		if (s->bar[i].end < s->next_end)
			s->next_end = s->bar[i].end;
}

int
candles_trade(struct candle_series *s, int64_t ts, double price, double qty)
{
	struct candles *a = s->a;
	int i, n = a->n_tf;

	if (!(price > 0) || !isfinite(price) || !(qty >= 0) || !isfinite(qty))
		return QD_ERR_INVALID;
	if (!s->started) {
		for (i = 0; i < n; i++) {
			struct bar *b = &s->bar[i];

			b->start = candle_open(ts, a->tf[i]);
			b->end = b->start + a->span[i];
			b->o = b->h = b->l = b->c = price;
			b->v = b->qv = 0;
			b->n = 0;
		}
		s->started = 1;
		update_next_end(s);
	} else if (ts >= s->next_end) {
		for (i = 0; i < n; i++)
			if (ts >= s->bar[i].end)
				roll(s, i, ts);
		update_next_end(s);
	} else if (n > 0 && ts < s->bar[0].start) {
		a->st.late++;
		return QD_ERR_STATE;
	}
	for (i = 0; i < n; i++) {
		struct bar *b = &s->bar[i];

		if (b->n == 0) {
			b->o = b->h = b->l = price;
		} else {
			b->h = price > b->h ? price : b->h;
			b->l = price < b->l ? price : b->l;
		}
		b->c = price;
		b->v += qty;
		b->qv += price * qty;
		b->n++;
	}
	s->dirty = (1u << n) - 1;
	if (ts > s->last_ts)
		s->last_ts = ts;
	a->st.trades++;
	return QD_OK;
}

int
candles_kline(struct candle_series *s, const struct candle *c)
{
	struct candles *a = s->a;
	struct candle built;

	if (c->ts % (60 * NS) != 0 || !isfinite(c->open) || !isfinite(c->high) ||
	    !isfinite(c->low) || !isfinite(c->close) || !isfinite(c->volume) ||
	    c->volume < 0)
		return QD_ERR_INVALID;
	if (a->one_min < 0)
		return QD_OK;
	s->klines = 1;
	a->st.klines++;
	if (take_pending(s->built, c->ts, &built)) {
		if (!same_candle(&built, c))
			a->st.divergences++;
	} else if (!s->started || c->ts >= s->bar[a->one_min].start) {
		/* Its trades' bar is still open: compare when it closes. */
		put_pending(s->venue, c);
	}
	if (c->ts <= s->out_1m) {
		/* A backfill: older than a bar already handed out. */
		a->fn(a->arg, s->source, s->symbol, 60, c, 2);
		return QD_OK;
	}
	s->out_1m = c->ts;
	count_out(a, 60, c->ts);
	a->fn(a->arg, s->source, s->symbol, 60, c, 1);
	return QD_OK;
}

void
candles_expect_klines(struct candle_series *s)
{
	s->klines = 1;
}

void
candles_advance(struct candles *a, int64_t now)
{
	size_t k;
	int i;

	for (k = 0; k < a->n; k++) {
		struct candle_series *s = a->series[k];

		/* A series replayed from the past closes its bars with its own
		 * trades; the clock only closes those of a live market. */
		if (!s->started || now < s->next_end ||
		    now - s->last_ts > CANDLE_LIVE_WINDOW)
			continue;
		for (i = 0; i < a->n_tf; i++)
			if (now >= s->bar[i].end)
				roll(s, i, now);
		update_next_end(s);
	}
}

void
candles_partials(struct candles *a)
{
	struct candle c;
	size_t k;
	int i;

	for (k = 0; k < a->n; k++) {
		struct candle_series *s = a->series[k];

		if (!s->dirty)
			continue;
		for (i = 0; i < a->n_tf; i++)
			if (s->dirty & (1u << i)) {
				to_candle(&s->bar[i], &c);
				a->fn(a->arg, s->source, s->symbol, a->tf[i], &c,
					0);
			}
		s->dirty = 0;
	}
}

void
candles_stats(const struct candles *a, struct candles_stats *out)
{
	*out = a->st;
}
