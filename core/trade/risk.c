/*
 * risk.c -- the risk engine (see risk.h for the rules and their scopes).
 *
 * Where risk.h leaves a choice open, this file decides:
 *
 *  - Limits compare strictly: an amount refuses or trips when it exceeds
 *    its limit (equal passes); counts trip when they reach theirs (an
 *    order is refused when open orders already number max_open_orders or
 *    max_orders passed within the last order_window_s seconds; the
 *    max_consecutive_losses-th loss halts).  The trailing stop fires at
 *    mark <= best x (1 - pct/100) for a long, mark >= best x (1 + pct/100)
 *    for a short.
 *  - Pre-trade, each scope checks, in order: halted, (global only) the
 *    circuit breaker, max_order_notional, max_position_notional,
 *    max_exposure, max_open_orders, price_band_pct, max_orders.  A
 *    reduce-only order skips halted, circuit breaker and the three
 *    notional/exposure rules; open orders, price band and rate still
 *    apply.  An order counts for the rate of every scope once it passes
 *    all of them.  A scope with neither limits nor a halt is skipped.
 *  - The circuit breaker is per symbol and market-wide, so it takes its
 *    settings (circuit_move_pct, circuit_window_s, circuit_halt_s) from
 *    the global scope only; those fields are ignored in account and
 *    instance limits.  The move is (max - min) / reference over the
 *    prices of the last circuit_window_s seconds, inclusive, where the
 *    reference is whichever extreme came first (a fall from 100 to 95 is
 *    5 %, a rise from 95 to 100 is 5.26 %).  Prices during a symbol's
 *    halt are ignored and its window starts afresh when the halt ends.
 *    Events of the breaker are of the global scope with `symbol` set.
 *  - Per-position rules apply the limits of the scope the position is
 *    reported for, and only in a scope with limits.  The trail's best
 *    price starts at the entry price.  Positions and trails are not part
 *    of risk_state (a restart starts them from the next mark).
 *  - A window's key in risk_state is: day, the local day number since
 *    1970-01-01; week, the local day number of its Monday; month, year x
 *    12 + month - 1.  A start equity of 0 means the window is not started.
 *    first_equity and peak_equity of 0 mean not seen yet.
 *  - A scope holds one halt: a longer one replaces a shorter, and one
 *    until resume is never replaced (its rule and reason are kept).
 *  - risk_resume() lifts any halt of the scope (a loss window's too) and
 *    starts afresh the rules that had fired and last until resume: account
 *    stop/take measure from the next equity seen, drawdown from the next
 *    peak, consecutive losses count from zero.  A loss window that fired
 *    does not fire again until it ends.  After risk_restore() the rule
 *    named in halt_rule counts as fired.
 *  - A halt's end is reported once, by the first call touching the scope
 *    (or, for the breaker, any symbol) at or after it; the event's ts is
 *    the halt's end.  risk_halted() honours the end exactly either way.
 *  - act receives breaches (events with actions to carry out); log receives
 *    them too and every refusal, manual halt ("manual_halt") and resume.
 *    Callbacks may call risk_halted() and risk_get_limits() only.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trade/risk.h"

#define NS 1000000000LL
#define CIRCUIT_HALT_DEFAULT_S 60
#define RISK_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Breaches that fired and must not fire again (struct scope.fired). */
enum {
	FIRED_DAY = 1u << 0,      /* FIRED_DAY << w for window w */
	FIRED_WEEK = 1u << 1,
	FIRED_MONTH = 1u << 2,
	FIRED_ACCOUNT = 1u << 3,  /* account stop loss / take profit */
	FIRED_DRAWDOWN = 1u << 4,
	FIRED_LOSSES = 1u << 5,
};
#define FIRED_UNTIL_RESUME (FIRED_ACCOUNT | FIRED_DRAWDOWN | FIRED_LOSSES)

#define BREACH_EQUITY (RISK_HALT | RISK_CANCEL | RISK_CLOSE | RISK_NOTIFY)

/* An open-addressing table of (kind, name) -> value; names are owned by
 * the values.  Entries are never removed. */
struct slot {
	uint64_t h;
	int kind;
	const char *name;
	void *val;
};

struct map {
	struct slot *s;
	size_t cap, n;           /* cap: 0 or a power of two */
};

/* A position of a scope: the episode's trail and whether it fired. */
struct pos {
	char *symbol;
	double qty;              /* 0: flat, no episode */
	double best;             /* best mark since the episode opened */
	int fired;
};

struct scope {
	enum risk_scope kind;
	char *id;
	char *label;             /* "global", "account a1", "instance x" */
	int has_limits, has_state;
	struct risk_limits lim;
	struct risk_state st;
	unsigned fired;
	int64_t *rate;           /* times of the last passes, a ring */
	int rate_cap, rate_head, rate_n;
	struct map pos;          /* symbol -> struct pos */
};

/* A price seen by the breaker. */
struct pt {
	int64_t ts;
	double p;
};

struct deque {
	struct pt *v;
	size_t cap, head, n;     /* cap: 0 or a power of two */
};

struct sym {
	char *name;
	struct deque hi;         /* window maxima: prices strictly falling */
	struct deque lo;         /* window minima: prices strictly rising */
	int halted;
	int64_t halt_until;
	char reason[200];
};

struct risk {
	void (*act)(void *arg, const struct risk_event *e);
	void (*log)(void *arg, const struct risk_event *e);
	void *arg;
	struct map scopes;       /* (kind, id) -> struct scope */
	struct map syms;         /* (0, symbol) -> struct sym */
	/* the last found of each (entries live until risk_free) */
	struct scope *last[RISK_N_SCOPES];
	struct sym *last_sym;
	size_t n_sym_halted;
	int64_t next_sym_expiry; /* earliest halt_until of a halted symbol */
	char reason[256];        /* the event being reported */
	char out_reason[256];    /* the last refusal, valid until next call */
	char out_symbol[64];
};

static const char *const kind_name[RISK_N_SCOPES] = {
	"global", "account", "instance",
};

