/*
 * test_coinbase_trade.c -- the Coinbase adapter's private side without a
 * host: the JWT's signing input built as the venue documents it (header
 * {alg, kid, nonce, typ}, claims {sub, iss "cdp", nbf, exp = nbf + 120,
 * uri "METHOD host/path"}, each base64url without padding), user channel
 * and REST orders, fills, accounts, order and cancel answers parsed into
 * what the adapter reports, the venue's error codes mapped to qd_status,
 * and malformed input refused whole.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "../../plugins/exchange-coinbase/trade_parse.h"

static int checks, fails;

/* A string literal and its length. */
#define LIT(s) (s), sizeof(s) - 1

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

#define NOBJ 8
static struct cbt_order orders[NOBJ];
static struct cbt_fill fills[NOBJ];
static struct cbt_balance bals[NOBJ];
static int n_orders, n_fills, n_bals;

static void
on_order(void *arg, const struct cbt_order *o)
{
	(void)arg;
	if (n_orders < NOBJ)
		orders[n_orders++] = *o;
}

static void
on_fill(void *arg, const struct cbt_fill *f)
{
	(void)arg;
	if (n_fills < NOBJ)
		fills[n_fills++] = *f;
}

static void
on_bal(void *arg, const struct cbt_balance *b)
{
	(void)arg;
	if (n_bals < NOBJ)
		bals[n_bals++] = *b;
}

/* base64url decoding, written here from RFC 4648 (not the adapter's). */
static size_t
unb64url(const char *s, size_t n, char *out)
{
	size_t i, o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
			"vwxyz0123456789-_";
		const char *p = strchr(a, s[i]);

		if (p == NULL || s[i] == '\0')
			return 0;
		acc = acc << 6 | (unsigned)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	return o;
}

static void
jwt(void)
{
	char in[2048], part[1024], b[16];
	const char *dot;
	size_t n;

	/* RFC 4648 section 10, in the URL alphabet without padding. */
	CHECK(cbt_b64url("f", 1, b, sizeof(b)) == 2 && strcmp(b, "Zg") == 0,
		"b64url f: %s", b);
	CHECK(cbt_b64url("fo", 2, b, sizeof(b)) == 3 && strcmp(b, "Zm8") == 0,
		"b64url fo: %s", b);
	CHECK(cbt_b64url("foobar", 6, b, sizeof(b)) == 8 &&
		strcmp(b, "Zm9vYmFy") == 0, "b64url foobar: %s", b);
	CHECK(cbt_b64url("\xfb\xff", 2, b, sizeof(b)) == 3 &&
		strcmp(b, "-_8") == 0, "b64url uses - and _: %s", b);
	CHECK(cbt_b64url("foobar", 6, b, 8) == 0, "b64url: too small a buffer");

	n = cbt_jwt_input("ES256", "organizations/o1/apiKeys/k1", "ab12",
		1700000000, "GET api.coinbase.com/api/v3/brokerage/accounts",
		in, sizeof(in));
	dot = strchr(in, '.');
	CHECK(n == strlen(in) && dot != NULL && strchr(dot + 1, '.') == NULL,
		"jwt input: two parts");
	unb64url(in, (size_t)(dot - in), part);
	CHECK(strcmp(part, "{\"alg\":\"ES256\",\"kid\":\"organizations/o1/"
		"apiKeys/k1\",\"nonce\":\"ab12\",\"typ\":\"JWT\"}") == 0,
		"jwt header: %s", part);
	unb64url(dot + 1, strlen(dot + 1), part);
	CHECK(strcmp(part, "{\"sub\":\"organizations/o1/apiKeys/k1\","
		"\"iss\":\"cdp\",\"nbf\":1700000000,\"exp\":1700000120,"
		"\"uri\":\"GET api.coinbase.com/api/v3/brokerage/accounts\"}")
		== 0, "jwt claims: %s", part);
	CHECK(strchr(in, '=') == NULL && strchr(in, '+') == NULL &&
		strchr(in, '/') == NULL, "jwt input is base64url, unpadded");
	/* The WebSocket's: no uri; an Ed25519 key's: EdDSA. */
	n = cbt_jwt_input("EdDSA", "k", "n", 5, NULL, in, sizeof(in));
	dot = strchr(in, '.');
	unb64url(in, (size_t)(dot - in), part);
	CHECK(n > 0 && strstr(part, "\"alg\":\"EdDSA\"") != NULL, "EdDSA: %s",
		part);
	unb64url(dot + 1, strlen(dot + 1), part);
	CHECK(strcmp(part, "{\"sub\":\"k\",\"iss\":\"cdp\",\"nbf\":5,"
		"\"exp\":125}") == 0, "ws claims: %s", part);
	CHECK(cbt_jwt_input("ES256", "a\"b", "n", 5, NULL, in, sizeof(in)) ==
		0, "a key name JSON would need escaped is refused");
	CHECK(cbt_jwt_input("ES256", "k", "n", 5, "GET x/y", in, 40) == 0,
		"jwt input: too small a buffer");
}

