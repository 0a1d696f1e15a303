/*
 * test_alert.c -- the alert engine on handmade price series whose
 * crossings are worked out by hand in the comments: each kind fires on
 * exactly the events it should, never twice inside its cooldown, never
 * after its expiry; composites; validation naming the field; plan
 * limits; and the state kept in a real SQLite store across a restart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "alert/alert.h"
#include "bus/bus.h"
#include "daemon/alerts.h"
#include "loop/loop.h"
#include "log/log.h"
#include "market/symbol.h"
#include "plugin/plugin.h"

#define S(x) ((int64_t)(x) * 1000000000LL)
#define T0 S(1700000000)

static struct plugin_registry *reg;

/* What fired, in order. */
struct got {
	char channels[1024][40];   /* "(all)" for NULL */
	uint64_t id[1024];
	int64_t ts[1024];
	double price[1024];
	char msg[1024][256];
	size_t n;
};

static struct got got;

static void
on_fired(void *arg, const struct alert_fired *f)
{
	(void)arg;
	assert_true(got.n < 1024);
	got.id[got.n] = f->id;
	got.ts[got.n] = f->ts_ns;
	got.price[got.n] = f->price;
	snprintf(got.channels[got.n], sizeof(got.channels[0]), "%s",
		f->channels ? f->channels : "(all)");
	snprintf(got.msg[got.n], sizeof(got.msg[0]), "%s", f->message);
	got.n++;
}

static int
setup(void **st)
{
	char path[4096];

	(void)st;
	log_open("/dev/null", QD_LOG_ERROR);
	snprintf(path, sizeof(path), "%s/plugins/ta/.libs/ta.so",
		QD_TEST_BUILDDIR);
	reg = plugin_registry_new();
	return plugin_load_file(reg, path) > 0 ? 0 : -1;
}

static int
teardown(void **st)
{
	(void)st;
	plugin_registry_free(reg);
	return 0;
}

static struct alert_engine *
engine(void)
{
	struct alert_options o;
	struct alert_engine *e;

	memset(&o, 0, sizeof(o));
	o.indicators = reg;
	o.fired = on_fired;
	e = alert_engine_new(&o);
	assert_non_null(e);
	memset(&got, 0, sizeof(got));
	return e;
}

/* Create from JSON text; returns the id (the test fails on error). */
static uint64_t
add(struct alert_engine *e, const char *json)
{
	cJSON *d = cJSON_Parse(json);
	char err[256] = "";
	uint64_t id = 0;
	int rc;

	assert_non_null(d);
	rc = alert_create(e, d, T0, &id, err, sizeof(err));
	cJSON_Delete(d);
	if (rc != QD_OK)
		fail_msg("alert_create(%s): %s", json, err);
	return id;
}

/* Create and expect a refusal whose message holds `field`. */
static void
refused(struct alert_engine *e, const char *json, int code, const char *field)
{
	cJSON *d = cJSON_Parse(json);
	char err[256] = "";
	uint64_t id = 0;
	int rc;

	assert_non_null(d);
	rc = alert_create(e, d, T0, &id, err, sizeof(err));
	cJSON_Delete(d);
	if (rc != code || strstr(err, field) == NULL)
		fail_msg("%s: got %d \"%s\", expected %d naming %s", json, rc,
			err, code, field);
}

static void
trade(struct alert_engine *e, int64_t ts, double p)
{
	struct qd_trade_event t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.symbol = symbol_intern("BTC/USDT");
	t.ts = ts;
	t.price = p;
	t.qty = 1;
	alert_on_trade(e, "rec", &t);
}

/* A closed 1m candle opening at ts with this close. */
static void
bar(struct alert_engine *e, int64_t ts, double close)
{
	struct qd_bar_event b;

	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.symbol = symbol_intern("BTC/USDT");
	b.timeframe_s = 60;
	b.bar.ts = ts;
	b.bar.open = b.bar.high = b.bar.low = b.bar.close = close;
	b.bar.volume = 1;
	alert_on_bar(e, "rec", &b);
}

/* Closes c[0..n) as 1m candles, one a minute from T0; at[] gets the
 * index of each candle that fired something.  Returns how many did. */
static size_t
closes(struct alert_engine *e, const double *c, size_t n, size_t *at)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		size_t before = got.n;

		bar(e, T0 + S(60 * (int)i), c[i]);
		if (got.n > before)
			at[k++] = i;
	}
	return k;
}

static void
expect(size_t n)
{
	if (got.n != n)
		fail_msg("%zu fire(s), expected %zu (last: %s)", got.n, n,
			got.n ? got.msg[got.n - 1] : "none");
}

#define PAIR "\"exchange\":\"rec\",\"symbol\":\"BTC/USDT\""

/* above L fires when previous < L <= new; below L when previous > L >=
 * new; the first trade never fires. */
static void
price_fires_exactly_on_crossings(void **st)
{
	struct alert_engine *e = engine();
	uint64_t up = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":"
		"{\"type\":\"price_above\",\"price\":100}}");
	uint64_t dn = add(e, "{" PAIR ",\"condition\":{\"type\":"
		"\"price_below\",\"price\":95}}");

	(void)st;
	trade(e, T0 + S(1), 101);   /* first trade: above, no previous */
	trade(e, T0 + S(2), 99);    /* falls back under 100 */
	trade(e, T0 + S(3), 99.5);
	expect(0);
	trade(e, T0 + S(4), 100);   /* 99.5 < 100 <= 100: up fires */
	expect(1);
	assert_int_equal(got.id[0], up);
	trade(e, T0 + S(5), 101);   /* stays above: nothing */
	trade(e, T0 + S(6), 100);   /* 100 is not below 100 */
	expect(1);
	trade(e, T0 + S(7), 96);    /* under 100, above 95 */
	trade(e, T0 + S(8), 95);    /* 96 > 95 >= 95: dn fires (once) */
	expect(2);
	assert_int_equal(got.id[1], dn);
	trade(e, T0 + S(9), 100.5); /* 95 < 100 <= 100.5: up again */
	expect(3);
	assert_int_equal(got.id[2], up);
	trade(e, T0 + S(10), 90);   /* dn was "once": disabled */
	expect(3);
	assert_non_null(strstr(got.msg[2], "crossed above 100"));
	alert_engine_free(e);
}

