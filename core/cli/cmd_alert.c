/*
 * cmd_alert.c -- `quantctl alert ...`: the running daemon's alerts through
 * its "alert.*" control commands (core/daemon/alerts.h).  The daemon
 * validates; a refusal's message names the field at fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/cmd.h"
#include "notify/channel.h"

#define num cli_json_num
#define str cli_json_str

/* A time in ms for --expires: ms since the epoch, or +N[smhd] from now. */
static int
parse_expires(const char *s, double *ms)
{
	char *end;
	double v, unit = 1;

	if (*s != '+') {
		v = strtod(s, &end);
		if (end == s || *end != '\0' || v < 0)
			return -1;
		*ms = v;
		return 0;
	}
	v = strtod(s + 1, &end);
	if (end == s + 1 || !(v > 0))
		return -1;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	if (end[1] != '\0')
		return -1;
	*ms = (double)time(NULL) * 1000 + v * unit * 1000;
	return 0;
}

static int
parse_number(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return end == s || *end != '\0' ? -1 : 0;
}

static void
show_one(const cJSON *a)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(a, "condition");
	char *cond = c ? cJSON_PrintUnformatted(c) : NULL;
	const cJSON *lf = cJSON_GetObjectItemCaseSensitive(a, "last_fired");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(a, "expires");

	printf("alert %.0f%s%s%s of %s: %s %s\n", num(a, "id"),
		str(a, "name")[0] ? " (" : "", str(a, "name"),
		str(a, "name")[0] ? ")" : "", str(a, "user"),
		str(a, "exchange"), str(a, "symbol"));
	printf("  condition  %s\n", cond ? cond : "?");
	printf("  fires      %s, cooldown %gs, expires %s\n", str(a, "fire"),
		num(a, "cooldown_s"), cJSON_IsNumber(ex) ? "" : "never");
	if (cJSON_IsNumber(ex))
		printf("             (expiry %.0f ms)\n", ex->valuedouble);
	printf("  status     %s, fired %.0f time(s)", str(a, "status"),
		num(a, "fire_count"));
	if (cJSON_IsNumber(lf))
		printf(", last at %.0f ms", lf->valuedouble);
	putchar('\n');
	free(cond);
}

static void
show_alert(const cJSON *o)
{
	show_one(cJSON_GetObjectItemCaseSensitive(o, "alert"));
}

static void
show_list(const cJSON *o)
{
	const cJSON *a, *c;
	char *cond;

	printf("%-6s %-8s %-10s %-12s %-9s %-6s %6s  %s\n", "ID", "USER",
		"EXCHANGE", "SYMBOL", "STATUS", "FIRE", "FIRED", "CONDITION");
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(o, "alerts")) {
		c = cJSON_GetObjectItemCaseSensitive(a, "condition");
		cond = c ? cJSON_PrintUnformatted(c) : NULL;
		printf("%-6.0f %-8s %-10s %-12s %-9s %-6s %6.0f  %s\n",
			num(a, "id"), str(a, "user"), str(a, "exchange"),
			str(a, "symbol"), str(a, "status"), str(a, "fire"),
			num(a, "fire_count"), cond ? cond : "?");
		free(cond);
	}
}

static void
show_history(const cJSON *o)
{
	const cJSON *e;

	printf("%-14s %-6s %-8s %-12s %14s  %s\n", "TIME_MS", "ALERT", "USER",
		"SYMBOL", "PRICE", "MESSAGE");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "events"))
		printf("%-14.0f %-6.0f %-8s %-12s %14.10g  %s\n", num(e, "time"),
			num(e, "alert"), str(e, "user"), str(e, "symbol"),
			num(e, "price"), str(e, "message"));
}

static void
show_deleted(const cJSON *o)
{
	printf("alert %.0f deleted\n", num(o, "id"));
}

/* A condition from the shorthand options; NULL when none was given. */
struct shorthand {
	const char *type;
	double level;
	int have_level;
	double window;
	const char *timeframe;
	double period, fast, slow, stddev;
	const char *ma;
};

