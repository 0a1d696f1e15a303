/*
 * oms.c -- order management (see oms.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "market/symbol.h"
#include "store/store.h"
#include "trade/fixed.h"
#include "trade/journal.h"
#include "trade/ledger.h"
#include "trade/oms.h"
#include "trade/paper.h"

#define DEC 8                      /* decimals of every amount here */
#define MAX_TRADE_IDS 4096         /* per order, remembered for dedupe */
#define KEEP_DONE 4096             /* finished orders kept for order_get */
#define LAT_N 65536                /* tick -> order samples kept */

struct acct {
	char *id, *owner, *instance, *venue;
	char feed[64];                 /* paper: matched on this source */
	int64_t created;               /* ns */
	char quote[24];
	int margin;
	struct oms_account_cfg cfg;
	struct paper *paper;           /* the paper venue, or NULL (live) */
	int64_t reserved_quote;        /* committed by open buys */
	int n_held;                    /* its orders the host holds */
	int n_open;                    /* its open orders ... */
	struct ord *open_head, *open_tail;  /* ... oldest first */
	double initial;
	int deposited;                 /* initial balance posted */
	struct oms *oms;
	int closing;                   /* an emergency close is working */
	char seen[32][16];             /* live: assets of the balance
	                                  snapshot being read */
	int n_seen;
	int venue_books;               /* live: balances read from its venue */
};

struct ord {
	uint64_t id;
	char client_id[32];
	struct acct *a;
	char instance[64];
	qd_symbol sym;
	struct qd_order_req req;       /* normalised; tag points to `tag` */
	char tag[128];
	int state;
	int64_t qty, filled, fees;
	long double notional;          /* sum of fill qty x price */
	int64_t reserve;               /* quote units held for a buy */
	uint64_t paper_id;
	uint64_t parent_id, link_id;
	char venue_order_id[64];
	char reason[192];
	int64_t created, updated;
	uint64_t wal_seq;              /* journal record that created it */
	int sent;
	char **trade_ids;              /* fills applied, by venue id */
	size_t n_trade_ids;
	int emergency;                 /* an emergency close order */
	int64_t tick;                  /* mono ns of the trade that was last
	                                  in when it was created */
	struct ord *onext, *oprev;     /* its account's open orders */
	int held;                      /* live: a type its venue lacks, held
	                                  by the host until it triggers */
	int resend;                    /* triggered: to the venue once the
	                                  journal has the change */
	double best;                   /* trailing: best price seen */
	int error;                     /* REJECTED by its venue: qd_status */
	int unheard;                   /* live: sent, and its venue has not
	                                  spoken of it since */
	int cancel_due;                /* cancelled while unheard: asked of
	                                  the venue once it speaks */
};

/* venue_order_id of an order the host holds for its venue (emulating its
 * type): kept across restarts, so it is not asked of the venue. */
#define HELD_MARK "host"


/* Open addressing, uint64 key -> pointer; key 0 is empty. */
struct map {
	uint64_t *keys;
	void **vals;
	size_t cap, n, used;
};

/* A risk event whose actions wait for the current pass to end. */
struct pending_act {
	enum risk_scope scope;
	char id[96];
	char symbol[32];
	unsigned actions;
	char rule[48];
	char reason[200];
};

struct oms {
	struct oms_config cfg;
	struct oms_hooks h;
	struct journal *j;
	struct ledger *ledger;
	struct risk *risk;
	struct acct **accts;
	size_t n_accts;
	struct map orders;             /* id -> ord */
	struct map by_paper;           /* (acct index << 40 | paper id) */
	struct ord **waiting;          /* CREATED, not durable yet */
	size_t n_waiting, cap_waiting;
	uint64_t *done;                /* finished ids, oldest first */
	size_t n_done, done_head;
	uint64_t next_id;
	uint64_t durable;
	double *marks;                 /* by symbol id */
	size_t n_marks;
	uint8_t *has_trades;           /* by symbol id: live trades seen */
	struct pending_act *acts;
	size_t n_acts, cap_acts;
	int in_pass;
	int n_open;                    /* open orders of every account */
	int warned_shared;             /* a venue serving several accounts */
	int64_t now;
	int64_t mkt;                   /* time of the last market event: paper
	                                  orders fill from events after it */
	int64_t tick_mono;             /* when the last trade came in */
	int64_t *lat;                  /* tick -> order handed to the venue,
	                                  ns, the last LAT_N orders */
	size_t n_lat;
	int64_t *acc;                  /* tick -> order accepted (checked,
	                                  queued to the journal), ns */
	size_t n_acc;
	unsigned char *risk_saved;     /* the risk state last journalled */
	size_t risk_saved_len;
	struct oms_stats st;
	char why[256];
};

/* An order opens in its account's list, and leaves it when it ends. */
static void
open_link(struct oms *o, struct ord *r)
{
	struct acct *a = r->a;

	r->onext = NULL;
	r->oprev = a->open_tail;
	if (a->open_tail != NULL)
		a->open_tail->onext = r;
	else
		a->open_head = r;
	a->open_tail = r;
	a->n_open++;
	o->n_open++;
}

static void
open_unlink(struct oms *o, struct ord *r)
{
	struct acct *a = r->a;

	if (r->oprev != NULL)
		r->oprev->onext = r->onext;
	else
		a->open_head = r->onext;
	if (r->onext != NULL)
		r->onext->oprev = r->oprev;
	else
		a->open_tail = r->oprev;
	r->onext = r->oprev = NULL;
	a->n_open--;
	o->n_open--;
}

/* ---- small tools ------------------------------------------------------------- */

static uint64_t
mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static int
map_grow(struct map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256, i;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	void **vals = calloc(cap, sizeof(*vals));

	if (keys == NULL || vals == NULL) {
		free(keys);
		free(vals);
		return QD_ERR_NOMEM;
	}
	for (i = 0; i < m->cap; i++)
		if (m->keys[i] != 0 && m->vals[i] != NULL) {
			size_t k = mix(m->keys[i]) & (cap - 1);

			while (keys[k] != 0)
				k = (k + 1) & (cap - 1);
			keys[k] = m->keys[i];
			vals[k] = m->vals[i];
		}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->used = m->n;
	m->cap = cap;
	return QD_OK;
}

static void *
map_get(const struct map *m, uint64_t key)
{
	size_t k;

	if (m->cap == 0 || key == 0)
		return NULL;
	for (k = mix(key) & (m->cap - 1); m->keys[k] != 0;
	     k = (k + 1) & (m->cap - 1))
		if (m->keys[k] == key)
			return m->vals[k];
	return NULL;
}

static int
map_put(struct map *m, uint64_t key, void *val)
{
	size_t k;

	if ((m->used + 1) * 2 > m->cap && map_grow(m) != QD_OK)
		return QD_ERR_NOMEM;
	for (k = mix(key) & (m->cap - 1); m->keys[k] != 0;
	     k = (k + 1) & (m->cap - 1))
		if (m->keys[k] == key) {
			if (m->vals[k] == NULL)
				m->n++;
			m->vals[k] = val;
			return QD_OK;
		}
	m->keys[k] = key;
	m->vals[k] = val;
	m->n++;
	m->used++;
	return QD_OK;
}

/* Removal leaves the key as a tombstone (value NULL). */
static void
map_del(struct map *m, uint64_t key)
{
	size_t k;

	if (m->cap == 0)
		return;
	for (k = mix(key) & (m->cap - 1); m->keys[k] != 0;
	     k = (k + 1) & (m->cap - 1))
		if (m->keys[k] == key) {
			if (m->vals[k] != NULL)
				m->n--;
			m->vals[k] = NULL;
			return;
		}
}

static int64_t
units(double x)
{
	int64_t v = 0;

	return fixed_from_double(x, DEC, &v) == QD_OK ? v : 0;
}

static double
dbl(int64_t v)
{
	return fixed_to_double(v, DEC);
}

static int
is_open(int st)
{
	return st == QD_ORDER_CREATED || st == QD_ORDER_PENDING ||
		st == QD_ORDER_PARTIAL;
}

static int
rank(int st)
{
	switch (st) {
	case QD_ORDER_CREATED:
		return 0;
	case QD_ORDER_PENDING:
		return 1;
	case QD_ORDER_PARTIAL:
		return 2;
	default:
		return 3;
	}
}

int
oms_transition_ok(int from, int to)
{
	switch (from) {
	case QD_ORDER_CREATED:
		return to == QD_ORDER_PENDING || to == QD_ORDER_PARTIAL ||
			to == QD_ORDER_FILLED || to == QD_ORDER_CANCELED ||
			to == QD_ORDER_REJECTED || to == QD_ORDER_EXPIRED;
	case QD_ORDER_PENDING:
		return to == QD_ORDER_PARTIAL || to == QD_ORDER_FILLED ||
			to == QD_ORDER_CANCELED || to == QD_ORDER_REJECTED ||
			to == QD_ORDER_EXPIRED;
	case QD_ORDER_PARTIAL:
		return to == QD_ORDER_PARTIAL || to == QD_ORDER_FILLED ||
			to == QD_ORDER_CANCELED || to == QD_ORDER_EXPIRED;
	default:
		return 0;      /* FILLED, CANCELED, REJECTED, EXPIRED: final */
	}
}

static const char *
sym_name(qd_symbol s)
{
	const char *n = symbol_name(s);

	return n ? n : "?";
}

/* The quote asset of "BASE/QUOTE" into buf. */
static const char *
quote_of(const char *symbol, char *buf, size_t cap)
{
	const char *sl = strchr(symbol, '/');

	snprintf(buf, cap, "%s", sl ? sl + 1 : symbol);
	return buf;
}

static const char *
base_of(const char *symbol, char *buf, size_t cap)
{
	const char *sl = strchr(symbol, '/');
	size_t n = sl ? (size_t)(sl - symbol) : strlen(symbol);

	if (n >= cap)
		n = cap - 1;
	memcpy(buf, symbol, n);
	buf[n] = 0;
	return buf;
}

static double
mark_of(const struct oms *o, qd_symbol s)
{
	return s < o->n_marks ? o->marks[s] : 0;
}

static void
set_mark(struct oms *o, qd_symbol s, double px)
{
	if (s >= o->n_marks) {
		size_t n = s + 64;
		double *m = realloc(o->marks, n * sizeof(*m));
		uint8_t *t;

		if (m == NULL)
			return;
		o->marks = m;
		if ((t = realloc(o->has_trades, n)) == NULL)
			return;
		o->has_trades = t;
		memset(o->marks + o->n_marks, 0,
			(n - o->n_marks) * sizeof(*m));
		memset(o->has_trades + o->n_marks, 0, n - o->n_marks);
		o->n_marks = n;
	}
	o->marks[s] = px;
	ledger_mark(o->ledger, sym_name(s), px);
}

/* ---- journal records ----------------------------------------------------------- */

static void
fmt_units(int64_t v, char *buf, size_t cap)
{
	if (fixed_format(v, DEC, buf, cap) < 0)
		snprintf(buf, cap, "0");
}

static const char *
fmt_px(double v, char *buf, size_t cap)
{
	if (!(v > 0) || store_decimal_format(v, buf, cap) < 0)
		return NULL;
	return buf;
}

/* Write the order as it is now; returns the record's sequence number. */
static uint64_t
journal_ord(struct oms *o, const struct ord *r)
{
	char qty[48], filled[48], fees[48], px[40], stop[40], trail[40],
		avg[40];
	struct store_order so;
	double trail_v = r->req.trail > 0 ? r->req.trail : 0;

	if (o->j == NULL)
		return 0;
	memset(&so, 0, sizeof(so));
	fmt_units(r->qty, qty, sizeof(qty));
	fmt_units(r->filled, filled, sizeof(filled));
	fmt_units(r->fees, fees, sizeof(fees));
	so.id = r->id;
	so.client_id = r->client_id;
	so.account = r->a->id;
	so.instance = r->instance;
	so.venue = r->a->venue;
	so.symbol = sym_name(r->sym);
	so.side = r->req.side;
	so.type = r->req.type;
	so.tif = r->req.tif;
	so.flags = r->req.flags;
	so.state = r->state;
	so.qty = qty;
	so.price = fmt_px(r->req.price, px, sizeof(px));
	so.stop_price = fmt_px(r->req.stop_price, stop, sizeof(stop));
	if (trail_v == 0 && r->req.trail_bps > 0) {
		snprintf(trail, sizeof(trail), "%.6gbps", r->req.trail_bps);
		so.trail = trail;
	} else {
		so.trail = fmt_px(trail_v, trail, sizeof(trail));
	}
	so.filled = filled;
	so.avg_price = r->filled > 0 ? fmt_px((double)(r->notional /
		(long double)r->filled), avg, sizeof(avg)) : NULL;
	so.fees = fees;
	so.parent_id = r->parent_id;
	so.link_id = r->link_id;
	so.venue_order_id = r->venue_order_id[0] ? r->venue_order_id : NULL;
	so.reason = r->reason[0] ? r->reason : NULL;
	so.tag = r->tag[0] ? r->tag : NULL;
	so.created_ms = r->created / 1000000;
	so.updated_ms = r->updated / 1000000;
	return journal_order(o->j, &so);
}

