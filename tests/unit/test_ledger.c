/*
 * test_ledger.c -- fixed-point amounts and the double-entry ledger: the
 * edge cases by hand, then random books checked step by step against a
 * model kept here in 128-bit integers.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "trade/fixed.h"
#include "trade/ledger.h"

__extension__ typedef __int128 i128;

#define E8 100000000LL

/* splitmix64: fixed seeds, the same sequence on every machine. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t
rnd_in(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

/* ---- fixed ------------------------------------------------------------- */

static void
fixed_pow10_covers_0_to_18(void **unused)
{
	int64_t p = 1;
	int d;

	(void)unused;
	for (d = 0; d <= 18; d++) {
		assert_int_equal(fixed_pow10(d), p);
		if (d < 18)
			p *= 10;
	}
	assert_int_equal(fixed_pow10(-1), 0);
	assert_int_equal(fixed_pow10(19), 0);
}

static void
fixed_format_writes_every_fraction_digit(void **unused)
{
	static const struct {
		int64_t v;
		int d;
		const char *text;
	} c[] = {
		{ 0, 8, "0.00000000" },
		{ 0, 0, "0" },
		{ -1250000000LL, 8, "-12.50000000" },
		{ 1, 8, "0.00000001" },
		{ -1, 8, "-0.00000001" },
		{ 123, 0, "123" },
		{ -123, 0, "-123" },
		{ 5, 1, "0.5" },
		{ INT64_MAX, 8, "92233720368.54775807" },
		{ INT64_MIN, 8, "-92233720368.54775808" },
		{ INT64_MAX, 0, "9223372036854775807" },
		{ INT64_MIN, 18, "-9.223372036854775808" },
		{ 1, 18, "0.000000000000000001" },
	};
	char buf[48];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int n = fixed_format(c[i].v, c[i].d, buf, sizeof(buf));

		if (n != (int)strlen(c[i].text) || strcmp(buf, c[i].text) != 0)
			fail_msg("fixed_format(%lld, %d): got \"%s\" (%d), "
				"want \"%s\"", (long long)c[i].v, c[i].d, buf,
				n, c[i].text);
	}
}

static void
fixed_format_refuses_a_short_buffer(void **unused)
{
	char buf[48];

	(void)unused;
	memset(buf, 'x', sizeof(buf));
	/* "-12.50" is 6 characters: 7 bytes fit, 6 do not. */
	assert_int_equal(fixed_format(-1250, 2, buf, 7), 6);
	assert_string_equal(buf, "-12.50");
	assert_int_equal(fixed_format(-1250, 2, buf, 6), -1);
	assert_int_equal(fixed_format(1, 19, buf, sizeof(buf)), -1);
	assert_int_equal(fixed_format(1, -1, buf, sizeof(buf)), -1);
}

static void
fixed_parse_reads_plain_decimals(void **unused)
{
	static const struct {
		const char *s;
		int d;
		int64_t v;
	} c[] = {
		{ "12.5", 8, 1250000000LL },
		{ "-0.001", 8, -100000LL },
		{ "0", 8, 0 },
		{ "-0", 8, 0 },
		{ "-0.00", 2, 0 },
		{ "+3", 0, 3 },
		{ ".5", 1, 5 },
		{ "5.", 0, 5 },
		{ "007.10", 2, 710 },
		{ "0.123456780", 8, 12345678 },       /* trailing zeros */
		{ "92233720368.54775807", 8, INT64_MAX },
		{ "-92233720368.54775808", 8, INT64_MIN },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9.223372036854775808", 18, INT64_MIN },
		{ "0.000000000000000001", 18, 1 },
		{ "1", 18, 1000000000000000000LL },
	};
	size_t i;
	int64_t v;

	(void)unused;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v = 42;
		if (fixed_parse(c[i].s, c[i].d, &v) != QD_OK || v != c[i].v)
			fail_msg("fixed_parse(\"%s\", %d) = %lld, want %lld",
				c[i].s, c[i].d, (long long)v,
				(long long)c[i].v);
	}
}

static void
fixed_parse_refuses_junk_overflow_and_excess_digits(void **unused)
{
	static const struct {
		const char *s;
		int d;
		int rc;
	} c[] = {
		{ "0.123456789", 8, QD_ERR_LIMIT },
		{ "1.05", 1, QD_ERR_LIMIT },
		{ "0.0000000000000000001", 18, QD_ERR_LIMIT },
		{ "1e-3", 8, QD_ERR_INVALID },
		{ "1E3", 8, QD_ERR_INVALID },
		{ "1.5e0", 8, QD_ERR_INVALID },
		{ "", 8, QD_ERR_INVALID },
		{ "-", 8, QD_ERR_INVALID },
		{ ".", 8, QD_ERR_INVALID },
		{ "+-1", 8, QD_ERR_INVALID },
		{ "1.2.3", 8, QD_ERR_INVALID },
		{ "1,5", 8, QD_ERR_INVALID },
		{ " 1", 8, QD_ERR_INVALID },
		{ "1 ", 8, QD_ERR_INVALID },
		{ "abc", 8, QD_ERR_INVALID },
		{ "0x10", 8, QD_ERR_INVALID },
		{ "inf", 8, QD_ERR_INVALID },
		{ "nan", 8, QD_ERR_INVALID },
		{ "1.23x", 1, QD_ERR_INVALID },      /* junk before excess */
		{ "92233720368.54775808", 8, QD_ERR_INVALID },
		{ "-92233720368.54775809", 8, QD_ERR_INVALID },
		{ "9223372036854775808", 0, QD_ERR_INVALID },
		{ "100000000000000000000000000000000000000000", 0,
		  QD_ERR_INVALID },
		{ "10", 18, QD_ERR_INVALID },
		{ "1", 19, QD_ERR_INVALID },
	};
	size_t i;
	int64_t v;
	int rc;

	(void)unused;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if ((rc = fixed_parse(c[i].s, c[i].d, &v)) != c[i].rc)
			fail_msg("fixed_parse(\"%s\", %d) = %d, want %d",
				c[i].s, c[i].d, rc, c[i].rc);
	assert_int_equal(fixed_parse(NULL, 8, &v), QD_ERR_INVALID);
}

/* Values of every size: uniform bits are almost all 19 digits long. */
static int64_t
rnd_amount(uint64_t *s)
{
	int64_t v;

	switch (rnd(s) % 4) {
	case 0:
		return (int64_t)rnd(s);
	case 1:
		return (int64_t)(rnd(s) >> (rnd(s) % 64));
	case 2:
		v = (int64_t)(rnd(s) % 3) - 1;
		return v == 1 ? INT64_MAX : v == -1 ? INT64_MIN : 0;
	default:
		v = (int64_t)(rnd(s) % 2000000) - 1000000;
		return v;
	}
}

static void
fixed_format_and_parse_round_trip(void **unused)
{
	uint64_t seed = 7;
	char buf[48];
	int i;

	(void)unused;
	for (i = 0; i < 200000; i++) {
		int64_t v = rnd_amount(&seed), back = 0;
		int d = (int)(rnd(&seed) % 19), n;
		const char *dot;

		n = fixed_format(v, d, buf, sizeof(buf));
		if (n < 0 || n >= 48)
			fail_msg("fixed_format(%lld, %d) = %d", (long long)v,
				d, n);
		dot = strchr(buf, '.');
		if (d == 0 ? dot != NULL :
		    dot == NULL || (int)strlen(dot + 1) != d)
			fail_msg("\"%s\" does not have %d decimals", buf, d);
		if (fixed_parse(buf, d, &back) != QD_OK || back != v)
			fail_msg("\"%s\" at %d decimals parsed to %lld, "
				"formatted from %lld", buf, d,
				(long long)back, (long long)v);
	}
}

/* An amount of every size, often a multiple of a power of ten (whole
 * amounts, cents: the fraction's trailing zeros). */
static int64_t
rnd_rounded(uint64_t *s)
{
	int64_t v = rnd_amount(s), p = fixed_pow10((int)(rnd(s) % 19));

	if (rnd(s) % 2 == 0 && v > INT64_MIN && v / p != 0)
		v = v / p * p;
	return v;
}

/* fixed_format_short's text by another way: printf's digits of the integer
 * and fraction parts, the fraction's trailing zeros cut. */
static void
short_by_printf(int64_t v, int d, char *buf, size_t cap)
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	uint64_t p = (uint64_t)fixed_pow10(d);
	int n = snprintf(buf, cap, "%s%llu", v < 0 ? "-" : "",
		(unsigned long long)(mag / p));

	if (mag % p != 0) {
		n += snprintf(buf + n, cap - (size_t)n, ".%0*llu", d,
			(unsigned long long)(mag % p));
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
	}
}

/* fixed_format_short(v, d) as a string; fails if it wrote outside its
 * FIXED_SHORT_MAX bytes before `end`. */
static const char *
short_text(int64_t v, int d, char *buf, size_t cap)
{
	char room[FIXED_SHORT_MAX + 16], *end = room + FIXED_SHORT_MAX + 8;
	char *p;

	memset(room, '#', sizeof(room));
	p = fixed_format_short(v, d, end);
	if (p < end - FIXED_SHORT_MAX || p >= end ||
	    strspn(room, "#") < (size_t)(p - room) || end[0] != '#')
		fail_msg("fixed_format_short(%lld, %d) wrote outside its room",
			(long long)v, d);
	if ((size_t)(end - p) >= cap)
		fail_msg("fixed_format_short(%lld, %d): %d bytes", (long long)v,
			d, (int)(end - p));
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return buf;
}

