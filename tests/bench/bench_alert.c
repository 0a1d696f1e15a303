/*
 * bench_alert.c -- the alert engine with 100,000 active price alerts on
 * one symbol (50,000 above the market, 50,000 below):
 *   - ns per trade when none fires (a random walk between the two bands),
 *     against two floors: a bare loop that only keeps the previous price,
 *     and one binary search over 50,000 sorted levels (the least a sorted
 *     index can do per trade);
 *   - alerts fired per second when many do ("every" alerts, trades
 *     swinging across both bands: each trade fires 50,000; and "once"
 *     alerts, which then leave the index), message, history and fired
 *     hook included.
 * Median of 5 runs each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alert/alert.h"
#include "bench.h"
#include "log/log.h"
#include "market/symbol.h"

#define ALERTS 100000
#define TRADES 2000000
#define SWINGS 40
#define RUNS 5

static uint64_t fired;

static void
on_fired(void *arg, const struct alert_fired *f)
{
	(void)arg;
	fired += f->fire_count > 0;
}

/* 50,000 levels above 20000 and 50,000 below 10000. */
static struct alert_engine *
engine(const char *mode)
{
	struct alert_options o;
	struct alert_engine *e;
	char err[256], j[256];
	uint64_t id;
	cJSON *d;
	int i;

	memset(&o, 0, sizeof(o));
	o.fired = on_fired;
	if ((e = alert_engine_new(&o)) == NULL)
		bench_die("bench_alert", "alert_engine_new");
	for (i = 0; i < ALERTS; i++) {
		snprintf(j, sizeof(j), "{\"exchange\":\"x\",\"symbol\":"
			"\"BTC/USDT\",\"fire\":\"%s\",\"condition\":{\"type\":"
			"\"%s\",\"price\":%.2f}}", mode, i % 2 ? "price_below" :
			"price_above", i % 2 ? 10000 - (i / 2) * 0.1 :
			20000 + (i / 2) * 0.1);
		d = cJSON_Parse(j);
		if (d == NULL || alert_create(e, d, 0, &id, err, sizeof(err)) !=
		    QD_OK)
			bench_die("bench_alert", err);
		cJSON_Delete(d);
	}
	return e;
}

int
main(void)
{
	struct alert_engine *e = engine("every");
	struct qd_trade_event t;
	double *walk = malloc(TRADES * sizeof(double));
	double *lv = malloc(ALERTS / 2 * sizeof(double));
	double quiet[RUNS], bare[RUNS], bs[RUNS], fire[RUNS], once[RUNS], t0;
	double p = 15000;
	volatile double sink = 0;
	uint64_t seed = 42, f0;
	size_t i, r, lo, hi, mid;

	if (walk == NULL || lv == NULL)
		bench_die("bench_alert", "malloc");
	log_open("/dev/null", QD_LOG_ERROR);
	for (i = 0; i < TRADES; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		p += ((double)(seed >> 40) / (double)(1 << 24) - 0.5) * 10;
		if (p < 11000 || p > 19000)
			p = 15000;
		walk[i] = p;
	}
	for (i = 0; i < ALERTS / 2; i++)
		lv[i] = 20000 + (double)i * 0.1;
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.symbol = symbol_intern("BTC/USDT");
	t.qty = 1;
	for (r = 0; r < RUNS; r++) {
		t0 = bench_now();
		for (i = 0; i < TRADES; i++) {
			t.ts = (int64_t)i * 1000000;
			t.price = walk[i];
			alert_on_trade(e, "x", &t);
		}
		quiet[r] = (bench_now() - t0) / TRADES * 1e9;
		/* floor 1: keep the previous price, compare */
		t0 = bench_now();
		for (i = 0; i < TRADES; i++) {
			if (walk[i] > sink + 1e9)
				sink = -1;
			sink = walk[i];
		}
		bare[r] = (bench_now() - t0) / TRADES * 1e9;
		/* floor 2: one binary search over 50,000 levels */
		t0 = bench_now();
		for (i = 0; i < TRADES; i++) {
			lo = 0;
			hi = ALERTS / 2;
			while (lo < hi) {
				mid = lo + (hi - lo) / 2;
				if (lv[mid] <= walk[i])
					lo = mid + 1;
				else
					hi = mid;
			}
			sink += (double)lo;
		}
		bs[r] = (bench_now() - t0) / TRADES * 1e9;
	}
	if (fired != 0)
		bench_die("bench_alert", "the quiet walk fired an alert");
	alert_engine_free(e);

	e = engine("every");
	t.price = 15000;
	alert_on_trade(e, "x", &t);
	for (r = 0; r < RUNS; r++) {
		f0 = fired;
		t0 = bench_now();
		for (i = 0; i < SWINGS; i++) {
			t.ts = (int64_t)(r * SWINGS + i + 1) * 1000000000;
			t.price = i % 2 ? 5000 : 30000;
			alert_on_trade(e, "x", &t);
		}
		fire[r] = (double)(fired - f0) / (bench_now() - t0);
	}
	alert_engine_free(e);
	/* "once": each fires and leaves the index (two trades fire all) */
	for (r = 0; r < RUNS; r++) {
		e = engine("once");
		t.price = 15000;
		alert_on_trade(e, "x", &t);
		f0 = fired;
		t0 = bench_now();
		t.price = 30000;
		alert_on_trade(e, "x", &t);
		t.price = 5000;
		alert_on_trade(e, "x", &t);
		once[r] = (double)(fired - f0) / (bench_now() - t0);
		if (fired - f0 != ALERTS)
			bench_die("bench_alert", "once: not every alert fired");
		alert_engine_free(e);
	}
	printf("bench_alert: %d active price alerts on one symbol\n", ALERTS);
	printf("  trade, none fires:  %8.1f ns/trade\n", bench_median(quiet,
		RUNS));
	printf("  floor, bare loop:   %8.1f ns/trade  (alert engine %.1fx)\n",
		bench_median(bare, RUNS), bench_median(quiet, RUNS) /
		bench_median(bare, RUNS));
	printf("  floor, one binary search of %d levels: %.1f ns  "
		"(alert engine %.1fx)\n", ALERTS / 2, bench_median(bs, RUNS),
		bench_median(quiet, RUNS) / bench_median(bs, RUNS));
	printf("  many fire:          %8.0f alerts fired/s (%.0f ns each; "
		"%d per trade)\n", bench_median(fire, RUNS),
		1e9 / bench_median(fire, RUNS), ALERTS / 2);
	printf("  many fire, once:    %8.0f alerts fired/s (each then leaves "
		"the index)\n", bench_median(once, RUNS));
	free(walk);
	free(lv);
	return sink == 12345.678 ? 1 : 0;
}
