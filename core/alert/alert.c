/*
 * alert.c -- the alert engine: definitions, evaluation, the price index.
 *
 * Layout: every alert is one `struct alert` holding its condition tree
 * (`struct cond`, pre-order in one array).  Alerts are found by id in an
 * array sorted by id.  Per (exchange, symbol) a `struct book` holds the
 * last trade price, the standalone price-on-trade alerts in two arrays of
 * levels sorted by price (above, below), and every other alert of the
 * symbol in a plain list evaluated per trade or candle.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "json/json.h"
#include "log/log.h"
#include "market/symbol.h"
#include "notify/channel.h"
#include "plugin/indicator.h"

enum cond_kind {
	C_PRICE_ABOVE = 1,
	C_PRICE_BELOW,
	C_CHANGE,
	C_RSI_ABOVE,
	C_RSI_BELOW,
	C_GOLDEN,
	C_DEATH,
	C_BB_ABOVE,
	C_BB_BELOW,
	C_AND,
	C_OR,
};

static const char *const kind_names[] = {
	[C_PRICE_ABOVE] = "price_above", [C_PRICE_BELOW] = "price_below",
	[C_CHANGE] = "change", [C_RSI_ABOVE] = "rsi_above",
	[C_RSI_BELOW] = "rsi_below", [C_GOLDEN] = "golden_cross",
	[C_DEATH] = "death_cross", [C_BB_ABOVE] = "bollinger_above",
	[C_BB_BELOW] = "bollinger_below", [C_AND] = "and", [C_OR] = "or",
};

#define ST_UNKNOWN (-1)

/* One condition.  Composites name their children by index in the tree
 * array (children follow their parent, pre-order). */
struct cond {
	enum cond_kind kind;
	uint32_t tf_s;             /* 0: on trades */
	double level;              /* price, percent, RSI level */
	int64_t window_ns;         /* change */
	int period, fast, slow;    /* rsi, bbands period; the two MAs */
	double stddev;
	int ema;                   /* golden/death: EMAs, else SMAs */
	qd_indicator *ind[2];
	uint32_t out;              /* bbands: index of the band output */
	int state;                 /* 1, 0 or ST_UNKNOWN */
	double value;              /* last price / indicator value seen */
	double value2;             /* slow MA, band */
	double start;              /* change: the window's start price */
	int64_t start_ns;          /* change: the window's start, 0: none */
	int kids[ALERT_MAX_CHILDREN];
	int n_kids;
};

static cJSON *channels_json(const char *list);

struct alert {
	uint64_t id;
	char *user, *exchange, *symbol, *name, *spec;
	char *channels;            /* the owner's channels: "webhook,email",
	                            * "" none, NULL every one set */
	qd_symbol sym;
	struct cond *c;            /* c[0] is the root */
	int n_c;
	int every;                 /* fire mode: every (1) or once (0) */
	int64_t cooldown_ns;
	int64_t expires_ns;        /* 0: never */
	int enabled;
	int expired;
	int64_t fire_count;
	int64_t last_fired_ns;     /* 0: never */
	int64_t created_ns, updated_ns;
	int indexed;               /* in its book's level arrays */
	int on_trades;             /* has a leaf on trades */
	struct book *book;
};

struct level {
	double price;
	struct alert *a;
};

/* Levels ascending by (price, id) in v[0 .. sorted); those added since
 * wait unsorted after them until the next trade merges them in (one sort
 * of the new ones and one linear merge, however many were added). */
struct levels {
	struct level *v;
	size_t n, cap;
	size_t sorted;
};

struct book {
	char *exchange;
	qd_symbol sym;
	double last;
	int has_last;
	int64_t last_at;           /* restore: updated time of the row the
	                            * last price came from */
	struct levels above, below;
	struct alert **gen;        /* every other alert of the symbol */
	size_t n_gen, cap_gen;
	struct book *next;         /* same symbol, another exchange */
};

struct hist {
	uint64_t id;
	char user[64];
	char symbol[32];
	int64_t ts_ms;
	double price;
	char message[200];
};

struct alert_engine {
	struct alert_options o;
	struct alert **a;          /* ascending by id */
	size_t n, cap;
	uint64_t next_id;
	struct book **books;       /* by qd_symbol: a list per symbol */
	size_t n_books;
	struct hist *h;            /* ring of the latest fired events */
	size_t h_cap, h_n, h_head; /* h_head: where the next one goes */
	struct alert **fire_buf;   /* alerts fired by one trade */
	size_t fire_cap;
};

/* ---- errors ------------------------------------------------------------- */

static int
bad(char *err, size_t errlen, const char *path, const char *field,
	const char *what)
{
	snprintf(err, errlen, "%s%s%s: %s", path, *path && *field ? "." : "",
		field, what);
	return QD_ERR_INVALID;
}

/* ---- definitions -------------------------------------------------------- */