/* One trade jumping over several levels fires each once, in the order
 * the price passed them. */
static void
jump_fires_every_level_crossed_in_order(void **st)
{
	struct alert_engine *e = engine();
	uint64_t a[4], b[3];
	char j[256];
	int i;

	(void)st;
	for (i = 0; i < 4; i++) {  /* above 104, 103, 102, 101 */
		snprintf(j, sizeof(j), "{" PAIR ",\"condition\":{\"type\":"
			"\"price_above\",\"price\":%d}}", 104 - i);
		a[i] = add(e, j);
	}
	for (i = 0; i < 3; i++) {  /* below 90, 91, 92 */
		snprintf(j, sizeof(j), "{" PAIR ",\"condition\":{\"type\":"
			"\"price_below\",\"price\":%d}}", 90 + i);
		b[i] = add(e, j);
	}
	trade(e, T0 + S(1), 100);
	trade(e, T0 + S(2), 103.5);  /* crosses 101, 102, 103 */
	expect(3);
	assert_int_equal(got.id[0], a[3]);
	assert_int_equal(got.id[1], a[2]);
	assert_int_equal(got.id[2], a[1]);
	trade(e, T0 + S(3), 91);     /* crosses 92 and 91, not 90 */
	expect(5);
	assert_int_equal(got.id[3], b[2]);
	assert_int_equal(got.id[4], b[1]);
	trade(e, T0 + S(4), 200);    /* 104 only: the others were once */
	expect(6);
	assert_int_equal(got.id[5], a[0]);
	trade(e, T0 + S(5), 50);     /* 90 */
	expect(7);
	assert_int_equal(got.id[6], b[0]);
	alert_engine_free(e);
}

/* "every" with a 60 s cooldown: a crossing inside it is dropped. */
static void
cooldown_never_fires_twice(void **st)
{
	struct alert_engine *e = engine();

	(void)st;
	add(e, "{" PAIR ",\"fire\":\"every\",\"cooldown_s\":60,"
		"\"condition\":{\"type\":\"price_above\",\"price\":100}}");
	trade(e, T0, 99);
	trade(e, T0 + S(10), 101);   /* fires at 10 s */
	trade(e, T0 + S(20), 99);
	trade(e, T0 + S(30), 101);   /* 20 s later: inside the cooldown */
	trade(e, T0 + S(40), 99);
	trade(e, T0 + S(69), 101);   /* 59 s later: still inside */
	expect(1);
	trade(e, T0 + S(70), 99);
	trade(e, T0 + S(71), 101);   /* 61 s later: fires */
	expect(2);
	assert_true(got.ts[1] == T0 + S(71));
	alert_engine_free(e);
}

/* Past its expiry an alert fires no more and lists as expired. */
static void
expiry_respected(void **st)
{
	struct alert_engine *e = engine();
	char j[256];
	uint64_t id;
	cJSON *o;

	(void)st;
	snprintf(j, sizeof(j), "{" PAIR ",\"fire\":\"every\",\"expires\":"
		"%lld,\"condition\":{\"type\":\"price_above\",\"price\":100}}",
		(long long)((T0 + S(100)) / 1000000));
	id = add(e, j);
	trade(e, T0 + S(1), 99);
	trade(e, T0 + S(2), 101);    /* before expiry: fires */
	trade(e, T0 + S(3), 99);
	trade(e, T0 + S(100), 101);  /* at the expiry time: not */
	trade(e, T0 + S(101), 99);
	trade(e, T0 + S(102), 101);
	expect(1);
	o = alert_json(e, id, T0 + S(103));
	assert_string_equal(cJSON_GetObjectItem(o, "status")->valuestring,
		"expired");
	cJSON_Delete(o);
	alert_engine_free(e);
	/* alert_expire() on the wall clock does it without a trade */
	e = engine();
	id = add(e, j);
	alert_expire(e, T0 + S(100));
	trade(e, T0 + S(1), 99);
	trade(e, T0 + S(2), 101);
	expect(0);
	alert_engine_free(e);
}

/* change: relative to the price at the window's start. */
static void
change_over_window(void **st)
{
	struct alert_engine *e = engine();
	uint64_t up, dn;

	(void)st;
	up = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"change\",\"percent\":5,\"window_s\":900}}");
	trade(e, T0, 100);               /* window [T0, T0+15m) from 100 */
	trade(e, T0 + S(300), 103);      /* +3 % */
	trade(e, T0 + S(600), 104.99);   /* +4.99 % */
	expect(0);
	trade(e, T0 + S(700), 105);      /* +5 %: fires; window restarts
	                                  * at 105 from T0+700 s */
	expect(1);
	assert_int_equal(got.id[0], up);
	trade(e, T0 + S(800), 106);      /* +0.95 % of 105 */
	trade(e, T0 + S(1500), 108);     /* 700+900 = 1600: same window,
	                                  * +2.86 % */
	expect(1);
	trade(e, T0 + S(1600), 100);     /* window ended: new one from 100 */
	trade(e, T0 + S(2400), 104);     /* +4 % */
	trade(e, T0 + S(2500), 110);     /* 1600+900 = 2500: a new window
	                                  * starts at 110, no fire although
	                                  * +10 % on 100 (documented) */
	expect(1);
	trade(e, T0 + S(2600), 115.5);   /* +5 % of 110: fires */
	expect(2);
	alert_engine_free(e);

	e = engine();
	dn = add(e, "{" PAIR ",\"condition\":{\"type\":\"change\","
		"\"percent\":-3,\"window_s\":60}}");
	trade(e, T0, 200);
	trade(e, T0 + S(30), 195);       /* -2.5 % */
	trade(e, T0 + S(59), 194);       /* -3 %: fires */
	expect(1);
	assert_int_equal(got.id[0], dn);
	assert_non_null(strstr(got.msg[0], "-3.00%"));
	alert_engine_free(e);
}

