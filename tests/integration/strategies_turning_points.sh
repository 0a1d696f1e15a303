#!/bin/sh
# Each strategy on data with known turning points: the trades must sit
# where the rules put them.  Bars are 1m from 2024-01-01 00:00 UTC; bar i
# opens at T0 + i min; fills happen at the open of the bar after a signal.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
for f in ta ma-cross rsi bollinger trend; do ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"; done
T0=1704067200000

# series NAME: closes from stdin (one per line) -> OHLCV CSV, each bar
# opening at the previous close, high/low 0.1 outside.
series() {
	awk -v t0=$T0 'BEGIN { print "ts,open,high,low,close,volume"; prev = -1 }
	{ c = $1; o = prev < 0 ? c : prev; h = (o > c ? o : c) + 0.1;
	  l = (o < c ? o : c) - 0.1;
	  printf "%.0f,%.4f,%.4f,%.4f,%.4f,1\n", t0 + (NR - 1) * 60000, o, h, l, c;
	  prev = c }' > "$T/$1.csv"
}

# bar index of a JSON trade field of the first trade
first() {
	v=$(sed -n "s/.*\"trades\":\[{[^}]*\"$2\":\([0-9]*\).*/\1/p" "$T/$1.json")
	[ -n "$v" ] && echo $(( (v - T0) / 60000 )) || echo -1
}
between() { [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] && ok "$1 (bar $2)" || not_ok "$1" "bar $2, expected $3..$4"; }

# V then inverted V: down 100 -> 80 (bars 0-40), up to 120 (bar 120), down
# to 90 (bar 180).
awk 'BEGIN { for (i = 0; i <= 180; i++) print (i <= 40 ? 100 - i * 0.5 : i <= 120 ? 80 + (i - 40) * 0.5 : 120 - (i - 120) * 0.5) }' | series v
ctl backtest --strategy ma-cross --param fast=5 --param slow=20 --data "$T/v.csv" --fee-rate 0 --json > "$T/mac.json"
# sma5 crosses above sma20 ~7 bars after the bottom; below ~7 after the top.
between "ma-cross enters after the bottom" "$(first mac entry_ts)" 42 52
between "ma-cross exits after the top" "$(first mac exit_ts)" 122 132

ctl backtest --strategy rsi --data "$T/v.csv" --fee-rate 0 --json > "$T/rsi.json"
# RSI < 30 as soon as 14 falling closes exist; > 70 once 14 rising ones do.
between "rsi buys the decline" "$(first rsi entry_ts)" 15 16
between "rsi sells the rise" "$(first rsi exit_ts)" 41 60

# Flat 100 for 30 bars, a drop to 95 at bar 30, back to 100 from bar 35.
awk 'BEGIN { for (i = 0; i < 60; i++) print (i < 30 ? 100 : i < 35 ? 95 : 100) }' | series drop
ctl backtest --strategy bollinger --param mode=reversion --data "$T/drop.csv" --fee-rate 0 --json > "$T/bb.json"
between "bollinger reversion buys the drop" "$(first bb entry_ts)" 31 31
between "bollinger reversion sells the recovery" "$(first bb exit_ts)" 36 36

# Flat 100 up to bar 30, +1 per bar to 130 (bar 60), then a fall: the
# first close above the prior 20-bar high is bar 31, filled at bar 32.
awk 'BEGIN { for (i = 0; i < 120; i++) print (i < 30 ? 100 : i <= 60 ? 100 + (i - 30) : 130 - (i - 60)) }' | series brk
ctl backtest --strategy trend --param entry=20 --param atr=5 --param mult=3 --data "$T/brk.csv" --fee-rate 0 --json > "$T/tr.json"
between "trend enters on the breakout" "$(first tr entry_ts)" 32 32
between "trend's trailing stop exits after the top" "$(first tr exit_ts)" 62 66
finish
