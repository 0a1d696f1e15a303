// sources: core/csv/csv.c
/*
 * fuzz_csv.c -- the OHLCV CSV reader on arbitrary bytes: it either returns
 * bars that satisfy every invariant it promises, or a "<fuzz>:LINE: ..."
 * message; anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
		return 0;
	}
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
