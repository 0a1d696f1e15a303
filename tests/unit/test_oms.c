/*
 * test_oms.c -- order management: the state machine, fills applied once,
 * buying power, OCO and brackets, risk refusals, emergency close, and the
 * books surviving a restart through the journal and the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop/loop.h"
#include "market/symbol.h"
#include "store/store.h"
#include "trade/journal.h"
#include "trade/ledger.h"
#include "trade/oms.h"
#include "trade/risk.h"

#define SEC 1000000000LL
#define T0 (1767225600LL * SEC)   /* 2026-01-01 00:00:00 UTC */

/* What the owner was told. */
static struct qd_order_update seen[256];
static char seen_reason[256][200];
static int n_seen;

/* What a live venue was asked. */
static uint64_t placed[64];
static int placed_type[64];
static char placed_cid[64][32];
static int n_placed, n_cancels, n_queries;

static void
on_update(void *arg, const char *instance, const struct qd_order_update *u)
{
	(void)arg;
	(void)instance;
	if (n_seen < 256) {
		seen[n_seen] = *u;
		snprintf(seen_reason[n_seen], sizeof(seen_reason[0]), "%s",
			u->reason ? u->reason : "");
		seen[n_seen].reason = seen_reason[n_seen];
		seen[n_seen].trade_id = NULL;
		seen[n_seen].client_id = NULL;
	}
	n_seen++;
}

static int
venue_place(void *arg, const char *venue, uint64_t id, const char *cid,
	const struct qd_order_req *r)
{
	(void)arg;
	(void)venue;
	if (r->type != QD_ORDER_MARKET && r->type != QD_ORDER_LIMIT)
		return QD_ERR_UNSUPPORTED;     /* a venue of two types */
	if (n_placed < 64) {
		placed[n_placed] = id;
		placed_type[n_placed] = r->type;
		snprintf(placed_cid[n_placed], sizeof(placed_cid[0]), "%s", cid);
	}
	n_placed++;
	return QD_OK;
}

static int
venue_cancel(void *arg, const char *venue, uint64_t id, const char *cid)
{
	(void)arg;
	(void)venue;
	(void)id;
	(void)cid;
	n_cancels++;
	return QD_OK;
}

static int
venue_query(void *arg, const char *venue, uint64_t id, const char *cid)
{
	(void)arg;
	(void)venue;
	(void)id;
	(void)cid;
	n_queries++;
	return QD_OK;
}

static qd_symbol btc, eth;

static struct oms *
make(struct journal *j)
{
	struct oms_hooks h;

	memset(&h, 0, sizeof(h));
	h.on_update = on_update;
	h.venue_place = venue_place;
	h.venue_cancel = venue_cancel;
	h.venue_query = venue_query;
	n_seen = n_placed = n_cancels = n_queries = 0;
	btc = symbol_intern("BTC/USDT");
	eth = symbol_intern("ETH/USDT");
	return oms_new(NULL, &h, j);
}

static void
open_paper(struct oms *o, const char *instance, double balance, int margin)
{
	struct oms_account_cfg c;
	char id[64], why[200];

	snprintf(id, sizeof(id), "paper:%s", instance);
	memset(&c, 0, sizeof(c));
	c.id = id;
	c.instance = instance;
	c.venue = "paper";
	c.quote = "USDT";
	c.balance = balance;
	c.margin = margin;
	c.taker_fee = 0.001;
	c.maker_fee = 0.0005;
	assert_int_equal(oms_account_open(o, &c, T0, why, sizeof(why)), QD_OK);
}

static void
trade(struct oms *o, qd_symbol s, int64_t ts, double px, double qty)
{
	struct qd_trade_event t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.symbol = s;
	t.side = QD_SIDE_BUY;
	t.ts = ts;
	t.price = px;
	t.qty = qty;
	oms_on_trade(o, "x", &t);
}

static int
submit(struct oms *o, const char *instance, qd_symbol s, enum qd_side side,
	enum qd_order_type type, double qty, double price, double stop,
	uint64_t *id, char *why)
{
	struct qd_order_req r;
	char buf[256];

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = s;
	r.side = side;
	r.type = type;
	r.qty = qty;
	r.price = price;
	r.stop_price = stop;
	return oms_submit(o, instance, &r, T0, id, why ? why : buf, 256);
}

static void
assert_books(struct oms *o)
{
	char why[256];

	if (ledger_reconcile(oms_ledger(o), why, sizeof(why)) != QD_OK)
		fail_msg("ledger: %s", why);
}

static double
pos(struct oms *o, const char *instance, qd_symbol s)
{
	struct qd_position p;

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	assert_int_equal(oms_position(o, instance, s, &p), QD_OK);
	return p.qty;
}

