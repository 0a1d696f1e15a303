/*
 * test_bus.c -- the event bus: fan-out in subscription order, key and topic
 * filtering, one order for every subscriber with nested publishes, the ring
 * that queues them (no allocation per event, growth that keeps order),
 * subscription changes inside handlers, argument checks and counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bus/bus.h"

/* Fail with what was compared, what came and what was wanted. */
#define expect_int(what, got, want) do {				\
	long long got_ = (long long)(got), want_ = (long long)(want);	\
	if (got_ != want_)						\
		fail_msg("%s: got %lld, want %lld", (what), got_, want_); \
} while (0)

#define MAXREC 2048

/* What one subscriber saw: the ts (or bar open time) of each event. */
struct rec {
	int id;
	int64_t seen[MAXREC];
	int n;
};

/* Every handler call of a test, across subscribers, in call order. */
static struct {
	int sub[MAXREC];
	int64_t ts[MAXREC];
	int n;
} calls;

static struct bus *cur;   /* the bus of the running test, for handlers */

static int64_t
ts_of(const struct bus_event *ev)
{
	return ev->topic == BUS_BAR ? ev->u.bar.bar.ts : ev->u.trade.ts;
}

static void
record(void *arg, const struct bus_event *ev)
{
	struct rec *r = arg;

	if (r->n < MAXREC)
		r->seen[r->n++] = ts_of(ev);
	if (calls.n < MAXREC) {
		calls.sub[calls.n] = r->id;
		calls.ts[calls.n++] = ts_of(ev);
	}
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
	ev.u.trade.price = 100.0;
	return ev;
}

static struct bus_event
bar(int64_t ts, qd_symbol sym, uint32_t tf_s)
{
	struct bus_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_BAR;
	ev.key = bus_key_bar(sym, tf_s);
	ev.u.bar.size = sizeof(ev.u.bar);
	ev.u.bar.symbol = sym;
	ev.u.bar.bar.ts = ts;
	return ev;
}

static void
publish_ok(struct bus *b, struct bus_event ev)
{
	int rc = bus_publish(b, &ev);

	if (rc != 0)
		fail_msg("bus_publish(topic %d, ts %lld) returned %d, want 0",
			(int)ev.topic, (long long)ts_of(&ev), rc);
}

/* Compare what a subscriber saw with what it should have seen. */
static void
expect_seen(const char *who, const struct rec *r, const int64_t *want,
	int n)
{
	int i;

	if (r->n != n)
		fail_msg("%s saw %d events, want %d", who, r->n, n);
	for (i = 0; i < n; i++)
		if (r->seen[i] != want[i])
			fail_msg("%s: event %d is ts %lld, want %lld", who, i,
				(long long)r->seen[i], (long long)want[i]);
}

static int
setup(void **state)
{
	(void)state;
	memset(&calls, 0, sizeof(calls));
	cur = bus_new();
	return cur == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	bus_free(cur);
	cur = NULL;
	return 0;
}

static void
bus_fans_out_to_every_subscriber_in_subscription_order(void **state)
{
	static struct rec r[64];
	int i, e;

	(void)state;
	memset(r, 0, sizeof(r));
	for (i = 0; i < 64; i++) {
		r[i].id = i;
		if (bus_subscribe(cur, BUS_TRADE, 0, record, &r[i]) == 0)
			fail_msg("subscriber %d: bus_subscribe returned 0", i);
	}
	for (e = 1; e <= 3; e++)
		publish_ok(cur, trade(e, 1));
	for (i = 0; i < 64; i++) {
		const int64_t want[] = { 1, 2, 3 };
		char who[32];

		snprintf(who, sizeof(who), "subscriber %d", i);
		expect_seen(who, &r[i], want, 3);
	}
	expect_int("handler calls", calls.n, 3 * 64);
	for (i = 0; i < calls.n; i++)
		if (calls.sub[i] != i % 64 || calls.ts[i] != i / 64 + 1)
			fail_msg("call %d went to subscriber %d for ts %lld, "
				"want subscriber %d for ts %d", i, calls.sub[i],
				(long long)calls.ts[i], i % 64, i / 64 + 1);
}

