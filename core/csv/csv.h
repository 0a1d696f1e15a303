/*
 * csv -- reading OHLCV candles from CSV files, strictly.
 *
 * Two formats, detected from the first line:
 *   - ours: a header naming at least ts,open,high,low,close,volume (any
 *     order, extra columns ignored), ts in milliseconds UTC;
 *   - the exchanges' bulk-download kline files (Binance's 12 columns, no
 *     header): open_time,open,high,low,close,volume,close_time,... with
 *     open_time in milliseconds or microseconds (values above 1e14 are
 *     microseconds).
 * Bars come out with ts in nanoseconds (the process's unit).  Every row is
 * checked: numbers finite, low <= open,close <= high, volume >= 0, ts
 * strictly increasing.  The first problem is reported as "FILE:LINE: what is
 * wrong" and nothing is returned.
 */
#ifndef QD_CSV_H
#define QD_CSV_H

#include <stddef.h>
#include <quantd/sdk.h>

enum csv_format {
	CSV_OHLCV = 1,
	CSV_BINANCE = 2,
};

struct csv_series {
	struct qd_bar *bars;
	size_t n;
	size_t cap;
	enum csv_format format;
};

/** Read `path` ("-" = standard input).  0, or -1 with err filled in. */
int csv_read_file(const char *path, struct csv_series *out, char *err,
	size_t errlen);

/** Parse a buffer; `name` is used in messages.  0, or -1 with err. */
int csv_read_buffer(const char *name, const char *buf, size_t len,
	struct csv_series *out, char *err, size_t errlen);

void csv_series_free(struct csv_series *s);

/**
 * A CSV file read a chunk at a time, so that memory stays the same whatever
 * its length: the same formats, checks and messages as csv_read_file, a
 * problem on line N reported when the reading reaches it.
 */
struct csv_reader;

/** Open `path` ("-" = standard input).  The reader, or NULL with err. */
struct csv_reader *csv_reader_open(const char *path, char *err,
	size_t errlen);

/**
 * The next bars of the file, in *bars (the reader's: valid until the next
 * call).  Returns their count (at most a few thousand), 0 at the end of the
 * file, or -1 with "FILE:LINE: what is wrong" in err; after -1 the reader
 * can only be closed.
 */
long csv_reader_next(struct csv_reader *r, const struct qd_bar **bars,
	char *err, size_t errlen);

/**
 * Parse ahead in a thread of the reader's own (a few chunks), so that the
 * caller's work and the parsing overlap; csv_reader_next gives the same
 * bars and errors.  Call before the first csv_reader_next or after any.
 * 0, or -1 (the reader still works, unthreaded).
 */
int csv_reader_prefetch(struct csv_reader *r);

/** The file's format, once its first line was read (0 before; with a
 *  prefetch, once a chunk was handed out). */
enum csv_format csv_reader_format(const struct csv_reader *r);

/** Close the file and free the reader (NULL is ignored). */
void csv_reader_close(struct csv_reader *r);

/** A field of a CSV line: its bytes, not NUL-terminated. */
struct csv_field {
	const char *p;
	size_t len;
};

/**
 * Split a line (without its newline) at commas into at most `max` fields;
 * no quoting.  Returns the field count, or -1 when there are more.
 */
int csv_split(const char *line, size_t len, struct csv_field *f, int max);

/**
 * Parse a decimal number: [+-]digits[.digits][(e|E)[+-]digits], nothing
 * else (no spaces, hex, inf or nan), to the correctly rounded double -- bit
 * for bit what strtod gives, without its locale and usually ~10x faster.
 * 0, or -1 when the text is not a finite number.  Shared by everything that
 * reads numbers written as text (CSV files, the store's decimal columns).
 */
int csv_parse_number(const char *text, size_t len, double *out);

#endif
