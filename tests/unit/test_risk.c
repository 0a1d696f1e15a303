/*
 * test_risk.c -- every rule of the risk engine: each one trips with the
 * event it must report, and does not trip just short of its limit; scope
 * precedence, limits changed at run time, calendar windows in three time
 * zones, halts and their ends, a restart through risk_each_state and
 * risk_restore, and the circuit breaker against a plain re-computation.
 *
 * Epoch times below come from date(1), not from the engine's calendar.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "trade/risk.h"

#define S(x) ((int64_t)(x) * 1000000000LL)
#define MIN_NS S(60)
#define HOUR_NS S(3600)
#define DAY_NS S(86400)

#define T_0305 1709596800LL   /* 2024-03-05 00:00 UTC, Tuesday */
#define T0 S(1709632800)      /* 2024-03-05 10:00 UTC */
#define T_0305_16 1709654400LL
#define T_0306 1709683200LL
#define T_0306_05 1709701200LL
#define T_0310 1710028800LL   /* Sunday */
#define T_0310_16 1710086400LL
#define T_0311 1710115200LL   /* Monday */
#define T_0311_05 1710133200LL
#define T_0320_12 1710936000LL
#define T_0401 1711929600LL
#define T_0228_12 1709121600LL
#define T_0229 1709164800LL
#define T_0229_16 1709222400LL
#define T_0301 1709251200LL
#define T_0301_05 1709269200LL
#define T23_0228_12 1677585600LL
#define T23_0301 1677628800LL
#define T23_1231_12 1704024000LL
#define T23_1231_16 1704038400LL
#define T_0101 1704067200LL
#define T2100_0201 4105123200LL
#define T2100_0301 4107542400LL
#define T2000_0201 949363200LL
#define T2000_0229_12 951825600LL
#define T2000_0301 951868800LL

#define SYM "BTC/USDT"
#define BREACH_EQUITY (RISK_HALT | RISK_CANCEL | RISK_CLOSE | RISK_NOTIFY)

/* An event as seen by a callback, its strings copied. */
struct rec {
	int64_t ts;
	enum risk_scope scope;
	char scope_id[64];
	char rule[48];
	char symbol[64];    /* "" for NULL */
	unsigned actions;
	char reason[256];
	uint64_t order_id;
};

#define MAX_REC 64
static struct rec acts[MAX_REC], logs[MAX_REC];
static int n_act, n_log;

static void
copy_event(struct rec *d, const struct risk_event *e)
{
	memset(d, 0, sizeof(*d));
	d->ts = e->ts;
	d->scope = e->scope;
	snprintf(d->scope_id, sizeof(d->scope_id), "%s", e->scope_id);
	snprintf(d->rule, sizeof(d->rule), "%s", e->rule);
	snprintf(d->symbol, sizeof(d->symbol), "%s",
		e->symbol != NULL ? e->symbol : "");
	d->actions = e->actions;
	snprintf(d->reason, sizeof(d->reason), "%s", e->reason);
	d->order_id = e->order_id;
}

static void
on_act(void *arg, const struct risk_event *e)
{
	(void)arg;
	assert_true(n_act < MAX_REC);
	copy_event(&acts[n_act++], e);
}

static void
on_log(void *arg, const struct risk_event *e)
{
	(void)arg;
	assert_true(n_log < MAX_REC);
	copy_event(&logs[n_log++], e);
}

static struct risk *
engine(void)
{
	struct risk *r = risk_new(on_act, on_log, NULL);

	assert_non_null(r);
	n_act = n_log = 0;
	return r;
}

static void
set(struct risk *r, enum risk_scope k, const char *id,
	const struct risk_limits *l)
{
	assert_int_equal(risk_set_limits(r, k, id, l), QD_OK);
}

static void
expect(const struct rec *e, const char *rule, enum risk_scope scope,
	const char *id, unsigned actions, const char *part)
{
	assert_string_equal(e->rule, rule);
	assert_int_equal(e->scope, scope);
	assert_string_equal(e->scope_id, id);
	assert_int_equal(e->actions, actions);
	if (strstr(e->reason, part) == NULL)
		fail_msg("reason \"%s\" does not say \"%s\"", e->reason, part);
}

/* The last event logged, which must also be the last one acted on. */
static const struct rec *
breach(void)
{
	assert_true(n_act > 0 && n_log > 0);
	assert_memory_equal(&acts[n_act - 1], &logs[n_log - 1],
		sizeof(struct rec));
	return &logs[n_log - 1];
}

static struct risk_order
order(enum qd_side side, double qty, double price, int64_t now)
{
	struct risk_order o;

	memset(&o, 0, sizeof(o));
	o.instance = "ma-fast";
	o.account = "acct1";
	o.symbol = SYM;
	o.side = side;
	o.qty = qty;
	o.price = price;
	o.now = now;
	return o;
}

/* Check an order with no exposure anywhere and no last price. */
static int
check(struct risk *r, const struct risk_order *o, struct rec *out)
{
	struct risk_exposure ex[RISK_N_SCOPES];
	struct risk_event e;
	int rc, before = n_act;

	memset(ex, 0, sizeof(ex));
	memset(&e, 0, sizeof(e));
	rc = risk_pre_trade(r, o, ex, 0, 42, &e);
	assert_int_equal(n_act, before);          /* never acted on */
	if (rc == QD_ERR_DENIED && out != NULL)
		copy_event(out, &e);
	return rc;
}

/* A refusal: in *out, and the last log entry. */
static void
refused(const struct rec *out, const char *rule, enum risk_scope scope,
	const char *id, const char *part, uint64_t order_id)
{
	expect(out, rule, scope, id, RISK_REFUSE, part);
	assert_int_equal(out->order_id, order_id);
	assert_string_equal(out->symbol, SYM);
	assert_true(n_log > 0);
	assert_memory_equal(&logs[n_log - 1], out, sizeof(*out));
}

struct found {
	enum risk_scope kind;
	const char *id;
	struct risk_state st;
	int n;
};

static int
find_state(void *arg, enum risk_scope kind, const char *id,
	const struct risk_state *s)
{
	struct found *f = arg;

	if (kind == f->kind && strcmp(id, f->id) == 0) {
		f->st = *s;
		f->n++;
	}
	return 0;
}

static struct risk_state
state_of(const struct risk *r, enum risk_scope kind, const char *id)
{
	struct found f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.id = id;
	risk_each_state(r, find_state, &f);
	if (f.n != 1)
		fail_msg("scope %d \"%s\" reported %d times, want once",
			(int)kind, id, f.n);
	return f.st;
}

/* ---- pre-trade ---------------------------------------------------- */

static void
max_order_notional_refuses_above_the_limit(void **unused)
{
	struct risk *r = engine();
	struct risk_limits l = { .max_order_notional = 10000 };
	struct risk_order o = order(QD_SIDE_BUY, 1.2, 10000, T0);
	struct rec out;

	(void)unused;
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	refused(&out, "max_order_notional", RISK_SCOPE_INSTANCE, "ma-fast",
		"order notional 12000.00 exceeds max_order_notional 10000.00 "
		"(instance ma-fast)", 42);
	assert_int_equal(out.ts, T0);
	assert_int_equal(n_log, 1);
	o.qty = 1;                                /* 10000: at the limit */
	assert_int_equal(check(r, &o, NULL), QD_OK);
	o.qty = 0.9999;
	assert_int_equal(check(r, &o, NULL), QD_OK);
	assert_int_equal(n_log, 1);               /* passes are not logged */
	risk_free(r);
}

static void
max_position_notional_counts_the_position_after(void **unused)
{
	struct risk *r = engine();
	struct risk_limits l = { .max_position_notional = 50000 };
	struct risk_order o = order(QD_SIDE_BUY, 1.01, 10000, T0);
	struct risk_exposure ex[RISK_N_SCOPES];
	struct risk_event e;
	struct rec out;

	(void)unused;
	set(r, RISK_SCOPE_ACCOUNT, "acct1", &l);
	memset(ex, 0, sizeof(ex));
	ex[RISK_SCOPE_ACCOUNT].position_qty = 4;
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 7, &e), QD_ERR_DENIED);
	copy_event(&out, &e);
	refused(&out, "max_position_notional", RISK_SCOPE_ACCOUNT, "acct1",
		"position notional after the order 50100.00 exceeds "
		"max_position_notional 50000.00 (account acct1)", 7);
	o.qty = 1;                                /* 5 x 10000: at it */
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 8, &e), QD_OK);
	o.side = QD_SIDE_SELL;                    /* 4 - 10 = -6 short */
	o.qty = 10;
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 9, &e), QD_ERR_DENIED);
	assert_string_equal(e.rule, "max_position_notional");
	o.qty = 5;                                /* 4 - 5 = -1 */
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 10, &e), QD_OK);
	risk_free(r);
}

static void
max_exposure_marks_the_symbol_at_the_order_price(void **unused)
{
	struct risk *r = engine();
	struct risk_limits l = { .max_exposure = 100000 };
	struct risk_order o = order(QD_SIDE_BUY, 0.6, 10000, T0);
	struct risk_exposure ex[RISK_N_SCOPES];
	struct risk_event e;
	struct rec out;

	(void)unused;
	set(r, RISK_SCOPE_GLOBAL, "", &l);
	memset(ex, 0, sizeof(ex));
	/* 95000 gross, 2 of it in this symbol (marked elsewhere at 9000) */
	ex[RISK_SCOPE_GLOBAL].gross_exposure = 95000;
	ex[RISK_SCOPE_GLOBAL].position_qty = 2;
	/* 95000 - 2 x 10000 + 2.6 x 10000 = 101000 */
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 3, &e), QD_ERR_DENIED);
	copy_event(&out, &e);
	refused(&out, "max_exposure", RISK_SCOPE_GLOBAL, "",
		"exposure after the order 101000.00 exceeds max_exposure "
		"100000.00 (global)", 3);
	o.qty = 0.5;                              /* 100000: at the limit */
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 4, &e), QD_OK);
	o.side = QD_SIDE_SELL;                    /* reduces: 85000 */
	o.qty = 1;
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 5, &e), QD_OK);
	risk_free(r);
}

