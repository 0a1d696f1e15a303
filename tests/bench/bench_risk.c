/*
 * bench_risk.c -- the risk engine's two hot calls: risk_pre_trade with
 * every pre-trade rule on in all three scopes (orders that pass, so each
 * rule is evaluated and the rate rings are written), and risk_on_price
 * with the circuit breaker on (a trade every 10 ms, a 60 s window of
 * ~6000 prices).  Each against a bare loop over the same inputs that does
 * the least such a check must (one notional compare; a running min/max).
 * Median of 5 runs each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trade/risk.h"

#define N 5000000L
#define RUNS 5

static uint64_t acted;

static void
on_act(void *arg, const struct risk_event *e)
{
	(void)arg; (void)e;
	acted++;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct risk *
engine(void)
{
	struct risk_limits l;
	struct risk *r = risk_new(on_act, NULL, NULL);

	if (r == NULL)
		return NULL;
	memset(&l, 0, sizeof(l));
	l.max_order_notional = 1e9;
	l.max_position_notional = 1e9;
	l.max_exposure = 1e10;
	l.max_open_orders = 1000;
	l.price_band_pct = 50;
	l.max_orders = 1000;           /* a pass every 10 ms: 100 per s */
	l.order_window_s = 1;
	l.circuit_move_pct = 5;
	l.circuit_window_s = 60;
	l.circuit_halt_s = 60;
	if (risk_set_limits(r, RISK_SCOPE_GLOBAL, "", &l) != QD_OK ||
	    risk_set_limits(r, RISK_SCOPE_ACCOUNT, "acct1", &l) != QD_OK ||
	    risk_set_limits(r, RISK_SCOPE_INSTANCE, "ma-fast", &l) != QD_OK) {
		risk_free(r);
		return NULL;
	}
	return r;
}

static double
median(double *v)
{
	qsort(v, RUNS, sizeof(double), cmp);
	return v[RUNS / 2];
}

int
main(void)
{
	double *price = malloc(N * sizeof(*price)), p = 30000;
	double pre[RUNS], pre_bare[RUNS], tick[RUNS], tick_bare[RUNS];
	struct risk_exposure ex[RISK_N_SCOPES];
	struct risk_event out;
	struct risk_order o;
	volatile double sink;
	uint64_t x = 0x9E3779B97F4A7C15ull, refused = 0;
	int64_t t0 = 1704067200LL * 1000000000LL;
	long i;
	int run;

	if (price == NULL)
		return 1;
	for (i = 0; i < N; i++) {      /* steps of at most 0.01 % */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p *= 1 + ((double)(x % 21) - 10) * 0.00001;
		price[i] = p;
	}
	memset(ex, 0, sizeof(ex));
	memset(&o, 0, sizeof(o));
	o.instance = "ma-fast";
	o.account = "acct1";
	o.symbol = "BTC/USDT";
	o.side = QD_SIDE_BUY;
	o.qty = 0.5;
	for (run = 0; run < RUNS; run++) {
		struct risk *r = engine();
		double t, lo = 1e300, hi = 0, n = 0;

		if (r == NULL)
			return 1;
		t = now();
		for (i = 0; i < N; i++) {
			o.price = price[i];
			o.now = t0 + i * 10000000LL;
			if (risk_pre_trade(r, &o, ex, price[i], (uint64_t)i,
			    &out) != QD_OK)
				refused++;
		}
		pre[run] = now() - t;
		t = now();
		for (i = 0; i < N; i++)
			risk_on_price(r, o.symbol, price[i],
				t0 + i * 10000000LL);
		tick[run] = now() - t;
		risk_free(r);

		t = now();
		for (i = 0; i < N; i++)
			n += o.qty * price[i] > 1e9;
		pre_bare[run] = now() - t;
		t = now();
		for (i = 0; i < N; i++) {
			hi = price[i] > hi ? price[i] : hi;
			lo = price[i] < lo ? price[i] : lo;
		}
		tick_bare[run] = now() - t;
		sink = n + hi + lo;
	}
	(void)sink;
	printf("risk: %ld calls each, median of %d\n", N, RUNS);
	printf("  risk_pre_trade, 3 scopes x 6 rules: %.2f ns/call; bare "
		"loop %.2f ns/iter; ratio %.1fx (%llu refused, want 0)\n",
		median(pre) * 1e9 / N, median(pre_bare) * 1e9 / N,
		median(pre) / median(pre_bare), (unsigned long long)refused);
	printf("  risk_on_price, 60 s window of ~6000 prices: %.2f ns/call; "
		"bare min/max %.2f ns/iter; ratio %.1fx (%llu trips)\n",
		median(tick) * 1e9 / N, median(tick_bare) * 1e9 / N,
		median(tick) / median(tick_bare),
		(unsigned long long)(acted / RUNS));
	free(price);
	return 0;
}
