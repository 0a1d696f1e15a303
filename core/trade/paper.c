/*
 * paper.c -- the matching engine (see paper.h for the fill rules).
 *
 * Orders live in one book per symbol, in placement order (ids grow, so a
 * book is sorted by id too: paper_cancel finds an order by bisection).
 * Matching walks the symbol's book only, by index, so that callbacks may
 * submit (appending, perhaps moving the array) and cancel.  An order that
 * ends is marked closed where it is; the walks skip it, and a book is
 * compacted (order kept) outside matching once a quarter of it is closed.
 *
 * Trades are the hot path.  Each book keeps an envelope (lo, hi): a trade
 * priced strictly between them reaches none of its orders -- no limit, no
 * trigger, no trailing stop's best -- and is skipped in O(1).  It is
 * recomputed after each trade that was matched and after each bar; a
 * submit widens it; a closed order leaves it wider than needed, which is
 * still right.  Upper bounds on the orders of pass 0 and of IOC/FOK kinds
 * let a matched trade skip those walks when there are none.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trade/paper.h"

struct order {
	/* What the walks over a book read, first (one cache line). */
	unsigned char closed;      /* ended; removed at a compaction */
	unsigned char triggered;   /* stop-/take-profit-limit: now a limit */
	unsigned char has_best;
	unsigned char reduce_only;
	enum qd_side side;
	enum qd_order_type type;
	enum qd_tif tif;
	double price, stop;
	double best;       /* trailing: best price seen, once has_best */
	int64_t from;      /* eligible from: placed + latency */
	double trail, trail_bps;
	/* The rest. */
	uint64_t id;
	int64_t qty;       /* still open */
	int64_t filled;    /* filled so far */
	double avg;        /* average fill price, exact after one fill */
	long double notional;  /* sum of the fills' qty x price */
};

/* One symbol's orders and prices. */
struct book {
	struct order *o;   /* placement (= id) order; closed ones until
	                      compacted */
	size_t n, cap;
	size_t live;       /* open orders */
	double last;       /* last trade or bar close, 0 before any */
	double lo, hi;     /* a trade in (lo, hi) reaches no order */
	size_t n_trig;     /* at most this many orders act in pass 0 */
	size_t n_now;      /* at most this many are IOC/FOK limit kinds */
	int env_ok;        /* lo, hi, n_trig, n_now hold (else recompute) */
};

struct pos {
	int64_t qty;
	double avg;
	double mark;       /* last price seen: bar closes, trades and fills */
};

/* A limit a trade reaches, for the price-time sort. */
struct reach {
	double through;    /* how far the trade is through its price */
	uint64_t id;       /* older first */
	size_t idx;
};

struct paper {
	struct paper_config cfg;
	struct book *books;    /* by symbol id */
	size_t n_books;
	size_t open;           /* open orders, all symbols */
	uint64_t next_id;
	uint64_t next_fill;
	int64_t cash, fees;
	struct pos *pos;   /* by symbol id */
	size_t n_pos;
	struct reach *scratch; /* room for the largest book's n */
	size_t n_scratch;
	int busy;          /* inside paper_on_bar/paper_on_trade */
	int dirty;         /* orders closed while busy: compact at the end */
	char why[200];     /* the last rejection's reason (paper_fill.reject) */
};

typedef void (*fill_fn)(void *arg, const struct paper_fill *f);

int64_t
paper_units(double x)
{
	return (int64_t)llround(x * (double)PAPER_UNIT);
}

struct paper *
paper_new(const struct paper_config *cfg)
{
	struct paper *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->cfg = *cfg;
	p->cash = cfg->cash;
	return p;
}

void
paper_free(struct paper *p)
{
	size_t s;

	if (p == NULL)
		return;
	for (s = 0; s < p->n_books; s++)
		free(p->books[s].o);
	free(p->books);
	free(p->pos);
	free(p->scratch);
	free(p);
}

/*
 * Grow *arr, an array of *n elements of `size` bytes indexed by symbol
 * id, to hold `sym` (the new ones zero): the array, or NULL when out of
 * memory (*arr unchanged).
 */
static void *
by_symbol(void **arr, size_t *n, size_t size, qd_symbol sym)
{
	size_t want = (size_t)sym + 16;
	char *na;

	if (sym < *n)
		return *arr;
	if ((na = realloc(*arr, want * size)) == NULL)
		return NULL;
	memset(na + *n * size, 0, (want - *n) * size);
	*arr = na;
	*n = want;
	return na;
}