static void
fixed_format_short_drops_the_fraction_zeros(void **unused)
{
	static const struct {
		int64_t v;
		int d;
		const char *text;
	} c[] = {
		{ 0, 8, "0" },
		{ 0, 0, "0" },
		{ -1250000000LL, 8, "-12.5" },
		{ 1000000000000LL, 8, "10000" },
		{ 1, 8, "0.00000001" },
		{ -1, 8, "-0.00000001" },
		{ 10, 8, "0.0000001" },
		{ 100, 8, "0.000001" },
		{ 123456789, 8, "1.23456789" },
		{ 120000000, 8, "1.2" },
		{ 101000000, 8, "1.01" },
		{ 100000001, 8, "1.00000001" },
		{ 9, 0, "9" },
		{ 10, 0, "10" },
		{ 99, 0, "99" },
		{ 100, 0, "100" },
		{ -123, 0, "-123" },
		{ 1704067200000LL, 0, "1704067200000" },
		{ 5, 1, "0.5" },
		{ 50, 1, "5" },
		{ 105, 3, "0.105" },
		{ INT64_MAX, 8, "92233720368.54775807" },
		{ INT64_MIN, 8, "-92233720368.54775808" },
		{ INT64_MAX, 0, "9223372036854775807" },
		{ INT64_MIN, 0, "-9223372036854775808" },
		{ INT64_MIN, 18, "-9.223372036854775808" },
		{ -1, 18, "-0.000000000000000001" },
		{ 1000000000000000000LL, 18, "1" },
	};
	char buf[48];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (strcmp(short_text(c[i].v, c[i].d, buf, sizeof(buf)),
		    c[i].text) != 0)
			fail_msg("fixed_format_short(%lld, %d): got \"%s\", "
				"want \"%s\"", (long long)c[i].v, c[i].d, buf,
				c[i].text);
}

/* The same text as printf's, and exactly the amount: it parses back. */
static void
fixed_format_short_is_printf_exact(void **unused)
{
	uint64_t seed = 13;
	char got[48], want[48];
	int64_t v, back;
	int i, d;

	(void)unused;
	for (i = 0; i < 1000000; i++) {
		v = i < 400000 ? i / 19 - 10000 : rnd_rounded(&seed);
		d = i < 400000 ? i % 19 : (int)(rnd(&seed) % 19);
		short_text(v, d, got, sizeof(got));
		short_by_printf(v, d, want, sizeof(want));
		if (strcmp(got, want) != 0)
			fail_msg("fixed_format_short(%lld, %d): got \"%s\", "
				"printf says \"%s\"", (long long)v, d, got, want);
		back = 42;
		if (fixed_parse(got, d, &back) != QD_OK || back != v)
			fail_msg("\"%s\" at %d decimals parsed to %lld, "
				"formatted from %lld", got, d, (long long)back,
				(long long)v);
	}
}

/*
 * Amounts of 1e-8 (the backtester's equity file) read back as the nearest
 * double, which below 2^53 units is the one the JSON prints: v / 1e8
 * computed in doubles, as "%.17g" writes it.
 */
static void
fixed_format_short_reads_back_as_the_double(void **unused)
{
	uint64_t seed = 17;
	char got[48], g17[40];
	int i;

	(void)unused;
	for (i = 0; i < 1000000; i++) {
		int64_t v = rnd_rounded(&seed);
		double back, json;

		short_text(v, 8, got, sizeof(got));
		back = strtod(got, NULL);
		if (back != fixed_to_double(v, 8))
			fail_msg("\"%s\" reads back as %.17g, not the nearest "
				"double %.17g", got, back, fixed_to_double(v, 8));
		if (v > -(1LL << 53) && v < (1LL << 53)) {
			json = (double)v / 1e8;
			snprintf(g17, sizeof(g17), "%.17g", json);
			if (back != json || back != strtod(g17, NULL))
				fail_msg("\"%s\" reads back as %.17g, the "
					"JSON's %lld / 1e8 is %s", got, back,
					(long long)v, g17);
		}
	}
}

static void
fixed_from_double_rounds_half_away_from_zero(void **unused)
{
	static const struct {
		double x;
		int d;
		int64_t v;
	} c[] = {
		{ 0.125, 2, 13 },             /* exactly 12.5 units */
		{ -0.125, 2, -13 },
		{ 2.5, 0, 3 },
		{ -2.5, 0, -3 },
		{ 0.375, 2, 38 },
		{ 1.005, 2, 100 },   /* 1.00499999999999989... as a double */
		{ 0.1, 8, 10000000 },
		{ 12.5, 8, 1250000000LL },
		{ 1e-300, 8, 0 },
		{ -4e-9, 8, 0 },
		{ 5e-9, 8, 1 },
		{ 0, 8, 0 },
		{ -0.0, 8, 0 },
		{ 9007199254740993.0, 0, 9007199254740992LL },
		{ -9223372036854775808.0, 0, INT64_MIN },
		{ 9.2233720368547748e18, 0, 9223372036854774784LL },
		{ 92233720368.547745, 8, 9223372036854774475LL },  /* ...447509765625 */
	};
	size_t i;
	int64_t v;

	(void)unused;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v = 42;
		if (fixed_from_double(c[i].x, c[i].d, &v) != QD_OK ||
		    v != c[i].v)
			fail_msg("fixed_from_double(%.17g, %d) = %lld, want "
				"%lld", c[i].x, c[i].d, (long long)v,
				(long long)c[i].v);
	}
	assert_int_equal(fixed_from_double(9223372036854775808.0, 0, &v),
		QD_ERR_INVALID);
	assert_int_equal(fixed_from_double(1e19, 0, &v), QD_ERR_INVALID);
	assert_int_equal(fixed_from_double(92233720368.6, 8, &v),
		QD_ERR_INVALID);
	assert_int_equal(fixed_from_double(1.0 / 0.0, 8, &v), QD_ERR_INVALID);
	assert_int_equal(fixed_from_double(0.0 / 0.0, 8, &v), QD_ERR_INVALID);
	assert_int_equal(fixed_from_double(1, 19, &v), QD_ERR_INVALID);
}

/* The nearest double: what a correctly rounding strtod makes of the
 * exact text. */
static void
fixed_to_double_is_the_nearest_double(void **unused)
{
	uint64_t seed = 11;
	char buf[48];
	int i;

	(void)unused;
	assert_true(fixed_to_double(1250000000LL, 8) == 12.5);
	assert_true(fixed_to_double(-1, 0) == -1.0);
	/* Exact ties between two doubles go to the even one. */
	assert_true(fixed_to_double(9007199254740993LL, 0) ==
		9007199254740992.0);
	assert_true(fixed_to_double(-9007199254740995LL, 0) ==
		-9007199254740996.0);
	assert_true(fixed_to_double(90071992547409930LL, 1) ==
		9007199254740992.0);
	assert_true(fixed_to_double(INT64_MIN, 0) == -9223372036854775808.0);
	for (i = 0; i < 200000; i++) {
		int64_t v = rnd_amount(&seed);
		int d = (int)(rnd(&seed) % 19);
		double got = fixed_to_double(v, d), want;

		fixed_format(v, d, buf, sizeof(buf));
		want = strtod(buf, NULL);
		if (got != want)
			fail_msg("fixed_to_double(%lld, %d) = %.17g, the "
				"nearest to %s is %.17g", (long long)v, d,
				got, buf, want);
	}
}

static void
fixed_step_decimals_counts_significant_fraction_digits(void **unused)
{
	static const struct {
		const char *s;
		int d;
	} c[] = {
		{ "0.0100", 2 }, { "1", 0 }, { "10", 0 }, { "0.00000001", 8 },
		{ "0.5", 1 }, { "2.50", 1 }, { "0.000000000000000001", 18 },
		{ "0.0000000000000000001", -1 }, { "0", -1 }, { "0.000", -1 },
		{ "-0.1", -1 }, { "+0.1", -1 }, { "1e-3", -1 }, { "", -1 },
		{ "abc", -1 }, { ".", -1 }, { "0.01 ", -1 },
	};
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (fixed_step_decimals(c[i].s) != c[i].d)
			fail_msg("fixed_step_decimals(\"%s\") = %d, want %d",
				c[i].s, fixed_step_decimals(c[i].s), c[i].d);
	assert_int_equal(fixed_step_decimals(NULL), -1);
}

static void
fixed_muldiv_rounds_half_away_from_zero(void **unused)
{
	static const struct {
		int64_t a, b, d, q;
	} c[] = {
		{ 5, 1, 2, 3 }, { -5, 1, 2, -3 }, { 5, 1, -2, -3 },
		{ -5, 1, -2, 3 }, { 7, 1, 3, 2 }, { 8, 1, 3, 3 },
		{ -8, 1, 3, -3 }, { 1, 1, 3, 0 }, { 0, 5, 7, 0 },
		{ INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX },
		{ INT64_MIN, 1, 1, INT64_MIN },
		{ INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN },
		{ INT64_MAX, 3, 6, 4611686018427387904LL },  /* x.5 up */
		{ 1LL << 62, 1LL << 62, 1LL << 62, 1LL << 62 },
	};
	uint64_t seed = 3;
	size_t i;
	int64_t q;
	int k;

	(void)unused;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		q = 42;
		if (fixed_muldiv(c[i].a, c[i].b, c[i].d, &q) != QD_OK ||
		    q != c[i].q)
			fail_msg("fixed_muldiv(%lld, %lld, %lld) = %lld, want "
				"%lld", (long long)c[i].a, (long long)c[i].b,
				(long long)c[i].d, (long long)q,
				(long long)c[i].q);
	}
	assert_int_equal(fixed_muldiv(1, 1, 0, &q), QD_ERR_INVALID);
	assert_int_equal(fixed_muldiv(INT64_MAX, 2, 1, &q), QD_ERR_INVALID);
	assert_int_equal(fixed_muldiv(INT64_MIN, -1, 1, &q), QD_ERR_INVALID);
	assert_int_equal(fixed_muldiv(1LL << 62, 1LL << 62, 1LL << 61, &q),
		QD_ERR_INVALID);
	/* Random: the error is at most half the divisor, and a tie has
	 * gone away from zero. */
	for (k = 0; k < 100000; k++) {
		int64_t a = rnd_amount(&seed) >> (rnd(&seed) % 40);
		int64_t b = (int64_t)(rnd(&seed) % 2000001) - 1000000;
		int64_t d = (int64_t)(rnd(&seed) % 2000001) - 1000000;
		i128 p = (i128)a * b, err, ae, ad;

		if (d == 0 || fixed_muldiv(a, b, d, &q) != QD_OK)
			continue;
		err = p - (i128)q * d;
		ae = err < 0 ? -err : err;
		ad = d < 0 ? -(i128)d : d;
		if (2 * ae > ad || (2 * ae == ad && ae != 0 &&
		    ((i128)q * d < 0 ? -(i128)q * d : (i128)q * d) <
		    (p < 0 ? -p : p)))
			fail_msg("fixed_muldiv(%lld, %lld, %lld) = %lld",
				(long long)a, (long long)b, (long long)d,
				(long long)q);
	}
}

