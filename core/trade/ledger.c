/*
 * ledger.c -- double-entry accounting in fixed-point integers (ledger.h).
 *
 * Layout.  Asset, account, symbol and venue names are interned to small
 * ids, one open-addressing hash each.  An account keeps its balances in an
 * array indexed by asset id and its positions in one indexed by symbol id,
 * so booking a fill costs a hash of each name it carries plus array
 * indexing, whatever the size of the books.
 *
 * A transaction is checked whole before anything is written: its legs are
 * resolved against the books as they are (names not seen yet count as
 * empty), summed per asset, netted per (account, asset) and the balances
 * after are computed; only then are names interned and arrays grown (the
 * only steps that can fail, and they change no amount), and last the
 * amounts are written, which cannot fail.  ledger_check_fill() is the
 * first stage of ledger_fill() and nothing else, so the two cannot
 * disagree.
 *
 * Each (account, asset) keeps two numbers: the balance, written from the
 * net change of a transaction, and the sum of its postings, accumulated
 * leg by leg in 128 bits.  They are computed by different code from
 * different inputs, so ledger_reconcile() comparing them is a real check.
 *
 * Positions keep their cost basis in quote units (signed like the
 * quantity) rather than the average price: reducing removes the closed
 * share of the cost (rounded half away from zero), and closing the last
 * unit removes what is left.  So whenever a position is flat, its
 * realized P&L is exactly the quote it received minus the quote it paid;
 * the average price is derived from the cost for reporting.
 *
 * Where ledger.h leaves a choice open:
 *   - A fill is one transaction: four legs of kind "trade" and, when the
 *     fee is not zero, two of kind "fee"; they share a number.  Its first
 *     fill on a venue opens "venue:V" and "fees:V" as LEDGER_EXTERNAL (an
 *     account opened earlier under that name keeps its own flags).
 *   - The notional is the exact product of qty and the double's binary
 *     value (0.1 is 0.1000000000000000055...), scaled by 10^(quote - base
 *     decimals) and rounded half away from zero once, in integers.
 *   - 1x: when a margin account's short opens or grows, the short's
 *     notional at the fill price must not exceed the equity after the
 *     fill (fee paid, this symbol at the fill price, others at their
 *     marks).  Reducing a position is never refused by it, only by the
 *     quote that it costs.
 *   - A balance may stay negative or rise towards zero; it is only a fall
 *     below zero that is refused.  A margin account goes negative through
 *     the base asset of its own fills only, never through a transfer.
 *   - Position fees in quote units: a fee in the quote as is, one in the
 *     base valued at the fill price, one in a third asset not counted
 *     there (the balances and the postings have it).
 *   - A refused transaction changes nothing: no amount, no transaction
 *     number, no account opened.  Out of memory may leave names interned.
 *   - ledger_deposit() takes amount > 0; ledger_post() takes a NULL kind
 *     as "transfer" and a NULL ref as "".  Unrealized P&L and equity are
 *     clamped to the int64 range.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trade/fixed.h"
#include "trade/ledger.h"

/* -pedantic has no word for __int128; GCC and Clang both have the type. */
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

#define DEFAULT_DECIMALS 8
#define DEPOSITS "external:deposits"
#define ACCOUNT_FLAGS (LEDGER_MARGIN | LEDGER_EXTERNAL)
/* Room for "venue:" / "fees:" + a venue name, and for one asset of a
 * symbol not seen yet (split out of "BASE/QUOTE"). */
#define NAME_MAX_LEN 127

/* ---- interned names ------------------------------------------------------ */

/*
 * Names to dense ids, each id with an entity of `esize` bytes (given
 * when the name is added).  Ids never change and names are never removed, so
 * the arrays indexed by id elsewhere stay valid.
 */
struct names {
	char **name;        /* by id */
	uint32_t *hash;     /* by id: rehashing without rereading the names */
	void *ent;          /* by id, esize bytes each */
	size_t esize;
	uint32_t n, cap;
	uint32_t *slot;     /* id + 1, 0 = empty; nslot is a power of two */
	uint32_t nslot;
};

/* FNV-1a: short names, no adversary (names come from configuration). */
static uint32_t
name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* Id of the first `len` bytes of s, whose hash is h, or -1. */
static int32_t
names_lookup(const struct names *t, const char *s, size_t len, uint32_t h)
{
	uint32_t i, id;

	if (t->nslot == 0)
		return -1;
	for (i = h & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1)) {
		if (t->slot[i] == 0)
			return -1;
		id = t->slot[i] - 1;
		if (t->hash[id] == h && strncmp(t->name[id], s, len) == 0 &&
		    t->name[id][len] == '\0')
			return (int32_t)id;
	}
}

static int32_t
names_find(const struct names *t, const char *s, size_t len)
{
	return names_lookup(t, s, len, name_hash(s, len));
}

/* Id of a NUL-terminated name, or -1: hashed while its length is found,
 * one pass over the name on the fill path instead of two. */
static int32_t
names_get(const struct names *t, const char *s)
{
	uint32_t h = 2166136261u;
	size_t len;

	if (s == NULL)
		return -1;
	for (len = 0; s[len] != '\0'; len++)
		h = (h ^ (unsigned char)s[len]) * 16777619u;
	return names_lookup(t, s, len, h);
}

/* Double the slots, keeping the load at most one half. */
static int
names_rehash(struct names *t)
{
	uint32_t ns = t->nslot ? t->nslot * 2 : 16, id, i;
	uint32_t *slot = calloc(ns, sizeof(*slot));

	if (slot == NULL)
		return -1;
	for (id = 0; id < t->n; id++) {
		for (i = t->hash[id] & (ns - 1); slot[i];
		     i = (i + 1) & (ns - 1))
			;
		slot[i] = id + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = ns;
	return 0;
}

/*
 * Id of the first `len` bytes of s, adding the name when new with its
 * entity copied from `init` (esize bytes).  -1 when out of memory, with
 * nothing added.
 */
static int32_t
names_add(struct names *t, const char *s, size_t len, const void *init)
{
	int32_t id = names_find(t, s, len);
	uint32_t i;
	char *copy;

	if (id >= 0)
		return id;
	if ((t->n + 1) * 2 > t->nslot && names_rehash(t) != 0)
		return -1;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		char **name = realloc(t->name, cap * sizeof(*name));
		uint32_t *hash;
		void *ent;

		if (name == NULL)
			return -1;
		t->name = name;
		if ((hash = realloc(t->hash, cap * sizeof(*hash))) == NULL)
			return -1;
		t->hash = hash;
		if ((ent = realloc(t->ent, cap * t->esize)) == NULL)
			return -1;
		t->ent = ent;
		t->cap = cap;     /* only once all three have grown */
	}
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	id = (int32_t)t->n++;
	t->name[id] = copy;
	t->hash[id] = name_hash(s, len);
	memcpy((char *)t->ent + (size_t)id * t->esize, init, t->esize);
	for (i = t->hash[id] & (t->nslot - 1); t->slot[i];
	     i = (i + 1) & (t->nslot - 1))
		;
	t->slot[i] = (uint32_t)id + 1;
	return id;
}

