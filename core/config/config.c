/*
 * config.c -- loading and checking the daemon and instance configuration.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stddef.h>
#include <sys/stat.h>

#include "config/config.h"
#include "json/json.h"
#include "log/log.h"
#include "market/symbol.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "util/file.h"

#define MAX_CONFIG_BYTES (1u << 20)
#define BUILTIN "<built-in>"

/*
 * The embedded defaults: plugins from the installed plugin directory,
 * instances from the installed quantd.d.  `quantd` with no -c runs these.
 */
const char config_builtin_json[] =
	"{\n"
	"  \"plugin_dirs\": [\"" QD_PLUGINDIR "\"],\n"
	"  \"instances_dir\": \"" QD_SYSCONFDIR "/quantd.d\",\n"
	"  \"state_dir\": \"/tmp/quantd\",\n"
	"  \"listen\": \"127.0.0.1:8080\",\n"
	"  \"storage\": {\"url\": \"quantd.db\"},\n"
	"  \"log\": {\"level\": \"info\"}\n"
	"}\n";

/* The NAME of a "vault:NAME" secret: printable, no spaces, not too long
 * (the credential's AAD must fit). */
static int
credential_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > CONFIG_CREDENTIAL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' ||
		    (unsigned char)name[i] == 0x7f)
			return 0;
	return 1;
}

/* ---- diagnostics --------------------------------------------------------- */

void
diag_add(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (d->len + (size_t)n + 2 > d->cap) {
		size_t cap = (d->cap ? d->cap * 2 : 1024) + (size_t)n + 2;
		char *t = realloc(d->text, cap);

		if (t == NULL)
			return;
		d->text = t;
		d->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(d->text + d->len, d->cap - d->len, fmt, ap);
	va_end(ap);
	d->len += (size_t)n;
	d->text[d->len++] = '\n';
	d->text[d->len] = '\0';
	d->count++;
}

void
diag_free(struct diag *d)
{
	free(d->text);
	memset(d, 0, sizeof(*d));
}

/* Report "FILE:LINE:COL: PATH: msg" for value v. */
static void
bad(struct diag *d, const char *file, const struct json_value *v,
	const char *fmt, ...) QD_PRINTF(4, 5);

static void
bad(struct diag *d, const char *file, const struct json_value *v,
	const char *fmt, ...)
{
	char msg[512], path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_path(v, path, sizeof(path));
	diag_add(d, "%s:%d:%d: %s: %s", file, v->line, v->col, path, msg);
}

/* ---- small helpers ------------------------------------------------------- */

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* `p` if absolute, else `dir`/`p`.  Caller frees. */
static char *
resolve_path(const char *dir, const char *p)
{
	size_t n;
	char *out;

	if (p[0] == '/' || dir == NULL || dir[0] == '\0')
		return strdup(p);
	n = strlen(dir) + strlen(p) + 2;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "%s/%s", dir, p);
	return out;
}

/*
 * Read a whole file (at most MAX_CONFIG_BYTES).  Returns a NUL-terminated
 * buffer and its length, or NULL with the reason in *d.
 */
static char *
read_file(const char *path, size_t *len, struct diag *d)
{
	char *buf;
	FILE *f = fopen(path, "rb");
	int e;

	if (f == NULL) {
		diag_add(d, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	buf = file_read_stream(f, MAX_CONFIG_BYTES, len);
	e = errno;
	fclose(f);
	if (buf == NULL && e == EFBIG)
		diag_add(d, "%s: larger than %u bytes", path,
			MAX_CONFIG_BYTES);
	else if (buf == NULL)
		diag_add(d, "%s: read error: %s", path, strerror(e));
	return buf;
}

static struct json_value *
parse_file(const char *file, const char *text, size_t len, struct diag *d)
{
	struct json_error je;
	struct json_value *v = json_parse(text, len, &je);

	if (v == NULL) {
		diag_add(d, "%s:%d:%d: %s", file, je.line, je.col, je.msg);
		return NULL;
	}
	if (v->type != JSON_OBJECT) {
		bad(d, file, v, "expected an object, found %s",
			json_type_name(v->type));
		json_free(v);
		return NULL;
	}
	return v;
}

void
config_check_keys(const struct json_value *obj, const char *const *allowed,
	const char *file, struct diag *d)
{
	const struct json_value *m;
	char list[512], path[256];
	size_t i, used = 0;

	json_path(obj, path, sizeof(path));
	list[0] = '\0';
	for (i = 0; allowed[i]; i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%s",
			i ? ", " : "", allowed[i]);

		if (w > 0 && (size_t)w < sizeof(list) - used)
			used += (size_t)w;
	}
	for (m = obj->child; m != NULL; m = m->next) {
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], m->key) == 0)
				break;
		if (allowed[i] == NULL)
			diag_add(d, "%s:%d:%d: %s: unknown key \"%s\" (allowed: "
				"%s)", file, m->key_line, m->key_col,
				path, m->key, list);
	}
}

/* 1 if `v` is there and an object (its members checked against `keys`);
 * 0 if absent, or not an object (reported). */
static int
keyed_object(const struct json_value *v, const char *const *keys,
	const char *file, struct diag *d)
{
	if (v == NULL)
		return 0;
	if (v->type != JSON_OBJECT) {
		bad(d, file, v, "expected an object, found %s",
			json_type_name(v->type));
		return 0;
	}
	config_check_keys(v, keys, file, d);
	return 1;
}

/*
 * Member `key` as a string: NULL if absent (and not required) or wrong
 * (reported).  The result points into the tree.
 */
static const char *
get_string(const struct json_value *obj, const char *key, int required,
	const char *file, struct diag *d)
{
	const struct json_value *v = json_get(obj, key);

	if (v == NULL) {
		if (required) {
			char path[256];

			diag_add(d, "%s:%d:%d: %s.%s: required key is missing",
				file, obj->line, obj->col,
				json_path(obj, path, sizeof(path)), key);
		}
		return NULL;
	}
	if (v->type != JSON_STRING || v->len == 0 || strlen(v->str) != v->len) {
		bad(d, file, v, "expected a non-empty string, found %s",
			v->type == JSON_STRING ? "an empty or NUL-containing "
			"string" : json_type_name(v->type));
		return NULL;
	}
	return v->str;
}

/* Member as a bool; `def` if absent or wrong (reported). */
static int
get_bool(const struct json_value *obj, const char *key, int def,
	const char *file, struct diag *d)
{
	const struct json_value *v = json_get(obj, key);

	if (v == NULL)
		return def;
	if (v->type != JSON_BOOL) {
		bad(d, file, v, "expected true or false, found %s",
			json_type_name(v->type));
		return def;
	}
	return v->boolean;
}