static void
on_postings(void *arg, const struct ledger_posting *p, size_t n)
{
	struct oms *o = arg;
	struct store_posting sp[16];
	char amt[16][48];
	size_t i;

	if (o->j == NULL)
		return;
	while (n > 0) {
		size_t k = n < 16 ? n : 16;

		for (i = 0; i < k; i++) {
			sp[i].txn = p[i].txn;
			sp[i].ts_ms = p[i].ts_ms;
			sp[i].kind = p[i].kind;
			sp[i].ref = p[i].ref;
			sp[i].account = p[i].account;
			sp[i].asset = p[i].asset;
			if (fixed_format(p[i].amount, p[i].decimals, amt[i],
			    sizeof(amt[i])) < 0)
				snprintf(amt[i], sizeof(amt[i]), "0");
			sp[i].amount = amt[i];
		}
		journal_postings(o->j, sp, k);
		p += k;
		n -= k;
	}
}

static const char *
scope_name(enum risk_scope s)
{
	return s == RISK_SCOPE_GLOBAL ? "global" : s == RISK_SCOPE_ACCOUNT ?
		"account" : "instance";
}

static void
actions_text(unsigned a, char *buf, size_t cap)
{
	static const char *const names[] = { "refuse", "halt", "cancel",
		"close", "notify", "resume" };
	size_t i, len = 0;

	buf[0] = 0;
	for (i = 0; i < 6; i++)
		if (a & (1u << i))
			len += (size_t)snprintf(buf + len, len < cap ?
				cap - len : 0, "%s%s", len ? "," : "",
				names[i]);
}

static void
on_risk_log(void *arg, const struct risk_event *e)
{
	struct oms *o = arg;
	struct store_risk_event se;
	char acts[64];

	if (e->actions & RISK_REFUSE)
		o->st.risk_refusals++;
	if (e->actions & (RISK_HALT | RISK_CANCEL | RISK_CLOSE))
		o->st.risk_breaches++;
	if (e->actions & RISK_HALT)
		o->st.risk_halts++;
	actions_text(e->actions, acts, sizeof(acts));
	log_warn("risk", "%s %s%s%s: %s [%s]", e->rule, scope_name(e->scope),
		e->scope_id[0] ? " " : "", e->scope_id, e->reason, acts);
	if (o->j == NULL)
		return;
	memset(&se, 0, sizeof(se));
	se.ts_ms = e->ts / 1000000;
	se.scope = scope_name(e->scope);
	se.scope_id = e->scope_id;
	se.rule = e->rule;
	se.actions = acts;
	se.symbol = e->symbol;
	se.reason = e->reason;
	se.order_id = e->order_id;
	journal_risk(o->j, &se);
}

/* Breaches are carried out once the pass that found them is over. */
static void
on_risk_act(void *arg, const struct risk_event *e)
{
	struct oms *o = arg;
	struct pending_act *a;

	if (o->h.on_risk != NULL)
		o->h.on_risk(o->h.arg, e);
	if (!(e->actions & (RISK_CANCEL | RISK_CLOSE)))
		return;
	if (o->n_acts == o->cap_acts) {
		size_t cap = o->cap_acts ? o->cap_acts * 2 : 16;
		struct pending_act *n = realloc(o->acts, cap * sizeof(*n));

		if (n == NULL)
			return;
		o->acts = n;
		o->cap_acts = cap;
	}
	a = &o->acts[o->n_acts++];
	memset(a, 0, sizeof(*a));
	a->scope = e->scope;
	snprintf(a->id, sizeof(a->id), "%s", e->scope_id);
	snprintf(a->symbol, sizeof(a->symbol), "%s", e->symbol ? e->symbol :
		"");
	a->actions = e->actions;
	snprintf(a->rule, sizeof(a->rule), "%s", e->rule);
	snprintf(a->reason, sizeof(a->reason), "%s", e->reason);
}

/* ---- life ------------------------------------------------------------------------ */

struct oms *
oms_new(const struct oms_config *c, const struct oms_hooks *h,
	struct journal *j)
{
	struct oms *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	if (c != NULL)
		o->cfg = *c;
	if (!(o->cfg.kelly_cap > 0))
		o->cfg.kelly_cap = 0.25;
	if (h != NULL)
		o->h = *h;
	o->j = j;
	o->ledger = ledger_new();
	o->risk = risk_new(on_risk_act, on_risk_log, o);
	if (o->ledger == NULL || o->risk == NULL) {
		oms_free(o);
		return NULL;
	}
	ledger_set_sink(o->ledger, on_postings, o);
	o->next_id = 1;
	o->done = calloc(KEEP_DONE, sizeof(*o->done));
	if (o->done == NULL) {
		oms_free(o);
		return NULL;
	}
	return o;
}

static void
ord_free(struct ord *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_trade_ids; i++)
		free(r->trade_ids[i]);
	free(r->trade_ids);
	free(r);
}

static void
acct_free(struct acct *a)
{
	paper_free(a->paper);
	free(a->id);
	free(a->owner);
	free(a->instance);
	free(a->venue);
	free(a);
}

void
oms_free(struct oms *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->orders.cap; i++)
		if (o->orders.keys[i] != 0)
			ord_free(o->orders.vals[i]);
	free(o->orders.keys);
	free(o->orders.vals);
	free(o->by_paper.keys);
	free(o->by_paper.vals);
	for (i = 0; i < o->n_accts; i++)
		acct_free(o->accts[i]);
	free(o->accts);
	free(o->waiting);
	free(o->done);
	free(o->marks);
	free(o->has_trades);
	free(o->acts);
	free(o->risk_saved);
	free(o->lat);
	free(o->acc);
	ledger_free(o->ledger);
	risk_free(o->risk);
	free(o);
}

struct ledger *
oms_ledger(struct oms *o)
{
	return o->ledger;
}

struct risk *
oms_risk(struct oms *o)
{
	return o->risk;
}

/* ---- accounts -------------------------------------------------------------------- */

static struct acct *
acct_find(const struct oms *o, const char *id)
{
	size_t i;

	for (i = 0; i < o->n_accts; i++)
		if (strcmp(o->accts[i]->id, id) == 0)
			return o->accts[i];
	return NULL;
}

static struct acct *
acct_of_instance(const struct oms *o, const char *instance)
{
	size_t i;

	if (instance == NULL)
		return NULL;
	for (i = 0; i < o->n_accts; i++)
		if (strcmp(o->accts[i]->instance, instance) == 0)
			return o->accts[i];
	return NULL;
}

static size_t
acct_index(const struct oms *o, const struct acct *a)
{
	size_t i;

	for (i = 0; i < o->n_accts; i++)
		if (o->accts[i] == a)
			return i;
	return 0;
}

const char *
oms_account_of(const struct oms *o, const char *instance)
{
	struct acct *a = acct_of_instance(o, instance);

	return a ? a->id : NULL;
}

static const char *paper_afford(void *arg, const struct paper_fill *f);

/* The paper venue of account a: its matching, the ledger's money. */
static struct paper *
paper_for(struct acct *a, const struct oms_account_cfg *c)
{
	struct paper_config pc;

	memset(&pc, 0, sizeof(pc));
	pc.taker_fee = c->taker_fee;
	pc.maker_fee = c->maker_fee;
	pc.slippage_bps = c->slippage_bps;
	pc.cash = INT64_MAX / 4;   /* the ledger decides (afford) */
	pc.latency_ns = c->latency_ns;
	pc.afford = paper_afford;
	pc.afford_arg = a;
	pc.report_drops = 1;
	return paper_new(&pc);
}

static int is_open(int st);

/* Open orders of account a (restored ones included). */
static size_t
oms_open_orders_of(const struct oms *o, const struct acct *a)
{
	(void)o;
	return (size_t)a->n_open;
}

/* Post the paper account's initial balance in `quote` (once). */
static int
acct_fund(struct oms *o, struct acct *a, const char *quote, int64_t now)
{
	int64_t amt;

	struct store_account sa;

	if (a->deposited)
		return QD_OK;
	snprintf(a->quote, sizeof(a->quote), "%s", quote);
	a->deposited = 1;
	/* Stored once its quote is known: with its first deposit. */
	if (o->j != NULL) {
		memset(&sa, 0, sizeof(sa));
		sa.id = a->id;
		sa.owner = a->owner;
		sa.instance = a->instance;
		sa.venue = a->venue;
		sa.quote = a->quote;
		sa.margin = a->margin;
		sa.created_ms = a->created / 1000000;
		journal_account(o->j, &sa);
	}
	/* A live account starts from what its configuration says it holds
	 * until the venue's balances are read (exchange issue). */
	if (!(a->initial > 0))
		return QD_OK;
	amt = units(a->initial);
	return ledger_deposit(o->ledger, a->id, a->quote, amt, now / 1000000,
		"initial balance");
}

int
oms_account_open(struct oms *o, const struct oms_account_cfg *c, int64_t now,
	char *why, size_t cap)
{
	struct acct *a, **na;
	int paper;

	if (c == NULL || c->id == NULL || c->id[0] == 0 || c->venue == NULL) {
		snprintf(why, cap, "an account needs an id and a venue");
		return QD_ERR_INVALID;
	}
	if ((a = acct_find(o, c->id)) != NULL) {
		if (c->instance != NULL && c->instance[0] && a->instance[0] &&
		    strcmp(a->instance, c->instance) != 0) {
			snprintf(why, cap, "account %s belongs to instance %s",
				c->id, a->instance);
			return QD_ERR_STATE;
		}
		/* Known (restored): the configuration's rates apply from
		 * now on; its books stay as they are. */
		if (a->paper != NULL && oms_open_orders_of(o, a) == 0) {
			struct paper *np = paper_for(a, c);

			if (np != NULL) {
				paper_free(a->paper);
				a->paper = np;
				a->cfg = *c;
				a->cfg.id = a->id;
				a->cfg.owner = a->owner;
				a->cfg.instance = a->instance;
				a->cfg.venue = a->venue;
				a->cfg.feed = a->cfg.quote = NULL;
			}
		}
		snprintf(a->feed, sizeof(a->feed), "%s", c->feed ? c->feed :
			"");
		a->initial = c->balance;
		return QD_OK;
	}
	paper = strcmp(c->venue, "paper") == 0;
	if (paper && !(c->balance >= 0)) {
		snprintf(why, cap, "account %s: the initial balance must be "
			"0 or more", c->id);
		return QD_ERR_INVALID;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (na = realloc(o->accts, (o->n_accts + 1) * sizeof(*na))) == NULL) {
		free(a);
		snprintf(why, cap, "out of memory");
		return QD_ERR_NOMEM;
	}
	o->accts = na;
	a->oms = o;
	a->cfg = *c;
	a->id = strdup(c->id);
	a->owner = strdup(c->owner ? c->owner : "");
	a->instance = strdup(c->instance ? c->instance : "");
	a->venue = strdup(c->venue);
	snprintf(a->feed, sizeof(a->feed), "%s", c->feed ? c->feed : "");
	a->margin = c->margin;
	a->initial = c->balance;
	if (paper)
		a->paper = paper_for(a, c);
	if (a->id == NULL || a->owner == NULL || a->instance == NULL ||
	    a->venue == NULL || (paper && a->paper == NULL) ||
	    ledger_open_account(o->ledger, a->id, c->margin ? LEDGER_MARGIN :
	    0) != QD_OK) {
		acct_free(a);
		snprintf(why, cap, "account %s cannot be opened", c->id);
		return QD_ERR_NOMEM;
	}
	/* Only the numbers of the configuration are kept. */
	a->cfg.id = a->id;
	a->cfg.owner = a->owner;
	a->cfg.instance = a->instance;
	a->cfg.venue = a->venue;
	a->cfg.feed = a->cfg.quote = NULL;
	o->accts[o->n_accts++] = a;
	a->created = now;
	if (c->quote != NULL && c->quote[0])
		return acct_fund(o, a, c->quote, now);
	return QD_OK;
}

/* ---- updates to the owner ---------------------------------------------------------- */

static void
to_update(const struct ord *r, struct qd_order_update *u)
{
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	u->order_id = r->id;
	u->symbol = r->sym;
	u->side = r->req.side;
	u->type = r->req.type;
	u->state = r->state;
	u->ts = r->updated;
	u->qty = dbl(r->qty);
	u->price = r->req.price;
	u->filled_qty = dbl(r->filled);
	u->avg_price = r->filled > 0 ? (double)(r->notional /
		(long double)r->filled) : 0;
	u->fee = 0;
	u->reason = r->reason[0] ? r->reason : NULL;
	u->client_id = r->client_id;
	u->parent_id = r->parent_id;
	u->error = r->state == QD_ORDER_REJECTED ? r->error : 0;
}

static void
tell(struct oms *o, const struct ord *r, const struct qd_order_update *fill)
{
	struct qd_order_update u;

	to_update(r, &u);
	if (fill != NULL) {
		u.last_qty = fill->last_qty;
		u.last_price = fill->last_price;
		u.fee = fill->fee;
		u.trade_id = fill->trade_id;
		u.maker = fill->maker;
		if (fill->ts)
			u.ts = fill->ts;
	}
	if (o->h.on_update != NULL)
		o->h.on_update(o->h.arg, r->instance, &u);
}

/* Forget a finished order some time later (order_get keeps the last
 * KEEP_DONE finished ones). */
