/*
 * test_plugin.c -- the loader's checks, requirements, semver and params.
 * Test plugins come from tests/plugins/tp.c (one .so per rule).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "json/json.h"
#include "log/log.h"
#include "plugin/params.h"
#include "plugin/plugin.h"

static char *
tp_path(const char *name)
{
	static char buf[8][4096];
	static int k;
	char *b = buf[k++ % 8];

	snprintf(b, 4096, "%s/tests/plugins/.libs/%s.so", QD_TEST_BUILDDIR,
		name);
	return b;
}

/* The last refusal's reason must contain every needle. */
static void
assert_refusal_says(const struct plugin_registry *r, ...)
{
	const struct plugin_refusal *f;
	const char *needle;
	va_list ap;

	assert_true(plugin_refusal_count(r) > 0);
	f = plugin_refusal_at(r, plugin_refusal_count(r) - 1);
	va_start(ap, r);
	while ((needle = va_arg(ap, const char *)) != NULL) {
		if (strstr(f->reason, needle) == NULL)
			fail_msg("refusal \"%s\" lacks \"%s\"", f->reason,
				needle);
	}
	va_end(ap);
}

static void
loader_accepts_good_plugin(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();
	const struct plugin *p;

	(void)unused;
	assert_int_equal(plugin_load_file(r, tp_path("tp-good")), 1);
	p = plugin_find(r, "tp-good");
	assert_non_null(p);
	assert_string_equal(plugin_desc(p)->version, "1.2.3");
	assert_int_equal(plugin_desc(p)->kind, QD_KIND_STRATEGY);
	assert_int_equal(plugin_abi_major(p), QD_ABI_MAJOR);
	assert_string_equal(plugin_file(p), tp_path("tp-good"));
	assert_int_equal(plugin_refusal_count(r), 0);
	plugin_registry_free(r);
}

static void
loader_refuses_other_abi_major(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();
	char host[32];

	(void)unused;
	snprintf(host, sizeof(host), "ABI %d.%d", QD_ABI_MAJOR, QD_ABI_MINOR);
	assert_true(plugin_load_file(r, tp_path("tp-abi2")) < 0);
	assert_null(plugin_find(r, "tp-abi2"));
	assert_refusal_says(r, tp_path("tp-abi2"), "ABI 2.0", host,
		"rebuild the plugin", (char *)NULL);
	plugin_registry_free(r);
}

static void
loader_refuses_newer_minor(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();
	char theirs[32];

	(void)unused;
	snprintf(theirs, sizeof(theirs), "ABI %d.%d", QD_ABI_MAJOR,
		QD_ABI_MINOR + 1);
	assert_true(plugin_load_file(r, tp_path("tp-minor")) < 0);
	assert_refusal_says(r, theirs, "newer than", "upgrade quantd",
		(char *)NULL);
	plugin_registry_free(r);
}

/* A module built for ABI 1.0 keeps loading on every 1.x host. */
static void
loader_accepts_older_minor(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();
	const struct plugin *p;

	(void)unused;
	assert_int_equal(plugin_load_file(r, tp_path("tp-old")), 1);
	assert_non_null(p = plugin_find(r, "tp-old"));
	assert_int_equal(plugin_abi_major(p), QD_ABI_MAJOR);
	assert_int_equal(plugin_abi_minor(p), 0);
	assert_int_equal(plugin_refusal_count(r), 0);
	plugin_registry_free(r);
}

static void
loader_refuses_missing_descriptor(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();

	(void)unused;
	assert_true(plugin_load_file(r, tp_path("tp-nomod")) < 0);
	assert_refusal_says(r, "no 'qd_module' symbol", "QD_MODULE()",
		(char *)NULL);
	plugin_registry_free(r);
}

static void
loader_refuses_unknown_kind(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();

	(void)unused;
	assert_true(plugin_load_file(r, tp_path("tp-kind")) < 0);
	assert_refusal_says(r, "unknown kind 99", "tp-kind", (char *)NULL);
	plugin_registry_free(r);
}

static void
loader_refuses_duplicate_name(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();

	(void)unused;
	assert_int_equal(plugin_load_file(r, tp_path("tp-good")), 1);
	assert_true(plugin_load_file(r, tp_path("tp-dup")) < 0);
	assert_refusal_says(r, "duplicate plugin name 'tp-good'",
		tp_path("tp-good"), (char *)NULL);
	/* The first one is still there and still the first one. */
	assert_string_equal(plugin_file(plugin_find(r, "tp-good")),
		tp_path("tp-good"));
	plugin_registry_free(r);
}