/* ---- ledger by hand ---------------------------------------------------- */

#define MAX_SEEN 64

/* What the sink was given. */
struct seen {
	struct ledger_posting p[MAX_SEEN];
	char account[MAX_SEEN][32], asset[MAX_SEEN][16], kind[MAX_SEEN][16];
	char ref[MAX_SEEN][16];
	int n, calls;
};

static void
record(void *arg, const struct ledger_posting *p, size_t n)
{
	struct seen *s = arg;
	size_t i;

	s->calls++;
	for (i = 0; i < n && s->n < MAX_SEEN; i++, s->n++) {
		s->p[s->n] = p[i];
		snprintf(s->account[s->n], 32, "%s", p[i].account);
		snprintf(s->asset[s->n], 16, "%s", p[i].asset);
		snprintf(s->kind[s->n], 16, "%s", p[i].kind);
		snprintf(s->ref[s->n], 16, "%s", p[i].ref);
	}
}

static void
books_ok(const struct ledger *l)
{
	char why[256] = "";

	if (ledger_reconcile(l, why, sizeof(why)) != QD_OK)
		fail_msg("the books do not reconcile: %s", why);
}

/* Book a fill; returns its status, the reason in `why` (may be NULL). */
static int
fill(struct ledger *l, const char *acct, const char *venue,
	const char *sym, enum qd_side side, int64_t qty, double price,
	int64_t fee, const char *fee_asset, char *why)
{
	struct ledger_fill f = { acct, venue, sym, side, qty, price, fee,
		fee_asset, "f", 1000 };
	char buf[256];

	return ledger_fill(l, &f, NULL, why ? why : buf, 256);
}

#define assert_balance(l, acct, asset, want) do { \
	int64_t got_ = ledger_balance((l), (acct), (asset)); \
	if (got_ != (int64_t)(want)) \
		fail_msg("%s %s: balance %lld, want %lld", (acct), (asset), \
			(long long)got_, (long long)(want)); \
} while (0)

static struct ledger *
books(void)
{
	struct ledger *l = ledger_new();

	assert_non_null(l);
	assert_int_equal(ledger_open_account(l, "alice", 0), QD_OK);
	assert_int_equal(ledger_open_account(l, "bob", 0), QD_OK);
	assert_int_equal(ledger_open_account(l, "mia", LEDGER_MARGIN), QD_OK);
	return l;
}

static void
deposit_credits_the_account_from_external_deposits(void **unused)
{
	struct ledger *l = books();
	struct seen s = { .n = 0 };

	(void)unused;
	ledger_set_sink(l, record, &s);
	assert_false(ledger_has_account(l, "external:deposits"));
	assert_int_equal(ledger_deposit(l, "alice", "USDT", 1000 * E8, 5,
		"d1"), QD_OK);
	assert_balance(l, "alice", "USDT", 1000 * E8);
	assert_balance(l, "external:deposits", "USDT", -1000 * E8);
	assert_true(ledger_has_account(l, "external:deposits"));
	assert_int_equal(ledger_open_account(l, "external:deposits",
		LEDGER_EXTERNAL), QD_OK);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.p[0].txn, 1);
	assert_int_equal(s.p[1].txn, 1);
	assert_int_equal(s.p[0].ts_ms, 5);
	assert_string_equal(s.kind[0], "deposit");
	assert_string_equal(s.ref[1], "d1");
	assert_string_equal(s.account[0], "alice");
	assert_string_equal(s.account[1], "external:deposits");
	assert_int_equal(s.p[0].amount, 1000 * E8);
	assert_int_equal(s.p[1].amount, -1000 * E8);
	assert_int_equal(s.p[0].decimals, 8);
	/* Refusals post nothing. */
	assert_int_equal(ledger_deposit(l, "nobody", "USDT", 1, 0, ""),
		QD_ERR_INVALID);
	assert_int_equal(ledger_deposit(l, "alice", "USDT", 0, 0, ""),
		QD_ERR_INVALID);
	assert_int_equal(ledger_deposit(l, "alice", "USDT", -5, 0, ""),
		QD_ERR_INVALID);
	assert_int_equal(s.calls, 1);
	books_ok(l);
	ledger_free(l);
}

/*
 * Buy 0.5 BTC at 30000 with a 15 USDT fee: alice pays 15000 + 15 out of
 * 20000, the venue gives the BTC and takes the USDT, the fee account
 * takes the fee; then sell 0.2 at 31000 with a 6.2 fee: +6200 - 6.2 and
 * (31000 - 30000) x 0.2 = 200 realized.
 */
static void
buy_and_sell_move_base_and_quote_through_the_venue(void **unused)
{
	struct ledger *l = books();
	struct ledger_position p;
	struct seen s = { .n = 0 };
	struct ledger_fill f = { "alice", "binance", "BTC/USDT", QD_SIDE_BUY,
		E8 / 2, 30000, 15 * E8, NULL, "f1", 77 };
	int64_t txn = 0;
	int i;

	(void)unused;
	assert_int_equal(ledger_deposit(l, "alice", "USDT", 20000 * E8, 0,
		"d"), QD_OK);
	ledger_set_sink(l, record, &s);
	assert_int_equal(ledger_check_fill(l, &f, NULL, 0), QD_OK);
	assert_int_equal(ledger_fill(l, &f, &txn, NULL, 0), QD_OK);
	assert_int_equal(txn, 2);
	assert_balance(l, "alice", "USDT", 4985 * E8);
	assert_balance(l, "alice", "BTC", E8 / 2);
	assert_balance(l, "venue:binance", "BTC", -E8 / 2);
	assert_balance(l, "venue:binance", "USDT", 15000 * E8);
	assert_balance(l, "fees:binance", "USDT", 15 * E8);
	assert_int_equal(ledger_open_account(l, "venue:binance", 0),
		QD_ERR_STATE);
	assert_int_equal(ledger_open_account(l, "fees:binance",
		LEDGER_EXTERNAL), QD_OK);
	assert_int_equal(ledger_position(l, "alice", "BTC/USDT", &p), QD_OK);
	assert_int_equal(p.qty, E8 / 2);
	assert_true(p.avg_price == 30000);
	assert_int_equal(p.realized, 0);
	assert_int_equal(p.fees, 15 * E8);
	/* One transaction, four trade legs and two fee legs. */
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.n, 6);
	for (i = 0; i < 6; i++) {
		assert_int_equal(s.p[i].txn, 2);
		assert_int_equal(s.p[i].ts_ms, 77);
		assert_string_equal(s.ref[i], "f1");
		assert_string_equal(s.kind[i], i < 4 ? "trade" : "fee");
	}
	assert_string_equal(s.account[4], "alice");
	assert_int_equal(s.p[4].amount, -15 * E8);
	assert_string_equal(s.account[5], "fees:binance");

	assert_int_equal(fill(l, "alice", "binance", "BTC/USDT", QD_SIDE_SELL,
		E8 / 5, 31000, 620000000LL, "USDT", NULL), QD_OK);
	assert_balance(l, "alice", "USDT", 1117880000000LL);   /* 11178.8 */
	assert_balance(l, "alice", "BTC", 30000000);
	assert_int_equal(ledger_position(l, "alice", "BTC/USDT", &p), QD_OK);
	assert_int_equal(p.qty, 30000000);
	assert_true(p.avg_price == 30000);
	assert_int_equal(p.realized, 200 * E8);
	assert_int_equal(p.fees, 2120000000LL);                /* 21.2 */
	/* Marked at 32000: (32000 - 30000) x 0.3 = 600. */
	ledger_mark(l, "BTC/USDT", 32000);
	assert_int_equal(ledger_unrealized(l, "alice", "BTC/USDT"), 600 * E8);
	assert_int_equal(ledger_equity(l, "alice", "USDT"),
		1117880000000LL + 9600 * E8);
	books_ok(l);
	ledger_free(l);
}

/*
 * A fee in the base asset leaves the position's quantity alone and counts
 * at the fill price; one in a third asset is paid from that asset.
 */
static void
fees_in_base_and_third_assets(void **unused)
{
	struct ledger *l = books();
	struct ledger_position p;
	char why[256];

	(void)unused;
	assert_int_equal(ledger_deposit(l, "alice", "USDT", 1000 * E8, 0, ""),
		QD_OK);
	assert_int_equal(fill(l, "alice", "v", "BTC/USDT", QD_SIDE_BUY, E8,
		100, E8 / 1000, "BTC", NULL), QD_OK);
	assert_balance(l, "alice", "BTC", E8 - E8 / 1000);
	assert_balance(l, "fees:v", "BTC", E8 / 1000);
	assert_balance(l, "alice", "USDT", 900 * E8);
	assert_int_equal(ledger_position(l, "alice", "BTC/USDT", &p), QD_OK);
	assert_int_equal(p.qty, E8);
	assert_int_equal(p.fees, E8 / 10);        /* 0.001 BTC at 100 */
	/* No BNB: the fee cannot be paid, so neither is the trade. */
	assert_int_equal(fill(l, "alice", "v", "BTC/USDT", QD_SIDE_BUY, E8,
		100, E8 / 100, "BNB", why), QD_ERR_LIMIT);
	assert_non_null(strstr(why, "BNB"));
	assert_balance(l, "alice", "USDT", 900 * E8);
	assert_int_equal(ledger_deposit(l, "alice", "BNB", E8, 0, ""), QD_OK);
	assert_int_equal(fill(l, "alice", "v", "BTC/USDT", QD_SIDE_BUY, E8,
		100, E8 / 100, "BNB", NULL), QD_OK);
	assert_balance(l, "alice", "BNB", E8 - E8 / 100);
	assert_balance(l, "fees:v", "BNB", E8 / 100);
	assert_int_equal(ledger_position(l, "alice", "BTC/USDT", &p), QD_OK);
	assert_int_equal(p.qty, 2 * E8);
	assert_int_equal(p.fees, E8 / 10);        /* BNB not counted */
	books_ok(l);
	ledger_free(l);

	/* Neither asset in the books yet: 1 unit at 0.4 costs 0.4 units of
	 * quote, nothing; the fee of 1 unit is paid in the base just
	 * received, and it is not a quote fee because both are new. */
	l = books();
	assert_int_equal(fill(l, "bob", "v", "NEW/NQ", QD_SIDE_BUY, 1, 0.4,
		1, "NEW", NULL), QD_OK);
	assert_balance(l, "bob", "NEW", 0);
	assert_balance(l, "fees:v", "NEW", 1);
	assert_int_equal(ledger_position(l, "bob", "NEW/NQ", &p), QD_OK);
	assert_int_equal(p.qty, 1);
	assert_int_equal(p.fees, 0);
	books_ok(l);
	ledger_free(l);
}

