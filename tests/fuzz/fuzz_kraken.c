// sources: plugins/exchange-kraken/parse.c
/*
 * fuzz_kraken.c -- the Kraken adapter's parsers on arbitrary bytes: every
 * event handed out keeps the parser's promises (trades with a positive
 * finite price and quantity, a side and a canonical BASE/QUOTE symbol;
 * OHLC with positive prices inside their high and low and a minute-aligned
 * open time; tops with positive prices; instruments with a BASE/QUOTE
 * name and steps and minimums the host takes: plain decimal text of at
 * most 31 characters, min_notional possibly absent), a refusal comes with
 * a reason; anything else aborts.  The time readers get the bytes as text too.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-kraken/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(void *arg, const struct kr_event *e)
{
	(void)arg;
	if (e->kind == KR_TRADE && (!(e->price > 0) || !isfinite(e->price) ||
	    !(e->qty > 0) || !isfinite(e->qty) || (e->side != 1 &&
	    e->side != 2) || strchr(e->native, '/') == NULL || e->ts_ms < 0))
		abort();
	if (e->kind == KR_OHLC && (!(e->open > 0) || !(e->low > 0) ||
	    !isfinite(e->high) || e->low > e->high || e->open > e->high ||
	    e->close < e->low || e->volume < 0 || e->ts_ms % 60000 != 0 ||
	    e->ts_ms < 0))
		abort();
	if (e->kind == KR_BOOK && (!(e->bid > 0) || !(e->ask > 0) ||
	    !isfinite(e->bid) || !isfinite(e->ask)))
		abort();
}

/* Digits with at most one point, 1 to 31 characters ("" if `empty`). */
static int
decimal(const char *s, int empty)
{
	size_t n = strlen(s), i, points = 0;

	if (n == 0)
		return empty;
	if (n > 31)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '.' ? ++points > 1 : s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static void
check_instrument(void *arg, const struct kr_instrument *in)
{
	(void)arg;
	if (strchr(in->native, '/') == NULL ||
	    strcmp(in->native, in->symbol) != 0 || in->key[0] == '\0' ||
	    !decimal(in->tick, 0) || !decimal(in->lot, 0) ||
	    !decimal(in->min_qty, 0) || !decimal(in->min_notional, 1) ||
	    (in->trading != 0 && in->trading != 1))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[96], text[64];
	int64_t ms;

	if (kr_parse_ws((const char *)data, size, check, NULL, why) < 0 &&
	    why[0] == '\0')
		abort();
	if (kr_parse_ohlc((const char *)data, size, check, NULL, why) == -1 &&
	    why[0] == '\0')
		abort();
	if (kr_parse_instruments((const char *)data, size, check_instrument,
	    NULL, why) == -1 && why[0] == '\0')
		abort();
	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (kr_time_ms(text, &ms) == 0 && ms < 0)
			abort();
		if (kr_seconds_ms(text, &ms) == 0 && ms < 0)
			abort();
	}
	return 0;
}
