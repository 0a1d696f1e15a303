// sources: plugins/exchange-bybit/trade_parse.c
/*
 * fuzz_bybit_private.c -- the Bybit adapter's private-message parsers on
 * arbitrary bytes: every event keeps the parser's promises (a fill with
 * an id and a finite, non-negative quantity; orders and balances with
 * finite numbers; strings terminated), a refusal comes with a reason;
 * anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-bybit/trade_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(void *arg, const struct bp_event *e)
{
	(void)arg;
	if (memchr(e->cid, '\0', sizeof(e->cid)) == NULL ||
	    memchr(e->symbol, '\0', sizeof(e->symbol)) == NULL ||
	    memchr(e->exec_id, '\0', sizeof(e->exec_id)) == NULL)
		abort();
	if (e->kind == BP_EXEC && (e->exec_id[0] == '\0' ||
	    !(e->exec_qty >= 0) || !isfinite(e->exec_price) ||
	    !isfinite(e->exec_fee)))
		abort();
	if (e->kind == BP_ORDER && (!isfinite(e->qty) ||
	    !isfinite(e->cum_qty) || !isfinite(e->avg_price)))
		abort();
	if (e->kind == BP_BALANCE && (e->coin[0] == '\0' ||
	    !isfinite(e->total) || !isfinite(e->free)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bp_rest r;
	char why[96];

	why[0] = '\0';
	if (bp_parse_ws((const char *)data, size, check, NULL, why) < 0 &&
	    why[0] == '\0')
		abort();
	why[0] = '\0';
	if (bp_parse_rest((const char *)data, size, &r, check, NULL, why) <
	    0 && why[0] == '\0')
		abort();
	return 0;
}