/* Copy src into dst of n bytes, truncating, always terminated. */
static void
copy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static RISK_PRINTF(3, 4) const char *
say(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return buf;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * The proleptic Gregorian calendar on day numbers (0 = 1970-01-01):
 * counted in 400-year eras of 146097 days, each year starting on March 1
 * so that the leap day is the era-year's last.
 */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;                             /* from 0000-03-01 */
	era = floor_div(z, 146097);
	doe = z - era * 146097;                  /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;                /* March = 0 */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * The calendar window `w` (0 day, 1 week, 2 month) holding `now` in the
 * time zone `off_min` minutes east of UTC: its key (see the top) and its
 * end in ns since the epoch.
 */
static void
window_of(int w, int64_t now, int off_min, int64_t *key, int64_t *end)
{
	int64_t off = (int64_t)off_min * 60;
	int64_t days = floor_div(floor_div(now, NS) + off, 86400), y, last;
	int m, d;

	if (w == 0) {
		*key = days;
		last = days + 1;
	} else if (w == 1) {
		*key = days - (days + 3 - floor_div(days + 3, 7) * 7);
		last = *key + 7;                 /* 1970-01-01 was a Thursday */
	} else {
		civil_from_days(days, &y, &m, &d);
		*key = y * 12 + m - 1;
		last = m == 12 ? days_from_civil(y + 1, 1, 1) :
			days_from_civil(y, m + 1, 1);
	}
	*end = (last * 86400 - off) * NS;
}

/* "2024-03-01 00:00 UTC+08:00": the local time of ns `t`. */
static const char *
local_time(char *buf, size_t n, int64_t t, int off_min)
{
	int64_t s = floor_div(t, NS) + (int64_t)off_min * 60, y;
	int64_t days = floor_div(s, 86400), sod = s - days * 86400;
	int m, d, a = abs(off_min);

	civil_from_days(days, &y, &m, &d);
	return say(buf, n, "%04lld-%02d-%02d %02d:%02d UTC%c%02d:%02d",
		(long long)y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
		off_min < 0 ? '-' : '+', a / 60, a % 60);
}

static uint64_t
hash(int kind, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)(kind + 1);

	h *= 0x100000001b3ull;                   /* FNV-1a */
	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ull;
	}
	return h;
}

static void *
map_get(const struct map *m, int kind, const char *name)
{
	uint64_t h;
	size_t i;

	if (m->cap == 0)
		return NULL;
	h = hash(kind, name);
	for (i = h & (m->cap - 1); m->s[i].name != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (m->s[i].h == h && m->s[i].kind == kind &&
		    strcmp(m->s[i].name, name) == 0)
			return m->s[i].val;
	return NULL;
}

/* Add an entry known to be absent; QD_ERR_NOMEM leaves the map as it was. */
static int
map_put(struct map *m, int kind, const char *name, void *val)
{
	uint64_t h = hash(kind, name);
	size_t i, j;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct slot *ns = calloc(cap, sizeof(*ns));

		if (ns == NULL)
			return QD_ERR_NOMEM;
		for (j = 0; j < m->cap; j++) {
			if (m->s[j].name == NULL)
				continue;
			for (i = m->s[j].h & (cap - 1); ns[i].name != NULL;
			    i = (i + 1) & (cap - 1))
				;
			ns[i] = m->s[j];
		}
		free(m->s);
		m->s = ns;
		m->cap = cap;
	}
	for (i = h & (m->cap - 1); m->s[i].name != NULL;
	    i = (i + 1) & (m->cap - 1))
		;
	m->s[i].h = h;
	m->s[i].kind = kind;
	m->s[i].name = name;
	m->s[i].val = val;
	m->n++;
	return QD_OK;
}

static struct pt *
dq_at(const struct deque *d, size_t i)
{
	return &d->v[(d->head + i) & (d->cap - 1)];
}

static int
dq_push(struct deque *d, int64_t ts, double p)
{
	struct pt *x;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16, i;
		struct pt *v = malloc(cap * sizeof(*v));

		if (v == NULL)
			return QD_ERR_NOMEM;
		for (i = 0; i < d->n; i++)
			v[i] = *dq_at(d, i);
		free(d->v);
		d->v = v;
		d->cap = cap;
		d->head = 0;
	}
	x = dq_at(d, d->n++);
	x->ts = ts;
	x->p = p;
	return QD_OK;
}

/* Drop the points older than `cut`. */
static void
dq_trim(struct deque *d, int64_t cut)
{
	while (d->n > 0 && dq_at(d, 0)->ts < cut) {
		d->head = (d->head + 1) & (d->cap - 1);
		d->n--;
	}
}

static void
emit(struct risk *r, int breach, int64_t ts, enum risk_scope kind,
	const char *id, const char *rule, const char *symbol, unsigned actions,
	const char *reason, uint64_t order_id)
{
	struct risk_event e;

	e.ts = ts;
	e.scope = kind;
	e.scope_id = id;
	e.rule = rule;
	e.symbol = symbol;
	e.actions = actions;
	e.reason = reason;
	e.order_id = order_id;
	if (r->log != NULL)
		r->log(r->arg, &e);
	if (breach && r->act != NULL)
		r->act(r->arg, &e);
}

struct risk *
risk_new(void (*act)(void *arg, const struct risk_event *e),
	void (*log)(void *arg, const struct risk_event *e), void *arg)
{
	struct risk *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->act = act;
	r->log = log;
	r->arg = arg;
	return r;
}

static void
scope_free(struct scope *s)
{
	size_t i;

	for (i = 0; i < s->pos.cap; i++) {
		struct pos *p = s->pos.s[i].val;

		if (s->pos.s[i].name == NULL)
			continue;
		free(p->symbol);
		free(p);
	}
	free(s->pos.s);
	free(s->rate);
	free(s->label);
	free(s->id);
	free(s);
}

void
risk_free(struct risk *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->scopes.cap; i++)
		if (r->scopes.s[i].name != NULL)
			scope_free(r->scopes.s[i].val);
	for (i = 0; i < r->syms.cap; i++) {
		struct sym *y = r->syms.s[i].val;

		if (r->syms.s[i].name == NULL)
			continue;
		free(y->hi.v);
		free(y->lo.v);
		free(y->name);
		free(y);
	}
	free(r->scopes.s);
	free(r->syms.s);
	free(r);
}

