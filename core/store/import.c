/*
 * import.c -- strict readers of the candle and trade files users bring
 * (see import.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <quantd/sdk.h>

#include "csv/csv.h"
#include "store/import.h"
#include "util/file.h"

#define MAX_FIELDS 32

enum col {
	K_TIME = 0, K_OPEN, K_HIGH, K_LOW, K_CLOSE, K_VOLUME, K_QVOL, K_COUNT,
	K_CLOSE_TIME,
	/* aggTrades */
	K_AGG_ID, K_PRICE, K_QTY, K_MAKER,
	K_COUNT_ALL
};

struct parser {
	const char *name;
	char *err;
	size_t errlen;
	int line;
	int col[K_COUNT_ALL];   /* field index of each column, -1 if absent */
	int nfields;            /* fields a row must have (no header: exact) */
	int header;
};

static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
import_format_name(enum import_format f)
{
	switch (f) {
	case IMPORT_OHLCV: return "ohlcv";
	case IMPORT_BINANCE_KLINES: return "binance-klines";
	case IMPORT_BINANCE_AGGTRADES: return "binance-aggtrades";
	}
	return "?";
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char *s, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

int
import_parse_time(const char *s, size_t len, int64_t *ms, const char **why)
{
	int y, mo, d, h, mi, sec, frac_ms = 0;
	size_t i, k;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	*why = "expected milliseconds, microseconds or an ISO 8601 UTC time";
	if (len == 0)
		return -1;
	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == len) {
		uint64_t v = 0;

		if (len > 18) {
			*why = "time out of range";
			return -1;
		}
		for (i = 0; i < len; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		/* Values above 1e14 ms would be after the year 5000: they
		 * are microseconds (Binance's files since 2025). */
		*ms = v > 100000000000000ULL ? (int64_t)(v / 1000) : (int64_t)v;
		return 0;
	}
	/* YYYY-MM-DD[T ]HH:MM:SS[.fff...](Z|+00:00|+0000|-00:00) */
	if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' &&
	    s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
	    digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 59 || y < 1970) {
		*why = "not a valid date and time";
		return -1;
	}
	i = 19;
	if (i < len && s[i] == '.') {
		for (k = 0, i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, k++)
			if (k < 3)
				frac_ms = frac_ms * 10 + (s[i] - '0');
		if (k == 0)
			return -1;
		for (; k < 3; k++)
			frac_ms *= 10;
	}
	if (i == len) {
		*why = "a time without a time zone: write it in UTC with a "
		    "trailing Z";
		return -1;
	}
	if (!(len - i == 1 && s[i] == 'Z') &&
	    !(len - i == 6 && (s[i] == '+' || s[i] == '-') &&
	    memcmp(s + i + 1, "00:00", 5) == 0) &&
	    !(len - i == 5 && (s[i] == '+' || s[i] == '-') &&
	    memcmp(s + i + 1, "0000", 4) == 0)) {
		*why = "not a UTC time: convert it to UTC (a trailing Z)";
		return -1;
	}
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0)) {
		*why = "not a valid date and time";
		return -1;
	}
	*ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL +
	    sec * 1000LL + frac_ms;
	return 0;
}

static int
is_name(const struct csv_field *f, const char *name)
{
	return f->len == strlen(name) && strncasecmp(f->p, name, f->len) == 0;
}

/* Work out the format and columns from the first line. */
static int
detect(struct parser *p, const struct csv_field *f, int n,
	enum import_format *fmt)
{
	int i, k;
	int64_t t;
	const char *why;