/*
 * mia (margin) has 10000 USDT.  Short 0.3 BTC at 30000: notional 9000 <=
 * equity 10000.  0.04 more would make 10200 > 10000: refused; 0.03 more
 * (9900) is fine.  At 25000 a second account shorts exactly its equity.
 */
static void
margin_short_is_limited_to_equity(void **unused)
{
	struct ledger *l = books();
	struct ledger_position p;
	struct ledger_fill f = { "mia", "v", "BTC/USDT", QD_SIDE_SELL,
		4000000, 30000, 0, NULL, "", 0 };
	char why[256] = "";

	(void)unused;
	assert_int_equal(ledger_deposit(l, "mia", "USDT", 10000 * E8, 0, ""),
		QD_OK);
	assert_int_equal(fill(l, "mia", "v", "BTC/USDT", QD_SIDE_SELL,
		30000000, 30000, 0, NULL, NULL), QD_OK);
	assert_balance(l, "mia", "BTC", -30000000);
	assert_balance(l, "mia", "USDT", 19000 * E8);
	assert_int_equal(ledger_equity(l, "mia", "USDT"), 10000 * E8);
	assert_int_equal(ledger_position(l, "mia", "BTC/USDT", &p), QD_OK);
	assert_int_equal(p.qty, -30000000);
	assert_true(p.avg_price == 30000);

	assert_int_equal(ledger_check_fill(l, &f, why, sizeof(why)),
		QD_ERR_LIMIT);
	assert_non_null(strstr(why, "margin"));
	assert_int_equal(ledger_fill(l, &f, NULL, why, sizeof(why)),
		QD_ERR_LIMIT);
	assert_balance(l, "mia", "BTC", -30000000);
	assert_balance(l, "mia", "USDT", 19000 * E8);
	f.qty = 3000000;
	assert_int_equal(ledger_check_fill(l, &f, why, sizeof(why)), QD_OK);
	assert_int_equal(ledger_fill(l, &f, NULL, why, sizeof(why)), QD_OK);
	assert_balance(l, "mia", "BTC", -33000000);

	/* The price rises to 40000: (30000 - 40000) x 0.33 = -3300 and the
	 * equity is 19900 - 13200 = 6700, less than the short's 13200: no
	 * more shorting, but buying back is always allowed. */
	ledger_mark(l, "BTC/USDT", 40000);
	assert_int_equal(ledger_unrealized(l, "mia", "BTC/USDT"), -3300 * E8);
	assert_int_equal(ledger_equity(l, "mia", "USDT"), 6700 * E8);
	assert_int_equal(fill(l, "mia", "v", "BTC/USDT", QD_SIDE_SELL, 1,
		40000, 0, NULL, NULL), QD_ERR_LIMIT);
	assert_int_equal(fill(l, "mia", "v", "BTC/USDT", QD_SIDE_BUY,
		10000000, 40000, 0, NULL, NULL), QD_OK);
	assert_balance(l, "mia", "USDT", 15900 * E8);
	/* ... but the quote never goes negative, margin or not. */
	assert_int_equal(fill(l, "mia", "v", "BTC/USDT", QD_SIDE_BUY, E8,
		40000, 0, NULL, why), QD_ERR_LIMIT);
	assert_non_null(strstr(why, "insufficient funds"));

	/* Exactly the equity is allowed, one unit more is not. */
	assert_int_equal(ledger_open_account(l, "max", LEDGER_MARGIN), QD_OK);
	assert_int_equal(ledger_deposit(l, "max", "USDT", 10000 * E8, 0, ""),
		QD_OK);
	assert_int_equal(fill(l, "max", "v", "BTC/USDT", QD_SIDE_SELL,
		40000000, 25000, 0, NULL, NULL), QD_OK);
	assert_int_equal(fill(l, "max", "v", "BTC/USDT", QD_SIDE_SELL, 1,
		25000, 0, NULL, NULL), QD_ERR_LIMIT);
	/* A fee counts against the equity too. */
	assert_int_equal(fill(l, "max", "v", "BTC/USDT", QD_SIDE_BUY,
		40000000, 25000, 0, NULL, NULL), QD_OK);
	assert_int_equal(fill(l, "max", "v", "BTC/USDT", QD_SIDE_SELL,
		40000000, 25000, 1, NULL, NULL), QD_ERR_LIMIT);

	/* An ordinary account cannot short at all. */
	assert_int_equal(ledger_deposit(l, "bob", "USDT", 10000 * E8, 0, ""),
		QD_OK);
	assert_int_equal(fill(l, "bob", "v", "BTC/USDT", QD_SIDE_SELL, 1,
		30000, 0, NULL, why), QD_ERR_LIMIT);
	assert_non_null(strstr(why, "bob"));
	books_ok(l);
	ledger_free(l);
}

/* Everything a reader can see of an account, as text. */
static int
dump_balance(void *arg, const char *asset, int64_t amount, int decimals)
{
	char *out = arg;

	snprintf(out + strlen(out), 1024 - strlen(out), "%s=%lld/%d;", asset,
		(long long)amount, decimals);
	return 0;
}

static int
dump_position(void *arg, const char *symbol, const struct ledger_position *p)
{
	char *out = arg;

	snprintf(out + strlen(out), 1024 - strlen(out), "%s=%lld@%.17g,%lld,"
		"%lld;", symbol, (long long)p->qty, p->avg_price,
		(long long)p->realized, (long long)p->fees);
	return 0;
}

static void
snapshot(const struct ledger *l, char out[1024])
{
	static const char *accts[] = { "alice", "bob", "mia",
		"external:deposits", "venue:v", "fees:v", "venue:kraken",
		"fees:kraken" };
	size_t i;

	out[0] = '\0';
	for (i = 0; i < sizeof(accts) / sizeof(accts[0]); i++) {
		snprintf(out + strlen(out), 1024 - strlen(out), "[%s:%d]",
			accts[i], ledger_has_account(l, accts[i]));
		ledger_each_balance(l, accts[i], dump_balance, out);
		ledger_each_position(l, accts[i], dump_position, out);
	}
}

static void
a_buy_that_cannot_be_paid_changes_nothing(void **unused)
{
	struct ledger *l = books();
	struct seen s = { .n = 0 };
	char before[1024], after[1024], why[256] = "";
	int64_t txn = 0;

	(void)unused;
	assert_int_equal(ledger_deposit(l, "alice", "USDT", 1000 * E8, 0, ""),
		QD_OK);
	assert_int_equal(fill(l, "alice", "v", "BTC/USDT", QD_SIDE_BUY,
		E8 / 100, 30000, 0, NULL, NULL), QD_OK);
	ledger_set_sink(l, record, &s);
	snapshot(l, before);
	assert_non_null(strstr(before, "BTC/USDT=1000000@30000"));
	/* 1 BTC at 30000 on a venue not seen yet, with 700 USDT. */
	assert_int_equal(fill(l, "alice", "kraken", "BTC/USDT", QD_SIDE_BUY,
		E8, 30000, 0, NULL, why), QD_ERR_LIMIT);
	assert_non_null(strstr(why, "insufficient funds"));
	assert_non_null(strstr(why, "alice"));
	/* 700 would pay 0.02333 BTC, but not its fee as well. */
	assert_int_equal(fill(l, "alice", "kraken", "BTC/USDT", QD_SIDE_BUY,
		2333333, 30000, E8, NULL, why), QD_ERR_LIMIT);
	/* Selling more than it holds. */
	assert_int_equal(fill(l, "alice", "kraken", "BTC/USDT", QD_SIDE_SELL,
		E8 / 100 + 1, 30000, 0, NULL, why), QD_ERR_LIMIT);
	/* Nor does a fill whose pair or account is unknown. */
	assert_int_equal(fill(l, "nobody", "kraken", "BTC/USDT", QD_SIDE_BUY,
		1, 1, 0, NULL, why), QD_ERR_INVALID);
	assert_int_equal(fill(l, "alice", "kraken", "BTCUSDT", QD_SIDE_BUY,
		1, 1, 0, NULL, why), QD_ERR_INVALID);
	assert_int_equal(fill(l, "alice", "kraken", "BTC/USDT", QD_SIDE_BUY,
		0, 1, 0, NULL, why), QD_ERR_INVALID);
	assert_int_equal(fill(l, "alice", "kraken", "BTC/USDT", QD_SIDE_BUY,
		1, -1, 0, NULL, why), QD_ERR_INVALID);
	assert_int_equal(fill(l, "alice", "kraken", "BTC/USDT", 0, 1, 1, 0,
		NULL, why), QD_ERR_INVALID);
	assert_int_equal(fill(l, "alice", "kraken", "BTC/USDT", QD_SIDE_BUY,
		1, 1, 1, "", why), QD_ERR_INVALID);
	assert_int_equal(fill(l, "alice", "kraken", "BTC/USDT", QD_SIDE_BUY,
		1, 1, -1, NULL, why), QD_ERR_INVALID);
	snapshot(l, after);
	assert_string_equal(before, after);
	assert_false(ledger_has_account(l, "venue:kraken"));
	assert_int_equal(s.calls, 0);
	books_ok(l);
	/* No transaction number was used up. */
	assert_int_equal(fill(l, "alice", "kraken", "BTC/USDT", QD_SIDE_BUY,
		E8 / 100, 30000, 0, NULL, NULL), QD_OK);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.p[0].txn, 3);
	(void)txn;
	ledger_free(l);
}

