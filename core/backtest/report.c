/*
 * report.c -- the backtest report: one self-contained HTML file (inline SVG
 * and CSS, no script, no external URL) that opens offline: candles with
 * entry/exit markers, equity and drawdown curves, the metrics table and the
 * trade list.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backtest/backtest.h"
#include "market/symbol.h"

#define W 1200
#define PAD 50
#define MAX_ROWS 1000

/* Text as HTML: & < > " escaped. */
static void
put_html(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A trade time as a table cell: UTC to the minute, the exact ms on hover. */
static void
put_time(FILE *f, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[32];

	if (ns % 1000000000 < 0)
		t--;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, sizeof(buf), "?");
	fprintf(f, "<td title=\"%lld ms\">%s</td>", (long long)(ns / 1000000),
		buf);
}

/* x of a timestamp on the chart. */
static double
xpos(int64_t ts, int64_t t0, int64_t t1)
{
	if (t1 <= t0)
		return PAD;
	return PAD + (double)(ts - t0) / (double)(t1 - t0) * (W - 2 * PAD);
}

static double
ypos(double v, double lo, double hi, double top, double h)
{
	if (hi <= lo)
		return top + h / 2;
	return top + (hi - v) / (hi - lo) * h;
}

/* The report's time span: its first and last buckets' starts. */
static void
span(const struct bt_downsample *d, int64_t *t0, int64_t *t1)
{
	*t0 = d->t0;
	*t1 = d->t0 + (int64_t)(d->n > 1 ? d->n - 1 : 1) * d->width;
}

/* The first series' bars, one candle a bucket, with trade markers. */
static void
candles(FILE *f, const struct bt_result *r)
{
	const struct bt_downsample *d = &r->ds;
	double lo = INFINITY, hi = -INFINITY, cw;
	int64_t t0, t1;
	size_t i;

	span(d, &t0, &t1);
	for (i = 0; i < d->n; i++) {
		if (!d->b[i].has_bar)
			continue;
		lo = d->b[i].bar.low < lo ? d->b[i].bar.low : lo;
		hi = d->b[i].bar.high > hi ? d->b[i].bar.high : hi;
	}
	cw = (double)(W - 2 * PAD) / (double)(d->n ? d->n : 1) * 0.7;
	fprintf(f, "<svg viewBox=\"0 0 %d 360\" width=\"%d\" height=\"360\">"
		"<text x=\"%d\" y=\"16\">%s, %zu bars%s</text>", W, W, PAD,
		symbol_name(d->symbol) ? symbol_name(d->symbol) : "?", d->bars,
		d->width > 0 && d->bars > d->n ? " (candles merged for display)" :
		"");
	for (i = 0; i < d->n; i++) {
		const struct qd_bar *b = &d->b[i].bar;
		double x, yo, yc;

		if (!d->b[i].has_bar)
			continue;
		x = xpos(d->t0 + (int64_t)i * d->width, t0, t1);
		yo = ypos(b->open, lo, hi, 30, 310);
		yc = ypos(b->close, lo, hi, 30, 310);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"class=\"w\"/><rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" "
			"height=\"%.1f\" class=\"%s\"/>", x,
			ypos(b->high, lo, hi, 30, 310), x,
			ypos(b->low, lo, hi, 30, 310), x - cw / 2,
			yo < yc ? yo : yc, cw > 0.5 ? cw : 0.5,
			fabs(yc - yo) > 0.5 ? fabs(yc - yo) : 0.5,
			b->close >= b->open ? "up" : "dn");
	}
	for (i = 0; i < r->n_trades && i < MAX_ROWS; i++) {
		const struct bt_trade *t = &r->trades[i];
		double x = xpos(t->entry_ts, t0, t1);
		double y = ypos(t->entry_price, lo, hi, 30, 310);

		if (t->symbol != d->symbol)
			continue;
		fprintf(f, "<path d=\"M%.1f %.1fl-5 9h10z\" class=\"in\"><title>"
			"entry %s %.8g @ %.8g</title></path>", x, y + 2,
			t->side == QD_SIDE_BUY ? "long" : "short", t->qty,
			t->entry_price);
		if (t->open)
			continue;
		x = xpos(t->exit_ts, t0, t1);
		y = ypos(t->exit_price, lo, hi, 30, 310);
		fprintf(f, "<path d=\"M%.1f %.1fl-5 -9h10z\" class=\"out\"><title>"
			"exit @ %.8g, pnl %.8g</title></path>", x, y - 2,
			t->exit_price, t->pnl);
	}
	fprintf(f, "<text x=\"4\" y=\"40\">%.6g</text><text x=\"4\" y=\"340\">"
		"%.6g</text></svg>\n", hi, lo);
}

/*
 * Equity (top) and drawdown (bottom) as polylines through every bucket's
 * extremes in time order, so no spike of the full curve is lost.
 */
