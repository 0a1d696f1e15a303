/*
 * log.c -- logfmt lines with secret redaction (see log.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

#define LINE_MAX_BYTES 8192

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = 2;
static char *log_path;
static volatile int log_level = QD_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
log_level_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "error") == 0)
		return QD_LOG_ERROR;
	if (strcmp(s, "warn") == 0 || strcmp(s, "warning") == 0)
		return QD_LOG_WARN;
	if (strcmp(s, "info") == 0)
		return QD_LOG_INFO;
	if (strcmp(s, "debug") == 0)
		return QD_LOG_DEBUG;
	return -1;
}

void
log_set_level(enum qd_log_level level)
{
	log_level = (int)level;
}

enum qd_log_level
log_get_level(void)
{
	return (enum qd_log_level)log_level;
}

static int
open_path(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_open(const char *path, enum qd_log_level level)
{
	int fd = 2;
	char *copy = NULL;

	if (path != NULL) {
		if ((copy = strdup(path)) == NULL)
			return -1;
		if ((fd = open_path(path)) < 0) {
			free(copy);
			return -1;
		}
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd > 2)
		close(log_fd);
	free(log_path);
	log_fd = fd;
	log_path = copy;
	log_level = (int)level;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int
log_reopen(void)
{
	int fd, rc = 0;

	pthread_mutex_lock(&log_lock);
	if (log_path != NULL) {
		if ((fd = open_path(log_path)) < 0) {
			rc = -1;
		} else {
			if (log_fd > 2)
				close(log_fd);
			log_fd = fd;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd > 2)
		close(log_fd);
	log_fd = 2;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

/* Does the key name (case-insensitive) mark a secret? */
static int
key_is_secret(const char *k, size_t n)
{
	static const char *const words[] = {
		"secret", "password", "passwd", "token", "api_key", "apikey",
		"api-key", "passphrase", "private_key"
	};
	size_t i, j;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = strlen(words[i]);

		for (j = 0; j + wl <= n; j++)
			if (strncasecmp(k + j, words[i], wl) == 0)
				return 1;
	}
	return 0;
}

int
log_key_is_secret(const char *key)
{
	return key_is_secret(key, strlen(key));
}

static int
key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Replace s[from, to) with "***" in place (cap-bounded).  Returns new end. */
static size_t
mask(char *s, size_t cap, size_t from, size_t to)
{
	size_t len = strlen(s), tail = len - to;

	if (from + 3 + tail + 1 > cap)
		tail = cap - from - 4;
	memmove(s + from + 3, s + to, tail);
	memcpy(s + from, "***", 3);
	s[from + 3 + tail] = '\0';
	return from + 3;
}

int
log_redact(char *s, size_t cap)
{
	size_t i = 0;
	int count = 0;

	while (s[i] != '\0') {
		size_t ks, ke, v, ve;
		int quoted_key = 0;

		/* Find a key: [A-Za-z0-9_.-]+, possibly inside quotes. */
		if (!key_char(s[i]) || (i > 0 && key_char(s[i - 1]))) {
			i++;
			continue;
		}
		ks = i;
		while (key_char(s[i]))
			i++;
		ke = i;
		quoted_key = ks > 0 && s[ks - 1] == '"' && s[ke] == '"';
		v = ke + (size_t)quoted_key;
		if (!quoted_key && s[v] == '=') {
			v++;
		} else {
			while (s[v] == ' ')
				v++;
			if (s[v] != ':')
				continue;
			v++;
			while (s[v] == ' ')
				v++;
		}
		if (!key_is_secret(s + ks, ke - ks))
			continue;
		if (s[v] == '"') {
			ve = v + 1;
			while (s[ve] != '\0' && s[ve] != '"') {
				if (s[ve] == '\\' && s[ve + 1] != '\0')
					ve++;
				ve++;
			}
			i = mask(s, cap, v + 1, ve);
			if (s[i] == '"')
				i++;
		} else {
			ve = v;
			while (s[ve] != '\0' && !isspace((unsigned char)s[ve]) &&
			    s[ve] != ',' && s[ve] != '}' && s[ve] != ';')
				ve++;
			if (ve == v)
				continue;
			i = mask(s, cap, v, ve);
		}
		count++;
	}
	return count;
}

void
log_vmsg(enum qd_log_level level, const char *tag, const char *fmt,
	va_list ap)
{
	char msg[LINE_MAX_BYTES], line[LINE_MAX_BYTES + 256];
	struct timespec ts;
	struct tm tm;
	size_t n, i;
	int w;

	if ((int)level > log_level || (unsigned)level > QD_LOG_DEBUG)
		return;
	w = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (w < 0)
		return;
	if ((size_t)w >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	log_redact(msg, sizeof(msg));
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = (size_t)snprintf(line, sizeof(line),
		"ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s tag=%s msg=\"",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_names[level],
		tag ? tag : "-");
	for (i = 0; msg[i] != '\0' && n + 4 < sizeof(line); i++) {
		char c = msg[i];

		if (c == '"' || c == '\\') {
			line[n++] = '\\';
			line[n++] = c;
		} else if (c == '\n') {
			line[n++] = '\\';
			line[n++] = 'n';
		} else if ((unsigned char)c < 0x20) {
			line[n++] = ' ';
		} else {
			line[n++] = c;
		}
	}
	line[n++] = '"';
	line[n++] = '\n';
	pthread_mutex_lock(&log_lock);
	if (write(log_fd, line, n) < 0) {
		/* Nowhere left to report it. */
	}
	pthread_mutex_unlock(&log_lock);
}

void
log_msg(enum qd_log_level level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, tag, fmt, ap);
	va_end(ap);
}
