/*
 * cmd_market.c -- `quantctl market watch`: the running daemon's trades
 * and closing candles of one exchange instance and symbol, as they come;
 * `quantctl market instruments`: the instruments its exchanges listed.
 *
 * The daemon keeps its latest market events numbered in a ring
 * (market.recent on the control socket); this follows the numbers, four
 * times a second, and says when it fell behind by more than the ring.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cmd.h"
#include "config/config.h"
#include "ctl/ctl.h"
#include "market/symbol.h"

double
cli_json_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

const char *
cli_json_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

#define num cli_json_num
#define str cli_json_str

static void
print_event(const cJSON *e, int json, int partial)
{
	char when[32];
	time_t t = (time_t)(num(e, "ts") / 1000);
	struct tm tm;
	char *line;

	if (strcmp(str(e, "type"), "partial") == 0 && !partial)
		return;
	if (json) {
		if ((line = cJSON_PrintUnformatted(e)) != NULL)
			printf("%s\n", line);
		free(line);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	if (strcmp(str(e, "type"), "trade") == 0)
		printf("%s.%03lldZ trade  %-4s %.10g x %.10g  #%.0f\n", when,
			(long long)num(e, "ts") % 1000, str(e, "side"),
			num(e, "price"), num(e, "qty"), num(e, "id"));
	else
		printf("%sZ %-3s%s o %.10g h %.10g l %.10g c %.10g v %.10g\n",
			when, str(e, "timeframe"), strcmp(str(e, "type"),
			"partial") == 0 ? " ...  " : "      ", num(e, "open"),
			num(e, "high"), num(e, "low"), num(e, "close"),
			num(e, "volume"));
}

static int
watch(const struct cli *c, int argc, char **argv)
{
	const char *ex = NULL, *sym = NULL;
	long count = 0, seen = 0, seconds = 0;
	struct diag d = { 0 };
	struct config *cfg;
	char req[512], *reply;
	double seq = -1;
	time_t end;
	int i, json = c->json, rc = 0, partial = 0;

	for (i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--partial") == 0)
			partial = 1;
		else if (v != NULL && strcmp(argv[i], "--exchange") == 0)
			ex = argv[++i];
		else if (v != NULL && strcmp(argv[i], "--symbol") == 0)
			sym = argv[++i];
		else if (v != NULL && strcmp(argv[i], "--count") == 0)
			count = atol(argv[++i]);
		else if (v != NULL && strcmp(argv[i], "--seconds") == 0)
			seconds = atol(argv[++i]);
		else {
			fprintf(stderr, "quantctl: market watch: bad option "
				"%s\n", argv[i]);
			cli_help("market", stderr);
			return 2;
		}
	}
	if (ex == NULL || sym == NULL || !symbol_valid(sym) ||
	    strpbrk(ex, "\"\\") != NULL) {
		fprintf(stderr, "quantctl: market watch needs --exchange E and "
			"--symbol BASE/QUOTE\n");
		cli_help("market", stderr);
		return 2;
	}
	cfg = config_load(c->config_path, &d);
	diag_free(&d);
	if (cfg == NULL) {
		fprintf(stderr, "quantctl: bad configuration (quantctl config "
			"check)\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	end = seconds > 0 ? time(NULL) + seconds : 0;
	while (!stop && (count == 0 || seen < count) &&
	    (end == 0 || time(NULL) < end)) {
		cJSON *j, *e, *evs;

		if (seq < 0)
			snprintf(req, sizeof(req), "{\"cmd\":\"market.recent\"}");
		else
			snprintf(req, sizeof(req), "{\"cmd\":\"market.recent\","
				"\"exchange\":\"%s\",\"symbol\":\"%s\","
				"\"after\":%.0f}", ex, sym, seq);
		if (ctl_request(cfg->control_socket, req, &reply, 5000) != 0) {
			fprintf(stderr, "quantctl: no daemon answers at %s\n",
				cfg->control_socket);
			rc = 1;
			break;
		}
		j = cJSON_Parse(reply);
		free(reply);
		evs = cJSON_GetObjectItemCaseSensitive(j, "events");
		if (j == NULL || !cJSON_IsArray(evs)) {
			fprintf(stderr, "quantctl: unexpected answer\n");
			cJSON_Delete(j);
			rc = 1;
			break;
		}
		cJSON_ArrayForEach(e, evs) {
			if (seq >= 0 && num(e, "seq") > seq + 8192)
				fprintf(stderr, "quantctl: fell behind: events "
					"before #%.0f were missed\n",
					num(e, "seq"));
			if (!partial && strcmp(str(e, "type"), "partial") == 0)
				continue;
			print_event(e, json, partial);
			if (count > 0 && ++seen >= count)
				break;
		}
		seq = num(j, "seq");
		cJSON_Delete(j);
		if (count == 0 || seen < count)
			usleep(250000);
	}
	config_free(cfg);
	return rc;
}

/* The instruments the daemon's exchange instances listed. */
static int
instruments(const struct cli *c, int argc, char **argv)
{
	const char *ex = NULL, *sym = NULL;
	struct diag d = { 0 };
	struct config *cfg;
	char req[512], *reply;
	cJSON *j, *arr, *e;
	int i, json = c->json;

	for (i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (v != NULL && strcmp(argv[i], "--exchange") == 0)
			ex = argv[++i];
		else if (v != NULL && strcmp(argv[i], "--symbol") == 0)
			sym = argv[++i];
		else {
			fprintf(stderr, "quantctl: market instruments: bad "
				"option %s\n", argv[i]);
			cli_help("market", stderr);
			return 2;
		}
	}
	if ((ex != NULL && strpbrk(ex, "\"\\") != NULL) ||
	    (sym != NULL && !symbol_valid(sym))) {
		fprintf(stderr, "quantctl: bad --exchange or --symbol\n");
		return 2;
	}
	cfg = config_load(c->config_path, &d);
	diag_free(&d);
	if (cfg == NULL) {
		fprintf(stderr, "quantctl: bad configuration (quantctl config "
			"check)\n");
		return 2;
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"market.instruments\"%s%s%s"
		"%s%s%s}", ex ? ",\"exchange\":\"" : "", ex ? ex : "",
		ex ? "\"" : "", sym ? ",\"symbol\":\"" : "", sym ? sym : "",
		sym ? "\"" : "");
	if (ctl_request(cfg->control_socket, req, &reply, 5000) != 0) {
		fprintf(stderr, "quantctl: no daemon answers at %s\n",
			cfg->control_socket);
		config_free(cfg);
		return 1;
	}
	config_free(cfg);
	if (json) {
		printf("%s\n", reply);
		free(reply);
		return 0;
	}
	j = cJSON_Parse(reply);
	free(reply);
	arr = cJSON_GetObjectItemCaseSensitive(j, "instruments");
	printf("%-10s %-12s %-12s %-12s %-14s %-12s %-12s %s\n", "exchange",
		"symbol", "native", "tick", "lot", "min_qty", "min_notional",
		"status");
	cJSON_ArrayForEach(e, arr)
		printf("%-10s %-12s %-12s %-12s %-14s %-12s %-12s %s%s\n",
			str(e, "exchange"), str(e, "symbol"), str(e, "native"),
			str(e, "tick"), str(e, "lot"), str(e, "min_qty"),
			str(e, "min_notional"), str(e, "status"),
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e,
			"trading")) ? "" : " (not trading)");
	cJSON_Delete(j);
	return 0;
}

int
cmd_market(struct cli *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "watch") == 0)
		return watch(c, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "instruments") == 0)
		return instruments(c, argc - 1, argv + 1);
	cli_help("market", stderr);
	return 2;
}
