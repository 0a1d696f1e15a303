// sources: plugins/exchange-bybit/parse.c
/*
 * fuzz_bybit.c -- the Bybit adapter's message parser on arbitrary bytes:
 * every event it hands out keeps the parser's promises (trades with a
 * positive finite price, a side and a symbol; klines with positive
 * prices; instruments with names, decimal text and a status), a refusal
 * comes with a reason; anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-bybit/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decimal text as the host takes it: "" (none), or digits with at most one
 * point, shorter than 32. */
static int
decimal(const char *s)
{
	size_t i, dots = 0, digits = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.')
			dots++;
		else if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else
			return 0;
	}
	return i == 0 || (i < 32 && dots <= 1 && digits > 0);
}

/* An instrument handed out: names set, BASE/QUOTE, steps and minimums
 * decimal text or none, a status. */
static void
instrument(void *arg, const struct by_instrument *in)
{
	(void)arg;
	if (in->native[0] == '\0' || strchr(in->symbol, '/') == NULL ||
	    in->symbol[0] == '/' || !decimal(in->tick) ||
	    !decimal(in->lot) || !decimal(in->min_qty) ||
	    !decimal(in->min_notional) || in->status[0] == '\0' ||
	    (in->trading != 0 && in->trading != 1))
		abort();
}

static void
check(void *arg, const struct by_event *e)
{
	(void)arg;
	if (e->kind == BY_TRADE && (!(e->price > 0) || !isfinite(e->price) ||
	    !(e->qty >= 0) || (e->side != 1 && e->side != 2) ||
	    e->native[0] == '\0'))
		abort();
	if (e->kind == BY_KLINE && (!(e->open > 0) || !(e->low > 0) ||
	    !isfinite(e->high) || e->volume < 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[96];

	if (by_parse_ws((const char *)data, size, check, NULL, why) < 0 &&
	    why[0] == '\0')
		abort();
	by_parse_klines((const char *)data, size, 60000, 0, check, NULL);
	if (by_parse_instruments((const char *)data, size, instrument, NULL,
	    why) < 0 && why[0] == '\0')
		abort();
	return 0;
}