static void
max_open_orders_refuses_when_already_at_the_count(void **unused)
{
	struct risk *r = engine();
	struct risk_limits l = { .max_open_orders = 3 };
	struct risk_order o = order(QD_SIDE_BUY, 1, 100, T0);
	struct risk_exposure ex[RISK_N_SCOPES];
	struct risk_event e;
	struct rec out;

	(void)unused;
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	memset(ex, 0, sizeof(ex));
	ex[RISK_SCOPE_INSTANCE].open_orders = 2;
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 1, &e), QD_OK);
	ex[RISK_SCOPE_INSTANCE].open_orders = 3;
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 2, &e), QD_ERR_DENIED);
	copy_event(&out, &e);
	refused(&out, "max_open_orders", RISK_SCOPE_INSTANCE, "ma-fast",
		"3 open orders already, max_open_orders 3 (instance ma-fast)",
		2);
	risk_free(r);
}

static void
price_band_refuses_prices_away_from_the_last(void **unused)
{
	struct risk *r = engine();
	struct risk_limits l = { .price_band_pct = 2 };
	struct risk_order o = order(QD_SIDE_BUY, 1, 102.5, T0);
	struct risk_exposure ex[RISK_N_SCOPES];
	struct risk_event e;
	struct rec out;

	(void)unused;
	set(r, RISK_SCOPE_ACCOUNT, "acct1", &l);
	memset(ex, 0, sizeof(ex));
	assert_int_equal(risk_pre_trade(r, &o, ex, 100, 5, &e),
		QD_ERR_DENIED);
	copy_event(&out, &e);
	refused(&out, "price_band_pct", RISK_SCOPE_ACCOUNT, "acct1",
		"price 102.5 is 2.50% from the last 100, beyond price_band_pct "
		"2.00 (account acct1)", 5);
	o.price = 101.9;
	assert_int_equal(risk_pre_trade(r, &o, ex, 100, 6, &e), QD_OK);
	o.price = 98.1;
	assert_int_equal(risk_pre_trade(r, &o, ex, 100, 7, &e), QD_OK);
	o.price = 97.9;
	assert_int_equal(risk_pre_trade(r, &o, ex, 100, 8, &e),
		QD_ERR_DENIED);
	o.price = 150;                            /* last unknown: no band */
	assert_int_equal(risk_pre_trade(r, &o, ex, 0, 9, &e), QD_OK);
	risk_free(r);
}

static void
max_orders_is_a_sliding_window_of_passed_orders(void **unused)
{
	struct risk *r = engine();
	struct risk_limits l = { .max_orders = 3, .order_window_s = 10 };
	struct risk_order o = order(QD_SIDE_BUY, 1, 100, T0);
	struct rec out;

	(void)unused;
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	assert_int_equal(check(r, &o, NULL), QD_OK);
	o.now = T0 + S(1);
	assert_int_equal(check(r, &o, NULL), QD_OK);
	o.now = T0 + S(2);
	assert_int_equal(check(r, &o, NULL), QD_OK);
	o.now = T0 + S(3);
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	refused(&out, "max_orders", RISK_SCOPE_INSTANCE, "ma-fast",
		"3 orders within the last 10 s, max_orders 3 "
		"(instance ma-fast)", 42);
	o.now = T0 + S(10) - 1;                   /* T0 still inside */
	assert_int_equal(check(r, &o, NULL), QD_ERR_DENIED);
	o.now = T0 + S(10);                       /* T0 has left */
	assert_int_equal(check(r, &o, NULL), QD_OK);
	o.now = T0 + S(10) + S(1) / 2;            /* T0+1, +2, +10 inside */
	assert_int_equal(check(r, &o, NULL), QD_ERR_DENIED);
	risk_free(r);
}

static void
max_orders_counts_only_orders_that_pass(void **unused)
{
	struct risk *r = engine();
	struct risk_limits g = { .max_order_notional = 1000 };
	struct risk_limits l = { .max_orders = 2, .order_window_s = 60 };
	struct risk_order o = order(QD_SIDE_BUY, 100, 100, T0);
	struct rec out;

	(void)unused;
	set(r, RISK_SCOPE_GLOBAL, "", &g);
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	assert_string_equal(out.rule, "max_order_notional");
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	o.qty = 1;
	assert_int_equal(check(r, &o, NULL), QD_OK);
	assert_int_equal(check(r, &o, NULL), QD_OK);
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	assert_string_equal(out.rule, "max_orders");
	risk_free(r);
}

static void
halted_scope_refuses_entries_but_not_reduce_only(void **unused)
{
	struct risk *r = engine();
	struct risk_order o = order(QD_SIDE_BUY, 1, 100, T0);
	const char *why = NULL;
	struct rec out;

	(void)unused;
	risk_halt(r, RISK_SCOPE_ACCOUNT, "acct1", "emergency close", T0);
	assert_int_equal(n_log, 1);
	assert_int_equal(n_act, 0);               /* the caller halted it */
	expect(&logs[0], "manual_halt", RISK_SCOPE_ACCOUNT, "acct1", RISK_HALT,
		"emergency close");
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL,
		T0 + DAY_NS * 30, &why), 1);
	assert_non_null(why);
	assert_non_null(strstr(why, "emergency close"));
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	refused(&out, "halted", RISK_SCOPE_ACCOUNT, "acct1",
		"account acct1 halted by manual_halt: emergency close", 42);
	o.reduce_only = 1;
	assert_int_equal(check(r, &o, NULL), QD_OK);
	o.reduce_only = 0;
	assert_int_equal(risk_resume(r, RISK_SCOPE_ACCOUNT, "acct1", T0 + S(5)),
		QD_OK);
	expect(&logs[n_log - 1], "manual_halt", RISK_SCOPE_ACCOUNT, "acct1",
		RISK_RESUME, "lifted by hand");
	assert_int_equal(logs[n_log - 1].ts, T0 + S(5));
	assert_int_equal(n_act, 0);
	assert_int_equal(risk_resume(r, RISK_SCOPE_ACCOUNT, "acct1", T0 + S(6)),
		QD_ERR_NOTFOUND);
	assert_int_equal(risk_resume(r, RISK_SCOPE_ACCOUNT, "other", T0 + S(6)),
		QD_ERR_NOTFOUND);
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL,
		T0 + S(6), &why), 0);
	assert_int_equal(check(r, &o, NULL), QD_OK);
	risk_free(r);
}

static void
reduce_only_skips_size_limits_but_not_band_or_rate(void **unused)
{
	struct risk *r = engine();
	struct risk_limits l = {
		.max_order_notional = 1000, .max_position_notional = 1000,
		.max_exposure = 1000, .price_band_pct = 1, .max_orders = 1,
		.order_window_s = 60,
	};
	struct risk_order o = order(QD_SIDE_SELL, 1, 10000, T0);
	struct risk_exposure ex[RISK_N_SCOPES];
	struct risk_event e;

	(void)unused;
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	memset(ex, 0, sizeof(ex));
	ex[RISK_SCOPE_INSTANCE].position_qty = 5;
	ex[RISK_SCOPE_INSTANCE].gross_exposure = 50000;
	assert_int_equal(risk_pre_trade(r, &o, ex, 10000, 1, &e),
		QD_ERR_DENIED);
	assert_string_equal(e.rule, "max_order_notional");
	o.reduce_only = 1;
	assert_int_equal(risk_pre_trade(r, &o, ex, 10000, 2, &e), QD_OK);
	o.now += S(1);                            /* the rate still counts */
	assert_int_equal(risk_pre_trade(r, &o, ex, 10000, 3, &e),
		QD_ERR_DENIED);
	assert_string_equal(e.rule, "max_orders");
	o.now += S(60);
	o.price = 10200;                          /* 2% off the last */
	assert_int_equal(risk_pre_trade(r, &o, ex, 10000, 4, &e),
		QD_ERR_DENIED);
	assert_string_equal(e.rule, "price_band_pct");
	risk_free(r);
}

static void
global_refuses_before_account_before_instance(void **unused)
{
	struct risk *r = engine();
	struct risk_limits g = { .max_order_notional = 5000 };
	struct risk_limits a = { .max_order_notional = 3000 };
	struct risk_limits i = { .max_order_notional = 1000 };
	struct risk_order o = order(QD_SIDE_BUY, 60, 100, T0);
	struct rec out;

	(void)unused;
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &i);
	set(r, RISK_SCOPE_ACCOUNT, "acct1", &a);
	set(r, RISK_SCOPE_GLOBAL, "", &g);
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	refused(&out, "max_order_notional", RISK_SCOPE_GLOBAL, "",
		"6000.00 exceeds max_order_notional 5000.00 (global)", 42);
	o.qty = 40;
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	refused(&out, "max_order_notional", RISK_SCOPE_ACCOUNT, "acct1",
		"4000.00 exceeds max_order_notional 3000.00 (account acct1)",
		42);
	o.qty = 20;
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	refused(&out, "max_order_notional", RISK_SCOPE_INSTANCE, "ma-fast",
		"2000.00 exceeds max_order_notional 1000.00 (instance ma-fast)",
		42);
	o.qty = 5;
	assert_int_equal(check(r, &o, NULL), QD_OK);
	/* another instance of the same account has no instance limit */
	o.qty = 20;
	o.instance = "other";
	assert_int_equal(check(r, &o, NULL), QD_OK);
	/* a halted instance still loses to a global refusal */
	o.instance = "ma-fast";
	o.qty = 60;
	risk_halt(r, RISK_SCOPE_INSTANCE, "ma-fast", NULL, T0);
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	assert_int_equal(out.scope, RISK_SCOPE_GLOBAL);
	o.qty = 5;
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	assert_int_equal(out.scope, RISK_SCOPE_INSTANCE);
	assert_string_equal(out.rule, "halted");
	risk_free(r);
}

