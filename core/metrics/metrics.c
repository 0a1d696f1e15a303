/*
 * metrics.c -- the registry and the text renderer.
 *
 * Families form a list that only grows: registration appends under the
 * registry's mutex and publishes the new family with a release store, so
 * render walks it without a lock.  A family's series live in an array
 * sized for `max_series` at registration; a new series is filled in under
 * the mutex and then published by a release store of the count, so
 * lookups scan the published part without a lock and a published series
 * never moves or changes its label values.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "metrics/metrics.h"

/* Each updated value sits on its own cache line: series updated by
 * different threads never share one. */
#define LINE 64

struct metrics_counter {
	_Atomic uint64_t v;
};

struct metrics_gauge {
	_Atomic int64_t v;
};

struct metrics_histogram {
	const struct metrics_family *f;
	_Atomic int64_t sum;
	_Atomic uint64_t b[];           /* n_bounds + 1 (the +Inf bucket) */
};

struct series {
	char **values;                  /* n_labels, owned */
	void *h;                        /* the handle, by the family's type */
};

struct metrics_family {
	struct metrics *m;
	char *name, *help;
	enum metrics_type type;
	char **labels;
	size_t n_labels;
	size_t max_series;
	struct series *series;          /* max_series slots */
	_Atomic size_t n_series;        /* published */
	struct series overflow;
	int64_t bounds[METRICS_BUCKETS_MAX];
	char le[METRICS_BUCKETS_MAX][40];   /* the bounds as `le` text */
	size_t n_bounds;
	int64_t per_unit;
	metrics_collect_fn fn;          /* read families */
	void *arg;
	struct metrics_family *_Atomic next;
};

struct metrics {
	pthread_mutex_t mu;             /* registration, new series */
	struct metrics_family *_Atomic first;
	struct metrics_family *last;
	struct metrics_counter *overflows;
	size_t last_len;                /* of the last render: the next one
	                                   starts with room for it */
};

const int64_t metrics_latency_ns[METRICS_LATENCY_N] = {
	100000, 250000, 500000,
	1000000, 2500000, 5000000,
	10000000, 25000000, 50000000,
	100000000, 250000000, 500000000,
	1000000000, 2500000000, 5000000000, 10000000000
};

static const char overflow_value[] = "_overflow";

static void format_double(double v, char *out, size_t cap);

/* ---- names ---------------------------------------------------------------- */

int
metrics_name_valid(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0' || (*name >= '0' && *name <= '9'))
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
			return 0;
	return 1;
}

/* A label name: [a-zA-Z_][a-zA-Z0-9_]*, not reserved (__*), not "le" on
 * a histogram. */
static int
label_valid(const char *l, enum metrics_type type)
{
	if (!metrics_name_valid(l) || strchr(l, ':') != NULL ||
	    strncmp(l, "__", 2) == 0)
		return 0;
	return !(type == METRICS_HISTOGRAM && strcmp(l, "le") == 0);
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* ---- registry --------------------------------------------------------------- */

static void
series_free(struct series *s, size_t n_labels)
{
	size_t i;

	if (s->values != NULL)
		for (i = 0; i < n_labels; i++)
			free(s->values[i]);
	free(s->values);
	free(s->h);
}

static void
family_free(struct metrics_family *f)
{
	size_t i, n = atomic_load_explicit(&f->n_series, memory_order_relaxed);

	for (i = 0; i < n; i++)
		series_free(&f->series[i], f->n_labels);
	series_free(&f->overflow, f->n_labels);
	for (i = 0; i < f->n_labels; i++)
		free(f->labels[i]);
	free(f->labels);
	free(f->series);
	free(f->name);
	free(f->help);
	free(f);
}

struct metrics *
metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));
	struct metrics_family *f;

	if (m == NULL)
		return NULL;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		return NULL;
	}
	f = metrics_counter_family(m, "quantd_metrics_series_overflow_total",
		"Series lookups past a family's bound (or with a label value "
		"too long), counted into its _overflow series.", NULL, 0, 1);
	if (f == NULL || (m->overflows = metrics_counter(f, NULL)) == NULL) {
		metrics_free(m);
		return NULL;
	}
	return m;
}

