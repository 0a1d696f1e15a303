/*
 * test_limit.c -- plans' limits from the store and the token bucket: a
 * free user's 11th request in a minute is refused with a Retry-After,
 * tokens come back at the plan's rate, memory stays bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <quantd/sdk.h>

#include "limit/limit.h"
#include "store/store.h"

static void
plans_from_the_store(void **st)
{
	struct store *s = NULL;
	struct plan_limits p;
	char err[512], path[64];

	(void)st;
	snprintf(path, sizeof(path), "/tmp/qd-limit-%d.db", (int)getpid());
	unlink(path);
	assert_int_equal(store_open(path, STORE_ROLE_ADMIN, &s, err,
		sizeof(err)), QD_OK);
	assert_int_equal(plan_limits_load(s, "free", &p), QD_OK);
	assert_int_equal(p.symbols, 1);
	assert_string_equal(p.strategies, "basic");
	assert_int_equal(p.push_delay_ms, 5000);
	assert_int_equal(p.api_per_min, 10);
	assert_int_equal(p.webhooks, 0);
	assert_int_equal(plan_limits_load(s, "pro", &p), QD_OK);
	assert_int_equal(p.symbols, 10);
	assert_string_equal(p.strategies, "all");
	assert_int_equal(p.push_delay_ms, 0);
	assert_int_equal(p.api_per_min, 100);
	assert_int_equal(plan_limits_load(s, "enterprise", &p), QD_OK);
	assert_int_equal(p.symbols, -1);
	assert_string_equal(p.strategies, "custom");
	assert_int_equal(p.api_per_min, 1000);
	assert_int_equal(p.webhooks, 1);
	assert_int_equal(plan_limits_load(s, "gold", &p), QD_ERR_NOTFOUND);
	store_close(s);
	unlink(path);
}

static void
eleventh_request_of_a_free_user_refused(void **st)
{
	struct limiter *l;
	int64_t t = 1700000000000LL;
	int i, retry = -1;

	(void)st;
	assert_int_equal(limiter_new(1024, &l), QD_OK);
	for (i = 0; i < 10; i++) {
		assert_true(limiter_take(l, "user:1", 10, 60000, t + i * 100,
			&retry));
		assert_int_equal(retry, 0);
	}
	assert_false(limiter_take(l, "user:1", 10, 60000, t + 1000, &retry));
	/* 10 per minute: a token every 6 s; the first came back 5.0 s
	 * from now (the 10 took 0.9 s) */
	assert_int_equal(retry, 6);
	/* another user is not affected */
	assert_true(limiter_take(l, "user:2", 10, 60000, t + 1000, &retry));
	/* peek takes nothing */
	assert_false(limiter_peek(l, "user:1", 10, 60000, t + 5800, &retry));
	assert_int_equal(retry, 1);
	assert_true(limiter_peek(l, "user:1", 10, 60000, t + 6100, &retry));
	assert_true(limiter_take(l, "user:1", 10, 60000, t + 6100, &retry));
	assert_false(limiter_take(l, "user:1", 10, 60000, t + 6101, &retry));
	assert_true(retry == 6 || retry == 5);
	/* a pro plan's 100 per minute */
	for (i = 0; i < 100; i++)
		assert_true(limiter_take(l, "key:pro", 100, 60000, t, &retry));
	assert_false(limiter_take(l, "key:pro", 100, 60000, t, &retry));
	assert_int_equal(retry, 1);
	/* a whole window later the bucket is full again, not fuller */
	for (i = 0; i < 10; i++)
		assert_true(limiter_take(l, "user:1", 10, 60000, t + 600000,
			&retry));
	assert_false(limiter_take(l, "user:1", 10, 60000, t + 600000,
		&retry));
	limiter_reset(l, "user:1");
	assert_true(limiter_take(l, "user:1", 10, 60000, t + 600000, &retry));
	limiter_free(l);
}

/* Requests every millisecond still see the bucket refill at its rate. */
static void
frequent_calls_refill(void **st)
{
	struct limiter *l;
	int64_t t;
	int retry, passed = 0;

	(void)st;
	assert_int_equal(limiter_new(4, &l), QD_OK);
	for (t = 0; t < 60000; t++)
		passed += limiter_take(l, "hammer", 10, 60000, t, &retry);
	/* 10 at once, then one every 6 s: 9 more within the minute */
	assert_int_equal(passed, 19);
	limiter_free(l);
}

static void
memory_is_bounded(void **st)
{
	struct limiter *l;
	char key[32];
	int64_t t = 1000;
	int i, retry;

	(void)st;
	assert_int_equal(limiter_new(64, &l), QD_OK);
	/* an exhausted key stays while others come and go */
	assert_true(limiter_take(l, "hot", 1, 60000, t, &retry));
	assert_false(limiter_take(l, "hot", 1, 60000, t, &retry));
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "ip:%d", i);
		assert_true(limiter_take(l, key, 5, 60000, t + 1 + i % 50,
			&retry));
		assert_true(limiter_size(l) <= 64);
		if (i % 7 == 0)
			assert_false(limiter_take(l, "hot", 1, 60000,
				t + 100, &retry));
	}
	assert_int_equal(limiter_size(l), 64);
	/* every remaining key is still found */
	assert_false(limiter_take(l, "hot", 1, 60000, t + 200, &retry));
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "ip:%d", i);
		limiter_reset(l, key);
	}
	assert_int_equal(limiter_size(l), 1);
	assert_false(limiter_take(l, "hot", 1, 60000, t + 300, &retry));
	/* bad arguments refuse */
	assert_false(limiter_take(l, NULL, 1, 60000, t, &retry));
	assert_false(limiter_take(l, "k", 0, 60000, t, &retry));
	limiter_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plans_from_the_store),
		cmocka_unit_test(eleventh_request_of_a_free_user_refused),
		cmocka_unit_test(frequent_calls_refill),
		cmocka_unit_test(memory_is_bounded),
	};

	return cmocka_run_group_tests_name("limit", tests, NULL, NULL);
}