/* A price alert on 1m closes ignores trades. */
static void
price_on_candle_close(void **st)
{
	struct alert_engine *e = engine();

	(void)st;
	add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"price_above\",\"price\":100,\"timeframe\":\"1m\"}}");
	bar(e, T0, 99);          /* first close */
	trade(e, T0 + S(70), 150);
	trade(e, T0 + S(80), 99);
	expect(0);
	bar(e, T0 + S(60), 101); /* close 101 after 99: fires at the close */
	expect(1);
	assert_true(got.ts[0] == T0 + S(120));
	bar(e, T0 + S(120), 102);
	expect(1);
	alert_engine_free(e);
}

/*
 * RSI(2), Wilder, on closes 10 11 10 12 13 10 14:
 *   changes +1 -1: avg gain 0.5, loss 0.5 -> 50 (bar 2)
 *   +2: gain (0.5+2)/2 = 1.25, loss 0.25 -> 83.3  (bar 3: above 70)
 *   +1: gain 1.125, loss 0.125 -> 90             (bar 4)
 *   -3: gain 0.5625, loss 1.5625 -> 26.5         (bar 5: below 30)
 *   +4: gain 2.28125, loss 0.78125 -> 74.5       (bar 6: above 70)
 */
static void
rsi_crossings(void **st)
{
	static const double c[] = { 10, 11, 10, 12, 13, 10, 14 };
	struct alert_engine *e = engine();
	uint64_t hi, lo;
	size_t fired_at[8], n;

	(void)st;
	hi = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"rsi_above\",\"level\":70,\"period\":2,\"timeframe\":"
		"\"1m\"}}");
	lo = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"rsi_below\",\"level\":30,\"period\":2,\"timeframe\":"
		"\"1m\"}}");
	n = closes(e, c, 7, fired_at);
	expect(3);
	assert_int_equal(n, 3);
	assert_int_equal(fired_at[0], 3);
	assert_int_equal(got.id[0], hi);
	assert_int_equal(fired_at[1], 5);
	assert_int_equal(got.id[1], lo);
	assert_int_equal(fired_at[2], 6);
	assert_int_equal(got.id[2], hi);
	assert_non_null(strstr(got.msg[0], "RSI(2) 83.33 above 70"));
	alert_engine_free(e);
}

/*
 * SMA(2) against SMA(3) on closes 10 10 10 9 12 12 8:
 *   bar 2: 10 / 10 (equal: neither)   bar 3: 9.5 / 9.67 (fast below)
 *   bar 4: 10.5 / 10.33 (golden)      bar 5: 12 / 11 (still above)
 *   bar 6: 10 / 10.67 (death)
 * The death cross at bar 3 fires too: the state was "not below" at bar 2.
 */
static void
ma_golden_and_death_cross(void **st)
{
	static const double c[] = { 10, 10, 10, 9, 12, 12, 8 };
	struct alert_engine *e = engine();
	uint64_t g, d;
	size_t at[8], n;

	(void)st;
	g = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"golden_cross\",\"fast\":2,\"slow\":3,\"timeframe\":\"1m\"}}");
	d = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"death_cross\",\"fast\":2,\"slow\":3,\"ma\":\"sma\","
		"\"timeframe\":\"1m\"}}");
	n = closes(e, c, 7, at);
	expect(3);
	assert_int_equal(n, 3);
	assert_int_equal(at[0], 3);
	assert_int_equal(got.id[0], d);
	assert_int_equal(at[1], 4);
	assert_int_equal(got.id[1], g);
	assert_int_equal(at[2], 6);
	assert_int_equal(got.id[2], d);
	alert_engine_free(e);
}

/*
 * Bollinger(3, 1 population sd) on closes 10 10 10 13 13 16 7:
 *   bar 2: mean 10, sd 0, upper 10: 10 is not above
 *   bar 3: 10 10 13: mean 11, sd 1.414, upper 12.41: 13 above (fires)
 *   bar 4: 10 13 13: mean 12, upper 13.41: 13 inside
 *   bar 5: 13 13 16: mean 14, upper 15.41: 16 above (fires)
 *   bar 6: 13 16 7: mean 12, sd 3.74, lower 8.26: 7 below (lower fires)
 */
static void
bollinger_break(void **st)
{
	static const double c[] = { 10, 10, 10, 13, 13, 16, 7 };
	struct alert_engine *e = engine();
	uint64_t up, lo;
	size_t at[8], n;

	(void)st;
	up = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"bollinger_above\",\"period\":3,\"stddev\":1,\"timeframe\":"
		"\"1m\"}}");
	lo = add(e, "{" PAIR ",\"condition\":{\"type\":\"bollinger_below\","
		"\"period\":3,\"stddev\":1,\"timeframe\":\"1m\"}}");
	n = closes(e, c, 7, at);
	expect(3);
	assert_int_equal(n, 3);
	assert_int_equal(at[0], 3);
	assert_int_equal(got.id[0], up);
	assert_int_equal(at[1], 5);
	assert_int_equal(at[2], 6);
	assert_int_equal(got.id[2], lo);
	assert_non_null(strstr(got.msg[2], "below the lower Bollinger"));
	alert_engine_free(e);
}

