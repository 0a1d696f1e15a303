/*
 * test_log.c -- logfmt line format, escaping, levels, secret redaction and
 * reopening after rotation.
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
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