static void
decimals(void)
{
	char b[40];

	cbt_decimal(0.01, b, sizeof(b));
	CHECK(strcmp(b, "0.01") == 0, "decimal 0.01: %s", b);
	cbt_decimal(30150.5, b, sizeof(b));
	CHECK(strcmp(b, "30150.5") == 0, "decimal 30150.5: %s", b);
	cbt_decimal(100, b, sizeof(b));
	CHECK(strcmp(b, "100") == 0, "decimal 100: %s", b);
	cbt_decimal(0.00000001, b, sizeof(b));
	CHECK(strcmp(b, "0.00000001") == 0, "decimal 1e-8: %s", b);
}

static void
user_channel(void)
{
	static const char msg[] = "{\"channel\":\"user\",\"client_id\":\"\","
		"\"timestamp\":\"2026-12-03T10:00:00.1Z\",\"sequence_num\":3,"
		"\"events\":[{\"type\":\"update\",\"orders\":[{\"order_id\":"
		"\"11111111-aaaa\",\"client_order_id\":\"qd1z\","
		"\"cumulative_quantity\":\"0.005\",\"leaves_quantity\":\"0.005\","
		"\"avg_price\":\"30000.5\",\"total_fees\":\"0.6\",\"status\":"
		"\"OPEN\",\"product_id\":\"BTC-USD\",\"order_side\":\"BUY\","
		"\"order_type\":\"Limit\",\"cancel_reason\":\"\","
		"\"reject_Reason\":\"\"},{\"order_id\":\"2222\","
		"\"client_order_id\":\"other\",\"cumulative_quantity\":\"0\","
		"\"avg_price\":\"0\",\"status\":\"CANCELLED\",\"product_id\":"
		"\"ETH-USD\",\"order_side\":\"SELL\",\"cancel_reason\":"
		"\"User requested cancel\"}]}]}";
	static const char bad[] = "{\"channel\":\"user\",\"events\":[{"
		"\"orders\":[{\"order_id\":\"1\",\"status\":\"OPEN\","
		"\"cumulative_quantity\":\"0\"},{\"order_id\":\"2\","
		"\"cumulative_quantity\":\"abc\"}]}]}";
	static const char hb[] = "{\"channel\":\"heartbeats\",\"events\":[]}";
	char why[96], ch[24];

	n_orders = 0;
	CHECK(cbt_parse_user(msg, strlen(msg), ch, on_order, NULL, why) == 2 &&
		n_orders == 2 && strcmp(ch, "user") == 0, "user message: %s",
		why);
	CHECK(strcmp(orders[0].order_id, "11111111-aaaa") == 0 &&
		qd_client_order_id_parse(orders[0].client_id) == 71 &&
		orders[0].status == CBT_OPEN && orders[0].side == 1 &&
		fabs(orders[0].filled - 0.005) < 1e-12 &&
		fabs(orders[0].avg_price - 30000.5) < 1e-9 &&
		strcmp(orders[0].product, "BTC-USD") == 0,
		"an open order with its cumulative fill");
	CHECK(orders[1].status == CBT_CANCELLED && orders[1].side == 2 &&
		strcmp(orders[1].reason, "User requested cancel") == 0 &&
		qd_client_order_id_parse(orders[1].client_id) == 0,
		"a cancel with its reason; not one of ours");
	n_orders = 0;
	CHECK(cbt_parse_user(bad, strlen(bad), NULL, on_order, NULL, why) ==
		-1 && n_orders == 0 && why[0], "a bad quantity refuses the whole "
		"message");
	CHECK(cbt_parse_user(hb, strlen(hb), ch, on_order, NULL, why) == 0 &&
		strcmp(ch, "heartbeats") == 0, "another channel: nothing");
	CHECK(cbt_parse_user("{", 1, NULL, on_order, NULL, why) == -1,
		"malformed JSON");
}