/* Member as an integer in [lo, hi]; `def` if absent or wrong (reported). */
static int64_t
get_int(const struct json_value *obj, const char *key, int64_t def,
	int64_t lo, int64_t hi, const char *file, struct diag *d)
{
	const struct json_value *v = json_get(obj, key);

	if (v == NULL)
		return def;
	if (v->type != JSON_NUMBER || !v->is_int) {
		bad(d, file, v, "expected an integer, found %s",
			v->type == JSON_NUMBER ? "a fraction" :
			json_type_name(v->type));
		return def;
	}
	if (v->i < lo || v->i > hi) {
		bad(d, file, v, "%lld is out of range [%lld, %lld]",
			(long long)v->i, (long long)lo, (long long)hi);
		return def;
	}
	return v->i;
}

/*
 * Member as an array of non-empty strings.  Returns the count (0 if absent)
 * with a malloc'd array of strdup'd strings in *out; -1 if wrong (reported).
 */
static long
get_strings(const struct json_value *obj, const char *key, char ***out,
	const char *file, struct diag *d)
{
	const struct json_value *v = json_get(obj, key), *e;
	char **arr;
	size_t i = 0;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (v->type != JSON_ARRAY) {
		bad(d, file, v, "expected an array of strings, found %s",
			json_type_name(v->type));
		return -1;
	}
	if ((arr = calloc(v->n + 1, sizeof(*arr))) == NULL)
		return -1;
	for (e = v->child; e != NULL; e = e->next) {
		if (e->type != JSON_STRING || e->len == 0 ||
		    strlen(e->str) != e->len) {
			bad(d, file, e, "expected a non-empty string, found %s",
				json_type_name(e->type));
			goto fail;
		}
		if ((arr[i++] = strdup(e->str)) == NULL)
			goto fail;
	}
	if (i == 0) {
		free(arr);
		return 0;
	}
	*out = arr;
	return (long)i;
fail:
	while (i > 0)
		free(arr[--i]);
	free(arr);
	return -1;
}

static void
free_strings(char **a, size_t n)
{
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		free(a[i]);
	free(a);
}

static int
instance_name_valid(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) ||
	    strlen(s) > 63)
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

const char *
config_trust_name(enum trust t)
{
	return t == TRUST_SANDBOXED ? "sandboxed" : "trusted";
}


/* The keys of an instance's "limits": default, range. */
struct limit_key {
	const char *key;
	size_t off;
	long def, min, max;
};

#define LIMIT(k, d, lo, hi) { #k, offsetof(struct sandbox_limits, k), d, lo, hi }
static const struct limit_key limit_keys[] = {
	LIMIT(memory_mib, 256, 16, 65536),
	LIMIT(cpu_ms_per_call, 1000, 1, 600000),
	LIMIT(restarts, 5, 0, 1000),
	LIMIT(orders_per_sec, 50, 1, 1000000),
	LIMIT(timers, 1024, 0, 1000000),
	LIMIT(symbols, 1024, 0, 1000000),
	LIMIT(subscriptions, 256, 0, 100000),
	LIMIT(open_orders, 1000, 0, 1000000),
	LIMIT(indicators, 256, 0, 100000),
	LIMIT(annotation_bytes_per_sec, 1048576, 0, 1073741824),
};
#undef LIMIT
#define LIMIT_KEY_LIST "memory_mib, cpu_ms_per_call, restarts, " \
	"orders_per_sec, timers, symbols, subscriptions, open_orders, " \
	"indicators, annotation_bytes_per_sec"

void
config_limits_default(struct sandbox_limits *l)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < QD_COUNTOF(limit_keys); i++)
		*(uint32_t *)((char *)l + limit_keys[i].off) =
			(uint32_t)limit_keys[i].def;
}

/* ---- risk limits and accounts -------------------------------------------- */

struct risk_key {
	const char *key;
	size_t off;
	int is_int;
	double max;
};

#define RK(f, i, m) { #f, offsetof(struct risk_limits, f), i, m }
static const struct risk_key risk_keys[] = {
	RK(max_order_notional, 0, 1e15), RK(max_position_notional, 0, 1e15),
	RK(max_exposure, 0, 1e15), RK(max_open_orders, 1, 1e6),
	RK(price_band_pct, 0, 1000), RK(max_orders, 1, 1e6),
	RK(order_window_s, 1, 86400), RK(stop_loss_pct, 0, 100),
	RK(take_profit_pct, 0, 1e6), RK(stop_loss_abs, 0, 1e15),
	RK(take_profit_abs, 0, 1e15), RK(trailing_stop_pct, 0, 100),
	RK(account_stop_loss_pct, 0, 100), RK(account_take_profit_pct, 0, 1e6),
	RK(account_stop_loss_abs, 0, 1e15), RK(account_take_profit_abs, 0, 1e15),
	RK(daily_loss, 0, 1e15), RK(weekly_loss, 0, 1e15),
	RK(monthly_loss, 0, 1e15), RK(daily_loss_pct, 0, 100),
	RK(weekly_loss_pct, 0, 100), RK(monthly_loss_pct, 0, 100),
	RK(max_drawdown_pct, 0, 100), RK(max_consecutive_losses, 1, 1e6),
	RK(circuit_move_pct, 0, 100), RK(circuit_window_s, 1, 86400),
	RK(circuit_halt_s, 1, 604800),
};
#undef RK

/*
 * A risk limits object: every key a number >= 0 within its range (0 turns
 * the rule off); utc_offset_min a whole number of minutes in
 * [-840, 840].  Every problem is reported; what is valid is kept.
 */
int
config_parse_risk(const struct json_value *obj, struct risk_limits *out,
	const char *file, struct diag *d)
{
	int before = d->count;
	const struct json_value *m;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (obj->type != JSON_OBJECT) {
		bad(d, file, obj, "expected an object of risk limits, found %s",
			json_type_name(obj->type));
		return -1;
	}
	for (m = obj->child; m != NULL; m = m->next) {
		if (strcmp(m->key, "utc_offset_min") == 0) {
			out->utc_offset_min = (int)get_int(obj, m->key, 0, -840,
				840, file, d);
			continue;
		}
		for (i = 0; i < QD_COUNTOF(risk_keys); i++)
			if (strcmp(risk_keys[i].key, m->key) == 0)
				break;
		if (i == QD_COUNTOF(risk_keys)) {
			bad(d, file, m, "unknown risk limit \"%s\" (see "
				"docs/trading.md for the list)", m->key);
			continue;
		}
		if (m->type != JSON_NUMBER || !(m->num >= 0) ||
		    m->num > risk_keys[i].max ||
		    (risk_keys[i].is_int && !m->is_int)) {
			bad(d, file, m, "expected %s from 0 to %g", risk_keys[i]
				.is_int ? "a whole number" : "a number",
				risk_keys[i].max);
			continue;
		}
		if (risk_keys[i].is_int)
			*(int *)((char *)out + risk_keys[i].off) = (int)m->i;
		else
			*(double *)((char *)out + risk_keys[i].off) = m->num;
	}
	return d->count == before ? 0 : -1;
}

