/*
 * test_csv.c -- the CSV reader's numbers: its own decimal parser (a fast
 * path for short mantissas, strtod otherwise) must give the double strtod
 * gives, bit for bit, for every form a price or volume takes; and it
 * rejects what is not a plain decimal number.  The chunked reader gives
 * the same bars and the same errors as reading the whole file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

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

/* Write `text` to a temporary file; its path in `path`. */
static void
temp_file(const char *text, size_t len, char *path, size_t cap)
{
	int fd;

	snprintf(path, cap, "/tmp/test_csv-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Read `path` with the chunked reader (parsing ahead in its thread when
 * `prefetch`) into *out.  0, or -1 with err. */
static int
read_chunked(const char *path, int prefetch, struct csv_series *out,
	char *err, size_t errlen)
{
	struct csv_reader *r = csv_reader_open(path, err, errlen);
	const struct qd_bar *b;
	long n, i;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return -1;
	if (prefetch)
		assert_int_equal(csv_reader_prefetch(r), 0);
	while ((n = csv_reader_next(r, &b, err, errlen)) > 0) {
		out->bars = realloc(out->bars, (out->n + (size_t)n) *
			sizeof(*b));
		assert_non_null(out->bars);
		for (i = 0; i < n; i++)
			out->bars[out->n++] = b[i];
	}
	/* The end stays. */
	if (n == 0)
		assert_int_equal(csv_reader_next(r, &b, err, errlen), 0);
	out->format = csv_reader_format(r);
	csv_reader_close(r);
	if (n < 0)
		csv_series_free(out);
	return n < 0 ? -1 : 0;
}

static void
chunked_reader_equals_whole_file(void **unused)
{
	/* 50,000 rows (several chunks and buffer refills: lines cross the
	 * buffer's end), CRLF and blank lines, the last without a newline. */
	size_t cap = 16000000, len = 0, i;
	char *text = malloc(cap), path[64], err[256];
	struct csv_series a, b;
	int prefetch;

	(void)unused;
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len,
		"volume,ts,open,high,low,close,extra\r\n");
	for (i = 0; i < 50000; i++) {
		char num[64];

		random_decimal(num, sizeof(num));
		len += (size_t)snprintf(text + len, cap - len,
			"%zu,%llu,%s,%s,%s,%s,x%s", i % 7,
			1704067200000ULL + i * 60000, num, num, num, num,
			i == 49999 ? "" : i % 1000 == 0 ? "\r\n\n" : "\n");
	}
	temp_file(text, len, path, sizeof(path));
	assert_int_equal(csv_read_buffer(path, text, len, &a, err,
		sizeof(err)), 0);
	assert_int_equal(a.n, 50000);
	for (prefetch = 0; prefetch < 2; prefetch++) {
		if (read_chunked(path, prefetch, &b, err, sizeof(err)) != 0)
			fail_msg("chunked: %s", err);
		assert_int_equal(b.n, a.n);
		assert_int_equal(b.format, CSV_OHLCV);
		if (memcmp(a.bars, b.bars, a.n * sizeof(*a.bars)) != 0)
			fail_msg("the chunked reader's bars differ from the "
				"whole file's (prefetch %d)", prefetch);
		csv_series_free(&b);
	}
	csv_series_free(&a);
	unlink(path);
	free(text);
}