static void
retire(struct oms *o, struct ord *r)
{
	uint64_t old;

	if (o->n_done == KEEP_DONE) {
		old = o->done[o->done_head];
		{
			struct ord *x = map_get(&o->orders, old);

			map_del(&o->orders, old);
			if (x != NULL && x->paper_id)
				map_del(&o->by_paper, ((uint64_t)acct_index(o,
					x->a) + 1) << 40 | x->paper_id);
			ord_free(x);
		}
		o->done[o->done_head] = r->id;
		o->done_head = (o->done_head + 1) % KEEP_DONE;
	} else {
		o->done[(o->done_head + o->n_done) % KEEP_DONE] = r->id;
		o->n_done++;
	}
}

/* Move r to state `to` (checked), journal it and tell its owner. */
static int
transition(struct oms *o, struct ord *r, int to, const char *reason,
	const struct qd_order_update *fill)
{
	if (to != r->state && !oms_transition_ok(r->state, to)) {
		o->st.bad_transitions++;
		log_warn("oms", "order %llu: %s -> %s refused (not a valid "
			"transition)", (unsigned long long)r->id,
			r->state == QD_ORDER_FILLED ? "FILLED" :
			r->state == QD_ORDER_CANCELED ? "CANCELED" :
			r->state == QD_ORDER_REJECTED ? "REJECTED" :
			r->state == QD_ORDER_EXPIRED ? "EXPIRED" : "open",
			to == QD_ORDER_FILLED ? "FILLED" : to ==
			QD_ORDER_CANCELED ? "CANCELED" : "another state");
		return QD_ERR_STATE;
	}
	if (is_open(r->state) && !is_open(to)) {
		open_unlink(o, r);
		if (r->held) {
			r->held = 0;
			r->a->n_held--;
		}
	}
	if (to != r->state && to >= 0 && to < OMS_STATES)
		o->st.entered[to]++;
	r->state = to;
	r->updated = o->now;
	if (reason != NULL)
		snprintf(r->reason, sizeof(r->reason), "%s", reason);
	if (!is_open(to) && r->reserve > 0) {
		r->a->reserved_quote -= r->reserve;
		r->reserve = 0;
	}
	journal_ord(o, r);
	tell(o, r, fill);
	if (!is_open(to))
		retire(o, r);
	return QD_OK;
}

/* ---- rounding and checks ---------------------------------------------------------- */

static double
round_step(double v, double step, int dir)
{
	double k;

	if (!(step > 0))
		return v;
	k = v / step;
	/* A representation error of 1e-9 steps is not a step. */
	k = dir < 0 ? floor(k + 1e-9) : dir > 0 ? ceil(k - 1e-9) : nearbyint(k);
	return k * step;
}

/* Round to the instrument and check its minimums; QD_OK or a reason. */
static int
fit_instrument(struct oms *o, struct acct *a, struct qd_order_req *r,
	char *why, size_t cap)
{
	double tick = 0, lot = 0, min_notional = 0, min_qty = 0, px;
	int buy = r->side == QD_SIDE_BUY;

	if (o->h.instrument == NULL)
		return QD_OK;
	if (o->h.instrument(o->h.arg, strcmp(a->venue, "paper") == 0 ? NULL :
	    a->venue, a->instance, r->symbol, &tick, &lot, &min_notional,
	    &min_qty) != QD_OK) {
		if (a->paper != NULL)
			return QD_OK;        /* a feed without a list */
		/* A live venue checks tick and lot itself: an order it would
		 * refuse is not sent before its rules are known. */
		snprintf(why, cap, "%s's trading rules for this symbol are not "
			"known yet (its instrument list has not arrived)",
			a->venue);
		return QD_ERR_STATE;
	}
	r->qty = round_step(r->qty, lot, -1);
	if (r->price > 0)
		r->price = round_step(r->price, tick, buy ? -1 : 1);
	if (r->stop_price > 0)
		r->stop_price = round_step(r->stop_price, tick, 0);
	if (r->trail > 0)
		r->trail = round_step(r->trail, tick, 1);
	if (r->sl_price > 0)
		r->sl_price = round_step(r->sl_price, tick, 0);
	if (r->tp_price > 0)
		r->tp_price = round_step(r->tp_price, tick, 0);
	if (!(r->qty > 0) || (min_qty > 0 && r->qty < min_qty)) {
		snprintf(why, cap, "quantity below the instrument's minimum "
			"(lot %.10g, minimum %.10g) after rounding", lot,
			min_qty);
		return QD_ERR_INVALID;
	}
	px = r->price > 0 ? r->price : r->stop_price > 0 ? r->stop_price :
		mark_of(o, r->symbol);
	if (min_notional > 0 && px > 0 && r->qty * px < min_notional &&
	    !(r->flags & QD_ORDER_REDUCE_ONLY)) {
		snprintf(why, cap, "notional %.8g below the instrument's "
			"minimum %.8g", r->qty * px, min_notional);
		return QD_ERR_INVALID;
	}
	return QD_OK;
}

static int
req_valid(const struct qd_order_req *r, char *why, size_t cap)
{
	int t = r->type;

	if (r->side != QD_SIDE_BUY && r->side != QD_SIDE_SELL) {
		snprintf(why, cap, "side must be buy or sell");
		return QD_ERR_INVALID;
	}
	if (!(r->qty > 0) || !isfinite(r->qty) || r->symbol == 0) {
		snprintf(why, cap, "quantity must be above 0");
		return QD_ERR_INVALID;
	}
	if (t < QD_ORDER_MARKET || t > QD_ORDER_TRAILING_STOP ||
	    r->tif < QD_TIF_GTC || r->tif > QD_TIF_POST_ONLY) {
		snprintf(why, cap, "unknown order type or time in force");
		return QD_ERR_INVALID;
	}
	if ((t == QD_ORDER_LIMIT || t == QD_ORDER_STOP_LIMIT ||
	    t == QD_ORDER_TAKE_PROFIT_LIMIT) && !(r->price > 0 &&
	    isfinite(r->price))) {
		snprintf(why, cap, "this order type needs a price above 0");
		return QD_ERR_INVALID;
	}
	if ((t == QD_ORDER_STOP || t == QD_ORDER_STOP_LIMIT ||
	    t == QD_ORDER_TAKE_PROFIT || t == QD_ORDER_TAKE_PROFIT_LIMIT) &&
	    !(r->stop_price > 0 && isfinite(r->stop_price))) {
		snprintf(why, cap, "this order type needs a stop price above 0");
		return QD_ERR_INVALID;
	}
	if (t == QD_ORDER_TRAILING_STOP && !(r->trail > 0) &&
	    !(r->trail_bps > 0)) {
		snprintf(why, cap, "a trailing stop needs trail or trail_bps");
		return QD_ERR_INVALID;
	}
	if (r->tif == QD_TIF_POST_ONLY && t != QD_ORDER_LIMIT) {
		snprintf(why, cap, "post-only is for limit orders");
		return QD_ERR_INVALID;
	}
	if ((r->sl_price < 0 || r->tp_price < 0 || !isfinite(r->sl_price) ||
	    !isfinite(r->tp_price))) {
		snprintf(why, cap, "stop loss and take profit must be 0 or "
			"above");
		return QD_ERR_INVALID;
	}
	return QD_OK;
}

/* Signed position of account a in symbol s, in units. */
static int64_t
pos_units(const struct oms *o, const struct acct *a, qd_symbol s,
	double *avg)
{
	struct ledger_position p;

	if (ledger_position(o->ledger, a->id, sym_name(s), &p) != QD_OK) {
		if (avg)
			*avg = 0;
		return 0;
	}
	if (avg)
		*avg = p.avg_price;
	return p.qty;
}

struct expo {
	const struct oms *o;
	const char *symbol;
	double gross, pos;
};

static int
expo_add(void *arg, const char *symbol, const struct ledger_position *p)
{
	struct expo *e = arg;
	qd_symbol s = symbol_intern(symbol);
	double q = dbl(p->qty), m = mark_of(e->o, s);

	if (m == 0)
		m = p->avg_price;
	e->gross += fabs(q) * m;
	if (strcmp(symbol, e->symbol) == 0)
		e->pos += q;
	return 0;
}

static void
exposure(const struct oms *o, const struct acct *a, const char *symbol,
	struct risk_exposure ex[RISK_N_SCOPES])
{
	struct expo e;
	size_t i;

	memset(ex, 0, RISK_N_SCOPES * sizeof(*ex));
	for (i = 0; i < o->n_accts; i++) {
		memset(&e, 0, sizeof(e));
		e.o = o;
		e.symbol = symbol;
		ledger_each_position(o->ledger, o->accts[i]->id, expo_add, &e);
		ex[RISK_SCOPE_GLOBAL].gross_exposure += e.gross;
		ex[RISK_SCOPE_GLOBAL].position_qty += e.pos;
		if (o->accts[i] == a) {
			ex[RISK_SCOPE_ACCOUNT].gross_exposure = e.gross;
			ex[RISK_SCOPE_ACCOUNT].position_qty = e.pos;
			ex[RISK_SCOPE_INSTANCE] = ex[RISK_SCOPE_ACCOUNT];
		}
	}
	ex[RISK_SCOPE_GLOBAL].open_orders = o->n_open;
	ex[RISK_SCOPE_ACCOUNT].open_orders = a->n_open;
	ex[RISK_SCOPE_INSTANCE].open_orders = a->n_open;
}

/*
 * Buying power at submission: what the account holds, minus what its open
 * orders already commit, must cover this order at its price (the mark
 * plus 1 % for orders without one) with the taker fee.  Sets *reserve.
 */
static int
check_funds(struct oms *o, struct acct *a, const struct qd_order_req *r,
	int64_t *reserve, char *why, size_t cap)
{
	double px = r->price > 0 ? r->price : r->stop_price > 0 ?
		r->stop_price : mark_of(o, r->symbol);
	int64_t pos = pos_units(o, a, r->symbol, NULL), qty = units(r->qty);
	int64_t notional, fee, avail;
	double rate = a->cfg.taker_fee > a->cfg.maker_fee ? a->cfg.taker_fee :
		a->cfg.maker_fee;

	*reserve = 0;
	if (!(px > 0)) {
		snprintf(why, cap, "no price is known yet for %s: a market "
			"order cannot be checked against the account",
			sym_name(r->symbol));
		return QD_ERR_DENIED;
	}
	if (r->price <= 0)
		px *= 1.01;
	if (r->side == QD_SIDE_SELL) {
		if (a->margin || (r->flags & QD_ORDER_REDUCE_ONLY))
			return QD_OK;       /* checked at the fill (equity) */
		if (qty > pos) {
			snprintf(why, cap, "insufficient %s: selling %.8g, "
				"holding %.8g", sym_name(r->symbol), r->qty,
				dbl(pos));
			return QD_ERR_DENIED;
		}
		return QD_OK;
	}
	if (pos < 0 && qty <= -pos)
		return QD_OK;                /* covers a short */
	if (ledger_notional(o->ledger, sym_name(r->symbol), qty, px,
	    &notional) != QD_OK) {
		snprintf(why, cap, "order too large");
		return QD_ERR_DENIED;
	}
	fee = (int64_t)llround((double)notional * rate);
	avail = ledger_balance(o->ledger, a->id, a->quote) - a->reserved_quote;
	if (notional + fee > avail) {
		snprintf(why, cap, "insufficient funds: the order needs %.8g %s "
			"with fees, %.8g is available (%.8g held by open "
			"orders)", dbl(notional + fee), a->quote, dbl(avail),
			dbl(a->reserved_quote));
		return QD_ERR_DENIED;
	}
	*reserve = notional + fee;
	return QD_OK;
}

/* ---- sending ------------------------------------------------------------------------ */

static void
client_id(uint64_t id, char *buf, size_t cap)
{
	qd_client_order_id(id, buf, cap);
}

static void send_order(struct oms *o, struct ord *r);