static void
loader_refuses_bad_semver(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();

	(void)unused;
	assert_true(plugin_load_file(r, tp_path("tp-semver")) < 0);
	assert_refusal_says(r, "version \"1.0\"", "MAJOR.MINOR.PATCH",
		(char *)NULL);
	plugin_registry_free(r);
}

static void
loader_refuses_non_regular_file(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();

	(void)unused;
	assert_true(plugin_load_file(r, QD_TEST_BUILDDIR) < 0);
	assert_refusal_says(r, "not a regular file", (char *)NULL);
	assert_true(plugin_load_file(r, "/nonexistent/x.so") < 0);
	assert_refusal_says(r, "cannot stat", (char *)NULL);
	plugin_registry_free(r);
}

static void
loader_resolves_requirements(void **unused)
{
	struct plugin_registry *r = plugin_registry_new();
	const char *files[] = { "tp-good", "tp-req-ok", "tp-req-missing",
		"tp-req-version", "tp-req-chain" };
	size_t i;

	(void)unused;
	for (i = 0; i < QD_COUNTOF(files); i++)
		assert_int_equal(plugin_load_file(r, tp_path(files[i])), 1);
	assert_int_equal(plugin_resolve(r), 3);
	assert_non_null(plugin_find(r, "tp-good"));
	assert_non_null(plugin_find(r, "tp-req-ok"));
	assert_null(plugin_find(r, "tp-req-missing"));
	assert_null(plugin_find(r, "tp-req-version"));
	assert_null(plugin_find(r, "tp-req-chain"));
	assert_int_equal(plugin_refusal_count(r), 3);
	for (i = 0; i < plugin_refusal_count(r); i++) {
		const struct plugin_refusal *f = plugin_refusal_at(r, i);

		if (strcmp(f->name, "tp-req-version") == 0)
			assert_non_null(strstr(f->reason, "found version 1.2.3"));
		else if (strcmp(f->name, "tp-req-missing") == 0)
			assert_non_null(strstr(f->reason,
				"indicator:nonexistent>=1.0"));
		else
			assert_string_equal(f->name, "tp-req-chain");
	}
	plugin_registry_free(r);
}

static void
loader_dir_loads_good_and_skips_bad(void **unused)
{
	char dir[] = "/tmp/qd-test-plugins-XXXXXX";
	char link[4200];
	struct plugin_registry *r = plugin_registry_new();
	const char *files[] = { "tp-abi2", "tp-good", "tp-kind" };
	size_t i;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < QD_COUNTOF(files); i++) {
		snprintf(link, sizeof(link), "%s/%s.so", dir, files[i]);
		assert_int_equal(symlink(tp_path(files[i]), link), 0);
	}
	snprintf(link, sizeof(link), "%s/notes.txt", dir);
	fclose(fopen(link, "w"));
	assert_int_equal(plugin_load_dir(r, dir), 1);
	assert_int_equal(plugin_count(r), 1);
	assert_int_equal(plugin_refusal_count(r), 2);
	/* A second scan loads nothing new and refuses the same files again. */
	assert_int_equal(plugin_load_dir(r, dir), 1);
	assert_int_equal(plugin_count(r), 1);
	assert_int_equal(plugin_refusal_count(r), 2);
	assert_int_equal(plugin_load_dir(r, "/nonexistent-dir"), QD_ERR_IO);
	for (i = 0; i < QD_COUNTOF(files); i++) {
		snprintf(link, sizeof(link), "%s/%s.so", dir, files[i]);
		unlink(link);
	}
	unlink(link);
	snprintf(link, sizeof(link), "%s/notes.txt", dir);
	unlink(link);
	rmdir(dir);
	plugin_registry_free(r);
}

static void
semver_parses_and_orders(void **unused)
{
	struct semver a, b;

	(void)unused;
	assert_int_equal(semver_parse("1.2.3", &a), 0);
	assert_int_equal(a.major, 1);
	assert_int_equal(a.patch, 3);
	assert_int_equal(semver_parse("1.0.0-alpha.1+build.5", &a), 0);
	assert_string_equal(a.pre, "alpha.1");
	assert_int_equal(semver_parse("1.0", &a), -1);
	assert_int_equal(semver_parse("01.0.0", &a), -1);
	assert_int_equal(semver_parse("1.0.0-", &a), -1);
	assert_int_equal(semver_parse("1.0.0-01", &a), -1);
	assert_int_equal(semver_parse("1.0.0 ", &a), -1);
	/* semver.org precedence example. */
	{
		const char *order[] = { "1.0.0-alpha", "1.0.0-alpha.1",
			"1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
			"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1",
			"1.1.0", "2.0.0" };
		size_t i;

		for (i = 0; i + 1 < QD_COUNTOF(order); i++) {
			assert_int_equal(semver_parse(order[i], &a), 0);
			assert_int_equal(semver_parse(order[i + 1], &b), 0);
			if (semver_cmp(&a, &b) >= 0)
				fail_msg("%s should precede %s", order[i],
					order[i + 1]);
		}
	}
	assert_int_equal(semver_satisfies("1.4.0", ">=1.0,<2"), 1);
	assert_int_equal(semver_satisfies("2.0.0", ">=1.0,<2"), 0);
	assert_int_equal(semver_satisfies("1.0.0", "=1"), 1);
	assert_int_equal(semver_satisfies("1.0.0", "!=1.0.0"), 0);
	assert_int_equal(semver_satisfies("1.0.0", ">>1"), -1);
	assert_int_equal(semver_satisfies("1.0.0", ""), 1);
}