/* Whether (kind, id) names a scope; global's id is always "". */
static int
scope_valid(enum risk_scope kind, const char *id)
{
	if (kind == RISK_SCOPE_GLOBAL)
		return 1;
	return (kind == RISK_SCOPE_ACCOUNT || kind == RISK_SCOPE_INSTANCE) &&
		id != NULL && id[0] != '\0';
}

static struct scope *
scope_find(const struct risk *r, enum risk_scope kind, const char *id)
{
	if (!scope_valid(kind, id))
		return NULL;
	return map_get(&r->scopes, (int)kind,
		kind == RISK_SCOPE_GLOBAL ? "" : id);
}

/* scope_find for the hot paths: the scope found last of this kind is
 * checked first. */
static struct scope *
scope_find_fast(struct risk *r, enum risk_scope kind, const char *id)
{
	struct scope *s = r->last[kind];

	if (s != NULL && (kind == RISK_SCOPE_GLOBAL ||
	    (id != NULL && strcmp(s->id, id) == 0)))
		return s;
	s = scope_find(r, kind, id);
	if (s != NULL)
		r->last[kind] = s;
	return s;
}

/* The scope, created empty when new; NULL when invalid or out of memory. */
static struct scope *
scope_get(struct risk *r, enum risk_scope kind, const char *id)
{
	struct scope *s = scope_find(r, kind, id);
	size_t n;

	if (s != NULL || !scope_valid(kind, id))
		return s;
	if (kind == RISK_SCOPE_GLOBAL)
		id = "";
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->kind = kind;
	s->id = strdup(id);
	n = strlen(kind_name[kind]) + strlen(id) + 2;
	s->label = malloc(n);
	if (s->id == NULL || s->label == NULL)
		goto fail;
	if (id[0] != '\0')
		say(s->label, n, "%s %s", kind_name[kind], id);
	else
		copy(s->label, n, kind_name[kind]);
	if (map_put(&r->scopes, (int)kind, s->id, s) != QD_OK)
		goto fail;
	return s;
fail:
	free(s->label);
	free(s->id);
	free(s);
	return NULL;
}

/*
 * Put the scope on halt until `until` (ns, 0: until resumed), unless a halt
 * at least as long is on already.
 */
static void
scope_halt(struct scope *s, const char *rule, const char *reason,
	int64_t until)
{
	struct risk_state *st = &s->st;

	if (st->halted && (st->halt_until == 0 ||
	    (until != 0 && until <= st->halt_until)))
		return;
	st->halted = 1;
	st->halt_until = until;
	copy(st->halt_rule, sizeof(st->halt_rule), rule);
	copy(st->halt_reason, sizeof(st->halt_reason), reason);
	s->has_state = 1;
}

static void
scope_unhalt(struct scope *s)
{
	s->st.halted = 0;
	s->st.halt_until = 0;
	s->st.halt_rule[0] = '\0';
	s->st.halt_reason[0] = '\0';
}

/* Lift a halt whose time is over, reporting its end (ts: the end). */
static void
scope_expire(struct risk *r, struct scope *s, int64_t now)
{
	struct risk_state *st = &s->st;
	char rule[sizeof(st->halt_rule)], at[40];
	int64_t until = st->halt_until;

	if (!st->halted || until == 0 || now < until)
		return;
	copy(rule, sizeof(rule), st->halt_rule);
	say(r->reason, sizeof(r->reason), "halt by %s ended at %s (%s)",
		rule, local_time(at, sizeof(at), until, s->lim.utc_offset_min),
		s->label);
	scope_unhalt(s);
	emit(r, 0, until, s->kind, s->id, rule, NULL, RISK_RESUME, r->reason,
		0);
}

/* The scope with state, created when new, its expired halt ended. */
static struct scope *
scope_touch(struct risk *r, enum risk_scope kind, const char *id,
	int64_t now)
{
	struct scope *s = scope_get(r, kind, id);

	if (s == NULL)
		return NULL;
	scope_expire(r, s, now);
	s->has_state = 1;
	return s;
}

/* Lift the breaker's halts that are over, reporting each. */
static void
sym_expire(struct risk *r, int64_t now)
{
	int64_t next = INT64_MAX;
	size_t i;

	if (r->n_sym_halted == 0 || now < r->next_sym_expiry)
		return;
	for (i = 0; i < r->syms.cap; i++) {
		struct sym *y = r->syms.s[i].val;

		if (r->syms.s[i].name == NULL || !y->halted)
			continue;
		if (now < y->halt_until) {
			if (y->halt_until < next)
				next = y->halt_until;
			continue;
		}
		y->halted = 0;
		r->n_sym_halted--;
		say(r->reason, sizeof(r->reason),
			"%s circuit breaker halt ended", y->name);
		emit(r, 0, y->halt_until, RISK_SCOPE_GLOBAL, "",
			"circuit_breaker", y->name, RISK_RESUME, r->reason, 0);
	}
	r->next_sym_expiry = next;
}

static int
limits_valid(const struct risk_limits *l)
{
	const double d[] = {
		l->max_order_notional, l->max_position_notional,
		l->max_exposure, l->price_band_pct, l->stop_loss_pct,
		l->take_profit_pct, l->stop_loss_abs, l->take_profit_abs,
		l->trailing_stop_pct, l->account_stop_loss_pct,
		l->account_take_profit_pct, l->account_stop_loss_abs,
		l->account_take_profit_abs, l->daily_loss, l->weekly_loss,
		l->monthly_loss, l->daily_loss_pct, l->weekly_loss_pct,
		l->monthly_loss_pct, l->max_drawdown_pct, l->circuit_move_pct,
	};
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (!isfinite(d[i]) || d[i] < 0)
			return 0;
	return l->max_open_orders >= 0 && l->max_orders >= 0 &&
		l->order_window_s >= 0 && l->max_consecutive_losses >= 0 &&
		l->circuit_window_s >= 0 && l->circuit_halt_s >= 0 &&
		l->utc_offset_min >= -24 * 60 && l->utc_offset_min <= 24 * 60;
}