/* The types the host can hold for a venue that lacks them. */
static int
emulable(int type)
{
	return type == QD_ORDER_STOP || type == QD_ORDER_STOP_LIMIT ||
		type == QD_ORDER_TAKE_PROFIT ||
		type == QD_ORDER_TAKE_PROFIT_LIMIT ||
		type == QD_ORDER_TRAILING_STOP;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
wait_durable(struct oms *o, struct ord *r)
{
	if (o->j == NULL || r->wal_seq <= o->durable) {
		send_order(o, r);
		return;
	}
	if (o->n_waiting == o->cap_waiting) {
		size_t cap = o->cap_waiting ? o->cap_waiting * 2 : 64;
		struct ord **n = realloc(o->waiting, cap * sizeof(*n));

		if (n == NULL) {
			transition(o, r, QD_ORDER_REJECTED, "out of memory",
				NULL);
			return;
		}
		o->waiting = n;
		o->cap_waiting = cap;
	}
	o->waiting[o->n_waiting++] = r;
}

/* Hand a durable CREATED order to its venue. */
/* A type the venue lacks: the host holds it and sends a market (or
 * limit) order when it triggers. */
static void
hold(struct oms *o, struct ord *r)
{
	r->held = 1;
	r->a->n_held++;
	snprintf(r->venue_order_id, sizeof(r->venue_order_id), "%s",
		HELD_MARK);
	transition(o, r, QD_ORDER_PENDING, NULL, NULL);
}

static void
send_order(struct oms *o, struct ord *r)
{
	struct acct *a = r->a;
	int rc;

	if (r->resend) {
		/* A held order triggered: now the venue's, as market/limit. */
		r->resend = 0;
		r->unheard = 1;
		rc = o->h.venue_place ? o->h.venue_place(o->h.arg, a->venue,
			r->id, r->client_id, &r->req) : QD_ERR_NOTFOUND;
		if (rc != QD_OK) {
			r->unheard = 0;
			transition(o, r, QD_ORDER_REJECTED, "the venue refused "
				"the triggered order", NULL);
		}
		return;
	}
	if (r->state != QD_ORDER_CREATED || r->sent)
		return;
	r->sent = 1;
	o->st.sent++;
	if (r->tick > 0 && (o->lat != NULL || (o->lat = malloc(LAT_N *
	    sizeof(*o->lat))) != NULL))
		o->lat[o->n_lat++ % LAT_N] = mono_ns() - r->tick;
	if (a->paper != NULL) {
		struct qd_order_req q = r->req;
		uint64_t pid = 0;
		int64_t remaining = r->qty - r->filled;

		q.qty = dbl(remaining);
		rc = paper_submit(a->paper, &q, o->mkt, &pid);
		if (rc != QD_OK) {
			transition(o, r, QD_ORDER_REJECTED, rc == QD_ERR_DENIED ?
				"post-only order would take liquidity" :
				"the paper venue refused the order", NULL);
			return;
		}
		r->paper_id = pid;
		map_put(&o->by_paper, ((uint64_t)acct_index(o, a) + 1) << 40 |
			pid, r);
		transition(o, r, r->filled > 0 ? QD_ORDER_PARTIAL :
			QD_ORDER_PENDING, NULL, NULL);
		return;
	}
	if (o->h.venue_place == NULL) {
		transition(o, r, QD_ORDER_REJECTED, "no such venue", NULL);
		return;
	}
	r->unheard = 1;
	rc = o->h.venue_place(o->h.arg, a->venue, r->id, r->client_id,
		&r->req);
	if (rc != QD_OK)
		r->unheard = 0;
	if (rc == QD_ERR_UNSUPPORTED && emulable(r->req.type)) {
		hold(o, r);
		return;
	}
	if (rc != QD_OK)
		transition(o, r, QD_ORDER_REJECTED, rc == QD_ERR_UNSUPPORTED ?
			"the venue does not take this order type" :
			"the venue refused the order", NULL);
}

void
oms_durable(struct oms *o, uint64_t seq, int64_t now)
{
	size_t i, k = 0;

	if (seq <= o->durable)
		return;
	o->durable = seq;
	o->now = now;
	for (i = 0; i < o->n_waiting; i++) {
		struct ord *r = o->waiting[i];

		if (r->wal_seq <= seq) {
			if (r->resend && !is_open(r->state))
				continue;   /* cancelled meanwhile */
			send_order(o, r);
		} else {
			o->waiting[k++] = r;
		}
	}
	o->n_waiting = k;
}

/* Create, journal and (once durable) send an order. */
static struct ord *
create(struct oms *o, struct acct *a, const char *instance,
	const struct qd_order_req *r, int64_t reserve)
{
	struct ord *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->id = o->next_id++;
	client_id(n->id, n->client_id, sizeof(n->client_id));
	n->a = a;
	snprintf(n->instance, sizeof(n->instance), "%s", instance ? instance :
		"");
	n->sym = r->symbol;
	n->req = *r;
	n->req.size = sizeof(n->req);
	snprintf(n->tag, sizeof(n->tag), "%s", r->tag ? r->tag : "");
	n->req.tag = n->tag[0] ? n->tag : NULL;
	n->state = QD_ORDER_CREATED;
	o->st.entered[QD_ORDER_CREATED]++;
	n->qty = units(r->qty);
	n->link_id = r->oco_with;
	n->created = n->updated = o->now;
	n->tick = o->tick_mono;
	n->reserve = reserve;
	a->reserved_quote += reserve;
	if (map_put(&o->orders, n->id, n) != QD_OK) {
		a->reserved_quote -= reserve;
		free(n);
		return NULL;
	}
	open_link(o, n);
	n->wal_seq = journal_ord(o, n);
	if (n->tick > 0 && (o->acc != NULL || (o->acc = malloc(LAT_N *
	    sizeof(*o->acc))) != NULL))
		o->acc[o->n_acc++ % LAT_N] = mono_ns() - n->tick;
	return n;
}

int
oms_submit(struct oms *o, const char *instance, const struct qd_order_req *req,
	int64_t now, uint64_t *id, char *why, size_t cap)
{
	struct acct *a = acct_of_instance(o, instance);
	struct qd_order_req r;
	struct risk_exposure ex[RISK_N_SCOPES];
	struct risk_order ro;
	struct risk_event ev;
	struct ord *n, *peer = NULL;
	char qbuf[24];
	int64_t reserve = 0;
	int rc;

	o->now = now;
	if (a == NULL) {
		snprintf(why, cap, "no account for instance %s", instance ?
			instance : "?");
		return QD_ERR_NOTFOUND;
	}
	r = *req;
	if ((rc = req_valid(&r, why, cap)) != QD_OK ||
	    (rc = fit_instrument(o, a, &r, why, cap)) != QD_OK) {
		o->st.refused++;
		return rc;
	}
	if (r.oco_with != 0) {
		peer = map_get(&o->orders, r.oco_with);
		if (peer == NULL || !is_open(peer->state) || peer->a != a ||
		    peer->link_id != 0) {
			snprintf(why, cap, "oco_with %llu is not an open order "
				"of this instance without a pair",
				(unsigned long long)r.oco_with);
			o->st.refused++;
			return QD_ERR_INVALID;
		}
	}
	if (acct_fund(o, a, quote_of(sym_name(r.symbol), qbuf, sizeof(qbuf)),
	    now) != QD_OK) {
		snprintf(why, cap, "the account's initial balance cannot be "
			"posted");
		return QD_ERR_INTERNAL;
	}
	if (strcmp(a->quote, qbuf) != 0) {
		snprintf(why, cap, "account %s keeps %s, %s is quoted in %s",
			a->id, a->quote, sym_name(r.symbol), qbuf);
		o->st.refused++;
		return QD_ERR_DENIED;
	}
	memset(&ro, 0, sizeof(ro));
	ro.instance = a->instance;
	ro.account = a->id;
	ro.symbol = sym_name(r.symbol);
	ro.side = r.side;
	ro.qty = r.qty;
	ro.price = r.price > 0 ? r.price : r.stop_price > 0 ? r.stop_price :
		mark_of(o, r.symbol);
	ro.reduce_only = (r.flags & QD_ORDER_REDUCE_ONLY) != 0;
	ro.now = now;
	exposure(o, a, ro.symbol, ex);
	/* QD_ERR_INVALID: no price to check it at (the order is valid) --
	 * check_funds refuses it for that, saying so. */
	rc = risk_pre_trade(o->risk, &ro, ex, mark_of(o, r.symbol), o->next_id,
	    &ev);
	if (rc != QD_OK && rc != QD_ERR_INVALID) {
		snprintf(why, cap, "%s", ev.reason);
		o->st.refused++;
		return QD_ERR_DENIED;
	}
	if ((rc = check_funds(o, a, &r, &reserve, why, cap)) != QD_OK) {
		o->st.refused++;
		return rc;
	}
	if ((n = create(o, a, instance, &r, reserve)) == NULL) {
		snprintf(why, cap, "out of memory");
		return QD_ERR_NOMEM;
	}
	if (peer != NULL)
		peer->link_id = n->id;
	o->st.submitted++;
	if (id != NULL)
		*id = n->id;
	wait_durable(o, n);
	return QD_OK;
}

static void
drop_waiting(struct oms *o, struct ord *r)
{
	size_t i;

	for (i = 0; i < o->n_waiting; i++)
		if (o->waiting[i] == r) {
			o->waiting[i] = o->waiting[--o->n_waiting];
			return;
		}
}

static int
cancel_ord(struct oms *o, struct ord *r, const char *reason)
{
	if (!is_open(r->state))
		return QD_ERR_STATE;
	if (r->state == QD_ORDER_CREATED && !r->sent) {
		drop_waiting(o, r);
		return transition(o, r, QD_ORDER_CANCELED, reason, NULL);
	}
	if (r->a->paper != NULL) {
		paper_cancel(r->a->paper, r->paper_id);
		return transition(o, r, QD_ORDER_CANCELED, reason, NULL);
	}
	if (r->held || r->resend) {
		drop_waiting(o, r);
		r->resend = 0;
		return transition(o, r, QD_ORDER_CANCELED, reason, NULL);
	}
	if (o->h.venue_cancel == NULL)
		return QD_ERR_UNSUPPORTED;
	/* Live: the venue's answer moves it.  One it has not yet spoken of
	 * may still be on its way there (a cancel could overtake it, and
	 * find nothing): asked once the venue has answered for it. */
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	if (r->unheard) {
		r->cancel_due = 1;
		return QD_OK;
	}
	return o->h.venue_cancel(o->h.arg, r->a->venue, r->id, r->client_id);
}

int
oms_cancel(struct oms *o, const char *instance, uint64_t id,
	const char *reason, int64_t now)
{
	struct ord *r = map_get(&o->orders, id);

	o->now = now;
	/* Not an open order of the instance (finished ones included, as a
	 * backtest's book answers). */
	if (r == NULL || (instance != NULL && strcmp(r->instance, instance)) ||
	    !is_open(r->state))
		return QD_ERR_NOTFOUND;
	return cancel_ord(o, r, reason ? reason : "canceled by its owner");
}

static int
in_scope(const struct ord *r, const struct oms_scope *s)
{
	if (s == NULL)
		return 1;
	if (s->account != NULL && strcmp(r->a->id, s->account) != 0)
		return 0;
	if (s->instance != NULL && strcmp(r->instance, s->instance) != 0)
		return 0;
	return 1;
}

/* Open orders in scope, collected first: cancelling changes the map. */
static size_t
collect_open(struct oms *o, const struct oms_scope *s, struct ord ***out)
{
	size_t i, n = 0;
	struct ord **v = malloc(((size_t)o->n_open + 1) * sizeof(*v)), *r;

	*out = v;
	if (v == NULL)
		return 0;
	for (i = 0; i < o->n_accts; i++)
		for (r = o->accts[i]->open_head; r != NULL; r = r->onext)
			if (in_scope(r, s))
				v[n++] = r;
	return n;
}

size_t
oms_cancel_all(struct oms *o, const struct oms_scope *s, const char *reason,
	int64_t now)
{
	struct ord **v;
	size_t n, i, done = 0;

	o->now = now;
	n = collect_open(o, s, &v);
	for (i = 0; i < n; i++)
		if (cancel_ord(o, v[i], reason) == QD_OK)
			done++;
	free(v);
	return done;
}

/* ---- fills ---------------------------------------------------------------------------- */

static int
seen_trade(struct ord *r, const char *tid)
{
	size_t i;

	for (i = 0; i < r->n_trade_ids; i++)
		if (strcmp(r->trade_ids[i], tid) == 0)
			return 1;
	return 0;
}

static void
remember_trade(struct ord *r, const char *tid)
{
	char **n;

	if (r->n_trade_ids >= MAX_TRADE_IDS)
		return;
	if ((n = realloc(r->trade_ids, (r->n_trade_ids + 1) *
	    sizeof(*n))) == NULL)
		return;
	r->trade_ids = n;
	if ((n[r->n_trade_ids] = strdup(tid)) != NULL)
		r->n_trade_ids++;
}

static void bracket_children(struct oms *o, struct ord *entry, int64_t qty);

/*
 * Apply one fill of r, once per trade id: the ledger, the order, the
 * journal, OCO and brackets, the owner.  QD_OK, QD_ERR_STATE for a
 * duplicate, QD_ERR_LIMIT when the ledger cannot book it.
 */
static int
apply_fill(struct oms *o, struct ord *r, const char *trade_id, int64_t qty,
	double price, int64_t fee, int maker, int64_t ts)
{
	struct ledger_fill lf;
	struct store_fill sf;
	struct qd_order_update fu;
	char q[48], px[40], fe[48], why[200], ref[160];
	int64_t txn;
	int to, rc;

	if (seen_trade(r, trade_id)) {
		o->st.duplicate_fills++;
		return QD_ERR_STATE;
	}
	if (qty <= 0 || r->filled + qty > r->qty || !(price > 0)) {
		log_warn("oms", "order %llu: a fill of %.8g at %.10g does not "
			"fit the order (%.8g of %.8g filled): ignored",
			(unsigned long long)r->id, dbl(qty), price,
			dbl(r->filled), dbl(r->qty));
		o->st.bad_transitions++;
		return QD_ERR_STATE;
	}
	to = r->filled + qty == r->qty ? QD_ORDER_FILLED : QD_ORDER_PARTIAL;
	if (!oms_transition_ok(r->state, to)) {
		o->st.bad_transitions++;
		log_warn("oms", "order %llu: a fill after the order ended is "
			"ignored", (unsigned long long)r->id);
		return QD_ERR_STATE;
	}
	memset(&lf, 0, sizeof(lf));
	lf.account = r->a->id;
	lf.venue = r->a->venue;
	lf.symbol = sym_name(r->sym);
	lf.side = r->req.side;
	lf.qty = qty;
	lf.price = price;
	lf.fee = fee;
	snprintf(ref, sizeof(ref), "%llu:%s", (unsigned long long)r->id,
		trade_id);
	lf.ref = ref;
	lf.ts_ms = ts / 1000000;
	/* The postings, the fill and the order reach the store together. */
	journal_group_begin(o->j);
	if ((rc = ledger_fill(o->ledger, &lf, &txn, why, sizeof(why))) !=
	    QD_OK) {
		journal_group_end(o->j);
		log_error("oms", "order %llu: fill %s cannot be booked: %s",
			(unsigned long long)r->id, trade_id, why);
		return QD_ERR_LIMIT;
	}
	remember_trade(r, trade_id);
	o->st.fills++;
	r->filled += qty;
	r->fees += fee;
	r->notional += (long double)qty * price;
	if (r->reserve > 0) {
		/* Release what this part committed. */
		int64_t part = (int64_t)((long double)r->reserve * qty /
			(r->qty - r->filled + qty));

		if (part > r->reserve)
			part = r->reserve;
		r->reserve -= part;
		r->a->reserved_quote -= part;
	}
	if (o->j != NULL) {
		memset(&sf, 0, sizeof(sf));
		fmt_units(qty, q, sizeof(q));
		fmt_units(fee, fe, sizeof(fe));
		sf.order_id = r->id;
		sf.trade_id = trade_id;
		sf.account = r->a->id;
		sf.symbol = sym_name(r->sym);
		sf.side = r->req.side;
		sf.qty = q;
		sf.price = fmt_px(price, px, sizeof(px)) ? px : "0";
		sf.fee = fe;
		sf.fee_asset = r->a->quote;
		sf.maker = maker;
		sf.ts_ms = ts / 1000000;
		journal_fill(o->j, &sf);
	}
	memset(&fu, 0, sizeof(fu));
	fu.last_qty = dbl(qty);
	fu.last_price = price;
	fu.fee = dbl(fee);
	fu.trade_id = trade_id;
	fu.maker = maker;
	fu.ts = ts;
	/* The order's record joins the group (and whatever its owner does
	 * when told, which is then as atomic). */
	transition(o, r, to, NULL, &fu);
	journal_group_end(o->j);
	/* One cancels the other, at its first fill. */
	if (r->link_id != 0) {
		struct ord *peer = map_get(&o->orders, r->link_id);

		if (peer != NULL && is_open(peer->state))
			cancel_ord(o, peer, "its one-cancels-the-other pair "
				"filled");
	}
	if (r->req.sl_price > 0 || r->req.tp_price > 0)
		bracket_children(o, r, qty);
	return QD_OK;
}

/* A bracket entry filled `qty`: its own stop loss / take profit pair. */
static void
bracket_children(struct oms *o, struct ord *e, int64_t qty)
{
	struct qd_order_req c;
	struct ord *sl = NULL, *tp = NULL;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.symbol = e->sym;
	c.side = e->req.side == QD_SIDE_BUY ? QD_SIDE_SELL : QD_SIDE_BUY;
	c.flags = QD_ORDER_REDUCE_ONLY;
	c.qty = dbl(qty);
	c.tag = "bracket";
	if (e->req.sl_price > 0) {
		c.type = QD_ORDER_STOP;
		c.stop_price = e->req.sl_price;
		sl = create(o, e->a, e->instance, &c, 0);
	}
	if (e->req.tp_price > 0) {
		c.type = QD_ORDER_TAKE_PROFIT;
		c.stop_price = e->req.tp_price;
		tp = create(o, e->a, e->instance, &c, 0);
	}
	if (sl != NULL && tp != NULL) {
		sl->link_id = tp->id;
		tp->link_id = sl->id;
	}
	if (sl != NULL) {
		sl->parent_id = e->id;
		sl->wal_seq = journal_ord(o, sl);
		wait_durable(o, sl);
	}
	if (tp != NULL) {
		tp->parent_id = e->id;
		tp->wal_seq = journal_ord(o, tp);
		wait_durable(o, tp);
	}
}

/* The paper venue asks the ledger whether a fill can be paid. */
static const char *
paper_afford(void *arg, const struct paper_fill *f)
{
	struct acct *a = arg;
	struct oms *o = a->oms;
	struct ledger_fill lf;
	int64_t fee = f->fee;

	memset(&lf, 0, sizeof(lf));
	lf.account = a->id;
	lf.venue = a->venue;
	lf.symbol = sym_name(f->symbol);
	lf.side = f->side;
	lf.qty = f->qty;
	lf.price = f->price;
	lf.fee = fee;
	lf.ref = "";
	if (ledger_check_fill(o->ledger, &lf, o->why, sizeof(o->why)) ==
	    QD_OK)
		return NULL;
	return o->why;
}

static void
on_paper(void *arg, const struct paper_fill *f)
{
	struct acct *a = arg;
	struct oms *o = a->oms;
	struct ord *r = map_get(&o->by_paper, ((uint64_t)acct_index(o, a) +
		1) << 40 | f->order_id);
	char tid[32];

	if (r == NULL)
		return;
	if (f->reject != NULL) {
		/* Not paid for, or nothing to reduce: the order ends. */
		if (r->filled == 0)
			transition(o, r, QD_ORDER_REJECTED, f->reject, NULL);
		else
			transition(o, r, QD_ORDER_CANCELED, f->reject, NULL);
		return;
	}
	if (f->qty > 0) {
		snprintf(tid, sizeof(tid), "p%llu",
			(unsigned long long)f->fill_id);
		apply_fill(o, r, tid, f->qty, f->price, f->fee, f->maker,
			f->ts);
	}
	if (f->expired && is_open(r->state))
		transition(o, r, QD_ORDER_EXPIRED, "time in force", NULL);
}

/* ---- market events ------------------------------------------------------------------- */

static void run_actions(struct oms *o);
static void watch_positions(struct oms *o, qd_symbol s, double px);
static void trigger_held(struct oms *o, qd_symbol s, double px);

/* Does paper account a match events from `source`? */
static int
feeds(const struct acct *a, const char *source)
{
	return a->paper != NULL && (a->feed[0] == 0 || source == NULL ||
		strcmp(a->feed, source) == 0);
}

void
oms_on_trade(struct oms *o, const char *source,
	const struct qd_trade_event *t)
{
	size_t i;

	o->tick_mono = mono_ns();
	o->now = o->mkt = t->ts;
	set_mark(o, t->symbol, t->price);
	if (t->symbol < o->n_marks)
		o->has_trades[t->symbol] = 1;
	risk_on_price(o->risk, sym_name(t->symbol), t->price, t->ts);
	for (i = 0; i < o->n_accts; i++)
		if (feeds(o->accts[i], source))
			paper_on_trade(o->accts[i]->paper, t, on_paper,
				o->accts[i]);
	trigger_held(o, t->symbol, t->price);
	watch_positions(o, t->symbol, t->price);
	run_actions(o);
}

void
oms_on_bar(struct oms *o, const char *source, qd_symbol sym,
	const struct qd_bar *b)
{
	size_t i;

	if (sym < o->n_marks && o->has_trades[sym]) {
		set_mark(o, sym, b->close);
		return;          /* trades match this symbol */
	}
	o->now = b->ts;
	o->mkt = b->ts + 1;     /* placed at its close: fills from the next */
	for (i = 0; i < o->n_accts; i++)
		if (feeds(o->accts[i], source))
			paper_on_bar(o->accts[i]->paper, sym, b, on_paper,
				o->accts[i]);
	set_mark(o, sym, b->close);
	watch_positions(o, sym, b->close);
	run_actions(o);
}

/* Held orders of live accounts in `s` whose trigger this price reaches:
 * to the venue as market (or limit) orders, once the change is durable. */
static void
trigger_held(struct oms *o, qd_symbol s, double px)
{
	size_t i;

	for (i = 0; i < o->n_accts; i++) {
		struct ord *r;

		if (o->accts[i]->paper != NULL || o->accts[i]->n_held == 0)
			continue;
		for (r = o->accts[i]->open_head; r != NULL; r = r->onext) {
			int buy = r->req.side == QD_SIDE_BUY, hit = 0;
			double d;

			if (!r->held || r->sym != s)
				continue;
			switch (r->req.type) {
			case QD_ORDER_STOP:
			case QD_ORDER_STOP_LIMIT:
				hit = buy ? px >= r->req.stop_price :
					px <= r->req.stop_price;
				break;
			case QD_ORDER_TAKE_PROFIT:
			case QD_ORDER_TAKE_PROFIT_LIMIT:
				hit = buy ? px <= r->req.stop_price :
					px >= r->req.stop_price;
				break;
			case QD_ORDER_TRAILING_STOP:
				if (r->best == 0 || (buy ? px < r->best :
				    px > r->best))
					r->best = px;
				d = r->req.trail > 0 ? r->req.trail :
					r->best * r->req.trail_bps / 1e4;
				hit = buy ? px >= r->best + d :
					px <= r->best - d;
				break;
			default:
				break;
			}
			if (!hit)
				continue;
			r->req.type = r->req.type == QD_ORDER_STOP_LIMIT ||
				r->req.type == QD_ORDER_TAKE_PROFIT_LIMIT ?
				QD_ORDER_LIMIT : QD_ORDER_MARKET;
			r->held = 0;
			o->accts[i]->n_held--;
			r->resend = 1;
			r->venue_order_id[0] = 0;
			r->wal_seq = journal_ord(o, r);
			wait_durable(o, r);
		}
	}
}

/* Per-position rules of every account holding `s`. */
static void
watch_positions(struct oms *o, qd_symbol s, double px)
{
	size_t i;

	for (i = 0; i < o->n_accts; i++) {
		struct acct *a = o->accts[i];
		double avg;
		int64_t q = pos_units(o, a, s, &avg);

		if (q == 0 && !a->deposited)
			continue;
		risk_on_position(o->risk, a->instance[0] ? RISK_SCOPE_INSTANCE :
			RISK_SCOPE_ACCOUNT, a->instance[0] ? a->instance : a->id,
			sym_name(s), dbl(q), avg, px, o->now);
	}
}

/* Close `ratio` of account a's position in `symbol` (NULL: all). */
static size_t
close_positions(struct oms *o, struct acct *a, const char *symbol,
	double ratio, const char *tag)
{
	struct pos_list {
		char sym[32];
		int64_t qty;
	} *v = NULL;
	size_t n = 0, i, sent = 0;
	struct ledger_position p;

	for (i = 0; i < o->n_marks; i++) {
		const char *name;

		if (o->marks[i] == 0 || (name = symbol_name((qd_symbol)i)) ==
		    NULL || (symbol != NULL && symbol[0] &&
		    strcmp(symbol, name) != 0))
			continue;
		if (ledger_position(o->ledger, a->id, name, &p) != QD_OK ||
		    p.qty == 0)
			continue;
		{
			struct pos_list *nv = realloc(v, (n + 1) * sizeof(*v));

			if (nv == NULL)
				break;
			v = nv;
		}
		snprintf(v[n].sym, sizeof(v[n].sym), "%s", name);
		v[n].qty = p.qty;
		n++;
	}
	for (i = 0; i < n; i++) {
		struct qd_order_req c;
		struct ord *r;
		int64_t want = (int64_t)llroundl((long double)llabs(v[i].qty) *
			ratio);
		const struct ord *x;

		/* What open close orders already cover is not sent again. */
		for (x = a->open_head; x != NULL; x = x->onext)
			if (x->emergency && strcmp(sym_name(x->sym),
			    v[i].sym) == 0)
				want -= x->qty - x->filled;
		if (want <= 0)
			continue;
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.symbol = symbol_intern(v[i].sym);
		c.side = v[i].qty > 0 ? QD_SIDE_SELL : QD_SIDE_BUY;
		c.type = QD_ORDER_MARKET;
		c.flags = QD_ORDER_REDUCE_ONLY;
		c.qty = dbl(want);
		c.tag = tag;
		if ((r = create(o, a, a->instance, &c, 0)) == NULL)
			continue;
		r->emergency = 1;
		wait_durable(o, r);
		sent++;
	}
	free(v);
	return sent;
}

static void
run_actions(struct oms *o)
{
	size_t i, k;

	if (o->in_pass)
		return;
	o->in_pass = 1;
	for (i = 0; i < o->n_acts; i++) {
		struct pending_act a = o->acts[i];
		struct oms_scope s = { NULL, NULL };

		if (a.scope == RISK_SCOPE_ACCOUNT)
			s.account = a.id;
		else if (a.scope == RISK_SCOPE_INSTANCE)
			s.instance = a.id;
		if (a.actions & RISK_CANCEL)
			oms_cancel_all(o, &s, a.reason, o->now);
		if (a.actions & RISK_CLOSE)
			for (k = 0; k < o->n_accts; k++) {
				struct acct *x = o->accts[k];

				if ((s.account && strcmp(x->id, s.account)) ||
				    (s.instance && strcmp(x->instance,
				    s.instance)))
					continue;
				close_positions(o, x, a.symbol[0] ? a.symbol :
					NULL, 1.0, a.rule);
			}
	}
	o->n_acts = 0;
	o->in_pass = 0;
}

/* ---- live venues ----------------------------------------------------------------------- */

static void venue_update(struct oms *o, struct ord *r,
	const struct qd_order_update *u, int64_t now);

void
oms_on_venue_update(struct oms *o, const char *venue,
	const struct qd_order_update *u, int64_t now)
{
	struct ord *r;
	int due;

	o->now = now;
	if (u == NULL || (r = map_get(&o->orders, u->order_id)) == NULL ||
	    strcmp(r->a->venue, venue) != 0) {
		o->st.stale_updates++;
		return;
	}
	due = r->cancel_due;
	r->unheard = 0;
	r->cancel_due = 0;
	venue_update(o, r, u, now);
	/* A cancel held back until the venue knew the order (or until it
	 * said the host must hold it). */
	if (due && (r = map_get(&o->orders, u->order_id)) != NULL &&
	    is_open(r->state)) {
		char why[sizeof(r->reason)];

		snprintf(why, sizeof(why), "%s", r->reason);
		if (cancel_ord(o, r, why) != QD_OK)
			r->cancel_due = 1;   /* again at its next update */
	}
}

static void
venue_update(struct oms *o, struct ord *r, const struct qd_order_update *u,
	int64_t now)
{
	if (u->last_qty > 0) {
		char tid[96];

		if (u->trade_id != NULL && u->trade_id[0])
			snprintf(tid, sizeof(tid), "%s", u->trade_id);
		else   /* no id: the cumulative quantity identifies it */
			snprintf(tid, sizeof(tid), "cum:%.8f", u->filled_qty);
		if (apply_fill(o, r, tid, units(u->last_qty), u->last_price,
		    units(u->fee), u->maker, u->ts ? u->ts : now) == QD_OK) {
			run_actions(o);
			return;
		}
	}
	if (u->state == QD_ORDER_PARTIAL || u->state == QD_ORDER_FILLED)
		return;   /* moved by fills only */
	if (rank(u->state) < rank(r->state) || (int)u->state == r->state) {
		o->st.stale_updates++;
		return;   /* late or repeated: nothing new */
	}
	if (u->state == QD_ORDER_REJECTED && u->error == QD_ERR_UNSUPPORTED &&
	    r->state == QD_ORDER_CREATED && !r->held && r->filled == 0 &&
	    emulable(r->req.type)) {
		/* An adapter answering later (sandboxed) that it lacks the
		 * type: held by the host, as if it had said so at once. */
		hold(o, r);
		run_actions(o);
		return;
	}
	if (u->state == QD_ORDER_REJECTED)
		r->error = u->error != 0 ? u->error : QD_ERR_DENIED;
	transition(o, r, u->state, u->reason, NULL);
	run_actions(o);
}

/* ---- the risk engine's memory ---------------------------------------------- */

/*
 * Kept as one blob in the store's state table under RISK_KEY (not a valid
 * instance name): a header, then per scope u8 scope, u8 id length, the id,
 * struct risk_state.  A blob of another layout is ignored at restore (a
 * warning): the rules then start afresh.
 */
#define RISK_KEY ":risk"
#define RISK_MAGIC "QDRISK1"

struct risk_blob {
	unsigned char *buf;
	size_t len, cap;
};

static int
risk_blob_add(void *arg, enum risk_scope scope, const char *id,
	const struct risk_state *st)
{
	struct risk_blob *b = arg;
	size_t idlen = strlen(id), need = 2 + idlen + sizeof(*st);

	if (idlen > 255)
		return 0;
	if (b->len + need > b->cap) {
		size_t cap = (b->len + need) * 2;
		unsigned char *n = realloc(b->buf, cap);

		if (n == NULL)
			return 1;
		b->buf = n;
		b->cap = cap;
	}
	b->buf[b->len++] = (unsigned char)scope;
	b->buf[b->len++] = (unsigned char)idlen;
	memcpy(b->buf + b->len, id, idlen);
	b->len += idlen;
	memcpy(b->buf + b->len, st, sizeof(*st));
	b->len += sizeof(*st);
	return 0;
}

/* Journal the risk state when it changed. */
static void
risk_save(struct oms *o)
{
	struct risk_blob b = { NULL, 0, 0 };

	if (o->j == NULL)
		return;
	if ((b.buf = malloc(64)) == NULL)
		return;
	b.cap = 64;
	memcpy(b.buf, RISK_MAGIC, sizeof(RISK_MAGIC));
	b.len = sizeof(RISK_MAGIC);
	risk_each_state(o->risk, risk_blob_add, &b);
	if (b.len == o->risk_saved_len && o->risk_saved != NULL &&
	    memcmp(b.buf, o->risk_saved, b.len) == 0) {
		free(b.buf);
		return;
	}
	journal_state(o->j, RISK_KEY, b.buf, b.len);
	free(o->risk_saved);
	o->risk_saved = b.buf;
	o->risk_saved_len = b.len;
}

static void
risk_load(struct oms *o, struct store *s)
{
	size_t len = 0, at;
	unsigned char *buf;
	int bad = 0;

	if (store_state_load(s, RISK_KEY, NULL, 0, &len) != QD_OK || len == 0)
		return;
	if ((buf = malloc(len)) == NULL ||
	    store_state_load(s, RISK_KEY, buf, len, &len) != QD_OK) {
		free(buf);
		return;
	}
	if (len < sizeof(RISK_MAGIC) || memcmp(buf, RISK_MAGIC,
	    sizeof(RISK_MAGIC)) != 0)
		bad = 1;
	for (at = sizeof(RISK_MAGIC); !bad && at < len;) {
		struct risk_state st;
		char id[256];
		size_t idlen;
		int scope;

		if (at + 2 > len)
			break;
		scope = buf[at];
		idlen = buf[at + 1];
		if (scope > RISK_SCOPE_INSTANCE ||
		    at + 2 + idlen + sizeof(st) > len) {
			bad = 1;
			break;
		}
		memcpy(id, buf + at + 2, idlen);
		id[idlen] = 0;
		memcpy(&st, buf + at + 2 + idlen, sizeof(st));
		st.halt_rule[sizeof(st.halt_rule) - 1] = 0;
		st.halt_reason[sizeof(st.halt_reason) - 1] = 0;
		risk_restore(o->risk, (enum risk_scope)scope, id, &st);
		at += 2 + idlen + sizeof(st);
	}
	if (bad)
		log_warn("risk", "the stored risk state is of another layout: "
			"loss windows, peaks and halts start afresh");
	o->risk_saved = buf;
	o->risk_saved_len = len;
}

/* ---- periodic ------------------------------------------------------------------------- */

void
oms_tick(struct oms *o, int64_t now)
{
	size_t i;

	o->now = now;
	if (o->j != NULL)
		oms_durable(o, journal_durable(o->j), now);
	for (i = 0; i < o->n_accts; i++) {
		struct acct *a = o->accts[i];
		double eq;

		if (!a->deposited)
			continue;
		eq = dbl(ledger_equity(o->ledger, a->id, a->quote));
		risk_on_equity(o->risk, RISK_SCOPE_ACCOUNT, a->id, eq, now);
		if (a->instance[0])
			risk_on_equity(o->risk, RISK_SCOPE_INSTANCE,
				a->instance, eq, now);
	}
	run_actions(o);
	risk_save(o);
}

/* ---- emergency close ------------------------------------------------------------------ */

int
oms_emergency_close(struct oms *o, const struct oms_scope *s, double ratio,
	const char *why, int64_t now, struct oms_close_report *out)
{
	struct oms_close_report rep;
	size_t i;
	char reason[200];

	memset(&rep, 0, sizeof(rep));
	if (!(ratio > 0) || ratio > 1)
		return QD_ERR_INVALID;
	o->now = now;
	snprintf(reason, sizeof(reason), "emergency close (ratio %.4g)%s%s",
		ratio, why && why[0] ? ": " : "", why ? why : "");
	if (s == NULL || (s->account == NULL && s->instance == NULL))
		risk_halt(o->risk, RISK_SCOPE_GLOBAL, "", reason, now);
	else if (s->instance != NULL)
		risk_halt(o->risk, RISK_SCOPE_INSTANCE, s->instance, reason,
			now);
	else
		risk_halt(o->risk, RISK_SCOPE_ACCOUNT, s->account, reason, now);
	/* Everything: each live venue cancels every open order it has for
	 * these credentials, ours or placed by hand. */
	for (i = 0; (s == NULL || (s->account == NULL && s->instance == NULL))
	    && o->h.venue_cancel_all != NULL && i < o->n_accts; i++) {
		size_t k;

		if (o->accts[i]->paper != NULL)
			continue;
		for (k = 0; k < i; k++)
			if (o->accts[k]->paper == NULL &&
			    strcmp(o->accts[k]->venue, o->accts[i]->venue) == 0)
				break;
		if (k == i)
			o->h.venue_cancel_all(o->h.arg, o->accts[i]->venue);
	}
	/* Cancel first -- but not the closes an earlier call sent. */
	{
		struct ord **v;
		size_t n = collect_open(o, s, &v), k;

		for (k = 0; k < n; k++)
			if (!v[k]->emergency && cancel_ord(o, v[k], reason) ==
			    QD_OK)
				rep.orders_canceled++;
		free(v);
	}
	for (i = 0; i < o->n_accts; i++) {
		struct acct *a = o->accts[i];

		if (s != NULL && ((s->account && strcmp(a->id, s->account)) ||
		    (s->instance && strcmp(a->instance, s->instance))))
			continue;
		rep.accounts++;
		rep.positions_closed += close_positions(o, a, NULL, ratio,
			"emergency-close");
	}
	{
		/* In the risk log, and to the user. */
		struct risk_event ev;
		char line[300];

		snprintf(line, sizeof(line), "%s: %zu order(s) canceled, %zu "
			"close order(s) sent in %zu account(s)", reason,
			rep.orders_canceled, rep.positions_closed, rep.accounts);
		memset(&ev, 0, sizeof(ev));
		ev.ts = now;
		ev.scope = s == NULL || (s->account == NULL &&
			s->instance == NULL) ? RISK_SCOPE_GLOBAL :
			s->instance ? RISK_SCOPE_INSTANCE : RISK_SCOPE_ACCOUNT;
		ev.scope_id = ev.scope == RISK_SCOPE_GLOBAL ? "" :
			s->instance ? s->instance : s->account;
		ev.rule = "emergency_close";
		ev.actions = RISK_HALT | RISK_CANCEL | RISK_CLOSE | RISK_NOTIFY;
		ev.reason = line;
		on_risk_log(o, &ev);
		if (o->h.on_risk != NULL)
			o->h.on_risk(o->h.arg, &ev);
	}
	if (out != NULL)
		*out = rep;
	return QD_OK;
}

/* ---- what strategies see ---------------------------------------------------------------- */

int
oms_position(struct oms *o, const char *instance, qd_symbol sym,
	struct qd_position *out)
{
	struct acct *a = acct_of_instance(o, instance);
	struct ledger_position p;

	if (a == NULL)
		return QD_ERR_DENIED;
	out->symbol = sym;
	out->qty = out->avg_price = out->realized_pnl = 0;
	out->unrealized_pnl = 0;
	if (ledger_position(o->ledger, a->id, sym_name(sym), &p) != QD_OK)
		return QD_OK;
	out->qty = dbl(p.qty);
	out->avg_price = p.avg_price;
	out->realized_pnl = dbl(p.realized);
	out->unrealized_pnl = dbl(ledger_unrealized(o->ledger, a->id,
		sym_name(sym)));
	return QD_OK;
}

struct fees_sum {
	int64_t fees;
};

static int
add_fees(void *arg, const char *symbol, const struct ledger_position *p)
{
	(void)symbol;
	((struct fees_sum *)arg)->fees += p->fees;
	return 0;
}

int
oms_account_info(struct oms *o, const char *instance, struct qd_account *out)
{
	struct acct *a = acct_of_instance(o, instance);
	struct fees_sum f = { 0 };

	if (a == NULL)
		return QD_ERR_DENIED;
	if (!a->deposited) {
		/* Nothing traded yet: the initial balance is all there is. */
		out->cash = out->equity = a->initial;
		out->fees_paid = 0;
		return QD_OK;
	}
	ledger_each_position(o->ledger, a->id, add_fees, &f);
	out->cash = dbl(ledger_balance(o->ledger, a->id, a->quote));
	out->equity = dbl(ledger_equity(o->ledger, a->id, a->quote));
	out->fees_paid = dbl(f.fees);
	return QD_OK;
}

int
oms_order_get(struct oms *o, const char *instance, uint64_t id,
	struct qd_order_update *out)
{
	struct ord *r = map_get(&o->orders, id);

	if (r == NULL || (instance != NULL && strcmp(r->instance, instance)))
		return QD_ERR_NOTFOUND;
	to_update(r, out);
	return QD_OK;
}

int
oms_order_levels(struct oms *o, uint64_t id, struct oms_order_levels *out)
{
	const struct ord *r = map_get(&o->orders, id);
	struct paper_order po;
	int buy;
	double d;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return QD_ERR_NOTFOUND;
	buy = r->req.side == QD_SIDE_BUY;
	switch (r->req.type) {
	case QD_ORDER_STOP:
	case QD_ORDER_STOP_LIMIT:
	case QD_ORDER_TAKE_PROFIT:
	case QD_ORDER_TAKE_PROFIT_LIMIT:
		out->trigger = r->req.stop_price;
		break;
	case QD_ORDER_TRAILING_STOP:
		/* A paper order trails in its engine; a held one here. */
		if (r->a->paper != NULL && r->paper_id != 0) {
			if (paper_get_order(r->a->paper, r->paper_id,
			    &po) == QD_OK)
				out->trigger = po.trail_stop;
		} else if (r->best > 0) {
			d = r->req.trail > 0 ? r->req.trail :
			    r->best * r->req.trail_bps / 1e4;
			out->trigger = buy ? r->best + d : r->best - d;
		}
		break;
	default:
		break;
	}
	out->sl_price = r->req.sl_price;
	out->tp_price = r->req.tp_price;
	return QD_OK;
}

const char *
oms_type_name(int type)
{
	static const char *const n[] = { "?", "market", "limit", "stop",
		"stop_limit", "take_profit", "take_profit_limit",
		"trailing_stop" };

	return type >= 1 && type <= 7 ? n[type] : "?";
}

size_t
oms_open_orders(struct oms *o, const char *instance, uint64_t *ids,
	size_t cap)
{
	size_t i, n = 0;

	if (ids == NULL || cap == 0) {
		/* Only how many: counted as they open and end. */
		const struct acct *a = instance ? acct_of_instance(o,
			instance) : NULL;

		return instance == NULL ? (size_t)o->n_open : a ?
			(size_t)a->n_open : 0;
	}
	for (i = 0; i < o->n_accts; i++) {
		const struct ord *r;

		if (instance != NULL && strcmp(o->accts[i]->instance,
		    instance) != 0)
			continue;
		for (r = o->accts[i]->open_head; r != NULL; r = r->onext) {
			if (instance != NULL && strcmp(r->instance, instance))
				continue;
			if (n < cap)
				ids[n] = r->id;
			n++;
		}
	}
	return n;
}

int
oms_size_order(struct oms *o, const char *instance, qd_symbol sym, int method,
	double value, double price, double stop_distance, double *qty)
{
	struct qd_account acc;
	double tick = 0, lot = 0, mn = 0, mq = 0, q = 0;
	struct acct *a = acct_of_instance(o, instance);

	if (a == NULL)
		return QD_ERR_DENIED;
	if (!(price > 0) || !isfinite(price) || !isfinite(value) ||
	    qty == NULL)
		return QD_ERR_INVALID;
	oms_account_info(o, instance, &acc);
	switch (method) {
	case QD_SIZE_FRACTION:
		q = qd_size_fraction(acc.equity, value, price);
		break;
	case QD_SIZE_RISK:
		q = qd_size_risk(acc.equity, value, stop_distance);
		break;
	case QD_SIZE_KELLY:
		q = qd_size_fraction(acc.equity, qd_kelly_fraction(value,
			stop_distance, o->cfg.kelly_cap), price);
		break;
	default:
		return QD_ERR_INVALID;
	}
	if (o->h.instrument != NULL && o->h.instrument(o->h.arg,
	    strcmp(a->venue, "paper") == 0 ? NULL : a->venue, a->instance, sym,
	    &tick, &lot, &mn, &mq) == QD_OK)
		q = round_step(q, lot, -1);
	*qty = q > 0 ? q : 0;
	return QD_OK;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
percentiles(const int64_t *ring, size_t count, size_t *n, int64_t *p50,
	int64_t *p99)
{
	int64_t *v;

	*n = count < LAT_N ? count : LAT_N;
	*p50 = *p99 = 0;
	if (*n == 0 || (v = malloc(*n * sizeof(*v))) == NULL)
		return;
	memcpy(v, ring, *n * sizeof(*v));
	qsort(v, *n, sizeof(*v), cmp_i64);
	*p50 = v[*n / 2];
	*p99 = v[*n * 99 / 100];
	free(v);
}

void
oms_stats(const struct oms *o, struct oms_stats *out)
{
	const struct ord *r;
	size_t i;

	*out = o->st;
	percentiles(o->lat, o->n_lat, &out->latency_n, &out->latency_p50,
		&out->latency_p99);
	percentiles(o->acc, o->n_acc, &out->accept_n, &out->accept_p50,
		&out->accept_p99);
	out->open_orders = oms_open_orders((struct oms *)o, NULL, NULL, 0);
	out->waiting_durable = o->n_waiting;
	for (i = 0; i < o->n_accts; i++)
		for (r = o->accts[i]->open_head; r != NULL; r = r->onext)
			if (r->state >= 0 && r->state < OMS_STATES)
				out->open_by_state[r->state]++;
}

/* ---- restart ------------------------------------------------------------------------------ */

/* A stored fill, kept while the ledger is replayed. */
struct fill_rec {
	char ref[160];              /* "<order id>:<trade id>" */
	char account[96], symbol[32], fee_asset[24];
	int side;
	char qty[48], price[48], fee[48];
	int64_t ts_ms;
};

struct restore {
	struct oms *o;
	int64_t now;
	int err;
	char *why;
	size_t cap;
	/* the fills, by ref */
	struct fill_rec *fills;
	size_t n_fills, cap_fills;
	struct map by_ref;          /* hash of ref -> index + 1 */
	/* postings of the transaction being read */
	struct ledger_leg legs[16];
	char strs[16][2][96];
	char kinds[16][16];
	size_t n_legs;
	int64_t txn, ts;
	char ref[160];
	/* what replaying a fill posted, to compare */
	struct ledger_leg got[16];
	char got_strs[16][2][96];
	size_t n_got;
};

static uint64_t
ref_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h ? h : 1;
}

static int
r_account(void *arg, const struct store_account *sa)
{
	struct restore *rs = arg;
	struct oms_account_cfg c;
	char why[200];

	if (acct_find(rs->o, sa->id) != NULL)
		return 0;
	/* Accounts of instances no longer configured stay, with their
	 * books (orders and positions remain visible). */
	memset(&c, 0, sizeof(c));
	c.id = sa->id;
	c.owner = sa->owner;
	c.instance = sa->instance;
	c.venue = sa->venue;
	c.margin = sa->margin;
	if (oms_account_open(rs->o, &c, rs->now, why, sizeof(why)) != QD_OK) {
		snprintf(rs->why, rs->cap, "account %s: %s", sa->id, why);
		rs->err = QD_ERR_INTERNAL;
		return 1;
	}
	return 0;
}

static int
r_fill(void *arg, const struct store_fill *f)
{
	struct restore *rs = arg;
	struct fill_rec *x;
	uint64_t h;

	if (rs->n_fills == rs->cap_fills) {
		size_t cap = rs->cap_fills ? rs->cap_fills * 2 : 1024;
		struct fill_rec *n = realloc(rs->fills, cap * sizeof(*n));

		if (n == NULL) {
			rs->err = QD_ERR_NOMEM;
			return 1;
		}
		rs->fills = n;
		rs->cap_fills = cap;
	}
	x = &rs->fills[rs->n_fills];
	memset(x, 0, sizeof(*x));
	snprintf(x->ref, sizeof(x->ref), "%llu:%s",
		(unsigned long long)f->order_id, f->trade_id);
	snprintf(x->account, sizeof(x->account), "%s", f->account);
	snprintf(x->symbol, sizeof(x->symbol), "%s", f->symbol);
	snprintf(x->fee_asset, sizeof(x->fee_asset), "%s", f->fee_asset ?
		f->fee_asset : "");
	x->side = f->side;
	snprintf(x->qty, sizeof(x->qty), "%s", f->qty);
	snprintf(x->price, sizeof(x->price), "%s", f->price);
	snprintf(x->fee, sizeof(x->fee), "%s", f->fee);
	x->ts_ms = f->ts_ms;
	h = ref_hash(x->ref);
	while (map_get(&rs->by_ref, h) != NULL)
		h = h * 31 + 7 ? h * 31 + 7 : 1;   /* a collision: next slot */
	rs->n_fills++;
	if (map_put(&rs->by_ref, h, (void *)(uintptr_t)rs->n_fills) != QD_OK) {
		rs->err = QD_ERR_NOMEM;
		return 1;
	}
	{
		struct ord *r = map_get(&rs->o->orders, f->order_id);

		if (r != NULL)
			remember_trade(r, f->trade_id);
	}
	return 0;
}

static const struct fill_rec *
fill_of(struct restore *rs, const char *ref)
{
	uint64_t h = ref_hash(ref);
	void *v;

	while ((v = map_get(&rs->by_ref, h)) != NULL) {
		const struct fill_rec *x = &rs->fills[(uintptr_t)v - 1];

		if (strcmp(x->ref, ref) == 0)
			return x;
		h = h * 31 + 7 ? h * 31 + 7 : 1;
	}
	return NULL;
}

static void
capture(void *arg, const struct ledger_posting *p, size_t n)
{
	struct restore *rs = arg;
	size_t i;

	for (i = 0; i < n && rs->n_got < 16; i++, rs->n_got++) {
		snprintf(rs->got_strs[rs->n_got][0], 96, "%s", p[i].account);
		snprintf(rs->got_strs[rs->n_got][1], 96, "%s", p[i].asset);
		rs->got[rs->n_got].account = rs->got_strs[rs->n_got][0];
		rs->got[rs->n_got].asset = rs->got_strs[rs->n_got][1];
		rs->got[rs->n_got].amount = p[i].amount;
	}
}

/* Replay one stored fill through the ledger: the positions come back,
 * and what it posts must be what was stored. */
static int
replay_fill(struct restore *rs, const struct fill_rec *f)
{
	struct ledger *l = rs->o->ledger;
	struct ledger_fill lf;
	char why[200], base[24];
	const char *venue = NULL;
	int64_t txn, qty, fee;
	size_t i;

	for (i = 0; i < rs->n_legs; i++)
		if (strncmp(rs->legs[i].account, "venue:", 6) == 0)
			venue = rs->legs[i].account + 6;
	base_of(f->symbol, base, sizeof(base));
	if (venue == NULL || fixed_parse(f->qty, ledger_decimals(l, base),
	    &qty) != QD_OK || fixed_parse(f->fee, ledger_decimals(l,
	    f->fee_asset), &fee) != QD_OK) {
		snprintf(rs->why, rs->cap, "fill %s does not match its ledger "
			"transaction %lld", f->ref, (long long)rs->txn);
		return QD_ERR_INTERNAL;
	}
	memset(&lf, 0, sizeof(lf));
	lf.account = f->account;
	lf.venue = venue;
	lf.symbol = f->symbol;
	lf.side = f->side;
	lf.qty = qty;
	lf.price = strtod(f->price, NULL);
	lf.fee = fee;
	lf.fee_asset = f->fee_asset[0] ? f->fee_asset : NULL;
	lf.ref = f->ref;
	lf.ts_ms = f->ts_ms;
	rs->n_got = 0;
	if (ledger_fill(l, &lf, &txn, why, sizeof(why)) != QD_OK) {
		snprintf(rs->why, rs->cap, "fill %s cannot be booked again: %s",
			f->ref, why);
		return QD_ERR_INTERNAL;
	}
	if (rs->n_got != rs->n_legs)
		goto differ;
	for (i = 0; i < rs->n_legs; i++)
		if (strcmp(rs->got[i].account, rs->legs[i].account) ||
		    strcmp(rs->got[i].asset, rs->legs[i].asset) ||
		    rs->got[i].amount != rs->legs[i].amount)
			goto differ;
	return QD_OK;
differ:
	snprintf(rs->why, rs->cap, "fill %s books differently from its "
		"stored ledger transaction %lld", f->ref, (long long)rs->txn);
	return QD_ERR_INTERNAL;
}

static int
flush_txn(struct restore *rs)
{
	char why[200];
	int64_t txn;
	size_t i;
	int rc, fill = 0;

	if (rs->n_legs == 0)
		return QD_OK;
	for (i = 0; i < rs->n_legs; i++)
		fill |= strcmp(rs->kinds[i], "trade") == 0;
	if (fill) {
		const struct fill_rec *f = fill_of(rs, rs->ref);

		if (f == NULL) {
			snprintf(rs->why, rs->cap, "ledger transaction %lld "
				"books fill %s, which is not stored",
				(long long)rs->txn, rs->ref);
			rc = QD_ERR_INTERNAL;
		} else {
			rc = replay_fill(rs, f);
		}
	} else {
		rc = ledger_post(rs->o->ledger, rs->ts, rs->kinds[0], rs->ref,
			rs->legs, rs->n_legs, &txn, why, sizeof(why));
		if (rc != QD_OK)
			snprintf(rs->why, rs->cap, "the stored ledger does not "
				"balance at transaction %lld: %s",
				(long long)rs->txn, why);
	}
	rs->n_legs = 0;
	if (rc != QD_OK)
		rs->err = QD_ERR_INTERNAL;
	return rc;
}

static int
r_posting(void *arg, const struct store_posting *p)
{
	struct restore *rs = arg;
	int64_t amt;
	int dec;

	if (p->txn != rs->txn && flush_txn(rs) != QD_OK)
		return 1;
	if (rs->n_legs == 16) {
		snprintf(rs->why, rs->cap, "ledger transaction %lld has too "
			"many legs", (long long)p->txn);
		rs->err = QD_ERR_INTERNAL;
		return 1;
	}
	rs->txn = p->txn;
	rs->ts = p->ts_ms;
	snprintf(rs->ref, sizeof(rs->ref), "%s", p->ref ? p->ref : "");
	dec = ledger_decimals(rs->o->ledger, p->asset);
	if (fixed_parse(p->amount, dec, &amt) != QD_OK) {
		snprintf(rs->why, rs->cap, "ledger posting %lld: amount '%s' "
			"is not a decimal of %d places", (long long)p->txn,
			p->amount, dec);
		rs->err = QD_ERR_INTERNAL;
		return 1;
	}
	if (strcmp(p->kind, "deposit") == 0 && p->amount[0] != '-') {
		/* A paper account's initial balance: its quote asset. */
		struct acct *a = acct_find(rs->o, p->account);

		if (a != NULL && !a->deposited) {
			a->deposited = 1;
			snprintf(a->quote, sizeof(a->quote), "%s", p->asset);
		}
	}
	if (strncmp(p->account, "venue:", 6) == 0 ||
	    strncmp(p->account, "fees:", 5) == 0 ||
	    strncmp(p->account, "external:", 9) == 0)
		ledger_open_account(rs->o->ledger, p->account,
			LEDGER_EXTERNAL);
	snprintf(rs->strs[rs->n_legs][0], 96, "%s", p->account);
	snprintf(rs->strs[rs->n_legs][1], 96, "%s", p->asset);
	snprintf(rs->kinds[rs->n_legs], 16, "%s", p->kind);
	rs->legs[rs->n_legs].account = rs->strs[rs->n_legs][0];
	rs->legs[rs->n_legs].asset = rs->strs[rs->n_legs][1];
	rs->legs[rs->n_legs].amount = amt;
	rs->n_legs++;
	return 0;
}

static int
r_order(void *arg, const struct store_order *so)
{
	struct restore *rs = arg;
	struct oms *o = rs->o;
	struct acct *a = acct_find(o, so->account);
	struct ord *r;
	int64_t v;

	if (so->id >= o->next_id)
		o->next_id = so->id + 1;
	if (a == NULL || !is_open(so->state))
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		rs->err = QD_ERR_NOMEM;
		return 1;
	}
	r->id = so->id;
	snprintf(r->client_id, sizeof(r->client_id), "%s", so->client_id);
	r->a = a;
	snprintf(r->instance, sizeof(r->instance), "%s", so->instance);
	r->sym = symbol_intern(so->symbol);
	r->req.size = sizeof(r->req);
	r->req.symbol = r->sym;
	r->req.side = so->side;
	r->req.type = so->type;
	r->req.tif = so->tif;
	r->req.flags = so->flags;
	r->req.price = so->price ? strtod(so->price, NULL) : 0;
	r->req.stop_price = so->stop_price ? strtod(so->stop_price, NULL) : 0;
	if (so->trail != NULL) {
		if (strstr(so->trail, "bps"))
			r->req.trail_bps = strtod(so->trail, NULL);
		else
			r->req.trail = strtod(so->trail, NULL);
	}
	snprintf(r->tag, sizeof(r->tag), "%s", so->tag ? so->tag : "");
	r->req.tag = r->tag[0] ? r->tag : NULL;
	r->state = so->state;
	r->qty = fixed_parse(so->qty, DEC, &v) == QD_OK ? v : 0;
	r->req.qty = dbl(r->qty);
	r->filled = so->filled && fixed_parse(so->filled, DEC, &v) == QD_OK ?
		v : 0;
	r->fees = so->fees && fixed_parse(so->fees, DEC, &v) == QD_OK ? v : 0;
	r->notional = so->avg_price ? (long double)r->filled *
		strtod(so->avg_price, NULL) : 0;
	r->parent_id = so->parent_id;
	r->link_id = so->link_id;
	r->req.oco_with = 0;
	snprintf(r->venue_order_id, sizeof(r->venue_order_id), "%s",
		so->venue_order_id ? so->venue_order_id : "");
	r->held = strcmp(r->venue_order_id, HELD_MARK) == 0;
	a->n_held += r->held;
	r->created = so->created_ms * 1000000;
	r->updated = so->updated_ms * 1000000;
	r->emergency = r->tag[0] && strcmp(r->tag, "emergency-close") == 0;
	if (map_put(&o->orders, r->id, r) != QD_OK) {
		free(r);
		rs->err = QD_ERR_NOMEM;
		return 1;
	}
	open_link(o, r);
	return 0;
}