static cJSON *
condition(const struct shorthand *h)
{
	cJSON *c;

	if (h->type == NULL)
		return NULL;
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", h->type);
	if (strncmp(h->type, "price_", 6) == 0)
		cJSON_AddNumberToObject(c, "price", h->level);
	else if (strcmp(h->type, "change") == 0)
		cJSON_AddNumberToObject(c, "percent", h->level);
	else if (strncmp(h->type, "rsi_", 4) == 0)
		cJSON_AddNumberToObject(c, "level", h->level);
	if (h->window > 0)
		cJSON_AddNumberToObject(c, "window_s", h->window);
	if (h->period > 0)
		cJSON_AddNumberToObject(c, "period", h->period);
	if (h->fast > 0)
		cJSON_AddNumberToObject(c, "fast", h->fast);
	if (h->slow > 0)
		cJSON_AddNumberToObject(c, "slow", h->slow);
	if (h->stddev > 0)
		cJSON_AddNumberToObject(c, "stddev", h->stddev);
	if (h->ma != NULL)
		cJSON_AddStringToObject(c, "ma", h->ma);
	if (h->timeframe != NULL)
		cJSON_AddStringToObject(c, "timeframe", h->timeframe);
	return c;
}

/* The options of add and set that take a value; 0, or -1 (usage). */
static int
common_option(cJSON *req, struct shorthand *h, const char *opt,
	const char *val)
{
	static const struct { const char *opt, *type; } kinds[] = {
		{ "--above", "price_above" }, { "--below", "price_below" },
		{ "--change", "change" }, { "--rsi-above", "rsi_above" },
		{ "--rsi-below", "rsi_below" },
	};
	double v;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(opt, kinds[i].opt) == 0) {
			if (h->type != NULL || parse_number(val, &h->level))
				return -1;
			h->type = kinds[i].type;
			return 0;
		}
	if (strcmp(opt, "--user") == 0 || strcmp(opt, "--exchange") == 0 ||
	    strcmp(opt, "--symbol") == 0 || strcmp(opt, "--name") == 0 ||
	    strcmp(opt, "--fire") == 0) {
		cJSON_AddStringToObject(req, opt + 2, val);
		return 0;
	}
	if (strcmp(opt, "--channels") == 0) {
		/* "all": every channel the owner set; "none": the dashboard
		 * only; else kinds joined by commas */
		cJSON *arr;
		int mask = strcmp(val, "none") == 0 ? 0 :
		    channel_mask_parse(val), k;

		if (strcmp(val, "all") == 0) {
			cJSON_AddNullToObject(req, "channels");
			return 0;
		}
		if (mask < 0)
			return -1;
		arr = cJSON_AddArrayToObject(req, "channels");
		for (k = 0; k < CHANNEL_KINDS; k++)
			if (mask & (1 << k))
				cJSON_AddItemToArray(arr, cJSON_CreateString(
					channel_kind_name((enum channel_kind)k)));
		return 0;
	}
	if (strcmp(opt, "--cooldown") == 0) {
		if (parse_number(val, &v))
			return -1;
		cJSON_AddNumberToObject(req, "cooldown_s", v);
		return 0;
	}
	if (strcmp(opt, "--expires") == 0) {
		if (strcmp(val, "never") == 0) {
			cJSON_AddNullToObject(req, "expires");
			return 0;
		}
		if (parse_expires(val, &v))
			return -1;
		cJSON_AddNumberToObject(req, "expires", v);
		return 0;
	}
	if (strcmp(opt, "--window") == 0)
		return parse_number(val, &h->window);
	if (strcmp(opt, "--period") == 0)
		return parse_number(val, &h->period);
	if (strcmp(opt, "--fast") == 0)
		return parse_number(val, &h->fast);
	if (strcmp(opt, "--slow") == 0)
		return parse_number(val, &h->slow);
	if (strcmp(opt, "--stddev") == 0)
		return parse_number(val, &h->stddev);
	if (strcmp(opt, "--ma") == 0) {
		h->ma = val;
		return 0;
	}
	if (strcmp(opt, "--timeframe") == 0) {
		h->timeframe = val;
		return 0;
	}
	return -1;
}

/* Flags without a value: the condition kinds with defaults. */
static int
flag_kind(struct shorthand *h, const char *opt)
{
	static const struct { const char *opt, *type; } kinds[] = {
		{ "--golden-cross", "golden_cross" },
		{ "--death-cross", "death_cross" },
		{ "--bb-above", "bollinger_above" },
		{ "--bb-below", "bollinger_below" },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(opt, kinds[i].opt) == 0 && h->type == NULL) {
			h->type = kinds[i].type;
			return 0;
		}
	return -1;
}