static void
names_free(struct names *t)
{
	uint32_t id;

	for (id = 0; id < t->n; id++)
		free(t->name[id]);
	free(t->name);
	free(t->hash);
	free(t->ent);
	free(t->slot);
}

/* ---- the books ----------------------------------------------------------- */

struct asset {
	int decimals;
	int64_t postings;      /* how many; the precision is fixed after one */
};

struct cell {                  /* one (account, asset) */
	i128 posted;           /* sum of every posting, leg by leg */
	int64_t balance;       /* written from each transaction's net change */
};

struct pos {                   /* one (account, symbol) */
	int64_t qty;           /* base units, signed */
	int64_t cost;          /* quote units, signed like qty: the basis */
	int64_t realized;
	int64_t fees;
	int traded;
};

struct account {
	unsigned flags;
	struct cell *cell;     /* by asset id, ncell of them */
	uint32_t ncell;
	struct pos *pos;       /* by symbol id, npos of them */
	uint32_t npos;
};

struct symbol {
	int32_t base, quote;   /* asset ids */
	double mark;           /* 0 until a fill or ledger_mark() */
};

struct venue {                 /* the accounts a venue's fills post to */
	int32_t acct, fees;
};

struct ledger {
	struct names assets, accounts, symbols, venues;
	int64_t txn;           /* the last transaction's number */
	void (*sink)(void *arg, const struct ledger_posting *p, size_t n);
	void *sink_arg;
};

/* Typed access to each table's entities, one accessor per table. */
#define ENTITY_AT(fn, type, table)					\
static type *								\
fn(const struct ledger *l, int32_t id)					\
{									\
	return (type *)l->table.ent + id;				\
}
ENTITY_AT(asset_at, struct asset, assets)
ENTITY_AT(account_at, struct account, accounts)
ENTITY_AT(symbol_at, struct symbol, symbols)
ENTITY_AT(venue_at, struct venue, venues)
#undef ENTITY_AT

static int
decimals_of(const struct ledger *l, int32_t asset)
{
	return asset < 0 ? DEFAULT_DECIMALS : asset_at(l, asset)->decimals;
}

/* Balance of an (account, asset) by id; 0 for a name not seen yet. */
static int64_t
balance_of(const struct ledger *l, int32_t acct, int32_t asset)
{
	const struct account *a;

	if (acct < 0 || asset < 0)
		return 0;
	a = account_at(l, acct);
	return (uint32_t)asset < a->ncell ? a->cell[asset].balance : 0;
}

static const struct pos *
pos_of(const struct ledger *l, int32_t acct, int32_t sym)
{
	static const struct pos flat;
	const struct account *a;

	if (acct < 0 || sym < 0)
		return &flat;
	a = account_at(l, acct);
	return (uint32_t)sym < a->npos ? &a->pos[sym] : &flat;
}

/*
 * arr (of *n elements of `size` bytes) grown to hold index i, what is new
 * zeroed; NULL when out of memory, arr then unchanged.  Doubling keeps the
 * cost amortised O(1) per asset or symbol.
 */
static void *
grow_to(void *arr, uint32_t *n, uint32_t i, size_t size)
{
	uint32_t cap;
	char *p;

	if (i < *n)
		return arr;
	cap = *n ? *n * 2 : 8;
	if (cap <= i)
		cap = i + 1;
	if ((p = realloc(arr, (size_t)cap * size)) == NULL)
		return NULL;
	memset(p + (size_t)*n * size, 0, (size_t)(cap - *n) * size);
	*n = cap;
	return p;
}