int
oms_restore(struct oms *o, struct store *s, int64_t now, char *why,
	size_t cap)
{
	struct restore rs;
	struct store_order_filter f;
	uint64_t max_id = 0;
	int64_t max_txn = 0;
	char buf[200];
	int rc;

	memset(&rs, 0, sizeof(rs));
	rs.o = o;
	rs.now = now;
	rs.why = why;
	rs.cap = cap;
	o->now = now;
	if ((rc = store_trading_ids(s, &max_id, &max_txn)) != QD_OK ||
	    (rc = store_accounts(s, r_account, &rs)) != QD_OK)
		goto store_failed;
	if (rs.err != QD_OK)
		return rs.err;
	if (max_id >= o->next_id)
		o->next_id = max_id + 1;
	memset(&f, 0, sizeof(f));
	f.open_only = 1;
	if ((rc = store_orders(s, &f, r_order, &rs)) != QD_OK)
		goto store_failed;
	if ((rc = store_fills(s, NULL, 0, r_fill, &rs)) != QD_OK)
		goto store_failed;
	risk_load(o, s);
	if (rs.err != QD_OK)
		goto out;
	/* The books, replayed in transaction order: fills through the
	 * ledger (positions come back, and must post what was stored),
	 * the rest as stored.  Nothing is journalled again. */
	ledger_set_sink(o->ledger, capture, &rs);
	rc = store_postings(s, NULL, r_posting, &rs);
	if (rc == QD_OK && rs.err == QD_OK)
		flush_txn(&rs);
	ledger_set_sink(o->ledger, on_postings, o);
	if (rc != QD_OK)
		goto store_failed;
	if (rs.err != QD_OK)
		goto out;
	if (ledger_reconcile(o->ledger, buf, sizeof(buf)) != QD_OK) {
		snprintf(why, cap, "the stored ledger does not reconcile: %s",
			buf);
		rs.err = QD_ERR_INTERNAL;
	}
	goto out;
store_failed:
	snprintf(why, cap, "%s", store_error(s));
	rs.err = rc;
out:
	free(rs.fills);
	free(rs.by_ref.keys);
	free(rs.by_ref.vals);
	return rs.err;
}

