// sources: plugins/exchange-coinbase/parse.c
/*
 * fuzz_coinbase.c -- the Coinbase adapter's message parser on arbitrary
 * bytes: every event it hands out keeps the parser's promises (trades with
 * a positive finite price and size, a taker side opposite the reported
 * maker side, a symbol and a time; klines with ordered positive prices;
 * book tops with positive prices; SPOT products with an id, a BASE/QUOTE
 * symbol and plain decimal steps), a refusal comes with a reason and
 * hands out nothing; anything else aborts.
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

/* Plain decimal text, as the host takes it: digits, at most one point;
 * "" only where the venue may give none. */
static int
plain(const char *s, int may_be_empty)
{
	int digits = 0, points = 0;

	if (*s == '\0')
		return may_be_empty;
	for (; *s; s++)
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (*s != '.' || points++ > 0)
			return 0;
	return digits > 0;
}

static void
check_instrument(void *arg, const struct cb_instrument *in)
{
	const char *slash = strchr(in->symbol, '/');

	(void)arg;
	events++;
	if (in->native[0] == '\0' || slash == NULL || slash == in->symbol ||
	    slash[1] == '\0' || !plain(in->tick, 0) || !plain(in->lot, 0) ||
	    !plain(in->min_qty, 0) || !plain(in->min_notional, 1) ||
	    in->status[0] == '\0' ||
	    (in->trading && strcmp(in->status, "online") != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cb_envelope env;
	char why[96];
	long l;
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
	events = 0;
	l = cb_parse_instruments((const char *)data, size, check_instrument,
		NULL, why);
	if ((l < 0 && (why[0] == '\0' || events != 0)) ||
	    (l >= 0 && l != events))
		abort();
	return 0;
}
