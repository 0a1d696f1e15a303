/*
 * tape.c -- the latest market events, in a ring (see tape.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "market/tape.h"

struct tape {
	struct tape_event *ev;
	size_t cap;
	uint64_t last;          /* number of the newest event */
};

struct tape *
tape_new(size_t cap)
{
	struct tape *t = calloc(1, sizeof(*t));

	if (t == NULL || cap == 0 ||
	    (t->ev = calloc(cap, sizeof(*t->ev))) == NULL) {
		free(t);
		return NULL;
	}
	t->cap = cap;
	return t;
}

void
tape_free(struct tape *t)
{
	if (t != NULL)
		free(t->ev);
	free(t);
}

static struct tape_event *
push(struct tape *t, enum tape_kind kind, const char *source)
{
	struct tape_event *e = &t->ev[t->last % t->cap];

	memset(e, 0, sizeof(*e));
	e->seq = ++t->last;
	e->kind = kind;
	snprintf(e->source, sizeof(e->source), "%s", source ? source : "");
	return e;
}

void
tape_trade(struct tape *t, const char *source, const struct qd_trade_event *x)
{
	struct tape_event *e = push(t, TAPE_TRADE, source);

	e->symbol = x->symbol;
	e->ts = x->ts;
	e->price = x->price;
	e->qty = x->qty;
	e->side = x->side;
	e->trade_id = x->trade_id;
}

void
tape_bar(struct tape *t, const char *source, const struct qd_bar_event *x,
	int partial)
{
	struct tape_event *e = push(t, partial ? TAPE_PARTIAL : TAPE_BAR,
		source);

	e->symbol = x->symbol;
	e->tf_s = x->timeframe_s;
	e->ts = x->bar.ts;
	e->bar = x->bar;
}

uint64_t
tape_last(const struct tape *t)
{
	return t->last;
}

uint64_t
tape_since(const struct tape *t, uint64_t after, const char *source,
	qd_symbol symbol, size_t max,
	void (*fn)(void *arg, const struct tape_event *ev), void *arg)
{
	uint64_t first = t->last > t->cap ? t->last - t->cap + 1 : 1, s;
	size_t n = 0;

	if (after + 1 > first)
		first = after + 1;
	for (s = first; s <= t->last && n < max; s++) {
		const struct tape_event *e = &t->ev[(s - 1) % t->cap];

		if ((source != NULL && strcmp(e->source, source) != 0) ||
		    (symbol != 0 && e->symbol != symbol))
			continue;
		fn(arg, e);
		n++;
	}
	return s - 1 > after ? s - 1 : after;
}