static double
cash(struct oms *o, const char *instance)
{
	struct qd_account a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	assert_int_equal(oms_account_info(o, instance, &a), QD_OK);
	return a.cash;
}

static int
state_of(struct oms *o, uint64_t id)
{
	struct qd_order_update u;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	assert_int_equal(oms_order_get(o, NULL, id, &u), QD_OK);
	return u.state;
}

/* ---- the state machine ---------------------------------------------------- */

static void
transitions(void **st)
{
	/* from -> allowed targets, as a bit set of states 1..7 */
	static const unsigned allowed[8] = {
		0,
		/* CREATED */ (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) |
			(1u << 6) | (1u << 7),
		/* PENDING */ (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |
			(1u << 7),
		/* PARTIAL */ (1u << 3) | (1u << 4) | (1u << 5) | (1u << 7),
		0, 0, 0, 0,          /* FILLED, CANCELED, REJECTED, EXPIRED */
	};
	int from, to;

	(void)st;
	for (from = 1; from <= 7; from++)
		for (to = 1; to <= 7; to++)
			if (oms_transition_ok(from, to) !=
			    !!(allowed[from] & (1u << to)))
				fail_msg("transition %d -> %d", from, to);
}

/* ---- paper flow --------------------------------------------------------------- */

static void
market_buy_fills_at_next_trade(void **st)
{
	struct oms *o = make(NULL);
	uint64_t id = 0;

	(void)st;
	open_paper(o, "a", 10000, 1);
	trade(o, btc, T0, 100, 1);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_MARKET, 2,
		0, 0, &id, NULL), QD_OK);
	assert_int_equal(state_of(o, id), QD_ORDER_PENDING);
	trade(o, btc, T0 + SEC, 101, 5);
	assert_int_equal(state_of(o, id), QD_ORDER_FILLED);
	assert_true(pos(o, "a", btc) == 2);
	/* 10000 - 2 x 101 - 0.1 % fee */
	assert_true(cash(o, "a") == 10000 - 202 - 0.202);
	assert_int_equal(seen[n_seen - 1].state, QD_ORDER_FILLED);
	assert_true(seen[n_seen - 1].last_price == 101);
	assert_books(o);
	oms_free(o);
}

/* A paper trailing stop's level, for charts: the paper engine's stop,
 * following the best price seen since it was placed (none before). */
static void
paper_trailing_stop_level_moves(void **st)
{
	struct oms *o = make(NULL);
	struct oms_order_levels lv;
	struct qd_order_req r;
	uint64_t id = 0;
	char why[200];

	(void)st;
	open_paper(o, "a", 10000, 1);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = btc;
	r.side = QD_SIDE_SELL;
	r.type = QD_ORDER_TRAILING_STOP;
	r.qty = 1;
	r.trail = 3;
	/* No price known yet: refused, saying so. */
	assert_int_equal(oms_submit(o, "a", &r, T0, &id, why, sizeof(why)),
		QD_ERR_DENIED);
	assert_non_null(strstr(why, "no price is known yet"));
	trade(o, btc, T0, 100, 1);
	assert_int_equal(oms_submit(o, "a", &r, T0, &id, why, sizeof(why)),
		QD_OK);
	assert_int_equal(oms_order_levels(o, id, &lv), QD_OK);
	assert_true(lv.trigger == 0);        /* it saw no price yet */
	trade(o, btc, T0 + SEC, 101, 1);
	assert_int_equal(oms_order_levels(o, id, &lv), QD_OK);
	assert_true(lv.trigger == 98);
	trade(o, btc, T0 + 2 * SEC, 99, 1);   /* not a new best */
	assert_int_equal(oms_order_levels(o, id, &lv), QD_OK);
	assert_true(lv.trigger == 98);
	trade(o, btc, T0 + 3 * SEC, 104, 1);
	assert_int_equal(oms_order_levels(o, id, &lv), QD_OK);
	assert_true(lv.trigger == 101);
	assert_int_equal(state_of(o, id), QD_ORDER_PENDING);
	trade(o, btc, T0 + 4 * SEC, 100.5, 1); /* through it: filled */
	assert_int_equal(state_of(o, id), QD_ORDER_FILLED);
	assert_books(o);
	oms_free(o);
}

