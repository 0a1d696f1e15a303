#!/bin/sh
# bench_chart.sh -- the dashboard chart's 100 k-candle paint in headless
# Chromium (tests/bench/bench_chart.mjs).  Figures only.  Run from the top
# build dir (make bench).
src=${QD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ ! -x /usr/bin/chromium ] || [ ! -d "$src/web/node_modules/playwright-core" ]; then
	echo "bench_chart: needs /usr/bin/chromium and web/node_modules (scripts/setup.sh)"
	exit 0
fi
QD_WEB="$src/web" exec node "$src/tests/bench/bench_chart.mjs"
