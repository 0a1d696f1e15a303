// sources: plugins/exchange-binance/trade_parse.c
/*
 * fuzz_binance_trade.c -- the Binance adapter's private-message parsers on
 * arbitrary bytes: a user data stream message (executionReport,
 * outboundAccountPosition, bare or wrapped), an order or trade of a REST
 * answer, an error body.  Each parses into what the parser promises (an
 * order with its symbol, status and non-negative finite amounts, a fill
 * only with a quantity, balances with their asset) or is refused with a
 * reason; anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../plugins/exchange-binance/trade_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
amount_ok(double v)
{
	return v >= 0 && v <= 1e18;
}

static void
exec_ok(const struct bn_exec *x, int trade)
{
	if (!amount_ok(x->qty) || !amount_ok(x->price) ||
	    !amount_ok(x->cum_qty) || !amount_ok(x->cum_quote) ||
	    !amount_ok(x->last_qty) || !amount_ok(x->last_price) ||
	    !amount_ok(x->fee) || x->side < 0 || x->side > 2 ||
	    memchr(x->symbol, '\0', sizeof(x->symbol)) == NULL || memchr(x->cid, '\0', sizeof(x->cid)) ==
	    NULL || memchr(x->fee_asset, '\0', sizeof(x->fee_asset)) == NULL)
		abort();
	/* A FULL answer's fills name no symbol: the order's is used. */
	if (!trade && (x->status[0] == '\0' || x->symbol[0] == '\0'))
		abort();
	if (trade && (x->last_qty <= 0 || x->trade_id < 0))
		abort();
	if (!trade && x->last_qty <= 0 && x->trade_id != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct bn_user u;
	struct bn_exec x;
	const cJSON *o;
	char msg[96];
	cJSON *j;
	int i, code;

	if (bn_parse_user(text, size, &u) != 0) {
		if (u.error[0] == '\0')
			abort();
	} else if (u.kind == BN_U_EXEC) {
		exec_ok(&u.x, 0);
	} else if (u.kind == BN_U_BALANCE) {
		if (u.n_bal < 0 || u.n_bal > BN_MAX_BAL)
			abort();
		for (i = 0; i < u.n_bal; i++)
			if (u.bal[i].asset[0] == '\0' ||
			    !amount_ok(u.bal[i].free) ||
			    !amount_ok(u.bal[i].locked))
				abort();
	}
	if (bn_parse_error(text, size, &code, msg) == 0 &&
	    memchr(msg, '\0', sizeof(msg)) == NULL)
		abort();
	j = cJSON_ParseWithLength(text, size);
	if (cJSON_IsObject(j) && bn_exec_from_order(j, &x) == 0)
		exec_ok(&x, 0);
	if (!cJSON_IsArray(j)) {
		cJSON_Delete(j);
		return 0;
	}
	cJSON_ArrayForEach(o, j) {
		if (bn_exec_from_order(o, &x) == 0)
			exec_ok(&x, 0);
		if (bn_exec_from_trade(o, &x) == 0)
			exec_ok(&x, 1);
	}
	cJSON_Delete(j);
	return 0;
}