/* ---- params -------------------------------------------------------------- */

static struct plugin_registry *preg;

static int
params_setup(void **unused)
{
	(void)unused;
	preg = plugin_registry_new();
	return plugin_load_file(preg, tp_path("tp-good")) == 1 ? 0 : -1;
}

static int
params_teardown(void **unused)
{
	(void)unused;
	plugin_registry_free(preg);
	return 0;
}

/* Parse `text` and validate its "params" member; returns params or NULL. */
static qd_params *
from_text(const char *text, char *err, size_t cap)
{
	struct json_error je;
	struct json_value *v = json_parse(text, strlen(text), &je);
	qd_params *ps;

	assert_non_null(v);
	ps = params_from_json(plugin_desc(plugin_find(preg, "tp-good")),
		json_get(v, "params"), "inst.json", err, cap);
	json_free(v);
	return ps;
}

/* What params_check_json() reported, one "KEY@LINE:COL: MSG" a line. */
static void
note_problem(void *arg, const char *key, int line, int col, const char *msg)
{
	char *buf = arg;
	size_t n = strlen(buf);

	snprintf(buf + n, 1024 - n, "%s@%d:%d: %s\n", key ? key : "-", line,
		col, msg);
}

static void
params_check_reports_each_problem_by_name(void **unused)
{
	const char *text = "{\"params\": {\"period\": 0,\n"
		"  \"mode\": \"slowest\", \"bogus\": 1}}";
	const struct qd_plugin *d = plugin_desc(plugin_find(preg, "tp-good"));
	struct json_error je;
	struct json_value *v = json_parse(text, strlen(text), &je);
	char got[1024] = "", file_err[1024];
	qd_params *ps;

	(void)unused;
	assert_non_null(v);
	ps = params_check_json(d, json_get(v, "params"), note_problem, got);
	assert_null(ps);
	assert_string_equal(got,
		"period@1:23: 0 is out of range [1, 100]\n"
		"mode@2:11: \"slowest\" is not one of fast|slow\n"
		"bogus@2:22: unknown parameter of plugin 'tp-good' (known: "
		"period, ratio, enabled, mode, label)\n");
	/* The file form says the same after FILE:LINE:COL: params.KEY: */
	assert_null(params_from_json(d, json_get(v, "params"), "f.json",
		file_err, sizeof(file_err)));
	assert_string_equal(file_err,
		"f.json:1:23: params.period: 0 is out of range [1, 100]\n"
		"f.json:2:11: params.mode: \"slowest\" is not one of fast|slow\n"
		"f.json:2:22: params.bogus: unknown parameter of plugin "
		"'tp-good' (known: period, ratio, enabled, mode, label)");
	got[0] = '\0';
	ps = params_check_json(d, NULL, note_problem, got);   /* defaults */
	assert_non_null(ps);
	assert_string_equal(got, "");
	params_free(ps);
	json_free(v);
}

static void
params_apply_defaults_and_values(void **unused)
{
	char err[512] = "";
	qd_params *ps = from_text("{\"params\": {\"period\": 20, "
		"\"mode\": \"slow\", \"enabled\": false}}", err, sizeof(err));

	(void)unused;
	assert_non_null(ps);
	assert_int_equal(params_int(ps, "period"), 20);
	assert_true(params_double(ps, "ratio") == 0.5);
	assert_int_equal(params_bool(ps, "enabled"), 0);
	assert_string_equal(params_string(ps, "mode"), "slow");
	assert_string_equal(params_string(ps, "label"), "x");
	{
		char json[256];

		params_to_json(ps, json, sizeof(json));
		assert_string_equal(json, "{\"period\":20,\"ratio\":0.5,"
			"\"enabled\":false,\"mode\":\"slow\",\"label\":\"x\"}");
	}
	params_free(ps);
}

