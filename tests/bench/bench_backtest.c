/*
 * bench_backtest.c -- bars/s of the ma-cross strategy (sma 10/30) through
 * the backtester over 10,000,000 one-minute bars, against the limit: a loop
 * that only reads the same bars.  Then the cost of writing the equity curve
 * for every bar (bt_config.equity_out, `quantctl backtest --equity-out`)
 * into a file, against its physical limit: writing the same number of
 * bytes from memory (write(2), 1 MiB at a time, to another file) and
 * copying them (memcpy).  Each of these is the median of RUNS runs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backtest/backtest.h"
#include "log/log.h"
#include "market/symbol.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "../fakes/walk_bars.h"
#include "bench.h"

#define N 10000000
#define RUNS 3
#define CHUNK (1 << 20)

static volatile double sink;

/* One run of s, its equity curve written to eq (NULL: none); CPU
 * seconds. */
static double
timed_run(struct plugin_registry *reg, const struct plugin *p,
	const qd_params *params, const struct bt_series *s,
	struct bt_config *cfg, FILE *eq)
{
	struct bt_result r;
	char err[512];
	double t0;

	if (eq != NULL && (fflush(eq) != 0 || ftruncate(fileno(eq), 0) != 0))
		bench_die("bench_backtest", "truncating the equity file");
	if (eq != NULL)
		rewind(eq);
	cfg->equity_out = eq;
	t0 = bench_cpu_now();
	if (backtest_run(reg, p, params, s, 1, cfg, &r, err,
	    sizeof(err)) != 0 || (eq != NULL && fflush(eq) != 0))
		bench_die("bench_backtest", "the run with an equity file");
	t0 = bench_cpu_now() - t0;
	cfg->equity_out = NULL;
	backtest_result_free(&r);
	return t0;
}

/* `bytes` bytes from chunk[CHUNK] to fd (write) or dst (memcpy), a chunk
 * at a time; CPU seconds. */
static double
copy_out(const char *chunk, size_t bytes, int fd, char *dst)
{
	double t0 = bench_cpu_now();
	size_t off, k;

	for (off = 0; off < bytes; off += k) {
		k = bytes - off < CHUNK ? bytes - off : CHUNK;
		if (dst != NULL)
			memcpy(dst + off, chunk, k);
		else if (write(fd, chunk, k) != (ssize_t)k)
			bench_die("bench_backtest", "write");
	}
	if (dst != NULL)
		sink = dst[bytes - 1];
	return bench_cpu_now() - t0;
}

/*
 * --equity-out: the run with the curve written to a file against the run
 * without, and the difference against writing (to another file) and
 * copying the same number of bytes from memory, its physical limit.  CPU
 * time (user and system): the machine is shared.
 */
static void
equity_out(struct plugin_registry *reg, const struct plugin *p,
	const qd_params *params, const struct bt_series *s,
	struct bt_config *cfg)
{
	FILE *eq = tmpfile(), *cp = tmpfile();
	double with[RUNS], without[RUNS], wr[RUNS], mc[RUNS], extra;
	char *chunk = malloc(CHUNK), *dst;
	size_t bytes;
	int i;