static const cJSON *
member(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* Number field: *out when present; `need` makes it mandatory. */
static int
num_field(const cJSON *o, const char *k, int need, double *out,
	const char *path, char *err, size_t errlen)
{
	const cJSON *v = member(o, k);

	if (v == NULL || cJSON_IsNull(v)) {
		if (need)
			return bad(err, errlen, path, k, "missing; expected a "
				"number");
		return QD_OK;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return bad(err, errlen, path, k, "expected a number");
	*out = v->valuedouble;
	return QD_OK;
}

/* Integer field in [lo, hi], default `def`. */
static int
int_field(const cJSON *o, const char *k, int def, int lo, int hi, int *out,
	const char *path, char *err, size_t errlen)
{
	double d = def;
	char what[96];
	int rc;

	if ((rc = num_field(o, k, 0, &d, path, err, errlen)) != QD_OK)
		return rc;
	if (d != floor(d) || d < lo || d > hi) {
		snprintf(what, sizeof(what), "expected a whole number from %d "
			"to %d", lo, hi);
		return bad(err, errlen, path, k, what);
	}
	*out = (int)d;
	return QD_OK;
}

/* "timeframe": absent or "trade" means trades (when `trades_ok`). */
static int
tf_field(const cJSON *o, int trades_ok, uint32_t *out, const char *path,
	char *err, size_t errlen)
{
	const cJSON *v = member(o, "timeframe");
	int64_t ms;

	*out = 0;
	if (v == NULL || cJSON_IsNull(v) || (cJSON_IsString(v) &&
	    strcmp(v->valuestring, "trade") == 0)) {
		if (trades_ok)
			return QD_OK;
		return bad(err, errlen, path, "timeframe", "missing; expected "
			"a candle timeframe such as \"1m\" or \"1h\"");
	}
	if (!cJSON_IsString(v) ||
	    (ms = store_timeframe_ms(v->valuestring)) <= 0)
		return bad(err, errlen, path, "timeframe", trades_ok ?
			"expected \"trade\" or a timeframe (1s 1m 3m 5m 15m "
			"30m 1h 2h 4h 6h 12h 1d 1w)" : "expected a timeframe "
			"(1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w)");
	*out = (uint32_t)(ms / 1000);
	return QD_OK;
}

static enum cond_kind
kind_parse(const char *s)
{
	size_t i;

	for (i = 1; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(s, kind_names[i]) == 0)
			return (enum cond_kind)i;
	return 0;
}

/* Create the indicator instance `name` with integer and double params. */
static qd_indicator *
make_ind(const struct alert_options *o, const char *name, int period,
	double stddev, const char *path, char *err, size_t errlen)
{
	char p[16], sd[32], why[256];
	struct qd_kv kv[2] = { { "period", p }, { "stddev", sd } };
	qd_indicator *ind;

	if (o->indicators == NULL) {
		bad(err, errlen, path, "type", "indicator conditions need "
			"the ta plugin, which is not loaded");
		return NULL;
	}
	snprintf(p, sizeof(p), "%d", period);
	json_fmt_double(sd, sizeof(sd), stddev);
	ind = indicator_new(o->indicators, name, kv, stddev > 0 ? 2 : 1, why,
		sizeof(why));
	if (ind == NULL)
		bad(err, errlen, path, "type", why);
	return ind;
}

/*
 * Parse condition `j` at `path` into a->c[] (appended, pre-order).  depth
 * counts from 1.  QD_OK or QD_ERR_INVALID/NOMEM with err.
 */
static int
cond_parse(const struct alert_options *o, struct alert *a, const cJSON *j,
	int depth, const char *path, char *err, size_t errlen)
{
	const cJSON *t, *of, *k;
	struct cond *c;
	int rc, me, i;
	double win = 0;
	char sub[160];

	if (!cJSON_IsObject(j))
		return bad(err, errlen, path, "", "expected an object");
	t = member(j, "type");
	if (!cJSON_IsString(t) || kind_parse(t->valuestring) == 0)
		return bad(err, errlen, path, "type", "expected one of "
			"price_above, price_below, change, rsi_above, "
			"rsi_below, golden_cross, death_cross, "
			"bollinger_above, bollinger_below, and, or");
	if (a->n_c >= 64)
		return bad(err, errlen, path, "", "too many conditions");
	c = realloc(a->c, (size_t)(a->n_c + 1) * sizeof(*c));
	if (c == NULL)
		return QD_ERR_NOMEM;
	a->c = c;
	me = a->n_c++;
	c = &a->c[me];
	memset(c, 0, sizeof(*c));
	c->kind = kind_parse(t->valuestring);
	c->state = ST_UNKNOWN;
	switch (c->kind) {
	case C_PRICE_ABOVE:
	case C_PRICE_BELOW:
		if ((rc = num_field(j, "price", 1, &c->level, path, err,
		    errlen)) != QD_OK)
			return rc;
		if (!(c->level > 0))
			return bad(err, errlen, path, "price", "expected a "
				"number above 0");
		return tf_field(j, 1, &c->tf_s, path, err, errlen);
	case C_CHANGE:
		if ((rc = num_field(j, "percent", 1, &c->level, path, err,
		    errlen)) != QD_OK ||
		    (rc = num_field(j, "window_s", 1, &win, path, err,
		    errlen)) != QD_OK)
			return rc;
		if (c->level == 0 || c->level <= -100 || c->level > 1e6)
			return bad(err, errlen, path, "percent", "expected a "
				"non-zero percent above -100 (+5 rises 5%, -5 "
				"falls 5%)");
		if (!(win >= 1) || win > 366 * 86400.0)
			return bad(err, errlen, path, "window_s", "expected "
				"seconds from 1 to 31622400");
		c->window_ns = (int64_t)(win * 1e9);
		return tf_field(j, 1, &c->tf_s, path, err, errlen);
	case C_RSI_ABOVE:
	case C_RSI_BELOW:
		if ((rc = num_field(j, "level", 1, &c->level, path, err,
		    errlen)) != QD_OK ||
		    (rc = int_field(j, "period", 14, 2, 1000, &c->period,
		    path, err, errlen)) != QD_OK ||
		    (rc = tf_field(j, 0, &c->tf_s, path, err, errlen)) !=
		    QD_OK)
			return rc;
		if (!(c->level > 0 && c->level < 100))
			return bad(err, errlen, path, "level", "expected a "
				"number between 0 and 100");
		if ((c->ind[0] = make_ind(o, "rsi", c->period, 0, path, err,
		    errlen)) == NULL)
			return QD_ERR_INVALID;
		return QD_OK;
	case C_GOLDEN:
	case C_DEATH:
		k = member(j, "ma");
		if (k != NULL && (!cJSON_IsString(k) ||
		    (strcmp(k->valuestring, "sma") != 0 &&
		    strcmp(k->valuestring, "ema") != 0)))
			return bad(err, errlen, path, "ma", "expected \"sma\" "
				"or \"ema\"");
		c->ema = k != NULL && k->valuestring[0] == 'e';
		if ((rc = int_field(j, "fast", 50, 1, 10000, &c->fast, path,
		    err, errlen)) != QD_OK ||
		    (rc = int_field(j, "slow", 200, 2, 10000, &c->slow, path,
		    err, errlen)) != QD_OK ||
		    (rc = tf_field(j, 0, &c->tf_s, path, err, errlen)) !=
		    QD_OK)
			return rc;
		if (c->fast >= c->slow)
			return bad(err, errlen, path, "fast", "expected fewer "
				"bars than slow");
		if ((c->ind[0] = make_ind(o, c->ema ? "ema" : "sma", c->fast,
		    0, path, err, errlen)) == NULL ||
		    (c->ind[1] = make_ind(o, c->ema ? "ema" : "sma", c->slow,
		    0, path, err, errlen)) == NULL)
			return QD_ERR_INVALID;
		return QD_OK;
	case C_BB_ABOVE:
	case C_BB_BELOW:
		c->stddev = 2;
		if ((rc = int_field(j, "period", 20, 2, 10000, &c->period,
		    path, err, errlen)) != QD_OK ||
		    (rc = num_field(j, "stddev", 0, &c->stddev, path, err,
		    errlen)) != QD_OK ||
		    (rc = tf_field(j, 0, &c->tf_s, path, err, errlen)) !=
		    QD_OK)
			return rc;
		if (!(c->stddev > 0) || c->stddev > 100)
			return bad(err, errlen, path, "stddev", "expected a "
				"number above 0 and at most 100");
		if ((c->ind[0] = make_ind(o, "bbands", c->period, c->stddev,
		    path, err, errlen)) == NULL)
			return QD_ERR_INVALID;
		for (c->out = 0; c->out < indicator_outputs(c->ind[0]);
		    c->out++)
			if (strcmp(indicator_output_name(c->ind[0], c->out),
			    c->kind == C_BB_ABOVE ? "upper" : "lower") == 0)
				return QD_OK;
		return bad(err, errlen, path, "type", "the bbands indicator "
			"has no upper/lower output");
	case C_AND:
	case C_OR:
		of = member(j, "of");
		if (depth >= ALERT_MAX_DEPTH)
			return bad(err, errlen, path, "of", "and/or nested too "
				"deep (at most 4 levels)");
		if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) < 2 ||
		    cJSON_GetArraySize(of) > ALERT_MAX_CHILDREN)
			return bad(err, errlen, path, "of", "expected an array "
				"of 2 to 8 conditions");
		for (i = 0; i < cJSON_GetArraySize(of); i++) {
			snprintf(sub, sizeof(sub), "%s%sof[%d]", path,
				*path ? "." : "", i);
			/* a->c may move: index, not pointer */
			a->c[me].kids[a->c[me].n_kids++] = a->n_c;
			if ((rc = cond_parse(o, a, cJSON_GetArrayItem(of, i),
			    depth + 1, sub, err, errlen)) != QD_OK)
				return rc;
		}
		return QD_OK;
	}
	return QD_ERR_INVALID;
}

