/*
 * venue_fixtures.h -- what the adapters' parser tests share: a check
 * counter, reading a fixture file, the expected decimal text as a double,
 * and an expected canonical symbol in the venue's spelling (no slash).
 */
#ifndef QD_TEST_VENUE_FIXTURES_H
#define QD_TEST_VENUE_FIXTURES_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static int fails, checks;

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

/* The whole file, NUL-terminated, or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* The expected decimal text (or number) of key k as the double it means. */
static double
dec(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? strtod(v->valuestring, NULL) :
	    cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The expected "symbol" without its slash: BTC/USDT -> BTCUSDT. */
static void
native_of(const cJSON *o, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "symbol");
	const char *s = cJSON_IsString(v) ? v->valuestring : "";
	size_t n = 0;

	for (; *s && n + 1 < cap; s++)
		if (*s != '/')
			out[n++] = *s;
	out[n] = '\0';
}

#endif