static int
seed_position(void *arg, const char *symbol, const struct ledger_position *p)
{
	paper_set_position(arg, symbol_intern(symbol), p->qty, p->avg_price);
	return 0;
}

/*
 * After oms_restore() and the configuration's accounts: open orders go
 * back to their venues.  A paper venue lost its book with the process:
 * what remains of each order is placed again (its fills are in the
 * ledger).  A live venue kept its own: orders it may have are queried
 * (their updates reconcile them); CREATED ones were durable before they
 * could have been sent, so they are sent now under the same client id,
 * which a venue refuses to take twice.
 */
void
oms_start(struct oms *o, int64_t now)
{
	struct ord **v;
	size_t n, i;

	o->now = now;
	/* A paper venue's positions, for its reduce-only orders. */
	for (i = 0; i < o->n_accts; i++)
		if (o->accts[i]->paper != NULL)
			ledger_each_position(o->ledger, o->accts[i]->id,
				seed_position, o->accts[i]->paper);
	n = collect_open(o, NULL, &v);
	for (i = 0; i < n; i++) {
		struct ord *r = v[i];
		struct acct *a = r->a;

		if (r->state == QD_ORDER_CREATED || a->paper != NULL) {
			int64_t reserve = 0;
			char why[200];

			if (r->req.side == QD_SIDE_BUY && a->paper != NULL &&
			    check_funds(o, a, &r->req, &reserve, why,
			    sizeof(why)) == QD_OK) {
				r->reserve = reserve;
				a->reserved_quote += reserve;
			}
			if (r->state != QD_ORDER_CREATED) {
				/* Back into the paper book as it was. */
				struct qd_order_req q = r->req;
				uint64_t pid = 0;

				q.qty = dbl(r->qty - r->filled);
				if (paper_submit(a->paper, &q, 0, &pid) ==
				    QD_OK) {
					r->paper_id = pid;
					r->sent = 1;
					map_put(&o->by_paper, ((uint64_t)
						acct_index(o, a) + 1) << 40 |
						pid, r);
				} else {
					transition(o, r, QD_ORDER_CANCELED,
						"could not be restored", NULL);
				}
				continue;
			}
			r->wal_seq = 0;
			send_order(o, r);
		} else if (r->held) {
			r->sent = 1;     /* still the host's: watched */
		} else if (o->h.venue_query != NULL) {
			o->h.venue_query(o->h.arg, a->venue, r->id,
				r->client_id);
		}
	}
	free(v);
	/* Each live venue once: balances, open orders, fills missed. */
	for (i = 0; o->h.venue_sync != NULL && i < o->n_accts; i++) {
		size_t k;

		if (o->accts[i]->paper != NULL)
			continue;
		for (k = 0; k < i; k++)
			if (o->accts[k]->paper == NULL &&
			    strcmp(o->accts[k]->venue, o->accts[i]->venue) == 0)
				break;
		if (k == i)
			o->h.venue_sync(o->h.arg, o->accts[i]->venue);
	}
}