/* Size the rate ring to the limits, keeping the latest passes. */
static int
rate_resize(struct scope *s, const struct risk_limits *l)
{
	int cap = l->max_orders > 0 && l->order_window_s > 0 ?
		l->max_orders : 0;
	int n = s->rate_n < cap ? s->rate_n : cap, i;
	int64_t *v = NULL;

	if (cap == s->rate_cap)
		return QD_OK;
	if (cap > 0) {
		v = malloc((size_t)cap * sizeof(*v));
		if (v == NULL)
			return QD_ERR_NOMEM;
	}
	/* the latest n, oldest first: they end just before rate_head */
	for (i = 0; i < n; i++)
		v[i] = s->rate[(s->rate_head - n + i + s->rate_cap) %
			s->rate_cap];
	free(s->rate);
	s->rate = v;
	s->rate_cap = cap;
	s->rate_n = n;
	s->rate_head = cap > 0 ? n % cap : 0;
	return QD_OK;
}

int
risk_set_limits(struct risk *r, enum risk_scope scope, const char *id,
	const struct risk_limits *l)
{
	struct scope *s;
	int rc;

	if (r == NULL || l == NULL || !scope_valid(scope, id) ||
	    !limits_valid(l))
		return QD_ERR_INVALID;
	s = scope_get(r, scope, id);
	if (s == NULL)
		return QD_ERR_NOMEM;
	rc = rate_resize(s, l);
	if (rc != QD_OK)
		return rc;
	s->lim = *l;
	s->has_limits = 1;
	return QD_OK;
}

int
risk_get_limits(const struct risk *r, enum risk_scope scope, const char *id,
	struct risk_limits *out)
{
	const struct scope *s = r != NULL ? scope_find(r, scope, id) : NULL;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (s == NULL || !s->has_limits)
		return QD_ERR_NOTFOUND;
	if (out != NULL)
		*out = s->lim;
	return QD_OK;
}

/* "halted" when scope `s` refuses entries now, with the reason in
 * r->out_reason; NULL otherwise. */
static const char *
check_halt(struct risk *r, struct scope *s, const struct risk_order *o)
{
	scope_expire(r, s, o->now);
	if (!s->st.halted || o->reduce_only)
		return NULL;
	say(r->out_reason, sizeof(r->out_reason), "%s halted by %s: %s",
		s->label, s->st.halt_rule, s->st.halt_reason);
	return "halted";
}

/*
 * The limit of scope `s` that refuses order `o`, with the reason in
 * r->out_reason; NULL when the scope's limits let it pass.
 */
static const char *
check_limits(struct risk *r, struct scope *s, const struct risk_order *o,
	const struct risk_exposure *ex, double last)
{
	const struct risk_limits *l;
	char *why = r->out_reason;
	size_t n = sizeof(r->out_reason);
	double after, v;

	if (!s->has_limits)
		return NULL;
	l = &s->lim;
	after = ex->position_qty + (o->side == QD_SIDE_BUY ? o->qty : -o->qty);
	if (!o->reduce_only) {
		v = o->qty * o->price;
		if (l->max_order_notional > 0 && v > l->max_order_notional) {
			say(why, n, "order notional %.2f exceeds "
				"max_order_notional %.2f (%s)", v,
				l->max_order_notional, s->label);
			return "max_order_notional";
		}
		v = fabs(after) * o->price;
		if (l->max_position_notional > 0 &&
		    v > l->max_position_notional) {
			say(why, n, "position notional after the order %.2f "
				"exceeds max_position_notional %.2f (%s)", v,
				l->max_position_notional, s->label);
			return "max_position_notional";
		}
		v = ex->gross_exposure - fabs(ex->position_qty) * o->price +
			fabs(after) * o->price;
		if (l->max_exposure > 0 && v > l->max_exposure) {
			say(why, n, "exposure after the order %.2f exceeds "
				"max_exposure %.2f (%s)", v, l->max_exposure,
				s->label);
			return "max_exposure";
		}
	}
	if (l->max_open_orders > 0 && ex->open_orders >= l->max_open_orders) {
		say(why, n, "%d open orders already, max_open_orders %d (%s)",
			ex->open_orders, l->max_open_orders, s->label);
		return "max_open_orders";
	}
	if (l->price_band_pct > 0 && last > 0) {
		v = fabs(o->price - last) / last * 100;
		if (v > l->price_band_pct) {
			say(why, n, "price %g is %.2f%% from the last %g, "
				"beyond price_band_pct %.2f (%s)", o->price, v,
				last, l->price_band_pct, s->label);
			return "price_band_pct";
		}
	}
	if (s->rate_cap > 0 && s->rate_n == s->rate_cap &&
	    s->rate[s->rate_head] > o->now - (int64_t)l->order_window_s * NS) {
		say(why, n, "%d orders within the last %d s, max_orders %d "
			"(%s)", s->rate_n, l->order_window_s, l->max_orders,
			s->label);
		return "max_orders";
	}
	return NULL;
}

/* The breaker's refusal of `o`, or NULL. */
static const char *
check_circuit(struct risk *r, const struct risk_order *o)
{
	const struct sym *y;

	if (r->n_sym_halted == 0 || o->reduce_only)
		return NULL;
	y = map_get(&r->syms, 0, o->symbol);
	if (y == NULL || !y->halted || o->now >= y->halt_until)
		return NULL;
	say(r->out_reason, sizeof(r->out_reason), "%s halted by the circuit "
		"breaker for %lld s more: %s", o->symbol,
		(long long)((y->halt_until - o->now + NS - 1) / NS), y->reason);
	return "circuit_breaker";
}

/*
 * Each scope of the order in turn (global, account, instance), each
 * through its rules in the order at the top; the first refusal is copied
 * to *out (strings in the engine until its next call) and logged.  A pass
 * is counted in the rate ring of every scope.  QD_ERR_INVALID, with
 * nothing logged, for an order without symbol, side, qty or price.
 */
