/*
 * test_config.c -- daemon and instance configuration: every error carries
 * FILE:LINE:COL and the JSON path; binding against plugins; reload diffs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "json/json.h"
#include "log/log.h"
#include "plugin/plugin.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static const char *
at(const char *name)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, 256, "%s/%s", dir, name);
	return b;
}

static int
setup(void **unused)
{
	char d[256];

	(void)unused;
	snprintf(dir, sizeof(dir), "/tmp/qd-config-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(d, sizeof(d), "%s/quantd.d", dir);
	return mkdir(d, 0700);
}

static int
teardown(void **unused)
{
	char cmd[300];

	(void)unused;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The diagnostics must contain `want` (after substituting the dir). */
static void
assert_diag_has(const struct diag *d, const char *want)
{
	if (d->text == NULL || strstr(d->text, want) == NULL)
		fail_msg("diagnostics lack:\n  %s\ngot:\n%s", want,
			d->text ? d->text : "(none)");
}

static void
config_builtin_defaults_load(void **unused)
{
	struct diag d = { 0 };
	struct config *c = config_load(NULL, &d);

	(void)unused;
	assert_non_null(c);
	assert_string_equal(c->path, "<built-in>");
	assert_int_equal(c->n_plugin_dirs, 1);
	assert_string_equal(c->plugin_dirs[0], QD_PLUGINDIR);
	assert_non_null(strstr(c->storage.url, "quantd.db"));
	assert_int_equal(c->storage.enabled, 1);
	assert_int_equal(c->storage.trades, 0);
	config_free(c);
	diag_free(&d);
}

static void
config_resolves_relative_paths(void **unused)
{
	struct diag d = { 0 };
	struct config *c;
	char want[300];

	(void)unused;
	put("q.json", "{\"plugin_dirs\": [\"p\", \"/abs\"], \"state_dir\": "
		"\"var\", \"log\": {\"level\": \"debug\"}}");
	c = config_load(at("q.json"), &d);
	assert_non_null(c);
	snprintf(want, sizeof(want), "%s/p", dir);
	assert_string_equal(c->plugin_dirs[0], want);
	assert_string_equal(c->plugin_dirs[1], "/abs");
	snprintf(want, sizeof(want), "%s/var/quantd.sock", dir);
	assert_string_equal(c->control_socket, want);
	assert_int_equal(c->log_level, QD_LOG_DEBUG);
	config_free(c);
	diag_free(&d);
}

/* The dashboard's files: a relative static_dir from the config's folder,
 * "" for none, and when unset the installed dashboard if it is there. */
static void
config_static_dir_default_and_off(void **unused)
{
	struct diag d = { 0 };
	struct config *c;
	char want[300];

	(void)unused;
	put("q.json", "{\"plugin_dirs\": [\"p\"], \"api\": {\"static_dir\": \"www\"}}");
	assert_non_null(c = config_load(at("q.json"), &d));
	snprintf(want, sizeof(want), "%s/www", dir);
	assert_string_equal(c->api.static_dir, want);
	config_free(c);
	put("q.json", "{\"plugin_dirs\": [\"p\"], \"api\": {\"static_dir\": \"\"}}");
	assert_non_null(c = config_load(at("q.json"), &d));
	assert_null(c->api.static_dir);
	config_free(c);
	put("q.json", "{\"plugin_dirs\": [\"p\"], \"api\": {}}");
	assert_non_null(c = config_load(at("q.json"), &d));
	/* users' URLs reach public addresses only unless allowed */
	assert_int_equal(c->notify.user_urls_allow_private, 0);
	config_free(c);
	put("q.json", "{\"plugin_dirs\": [\"p\"], \"api\": {}, \"notify\": "
		"{\"user_urls\": {\"allow_private\": true}}}");
	assert_non_null(c = config_load(at("q.json"), &d));
	assert_int_equal(c->notify.user_urls_allow_private, 1);
	config_free(c);
	put("q.json", "{\"plugin_dirs\": [\"p\"], \"api\": {}}");
	assert_non_null(c = config_load(at("q.json"), &d));
	if (access(QD_WEBDIR "/index.html", R_OK) == 0)
		assert_string_equal(c->api.static_dir, QD_WEBDIR);
	else
		assert_null(c->api.static_dir);
	config_free(c);
	diag_free(&d);
}

