/*
 * test_annotations.c -- the host's log of a strategy's chart annotations
 * (core/host/annotations.h): order and sequence numbers, reading after a
 * sequence number in pages, the oldest dropped when the count or the byte
 * cap is reached, refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <quantd/sdk.h>

#include "host/annotations.h"

/* What ann_log_since() handed over. */
struct seen {
	uint64_t seq[64];
	size_t n;
	char last_kind[32], last_json[64];
	int64_t last_ts;
};

static void
collect(void *arg, const struct ann_entry *e)
{
	struct seen *s = arg;

	if (s->n < 64)
		s->seq[s->n++] = e->seq;
	snprintf(s->last_kind, sizeof(s->last_kind), "%s", e->kind);
	snprintf(s->last_json, sizeof(s->last_json), "%s", e->json);
	s->last_ts = e->ts_ms;
}

static void
log_keeps_annotations_in_order_and_pages_after_a_sequence_number(void **st)
{
	struct ann_log l;
	struct seen s;
	int more;

	(void)st;
	ann_log_init(&l, 8, 4096);
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(ann_log_add(&l, i * 10, (int64_t)i * 60000,
			"chan.stroke", "{\"dir\":\"up\"}"), QD_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ann_log_since(&l, 0, 100, collect, &s, &more), 5);
	assert_int_equal(more, 0);
	assert_int_equal(s.seq[0], 10);
	assert_int_equal(s.seq[4], 50);
	assert_string_equal(s.last_kind, "chan.stroke");
	assert_string_equal(s.last_json, "{\"dir\":\"up\"}");
	assert_int_equal(s.last_ts, 300000);
	/* a page of two after 20: 30 and 40, with more to come */
	memset(&s, 0, sizeof(s));
	assert_int_equal(ann_log_since(&l, 20, 2, collect, &s, &more), 2);
	assert_int_equal(more, 1);
	assert_int_equal(s.seq[0], 30);
	assert_int_equal(s.seq[1], 40);
	/* between two numbers: the next one; after the last: none */
	memset(&s, 0, sizeof(s));
	assert_int_equal(ann_log_since(&l, 35, 100, collect, &s, &more), 2);
	assert_int_equal(s.seq[0], 40);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ann_log_since(&l, 50, 100, collect, &s, &more), 0);
	assert_int_equal(more, 0);
	ann_log_clear(&l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.bytes, 0);
	/* still usable after a clear */
	assert_int_equal(ann_log_add(&l, 60, 0, "k", "{}"), QD_OK);
	assert_int_equal(l.n, 1);
	ann_log_clear(&l);
}

static void
full_log_drops_the_oldest_by_count(void **st)
{
	struct ann_log l;
	struct seen s;
	int more;

	(void)st;
	ann_log_init(&l, 4, 4096);
	for (uint64_t i = 1; i <= 10; i++)
		assert_int_equal(ann_log_add(&l, i, 0, "chan.fractal", "{}"),
			QD_OK);
	assert_int_equal(l.n, 4);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ann_log_since(&l, 0, 100, collect, &s, &more), 4);
	assert_int_equal(s.seq[0], 7);
	assert_int_equal(s.seq[3], 10);
	/* a reader that last saw 2 resumes at the oldest kept */
	memset(&s, 0, sizeof(s));
	assert_int_equal(ann_log_since(&l, 2, 1, collect, &s, &more), 1);
	assert_int_equal(s.seq[0], 7);
	assert_int_equal(more, 1);
	ann_log_clear(&l);
}

static void
full_log_drops_the_oldest_by_bytes(void **st)
{
	struct ann_log l;
	struct seen s;
	int more;

	(void)st;
	/* each entry: "k" + a 9-byte object = 10 bytes; 25 hold two */
	ann_log_init(&l, 100, 25);
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(ann_log_add(&l, i, 0, "k", "{\"a\":123}"),
			QD_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.bytes, 20);
	memset(&s, 0, sizeof(s));
	ann_log_since(&l, 0, 100, collect, &s, &more);
	assert_int_equal(s.seq[0], 4);
	assert_int_equal(s.seq[1], 5);
	/* one larger than the whole cap is refused, the log unchanged */
	assert_int_equal(ann_log_add(&l, 6, 0, "k",
		"{\"a\":\"0123456789012345678901234567\"}"), QD_ERR_INVALID);
	assert_int_equal(l.n, 2);
	ann_log_clear(&l);
	/* a log of no capacity keeps nothing */
	ann_log_init(&l, 0, 100);
	assert_int_equal(ann_log_add(&l, 1, 0, "k", "{}"), QD_ERR_INVALID);
	ann_log_clear(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    log_keeps_annotations_in_order_and_pages_after_a_sequence_number),
		cmocka_unit_test(full_log_drops_the_oldest_by_count),
		cmocka_unit_test(full_log_drops_the_oldest_by_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
