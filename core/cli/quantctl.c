/*
 * quantctl -- the command-line companion of quantd.
 *
 *   quantctl [-c FILE] [--json] COMMAND [ARGS]
 *     plugin list                  plugins, instances, refused files
 *     plugin info NAME             descriptor and parameters
 *     instance start|restart|stop NAME  control a running daemon's instance
 *     config check [FILE]          check a daemon config or instance file
 *     indicator NAME ...           run an indicator over a CSV
 *     reload                       ask the daemon to reload (like SIGHUP)
 *     version
 *
 * The config is -c FILE, else $QUANTD_CONFIG, else the built-in defaults.
 * Exit status: 0 ok, 1 failure, 2 bad usage, config or input.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cmd.h"
#include "config/config.h"
#include "ctl/ctl.h"
#include "json/json.h"
#include "log/log.h"
#include "plugin/describe.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "sandbox/sandbox.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: quantctl [-c FILE] [--json] [--log-level LEVEL] "
		"COMMAND [ARGS]\n"
		"  plugin list                 plugins, instances and refused "
		"files\n"
		"  plugin info NAME|KIND:NAME|PATH.so  descriptor and "
		"parameters\n"
		"  instance start|restart|stop NAME  control a running instance\n"
		"  config check [FILE]         check a daemon config or an "
		"instance file\n"
		"  indicator NAME [--param K=V]... [--input FILE|-] "
		"[--output FILE|-]\n"
		"  backtest --strategy S --data FILE ...  run a backtest\n"
		"  data synth|import|export|list|gaps|prune|vacuum|stats|backfill"
		" ...\n"
		"                              the store of market data\n"
		"  market watch --exchange E --symbol S  live trades and "
		"candles\n"
		"  optimize --strategy S --data F --grid K=LO:HI:STEP ...\n"
		"  montecarlo --from-backtest result.json [--runs N]\n"
		"  chan --data FILE            Chan theory structures as JSON\n"
		"  orders | accounts           the daemon's open orders, "
		"balances, positions\n"
		"  risk status|set|resume|log  halts, limits at run time, the "
		"risk log\n"
		"  alert add|list|show|set|enable|disable|rm|history  price, "
		"change,\n"
		"                              indicator and composite alerts\n"
		"  emergency-close [--ratio R] cancel all, then close R of "
		"every position\n"
		"  user add|list|passwd|role|plan|disable  users of the API\n"
		"  apikey create|list|revoke   API keys (HMAC-signed requests)\n"
		"  secrets set|list|rotate     credentials sealed in the store\n"
		"  notify list|dead|retry|send the notification outbox: waiting, "
		"dead-lettered,\n"
		"                              sent again, a message of your "
		"own\n"
		"  notify channel list|set|rm|test  a user's own channels "
		"(e-mail, Telegram, ...)\n"
		"  reload                      make the daemon reload its "
		"config\n"
		"  metrics                     the daemon's metrics, Prometheus "
		"text format\n"
		"  version\n"
		"  help COMMAND                what COMMAND does and its options "
		"(or COMMAND --help)\n"
		"config: -c FILE, else $QUANTD_CONFIG, else built-in defaults\n"
		"--log-level error|warn|info|debug: what reaches stderr "
		"(default warn),\n"
		"  e.g. a backtested strategy's info lines\n"
		"exit status: 0 ok, 1 failure, 2 bad usage, config or input\n");
}

static void
print_diag(const struct diag *d, const char *prefix)
{
	const char *p = d->text, *nl;

	while (p != NULL && *p) {
		nl = strchr(p, '\n');
		fprintf(stderr, "%s%.*s\n", prefix,
			(int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	}
}

/* The daemon config, or NULL after printing why. */
static struct config *
load_config(const struct cli *c)
{
	struct diag d = { 0 };
	struct config *cfg = config_load(c->config_path, &d);

	if (cfg == NULL)
		print_diag(&d, "quantctl: ");
	diag_free(&d);
	return cfg;
}

/*
 * Load the configured plugin directories without logging each refusal:
 * commands that care (plugin list) show refusals in their output.
 */
static void
load_quietly(struct plugin_registry *r, const struct config *cfg)
{
	enum qd_log_level saved = log_get_level();
	size_t i;

	log_set_level((enum qd_log_level)-1);
	for (i = 0; i < cfg->n_plugin_dirs; i++)
		plugin_load_dir(r, cfg->plugin_dirs[i]);
	for (i = 0; i < cfg->n_sandbox_plugin_dirs; i++)
		sandbox_load_dir(r, cfg->sandbox_helper,
			cfg->sandbox_plugin_dirs[i]);
	plugin_resolve(r);
	log_set_level(saved);
}

/* ---- help ------------------------------------------------------------------ */

