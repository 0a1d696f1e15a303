/*
 * bench_ta.c -- ns per bar for every indicator over 1,000,000 bars,
 * streaming (indicator_update per bar, on an array of struct qd_bar) and
 * batch (indicator_batch_series on the same bars as columns, the layout
 * batch libraries such as TA-Lib and Tulip take), each against its limit:
 * a loop that only reads the bars (the closes of the array; the close
 * column).  Best of 7 runs each.
 *
 * QD_BENCH_TULIP=/path/to/libindicators.so (Tulip Indicators built as a
 * shared library on this machine; not part of quantd) adds a column with
 * Tulip's batch on the same columns in the same run, for the indicators it
 * has.  Only its public entry points are called: int ti_NAME(int size,
 * const double *const *inputs, const double *options, double *const *outputs).
 * QD_BENCH_ONLY=NAME[,NAME...] limits the table to those indicators.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "plugin/indicator.h"
#include "plugin/plugin.h"

#define N 1000000
#define RUNS 7

static volatile double sink;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The best of the runs: the least disturbed by a shared machine. */
static double
best(double *v)
{
	qsort(v, RUNS, sizeof(double), cmp);
	return v[0];
}

static void
make_bars(struct qd_bar *b)
{
	uint64_t s = 88172645463325252ull;
	double p = 100.0;
	size_t i;

	for (i = 0; i < N; i++) {
		double u, c;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		u = (double)(s >> 11) / 9007199254740992.0;
		c = fmax(1.0, p + round((u - 0.5) * 100.0) / 100.0);
		b[i].ts = (int64_t)i * 60000000000LL;
		b[i].open = p;
		b[i].close = c;
		b[i].high = fmax(p, c) + 0.05;
		b[i].low = fmin(p, c) - 0.05;
		b[i].volume = 100.0 + (double)(s & 1023);
		p = c;
	}
}

/* Tulip's entry for one indicator: its inputs (o h l c v letters) and
 * options, the same parameters as our defaults. */
struct tulip {
	const char *name, *inputs;
	double opt[3];
	const char *also;   /* a second call for the same outputs */
};

static const struct tulip tulip_map[] = {
	{ "sma", "c", { 14 }, NULL }, { "ema", "c", { 14 }, NULL }, { "wma", "c", { 14 }, NULL },
	{ "dema", "c", { 14 }, NULL }, { "tema", "c", { 14 }, NULL },
	{ "macd", "c", { 12, 26, 9 }, NULL }, { "rsi", "c", { 14 }, NULL },
	{ "stoch", "hlc", { 14, 3, 3 }, NULL }, { "cci", "hlc", { 20 }, NULL },
	{ "bbands", "c", { 20, 2 }, NULL }, { "atr", "hlc", { 14 }, NULL },
	{ "natr", "hlc", { 14 }, NULL },
	/* ours gives adx, plus_di and minus_di: Tulip's adx and di */
	{ "adx", "hlc", { 14 }, "di" },
	{ "obv", "cv", { 0 }, NULL }, { "willr", "hlc", { 14 }, NULL },
	{ "roc", "c", { 10 }, NULL }, { "mfi", "hlcv", { 14 }, NULL },
	{ "psar", "hl", { 0.02, 0.2 }, NULL },
};

typedef int (*tulip_fn)(int, const double *const *, const double *,
	double *const *);

/* Tulip's call for `name` on `s`: 0, or -1 if there is none to run. */
struct tulip_call {
	tulip_fn fn, also;
	const double *in[5];
	const double *opt;
};

static int
tulip_find(void *lib, const char *name, const struct qd_series *s,
	struct tulip_call *c)
{
	const struct tulip *m = NULL;
	char sym[64];
	size_t k;

	for (k = 0; k < sizeof(tulip_map) / sizeof(tulip_map[0]); k++)
		if (strcmp(tulip_map[k].name, name) == 0)
			m = &tulip_map[k];
	if (lib == NULL || m == NULL)
		return -1;
	snprintf(sym, sizeof(sym), "ti_%s", name);
	if ((c->fn = (tulip_fn)(uintptr_t)dlsym(lib, sym)) == NULL)
		return -1;
	c->also = NULL;
	if (m->also != NULL) {
		snprintf(sym, sizeof(sym), "ti_%s", m->also);
		if ((c->also = (tulip_fn)(uintptr_t)dlsym(lib, sym)) == NULL)
			return -1;
	}
	for (k = 0; m->inputs[k] != '\0'; k++)
		c->in[k] = m->inputs[k] == 'o' ? s->open : m->inputs[k] == 'h' ?
			s->high : m->inputs[k] == 'l' ? s->low :
			m->inputs[k] == 'c' ? s->close : s->volume;
	c->opt = m->opt;
	return 0;
}

/* Is `name` one of the comma-separated names in `list`? */
static int
listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (;;) {
		if (strncmp(list, name, n) == 0 &&
		    (list[n] == ',' || list[n] == '\0'))
			return 1;
		if ((list = strchr(list, ',')) == NULL)
			return 0;
		list++;
	}
}