/* The symbol's book, made on first use; NULL when out of memory. */
static struct book *
book_of(struct paper *p, qd_symbol sym)
{
	void *a = p->books;
	struct book *b = by_symbol(&a, &p->n_books, sizeof(*b), sym);

	p->books = a;
	return b ? &b[sym] : NULL;
}

static int
is_tif_now(const struct order *o)
{
	return o->tif == QD_TIF_IOC || o->tif == QD_TIF_FOK;
}

/* LIMIT, STOP_LIMIT or TAKE_PROFIT_LIMIT: has a limit price. */
static int
limit_kind(enum qd_order_type t)
{
	return t == QD_ORDER_LIMIT || t == QD_ORDER_STOP_LIMIT ||
		t == QD_ORDER_TAKE_PROFIT_LIMIT;
}

/* A limit now: LIMIT, or a triggered stop-/take-profit-limit. */
static int
limit_active(const struct order *o)
{
	return o->type == QD_ORDER_LIMIT ||
		((o->type == QD_ORDER_STOP_LIMIT ||
		  o->type == QD_ORDER_TAKE_PROFIT_LIMIT) && o->triggered);
}

/* A trailing stop's stop from its best price (has_best). */
static double
trail_stop(const struct order *o)
{
	double d = o->trail > 0 ? o->trail : o->trail_bps / 10000.0 * o->best;

	return o->side == QD_SIDE_BUY ? o->best + d : o->best - d;
}

/*
 * Widen the envelope (lo, hi) by the prices at which `o` acts: a trade at
 * or below lo, or at or above hi, may reach it.
 */
static void
env_add(struct book *b, const struct order *o)
{
	int buy = o->side == QD_SIDE_BUY;
	double below = -INFINITY, above = INFINITY;

	if (!limit_active(o))
		b->n_trig++;
	if (is_tif_now(o) && limit_kind(o->type)) {
		b->n_now++;
		if (limit_active(o)) {
			b->lo = INFINITY;   /* expires at its first trade */
			return;
		}
	}
	switch (o->type) {
	case QD_ORDER_MARKET:
		below = INFINITY;
		break;
	case QD_ORDER_STOP_LIMIT:
	case QD_ORDER_TAKE_PROFIT_LIMIT:
		if (o->triggered) {
			if (buy)
				below = o->price;
			else
				above = o->price;
			break;
		}
		if ((o->type == QD_ORDER_STOP_LIMIT) == buy)
			above = o->stop;
		else
			below = o->stop;
		break;
	case QD_ORDER_LIMIT:
		if (buy)
			below = o->price;
		else
			above = o->price;
		break;
	case QD_ORDER_STOP:
		if (buy)
			above = o->stop;
		else
			below = o->stop;
		break;
	case QD_ORDER_TAKE_PROFIT:
		if (buy)
			below = o->stop;
		else
			above = o->stop;
		break;
	case QD_ORDER_TRAILING_STOP:
		if (!o->has_best) {
			below = INFINITY;   /* the first price sets its best */
			break;
		}
		/* A new best moves it, its stop fills it. */
		if (buy) {
			below = o->best;
			above = trail_stop(o);
		} else {
			above = o->best;
			below = trail_stop(o);
		}
		break;
	default:
		below = INFINITY;
		break;
	}
	if (below > b->lo)
		b->lo = below;
	if (above < b->hi)
		b->hi = above;
}

static void
envelope(struct book *b)
{
	size_t i;

	b->lo = -INFINITY;
	b->hi = INFINITY;
	b->n_trig = b->n_now = 0;
	for (i = 0; i < b->n; i++)
		if (!b->o[i].closed)
			env_add(b, &b->o[i]);
	b->env_ok = 1;
}

/*
 * Drop the book's closed orders, keeping the order of the rest -- once
 * they are a quarter of it (walks skip them; this bounds the waste).
 */
static void
compact(struct book *b)
{
	size_t i, j = 0;

	if ((b->n - b->live) * 4 <= b->n + 32)
		return;
	for (i = 0; i < b->n; i++)
		if (!b->o[i].closed)
			b->o[j++] = b->o[i];
	b->n = j;
}

/*
 * End order idx of book sym (it stays in place until compacted).  The
 * envelope stays as it was: wider than needed is still right.
 */
static void
close_order(struct paper *p, qd_symbol sym, size_t idx)
{
	struct book *b = &p->books[sym];

	b->o[idx].closed = 1;
	b->live--;
	p->open--;
	if (p->busy)
		p->dirty = 1;
	else
		compact(b);
}

