/*
 * cmd_trade.c -- the running daemon's trading: `quantctl emergency-close`,
 * `quantctl orders`, `quantctl accounts`, `quantctl risk status|set|resume`,
 * and `quantctl risk log` (read from the store: works with the daemon
 * stopped too).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/cmd.h"
#include "config/config.h"
#include "ctl/ctl.h"
#include "store/store.h"

/* Send `req` (consumed) to the daemon; print the reply (as JSON with
 * --json, else through `show`).  The exit status. */
int
cli_ask(const struct cli *c, cJSON *req, void (*show)(const cJSON *reply))
{
	struct diag d = { 0 };
	struct config *cfg = config_load(c->config_path, &d);
	char *text = cJSON_PrintUnformatted(req), *reply = NULL;
	cJSON *o, *err;
	int rc;

	cJSON_Delete(req);
	diag_free(&d);
	if (cfg == NULL || text == NULL) {
		fprintf(stderr, "quantctl: the configuration cannot be read\n");
		config_free(cfg);
		free(text);
		return 2;
	}
	rc = ctl_request(cfg->control_socket, text, &reply, 10000);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "quantctl: no daemon answers at %s\n",
			cfg->control_socket);
		config_free(cfg);
		return 1;
	}
	config_free(cfg);
	if ((o = cJSON_Parse(reply)) == NULL) {
		fprintf(stderr, "quantctl: the daemon sent a malformed reply\n");
		free(reply);
		return 1;
	}
	err = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (err != NULL) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(err,
			"message");

		fprintf(stderr, "quantctl: %s\n", cJSON_IsString(m) ?
			m->valuestring : reply);
		rc = 1;
	} else if (c->json || show == NULL) {
		printf("%s\n", reply);
	} else {
		show(o);
	}
	free(reply);
	cJSON_Delete(o);
	return rc;
}

#define num cli_json_num
#define str cli_json_str

static void
show_close(const cJSON *o)
{
	printf("emergency close (ratio %.4g): %.0f open order(s) canceled, "
		"%.0f close order(s) sent at market in %.0f account(s)\n",
		num(o, "ratio"), num(o, "orders_canceled"),
		num(o, "close_orders"), num(o, "accounts"));
}

static void
show_orders(const cJSON *o)
{
	const cJSON *e;

	printf("%-8s %-12s %-10s %-4s %-14s %-8s %14s %14s %14s\n", "ID",
		"CLIENT_ID", "SYMBOL", "SIDE", "TYPE", "STATE", "QTY", "PRICE",
		"FILLED");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "orders"))
		printf("%-8.0f %-12s %-10s %-4s %-14s %-8s %14.8g %14.10g "
			"%14.8g\n", num(e, "id"), str(e, "client_id"),
			str(e, "symbol"), str(e, "side"), str(e, "type"),
			str(e, "state"), num(e, "qty"), num(e, "price"),
			num(e, "filled"));
}

static void
show_stats(const cJSON *o)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(o,
		"tick_to_order_us");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o,
		"tick_to_accept_us");

	printf("orders: %.0f submitted, %.0f refused, %.0f sent, %.0f open, "
		"%.0f waiting to be durable\n", num(o, "submitted"),
		num(o, "refused"), num(o, "sent"), num(o, "open_orders"),
		num(o, "waiting_durable"));
	printf("fills: %.0f (%.0f duplicates ignored); %.0f stale updates, "
		"%.0f refused transitions\n", num(o, "fills"),
		num(o, "duplicate_fills"), num(o, "stale_updates"),
		num(o, "bad_transitions"));
	printf("tick -> order accepted: p50 %.1f us, p99 %.1f us (%.0f "
		"orders)\n", num(a, "p50"), num(a, "p99"), num(a, "n"));
	printf("tick -> order at its venue: p50 %.1f us, p99 %.1f us (%.0f "
		"orders)\n", num(l, "p50"), num(l, "p99"), num(l, "n"));
}

static void
show_accounts(const cJSON *o)
{
	const cJSON *a, *p;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(o,
	    "accounts")) {
		printf("%s (%s, %s%s%s): cash %.8g %s, equity %.8g, fees %.8g, "
			"%.0f open order(s)\n", str(a, "id"), str(a, "venue"),
			str(a, "instance")[0] ? "instance " : "no instance",
			str(a, "instance"), "", num(a, "cash"),
			str(a, "quote"), num(a, "equity"), num(a, "fees"),
			num(a, "open_orders"));
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(a,
		    "positions"))
			printf("    %-12s %16.8g @ %-14.10g realized %.8g\n",
				str(p, "symbol"), num(p, "qty"),
				num(p, "avg_price"), num(p, "realized"));
	}
	printf("ledger %s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		"reconciled")) ? "reconciles exactly" : "DOES NOT RECONCILE");
}

static void
show_risk(const cJSON *o)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "scopes")) {
		printf("%-8s %-20s %s", str(e, "scope"), str(e, "id")[0] ?
			str(e, "id") : "-", cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(e, "halted")) ?
			"HALTED" : "trading");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "halted")))
			printf(" by %s: %s", str(e, "rule"), str(e, "reason"));
		printf("  (peak equity %.8g)\n", num(e, "peak_equity"));
	}
}

