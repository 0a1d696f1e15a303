/*
 * test_bybit_adapter.c -- the bybit adapter's instrument list
 * (plugins/exchange-bybit/bybit.c with the shared core) against a host
 * that records what it is handed: the spot list is asked a second after
 * start and again 2 s after a new symbol; the subscribed symbols' tick,
 * lot and minimums reach the host as the venue's text, NULL where the
 * answer has none, and nothing of a symbol not subscribed or not spot; an
 * answer with a retCode other than 0 hands over nothing and is logged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-bybit/bybit.c"
#include "instr_host.h"

/* The account's parameters and secrets: defaults, and no credentials
 * (market data only). */
static int64_t
no_int(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "recv_window_ms") == 0 ? 5000 : 0;
}

static int
no_secret(qd_ctx *ctx, const char *name, char *buf, size_t cap)
{
	(void)ctx;
	(void)name;
	(void)buf;
	(void)cap;
	return QD_ERR_NOTFOUND;
}

/* BTCUSDT in full, ETHUSDT without minOrderAmt ("") and pre-launch,
 * XRPUSDT (not subscribed), a contract named like a subscribed symbol;
 * written for this test in the venue's shape. */
static const char list[] =
	"{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"spot\","
	"\"list\":[{\"symbol\":\"BTCUSDT\",\"baseCoin\":\"BTC\","
	"\"quoteCoin\":\"USDT\",\"status\":\"Trading\",\"lotSizeFilter\":{"
	"\"basePrecision\":\"0.000001\",\"quotePrecision\":\"0.0000001\","
	"\"minOrderQty\":\"0.000048\",\"minOrderAmt\":\"5\"},"
	"\"priceFilter\":{\"tickSize\":\"0.1\"}},"
	"{\"symbol\":\"ETHUSDT\",\"baseCoin\":\"ETH\",\"quoteCoin\":\"USDT\","
	"\"status\":\"PreLaunch\",\"lotSizeFilter\":{\"basePrecision\":"
	"\"0.00001\",\"minOrderQty\":\"0.00062\",\"minOrderAmt\":\"\"},"
	"\"priceFilter\":{\"tickSize\":\"0.01\"}},"
	"{\"symbol\":\"XRPUSDT\",\"baseCoin\":\"XRP\",\"quoteCoin\":\"USDT\","
	"\"status\":\"Trading\",\"lotSizeFilter\":{},\"priceFilter\":{}},"
	"{\"symbol\":\"SOLUSDT\",\"contractType\":\"LinearPerpetual\","
	"\"status\":\"Trading\"}]},\"retExtInfo\":{},\"time\":1700000000000}";

int
main(void)
{
	struct qd_host_api api;
	struct qd_params params = { 0 };
	const struct ih_instr *r;
	struct venue *v;
	char texts[160];
	void *st;

	ih_api(&api);
	api.param_int = no_int;
	api.secret_get = no_secret;
	CHECK(by_ops.base.create(&api, NULL, &params, &st) == QD_OK,
		"created");
	v = st;
	CHECK(by_ops.subscribe(st, 1, 60) == QD_OK &&
		by_ops.subscribe(st, 2, 60) == QD_OK &&
		by_ops.subscribe(st, 3, 60) == QD_OK, "subscribed");
	CHECK(by_ops.base.start(st) == QD_OK && v->instr_timer != 0 &&
		ih.after_ms[v->instr_timer] == 1000, "list asked 1 s after start");
	by_ops.on_timer(st, v->instr_timer);
	CHECK(ih.n_get == 1 && strcmp(ih.get[0], "GET http://rest/v5/market/"
		"instruments-info?category=spot") == 0, "%s", ih.get[0]);
	by_ops.on_http_response(st, v->instr_req, 200, list, strlen(list));
	CHECK(ih.n_in == 2, "two instruments handed over: %d", ih.n_in);
	CHECK((r = ih_of(1)) != NULL && strcmp(r->native, "BTCUSDT") == 0 &&
		strcmp(r->status, "Trading") == 0 && r->trading,
		"BTC/USDT trading");
	if (r != NULL) {
		ih_texts(r, texts, sizeof(texts));
		CHECK(strcmp(texts, "0.1 0.000001 0.000048 5") == 0,
			"BTC/USDT steps: %s", texts);
	}
	CHECK((r = ih_of(2)) != NULL && strcmp(r->status, "PreLaunch") == 0 &&
		!r->trading, "ETH/USDT before launch");
	if (r != NULL) {
		ih_texts(r, texts, sizeof(texts));
		CHECK(strcmp(texts, "0.01 0.00001 0.00062 -") == 0,
			"ETH/USDT: no minimum notional: %s", texts);
	}
	CHECK(ih_of(3) == NULL, "a contract is no spot instrument");
	CHECK(ih_logged("instrument list: 3 instruments"), "count logged");
	CHECK(ih.after_ms[v->instr_timer] == 3600000, "again in an hour");

	/* A new symbol: the list again 2 s later. */
	CHECK(by_ops.subscribe(st, 10, 60) == QD_OK &&
		ih.after_ms[v->instr_timer] == 2000, "new symbol: 2 s");
	by_ops.on_timer(st, v->instr_timer);
	CHECK(ih.n_get == 2, "asked again");

	/* The venue's error answer (HTTP 200): nothing handed over. */
	ih.n_in = 0;
	by_ops.on_http_response(st, v->instr_req, 200,
		"{\"retCode\":10001,\"retMsg\":\"params error\",\"result\":{}}",
		53);
	CHECK(ih.n_in == 0 && ih_logged("retCode 10001: params error") &&
		ih.after_ms[v->instr_timer] == 60000, "error answer");
	by_ops.base.stop(st);
	by_ops.base.destroy(st);

	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
