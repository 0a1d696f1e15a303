/*
 * jsontext.h -- JSON text the venues send, read without losing digits:
 * shared by the exchange parsers (compiled into each; plugins share no
 * code at run time).
 *
 *   number_token()  the length of a JSON number token;
 *   quote_numbers() the text with every number token made a string of the
 *                   same digits, for cJSON, which keeps numbers as doubles;
 *   decimal_text()  a member as plain decimal text, what the host takes
 *                   for instrument steps and minimums.
 */
#ifndef QD_PLUGINS_JSONTEXT_H
#define QD_PLUGINS_JSONTEXT_H

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* A JSON number token at p (up to end): its length, or 0 if it breaks the
 * JSON grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?. */
static inline size_t
number_token(const char *p, const char *end)
{
	const char *q = p;

	if (q < end && *q == '-')
		q++;
	if (q < end && *q == '0')
		q++;
	else if (q < end && *q >= '1' && *q <= '9')
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	else
		return 0;
	if (q < end && *q == '.') {
		if (++q >= end || *q < '0' || *q > '9')
			return 0;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		if (++q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || *q < '0' || *q > '9')
			return 0;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	return (size_t)(q - p);
}

/*
 * The JSON text with every number token made a string of the same text.
 * cJSON keeps a number only as a double, which loses the venue's digits
 * (0.010 would come back as 0.01): a step or minimum sent as a JSON number
 * rather than the usual string keeps its exact text this way.  NULL when
 * a number token is malformed or memory is short.
 */
static inline char *
quote_numbers(const char *data, size_t len, size_t *out_len)
{
	const char *p = data, *end = data + len;
	char *out, *o;
	int in_str = 0;

	/* Worst case: "1,1,..." -- every one-digit number gains two quotes. */
	if (len > ((size_t)-1 - 1) / 3 || (out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	o = out;
	while (p < end) {
		if (in_str) {
			if (*p == '\\' && p + 1 < end)
				*o++ = *p++;
			else if (*p == '"')
				in_str = 0;
			*o++ = *p++;
		} else if (*p == '"') {
			in_str = 1;
			*o++ = *p++;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			size_t n = number_token(p, end);

			if (n == 0) {
				free(out);
				return NULL;
			}
			*o++ = '"';
			memcpy(o, p, n);
			o += n;
			*o++ = '"';
			p += n;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	*out_len = (size_t)(o - out);
	return out;
}

/* Member `key` of o as plain decimal text into out (32 bytes): digits
 * with at most one point, what the host takes.  Absent, null or "" leave
 * out empty (the venue gives none); anything else is -1. */
static inline int
decimal_text(const cJSON *o, const char *key, char *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t i, n, dots = 0, digits = 0;

	out[0] = '\0';
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) >= 32)
		return -1;
	for (i = 0; i < n; i++) {
		if (v->valuestring[i] == '.')
			dots++;
		else if (v->valuestring[i] >= '0' && v->valuestring[i] <= '9')
			digits++;
		else
			return -1;
	}
	if (n > 0 && (dots > 1 || digits == 0))
		return -1;
	memcpy(out, v->valuestring, n + 1);
	return 0;
}

#endif