/* After matching: drop what closed meanwhile, in every book. */
static void
settle(struct paper *p)
{
	size_t s;

	p->busy = 0;
	if (!p->dirty)
		return;
	for (s = 0; s < p->n_books; s++)
		compact(&p->books[s]);
	p->dirty = 0;
}

/* Index of order `id` in its book, and the book's symbol; -1 if none. */
static long
find(const struct paper *p, uint64_t id, qd_symbol *sym)
{
	size_t s;

	for (s = 0; s < p->n_books; s++) {
		const struct book *b = &p->books[s];
		size_t lo = 0, hi = b->n;

		if (b->live == 0 || b->o[0].id > id || b->o[b->n - 1].id < id)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (b->o[mid].id < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < b->n && b->o[lo].id == id && !b->o[lo].closed) {
			*sym = (qd_symbol)s;
			return (long)lo;
		}
	}
	return -1;
}

/* Check an order's fields (see paper_submit); QD_OK or the refusal. */
static int
check_req(const struct paper *p, const struct qd_order_req *r)
{
	double last;

	if (!(r->qty > 0) || !isfinite(r->qty) || r->symbol == 0 ||
	    (r->side != QD_SIDE_BUY && r->side != QD_SIDE_SELL))
		return QD_ERR_INVALID;
	if ((int)r->type < QD_ORDER_MARKET ||
	    (int)r->type > QD_ORDER_TRAILING_STOP ||
	    (int)r->tif < QD_TIF_GTC || (int)r->tif > QD_TIF_POST_ONLY)
		return QD_ERR_INVALID;
	if (limit_kind(r->type) && (!(r->price > 0) || !isfinite(r->price)))
		return QD_ERR_INVALID;
	if ((r->type == QD_ORDER_STOP || r->type == QD_ORDER_STOP_LIMIT ||
	     r->type == QD_ORDER_TAKE_PROFIT ||
	     r->type == QD_ORDER_TAKE_PROFIT_LIMIT) &&
	    (!(r->stop_price > 0) || !isfinite(r->stop_price)))
		return QD_ERR_INVALID;
	if (r->type == QD_ORDER_TRAILING_STOP &&
	    (!(r->trail >= 0) || !isfinite(r->trail) ||
	     !(r->trail_bps >= 0) || !(r->trail_bps < 10000) ||
	     !(r->trail > 0 || r->trail_bps > 0)))
		return QD_ERR_INVALID;
	if (r->tif != QD_TIF_POST_ONLY)
		return QD_OK;
	if (!limit_kind(r->type))
		return QD_ERR_INVALID;
	last = paper_last_price(p, r->symbol);
	if (r->type == QD_ORDER_LIMIT && last > 0 &&
	    (r->side == QD_SIDE_BUY ? r->price >= last : r->price <= last))
		return QD_ERR_DENIED;   /* it would take liquidity */
	return QD_OK;
}

int
paper_submit(struct paper *p, const struct qd_order_req *req,
	int64_t placed_ns, uint64_t *id)
{
	struct qd_order_req r;
	struct book *b;
	struct order *o;
	int st;

	/* Modules built before ABI 1.3 pass the shorter struct: zeros for
	 * what they do not know. */
	if (req == NULL || req->size < offsetof(struct qd_order_req, trail))
		return QD_ERR_INVALID;
	memset(&r, 0, sizeof(r));
	memcpy(&r, req, req->size < sizeof(r) ? req->size : sizeof(r));
	if ((st = check_req(p, &r)) != QD_OK)
		return st;
	if ((b = book_of(p, r.symbol)) == NULL)
		return QD_ERR_NOMEM;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct order *n = realloc(b->o, cap * sizeof(*n));

		if (n == NULL)
			return QD_ERR_NOMEM;
		b->o = n;
		b->cap = cap;
	}
	if (b->n + 1 > p->n_scratch) {
		/* Matching a trade sorts up to a whole book: room now, so
		 * the hot path never allocates. */
		size_t cap = b->cap > 2 * p->n_scratch ? b->cap :
			2 * p->n_scratch;
		struct reach *n = realloc(p->scratch, cap * sizeof(*n));

		if (n == NULL)
			return QD_ERR_NOMEM;
		p->scratch = n;
		p->n_scratch = cap;
	}
	o = &b->o[b->n];
	memset(o, 0, sizeof(*o));
	o->id = ++p->next_id;
	o->qty = paper_units(r.qty);
	if (o->qty <= 0)
		return QD_ERR_INVALID;  /* rounds to nothing (its id is spent) */
	o->side = r.side;
	o->type = r.type;
	o->tif = r.tif;
	o->price = r.price;
	o->stop = r.stop_price;
	o->trail = r.trail;
	o->trail_bps = r.trail_bps;
	o->from = placed_ns;
	if (p->cfg.latency_ns > 0)
		o->from = placed_ns > INT64_MAX - p->cfg.latency_ns ?
			INT64_MAX : placed_ns + p->cfg.latency_ns;
	o->reduce_only = (r.flags & QD_ORDER_REDUCE_ONLY) != 0;
	b->n++;
	b->live++;
	p->open++;
	if (b->env_ok)
		env_add(b, o);
	if (id)
		*id = o->id;
	return QD_OK;
}