static void
chunked_reader_reports_file_and_line(void **unused)
{
	size_t cap = 2000000, len = 0, i;
	char *text = malloc(cap), path[64], err[256], want[128];
	struct csv_series b;
	int prefetch;

	(void)unused;
	assert_non_null(text);
	/* Binance's kline rows, a bad one deep in the file. */
	for (i = 0; i < 20000; i++)
		len += (size_t)snprintf(text + len, cap - len,
			"%llu,1,%s,1,1,5,0,0,0,0,0,0\n",
			1704067200000ULL + i * 60000, i == 15000 ? "0.5" : "2");
	temp_file(text, len, path, sizeof(path));
	snprintf(want, sizeof(want), "%s:15001: prices inconsistent", path);
	for (prefetch = 0; prefetch < 2; prefetch++) {
		assert_int_equal(read_chunked(path, prefetch, &b, err,
			sizeof(err)), -1);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("expected \"%s...\", got \"%s\"", want, err);
	}
	unlink(path);
	/* An empty file, a missing one. */
	temp_file("", 0, path, sizeof(path));
	assert_int_equal(read_chunked(path, 1, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: empty file"));
	unlink(path);
	assert_int_equal(read_chunked(path, 1, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	free(text);
}

/*
 * The reader parses the usual row in one pass and anything else with the
 * general parser: rows of every shape, each after thousands of usual
 * ones, give the whole file's bars or its FILE:LINE message, word for
 * word, from the chunked reader.
 */
static void
unusual_rows_read_as_the_whole_file(void **unused)
{
	/* each row: "<" for the ts of the row before, what follows */
	static const char *const rows[][2] = {
		/* read all the same */
		{ "", ",1.5e2,150,150,150,1" },
		{ "", ",+150,150,150,150,1" },
		{ "", ",0150.000,150,150,150,1" },
		{ "", ",.5,.5,.5,.5,0" },
		{ "", ",150.,150,150,150,1" },
		{ "", ",12345678901234567890,12345678901234567890,"
		    "12345678901234567890,12345678901234567890,1" },
		{ "", ",0.12345678901234567890123,1,0.1,0.5,1" },
		{ "", ",150,150,150,150,1\r" },
		{ "", ",150,150,150,150,-0" },
		{ "", ",150,150,150,150,1," },
		/* refused, with the general parser's message */
		{ "", ",150,150,150,150" },
		{ "", ",150,150,150,150,1,2,3" },
		{ "", ",15x,150,150,150,1" },
		{ "", ",150,150,150,150, 1" },
		{ "", ",150,140,150,150,1" },
		{ "", ",150,150,150,150,-1" },
		{ "", "a,150,150,150,150,1" },
		{ "", ",150,150,150,150,1\t" },
		{ "", "000000000,150,150,150,150,1" },
		{ "", ",inf,150,150,150,1" },
		{ "", ",,150,150,150,1" },
		{ "", ",150,150,150,150,1e999" },
		{ "", ",150,150,1@,150,1" },
		{ "", ",150,151,149,152,1" }, { "", ",150,151,149,148,1" },
		{ "", ",150,149,151,150,1" }, { "<", ",150,150,150,150,1" },
	};
	size_t cap = 400000, len, i, k, row;
	char *text = malloc(cap), path[64], ea[256], eb[256];
	struct csv_series a, b;
	int ra, rb;

	(void)unused;
	assert_non_null(text);
	for (k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		len = (size_t)snprintf(text, cap,
			"ts,open,high,low,close,volume\n");
		for (i = 0; i < 6010; i++) {
			unsigned long long ts = 1704067200000ULL + i * 60000;

			if (i == 6000) {
				char *at;

				row = len;
				/* "<": the previous row's ts again */
				len += (size_t)snprintf(text + len, cap - len,
					"%llu%s", *rows[k][0] == '<' ? ts -
					60000 : ts, rows[k][1]);
				/* '@' stands for a NUL byte */
				if ((at = memchr(text + row, '@', len - row)))
					*at = '\0';
				text[len++] = '\n';
			} else {
				len += (size_t)snprintf(text + len, cap - len,
					"%llu,150.%02zu,151,149,150,%zu.5\n", ts,
					i % 100, i);
			}
		}
		temp_file(text, len, path, sizeof(path));
		ra = csv_read_buffer(path, text, len, &a, ea, sizeof(ea));
		rb = read_chunked(path, 1, &b, eb, sizeof(eb));
		if (ra != rb)
			fail_msg("row \"%s\": whole file %d (%s), chunked %d "
				"(%s)", rows[k][1], ra, ra ? ea : "", rb,
				rb ? eb : "");
		if (ra != 0 && strcmp(ea, eb) != 0)
			fail_msg("row \"%s\": \"%s\" read whole, \"%s\" "
				"chunked", rows[k][1], ea, eb);
		if (ra == 0 && (a.n != b.n || memcmp(a.bars, b.bars,
		    a.n * sizeof(*a.bars)) != 0))
			fail_msg("row \"%s\": the bars differ", rows[k][1]);
		if (ra == 0) {
			csv_series_free(&a);
			csv_series_free(&b);
		}
		unlink(path);
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decimals_equal_strtod_bit_for_bit),
		cmocka_unit_test(non_numbers_are_refused),
		cmocka_unit_test(chunked_reader_equals_whole_file),
		cmocka_unit_test(chunked_reader_reports_file_and_line),
		cmocka_unit_test(unusual_rows_read_as_the_whole_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
