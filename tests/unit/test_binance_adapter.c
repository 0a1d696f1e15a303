/*
 * test_binance_adapter.c -- the binance adapter's instrument list
 * (plugins/exchange-binance/binance.c with the shared core) against a host
 * that records what it is handed: exchangeInfo is asked for the subscribed
 * symbols (BTCUSDT alone before any, the whole list when they would not
 * fit the URL), again 2 s after a new symbol; the subscribed symbols'
 * tick, lot and minimums reach the host as the venue's text, NULL where
 * the answer has none, and nothing of a symbol not subscribed; a
 * malformed list hands over nothing and is logged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-binance/binance.c"
#include "instr_host.h"

/* BTCUSDT in full, ETHUSDT with its price filter only, XRPUSDT (not
 * subscribed); written for this test in the venue's shape. */
static const char list[] =
	"{\"timezone\":\"UTC\",\"serverTime\":1700000000000,\"symbols\":["
	"{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\",\"baseAsset\":\"BTC\","
	"\"quoteAsset\":\"USDT\",\"isSpotTradingAllowed\":true,\"filters\":["
	"{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.01000000\","
	"\"tickSize\":\"0.01000000\"},{\"filterType\":\"LOT_SIZE\","
	"\"minQty\":\"0.00001000\",\"stepSize\":\"0.00001000\"},"
	"{\"filterType\":\"NOTIONAL\",\"minNotional\":\"5.00000000\"}]},"
	"{\"symbol\":\"ETHUSDT\",\"status\":\"BREAK\",\"baseAsset\":\"ETH\","
	"\"quoteAsset\":\"USDT\",\"filters\":[{\"filterType\":"
	"\"PRICE_FILTER\",\"tickSize\":\"0.01\"}]},"
	"{\"symbol\":\"XRPUSDT\",\"status\":\"TRADING\",\"baseAsset\":\"XRP\","
	"\"quoteAsset\":\"USDT\",\"filters\":[]}]}";

/* The private side's host calls, as a host with no secrets configured
 * answers them: the adapter then streams market data only. */
static int64_t
no_int(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "recv_window_ms") == 0 ? 5000 : 0;
}

static double
no_double(const qd_params *p, const char *name)
{
	(void)p;
	(void)name;
	return 10;
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

static int
no_state(qd_ctx *ctx, void *buf, size_t cap, size_t *len)
{
	(void)ctx;
	(void)buf;
	(void)cap;
	(void)len;
	return QD_ERR_NOTFOUND;
}

static void
bn_api(struct qd_host_api *api)
{
	ih_api(api);
	api->param_int = no_int;
	api->param_double = no_double;
	api->secret_get = no_secret;
	api->state_load = no_state;
}

int
main(void)
{
	struct qd_host_api api;
	struct qd_params params = { 0 };
	const struct ih_instr *r;
	struct venue *v;
	char texts[160];
	void *st;
	int i;

	/* Nothing subscribed: one small symbol, not the whole list. */
	bn_api(&api);
	CHECK(bn_ops.base.create(&api, NULL, &params, &st) == QD_OK,
		"created");
	v = st;
	CHECK(bn_ops.base.start(st) == QD_OK && v->instr_timer != 0 &&
		ih.after_ms[v->instr_timer] == 1000, "list asked 1 s after start");
	bn_ops.on_timer(st, v->instr_timer);
	CHECK(ih.n_get == 1 && strcmp(ih.get[0], "GET http://rest/api/v3/"
		"exchangeInfo?symbols=%5B%22BTCUSDT%22%5D") == 0, "%s",
		ih.get[0]);
	bn_ops.base.stop(st);
	bn_ops.base.destroy(st);

	bn_api(&api);
	bn_ops.base.create(&api, NULL, &params, &st);
	v = st;
	CHECK(bn_ops.subscribe(st, 1, 60) == QD_OK &&
		bn_ops.subscribe(st, 2, 60) == QD_OK, "subscribed");
	bn_ops.base.start(st);
	bn_ops.on_timer(st, v->instr_timer);
	CHECK(ih.n_get == 1 && strcmp(ih.get[0], "GET http://rest/api/v3/"
		"exchangeInfo?symbols=%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D") == 0,
		"the subscribed symbols asked: %s", ih.get[0]);
	bn_ops.on_http_response(st, v->instr_req, 200, list, strlen(list));
	CHECK(ih.n_in == 2, "two instruments handed over: %d", ih.n_in);
	CHECK((r = ih_of(1)) != NULL && strcmp(r->native, "BTCUSDT") == 0 &&
		strcmp(r->status, "TRADING") == 0 && r->trading,
		"BTC/USDT trading");
	if (r != NULL) {
		ih_texts(r, texts, sizeof(texts));
		CHECK(strcmp(texts, "0.01000000 0.00001000 0.00001000 "
			"5.00000000") == 0, "BTC/USDT steps: %s", texts);
	}
	CHECK((r = ih_of(2)) != NULL && strcmp(r->status, "BREAK") == 0 &&
		!r->trading, "ETH/USDT in a break");
	if (r != NULL) {
		ih_texts(r, texts, sizeof(texts));
		CHECK(strcmp(texts, "0.01 - - -") == 0, "ETH/USDT: none but "
			"the tick: %s", texts);
	}
	CHECK(ih_logged("instrument list: 3 instruments"), "count logged");
	CHECK(ih.after_ms[v->instr_timer] == 3600000, "again in an hour");

	/* A new symbol: its instrument 2 s later, the list asked with it. */
	ih.n_in = 0;
	CHECK(bn_ops.subscribe(st, 3, 60) == QD_OK &&
		ih.after_ms[v->instr_timer] == 2000, "new symbol: 2 s");
	bn_ops.on_timer(st, v->instr_timer);
	CHECK(ih.n_get == 2 && strstr(ih.get[1], "%2C%22SOLUSDT%22%5D") !=
		NULL, "%s", ih.get[1]);

	/* Malformed: nothing handed over, logged, asked again in a minute. */
	bn_ops.on_http_response(st, v->instr_req, 200, "{\"symbols\":[{}]}",
		16);
	CHECK(ih.n_in == 0 && ih_logged("instrument list refused") &&
		ih_logged("skipped a malformed message (instrument list") &&
		ih.after_ms[v->instr_timer] == 60000, "malformed list");

	/* Symbols too many for the URL: the whole list. */
	for (i = 10; i < 50; i++)
		bn_ops.subscribe(st, (qd_symbol)i, 60);
	bn_ops.on_timer(st, v->instr_timer);
	CHECK(ih.n_get == 3 && strcmp(ih.get[2],
		"GET http://rest/api/v3/exchangeInfo") == 0, "%s", ih.get[2]);
	bn_ops.base.stop(st);
	bn_ops.base.destroy(st);

	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