static void
post_refuses_unbalanced_unknown_and_negative(void **unused)
{
	struct ledger *l = books();
	struct seen s = { .n = 0 };
	struct ledger_leg legs[12];
	char why[256] = "";
	int64_t txn = 0;
	int i;

	(void)unused;
	ledger_set_sink(l, record, &s);
	assert_int_equal(ledger_deposit(l, "alice", "USDT", 100, 0, ""),
		QD_OK);
	legs[0] = (struct ledger_leg){ "alice", "USDT", -5 };
	legs[1] = (struct ledger_leg){ "bob", "USDT", 4 };
	assert_int_equal(ledger_post(l, 0, "transfer", "t", legs, 2, &txn,
		why, sizeof(why)), QD_ERR_INVALID);
	assert_non_null(strstr(why, "unbalanced"));
	legs[1] = (struct ledger_leg){ "carol", "USDT", 5 };
	assert_int_equal(ledger_post(l, 0, "transfer", "t", legs, 2, &txn,
		why, sizeof(why)), QD_ERR_INVALID);
	assert_non_null(strstr(why, "carol"));
	assert_int_equal(ledger_post(l, 0, "transfer", "t", legs, 0, &txn,
		why, sizeof(why)), QD_ERR_INVALID);
	/* bob has nothing to give. */
	legs[0] = (struct ledger_leg){ "bob", "USDT", -5 };
	legs[1] = (struct ledger_leg){ "alice", "USDT", 5 };
	assert_int_equal(ledger_post(l, 0, "transfer", "t", legs, 2, &txn,
		why, sizeof(why)), QD_ERR_LIMIT);
	assert_non_null(strstr(why, "bob"));
	/* Two legs that cancel on one account are its net change: none. */
	legs[0] = (struct ledger_leg){ "bob", "USDT", -5 };
	legs[1] = (struct ledger_leg){ "bob", "USDT", 5 };
	assert_int_equal(ledger_post(l, 0, "transfer", "t", legs, 2, &txn,
		why, sizeof(why)), QD_OK);
	assert_int_equal(txn, 2);
	/* An overflowing balance is refused, not wrapped. */
	assert_int_equal(ledger_open_account(l, "mint", LEDGER_EXTERNAL),
		QD_OK);
	legs[0] = (struct ledger_leg){ "mint", "USDT", -INT64_MAX };
	legs[1] = (struct ledger_leg){ "alice", "USDT", INT64_MAX };
	assert_int_equal(ledger_post(l, 0, "transfer", "t", legs, 2, &txn,
		why, sizeof(why)), QD_ERR_INVALID);
	assert_non_null(strstr(why, "overflow"));
	assert_int_equal(s.calls, 2);
	/* A transfer, and one of many legs (40 to bob in 10 pieces, ten
	 * alice debits). */
	legs[0] = (struct ledger_leg){ "alice", "USDT", -30 };
	legs[1] = (struct ledger_leg){ "bob", "USDT", 30 };
	assert_int_equal(ledger_post(l, 9, NULL, NULL, legs, 2, &txn, why,
		sizeof(why)), QD_OK);
	assert_string_equal(s.kind[s.n - 1], "transfer");
	assert_string_equal(s.ref[s.n - 1], "");
	for (i = 0; i < 12; i++)
		legs[i] = (struct ledger_leg){ i % 2 ? "alice" : "bob", "USDT",
			i % 2 ? -4 : 4 };
	assert_int_equal(ledger_post(l, 0, "split", "x", legs, 12, &txn, why,
		sizeof(why)), QD_OK);
	assert_int_equal(txn, 4);
	assert_balance(l, "alice", "USDT", 100 - 30 - 24);
	assert_balance(l, "bob", "USDT", 30 + 24);
	assert_string_equal(s.kind[s.n - 1], "split");
	books_ok(l);
	ledger_free(l);
}

/*
 * ETH/USDT on a margin account, by hand:
 *   buy 1 at 100, buy 1 at 110     -> 2 at 105
 *   sell 0.5 at 120                -> realized 0.5 x 15 = 7.5, 1.5 at 105
 *   sell 2 at 100 (reverses)       -> realized 1.5 x -5 = -7.5 (total 0),
 *                                     short 0.5 at 100
 *   buy 0.5 at 90                  -> realized 0.5 x 10 = 5, flat
 * The quote moved -100 -110 +60 +200 -45 = +5: the realized total.
 */
static void
positions_average_reduce_and_reverse(void **unused)
{
	static const struct {
		enum qd_side side;
		int64_t qty;
		double price;
		int64_t pos, realized;
		double avg;
	} step[] = {
		{ QD_SIDE_BUY, E8, 100, E8, 0, 100 },
		{ QD_SIDE_BUY, E8, 110, 2 * E8, 0, 105 },
		{ QD_SIDE_SELL, E8 / 2, 120, 3 * E8 / 2, 750000000LL, 105 },
		{ QD_SIDE_SELL, 2 * E8, 100, -E8 / 2, 0, 100 },
		{ QD_SIDE_BUY, E8 / 2, 90, 0, 5 * E8, 0 },
	};
	struct ledger *l = books();
	struct ledger_position p;
	size_t i;

	(void)unused;
	assert_int_equal(ledger_deposit(l, "mia", "USDT", 1000 * E8, 0, ""),
		QD_OK);
	for (i = 0; i < sizeof(step) / sizeof(step[0]); i++) {
		assert_int_equal(fill(l, "mia", "v", "ETH/USDT", step[i].side,
			step[i].qty, step[i].price, 0, NULL, NULL), QD_OK);
		assert_int_equal(ledger_position(l, "mia", "ETH/USDT", &p),
			QD_OK);
		if (p.qty != step[i].pos || p.realized != step[i].realized ||
		    p.avg_price != step[i].avg)
			fail_msg("step %zu: %lld at %.17g realized %lld, want "
				"%lld at %.17g realized %lld", i,
				(long long)p.qty, p.avg_price,
				(long long)p.realized, (long long)step[i].pos,
				step[i].avg, (long long)step[i].realized);
		books_ok(l);
	}
	assert_balance(l, "mia", "USDT", 1005 * E8);
	assert_balance(l, "mia", "ETH", 0);
	/* A closed position still lists (once traded), and stops early. */
	assert_int_equal(ledger_unrealized(l, "mia", "ETH/USDT"), 0);
	ledger_free(l);
}

/*
 * A cost basis of 10 units over 3: selling 1 removes round(10/3) = 3,
 * the next 1 removes round(7/2) = 4, the last what is left, 3; the
 * realized total is still exactly the net quote flow.
 */
static void
partial_closes_telescope_to_the_exact_flow(void **unused)
{
	struct ledger *l = books();
	struct ledger_position p;

	(void)unused;
	assert_int_equal(ledger_set_asset(l, "USD", 0), QD_OK);
	assert_int_equal(ledger_set_asset(l, "X", 0), QD_OK);
	assert_int_equal(ledger_deposit(l, "alice", "USD", 100, 0, ""), QD_OK);
	assert_int_equal(fill(l, "alice", "v", "X/USD", QD_SIDE_BUY, 1, 3,
		0, NULL, NULL), QD_OK);
	assert_int_equal(fill(l, "alice", "v", "X/USD", QD_SIDE_BUY, 2, 3.5,
		0, NULL, NULL), QD_OK);             /* cost 3 + 7 = 10 */
	assert_int_equal(ledger_position(l, "alice", "X/USD", &p), QD_OK);
	assert_true(p.avg_price > 3.3333333 && p.avg_price < 3.3333334);
	assert_int_equal(fill(l, "alice", "v", "X/USD", QD_SIDE_SELL, 1, 4,
		0, NULL, NULL), QD_OK);
	assert_int_equal(ledger_position(l, "alice", "X/USD", &p), QD_OK);
	assert_int_equal(p.realized, 4 - 3);
	assert_int_equal(fill(l, "alice", "v", "X/USD", QD_SIDE_SELL, 1, 4,
		0, NULL, NULL), QD_OK);
	assert_int_equal(ledger_position(l, "alice", "X/USD", &p), QD_OK);
	assert_int_equal(p.realized, 1 + 4 - 4);
	assert_int_equal(fill(l, "alice", "v", "X/USD", QD_SIDE_SELL, 1, 4,
		0, NULL, NULL), QD_OK);
	assert_int_equal(ledger_position(l, "alice", "X/USD", &p), QD_OK);
	assert_int_equal(p.realized, 1 + 0 + 4 - 3);
	assert_int_equal(p.realized, ledger_balance(l, "alice", "USD") - 100);
	ledger_free(l);
}

/*
 * USD with 2 decimals, SHARE with 0: 3 shares at 12.125 are 36.375 USD,
 * 3637.5 cents, booked as 3638; one share back at the same price is
 * 1212.5 cents, 1213.
 */
