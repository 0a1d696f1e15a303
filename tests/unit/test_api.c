/*
 * test_api.c -- the API's pure parts: the router (parameters, 404 vs 405,
 * malformed paths), percent-decoding and UTF-8 checks, REST requests into
 * control requests (typed query parameters, strict bodies, every refusal
 * naming what is wrong), the status of each error code, and the OpenAPI
 * document against the route table (every route documented with its
 * method and operationId, nothing documented that is not served).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "api/api.h"
#include "api/internal.h"

static int
route_of(const char *pattern, enum api_method m)
{
	for (int i = 0; api_routes[i].pattern != NULL; i++)
		if (strcmp(api_routes[i].pattern, pattern) == 0 &&
		    api_routes[i].method == m)
			return i;
	fail_msg("no route %s", pattern);
	return -1;
}

static void
router_matches_and_extracts_parameters(void **unused)
{
	struct api_kv params[API_MAX_PARAMS];
	char buf[256];
	size_t np = 9;
	unsigned allow;
	int route = -1;

	(void)unused;
	assert_int_equal(api_route_match(api_routes, API_POST,
		"/api/v1/instances/grid-1/restart", &route, params, &np, buf,
		sizeof(buf), &allow), API_MATCH_OK);
	assert_int_equal(route, route_of("/api/v1/instances/{name}/restart",
		API_POST));
	assert_int_equal(np, 1);
	assert_string_equal(params[0].key, "name");
	assert_string_equal(params[0].value, "grid-1");
	/* HEAD is GET without the body. */
	assert_int_equal(api_route_match(api_routes, API_HEAD,
		"/api/v1/plugins", &route, params, &np, buf, sizeof(buf),
		NULL), API_MATCH_OK);
	assert_int_equal(route, route_of("/api/v1/plugins", API_GET));
	/* The path exists, the method does not: 405 with what it takes. */
	assert_int_equal(api_route_match(api_routes, API_DELETE,
		"/api/v1/plugins", &route, params, &np, buf, sizeof(buf),
		&allow), API_MATCH_METHOD);
	assert_int_equal(allow, 1u << API_GET);
	assert_int_equal(api_route_match(api_routes, API_GET,
		"/api/v1/instances/x/restart", &route, params, &np, buf,
		sizeof(buf), &allow), API_MATCH_METHOD);
	assert_int_equal(allow, 1u << API_POST);
	/* No such path. */
	assert_int_equal(api_route_match(api_routes, API_GET,
		"/api/v1/nothing", &route, params, &np, buf, sizeof(buf),
		NULL), API_MATCH_NONE);
	assert_int_equal(api_route_match(api_routes, API_GET,
		"/api/v1/plugins/a/b", &route, params, &np, buf, sizeof(buf),
		NULL), API_MATCH_NONE);
	assert_int_equal(api_route_match(api_routes, API_GET,
		"/api/v1", &route, params, &np, buf, sizeof(buf), NULL),
		API_MATCH_NONE);
}

static void
router_refuses_malformed_paths(void **unused)
{
	static const char *const bad[] = {
		"", "api/v1/plugins", "/api//v1/plugins", "/api/v1/plugins/",
		"/api/v1/./plugins", "/api/v1/../v1/plugins", "/..", "/.",
		"/api/v1/plugins/..",
	};
	struct api_kv params[API_MAX_PARAMS];
	char buf[256];
	size_t np;
	int route;

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (api_route_match(api_routes, API_GET, bad[i], &route,
		    params, &np, buf, sizeof(buf), NULL) != API_MATCH_BAD)
			fail_msg("'%s' was not refused", bad[i]);
	/* Parameters that do not fit the buffer are refused, not cut. */
	assert_int_equal(api_route_match(api_routes, API_GET,
		"/api/v1/plugins/a-rather-long-plugin-name-indeed", &route,
		params, &np, buf, 16, NULL), API_MATCH_BAD);
}

