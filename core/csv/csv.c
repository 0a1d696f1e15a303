/*
 * csv.c -- strict OHLCV CSV reader (see csv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv/csv.h"
#include "util/file.h"

#define MAX_FIELDS 64
#define MAX_FILE (2048ull << 20)

enum col { C_TS, C_OPEN, C_HIGH, C_LOW, C_CLOSE, C_VOLUME, C_COUNT };

static const char *const col_names[C_COUNT] = {
	"ts", "open", "high", "low", "close", "volume"
};

int
csv_split(const char *line, size_t len, struct csv_field *f, int max)
{
	const char *p = line, *end = line + len, *c;
	int n = 0;

	for (;;) {
		c = memchr(p, ',', (size_t)(end - p));
		if (n == max)
			return -1;
		f[n].p = p;
		f[n].len = (size_t)((c != NULL ? c : end) - p);
		n++;
		if (c == NULL)
			return n;
		p = c + 1;
	}
}

/* 10^0 .. 10^22: every one is exactly representable as a double. */
static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

#define MAX_NUMBER 128

/*
 * The usual number of a candle file ("30000.01", "57.856"): digits with at
 * most one point, at most 19 digits, read up to `end` or the first other
 * byte.  The value is correctly rounded: the digits fit 2^53 and the point
 * is at most 22 places from the end, so one IEEE division by an exact power
 * of ten rounds once (Clinger's fast path).  Returns where the number ends,
 * or NULL for anything else (no digit, too many, too long a fraction): the
 * general path then reads it.
 */
static const char *
fast_number(const char *p, const char *end, double *out)
{
	uint64_t m = 0;
	int nd = 0, frac = -1;

	for (; p < end; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (d < 10) {
			m = m * 10 + d;
			nd++;
			frac += frac >= 0;
		} else if (*p == '.' && frac < 0) {
			frac = 0;
		} else {
			break;
		}
	}
	if (nd == 0 || nd > 19 || m > (UINT64_C(1) << 53) || frac > 22)
		return NULL;
	*out = frac > 0 ? (double)m / pow10_exact[frac] : (double)m;
	return p;
}


/*
 * Parse a decimal number: [+-]digits[.digits][(e|E)[+-]digits], at least one
 * digit in the mantissa, nothing else (no spaces, hex, inf or nan).  The
 * result is the correctly rounded double, bit for bit what strtod gives:
 * when the significant digits fit in 2^53 and the decimal exponent is within
 * +-22, one IEEE multiply or divide by an exact power of ten is correctly
 * rounded (Clinger's fast path); anything else goes to strtod.  Returns 0,
 * or -1 when the text is not a number or not finite.
 */
int
csv_parse_number(const char *text, size_t len, double *out)
{
	const char *p = text, *end = text + len;
	uint64_t m = 0;
	int neg = 0, digits = 0, sig = 0, scale = 0, exp = 0, eneg = 0;
	int dropped = 0;
	char buf[MAX_NUMBER + 1];
	double v;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	/* The usual price or volume ("30000.01"): the digits are the
	 * mantissa (leading zeros add nothing) and the fraction's length the
	 * scale -- what the general loops below find, with fewer tests. */
	if (fast_number(p, end, &v) == end) {
		*out = neg ? -v : v;
		return 0;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		if (m == 0 && *p == '0')
			continue;
		if (sig < 19) {
			m = m * 10 + (uint64_t)(*p - '0');
			sig++;
		} else {
			scale++;
			dropped |= *p != '0';
		}
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
			if (m == 0 && *p == '0') {
				scale--;
				continue;
			}
			if (sig < 19) {
				m = m * 10 + (uint64_t)(*p - '0');
				sig++;
				scale--;
			} else {
				dropped |= *p != '0';
			}
		}
	}
	if (digits == 0)
		return -1;
	if (p < end && (*p == 'e' || *p == 'E')) {
		int edigits = 0;

		p++;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++, edigits++)
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		if (edigits == 0)
			return -1;
	}
	if (p != end)
		return -1;
	scale += eneg ? -exp : exp;
	if (!dropped && m <= (UINT64_C(1) << 53) && scale >= -22 &&
	    scale <= 22) {
		v = (double)m;
		v = scale < 0 ? v / pow10_exact[-scale] : v * pow10_exact[scale];
		*out = neg ? -v : v;
		return 0;
	}
	/* Rare: many digits or a large exponent.  The grammar is checked, so
	 * strtod reads exactly this text. */
	if (len > MAX_NUMBER) {
		/* A long exact decimal (NUMERIC prints every digit). */
		char *big = malloc(len + 1);

		if (big == NULL)
			return -1;
		memcpy(big, text, len);
		big[len] = '\0';
		v = strtod(big, NULL);
		free(big);
	} else {
		memcpy(buf, text, len);
		buf[len] = '\0';
		v = strtod(buf, NULL);
	}
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int
parse_double(const struct csv_field *f, double *out)
{
	return csv_parse_number(f->p, f->len, out);
}