	for (k = 0; k < K_COUNT_ALL; k++)
		p->col[k] = -1;
	p->header = !(import_parse_time(f[0].p, f[0].len, &t, &why) == 0 ||
	    (f[0].len > 0 && f[0].p[0] >= '0' && f[0].p[0] <= '9'));
	if (!p->header) {
		p->nfields = n;
		if (n == 6 || n == 12) {
			*fmt = n == 6 ? IMPORT_OHLCV : IMPORT_BINANCE_KLINES;
			for (k = 0; k <= K_VOLUME; k++)
				p->col[k] = k;
			if (n == 12) {
				p->col[K_CLOSE_TIME] = 6;
				p->col[K_QVOL] = 7;
				p->col[K_COUNT] = 8;
			}
			return 0;
		}
		if (n == 7 || n == 8) {
			*fmt = IMPORT_BINANCE_AGGTRADES;
			p->col[K_AGG_ID] = 0;
			p->col[K_PRICE] = 1;
			p->col[K_QTY] = 2;
			p->col[K_TIME] = 5;
			p->col[K_MAKER] = 6;
			return 0;
		}
		return fail(p, "%d columns without a header: expected 6 "
			"(ts,open,high,low,close,volume), 12 (Binance klines) "
			"or 7-8 (Binance aggTrades)", n);
	}
	p->nfields = n;
	for (i = 0; i < n; i++) {
		static const struct { const char *name; enum col c; } names[] = {
			{ "ts", K_TIME }, { "time", K_TIME },
			{ "open_time", K_TIME }, { "timestamp", K_TIME },
			{ "transact_time", K_TIME },
			{ "open", K_OPEN }, { "high", K_HIGH }, { "low", K_LOW },
			{ "close", K_CLOSE }, { "volume", K_VOLUME },
			{ "quote_volume", K_QVOL }, { "trades", K_COUNT },
			{ "count", K_COUNT }, { "close_time", K_CLOSE_TIME },
			{ "agg_trade_id", K_AGG_ID }, { "price", K_PRICE },
			{ "quantity", K_QTY }, { "qty", K_QTY },
			{ "is_buyer_maker", K_MAKER },
		};
		size_t j;

		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			if (is_name(&f[i], names[j].name)) {
				if (p->col[names[j].c] >= 0)
					return fail(p, "column \"%.*s\" given "
						"twice", (int)f[i].len, f[i].p);
				p->col[names[j].c] = i;
			}
	}
	if (p->col[K_AGG_ID] >= 0 || (p->col[K_PRICE] >= 0 &&
	    p->col[K_OPEN] < 0)) {
		*fmt = IMPORT_BINANCE_AGGTRADES;
		if (p->col[K_PRICE] < 0 || p->col[K_QTY] < 0 ||
		    p->col[K_TIME] < 0)
			return fail(p, "a trades header needs price, quantity "
				"and transact_time (or time)");
		return 0;
	}
	*fmt = p->col[K_CLOSE_TIME] >= 0 ? IMPORT_BINANCE_KLINES : IMPORT_OHLCV;
	for (k = K_TIME; k <= K_VOLUME; k++)
		if (p->col[k] < 0) {
			static const char *const need[] = { "ts", "open",
				"high", "low", "close", "volume" };

			return fail(p, "the header has no \"%s\" column "
				"(needed: ts,open,high,low,close,volume)",
				need[k]);
		}
	return 0;
}

static int
number(struct parser *p, const struct csv_field *f, const char *what, double *v)
{
	if (csv_parse_number(f->p, f->len, v) != 0)
		return fail(p, "%s: \"%.*s\" is not a number", what,
			(int)(f->len > 40 ? 40 : f->len), f->p);
	return 0;
}

static int
integer(struct parser *p, const struct csv_field *f, const char *what,
	int64_t *v)
{
	size_t i;
	uint64_t u = 0;

	if (f->len == 0 || f->len > 18)
		return fail(p, "%s: expected a non-negative integer", what);
	for (i = 0; i < f->len; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return fail(p, "%s: \"%.*s\" is not a non-negative "
				"integer", what, (int)(f->len > 40 ? 40 :
				f->len), f->p);
		u = u * 10 + (uint64_t)(f->p[i] - '0');
	}
	*v = (int64_t)u;
	return 0;
}

static int
grow(void **arr, size_t *cap, size_t n, size_t size, int **lines)
{
	size_t nc;
	void *a;
	int *l;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 4096;
	if ((a = realloc(*arr, nc * size)) == NULL)
		return -1;
	*arr = a;
	if ((l = realloc(*lines, nc * sizeof(*l))) == NULL)
		return -1;
	*lines = l;
	*cap = nc;
	return 0;
}