static void
buying_power_is_checked(void **st)
{
	struct oms *o = make(NULL);
	uint64_t a = 0, b = 0;
	char why[256];

	(void)st;
	open_paper(o, "a", 10000, 0);
	trade(o, btc, T0, 100, 1);
	/* Cannot pay: refused, never filled. */
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_MARKET, 1e6,
		0, 0, &a, why), QD_ERR_DENIED);
	assert_non_null(strstr(why, "insufficient funds"));
	/* Open orders hold what they commit. */
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_LIMIT, 60,
		99, 0, &a, why), QD_OK);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_LIMIT, 50,
		99, 0, &b, why), QD_ERR_DENIED);
	assert_non_null(strstr(why, "held by open orders"));
	/* Selling what is not held (no margin): refused. */
	assert_int_equal(submit(o, "a", btc, QD_SIDE_SELL, QD_ORDER_MARKET, 1,
		0, 0, &b, why), QD_ERR_DENIED);
	/* Cancelling frees the funds. */
	assert_int_equal(oms_cancel(o, "a", a, NULL, T0), QD_OK);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_LIMIT, 50,
		99, 0, &b, why), QD_OK);
	/* Another instance's order is not this one's to cancel. */
	open_paper(o, "b", 100, 0);
	assert_int_equal(oms_cancel(o, "b", b, NULL, T0), QD_ERR_NOTFOUND);
	assert_books(o);
	oms_free(o);
}

static void
partial_fills_by_volume(void **st)
{
	struct oms *o = make(NULL);
	uint64_t id = 0;

	(void)st;
	open_paper(o, "a", 10000, 0);
	trade(o, btc, T0, 101, 1);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_LIMIT, 2,
		100, 0, &id, NULL), QD_OK);
	trade(o, btc, T0 + SEC, 100, 0.5);
	assert_int_equal(state_of(o, id), QD_ORDER_PARTIAL);
	assert_true(pos(o, "a", btc) == 0.5);
	trade(o, btc, T0 + 2 * SEC, 99, 10);
	assert_int_equal(state_of(o, id), QD_ORDER_FILLED);
	assert_true(pos(o, "a", btc) == 2);
	/* maker fee 0.05 % on 200 */
	assert_true(cash(o, "a") == 10000 - 200 - 0.1);
	assert_books(o);
	oms_free(o);
}

static void
oco_cancels_the_other(void **st)
{
	struct oms *o = make(NULL);
	struct qd_order_req r;
	uint64_t a = 0, b = 0;
	char why[256];

	(void)st;
	open_paper(o, "a", 10000, 1);
	trade(o, btc, T0, 100, 1);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_MARKET, 1,
		0, 0, &a, NULL), QD_OK);
	trade(o, btc, T0 + SEC, 100, 1);
	assert_true(pos(o, "a", btc) == 1);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_SELL, QD_ORDER_LIMIT, 1,
		110, 0, &a, NULL), QD_OK);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = btc;
	r.side = QD_SIDE_SELL;
	r.type = QD_ORDER_STOP;
	r.qty = 1;
	r.stop_price = 95;
	r.oco_with = a;
	r.flags = QD_ORDER_REDUCE_ONLY;
	assert_int_equal(oms_submit(o, "a", &r, T0, &b, why, sizeof(why)),
		QD_OK);
	trade(o, btc, T0 + 2 * SEC, 94, 1);
	assert_int_equal(state_of(o, b), QD_ORDER_FILLED);
	assert_int_equal(state_of(o, a), QD_ORDER_CANCELED);
	assert_true(pos(o, "a", btc) == 0);
	assert_books(o);
	oms_free(o);
}

static void
bracket_attaches_stop_and_take_profit(void **st)
{
	struct oms *o = make(NULL);
	struct qd_order_req r;
	uint64_t e = 0, ids[8];
	size_t n;
	char why[256];

	(void)st;
	open_paper(o, "a", 10000, 1);
	trade(o, btc, T0, 100, 1);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = btc;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_MARKET;
	r.qty = 1;
	r.sl_price = 90;
	r.tp_price = 120;
	assert_int_equal(oms_submit(o, "a", &r, T0, &e, why, sizeof(why)),
		QD_OK);
	trade(o, btc, T0 + SEC, 100, 1);
	assert_int_equal(state_of(o, e), QD_ORDER_FILLED);
	n = oms_open_orders(o, "a", ids, 8);
	assert_int_equal(n, 2);          /* the stop and the take profit */
	trade(o, btc, T0 + 2 * SEC, 110, 1);
	assert_int_equal(oms_open_orders(o, "a", NULL, 0), 2);
	trade(o, btc, T0 + 3 * SEC, 121, 1);
	assert_int_equal(oms_open_orders(o, "a", NULL, 0), 0);
	assert_true(pos(o, "a", btc) == 0);
	assert_true(state_of(o, ids[0]) == QD_ORDER_FILLED ||
		state_of(o, ids[1]) == QD_ORDER_FILLED);
	assert_true(state_of(o, ids[0]) == QD_ORDER_CANCELED ||
		state_of(o, ids[1]) == QD_ORDER_CANCELED);
	assert_books(o);
	oms_free(o);
}

/* ---- live venue updates ----------------------------------------------------- */