/* Member `key` as a number in [lo, hi]; `def` if absent or wrong. */
static double
get_number(const struct json_value *obj, const char *key, double def,
	double lo, double hi, const char *file, struct diag *d)
{
	const struct json_value *v = json_get(obj, key);

	if (v == NULL)
		return def;
	if (v->type != JSON_NUMBER || !(v->num >= lo) || !(v->num <= hi)) {
		bad(d, file, v, "expected a number from %g to %g", lo, hi);
		return def;
	}
	return v->num;
}

/* An asset name: what a BASE/QUOTE symbol's quote may be. */
static int
symbol_valid_asset_of(const char *asset)
{
	char sym[40];

	snprintf(sym, sizeof(sym), "X/%s", asset);
	return symbol_valid(sym);
}

static void
parse_account(const struct json_value *v, struct config_account *a,
	const char *file, struct diag *d)
{
	static const char *const keys[] = { "id", "venue", "quote",
		"balance", "maker_fee", "taker_fee", "slippage_bps",
		"latency_ms", "margin", NULL };

	a->balance = 10000;
	a->maker_fee = a->taker_fee = 0.001;
	a->margin = 1;
	a->parsed = 1;
	if (!keyed_object(v, keys, file, d))
		return;
	a->id = dup_or_null(get_string(v, "id", 0, file, d));
	a->venue = dup_or_null(get_string(v, "venue", 0, file, d));
	a->quote = dup_or_null(get_string(v, "quote", 0, file, d));
	if (a->quote != NULL && (strchr(a->quote, '/') != NULL ||
	    strlen(a->quote) > 15 || !symbol_valid_asset_of(a->quote)))
		bad(d, file, json_get(v, "quote"), "expected an asset in upper "
			"case, e.g. \"USDT\"");
	a->balance = get_number(v, "balance", 10000, 0, 1e15, file, d);
	a->maker_fee = get_number(v, "maker_fee", 0.001, -0.01, 0.1, file, d);
	a->taker_fee = get_number(v, "taker_fee", 0.001, -0.01, 0.1, file, d);
	a->slippage_bps = get_number(v, "slippage_bps", 0, 0, 10000, file, d);
	a->latency_ms = (int)get_int(v, "latency_ms", 0, 0, 60000, file, d);
	a->margin = get_bool(v, "margin", 1, file, d);
}

/* ---- instance files ------------------------------------------------------ */

static const char *const instance_keys[] = {
	"plugin", "instance", "trust", "enabled", "params", "limits",
	"symbols", "timeframes", "exchange", "secrets", "account", "risk",
	"route", NULL
};

static const char *const severity_names[] = { "info", "warning",
	"critical", NULL };

/* A notifier's "route" (struct config_route). */
static void
parse_route(const struct json_value *v, struct config_route *r,
	const char *file, struct diag *d)
{
	static const char *const keys[] = { "events", "users",
		"min_severity", "rate_per_sec", "burst", "recipient_per_sec",
		"inflight", "user_channels", NULL };
	const char *s;
	long n;
	int i;

	r->inflight = 4;
	if (!keyed_object(v, keys, file, d))
		return;
	if ((n = get_strings(v, "events", &r->events, file, d)) > 0)
		r->n_events = (size_t)n;
	if ((n = get_strings(v, "users", &r->users, file, d)) > 0)
		r->n_users = (size_t)n;
	if ((s = get_string(v, "min_severity", 0, file, d)) != NULL) {
		for (i = 0; severity_names[i]; i++)
			if (strcmp(s, severity_names[i]) == 0)
				break;
		if (severity_names[i] == NULL)
			bad(d, file, json_get(v, "min_severity"), "expected "
				"\"info\", \"warning\" or \"critical\", "
				"found \"%s\"", s);
		else
			r->min_severity = i;
	}
	r->has_rate = json_get(v, "rate_per_sec") != NULL ||
	    json_get(v, "burst") != NULL;
	r->has_recipient_rate = json_get(v, "recipient_per_sec") != NULL;
	r->rate_per_sec = get_number(v, "rate_per_sec", 0, 0, 1e6, file, d);
	r->burst = get_number(v, "burst", r->rate_per_sec > 1 ?
	    r->rate_per_sec : 1, 1, 1e6, file, d);
	r->recipient_per_sec = get_number(v, "recipient_per_sec", 0, 0, 1e6,
		file, d);
	r->inflight = (uint32_t)get_int(v, "inflight", 4, 1, 1024, file, d);
	r->user_channels = get_bool(v, "user_channels", 0, file, d);
}

static void
route_clear(struct config_route *r)
{
	free_strings(r->events, r->n_events);
	free_strings(r->users, r->n_users);
	memset(r, 0, sizeof(*r));
}

void
config_notify_default(struct config_notify *n)
{
	n->max_attempts = 10;
	n->backoff_ms = 2000;
	n->backoff_max_ms = 600000;
	n->send_timeout_ms = 60000;
	n->retention_days = 7;
	n->feed_down_s = 60;
}

void
config_instance_clear(struct config_instance *ci)
{
	free(ci->file);
	free(ci->plugin);
	free(ci->instance);
	json_free(ci->doc);
	free_strings(ci->symbols, ci->n_symbols);
	free(ci->timeframes);
	free(ci->exchange);
	free(ci->account.id);
	free(ci->account.venue);
	free(ci->account.quote);
	route_clear(&ci->route);
	params_free(ci->values);
	memset(ci, 0, sizeof(*ci));
}

int
config_load_instance(const char *file, struct config_instance *ci,
	struct diag *d)
{
	size_t len;
	char *text = read_file(file, &len, d);
	int rc;

	memset(ci, 0, sizeof(*ci));
	if (text == NULL)
		return -1;
	rc = config_parse_instance(file, text, len, ci, d);
	free(text);
	return rc;
}

int
config_parse_instance(const char *file, const char *text, size_t len,
	struct config_instance *ci, struct diag *d)
{
	int before = d->count;
	const struct json_value *v, *lim, *sec, *m;
	const char *s;
	char **tfs = NULL;
	long n;

