// sources: plugins/exchange-bybit/parse.c
/*
 * fuzz_bybit.c -- the Bybit adapter's message parser on arbitrary bytes:
 * every event it hands out keeps the parser's promises (trades with a
 * positive finite price, a side and a symbol; klines with positive
 * prices), a refusal comes with a reason; anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-bybit/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	return 0;
}
