/*
 * log.c -- logfmt lines with secret redaction (see log.h).
 *
 * A line is formatted, redacted and escaped in stack buffers and handed to
 * the kernel with one write(2) while log_lock is held; the lock only guards
 * the fd and path, so a reopen after rotation never loses or splits a line.
 * The level is an atomic read on every call, so filtered lines cost no lock.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

/* The formatted message, before escaping; longer ones end in "...". */
#define MSG_MAX 8192
/* The escaped message inside msg="..." is cut at this many bytes too. */
#define MSG_ESC_MAX 8192
/* Longer tags are cut (tags are area or instance names). */
#define TAG_MAX 64
#define LINE_CAP (MSG_ESC_MAX + 6 * TAG_MAX + 128)

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;   /* guarded by log_lock */
static int log_owned;                /* log_fd is ours to close */
static char *log_path;               /* for log_reopen(); NULL for stderr */
static atomic_int log_level = QD_LOG_INFO;

static log_hook_fn log_hook;         /* guarded by log_lock */
static void *log_hook_arg;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
log_level_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "error") == 0)
		return QD_LOG_ERROR;
	if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
		return QD_LOG_WARN;
	if (strcasecmp(s, "info") == 0)
		return QD_LOG_INFO;
	if (strcasecmp(s, "debug") == 0)
		return QD_LOG_DEBUG;
	return -1;
}

