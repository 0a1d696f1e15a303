/*
 * trading.c -- the daemon's trading commands on the control socket:
 * emergency close, orders, accounts and positions, risk status and limits.
 *
 *   {"cmd":"trade.emergency_close","ratio":R,"account":A|"instance":I,
 *    "reason":"..."}
 *   {"cmd":"trade.orders"[,"instance":I]}          open orders
 *   {"cmd":"trade.submit","instance":I,...}         an order (see submit)
 *   {"cmd":"trade.cancel","id":N[,"instance":I]}    cancel one
 *   {"cmd":"trade.accounts"}                        balances, positions
 *   {"cmd":"trade.positions"[,"account":A,"instance":I,"symbol":S,
 *    "closed":true]}                                open positions, flat
 *                                                   (at the last price)
 *   {"cmd":"trade.stats"}                           counters, tick -> order
 *   {"cmd":"risk.status"}                           halts and windows
 *   {"cmd":"risk.set","scope":"global|account|instance","id":ID,
 *    "limits":{...}}                                at run time
 *   {"cmd":"risk.resume","scope":...,"id":ID}
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "ctl/ctl.h"
#include "daemon/trading.h"
#include "host/host.h"
#include "json/json.h"
#include "log/log.h"
#include "loop/loop.h"
#include "market/symbol.h"
#include "trade/ledger.h"
#include "trade/oms.h"
#include "trade/risk.h"

static const char *
str(const cJSON *req, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static char *
emergency_close(struct host *h, const cJSON *req)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(req, "ratio");
	struct oms_scope sc = { str(req, "account"), str(req, "instance") };
	struct oms_close_report rep;
	double ratio = cJSON_IsNumber(r) ? r->valuedouble : 1.0;
	cJSON *o;
	char *s;

	if (r != NULL && !cJSON_IsNumber(r))
		return ctl_error("bad_request", "ratio must be a number");
	if (!(ratio > 0) || ratio > 1)
		return ctl_error("bad_request", "ratio must be above 0 and "
			"at most 1");
	if (sc.account != NULL && sc.instance != NULL)
		return ctl_error("bad_request", "give account or instance, "
			"not both");
	if (oms_emergency_close(host_oms(h), &sc, ratio, str(req, "reason"),
	    loop_now_ns(), &rep) != QD_OK)
		return ctl_error("failed", "emergency close failed");
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddNumberToObject(o, "ratio", ratio);
	cJSON_AddNumberToObject(o, "orders_canceled",
		(double)rep.orders_canceled);
	cJSON_AddNumberToObject(o, "close_orders", (double)rep.positions_closed);
	cJSON_AddNumberToObject(o, "accounts", (double)rep.accounts);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static const char *
state_name(int st)
{
	static const char *const n[] = { "?", "created", "pending", "partial",
		"filled", "canceled", "rejected", "expired" };

	return st >= 1 && st <= 7 ? n[st] : "?";
}

void
trading_order_levels(struct oms *o, const struct qd_order_update *u, cJSON *e)
{
	struct oms_order_levels lv;

	if (u->parent_id != 0)
		cJSON_AddNumberToObject(e, "parent_id", (double)u->parent_id);
	if (oms_order_levels(o, u->order_id, &lv) != QD_OK)
		return;
	if (lv.trigger > 0)
		cJSON_AddNumberToObject(e, "stop_price", lv.trigger);
	if (lv.sl_price > 0)
		cJSON_AddNumberToObject(e, "sl_price", lv.sl_price);
	if (lv.tp_price > 0)
		cJSON_AddNumberToObject(e, "tp_price", lv.tp_price);
}

static char *
orders(struct host *h, const cJSON *req)
{
	struct oms *o = host_oms(h);
	const char *inst = str(req, "instance");
	size_t n = oms_open_orders(o, inst, NULL, 0), i, k;
	uint64_t *ids = calloc(n + 1, sizeof(*ids));
	cJSON *out, *arr;
	char *s;

	if (ids == NULL)
		return ctl_error("failed", "out of memory");
	k = oms_open_orders(o, inst, ids, n);
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "ok", 1);
	arr = cJSON_AddArrayToObject(out, "orders");
	for (i = 0; i < k && i < n; i++) {
		struct qd_order_update u;
		cJSON *e;

		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		if (oms_order_get(o, NULL, ids[i], &u) != QD_OK)
			continue;
		e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "id", (double)u.order_id);
		cJSON_AddStringToObject(e, "client_id", u.client_id ?
			u.client_id : "");
		cJSON_AddStringToObject(e, "symbol", symbol_name(u.symbol) ?
			symbol_name(u.symbol) : "?");
		cJSON_AddStringToObject(e, "side", u.side == QD_SIDE_BUY ?
			"buy" : "sell");
		cJSON_AddStringToObject(e, "type", oms_type_name(u.type));
		cJSON_AddStringToObject(e, "state", state_name(u.state));
		cJSON_AddNumberToObject(e, "qty", u.qty);
		cJSON_AddNumberToObject(e, "price", u.price);
		cJSON_AddNumberToObject(e, "filled", u.filled_qty);
		trading_order_levels(o, &u, e);
		cJSON_AddItemToArray(arr, e);
	}
	free(ids);
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	return s;
}

struct acc_walk {
	struct oms *o;
	cJSON *arr, *cur;
};

static int
add_position(void *arg, const char *symbol, const struct ledger_position *p)
{
	struct acc_walk *w = arg;
	cJSON *e;

	if (p->qty == 0 && p->realized == 0)
		return 0;
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "symbol", symbol);
	cJSON_AddNumberToObject(e, "qty", (double)p->qty / 1e8);
	cJSON_AddNumberToObject(e, "avg_price", p->avg_price);
	cJSON_AddNumberToObject(e, "realized", (double)p->realized / 1e8);
	cJSON_AddItemToArray(w->cur, e);
	return 0;
}

static int
add_account(void *arg, const struct oms_account_view *v)
{
	struct acc_walk *w = arg;
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "id", v->id);
	cJSON_AddStringToObject(e, "instance", v->instance);
	cJSON_AddStringToObject(e, "venue", v->venue);
	cJSON_AddStringToObject(e, "quote", v->quote);
	cJSON_AddNumberToObject(e, "cash", v->cash);
	cJSON_AddNumberToObject(e, "equity", v->equity);
	cJSON_AddNumberToObject(e, "fees", v->fees);
	cJSON_AddNumberToObject(e, "reserved", v->reserved);
	cJSON_AddNumberToObject(e, "open_orders", (double)v->open_orders);
	w->cur = cJSON_AddArrayToObject(e, "positions");
	ledger_each_position(oms_ledger(w->o), v->id, add_position, w);
	cJSON_AddItemToArray(w->arr, e);
	return 0;
}

static char *
accounts(struct host *h)
{
	struct acc_walk w;
	cJSON *out = cJSON_CreateObject();
	char why[256], *s;

	w.o = host_oms(h);
	cJSON_AddBoolToObject(out, "ok", 1);
	w.arr = cJSON_AddArrayToObject(out, "accounts");
	oms_each_account(w.o, add_account, &w);
	cJSON_AddBoolToObject(out, "reconciled", ledger_reconcile(
		oms_ledger(w.o), why, sizeof(why)) == QD_OK);
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	return s;
}

/* A ledger amount of `asset` in its units (the asset's decimals). */
static double
in_units(const struct ledger *l, const char *asset, int64_t v)
{
	return (double)v / pow(10, ledger_decimals(l, asset));
}