static void
limits_changed_at_run_time_apply_to_the_next_order(void **unused)
{
	struct risk *r = engine();
	struct risk_limits l = { .max_order_notional = 10000 }, got;
	struct risk_order o = order(QD_SIDE_BUY, 1.2, 10000, T0);
	struct rec out;

	(void)unused;
	assert_int_equal(risk_get_limits(r, RISK_SCOPE_INSTANCE, "ma-fast",
		&got), QD_ERR_NOTFOUND);
	assert_true(got.max_order_notional == 0);
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	l.max_order_notional = 15000;
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	assert_int_equal(risk_get_limits(r, RISK_SCOPE_INSTANCE, "ma-fast",
		&got), QD_OK);
	assert_true(got.max_order_notional == 15000);
	assert_int_equal(check(r, &o, NULL), QD_OK);
	l.max_order_notional = 5000;
	l.max_orders = 1;                         /* a rate added later */
	l.order_window_s = 60;
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	o.qty = 0.6;
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	assert_non_null(strstr(out.reason, "6000.00 exceeds "
		"max_order_notional 5000.00"));
	o.qty = 0.4;
	assert_int_equal(check(r, &o, NULL), QD_OK);
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	assert_string_equal(out.rule, "max_orders");
	l.max_orders = 2;                         /* the ring grows */
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	assert_int_equal(check(r, &o, NULL), QD_OK);
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	memset(&l, 0, sizeof(l));                 /* all off */
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	o.qty = 100;
	assert_int_equal(check(r, &o, NULL), QD_OK);
	risk_free(r);
}

static void
bad_arguments_are_refused_without_a_decision(void **unused)
{
	struct risk *r = engine();
	struct risk_limits l = { .max_order_notional = -1 };
	struct risk_order o = order(QD_SIDE_BUY, 0, 100, T0);
	struct risk_state st;

	(void)unused;
	assert_int_equal(risk_set_limits(r, RISK_SCOPE_GLOBAL, "", &l),
		QD_ERR_INVALID);
	l.max_order_notional = 0;
	assert_int_equal(risk_set_limits(r, RISK_SCOPE_ACCOUNT, "", &l),
		QD_ERR_INVALID);
	assert_int_equal(risk_set_limits(r, RISK_SCOPE_INSTANCE, NULL, &l),
		QD_ERR_INVALID);
	assert_int_equal(risk_set_limits(r, (enum risk_scope)3, "x", &l),
		QD_ERR_INVALID);
	l.utc_offset_min = 24 * 60 + 1;
	assert_int_equal(risk_set_limits(r, RISK_SCOPE_GLOBAL, NULL, &l),
		QD_ERR_INVALID);
	assert_int_equal(check(r, &o, NULL), QD_ERR_INVALID);
	o.qty = 1;
	o.price = 0;
	assert_int_equal(check(r, &o, NULL), QD_ERR_INVALID);
	memset(&st, 0, sizeof(st));
	assert_int_equal(risk_restore(r, RISK_SCOPE_ACCOUNT, "", &st),
		QD_ERR_INVALID);
	assert_int_equal(n_log, 0);
	risk_free(r);
	risk_free(NULL);
}

/* ---- per position ------------------------------------------------- */

static struct risk *
position_engine(const struct risk_limits *l)
{
	struct risk *r = engine();

	set(r, RISK_SCOPE_INSTANCE, "ma-fast", l);
	return r;
}

static void
pos(struct risk *r, double qty, double entry, double mark, int64_t now)
{
	risk_on_position(r, RISK_SCOPE_INSTANCE, "ma-fast", SYM, qty, entry,
		mark, now);
}

static void
position_event(const char *rule, const char *part)
{
	const struct rec *e = breach();

	expect(e, rule, RISK_SCOPE_INSTANCE, "ma-fast",
		RISK_CLOSE | RISK_NOTIFY, part);
	assert_string_equal(e->symbol, SYM);
	assert_int_equal(e->order_id, 0);
}

/* risk_position_levels: the nearest exit of each kind, where the rules
 * fire. */
static void
position_levels_are_where_the_rules_fire(void **unused)
{
	struct risk_limits l = { .stop_loss_pct = 5, .stop_loss_abs = 4,
		.take_profit_pct = 10, .take_profit_abs = 30 };
	struct risk_limits t = { .trailing_stop_pct = 10 };
	struct risk *r = position_engine(&l);
	double sl, tp;

	(void)unused;
	/* long 2 from 100: a loss of 4 is 98 (before 5 %'s 95); 10 % is
	 * 110 (before a gain of 30 at 115) */
	assert_int_equal(risk_position_levels(r, RISK_SCOPE_INSTANCE,
		"ma-fast", SYM, 2, 100, &sl, &tp), QD_OK);
	assert_float_equal(sl, 98, 1e-9);
	assert_float_equal(tp, 110, 1e-9);
	pos(r, 2, 100, 98.01, T0);
	assert_int_equal(n_act, 0);
	pos(r, 2, 100, 97.99, T0 + S(1));
	assert_int_equal(n_act, 1);
	position_event("stop_loss_abs", "BTC/USDT long 2");
	/* short 2 from 100: the mirror image */
	assert_int_equal(risk_position_levels(r, RISK_SCOPE_INSTANCE,
		"ma-fast", SYM, -2, 100, &sl, &tp), QD_OK);
	assert_float_equal(sl, 102, 1e-9);
	assert_float_equal(tp, 90, 1e-9);
	/* no rule, no scope, no position: nothing */
	assert_int_equal(risk_position_levels(r, RISK_SCOPE_INSTANCE,
		"other", SYM, 2, 100, &sl, &tp), QD_ERR_NOTFOUND);
	assert_int_equal(risk_position_levels(r, RISK_SCOPE_INSTANCE,
		"ma-fast", SYM, 0, 100, &sl, &tp), QD_ERR_NOTFOUND);
	assert_true(sl == 0 && tp == 0);
	risk_free(r);
	/* the trailing stop follows the best price of the episode */
	r = position_engine(&t);
	assert_int_equal(risk_position_levels(r, RISK_SCOPE_INSTANCE,
		"ma-fast", SYM, 1, 100, &sl, &tp), QD_OK);
	assert_float_equal(sl, 90, 1e-9);
	assert_float_equal(tp, 0, 0);
	pos(r, 1, 100, 120, T0);
	assert_int_equal(risk_position_levels(r, RISK_SCOPE_INSTANCE,
		"ma-fast", SYM, 1, 100, &sl, &tp), QD_OK);
	assert_float_equal(sl, 108, 1e-9);
	pos(r, 1, 100, 108.01, T0 + S(1));
	assert_int_equal(n_act, 0);
	pos(r, 1, 100, 107.99, T0 + S(2));
	assert_int_equal(n_act, 1);
	risk_free(r);
}

static void
stop_loss_pct_closes_a_losing_position_once(void **unused)
{
	struct risk_limits l = { .stop_loss_pct = 5 };
	struct risk *r = position_engine(&l);

	(void)unused;
	pos(r, 2, 100, 95.1, T0);                 /* 4.9 % */
	assert_int_equal(n_log, 0);
	pos(r, 2, 100, 94.9, T0 + S(1));
	assert_int_equal(n_act, 1);
	position_event("stop_loss_pct", "BTC/USDT long 2 from 100 at 94.9: "
		"loss 5.10% exceeds stop_loss_pct 5.00 (instance ma-fast)");
	assert_int_equal(acts[0].ts, T0 + S(1));
	pos(r, 2, 100, 90, T0 + S(2));            /* same episode */
	pos(r, 3, 99, 90, T0 + S(3));             /* added to: same */
	assert_int_equal(n_act, 1);
	pos(r, -2, 100, 105.1, T0 + S(4));        /* reversed: a new one */
	assert_int_equal(n_act, 2);
	position_event("stop_loss_pct", "short 2 from 100 at 105.1: loss "
		"5.10%");
	pos(r, 0, 0, 105.1, T0 + S(5));           /* flat, then reopened */
	pos(r, -2, 100, 104.9, T0 + S(6));
	assert_int_equal(n_act, 2);
	pos(r, -2, 100, 105.2, T0 + S(7));
	assert_int_equal(n_act, 3);
	risk_free(r);
}

static void
take_profit_pct_closes_a_winning_position(void **unused)
{
	struct risk_limits l = { .take_profit_pct = 10 };
	struct risk *r = position_engine(&l);

	(void)unused;
	pos(r, 1, 100, 109.9, T0);
	assert_int_equal(n_log, 0);
	pos(r, 1, 100, 110.1, T0 + S(1));
	assert_int_equal(n_act, 1);
	position_event("take_profit_pct", "long 1 from 100 at 110.1: gain "
		"10.10% exceeds take_profit_pct 10.00 (instance ma-fast)");
	pos(r, 0, 0, 110.1, T0 + S(2));
	pos(r, -1, 100, 90.1, T0 + S(3));
	assert_int_equal(n_act, 1);
	pos(r, -1, 100, 89.9, T0 + S(4));
	assert_int_equal(n_act, 2);
	position_event("take_profit_pct", "short 1 from 100 at 89.9: gain "
		"10.10%");
	risk_free(r);
}

