/*
 * fixed.c -- fixed-point amounts (see fixed.h).
 *
 * Every conversion here is exact or rounds exactly once: doubles are taken
 * apart into their integer mantissa and binary exponent and scaled in 128
 * bits, so the result is the double's true value rounded, not the value of
 * an intermediate product that has already been rounded by the FPU.
 */
#include <float.h>
#include <math.h>
#include <string.h>
#include <quantd/sdk.h>

#include "trade/fixed.h"

/* -pedantic has no word for __int128; GCC and Clang both have the type. */
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

static const int64_t pow10_tab[FIXED_MAX_DECIMALS + 1] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
	1000000000000LL, 10000000000000LL, 100000000000000LL,
	1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL,
};

/* Out of range is 0: no power of ten is, so a caller cannot mistake it. */
int64_t
fixed_pow10(int d)
{
	if (d < 0 || d > FIXED_MAX_DECIMALS)
		return 0;
	return pow10_tab[d];
}

/*
 * x = m * 2^e exactly, with m < 2^53 an integer.  frexp() is exact; so is
 * scaling its fraction by 2^53, which only moves the exponent.
 */
static void
split_double(double x, uint64_t *m, int *e)
{
	double f = frexp(fabs(x), e);

	*m = (uint64_t)ldexp(f, DBL_MANT_DIG);
	*e -= DBL_MANT_DIG;
}

/*
 * x * 10^decimals: split x into m * 2^e, then m * 5^d * 2^(e + d).  m < 2^53
 * and 5^18 < 2^42, so the product fits 95 bits and only the final shift can
 * lose bits; it rounds on the last bit shifted out, which is half away from
 * zero because the sign is applied afterwards.
 */
int
fixed_from_double(double x, int decimals, int64_t *out)
{
	uint64_t m, limit;
	u128 p;
	int e, sh;

	if (!isfinite(x) || decimals < 0 || decimals > FIXED_MAX_DECIMALS)
		return QD_ERR_INVALID;
	if (x == 0) {
		*out = 0;
		return QD_OK;
	}
	split_double(x, &m, &e);
	p = (u128)m * (uint64_t)(pow10_tab[decimals] >> decimals);
	sh = e + decimals;
	limit = (uint64_t)INT64_MAX + (x < 0);   /* -2^63 fits, 2^63 not */
	if (sh >= 0) {
		if (sh > 63 || p > (u128)(limit >> sh))
			return QD_ERR_INVALID;
		p <<= sh;
	} else if (-sh > 96) {
		p = 0;                        /* below 2^-1: rounds to zero */
	} else {
		int r = -sh;

		p = (p >> r) + ((p >> (r - 1)) & 1);
	}
	if (p > limit)
		return QD_ERR_INVALID;
	/* -(int64_t)2^63 would overflow: negate in unsigned arithmetic. */
	*out = x < 0 ? (int64_t)(0 - (uint64_t)p) : (int64_t)p;
	return QD_OK;
}

/*
 * v / 10^d, correctly rounded.  While |v| < 2^53 both operands are exact
 * doubles and one IEEE division rounds once.  Beyond that, dividing in
 * floating point would round twice (v to double, then the quotient), so
 * the quotient is formed in integers instead: |v| shifted to 126 bits
 * over 10^d (< 2^60) leaves at least 66 quotient bits, which are rounded
 * to 53, half to even, with the division's remainder as the sticky bit.
 * (No long double: valgrind computes it at double precision.)
 */
double
fixed_to_double(int64_t v, int decimals)
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v, keep;
	u128 q, r, rest, half;
	int s, b, sh;
	double x;

	if (decimals < 0 || decimals > FIXED_MAX_DECIMALS)
		return NAN;
	if (mag < (1ULL << DBL_MANT_DIG))
		return (double)v / (double)pow10_tab[decimals];
	s = 126 - (64 - __builtin_clzll(mag));
	q = ((u128)mag << s) / (uint64_t)pow10_tab[decimals];
	r = ((u128)mag << s) % (uint64_t)pow10_tab[decimals];
	b = q >> 64 ? 128 - __builtin_clzll((uint64_t)(q >> 64)) :
		64 - __builtin_clzll((uint64_t)q);
	sh = b - DBL_MANT_DIG;
	keep = (uint64_t)(q >> sh);
	rest = q & (((u128)1 << sh) - 1);
	half = (u128)1 << (sh - 1);
	if (rest > half || (rest == half && (r != 0 || (keep & 1))))
		keep++;               /* 2^53 is still exact */
	x = ldexp((double)keep, sh - s);
	return v < 0 ? -x : x;
}

int
fixed_format(int64_t v, int decimals, char *buf, size_t cap)
{
	char tmp[48], *p = tmp + sizeof(tmp);
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t len;
	int i;

	if (decimals < 0 || decimals > FIXED_MAX_DECIMALS)
		return -1;
	/* Digits from the right: the fraction (zero-padded), then the
	 * integer part, at least "0". */
	for (i = 0; i < decimals; i++) {
		*--p = (char)('0' + mag % 10);
		mag /= 10;
	}
	if (decimals > 0)
		*--p = '.';
	do {
		*--p = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag != 0);
	if (v < 0)
		*--p = '-';
	len = (size_t)(tmp + sizeof(tmp) - p);
	if (buf == NULL || cap <= len)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return (int)len;
}

/* "00" to "99": the two digits of each number below 100. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

/* Exactly eight digits of v < 10^8 at p: four pairs, each found apart
 * from the others (32-bit arithmetic, no chain of divisions). */
static void
put8(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;

	memcpy(p, digit_pairs + 2 * (hi / 100), 2);
	memcpy(p + 2, digit_pairs + 2 * (hi % 100), 2);
	memcpy(p + 4, digit_pairs + 2 * (lo / 100), 2);
	memcpy(p + 6, digit_pairs + 2 * (lo % 100), 2);
}