/* ---- the venue's balances -------------------------------------------------- */

/* Bring the ledger's `asset` balance of live account `a` to `target`
 * units: one "adjust" transaction against external:deposits. */
static void
adjust_balance(struct oms *o, struct acct *a, const char *asset,
	int64_t target)
{
	struct ledger_leg legs[2];
	int64_t cur, txn;
	char why[160];

	if (ledger_decimals(o->ledger, asset) < 0)
		ledger_set_asset(o->ledger, asset, DEC);
	cur = ledger_balance(o->ledger, a->id, asset);
	if (cur == target)
		return;
	ledger_open_account(o->ledger, "external:deposits", LEDGER_EXTERNAL);
	legs[0].account = a->id;
	legs[0].asset = asset;
	legs[0].amount = target - cur;
	legs[1].account = "external:deposits";
	legs[1].asset = asset;
	legs[1].amount = cur - target;
	if (ledger_post(o->ledger, o->now / 1000000, "adjust",
	    "venue balance", legs, 2, &txn, why, sizeof(why)) != QD_OK) {
		log_warn("oms", "account %s: %s balance not brought to the "
			"venue's: %s", a->id, asset, why);
		return;
	}
	log_info("oms", "account %s: %s balance %.8f -> %.8f (the venue's)",
		a->id, asset, dbl(cur), dbl(target));
}