void
log_set_level(enum qd_log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

enum qd_log_level
log_get_level(void)
{
	return (enum qd_log_level)atomic_load_explicit(&log_level,
		memory_order_relaxed);
}

static int
open_path(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* Swap in a new destination; the caller holds log_lock.  Takes `path`. */
static void
swap_fd(int fd, int owned, char *path)
{
	if (log_owned)
		close(log_fd);
	log_fd = fd;
	log_owned = owned;
	if (path != log_path) {
		free(log_path);
		log_path = path;
	}
}

/*
 * Open `path` first, then swap it in under the lock, so a failure leaves
 * the old destination in place.  Returns 0, or -1 with errno set.
 */
int
log_open(const char *path, enum qd_log_level level)
{
	char *copy = NULL;
	int fd = STDERR_FILENO, err;

	if (path != NULL) {
		if ((copy = strdup(path)) == NULL)
			return -1;
		if ((fd = open_path(path)) < 0)
			goto fail;
	}
	pthread_mutex_lock(&log_lock);
	swap_fd(fd, path != NULL, copy);
	log_set_level(level);
	pthread_mutex_unlock(&log_lock);
	return 0;
fail:
	err = errno;
	free(copy);
	errno = err;
	return -1;
}

/*
 * Open the same path again (the old file may have been renamed away) and
 * swap.  On failure the old fd stays in use.  Returns 0, or -1 with errno.
 */
int
log_reopen(void)
{
	int fd, rc = 0, err = 0;

	pthread_mutex_lock(&log_lock);
	if (log_path != NULL) {
		if ((fd = open_path(log_path)) < 0) {
			err = errno;
			rc = -1;
		} else {
			swap_fd(fd, 1, log_path);
		}
	}
	pthread_mutex_unlock(&log_lock);
	if (rc != 0)
		errno = err;
	return rc;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	swap_fd(STDERR_FILENO, 0, NULL);
	pthread_mutex_unlock(&log_lock);
}

/* ---- redaction ----------------------------------------------------------- */

/* Does the key name s[0..n) (case-insensitive) mark a secret? */
static int
key_is_secret(const char *s, size_t n)
{
	static const char *const words[] = {
		"secret", "password", "passwd", "token", "api_key", "apikey",
		"api-key", "passphrase", "private_key", "private-key",
	};
	size_t i, j;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = strlen(words[i]);

		for (j = 0; j + wl <= n; j++)
			if (strncasecmp(s + j, words[i], wl) == 0)
				return 1;
	}
	return 0;
}

int
log_key_is_secret(const char *key)
{
	return key != NULL && key_is_secret(key, strlen(key));
}

static int
key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Replace s[from, to) with "***" in place.  s is NUL-terminated within cap
 * bytes; when a short value grows, the tail is cut to keep it that way.
 * Returns the offset just past the stars.
 */
static size_t
mask(char *s, size_t cap, size_t from, size_t to)
{
	size_t tail = strlen(s + to), stars = 3;

	if (from + stars > cap - 1)
		stars = cap - 1 - from;
	if (from + stars + tail > cap - 1)
		tail = cap - 1 - from - stars;
	memmove(s + from + stars, s + to, tail);
	memset(s + from, '*', stars);
	s[from + stars + tail] = '\0';
	return from + stars;
}

/*
 * Where the value starting at s[v] ends.  A value in quotes ("..." with
 * backslash escapes, or \"...\" as in JSON quoted inside a string) is
 * masked inside its quotes: *inner is set past the opening quote and the
 * return is the closing quote (or the end).  A bare value runs to white
 * space, and after ':' also to , ; } ] (JSON and "key: v, key2: w").
 */
static size_t
value_end(const char *s, size_t v, char sep, size_t *inner)
{
	size_t e;

	if (s[v] == '"') {
		*inner = v + 1;
		for (e = v + 1; s[e] != '\0' && s[e] != '"'; e++)
			if (s[e] == '\\' && s[e + 1] != '\0')
				e++;
		return e;
	}
	if (s[v] == '\\' && s[v + 1] == '"') {
		*inner = v + 2;
		for (e = v + 2; s[e] != '\0'; e++)
			if (s[e] == '\\' && s[e + 1] == '"')
				break;
		return e;
	}
	*inner = v;
	for (e = v; s[e] != '\0' && !isspace((unsigned char)s[e]); e++)
		if (sep == ':' && strchr(",;}]", s[e]) != NULL)
			break;
	return e;
}

/*
 * Tokens that travel in URL paths: a Telegram bot's "/bot<id>:<token>/"
 * and a Discord webhook's "/webhooks/<id>/<token>".  The token (up to the
 * next '/', '?', quote or blank) is masked.  Returns the number masked.
 */
static int
redact_url_tokens(char *s, size_t cap)
{
	static const struct { const char *lead; char after_id; } pat[] = {
		{ "/bot", ':' }, { "/webhooks/", '/' },
	};
	int count = 0;
	size_t k;

	for (k = 0; k < sizeof(pat) / sizeof(pat[0]); k++) {
		char *p = s;
		size_t ll = strlen(pat[k].lead);

		while ((p = strstr(p, pat[k].lead)) != NULL) {
			size_t from, to;
			char *q = p + ll;

			if (!isdigit((unsigned char)*q)) {
				p = q;
				continue;
			}
			while (isdigit((unsigned char)*q))
				q++;
			if (*q != pat[k].after_id) {
				p = q;
				continue;
			}
			from = (size_t)(q + 1 - s);
			for (to = from; s[to] != '\0' && s[to] != '/' &&
			     s[to] != '?' && s[to] != '"' && !blank(s[to]);
			     to++)
				;
			if (to == from) {
				p = q;
				continue;
			}
			p = s + mask(s, cap, from, to);
			count++;
		}
	}
	return count;
}

/*
 * Scan for keys ([A-Za-z0-9_.-]+, optionally in "quotes" or \"quotes\")
 * followed by '=' or ':' (blanks allowed around either); when the key names
 * a secret, mask its value.  Returns the number of values masked.
 */
int
log_redact(char *s, size_t cap)
{
	size_t i = 0;
	int count = 0;

	if (s == NULL || cap == 0)
		return 0;
	while (s[i] != '\0') {
		size_t ks, ke, v, from, to;
		char sep;

		if (!key_char(s[i]) || (i > 0 && key_char(s[i - 1]))) {
			i++;
			continue;
		}
		ks = i;
		while (key_char(s[i]))
			i++;
		ke = i;
		if (!key_is_secret(s + ks, ke - ks))
			continue;
		v = ke;
		if (s[v] == '"')
			v++;
		else if (s[v] == '\\' && s[v + 1] == '"')
			v += 2;
		while (blank(s[v]))
			v++;
		if (s[v] != '=' && s[v] != ':')
			continue;
		sep = s[v++];
		while (blank(s[v]))
			v++;
		to = value_end(s, v, sep, &from);
		if (to == from) {
			i = v;          /* nothing to hide: "password=" */
			continue;
		}
		i = mask(s, cap, from, to);
		count++;
	}
	return count + redact_url_tokens(s, cap);
}

/* ---- formatting ---------------------------------------------------------- */

/*
 * Append c to out[*n] as logfmt quoted-string content: \" \\ \n \r \t,
 * other control bytes as \u00XX.  Returns 0, or -1 (nothing written) if it
 * would not leave `reserve` bytes free in cap.
 */
static int
put_escaped(char *out, size_t *n, size_t cap, size_t reserve, unsigned char c)
{
	char esc[8];
	size_t l;

	switch (c) {
	case '"': memcpy(esc, "\\\"", 3); break;
	case '\\': memcpy(esc, "\\\\", 3); break;
	case '\n': memcpy(esc, "\\n", 3); break;
	case '\r': memcpy(esc, "\\r", 3); break;
	case '\t': memcpy(esc, "\\t", 3); break;
	default:
		if (c < 0x20 || c == 0x7f)
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		else {
			esc[0] = (char)c;
			esc[1] = '\0';
		}
	}
	l = strlen(esc);
	if (*n + l + reserve > cap)
		return -1;
	memcpy(out + *n, esc, l);
	*n += l;
	return 0;
}

/* A tag made only of these is written bare (tag=loader), else quoted. */
static int
tag_is_bare(const char *t)
{
	if (*t == '\0')
		return 0;
	for (; *t != '\0'; t++)
		if (!key_char(*t) && *t != ':' && *t != '/' && *t != '@')
			return 0;
	return 1;
}

/* Cut a truncated UTF-8 string back to a character boundary before n. */
static size_t
utf8_floor(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/*
 * Format, redact, escape and write one line.  Keeps errno.  Never fails
 * visibly: if the write fails there is nowhere left to report it.
 */
void
log_vmsg(enum qd_log_level level, const char *tag, const char *fmt,
	va_list ap)
{
	char msg[MSG_MAX], line[LINE_CAP];
	struct timespec ts;
	struct tm tm;
	size_t n, i, tl;
	int w, saved = errno;

	if ((int)level < QD_LOG_ERROR || (int)level > QD_LOG_DEBUG ||
	    (int)level > atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	if (tag == NULL)
		tag = "-";
	w = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (w < 0)
		snprintf(msg, sizeof(msg), "(unformattable message: %s)", fmt);
	else if ((size_t)w >= sizeof(msg))
		memcpy(msg + utf8_floor(msg, sizeof(msg) - 4), "...", 4);
	log_redact(msg, sizeof(msg));

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = (size_t)snprintf(line, sizeof(line),
		"ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s tag=",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, level_names[level]);
	tl = strlen(tag);
	if (tl > TAG_MAX)
		tl = utf8_floor(tag, TAG_MAX);
	if (tag_is_bare(tag)) {
		memcpy(line + n, tag, tl);
		n += tl;
	} else {
		line[n++] = '"';
		for (i = 0; i < tl; i++)
			put_escaped(line, &n, sizeof(line), 0,
				(unsigned char)tag[i]);
		line[n++] = '"';
	}
	memcpy(line + n, " msg=\"", 6);
	n += 6;
	/* Keep room for `..."` and the newline. */
	for (i = 0; msg[i] != '\0'; i++) {
		size_t room = sizeof(line) - n;

		if (room > MSG_ESC_MAX)
			room = MSG_ESC_MAX;
		if (put_escaped(line, &n, n + room, 5, (unsigned char)msg[i])) {
			n = utf8_floor(line, n);
			memcpy(line + n, "...", 3);
			n += 3;
			break;
		}
	}
	line[n++] = '"';
	line[n++] = '\n';

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < n;) {
		ssize_t r = write(log_fd, line + i, n - i);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		i += (size_t)r;
	}
	if (log_hook != NULL)
		log_hook(log_hook_arg, level, line, n - 1);
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}

void
log_msg(enum qd_log_level level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, tag, fmt, ap);
	va_end(ap);
}

void
log_set_hook(log_hook_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	log_hook = fn;
	log_hook_arg = arg;
	pthread_mutex_unlock(&log_lock);
}
