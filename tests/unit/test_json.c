/*
 * test_json.c -- the positional JSON parser: values, positions, paths and
 * every class of error with its exact line and column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json/json.h"

static struct json_value *
parse_ok(const char *text)
{
	struct json_error e;
	struct json_value *v = json_parse(text, strlen(text), &e);

	if (v == NULL)
		fail_msg("rejected %s: %d:%d: %s", text, e.line, e.col, e.msg);
	return v;
}

static void
json_parses_every_type(void **unused)
{
	struct json_value *v = parse_ok("{\"a\": [1, -2.5e3, true, false, "
		"null, \"s\\n\\u00e9\\ud83d\\ude00\"], \"big\": "
		"9223372036854775807, \"over\": 9223372036854775808}");
	const struct json_value *a = json_get(v, "a"), *e;

	(void)unused;
	assert_int_equal(v->type, JSON_OBJECT);
	assert_int_equal(v->n, 3);
	assert_int_equal(a->n, 6);
	e = a->child;
	assert_true(e->is_int && e->i == 1);
	e = e->next;
	assert_false(e->is_int);
	assert_true(e->num == -2500.0);
	e = e->next;
	assert_int_equal(e->type, JSON_BOOL);
	assert_true(e->boolean);
	e = e->next->next;
	assert_int_equal(e->type, JSON_NULL);
	e = e->next;
	assert_string_equal(e->str, "s\n\xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(e->len, 8);
	assert_true(json_get(v, "big")->is_int);
	assert_true(json_get(v, "big")->i == INT64_MAX);
	assert_false(json_get(v, "over")->is_int);
	assert_null(json_get(v, "missing"));
	assert_null(json_get(a, "a"));
	json_free(v);
}

static void
json_records_positions_and_paths(void **unused)
{
	struct json_value *v = parse_ok("{\n  \"params\": {\n    \"period\": "
		"14,\n    \"my key\": [1,\n 2]\n  }\n}");
	const struct json_value *p = json_get(v, "params");
	const struct json_value *per = json_get(p, "period");
	const struct json_value *mk = json_get(p, "my key");
	char path[128];

	(void)unused;
	assert_int_equal(p->line, 2);
	assert_int_equal(p->col, 13);
	assert_int_equal(p->key_line, 2);
	assert_int_equal(p->key_col, 3);
	assert_int_equal(per->line, 3);
	assert_int_equal(per->col, 15);
	assert_int_equal(mk->child->next->line, 5);
	assert_int_equal(mk->child->next->col, 2);
	assert_string_equal(json_path(per, path, sizeof(path)),
		"$.params.period");
	assert_string_equal(json_path(mk->child->next, path, sizeof(path)),
		"$.params[\"my key\"][1]");
	assert_string_equal(json_path(v, path, sizeof(path)), "$");
	assert_ptr_equal(per->parent, p);
	assert_ptr_equal(p->parent, v);
	json_free(v);
}

/* Each error names the byte where the text stops being JSON: the '1' of
 * "01", the '}' after "1." or "1e". */