static void
bus_delivers_only_matching_keys_and_topics(void **state)
{
	struct rec all = { .id = 1 }, sym7 = { .id = 2 }, sym8 = { .id = 3 };
	struct rec bars7m1 = { .id = 4 }, bars_all = { .id = 5 };
	const int64_t want_all[] = { 1, 2, 3, 4 }, want7[] = { 1, 4 };
	const int64_t want8[] = { 2 }, want_b7[] = { 10 };
	const int64_t want_ball[] = { 10, 11, 12 };

	(void)state;
	bus_subscribe(cur, BUS_TRADE, 0, record, &all);
	bus_subscribe(cur, BUS_TRADE, 7, record, &sym7);
	bus_subscribe(cur, BUS_TRADE, 8, record, &sym8);
	bus_subscribe(cur, BUS_BAR, bus_key_bar(7, 60), record, &bars7m1);
	bus_subscribe(cur, BUS_BAR, 0, record, &bars_all);
	publish_ok(cur, trade(1, 7));
	publish_ok(cur, trade(2, 8));
	publish_ok(cur, trade(3, 9));
	publish_ok(cur, trade(4, 7));
	publish_ok(cur, bar(10, 7, 60));
	publish_ok(cur, bar(11, 7, 300));    /* same symbol, other timeframe */
	publish_ok(cur, bar(12, 8, 60));     /* other symbol, same timeframe */
	expect_seen("key-0 trade subscriber", &all, want_all, 4);
	expect_seen("symbol-7 trade subscriber", &sym7, want7, 2);
	expect_seen("symbol-8 trade subscriber", &sym8, want8, 1);
	expect_seen("7/1m bar subscriber", &bars7m1, want_b7, 1);
	expect_seen("key-0 bar subscriber", &bars_all, want_ball, 3);
	expect_int("bus_key_bar(7, 60)", bus_key_bar(7, 60),
		((uint64_t)7 << 32) | 60);
}

/* Subscriber 1 republishes: ts t < 100 -> t*10, t*10+1, t*10+2. */
static void
republish(void *arg, const struct bus_event *ev)
{
	int64_t k;

	record(arg, ev);
	if (ev->u.trade.ts >= 100)
		return;
	for (k = 0; k < 3; k++) {
		struct bus_event e = trade(ev->u.trade.ts * 10 + k, 1);
		int rc = bus_publish(cur, &e);

		if (rc != 0)
			fail_msg("nested bus_publish returned %d, want 0", rc);
	}
}

static void
bus_nested_publishes_reach_every_subscriber_in_one_order(void **state)
{
	struct rec first = { .id = 1 }, second = { .id = 2 }, third = { .id = 3 };
	/* Breadth first: an event reaches everyone before what it caused. */
	const int64_t want[] = { 1, 10, 11, 12, 100, 101, 102, 110, 111, 112,
		120, 121, 122, 2, 20, 21, 22, 200, 201, 202, 210, 211, 212, 220,
		221, 222 };
	const int n = (int)(sizeof(want) / sizeof(want[0]));
	struct bus_stats st;

	(void)state;
	bus_subscribe(cur, BUS_TRADE, 0, republish, &first);
	bus_subscribe(cur, BUS_TRADE, 0, record, &second);
	bus_subscribe(cur, BUS_TRADE, 0, record, &third);
	publish_ok(cur, trade(1, 1));
	/* The first event reached all three before any nested one. */
	expect_int("2nd handler call: subscriber", calls.sub[1], 2);
	expect_int("2nd handler call: ts", calls.ts[1], 1);
	expect_int("3rd handler call: subscriber", calls.sub[2], 3);
	expect_int("3rd handler call: ts", calls.ts[2], 1);
	publish_ok(cur, trade(2, 1));
	expect_seen("republishing subscriber", &first, want, n);
	expect_seen("second subscriber", &second, want, n);
	expect_seen("third subscriber", &third, want, n);
	bus_stats_get(cur, &st);
	expect_int("stats.nested", st.nested, n - 2);
	expect_int("stats.published[TRADE]", st.published[BUS_TRADE], n);
	expect_int("stats.delivered", st.delivered, 3 * n);
}