static int
candle_row(struct parser *p, const struct csv_field *f, struct store_candle *c)
{
	const char *why;
	double v[5];
	int k;
	static const char *const what[] = { "open", "high", "low", "close",
		"volume" };

	if (import_parse_time(f[p->col[K_TIME]].p, f[p->col[K_TIME]].len,
	    &c->open_time, &why) != 0)
		return fail(p, "time: %s", why);
	for (k = 0; k < 5; k++)
		if (number(p, &f[p->col[K_OPEN + k]], what[k], &v[k]) != 0)
			return -1;
	c->open = v[0];
	c->high = v[1];
	c->low = v[2];
	c->close = v[3];
	c->volume = v[4];
	if (!(c->low <= c->open && c->low <= c->close && c->open <= c->high &&
	    c->close <= c->high && c->low > 0))
		return fail(p, "prices are not consistent (need 0 < low <= "
			"open, close <= high)");
	if (c->volume < 0)
		return fail(p, "volume is negative");
	c->quote_volume = NAN;
	c->trades = -1;
	if (p->col[K_QVOL] >= 0 && f[p->col[K_QVOL]].len > 0) {
		if (number(p, &f[p->col[K_QVOL]], "quote_volume",
		    &c->quote_volume) != 0)
			return -1;
		if (c->quote_volume < 0)
			return fail(p, "quote_volume is negative");
	}
	if (p->col[K_COUNT] >= 0 && f[p->col[K_COUNT]].len > 0 &&
	    integer(p, &f[p->col[K_COUNT]], "trade count", &c->trades) != 0)
		return -1;
	return 0;
}

static int
trade_row(struct parser *p, const struct csv_field *f, struct store_trade *t)
{
	const char *why;
	int64_t id = 0;
	const struct csv_field *m;

	if (import_parse_time(f[p->col[K_TIME]].p, f[p->col[K_TIME]].len,
	    &t->time, &why) != 0)
		return fail(p, "transact_time: %s", why);
	if (p->col[K_AGG_ID] >= 0 &&
	    integer(p, &f[p->col[K_AGG_ID]], "agg_trade_id", &id) != 0)
		return -1;
	t->trade_id = (uint64_t)id;
	if (number(p, &f[p->col[K_PRICE]], "price", &t->price) != 0 ||
	    number(p, &f[p->col[K_QTY]], "quantity", &t->qty) != 0)
		return -1;
	if (t->price <= 0 || t->qty < 0)
		return fail(p, "price must be > 0 and quantity >= 0");
	t->side = 0;
	if (p->col[K_MAKER] >= 0) {
		m = &f[p->col[K_MAKER]];
		/* The buyer was the maker: the taker sold. */
		if (is_name(m, "true"))
			t->side = 2;
		else if (is_name(m, "false"))
			t->side = 1;
		else
			return fail(p, "is_buyer_maker: expected true or false");
	}
	return 0;
}