void
metrics_free(struct metrics *m)
{
	struct metrics_family *f, *next;

	if (m == NULL)
		return;
	for (f = atomic_load(&m->first); f != NULL; f = next) {
		next = atomic_load(&f->next);
		family_free(f);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* A handle of the family's type, zeroed, on its own cache line(s). */
static void *
handle_new(const struct metrics_family *f)
{
	size_t size = f->type == METRICS_HISTOGRAM ?
		sizeof(struct metrics_histogram) + (f->n_bounds + 1) *
		sizeof(_Atomic uint64_t) : sizeof(struct metrics_counter);
	void *h;

	size = (size + LINE - 1) / LINE * LINE;
	if ((h = aligned_alloc(LINE, size)) == NULL)
		return NULL;
	memset(h, 0, size);
	if (f->type == METRICS_HISTOGRAM)
		((struct metrics_histogram *)h)->f = f;
	return h;
}

/* Fill `s` with copies of `values` (NULL entries as "") and a handle. */
static int
series_init(const struct metrics_family *f, struct series *s,
	const char *const *values)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	if (f->n_labels > 0 &&
	    (s->values = calloc(f->n_labels, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < f->n_labels; i++)
		if ((s->values[i] = strdup(values && values[i] ? values[i] :
		    "")) == NULL)
			goto fail;
	if (f->fn == NULL && (s->h = handle_new(f)) == NULL)
		goto fail;
	return 0;
fail:
	series_free(s, f->n_labels);
	memset(s, 0, sizeof(*s));
	return -1;
}

/*
 * Check the arguments common to every family and make one; the caller
 * fills in the type's fields and calls family_add().  NULL on an invalid
 * argument or no memory.
 */
static struct metrics_family *
family_new(struct metrics *m, const char *name, const char *help,
	enum metrics_type type, const char *const *labels, size_t n_labels,
	size_t max_series)
{
	struct metrics_family *f;
	size_t i, j;

	if (m == NULL || !metrics_name_valid(name) || help == NULL ||
	    n_labels > METRICS_LABELS_MAX || (n_labels > 0 && labels == NULL))
		return NULL;
	if (type == METRICS_COUNTER && !has_suffix(name, "_total"))
		return NULL;
	for (i = 0; i < n_labels; i++) {
		if (labels[i] == NULL || !label_valid(labels[i], type))
			return NULL;
		for (j = 0; j < i; j++)
			if (strcmp(labels[i], labels[j]) == 0)
				return NULL;
	}
	if (n_labels == 0)
		max_series = 1;
	if (max_series == 0)
		return NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->m = m;
	f->type = type;
	f->n_labels = n_labels;
	f->max_series = max_series;
	f->per_unit = 1;
	if ((f->name = strdup(name)) == NULL ||
	    (f->help = strdup(help)) == NULL ||
	    (n_labels > 0 && (f->labels = calloc(n_labels,
	    sizeof(char *))) == NULL))
		goto fail;
	for (i = 0; i < n_labels; i++)
		if ((f->labels[i] = strdup(labels[i])) == NULL)
			goto fail;
	return f;
fail:
	family_free(f);
	return NULL;
}

/* Make the series slots and the overflow series (updated families), then
 * append `f` unless its name is taken.  Frees f and returns NULL on
 * failure; NULL (family_new() refused) returns NULL. */
static struct metrics_family *
family_add(struct metrics *m, struct metrics_family *f)
{
	static const char *const over[METRICS_LABELS_MAX] = {
		overflow_value, overflow_value, overflow_value, overflow_value,
		overflow_value, overflow_value, overflow_value, overflow_value
	};
	struct metrics_family *g;

	if (f == NULL)
		return NULL;
	if (f->fn == NULL &&
	    ((f->series = calloc(f->max_series, sizeof(*f->series))) ==
	    NULL || series_init(f, &f->overflow, over) != 0))
		goto fail;
	pthread_mutex_lock(&m->mu);
	for (g = atomic_load_explicit(&m->first, memory_order_relaxed);
	    g != NULL; g = atomic_load_explicit(&g->next,
	    memory_order_relaxed))
		if (strcmp(g->name, f->name) == 0) {
			pthread_mutex_unlock(&m->mu);
			goto fail;
		}
	if (m->last == NULL)
		atomic_store_explicit(&m->first, f, memory_order_release);
	else
		atomic_store_explicit(&m->last->next, f,
			memory_order_release);
	m->last = f;
	pthread_mutex_unlock(&m->mu);
	return f;
fail:
	family_free(f);
	return NULL;
}

struct metrics_family *
metrics_counter_family(struct metrics *m, const char *name, const char *help,
	const char *const *labels, size_t n_labels, size_t max_series)
{
	return family_add(m, family_new(m, name, help, METRICS_COUNTER,
		labels, n_labels, max_series));
}

struct metrics_family *
metrics_gauge_family(struct metrics *m, const char *name, const char *help,
	const char *const *labels, size_t n_labels, size_t max_series)
{
	return family_add(m, family_new(m, name, help, METRICS_GAUGE, labels,
		n_labels, max_series));
}

struct metrics_family *
metrics_histogram_family(struct metrics *m, const char *name,
	const char *help, const char *const *labels, size_t n_labels,
	size_t max_series, const int64_t *bounds, size_t n_bounds,
	int64_t per_unit)
{
	struct metrics_family *f;
	size_t i;

	if (bounds == NULL || n_bounds == 0 || n_bounds > METRICS_BUCKETS_MAX ||
	    per_unit <= 0)
		return NULL;
	for (i = 1; i < n_bounds; i++)
		if (bounds[i] <= bounds[i - 1])
			return NULL;
	if ((f = family_new(m, name, help, METRICS_HISTOGRAM, labels, n_labels,
	    max_series)) == NULL)
		return NULL;
	memcpy(f->bounds, bounds, n_bounds * sizeof(*bounds));
	f->n_bounds = n_bounds;
	f->per_unit = per_unit;
	for (i = 0; i < n_bounds; i++)
		format_double((double)bounds[i] / (double)per_unit, f->le[i],
			sizeof(f->le[i]));
	return family_add(m, f);
}

struct metrics_family *
metrics_latency_family(struct metrics *m, const char *name, const char *help,
	const char *const *labels, size_t n_labels, size_t max_series)
{
	return metrics_histogram_family(m, name, help, labels, n_labels,
		max_series, metrics_latency_ns, METRICS_LATENCY_N, 1000000000);
}

struct metrics_family *
metrics_collect(struct metrics *m, const char *name, const char *help,
	enum metrics_type type, const char *const *labels, size_t n_labels,
	metrics_collect_fn fn, void *arg)
{
	struct metrics_family *f;

	if (fn == NULL || (type != METRICS_COUNTER && type != METRICS_GAUGE))
		return NULL;
	if ((f = family_new(m, name, help, type, labels, n_labels, 1)) == NULL)
		return NULL;
	f->fn = fn;
	f->arg = arg;
	return family_add(m, f);
}

/* ---- series ------------------------------------------------------------------ */

/* 1 if s is valid UTF-8 (the exposition format's label values are). */
static int
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), l;

	while (n > 0) {
		if ((l = json_utf8_len(p, n)) == 0)
			return 0;
		p += l;
		n -= l;
	}
	return 1;
}

static int
values_equal(const struct series *s, const char *const *values, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s->values[i], values[i] ? values[i] : "") != 0)
			return 0;
	return 1;
}

