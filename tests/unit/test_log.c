/*
 * test_log.c -- logfmt line format, escaping, levels, secret redaction and
 * reopening after rotation, the hook and the tail that forward lines.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log/log.h"

static char path[64];

static char *
slurp(const char *p)
{
	static char buf[65536];
	FILE *f = fopen(p, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static int
setup(void **unused)
{
	(void)unused;
	snprintf(path, sizeof(path), "/tmp/qd-log-%d.log", (int)getpid());
	unlink(path);
	return log_open(path, QD_LOG_INFO);
}

static int
teardown(void **unused)
{
	(void)unused;
	log_close();
	unlink(path);
	return 0;
}

static void
log_writes_one_logfmt_line(void **unused)
{
	char *text;
	int y, mo, d, h, mi, s, ms;
	char rest[256];

	(void)unused;
	log_msg(QD_LOG_INFO, "demo", "price %d said \"hi\"\nback\\slash", 5);
	text = slurp(path);
	assert_int_equal(sscanf(text, "ts=%4d-%2d-%2dT%2d:%2d:%2d.%3dZ %255[^\n]",
		&y, &mo, &d, &h, &mi, &s, &ms, rest), 8);
	assert_string_equal(rest, "level=info tag=demo msg=\"price 5 said "
		"\\\"hi\\\"\\nback\\\\slash\"");
	assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(text));
}

static void
log_filters_by_level(void **unused)
{
	(void)unused;
	log_set_level(QD_LOG_WARN);
	log_msg(QD_LOG_INFO, "t", "hidden");
	log_msg(QD_LOG_DEBUG, "t", "hidden");
	log_msg(QD_LOG_ERROR, "t", "shown");
	log_set_level(QD_LOG_INFO);
	assert_null(strstr(slurp(path), "hidden"));
	assert_non_null(strstr(slurp(path), "level=error tag=t msg=\"shown\""));
	assert_int_equal(log_level_parse("warning"), QD_LOG_WARN);
	assert_int_equal(log_level_parse("loud"), -1);
}

static void
log_redacts_secret_values(void **unused)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "api_key=abc123 user=bob", "api_key=*** user=bob" },
		{ "password: hunter2, ok", "password: ***, ok" },
		{ "{\"secret\":\"s3cr3t\",\"n\":1}", "{\"secret\":\"***\",\"n\":1}" },
		{ "{\"Api_Key\" : \"x y\"}", "{\"Api_Key\" : \"***\"}" },
		{ "{\"token\": 12345}", "{\"token\": ***}" },
		{ "passphrase=\"a b c\" end", "passphrase=\"***\" end" },
		{ "refresh_token=zzz", "refresh_token=***" },
		{ "tokens_used=5", "tokens_used=***" },
		{ "symbol=BTC/USDT price=5", "symbol=BTC/USDT price=5" },
		/* Tokens in URL paths: Telegram bots, Discord webhooks. */
		{ "GET https://api.telegram.org/bot123456:AAE-x_y/sendMessage",
		  "GET https://api.telegram.org/bot123456:***/sendMessage" },
		{ "url=http://h/api/webhooks/987/tok-en?wait=true fail",
		  "url=http://h/api/webhooks/987/***?wait=true fail" },
		{ "/bot/x /botfather /webhooks/abc/def",
		  "/bot/x /botfather /webhooks/abc/def" },
	};
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];

		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		log_redact(buf, sizeof(buf));
		if (strcmp(buf, cases[i].out) != 0)
			fail_msg("redact(%s) = %s, want %s", cases[i].in, buf,
				cases[i].out);
	}
	log_msg(QD_LOG_INFO, "x", "connecting with api_key=%s", "K3Y-VALUE");
	assert_null(strstr(slurp(path), "K3Y-VALUE"));
	assert_true(log_key_is_secret("binance_api_secret"));
	assert_false(log_key_is_secret("period"));
}

static void
log_reopens_after_rotation(void **unused)
{
	char rotated[80];

	(void)unused;
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	log_msg(QD_LOG_INFO, "r", "before");
	assert_int_equal(rename(path, rotated), 0);
	log_msg(QD_LOG_INFO, "r", "still old");
	assert_int_equal(log_reopen(), 0);
	log_msg(QD_LOG_INFO, "r", "after");
	assert_non_null(strstr(slurp(rotated), "still old"));
	assert_null(strstr(slurp(rotated), "after"));
	assert_non_null(strstr(slurp(path), "msg=\"after\""));
	unlink(rotated);
}

struct seen {
	char lines[8][128];
	enum qd_log_level level[8];
	int cut[8];
	size_t n;
};

