// sources: core/metrics/metrics.c core/json/json.c
/*
 * fuzz_metrics.c -- label values from outside (an API route, a status, an
 * exchange's name) through the registry and the renderer.  The input is
 * split at NUL bytes into (route, status) pairs, each counted once in a
 * family bounded at 4 series, and reported by a read family too.  The
 * rendering must be exposition text: every line a comment or
 * `name{label="value",...} number`, values escaped and valid UTF-8, each
 * series' values the ones given (or "_overflow"), and the counts adding up
 * to the number of pairs.  Anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "metrics/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXV 16

struct input {
	char *v[MAXV];
	size_t n;
};

static void
report(void *arg, struct metrics_emit *e)
{
	const struct input *in = arg;
	size_t i;

	for (i = 0; i + 1 < in->n; i += 2)
		metrics_emit(e, (const char *const *)&in->v[i], 1);
}

/* One label value at *p (after the opening quote), unescaped into out;
 * *p is left after the closing quote.  0, or -1 if it is malformed. */
static int
read_value(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0, l;

	while (*s != '"') {
		if (*s == '\0' || *s == '\n' || n + 4 > cap)
			return -1;
		if (*s == '\\') {
			s++;
			if (*s == 'n')
				out[n++] = '\n';
			else if (*s == '\\' || *s == '"')
				out[n++] = *s;
			else
				return -1;
			s++;
			continue;
		}
		if ((l = json_utf8_len((const unsigned char *)s, strlen(s))) == 0)
			return -1;
		memcpy(out + n, s, l);
		n += l;
		s += l;
	}
	out[n] = '\0';
	*p = s + 1;
	return 0;
}

/* 1 if (route, status) is one of the input's pairs. */
static int
given(const struct input *in, const char *route, const char *status)
{
	size_t i;

	for (i = 0; i + 1 < in->n; i += 2)
		if (strcmp(in->v[i], route) == 0 &&
		    strcmp(in->v[i + 1], status) == 0)
			return 1;
	return 0;
}

/* Check one sample line of either family; adds its count to *total
 * for the updated one. */
static void
check_sample(const struct input *in, const char *line, unsigned long *total)
{
	size_t cap = strlen(line) + 1;
	char *route = malloc(cap), *status = malloc(cap), *end;
	const char *p = line;
	int updated;

	if (route == NULL || status == NULL)
		abort();
	if (strncmp(p, "quantd_fuzz_total{route=\"", 25) == 0)
		updated = 1;
	else if (strncmp(p, "quantd_fuzz_read{route=\"", 24) == 0)
		updated = 0;
	else
		abort();
	p = strchr(p, '"') + 1;
	if (read_value(&p, route, cap) != 0 ||
	    strncmp(p, ",status=\"", 9) != 0)
		abort();
	p += 9;
	if (read_value(&p, status, cap) != 0 ||
	    strncmp(p, "} ", 2) != 0)
		abort();
	p += 2;
	if (updated) {
		*total += strtoul(p, &end, 10);
		if (*end != '\0' || (!given(in, route, status) &&
		    (strcmp(route, "_overflow") != 0 ||
		    strcmp(status, "_overflow") != 0)))
			abort();
	} else if (strcmp(p, "1") != 0) {
		abort();
	}
	free(route);
	free(status);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const labels[] = { "route", "status" };
	struct input in = { { NULL }, 0 };
	struct metrics *m = metrics_new();
	struct metrics_family *f;
	unsigned long total = 0;
	size_t i, start = 0, len;
	char *text, *line, *next;

	if (m == NULL)
		return 0;
	for (i = 0; i <= size && in.n < MAXV; i++)
		if (i == size || data[i] == 0) {
			if ((in.v[in.n] = malloc(i - start + 1)) == NULL)
				abort();
			memcpy(in.v[in.n], data + start, i - start);
			in.v[in.n++][i - start] = '\0';
			start = i + 1;
		}
	f = metrics_counter_family(m, "quantd_fuzz_total", "Fuzzed.", labels,
		2, 4);
	if (f == NULL || metrics_collect(m, "quantd_fuzz_read", "Read.",
	    METRICS_GAUGE, labels, 2, report, &in) == NULL)
		abort();
	for (i = 0; i + 1 < in.n; i += 2)
		metrics_counter_add(metrics_counter(f,
			(const char *const *)&in.v[i]), 1);
	if ((text = metrics_render(m, &len)) == NULL || strlen(text) != len ||
	    (len > 0 && text[len - 1] != '\n'))
		abort();
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		if (line[0] == '#' || strncmp(line,
		    "quantd_metrics_series_overflow_total ", 37) == 0)
			continue;
		check_sample(&in, line, &total);
	}
	if (total != in.n / 2)
		abort();
	free(text);
	metrics_free(m);
	for (i = 0; i < in.n; i++)
		free(in.v[i]);
	return 0;
}