static void
params_errors_name_file_line_col_and_key(void **unused)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "{\"params\": {\n  \"perod\": 3}}",
		  "inst.json:2:3: params.perod: unknown parameter of plugin "
		  "'tp-good' (known: period, ratio, enabled, mode, label)" },
		{ "{\"params\": {\n  \"period\": \"3\"}}",
		  "inst.json:2:13: params.period: expected an integer, found "
		  "string" },
		{ "{\"params\": {\"period\": 2.5}}",
		  "inst.json:1:23: params.period: expected an integer, found "
		  "a fraction" },
		{ "{\"params\": {\"period\": 0}}",
		  "inst.json:1:23: params.period: 0 is out of range [1, 100]" },
		{ "{\"params\": {\"ratio\": 1.5}}",
		  "inst.json:1:22: params.ratio: 1.5 is out of range [0, 1]" },
		{ "{\"params\": {\"mode\": \"medium\"}}",
		  "inst.json:1:21: params.mode: \"medium\" is not one of "
		  "fast|slow" },
		{ "{\"params\": {\"enabled\": 1}}",
		  "inst.json:1:24: params.enabled: expected true or false, "
		  "found number" },
		{ "{\"params\": [1]}",
		  "inst.json:1:12: params: expected an object, found array" },
	};
	size_t i;

	(void)unused;
	for (i = 0; i < QD_COUNTOF(cases); i++) {
		char err[512] = "";
		qd_params *ps = from_text(cases[i].text, err, sizeof(err));

		if (ps != NULL)
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		if (strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err,
				cases[i].want);
	}
}

static void
params_from_strings(void **unused)
{
	const struct qd_plugin *d = plugin_desc(plugin_find(preg, "tp-good"));
	struct qd_kv ok[] = { { "period", "7" }, { "ratio", "0.25" },
		{ "enabled", "no" }, { "mode", "slow" } };
	struct qd_kv bad1[] = { { "period", "7x" } };
	struct qd_kv bad2[] = { { "nope", "1" } };
	struct qd_kv bad3[] = { { "period", "101" } };
	char err[512];
	qd_params *a, *b;

	(void)unused;
	a = params_from_kv(d, ok, QD_COUNTOF(ok), err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(params_int(a, "period"), 7);
	assert_true(params_double(a, "ratio") == 0.25);
	assert_int_equal(params_bool(a, "enabled"), 0);
	b = params_from_kv(d, ok, QD_COUNTOF(ok), err, sizeof(err));
	assert_true(params_equal(a, b));
	params_free(b);
	b = params_from_kv(d, NULL, 0, err, sizeof(err));
	assert_false(params_equal(a, b));
	params_free(a);
	params_free(b);
	assert_null(params_from_kv(d, bad1, 1, err, sizeof(err)));
	assert_string_equal(err, "param period: expected an integer, found "
		"\"7x\"");
	assert_null(params_from_kv(d, bad2, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "param nope: unknown parameter"));
	assert_null(params_from_kv(d, bad3, 1, err, sizeof(err)));
	assert_string_equal(err, "param period: 101 is out of range [1, 100]");
}

int
main(void)
{
	const struct CMUnitTest loader[] = {
		cmocka_unit_test(loader_accepts_good_plugin),
		cmocka_unit_test(loader_refuses_other_abi_major),
		cmocka_unit_test(loader_refuses_newer_minor),
		cmocka_unit_test(loader_accepts_older_minor),
		cmocka_unit_test(loader_refuses_missing_descriptor),
		cmocka_unit_test(loader_refuses_unknown_kind),
		cmocka_unit_test(loader_refuses_duplicate_name),
		cmocka_unit_test(loader_refuses_bad_semver),
		cmocka_unit_test(loader_refuses_non_regular_file),
		cmocka_unit_test(loader_resolves_requirements),
		cmocka_unit_test(loader_dir_loads_good_and_skips_bad),
		cmocka_unit_test(semver_parses_and_orders),
	};
	const struct CMUnitTest params[] = {
		cmocka_unit_test(params_apply_defaults_and_values),
		cmocka_unit_test(params_check_reports_each_problem_by_name),
		cmocka_unit_test(params_errors_name_file_line_col_and_key),
		cmocka_unit_test(params_from_strings),
	};
	int failed;

	log_open("/dev/null", QD_LOG_DEBUG);
	failed = cmocka_run_group_tests_name("loader", loader, NULL, NULL);
	failed += cmocka_run_group_tests_name("params", params, params_setup,
		params_teardown);
	return failed ? 1 : 0;
}