/* Parse a non-negative decimal integer (digits only) that fits int64. */
static int
parse_int(const struct csv_field *f, int64_t *out)
{
	const char *p = f->p, *end = f->p + f->len;
	int64_t v = 0;

	if (p == end)
		return -1;
	if (f->len <= 18) {
		/* 18 digits cannot overflow: no check per digit. */
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			v = v * 10 + (*p - '0');
		}
		*out = v;
		return 0;
	}
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return 0;
}

static int
push(struct csv_series *s, const struct qd_bar *b)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		struct qd_bar *n = realloc(s->bars, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		s->bars = n;
		s->cap = cap;
	}
	s->bars[s->n++] = *b;
	return 0;
}

/* The state of one file's parse: its format, columns and position. */
struct parser {
	const char *name;
	enum csv_format format;
	int idx[C_COUNT];
	int nf_header;
	signed char role[MAX_FIELDS];  /* column j holds: C_TS.., or -1 */
	size_t lineno;
	int64_t prev_ts;
};

static void
parser_init(struct parser *ps, const char *name)
{
	int k;

	memset(ps, 0, sizeof(*ps));
	ps->name = name;
	ps->prev_ts = INT64_MIN;
	for (k = 0; k < C_COUNT; k++)
		ps->idx[k] = k;
}

/* A checked row: the bar (ts in ns, the values by column), the last ts. */
static void
bar_set(struct parser *ps, struct qd_bar *b, int64_t ts, const double *v)
{
	ps->prev_ts = ts;
	b->ts = ts;
	b->open = v[C_OPEN];
	b->high = v[C_HIGH];
	b->low = v[C_LOW];
	b->close = v[C_CLOSE];
	b->volume = v[C_VOLUME];
}

/*
 * Parse one line (without its newline; a trailing CR is dropped).  Returns
 * 1 with *b filled for a bar, 0 for a line that holds none (blank, the
 * header), or -1 with "NAME:LINE: what is wrong" in err.
 */
