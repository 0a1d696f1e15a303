// sources: plugins/exchange-binance/parse.c
/*
 * fuzz_binance.c -- the Binance adapter's message parser on arbitrary
 * bytes: its fast path for trades agrees with the full (cJSON) parser on
 * every input, and a WebSocket message or a REST klines answer parses into
 * events that keep the parser's promises (trades with a positive finite
 * price and a side; klines with positive finite prices) or is refused
 * with a reason, and an instrument list gives instruments with names,
 * decimal text and a status, or is refused with a reason; anything else
 * aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-binance/parse.h"

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
instrument(void *arg, const struct bn_instrument *in)
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
row(void *arg, const struct bn_event *k)
{
	(void)arg;
	if (k->kind != 2 || !(k->open > 0) || !(k->low > 0) ||
	    !isfinite(k->high) || k->volume < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bn_event e, ref;
	int rc = bn_parse_ws((const char *)data, size, &e);

	/* The fast path gives what the full parser gives. */
	if (rc != bn_parse_ws_json((const char *)data, size, &ref) ||
	    (rc == 0 && (e.kind != ref.kind || strcmp(e.native, ref.native) ||
	    memcmp(&e.price, &ref.price, sizeof(e.price)) ||
	    memcmp(&e.qty, &ref.qty, sizeof(e.qty)) || e.id != ref.id ||
	    e.ts_ms != ref.ts_ms || e.side != ref.side)))
		abort();
	if (rc != 0) {
		if (e.error[0] == '\0')
			abort();
	} else if (e.kind == BN_TRADE) {
		if (!(e.price > 0) || !isfinite(e.price) || !(e.qty >= 0) ||
		    (e.side != 1 && e.side != 2) || e.native[0] == '\0')
			abort();
	} else if (e.kind == BN_KLINE) {
		row(NULL, &e);
	}
	bn_parse_klines((const char *)data, size, 0, row, NULL);
	if (bn_parse_instruments((const char *)data, size, instrument, NULL,
	    e.error) < 0 && e.error[0] == '\0')
		abort();
	return 0;
}