static void
curves(FILE *f, const struct bt_result *r)
{
	const struct bt_downsample *d = &r->ds;
	double lo = INFINITY, hi = -INFINITY, maxdd = 0;
	int64_t t0, t1;
	size_t i;

	span(d, &t0, &t1);
	for (i = 0; i < d->n; i++) {
		if (!d->b[i].has_eq)
			continue;
		lo = d->b[i].lo < lo ? d->b[i].lo : lo;
		hi = d->b[i].hi > hi ? d->b[i].hi : hi;
		maxdd = d->b[i].dd > maxdd ? d->b[i].dd : maxdd;
	}
	if (!(lo <= hi))
		return;
	fprintf(f, "<svg viewBox=\"0 0 %d 330\" width=\"%d\" height=\"330\">"
		"<text x=\"%d\" y=\"16\">equity %.2f .. %.2f</text>"
		"<polyline class=\"eq\" points=\"", W, W, PAD, lo, hi);
	for (i = 0; i < d->n; i++) {
		const struct bt_bucket *k = &d->b[i];
		int lo_first = k->t_lo <= k->t_hi;

		if (!k->has_eq)
			continue;
		fprintf(f, "%.1f,%.1f ", xpos(lo_first ? k->t_lo : k->t_hi, t0,
			t1), ypos(lo_first ? k->lo : k->hi, lo, hi, 25, 180));
		if (k->t_lo != k->t_hi)
			fprintf(f, "%.1f,%.1f ", xpos(lo_first ? k->t_hi :
				k->t_lo, t0, t1), ypos(lo_first ? k->hi : k->lo,
				lo, hi, 25, 180));
	}
	fprintf(f, "\"/><text x=\"%d\" y=\"226\">drawdown (max %.2f%%)</text>"
		"<polyline class=\"dd\" points=\"", PAD, maxdd * 100);
	for (i = 0; i < d->n; i++)
		if (d->b[i].has_eq)
			fprintf(f, "%.1f,%.1f ", xpos(d->b[i].t_dd, t0, t1),
				ypos(-d->b[i].dd, -(maxdd > 0 ? maxdd : 1), 0,
				235, 90));
	fputs("\"/></svg>\n", f);
}

void
backtest_write_report(FILE *f, const struct bt_result *r,
	const char *title, const char *settings)
{
	const struct bt_metrics *m = &r->m;
	size_t i;

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>",
		f);
	put_html(f, title);
	fputs("</title><style>"
		"body{font:13px sans-serif;margin:16px;color:#222}"
		"svg{display:block;background:#fafafa;margin:8px 0}"
		".w{stroke:#555;stroke-width:1}.up{fill:#2a9d5c}.dn{fill:#d1495b}"
		".in{fill:#1d4ed8}.out{fill:#f59e0b}"
		".eq{fill:none;stroke:#1d4ed8;stroke-width:1.5}"
		".dd{fill:none;stroke:#d1495b;stroke-width:1.5}"
		"table{border-collapse:collapse;margin:8px 0}"
		"td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
		".set{color:#555;margin:0 0 8px}"
		"</style></head><body><h1>", f);
	put_html(f, title);
	fputs("</h1>\n", f);
	if (settings != NULL) {
		fputs("<p class=\"set\">", f);
		put_html(f, settings);
		fputs("</p>\n", f);
	}
	if (r->ds.bars > 0)
		candles(f, r);
	curves(f, r);
	fprintf(f, "<h2>Metrics</h2><table>"
		"<tr><th>total_return</th><td>%.4f%%</td></tr>"
		"<tr><th>cagr</th><td>%.4f%%</td></tr>"
		"<tr><th>volatility</th><td>%.4f%%</td></tr>"
		"<tr><th>sharpe</th><td>%.4f</td></tr>"
		"<tr><th>sortino</th><td>%.4f</td></tr>"
		"<tr><th>max_drawdown</th><td>%.4f%%</td></tr>"
		"<tr><th>max_drawdown_duration</th><td>%.1f h</td></tr>"
		"<tr><th>calmar</th><td>%.4f</td></tr>"
		"<tr><th>win_rate</th><td>%.2f%%</td></tr>"
		"<tr><th>profit_factor</th><td>%.4f</td></tr>"
		"<tr><th>expectancy</th><td>%.4f</td></tr>"
		"<tr><th>exposure</th><td>%.2f%%</td></tr>"
		"<tr><th>trades</th><td>%zu</td></tr>"
		"<tr><th>fees</th><td>%.4f</td></tr>"
		"<tr><th>final_equity</th><td>%.4f</td></tr></table>\n",
		m->total_return * 100, m->cagr * 100, m->volatility * 100,
		m->sharpe, m->sortino, m->max_drawdown * 100,
		(double)m->max_drawdown_duration_ms / 3600000.0, m->calmar,
		m->win_rate * 100, m->profit_factor, m->expectancy,
		m->exposure * 100, m->trades, m->fees, m->final_equity);
	fputs("<h2>Trades</h2><table><tr><th>#</th><th>symbol</th><th>side"
		"</th><th>qty</th><th>entry (UTC)</th><th>entry price</th>"
		"<th>exit (UTC)</th><th>exit price</th><th>fees</th><th>pnl</th>"
		"</tr>\n", f);
	for (i = 0; i < r->n_trades && i < MAX_ROWS; i++) {
		const struct bt_trade *t = &r->trades[i];

		fprintf(f, "<tr><td>%zu</td><td>%s</td><td>%s</td><td>%.8g</td>",
			i + 1, symbol_name(t->symbol) ? symbol_name(t->symbol) :
			"?", t->side == QD_SIDE_BUY ? "long" : "short", t->qty);
		put_time(f, t->entry_ts);
		fprintf(f, "<td>%.8g</td>", t->entry_price);
		if (t->open) {
			fputs("<td>open</td><td></td>", f);
		} else {
			put_time(f, t->exit_ts);
			fprintf(f, "<td>%.8g</td>", t->exit_price);
		}
		fprintf(f, "<td>%.6g</td><td>%.6g</td></tr>\n", t->fees, t->pnl);
	}
	if (r->n_trades > MAX_ROWS)
		fprintf(f, "<tr><td colspan=\"10\">%zu more trades in --json or "
			"--trades</td></tr>\n", r->n_trades - MAX_ROWS);
	fputs("</table></body></html>\n", f);
}
