/*
 * tape -- the latest market events the daemon saw (trades and closed
 * bars of every exchange instance), in a fixed ring, numbered, for
 * `quantctl market watch` to follow by polling.
 *
 * One thread (the core thread).  A reader that falls more than the ring's
 * capacity behind sees the gap in the numbers.
 */
#ifndef QD_TAPE_H
#define QD_TAPE_H

#include <stddef.h>
#include <stdint.h>

#include <quantd/sdk.h>

enum tape_kind { TAPE_TRADE = 1, TAPE_BAR, TAPE_PARTIAL };

struct tape_event {
	uint64_t seq;          /**< 1, 2, ... */
	enum tape_kind kind;
	char source[48];       /**< exchange instance */
	qd_symbol symbol;
	uint32_t tf_s;         /**< bars */
	int64_t ts;            /**< trade time, or bar open time, ns */
	double price, qty;     /**< trades */
	enum qd_side side;
	uint64_t trade_id;
	struct qd_bar bar;     /**< bars */
};

struct tape;

/** A ring of `cap` events; NULL on no memory. */
struct tape *tape_new(size_t cap);
void tape_free(struct tape *t);

void tape_trade(struct tape *t, const char *source,
	const struct qd_trade_event *e);
/** A closed bar, or with `partial` an open one that changed. */
void tape_bar(struct tape *t, const char *source,
	const struct qd_bar_event *e, int partial);

/** The number of the newest event (0: none yet). */
uint64_t tape_last(const struct tape *t);

/**
 * fn(arg, ev) for the events numbered after `after` still in the ring, of
 * `source` and `symbol` (NULL / 0: any), oldest first, at most `max`;
 * returns the number of the last event looked at (pass it back as
 * `after`).
 */
uint64_t tape_since(const struct tape *t, uint64_t after, const char *source,
	qd_symbol symbol, size_t max,
	void (*fn)(void *arg, const struct tape_event *ev), void *arg);

#endif
