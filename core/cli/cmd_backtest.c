/*
 * cmd_backtest.c -- `quantctl backtest` and `quantctl data synth`.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backtest/backtest.h"
#include "cli/cmd.h"
#include "config/config.h"
#include "csv/csv.h"
#include "log/log.h"
#include "market/symbol.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "sandbox/sandbox.h"

#define MAX_PARAMS 64
#define REPORT_POINTS 1000      /* time buckets of the HTML report */
#define PREFETCH_FILES 8        /* files parsed in threads of their own */

static int
parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return *s && *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
}

char *
cli_sandbox_helper(const struct cli *c)
{
	struct diag dg = { 0 };
	struct config *conf = config_load(c->config_path, &dg);
	char *helper = conf ? strdup(conf->sandbox_helper) : NULL;

	diag_free(&dg);
	config_free(conf);
	if (helper == NULL)
		fprintf(stderr, "quantctl: --sandbox: the configuration cannot "
			"be read\n");
	return helper;
}

void
cli_progress(struct cli_progress *p, unsigned long long done,
	unsigned long long total, int final)
{
	struct timespec ts;
	long long now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (!final && p->last_ms != 0 && now - p->last_ms < 250)
		return;
	p->last_ms = now;
	if (total != 0 && done > total)
		done = total;
	fprintf(stderr, "progress %llu %llu\n", done, total);
	fflush(stderr);
}

/* The bars of [from, to] fed to the run, over every series, against the
 * bars the range holds (the timeframe's steps in it). */
struct bt_progress {
	struct cli_progress out;
	int64_t from_ms, to_ms;
	unsigned long long done, total;
};

/*
 * A --data argument as a bt_source, read as the run goes: a CSV file or
 * the store's candles a page at a time.  The first chunk was read ahead
 * (to infer the timeframe) and is handed out first.
 */
struct data_src {
	struct csv_reader *rd;
	struct cli_store_cursor *st;
	const struct qd_bar *first;
	long n_first;
	struct bt_progress *pg;     /* --progress, or NULL */
};

/* Count the bars of a chunk that fall in the run's range. */
static void
data_count(struct data_src *d, const struct qd_bar *bars, long n)
{
	struct bt_progress *pg = d->pg;

	if (pg == NULL || n <= 0)
		return;
	for (long i = 0; i < n; i++) {
		int64_t ms = bars[i].ts / 1000000;

		if ((pg->from_ms == 0 || ms >= pg->from_ms) &&
		    (pg->to_ms == 0 || ms <= pg->to_ms))
			pg->done++;
	}
	cli_progress(&pg->out, pg->done, pg->total, 0);
}

static long
data_next(void *arg, const struct qd_bar **bars, char *err, size_t errlen)
{
	struct data_src *d = arg;
	long n;

	if (d->n_first > 0) {
		/* counted when the run's range became known */
		*bars = d->first;
		n = d->n_first;
		d->n_first = 0;
		return n;
	}
	if (d->rd != NULL)
		n = csv_reader_next(d->rd, bars, err, errlen);
	else
		n = cli_store_next(d->st, bars, err, errlen);
	data_count(d, *bars, n);
	return n;
}

/*
 * Parse --equity-every: "bar" (every sample: 0), "none" (-1) or a
 * timeframe (1m ... 1w) in ns.  0, or -1 when it is none of these.
 */
static int
parse_every(const char *v, int64_t *out)
{
	uint32_t tf;

	if (strcmp(v, "bar") == 0)
		*out = 0;
	else if (strcmp(v, "none") == 0)
		*out = -1;
	else if ((tf = qd_timeframe_parse(v)) != 0)
		*out = (int64_t)tf * 1000000000;
	else
		return -1;
	return 0;
}

static void
backtest_usage(void)
{
	cli_help("backtest", stderr);
}

/*
 * One row of the table: 4 decimals, or 4 significant digits in exponent
 * form for a value too small to show in them (a 0.00001 % return is not
 * "0.0000 %").
 */
static void
row(const char *name, double v, const char *unit)
{
	if (v != 0 && fabs(v) < 0.00005)
		printf("%-24s%12.3e%s\n", name, v, unit);
	else
		printf("%-24s%12.4f%s\n", name, v, unit);
}