static int
parse_line(struct parser *ps, const char *line, size_t ll, struct qd_bar *b,
	char *err, size_t errlen)
{
	struct csv_field f[MAX_FIELDS];
	const char *name = ps->name;
	double v[C_COUNT];
	int64_t ts;
	int nf, k;

	ps->lineno++;
	if (ll > 0 && line[ll - 1] == '\r')
		ll--;
	if (ll == 0)
		return 0;
	if (memchr(line, '\0', ll) != NULL) {
		snprintf(err, errlen, "%s:%zu: NUL byte in line", name,
			ps->lineno);
		return -1;
	}
	if ((nf = csv_split(line, ll, f, MAX_FIELDS)) < 0) {
		snprintf(err, errlen, "%s:%zu: more than %d columns", name,
			ps->lineno, MAX_FIELDS);
		return -1;
	}
	if (ps->format == 0) {
		memset(ps->role, -1, sizeof(ps->role));
		if (line[0] >= '0' && line[0] <= '9') {
			ps->format = CSV_BINANCE;
			ps->nf_header = 12;
			for (k = 0; k < C_COUNT; k++)
				ps->role[k] = (signed char)k;
		} else {
			ps->format = CSV_OHLCV;
			for (k = 0; k < C_COUNT; k++) {
				int j;

				ps->idx[k] = -1;
				for (j = 0; j < nf; j++)
					if (f[j].len == strlen(col_names[k]) &&
					    memcmp(f[j].p, col_names[k],
					    f[j].len) == 0)
						ps->idx[k] = j;
				if (ps->idx[k] < 0) {
					snprintf(err, errlen, "%s:%zu: header "
						"lacks column '%s' (expected "
						"ts,open,high,low,close,volume)",
						name, ps->lineno, col_names[k]);
					return -1;
				}
			}
			ps->nf_header = nf;
			for (k = 0; k < C_COUNT; k++)
				ps->role[ps->idx[k]] = (signed char)k;
			return 0;
		}
	}
	if (nf != ps->nf_header) {
		snprintf(err, errlen, "%s:%zu: %d columns, expected %d", name,
			ps->lineno, nf, ps->nf_header);
		return -1;
	}
	if (parse_int(&f[ps->idx[C_TS]], &ts) != 0) {
		const struct csv_field *t = &f[ps->idx[C_TS]];

		snprintf(err, errlen, "%s:%zu: ts \"%.*s\" is not an integer "
			"timestamp", name, ps->lineno, (int)(t->len > 40 ? 40 :
			t->len), t->p);
		return -1;
	}
	for (k = C_OPEN; k < C_COUNT; k++)
		if (parse_double(&f[ps->idx[k]], &v[k]) != 0) {
			const struct csv_field *x = &f[ps->idx[k]];

			snprintf(err, errlen, "%s:%zu: %s \"%.*s\" is not a "
				"finite number", name, ps->lineno, col_names[k],
				(int)(x->len > 40 ? 40 : x->len), x->p);
			return -1;
		}
	/* ms (ours, Binance before 2025) or us (Binance since); the result
	 * must fit int64 nanoseconds (years 1970..2262). */
	if (ts < 0 || ts > INT64_MAX / 1000) {
		snprintf(err, errlen, "%s:%zu: ts %lld is out of range", name,
			ps->lineno, (long long)ts);
		return -1;
	}
	if (ps->format == CSV_BINANCE && ts > 100000000000000LL) {
		ts *= 1000;
	} else if (ts > INT64_MAX / 1000000) {
		snprintf(err, errlen, "%s:%zu: ts %lld is out of range for "
			"milliseconds", name, ps->lineno, (long long)ts);
		return -1;
	} else {
		ts *= 1000000;
	}
	if (ts <= ps->prev_ts) {
		snprintf(err, errlen, "%s:%zu: ts is not after the previous "
			"row's", name, ps->lineno);
		return -1;
	}
	if (v[C_HIGH] < v[C_LOW] || v[C_OPEN] < v[C_LOW] ||
	    v[C_OPEN] > v[C_HIGH] || v[C_CLOSE] < v[C_LOW] ||
	    v[C_CLOSE] > v[C_HIGH]) {
		snprintf(err, errlen, "%s:%zu: prices inconsistent: need low "
			"<= open, close <= high", name, ps->lineno);
		return -1;
	}
	if (v[C_VOLUME] < 0) {
		snprintf(err, errlen, "%s:%zu: negative volume", name,
			ps->lineno);
		return -1;
	}
	bar_set(ps, b, ts, v);
	return 1;
}

/*
 * One line of a file whose header is known, in a single pass over its
 * bytes, for the rows of the usual shape: plain integers and decimals, no
 * NUL, the header's column count, the checks of parse_line passed.  `p`
 * points into a buffer that holds a NUL at `end`, after its last byte (the
 * sentinel that ends every scan).  Returns where the next line starts with *b filled, or
 * NULL when the line is anything else (or not complete in the buffer):
 * parse_line then reads it, with the same result or the same error.
 */
static const char *
parse_line_fast(struct parser *ps, const char *p, const char *end,
	struct qd_bar *b)
{
	double v[C_COUNT];
	int64_t ts = 0;
	int j, k, nd = 0;

	for (j = 0; j < ps->nf_header; j++) {
		if (j > 0) {
			if (*p != ',')
				return NULL;
			p++;
		}
		k = ps->role[j];
		if (k == C_TS) {
			for (nd = 0; (unsigned)(*p - '0') < 10 && nd < 19;
			    p++, nd++)
				ts = ts * 10 + (*p - '0');
			if (nd == 0 || nd > 18)
				return NULL;
		} else if (k > C_TS) {
			if ((p = fast_number(p, end, &v[k])) == NULL)
				return NULL;
		} else {
			while (*p != ',' && *p != '\n' && *p != '\r' &&
			    *p != '\0')
				p++;
		}
	}
	if (*p == '\r')
		p++;
	if (*p != '\n')
		return NULL;
	/* parse_line's checks: any failure is reported by it (fast_number
	 * reads no sign: the volume is not negative). */
	if (ps->format == CSV_BINANCE && ts > 100000000000000LL) {
		if (ts > INT64_MAX / 1000)
			return NULL;
		ts *= 1000;
	} else {
		if (ts > INT64_MAX / 1000000)
			return NULL;
		ts *= 1000000;
	}
	if (ts <= ps->prev_ts || v[C_HIGH] < v[C_LOW] ||
	    v[C_OPEN] < v[C_LOW] || v[C_OPEN] > v[C_HIGH] ||
	    v[C_CLOSE] < v[C_LOW] || v[C_CLOSE] > v[C_HIGH])
		return NULL;
	ps->lineno++;
	bar_set(ps, b, ts, v);
	return p + 1;
}