struct pos_walk {
	const struct ledger *l;
	const struct risk *risk;    /* the position rules' levels */
	const struct oms_account_view *v;
	const char *symbol;         /* filter, or NULL */
	int closed;                 /* flat positions too */
	cJSON *arr;
};

/* Where the risk engine's position rules of account v's scope (its
 * instance's, or a plain account's) would close a position: *sl, *tp
 * (0: no rule). */
static void
levels_of(const struct risk *risk, const struct oms_account_view *v,
	const char *symbol, double qty, double avg, double *sl, double *tp)
{
	int inst = v->instance != NULL && v->instance[0] != '\0';

	if (risk == NULL || risk_position_levels(risk, inst ?
	    RISK_SCOPE_INSTANCE : RISK_SCOPE_ACCOUNT, inst ? v->instance :
	    v->id, symbol, qty, avg, sl, tp) != QD_OK)
		*sl = *tp = 0;
}

/* ... as the position's "sl_price", "tp_price". */
static void
position_levels(const struct pos_walk *w, const char *symbol, double qty,
	double avg, cJSON *e)
{
	double sl, tp;

	levels_of(w->risk, w->v, symbol, qty, avg, &sl, &tp);
	if (sl > 0)
		cJSON_AddNumberToObject(e, "sl_price", sl);
	if (tp > 0)
		cJSON_AddNumberToObject(e, "tp_price", tp);
}