static void
stop_loss_abs_closes_at_an_unrealized_loss(void **unused)
{
	struct risk_limits l = { .stop_loss_abs = 50 };
	struct risk *r = position_engine(&l);

	(void)unused;
	pos(r, 2, 100, 75.1, T0);                 /* -49.8 */
	assert_int_equal(n_log, 0);
	pos(r, 2, 100, 74.9, T0 + S(1));          /* -50.2 */
	assert_int_equal(n_act, 1);
	position_event("stop_loss_abs", "long 2 from 100 at 74.9: unrealized "
		"loss 50.20 exceeds stop_loss_abs 50.00 (instance ma-fast)");
	pos(r, -2, 100, 125.1, T0 + S(2));        /* -2 x 25.1 */
	assert_int_equal(n_act, 2);
	position_event("stop_loss_abs", "unrealized loss 50.20");
	risk_free(r);
}

static void
take_profit_abs_closes_at_an_unrealized_gain(void **unused)
{
	struct risk_limits l = { .take_profit_abs = 30 };
	struct risk *r = position_engine(&l);

	(void)unused;
	pos(r, 3, 100, 109.9, T0);                /* 29.7 */
	assert_int_equal(n_log, 0);
	pos(r, 3, 100, 110.1, T0 + S(1));         /* 30.3 */
	assert_int_equal(n_act, 1);
	position_event("take_profit_abs", "long 3 from 100 at 110.1: "
		"unrealized gain 30.30 exceeds take_profit_abs 30.00 "
		"(instance ma-fast)");
	risk_free(r);
}

static void
trailing_stop_follows_the_best_price_both_ways(void **unused)
{
	struct risk_limits l = { .trailing_stop_pct = 5 };
	struct risk *r = position_engine(&l);

	(void)unused;
	pos(r, 1, 100, 110, T0);
	pos(r, 1, 100, 120, T0 + S(1));           /* best 120, stop at 114 */
	pos(r, 1, 100, 114.1, T0 + S(2));
	assert_int_equal(n_log, 0);
	pos(r, 1, 100, 113.9, T0 + S(3));
	assert_int_equal(n_act, 1);
	position_event("trailing_stop_pct", "long 1: mark 113.9 is 5.08% "
		"below the best 120 since entry, trailing_stop_pct 5.00 "
		"(instance ma-fast)");
	pos(r, 1, 100, 100, T0 + S(4));
	assert_int_equal(n_act, 1);               /* once */
	pos(r, -1, 100, 90, T0 + S(5));           /* short: best 80 -> 84 */
	pos(r, -1, 100, 80, T0 + S(6));
	pos(r, -1, 100, 83.9, T0 + S(7));
	assert_int_equal(n_act, 1);
	pos(r, -1, 100, 84.2, T0 + S(8));
	assert_int_equal(n_act, 2);
	position_event("trailing_stop_pct", "short 1: mark 84.2 is 5.25% "
		"above the best 80");
	pos(r, 0, 0, 84.2, T0 + S(9));            /* the trail starts at */
	pos(r, 1, 100, 95.1, T0 + S(10));         /* the entry price */
	assert_int_equal(n_act, 2);
	pos(r, 1, 100, 94.9, T0 + S(11));
	assert_int_equal(n_act, 3);
	risk_free(r);
}

static void
position_rules_apply_only_in_their_own_scope(void **unused)
{
	struct risk_limits l = { .stop_loss_pct = 1 };
	struct risk *r = engine();

	(void)unused;
	set(r, RISK_SCOPE_GLOBAL, "", &l);
	risk_on_position(r, RISK_SCOPE_INSTANCE, "ma-fast", SYM, 1, 100, 50,
		T0);
	assert_int_equal(n_log, 0);
	risk_on_position(r, RISK_SCOPE_GLOBAL, "", SYM, 1, 100, 50, T0);
	assert_int_equal(n_act, 1);
	expect(breach(), "stop_loss_pct", RISK_SCOPE_GLOBAL, "",
		RISK_CLOSE | RISK_NOTIFY, "(global)");
	risk_free(r);
}

/* ---- per scope: equity -------------------------------------------- */

static void
eq(struct risk *r, const char *id, double equity, int64_t now)
{
	risk_on_equity(r, RISK_SCOPE_ACCOUNT, id, equity, now);
}

static struct risk *
account_engine(const struct risk_limits *l)
{
	struct risk *r = engine();

	set(r, RISK_SCOPE_ACCOUNT, "acct1", l);
	return r;
}

/*
 * Account acct1 with limits `l` sees equity 1000 at `t0`, `below` at
 * `t1` (nothing may happen) and `beyond` at `t2`: one breach of `rule`,
 * halting, cancelling, closing and notifying, its reason saying `part`.
 * Returns the engine for more.
 */
static struct risk *
equity_trips(const struct risk_limits *l, int64_t t0, double below,
	int64_t t1, double beyond, int64_t t2, const char *rule,
	const char *part)
{
	struct risk *r = account_engine(l);

	eq(r, "acct1", 1000, t0);
	eq(r, "acct1", below, t1);
	assert_int_equal(n_log, 0);
	eq(r, "acct1", beyond, t2);
	assert_int_equal(n_act, 1);
	expect(breach(), rule, RISK_SCOPE_ACCOUNT, "acct1", BREACH_EQUITY,
		part);
	assert_string_equal(acts[0].symbol, "");
	assert_int_equal(acts[0].ts, t2);
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL, t2,
		NULL), 1);
	return r;
}

static void
account_stop_loss_pct_halts_until_resume(void **unused)
{
	struct risk_limits l = { .account_stop_loss_pct = 10 };
	struct risk_order o = order(QD_SIDE_BUY, 1, 100, T0 + S(20));
	struct risk *r;
	const char *why;
	struct rec out;

	(void)unused;
	r = equity_trips(&l, T0, 901, T0 + S(1), 899, T0 + S(2),
		"account_stop_loss_pct", "equity 899.00 is 10.10% below its "
		"first 1000.00, beyond account_stop_loss_pct 10.00 "
		"(account acct1)");
	eq(r, "acct1", 800, T0 + S(3));
	assert_int_equal(n_log, 1);               /* fired once */
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL,
		T0 + DAY_NS * 40, &why), 1);
	assert_non_null(strstr(why, "10.10% below"));
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	assert_string_equal(out.rule, "halted");
	assert_int_equal(out.scope, RISK_SCOPE_ACCOUNT);
	eq(r, "acct1", 800, T0 + DAY_NS * 40);    /* no window ends it */
	assert_int_equal(n_log, 2);
	assert_int_equal(risk_resume(r, RISK_SCOPE_ACCOUNT, "acct1",
		T0 + DAY_NS * 41), QD_OK);
	expect(&logs[n_log - 1], "account_stop_loss_pct", RISK_SCOPE_ACCOUNT,
		"acct1", RISK_RESUME, "lifted by hand");
	/* resumed: measured afresh from the next equity */
	eq(r, "acct1", 800, T0 + DAY_NS * 42);
	eq(r, "acct1", 730, T0 + DAY_NS * 42 + S(1));
	assert_int_equal(n_act, 1);
	eq(r, "acct1", 710, T0 + DAY_NS * 42 + S(2));
	assert_int_equal(n_act, 2);
	risk_free(r);
}

/* The rules that need no more than equity_trips checks. */
static void
account_take_profit_pct_halts(void **unused)
{
	struct risk_limits l = { .account_take_profit_pct = 20 };

	(void)unused;
	risk_free(equity_trips(&l, T0, 1199, T0 + S(1), 1201, T0 + S(2),
		"account_take_profit_pct", "equity 1201.00 is 20.10% above "
		"its first 1000.00, beyond account_take_profit_pct 20.00"));
}

static void
account_stop_loss_abs_halts(void **unused)
{
	struct risk_limits l = { .account_stop_loss_abs = 50 };

	(void)unused;
	risk_free(equity_trips(&l, T0, 951, T0 + S(1), 949, T0 + S(2),
		"account_stop_loss_abs", "equity 949.00 is 51.00 below its "
		"first 1000.00, beyond account_stop_loss_abs 50.00"));
}

static void
account_take_profit_abs_halts(void **unused)
{
	struct risk_limits l = { .account_take_profit_abs = 100 };

	(void)unused;
	risk_free(equity_trips(&l, T0, 1099, T0 + S(1), 1101, T0 + S(2),
		"account_take_profit_abs", "equity 1101.00 is 101.00 above "
		"its first 1000.00, beyond account_take_profit_abs 100.00"));
}

static void
daily_loss_pct_halts(void **unused)
{
	struct risk_limits l = { .daily_loss_pct = 5 };

	(void)unused;
	risk_free(equity_trips(&l, T0, 951, T0 + HOUR_NS, 949,
		T0 + 2 * HOUR_NS, "daily_loss_pct", "daily loss 5.10% "
		"(1000.00 -> 949.00) exceeds daily_loss_pct 5.00; halted "
		"until 2024-03-06 00:00"));
}

static void
weekly_loss_pct_halts(void **unused)
{
	struct risk_limits l = { .weekly_loss_pct = 10 };

	(void)unused;
	risk_free(equity_trips(&l, T0, 901, T0 + DAY_NS, 899, T0 + 2 * DAY_NS,
		"weekly_loss_pct", "weekly loss 10.10% (1000.00 -> 899.00) "
		"exceeds weekly_loss_pct 10.00; halted until 2024-03-11"));
}