static const struct {
	const char *command;
	const char *text;
} helps[] = {
	{ "backtest",
	"usage: quantctl backtest --strategy NAME|PATH.so --data FILE "
	"[options]\n"
	"Run a strategy over OHLCV CSV bars (ts,open,high,low,close,volume; "
	"ts in ms).\n"
	"  --strategy NAME|PATH.so  an installed strategy, or a module file "
	"(used ahead of\n"
	"                           an installed plugin of the same name)\n"
	"  --param K=V              a strategy parameter, repeated "
	"(quantctl plugin info NAME)\n"
	"  --data FILE [--symbol S] bars of one symbol, repeated for more\n"
	"  --timeframe TF           the bars' timeframe (1m ... 1w; default: "
	"from the data)\n"
	"  --cash 10000  --fee-rate 0.001  --maker-fee-rate R  "
	"--slippage-bps 0\n"
	"  --from TS  --to TS       only bars in [from, to] (ms)\n"
	"  --data F --symbol S ...  several symbols: merged by time in one "
	"run\n"
	"  --json                   metrics, trades and equity as JSON\n"
	"  --equity-every 1d        the JSON's equity curve: the last sample "
	"of each\n"
	"                           period (1m ... 1w), bar (every one) or "
	"none\n"
	"  --equity-out FILE.csv    every equity sample as CSV ts,equity\n"
	"  --trades FILE.csv        the trades as CSV\n"
	"  --report FILE.html       one HTML report that opens offline "
	"(downsampled)\n"
	"  --sandbox                run the strategy confined (the same "
	"results)\n"
	"  --progress               lines \"progress DONE TOTAL\" on stderr "
	"(bars of the\n"
	"                           range), at most four a second\n"
	"  --log-level info         show the strategy's info lines\n"
	"Fill rules, buying power, metrics, the JSON schema: "
	QD_DOCDIR "/backtest.md\n" },
	{ "optimize",
	"usage: quantctl optimize --strategy S --data F --grid K=LO:HI:STEP "
	"[--grid ...]\n"
	"         [--param K=V]... [--objective sharpe|total_return|calmar] "
	"[--jobs N]\n"
	"         [--top 20] [--walk-forward train=N,test=M[,step=K]] "
	"[--json]\n"
	"Backtest every point of the grid (one worker process per core by "
	"default) and\n"
	"rank them; --walk-forward optimises on each training window and "
	"reports the\n"
	"stitched out-of-sample windows.  --data takes a CSV file or\n"
	"store:EXCHANGE:SYMBOL:TF; --from TS --to TS (ms) keep the bars in "
	"[from, to];\n"
	"--progress writes \"progress DONE TOTAL\" lines (grid points) on "
	"stderr.\n"
	"--sandbox runs the strategy confined; --cash, --fee-rate and "
	"--symbol are\nbacktest's.\n" },
	{ "montecarlo",
	"usage: quantctl montecarlo --from-backtest result.json [--runs "
	"10000] [--seed S]\n"
	"Resample the trades of a `backtest --json` result: percentiles of "
	"return and\n"
	"drawdown over the runs (reproducible with --seed).\n" },
	{ "market",
	"usage: quantctl market watch --exchange E --symbol S [--json] "
	"[--partial]\n"
	"         [--count N] [--seconds S]\n"
	"The running daemon's normalised trades and closing candles (every "
	"timeframe)\n"
	"of exchange instance E and symbol S as they come, one per line "
	"(--json: one\n"
	"JSON object per line), until interrupted, N events or S seconds;\n"
	"--partial adds the open candles as they change (four times a "
	"second at most).\n"
	"       quantctl market instruments [--exchange E] [--symbol S] "
	"[--json]\n"
	"The instruments the daemon's exchange instances listed for their "
	"symbols: tick,\n"
	"lot, minimum quantity and notional (the venue's decimal text), "
	"status.\n" },
	{ "data",
	"usage: quantctl data synth --bars N [--timeframe 1m] [--seed S] "
	"[--start TS]\n"
	"         [--price P] [--volatility V]\n"
	"       quantctl data import FILE --exchange E --symbol S "
	"[--timeframe TF]\n"
	"       quantctl data export --exchange E --symbol S --timeframe TF "
	"[--from T] [--to T]\n"
	"       quantctl data list [--exchange E] [--symbol S] "
	"[--timeframe TF]\n"
	"       quantctl data gaps --exchange E --symbol S --timeframe TF\n"
	"       quantctl data prune --older-than N[smhdw] [--trades] "
	"[--exchange E] ...\n"
	"       quantctl data vacuum\n"
	"       quantctl data stats\n"
	"       quantctl data backfill --exchange E --symbol S --timeframe 1m "
	"--from T [--to T]\n"
	"Every command but synth also takes --db URL (a SQLite file, "
	"postgresql://...\n"
	"or env:VAR; default: storage.url of the daemon config) and "
	"--json.\n"
	"  synth   deterministic synthetic OHLCV bars (a random walk) as CSV "
	"on stdout\n"
	"  import  candles (our CSV, Binance kline files) or trades (Binance "
	"aggTrades\n"
	"          files), with or without header, ms or us times; checked "
	"row by row\n"
	"          (FILE:LINE errors) and written in one transaction: all or "
	"nothing;\n"
	"          rows already stored are replaced (idempotent)\n"
	"  export  stored candles as CSV (ts,open,high,low,close,volume,"
	"quote_volume,trades)\n"
	"  list    coverage per exchange, symbol, timeframe: first, last, "
	"count, missing\n"
	"  gaps    the runs of missing candles of one series\n"
	"  prune   delete candles and trades older than the duration "
	"(--trades: trades only)\n"
	"  vacuum  give free space back to the file system\n"
	"  stats   the running daemon's store (rows written, failures, "
	"backlog, drops)\n"
	"          and candles (trades, late trades, venue klines, "
	"divergences)\n"
	"  backfill  the running daemon's exchange instance E fetches the "
	"candles the\n"
	"          store lacks in the range over REST (paged, within the "
	"venue's rate\n"
	"          limits); waits until they are stored, progress on a "
	"terminal;\n"
	"          run again to resume\n"
	"Times (--from, --to) are ms since the epoch or ISO 8601 UTC "
	"(2024-01-01T00:00:00Z).\n" },
	{ "chan",
	"usage: quantctl chan --data FILE|store:EXCHANGE:SYMBOL:TF [--from MS] "
	"[--to MS]\n"
	"                     [--min-gap N] [--sandbox] [--progress] "
	"[--json]\n"
	"Chan theory structures of the bars: fractals, strokes, segments, "
	"pivots and\n"
	"buy/sell points, as JSON (" QD_DOCDIR "/chan.md).  Runs the chan "
	"strategy\n"
	"plugin over FILE (or the stored candles) and prints what its "
	"annotations\n"
	"report; --min-gap is its min_gap parameter (2..50, default 4); "
	"--from and\n"
	"--to bound the bars (ms); --sandbox runs the plugin confined; "
	"--progress\n"
	"writes \"progress DONE TOTAL\" lines on stderr (bars analysed of "
	"those read),\n"
	"at most four a second.\n" },
	{ "indicator",
	"usage: quantctl indicator NAME [--param K=V]... [--input FILE|-] "
	"[--output FILE|-]\n"
	"       quantctl indicator --list\n"
	"Run an indicator plugin over OHLCV CSV and write its outputs as CSV.\n" },
	{ "plugin",
	"usage: quantctl plugin list\n"
	"       quantctl plugin info NAME|KIND:NAME|PATH.so\n"
	"list: plugins, instances and refused files (from the running daemon, "
	"else from\n"
	"the plugin directories).  info: descriptor and parameters of every "
	"kind named\n"
	"NAME (KIND:NAME for one, e.g. indicator:rsi), or of a module file, "
	"read in a\n"
	"confined child.\n" },
	{ "config",
	"usage: quantctl config check [FILE]\n"
	"Check the daemon config (and its instance files) or one instance "
	"file: every\n"
	"problem as FILE:LINE:COL, exit 2 if there is any.\n" },
	{ "emergency-close",
	"usage: quantctl emergency-close [--ratio R] [--account A | "
	"--instance I]\n"
	"The running daemon halts new entries in the scope, cancels every "
	"open order in\n"
	"it, then closes R (0 < R <= 1, default 1) of every position at "
	"market\n"
	"(reduce-only).  Repeating it while the closes work sends nothing "
	"new.  Also:\n"
	"quantd --emergency-close, or SIGUSR1 to the daemon (everything, R "
	"= 1).\n" },
	{ "orders",
	"usage: quantctl orders [--instance I] [--json]\n"
	"       quantctl orders --stats [--json]\n"
	"The running daemon's open orders; --stats: orders submitted, refused, "
	"sent and\n"
	"filled, and the tick -> order latency (a trade in to an order it "
	"caused handed\n"
	"to its venue, written ahead first).\n" },
	{ "accounts",
	"usage: quantctl accounts [--json]\n"
	"Every account of the running daemon: cash, equity, fees, positions, "
	"and whether\n"
	"the ledger reconciles exactly.\n" },
	{ "risk",
	"usage: quantctl risk status\n"
	"       quantctl risk set global|account ID|instance ID 'JSON'\n"
	"       quantctl risk resume global|account ID|instance ID\n"
	"       quantctl risk log [--since MS] [--limit N] [--db URL] "
	"[--json]\n"
	"status: halts per scope; set: replace a scope's limits at run time "
	"(the keys\n"
	"of \"risk\" in the configuration, checked the same way); resume: "
	"lift a halt\n"
	"that lasts until resumed (drawdown, losses, emergency); log: every "
	"decision\n"
	"with its rule and reason, from the store.\n" },
	{ "user",
	"usage: quantctl user add NAME [--role admin|trader|viewer] "
	"[--plan PLAN]\n"
	"       quantctl user list [--json]\n"
	"       quantctl user passwd NAME\n"
	"       quantctl user role NAME admin|trader|viewer\n"
	"       quantctl user plan NAME free|pro|enterprise\n"
	"       quantctl user disable NAME [--enable]\n"
	"Users of the API, in the store (--db URL, default: storage.url of "
	"the daemon\n"
	"config).  add and passwd read the password (8 characters or more) "
	"from the\n"
	"terminal without echo, twice, or from stdin's first line -- never "
	"from the\n"
	"command line.  A new user is a trader on the free plan unless told "
	"otherwise.\n"
	"passwd and disable end the user's sessions (refresh tokens); "
	"--enable undoes\n"
	"disable.  Every change is written to the audit log.\n" },
	{ "apikey",
	"usage: quantctl apikey create USER [--scopes read,trade,admin] "
	"[--label TEXT]\n"
	"       quantctl apikey list [USER] [--json]\n"
	"       quantctl apikey revoke ID\n"
	"API keys for HMAC-signed requests.  create prints the key's id and "
	"its secret\n"
	"once (the store keeps the secret sealed under the master key: give "
	"--keys\n"
	"ID=env:VAR or set QUANTD_MASTER_KEYS).  Scopes default to read; "
	"admin is for\n"
	"admin users only.  revoke stops a key at once.\n" },
	{ "secrets",
	"usage: quantctl secrets set NAME\n"
	"       quantctl secrets list [--json]\n"
	"       quantctl secrets rotate\n"
	"Credentials (e.g. an exchange's api_secret) sealed with AES-256-GCM "
	"in the\n"
	"store.  set reads the value as user add reads a password; list "
	"shows names and\n"
	"key ids, never values.  Master keys: --keys SPEC or "
	"$QUANTD_MASTER_KEYS, SPEC\n"
	"being ID=env:VAR or ID=file:PATH (32 bytes: 64 hex digits or "
	"Base64),\n"
	"comma-separated; the last is current.  rotate re-seals every "
	"credential, API\n"
	"key secret and TOTP secret under the current key, in one "
	"transaction: load\n"
	"the old keys and the new one last (--keys old=env:A,new=env:B).\n" },
	{ "alert",
	"usage: quantctl alert add --exchange E --symbol S CONDITION [OPTIONS]\n"
	"       quantctl alert list [--user U] [--json]\n"
	"       quantctl alert show|rm ID [--user U] [--json]\n"
	"       quantctl alert set|enable|disable ID [--fire once|every] "
	"[--cooldown S]\n"
	"              [--expires MS|+Nm|+Nh|+Nd|never] [--name N] [--user U]\n"
	"       quantctl alert history [ID] [--user U] [--limit N] [--json]\n"
	"Alerts of the running daemon, on its live trades and closing "
	"candles.\n"
	"CONDITION, one of:\n"
	"  --above P | --below P     the price crosses P (on trades, or on "
	"closes\n"
	"                            with --timeframe TF)\n"
	"  --change PCT --window S   a move of PCT percent (+5 rises, -5 falls) "
	"from\n"
	"                            the price at the start of an S-second "
	"window\n"
	"  --rsi-above L | --rsi-below L [--period N] --timeframe TF\n"
	"  --golden-cross | --death-cross [--fast N] [--slow N] [--ma sma|ema]"
	"\n"
	"                            --timeframe TF   (defaults 50, 200, sma)\n"
	"  --bb-above | --bb-below [--period N] [--stddev K] --timeframe TF\n"
	"                            the close outside the Bollinger band\n"
	"  --condition JSON          any condition, and/or trees included:\n"
	"                            '{\"type\":\"and\",\"of\":[{...},{...}]}'\n"
	"OPTIONS: --user U (default admin), --name N, --fire once|every "
	"(default once),\n"
	"  --cooldown S (every: no fire within S seconds of the last), "
	"--expires T,\n"
	"  --channels all|none|KIND,... (which of the user's own channels a "
	"fire goes to;\n"
	"  add and set; default all: every channel the user set).\n"
	"A refusal names the field at fault.  The conditions and how "
	"\"crosses\" is\n"
	"defined: docs/alerts.md.\n" },
	{ "notify",
	"usage: quantctl notify list [--json]\n"
	"       quantctl notify dead [--json]\n"
	"       quantctl notify retry ID|all\n"
	"       quantctl notify send --event E [--title T] [--body B] "
	"[--severity S]\n"
	"                            [--user U] [--recipient R] [--key K]\n"
	"       quantctl notify channel list --user U [--json]\n"
	"       quantctl notify channel set KIND --user U [--to A] [--chat-id C] "
	"[--url U]\n"
	"                            [--secret-ref env:VAR|file:PATH | "
	"--secret-stdin]\n"
	"       quantctl notify channel rm|test KIND --user U\n"
	"channel: a user's own channels (KIND email, telegram, discord, "
	"webhook; the\n"
	"secret is the webhook's HMAC key, the Telegram bot token or the "
	"Discord webhook\n"
	"URL, kept as a reference or, with --secret-stdin, sealed in the "
	"store); a kind\n"
	"the user's plan does not include is refused (docs/notifications.md).\n"
	"The running daemon's notification outbox.  list: counters and the "
	"notifications\n"
	"waiting for a channel (with their attempts); dead: those whose "
	"attempts ran out,\n"
	"with the last error; retry: send a dead one (or all) again from "
	"attempt 1;\n"
	"send: queue a notification (E: [a-z0-9._-]; S: info, warning or "
	"critical; K: its\n"
	"deduplication key, [A-Za-z0-9._:-]) for every channel whose route "
	"takes it.\n" },
	{ "instance",
	"usage: quantctl instance start|restart|stop NAME\n"
	"Start (a stopped or failed one), restart or stop one instance of the "
	"running daemon.\n" },
	{ "reload",
	"usage: quantctl reload\n"
	"Make the running daemon reload its configuration (as SIGHUP).\n" },
	{ "metrics",
	"usage: quantctl metrics [--json]\n"
	"The running daemon's metrics in the Prometheus text exposition format "
	"0.0.4, as\n"
	"its /metrics serves them: feed messages, candles, the bus, the store "
	"queue and\n"
	"commit latency, the journal, orders by state, risk trips and halts, "
	"sandbox\n"
	"restarts, plugin instances by state, process facts.  --json: the "
	"daemon's\n"
	"reply, the text in \"text\".  Check a scrape with `promtool check "
	"metrics`.\n" },
	{ "version",
	"usage: quantctl version\n" },
};