/* One position of a flat list: its account's names, the quantity and
 * prices, and the P&L at the last price. */
static int
flat_position(void *arg, const char *symbol, const struct ledger_position *p)
{
	struct pos_walk *w = arg;
	const char *slash = strchr(symbol, '/');
	char base[32];
	double mark;
	cJSON *e;

	if ((p->qty == 0 && !w->closed) || (w->symbol != NULL &&
	    strcmp(w->symbol, symbol) != 0) || slash == NULL ||
	    (size_t)(slash - symbol) >= sizeof(base))
		return 0;
	memcpy(base, symbol, (size_t)(slash - symbol));
	base[slash - symbol] = '\0';
	mark = ledger_mark_price(w->l, symbol);
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "account", w->v->id);
	cJSON_AddStringToObject(e, "instance", w->v->instance);
	cJSON_AddStringToObject(e, "venue", w->v->venue);
	cJSON_AddStringToObject(e, "symbol", symbol);
	cJSON_AddNumberToObject(e, "qty", in_units(w->l, base, p->qty));
	cJSON_AddNumberToObject(e, "avg_price", p->avg_price);
	if (mark > 0)
		cJSON_AddNumberToObject(e, "last_price", mark);
	else
		cJSON_AddNullToObject(e, "last_price");
	cJSON_AddNumberToObject(e, "unrealized", in_units(w->l, slash + 1,
		ledger_unrealized(w->l, w->v->id, symbol)));
	cJSON_AddNumberToObject(e, "realized", in_units(w->l, slash + 1,
		p->realized));
	cJSON_AddNumberToObject(e, "fees", in_units(w->l, slash + 1,
		p->fees));
	position_levels(w, symbol, in_units(w->l, base, p->qty),
		p->avg_price, e);
	cJSON_AddItemToArray(w->arr, e);
	return 0;
}

struct level_walk {
	struct pos_walk w;
	void (*fn)(void *arg, const char *account, const char *symbol,
		double sl, double tp);
	void *arg;
};

static int
open_position_levels(void *arg, const char *symbol,
	const struct ledger_position *p)
{
	struct level_walk *lw = arg;
	const char *slash = strchr(symbol, '/');
	char base[32];
	double sl, tp;

	if (p->qty == 0 || slash == NULL ||
	    (size_t)(slash - symbol) >= sizeof(base))
		return 0;
	memcpy(base, symbol, (size_t)(slash - symbol));
	base[slash - symbol] = '\0';
	levels_of(lw->w.risk, lw->w.v, symbol, in_units(lw->w.l, base, p->qty),
		p->avg_price, &sl, &tp);
	lw->fn(lw->arg, lw->w.v->id, symbol, sl, tp);
	return 0;
}

static int
account_position_levels(void *arg, const struct oms_account_view *v)
{
	struct level_walk *lw = arg;

	lw->w.v = v;
	ledger_each_position(lw->w.l, v->id, open_position_levels, lw);
	return 0;
}

void
trading_position_levels(struct host *h, void (*fn)(void *arg,
	const char *account, const char *symbol, double sl, double tp),
	void *arg)
{
	struct oms *o = host_oms(h);
	struct level_walk lw;

	memset(&lw, 0, sizeof(lw));
	lw.w.l = oms_ledger(o);
	lw.w.risk = oms_risk(o);
	lw.fn = fn;
	lw.arg = arg;
	oms_each_account(o, account_position_levels, &lw);
}

struct pos_filter {
	struct pos_walk w;
	const char *account, *instance;
};

