/*
 * bench_ledger.c -- what booking a fill costs.
 *
 * ledger_fill() of a fill with a fee (six postings: base and quote between
 * the account and its venue, the fee to the venue's fee account), cycling
 * over 4 accounts, 4 symbols and 2 venues, buys and sells alternating so
 * the balances stay bounded; and ledger_check_fill() alone, which is the
 * first half of it.  Against the limit: a bare loop doing the six int64
 * additions of those postings into an array, with nothing checked,
 * looked up or recorded.  Runs alternate ledger/bare; the ratio is the
 * median of the per-pair ratios, so drifting machine speed cancels out.
 *
 * Figures only, never pass/fail; each figure is the median of 5 runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "trade/ledger.h"

#define RUNS 5
#define FILLS 1000000L     /* per run */
#define E8 100000000LL

static const char *accounts[] = { "acct0", "acct1", "acct2", "acct3" };
static const char *symbols[] = { "BTC/USDT", "ETH/USDT", "SOL/USDT",
	"XRP/USDT" };
static const char *bases[] = { "BTC", "ETH", "SOL", "XRP" };
static const char *venues[] = { "binance", "bybit" };

static volatile int64_t sink;

static void
die(const char *what)
{
	bench_die("bench_ledger", what);
}

/* Books with every account funded in every asset, and one fill of each
 * (account, symbol, venue) already booked so the run measures the steady
 * state, not first-time interning. */
static struct ledger *
books(void)
{
	struct ledger *l = ledger_new();
	size_t a, s;

	if (l == NULL)
		die("ledger_new");
	for (a = 0; a < 4; a++) {
		if (ledger_open_account(l, accounts[a], 0) != QD_OK ||
		    ledger_deposit(l, accounts[a], "USDT", 1000000000 * E8, 0,
		    "") != QD_OK)
			die("funding");
		for (s = 0; s < 4; s++)
			if (ledger_deposit(l, accounts[a], bases[s], 1000 * E8,
			    0, "") != QD_OK)
				die("funding");
	}
	return l;
}

/* The i-th fill of a run: a buy then a sell of the same size. */
static void
nth_fill(long i, struct ledger_fill *f)
{
	memset(f, 0, sizeof(*f));
	f->account = accounts[i & 3];
	f->symbol = symbols[(i >> 2) & 3];
	f->venue = venues[(i >> 4) & 1];
	f->side = (i >> 5) & 1 ? QD_SIDE_SELL : QD_SIDE_BUY;
	f->qty = E8 / 100 + (i & 7);
	f->price = 100.0 + (double)(i & 63);
	f->fee = 1000;
	f->ref = "";
	f->ts_ms = i;
}

static double
run_fill(struct ledger *l, int check_only)
{
	struct ledger_fill f;
	double t0, t;
	long i;
	int64_t n = 0;

	t0 = bench_now();
	for (i = 0; i < FILLS; i++) {
		nth_fill(i, &f);
		if (check_only)
			n += ledger_check_fill(l, &f, NULL, 0) == QD_OK;
		else
			n += ledger_fill(l, &f, NULL, NULL, 0) == QD_OK;
	}
	t = bench_now() - t0;
	if (n != FILLS)
		die("a fill");
	sink += n;
	return t;
}

/* The same postings' additions and nothing else. */
static double
run_bare(void)
{
	int64_t bal[4 * 8] = { 0 }, venue[2 * 8] = { 0 }, fees[2] = { 0 };
	double t0, t;
	long i;
	int k;

	t0 = bench_now();
	for (i = 0; i < FILLS; i++) {
		int a = (int)(i & 3), s = (int)((i >> 2) & 3);
		int v = (int)((i >> 4) & 1);
		int64_t q = E8 / 100 + (i & 7), n = q * (100 + (i & 63));

		if ((i >> 5) & 1) {
			q = -q;
			n = -n;
		}
		bal[a * 8 + s] += q;
		venue[v * 8 + s] -= q;
		bal[a * 8 + 4] -= n;
		venue[v * 8 + 4] += n;
		bal[a * 8 + 5] -= 1000;
		fees[v] += 1000;
		/* Keep the compiler from folding the loop into sums. */
		__asm__ volatile("" : : "r"(bal), "r"(venue), "r"(fees) :
			"memory");
	}
	t = bench_now() - t0;
	for (k = 0; k < 32; k++)
		sink += bal[k];
	sink += venue[0] + fees[0];
	return t;
}

int
main(void)
{
	double tf[RUNS], tc[RUNS], tb[RUNS], ratio[RUNS], f, c, b;
	struct ledger *l = books();
	char why[256];
	int r;

	/* Warm-up: every name interned, every array grown. */
	run_fill(l, 0);
	for (r = 0; r < RUNS; r++) {
		tf[r] = run_fill(l, 0);
		tb[r] = run_bare();
		tc[r] = run_fill(l, 1);
		ratio[r] = tf[r] / tb[r];
	}
	if (ledger_reconcile(l, why, sizeof(why)) != QD_OK) {
		fprintf(stderr, "bench_ledger: the books do not reconcile: "
			"%s\n", why);
		return 1;
	}
	f = bench_median(tf, RUNS);
	c = bench_median(tc, RUNS);
	b = bench_median(tb, RUNS);
	printf("ledger_fill (6 postings: base, quote, fee; 4 accounts x 4 "
		"symbols x 2 venues), %ld fills per run\n", FILLS);
	printf("  %-36s %13s %9s\n", "", "fills/s", "ns/fill");
	printf("  %-36s %13.0f %9.1f\n", "ledger_fill", FILLS / f,
		f * 1e9 / FILLS);
	printf("  %-36s %13.0f %9.1f\n", "ledger_check_fill alone", FILLS / c,
		c * 1e9 / FILLS);
	printf("  %-36s %13.0f %9.1f\n", "bare loop, the 6 int64 additions",
		FILLS / b, b * 1e9 / FILLS);
	printf("  ledger_fill / bare loop: %.1fx\n", bench_median(ratio, RUNS));
	ledger_free(l);
	return 0;
}
