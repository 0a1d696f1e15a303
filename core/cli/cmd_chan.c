/*
 * cmd_chan.c -- `quantctl chan --data FILE|store:E:S:TF [--from MS] [--to MS]
 * [--min-gap N] [--sandbox] [--progress] [--json]`: the Chan theory
 * structures of a CSV or of stored candles, as JSON.  The host knows the
 * analysis only through the `chan` strategy plugin: the file is
 * backtested with it (the installed plugin, as the configuration loads
 * it) and the structures are read back from its annotations (kinds
 * chan.fractal, chan.stroke, chan.segment, chan.pivot, chan.point and the
 * closing chan.end with the counts; strategies/chan/chan.c).  Numbers
 * travel with 17 significant digits, so they print here exactly as the
 * plugin holds them.  The output schema is in docs/chan.md.  The
 * daemon's API runs it as a job (the /api/v1/chan routes,
 * core/daemon/jobs.c): stored candles, --sandbox when the host would
 * sandbox the plugin, --progress for the job's progress.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backtest/backtest.h"
#include "cli/cmd.h"
#include "csv/csv.h"
#include "market/symbol.h"
#include "plugin/params.h"
#include "plugin/plugin.h"

/* The kinds in the order of the output, with the member chan.end counts
 * them under. */
static const char *const kinds[] = {
	"chan.fractal", "chan.stroke", "chan.segment", "chan.pivot",
	"chan.point",
};
static const char *const members[] = {
	"fractals", "strokes", "segments", "pivots", "points",
};

/* Member k of o as an integer (0 when it is not a number). */
static long long
num_ll(const cJSON *o, const char *k)
{
	return (long long)cli_json_num(o, k);
}

/* A fractal as a JSON object: type, ts (ms), price. */
static void
fractal(const char *type, long long ts, double price)
{
	printf("{\"type\":\"%s\",\"ts\":%lld,\"price\":%.17g}", type, ts,
		price);
}

/* One annotation of kind number k, as its element of the output. */
static void
element(size_t k, const cJSON *o)
{
	int up = strcmp(cli_json_str(o, "dir"), "up") == 0;

	switch (k) {
	case 0:
		fractal(cli_json_str(o, "type"), num_ll(o, "ts"),
			cli_json_num(o, "price"));
		break;
	case 1:
		/* an up stroke runs from a bottom to a top */
		printf("{\"dir\":\"%s\",\"from\":", up ? "up" : "down");
		fractal(up ? "bottom" : "top", num_ll(o, "from_ts"),
			cli_json_num(o, "from"));
		fputs(",\"to\":", stdout);
		fractal(up ? "top" : "bottom", num_ll(o, "to_ts"),
			cli_json_num(o, "to"));
		printf(",\"macd_area\":%.17g}", cli_json_num(o, "macd_area"));
		break;
	case 2:
		printf("{\"dir\":\"%s\",\"from_stroke\":%lld,\"to_stroke\":"
			"%lld,\"from_ts\":%lld,\"to_ts\":%lld,\"high\":%.17g,"
			"\"low\":%.17g,\"break\":\"%s\"}", up ? "up" : "down",
			num_ll(o, "from_stroke"), num_ll(o, "to_stroke"),
			num_ll(o, "from_ts"), num_ll(o, "to_ts"),
			cli_json_num(o, "high"), cli_json_num(o, "low"),
			cli_json_str(o, "break"));
		break;
	case 3:
		printf("{\"from_stroke\":%lld,\"to_stroke\":%lld,\"zg\":%.17g,"
			"\"zd\":%.17g,\"from_ts\":%lld,\"to_ts\":%lld}",
			num_ll(o, "from_stroke"), num_ll(o, "to_stroke"),
			cli_json_num(o, "zg"), cli_json_num(o, "zd"),
			num_ll(o, "from_ts"), num_ll(o, "to_ts"));
		break;
	default:
		printf("{\"class\":%lld,\"side\":\"%s\",\"stroke\":%lld,"
			"\"ts\":%lld,\"price\":%.17g}", num_ll(o, "class"),
			cli_json_str(o, "side"), num_ll(o, "stroke"),
			num_ll(o, "ts"), cli_json_num(o, "price"));
	}
}