int
paper_cancel(struct paper *p, uint64_t id)
{
	qd_symbol sym;
	long i = find(p, id, &sym);

	if (i < 0)
		return QD_ERR_NOTFOUND;
	close_order(p, sym, (size_t)i);
	return QD_OK;
}

size_t
paper_cancel_all(struct paper *p)
{
	size_t n = p->open, s, i;

	for (s = 0; s < p->n_books; s++) {
		struct book *b = &p->books[s];

		for (i = 0; i < b->n; i++)
			b->o[i].closed = 1;
		b->live = 0;
		b->env_ok = 0;
		if (!p->busy)
			b->n = 0;
	}
	if (p->busy)
		p->dirty = 1;
	p->open = 0;
	return n;
}

int
paper_get_order(const struct paper *p, uint64_t id, struct paper_order *out)
{
	qd_symbol sym;
	long i = find(p, id, &sym);
	const struct order *o;

	if (i < 0)
		return QD_ERR_NOTFOUND;
	o = &p->books[sym].o[i];
	memset(out, 0, sizeof(*out));
	out->id = o->id;
	out->symbol = sym;
	out->side = o->side;
	out->type = o->type;
	out->tif = o->tif;
	out->qty = o->qty;
	out->filled = o->filled;
	out->avg_price = o->avg;
	out->price = o->price;
	out->stop_price = o->stop;
	out->triggered = o->triggered;
	if (o->type == QD_ORDER_TRAILING_STOP && o->has_best)
		out->trail_stop = trail_stop(o);
	out->eligible_ns = o->from;
	return QD_OK;
}

double
paper_last_price(const struct paper *p, qd_symbol sym)
{
	return sym < p->n_books ? p->books[sym].last : 0;
}

void
paper_fill_update(const struct paper_fill *f, struct qd_order_update *u)
{
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	u->order_id = f->order_id;
	u->symbol = f->symbol;
	u->side = f->side;
	u->type = f->type;
	u->ts = f->ts;
	u->filled_qty = (double)f->filled / PAPER_UNIT;
	u->avg_price = f->avg_price;
	if (f->expired) {
		/* Closed without a fill: by time in force, or by a fill
		 * that could not be paid for. */
		u->qty = (double)(f->filled + f->qty) / PAPER_UNIT;
		u->state = f->reject == NULL ? QD_ORDER_EXPIRED :
			f->filled > 0 ? QD_ORDER_CANCELED : QD_ORDER_REJECTED;
		u->reason = f->reject;
		return;
	}
	if (f->reject != NULL) {
		u->qty = (double)f->qty / PAPER_UNIT;
		u->state = QD_ORDER_REJECTED;
		u->reason = f->reject;
		return;
	}
	u->qty = (double)(f->filled + f->remaining) / PAPER_UNIT;
	u->state = f->remaining > 0 ? QD_ORDER_PARTIAL : QD_ORDER_FILLED;
	u->last_qty = (double)f->qty / PAPER_UNIT;
	u->last_price = f->price;
	u->fee = (double)f->fee / PAPER_UNIT;
	u->maker = f->maker;
}

/* The symbol's position, made on first use; NULL when out of memory. */
static struct pos *
pos_of(struct paper *p, qd_symbol sym)
{
	void *a = p->pos;
	struct pos *ps = by_symbol(&a, &p->n_pos, sizeof(*ps), sym);

	p->pos = a;
	return ps ? &ps[sym] : NULL;
}

