/*
 * walk_bars.h -- one-minute bars of a random walk for tests and benches:
 * each bar opens at the previous close and moves by up to +-swing/2
 * (xorshift from `seed`, closes floored at 1), its range `wick` beyond
 * open and close, volume 1.  The same arguments give the same bars.
 */
#ifndef QD_TEST_WALK_BARS_H
#define QD_TEST_WALK_BARS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <quantd/sdk.h>

static inline void
walk_bars(struct qd_bar *bars, size_t n, int64_t t0_ns, uint64_t seed,
	double swing, double wick)
{
	double px = 100;
	uint64_t z = seed;
	size_t i;

	for (i = 0; i < n; i++) {
		double c;

		z ^= z << 13;
		z ^= z >> 7;
		z ^= z << 17;
		c = fmax(1.0, px + ((double)(z >> 11) / 9007199254740992.0 -
			0.5) * swing);
		bars[i].ts = t0_ns + (int64_t)i * 60000000000LL;
		bars[i].open = px;
		bars[i].close = c;
		bars[i].high = fmax(px, c) + wick;
		bars[i].low = fmin(px, c) - wick;
		bars[i].volume = 1;
		px = c;
	}
}

#endif