static void
keep(void *arg, enum qd_log_level level, const char *line, size_t len,
	int cut)
{
	struct seen *s = arg;

	assert_int_equal(strlen(line), len);
	if (s->n < 8) {
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s", line);
		s->level[s->n] = level;
		s->cut[s->n] = cut;
	}
	s->n++;
}

static void
tail_keeps_order_and_counts_what_it_drops(void **unused)
{
	struct log_tail *t = log_tail_new(4, 64);
	struct seen s = { 0 };
	char line[16];

	(void)unused;
	assert_non_null(t);
	for (int i = 0; i < 6; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		log_tail_push(t, QD_LOG_WARN, line, strlen(line));
	}
	assert_int_equal(log_tail_dropped(t), 2);
	assert_int_equal(log_tail_drain(t, 3, keep, &s), 3);
	assert_int_equal(log_tail_drain(t, 100, keep, &s), 1);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.lines[0], "line 0");
	assert_string_equal(s.lines[3], "line 3");
	assert_int_equal(s.level[2], QD_LOG_WARN);
	/* room again once drained */
	log_tail_push(t, QD_LOG_INFO, "again", 5);
	assert_int_equal(log_tail_drain(t, 100, keep, &s), 1);
	assert_string_equal(s.lines[4], "again");
	assert_int_equal(log_tail_dropped(t), 2);
	log_tail_free(t);
}

static void
tail_cuts_long_lines_on_a_character(void **unused)
{
	struct log_tail *t = log_tail_new(2, 64);
	struct seen s = { 0 };
	char line[100];

	(void)unused;
	memset(line, 'a', sizeof(line));
	memcpy(line + 63, "\xc3\xa9", 2);     /* e-acute across the limit */
	log_tail_push(t, QD_LOG_INFO, line, sizeof(line));
	assert_int_equal(log_tail_drain(t, 10, keep, &s), 1);
	assert_true(s.cut[0]);
	assert_int_equal(strlen(s.lines[0]), 63);
	log_tail_free(t);
}

static void
hook_forwards_each_written_line(void **unused)
{
	struct log_tail *t = log_tail_new(8, 512);
	struct seen s = { 0 };

	(void)unused;
	log_set_hook(log_tail_push, t);
	log_msg(QD_LOG_ERROR, "hk", "first api_key=SECRETVALUE");
	log_msg(QD_LOG_DEBUG, "hk", "below the level: not written");
	log_set_hook(NULL, NULL);
	log_msg(QD_LOG_ERROR, "hk", "after the hook went");
	assert_int_equal(log_tail_drain(t, 10, keep, &s), 1);
	assert_int_equal(s.level[0], QD_LOG_ERROR);
	assert_non_null(strstr(s.lines[0], "level=error tag=hk msg=\"first "
		"api_key=***\""));
	assert_null(strchr(s.lines[0], '\n'));
	log_tail_free(t);
}

#define WRITERS 4
#define LINES 3000

static void *
writer_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < LINES; i++)
		log_msg(QD_LOG_INFO, "w", "line %d", i);
	return NULL;
}

static void
count(void *arg, enum qd_log_level level, const char *line, size_t len,
	int cut)
{
	(void)level;
	(void)line;
	(void)len;
	(void)cut;
	(*(size_t *)arg)++;
}

/* Writers on several threads never wait for the reader: each line is
 * either read or counted as dropped. */
static void
tail_from_threads_loses_nothing_uncounted(void **unused)
{
	struct log_tail *t = log_tail_new(64, 256);
	pthread_t th[WRITERS];
	size_t got = 0;

	(void)unused;
	log_set_hook(log_tail_push, t);
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer_main,
			NULL), 0);
	for (int i = 0; i < 200; i++) {
		log_tail_drain(t, 16, count, &got);
		usleep(100);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	log_set_hook(NULL, NULL);
	log_tail_drain(t, 1000, count, &got);
	assert_int_equal(got + log_tail_dropped(t), WRITERS * LINES);
	assert_true(got > 0);
	log_tail_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(log_writes_one_logfmt_line,
			setup, teardown),
		cmocka_unit_test_setup_teardown(log_filters_by_level, setup,
			teardown),
		cmocka_unit_test_setup_teardown(log_redacts_secret_values,
			setup, teardown),
		cmocka_unit_test_setup_teardown(log_reopens_after_rotation,
			setup, teardown),
		cmocka_unit_test(tail_keeps_order_and_counts_what_it_drops),
		cmocka_unit_test(tail_cuts_long_lines_on_a_character),
		cmocka_unit_test_setup_teardown(hook_forwards_each_written_line,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			tail_from_threads_loses_nothing_uncounted, setup,
			teardown),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
