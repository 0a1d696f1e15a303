/*
 * log -- one line per event, logfmt, secrets redacted.
 *
 * Format (documented in README): `ts=<RFC3339 ms UTC> level=<error|warn|info|
 * debug> tag=<area or instance> msg="<text>"`, one line, newline-terminated,
 * written with a single write(2) so lines from several threads never
 * interleave.  In the message, the value after any key whose name contains
 * secret, password, token, api_key, apikey or passphrase (case-insensitive) in
 * the forms `key=value`, `key: value` and `"key":"value"` is replaced by ***
 * before the line is written, and so are tokens in URL paths (a Telegram
 * bot's /bot<id>:<token>, a Discord webhook's /webhooks/<id>/<token>).
 *
 * Thread-safe.  Before log_open() lines go to stderr at level info.
 */
#ifndef QD_LOG_H
#define QD_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <quantd/sdk.h>

/**
 * Send log lines to `path` (appended, created 0640) or stderr if NULL, and
 * drop lines less severe than `level`.  Returns 0 or -1 with errno set.
 */
int log_open(const char *path, enum qd_log_level level);

/** Reopen the log file (SIGHUP, after rotation).  No-op for stderr. */
int log_reopen(void);

/** Close the file; further lines go to stderr. */
void log_close(void);

void log_set_level(enum qd_log_level level);
enum qd_log_level log_get_level(void);

/** Parse "error" "warn" "info" "debug"; -1 if none of those. */
int log_level_parse(const char *s);

/** Write one line tagged `tag` (an area or plugin instance name). */
void log_msg(enum qd_log_level level, const char *tag, const char *fmt, ...)
	QD_PRINTF(3, 4);
void log_vmsg(enum qd_log_level level, const char *tag, const char *fmt,
	va_list ap);

/**
 * Redact secret values in `s` in place (see above).  Returns the number of
 * values redacted.  Exposed for tests and for code that prints config.
 */
int log_redact(char *s, size_t cap);

/** True if a key name looks like it holds a secret. */
int log_key_is_secret(const char *key);

#define log_error(tag, ...) log_msg(QD_LOG_ERROR, (tag), __VA_ARGS__)
#define log_warn(tag, ...) log_msg(QD_LOG_WARN, (tag), __VA_ARGS__)
#define log_info(tag, ...) log_msg(QD_LOG_INFO, (tag), __VA_ARGS__)
#define log_debug(tag, ...) log_msg(QD_LOG_DEBUG, (tag), __VA_ARGS__)

#endif
