// sources: plugins/exchange-okx/trade_parse.c
/*
 * fuzz_okx_trade.c -- the OKX adapter's private-message and trading-answer
 * parsers on arbitrary bytes: every record handed out is of the kind
 * asked for (or a WebSocket kind), its text fields terminated, its
 * numbers finite, a refusal of the whole answer comes with its code, a
 * malformed input with a reason; anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-okx/trade_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERM(f) (strnlen((f), sizeof(f)) < sizeof(f))

static void
check(void *arg, const struct okt_rec *r)
{
	const enum okt_kind *as = arg;

	if (!TERM(r->inst) || !TERM(r->ord_id) || !TERM(r->cl_ord_id) ||
	    !TERM(r->trade_id) || !TERM(r->code) || !TERM(r->msg) ||
	    !TERM(r->ccy) || !TERM(r->event) || !TERM(r->fee_ccy) ||
	    !isfinite(r->px) || !isfinite(r->sz) || !isfinite(r->fill_px) ||
	    !isfinite(r->fill_sz) || !isfinite(r->fee) ||
	    !isfinite(r->total) || !isfinite(r->avail) ||
	    (r->maker != 0 && r->maker != 1))
		abort();
	if (as != NULL && r->kind != *as)
		abort();
	if (as == NULL && r->kind != OKT_ORDER && r->kind != OKT_BALANCE &&
	    r->kind != OKT_EVENT && r->kind != OKT_PONG)
		abort();
	if (r->kind == OKT_BALANCE && r->ccy[0] == '\0')
		abort();
	if (r->kind == OKT_TIME && r->ts_ms <= 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum okt_kind kinds[] = { OKT_ORDER, OKT_FILL,
		OKT_BALANCE, OKT_TIME };
	struct okt_rec err;
	char why[96];
	size_t i;
	long n;

	why[0] = '\0';
	if (okt_parse_ws((const char *)data, size, check, NULL, why) < 0 &&
	    why[0] == '\0')
		abort();
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		why[0] = '\0';
		memset(&err, 0, sizeof(err));
		n = okt_parse_rest((const char *)data, size, kinds[i], check,
			(void *)&kinds[i], &err, why);
		if ((n == -1 && why[0] == '\0') || (n == -2 &&
		    (err.code[0] == '\0' || !TERM(err.msg))) || n < -2)
			abort();
	}
	return 0;
}