/* The same bars as columns. */
static void
make_series(const struct qd_bar *b, struct qd_series *s)
{
	int64_t *ts = malloc(N * sizeof(*ts));
	double *col[5];
	size_t i, k;

	for (k = 0; k < 5; k++)
		col[k] = malloc(N * sizeof(double));
	if (ts == NULL || !col[0] || !col[1] || !col[2] || !col[3] || !col[4]) {
		fprintf(stderr, "bench_ta: out of memory\n");
		exit(1);
	}
	for (i = 0; i < N; i++) {
		ts[i] = b[i].ts;
		col[0][i] = b[i].open;
		col[1][i] = b[i].high;
		col[2][i] = b[i].low;
		col[3][i] = b[i].close;
		col[4][i] = b[i].volume;
	}
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->n = N;
	s->ts = ts;
	s->open = col[0];
	s->high = col[1];
	s->low = col[2];
	s->close = col[3];
	s->volume = col[4];
}

int
main(void)
{
	static const char *const names[] = {
		"sma", "ema", "wma", "dema", "tema", "macd", "rsi", "stoch",
		"cci", "bbands", "atr", "natr", "adx", "obv", "vwap", "willr",
		"roc", "mfi", "donchian", "psar", "keltner", "supertrend",
		"ichimoku"
	};
	struct plugin_registry *reg = plugin_registry_new();
	struct qd_bar *bars = malloc(N * sizeof(*bars));
	double *out = malloc((size_t)N * QD_MAX_OUTPUTS * sizeof(double));
	double *cols[QD_MAX_OUTPUTS];
	double t[RUNS], limit, climit;
	struct qd_series ser;
	const char *tulip_path = getenv("QD_BENCH_TULIP");
	void *tulip = NULL;
	char path[4096], err[256];
	size_t k, i;
	int r;

	log_open("/dev/null", QD_LOG_ERROR);
	snprintf(path, sizeof(path), "%s/plugins/ta/.libs/ta.so",
		QD_TEST_BUILDDIR);
	if (plugin_load_file(reg, path) < 1 || bars == NULL || out == NULL) {
		fprintf(stderr, "bench_ta: cannot load %s\n", path);
		return 1;
	}
	if (tulip_path != NULL && *tulip_path != '\0' &&
	    (tulip = dlopen(tulip_path, RTLD_NOW | RTLD_LOCAL)) == NULL)
		fprintf(stderr, "bench_ta: QD_BENCH_TULIP: %s\n", dlerror());
	make_bars(bars);
	make_series(bars, &ser);
	for (k = 0; k < QD_MAX_OUTPUTS; k++)
		cols[k] = out + k * N;
	for (r = 0; r < RUNS; r++) {
		double acc = 0, t0 = now_s();

		for (i = 0; i < N; i++)
			acc += bars[i].close;
		t[r] = now_s() - t0;
		sink += acc;
	}
	limit = best(t) * 1e9 / N;
	for (r = 0; r < RUNS; r++) {
		double acc = 0, t0 = now_s();

		for (i = 0; i < N; i++)
			acc += ser.close[i];
		t[r] = now_s() - t0;
		sink += acc;
	}
	climit = best(t) * 1e9 / N;
	printf("indicators: ns/bar over %d bars (default params; cci is "
		"O(period) per bar), best of %d runs\n", N, RUNS);
	printf("  limits: read every bar of the array (sum closes) %.2f "
		"ns/bar; read the close column %.2f ns/bar\n", limit, climit);
	printf("  %-11s %10s %8s %10s %8s%s\n", "indicator", "streaming",
		"x limit", "batch", "x limit", tulip ? "      tulip  ours/tulip" :
		"");
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const char *only = getenv("QD_BENCH_ONLY");
		double ts, tb, tt[RUNS];
		struct tulip_call tc;
		int have_tulip;
		qd_indicator *ind;
		uint32_t no;

		if (only != NULL && !listed(only, names[k]))
			continue;

		for (r = 0; r < RUNS; r++) {
			double t0;

			ind = indicator_new(reg, names[k], NULL, 0, err,
				sizeof(err));
			if (ind == NULL) {
				fprintf(stderr, "%s: %s\n", names[k], err);
				return 1;
			}
			no = indicator_outputs(ind);
			t0 = now_s();
			for (i = 0; i < N; i++)
				indicator_update(ind, &bars[i], out + i * no);
			t[r] = now_s() - t0;
			sink += out[(N - 1) * no];
			indicator_free(ind);
		}
		ts = best(t) * 1e9 / N;
		/* Our batch and Tulip's alternate, so that both meet the
		 * same disturbances of a shared machine. */
		have_tulip = tulip_find(tulip, names[k], &ser, &tc) == 0;
		for (r = 0; r < RUNS; r++) {
			double t0;

			ind = indicator_new(reg, names[k], NULL, 0, err,
				sizeof(err));
			t0 = now_s();
			indicator_batch_series(ind, &ser, cols);
			t[r] = now_s() - t0;
			sink += cols[0][N - 1];
			indicator_free(ind);
			if (have_tulip) {
				t0 = now_s();
				if (tc.fn(N, tc.in, tc.opt, cols) != 0 ||
				    (tc.also != NULL &&
				    tc.also(N, tc.in, tc.opt, cols + 1) != 0))
					have_tulip = 0;
				tt[r] = now_s() - t0;
				sink += cols[0][0];
			}
		}
		tb = best(t) * 1e9 / N;
		printf("  %-11s %10.2f %7.1fx %10.2f %7.1fx", names[k], ts,
			ts / limit, tb, tb / climit);
		if (have_tulip)
			printf(" %10.2f %10.2f", best(tt) * 1e9 / N,
				tb / (best(tt) * 1e9 / N));
		putchar('\n');
	}
	if (tulip != NULL)
		dlclose(tulip);
	free(bars);
	free(out);
	plugin_registry_free(reg);
	return 0;
}