/* A trade handler that publishes a bar for every trade. */
static void
trade_to_bar(void *arg, const struct bus_event *ev)
{
	record(arg, ev);
	publish_ok(cur, bar(ev->u.trade.ts + 1000, 1, 60));
}

static void
bus_nested_publish_to_another_topic_waits_for_current_event(void **state)
{
	struct rec a = { .id = 1 }, b = { .id = 2 }, c = { .id = 3 };
	const int want_sub[] = { 1, 2, 3, 1, 2, 3 };
	const int64_t want_ts[] = { 1, 1, 1001, 2, 2, 1002 };
	int i;

	(void)state;
	bus_subscribe(cur, BUS_TRADE, 0, trade_to_bar, &a);
	bus_subscribe(cur, BUS_TRADE, 0, record, &b);
	bus_subscribe(cur, BUS_BAR, 0, record, &c);
	publish_ok(cur, trade(1, 1));
	publish_ok(cur, trade(2, 1));
	expect_int("handler calls", calls.n, 6);
	for (i = 0; i < 6; i++)
		if (calls.sub[i] != want_sub[i] || calls.ts[i] != want_ts[i])
			fail_msg("call %d: subscriber %d ts %lld, want "
				"subscriber %d ts %lld", i, calls.sub[i],
				(long long)calls.ts[i], want_sub[i],
				(long long)want_ts[i]);
}

/* Handlers that change subscriptions. */
static uint64_t victim_id, self_id, earlier_id;

static void
unsubscribe_victim(void *arg, const struct bus_event *ev)
{
	record(arg, ev);
	if (victim_id != 0) {
		expect_int("unsubscribe of a later subscriber from a handler",
			bus_unsubscribe(cur, victim_id), 0);
		expect_int("second unsubscribe of the same id",
			bus_unsubscribe(cur, victim_id), QD_ERR_NOTFOUND);
		victim_id = 0;
	}
}

static void
unsubscribe_self(void *arg, const struct bus_event *ev)
{
	record(arg, ev);
	expect_int("unsubscribe of itself from its handler",
		bus_unsubscribe(cur, self_id), 0);
	/* Still queues: it must not reach this subscriber again. */
	if (ev->u.trade.ts == 1)
		publish_ok(cur, trade(5, 1));
}

static void
unsubscribe_earlier(void *arg, const struct bus_event *ev)
{
	record(arg, ev);
	if (earlier_id != 0) {
		expect_int("unsubscribe of an earlier subscriber",
			bus_unsubscribe(cur, earlier_id), 0);
		earlier_id = 0;
	}
}