int
risk_pre_trade(struct risk *r, const struct risk_order *o,
	const struct risk_exposure ex[RISK_N_SCOPES], double last,
	uint64_t order_id, struct risk_event *out)
{
	static const struct risk_exposure none;
	struct scope *s[RISK_N_SCOPES];
	const char *rule = NULL;
	int k;

	if (r == NULL || o == NULL || o->symbol == NULL ||
	    (o->side != QD_SIDE_BUY && o->side != QD_SIDE_SELL) ||
	    !(o->qty > 0) || !isfinite(o->qty) || !(o->price > 0) ||
	    !isfinite(o->price))
		return QD_ERR_INVALID;
	sym_expire(r, o->now);
	s[RISK_SCOPE_GLOBAL] = scope_find_fast(r, RISK_SCOPE_GLOBAL, "");
	s[RISK_SCOPE_ACCOUNT] = scope_find_fast(r, RISK_SCOPE_ACCOUNT,
		o->account);
	s[RISK_SCOPE_INSTANCE] = scope_find_fast(r, RISK_SCOPE_INSTANCE,
		o->instance);
	for (k = 0; k < RISK_N_SCOPES; k++) {
		const struct risk_exposure *e = ex != NULL ? &ex[k] : &none;

		if (s[k] != NULL)
			rule = check_halt(r, s[k], o);
		if (rule == NULL && k == RISK_SCOPE_GLOBAL)
			rule = check_circuit(r, o);
		if (rule == NULL && s[k] != NULL)
			rule = check_limits(r, s[k], o, e, last);
		if (rule != NULL)
			break;
	}
	if (rule != NULL) {
		struct risk_event e;

		copy(r->out_symbol, sizeof(r->out_symbol), o->symbol);
		e.ts = o->now;
		e.scope = (enum risk_scope)k;
		e.scope_id = s[k] != NULL ? s[k]->id : "";
		e.rule = rule;
		e.symbol = r->out_symbol;
		e.actions = RISK_REFUSE;
		e.reason = r->out_reason;
		e.order_id = order_id;
		if (out != NULL)
			*out = e;
		if (r->log != NULL)
			r->log(r->arg, &e);
		return QD_ERR_DENIED;
	}
	for (k = 0; k < RISK_N_SCOPES; k++) {
		struct scope *c = s[k];

		if (c == NULL || c->rate_cap == 0)
			continue;
		c->rate[c->rate_head] = o->now;
		c->rate_head = (c->rate_head + 1) % c->rate_cap;
		if (c->rate_n < c->rate_cap)
			c->rate_n++;
	}
	return QD_OK;
}

static struct sym *
sym_get(struct risk *r, const char *symbol)
{
	struct sym *y = r->last_sym;

	if (y != NULL && strcmp(y->name, symbol) == 0)
		return y;
	y = map_get(&r->syms, 0, symbol);
	if (y == NULL) {
		y = calloc(1, sizeof(*y));
		if (y == NULL)
			return NULL;
		y->name = strdup(symbol);
		if (y->name == NULL ||
		    map_put(&r->syms, 0, y->name, y) != QD_OK) {
			free(y->name);
			free(y);
			return NULL;
		}
	}
	r->last_sym = y;
	return y;
}

/*
 * Two monotonic deques per symbol hold the window's candidate maxima and
 * minima (each price enters and leaves each once: amortised O(1)); their
 * fronts are the window's extremes.  A trip halts the symbol, clears its
 * window and is reported to act and log.
 */
void
risk_on_price(struct risk *r, const char *symbol, double price, int64_t now)
{
	const struct scope *g;
	const struct risk_limits *l;
	const struct pt *mx, *mn, *first, *second;
	struct sym *y;
	int64_t ts = now;
	double move;
	int halt_s;

	if (r == NULL || symbol == NULL || !(price > 0) || !isfinite(price))
		return;
	sym_expire(r, now);
	g = scope_find_fast(r, RISK_SCOPE_GLOBAL, "");
	if (g == NULL || !g->has_limits || !(g->lim.circuit_move_pct > 0) ||
	    g->lim.circuit_window_s <= 0)
		return;
	l = &g->lim;
	y = sym_get(r, symbol);
	if (y == NULL || y->halted)
		return;
	/* Times only move forward in the window; a late print joins at the
	 * latest time seen (the last point is in both deques). */
	if (y->hi.n > 0 && dq_at(&y->hi, y->hi.n - 1)->ts > ts)
		ts = dq_at(&y->hi, y->hi.n - 1)->ts;
	dq_trim(&y->hi, ts - (int64_t)l->circuit_window_s * NS);
	dq_trim(&y->lo, ts - (int64_t)l->circuit_window_s * NS);
	while (y->hi.n > 0 && dq_at(&y->hi, y->hi.n - 1)->p <= price)
		y->hi.n--;
	while (y->lo.n > 0 && dq_at(&y->lo, y->lo.n - 1)->p >= price)
		y->lo.n--;
	if (dq_push(&y->hi, ts, price) != QD_OK ||
	    dq_push(&y->lo, ts, price) != QD_OK) {
		y->hi.n = y->lo.n = 0;     /* out of memory: start afresh */
		return;
	}
	mx = dq_at(&y->hi, 0);
	mn = dq_at(&y->lo, 0);
	first = mx->ts <= mn->ts ? mx : mn;
	second = first == mx ? mn : mx;
	if (!((mx->p - mn->p) * 100 > l->circuit_move_pct * first->p))
		return;
	move = (mx->p - mn->p) / first->p * 100;
	halt_s = l->circuit_halt_s > 0 ? l->circuit_halt_s :
		CIRCUIT_HALT_DEFAULT_S;
	say(y->reason, sizeof(y->reason), "%s moved %.2f%% (%g -> %g) within "
		"%d s, beyond circuit_move_pct %.2f; entries halted for %d s",
		symbol, move, first->p, second->p, l->circuit_window_s,
		l->circuit_move_pct, halt_s);
	y->halted = 1;
	y->halt_until = ts + (int64_t)halt_s * NS;
	y->hi.n = y->lo.n = 0;
	if (r->n_sym_halted++ == 0 || y->halt_until < r->next_sym_expiry)
		r->next_sym_expiry = y->halt_until;
	emit(r, 1, now, RISK_SCOPE_GLOBAL, "", "circuit_breaker", y->name,
		RISK_HALT | RISK_CANCEL | RISK_NOTIFY, y->reason, 0);
}

