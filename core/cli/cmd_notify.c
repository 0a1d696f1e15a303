/*
 * cmd_notify.c -- quantctl notify: the running daemon's notification
 * outbox.
 *
 *   quantctl notify list [--json]        counters and notifications waiting
 *   quantctl notify dead [--json]        dead-lettered ones, with the reason
 *   quantctl notify retry ID|all         send dead ones again
 *   quantctl notify send --event E [--title T] [--body B] [--severity S]
 *                        [--user U] [--recipient R] [--key K]
 *   quantctl notify channel list --user U [--json]
 *   quantctl notify channel set KIND --user U [--to A] [--chat-id C]
 *                        [--url U] [--secret-ref REF | --secret-stdin]
 *   quantctl notify channel rm|test KIND --user U
 * (quantctl is the operator: a secret may be a reference, env:VAR or
 * file:PATH; --secret-stdin reads it from the standard input, never from
 * the command line, and the daemon seals it in the store.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <openssl/crypto.h>

#include "cli/cmd.h"
#include "notify/channel.h"

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

static void
show_channels(const cJSON *reply)
{
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(reply, "plan");
	const cJSON *pc = cJSON_GetObjectItemCaseSensitive(reply,
		"plan_channels"), *arr, *ch, *k;
	const char *tk;

	arr = cJSON_GetObjectItemCaseSensitive(reply, "channels");
	if (arr == NULL) {          /* one channel (set) */
		ch = cJSON_GetObjectItemCaseSensitive(reply, "channel");
		printf("%s channel set\n", ch ? cli_json_str(ch, "kind") :
			"the");
		return;
	}
	printf("plan %s, channels it includes:", cJSON_IsString(plan) ?
		plan->valuestring : "(none: an operator)");
	cJSON_ArrayForEach(k, pc)
		printf(" %s", k->valuestring);
	printf("\n");
	cJSON_ArrayForEach(ch, arr) {
		int kind = channel_kind_parse(cli_json_str(ch, "kind"));
		const char *sec = kind >= 0 ? channel_secret_name(
		    (enum channel_kind)kind) : NULL;

		tk = kind >= 0 ? channel_target_key((enum channel_kind)kind) :
		    NULL;
		printf("%-9s %-40s %s%s%s\n", cli_json_str(ch, "kind"),
			tk ? cli_json_str(ch, tk) : "",
			sec && cJSON_GetObjectItemCaseSensitive(ch, sec) ?
			"secret set (" : "", sec &&
			cJSON_GetObjectItemCaseSensitive(ch, sec) ?
			cli_json_str(ch, "secret_from") : "",
			!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ch,
			"allowed")) ? ") NOT IN PLAN: skipped" : sec &&
			cJSON_GetObjectItemCaseSensitive(ch, sec) ? ")" : "");
	}
}

static void
show_done(const cJSON *reply)
{
	(void)reply;
	printf("ok\n");
}

/* notify channel list|set|rm|test. */
static int
channel_cmd(struct cli *c, int argc, char **argv)
{
	static const struct { const char *opt, *key; } opts[] = {
		{ "--to", "to" }, { "--chat-id", "chat_id" },
		{ "--url", "url" }, { "--user", "user" },
	};
	const char *sub = argc > 0 ? argv[0] : "";
	int list = strcmp(sub, "list") == 0, i = list ? 1 : 2, k = -1;
	char name[40], line[4200];
	cJSON *req;
	size_t j;

	if (!list && (argc < 2 || (strcmp(sub, "set") != 0 &&
	    strcmp(sub, "rm") != 0 && strcmp(sub, "test") != 0) ||
	    (k = channel_kind_parse(argv[1])) < 0)) {
		cli_help("notify", stderr);
		return 2;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", list ? "notify.channels" :
		sub[0] == 's' ? "notify.channel.set" : sub[0] == 'r' ?
		"notify.channel.delete" : "notify.channel.test");
	if (!list)
		cJSON_AddStringToObject(req, "kind", argv[1]);
	cJSON_AddBoolToObject(req, "admin", 1);
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			continue;
		for (j = 0; j < sizeof(opts) / sizeof(opts[0]) &&
		    strcmp(opts[j].opt, argv[i]) != 0; j++)
			;
		if (j < sizeof(opts) / sizeof(opts[0]) && i + 1 < argc &&
		    (j == 3 || sub[0] == 's')) {
			cJSON_AddStringToObject(req, opts[j].key, argv[++i]);
			continue;
		}
		if (sub[0] == 's' && k >= 0 && channel_secret_name(
		    (enum channel_kind)k) != NULL &&
		    (strcmp(argv[i], "--secret-ref") == 0 ||
		    strcmp(argv[i], "--secret-stdin") == 0)) {
			int ref = argv[i][9] == 'r';

			snprintf(name, sizeof(name), "%s%s",
				channel_secret_name((enum channel_kind)k),
				ref ? "_ref" : "");
			if (ref && i + 1 < argc) {
				cJSON_AddStringToObject(req, name, argv[++i]);
				continue;
			}
			if (!ref && fgets(line, sizeof(line), stdin) != NULL) {
				line[strcspn(line, "\r\n")] = '\0';
				cJSON_AddStringToObject(req, name, line);
				OPENSSL_cleanse(line, sizeof(line));
				continue;
			}
		}
		cJSON_Delete(req);
		cli_help("notify", stderr);
		return 2;
	}
	if (cJSON_GetObjectItemCaseSensitive(req, "user") == NULL) {
		fprintf(stderr, "quantctl: notify channel: --user is "
			"required\n");
		cJSON_Delete(req);
		return 2;
	}
	return cli_ask(c, req, list || sub[0] == 's' ? show_channels :
		sub[0] == 't' ? show_count : show_done);
}

int
cmd_notify(struct cli *c, int argc, char **argv)
{
	cJSON *req;

	if (argc >= 1 && strcmp(argv[0], "channel") == 0)
		return channel_cmd(c, argc - 1, argv + 1);

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
