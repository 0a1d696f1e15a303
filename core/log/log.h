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
#include <stdint.h>
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

/* ---- forwarding lines (the API's logs channel) ----------------------------- */

/**
 * Called with every line written (without its newline, len bytes), on the
 * thread that logged it, with the log's lock held: it must not block, log
 * or take a lock that a logging thread may hold.  log_tail_push() is one.
 */
typedef void (*log_hook_fn)(void *arg, enum qd_log_level level,
	const char *line, size_t len);

/**
 * Install `fn` (NULL removes it).  Once this returns no thread is in the
 * previous hook any more, so its argument may be freed.  Any thread.
 */
void log_set_hook(log_hook_fn fn, void *arg);

/*
 * A log tail: a bounded queue of lines from the threads that log to one
 * thread that reads them (the core), never blocking the writers.  Its
 * producers must be serialised (the hook is: it runs under the log's
 * lock); one consumer.  A line that finds the queue full is dropped and
 * counted; a line longer than the slot is cut (and says so).
 */
struct log_tail;

/** A tail of `slots` lines of at most `line_max` bytes each (at least 2
 *  and 64); NULL when out of memory. */
struct log_tail *log_tail_new(size_t slots, size_t line_max);
/** Free; NULL: nothing.  Remove the hook that feeds it first. */
void log_tail_free(struct log_tail *t);
/** Queue one line (a log_hook_fn: arg is the tail). */
void log_tail_push(void *arg, enum qd_log_level level, const char *line,
	size_t len);
/**
 * The consumer: fn(arg, level, line, len, cut) for each queued line, in
 * order, at most `max` of them; `line` is NUL-terminated and valid for the
 * call.  Returns how many were read.
 */
size_t log_tail_drain(struct log_tail *t, size_t max,
	void (*fn)(void *arg, enum qd_log_level level, const char *line,
	size_t len, int cut), void *arg);
/** Lines dropped because the tail was full.  Any thread. */
uint64_t log_tail_dropped(const struct log_tail *t);

#define log_error(tag, ...) log_msg(QD_LOG_ERROR, (tag), __VA_ARGS__)
#define log_warn(tag, ...) log_msg(QD_LOG_WARN, (tag), __VA_ARGS__)
#define log_info(tag, ...) log_msg(QD_LOG_INFO, (tag), __VA_ARGS__)
#define log_debug(tag, ...) log_msg(QD_LOG_DEBUG, (tag), __VA_ARGS__)

#endif