static struct pos *
pos_get(struct scope *s, const char *symbol)
{
	struct pos *p = map_get(&s->pos, 0, symbol);

	if (p != NULL)
		return p;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->symbol = strdup(symbol);
	if (p->symbol == NULL || map_put(&s->pos, 0, p->symbol, p) != QD_OK) {
		free(p->symbol);
		free(p);
		return NULL;
	}
	return p;
}

/* The nearer of two levels to an entry in direction dir (0: none). */
static double
nearer(double a, double b, double dir)
{
	if (!(a > 0))
		return b > 0 ? b : 0;
	if (!(b > 0))
		return a;
	return (a - b) * dir > 0 ? a : b;
}

int
risk_position_levels(const struct risk *r, enum risk_scope scope,
	const char *id, const char *symbol, double qty, double avg_entry,
	double *sl, double *tp)
{
	const struct scope *s;
	const struct risk_limits *l;
	const struct pos *p;
	double dir, best, q;

	*sl = *tp = 0;
	if (r == NULL || symbol == NULL || qty == 0 || !isfinite(qty) ||
	    !(avg_entry > 0) || !isfinite(avg_entry) ||
	    (s = scope_find(r, scope, id)) == NULL || !s->has_limits)
		return QD_ERR_NOTFOUND;
	l = &s->lim;
	dir = qty > 0 ? 1 : -1;
	q = fabs(qty);
	/* A stop below a long's entry (above a short's): the highest
	 * (lowest) is hit first; a take profit the other way round. */
	if (l->stop_loss_pct > 0)
		*sl = avg_entry * (1 - dir * l->stop_loss_pct / 100);
	if (l->stop_loss_abs > 0)
		*sl = nearer(*sl, avg_entry - dir * l->stop_loss_abs / q, dir);
	if (l->trailing_stop_pct > 0) {
		p = map_get(&s->pos, 0, symbol);
		best = p != NULL && p->qty != 0 && p->best > 0 ? p->best :
		    avg_entry;
		*sl = nearer(*sl, best * (1 - dir * l->trailing_stop_pct /
		    100), dir);
	}
	if (l->take_profit_pct > 0)
		*tp = avg_entry * (1 + dir * l->take_profit_pct / 100);
	if (l->take_profit_abs > 0)
		*tp = nearer(*tp, avg_entry + dir * l->take_profit_abs / q,
		    -dir);
	if (*sl < 0)
		*sl = 0;
	return *sl > 0 || *tp > 0 ? QD_OK : QD_ERR_NOTFOUND;
}

/*
 * A new episode starts when the position was flat or changes sign; it
 * fires at most once, on the first rule breached (stop loss before take
 * profit before trailing stop).
 */
void
risk_on_position(struct risk *r, enum risk_scope scope, const char *id,
	const char *symbol, double qty, double avg_entry, double mark,
	int64_t now)
{
	struct scope *s;
	const struct risk_limits *l;
	struct pos *p;
	const char *rule = NULL, *side;
	double dir, pnl_pct, upnl;
	char *why;
	size_t n;

	if (r == NULL || symbol == NULL || !isfinite(qty) ||
	    !isfinite(avg_entry) || !isfinite(mark))
		return;
	s = scope_find(r, scope, id);
	if (s == NULL || !s->has_limits)
		return;
	scope_expire(r, s, now);
	p = pos_get(s, symbol);
	if (p == NULL)
		return;
	if (qty == 0) {
		p->qty = 0;
		p->fired = 0;
		return;
	}
	if (p->qty == 0 || (p->qty > 0) != (qty > 0)) {
		p->fired = 0;                  /* a new episode */
		p->best = avg_entry > 0 ? avg_entry : mark;
	}
	p->qty = qty;
	dir = qty > 0 ? 1 : -1;
	if ((mark - p->best) * dir > 0)
		p->best = mark;
	if (p->fired || !(avg_entry > 0) || !(mark > 0))
		return;
	l = &s->lim;
	side = qty > 0 ? "long" : "short";
	pnl_pct = (mark - avg_entry) / avg_entry * 100 * dir;
	upnl = qty * (mark - avg_entry);
	why = r->reason;
	n = sizeof(r->reason);
	if (l->stop_loss_pct > 0 && -pnl_pct > l->stop_loss_pct) {
		rule = "stop_loss_pct";
		say(why, n, "%s %s %g from %g at %g: loss %.2f%% exceeds "
			"stop_loss_pct %.2f (%s)", symbol, side, fabs(qty),
			avg_entry, mark, -pnl_pct, l->stop_loss_pct, s->label);
	} else if (l->stop_loss_abs > 0 && -upnl > l->stop_loss_abs) {
		rule = "stop_loss_abs";
		say(why, n, "%s %s %g from %g at %g: unrealized loss %.2f "
			"exceeds stop_loss_abs %.2f (%s)", symbol, side,
			fabs(qty), avg_entry, mark, -upnl, l->stop_loss_abs,
			s->label);
	} else if (l->take_profit_pct > 0 && pnl_pct > l->take_profit_pct) {
		rule = "take_profit_pct";
		say(why, n, "%s %s %g from %g at %g: gain %.2f%% exceeds "
			"take_profit_pct %.2f (%s)", symbol, side, fabs(qty),
			avg_entry, mark, pnl_pct, l->take_profit_pct, s->label);
	} else if (l->take_profit_abs > 0 && upnl > l->take_profit_abs) {
		rule = "take_profit_abs";
		say(why, n, "%s %s %g from %g at %g: unrealized gain %.2f "
			"exceeds take_profit_abs %.2f (%s)", symbol, side,
			fabs(qty), avg_entry, mark, upnl, l->take_profit_abs,
			s->label);
	} else if (l->trailing_stop_pct > 0 &&
	    (qty > 0 ? mark <= p->best * (1 - l->trailing_stop_pct / 100) :
	    mark >= p->best * (1 + l->trailing_stop_pct / 100))) {
		rule = "trailing_stop_pct";
		say(why, n, "%s %s %g: mark %g is %.2f%% %s the best %g since "
			"entry, trailing_stop_pct %.2f (%s)", symbol, side,
			fabs(qty), mark, fabs(mark - p->best) / p->best * 100,
			qty > 0 ? "below" : "above", p->best,
			l->trailing_stop_pct, s->label);
	}
	if (rule == NULL)
		return;
	p->fired = 1;
	emit(r, 1, now, s->kind, s->id, rule, p->symbol,
		RISK_CLOSE | RISK_NOTIFY, r->reason, 0);
}