static void
monthly_loss_pct_halts(void **unused)
{
	struct risk_limits l = { .monthly_loss_pct = 30 };

	(void)unused;
	risk_free(equity_trips(&l, T0, 701, S(T_0320_12), 699,
		S(T_0320_12) + 1, "monthly_loss_pct", "monthly loss 30.10% "
		"(1000.00 -> 699.00) exceeds monthly_loss_pct 30.00; halted "
		"until 2024-04-01"));
}

static void
daily_loss_halts_until_midnight_then_resumes(void **unused)
{
	struct risk_limits l = { .daily_loss = 100 };
	struct risk_state st;
	struct risk *r;

	(void)unused;
	r = equity_trips(&l, T0, 901, T0 + 2 * HOUR_NS, 899, T0 + 3 * HOUR_NS,
		"daily_loss", "daily loss 101.00 (1000.00 -> 899.00) exceeds "
		"daily_loss 100.00; halted until 2024-03-06 00:00 UTC+00:00 "
		"(account acct1)");
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_int_equal(st.halted, 1);
	assert_int_equal(st.halt_until, S(T_0306));
	assert_string_equal(st.halt_rule, "daily_loss");
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL,
		S(T_0306) - 1, NULL), 1);
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL,
		S(T_0306), NULL), 0);
	eq(r, "acct1", 850, S(T_0306) - HOUR_NS);
	assert_int_equal(n_log, 1);               /* fired once */
	eq(r, "acct1", 850, S(T_0306));           /* the next day */
	assert_int_equal(n_log, 2);
	assert_int_equal(n_act, 1);               /* a resume is not acted on */
	expect(&logs[1], "daily_loss", RISK_SCOPE_ACCOUNT, "acct1",
		RISK_RESUME, "halt by daily_loss ended at 2024-03-06 00:00");
	assert_int_equal(logs[1].ts, S(T_0306));
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_int_equal(st.halted, 0);
	assert_true(st.day_start == 850);         /* the window restarted */
	assert_int_equal(st.day_key, T_0306 / 86400);
	eq(r, "acct1", 751, S(T_0306) + HOUR_NS);
	assert_int_equal(n_act, 1);
	eq(r, "acct1", 749, S(T_0306) + 2 * HOUR_NS);
	assert_int_equal(n_act, 2);
	expect(breach(), "daily_loss", RISK_SCOPE_ACCOUNT, "acct1",
		BREACH_EQUITY, "halted until 2024-03-07 00:00");
	risk_free(r);
}

static void
weekly_loss_halts_until_monday(void **unused)
{
	struct risk_limits l = { .weekly_loss = 200 };
	struct risk_state st;
	struct risk *r;

	(void)unused;                             /* Tuesday to Thursday */
	r = equity_trips(&l, T0, 801, T0 + DAY_NS, 799, T0 + 2 * DAY_NS,
		"weekly_loss", "weekly loss 201.00 (1000.00 -> 799.00) exceeds "
		"weekly_loss 200.00; halted until 2024-03-11 00:00 UTC+00:00");
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_int_equal(st.halt_until, S(T_0311));
	assert_int_equal(st.week_key, T_0311 / 86400 - 7);
	eq(r, "acct1", 700, S(T_0311) + HOUR_NS);
	expect(&logs[n_log - 1], "weekly_loss", RISK_SCOPE_ACCOUNT, "acct1",
		RISK_RESUME, "ended at 2024-03-11 00:00 UTC+00:00");
	assert_int_equal(logs[n_log - 1].ts, S(T_0311));   /* at its end */
	risk_free(r);
}

static void
monthly_loss_halts_until_the_first(void **unused)
{
	struct risk_limits l = { .monthly_loss = 300 };
	struct risk_state st;
	struct risk *r;

	(void)unused;
	r = equity_trips(&l, T0, 701, S(T_0320_12), 699, S(T_0320_12) + 1,
		"monthly_loss", "monthly loss 301.00 (1000.00 -> 699.00) "
		"exceeds monthly_loss 300.00; halted until 2024-04-01 00:00");
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_int_equal(st.halt_until, S(T_0401));
	assert_int_equal(st.month_key, 2024 * 12 + 2);
	risk_free(r);
}

static void
max_drawdown_pct_halts_from_the_peak(void **unused)
{
	struct risk_limits l = { .max_drawdown_pct = 10 };
	struct risk *r = account_engine(&l);
	struct risk_state st;

	(void)unused;
	eq(r, "acct1", 1000, T0);
	eq(r, "acct1", 1200, T0 + S(1));
	eq(r, "acct1", 1081, T0 + S(2));          /* 9.92 % */
	assert_int_equal(n_log, 0);
	eq(r, "acct1", 1079, T0 + S(3));          /* 10.08 % */
	assert_int_equal(n_act, 1);
	expect(breach(), "max_drawdown_pct", RISK_SCOPE_ACCOUNT, "acct1",
		BREACH_EQUITY, "drawdown 10.08% from the peak 1200.00 to "
		"1079.00 exceeds max_drawdown_pct 10.00 (account acct1)");
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_int_equal(st.halted, 1);
	assert_int_equal(st.halt_until, 0);
	assert_true(st.peak_equity == 1200);
	eq(r, "acct1", 900, T0 + DAY_NS * 60);
	assert_int_equal(n_log, 1);
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL,
		T0 + DAY_NS * 60, NULL), 1);
	risk_free(r);
}

static void
max_consecutive_losses_halts_at_the_count(void **unused)
{
	struct risk_limits l = { .max_consecutive_losses = 3 };
	struct risk *r = account_engine(&l);
	struct risk_state st;

	(void)unused;
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", -1, T0);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", -1, T0 + 1);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", 0, T0 + 2);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", 5, T0 + 3);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", -1, T0 + 4);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", 0, T0 + 5);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", -2, T0 + 6);
	assert_int_equal(n_log, 0);
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_int_equal(st.consecutive_losses, 2);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", -3.5, T0 + 7);
	assert_int_equal(n_act, 1);
	expect(breach(), "max_consecutive_losses", RISK_SCOPE_ACCOUNT,
		"acct1", RISK_HALT | RISK_CANCEL | RISK_NOTIFY,
		"3 consecutive losing trades, max_consecutive_losses 3 "
		"(last -3.50)");
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", -1, T0 + 8);
	assert_int_equal(n_log, 1);
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL,
		T0 + DAY_NS * 9, NULL), 1);
	assert_int_equal(risk_resume(r, RISK_SCOPE_ACCOUNT, "acct1",
		T0 + DAY_NS), QD_OK);
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_int_equal(st.consecutive_losses, 0);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", -1, T0 + DAY_NS);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", -1, T0 + DAY_NS);
	assert_int_equal(n_act, 1);
	risk_on_closed_trade(r, RISK_SCOPE_ACCOUNT, "acct1", -1, T0 + DAY_NS);
	assert_int_equal(n_act, 2);
	risk_free(r);
}


static void
a_longer_halt_replaces_a_shorter_one(void **unused)
{
	struct risk_limits l = { .daily_loss = 100, .weekly_loss = 150,
		.max_drawdown_pct = 30 };
	struct risk *r = account_engine(&l);
	struct risk_state st;

	(void)unused;
	eq(r, "acct1", 1000, T0);
	eq(r, "acct1", 890, T0 + HOUR_NS);       /* daily: until Mar 6 */
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_string_equal(st.halt_rule, "daily_loss");
	assert_int_equal(st.halt_until, S(T_0306));
	eq(r, "acct1", 840, T0 + 2 * HOUR_NS);   /* weekly: until Mar 11 */
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_string_equal(st.halt_rule, "weekly_loss");
	assert_int_equal(st.halt_until, S(T_0311));
	assert_int_equal(n_act, 2);
	eq(r, "acct1", 690, T0 + 3 * HOUR_NS);   /* drawdown: until resume */
	assert_int_equal(n_act, 3);
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_string_equal(st.halt_rule, "max_drawdown_pct");
	assert_int_equal(st.halt_until, 0);
	/* the week ending does not end a halt until resume */
	eq(r, "acct1", 690, S(T_0311) + HOUR_NS);
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL,
		S(T_0311) + HOUR_NS, NULL), 1);
	assert_int_equal(n_act, 3);
	/* nor does a shorter halt that comes later */
	eq(r, "acct1", 580, S(T_0311) + 2 * HOUR_NS);
	assert_int_equal(n_act, 4);
	assert_string_equal(acts[3].rule, "daily_loss");
	st = state_of(r, RISK_SCOPE_ACCOUNT, "acct1");
	assert_string_equal(st.halt_rule, "max_drawdown_pct");
	assert_int_equal(st.halt_until, 0);
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "acct1", NULL,
		S(T_0311) + 2 * DAY_NS, NULL), 1);
	risk_free(r);
}

static void
many_scopes_keep_their_own_limits(void **unused)
{
	enum { N = 300 };
	struct risk *r = engine();
	struct risk_limits l;
	struct risk_order o = order(QD_SIDE_BUY, 1, 1, T0);
	char id[N][16];
	struct rec out;
	int i;

	(void)unused;
	for (i = 0; i < N; i++) {
		memset(&l, 0, sizeof(l));
		l.max_order_notional = 10 + i;
		snprintf(id[i], sizeof(id[i]), "inst-%d", i);
		set(r, RISK_SCOPE_INSTANCE, id[i], &l);
		l.max_order_notional = 1000 + i;
		set(r, RISK_SCOPE_ACCOUNT, id[i], &l);
	}
	for (i = 0; i < N; i++) {
		o.instance = id[i];
		o.account = id[(i + 1) % N];
		o.qty = 10 + i;
		assert_int_equal(check(r, &o, NULL), QD_OK);
		o.qty = 11 + i;
		assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
		assert_int_equal(out.scope, RISK_SCOPE_INSTANCE);
		assert_string_equal(out.scope_id, id[i]);
		o.qty = 1001 + (i + 1) % N;
		assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
		assert_int_equal(out.scope, RISK_SCOPE_ACCOUNT);
		assert_string_equal(out.scope_id, id[(i + 1) % N]);
		n_log = 0;
	}
	risk_free(r);
}