/*
 * The bars read, handed to the run a chunk at a time so that --progress
 * can tell how many the plugin has had: when the run asks for the next
 * chunk, it has taken every bar of the chunks before (bt_source).
 */
struct chan_feed {
	const struct qd_bar *bars;
	size_t n, given;
	struct cli_progress *pg;
};

enum { FEED_CHUNK = 4096 };

static long
feed_next(void *arg, const struct qd_bar **bars, char *err, size_t errlen)
{
	struct chan_feed *f = arg;
	size_t k = f->n - f->given;

	(void)err;
	(void)errlen;
	if (k == 0)
		return 0;
	/* the bars before this chunk are done; the last line, n of n, comes
	 * once the run is over */
	cli_progress(f->pg, f->given, f->n, 0);
	if (k > FEED_CHUNK)
		k = FEED_CHUNK;
	*bars = f->bars + f->given;
	f->given += k;
	return (long)k;
}

/*
 * Print the analysis from the run's annotations.  0, or -1 after saying
 * on stderr why the record is not whole (no chan.end: the plugin stopped
 * early; or a kind's count differs from what chan.end counts).
 */
static int
print_structures(const struct bt_result *res)
{
	cJSON *end = NULL, *o;
	size_t i, k, seen;

	for (i = res->n_ann; i-- > 0 && end == NULL;)
		if (strcmp(res->ann_kind[i], "chan.end") == 0)
			end = cJSON_Parse(res->ann_json[i]);
	if (end == NULL) {
		fprintf(stderr, "quantctl: the chan plugin's record is cut "
			"short (no chan.end among its %zu annotations: its "
			"analysis stopped, see its log, or the run reached a "
			"backtest's limit of 1,000,000 annotations)\n",
			res->n_ann);
		return -1;
	}
	for (k = 0; k < QD_COUNTOF(kinds); k++) {
		for (i = 0, seen = 0; i < res->n_ann; i++)
			seen += strcmp(res->ann_kind[i], kinds[k]) == 0;
		if ((double)seen != cli_json_num(end, members[k])) {
			fprintf(stderr, "quantctl: the chan plugin annotated %zu "
				"%s of the %lld it counts\n", seen, members[k],
				num_ll(end, members[k]));
			cJSON_Delete(end);
			return -1;
		}
	}
	printf("{\"bars\":%lld,\"klines\":%lld", num_ll(end, "bars"),
		num_ll(end, "klines"));
	cJSON_Delete(end);
	for (k = 0; k < QD_COUNTOF(kinds); k++) {
		printf(",\"%s\":[", members[k]);
		for (i = 0, seen = 0; i < res->n_ann; i++) {
			if (strcmp(res->ann_kind[i], kinds[k]) != 0)
				continue;
			if ((o = cJSON_Parse(res->ann_json[i])) == NULL) {
				fprintf(stderr, "\nquantctl: out of memory\n");
				return -1;
			}
			fputs(seen++ ? "," : "", stdout);
			element(k, o);
			cJSON_Delete(o);
		}
		fputc(']', stdout);
	}
	fputs("}\n", stdout);
	return 0;
}

/*
 * Read FILE (our CSV or an exchange kline file), backtest the chan plugin
 * over it and print its structures as one JSON object on stdout.  Exit 0;
 * 2 on bad usage, bad data (FILE:LINE: reason on stderr), a refused
 * --min-gap or no chan plugin loaded; 1 if the run fails.  With
 * store:E:S:TF the stored candles are read instead; --from and --to (ms)
 * bound the bars read (inclusive); --sandbox runs the
 * plugin in a quantd-sandbox child (the same structures, bit for bit);
 * --progress writes "progress DONE TOTAL" lines on stderr (cli_progress():
 * the bars the plugin has had of those read, n of n once it is done).
 */
