// sources: core/trade/fixed.c
/*
 * fuzz_fixed.c -- fixed-point amounts as text, both ways.  The first byte
 * picks the decimals (0..18).  The rest, as text, goes to fixed_parse();
 * an amount it accepts must come back from fixed_format_short() as text
 * that parses to it again.  The same bytes as an int64 (the first 8, zero
 * padded) must format to fixed_format()'s text without the fraction's
 * trailing zeros, parse back exactly and read back (strtod) as
 * fixed_to_double(); never crash, never write outside FIXED_SHORT_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <quantd/sdk.h>

#include "trade/fixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fixed_format_short(v, d) as a string in out[48]; aborts if it wrote
 * outside its room. */
static void
short_text(int64_t v, int d, char *out)
{
	char room[FIXED_SHORT_MAX + 2], *end = room + FIXED_SHORT_MAX + 1, *p;

	memset(room, '#', sizeof(room));
	p = fixed_format_short(v, d, end);
	if (p < end - FIXED_SHORT_MAX || p >= end || room[0] != '#' ||
	    *end != '#')
		abort();
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
}

/* v formatted, parsed back, compared with fixed_format's digits. */
static void
check(int64_t v, int d)
{
	char got[48], full[48];
	int64_t back = 0;
	int n;

	short_text(v, d, got);
	if ((n = fixed_format(v, d, full, sizeof(full))) < 0)
		abort();
	if (d > 0) {
		while (full[n - 1] == '0')
			full[--n] = '\0';
		if (full[n - 1] == '.')
			full[--n] = '\0';
	}
	if (strcmp(got, full) != 0)
		abort();
	if (fixed_parse(got, d, &back) != QD_OK || back != v)
		abort();
	if (strtod(got, NULL) != fixed_to_double(v, d))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[64];
	uint8_t raw[8] = { 0 };
	int64_t v;
	int d;

	if (size < 1)
		return 0;
	d = data[0] % (FIXED_MAX_DECIMALS + 1);
	data++;
	size--;
	memcpy(raw, data, size < 8 ? size : 8);
	memcpy(&v, raw, sizeof(v));
	check(v, d);
	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (fixed_parse(text, d, &v) == QD_OK)
			check(v, d);
	}
	return 0;
}