/* ---- calendar windows --------------------------------------------- */

/* Three accounts with the same limits in UTC, UTC+8 and UTC-5. */
static struct risk *
zones_engine(struct risk_limits l)
{
	struct risk *r = engine();

	l.utc_offset_min = 0;
	set(r, RISK_SCOPE_ACCOUNT, "utc", &l);
	l.utc_offset_min = 480;
	set(r, RISK_SCOPE_ACCOUNT, "east", &l);
	l.utc_offset_min = -300;
	set(r, RISK_SCOPE_ACCOUNT, "west", &l);
	return r;
}

/* 1000 at `a`, 880 at `b` in account `id`: whether that was a breach,
 * and the halt's end. */
static int
drop(struct risk *r, const char *id, int64_t a, int64_t b, int64_t *until)
{
	int before = n_act;
	struct risk_state st;

	eq(r, id, 1000, a);
	eq(r, id, 880, b);
	st = state_of(r, RISK_SCOPE_ACCOUNT, id);
	*until = st.halt_until;
	return n_act - before;
}

static void
day_windows_start_at_local_midnight(void **unused)
{
	struct risk_limits l = { .daily_loss = 100 };
	struct risk *r = zones_engine(l);
	int64_t mid = S(T_0305_16), until = 0;  /* 00:00 Mar 6 in UTC+8 */

	(void)unused;
	/* 15:59:59.999999999 -> 16:00 UTC: only UTC+8 crosses midnight */
	assert_int_equal(drop(r, "east", mid - 1, mid, &until), 0);
	assert_int_equal(state_of(r, RISK_SCOPE_ACCOUNT, "east").day_key,
		T_0306 / 86400);
	assert_int_equal(drop(r, "utc", mid - 1, mid, &until), 1);
	assert_int_equal(until, S(T_0306));
	assert_non_null(strstr(acts[n_act - 1].reason,
		"halted until 2024-03-06 00:00 UTC+00:00"));
	assert_int_equal(drop(r, "west", mid - 1, mid, &until), 1);
	assert_int_equal(until, S(T_0306_05));
	assert_non_null(strstr(acts[n_act - 1].reason,
		"halted until 2024-03-06 00:00 UTC-05:00"));
	risk_free(r);

	r = zones_engine(l);
	/* inside UTC+8's Mar 6: it ends at 16:00 UTC on Mar 6 */
	assert_int_equal(drop(r, "east", mid, mid + HOUR_NS, &until), 1);
	assert_int_equal(until, S(T_0305_16 + 86400));
	assert_non_null(strstr(acts[n_act - 1].reason,
		"halted until 2024-03-07 00:00 UTC+08:00"));
	/* midnight UTC: only UTC crosses */
	assert_int_equal(drop(r, "utc", S(T_0306) - 1, S(T_0306), &until), 0);
	/* 05:00 UTC is midnight in UTC-5 */
	assert_int_equal(drop(r, "west", S(T_0306_05) - 1, S(T_0306_05),
		&until), 0);
	risk_free(r);
}

static void
week_windows_start_on_local_monday(void **unused)
{
	struct risk_limits l = { .weekly_loss = 100 };
	struct risk *r = zones_engine(l);
	int64_t until = 0;

	(void)unused;
	/* Saturday -> Sunday midnight UTC is inside one week */
	assert_int_equal(drop(r, "utc", S(T_0310) - 1, S(T_0310), &until), 1);
	assert_int_equal(until, S(T_0311));
	risk_free(r);

	r = zones_engine(l);
	/* Sunday -> Monday midnight UTC: a new week */
	assert_int_equal(drop(r, "utc", S(T_0311) - 1, S(T_0311), &until), 0);
	assert_int_equal(state_of(r, RISK_SCOPE_ACCOUNT, "utc").week_key,
		T_0311 / 86400);
	/* ... still Sunday 19:00 in UTC-5: the same week, ends 05:00 UTC */
	assert_int_equal(drop(r, "west", S(T_0311) - 1, S(T_0311), &until),
		1);
	assert_int_equal(until, S(T_0311_05));
	/* Monday 00:00 in UTC+8 is Sunday 16:00 UTC */
	assert_int_equal(drop(r, "east", S(T_0310_16) - 1, S(T_0310_16),
		&until), 0);
	assert_int_equal(state_of(r, RISK_SCOPE_ACCOUNT, "east").week_key,
		T_0311 / 86400);
	risk_free(r);
}

static void
month_windows_know_february_and_the_new_year(void **unused)
{
	struct risk_limits l = { .monthly_loss = 100 };
	struct risk *r = zones_engine(l);
	int64_t until = 0;

	(void)unused;
	/* 2024 is a leap year: Feb 28 -> Feb 29 is one month, ends Mar 1 */
	assert_int_equal(drop(r, "utc", S(T_0228_12), S(T_0229), &until), 1);
	assert_int_equal(until, S(T_0301));
	assert_int_equal(state_of(r, RISK_SCOPE_ACCOUNT, "utc").month_key,
		2024 * 12 + 1);
	/* in UTC+8 March begins at Feb 29 16:00 UTC */
	assert_int_equal(drop(r, "east", S(T_0229_16) - 1, S(T_0229_16),
		&until), 0);
	assert_int_equal(state_of(r, RISK_SCOPE_ACCOUNT, "east").month_key,
		2024 * 12 + 2);
	/* in UTC-5 Mar 1 04:59 UTC is still Feb 29 */
	assert_int_equal(drop(r, "west", S(T_0301), S(T_0301_05) - 1, &until),
		1);
	assert_int_equal(until, S(T_0301_05));
	assert_non_null(strstr(acts[n_act - 1].reason,
		"halted until 2024-03-01 00:00 UTC-05:00"));
	risk_free(r);

	r = zones_engine(l);
	/* Feb 29 -> Mar 1 midnight UTC: a new month */
	assert_int_equal(drop(r, "utc", S(T_0301) - 1, S(T_0301), &until), 0);
	/* 2023 is not: February ends after the 28th */
	assert_int_equal(drop(r, "west", S(T23_0228_12), S(T23_0228_12) + 1,
		&until), 1);
	assert_int_equal(until, S(T23_0301) + S(5 * 3600));
	risk_free(r);

	r = zones_engine(l);
	assert_int_equal(drop(r, "utc", S(T23_0228_12), S(T23_0228_12) + 1,
		&until), 1);
	assert_int_equal(until, S(T23_0301));
	/* Dec 31 -> Jan 1 */
	assert_int_equal(drop(r, "east", S(T23_1231_12), S(T23_1231_12) + 1,
		&until), 1);
	assert_int_equal(until, S(T23_1231_16));
	assert_non_null(strstr(acts[n_act - 1].reason,
		"halted until 2024-01-01 00:00 UTC+08:00"));
	risk_free(r);

	r = zones_engine(l);
	assert_int_equal(drop(r, "utc", S(T23_1231_12), S(T23_1231_12) + 1,
		&until), 1);
	assert_int_equal(until, S(T_0101));
	assert_int_equal(state_of(r, RISK_SCOPE_ACCOUNT, "utc").month_key,
		2023 * 12 + 11);
	eq(r, "utc", 880, S(T_0101));             /* the year's first */
	expect(&logs[n_log - 1], "monthly_loss", RISK_SCOPE_ACCOUNT, "utc",
		RISK_RESUME, "ended at 2024-01-01 00:00 UTC+00:00");
	assert_int_equal(state_of(r, RISK_SCOPE_ACCOUNT, "utc").month_key,
		2024 * 12);
	/* 2100 is not a leap year, 2000 was */
	assert_int_equal(drop(r, "west", S(T2100_0201 + 12 * 3600),
		S(T2100_0201 + 12 * 3600) + 1, &until), 1);
	assert_int_equal(until, S(T2100_0301) + S(5 * 3600));
	assert_int_equal(drop(r, "east", S(T2000_0201 + 12 * 3600),
		S(T2000_0201 + 12 * 3600) + 1, &until), 1);
	assert_int_equal(until, S(T2000_0301) - S(8 * 3600));
	/* 2000-02-29 is the last day of a 400-year era */
	assert_int_equal(drop(r, "utc", S(T2000_0229_12), S(T2000_0229_12) + 1,
		&until), 1);
	assert_int_equal(until, S(T2000_0301));
	assert_int_equal(state_of(r, RISK_SCOPE_ACCOUNT, "utc").month_key,
		2000 * 12 + 1);
	assert_int_equal(state_of(r, RISK_SCOPE_ACCOUNT, "utc").day_key,
		T2000_0229_12 / 86400);
	risk_free(r);
}

/* ---- a restart ---------------------------------------------------- */

#define MAX_SAVED 8
struct saved {
	enum risk_scope kind;
	char id[32];
	struct risk_state st;
};
static struct saved saved[MAX_SAVED];
static int n_saved;

static int
save_state(void *arg, enum risk_scope kind, const char *id,
	const struct risk_state *s)
{
	(void)arg;
	assert_true(n_saved < MAX_SAVED);
	saved[n_saved].kind = kind;
	snprintf(saved[n_saved].id, sizeof(saved[n_saved].id), "%s", id);
	saved[n_saved].st = *s;
	n_saved++;
	return 0;
}

static const struct risk_limits day_limits = { .daily_loss = 100 };
static const struct risk_limits dd_limits = { .max_drawdown_pct = 5 };

