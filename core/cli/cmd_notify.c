/*
 * cmd_notify.c -- quantctl notify: the running daemon's notification
 * outbox.
 *
 *   quantctl notify list [--json]        counters and notifications waiting
 *   quantctl notify dead [--json]        dead-lettered ones, with the reason
 *   quantctl notify retry ID|all         send dead ones again
 *   quantctl notify send --event E [--title T] [--body B] [--severity S]
 *                        [--user U] [--recipient R] [--key K]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/cmd.h"

static void
show_rows(const cJSON *reply, const char *which)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(reply, "stats");
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(reply, which), *r;

	printf("enqueued %.0f  delivered %.0f  duplicates %.0f  failures %.0f"
		"  dead %.0f  waiting %.0f  dead now %.0f\n",
		cli_json_num(st, "enqueued"), cli_json_num(st, "delivered"),
		cli_json_num(st, "duplicates"), cli_json_num(st, "failures"),
		cli_json_num(st, "dead"), cli_json_num(st, "pending_now"),
		cli_json_num(st, "dead_now"));
	if (cJSON_GetArraySize(rows) == 0)
		return;
	printf("%-8s %-12s %-18s %-8s %-4s %s\n", "ID", "CHANNEL", "EVENT",
		"SEVERITY", "TRY", strcmp(which, "dead") == 0 ? "LAST ERROR" :
		"TITLE");
	cJSON_ArrayForEach(r, rows) {
		const char *err = cli_json_str(r, "last_error");

		printf("%-8.0f %-12s %-18s %-8s %-4.0f %s\n",
			cli_json_num(r, "id"), cli_json_str(r, "channel"),
			cli_json_str(r, "event"), cli_json_str(r, "severity"),
			cli_json_num(r, "attempts"), strcmp(which, "dead") == 0 ?
			(err ? err : "") : cli_json_str(r, "title"));
	}
}

static void
show_pending(const cJSON *reply)
{
	show_rows(reply, "pending");
}

static void
show_dead(const cJSON *reply)
{
	show_rows(reply, "dead");
}

static void
show_count(const cJSON *reply)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(reply, "retried");

	if (n == NULL)
		n = cJSON_GetObjectItemCaseSensitive(reply, "queued");
	printf("%s %.0f notification(s)\n", cJSON_GetObjectItemCaseSensitive(
		reply, "retried") ? "retried" : "queued", cJSON_IsNumber(n) ?
		n->valuedouble : 0);
}

/* notify send: the options, into one notification. */
static int
send_one(struct cli *c, int argc, char **argv)
{
	static const char *const keys[] = { "--event", "--title", "--body",
		"--severity", "--user", "--recipient", "--key", NULL };
	cJSON *req = cJSON_CreateObject(), *arr, *n;
	int i, k;

	cJSON_AddStringToObject(req, "cmd", "notify.send");
	arr = cJSON_AddArrayToObject(req, "notifications");
	n = cJSON_CreateObject();
	cJSON_AddItemToArray(arr, n);
	for (i = 0; i < argc; i += 2) {
		for (k = 0; keys[k] && strcmp(keys[k], argv[i]); k++)
			;
		if (keys[k] == NULL || i + 1 >= argc) {
			cli_help("notify", stderr);
			cJSON_Delete(req);
			return 2;
		}
		cJSON_AddStringToObject(n, keys[k] + 2, argv[i + 1]);
	}
	if (cJSON_GetObjectItemCaseSensitive(n, "event") == NULL) {
		fprintf(stderr, "quantctl: notify send: --event is required\n");
		cJSON_Delete(req);
		return 2;
	}
	return cli_ask(c, req, show_count);
}

int
cmd_notify(struct cli *c, int argc, char **argv)
{
	cJSON *req;

	if (argc == 1 && (strcmp(argv[0], "list") == 0 ||
	    strcmp(argv[0], "dead") == 0)) {
		int dead = argv[0][0] == 'd';

		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", dead ? "notify.dead" :
			"notify.list");
		return cli_ask(c, req, dead ? show_dead : show_pending);
	}
	if (argc == 2 && strcmp(argv[0], "retry") == 0) {
		char *end;
		double id = strcmp(argv[1], "all") == 0 ? 0 :
		    strtod(argv[1], &end);

		if (strcmp(argv[1], "all") != 0 && (*end || !(id >= 1))) {
			fprintf(stderr, "quantctl: notify retry: expected a "
				"notification id (see notify dead) or all\n");
			return 2;
		}
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", "notify.retry");
		if (id >= 1)
			cJSON_AddNumberToObject(req, "id", id);
		return cli_ask(c, req, show_count);
	}
	if (argc >= 1 && strcmp(argv[0], "send") == 0)
		return send_one(c, argc - 1, argv + 1);
	cli_help("notify", stderr);
	return 2;
}