	memset(ci, 0, sizeof(*ci));
	ci->doc = parse_file(file, text, len, d);
	if ((ci->file = strdup(file)) == NULL || ci->doc == NULL)
		goto fail;
	config_check_keys(ci->doc, instance_keys, file, d);
	ci->plugin = dup_or_null(get_string(ci->doc, "plugin", 1, file, d));
	s = get_string(ci->doc, "instance", 1, file, d);
	if (s != NULL && !instance_name_valid(s))
		bad(d, file, json_get(ci->doc, "instance"), "invalid instance "
			"name \"%s\"; expected [a-z0-9][a-z0-9._-]*, at most "
			"63 bytes", s);
	ci->instance = dup_or_null(s);
	if ((s = get_string(ci->doc, "trust", 0, file, d)) != NULL) {
		if (strcmp(s, "trusted") == 0)
			ci->trust = TRUST_TRUSTED;
		else if (strcmp(s, "sandboxed") == 0)
			ci->trust = TRUST_SANDBOXED;
		else
			bad(d, file, json_get(ci->doc, "trust"), "expected "
				"\"trusted\" or \"sandboxed\", found \"%s\"", s);
	}
	ci->enabled = get_bool(ci->doc, "enabled", 1, file, d);
	if ((v = json_get(ci->doc, "params")) != NULL) {
		if (v->type != JSON_OBJECT)
			bad(d, file, v, "expected an object, found %s",
				json_type_name(v->type));
		else
			ci->params = v;
	}
	config_limits_default(&ci->limits);
	if ((lim = json_get(ci->doc, "limits")) != NULL) {
		if (lim->type != JSON_OBJECT) {
			bad(d, file, lim, "expected an object, found %s",
				json_type_name(lim->type));
		} else {
			size_t i;

			for (m = lim->child; m; m = m->next) {
				for (i = 0; i < QD_COUNTOF(limit_keys); i++)
					if (!strcmp(limit_keys[i].key, m->key))
						break;
				if (i == QD_COUNTOF(limit_keys))
					bad(d, file, m, "unknown key (allowed: "
						"%s)", LIMIT_KEY_LIST);
			}
			for (i = 0; i < QD_COUNTOF(limit_keys); i++) {
				const struct limit_key *k = &limit_keys[i];

				*(uint32_t *)((char *)&ci->limits + k->off) =
					(uint32_t)get_int(lim, k->key, k->def,
					k->min, k->max, file, d);
			}
		}
	}
	n = get_strings(ci->doc, "symbols", &ci->symbols, file, d);
	if (n > 0) {
		long i;

		ci->n_symbols = (size_t)n;
		v = json_get(ci->doc, "symbols");
		for (i = 0, m = v->child; i < n; i++, m = m->next)
			if (!symbol_valid(ci->symbols[i]))
				bad(d, file, m, "invalid symbol \"%s\"; expected "
					"BASE/QUOTE in upper case, e.g. "
					"\"BTC/USDT\"", ci->symbols[i]);
	}
	n = get_strings(ci->doc, "timeframes", &tfs, file, d);
	if (n > 0) {
		long i;

		v = json_get(ci->doc, "timeframes");
		ci->timeframes = calloc((size_t)n, sizeof(uint32_t));
		if (ci->timeframes == NULL) {
			free_strings(tfs, (size_t)n);
			goto fail;
		}
		ci->n_timeframes = (size_t)n;
		for (i = 0, m = v->child; i < n; i++, m = m->next)
			if ((ci->timeframes[i] = qd_timeframe_parse(tfs[i])) == 0)
				bad(d, file, m, "unknown timeframe \"%s\"; "
					"expected one of 1m 3m 5m 15m 30m 1h "
					"2h 4h 6h 12h 1d 1w", tfs[i]);
		free_strings(tfs, (size_t)n);
	}
	ci->exchange = dup_or_null(get_string(ci->doc, "exchange", 0, file, d));
	parse_account(json_get(ci->doc, "account"), &ci->account, file, d);
	if ((v = json_get(ci->doc, "risk")) != NULL)
		ci->has_risk = config_parse_risk(v, &ci->risk, file, d) == 0;
	parse_route(json_get(ci->doc, "route"), &ci->route, file, d);
	if ((sec = json_get(ci->doc, "secrets")) != NULL) {
		if (sec->type != JSON_OBJECT)
			bad(d, file, sec, "expected an object, found %s",
				json_type_name(sec->type));
		for (m = sec->type == JSON_OBJECT ? sec->child : NULL; m;
		     m = m->next)
			if (m->type == JSON_STRING &&
			    strncmp(m->str, "vault:", 6) == 0) {
				if (!credential_name_ok(m->str + 6))
					bad(d, file, m, "\"vault:NAME\" needs "
						"the credential's name: 1-%d "
						"printable characters, no "
						"spaces",
						CONFIG_CREDENTIAL_MAX);
			} else if (m->type != JSON_STRING ||
			    (strncmp(m->str, "env:", 4) != 0 &&
			    strncmp(m->str, "file:", 5) != 0)) {
				bad(d, file, m, "a secret must be a reference "
					"\"env:VARIABLE\", \"file:PATH\" or "
					"\"vault:NAME\", never the value "
					"itself");
			}
	}
	if (d->count == before)
		return 0;
fail:
	config_instance_clear(ci);
	return -1;
}

/* ---- daemon config ------------------------------------------------------- */

/* "api": the server's TLS files, static files, CORS and limits. */
static void
parse_api(const struct json_value *doc, struct config *c, const char *file,
	struct diag *d)
{
	static const char *const keys[] = {
		"enabled", "tls_cert", "tls_key", "static_dir", "cors_origins",
		"body_max", "timeout_s", "jwt_secret", "master_keys",
		"registration", "access_ttl_s", NULL
	};
	const struct json_value *v = json_get(doc, "api"), *sd;
	const char *s;

