// sources: plugins/exchange-binance/parse.c
/*
 * fuzz_binance.c -- the Binance adapter's message parser on arbitrary
 * bytes: its fast path for trades agrees with the full (cJSON) parser on
 * every input, and a WebSocket message or a REST klines answer parses into
 * events that keep the parser's promises (trades with a positive finite
 * price and a side; klines with positive finite prices) or is refused
 * with a reason; anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-binance/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	return 0;
}
