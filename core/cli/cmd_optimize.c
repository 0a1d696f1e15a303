/*
 * cmd_optimize.c -- `quantctl optimize` (grid search, walk-forward) and
 * `quantctl montecarlo`.
 *
 * The grid runs in worker processes forked before any thread exists (one
 * per core by default): worker k runs points k, k+N, ... and writes one
 * fixed-size record per point to its pipe; the parent merges them.  Results
 * do not depend on the number of workers.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "backtest/backtest.h"
#include "cli/cmd.h"
#include "csv/csv.h"
#include "json/json.h"
#include "log/log.h"
#include "market/symbol.h"
#include "plugin/params.h"
#include "plugin/plugin.h"

#define MAX_GRID 8
#define MAX_POINTS 100000

struct axis {
	char name[64];
	double lo, hi, step;
	int is_int;
	size_t n;
};

struct point_result {
	uint32_t index;
	int32_t ok;
	struct bt_metrics m;
};


/*
 * A number for JSON output: the shortest text that reads back exactly, or
 * null for NaN and infinities (a failed run's metrics).  Eight rotating
 * buffers, so one printf may take several.
 */
static const char *
jnum(double v)
{
	static char buf[8][JSON_DOUBLE_MAX];
	static unsigned k;
	char *b = buf[k++ % 8];

	if (!isfinite(v))
		return "null";
	return json_fmt_double(b, JSON_DOUBLE_MAX, v);
}

static const char *
objective_name(int o)
{
	return o == 1 ? "total_return" : o == 2 ? "calmar" : "sharpe";
}

static double
objective_of(const struct bt_metrics *m, int o)
{
	return o == 1 ? m->total_return : o == 2 ? m->calmar : m->sharpe;
}

/* "name=lo:hi:step" checked against the plugin's spec.  0 or -1. */
static int
parse_axis(const char *s, const struct qd_plugin *d, struct axis *a)
{
	const char *eq = strchr(s, '=');
	uint32_t i;
	char *end;

	if (eq == NULL || (size_t)(eq - s) >= sizeof(a->name)) {
		fprintf(stderr, "quantctl: --grid expects NAME=LO:HI:STEP, got "
			"\"%s\"\n", s);
		return -1;
	}
	memcpy(a->name, s, (size_t)(eq - s));
	a->name[eq - s] = '\0';
	a->lo = strtod(eq + 1, &end);
	if (*end != ':')
		goto bad;
	a->hi = strtod(end + 1, &end);
	if (*end != ':')
		goto bad;
	a->step = strtod(end + 1, &end);
	if (*end != '\0' || !(a->step > 0) || a->hi < a->lo)
		goto bad;
	for (i = 0; i < d->n_params; i++)
		if (strcmp(d->params[i].name, a->name) == 0)
			break;
	if (i == d->n_params) {
		fprintf(stderr, "quantctl: %s has no parameter '%s'\n", d->name,
			a->name);
		return -1;
	}
	if (d->params[i].type != QD_PARAM_INT &&
	    d->params[i].type != QD_PARAM_DOUBLE) {
		fprintf(stderr, "quantctl: parameter '%s' is not numeric\n",
			a->name);
		return -1;
	}
	a->is_int = d->params[i].type == QD_PARAM_INT;
	if (((d->params[i].flags & QD_PARAM_HAS_MIN) &&
	    a->lo < d->params[i].min) ||
	    ((d->params[i].flags & QD_PARAM_HAS_MAX) &&
	    a->hi > d->params[i].max)) {
		fprintf(stderr, "quantctl: --grid %s: range %g..%g leaves the "
			"parameter's range [%g, %g]\n", a->name, a->lo, a->hi,
			d->params[i].min, d->params[i].max);
		return -1;
	}
	a->n = (size_t)floor((a->hi - a->lo) / a->step + 1e-9) + 1;
	return 0;
bad:
	fprintf(stderr, "quantctl: --grid expects NAME=LO:HI:STEP, got "
		"\"%s\"\n", s);
	return -1;
}