void
cli_help(const char *command, FILE *f)
{
	size_t i;

	for (i = 0; command != NULL && i < QD_COUNTOF(helps); i++)
		if (strcmp(helps[i].command, command) == 0) {
			fputs(helps[i].text, f);
			return;
		}
	usage(f);
}

int
cli_registry_load(const struct cli *c, struct plugin_registry *r)
{
	struct config *cfg = load_config(c);

	if (cfg == NULL)
		return -1;
	load_quietly(r, cfg);
	config_free(cfg);
	return 0;
}

struct plugin_registry *
cli_registry(const struct cli *c)
{
	struct plugin_registry *r = plugin_registry_new();

	if (r != NULL && cli_registry_load(c, r) != 0) {
		plugin_registry_free(r);
		r = NULL;
	}
	return r;
}

/* ---- plugin list --------------------------------------------------------- */

/* The list as the daemon would give it, from files only (no daemon). */
static cJSON *
offline_list(const struct cli *c)
{
	struct config *cfg = load_config(c);
	struct plugin_registry *r;
	cJSON *o, *pl, *rf, *in;
	size_t i, j;

	if (cfg == NULL)
		return NULL;
	if ((r = plugin_registry_new()) == NULL) {
		config_free(cfg);
		return NULL;
	}
	load_quietly(r, cfg);
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddStringToObject(o, "source", "files");
	pl = cJSON_AddArrayToObject(o, "plugins");
	in = cJSON_AddArrayToObject(o, "instances");
	for (i = 0; i < plugin_count(r); i++) {
		const struct plugin *p = plugin_at(r, i);
		cJSON *pj = describe_plugin(p, 0);
		cJSON *insts = cJSON_AddArrayToObject(pj, "instances");

		for (j = 0; j < cfg->n_instances; j++) {
			const struct config_instance *ci = &cfg->instances[j];
			cJSON *ij;

			if (strcmp(ci->plugin, plugin_desc(p)->name) != 0)
				continue;
			ij = cJSON_CreateObject();
			cJSON_AddStringToObject(ij, "instance", ci->instance);
			cJSON_AddStringToObject(ij, "plugin", ci->plugin);
			cJSON_AddStringToObject(ij, "trust",
				config_trust_name(ci->trust));
			cJSON_AddStringToObject(ij, "state", ci->enabled ?
				"not running" : "disabled");
			cJSON_AddItemToArray(insts, ij);
			cJSON_AddItemToArray(in, cJSON_Duplicate(ij, 1));
		}
		cJSON_AddItemToArray(pl, pj);
	}
	rf = cJSON_AddArrayToObject(o, "refused");
	for (i = 0; i < plugin_refusal_count(r); i++)
		cJSON_AddItemToArray(rf,
			describe_refusal(plugin_refusal_at(r, i)));
	plugin_registry_free(r);
	config_free(cfg);
	return o;
}