static void
config_errors_carry_file_line_col_and_path(void **unused)
{
	static const struct {
		const char *text;
		const char *want;   /* after "DIR/q.json:" */
	} cases[] = {
		{ "{\n  \"plugin_dir\": [\"p\"]\n}",
		  "2:3: $: unknown key \"plugin_dir\"" },
		{ "{\"plugin_dirs\": [\"p\"],\n \"log\": {\"level\": \"loud\"}}",
		  "2:19: $.log.level: expected error, warn, info or debug, "
		  "found \"loud\"" },
		{ "{\"plugin_dirs\": [\"p\", 3]}",
		  "1:23: $.plugin_dirs[1]: expected a non-empty string, found "
		  "number" },
		{ "{\"plugin_dirs\": []}",
		  "1:1: $.plugin_dirs: at least one plugin directory is "
		  "required" },
		{ "{\"plugin_dirs\": [\"p\"], \"storage\": {\"backend\": "
		  "\"mysql\"}}",
		  "1:47: $.storage.backend: expected \"sqlite\" or \"postgresql\", "
		  "found \"mysql\"" },
		{ "[1, 2]", "1:1: $: expected an object, found array" },
		{ "{\"plugin_dirs\": [\"p\"],\n \"alerts\": {\"max_per_user\": "
		  "-1}}",
		  "2:29: $.alerts.max_per_user: -1 is out of range" },
		{ "{\"plugin_dirs\": [\"p\"],,}", "1:23: " },
		{ "{\"plugin_dirs\": [\"p\"],\n \"notify\": {\"user_urls\": "
		  "{\"allow_private\": \"yes\"}}}",
		  "2:44: $.notify.user_urls.allow_private: expected true or "
		  "false" },
		{ "{\"plugin_dirs\": [\"p\"],\n \"notify\": {\"user_urls\": "
		  "{\"allow_lan\": true}}}",
		  "2:27: $.notify.user_urls: unknown key \"allow_lan\" "
		  "(allowed: allow_private)" },
		{ "{\"plugin_dirs\": [\"p\"],\n \"notify\": {\"user_urls\": "
		  "true}}",
		  "2:26: $.notify.user_urls: expected an object" },
	};
	size_t i;

	(void)unused;
	for (i = 0; i < QD_COUNTOF(cases); i++) {
		struct diag d = { 0 };
		struct config *c;
		char want[512];

		put("q.json", cases[i].text);
		c = config_load(at("q.json"), &d);
		if (c != NULL)
			fail_msg("case %zu accepted", i);
		snprintf(want, sizeof(want), "%s:%s", at("q.json"),
			cases[i].want);
		assert_diag_has(&d, want);
		diag_free(&d);
	}
}

static void
instance_errors_are_all_reported(void **unused)
{
	struct diag d = { 0 };
	struct config_instance ci;
	char want[512];

	(void)unused;
	put("i.json",
		"{\n"
		"  \"plugin\": \"tp-good\",\n"
		"  \"instance\": \"Bad Name\",\n"
		"  \"trust\": \"maybe\",\n"
		"  \"symbols\": [\"BTC/USDT\", \"btcusdt\"],\n"
		"  \"timeframes\": [\"1m\", \"7m\"],\n"
		"  \"secrets\": {\"api_key\": \"abc123\"},\n"
		"  \"colour\": \"red\"\n"
		"}\n");
	assert_int_equal(config_load_instance(at("i.json"), &ci, &d), -1);
	assert_int_equal(d.count, 6);
	snprintf(want, sizeof(want), "%s:3:15: $.instance: invalid instance "
		"name \"Bad Name\"", at("i.json"));
	assert_diag_has(&d, want);
	snprintf(want, sizeof(want), "%s:4:12: $.trust: expected \"trusted\" "
		"or \"sandboxed\", found \"maybe\"", at("i.json"));
	assert_diag_has(&d, want);
	snprintf(want, sizeof(want), "%s:5:27: $.symbols[1]: invalid symbol "
		"\"btcusdt\"", at("i.json"));
	assert_diag_has(&d, want);
	snprintf(want, sizeof(want), "%s:6:24: $.timeframes[1]: unknown "
		"timeframe \"7m\"", at("i.json"));
	assert_diag_has(&d, want);
	snprintf(want, sizeof(want), "%s:7:26: $.secrets.api_key: a secret "
		"must be a reference", at("i.json"));
	assert_diag_has(&d, want);
	/* The secret's value never appears in a message. */
	assert_null(strstr(d.text, "abc123"));
	snprintf(want, sizeof(want), "%s:8:3: $: unknown key \"colour\"",
		at("i.json"));
	assert_diag_has(&d, want);
	diag_free(&d);
}