static void
json_reports_errors_with_position(void **unused)
{
	static const struct {
		const char *text;
		int line, col;
		const char *msg;
	} cases[] = {
		{ "{\"a\": 1,}", 1, 9, "expected a member name" },
		{ "[1, 2,]", 1, 7, "trailing comma" },
		{ "{\"a\" 1}", 1, 6, "expected ':' after member name" },
		{ "{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}'" },
		{ "[1 2]", 1, 4, "expected ',' or ']'" },
		{ "\n\n  \"abc", 3, 3, "unterminated string" },
		{ "{\"a\": 01}", 1, 8, "leading zero" },
		{ "{\"a\": +1}", 1, 7, "expected a value" },
		{ "{\"a\": 1.}", 1, 9, "after '.'" },
		{ "{\"a\": 1e}", 1, 9, "exponent" },
		{ "{\"a\": NaN}", 1, 7, "expected a value" },
		{ "{\"a\": tru}", 1, 7, "expected a value" },
		{ "{\"a\": \"x\\q\"}", 1, 9, "invalid escape" },
		{ "{\"a\": \"\\ud800\"}", 1, 8, "unpaired high surrogate" },
		{ "{\"a\": \"\\udc00\"}", 1, 8, "unpaired low surrogate" },
		{ "{\"a\": \"\x01\"}", 1, 8, "control character" },
		{ "{\"a\": \"\xc3\x28\"}", 1, 8, "invalid UTF-8" },
		{ "{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key \"a\"" },
		{ "{} x", 1, 4, "expected end of input" },
		{ "", 1, 1, "found end of input" },
		{ "{\"a\": 1e999}", 1, 7, "out of range" },
	};
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_error e;
		struct json_value *v = json_parse(cases[i].text,
			strlen(cases[i].text), &e);

		if (v != NULL)
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		if (e.line != cases[i].line || e.col != cases[i].col ||
		    strstr(e.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: got %d:%d: %s; want %d:%d: ...%s...",
				i, e.line, e.col, e.msg, cases[i].line,
				cases[i].col, cases[i].msg);
	}
}

static void
json_limits_depth(void **unused)
{
	char ok[200], deep[200];
	struct json_error e;
	struct json_value *v;
	int i;

	(void)unused;
	for (i = 0; i < 64; i++) {
		ok[i] = '[';
		ok[64 + i] = ']';
	}
	ok[128] = '\0';
	v = json_parse(ok, strlen(ok), &e);
	assert_non_null(v);
	json_free(v);
	for (i = 0; i < 65; i++) {
		deep[i] = '[';
		deep[65 + i] = ']';
	}
	deep[130] = '\0';
	assert_null(json_parse(deep, strlen(deep), &e));
	assert_non_null(strstr(e.msg, "nesting deeper than 64"));
	assert_int_equal(e.col, 65);
}

static void
json_accepts_nul_inside_strings_but_not_keys(void **unused)
{
	struct json_error e;
	struct json_value *v = parse_ok("[\"a\\u0000b\"]");

	(void)unused;
	assert_int_equal(v->child->len, 3);
	json_free(v);
	assert_null(json_parse("{\"a\\u0000\": 1}", 14, &e));
	assert_non_null(strstr(e.msg, "\\u0000"));
}

/* Shortest text that reads back exactly. */
static void
json_fmt_double_is_shortest_exact(void **unused)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0.95, "0.95" }, { 0.1 + 0.2, "0.30000000000000004" },
		{ 103.41666666666667, "103.41666666666667" }, { 1e300, "1e+300" },
		{ -2.5, "-2.5" }, { 5e-324, "4.94065645841247e-324" },
		{ 0.0, "0" }, { 100.0, "100" },
	};
	char buf[JSON_DOUBLE_MAX];
	uint64_t x = 0x243f6a8885a308d3ull;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(json_fmt_double(buf, sizeof(buf), cases[i].v),
		    cases[i].want) != 0)
			fail_msg("%.17g printed as %s, want %s", cases[i].v,
				buf, cases[i].want);
	/* Random bit patterns: every finite one reads back as itself. */
	for (i = 0; i < 100000; i++) {
		double v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&v, &x, sizeof(v));
		if (!isfinite(v))
			continue;
		json_fmt_double(buf, sizeof(buf), v);
		if (strtod(buf, NULL) != v)
			fail_msg("%s does not read back as %.17g", buf, v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_parses_every_type),
		cmocka_unit_test(json_records_positions_and_paths),
		cmocka_unit_test(json_reports_errors_with_position),
		cmocka_unit_test(json_fmt_double_is_shortest_exact),
		cmocka_unit_test(json_limits_depth),
		cmocka_unit_test(json_accepts_nul_inside_strings_but_not_keys),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
