// sources: core/store/import.c core/store/units.c core/csv/csv.c core/util/file.c
/*
 * fuzz_import.c -- `quantctl data import`'s reader on arbitrary bytes: it
 * returns rows that keep every promise of import.h (candles finite,
 * consistent, strictly increasing and aligned; trades ordered), or a
 * "<fuzz>:LINE: ..." message and nothing; anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_data d;
	char err[512];
	size_t i;
	int64_t tf = size > 0 && data[0] == 'w' ? 604800000 : 0;

	if (import_parse("<fuzz>", (const char *)data, size, tf, &d, err,
	    sizeof(err)) != 0) {
		if (strncmp(err, "<fuzz>:", 7) != 0 || d.candles != NULL ||
		    d.trades != NULL || d.n != 0)
			abort();
		return 0;
	}
	if (d.n == 0 || (d.candles == NULL) == (d.trades == NULL))
		abort();
	for (i = 0; i < d.n; i++) {
		if (d.candles != NULL) {
			const struct store_candle *c = &d.candles[i];

			if (!isfinite(c->open) || !isfinite(c->close) ||
			    !(c->low <= c->open && c->open <= c->high &&
			    c->low <= c->close && c->close <= c->high) ||
			    c->volume < 0 || c->open_time < 0 ||
			    d.timeframe_ms <= 0 ||
			    (i > 0 && c->open_time <= c[-1].open_time))
				abort();
		} else {
			const struct store_trade *t = &d.trades[i];

			if (!isfinite(t->price) || t->price <= 0 ||
			    t->qty < 0 || t->side < 0 || t->side > 2 ||
			    (i > 0 && t->time < t[-1].time))
				abort();
		}
	}
	import_data_free(&d);
	return 0;
}