/*
 * The handle of the series of `values` in f (of `type`): found among the
 * published series, or made under the mutex, or the overflow series.
 */
static void *
series_get(struct metrics_family *f, enum metrics_type type,
	const char *const *values)
{
	struct series *s;
	size_t i, k, n;

	if (f == NULL || f->type != type || f->fn != NULL)
		return NULL;
	for (i = 0; i < f->n_labels; i++)
		if (values == NULL || (values[i] != NULL &&
		    strlen(values[i]) > METRICS_VALUE_MAX))
			goto overflow;
	n = atomic_load_explicit(&f->n_series, memory_order_acquire);
	for (i = 0; i < n; i++)
		if (values_equal(&f->series[i], values, f->n_labels))
			return f->series[i].h;
	/* Not found: a new series needs valid UTF-8 (no series has
	 * anything else, so the scan above never matches such a value). */
	for (k = 0; k < f->n_labels; k++)
		if (values[k] != NULL && !utf8_valid(values[k]))
			goto overflow;
	pthread_mutex_lock(&f->m->mu);
	n = atomic_load_explicit(&f->n_series, memory_order_relaxed);
	for (; i < n; i++)
		if (values_equal(&f->series[i], values, f->n_labels)) {
			pthread_mutex_unlock(&f->m->mu);
			return f->series[i].h;
		}
	if (n < f->max_series) {
		s = &f->series[n];
		if (series_init(f, s, values) == 0) {
			atomic_store_explicit(&f->n_series, n + 1,
				memory_order_release);
			pthread_mutex_unlock(&f->m->mu);
			return s->h;
		}
	}
	pthread_mutex_unlock(&f->m->mu);
overflow:
	metrics_counter_add(f->m->overflows, 1);
	return f->overflow.h;
}