static void
venue_updates_once_and_in_order(void **st)
{
	struct oms *o = make(NULL);
	struct oms_account_cfg c;
	struct qd_order_update u;
	struct oms_stats s;
	uint64_t id = 0;
	char why[200];
	int before;

	(void)st;
	memset(&c, 0, sizeof(c));
	c.id = "live:a";
	c.instance = "a";
	c.venue = "fakex";
	c.quote = "USDT";
	assert_int_equal(oms_account_open(o, &c, T0, why, sizeof(why)), QD_OK);
	/* A live account is funded by a deposit the venue reports. */
	assert_int_equal(ledger_deposit(oms_ledger(o), "live:a", "USDT",
		1000000000000LL, 0, "deposit"), QD_OK);
	trade(o, btc, T0, 100, 1);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_LIMIT, 2,
		100, 0, &id, NULL), QD_OK);
	assert_int_equal(n_placed, 1);
	assert_int_equal(placed[0], id);
	assert_string_equal(placed_cid[0], "qd1");
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = id;
	u.state = QD_ORDER_PENDING;
	oms_on_venue_update(o, "fakex", &u, T0);
	assert_int_equal(state_of(o, id), QD_ORDER_PENDING);
	/* A fill, then the same fill again: applied once. */
	u.state = QD_ORDER_PARTIAL;
	u.last_qty = 1;
	u.last_price = 100;
	u.filled_qty = 1;
	u.trade_id = "t-1";
	oms_on_venue_update(o, "fakex", &u, T0);
	oms_on_venue_update(o, "fakex", &u, T0);
	assert_true(pos(o, "a", btc) == 1);
	oms_stats(o, &s);
	assert_int_equal(s.duplicate_fills, 1);
	/* Created, pending, partial: each entered once; open as partial. */
	assert_int_equal(s.entered[QD_ORDER_CREATED], 1);
	assert_int_equal(s.entered[QD_ORDER_PENDING], 1);
	assert_int_equal(s.entered[QD_ORDER_PARTIAL], 1);
	assert_int_equal(s.open_by_state[QD_ORDER_PARTIAL], 1);
	assert_int_equal(s.open_by_state[QD_ORDER_PENDING], 0);
	/* A late acknowledgement changes nothing. */
	before = n_seen;
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = id;
	u.state = QD_ORDER_PENDING;
	oms_on_venue_update(o, "fakex", &u, T0);
	assert_int_equal(state_of(o, id), QD_ORDER_PARTIAL);
	assert_int_equal(n_seen, before);
	/* The last fill, then a cancel that comes too late: refused. */
	u.state = QD_ORDER_FILLED;
	u.last_qty = 1;
	u.last_price = 99;
	u.filled_qty = 2;
	u.trade_id = "t-2";
	oms_on_venue_update(o, "fakex", &u, T0);
	assert_int_equal(state_of(o, id), QD_ORDER_FILLED);
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = id;
	u.state = QD_ORDER_CANCELED;
	oms_on_venue_update(o, "fakex", &u, T0);
	assert_int_equal(state_of(o, id), QD_ORDER_FILLED);
	/* Another venue's update for this order: not this order's. */
	u.state = QD_ORDER_PENDING;
	oms_on_venue_update(o, "other", &u, T0);
	assert_true(pos(o, "a", btc) == 2);
	assert_books(o);
	oms_free(o);
}

static void
balance(struct oms *o, const char *venue, const char *asset, double total,
	int last)
{
	struct qd_balance b;

	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.asset = asset;
	b.total = total;
	b.free = total;
	b.last = last;
	oms_on_venue_balance(o, venue, &b, T0);
}

static int64_t
held(struct oms *o, const char *account, const char *asset)
{
	return ledger_balance(oms_ledger(o), account, asset);
}

static int n_syncs, n_cancel_alls;

/* The venue's list names BTC/USDT only. */
static int
instrument_btc(void *arg, const char *venue, const char *instance,
	qd_symbol sym, double *tick, double *lot, double *min_notional,
	double *min_qty)
{
	(void)arg;
	(void)venue;
	(void)instance;
	if (sym != btc)
		return QD_ERR_NOTFOUND;
	*tick = 0.01;
	*lot = 0.001;
	*min_notional = *min_qty = 0;
	return QD_OK;
}

static int
venue_sync(void *arg, const char *venue)
{
	(void)arg;
	if (strcmp(venue, "fakex") == 0)
		n_syncs++;
	return QD_OK;
}

static int
venue_cancel_all(void *arg, const char *venue)
{
	(void)arg;
	if (strcmp(venue, "fakex") == 0)
		n_cancel_alls++;
	return QD_OK;
}

/*
 * The venue's balances are the live account's books while it has no open
 * orders (a snapshot's end zeroes what it did not name); a venue's refusal
 * reaches the owner with its qd_status; each live venue is reconciled once
 * at start and cancelled at on an emergency close of everything.
 */