/*
 * Ask the running daemon (if any) for `request`; NULL if none is running.
 * *failed is set if a daemon answered with an error or could not be read.
 */
static cJSON *
ask_daemon(const struct cli *c, const char *request, int *failed)
{
	struct diag d = { 0 };
	struct config *cfg = config_load(c->config_path, &d);
	char *reply = NULL;
	cJSON *o = NULL;
	int rc;

	*failed = 0;
	diag_free(&d);
	if (cfg == NULL)
		return NULL;
	rc = ctl_request(cfg->control_socket, request, &reply, 5000);
	if (rc == -2) {
		fprintf(stderr, "quantctl: daemon at %s: %s\n",
			cfg->control_socket, strerror(errno));
		*failed = 1;
	}
	config_free(cfg);
	if (rc != 0)
		return NULL;
	o = cJSON_Parse(reply);
	free(reply);
	if (o == NULL) {
		fprintf(stderr, "quantctl: the daemon sent a malformed reply\n");
		*failed = 1;
	}
	return o;
}

static const char *
str_of(const cJSON *o, const char *key, const char *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : def;
}

#define LIST_FMT "%-18s %-10s %-8s %-4s %-16s %-9s %-11s %s\n"
#define INFO_FMT "    %-14s %-7s %-10s %-22s %s\n"