struct zero_rest {
	struct oms *o;
	struct acct *a;
	char assets[64][16];
	int n;
};

static int
collect_unseen(void *arg, const char *asset, int64_t amount, int decimals)
{
	struct zero_rest *z = arg;
	int i;

	(void)decimals;
	if (amount == 0 || z->n == 64)
		return 0;
	for (i = 0; i < z->a->n_seen; i++)
		if (strcmp(z->a->seen[i], asset) == 0)
			return 0;
	snprintf(z->assets[z->n++], sizeof(z->assets[0]), "%s", asset);
	return 0;
}

void
oms_on_venue_balance(struct oms *o, const char *venue,
	const struct qd_balance *b, int64_t now)
{
	struct acct *a = NULL;
	size_t i, n = 0;

	o->now = now;
	if (venue == NULL || b == NULL || b->asset == NULL)
		return;
	for (i = 0; i < o->n_accts; i++)
		if (o->accts[i]->paper == NULL &&
		    strcmp(o->accts[i]->venue, venue) == 0) {
			a = o->accts[i];
			n++;
		}
	if (n != 1) {
		/* One set of credentials, several accounts: each keeps the
		 * allocation its configuration gives it. */
		if (n > 1 && !o->warned_shared++)
			log_info("oms", "venue %s serves %zu accounts: their "
				"balances stay as configured", venue, n);
		return;
	}
	if (a->n_seen < 32)
		snprintf(a->seen[a->n_seen++], sizeof(a->seen[0]), "%s",
			b->asset);
	/* While orders are working a fill may be on its way that the
	 * venue's figure already includes: the books follow the fills. */
	if (a->n_open == 0) {
		a->initial = 0;      /* the venue's figures, not the config's */
		a->venue_books = 1;
		adjust_balance(o, a, b->asset, units(b->total));
		if (b->last) {
			struct zero_rest z;
			int k;

			memset(&z, 0, sizeof(z));
			z.o = o;
			z.a = a;
			ledger_each_balance(o->ledger, a->id, collect_unseen,
				&z);
			for (k = 0; k < z.n; k++)
				adjust_balance(o, a, z.assets[k], 0);
		}
	}
	if (b->last)
		a->n_seen = 0;
}

void
oms_each_account(struct oms *o,
	int (*fn)(void *arg, const struct oms_account_view *v), void *arg)
{
	size_t i;

	for (i = 0; i < o->n_accts; i++) {
		struct acct *a = o->accts[i];
		struct oms_account_view v;
		struct fees_sum f = { 0 };

		memset(&v, 0, sizeof(v));
		v.id = a->id;
		v.owner = a->owner;
		v.instance = a->instance;
		v.venue = a->venue;
		v.quote = a->quote;
		if (a->deposited) {
			ledger_each_position(o->ledger, a->id, add_fees, &f);
			v.cash = dbl(ledger_balance(o->ledger, a->id,
				a->quote));
			v.equity = dbl(ledger_equity(o->ledger, a->id,
				a->quote));
		} else {
			v.cash = v.equity = a->initial;
		}
		v.fees = dbl(f.fees);
		v.reserved = dbl(a->reserved_quote);
		v.open_orders = oms_open_orders_of(o, a);
		if (fn(arg, &v) != 0)
			return;
	}
}