static int
positions_of(void *arg, const struct oms_account_view *v)
{
	struct pos_filter *f = arg;

	if ((f->account != NULL && strcmp(f->account, v->id) != 0) ||
	    (f->instance != NULL && strcmp(f->instance, v->instance) != 0))
		return 0;
	f->w.v = v;
	ledger_each_position(f->w.l, v->id, flat_position, &f->w);
	return 0;
}

/* trade.positions: every account's positions as one list, filtered by
 * account, instance and symbol. */
static char *
positions(struct host *h, const cJSON *req)
{
	const cJSON *closed = cJSON_GetObjectItemCaseSensitive(req, "closed");
	struct oms *o = host_oms(h);
	struct pos_filter f;
	cJSON *out;
	char *s;

	memset(&f, 0, sizeof(f));
	f.account = str(req, "account");
	f.instance = str(req, "instance");
	f.w.symbol = str(req, "symbol");
	f.w.l = oms_ledger(o);
	f.w.risk = oms_risk(o);
	if (closed != NULL && !cJSON_IsBool(closed))
		return ctl_error("bad_request", "closed: true or false");
	f.w.closed = cJSON_IsTrue(closed);
	if (f.w.symbol != NULL && !symbol_valid(f.w.symbol))
		return ctl_error("bad_request", "symbol: BASE/QUOTE, upper "
			"case");
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "ok", 1);
	f.w.arr = cJSON_AddArrayToObject(out, "positions");
	oms_each_account(o, positions_of, &f);
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	return s;
}

static const char *
scope_name(enum risk_scope s)
{
	return s == RISK_SCOPE_GLOBAL ? "global" : s == RISK_SCOPE_ACCOUNT ?
		"account" : "instance";
}

static int
scope_parse(const char *s, enum risk_scope *out)
{
	if (s == NULL || strcmp(s, "global") == 0)
		*out = RISK_SCOPE_GLOBAL;
	else if (strcmp(s, "account") == 0)
		*out = RISK_SCOPE_ACCOUNT;
	else if (strcmp(s, "instance") == 0)
		*out = RISK_SCOPE_INSTANCE;
	else
		return -1;
	return 0;
}

static int
add_state(void *arg, enum risk_scope scope, const char *id,
	const struct risk_state *s)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "scope", scope_name(scope));
	cJSON_AddStringToObject(e, "id", id);
	cJSON_AddBoolToObject(e, "halted", s->halted);
	if (s->halted) {
		cJSON_AddStringToObject(e, "rule", s->halt_rule);
		cJSON_AddStringToObject(e, "reason", s->halt_reason);
		cJSON_AddNumberToObject(e, "until_ms", (double)(s->halt_until /
			1000000));
	}
	cJSON_AddNumberToObject(e, "peak_equity", s->peak_equity);
	cJSON_AddNumberToObject(e, "day_start_equity", s->day_start);
	cJSON_AddNumberToObject(e, "consecutive_losses",
		s->consecutive_losses);
	cJSON_AddItemToArray(arg, e);
	return 0;
}

static char *
risk_status(struct host *h)
{
	cJSON *out = cJSON_CreateObject(), *arr;
	char *s;

	cJSON_AddBoolToObject(out, "ok", 1);
	arr = cJSON_AddArrayToObject(out, "scopes");
	risk_each_state(oms_risk(host_oms(h)), add_state, arr);
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	return s;
}

