// sources: core/csv/csv.c core/util/file.c
/*
 * fuzz_csv.c -- the OHLCV CSV reader on arbitrary bytes: it either returns
 * bars that satisfy every invariant it promises, or a "<fuzz>:LINE: ..."
 * message; anything else aborts.  The chunked reader (csv_reader_next) on
 * the same bytes, from a file, gives the same bars or the same message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Read the bytes back through the chunked reader: abort unless it gives
 * the `n` bars of `bars` (rc 0) or the message `err` after its file name.
 */
static void
same_chunked(const uint8_t *data, size_t size, int rc,
	const struct qd_bar *bars, size_t n, const char *err)
{
	FILE *f = tmpfile();
	char path[64], e2[512];
	struct csv_reader *r;
	const struct qd_bar *b;
	size_t got = 0;
	long k;

	if (f == NULL || fwrite(data, 1, size, f) != size || fflush(f) != 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fileno(f));
	if ((r = csv_reader_open(path, e2, sizeof(e2))) == NULL)
		abort();
	while ((k = csv_reader_next(r, &b, e2, sizeof(e2))) > 0) {
		if (rc != 0 || got + (size_t)k > n ||
		    memcmp(b, bars + got, (size_t)k * sizeof(*b)) != 0)
			abort();
		got += (size_t)k;
	}
	if (rc == 0 && (k != 0 || got != n))
		abort();
	if (rc != 0 && (k != -1 || strncmp(e2, path, strlen(path)) != 0 ||
	    strcmp(e2 + strlen(path), err + 6) != 0))
		abort();
	csv_reader_close(r);
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_series s;
	char err[512];
	size_t i;

	if (csv_read_buffer("<fuzz>", (const char *)data, size, &s, err,
	    sizeof(err)) != 0) {
		if (strncmp(err, "<fuzz>:", 7) != 0 || s.bars != NULL)
			abort();
		same_chunked(data, size, -1, NULL, 0, err);
		return 0;
	}
	same_chunked(data, size, 0, s.bars, s.n, err);
	for (i = 0; i < s.n; i++) {
		const struct qd_bar *b = &s.bars[i];

		if (b->low > b->open || b->open > b->high ||
		    b->low > b->close || b->close > b->high ||
		    b->volume < 0 || (i > 0 && b->ts <= s.bars[i - 1].ts))
			abort();
	}
	csv_series_free(&s);
	return 0;
}