	c->api.enabled = 1;
	c->api.body_max = 1024 * 1024;
	c->api.timeout_s = 10;
	c->api.access_ttl_s = 900;
	/* The installed dashboard unless "static_dir" names other files (or
	 * none, ""); none when it was not installed. */
	if (access(QD_WEBDIR "/index.html", R_OK) == 0)
		c->api.static_dir = strdup(QD_WEBDIR);
	if (!keyed_object(v, keys, file, d))
		return;
	c->api.enabled = get_bool(v, "enabled", 1, file, d);
	if ((s = get_string(v, "tls_cert", 0, file, d)) != NULL)
		c->api.tls_cert = resolve_path(c->dir, s);
	if ((s = get_string(v, "tls_key", 0, file, d)) != NULL)
		c->api.tls_key = resolve_path(c->dir, s);
	if ((c->api.tls_cert == NULL) != (c->api.tls_key == NULL))
		bad(d, file, v, "TLS needs both \"tls_cert\" and "
			"\"tls_key\"");
	for (const char *k = "tls_cert"; k != NULL;
	    k = strcmp(k, "tls_cert") == 0 ? "tls_key" : NULL) {
		const char *path = k[4] == 'c' ? c->api.tls_cert :
			c->api.tls_key;

		if (path != NULL && access(path, R_OK) != 0)
			bad(d, file, json_get(v, k), "cannot read %s: %s",
				path, strerror(errno));
	}
	if ((sd = json_get(v, "static_dir")) != NULL &&
	    sd->type == JSON_STRING && sd->len == 0) {
		free(c->api.static_dir);     /* "": no dashboard */
		c->api.static_dir = NULL;
	} else if ((s = get_string(v, "static_dir", 0, file, d)) != NULL) {
		free(c->api.static_dir);
		c->api.static_dir = resolve_path(c->dir, s);
	}
	if (json_get(v, "cors_origins") != NULL) {
		char **list = NULL;
		long n = get_strings(v, "cors_origins", &list, file, d);
		size_t len = 1;

		for (long i = 0; i < n; i++)
			len += strlen(list[i]) + 1;
		if (n > 0 && (c->api.cors_origins = calloc(1, len)) != NULL)
			for (long i = 0; i < n; i++) {
				if (i)
					strcat(c->api.cors_origins, ",");
				strcat(c->api.cors_origins, list[i]);
			}
		for (long i = 0; i < n; i++)
			free(list[i]);
		free(list);
	}
	c->api.body_max = (size_t)get_int(v, "body_max", 1024 * 1024, 1024,
		256 * 1024 * 1024, file, d);
	c->api.timeout_s = (unsigned)get_int(v, "timeout_s", 10, 1, 3600,
		file, d);
	if ((s = get_string(v, "jwt_secret", 0, file, d)) != NULL) {
		if (strncmp(s, "env:", 4) != 0 && strncmp(s, "file:", 5) != 0)
			bad(d, file, json_get(v, "jwt_secret"), "a secret "
				"must be a reference \"env:VARIABLE\" or "
				"\"file:PATH\", never the value itself");
		else
			c->api.jwt_secret = strdup(s);
	}
	if ((s = get_string(v, "master_keys", 0, file, d)) != NULL)
		c->api.master_keys = strdup(s);
	if ((s = get_string(v, "registration", 0, file, d)) != NULL) {
		if (strcmp(s, "open") != 0 && strcmp(s, "closed") != 0)
			bad(d, file, json_get(v, "registration"), "expected "
				"\"open\" or \"closed\", found \"%s\"", s);
		c->api.registration_open = strcmp(s, "open") == 0;
	}
	c->api.access_ttl_s = (int)get_int(v, "access_ttl_s", 900, 30, 86400,
		file, d);
}

/*
 * "jobs.max_queued_per_user": a number for every plan, or an object of
 * plan names (and "default" for the others) to numbers.
 */
static void
parse_jobs_queue(const struct json_value *v, struct config *c,
	const char *file, struct diag *d)
{
	const struct json_value *q = json_get(v, "max_queued_per_user"), *m;
	size_t n = 0;

	if (q == NULL || q->type != JSON_OBJECT) {
		c->jobs.max_queued = (size_t)get_int(v, "max_queued_per_user",
			10, 0, 1000000, file, d);
		return;
	}
	c->jobs.plan_names = calloc(q->n + 1, sizeof(char *));
	c->jobs.plan_max = calloc(q->n + 1, sizeof(size_t));
	if (c->jobs.plan_names == NULL || c->jobs.plan_max == NULL) {
		diag_add(d, "%s: out of memory", file);
		return;
	}
	for (m = q->child; m != NULL; m = m->next) {
		if (m->type != JSON_NUMBER || !m->is_int || m->i < 0 ||
		    m->i > 1000000) {
			bad(d, file, m, "expected a number of jobs from 0 to "
				"1000000");
			continue;
		}
		if (strcmp(m->key, "default") == 0) {
			c->jobs.max_queued = (size_t)m->i;
			continue;
		}
		if ((c->jobs.plan_names[n] = strdup(m->key)) == NULL)
			continue;
		c->jobs.plan_max[n++] = (size_t)m->i;
	}
	c->jobs.n_plans = n;
}

static const char *const daemon_keys[] = {
	"plugin_dirs", "instances_dir", "state_dir", "control_socket",
	"listen", "storage", "log", "sandbox_helper", "sandbox_plugin_dirs",
	"ca_file", "risk", "trading", "api", "alerts", "notify", "jobs", NULL
};

