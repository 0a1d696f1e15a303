/*
 * cmd -- quantctl subcommands.  Each takes the arguments after its name and
 * returns the process exit status: 0 ok, 1 runtime failure, 2 bad usage,
 * bad config or bad input (with a message on stderr naming file:line).
 */
#ifndef QD_CMD_H
#define QD_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct plugin_registry;

/**
 * Print the help of `command` ("backtest", "plugin", ...) to f: its usage
 * and what each option does.  An unknown command gets the overview.
 * Subcommands print it to stderr on bad usage; `quantctl COMMAND --help`
 * to stdout.
 */
void cli_help(const char *command, FILE *f);

/** Options common to every subcommand (before the subcommand name). */
struct cli {
	const char *config_path; /**< -c FILE, or NULL for the default */
	int json;                /**< --json */
};

/**
 * The plugin registry as quantd would load it: plugin directories from the
 * daemon config (or the built-in default), requirements resolved.  Returns
 * NULL after printing the reason to stderr.  Free with
 * plugin_registry_free().
 */
struct plugin_registry *cli_registry(const struct cli *c);

/**
 * Load the configured plugin directories into `r` (as cli_registry does),
 * after whatever `r` already holds: a plugin loaded first keeps its name
 * and a configured one of the same name is refused (quietly).  0, or -1
 * after printing the reason.
 */
int cli_registry_load(const struct cli *c, struct plugin_registry *r);

int cmd_plugin(struct cli *c, int argc, char **argv);
int cmd_config(struct cli *c, int argc, char **argv);
int cmd_indicator(struct cli *c, int argc, char **argv);
int cmd_backtest(struct cli *c, int argc, char **argv);
int cmd_data(struct cli *c, int argc, char **argv);
/** `user`, `apikey`, `secrets`: users, API keys and sealed credentials in
 *  the store (cmd_user.c). */
int cmd_user(struct cli *c, int argc, char **argv);
int cmd_apikey(struct cli *c, int argc, char **argv);
int cmd_secrets(struct cli *c, int argc, char **argv);
/** `market watch`: the daemon's trades and closing candles, live. */
int cmd_market(struct cli *c, int argc, char **argv);
/** The running daemon's trading: emergency close, orders, accounts,
 *  risk (cmd_trade.c). */
struct cJSON;
/** A member of a daemon's JSON reply: the number (0 if not one), the
 *  string ("" if not one). */
double cli_json_num(const struct cJSON *o, const char *k);
const char *cli_json_str(const struct cJSON *o, const char *k);
/**
 * Send `req` (consumed) to the running daemon and print its reply: as
 * JSON with --json (or when `show` is NULL), else through show().  An
 * error reply's message goes to stderr.  Returns the exit status: 0, 1
 * (no daemon, an error reply), 2 (the configuration cannot be read).
 */
int cli_ask(const struct cli *c, struct cJSON *req,
	void (*show)(const struct cJSON *reply));
int cmd_emergency_close(struct cli *c, int argc, char **argv);
int cmd_orders(struct cli *c, int argc, char **argv);
int cmd_accounts(struct cli *c, int argc, char **argv);
int cmd_risk(struct cli *c, int argc, char **argv);
int cmd_notify(struct cli *c, int argc, char **argv);
/** Send `req` (consumed) to the running daemon; print the reply (as JSON
 *  with --json, else through `show`, NULL: as JSON).  The exit status. */
int cli_ask(const struct cli *c, struct cJSON *req,
	void (*show)(const struct cJSON *reply));
/** `data synth` (argv[0] is "synth"). */
int cmd_data_synth(struct cli *c, int argc, char **argv);
/** The store location: `db` (a URL or SQLite file) or the daemon
 *  config's storage.url.  malloc'd, or NULL after printing why. */
char *cli_store_url(const struct cli *c, const char *db);

struct cli_store_cursor;
struct csv_series;
struct qd_bar;
/**
 * The candles of "store:EXCHANGE:SYMBOL:TIMEFRAME" from the configured
 * store, as a CSV file would give them, read a page at a time: open puts
 * the symbol in `symbol`; next gives the following candles (the cursor's:
 * valid until its next call), 0 at the end, -1 with err (a series with no
 * candle at all is an error).  Open returns NULL with err.
 */
struct cli_store_cursor *cli_store_open(const struct cli *c,
	const char *spec, char *symbol, size_t symcap, char *err,
	size_t errlen);
long cli_store_next(struct cli_store_cursor *k, const struct qd_bar **bars,
	char *err, size_t errlen);
void cli_store_close(struct cli_store_cursor *k);
/**
 * The bars of `data` (a CSV file or store:EXCHANGE:SYMBOL:TF) within
 * [from, to] (ms; 0: unbounded) into *cs (csv_series_free()); a store
 * series' symbol into `sym`.  0, or -1 after printing why.
 */
int cli_read_bars(const struct cli *c, const char *data, int64_t from,
	int64_t to, struct csv_series *cs, char *sym, size_t symcap);
/** A whole decimal number (int64): 0, or -1 when `s` is not one. */
int cli_parse_i64(const char *s, int64_t *out);
/** The configured quantd-sandbox program (malloc'd), for --sandbox; NULL
 *  after printing why. */
char *cli_sandbox_helper(const struct cli *c);
/**
 * --progress of backtest and optimize: lines "progress DONE TOTAL" on
 * stderr, at most four a second (TOTAL 0: not known), the last one always
 * (final != 0).  What a job runner reads (core/daemon/jobs.h).
 */
struct cli_progress {
	int on;
	long long last_ms;         /**< monotonic, of the last line */
};
void cli_progress(struct cli_progress *p, unsigned long long done,
	unsigned long long total, int final);
int cmd_optimize(struct cli *c, int argc, char **argv);
int cmd_montecarlo(struct cli *c, int argc, char **argv);
int cmd_chan(struct cli *c, int argc, char **argv);
/** `alert add|list|show|set|enable|disable|rm|history` (cmd_alert.c). */
int cmd_alert(struct cli *c, int argc, char **argv);

#endif
