/*
 * cmd_data.c -- `quantctl data`: import, export, list, gaps, prune, vacuum
 * of the store, backfill through the daemon, and synth (cmd_backtest.c).
 *
 * The store is the daemon's (storage.url of -c FILE, or the built-in
 * default), or --db URL.  --json anywhere gives one JSON document on
 * stdout; long work shows progress on stderr when it is a terminal.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "cli/cmd.h"
#include "config/config.h"
#include "csv/csv.h"
#include "ctl/ctl.h"
#include "market/symbol.h"
#include "store/import.h"
#include "store/store.h"

struct data_opts {
	const char *db;
	const char *exchange;
	const char *symbol;
	const char *timeframe;
	const char *file;
	int64_t from, to;
	int64_t older_than_ms;
	int trades_only;
	int json;
};

char *
cli_store_url(const struct cli *c, const char *db)
{
	struct diag d = { 0 };
	struct config *cfg;
	char *url;

	if (db != NULL)
		return config_storage_url(".", db);
	cfg = config_load(c->config_path, &d);
	if (cfg == NULL) {
		fprintf(stderr, "quantctl: %s", d.text ? d.text : "bad config\n");
		diag_free(&d);
		return NULL;
	}
	url = strdup(cfg->storage.url);
	config_free(cfg);
	diag_free(&d);
	return url;
}

static struct store *
open_store(const struct cli *c, const struct data_opts *o,
	enum store_role role)
{
	char *url = cli_store_url(c, o->db), err[600];
	struct store *s = NULL;

	if (url == NULL)
		return NULL;
	if (store_open(url, role, &s, err, sizeof(err)) != QD_OK)
		fprintf(stderr, "quantctl: %s\n", err);
	free(url);
	return s;
}

static int
parse_opts(const char *cmd, int argc, char **argv, struct data_opts *o,
	int want_file)
{
	int i;
	const char *why;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strcmp(a, "--trades") == 0) {
			o->trades_only = 1;
			continue;
		}
		if (a[0] != '-' && want_file && o->file == NULL) {
			o->file = a;
			continue;
		}
		if (v == NULL)
			goto bad;
		i++;
		if (strcmp(a, "--db") == 0)
			o->db = v;
		else if (strcmp(a, "--exchange") == 0)
			o->exchange = v;
		else if (strcmp(a, "--symbol") == 0)
			o->symbol = v;
		else if (strcmp(a, "--timeframe") == 0)
			o->timeframe = v;
		else if (strcmp(a, "--from") == 0 &&
		    import_parse_time(v, strlen(v), &o->from, &why) == 0)
			;
		else if (strcmp(a, "--to") == 0 &&
		    import_parse_time(v, strlen(v), &o->to, &why) == 0)
			;
		else if (strcmp(a, "--older-than") == 0 &&
		    store_duration_ms(v, &o->older_than_ms) == 0)
			;
		else
			goto bad;
	}
	if (o->symbol != NULL && !symbol_valid(o->symbol)) {
		fprintf(stderr, "quantctl: bad symbol %s (BASE/QUOTE, upper "
			"case)\n", o->symbol);
		return -1;
	}
	if (o->timeframe != NULL && store_timeframe_ms(o->timeframe) == 0) {
		fprintf(stderr, "quantctl: unknown timeframe %s\n", o->timeframe);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "quantctl: data %s: bad option %s%s%s\n", cmd, argv[i],
		i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
	return -1;
}

static void
iso(int64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* export and gaps name one series: exchange, symbol and timeframe. */
static int
whole_series(const struct data_opts *o)
{
	if (o->exchange != NULL && o->symbol != NULL && o->timeframe != NULL)
		return 1;
	fprintf(stderr, "quantctl: give --exchange, --symbol and --timeframe\n");
	cli_help("data", stderr);
	return 0;
}

/* A whole decimal number (int64); 0, or -1 when `s` is not one. */
int
cli_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return -1;
	*out = v;
	return 0;
}

/*
 * The bars of `data` (a CSV file or store:EXCHANGE:SYMBOL:TF) within
 * [from, to] (ms; 0: unbounded) into *cs; a store series' symbol into
 * `sym`.  0, or -1 after printing why.
 */