/* AND fires when all hold (after one did not); OR when any starts to
 * hold after none did. */
static void
composite_and_or(void **st)
{
	struct alert_engine *e = engine();
	uint64_t in, out;

	(void)st;
	/* in the band [100, 110] */
	in = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"and\",\"of\":[{\"type\":\"price_above\",\"price\":100},"
		"{\"type\":\"price_below\",\"price\":110}]}}");
	/* out of the band (90, 120) */
	out = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"or\",\"of\":[{\"type\":\"price_below\",\"price\":90},"
		"{\"type\":\"price_above\",\"price\":120}]}}");
	trade(e, T0 + S(1), 95);   /* in: no (first); out: no */
	trade(e, T0 + S(2), 105);  /* in: 95 -> 105 enters the band */
	expect(1);
	assert_int_equal(got.id[0], in);
	trade(e, T0 + S(3), 115);  /* leaves the band */
	trade(e, T0 + S(4), 121);  /* out: above 120 */
	expect(2);
	assert_int_equal(got.id[1], out);
	trade(e, T0 + S(5), 85);   /* out still holds (below 90): no edge */
	expect(2);
	trade(e, T0 + S(6), 108);  /* in: enters again */
	expect(3);
	assert_int_equal(got.id[2], in);
	trade(e, T0 + S(7), 89);   /* out: again */
	expect(4);
	assert_int_equal(got.id[3], out);
	assert_non_null(strstr(got.msg[3], "crossed below 90"));
	alert_engine_free(e);

	/* an AND of a trade condition and a 1m close condition */
	e = engine();
	in = add(e, "{" PAIR ",\"condition\":{\"type\":\"and\",\"of\":["
		"{\"type\":\"price_above\",\"price\":100},{\"type\":"
		"\"price_above\",\"price\":50,\"timeframe\":\"1m\"}]}}");
	trade(e, T0 + S(1), 99);
	bar(e, T0, 40);            /* close 40: the bar leg is false */
	trade(e, T0 + S(61), 101); /* trade leg true, bar leg false */
	expect(0);
	bar(e, T0 + S(60), 60);    /* bar leg true: both hold -> fires */
	expect(1);
	alert_engine_free(e);
}

/* Errors name the field. */
static void
validation_names_the_field(void **st)
{
	struct alert_engine *e = engine();
	struct alert_options o;

	(void)st;
	refused(e, "{\"exchange\":\"rec\",\"condition\":{\"type\":"
		"\"price_above\",\"price\":1}}", QD_ERR_INVALID, "symbol");
	refused(e, "{\"exchange\":\"rec\",\"symbol\":\"btc\","
		"\"condition\":{}}",
		QD_ERR_INVALID, "symbol");
	refused(e, "{" PAIR "}", QD_ERR_INVALID, "condition");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"moon\"}}",
		QD_ERR_INVALID, "condition.type");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"price_above\","
		"\"price\":-1}}", QD_ERR_INVALID, "condition.price");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"price_above\","
		"\"price\":1,\"timeframe\":\"7m\"}}", QD_ERR_INVALID,
		"condition.timeframe");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"rsi_above\","
		"\"level\":70}}", QD_ERR_INVALID, "condition.timeframe");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"rsi_above\","
		"\"level\":170,\"timeframe\":\"1m\"}}", QD_ERR_INVALID,
		"condition.level");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"golden_cross\","
		"\"fast\":20,\"slow\":10,\"timeframe\":\"1m\"}}",
		QD_ERR_INVALID, "condition.fast");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"change\","
		"\"percent\":0,\"window_s\":60}}", QD_ERR_INVALID,
		"condition.percent");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"and\",\"of\":["
		"{\"type\":\"price_above\",\"price\":1},{\"type\":"
		"\"price_below\",\"price\":\"x\"}]}}", QD_ERR_INVALID,
		"condition.of[1].price");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"or\",\"of\":["
		"{\"type\":\"price_above\",\"price\":1}]}}", QD_ERR_INVALID,
		"condition.of");
	/* depth 5 is one too many */
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"or\",\"of\":[{"
		"\"type\":\"or\",\"of\":[{\"type\":\"or\",\"of\":[{\"type\":"
		"\"or\",\"of\":[{\"type\":\"or\",\"of\":[]},{}]},{}]},{}]},"
		"{}]}}", QD_ERR_INVALID, "condition.of[0].of[0].of[0].of");
	refused(e, "{" PAIR ",\"fire\":\"twice\",\"condition\":{\"type\":"
		"\"price_above\",\"price\":1}}", QD_ERR_INVALID, "fire");
	refused(e, "{" PAIR ",\"cooldown_s\":-1,\"condition\":{\"type\":"
		"\"price_above\",\"price\":1}}", QD_ERR_INVALID, "cooldown_s");
	refused(e, "{" PAIR ",\"expires\":1000,\"condition\":{\"type\":"
		"\"price_above\",\"price\":1}}", QD_ERR_INVALID, "expires");
	assert_int_equal(alert_count(e), 0);
	alert_engine_free(e);
	/* without the indicator plugins the indicator kinds are refused */
	memset(&o, 0, sizeof(o));
	e = alert_engine_new(&o);
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"rsi_above\","
		"\"level\":70,\"timeframe\":\"1m\"}}", QD_ERR_INVALID,
		"condition.type");
	alert_engine_free(e);
}

static size_t
plan_limit(void *arg, const char *user)
{
	(void)arg;
	return strcmp(user, "pro") == 0 ? 3 : 1;
}