int
cmd_emergency_close(struct cli *c, int argc, char **argv)
{
	cJSON *req = cJSON_CreateObject();
	double ratio = 1.0;
	int i;

	cJSON_AddStringToObject(req, "cmd", "trade.emergency_close");
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--ratio") == 0 && i + 1 < argc) {
			char *end;

			ratio = strtod(argv[++i], &end);
			if (*end || !(ratio > 0) || ratio > 1) {
				fprintf(stderr, "quantctl: --ratio %s: expected "
					"a number above 0 and at most 1\n",
					argv[i]);
				cJSON_Delete(req);
				return 2;
			}
		} else if ((strcmp(argv[i], "--account") == 0 ||
		    strcmp(argv[i], "--instance") == 0) && i + 1 < argc) {
			cJSON_AddStringToObject(req, argv[i] + 2, argv[i + 1]);
			i++;
		} else {
			cli_help("emergency-close", stderr);
			cJSON_Delete(req);
			return 2;
		}
	}
	cJSON_AddNumberToObject(req, "ratio", ratio);
	cJSON_AddStringToObject(req, "reason", "quantctl emergency-close");
	return cli_ask(c, req, show_close);
}

int
cmd_orders(struct cli *c, int argc, char **argv)
{
	cJSON *req = cJSON_CreateObject();

	cJSON_AddStringToObject(req, "cmd", "trade.orders");
	if (argc == 1 && strcmp(argv[0], "--stats") == 0) {
		cJSON_ReplaceItemInObject(req, "cmd",
			cJSON_CreateString("trade.stats"));
		return cli_ask(c, req, show_stats);
	} else if (argc == 2 && strcmp(argv[0], "--instance") == 0) {
		cJSON_AddStringToObject(req, "instance", argv[1]);
	} else if (argc != 0) {
		cli_help("orders", stderr);
		cJSON_Delete(req);
		return 2;
	}
	return cli_ask(c, req, show_orders);
}

int
cmd_accounts(struct cli *c, int argc, char **argv)
{
	cJSON *req = cJSON_CreateObject();

	(void)argv;
	cJSON_AddStringToObject(req, "cmd", "trade.accounts");
	if (argc != 0) {
		cli_help("accounts", stderr);
		cJSON_Delete(req);
		return 2;
	}
	return cli_ask(c, req, show_accounts);
}

static int
print_risk_event(void *arg, const struct store_risk_event *e)
{
	const struct cli *c = arg;
	char when[32];
	time_t t = (time_t)(e->ts_ms / 1000);
	struct tm tm;

	if (c->json) {
		cJSON *o = store_risk_event_json(e);
		char *s = o ? cJSON_PrintUnformatted(o) : NULL;

		printf("%s\n", s ? s : "{}");
		free(s);
		cJSON_Delete(o);
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03lldZ %-8s %-16s %-24s [%s] %s\n", when,
		(long long)(e->ts_ms % 1000), e->scope, e->scope_id[0] ?
		e->scope_id : "-", e->rule, e->actions, e->reason);
	return 0;
}

int
cmd_risk(struct cli *c, int argc, char **argv)
{
	cJSON *req;

	if (argc >= 1 && strcmp(argv[0], "status") == 0 && argc == 1) {
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", "risk.status");
		return cli_ask(c, req, show_risk);
	}
	if (argc >= 2 && (strcmp(argv[0], "set") == 0 ||
	    strcmp(argv[0], "resume") == 0)) {
		/* risk set SCOPE [ID] JSON | risk resume SCOPE [ID] */
		int set = argv[0][0] == 's', k = 2;
		cJSON *lim = NULL;

		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", set ? "risk.set" :
			"risk.resume");
		cJSON_AddStringToObject(req, "scope", argv[1]);
		if (strcmp(argv[1], "global") != 0 && argc > 2)
			cJSON_AddStringToObject(req, "id", argv[k++]);
		if (set) {
			if (k != argc - 1 ||
			    (lim = cJSON_Parse(argv[k])) == NULL) {
				fprintf(stderr, "quantctl: risk set: the last "
					"argument must be a JSON object of "
					"limits, e.g. '{\"daily_loss\":500}'\n");
				cJSON_Delete(req);
				return 2;
			}
			cJSON_AddItemToObject(req, "limits", lim);
		} else if (k != argc) {
			cli_help("risk", stderr);
			cJSON_Delete(req);
			return 2;
		}
		return cli_ask(c, req, NULL);
	}
	if (argc >= 1 && strcmp(argv[0], "log") == 0) {
		const char *db = NULL;
		int64_t since = 0;
		long limit = 0;
		struct store *s;
		char err[256], *url;
		int i, rc;

		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
				db = argv[++i];
			else if (strcmp(argv[i], "--since") == 0 &&
			    i + 1 < argc)
				since = strtoll(argv[++i], NULL, 10);
			else if (strcmp(argv[i], "--limit") == 0 &&
			    i + 1 < argc)
				limit = strtol(argv[++i], NULL, 10);
			else {
				cli_help("risk", stderr);
				return 2;
			}
		}
		if ((url = cli_store_url(c, db)) == NULL)
			return 2;
		rc = store_open(url, STORE_ROLE_READER, &s, err, sizeof(err));
		free(url);
		if (rc != QD_OK) {
			fprintf(stderr, "quantctl: %s\n", err);
			return 1;
		}
		rc = store_risk_events(s, since, limit > 0 ? (size_t)limit : 0,
			print_risk_event, c);
		if (rc != QD_OK)
			fprintf(stderr, "quantctl: %s\n", store_error(s));
		store_close(s);
		return rc == QD_OK ? 0 : 1;
	}
	cli_help("risk", stderr);
	return 2;
}
