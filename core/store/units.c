/*
 * units.c -- timeframes and exact decimals: the store's helpers that need
 * no database (the import reader and the CLI use them too).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "store/store.h"

int64_t
store_timeframe_ms(const char *tf)
{
	return (int64_t)qd_timeframe_parse(tf) * 1000;
}

void
store_candle_bar(const struct store_candle *c, struct qd_bar *out)
{
	memset(out, 0, sizeof(*out));
	out->ts = c->open_time * 1000000;
	out->open = c->open;
	out->high = c->high;
	out->low = c->low;
	out->close = c->close;
	out->volume = c->volume;
}

const char *
store_timeframe_label(uint32_t seconds)
{
	static const char *const names[] = {
		"1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h",
		"12h", "1d", "1w",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (qd_timeframe_parse(names[i]) == seconds)
			return names[i];
	return NULL;
}

static const double p10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Digits of u into buf (no NUL); returns the count. */
static int
utoa(uint64_t u, char *buf)
{
	char tmp[24];
	int n = 0, i;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

int
store_decimal_format(double v, char *buf, size_t cap)
{
	double a = fabs(v), m;
	int k, n;

	if (!isfinite(v) || cap < 32)
		return -1;
	if (v == 0) {
		buf[0] = '0';
		buf[1] = '\0';
		return 1;
	}
	/* Fast path: the fewest decimals k for which some integer m has
	 * m / 10^k == v exactly.  m and 10^k are exact doubles (m < 2^53,
	 * k <= 22), so the division is correctly rounded and equality means
	 * the decimal m.10^-k reads back as v. */
	for (k = 0; k <= 17; k++) {
		m = nearbyint(a * p10[k]);
		if (m >= 9007199254740992.0)
			break;
		if (m / p10[k] == a) {
			uint64_t u = (uint64_t)m;
			char dig[24];
			int nd = utoa(u, dig), pos = 0, i;

			if (v < 0)
				buf[pos++] = '-';
			if (k == 0) {
				memcpy(buf + pos, dig, (size_t)nd);
				pos += nd;
			} else if (nd > k) {
				memcpy(buf + pos, dig, (size_t)(nd - k));
				pos += nd - k;
				buf[pos++] = '.';
				memcpy(buf + pos, dig + nd - k, (size_t)k);
				pos += k;
			} else {
				buf[pos++] = '0';
				buf[pos++] = '.';
				for (i = 0; i < k - nd; i++)
					buf[pos++] = '0';
				memcpy(buf + pos, dig, (size_t)nd);
				pos += nd;
			}
			buf[pos] = '\0';
			return pos;
		}
	}
	/* An integer too large for the loop: printf prints it exactly. */
	if (a >= 9007199254740992.0 && a < 1e21) {
		n = snprintf(buf, cap, "%.0f", v);
		return n > 0 && (size_t)n < cap ? n : -1;
	}
	/* Otherwise the shortest %.Ng that reads back. */
	for (k = 15; k <= 17; k++) {
		n = snprintf(buf, cap, "%.*g", k, v);
		if (n < 0 || (size_t)n >= cap)
			return -1;
		if (strtod(buf, NULL) == v)
			return n;
	}
	return n;
}

int
store_duration_ms(const char *s, int64_t *ms)
{
	char *end;
	long long v;
	int64_t unit = 86400000;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno || v < 0)
		return -1;
	switch (*end) {
	case 's': unit = 1000; end++; break;
	case 'm': unit = 60000; end++; break;
	case 'h': unit = 3600000; end++; break;
	case 'd': end++; break;
	case 'w': unit = 604800000; end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end || v > INT64_MAX / unit)
		return -1;
	*ms = v * unit;
	return 0;
}