static void
rest(void)
{
	static const char one[] = "{\"order\":{\"order_id\":\"abc\","
		"\"client_order_id\":\"qd5\",\"product_id\":\"BTC-USD\","
		"\"side\":\"SELL\",\"status\":\"FILLED\",\"filled_size\":\"0.2\","
		"\"average_filled_price\":\"101.5\",\"reject_reason\":\"\","
		"\"cancel_message\":\"\"}}";
	static const char page[] = "{\"orders\":[{\"order_id\":\"a\","
		"\"client_order_id\":\"qd6\",\"status\":\"EXPIRED\","
		"\"filled_size\":\"0\"},{\"order_id\":\"b\",\"client_order_id\":"
		"\"qd7\",\"status\":\"FAILED\",\"filled_size\":\"0\","
		"\"reject_message\":\"post only would cross\"}],\"sequence\":\"0\","
		"\"has_next\":true,\"cursor\":\"250\"}";
	static const char fl[] = "{\"fills\":[{\"entry_id\":\"e1\",\"trade_id\":"
		"\"t-1\",\"order_id\":\"abc\",\"trade_time\":\"2026-12-03T10:00:00Z\","
		"\"trade_type\":\"FILL\",\"price\":\"101.5\",\"size\":\"0.2\","
		"\"commission\":\"0.1218\",\"product_id\":\"BTC-USD\","
		"\"sequence_timestamp\":\"2026-12-03T10:00:00.123456Z\","
		"\"liquidity_indicator\":\"MAKER\",\"size_in_quote\":false,"
		"\"user_id\":\"u\",\"side\":\"SELL\"}],\"cursor\":\"\"}";
	static const char badfill[] = "{\"fills\":[{\"trade_id\":\"t\","
		"\"order_id\":\"o\",\"price\":\"0\",\"size\":\"1\"}]}";
	static const char acc[] = "{\"accounts\":[{\"uuid\":\"u1\",\"name\":"
		"\"BTC Wallet\",\"currency\":\"BTC\",\"available_balance\":{"
		"\"value\":\"1.5\",\"currency\":\"BTC\"},\"hold\":{\"value\":"
		"\"0.25\",\"currency\":\"BTC\"}},{\"uuid\":\"u2\",\"currency\":"
		"\"USD\",\"available_balance\":{\"value\":\"100\",\"currency\":"
		"\"USD\"}}],\"has_next\":false,\"cursor\":\"\",\"size\":2}";
	char why[96], cursor[64];
	int more;

	n_orders = 0;
	CHECK(cbt_parse_orders(one, strlen(one), on_order, NULL, &more, cursor,
		why) == 1 && orders[0].status == CBT_FILLED &&
		orders[0].side == 2 && fabs(orders[0].filled - 0.2) < 1e-12 &&
		fabs(orders[0].avg_price - 101.5) < 1e-12 && !more,
		"one order: %s", why);
	n_orders = 0;
	CHECK(cbt_parse_orders(page, strlen(page), on_order, NULL, &more,
		cursor, why) == 2 && more && strcmp(cursor, "250") == 0 &&
		orders[0].status == CBT_EXPIRED &&
		orders[1].status == CBT_FAILED &&
		strcmp(orders[1].reason, "post only would cross") == 0,
		"a page of orders: %s", why);
	CHECK(cbt_parse_orders("{}", 2, on_order, NULL, NULL, NULL, why) == -1,
		"neither order nor orders");
	n_fills = 0;
	CHECK(cbt_parse_fills(fl, strlen(fl), on_fill, NULL, cursor, why) == 1 &&
		strcmp(fills[0].trade_id, "t-1") == 0 &&
		strcmp(fills[0].order_id, "abc") == 0 && fills[0].maker &&
		fills[0].side == 2 && fabs(fills[0].price - 101.5) < 1e-12 &&
		fabs(fills[0].size - 0.2) < 1e-12 &&
		fabs(fills[0].commission - 0.1218) < 1e-12 && !cursor[0],
		"a fill: %s", why);
	n_fills = 0;
	CHECK(cbt_parse_fills(badfill, strlen(badfill), on_fill, NULL, cursor,
		why) == -1 && n_fills == 0, "a fill at price 0 is refused");
	n_bals = 0;
	CHECK(cbt_parse_accounts(acc, strlen(acc), on_bal, NULL, &more, cursor,
		why) == 2 && !more && strcmp(bals[0].currency, "BTC") == 0 &&
		fabs(bals[0].available - 1.5) < 1e-12 &&
		fabs(bals[0].hold - 0.25) < 1e-12 && bals[1].hold == 0,
		"accounts: %s", why);
	CHECK(cbt_parse_time(LIT("{\"iso\":\"x\",\"epochSeconds\":"
		"\"1700000000\",\"epochMillis\":\"1700000000123\"}")) ==
		1700000000123LL, "server time");
}