/* Value of axis a at position k, as the string params_from_kv takes. */
static void
axis_value(const struct axis *a, size_t k, char *buf, size_t cap)
{
	double v = a->lo + (double)k * a->step;

	if (a->is_int)
		snprintf(buf, cap, "%lld", (long long)llround(v));
	else
		snprintf(buf, cap, "%.10g", v);
}

struct job {
	const struct plugin_registry *reg;
	const struct plugin *p;
	struct axis axes[MAX_GRID];
	size_t n_axes;
	struct qd_kv fixed[64];
	size_t n_fixed;
	struct bt_series series;
	struct bt_config cfg;
};

/* Run grid point `idx` on `s` into *r.  0, or -1 if its params are bad. */
static int
run_point_full(const struct job *j, size_t idx, const struct bt_series *s,
	struct bt_result *out)
{
	struct qd_kv kv[64 + MAX_GRID];
	char vals[MAX_GRID][32], err[512];
	qd_params *ps;
	size_t i, n = 0, rest = idx;
	int rc;

	for (i = 0; i < j->n_fixed; i++)
		kv[n++] = j->fixed[i];
	for (i = 0; i < j->n_axes; i++) {
		axis_value(&j->axes[i], rest % j->axes[i].n, vals[i],
			sizeof(vals[i]));
		rest /= j->axes[i].n;
		kv[n].key = j->axes[i].name;
		kv[n++].value = vals[i];
	}
	if ((ps = params_from_kv(plugin_desc(j->p), kv, n, err,
	    sizeof(err))) == NULL)
		return -1;
	rc = backtest_run(j->reg, j->p, ps, s, 1, &j->cfg, out, err,
		sizeof(err));
	params_free(ps);
	return rc;
}

/* Run grid point `idx` on `s`.  0, or -1 if its params are invalid. */
static int
run_point(const struct job *j, size_t idx, const struct bt_series *s,
	struct bt_metrics *m)
{
	struct qd_kv kv[64 + MAX_GRID];
	char vals[MAX_GRID][32], err[512];
	struct bt_result r;
	qd_params *ps;
	size_t i, n = 0, rest = idx;
	int rc;

	for (i = 0; i < j->n_fixed; i++)
		kv[n++] = j->fixed[i];
	for (i = 0; i < j->n_axes; i++) {
		axis_value(&j->axes[i], rest % j->axes[i].n, vals[i],
			sizeof(vals[i]));
		rest /= j->axes[i].n;
		kv[n].key = j->axes[i].name;
		kv[n++].value = vals[i];
	}
	if ((ps = params_from_kv(plugin_desc(j->p), kv, n, err,
	    sizeof(err))) == NULL)
		return -1;
	rc = backtest_run(j->reg, j->p, ps, s, 1, &j->cfg, &r, err,
		sizeof(err));
	params_free(ps);
	if (rc != 0)
		return -1;
	*m = r.m;
	backtest_result_free(&r);
	return 0;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Evaluate every grid point on `s` with `jobs` worker processes.  Fills
 * res[0..total).  Returns 0 or -1.
 */
static int
run_grid(const struct job *j, const struct bt_series *s, size_t total,
	int jobs, struct point_result *res, int progress,
	struct cli_progress *pg, size_t base, size_t all)
{
	int fds[64];
	pid_t pids[64];
	size_t got = 0;
	int w, open_fds;