static int
instance_file_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every *.json of the instances directory into c. */
static void
load_instances(struct config *c, struct diag *d)
{
	DIR *dir = opendir(c->instances_dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (dir == NULL) {
		if (errno != ENOENT)
			diag_add(d, "%s: cannot read instances directory: %s",
				c->instances_dir, strerror(errno));
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 6 ||
		    strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 16;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL)
				break;
			names = nn;
		}
		if ((names[n] = resolve_path(c->instances_dir, e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(dir);
	if (n > 0)
		qsort(names, n, sizeof(*names), instance_file_cmp);
	c->instances = calloc(n ? n : 1, sizeof(*c->instances));
	for (i = 0; i < n; i++) {
		if (c->instances != NULL &&
		    config_load_instance(names[i],
		    &c->instances[c->n_instances], d) == 0)
			c->n_instances++;
		free(names[i]);
	}
	free(names);
}

char *
config_storage_url(const char *state_dir, const char *url)
{
	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0 ||
	    strncmp(url, "env:", 4) == 0)
		return strdup(url);
	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	return resolve_path(state_dir, url);
}

struct config *
config_load(const char *path, struct diag *d)
{
	struct config *c = calloc(1, sizeof(*c));
	struct json_value *doc = NULL;
	const struct json_value *v, *m;
	const char *file = path ? path : BUILTIN, *s;
	char *text = NULL;
	size_t len = 0;
	int before = d->count;
	long n;

	if (c == NULL)
		return NULL;
	if (path != NULL) {
		char *slash;

		if ((text = read_file(path, &len, d)) == NULL)
			goto fail;
		c->dir = strdup(path);
		if (c->dir == NULL)
			goto fail;
		if ((slash = strrchr(c->dir, '/')) != NULL)
			*slash = '\0';
		else
			strcpy(c->dir, ".");
		doc = parse_file(path, text, len, d);
	} else {
		c->dir = strdup(".");
		doc = parse_file(BUILTIN, config_builtin_json,
			strlen(config_builtin_json), d);
	}
	free(text);
	if (doc == NULL || c->dir == NULL || (c->path = strdup(file)) == NULL)
		goto fail;
	config_check_keys(doc, daemon_keys, file, d);

	n = get_strings(doc, "plugin_dirs", &c->plugin_dirs, file, d);
	if (n > 0) {
		long i;

		c->n_plugin_dirs = (size_t)n;
		for (i = 0; i < n; i++) {
			char *p = resolve_path(c->dir, c->plugin_dirs[i]);

			free(c->plugin_dirs[i]);
			c->plugin_dirs[i] = p;
		}
	} else if (n == 0) {
		diag_add(d, "%s:%d:%d: $.plugin_dirs: at least one plugin "
			"directory is required", file, doc->line, doc->col);
	}
	n = get_strings(doc, "sandbox_plugin_dirs", &c->sandbox_plugin_dirs,
		file, d);
	if (n > 0) {
		long i;

		c->n_sandbox_plugin_dirs = (size_t)n;
		for (i = 0; i < n; i++) {
			char *p = resolve_path(c->dir,
				c->sandbox_plugin_dirs[i]);

			free(c->sandbox_plugin_dirs[i]);
			c->sandbox_plugin_dirs[i] = p;
		}
	}
	s = get_string(doc, "instances_dir", 0, file, d);
	c->instances_dir = resolve_path(c->dir, s ? s : "quantd.d");
	s = get_string(doc, "state_dir", 0, file, d);
	c->state_dir = resolve_path(c->dir, s ? s : "var");
	s = get_string(doc, "control_socket", 0, file, d);
	c->control_socket = s ? resolve_path(c->dir, s) :
		resolve_path(c->state_dir, "quantd.sock");
	s = get_string(doc, "listen", 0, file, d);
	c->listen = strdup(s ? s : "127.0.0.1:8080");
	parse_api(doc, c, file, d);
	s = get_string(doc, "sandbox_helper", 0, file, d);
	c->sandbox_helper = s ? resolve_path(c->dir, s) :
		strdup(QD_LIBEXECDIR "/quantd-sandbox");
	s = get_string(doc, "ca_file", 0, file, d);
	c->ca_file = s ? resolve_path(c->dir, s) : NULL;
	if (c->ca_file != NULL && access(c->ca_file, R_OK) != 0)
		bad(d, file, json_get(doc, "ca_file"), "cannot read %s: %s",
			c->ca_file, strerror(errno));

	c->storage.trades_retention_days = 7;
	c->storage.flush_rows = 5000;
	c->storage.flush_ms = 200;
	c->storage.queue_rows = 65536;
	c->storage.backlog_rows = 1000000;
	c->storage.enabled = 1;
	if ((v = json_get(doc, "storage")) != NULL) {
		static const char *const keys[] = {
			"url", "backend", "path", "dsn", "enabled", "trades",
			"trades_retention_days", "flush_rows", "flush_ms",
			"queue_rows", "backlog_rows", NULL
		};
		const char *url, *backend, *file_path, *dsn;

		if (v->type != JSON_OBJECT) {
			bad(d, file, v, "expected an object, found %s",
				json_type_name(v->type));
		} else {
			config_check_keys(v, keys, file, d);
			url = get_string(v, "url", 0, file, d);
			backend = get_string(v, "backend", 0, file, d);
			file_path = get_string(v, "path", 0, file, d);
			dsn = get_string(v, "dsn", 0, file, d);
			if (backend != NULL && strcmp(backend, "sqlite") &&
			    strcmp(backend, "postgres") &&
			    strcmp(backend, "postgresql"))
				bad(d, file, json_get(v, "backend"), "expected "
					"\"sqlite\" or \"postgresql\", found "
					"\"%s\"", backend);
			if (url != NULL && (backend || file_path || dsn))
				bad(d, file, json_get(v, "url"), "give either "
					"\"url\" or backend/path/dsn, not both");
			if (backend != NULL && backend[0] == 'p' &&
			    dsn == NULL && url == NULL)
				bad(d, file, json_get(v, "backend"), "the "
					"postgresql backend needs \"dsn\" (a "
					"postgresql:// URL or env:VAR)");
			if (url == NULL)
				url = backend != NULL && backend[0] == 'p' ?
				    dsn : file_path;
			if (url != NULL)
				c->storage.url = config_storage_url(c->state_dir,
					url);
			c->storage.enabled = get_bool(v, "enabled", 1, file, d);
			c->storage.trades = get_bool(v, "trades", 0, file, d);
			c->storage.trades_retention_days = (int)get_int(v,
				"trades_retention_days", 7, 0, 36500, file, d);
			c->storage.flush_rows = (int)get_int(v, "flush_rows",
				5000, 1, 1000000, file, d);
			c->storage.flush_ms = (int)get_int(v, "flush_ms", 200,
				1, 60000, file, d);
			c->storage.queue_rows = (size_t)get_int(v,
				"queue_rows", 65536, 16, 16777216, file, d);
			c->storage.backlog_rows = (size_t)get_int(v,
				"backlog_rows", 1000000, 0, 100000000, file, d);
		}
	}
	if (c->storage.url == NULL)
		c->storage.url = config_storage_url(c->state_dir, "quantd.db");
	c->kelly_cap = 0.25;
	if ((v = json_get(doc, "risk")) != NULL) {
		static const char *const keys[] = { "global", "instances",
			"accounts", "kelly_cap", NULL };

		if (v->type != JSON_OBJECT) {
			bad(d, file, v, "expected an object, found %s",
				json_type_name(v->type));
		} else {
			const struct json_value *g;

			config_check_keys(v, keys, file, d);
			if ((g = json_get(v, "global")) != NULL)
				config_parse_risk(g, &c->risk_global, file, d);
			if ((g = json_get(v, "instances")) != NULL)
				config_parse_risk(g, &c->risk_instance, file,
					d);
			if ((g = json_get(v, "accounts")) != NULL &&
			    g->type != JSON_OBJECT) {
				bad(d, file, g, "expected an object of account "
					"ids to limits, found %s",
					json_type_name(g->type));
			} else if (g != NULL && g->n > 0) {
				const struct json_value *am;
				size_t k = 0;

				c->risk_account_ids = calloc(g->n,
					sizeof(char *));
				c->risk_accounts = calloc(g->n,
					sizeof(*c->risk_accounts));
				for (am = g->child; am && c->risk_accounts &&
				     c->risk_account_ids; am = am->next) {
					if (config_parse_risk(am,
					    &c->risk_accounts[k], file, d) != 0)
						continue;
					if ((c->risk_account_ids[k] =
					    strdup(am->key)) != NULL)
						k++;
				}
				c->n_risk_accounts = k;
			}
			c->kelly_cap = get_number(v, "kelly_cap", 0.25, 0, 1,
				file, d);
		}
	}
	if ((v = json_get(doc, "trading")) != NULL) {
		static const char *const keys[] = { "durability", NULL };
		const char *du;

		if (v->type != JSON_OBJECT) {
			bad(d, file, v, "expected an object, found %s",
				json_type_name(v->type));
		} else {
			config_check_keys(v, keys, file, d);
			du = get_string(v, "durability", 0, file, d);
			if (du != NULL && strcmp(du, "process") &&
			    strcmp(du, "power"))
				bad(d, file, json_get(v, "durability"),
					"expected \"process\" (survives the "
					"process being killed) or \"power\" "
					"(an fsync per commit), found \"%s\"",
					du);
			c->trading_power_safe = du != NULL &&
				strcmp(du, "power") == 0;
		}
	}

	c->alerts_max_per_user = 1000;
	if ((v = json_get(doc, "alerts")) != NULL) {
		static const char *const keys[] = { "max_per_user", NULL };

		if (v->type != JSON_OBJECT) {
			bad(d, file, v, "expected an object, found %s",
				json_type_name(v->type));
		} else {
			config_check_keys(v, keys, file, d);
			c->alerts_max_per_user = (size_t)get_int(v,
				"max_per_user", 1000, 0, 100000000, file, d);
		}
	}

	c->jobs.timeout_s = 3600;
	c->jobs.max_queued = 10;
	c->jobs.retention_s = 30 * 86400;
	c->jobs.retention_max = 10000;
	if ((v = json_get(doc, "jobs")) != NULL) {
		static const char *const keys[] = { "workers", "timeout_s",
			"quantctl", "max_queued_per_user", "retention_s",
			"retention_max", NULL };

		if (v->type != JSON_OBJECT) {
			bad(d, file, v, "expected an object, found %s",
				json_type_name(v->type));
		} else {
			config_check_keys(v, keys, file, d);
			c->jobs.workers = (unsigned)get_int(v, "workers", 0, 0,
				1024, file, d);
			c->jobs.timeout_s = (unsigned)get_int(v, "timeout_s",
				3600, 1, 86400 * 7, file, d);
			c->jobs.retention_s = (unsigned)get_int(v,
				"retention_s", 30 * 86400, 0, 86400 * 3650,
				file, d);
			c->jobs.retention_max = (size_t)get_int(v,
				"retention_max", 10000, 0, 100000000, file, d);
			parse_jobs_queue(v, c, file, d);
			s = get_string(v, "quantctl", 0, file, d);
			if (s != NULL)
				c->jobs.quantctl = resolve_path(c->dir, s);
		}
	}

	config_notify_default(&c->notify);
	if ((v = json_get(doc, "notify")) != NULL) {
		static const char *const keys[] = { "max_attempts",
			"backoff_ms", "backoff_max_ms", "send_timeout_ms",
			"retention_days", "feed_down_s", "user_urls", NULL };
		static const char *const ukeys[] = { "allow_private", NULL };
		struct config_notify *cn = &c->notify;
		const struct json_value *u;

		if (v->type != JSON_OBJECT) {
			bad(d, file, v, "expected an object, found %s",
				json_type_name(v->type));
		} else {
			config_check_keys(v, keys, file, d);
			cn->max_attempts = (uint32_t)get_int(v, "max_attempts",
				cn->max_attempts, 1, 1000, file, d);
			cn->backoff_ms = get_int(v, "backoff_ms", cn->backoff_ms,
				1, 86400000, file, d);
			cn->backoff_max_ms = get_int(v, "backoff_max_ms",
				cn->backoff_max_ms, 1, 86400000, file, d);
			cn->send_timeout_ms = get_int(v, "send_timeout_ms",
				cn->send_timeout_ms, 100, 3600000, file, d);
			cn->retention_days = (int)get_int(v, "retention_days",
				cn->retention_days, 1, 3650, file, d);
			cn->feed_down_s = (int)get_int(v, "feed_down_s",
				cn->feed_down_s, 0, 86400, file, d);
			if ((u = json_get(v, "user_urls")) != NULL &&
			    u->type != JSON_OBJECT) {
				bad(d, file, u, "expected an object "
					"({\"allow_private\": true|false}), found "
					"%s", json_type_name(u->type));
			} else if (u != NULL) {
				config_check_keys(u, ukeys, file, d);
				cn->user_urls_allow_private = get_bool(u,
					"allow_private", 0, file, d);
			}
			if (cn->backoff_max_ms < cn->backoff_ms)
				bad(d, file, json_get(v, "backoff_max_ms"),
					"backoff_max_ms (%lld) is below "
					"backoff_ms (%lld)",
					(long long)cn->backoff_max_ms,
					(long long)cn->backoff_ms);
		}
	}

	c->log_level = QD_LOG_INFO;
	if ((v = json_get(doc, "log")) != NULL) {
		if (v->type != JSON_OBJECT) {
			bad(d, file, v, "expected an object, found %s",
				json_type_name(v->type));
		} else {
			for (m = v->child; m; m = m->next)
				if (strcmp(m->key, "level") &&
				    strcmp(m->key, "file"))
					bad(d, file, m, "unknown key (allowed: "
						"level, file)");
			if ((s = get_string(v, "level", 0, file, d)) != NULL) {
				int lv = log_level_parse(s);

				if (lv < 0)
					bad(d, file, json_get(v, "level"),
						"expected error, warn, info "
						"or debug, found \"%s\"", s);
				else
					c->log_level = lv;
			}
			if ((s = get_string(v, "file", 0, file, d)) != NULL)
				c->log_file = resolve_path(c->dir, s);
		}
	}
	json_free(doc);
	doc = NULL;
	if (d->count != before)
		goto fail;
	/* A broken instance file is left out with its problems in d; the
	 * rest are returned, so binding can report their problems too. */
	load_instances(c, d);
	return c;
fail:
	json_free(doc);
	config_free(c);
	return NULL;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->dir);
	free_strings(c->plugin_dirs, c->n_plugin_dirs);
	free_strings(c->sandbox_plugin_dirs, c->n_sandbox_plugin_dirs);
	free(c->instances_dir);
	free(c->state_dir);
	free(c->control_socket);
	free(c->listen);
	free(c->api.tls_cert);
	free(c->api.tls_key);
	free(c->api.static_dir);
	free(c->api.cors_origins);
	free(c->api.jwt_secret);
	free(c->api.master_keys);
	free(c->sandbox_helper);
	free(c->jobs.quantctl);
	for (size_t k = 0; k < c->jobs.n_plans; k++)
		free(c->jobs.plan_names[k]);
	free(c->jobs.plan_names);
	free(c->jobs.plan_max);
	free(c->ca_file);
	free_strings(c->risk_account_ids, c->n_risk_accounts);
	free(c->risk_accounts);
	free(c->storage.url);
	free(c->log_file);
	for (i = 0; i < c->n_instances; i++)
		config_instance_clear(&c->instances[i]);
	free(c->instances);
	free(c);
}

const struct config_instance *
config_find_instance(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_instances; i++)
		if (c->instances[i].instance != NULL &&
		    strcmp(c->instances[i].instance, name) == 0)
			return &c->instances[i];
	return NULL;
}