static void
answers(void)
{
	static const char ok[] = "{\"success\":true,\"success_response\":{"
		"\"order_id\":\"o-1\",\"product_id\":\"BTC-USD\",\"side\":\"BUY\","
		"\"client_order_id\":\"qd1\"},\"order_configuration\":{}}";
	static const char nofund[] = "{\"success\":false,\"failure_reason\":"
		"\"UNKNOWN_FAILURE_REASON\",\"order_id\":\"\",\"error_response\":{"
		"\"error\":\"INSUFFICIENT_FUND\",\"message\":\"Insufficient "
		"balance in source account\",\"error_details\":\"\","
		"\"preview_failure_reason\":\"PREVIEW_INSUFFICIENT_FUND\"}}";
	static const char plain[] = "{\"error\":\"INVALID_ARGUMENT\","
		"\"error_details\":\"bad\",\"message\":\"bad base_size\"}";
	struct cbt_place p;
	char code[64], text[128], reason[64];

	CHECK(cbt_parse_place(ok, strlen(ok), &p) == 0 && p.success &&
		strcmp(p.order_id, "o-1") == 0, "an order taken");
	CHECK(cbt_parse_place(nofund, strlen(nofund), &p) == 0 && !p.success &&
		strcmp(p.error, "INSUFFICIENT_FUND") == 0 &&
		strcmp(p.message, "Insufficient balance in source account") ==
		0, "an order refused: %s %s", p.error, p.message);
	CHECK(cbt_parse_place(plain, strlen(plain), &p) == 0 && !p.success &&
		strcmp(p.error, "INVALID_ARGUMENT") == 0, "a plain error");
	CHECK(cbt_parse_place(LIT("Unauthorized\n"), &p) == -1, "not JSON");
	CHECK(cbt_parse_cancel(LIT("{\"results\":[{\"success\":false,"
		"\"failure_reason\":\"UNKNOWN_CANCEL_ORDER\",\"order_id\":\"x\"}]}"),
		reason) == 0 && strcmp(reason, "UNKNOWN_CANCEL_ORDER") == 0,
		"a cancel refused: %s", reason);
	CHECK(cbt_parse_cancel(LIT("{\"results\":[{\"success\":true,"
		"\"failure_reason\":\"UNKNOWN_CANCEL_FAILURE_REASON\"}]}"),
		reason) == 1, "a cancel taken");
	cbt_error_text(401, LIT("Unauthorized\n"), code, text, sizeof(text));
	CHECK(strcmp(code, "401") == 0 && strcmp(text, "Unauthorized") == 0,
		"401 text: %s %s", code, text);
	cbt_error_text(400, plain, strlen(plain), code, text, sizeof(text));
	CHECK(strcmp(code, "INVALID_ARGUMENT") == 0 &&
		strcmp(text, "bad base_size") == 0, "error body: %s", text);
	CHECK(cbt_error_status(200, "INSUFFICIENT_FUND") == QD_ERR_DENIED,
		"insufficient funds: denied");
	CHECK(cbt_error_status(401, "401") == QD_ERR_DENIED, "401: denied");
	CHECK(cbt_error_status(200, "INVALID_SIZE_PRECISION") == QD_ERR_INVALID &&
		cbt_error_status(200, "INVALID_PRODUCT_ID") == QD_ERR_INVALID &&
		cbt_error_status(200, "UNSUPPORTED_ORDER_CONFIGURATION") ==
		QD_ERR_INVALID && cbt_error_status(200,
		"PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL") == QD_ERR_INVALID,
		"lot, product, configuration, minimum: invalid");
	CHECK(cbt_error_status(429, "RATE_LIMIT_EXCEEDED") == QD_ERR_LIMIT &&
		cbt_error_status(418, "") == QD_ERR_LIMIT, "rate limit: limit");
	CHECK(cbt_error_status(404, "NOT_FOUND") == QD_ERR_NOTFOUND &&
		cbt_error_status(200, "UNKNOWN_CANCEL_ORDER") ==
		QD_ERR_NOTFOUND, "unknown order: not found");
	CHECK(cbt_error_status(500, "INTERNAL") == QD_ERR_IO, "else: io");
}

int
main(void)
{
	jwt();
	decimals();
	user_channel();
	rest();
	answers();
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
