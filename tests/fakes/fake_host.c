/*
 * fake_host.c -- a recording host for strategy unit tests (fake_host.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/indicator.h"
#include "plugin/params.h"
#include "plugin/plugin.h"

#include "fake_host.h"

#define MAX_SYMBOLS 16
#define MAX_INDICATORS 64
#define MAX_LOG 100000

/* The strategy's qd_ctx: a way back to the fake host. */
struct qd_ctx {
	struct fake_host *h;
};

struct sym_state {
	char name[32];
	double qty, avg, last_close;
};

struct annotation {
	char kind[64];
	char *json;
};

struct fake_host {
	struct qd_ctx ctx;
	struct plugin_registry *reg;
	const struct qd_strategy_ops *ops;
	qd_params *params;
	void *state;
	int created;

	double cash, fee_rate;
	int64_t now;
	uint32_t tf;
	size_t nbar;              /* bars handed over so far */
	size_t cur;               /* index of the bar being handled */

	struct sym_state syms[MAX_SYMBOLS];
	size_t nsyms;

	struct fake_order *orders;
	size_t norders, cap_orders;
	size_t cancels;

	qd_indicator *inds[MAX_INDICATORS];
	size_t ninds;

	char **log;
	size_t nlog, cap_log;
	struct annotation *ann;
	size_t nann, cap_ann;
};

static struct fake_host *
host_of(qd_ctx *ctx)
{
	return ctx->h;
}

/* Grow *arr (of elements of `size`) so index *n fits; 0 or -1. */
static int
grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t nc;
	void *p;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 64;
	p = realloc(*arr, nc * size);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = nc;
	return 0;
}

/* ---- the host API -------------------------------------------------------- */

static void f_log(qd_ctx *ctx, enum qd_log_level level, const char *fmt, ...)
	QD_PRINTF(3, 4);

/* Keep every line (up to MAX_LOG), prefixed with its level. */
static void
f_log(qd_ctx *ctx, enum qd_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	struct fake_host *h = host_of(ctx);
	char line[1024];
	int off;
	va_list ap;

	off = snprintf(line, sizeof(line), "%s ",
		(unsigned)level < 4 ? names[level] : "?");
	va_start(ap, fmt);
	vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
	va_end(ap);
	if (h->nlog >= MAX_LOG || grow((void **)&h->log, &h->cap_log, h->nlog,
	    sizeof(*h->log)) != 0)
		return;
	if ((h->log[h->nlog] = strdup(line)) != NULL)
		h->nlog++;
}

static int64_t
f_now(qd_ctx *ctx)
{
	return host_of(ctx)->now;
}

static qd_symbol
f_intern(qd_ctx *ctx, const char *canonical)
{
	return fake_host_symbol(host_of(ctx), canonical);
}

static const char *
f_symbol_name(qd_ctx *ctx, qd_symbol sym)
{
	struct fake_host *h = host_of(ctx);

	return sym >= 1 && sym <= h->nsyms ? h->syms[sym - 1].name : NULL;
}

static int
f_subscribe(qd_ctx *ctx, qd_symbol sym, uint32_t tf)
{
	(void)ctx;
	(void)sym;
	(void)tf;
	return QD_OK;
}

static int
f_timer_add(qd_ctx *ctx, int64_t after, int64_t every, uint64_t *id)
{
	(void)ctx;
	(void)after;
	(void)every;
	(void)id;
	return QD_ERR_UNSUPPORTED;
}

static int
f_timer_cancel(qd_ctx *ctx, uint64_t id)
{
	(void)ctx;
	(void)id;
	return QD_ERR_NOTFOUND;
}

/* Indicators come from the real pack through the registry. */
static int
f_indicator_new(qd_ctx *ctx, const char *name, const struct qd_kv *kv,
	uint32_t n, qd_indicator **out)
{
	struct fake_host *h = host_of(ctx);
	char err[256];
	qd_indicator *ind;

	if (h->ninds == MAX_INDICATORS)
		return QD_ERR_LIMIT;
	ind = indicator_new(h->reg, name, kv, n, err, sizeof(err));
	if (ind == NULL) {
		f_log(ctx, QD_LOG_ERROR, "indicator_new %s: %s", name, err);
		return QD_ERR_INVALID;
	}
	indicator_set_owner(ind, h);
	h->inds[h->ninds++] = ind;
	*out = ind;
	return QD_OK;
}

/* The plugin frees one early: free it now and forget it, so that
 * fake_host_free frees only the rest (as the host does at destroy). */
static void
f_indicator_free(qd_indicator *ind)
{
	struct fake_host *h = indicator_owner(ind);
	size_t i;

	for (i = 0; h != NULL && i < h->ninds; i++)
		if (h->inds[i] == ind) {
			h->inds[i] = h->inds[--h->ninds];
			indicator_free(ind);
			return;
		}
}