static void
bus_unsubscribe_in_handler_stops_delivery_at_once(void **state)
{
	struct rec a = { .id = 1 }, v = { .id = 2 }, self = { .id = 3 };
	struct rec early = { .id = 4 }, e = { .id = 5 }, last = { .id = 6 };
	const int64_t both[] = { 1, 5, 2 }, first_only[] = { 1 };

	(void)state;
	earlier_id = bus_subscribe(cur, BUS_TRADE, 0, record, &early);
	bus_subscribe(cur, BUS_TRADE, 0, unsubscribe_victim, &a);
	victim_id = bus_subscribe(cur, BUS_TRADE, 0, record, &v);
	self_id = bus_subscribe(cur, BUS_TRADE, 0, unsubscribe_self, &self);
	bus_subscribe(cur, BUS_TRADE, 0, unsubscribe_earlier, &e);
	bus_subscribe(cur, BUS_TRADE, 0, record, &last);
	publish_ok(cur, trade(1, 1));   /* queues 5 from inside */
	publish_ok(cur, trade(2, 1));
	expect_seen("subscriber removed before it was reached", &v, NULL, 0);
	expect_seen("subscriber that removed itself", &self, first_only, 1);
	expect_seen("subscriber removed after it was reached", &early,
		first_only, 1);
	expect_seen("unchanged subscriber", &a, both, 3);
	expect_seen("subscriber after the removed ones", &last, both, 3);
	expect_int("unsubscribe of an unknown id", bus_unsubscribe(cur,
		999999), QD_ERR_NOTFOUND);
	expect_int("unsubscribe of id 0", bus_unsubscribe(cur, 0),
		QD_ERR_NOTFOUND);
}

static struct rec joiner = { .id = 9 };
static uint64_t joiner_id;

static void
subscribe_joiner(void *arg, const struct bus_event *ev)
{
	record(arg, ev);
	if (joiner_id == 0) {
		joiner_id = bus_subscribe(cur, BUS_TRADE, 0, record, &joiner);
		if (joiner_id == 0)
			fail_msg("bus_subscribe from a handler returned 0");
		publish_ok(cur, trade(ev->u.trade.ts * 10, 1));
	}
}

static void
bus_subscribe_in_handler_takes_effect_from_next_event(void **state)
{
	struct rec s = { .id = 1 }, other = { .id = 2 };
	const int64_t want[] = { 10, 2 }, want_all[] = { 1, 10, 2 };
	int i;

	(void)state;
	memset(&joiner, 0, sizeof(joiner));
	joiner.id = 9;
	joiner_id = 0;
	bus_subscribe(cur, BUS_TRADE, 0, subscribe_joiner, &s);
	/* Enough subscribers that the joiner's append moves the array. */
	for (i = 0; i < 7; i++)
		bus_subscribe(cur, BUS_TRADE, 0, record, &other);
	publish_ok(cur, trade(1, 1));
	publish_ok(cur, trade(2, 1));
	/* Not the event it joined during; yes the one queued by then. */
	expect_seen("subscriber added from a handler", &joiner, want, 2);
	expect_seen("subscriber that added it", &s, want_all, 3);
	expect_int("events seen by the 7 other subscribers", other.n, 3 * 7);
}

static void
bus_plain_publishes_never_grow_the_ring(void **state)
{
	struct rec r[3] = { { .id = 1 }, { .id = 2 }, { .id = 3 } };
	struct bus_event ev = trade(1, 1);
	struct bus_stats st;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		bus_subscribe(cur, BUS_TRADE, 0, record, &r[i]);
	for (i = 0; i < 100000; i++)
		if (bus_publish(cur, &ev) != 0)
			fail_msg("publish %d failed", i);
	bus_stats_get(cur, &st);
	expect_int("stats.ring_grows after 1e5 publishes", st.ring_grows, 0);
	expect_int("stats.ring_slots after 1e5 publishes", st.ring_slots,
		BUS_RING_INITIAL);
	expect_int("stats.nested", st.nested, 0);
	expect_int("stats.published[TRADE]", st.published[BUS_TRADE], 100000);
	expect_int("stats.delivered", st.delivered, 300000);
	expect_int("stats.dropped", st.dropped, 0);
}

/*
 * Burst publisher: trade ts 1 queues 100 (shifts the ring's head), ts 2
 * queues ts 3, whose delivery (from the ring) queues 1000 more, so the
 * ring grows twice while wrapped and while an event from it is delivered.
 */
static void
burst(void *arg, const struct bus_event *ev)
{
	int64_t ts = ev->u.trade.ts, k, n = 0;

	record(arg, ev);
	if (ts == 1)
		n = 100;
	else if (ts == 3)
		n = 1000;
	else if (ts == 2)
		publish_ok(cur, trade(3, 1));
	for (k = 0; k < n; k++)
		publish_ok(cur, trade(ts * 10000 + k, 1));
}