static void
url_decode_and_utf8(void **unused)
{
	char out[64];

	(void)unused;
	assert_int_equal(api_url_decode("BTC%2FUSDT", 10, out, sizeof(out)),
		8);
	assert_string_equal(out, "BTC/USDT");
	assert_int_equal(api_url_decode("a+b", 3, out, sizeof(out)), 3);
	assert_string_equal(out, "a b");
	assert_int_equal(api_url_decode("%e2%82%ac", 9, out, sizeof(out)), 3);
	assert_string_equal(out, "\xe2\x82\xac");
	/* Bad escapes, an encoded NUL, invalid UTF-8, no room. */
	assert_int_equal(api_url_decode("%4", 2, out, sizeof(out)), -1);
	assert_int_equal(api_url_decode("%zz", 3, out, sizeof(out)), -1);
	assert_int_equal(api_url_decode("a%00b", 5, out, sizeof(out)), -1);
	assert_int_equal(api_url_decode("%ff", 3, out, sizeof(out)), -1);
	assert_int_equal(api_url_decode("abcdef", 6, out, 4), -1);
	assert_true(api_utf8_valid("plain", 5));
	assert_true(api_utf8_valid("\xf0\x9f\x98\x80", 4));     /* U+1F600 */
	assert_false(api_utf8_valid("\xc0\xaf", 2));            /* overlong / */
	assert_false(api_utf8_valid("\xe0\x80\xaf", 3));        /* overlong */
	assert_false(api_utf8_valid("\xed\xa0\x80", 3));        /* surrogate */
	assert_false(api_utf8_valid("\xf4\x90\x80\x80", 4));    /* > U+10FFFF */
	assert_false(api_utf8_valid("\xe2\x82", 2));            /* truncated */
	assert_false(api_utf8_valid("\x80", 1));                /* stray */
}

/* A request as the server hands it over. */
static void
request(struct api_request *r, const char *pattern, enum api_method m,
	const char *body)
{
	memset(r, 0, sizeof(*r));
	r->method = m;
	r->route = route_of(pattern, m);
	r->path = pattern;
	r->body = body;
	r->body_len = body ? strlen(body) : 0;
}

static cJSON *
command(const struct api_request *r)
{
	char err[256], *s = api_command_request(r, err, sizeof(err));
	cJSON *o;

	if (s == NULL)
		fail_msg("refused: %s", err);
	o = cJSON_Parse(s);
	free(s);
	assert_non_null(o);
	return o;
}

static void
expect_refusal(const struct api_request *r, const char *words)
{
	char err[256], *s = api_command_request(r, err, sizeof(err));

	if (s != NULL) {
		fail_msg("accepted: %s", s);
		free(s);
	}
	if (strstr(err, words) == NULL)
		fail_msg("reason '%s' lacks '%s'", err, words);
}

static void
requests_become_control_commands(void **unused)
{
	struct api_request r;
	cJSON *o;

	(void)unused;
	request(&r, "/api/v1/market/trades", API_GET, NULL);
	r.query[0] = (struct api_kv){ "exchange", "bin" };
	r.query[1] = (struct api_kv){ "symbol", "BTC/USDT" };
	r.query[2] = (struct api_kv){ "after", "42" };
	r.n_query = 3;
	o = command(&r);
	assert_string_equal(cJSON_GetObjectItem(o, "cmd")->valuestring,
		"market.recent");
	assert_string_equal(cJSON_GetObjectItem(o, "symbol")->valuestring,
		"BTC/USDT");
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "after")));
	assert_int_equal(cJSON_GetObjectItem(o, "after")->valueint, 42);
	cJSON_Delete(o);
	/* Typed: an integer must be one. */
	r.query[2].value = "4.5";
	expect_refusal(&r, "'after': expected an integer");
	r.query[2].value = "";
	expect_refusal(&r, "'after': expected an integer");
	r.query[2].value = "1e400";
	expect_refusal(&r, "'after'");
	r.query[2] = (struct api_kv){ "limit", "5" };
	expect_refusal(&r, "unknown query parameter 'limit'");
	r.query[2] = (struct api_kv){ "symbol", "ETH/USDT" };
	expect_refusal(&r, "'symbol' given twice");

	/* Path parameters and the body's members. */
	request(&r, "/api/v1/instances/{name}/restart", API_POST, NULL);
	r.params[0] = (struct api_kv){ "name", "grid-1" };
	r.n_params = 1;
	o = command(&r);
	assert_string_equal(cJSON_GetObjectItem(o, "name")->valuestring,
		"grid-1");
	assert_string_equal(cJSON_GetObjectItem(o, "cmd")->valuestring,
		"instance.restart");
	cJSON_Delete(o);
	r.body = "{\"name\":\"other\"}";
	r.body_len = strlen(r.body);
	expect_refusal(&r, "member 'name' is given by the path");

	request(&r, "/api/v1/emergency-close", API_POST,
		"{\"ratio\":0.5,\"reason\":\"test\"}");
	o = command(&r);
	assert_true(cJSON_GetObjectItem(o, "ratio")->valuedouble == 0.5);
	assert_string_equal(cJSON_GetObjectItem(o, "cmd")->valuestring,
		"trade.emergency_close");
	cJSON_Delete(o);
}