static int
f_order_submit(qd_ctx *ctx, const struct qd_order_req *r, uint64_t *id)
{
	struct fake_host *h = host_of(ctx);
	struct fake_order *o;

	if (r == NULL || r->size < sizeof(*r) || !(r->qty > 0) ||
	    r->symbol == 0 || r->symbol > h->nsyms ||
	    (r->side != QD_SIDE_BUY && r->side != QD_SIDE_SELL) ||
	    ((r->type == QD_ORDER_LIMIT || r->type == QD_ORDER_STOP_LIMIT) &&
	    !(r->price > 0)) ||
	    ((r->type == QD_ORDER_STOP || r->type == QD_ORDER_STOP_LIMIT) &&
	    !(r->stop_price > 0)) ||
	    r->type < QD_ORDER_MARKET || r->type > QD_ORDER_STOP_LIMIT)
		return QD_ERR_INVALID;
	if (grow((void **)&h->orders, &h->cap_orders, h->norders,
	    sizeof(*h->orders)) != 0)
		return QD_ERR_NOMEM;
	o = &h->orders[h->norders];
	memset(o, 0, sizeof(*o));
	o->id = h->norders + 1;
	o->req = *r;
	o->req.tag = NULL;
	if (r->tag != NULL)
		snprintf(o->tag, sizeof(o->tag), "%s", r->tag);
	o->bar = h->cur;
	o->state = QD_ORDER_PENDING;
	h->norders++;
	if (id != NULL)
		*id = o->id;
	return QD_OK;
}

static int
f_order_cancel(qd_ctx *ctx, uint64_t id)
{
	struct fake_host *h = host_of(ctx);
	struct fake_order *o;

	h->cancels++;
	if (id == 0 || id > h->norders)
		return QD_ERR_NOTFOUND;
	o = &h->orders[id - 1];
	if (o->state != QD_ORDER_PENDING)
		return QD_ERR_STATE;
	o->state = QD_ORDER_CANCELED;
	o->done_bar = h->cur;
	return QD_OK;
}

static int
f_position_get(qd_ctx *ctx, qd_symbol sym, struct qd_position *out)
{
	struct fake_host *h = host_of(ctx);
	const struct sym_state *s;

	if (out == NULL || out->size < sizeof(*out))
		return QD_ERR_INVALID;
	if (sym == 0 || sym > h->nsyms)
		return QD_ERR_NOTFOUND;
	s = &h->syms[sym - 1];
	out->symbol = sym;
	out->qty = s->qty;
	out->avg_price = s->avg;
	out->realized_pnl = 0;
	out->unrealized_pnl = s->qty != 0 ? s->qty * (s->last_close - s->avg) :
		0;
	return QD_OK;
}

static int
f_account_get(qd_ctx *ctx, struct qd_account *out)
{
	struct fake_host *h = host_of(ctx);

	if (out == NULL || out->size < sizeof(*out))
		return QD_ERR_INVALID;
	out->cash = h->cash;
	out->equity = fake_host_equity(h);
	out->fees_paid = 0;
	return QD_OK;
}

/* Keep the annotation; JSON is not parsed here (the real hosts do). */
static int
f_annotate(qd_ctx *ctx, const char *kind, const char *json)
{
	struct fake_host *h = host_of(ctx);
	struct annotation *a;

	if (kind == NULL || json == NULL || json[0] != '{' ||
	    strlen(json) > 4096)
		return QD_ERR_INVALID;
	if (grow((void **)&h->ann, &h->cap_ann, h->nann, sizeof(*h->ann)) != 0)
		return QD_ERR_NOMEM;
	a = &h->ann[h->nann];
	snprintf(a->kind, sizeof(a->kind), "%s", kind);
	if ((a->json = strdup(json)) == NULL)
		return QD_ERR_NOMEM;
	h->nann++;
	return QD_OK;
}

static const struct qd_host_api fake_api = {
	.size = sizeof(struct qd_host_api),
	.abi_major = QD_ABI_MAJOR,
	.abi_minor = QD_ABI_MINOR,
	.log = f_log,
	.now_ns = f_now,
	.param_int = params_int,
	.param_double = params_double,
	.param_bool = params_bool,
	.param_string = params_string,
	.symbol_intern = f_intern,
	.symbol_name = f_symbol_name,
	.timer_add = f_timer_add,
	.timer_cancel = f_timer_cancel,
	.indicator_new = f_indicator_new,
	.indicator_update = indicator_update,
	.indicator_outputs = indicator_outputs,
	.indicator_output_name = indicator_output_name,
	.indicator_lookback = indicator_lookback,
	.indicator_free = f_indicator_free,
	.subscribe = f_subscribe,
	.order_submit = f_order_submit,
	.order_cancel = f_order_cancel,
	.position_get = f_position_get,
	.account_get = f_account_get,
	.annotate = f_annotate,
};