/* Report breach `rule` of scope `s`, halting it until `until` (0: resume). */
static void
breach(struct risk *r, struct scope *s, const char *rule, unsigned actions,
	int64_t until, int64_t now)
{
	scope_halt(s, rule, r->reason, until);
	emit(r, 1, now, s->kind, s->id, rule, NULL, actions, r->reason, 0);
}

/* Roll the calendar windows to `now` and check their loss limits. */
static void
check_windows(struct risk *r, struct scope *s, double equity, int64_t now)
{
	static const char *const what[3] = { "daily", "weekly", "monthly" };
	static const char *const rule_abs[3] = {
		"daily_loss", "weekly_loss", "monthly_loss",
	};
	static const char *const rule_pct[3] = {
		"daily_loss_pct", "weekly_loss_pct", "monthly_loss_pct",
	};
	struct risk_state *st = &s->st;
	const struct risk_limits *l = &s->lim;
	double *start[3] = { &st->day_start, &st->week_start,
		&st->month_start };
	int64_t *key[3] = { &st->day_key, &st->week_key, &st->month_key };
	const double lim_abs[3] = { l->daily_loss, l->weekly_loss,
		l->monthly_loss };
	const double lim_pct[3] = { l->daily_loss_pct, l->weekly_loss_pct,
		l->monthly_loss_pct };
	char until[40], amount[40], limit[40];
	int64_t k, end;
	double loss;
	int w;

	for (w = 0; w < 3; w++) {
		unsigned bit = FIRED_DAY << w;
		const char *rule = NULL;

		window_of(w, now, l->utc_offset_min, &k, &end);
		if (*start[w] == 0 || *key[w] != k) {
			*start[w] = equity;
			*key[w] = k;
			s->fired &= ~bit;
		}
		if (!s->has_limits || (s->fired & bit))
			continue;
		loss = *start[w] - equity;
		if (lim_abs[w] > 0 && loss > lim_abs[w]) {
			rule = rule_abs[w];
			say(amount, sizeof(amount), "%.2f", loss);
			say(limit, sizeof(limit), "%.2f", lim_abs[w]);
		} else if (lim_pct[w] > 0 && *start[w] > 0 &&
		    loss / *start[w] * 100 > lim_pct[w]) {
			rule = rule_pct[w];
			say(amount, sizeof(amount), "%.2f%%",
				loss / *start[w] * 100);
			say(limit, sizeof(limit), "%.2f", lim_pct[w]);
		}
		if (rule == NULL)
			continue;
		say(r->reason, sizeof(r->reason), "%s loss %s (%.2f -> %.2f) "
			"exceeds %s %s; halted until %s (%s)", what[w], amount,
			*start[w], equity, rule, limit, local_time(until,
			sizeof(until), end, l->utc_offset_min), s->label);
		s->fired |= bit;
		breach(r, s, rule, BREACH_EQUITY, end, now);
	}
}

/*
 * Creates the scope's state when new (so its windows and peak exist before
 * any limit is set).  Ends an expired halt first, then checks account
 * stop/take, drawdown and the loss windows; each breach fires once.
 */
void
risk_on_equity(struct risk *r, enum risk_scope scope, const char *id,
	double equity, int64_t now)
{
	struct scope *s;
	struct risk_state *st;
	const struct risk_limits *l;
	const char *rule = NULL;
	double first, change;

	if (r == NULL || !isfinite(equity) ||
	    (s = scope_touch(r, scope, id, now)) == NULL)
		return;
	st = &s->st;
	l = &s->lim;
	if (st->first_equity == 0)
		st->first_equity = equity;
	if (st->peak_equity == 0 || equity > st->peak_equity)
		st->peak_equity = equity;
	first = st->first_equity;
	change = equity - first;
	if (s->has_limits && !(s->fired & FIRED_ACCOUNT) && first > 0) {
		if (l->account_stop_loss_pct > 0 &&
		    -change / first * 100 > l->account_stop_loss_pct) {
			rule = "account_stop_loss_pct";
			say(r->reason, sizeof(r->reason), "equity %.2f is "
				"%.2f%% below its first %.2f, beyond %s %.2f "
				"(%s)",
				equity, -change / first * 100, first, rule,
				l->account_stop_loss_pct, s->label);
		} else if (l->account_stop_loss_abs > 0 &&
		    -change > l->account_stop_loss_abs) {
			rule = "account_stop_loss_abs";
			say(r->reason, sizeof(r->reason), "equity %.2f is %.2f "
				"below its first %.2f, beyond %s %.2f (%s)",
				equity, -change, first, rule,
				l->account_stop_loss_abs, s->label);
		} else if (l->account_take_profit_pct > 0 &&
		    change / first * 100 > l->account_take_profit_pct) {
			rule = "account_take_profit_pct";
			say(r->reason, sizeof(r->reason), "equity %.2f is "
				"%.2f%% above its first %.2f, beyond %s %.2f "
				"(%s)",
				equity, change / first * 100, first, rule,
				l->account_take_profit_pct, s->label);
		} else if (l->account_take_profit_abs > 0 &&
		    change > l->account_take_profit_abs) {
			rule = "account_take_profit_abs";
			say(r->reason, sizeof(r->reason), "equity %.2f is %.2f "
				"above its first %.2f, beyond %s %.2f (%s)",
				equity, change, first, rule,
				l->account_take_profit_abs, s->label);
		}
		if (rule != NULL) {
			s->fired |= FIRED_ACCOUNT;
			breach(r, s, rule, BREACH_EQUITY, 0, now);
		}
	}
	if (s->has_limits && !(s->fired & FIRED_DRAWDOWN) &&
	    l->max_drawdown_pct > 0 && st->peak_equity > 0 &&
	    (st->peak_equity - equity) / st->peak_equity * 100 >
	    l->max_drawdown_pct) {
		say(r->reason, sizeof(r->reason), "drawdown %.2f%% from the "
			"peak %.2f to %.2f exceeds max_drawdown_pct %.2f (%s)",
			(st->peak_equity - equity) / st->peak_equity * 100,
			st->peak_equity, equity, l->max_drawdown_pct, s->label);
		s->fired |= FIRED_DRAWDOWN;
		breach(r, s, "max_drawdown_pct", BREACH_EQUITY, 0, now);
	}
	check_windows(r, s, equity, now);
}