	if (jobs > 64)
		jobs = 64;
	if ((size_t)jobs > total)
		jobs = (int)total;
	fflush(stdout);
	fflush(stderr);
	for (w = 0; w < jobs; w++) {
		int pfd[2];

		if (pipe(pfd) != 0)
			return -1;
		if ((pids[w] = fork()) < 0)
			return -1;
		if (pids[w] == 0) {
			size_t i;

			close(pfd[0]);
			/* Invalid combinations (fast >= slow) are expected:
			 * they are reported in the table, not logged. */
			log_set_level((enum qd_log_level)-1);
			for (i = (size_t)w; i < total; i += (size_t)jobs) {
				struct point_result pr;

				memset(&pr, 0, sizeof(pr));
				pr.index = (uint32_t)i;
				pr.ok = run_point(j, i, s, &pr.m) == 0;
				if (write_all(pfd[1], &pr, sizeof(pr)) != 0)
					_exit(1);
			}
			_exit(0);
		}
		close(pfd[1]);
		fds[w] = pfd[0];
	}
	open_fds = jobs;
	while (open_fds > 0) {
		struct pollfd pf[64];
		int k;

		for (k = 0; k < jobs; k++) {
			pf[k].fd = fds[k];
			pf[k].events = POLLIN;
			pf[k].revents = 0;
		}
		if (poll(pf, (nfds_t)jobs, -1) < 0 && errno != EINTR)
			break;
		for (k = 0; k < jobs; k++) {
			struct point_result pr;
			ssize_t r;

			if (fds[k] < 0 || !(pf[k].revents & (POLLIN | POLLHUP)))
				continue;
			r = read(fds[k], &pr, sizeof(pr));
			if (r == (ssize_t)sizeof(pr) && pr.index < total) {
				res[pr.index] = pr;
				got++;
				if (progress)
					fprintf(stderr, "\r%zu/%zu points", got,
						total);
				cli_progress(pg, base + got, all, 0);
			} else if (r <= 0) {
				close(fds[k]);
				fds[k] = -1;
				pf[k].fd = -1;
				open_fds--;
			}
		}
	}
	for (w = 0; w < jobs; w++)
		waitpid(pids[w], NULL, 0);
	if (progress)
		fputc('\n', stderr);
	return got == total ? 0 : -1;
}

static const struct point_result *sort_res;
static int sort_obj;

static int
by_objective(const void *a, const void *b)
{
	const struct point_result *x = &sort_res[*(const uint32_t *)a];
	const struct point_result *y = &sort_res[*(const uint32_t *)b];
	double ox = x->ok ? objective_of(&x->m, sort_obj) : -INFINITY;
	double oy = y->ok ? objective_of(&y->m, sort_obj) : -INFINITY;

	if (ox != oy)
		return ox > oy ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void
point_params(const struct job *j, size_t idx, char *buf, size_t cap)
{
	size_t i, used = 0, rest = idx;

	buf[0] = '\0';
	for (i = 0; i < j->n_axes && used < cap; i++) {
		char v[32];

		axis_value(&j->axes[i], rest % j->axes[i].n, v, sizeof(v));
		rest /= j->axes[i].n;
		used += (size_t)snprintf(buf + used, cap - used, "%s%s=%s",
			i ? " " : "", j->axes[i].name, v);
	}
}

/* Sorted order of the results, best first. */
static uint32_t *
rank(const struct point_result *res, size_t total, int obj)
{
	uint32_t *ord = malloc(total * sizeof(*ord));
	size_t i;

	if (ord == NULL)
		return NULL;
	for (i = 0; i < total; i++)
		ord[i] = (uint32_t)i;
	sort_res = res;
	sort_obj = obj;
	qsort(ord, total, sizeof(*ord), by_objective);
	return ord;
}

int
cmd_optimize(struct cli *c, int argc, char **argv)
{
	struct job j;
	const char *strategy = NULL, *data = NULL, *sym = "BTC/USDT";
	const char *wf = NULL;
	char store_sym[64] = "";
	struct cli_progress pg = { 0, 0 };
	int64_t from = 0, to = 0;
	struct csv_series cs = { 0 };
	struct plugin_registry *r = NULL;
	struct point_result *res = NULL;
	const char *grids[MAX_GRID];
	size_t n_grids = 0, total = 1, i, top = 20;
	int jobs = (int)sysconf(_SC_NPROCESSORS_ONLN), obj = 0, rc = 2, ai;
	int sym_given = 0, sandboxed = 0;
	char *helper = NULL;
	char pbuf[256];

	memset(&j, 0, sizeof(j));
	j.cfg.cash = 10000;
	j.cfg.fee_rate = j.cfg.maker_fee_rate = 0.001;
	for (ai = 0; ai < argc; ai++) {
		const char *a = argv[ai], *v = ai + 1 < argc ? argv[ai + 1] : "";

		if (strcmp(a, "--json") == 0) {
			c->json = 1;
			continue;
		}
		if (strcmp(a, "--progress") == 0) {
			pg.on = 1;
			continue;
		}
		if (strcmp(a, "--sandbox") == 0) {
			sandboxed = 1;
			continue;
		}
		ai++;
		if (strcmp(a, "--strategy") == 0)
			strategy = v;
		else if (strcmp(a, "--from") == 0 && *v)
			from = strtoll(v, NULL, 10);
		else if (strcmp(a, "--to") == 0 && *v)
			to = strtoll(v, NULL, 10);
		else if (strcmp(a, "--data") == 0)
			data = v;
		else if (strcmp(a, "--symbol") == 0)
			sym = v, sym_given = 1;
		else if (strcmp(a, "--grid") == 0 && n_grids < MAX_GRID)
			grids[n_grids++] = v;
		else if (strcmp(a, "--param") == 0 && j.n_fixed < 64 &&
		    strchr(v, '=')) {
			char *eq = strchr(argv[ai], '=');

			*eq = '\0';
			j.fixed[j.n_fixed].key = argv[ai];
			j.fixed[j.n_fixed++].value = eq + 1;
		} else if (strcmp(a, "--objective") == 0 &&
		    (!strcmp(v, "sharpe") || !strcmp(v, "total_return") ||
		    !strcmp(v, "calmar")))
			obj = !strcmp(v, "total_return") ? 1 :
				!strcmp(v, "calmar") ? 2 : 0;
		else if (strcmp(a, "--jobs") == 0 && atoi(v) > 0)
			jobs = atoi(v);
		else if (strcmp(a, "--top") == 0 && atoi(v) > 0)
			top = (size_t)atoi(v);
		else if (strcmp(a, "--fee-rate") == 0)
			j.cfg.fee_rate = j.cfg.maker_fee_rate = atof(v);
		else if (strcmp(a, "--cash") == 0 && atof(v) > 0)
			j.cfg.cash = atof(v);
		else if (strcmp(a, "--walk-forward") == 0)
			wf = v;
		else {
			fprintf(stderr, "quantctl: bad option %s %s\n", a, v);
			goto usage;
		}
	}
	if (strategy == NULL || data == NULL || n_grids == 0)
		goto usage;
	/* Every grid point's strategy then runs in a confined child. */
	if (sandboxed && (j.cfg.sandbox_helper = helper =
	    cli_sandbox_helper(c)) == NULL)
		return 2;
	if ((r = cli_registry(c)) == NULL) {
		free(helper);
		return 2;
	}
	if ((j.p = plugin_find(r, strategy)) == NULL ||
	    plugin_desc(j.p)->kind != QD_KIND_STRATEGY) {
		fprintf(stderr, "quantctl: no strategy named '%s'\n", strategy);
		goto out;
	}
	j.reg = r;
	for (i = 0; i < n_grids; i++) {
		if (parse_axis(grids[i], plugin_desc(j.p), &j.axes[i]) != 0)
			goto out;
		total *= j.axes[i].n;
		if (total > MAX_POINTS) {
			fprintf(stderr, "quantctl: more than %d grid points\n",
				MAX_POINTS);
			goto out;
		}
	}
	j.n_axes = n_grids;
	if (cli_read_bars(c, data, from, to, &cs, store_sym,
	    sizeof(store_sym)) != 0)
		goto out;
	if (store_sym[0] && !sym_given)
		sym = store_sym;
	if (cs.n < 2 || (j.series.symbol = symbol_intern(sym)) == 0) {
		fprintf(stderr, "quantctl: need at least 2 bars and a BASE/QUOTE "
			"symbol\n");
		goto out;
	}
	j.series.timeframe_s = (uint32_t)((cs.bars[1].ts - cs.bars[0].ts) /
		1000000000);
	j.series.bars = cs.bars;
	j.series.n = cs.n;
	if ((res = calloc(total, sizeof(*res))) == NULL)
		goto out;
	rc = 1;
	if (wf != NULL) {
		size_t train = 0, test = 0, step = 0, start, w = 0, exposed = 0;
		size_t wf_all;
		double is_sum = 0, scale = 1.0;
		struct bt_result oos;

		memset(&oos, 0, sizeof(oos));
		if (sscanf(wf, "train=%zu,test=%zu,step=%zu", &train, &test,
		    &step) < 2 || train < 2 || test < 2) {
			fprintf(stderr, "quantctl: --walk-forward expects "
				"train=N,test=M[,step=K] (bars)\n");
			rc = 2;
			goto out;
		}
		if (step == 0)
			step = test;
		for (start = 0; start + train + test <= cs.n; start += step)
			w++;
		wf_all = w * total;
		w = 0;
		if (!c->json)
			printf("%-6s %-22s %-30s %12s %12s\n", "window",
				"test from (ms)", "best params (in-sample)",
				objective_name(obj), "oos return");
		else
			printf("{\"windows\":[");
		for (start = 0; start + train + test <= cs.n; start += step) {
			struct bt_series tr = j.series, te = j.series;
			struct bt_result wr;
			uint32_t *ord;

			tr.bars = cs.bars + start;
			tr.n = train;
			te.bars = cs.bars + start + train;
			te.n = test;
			if (run_grid(&j, &tr, total, jobs, res, 0, &pg,
			    w * total, wf_all) != 0 ||
			    (ord = rank(res, total, obj)) == NULL)
				goto out;
			point_params(&j, ord[0], pbuf, sizeof(pbuf));
			is_sum += objective_of(&res[ord[0]].m, obj);
			if (run_point_full(&j, ord[0], &te, &wr) != 0)
				memset(&wr, 0, sizeof(wr));
			/* Stitch: this window starts where the last ended. */
			backtest_append(&oos, &wr, scale);
			exposed += (size_t)llround(wr.m.exposure *
				(double)wr.n_eq);
			if (c->json)
				printf("%s{\"test_from\":%lld,\"params\":\"%s\","
					"\"in_sample\":%s,\"oos_return\":"
					"%s}", w ? "," : "",
					(long long)(te.bars[0].ts / 1000000),
					pbuf, jnum(objective_of(&res[ord[0]].m, obj)),
					jnum(wr.m.total_return));
			else
				printf("%-6zu %-22lld %-30s %12.4f %11.4f%%\n",
					w, (long long)(te.bars[0].ts / 1000000),
					pbuf, objective_of(&res[ord[0]].m, obj),
					wr.m.total_return * 100);
			scale *= 1.0 + wr.m.total_return;
			backtest_result_free(&wr);
			free(ord);
			w++;
		}
		backtest_compute_metrics(&oos, j.cfg.cash, j.series.timeframe_s,
			exposed);
		cli_progress(&pg, wf_all, wf_all, 1);
		if (c->json) {
			printf("],\"mean_in_sample_%s\":%s,\"out_of_sample\":",
				objective_name(obj), jnum(w ? is_sum / w : 0));
			backtest_write_json(stdout, &oos);
			printf("}\n");
		} else {
			printf("mean in-sample %s: %.4f over %zu windows\n"
				"stitched out-of-sample: total_return %.4f%%, "
				"sharpe %.4f, max_drawdown %.4f%%, trades %zu, "
				"final_equity %.2f\n", objective_name(obj),
				w ? is_sum / w : 0, w,
				oos.m.total_return * 100, oos.m.sharpe,
				oos.m.max_drawdown * 100, oos.m.trades,
				oos.m.final_equity);
		}
		backtest_result_free(&oos);
		rc = 0;
		goto out;
	}
	{
		struct timespec t0, t1;
		uint32_t *ord;
		double secs;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (run_grid(&j, &j.series, total, jobs, res,
		    isatty(2) && !c->json && !pg.on, &pg, 0, total) != 0)
			goto out;
		cli_progress(&pg, total, total, 1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
		if ((ord = rank(res, total, obj)) == NULL)
			goto out;
		if (c->json)
			printf("{\"objective\":\"%s\",\"points\":%zu,\"results\":[",
				objective_name(obj), total);
		else
			printf("%zu points in %.2f s (%.1f runs/s, %d jobs); "
				"best by %s:\n%-32s %10s %10s %10s %10s %7s\n",
				total, secs, total / secs, jobs,
				objective_name(obj), "params", "sharpe",
				"return%", "maxdd%", "calmar", "trades");
		for (i = 0; i < total && i < top; i++) {
			const struct point_result *pr = &res[ord[i]];

			point_params(&j, ord[i], pbuf, sizeof(pbuf));
			if (c->json)
				printf("%s{\"params\":\"%s\",\"ok\":%s,"
					"\"sharpe\":%s,\"total_return\":%s,"
					"\"max_drawdown\":%s,\"calmar\":%s,"
					"\"trades\":%zu}", i ? "," : "", pbuf,
					pr->ok ? "true" : "false",
					jnum(pr->ok ? pr->m.sharpe : NAN),
					jnum(pr->ok ? pr->m.total_return : NAN),
					jnum(pr->ok ? pr->m.max_drawdown : NAN),
					jnum(pr->ok ? pr->m.calmar : NAN),
					pr->m.trades);
			else if (pr->ok)
				printf("%-32s %10.4f %10.4f %10.4f %10.4f %7zu\n",
					pbuf, pr->m.sharpe,
					pr->m.total_return * 100,
					pr->m.max_drawdown * 100, pr->m.calmar,
					pr->m.trades);
			else
				printf("%-32s  (invalid parameters)\n", pbuf);
		}
		if (c->json)
			printf("]}\n");
		free(ord);
	}
	rc = 0;
	goto out;
usage:
	cli_help("optimize", stderr);
	rc = 2;
out:
	free(helper);
	free(res);
	csv_series_free(&cs);
	plugin_registry_free(r);
	return rc;
}

/* ---- montecarlo ----------------------------------------------------------- */

static uint64_t
mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
pct(const double *v, size_t n, double p)
{
	return v[(size_t)floor(p * (double)(n - 1) + 0.5)];
}

/*
 * Bootstrap the trade sequence of a backtest: each run draws as many
 * trades as the backtest had, with replacement, and replays their pnl from
 * the initial equity (final_equity - sum of pnl).
 */
int
cmd_montecarlo(struct cli *c, int argc, char **argv)
{
	const char *from = NULL;
	long runs = 10000;
	uint64_t seed = 1;
	FILE *f;
	char *text = NULL;
	long len;
	cJSON *doc = NULL, *trades, *t;
	double *pnl = NULL, *ret = NULL, *dd = NULL, initial, sum = 0;
	size_t n = 0, i;
	long r;
	int ai, rc = 2;

	for (ai = 0; ai + 1 < argc; ai += 2) {
		if (strcmp(argv[ai], "--from-backtest") == 0)
			from = argv[ai + 1];
		else if (strcmp(argv[ai], "--runs") == 0 && atol(argv[ai + 1]) > 0)
			runs = atol(argv[ai + 1]);
		else if (strcmp(argv[ai], "--seed") == 0)
			seed = strtoull(argv[ai + 1], NULL, 10);
		else
			break;
	}
	if (from == NULL || ai != argc || runs > 10000000) {
		cli_help("montecarlo", stderr);
		return 2;
	}
	if ((f = fopen(from, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (text = malloc((size_t)len + 1)) == NULL ||
	    fread(text, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: cannot read: %s\n", from, strerror(errno));
		goto out;
	}
	text[len] = '\0';
	doc = cJSON_Parse(text);
	trades = cJSON_GetObjectItemCaseSensitive(doc, "trades");
	t = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(doc, "metrics"), "final_equity");
	if (!cJSON_IsArray(trades) || !cJSON_IsNumber(t)) {
		fprintf(stderr, "%s: not the JSON of quantctl backtest --json\n",
			from);
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(trades);
	if (n == 0) {
		fprintf(stderr, "%s: no trades to resample\n", from);
		goto out;
	}
	pnl = calloc(n, sizeof(double));
	ret = calloc((size_t)runs, sizeof(double));
	dd = calloc((size_t)runs, sizeof(double));
	if (!pnl || !ret || !dd)
		goto out;
	i = 0;
	cJSON_ArrayForEach(t, trades) {
		cJSON *p = cJSON_GetObjectItemCaseSensitive(t, "pnl");

		if (!cJSON_IsNumber(p)) {
			fprintf(stderr, "%s: trade %zu has no pnl\n", from, i);
			goto out;
		}
		pnl[i++] = p->valuedouble;
		sum += p->valuedouble;
	}
	initial = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(doc, "metrics"),
		"final_equity")->valuedouble - sum;
	if (!(initial > 0)) {
		fprintf(stderr, "%s: cannot infer the initial equity\n", from);
		goto out;
	}
	for (r = 0; r < runs; r++) {
		double eq = initial, peak = initial, mdd = 0;

		for (i = 0; i < n; i++) {
			eq += pnl[mix(&seed) % n];
			if (eq > peak)
				peak = eq;
			if (peak > 0 && 1 - eq / peak > mdd)
				mdd = 1 - eq / peak;
		}
		ret[r] = eq / initial - 1;
		dd[r] = mdd;
	}
	qsort(ret, (size_t)runs, sizeof(double), cmp_d);
	qsort(dd, (size_t)runs, sizeof(double), cmp_d);
	if (c->json)
		printf("{\"runs\":%ld,\"trades\":%zu,\"total_return\":{\"p5\":"
			"%s,\"p50\":%s,\"p95\":%s},\"max_drawdown\":{"
			"\"p5\":%s,\"p50\":%s,\"p95\":%s}}\n", runs, n,
			jnum(pct(ret, runs, .05)), jnum(pct(ret, runs, .5)),
			jnum(pct(ret, runs, .95)), jnum(pct(dd, runs, .05)),
			jnum(pct(dd, runs, .5)), jnum(pct(dd, runs, .95)));
	else
		printf("%ld runs of %zu trades\n%-14s %10s %10s %10s\n"
			"%-14s %9.4f%% %9.4f%% %9.4f%%\n"
			"%-14s %9.4f%% %9.4f%% %9.4f%%\n", runs, n, "", "p5",
			"p50", "p95", "total_return", pct(ret, runs, .05) * 100,
			pct(ret, runs, .5) * 100, pct(ret, runs, .95) * 100,
			"max_drawdown", pct(dd, runs, .05) * 100,
			pct(dd, runs, .5) * 100, pct(dd, runs, .95) * 100);
	rc = 0;
out:
	if (f)
		fclose(f);
	free(text);
	cJSON_Delete(doc);
	free(pnl);
	free(ret);
	free(dd);
	return rc;
}