static void
print_list(const cJSON *o)
{
	const cJSON *p, *i;

	printf(LIST_FMT, "NAME", "KIND", "VERSION", "ABI", "INSTANCE", "TRUST",
		"STATE", "FILE");
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "plugins")) {
		const cJSON *insts = cJSON_GetObjectItemCaseSensitive(p,
			"instances");

		if (cJSON_GetArraySize(insts) == 0)
			printf(LIST_FMT, str_of(p, "name", "?"),
				str_of(p, "kind", "?"), str_of(p, "version", "?"),
				str_of(p, "abi", "?"), "-", "-", "loaded",
				str_of(p, "file", "?"));
		cJSON_ArrayForEach(i, insts)
			printf(LIST_FMT, str_of(p, "name", "?"),
				str_of(p, "kind", "?"), str_of(p, "version", "?"),
				str_of(p, "abi", "?"),
				str_of(i, "instance", "?"), str_of(i, "trust", "?"),
				str_of(i, "state", "?"), str_of(p, "file", "?"));
	}
	/* Instances whose plugin is not loaded. */
	cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(o, "instances")) {
		const char *pn = str_of(i, "plugin", "");
		int found = 0;

		cJSON_ArrayForEach(p,
		    cJSON_GetObjectItemCaseSensitive(o, "plugins"))
			if (strcmp(str_of(p, "name", ""), pn) == 0)
				found = 1;
		if (!found)
			printf(LIST_FMT, pn, "-", "-", "-", str_of(i, "instance", "?"),
				str_of(i, "trust", "?"), str_of(i, "state", "?"),
				"-");
	}
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "refused"))
		printf(LIST_FMT, str_of(p, "name", "-"), "-", "-", "-", "-", "-",
			"refused", str_of(p, "file", "?"));
	cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(o, "instances"))
		if (cJSON_GetObjectItemCaseSensitive(i, "reason"))
			printf("%s: %s\n", str_of(i, "instance", "?"),
				str_of(i, "reason", ""));
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "refused"))
		printf("%s\n", str_of(p, "reason", ""));
}