static void
venue_balances_and_refusals(void **st)
{
	struct oms_hooks h;
	struct oms *o;
	struct oms_account_cfg c;
	struct qd_order_update u;
	struct oms_close_report rep;
	uint64_t id = 0;
	char why[200];

	(void)st;
	o = make(NULL);
	oms_free(o);
	memset(&h, 0, sizeof(h));
	h.on_update = on_update;
	h.venue_place = venue_place;
	h.venue_cancel = venue_cancel;
	h.venue_query = venue_query;
	h.venue_sync = venue_sync;
	h.venue_cancel_all = venue_cancel_all;
	h.instrument = instrument_btc;
	o = oms_new(NULL, &h, NULL);
	n_syncs = n_cancel_alls = 0;
	memset(&c, 0, sizeof(c));
	c.id = "live:a";
	c.instance = "a";
	c.venue = "fakex";
	c.quote = "USDT";
	c.balance = 50;              /* until the venue says otherwise */
	assert_int_equal(oms_account_open(o, &c, T0, why, sizeof(why)), QD_OK);
	c.id = "live:b";
	c.instance = "b";
	c.venue = "fakey";
	assert_int_equal(oms_account_open(o, &c, T0, why, sizeof(why)), QD_OK);
	assert_int_equal(held(o, "live:a", "USDT"), 5000000000LL);
	oms_start(o, T0);
	assert_int_equal(n_syncs, 1);     /* once per venue */
	/* A snapshot: USDT and BTC as the venue has them. */
	balance(o, "fakex", "USDT", 1234.5, 0);
	balance(o, "fakex", "BTC", 0.25, 1);
	assert_int_equal(held(o, "live:a", "USDT"), 123450000000LL);
	assert_int_equal(held(o, "live:a", "BTC"), 25000000LL);
	assert_true(cash(o, "a") == 1234.5);
	/* The next snapshot no longer names BTC: zero. */
	balance(o, "fakex", "USDT", 1000, 1);
	assert_int_equal(held(o, "live:a", "BTC"), 0);
	assert_int_equal(held(o, "live:a", "USDT"), 100000000000LL);
	assert_books(o);
	/* A symbol the venue's list has not named: not sent. */
	trade(o, eth, T0, 10, 1);
	assert_int_equal(submit(o, "a", eth, QD_SIDE_BUY, QD_ORDER_LIMIT, 1,
		10, 0, &id, why), QD_ERR_STATE);
	assert_non_null(strstr(why, "not known yet"));
	/* With an order working, the books follow its fills instead. */
	trade(o, btc, T0, 100, 1);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_LIMIT, 1,
		100, 0, &id, NULL), QD_OK);
	balance(o, "fakex", "USDT", 900, 1);
	assert_int_equal(held(o, "live:a", "USDT"), 100000000000LL);
	/* The venue refuses it: the owner hears why, as a qd_status. */
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = id;
	u.state = QD_ORDER_REJECTED;
	u.reason = "fakex -2010: Account has insufficient balance";
	u.error = QD_ERR_DENIED;
	oms_on_venue_update(o, "fakex", &u, T0);
	assert_int_equal(state_of(o, id), QD_ORDER_REJECTED);
	assert_int_equal(seen[n_seen - 1].state, QD_ORDER_REJECTED);
	assert_int_equal(seen[n_seen - 1].error, QD_ERR_DENIED);
	assert_string_equal(seen_reason[n_seen - 1],
		"fakex -2010: Account has insufficient balance");
	/* Now idle: the venue's figure is taken again. */
	balance(o, "fakex", "USDT", 900, 1);
	assert_int_equal(held(o, "live:a", "USDT"), 90000000000LL);
	assert_books(o);
	/* A venue serving two accounts: each keeps its own books. */
	c.id = "live:c";
	c.instance = "c";
	c.venue = "fakex";
	c.balance = 10;
	assert_int_equal(oms_account_open(o, &c, T0, why, sizeof(why)), QD_OK);
	balance(o, "fakex", "USDT", 5, 1);
	assert_int_equal(held(o, "live:a", "USDT"), 90000000000LL);
	/* An emergency close of everything cancels at each live venue. */
	assert_int_equal(oms_emergency_close(o, NULL, 1, "test", T0, &rep),
		QD_OK);
	assert_int_equal(n_cancel_alls, 1);
	assert_books(o);
	oms_free(o);
}

/* Account live:a of instance "a" at venue "fakex" (100,000 USDT), BTC
 * traded at 100, and r an order of 1 BTC to fill in. */
