/*
 * paper.c -- the matching engine (see paper.h for the fill rules).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trade/paper.h"

struct order {
	uint64_t id;
	qd_symbol sym;
	enum qd_side side;
	enum qd_order_type type;
	int64_t qty;
	double price, stop;
	int64_t placed;    /* decision time: fills only from bars opening then */
	int reduce_only;
	int triggered;     /* stop-limit whose stop has traded */
};

struct pos {
	int64_t qty;
	double avg;
	double mark;       /* last price seen: bar closes and fills */
};

struct paper {
	struct paper_config cfg;
	struct order *orders;
	size_t n, cap;
	uint64_t next_id;
	int64_t cash, fees;
	struct pos *pos;   /* by symbol id */
	size_t n_pos;
	char why[200];     /* the last rejection's reason (paper_fill.reject) */
};

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
	if (p == NULL)
		return;
	free(p->orders);
	free(p->pos);
	free(p);
}

int
paper_submit(struct paper *p, const struct qd_order_req *r,
	int64_t placed_ns, uint64_t *id)
{
	struct order *o;

	if (r == NULL || r->size < sizeof(*r) || !(r->qty > 0) ||
	    !isfinite(r->qty) || r->symbol == 0 ||
	    (r->side != QD_SIDE_BUY && r->side != QD_SIDE_SELL))
		return QD_ERR_INVALID;
	if ((r->type == QD_ORDER_LIMIT || r->type == QD_ORDER_STOP_LIMIT) &&
	    !(r->price > 0))
		return QD_ERR_INVALID;
	if ((r->type == QD_ORDER_STOP || r->type == QD_ORDER_STOP_LIMIT) &&
	    !(r->stop_price > 0))
		return QD_ERR_INVALID;
	if (r->type < QD_ORDER_MARKET || r->type > QD_ORDER_STOP_LIMIT)
		return QD_ERR_INVALID;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct order *n = realloc(p->orders, cap * sizeof(*n));

		if (n == NULL)
			return QD_ERR_NOMEM;
		p->orders = n;
		p->cap = cap;
	}
	o = &p->orders[p->n++];
	memset(o, 0, sizeof(*o));
	o->id = ++p->next_id;
	o->sym = r->symbol;
	o->side = r->side;
	o->type = r->type;
	o->qty = paper_units(r->qty);
	o->price = r->price;
	o->stop = r->stop_price;
	o->placed = placed_ns;
	o->reduce_only = (r->flags & QD_ORDER_REDUCE_ONLY) != 0;
	if (id)
		*id = o->id;
	return o->qty > 0 ? QD_OK : (p->n--, QD_ERR_INVALID);
}

int
paper_cancel(struct paper *p, uint64_t id)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->orders[i].id == id) {
			memmove(&p->orders[i], &p->orders[i + 1],
				(p->n - i - 1) * sizeof(p->orders[0]));
			p->n--;
			return QD_OK;
		}
	return QD_ERR_NOTFOUND;
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
	u->qty = (double)f->qty / PAPER_UNIT;
	if (f->reject != NULL) {
		u->state = QD_ORDER_REJECTED;
		u->reason = f->reject;
		return;
	}
	u->state = QD_ORDER_FILLED;
	u->filled_qty = u->last_qty = u->qty;
	u->avg_price = u->last_price = f->price;
	u->fee = (double)f->fee / PAPER_UNIT;
}

size_t
paper_cancel_all(struct paper *p)
{
	size_t n = p->n;

	p->n = 0;
	return n;
}

static struct pos *
pos_of(struct paper *p, qd_symbol sym)
{
	if (sym >= p->n_pos) {
		size_t n = sym + 16;
		struct pos *np = realloc(p->pos, n * sizeof(*np));

		if (np == NULL)
			return NULL;
		memset(np + p->n_pos, 0, (n - p->n_pos) * sizeof(*np));
		p->pos = np;
		p->n_pos = n;
	}
	return &p->pos[sym];
}

/* Apply one fill to cash and position. */
static void
apply(struct paper *p, struct paper_fill *f)
{
	struct pos *ps = pos_of(p, f->symbol);
	int64_t signed_qty = f->side == QD_SIDE_BUY ? f->qty : -f->qty;
	long double notional = (long double)f->qty * f->price;
	double rate = f->type == QD_ORDER_LIMIT ? p->cfg.maker_fee :
		p->cfg.taker_fee;
	int64_t cash_delta = (int64_t)llroundl(notional);

	f->fee = (int64_t)llroundl(notional * rate);
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
	double rate = f->type == QD_ORDER_LIMIT ? p->cfg.maker_fee :
		p->cfg.taker_fee;
	long double fee = notional * rate, cash, eq;

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

/* Would `o` fill in `bar` in this pass?  Sets *px. */
static int
crosses(const struct paper *p, struct order *o, const struct qd_bar *b,
	int stops_pass, double *px)
{
	int buy = o->side == QD_SIDE_BUY;

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
	case QD_ORDER_STOP_LIMIT:
		if (stops_pass && !o->triggered)
			o->triggered = buy ? b->high >= o->stop :
				b->low <= o->stop;
		if (stops_pass || !o->triggered)
			return 0;
		/* Once triggered it behaves as a limit order. */
		/* FALLTHROUGH */
	case QD_ORDER_LIMIT:
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
	void (*fn)(void *arg, const struct paper_fill *f), void *arg)
{
	struct pos *ps;
	int pass;

	/* Pass 0: market and stop orders (adverse first); pass 1: limits. */
	for (pass = 0; pass < 2; pass++) {
		size_t i = 0;

		while (i < p->n) {
			struct order *o = &p->orders[i];
			struct paper_fill f;
			double px;

			if (o->sym != sym || bar->ts < o->placed ||
			    !crosses(p, o, bar, pass == 0, &px)) {
				i++;
				continue;
			}
			memset(&f, 0, sizeof(f));
			f.order_id = o->id;
			f.symbol = sym;
			f.side = o->side;
			f.type = o->type == QD_ORDER_STOP_LIMIT ?
				QD_ORDER_LIMIT : o->type;
			f.ts = bar->ts;
			f.qty = o->qty;
			f.price = px;
			if (o->reduce_only) {
				/* Only what closes the position, else nothing. */
				int64_t held = paper_position(p, sym, NULL);
				int64_t room = (o->side == QD_SIDE_SELL) ==
					(held > 0) ? llabs(held) : 0;

				f.qty = f.qty < room ? f.qty : room;
			}
			memmove(o, o + 1, (p->n - i - 1) * sizeof(*o));
			p->n--;
			if (f.qty == 0)
				continue;
			if ((f.reject = unaffordable(p, &f, p->why,
			    sizeof(p->why))) == NULL) {
				apply(p, &f);
				if ((ps = pos_of(p, sym)) != NULL)
					ps->mark = px;
			}
			if (fn)
				fn(arg, &f);
		}
	}
	if ((ps = pos_of(p, sym)) != NULL)
		ps->mark = bar->close;
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

	for (s = 0; s < p->n_pos && s < n_marks; s++)
		if (p->pos[s].qty != 0)
			eq += (long double)p->pos[s].qty * marks[s];
	return (int64_t)llroundl(eq);
}

size_t
paper_open_orders(const struct paper *p)
{
	return p->n;
}