static void
bodies_are_strict(void **unused)
{
	struct api_request r;
	static const struct { const char *body, *words; } bad[] = {
		{ "[1,2]", "must be a JSON object" },
		{ "{\"ratio\":", "line 1 column" },
		{ "{\"a\":1,\"a\":2}", "duplicate" },
		{ "{\"a\":\"\xff\"}", "UTF-8" },
		{ "{\"a\":1} x", "line 1 column 9" },
		{ "{\"cmd\":\"reload\"}", "unknown member 'cmd'" },
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request(&r, "/api/v1/emergency-close", API_POST, bad[i].body);
		expect_refusal(&r, bad[i].words);
	}
}

static void
error_codes_have_statuses(void **unused)
{
	(void)unused;
	assert_int_equal(api_status_for("bad_request"), 400);
	assert_int_equal(api_status_for("not_found"), 404);
	assert_int_equal(api_status_for("unknown_command"), 404);
	assert_int_equal(api_status_for("failed"), 409);
	assert_int_equal(api_status_for("unsupported"), 501);
	assert_int_equal(api_status_for("rate_limited"), 429);
	assert_int_equal(api_status_for("something new"), 500);
}

/* Every route is in the document under its method with its operationId;
 * every documented operation is a route or one the server answers itself. */
static void
openapi_document_matches_routes(void **unused)
{
	cJSON *doc = cJSON_Parse(api_openapi_json), *paths, *p, *op, *id;
	static const char *const own[] = { "/healthz", "/readyz" };
	static const char *const methods[] = {
		"get", "head", "post", "put", "patch", "delete", "options"
	};

	(void)unused;
	assert_non_null(doc);
	assert_string_equal(cJSON_GetObjectItem(doc, "openapi")->valuestring,
		"3.1.0");
	paths = cJSON_GetObjectItem(doc, "paths");
	assert_non_null(paths);
	for (int i = 0; api_routes[i].pattern != NULL; i++) {
		const struct api_route *r = &api_routes[i];

		p = cJSON_GetObjectItem(paths, r->pattern);
		op = p ? cJSON_GetObjectItem(p, methods[r->method]) : NULL;
		id = op ? cJSON_GetObjectItem(op, "operationId") : NULL;
		if (id == NULL || strcmp(id->valuestring, r->op) != 0)
			fail_msg("%s %s: not documented as %s",
				api_method_name(r->method), r->pattern, r->op);
	}
	cJSON_ArrayForEach(p, paths) {
		int served = 0;

		for (size_t k = 0; k < 2; k++)
			served |= strcmp(p->string, own[k]) == 0;
		cJSON_ArrayForEach(op, p) {
			int m = api_method_parse(op->string[0] == 'g' ? "GET" :
				op->string[0] == 'h' ? "HEAD" :
				op->string[1] == 'o' ? "POST" :
				op->string[1] == 'u' ? "PUT" :
				op->string[1] == 'a' ? "PATCH" : "DELETE");
			int found = served;

			for (int i = 0; !found && api_routes[i].pattern; i++)
				found = (int)api_routes[i].method == m &&
					strcmp(api_routes[i].pattern,
					p->string) == 0;
			if (!found)
				fail_msg("documented but not served: %s %s",
					op->string, p->string);
		}
	}
	(void)methods[6];
	cJSON_Delete(doc);
}

/* The answer cache: a put page is found by its key until it expires, is
 * replaced by a put of the same key, outlives a clear while a connection
 * holds it, and the oldest entry goes when the slots are full. */