static char *
risk_set(struct host *h, const cJSON *req)
{
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(req, "limits");
	enum risk_scope scope;
	const char *id = str(req, "id");
	struct risk_limits l;
	struct json_value *doc;
	struct json_error je;
	struct diag d = { 0 };
	char *text, *msg;

	if (scope_parse(str(req, "scope"), &scope) != 0)
		return ctl_error("bad_request", "scope must be global, "
			"account or instance");
	if (scope != RISK_SCOPE_GLOBAL && id == NULL)
		return ctl_error("bad_request", "an account or instance "
			"scope needs its id");
	if (!cJSON_IsObject(lim))
		return ctl_error("bad_request", "limits must be an object");
	/* The same checks as the configuration file's. */
	if ((text = cJSON_PrintUnformatted(lim)) == NULL)
		return ctl_error("failed", "out of memory");
	doc = json_parse(text, strlen(text), &je);
	free(text);
	if (doc == NULL)
		return ctl_error("bad_request", je.msg);
	if (config_parse_risk(doc, &l, "limits", &d) != 0) {
		char *nl = d.text ? strchr(d.text, '\n') : NULL;

		if (nl != NULL)
			*nl = 0;
		msg = ctl_error("bad_request", d.text ? d.text :
			"invalid limits");
		diag_free(&d);
		json_free(doc);
		return msg;
	}
	json_free(doc);
	diag_free(&d);
	if (risk_set_limits(oms_risk(host_oms(h)), scope, id ? id : "", &l) !=
	    QD_OK)
		return ctl_error("failed", "the limits were not set");
	log_warn("risk", "limits of %s%s%s replaced at run time",
		scope_name(scope), id ? " " : "", id ? id : "");
	return strdup("{\"ok\":true}");
}

static char *
risk_resume_req(struct host *h, const cJSON *req)
{
	enum risk_scope scope;
	const char *id = str(req, "id");

	if (scope_parse(str(req, "scope"), &scope) != 0)
		return ctl_error("bad_request", "scope must be global, "
			"account or instance");
	if (risk_resume(oms_risk(host_oms(h)), scope, id ? id : "",
	    loop_now_ns()) != QD_OK)
		return ctl_error("not_found", "that scope is not halted");
	return strdup("{\"ok\":true}");
}

static char *
stats(struct host *h)
{
	struct oms_stats st;
	cJSON *o = cJSON_CreateObject(), *l;
	char *s;

	oms_stats(host_oms(h), &st);
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddNumberToObject(o, "submitted", (double)st.submitted);
	cJSON_AddNumberToObject(o, "refused", (double)st.refused);
	cJSON_AddNumberToObject(o, "sent", (double)st.sent);
	cJSON_AddNumberToObject(o, "fills", (double)st.fills);
	cJSON_AddNumberToObject(o, "duplicate_fills",
		(double)st.duplicate_fills);
	cJSON_AddNumberToObject(o, "stale_updates", (double)st.stale_updates);
	cJSON_AddNumberToObject(o, "bad_transitions",
		(double)st.bad_transitions);
	cJSON_AddNumberToObject(o, "open_orders", (double)st.open_orders);
	cJSON_AddNumberToObject(o, "waiting_durable",
		(double)st.waiting_durable);
	l = cJSON_AddObjectToObject(o, "tick_to_order_us");
	cJSON_AddNumberToObject(l, "n", (double)st.latency_n);
	cJSON_AddNumberToObject(l, "p50", (double)st.latency_p50 / 1e3);
	cJSON_AddNumberToObject(l, "p99", (double)st.latency_p99 / 1e3);
	l = cJSON_AddObjectToObject(o, "tick_to_accept_us");
	cJSON_AddNumberToObject(l, "n", (double)st.accept_n);
	cJSON_AddNumberToObject(l, "p50", (double)st.accept_p50 / 1e3);
	cJSON_AddNumberToObject(l, "p99", (double)st.accept_p99 / 1e3);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A number member, or `def` when absent; -1 sets *bad when not one. */
static double
num(const cJSON *req, const char *key, double def, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	if (v == NULL)
		return def;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0)) {
		*bad = 1;
		return def;
	}
	return v->valuedouble;
}