/* An instance's account and risk limits: read, and every bad one named. */
static void
instance_account_and_risk(void **unused)
{
	struct diag d = { 0 };
	struct config_instance ci;
	char want[512];

	(void)unused;
	put("ok.json",
		"{\"plugin\": \"tp-good\", \"instance\": \"a\",\n"
		" \"account\": {\"balance\": 2500, \"quote\": \"USDC\", "
		"\"taker_fee\": 0.0005, \"latency_ms\": 7, \"margin\": false},\n"
		" \"risk\": {\"max_order_notional\": 1000, \"max_open_orders\": 5, "
		"\"utc_offset_min\": -300}}\n");
	assert_int_equal(config_load_instance(at("ok.json"), &ci, &d), 0);
	assert_true(ci.account.balance == 2500);
	assert_string_equal(ci.account.quote, "USDC");
	assert_true(ci.account.taker_fee == 0.0005);
	assert_true(ci.account.maker_fee == 0.001);
	assert_int_equal(ci.account.latency_ms, 7);
	assert_int_equal(ci.account.margin, 0);
	assert_true(ci.has_risk);
	assert_true(ci.risk.max_order_notional == 1000);
	assert_int_equal(ci.risk.max_open_orders, 5);
	assert_int_equal(ci.risk.utc_offset_min, -300);
	config_instance_clear(&ci);
	put("bad.json",
		"{\"plugin\": \"tp-good\", \"instance\": \"b\",\n"
		" \"account\": {\"balance\": -1, \"quote\": \"usd\", \"fees\": 1},\n"
		" \"risk\": {\"max_order_notional\": \"lots\", \"max_open_orders\": 2.5,\n"
		"  \"daily_loss_pct\": 120, \"stop_los_pct\": 5, \"utc_offset_min\": 900}}\n");
	assert_int_equal(config_load_instance(at("bad.json"), &ci, &d), -1);
	assert_int_equal(d.count, 8);
	snprintf(want, sizeof(want), "%s:2:25: $.account.balance: expected a "
		"number from 0 to", at("bad.json"));
	assert_diag_has(&d, want);
	snprintf(want, sizeof(want), "%s:2:45: $.account: unknown key "
		"\"fees\"", at("bad.json"));
	assert_diag_has(&d, want);
	snprintf(want, sizeof(want), "%s:4:42: $.risk.stop_los_pct: unknown "
		"risk limit \"stop_los_pct\"", at("bad.json"));
	assert_diag_has(&d, want);
	assert_diag_has(&d, "$.risk.max_order_notional: expected a number");
	assert_diag_has(&d, "$.risk.max_open_orders: expected a whole number");
	assert_diag_has(&d, "$.risk.daily_loss_pct: expected a number from 0 "
		"to 100");
	assert_diag_has(&d, "$.risk.utc_offset_min: 900 is out of range");
	assert_diag_has(&d, "$.account.quote: expected an asset in upper case");
	diag_free(&d);
}

static struct plugin_registry *
registry(void)
{
	struct plugin_registry *r = plugin_registry_new();
	char path[4096];

	snprintf(path, sizeof(path), "%s/tests/plugins/.libs/tp-good.so",
		QD_TEST_BUILDDIR);
	assert_int_equal(plugin_load_file(r, path), 1);
	return r;
}

static void
bind_checks_params_names_and_references(void **unused)
{
	struct diag d = { 0 }, w = { 0 };
	struct config *c;
	struct plugin_registry *r = registry();
	char want[512];

	(void)unused;
	put("q.json", "{\"plugin_dirs\": [\"p\"]}");
	put("quantd.d/a.json", "{\"plugin\": \"tp-good\", \"instance\": \"a\","
		"\n \"params\": {\"period\": 500}}");
	put("quantd.d/b.json", "{\"plugin\": \"tp-good\", \"instance\": \"a\","
		" \"exchange\": \"nowhere\"}");
	put("quantd.d/c.json", "{\"plugin\": \"missing\", \"instance\": \"c\"}");
	c = config_load(at("q.json"), &d);
	assert_non_null(c);
	assert_int_equal(c->n_instances, 3);
	assert_int_equal(config_bind(c, r, &d, &w), 3);
	snprintf(want, sizeof(want), "%s:2:23: params.period: 500 is out of "
		"range [1, 100]", at("quantd.d/a.json"));
	assert_diag_has(&d, want);
	snprintf(want, sizeof(want), "%s:1:35: $.instance: instance \"a\" is "
		"already defined in %s", at("quantd.d/b.json"),
		at("quantd.d/a.json"));
	assert_diag_has(&d, want);
	assert_diag_has(&d, "$.exchange: no exchange instance named "
		"\"nowhere\"");
	/* A missing plugin is a warning: that instance fails alone. */
	assert_int_equal(w.count, 1);
	assert_diag_has(&w, "$.plugin: no plugin named \"missing\"");
	unlink(at("quantd.d/a.json"));
	unlink(at("quantd.d/b.json"));
	unlink(at("quantd.d/c.json"));
	config_free(c);
	plugin_registry_free(r);
	diag_free(&d);
	diag_free(&w);
}