/* A user's alerts are capped by the plan limit hook (or the setting). */
static void
plan_limits(void **st)
{
	struct alert_options o;
	struct alert_engine *e;

	(void)st;
	memset(&o, 0, sizeof(o));
	o.limit = plan_limit;
	e = alert_engine_new(&o);
	add(e, "{\"user\":\"free\"," PAIR ",\"condition\":{\"type\":"
		"\"price_above\",\"price\":1}}");
	refused(e, "{\"user\":\"free\"," PAIR ",\"condition\":{\"type\":"
		"\"price_above\",\"price\":2}}", QD_ERR_LIMIT, "free");
	add(e, "{\"user\":\"pro\"," PAIR ",\"condition\":{\"type\":"
		"\"price_above\",\"price\":1}}");
	add(e, "{\"user\":\"pro\"," PAIR ",\"condition\":{\"type\":"
		"\"price_above\",\"price\":2}}");
	add(e, "{\"user\":\"pro\"," PAIR ",\"condition\":{\"type\":"
		"\"price_above\",\"price\":3}}");
	refused(e, "{\"user\":\"pro\"," PAIR ",\"condition\":{\"type\":"
		"\"price_above\",\"price\":4}}", QD_ERR_LIMIT, "pro");
	alert_engine_free(e);
	o.limit = NULL;
	o.max_per_user = 2;
	e = alert_engine_new(&o);
	add(e, "{" PAIR ",\"condition\":{\"type\":\"price_above\","
		"\"price\":1}}");
	add(e, "{" PAIR ",\"condition\":{\"type\":\"price_above\","
		"\"price\":1}}");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"price_above\","
		"\"price\":1}}", QD_ERR_LIMIT, "admin");
	alert_engine_free(e);
}

static int
update(struct alert_engine *e, uint64_t id, const char *json, char *err)
{
	cJSON *c = cJSON_Parse(json);
	int rc;

	assert_non_null(c);
	rc = alert_update(e, id, c, T0, err, 256);
	cJSON_Delete(c);
	return rc;
}

/* Disabled alerts do not fire; re-enabled ones start afresh; deleted
 * ones are gone; bad changes change nothing. */
static void
update_and_delete(void **st)
{
	struct alert_engine *e = engine();
	char err[256];
	uint64_t id;
	cJSON *o;

	(void)st;
	id = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"price_above\",\"price\":100}}");
	trade(e, T0 + S(1), 99);
	assert_int_equal(update(e, id, "{\"enabled\":false}", err), QD_OK);
	trade(e, T0 + S(2), 101);
	expect(0);
	trade(e, T0 + S(3), 99);
	assert_int_equal(update(e, id, "{\"enabled\":true,\"cooldown_s\":"
		"5,\"name\":\"btc 100\"}", err), QD_OK);
	trade(e, T0 + S(4), 101);   /* book's previous price 99: fires */
	expect(1);
	assert_int_equal(update(e, id, "{\"fire\":\"sometimes\"}", err),
		QD_ERR_INVALID);
	assert_non_null(strstr(err, "fire"));
	assert_int_equal(update(e, id, "{\"enabled\":1}", err),
		QD_ERR_INVALID);
	assert_non_null(strstr(err, "enabled"));
	assert_int_equal(update(e, 999, "{}", err), QD_ERR_NOTFOUND);
	o = alert_json(e, id, T0);
	assert_string_equal(cJSON_GetObjectItem(o, "name")->valuestring,
		"btc 100");
	assert_string_equal(cJSON_GetObjectItem(o, "fire")->valuestring,
		"every");
	assert_true(cJSON_GetObjectItem(o, "cooldown_s")->valuedouble == 5);
	assert_true(cJSON_GetObjectItem(o, "fire_count")->valuedouble == 1);
	cJSON_Delete(o);
	assert_int_equal(alert_delete(e, id), QD_OK);
	assert_int_equal(alert_delete(e, id), QD_ERR_NOTFOUND);
	trade(e, T0 + S(5), 99);
	trade(e, T0 + S(6), 101);
	expect(1);
	o = alert_history_json(e, id, NULL, 0);
	assert_int_equal(cJSON_GetArraySize(o), 1);
	cJSON_Delete(o);
	alert_engine_free(e);
}

/* The owner's channels an alert notifies: every one by default (NULL),
 * those named (kept in kind order, handed to the fire), none ([]); a bad
 * list names "channels"; update and restore keep them. */
static void
channels_chosen_per_alert(void **st)
{
	struct alert_engine *e = engine();
	struct store_alert r = { 5, "ann", "rec", "BTC/USDT", "",
		"{\"type\":\"price_above\",\"price\":100}", "every", 0, 0,
		1, 0, 0, "{}", 1000, 1000, "" };
	char err[256], *text;
	uint64_t a, b;
	cJSON *o;

	(void)st;
	a = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"price_above\",\"price\":100},\"channels\":[\"webhook\","
		"\"email\"]}");
	b = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"price_above\",\"price\":100}}");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"price_above\","
		"\"price\":1},\"channels\":[\"pager\"]}", QD_ERR_INVALID,
		"channels");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"price_above\","
		"\"price\":1},\"channels\":[\"email\",\"email\"]}",
		QD_ERR_INVALID, "channels");
	refused(e, "{" PAIR ",\"condition\":{\"type\":\"price_above\","
		"\"price\":1},\"channels\":\"email\"}", QD_ERR_INVALID,
		"channels");
	o = alert_json(e, a, T0);
	text = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "channels"));
	assert_string_equal(text, "[\"email\",\"webhook\"]");
	free(text);
	cJSON_Delete(o);
	o = alert_json(e, b, T0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "channels")));
	cJSON_Delete(o);
	trade(e, T0 + S(1), 99);
	trade(e, T0 + S(2), 101);
	expect(2);
	assert_string_equal(got.channels[0], "email,webhook");
	assert_string_equal(got.channels[1], "(all)");
	assert_int_equal(update(e, a, "{\"channels\":[]}", err), QD_OK);
	assert_int_equal(update(e, b, "{\"channels\":[\"telegram\"]}", err),
		QD_OK);
	assert_int_equal(update(e, b, "{\"channels\":[1]}", err),
		QD_ERR_INVALID);
	trade(e, T0 + S(3), 99);
	trade(e, T0 + S(4), 101);
	expect(4);
	assert_string_equal(got.channels[2], "");
	assert_string_equal(got.channels[3], "telegram");
	assert_int_equal(update(e, a, "{\"channels\":null}", err), QD_OK);
	o = alert_json(e, a, T0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "channels")));
	cJSON_Delete(o);
	assert_int_equal(alert_restore(e, &r, err, sizeof(err)), QD_OK);
	o = alert_json(e, 5, T0);
	text = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "channels"));
	assert_string_equal(text, "[]");
	free(text);
	cJSON_Delete(o);
	alert_engine_free(e);
}