static int
name_index(const char *s, const char *const *names, int n)
{
	for (int i = 0; s != NULL && i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/*
 * {"cmd":"trade.submit","instance":I,"symbol":S,"side":"buy"|"sell",
 *  "type":T,"qty":Q[,"price","stop_price","tif","trail","sl_price",
 *  "tp_price","tag"]}: an order into instance I's account, through the
 * same risk checks as the strategy's own (its on_order sees the updates).
 */
static char *
submit(struct host *h, const cJSON *req)
{
	static const char *const tifs[] = { "gtc", "ioc", "fok",
		"post_only" };
	const char *inst = str(req, "instance"), *sym = str(req, "symbol");
	const char *side = str(req, "side"), *type = str(req, "type");
	const char *tif = str(req, "tif");
	struct qd_order_req r;
	char why[256], *s;
	uint64_t id = 0;
	int bad = 0, t, ti = 0, rc;
	cJSON *o;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if (inst == NULL || sym == NULL || !symbol_valid(sym))
		return ctl_error("bad_request", "trade.submit takes instance "
			"and symbol (BASE/QUOTE)");
	if (side == NULL || (strcmp(side, "buy") && strcmp(side, "sell")))
		return ctl_error("bad_request", "side: buy or sell");
	for (t = 1; t <= 7 && strcmp(type ? type : "market",
	    oms_type_name(t)) != 0; t++)
		;
	if (t > 7)
		return ctl_error("bad_request", "type: market, limit, stop, "
			"stop_limit, take_profit, take_profit_limit or "
			"trailing_stop");
	if (tif != NULL && (ti = name_index(tif, tifs, 4)) < 0)
		return ctl_error("bad_request", "tif: gtc, ioc, fok or "
			"post_only");
	r.symbol = symbol_intern(sym);
	r.side = side[0] == 'b' ? QD_SIDE_BUY : QD_SIDE_SELL;
	r.type = (enum qd_order_type)t;
	r.tif = (enum qd_tif)ti;
	r.qty = num(req, "qty", 0, &bad);
	r.price = num(req, "price", 0, &bad);
	r.stop_price = num(req, "stop_price", 0, &bad);
	r.trail = num(req, "trail", 0, &bad);
	r.sl_price = num(req, "sl_price", 0, &bad);
	r.tp_price = num(req, "tp_price", 0, &bad);
	r.tag = str(req, "tag");
	if (bad || !(r.qty > 0))
		return ctl_error("bad_request", "qty must be a positive "
			"number; price, stop_price, trail, sl_price and "
			"tp_price non-negative numbers");
	why[0] = '\0';
	rc = oms_submit(host_oms(h), inst, &r, loop_now_ns(), &id, why,
		sizeof(why));
	switch (rc) {
	case QD_OK:
		break;
	case QD_ERR_NOTFOUND:
		return ctl_error("not_found", "no account for that instance");
	case QD_ERR_DENIED:
		return ctl_error("denied", why[0] ? why : "refused by risk");
	case QD_ERR_STATE:
		return ctl_error("state", why[0] ? why : "the venue's rules "
			"for the symbol are not known yet");
	default:
		return ctl_error("bad_request", why[0] ? why :
			qd_strerror(rc));
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddNumberToObject(o, "id", (double)id);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* {"cmd":"trade.cancel","id":N[,"instance":I]}: cancel an open order. */
static char *
cancel(struct host *h, const cJSON *req)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	int rc;

	if (!cJSON_IsNumber(id) || id->valuedouble < 1)
		return ctl_error("bad_request", "trade.cancel takes id");
	rc = oms_cancel(host_oms(h), str(req, "instance"),
		(uint64_t)id->valuedouble, "canceled through the API",
		loop_now_ns());
	if (rc == QD_ERR_NOTFOUND)
		return ctl_error("not_found", "no such open order");
	if (rc != QD_OK)
		return ctl_error("failed", qd_strerror(rc));
	return strdup("{\"ok\":true}");
}

char *
trading_request(struct host *h, const char *cmd, const cJSON *req)
{
	if (strcmp(cmd, "trade.submit") == 0)
		return submit(h, req);
	if (strcmp(cmd, "trade.cancel") == 0)
		return cancel(h, req);
	if (strcmp(cmd, "trade.stats") == 0)
		return stats(h);
	if (strcmp(cmd, "trade.emergency_close") == 0)
		return emergency_close(h, req);
	if (strcmp(cmd, "trade.orders") == 0)
		return orders(h, req);
	if (strcmp(cmd, "trade.accounts") == 0)
		return accounts(h);
	if (strcmp(cmd, "trade.positions") == 0)
		return positions(h, req);
	if (strcmp(cmd, "risk.status") == 0)
		return risk_status(h);
	if (strcmp(cmd, "risk.set") == 0)
		return risk_set(h, req);
	if (strcmp(cmd, "risk.resume") == 0)
		return risk_resume_req(h, req);
	return ctl_error("unknown_command", "unknown cmd");
}