static void
bus_ring_grows_keeping_fifo_order_when_bursts_exceed_it(void **state)
{
	static struct rec a, b;
	static int64_t want[1103];
	struct bus_stats st;
	int i, n = 0;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.id = 1;
	b.id = 2;
	bus_subscribe(cur, BUS_TRADE, 0, burst, &a);
	bus_subscribe(cur, BUS_TRADE, 0, record, &b);
	publish_ok(cur, trade(1, 1));
	publish_ok(cur, trade(2, 1));
	want[n++] = 1;
	for (i = 0; i < 100; i++)
		want[n++] = 10000 + i;
	want[n++] = 2;
	want[n++] = 3;
	for (i = 0; i < 1000; i++)
		want[n++] = 30000 + i;
	expect_seen("bursting subscriber", &a, want, n);
	expect_seen("second subscriber", &b, want, n);
	bus_stats_get(cur, &st);
	expect_int("stats.ring_grows (256 -> 512 -> 1024)", st.ring_grows, 2);
	expect_int("stats.ring_slots", st.ring_slots, 1024);
	expect_int("stats.ring_peak", st.ring_peak, 1000);
	expect_int("stats.nested", st.nested, 1101);
	expect_int("stats.dropped", st.dropped, 0);
}

static void
bus_rejects_unknown_topics_and_missing_handlers(void **state)
{
	struct rec r = { .id = 1 };
	struct bus_event ev = trade(1, 1);
	struct bus_stats st;

	(void)state;
	expect_int("subscribe to topic BUS_TOPIC_COUNT",
		bus_subscribe(cur, BUS_TOPIC_COUNT, 0, record, &r), 0);
	expect_int("subscribe with a NULL handler",
		bus_subscribe(cur, BUS_TRADE, 0, NULL, &r), 0);
	ev.topic = BUS_TOPIC_COUNT;
	expect_int("publish to topic BUS_TOPIC_COUNT", bus_publish(cur, &ev),
		QD_ERR_INVALID);
	bus_stats_get(cur, &st);
	expect_int("stats.delivered", st.delivered, 0);
}

static void
bus_stats_count_events_per_topic_and_handler_calls(void **state)
{
	struct rec all = { .id = 1 }, sym7 = { .id = 2 }, alerts = { .id = 3 };
	struct bus_event ev;
	struct bus_stats st;
	uint64_t gone;

	(void)state;
	bus_subscribe(cur, BUS_TRADE, 0, record, &all);
	bus_subscribe(cur, BUS_TRADE, 7, record, &sym7);
	gone = bus_subscribe(cur, BUS_ALERT, 0, record, &alerts);
	publish_ok(cur, trade(1, 7));
	publish_ok(cur, trade(2, 8));
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_ALERT;
	publish_ok(cur, ev);
	expect_int("unsubscribe", bus_unsubscribe(cur, gone), 0);
	publish_ok(cur, ev);
	publish_ok(cur, bar(1, 7, 60));   /* nobody listens */
	bus_stats_get(cur, &st);
	expect_int("stats.published[TRADE]", st.published[BUS_TRADE], 2);
	expect_int("stats.published[ALERT]", st.published[BUS_ALERT], 2);
	expect_int("stats.published[BAR]", st.published[BUS_BAR], 1);
	expect_int("stats.published[FILL]", st.published[BUS_FILL], 0);
	/* 2 + 1 trade calls, 1 alert call before the unsubscribe. */
	expect_int("stats.delivered", st.delivered, 4);
	expect_int("stats.dropped", st.dropped, 0);
}

/* A handler publishing an alert and an order update with text on its
 * stack: both wait in the ring, and the stack is gone (here: overwritten)
 * by the time they are delivered; they must arrive with the text as it
 * was published. */
