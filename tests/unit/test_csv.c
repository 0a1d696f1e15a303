/*
 * test_csv.c -- the CSV reader's numbers: its own decimal parser (a fast
 * path for short mantissas, strtod otherwise) must give the double strtod
 * gives, bit for bit, for every form a price or volume takes; and it
 * rejects what is not a plain decimal number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csv/csv.h"

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A random decimal: 1..25 digits, a point somewhere or none, leading
 * zeros, sometimes an exponent. */
static void
random_decimal(char *buf, size_t cap)
{
	size_t n = 0, digits = 1 + next() % 25, point = next() % (digits + 2);
	size_t i;

	if (next() % 4 == 0)
		for (i = next() % 4; i > 0; i--)
			buf[n++] = '0';
	for (i = 0; i < digits; i++) {
		if (i == point && i > 0)
			buf[n++] = '.';
		buf[n++] = (char)('0' + next() % 10);
	}
	if (next() % 5 == 0)
		n += (size_t)snprintf(buf + n, cap - n, "e%d",
			(int)(next() % 80) - 40);
	buf[n] = '\0';
}

/* Parse one line whose open, high, low and close are all `num`. */
static int
parse_price(const char *num, double *out)
{
	char text[256];
	struct csv_series s;
	char err[256];
	int rc;

	snprintf(text, sizeof(text), "ts,open,high,low,close,volume\n"
		"1704067200000,%s,%s,%s,%s,1\n", num, num, num, num);
	rc = csv_read_buffer("t", text, strlen(text), &s, err, sizeof(err));
	if (rc != 0)
		return -1;
	*out = s.bars[0].close;
	csv_series_free(&s);
	return 0;
}

static void
decimals_equal_strtod_bit_for_bit(void **unused)
{
	static const char *const edges[] = {
		"0", "0.0", "00012.5000", "9007199254740993", "0.1",
		"123456789012345678901234567890", "1e22", "1e23", "4.35",
		"2.2250738585072011e-308", "0.30000000000000004",
		"99999999999999999999e-20", "1.7976931348623157e308", "1e-400",
		"12.", "30000.01", "0.000001", "5e-324",
	};
	char buf[64];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]) + 300000; i++) {
		const char *t = i < sizeof(edges) / sizeof(edges[0]) ?
			edges[i] : buf;
		double got, want;

		if (t == buf)
			random_decimal(buf, sizeof(buf));
		want = strtod(t, NULL);
		if (parse_price(t, &got) != 0)
			fail_msg("%s refused", t);
		if (memcmp(&got, &want, sizeof(got)) != 0)
			fail_msg("%s read as %.17g, strtod says %.17g", t, got,
				want);
	}
}

static void
non_numbers_are_refused(void **unused)
{
	static const char *const bad[] = {
		"", ".", "-", "+", "1e", "1e+", "0x10", "inf", "nan", " 1",
		"1 ", "1..2", "1.2.3", "--1", "1e400", "e5", "1,5",
	};
	double v;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_price(bad[i], &v) == 0)
			fail_msg("\"%s\" accepted as %.17g", bad[i], v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decimals_equal_strtod_bit_for_bit),
		cmocka_unit_test(non_numbers_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