static int
refuse(char *why, size_t cap, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Write the reason (when the caller wants one) and return rc. */
static int
refuse(char *why, size_t cap, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && cap > 0) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Decimal text of an amount for a message (never fails: 48 is enough). */
static const char *
amount_text(int64_t v, int decimals, char buf[48])
{
	if (fixed_format(v, decimals, buf, 48) < 0)
		snprintf(buf, 48, "%lld units", (long long)v);
	return buf;
}

struct ledger *
ledger_new(void)
{
	struct ledger *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->assets.esize = sizeof(struct asset);
	l->accounts.esize = sizeof(struct account);
	l->symbols.esize = sizeof(struct symbol);
	l->venues.esize = sizeof(struct venue);
	return l;
}

void
ledger_free(struct ledger *l)
{
	uint32_t id;

	if (l == NULL)
		return;
	for (id = 0; id < l->accounts.n; id++) {
		free(account_at(l, (int32_t)id)->cell);
		free(account_at(l, (int32_t)id)->pos);
	}
	names_free(&l->assets);
	names_free(&l->accounts);
	names_free(&l->symbols);
	names_free(&l->venues);
	free(l);
}

/* Id of an asset, adding it at the default precision; -1 out of memory. */
static int32_t
asset_add(struct ledger *l, const char *name, size_t len)
{
	return names_add(&l->assets, name, len,
		&(struct asset){ .decimals = DEFAULT_DECIMALS });
}

int
ledger_set_asset(struct ledger *l, const char *asset, int decimals)
{
	int32_t id;
	struct asset *a;

	if (l == NULL || asset == NULL || *asset == '\0' || decimals < 0 ||
	    decimals > FIXED_MAX_DECIMALS)
		return QD_ERR_INVALID;
	if ((id = asset_add(l, asset, strlen(asset))) < 0)
		return QD_ERR_NOMEM;
	a = asset_at(l, id);
	/* Amounts already posted are counts of the old unit: rescaling
	 * them silently would change their value. */
	if (a->postings > 0 && a->decimals != decimals)
		return QD_ERR_STATE;
	a->decimals = decimals;
	return QD_OK;
}

int
ledger_decimals(const struct ledger *l, const char *asset)
{
	return l == NULL ? DEFAULT_DECIMALS :
		decimals_of(l, names_get(&l->assets, asset));
}

/* Id of an account, opening it with `flags` when new; -1 out of memory. */
static int32_t
account_add(struct ledger *l, const char *name, unsigned flags)
{
	return names_add(&l->accounts, name, strlen(name),
		&(struct account){ .flags = flags });
}

int
ledger_open_account(struct ledger *l, const char *name, unsigned flags)
{
	int32_t id;

	if (l == NULL || name == NULL || *name == '\0' ||
	    (flags & ~(unsigned)ACCOUNT_FLAGS) != 0)
		return QD_ERR_INVALID;
	if ((id = names_get(&l->accounts, name)) >= 0)
		return account_at(l, id)->flags == flags ? QD_OK :
			QD_ERR_STATE;
	return account_add(l, name, flags) < 0 ? QD_ERR_NOMEM : QD_OK;
}

int
ledger_has_account(const struct ledger *l, const char *name)
{
	return l != NULL && names_get(&l->accounts, name) >= 0;
}

/* ---- transactions -------------------------------------------------------- */

/*
 * One leg being checked.  Ids are negative for names not in the books yet
 * (-1, then a provisional id from number_unknown()): an asset is added
 * when the transaction is applied, an account only when it is one the
 * ledger opens itself (flags LEDGER_EXTERNAL: venues, fees, deposits); any
 * other unknown account refuses the transaction.
 */
struct leg {
	const char *acct_name, *asset_name, *kind;
	int32_t acct, asset;
	unsigned flags;        /* the account's */
	int may_short;         /* the base leg of a margin account's fill */
	int head;              /* first leg of its (account, asset) */
	int64_t amount;
	int64_t after;         /* head only: the balance after */
};

/* Same book entry: same id, or both unknown with the same name. */
static int
same_name(int32_t a, int32_t b, const char *na, const char *nb)
{
	return a == b && (a >= 0 || strcmp(na, nb) == 0);
}

/*
 * Names not in the books (id -1) get provisional ids below -1, one per
 * distinct name in the transaction, so that the scans of check_legs()
 * compare integers only; interning later replaces every negative id.
 */
static void
number_unknown(struct leg *leg, size_t n)
{
	int32_t next_acct = -2, next_asset = -2;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (leg[i].acct == -1) {
			for (j = 0; j < i && !(leg[j].acct < -1 &&
			    strcmp(leg[j].acct_name, leg[i].acct_name) == 0);
			    j++)
				;
			leg[i].acct = j < i ? leg[j].acct : next_acct--;
		}
		if (leg[i].asset == -1) {
			for (j = 0; j < i && !(leg[j].asset < -1 &&
			    strcmp(leg[j].asset_name, leg[i].asset_name) == 0);
			    j++)
				;
			leg[i].asset = j < i ? leg[j].asset : next_asset--;
		}
	}
}

/* (account, asset) as one integer. */
static uint64_t
cell_key(const struct leg *g)
{
	return (uint64_t)(uint32_t)g->acct << 32 | (uint32_t)g->asset;
}

/*
 * Stage one of every transaction: is it balanced, does every account
 * exist, and may each balance take its net change?  Fills in each head
 * leg's balance after.  QD_OK, QD_ERR_INVALID (no legs, unknown account,
 * unbalanced, overflow) or QD_ERR_LIMIT (a balance may not go that low).
 *
 * Legs are compared pairwise: a transaction has a handful of them, and
 * a quadratic scan of six beats sorting or hashing them.
 */
static int
check_legs(const struct ledger *l, struct leg *leg, size_t n, char *why,
	size_t cap)
{
	char b1[48], b2[48];
	size_t i, j;

	if (n == 0)
		return refuse(why, cap, QD_ERR_INVALID,
			"a transaction needs at least one leg");
	for (i = 0; i < n; i++)
		if (leg[i].acct < 0 && !(leg[i].flags & LEDGER_EXTERNAL))
			return refuse(why, cap, QD_ERR_INVALID,
				"no account \"%s\"", leg[i].acct_name);
	number_unknown(leg, n);
	/* Every asset sums to zero over the legs. */
	for (i = 0; i < n; i++) {
		i128 sum = 0;

		for (j = 0; j < i && leg[j].asset != leg[i].asset; j++)
			;
		if (j < i)
			continue;         /* this asset was summed already */
		for (j = i; j < n; j++)
			if (leg[j].asset == leg[i].asset)
				sum += leg[j].amount;
		if (sum != 0)
			return refuse(why, cap, QD_ERR_INVALID,
				"unbalanced: the %s legs sum to %s, not zero",
				leg[i].asset_name, sum > INT64_MAX ||
				sum < INT64_MIN ? "more than an int64" :
				amount_text((int64_t)sum,
				decimals_of(l, leg[i].asset), b1));
	}
	/* Each (account, asset) once, with its net change: two legs that
	 * cancel must not be refused for the first one alone. */
	for (i = 0; i < n; i++) {
		int64_t before = balance_of(l, leg[i].acct, leg[i].asset);
		i128 after = before;
		int may_short = 0;

		leg[i].head = 0;
		for (j = 0; j < i && cell_key(&leg[j]) != cell_key(&leg[i]);
		     j++)
			;
		if (j < i)
			continue;
		leg[i].head = 1;
		for (j = i; j < n; j++)
			if (cell_key(&leg[j]) == cell_key(&leg[i])) {
				after += leg[j].amount;
				may_short |= leg[j].may_short;
			}
		if (after > INT64_MAX || after < INT64_MIN)
			return refuse(why, cap, QD_ERR_INVALID,
				"account \"%s\": the %s balance would "
				"overflow", leg[i].acct_name,
				leg[i].asset_name);
		leg[i].after = (int64_t)after;
		/* Only a fall below zero is refused: a short that shrinks,
		 * still negative, is fine. */
		if (after >= 0 || after >= before ||
		    (leg[i].flags & LEDGER_EXTERNAL) ||
		    (may_short && (leg[i].flags & LEDGER_MARGIN)))
			continue;
		return refuse(why, cap, QD_ERR_LIMIT,
			"insufficient funds: account \"%s\" would hold %s %s "
			"(it holds %s)", leg[i].acct_name,
			amount_text((int64_t)after,
			decimals_of(l, leg[i].asset), b1), leg[i].asset_name,
			amount_text(before, decimals_of(l, leg[i].asset), b2));
	}
	return QD_OK;
}

/*
 * Stage two: put every name of the legs into the books and make room for
 * their balances.  The only stage that can fail (out of memory); it may
 * leave names interned but changes no amount.
 */