static void
instance_equality_follows_meaning(void **unused)
{
	struct diag d = { 0 };
	struct config_instance a, b, e;
	struct plugin_registry *r = registry();
	struct config ca = { 0 }, cb = { 0 }, ce = { 0 };

	(void)unused;
	put("a.json", "{\"plugin\": \"tp-good\", \"instance\": \"x\", "
		"\"params\": {\"period\": 14, \"mode\": \"fast\"}}");
	/* Same meaning: defaults spelled out differently, keys reordered. */
	put("b.json", "{\"params\": {\"mode\": \"fast\"},\n \"instance\": "
		"\"x\", \"plugin\": \"tp-good\"}");
	put("e.json", "{\"plugin\": \"tp-good\", \"instance\": \"x\", "
		"\"params\": {\"period\": 15}}");
	assert_int_equal(config_load_instance(at("a.json"), &a, &d), 0);
	assert_int_equal(config_load_instance(at("b.json"), &b, &d), 0);
	assert_int_equal(config_load_instance(at("e.json"), &e, &d), 0);
	ca.instances = &a;
	ca.n_instances = 1;
	cb.instances = &b;
	cb.n_instances = 1;
	ce.instances = &e;
	ce.n_instances = 1;
	assert_int_equal(config_bind(&ca, r, &d, NULL), 0);
	assert_int_equal(config_bind(&cb, r, &d, NULL), 0);
	assert_int_equal(config_bind(&ce, r, &d, NULL), 0);
	assert_true(config_instance_equal(&a, &b));
	assert_false(config_instance_equal(&a, &e));
	config_instance_clear(&a);
	config_instance_clear(&b);
	config_instance_clear(&e);
	plugin_registry_free(r);
	diag_free(&d);
}

/* A notifier's route, and its mistakes with file:line:col. */
static void
instance_route(void **unused)
{
	struct diag d = { 0 };
	struct config_instance ci;
	char want[512];

	(void)unused;
	put("route.json",
		"{\"plugin\": \"notify-webhook\", \"instance\": \"hook\",\n"
		" \"route\": {\"events\": [\"risk.*\", \"fill\"], \"users\": "
		"[\"@operators\"],\n"
		"  \"min_severity\": \"warning\", \"rate_per_sec\": 2, "
		"\"inflight\": 8, \"user_channels\": true}}\n");
	assert_int_equal(config_load_instance(at("route.json"), &ci, &d), 0);
	assert_int_equal(ci.route.n_events, 2);
	assert_string_equal(ci.route.events[0], "risk.*");
	assert_int_equal(ci.route.n_users, 1);
	assert_int_equal(ci.route.min_severity, QD_SEV_WARNING);
	assert_true(ci.route.rate_per_sec == 2);
	assert_true(ci.route.burst == 2);
	assert_int_equal(ci.route.inflight, 8);
	assert_int_equal(ci.route.user_channels, 1);
	config_instance_clear(&ci);
	put("badroute.json",
		"{\"plugin\": \"notify-webhook\", \"instance\": \"hook\",\n"
		" \"route\": {\"events\": \"risk\", \"min_severity\": \"loud\", "
		"\"inflight\": 0, \"colour\": 1, \"user_channels\": \"yes\"}}\n");
	assert_int_equal(config_load_instance(at("badroute.json"), &ci, &d),
		-1);
	assert_int_equal(d.count, 5);
	snprintf(want, sizeof(want), "%s:2:", at("badroute.json"));
	assert_diag_has(&d, want);
	assert_diag_has(&d, "$.route.events: expected an array of strings");
	assert_diag_has(&d, "$.route.min_severity: expected \"info\", "
		"\"warning\" or \"critical\", found \"loud\"");
	assert_diag_has(&d, "$.route: unknown key \"colour\"");
	assert_diag_has(&d, "$.route.user_channels: expected");
	diag_free(&d);
}

