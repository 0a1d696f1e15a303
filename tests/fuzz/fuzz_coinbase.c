// sources: plugins/exchange-coinbase/parse.c
/*
 * fuzz_coinbase.c -- the Coinbase adapter's message parser on arbitrary
 * bytes: every event it hands out keeps the parser's promises (trades with
 * a positive finite price and size, a taker side opposite the reported
 * maker side, a symbol and a time; klines with ordered positive prices;
 * book tops with positive prices), a refusal comes with a reason and hands
 * out nothing; anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-coinbase/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int events;

static void
check(void *arg, const struct cb_event *e)
{
	(void)arg;
	events++;
	if (e->kind == CB_TRADE && (!(e->price > 0) || !isfinite(e->price) ||
	    !(e->qty > 0) || !isfinite(e->qty) ||
	    (e->side != 1 && e->side != 2) || e->side == e->maker_side ||
	    e->native[0] == '\0' || e->ts_ms < 0))
		abort();
	if (e->kind == CB_KLINE && (!(e->low > 0) || !(e->low <= e->open) ||
	    !(e->open <= e->high) || !(e->low <= e->close) ||
	    !(e->close <= e->high) || !isfinite(e->high) ||
	    !(e->volume >= 0) || e->ts_ms < 0 || e->ts_ms % 1000 != 0))
		abort();
	if (e->kind == CB_BOOK && (!(e->bid > 0) || !(e->ask > 0) ||
	    !isfinite(e->bid) || !isfinite(e->ask) || !(e->bid_qty >= 0) ||
	    !(e->ask_qty >= 0) || e->native[0] == '\0'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cb_envelope env;
	char why[96];
	int n;

	events = 0;
	n = cb_parse_ws((const char *)data, size, &env, check, NULL, why);
	if ((n < 0 && (why[0] == '\0' || events != 0)) ||
	    (n >= 0 && n != events))
		abort();
	events = 0;
	if (cb_parse_klines((const char *)data, size, 60000, 0, check, NULL,
	    why) < 0 && (why[0] == '\0' || events != 0))
		abort();
	return 0;
}