static int
emit_json(const cJSON *o)
{
	char *s = cJSON_Print(o);

	if (s == NULL)
		return 1;
	printf("%s\n", s);
	free(s);
	return 0;
}

static int
plugin_list(struct cli *c)
{
	int failed;
	cJSON *o = ask_daemon(c, "{\"cmd\":\"plugin.list\"}", &failed);

	if (o == NULL && failed)
		return 1;
	if (o == NULL && (o = offline_list(c)) == NULL)
		return 2;
	if (c->json)
		emit_json(o);
	else
		print_list(o);
	cJSON_Delete(o);
	return 0;
}

/* ---- plugin info --------------------------------------------------------- */

static void
print_info(const cJSON *p)
{
	const cJSON *a, *x;

	printf("%s %s (%s, ABI %s)\n  %s\n  file:     %s\n  license:  %s\n",
		str_of(p, "name", "?"), str_of(p, "version", "?"),
		str_of(p, "kind", "?"), str_of(p, "abi", "?"),
		str_of(p, "description", ""), str_of(p, "file", "?"),
		str_of(p, "license", "?"));
	a = cJSON_GetObjectItemCaseSensitive(p, "requires");
	printf("  requires:");
	if (cJSON_GetArraySize(a) == 0)
		printf(" -");
	cJSON_ArrayForEach(x, a)
		printf(" %s", x->valuestring);
	printf("\n");
	if ((a = cJSON_GetObjectItemCaseSensitive(p, "outputs")) != NULL) {
		printf("  outputs: ");
		cJSON_ArrayForEach(x, a)
			printf(" %s", x->valuestring);
		printf("\n");
	}
	a = cJSON_GetObjectItemCaseSensitive(p, "params");
	if (cJSON_GetArraySize(a) == 0) {
		printf("  params:   none\n");
		return;
	}
	printf("  params:\n");
	printf(INFO_FMT, "NAME", "TYPE", "DEFAULT", "RANGE", "DESCRIPTION");
	cJSON_ArrayForEach(x, a) {
		const cJSON *def = cJSON_GetObjectItemCaseSensitive(x, "default");
		const cJSON *mn = cJSON_GetObjectItemCaseSensitive(x, "min");
		const cJSON *mx = cJSON_GetObjectItemCaseSensitive(x, "max");
		const cJSON *ch = cJSON_GetObjectItemCaseSensitive(x, "choices");
		char d[64], range[128];

		if (def == NULL)
			snprintf(d, sizeof(d), "(required)");
		else if (cJSON_IsString(def))
			snprintf(d, sizeof(d), "%s", def->valuestring);
		else if (cJSON_IsBool(def))
			snprintf(d, sizeof(d), "%s", cJSON_IsTrue(def) ?
				"true" : "false");
		else
			json_fmt_double(d, sizeof(d), def->valuedouble);
		range[0] = '\0';
		if (mn || mx)
			snprintf(range, sizeof(range), "[%.10g, %.10g]",
				mn ? mn->valuedouble : -1e308,
				mx ? mx->valuedouble : 1e308);
		if (ch) {
			const cJSON *e;
			size_t used = 0;

			cJSON_ArrayForEach(e, ch) {
				int w = snprintf(range + used,
					sizeof(range) - used, "%s%s",
					used ? "|" : "", e->valuestring);

				if (w < 0 || (size_t)w >= sizeof(range) - used)
					break;
				used += (size_t)w;
			}
		}
		printf(INFO_FMT, str_of(x, "name", "?"), str_of(x, "type", "?"), d,
			range[0] ? range : "-", str_of(x, "description", ""));
	}
}

/* 1 if `name` names a module file rather than a plugin. */
static int
is_module_path(const char *name)
{
	size_t n = strlen(name);

	return strchr(name, '/') != NULL ||
		(n > 3 && strcmp(name + n - 3, ".so") == 0);
}

/*
 * Describe the module at `path` in a confined child (its constructors
 * never run in quantctl) into `r`.  0, or 1 with the reason on stderr.
 */
static int
describe_module(const struct cli *c, struct plugin_registry *r,
	const char *path)
{
	struct config *cfg = load_config(c);
	char err[1024];
	int n;

	if (cfg == NULL)
		return 1;
	n = sandbox_describe(cfg->sandbox_helper, path, r, err, sizeof(err));
	config_free(cfg);
	if (n < 1) {
		if (strncmp(err, path, strlen(path)) == 0)
			fprintf(stderr, "quantctl: %s\n", err);
		else
			fprintf(stderr, "quantctl: %s: %s\n", path, err);
		return 1;
	}
	return 0;
}

