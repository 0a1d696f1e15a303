/*
 * cmd_chan.c -- `quantctl chan --data FILE [--min-gap N] [--json]`: the Chan
 * theory structures of a CSV, as JSON.  The analysis is the `chan`
 * strategy's own module (strategies/chan/chan_core.c, pure C, compiled in
 * here too), so the CLI and the strategy see the same structures.  This
 * is the one host file that includes a strategy's header: chan_core is
 * pure C with no host calls, so the dependency only goes this way.  The
 * output schema is in docs/chan.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "csv/csv.h"
#include "../../strategies/chan/chan_core.h"

/* One fractal as a JSON object (ts in ms). */
static void
fractal(const struct chan_fractal *f)
{
	printf("{\"type\":\"%s\",\"ts\":%lld,\"price\":%.17g}",
		f->type > 0 ? "top" : "bottom", (long long)(f->ts / 1000000),
		f->price);
}

/*
 * Read FILE (our CSV or an exchange kline file), run every bar through
 * chan_core and print one JSON object on stdout.  Exit 0; 2 on bad usage
 * or bad data (FILE:LINE: reason on stderr); 1 if memory runs out.
 */
int
cmd_chan(struct cli *c, int argc, char **argv)
{
	const char *data = NULL;
	struct csv_series s;
	struct chan ch;
	char err[1024];
	size_t i, gap = 4;
	int ai;

	(void)c;
	for (ai = 0; ai < argc; ai++) {
		if (strcmp(argv[ai], "--json") == 0)
			continue;
		if (strcmp(argv[ai], "--data") == 0 && ai + 1 < argc)
			data = argv[++ai];
		else if (strcmp(argv[ai], "--min-gap") == 0 && ai + 1 < argc &&
		    atoi(argv[ai + 1]) >= 2)
			gap = (size_t)atoi(argv[++ai]);
		else
			goto usage;
	}
	if (data == NULL)
		goto usage;
	if (csv_read_file(data, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	chan_init(&ch, gap);
	for (i = 0; i < s.n; i++)
		if (chan_push(&ch, &s.bars[i]) < 0) {
			fprintf(stderr, "quantctl: out of memory\n");
			chan_free(&ch);
			csv_series_free(&s);
			return 1;
		}
	printf("{\"bars\":%zu,\"klines\":%zu,\"fractals\":[", s.n, ch.nk);
	for (i = 0; i < ch.nf; i++) {
		fputs(i ? "," : "", stdout);
		fractal(&ch.f[i]);
	}
	fputs("],\"strokes\":[", stdout);
	for (i = 0; i < ch.ns; i++) {
		printf("%s{\"dir\":\"%s\",\"from\":", i ? "," : "",
			ch.s[i].dir > 0 ? "up" : "down");
		fractal(&ch.s[i].from);
		fputs(",\"to\":", stdout);
		fractal(&ch.s[i].to);
		printf(",\"macd_area\":%.17g}", ch.s[i].area);
	}
	fputs("],\"segments\":[", stdout);
	for (i = 0; i < ch.nseg; i++) {
		const struct chan_segment *g = &ch.seg[i];

		printf("%s{\"dir\":\"%s\",\"from_stroke\":%zu,\"to_stroke\":"
			"%zu,\"from_ts\":%lld,\"to_ts\":%lld,\"high\":%.17g,"
			"\"low\":%.17g,\"break\":\"%s\"}", i ? "," : "",
			g->dir > 0 ? "up" : "down", g->from, g->to,
			(long long)(ch.s[g->from].from.ts / 1000000),
			(long long)(ch.s[g->to].to.ts / 1000000), g->high, g->low,
			chan_break_name(g->how));
	}
	fputs("],\"pivots\":[", stdout);
	for (i = 0; i < ch.npv; i++)
		printf("%s{\"from_stroke\":%zu,\"to_stroke\":%zu,\"zg\":%.17g,"
			"\"zd\":%.17g,\"from_ts\":%lld,\"to_ts\":%lld}",
			i ? "," : "", ch.pv[i].from, ch.pv[i].to, ch.pv[i].zg,
			ch.pv[i].zd, (long long)(ch.pv[i].ts_from / 1000000),
			(long long)(ch.pv[i].ts_to / 1000000));
	fputs("],\"points\":[", stdout);
	for (i = 0; i < ch.npt; i++)
		printf("%s{\"class\":%d,\"side\":\"%s\",\"stroke\":%zu,"
			"\"ts\":%lld,\"price\":%.17g}", i ? "," : "",
			ch.pt[i].cls, ch.pt[i].side > 0 ? "buy" : "sell",
			ch.pt[i].stroke, (long long)(ch.pt[i].ts / 1000000),
			ch.pt[i].price);
	fputs("]}\n", stdout);
	chan_free(&ch);
	csv_series_free(&s);
	return 0;
usage:
	cli_help("chan", stderr);
	return 2;
}