/* An unknown key is reported at the path of the object holding it,
 * whatever its depth, with the key's own line and column: through the
 * loader (one and two levels down; a third through risk.accounts), and
 * config_check_keys() on objects three levels down and in arrays. */
static void
unknown_keys_named_at_their_object(void **unused)
{
	static const char *const keys[] = { "a", "b", NULL };
	static const struct {
		const char *text;
		const char *want;   /* after "DIR/q.json:" */
	} cases[] = {
		{ "{\"plugin_dirs\": [\"p\"],\n \"jobs\": {\"workerz\": 2}}",
		  "2:11: $.jobs: unknown key \"workerz\" (allowed: workers, "
		  "timeout_s," },
		{ "{\"plugin_dirs\": [\"p\"],\n \"notify\": {\"user_urls\": "
		  "{\"allow_private\": true,\n  \"allow_lan\": true}}}",
		  "3:3: $.notify.user_urls: unknown key \"allow_lan\"" },
		{ "{\"plugin_dirs\": [\"p\"],\n \"risk\": {\"accounts\": "
		  "{\"paper-1\": {\"stop_los_pct\": 5}}}}",
		  "2:52: $.risk.accounts[\"paper-1\"].stop_los_pct: unknown "
		  "risk limit \"stop_los_pct\"" },
	};
	static const struct {
		const char *text, *at;    /* at: the object checked */
		const char *want;
	} deep[] = {
		{ "{\"x\": {\"y\": {\"z\": {\"a\": 1,\n \"c\": 2}}}}", "x.y.z",
		  "f.json:2:2: $.x.y.z: unknown key \"c\" (allowed: a, b)" },
		{ "{\"list\": [{\"a\": 1}, {\"b\": 2, \"d\": 3}]}", "list.1",
		  "f.json:1:30: $.list[1]: unknown key \"d\" (allowed: a, b)" },
		{ "{\"x\": {\"rows\": [[{\"a\": 1}], [{\"e\": 4}]]}}",
		  "x.rows.1.0",
		  "f.json:1:31: $.x.rows[1][0]: unknown key \"e\"" },
		{ "{\"x\": {\"odd key\": {\"f\": 0}}}", "x.odd key",
		  "f.json:1:20: $.x[\"odd key\"]: unknown key \"f\"" },
	};
	size_t i;

	(void)unused;
	for (i = 0; i < QD_COUNTOF(cases); i++) {
		struct diag d = { 0 };
		char want[512];

		put("q.json", cases[i].text);
		if (config_load(at("q.json"), &d) != NULL)
			fail_msg("case %zu accepted", i);
		snprintf(want, sizeof(want), "%s:%s", at("q.json"),
			cases[i].want);
		assert_diag_has(&d, want);
		assert_int_equal(d.count, 1);
		diag_free(&d);
	}
	for (i = 0; i < QD_COUNTOF(deep); i++) {
		struct diag d = { 0 };
		struct json_error je;
		struct json_value *doc = json_parse(deep[i].text,
			strlen(deep[i].text), &je);
		const struct json_value *v = doc;
		char step[64];
		const char *p = deep[i].at;

		assert_non_null(doc);
		/* walk "k.k.N": a key, or an index in an array */
		while (*p) {
			size_t n = strcspn(p, ".");

			snprintf(step, sizeof(step), "%.*s", (int)n, p);
			if (v->type == JSON_ARRAY) {
				v = v->child;
				for (long k = atol(step); k > 0; k--)
					v = v->next;
			} else {
				v = json_get(v, step);
			}
			assert_non_null(v);
			p += n + (p[n] == '.');
		}
		config_check_keys(v, keys, "f.json", &d);
		assert_diag_has(&d, deep[i].want);
		assert_int_equal(d.count, 1);
		diag_free(&d);
		json_free(doc);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_builtin_defaults_load),
		cmocka_unit_test(config_resolves_relative_paths),
		cmocka_unit_test(config_static_dir_default_and_off),
		cmocka_unit_test(config_errors_carry_file_line_col_and_path),
		cmocka_unit_test(unknown_keys_named_at_their_object),
		cmocka_unit_test(instance_account_and_risk),
		cmocka_unit_test(instance_route),
		cmocka_unit_test(instance_errors_are_all_reported),
		cmocka_unit_test(bind_checks_params_names_and_references),
		cmocka_unit_test(instance_equality_follows_meaning),
	};

	log_open("/dev/null", QD_LOG_DEBUG);
	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
