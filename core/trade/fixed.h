/*
 * fixed -- fixed-point amounts: an int64 count of 10^-decimals units.
 *
 * Money in the OMS, the ledger and the paper engine is an integer number of
 * units of its asset's precision (`decimals`, 0..18: 8 means 1e-8).  Doubles
 * come in from strategies and leave towards them; conversion rounds once,
 * half away from zero, and everything summed afterwards is exact.  Decimal
 * text ("0.00100000") is how amounts are stored and shown: it converts both
 * ways without loss.
 */
#ifndef QD_TRADE_FIXED_H
#define QD_TRADE_FIXED_H

#include <stddef.h>
#include <stdint.h>

#define FIXED_MAX_DECIMALS 18

/** 10^d for 0 <= d <= 18. */
int64_t fixed_pow10(int d);

/**
 * x rounded to units of 10^-decimals into *out: QD_OK, or QD_ERR_INVALID
 * when x is not finite or does not fit an int64.
 */
int fixed_from_double(double x, int decimals, int64_t *out);
/** The nearest double to v units of 10^-decimals. */
double fixed_to_double(int64_t v, int decimals);

/**
 * Decimal text of v units of 10^-decimals, with exactly `decimals`
 * fraction digits ("-12.50000000"); returns its length (< 48, always
 * enough), or -1 when cap is too small.
 */
int fixed_format(int64_t v, int decimals, char *buf, size_t cap);

/** Room fixed_format_short() may take: "-0.000000000000000001" and
 *  "-9.223372036854775808" are the longest (21). */
#define FIXED_SHORT_MAX 24

/**
 * The shortest decimal text that is exactly v units of 10^-decimals
 * (0..18): fixed_format()'s without the fraction's trailing zeros, and
 * without the point when nothing is left after it ("-12.5", "3",
 * "0.00000001").  Written backwards to end just before `end`, without a
 * NUL, in at most FIXED_SHORT_MAX bytes; returns where it starts.  For
 * lines written by the million (an equity curve): two digits per step from
 * a table, no division by a variable, no printf.
 */
char *fixed_format_short(int64_t v, int decimals, char *end);
/**
 * Parse decimal text ("12.5", "-0.001", "1e-3" refused: no exponents)
 * into units of 10^-decimals.  Digits beyond `decimals` must be zeros,
 * else QD_ERR_LIMIT (the value is not representable); QD_ERR_INVALID for
 * anything that is not a plain decimal or overflows.
 */
int fixed_parse(const char *s, int decimals, int64_t *out);

/** Number of decimals of a step given as decimal text ("0.0100" -> 2,
 *  "1" -> 0, "10" -> 0), or -1 when it is not a positive plain decimal. */
int fixed_step_decimals(const char *step);

/**
 * a * b / d rounded half away from zero, computed in 128 bits; QD_OK or
 * QD_ERR_INVALID (d == 0 or the result overflows an int64).
 */
int fixed_muldiv(int64_t a, int64_t b, int64_t d, int64_t *out);

#endif