/* Print the metrics as a small table. */
static void
print_metrics(const struct bt_result *r)
{
	const struct bt_metrics *m = &r->m;

	row("total_return", m->total_return * 100, " %");
	row("cagr", m->cagr * 100, " %");
	row("volatility", m->volatility * 100, " %");
	row("sharpe", m->sharpe, "");
	row("sortino", m->sortino, "");
	row("max_drawdown", m->max_drawdown * 100, " %");
	printf("max_drawdown_duration   %12.1f h\n",
		(double)m->max_drawdown_duration_ms / 3600000.0);
	row("calmar", m->calmar, "");
	row("win_rate", m->win_rate * 100, " %");
	row("profit_factor", m->profit_factor, "");
	row("expectancy", m->expectancy, "");
	row("exposure", m->exposure * 100, " %");
	printf("trades                  %12zu\n", m->trades);
	row("fees", m->fees, "");
	row("final_equity", m->final_equity, "");
}

int
cmd_backtest(struct cli *c, int argc, char **argv)
{
	const char *strategy = NULL, **data, **syms;
	const char *tf_name = NULL, *trades_path = NULL, *report_path = NULL;
	const char *every_name = NULL, *equity_path = NULL;
	struct qd_kv kv[MAX_PARAMS];
	struct data_src *ds = NULL;
	struct bt_source *series = NULL;
	struct bt_config cfg = { NULL, 10000, 0.001, -1, 0, 0, 0, 0, NULL, 0 };
	FILE *eqf = NULL;
	int sandboxed = 0, brc;
	long ncpu;
	struct bt_result res;
	struct bt_progress pg;
	struct plugin_registry *r = NULL;
	const struct plugin *p;
	qd_params *params = NULL;
	size_t nd = 0, ns = 0, nkv = 0, i;
	char *helper = NULL;
	int64_t from = 0, to = 0;
	char err[1024];
	int rc = 2, ai;
	uint32_t tf = 0;

	memset(&pg, 0, sizeof(pg));
	/* At most one --data and one --symbol per two arguments. */
	data = calloc((size_t)argc / 2 + 1, sizeof(*data));
	syms = calloc((size_t)argc / 2 + 1, sizeof(*syms));
	if (data == NULL || syms == NULL) {
		free(data);
		free(syms);
		return 1;
	}
	for (ai = 0; ai < argc; ai++) {
		const char *a = argv[ai], *v = ai + 1 < argc ? argv[ai + 1] : NULL;

		if (strcmp(a, "--json") == 0) {
			c->json = 1;
			continue;
		}
		if (strcmp(a, "--sandbox") == 0) {
			sandboxed = 1;
			continue;
		}
		if (strcmp(a, "--progress") == 0) {
			pg.out.on = 1;
			continue;
		}
		if (v == NULL) {
			backtest_usage();
			goto out;
		}
		ai++;
		if (strcmp(a, "--strategy") == 0) {
			strategy = v;
		} else if (strcmp(a, "--param") == 0 && nkv < MAX_PARAMS) {
			char *eq = strchr(argv[ai], '=');

			if (eq == NULL) {
				fprintf(stderr, "quantctl: --param expects "
					"KEY=VALUE\n");
				goto out;
			}
			*eq = '\0';
			kv[nkv].key = argv[ai];
			kv[nkv++].value = eq + 1;
		} else if (strcmp(a, "--data") == 0) {
			data[nd++] = v;
		} else if (strcmp(a, "--symbol") == 0) {
			syms[ns++] = v;
		} else if (strcmp(a, "--equity-every") == 0 &&
		    parse_every(v, &cfg.equity_every_ns) == 0) {
			every_name = v;
		} else if (strcmp(a, "--equity-out") == 0) {
			equity_path = v;
		} else if (strcmp(a, "--timeframe") == 0) {
			tf_name = v;
		} else if (strcmp(a, "--trades") == 0) {
			trades_path = v;
		} else if (strcmp(a, "--report") == 0) {
			report_path = v;
		} else if ((strcmp(a, "--cash") == 0 &&
		    parse_double(v, &cfg.cash) == 0 && cfg.cash > 0) ||
		    (strcmp(a, "--fee-rate") == 0 &&
		    parse_double(v, &cfg.fee_rate) == 0 && cfg.fee_rate >= 0) ||
		    (strcmp(a, "--maker-fee-rate") == 0 &&
		    parse_double(v, &cfg.maker_fee_rate) == 0 &&
		    cfg.maker_fee_rate >= 0) ||
		    (strcmp(a, "--slippage-bps") == 0 &&
		    parse_double(v, &cfg.slippage_bps) == 0 &&
		    cfg.slippage_bps >= 0) ||
		    (strcmp(a, "--from") == 0 && cli_parse_i64(v, &from) == 0) ||
		    (strcmp(a, "--to") == 0 && cli_parse_i64(v, &to) == 0)) {
			continue;
		} else {
			fprintf(stderr, "quantctl: bad option %s %s\n", a, v);
			backtest_usage();
			goto out;
		}
	}
	if (strategy == NULL || nd == 0 || ns > nd) {
		backtest_usage();
		goto out;
	}
	/* The JSON's equity curve: one sample a day unless asked; none
	 * kept when no output shows it. */
	if (every_name == NULL)
		cfg.equity_every_ns = c->json ? 86400000000000LL : -1;
	if (report_path != NULL)
		cfg.report_points = REPORT_POINTS;
	if (cfg.maker_fee_rate < 0)
		cfg.maker_fee_rate = cfg.fee_rate;
	cfg.from_ns = from * 1000000;
	cfg.to_ns = to * 1000000;
	if (tf_name != NULL && (tf = qd_timeframe_parse(tf_name)) == 0) {
		fprintf(stderr, "quantctl: unknown timeframe %s\n", tf_name);
		goto out;
	}
	if (sandboxed) {
		if ((helper = cli_sandbox_helper(c)) == NULL)
			goto out;
		cfg.sandbox_helper = helper;
	}
	if ((r = plugin_registry_new()) == NULL)
		goto out;
	if (strchr(strategy, '/') != NULL) {
		/* The module given by path is loaded first: it wins over an
		 * installed plugin of the same name (a newer build of it).
		 * Sandboxed, it is only ever opened in a confined child: its
		 * constructors never run here. */
		int n = sandboxed ? sandbox_describe(helper, strategy, r, err,
			sizeof(err)) : plugin_load_file(r, strategy);

		if (n < 1 && sandboxed) {
			fprintf(stderr, "quantctl: %s: %s\n", strategy, err);
			goto out;
		}
		if (n < 1) {
			fprintf(stderr, "quantctl: %s\n", plugin_refusal_count(r) ?
				plugin_refusal_at(r, plugin_refusal_count(r) -
				1)->reason : "cannot load");
			goto out;
		}
		if (cli_registry_load(c, r) != 0) {
			rc = 2;
			goto out;
		}
		for (i = plugin_count(r); i-- > 0;)
			if (strcmp(plugin_file(plugin_at(r, i)), strategy) == 0 &&
			    plugin_desc(plugin_at(r, i))->kind ==
			    QD_KIND_STRATEGY)
				break;
		p = i < plugin_count(r) ? plugin_at(r, i) : NULL;
	} else {
		if (cli_registry_load(c, r) != 0) {
			rc = 2;
			goto out;
		}
		p = plugin_find(r, strategy);
	}
	if (p == NULL || plugin_desc(p)->kind != QD_KIND_STRATEGY) {
		fprintf(stderr, "quantctl: no strategy named '%s' is loaded\n",
			strategy);
		goto out;
	}
	if ((params = params_from_kv(plugin_desc(p), kv, nkv, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "quantctl: %s\n", err);
		goto out;
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if ((ds = calloc(nd, sizeof(*ds))) == NULL ||
	    (series = calloc(nd, sizeof(*series))) == NULL)
		goto out;
	for (i = 0; i < nd; i++) {
		const char *sym = i < ns ? syms[i] : i == 0 ? "BTC/USDT" : NULL;
		char stored_sym[64];
		const struct qd_bar *b;
		long n;
		int64_t step;

		if (strncmp(data[i], "store:", 6) == 0) {
			/* Candles from the store: the same bars an export
			 * would give. */
			if ((ds[i].st = cli_store_open(c, data[i], stored_sym,
			    sizeof(stored_sym), err, sizeof(err))) == NULL ||
			    (n = cli_store_next(ds[i].st, &b, err,
			    sizeof(err))) < 0) {
				fprintf(stderr, "quantctl: %s\n", err);
				goto out;
			}
			if (i >= ns)
				sym = stored_sym;
			ds[i].first = b;
			ds[i].n_first = n;
		} else if (sym == NULL) {
			fprintf(stderr, "quantctl: give --symbol for data file "
				"%zu (%s)\n", i + 1, data[i]);
			goto out;
		} else if ((ds[i].rd = csv_reader_open(data[i], err,
		    sizeof(err))) == NULL || (n = csv_reader_next(ds[i].rd,
		    &b, err, sizeof(err))) < 0) {
			/* The rest is read as the run goes. */
			fprintf(stderr, "%s\n", err);
			goto out;
		} else {
			ds[i].first = b;
			ds[i].n_first = n;
			/* With a core to spare, the parsing of a few files
			 * overlaps the run (many files: one thread). */
			if (nd <= PREFETCH_FILES && ncpu > 1)
				csv_reader_prefetch(ds[i].rd);
		}
		if (n < 2) {
			fprintf(stderr, "%s: fewer than 2 bars\n", data[i]);
			goto out;
		}
		series[i].symbol = symbol_intern(sym);
		if (series[i].symbol == 0) {
			fprintf(stderr, "quantctl: bad symbol %s (BASE/QUOTE)\n",
				sym);
			goto out;
		}
		step = (b[1].ts - b[0].ts) / 1000000000;
		series[i].timeframe_s = tf ? tf : (uint32_t)step;
		if (series[i].timeframe_s == 0) {
			fprintf(stderr, "%s: cannot infer the timeframe; give "
				"--timeframe\n", data[i]);
			goto out;
		}
		series[i].next = data_next;
		series[i].arg = &ds[i];
		if (pg.out.on) {
			/* The range's bars: from the first bar when no --from,
			 * unknown without --to. */
			int64_t lo = from ? from : b[0].ts / 1000000;
			int64_t tf_ms = (int64_t)series[i].timeframe_s * 1000;

			ds[i].pg = &pg;
			if (to > lo)
				pg.total += (unsigned long long)((to - lo) /
					tf_ms + 1);
		}
	}
	pg.from_ms = from;
	pg.to_ms = to;
	/* The chunks read ahead were counted before the range was known. */
	for (i = 0; pg.out.on && i < nd; i++)
		data_count(&ds[i], ds[i].first, ds[i].n_first);
	if (equity_path != NULL) {
		if ((eqf = fopen(equity_path, "w")) == NULL) {
			perror(equity_path);
			rc = 1;
			goto out;
		}
		cfg.equity_out = eqf;
	}
	if ((brc = backtest_stream(r, p, params, series, nd, &cfg, &res, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, brc == -2 ? "%s\n" : "quantctl: %s\n", err);
		rc = brc == -2 ? 2 : 1;
		if (eqf != NULL) {
			/* An incomplete curve is no output. */
			fclose(eqf);
			eqf = NULL;
			remove(equity_path);
		}
		goto out;
	}
	if (eqf != NULL) {
		/* A write that failed during the run stays in the stream. */
		int bad = ferror(eqf);

		bad |= fclose(eqf) != 0;
		eqf = NULL;
		if (bad) {
			perror(equity_path);
			backtest_result_free(&res);
			rc = 1;
			goto out;
		}
	}
	cli_progress(&pg.out, pg.total ? pg.total : pg.done, pg.total, 1);
	if (c->json)
		backtest_write_json(stdout, &res);
	else
		print_metrics(&res);
	rc = 0;
	if (trades_path != NULL) {
		FILE *f = fopen(trades_path, "w");

		if (f == NULL) {
			perror(trades_path);
			rc = 1;
		} else {
			backtest_write_trades(f, &res);
			if (fclose(f) != 0)
				rc = 1;
		}
	}
	if (report_path != NULL) {
		FILE *f = fopen(report_path, "w");
		char title[512], settings[2048], pj[1024];

		snprintf(title, sizeof(title), "quantd backtest: %s on %s",
			plugin_desc(p)->name, data[0]);
		if (params_to_json(params, pj, sizeof(pj)) >= sizeof(pj))
			snprintf(pj, sizeof(pj), "(too long to show)");
		snprintf(settings, sizeof(settings), "%s %s, params %s; cash "
			"%.10g, fees %.10g taker / %.10g maker, slippage %.10g "
			"bps; %zu data file(s), %zu bars of %s at %u s%s",
			plugin_desc(p)->name, plugin_desc(p)->version, pj,
			cfg.cash, cfg.fee_rate, cfg.maker_fee_rate,
			cfg.slippage_bps, nd, res.ds.bars,
			symbol_name(series[0].symbol), series[0].timeframe_s,
			sandboxed ? "; sandboxed" : "");
		if (f == NULL) {
			perror(report_path);
			rc = 1;
		} else {
			backtest_write_report(f, &res, title, settings);
			if (fclose(f) != 0)
				rc = 1;
		}
	}
	backtest_result_free(&res);
out:
	if (eqf != NULL)
		fclose(eqf);
	for (i = 0; ds != NULL && i < nd; i++) {
		csv_reader_close(ds[i].rd);
		cli_store_close(ds[i].st);
	}
	free(ds);
	free(series);
	free(data);
	free(syms);
	params_free(params);
	plugin_registry_free(r);
	free(helper);
	return rc;
}

/* ---- data synth ----------------------------------------------------------- */

static uint64_t
mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double
unit(uint64_t *s)
{
	return ((double)(mix(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double
normal(uint64_t *s)
{
	double u = unit(s), v = unit(s);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/*
 * `quantctl data synth --bars N --timeframe 1m --seed S [--symbol S]
 * [--start TS] [--price P] [--volatility V]`: a geometric Brownian motion,
 * four sub-steps per bar for open/high/low/close, prices rounded to 0.01,
 * volume log-normal, and about one bar in 500 opening with a gap.  Same
 * arguments, same bytes.
 */
int
cmd_data_synth(struct cli *c, int argc, char **argv)
{
	int64_t bars = 0, seed = 1, start = 1704067200000LL;
	double price = 100.0, vol = 0.002;
	uint32_t tf = 60;
	uint64_t s;
	int64_t i;
	int ai;

	(void)c;
	if (argc < 1 || strcmp(argv[0], "synth") != 0)
		goto usage;
	for (ai = 1; ai + 1 < argc; ai += 2) {
		const char *a = argv[ai], *v = argv[ai + 1];

		if (strcmp(a, "--bars") == 0 && cli_parse_i64(v, &bars) == 0 &&
		    bars > 0 && bars <= 100000000)
			continue;
		if (strcmp(a, "--seed") == 0 && cli_parse_i64(v, &seed) == 0)
			continue;
		if (strcmp(a, "--start") == 0 && cli_parse_i64(v, &start) == 0 &&
		    start >= 0)
			continue;
		if (strcmp(a, "--timeframe") == 0 &&
		    (tf = qd_timeframe_parse(v)) != 0)
			continue;
		if (strcmp(a, "--price") == 0 && parse_double(v, &price) == 0 &&
		    price > 0)
			continue;
		if (strcmp(a, "--volatility") == 0 &&
		    parse_double(v, &vol) == 0 && vol >= 0 && vol < 1)
			continue;
		if (strcmp(a, "--symbol") == 0)
			continue;   /* the CSV carries no symbol */
		fprintf(stderr, "quantctl: bad option %s %s\n", a, v);
		goto usage;
	}
	if (ai != argc || bars == 0)
		goto usage;
	s = (uint64_t)seed;
	printf("ts,open,high,low,close,volume\n");
	for (i = 0; i < bars; i++) {
		double o = price, h, l, p = price, step = vol / 2.0, v;
		int k;

		if (mix(&s) % 500 == 0)
			o = p = price * exp(vol * 5.0 * normal(&s));
		h = l = o;
		for (k = 0; k < 4; k++) {
			p *= exp(-0.5 * step * step + step * normal(&s));
			h = p > h ? p : h;
			l = p < l ? p : l;
		}
		o = round(o * 100) / 100;
		h = round(h * 100) / 100;
		l = round(l * 100) / 100;
		p = round(p * 100) / 100;
		if (p < 0.01)
			p = 0.01;
		l = l < 0.01 ? 0.01 : l;
		h = fmax(h, fmax(o, p));
		l = fmin(l, fmin(o, p));
		v = round(exp(3.0 + normal(&s)) * 1000) / 1000;
		printf("%lld,%.2f,%.2f,%.2f,%.2f,%.3f\n", (long long)(start +
			i * (int64_t)tf * 1000), o, h, l, p, v);
		price = p;
	}
	return fflush(stdout) == 0 ? 0 : 1;
usage:
	cli_help("data", stderr);
	return 2;
}