/* ---- binding to plugins -------------------------------------------------- */

int
config_bind(struct config *c, const struct plugin_registry *r,
	struct diag *d, struct diag *warn)
{
	int before = d->count;
	size_t i, j;

	for (i = 0; i < c->n_instances; i++) {
		struct config_instance *ci = &c->instances[i];
		const struct json_value *doc = ci->doc;
		const struct plugin *p = plugin_find(r, ci->plugin);
		const struct qd_plugin *desc;
		enum qd_kind kind;
		char err[4096];

		for (j = 0; j < i; j++)
			if (strcmp(c->instances[j].instance, ci->instance) == 0)
				bad(d, ci->file, json_get(doc, "instance"),
					"instance \"%s\" is already defined in "
					"%s", ci->instance,
					c->instances[j].file);
		if (p == NULL) {
			if (warn != NULL)
				bad(warn, ci->file, json_get(doc, "plugin"),
					"no plugin named \"%s\" is loaded "
					"(quantctl plugin list shows what is, "
					"and why a file was refused); the "
					"instance will not start", ci->plugin);
			continue;
		}
		desc = plugin_desc(p);
		kind = desc->kind;
		if (plugin_sandbox_only(p)) {
			const struct json_value *t = json_get(doc, "trust");

			if (t == NULL)
				ci->trust = TRUST_SANDBOXED;
			else if (ci->trust != TRUST_SANDBOXED)
				bad(d, ci->file, t, "plugin \"%s\" comes from a "
					"sandbox plugin directory: it can only "
					"run \"sandboxed\"", ci->plugin);
		}
		if (kind != QD_KIND_STRATEGY && kind != QD_KIND_EXCHANGE) {
			if (json_get(doc, "symbols"))
				bad(d, ci->file, json_get(doc, "symbols"),
					"only strategy and exchange instances "
					"take symbols; \"%s\" is %s %s",
					ci->plugin, kind == QD_KIND_INDICATOR ?
					"an" : "a", plugin_kind_name(kind));
			if (json_get(doc, "timeframes"))
				bad(d, ci->file, json_get(doc, "timeframes"),
					"only strategy and exchange instances "
					"take timeframes");
		}
		if (kind != QD_KIND_NOTIFIER && json_get(doc, "route"))
			bad(d, ci->file, json_get(doc, "route"), "only notifier "
				"instances take a route; \"%s\" is %s %s",
				ci->plugin, kind == QD_KIND_INDICATOR ? "an" :
				"a", plugin_kind_name(kind));
		if (kind == QD_KIND_NOTIFIER && ci->plugin != NULL) {
			/* The channels' documented limits, unless set. */
			if (!ci->route.has_rate &&
			    strcmp(ci->plugin, "notify-telegram") == 0) {
				ci->route.rate_per_sec = 30;
				ci->route.burst = 30;
			} else if (!ci->route.has_rate &&
			    strcmp(ci->plugin, "notify-discord") == 0) {
				ci->route.rate_per_sec = 2.5;
				ci->route.burst = 5;
			}
			if (!ci->route.has_recipient_rate &&
			    strcmp(ci->plugin, "notify-telegram") == 0)
				ci->route.recipient_per_sec = 1;
		}
		if (kind != QD_KIND_STRATEGY && json_get(doc, "exchange"))
			bad(d, ci->file, json_get(doc, "exchange"), "only "
				"strategy instances take an exchange");
		if (kind == QD_KIND_STRATEGY || kind == QD_KIND_INDICATOR) {
			if (json_get(doc, "secrets"))
				bad(d, ci->file, json_get(doc, "secrets"),
					"%s instances take no secrets",
					plugin_kind_name(kind));
		}
		if (kind == QD_KIND_INDICATOR)
			bad(d, ci->file, json_get(doc, "plugin"), "\"%s\" is an "
				"indicator: indicators are created by "
				"strategies, not configured as instances",
				ci->plugin);
		params_free(ci->values);
		ci->values = params_from_json(desc, ci->params, ci->file, err,
			sizeof(err));
		if (ci->values == NULL) {
			/* One problem per line: each its own diagnostic. */
			char *line = err, *nl;

			do {
				if ((nl = strchr(line, '\n')) != NULL)
					*nl = '\0';
				diag_add(d, "%s", line);
				line = nl + 1;
			} while (nl != NULL);
		}
	}
	for (i = 0; i < c->n_instances; i++) {
		const struct config_instance *ci = &c->instances[i];
		const struct config_instance *ex;
		const struct plugin *p;

		if (ci->exchange == NULL)
			continue;
		ex = config_find_instance(c, ci->exchange);
		p = ex ? plugin_find(r, ex->plugin) : NULL;
		if (ex == NULL || (p != NULL &&
		    plugin_desc(p)->kind != QD_KIND_EXCHANGE))
			bad(d, ci->file, json_get(ci->doc, "exchange"), "no "
				"exchange instance named \"%s\" is configured",
				ci->exchange);
	}
	return d->count - before;
}

