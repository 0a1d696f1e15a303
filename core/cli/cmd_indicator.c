/*
 * cmd_indicator.c -- `quantctl indicator NAME [--param K=V]...
 *                    [--input FILE|-] [--output FILE|-]`
 *
 * Runs one indicator over an OHLCV CSV through the same plugin code a
 * strategy uses (indicator_new + the batch path) and writes
 * `ts,<outputs...>` with ts in ms, empty cells while the indicator warms up,
 * numbers with 17 significant digits (they round-trip).  The whole input is
 * read and checked before anything is written: bad input exits 2 with
 * FILE:LINE and no partial output.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "csv/csv.h"
#include "json/json.h"
#include "plugin/indicator.h"
#include "plugin/plugin.h"

#define MAX_PARAMS 32

static void
usage(void)
{
	cli_help("indicator", stderr);
}

static int
list_indicators(struct cli *c)
{
	struct plugin_registry *r = cli_registry(c);
	size_t i;

	if (r == NULL)
		return 2;
	for (i = 0; i < plugin_count(r); i++) {
		const struct qd_plugin *d = plugin_desc(plugin_at(r, i));
		const struct qd_indicator_ops *o = d->ops;
		uint32_t k;

		if (d->kind != QD_KIND_INDICATOR)
			continue;
		printf("%-12s outputs:", d->name);
		for (k = 0; k < o->n_outputs; k++)
			printf("%s%s", k ? "," : " ", o->outputs[k]);
		printf("  params:");
		for (k = 0; k < d->n_params; k++)
			printf("%s%s", k ? "," : " ", d->params[k].name);
		if (d->n_params == 0)
			printf(" none");
		printf("\n");
	}
	plugin_registry_free(r);
	return 0;
}

int
cmd_indicator(struct cli *c, int argc, char **argv)
{
	struct qd_kv kv[MAX_PARAMS];
	size_t nkv = 0, i;
	const char *name = NULL, *in = "-", *outp = "-";
	struct plugin_registry *r = NULL;
	struct csv_series s = { 0 };
	qd_indicator *ind = NULL;
	double *vals = NULL;
	char err[1024], num[JSON_DOUBLE_MAX];
	FILE *out = NULL;
	uint32_t k, nout;
	int rc = 2, ai;

	for (ai = 0; ai < argc; ai++) {
		if (strcmp(argv[ai], "--list") == 0 && argc == 1)
			return list_indicators(c);
		if (strcmp(argv[ai], "--param") == 0 && ai + 1 < argc) {
			char *eq = strchr(argv[++ai], '=');

			if (eq == NULL || eq == argv[ai] || nkv == MAX_PARAMS) {
				fprintf(stderr, "quantctl: --param expects "
					"KEY=VALUE, got \"%s\"\n", argv[ai]);
				return 2;
			}
			*eq = '\0';
			kv[nkv].key = argv[ai];
			kv[nkv].value = eq + 1;
			nkv++;
		} else if (strcmp(argv[ai], "--input") == 0 && ai + 1 < argc) {
			in = argv[++ai];
		} else if (strcmp(argv[ai], "--output") == 0 && ai + 1 < argc) {
			outp = argv[++ai];
		} else if (argv[ai][0] != '-' && name == NULL) {
			name = argv[ai];
		} else {
			usage();
			return 2;
		}
	}
	if (name == NULL) {
		usage();
		return 2;
	}
	if ((r = cli_registry(c)) == NULL)
		return 2;
	if ((ind = indicator_new(r, name, kv, nkv, err, sizeof(err))) == NULL) {
		fprintf(stderr, "quantctl: %s\n", err);
		goto out;
	}
	if (csv_read_file(in, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	nout = indicator_outputs(ind);
	if ((vals = malloc((s.n ? s.n : 1) * nout * sizeof(double))) == NULL) {
		fprintf(stderr, "quantctl: out of memory\n");
		rc = 1;
		goto out;
	}
	indicator_batch(ind, s.bars, s.n, vals);
	out = strcmp(outp, "-") == 0 ? stdout : fopen(outp, "w");
	if (out == NULL) {
		perror(outp);
		rc = 1;
		goto out;
	}
	fprintf(out, "ts");
	for (k = 0; k < nout; k++)
		fprintf(out, ",%s", indicator_output_name(ind, k));
	fputc('\n', out);
	for (i = 0; i < s.n; i++) {
		fprintf(out, "%lld", (long long)(s.bars[i].ts / 1000000));
		for (k = 0; k < nout; k++) {
			double v = vals[i * nout + k];

			if (isnan(v))
				fputc(',', out);
			else
				fprintf(out, ",%s", json_fmt_double(num,
					sizeof(num), v));
		}
		fputc('\n', out);
	}
	rc = 0;
	if (fflush(out) != 0 || ferror(out)) {
		perror(outp);
		rc = 1;
	}
out:
	if (out != NULL && out != stdout)
		fclose(out);
	free(vals);
	csv_series_free(&s);
	indicator_free(ind);
	plugin_registry_free(r);
	return rc;
}
