// sources: plugins/exchange-okx/parse.c
/*
 * fuzz_okx.c -- the OKX adapter's message parsers on arbitrary bytes:
 * every event handed out keeps the parser's promises (trades with a
 * positive finite price and size, a side and an instrument; candles with
 * positive prices, low <= high, a known bar; tops with both sides priced;
 * timestamps never negative; SPOT instruments with an instId, a
 * BASE/QUOTE symbol and plain decimal steps, none handed out from a list
 * refused), a refusal comes with a reason; anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-okx/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(void *arg, const struct ok_event *e)
{
	int rest = arg != NULL;

	if (e->ts_ms < 0)
		abort();
	switch (e->kind) {
	case OK_TRADE:
		if (!(e->price > 0) || !isfinite(e->price) || !(e->qty > 0) ||
		    !isfinite(e->qty) || (e->side != 1 && e->side != 2) ||
		    e->native[0] == '\0' || rest)
			abort();
		break;
	case OK_KLINE:
		if (!(e->open > 0) || !(e->low > 0) || !(e->low <= e->high) ||
		    !isfinite(e->high) || !(e->volume >= 0) ||
		    (e->closed != 0 && e->closed != 1) ||
		    (!rest && (e->native[0] == '\0' || e->bar[0] == '\0')))
			abort();
		break;
	case OK_BOOK:
		if (!(e->bid > 0) || !(e->ask > 0) || !(e->bid_qty >= 0) ||
		    !(e->ask_qty >= 0) || e->native[0] == '\0' || rest)
			abort();
		break;
	case OK_EVENT:
		if (strnlen(e->event, sizeof(e->event)) == sizeof(e->event) ||
		    strnlen(e->msg, sizeof(e->msg)) == sizeof(e->msg) || rest)
			abort();
		break;
	case OK_PONG:
		if (rest)
			abort();
		break;
	default:
		abort();
	}
}

static long instruments;

/* Plain decimal text, as the host takes it: digits, at most one point. */
static int
plain(const char *s)
{
	int digits = 0, points = 0;

	for (; *s; s++)
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (*s != '.' || points++ > 0)
			return 0;
	return digits > 0;
}

static void
check_instrument(void *arg, const struct ok_instrument *in)
{
	const char *slash = strchr(in->symbol, '/');

	(void)arg;
	instruments++;
	if (in->native[0] == '\0' || slash == NULL || slash == in->symbol ||
	    slash[1] == '\0' || !plain(in->tick) || !plain(in->lot) ||
	    !plain(in->min_qty) || in->status[0] == '\0' ||
	    in->trading != (strcmp(in->status, "live") == 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int rest_mark;
	char why[96];
	long n;

	if (ok_parse_ws((const char *)data, size, check, NULL, why) < 0 &&
	    why[0] == '\0')
		abort();
	ok_parse_klines((const char *)data, size, check, &rest_mark);
	instruments = 0;
	n = ok_parse_instruments((const char *)data, size, check_instrument,
		NULL, why);
	if ((n < 0 && (why[0] == '\0' || instruments != 0)) ||
	    (n >= 0 && n != instruments))
		abort();
	return 0;
}