/* Structural equality of two JSON values (member order ignored). */
static int
json_equal(const struct json_value *a, const struct json_value *b)
{
	const struct json_value *x;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case JSON_NULL:
		return 1;
	case JSON_BOOL:
		return a->boolean == b->boolean;
	case JSON_NUMBER:
		return a->num == b->num && a->is_int == b->is_int &&
			a->i == b->i;
	case JSON_STRING:
		return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	case JSON_ARRAY: {
		const struct json_value *y = b->child;

		if (a->n != b->n)
			return 0;
		for (x = a->child; x; x = x->next, y = y->next)
			if (!json_equal(x, y))
				return 0;
		return 1;
	}
	case JSON_OBJECT:
		if (a->n != b->n)
			return 0;
		for (x = a->child; x; x = x->next)
			if (!json_equal(x, json_get(b, x->key)))
				return 0;
		return 1;
	}
	return 0;
}

int
config_instance_equal(const struct config_instance *a,
	const struct config_instance *b)
{
	static const char *const keys[] = {
		"plugin", "instance", "trust", "enabled", "limits", "symbols",
		"timeframes", "exchange", "secrets", "route", NULL
	};
	size_t i;

	for (i = 0; keys[i]; i++)
		if (!json_equal(json_get(a->doc, keys[i]),
		    json_get(b->doc, keys[i])))
			return 0;
	if (a->values != NULL && b->values != NULL)
		return params_equal(a->values, b->values);
	return json_equal(a->params, b->params);
}