int
import_parse(const char *name, const char *buf, size_t len,
	int64_t timeframe_ms, struct import_data *out, char *err,
	size_t errlen)
{
	struct parser p;
	struct csv_field f[MAX_FIELDS];
	const char *line = buf, *end = buf + len, *nl;
	size_t cap = 0, i, ll;
	int *lines = NULL, n, first = 1;
	void *arr = NULL;
	int64_t step = 0;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.err = err;
	p.errlen = errlen;
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		ll = (size_t)((nl ? nl : end) - line);
		p.line++;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0) {
			/* Blank lines only at the end. */
			const char *q;

			for (q = line; q < end && (*q == '\n' || *q == '\r'); q++)
				;
			if (q == end)
				break;
			fail(&p, "empty line");
			goto bad;
		}
		if (memchr(line, '\0', ll) != NULL) {
			fail(&p, "a NUL byte: not a text file");
			goto bad;
		}
		if ((n = csv_split(line, ll, f, MAX_FIELDS)) < 0) {
			fail(&p, "more than %d columns", MAX_FIELDS);
			goto bad;
		}
		if (first) {
			first = 0;
			if (detect(&p, f, n, &out->format) != 0)
				goto bad;
			if (p.header) {
				line = nl ? nl + 1 : end;
				continue;
			}
		}
		if (n != p.nfields) {
			fail(&p, "%d columns, the %s has %d", n, p.header ?
				"header" : "first row", p.nfields);
			goto bad;
		}
		if (out->format == IMPORT_BINANCE_AGGTRADES) {
			struct store_trade *t;

			if (grow(&arr, &cap, out->n, sizeof(*t), &lines) != 0)
				goto nomem;
			t = (struct store_trade *)arr + out->n;
			if (trade_row(&p, f, t) != 0)
				goto bad;
			if (out->n > 0 && t->time < t[-1].time) {
				fail(&p, "out of order: time %lld is before "
					"the previous row's %lld (line %d)",
					(long long)t->time,
					(long long)t[-1].time, lines[out->n - 1]);
				goto bad;
			}
			if (out->n > 0 && p.col[K_AGG_ID] >= 0 &&
			    t->trade_id <= t[-1].trade_id) {
				fail(&p, "agg_trade_id %llu is not above the "
					"previous row's (line %d)",
					(unsigned long long)t->trade_id,
					lines[out->n - 1]);
				goto bad;
			}
		} else {
			struct store_candle *c;

			if (grow(&arr, &cap, out->n, sizeof(*c), &lines) != 0)
				goto nomem;
			c = (struct store_candle *)arr + out->n;
			if (candle_row(&p, f, c) != 0)
				goto bad;
			if (out->n > 0 && c->open_time == c[-1].open_time) {
				fail(&p, "duplicate time %lld (also on line %d)",
					(long long)c->open_time,
					lines[out->n - 1]);
				goto bad;
			}
			if (out->n > 0 && c->open_time < c[-1].open_time) {
				fail(&p, "out of order: time %lld is before "
					"the previous row's %lld (line %d)",
					(long long)c->open_time,
					(long long)c[-1].open_time,
					lines[out->n - 1]);
				goto bad;
			}
			if (out->n > 0 && (step == 0 ||
			    c->open_time - c[-1].open_time < step))
				step = c->open_time - c[-1].open_time;
		}
		lines[out->n++] = p.line;
		line = nl ? nl + 1 : end;
	}
	if (out->n == 0) {
		p.line = p.line ? p.line : 1;
		fail(&p, "no rows");
		goto bad;
	}
	if (out->format == IMPORT_BINANCE_AGGTRADES) {
		out->trades = arr;
		free(lines);
		return 0;
	}
	out->candles = arr;
	if (timeframe_ms == 0) {
		timeframe_ms = step;
		if (out->n < 2 || !store_timeframe_label((uint32_t)(step / 1000)) ||
		    step % 1000 != 0) {
			p.line = lines[out->n > 1 ? 1 : 0];
			fail(&p, "cannot infer the timeframe (step %lld ms): "
				"give --timeframe", (long long)step);
			out->candles = NULL;
			goto bad;
		}
	}
	out->timeframe_ms = timeframe_ms;
	for (i = 0; i < out->n; i++) {
		/* Weekly candles open on Mondays, not on epoch weeks. */
		int64_t a = timeframe_ms == 604800000 ?
		    (out->candles[i].open_time - 345600000) % timeframe_ms :
		    out->candles[i].open_time % timeframe_ms;

		if (a != 0) {
			p.line = lines[i];
			fail(&p, "time %lld is not on a %lld ms boundary of "
				"the timeframe", (long long)
				out->candles[i].open_time,
				(long long)timeframe_ms);
			out->candles = NULL;
			goto bad;
		}
	}
	free(lines);
	return 0;
nomem:
	fail(&p, "out of memory");
bad:
	free(arr);
	free(lines);
	memset(out, 0, sizeof(*out));
	return -1;
}

int
import_read_file(const char *path, int64_t timeframe_ms,
	struct import_data *out, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf;
	size_t len;
	int rc, e;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = file_read_stream(f, SIZE_MAX, &len);
	e = errno;
	if (f != stdin)
		fclose(f);
	if (buf == NULL) {
		snprintf(err, errlen, e == EIO ? "%s: read error" :
			"%s: out of memory", path);
		return -1;
	}
	rc = import_parse(path, buf, len, timeframe_ms, out, err, errlen);
	free(buf);
	return rc;
}

void
import_data_free(struct import_data *d)
{
	free(d->candles);
	free(d->trades);
	memset(d, 0, sizeof(*d));
}