/* The end of the data: a file without even a header is refused. */
static int
parser_end(const struct parser *ps, char *err, size_t errlen)
{
	if (ps->format != 0)
		return 0;
	snprintf(err, errlen, "%s:1: empty file, expected a header "
		"ts,open,high,low,close,volume", ps->name);
	return -1;
}

int
csv_read_buffer(const char *name, const char *buf, size_t len,
	struct csv_series *out, char *err, size_t errlen)
{
	struct parser ps;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	parser_init(&ps, name);
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		struct qd_bar b;
		int got;

		pos += ll + (nl != NULL);
		if ((got = parse_line(&ps, line, ll, &b, err, errlen)) < 0)
			goto fail;
		if (got == 1 && push(out, &b) != 0) {
			snprintf(err, errlen, "%s:%zu: out of memory", name,
				ps.lineno);
			goto fail;
		}
	}
	out->format = ps.format;
	if (parser_end(&ps, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	csv_series_free(out);
	return -1;
}

int
csv_read_file(const char *path, struct csv_series *out, char *err,
	size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf;
	size_t n;
	int rc, e;

	memset(out, 0, sizeof(*out));
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			strerror(errno));
		return -1;
	}
	buf = file_read_stream(f, MAX_FILE, &n);
	e = errno;
	if (f != stdin)
		fclose(f);
	if (buf == NULL) {
		snprintf(err, errlen, e == EIO ? "%s: read error" :
			"%s: too large or out of memory", path);
		return -1;
	}
	rc = csv_read_buffer(strcmp(path, "-") == 0 ? "<stdin>" : path, buf,
		n, out, err, errlen);
	free(buf);
	return rc;
}

void
csv_series_free(struct csv_series *s)
{
	free(s->bars);
	memset(s, 0, sizeof(*s));
}

/* ---- reading a file a chunk at a time ------------------------------------ */

#define READ_BUF (1u << 20)     /* grows for a longer line */
#define READ_BARS 4096

#define SLOTS 3                 /* chunks parsed ahead by the thread */

/* A chunk of bars parsed ahead: its count, or -1 and why. */
struct slot {
	struct qd_bar bars[READ_BARS];
	long n;
	char err[512];
};

struct csv_reader {
	struct parser ps;
	char *name;
	int fd, own_fd, eof;
	char *buf;
	size_t cap, start, fill;     /* unparsed bytes: buf[start, fill) */
	struct qd_bar bars[READ_BARS];
	/* csv_reader_prefetch: a thread parses into slots; slot `taken %
	 * SLOTS` is the caller's until its next call. */
	int threaded, held, stop, ended;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	size_t made, taken;          /* chunks parsed, chunks handed out */
};

struct csv_reader *
csv_reader_open(const char *path, char *err, size_t errlen)
{
	struct csv_reader *r = calloc(1, sizeof(*r));
	int is_stdin = strcmp(path, "-") == 0;

	if (r == NULL || (r->name = strdup(is_stdin ? "<stdin>" : path)) ==
	    NULL || (r->buf = malloc(READ_BUF)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	r->cap = READ_BUF;
	r->buf[0] = '\0';
	r->fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			strerror(errno));
		goto fail;
	}
	r->own_fd = !is_stdin;
	parser_init(&r->ps, r->name);
	return r;
fail:
	if (r != NULL) {
		free(r->buf);
		free(r->name);
		free(r);
	}
	return NULL;
}

/* Move the unparsed tail to the front (growing the buffer when a line
 * fills it) and read more.  0, or -1 with err. */