/* Apply one fill (its fee set) to cash and position. */
static void
apply(struct paper *p, const struct paper_fill *f)
{
	struct pos *ps = pos_of(p, f->symbol);
	int64_t signed_qty = f->side == QD_SIDE_BUY ? f->qty : -f->qty;
	int64_t cash_delta = (int64_t)llroundl((long double)f->qty * f->price);

	p->cash += f->side == QD_SIDE_BUY ? -cash_delta : cash_delta;
	p->cash -= f->fee;
	p->fees += f->fee;
	if (ps == NULL)
		return;
	if (ps->qty == 0 || (ps->qty > 0) == (signed_qty > 0)) {
		/* Opening or adding: weighted average entry. */
		long double tot = (long double)ps->qty + signed_qty;

		ps->avg = (double)(((long double)ps->avg * ps->qty +
			(long double)f->price * signed_qty) / tot);
		ps->qty += signed_qty;
	} else if (llabs(signed_qty) <= llabs(ps->qty)) {
		ps->qty += signed_qty;        /* reducing: average unchanged */
		if (ps->qty == 0)
			ps->avg = 0;
	} else {
		ps->qty += signed_qty;        /* reversing */
		ps->avg = f->price;
	}
}

/* Cash plus every position at its last price, with `sym` at `px`. */
static long double
equity_at(const struct paper *p, qd_symbol sym, double px)
{
	long double eq = (long double)p->cash;
	size_t s;

	for (s = 0; s < p->n_pos; s++)
		if (p->pos[s].qty != 0)
			eq += (long double)p->pos[s].qty *
				(s == sym ? px : p->pos[s].mark);
	return eq;
}

static double
fee_rate(const struct paper *p, int maker)
{
	return maker ? p->cfg.maker_fee : p->cfg.taker_fee;
}

/*
 * Can the account take fill `f` (buying power, see paper.h)?  NULL if
 * so, else the reason, in `why`.
 */
static const char *
unaffordable(struct paper *p, const struct paper_fill *f, char *why,
	size_t cap)
{
	struct pos *ps = pos_of(p, f->symbol);
	int64_t before = ps ? ps->qty : 0;
	int64_t after = before + (f->side == QD_SIDE_BUY ? f->qty : -f->qty);
	long double notional = (long double)f->qty * f->price;
	long double fee = notional * fee_rate(p, f->maker), cash, eq;

	if (f->side == QD_SIDE_BUY) {
		if (after <= 0 || after <= before)
			return NULL;          /* covers a short */
		cash = (long double)p->cash - notional - fee;
		if (cash >= 0)
			return NULL;
		snprintf(why, cap, "insufficient funds: the buy costs %.8Lg "
			"with fees, cash is %.8Lg", (notional + fee) / PAPER_UNIT,
			(long double)p->cash / PAPER_UNIT);
		return why;
	}
	if (after >= 0 || after >= before)
		return NULL;                  /* reduces a long */
	eq = equity_at(p, f->symbol, f->price) - fee;
	if ((long double)-after * f->price <= eq)
		return NULL;
	snprintf(why, cap, "insufficient margin: a short of %.8Lg needs that "
		"much equity, the account has %.8Lg",
		(long double)-after * f->price / PAPER_UNIT, eq / PAPER_UNIT);
	return why;
}

static double
slip(const struct paper *p, enum qd_side side, double px)
{
	double s = p->cfg.slippage_bps / 10000.0;

	return side == QD_SIDE_BUY ? px * (1.0 + s) : px * (1.0 - s);
}

/* A fill report of order `o` of `sym` at `ts`, the order's totals in. */
static void
fill_init(struct paper_fill *f, const struct order *o, qd_symbol sym,
	int64_t ts)
{
	memset(f, 0, sizeof(*f));
	f->order_id = o->id;
	f->symbol = sym;
	f->side = o->side;
	f->type = limit_active(o) ? QD_ORDER_LIMIT : o->type;
	f->ts = ts;
	f->filled = o->filled;
	f->avg_price = o->avg;
}

/* End order idx of book sym unfilled by its time in force: report it. */
static void
expire(struct paper *p, qd_symbol sym, size_t idx, int64_t ts, fill_fn fn,
	void *arg)
{
	struct order *o = &p->books[sym].o[idx];
	struct paper_fill f;

	fill_init(&f, o, sym, ts);
	f.qty = o->qty;
	f.expired = 1;
	close_order(p, sym, idx);
	if (fn)
		fn(arg, &f);
}