static void
conds_free(struct alert *a)
{
	int i;

	for (i = 0; i < a->n_c; i++) {
		indicator_free(a->c[i].ind[0]);
		indicator_free(a->c[i].ind[1]);
	}
	free(a->c);
	a->c = NULL;
	a->n_c = 0;
}

static void
alert_free(struct alert *a)
{
	if (a == NULL)
		return;
	conds_free(a);
	free(a->user);
	free(a->exchange);
	free(a->symbol);
	free(a->name);
	free(a->spec);
	free(a->channels);
	free(a);
}

/* Text field `k` of o into *out (malloc'd); `def` when absent (NULL:
 * mandatory). */
static int
str_field(const cJSON *o, const char *k, const char *def, size_t max,
	char **out, char *err, size_t errlen)
{
	const cJSON *v = member(o, k);
	const char *s = def;

	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v))
			return bad(err, errlen, "", k, "expected a string");
		s = v->valuestring;
	}
	if (s == NULL || (def == NULL && *s == '\0'))
		return bad(err, errlen, "", k, "missing; expected a non-empty "
			"string");
	if (strlen(s) > max)
		return bad(err, errlen, "", k, "too long");
	free(*out);
	if ((*out = strdup(s)) == NULL)
		return QD_ERR_NOMEM;
	return QD_OK;
}

/* The settings every alert has (fire, cooldown_s, expires), from `o`;
 * absent members keep a's current values.  Nothing changes on error. */
static int
settings_parse(struct alert *a, const cJSON *o, char *err, size_t errlen)
{
	const cJSON *f = member(o, "fire"), *x = member(o, "expires");
	const cJSON *ch = member(o, "channels"), *it;
	double cd = (double)a->cooldown_ns / 1e9;
	int every = a->every, mask = 0, k;
	int64_t exp = a->expires_ns;
	char list[64], *chans = NULL;
	int rc;

	if (ch != NULL && !cJSON_IsNull(ch)) {
		if (!cJSON_IsArray(ch))
			return bad(err, errlen, "", "channels", "expected an "
				"array of email, telegram, discord, webhook (or "
				"null: every channel the owner set)");
		cJSON_ArrayForEach(it, ch) {
			k = cJSON_IsString(it) ?
			    channel_kind_parse(it->valuestring) : -1;
			if (k < 0 || (mask & (1 << k)))
				return bad(err, errlen, "", "channels",
					"expected distinct names among email, "
					"telegram, discord, webhook");
			mask |= 1 << k;
		}
		channel_mask_format((unsigned)mask, list, sizeof(list));
	}
	if (f != NULL) {
		if (!cJSON_IsString(f) || (strcmp(f->valuestring, "once") != 0 &&
		    strcmp(f->valuestring, "every") != 0))
			return bad(err, errlen, "", "fire", "expected \"once\" "
				"or \"every\"");
		every = f->valuestring[0] == 'e';
	}
	if ((rc = num_field(o, "cooldown_s", 0, &cd, "", err, errlen)) !=
	    QD_OK)
		return rc;
	if (!(cd >= 0) || cd > 366 * 86400.0)
		return bad(err, errlen, "", "cooldown_s", "expected seconds "
			"from 0 to 31622400");
	if (x != NULL) {
		if (cJSON_IsNull(x))
			exp = 0;
		else if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0) ||
		    x->valuedouble > 9e15)
			return bad(err, errlen, "", "expires", "expected a time "
				"in ms since the epoch (0 or null: never)");
		else
			exp = (int64_t)x->valuedouble * 1000000;
	}
	if (ch != NULL && !cJSON_IsNull(ch) && (chans = strdup(list)) == NULL)
		return QD_ERR_NOMEM;
	a->every = every;
	a->cooldown_ns = (int64_t)(cd * 1e9);
	a->expires_ns = exp;
	if (ch != NULL) {
		/* a copy (update's) may share the old string: the caller
		 * frees it */
		a->channels = chans;
	}
	return QD_OK;
}

/* ---- the books ---------------------------------------------------------- */

static struct book *
book_get(struct alert_engine *e, const char *exchange, qd_symbol sym,
	int make)
{
	struct book *b, **nb;

	if (sym < e->n_books)
		for (b = e->books[sym]; b != NULL; b = b->next)
			if (strcmp(b->exchange, exchange) == 0)
				return b;
	if (!make)
		return NULL;
	if (sym >= e->n_books) {
		size_t n = (size_t)sym + 16;

		if ((nb = realloc(e->books, n * sizeof(*nb))) == NULL)
			return NULL;
		memset(nb + e->n_books, 0, (n - e->n_books) * sizeof(*nb));
		e->books = nb;
		e->n_books = n;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->exchange = strdup(exchange)) == NULL) {
		free(b);
		return NULL;
	}
	b->sym = sym;
	b->next = e->books[sym];
	e->books[sym] = b;
	return b;
}

static int
level_cmp(const void *x, const void *y)
{
	const struct level *a = x, *b = y;

	if (a->price != b->price)
		return a->price < b->price ? -1 : 1;
	return a->a->id < b->a->id ? -1 : a->a->id > b->a->id;
}

/* Bring every level into the sorted prefix.  When memory for the merge
 * runs out, the whole array is sorted in place instead. */
static void
levels_sort(struct levels *l)
{
	struct level *m;
	size_t i, j, k;

	if (l->sorted == l->n)
		return;
	qsort(l->v + l->sorted, l->n - l->sorted, sizeof(*l->v), level_cmp);
	if (l->sorted > 0 && level_cmp(&l->v[l->sorted - 1],
	    &l->v[l->sorted]) > 0) {
		if ((m = malloc(l->n * sizeof(*m))) == NULL) {
			qsort(l->v, l->n, sizeof(*l->v), level_cmp);
			l->sorted = l->n;
			return;
		}
		for (i = 0, j = l->sorted, k = 0; k < l->n; k++)
			m[k] = j >= l->n || (i < l->sorted &&
			    level_cmp(&l->v[i], &l->v[j]) <= 0) ? l->v[i++] :
			    l->v[j++];
		memcpy(l->v, m, l->n * sizeof(*m));
		free(m);
	}
	l->sorted = l->n;
}

/* First index of the sorted prefix whose price is > p (upper) or >= p
 * (!upper). */