static int
reader_fill(struct csv_reader *r, char *err, size_t errlen)
{
	ssize_t got;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->fill - r->start);
		r->fill -= r->start;
		r->start = 0;
	}
	/* One byte stays free for the NUL after the data (parse_line_fast's
	 * sentinel). */
	if (r->fill + 1 == r->cap) {
		char *nb = r->cap < MAX_FILE / 2 ? realloc(r->buf, r->cap * 2) :
			NULL;

		if (nb == NULL) {
			snprintf(err, errlen, "%s:%zu: line too long", r->name,
				r->ps.lineno + 1);
			return -1;
		}
		r->buf = nb;
		r->cap *= 2;
	}
	do
		got = read(r->fd, r->buf + r->fill, r->cap - r->fill - 1);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		snprintf(err, errlen, "%s: read error: %s", r->name,
			strerror(errno));
		return -1;
	}
	if (got == 0)
		r->eof = 1;
	r->fill += (size_t)got;
	r->buf[r->fill] = '\0';
	return 0;
}

/* Parse the next bars into `out` (up to READ_BARS): their count, 0 at the
 * end, -1 with err. */
static long
reader_parse(struct csv_reader *r, struct qd_bar *out, char *err,
	size_t errlen)
{
	size_t n = 0;

	while (n < READ_BARS) {
		const char *line = r->buf + r->start, *next;
		size_t left = r->fill - r->start, ll;
		const char *nl;
		int got;

		if (r->ps.format != 0 && left > 0 &&
		    (next = parse_line_fast(&r->ps, line, r->buf + r->fill,
		    &out[n])) != NULL) {
			r->start = (size_t)(next - r->buf);
			n++;
			continue;
		}
		nl = memchr(line, '\n', left);

		if (nl == NULL && !r->eof) {
			if (reader_fill(r, err, errlen) != 0)
				return -1;
			continue;
		}
		if (nl == NULL && left == 0) {
			/* The end: what was parsed, then 0. */
			if (n == 0 && parser_end(&r->ps, err, errlen) != 0)
				return -1;
			break;
		}
		ll = nl ? (size_t)(nl - line) : left;
		r->start += ll + (nl != NULL);
		got = parse_line(&r->ps, line, ll, &out[n], err, errlen);
		if (got < 0)
			return -1;
		n += (size_t)got;
	}
	return (long)n;
}

/* The prefetch thread: parse chunks while a slot is free, until the end,
 * an error or csv_reader_close. */
static void *
reader_thread(void *arg)
{
	struct csv_reader *r = arg;

	for (;;) {
		struct slot *sl;

		pthread_mutex_lock(&r->mu);
		while (!r->stop && r->made - r->taken + (size_t)r->held >=
		    SLOTS)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		sl = &r->slots[r->made % SLOTS];
		pthread_mutex_unlock(&r->mu);
		sl->n = reader_parse(r, sl->bars, sl->err, sizeof(sl->err));
		pthread_mutex_lock(&r->mu);
		r->made++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		if (sl->n <= 0)
			return NULL;
	}
}

int
csv_reader_prefetch(struct csv_reader *r)
{
	if (r->threaded)
		return 0;
	if ((r->slots = malloc(SLOTS * sizeof(*r->slots))) == NULL)
		return -1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->th, NULL, reader_thread, r) != 0) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r->slots);
		r->slots = NULL;
		return -1;
	}
	r->threaded = 1;
	return 0;
}

long
csv_reader_next(struct csv_reader *r, const struct qd_bar **bars, char *err,
	size_t errlen)
{
	struct slot *sl;

	if (!r->threaded) {
		*bars = r->bars;
		return reader_parse(r, r->bars, err, errlen);
	}
	pthread_mutex_lock(&r->mu);
	if (r->ended) {
		/* The end or the error, again. */
		sl = &r->slots[(r->taken - 1) % SLOTS];
		pthread_mutex_unlock(&r->mu);
		goto out;
	}
	if (r->held) {
		/* The caller is done with the last chunk: the thread may
		 * reuse its slot. */
		r->held = 0;
		pthread_cond_broadcast(&r->cv);
	}
	while (r->made == r->taken)
		pthread_cond_wait(&r->cv, &r->mu);
	sl = &r->slots[r->taken++ % SLOTS];
	r->held = 1;
	r->ended = sl->n <= 0;
	pthread_mutex_unlock(&r->mu);
out:
	if (sl->n < 0)
		snprintf(err, errlen, "%s", sl->err);
	*bars = sl->bars;
	return sl->n;
}

enum csv_format
csv_reader_format(const struct csv_reader *r)
{
	return r->ps.format;
}

void
csv_reader_close(struct csv_reader *r)
{
	if (r == NULL)
		return;
	if (r->threaded) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->th, NULL);
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r->slots);
	}
	if (r->own_fd)
		close(r->fd);
	free(r->buf);
	free(r->name);
	free(r);
}