static void
assets_keep_their_own_decimals(void **unused)
{
	struct ledger *l = books();
	struct seen s = { .n = 0 };
	struct ledger_position p;
	int64_t v = 0;

	(void)unused;
	assert_int_equal(ledger_decimals(l, "USD"), 8);
	assert_int_equal(ledger_set_asset(l, "USD", 2), QD_OK);
	assert_int_equal(ledger_set_asset(l, "SHARE", 5), QD_OK);
	assert_int_equal(ledger_set_asset(l, "SHARE", 0), QD_OK);
	assert_int_equal(ledger_set_asset(l, "BAD", 19), QD_ERR_INVALID);
	assert_int_equal(ledger_set_asset(l, "BAD", -1), QD_ERR_INVALID);
	assert_int_equal(ledger_decimals(l, "USD"), 2);
	assert_int_equal(ledger_decimals(l, "SHARE"), 0);
	assert_int_equal(ledger_decimals(l, "NEVER"), 8);
	assert_int_equal(ledger_deposit(l, "alice", "USD", 10000, 0, ""),
		QD_OK);
	ledger_set_sink(l, record, &s);
	assert_int_equal(fill(l, "alice", "v", "SHARE/USD", QD_SIDE_BUY, 3,
		12.125, 0, NULL, NULL), QD_OK);
	assert_balance(l, "alice", "USD", 10000 - 3638);
	assert_balance(l, "alice", "SHARE", 3);
	assert_balance(l, "venue:v", "SHARE", -3);
	assert_int_equal(ledger_position(l, "alice", "SHARE/USD", &p), QD_OK);
	assert_true(p.avg_price > 12.1266 && p.avg_price < 12.1267);
	assert_int_equal(s.p[0].decimals, 0);
	assert_int_equal(s.p[2].decimals, 2);
	assert_int_equal(fill(l, "alice", "v", "SHARE/USD", QD_SIDE_SELL, 1,
		12.125, 0, NULL, NULL), QD_OK);
	assert_balance(l, "alice", "USD", 10000 - 3638 + 1213);
	/* The basis loses round(3638 / 3) = 1213: 2425 over 2 left. */
	assert_int_equal(ledger_position(l, "alice", "SHARE/USD", &p), QD_OK);
	assert_true(p.avg_price == 12.125);
	assert_int_equal(ledger_notional(l, "SHARE/USD", -1, 12.125, &v),
		QD_OK);
	assert_int_equal(v, -1213);
	/* Posted: the precision is fixed, the same one is still fine. */
	assert_int_equal(ledger_set_asset(l, "USD", 4), QD_ERR_STATE);
	assert_int_equal(ledger_set_asset(l, "SHARE", 8), QD_ERR_STATE);
	assert_int_equal(ledger_set_asset(l, "USD", 2), QD_OK);
	assert_int_equal(ledger_decimals(l, "USD"), 2);
	books_ok(l);
	ledger_free(l);
}

static void
notional_rounds_the_exact_product_once(void **unused)
{
	struct ledger *l = ledger_new();
	int64_t v = 0;
	i128 num;
	int64_t want;
	double price;

	(void)unused;
	assert_int_equal(ledger_set_asset(l, "USD", 2), QD_OK);
	assert_int_equal(ledger_set_asset(l, "Z", 0), QD_OK);
	assert_int_equal(ledger_set_asset(l, "Q", 18), QD_OK);
	/* Base decimals above the quote's: 8 -> 2. */
	assert_int_equal(ledger_notional(l, "BTC/USD", 1, 30000, &v), QD_OK);
	assert_int_equal(v, 0);                   /* 0.03 cents */
	assert_int_equal(ledger_notional(l, "BTC/USD", 5000, 30000, &v),
		QD_OK);
	assert_int_equal(v, 150);
	assert_int_equal(ledger_notional(l, "BTC/USD", 50, 10000, &v), QD_OK);
	assert_int_equal(v, 1);                   /* 0.5 cents: away */
	assert_int_equal(ledger_notional(l, "BTC/USD", -50, 10000, &v), QD_OK);
	assert_int_equal(v, -1);
	assert_int_equal(ledger_notional(l, "BTC/USD", 1666667, 30000, &v),
		QD_OK);
	assert_int_equal(v, 50000);               /* 500.0001 */
	/* 0.1 is 0.1000000000000000055...: 1 BTC of it is 0.1 exactly. */
	assert_int_equal(ledger_notional(l, "BTC/USDT", E8, 0.1, &v), QD_OK);
	assert_int_equal(v, 10000000);
	/* 1.005 is 1.00499999999999989...: below the half. */
	assert_int_equal(ledger_notional(l, "Z/USD", 1, 1.005, &v), QD_OK);
	assert_int_equal(v, 100);
	/* Quote decimals far above the base's, with a full mantissa: the
	 * product needs more than 128 bits on the way.  2^40 Z at
	 * (2^53 - 1) / 2^93 is 10^18 (2^53 - 1) / 2^53 Q units. */
	price = (double)((1ULL << 53) - 1) / 9903520314283042199192993792.0;
	assert_int_equal(ledger_notional(l, "Z/Q", 1LL << 40, price, &v),
		QD_OK);
	num = (i128)((1ULL << 53) - 1) * 1000000000000000000LL;
	want = (int64_t)((num + ((i128)1 << 52)) >> 53);
	assert_int_equal(v, want);
	/* The same path with the shift exactly 64: the half is bit 63 of
	 * the low word.  8166568761 x 0x134571f1fd42a3 x 5^18 is in
	 * [2^126, 2^127) with bit 63 set; over 2^64 it is ...623.5+. */
	assert_int_equal(ledger_notional(l, "Z/Q", 8166568761LL,
		ldexp((double)0x134571f1fd42a3ULL, -82), &v), QD_OK);
	assert_int_equal(v, 9160730457384372624LL);
	/* Base decimals far above the quote's. */
	assert_int_equal(ledger_notional(l, "Q/Z", 1000000000000000000LL, 2.5,
		&v), QD_OK);
	assert_int_equal(v, 3);
	assert_int_equal(ledger_notional(l, "Q/Z", 1000000000000000000LL, 1.5,
		&v), QD_OK);
	assert_int_equal(v, 2);
	assert_int_equal(ledger_notional(l, "Q/Z", 1, 1e-300, &v), QD_OK);
	assert_int_equal(v, 0);
	/* Refused. */
	assert_int_equal(ledger_notional(l, "Z/Q", 10, 1, &v), QD_ERR_INVALID);
	assert_int_equal(ledger_notional(l, "BTC/USDT", INT64_MAX, 1.5, &v),
		QD_ERR_INVALID);
	assert_int_equal(ledger_notional(l, "BTC/USDT", 1, 0, &v),
		QD_ERR_INVALID);
	assert_int_equal(ledger_notional(l, "BTC/USDT", 1, 0.0 / 0.0, &v),
		QD_ERR_INVALID);
	assert_int_equal(ledger_notional(l, "BTCUSDT", 1, 1, &v),
		QD_ERR_INVALID);
	assert_int_equal(ledger_notional(l, "A/B/C", 1, 1, &v),
		QD_ERR_INVALID);
	assert_int_equal(ledger_notional(l, "A/A", 1, 1, &v), QD_ERR_INVALID);
	assert_int_equal(ledger_notional(l, "/A", 1, 1, &v), QD_ERR_INVALID);
	ledger_free(l);
}

/* Random quantities at dyadic prices, checked against exact sums. */
static void
notional_matches_exact_arithmetic(void **unused)
{
	static const int dec[] = { 0, 2, 6, 8, 12, 18 };
	static const char *name[] = { "D0", "D2", "D6", "D8", "D12", "D18" };
	struct ledger *l = ledger_new();
	uint64_t seed = 5;
	char sym[16];
	int i, b, q;

	(void)unused;
	for (i = 0; i < 6; i++)
		assert_int_equal(ledger_set_asset(l, name[i], dec[i]), QD_OK);
	for (i = 0; i < 100000; i++) {
		/* |qty| < 2^33, pk < 2^30, 10^18 < 2^60: 2 x num < 2^127 */
		int64_t qty = (int64_t)(rnd(&seed) >> 31) >> (rnd(&seed) % 34);
		int64_t pk = rnd_in(&seed, 1, 1 << 30), v = 0;
		int sh = (int)(rnd(&seed) % 40), k, rc;
		i128 num, den = (i128)1 << sh, want;

		b = (int)(rnd(&seed) % 6);
		q = (int)(rnd(&seed) % 6);
		if (b == q)
			continue;
		snprintf(sym, sizeof(sym), "%s/%s", name[b], name[q]);
		k = dec[q] - dec[b];
		num = (i128)qty * pk;
		if (k >= 0)
			num *= fixed_pow10(k);
		else
			den *= fixed_pow10(-k);
		want = (2 * num + den) / (2 * den);
		if (rnd(&seed) % 2) {
			qty = -qty;
			want = -want;
		}
		rc = ledger_notional(l, sym, qty, ldexp((double)pk, -sh), &v);
		if (want > INT64_MAX || want < -INT64_MAX) {
			if (rc != QD_ERR_INVALID)
				fail_msg("%s %lld at %lld/2^%d: no overflow",
					sym, (long long)qty, (long long)pk, sh);
			continue;
		}
		if (rc != QD_OK || v != (int64_t)want)
			fail_msg("%s %lld at %lld/2^%d = %lld, want %lld", sym,
				(long long)qty, (long long)pk, sh,
				(long long)v, (long long)want);
	}
	ledger_free(l);
}

static int
count_and_stop(void *arg, const char *asset, int64_t amount, int decimals)
{
	(void)asset;
	(void)amount;
	(void)decimals;
	return ++*(int *)arg >= 2;
}