static size_t
levels_bound(const struct levels *l, double p, int upper)
{
	size_t lo = 0, hi = l->sorted, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (upper ? l->v[mid].price <= p : l->v[mid].price < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is `a` a price alert on trades alone (kept in the level arrays)? */
static int
indexable(const struct alert *a)
{
	return a->n_c == 1 && a->c[0].tf_s == 0 &&
	    (a->c[0].kind == C_PRICE_ABOVE || a->c[0].kind == C_PRICE_BELOW);
}

/* Put an enabled alert where its events find it.  QD_OK or NOMEM. */
static int
index_add(struct alert_engine *e, struct alert *a)
{
	struct book *b = book_get(e, a->exchange, a->sym, 1);
	struct levels *l;

	if (b == NULL)
		return QD_ERR_NOMEM;
	a->book = b;
	if (indexable(a)) {
		l = a->c[0].kind == C_PRICE_ABOVE ? &b->above : &b->below;
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			struct level *v = realloc(l->v, cap * sizeof(*v));

			if (v == NULL)
				return QD_ERR_NOMEM;
			l->v = v;
			l->cap = cap;
		}
		l->v[l->n].price = a->c[0].level;
		l->v[l->n].a = a;
		/* in order after the last sorted one: still sorted */
		if (l->sorted == l->n && (l->n == 0 ||
		    level_cmp(&l->v[l->n - 1], &l->v[l->n]) < 0))
			l->sorted++;
		l->n++;
		a->indexed = 1;
		return QD_OK;
	}
	if (b->n_gen == b->cap_gen) {
		size_t cap = b->cap_gen ? b->cap_gen * 2 : 8;
		struct alert **g = realloc(b->gen, cap * sizeof(*g));

		if (g == NULL)
			return QD_ERR_NOMEM;
		b->gen = g;
		b->cap_gen = cap;
	}
	b->gen[b->n_gen++] = a;
	a->indexed = 1;
	return QD_OK;
}

/* Take an alert out of its book (it stops being evaluated). */
static void
index_remove(struct alert_engine *e, struct alert *a)
{
	struct book *b = a->book;
	struct levels *l;
	size_t i;

	(void)e;
	if (!a->indexed || b == NULL)
		return;
	a->indexed = 0;
	if (indexable(a)) {
		l = a->c[0].kind == C_PRICE_ABOVE ? &b->above : &b->below;
		/* in the sorted prefix from its price on, or in the tail */
		for (i = levels_bound(l, a->c[0].level, 0); i < l->sorted &&
		    l->v[i].a != a; i++)
			;
		if (i >= l->sorted)
			for (i = l->sorted; i < l->n && l->v[i].a != a; i++)
				;
		if (i < l->n) {
			memmove(&l->v[i], &l->v[i + 1],
				(l->n - i - 1) * sizeof(*l->v));
			l->n--;
			if (i < l->sorted)
				l->sorted--;
		}
		return;
	}
	for (i = 0; i < b->n_gen && b->gen[i] != a; i++)
		;
	if (i < b->n_gen) {
		memmove(&b->gen[i], &b->gen[i + 1],
			(b->n_gen - i - 1) * sizeof(*b->gen));
		b->n_gen--;
	}
}

/* ---- persistence -------------------------------------------------------- */

/* The evaluation state as JSON text (malloc'd): the book's last price and,
 * per condition, its state and change window. */
static char *
state_text(const struct alert *a)
{
	cJSON *o = cJSON_CreateObject(), *arr, *c;
	char *s;
	int i;

	if (o == NULL)
		return NULL;
	if (a->book != NULL && a->book->has_last)
		cJSON_AddNumberToObject(o, "last", a->book->last);
	arr = cJSON_AddArrayToObject(o, "c");
	for (i = 0; arr != NULL && i < a->n_c; i++) {
		const struct cond *x = &a->c[i];

		c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "s", x->ind[0] ? ST_UNKNOWN :
			x->state);
		if (x->kind == C_CHANGE && x->start_ns) {
			cJSON_AddNumberToObject(c, "p", x->start);
			cJSON_AddNumberToObject(c, "t",
				(double)(x->start_ns / 1000000));
		}
		cJSON_AddItemToArray(arr, c);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void
state_apply(struct alert *a, const char *text)
{
	cJSON *o = cJSON_Parse(text), *arr, *c;
	const cJSON *v;
	int i;

	if (o == NULL)
		return;
	/* the freshest row's (after a kill, rows were saved at different
	 * times; after a stop, all at once with the same price) */
	v = member(o, "last");
	if (cJSON_IsNumber(v) && a->book != NULL && v->valuedouble > 0 &&
	    (!a->book->has_last || a->updated_ns > a->book->last_at)) {
		a->book->last = v->valuedouble;
		a->book->has_last = 1;
		a->book->last_at = a->updated_ns;
	}
	arr = cJSON_GetObjectItemCaseSensitive(o, "c");
	if (cJSON_GetArraySize(arr) == a->n_c)
		for (i = 0; i < a->n_c; i++) {
			struct cond *x = &a->c[i];

			c = cJSON_GetArrayItem(arr, i);
			v = member(c, "s");
			if (cJSON_IsNumber(v) && x->ind[0] == NULL &&
			    v->valueint >= ST_UNKNOWN && v->valueint <= 1)
				x->state = v->valueint;
			v = member(c, "p");
			if (x->kind == C_CHANGE && cJSON_IsNumber(v) &&
			    v->valuedouble > 0 &&
			    cJSON_IsNumber(member(c, "t"))) {
				x->start = v->valuedouble;
				x->start_ns = (int64_t)member(c, "t")->
				    valuedouble * 1000000;
			}
		}
	cJSON_Delete(o);
}

static void
save(struct alert_engine *e, struct alert *a)
{
	struct store_alert r;
	char *st;

	if (e->o.sink.save == NULL)
		return;
	if ((st = state_text(a)) == NULL) {
		log_error("alert", "alert %llu: out of memory saving its state",
			(unsigned long long)a->id);
		return;
	}
	r.id = a->id;
	r.user_id = a->user;
	r.exchange = a->exchange;
	r.symbol = a->symbol;
	r.name = a->name;
	r.spec = a->spec;
	r.fire_mode = a->every ? "every" : "once";
	r.cooldown_ms = a->cooldown_ns / 1000000;
	r.expires_ms = a->expires_ns / 1000000;
	r.enabled = a->enabled;
	r.fire_count = a->fire_count;
	r.last_fired_ms = a->last_fired_ns / 1000000;
	r.state = st;
	r.created_ms = a->created_ns / 1000000;
	r.updated_ms = a->updated_ns / 1000000;
	r.channels = a->channels;
	e->o.sink.save(e->o.sink.arg, &r);
	free(st);
}

/* ---- the engine --------------------------------------------------------- */

struct alert_engine *
alert_engine_new(const struct alert_options *o)
{
	struct alert_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->o = *o;
	e->h_cap = o->history ? o->history : ALERT_HISTORY_DEFAULT;
	if ((e->h = calloc(e->h_cap, sizeof(*e->h))) == NULL) {
		free(e);
		return NULL;
	}
	e->next_id = 1;
	return e;
}

void
alert_engine_set_sink(struct alert_engine *e, const struct alert_sink *sink)
{
	e->o.sink = *sink;
}

void
alert_engine_free(struct alert_engine *e)
{
	size_t i;
	struct book *b, *nx;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		alert_free(e->a[i]);
	for (i = 0; i < e->n_books; i++)
		for (b = e->books[i]; b != NULL; b = nx) {
			nx = b->next;
			free(b->exchange);
			free(b->above.v);
			free(b->below.v);
			free(b->gen);
			free(b);
		}
	free(e->books);
	free(e->a);
	free(e->h);
	free(e->fire_buf);
	free(e);
}

static size_t
find_pos(const struct alert_engine *e, uint64_t id)
{
	size_t lo = 0, hi = e->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e->a[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct alert *
find(const struct alert_engine *e, uint64_t id)
{
	size_t i = find_pos(e, id);

	return i < e->n && e->a[i]->id == id ? e->a[i] : NULL;
}

/* Insert `a` by id into e->a and, when enabled, into its book. */
static int
insert(struct alert_engine *e, struct alert *a)
{
	size_t i;
	int rc;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct alert **v = realloc(e->a, cap * sizeof(*v));

		if (v == NULL)
			return QD_ERR_NOMEM;
		e->a = v;
		e->cap = cap;
	}
	if (a->enabled && !a->expired && (rc = index_add(e, a)) != QD_OK)
		return rc;
	if (a->book == NULL && (a->book = book_get(e, a->exchange, a->sym, 1))
	    == NULL)
		return QD_ERR_NOMEM;
	i = find_pos(e, a->id);
	memmove(&e->a[i + 1], &e->a[i], (e->n - i) * sizeof(*e->a));
	e->a[i] = a;
	e->n++;
	if (a->id >= e->next_id)
		e->next_id = a->id + 1;
	return QD_OK;
}

static size_t
user_count(const struct alert_engine *e, const char *user)
{
	size_t i, n = 0;

	for (i = 0; i < e->n; i++)
		n += strcmp(e->a[i]->user, user) == 0;
	return n;
}

/* Parse the definition into a new alert (not inserted). */
static int
parse_def(struct alert_engine *e, const cJSON *def, struct alert **out,
	char *err, size_t errlen)
{
	struct alert *a = calloc(1, sizeof(*a));
	const cJSON *cond = member(def, "condition");
	int rc, i;

	if (a == NULL)
		return QD_ERR_NOMEM;
	if (!cJSON_IsObject(def)) {
		rc = bad(err, errlen, "", "alert", "expected a JSON object");
		goto fail;
	}
	if ((rc = str_field(def, "user", "admin", 63, &a->user, err,
	    errlen)) != QD_OK ||
	    (rc = str_field(def, "exchange", NULL, 63, &a->exchange, err,
	    errlen)) != QD_OK ||
	    (rc = str_field(def, "symbol", NULL, 31, &a->symbol, err,
	    errlen)) != QD_OK ||
	    (rc = str_field(def, "name", "", 200, &a->name, err, errlen)) !=
	    QD_OK)
		goto fail;
	if (a->user[0] == '\0') {
		rc = bad(err, errlen, "", "user", "expected a non-empty string");
		goto fail;
	}
	if (!symbol_valid(a->symbol)) {
		rc = bad(err, errlen, "", "symbol", "expected BASE/QUOTE in "
			"upper case, e.g. BTC/USDT");
		goto fail;
	}
	if ((a->sym = symbol_intern(a->symbol)) == 0) {
		rc = QD_ERR_NOMEM;
		goto fail;
	}
	if (cond == NULL) {
		rc = bad(err, errlen, "", "condition", "missing; expected an "
			"object with a type");
		goto fail;
	}
	if ((rc = cond_parse(&e->o, a, cond, 1, "condition", err, errlen)) !=
	    QD_OK || (rc = settings_parse(a, def, err, errlen)) != QD_OK)
		goto fail;
	if ((a->spec = cJSON_PrintUnformatted(cond)) == NULL) {
		rc = QD_ERR_NOMEM;
		goto fail;
	}
	for (i = 0; i < a->n_c; i++)
		if (a->c[i].kind < C_AND && a->c[i].tf_s == 0)
			a->on_trades = 1;
	a->enabled = 1;
	*out = a;
	return QD_OK;
fail:
	if (rc == QD_ERR_NOMEM)
		snprintf(err, errlen, "out of memory");
	alert_free(a);
	return rc;
}

int
alert_create(struct alert_engine *e, const cJSON *def, int64_t now_ns,
	uint64_t *id, char *err, size_t errlen)
{
	struct alert *a = NULL;
	size_t max;
	int rc;

	if ((rc = parse_def(e, def, &a, err, errlen)) != QD_OK)
		return rc;
	max = e->o.limit ? e->o.limit(e->o.limit_arg, a->user) :
	    e->o.max_per_user;
	if (max > 0 && user_count(e, a->user) >= max) {
		snprintf(err, errlen, "user %s has %zu alerts, the most the "
			"plan allows", a->user, max);
		alert_free(a);
		return QD_ERR_LIMIT;
	}
	if (a->expires_ns && a->expires_ns <= now_ns) {
		alert_free(a);
		return bad(err, errlen, "", "expires", "already past");
	}
	a->id = e->next_id;
	a->created_ns = a->updated_ns = now_ns;
	if ((rc = insert(e, a)) != QD_OK) {
		index_remove(e, a);
		alert_free(a);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	save(e, a);
	*id = a->id;
	return QD_OK;
}

/* Forget the evaluation state (the alert starts afresh). */
static void
reset_state(struct alert *a)
{
	int i;

	for (i = 0; i < a->n_c; i++) {
		a->c[i].state = ST_UNKNOWN;
		a->c[i].start_ns = 0;
	}
}

int
alert_update(struct alert_engine *e, uint64_t id, const cJSON *changes,
	int64_t now_ns, char *err, size_t errlen)
{
	struct alert *a = find(e, id);
	struct alert tmp;
	const cJSON *en, *nm;
	char *name = NULL;
	int rc, enable;

	if (a == NULL) {
		snprintf(err, errlen, "no alert %llu", (unsigned long long)id);
		return QD_ERR_NOTFOUND;
	}
	if (!cJSON_IsObject(changes))
		return bad(err, errlen, "", "changes", "expected an object");
	en = member(changes, "enabled");
	if (en != NULL && !cJSON_IsBool(en))
		return bad(err, errlen, "", "enabled", "expected true or false");
	enable = en ? cJSON_IsTrue(en) : a->enabled;
	nm = member(changes, "name");
	if (nm != NULL && (rc = str_field(changes, "name", "", 200, &name,
	    err, errlen)) != QD_OK)
		return rc;
	tmp = *a;
	if ((rc = settings_parse(&tmp, changes, err, errlen)) != QD_OK) {
		free(name);
		return rc;
	}
	if (tmp.channels != a->channels) {
		free(a->channels);
		a->channels = tmp.channels;
	}
	index_remove(e, a);
	a->every = tmp.every;
	a->cooldown_ns = tmp.cooldown_ns;
	if (a->expires_ns != tmp.expires_ns)
		a->expired = tmp.expires_ns && tmp.expires_ns <= now_ns;
	a->expires_ns = tmp.expires_ns;
	if (name != NULL) {
		free(a->name);
		a->name = name;
	}
	if (enable && !a->enabled)
		reset_state(a);
	a->enabled = enable;
	a->updated_ns = now_ns;
	if (a->enabled && !a->expired && index_add(e, a) != QD_OK) {
		a->enabled = 0;
		snprintf(err, errlen, "out of memory");
		save(e, a);
		return QD_ERR_NOMEM;
	}
	save(e, a);
	return QD_OK;
}

int
alert_delete(struct alert_engine *e, uint64_t id)
{
	size_t i = find_pos(e, id);
	struct alert *a;

	if (i >= e->n || e->a[i]->id != id)
		return QD_ERR_NOTFOUND;
	a = e->a[i];
	index_remove(e, a);
	memmove(&e->a[i], &e->a[i + 1], (e->n - i - 1) * sizeof(*e->a));
	e->n--;
	if (e->o.sink.remove)
		e->o.sink.remove(e->o.sink.arg, id);
	alert_free(a);
	return QD_OK;
}

const char *
alert_user(const struct alert_engine *e, uint64_t id)
{
	const struct alert *a = find(e, id);

	return a ? a->user : NULL;
}

size_t
alert_count(const struct alert_engine *e)
{
	return e->n;
}

/* ---- evaluation ---------------------------------------------------------- */

/* Describe condition i with its current values into buf (for messages). */
static void
describe(const struct alert *a, int i, char *buf, size_t cap)
{
	const struct cond *c = &a->c[i];
	size_t n;
	int k;

	switch (c->kind) {
	case C_PRICE_ABOVE:
	case C_PRICE_BELOW:
		snprintf(buf, cap, "price %.10g crossed %s %.10g", c->value,
			c->kind == C_PRICE_ABOVE ? "above" : "below", c->level);
		break;
	case C_CHANGE:
		snprintf(buf, cap, "price %.10g is %+.2f%% from %.10g within "
			"%llds", c->value, (c->value / c->start - 1) * 100,
			c->start, (long long)(c->window_ns / 1000000000));
		break;
	case C_RSI_ABOVE:
	case C_RSI_BELOW:
		snprintf(buf, cap, "RSI(%d) %.2f %s %.10g", c->period,
			c->value, c->kind == C_RSI_ABOVE ? "above" : "below",
			c->level);
		break;
	case C_GOLDEN:
	case C_DEATH:
		snprintf(buf, cap, "%s cross: %s(%d) %.10g %s %s(%d) %.10g",
			c->kind == C_GOLDEN ? "golden" : "death",
			c->ema ? "EMA" : "SMA", c->fast, c->value,
			c->kind == C_GOLDEN ? "above" : "below",
			c->ema ? "EMA" : "SMA", c->slow, c->value2);
		break;
	case C_BB_ABOVE:
	case C_BB_BELOW:
		snprintf(buf, cap, "close %.10g %s the %s Bollinger band "
			"%.10g (%d, %g)", c->value, c->kind == C_BB_ABOVE ?
			"above" : "below", c->kind == C_BB_ABOVE ? "upper" :
			"lower", c->value2, c->period, c->stddev);
		break;
	case C_AND:
	case C_OR:
		n = 0;
		for (k = 0; k < c->n_kids && n + 8 < cap; k++) {
			if (c->kind == C_OR && a->c[c->kids[k]].state != 1)
				continue;
			if (n > 0)
				n += (size_t)snprintf(buf + n, cap - n, " %s ",
					c->kind == C_AND ? "and" : "or");
			if (n < cap) {
				describe(a, c->kids[k], buf + n, cap - n);
				n += strlen(buf + n);
			}
		}
		if (n == 0 && cap > 0)
			buf[0] = '\0';
		break;
	}
}

/* Recompute composite states bottom-up (children follow parents, so walk
 * backwards). */
static void
combine(struct alert *a)
{
	int i, k, yes, no;

	for (i = a->n_c - 1; i >= 0; i--) {
		struct cond *c = &a->c[i];

		if (c->kind != C_AND && c->kind != C_OR)
			continue;
		yes = no = 0;
		for (k = 0; k < c->n_kids; k++) {
			int s = a->c[c->kids[k]].state;

			yes += s == 1;
			no += s == 0;
		}
		if (c->kind == C_AND)
			c->state = no > 0 ? 0 : yes == c->n_kids ? 1 :
			    ST_UNKNOWN;
		else
			c->state = yes > 0 ? 1 : no == c->n_kids ? 0 :
			    ST_UNKNOWN;
	}
}

/* A price (trade, or a close when tf_s != 0) for the leaf. */
static void
leaf_price(struct cond *c, double p, int64_t ts)
{
	double chg;

	c->value = p;
	switch (c->kind) {
	case C_PRICE_ABOVE:
		c->state = p >= c->level;
		break;
	case C_PRICE_BELOW:
		c->state = p <= c->level;
		break;
	case C_CHANGE:
		if (c->start_ns == 0 || ts >= c->start_ns + c->window_ns ||
		    ts < c->start_ns) {
			c->start = p;
			c->start_ns = ts;
			c->state = 0;
			break;
		}
		chg = (p / c->start - 1) * 100;
		c->state = c->level > 0 ? chg >= c->level - 1e-9 :
		    chg <= c->level + 1e-9;
		break;
	default:
		break;
	}
}

/* A closed candle for an indicator leaf. */
static void
leaf_bar(struct cond *c, const struct qd_bar *bar)
{
	double out[4] = { NAN, NAN, NAN, NAN }, o2[4] = { NAN, NAN, NAN, NAN };

	if (c->kind >= C_RSI_ABOVE && c->kind <= C_BB_BELOW &&
	    (c->ind[0] == NULL || ((c->kind == C_GOLDEN || c->kind == C_DEATH) &&
	    c->ind[1] == NULL))) {
		c->state = ST_UNKNOWN;  /* its plugin is gone */
		return;
	}
	switch (c->kind) {
	case C_RSI_ABOVE:
	case C_RSI_BELOW:
		indicator_update(c->ind[0], bar, out);
		c->value = out[0];
		c->state = isnan(out[0]) ? ST_UNKNOWN : c->kind == C_RSI_ABOVE ?
		    out[0] > c->level : out[0] < c->level;
		break;
	case C_GOLDEN:
	case C_DEATH:
		indicator_update(c->ind[0], bar, out);
		indicator_update(c->ind[1], bar, o2);
		c->value = out[0];
		c->value2 = o2[0];
		c->state = isnan(out[0]) || isnan(o2[0]) ? ST_UNKNOWN :
		    c->kind == C_GOLDEN ? out[0] > o2[0] : out[0] < o2[0];
		break;
	case C_BB_ABOVE:
	case C_BB_BELOW:
		indicator_update(c->ind[0], bar, out);
		c->value = bar->close;
		c->value2 = out[c->out];
		c->state = isnan(c->value2) ? ST_UNKNOWN : c->kind ==
		    C_BB_ABOVE ? bar->close > c->value2 :
		    bar->close < c->value2;
		break;
	default:
		leaf_price(c, bar->close, bar->ts);
		break;
	}
}

static void
history_add(struct alert_engine *e, uint64_t id, const char *user,
	const char *symbol, int64_t ts_ms, double price, const char *msg)
{
	struct hist *h = &e->h[e->h_head];

	h->id = id;
	snprintf(h->user, sizeof(h->user), "%s", user);
	snprintf(h->symbol, sizeof(h->symbol), "%s", symbol);
	h->ts_ms = ts_ms;
	h->price = price;
	snprintf(h->message, sizeof(h->message), "%s", msg);
	e->h_head = (e->h_head + 1) % e->h_cap;
	if (e->h_n < e->h_cap)
		e->h_n++;
}

/*
 * The root of `a` went false -> true at ts with `price`: fire unless
 * expired or inside the cooldown.  Returns 1 when it fired.  A "once"
 * alert is disabled (the caller takes it out of the index when it was
 * indexed: `unindex` 0 leaves that to the caller).
 */
static int
fire(struct alert_engine *e, struct alert *a, int64_t ts, double price,
	int unindex)
{
	struct alert_fired f;
	struct store_alert_event ev;
	char msg[512], head[128];
	int i;

	if (a->expires_ns && ts >= a->expires_ns) {
		a->expired = 1;
		if (unindex)
			index_remove(e, a);
		save(e, a);
		return 0;
	}
	if (a->every && a->cooldown_ns && a->last_fired_ns &&
	    ts < a->last_fired_ns + a->cooldown_ns)
		return 0;
	a->fire_count++;
	a->last_fired_ns = ts;
	a->updated_ns = ts;
	snprintf(head, sizeof(head), "%s %s: ", a->exchange, a->symbol);
	describe(a, 0, msg + strlen(head), sizeof(msg) - strlen(head));
	memcpy(msg, head, strlen(head));
	if (!a->every) {
		a->enabled = 0;
		if (unindex)
			index_remove(e, a);
	}
	/* a change window restarts at the firing price */
	for (i = 0; i < a->n_c; i++)
		if (a->c[i].kind == C_CHANGE) {
			a->c[i].start = a->c[i].value;
			a->c[i].start_ns = ts;
		}
	history_add(e, a->id, a->user, a->symbol, ts / 1000000, price, msg);
	save(e, a);
	if (e->o.sink.event) {
		ev.alert_id = a->id;
		ev.user_id = a->user;
		ev.ts_ms = ts / 1000000;
		ev.price = price;
		ev.message = msg;
		e->o.sink.event(e->o.sink.arg, &ev);
	}
	if (e->o.fired) {
		f.id = a->id;
		f.user_id = a->user;
		f.exchange = a->exchange;
		f.symbol = a->symbol;
		f.name = a->name;
		f.ts_ns = ts;
		f.price = price;
		f.message = msg;
		f.fire_count = (uint64_t)a->fire_count;
		f.channels = a->channels;
		e->o.fired(e->o.fired_arg, &f);
	}
	return 1;
}

/* Evaluate a general alert after its leaves saw an event. */
static void
evaluate(struct alert_engine *e, struct alert *a, int prev, int64_t ts,
	double price)
{
	combine(a);
	if (prev == 0 && a->c[0].state == 1)
		fire(e, a, ts, price, 1);
}

/* Fire the indexed levels [lo, hi) of l (in order, or backwards), then
 * drop the ones no longer indexed from the array. */
static void
fire_levels(struct alert_engine *e, struct levels *l, size_t lo, size_t hi,
	int backwards, int64_t ts, double p)
{
	size_t i, w, n = hi - lo;

	if (n == 0)
		return;
	if (n > e->fire_cap) {
		struct alert **v = realloc(e->fire_buf, n * sizeof(*v));

		if (v == NULL) {
			log_error("alert", "out of memory: %zu price alerts "
				"not fired", n);
			return;
		}
		e->fire_buf = v;
		e->fire_cap = n;
	}
	/* copied first: firing never moves the array, but keep the loop
	 * independent of it */
	for (i = 0; i < n; i++)
		e->fire_buf[i] = l->v[lo + i].a;
	for (i = 0; i < n; i++) {
		struct alert *a = e->fire_buf[backwards ? n - 1 - i : i];

		a->c[0].value = p;
		a->c[0].state = 1;
		fire(e, a, ts, p, 0);
		if (!a->enabled || a->expired)
			a->indexed = 0;
	}
	for (i = w = lo; i < hi; i++)
		if (l->v[i].a->indexed)
			l->v[w++] = l->v[i];
	if (w < hi) {
		memmove(&l->v[w], &l->v[hi], (l->n - hi) * sizeof(*l->v));
		l->n -= hi - w;
		l->sorted = l->n;
	}
}

void
alert_on_trade(struct alert_engine *e, const char *exchange,
	const struct qd_trade_event *t)
{
	struct book *b;
	double p = t->price, p0;
	size_t i, lo, hi;

	if (exchange == NULL || !(p > 0) || !isfinite(p) ||
	    (b = book_get(e, exchange, t->symbol, 0)) == NULL)
		return;
	if (b->has_last && p != b->last) {
		p0 = b->last;
		if (p > p0 && b->above.n > 0) {
			/* above L fires when p0 < L <= p */
			levels_sort(&b->above);
			lo = levels_bound(&b->above, p0, 1);
			hi = levels_bound(&b->above, p, 1);
			fire_levels(e, &b->above, lo, hi, 0, t->ts, p);
		} else if (p < p0 && b->below.n > 0) {
			/* below L fires when p <= L < p0 */
			levels_sort(&b->below);
			lo = levels_bound(&b->below, p, 0);
			hi = levels_bound(&b->below, p0, 0);
			fire_levels(e, &b->below, lo, hi, 1, t->ts, p);
		}
	}
	b->last = p;
	b->has_last = 1;
	for (i = 0; i < b->n_gen; i++) {
		struct alert *a = b->gen[i];
		int prev, k;

		if (!a->on_trades)
			continue;
		prev = a->c[0].state;
		for (k = 0; k < a->n_c; k++)
			if (a->c[k].kind < C_AND && a->c[k].tf_s == 0)
				leaf_price(&a->c[k], p, t->ts);
		evaluate(e, a, prev, t->ts, p);
		if (i < b->n_gen && b->gen[i] != a)
			i--;  /* it left the list: the next one moved here */
	}
}

void
alert_on_bar(struct alert_engine *e, const char *exchange,
	const struct qd_bar_event *ev)
{
	struct book *b;
	struct qd_bar bar = ev->bar;
	int64_t close_ts = ev->bar.ts + (int64_t)ev->timeframe_s * 1000000000;
	size_t i;

	if (exchange == NULL || ev->timeframe_s == 0 ||
	    (b = book_get(e, exchange, ev->symbol, 0)) == NULL)
		return;
	bar.ts = close_ts;
	for (i = 0; i < b->n_gen; i++) {
		struct alert *a = b->gen[i];
		int prev, k, hit = 0;

		prev = a->c[0].state;
		for (k = 0; k < a->n_c; k++)
			if (a->c[k].kind < C_AND &&
			    a->c[k].tf_s == ev->timeframe_s) {
				leaf_bar(&a->c[k], &bar);
				hit = 1;
			}
		if (!hit)
			continue;
		evaluate(e, a, prev, close_ts, ev->bar.close);
		if (i < b->n_gen && b->gen[i] != a)
			i--;
	}
}

void
alert_expire(struct alert_engine *e, int64_t now_ns)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		struct alert *a = e->a[i];

		if (!a->expired && a->expires_ns && a->expires_ns <= now_ns) {
			a->expired = 1;
			index_remove(e, a);
			save(e, a);
		}
	}
}

/* ---- indicator plugins replaced ----------------------------------------- */

void
alert_indicators_drop(struct alert_engine *e)
{
	size_t i;
	int k;

	for (i = 0; i < e->n; i++)
		for (k = 0; k < e->a[i]->n_c; k++) {
			struct cond *c = &e->a[i]->c[k];

			indicator_free(c->ind[0]);
			indicator_free(c->ind[1]);
			c->ind[0] = c->ind[1] = NULL;
			if (c->kind >= C_RSI_ABOVE && c->kind <= C_BB_BELOW)
				c->state = ST_UNKNOWN;
		}
}

size_t
alert_indicators_renew(struct alert_engine *e)
{
	size_t i, failed = 0;
	char err[256];
	int k, ok;

	for (i = 0; i < e->n; i++) {
		struct alert *a = e->a[i];

		for (k = 0, ok = 1; k < a->n_c; k++) {
			struct cond *c = &a->c[k];

			if (c->ind[0] != NULL)
				continue;
			switch (c->kind) {
			case C_RSI_ABOVE:
			case C_RSI_BELOW:
				ok = (c->ind[0] = make_ind(&e->o, "rsi",
				    c->period, 0, "condition", err,
				    sizeof(err))) != NULL;
				break;
			case C_GOLDEN:
			case C_DEATH:
				ok = (c->ind[0] = make_ind(&e->o, c->ema ?
				    "ema" : "sma", c->fast, 0, "condition", err,
				    sizeof(err))) != NULL &&
				    (c->ind[1] = make_ind(&e->o, c->ema ?
				    "ema" : "sma", c->slow, 0, "condition",
				    err, sizeof(err))) != NULL;
				break;
			case C_BB_ABOVE:
			case C_BB_BELOW:
				ok = (c->ind[0] = make_ind(&e->o, "bbands",
				    c->period, c->stddev, "condition", err,
				    sizeof(err))) != NULL;
				break;
			default:
				break;
			}
			if (!ok)
				break;
		}
		if (!ok) {
			log_error("alert", "alert %llu of %s stays silent: %s",
				(unsigned long long)a->id, a->user, err);
			failed++;
		}
	}
	return failed;
}

/* ---- restore and save ----------------------------------------------------- */

int
alert_restore(struct alert_engine *e, const struct store_alert *row,
	char *err, size_t errlen)
{
	cJSON *def = cJSON_CreateObject(), *cond = cJSON_Parse(row->spec);
	struct alert *a = NULL;
	int rc;

	if (def == NULL || cond == NULL) {
		cJSON_Delete(def);
		cJSON_Delete(cond);
		return bad(err, errlen, "", "spec", "not valid JSON");
	}
	cJSON_AddStringToObject(def, "user", row->user_id);
	cJSON_AddStringToObject(def, "exchange", row->exchange);
	cJSON_AddStringToObject(def, "symbol", row->symbol);
	cJSON_AddStringToObject(def, "name", row->name);
	cJSON_AddItemToObject(def, "condition", cond);
	cJSON_AddStringToObject(def, "fire", row->fire_mode);
	cJSON_AddNumberToObject(def, "cooldown_s",
		(double)row->cooldown_ms / 1000);
	if (row->channels != NULL)
		cJSON_AddItemToObject(def, "channels",
			channels_json(row->channels));
	rc = parse_def(e, def, &a, err, errlen);
	cJSON_Delete(def);
	if (rc != QD_OK)
		return rc;
	if (find(e, row->id) != NULL) {
		alert_free(a);
		return bad(err, errlen, "", "id", "already loaded");
	}
	a->id = row->id;
	a->expires_ns = row->expires_ms * 1000000;
	a->enabled = row->enabled;
	a->fire_count = row->fire_count;
	a->last_fired_ns = row->last_fired_ms * 1000000;
	a->created_ns = row->created_ms * 1000000;
	a->updated_ns = row->updated_ms * 1000000;
	if ((rc = insert(e, a)) != QD_OK) {
		index_remove(e, a);
		alert_free(a);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	state_apply(a, row->state);
	return QD_OK;
}

void
alert_restore_event(struct alert_engine *e, const struct store_alert_event *ev)
{
	const struct alert *a = find(e, ev->alert_id);

	history_add(e, ev->alert_id, ev->user_id, a ? a->symbol : "",
		ev->ts_ms, ev->price, ev->message);
}

void
alert_save_all(struct alert_engine *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		save(e, e->a[i]);
}

/* ---- JSON out ------------------------------------------------------------- */

/* "webhook,email" as ["webhook","email"]. */
static cJSON *
channels_json(const char *list)
{
	cJSON *arr = cJSON_CreateArray();
	int mask = channel_mask_parse(list), k;

	for (k = 0; k < CHANNEL_KINDS && mask > 0; k++)
		if (mask & (1 << k))
			cJSON_AddItemToArray(arr, cJSON_CreateString(
				channel_kind_name((enum channel_kind)k)));
	return arr;
}

static cJSON *
to_json(const struct alert *a, int64_t now_ns)
{
	cJSON *o = cJSON_CreateObject(), *c = cJSON_Parse(a->spec);
	int expired = a->expired || (a->expires_ns && a->expires_ns <= now_ns);

	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cJSON_AddStringToObject(o, "user", a->user);
	cJSON_AddStringToObject(o, "exchange", a->exchange);
	cJSON_AddStringToObject(o, "symbol", a->symbol);
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddItemToObject(o, "condition", c ? c : cJSON_CreateNull());
	cJSON_AddStringToObject(o, "fire", a->every ? "every" : "once");
	cJSON_AddNumberToObject(o, "cooldown_s", (double)a->cooldown_ns / 1e9);
	if (a->channels != NULL)
		cJSON_AddItemToObject(o, "channels",
			channels_json(a->channels));
	else
		cJSON_AddNullToObject(o, "channels");
	if (a->expires_ns)
		cJSON_AddNumberToObject(o, "expires",
			(double)(a->expires_ns / 1000000));
	else
		cJSON_AddNullToObject(o, "expires");
	cJSON_AddBoolToObject(o, "enabled", a->enabled);
	cJSON_AddStringToObject(o, "status", expired ? "expired" :
		a->enabled ? "active" : "disabled");
	cJSON_AddNumberToObject(o, "fire_count", (double)a->fire_count);
	if (a->last_fired_ns)
		cJSON_AddNumberToObject(o, "last_fired",
			(double)(a->last_fired_ns / 1000000));
	else
		cJSON_AddNullToObject(o, "last_fired");
	cJSON_AddNumberToObject(o, "created", (double)(a->created_ns /
		1000000));
	cJSON_AddNumberToObject(o, "updated", (double)(a->updated_ns /
		1000000));
	return o;
}

cJSON *
alert_json(const struct alert_engine *e, uint64_t id, int64_t now_ns)
{
	const struct alert *a = find(e, id);

	return a ? to_json(a, now_ns) : NULL;
}

cJSON *
alert_list_json(const struct alert_engine *e, const char *user_id,
	int64_t now_ns)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; arr != NULL && i < e->n; i++)
		if (user_id == NULL || strcmp(e->a[i]->user, user_id) == 0)
			cJSON_AddItemToArray(arr, to_json(e->a[i], now_ns));
	return arr;
}

cJSON *
alert_history_json(const struct alert_engine *e, uint64_t id,
	const char *user_id, size_t limit)
{
	cJSON *arr = cJSON_CreateArray(), *o;
	size_t i, n = 0;

	for (i = 0; arr != NULL && i < e->h_n && (limit == 0 || n < limit);
	    i++) {
		const struct hist *h = &e->h[(e->h_head + e->h_cap - 1 - i) %
		    e->h_cap];

		if ((id && h->id != id) ||
		    (user_id && strcmp(h->user, user_id) != 0))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "alert", (double)h->id);
		cJSON_AddStringToObject(o, "user", h->user);
		cJSON_AddStringToObject(o, "symbol", h->symbol);
		cJSON_AddNumberToObject(o, "time", (double)h->ts_ms);
		cJSON_AddNumberToObject(o, "price", h->price);
		cJSON_AddStringToObject(o, "message", h->message);
		cJSON_AddItemToArray(arr, o);
		n++;
	}
	return arr;
}