static void
cache_keeps_pages_by_key(void **st)
{
	struct api *a = calloc(1, sizeof(*a));
	struct api_page *p, *held;
	char key[32];

	(void)st;
	assert_non_null(a);
	api_cache_init(a);
	assert_null(api_cache_find(a, "k1"));
	assert_int_equal(api_cache_put(a, "k1", "{\"a\":1}", 7, 5000), 0);
	p = api_cache_find(a, "k1");
	assert_non_null(p);
	assert_int_equal(p->len, 7);
	assert_memory_equal(API_PAGE_BODY(p), "{\"a\":1}", 7);
	api_page_unref(p);
	assert_null(api_cache_find(a, "k2"));
	/* The same key: replaced, the old page alive while held. */
	held = api_cache_find(a, "k1");
	assert_int_equal(api_cache_put(a, "k1", "{\"a\":22}", 8, 5000), 0);
	p = api_cache_find(a, "k1");
	assert_int_equal(p->len, 8);
	api_page_unref(p);
	assert_memory_equal(API_PAGE_BODY(held), "{\"a\":1}", 7);
	/* A clear drops every entry; a held page stays readable. */
	api_cache_clear(a);
	assert_null(api_cache_find(a, "k1"));
	assert_memory_equal(API_PAGE_BODY(held), "{\"a\":1}", 7);
	api_page_unref(held);
	/* An entry past its time is not found. */
	assert_int_equal(api_cache_put(a, "old", "{}", 2, 0), 0);
	assert_null(api_cache_find(a, "old"));
	/* Too big a body is refused. */
	assert_int_equal(api_cache_put(a, "big", "", API_CACHE_BODY_MAX + 1,
		5000), QD_ERR_LIMIT);
	/* Full: the oldest put goes first. */
	for (int i = 0; i < API_CACHE_SLOTS + 1; i++) {
		snprintf(key, sizeof(key), "page%d", i);
		assert_int_equal(api_cache_put(a, key, "{}", 2, 5000), 0);
	}
	assert_null(api_cache_find(a, "page0"));
	p = api_cache_find(a, "page1");
	assert_non_null(p);
	api_page_unref(p);
	snprintf(key, sizeof(key), "page%d", API_CACHE_SLOTS);
	p = api_cache_find(a, key);
	assert_non_null(p);
	api_page_unref(p);
	api_cache_free(a);
	free(a);
}

/* The commands that carry secrets, and the wipe of their parsed copies:
 * every string value, however deep, zeroed; names and other values kept
 * (cJSON_Delete still frees it all). */
static void
secret_commands_are_wiped(void **unused)
{
	cJSON *o = cJSON_Parse("{\"cmd\":\"notify.channels.set\","
		"\"webhook\":{\"url\":\"https://x.example/h\","
		"\"secret\":\"hmac-key-0123456789\"},\"list\":[\"a\",{\"b\":"
		"\"deep\"}],\"n\":7}");
	const cJSON *w, *l;

	(void)unused;
	assert_true(api_command_secret("secrets.set"));
	assert_true(api_command_secret("notify.channel.set"));
	assert_true(api_command_secret("notify.channels.set"));
	assert_false(api_command_secret("notify.channel.get"));
	assert_false(api_command_secret("notify.channels"));
	assert_false(api_command_secret(NULL));
	assert_non_null(o);
	api_json_wipe(o);
	w = cJSON_GetObjectItem(o, "webhook");
	assert_non_null(w);
	assert_string_equal(cJSON_GetObjectItem(w, "secret")->valuestring, "");
	assert_int_equal(cJSON_GetObjectItem(w, "secret")->valuestring[18], 0);
	assert_string_equal(cJSON_GetObjectItem(w, "url")->valuestring, "");
	assert_string_equal(cJSON_GetObjectItem(o, "cmd")->valuestring, "");
	l = cJSON_GetObjectItem(o, "list");
	assert_string_equal(cJSON_GetArrayItem(l, 0)->valuestring, "");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 1),
		"b")->valuestring, "");
	assert_int_equal(cJSON_GetObjectItem(o, "n")->valueint, 7);
	api_json_wipe(NULL);
	cJSON_Delete(o);
	api_text_wipe_free(strdup("secret text"));
	api_text_wipe_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(router_matches_and_extracts_parameters),
		cmocka_unit_test(router_refuses_malformed_paths),
		cmocka_unit_test(url_decode_and_utf8),
		cmocka_unit_test(requests_become_control_commands),
		cmocka_unit_test(secret_commands_are_wiped),
		cmocka_unit_test(bodies_are_strict),
		cmocka_unit_test(error_codes_have_statuses),
		cmocka_unit_test(openapi_document_matches_routes),
		cmocka_unit_test(cache_keeps_pages_by_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