static void
accounts_and_enumeration(void **unused)
{
	struct ledger *l = books();
	struct ledger_position p;
	char out[1024] = "";
	int n = 0;

	(void)unused;
	assert_int_equal(ledger_open_account(l, "alice", 0), QD_OK);
	assert_int_equal(ledger_open_account(l, "alice", LEDGER_MARGIN),
		QD_ERR_STATE);
	assert_int_equal(ledger_open_account(l, "x", 4), QD_ERR_INVALID);
	assert_int_equal(ledger_open_account(l, "", 0), QD_ERR_INVALID);
	assert_int_equal(ledger_open_account(l, NULL, 0), QD_ERR_INVALID);
	assert_false(ledger_has_account(l, "carol"));
	assert_int_equal(ledger_position(l, "carol", "BTC/USDT", &p),
		QD_ERR_NOTFOUND);
	assert_int_equal(ledger_position(l, "alice", "BTC/USDT", &p), QD_OK);
	assert_int_equal(p.qty, 0);
	assert_int_equal(ledger_balance(l, "carol", "USDT"), 0);
	assert_int_equal(ledger_equity(l, "carol", "USDT"), 0);
	books_ok(l);

	assert_int_equal(ledger_deposit(l, "alice", "USDT", 1000 * E8, 0, ""),
		QD_OK);
	assert_int_equal(ledger_deposit(l, "alice", "ETH", E8, 0, ""), QD_OK);
	assert_int_equal(ledger_deposit(l, "alice", "BNB", E8, 0, ""), QD_OK);
	ledger_each_balance(l, "alice", count_and_stop, &n);
	assert_int_equal(n, 2);
	/* Bought and sold back: flat but listed. */
	assert_int_equal(fill(l, "alice", "v", "ETH/USDT", QD_SIDE_BUY, E8,
		100, 0, NULL, NULL), QD_OK);
	assert_int_equal(fill(l, "alice", "v", "ETH/USDT", QD_SIDE_SELL, E8,
		101, 0, NULL, NULL), QD_OK);
	ledger_each_position(l, "alice", dump_position, out);
	assert_string_equal(out, "ETH/USDT=0@0,100000000,0;");
	out[0] = '\0';
	ledger_each_balance(l, "alice", dump_balance, out);
	assert_string_equal(out, "USDT=100100000000/8;ETH=100000000/8;"
		"BNB=100000000/8;");
	books_ok(l);
	ledger_free(l);
}

/* ---- the random books -------------------------------------------------- */

/*
 * The model: every account the ledger will have, every asset, the
 * balances as 128-bit sums of what each step should move, positions as
 * quantities, and for the realized P&L the quote each position received
 * net (a flat position has realized exactly that).  It shares no code
 * with the ledger: its notional is integer arithmetic on dyadic prices
 * (pk / 1024, exact as doubles).
 */
enum { U0, U1, M0, M1, NUSER };
#define NVENUE 3
#define NACCT (NUSER + 2 * NVENUE + 1)
#define DEPOSITS_ACCT (NACCT - 1)
#define NASSET 6
#define NSYM 5
#define PDEN 1024

static const char *acct_name[NACCT] = { "u0", "u1", "m0", "m1",
	"venue:v0", "venue:v1", "venue:v2", "fees:v0", "fees:v1", "fees:v2",
	"external:deposits" };
static const char *venue_name[NVENUE] = { "v0", "v1", "v2" };
static const char *asset_name[NASSET] = { "USDT", "BTC", "ETH", "USD",
	"XS", "BNB" };
static const int asset_dec[NASSET] = { 8, 8, 8, 2, 0, 8 };
static const struct {
	const char *name;
	int base, quote;
	int64_t plo, phi;     /* price range, 1/1024 units */
	int64_t qmax;         /* quantity range, base units */
} sym[NSYM] = {
	{ "BTC/USDT", 1, 0, 20000 * PDEN, 40000 * PDEN, E8 },
	{ "ETH/USDT", 2, 0, 1000 * PDEN, 3000 * PDEN, 5 * E8 },
	{ "ETH/BTC", 2, 1, 40, 90, 5 * E8 },
	{ "XS/USD", 4, 3, 5 * PDEN, 20 * PDEN, 200 },
	{ "BTC/USD", 1, 3, 20000 * PDEN, 40000 * PDEN, E8 },
};

struct model {
	i128 bal[NACCT][NASSET];
	i128 sunk[NACCT][NASSET];       /* what the sink reported */
	int64_t qty[NUSER][NSYM];
	i128 flow[NUSER][NSYM];         /* quote received, fees apart */
	i128 fees[NUSER][NSYM];
	int64_t mark[NSYM];             /* 1/1024 units, 0: none */
	int64_t postings;
};

static int
is_margin(int a)
{
	return a == M0 || a == M1;
}

static int
is_external(int a)
{
	return a >= NUSER;
}

/* qty base units at pk/1024 in quote units, half away from zero. */
static i128
model_notional(int64_t qty, int64_t pk, int s)
{
	int k = asset_dec[sym[s].quote] - asset_dec[sym[s].base];
	i128 num = (i128)(qty < 0 ? -qty : qty) * pk, den = PDEN, v;

	if (k >= 0)
		num *= fixed_pow10(k);
	else
		den *= fixed_pow10(-k);
	v = (2 * num + den) / (2 * den);
	return qty < 0 ? -v : v;
}

static int
index_of(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static void
model_sink(void *arg, const struct ledger_posting *p, size_t n)
{
	struct model *m = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		int a = index_of(acct_name, NACCT, p[i].account);
		int s = index_of(asset_name, NASSET, p[i].asset);

		if (a < 0 || s < 0)
			fail_msg("the sink reported %s %s, not in the model",
				p[i].account, p[i].asset);
		if (p[i].decimals != asset_dec[s] || p[i].txn <= 0)
			fail_msg("posting %s %s: decimals %d txn %lld",
				p[i].account, p[i].asset, p[i].decimals,
				(long long)p[i].txn);
		m->sunk[a][s] += p[i].amount;
		m->postings++;
	}
}

/* The legs of one step, netted per (account, asset). */
struct delta {
	i128 d[NACCT][NASSET];
};

/*
 * Would the step's net changes leave a balance where it may not be?  An
 * ordinary account never below zero, a margin account only in the base
 * asset of the fill (`base`, -1 for none), external accounts anywhere.
 */
static int
model_allows(const struct model *m, const struct delta *dl, int base)
{
	int a, s;

	for (a = 0; a < NACCT; a++)
		for (s = 0; s < NASSET; s++) {
			i128 after = m->bal[a][s] + dl->d[a][s];

			if (dl->d[a][s] < 0 && after < 0 && !is_external(a) &&
			    !(is_margin(a) && s == base))
				return 0;
		}
	return 1;
}

static void
model_apply(struct model *m, const struct delta *dl)
{
	int a, s;

	for (a = 0; a < NACCT; a++)
		for (s = 0; s < NASSET; s++)
			m->bal[a][s] += dl->d[a][s];
}

/* Equity of user u in asset q: its balance after `dl`, every position in
 * q at its mark, symbol s at qty `q_s` and price pk. */
static i128
model_equity(const struct model *m, const struct delta *dl, int u, int q,
	int s, int64_t q_s, int64_t pk)
{
	i128 eq = m->bal[u][q] + dl->d[u][q];
	int y;

	for (y = 0; y < NSYM; y++) {
		if (sym[y].quote != q)
			continue;
		if (y == s)
			eq += model_notional(q_s, pk, y);
		else if (m->qty[u][y] != 0)
			eq += model_notional(m->qty[u][y], m->mark[y], y);
	}
	return eq;
}

struct walk;
static void walk_check(struct walk *w);

struct walk {
	struct ledger *l;
	struct model m;
	uint64_t seed, s;
	int step;
};

#define WALK_FAIL(w, ...) do { \
	char msg_[512]; \
	snprintf(msg_, sizeof(msg_), __VA_ARGS__); \
	fail_msg("seed %llu step %d: %s", (unsigned long long)(w)->seed, \
		(w)->step, msg_); \
} while (0)

static void
walk_deposit(struct walk *w)
{
	int a = (int)(rnd(&w->s) % NUSER), s = (int)(rnd(&w->s) % NASSET);
	int64_t amt = rnd_in(&w->s, 1, 50000 * fixed_pow10(asset_dec[s]));

	if (ledger_deposit(w->l, acct_name[a], asset_name[s], amt, w->step,
	    "d") != QD_OK)
		WALK_FAIL(w, "deposit of %lld %s to %s refused",
			(long long)amt, asset_name[s], acct_name[a]);
	w->m.bal[a][s] += amt;
	w->m.bal[DEPOSITS_ACCT][s] -= amt;
}

/* Half of the (account, asset) pairs funded from the start, so that most
 * fills can be paid; the empty half keeps refusals coming. */
static void
walk_fund(struct walk *w)
{
	int a, s;

	for (a = 0; a < NUSER; a++)
		for (s = 0; s < NASSET; s++) {
			int64_t amt = rnd_in(&w->s, 1,
				50000 * fixed_pow10(asset_dec[s]));

			if (rnd(&w->s) % 2 == 0)
				continue;
			if (ledger_deposit(w->l, acct_name[a], asset_name[s],
			    amt, 0, "fund") != QD_OK)
				WALK_FAIL(w, "funding %s refused",
					acct_name[a]);
			w->m.bal[a][s] += amt;
			w->m.bal[DEPOSITS_ACCT][s] -= amt;
		}
	walk_check(w);
}