struct metrics_counter *
metrics_counter(struct metrics_family *f, const char *const *values)
{
	return series_get(f, METRICS_COUNTER, values);
}

struct metrics_gauge *
metrics_gauge(struct metrics_family *f, const char *const *values)
{
	return series_get(f, METRICS_GAUGE, values);
}

struct metrics_histogram *
metrics_histogram(struct metrics_family *f, const char *const *values)
{
	return series_get(f, METRICS_HISTOGRAM, values);
}

/* ---- updates ------------------------------------------------------------------ */

void
metrics_counter_add(struct metrics_counter *c, uint64_t n)
{
	if (c != NULL)
		atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

void
metrics_gauge_set(struct metrics_gauge *g, int64_t v)
{
	if (g != NULL)
		atomic_store_explicit(&g->v, v, memory_order_relaxed);
}

void
metrics_gauge_add(struct metrics_gauge *g, int64_t d)
{
	if (g != NULL)
		atomic_fetch_add_explicit(&g->v, d, memory_order_relaxed);
}

void
metrics_histogram_observe(struct metrics_histogram *h, int64_t v)
{
	const int64_t *b;
	size_t lo, hi, mid;

	if (h == NULL)
		return;
	/* The first bound >= v (le is inclusive); n_bounds = +Inf. */
	b = h->f->bounds;
	lo = 0;
	hi = h->f->n_bounds;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (b[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	atomic_fetch_add_explicit(&h->b[lo], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

uint64_t
metrics_counter_value(const struct metrics_counter *c)
{
	return c ? atomic_load_explicit(&c->v, memory_order_relaxed) : 0;
}

int64_t
metrics_gauge_value(const struct metrics_gauge *g)
{
	return g ? atomic_load_explicit(&g->v, memory_order_relaxed) : 0;
}

uint64_t
metrics_histogram_count(const struct metrics_histogram *h)
{
	uint64_t n = 0;
	size_t i;

	if (h == NULL)
		return 0;
	for (i = 0; i <= h->f->n_bounds; i++)
		n += atomic_load_explicit(&h->b[i], memory_order_relaxed);
	return n;
}

/* ---- rendering ---------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void
buf_grow(struct buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	while (cap < b->len + need + 1)
		cap *= 2;
	if (cap == b->cap)
		return;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	buf_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/*
 * `s` with \ and newline escaped, and " too when `quote` (label values); a
 * byte that is not part of valid UTF-8 becomes U+FFFD, so the text stays
 * UTF-8 whatever a read family reports.
 */
static void
buf_escaped(struct buf *b, const char *s, int quote)
{
	const char *run = s;
	size_t n = strlen(s), l;

	for (; *s; s += l, n -= l) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" :
			quote && *s == '"' ? "\\\"" : NULL;

		l = 1;
		if (esc == NULL && (unsigned char)*s >= 0x80 &&
		    (l = json_utf8_len((const unsigned char *)s, n)) == 0) {
			esc = "\xef\xbf\xbd";
			l = 1;
		}
		if (esc == NULL)
			continue;
		buf_add(b, run, (size_t)(s - run));
		buf_str(b, esc);
		run = s + l;
	}
	buf_add(b, run, (size_t)(s - run));
}

/* The shortest text that reads back as v; integers without exponent up
 * to 1e15; NaN, +Inf and -Inf as Prometheus spells them. */
static void
format_double(double v, char *out, size_t cap)
{
	if (isnan(v)) {
		snprintf(out, cap, "NaN");
	} else if (isinf(v)) {
		snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, cap, "%.0f", v);
	} else {
		json_fmt_double(out, cap, v);
	}
}

/* name{l1="v1",...,le="X"} or name when there is no label at all. */
static void
buf_series(struct buf *b, const struct metrics_family *f, const char *suffix,
	const char *const *values, const char *le)
{
	size_t i;

	buf_str(b, f->name);
	if (suffix)
		buf_str(b, suffix);
	if (f->n_labels == 0 && le == NULL)
		return;
	buf_str(b, "{");
	for (i = 0; i < f->n_labels; i++) {
		if (i > 0)
			buf_str(b, ",");
		buf_str(b, f->labels[i]);
		buf_str(b, "=\"");
		buf_escaped(b, values && values[i] ? values[i] : "", 1);
		buf_str(b, "\"");
	}
	if (le != NULL) {
		buf_str(b, f->n_labels ? ",le=\"" : "le=\"");
		buf_str(b, le);
		buf_str(b, "\"");
	}
	buf_str(b, "}");
}

/* " <v>\n" or " -<v>\n", without the cost of printf (most samples are
 * integers). */
static void
buf_value_int(struct buf *b, uint64_t v, int negative)
{
	char num[24], *p = num + sizeof(num);

	*--p = '\n';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (negative)
		*--p = '-';
	*--p = ' ';
	buf_add(b, p, (size_t)(num + sizeof(num) - p));
}

static void
buf_value_u(struct buf *b, uint64_t v)
{
	buf_value_int(b, v, 0);
}

static void
buf_value_d(struct buf *b, double v)
{
	char num[40];

	if (v == floor(v) && fabs(v) < 1e15) {
		buf_value_int(b, (uint64_t)fabs(v), v < 0);
		return;
	}
	num[0] = ' ';
	format_double(v, num + 1, sizeof(num) - 2);
	strcat(num, "\n");
	buf_str(b, num);
}

static void
render_histogram(struct buf *b, const struct metrics_family *f,
	const struct series *s)
{
	const struct metrics_histogram *h = s->h;
	const char *const *values = (const char *const *)s->values;
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i <= f->n_bounds; i++) {
		cum += atomic_load_explicit(&h->b[i], memory_order_relaxed);
		buf_series(b, f, "_bucket", values, i < f->n_bounds ?
			f->le[i] : "+Inf");
		buf_value_u(b, cum);
	}
	buf_series(b, f, "_sum", values, NULL);
	buf_value_d(b, (double)atomic_load_explicit(&h->sum,
		memory_order_relaxed) / (double)f->per_unit);
	buf_series(b, f, "_count", values, NULL);
	buf_value_u(b, cum);
}

static void
render_series(struct buf *b, const struct metrics_family *f,
	const struct series *s)
{
	const char *const *values = (const char *const *)s->values;

	if (f->type == METRICS_HISTOGRAM) {
		render_histogram(b, f, s);
		return;
	}
	buf_series(b, f, NULL, values, NULL);
	if (f->type == METRICS_COUNTER)
		buf_value_u(b, metrics_counter_value(s->h));
	else {
		int64_t v = metrics_gauge_value(s->h);

		buf_value_int(b, v < 0 ? (uint64_t)0 - (uint64_t)v :
			(uint64_t)v, v < 0);
	}
}

struct metrics_emit {
	struct buf *b;
	const struct metrics_family *f;
};

void
metrics_emit(struct metrics_emit *e, const char *const *values, double v)
{
	if (e == NULL)
		return;
	buf_series(e->b, e->f, NULL, values, NULL);
	buf_value_d(e->b, v);
}

/* The overflow series shows once it has been used. */
static int
overflow_used(const struct metrics_family *f)
{
	if (f->overflow.h == NULL)
		return 0;
	if (f->type == METRICS_HISTOGRAM)
		return metrics_histogram_count(f->overflow.h) > 0;
	if (f->type == METRICS_COUNTER)
		return metrics_counter_value(f->overflow.h) > 0;
	return metrics_gauge_value(f->overflow.h) != 0;
}

char *
metrics_render(struct metrics *m, size_t *len)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	struct metrics_family *f;
	struct buf b = { NULL, 0, 0, 0 };
	size_t i, n;

	if (m == NULL)
		return NULL;
	buf_grow(&b, m->last_len + m->last_len / 8);
	for (f = atomic_load_explicit(&m->first, memory_order_acquire);
	    f != NULL; f = atomic_load_explicit(&f->next,
	    memory_order_acquire)) {
		buf_str(&b, "# HELP ");
		buf_str(&b, f->name);
		buf_str(&b, " ");
		buf_escaped(&b, f->help, 0);
		buf_str(&b, "\n# TYPE ");
		buf_str(&b, f->name);
		buf_str(&b, " ");
		buf_str(&b, types[f->type]);
		buf_str(&b, "\n");
		if (f->fn != NULL) {
			struct metrics_emit e = { &b, f };

			f->fn(f->arg, &e);
			continue;
		}
		n = atomic_load_explicit(&f->n_series, memory_order_acquire);
		for (i = 0; i < n; i++)
			render_series(&b, f, &f->series[i]);
		if (overflow_used(f))
			render_series(&b, f, &f->overflow);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	m->last_len = b.len;
	if (len != NULL)
		*len = b.len;
	return b.p;
}
