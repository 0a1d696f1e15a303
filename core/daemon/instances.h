/*
 * instances -- the daemon's control commands for plugin instances, their
 * parameters and instance files, and indicators computed over the store's
 * candles (the API's /api/v1/instances, /config/check and /indicators).
 *
 * Commands (requests and replies are the control protocol's JSON):
 *   instance.list                     every instance: name, plugin, kind,
 *                                     state (and why it failed), trust,
 *                                     restarts, exchange/account
 *   instance.info {name}              the same plus its params' current
 *                                     values (secrets "***"), the plugin's
 *                                     param specs and "version": a hash of
 *                                     its instance file as it is on disk
 *   instance.start {name}             start a stopped or failed instance
 *   instance.params.validate {name, params}
 *                                     {"valid", "errors":[{field,message}]}:
 *                                     the config loader's checks and words
 *   instance.annotations {name, after?, limit?}
 *                                     what the instance annotated (api->
 *                                     annotate) and keeps, oldest first:
 *                                     {"annotations":[{seq, ts, kind,
 *                                     data}], "next": the last seq (or
 *                                     after), "more"}: the first `limit`
 *                                     (at most, and by default,
 *                                     INSTANCES_MAX_ANNOTATIONS) after seq
 *                                     `after`
 *   instance.params.set {name, params, version?}
 *                                     validate, write the instance file
 *                                     (temp file + rename; its other members
 *                                     and layout kept) and reload; a stale
 *                                     version is a conflict; on any error
 *                                     nothing changes
 *   instance.config.get {name}        the instance file: {"name", "file",
 *                                     "text", "version"}, a secret param's
 *                                     value shown as "***"
 *   instance.config.set {name, text, version?}
 *                                     the whole file replaced: checked as a
 *                                     reload would (a problem is
 *                                     "bad_request" with its line and
 *                                     column, field "text"), the
 *                                     instance's name kept, written (temp
 *                                     file + rename) and reloaded; a stale
 *                                     version is a conflict; on any error
 *                                     nothing changes
 *   config.check {text}               an instance file's text checked as
 *                                     `quantctl config check FILE` does:
 *                                     {"valid", "problems":[{line, column,
 *                                     message}]}
 *   indicator.list                    indicator plugins: params, outputs
 *   indicator.compute {name, exchange, symbol, timeframe?, from?, to?,
 *                      limit?, params?}
 *                                     the indicator over stored candles, in
 *                                     the host as strategies' indicators
 *                                     run: {"ts":[...], "values":{OUTPUT:
 *                                     [number|null...]}}, at most
 *                                     INSTANCES_MAX_BARS bars
 * A parameter given as "***" for a secret keeps the file's value (what
 * instance.info shows is never written back over the secret).
 *
 * Core thread.
 */
#ifndef QD_DAEMON_INSTANCES_H
#define QD_DAEMON_INSTANCES_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct host;
struct plugin_registry;
struct store;

/** Bars an indicator is computed over, at most. */
#define INSTANCES_MAX_BARS 100000

/** Annotations one instance.annotations reply holds, at most. */
#define INSTANCES_MAX_ANNOTATIONS 5000

/** What the commands work on; the daemon's, valid while it runs. */
struct daemon_instances {
	struct host *host;
	struct plugin_registry *reg;
	const char *config_path;    /**< the daemon's file, or NULL: built-in */
	/** The store's reader (opened at first use), or NULL with why. */
	struct store *(*reader)(void *arg, char *err, size_t errlen);
	/** Load the configuration from disk and apply it: the number of
	 *  problems that rejected it (0: applied). */
	int (*reload)(void *arg);
	void *arg;
};

struct json_value;

/**
 * An instance file's `text` (`len` bytes; `doc` is it parsed by
 * json_parse()) with its "params" value replaced by the JSON object
 * `params`, written one member a line, or without one the member added
 * last: every other byte stays as it was.  malloc'd, NUL-terminated,
 * *outlen bytes; NULL when out of memory.
 */
char *instances_params_text(const char *text, size_t len,
	const struct json_value *doc, const cJSON *params, size_t *outlen);

/** 1 if `cmd` is one of these commands. */
int instances_command(const char *cmd);

/** Run command `cmd` of request `req`: a malloc'd control reply. */
char *instances_request(const struct daemon_instances *di, const char *cmd,
	const cJSON *req);

#endif