/* ---- matching ------------------------------------------------------------- */

/* Book a fill into the account and tell the strategy. */
static void
fill(struct fake_host *h, struct fake_order *o, double price)
{
	struct sym_state *s = &h->syms[o->req.symbol - 1];
	double q = o->req.side == QD_SIDE_BUY ? o->req.qty : -o->req.qty;
	double fee = o->req.qty * price * h->fee_rate;
	struct qd_order_update u;

	h->cash -= q * price + fee;
	if (s->qty == 0 || (s->qty > 0) == (q > 0))
		s->avg = (s->avg * fabs(s->qty) + price * fabs(q)) /
			(fabs(s->qty) + fabs(q));
	else if (fabs(q) > fabs(s->qty))
		s->avg = price;          /* reversed: the rest opens at price */
	s->qty += q;
	if (fabs(s->qty) < 1e-12) {
		s->qty = 0;
		s->avg = 0;
	}
	o->state = QD_ORDER_FILLED;
	o->done_bar = h->cur;
	o->fill_price = price;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.order_id = o->id;
	u.symbol = o->req.symbol;
	u.side = o->req.side;
	u.type = o->req.type;
	u.state = QD_ORDER_FILLED;
	u.ts = h->now;
	u.qty = o->req.qty;
	u.price = o->req.price;
	u.filled_qty = o->req.qty;
	u.avg_price = price;
	u.last_qty = o->req.qty;
	u.last_price = price;
	u.fee = fee;
	if (h->ops->on_order != NULL)
		h->ops->on_order(h->state, &u);
}

/*
 * The fill price of a pending order on bar b in `pass` (0: market and stop
 * orders, 1: limits -- stops first, the conservative path), or NAN if it
 * does not fill there.
 */
static double
match(const struct fake_order *o, const struct qd_bar *b, int pass)
{
	int buy = o->req.side == QD_SIDE_BUY;
	double p = o->req.price, st = o->req.stop_price;

	switch (o->req.type) {
	case QD_ORDER_MARKET:
		return pass == 0 ? b->open : NAN;
	case QD_ORDER_STOP:
		if (pass != 0)
			return NAN;
		if (buy && b->high >= st)
			return b->open > st ? b->open : st;
		if (!buy && b->low <= st)
			return b->open < st ? b->open : st;
		return NAN;
	case QD_ORDER_LIMIT:
		if (pass != 1)
			return NAN;
		if (buy && b->low <= p)
			return b->open < p ? b->open : p;
		if (!buy && b->high >= p)
			return b->open > p ? b->open : p;
		return NAN;
	default:
		return NAN;     /* stop-limit: not used by the strategies */
	}
}

size_t
fake_host_bar(struct fake_host *h, qd_symbol sym, const struct qd_bar *bar)
{
	struct qd_bar_event ev;
	size_t i, n;
	int pass;

	h->cur = h->nbar++;
	h->now = bar->ts + (int64_t)h->tf * 1000000000LL;
	/* Orders placed before this bar; those placed while matching (from
	 * on_order) carry this bar's index and wait for the next one. */
	for (pass = 0; pass < 2; pass++) {
		n = h->norders;
		for (i = 0; i < n; i++) {
			struct fake_order *o = &h->orders[i];
			double px;

			if (o->state != QD_ORDER_PENDING || o->bar >= h->cur ||
			    o->req.symbol != sym)
				continue;
			px = match(o, bar, pass);
			if (!isnan(px))
				fill(h, o, px);
		}
	}
	if (sym >= 1 && sym <= h->nsyms)
		h->syms[sym - 1].last_close = bar->close;
	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.symbol = sym;
	ev.timeframe_s = h->tf;
	ev.bar = *bar;
	if (h->ops->on_bar != NULL)
		h->ops->on_bar(h->state, &ev);
	return h->cur;
}

/* ---- lifecycle ------------------------------------------------------------ */