/* The state survives a restart through the keeper and a SQLite file:
 * the fire count, a "once" alert staying disabled, the previous price a
 * crossing is measured from, a change window, and the history. */
static void
state_survives_restart(void **st)
{
	char dir[] = "/tmp/test_alert.XXXXXX", url[256], err[512];
	struct alert_keeper *k;
	struct alert_engine *e;
	uint64_t up, once, chg;
	cJSON *o, *h;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "%s/q.db", dir);
	e = engine();
	k = alert_keeper_start(url, e, 0, err, sizeof(err));
	if (k == NULL)
		fail_msg("keeper: %s", err);
	up = add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"price_above\",\"price\":100}}");
	once = add(e, "{" PAIR ",\"name\":\"dip\",\"condition\":{\"type\":"
		"\"price_below\",\"price\":90}}");
	chg = add(e, "{" PAIR ",\"condition\":{\"type\":\"change\","
		"\"percent\":8,\"window_s\":3600}}");
	trade(e, T0 + S(1), 95);
	trade(e, T0 + S(2), 89);    /* once fires */
	trade(e, T0 + S(3), 101);   /* up fires */
	trade(e, T0 + S(4), 99);    /* the previous price is now 99 */
	expect(2);
	alert_save_all(e);
	alert_keeper_stop(k, 5000);
	alert_engine_free(e);

	e = engine();
	k = alert_keeper_start(url, e, 0, err, sizeof(err));
	if (k == NULL)
		fail_msg("keeper again: %s", err);
	assert_int_equal(alert_count(e), 3);
	o = alert_json(e, once, T0);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(o, "enabled")));
	assert_true(cJSON_GetObjectItem(o, "fire_count")->valuedouble == 1);
	assert_string_equal(cJSON_GetObjectItem(o, "name")->valuestring, "dip");
	cJSON_Delete(o);
	h = alert_history_json(e, 0, NULL, 0);
	assert_int_equal(cJSON_GetArraySize(h), 2);
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(h, 0),
		"alert")->valuedouble == (double)up);
	cJSON_Delete(h);
	/* 99 -> 103 crosses 100: the previous price came back; the
	 * change window started at 95 (T0+1 s), +8.42 % fires it */
	trade(e, T0 + S(10), 103);
	expect(2);
	assert_int_equal(got.id[0], up);
	assert_int_equal(got.id[1], chg);
	trade(e, T0 + S(11), 80);   /* once stays disabled */
	expect(2);
	alert_keeper_stop(k, 5000);
	alert_engine_free(e);
	unlink(url);
	snprintf(url, sizeof(url), "%s/q.db-wal", dir);
	unlink(url);
	snprintf(url, sizeof(url), "%s/q.db-shm", dir);
	unlink(url);
	rmdir(dir);
}

/* Rows saved at different times (a kill): the previous price comes from
 * the most recently updated row, not the first one read. */
static void
restore_takes_the_freshest_price(void **st)
{
	struct alert_engine *e = engine();
	struct store_alert r = { 1, "admin", "rec", "BTC/USDT", "",
		"{\"type\":\"price_above\",\"price\":95}", "every", 0, 0, 1,
		0, 0, "{\"last\":90,\"c\":[{\"s\":0}]}", 1000, 1000, NULL };
	char err[256];

	(void)st;
	assert_int_equal(alert_restore(e, &r, err, sizeof(err)), QD_OK);
	r.id = 2;
	r.spec = "{\"type\":\"price_above\",\"price\":200}";
	r.state = "{\"last\":99,\"c\":[{\"s\":0}]}";
	r.updated_ms = 2000;
	assert_int_equal(alert_restore(e, &r, err, sizeof(err)), QD_OK);
	/* 99 -> 100.5 crosses nothing; from the stale 90 it would cross 95 */
	trade(e, T0, 100.5);
	expect(0);
	trade(e, T0 + S(1), 94);
	trade(e, T0 + S(2), 96);
	expect(1);
	assert_int_equal(got.id[0], 1);
	r.spec = "{\"type\":\"nope\"}";
	r.id = 3;
	assert_int_equal(alert_restore(e, &r, err, sizeof(err)),
		QD_ERR_INVALID);
	assert_non_null(strstr(err, "condition.type"));
	alert_engine_free(e);
}

/* Indicator instances dropped (their module being replaced) leave the
 * alert silent; renewed, they warm up again and the alert fires. */