static int
intern_legs(struct ledger *l, struct leg *leg, size_t n)
{
	struct account *a;
	struct cell *cell;
	size_t i;

	for (i = 0; i < n; i++) {
		if (leg[i].acct < 0 &&
		    (leg[i].acct = account_add(l, leg[i].acct_name,
		    leg[i].flags)) < 0)
			return QD_ERR_NOMEM;
		if (leg[i].asset < 0 &&
		    (leg[i].asset = asset_add(l, leg[i].asset_name,
		    strlen(leg[i].asset_name))) < 0)
			return QD_ERR_NOMEM;
		a = account_at(l, leg[i].acct);
		if ((cell = grow_to(a->cell, &a->ncell,
		    (uint32_t)leg[i].asset, sizeof(*a->cell))) == NULL)
			return QD_ERR_NOMEM;
		a->cell = cell;
	}
	return QD_OK;
}

/*
 * Stage three, which cannot fail: balances from the net changes, posting
 * sums leg by leg, then the sink.  `post` has room for n postings.
 */
static int64_t
apply_legs(struct ledger *l, const struct leg *leg, size_t n,
	int64_t ts_ms, const char *ref, struct ledger_posting *post)
{
	struct cell *c;
	size_t i;

	l->txn++;
	for (i = 0; i < n; i++) {
		c = &account_at(l, leg[i].acct)->cell[leg[i].asset];
		if (leg[i].head)
			c->balance = leg[i].after;
		c->posted += leg[i].amount;
		asset_at(l, leg[i].asset)->postings++;
		post[i].txn = l->txn;
		post[i].ts_ms = ts_ms;
		post[i].kind = leg[i].kind;
		post[i].ref = ref;
		post[i].account = l->accounts.name[leg[i].acct];
		post[i].asset = l->assets.name[leg[i].asset];
		post[i].amount = leg[i].amount;
		post[i].decimals = asset_at(l, leg[i].asset)->decimals;
	}
	if (l->sink != NULL)
		l->sink(l->sink_arg, post, n);
	return l->txn;
}

/*
 * A leg from ids already resolved (-1: not in the books).  A missing
 * account takes `missing` as its flags: LEDGER_EXTERNAL for the accounts
 * the ledger opens itself, 0 (refused by check_legs) for any other.
 */
static void
leg_init(const struct ledger *l, struct leg *g, int32_t acct,
	const char *acct_name, int32_t asset, const char *asset_name,
	int64_t amount, const char *kind, unsigned missing)
{
	*g = (struct leg){
		.acct_name = acct_name, .asset_name = asset_name,
		.kind = kind, .acct = acct, .asset = asset, .amount = amount,
		.flags = acct >= 0 ? account_at(l, acct)->flags : missing,
	};
}

/* A leg by names, looked up. */
static void
leg_set(const struct ledger *l, struct leg *g, const char *acct,
	const char *asset, int64_t amount, const char *kind, unsigned missing)
{
	leg_init(l, g, names_get(&l->accounts, acct), acct,
		names_get(&l->assets, asset), asset, amount, kind, missing);
}

/* All three stages for legs that need no other check. */
static int
post_legs(struct ledger *l, struct leg *leg, size_t n, int64_t ts_ms,
	const char *ref, struct ledger_posting *post, int64_t *txn,
	char *why, size_t cap)
{
	int rc;
	int64_t t;

	if ((rc = check_legs(l, leg, n, why, cap)) != QD_OK)
		return rc;
	if ((rc = intern_legs(l, leg, n)) != QD_OK)
		return refuse(why, cap, rc, "out of memory");
	t = apply_legs(l, leg, n, ts_ms, ref, post);
	if (txn != NULL)
		*txn = t;
	return QD_OK;
}

/* Transactions this small need no allocation. */
#define STACK_LEGS 8

/*
 * A NULL kind is "transfer" and a NULL ref is "": the sink's postings
 * always carry strings.
 */