static int
add(struct cli *c, int argc, char **argv)
{
	cJSON *req = cJSON_CreateObject(), *cond = NULL, *sh;
	struct shorthand h;
	int i;

	memset(&h, 0, sizeof(h));
	cJSON_AddStringToObject(req, "cmd", "alert.create");
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			continue;
		if (flag_kind(&h, argv[i]) == 0)
			continue;
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--condition") == 0) {
			cJSON_Delete(cond);
			if ((cond = cJSON_Parse(argv[++i])) == NULL) {
				fprintf(stderr, "quantctl: --condition: not "
					"valid JSON\n");
				cJSON_Delete(req);
				return 2;
			}
			continue;
		}
		if (common_option(req, &h, argv[i], argv[i + 1]) != 0)
			goto usage;
		i++;
	}
	sh = condition(&h);
	if ((cond == NULL) == (sh == NULL)) {
		fprintf(stderr, "quantctl: alert add: give one condition "
			"(--above, --below, --change, --rsi-above, "
			"--rsi-below, --golden-cross, --death-cross, "
			"--bb-above, --bb-below or --condition JSON)\n");
		cJSON_Delete(sh);
		cJSON_Delete(cond);
		cJSON_Delete(req);
		return 2;
	}
	cJSON_AddItemToObject(req, "condition", cond ? cond : sh);
	return cli_ask(c, req, show_alert);
usage:
	cJSON_Delete(cond);
	cJSON_Delete(req);
	cli_help("alert", stderr);
	return 2;
}

/* The ID argument: a whole number from 1; -1 if it is not one. */
static int
add_id(cJSON *req, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < 1 || v != (double)(long long)v)
		return -1;
	cJSON_AddNumberToObject(req, "id", v);
	return 0;
}

/* show, set, enable, disable, rm: ID then options. */
static int
one(struct cli *c, const char *sub, int argc, char **argv)
{
	cJSON *req = cJSON_CreateObject();
	struct shorthand h;
	void (*show)(const cJSON *) = show_alert;
	int i, changes = strcmp(sub, "set") == 0 ||
	    strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0;

	memset(&h, 0, sizeof(h));
	if (strcmp(sub, "show") == 0) {
		cJSON_AddStringToObject(req, "cmd", "alert.get");
	} else if (strcmp(sub, "rm") == 0) {
		cJSON_AddStringToObject(req, "cmd", "alert.delete");
		show = show_deleted;
	} else {
		cJSON_AddStringToObject(req, "cmd", "alert.update");
		if (strcmp(sub, "set") != 0)
			cJSON_AddBoolToObject(req, "enabled", sub[0] == 'e');
	}
	if (argc < 1 || add_id(req, argv[0]) != 0)
		goto usage;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			continue;
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--user") == 0)
			cJSON_AddStringToObject(req, "user", argv[i + 1]);
		else if (!changes || (strcmp(argv[i], "--cooldown") != 0 &&
		    strcmp(argv[i], "--expires") != 0 &&
		    strcmp(argv[i], "--fire") != 0 &&
		    strcmp(argv[i], "--channels") != 0 &&
		    strcmp(argv[i], "--name") != 0) ||
		    common_option(req, &h, argv[i], argv[i + 1]) != 0)
			goto usage;
		i++;
	}
	return cli_ask(c, req, show);
usage:
	cJSON_Delete(req);
	cli_help("alert", stderr);
	return 2;
}

static int
list_or_history(struct cli *c, int history, int argc, char **argv)
{
	cJSON *req = cJSON_CreateObject();
	double v;
	int i;

	cJSON_AddStringToObject(req, "cmd", history ? "alert.history" :
		"alert.list");
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			continue;
		if (history && i == 0 && argv[i][0] != '-') {
			if (add_id(req, argv[i]) != 0)
				goto usage;
			continue;
		}
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--user") == 0)
			cJSON_AddStringToObject(req, "user", argv[i + 1]);
		else if (history && strcmp(argv[i], "--limit") == 0 &&
		    parse_number(argv[i + 1], &v) == 0 && v >= 0)
			cJSON_AddNumberToObject(req, "limit", v);
		else
			goto usage;
		i++;
	}
	return cli_ask(c, req, history ? show_history : show_list);
usage:
	cJSON_Delete(req);
	cli_help("alert", stderr);
	return 2;
}

/*
 * quantctl alert SUB ...: exit 0; 1 when the daemon is not running or
 * refuses (its message on stderr, naming the field); 2 on bad usage.
 */
int
cmd_alert(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";

	if (strcmp(sub, "add") == 0)
		return add(c, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return list_or_history(c, 0, argc - 1, argv + 1);
	if (strcmp(sub, "history") == 0)
		return list_or_history(c, 1, argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0 || strcmp(sub, "set") == 0 ||
	    strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0 ||
	    strcmp(sub, "rm") == 0)
		return one(c, sub, argc - 1, argv + 1);
	cli_help("alert", stderr);
	return 2;
}
