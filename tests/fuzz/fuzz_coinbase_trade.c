// sources: plugins/exchange-coinbase/trade_parse.c
/*
 * fuzz_coinbase_trade.c -- the Coinbase adapter's private parsers (user
 * channel, orders, fills, accounts, order and cancel answers, error text)
 * on arbitrary bytes: what they hand out keeps their promises (an order
 * has a venue id, a filled quantity and average price finite and >= 0; a
 * fill has trade and order ids, a positive finite price and size; a
 * balance has a currency), a refusal comes with a reason and hands out
 * nothing, and strings stay terminated; anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-coinbase/trade_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int events;

static void
check_order(void *arg, const struct cbt_order *o)
{
	(void)arg;
	events++;
	if (o->order_id[0] == '\0' || !(o->filled >= 0) ||
	    !isfinite(o->filled) || !(o->avg_price >= 0) ||
	    !isfinite(o->avg_price) || o->side < 0 || o->side > 2 ||
	    memchr(o->reason, '\0', sizeof(o->reason)) == NULL)
		abort();
}

static void
check_fill(void *arg, const struct cbt_fill *f)
{
	(void)arg;
	events++;
	if (f->trade_id[0] == '\0' || f->order_id[0] == '\0' ||
	    !(f->price > 0) || !isfinite(f->price) || !(f->size > 0) ||
	    !isfinite(f->size) || !(f->commission >= 0) ||
	    !isfinite(f->commission))
		abort();
}

static void
check_balance(void *arg, const struct cbt_balance *b)
{
	(void)arg;
	events++;
	if (b->currency[0] == '\0' || !(b->available >= 0) ||
	    !isfinite(b->available) || !(b->hold >= 0) || !isfinite(b->hold))
		abort();
}

/* A count against the events handed out: a refusal hands out none. */
static void
agree(int n, const char *why)
{
	if ((n < 0 && (why[0] == '\0' || events != 0)) ||
	    (n >= 0 && n != events))
		abort();
	events = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct cbt_place p;
	char why[96], cursor[64], code[64], text[128], ch[24];
	int more;

	events = 0;
	why[0] = '\0';
	agree(cbt_parse_user(d, size, ch, check_order, NULL, why), why);
	why[0] = '\0';
	agree(cbt_parse_orders(d, size, check_order, NULL, &more, cursor, why),
		why);
	why[0] = '\0';
	agree(cbt_parse_fills(d, size, check_fill, NULL, cursor, why), why);
	why[0] = '\0';
	agree(cbt_parse_accounts(d, size, check_balance, NULL, &more, cursor,
		why), why);
	if (cbt_parse_place(d, size, &p) == 0 && p.success &&
	    p.order_id[0] == '\0')
		abort();
	if (cbt_parse_cancel(d, size, code) > 1)
		abort();
	cbt_error_text(400, d, size, code, text, sizeof(text));
	if (code[0] == '\0' || memchr(text, '\0', sizeof(text)) == NULL)
		abort();
	(void)cbt_error_status(400, code);
	(void)cbt_parse_time(d, size);
	return 0;
}