int
ledger_post(struct ledger *l, int64_t ts_ms, const char *kind,
	const char *ref, const struct ledger_leg *legs, size_t n, int64_t *txn,
	char *why, size_t cap)
{
	struct leg sleg[STACK_LEGS], *leg = sleg;
	struct ledger_posting spost[STACK_LEGS], *post = spost;
	size_t i;
	int rc;

	if (l == NULL || (legs == NULL && n > 0))
		return refuse(why, cap, QD_ERR_INVALID, "no ledger or legs");
	for (i = 0; i < n; i++)
		if (legs[i].account == NULL || legs[i].asset == NULL ||
		    *legs[i].asset == '\0')
			return refuse(why, cap, QD_ERR_INVALID,
				"leg %zu has no account or asset", i);
	if (n > STACK_LEGS) {
		leg = malloc(n * sizeof(*leg));
		post = malloc(n * sizeof(*post));
		if (leg == NULL || post == NULL) {
			rc = refuse(why, cap, QD_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < n; i++)
		leg_set(l, &leg[i], legs[i].account, legs[i].asset,
			legs[i].amount, kind ? kind : "transfer", 0);
	rc = post_legs(l, leg, n, ts_ms, ref ? ref : "", post, txn, why, cap);
out:
	if (leg != sleg)
		free(leg);
	if (post != spost)
		free(post);
	return rc;
}

/* Only positive amounts: taking money out is a transfer to a named
 * account, which the ordinary rules govern. */
int
ledger_deposit(struct ledger *l, const char *account, const char *asset,
	int64_t amount, int64_t ts_ms, const char *ref)
{
	struct leg leg[2];
	struct ledger_posting post[2];

	if (l == NULL || account == NULL || asset == NULL || *asset == '\0' ||
	    amount <= 0)
		return QD_ERR_INVALID;
	leg_set(l, &leg[0], account, asset, amount, "deposit", 0);
	leg_set(l, &leg[1], DEPOSITS, asset, -amount, "deposit",
		LEDGER_EXTERNAL);
	return post_legs(l, leg, 2, ts_ms, ref ? ref : "", post, NULL, NULL,
		0);
}

/* ---- quantities and prices ----------------------------------------------- */

static int
bits128(u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64);

	if (hi != 0)
		return 128 - __builtin_clzll(hi);
	return v == 0 ? 0 : 64 - __builtin_clzll((uint64_t)v);
}

/* p / 2^r rounded half up, r >= 1. */
static u128
shift_round(u128 p, int r)
{
	if (r > 128)
		return 0;
	if (r == 128)
		return p >> 127;
	return (p >> r) + ((p >> (r - 1)) & 1);
}

/* n / d rounded half up. */
static u128
div_round(u128 n, u128 d)
{
	u128 q = n / d, r = n % d;

	return q + (r >= d - r);
}

/*
 * qty x price x 10^k rounded half up, exactly: price is split into
 * m * 2^e (m < 2^53 an odd integer) and 10^k into 5^k * 2^k, so the
 * product is an integer times a power of two, or (k < 0) over 5^-k.
 * Both fit 128 bits except qty * m * 5^k, which may need up to 158; that
 * one case is carried as T * 2^64 + lo, and then only T's bits matter
 * unless the shift is exactly 64.  0 and *out, or -1 when the result
 * exceeds INT64_MAX (or 2^63 when `neg`).
 */
static int
scale_product(uint64_t qty, double price, int k, int neg, uint64_t *out)
{
	u128 q, limit = (u128)INT64_MAX + (neg != 0);
	uint64_t m;
	int e, f;

	m = (uint64_t)ldexp(frexp(price, &e), 53);
	e -= 53;
	f = __builtin_ctzll(m);               /* m > 0: price > 0 */
	m >>= f;
	e += f;
	f = e + k;                            /* the power of two */
	if (qty == 0) {
		q = 0;
	} else if (k >= 0) {
		u128 M = (u128)m * (uint64_t)(fixed_pow10(k) >> k);

		if (bits128(qty) + bits128(M) <= 127) {
			u128 p = (u128)qty * M;

			if (f >= 0) {
				if (f > 63 || p > (limit >> f))
					return -1;
				q = p << f;
			} else {
				q = shift_round(p, -f);
			}
		} else {
			/* p = t * 2^64 + lo >= 2^126: shifted by 63 or
			 * fewer bits it is 2^63 or more.  Only -2^63 would
			 * fit, and that needs qty a power of two and m * 5^k
			 * within 2^-64 of one, which no odd m < 2^53 and
			 * k <= 18 is (an exhaustive search says). */
			u128 lo = (u128)qty * (uint64_t)M;
			u128 t = (u128)qty * (uint64_t)(M >> 64) + (lo >> 64);

			if (f > -64)
				return -1;
			q = f == -64 ? t + ((uint64_t)lo >> 63) :
				shift_round(t, -f - 64);
		}
	} else {
		u128 n = (u128)qty * m;       /* < 2^116 */
		u128 d5 = (u128)(fixed_pow10(-k) >> -k);

		if (f >= 0) {
			if (bits128(n) + f > 127)
				return -1;
			q = div_round(n << f, d5);
		} else if (bits128(d5) - f > 126) {
			q = 0;                /* n < 2^117 < half of it */
		} else {
			q = div_round(n, d5 << -f);
		}
	}
	if (q > limit)
		return -1;
	*out = (uint64_t)q;
	return 0;
}

/*
 * Signed qty (base units at base decimals bd) x price in quote units at
 * quote decimals qd: |qty| x price x 10^(qd - bd), rounded half away from
 * zero once, then given qty's sign.  QD_ERR_INVALID on overflow or a
 * price that is not finite and positive.
 */
static int
notional_dec(int64_t qty, double price, int bd, int qd, int64_t *out)
{
	uint64_t mag = qty < 0 ? 0 - (uint64_t)qty : (uint64_t)qty, v;

	if (!isfinite(price) || !(price > 0) ||
	    scale_product(mag, price, qd - bd, qty < 0, &v) != 0)
		return QD_ERR_INVALID;
	*out = qty < 0 ? (int64_t)(0 - v) : (int64_t)v;
	return QD_OK;
}

/* The assets of a symbol: ids, and names (copied into `base`/`quote`
 * when the symbol is not in the books yet). */
struct pair {
	int32_t sym, base, quote;
	const char *base_name, *quote_name;
	char base_buf[NAME_MAX_LEN + 1], quote_buf[NAME_MAX_LEN + 1];
};

/* Split "BASE/QUOTE": one slash, neither side empty, the sides differ. */
static int
pair_resolve(const struct ledger *l, const char *symbol, struct pair *p)
{
	const char *slash;
	size_t nb, nq;

	if (symbol == NULL)
		return QD_ERR_INVALID;
	if ((p->sym = names_get(&l->symbols, symbol)) >= 0) {
		const struct symbol *s = symbol_at(l, p->sym);

		p->base = s->base;
		p->quote = s->quote;
		p->base_name = l->assets.name[s->base];
		p->quote_name = l->assets.name[s->quote];
		return QD_OK;
	}
	if ((slash = strchr(symbol, '/')) == NULL ||
	    strchr(slash + 1, '/') != NULL)
		return QD_ERR_INVALID;
	nb = (size_t)(slash - symbol);
	nq = strlen(slash + 1);
	if (nb == 0 || nq == 0 || nb > NAME_MAX_LEN || nq > NAME_MAX_LEN ||
	    (nb == nq && memcmp(symbol, slash + 1, nb) == 0))
		return QD_ERR_INVALID;
	memcpy(p->base_buf, symbol, nb);
	p->base_buf[nb] = '\0';
	memcpy(p->quote_buf, slash + 1, nq);
	p->quote_buf[nq] = '\0';
	p->base_name = p->base_buf;
	p->quote_name = p->quote_buf;
	p->base = names_find(&l->assets, symbol, nb);
	p->quote = names_find(&l->assets, slash + 1, nq);
	return QD_OK;
}

/* Id of a symbol, adding it (and its assets); -1 out of memory. */
static int32_t
symbol_add(struct ledger *l, const char *symbol, const struct pair *p)
{
	int32_t base, quote;

	if (p->sym >= 0)
		return p->sym;
	if ((base = asset_add(l, p->base_name, strlen(p->base_name))) < 0 ||
	    (quote = asset_add(l, p->quote_name, strlen(p->quote_name))) < 0)
		return -1;
	return names_add(&l->symbols, symbol, strlen(symbol),
		&(struct symbol){ .base = base, .quote = quote });
}

int
ledger_notional(const struct ledger *l, const char *symbol, int64_t qty,
	double price, int64_t *out)
{
	struct pair p;

	if (l == NULL || out == NULL || pair_resolve(l, symbol, &p) != QD_OK)
		return QD_ERR_INVALID;
	return notional_dec(qty, price, decimals_of(l, p.base),
		decimals_of(l, p.quote), out);
}

/* ---- fills --------------------------------------------------------------- */

/* Everything ledger_fill() will write, worked out before writing. */
struct fill_plan {
	struct pair pair;
	struct leg leg[6];
	size_t n;
	int32_t acct, venue;
	int64_t notional;
	struct pos pos;                   /* the position after */
	char venue_acct[NAME_MAX_LEN + 1], fees_acct[NAME_MAX_LEN + 1];
};

/* Sign of x as -1, 0, 1. */
static int
sgn(int64_t x)
{
	return (x > 0) - (x < 0);
}

static int64_t
mag64(int64_t x)
{
	return x < 0 ? -x : x;      /* quantities are never INT64_MIN */
}

/*
 * The position after a fill of signed quantity s whose quote amount is
 * n (>= 0).  The quote the account receives is flow = -sign(s) * n; in
 * every case realized - cost moves by exactly flow, so a position that is
 * flat has realized the net flow of its fills.  QD_ERR_INVALID on
 * overflow.
 */
static int
position_after(const struct pos *old, int64_t s, int64_t n, struct pos *p)
{
	i128 flow = -(i128)sgn(s) * n, qty = (i128)old->qty + s;
	i128 realized = old->realized, cost = old->cost;
	int64_t part;

	if (old->qty == 0 || sgn(old->qty) == sgn(s)) {
		cost -= flow;                         /* opening or adding */
	} else if (qty == 0 || sgn((int64_t)qty) == sgn(old->qty)) {
		/* Reducing: the closed share of the cost goes with it. */
		if (fixed_muldiv(old->cost, mag64(s), mag64(old->qty),
		    &part) != QD_OK)
			return QD_ERR_INVALID;
		realized += flow - part;
		cost -= part;
	} else {
		/* Reversing: the old position closes at its share of n,
		 * the rest opens at the fill price. */
		if (fixed_muldiv(n, mag64(old->qty), mag64(s), &part) != QD_OK)
			return QD_ERR_INVALID;
		realized += -(i128)sgn(s) * part - old->cost;
		cost = (i128)sgn(s) * (n - part);
	}
	/* INT64_MIN is kept out of quantities so |qty| always exists. */
	if (qty > INT64_MAX || qty <= INT64_MIN || cost > INT64_MAX ||
	    cost < INT64_MIN || realized > INT64_MAX || realized < INT64_MIN)
		return QD_ERR_INVALID;
	p->qty = (int64_t)qty;
	p->cost = (int64_t)cost;
	p->realized = (int64_t)realized;
	p->fees = old->fees;
	p->traded = 1;
	return QD_OK;
}

/*
 * Signed value of qty of symbol y at price, quote units; a value beyond
 * int64 is taken as the int64 limit of its sign (only an absurd book
 * gets there, and a short's value saturating can only refuse more).
 */
static int64_t
value_at(const struct ledger *l, const struct symbol *y, int64_t qty,
	double price)
{
	int64_t v;

	if (qty == 0 || !(price > 0))
		return 0;
	if (notional_dec(qty, price, decimals_of(l, y->base),
	    decimals_of(l, y->quote), &v) != QD_OK)
		return qty < 0 ? -INT64_MAX : INT64_MAX;
	return v;
}

/*
 * cash plus every position of the account quoted in `quote` at its mark,
 * except symbol `skip` (-1: none), in 128 bits.
 */
static i128
equity_with(const struct ledger *l, int32_t acct, int32_t quote, i128 cash,
	int32_t skip)
{
	const struct account *a = account_at(l, acct);
	i128 eq = cash;
	uint32_t s;

	if (quote < 0)
		return eq;            /* no symbol is quoted in it yet */
	for (s = 0; s < a->npos; s++) {
		const struct symbol *y = symbol_at(l, (int32_t)s);

		if ((int32_t)s != skip && a->pos[s].qty != 0 &&
		    y->quote == quote)
			eq += value_at(l, y, a->pos[s].qty, y->mark);
	}
	return eq;
}

static int64_t
clamp64(i128 v)
{
	return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN :
		(int64_t)v;
}

/*
 * Stage one of a fill, all of ledger_check_fill() and the first part of
 * ledger_fill(): the legs, checked; the position after; and for a margin
 * account whose short opens or grows, the 1x rule with the equity after
 * the fill (fee paid, this symbol at the fill price).  Writes nothing.
 */
static int
plan_fill(const struct ledger *l, const struct ledger_fill *f,
	struct fill_plan *p, char *why, size_t cap)
{
	const struct pair *pr = &p->pair;
	const char *acct_name, *venue_name, *fees_name, *fa_name;
	int32_t venue_acct = -1, fees_acct = -1, fa;
	int64_t s, flow, fee_quote = 0, need;
	const struct pos *old;
	char b1[48], b2[48];
	int bd, qd;
	i128 eq;

	if (l == NULL || f == NULL || f->account == NULL ||
	    f->venue == NULL || *f->venue == '\0' ||
	    (f->side != QD_SIDE_BUY && f->side != QD_SIDE_SELL) ||
	    f->qty <= 0 || !isfinite(f->price) || !(f->price > 0) ||
	    f->fee < 0 || (f->fee_asset != NULL && *f->fee_asset == '\0'))
		return refuse(why, cap, QD_ERR_INVALID, "malformed fill: it "
			"needs an account, a venue, a side, qty > 0, a "
			"finite price > 0, fee >= 0 and a fee asset that is "
			"NULL or named");
	if ((p->acct = names_get(&l->accounts, f->account)) < 0)
		return refuse(why, cap, QD_ERR_INVALID, "no account \"%s\"",
			f->account);
	acct_name = l->accounts.name[p->acct];
	if (pair_resolve(l, f->symbol, &p->pair) != QD_OK)
		return refuse(why, cap, QD_ERR_INVALID, "symbol \"%s\" is "
			"not BASE/QUOTE", f->symbol ? f->symbol : "(null)");
	bd = decimals_of(l, pr->base);
	qd = decimals_of(l, pr->quote);
	if (notional_dec(f->qty, f->price, bd, qd, &p->notional) != QD_OK)
		return refuse(why, cap, QD_ERR_INVALID, "%s %s at %.17g "
			"overflows the quote amount", amount_text(f->qty, bd,
			b1), pr->base_name, f->price);

	/* The venue's two accounts, from the cache once opened. */
	if ((p->venue = names_get(&l->venues, f->venue)) >= 0) {
		venue_acct = venue_at(l, p->venue)->acct;
		fees_acct = venue_at(l, p->venue)->fees;
		venue_name = l->accounts.name[venue_acct];
		fees_name = l->accounts.name[fees_acct];
	} else {
		if (strlen(f->venue) > NAME_MAX_LEN - sizeof("venue:"))
			return refuse(why, cap, QD_ERR_INVALID, "venue name "
				"\"%s\" is too long", f->venue);
		snprintf(p->venue_acct, sizeof(p->venue_acct), "venue:%s",
			f->venue);
		snprintf(p->fees_acct, sizeof(p->fees_acct), "fees:%s",
			f->venue);
		venue_name = p->venue_acct;
		fees_name = p->fees_acct;
		venue_acct = names_get(&l->accounts, venue_name);
		fees_acct = names_get(&l->accounts, fees_name);
	}

	s = f->side == QD_SIDE_BUY ? f->qty : -f->qty;
	flow = f->side == QD_SIDE_BUY ? -p->notional : p->notional;
	leg_init(l, &p->leg[0], p->acct, acct_name, pr->base, pr->base_name,
		s, "trade", 0);
	p->leg[0].may_short = 1;
	leg_init(l, &p->leg[1], venue_acct, venue_name, pr->base,
		pr->base_name, -s, "trade", LEDGER_EXTERNAL);
	/* The user's quote leg comes before any other leg of that (account,
	 * asset), so it is the head and its `after` is the cash after. */
	leg_init(l, &p->leg[2], p->acct, acct_name, pr->quote, pr->quote_name,
		flow, "trade", 0);
	leg_init(l, &p->leg[3], venue_acct, venue_name, pr->quote,
		pr->quote_name, -flow, "trade", LEDGER_EXTERNAL);
	p->n = 4;
	if (f->fee_asset == NULL) {
		fa = pr->quote;
		fa_name = pr->quote_name;
	} else {
		fa = names_get(&l->assets, f->fee_asset);
		fa_name = f->fee_asset;
	}
	if (f->fee > 0) {
		leg_init(l, &p->leg[4], p->acct, acct_name, fa, fa_name,
			-f->fee, "fee", 0);
		leg_init(l, &p->leg[5], fees_acct, fees_name, fa, fa_name,
			f->fee, "fee", LEDGER_EXTERNAL);
		p->n = 6;
	}
	{
		int rc = check_legs(l, p->leg, p->n, why, cap);

		if (rc != QD_OK)
			return rc;
	}

	/* The position's fees are in quote units: a fee in the base asset
	 * is valued at the fill price, one in a third asset is not counted
	 * there (the balances and postings have it). */
	if (same_name(fa, pr->quote, fa_name, pr->quote_name))
		fee_quote = f->fee;
	else if (same_name(fa, pr->base, fa_name, pr->base_name) &&
	    notional_dec(f->fee, f->price, bd, qd, &fee_quote) != QD_OK)
		return refuse(why, cap, QD_ERR_INVALID, "the fee overflows");
	old = pos_of(l, p->acct, pr->sym);
	if (position_after(old, s, p->notional, &p->pos) != QD_OK ||
	    __builtin_add_overflow(p->pos.fees, fee_quote, &p->pos.fees))
		return refuse(why, cap, QD_ERR_INVALID, "the position in %s "
			"would overflow", f->symbol);

	/* 1x: a short that opens or grows must be covered by equity. */
	if (!(account_at(l, p->acct)->flags & LEDGER_MARGIN) ||
	    p->pos.qty >= 0 || p->pos.qty >= old->qty)
		return QD_OK;
	need = value_at(l, &(struct symbol){ pr->base, pr->quote, 0 },
		-p->pos.qty, f->price);
	eq = equity_with(l, p->acct, pr->quote, p->leg[2].after, pr->sym) -
		need;
	if ((i128)need <= eq)
		return QD_OK;
	return refuse(why, cap, QD_ERR_LIMIT, "insufficient margin: a short "
		"of %s %s at %.17g needs %s %s of equity, account \"%s\" "
		"would have %s", amount_text(-p->pos.qty, bd, b1),
		pr->base_name, f->price, amount_text(need, qd, b2),
		pr->quote_name, acct_name,
		amount_text(clamp64(eq), qd, (char[48]){ 0 }));
}

int
ledger_check_fill(const struct ledger *l, const struct ledger_fill *f,
	char *why, size_t cap)
{
	struct fill_plan p;

	return plan_fill(l, f, &p, why, cap);
}

/*
 * One transaction: the four trade legs (kind "trade") and, when there is
 * a fee, two fee legs (kind "fee"), so a fill and its fee stand or fall
 * together and share a transaction number.
 */
int
ledger_fill(struct ledger *l, const struct ledger_fill *f, int64_t *txn,
	char *why, size_t cap)
{
	struct ledger_posting post[6];
	struct fill_plan p;
	struct account *a;
	struct pos *pos;
	int32_t sym;
	int64_t t;
	int rc;

	if ((rc = plan_fill(l, f, &p, why, cap)) != QD_OK)
		return rc;
	/* Stage two: names and room, no amount yet. */
	if ((sym = symbol_add(l, f->symbol, &p.pair)) < 0 ||
	    intern_legs(l, p.leg, p.n) != QD_OK)
		return refuse(why, cap, QD_ERR_NOMEM, "out of memory");
	if (p.venue < 0) {
		int32_t vacct = p.leg[1].acct;
		int32_t facct = account_add(l, p.fees_acct, LEDGER_EXTERNAL);

		if (facct < 0 || names_add(&l->venues, f->venue,
		    strlen(f->venue), &(struct venue){ vacct, facct }) < 0)
			return refuse(why, cap, QD_ERR_NOMEM, "out of memory");
	}
	a = account_at(l, p.acct);
	if ((pos = grow_to(a->pos, &a->npos, (uint32_t)sym,
	    sizeof(*a->pos))) == NULL)
		return refuse(why, cap, QD_ERR_NOMEM, "out of memory");
	a->pos = pos;
	/* Stage three. */
	t = apply_legs(l, p.leg, p.n, f->ts_ms, f->ref ? f->ref : "", post);
	a->pos[sym] = p.pos;
	symbol_at(l, sym)->mark = f->price;
	if (txn != NULL)
		*txn = t;
	return QD_OK;
}

/* ---- reading the books --------------------------------------------------- */

void
ledger_mark(struct ledger *l, const char *symbol, double price)
{
	struct pair p;
	int32_t sym;

	if (l == NULL || !isfinite(price) || !(price > 0) ||
	    pair_resolve(l, symbol, &p) != QD_OK ||
	    (sym = symbol_add(l, symbol, &p)) < 0)
		return;
	symbol_at(l, sym)->mark = price;
}

double
ledger_mark_price(const struct ledger *l, const char *symbol)
{
	int32_t sym;

	if (l == NULL || (sym = names_get(&l->symbols, symbol)) < 0)
		return 0;
	return symbol_at(l, sym)->mark;
}

int64_t
ledger_balance(const struct ledger *l, const char *account,
	const char *asset)
{
	if (l == NULL)
		return 0;
	return balance_of(l, names_get(&l->accounts, account),
		names_get(&l->assets, asset));
}

/* The public view of a position: the average entry from the cost. */
static void
position_view(const struct ledger *l, int32_t sym, const struct pos *ps,
	struct ledger_position *out)
{
	const struct symbol *y = symbol_at(l, sym);
	int d = decimals_of(l, y->base) - decimals_of(l, y->quote);
	long double avg = 0;

	if (ps->qty != 0) {
		avg = (long double)mag64(ps->cost) / mag64(ps->qty);
		avg = d >= 0 ? avg * fixed_pow10(d) : avg / fixed_pow10(-d);
	}
	out->qty = ps->qty;
	out->avg_price = (double)avg;
	out->realized = ps->realized;
	out->fees = ps->fees;
}

int
ledger_position(const struct ledger *l, const char *account,
	const char *symbol, struct ledger_position *out)
{
	int32_t acct, sym;
	const struct pos *ps;

	if (l == NULL || out == NULL)
		return QD_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	if ((acct = names_get(&l->accounts, account)) < 0)
		return QD_ERR_NOTFOUND;
	sym = names_get(&l->symbols, symbol);
	ps = pos_of(l, acct, sym);
	if (ps->traded)
		position_view(l, sym, ps, out);
	return QD_OK;
}

/* Value at the mark minus the cost basis, clamped to int64. */
int64_t
ledger_unrealized(const struct ledger *l, const char *account,
	const char *symbol)
{
	int32_t acct, sym;
	const struct pos *ps;
	const struct symbol *y;

	if (l == NULL || (acct = names_get(&l->accounts, account)) < 0 ||
	    (sym = names_get(&l->symbols, symbol)) < 0)
		return 0;
	ps = pos_of(l, acct, sym);
	if (ps->qty == 0)
		return 0;
	y = symbol_at(l, sym);
	return clamp64((i128)value_at(l, y, ps->qty, y->mark) - ps->cost);
}

int64_t
ledger_equity(const struct ledger *l, const char *account,
	const char *quote)
{
	int32_t acct, q;

	if (l == NULL || (acct = names_get(&l->accounts, account)) < 0)
		return 0;
	q = names_get(&l->assets, quote);
	return clamp64(equity_with(l, acct, q, balance_of(l, acct, q), -1));
}

/* The account called `name`, or NULL. */
static const struct account *
account_named(const struct ledger *l, const char *name)
{
	int32_t id = l == NULL ? -1 : names_get(&l->accounts, name);

	return id < 0 ? NULL : account_at(l, id);
}

void
ledger_each_balance(const struct ledger *l, const char *account,
	int (*fn)(void *arg, const char *asset, int64_t amount, int decimals),
	void *arg)
{
	const struct account *a = account_named(l, account);
	uint32_t i;

	if (a == NULL || fn == NULL)
		return;
	for (i = 0; i < a->ncell; i++)
		if (a->cell[i].balance != 0 &&
		    fn(arg, l->assets.name[i], a->cell[i].balance,
		    asset_at(l, (int32_t)i)->decimals) != 0)
			return;
}

void
ledger_each_position(const struct ledger *l, const char *account,
	int (*fn)(void *arg, const char *symbol,
	const struct ledger_position *p), void *arg)
{
	const struct account *a = account_named(l, account);
	struct ledger_position v;
	uint32_t i;

	if (a == NULL || fn == NULL)
		return;
	for (i = 0; i < a->npos; i++) {
		if (!a->pos[i].traded)
			continue;
		position_view(l, (int32_t)i, &a->pos[i], &v);
		if (fn(arg, l->symbols.name[i], &v) != 0)
			return;
	}
}

/* Text of a 128-bit sum for a message: exact when it fits an int64. */
static const char *
sum_text(i128 v, int decimals, char buf[48])
{
	if (v > INT64_MAX || v < INT64_MIN) {
		snprintf(buf, 48, "%s", v < 0 ? "below -2^63 units" :
			"above 2^63 units");
		return buf;
	}
	return amount_text((int64_t)v, decimals, buf);
}

/*
 * Per (account, asset) first, so a broken balance is named where it is;
 * then the sums over accounts, which a single wrong balance breaks too.
 * An ordinary account's negative balance is a broken book as well.
 */
int
ledger_reconcile(const struct ledger *l, char *why, size_t cap)
{
	const struct account *a;
	char b1[48], b2[48];
	uint32_t acct, i;
	int d;

	if (l == NULL)
		return refuse(why, cap, QD_ERR_INVALID, "no ledger");
	for (acct = 0; acct < l->accounts.n; acct++) {
		a = account_at(l, (int32_t)acct);
		for (i = 0; i < a->ncell; i++) {
			const struct cell *c = &a->cell[i];

			d = asset_at(l, (int32_t)i)->decimals;
			if ((i128)c->balance != c->posted)
				return refuse(why, cap, QD_ERR_INTERNAL,
					"account \"%s\": the %s balance is %s "
					"but its postings sum to %s",
					l->accounts.name[acct],
					l->assets.name[i],
					amount_text(c->balance, d, b1),
					sum_text(c->posted, d, b2));
			if (c->balance < 0 && !(a->flags &
			    (LEDGER_EXTERNAL | LEDGER_MARGIN)))
				return refuse(why, cap, QD_ERR_INTERNAL,
					"ordinary account \"%s\" holds %s %s",
					l->accounts.name[acct],
					amount_text(c->balance, d, b1),
					l->assets.name[i]);
		}
	}
	for (i = 0; i < l->assets.n; i++) {
		i128 sum = 0;

		for (acct = 0; acct < l->accounts.n; acct++) {
			a = account_at(l, (int32_t)acct);
			if (i < a->ncell)
				sum += a->cell[i].balance;
		}
		if (sum != 0)
			return refuse(why, cap, QD_ERR_INTERNAL, "%s sums to %s "
				"over all accounts, not zero",
				l->assets.name[i], sum_text(sum,
				asset_at(l, (int32_t)i)->decimals, b1));
	}
	return QD_OK;
}

void
ledger_set_sink(struct ledger *l,
	void (*fn)(void *arg, const struct ledger_posting *p, size_t n),
	void *arg)
{
	if (l == NULL)
		return;
	l->sink = fn;
	l->sink_arg = arg;
}