struct fake_host *
fake_host_new(const char *so_path, const char *name, const struct qd_kv *kv,
	size_t n_kv, const struct fake_host_opts *opts, char *err,
	size_t errlen)
{
	struct fake_host *h = calloc(1, sizeof(*h));
	const char *ta = opts && opts->ta_path ? opts->ta_path :
		QD_TEST_BUILDDIR "/plugins/ta/.libs/ta.so";
	const struct plugin *p;
	const struct qd_plugin *d;
	char perr[512];
	int rc;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->ctx.h = h;
	h->cash = opts && opts->cash > 0 ? opts->cash : 10000.0;
	h->fee_rate = opts ? opts->fee_rate : 0.0;
	h->tf = opts && opts->timeframe_s ? opts->timeframe_s : 60;
	if ((h->reg = plugin_registry_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (plugin_load_file(h->reg, ta) < 0) {
		snprintf(err, errlen, "load %s refused (see the log)", ta);
		goto fail;
	}
	if (plugin_load_file(h->reg, so_path) < 0) {
		snprintf(err, errlen, "load %s refused (see the log)", so_path);
		goto fail;
	}
	plugin_resolve(h->reg);
	p = plugin_find_kind(h->reg, QD_KIND_STRATEGY, name);
	if (p == NULL) {
		snprintf(err, errlen, "load: no strategy '%s' in %s (or its "
			"requirements are unmet)", name, so_path);
		goto fail;
	}
	d = plugin_desc(p);
	h->ops = d->ops;
	h->params = params_from_kv(d, kv, n_kv, perr, sizeof(perr));
	if (h->params == NULL) {
		snprintf(err, errlen, "params: %s", perr);
		goto fail;
	}
	rc = h->ops->base.create(&fake_api, &h->ctx, h->params, &h->state);
	if (rc != QD_OK) {
		snprintf(err, errlen, "create: %s", qd_strerror(rc));
		goto fail;
	}
	h->created = 1;
	if (h->ops->base.start != NULL &&
	    (rc = h->ops->base.start(h->state)) != QD_OK) {
		snprintf(err, errlen, "start: %s", qd_strerror(rc));
		goto fail;
	}
	return h;
fail:
	fake_host_free(h);
	return NULL;
}

void
fake_host_free(struct fake_host *h)
{
	size_t i;

	if (h == NULL)
		return;
	if (h->created) {
		if (h->ops->base.stop != NULL)
			h->ops->base.stop(h->state);
		h->ops->base.destroy(h->state);
	}
	for (i = 0; i < h->ninds; i++)
		indicator_free(h->inds[i]);
	params_free(h->params);
	plugin_registry_free(h->reg);
	for (i = 0; i < h->nlog; i++)
		free(h->log[i]);
	free(h->log);
	for (i = 0; i < h->nann; i++)
		free(h->ann[i].json);
	free(h->ann);
	free(h->orders);
	free(h);
}

/* ---- inspection ----------------------------------------------------------- */

qd_symbol
fake_host_symbol(struct fake_host *h, const char *canonical)
{
	size_t i;

	if (canonical == NULL || canonical[0] == '\0' ||
	    strlen(canonical) >= sizeof(h->syms[0].name))
		return 0;
	for (i = 0; i < h->nsyms; i++)
		if (strcmp(h->syms[i].name, canonical) == 0)
			return (qd_symbol)(i + 1);
	if (h->nsyms == MAX_SYMBOLS)
		return 0;
	snprintf(h->syms[h->nsyms].name, sizeof(h->syms[0].name), "%s",
		canonical);
	return (qd_symbol)++h->nsyms;
}

size_t
fake_host_order_count(const struct fake_host *h)
{
	return h->norders;
}

const struct fake_order *
fake_host_order(const struct fake_host *h, size_t i)
{
	return i < h->norders ? &h->orders[i] : NULL;
}

size_t
fake_host_cancel_calls(const struct fake_host *h)
{
	return h->cancels;
}

double
fake_host_position(const struct fake_host *h, qd_symbol sym)
{
	return sym >= 1 && sym <= h->nsyms ? h->syms[sym - 1].qty : 0.0;
}

double
fake_host_cash(const struct fake_host *h)
{
	return h->cash;
}

double
fake_host_equity(const struct fake_host *h)
{
	double eq = h->cash;
	size_t i;

	for (i = 0; i < h->nsyms; i++)
		eq += h->syms[i].qty * h->syms[i].last_close;
	return eq;
}

size_t
fake_host_log_count(const struct fake_host *h)
{
	return h->nlog;
}

const char *
fake_host_log_line(const struct fake_host *h, size_t i)
{
	return i < h->nlog ? h->log[i] : NULL;
}

size_t
fake_host_log_matches(const struct fake_host *h, const char *needle)
{
	size_t i, n = 0;

	for (i = 0; i < h->nlog; i++)
		n += strstr(h->log[i], needle) != NULL;
	return n;
}

size_t
fake_host_annotations(const struct fake_host *h, const char *kind)
{
	size_t i, n = 0;

	for (i = 0; i < h->nann; i++)
		n += kind == NULL || strcmp(h->ann[i].kind, kind) == 0;
	return n;
}

const char *
fake_host_annotation(const struct fake_host *h, const char *kind, size_t i)
{
	size_t k;

	for (k = 0; k < h->nann; k++)
		if (kind == NULL || strcmp(h->ann[k].kind, kind) == 0) {
			if (i == 0)
				return h->ann[k].json;
			i--;
		}
	return NULL;
}