/* The plugins of `r` loaded from the same file as `path`; how many. */
static size_t
plugins_of_file(const struct plugin_registry *r, const char *path,
	const struct plugin **out, size_t cap)
{
	char *want = realpath(path, NULL);
	size_t i, n = 0;

	for (i = 0; want != NULL && i < plugin_count(r) && n < cap; i++) {
		char *have = realpath(plugin_file(plugin_at(r, i)), NULL);

		if (have != NULL && strcmp(have, want) == 0)
			out[n++] = plugin_at(r, i);
		free(have);
	}
	free(want);
	return n;
}

/*
 * plugin info NAME: the plugin of that name (KIND:NAME picks one kind;
 * a plain name shows every kind that has it, e.g. the rsi strategy and the
 * rsi indicator), or every plugin of a module file given by path.  With
 * --json: one object, or an array when several match.
 */
static int
plugin_info(struct cli *c, const char *name)
{
	struct plugin_registry *r = cli_registry(c);
	const struct plugin *match[64];
	size_t i, n = 0;
	cJSON *o;

	if (r == NULL)
		return 2;
	if (is_module_path(name)) {
		/* A configured module as loaded; any other is described in a
		 * confined child, on its own (a newer build of an installed
		 * plugin has the same name). */
		if ((n = plugins_of_file(r, name, match, 64)) == 0) {
			plugin_registry_free(r);
			if ((r = plugin_registry_new()) == NULL)
				return 1;
			if (describe_module(c, r, name) != 0) {
				plugin_registry_free(r);
				return 1;
			}
			n = plugins_of_file(r, name, match, 64);
		}
	} else if (strchr(name, ':') != NULL) {
		if ((match[0] = plugin_find(r, name)) != NULL)
			n = 1;
	} else {
		for (i = 0; i < plugin_count(r) && n < 64; i++)
			if (strcmp(plugin_desc(plugin_at(r, i))->name, name) == 0)
				match[n++] = plugin_at(r, i);
	}
	if (n == 0) {
		fprintf(stderr, "quantctl: no plugin named '%s' is loaded "
			"(quantctl plugin list shows what is)\n", name);
		plugin_registry_free(r);
		return 1;
	}
	if (c->json && n > 1) {
		o = cJSON_CreateArray();
		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(o, describe_plugin(match[i], 1));
		emit_json(o);
		cJSON_Delete(o);
	}
	for (i = 0; (!c->json || n == 1) && i < n; i++) {
		o = describe_plugin(match[i], 1);
		if (c->json)
			emit_json(o);
		else
			print_info(o);
		if (!c->json && i + 1 < n)
			printf("\n");
		cJSON_Delete(o);
	}
	plugin_registry_free(r);
	return 0;
}

int
cmd_plugin(struct cli *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "list") == 0 && argc == 1)
		return plugin_list(c);
	if (argc == 2 && strcmp(argv[0], "info") == 0)
		return plugin_info(c, argv[1]);
	usage(stderr);
	return 2;
}

/* ---- config check -------------------------------------------------------- */

/* 1 if the file looks like an instance file (has a "plugin" member). */
static int
is_instance_file(const char *file)
{
	FILE *f = fopen(file, "rb");
	char buf[65536];
	size_t n;
	struct json_error je;
	struct json_value *v;
	int r = 0;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if ((v = json_parse(buf, n, &je)) != NULL) {
		r = json_get(v, "plugin") != NULL;
		json_free(v);
	}
	return r;
}

int
cmd_config(struct cli *c, int argc, char **argv)
{
	struct diag d = { 0 }, w = { 0 };
	struct plugin_registry *r;
	struct config *cfg;
	int rc = 2;

	if (argc < 1 || argc > 2 || strcmp(argv[0], "check") != 0) {
		usage(stderr);
		return 2;
	}
	log_set_level(QD_LOG_ERROR);
	if (argc == 2 && is_instance_file(argv[1])) {
		struct config_instance ci;

		if ((r = cli_registry(c)) == NULL)
			return 2;
		if ((cfg = load_config(c)) == NULL) {
			plugin_registry_free(r);
			return 2;
		}
		if (config_load_instance(argv[1], &ci, &d) == 0) {
			struct config one = *cfg;

			one.instances = &ci;
			one.n_instances = 1;
			config_bind(&one, r, &d, &w);
			config_instance_clear(&ci);
		}
		config_free(cfg);
		plugin_registry_free(r);
	} else {
		const char *path = argc == 2 ? argv[1] : c->config_path;

		cfg = config_load(path, &d);
		if (cfg != NULL) {
			if ((r = plugin_registry_new()) == NULL) {
				config_free(cfg);
				return 1;
			}
			load_quietly(r, cfg);
			config_bind(cfg, r, &d, &w);
			plugin_registry_free(r);
			config_free(cfg);
		}
	}
	/* An instance naming no loaded plugin would not start: a check
	 * fails on it (the daemon starts the rest, with a warning). */
	print_diag(&w, "");
	d.count += w.count;
	if (d.count == 0) {
		printf("%s: OK\n", argc == 2 ? argv[1] : c->config_path ?
			c->config_path : "built-in configuration");
		rc = 0;
	} else {
		print_diag(&d, "");
		fprintf(stderr, "%d problem(s)\n", d.count);
	}
	diag_free(&d);
	diag_free(&w);
	return rc;
}