int
cmd_chan(struct cli *c, int argc, char **argv)
{
	const char *data = NULL, *gap = "4";
	struct plugin_registry *r = NULL;
	const struct plugin *p;
	struct bt_config cfg = { .cash = 10000 };
	struct bt_source src;
	struct chan_feed feed = { NULL, 0, 0, NULL };
	struct cli_progress pg = { 0, 0 };
	struct bt_result res;
	struct csv_series s = { 0 };
	struct qd_kv kv;
	qd_params *params = NULL;
	char err[1024], sym[64], *helper = NULL;
	int ai, rc = 2, sandboxed = 0;
	int64_t from = 0, to = 0;

	memset(&res, 0, sizeof(res));
	for (ai = 0; ai < argc; ai++) {
		if (strcmp(argv[ai], "--json") == 0)
			continue;
		if (strcmp(argv[ai], "--sandbox") == 0)
			sandboxed = 1;
		else if (strcmp(argv[ai], "--progress") == 0)
			pg.on = 1;
		else if (strcmp(argv[ai], "--data") == 0 && ai + 1 < argc)
			data = argv[++ai];
		else if (strcmp(argv[ai], "--min-gap") == 0 && ai + 1 < argc)
			gap = argv[++ai];
		else if (strcmp(argv[ai], "--from") == 0 && ai + 1 < argc) {
			if (cli_parse_i64(argv[++ai], &from) != 0 || from < 0)
				goto usage;
		} else if (strcmp(argv[ai], "--to") == 0 && ai + 1 < argc) {
			if (cli_parse_i64(argv[++ai], &to) != 0 || to < 0)
				goto usage;
		} else {
			goto usage;
		}
	}
	if (data == NULL || (to != 0 && to <= from))
		goto usage;
	if (sandboxed && (helper = cli_sandbox_helper(c)) == NULL)
		return 2;
	cfg.sandbox_helper = helper;
	if ((r = cli_registry(c)) == NULL) {
		free(helper);
		return 2;
	}
	if ((p = plugin_find_kind(r, QD_KIND_STRATEGY, "chan")) == NULL) {
		fprintf(stderr, "quantctl: no strategy named 'chan' is loaded "
			"(quantctl chan runs the chan plugin)\n");
		goto out;
	}
	kv.key = "min_gap";
	kv.value = gap;
	if ((params = params_from_kv(plugin_desc(p), &kv, 1, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "quantctl: --min-gap: %s\n", err);
		goto out;
	}
	if (cli_read_bars(c, data, from, to, &s, sym, sizeof(sym)) != 0)
		goto out;
	/* The symbol and timeframe only label the run: the analysis reads
	 * the bars. */
	src.symbol = symbol_intern("BTC/USDT");
	src.timeframe_s = s.n > 1 && s.bars[1].ts > s.bars[0].ts ?
		(uint32_t)((s.bars[1].ts - s.bars[0].ts) / 1000000000) : 60;
	if (src.timeframe_s == 0)
		src.timeframe_s = 60;
	src.next = feed_next;
	src.arg = &feed;
	feed.bars = s.bars;
	feed.n = s.n;
	feed.pg = &pg;
	rc = 1;
	if (backtest_stream(r, p, params, &src, 1, &cfg, &res, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "quantctl: %s\n", err);
		goto out;
	}
	cli_progress(&pg, s.n, s.n, 1);
	rc = print_structures(&res) == 0 ? 0 : 1;
	backtest_result_free(&res);
out:
	csv_series_free(&s);
	params_free(params);
	plugin_registry_free(r);
	free(helper);
	return rc;
usage:
	cli_help("chan", stderr);
	return 2;
}
