/*
 * test_bus.c -- fan-out, key filtering, per-topic order with nested
 * publishes, subscription changes inside handlers, no growth per event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bus/bus.h"

#define MAXREC 64

struct rec {
	int id;
	int64_t seen[MAXREC];
	int n;
};

static void
record(void *arg, const struct bus_event *ev)
{
	struct rec *r = arg;

	if (r->n < MAXREC)
		r->seen[r->n++] = ev->u.trade.ts;
}

static struct bus_event
trade(int64_t ts, qd_symbol sym)
{
	struct bus_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_TRADE;
	ev.key = sym;
	ev.u.trade.size = sizeof(ev.u.trade);
	ev.u.trade.symbol = sym;
	ev.u.trade.ts = ts;
	return ev;
}

static void
bus_fans_out_to_every_subscriber(void **unused)
{
	struct bus *b = bus_new();
	struct rec r[8];
	struct bus_event ev;
	int i;

	(void)unused;
	memset(r, 0, sizeof(r));
	for (i = 0; i < 8; i++)
		assert_true(bus_subscribe(b, BUS_TRADE, 0, record, &r[i]) > 0);
	for (i = 1; i <= 3; i++) {
		ev = trade(i, 1);
		assert_int_equal(bus_publish(b, &ev), 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(r[i].n, 3);
		assert_int_equal(r[i].seen[0], 1);
		assert_int_equal(r[i].seen[2], 3);
	}
	bus_free(b);
}

static void
bus_filters_by_key_and_topic(void **unused)
{
	struct bus *b = bus_new();
	struct rec all = { 0 }, btc = { 0 }, bars = { 0 };
	struct bus_event ev;

	(void)unused;
	bus_subscribe(b, BUS_TRADE, 0, record, &all);
	bus_subscribe(b, BUS_TRADE, 7, record, &btc);
	bus_subscribe(b, BUS_BAR, 0, record, &bars);
	ev = trade(1, 7);
	bus_publish(b, &ev);
	ev = trade(2, 8);
	bus_publish(b, &ev);
	assert_int_equal(all.n, 2);
	assert_int_equal(btc.n, 1);
	assert_int_equal(btc.seen[0], 1);
	assert_int_equal(bars.n, 0);
	assert_int_equal(bus_key_bar(7, 60), ((uint64_t)7 << 32) | 60);
	bus_free(b);
}

/* The first subscriber republishes: 1 -> 10, 11, 12. */
static struct bus *nested_bus;

static void
republish(void *arg, const struct bus_event *ev)
{
	int64_t k;

	record(arg, ev);
	if (ev->u.trade.ts >= 10)
		return;
	for (k = 0; k < 3; k++) {
		struct bus_event e = trade(ev->u.trade.ts * 10 + k, 1);

		assert_int_equal(bus_publish(nested_bus, &e), 0);
	}
}

static void
bus_keeps_order_with_nested_publishes(void **unused)
{
	struct rec first = { 0 }, second = { 0 }, third = { 0 };
	struct bus_event ev;
	int i;

	(void)unused;
	nested_bus = bus_new();
	bus_subscribe(nested_bus, BUS_TRADE, 0, republish, &first);
	bus_subscribe(nested_bus, BUS_TRADE, 0, record, &second);
	bus_subscribe(nested_bus, BUS_TRADE, 0, record, &third);
	ev = trade(1, 1);
	bus_publish(nested_bus, &ev);
	ev = trade(2, 1);
	bus_publish(nested_bus, &ev);
	/* Everyone sees 1, 10, 11, 12, 2, 20, 21, 22 in that order. */
	{
		const int64_t want[] = { 1, 10, 11, 12, 2, 20, 21, 22 };

		assert_int_equal(first.n, 8);
		assert_int_equal(second.n, 8);
		assert_int_equal(third.n, 8);
		for (i = 0; i < 8; i++) {
			if (first.seen[i] != want[i] ||
			    second.seen[i] != want[i] ||
			    third.seen[i] != want[i])
				fail_msg("event %d: got %lld/%lld/%lld, want "
					"%lld", i, (long long)first.seen[i],
					(long long)second.seen[i],
					(long long)third.seen[i],
					(long long)want[i]);
		}
	}
	bus_free(nested_bus);
}

static uint64_t victim_id;

static void
unsubscriber(void *arg, const struct bus_event *ev)
{
	record(arg, ev);
	if (victim_id != 0) {
		assert_int_equal(bus_unsubscribe(nested_bus, victim_id), 0);
		victim_id = 0;
	}
}

static struct rec late;

static void
subscriber(void *arg, const struct bus_event *ev)
{
	record(arg, ev);
	if (late.id == 0) {
		late.id = 1;
		bus_subscribe(nested_bus, BUS_TRADE, 0, record, &late);
	}
}

static void
bus_allows_subscription_changes_in_handlers(void **unused)
{
	struct rec a = { 0 }, v = { 0 }, s = { 0 };
	struct bus_event ev;

	(void)unused;
	memset(&late, 0, sizeof(late));
	nested_bus = bus_new();
	bus_subscribe(nested_bus, BUS_TRADE, 0, unsubscriber, &a);
	victim_id = bus_subscribe(nested_bus, BUS_TRADE, 0, record, &v);
	bus_subscribe(nested_bus, BUS_TRADE, 0, subscriber, &s);
	ev = trade(1, 1);
	bus_publish(nested_bus, &ev);
	ev = trade(2, 1);
	bus_publish(nested_bus, &ev);
	assert_int_equal(a.n, 2);
	assert_int_equal(v.n, 0);    /* removed before it was reached */
	assert_int_equal(s.n, 2);
	assert_int_equal(late.n, 1); /* joined for the next event */
	assert_int_equal(late.seen[0], 2);
	assert_int_equal(bus_unsubscribe(nested_bus, 999999),
		QD_ERR_NOTFOUND);
	bus_free(nested_bus);
}

static void
bus_does_not_grow_per_event(void **unused)
{
	struct bus *b = bus_new();
	struct rec r = { 0 };
	struct bus_event ev = trade(1, 1);
	struct bus_stats st;
	int i;

	(void)unused;
	bus_subscribe(b, BUS_TRADE, 0, record, &r);
	for (i = 0; i < 100000; i++)
		bus_publish(b, &ev);
	bus_stats_get(b, &st);
	assert_int_equal(st.published[BUS_TRADE], 100000);
	assert_int_equal(st.delivered, 100000);
	assert_int_equal(st.dropped, 0);
	bus_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bus_fans_out_to_every_subscriber),
		cmocka_unit_test(bus_filters_by_key_and_topic),
		cmocka_unit_test(bus_keeps_order_with_nested_publishes),
		cmocka_unit_test(bus_allows_subscription_changes_in_handlers),
		cmocka_unit_test(bus_does_not_grow_per_event),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