static void
walk_fill(struct walk *w)
{
	struct model *m = &w->m;
	int u = (int)(rnd(&w->s) % NUSER), s = (int)(rnd(&w->s) % NSYM);
	int v = (int)(rnd(&w->s) % NVENUE), b = sym[s].base, q = sym[s].quote;
	int buy = (int)(rnd(&w->s) % 2), fa = -1, want, got, chk;
	int64_t qty = rnd_in(&w->s, 1, sym[s].qmax), held = m->qty[u][s];
	int64_t pk = rnd_in(&w->s, sym[s].plo, sym[s].phi), fee = 0;
	int64_t sq, after;
	struct ledger_fill f = { acct_name[u], venue_name[v], sym[s].name,
		0, 0, (double)pk / PDEN, 0, NULL, "f", w->step };
	struct delta dl;
	i128 n, fee_q = 0;
	char why[256] = "";

	/* Against a position, a third of the fills reduce or close it and
	 * a third reverse it: uniform sizes would seldom do either. */
	if (held != 0 && rnd(&w->s) % 3 != 0) {
		int64_t h = held < 0 ? -held : held;

		buy = held < 0;
		qty = rnd(&w->s) % 2 ? rnd_in(&w->s, 1, h) : h + qty;
	}
	sq = buy ? qty : -qty;
	after = held + sq;
	f.side = buy ? QD_SIDE_BUY : QD_SIDE_SELL;
	f.qty = qty;
	n = model_notional(qty, pk, s);
	memset(&dl, 0, sizeof(dl));
	switch (rnd(&w->s) % 5) {
	case 0:
	case 1:
		break;                          /* no fee */
	case 2:
		fa = q;                         /* quote, by default */
		break;
	case 3:
		fa = b;
		f.fee_asset = asset_name[b];
		break;
	default:
		fa = 5;
		f.fee_asset = asset_name[5];
		break;
	}
	if (fa >= 0) {
		fee = rnd_in(&w->s, 1, fixed_pow10(asset_dec[fa]));
		f.fee = fee;
		fee_q = fa == q ? fee : fa == b ? model_notional(fee, pk, s) :
			0;
	}
	dl.d[u][b] += sq;
	dl.d[NUSER + v][b] -= sq;
	dl.d[u][q] += buy ? -n : n;
	dl.d[NUSER + v][q] -= buy ? -n : n;
	if (fee > 0) {
		dl.d[u][fa] -= fee;
		dl.d[NUSER + NVENUE + v][fa] += fee;
	}
	want = model_allows(m, &dl, is_margin(u) ? b : -1) ? QD_OK :
		QD_ERR_LIMIT;
	if (want == QD_OK && is_margin(u) && after < 0 &&
	    after < m->qty[u][s]) {
		i128 need = model_notional(-after, pk, s);

		if (need > model_equity(m, &dl, u, q, s, after, pk))
			want = QD_ERR_LIMIT;
	}
	chk = ledger_check_fill(w->l, &f, why, sizeof(why));
	got = ledger_fill(w->l, &f, NULL, why, sizeof(why));
	if (chk != got || got != want)
		WALK_FAIL(w, "%s %s %lld %s at %.17g fee %lld: check %d, fill "
			"%d, model %d (%s)", acct_name[u], buy ? "buys" :
			"sells", (long long)qty, sym[s].name, f.price,
			(long long)fee, chk, got, want, why);
	if (got != QD_OK)
		return;
	model_apply(m, &dl);
	m->qty[u][s] = after;
	m->flow[u][s] += buy ? -n : n;
	m->fees[u][s] += fee_q;
	m->mark[s] = pk;
}

static void
walk_transfer(struct walk *w)
{
	int a = (int)(rnd(&w->s) % NUSER), b = (int)(rnd(&w->s) % NUSER);
	int s = (int)(rnd(&w->s) % NASSET), want, got;
	i128 have = w->m.bal[a][s];
	int64_t amt = rnd_in(&w->s, 1, have > 0 ?
		(int64_t)(have + have / 5) + 10 : 1000);
	struct ledger_leg legs[2] = { { acct_name[a], asset_name[s], -amt },
		{ acct_name[b], asset_name[s], amt } };
	char why[256] = "";

	want = a == b || have - amt >= 0 ? QD_OK : QD_ERR_LIMIT;
	got = ledger_post(w->l, w->step, "transfer", "t", legs, 2, NULL, why,
		sizeof(why));
	if (got != want)
		WALK_FAIL(w, "transfer %lld %s %s -> %s: %d, model %d (%s)",
			(long long)amt, asset_name[s], acct_name[a],
			acct_name[b], got, want, why);
	if (got == QD_OK && a != b) {
		w->m.bal[a][s] -= amt;
		w->m.bal[b][s] += amt;
	}
}

static void
walk_unbalanced(struct walk *w)
{
	int a = (int)(rnd(&w->s) % NUSER), s = (int)(rnd(&w->s) % NASSET);
	struct ledger_leg legs[2] = { { acct_name[a], asset_name[s], -1 },
		{ acct_name[(a + 1) % NUSER], asset_name[s], 2 } };

	if (ledger_post(w->l, w->step, "transfer", "t", legs, 2, NULL, NULL,
	    0) != QD_ERR_INVALID)
		WALK_FAIL(w, "an unbalanced transaction was not refused");
}

static void
walk_mark(struct walk *w)
{
	int s = (int)(rnd(&w->s) % NSYM);
	int64_t pk = rnd_in(&w->s, sym[s].plo, sym[s].phi);

	ledger_mark(w->l, sym[s].name, (double)pk / PDEN);
	w->m.mark[s] = pk;
}

/* Everything the model knows, against the ledger. */
static void
walk_check(struct walk *w)
{
	const struct model *m = &w->m;
	struct ledger_position p;
	char why[256] = "";
	int a, s, y;

	if (ledger_reconcile(w->l, why, sizeof(why)) != QD_OK)
		WALK_FAIL(w, "reconcile: %s", why);
	for (a = 0; a < NACCT; a++)
		for (s = 0; s < NASSET; s++) {
			int64_t got = ledger_balance(w->l, acct_name[a],
				asset_name[s]);

			if ((i128)got != m->bal[a][s] ||
			    m->sunk[a][s] != m->bal[a][s])
				WALK_FAIL(w, "%s %s: balance %lld, model %lld,"
					" sink %lld", acct_name[a],
					asset_name[s], (long long)got,
					(long long)m->bal[a][s],
					(long long)m->sunk[a][s]);
			if (got < 0 && !is_external(a) && !(is_margin(a) &&
			    (s == 1 || s == 2 || s == 4)))
				WALK_FAIL(w, "%s holds %lld %s", acct_name[a],
					(long long)got, asset_name[s]);
		}
	for (a = 0; a < NUSER; a++) {
		for (y = 0; y < NSYM; y++) {
			if (ledger_position(w->l, acct_name[a], sym[y].name,
			    &p) != QD_OK || p.qty != m->qty[a][y] ||
			    (i128)p.fees != m->fees[a][y] ||
			    (p.qty == 0 && (i128)p.realized != m->flow[a][y]))
				WALK_FAIL(w, "%s %s: %lld realized %lld fees "
					"%lld, model %lld flow %lld fees %lld",
					acct_name[a], sym[y].name,
					(long long)p.qty,
					(long long)p.realized,
					(long long)p.fees,
					(long long)m->qty[a][y],
					(long long)m->flow[a][y],
					(long long)m->fees[a][y]);
		}
		if (is_margin(a)) {
			struct delta none;
			i128 eq;

			memset(&none, 0, sizeof(none));
			eq = model_equity(m, &none, a, 0, -1, 0, 0);
			if ((i128)ledger_equity(w->l, acct_name[a], "USDT") != eq)
				WALK_FAIL(w, "%s equity %lld, model %lld",
					acct_name[a], (long long)ledger_equity(
					w->l, acct_name[a], "USDT"),
					(long long)eq);
		}
	}
}

static void
walk(uint64_t seed, int steps)
{
	struct walk *w = calloc(1, sizeof(*w));
	int a, s;

	assert_non_null(w);
	w->seed = w->s = seed;
	w->l = ledger_new();
	assert_non_null(w->l);
	ledger_set_sink(w->l, model_sink, &w->m);
	for (s = 0; s < NASSET; s++)
		assert_int_equal(ledger_set_asset(w->l, asset_name[s],
			asset_dec[s]), QD_OK);
	for (a = 0; a < NUSER; a++)
		assert_int_equal(ledger_open_account(w->l, acct_name[a],
			is_margin(a) ? LEDGER_MARGIN : 0), QD_OK);
	walk_fund(w);
	for (w->step = 0; w->step < steps; w->step++) {
		uint64_t r = rnd(&w->s) % 100;

		if (r < 20)
			walk_deposit(w);
		else if (r < 75)
			walk_fill(w);
		else if (r < 88)
			walk_transfer(w);
		else if (r < 92)
			walk_unbalanced(w);
		else
			walk_mark(w);
		walk_check(w);
	}
	ledger_free(w->l);
	free(w);
}

static void
random_books_match_the_model(void **unused)
{
	uint64_t seed;

	(void)unused;
	for (seed = 1; seed <= 3000; seed++)
		walk(seed, 40);
	walk(0xfeedULL, 5000);          /* and one long history */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixed_pow10_covers_0_to_18),
		cmocka_unit_test(fixed_format_writes_every_fraction_digit),
		cmocka_unit_test(fixed_format_refuses_a_short_buffer),
		cmocka_unit_test(fixed_parse_reads_plain_decimals),
		cmocka_unit_test(
			fixed_parse_refuses_junk_overflow_and_excess_digits),
		cmocka_unit_test(fixed_format_and_parse_round_trip),
		cmocka_unit_test(fixed_format_short_drops_the_fraction_zeros),
		cmocka_unit_test(fixed_format_short_is_printf_exact),
		cmocka_unit_test(fixed_format_short_reads_back_as_the_double),
		cmocka_unit_test(fixed_from_double_rounds_half_away_from_zero),
		cmocka_unit_test(fixed_to_double_is_the_nearest_double),
		cmocka_unit_test(
			fixed_step_decimals_counts_significant_fraction_digits),
		cmocka_unit_test(fixed_muldiv_rounds_half_away_from_zero),
		cmocka_unit_test(deposit_credits_the_account_from_external_deposits),
		cmocka_unit_test(
			buy_and_sell_move_base_and_quote_through_the_venue),
		cmocka_unit_test(fees_in_base_and_third_assets),
		cmocka_unit_test(margin_short_is_limited_to_equity),
		cmocka_unit_test(a_buy_that_cannot_be_paid_changes_nothing),
		cmocka_unit_test(post_refuses_unbalanced_unknown_and_negative),
		cmocka_unit_test(positions_average_reduce_and_reverse),
		cmocka_unit_test(partial_closes_telescope_to_the_exact_flow),
		cmocka_unit_test(assets_keep_their_own_decimals),
		cmocka_unit_test(notional_rounds_the_exact_product_once),
		cmocka_unit_test(notional_matches_exact_arithmetic),
		cmocka_unit_test(accounts_and_enumeration),
		cmocka_unit_test(random_books_match_the_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
