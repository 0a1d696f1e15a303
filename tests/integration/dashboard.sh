#!/bin/sh
# The dashboard in a browser: Debian's Chromium driven by playwright-core
# (web/node_modules) against a daemon serving web/dist with a replayed
# BTC/USDT feed (tests/integration/dashboard.mjs): sign-in with 2FA, the
# access token renewed before it expires, live
# candles (the newest page asked for once as the chart opens), older
# candles loaded as the chart scrolls back, a timeframe switch, an order's
# price line, trailing stops' lines moving with the price, a fill's marker,
# risk limits refused by the server, emergency close with confirmation,
# indicators over the price and in a pane (SuperTrend's line over the
# price, its direction in a pane, as the API places each output),
# strategies started and stopped (their states pushed over the WebSocket),
# one a reload removed leaving the list, and a bad parameter shown at its
# field, plugins with a refused file and the
# instance file editor, backtests (equity, trades, downloads, the trades and Chan structures on
# the chart, an optimisation's heat map, Monte Carlo bands), a Chan
# analysis job (its counts and tables, and every structure of its result
# drawn on the chart), a running
# strategy's annotations drawn live, the open position's price line,
# each page screenshotted, and the time to draw 100 k candles printed.
. "$QD_SRCDIR/tests/integration/lib.sh"
# A directory of its own name: the shared machine's other test runs sweep
# stale /tmp/qd-it-* ones while this one runs for minutes.
rmdir "$T" && T=$(mktemp -d /tmp/qd-dash-XXXXXX)

if [ ! -x /usr/bin/chromium ] || [ ! -d "$QD_SRCDIR/web/node_modules/playwright-core" ]; then
	echo "skip: needs /usr/bin/chromium and web/node_modules (cd web && npm ci)"
	exit 77
fi
if [ ! -f "$QD_BUILDDIR/web/dist/index.html" ]; then
	not_ok "the dashboard is built (web/dist/index.html): configure found no web/node_modules; configure and make again"
	finish
	exit 1
fi
shots=$QD_BUILDDIR/tests/screenshots
rm -rf "$shots"
mkdir -p "$shots"

make_config
# A file the loader refuses (plugins page).
printf 'not a module\n' > "$T/plugins/junk.so"
# Indicators for the chart; for the backtests page stored candles (3,000
# one-minute bars of sim BTC/USDT) and the strategies it runs.
for f in ta ma-cross chan; do ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"; done
# A running chan strategy on a synthetic ETH/USDT feed (ten bars a
# second): its annotations drawn live on the chart.
chan_live 100
# An instance whose file the browser test removes (then SIGHUP): its row
# leaves the strategies page.
ln -s "$TP/tp-good.so" "$T/plugins/"
echo '{"plugin": "tp-good", "instance": "spare", "params": {"period": 2}}' > "$T/quantd.d/spare.json"
# Access tokens of 30 s: the page renews its own within the run.
api_daemon 11 "\"static_dir\": \"$QD_BUILDDIR/web/dist\", \"access_ttl_s\": 30" || { finish; exit 1; }
# Position rules for "hold" (wide: they never fire here): its position's
# stop loss and take profit are drawn on the chart.
ctl risk set instance hold '{"stop_loss_pct": 50, "take_profit_pct": 100}' > "$T/risk" 2>&1
check "quantctl risk set gives hold its position rules" test $? -eq 0
ctl data synth --bars 3000 --timeframe 1m --seed 11 > "$T/bars.csv"
ctl data import "$T/bars.csv" --exchange sim --symbol BTC/USDT --timeframe 1m > "$T/import" 2>&1
check "quantctl data import stores the backtests' candles" grep -q 'imported 3000 candles' "$T/import"
# For the chart's history: more candles than one page (5,000) holds.
ctl data synth --bars 12000 --timeframe 1m --seed 5 > "$T/hist.csv"
ctl data import "$T/hist.csv" --exchange hist --symbol BTC/USDT --timeframe 1m > "$T/import-hist" 2>&1
check "quantctl data import stores the chart's 12,000 candles" grep -q 'imported 12000 candles' "$T/import-hist"
check "the dashboard is served at /" sh -c "curl -sf http://127.0.0.1:$port/ | grep -q app.js"
QD_WEB="$QD_SRCDIR/web" QD_T="$T" QD_PID="$QD_PID" node "$QD_SRCDIR/tests/integration/dashboard.mjs" \
	"http://127.0.0.1:$port" "$root_pw" "$shots" > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "every browser check passed" test "$rc" -eq 0
echo "screenshots: $shots"
check "no secret reached the log" sh -c "! grep -q -e '$root_pw' -e '$QD_JWT' -e '$QD_MK' '$T/quantd.log' '$T/stderr'"
check "the daemon stops cleanly" stop_daemon
finish