static void
open_live(struct oms *o, int margin, struct qd_order_req *r)
{
	struct oms_account_cfg c;
	char why[200];

	memset(&c, 0, sizeof(c));
	c.id = "live:a";
	c.instance = "a";
	c.venue = "fakex";
	c.quote = "USDT";
	c.balance = 100000;
	c.margin = margin;
	assert_int_equal(oms_account_open(o, &c, T0, why, sizeof(why)), QD_OK);
	trade(o, btc, T0, 100, 1);
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->symbol = btc;
	r->qty = 1;
}

/* A cancel asked before the venue has spoken of the order (the order may
 * still be on its way there) goes to the venue once it has; a refusal
 * meanwhile needs none; after an answer a cancel goes at once. */
static void
cancel_waits_for_the_venue(void **st)
{
	struct oms *o = make(NULL);
	struct qd_order_update u;
	struct qd_order_req r;
	uint64_t a = 0, b = 0;
	char why[200];

	(void)st;
	open_live(o, 0, &r);
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_LIMIT;
	r.price = 90;
	assert_int_equal(oms_submit(o, "a", &r, T0, &a, why, sizeof(why)),
		QD_OK);
	assert_int_equal(oms_submit(o, "a", &r, T0, &b, why, sizeof(why)),
		QD_OK);
	assert_int_equal(n_placed, 2);
	/* Both unheard of: nothing asked of the venue yet. */
	assert_int_equal(oms_cancel(o, "a", a, NULL, T0), QD_OK);
	assert_int_equal(oms_cancel(o, "a", b, NULL, T0), QD_OK);
	assert_int_equal(n_cancels, 0);
	assert_int_equal(state_of(o, a), QD_ORDER_CREATED);
	/* The venue takes a: its cancel goes now. */
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = a;
	u.state = QD_ORDER_PENDING;
	oms_on_venue_update(o, "fakex", &u, T0);
	assert_int_equal(n_cancels, 1);
	assert_int_equal(state_of(o, a), QD_ORDER_PENDING);
	/* The venue refuses b: nothing to cancel. */
	u.order_id = b;
	u.state = QD_ORDER_REJECTED;
	u.reason = "fakex: refused";
	oms_on_venue_update(o, "fakex", &u, T0);
	assert_int_equal(n_cancels, 1);
	assert_int_equal(state_of(o, b), QD_ORDER_REJECTED);
	/* a, heard of: a second cancel goes at once; its confirmation
	 * closes it. */
	assert_int_equal(oms_cancel(o, "a", a, NULL, T0), QD_OK);
	assert_int_equal(n_cancels, 2);
	u.order_id = a;
	u.state = QD_ORDER_CANCELED;
	u.reason = NULL;
	oms_on_venue_update(o, "fakex", &u, T0);
	assert_int_equal(state_of(o, a), QD_ORDER_CANCELED);
	assert_int_equal(n_cancels, 2);
	assert_books(o);
	oms_free(o);
}

/* A type the venue lacks is held by the host until it triggers. */
static void
venue_lacking_a_type(void **st)
{
	struct oms *o = make(NULL);
	struct qd_order_update u;
	struct qd_order_req r;
	uint64_t stop = 0, trail = 0;
	char why[200];

	(void)st;
	open_live(o, 1, &r);
	r.side = QD_SIDE_SELL;
	r.type = QD_ORDER_STOP;
	r.stop_price = 95;
	assert_int_equal(oms_submit(o, "a", &r, T0, &stop, why, sizeof(why)),
		QD_OK);
	r.type = QD_ORDER_TRAILING_STOP;
	r.stop_price = 0;
	r.trail = 3;
	assert_int_equal(oms_submit(o, "a", &r, T0, &trail, why, sizeof(why)),
		QD_OK);
	assert_int_equal(n_placed, 0);
	assert_int_equal(state_of(o, stop), QD_ORDER_PENDING);
	trade(o, btc, T0 + SEC, 101, 1);     /* the trail's best: 101 */
	trade(o, btc, T0 + 2 * SEC, 99, 1);
	assert_int_equal(n_placed, 0);
	trade(o, btc, T0 + 3 * SEC, 97.5, 1); /* 101 - 3: the trail */
	assert_int_equal(n_placed, 1);
	assert_true(placed[0] == trail);
	assert_int_equal(placed_type[0], QD_ORDER_MARKET);
	trade(o, btc, T0 + 4 * SEC, 94, 1);   /* the stop */
	assert_int_equal(n_placed, 2);
	assert_true(placed[1] == stop);
	assert_int_equal(placed_type[1], QD_ORDER_MARKET);
	/* The venue fills it as the market order it got. */
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = stop;
	u.state = QD_ORDER_FILLED;
	u.last_qty = 1;
	u.last_price = 94;
	u.trade_id = "t9";
	oms_on_venue_update(o, "fakex", &u, T0 + 4 * SEC);
	assert_int_equal(state_of(o, stop), QD_ORDER_FILLED);
	assert_true(pos(o, "a", btc) == -1);
	/* A held order is cancelled by the host, not the venue. */
	r.type = QD_ORDER_TAKE_PROFIT;
	r.side = QD_SIDE_BUY;
	r.stop_price = 80;
	r.trail = 0;
	assert_int_equal(oms_submit(o, "a", &r, T0, &stop, why, sizeof(why)),
		QD_OK);
	assert_int_equal(oms_cancel(o, "a", stop, NULL, T0), QD_OK);
	assert_int_equal(state_of(o, stop), QD_ORDER_CANCELED);
	assert_int_equal(n_cancels, 0);
	assert_books(o);
	oms_free(o);
}