	if (eq == NULL || cp == NULL || chunk == NULL)
		bench_die("bench_backtest", "a temporary file");
	for (i = 0; i < RUNS; i++) {
		without[i] = timed_run(reg, p, params, s, cfg, NULL);
		with[i] = timed_run(reg, p, params, s, cfg, eq);
	}
	bytes = (size_t)ftell(eq);
	rewind(eq);
	if (bytes < CHUNK || fread(chunk, 1, CHUNK, eq) != CHUNK ||
	    (dst = malloc(bytes)) == NULL)
		bench_die("bench_backtest", "reading the equity file");
	memset(dst, 0, bytes);       /* its pages exist before the copy */
	for (i = 0; i < RUNS; i++) {
		if (ftruncate(fileno(cp), 0) != 0 ||
		    lseek(fileno(cp), 0, SEEK_SET) != 0)
			bench_die("bench_backtest", "ftruncate");
		wr[i] = copy_out(chunk, bytes, fileno(cp), NULL);
		mc[i] = copy_out(chunk, bytes, -1, dst);
	}
	extra = bench_median(with, RUNS) - bench_median(without, RUNS);
	printf("  equity-out %12.0f bars/s CPU (every bar to a file, %.0f MB: "
		"+%.1f ns/bar over the run without)\n",
		N / bench_median(with, RUNS), (double)bytes / 1e6,
		extra * 1e9 / N);
	printf("  its bytes from memory: write(2) %.1f ns/bar (%.0f MB/s), "
		"memcpy %.1f ns/bar: the curve costs %.1fx writing them\n",
		bench_median(wr, RUNS) * 1e9 / N,
		(double)bytes / 1e6 / bench_median(wr, RUNS),
		bench_median(mc, RUNS) * 1e9 / N,
		extra / bench_median(wr, RUNS));
	free(dst);
	free(chunk);
	fclose(cp);
	fclose(eq);
}

int
main(void)
{
	struct plugin_registry *reg = plugin_registry_new();
	struct qd_bar *bars = malloc((size_t)N * sizeof(*bars));
	struct bt_config cfg = { NULL, 10000, 0.001, 0.001, 0, 0, 0, 0, NULL, 0 };
	struct bt_series s;
	struct bt_result r;
	const struct plugin *p;
	qd_params *params;
	char path[4096], err[512];
	double t0, t_read, t_bt, acc = 0;
	size_t i;

	log_open("/dev/null", QD_LOG_ERROR);
	snprintf(path, sizeof(path), "%s/lib/plugins", QD_TEST_BUILDDIR);
	plugin_load_dir(reg, path);
	plugin_resolve(reg);
	if ((p = plugin_find(reg, "ma-cross")) == NULL || bars == NULL) {
		fprintf(stderr, "bench_backtest: ma-cross not built\n");
		return 1;
	}
	walk_bars(bars, N, 0, 12345, 0.2, 0.01);
	t0 = bench_now();
	for (i = 0; i < N; i++)
		acc += bars[i].close;
	t_read = bench_now() - t0;
	sink = acc;
	params = params_from_kv(plugin_desc(p), NULL, 0, err, sizeof(err));
	s.symbol = symbol_intern("BTC/USDT");
	s.timeframe_s = 60;
	s.bars = bars;
	s.n = N;
	t0 = bench_now();
	if (backtest_run(reg, p, params, &s, 1, &cfg, &r, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "bench_backtest: %s\n", err);
		return 1;
	}
	t_bt = bench_now() - t0;
	printf("backtest: ma-cross (sma 10/30) over %d bars, %zu trades\n", N,
		r.m.trades);
	printf("  backtest   %12.0f bars/s (%.1f ns/bar)\n", N / t_bt,
		t_bt * 1e9 / N);
	printf("  limit      %12.0f bars/s (read-only loop, %.2f ns/bar)\n",
		N / t_read, t_read * 1e9 / N);
	printf("  ratio      %.1fx the limit\n", t_bt / t_read);
	equity_out(reg, p, params, &s, &cfg);
	{
		char helper[4096];
		struct bt_result rs;
		double t_sb;

		snprintf(helper, sizeof(helper), "%s/core/quantd-sandbox",
			QD_TEST_BUILDDIR);
		cfg.sandbox_helper = helper;
		t0 = bench_now();
		if (backtest_run(reg, p, params, &s, 1, &cfg, &rs, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "bench_backtest: sandboxed: %s\n", err);
			return 1;
		}
		t_sb = bench_now() - t0;
		printf("  sandboxed  %12.0f bars/s (%.1f ns/bar, batched while "
			"no order is open), %s\n", N / t_sb, t_sb * 1e9 / N,
			rs.m.final_equity == r.m.final_equity &&
			rs.m.trades == r.m.trades ? "same result" :
			"RESULT DIFFERS");
		backtest_result_free(&rs);
	}
	backtest_result_free(&r);
	params_free(params);
	free(bars);
	plugin_registry_free(reg);
	return 0;
}