static char got_title[64], got_key[64], got_reason[64], got_client[64];
static char got_channels[64];
static int got_alerts, got_orders;

static void
publish_from_stack(void *arg, const struct bus_event *ev)
{
	char title[32], key[32], reason[32], chans[32];
	struct bus_event a, o;

	(void)arg;
	(void)ev;
	snprintf(title, sizeof(title), "risk: %s", "daily_loss");
	snprintf(key, sizeof(key), "risk:%s:%d", "daily_loss", 7);
	snprintf(reason, sizeof(reason), "%s", "price band");
	memset(&a, 0, sizeof(a));
	a.topic = BUS_ALERT;
	a.u.alert.title = title;
	a.u.alert.key = key;
	snprintf(chans, sizeof(chans), "%s", "email,webhook");
	a.u.alert.channels = chans;
	memset(&o, 0, sizeof(o));
	o.topic = BUS_ORDER_UPDATE;
	o.u.order.reason = reason;
	o.u.order.client_id = key;
	o.u.order.trade_id = NULL;
	assert_int_equal(bus_publish(cur, &a), 0);
	assert_int_equal(bus_publish(cur, &o), 0);
	memset(title, 'X', sizeof(title) - 1);
	memset(key, 'Y', sizeof(key) - 1);
	memset(reason, 'Z', sizeof(reason) - 1);
	memset(chans, 'W', sizeof(chans) - 1);
}

static void
keep_alert(void *arg, const struct bus_event *ev)
{
	(void)arg;
	got_alerts++;
	snprintf(got_title, sizeof(got_title), "%s", ev->u.alert.title);
	snprintf(got_key, sizeof(got_key), "%s", ev->u.alert.key);
	snprintf(got_channels, sizeof(got_channels), "%s",
		ev->u.alert.channels);
	assert_null(ev->u.alert.body);
}

static void
keep_order(void *arg, const struct bus_event *ev)
{
	(void)arg;
	got_orders++;
	snprintf(got_reason, sizeof(got_reason), "%s", ev->u.order.reason);
	snprintf(got_client, sizeof(got_client), "%s",
		ev->u.order.client_id);
	assert_null(ev->u.order.trade_id);
}

static void
bus_nested_publish_keeps_its_strings(void **state)
{
	struct bus_event t;

	(void)state;
	got_alerts = got_orders = 0;
	assert_true(bus_subscribe(cur, BUS_TRADE, 0, publish_from_stack,
		NULL) > 0);
	assert_true(bus_subscribe(cur, BUS_ALERT, 0, keep_alert, NULL) > 0);
	assert_true(bus_subscribe(cur, BUS_ORDER_UPDATE, 0, keep_order,
		NULL) > 0);
	memset(&t, 0, sizeof(t));
	t.topic = BUS_TRADE;
	assert_int_equal(bus_publish(cur, &t), 0);
	expect_int("alerts", got_alerts, 1);
	expect_int("orders", got_orders, 1);
	assert_string_equal(got_title, "risk: daily_loss");
	assert_string_equal(got_key, "risk:daily_loss:7");
	assert_string_equal(got_channels, "email,webhook");
	assert_string_equal(got_reason, "price band");
	assert_string_equal(got_client, "risk:daily_loss:7");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			bus_fans_out_to_every_subscriber_in_subscription_order,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_nested_publish_keeps_its_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_delivers_only_matching_keys_and_topics,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_nested_publishes_reach_every_subscriber_in_one_order,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_nested_publish_to_another_topic_waits_for_current_event,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_unsubscribe_in_handler_stops_delivery_at_once,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_subscribe_in_handler_takes_effect_from_next_event,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_plain_publishes_never_grow_the_ring,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_ring_grows_keeping_fifo_order_when_bursts_exceed_it,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_rejects_unknown_topics_and_missing_handlers,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			bus_stats_count_events_per_topic_and_handler_calls,
			setup, teardown),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