/* ---- risk --------------------------------------------------------------------- */

static void
risk_refuses_and_closes(void **st)
{
	struct oms *o = make(NULL);
	struct risk_limits l;
	struct oms_stats s;
	uint64_t id = 0;
	char why[256];

	(void)st;
	open_paper(o, "a", 10000, 1);
	memset(&l, 0, sizeof(l));
	l.max_order_notional = 1000;
	l.stop_loss_pct = 5;
	assert_int_equal(risk_set_limits(oms_risk(o), RISK_SCOPE_INSTANCE, "a",
		&l), QD_OK);
	trade(o, btc, T0, 100, 1);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_MARKET, 20,
		0, 0, &id, why), QD_ERR_DENIED);
	assert_non_null(strstr(why, "max_order_notional"));
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_MARKET, 5,
		0, 0, &id, why), QD_OK);
	trade(o, btc, T0 + SEC, 100, 10);
	assert_true(pos(o, "a", btc) == 5);
	/* 6 % down: the stop loss closes the position at market. */
	trade(o, btc, T0 + 2 * SEC, 94, 10);
	trade(o, btc, T0 + 3 * SEC, 94, 10);
	assert_true(pos(o, "a", btc) == 0);
	assert_books(o);
	/* One refusal, one breach (the stop loss) that closed without a
	 * halt; the entry and the close both filled. */
	oms_stats(o, &s);
	assert_int_equal(s.risk_refusals, 1);
	assert_int_equal(s.risk_breaches, 1);
	assert_int_equal(s.risk_halts, 0);
	assert_int_equal(s.entered[QD_ORDER_CREATED], 2);
	assert_int_equal(s.entered[QD_ORDER_FILLED], 2);
	assert_int_equal(s.open_orders, 0);
	oms_free(o);
}

/* ---- emergency close ------------------------------------------------------------ */

static void
emergency_close_ratio(void **st)
{
	struct oms *o = make(NULL);
	struct oms_close_report rep;
	uint64_t id = 0;

	(void)st;
	open_paper(o, "a", 100000, 1);
	open_paper(o, "b", 100000, 1);
	trade(o, btc, T0, 100, 1);
	trade(o, eth, T0, 10, 1);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_MARKET, 4,
		0, 0, &id, NULL), QD_OK);
	assert_int_equal(submit(o, "a", eth, QD_SIDE_SELL, QD_ORDER_MARKET, 10,
		0, 0, &id, NULL), QD_OK);
	assert_int_equal(submit(o, "b", btc, QD_SIDE_BUY, QD_ORDER_MARKET, 2,
		0, 0, &id, NULL), QD_OK);
	trade(o, btc, T0 + SEC, 100, 100);
	trade(o, eth, T0 + SEC, 10, 100);
	assert_true(pos(o, "a", btc) == 4);
	assert_true(pos(o, "a", eth) == -10);
	/* Open orders that must be cancelled first. */
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_LIMIT, 1,
		50, 0, &id, NULL), QD_OK);
	assert_int_equal(submit(o, "b", btc, QD_SIDE_SELL, QD_ORDER_LIMIT, 1,
		500, 0, &id, NULL), QD_OK);
	assert_int_equal(oms_emergency_close(o, NULL, 0.5, "test", T0 + 2 * SEC,
		&rep), QD_OK);
	assert_int_equal(rep.orders_canceled, 2);
	assert_int_equal(rep.positions_closed, 3);
	/* Again while the closes work: nothing new. */
	assert_int_equal(oms_emergency_close(o, NULL, 0.5, "test", T0 + 2 * SEC,
		&rep), QD_OK);
	assert_int_equal(rep.positions_closed, 0);
	trade(o, btc, T0 + 3 * SEC, 100, 100);
	trade(o, eth, T0 + 3 * SEC, 10, 100);
	assert_true(pos(o, "a", btc) == 2);
	assert_true(pos(o, "a", eth) == -5);
	assert_true(pos(o, "b", btc) == 1);
	/* Entries are halted; closing everything is not. */
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_MARKET, 1,
		0, 0, &id, NULL), QD_ERR_DENIED);
	assert_int_equal(oms_emergency_close(o, NULL, 1.0, "test", T0 + 4 * SEC,
		&rep), QD_OK);
	trade(o, btc, T0 + 5 * SEC, 100, 100);
	trade(o, eth, T0 + 5 * SEC, 10, 100);
	assert_true(pos(o, "a", btc) == 0);
	assert_true(pos(o, "a", eth) == 0);
	assert_true(pos(o, "b", btc) == 0);
	assert_books(o);
	oms_free(o);
}