static void
restart_limits(struct risk *r)
{
	set(r, RISK_SCOPE_ACCOUNT, "day", &day_limits);
	set(r, RISK_SCOPE_ACCOUNT, "dd", &dd_limits);
	set(r, RISK_SCOPE_ACCOUNT, "peak", &dd_limits);
}

/* Export every scope's state, free the engine, start a new one. */
static struct risk *
restart(struct risk *r)
{
	int i;

	n_saved = 0;
	risk_each_state(r, save_state, NULL);
	risk_free(r);
	r = engine();
	restart_limits(r);
	for (i = 0; i < n_saved; i++)
		assert_int_equal(risk_restore(r, saved[i].kind, saved[i].id,
			&saved[i].st), QD_OK);
	return r;
}

static void
state_survives_a_restart(void **unused)
{
	struct risk *r = engine();

	(void)unused;
	restart_limits(r);
	eq(r, "day", 1000, T0);                   /* a day's loss of 40 */
	eq(r, "day", 960, T0 + HOUR_NS);
	eq(r, "dd", 1000, T0);                    /* halted by drawdown */
	eq(r, "dd", 1050, T0 + HOUR_NS);
	eq(r, "dd", 1040, S(T_0306) + HOUR_NS);
	eq(r, "dd", 990, S(T_0306) + 2 * HOUR_NS);
	assert_int_equal(n_act, 1);
	expect(breach(), "max_drawdown_pct", RISK_SCOPE_ACCOUNT, "dd",
		BREACH_EQUITY, "5.71% from the peak 1050.00");
	eq(r, "peak", 1000, T0);                  /* a peak of 1200 */
	eq(r, "peak", 1200, T0 + HOUR_NS);
	eq(r, "peak", 1150, T0 + 2 * HOUR_NS);    /* 4.2 % below */
	assert_int_equal(n_act, 1);
	risk_halt(r, RISK_SCOPE_INSTANCE, "manual", "by hand", T0);
	r = restart(r);
	assert_int_equal(n_saved, 4);
	assert_int_equal(n_log, 0);

	/* the day's window goes on: 70 more is 110 since its start */
	eq(r, "day", 890, T0 + 3 * HOUR_NS);
	assert_int_equal(n_act, 1);
	expect(breach(), "daily_loss", RISK_SCOPE_ACCOUNT, "day",
		BREACH_EQUITY, "daily loss 110.00 (1000.00 -> 890.00)");
	/* the drawdown halt holds, and does not fire again */
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "dd", NULL,
		S(T_0306) + DAY_NS * 10, NULL), 1);
	eq(r, "dd", 900, S(T_0306) + 3 * HOUR_NS);
	eq(r, "dd", 900, S(T_0306) + DAY_NS * 10);
	assert_int_equal(n_act, 1);
	/* the peak is remembered: 1130 is 5.8 % below 1200 */
	eq(r, "peak", 1130, T0 + 3 * HOUR_NS);
	assert_int_equal(n_act, 2);
	expect(breach(), "max_drawdown_pct", RISK_SCOPE_ACCOUNT, "peak",
		BREACH_EQUITY, "from the peak 1200.00");
	assert_int_equal(risk_halted(r, RISK_SCOPE_INSTANCE, "manual", NULL,
		T0 + DAY_NS, NULL), 1);

	/* and once more: the daily halt ends at midnight after a restart */
	r = restart(r);
	assert_int_equal(n_saved, 4);
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "day", NULL,
		S(T_0306) - 1, NULL), 1);
	eq(r, "day", 800, S(T_0306) - MIN_NS);
	assert_int_equal(n_log, 0);               /* fired before: not again */
	eq(r, "day", 800, S(T_0306));
	assert_int_equal(n_log, 1);
	expect(&logs[0], "daily_loss", RISK_SCOPE_ACCOUNT, "day", RISK_RESUME,
		"ended");
	assert_int_equal(risk_halted(r, RISK_SCOPE_ACCOUNT, "day", NULL,
		S(T_0306), NULL), 0);
	assert_int_equal(risk_resume(r, RISK_SCOPE_ACCOUNT, "dd",
		S(T_0306) + DAY_NS * 11), QD_OK);
	expect(&logs[1], "max_drawdown_pct", RISK_SCOPE_ACCOUNT, "dd",
		RISK_RESUME, "lifted by hand");
	risk_free(r);
}

/* ---- the circuit breaker ------------------------------------------ */

static struct risk *
circuit_engine(double pct, int window_s, int halt_s)
{
	struct risk_limits l = { .circuit_move_pct = pct,
		.circuit_window_s = window_s, .circuit_halt_s = halt_s };
	struct risk *r = engine();

	set(r, RISK_SCOPE_GLOBAL, "", &l);
	return r;
}

static void
circuit_breaker_trips_on_a_move_within_the_window(void **unused)
{
	struct risk *r = circuit_engine(5, 10, 30);
	struct risk_order o = order(QD_SIDE_BUY, 1, 105, T0 + S(39));
	const struct rec *e;
	const char *why;
	struct rec out;

	(void)unused;
	risk_on_price(r, SYM, 100, T0);
	risk_on_price(r, SYM, 103, T0 + S(4));
	risk_on_price(r, SYM, 104.9, T0 + S(9));  /* 4.9 % */
	risk_on_price(r, "ETH/USDT", 3000, T0 + S(9));
	assert_int_equal(n_log, 0);
	risk_on_price(r, SYM, 105.1, T0 + S(10)); /* the window's edge */
	assert_int_equal(n_act, 1);
	e = breach();
	expect(e, "circuit_breaker", RISK_SCOPE_GLOBAL, "",
		RISK_HALT | RISK_CANCEL | RISK_NOTIFY, "BTC/USDT moved 5.10% "
		"(100 -> 105.1) within 10 s, beyond circuit_move_pct 5.00; "
		"entries halted for 30 s");
	assert_string_equal(e->symbol, SYM);
	assert_int_equal(e->ts, T0 + S(10));
	risk_on_price(r, SYM, 200, T0 + S(11));   /* ignored while halted */
	assert_int_equal(n_act, 1);
	assert_int_equal(risk_halted(r, RISK_SCOPE_GLOBAL, "", SYM,
		T0 + S(40) - 1, &why), 1);
	assert_non_null(strstr(why, "moved 5.10%"));
	assert_int_equal(risk_halted(r, RISK_SCOPE_GLOBAL, "", SYM,
		T0 + S(40), &why), 0);
	assert_null(why);
	assert_int_equal(risk_halted(r, RISK_SCOPE_GLOBAL, "", "ETH/USDT",
		T0 + S(20), NULL), 0);
	/* entries in the symbol are refused, reduce-only passes */
	assert_int_equal(check(r, &o, &out), QD_ERR_DENIED);
	refused(&out, "circuit_breaker", RISK_SCOPE_GLOBAL, "",
		"BTC/USDT halted by the circuit breaker for 1 s more", 42);
	o.reduce_only = 1;
	assert_int_equal(check(r, &o, NULL), QD_OK);
	o.reduce_only = 0;
	o.symbol = "ETH/USDT";
	assert_int_equal(check(r, &o, NULL), QD_OK);
	/* the halt ends after circuit_halt_s, reported once */
	o.symbol = SYM;
	o.now = T0 + S(40);
	n_log = 0;
	assert_int_equal(check(r, &o, NULL), QD_OK);
	assert_int_equal(n_log, 1);
	expect(&logs[0], "circuit_breaker", RISK_SCOPE_GLOBAL, "",
		RISK_RESUME, "BTC/USDT circuit breaker halt ended");
	assert_string_equal(logs[0].symbol, SYM);
	assert_int_equal(logs[0].ts, T0 + S(40));
	risk_on_price(r, SYM, 105, T0 + S(41));   /* a fresh window */
	assert_int_equal(n_log, 1);
	assert_int_equal(n_act, 1);
	risk_free(r);
}

static void
circuit_breaker_halts_of_symbols_end_each_at_its_time(void **unused)
{
	struct risk *r = circuit_engine(5, 10, 30);

	(void)unused;
	risk_on_price(r, "A/USDT", 100, T0);
	risk_on_price(r, "A/USDT", 110, T0 + S(1));          /* until +31 */
	risk_on_price(r, "B/USDT", 100, T0 + S(5));
	risk_on_price(r, "B/USDT", 90, T0 + S(10));          /* until +40 */
	assert_int_equal(n_act, 2);
	assert_string_equal(acts[1].symbol, "B/USDT");
	risk_on_price(r, "C/USDT", 100, T0 + S(31) - 1);
	assert_int_equal(n_log, 2);
	risk_on_price(r, "C/USDT", 100, T0 + S(35));
	assert_int_equal(n_log, 3);
	expect(&logs[2], "circuit_breaker", RISK_SCOPE_GLOBAL, "",
		RISK_RESUME, "A/USDT circuit breaker halt ended");
	assert_int_equal(logs[2].ts, T0 + S(31));
	assert_int_equal(risk_halted(r, RISK_SCOPE_GLOBAL, "", "B/USDT",
		T0 + S(35), NULL), 1);
	risk_on_price(r, "C/USDT", 100, T0 + S(39));
	assert_int_equal(n_log, 3);
	risk_on_price(r, "A/USDT", 100, T0 + S(45));
	assert_int_equal(n_log, 4);
	expect(&logs[3], "circuit_breaker", RISK_SCOPE_GLOBAL, "",
		RISK_RESUME, "B/USDT circuit breaker halt ended");
	assert_int_equal(logs[3].ts, T0 + S(40));
	/* A trips again */
	risk_on_price(r, "A/USDT", 94, T0 + S(46));
	assert_int_equal(n_act, 3);
	assert_string_equal(acts[2].symbol, "A/USDT");
	risk_free(r);
}