void
risk_on_closed_trade(struct risk *r, enum risk_scope scope, const char *id,
	double pnl, int64_t now)
{
	struct scope *s;
	struct risk_state *st;
	int max;

	if (r == NULL || !isfinite(pnl) ||
	    (s = scope_touch(r, scope, id, now)) == NULL)
		return;
	st = &s->st;
	if (pnl < 0)
		st->consecutive_losses++;
	else if (pnl > 0)
		st->consecutive_losses = 0;
	max = s->has_limits ? s->lim.max_consecutive_losses : 0;
	if (max <= 0 || st->consecutive_losses < max ||
	    (s->fired & FIRED_LOSSES))
		return;
	say(r->reason, sizeof(r->reason), "%d consecutive losing trades, "
		"max_consecutive_losses %d (last %.2f) (%s)",
		st->consecutive_losses, max, pnl, s->label);
	s->fired |= FIRED_LOSSES;
	breach(r, s, "max_consecutive_losses",
		RISK_HALT | RISK_CANCEL | RISK_NOTIFY, 0, now);
}

int
risk_halted(const struct risk *r, enum risk_scope scope, const char *id,
	const char *symbol, int64_t now, const char **reason)
{
	const struct scope *s;
	const struct sym *y;

	if (reason != NULL)
		*reason = NULL;
	if (r == NULL)
		return 0;
	s = scope_find(r, scope, id);
	if (s != NULL && s->st.halted &&
	    (s->st.halt_until == 0 || now < s->st.halt_until)) {
		if (reason != NULL)
			*reason = s->st.halt_reason;
		return 1;
	}
	y = symbol != NULL && r->n_sym_halted > 0 ?
		map_get(&r->syms, 0, symbol) : NULL;
	if (y != NULL && y->halted && now < y->halt_until) {
		if (reason != NULL)
			*reason = y->reason;
		return 1;
	}
	return 0;
}

void
risk_halt(struct risk *r, enum risk_scope scope, const char *id,
	const char *reason, int64_t now)
{
	struct scope *s;

	if (r == NULL || (s = scope_touch(r, scope, id, now)) == NULL)
		return;
	say(r->reason, sizeof(r->reason), "%s (%s)",
		reason != NULL && reason[0] != '\0' ? reason : "halted by hand",
		s->label);
	scope_halt(s, "manual_halt", r->reason, 0);
	emit(r, 0, now, s->kind, s->id, "manual_halt", NULL, RISK_HALT,
		r->reason, 0);
}

int
risk_resume(struct risk *r, enum risk_scope scope, const char *id,
	int64_t now)
{
	struct scope *s;
	struct risk_state *st;
	char rule[sizeof(s->st.halt_rule)];

	if (r == NULL)
		return QD_ERR_INVALID;
	s = scope_find(r, scope, id);
	if (s == NULL)
		return QD_ERR_NOTFOUND;
	scope_expire(r, s, now);
	st = &s->st;
	if (!st->halted)
		return QD_ERR_NOTFOUND;
	copy(rule, sizeof(rule), st->halt_rule);
	say(r->reason, sizeof(r->reason), "halt by %s lifted by hand (%s)",
		rule, s->label);
	scope_unhalt(s);
	if (s->fired & FIRED_ACCOUNT)
		st->first_equity = 0;
	if (s->fired & FIRED_DRAWDOWN)
		st->peak_equity = 0;
	if (s->fired & FIRED_LOSSES)
		st->consecutive_losses = 0;
	s->fired &= ~(unsigned)FIRED_UNTIL_RESUME;
	emit(r, 0, now, s->kind, s->id, rule, NULL, RISK_RESUME, r->reason,
		0);
	return QD_OK;
}

void
risk_each_state(const struct risk *r,
	int (*fn)(void *arg, enum risk_scope scope, const char *id,
	const struct risk_state *s), void *arg)
{
	size_t i;

	if (r == NULL || fn == NULL)
		return;
	for (i = 0; i < r->scopes.cap; i++) {
		const struct scope *s = r->scopes.s[i].val;

		if (r->scopes.s[i].name == NULL || !s->has_state)
			continue;
		if (fn(arg, s->kind, s->id, &s->st) != 0)
			return;
	}
}

int
risk_restore(struct risk *r, enum risk_scope scope, const char *id,
	const struct risk_state *st)
{
	static const struct {
		const char *prefix;
		unsigned bit;
	} by_rule[] = {
		{ "daily_loss", FIRED_DAY },
		{ "weekly_loss", FIRED_WEEK },
		{ "monthly_loss", FIRED_MONTH },
		{ "account_", FIRED_ACCOUNT },
		{ "max_drawdown_pct", FIRED_DRAWDOWN },
		{ "max_consecutive_losses", FIRED_LOSSES },
	};
	struct scope *s;
	size_t i;

	if (r == NULL || st == NULL || !scope_valid(scope, id))
		return QD_ERR_INVALID;
	s = scope_get(r, scope, id);
	if (s == NULL)
		return QD_ERR_NOMEM;
	s->st = *st;
	s->st.halt_rule[sizeof(s->st.halt_rule) - 1] = '\0';
	s->st.halt_reason[sizeof(s->st.halt_reason) - 1] = '\0';
	if (!s->st.halted) {
		s->st.halt_until = 0;
		s->st.halt_rule[0] = s->st.halt_reason[0] = '\0';
	}
	s->has_state = 1;
	s->fired = 0;
	for (i = 0; s->st.halted && i < sizeof(by_rule) / sizeof(by_rule[0]);
	    i++)
		if (strncmp(s->st.halt_rule, by_rule[i].prefix,
		    strlen(by_rule[i].prefix)) == 0)
			s->fired |= by_rule[i].bit;
	return QD_OK;
}