/* ---- daemon requests ----------------------------------------------------- */

static int
simple_request(struct cli *c, const char *cmd, const char *name)
{
	cJSON *req = cJSON_CreateObject(), *o, *err;
	char *text;
	int failed, rc = 0;

	cJSON_AddStringToObject(req, "cmd", cmd);
	if (name)
		cJSON_AddStringToObject(req, "name", name);
	text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	o = ask_daemon(c, text, &failed);
	free(text);
	if (o == NULL) {
		if (!failed)
			fprintf(stderr, "quantctl: no daemon is running (no "
				"control socket); start quantd first\n");
		return 1;
	}
	if ((err = cJSON_GetObjectItemCaseSensitive(o, "error")) != NULL) {
		fprintf(stderr, "quantctl: %s\n", str_of(err, "message", "?"));
		rc = 1;
	} else if (c->json) {
		emit_json(o);
	} else {
		printf("ok\n");
	}
	cJSON_Delete(o);
	return rc;
}

/* quantctl metrics: the exposition text as it is, for promtool and
 * scrapers that read files. */
static int
cmd_metrics(struct cli *c)
{
	const cJSON *text, *err;
	cJSON *o;
	int failed, rc = 0;

	o = ask_daemon(c, "{\"cmd\":\"metrics\"}", &failed);
	if (o == NULL) {
		if (!failed)
			fprintf(stderr, "quantctl: no daemon is running (no "
				"control socket); start quantd first\n");
		return 1;
	}
	text = cJSON_GetObjectItemCaseSensitive(o, "text");
	if ((err = cJSON_GetObjectItemCaseSensitive(o, "error")) != NULL) {
		fprintf(stderr, "quantctl: %s\n", str_of(err, "message", "?"));
		rc = 1;
	} else if (c->json) {
		emit_json(o);
	} else if (!cJSON_IsString(text)) {
		fprintf(stderr, "quantctl: the daemon's reply has no metrics "
			"text (an older quantd?)\n");
		rc = 1;
	} else {
		fputs(text->valuestring, stdout);
	}
	cJSON_Delete(o);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cli c = { NULL, 0 };
	char **args;
	int i, n = 0, rc, level = QD_LOG_WARN;

	if ((args = calloc((size_t)argc + 1, sizeof(*args))) == NULL)
		return 1;
	c.config_path = getenv("QUANTD_CONFIG");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c.json = 1;
		else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
			if ((level = log_level_parse(argv[++i])) < 0) {
				fprintf(stderr, "quantctl: --log-level %s: "
					"expected error, warn, info or "
					"debug\n", argv[i]);
				free(args);
				return 2;
			}
		}
		else if ((strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) && n == 0 && i + 1 < argc)
			c.config_path = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			/* quantctl --help, quantctl COMMAND --help */
			cli_help(n > 0 ? args[0] : NULL, stdout);
			free(args);
			return 0;
		} else
			args[n++] = argv[i];
	}
	log_set_level((enum qd_log_level)level);
	if (n == 2 && strcmp(args[0], "help") == 0) {
		cli_help(args[1], stdout);
		rc = 0;
	} else if (n == 0) {
		usage(stderr);
		rc = 2;
	} else if (strcmp(args[0], "plugin") == 0) {
		rc = cmd_plugin(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "config") == 0) {
		rc = cmd_config(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "indicator") == 0) {
		rc = cmd_indicator(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "backtest") == 0) {
		rc = cmd_backtest(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "data") == 0) {
		rc = cmd_data(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "market") == 0) {
		rc = cmd_market(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "user") == 0) {
		rc = cmd_user(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "apikey") == 0) {
		rc = cmd_apikey(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "secrets") == 0) {
		rc = cmd_secrets(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "emergency-close") == 0) {
		rc = cmd_emergency_close(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "orders") == 0) {
		rc = cmd_orders(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "accounts") == 0) {
		rc = cmd_accounts(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "risk") == 0) {
		rc = cmd_risk(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "alert") == 0) {
		rc = cmd_alert(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "notify") == 0) {
		rc = cmd_notify(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "optimize") == 0) {
		rc = cmd_optimize(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "montecarlo") == 0) {
		rc = cmd_montecarlo(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "chan") == 0) {
		rc = cmd_chan(&c, n - 1, args + 1);
	} else if (strcmp(args[0], "instance") == 0 && n == 3 &&
	    (strcmp(args[1], "start") == 0 ||
	    strcmp(args[1], "restart") == 0 || strcmp(args[1], "stop") == 0)) {
		rc = simple_request(&c, args[1][0] == 'r' ? "instance.restart" :
			args[1][2] == 'a' ? "instance.start" : "instance.stop",
			args[2]);
	} else if (strcmp(args[0], "reload") == 0 && n == 1) {
		rc = simple_request(&c, "reload", NULL);
	} else if (strcmp(args[0], "metrics") == 0 && n == 1) {
		rc = cmd_metrics(&c);
	} else if (strcmp(args[0], "version") == 0) {
		printf("quantctl %s (SDK ABI %d.%d)\n", PACKAGE_VERSION,
			QD_ABI_MAJOR, QD_ABI_MINOR);
		rc = 0;
	} else {
		fprintf(stderr, "quantctl: unknown command '%s'\n", args[0]);
		usage(stderr);
		rc = 2;
	}
	free(args);
	return rc;
}
