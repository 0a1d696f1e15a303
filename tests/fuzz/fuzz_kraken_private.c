// sources: plugins/exchange-kraken/trade_parse.c plugins/exchange-kraken/parse.c
/*
 * fuzz_kraken_private.c -- the Kraken adapter's private parsers on
 * arbitrary bytes, as every kind of REST answer and as an account-stream
 * message: fills have an execution id, an order id and a positive finite
 * quantity and price; balances a canonical asset and finite amounts;
 * orders a known state; a refusal comes with a reason; anything else
 * aborts.  Error texts go through the status map too.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "../../plugins/exchange-kraken/trade_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(void *arg, const struct kr_priv *p)
{
	(void)arg;
	if (p->kind == KP_FILL && (p->trade_id[0] == '\0' ||
	    p->txid[0] == '\0' || !(p->last_qty > 0) ||
	    !isfinite(p->last_qty) || !isfinite(p->last_price) ||
	    !isfinite(p->fee)))
		abort();
	if (p->kind == KP_BALANCE && (p->asset[0] == '\0' ||
	    strchr(p->asset, '.') != NULL || !isfinite(p->total) ||
	    !isfinite(p->free)))
		abort();
	if (p->kind == KP_ORDER && p->status > KS_EXPIRED)
		abort();
	if (p->kind == KP_TOKEN && p->token[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[96], text[128];
	long total;
	int k, st;

	for (k = KR_R_ADD; k <= KR_R_TIME; k++) {
		why[0] = '\0';
		if (kr_parse_rest_private((enum kr_rest_kind)k,
		    (const char *)data, size, check, NULL, &total, why) < 0 &&
		    why[0] == '\0')
			abort();
	}
	why[0] = '\0';
	if (kr_parse_private_ws((const char *)data, size, check, NULL, why) <
	    0 && why[0] == '\0')
		abort();
	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		st = kr_error_status(text);
		if (st > 0 || st < QD_ERR_INTERNAL)
			abort();
	}
	return 0;
}