int
cli_read_bars(const struct cli *c, const char *data, int64_t from, int64_t to,
	struct csv_series *cs, char *sym, size_t symcap)
{
	char err[1024];
	size_t i, k = 0;

	if (strncmp(data, "store:", 6) == 0) {
		struct cli_store_cursor *st = cli_store_open(c, data, sym,
			symcap, err, sizeof(err));
		const struct qd_bar *b;
		long n;

		if (st == NULL) {
			fprintf(stderr, "quantctl: %s\n", err);
			return -1;
		}
		while ((n = cli_store_next(st, &b, err, sizeof(err))) > 0) {
			if (cs->n + (size_t)n > cs->cap) {
				size_t cap = (cs->cap ? cs->cap * 2 : 4096) +
					(size_t)n;
				struct qd_bar *nb = realloc(cs->bars,
					cap * sizeof(*nb));

				if (nb == NULL) {
					n = -1;
					snprintf(err, sizeof(err), "%s: out of "
						"memory", data);
					break;
				}
				cs->bars = nb;
				cs->cap = cap;
			}
			memcpy(cs->bars + cs->n, b, (size_t)n * sizeof(*b));
			cs->n += (size_t)n;
		}
		cli_store_close(st);
		if (n < 0) {
			fprintf(stderr, "quantctl: %s\n", err);
			return -1;
		}
	} else if (csv_read_file(data, cs, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	for (i = 0; i < cs->n; i++) {
		int64_t ms = cs->bars[i].ts / 1000000;

		if ((from == 0 || ms >= from) && (to == 0 || ms <= to))
			cs->bars[k++] = cs->bars[i];
	}
	cs->n = k;
	return 0;
}

/* ---- import -------------------------------------------------------------- */

static int
data_import(const struct cli *c, struct data_opts *o)
{
	struct import_data d;
	struct store *s;
	struct store_series k;
	char err[1024], a[32], b[32];
	size_t i, chunk = 50000;
	int tty = isatty(2), rc;
	int64_t tf = o->timeframe ? store_timeframe_ms(o->timeframe) : 0;

	if (o->file == NULL || o->exchange == NULL || o->symbol == NULL) {
		cli_help("data", stderr);
		return 2;
	}
	if (import_read_file(o->file, tf, &d, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if ((s = open_store(c, o, STORE_ROLE_ADMIN)) == NULL) {
		import_data_free(&d);
		return 1;
	}
	k.exchange = o->exchange;
	k.symbol = o->symbol;
	k.timeframe = d.candles ? store_timeframe_label(
	    (uint32_t)(d.timeframe_ms / 1000)) : NULL;
	/* One transaction: all rows or none. */
	rc = store_begin(s);
	for (i = 0; rc == QD_OK && i < d.n; i += chunk) {
		size_t n = d.n - i < chunk ? d.n - i : chunk;

		rc = d.candles ? store_put_candles(s, &k, d.candles + i, n) :
		    store_put_trades(s, &k, d.trades + i, n);
		if (tty && d.n > chunk)
			fprintf(stderr, "\rimporting %s: %zu/%zu rows", o->file,
				i + n, d.n);
	}
	if (tty && d.n > chunk)
		fprintf(stderr, "\n");
	if (rc == QD_OK)
		rc = store_commit(s);
	else
		store_rollback(s);
	if (rc != QD_OK) {
		fprintf(stderr, "quantctl: %s: nothing imported: %s\n", o->file,
			store_error(s));
		store_close(s);
		import_data_free(&d);
		return 1;
	}
	{
		int64_t first = d.candles ? d.candles[0].open_time :
		    d.trades[0].time;
		int64_t last = d.candles ? d.candles[d.n - 1].open_time :
		    d.trades[d.n - 1].time;

		iso(first, a, sizeof(a));
		iso(last, b, sizeof(b));
		if (o->json) {
			cJSON *j = cJSON_CreateObject();
			char *t;

			cJSON_AddStringToObject(j, "file", o->file);
			cJSON_AddStringToObject(j, "format",
				import_format_name(d.format));
			cJSON_AddStringToObject(j, "exchange", o->exchange);
			cJSON_AddStringToObject(j, "symbol", o->symbol);
			if (k.timeframe)
				cJSON_AddStringToObject(j, "timeframe",
					k.timeframe);
			cJSON_AddStringToObject(j, "kind", d.candles ?
				"candles" : "trades");
			cJSON_AddNumberToObject(j, "rows", (double)d.n);
			cJSON_AddNumberToObject(j, "first", (double)first);
			cJSON_AddNumberToObject(j, "last", (double)last);
			t = cJSON_PrintUnformatted(j);
			printf("%s\n", t);
			free(t);
			cJSON_Delete(j);
		} else {
			printf("imported %zu %s (%s) into %s %s%s%s: %s .. %s\n",
				d.n, d.candles ? "candles" : "trades",
				import_format_name(d.format), o->exchange,
				o->symbol, k.timeframe ? " " : "",
				k.timeframe ? k.timeframe : "", a, b);
		}
	}
	store_close(s);
	import_data_free(&d);
	return 0;
}

/* ---- export -------------------------------------------------------------- */

static int
export_chunk(void *arg, const struct store_candle *c, size_t n)
{
	FILE *f = arg;
	char v[7][48];
	size_t i;

	for (i = 0; i < n; i++) {
		store_decimal_format(c[i].open, v[0], sizeof(v[0]));
		store_decimal_format(c[i].high, v[1], sizeof(v[1]));
		store_decimal_format(c[i].low, v[2], sizeof(v[2]));
		store_decimal_format(c[i].close, v[3], sizeof(v[3]));
		store_decimal_format(c[i].volume, v[4], sizeof(v[4]));
		if (isnan(c[i].quote_volume) || store_decimal_format(
		    c[i].quote_volume, v[5], sizeof(v[5])) < 0)
			v[5][0] = '\0';
		if (c[i].trades < 0)
			v[6][0] = '\0';
		else
			snprintf(v[6], sizeof(v[6]), "%lld",
				(long long)c[i].trades);
		fprintf(f, "%lld,%s,%s,%s,%s,%s,%s,%s\n",
			(long long)c[i].open_time, v[0], v[1], v[2], v[3], v[4],
			v[5], v[6]);
	}
	return ferror(f) ? 1 : 0;
}

static int
data_export(const struct cli *c, struct data_opts *o)
{
	struct store *s;
	struct store_series k = { o->exchange, o->symbol, o->timeframe };
	int rc;

	if (!whole_series(o))
		return 2;
	if ((s = open_store(c, o, STORE_ROLE_READER)) == NULL)
		return 1;
	printf("ts,open,high,low,close,volume,quote_volume,trades\n");
	rc = store_candles(s, &k, o->from, o->to ? o->to : INT64_MAX, 0, 0,
		export_chunk, stdout);
	if (rc != QD_OK)
		fprintf(stderr, "quantctl: %s\n", store_error(s));
	store_close(s);
	return rc == QD_OK && fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* ---- list, gaps -------------------------------------------------------- */

static int
list_row(void *arg, const struct store_coverage *v)
{
	cJSON *arr = arg;
	char a[32], b[32];

	if (arr != NULL) {
		cJSON_AddItemToArray(arr, store_coverage_json(v));
		return 0;
	}
	iso(v->first, a, sizeof(a));
	iso(v->last, b, sizeof(b));
	printf("%-12s %-14s %-4s %s  %s %10lld %8lld\n", v->exchange,
		v->symbol, v->timeframe, a, b, (long long)v->count,
		(long long)v->missing);
	return 0;
}

static int
data_list(const struct cli *c, struct data_opts *o)
{
	struct store *s;
	struct store_series f = { o->exchange, o->symbol, o->timeframe };
	cJSON *arr = o->json ? cJSON_CreateArray() : NULL;
	int rc;

	if ((s = open_store(c, o, STORE_ROLE_READER)) == NULL) {
		cJSON_Delete(arr);
		return 1;
	}
	if (!o->json)
		printf("%-12s %-14s %-4s %-20s  %-20s %10s %8s\n", "EXCHANGE",
			"SYMBOL", "TF", "FIRST", "LAST", "CANDLES", "MISSING");
	rc = store_coverage(s, &f, list_row, arr);
	if (rc != QD_OK)
		fprintf(stderr, "quantctl: %s\n", store_error(s));
	if (arr != NULL) {
		char *t = cJSON_PrintUnformatted(arr);

		if (rc == QD_OK)
			printf("%s\n", t);
		free(t);
		cJSON_Delete(arr);
	}
	store_close(s);
	return rc == QD_OK ? 0 : 1;
}

struct gap_out {
	cJSON *arr;
	int64_t tf;
	int64_t n;
};

static int
gap_row(void *arg, int64_t from, int64_t to)
{
	struct gap_out *g = arg;
	char a[32], b[32];

	g->n++;
	if (g->arr != NULL) {
		cJSON_AddItemToArray(g->arr, store_gap_json(from, to, g->tf));
		return 0;
	}
	iso(from, a, sizeof(a));
	iso(to, b, sizeof(b));
	printf("%s .. %s  %lld missing\n", a, b,
		(long long)((to - from) / g->tf));
	return 0;
}

static int
data_gaps(const struct cli *c, struct data_opts *o)
{
	struct store *s;
	struct store_series k = { o->exchange, o->symbol, o->timeframe };
	struct gap_out g = { NULL, 0, 0 };
	int rc;

	if (!whole_series(o))
		return 2;
	if ((s = open_store(c, o, STORE_ROLE_READER)) == NULL)
		return 1;
	g.tf = store_timeframe_ms(o->timeframe);
	g.arr = o->json ? cJSON_CreateArray() : NULL;
	rc = store_gaps(s, &k, gap_row, &g);
	if (rc != QD_OK)
		fprintf(stderr, "quantctl: %s\n", store_error(s));
	if (g.arr != NULL) {
		char *t = cJSON_PrintUnformatted(g.arr);

		if (rc == QD_OK)
			printf("%s\n", t);
		free(t);
		cJSON_Delete(g.arr);
	} else if (rc == QD_OK && g.n == 0) {
		printf("no gaps\n");
	}
	store_close(s);
	return rc == QD_OK ? 0 : 1;
}

/* ---- prune, vacuum ------------------------------------------------------ */

static int
data_prune(const struct cli *c, struct data_opts *o)
{
	struct store *s;
	struct store_series f = { o->exchange, o->symbol, o->timeframe };
	int64_t deleted = 0;
	int rc;

	if (o->older_than_ms <= 0) {
		cli_help("data", stderr);
		return 2;
	}
	if ((s = open_store(c, o, STORE_ROLE_ADMIN)) == NULL)
		return 1;
	rc = store_prune(s, &f, store_now_ms() - o->older_than_ms,
		o->trades_only ? STORE_PRUNE_TRADES :
		STORE_PRUNE_CANDLES | STORE_PRUNE_TRADES, &deleted);
	if (rc != QD_OK)
		fprintf(stderr, "quantctl: %s\n", store_error(s));
	else if (o->json)
		printf("{\"deleted\":%lld}\n", (long long)deleted);
	else
		printf("deleted %lld rows\n", (long long)deleted);
	store_close(s);
	return rc == QD_OK ? 0 : 1;
}

static int
data_vacuum(const struct cli *c, struct data_opts *o)
{
	struct store *s;
	int rc;

	if ((s = open_store(c, o, STORE_ROLE_ADMIN)) == NULL)
		return 1;
	rc = store_vacuum(s);
	if (rc != QD_OK)
		fprintf(stderr, "quantctl: %s\n", store_error(s));
	else
		printf(o->json ? "{\"ok\":true}\n" : "vacuumed\n");
	store_close(s);
	return rc == QD_OK ? 0 : 1;
}

/* ---- stats of the running daemon's store ---------------------------------- */

static int
data_stats(const struct cli *c, struct data_opts *o)
{
	struct diag d = { 0 };
	struct config *cfg = config_load(c->config_path, &d);
	char *reply = NULL;
	cJSON *j, *st, *v;
	int rc;

	diag_free(&d);
	if (cfg == NULL) {
		fprintf(stderr, "quantctl: bad configuration (quantctl config "
			"check)\n");
		return 2;
	}
	rc = ctl_request(cfg->control_socket, "{\"cmd\":\"store.stats\"}",
		&reply, 5000);
	if (rc != 0) {
		fprintf(stderr, "quantctl: no daemon answers at %s\n",
			cfg->control_socket);
		config_free(cfg);
		return 1;
	}
	config_free(cfg);
	if (o->json) {
		printf("%s\n", reply);
		free(reply);
		return 0;
	}
	j = cJSON_Parse(reply);
	free(reply);
	st = cJSON_GetObjectItemCaseSensitive(j, "store");
	if (st == NULL)
		printf("storage is disabled\n");
	{
		const char *part[2] = { "store", "candles" };
		int k;

		for (k = 0; k < 2; k++) {
			st = cJSON_GetObjectItemCaseSensitive(j, part[k]);
			cJSON_ArrayForEach(v, st) {
				if (cJSON_IsString(v))
					printf("%s.%-14s %s\n", part[k],
						v->string, v->valuestring);
				else if (cJSON_IsBool(v))
					printf("%s.%-14s %s\n", part[k],
						v->string, cJSON_IsTrue(v) ?
						"yes" : "no");
				else if (cJSON_IsNumber(v))
					printf("%s.%-14s %.0f\n", part[k],
						v->string, v->valuedouble);
			}
		}
	}
	cJSON_Delete(j);
	return 0;
}

/* ---- backfill ---------------------------------------------------------- */

/* The minutes of [from, to) present in the store, one bit each. */
struct have {
	int64_t from, tf;
	size_t n;
	unsigned char *bits;
};

static int
have_row(void *arg, const struct store_candle *c, size_t n)
{
	struct have *h = arg;
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (c[i].open_time < h->from ||
		    (c[i].open_time - h->from) % h->tf != 0)
			continue;
		k = (size_t)((c[i].open_time - h->from) / h->tf);
		if (k < h->n)
			h->bits[k / 8] |= (unsigned char)(1u << (k % 8));
	}
	return 0;
}

/* How many of the range's candles are missing (refreshing h). */
static long
missing(struct store *s, const struct store_series *k, struct have *h)
{
	size_t i;
	long m = 0;

	memset(h->bits, 0, (h->n + 7) / 8);
	if (store_candles(s, k, h->from, h->from + (int64_t)h->n * h->tf, 0,
	    0, have_row, h) != QD_OK)
		return -1;
	for (i = 0; i < h->n; i++)
		m += !(h->bits[i / 8] & (1u << (i % 8)));
	return m;
}

/* Ask the daemon for every missing run; 0, or -1 (said why). */
static int
ask_runs(const char *sock, const struct data_opts *o, const struct have *h)
{
	char req[512], *reply = NULL;
	size_t i = 0, j;

	while (i < h->n) {
		if (h->bits[i / 8] & (1u << (i % 8))) {
			i++;
			continue;
		}
		for (j = i; j < h->n && !(h->bits[j / 8] & (1u << (j % 8))); j++)
			;
		snprintf(req, sizeof(req), "{\"cmd\":\"data.backfill\","
			"\"exchange\":\"%s\",\"symbol\":\"%s\","
			"\"timeframe\":\"%s\",\"from\":%lld,\"to\":%lld}",
			o->exchange, o->symbol, o->timeframe,
			(long long)(h->from + (int64_t)i * h->tf),
			(long long)(h->from + (int64_t)j * h->tf));
		if (ctl_request(sock, req, &reply, 5000) != 0) {
			fprintf(stderr, "quantctl: no daemon answers at %s\n",
				sock);
			return -1;
		}
		if (strstr(reply, "\"ok\":true") == NULL) {
			fprintf(stderr, "quantctl: the daemon refused: %s\n",
				reply);
			free(reply);
			return -1;
		}
		free(reply);
		i = j;
	}
	return 0;
}

/*
 * The daemon's exchange instance fetches the candles of [from, to) that
 * the store lacks, over REST (paged, paused by the venue's rate limits);
 * this waits until they are stored, showing progress on a terminal.
 * Resumable: what is stored is never asked again.
 */
static int
data_backfill(const struct cli *c, struct data_opts *o)
{
	struct diag d = { 0 };
	struct config *cfg;
	struct store *s;
	struct store_series k;
	struct have h;
	int64_t now = (int64_t)time(NULL) * 1000, last_progress;
	long total, left, prev;
	int tty = isatty(2), rounds = 0, rc = 1;

	if (!whole_series(o))
		return 2;
	h.tf = store_timeframe_ms(o->timeframe);
	if (o->from == 0) {
		fprintf(stderr, "quantctl: give --from (and --to, default "
			"now)\n");
		return 2;
	}
	if (o->to == 0 || o->to > now)
		o->to = now;
	h.from = o->from / h.tf * h.tf;
	/* The open bar is not backfilled: up to the last closed one. */
	if (o->to / h.tf * h.tf <= h.from || (o->to / h.tf * h.tf - h.from) /
	    h.tf > 10 * 1000 * 1000) {
		fprintf(stderr, "quantctl: --from must be before --to, and "
			"the range at most 10 million candles\n");
		return 2;
	}
	h.n = (size_t)((o->to / h.tf * h.tf - h.from) / h.tf);
	if ((h.bits = calloc((h.n + 7) / 8, 1)) == NULL)
		return 1;
	cfg = config_load(c->config_path, &d);
	diag_free(&d);
	if (cfg == NULL) {
		fprintf(stderr, "quantctl: bad configuration (quantctl config "
			"check)\n");
		free(h.bits);
		return 2;
	}
	if ((s = open_store(c, o, STORE_ROLE_READER)) == NULL)
		goto out;
	k.exchange = o->exchange;
	k.symbol = o->symbol;
	k.timeframe = o->timeframe;
	total = left = missing(s, &k, &h);
	prev = -1;
	last_progress = (int64_t)time(NULL);
	while (left > 0) {
		/* Ask for what is missing; again when nothing came for a
		 * while (a request dropped during a rate-limit pause). */
		if (left != prev && prev >= 0) {
			last_progress = (int64_t)time(NULL);
		} else if (prev < 0 || (int64_t)time(NULL) - last_progress >=
		    20) {
			if (rounds++ == 4) {
				fprintf(stderr, "%squantctl: %ld of %ld "
					"candles still missing (the venue may "
					"not have them); run again to "
					"resume\n", tty ? "\n" : "", left,
					total);
				goto out;
			}
			if (ask_runs(cfg->control_socket, o, &h) != 0)
				goto out;
			last_progress = (int64_t)time(NULL);
		}
		prev = left;
		if (tty)
			fprintf(stderr, "\rbackfill %s %s %s: %ld of %ld "
				"stored", o->exchange, o->symbol, o->timeframe,
				total - left, total);
		usleep(500000);
		if ((left = missing(s, &k, &h)) < 0) {
			fprintf(stderr, "quantctl: %s\n", store_error(s));
			goto out;
		}
	}
	if (tty && total > 0)
		fprintf(stderr, "\n");
	if (o->json)
		printf("{\"ok\":true,\"fetched\":%ld,\"range\":%zu}\n",
			total, h.n);
	else
		printf("%ld candles fetched; %zu of %zu stored\n", total, h.n,
			h.n);
	rc = 0;
out:
	if (s != NULL)
		store_close(s);
	config_free(cfg);
	free(h.bits);
	return rc;
}

int
cmd_data(struct cli *c, int argc, char **argv)
{
	struct data_opts o;
	const char *sub = argc > 0 ? argv[0] : "";

	memset(&o, 0, sizeof(o));
	o.json = c->json;
	if (strcmp(sub, "synth") == 0)
		return cmd_data_synth(c, argc, argv);
	if (parse_opts(sub, argc - 1, argv + 1, &o, strcmp(sub, "import") ==
	    0) != 0) {
		cli_help("data", stderr);
		return 2;
	}
	if (strcmp(sub, "import") == 0)
		return data_import(c, &o);
	if (strcmp(sub, "export") == 0)
		return data_export(c, &o);
	if (strcmp(sub, "list") == 0)
		return data_list(c, &o);
	if (strcmp(sub, "gaps") == 0)
		return data_gaps(c, &o);
	if (strcmp(sub, "prune") == 0)
		return data_prune(c, &o);
	if (strcmp(sub, "vacuum") == 0)
		return data_vacuum(c, &o);
	if (strcmp(sub, "stats") == 0)
		return data_stats(c, &o);
	if (strcmp(sub, "backfill") == 0)
		return data_backfill(c, &o);
	cli_help("data", stderr);
	return 2;
}

/* ---- backtests from the store --------------------------------------------- */

#define STORE_PAGE 4096      /* candles read at a time */

/* A stored series being read a page at a time. */
struct cli_store_cursor {
	struct store *s;
	char spec[256];          /* exchange, symbol and timeframe, split */
	struct store_series k;
	int64_t from;            /* ms: the next page's first open time */
	int started;
	struct csv_series page;
};

static int
to_bars(void *arg, const struct store_candle *c, size_t n)
{
	struct csv_series *cs = arg;
	size_t i;

	if (cs->n + n > cs->cap) {
		size_t cap = (cs->n + n) * 2;
		struct qd_bar *b = realloc(cs->bars, cap * sizeof(*b));

		if (b == NULL)
			return 1;
		cs->bars = b;
		cs->cap = cap;
	}
	for (i = 0; i < n; i++)
		store_candle_bar(&c[i], &cs->bars[cs->n++]);
	return 0;
}

struct cli_store_cursor *
cli_store_open(const struct cli *c, const char *spec, char *symbol,
	size_t symcap, char *err, size_t errlen)
{
	struct cli_store_cursor *k = calloc(1, sizeof(*k));
	char *ex, *sym, *tf, *p;
	struct data_opts o;

	if (k == NULL) {
		snprintf(err, errlen, "%s: out of memory", spec);
		return NULL;
	}
	memset(&o, 0, sizeof(o));
	if (snprintf(k->spec, sizeof(k->spec), "%s", spec + 6) >=
	    (int)sizeof(k->spec) || (ex = k->spec, (p = strchr(ex, ':')) ==
	    NULL)) {
		snprintf(err, errlen, "%s: expected store:EXCHANGE:SYMBOL:"
			"TIMEFRAME", spec);
		goto fail;
	}
	*p = '\0';
	sym = p + 1;
	if ((p = strrchr(sym, ':')) == NULL) {
		snprintf(err, errlen, "%s: expected store:EXCHANGE:SYMBOL:"
			"TIMEFRAME", spec);
		goto fail;
	}
	*p = '\0';
	tf = p + 1;
	if (!symbol_valid(sym) || store_timeframe_ms(tf) == 0) {
		snprintf(err, errlen, "%s: bad symbol or timeframe", spec);
		goto fail;
	}
	if ((k->s = open_store(c, &o, STORE_ROLE_READER)) == NULL) {
		snprintf(err, errlen, "%s: cannot open the store", spec);
		goto fail;
	}
	k->k.exchange = ex;
	k->k.symbol = sym;
	k->k.timeframe = tf;
	k->from = INT64_MIN;
	snprintf(symbol, symcap, "%s", sym);
	return k;
fail:
	free(k);
	return NULL;
}

long
cli_store_next(struct cli_store_cursor *k, const struct qd_bar **bars,
	char *err, size_t errlen)
{
	int rc;

	k->page.n = 0;
	*bars = k->page.bars;
	if (k->from == INT64_MAX)
		return 0;
	rc = store_candles(k->s, &k->k, k->from, INT64_MAX, STORE_PAGE, 0,
		to_bars, &k->page);
	if (rc != QD_OK) {
		snprintf(err, errlen, "store:%s:%s:%s: %s", k->k.exchange,
			k->k.symbol, k->k.timeframe, store_error(k->s));
		return -1;
	}
	if (k->page.n == 0 && !k->started) {
		snprintf(err, errlen, "store:%s:%s:%s: no candles stored "
			"(quantctl data list shows what is)", k->k.exchange,
			k->k.symbol, k->k.timeframe);
		return -1;
	}
	k->started = 1;
	if (k->page.n == 0) {
		k->from = INT64_MAX;
		return 0;
	}
	/* The cursor: the last open time + 1 (ms). */
	k->from = k->page.bars[k->page.n - 1].ts / 1000000 + 1;
	*bars = k->page.bars;
	return (long)k->page.n;
}

void
cli_store_close(struct cli_store_cursor *k)
{
	if (k == NULL)
		return;
	store_close(k->s);
	csv_series_free(&k->page);
	free(k);
}