/* ---- restart ----------------------------------------------------------------------- */

static void
wait_journal(struct oms *o, struct journal *j)
{
	int i;

	for (i = 0; i < 500 && journal_durable(j) < journal_last(j); i++)
		usleep(10000);
	assert_true(journal_durable(j) == journal_last(j));
	oms_tick(o, T0 + 10 * SEC);
}

static void
books_survive_a_restart(void **st)
{
	char dir[] = "/tmp/qd-oms-XXXXXX", url[128], why[256];
	struct loop *l = loop_new(1024, 64);
	struct journal *j;
	struct store *s;
	struct oms *o;
	uint64_t open_id = 0, id = 0;
	double c1, p1;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "%s/t.db", dir);
	j = journal_start(l, url, 0, NULL, NULL, NULL, why, sizeof(why));
	assert_non_null(j);
	o = make(j);
	open_paper(o, "a", 10000, 1);
	trade(o, btc, T0, 100, 1);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_BUY, QD_ORDER_MARKET, 3,
		0, 0, &id, NULL), QD_OK);
	/* Not durable yet: not at the venue, so no fill. */
	trade(o, btc, T0 + SEC, 100, 10);
	wait_journal(o, j);
	trade(o, btc, T0 + 2 * SEC, 100, 10);
	assert_true(pos(o, "a", btc) == 3);
	assert_int_equal(submit(o, "a", btc, QD_SIDE_SELL, QD_ORDER_LIMIT, 1,
		150, 0, &open_id, NULL), QD_OK);
	/* A halt the next process must keep. */
	risk_halt(oms_risk(o), RISK_SCOPE_INSTANCE, "a", "by hand", T0);
	oms_tick(o, T0 + 5 * SEC);
	wait_journal(o, j);
	c1 = cash(o, "a");
	p1 = pos(o, "a", btc);
	oms_free(o);
	journal_stop(j, 5000);

	/* A new process: the same books, the open order back in the book. */
	o = make(NULL);
	assert_int_equal(store_open(url, STORE_ROLE_READER, &s, why,
		sizeof(why)), QD_OK);
	assert_int_equal(oms_restore(o, s, T0 + 20 * SEC, why, sizeof(why)),
		QD_OK);
	store_close(s);
	open_paper(o, "a", 10000, 1);
	oms_start(o, T0 + 20 * SEC);
	assert_true(cash(o, "a") == c1);
	assert_true(pos(o, "a", btc) == p1);
	assert_true(risk_halted(oms_risk(o), RISK_SCOPE_INSTANCE, "a", NULL,
		T0 + 20 * SEC, NULL));
	assert_int_equal(risk_resume(oms_risk(o), RISK_SCOPE_INSTANCE, "a",
		T0 + 20 * SEC), QD_OK);
	assert_int_equal(state_of(o, open_id), QD_ORDER_PENDING);
	trade(o, btc, T0 + 21 * SEC, 151, 10);
	assert_int_equal(state_of(o, open_id), QD_ORDER_FILLED);
	assert_true(pos(o, "a", btc) == 2);
	/* New orders continue the ids. */
	assert_int_equal(submit(o, "a", btc, QD_SIDE_SELL, QD_ORDER_MARKET, 1,
		0, 0, &id, NULL), QD_OK);
	assert_true(id > open_id);
	assert_books(o);
	oms_free(o);
	loop_free(l);
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(transitions),
		cmocka_unit_test(market_buy_fills_at_next_trade),
		cmocka_unit_test(paper_trailing_stop_level_moves),
		cmocka_unit_test(buying_power_is_checked),
		cmocka_unit_test(partial_fills_by_volume),
		cmocka_unit_test(oco_cancels_the_other),
		cmocka_unit_test(cancel_waits_for_the_venue),
		cmocka_unit_test(bracket_attaches_stop_and_take_profit),
		cmocka_unit_test(venue_updates_once_and_in_order),
		cmocka_unit_test(venue_lacking_a_type),
		cmocka_unit_test(venue_balances_and_refusals),
		cmocka_unit_test(risk_refuses_and_closes),
		cmocka_unit_test(emergency_close_ratio),
		cmocka_unit_test(books_survive_a_restart),
	};

	return cmocka_run_group_tests_name("oms", tests, NULL, NULL);
}