char *
fixed_format_short(int64_t v, int decimals, char *end)
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char *p = end, t[8];
	int d = decimals, seen = 0;   /* seen: a fraction digit is kept */
	uint32_t r, m;
	int n;

	/* The fraction, from its last digit: zeros are dropped until the
	 * first other digit, which keeps every digit before it.  Eight
	 * digits at a time, then what is left. */
	for (; d >= 8; d -= 8) {
		r = (uint32_t)(mag % 100000000);
		mag /= 100000000;
		if (seen) {
			p -= 8;
			put8(p, r);
		} else if (r != 0) {
			put8(t, r);
			for (n = 8; t[n - 1] == '0'; n--)
				;
			p -= n;
			memcpy(p, t, (size_t)n);
			seen = 1;
		}
	}
	for (; d > 0; d--) {
		r = (uint32_t)(mag % 10);
		mag /= 10;
		if (seen || r != 0) {
			*--p = (char)('0' + r);
			seen = 1;
		}
	}
	if (seen)
		*--p = '.';
	/* The integer part, at least "0": eight digits at a time while
	 * they need 64 bits, then pairs. */
	while (mag >= 100000000) {
		p -= 8;
		put8(p, (uint32_t)(mag % 100000000));
		mag /= 100000000;
	}
	for (m = (uint32_t)mag; m >= 100; m /= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (m % 100), 2);
	}
	if (m >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * m, 2);
	} else {
		*--p = (char)('0' + m);
	}
	if (v < 0)
		*--p = '-';
	return p;
}

/*
 * The shape of a plain decimal: [+-] digits [. digits], at least one digit
 * in all, nothing else (no spaces, exponents, "inf", hex).  Fills the
 * spans of the integer and fraction digits; 0 when s is not one.
 */
struct decimal {
	int neg;
	const char *ip, *fp;
	size_t ni, nf;
};

static int
scan_decimal(const char *s, struct decimal *d)
{
	memset(d, 0, sizeof(*d));
	if (s == NULL)
		return 0;
	if (*s == '-' || *s == '+')
		d->neg = *s++ == '-';
	d->ip = s;
	while (*s >= '0' && *s <= '9')
		s++;
	d->ni = (size_t)(s - d->ip);
	if (*s == '.') {
		d->fp = ++s;
		while (*s >= '0' && *s <= '9')
			s++;
		d->nf = (size_t)(s - d->fp);
	}
	return *s == '\0' && d->ni + d->nf > 0;
}

int
fixed_parse(const char *s, int decimals, int64_t *out)
{
	struct decimal d;
	uint64_t limit;
	u128 mag = 0;
	size_t i;
	int overflow = 0;

	if (decimals < 0 || decimals > FIXED_MAX_DECIMALS ||
	    !scan_decimal(s, &d))
		return QD_ERR_INVALID;
	limit = (uint64_t)INT64_MAX + d.neg;
	/* The digits that stay (integer part, then `decimals` fraction
	 * digits padded with zeros), stopping the sum once it is past the
	 * limit so it cannot wrap however many digits there are. */
	for (i = 0; i < d.ni + (size_t)decimals; i++) {
		unsigned dig = 0;

		if (i < d.ni)
			dig = (unsigned)(d.ip[i] - '0');
		else if (i - d.ni < d.nf)
			dig = (unsigned)(d.fp[i - d.ni] - '0');
		if (!overflow)
			mag = mag * 10 + dig;
		if (mag > limit)
			overflow = 1;
	}
	/* Digits past the precision must be zeros: "0.10" is 0.1 at one
	 * decimal, "0.11" is not representable there. */
	for (i = (size_t)decimals; i < d.nf; i++)
		if (d.fp[i] != '0')
			return QD_ERR_LIMIT;
	if (overflow)
		return QD_ERR_INVALID;
	*out = d.neg ? (int64_t)(0 - (uint64_t)mag) : (int64_t)mag;
	return QD_OK;
}

/*
 * Decimals beyond FIXED_MAX_DECIMALS are -1 as well: no amount could be
 * kept at that precision, so the step is as unusable as a malformed one.
 */
int
fixed_step_decimals(const char *step)
{
	struct decimal d;
	size_t i;
	int last = 0, nonzero = 0;

	if (step == NULL || *step == '-' || *step == '+' ||
	    !scan_decimal(step, &d))
		return -1;
	for (i = 0; i < d.ni; i++)
		nonzero |= d.ip[i] != '0';
	for (i = 0; i < d.nf; i++)
		if (d.fp[i] != '0') {
			nonzero = 1;
			last = (int)(i + 1);
			if (last > FIXED_MAX_DECIMALS)
				return -1;
		}
	return nonzero ? last : -1;
}

/*
 * a * b fits 127 bits; C division truncates toward zero, so the quotient
 * moves one step away from zero when twice the remainder reaches the
 * divisor (|r| < |d| <= 2^63: no overflow in 128 bits).
 */
int
fixed_muldiv(int64_t a, int64_t b, int64_t d, int64_t *out)
{
	i128 p, q, r, ar, ad;

	if (d == 0)
		return QD_ERR_INVALID;
	p = (i128)a * b;
	q = p / d;
	r = p % d;
	ar = r < 0 ? -r : r;
	ad = d < 0 ? -(i128)d : (i128)d;
	if (2 * ar >= ad)
		q += (p < 0) == (d < 0) ? 1 : -1;
	if (q > INT64_MAX || q < INT64_MIN)
		return QD_ERR_INVALID;
	*out = (int64_t)q;
	return QD_OK;
}