static void
indicators_dropped_and_renewed(void **st)
{
	static const double c[] = { 10, 11, 10, 12, 13, 10, 14 };
	struct alert_engine *e = engine();
	size_t at[8], n;

	(void)st;
	add(e, "{" PAIR ",\"fire\":\"every\",\"condition\":{\"type\":"
		"\"rsi_above\",\"level\":70,\"period\":2,\"timeframe\":"
		"\"1m\"}}");
	alert_indicators_drop(e);
	n = closes(e, c, 7, at);
	expect(0);
	assert_int_equal(alert_indicators_renew(e), 0);
	/* the same series again: the same crossings as rsi_crossings */
	n = closes(e, c, 7, at);
	expect(2);
	assert_int_equal(n, 2);
	assert_int_equal(at[0], 3);
	assert_int_equal(at[1], 6);
	alert_engine_free(e);
}

/* Send one control request; the reply parsed (the test owns it). */
static cJSON *
request(struct daemon_alerts *da, const char *json)
{
	cJSON *req = cJSON_Parse(json), *cmd, *out;
	char *reply;

	assert_non_null(req);
	cmd = cJSON_GetObjectItem(req, "cmd");
	reply = alerts_request(da, cmd->valuestring, req);
	assert_non_null(reply);
	out = cJSON_Parse(reply);
	if (out == NULL)
		fail_msg("%s: reply is not JSON: %s", json, reply);
	free(reply);
	cJSON_Delete(req);
	return out;
}

/* The error code and field of a reply ("" when absent). */
static void
is_error(cJSON *r, const char *code, const char *field)
{
	cJSON *e = cJSON_GetObjectItem(r, "error"), *f;

	if (e == NULL)
		fail_msg("expected error %s, got success", code);
	assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring, code);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(e, "message")));
	f = cJSON_GetObjectItem(e, "field");
	if (field == NULL)
		assert_null(f);
	else
		assert_string_equal(f ? f->valuestring : "", field);
	cJSON_Delete(r);
}

/* The daemon's alert.* commands, as the API uses them: replies and errors
 * (code, message, the field at fault), scoping by user, a fire published
 * on the bus. */
static int bus_alerts;

static void
on_bus_alert(void *arg, const struct bus_event *ev)
{
	(void)arg;
	assert_string_equal(ev->source, "alert");
	assert_int_equal(ev->u.alert.alert_id, 1);
	assert_non_null(strstr(ev->u.alert.body, "crossed above 100"));
	bus_alerts++;
}

static void
stop_loop(void *arg)
{
	loop_stop(arg);
}

static void
control_commands(void **st)
{
	struct loop_timer *stop;
	struct loop *l = loop_new(64, 64);
	struct bus *b = bus_new();
	struct daemon_alerts *da;
	struct bus_event ev;
	char err[256];
	cJSON *r;

	(void)st;
	assert_non_null(l);
	assert_non_null(b);
	da = alerts_start(l, b, reg, NULL, 2, NULL, NULL, err, sizeof(err));
	assert_non_null(da);
	assert_true(bus_subscribe(b, BUS_ALERT, 0, on_bus_alert, NULL) > 0);
	r = request(da, "{\"cmd\":\"alert.create\",\"user\":\"ann\","
		PAIR ",\"condition\":{\"type\":\"price_above\","
		"\"price\":100}}");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "alert"),
		"id")->valuedouble == 1);
	cJSON_Delete(r);
	is_error(request(da, "{\"cmd\":\"alert.create\"," PAIR ","
		"\"cooldown\":5,\"condition\":{\"type\":\"price_above\","
		"\"price\":1}}"), "bad_request", "cooldown");
	is_error(request(da, "{\"cmd\":\"alert.create\"," PAIR ","
		"\"condition\":{\"type\":\"price_above\",\"price\":0}}"),
		"bad_request", "condition.price");
	is_error(request(da, "{\"cmd\":\"alert.get\",\"id\":\"1\"}"),
		"bad_request", "id");
	is_error(request(da, "{\"cmd\":\"alert.get\"}"), "bad_request",
		"id");
	is_error(request(da, "{\"cmd\":\"alert.get\",\"id\":1,"
		"\"user\":\"bob\"}"), "not_found", NULL);
	is_error(request(da, "{\"cmd\":\"alert.update\",\"id\":1,"
		"\"enabled\":\"yes\"}"), "bad_request", "enabled");
	is_error(request(da, "{\"cmd\":\"alert.update\",\"id\":1,"
		"\"price\":5}"), "bad_request", "price");
	is_error(request(da, "{\"cmd\":\"alert.frob\",\"id\":1}"),
		"unknown_command", NULL);
	/* the daemon's limit is 2 a user */
	r = request(da, "{\"cmd\":\"alert.create\",\"user\":\"ann\","
		PAIR ",\"condition\":{\"type\":\"price_below\","
		"\"price\":10}}");
	cJSON_Delete(r);
	is_error(request(da, "{\"cmd\":\"alert.create\",\"user\":"
		"\"ann\"," PAIR ",\"condition\":{\"type\":\"price_below\","
		"\"price\":9}}"), "limit_exceeded", NULL);
	r = request(da, "{\"cmd\":\"alert.list\",\"user\":\"bob\"}");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r,
		"alerts")), 0);
	cJSON_Delete(r);
	r = request(da, "{\"cmd\":\"alert.update\",\"id\":1,"
		"\"user\":\"ann\",\"fire\":\"every\",\"expires\":null}");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r,
		"alert"), "fire")->valuestring, "every");
	cJSON_Delete(r);
	/* a fire reaches the bus */
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_TRADE;
	ev.source = "rec";
	ev.u.trade.size = sizeof(ev.u.trade);
	ev.u.trade.symbol = symbol_intern("BTC/USDT");
	ev.u.trade.price = 99;
	bus_publish(b, &ev);
	ev.u.trade.price = 101;
	ev.u.trade.ts = S(1);
	bus_publish(b, &ev);
	ev.history = 1;     /* backfilled history is not evaluated */
	ev.u.trade.price = 99;
	bus_publish(b, &ev);
	ev.u.trade.price = 101;
	bus_publish(b, &ev);
	/* published from the loop, after the trade's delivery */
	assert_int_equal(bus_alerts, 0);
	stop = loop_timer_add(l, 20000000, 0, stop_loop, l);
	assert_int_equal(loop_run(l), 0);
	loop_timer_cancel(stop);
	assert_int_equal(bus_alerts, 1);
	r = request(da, "{\"cmd\":\"alert.history\",\"id\":1,"
		"\"limit\":5}");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r,
		"events")), 1);
	cJSON_Delete(r);
	r = request(da, "{\"cmd\":\"alert.delete\",\"id\":1}");
	assert_true(cJSON_GetObjectItem(r, "id")->valuedouble == 1);
	cJSON_Delete(r);
	is_error(request(da, "{\"cmd\":\"alert.delete\",\"id\":1}"),
		"not_found", NULL);
	alerts_stop(da);
	bus_free(b);
	loop_free(l);
}