/*
 * Fill `q` (<= open) of order idx of book sym at `px` -- a limit's fill
 * when `maker` -- at `ts`: clip a reduce-only order to the position,
 * check buying power, apply, update the order, report through fn (which
 * may move the books: nothing is held across it).  Returns the quantity
 * applied (0 when refused or dropped).
 */
static int64_t
fill(struct paper *p, qd_symbol sym, size_t idx, int64_t ts, int64_t q,
	double px, int maker, fill_fn fn, void *arg)
{
	struct order *o = &p->books[sym].o[idx];
	struct paper_fill f;
	struct pos *ps;
	int ends = q == o->qty;

	if (o->reduce_only) {
		/* Only what closes the position, else nothing. */
		int64_t held = paper_position(p, sym, NULL);
		int64_t room = (o->side == QD_SIDE_SELL) == (held > 0) ?
			llabs(held) : 0;

		if (room == 0) {
			if (p->cfg.report_drops) {
				fill_init(&f, o, sym, ts);
				f.qty = o->qty;
				f.price = px;
				f.expired = 1;
				f.reject = "reduce-only: no position to reduce";
			}
			close_order(p, sym, idx);
			if (p->cfg.report_drops && fn)
				fn(arg, &f);
			return 0;
		}
		if (room < q) {
			q = room;
			ends = 1;
		}
	}
	fill_init(&f, o, sym, ts);
	f.qty = q;
	f.price = px;
	f.maker = maker;
	f.fee = (int64_t)llroundl((long double)q * px * fee_rate(p, maker));
	f.reject = p->cfg.afford != NULL ?
		p->cfg.afford(p->cfg.afford_arg, &f) :
		unaffordable(p, &f, p->why, sizeof(p->why));
	if (f.reject != NULL) {
		f.fee = 0;
		if (o->filled > 0 || !ends) {
			/* A part: the order's remainder closes with it. */
			f.qty = o->qty;
			f.expired = 1;
		}
		close_order(p, sym, idx);
		if (fn)
			fn(arg, &f);
		return 0;
	}
	apply(p, &f);
	if ((ps = pos_of(p, sym)) != NULL)
		ps->mark = px;
	o->notional += (long double)q * px;
	o->avg = o->filled == 0 ? px :
		(double)(o->notional / (long double)(o->filled + q));
	o->filled += q;
	o->qty = ends ? 0 : o->qty - q;
	f.remaining = o->qty;
	f.filled = o->filled;
	f.avg_price = o->avg;
	f.fill_id = ++p->next_fill;
	if (o->qty == 0)
		close_order(p, sym, idx);
	if (fn)
		fn(arg, &f);
	return q;
}