static void
circuit_breaker_ignores_the_move_spread_over_longer(void **unused)
{
	struct risk *r = circuit_engine(5, 10, 30);

	(void)unused;
	risk_on_price(r, SYM, 100, T0);
	risk_on_price(r, SYM, 105.1, T0 + S(10) + 1);
	assert_int_equal(n_log, 0);
	risk_free(r);

	r = circuit_engine(5, 10, 30);
	risk_on_price(r, SYM, 100, T0);           /* 8 % over 24 s */
	risk_on_price(r, SYM, 102, T0 + S(6));
	risk_on_price(r, SYM, 104, T0 + S(12));
	risk_on_price(r, SYM, 106, T0 + S(18));
	risk_on_price(r, SYM, 108, T0 + S(24));
	assert_int_equal(n_log, 0);
	risk_free(r);

	/* a fall is measured from the high */
	r = circuit_engine(5, 10, 30);
	risk_on_price(r, SYM, 100, T0);
	risk_on_price(r, SYM, 95.1, T0 + S(5));
	assert_int_equal(n_log, 0);
	risk_on_price(r, SYM, 94.9, T0 + S(6));
	assert_int_equal(n_act, 1);
	expect(breach(), "circuit_breaker", RISK_SCOPE_GLOBAL, "",
		RISK_HALT | RISK_CANCEL | RISK_NOTIFY,
		"moved 5.10% (100 -> 94.9)");
	risk_free(r);
}

static void
circuit_breaker_forgets_extremes_that_left_the_window(void **unused)
{
	struct risk *r = circuit_engine(8, 10, 30);

	(void)unused;
	risk_on_price(r, SYM, 100, T0);
	risk_on_price(r, SYM, 107, T0 + S(1));
	risk_on_price(r, SYM, 101, T0 + S(5));
	risk_on_price(r, SYM, 103, T0 + S(11));   /* 107 is the window's */
	risk_on_price(r, SYM, 99, T0 + S(12));    /* first; now it left */
	risk_on_price(r, SYM, 98, T0 + S(14));    /* 107 -> 98 would be 8.4 % */
	assert_int_equal(n_log, 0);
	risk_on_price(r, SYM, 106, T0 + S(15));   /* 98 -> 106: 8.16 % */
	assert_int_equal(n_act, 1);
	expect(breach(), "circuit_breaker", RISK_SCOPE_GLOBAL, "",
		RISK_HALT | RISK_CANCEL | RISK_NOTIFY,
		"moved 8.16% (98 -> 106)");
	risk_free(r);
}

static void
circuit_breaker_halts_60_s_by_default(void **unused)
{
	struct risk *r = circuit_engine(5, 10, 0);

	(void)unused;
	risk_on_price(r, SYM, 100, T0);
	risk_on_price(r, SYM, 110, T0 + S(1));
	assert_int_equal(n_act, 1);
	assert_non_null(strstr(acts[0].reason, "halted for 60 s"));
	assert_int_equal(risk_halted(r, RISK_SCOPE_INSTANCE, "x", SYM,
		T0 + S(61) - 1, NULL), 1);
	assert_int_equal(risk_halted(r, RISK_SCOPE_INSTANCE, "x", SYM,
		T0 + S(61), NULL), 0);
	risk_on_price(r, "ETH/USDT", 3000, T0 + S(61));   /* any call */
	assert_int_equal(n_log, 2);
	expect(&logs[1], "circuit_breaker", RISK_SCOPE_GLOBAL, "",
		RISK_RESUME, "ended");
	risk_free(r);
}

static void
circuit_breaker_takes_only_global_settings(void **unused)
{
	struct risk_limits l = { .circuit_move_pct = 1,
		.circuit_window_s = 10 };
	struct risk *r = engine();

	(void)unused;
	set(r, RISK_SCOPE_INSTANCE, "ma-fast", &l);
	risk_on_price(r, SYM, 100, T0);
	risk_on_price(r, SYM, 120, T0 + S(1));
	assert_int_equal(n_log, 0);
	risk_free(r);
}

static int trips;

static void
count_act(void *arg, const struct risk_event *e)
{
	(void)e;
	(*(int *)arg)++;
}

/*
 * The breaker against a plain re-computation over every price of the
 * window, on a random walk with random gaps: the same trips at the same
 * times.
 */
static void
circuit_breaker_matches_a_plain_window_scan(void **unused)
{
	enum { N = 20000 };
	static int64_t ts[N];
	static double px[N];
	const int64_t w = S(10), halt = S(5);
	struct risk_limits l = { .circuit_move_pct = 3,
		.circuit_window_s = 10, .circuit_halt_s = 5 };
	struct risk *r = risk_new(count_act, NULL, &trips);
	uint64_t x = 0x2545F4914F6CDD1Dull;
	int64_t t = T0, halted_until = 0, thi = 0, tlo = 0;
	double p = 1000, hi, lo;
	int i, j, from = 0, want = 0;

	(void)unused;
	trips = 0;
	assert_non_null(r);
	set(r, RISK_SCOPE_GLOBAL, "", &l);
	for (i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t += (int64_t)(x % 3000) * 1000000;   /* 0 to 3 s */
		p *= 1 + ((double)((x >> 20) % 2001) - 1000) / 100000;
		ts[i] = t;
		px[i] = p;
		risk_on_price(r, SYM, p, t);
		if (t < halted_until)           /* halted: prices ignored */
			continue;
		while (from < i && (ts[from] < halted_until ||
		    ts[from] < t - w))
			from++;
		/* the latest of equal extremes, as a monotonic deque keeps */
		hi = 0;
		lo = 1e300;
		for (j = from; j <= i; j++) {
			if (px[j] >= hi) {
				hi = px[j];
				thi = ts[j];
			}
			if (px[j] <= lo) {
				lo = px[j];
				tlo = ts[j];
			}
		}
		if ((hi - lo) / (thi <= tlo ? hi : lo) * 100 > 3) {
			want++;
			halted_until = t + halt;
			from = i + 1;           /* the window starts afresh */
		}
		if (trips != want)
			fail_msg("price %d (%g): %d trips, want %d", i, p,
				trips, want);
	}
	assert_true(want > 5);
	risk_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(max_order_notional_refuses_above_the_limit),
		cmocka_unit_test(
			max_position_notional_counts_the_position_after),
		cmocka_unit_test(
			max_exposure_marks_the_symbol_at_the_order_price),
		cmocka_unit_test(
			max_open_orders_refuses_when_already_at_the_count),
		cmocka_unit_test(price_band_refuses_prices_away_from_the_last),
		cmocka_unit_test(position_levels_are_where_the_rules_fire),
		cmocka_unit_test(
			max_orders_is_a_sliding_window_of_passed_orders),
		cmocka_unit_test(max_orders_counts_only_orders_that_pass),
		cmocka_unit_test(
			halted_scope_refuses_entries_but_not_reduce_only),
		cmocka_unit_test(
			reduce_only_skips_size_limits_but_not_band_or_rate),
		cmocka_unit_test(
			global_refuses_before_account_before_instance),
		cmocka_unit_test(
			limits_changed_at_run_time_apply_to_the_next_order),
		cmocka_unit_test(bad_arguments_are_refused_without_a_decision),
		cmocka_unit_test(stop_loss_pct_closes_a_losing_position_once),
		cmocka_unit_test(take_profit_pct_closes_a_winning_position),
		cmocka_unit_test(stop_loss_abs_closes_at_an_unrealized_loss),
		cmocka_unit_test(take_profit_abs_closes_at_an_unrealized_gain),
		cmocka_unit_test(
			trailing_stop_follows_the_best_price_both_ways),
		cmocka_unit_test(position_rules_apply_only_in_their_own_scope),
		cmocka_unit_test(account_stop_loss_pct_halts_until_resume),
		cmocka_unit_test(account_take_profit_pct_halts),
		cmocka_unit_test(account_stop_loss_abs_halts),
		cmocka_unit_test(account_take_profit_abs_halts),
		cmocka_unit_test(daily_loss_halts_until_midnight_then_resumes),
		cmocka_unit_test(daily_loss_pct_halts),
		cmocka_unit_test(weekly_loss_halts_until_monday),
		cmocka_unit_test(weekly_loss_pct_halts),
		cmocka_unit_test(monthly_loss_halts_until_the_first),
		cmocka_unit_test(monthly_loss_pct_halts),
		cmocka_unit_test(max_drawdown_pct_halts_from_the_peak),
		cmocka_unit_test(max_consecutive_losses_halts_at_the_count),
		cmocka_unit_test(a_longer_halt_replaces_a_shorter_one),
		cmocka_unit_test(
			circuit_breaker_halts_of_symbols_end_each_at_its_time),
		cmocka_unit_test(many_scopes_keep_their_own_limits),
		cmocka_unit_test(day_windows_start_at_local_midnight),
		cmocka_unit_test(week_windows_start_on_local_monday),
		cmocka_unit_test(month_windows_know_february_and_the_new_year),
		cmocka_unit_test(state_survives_a_restart),
		cmocka_unit_test(
			circuit_breaker_trips_on_a_move_within_the_window),
		cmocka_unit_test(
			circuit_breaker_ignores_the_move_spread_over_longer),
		cmocka_unit_test(
			circuit_breaker_forgets_extremes_that_left_the_window),
		cmocka_unit_test(circuit_breaker_halts_60_s_by_default),
		cmocka_unit_test(circuit_breaker_takes_only_global_settings),
		cmocka_unit_test(circuit_breaker_matches_a_plain_window_scan),
	};

	return cmocka_run_group_tests_name("risk", tests, NULL, NULL);
}