/*
 * The sorted index against a scan of every alert: 600 price alerts
 * (above and below, once and every) created, toggled and deleted between
 * 3,000 trades of a random walk; each trade fires exactly the alerts a
 * scan says it crossed (p0 < L <= p1 above, p1 <= L < p0 below).
 */
struct model {
	uint64_t id;
	double level;
	int above, every, on;
};

static int
id_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

static void
index_matches_a_scan(void **st)
{
	struct alert_engine *e = engine();
	static struct model m[600];
	uint64_t want[600], seed = 7;
	size_t n = 0, k, w, i, total = 0, changes = 0;
	double p = 100, p0;
	char j[256], err[256];
	int step;

	(void)st;
	for (step = 0; step < 3000; step++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		if (n < 600 && (seed >> 60) < 4) {
			/* a new alert near the price (half the time exactly
			 * on a level already used) */
			m[n].level = (seed >> 33) % 2 && n > 0 ?
			    m[(seed >> 20) % n].level :
			    floor(p + (double)((seed >> 40) % 200) / 10 - 10);
			m[n].above = (seed >> 35) & 1;
			m[n].every = (seed >> 36) & 1;
			m[n].on = 1;
			snprintf(j, sizeof(j), "{" PAIR ",\"fire\":\"%s\","
				"\"condition\":{\"type\":\"%s\","
				"\"price\":%.1f}}", m[n].every ? "every" :
				"once", m[n].above ? "price_above" :
				"price_below", m[n].level);
			m[n].id = add(e, j);
			n++;
		}
		if (n > 0 && (seed >> 58) == 5) {
			/* toggle one */
			k = (seed >> 8) % n;
			if (m[k].id != 0) {
				snprintf(j, sizeof(j), "{\"enabled\":%s}",
					m[k].on ? "false" : "true");
				assert_int_equal(update(e, m[k].id, j, err),
					QD_OK);
				m[k].on = !m[k].on;
				changes++;
			}
		}
		if (n > 0 && (seed >> 58) == 6) {
			/* delete one */
			k = (seed >> 8) % n;
			if (m[k].id != 0) {
				assert_int_equal(alert_delete(e, m[k].id),
					QD_OK);
				m[k].id = 0;
				changes++;
			}
		}
		p0 = p;
		p = floor(p + (double)((int)((seed >> 24) % 61) - 30) / 10);
		if (p < 50)
			p = 150;
		for (i = w = 0; step > 0 && i < n; i++)
			if (m[i].id && m[i].on && (m[i].above ?
			    p0 < m[i].level && m[i].level <= p :
			    p <= m[i].level && m[i].level < p0)) {
				want[w++] = m[i].id;
				if (!m[i].every)
					m[i].on = 0;
			}
		got.n = 0;
		trade(e, T0 + S(step), p);
		if (got.n != w)
			fail_msg("trade %d (%g -> %g): %zu fired, a scan says "
				"%zu", step, p0, p, got.n, w);
		qsort(got.id, got.n, sizeof(got.id[0]), id_cmp);
		qsort(want, w, sizeof(want[0]), id_cmp);
		for (i = 0; i < w; i++)
			assert_int_equal(got.id[i], want[i]);
		total += w;
	}
	/* the walk did what it is for */
	if (total < 500 || changes < 50 || n < 300)
		fail_msg("only %zu fires, %zu changes, %zu alerts", total,
			changes, n);
	alert_engine_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(price_fires_exactly_on_crossings),
		cmocka_unit_test(jump_fires_every_level_crossed_in_order),
		cmocka_unit_test(cooldown_never_fires_twice),
		cmocka_unit_test(expiry_respected),
		cmocka_unit_test(change_over_window),
		cmocka_unit_test(price_on_candle_close),
		cmocka_unit_test(rsi_crossings),
		cmocka_unit_test(ma_golden_and_death_cross),
		cmocka_unit_test(bollinger_break),
		cmocka_unit_test(composite_and_or),
		cmocka_unit_test(validation_names_the_field),
		cmocka_unit_test(plan_limits),
		cmocka_unit_test(update_and_delete),
		cmocka_unit_test(channels_chosen_per_alert),
		cmocka_unit_test(state_survives_restart),
		cmocka_unit_test(restore_takes_the_freshest_price),
		cmocka_unit_test(indicators_dropped_and_renewed),
		cmocka_unit_test(control_commands),
		cmocka_unit_test(index_matches_a_scan),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