/* Would `o` fill in `bar` in this pass?  Sets *px. */
static int
crosses(const struct paper *p, struct order *o, const struct qd_bar *b,
	int stops_pass, double *px)
{
	int buy = o->side == QD_SIDE_BUY;
	double stop;

	switch (o->type) {
	case QD_ORDER_MARKET:
		if (!stops_pass)
			return 0;
		*px = slip(p, o->side, b->open);
		return 1;
	case QD_ORDER_STOP:
		if (!stops_pass)
			return 0;
		if (buy && b->high >= o->stop) {
			*px = slip(p, o->side, b->open > o->stop ? b->open :
				o->stop);
			return 1;
		}
		if (!buy && b->low <= o->stop) {
			*px = slip(p, o->side, b->open < o->stop ? b->open :
				o->stop);
			return 1;
		}
		return 0;
	case QD_ORDER_TAKE_PROFIT:
		if (!stops_pass)
			return 0;
		if (!buy && b->high >= o->stop) {
			*px = slip(p, o->side, b->open > o->stop ? b->open :
				o->stop);
			return 1;
		}
		if (buy && b->low <= o->stop) {
			*px = slip(p, o->side, b->open < o->stop ? b->open :
				o->stop);
			return 1;
		}
		return 0;
	case QD_ORDER_TRAILING_STOP:
		if (!stops_pass)
			return 0;
		if (!o->has_best) {
			o->best = b->open;
			o->has_best = 1;
		}
		/* The stop of the bars before, against this bar first. */
		stop = trail_stop(o);
		if (buy && b->high >= stop) {
			*px = slip(p, o->side, b->open > stop ? b->open : stop);
			return 1;
		}
		if (!buy && b->low <= stop) {
			*px = slip(p, o->side, b->open < stop ? b->open : stop);
			return 1;
		}
		if (buy && b->low < o->best)
			o->best = b->low;
		if (!buy && b->high > o->best)
			o->best = b->high;
		return 0;
	case QD_ORDER_STOP_LIMIT:
		if (stops_pass && !o->triggered)
			o->triggered = buy ? b->high >= o->stop :
				b->low <= o->stop;
		if (stops_pass || !o->triggered)
			return 0;
		/* Once triggered it behaves as a limit order. */
		goto limit;
	case QD_ORDER_TAKE_PROFIT_LIMIT:
		if (stops_pass && !o->triggered)
			o->triggered = buy ? b->low <= o->stop :
				b->high >= o->stop;
		if (stops_pass || !o->triggered)
			return 0;
		goto limit;
	case QD_ORDER_LIMIT:
	limit:
		if (stops_pass)
			return 0;
		if (buy && b->low <= o->price) {
			*px = b->open < o->price ? b->open : o->price;
			return 1;
		}
		if (!buy && b->high >= o->price) {
			*px = b->open > o->price ? b->open : o->price;
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

void
paper_on_bar(struct paper *p, qd_symbol sym, const struct qd_bar *bar,
	fill_fn fn, void *arg)
{
	struct book *b;
	struct pos *ps;
	size_t n0, i;
	int pass;

	if (p->busy)
		return;       /* not from its own callbacks */
	if (sym < p->n_books && p->books[sym].live > 0) {
		p->busy = 1;
		/* Orders submitted from the callbacks wait (index >= n0). */
		n0 = p->books[sym].n;
		/* Pass 0: market, stop, take-profit and trailing orders
		 * (adverse first); pass 1: limits. */
		for (pass = 0; pass < 2; pass++)
			for (i = 0; i < n0; i++) {
				struct order *o = &p->books[sym].o[i];
				double px;

				if (o->closed || bar->ts < o->from)
					continue;
				if (crosses(p, o, bar, pass == 0, &px))
					fill(p, sym, i, bar->ts, o->qty, px,
						pass == 1, fn, arg);
				else if (pass == 1 && is_tif_now(o) &&
				    limit_active(o))
					expire(p, sym, i, bar->ts, fn, arg);
			}
		p->books[sym].env_ok = 0;   /* triggers, trailing bests */
		settle(p);
	}
	if ((ps = pos_of(p, sym)) != NULL)
		ps->mark = bar->close;
	if ((b = book_of(p, sym)) != NULL)
		b->last = bar->close;
}

/*
 * Pass 0 of a trade at px for order `o`: trigger it, move a trailing
 * stop's best.  1 if it fills now as a market order.
 */
static int
triggers(struct book *b, struct order *o, double px)
{
	int buy = o->side == QD_SIDE_BUY;

	switch (o->type) {
	case QD_ORDER_MARKET:
		return 1;
	case QD_ORDER_STOP:
		return buy ? px >= o->stop : px <= o->stop;
	case QD_ORDER_TAKE_PROFIT:
		return buy ? px <= o->stop : px >= o->stop;
	case QD_ORDER_TRAILING_STOP:
		if (!o->has_best) {
			o->best = px;
			o->has_best = 1;
			b->env_ok = 0;
			return 0;
		}
		if (buy ? px >= trail_stop(o) : px <= trail_stop(o))
			return 1;
		if (buy ? px < o->best : px > o->best) {
			o->best = px;
			b->env_ok = 0;
		}
		return 0;
	case QD_ORDER_STOP_LIMIT:
	case QD_ORDER_TAKE_PROFIT_LIMIT:
		if (!o->triggered && ((o->type == QD_ORDER_STOP_LIMIT) == buy ?
		    px >= o->stop : px <= o->stop)) {
			o->triggered = 1;
			b->env_ok = 0;
		}
		return 0;
	default:
		return 0;
	}
}

/* Price-time priority: furthest through the trade first, then older. */
static int
by_priority(const void *a, const void *b)
{
	const struct reach *x = a, *y = b;

	if (x->through != y->through)
		return x->through > y->through ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Match book sym against trade t (see paper.h); busy is set. */
static void
match_trade(struct paper *p, qd_symbol sym, const struct qd_trade_event *t,
	fill_fn fn, void *arg)
{
	double px = t->price;
	int64_t pool[2], vol = t->qty > 0 && isfinite(t->qty) ?
		paper_units(t->qty) : 0;
	size_t n0 = p->books[sym].n, i, k = 0;

	pool[0] = pool[1] = vol;
	/* Pass 0: market, stop, take-profit, trailing; triggers. */
	for (i = 0; p->books[sym].n_trig > 0 && i < n0; i++) {
		struct order *o = &p->books[sym].o[i];

		if (o->closed || t->ts < o->from)
			continue;
		if (triggers(&p->books[sym], o, px))
			fill(p, sym, i, t->ts, o->qty, slip(p, o->side, px), 0,
				fn, arg);
	}
	/* Pass 1: the limits the trade reaches, in price-time priority. */
	for (i = 0; i < n0; i++) {
		struct order *o = &p->books[sym].o[i];
		int buy = o->side == QD_SIDE_BUY;

		if (o->closed || t->ts < o->from || !limit_active(o) ||
		    (buy ? px > o->price : px < o->price))
			continue;
		p->scratch[k].through = buy ? o->price - px : px - o->price;
		p->scratch[k].id = o->id;
		p->scratch[k].idx = i;
		k++;
	}
	if (k > 1)
		qsort(p->scratch, k, sizeof(*p->scratch), by_priority);
	for (i = 0; i < k; i++) {
		size_t idx = p->scratch[i].idx;
		struct order *o = &p->books[sym].o[idx];
		int64_t *avail = &pool[o->side == QD_SIDE_BUY ? 0 : 1];
		int64_t q;

		if (o->closed)
			continue;         /* cancelled from a callback */
		q = o->qty < *avail ? o->qty : *avail;
		if (q == 0 || (o->tif == QD_TIF_FOK && q < o->qty))
			continue;         /* IOC/FOK: expires below */
		*avail -= fill(p, sym, idx, t->ts, q, o->price, 1, fn, arg);
	}
	/* IOC/FOK limits had their chance: what is open expires. */
	for (i = 0; p->books[sym].n_now > 0 && i < n0; i++) {
		struct order *o = &p->books[sym].o[i];

		if (!o->closed && t->ts >= o->from && is_tif_now(o) &&
		    limit_active(o))
			expire(p, sym, i, t->ts, fn, arg);
	}
	/* Tight again for the trades to come (orders moved, closed, came). */
	envelope(&p->books[sym]);
}

void
paper_on_trade(struct paper *p, const struct qd_trade_event *t,
	fill_fn fn, void *arg)
{
	qd_symbol sym;
	struct book *b;

	if (t == NULL || !(t->price > 0) || !isfinite(t->price) || p->busy)
		return;
	sym = t->symbol;
	if (sym < p->n_books) {
		b = &p->books[sym];
	} else if ((b = book_of(p, sym)) == NULL) {
		return;
	}
	b->last = t->price;
	if (sym < p->n_pos)
		p->pos[sym].mark = t->price;
	if (b->live == 0)
		return;
	if (!b->env_ok)
		envelope(b);
	if (t->price > b->lo && t->price < b->hi)
		return;           /* reaches none of its orders */
	p->busy = 1;
	match_trade(p, sym, t, fn, arg);
	settle(p);
	if (sym < p->n_pos)
		p->pos[sym].mark = t->price;
}

int
paper_set_position(struct paper *p, qd_symbol sym, int64_t qty, double avg)
{
	struct pos *ps = pos_of(p, sym);

	if (ps == NULL)
		return QD_ERR_NOMEM;
	ps->qty = qty;
	ps->avg = qty != 0 ? avg : 0;
	return QD_OK;
}

int64_t
paper_position(const struct paper *p, qd_symbol sym, double *avg)
{
	if (sym >= p->n_pos) {
		if (avg)
			*avg = 0;
		return 0;
	}
	if (avg)
		*avg = p->pos[sym].avg;
	return p->pos[sym].qty;
}

int64_t
paper_cash(const struct paper *p)
{
	return p->cash;
}

int64_t
paper_fees(const struct paper *p)
{
	return p->fees;
}

int64_t
paper_equity(const struct paper *p, const double *marks, size_t n_marks)
{
	long double eq = (long double)p->cash;
	size_t s;
	int open = 0;

	for (s = 0; s < p->n_pos && s < n_marks; s++)
		if (p->pos[s].qty != 0) {
			eq += (long double)p->pos[s].qty * marks[s];
			open = 1;
		}
	/* Flat: the cash, exactly (llroundl would give it back). */
	return open ? (int64_t)llroundl(eq) : p->cash;
}

size_t
paper_open_orders(const struct paper *p)
{
	return p->open;
}
